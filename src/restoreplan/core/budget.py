"""One thread budget and a chunk-friendly allocator setting for a chunked (dask) run.

**Threads.** dask runs one task per worker thread; every kernel inside a task must then run on
that one thread, or ``--workers N`` × numba threads × BLAS threads × GDAL threads oversubscribe the
cores (the system time of a run grows with the context switches and the cache thrashing).
:func:`thread_budget` sets the nested pools to one thread: ``OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS``
(read by the libraries when they load), ``GDAL_NUM_THREADS`` and, if numba is already loaded,
``numba.set_num_threads(1)``. Call it before the heavy imports (and on every dask worker:
``client.run(thread_budget)``).

**Allocator.** A chunked pass allocates and frees the same few block-sized temporaries (8 MB for a
1024² float64 block) thousands of times. glibc ``malloc`` returns freed memory at the top of its
heap to the kernel as soon as more than ``M_TRIM_THRESHOLD`` (dynamically ≈ 2 × the largest block
seen, ≤ 64 MB) is free, and serves blocks above ``M_MMAP_THRESHOLD`` with a fresh ``mmap``; either
way the next block faults every page in again (zero-filled by the kernel: system time).
:func:`tune_allocator` fixes ``M_MMAP_THRESHOLD`` at 32 MB (glibc's maximum: blocks up to 2048²
float64 stay on the heap) and ``M_TRIM_THRESHOLD`` at ``trim_mb`` (default 512 MB: freed blocks
are kept for reuse), so a pass reuses its pages. The cost is at most ``trim_mb`` of freed memory
kept per malloc arena (the 10^7-cell run's peak rose by ~0.1–0.2 GB). It is a no-op outside glibc
(macOS, Windows, musl). Measured on the 10^7-cell benchmark (``benchmarks/scale.py``, chunk 1024):
minor page faults 3.6 M → 1.5 M (trim 512 MB; 3.0 M with 128 MB), system time 18.7 s → 12.1 s.
Not set by ``restoreplan run``: a study near a memory limit keeps glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["thread_budget", "tune_allocator"]

#: glibc mallopt parameter numbers (malloc.h)
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
#: glibc's upper limit of M_MMAP_THRESHOLD on 64-bit systems (HEAP_MAX_SIZE / 2)
_MMAP_MAX = 32 * 1024**2


def thread_budget(threads: int = 1) -> None:
    """Run the nested thread pools (numba, OpenMP/BLAS, GDAL) with ``threads`` threads (default 1).

    Environment variables already set by the user are kept, except ``GDAL_NUM_THREADS``; numba,
    when already imported, is set at once (capped at its configured maximum).
    """
    n = str(max(1, int(threads)))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, n)
    os.environ["GDAL_NUM_THREADS"] = n
    numba = sys.modules.get("numba")
    if numba is not None:
        numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))


def tune_allocator(trim_mb: int = 512) -> bool:
    """Keep block-sized temporaries on the malloc heap (glibc only); True if the settings took.

    See the module docstring: ``M_MMAP_THRESHOLD`` = 32 MB, ``M_TRIM_THRESHOLD`` = ``trim_mb``,
    ``M_TOP_PAD`` = 16 MB. Process-wide; call once at the start of a run (and on each dask worker).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, int(trim_mb) * 1024**2) == 1
    ok &= mallopt(_M_TOP_PAD, 16 * 1024**2) == 1
    return bool(ok)
