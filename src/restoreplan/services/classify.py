"""Classifiers: Jenks natural breaks, geometric intervals, multi-ring distance buffers.

Breaks are returned as *edges* ``b_0 < b_1 <= ... <= b_K`` (``b_0`` = the minimum, ``b_K`` = the
maximum of the data the breaks were computed on); class ``k`` (1..K) holds ``(b_{k-1}, b_k]``,
with ``b_0`` itself in class 1.  The "breaks" usually printed (ArcGIS, mapclassify ``bins``) are
``edges[1:]``.

Computing breaks needs every valid value, so :func:`jenks_breaks` and :func:`geometric_breaks`
*compute* (they return numpy arrays).  :func:`jenks_classes` and :func:`geometric_classes` stay
lazy on dask input: the breaks become a one-chunk dask array computed from the whole input inside
the graph.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numba
import numpy as np
import xarray as xr

from ..core.errors import (
    ConfigError,
    ConstantInputWarning,
    DataError,
    InputError,
    RestorePlanWarning,
    message,
)
from ..core.finalize import finalize
from ..core.legend import set_class_labels
from ..core.validate import check_raster
from ..core.compute import as_float, materialize

__all__ = [
    "CLASS_NODATA",
    "classify",
    "distance_rings",
    "geometric_breaks",
    "geometric_classes",
    "jenks_breaks",
    "jenks_classes",
    "ring_classes",
]

CLASS_NODATA = 0  # class rasters are uint8 with nodata 0; classes are 1..K


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

@numba.njit(cache=True)
def _fisher_dp(v, w, k):  # pragma: no cover - compiled; covered through _jenks_edges
    """Exact Fisher (1958) DP on sorted unique values ``v`` with counts ``w``; return class starts.

    cost[c, j] = min within-class sum of squares of v[0..j] in c+1 classes, with class c holding
    v[m..j] for the best m (back[c, j]). The best m is non-decreasing in j (the within-class sum
    of squares satisfies the quadrangle inequality), so each layer is filled by divide and
    conquer over j: O(k n log n) instead of O(k n^2), same optimum.
    """
    n = v.shape[0]
    cw = np.zeros(n + 1)
    c1 = np.zeros(n + 1)
    c2 = np.zeros(n + 1)
    for i in range(n):
        cw[i + 1] = cw[i] + w[i]
        c1[i + 1] = c1[i] + w[i] * v[i]
        c2[i + 1] = c2[i] + w[i] * v[i] * v[i]
    inf = np.inf
    cost = np.full((k, n), inf)
    back = np.zeros((k, n), dtype=np.int64)
    for j in range(n):
        s = c1[j + 1]
        cost[0, j] = max(c2[j + 1] - s * s / cw[j + 1], 0.0)
    stack = np.empty((2 * n + 8, 4), dtype=np.int64)
    for c in range(1, k):
        top = 0
        stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = c, n - 1, c, n - 1
        top = 1
        while top > 0:
            top -= 1
            jlo, jhi, olo, ohi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
            if jlo > jhi:
                continue
            j = (jlo + jhi) // 2
            best = inf
            arg = olo
            for m in range(olo, min(j, ohi) + 1):  # class c holds v[m..j]
                sw = cw[j + 1] - cw[m]
                sm = c1[j + 1] - c1[m]
                ssd = c2[j + 1] - c2[m] - sm * sm / sw
                ssd = max(ssd, 0.0)
                tot = cost[c - 1, m - 1] + ssd
                if tot < best:
                    best = tot
                    arg = m
            cost[c, j] = best
            back[c, j] = arg
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = jlo, j - 1, olo, arg
            top += 1
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = j + 1, jhi, arg, ohi
            top += 1
    starts = np.zeros(k, dtype=np.int64)
    j = n - 1
    for c in range(k - 1, 0, -1):
        m = back[c, j]
        starts[c] = m
        j = m - 1
    return starts


def _valid_values(arr) -> np.ndarray:
    a = np.asarray(arr, dtype=np.float64).ravel()
    return a[np.isfinite(a)]


def _sample_keep_extremes(vals: np.ndarray, max_exact: int, seed: int) -> np.ndarray:
    """``max_exact`` values drawn without replacement (seeded), always including min and max."""
    if vals.size <= max_exact:
        return vals
    rng = np.random.default_rng(seed)
    i_min, i_max = int(np.argmin(vals)), int(np.argmax(vals))
    keep = sorted({i_min, i_max})
    rest = np.delete(np.arange(vals.size), keep)  # O(n); np.setdiff1d sorted all n indices (≈ 8 s at 5 M)
    pick = rng.choice(rest, size=max_exact - len(keep), replace=False)
    return np.concatenate([vals[keep], vals[np.sort(pick)]])


def _jenks_edges(arr, k: int, max_exact: int = 10_000, seed: int = 0, pad: bool = False) -> np.ndarray:
    """Jenks edges of the finite values of ``arr`` (numpy kernel; see :func:`jenks_breaks`)."""
    vals = _valid_values(arr)
    if vals.size == 0:
        raise DataError(message("x", "at least one valid (finite) value to classify", "none",
                                "check the input's nodata mask"))
    vals = _sample_keep_extremes(vals, max_exact, seed)
    uniq, counts = np.unique(vals, return_counts=True)
    k_eff = k
    if uniq.size < k:
        k_eff = int(uniq.size)
        warnings.warn(f"jenks: only {uniq.size} distinct value(s) for k={k}; using k={k_eff}",
                      ConstantInputWarning if k_eff == 1 else RestorePlanWarning, stacklevel=3)
    centred = uniq - uniq.mean()  # reduces cancellation in the running sums
    starts = _fisher_dp(centred, counts.astype(np.float64), k_eff)
    uppers = [uniq[s - 1] for s in starts[1:]] + [uniq[-1]]
    edges = np.array([uniq[0]] + uppers, dtype=np.float64)
    if pad and k_eff < k:
        edges = np.concatenate([edges, np.full(k - k_eff, edges[-1])])
    return edges


def _balanced_anchor(vals: np.ndarray, k: int, n_candidates: int = 512) -> float:
    """Anchor m of the geometric edges m·(M/m)^(i/k) that minimizes Σ n_c² (counts per class).

    Esri documents its geometric interval as "minimizing the sum of squares of the number of
    elements in each class"; here that criterion picks the one free choice of the open definition,
    the lowest edge m, among ``n_candidates`` log-spaced values from the smallest positive value
    up to M (exclusive). Ties keep the smallest m (closest to the plain definition). ``vals``:
    every valid value (zeros included, they count in class 1).
    """
    v = np.sort(vals)
    pos = v[v > 0]
    lo, hi = float(pos.min()), float(pos.max())
    cand = np.exp(np.linspace(np.log(lo), np.log(hi), n_candidates + 1)[:-1])
    i = np.arange(1, k, dtype=np.float64)
    inner = cand[:, None] * (hi / cand[:, None]) ** (i[None, :] / k)          # (candidates, k - 1)
    cum = np.searchsorted(v, inner.ravel(), side="right").reshape(inner.shape)  # values ≤ each inner edge
    counts = np.diff(np.concatenate([np.zeros((cand.size, 1)), cum, np.full((cand.size, 1), v.size)], axis=1), axis=1)
    return float(cand[int(np.argmin((counts ** 2).sum(axis=1)))])


def _geometric_edges(arr, k: int, pad: bool = False, anchor: str = "min_positive") -> np.ndarray:
    """Geometric-interval edges m·rho^i, rho = (M/m)^(1/k), over the positive finite values.

    ``anchor="min_positive"``: m = the smallest positive value; ``"balanced"``: m chosen by
    :func:`_balanced_anchor` (fewest values in the fullest class).
    """
    if anchor not in ("min_positive", "balanced"):
        raise ConfigError(message("anchor", "'min_positive' or 'balanced'", repr(anchor), "pick one of those"))
    vals = _valid_values(arr)
    if vals.size == 0:
        raise DataError(message("x", "at least one valid (finite) value to classify", "none",
                                "check the input's nodata mask"))
    vals = vals[vals > 0]
    if vals.size == 0:
        warnings.warn("geometric intervals: no positive value; every value falls in class 1",
                      ConstantInputWarning, stacklevel=3)
        return np.zeros(k + 1)
    m, big_m = float(vals.min()), float(vals.max())
    if m == big_m:
        warnings.warn("geometric intervals: every positive value equals "
                      f"{m}; all values fall in class 1", ConstantInputWarning, stacklevel=3)
        return np.full(k + 1, m)
    if anchor == "balanced" and k > 1:
        m = _balanced_anchor(_valid_values(arr), k)
    rho = (big_m / m) ** (1.0 / k)
    edges = m * rho ** np.arange(k + 1, dtype=np.float64)
    # round to 12 significant digits so that exact powers (1, 10, 100, ...) are not off by one ulp
    edges = np.array([float(f"{e:.12g}") for e in edges])
    edges[0], edges[-1] = m, big_m
    return edges


def _classify_kernel(x: np.ndarray, edges: np.ndarray, clip: bool = True) -> np.ndarray:
    """Class 1..K of each value: (b_{k-1}, b_k], b_0 in class 1; NaN -> 0.

    ``clip=True`` puts values below b_0 in class 1 and above b_K in class K; otherwise they get 0.
    """
    x = np.asarray(x, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    k = edges.size - 1
    dtype = np.uint8 if k < 255 else np.uint16
    cls = np.searchsorted(edges[1:-1], x, side="left") + 1
    bad = ~np.isfinite(x)
    if not clip:
        bad |= (x < edges[0]) | (x > edges[-1])
    return np.where(bad, CLASS_NODATA, cls).astype(dtype)


def _ring_kernel(d: np.ndarray, rings: np.ndarray) -> np.ndarray:
    """Ring class of each distance: [0, r_1) -> 1, [r_1, r_2) -> 2, ..., >= r_n -> n + 1; NaN -> 0."""
    d = np.asarray(d, dtype=np.float64)
    cls = np.searchsorted(rings, d, side="right") + 1
    return np.where(np.isfinite(d), cls, CLASS_NODATA).astype(np.uint8)


def _is_feature_lazy(f):
    """Feature cells of a float (dask) array: finite and non-zero."""
    import dask.array as dsa

    return dsa.isfinite(f) & (f != 0)


def _edt_kernel(feat: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Exact Euclidean distance (m) of every cell centre to the nearest non-zero cell (NaN = no feature)."""
    from scipy import ndimage

    f = np.asarray(feat, dtype=np.float64)
    is_feat = np.isfinite(f) & (f != 0)
    if not is_feat.any():
        return np.full(f.shape, np.inf)
    return ndimage.distance_transform_edt(~is_feat, sampling=(dy, dx))


