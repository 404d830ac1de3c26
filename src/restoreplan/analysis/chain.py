"""The Sun et al. (2025) chain in one call: supply/demand → trend → coupling → potential areas → FUI index → tiers.

Study-file recipe (the same chain as separate registered steps; ``restoreplan describe STEP``)::

    lulc_matrix (lulc series) → trend (stack = lulc_matrix.balance, service "total")
    → coupling (u1 = supply, u2 = demand, standardize) → potential_areas
    → priority_index (drivers + balance, trend slope, supply; mask = potential_areas.mask)
    → priority_tiers (+ esv) → aco (optional) → morans_i, sensitivity

:func:`supply_demand_zoning` runs it on in-memory rasters and records the seconds of every step.
Intermediate results are computed (``.load()``) so that the timings mean something.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, LowPowerWarning, message

__all__ = ["SUPPLY_DEMAND_ZONING_GROUPS", "XIE2015_GROUPS", "SupplyDemandZoningResult", "esv_by_group",
           "select_service", "supply_demand_zoning"]

SUPPLY_DEMAND_ZONING_GROUPS: tuple[str, ...] = ("provisioning", "regulating", "cultural", "total")

#: Xie et al. (2015) services → Sun et al.'s (2025) three ES groups. Xie's supporting services (soil conservation,
#: nutrient cycling, biodiversity) are counted as regulating (**assumption — parameter**).
XIE2015_GROUPS: dict[str, str] = {
    "food_production": "provisioning", "raw_material": "provisioning", "water_supply": "provisioning",
    "gas_regulation": "regulating", "climate_regulation": "regulating", "purify_environment": "regulating",
    "hydrological_regulation": "regulating", "soil_conservation": "regulating", "nutrient_cycling": "regulating",
    "biodiversity": "regulating", "aesthetic_landscape": "cultural",
}


def select_service(da: xr.DataArray, service: str | Sequence[str] | None, *, dim: str = "group") -> xr.DataArray:
    """Pick label(s) of the ``service`` dim of a ``lulc_matrix`` or ``esv`` result; a list becomes the dim ``dim``."""
    if service is None or "service" not in da.dims:
        return da
    labels = list(da["service"].values)
    wanted = [service] if isinstance(service, str) else list(service)
    missing = [s for s in wanted if s not in labels]
    if missing:
        raise ConfigError(message("service", f"labels of the `service` dim ({labels})", f"{missing}",
                                  "pick existing services or groups, e.g. 'total'"))
    if isinstance(service, str):
        return da.sel(service=service, drop=True).drop_vars("level", errors="ignore")
    out = da.sel(service=wanted).drop_vars("level", errors="ignore").rename(service=dim)
    return out.transpose(dim, ...)


_SUM = "__group_sum"


def _group_tables(supply_table, demand_table, groups, labels):
    """Supply/demand tables with one column per ES group (the sum of its services), or None.

    Used when only group and total labels are needed; None when ``labels`` name single services.
    """
    if groups is None:
        return None
    from ..services.matrix import code_table, service_groups

    st, dt = code_table(supply_table, name="supply_table"), code_table(demand_table, name="demand_table")
    g = service_groups(groups, st)
    names = list(dict.fromkeys(g.values()))
    if not set(labels) <= set(names) | {"total"}:
        return None
    out = []
    for t in (st, dt):
        miss = [s for s in g if s not in t.columns]
        if miss:
            return None
        out.append(pd.DataFrame({f"{n}{_SUM}": t[[s for s, gg in g.items() if gg == n]].sum(axis=1) for n in names},
                                index=t.index))
    return out[0], out[1]


def esv_by_group(esv: xr.DataArray, groups: Mapping[str, str] = XIE2015_GROUPS,
                 labels: Sequence[str] = SUPPLY_DEMAND_ZONING_GROUPS, *, dim: str = "group") -> xr.DataArray:
    """ESV summed per ES group along a new ``dim`` (``total`` = the ``total`` label of ``esv``). Lazy.

    ``esv`` is a result of the ``esv`` method with a ``service`` dim; ``groups`` maps its services to groups.
    """
    if "service" not in esv.dims:
        raise ConfigError(message("esv", "an ESV raster with a `service` dim (a result of the `esv` method)", f"dims {esv.dims}",
                                  "pass the output of rp.services.esv.esv"))
    have = [str(s) for s in esv["service"].values]
    parts = []
    for g in labels:
        if g == "total" and "total" in have:
            parts.append(esv.sel(service="total", drop=True))
            continue
        members = [s for s, gg in groups.items() if gg == g and s in have]
        if not members:
            raise ConfigError(message("groups", f"services of `esv` mapped to group {g!r}", "none",
                                      f"map some of {have} to {g!r}"))
        parts.append(esv.sel(service=members).sum("service"))
    out = xr.concat([p.drop_vars("level", errors="ignore") for p in parts], dim=pd.Index(list(labels), name=dim),
                    coords="minimal", compat="override")
    out.attrs = dict(esv.attrs)
    return out


@dataclass
class ChainResult:
    """Products of a multi-step chain (``products``) and seconds per step (``timings``)."""

    products: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.products[key]

    def timed(self, label: str, fn, *args, **kwargs):
        """``fn(*args, **kwargs)``, its wall-clock seconds recorded as ``timings[label]``."""
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.timings[label] = round(time.perf_counter() - t0, 3)
        return out

    def timing_table(self) -> pd.DataFrame:
        """Seconds per step, in order, with the total."""
        df = pd.DataFrame({"step": list(self.timings), "seconds": list(self.timings.values())})
        return pd.concat([df, pd.DataFrame({"step": ["total"], "seconds": [df["seconds"].sum()]})],
                         ignore_index=True)


@dataclass
class SupplyDemandZoningResult(ChainResult):
    """Products of :func:`supply_demand_zoning` (``products``) and seconds per step (``timings``)."""


def _load(x):
    """Compute now (:func:`restoreplan.core.chunked.checkpoint`): dask-backed results are written to the
    spill folder of the run and read back lazily (or persisted when small and there is no spill folder)."""
    from ..core.chunked import checkpoint

    return checkpoint(x)


def supply_demand_zoning(lulc: xr.DataArray, *, supply_table: pd.DataFrame, demand_table: pd.DataFrame,
                  groups: pd.DataFrame | Mapping[str, str] | None = None,
                  drivers: Mapping[str, xr.DataArray], esv: xr.DataArray | None = None,
                  esv_groups: Mapping[str, str] | None = None,
                  ndvi: xr.DataArray | None = None, ndvi_mode: str = "none", ndvi_reference=None,
                  index_groups: Sequence[str] = SUPPLY_DEMAND_ZONING_GROUPS, trend_time: str = "index",
                  classify_by: str = "f_test", trend_classes: Sequence[int] = (-2,), d_threshold: float = 0.4,
                  combine: str = "any", exclude_classes: Sequence[int] = (5,),
                  cuts: Sequence[float] = (5, 15, 30, 45, 100),
                  moran: bool = True, sensitivity: bool = True, aco_block: int | None = None,
                  aco_options: Mapping | None = None, seed: int = 0) -> SupplyDemandZoningResult:
    """Run the Sun et al. (2025) chain (ten steps) on a land-use series and driver rasters.

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use with a ``time`` dim (≥ 3 years), codes of the tables (e.g. 6 classes).
    supply_table, demand_table, groups
        Score matrices of ``lulc_matrix`` and the service → group table (``package:es_*``).
    drivers : mapping
        Feasibility indicators on the grid of ``lulc``: any of ``population``, ``distance_to_road``,
        ``gdp``, ``elevation``, ``slope`` (missing ones are dropped with an ``AssumptionWarning``).
    esv : xarray.DataArray, optional
        ES value per cell (yuan a⁻¹) for the tier benefits: one raster for every group, one per
        group (a ``group`` dim), or an ``esv`` result with a ``service`` dim (reduced to ``total``, or
        summed per group with ``esv_groups``).
    esv_groups : mapping, optional
        ESV service → ES group, e.g. :data:`XIE2015_GROUPS`, for benefits per group.
    ndvi, ndvi_mode, ndvi_reference
        NDVI correction of ``lulc_matrix`` (default none).
    index_groups : sequence of str
        Services/groups of the ``service`` dim to build one priority index for (four scenarios).
    trend_time, classify_by, trend_classes, d_threshold, combine
        Options of :func:`~restoreplan.analysis.trend.trend` and
        :func:`~restoreplan.priority.potential.potential_areas`.
    exclude_classes : sequence of int
        Land-use codes (of ``lulc``, last year) never counted as potential areas (default (5,):
        construction land of the six-class scheme); ``()`` keeps every class.
    cuts : sequence of float
        Tier cuts.
    moran, sensitivity : bool
        Also compute Moran's I of the total balance per year and the table of sensitivity coefficients.
    aco_block : int, optional
        Run ACO tiers on the total index aggregated to blocks of ``aco_block`` × ``aco_block``
        cells (Sun et al. 2025 used a 1 km grid); None skips ACO.
    aco_options : mapping, optional
        Options of :func:`~restoreplan.optimize.solvers.aco.aco_select`.
    seed : int
        Seed of the ACO.

    Returns
    -------
    SupplyDemandZoningResult
        ``products``: matrix, trend, coupling, potential, potential_table, indicators, index,
        weights, tiers, tier_table, [moran, sensitivity, aco_tiers, aco_table]; ``timings``:
        seconds per step.
    """
    from ..mcda.index import FUI_DIMENSIONS, FUI_DIRECTIONS, priority_index
    from ..priority.potential import potential_area_table, potential_areas
    from ..priority.tiers import priority_tiers, tier_table
    from ..services.matrix import lulc_matrix
    from .coupling import coupling
    from .trend import trend

    if "time" not in lulc.dims or lulc.sizes["time"] < 3:
        raise ConfigError(message("lulc", "a land-use series with a `time` dim of ≥ 3 years",
                                  f"dims {dict(lulc.sizes)}", "stack the years (layer reference without @year)"))
    res = SupplyDemandZoningResult()
    P, timed = res.products, res.timed

    # 1 supply / demand / balance; only the labels used below are computed and kept
    def matrix():
        labels = list(dict.fromkeys(list(index_groups) + ["total"]))
        collapsed = _group_tables(supply_table, demand_table, groups, labels)
        if collapsed is None:
            m = lulc_matrix(lulc, supply_table=supply_table, demand_table=demand_table, groups=groups, ndvi=ndvi,
                            ndvi_mode=ndvi_mode, ndvi_reference=ndvi_reference)
        else:  # map group sums directly (the matrix method is linear in the scores): 4 labels instead of services + groups
            m = lulc_matrix(lulc, supply_table=collapsed[0], demand_table=collapsed[1], ndvi=ndvi,
                            ndvi_mode=ndvi_mode, ndvi_reference=ndvi_reference)
            m = m.assign_coords(service=[str(v).removesuffix(_SUM) for v in m["service"].values])
        return _load(xr.Dataset({k: m[k].sel(service=labels) for k in ("supply", "demand", "balance")}))

    mat = timed("lulc_matrix", matrix)
    P["matrix"] = mat
    total_bal = select_service(mat["balance"], "total")
    # 2-3 trend of the balance per group
    bal_groups = select_service(mat["balance"], list(index_groups))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LowPowerWarning)
        tr = timed("trend", lambda: _load(trend(bal_groups, time=trend_time, classify_by=classify_by)))
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    P["trend"] = tr
    # 4 coupling: u1 supply, u2 demand, min-max pooled over all years
    sup_t, dem_t = select_service(mat["supply"], "total"), select_service(mat["demand"], "total")
    cp = timed("coupling", lambda: _load(coupling(sup_t, dem_t, standardize=True)))
    P["coupling"] = cp
    last = {"time": -1}
    # 5 potential areas, last year, total ES
    pra = timed("potential_areas", lambda: _load(potential_areas(
        total_bal.isel(last, drop=True), tr["trend_class"].sel(group="total", drop=True) if "total" in index_groups
        else None, cp["d"].isel(last, drop=True), use_decrease="total" in index_groups,
        trend_classes=trend_classes, d_threshold=d_threshold, combine=combine, lulc=lulc.isel(last, drop=True),
        exclude_classes=exclude_classes)))
    P["potential"] = pra
    P["potential_table"] = potential_area_table(pra)
    # 6 FUI index with entropy weights, one per group
    ind = {k: v for k, v in drivers.items() if v is not None}
    if "dem" in ind and "elevation" not in ind:
        ind["elevation"] = ind.pop("dem")
    ind["balance"] = bal_groups.isel(last, drop=True)
    ind["balance_trend"] = tr["slope"]
    ind["supply"] = select_service(mat["supply"], list(index_groups)).isel(last, drop=True)
    P["indicators"] = ind
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="priority_index: indicator")
        index, weights = timed("priority_index", lambda: priority_index(
            ind, dimensions=FUI_DIMENSIONS, directions=FUI_DIRECTIONS, mask=pra["mask"], drop_missing=True,
            persist=True))
    index = timed("priority_index compute", lambda: _load(index))
    P["index"], P["weights"] = index, weights
    P["missing_indicators"] = [k for names in FUI_DIMENSIONS.values() for k in names if k not in ind]
    # 7 tiers and benefits
    tiers = timed("priority_tiers", lambda: priority_tiers(index, mask=pra["mask"], cuts=cuts))
    benefit = esv
    if benefit is not None and "service" in benefit.dims:
        benefit = (esv_by_group(benefit, esv_groups, list(index_groups)) if esv_groups is not None
                   else select_service(benefit, "total"))
    if benefit is not None and "time" in benefit.dims:
        benefit = benefit.isel(last, drop=True)
    P["tiers"] = tiers
    P["tier_table"] = timed("tier_table", lambda: tier_table(tiers, esv=benefit))
    # 8 Moran's I of the total balance
    if moran:
        from .spatial_stats import morans_i

        P["moran"] = timed("morans_i", lambda: morans_i(total_bal))
    # 9 sensitivity of the total balance of the last year to ±50 % supply scores
    if sensitivity:
        from .sensitivity import es_total_sensitivity

        services = [c for c in supply_table.columns if c not in ("lucode", "class_name")
                    and pd.api.types.is_numeric_dtype(supply_table[c])]
        keep = ["lucode"] + services if "lucode" in supply_table.columns else services
        P["sensitivity"] = timed("sensitivity", lambda: es_total_sensitivity(
            lulc.isel(last, drop=True), supply_table[keep], subtract=demand_table[keep]))
    # 10 ACO on an aggregated grid
    if aco_block:
        from ..priority.zoning import aco_on_blocks

        tot = index.sel(group="total", drop=True) if "group" in index.dims else index
        aco_t, aco_tab = timed("aco", lambda: aco_on_blocks(
            tot, mask=pra["mask"], block=int(aco_block), cuts=[c for c in cuts if c < 100],
            seed=seed, **dict(aco_options or {})))
        P["aco_tiers"], P["aco_table"] = aco_t, aco_tab
    return res
