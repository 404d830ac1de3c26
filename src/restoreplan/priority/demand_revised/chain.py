"""The Zhao et al. (2023) chain in one call (ten steps), a composition of registered steps.

services per year (carbon, habitat quality, water yield; ``select_year`` → ``carbon`` /
``land_use_threats`` + ``habitat_quality`` / ``water_yield`` → ``stack_years``) → PoRA per ES
(``potential_decline``) → indicator scores (``cost_indicator_scores``) and cost index η per ES
(``cost_index``) → Marxan selection per ES (``marxan_priority``) → overlay grades
(``priority_grades``) → demand revision with POI classes (``poi_density``, ``demand_revision``) →
aggregation filter and area tables (``aggregation_filter``).

Habitat-quality threats are rebuilt for every year from the land use of that year
(``threat_classes``, e.g. construction = code 5, cropland = code 1); static threats (roads) are
passed as rasters. :func:`demand_revised_priority_steps` writes the steps as a study's
``[[steps]]``; :func:`demand_revised_priority` runs them with the study runner
(:func:`restoreplan.pipeline.runner.run_in_memory`), so a study file listing the same steps
(``examples/wuhan_demand_revised_priority.toml``) gives the same results; the seconds of every
step are recorded.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ...analysis.chain import ChainResult
from ...core.errors import AssumptionWarning, ConfigError, message

__all__ = ["DEMAND_REVISED_SERVICES", "DemandRevisedResult", "demand_revised_priority", "demand_revised_priority_steps",
           "land_use_threats", "pora_share", "threat_rasters", "uniform_demand_class"]

#: service key -> (label, units)
DEMAND_REVISED_SERVICES: dict[str, tuple[str, str]] = {
    "cs": ("carbon storage", "t/ha"),
    "hs": ("habitat quality", "1"),
    "wh": ("water yield", "mm"),
}


@dataclass
class DemandRevisedResult(ChainResult):
    """Products of :func:`demand_revised_priority` (``products``) and seconds per step (``timings``)."""

    def area_table(self) -> pd.DataFrame:
        """Area per grade (km²) at the three stages: overlay, demand-revised, filtered."""
        P = self.products
        out = None
        for key, col in (("grade_table", "overlay_km2"), ("revised_table", "revised_km2"),
                         ("filtered_table", "filtered_km2")):
            t = P[key][["grade", "label", "area_km2"]].rename(columns={"area_km2": col})
            out = t if out is None else out.merge(t, on=["grade", "label"])
        tot = out[[c for c in out.columns if c.endswith("_km2")]].sum()
        return pd.concat([out, pd.DataFrame([{"grade": 0, "label": "total", **tot.to_dict()}])], ignore_index=True)


def threat_rasters(lulc: xr.DataArray, classes: Mapping[str, Sequence[int]]) -> dict[str, xr.DataArray]:
    """0/1 float32 threat rasters (NaN = nodata) of the land-use classes ``classes[threat]``."""
    from ...io.raster import valid_mask

    vm = valid_mask(lulc)
    out = {}
    for t, codes in classes.items():
        r = lulc.isin(list(codes)).astype(np.float32).where(vm)
        r = r.rio.write_crs(lulc.rio.crs).rio.write_transform(lulc.rio.transform()) if lulc.rio.crs else r
        r.attrs = {"units": "1"}
        r.name = f"threat_{t}"
        out[t] = r.rio.write_nodata(np.nan, encoded=False)
    return out


def land_use_threats(lulc: xr.DataArray, threats_table: pd.DataFrame, *, threat_classes: Mapping[str, Sequence[int]],
                     static_threats: Mapping[str, xr.DataArray] | None = None):
    """Threat rasters of one year's land use and the threats table they fit.

    Threats named in ``threat_classes`` are rebuilt from ``lulc`` (:func:`threat_rasters`); the others
    come from ``static_threats``; rows of ``threats_table`` with neither are dropped with an
    ``AssumptionWarning``. Returns ({threat: raster}, table).
    """
    tt = threats_table.copy()
    names = list(tt["threat"]) if "threat" in tt.columns else list(tt.index)
    cls, stat = dict(threat_classes or {}), dict(static_threats or {})
    drop = [n for n in names if n not in cls and n not in stat]
    if drop:
        warnings.warn(f"land_use_threats: threats {drop} have no land-use classes nor raster; dropped",
                      AssumptionWarning, stacklevel=2)
        tt = tt[~tt["threat"].isin(drop)] if "threat" in tt.columns else tt.drop(index=drop)
    keep = list(tt["threat"]) if "threat" in tt.columns else list(tt.index)
    thr = threat_rasters(lulc, {t: c for t, c in cls.items() if t in keep})
    for t, r in stat.items():
        if t in keep and t not in cls:
            thr[t] = r.copy()
            thr[t].encoding = {}   # an output of its own: not the file encoding of the input it was read from
    return thr, tt


def uniform_demand_class(like: xr.DataArray) -> xr.DataArray:
    """Demand class 1 (low) on every valid cell of ``like`` (uint8, 0 = nodata), with an ``AssumptionWarning``:
    the stand-in when a region has no POI and no demand classes."""
    from ...core.legend import set_class_labels
    from ...io.raster import valid_mask

    warnings.warn("uniform_demand_class: no POI and no demand classes; every cell is low demand (1)",
                  AssumptionWarning, stacklevel=2)
    out = xr.where(valid_mask(like), np.uint8(1), np.uint8(0)).astype(np.uint8)
    out = out.rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform())
    out = out.rio.write_nodata(np.uint8(0), encoded=False)
    out.attrs["units"] = "class"
    return set_class_labels(out, {1: "1 low demand (uniform: no points-of-interest data)"}, palette="viridis")


def pora_share(pora: Mapping[str, xr.DataArray], delta: Mapping[str, xr.DataArray]) -> pd.DataFrame:
    """Cells of the PoRA per service and their share (%) of the declining cells (Δ < 0). Computes."""
    share = pd.DataFrame([{"service": s, "pora_cells": int((np.asarray(pora[s]) == 1).sum()),
                           "declining_cells": int((np.asarray(delta[s]) < 0).sum())} for s in pora])
    share["pora_pct_of_declining"] = 100.0 * share["pora_cells"] / share["declining_cells"].where(
        share["declining_cells"] > 0)
    return share


def _service_steps(s: str, years: list, *, static_threats: Sequence[str], threat_classes, half_saturation: float,
                   seasonality_z: float) -> list[dict]:
    """Steps computing service ``s`` for every year and stacking them into the series ``{s}_series``."""
    steps, per_year = [], {}
    for y in years:
        lu = f"lulc_{y}"
        if s == "cs":
            steps.append({"id": f"cs_{y}", "method": "carbon", "inputs": {"lulc": lu, "pools": "pools"}})
            per_year[str(y)] = f"cs_{y}.c_storage"
        elif s == "hs":
            thr = {"lulc": lu, "threats_table": "threats_table"}
            thr |= {"static_threats": {t: f"static_threats.{t}" for t in static_threats}} if static_threats else {}
            steps.append({"id": f"threats_{y}", "method": "land_use_threats", "inputs": thr,
                          "params": {"threat_classes": {t: list(c) for t, c in threat_classes.items()}}})
            steps.append({"id": f"hs_{y}", "method": "habitat_quality",
                          "inputs": {"lulc": lu, "threats": f"threats_{y}.threats",
                                     "threats_table": f"threats_{y}.table", "sensitivity": "sensitivity"},
                          "params": {"half_saturation": half_saturation}})
            per_year[str(y)] = f"hs_{y}.quality"
        else:
            steps.append({"id": f"wh_{y}", "method": "water_yield",
                          "inputs": {"lulc": lu, "precipitation": "precipitation", "et0": "et0",
                                     "root_restricting_depth": "root_restricting_depth", "pawc": "pawc",
                                     "biophysical": "biophysical"},
                          "params": {"seasonality_z": seasonality_z}})
            per_year[str(y)] = f"wh_{y}.wyield"
    steps.append({"id": f"{s}_series", "method": "stack_years", "inputs": {"rasters": per_year},
                  "params": {"units": DEMAND_REVISED_SERVICES[s][1], "name": s}})
    steps += [{"id": f"{s}_{end}", "method": "select_year", "inputs": {"series": f"{s}_series"}, "params": {"year": y}}
              for end, y in (("start", years[0]), ("end", years[-1]))]
    return steps


def demand_revised_priority_steps(*, years: Sequence, services: Sequence[str] = ("cs", "hs", "wh"),
                                  unit_cost: Mapping[int, float], drivers: Sequence[str] = (),
                                  static_threats: Sequence[str] = (), demand: str = "poi",
                                  threat_classes: Mapping[str, Sequence[int]] | None = None,
                                  half_saturation: float = 0.05, seasonality_z: float = 5.0,
                                  poi_radius_m: float = 30_000.0, threshold: str = "mean_of_declines",
                                  amount_from: str = "end", k: int = 5,
                                  rings_m: Sequence[float] = (500.0, 1000.0, 1500.0, 2000.0), rescale: str = "observed",
                                  built_up_codes: Sequence[int] = (5,), pu_size: int = 33, target: float = 0.15,
                                  blm: float = 1.0, spf: float = 100.0, objective: str = "marxan", solver: str = "auto",
                                  time_limit: float | None = 20.0, built_up_share: float = 0.5,
                                  outer_boundary: bool = False, min_area_km2: float = 100.0, connectivity: int = 8,
                                  seed: int = 0, class_names: Mapping[int, str] | None = None) -> list[dict]:
    """The study ``[[steps]]`` of the Zhao et al. (2023) chain, as dicts (``id``, ``method``, ``inputs``, ``params``).

    The inputs reference the names ``lulc`` (land-use series with the ``years``), ``pools`` (cs),
    ``threats_table``, ``sensitivity`` and ``static_threats`` (a mapping with the keys
    ``static_threats``; hs), ``biophysical``, ``precipitation``, ``et0``, ``root_restricting_depth``,
    ``pawc`` (wh), the cost indicators ``drivers`` and, by ``demand``: ``poi`` (POI points, kernel
    density and 3 classes), ``demand_class`` (a class raster) or ``"uniform"`` (every cell low).
    The other arguments are those of :func:`demand_revised_priority` (``class_names`` None: the
    six-class labels).
    """
    years = [y.item() if hasattr(y, "item") else y for y in years]
    last = f"lulc_{years[-1]}"
    steps = [{"id": f"lulc_{y}", "method": "select_year", "inputs": {"series": "lulc"}, "params": {"year": y}}
             for y in years]
    for s in services:
        steps += _service_steps(s, years, static_threats=list(static_threats),
                                threat_classes=dict(threat_classes or {}), half_saturation=half_saturation,
                                seasonality_z=seasonality_z)
    if demand == "poi":
        steps.append({"id": "poi_density", "method": "poi_density", "inputs": {"points": "poi", "like": last},
                      "params": {"radius_m": poi_radius_m, "k": 3}})
    elif demand == "uniform":
        steps.append({"id": "demand_class", "method": "uniform_demand_class", "inputs": {"like": last}})
    demand_ref = {"poi": "poi_density.demand_class", "uniform": "demand_class", "demand_class": "demand_class"}[demand]
    steps.append({"id": "cost_indicator_scores", "method": "cost_indicator_scores",
                  "inputs": {d: d for d in drivers}, "params": {"k": k, "rings_m": list(rings_m), "seed": seed}})
    for s in services:
        steps.append({"id": f"potential_decline_{s}", "method": "potential_decline",
                      "inputs": {"start": f"{s}_start", "end": f"{s}_end"}, "params": {"threshold": threshold}})
        steps.append({"id": f"cost_index_{s}", "method": "cost_index",
                      "inputs": {"lulc": last, "benefit": f"{s}_series", "scores": "cost_indicator_scores"},
                      "params": {"unit_cost": {int(c): float(v) for c, v in unit_cost.items()},
                                 "built_up_codes": list(built_up_codes), "k": k, "rings_m": list(rings_m),
                                 "rescale": rescale, "seed": seed}})
        amount = {"end": f"{s}_end", "start": f"{s}_start", "decline": f"{s}_decline"}[amount_from]
        if amount_from == "decline":
            steps.append({"id": f"{s}_decline", "method": "difference", "inputs": {"a": f"{s}_start", "b": f"{s}_end"}})
        steps.append({"id": f"marxan_priority_{s}", "method": "marxan_priority",
                      "inputs": {"pora": f"potential_decline_{s}.pora", "eta": f"cost_index_{s}.eta",
                                 "amount": amount, "lulc": last},
                      "params": {"pu_size": pu_size, "target": target, "blm": blm, "spf": spf, "objective": objective,
                                 "solver": solver, "time_limit": time_limit, "seed": seed,
                                 "built_up_codes": list(built_up_codes), "built_up_share": built_up_share,
                                 "outer_boundary": outer_boundary, "feature": s}})
    steps += [
        {"id": "priority_grades", "method": "priority_grades",
         "inputs": {"selections": {s: f"marxan_priority_{s}.selection" for s in services}}},
        {"id": "demand_revision", "method": "demand_revision",
         "inputs": {"grades": "priority_grades.grade", "demand": demand_ref}},
        {"id": "aggregation_filter", "method": "aggregation_filter",
         "inputs": {"grades": "demand_revision.grade", "lulc": last},
         "params": {"min_area_km2": min_area_km2, "connectivity": connectivity}
         | ({"class_names": {int(c): str(n) for c, n in class_names.items()}} if class_names is not None else {})},
    ]
    return steps


def _checked(lulc, services, amount_from, years, need) -> list:
    """The years of the run; ConfigError for a bad series, service list, amount rule, years or missing inputs."""
    if "time" not in lulc.dims or lulc.sizes["time"] < 2:
        raise ConfigError(message("lulc", "a land-use series with a `time` dim of ≥ 2 years",
                                  f"dims {dict(lulc.sizes)}", "stack the years (layer reference without @year)"))
    bad = [s for s in services if s not in DEMAND_REVISED_SERVICES]
    if bad or not services:
        raise ConfigError(message("services", f"a non-empty subset of {list(DEMAND_REVISED_SERVICES)}",
                                  repr(list(services)), "e.g. services=('cs', 'hs', 'wh')"))
    if amount_from not in ("end", "start", "decline"):
        raise ConfigError(message("amount_from", "'end', 'start' or 'decline'", repr(amount_from), "use 'end'"))
    yrs = list(lulc["time"].values) if years is None else list(years)
    missing_years = [y for y in yrs if y not in list(lulc["time"].values)]
    if len(yrs) < 2 or missing_years:
        raise ConfigError(message("years", f"≥ 2 years of lulc ({list(lulc['time'].values)})", repr(yrs),
                                  "pick years present in the series"))
    problems = [message(n, f"an input for service {s!r}", "None", f"pass {n}= or drop {s!r} from services")
                for s in services for n, v in need[s].items() if v is None]
    if problems:
        raise ConfigError(problems[0], problems)
    return yrs


def demand_revised_priority(lulc: xr.DataArray, *, unit_cost: Mapping[int, float], pools: pd.DataFrame | None = None,
                            threats_table: pd.DataFrame | None = None, sensitivity: pd.DataFrame | None = None,
                            threat_classes: Mapping[str, Sequence[int]] | None = None,
                            static_threats: Mapping[str, xr.DataArray] | None = None, half_saturation: float = 0.05,
                            biophysical: pd.DataFrame | None = None, precipitation: xr.DataArray | None = None,
                            et0: xr.DataArray | None = None, root_restricting_depth: xr.DataArray | None = None,
                            pawc: xr.DataArray | None = None, seasonality_z: float = 5.0,
                            services: Sequence[str] = ("cs", "hs", "wh"), years: Sequence | None = None,
                            drivers: Mapping[str, xr.DataArray | None] | None = None,
                            poi=None, demand_class: xr.DataArray | None = None, poi_radius_m: float = 30_000.0,
                            threshold: str = "mean_of_declines", amount_from: str = "end", k: int = 5,
                            rings_m: Sequence[float] = (500.0, 1000.0, 1500.0, 2000.0), rescale: str = "observed",
                            built_up_codes: Sequence[int] = (5,), pu_size: int = 33, target: float = 0.15,
                            blm: float = 1.0, spf: float = 100.0, objective: str = "marxan", solver: str = "auto",
                            time_limit: float | None = 20.0, built_up_share: float = 0.5,
                            outer_boundary: bool = False, min_area_km2: float = 100.0, connectivity: int = 8,
                            seed: int = 0, class_names: Mapping[int, str] | None = None) -> DemandRevisedResult:
    """Run the Zhao et al. (2023) chain on a land-use series (≥ 2 years) and the Table 2 drivers.

    The steps are those of :func:`demand_revised_priority_steps`, run by the study runner.

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical six-class land use with a ``time`` dim (years as coordinate).
    unit_cost : mapping
        Unit project cost per land-use code (:func:`restoreplan.priority.cost.demand_revised_unit_costs`).
    pools : DataFrame
        Carbon pools (service ``cs``).
    threats_table, sensitivity, threat_classes, static_threats, half_saturation
        Habitat quality (``hs``): threats named in ``threat_classes`` are rebuilt from each year's
        land use; the others come from ``static_threats``; rows of ``threats_table`` with neither
        are dropped with an ``AssumptionWarning``.
    biophysical, precipitation, et0, root_restricting_depth, pawc, seasonality_z
        Water yield (``wh``, InVEST AWY); the climate and soil rasters are the same for both years.
    services : sequence of {"cs", "hs", "wh"}
        Services to run (Zhao et al. 2023: all three).
    years : sequence, optional
        Years of ``lulc`` to compute services for (default: all years). PoRA compares the first and
        the last; the benefit of η is max − min over all of them.
    drivers : mapping
        Table 2 indicators: ``gdp``, ``population``, ``slope``, ``distance_to_river``,
        ``distance_to_road``, ``distance_to_settlement`` (missing ones are omitted from ΣL).
    poi, demand_class, poi_radius_m
        Demand: POI points (kernel density, r = 30 km, 3 geometric classes) or a demand
        class raster (1..3). With neither, every cell gets demand 1 (low) and a warning.
    threshold
        PoRA threshold rule.
    amount_from : {"end", "start", "decline"}
        Marxan amount per PoRA cell: end-year supply (default, **assumption — parameter**),
        start-year supply, or the decline S₀ − S₁ (raw units).
    k, rings_m, rescale
        Cost index options.
    built_up_codes, pu_size, target, blm, spf, objective, solver, time_limit, built_up_share,
    outer_boundary, seed
        Selection options, one problem per service.
    min_area_km2, connectivity
        Aggregation filter.
    class_names : mapping, optional
        Land-use labels for the area tables.

    Returns
    -------
    DemandRevisedResult
        ``products``: ``supply`` (series per service with a time dim), ``pora`` / ``delta`` /
        ``eta`` / ``cost`` / ``selection`` / ``units`` (dicts per service), ``selection_summary``,
        ``indicator_scores``, ``demand_class`` [``poi_density``], ``grade``, ``grade_revised``,
        ``grade_filtered`` and their tables (per grade and per land use), ``pora_share``, ``years``;
        ``timings``: seconds per step.
    """
    need = {"cs": {"pools": pools}, "hs": {"threats_table": threats_table, "sensitivity": sensitivity},
            "wh": {"biophysical": biophysical, "precipitation": precipitation, "et0": et0,
                   "root_restricting_depth": root_restricting_depth, "pawc": pawc}}
    yrs = _checked(lulc, services, amount_from, years, need)
    drv = {k_: v for k_, v in (drivers or {}).items() if v is not None}
    demand = "demand_class" if demand_class is not None else "poi" if poi is not None and len(poi) else "uniform"
    stat = dict(static_threats or {})
    steps = demand_revised_priority_steps(
        years=yrs, services=services, unit_cost=unit_cost, drivers=list(drv), static_threats=list(stat),
        demand=demand, threat_classes=threat_classes, half_saturation=half_saturation, seasonality_z=seasonality_z,
        poi_radius_m=poi_radius_m, threshold=threshold, amount_from=amount_from, k=k, rings_m=rings_m,
        rescale=rescale, built_up_codes=built_up_codes, pu_size=pu_size, target=target, blm=blm, spf=spf,
        objective=objective, solver=solver, time_limit=time_limit, built_up_share=built_up_share,
        outer_boundary=outer_boundary, min_area_km2=min_area_km2, connectivity=connectivity, seed=seed,
        class_names=dict(class_names or {}))
    data = {"lulc": lulc, **drv, **({"static_threats": stat} if stat else {})}
    data |= {n: v for sv in services for n, v in need[sv].items()}
    data |= {"poi": poi} if demand == "poi" else {"demand_class": demand_class} if demand == "demand_class" else {}
    res, R = DemandRevisedResult.run(steps, data, seed=seed, name="demand_revised_priority")
    P = res.products
    P["supply"] = {s: R[f"{s}_series"] for s in services}
    if demand == "poi":
        P["poi_density"] = R["poi_density"]["density"]
    P["demand_class"] = {"poi": lambda: R["poi_density"]["demand_class"], "uniform": lambda: R["demand_class"],
                         "demand_class": lambda: demand_class}[demand]()
    P["indicator_scores"] = R["cost_indicator_scores"]
    P["pora"] = {s: R[f"potential_decline_{s}"]["pora"] for s in services}
    P["delta"] = {s: R[f"potential_decline_{s}"]["delta"] for s in services}
    P["eta"] = {s: R[f"cost_index_{s}"]["eta"] for s in services}
    P["cost"] = {s: xr.Dataset(R[f"cost_index_{s}"]) for s in services}
    P["selection"] = {s: R[f"marxan_priority_{s}"]["selection"] for s in services}
    P["units"] = {s: R[f"marxan_priority_{s}"]["units"] for s in services}
    P["selection_summary"] = pd.concat([R[f"marxan_priority_{s}"]["summary"] for s in services], ignore_index=True)
    P["grade"], P["grade_table"] = R["priority_grades"]["grade"], R["priority_grades"]["table"]
    P["grade_revised"], P["revised_table"] = R["demand_revision"]["grade"], R["demand_revision"]["table"]
    P["grade_filtered"], P["filtered_table"] = R["aggregation_filter"]["grade"], R["aggregation_filter"]["table"]
    P["filtered_landuse_table"] = R["aggregation_filter"]["landuse_table"]
    P["pora_share"] = pora_share(P["pora"], P["delta"])
    P["years"] = (yrs[0], yrs[-1])
    return res
