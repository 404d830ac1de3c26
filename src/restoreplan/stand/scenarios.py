"""Stand-based restoration scenarios and their service totals (Dashihe study, §2.4, Tables 1 and 4).

A scenario assigns an area (hm²) to stand options (mapped stand types, or the reference, control and
recommended options). Extensive services are summed over areas, intensive ones are site values:

.. math::

    C = \\sum_s A_s C_s \\quad [t\\,a^{-1}], \\qquad
    Du = \\frac{d}{1000}\\sum_s A_s Du_s \\quad [t\\,a^{-1}]

with :math:`C_s` in t hm⁻² a⁻¹, :math:`Du_s` in kg hm⁻² d⁻¹ and :math:`d` the leaf-on days per year
(``dust_days_per_year``; not stated in the seed, ≈191.5 d implied by its Table 4, see
:func:`implied_dust_days`). LAI and Shannon are never summed: a scenario takes the site value when
one is given, else the area-weighted mean of its options.

The standard scenarios of the Dashihe study (Table 1):

==================  =====================  ============================================================
key                 paper                  capacities on area
==================  =====================  ============================================================
``status_quo``      Status quo             mapped stands on their areas (Σ = 246.85 hm²)
``control``         Scenario 1             control option on the current vegetated area (Σ stands)
``reference``       Scenario 2             reference option on the current vegetated area
``future``          Scenario 3             mapped stands grown to the restorable area (394 − 55.1 hm²),
                                           fixed-boundary stands kept at their area
``pre_disturbance`` Scenario 4             reference option on the restorable area
``recommended``     Scenario 5             recommended option on the restorable area
==================  =====================  ============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, CRSError, DataError, InfeasibleError, InputError, message
from ..core.validate import check_table_columns
from ..core.compute import materialize

__all__ = [
    "DEFAULT_DUST_DAYS",
    "SERVICE_COLUMNS",
    "STANDARD_SCENARIOS",
    "STAND_COLUMNS",
    "ScenarioSpec",
    "SiteDesign",
    "as_site_design",
    "complete_restoration_areas",
    "implied_dust_days",
    "scenario_table",
    "scenario_totals",
    "stand_areas",
    "standard_scenarios",
]

SERVICE_COLUMNS = ("carbon_t_per_a", "dust_t_per_a", "soil_retention_lai", "habitat_shannon")
STANDARD_SCENARIOS = ("status_quo", "control", "reference", "future", "pre_disturbance", "recommended")
STAND_COLUMNS = ("role", "area_hm2", "carbon_t_per_hm2_a", "dust_kg_per_hm2_d", "lai", "shannon")
#: Leaf-on days per year of the dust totals. Not stated by the Dashihe mine-tailings stand study:
#: fitted to its own Table 4 (:func:`implied_dust_days` gives 191.4–191.8 d per scenario), so
#: reproducing Table 4's dust totals with it is a fit, not a check (the tests hold scenarios out).
DEFAULT_DUST_DAYS = 191.5
_ROLES = ("stand", "reference", "control", "recommended")


@dataclass(frozen=True)
class SiteDesign:
    """A restoration site: stand options with capacities, and the site's area facts.

    Attributes
    ----------
    stands : pandas.DataFrame
        Indexed by stand option, columns ``role`` (``stand`` for mapped stand types, or
        ``reference`` / ``control`` / ``recommended``), ``area_hm2`` (mapped area; NaN for the
        non-mapped options), ``carbon_t_per_hm2_a``, ``dust_kg_per_hm2_d``, ``lai``, ``shannon``
        and optionally ``fixed_boundary`` (bool: kept at its area under complete restoration).
    total_area_hm2 : float
        Whole project area (Dashihe study: 394 hm²).
    water_area_hm2 : float
        Water area excluded from restoration (Dashihe study: 55.1 hm²).
    site_lai, site_shannon : float, optional
        Site-level LAI and Shannon of the current restoration (Dashihe study, Table 4: 4.88 and 5.85);
        used for the stand-based scenarios instead of area-weighted stand means.
    """

    stands: pd.DataFrame
    total_area_hm2: float
    water_area_hm2: float = 0.0
    site_lai: float | None = None
    site_shannon: float | None = None

    def __post_init__(self):
        check_table_columns(self.stands, STAND_COLUMNS, name="stands")
        roles = sorted(set(self.stands["role"]) - set(_ROLES))
        if roles:
            raise ConfigError(message("stands.role", f"one of {list(_ROLES)}", f"{roles}",
                                      "label mapped stands 'stand' and the other options by their role"))
        mapped = self.stands["role"] == "stand"
        bad = list(self.stands.index[mapped & ~(self.stands["area_hm2"] >= 0)])
        if bad:
            raise DataError(message("stands.area_hm2", "a non-negative area for every mapped stand",
                                    f"missing or negative for {bad}", "fill in the mapped areas (hm²)"))
        caps = self.stands[list(STAND_COLUMNS[2:])]
        if caps.isna().any().any() or (caps < 0).any().any():
            rows = list(caps.index[caps.isna().any(axis=1) | (caps < 0).any(axis=1)])
            raise DataError(message("stands", "non-negative capacities for every option",
                                    f"missing or negative values in rows {rows}", "complete Table-3-like capacities"))
        if self.total_area_hm2 - self.water_area_hm2 <= 0:
            raise DataError(message("total_area_hm2", "a total area larger than the water area",
                                    f"{self.total_area_hm2} vs water {self.water_area_hm2}", "check the site areas"))

    @classmethod
    def from_tables(cls, stands: pd.DataFrame, site: pd.DataFrame | Mapping[str, float]) -> SiteDesign:
        """Build from a stand table and a key/value site table (``key`` index or column, ``value``)."""
        if isinstance(site, pd.DataFrame):
            s = site.set_index("key") if "key" in site.columns else site
            check_table_columns(s, ["value"], name="site")
            facts = {str(k): float(v) for k, v in s["value"].items()}
        else:
            facts = {str(k): float(v) for k, v in dict(site).items()}
        if "total_area_hm2" not in facts:
            raise ConfigError(message("site", "a `total_area_hm2` entry", f"keys {sorted(facts)}",
                                      "add the whole project area (hm²) to the site table"))
        st = stands.set_index("stand") if "stand" in stands.columns else stands
        return cls(stands=st, total_area_hm2=facts["total_area_hm2"],
                   water_area_hm2=facts.get("water_area_hm2", 0.0),
                   site_lai=facts.get("site_lai"), site_shannon=facts.get("site_shannon"))

    @property
    def mapped(self) -> pd.DataFrame:
        """The mapped stand types (role ``stand``)."""
        return self.stands[self.stands["role"] == "stand"]

    @property
    def current_area_hm2(self) -> float:
        """Σ mapped stand areas (Dashihe study: 246.85 hm²)."""
        return float(self.mapped["area_hm2"].sum())

    @property
    def restorable_area_hm2(self) -> float:
        """Total minus water area (Dashihe study: 394 − 55.1 = 338.9 hm²)."""
        return float(self.total_area_hm2 - self.water_area_hm2)

    @property
    def fixed_stands(self) -> tuple[str, ...]:
        """Mapped stands whose area is kept under complete restoration."""
        if "fixed_boundary" not in self.stands.columns:
            return ()
        m = self.mapped
        return tuple(m.index[m["fixed_boundary"].fillna(False).astype(bool)])

    def option(self, role: str) -> str:
        """The (single) stand option with the given role, e.g. ``option("reference")``."""
        idx = list(self.stands.index[self.stands["role"] == role])
        if len(idx) != 1:
            raise ConfigError(message("stands.role", f"exactly one option with role {role!r}",
                                      f"{len(idx)} ({idx})", f"add one {role!r} row to the stand table"))
        return idx[0]


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario: hm² per stand option, and optional site-level intensive values.

    ``soil_retention_lai`` / ``habitat_shannon`` left ``None`` take the area-weighted mean of the
    options' ``lai`` / ``shannon``.
    """

    areas: Mapping[str, float]
    soil_retention_lai: float | None = None
    habitat_shannon: float | None = None
    description: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)


