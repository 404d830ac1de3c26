"""Potential restoration areas by Sun et al. (2025), Land 14:287 (doi:10.3390/land14020287), Table 3.

Three switchable rules, each a bit of a reason raster:

* bit 0 (1) — ES deficit: balance < ``balance_threshold`` (0);
* bit 1 (2) — significant decrease: trend class in ``trend_classes`` (−2, from ``trend``);
* bit 2 (4) — disorder: coupling coordination degree D ≤ ``d_threshold`` (0.4: moderate or
  extreme disorder, Sun et al. 2025, Table 2).

The mask is the union (``combine="any"``, default — an assumption) or the intersection
(``"all"``) of the enabled rules, **minus the land uses that cannot be restored**
(``exclude_classes``, default construction land = code 5 of the six-class scheme; bit 3 (8) of
the reason marks them). Why: in the land-use supply/demand matrix construction land has the
lowest supply and the highest demand, so every built-up cell is in deficit; left in the mask, the
feasibility (population, GDP, roads) and urgency (deficit) indicators of the priority index then
rank the towns first, and the top tiers are built-up land whose ES value is zero. Sun et al.
restore "damaged ecological spaces" and report a positive benefit for their top 5 %; Zhao et al.
2023 (Land 12:965, doi:10.3390/land12050965) lock artificial land out because its surface is
irreversible. Pass ``exclude_classes=()`` to keep every land use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, InputError, message
from ..core.finalize import finalize
from ..core.grid import cell_area_m2
from ..core.legend import binary_labels, set_class_labels
from ..core.validate import check_aligned, check_raster

__all__ = ["DEFAULT_EXCLUDE", "EXCLUDED_BIT", "NODATA", "RULE_BITS", "potential_area_table", "potential_areas"]

RULE_BITS: dict[str, int] = {"deficit": 1, "significant_decrease": 2, "disorder": 4}
#: reason bit of cells that meet a rule but whose land use is excluded (not restorable)
EXCLUDED_BIT = 8
#: land-use codes left out of the potential area by default: construction land of the six-class scheme
DEFAULT_EXCLUDE: tuple[int, ...] = (5,)
NODATA = 255


def _potential_kernel(balance, trend_class, coordination, lulc, *, use, balance_threshold, trend_classes,
                      d_threshold, trend_nodata, combine, exclude, lulc_nodata):
    """Bit-coded reasons and the mask from the three inputs (any may be a dummy array). Pure numpy.

    ``lulc`` (or None) with ``exclude`` codes: those cells are never potential (reason bit 8 set
    when they meet the rules). Returns (mask uint8 0/1, reason uint8), both ``NODATA`` where an
    enabled input (or the land use) is nodata.
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in (balance, trend_class, coordination)))
    reason = np.zeros(shape, np.uint8)
    bad = np.zeros(shape, bool)
    hits = []
    if use[0]:
        b = np.broadcast_to(np.asarray(balance, dtype=np.float64), shape)
        bad |= np.isnan(b)
        h = np.where(np.isnan(b), False, b < balance_threshold)
        reason |= np.where(h, np.uint8(RULE_BITS["deficit"]), np.uint8(0))
        hits.append(h)
    if use[1]:
        tc = np.broadcast_to(np.asarray(trend_class), shape)
        if np.issubdtype(tc.dtype, np.floating):
            nod = np.isnan(tc)
        else:
            nod = tc == trend_nodata if trend_nodata is not None else np.zeros(shape, bool)
        bad |= nod
        h = np.isin(np.where(nod, 0, tc), trend_classes) & ~nod
        reason |= np.where(h, np.uint8(RULE_BITS["significant_decrease"]), np.uint8(0))
        hits.append(h)
    if use[2]:
        d = np.broadcast_to(np.asarray(coordination, dtype=np.float64), shape)
        bad |= np.isnan(d)
        h = np.where(np.isnan(d), False, d <= d_threshold)
        reason |= np.where(h, np.uint8(RULE_BITS["disorder"]), np.uint8(0))
        hits.append(h)
    mask = np.logical_or.reduce(hits) if combine == "any" else np.logical_and.reduce(hits)
    if lulc is not None:
        lu = np.broadcast_to(np.asarray(lulc), shape)
        if np.issubdtype(lu.dtype, np.floating):
            bad |= np.isnan(lu)
        elif lulc_nodata is not None:
            bad |= lu == lulc_nodata
        out = np.isin(lu, exclude)
        reason |= np.where(out & mask, np.uint8(EXCLUDED_BIT), np.uint8(0))
        mask = mask & ~out
    mask = np.where(bad, np.uint8(NODATA), mask.astype(np.uint8))
    reason = np.where(bad, np.uint8(NODATA), reason)
    return mask, reason


