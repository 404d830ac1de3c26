"""Out-of-core building blocks: checkpoints on disk, per-block reductions, exact rank cuts.

A chunked (dask) raster is never gathered whole by the library. Results that later steps reuse are
*checkpointed*: written chunk by chunk to a chunk store (one compressed file per chunk) in the spill folder of the run (``spill_to``)
and read back lazily, so a step that needs two passes over an upstream result (a global statistic,
then the per-cell values) reads the checkpoint instead of recomputing or holding the upstream graph.
Without a spill folder small results are persisted in memory (``dask.persist``) and large ones stay
lazy.

Global statistics are reductions over blocks (``block_reduce``: one small numpy value per block,
summed). Ranks (top-x % tiers) use :func:`rank_cuts`, a histogram scheme with exact refinement:

1. pass 1: n and min/max of the eligible values;
2. pass 2..k: a B-bin histogram of the interval that holds the wanted rank, refined until the bin
   holding the rank has at most ``extract_limit`` values, which are then gathered and sorted;
3. a last pass counts, per row, the cells tied at the cut value, so that ties are broken in
   row-major order exactly like a stable sort of the whole array.

Memory is O(B + extract_limit + n_rows) besides one block per thread; the cost is one pass per
refinement level (2–3 for continuous data, B = 65,536).

Percentiles (:func:`quantiles`, used by ``normalize(clip_percentiles=...)``) use the same
refinement for the order statistics they need: with n valid values and h = (n − 1)·q, the
``floor(h)``-th smallest value v_i comes from the histogram refinement, the next one v_{i+1} from one
more pass (the count of values ≤ v_i and the smallest value above it), and the result is numpy's
linear interpolation between them (identical to ``numpy.nanquantile``, default method).
"""

from __future__ import annotations

import contextlib
import contextvars
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["block_reduce", "checkpoint", "class_counts", "is_lazy", "order_statistics", "quantiles", "rank_cuts",
           "spill_dir", "spill_to", "top_rank_mask"]

_SPILL: contextvars.ContextVar[Path | None] = contextvars.ContextVar("restoreplan_spill", default=None)

#: results up to this size are persisted in memory when there is no spill folder
PERSIST_LIMIT_BYTES = 512 * 1024**2


def is_lazy(obj) -> bool:
    """True for a dask-backed DataArray or Dataset."""
    return isinstance(obj, (xr.DataArray, xr.Dataset)) and obj.chunks is not None and bool(obj.chunks)


def spill_dir() -> Path | None:
    """The current spill folder (None outside :func:`spill_to`)."""
    return _SPILL.get()


@contextlib.contextmanager
def spill_to(folder: str | Path | None = None):
    """Checkpoint large lazy results to chunk stores in ``folder`` (a new temporary folder if None).

    The folder and everything in it are removed when the block ends. With dask.distributed the
    folder must be visible to every worker (a local disk for a LocalCluster, a shared file system
    on a cluster).
    """
    own = folder is None
    path = Path(tempfile.mkdtemp(prefix="restoreplan-spill-")) if own else Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    token = _SPILL.set(path)
    try:
        yield path
    finally:
        _SPILL.reset(token)
        if own:
            shutil.rmtree(path, ignore_errors=True)


def _codec():
    """Blosc LZ4 with byte shuffle, level 1: GB/s, and raster results (per-class lookups, classes,
    NaN outside the area) shrink several-fold, so checkpoints of a province fit on a laptop disk."""
    from numcodecs import Blosc

    return Blosc(cname="lz4", clevel=1, shuffle=Blosc.SHUFFLE, blocksize=0)


