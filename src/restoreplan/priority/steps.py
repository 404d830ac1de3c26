"""Registry entries of :mod:`restoreplan.priority` and the priority index: potential_areas,
entropy_weights and priority_index, priority_tiers and aco.

The demo's ``lulc_matrix`` example is one year, so the demo runs the ``potential_areas`` rules without the trend
rule here; ``supply_demand_zoning`` runs all three on the full series.
"""

from __future__ import annotations

import warnings
from typing import Literal

from pydantic import Field

from ..analysis.chain import SUPPLY_DEMAND_ZONING_GROUPS, XIE2015_GROUPS, esv_by_group, select_service
from ..core.errors import AssumptionWarning, message
from ..mcda.index import FUI_DIMENSIONS, FUI_DIRECTIONS, priority_index
from ..mcda.weights import entropy_weights
from ..pipeline.registry import Input, Params, register
from .potential import DEFAULT_EXCLUDE, potential_area_table, potential_areas
from .tiers import priority_tiers, tier_table
from .zoning import aco_on_blocks

_BACKENDS = ("numpy", "dask")


def _last(da):
    return da.isel(time=-1, drop=True) if da is not None and "time" in da.dims else da


# ---------------------------------------------------------------- potential areas
class PotentialParams(Params):
    """Parameters of ``potential_areas``."""

    use_deficit: bool = Field(True, description="rule 1: ES balance < balance_threshold")
    use_decrease: bool = Field(True, description="rule 2: trend class in trend_classes (significant decrease)")
    use_disorder: bool = Field(True, description="rule 3: coupling coordination D ≤ d_threshold")
    balance_threshold: float = Field(0.0, description="deficit threshold of the balance",
                                     json_schema_extra={"units": "score"})
    trend_classes: tuple[int, ...] = Field((-2,), description="trend classes counted as a decrease (−2; add −1 "
                                                              "for sign-only trends)")
    d_threshold: float = Field(0.4, ge=0, le=1, description="disorder where D ≤ this (0.4: moderate/extreme)",
                               json_schema_extra={"units": "1"})
    combine: Literal["any", "all"] = Field("any", description="union (assumption) or intersection of the rules")
    exclude_classes: tuple[int, ...] = Field(DEFAULT_EXCLUDE, description="land-use codes that are never potential "
                                             "areas (5: construction land, sealed and irreversible, Zhao et al. "
                                             "2023); needs the `lulc` input; [] keeps every class")
    service: str = Field("total", description="label of the `service` dim of the balance input")


@register("potential_areas", params=PotentialParams, group="priority",
          inputs=(Input("balance", "any", "ES balance; the last year is used", optional=True),
                  Input("trend_class", "any", "trend classes of the balance", optional=True),
                  Input("coordination", "any", "coupling coordination degree D; the last year", optional=True),
                  Input("lulc", "categorical", "land use of the same year: its `exclude_classes` are left out",
                        optional=True)),
          outputs=("mask", "reason", "table"),
          formula="PRA = [(balance < 0) ∪ (trend class = −2) ∪ (D ≤ 0.4)] ∖ (land use ∈ exclude_classes); "
                  "reason bits 1/2/4, 8 excluded",
          backends=_BACKENDS, units={"mask": "1", "reason": "bits", "table": "km2"},
          example={"inputs": {"balance": "lulc_matrix.balance", "coordination": "coupling.d", "lulc": "lulc@2020"},
                   "params": {"use_decrease": False}})
