r"""Sensitivity coefficient of a scalar result to ±x % changes of per-class coefficients.

After Kreuter et al. (2001):

.. math::

    CS_k = \frac{(Y_{adj} - Y_0)/Y_0}{(V_{adj,k} - V_k)/V_k}

where class k's coefficient row is scaled by (1 ± change) and Y is any scalar function of the
coefficient table (total ESV, total supply, total balance …). For a linear total
Y = Σ_k A_k V_k, CS_k = A_k V_k / Y (the class share), so |CS| < 1 is automatic; negative values or
|CS| > 1 arise only when Y can be ≤ 0 (e.g. a deficit balance).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, ConstantInputWarning, message
from ..core.grid import cell_area_m2
from ..core.compute import materialize

__all__ = ["class_areas_hm2", "es_total_sensitivity", "linear_total", "sensitivity_coefficients"]


def sensitivity_coefficients(func: Callable[[pd.DataFrame], float], coefficients: pd.DataFrame, *,
                             change: float = 0.5, columns: list[str] | None = None) -> pd.DataFrame:
    """CS of ``func(coefficients)`` for a ±``change`` scaling of each row (class) of ``coefficients``.

    Parameters
    ----------
    func : callable
        Maps a coefficient table (same index and columns) to a scalar Y.
    coefficients : pandas.DataFrame
        One row per class (index = class code); the numeric ``columns`` are scaled.
    change : float
        Relative change, in (0, 1] (default 0.5 = ±50 %).
    columns : list of str, optional
        Columns scaled together (default: every numeric column).

    Returns
    -------
    pandas.DataFrame
        Index = class; ``y0``, ``y_plus``, ``y_minus``, ``cs_plus``, ``cs_minus``, ``abs_cs``
        (max of the two), ``elastic`` (abs_cs ≥ 1).

    Warns
    -----
    ConstantInputWarning
        Y₀ = 0: every CS is NaN.
    """
    if not 0 < change <= 1:
        raise ConfigError(message("change", "a relative change in (0, 1]", repr(change), "e.g. change=0.5"))
    if not isinstance(coefficients, pd.DataFrame):
        raise ConfigError(message("coefficients", "a pandas DataFrame (one row per class)",
                                  type(coefficients).__name__, "build a table"))
    cols = columns or [c for c in coefficients.columns if pd.api.types.is_numeric_dtype(coefficients[c])]
    base = coefficients.copy()
    base[cols] = base[cols].astype(np.float64)
    y0 = float(func(base))
    if y0 == 0:
        warnings.warn("sensitivity: Y0 = 0, so the relative change of Y is undefined; CS = NaN",
                      ConstantInputWarning, stacklevel=2)
    rows = []
    for k in base.index:
        ys = {}
        for sign in (+1, -1):
            adj = base.copy()
            adj.loc[k, cols] = adj.loc[k, cols] * (1 + sign * change)
            ys[sign] = float(func(adj))
        with np.errstate(invalid="ignore", divide="ignore"):
            cs_p = ((ys[1] - y0) / y0) / change if y0 != 0 else np.nan
            cs_m = ((ys[-1] - y0) / y0) / (-change) if y0 != 0 else np.nan
        rows.append({"class": k, "y0": y0, "y_plus": ys[1], "y_minus": ys[-1], "cs_plus": cs_p,
                     "cs_minus": cs_m, "abs_cs": np.nanmax([abs(cs_p), abs(cs_m)]) if y0 != 0 else np.nan})
    df = pd.DataFrame(rows).set_index("class")
    df["elastic"] = df["abs_cs"] >= 1
    return df


def class_areas_hm2(lulc: xr.DataArray) -> pd.Series:
    """Area (hm²) of every valid class of a categorical raster (one year). Computes."""
    a = cell_area_m2(lulc, name="lulc") / 1e4
    nod = lulc.rio.nodata
    if lulc.chunks and np.issubdtype(lulc.dtype, np.integer):
        from ..core.chunked import block_reduce, class_counts

        lo = block_reduce(lambda x, offset: np.array([_min_valid(x, nod)]), lulc,
                          combine=lambda xs: np.min(np.concatenate(xs)))
        if int(lo) >= 0:  # non-negative codes: a bincount reduction, never the whole raster
            codes, counts = class_counts(lulc, nodata=nod)
            return pd.Series(counts * a, index=pd.Index(codes.astype(np.int64), name="lucode"), name="area_hm2")
    arr = materialize(lulc)
    vals = arr[arr != nod] if nod is not None else arr.ravel()
    codes, counts = np.unique(vals, return_counts=True)
    return pd.Series(counts * a, index=pd.Index(codes.astype(np.int64), name="lucode"), name="area_hm2")


def _min_valid(x, nod) -> int:
    x = np.asarray(x)
    if nod is not None:
        x = x[x != nod]
    return int(x.min()) if x.size else 0


def linear_total(areas: pd.Series, *, subtract: pd.DataFrame | None = None) -> Callable[[pd.DataFrame], float]:
    """Y(V) = Σ_k A_k Σ_f V_kf (minus Σ_k A_k Σ_f D_kf when ``subtract`` is given: a total balance)."""
    def f(coef: pd.DataFrame) -> float:
        num = coef.select_dtypes("number")
        per_class = num.reindex(areas.index).fillna(0.0).sum(axis=1)
        y = float((areas * per_class).sum())
        if subtract is not None:
            d = subtract.select_dtypes("number").reindex(areas.index).fillna(0.0).sum(axis=1)
            y -= float((areas * d).sum())
        return y
    return f


def es_total_sensitivity(lulc: xr.DataArray, coefficients: pd.DataFrame, *,
                         subtract: pd.DataFrame | None = None, change: float = 0.5,
                         code_column: str = "lucode") -> pd.DataFrame:
    """CS per land-use class of Y = Σ_k A_k Σ_f V_kf (total ESV or total supply), or of the total balance.

    ``coefficients`` (and ``subtract``) have one row per class (``code_column`` or the index) and
    numeric value columns (e.g. yuan hm⁻² a⁻¹ per service, or supply scores); A_k in hm².
    Verify: A = [10, 30] hm², V = [100, 50] → Y = 2500; class 1 at +50 % → 3000, CS₁ = 0.4. Computes.
    """
    def idx(t: pd.DataFrame) -> pd.DataFrame:
        t = t.set_index(code_column) if code_column in t.columns else t
        t.index = t.index.astype(np.int64)
        return t

    coef = idx(coefficients.copy())
    sub = idx(subtract.copy()) if subtract is not None else None
    areas = class_areas_hm2(lulc)
    missing = sorted(set(areas.index) - set(coef.index))
    if missing:
        raise ConfigError(message("coefficients", "a row for every class code in `lulc`",
                                  f"no row for code(s) {missing}", f"add rows for {missing}"))
    out = sensitivity_coefficients(linear_total(areas, subtract=sub), coef, change=change)
    out.insert(0, "area_hm2", areas.reindex(out.index).fillna(0.0))
    return out