class ChunkStore:
    """A folder of one compressed file per chunk: the checkpoint format (a ``dask.array.store`` target).

    Writing and reading a chunk is one Blosc-LZ4 encode/decode and one file write/read (no event
    loop, no lock: chunks are disjoint files), so a pass over a checkpoint costs about the disk
    bandwidth. Picklable (a path and the chunk sizes), so dask.distributed workers write and read
    it directly.
    """

    def __init__(self, path: Path, chunks: tuple[tuple[int, ...], ...], dtype):
        self.path = Path(path)
        self.chunks = tuple(tuple(int(c) for c in ch) for ch in chunks)
        self.dtype = np.dtype(dtype)
        self.shape = tuple(sum(c) for c in self.chunks)
        self.ndim = len(self.shape)
        self._starts = [np.concatenate([[0], np.cumsum(c)[:-1]]).astype(np.int64) for c in self.chunks]
        self.path.mkdir(parents=True, exist_ok=True)

    def _file(self, idx) -> Path:
        return self.path / ("_".join(str(int(i)) for i in idx) + ".blosc")

    def __setitem__(self, key, value):
        key = key if isinstance(key, tuple) else (key,)
        idx = []
        for d, sl in enumerate(key):
            start = 0 if sl.start is None else int(sl.start)
            i = int(np.searchsorted(self._starts[d], start))
            if i >= len(self._starts[d]) or self._starts[d][i] != start:
                raise ValueError(f"ChunkStore: write at {key} does not start a chunk")
            idx.append(i)
        a = np.ascontiguousarray(value, dtype=self.dtype)
        self._file(idx).write_bytes(_codec().encode(a))

    def _load(self, block_info=None):
        loc = block_info[None]["chunk-location"]
        shape = tuple(self.chunks[d][i] for d, i in enumerate(loc))
        raw = _codec().decode(self._file(loc).read_bytes())
        return np.frombuffer(raw, dtype=self.dtype).reshape(shape).copy()

    def read(self):
        """The stored array as a lazy dask array with the stored chunks."""
        import dask.array as dsa

        return dsa.map_blocks(self._load, dtype=self.dtype, chunks=self.chunks,
                              meta=np.empty((0,) * self.ndim, self.dtype), name=f"checkpoint-{self.path.name}")


def _leaves(obj, acc):
    """Every dask-backed DataArray inside ``obj`` (dicts, Datasets, DataArrays), in walk order."""
    if isinstance(obj, dict):
        for v in obj.values():
            _leaves(v, acc)
    elif isinstance(obj, xr.Dataset):
        acc += [obj[k] for k in obj.data_vars if obj[k].chunks]
    elif isinstance(obj, xr.DataArray) and obj.chunks:
        acc.append(obj)
    return acc


def _rebuild(obj, it):
    """``obj`` with its lazy leaves (same walk order as :func:`_leaves`) taken from iterator ``it``."""
    if isinstance(obj, dict):
        return {k: _rebuild(v, it) for k, v in obj.items()}
    if isinstance(obj, xr.Dataset):
        out = obj.copy()
        for k in obj.data_vars:
            if obj[k].chunks:
                out[k] = next(it)
        return out
    if isinstance(obj, xr.DataArray) and obj.chunks:
        return next(it)
    return obj


def checkpoint(obj, *, limit_bytes: int = PERSIST_LIMIT_BYTES, spill: bool = True):
    """Compute a lazy result once so that later passes over it do not recompute its graph.

    * a spill folder is set (:func:`spill_to`): every dask-backed variable is written chunk by chunk
      to a :class:`ChunkStore` (one compressed file per chunk) there, all of them in one ``dask.compute`` (shared upstream work runs once),
      and replaced by a lazy read of its store (coordinates and attrs kept);
    * otherwise results up to ``limit_bytes`` in all are persisted in memory, larger ones stay lazy.

    ``spill=False`` ignores the spill folder (persist when small). numpy-backed and non-raster
    objects are returned unchanged; dicts and Datasets are walked.
    """
    import dask
    import dask.array as dsa

    leaves = _leaves(obj, [])
    if not leaves:
        return obj
    folder = spill_dir() if spill else None
    if folder is not None:  # leaves that are already plain checkpoint reads are kept as they are
        fresh = [v for v in leaves if not _is_checkpoint(v)]
        if len(fresh) < len(leaves):
            done = iter(checkpoint_list(fresh, folder))
            return _rebuild(obj, iter([v if _is_checkpoint(v) else next(done) for v in leaves]))
    if folder is None:
        if sum(v.nbytes for v in leaves) > limit_bytes:
            return obj
        done = dask.persist(*leaves)
    else:
        done = checkpoint_list(leaves, folder)
    return _rebuild(obj, iter(done))


def _is_checkpoint(v: xr.DataArray) -> bool:
    """True when ``v`` is exactly a read of a :class:`ChunkStore` (nothing computed on top)."""
    return str(getattr(v.data, "name", "")).startswith("checkpoint-") and len(v.data.dask.layers) == 1


def checkpoint_list(leaves: list[xr.DataArray], folder: Path) -> list[xr.DataArray]:
    """Write dask DataArrays to new chunk stores in ``folder`` in one compute; return lazy reads of them."""
    import dask.array as dsa

    if not leaves:
        return []
    stores = [ChunkStore(folder / uuid.uuid4().hex, v.data.chunks, v.dtype) for v in leaves]
    dsa.store([v.data for v in leaves], stores, lock=False, compute=True)
    return [v.copy(data=st.read()) for v, st in zip(leaves, stores)]


