"""Registry entries of :mod:`restoreplan.analysis`: trend, coupling, morans_i,
sensitivity and the whole Sun et al. (2025) chain.

Inputs from ``lulc_matrix`` / ``esv`` carry a ``service`` dim (services, groups, ``total``); the
``service`` parameter picks one label.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..pipeline.registry import Input, Params, register
from .chain import SUPPLY_DEMAND_ZONING_GROUPS, XIE2015_GROUPS, supply_demand_zoning, select_service
from .coupling import coupling
from .sensitivity import es_total_sensitivity
from .spatial_stats import morans_i
from .trend import trend

_BACKENDS = ("numpy", "dask")
_SERVICE = Field("total", description="label of the `service` dim to use when the input has one "
                                      "(a service, a group such as 'regulating', or 'total')")


# ---------------------------------------------------------------- trend
class TrendParams(Params):
    """Parameters of ``trend``."""

    time: Literal["index", "coord"] = Field(
        "index", description="abscissa: 1..n (Sun et al. 2025; slope per step) or the year coordinate (slope per year)")
    alpha: float = Field(0.05, gt=0, lt=1, description="significance level of the F test",
                         json_schema_extra={"units": "1"})
    classify_by: Literal["f_test", "sign"] = Field(
        "f_test", description="f_test: ±2 where F > F_crit(1, n−2); sign: classes −1/0/1 only (n = 3 has no power)")
    service: str | tuple[str, ...] = Field("total", description="label(s) of the `service` dim to use when the input "
                                           "has one (a service, a group such as 'regulating', or 'total'); a list "
                                           "gives one trend per label along a `group` dim")


@register("trend", params=TrendParams, group="analysis",
          inputs=(Input("stack", "any", "values per year: a layer with several years, or a step result with a time dim"),),
          outputs=("slope", "f", "p", "trend_class"),
          formula="slope = [nΣty − ΣtΣy]/[nΣt² − (Σt)²]; F = r²(n−2)/(1−r²) ~ F(1, n−2); classes ±2/±1/0",
          backends=_BACKENDS, units={"slope": "units/step", "f": "1", "p": "1", "trend_class": "class"},
          example={"inputs": {"stack": "ndvi"}, "params": {"time": "index", "classify_by": "f_test"}})
def trend_step(stack, *, time="index", alpha=0.05, classify_by="f_test", service="total"):
    """Per-pixel ordinary least-squares trend, F test and five trend classes of a time stack."""
    ds = trend(select_service(stack, service), time=time, alpha=alpha, classify_by=classify_by)
    return {k: ds[k] for k in ds.data_vars}


# ---------------------------------------------------------------- coupling
class CouplingParams(Params):
    """Parameters of ``coupling``."""

    standardize: bool = Field(True, description="min-max u1 and u2 first, pooled over all dims (years together)")
    weight_supply: float = Field(0.5, ge=0, le=1, description="a in T = a·u1 + (1 − a)·u2 (Sun et al. 2025: 0.5)",
                                 json_schema_extra={"units": "1"})
    c_scheme: Literal["sun2025", "common"] = Field("sun2025", description="C stage breaks 0.3/0.6/0.8 or 0.3/0.5/0.8")
    d_scheme: Literal["sun2025", "ten_class"] = Field("sun2025", description="D classes of Sun et al. (2025) Table 2 or 10 classes")
    service: str = _SERVICE


@register("coupling", params=CouplingParams, group="analysis",
          inputs=(Input("u1", "any", "ES supply (raw with standardize=true, else in [0, 1])"),
                  Input("u2", "any", "ES demand, same grid")),
          outputs=("c", "t", "d", "c_class", "d_class"),
          formula="C = 2√(u1·u2)/(u1 + u2) (n·[Πu/(Σu)^n]^(1/n)); T = a·u1 + b·u2; D = √(C·T)",
          backends=_BACKENDS, units={"c": "1", "t": "1", "d": "1", "c_class": "class", "d_class": "class"},
          example={"inputs": {"u1": "lulc_matrix.supply", "u2": "lulc_matrix.demand"},
                   "params": {"standardize": True, "service": "total"}})
def coupling_step(u1, u2, *, standardize=True, weight_supply=0.5, c_scheme="sun2025", d_scheme="sun2025",
                  service="total"):
    """Coupling degree C and coupling coordination degree D of ecosystem service supply and demand, with classes."""
    ds = coupling(select_service(u1, service), select_service(u2, service), standardize=standardize,
                  weights=(weight_supply, 1.0 - weight_supply), c_scheme=c_scheme, d_scheme=d_scheme)
    return {k: ds[k] for k in ds.data_vars}


# ---------------------------------------------------------------- Moran's I
class MoransIParams(Params):
    """Parameters of ``morans_i``."""

    contiguity: Literal["queen", "rook"] = Field("queen", description="8- or 4-neighbour contiguity of valid cells")
    transform: Literal["r", "b"] = Field("r", description="row-standardized (r, as esda) or binary (b) weights")
    alternative: Literal["two-sided", "greater", "less"] = Field("two-sided", description="alternative of the p-value")
    service: str = _SERVICE


@register("morans_i", params=MoransIParams, group="analysis",
          inputs=(Input("x", "any", "raster (one row per slice of any extra dim, e.g. time)"),),
          outputs=("table",),
          formula="I = (N/W)·Σ_ij w_ij z_i z_j/Σ z_i²; z-score under normality (Cliff & Ord 1981)",
          units={"table": "1"},
          example={"inputs": {"x": "lulc_matrix.balance"}, "params": {"contiguity": "queen", "transform": "r"}})
def morans_i_step(x, *, contiguity="queen", transform="r", alternative="two-sided", service="total"):
    """Global Moran's I of a raster on queen/rook contiguity, with z and p under normality."""
    return morans_i(select_service(x, service), contiguity=contiguity, transform=transform, alternative=alternative)