def as_site_design(data) -> SiteDesign:
    """Coerce ``data`` (a SiteDesign, or any object with ``stands`` and ``site`` tables) to a SiteDesign."""
    if isinstance(data, SiteDesign):
        return data
    if hasattr(data, "stands") and hasattr(data, "site"):
        return SiteDesign.from_tables(data.stands, data.site)
    raise InputError(message("data", "a SiteDesign or an object with `stands` and `site` tables "
                             "(e.g. restoreplan.datasets.dashihe())", type(data).__name__,
                             "build one with SiteDesign.from_tables(stands, site)"))


def complete_restoration_areas(areas: pd.Series, target_hm2: float, *, fixed=()) -> pd.Series:
    """Grow stand areas in proportion to a target total, keeping fixed-boundary stands (Table 1 note).

    Parameters
    ----------
    areas : pandas.Series
        Current hm² per stand.
    target_hm2 : float
        Area to reach (Dashihe study: the restorable area 338.9 hm²).
    fixed : iterable of str
        Stands kept at their current area (Dashihe study: Grassland, Vitex negundo Mixed).

    Returns
    -------
    pandas.Series
        New areas; Σ = ``target_hm2``.

    Raises
    ------
    InfeasibleError
        When the fixed stands alone exceed the target, or no stand can grow.

    Notes
    -----
    .. math::

        A'_s = A_s \\ (s \\in F), \\qquad
        A'_s = A_s \\frac{T - \\sum_{F} A}{\\sum_{\\bar F} A} \\ (s \\notin F)

    the Dashihe study: (338.9 − 8.71 − 36.05)/(246.85 − 44.76) = 1.4555.

    Examples
    --------
    >>> complete_restoration_areas(pd.Series({"a": 10.0, "b": 30.0, "g": 5.0}), 85.0, fixed=["g"]).tolist()
    [20.0, 60.0, 5.0]
    """
    fixed = [f for f in fixed]
    unknown = sorted(set(fixed) - set(areas.index))
    if unknown:
        raise ConfigError(message("fixed", "names of stands in `areas`", f"unknown {unknown}",
                                  f"use stand names from {list(areas.index)}"))
    is_fixed = areas.index.isin(fixed)
    grow = float(areas[~is_fixed].sum())
    room = float(target_hm2) - float(areas[is_fixed].sum())
    if grow <= 0 or room < 0:
        raise InfeasibleError(message("target_hm2", "room for the non-fixed stands to grow",
                                      f"target {target_hm2} hm², fixed {areas[is_fixed].sum():.4g} hm², "
                                      f"growable {grow:.4g} hm²", "raise the target or release fixed stands"))
    factor = room / grow
    out = areas.astype(float).where(is_fixed, areas * factor)
    return out


