"""The docstring examples of every restoreplan module run and print what they say (CI runs them here)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import restoreplan

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(restoreplan.__path__, "restoreplan."):
        if info.name.endswith("__main__"):
            continue
        mod = importlib.import_module(info.name)
        if any(t.examples for t in doctest.DocTestFinder().find(mod, info.name)):
            names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_examples_are_found():
    """The collection itself works: the modules known to carry examples are among those found."""
    assert {"restoreplan.core.compute", "restoreplan.optimize", "restoreplan.services.classify"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in doctest.DocTestFinder().find(mod, name):
        if test.examples:
            runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
