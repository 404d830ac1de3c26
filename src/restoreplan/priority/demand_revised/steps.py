"""Registry entries of the Zhao et al. (2023) chain: potential_decline, cost_index, marxan_priority,
priority_grades, demand_revision, aggregation_filter and demand_revised_priority.

The demo's service steps compute carbon for 2010 (``carbon.c_storage``) and 2020
(``carbon.c_storage_alt``), so the single-step examples run the chain for carbon storage;
``demand_revised_priority`` computes all three services for every year of the land-use series itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pandas as pd
import xarray as xr
from pydantic import Field, model_validator

from ...core.errors import ConfigError, message
from ...core.legend import get_scheme
from ...pipeline.registry import Input, Params, register
from ..cost import DEFAULT_RINGS_M, benefit_range, cost_index, demand_revised_unit_costs, indicator_scores
from ..decline import potential_decline
from ..grades import aggregation_filter, demand_revision, grade_area_table, priority_grades
from ..selection import marxan_priority
from .chain import demand_revised_priority, land_use_threats, uniform_demand_class
from .report import demand_revised_report

_BACKENDS = ("numpy", "dask")
_DRIVERS = ("gdp", "population", "slope", "distance_to_river", "distance_to_road", "distance_to_settlement")


def _six_class_names() -> dict[int, str]:
    t = get_scheme("six_class")
    return {int(c): t.label(int(c)) for c in t.df.index}


# ---------------------------------------------------------------- potential_decline
class PotentialDeclineParams(Params):
    """Parameters of ``potential_decline``."""

    threshold: Literal["mean_of_declines", "mean_of_all_changes"] = Field(
        "mean_of_declines", description="τ = mean |Δ| over declining cells (assumption) or over all changed cells")


@register("potential_decline", params=PotentialDeclineParams, group="priority", backends=_BACKENDS,
          inputs=(Input("start", "any", "potential ES supply, start year"),
                  Input("end", "any", "potential ES supply, end year (same ES and grid)")),
          outputs=("pora", "delta"),
          formula="S′ = minmax pooled over both years; Δ = S₁′ − S₀′; PoRA = (Δ < 0) ∧ (|Δ| > mean |Δ| of declines)",
          units={"pora": "1", "delta": "1"},
          example={"inputs": {"start": "carbon.c_storage", "end": "carbon.c_storage_alt"},
                   "params": {"threshold": "mean_of_declines"}})
def potential_decline_step(start, end, *, threshold="mean_of_declines"):
    """Potential restoration areas of one ecosystem service: decline larger than the mean decline (Zhao et al. 2023, §2.3.3)."""
    ds = potential_decline(start, end, threshold=threshold)
    return {"pora": ds["pora"], "delta": ds["delta"]}


# ---------------------------------------------------------------- cost_index
class CostIndexParams(Params):
    """Parameters of ``cost_index`` (Zhao et al. 2023, Table 2)."""

    cost_unused: float | None = Field(None, gt=0, description="unit project cost of unused/barren land (no published "
                                                             "value: required unless unit_cost is given)",
                                      json_schema_extra={"units": "currency/hm2"})
    unit_cost: dict[int, float] | None = Field(None, description="unit project cost per land-use code, replacing the "
                                                                 "cost_* parameters", json_schema_extra={"units": "currency/hm2"})
    cost_water: float = Field(5.4, gt=0, description="unit project cost of water (Zhao et al. 2023)",
                              json_schema_extra={"units": "currency/hm2"})
    cost_forest: float = Field(2.0, gt=0, description="unit project cost of forest (Zhao et al. 2023)",
                               json_schema_extra={"units": "currency/hm2"})
    cost_grassland: float = Field(3.0, gt=0, description="unit project cost of grassland (Zhao et al. 2023)",
                                  json_schema_extra={"units": "currency/hm2"})
    cost_cropland: float = Field(1.5, gt=0, description="unit project cost of cropland/paddy (Zhao et al. 2023)",
                                 json_schema_extra={"units": "currency/hm2"})
    unused_codes: tuple[int, ...] = Field((6,), description="six-class codes of unused land")
    built_up_codes: tuple[int, ...] = Field((5,), description="built-up codes: no cost, locked out of the marxan_priority selection")
    k: int = Field(5, ge=2, le=10, description="Jenks classes of GDP, population, slope and benefit",
                   json_schema_extra={"units": "classes"})
    rings_m: tuple[float, ...] = Field(DEFAULT_RINGS_M, min_length=1, description="ring limits of the distances",
                                       json_schema_extra={"units": "m"})
    rescale: Literal["observed", "theoretical"] = Field("observed", description="C_min/C_max observed over the "
                                                        "cells, or the formula's extremes (assumption)")
    seed: int = Field(0, ge=0, description="seed of the Jenks sample (> 10 000 values)")

    @model_validator(mode="after")
    def _one_cost(self):
        if self.cost_unused is None and self.unit_cost is None:
            raise ValueError("give cost_unused (the unit cost of unused land; no published value) or unit_cost")
        return self


@register("cost_index", params=CostIndexParams, group="priority", backends=_BACKENDS,
          inputs=(Input("lulc", "categorical", "land use the costs apply to (end year)"),
                  Input("start", "any", "ES supply, start year (benefit = max − min over the epochs)", optional=True),
                  Input("end", "any", "ES supply, end year", optional=True),
                  Input("benefit", "any", "benefit raster, or an ES series with a time dim", optional=True),
                  Input("gdp", "continuous", "GDP density (Jenks, high = 5)", optional=True),
                  Input("population", "continuous", "population density (Jenks, high = 5)", optional=True),
                  Input("slope", "continuous", "slope (Jenks, high = 5)", optional=True),
                  Input("distance_to_river", "continuous", "m; rings near 1 … far 5", optional=True),
                  Input("distance_to_road", "continuous", "m; rings near 5 … far 1", optional=True),
                  Input("distance_to_settlement", "continuous", "m; rings near 5 … far 1", optional=True),
                  Input("scores", "any", "indicator scores L_j (cost_indicator_scores) instead of the indicators",
                        optional=True)),
          outputs=("eta", "c", "c_scaled", "benefit_score", "unit_cost", "l_sum"),
          formula="C = P_lulc·ΣL_j; C′ = 1 + 4(C − C_min)/(C_max − C_min); η = C′ + B ∈ [2, 10] "
                  "(Zhao et al. 2023, eq. 7–8)",
          units={"eta": "score", "c": "score", "c_scaled": "score", "benefit_score": "score"},
          example={"inputs": {"lulc": "lulc@2020", "start": "carbon.c_storage", "end": "carbon.c_storage_alt",
                              "gdp": "gdp", "population": "population", "slope": "slope",
                              "distance_to_river": "distance_to_river", "distance_to_road": "distance_to_road",
                              "distance_to_settlement": "distance_to_settlement"},
                   "params": {"cost_unused": 1.0}})
def cost_index_step(lulc, start=None, end=None, benefit=None, gdp=None, population=None, slope=None,
                    distance_to_river=None, distance_to_road=None, distance_to_settlement=None, scores=None, *,
                    cost_unused=None, unit_cost=None, cost_water=5.4, cost_forest=2.0, cost_grassland=3.0, cost_cropland=1.5, unused_codes=(6,),
                    built_up_codes=(5,), k=5, rings_m=DEFAULT_RINGS_M, rescale="observed", seed=0):
    """Comprehensive restoration cost index η = C′ + B of Zhao et al. (2023) (eq. 7–8, Table 2)."""
    if benefit is None:
        if start is None or end is None:
            raise ConfigError(message("cost_index.inputs", "`benefit`, or both `start` and `end`",
                                      "neither", "add start/end ES rasters (e.g. carbon.c_storage, c_storage_alt)"))
        series = xr.concat([start.drop_attrs(deep=False), end.drop_attrs(deep=False)],
                           dim=pd.Index([0, 1], name="time"), join="override", coords="minimal", compat="override")
        series = series.rio.write_crs(start.rio.crs).rio.write_transform(start.rio.transform())
        benefit = benefit_range(series)
    elif "time" in benefit.dims:
        benefit = benefit_range(benefit)
    uc = dict(unit_cost) if unit_cost is not None else demand_revised_unit_costs(
        cost_unused, water=cost_water, forest=cost_forest, grassland=cost_grassland, cropland=cost_cropland,
        unused_codes=unused_codes)
    drivers = {} if scores is not None else dict(
        gdp=gdp, population=population, slope=slope, distance_to_river=distance_to_river,
        distance_to_road=distance_to_road, distance_to_settlement=distance_to_settlement)
    ds = cost_index(lulc, unit_cost=uc, benefit=benefit, built_up_codes=built_up_codes, k=k, rings_m=rings_m,
                    rescale=rescale, seed=seed, scores=scores, **drivers)
    return {k_: ds[k_] for k_ in ("eta", "c", "c_scaled", "benefit_score", "unit_cost", "l_sum")}


# ---------------------------------------------------------------- cost indicator scores
class IndicatorScoresParams(Params):
    """Parameters of ``cost_indicator_scores``."""

    k: int = Field(5, ge=2, le=10, description="Jenks classes of GDP, population and slope",
                   json_schema_extra={"units": "classes"})
    rings_m: tuple[float, ...] = Field(DEFAULT_RINGS_M, min_length=1, description="ring limits of the distances",
                                       json_schema_extra={"units": "m"})
    seed: int = Field(0, ge=0, description="seed of the Jenks sample (> 10 000 values)")


@register("cost_indicator_scores", params=IndicatorScoresParams, group="priority", backends=_BACKENDS,
          inputs=tuple(Input(d, "continuous", "cost indicator of Zhao et al. (2023), Table 2", optional=True)
                       for d in _DRIVERS),
          outputs=_DRIVERS,
          formula="L_j = Jenks class 1..k (GDP, population, slope; high = k) or distance ring 1..5 "
                  "(Zhao et al. 2023, Table 2)",
          units={d: "score" for d in _DRIVERS},
          example={"inputs": {d: d for d in _DRIVERS}, "params": {"k": 5}})
def cost_indicator_scores_step(gdp=None, population=None, slope=None, distance_to_river=None, distance_to_road=None,
                               distance_to_settlement=None, *, k=5, rings_m=DEFAULT_RINGS_M, seed=0):
    """Scores L_j of the cost indicators of Zhao et al. (2023), Table 2, computed once for every service's cost index."""
    ds = indicator_scores(k=k, rings_m=rings_m, seed=seed, gdp=gdp, population=population, slope=slope,
                          distance_to_river=distance_to_river, distance_to_road=distance_to_road,
                          distance_to_settlement=distance_to_settlement)
    return ds


