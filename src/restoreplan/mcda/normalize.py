"""Standardization of criteria: min-max (positive / negative), divide-by-max, z-score.

Statistics are *pooled* over the dims named in ``over`` (default: every dim of the input), so that
several years or scenarios stacked along ``time`` / ``scenario`` are put on one common scale.
Standardizing each year on its own erases region-wide change; pass ``over=("y", "x")`` only when
that is what you want.

With dask input nothing is computed here: the pooled minimum, maximum, mean, standard deviation or
percentiles are lazy dask scalars (or lazy arrays over the non-pooled dims), and the element-wise
formula runs block by block.  Checks that need the statistics' values (constant input, ``max``
with a non-positive maximum) therefore run when the result is computed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import xarray as xr

from ..core.compute import as_float
from ..core.errors import ConfigError, ConstantInputWarning, DataError, InputError, message
from ..core.finalize import finalize

__all__ = ["NORMALIZATIONS", "normalize", "normalize_many"]

Method = Literal["minmax_pos", "minmax_neg", "max", "zscore"]
NORMALIZATIONS: tuple[str, ...] = ("minmax_pos", "minmax_neg", "max", "zscore")


def _normalize_kernel(x: np.ndarray, a: np.ndarray, b: np.ndarray, *, method: str,
                      out_dtype=np.float64) -> np.ndarray:
    """Element-wise standardization of ``x`` with pooled statistics ``a``, ``b`` (broadcastable).

    ``a, b`` are (min, max) for the min-max forms, (unused, max) for ``max`` and (mean, std)
    for ``zscore``.  NaN in ``x`` stays NaN.  A zero span (max = min, or std = 0) gives 0 for the
    valid values and a :class:`ConstantInputWarning`; ``max`` with max <= 0 raises ``DataError``.
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "max":
            if np.any(b <= 0):
                bad = np.unique(b[b <= 0])
                raise DataError(message(
                    "x", "a positive maximum for method='max' (x / max)",
                    f"maximum {bad.tolist()}",
                    "use method='minmax_pos' for data with non-positive values"))
            return (x / b).astype(out_dtype, copy=False)
        if method == "zscore":
            span = b
            out = (x - a) / span
        elif method == "minmax_pos":
            span = b - a
            out = (x - a) / span
        elif method == "minmax_neg":
            span = b - a
            out = (b - x) / span
        else:  # pragma: no cover - guarded by the public function
            raise ConfigError(message("method", f"one of {NORMALIZATIONS}", repr(method), "pick one of those"))
        constant = np.broadcast_to(span == 0, x.shape) & np.isfinite(x)
    if constant.any():
        warnings.warn(
            f"normalize: the input is constant over the pooled domain (span 0, method={method!r}); "
            "its standardized values are set to 0", ConstantInputWarning, stacklevel=3)
        out = np.where(constant, 0.0, out)
    return out.astype(out_dtype, copy=False)


def _eager_statistics(*stats: xr.DataArray) -> tuple[xr.DataArray, ...]:
    """Compute pooled statistics of dask input now, as one reduction pass (two-pass scheme).

    Left in the graph, a global statistic makes dask hold every chunk of ``x`` until the statistic
    is known (each chunk is needed by the reduction and by the per-cell formula): the whole raster
    in memory. Computed first, the per-cell formula streams chunk by chunk.
    """
    import dask

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return dask.compute(*stats)


