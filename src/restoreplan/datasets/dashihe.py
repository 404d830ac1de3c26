"""Example data of the Dashihe study: the Dashihe iron-mine tailings restoration study (Qian'an, Hebei, China).

The published stand table (Table 3) and the study-area facts needed to rebuild the scenario totals
of Table 4, plus Tables 1, 2 and 4 themselves for comparison. Every number was transcribed from the
seed text; ``dashihe_README.md`` (beside the CSV files) records table, section and what is inferred.

The lead exports the loader as ``restoreplan.datasets.dashihe()``; it is importable directly as
``from restoreplan.datasets.dashihe import dashihe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

from ..core.errors import InputError, message

__all__ = ["CITATION", "TABLE_NAMES", "DashiheData", "dashihe"]

CITATION = (
    "Dashihe mine-tailings restoration study (Mengjiachong and Dacai tailings ponds, Qian'an, Hebei, "
    "China): ecosystem service supply and tradeoffs under six restoration scenarios (authors, "
    "year, journal and DOI are not in the available text of the paper). Values "
    "transcribed from Tables 1-4 and sections 2.1-2.4 of the paper."
)

TABLE_NAMES = ("stands", "site", "scenarios", "table2", "rankings", "species", "table4")


@dataclass(frozen=True)
class DashiheData:
    """The shipped Dashihe study tables (pandas DataFrames; copies, safe to modify).

    Attributes
    ----------
    stands : pandas.DataFrame
        Table 3, indexed by ``stand``: ``role`` (``stand`` | ``reference`` | ``control`` |
        ``recommended``), ``area_hm2`` (NaN for the three non-mapped options),
        ``carbon_t_per_hm2_a`` (t hm⁻² a⁻¹), ``dust_kg_per_hm2_d`` (kg hm⁻² d⁻¹), ``lai``
        (m² m⁻²), ``shannon`` (Shannon–Wiener index as published) and ``fixed_boundary`` (stands
        kept at their area under complete restoration, Table 1 footnote).
    site : pandas.DataFrame
        Study-area facts indexed by ``key`` with ``value``, ``unit`` and ``source``: total and
        water area (394 and 55.1 hm²), site-level LAI and Shannon of the status quo (Table 4), plot
        counts, ... Use :meth:`site_value` for one number.
    scenarios : pandas.DataFrame
        Table 1 (descriptions and goals) indexed by the restoreplan scenario key, with the paper's
        label, which capacities and which area rule each scenario uses.
    table2 : pandas.DataFrame
        Table 2, recommended composition: ``layer``, ``species``, ``percent``, ``basis``.
    rankings : pandas.DataFrame
        Table 2, the three published top-10 rankings indexed by ``rank`` with columns
        ``soil_retention`` (LAI), ``carbon_sequestration`` and ``dust_deposition``.
    species : pandas.DataFrame
        The species named in the text, indexed by ``species``: ``life_form``, ``invasive``,
        trait flags (``nitrogen_fixation``, ``aesthetic``, ``food``, ``longevity``),
        ``lifespan_years``, ``sites``, ``source``.
    table4 : pandas.DataFrame
        Table 4 as published, indexed by scenario key, in the column layout of
        :func:`restoreplan.stand.scenario_table`.
    citation : str
        Where the numbers come from.
    """

    stands: pd.DataFrame
    site: pd.DataFrame
    scenarios: pd.DataFrame
    table2: pd.DataFrame
    rankings: pd.DataFrame
    species: pd.DataFrame
    table4: pd.DataFrame
    citation: str = CITATION

    def site_value(self, key: str) -> float:
        """Return one numeric study-area fact, e.g. ``site_value("total_area_hm2")`` → 394.0."""
        if key not in self.site.index:
            raise InputError(message("key", f"one of {list(self.site.index)}", repr(key),
                                     "pick a key listed in DashiheData.site"))
        return float(self.site.at[key, "value"])

    @property
    def published(self) -> pd.DataFrame:
        """Alias of :attr:`table4` (the published scenario totals)."""
        return self.table4


def _read(name: str, index: str | None) -> pd.DataFrame:
    res = resources.files("restoreplan.datasets").joinpath("data", f"dashihe_{name}.csv")
    if not res.is_file():
        raise InputError(message(f"dashihe_{name}.csv", "a data file shipped with restoreplan",
                                 "no such file in restoreplan/datasets/data",
                                 "reinstall restoreplan (pip install -e .) so package data is present"))
    with res.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh)
    if index is not None:
        df = df.set_index(index)
    return df


def dashihe() -> DashiheData:
    """Load the Dashihe study stand, scenario and composition tables.

    Returns
    -------
    DashiheData
        Fresh DataFrames on every call (see :class:`DashiheData` for the columns).

    Examples
    --------
    >>> from restoreplan.datasets.dashihe import dashihe
    >>> d = dashihe()
    >>> round(float(d.stands["area_hm2"].sum()), 2)
    246.85
    >>> d.site_value("total_area_hm2") - d.site_value("water_area_hm2")
    338.9
    """
    return DashiheData(
        stands=_read("stands", "stand"),
        site=_read("site", "key"),
        scenarios=_read("scenarios", "scenario"),
        table2=_read("table2", None),
        rankings=_read("rankings", "rank"),
        species=_read("species", "species"),
        table4=_read("table4", "scenario"),
    )