# --------------------------------------------------------------------------------------------
# breaks (compute)
# --------------------------------------------------------------------------------------------

def _check_k(k: int, lo: int = 1) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < lo or k > 254:
        raise ConfigError(message("k", f"an integer number of classes in [{lo}, 254]", repr(k),
                                  "e.g. k=3 or k=5"))
    return int(k)


def _values_of(x) -> np.ndarray:
    """Float numpy values of an array or DataArray (integer nodata -> NaN); computes dask input."""
    if isinstance(x, xr.DataArray):
        data = as_float(x).data
        return materialize(data)
    return np.asarray(x, dtype=np.float64)


def jenks_breaks(x, k: int, *, max_exact: int = 10_000, seed: int = 0) -> np.ndarray:
    r"""Jenks natural-breaks edges by the exact Fisher (1958) dynamic program. Computes.

    Parameters
    ----------
    x : array-like or xarray.DataArray
        Values; NaN (and ``.rio.nodata`` of integer rasters) are ignored. Dask input is computed.
    k : int
        Number of classes (1..254). With fewer than ``k`` distinct values, ``k`` is reduced to
        their number and a warning is issued.
    max_exact : int
        Above this many valid values, the breaks are computed on a seeded random sample of
        ``max_exact`` values that always contains the minimum and the maximum
        (**assumption — parameter**, default 10 000).
    seed : int
        Seed of the ``np.random.Generator`` used for that sample.

    Returns
    -------
    numpy.ndarray
        ``k + 1`` edges ``[min, b_1, ..., b_k = max]``; ``b_j`` is the largest value of class j.

    Notes
    -----
    Minimizes the within-class sum of squares over all partitions of the sorted values into
    ``k`` contiguous classes:

    .. math:: \min \sum_{j=1}^{k} \sum_{x \in C_j} (x - \bar{x}_j)^2

    solved exactly on the ``n`` distinct values (weighted by their counts; an optimal partition
    never splits equal values) by Fisher's dynamic program, each layer filled by divide and conquer
    (the optimal split is monotone), :math:`O(k n \log n)`, numba-compiled.

    Examples
    --------
    >>> jenks_breaks([1, 2, 3, 10, 11, 12, 20, 21, 22], 3).tolist()
    [1.0, 3.0, 12.0, 22.0]
    """
    k = _check_k(k)
    if int(max_exact) < 2:
        raise ConfigError(message("max_exact", "an integer >= 2", repr(max_exact), "use the default 10000"))
    return _jenks_edges(_values_of(x), k, int(max_exact), int(seed))