def potential_areas(balance: xr.DataArray | None = None, trend_class: xr.DataArray | None = None,
                    coordination: xr.DataArray | None = None, *, use_deficit: bool = True,
                    use_decrease: bool = True, use_disorder: bool = True, balance_threshold: float = 0.0,
                    trend_classes: Sequence[int] = (-2,), d_threshold: float = 0.4,
                    combine: Literal["any", "all"] = "any", lulc: xr.DataArray | None = None,
                    exclude_classes: Sequence[int] = DEFAULT_EXCLUDE, name: str = "potential") -> xr.Dataset:
    r"""Potential ecological restoration areas from ES balance, balance trend and coordination.

    Parameters
    ----------
    balance : xarray.DataArray, optional
        ES balance (supply − demand) of the last year; float, NaN = nodata.
    trend_class : xarray.DataArray, optional
        Trend classes of the balance (``trend``: 2, 1, 0, −1, −2; integer with ``.rio.nodata``, or float).
    coordination : xarray.DataArray, optional
        Coupling coordination degree D of the last year, in [0, 1].
    use_deficit, use_decrease, use_disorder : bool
        Switch each rule on or off; an enabled rule needs its input.
    balance_threshold : float
        Deficit where balance < this value (score; default 0).
    trend_classes : sequence of int
        Trend classes counted as a decrease (default (−2,): significant decrease; use (−2, −1)
        with ``classify_by="sign"`` trends or when n = 3 leaves nothing significant).
    d_threshold : float
        Disorder where D ≤ this value (default 0.4: moderate and extreme disorder).
    combine : {"any", "all"}
        Union (default, **assumption — parameter**) or intersection of the enabled rules.
    lulc : xarray.DataArray, optional
        Land use of the same year (integer codes, ``.rio.nodata``). Needed to leave out the
        classes that cannot be restored; without it nothing is excluded.
    exclude_classes : sequence of int
        Land-use codes that are never potential areas (default (5,): construction land of the
        six-class scheme, whose surface is sealed — Zhao et al. 2023 lock it out; see the module
        docstring for what including it does to the priority tiers). ``()`` keeps every class.
    name : str
        Prefix of the variable names.

    Returns
    -------
    xarray.Dataset
        ``mask`` (uint8, 1 potential area, 0 not, 255 nodata) and ``reason`` (uint8 bit code:
        1 deficit, 2 significant decrease, 4 disorder, 8 meets a rule but the land use is
        excluded; 255 nodata) on the grid of the inputs.

    Raises
    ------
    ConfigError
        No rule enabled, an enabled rule without its input, or an unknown ``combine``.
    AlignmentError
        The inputs are not on one grid.

    Notes
    -----
    PRA = [(b < b₀) ∪ (class ∈ K) ∪ (D ≤ D₀)] ∖ (lulc ∈ E) for ``combine="any"``; nodata wherever
    an enabled input is nodata. Sun et al. (2025) report 45,536.4 km² (56.45 % of the study area).
    """
    use = (use_deficit, use_decrease, use_disorder)
    inputs = {"balance": balance, "trend_class": trend_class, "coordination": coordination}
    if not any(use):
        raise ConfigError(message("use_*", "at least one enabled rule", "all rules disabled",
                                  "set use_deficit, use_decrease or use_disorder to true"))
    problems = [message(k, f"a raster for the enabled rule `{flag}`", "None",
                        f"pass {k}=... or set {flag}=False")
                for (k, v), on, flag in zip(inputs.items(), use, ("use_deficit", "use_decrease", "use_disorder"))
                if on and v is None]
    if problems:
        raise ConfigError("; ".join(problems), problems)
    if combine not in ("any", "all"):
        raise ConfigError(message("combine", "'any' or 'all'", repr(combine), "pick one of those"))
    given = {k: v for (k, v), on in zip(inputs.items(), use) if on}
    if lulc is not None:
        given_lu = {"lulc": lulc}
        check_raster(lulc, name="lulc", kind="categorical", crs=False)
    else:
        given_lu = {}
    for k, v in given.items():
        if not isinstance(v, xr.DataArray):
            raise InputError(message(k, "an xarray.DataArray raster", type(v).__name__, "pass a raster"))
        check_raster(v, name=k, crs=False)
    with_crs = {k: v for k, v in {**given, **given_lu}.items() if v.rio.crs is not None}
    if len(with_crs) > 1:
        check_aligned(**with_crs)
    like = next(iter(given.values()))
    dummy = xr.zeros_like(like, dtype=np.float64)
    args = [given.get(k, dummy) for k in inputs]
    tnod = trend_class.rio.nodata if (use_decrease and trend_class is not None) else None
    exclude = np.asarray(tuple(int(c) for c in exclude_classes) if lulc is not None else (), dtype=np.int64)
    kw = {"use": use, "balance_threshold": balance_threshold,
          "trend_classes": np.asarray(trend_classes, dtype=np.int64), "d_threshold": d_threshold,
          "trend_nodata": tnod, "combine": combine, "exclude": exclude,
          "lulc_nodata": lulc.rio.nodata if lulc is not None else None}
    if lulc is not None:
        args.append(lulc)
        kernel = _potential_kernel
    else:
        def kernel(b, t, d, **k):
            return _potential_kernel(b, t, d, None, **k)
    mask, reason = xr.apply_ufunc(
        kernel, *args, output_core_dims=[[], []], dask="parallelized",
        output_dtypes=[np.uint8, np.uint8], join="override", kwargs=kw)
    rules = ",".join(r for r, on in zip(RULE_BITS, use) if on)
    attrs = {"rules": rules, "combine": combine, "balance_threshold": balance_threshold,
             "trend_classes": ",".join(str(int(c)) for c in trend_classes), "d_threshold": d_threshold,
             "excluded_classes": ",".join(str(int(c)) for c in exclude)}
    mask = finalize(mask, like=like, name=f"{name}_mask", units="1", **attrs).rio.write_nodata(NODATA, encoded=False)
    reason = finalize(reason, like=like, name=f"{name}_reason", units="bits", **attrs,
                      bits="1 deficit; 2 significant decrease; 4 disorder; 8 excluded land use"
                      ).rio.write_nodata(NODATA, encoded=False)
    binary_labels(mask, "not a potential restoration area", "potential restoration area")
    on = [(r, b) for (r, b), u in zip(RULE_BITS.items(), use) if u]
    labels = {0: "no rule met"}
    for code in range(1, 8):
        if code & ~sum(b for _, b in on):
            continue
        labels[code] = " + ".join(r.replace("_", " ") for r, b in on if code & b)
        if exclude.size:
            labels[code | EXCLUDED_BIT] = labels[code] + " (land use excluded)"
    set_class_labels(reason, labels, palette="qualitative")
    ds = xr.Dataset({"mask": mask, "reason": reason})
    ds.attrs["formula"] = "PRA = [(balance < 0) ∪ (trend class = −2) ∪ (D ≤ 0.4)] ∖ (land use ∈ excluded classes)"
    return ds


