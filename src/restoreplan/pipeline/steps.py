"""Core methods registered for study files: class areas, reclassification, slope, distance, constant layers,
vector merging, and years of a series (select one, stack several, difference)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import Field

from ..core.errors import ConfigError, message
from ..core.finalize import finalize
from ..core.grid import cell_area_m2
from ..core.legend import get_scheme, reclassify
from ..core.spatial import distance_to_classes, slope
from ..core.validate import check_raster
from .registry import Input, Params, register
from ..core.compute import materialize

__all__ = ["class_area", "constant_layer", "difference", "distance_to_classes", "distance_to_features", "merge_vectors",
           "select_year", "slope", "stack_years"]


# ---------------------------------------------------------------- class areas
class ClassAreaParams(Params):
    """Parameters of ``class_area``."""

    scheme: str = Field("six_class", description="class scheme used for the labels (built-in name)")


def class_area(lulc: xr.DataArray, *, scheme: str = "six_class") -> pd.DataFrame:
    """Cells, area (km²) and share (%) of every class, per year when ``lulc`` has a ``time`` dim.

    Notes
    -----
    area_k = n_k · |a·e| / 10⁶ (km²); share_k = 100 · n_k / Σ n (valid cells only). Computes.
    """
    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    table = get_scheme(scheme) if scheme else None
    a_km2 = cell_area_m2(lulc, name="lulc") / 1e6
    slices = [(None, lulc)] if "time" not in lulc.dims else [(int(t), lulc.sel(time=t)) for t in lulc["time"].values]
    rows = []
    nod = lulc.rio.nodata
    for year, sl in slices:
        arr = materialize(sl)
        codes, counts = np.unique(arr, return_counts=True)
        keep = codes != nod if nod is not None else np.ones(codes.shape, bool)
        total = counts[keep].sum()
        for c, n in zip(codes[keep], counts[keep]):
            rows.append({"year": year, "code": int(c), "name": table.label(int(c)) if table else str(c),
                         "cells": int(n), "area_km2": n * a_km2, "share_pct": 100.0 * n / total})
    df = pd.DataFrame(rows)
    if lulc.dims and "time" not in lulc.dims:
        df = df.drop(columns="year")
    return df


register("class_area", params=ClassAreaParams, group="core",
         inputs=(Input("lulc", "any", "land-use raster: one year, or a layer with several years"),),
         outputs=("table",), formula="area_k = n_k·|a·e|/10⁶ km²; share_k = n_k/Σn",
         example={"inputs": {"lulc": "lulc"}, "params": {"scheme": "six_class"}})(class_area)


# ---------------------------------------------------------------- reclassify
class ReclassifyParams(Params):
    """Parameters of ``reclassify``."""

    mapping: dict[int, int] | str = Field(..., description="{from_code: to_code}, or a built-in table name "
                                                           "such as 'wuhan_to_six_class'")
    unmapped: Literal["raise", "nodata", "keep"] = "raise"
    nodata: int | None = Field(None, description="nodata code of the output (default: the input's nodata)")


@register("reclassify", params=ReclassifyParams, group="core",
          inputs=(Input("lulc", "any", "categorical land-use raster: one year, or a layer with several years"),),
          outputs=("lulc",), formula="out(x) = mapping[lulc(x)]; nodata stays nodata",
          example={"inputs": {"lulc": "lulc@2020"},
                   "params": {"mapping": {1: 1, 2: 2, 3: 2, 4: 4, 5: 5, 6: 6}}})
def _reclassify_step(lulc, *, mapping, unmapped, nodata=None):
    """Map class codes to another scheme (e.g. merge grassland into forest)."""
    check_raster(lulc, name="lulc", kind="categorical")
    return reclassify(lulc, mapping, unmapped=unmapped, nodata=nodata, name="lulc_reclassified")


# ---------------------------------------------------------------- slope
class SlopeParams(Params):
    """Parameters of ``slope``."""

    units: Literal["degrees", "percent"] = "degrees"


register("slope", params=SlopeParams, group="core", inputs=(Input("dem", "continuous", "elevation (m)"),),
         outputs=("slope",), formula="slope = atan(√((∂z/∂x)² + (∂z/∂y)²)), Horn 3×3",
         example={"inputs": {"dem": "dem"}, "params": {"units": "degrees"}})(slope)


# ---------------------------------------------------------------- distance
class DistanceParams(Params):
    """Parameters of ``distance_to_classes``."""

    classes: list[int] = Field(..., min_length=1, description="class codes whose cells are the targets")
    max_distance_m: float | None = Field(None, gt=0, description="cap (distances above are set to the cap)",
                                         json_schema_extra={"units": "m"})


register("distance_to_classes", params=DistanceParams, group="core",
         inputs=(Input("lulc", "categorical", "land-use raster"),), outputs=("distance",),
         formula="d(x) = min ‖x − y‖ over cells y of the chosen classes (exact EDT, m)",
         example={"inputs": {"lulc": "lulc@2020"}, "params": {"classes": [5]}})(distance_to_classes)


# ---------------------------------------------------------------- distance to vector features
class DistanceFeaturesParams(Params):
    """Parameters of ``distance_to_features``."""

    max_distance_m: float | None = Field(None, gt=0, description="cap (distances above are set to the cap)",
                                         json_schema_extra={"units": "m"})
    all_touched: bool = Field(False, description="burn every cell a line/polygon touches (default: cells whose "
                                                 "centre it covers; a point burns the cell containing it)")


def distance_to_features(features, like: xr.DataArray, *, max_distance_m: float | None = None,
                         all_touched: bool = False, name: str = "distance") -> xr.DataArray:
    """Exact Euclidean distance (m) from every cell of ``like`` to the nearest vector feature.

    Notes
    -----
    The features (points, lines or polygons; reprojected to the grid's CRS, never the raster) are
    burnt onto the grid of ``like`` (a point burns the cell containing it; features off the grid are
    dropped), then d(x) = min_{burnt y} ‖x − y‖ · Δ by exact EDT, float32 metres. Nodata cells of
    ``like`` get NaN. The burnt mask is held in memory (1 byte per cell); with a dask ``like`` the
    distances stay chunked (exact two-pass strip scheme, :mod:`restoreplan.core.edt`). ConfigError
    if no feature falls on the grid.
    """
    import geopandas as gpd
    from scipy.ndimage import distance_transform_edt

    from ..io.raster import valid_mask
    from ..io.vector import rasterize

    check_raster(like, name="like", projected=True)
    if not isinstance(features, gpd.GeoDataFrame):
        raise ConfigError(message("features", "a vector layer (GeoDataFrame)", type(features).__name__,
                                  'reference a vector: features = "vector:NAME"'))
    if features.crs is None:
        raise ConfigError(message("features", "a vector layer with a CRS", "no CRS",
                                  "set one (gdf.set_crs(...)) or save the file with its CRS"))
    burnt = rasterize(features, like=like, value=1, fill=0, all_touched=all_touched, dtype="uint8").values != 0
    if not burnt.any():
        raise ConfigError(message("features", "features on the grid of `like`",
                                  f"none of the {len(features)} feature(s) falls on the grid",
                                  "check the CRS and extent of the vector layer"))
    t = like.rio.transform()
    m = valid_mask(like)
    lazy = like.transpose("y", "x").data
    if hasattr(lazy, "dask"):  # exact EDT in column then row strips (restoreplan.core.edt), stays chunked
        import dask.array as dsa

        from ..core.edt import edt_dask

        d = edt_dask(dsa.from_array(burnt, chunks=lazy.chunks), abs(t.e), abs(t.a))
        if max_distance_m is not None:
            d = dsa.minimum(d, np.float32(max_distance_m))
        d = dsa.where(m.transpose("y", "x").data, d, np.float32(np.nan))
    else:
        d = distance_transform_edt(~burnt, sampling=(abs(t.e), abs(t.a))).astype(np.float32)
        if max_distance_m is not None:
            d = np.minimum(d, np.float32(max_distance_m))
        d[~materialize(m)] = np.nan
    out = xr.DataArray(d, dims=("y", "x"), coords={"y": like.y, "x": like.x})
    return finalize(out, like=like, name=name, units="m")


register("distance_to_features", params=DistanceFeaturesParams, group="core",
         inputs=(Input("features", "vector", "points, lines or polygons (any CRS; reprojected)"),
                 Input("like", "raster", "grid template; its nodata cells get NaN")),
         outputs=("distance",), units={"distance": "m"},
         formula="d(x) = min ‖x − y‖ over cells y holding a feature (exact EDT, m)",
         example={"inputs": {"features": "vector:settlements", "like": "lulc@2020"}, "params": {}})(distance_to_features)


# ---------------------------------------------------------------- synthetic uniform layer
class ConstantLayerParams(Params):
    """Parameters of ``constant_layer``."""

    value: float = Field(..., description="the uniform value of every valid cell (in `units`)")
    units: str = Field("1", description="units of the value, e.g. mm/a")
    name: str = Field("constant", description="name of the layer (e.g. precipitation)")


def _constant_kernel(valid: np.ndarray, value: np.float32) -> np.ndarray:
    return np.where(valid, value, np.float32(np.nan)).astype(np.float32)


def constant_layer(like: xr.DataArray, *, value: float, units: str = "1", name: str = "constant") -> xr.DataArray:
    """SYNTHETIC uniform layer: ``value`` on every valid cell of ``like``, NaN on its nodata cells.

    Notes
    -----
    out(x) = value where ``like`` holds data, NaN elsewhere; float32 on the grid of ``like``; numpy
    or dask (per block). This is not data: use it only to stand in for a missing input (e.g. a
    uniform precipitation), and say so. ``attrs["synthetic"]`` records it.
    """
    from ..io.raster import valid_mask

    check_raster(like, name="like")
    if not np.isfinite(value):
        raise ConfigError(message("value", "a finite number", repr(value), "give the uniform value, e.g. 1270.0"))
    m = valid_mask(like)
    out = xr.apply_ufunc(_constant_kernel, m, kwargs={"value": np.float32(value)}, dask="parallelized",
                         output_dtypes=[np.float32])
    shown = f"{value:g} {units}" if units not in ("", "1") else f"{value:g} (dimensionless)"
    return finalize(out, like=like, name=name, units=units, synthetic=f"uniform {shown}")


def _constant_report(result, ctx=None) -> str:
    import html

    if not isinstance(result, xr.DataArray):
        return ""
    return (f"<p class='note'>SYNTHETIC: {html.escape(str(result.name))} = "
            f"{html.escape(str(result.attrs.get('synthetic', '')))} on every valid cell of the template "
            "(no map: the layer is uniform). It stands in for a missing input; it is not data.</p>")


register("constant_layer", params=ConstantLayerParams, group="core", backends=("numpy", "dask"),
         inputs=(Input("like", "raster", "grid template; its nodata cells get NaN"),),
         outputs=("layer",), report=_constant_report,
         formula="out(x) = value where like(x) is valid, NaN elsewhere (SYNTHETIC uniform layer)",
         example={"inputs": {"like": "lulc@2020"},
                  "params": {"value": 1270.0, "units": "mm/a", "name": "precipitation"}})(constant_layer)


# ---------------------------------------------------------------- merge vector layers
class MergeVectorsParams(Params):
    """Parameters of ``merge_vectors``."""

    columns: Literal["common", "geometry"] = Field("common", description="keep the attribute columns shared by "
                                                                         "every layer, or only the geometry")


def merge_vectors(layers, *, columns: Literal["common", "geometry"] = "common"):
    """Stack several vector layers into one (CRS of the first layer); a ``source`` column names the origin.

    Notes
    -----
    ``layers`` is a mapping {name: GeoDataFrame} (or a list, named 0, 1, …). Every layer is
    reprojected to the CRS of the first; rows keep their order. ``columns="common"`` keeps the
    attribute columns present in every layer, ``"geometry"`` only the geometry.
    """
    import geopandas as gpd

    items = list(layers.items()) if isinstance(layers, dict) else list(enumerate(layers or []))
    if not items:
        raise ConfigError(message("layers", "a mapping {name: vector} of at least one layer", "nothing",
                                  'write layers = { a = "vector:a", b = "vector:b" }'))
    bad = [str(k) for k, g in items if not isinstance(g, gpd.GeoDataFrame)]
    if bad:
        raise ConfigError(message("layers", "vector layers (GeoDataFrame)", f"other objects for {bad}",
                                  'reference vectors: "vector:NAME" or a step that returns one'))
    crs = items[0][1].crs
    nocrs = [str(k) for k, g in items if g.crs is None]
    if nocrs and len(items) > 1:
        raise ConfigError(message("layers", "vector layers with a CRS", f"no CRS for {nocrs}",
                                  "save the files with their CRS"))
    keep = []
    if columns == "common":
        keep = [c for c in items[0][1].columns if c not in ("source", items[0][1].geometry.name)
                and all(c in g.columns and c != g.geometry.name for _, g in items[1:])]
    parts = []
    for k, g in items:
        g = g.to_crs(crs) if crs is not None and g.crs != crs else g
        part = pd.DataFrame({c: g[c].to_numpy() for c in keep}, index=pd.RangeIndex(len(g)))
        part.insert(0, "source", str(k))
        parts.append(gpd.GeoDataFrame(part, geometry=g.geometry.to_numpy(), crs=crs))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)


register("merge_vectors", params=MergeVectorsParams, group="core",
         inputs=(Input("layers", "any", "mapping {name: vector layer}, e.g. { a = \"vector:a\", b = \"vector:b\" }"),),
         outputs=("merged",), formula="rows of every layer, in the CRS of the first; source = layer name",
         example={"inputs": {"layers": {"poi": "vector:poi", "settlements": "vector:settlements"}},
                  "params": {"columns": "common"}})(merge_vectors)


# ---------------------------------------------------------------- years of a series
class SelectYearParams(Params):
    """Parameters of ``select_year``."""

    year: int = Field(..., description="the year (a value of the series' `time` coordinate)")


def select_year(series: xr.DataArray, *, year: int) -> xr.DataArray:
    """One year of a series (a raster with a ``time`` dim), with the series' CRS, transform and nodata. Lazy.

    Notes
    -----
    out = series[time = year]; the ``time`` coordinate is dropped. The land use of one year of a
    reclassified series, or the start and end years of an ecosystem-service series.
    """
    check_raster(series, name="series")
    years = [v.item() if hasattr(v, "item") else v for v in series["time"].values] if "time" in series.dims else []
    if year not in years:
        raise ConfigError(message("year", f"a year of the series ({years})" if years else "a series with a `time` dim",
                                  repr(year), "pick a year of the series"))
    out = series.sel(time=year, drop=True)
    out = out.rio.write_crs(series.rio.crs) if series.rio.crs is not None else out
    out = out.rio.write_transform(series.rio.transform())
    nod = series.rio.nodata
    return out.rio.write_nodata(nod, encoded=False) if nod is not None else out


def _rearranged_report(result, ctx) -> str:
    """Report section of a step that only re-arranges rasters drawn elsewhere (no map of its own)."""
    import html

    da = result
    years = [str(t) for t in da["time"].values] if isinstance(da, xr.DataArray) and "time" in da.dims else []
    what = f"years {', '.join(years)}" if years else "one year"
    return (f"<p class='meta'>Re-arranges its input ({html.escape(what)}, {da.sizes.get('y', 0)}×"
            f"{da.sizes.get('x', 0)} cells) without changing a value; its maps are those of its input, "
            "drawn where that input is made.</p>")


register("select_year", params=SelectYearParams, group="core", backends=("numpy", "dask"),
         inputs=(Input("series", "any", "a raster with a `time` dim (all years of a layer, or a step result)"),),
         outputs=("year",), formula="out = series[time = year]",
         example={"inputs": {"series": "lulc"}, "params": {"year": 2020}},
         report=_rearranged_report)(select_year)


class StackYearsParams(Params):
    """Parameters of ``stack_years``."""

    units: str | None = Field(None, description="units of the series (default: those of the first raster)")
    name: str | None = Field(None, description="name of the series")


def stack_years(rasters, *, units: str | None = None, name: str | None = None) -> xr.DataArray:
    """Rasters of several years (a mapping {year: raster}, one grid) as one series with a ``time`` dim. Lazy.

    Notes
    -----
    out[time = y] = rasters[y], years in the given order (keys such as "2010" become integers); the
    attrs of the rasters are dropped except ``units``; CRS and transform of the first raster.
    """
    from ..core.grid import check_same_grid

    if not isinstance(rasters, dict) or len(rasters) < 2:
        raise ConfigError(message("rasters", "a mapping {year: raster} of at least two years",
                                  type(rasters).__name__ if not isinstance(rasters, dict) else f"{len(rasters)} raster(s)",
                                  'write rasters = { 2010 = "cs_2010.c_storage", 2020 = "cs_2020.c_storage" }'))
    years = [int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k for k in rasters]
    das = list(rasters.values())
    bad = [str(k) for k, v in rasters.items() if not isinstance(v, xr.DataArray)]
    if bad:
        raise ConfigError(message("rasters", "rasters", f"other objects for {bad}", "reference raster outputs"))
    check_same_grid(**{f"rasters.{k}": v for k, v in rasters.items()})
    first = das[0]
    st = xr.concat([a.drop_attrs(deep=False) for a in das], dim=pd.Index(years, name="time"),
                   join="override", coords="minimal", compat="override")
    st = st.rio.write_crs(first.rio.crs).rio.write_transform(first.rio.transform()) if first.rio.crs else st
    st.attrs = {"units": units if units is not None else first.attrs.get("units", "1")}
    st.name = name if name is not None else first.name
    return st


register("stack_years", params=StackYearsParams, group="core", backends=("numpy", "dask"),
         inputs=(Input("rasters", "any", "mapping {year: raster}, e.g. one service step per year"),),
         outputs=("series",), formula="out[time = y] = rasters[y]",
         example={"inputs": {"rasters": {"2010": "carbon.c_storage", "2020": "carbon.c_storage_alt"}},
                  "params": {"units": "t/ha", "name": "cs"}},
         report=_rearranged_report)(stack_years)


def difference(a: xr.DataArray, b: xr.DataArray) -> xr.DataArray:
    """a − b of two rasters on one grid (NaN where either is NaN), in the units of ``a``. Lazy.

    Notes
    -----
    E.g. the decline S₀ − S₁ of an ecosystem service between a start and an end year (raw units).
    """
    from ..core.grid import check_same_grid

    check_same_grid(a=a, b=b)
    out = a - b
    out.attrs = {"units": a.attrs.get("units", "1")}
    return out


register("difference", group="core", backends=("numpy", "dask"),
         inputs=(Input("a", "any", "raster"), Input("b", "any", "raster on the grid of a")),
         outputs=("difference",), formula="out = a − b",
         example={"inputs": {"a": "carbon.c_storage", "b": "carbon.c_storage_alt"}, "params": {}})(difference)