def geometric_breaks(x, k: int, *, anchor: str = "min_positive") -> np.ndarray:
    r"""Geometric-interval edges over the positive values of ``x``. Computes.

    Parameters
    ----------
    x : array-like or xarray.DataArray
        Values; NaN ignored; zeros and negatives take no part in the edges (they fall in class 1
        when classified, **assumption — parameter**).
    k : int
        Number of classes.
    anchor : {"min_positive", "balanced"}
        m = the smallest positive value (default, the open definition), or the m that minimizes
        the sum of squared class counts (Esri's documented criterion; use it for data with a
        long tail towards 0, such as kernel densities, where the smallest positive value is an
        accident of the kernel's edge and puts nearly every cell in the top class).

    Returns
    -------
    numpy.ndarray
        ``k + 1`` edges :math:`b_i = m \rho^i`, :math:`\rho = (M/m)^{1/k}`, with M the largest
        positive value.

    Notes
    -----
    This is the open definition of geometric intervals (constant ratio between successive
    edges); Esri's implementation is proprietary and may differ.

    Examples
    --------
    >>> geometric_breaks([1.0, 5.0, 1000.0], 3).round(9).tolist()
    [1.0, 10.0, 100.0, 1000.0]
    """
    k = _check_k(k)
    return _geometric_edges(_values_of(x), k, anchor=anchor)