# ---------------------------------------------------------------- marxan_priority
class MarxanPriorityParams(Params):
    """Parameters of ``marxan_priority``."""

    pu_size: int = Field(33, ge=1, le=1000, description="cells per planning-unit side (Zhao et al. 2023: 1 km = 33 × 30 m)",
                         json_schema_extra={"units": "cells"})
    target: float = Field(0.15, gt=0, le=1, description="target share of the PoRA total amount (Zhao et al. 2023: 15 %)",
                          json_schema_extra={"units": "1"})
    blm: float = Field(1.0, ge=0, description="boundary length modifier", json_schema_extra={"units": "cost/km"})
    spf: float = Field(100.0, gt=0, json_schema_extra={"units": "1"},
                       description="feature penalty factor of the marxan objective (high: the target is met)")
    objective: Literal["marxan", "min_set"] = Field("marxan", description="Marxan score (soft target) or hard target")
    solver: Literal["auto", "highs", "anneal"] = Field("auto", description="solver of restoreplan.optimize")
    time_limit: float | None = Field(20.0, gt=0, description="solver wall-clock limit",
                                     json_schema_extra={"units": "s"})
    seed: int = Field(0, ge=0, description="solver seed")
    built_up_codes: tuple[int, ...] = Field((5,), description="built-up land-use codes")
    built_up_share: float = Field(0.5, gt=0, le=1, description="lock a unit out (status 3) when this share of its "
                                                             "cells is built-up (assumption)",
                                  json_schema_extra={"units": "1"})
    outer_boundary: bool = Field(False, description="count unit sides facing no unit as fixed boundary")
    exclude_built_up_cells: bool = Field(True, description="do not mark built-up cells of selected units")
    feature: str = Field("es", description="name of the ES in the summary table (e.g. cs)")