def potential_areas_step(balance=None, trend_class=None, coordination=None, lulc=None, *, use_deficit=True,
                         use_decrease=True, use_disorder=True, balance_threshold=0.0, trend_classes=(-2,),
                         d_threshold=0.4, combine="any", exclude_classes=DEFAULT_EXCLUDE, service="total"):
    """Potential restoration areas by Sun et al. (2025) Table 3 (deficit, significant decrease, disorder),
    without the land uses that cannot be restored (construction land by default)."""
    if lulc is None and exclude_classes:
        warnings.warn(message("potential_areas.inputs.lulc", "the land use, to leave out "
                              f"exclude_classes={list(exclude_classes)}", "no lulc input",
                              "add lulc = \"lulc@YEAR\" (otherwise built-up land counts as a potential area "
                              "and tops the priority tiers)"), AssumptionWarning, stacklevel=2)
    lulc = _last(lulc)
    if trend_class is not None and "group" in trend_class.dims:   # a trend of several labels (trend, service = [...])
        trend_class = trend_class.sel(group=service, drop=True)
    ds = potential_areas(
        _last(select_service(balance, service)) if balance is not None else None,
        _last(select_service(trend_class, service)) if trend_class is not None else None,
        _last(coordination), use_deficit=use_deficit and balance is not None,
        use_decrease=use_decrease and trend_class is not None,
        use_disorder=use_disorder and coordination is not None, balance_threshold=balance_threshold,
        trend_classes=trend_classes, d_threshold=d_threshold, combine=combine, lulc=lulc,
        exclude_classes=exclude_classes)
    return {"mask": ds["mask"], "reason": ds["reason"], "table": potential_area_table(ds)}


# ---------------------------------------------------------------- entropy weights and FUI index
_FUI_INPUTS = (
    Input("population", "continuous", "population density (+ feasibility)", optional=True),
    Input("distance_to_road", "continuous", "distance to road, m (− feasibility)", optional=True),
    Input("gdp", "continuous", "GDP density (+ feasibility)", optional=True),
    Input("elevation", "continuous", "elevation, m (− feasibility)", optional=True),
    Input("slope", "continuous", "slope (− feasibility)", optional=True),
    Input("balance", "any", "ES balance from lulc_matrix (− urgency); groups from its `service` dim", optional=True),
    Input("balance_trend", "any", "trend slope of the balance from trend (− urgency)", optional=True),
    Input("supply", "any", "ES supply from lulc_matrix (+ importance)", optional=True),
    Input("mask", "any", "domain, e.g. potential_areas.mask", optional=True),
)


def _indicators(population, distance_to_road, gdp, elevation, slope, balance, balance_trend, supply, groups):
    ind = {"population": population, "distance_to_road": distance_to_road, "gdp": gdp, "elevation": elevation,
           "slope": slope}
    for k, v in (("balance", balance), ("balance_trend", balance_trend), ("supply", supply)):
        if v is not None:
            ind[k] = _last(select_service(v, list(groups)))
    return {k: v for k, v in ind.items() if v is not None}


class EntropyWeightParams(Params):
    """Parameters of ``entropy_weights``."""

    epsilon: float = Field(0.0, ge=0, le=0.1, description="shift added to standardized values before the entropy",
                           json_schema_extra={"units": "1"})


@register("entropy_weights", params=EntropyWeightParams, group="mcda",
          inputs=_FUI_INPUTS, outputs=("table",),
          formula="x′ = minmax by direction; p = x′/Σx′; e = −Σ p ln p/ln n; w = (1 − e)/Σ(1 − e)",
          units={"table": "1"},
          example={"inputs": {"population": "population", "distance_to_road": "distance_to_road", "gdp": "gdp",
                              "elevation": "dem", "slope": "slope", "mask": "potential_areas.mask"},
                   "params": {"epsilon": 0.0}})
def entropy_weights_step(population=None, distance_to_road=None, gdp=None, elevation=None, slope=None,
                         balance=None, balance_trend=None, supply=None, mask=None, *, epsilon=0.0):
    """One-level entropy weights of the Sun et al. (2025) indicators over a domain."""
    ind = _indicators(population, distance_to_road, gdp, elevation, slope,
                      balance, balance_trend, supply, ["total"])
    ind = {k: (v.sel(group="total", drop=True) if "group" in v.dims else v) for k, v in ind.items()}
    return entropy_weights(ind, directions=FUI_DIRECTIONS, mask=mask, epsilon=epsilon).reset_index()