# --------------------------------------------------------------------------------------------
# public raster functions
# --------------------------------------------------------------------------------------------

def _finish_classes(out: xr.DataArray, like: xr.DataArray, name: str, *, labels: dict[int, str],
                    **attrs) -> xr.DataArray:
    if "x" in like.dims and "y" in like.dims:
        out = finalize(out, like=like, name=name, units="class", **attrs)
        out = out.rio.write_nodata(CLASS_NODATA, encoded=False)
    else:
        out.name = name
        out.attrs = {"units": "class", **{k: v for k, v in attrs.items() if v is not None}}
    return set_class_labels(out, labels, palette="viridis")


def _num(v: float) -> str:
    return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:.3g}"


def edge_labels(edges, k: int, units: str | None = None, *, names: Sequence[str] | None = None) -> dict[int, str]:
    """Legend of classes 1..k from their edges: ``{1: "class 1: 0–3.4 mm", …}`` (right-closed intervals).

    ``edges`` None (breaks not computed yet, dask input) gives ``"class k of K"``; ``names``
    (e.g. low / medium / high) prefix the intervals.
    """
    u = f" {units}" if units and units not in ("1", "class") else ""
    out = {}
    for i in range(1, k + 1):
        head = names[i - 1] if names is not None and len(names) == k else f"class {i}"
        if edges is None:
            out[i] = f"{head} of {k}"
        else:
            out[i] = f"{head}: {_num(float(edges[i - 1]))}–{_num(float(edges[i]))}{u}"
    return out