def standard_scenarios(data, *, current_area_hm2: float | None = None,
                       restorable_area_hm2: float | None = None,
                       intensive: Literal["site", "area_weighted"] = "site") -> dict[str, ScenarioSpec]:
    """The six scenarios of the Dashihe study Table 1 (status quo and S1–S5) as :class:`ScenarioSpec` objects.

    Parameters
    ----------
    data : SiteDesign or object with ``stands`` and ``site``
        The site (e.g. ``restoreplan.datasets.dashihe()``).
    current_area_hm2 : float, optional
        Area of S1/S2 (default Σ mapped stand areas; 246.85 hm² for the Dashihe study).
    restorable_area_hm2 : float, optional
        Area of S3–S5 (default total − water; 338.9 hm²).
    intensive : {"site", "area_weighted"}, default "site"
        LAI and Shannon of the stand-based scenarios (status quo, future): the site-level values
        (``site_lai``, ``site_shannon``; the seed's Table 4 convention) when given, or the
        area-weighted stand means (5.20 and 3.18 for the status quo of the Dashihe study).

    Returns
    -------
    dict
        ``status_quo``, ``control``, ``reference``, ``future``, ``pre_disturbance``, ``recommended``.
    """
    d = as_site_design(data)
    cur = d.current_area_hm2 if current_area_hm2 is None else float(current_area_hm2)
    full = d.restorable_area_hm2 if restorable_area_hm2 is None else float(restorable_area_hm2)
    areas = d.mapped["area_hm2"].astype(float)
    lai = d.site_lai if intensive == "site" else None
    h = d.site_shannon if intensive == "site" else None
    ctl, ref, rec = d.option("control"), d.option("reference"), d.option("recommended")
    return {
        "status_quo": ScenarioSpec(dict(areas), lai, h, "current stands on their mapped areas"),
        "control": ScenarioSpec({ctl: cur}, description="S1: control capacities on the current vegetated area"),
        "reference": ScenarioSpec({ref: cur}, description="S2: reference capacities on the current vegetated area"),
        "future": ScenarioSpec(dict(complete_restoration_areas(areas, full, fixed=d.fixed_stands)), lai, h,
                               "S3: current stands grown to the restorable area, fixed-boundary stands kept"),
        "pre_disturbance": ScenarioSpec({ref: full}, description="S4: reference capacities on the restorable area"),
        "recommended": ScenarioSpec({rec: full}, description="S5: recommended capacities on the restorable area"),
    }