@register("marxan_priority", params=MarxanPriorityParams, group="priority",
          inputs=(Input("pora", "any", "PoRA mask of the ES (potential_decline.pora)"),
                  Input("eta", "any", "cost index η (cost_index.eta)"),
                  Input("amount", "any", "potential ES supply per cell (end year)"),
                  Input("lulc", "categorical", "land use (built-up units are locked out)")),
          outputs=("selection", "units", "summary"),
          formula="min Σc_i x_i + BLM·Σb_ik|x_i − x_k| + SPF·FPF·max(0, T − Σa_i x_i)/T, T = 15 % of the PoRA "
                  "amount; status 3 built-up, 1 PoRA",
          units={"selection": "1", "units": "pu", "summary": "1"},
          example={"inputs": {"pora": "potential_decline.pora", "eta": "cost_index.eta",
                              "amount": "carbon.c_storage_alt", "lulc": "lulc@2020"},
                   "params": {"pu_size": 10, "blm": 0.5, "time_limit": 10.0, "solver": "auto"}})
def marxan_priority_step(pora, eta, amount, lulc, *, pu_size=33, target=0.15, blm=1.0, spf=100.0,
                         objective="marxan", solver="auto", time_limit=20.0, seed=0, built_up_codes=(5,), built_up_share=0.5,
                         outer_boundary=False, exclude_built_up_cells=True, feature="es"):
    """Priority restoration areas of one ecosystem service by a Marxan-style selection of planning units (Zhao et al. 2023)."""
    res = marxan_priority(pora, eta, amount.clip(min=0), lulc, pu_size=pu_size, target=target, blm=blm, spf=spf,
                          objective=objective, solver=solver, time_limit=time_limit, seed=seed,
                          built_up_codes=built_up_codes, built_up_share=built_up_share,
                          outer_boundary=outer_boundary, exclude_built_up_cells=exclude_built_up_cells,
                          feature=feature)
    return {"selection": res["selection"], "units": res["units"], "summary": res["summary"]}