# ---------------------------------------------------------------- sensitivity
class SensitivityParams(Params):
    """Parameters of ``sensitivity``."""

    change: float = Field(0.5, gt=0, le=1, description="relative change of each class's coefficients (±)",
                          json_schema_extra={"units": "1"})


@register("sensitivity", params=SensitivityParams, group="analysis",
          inputs=(Input("lulc", "categorical", "land use of one year (class areas in hm²); of a series, the last year"),
                  Input("coefficients", "table", "per-class values (lucode + value columns: yuan/hm²/a or scores)"),
                  Input("subtract", "table", "per-class values subtracted (e.g. demand scores → total balance)",
                        optional=True)),
          outputs=("table",),
          formula="CS_k = [(Y_adj − Y0)/Y0]/[(V_adj,k − V_k)/V_k], Y = Σ_k A_k ΣV_k (− Σ_k A_k ΣD_k)",
          units={"table": "1"},
          example={"inputs": {"lulc": "lulc@2020", "coefficients": "package:es_supply_matrix_6class",
                              "subtract": "package:es_demand_matrix_6class"},
                   "params": {"change": 0.5}})
def sensitivity_step(lulc, coefficients, subtract=None, *, change=0.5):
    """Sensitivity coefficient of a total (ecosystem service value, supply or balance) to ±50 % per-class coefficients."""
    if "time" in lulc.dims:
        lulc = lulc.isel(time=-1, drop=True)
    keep = _coefficient_columns(coefficients)
    return es_total_sensitivity(lulc, coefficients[keep], subtract=None if subtract is None else subtract[keep],
                                change=change)


def _coefficient_columns(table) -> list[str]:
    """``lucode`` and the numeric value columns of a per-class table (labels such as ``class_name`` left out)."""
    import pandas as pd

    values = [c for c in table.columns if c not in ("lucode", "class_name") and pd.api.types.is_numeric_dtype(table[c])]
    return ["lucode"] + values if "lucode" in table.columns else values


# ---------------------------------------------------------------- the whole chain
class SupplyDemandZoningParams(Params):
    """Parameters of ``supply_demand_zoning``."""

    ndvi_mode: Literal["none", "region", "pixel"] = Field("none", description="NDVI correction of supply (as in lulc_matrix)")
    ndvi_reference: float | None = Field(None, gt=0, description="national mean NDVI (ndvi_mode region/pixel)",
                                         json_schema_extra={"units": "NDVI"})
    index_groups: tuple[str, ...] = Field(SUPPLY_DEMAND_ZONING_GROUPS, description="ES groups with one priority index each")
    classify_by: Literal["f_test", "sign"] = Field("f_test", description="trend classes by F test or by sign")
    trend_classes: tuple[int, ...] = Field((-2,), description="trend classes counted as a significant decrease by the potential-area rules")
    d_threshold: float = Field(0.4, ge=0, le=1, description="disorder where D ≤ this",
                               json_schema_extra={"units": "1"})
    combine: Literal["any", "all"] = Field("any", description="union or intersection of the potential-area rules")
    exclude_classes: tuple[int, ...] = Field((5,), description="land-use codes never counted as potential areas "
                                             "(5: construction land, irreversible; [] keeps every class)")
    cuts: tuple[float, ...] = Field((5, 15, 30, 45, 100), description="tier cuts, % of the potential area",
                                    json_schema_extra={"units": "percent"})
    esv_groups: Literal["total", "xie2015"] = Field(
        "xie2015", description="tier benefits per ES group from the services of an equivalent-factor ESV (Xie 2015 services "
                               "→ groups; supporting counted as regulating) or the total ESV for every group")
    aco_block: int | None = Field(None, ge=1, description="run nested ACO tiers on blocks of this many cells "
                                                          "per side (None: skip ACO)",
                                  json_schema_extra={"units": "cells"})
    aco_iterations: int = Field(100, ge=1, le=10000, description="ACO iterations (with aco_block)")
    seed: int = Field(0, ge=0, description="random seed of the ACO")


