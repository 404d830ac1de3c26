"""Core methods registered for study files: class areas, reclassification, slope, distance."""

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
from ..core.validate import check_raster
from .registry import Input, Params, register

__all__ = ["class_area", "slope", "distance_to_classes"]


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
        arr = np.asarray(sl.data.compute() if hasattr(sl.data, "compute") else sl.data)
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


@register("reclassify", params=ReclassifyParams, group="core",
          inputs=(Input("lulc", "any", "categorical land-use raster: one year, or a layer with several years"),),
          outputs=("lulc",), formula="out(x) = mapping[lulc(x)]; nodata stays nodata",
          example={"inputs": {"lulc": "lulc@2020"},
                   "params": {"mapping": {1: 1, 2: 2, 3: 2, 4: 4, 5: 5, 6: 6}}})
def _reclassify_step(lulc, *, mapping, unmapped):
    """Map class codes to another scheme (e.g. merge grassland into forest)."""
    check_raster(lulc, name="lulc", kind="categorical")
    return reclassify(lulc, mapping, unmapped=unmapped, name="lulc_reclassified")


# ---------------------------------------------------------------- slope
class SlopeParams(Params):
    """Parameters of ``slope``."""

    units: Literal["degrees", "percent"] = "degrees"


def _slope_kernel(z: np.ndarray, dx: float, dy: float, units: str) -> np.ndarray:
    """Horn (1981) 3×3 slope; edge cells use the nearest valid neighbour (padding by edge values)."""
    p = np.pad(z.astype(np.float64), 1, mode="edge")
    # replace NaN neighbours by the centre value so a single NaN neighbour does not erase the cell
    centre = np.broadcast_to(z.astype(np.float64), z.shape)
    def nb(r, c):
        v = p[r:r + z.shape[0], c:c + z.shape[1]]
        return np.where(np.isnan(v), centre, v)
    a, b, c = nb(0, 0), nb(0, 1), nb(0, 2)
    d, f = nb(1, 0), nb(1, 2)
    g, h, i = nb(2, 0), nb(2, 1), nb(2, 2)
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * dy)
    rise = np.hypot(dzdx, dzdy)
    out = np.degrees(np.arctan(rise)) if units == "degrees" else 100.0 * rise
    out[np.isnan(z)] = np.nan
    return out.astype(np.float32)


def slope(dem: xr.DataArray, *, units: Literal["degrees", "percent"] = "degrees", name: str = "slope") -> xr.DataArray:
    """Terrain slope from a DEM by Horn's (1981) 3×3 method.

    Notes
    -----
    ∂z/∂x = [(c + 2f + i) − (a + 2d + g)]/(8Δx), ∂z/∂y likewise; slope = atan(√(∂z/∂x² + ∂z/∂y²)),
    in degrees [0, 90) or percent [0, ∞). Map edges use edge padding. Works on dask (halo 1 cell).
    """
    check_raster(dem, name="dem", kind="continuous", projected=True)
    t = dem.rio.transform()
    dx, dy = abs(t.a), abs(t.e)
    if hasattr(dem.data, "map_overlap"):
        data = dem.data.map_overlap(_slope_kernel, depth=1, boundary="nearest", dtype=np.float32,
                                    dx=dx, dy=dy, units=units)
        out = xr.DataArray(data, dims=dem.dims, coords=dem.coords)
    else:
        out = xr.DataArray(_slope_kernel(np.asarray(dem.data), dx, dy, units), dims=dem.dims, coords=dem.coords)
    return finalize(out, like=dem, name=name, units=units)


register("slope", params=SlopeParams, group="core", inputs=(Input("dem", "continuous", "elevation (m)"),),
         outputs=("slope",), formula="slope = atan(√((∂z/∂x)² + (∂z/∂y)²)), Horn 3×3",
         example={"inputs": {"dem": "dem"}, "params": {"units": "degrees"}})(slope)


# ---------------------------------------------------------------- distance
class DistanceParams(Params):
    """Parameters of ``distance_to_classes``."""

    classes: list[int] = Field(..., min_length=1, description="class codes whose cells are the targets")
    max_distance_m: float | None = Field(None, gt=0, description="cap (distances above are set to the cap)",
                                         json_schema_extra={"units": "m"})


def distance_to_classes(lulc: xr.DataArray, *, classes: list[int], max_distance_m: float | None = None,
                        name: str = "distance") -> xr.DataArray:
    """Exact Euclidean distance (m) from every cell to the nearest cell of ``classes``.

    Notes
    -----
    d(x) = min_{y: lulc(y) ∈ classes} ‖x − y‖ · Δ, exact EDT (Maurer et al.); a global operation, so
    a dask input is gathered into one block (documented strategy). Nodata cells get NaN; if no
    target cell exists a ``ConfigError`` is raised.
    """
    from scipy.ndimage import distance_transform_edt

    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    arr = np.asarray(lulc.data.compute() if hasattr(lulc.data, "compute") else lulc.data)
    target = np.isin(arr, classes)
    if not target.any():
        raise ConfigError(message("classes", "codes present in `lulc`", f"none of {classes} occurs",
                                  "choose classes that exist in the map"))
    t = lulc.rio.transform()
    d = distance_transform_edt(~target, sampling=(abs(t.e), abs(t.a))).astype(np.float32)
    if max_distance_m is not None:
        d = np.minimum(d, np.float32(max_distance_m))
    nod = lulc.rio.nodata
    if nod is not None:
        d[arr == nod] = np.nan
    out = xr.DataArray(d, dims=("y", "x"), coords={"y": lulc.y, "x": lulc.x})
    return finalize(out, like=lulc, name=name, units="m")


register("distance_to_classes", params=DistanceParams, group="core",
         inputs=(Input("lulc", "categorical", "land-use raster"),), outputs=("distance",),
         formula="d(x) = min ‖x − y‖ over cells y of the chosen classes (exact EDT, m)",
         example={"inputs": {"lulc": "lulc@2020"}, "params": {"classes": [5]}})(distance_to_classes)