def potential_area_table(result: xr.Dataset) -> pd.DataFrame:
    """Cells, area (km²) and share of the valid area per rule and for the combined mask. Computes.

    Rows: ``deficit``, ``significant_decrease``, ``disorder`` (cells whose reason has that bit,
    rules may overlap, excluded land uses included), ``excluded_land_use`` (cells that meet a rule
    but whose land use is excluded; only when classes were excluded) and ``potential_area`` (the mask).
    """
    reason, mask = result["reason"], result["mask"]
    km2 = cell_area_m2(reason, name="reason") / 1e6 if reason.rio.crs is not None else np.nan
    r = np.asarray(reason.data.compute() if hasattr(reason.data, "compute") else reason.data)
    m = np.asarray(mask.data.compute() if hasattr(mask.data, "compute") else mask.data)
    valid = r != NODATA
    n_valid = int(valid.sum())
    enabled = set(str(reason.attrs.get("rules", ",".join(RULE_BITS))).split(","))
    rows = []
    for rule, bit in RULE_BITS.items():
        if rule not in enabled:
            continue
        n = int(((r & bit) > 0)[valid].sum())
        rows.append({"rule": rule, "bit": bit, "cells": n})
    if str(reason.attrs.get("excluded_classes", "")):
        rows.append({"rule": "excluded_land_use", "bit": EXCLUDED_BIT,
                     "cells": int(((r & EXCLUDED_BIT) > 0)[valid].sum())})
    rows.append({"rule": "potential_area", "bit": None, "cells": int((m == 1).sum())})
    df = pd.DataFrame(rows)
    df["area_km2"] = df["cells"] * km2
    df["share_pct"] = 100.0 * df["cells"] / n_valid if n_valid else np.nan
    return df
