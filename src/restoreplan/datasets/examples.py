"""Small example projects shipped with restoreplan (no download): paths into ``datasets/data``."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..core.errors import InputError, message

__all__ = ["MARXAN_TABLES", "marxan_example"]

#: The data files of the Marxan example: table name -> file name under ``input/``.
MARXAN_TABLES = {"pu": "pu.dat", "spec": "spec.dat", "puvspr": "puvspr.dat", "bound": "bound.dat"}


def marxan_example() -> Path:
    """Path of ``input.dat`` of a tiny SYNTHETIC Marxan project shipped with restoreplan.

    30 planning units of 1 km (6 × 5), three features with 25–40 % targets, one unit locked in and
    one locked out, a boundary file; Marxan's own formats (``input.dat``, ``input/pu.dat``,
    ``spec.dat``, ``puvspr.dat``, ``bound.dat``). Not a real place. Read it with
    :func:`restoreplan.optimize.read_marxan` or solve it with ``restoreplan marxan PATH``.

    >>> import restoreplan as rp
    >>> project = rp.optimize.read_marxan(rp.datasets.marxan_example())  # doctest: +SKIP
    """
    p = Path(str(resources.files("restoreplan.datasets") / "data" / "marxan_example" / "input.dat"))
    if not p.is_file():
        raise InputError(message("marxan_example", "the packaged file datasets/data/marxan_example/input.dat",
                                 "missing", "reinstall restoreplan (pip install --force-reinstall restoreplan)"))
    return p
