"""Potential restoration areas by above-average ES decline (Zhao et al. 2023, §2.3.3, eq. 5).

Per ecosystem service, the start- and end-year potential supply are standardized together
(``minmax_pos`` pooled over both years, so that region-wide change survives), and

.. math::  \\Delta = S_1' - S_0',\\qquad
           \\mathrm{PoRA} = (\\Delta < 0) \\wedge (|\\Delta| > \\tau)

with :math:`\\tau` the mean :math:`|\\Delta|` over the declining cells (``"mean_of_declines"``,
default, **assumption — parameter**) or over every changed cell, gains and losses
(``"mean_of_all_changes"``). The threshold is a global statistic; on dask input it stays lazy
(one reduction in the graph).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, InputError, message
from ..core.finalize import finalize
from ..core.legend import binary_labels
from ..core.validate import check_aligned, check_raster
from ..mcda.normalize import normalize

__all__ = ["NODATA", "THRESHOLDS", "decline_kernel", "potential_decline"]

NODATA = 255
THRESHOLDS = ("mean_of_declines", "mean_of_all_changes")
TOL = 1e-9  # absolute tolerance of |Δ| > τ (Δ ∈ [−1, 1]): a decline equal to τ up to rounding is not a PoRA


def decline_kernel(delta: np.ndarray, threshold: float) -> np.ndarray:
    """PoRA mask of standardized changes: 1 where Δ < 0 and |Δ| > threshold, 0 elsewhere, 255 = NaN.

    >>> decline_kernel(np.array([-0.1, -0.3, -0.5, 0.2, 0.0, np.nan]), 0.3).tolist()
    [0, 0, 1, 0, 0, 255]
    """
    d = np.asarray(delta, dtype=np.float64)
    hit = (d < 0) & (np.abs(d) > float(threshold) + TOL)
    return np.where(np.isnan(d), np.uint8(NODATA), hit.astype(np.uint8))


def threshold_of(delta, how: str = "mean_of_declines"):
    """τ of ``delta`` (numpy array or DataArray; lazy for dask): mean |Δ| over declines or changes."""
    if how not in THRESHOLDS:
        raise ConfigError(message("threshold", f"one of {THRESHOLDS}", repr(how), "use 'mean_of_declines'"))
    if isinstance(delta, xr.DataArray):
        sel = delta < 0 if how == "mean_of_declines" else delta != 0
        return abs(delta).where(sel).mean(skipna=True)
    d = np.asarray(delta, dtype=np.float64)
    sel = (d < 0) if how == "mean_of_declines" else (d != 0) & np.isfinite(d)
    return float(np.abs(d[sel]).mean()) if sel.any() else np.nan


def potential_decline(start: xr.DataArray, end: xr.DataArray, *,
                      threshold: Literal["mean_of_declines", "mean_of_all_changes"] = "mean_of_declines",
                      name: str = "pora") -> xr.Dataset:
    r"""Potential restoration areas (PoRA) of one ES from its start- and end-year supply.

    Parameters
    ----------
    start, end : xarray.DataArray
        Potential supply of one ES (any units, e.g. t/ha, 0–1, mm) in the start and end year, on
        one grid; NaN = nodata. numpy or dask.
    threshold : {"mean_of_declines", "mean_of_all_changes"}
        τ = mean |Δ| over cells with Δ < 0 (default, **assumption — parameter**; Zhao et al. 2023 say
        "decreased more than the average value"), or over every cell with Δ ≠ 0.
    name : str
        Prefix of the output variable names.

    Returns
    -------
    xarray.Dataset
        ``delta`` (float64, standardized change S₁′ − S₀′ ∈ [−1, 1]), ``pora`` (uint8 1/0,
        ``.rio.nodata`` 255 where either year is nodata) and ``threshold`` (scalar τ).

    Raises
    ------
    AlignmentError
        ``start`` and ``end`` are not on one grid.
    ConfigError
        Unknown ``threshold``.

    Notes
    -----
    .. math:: S_t' = \frac{S_t - \min_{t,x} S}{\max_{t,x} S - \min_{t,x} S},\quad
              \Delta = S_1' - S_0',\quad
              \mathrm{PoRA} = [\Delta < 0]\,[\,|\Delta| > \tau\,]

    (min and max pooled over both years). The comparison is strict: a cell whose decline
    equals τ (within 1e-9, rounding) is not a PoRA. Value range: Δ ∈ [−1, 1].

    Examples
    --------
    >>> from restoreplan.testing import make_raster
    >>> s0 = make_raster(np.array([[1.0, 1.0, 1.0, 0.0, 0.5]]))
    >>> s1 = make_raster(np.array([[0.9, 0.7, 0.5, 0.2, 0.5]]))
    >>> potential_decline(s0, s1)["pora"].values.tolist()
    [[0, 0, 1, 0, 0]]
    """
    if threshold not in THRESHOLDS:
        raise ConfigError(message("threshold", f"one of {THRESHOLDS}", repr(threshold), "use 'mean_of_declines'"))
    for nm, da in (("start", start), ("end", end)):
        if not isinstance(da, xr.DataArray):
            raise InputError(message(nm, "an xarray.DataArray raster", type(da).__name__,
                                     "pass the ES supply raster of that year"))
        check_raster(da, name=nm, crs=False)
        extra = [d for d in da.dims if d not in ("y", "x")]
        if extra:
            raise InputError(message(nm, "one year of one ES (dims y, x)", f"extra dims {extra}",
                                     f"select one slice, e.g. {nm}.isel(time=0)"))
    if start.rio.crs is not None and end.rio.crs is not None:
        check_aligned(start=start, end=end)
    s0 = start.astype(np.float64)
    s1 = end.astype(np.float64)
    stack = xr.concat([s0.drop_attrs(deep=False), s1.drop_attrs(deep=False)],
                      dim=pd.Index([0, 1], name="epoch"), join="override", coords="minimal", compat="override")
    z = normalize(stack, method="minmax_pos")  # pooled over both years
    delta = (z.isel(epoch=1, drop=True) - z.isel(epoch=0, drop=True))
    delta = delta.where(s0.notnull() & s1.notnull())
    tau = threshold_of(delta, threshold)
    mask = xr.apply_ufunc(decline_kernel, delta, tau, dask="parallelized", output_dtypes=[np.uint8])
    delta = finalize(delta, like=start, name=f"{name}_delta", units="1", method="minmax pooled over both years")
    mask = finalize(mask, like=start, name=name, units="1", threshold=threshold)
    mask = binary_labels(mask.rio.write_nodata(np.uint8(NODATA), encoded=False), "no significant decline",
                         "potential restoration area (decline)")
    tau = tau.drop_vars([c for c in tau.coords], errors="ignore")
    tau.attrs = {"units": "1", "rule": threshold}
    return xr.Dataset({"delta": delta, "pora": mask, "threshold": tau})
