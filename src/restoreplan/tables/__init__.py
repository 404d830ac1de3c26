"""Packaged coefficient tables (CSV with a citation ``.md`` beside each) in ``tables/data/``.

Each table has a status (:data:`TABLE_STATUS`, shown by ``restoreplan list --tables``):

* ``illustrative`` — values written for the demo, not from a publication;
* ``partly illustrative`` — some rows or columns published, the others written for the demo;
* ``transcribed, not checked`` — published numbers typed from the paper text, not yet checked
  against the typeset paper;
* ``published`` — published numbers; rows that are not checked carry their own ``check_status``
  and warn when used (see the ``.md``);
* ``convention`` — a mapping chosen by restoreplan (e.g. demo legend → published rows).

Loading a table whose status is in :data:`WARN_STATUSES` emits an
:class:`~restoreplan.core.errors.AssumptionWarning` naming the table and what to do; in a study
run it is recorded with the step that uses the table (manifest and report).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from ..core.errors import AssumptionWarning, ConfigError, message

__all__ = ["DATA_DIR", "TABLE_STATUS", "WARN_STATUSES", "package_table_path", "load_table", "list_tables",
           "table_status"]

DATA_DIR = Path(__file__).parent / "data"

#: table name → (status, what it is)
TABLE_STATUS: dict[str, tuple[str, str]] = {
    "awy_biophysical_6class": ("illustrative", "water-yield parameters per demo class, written for the demo"),
    "carbon_pools_6class": ("illustrative", "carbon pools per demo class, written for the demo"),
    "costanza_mapping_6class": ("convention", "demo legend → Costanza biomes"),
    "costanza_unit_values": ("published", "Costanza et al. 1997/2014 unit values; per-edition check status"),
    "es_demand_matrix_6class": ("illustrative", "ecosystem service demand scores per land-use class, written for the demo "
                                                "(Sun et al. 2025 print theirs only as a figure)"),
    "es_service_groups": ("illustrative", "service → ecosystem service group for the illustrative score matrices"),
    "es_supply_matrix_6class": ("illustrative", "ecosystem service supply scores per land-use class, written for the demo "
                                                "(Sun et al. 2025 print theirs only as a figure)"),
    "hq_sensitivity_6class": ("partly illustrative", "habitat suitability and sensitivity: Hu Feng et al. "
                                                     "(Weihe) for two threats, the road column written for the demo"),
    "hq_threats_6class": ("partly illustrative", "habitat threats: Hu Feng et al. (Weihe) for construction and "
                                                 "cropland, roads written for the demo"),
    "niu2025_6class": ("transcribed, not checked", "Niu et al. (2025) 6-class equivalent factors"),
    "niu2025_scenario_esv": ("transcribed, not checked", "Niu et al. (2025) ESV per year and scenario"),
    "xie2015_equivalent_factors": ("published", "Xie et al. (2015) equivalent factors; per-row check status"),
    "xie2015_mapping_6class": ("convention", "demo legend → Xie et al. (2015) rows"),
}

#: statuses whose use emits an AssumptionWarning
WARN_STATUSES = frozenset({"illustrative", "partly illustrative", "transcribed, not checked"})

_ADVICE = {
    "illustrative": "its values were written for the demo and are not from a publication; give your own table "
                    "(`table:NAME` in the study file) for real work",
    "partly illustrative": "part of its values were written for the demo (see its .md beside the CSV); give your "
                           "own table (`table:NAME` in the study file) for real work",
    "transcribed, not checked": "its values were typed from the paper text and not yet checked against the "
                                "typeset paper; check them before relying on the result",
}


def table_status(name: str) -> tuple[str, str]:
    """(status, description) of a packaged table."""
    package_table_path(name)
    return TABLE_STATUS.get(name, ("unknown", "no status recorded"))


def list_tables() -> list[str]:
    """Names of the packaged tables."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv"))


def package_table_path(name: str) -> Path:
    """Path of a packaged table by name (ConfigError listing the names when unknown)."""
    p = DATA_DIR / f"{name}.csv"
    if not p.exists():
        raise ConfigError(message("package table", f"one of {list_tables()}", repr(name),
                                  "use `restoreplan list --tables` names, or give your own table in [tables]"))
    return p


def load_table(name: str) -> pd.DataFrame:
    """Read a packaged table; warns (AssumptionWarning) when its status is illustrative or not checked."""
    path = package_table_path(name)
    status, what = table_status(name)
    if status in WARN_STATUSES:
        warnings.warn(f"package table {name!r} is {status.upper()} ({what}): {_ADVICE[status]}",
                      AssumptionWarning, stacklevel=2)
    return pd.read_csv(path, comment="#")