def _daily_dust_kg(d: SiteDesign, spec: ScenarioSpec) -> float:
    a = pd.Series(spec.areas, dtype=float)
    return float((a * d.stands.loc[a.index, "dust_kg_per_hm2_d"]).sum())


def scenario_totals(data, scenarios: Mapping[str, ScenarioSpec], *,
                    dust_days_per_year: float = DEFAULT_DUST_DAYS) -> pd.DataFrame:
    """Service totals of each scenario (no change columns); see :func:`scenario_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by scenario: ``area_hm2``, ``carbon_t_per_a``, ``dust_kg_per_d``, ``dust_t_per_a``,
        ``soil_retention_lai``, ``habitat_shannon``.
    """
    d = as_site_design(data)
    if not dust_days_per_year > 0 or dust_days_per_year > 366:
        raise ConfigError(message("dust_days_per_year", "leaf-on days in (0, 366]", repr(dust_days_per_year),
                                  f"use e.g. {DEFAULT_DUST_DAYS} (implied by the Dashihe study Table 4)"))
    rows, problems = {}, []
    for name, spec in scenarios.items():
        a = pd.Series(spec.areas, dtype=float)
        unknown = sorted(set(a.index) - set(d.stands.index))
        if unknown:
            problems.append(message(f"scenarios[{name!r}]", "stand options of the stand table",
                                    f"unknown {unknown}", f"use names from {list(d.stands.index)}"))
            continue
        if (a < 0).any() or a.sum() <= 0:
            problems.append(message(f"scenarios[{name!r}]", "non-negative areas with a positive sum",
                                    f"{a.to_dict()}", "fix the scenario areas (hm²)"))
            continue
        s = d.stands.loc[a.index]
        w = a / a.sum()
        dust_kg = float((a * s["dust_kg_per_hm2_d"]).sum())
        rows[name] = {
            "area_hm2": float(a.sum()),
            "carbon_t_per_a": float((a * s["carbon_t_per_hm2_a"]).sum()),
            "dust_kg_per_d": dust_kg,
            "dust_t_per_a": dust_kg * dust_days_per_year / 1000.0,
            "soil_retention_lai": float(spec.soil_retention_lai) if spec.soil_retention_lai is not None
            else float((w * s["lai"]).sum()),
            "habitat_shannon": float(spec.habitat_shannon) if spec.habitat_shannon is not None
            else float((w * s["shannon"]).sum()),
        }
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + " | ".join(problems),
                          problems)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "scenario"
    return out