# ---------------------------------------------------------------- habitat threats of one year's land use
class LandUseThreatsParams(Params):
    """Parameters of ``land_use_threats``."""

    threat_classes: dict[str, tuple[int, ...]] = Field(
        {"construction": (5,), "cropland": (1,)},
        description="threats rebuilt from the land use: threat name -> land-use codes")


@register("land_use_threats", params=LandUseThreatsParams, group="priority", backends=_BACKENDS,
          inputs=(Input("lulc", "categorical", "land use of the year assessed"),
                  Input("threats_table", "table", "HQ threats (threat, max_dist, weight, decay)"),
                  Input("static_threats", "any", "mapping {threat: raster} of threats not derived from land use "
                                                 "(roads)", optional=True)),
          outputs=("threats", "table"),
          formula="threat_r = 1 where lulc ∈ classes_r, 0 elsewhere (NaN = nodata); table rows without classes "
                  "nor raster dropped",
          units={"threats": "1"},
          example={"inputs": {"lulc": "lulc@2020", "threats_table": "package:hq_threats_6class",
                              "static_threats": {"roads": "threat_roads"}},
                   "params": {"threat_classes": {"construction": [5], "cropland": [1]}}})
def land_use_threats_step(lulc, threats_table, static_threats=None, *, threat_classes=None):
    """Habitat-quality threat rasters of one year's land use (Zhao et al. 2023 rebuild them for every year)."""
    threats, table = land_use_threats(lulc, threats_table, threat_classes=threat_classes or {},
                                      static_threats=static_threats)
    return {"threats": threats, "table": table}


# ---------------------------------------------------------------- uniform demand
@register("uniform_demand_class", group="priority", backends=_BACKENDS,
          inputs=(Input("like", "raster", "grid template; its nodata cells get 0"),),
          outputs=("demand_class",),
          formula="d = 1 (low) on every valid cell, 0 = nodata (no points of interest: an assumption)",
          units={"demand_class": "class"},
          example={"inputs": {"like": "lulc@2020"}, "params": {}})
