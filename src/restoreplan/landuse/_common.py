"""Shared helpers of the land-use package: materialising categorical rasters and class codes.

Land-use models need whole maps in memory (the CA is a global loop over the grid), so these
helpers are the "explicitly computing" entry points of :mod:`restoreplan.landuse`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..core.compute import materialize
from ..core.errors import DataError, message
from ..core.validate import check_aligned, check_raster

__all__ = ["as_codes", "common_classes", "valid_of"]


def valid_of(da: xr.DataArray) -> np.ndarray:
    """Boolean ndarray: True where the categorical raster holds a class (not ``.rio.nodata``)."""
    arr = materialize(da)
    nod = da.rio.nodata
    if nod is None:
        return np.ones(arr.shape, dtype=bool)
    return arr != np.asarray(nod).astype(arr.dtype)


def as_codes(da: xr.DataArray, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(values as int32, valid mask)`` of a 2-D categorical raster (computes)."""
    check_raster(da, name=name, kind="categorical", crs=False)
    if da.ndim != 2:
        raise DataError(message(name, "a 2-D (y, x) land-use raster", f"dims {da.dims}",
                                f"select one year, e.g. {name}.sel(time=2010)"))
    arr = materialize(da)
    valid = valid_of(da)
    return arr.astype(np.int32), valid


def common_classes(*arrays_and_masks, classes=None) -> np.ndarray:
    """Sorted union of the valid codes of several ``(values, mask)`` pairs (or ``classes`` as given)."""
    if classes is not None:
        return np.asarray(sorted(int(c) for c in classes), dtype=np.int64)
    found: set[int] = set()
    for arr, mask in arrays_and_masks:
        found.update(int(c) for c in np.unique(arr[mask]))
    return np.asarray(sorted(found), dtype=np.int64)


def aligned_pair(start: xr.DataArray, end: xr.DataArray, *, names=("start", "end")):
    """Check two categorical rasters share one grid and return their codes and masks."""
    check_aligned(**{names[0]: start, names[1]: end})
    a, ma = as_codes(start, name=names[0])
    b, mb = as_codes(end, name=names[1])
    if a.shape != b.shape:
        raise DataError(message(names[1], f"the shape of `{names[0]}` {a.shape}", f"shape {b.shape}",
                                f"use rp.io.align({names[1]}, like={names[0]})"))
    return a, ma, b, mb
