"""Exact Euclidean distance transform (EDT) in pixels, numba-parallel (Felzenszwalb & Huttenlocher 2012).

``edt_px(sources)`` returns, for every pixel, the float32 distance (in pixels, unit square cells)
to the nearest ``True`` pixel of ``sources``: ``sqrt`` of the exact integer squared distance,
rounded once to float32 — identical to ``scipy.ndimage.distance_transform_edt(~sources)`` cast to
float32, and to InVEST/pygeoprocessing's float32 transform. Two separable passes: a column scan
giving the vertical distance ``g`` to the nearest source in the column, then, per row, the lower
envelope of the parabolas ``(x − q)² + g(q)²`` over columns ``q`` that hold a source.
Rows and column blocks run in parallel. Pixels with no source anywhere get ``inf``.

References: Felzenszwalb P.F., Huttenlocher D.P. 2012. Distance transforms of sampled functions.
Theory of Computing 8:415–428.
"""

from __future__ import annotations

import threading

import numba as nb
import numpy as np

__all__ = ["edt_px"]

# numba's fallback "workqueue" threading layer is not safe for concurrent parallel launches (e.g. dask
# worker threads); each call already uses every core, so calls are serialized.
_LOCK = threading.Lock()


@nb.njit(cache=True, parallel=True)
def _col_pass(src):
    ny, nx = src.shape
    big = np.int32(ny + nx + 1)
    g = np.empty((ny, nx), np.int32)
    nblk = 64
    step = (nx + nblk - 1) // nblk
    for b in nb.prange(nblk):
        x0 = b * step
        x1 = min(nx, x0 + step)
        for x in range(x0, x1):
            g[0, x] = 0 if src[0, x] else big
        for y in range(1, ny):
            for x in range(x0, x1):
                g[y, x] = 0 if src[y, x] else min(g[y - 1, x] + 1, big)
        for y in range(ny - 2, -1, -1):
            for x in range(x0, x1):
                v = g[y + 1, x] + 1
                g[y, x] = min(g[y, x], v)
    return g


@nb.njit(cache=True, parallel=True)
def _row_pass(g, big):
    ny, nx = g.shape
    out = np.empty((ny, nx), np.float32)
    for y in nb.prange(ny):
        v = np.empty(nx, np.int64)
        z = np.empty(nx + 1, np.float64)
        k = -1
        for q in range(nx):
            if g[y, q] >= big:
                continue
            gq = np.int64(g[y, q])
            fq = gq * gq
            if k < 0:
                k = 0
                v[0] = q
                z[0] = -1e300
                z[1] = 1e300
                continue
            while True:
                p = v[k]
                gp = np.int64(g[y, p])
                fp = gp * gp
                s = ((fq + q * q) - (fp + p * p)) / (2.0 * (q - p))
                if s <= z[k]:
                    k -= 1
                    if k < 0:
                        break
                else:
                    break
            k += 1
            v[k] = q
            z[k] = s
            z[k + 1] = 1e300
        if k < 0:
            for x in range(nx):
                out[y, x] = np.inf
            continue
        j = 0
        for x in range(nx):
            while z[j + 1] < x:
                j += 1
            p = v[j]
            gp = np.int64(g[y, p])
            d2 = np.int64(x - p) * np.int64(x - p) + gp * gp
            out[y, x] = np.float32(np.sqrt(np.float64(d2)))
    return out


def edt_px(sources: np.ndarray) -> np.ndarray:
    """Float32 distance (pixels) from each pixel to the nearest ``True`` pixel; ``inf`` if there is none."""
    src = np.ascontiguousarray(sources, dtype=np.bool_)
    if src.ndim != 2:
        raise ValueError("edt_px expects a 2-D boolean array")
    if src.size == 0:
        return np.zeros(src.shape, np.float32)
    with _LOCK:
        g = _col_pass(src)
        return _row_pass(g, src.shape[0] + src.shape[1] + 1)
