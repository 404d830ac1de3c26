r"""Entropy weights (Sun et al. 2025, §2.7).

Indicators are standardized by direction (min-max: ``+`` benefit, ``−`` cost) over a common
domain (cells where every indicator is valid, optionally inside a mask), then

.. math::

    p_{ij} = x'_{ij}/\sum_i x'_{ij},\quad
    e_j = -\frac{1}{\ln n}\sum_i p_{ij}\ln p_{ij}\ (0\ln 0 := 0),\quad
    w_j = \frac{1 - e_j}{\sum_k (1 - e_k)}

The sums are streamed: Σ p ln p = (Σ x′ ln x′)/S − ln S with S = Σ x′, so only 2·m reductions
are needed and they are computed together (one ``dask.compute`` for dask input).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..core.compute import as_float
from ..core.errors import ConfigError, ConstantInputWarning, DataError, InputError, message

__all__ = [
    "common_domain",
    "entropy_weights",
    "entropy_weights_array",
    "parse_direction",
    "standardize_indicators",
]

_POS = {"+", "positive", "pos", "benefit", "1", "+1"}
_NEG = {"-", "−", "negative", "neg", "cost", "-1"}


def parse_direction(d, *, name: str = "direction") -> str:
    """'+' or '-' from '+', 'positive', 'benefit', 1 / '-', 'negative', 'cost', −1."""
    s = str(d).strip().lower()
    if s in _POS:
        return "+"
    if s in _NEG:
        return "-"
    raise ConfigError(message(name, "'+' (positive / benefit) or '-' (negative / cost)", repr(d),
                              "set the indicator's direction"))


def _entropy_from_sums(s: np.ndarray, l: np.ndarray, n: int) -> np.ndarray:
    """Entropy e_j from S_j = Σ x′ and L_j = Σ x′ ln x′ over n cases; S_j = 0 gives e_j = 1."""
    s = np.asarray(s, dtype=np.float64)
    l = np.asarray(l, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        plogp = l / s - np.log(s)
        e = -plogp / np.log(n)
    e = np.where(s > 0, e, 1.0)
    return np.clip(e, 0.0, 1.0) + 0.0  # no negative zero


def _weights_from_entropy(e: np.ndarray, names: Sequence[str]) -> np.ndarray:
    d = 1.0 - np.asarray(e, dtype=np.float64)
    d = np.where(d < 1e-14, 0.0, d)
    dead = [nm for nm, v in zip(names, d) if v == 0.0]
    if dead:
        warnings.warn(f"entropy weights: indicator(s) {dead} are constant over the domain (entropy 1); "
                      "their weight is 0", ConstantInputWarning, stacklevel=3)
    if d.sum() == 0:
        warnings.warn("entropy weights: every indicator is constant over the domain; equal weights are used",
                      ConstantInputWarning, stacklevel=3)
        return np.full(d.size, 1.0 / d.size)
    return d / d.sum()


def entropy_weights_array(x: np.ndarray, *, directions: Sequence[str] | None = None,
                          epsilon: float = 0.0, standardize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Entropy e and weights w of an (n cases, m indicators) ndarray (NaN rows dropped). Pure numpy kernel.

    ``standardize=True`` min-maxes each column by its direction first (constant column → 0).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise DataError(message("x", "an (n, m) array of n cases and m indicators", f"shape {x.shape}",
                                "stack the indicators as columns"))
    x = x[~np.isnan(x).any(axis=1)]
    n, m = x.shape
    if n < 2:
        raise DataError(message("x", "at least 2 valid cases", f"{n}", "enlarge the domain"))
    dirs = [parse_direction(d) for d in (directions or ["+"] * m)]
    if standardize:
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            xs = np.where([d == "+" for d in dirs], (x - lo) / span, (hi - x) / span)
        xs = np.where(span == 0, 0.0, xs)
    else:
        if (x < 0).any():
            raise DataError(message("x", "non-negative values (standardize=False)", "negative values",
                                    "standardize first"))
        xs = x
    xs = xs + epsilon
    s = xs.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        l = np.where(xs > 0, xs * np.log(np.where(xs > 0, xs, 1.0)), 0.0).sum(axis=0)
    e = _entropy_from_sums(s, l, n)
    return e, _weights_from_entropy(e, [str(i) for i in range(m)])


def _as_mapping(indicators) -> dict[str, xr.DataArray]:
    if isinstance(indicators, xr.Dataset):
        return {str(k): indicators[k] for k in indicators.data_vars}
    if isinstance(indicators, Mapping):
        out = {}
        for k, v in indicators.items():
            if not isinstance(v, xr.DataArray):
                raise InputError(message(f"indicators[{k!r}]", "an xarray.DataArray", type(v).__name__,
                                         "pass rasters"))
            out[str(k)] = v
        return out
    raise InputError(message("indicators", "an xarray.Dataset or a {name: DataArray} mapping",
                             type(indicators).__name__, "collect the indicators in a Dataset"))


def common_domain(indicators, mask: xr.DataArray | None = None) -> xr.DataArray:
    """Boolean DataArray: every indicator valid (and ``mask`` == 1 / True when given). Lazy."""
    ind = _as_mapping(indicators)
    dom = None
    for v in ind.values():
        ok = as_float(v).notnull()
        dom = ok if dom is None else (dom & ok)
    if mask is not None:
        mk = mask if mask.dtype == bool else mask == 1
        if np.issubdtype(mask.dtype, np.floating):
            mk = mk & mask.notnull()
        dom = dom & mk
    return dom


def standardize_indicators(indicators, *, directions: Mapping[str, str], domain: xr.DataArray,
                           epsilon: float = 0.0) -> dict[str, xr.DataArray]:
    """x′ of every indicator by its direction (min-max pooled over ``domain``); NaN outside. Lazy."""
    from .normalize import normalize_many

    ind = _as_mapping(indicators)
    methods = {}
    for k in ind:
        if k not in directions:
            raise ConfigError(message(f"directions[{k!r}]", "a direction ('+' or '-') for every indicator", "none",
                                      f"add {k!r}: '+' or '-' to directions"))
        d = parse_direction(directions[k], name=f"directions[{k!r}]")
        methods[k] = "minmax_pos" if d == "+" else "minmax_neg"
    out = normalize_many({k: as_float(v).where(domain) for k, v in ind.items()}, methods)
    return {k: (v + epsilon if epsilon else v) for k, v in out.items()}


def _sums(xs: dict[str, xr.DataArray], domain: xr.DataArray) -> tuple[np.ndarray, np.ndarray, int]:
    """(S_j, L_j, n) over the domain, computed together. Computes the reductions only."""
    import dask

    s_l = []
    for v in xs.values():
        v = v.where(domain)
        s_l.append(v.sum(skipna=True))
        xlogx = xr.where(v > 0, v * np.log(v.where(v > 0, 1.0)), 0.0).where(domain)
        s_l.append(xlogx.sum(skipna=True))
    n_da = domain.sum()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        vals = dask.compute(*[a.data for a in s_l], n_da.data)
    vals = [float(np.asarray(x)) for x in vals]
    n = int(vals[-1])
    arr = np.asarray(vals[:-1]).reshape(-1, 2)
    return arr[:, 0], arr[:, 1], n


def entropy_weights(indicators, *, directions: Mapping[str, str] | None = None,
                    mask: xr.DataArray | None = None, epsilon: float = 0.0,
                    standardize: bool = True) -> pd.DataFrame:
    r"""Entropy weights of raster indicators over a common domain. Computes the 2·m sums only.

    Parameters
    ----------
    indicators : xarray.Dataset or mapping of name → DataArray
        Indicator rasters on one grid (any units; NaN or ``.rio.nodata`` = nodata).
    directions : mapping of name → '+' or '-'
        ``+`` benefit (minmax_pos), ``−`` cost (minmax_neg); required when ``standardize``.
    mask : xarray.DataArray, optional
        Domain mask (1/True = in the domain, e.g. the potential restoration area of ``potential_areas``).
    epsilon : float
        Added to every standardized value (≥ 0) to avoid 0·ln 0 (default 0, with 0·ln 0 := 0).
    standardize : bool
        Min-max by direction first (default). ``False`` uses the (non-negative) values as they are.

    Returns
    -------
    pandas.DataFrame
        Index = indicator; columns ``direction``, ``entropy`` e_j ∈ [0, 1], ``weight`` w_j (sums to 1).

    Raises
    ------
    DataError
        Fewer than 2 cells in the domain.

    Warns
    -----
    ConstantInputWarning
        An indicator is constant over the domain: its weight is 0.

    Notes
    -----
    e_j = −(1/ln n) Σ_i p_ij ln p_ij, p_ij = x′_ij/Σ_i x′_ij; w_j = (1 − e_j)/Σ(1 − e_k); weights in
    [0, 1], summing to 1. Sun et al. (2025) check: x₁ = [1, 2, 3] (+), x₂ = [5, 5, 6] (+) →
    w = (0.296082, 0.703918).
    """
    ind = _as_mapping(indicators)
    if not ind:
        raise ConfigError(message("indicators", "at least one indicator", "none", "pass indicator rasters"))
    if epsilon < 0:
        raise ConfigError(message("epsilon", "a value ≥ 0", repr(epsilon), "use 0 or a small positive shift"))
    domain = common_domain(ind, mask)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)  # reported below, once, by indicator name
        if standardize:
            dirs = {k: parse_direction(v, name=f"directions[{k!r}]") for k, v in (directions or {}).items()}
            xs = standardize_indicators(ind, directions=dirs, domain=domain, epsilon=epsilon)
        else:
            dirs = {k: "+" for k in ind}
            xs = {k: as_float(v) + epsilon for k, v in ind.items()}
        s, l, n = _sums(xs, domain)
    if n < 2:
        raise DataError(message("indicators", "a domain of at least 2 cells where every indicator is valid",
                                f"{n} cell(s)", "check the mask and the indicators' nodata"))
    e = _entropy_from_sums(s, l, n)
    w = _weights_from_entropy(e, list(ind))
    return pd.DataFrame({"direction": [dirs.get(k, "+") for k in ind], "entropy": e, "weight": w,
                         "n_cells": n}, index=pd.Index(list(ind), name="indicator"))