def classify(x: xr.DataArray, edges: Sequence[float], *, clip: bool = True, name: str | None = None) -> xr.DataArray:
    r"""Classify values into classes 1..K by ``edges`` (right-closed intervals).

    Parameters
    ----------
    x : xarray.DataArray
        Values (numpy or dask); NaN is nodata.
    edges : sequence of float
        ``K + 1`` non-decreasing edges ``b_0 .. b_K`` (e.g. from :func:`jenks_breaks`).
    clip : bool
        True: values below ``b_0`` go to class 1 and above ``b_K`` to class K. False: they get
        the nodata class 0.
    name : str, optional
        Name of the result (default ``"<x.name>_class"``).

    Returns
    -------
    xarray.DataArray
        uint8 classes 1..K, 0 = nodata (``.rio.nodata`` = 0), ``units = "class"``.

    Notes
    -----
    :math:`c(x) = k \iff b_{k-1} < x \le b_k`, and :math:`c(b_0) = 1`.

    Examples
    --------
    >>> import xarray as xr
    >>> classify(xr.DataArray([1.0, 3.0, 3.5, 22.0], dims="i"), [1, 3, 12, 22]).values.tolist()
    [1, 1, 2, 3]
    """
    if not isinstance(x, xr.DataArray):
        raise InputError(message("x", "an xarray.DataArray", type(x).__name__, "wrap it with xr.DataArray"))
    e = np.asarray(edges, dtype=np.float64)
    if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) < 0):
        raise ConfigError(message("edges", "at least 2 finite, non-decreasing edges", repr(list(edges)),
                                  "sort the edges and include the lower and upper bounds"))
    out = xr.apply_ufunc(_classify_kernel, as_float(x), kwargs={"edges": e, "clip": clip},
                         dask="parallelized", output_dtypes=[np.uint8 if e.size - 1 < 255 else np.uint16])
    return _finish_classes(out, x, name or f"{x.name or 'x'}_class", edges=",".join(f"{v:.10g}" for v in e),
                           labels=edge_labels(e, e.size - 1, x.attrs.get("units")))


def _lazy_edges(x: xr.DataArray, fn, k: int, **kw) -> xr.DataArray:
    """Edges as a 1-D DataArray along ``edge``: numpy now, or a one-chunk dask array for dask input."""
    xf = as_float(x)
    if xf.chunks is None:
        e = fn(np.asarray(xf.data), k, pad=True, **kw)
        return xr.DataArray(e, dims="edge")
    import dask
    import dask.array as dsa

    e = dsa.from_delayed(dask.delayed(fn)(xf.data, k, pad=True, **kw), shape=(k + 1,), dtype=np.float64)
    return xr.DataArray(e, dims="edge")


def _classes_from_edges(x: xr.DataArray, edges: xr.DataArray, k: int) -> xr.DataArray:
    dtype = np.uint8 if k < 255 else np.uint16
    return xr.apply_ufunc(_classify_kernel, as_float(x), edges, input_core_dims=[[], ["edge"]],
                          dask="parallelized", output_dtypes=[dtype])


def jenks_classes(x: xr.DataArray, k: int = 5, *, max_exact: int = 10_000, seed: int = 0,
                  name: str | None = None) -> xr.DataArray:
    r"""Jenks natural-breaks classes 1..k of ``x`` (breaks pooled over all dims of ``x``).

    Parameters
    ----------
    x : xarray.DataArray
        Continuous values (numpy or dask); NaN is nodata.
    k : int
        Number of classes (reduced, with a warning, when ``x`` has fewer distinct values).
    max_exact, seed : int
        Sampling above ``max_exact`` valid values (see :func:`jenks_breaks`).
    name : str, optional
        Default ``"<x.name>_jenks"``.

    Returns
    -------
    xarray.DataArray
        uint8 classes, 1 = lowest, 0 = nodata; ``units = "class"``. With numpy input the edges
        are stored in ``attrs["edges"]``; get them for dask input with :func:`jenks_breaks`.

    Notes
    -----
    Breaks minimize :math:`\sum_j \sum_{x\in C_j}(x-\bar{x}_j)^2` (Fisher 1958, exact); classes
    are :math:`(b_{k-1}, b_k]`. Lazy on dask input (the breaks are one task over all values).

    References
    ----------
    Fisher W.D. 1958. JASA 53:789-798. Jenks G.F. 1967. Int. Yearb. Cartogr. 7:186-190.
    """
    if not isinstance(x, xr.DataArray):
        raise InputError(message("x", "an xarray.DataArray", type(x).__name__, "wrap it with xr.DataArray"))
    k = _check_k(k)
    edges = _lazy_edges(x, _jenks_edges, k, max_exact=int(max_exact), seed=int(seed))
    out = _classes_from_edges(x, edges, k)
    shown = None if edges.chunks is not None else ",".join(f"{v:.10g}" for v in edges.values)
    return _finish_classes(out, x, name or f"{x.name or 'x'}_jenks", method="jenks", k=k, edges=shown,
                           labels=edge_labels(None if shown is None else edges.values, k, x.attrs.get("units")))