def uniform_demand_class_step(like):
    """Demand class 1 (low) on every valid cell, for a region without points-of-interest data (with an AssumptionWarning)."""
    return uniform_demand_class(like)


# ---------------------------------------------------------------- grades
@register("priority_grades", group="priority", backends=_BACKENDS,
          inputs=(Input("selections", "any", "mapping {service: 0/1 PRA raster}, e.g. one marxan_priority "
                                             "step per ES"),),
          outputs=("grade", "table"),
          formula="g = Σ_j PRA_j: 3 high, 2 sub-high, 1 low, 0 none",
          units={"grade": "grade", "table": "km2"},
          # the overlay needs the three services (Table 3 is defined for g = 0..3; one selection gives g = 1
          # everywhere, i.e. every graded cell "low"): the chain's per-service selections
          example={"inputs": {"selections": {"cs": "demand_revised_priority.pra_cs", "hs": "demand_revised_priority.pra_hs",
                                             "wh": "demand_revised_priority.pra_wh"}}, "params": {}})
def priority_grades_step(selections):
    """Overlay of the per-service priority restoration areas into grades (Zhao et al. 2023, §2.3.6)."""
    if not isinstance(selections, Mapping):
        raise ConfigError(message("priority_grades.inputs.selections", "a mapping {service: raster}",
                                  type(selections).__name__, 'write selections = { cs = "pra_cs.selection", ... }'))
    g = priority_grades(dict(selections))
    return {"grade": g, "table": grade_area_table(g)}


@register("demand_revision", group="priority", backends=_BACKENDS,
          inputs=(Input("grades", "any", "grades 0..3 (priority_grades.grade)"),
                  Input("demand", "any", "POI demand class 1..3 (poi_density.demand_class)")),
          outputs=("grade", "table"),
          formula="s = g + d (Zhao et al. 2023, Table 3); s ∈ {5, 6} high, 4 sub-high, {2, 3} low; g = 0 stays 0",
          units={"grade": "grade", "table": "km2"},
          example={"inputs": {"grades": "priority_grades.grade", "demand": "poi_density.demand_class"}, "params": {}})
def demand_revision_step(grades, demand):
    """Revision of the priority grades with the human-demand class (Zhao et al. 2023, Table 3)."""
    g = demand_revision(grades, demand, name="grade")
    return {"grade": g, "table": grade_area_table(g)}


class AggregationFilterParams(Params):
    """Parameters of ``aggregation_filter``."""

    min_area_km2: float = Field(100.0, ge=0, description="minimum patch area (Zhao et al. 2023: 100 km²)",
                                json_schema_extra={"units": "km2"})
    connectivity: Literal[4, 8] = Field(8, description="patch neighbourhood (8: assumption)")
    class_names: dict[int, str] | None = Field(None, description="land-use labels of the area table per class "
                                                                 "(default: the six-class scheme)")


@register("aggregation_filter", params=AggregationFilterParams, group="priority", backends=_BACKENDS,
          inputs=(Input("grades", "any", "grades (demand_revision.grade)"),
                  Input("lulc", "categorical", "land use for the area table per class", optional=True)),
          outputs=("grade", "table", "landuse_table"),
          formula="keep patches P (all grades, 8-connected) with |P|·A_cell ≥ min_area_km2",
          units={"grade": "grade", "table": "km2", "landuse_table": "km2"},
          example={"inputs": {"grades": "demand_revision.grade", "lulc": "lulc@2020"},
                   "params": {"min_area_km2": 0.05, "connectivity": 8}})
def aggregation_filter_step(grades, lulc=None, *, min_area_km2=100.0, connectivity=8, class_names=None):
    """Drop priority patches smaller than a minimum area; areas per grade and land use (Zhao et al. 2023, §2.3.7)."""
    g = aggregation_filter(grades, min_area_km2=min_area_km2, connectivity=connectivity, name="grade")
    out = {"grade": g, "table": grade_area_table(g)}
    if lulc is not None:
        out["landuse_table"] = grade_area_table(g, lulc=lulc, classes=_six_class_names() if class_names is None
                                                else dict(class_names))
    return out


