"""Composite priority index with entropy weights: feasibility–urgency–importance (Sun et al. 2025, Table 4).

Two levels (**assumption — parameter**): entropy weights w_j of the standardized indicators within
each dimension give U_d = Σ_j w_j x′_j; entropy weights W_d over the dimension scores give
index = Σ_d W_d U_d ∈ [0, 1]. ``dimensions=None`` gives the one-level index Σ_j w_j x′_j.
The domain (cells where every indicator is valid, inside ``mask``, e.g. the potential restoration area of ``potential_areas``)
is the same for standardization and weights. Indicators with a ``group`` dim (provisioning,
regulating, cultural, total) give one index and one weight set per group.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import AssumptionWarning, ConfigError, ConstantInputWarning, DataError, message
from ..core.finalize import finalize
from .weights import (
    _as_mapping,
    _entropy_from_sums,
    _sums,
    _weights_from_entropy,
    common_domain,
    parse_direction,
    standardize_indicators,
)

__all__ = ["FUI_DIMENSIONS", "FUI_DIRECTIONS", "priority_index"]

#: Sun et al. (2025) Table 4: dimension → indicators
FUI_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "feasibility": ("population", "distance_to_road", "gdp", "elevation", "slope"),
    "urgency": ("balance", "balance_trend"),
    "importance": ("supply",),
}
#: Sun et al. (2025) Table 4 directions (the table prevails over the text, which says steep slopes help)
FUI_DIRECTIONS: dict[str, str] = {
    "population": "+", "distance_to_road": "-", "gdp": "+", "elevation": "-", "slope": "-",
    "balance": "-", "balance_trend": "-", "supply": "+",
}


def _entropy_level(xs: dict[str, xr.DataArray], domain: xr.DataArray) -> tuple[np.ndarray, np.ndarray, int]:
    s, l, n = _sums(xs, domain)
    if n < 2:
        raise DataError(message("indicators", "a domain of at least 2 cells where every indicator is valid",
                                f"{n} cell(s)", "check the mask and the indicators' nodata"))
    e = _entropy_from_sums(s, l, n)
    return e, _weights_from_entropy(e, list(xs)), n


def _weighted_sum(xs: dict[str, xr.DataArray], w: np.ndarray) -> xr.DataArray:
    out = None
    for wi, v in zip(w, xs.values()):
        term = v * float(wi)
        out = term if out is None else out + term
    return out


def _index_one(ind: dict[str, xr.DataArray], dimensions, directions, mask, epsilon, standardize_dimensions,
               persist=False):
    from .normalize import normalize

    domain = common_domain(ind, mask)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)  # reported by indicator name in the weights
        xs = standardize_indicators(ind, directions=directions, domain=domain, epsilon=epsilon)
        if persist and any(v.chunks for v in xs.values()):
            import dask

            domain, *vals = dask.persist(domain, *xs.values())
            xs = dict(zip(xs, vals))
    rows = []
    if dimensions is None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="normalize", category=ConstantInputWarning)
            e, w, n = _entropy_level(xs, domain)
        for (k, ei, wi) in zip(xs, e, w):
            rows.append({"dimension": None, "indicator": k, "direction": directions[k], "entropy": ei,
                         "weight_in_dimension": wi, "dimension_entropy": np.nan, "dimension_weight": 1.0,
                         "weight": wi, "n_cells": n})
        return _weighted_sum(xs, w).where(domain), rows
    # e_j depends only on indicator j's own sums: one pass gives every indicator's entropy
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="normalize", category=ConstantInputWarning)
        s, l, n = _sums(xs, domain)
    if n < 2:
        raise DataError(message("indicators", "a domain of at least 2 cells where every indicator is valid",
                                f"{n} cell(s)", "check the mask and the indicators' nodata"))
    e_of = dict(zip(xs, _entropy_from_sums(s, l, n)))
    u = {}
    inner = {}
    for d, names in dimensions.items():
        sub = {k: xs[k] for k in names}
        e = np.array([e_of[k] for k in names])
        w = _weights_from_entropy(e, list(names))
        inner[d] = (list(sub), e, w, n)
        u[d] = _weighted_sum(sub, w)
    if standardize_dimensions:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConstantInputWarning)
            u = {d: normalize(v.where(domain), method="minmax_pos", name=d) for d, v in u.items()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="normalize", category=ConstantInputWarning)
        ed, wd, _ = _entropy_level(u, domain)
    for (d, (names, e, w, n)), edi, wdi in zip(inner.items(), ed, wd):
        for k, ei, wi in zip(names, e, w):
            rows.append({"dimension": d, "indicator": k, "direction": directions[k], "entropy": ei,
                         "weight_in_dimension": wi, "dimension_entropy": edi, "dimension_weight": wdi,
                         "weight": wi * wdi, "n_cells": n})
    return _weighted_sum(u, wd).where(domain), rows


def priority_index(indicators, *, dimensions: Mapping[str, Sequence[str]] | None = FUI_DIMENSIONS,
                   directions: Mapping[str, str] = FUI_DIRECTIONS, mask: xr.DataArray | None = None,
                   epsilon: float = 0.0, standardize_dimensions: bool = False, group_dim: str = "group",
                   drop_missing: bool = False, persist: bool = False,
                   name: str = "priority_index") -> tuple[xr.DataArray, pd.DataFrame]:
    r"""Feasibility–urgency–importance priority index with entropy weights at two levels.

    Parameters
    ----------
    indicators : xarray.Dataset or mapping of name → DataArray
        Indicator rasters on one grid. Names of Sun et al. (2025) Table 4: ``population``,
        ``distance_to_road``, ``gdp``, ``elevation``, ``slope`` (feasibility), ``balance``,
        ``balance_trend`` (urgency), ``supply`` (importance). Variables may carry a
        ``group_dim`` (one index per group); the others are shared by every group.
    dimensions : mapping of dimension → indicator names, or None
        Two-level scheme (default: Sun et al. (2025) Table 4); ``None`` = one level over all indicators.
    directions : mapping of indicator → '+' or '-'
        Direction of each indicator (default: Sun et al. (2025) Table 4).
    mask : xarray.DataArray, optional
        Domain (1 = in), e.g. the potential-area mask of ``potential_areas`` (**assumption — parameter**).
    epsilon : float
        Shift added to standardized values before the entropy (default 0; 0·ln 0 := 0).
    standardize_dimensions : bool
        Min-max the dimension scores U_d before the second level (default False: entropy and
        sum on U_d as they are, which already lie in [0, 1]).
    group_dim : str
        Name of the group / scenario dim (e.g. ``group`` or ``scenario``).
    drop_missing : bool
        Drop indicators named in ``dimensions`` but absent from ``indicators`` (with an
        ``AssumptionWarning``) instead of raising, e.g. when GDP is not available.
    persist : bool
        For dask input, keep the standardized indicators in (distributed) memory between the
        passes (weights, dimension weights, index) instead of recomputing them; costs memory.
    name : str
        Name of the index raster.

    Returns
    -------
    index : xarray.DataArray
        float64 in [0, 1], NaN outside the domain; with ``group_dim`` when any indicator has it.
    weights : pandas.DataFrame
        One row per (group,) indicator: ``dimension``, ``indicator``, ``direction``, ``entropy``,
        ``weight_in_dimension``, ``dimension_entropy``, ``dimension_weight``, ``weight``
        (overall = within × dimension weight; sums to 1 per group), ``n_cells``.

    Raises
    ------
    ConfigError
        An indicator of ``dimensions`` is missing (unless ``drop_missing``) or lacks a direction.
    DataError
        The domain has fewer than 2 cells.

    Notes
    -----
    .. math::

        U_d = \sum_{j \in d} w_j x'_j,\quad \mathrm{index} = \sum_d W_d U_d \in [0, 1]

    with w_j the entropy weights of the x′_j within dimension d and W_d those of the U_d.
    The sums behind the weights are computed (2 passes); the index itself stays lazy for dask.

    Examples
    --------
    >>> import xarray as xr
    >>> ind = {"x1": xr.DataArray([1.0, 2.0, 3.0]), "x2": xr.DataArray([5.0, 5.0, 6.0])}
    >>> idx, w = priority_index(ind, dimensions=None, directions={"x1": "+", "x2": "+"})
    >>> [round(v, 6) for v in idx.values.tolist()], [round(v, 6) for v in w["weight"]]
    ([0.0, 0.148041, 1.0], [0.296082, 0.703918])
    """
    ind = _as_mapping(indicators)
    if dimensions is not None:
        dims = {str(d): [str(k) for k in names] for d, names in dimensions.items()}
        missing = [k for names in dims.values() for k in names if k not in ind]
        if missing and not drop_missing:
            raise ConfigError(message("indicators", f"every indicator of `dimensions` ({sorted(dims)})",
                                      f"missing {missing} (have {list(ind)})",
                                      "pass them, drop them from `dimensions`, or set drop_missing=True"))
        if missing:
            warnings.warn(f"priority_index: indicator(s) {missing} are not available and were dropped",
                          AssumptionWarning, stacklevel=2)
        dims = {d: [k for k in names if k in ind] for d, names in dims.items()}
        dims = {d: names for d, names in dims.items() if names}
        used = [k for names in dims.values() for k in names]
        ind = {k: ind[k] for k in used}
    else:
        dims = None
    problems = [message(f"directions[{k!r}]", "'+' or '-'", "none", f"add {k!r} to directions")
                for k in ind if k not in directions]
    if problems:
        raise ConfigError("; ".join(problems), problems)
    dirs = {k: parse_direction(directions[k], name=f"directions[{k!r}]") for k in ind}
    labels = None
    for v in ind.values():
        if group_dim in v.dims:
            lab = list(v[group_dim].values) if group_dim in v.coords else list(range(v.sizes[group_dim]))
            labels = lab if labels is None else labels
            if lab != labels:
                raise ConfigError(message(group_dim, "the same labels on every indicator", f"{lab} vs {labels}",
                                          "align the groups"))
    gmask = mask
    if labels is None:
        idx, rows = _index_one(ind, dims, dirs, gmask, epsilon, standardize_dimensions, persist)
        weights = pd.DataFrame(rows)
    else:
        parts, all_rows = [], []
        for i, g in enumerate(labels):
            sub = {k: (v.isel({group_dim: i}, drop=True) if group_dim in v.dims else v) for k, v in ind.items()}
            mk = mask.isel({group_dim: i}, drop=True) if (mask is not None and group_dim in mask.dims) else mask
            one, rows = _index_one(sub, dims, dirs, mk, epsilon, standardize_dimensions, persist)
            parts.append(one)
            all_rows += [{"group": g, **r} for r in rows]
        idx = xr.concat(parts, dim=pd.Index(labels, name=group_dim), coords="minimal", compat="override")
        weights = pd.DataFrame(all_rows)
    like = next(iter(ind.values()))
    idx = idx.clip(0.0, 1.0)
    attrs = {"levels": 1 if dims is None else 2,
             "dimensions": None if dims is None else "; ".join(f"{d}: {','.join(n)}" for d, n in dims.items())}
    if "x" in idx.dims and "y" in idx.dims and like.rio.crs is not None:
        if group_dim in idx.dims:
            idx = idx.transpose(group_dim, ..., "y", "x")
        idx = finalize(idx, like=like, name=name, units="1", **attrs)
    else:
        idx = idx.rename(name)
        idx.attrs = {"units": "1", **{k: v for k, v in attrs.items() if v is not None}}
    return idx, weights
