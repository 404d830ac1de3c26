r"""Exact Euclidean distance transform of a chunked (dask) raster in bounded memory.

The squared Euclidean distance is separable (Felzenszwalb & Huttenlocher 2012): with cell sizes
Δy, Δx and target cells T,

.. math::

    g(r, c) = \Delta y \cdot \min_{(r', c) \in T} |r - r'| \quad\text{(pass 1: along each column)}

    d(r, c)^2 = \min_{c'} \big( ((c - c')\,\Delta x)^2 + g(r, c')^2 \big) \quad\text{(pass 2: along each row)}

Pass 1 needs whole columns and nothing else, pass 2 whole rows and nothing else, so the transform
runs on **column strips** (all rows × one chunk of columns) and then on **row strips** (one chunk
of rows × all columns), with the vertical distances g (int32 row counts) checkpointed between the
two passes (:func:`restoreplan.core.chunked.checkpoint`: chunk stores in the run's spill folder).
The result is exact — the same minimum over all target cells as an in-memory transform — not a
truncated halo. Peak memory per dask thread is one strip: O(max(n_rows, n_cols) × chunk), e.g.
10^4 × 1024 int32 = 40 MB for a 10^8-cell raster, 400 MB for a 10^10-cell one (10^5 side); the
whole raster is never held. Cost: two reads and one write of the raster, O(n) per pass.

Pass 2 is the lower envelope of the parabolas ``((x − q)Δx)² + g(q)²`` over the columns q that have
a target in their column (Felzenszwalb & Huttenlocher, algorithm DT). Distances are computed in
float64 and rounded once to the output dtype, like ``scipy.ndimage.distance_transform_edt``
(float64) and its float32 cast (equal up to the float64 rounding of ties between equidistant targets). A cell with no target anywhere gets ``inf``.

References: Felzenszwalb P.F., Huttenlocher D.P. 2012. Distance transforms of sampled functions.
Theory of Computing 8:415–428.
"""

from __future__ import annotations

import threading

import numba as nb
import numpy as np

__all__ = ["column_distance_kernel", "edt", "edt_dask", "row_envelope_kernel"]

# numba's fallback "workqueue" threading layer (used where neither TBB nor OpenMP is available) is
# not safe for concurrent parallel launches from several threads: in-memory calls are serialized;
# each already uses the numba thread budget.
_LOCK = threading.Lock()


@nb.njit(cache=True)
def _col_range(t, big, g, x0, x1):
    """Pass 1 on columns ``x0:x1``: ``g`` = rows to the nearest target in the column (``big`` if none)."""
    ny = t.shape[0]
    for x in range(x0, x1):
        g[0, x] = 0 if t[0, x] else big
    for y in range(1, ny):
        for x in range(x0, x1):
            g[y, x] = 0 if t[y, x] else min(g[y - 1, x] + 1, big)
    for y in range(ny - 2, -1, -1):
        for x in range(x0, x1):
            g[y, x] = min(g[y, x], g[y + 1, x] + 1)


@nb.njit(cache=True)
def _envelope_row(gy, big, dy, dx, v, z, out):
    """Pass 2 on one row: lower envelope of ``((x − q)Δx)² + (g(q)Δy)²``; ``out`` gets the distances."""
    nx = gy.shape[0]
    k = -1
    for q in range(nx):
        if gy[q] >= big:
            continue
        fq = (gy[q] * dy) ** 2
        xq = q * dx
        if k < 0:
            k = 0
            v[0] = q
            z[0] = -np.inf
            z[1] = np.inf
            continue
        while True:   # z[0] = -inf: the first parabola is never removed
            p = v[k]
            fp = (gy[p] * dy) ** 2
            xp = p * dx
            s = ((fq + xq * xq) - (fp + xp * xp)) / (2.0 * (xq - xp))
            if s <= z[k]:
                k -= 1
            else:
                break
        k += 1
        v[k] = q
        z[k] = s
        z[k + 1] = np.inf
    if k < 0:
        for x in range(nx):
            out[x] = np.inf
        return
    j = 0
    for x in range(nx):
        xx = x * dx
        while z[j + 1] < xx:
            j += 1
        p = v[j]
        ddx = (x - p) * dx
        ddy = gy[p] * dy
        out[x] = np.sqrt(ddx * ddx + ddy * ddy)