def geometric_classes(x: xr.DataArray, k: int = 3, *, anchor: str = "min_positive",
                      name: str | None = None) -> xr.DataArray:
    r"""Geometric-interval classes 1..k of ``x`` (e.g. POI kernel density, Zhao et al. 2023, §2.3.2).

    Parameters
    ----------
    x : xarray.DataArray
        Non-negative values (numpy or dask); NaN is nodata.
    k : int
        Number of classes; k = 3 gives low / medium / high = 1 / 2 / 3.
    anchor : {"min_positive", "balanced"}
        Lowest edge m: the smallest positive value, or balanced class counts (see
        :func:`geometric_breaks`).
    name : str, optional
        Default ``"<x.name>_geometric"``.

    Returns
    -------
    xarray.DataArray
        uint8 classes, 0 = nodata; values <= m (including zeros) are class 1.

    Notes
    -----
    :math:`b_i = m\rho^i,\ \rho = (M/m)^{1/k}` over the positive values; classes
    :math:`(b_{i-1}, b_i]`.
    """
    if not isinstance(x, xr.DataArray):
        raise InputError(message("x", "an xarray.DataArray", type(x).__name__, "wrap it with xr.DataArray"))
    k = _check_k(k)
    edges = _lazy_edges(x, _geometric_edges, k, anchor=anchor)
    out = _classes_from_edges(x, edges, k)
    shown = None if edges.chunks is not None else ",".join(f"{v:.10g}" for v in edges.values)
    names = ("low", "medium", "high") if k == 3 else None
    return _finish_classes(out, x, name or f"{x.name or 'x'}_geometric", method="geometric_interval",
                           k=k, edges=shown, anchor=anchor, labels=edge_labels(None if shown is None else edges.values, k,
                                                                x.attrs.get("units"), names=names))


def ring_labels(rings_m: Sequence[float]) -> dict[int, str]:
    """Legend of ring classes: ``{1: "0–500 m", 2: "500–1,000 m", …, n + 1: "≥ 2,000 m"}``."""
    r = [float(v) for v in rings_m]
    out = {1: f"0–{r[0]:,.0f} m"}
    for i in range(1, len(r)):
        out[i + 1] = f"{r[i - 1]:,.0f}–{r[i]:,.0f} m"
    out[len(r) + 1] = f"≥ {r[-1]:,.0f} m"
    return out


def check_rings(rings_m: Sequence[float]) -> np.ndarray:
    """``rings_m`` as a float64 array after checking it: finite, positive, strictly increasing (m)."""
    r = np.asarray(rings_m, dtype=np.float64)
    if r.ndim != 1 or r.size == 0 or np.any(r <= 0) or np.any(np.diff(r) <= 0) or not np.all(np.isfinite(r)):
        raise ConfigError(message("rings_m", "positive, strictly increasing ring limits in metres",
                                  repr(list(rings_m)), "e.g. rings_m=(500, 1000, 1500, 2000)"))
    return r


