"""Small performance helpers shared by the InVEST-parity services (no numerics of their own).

* :func:`finish` — same result as ``rp.core.finalize.finalize`` but without rioxarray's deep copies
  (``write_crs``/``write_transform``/``write_nodata`` copy the whole array unless ``inplace=True``;
  here they act in place on a shallow copy).
* :func:`close_to` — InVEST's nodata test ``isclose(a, nodata)`` (rtol 1e-5, atol 1e-8) without
  ``numpy.isclose``'s generic overhead.
* :func:`row_blocks` — run an elementwise kernel on row blocks with dask's threaded scheduler (numpy
  releases the GIL), returning exactly what one call on the whole array returns. Inside a dask
  task (any thread but the main one, e.g. a chunk of a dask computation or a dask.distributed
  worker) it runs in one call: the chunks are already the parallel units, no nested pool.
* :func:`thread_budget` — how many threads such a helper may use here.
"""

from __future__ import annotations

import math
import os
import threading

import numpy as np
import xarray as xr

from ..core.finalize import finalize as finish  # copy-free: finalize writes metadata in place

__all__ = ["close_to", "finish", "parallel_map", "row_blocks", "thread_budget"]


def thread_budget() -> int:
    """Threads a helper may use: 1 inside a dask task (not the main thread), else dask's
    ``num_workers`` setting or the CPU count."""
    if threading.current_thread() is not threading.main_thread():
        return 1
    import dask

    n = dask.config.get("num_workers", None)
    return max(1, int(n) if n else (os.cpu_count() or 1))


def parallel_map(func, items: list, *, workers: int | None = None) -> list:
    """``[func(x) for x in items]`` on dask's threaded scheduler (serial when the budget is 1)."""
    workers = thread_budget() if workers is None else workers
    if workers <= 1 or len(items) < 2:
        return [func(x) for x in items]
    import dask

    return list(dask.compute(*[dask.delayed(func, pure=False)(x) for x in items], scheduler="threads",
                             num_workers=min(workers, len(items))))


def close_to(a: np.ndarray, nodata) -> np.ndarray:
    """Boolean mask ``|a − nodata| <= 1e-8 + 1e-5·|nodata|`` (exact equality for integer arrays)."""
    if nodata is None or (isinstance(nodata, float) and math.isnan(nodata)):
        return np.isnan(a) if np.issubdtype(a.dtype, np.floating) else np.zeros(a.shape, bool)
    if np.issubdtype(a.dtype, np.integer):
        if float(nodata) != int(nodata):
            return np.zeros(a.shape, bool)
        info = np.iinfo(a.dtype)
        if not info.min <= int(nodata) <= info.max:
            return np.zeros(a.shape, bool)
        return a == a.dtype.type(int(nodata))
    tol = 1e-8 + 1e-5 * abs(float(nodata))
    with np.errstate(over="ignore", invalid="ignore"):
        if a.dtype == np.float64:
            return np.abs(a - float(nodata)) <= tol
        return np.abs(a - np.float32(nodata)) <= np.float32(tol)


def row_blocks(func, arrays: list[np.ndarray], *, n_out: int = 1, min_pixels: int = 1 << 19):
    """Apply elementwise ``func(*blocks) -> array | tuple`` on row blocks in threads; concatenate the results.

    Arrays that are 0-d or have one row are passed whole to every block (broadcast). Small inputs
    run in one call.
    """
    big = [a for a in arrays if np.ndim(a) == 2]
    ny = big[0].shape[0] if big else 0
    size = big[0].size if big else 0
    workers = thread_budget()
    if size < min_pixels or workers == 1 or ny < 2 * workers:
        return func(*arrays)
    nblk = min(ny, 4 * workers)
    edges = np.linspace(0, ny, nblk + 1).astype(int)

    def one(i):
        sl = slice(edges[i], edges[i + 1])
        return func(*[a[sl] if np.ndim(a) == 2 and a.shape[0] == ny else a for a in arrays])

    parts = parallel_map(one, list(range(nblk)), workers=workers)
    if n_out == 1:
        return np.concatenate(parts, axis=0)
    return tuple(np.concatenate([p[j] for p in parts], axis=0) for j in range(n_out))