@nb.njit(cache=True)
def _col_pass(t, big):
    g = np.empty(t.shape, np.int32)
    _col_range(t, big, g, 0, t.shape[1])
    return g


@nb.njit(cache=True)
def _row_pass(g, big, dy, dx):
    ny, nx = g.shape
    out = np.empty((ny, nx), np.float64)
    v = np.empty(nx, np.int64)
    z = np.empty(nx + 1, np.float64)
    for y in range(ny):
        _envelope_row(g[y], big, dy, dx, v, z, out[y])
    return out


@nb.njit(cache=True, parallel=True)
def _edt_parallel(t, big, dy, dx):
    """Both passes over a whole in-memory array, columns blocks then rows in parallel."""
    ny, nx = t.shape
    g = np.empty((ny, nx), np.int32)
    nblk = 64
    step = (nx + nblk - 1) // nblk
    for b in nb.prange(nblk):
        _col_range(t, big, g, min(nx, b * step), min(nx, (b + 1) * step))
    out = np.empty((ny, nx), np.float64)
    for y in nb.prange(ny):
        v = np.empty(nx, np.int64)
        z = np.empty(nx + 1, np.float64)
        _envelope_row(g[y], big, dy, dx, v, z, out[y])
    return out


def column_distance_kernel(target: np.ndarray, n_rows: int) -> np.ndarray:
    """Pass 1 on a column strip: rows to the nearest target cell in the same column (int32).

    ``target``: bool block holding **all** rows. Columns without a target get ``n_rows + 1``.
    """
    t = np.ascontiguousarray(target, dtype=np.bool_)
    if t.shape[0] != n_rows:
        raise ValueError("column_distance_kernel needs whole columns")
    return _col_pass(t, np.int32(n_rows + 1))


def row_envelope_kernel(g: np.ndarray, n_rows: int, dy: float, dx: float, dtype=np.float32) -> np.ndarray:
    """Pass 2 on a row strip (all columns): distance (map units, float64 rounded to ``dtype``) from
    the pass-1 row counts ``g``."""
    d = _row_pass(np.ascontiguousarray(g, dtype=np.int32), np.int32(n_rows + 1), float(dy), float(dx))
    return d.astype(dtype, copy=False)


def edt(target: np.ndarray, dy: float = 1.0, dx: float = 1.0, dtype=np.float32) -> np.ndarray:
    """Exact distance (map units; pixels with the default unit cell) from every cell of an in-memory
    2-D array to its nearest True cell, ``inf`` where there is none.

    Same two passes as the strips, over the whole array, numba-parallel. With unit cells the squared
    distances are exact integers, so the float32 result equals ``scipy.ndimage.distance_transform_edt``
    cast to float32 bit for bit (the InVEST/pygeoprocessing float32 transform).
    """
    t = np.ascontiguousarray(target, dtype=np.bool_)
    if t.ndim != 2:
        raise ValueError("edt expects a 2-D boolean array")
    if t.size == 0:
        return np.zeros(t.shape, dtype)
    big = np.int32(t.shape[0] + t.shape[1] + 1)
    with _LOCK:
        d = _edt_parallel(t, big, float(dy), float(dx))
    return d.astype(dtype, copy=False)


def edt_dask(target, dy: float, dx: float, dtype=np.float32):
    """Exact distance (map units; ``dtype``, float32 or float64) to the nearest True cell of a 2-D
    dask bool array.

    Column strips, then row strips (module docstring); the result has the chunks of ``target``.
    The vertical distances are checkpointed between the passes when a spill folder is set
    (:func:`restoreplan.core.chunked.spill_to`); without one they stay in the graph, and dask may
    then hold all of them (4 bytes per cell) while the row strips run.
    """
    import xarray as xr

    from .chunked import checkpoint

    target = target.astype(bool)
    ny, nx = target.shape
    col_w, row_h = max(target.chunks[1]), max(target.chunks[0])
    strips = target.rechunk({0: -1, 1: col_w})
    g = strips.map_blocks(column_distance_kernel, ny, dtype=np.int32, meta=np.empty((0, 0), np.int32))
    g = checkpoint(xr.DataArray(g, dims=("y", "x")), limit_bytes=0).data
    rows = g.rechunk({0: row_h, 1: -1})
    dtype = np.dtype(dtype)
    d = rows.map_blocks(row_envelope_kernel, ny, dy, dx, dtype, dtype=dtype, meta=np.empty((0, 0), dtype))
    return d.rechunk(target.chunks)