# ---------------------------------------------------------------- the whole chain
class DemandRevisedPriorityParams(Params):
    """Parameters of ``demand_revised_priority``."""

    services: tuple[Literal["cs", "hs", "wh"], ...] = Field(("cs", "hs", "wh"), min_length=1,
                                                            description="services: carbon, habitat, water yield")
    cost_unused: float = Field(..., gt=0, description="unit project cost of unused/barren land (required)",
                               json_schema_extra={"units": "currency/hm2"})
    threshold: Literal["mean_of_declines", "mean_of_all_changes"] = Field("mean_of_declines",
                                                                          description="PoRA rule")
    amount_from: Literal["end", "start", "decline"] = Field("end", description="Marxan amount: end-year supply "
                                                                              "(assumption), start-year, or decline")
    half_saturation: float = Field(0.05, gt=0, le=1, description="habitat quality k", json_schema_extra={"units": "1"})
    threat_classes: dict[str, tuple[int, ...]] = Field(
        {"construction": (5,), "cropland": (1,)},
        description="HQ threats rebuilt from each year's land use: threat name -> land-use codes")
    seasonality_z: float = Field(5.0, gt=0, le=30, description="water yield Z", json_schema_extra={"units": "1"})
    poi_radius_m: float = Field(30000.0, gt=0, description="POI kernel radius (Zhao et al. 2023: 30 km)",
                                json_schema_extra={"units": "m"})
    rescale: Literal["observed", "theoretical"] = Field("observed", description="C′ rescaling bounds")
    pu_size: int = Field(33, ge=1, le=1000, description="cells per planning-unit side",
                         json_schema_extra={"units": "cells"})
    target: float = Field(0.15, gt=0, le=1, description="target share of the PoRA amount",
                          json_schema_extra={"units": "1"})
    blm: float = Field(1.0, ge=0, description="boundary length modifier", json_schema_extra={"units": "cost/km"})
    spf: float = Field(100.0, gt=0, description="feature penalty factor", json_schema_extra={"units": "1"})
    objective: Literal["marxan", "min_set"] = Field("marxan", description="soft (Marxan) or hard target")
    solver: Literal["auto", "highs", "anneal"] = Field("auto", description="solver")
    time_limit: float | None = Field(20.0, gt=0, description="solver limit per service",
                                     json_schema_extra={"units": "s"})
    min_area_km2: float = Field(100.0, ge=0, description="aggregation filter minimum patch area",
                                json_schema_extra={"units": "km2"})
    connectivity: Literal[4, 8] = Field(8, description="aggregation filter neighbourhood")
    seed: int = Field(0, ge=0, description="seed of the solver and the Jenks samples")


_TABLES = {"pools": "carbon pools", "threats_table": "HQ threats", "sensitivity": "HQ sensitivity",
           "biophysical": "AWY biophysical table"}