def scenario_table(data, *, dust_days_per_year: float = DEFAULT_DUST_DAYS,
                   scenarios: Mapping[str, ScenarioSpec] | None = None,
                   extra: Mapping[str, ScenarioSpec | Mapping[str, float]] | None = None,
                   baseline: str = "status_quo", intensive: Literal["site", "area_weighted"] = "site",
                   current_area_hm2: float | None = None, restorable_area_hm2: float | None = None,
                   include_area: bool = False) -> pd.DataFrame:
    """Scenario totals and % change against the status quo, laid out as the Dashihe study Table 4.

    Parameters
    ----------
    data : SiteDesign or object with ``stands`` and ``site``
        E.g. ``restoreplan.datasets.dashihe()`` (Dashihe study, Table 3 and site facts).
    dust_days_per_year : float, default 191.5
        Leaf-on days d converting kg hm⁻² d⁻¹ to t a⁻¹ (**assumption — parameter**; the Dashihe
        mine-tailings stand study does not state it, its Table 4 implies ≈191.5–191.7 d, see
        :func:`implied_dust_days`). The default is fitted to that same Table 4, so it reproduces the
        table's dust totals by construction; for another site, set it from the site's own leaf-on season.
    scenarios : mapping, optional
        Scenario name → :class:`ScenarioSpec`; default :func:`standard_scenarios`.
    extra : mapping, optional
        User-defined scenarios appended after the standard ones: a :class:`ScenarioSpec` or a plain
        mapping option → hm².
    baseline : str, default "status_quo"
        Row the changes are computed against.
    intensive : {"site", "area_weighted"}, default "site"
        See :func:`standard_scenarios`.
    current_area_hm2, restorable_area_hm2 : float, optional
        Override the S1/S2 and S3–S5 areas.
    include_area : bool, default False
        Add an ``area_hm2`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by scenario (``status_quo``, ``control``, ``reference``, ``future``,
        ``pre_disturbance``, ``recommended``, then ``extra``); columns ``carbon_t_per_a``,
        ``dust_t_per_a``, ``soil_retention_lai``, ``habitat_shannon`` and ``<column>_change_pct``
        for each (0 for the baseline).

    Raises
    ------
    ConfigError
        Unknown stand options in a scenario, unknown baseline, bad ``dust_days_per_year``.

    Notes
    -----
    .. math::

        C = \\sum_s A_s C_s,\\quad Du = \\frac{d}{1000}\\sum_s A_s Du_s,\\quad
        \\Delta\\% = 100\\,\\frac{X - X_{base}}{X_{base}}

    Examples
    --------
    >>> from restoreplan.datasets.dashihe import dashihe
    >>> t = scenario_table(dashihe())
    >>> round(float(t.loc["status_quo", "carbon_t_per_a"]), 1)   # Σ A·C over Table 3; paper 11,408
    11391.9
    """
    d = as_site_design(data)
    specs = dict(scenarios) if scenarios is not None else standard_scenarios(
        d, current_area_hm2=current_area_hm2, restorable_area_hm2=restorable_area_hm2, intensive=intensive)
    for name, spec in (extra or {}).items():
        specs[name] = spec if isinstance(spec, ScenarioSpec) else ScenarioSpec(dict(spec))
    tot = scenario_totals(d, specs, dust_days_per_year=dust_days_per_year)
    if baseline not in tot.index:
        raise ConfigError(message("baseline", f"one of the scenarios {list(tot.index)}", repr(baseline),
                                  "pass the name of the reference scenario for the % change"))
    out = tot[list(SERVICE_COLUMNS)].copy()
    base = out.loc[baseline]
    for col in SERVICE_COLUMNS:
        out[f"{col}_change_pct"] = 100.0 * (out[col] - base[col]) / base[col]
    if include_area:
        out.insert(0, "area_hm2", tot["area_hm2"])
    out.attrs["dust_days_per_year"] = float(dust_days_per_year)
    return out


