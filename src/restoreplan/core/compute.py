"""Materialising arrays: the one place where a lazy (dask) array becomes numpy.

Kernels in restoreplan work on numpy; public functions accept numpy- or dask-backed
:class:`xarray.DataArray`. Functions that need the whole array in memory (zonal tables, global loops
such as the land-use cellular automaton, solvers) call :func:`materialize` on their input and say
**Computes** in their docstring.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["as_float", "eligible_cells", "materialize"]


def materialize(x, dtype=None) -> np.ndarray:
    """numpy values of ``x``: a DataArray (its ``.data``), a dask or numpy array, or a scalar.

    Dask arrays are computed; numpy input is returned as is (no copy unless ``dtype`` converts).

    >>> import dask.array as da
    >>> float(materialize(xr.DataArray(da.ones((2, 2), chunks=1))).sum())
    4.0
    >>> materialize(np.arange(3), dtype=np.float32).dtype
    dtype('float32')
    """
    if isinstance(x, xr.DataArray):
        x = x.data
    if hasattr(x, "compute"):
        x = x.compute()
    return np.asarray(x, dtype=dtype)


def eligible_cells(index: xr.DataArray, mask: xr.DataArray | None = None) -> np.ndarray:
    """Boolean ndarray: True where ``index`` is not NaN and, if given, ``mask`` is 1 (or True). Computes.

    >>> eligible_cells(xr.DataArray([[1.0, np.nan]]), xr.DataArray([[0, 1]])).tolist()
    [[False, False]]
    """
    ok = ~np.isnan(materialize(index, dtype=np.float64))
    if mask is not None:
        m = materialize(mask)
        ok &= (m == 1) if m.dtype != bool else m
    return ok


def as_float(da: xr.DataArray) -> xr.DataArray:
    """``da`` as float64 with its integer nodata (``.rio.nodata`` of a (y, x) raster) turned into NaN.

    Float input is returned as is (its NaN is already nodata). Lazy: a dask array stays dask.

    >>> import rioxarray  # noqa: F401
    >>> r = xr.DataArray(np.array([[1, 255]], np.uint8), dims=("y", "x")).rio.write_nodata(255)
    >>> as_float(r).values.tolist()
    [[1.0, nan]]
    """
    if np.issubdtype(da.dtype, np.floating):
        return da
    nod = da.rio.nodata if ("x" in da.dims and "y" in da.dims) else None
    f = da.astype(np.float64)
    return f.where(da != nod) if nod is not None else f
