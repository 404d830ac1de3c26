r"""Terrain slope and distance surfaces: the one implementation used everywhere in restoreplan.

* :func:`horn_slope_kernel` / :func:`slope` — Horn (1981) 3×3 slope of a DEM, numpy or dask.
* :func:`edt_kernel` / :func:`distance_to_classes` — exact Euclidean distance (m) to the cells of
  some classes of a categorical map.

Horn's slope, with the 3×3 window ``a b c / d e f / g h i`` around the centre ``e``, cell sizes
Δx, Δy (map units, metres):

.. math::

    \partial z/\partial x = \frac{(c + 2f + i) - (a + 2d + g)}{8\,\Delta x},\qquad
    \partial z/\partial y = \frac{(g + 2h + i) - (a + 2b + c)}{8\,\Delta y}

    \text{slope} = \arctan\sqrt{(\partial z/\partial x)^2 + (\partial z/\partial y)^2}
    \ \text{(degrees, [0, 90))}\quad\text{or}\quad 100\sqrt{\cdot}\ \text{(percent)}

This is the definition of GDAL ``gdaldem slope`` and of xarray-spatial's ``slope`` at interior
cells. **Edges:** the grid is extended by one cell by linear extrapolation, ``2·edge − inner``
(odd reflection), so a tilted plane keeps its slope up to the corners. **NaN:** a NaN neighbour is
replaced by the linear extrapolation through the centre from the opposite neighbour,
:math:`2e - z_{opp}` (exact on planes, so holes do not bias their neighbours), or by the centre
value :math:`e` when the opposite neighbour is NaN too (that direction then contributes no
gradient). A NaN centre gives NaN. On dask the kernel runs per block with
``map_overlap(depth=1, boundary="none")``: inner block edges get the neighbour row/column as halo,
map edges get the same extrapolation, so numpy and dask give the same values.

Distances are exact Euclidean distance transforms, anisotropic cells supported: numpy input by
``scipy.ndimage.distance_transform_edt`` (Maurer et al. 2003); dask input by the separable two-pass
scheme of :mod:`restoreplan.core.edt` (column strips, then row strips; exact, memory one strip per
thread), never gathered into one block.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import xarray as xr

from .errors import ConfigError, message
from .finalize import finalize
from .validate import check_raster

__all__ = ["distance_to_classes", "edt_kernel", "horn_slope_kernel", "slope"]

#: ``attrs["units"]`` of :func:`slope` for each ``units`` option
SLOPE_UNITS = {"degrees": "degrees", "percent": "percent"}


def _cell_size(da: xr.DataArray) -> tuple[float, float]:
    """(Δy, Δx) of a raster, positive, from its transform."""
    t = da.rio.transform()
    return abs(t.e), abs(t.a)


def horn_slope_kernel(z: np.ndarray, dy: float, dx: float, units: str = "degrees", *,
                      dtype=np.float32) -> np.ndarray:
    """Horn (1981) slope of a 2-D elevation array (NaN = nodata); ``dtype`` (float32), same shape.

    ``units``: "degrees" (range [0, 90)) or "percent" (100·rise/run, [0, ∞)). Edge and NaN rule:
    module docstring (missing neighbour = 2·centre − opposite neighbour, else the centre).
    """
    if units not in SLOPE_UNITS:
        raise ConfigError(message("units", "'degrees' or 'percent'", repr(units), "choose one of the two"))
    z = np.asarray(z, dtype=np.float64)
    ny, nx = z.shape
    if min(ny, nx) >= 2:
        zp = np.pad(z, 1, mode="reflect", reflect_type="odd")  # 2·edge − inner: linear extrapolation
    else:
        zp = np.pad(z, 1, mode="constant", constant_values=np.nan)

    def raw(dr: int, dc: int) -> np.ndarray:
        return zp[1 + dr:1 + dr + ny, 1 + dc:1 + dc + nx]

    def nb(dr: int, dc: int) -> np.ndarray:
        v, opp = raw(dr, dc), raw(-dr, -dc)
        fill = np.where(np.isnan(opp), z, 2.0 * z - opp)
        return np.where(np.isnan(v), fill, v)

    a, b, c = nb(-1, -1), nb(-1, 0), nb(-1, 1)
    d, f = nb(0, -1), nb(0, 1)
    g, h, i = nb(1, -1), nb(1, 0), nb(1, 1)
    dzdx = ((c + 2.0 * f + i) - (a + 2.0 * d + g)) / (8.0 * dx)
    dzdy = ((g + 2.0 * h + i) - (a + 2.0 * b + c)) / (8.0 * dy)
    rise = np.hypot(dzdx, dzdy)
    out = np.degrees(np.arctan(rise)) if units == "degrees" else 100.0 * rise
    out[np.isnan(z)] = np.nan
    return out.astype(dtype, copy=False)


def _slope_blocks(z: np.ndarray, dy: float, dx: float, units: str, rows: int = 512) -> np.ndarray:
    """:func:`horn_slope_kernel` over bands of rows with a one-row halo (same values, small temporaries)."""
    ny = z.shape[0]
    out = np.empty(z.shape, dtype=np.float32)
    for r0 in range(0, ny, rows):
        r1 = min(ny, r0 + rows)
        lo, hi = max(r0 - 1, 0), min(r1 + 1, ny)
        out[r0:r1] = horn_slope_kernel(z[lo:hi], dy, dx, units)[r0 - lo:r0 - lo + (r1 - r0)]
    return out


def slope(dem: xr.DataArray, *, units: Literal["degrees", "percent"] = "degrees", name: str = "slope") -> xr.DataArray:
    """Terrain slope from a digital elevation model by Horn's (1981) 3×3 method.

    ``dem``: elevation in the length unit of its projected coordinate system, NaN = nodata.
    Returns float32 on the DEM's grid, ``attrs["units"]`` = "degrees" ([0, 90)) or "percent".
    Works unchanged on numpy and dask (``map_overlap``, depth 1, map edges extrapolated); the edge/NaN rule
    is documented in :mod:`restoreplan.core.spatial`. Integer DEMs are read as float (no nodata
    handling beyond NaN: read with ``kind="continuous"``).
    """
    check_raster(dem, name="dem", kind="continuous", projected=True)
    if dem.ndim != 2:
        raise ConfigError(message("dem", "a 2-D (y, x) elevation raster", f"dims {dem.dims}", "select one layer"))
    if units not in SLOPE_UNITS:
        raise ConfigError(message("units", "'degrees' or 'percent'", repr(units), "choose one of the two"))
    dy, dx = _cell_size(dem)
    data = dem.transpose("y", "x").data
    if hasattr(data, "map_overlap"):
        out = data.map_overlap(horn_slope_kernel, depth=1, boundary="none", dtype=np.float32,
                               dy=dy, dx=dx, units=units)
    else:
        out = _slope_blocks(np.asarray(data), dy, dx, units)
    da = xr.DataArray(out, dims=("y", "x"), coords={"y": dem.y, "x": dem.x})
    return finalize(da, like=dem, name=name, units=SLOPE_UNITS[units])


def edt_kernel(target: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Exact Euclidean distance (map units) from every cell to the nearest True cell; float32.

    ``target`` must hold at least one True cell (callers decide what an empty target means).
    """
    from scipy.ndimage import distance_transform_edt

    return distance_transform_edt(~np.asarray(target, dtype=bool), sampling=(dy, dx)).astype(np.float32)