@register("demand_revised_priority", params=DemandRevisedPriorityParams, group="priority", report=demand_revised_report,
          inputs=(Input("lulc", "series", "six-class land use, ≥ 2 years"),
                  Input("pools", "table", "carbon pools (cs)", optional=True),
                  Input("threats_table", "table", "HQ threats (hs)", optional=True),
                  Input("sensitivity", "table", "HQ sensitivity (hs)", optional=True),
                  Input("static_threats", "any", "mapping {threat: raster} of threats not derived from land use "
                                                 "(roads)", optional=True),
                  Input("biophysical", "table", "AWY table (wh)", optional=True),
                  Input("precipitation", "continuous", "P, mm/a (wh)", optional=True),
                  Input("et0", "continuous", "ET0, mm/a (wh)", optional=True),
                  Input("root_restricting_depth", "continuous", "mm (wh)", optional=True),
                  Input("pawc", "continuous", "0–1 (wh)", optional=True),
                  *(Input(d, "continuous", "cost indicator of Zhao et al. (2023), Table 2", optional=True) for d in _DRIVERS),
                  Input("poi", "vector", "POI points (demand)", optional=True),
                  Input("demand_class", "any", "demand class raster 1..3 instead of POI", optional=True)),
          outputs=("pora_cs", "pora_hs", "pora_wh", "eta_cs", "eta_hs", "eta_wh", "pra_cs", "pra_hs", "pra_wh",
                   "demand_class", "grade", "grade_revised", "grade_filtered", "area_table", "landuse_table",
                   "selection_summary", "pora_share", "timings"),
          formula="services (2 years) → PoRA → η → Marxan per ES → g = ΣPRA → s = g + d "
                  "(Zhao et al. 2023, Table 3) → patches ≥ 100 km²",
          units={"grade": "grade", "grade_revised": "grade", "grade_filtered": "grade", "area_table": "km2"},
          example={"inputs": {"lulc": "lulc", "pools": "package:carbon_pools_6class",
                              "threats_table": "package:hq_threats_6class",
                              "sensitivity": "package:hq_sensitivity_6class",
                              "static_threats": {"roads": "threat_roads"},
                              "biophysical": "package:awy_biophysical_6class", "precipitation": "precipitation",
                              "et0": "et0", "root_restricting_depth": "soil_depth", "pawc": "pawc",
                              "gdp": "gdp", "population": "population", "slope": "slope",
                              "distance_to_river": "distance_to_river", "distance_to_road": "distance_to_road",
                              "distance_to_settlement": "distance_to_settlement", "poi": "vector:poi"},
                   "params": {"cost_unused": 1.0, "half_saturation": 0.3, "poi_radius_m": 3000.0, "pu_size": 10,
                              "blm": 0.5, "time_limit": 5.0, "min_area_km2": 0.05}})
def demand_revised_priority_step(lulc, pools=None, threats_table=None, sensitivity=None, static_threats=None, biophysical=None,
                       precipitation=None, et0=None, root_restricting_depth=None, pawc=None, gdp=None,
                       population=None, slope=None, distance_to_river=None, distance_to_road=None,
                       distance_to_settlement=None, poi=None, demand_class=None, *, services=("cs", "hs", "wh"),
                       cost_unused, threshold="mean_of_declines", amount_from="end", half_saturation=0.05,
                       threat_classes=None,
                       seasonality_z=5.0, poi_radius_m=30000.0, rescale="observed", pu_size=33, target=0.15,
                       blm=1.0, spf=100.0, objective="marxan", solver="auto", time_limit=20.0, min_area_km2=100.0,
                       connectivity=8, seed=0):
    """Demand-revised priority areas (Zhao et al. 2023): potential restoration areas, cost index, Marxan per ecosystem service, grades, demand revision, aggregation filter."""
    drivers = {"gdp": gdp, "population": population, "slope": slope, "distance_to_river": distance_to_river,
               "distance_to_road": distance_to_road, "distance_to_settlement": distance_to_settlement}
    res = demand_revised_priority(
        lulc, unit_cost=demand_revised_unit_costs(cost_unused), pools=pools, threats_table=threats_table,
        sensitivity=sensitivity,
        threat_classes=dict(threat_classes) if threat_classes else {"construction": (5,), "cropland": (1,)},
        static_threats=dict(static_threats) if static_threats else None, half_saturation=half_saturation,
        biophysical=biophysical, precipitation=precipitation, et0=et0, root_restricting_depth=root_restricting_depth,
        pawc=pawc, seasonality_z=seasonality_z, services=services, drivers=drivers, poi=poi,
        demand_class=demand_class, poi_radius_m=poi_radius_m, threshold=threshold, amount_from=amount_from,
        rescale=rescale, pu_size=pu_size, target=target, blm=blm, spf=spf, objective=objective, solver=solver,
        time_limit=time_limit, min_area_km2=min_area_km2, connectivity=connectivity, seed=seed,
        class_names=_six_class_names())
    p = res.products
    out = {}
    for s in services:
        out[f"pora_{s}"] = p["pora"][s]
        out[f"eta_{s}"] = p["eta"][s]
        out[f"pra_{s}"] = p["selection"][s]
    out.update({"demand_class": p["demand_class"], "grade": p["grade"], "grade_revised": p["grade_revised"],
                "grade_filtered": p["grade_filtered"], "area_table": res.area_table(),
                "landuse_table": p["filtered_landuse_table"], "selection_summary": p["selection_summary"],
                "pora_share": p["pora_share"], "timings": res.timing_table()})
    return out