class PriorityIndexParams(Params):
    """Parameters of ``priority_index``."""

    groups: tuple[str, ...] = Field(SUPPLY_DEMAND_ZONING_GROUPS, description="labels of the `service` dim of balance/supply "
                                                               "with one index each (four scenarios)")
    levels: Literal[1, 2] = Field(2, description="2: indicator and dimension weights (Sun et al. 2025); 1: one level")
    epsilon: float = Field(0.0, ge=0, le=0.1, description="shift added to standardized values before the entropy",
                           json_schema_extra={"units": "1"})
    standardize_dimensions: bool = Field(False, description="min-max the dimension scores before the second level")


@register("priority_index", params=PriorityIndexParams, group="mcda",
          inputs=_FUI_INPUTS, outputs=("index", "weights"),
          formula="U_d = Σ_j w_j x′_j (entropy w within dimension d); index = Σ_d W_d U_d ∈ [0, 1]",
          backends=_BACKENDS, units={"index": "1", "weights": "1"},
          example={"inputs": {"population": "population", "distance_to_road": "distance_to_road", "gdp": "gdp",
                              "elevation": "dem", "slope": "slope", "balance": "lulc_matrix.balance",
                              "supply": "lulc_matrix.supply", "mask": "potential_areas.mask"},
                   "params": {"levels": 2}})
def priority_index_step(population=None, distance_to_road=None, gdp=None, elevation=None, slope=None, balance=None,
                        balance_trend=None, supply=None, mask=None, *, groups=SUPPLY_DEMAND_ZONING_GROUPS, levels=2,
                        epsilon=0.0, standardize_dimensions=False):
    """Feasibility–urgency–importance priority index with entropy weights, per ecosystem service group."""
    ind = _indicators(population, distance_to_road, gdp, elevation, slope, balance, balance_trend, supply, groups)
    idx, w = priority_index(ind, dimensions=FUI_DIMENSIONS if levels == 2 else None, directions=FUI_DIRECTIONS,
                            mask=mask, epsilon=epsilon, standardize_dimensions=standardize_dimensions,
                            drop_missing=True)
    return {"index": idx, "weights": w}


# ---------------------------------------------------------------- tiers
class TierParams(Params):
    """Parameters of ``priority_tiers``."""

    cuts: tuple[float, ...] = Field((5, 15, 30, 45, 100), description="cumulative cuts, % of the eligible area",
                                    json_schema_extra={"units": "percent"})
    service: str = Field("total", description="label of the `service` dim of the ESV input")
    esv_groups: Literal["xie2015"] | dict[str, str] | None = Field(
        None, description="benefits per ES group of the index's `group` dim: ESV services summed per group "
                          "('xie2015': Xie et al. 2015 services → groups, supporting counted as regulating; or "
                          "{service: group}); None: the `service` label of the ESV for every group")


@register("priority_tiers", params=TierParams, group="priority",
          inputs=(Input("index", "any", "priority index, optionally with a group dim"),
                  Input("mask", "any", "eligible cells (potential_areas.mask)", optional=True),
                  Input("esv", "any", "ES value per cell for the benefit table", optional=True)),
          outputs=("tiers", "table"),
          formula="rank by index (desc., stable row-major ties); tier t: n_{t−1} ≤ rank < round(cut_t·N/100)",
          units={"tiers": "tier", "table": "km2, yuan"},
          example={"inputs": {"index": "priority_index.index", "mask": "potential_areas.mask", "esv": "esv.esv"},
                   "params": {"cuts": [5, 15, 30, 45, 100]}})
def priority_tiers_step(index, mask=None, esv=None, *, cuts=(5, 15, 30, 45, 100), service="total", esv_groups=None):
    """Top-x % priority tiers with area and ecosystem service benefit per tier (layout of Sun et al. 2025, Table 5)."""
    t = priority_tiers(index, mask=mask, cuts=cuts)
    e = esv
    if e is not None and esv_groups is not None and "service" in e.dims:
        labels = [str(g) for g in index["group"].values] if "group" in index.dims else ["total"]
        e = esv_by_group(e, XIE2015_GROUPS if esv_groups == "xie2015" else esv_groups, labels)
        e = e.sel(group="total", drop=True) if "group" not in index.dims else e
    elif e is not None:
        e = select_service(e, service)
    return {"tiers": t, "table": tier_table(t, esv=_last(e))}