def distance_to_classes(lulc: xr.DataArray, *, classes: Iterable[int] | int, max_distance_m: float | None = None,
                        name: str = "distance") -> xr.DataArray:
    """Exact Euclidean distance (m) from every cell to the nearest cell of ``classes``.

    Notes
    -----
    d(x) = min over cells y with lulc(y) ∈ classes of ‖x − y‖ (cell centres, metres), exact EDT;
    range [0, ∞), capped at ``max_distance_m`` if given. Nodata cells of ``lulc`` are never targets
    and get NaN. Dask input stays chunked (exact two-pass scheme, :mod:`restoreplan.core.edt`; one
    extra pass checks that a target exists). If no valid cell holds one of ``classes`` a
    ``ConfigError`` is raised (there is no distance to report).
    """
    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    cl = [int(classes)] if np.isscalar(classes) else [int(c) for c in classes]
    data = lulc.transpose("y", "x").data
    nod = lulc.rio.nodata
    if hasattr(data, "dask"):
        import dask.array as dsa

        valid = dsa.ones(data.shape, bool, chunks=data.chunks) if nod is None else data != np.asarray(nod).astype(data.dtype)
        target = dsa.isin(data, cl) & valid
        has_target = bool(target.any().compute())
    else:
        arr = np.asarray(data)
        valid = np.ones(arr.shape, bool) if nod is None else arr != np.asarray(nod).astype(arr.dtype)
        target = np.isin(arr, cl) & valid
        has_target = bool(target.any())
    if not has_target:
        raise ConfigError(message("classes", "codes present in `lulc`", f"none of {cl} occurs",
                                  "choose classes that exist in the map"))
    dy, dx = _cell_size(lulc)
    if hasattr(data, "dask"):
        from .edt import edt_dask

        d = edt_dask(target, dy, dx)
        if max_distance_m is not None:
            d = dsa.minimum(d, np.float32(max_distance_m))
        d = dsa.where(valid, d, np.float32(np.nan))
    else:
        d = edt_kernel(target, dy, dx)
        if max_distance_m is not None:
            d = np.minimum(d, np.float32(max_distance_m))
        d[~valid] = np.nan
    out = xr.DataArray(d, dims=("y", "x"), coords={"y": lulc.y, "x": lulc.x})
    return finalize(out, like=lulc, name=name, units="m", source=f"distance to class(es) {cl}")
