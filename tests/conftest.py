"""Shared fixtures. Real-data tests read ../shared beside the repository and FAIL (never skip) if it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"required shared data missing: {path} (CI runs with ../shared beside the clone)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder (fails loudly if absent)."""
    return _need(SHARED)


@pytest.fixture(scope="session")
def wuhan(shared) -> Path:
    """../shared/data/wuhan_plus."""
    return _need(shared / "data" / "wuhan_plus")


@pytest.fixture(scope="session")
def invest_anchors(shared) -> Path:
    """../shared/anchors/invest."""
    return _need(shared / "anchors" / "invest")


@pytest.fixture(scope="session")
def marxan_anchors(shared) -> Path:
    """../shared/anchors/marxan."""
    return _need(shared / "anchors" / "marxan")


REAL_DATA_FIXTURES = frozenset({"shared", "wuhan", "invest_anchors", "marxan_anchors"})


def unmarked_real_data_tests(items) -> list[str]:
    """Node ids of the tests that use a ../shared fixture (directly or through another fixture)
    without the ``realdata`` marker."""
    return [item.nodeid for item in items
            if REAL_DATA_FIXTURES & set(getattr(item, "fixturenames", ()))
            and item.get_closest_marker("realdata") is None]


def pytest_collection_modifyitems(config, items):
    """Every test that reads ../shared carries ``@pytest.mark.realdata`` (so `-m "not realdata"`
    selects the tests that run without the shared bundle): a test without it stops the run."""
    bad = unmarked_real_data_tests(items)
    if bad:
        raise pytest.UsageError(
            "these tests use a ../shared fixture (" + ", ".join(sorted(REAL_DATA_FIXTURES)) + ") without "
            "@pytest.mark.realdata; add the marker:\n  " + "\n  ".join(bad))
