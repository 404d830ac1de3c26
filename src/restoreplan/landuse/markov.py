"""Markov-chain land-use demand.

Cross-tabulate the two maps over the cells valid in both, turn the counts into a row-stochastic
transition matrix (an explicit ``from`` → ``to`` DataFrame), and project class counts forward by
integer or fractional numbers of intervals. Projected counts are rounded by the largest-remainder
method so the total number of cells is preserved exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import AssumptionWarning, ConfigError, DataError, message
from ._common import aligned_pair, common_classes

__all__ = [
    "as_transition_frame",
    "hindcast_demand",
    "largest_remainder_round",
    "markov_demand",
    "project_counts",
    "transition_counts",
    "transition_matrix",
]


def _crosstab_kernel(a: np.ndarray, b: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """n_ij: number of cells with class ``classes[i]`` in ``a`` and ``classes[j]`` in ``b`` (1-D inputs)."""
    k = len(classes)
    ia = np.searchsorted(classes, a)
    ib = np.searchsorted(classes, b)
    ia = np.clip(ia, 0, k - 1)
    ib = np.clip(ib, 0, k - 1)
    ok = (classes[ia] == a) & (classes[ib] == b)
    flat = ia[ok].astype(np.int64) * k + ib[ok]
    return np.bincount(flat, minlength=k * k).reshape(k, k)


def transition_counts(start: xr.DataArray, end: xr.DataArray, *, classes=None) -> pd.DataFrame:
    """Cross-tabulation n_ij of two categorical maps over the cells valid in both (computes).

    Parameters
    ----------
    start, end : categorical rasters on one grid (``.rio.nodata`` marks nodata).
    classes : class codes to tabulate; default: union of the valid codes of both maps.

    Returns
    -------
    DataFrame with index ``from`` (class at the start) and columns ``to`` (class at the end), int64.
    Codes outside ``classes`` are ignored.
    """
    a, ma, b, mb = aligned_pair(start, end, names=("start", "end"))
    both = ma & mb
    cls = common_classes((a, both), (b, both), classes=classes)
    n = _crosstab_kernel(a[both], b[both], cls)
    return pd.DataFrame(n, index=pd.Index(cls, name="from"), columns=pd.Index(cls, name="to"))


def _row_normalise(n: np.ndarray) -> np.ndarray:
    n = np.asarray(n, dtype=np.float64)
    rows = n.sum(axis=1, keepdims=True)
    p = np.divide(n, rows, out=np.zeros_like(n), where=rows > 0)
    absent = rows[:, 0] == 0
    p[absent, :] = 0.0
    idx = np.flatnonzero(absent)
    p[idx, idx] = 1.0  # identity row for a class absent at the start
    return p


def transition_matrix(start: xr.DataArray, end: xr.DataArray, *, classes=None) -> pd.DataFrame:
    r"""Row-stochastic Markov transition matrix between two maps.

    Notes
    -----
    :math:`P_{ij} = n_{ij} / \sum_j n_{ij}` over cells valid in both years; a class absent at the
    start gets the identity row (it stays itself). Rows are ``from`` classes, columns ``to``.
    """
    n = transition_counts(start, end, classes=classes)
    p = _row_normalise(n.to_numpy())
    return pd.DataFrame(p, index=n.index.copy(), columns=n.columns.copy())


def as_transition_frame(matrix, *, classes=None,
                        orientation: Literal["from_rows", "from_columns"] | None = None,
                        name: str = "matrix") -> pd.DataFrame:
    """Return ``matrix`` as a square ``from`` × ``to`` DataFrame (rows = from).

    A DataFrame is taken as rows = from, columns = to unless its axes are named: an index named
    ``"to"`` (and columns named ``"from"``) is transposed. A bare ndarray is accepted only with an
    explicit ``orientation`` (the PLUS manual puts the future class on rows, FLUS code uses
    [old][new]; guessing would silently transpose the model).
    """
    if isinstance(matrix, pd.DataFrame):
        df = matrix
        if df.index.name == "to" or df.columns.name == "from":
            df = df.T
        if list(df.index) != list(df.columns):
            raise ConfigError(message(name, "a square matrix with the same codes on rows and columns",
                                      f"rows {list(df.index)} and columns {list(df.columns)}",
                                      "reindex it, e.g. m.reindex(index=codes, columns=codes, fill_value=0)"))
        out = df.astype(np.float64).copy()
        out.index = pd.Index([int(c) for c in out.index], name="from")
        out.columns = pd.Index([int(c) for c in out.columns], name="to")
        return out
    arr = np.asarray(matrix, dtype=np.float64)
    if orientation is None:
        raise ConfigError(message(name, "a from→to DataFrame, or an ndarray with orientation='from_rows' "
                                  "or 'from_columns'", "a bare ndarray without orientation",
                                  "pass pd.DataFrame(m, index=pd.Index(codes, name='from'), "
                                  "columns=pd.Index(codes, name='to')) or orientation='from_rows'"))
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ConfigError(message(name, "a square 2-D matrix", f"shape {arr.shape}", "pass a K×K matrix"))
    if orientation == "from_columns":
        arr = arr.T
    elif orientation != "from_rows":
        raise ConfigError(message("orientation", "'from_rows' or 'from_columns'", repr(orientation),
                                  "choose one of the two"))
    codes = list(range(1, arr.shape[0] + 1)) if classes is None else [int(c) for c in classes]
    if len(codes) != arr.shape[0]:
        raise ConfigError(message("classes", f"{arr.shape[0]} class codes", f"{len(codes)}",
                                  "give one code per row of the matrix"))
    return pd.DataFrame(arr, index=pd.Index(codes, name="from"), columns=pd.Index(codes, name="to"))


def largest_remainder_round(values, total: int | None = None) -> np.ndarray:
    """Round non-negative reals to integers summing to ``total`` (default: round(sum)).

    Floors every value, then gives the remaining units to the largest fractional parts
    (ties broken by position, so the result is deterministic).
    """
    v = np.asarray(values, dtype=np.float64)
    if np.any(v < 0) or not np.all(np.isfinite(v)):
        raise DataError(message("values", "finite non-negative numbers", f"{v}", "check the projection"))
    if total is None:
        total = int(round(v.sum()))
    fl = np.floor(v).astype(np.int64)
    rest = int(total - fl.sum())
    if rest < 0 or rest > len(v):
        raise DataError(message("total", f"a total within {len(v)} of the floored sum {fl.sum()}",
                                str(total), "pass the sum of the values"))
    if rest:
        order = np.argsort(-(v - fl), kind="stable")
        fl[order[:rest]] += 1
    return fl


def _matrix_power(p: np.ndarray, steps: float) -> np.ndarray:
    if float(steps).is_integer():
        return np.linalg.matrix_power(p, int(steps))
    from scipy.linalg import fractional_matrix_power

    q = fractional_matrix_power(p, steps)
    bad = int(np.sum(np.real(q) < -1e-12) + np.sum(np.abs(np.imag(q)) > 1e-9))
    warnings.warn(f"P^{steps} is a fractional matrix power (assumes a time-homogeneous chain); "
                  f"{bad} negative or complex entries were clipped to 0 and rows renormalised",
                  AssumptionWarning, stacklevel=3)
    q = np.real(q)
    q = np.clip(q, 0.0, None)
    rows = q.sum(axis=1, keepdims=True)
    return np.divide(q, rows, out=np.eye(len(q)), where=rows > 0)


def project_counts(counts: Mapping[int, float] | pd.Series, matrix, *, steps: float = 1.0,
                   orientation: Literal["from_rows", "from_columns"] | None = None,
                   round_result: bool = True) -> pd.Series:
    r"""Project class counts ``steps`` intervals ahead: :math:`a_{t+k\Delta} = a_t P^k`.

    Parameters
    ----------
    counts : cells per class at the start of the projection (mapping code → count).
    matrix : transition matrix (from → to DataFrame, or ndarray with ``orientation``).
    steps : number of Markov intervals k ≥ 0; non-integer k uses a fractional matrix power
        (negatives clipped, rows renormalised, ``AssumptionWarning``).
    round_result : round by largest remainder preserving the total (int64); else float.

    Returns
    -------
    Series indexed by class code (name ``count``).
    """
    if steps < 0:
        raise ConfigError(message("steps", "a number of intervals ≥ 0", repr(steps), "pass steps >= 0"))
    p = as_transition_frame(matrix, orientation=orientation)
    codes = list(p.index)
    c = pd.Series(counts, dtype=np.float64)
    missing = sorted(set(int(k) for k in c.index) - set(codes))
    if missing:
        raise ConfigError(message("counts", "codes that are rows of the transition matrix",
                                  f"codes {missing} not in the matrix", "add them to the matrix"))
    a = c.reindex(codes, fill_value=0.0).to_numpy()
    out = a @ _matrix_power(p.to_numpy(), steps)
    if round_result:
        out = largest_remainder_round(out, total=int(round(a.sum())))
    return pd.Series(out, index=pd.Index(codes, name="class"), name="count")


def markov_demand(start: xr.DataArray, end: xr.DataArray, *, steps: float = 1.0, classes=None) -> pd.Series:
    """Demand (cells per class) ``steps`` intervals after ``end``, from the start → end chain.

    Counts and transitions both use the cells valid in both maps, so the total is preserved.
    ``steps=1`` is a *forecast* one interval past ``end`` (simulate it from ``end``); ``steps=0``
    returns the end map's own counts — the demand of a *hindcast* that simulates ``start → end``
    (same as :func:`hindcast_demand`).
    """
    n = transition_counts(start, end, classes=classes)
    p = pd.DataFrame(_row_normalise(n.to_numpy()), index=n.index, columns=n.columns)
    a_end = pd.Series(n.to_numpy().sum(axis=0), index=n.columns.rename("class"))
    return project_counts(a_end, p, steps=steps)


def hindcast_demand(start: xr.DataArray, end: xr.DataArray, *, classes=None) -> pd.Series:
    """Demand of a hindcast: the cells per class of ``end`` on the cells valid in both maps.

    Simulating ``start`` → ``end`` with this demand and scoring against ``end`` isolates the
    allocation skill (the quantity is right by construction). Equals ``a_start · P`` of the
    start → end chain exactly, and :func:`markov_demand` with ``steps=0``. Use it on the start map
    masked to the cells valid in both (e.g. ``start.where(end valid)``) so the totals match.
    """
    n = transition_counts(start, end, classes=classes)
    return pd.Series(n.to_numpy().sum(axis=0), index=n.columns.rename("class"), name="count").astype(np.int64)