def ring_classes(distance: xr.DataArray, *, rings_m: Sequence[float] = (500.0, 1000.0, 1500.0, 2000.0),
                 name: str | None = None) -> xr.DataArray:
    r"""Multi-ring buffer classes of a distance raster (metres), left-closed rings.

    Parameters
    ----------
    distance : xarray.DataArray
        Distance in metres (e.g. ``distance_to_road``); NaN is nodata.
    rings_m : sequence of float
        Ring limits :math:`r_1 < \dots < r_n` (m); default 500, 1000, 1500, 2000
        (**assumption — parameter**).
    name : str, optional
        Default ``"<distance.name>_ring"``.

    Returns
    -------
    xarray.DataArray
        uint8 class :math:`c = 1` for :math:`[0, r_1)`, :math:`c = i + 1` for :math:`[r_i, r_{i+1})`,
        :math:`n + 1` for :math:`\ge r_n`; 0 = nodata.
    """
    check_raster(distance, name="distance", crs=False)
    r = check_rings(rings_m)
    out = xr.apply_ufunc(_ring_kernel, as_float(distance), kwargs={"rings": r},
                         dask="parallelized", output_dtypes=[np.uint8])
    return _finish_classes(out, distance, name or f"{distance.name or 'distance'}_ring",
                           rings_m=",".join(f"{v:g}" for v in r), labels=ring_labels(r))


def distance_rings(features, *, like: xr.DataArray | None = None,
                   rings_m: Sequence[float] = (500.0, 1000.0, 1500.0, 2000.0),
                   name: str = "distance_ring") -> xr.DataArray:
    r"""Multi-ring buffers around features: exact Euclidean distance, then ring classes.

    Parameters
    ----------
    features : xarray.DataArray or geopandas.GeoDataFrame
        A (y, x) raster whose non-zero cells are the features (NaN = nodata, not a feature), or
        vector features, rasterized onto ``like`` (cells whose centre is covered / on the line).
    like : xarray.DataArray, optional
        Grid template (required for vector ``features``); its nodata cells become nodata.
    rings_m : sequence of float
        Ring limits in metres (default 500, 1000, 1500, 2000).
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        uint8 ring classes (see :func:`ring_classes`), ``attrs["units"] = "class"``.

    Notes
    -----
    :math:`d(x) = \min_{f} \lVert x - f \rVert` between cell centres (exact EDT with the cell
    size as sampling: scipy for numpy input, the two-pass strip scheme of :mod:`restoreplan.core.edt`
    for dask input); features outside the study area still count. With no feature at
    all every valid cell is in the outermost ring (and a warning is issued).
    """
    r = check_rings(rings_m)
    if not isinstance(features, xr.DataArray):
        if like is None:
            raise ConfigError(message("like", "a grid template for vector features", "None",
                                      "pass like=lulc (the study grid)"))
        from ..io.vector import rasterize

        features = rasterize(features, like=like, value=1.0, fill=0.0, dtype="float32", name="features")
    ref = features if like is None else like
    check_raster(features, name="features", projected=True)
    t = features.rio.transform()
    dy, dx = abs(t.e), abs(t.a)
    f = as_float(features)
    if f.chunks is not None and f.ndim == 2:  # exact EDT in column then row strips, never one block
        from ..core.edt import edt_dask

        fd = f.transpose("y", "x")
        is_feat = _is_feature_lazy(fd.data)
        d = xr.DataArray(edt_dask(is_feat, dy, dx, dtype=np.float64), dims=("y", "x"), coords=fd.coords)
    else:
        d = xr.apply_ufunc(_edt_kernel, f, input_core_dims=[["y", "x"]], output_core_dims=[["y", "x"]],
                           kwargs={"dy": dy, "dx": dx}, dask="parallelized", output_dtypes=[np.float64],
                           dask_gufunc_kwargs={"allow_rechunk": True})
    d = d.where(f.notnull())
    if ref is not features:
        from ..io.raster import valid_mask

        d = d.where(valid_mask(ref))
    if f.chunks is not None:
        d = d.chunk(dict(zip(f.dims, f.chunks)))
    else:
        if np.isinf(d.values).any():
            warnings.warn("distance_rings: no feature cell; every cell is in the outermost ring",
                          RestorePlanWarning, stacklevel=2)
    d = d.transpose(*features.dims)
    out = xr.apply_ufunc(_ring_kernel, d, kwargs={"rings": r}, dask="parallelized", output_dtypes=[np.uint8])
    return _finish_classes(out, features, name, rings_m=",".join(f"{v:g}" for v in r), labels=ring_labels(r))
