"""Per-pixel OLS trend and F test over a time stack (Sun et al. 2025, §2.4, eq. 4-6).

The kernel works on the last axis of any ndarray; the public function maps it over the ``time``
dim of a DataArray with ``xr.apply_ufunc`` (numpy or dask; the time dim is put in one chunk).
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import xarray as xr

from ..core.compute import as_float
from ..core.errors import ConfigError, DataError, InputError, LowPowerWarning, message
from ..core.finalize import finalize
from ..core.legend import set_class_labels

__all__ = ["TREND_CLASSES", "f_critical", "trend", "trend_time_axis"]

#: class code → label (Sun et al. 2025, §2.4; "stable" = zero slope)
TREND_CLASSES: dict[int, str] = {
    2: "significant increase",
    1: "increase",
    0: "stable",
    -1: "decrease",
    -2: "significant decrease",
}
CLASS_NODATA = -128


def f_critical(n: int, alpha: float = 0.05) -> float:
    """Critical value F_alpha(1, n − 2) of the trend F test (n = 3 → 161.448)."""
    from scipy import stats

    if n < 3:
        raise ConfigError(message("n", "a series of at least 3 values", str(n), "add years to the stack"))
    return float(stats.f.isf(alpha, 1, n - 2))


def _trend_kernel(y: np.ndarray, t: np.ndarray, f_crit: float, classify_by: str) -> tuple[np.ndarray, ...]:
    """OLS slope, F, p and class along the last axis of ``y`` against abscissa ``t``. Pure numpy.

    NaN anywhere in a series gives NaN outputs and class ``CLASS_NODATA``. A constant series
    (max = min) gives slope 0, F = NaN, p = NaN and class 0. r² = 1 with slope ≠ 0 gives F = inf,
    p = 0 (significant).
    """
    from scipy import stats

    t = np.asarray(t, dtype=np.float64)
    n = t.size
    # time first and contiguous: reductions over a short last axis are slow in numpy
    yt = np.ascontiguousarray(np.moveaxis(np.asarray(y, dtype=np.float64), -1, 0))
    tc = t - t.mean()
    sxx = float(tc @ tc)
    sxy = np.zeros(yt.shape[1:])
    for k in range(n):
        sxy += tc[k] * yt[k]                       # Σ(t − t̄)(y − ȳ) = Σ(t − t̄)y since Σ(t − t̄) = 0
    bad = np.isnan(sxy)                            # any NaN in the series
    ym = yt.mean(axis=0)
    syy = np.zeros(yt.shape[1:])
    for k in range(n):
        d = yt[k] - ym
        syy += d * d
    constant = (yt.max(axis=0) == yt.min(axis=0)) & ~bad
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.array(sxy / sxx, dtype=np.float64)
        r2 = np.clip((sxy * sxy) / (sxx * syy), 0.0, 1.0)
        f = np.array(r2 * (n - 2) / (1.0 - r2), dtype=np.float64)
    slope[constant] = 0.0
    f[constant | bad] = np.nan
    p = np.full(f.shape, np.nan)
    ok = np.isfinite(f)
    p[ok] = stats.f.sf(f[ok], 1, n - 2)
    p[np.isinf(f)] = 0.0
    slope[bad] = np.nan
    sign = np.sign(np.where(bad, 0.0, slope)).astype(np.int8)
    cls = sign
    if classify_by == "f_test":
        sig = np.where(np.isnan(f), False, f > f_crit)
        cls = np.where(sig, (2 * sign).astype(np.int8), sign)
    cls = np.where(bad, np.int8(CLASS_NODATA), cls).astype(np.int8)
    return slope, f, p, cls


def trend_time_axis(coord: np.ndarray, time: Literal["index", "coord"]) -> np.ndarray:
    """The abscissa of the regression: 1..n (``index``) or the coordinate values in years (``coord``).

    Datetime coordinates become decimal years.
    """
    n = len(coord)
    if time == "index":
        return np.arange(1, n + 1, dtype=np.float64)
    c = np.asarray(coord)
    if np.issubdtype(c.dtype, np.datetime64):
        import pandas as pd

        idx = pd.DatetimeIndex(c)
        return (idx.year + (idx.dayofyear - 1) / 365.25).to_numpy(dtype=np.float64)
    try:
        return c.astype(np.float64)
    except (TypeError, ValueError) as e:
        raise ConfigError(message("time", "numeric or datetime coordinates for time='coord'",
                                  f"coordinate values {c[:4].tolist()}", "use time='index'")) from e


def trend(stack: xr.DataArray, *, time: Literal["index", "coord"] = "index", alpha: float = 0.05,
          classify_by: Literal["f_test", "sign"] = "f_test", dim: str = "time",
          name: str = "trend") -> xr.Dataset:
    r"""Per-pixel OLS slope of a time stack, its F test and a five-class trend map.

    Parameters
    ----------
    stack : xarray.DataArray
        Values per time step, dims (``dim``, ..., y, x); n ≥ 3 steps. Float NaN (or the
        ``.rio.nodata`` of an integer stack) is nodata. numpy or dask.
    time : {"index", "coord"}
        Abscissa: ``index`` = 1..n as in Sun et al. (2025) (slope per step); ``coord`` = the ``dim``
        coordinate values (slope per year; datetimes become decimal years).
    alpha : float
        Significance level of the F test, in (0, 1); F_crit = F_α(1, n − 2).
    classify_by : {"f_test", "sign"}
        ``f_test``: classes ±2 where F > F_crit; ``sign``: only the sign (classes −1, 0, 1),
        the honest choice when n is too small for the test to have power.
    dim : str
        Name of the time dim.
    name : str
        Prefix of the variable names.

    Returns
    -------
    xarray.Dataset
        ``slope`` (units of ``stack`` per step or per year), ``f`` (F statistic, df 1 and n − 2),
        ``p`` (``scipy.stats.f.sf``), all float64 with NaN = nodata; ``trend_class`` int8
        (2 significant increase, 1 increase, 0 stable, −1 decrease, −2 significant decrease;
        nodata −128).

    Raises
    ------
    ConfigError
        Fewer than 3 time steps, an unknown option, or ``alpha`` outside (0, 1).
    InputError
        ``stack`` has no dim ``dim``.

    Warns
    -----
    LowPowerWarning
        n = 3 with ``classify_by="f_test"``: F₀.₀₅(1, 1) = 161.45 requires r² > 0.9938, so almost
        nothing can be significant.

    Notes
    -----
    .. math::

        \mathrm{slope} = \frac{n\sum t y - \sum t \sum y}{n \sum t^2 - (\sum t)^2},\quad
        F = \frac{r^2 (n - 2)}{1 - r^2}

    with r the Pearson correlation of t and y. A constant series has F = NaN and class 0;
    r² = 1 with a non-zero slope gives F = inf (significant); p equals the two-sided p-value of
    ``scipy.stats.linregress`` (t² = F). Any NaN in a series gives NaN.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> s = xr.DataArray(np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0]])[:, None, :], dims=("time", "y", "x"))
    >>> import warnings; warnings.simplefilter("ignore")
    >>> r = trend(s)
    >>> r.slope.values.ravel().tolist(), r.trend_class.values.ravel().tolist()
    ([1.0, 0.5], [2, 1])
    """
    if not isinstance(stack, xr.DataArray):
        raise InputError(message("stack", "an xarray.DataArray with a time dim", type(stack).__name__,
                                 "stack the years with xr.concat(..., dim='time')"))
    if dim not in stack.dims:
        raise InputError(message("stack", f"a DataArray with a `{dim}` dim", f"dims {stack.dims}",
                                 f"stack the years with xr.concat(..., dim={dim!r}) or pass dim="))
    if time not in ("index", "coord"):
        raise ConfigError(message("time", "'index' or 'coord'", repr(time), "pick one of those"))
    if classify_by not in ("f_test", "sign"):
        raise ConfigError(message("classify_by", "'f_test' or 'sign'", repr(classify_by), "pick one of those"))
    if not 0.0 < alpha < 1.0:
        raise ConfigError(message("alpha", "a significance level in (0, 1)", repr(alpha), "e.g. alpha=0.05"))
    n = stack.sizes[dim]
    f_crit = f_critical(n, alpha)
    if n == 3 and classify_by == "f_test":
        warnings.warn(
            f"trend: n = 3 time steps; F_{alpha}(1, 1) = {f_crit:.2f} needs r² > {f_crit / (f_crit + 1):.4f}, "
            "so almost no trend can be significant; consider classify_by='sign' or more years",
            LowPowerWarning, stacklevel=2)
    coord = stack[dim].values if dim in stack.coords else np.arange(n)
    t = trend_time_axis(coord, time)
    if np.unique(t).size != t.size:
        raise DataError(message(dim, "distinct time values", f"{t.tolist()}", "drop duplicated years"))
    y = as_float(stack)
    if y.chunks is not None:   # whole series per block; one slice of any other dim (service, ...) at a time
        y = y.chunk({dim: -1, **{d: 1 for d in y.dims if d not in (dim, "y", "x")}})
    outs = xr.apply_ufunc(_trend_kernel, y, input_core_dims=[[dim]], output_core_dims=[[], [], [], []],
                          kwargs={"t": t, "f_crit": f_crit, "classify_by": classify_by},
                          dask="parallelized", output_dtypes=[np.float64, np.float64, np.float64, np.int8],
                          keep_attrs=False)
    units = stack.attrs.get("units", "1")
    per = "step" if time == "index" else "year"
    common = {"n": n, "time_axis": time, "alpha": alpha, "f_critical": round(f_crit, 6), "classify_by": classify_by}
    spatial = "x" in stack.dims and "y" in stack.dims
    names = ("slope", "f", "p", "trend_class")
    unit_of = {"slope": f"{units}/{per}", "f": "1", "p": "1", "trend_class": "class"}
    data = {}
    for key, da in zip(names, outs):
        if spatial:
            da = finalize(da, like=stack, name=f"{name}_{key}", units=unit_of[key], **common)
        else:
            da = da.rename(f"{name}_{key}")
            da.attrs = {"units": unit_of[key], **common}
        data[key] = da
    if spatial:
        data["trend_class"] = data["trend_class"].rio.write_nodata(CLASS_NODATA, encoded=False)
    set_class_labels(data["trend_class"], dict(sorted(TREND_CLASSES.items())), palette="RdBu")
    ds = xr.Dataset(data)
    ds.attrs["formula"] = "slope = [nΣty − ΣtΣy]/[nΣt² − (Σt)²]; F = r²(n − 2)/(1 − r²)"
    return ds