def block_reduce(func: Callable[..., np.ndarray], *arrays, combine: Callable = None) -> np.ndarray:
    """Apply ``func`` to aligned blocks of ``arrays`` (numpy or dask, same shape and chunks) and sum.

    ``func(*blocks, offset=(row0, col0, ...))`` returns a numpy array (or scalar) of a fixed shape;
    the per-block values are summed (``combine`` overrides, taking a list). numpy input is one
    block. Returns a numpy array.
    """
    import dask

    arrays = [a.data if isinstance(a, xr.DataArray) else a for a in arrays]
    lazy = [hasattr(a, "dask") for a in arrays]
    if not any(lazy):
        return np.asarray(func(*[np.asarray(a) for a in arrays], offset=(0,) * np.ndim(arrays[0])))
    import dask.array as dsa

    first = next(a for a, z in zip(arrays, lazy) if z)
    arrays = [a if z else dsa.from_array(np.asarray(a), chunks=first.chunks) for a, z in zip(arrays, lazy)]
    arrays = [a.rechunk(first.chunks) if a.chunks != first.chunks else a for a in arrays]
    starts = [np.concatenate([[0], np.cumsum(c)[:-1]]) for c in first.chunks]
    blocks = [a.to_delayed() for a in arrays]
    parts = []
    fn = dask.delayed(func, pure=True)
    for idx in np.ndindex(*first.numblocks):
        off = tuple(int(s[i]) for s, i in zip(starts, idx))
        parts.append(fn(*[b[idx] for b in blocks], offset=off))
    if combine is not None:
        return np.asarray(combine(list(dask.compute(*parts))))
    return np.asarray(_tree_sum(parts).compute())


def _tree_sum(parts):
    import dask

    add = dask.delayed(lambda *xs: np.sum(np.stack([np.asarray(x) for x in xs]), axis=0), pure=True)
    while len(parts) > 1:
        parts = [add(*parts[i:i + 16]) for i in range(0, len(parts), 16)]
    return parts[0]