@register("supply_demand_zoning", params=SupplyDemandZoningParams, group="analysis",
          inputs=(Input("lulc", "series", "land use, ≥ 3 years (codes of the tables)"),
                  Input("supply_table", "table", "supply score matrix (land-use class × service)"),
                  Input("demand_table", "table", "demand score matrix (land-use class × service)"),
                  Input("groups", "table", "service, group", optional=True),
                  Input("ndvi", "any", "NDVI (one year or all years) for the NDVI correction of supply", optional=True),
                  Input("population", "continuous", "population density (+)", optional=True),
                  Input("distance_to_road", "continuous", "distance to road, m (−)", optional=True),
                  Input("gdp", "continuous", "GDP density (+)", optional=True),
                  Input("dem", "continuous", "elevation, m (−)", optional=True),
                  Input("slope", "continuous", "slope, degrees (−)", optional=True),
                  Input("esv", "any", "ES value per cell (yuan/a) for the tier benefits", optional=True)),
          outputs=("balance_slope", "trend_class", "coupling_d", "d_class", "potential_mask", "potential_reason",
                   "potential_table", "priority_index", "weights", "priority_tier", "tier_table", "moran",
                   "sensitivity", "timings", "aco_tier", "aco_table"),
          formula="supply/demand matrices → trend → coupling → potential areas → priority index (entropy, 4 groups) "
                  "→ top-x % tiers (+ ACO zoning) → Moran's I, sensitivity",
          example={"inputs": {"lulc": "lulc", "supply_table": "package:es_supply_matrix_6class",
                              "demand_table": "package:es_demand_matrix_6class", "groups": "package:es_service_groups",
                              "population": "population", "distance_to_road": "distance_to_road", "gdp": "gdp",
                              "dem": "dem", "slope": "slope", "esv": "esv.esv"},
                   "params": {"classify_by": "f_test", "aco_block": 25, "aco_iterations": 30}})
def supply_demand_zoning_step(lulc, supply_table, demand_table, groups=None, ndvi=None, population=None,
                       distance_to_road=None, gdp=None, dem=None, slope=None, esv=None, *, ndvi_mode="none",
                       ndvi_reference=None, index_groups=SUPPLY_DEMAND_ZONING_GROUPS, classify_by="f_test",
                       trend_classes=(-2,), d_threshold=0.4, combine="any", exclude_classes=(5,),
                       cuts=(5, 15, 30, 45, 100), esv_groups="xie2015", aco_block=None, aco_iterations=100, seed=0):
    """Supply–demand restoration zoning (Sun et al. 2025): supply/demand, trend, coupling, potential areas, feasibility–urgency–importance index, tiers (+ ant colony zoning)."""
    drivers = {"population": population, "distance_to_road": distance_to_road, "gdp": gdp, "elevation": dem,
               "slope": slope}
    res = supply_demand_zoning(lulc, supply_table=supply_table, demand_table=demand_table, groups=groups,
                        drivers=drivers, esv=esv, esv_groups=XIE2015_GROUPS if esv_groups == "xie2015" else None,
                        ndvi=ndvi, ndvi_mode=ndvi_mode, ndvi_reference=ndvi_reference,
                        index_groups=index_groups, classify_by=classify_by, trend_classes=trend_classes,
                        d_threshold=d_threshold, combine=combine, exclude_classes=exclude_classes, cuts=cuts,
                        aco_block=aco_block,
                        aco_options={"n_iter": aco_iterations, "patience": max(10, aco_iterations // 3)},
                        seed=seed)
    p = res.products
    out = {"balance_slope": p["trend"]["slope"], "trend_class": p["trend"]["trend_class"],
           "coupling_d": p["coupling"]["d"], "d_class": p["coupling"]["d_class"],
           "potential_mask": p["potential"]["mask"], "potential_reason": p["potential"]["reason"],
           "potential_table": p["potential_table"], "priority_index": p["index"], "weights": p["weights"],
           "priority_tier": p["tiers"], "tier_table": p["tier_table"], "moran": p["moran"],
           "sensitivity": p["sensitivity"].reset_index(), "timings": res.timing_table()}
    if "aco_tiers" in p:
        out["aco_tier"] = p["aco_tiers"]
        out["aco_table"] = p["aco_table"]
    return out
