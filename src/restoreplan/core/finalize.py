"""Shared helpers for public functions: put results back on the input grid with units and provenance."""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["finalize", "like_raster"]


def finalize(out: xr.DataArray, *, like: xr.DataArray, name: str, units: str | None = None,
             **attrs) -> xr.DataArray:
    """Return ``out`` named ``name`` with the CRS/transform of ``like``, ``units`` and extra attrs."""
    # a shallow copy, then in-place metadata writes: rioxarray's non-inplace writers deep-copy the data
    out = out.copy(deep=False)
    out.name = name
    out.attrs = {}
    if units is not None:
        out.attrs["units"] = units
    out.attrs.update({k: v for k, v in attrs.items() if v is not None})
    if like.rio.crs is not None:
        out.rio.write_crs(like.rio.crs, inplace=True)
    out.rio.write_transform(like.rio.transform(), inplace=True)
    if np.issubdtype(out.dtype, np.floating):
        out.rio.write_nodata(np.nan, encoded=False, inplace=True)
    return out


def like_raster(arr, like: xr.DataArray, *, name: str, units: str | None = None, nodata=None, **attrs) -> xr.DataArray:
    """Wrap a numpy/dask (y, x) array as a DataArray on the grid of ``like``."""
    da = xr.DataArray(arr, dims=("y", "x"), coords={"y": like.y, "x": like.x})
    da = finalize(da, like=like, name=name, units=units, **attrs)
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    return da