def normalize_many(arrays: dict[str, xr.DataArray], methods: dict[str, str]) -> dict[str, xr.DataArray]:
    """:func:`normalize` of several rasters pooled over all their dims, statistics in one pass.

    Same values as ``{k: normalize(v, method=methods[k], name=k)}``; for dask input the min/max (or
    mean/std) of every raster are computed together (one reduction pass over the inputs instead of
    one per raster), then the per-cell formulas stay lazy.
    """
    for k, m in methods.items():
        if m not in NORMALIZATIONS:
            raise ConfigError(message(f"method[{k!r}]", f"one of {list(NORMALIZATIONS)}", repr(m), "pick one of those"))
    lazy = any(v.chunks is not None for v in arrays.values())
    if not lazy:
        return {k: normalize(v, method=methods[k], name=k) for k, v in arrays.items()}
    xfs = {k: as_float(v) for k, v in arrays.items()}
    stats = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for k, xf in xfs.items():
            dims = list(xf.dims)
            if methods[k] == "zscore":
                stats += [xf.mean(dim=dims, skipna=True), xf.std(dim=dims, skipna=True, ddof=0)]
            else:
                stats += [xf.min(dim=dims, skipna=True), xf.max(dim=dims, skipna=True)]
    stats = _eager_statistics(*stats)
    out = {}
    for i, (k, xf) in enumerate(xfs.items()):
        out[k] = _apply(arrays[k], xf, stats[2 * i], stats[2 * i + 1], method=methods[k], dims=tuple(xf.dims),
                        name=k)
    return out


def normalize(x: xr.DataArray, *, method: Method = "minmax_pos",
              over: str | Sequence[str] | None = None,
              clip_percentiles: tuple[float, float] | None = None,
              name: str | None = None) -> xr.DataArray:
    r"""Standardize ``x`` with statistics pooled over the dims ``over``.

    Parameters
    ----------
    x : xarray.DataArray
        Values to standardize (any units). Float NaN, or ``.rio.nodata`` of an integer raster,
        is nodata and stays NaN. numpy- or dask-backed.
    method : {"minmax_pos", "minmax_neg", "max", "zscore"}
        ``minmax_pos`` for benefit criteria (larger is better), ``minmax_neg`` for cost
        criteria, ``max`` = x / max (Dashihe study, eq. 6), ``zscore`` with ddof = 0.
    over : str or sequence of str, optional
        Dims whose values are pooled into one set of statistics (default: all dims of ``x``,
        i.e. one minimum and maximum for all years together). ``over=("y", "x")`` gives
        per-slice statistics along the remaining dims.
    clip_percentiles : (low, high), optional
        Winsorize first: clip ``x`` to its pooled ``low``-th and ``high``-th percentiles
        (0 <= low < high <= 100, linear interpolation) before standardizing.
    name : str, optional
        Name of the result (default ``"<x.name>_<method>"``).

    Returns
    -------
    xarray.DataArray
        Same dims, coords and grid as ``x``; float32 for float32 input, else float64;
        ``units = "1"``.

    Raises
    ------
    ConfigError
        Unknown ``method``, unknown dims in ``over``, or invalid ``clip_percentiles``.
    DataError
        ``method="max"`` with a pooled maximum <= 0 (raised when the result is computed for
        dask input).

    Warns
    -----
    ConstantInputWarning
        The pooled span is 0 (max = min, or std = 0); the valid values become 0.

    Notes
    -----
    Over the valid values of the pooled domain:

    .. math::

        u^{+} = \frac{x - \min x}{\max x - \min x},\quad
        u^{-} = \frac{\max x - x}{\max x - \min x},\quad
        u^{\max} = \frac{x}{\max x},\quad
        z = \frac{x - \mu}{\sigma}

    Value range: ``minmax_pos`` and ``minmax_neg`` in [0, 1]; ``max`` in (-inf, 1] (in [0, 1]
    for non-negative data); ``zscore`` unbounded with mean 0 and standard deviation 1.

    Examples
    --------
    >>> import xarray as xr
    >>> normalize(xr.DataArray([2.0, 4.0, 6.0], dims="i")).values.tolist()
    [0.0, 0.5, 1.0]
    >>> normalize(xr.DataArray([2.0, 4.0, 6.0], dims="i"), method="minmax_neg").values.tolist()
    [1.0, 0.5, 0.0]
    """
    if not isinstance(x, xr.DataArray):
        raise InputError(message("x", "an xarray.DataArray", type(x).__name__,
                                 "wrap the values with xr.DataArray(...) or read a raster"))
    if method not in NORMALIZATIONS:
        raise ConfigError(message("method", f"one of {list(NORMALIZATIONS)}", repr(method), "pick one of those"))
    dims = tuple(x.dims) if over is None else ((over,) if isinstance(over, str) else tuple(over))
    unknown = [d for d in dims if d not in x.dims]
    if unknown:
        raise ConfigError(message("over", f"dims of `x` {tuple(x.dims)}", f"unknown dims {unknown}",
                                  "name only dims that x has (default: all of them)"))
    xf = as_float(x)
    if clip_percentiles is not None:
        lo_p, hi_p = (float(v) for v in clip_percentiles)
        if not (0.0 <= lo_p < hi_p <= 100.0):
            raise ConfigError(message("clip_percentiles", "(low, high) with 0 <= low < high <= 100",
                                      repr(clip_percentiles), "e.g. clip_percentiles=(1, 99)"))
        if xf.chunks is not None:
            lo_q, hi_q = _lazy_percentiles(xf, dims, lo_p / 100.0, hi_p / 100.0)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
                q = xf.quantile([lo_p / 100.0, hi_p / 100.0], dim=list(dims), skipna=True)
            lo_q, hi_q = q.isel(quantile=0, drop=True), q.isel(quantile=1, drop=True)
        xf = xf.clip(min=lo_q, max=hi_q)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "zscore":
            a = xf.mean(dim=list(dims), skipna=True)
            b = xf.std(dim=list(dims), skipna=True, ddof=0)
        else:
            a = xf.min(dim=list(dims), skipna=True)
            b = xf.max(dim=list(dims), skipna=True)
    if xf.chunks is not None and "y" in dims and "x" in dims:
        a, b = _eager_statistics(a, b)
    return _apply(x, xf, a, b, method=method, dims=dims, name=name, clip_percentiles=clip_percentiles)