def class_counts(da: xr.DataArray, *, nodata=None, weights: xr.DataArray | None = None,
                 n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(codes, counts) of the non-negative integer codes of ``da`` (≠ ``nodata``), as a block reduction.

    With ``weights`` (float, same grid) the NaN-skipping sums of the weights per code are returned
    instead of the counts. ``n_classes`` bounds the codes (default: 256 for 8-bit data, else found
    by a first max reduction). Computes the reduction only.
    """
    if n_classes is None:
        if np.dtype(da.dtype).itemsize == 1:
            n_classes = 256
        else:
            mx = block_reduce(lambda a, offset: np.array([_valid_max(a, nodata)]), da,
                              combine=lambda xs: np.max(np.concatenate(xs)))
            n_classes = int(mx) + 1
    if n_classes <= 0:
        return np.zeros(0, np.int64), np.zeros(0)

    def _count(a, *w, offset):
        a = np.asarray(a).ravel()
        ok = (a >= 0) if np.issubdtype(a.dtype, np.signedinteger) else np.ones(a.shape, bool)
        if nodata is not None:
            ok &= a != nodata
        if w:
            wv = np.asarray(w[0], dtype=np.float64).ravel()
            ok &= ~np.isnan(wv)
            return np.bincount(a[ok].astype(np.int64), weights=wv[ok], minlength=n_classes)[:n_classes]
        return np.bincount(a[ok].astype(np.int64), minlength=n_classes)[:n_classes]

    arrs = (da,) if weights is None else (da, weights)
    tot = block_reduce(_count, *arrs)
    if weights is None:
        codes = np.flatnonzero(tot)
        return codes.astype(np.int64), tot[codes].astype(np.int64)
    cnt = class_counts(da, nodata=nodata, n_classes=n_classes)[0]
    return cnt, tot[cnt]


def _valid_max(a, nodata):
    a = np.asarray(a)
    if nodata is not None:
        a = a[a != nodata]
    return int(a.max()) if a.size else -1


# --------------------------------------------------------------------------------------------
# exact rank cuts (top-n with row-major tie break) without a global sort
# --------------------------------------------------------------------------------------------

def _clean(v, e):
    v = np.asarray(v, dtype=np.float64)
    ok = ~np.isnan(v)
    if e is not None:
        ok &= np.asarray(e, bool)
    return v, ok


def _in_interval(v, lo, hi, hi_closed):
    return (v >= lo) & ((v < hi) | (hi_closed & (v == hi)))


def rank_cuts(values, eligible, ks: Sequence[int] | Callable[[int], Sequence[int]], *, bins: int = 65536,
              extract_limit: int = 1 << 22) -> tuple[int, list[tuple[float, int]]]:
    """Exact cut of the top-k eligible cells, ranked by value descending with row-major tie break.

    ``values`` (2-D float, NaN = not eligible) and ``eligible`` (bool or None) are numpy or dask.
    ``ks`` are the wanted counts (0 ≤ k), or a function of n giving them. Returns ``(n, cuts)``: n = eligible cells, and per k a
    pair ``(v_k, p_k)``: a cell is in the top k iff ``value > v_k`` or (``value == v_k`` and its
    flat row-major index ≤ ``p_k``). k = 0 gives ``(inf, -1)``. This is exactly the first k cells of
    a stable descending sort of the whole array (:func:`restoreplan.priority.tiers.rank_order`).
    """
    args = (values,) if eligible is None else (values, eligible)

    def _stats(v, *e, offset):
        v, ok = _clean(v, e[0] if e else None)
        if not ok.any():
            return np.array([0.0, np.inf, -np.inf])
        x = v[ok]
        return np.array([float(ok.sum()), x.min(), x.max()])

    st = block_reduce(_stats, *args, combine=lambda xs: np.array(
        [sum(x[0] for x in xs), min(x[1] for x in xs), max(x[2] for x in xs)]))
    n, vmin, vmax = int(st[0]), float(st[1]), float(st[2])
    out = []
    for k in (ks(n) if callable(ks) else ks):
        k = int(k)
        if k <= 0 or n == 0:
            out.append((np.inf, -1))
            continue
        k = min(k, n)
        v_k, greater = _kth_largest(args, k, vmin, vmax, bins, extract_limit)
        out.append((v_k, _tie_position(args, v_k, k - greater)))
    return n, out


def _kth_largest(args, k, lo, hi, bins, extract_limit):
    """(v, g): the k-th largest eligible value and the number of eligible values strictly above it."""
    above = 0  # eligible values above the current interval
    hi_closed = True
    while True:
        if lo == hi:
            return lo, above
        edges = np.linspace(lo, hi, bins + 1)

        def _hist(v, *e, offset, lo=lo, hi=hi, hc=hi_closed, edges=edges):
            v, ok = _clean(v, e[0] if e else None)
            x = v[ok]
            x = x[_in_interval(x, lo, hi, hc)]
            b = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
            return np.bincount(b, minlength=bins)

        h = block_reduce(_hist, *args)
        from_top = np.cumsum(h[::-1])
        j = int(np.searchsorted(from_top, k - above))  # bins counted from the top
        b = bins - 1 - j
        above_b = above + (int(from_top[j - 1]) if j > 0 else 0)
        blo, bhi = float(edges[b]), float(edges[b + 1])
        bclosed = hi_closed if b == bins - 1 else False
        degenerate = not (blo < bhi) or np.nextafter(blo, np.inf) >= bhi
        if degenerate and not bclosed:  # the bin holds one representable value
            return blo, above_b
        if int(h[b]) <= extract_limit or degenerate:
            def _take(v, *e, offset, lo=blo, hi=bhi, hc=bclosed):
                v, ok = _clean(v, e[0] if e else None)
                x = v[ok]
                return x[_in_interval(x, lo, hi, hc)]

            cand = block_reduce(_take, *args, combine=lambda xs: np.concatenate(xs))
            cand = np.sort(cand)[::-1]
            v = float(cand[k - above_b - 1])
            return v, above_b + int((cand > v).sum())
        lo, hi, hi_closed, above = blo, bhi, bclosed, above_b


def _tie_position(args, v_k, need):
    """Flat row-major index of the ``need``-th eligible cell equal to ``v_k`` (1-based ``need``)."""
    values = args[0]
    shape = values.shape
    ny, nx = shape[-2], shape[-1]

    def _rows(v, *e, offset):
        v, ok = _clean(v, e[0] if e else None)
        out = np.zeros(ny, np.int64)
        out[offset[0]:offset[0] + v.shape[0]] = (ok & (v == v_k)).sum(axis=1)
        return out

    per_row = block_reduce(_rows, *args)
    cum = np.cumsum(per_row)
    r = int(np.searchsorted(cum, need))
    before = int(cum[r - 1]) if r > 0 else 0
    row = [np.asarray(a[r].compute() if hasattr(a, "compute") else a[r])
           for a in ((x.data if isinstance(x, xr.DataArray) else x) for x in args)]
    v, ok = _clean(row[0], row[1] if len(row) > 1 else None)
    cols = np.flatnonzero(ok & (v == v_k))
    return r * nx + int(cols[need - before - 1])


def top_rank_mask(values: np.ndarray, eligible, cut: tuple[float, int], offset: tuple[int, int],
                  ncols: int) -> np.ndarray:
    """Boolean block: cells of the top k given ``cut = (v_k, p_k)`` from :func:`rank_cuts`. Numpy kernel."""
    v_k, p_k = cut
    v, ok = _clean(values, eligible)
    if p_k < 0:
        return np.zeros(v.shape, bool)
    rows = offset[0] + np.arange(v.shape[0])[:, None]
    cols = offset[1] + np.arange(v.shape[1])[None, :]
    flat = rows * ncols + cols
    return ok & ((v > v_k) | ((v == v_k) & (flat <= p_k)))


# --------------------------------------------------------------------------------------------
# exact order statistics and percentiles without a global sort
# --------------------------------------------------------------------------------------------

def _valid_count(values) -> tuple[int, float, float]:
    """(n, min, max) of the non-NaN values (one block reduction)."""
    def _stats(v, offset):
        v = np.asarray(v, dtype=np.float64)
        x = v[~np.isnan(v)]
        if not x.size:
            return np.array([0.0, np.inf, -np.inf])
        return np.array([float(x.size), x.min(), x.max()])

    st = block_reduce(_stats, values, combine=lambda xs: np.array(
        [sum(x[0] for x in xs), min(x[1] for x in xs), max(x[2] for x in xs)]))
    return int(st[0]), float(st[1]), float(st[2])


def order_statistics(values, ranks: Sequence[int], *, bins: int = 65536,
                     extract_limit: int = 1 << 22) -> tuple[int, list[float]]:
    """The ``ranks``-th smallest non-NaN values (0-based) of ``values`` (numpy or dask, any shape).

    Returns ``(n, [v_r, ...])`` with n the number of non-NaN values, each ``v_r`` equal to
    ``np.sort(values[~isnan])[r]``; ranks must lie in [0, n). Histogram refinement as in
    :func:`rank_cuts` (the r-th smallest is the (n − r)-th largest); memory O(bins + extract_limit).
    """
    n, vmin, vmax = _valid_count(values)
    out = []
    for r in ranks:
        r = int(r)
        if not 0 <= r < n:
            raise ValueError(f"order_statistics: rank {r} outside [0, {n})")
        out.append(_kth_largest((values,), n - r, vmin, vmax, bins, extract_limit)[0])
    return n, out


def _next_order_statistic(values, v: float, rank: int) -> float:
    """The (rank + 1)-th smallest value given the rank-th one ``v`` (one pass: count ≤ v, min > v)."""
    def _part(a, offset):
        a = np.asarray(a, dtype=np.float64)
        a = a[~np.isnan(a)]
        up = a[a > v]
        return np.array([float((a <= v).sum()), up.min() if up.size else np.inf])

    st = block_reduce(_part, values, combine=lambda xs: np.array([sum(x[0] for x in xs), min(x[1] for x in xs)]))
    return v if int(st[0]) >= rank + 2 else float(st[1])


def quantiles(values, qs: Sequence[float], *, bins: int = 65536, extract_limit: int = 1 << 22) -> np.ndarray:
    """``numpy.nanquantile(values, qs)`` (linear interpolation) of numpy or dask ``values``, by passes.

    No sort and no gather: per quantile the two order statistics around h = (n − 1)·q
    (:func:`order_statistics`, then one pass for the next one), interpolated by numpy itself on
    the two values so the rounding is numpy's. All-NaN input gives NaN. Result dtype: numpy's
    (float64 for the float ``qs`` given here).
    """
    data = values.data if isinstance(values, xr.DataArray) else values
    dtype = np.dtype(data.dtype) if np.dtype(data.dtype) == np.float32 else np.dtype(np.float64)
    qs = [float(q) for q in qs]
    if any(not 0.0 <= q <= 1.0 for q in qs):
        raise ValueError(f"quantiles: q must lie in [0, 1], got {qs}")
    n, vmin, vmax = _valid_count(data)
    if n == 0:
        return np.full(len(qs), np.nan)
    out = []
    for q in qs:
        h = (n - 1) * q
        i = int(np.floor(h))
        a = _kth_largest((data,), n - i, vmin, vmax, bins, extract_limit)[0]
        b = a if i + 1 >= n else _next_order_statistic(data, a, i)
        out.append(np.quantile(np.array([a, b], dtype=dtype), np.array([h - i]))[0])
    return np.asarray(out)