def implied_dust_days(data, published: pd.DataFrame | None = None, *,
                      scenarios=("status_quo", "control", "reference", "future", "pre_disturbance"),
                      **scenario_kwargs) -> pd.Series:
    """Leaf-on days that published dust totals imply, per scenario and pooled.

    Parameters
    ----------
    data : SiteDesign or object with ``stands`` and ``site``
        The capacities and areas (Table 3).
    published : pandas.DataFrame, optional
        Published totals with a ``dust_t_per_a`` column indexed by scenario; default
        ``data.table4`` (Dashihe study, Table 4).
    scenarios : iterable of str
        Scenarios used; the Dashihe study's ``recommended`` row is left out by default because its printed
        dust total (4,612 t) is inconsistent with the others (it implies ≈100 d).
    **scenario_kwargs
        Passed to :func:`standard_scenarios`.

    Returns
    -------
    pandas.Series
        d_k = 1000·Du_k / Σ_s A_s Du_s per scenario, and ``pooled`` = the least-squares fit through
        the origin :math:`d = 1000 \\sum_k x_k y_k / \\sum_k x_k^2` (x: kg d⁻¹, y: t a⁻¹).
    """
    d = as_site_design(data)
    if published is None:
        published = getattr(data, "table4", None)
        if published is None:
            raise InputError(message("published", "a table with `dust_t_per_a` per scenario", "None",
                                     "pass published=... (e.g. dashihe().table4)"))
    check_table_columns(published, ["dust_t_per_a"], name="published")
    specs = standard_scenarios(d, **scenario_kwargs)
    scenarios = list(scenarios)
    missing = sorted((set(scenarios) - set(specs)) | (set(scenarios) - set(published.index)))
    if missing:
        raise ConfigError(message("scenarios", "scenarios present in both the standard set and `published`",
                                  f"missing {missing}", "choose scenarios from both tables"))
    x = np.array([_daily_dust_kg(d, specs[k]) for k in scenarios])
    y = published.loc[scenarios, "dust_t_per_a"].to_numpy(dtype=float)
    out = pd.Series(1000.0 * y / x, index=scenarios, name="leaf_on_days")
    out["pooled"] = 1000.0 * float((x * y).sum() / (x * x).sum())
    return out


def stand_areas(source, *, column: str = "stand", names: Mapping[int, str] | None = None) -> pd.Series:
    """Area (hm²) of each stand from stand polygons or a labelled stand raster. Computes.

    Parameters
    ----------
    source : geopandas.GeoDataFrame or xarray.DataArray
        Polygons with a ``column`` of stand names in a projected CRS (metres), or an integer
        raster of stand labels with ``.rio.nodata`` set (cells of nodata are skipped).
    column : str, default "stand"
        Stand-name column of the polygons.
    names : mapping, optional
        Raster label → stand name; labels not in it keep their integer value.

    Returns
    -------
    pandas.Series
        Stand → area in hm² (1 hm² = 10⁴ m²).

    Raises
    ------
    CRSError
        No CRS or a geographic CRS.
    ConfigError
        The polygon table lacks ``column``.

    Notes
    -----
    Raster: :math:`A_s = n_s\\,|a\\,e| / 10^4`; polygons: :math:`A_s = \\sum \\text{area}/10^4`.
    """
    import xarray as xr

    if isinstance(source, xr.DataArray):
        from ..core.grid import cell_area_m2
        from ..core.validate import check_raster

        check_raster(source, name="stands", kind="categorical", projected=True)
        cell = cell_area_m2(source, name="stands")
        data = materialize(source)
        labels, counts = np.unique(np.asarray(data), return_counts=True)
        nod = source.rio.nodata
        keep = labels != nod if nod is not None else np.ones(labels.shape, bool)
        idx = [names.get(int(v), int(v)) if names else int(v) for v in labels[keep]]
        return pd.Series(counts[keep] * cell / 1e4, index=pd.Index(idx, name="stand"), name="area_hm2")
    if hasattr(source, "geometry"):
        if source.crs is None or source.crs.is_geographic:
            raise CRSError(message("stands", "polygons in a projected CRS (metres)",
                                   f"CRS {source.crs}", "reproject with stands.to_crs(epsg=...) first"))
        if column not in source.columns:
            raise ConfigError(message("stands", f"a `{column}` column of stand names",
                                      f"columns {list(source.columns)}", "pass column=... naming the stand column"))
        area = source.geometry.area / 1e4
        out = area.groupby(source[column]).sum()
        out.index.name = "stand"
        return out.rename("area_hm2")
    raise InputError(message("stands", "a GeoDataFrame of stand polygons or a labelled stand raster",
                             type(source).__name__, "read it with rp.io.read_vector or rp.io.read_raster"))