def _lazy_percentiles(xf: xr.DataArray, dims: tuple, lo: float, hi: float) -> tuple[xr.DataArray, xr.DataArray]:
    """Pooled ``lo``/``hi`` quantiles of dask-backed ``xf`` over ``dims`` without gathering it.

    Exact and equal to ``xf.quantile(...)`` (numpy's linear interpolation): order statistics by
    histogram passes, :func:`restoreplan.core.chunked.quantiles`. One set of passes per slice of
    the dims that are not pooled (e.g. per year with ``over=("y", "x")``).
    """
    from ..core.chunked import quantiles

    rest = [d for d in xf.dims if d not in dims]
    if not rest:
        q = quantiles(xf, [lo, hi])
        return xr.DataArray(q[0]), xr.DataArray(q[1])
    shape = tuple(xf.sizes[d] for d in rest)
    qlo, qhi = np.empty(shape, np.float64), np.empty(shape, np.float64)
    for idx in np.ndindex(*shape):
        q = quantiles(xf.isel(dict(zip(rest, idx))), [lo, hi])
        qlo[idx], qhi[idx] = q
    coords = {d: xf[d] for d in rest if d in xf.coords}
    return xr.DataArray(qlo, dims=rest, coords=coords), xr.DataArray(qhi, dims=rest, coords=coords)


def _apply(x, xf, a, b, *, method, dims, name, clip_percentiles=None) -> xr.DataArray:
    """The per-cell part of :func:`normalize` with the pooled statistics ``a``, ``b`` known."""
    out_dtype = np.float32 if x.dtype == np.float32 else np.float64
    out = xr.apply_ufunc(_normalize_kernel, xf, a, b,
                         kwargs={"method": method, "out_dtype": out_dtype},
                         dask="parallelized", output_dtypes=[out_dtype], keep_attrs=False)
    out = out.transpose(*x.dims)
    nm = name or f"{x.name or 'x'}_{method}"
    attrs = {"method": method, "pooled_over": ",".join(dims),
             "clip_percentiles": None if clip_percentiles is None else f"{clip_percentiles[0]},{clip_percentiles[1]}"}
    if "x" in x.dims and "y" in x.dims:
        return finalize(out, like=x, name=nm, units="1", **attrs)
    out.name = nm
    out.attrs = {"units": "1", **{k: v for k, v in attrs.items() if v is not None}}
    return out
