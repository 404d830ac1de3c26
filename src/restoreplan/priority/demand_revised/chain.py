"""The Zhao et al. (2023) chain in one call (ten steps).

services per year (carbon, habitat quality, water yield) → PoRA per ES →
cost index η per ES → Marxan selection per ES → overlay grades → demand
revision with POI classes → aggregation filter → area tables.

The services of the start and end years are computed *inside* the chain with the public
functions of :mod:`restoreplan.services` (the registered service steps compute one year each).
Habitat-quality threats are rebuilt for every year from the land use of that year
(``threat_classes``, e.g. construction = code 5, cropland = code 1); static threats (roads) are
passed as rasters. :func:`demand_revised_priority` records the seconds of every step; intermediate results
are computed so that the timings mean something.
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
from ..cost import benefit_range, cost_index, indicator_scores
from ..decline import potential_decline
from ..grades import aggregation_filter, demand_revision, grade_area_table, priority_grades
from ..selection import marxan_priority

__all__ = ["DEMAND_REVISED_SERVICES", "DemandRevisedResult", "demand_revised_priority", "threat_rasters"]

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


def _load(x):
    if isinstance(x, (xr.DataArray, xr.Dataset)):
        return x.compute() if x.chunks else x
    return x


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


def _run(fn, *args, **kwargs):
    """Call ``fn`` and compute its (dask) result, so that step timings mean something."""
    return _load(fn(*args, **kwargs))


def _year_slice(series: xr.DataArray, year) -> xr.DataArray:
    out = series.sel(time=year, drop=True)
    out = out.rio.write_crs(series.rio.crs) if series.rio.crs is not None else out
    out = out.rio.write_transform(series.rio.transform())
    nod = series.rio.nodata
    return out.rio.write_nodata(nod, encoded=False) if nod is not None else out


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
                  time_limit: float | None = 20.0, built_up_share: float = 0.5, outer_boundary: bool = False,
                  min_area_km2: float = 100.0, connectivity: int = 8, seed: int = 0,
                  class_names: Mapping[int, str] | None = None) -> DemandRevisedResult:
    """Run the Zhao et al. (2023) chain on a land-use series (≥ 2 years) and the Table 2 drivers.

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
        ``products``: ``supply`` (Dataset per service with a time dim), ``pora`` / ``delta`` /
        ``eta`` / ``selection`` (dicts per service), ``selection_summary``, ``demand_class``,
        ``grade``, ``grade_revised``, ``grade_filtered`` and their tables (per grade and per land
        use); ``timings``: seconds per step.
    """
    from ...services.carbon import carbon_storage
    from ...services.habitat_quality import habitat_quality
    from ...services.water_yield import water_yield

    if "time" not in lulc.dims or lulc.sizes["time"] < 2:
        raise ConfigError(message("lulc", "a land-use series with a `time` dim of ≥ 2 years",
                                  f"dims {dict(lulc.sizes)}", "stack the years (layer reference without @year)"))
    bad = [s for s in services if s not in DEMAND_REVISED_SERVICES]
    if bad or not services:
        raise ConfigError(message("services", f"a non-empty subset of {list(DEMAND_REVISED_SERVICES)}", repr(list(services)),
                                  "e.g. services=('cs', 'hs', 'wh')"))
    if amount_from not in ("end", "start", "decline"):
        raise ConfigError(message("amount_from", "'end', 'start' or 'decline'", repr(amount_from), "use 'end'"))
    yrs = list(lulc["time"].values) if years is None else list(years)
    missing_years = [y for y in yrs if y not in list(lulc["time"].values)]
    if len(yrs) < 2 or missing_years:
        raise ConfigError(message("years", f"≥ 2 years of lulc ({list(lulc['time'].values)})", repr(yrs),
                                  "pick years present in the series"))
    need = {"cs": {"pools": pools}, "hs": {"threats_table": threats_table, "sensitivity": sensitivity},
            "wh": {"biophysical": biophysical, "precipitation": precipitation, "et0": et0,
                   "root_restricting_depth": root_restricting_depth, "pawc": pawc}}
    problems = [message(n, f"an input for service {s!r}", "None", f"pass {n}= or drop {s!r} from services")
                for s in services for n, v in need[s].items() if v is None]
    if problems:
        raise ConfigError(problems[0], problems)
    res = DemandRevisedResult()
    P, timed = res.products, res.timed

    lu = {y: _year_slice(lulc, y) for y in yrs}
    last = lu[yrs[-1]]
    # ---- 1–3 services per year
    hs_threats = None
    if "hs" in services:
        tt = threats_table.copy()
        names = list(tt["threat"]) if "threat" in tt.columns else list(tt.index)
        cls = dict(threat_classes or {})
        stat = dict(static_threats or {})
        drop = [n for n in names if n not in cls and n not in stat]
        if drop:
            warnings.warn(f"demand_revised_priority: threats {drop} have no land-use classes nor raster; dropped",
                          AssumptionWarning, stacklevel=2)
            tt = tt[~tt["threat"].isin(drop)] if "threat" in tt.columns else tt.drop(index=drop)
        hs_threats = (tt, cls, stat)

    def one_service(s, y):
        if s == "cs":
            return carbon_storage(lu[y], pools, name="cs")
        if s == "hs":
            tt, cls, stat = hs_threats
            keep = list(tt["threat"]) if "threat" in tt.columns else list(tt.index)
            thr = {**{t: r for t, r in threat_rasters(lu[y], {t: c for t, c in cls.items() if t in keep}).items()},
                   **{t: r for t, r in stat.items() if t in keep and t not in cls}}
            return habitat_quality(lu[y], thr, tt, sensitivity, half_saturation=half_saturation)["quality"]
        ds = water_yield(lu[y], precipitation, et0, root_restricting_depth, pawc, biophysical,
                         seasonality_z=seasonality_z)
        return ds["wyield"]

    supply = {}
    for s in services:
        per_year = [timed(f"{s} {y} ({DEMAND_REVISED_SERVICES[s][0]})", lambda s=s, y=y: _load(one_service(s, y)))
                    for y in yrs]
        st = xr.concat([a.drop_attrs(deep=False) for a in per_year], dim=pd.Index(yrs, name="time"),
                       join="override", coords="minimal", compat="override")
        st = st.rio.write_crs(last.rio.crs).rio.write_transform(last.rio.transform()) if last.rio.crs else st
        st.attrs = {"units": DEMAND_REVISED_SERVICES[s][1]}
        st.name = s
        supply[s] = st
    P["supply"] = supply
    # ---- 4 demand classes
    if demand_class is None:
        if poi is not None and len(poi):
            from ...services.demand import poi_demand_classes, poi_density

            def dem():
                dens = _load(poi_density(poi, like=last, radius_m=poi_radius_m))
                return dens, _load(poi_demand_classes(dens, 3))

            P["poi_density"], demand_class = timed("poi density + classes", dem)
        else:
            warnings.warn("demand_revised_priority: no POI and no demand classes; every cell is low demand (1)",
                          AssumptionWarning, stacklevel=2)
            from ...io.raster import valid_mask

            demand_class = xr.where(valid_mask(last), np.uint8(1), np.uint8(0)).astype(np.uint8)
            demand_class = demand_class.rio.write_crs(last.rio.crs).rio.write_transform(last.rio.transform())
            demand_class = demand_class.rio.write_nodata(np.uint8(0), encoded=False)
    P["demand_class"] = demand_class
    drv = {k_: v for k_, v in (drivers or {}).items() if v is not None}
    scores = timed("cost indicator scores L_j", lambda: _load(indicator_scores(
        k=k, rings_m=rings_m, seed=seed, **drv)))
    P["indicator_scores"] = scores
    # ---- 5–7 per service: PoRA, η, selection
    P["pora"], P["delta"], P["eta"], P["cost"], P["selection"], P["units"] = {}, {}, {}, {}, {}, {}
    summaries = []
    for s in services:
        st = supply[s]
        s0, s1 = _year_slice(st, yrs[0]), _year_slice(st, yrs[-1])
        dec = timed(f"potential_decline {s}", _run, potential_decline, s0, s1, threshold=threshold,
                    name=f"pora_{s}")
        P["pora"][s], P["delta"][s] = dec["pora"], dec["delta"]
        ben = benefit_range(st, name=f"benefit_{s}")
        ci = timed(f"cost_index {s}", _run, cost_index, last, unit_cost=unit_cost, benefit=ben,
                   built_up_codes=built_up_codes, k=k, rings_m=rings_m, rescale=rescale, seed=seed, scores=scores,
                   name=f"eta_{s}")
        P["cost"][s], P["eta"][s] = ci, ci["eta"]
        amt = {"end": s1, "start": s0, "decline": s0 - s1}[amount_from].clip(min=0)
        sel = timed(f"marxan_priority {s}", marxan_priority, dec["pora"], ci["eta"], amt, last,
                    pu_size=pu_size, target=target, blm=blm, spf=spf, objective=objective, solver=solver,
                    time_limit=time_limit, seed=seed, built_up_codes=built_up_codes, built_up_share=built_up_share,
                    outer_boundary=outer_boundary, feature=s, name=f"pra_{s}")
        P["selection"][s], P["units"][s] = sel["selection"], sel["units"]
        summaries.append(sel["summary"])
    P["selection_summary"] = pd.concat(summaries, ignore_index=True)
    # ---- 8–10 grades, revision, filter
    names = dict(class_names or {})
    g = timed("priority_grades", lambda: _load(priority_grades(P["selection"])))
    gr = timed("demand_revision", lambda: _load(demand_revision(g, demand_class)))
    gf = timed("aggregation_filter", lambda: _load(aggregation_filter(gr, min_area_km2=min_area_km2,
                                                                             connectivity=connectivity)))
    P["grade"], P["grade_revised"], P["grade_filtered"] = g, gr, gf

    def tables():
        return {f"{key}_table": grade_area_table(P[key]) for key in ("grade", "grade_revised", "grade_filtered")} | \
            {"filtered_landuse_table": grade_area_table(gf, lulc=last, classes=names)}

    tabs = timed("area tables", tables)
    P["grade_table"], P["revised_table"] = tabs["grade_table"], tabs["grade_revised_table"]
    P["filtered_table"], P["filtered_landuse_table"] = tabs["grade_filtered_table"], tabs["filtered_landuse_table"]
    share = pd.DataFrame([{"service": s, "pora_cells": int((np.asarray(P["pora"][s]) == 1).sum()),
                           "declining_cells": int((np.asarray(P["delta"][s]) < 0).sum())} for s in services])
    share["pora_pct_of_declining"] = 100.0 * share["pora_cells"] / share["declining_cells"].where(
        share["declining_cells"] > 0)
    P["pora_share"] = share
    P["years"] = (yrs[0], yrs[-1])
    return res
