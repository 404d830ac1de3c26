"""Testing helpers: tiny rasters on a projected grid, and the numpy == dask contract check."""

from __future__ import annotations

import numpy as np
import xarray as xr
from affine import Affine

import restoreplan.core  # noqa: F401  (rio accessor)

__all__ = ["make_raster", "assert_numpy_dask_equal"]


def make_raster(arr, *, res: float = 30.0, crs: str = "EPSG:32649", x0: float = 760000.0, y0: float = 3410000.0,
                nodata=None, name: str = "raster", chunks=None) -> xr.DataArray:
    """A (y, x) DataArray with a north-up transform of cell size ``res`` (for tests and examples).

    Float arrays get NaN as nodata; integer arrays get ``nodata`` (if given).
    """
    arr = np.asarray(arr)
    ny, nx = arr.shape[-2:]
    x = x0 + res * (np.arange(nx) + 0.5)
    y = y0 - res * (np.arange(ny) + 0.5)
    dims = ("y", "x") if arr.ndim == 2 else ("time", "y", "x")
    coords = {"y": y, "x": x}
    if arr.ndim == 3:
        coords["time"] = np.arange(arr.shape[0])
    da = xr.DataArray(arr, dims=dims, coords=coords, name=name)
    da = da.rio.write_crs(crs).rio.write_transform(Affine(res, 0, x0, 0, -res, y0))
    if np.issubdtype(arr.dtype, np.floating):
        da = da.rio.write_nodata(np.nan, encoded=False)
        da.attrs["kind"] = "continuous"
    else:
        if nodata is not None:
            da = da.rio.write_nodata(nodata, encoded=False)
        da.attrs["kind"] = "categorical"
    if chunks is not None:
        da = da.chunk({"y": chunks, "x": chunks})
    return da


def assert_numpy_dask_equal(func, *rasters, chunks: int = 3, rtol: float = 1e-6, atol: float = 0.0, **kwargs):
    """Check ``func`` gives the same result on numpy inputs and on dask inputs of small chunks.

    Also checks that the dask call builds a lazy result (nothing computed at call time).
    """
    import dask

    ref = func(*rasters, **kwargs)
    lazy_in = [r.chunk({"y": chunks, "x": chunks}) if isinstance(r, xr.DataArray) else r for r in rasters]
    with dask.config.set(scheduler="sync"):
        lazy = func(*lazy_in, **kwargs)
    refs = ref if isinstance(ref, (tuple, list)) else [ref]
    lazies = lazy if isinstance(lazy, (tuple, list)) else [lazy]
    for a, b in zip(refs, lazies):
        if isinstance(a, xr.Dataset):
            for k in a.data_vars:
                np.testing.assert_allclose(np.asarray(a[k]), np.asarray(b[k].compute()), rtol=rtol, atol=atol)
        else:
            np.testing.assert_allclose(np.asarray(a), np.asarray(b.compute()), rtol=rtol, atol=atol)
    return ref, lazy