# ---------------------------------------------------------------- ACO zoning
class AcoParams(Params):
    """Parameters of ``aco``."""

    cuts: tuple[float, ...] = Field((5, 15, 30, 45), description="nested targets, % of the eligible area (< 100)",
                                    json_schema_extra={"units": "percent"})
    block: int = Field(10, ge=1, le=1000, description="cells per block side of the optimization grid "
                                                      "(Sun et al. 2025 used 1 km)", json_schema_extra={"units": "cells"})
    group: str = Field("total", description="label of the index's group dim to optimize")
    w_s: float = Field(0.7, ge=0, le=1, description="weight of the mean index in the objective",
                       json_schema_extra={"units": "1"})
    w_c: float = Field(0.3, ge=0, le=1, description="weight of compactness Σk/(8|S|) in the objective",
                       json_schema_extra={"units": "1"})
    n_ants: int = Field(30, ge=1, le=1000, description="ants per iteration",
                    json_schema_extra={"units": "ants"})
    n_iter: int = Field(300, ge=1, le=100000, description="maximum iterations",
                    json_schema_extra={"units": "iterations"})
    patience: int = Field(50, ge=1, description="stop after this many iterations without improvement",
                    json_schema_extra={"units": "iterations"})
    alpha: float = Field(1.0, ge=0, description="pheromone exponent α",
                    json_schema_extra={"units": "1"})
    beta: float = Field(2.0, ge=0, description="heuristic exponent β",
                    json_schema_extra={"units": "1"})
    rho: float = Field(0.1, gt=0, le=1, description="evaporation rate ρ",
                    json_schema_extra={"units": "1/iteration"})
    tau_min: float = Field(0.01, gt=0, description="MAX–MIN lower pheromone bound",
                    json_schema_extra={"units": "pheromone"})
    tau_max: float = Field(10.0, gt=0, description="MAX–MIN upper pheromone bound (τ₀)",
                    json_schema_extra={"units": "pheromone"})
    lam: float = Field(0.5, ge=0, description="λ of the heuristic η = index + λ·k/8",
                    json_schema_extra={"units": "1"})
    local_search: bool = Field(True, description="1-swap local search on the best solution")
    seed: int = Field(0, ge=0, description="random seed")


@register("aco", params=AcoParams, group="priority",
          inputs=(Input("index", "any", "priority index in [0, 1]"),
                  Input("mask", "any", "eligible cells (potential_areas.mask)", optional=True)),
          outputs=("tiers", "comparison"),
          formula="max U = w_s·mean index + w_c·Σk_c/(8|S|), |S| = N; P(c) ∝ τ^α (index + λk/8)^β; MAX–MIN ACO",
          units={"tiers": "tier", "comparison": "1"},
          example={"inputs": {"index": "priority_index.index", "mask": "potential_areas.mask"},
                   "params": {"block": 10, "n_iter": 40, "patience": 15, "n_ants": 20}})
def aco_step(index, mask=None, *, cuts=(5, 15, 30, 45), block=10, group="total", w_s=0.7, w_c=0.3, n_ants=30,
             n_iter=300, patience=50, alpha=1.0, beta=2.0, rho=0.1, tau_min=0.01, tau_max=10.0, lam=0.5,
             local_search=True, seed=0):
    """Nested ant colony optimization priority tiers on an aggregated grid, compared with the top-x % selection."""
    idx = index.sel(group=group, drop=True) if "group" in index.dims else index
    tiers, table = aco_on_blocks(idx, mask=mask, block=block, cuts=cuts, w_s=w_s, w_c=w_c, n_ants=n_ants,
                                 n_iter=n_iter, patience=patience, alpha=alpha, beta=beta, rho=rho,
                                 tau_min=tau_min, tau_max=tau_max, lam=lam, local_search=local_search, seed=seed)
    return {"tiers": tiers, "comparison": table}
