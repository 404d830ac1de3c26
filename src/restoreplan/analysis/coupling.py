"""Coupling degree C and coupling coordination degree D (Sun et al. 2025, §2.5, eq. 7-9, Table 2).

Kernel on a stacked (n_systems, ...) ndarray; the public function maps it with ``xr.apply_ufunc``
(numpy or dask, element-wise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, DataError, InputError, message
from ..core.finalize import finalize
from ..core.legend import set_class_labels
from ..core.validate import check_aligned

__all__ = [
    "C_CLASSES",
    "D_CLASSES",
    "D_CLASSES_10",
    "class_table",
    "coupling",
    "coupling_degree",
    "standardize_systems",
]

CLASS_NODATA = 0

#: C stage classes (Sun et al. 2025, §2.5): code → (label, lower, upper], with 1 = none (C = 0) and 6 = resonance (C = 1)
C_CLASSES = pd.DataFrame(
    {"label": ["none", "low-level coupling", "antagonistic", "running-in", "high-level coupling", "resonance"],
     "lower": [0.0, 0.0, 0.3, 0.6, 0.8, 1.0], "upper": [0.0, 0.3, 0.6, 0.8, 1.0, 1.0]},
    index=pd.Index([1, 2, 3, 4, 5, 6], name="code"))
_C_BREAKS = {"sun2025": (0.3, 0.6, 0.8), "common": (0.3, 0.5, 0.8)}

#: D classes of Sun et al. (2025) Table 2: code → label, stage, (lower, upper]; class 1 includes 0
D_CLASSES = pd.DataFrame(
    {"label": ["extreme disorder", "moderate disorder", "low disorder", "low coordination",
               "moderate coordination", "extreme coordination"],
     "stage": ["uncoordinated", "uncoordinated", "transformative", "transformative", "coordinated", "coordinated"],
     "lower": [0.0, 0.2, 0.4, 0.5, 0.6, 0.8], "upper": [0.2, 0.4, 0.5, 0.6, 0.8, 1.0]},
    index=pd.Index([1, 2, 3, 4, 5, 6], name="code"))

#: the common 10-class scheme in steps of 0.1
D_CLASSES_10 = pd.DataFrame(
    {"label": ["extreme disorder", "serious disorder", "moderate disorder", "mild disorder",
               "on the verge of disorder", "barely coordinated", "primary coordination",
               "intermediate coordination", "good coordination", "quality coordination"],
     "stage": ["uncoordinated"] * 5 + ["coordinated"] * 5,
     "lower": np.round(np.arange(0, 1.0, 0.1), 1), "upper": np.round(np.arange(0.1, 1.01, 0.1), 1)},
    index=pd.Index(range(1, 11), name="code"))

_RESONANCE_TOL = 1e-12


def _interval_labels(table: pd.DataFrame) -> dict[int, str]:
    """{code: "label (lower–upper]"} of a C or D class table."""
    out = {}
    for code, row in table.iterrows():
        lo, hi = float(row["lower"]), float(row["upper"])
        out[int(code)] = f"{row['label']} ({lo:g})" if lo == hi else f"{row['label']} ({lo:g}–{hi:g}]"
    return out


def class_table(kind: Literal["c", "d"] = "d", scheme: str = "sun2025") -> pd.DataFrame:
    """The class table of C (``kind="c"``) or D (``scheme`` ``sun2025`` or ``ten_class``)."""
    if kind == "c":
        t = C_CLASSES.copy()
        b = _C_BREAKS[scheme]
        t["lower"] = [0.0, 0.0, b[0], b[1], b[2], 1.0]
        t["upper"] = [0.0, b[0], b[1], b[2], 1.0, 1.0]
        return t
    return (D_CLASSES if scheme == "sun2025" else D_CLASSES_10).copy()


def _coupling_kernel(u: np.ndarray, weights: np.ndarray, c_breaks: tuple[float, float, float],
                     d_breaks: np.ndarray) -> tuple[np.ndarray, ...]:
    """C, T, D and their classes from stacked systems ``u`` (..., n) in [0, 1]. Pure numpy.

    C = n·(Πu)^{1/n}/Σu (= n·[Πu/(Σu)^n]^{1/n}); n = 2 uses 2√(u₁u₂)/(u₁ + u₂) exactly.
    All u = 0 gives C = T = D = 0. NaN in any system gives NaN and class 0 (nodata).
    """
    u = np.moveaxis(np.asarray(u, dtype=np.float64), -1, 0)
    n = u.shape[0]
    bad = np.isnan(u).any(axis=0)
    out_of_range = ~bad & ((u < 0) | (u > 1)).any(axis=0)
    if out_of_range.any():
        vals = u[:, out_of_range]
        raise DataError(message("u", "standardized systems in [0, 1]",
                                f"values from {np.nanmin(vals):.6g} to {np.nanmax(vals):.6g}",
                                "standardize them first (standardize=True, or rp.mcda.normalize)"))
    s = u.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore", under="ignore"):
        r = u / s  # shares; scale-free, so tiny u neither underflow nor lose C = 1 for equal u
        if n == 2:
            c = 2.0 * np.sqrt(r[0]) * np.sqrt(r[1])
        else:
            c = n * np.exp(np.log(r).mean(axis=0))
    c = np.where(s == 0, 0.0, c)
    c = np.minimum(c, 1.0)
    t = np.tensordot(weights, u, axes=(0, 0))
    d = np.sqrt(c * t)
    # C classes: 1 none (C = 0), 2..5 by breaks, 6 resonance (C = 1)
    cc = np.searchsorted(np.array([0.0, *c_breaks]), c, side="left") + 1  # (lower, upper]; C = 0 → 1
    cc[c >= 1.0 - _RESONANCE_TOL] = 6
    dc = np.searchsorted(d_breaks, d, side="left") + 1  # (lower, upper]; class 1 includes 0
    cc = np.where(bad, CLASS_NODATA, cc).astype(np.uint8)
    dc = np.where(bad, CLASS_NODATA, np.minimum(dc, d_breaks.size + 1)).astype(np.uint8)
    c = np.where(bad, np.nan, c)
    t = np.where(bad, np.nan, t)
    d = np.where(bad, np.nan, d)
    return c, t, d, cc, dc


def coupling_degree(*u: np.ndarray) -> np.ndarray:
    """Coupling degree C of plain arrays (same shape), for quick checks: C = n·(Πu)^{1/n}/Σu."""
    arr = np.stack([np.asarray(x, dtype=np.float64) for x in u], axis=-1)
    w = np.full(arr.shape[-1], 1.0 / arr.shape[-1])
    return _coupling_kernel(arr, w, _C_BREAKS["sun2025"], np.array([0.2, 0.4, 0.5, 0.6, 0.8]))[0]


def standardize_systems(*systems: xr.DataArray, over: Sequence[str] | None = None) -> list[xr.DataArray]:
    """Min-max (positive) standardization of each system pooled over ``over`` (default all dims)."""
    from ..mcda.normalize import normalize

    return [normalize(s, method="minmax_pos", over=over, name=f"u{i + 1}") for i, s in enumerate(systems)]


def coupling(*systems: xr.DataArray, weights: Sequence[float] | None = None,
             standardize: bool = False, over: Sequence[str] | None = None,
             c_scheme: Literal["sun2025", "common"] = "sun2025",
             d_scheme: Literal["sun2025", "ten_class"] = "sun2025", name: str = "coupling") -> xr.Dataset:
    r"""Coupling degree C, comprehensive index T and coupling coordination degree D of n ≥ 2 systems.

    Parameters
    ----------
    *systems : xarray.DataArray
        u₁ (ES supply), u₂ (ES demand), … on one grid, standardized to [0, 1] unless
        ``standardize=True``. NaN = nodata. numpy or dask.
    weights : sequence of float, optional
        a, b, … of T = a·u₁ + b·u₂ + …; non-negative, summing to 1 (default equal, a = b = 0.5).
    standardize : bool
        Min-max the raw systems first (``minmax_pos``), pooled over ``over`` (default: all
        dims, i.e. over all years together — per-year scaling erases change).
    c_scheme : {"sun2025", "common"}
        Breaks of the C stage classes: 0.3/0.6/0.8 (Sun et al. 2025) or 0.3/0.5/0.8.
    d_scheme : {"sun2025", "ten_class"}
        D classes of Sun et al. (2025) Table 2 (6 classes) or the common 10 classes in steps of 0.1.
    name : str
        Prefix of the variable names.

    Returns
    -------
    xarray.Dataset
        ``c``, ``t``, ``d`` (float64, units 1, NaN = nodata); ``c_class`` (uint8, 1 none, 2 low,
        3 antagonistic, 4 running-in, 5 high-level, 6 resonance; nodata 0) and ``d_class``
        (uint8, codes of :data:`D_CLASSES` or :data:`D_CLASSES_10`; nodata 0).

    Raises
    ------
    DataError
        A system value is outside [0, 1] (for dask input: when computed).
    ConfigError
        Fewer than 2 systems, bad ``weights`` or an unknown scheme.
    AlignmentError
        The systems are not on one grid.

    Notes
    -----
    .. math::

        C = n\left[\frac{\prod_i u_i}{(\sum_i u_i)^n}\right]^{1/n},\quad
        T = \sum_i a_i u_i,\quad D = \sqrt{C\,T}

    For n = 2, C = 2√(u₁u₂)/(u₁ + u₂) ∈ [0, 1], and C = 1 exactly when all u are equal and > 0.
    The frequent variant without the factor n caps C at 1/n and is wrong. All u = 0 gives
    C = T = D = 0. D ∈ [0, 1].

    Examples
    --------
    >>> import xarray as xr
    >>> r = coupling(xr.DataArray([0.6]), xr.DataArray([0.2]))
    >>> [round(float(r[k][0]), 6) for k in ("c", "t", "d")], int(r.d_class[0])
    ([0.866025, 0.4, 0.588566], 4)
    """
    if len(systems) < 2:
        raise ConfigError(message("systems", "at least two systems (u1, u2, ...)", f"{len(systems)}",
                                  "pass supply and demand"))
    for i, s in enumerate(systems):
        if not isinstance(s, xr.DataArray):
            raise InputError(message(f"u{i + 1}", "an xarray.DataArray", type(s).__name__, "wrap it in a DataArray"))
    spatial = all("x" in s.dims and "y" in s.dims for s in systems)
    if spatial and all(s.rio.crs is not None for s in systems):
        check_aligned(**{f"u{i + 1}": s for i, s in enumerate(systems)})
    n = len(systems)
    w = np.full(n, 1.0 / n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or (w < 0).any() or not np.isclose(w.sum(), 1.0):
        raise ConfigError(message("weights", f"{n} non-negative weights summing to 1", repr(weights),
                                  "e.g. weights=(0.5, 0.5)"))
    if c_scheme not in _C_BREAKS:
        raise ConfigError(message("c_scheme", f"one of {list(_C_BREAKS)}", repr(c_scheme), "pick one of those"))
    if d_scheme not in ("sun2025", "ten_class"):
        raise ConfigError(message("d_scheme", "'sun2025' or 'ten_class'", repr(d_scheme), "pick one of those"))
    us = standardize_systems(*systems, over=over) if standardize else list(systems)
    stacked = xr.concat([u.astype(np.float64) for u in us], dim="system", join="override",
                        coords="minimal", compat="override")
    if stacked.chunks is not None:
        stacked = stacked.chunk({"system": -1})
    table = class_table("d", d_scheme)
    d_breaks = table["upper"].to_numpy()[:-1]
    outs = xr.apply_ufunc(_coupling_kernel, stacked, input_core_dims=[["system"]],
                          output_core_dims=[[], [], [], [], []],
                          kwargs={"weights": w, "c_breaks": _C_BREAKS[c_scheme], "d_breaks": d_breaks},
                          dask="parallelized",
                          output_dtypes=[np.float64, np.float64, np.float64, np.uint8, np.uint8])
    like = systems[0]
    attrs = {"n_systems": n, "weights": ",".join(f"{x:g}" for x in w), "c_scheme": c_scheme, "d_scheme": d_scheme}
    data = {}
    for key, da in zip(("c", "t", "d", "c_class", "d_class"), outs):
        units = "class" if key.endswith("class") else "1"
        if spatial:
            da = finalize(da, like=like, name=f"{name}_{key}", units=units, **attrs)
            if key.endswith("class"):
                da = da.rio.write_nodata(CLASS_NODATA, encoded=False)
        else:
            da = da.rename(f"{name}_{key}")
            da.attrs = {"units": units, **attrs}
        data[key] = da
    set_class_labels(data["c_class"], _interval_labels(class_table("c", c_scheme)), palette="YlGnBu")
    set_class_labels(data["d_class"], _interval_labels(table), palette="RdYlGn")
    ds = xr.Dataset(data)
    ds.attrs["formula"] = "C = n·[Πu/(Σu)^n]^(1/n); T = Σ a_i u_i; D = √(C·T)"
    return ds
