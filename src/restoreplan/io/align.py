"""Explicit alignment: put a raster on the grid of a template, never silently.

Categorical layers use nearest-neighbour (or mode when coarsening); continuous layers use bilinear
(or average when coarsening) — the choice is explicit in ``resampling``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr
from rasterio.enums import Resampling

from ..core.errors import InputError, message
from ..core.grid import compare_grids, grid_of

__all__ = ["align", "reproject"]

_RESAMPLING = {
    "nearest": Resampling.nearest,
    "bilinear": Resampling.bilinear,
    "average": Resampling.average,
    "mode": Resampling.mode,
    "cubic": Resampling.cubic,
    "sum": Resampling.sum,
}


def _is_categorical(da: xr.DataArray) -> bool:
    return da.attrs.get("kind") == "categorical" or np.issubdtype(da.dtype, np.integer)


def align(da: xr.DataArray, *, like: xr.DataArray,
          resampling: Literal["auto", "nearest", "bilinear", "average", "mode", "cubic", "sum"] = "auto",
          name: str | None = None) -> xr.DataArray:
    """Return ``da`` on the exact grid (CRS, transform, shape) of ``like``.

    ``resampling="auto"`` uses nearest for categorical layers and bilinear for continuous ones
    when the target is as fine or finer, and mode / average when the target is coarser.
    When ``da`` is already on the grid (within the grid tolerance of 1e-6 cell) it is returned with
    the coordinates of ``like`` (snapped, no resampling), so float noise in the coordinates cannot
    make ``xr.Dataset``/``xr.align`` outer-join two layers of one grid into a doubled grid.
    """
    name = name or (da.name if isinstance(da.name, str) else "raster")
    if da.rio.crs is None:
        raise InputError(message(name, "a raster with a CRS to align", "no CRS",
                                 f"write its CRS first: {name}.rio.write_crs('EPSG:…')"))
    if not compare_grids(grid_of(like), grid_of(da)):
        if np.array_equal(da.x.values, like.x.values) and np.array_equal(da.y.values, like.y.values):
            return da
        out = da.assign_coords(x=like.x, y=like.y)
        if like.rio.crs is not None:
            out.rio.write_transform(like.rio.transform(), inplace=True)
        return out
    cat = _is_categorical(da)
    if resampling == "auto":
        coarser = abs(like.rio.transform().a) > 1.5 * abs(da.rio.transform().a) if da.rio.crs == like.rio.crs else False
        resampling = ("mode" if coarser else "nearest") if cat else ("average" if coarser else "bilinear")
    if resampling not in _RESAMPLING:
        raise InputError(message("resampling", f"one of {sorted(_RESAMPLING)}", repr(resampling), "pick one of those"))
    src = da
    if not cat and da.rio.nodata is None:
        src = da.rio.write_nodata(np.nan, encoded=False)
    out = src.rio.reproject_match(like, resampling=_RESAMPLING[resampling])
    out = out.assign_coords(x=like.x, y=like.y)
    out.attrs.update({k: v for k, v in da.attrs.items() if k not in out.attrs})
    out.attrs["aligned_with"] = str(like.name)
    out.attrs["resampling"] = resampling
    out.name = da.name
    return out


def reproject(da: xr.DataArray, dst_crs: str, *, resolution: float | None = None,
              resampling: str = "auto") -> xr.DataArray:
    """Reproject a raster to ``dst_crs`` (explicit; nothing calls this implicitly)."""
    cat = _is_categorical(da)
    if resampling == "auto":
        resampling = "nearest" if cat else "bilinear"
    kw = {"resolution": resolution} if resolution else {}
    return da.rio.reproject(dst_crs, resampling=_RESAMPLING[resampling], **kw)
