"""The Sun et al. (2025) chain in one call: supply/demand → trend → coupling → potential areas → FUI index → tiers.

The chain is a composition of registered steps (``restoreplan describe STEP``)::

    lulc_matrix (lulc series, labels = groups + total) → trend (stack = lulc_matrix.balance, one per group)
    → coupling (u1 = supply, u2 = demand, standardize) → potential_areas
    → priority_index (drivers + balance, trend slope, supply; mask = potential_areas.mask)
    → priority_tiers (+ esv per group) → morans_i, sensitivity → aco (optional)

:func:`supply_demand_zoning_steps` writes these steps as a study's ``[[steps]]``;
:func:`supply_demand_zoning` runs them on in-memory rasters with the study runner
(:func:`restoreplan.pipeline.runner.run_in_memory`), so a study file listing the same steps
(``examples/wuhan_supply_demand_zoning.toml``) gives the same results. Every step's result is
computed once, as in a study run, and its seconds recorded.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, message
from ..mcda.index import FUI_DIMENSIONS

__all__ = ["SUPPLY_DEMAND_ZONING_GROUPS", "XIE2015_GROUPS", "ChainResult", "SupplyDemandZoningResult", "esv_by_group",
           "select_service", "supply_demand_zoning", "supply_demand_zoning_steps"]

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

    @classmethod
    def run(cls, steps: list[dict], data: Mapping, *, seed: int, name: str):
        """Run ``steps`` (study ``[[steps]]`` dicts) on ``data`` with the study runner.

        Returns a result without products whose ``timings`` are the seconds per step id, and the
        step results by id (to be arranged into ``products`` by the caller).
        """
        from ..pipeline.runner import run_in_memory

        results, manifest = run_in_memory(steps, dict(data), seed=seed, name=name)
        return cls(timings={rec["id"]: round(rec["seconds"], 3) for rec in manifest.data["steps"]}), results

    def timing_table(self) -> pd.DataFrame:
        """Seconds per step, in order, with the total."""
        df = pd.DataFrame({"step": list(self.timings), "seconds": list(self.timings.values())})
        return pd.concat([df, pd.DataFrame({"step": ["total"], "seconds": [df["seconds"].sum()]})],
                         ignore_index=True)


@dataclass
class SupplyDemandZoningResult(ChainResult):
    """Products of :func:`supply_demand_zoning` (``products``) and seconds per step (``timings``)."""



#: driver name of :func:`supply_demand_zoning` → input of the ``priority_index`` step
_FUI_DRIVERS = {"population": "population", "distance_to_road": "distance_to_road", "gdp": "gdp",
                "elevation": "elevation", "dem": "elevation", "slope": "slope"}


def supply_demand_zoning_steps(*, drivers: Sequence[str] = ("population", "distance_to_road", "gdp", "elevation",
                                                            "slope"),
                               groups: bool = True, ndvi: bool = False, esv: bool = False,
                               esv_groups: Mapping[str, str] | str | None = None, ndvi_mode: str = "none",
                               ndvi_reference=None, index_groups: Sequence[str] = SUPPLY_DEMAND_ZONING_GROUPS,
                               trend_time: str = "index", classify_by: str = "f_test",
                               trend_classes: Sequence[int] = (-2,), d_threshold: float = 0.4, combine: str = "any",
                               exclude_classes: Sequence[int] = (5,), cuts: Sequence[float] = (5, 15, 30, 45, 100),
                               moran: bool = True, sensitivity: bool = True, aco_block: int | None = None,
                               aco_options: Mapping | None = None, seed: int = 0) -> list[dict]:
    """The study ``[[steps]]`` of the Sun et al. (2025) chain, as dicts (``id``, ``method``, ``inputs``, ``params``).

    The inputs reference the names ``lulc`` (land-use series), ``supply_table``, ``demand_table``,
    ``groups`` (with ``groups=True``), ``ndvi`` (``ndvi=True``), ``esv`` (``esv=True``) and the
    ``drivers`` (inputs of ``priority_index``: population, distance_to_road, gdp, elevation, slope).
    The other arguments are those of :func:`supply_demand_zoning`. Step ids are the method names.
    """
    index_groups = list(index_groups)
    labels = list(dict.fromkeys(index_groups + ["total"]))
    bad = [d for d in drivers if d not in _FUI_DRIVERS]
    if bad:
        raise ConfigError(message("drivers", f"feasibility indicators among {sorted(set(_FUI_DRIVERS))}", f"{bad}",
                                  "rename them, or drop them"))
    mat = {"lulc": "lulc", "supply_table": "supply_table", "demand_table": "demand_table"}
    mat |= {"groups": "groups"} if groups else {}
    mat |= {"ndvi": "ndvi"} if ndvi else {}
    matrix_params = {"ndvi_mode": ndvi_mode, "labels": labels}
    matrix_params |= {"ndvi_reference": ndvi_reference} if ndvi_reference is not None else {}
    potential = {"balance": "lulc_matrix.balance", "coordination": "coupling.d", "lulc": "lulc"}
    potential |= {"trend_class": "trend.trend_class"} if "total" in index_groups else {}
    index_inputs = {_FUI_DRIVERS[d]: d for d in drivers}
    index_inputs |= {"balance": "lulc_matrix.balance", "balance_trend": "trend.slope", "supply": "lulc_matrix.supply",
                     "mask": "potential_areas.mask"}
    tiers = {"index": "priority_index.index", "mask": "potential_areas.mask"} | ({"esv": "esv"} if esv else {})
    tier_params = {"cuts": list(cuts)} | ({"esv_groups": esv_groups} if esv and esv_groups is not None else {})
    steps = [
        {"id": "lulc_matrix", "method": "lulc_matrix", "inputs": mat, "params": matrix_params},
        {"id": "trend", "method": "trend", "inputs": {"stack": "lulc_matrix.balance"},
         "params": {"time": trend_time, "classify_by": classify_by, "service": index_groups}},
        {"id": "coupling", "method": "coupling", "inputs": {"u1": "lulc_matrix.supply", "u2": "lulc_matrix.demand"},
         "params": {"standardize": True, "service": "total"}},
        {"id": "potential_areas", "method": "potential_areas", "inputs": potential,
         "params": {"trend_classes": list(trend_classes), "d_threshold": d_threshold, "combine": combine,
                    "exclude_classes": list(exclude_classes), "service": "total"}},
        {"id": "priority_index", "method": "priority_index", "inputs": index_inputs,
         "params": {"groups": index_groups}},
        {"id": "priority_tiers", "method": "priority_tiers", "inputs": tiers, "params": tier_params},
    ]
    if moran:
        steps.append({"id": "morans_i", "method": "morans_i", "inputs": {"x": "lulc_matrix.balance"},
                      "params": {"service": "total"}})
    if sensitivity:
        steps.append({"id": "sensitivity", "method": "sensitivity",
                      "inputs": {"lulc": "lulc", "coefficients": "supply_table", "subtract": "demand_table"}})
    if aco_block:
        steps.append({"id": "aco", "method": "aco", "inputs": {"index": "priority_index.index",
                                                               "mask": "potential_areas.mask"},
                      "params": {"block": int(aco_block), "cuts": [c for c in cuts if c < 100], "seed": seed,
                                 **dict(aco_options or {})}})
    return steps


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

    The steps are those of :func:`supply_demand_zoning_steps`, run by the study runner.

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use with a ``time`` dim (≥ 3 years), codes of the tables (e.g. 6 classes).
    supply_table, demand_table, groups
        Score matrices of ``lulc_matrix`` and the service → group table (``package:es_*``).
    drivers : mapping
        Feasibility indicators on the grid of ``lulc``: any of ``population``, ``distance_to_road``,
        ``gdp``, ``elevation`` (or ``dem``), ``slope``; None values are left out (the index drops
        missing ones with an ``AssumptionWarning``); other names are a ``ConfigError``.
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
        Parameters of the ``aco`` step (e.g. ``n_iter``, ``n_ants``, ``patience``).
    seed : int
        Seed of the ACO.

    Returns
    -------
    SupplyDemandZoningResult
        ``products``: matrix, trend, coupling, potential, potential_table, indicators, index,
        weights, tiers, tier_table, [moran, sensitivity, aco_tiers, aco_table]; ``timings``:
        seconds per step.
    """
    from ..priority.steps import _indicators

    if "time" not in lulc.dims or lulc.sizes["time"] < 3:
        raise ConfigError(message("lulc", "a land-use series with a `time` dim of ≥ 3 years",
                                  f"dims {dict(lulc.sizes)}", "stack the years (layer reference without @year)"))
    given = {k: v for k, v in drivers.items() if v is not None}
    steps = supply_demand_zoning_steps(
        drivers=list(given), groups=groups is not None, ndvi=ndvi is not None, esv=esv is not None,
        esv_groups=None if esv_groups is None else dict(esv_groups), ndvi_mode=ndvi_mode,
        ndvi_reference=ndvi_reference, index_groups=index_groups, trend_time=trend_time, classify_by=classify_by,
        trend_classes=trend_classes, d_threshold=d_threshold, combine=combine, exclude_classes=exclude_classes,
        cuts=cuts, moran=moran, sensitivity=sensitivity, aco_block=aco_block, aco_options=aco_options, seed=seed)
    data = {"lulc": lulc, "supply_table": supply_table, "demand_table": demand_table, **given}
    data |= {k: v for k, v in (("groups", groups), ("ndvi", ndvi), ("esv", esv)) if v is not None}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\[priority_index\] priority_index: indicator")
        res, R = SupplyDemandZoningResult.run(steps, data, seed=seed, name="supply_demand_zoning")
    P = res.products
    P["matrix"] = xr.Dataset(dict(R["lulc_matrix"]))
    P["trend"], P["coupling"] = xr.Dataset(R["trend"]), xr.Dataset(R["coupling"])
    P["potential"] = xr.Dataset({k: R["potential_areas"][k] for k in ("mask", "reason")})
    P["potential_table"] = R["potential_areas"]["table"]
    ind = {_FUI_DRIVERS[k]: v for k, v in given.items()}
    P["indicators"] = _indicators(**{d: ind.get(d) for d in ("population", "distance_to_road", "gdp", "elevation",
                                                              "slope")},
                                  balance=P["matrix"]["balance"], balance_trend=P["trend"]["slope"],
                                  supply=P["matrix"]["supply"], groups=list(index_groups))
    P["index"], P["weights"] = R["priority_index"]["index"], R["priority_index"]["weights"]
    P["missing_indicators"] = [k for names in FUI_DIMENSIONS.values() for k in names if k not in P["indicators"]]
    P["tiers"], P["tier_table"] = R["priority_tiers"]["tiers"], R["priority_tiers"]["table"]
    if moran:
        P["moran"] = R["morans_i"]
    if sensitivity:
        P["sensitivity"] = R["sensitivity"]
    if aco_block:
        P["aco_tiers"], P["aco_table"] = R["aco"]["tiers"], R["aco"]["comparison"]
    return res
