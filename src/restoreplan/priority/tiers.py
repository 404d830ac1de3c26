"""Top-x % priority tiers and their ES benefit (Sun et al. 2025, §3.4, Table 5).

Eligible cells (valid index, inside the mask) are ranked by index, descending, ties in stable
row-major order (**assumption — parameter**). Cumulative cuts of [5, 15, 30, 45, 100] % of the
eligible area give tiers 1..5: with N eligible cells, n_t = round(cut_t·N/100) and the cell of rank
r (0-based) gets the first tier t with r < n_t.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, message
from ..core.finalize import finalize
from ..core.grid import cell_area_m2
from ..core.legend import set_class_labels
from ..core.validate import check_aligned, check_raster
from ..core.compute import eligible_cells, materialize

__all__ = ["DEFAULT_CUTS", "priority_tiers", "rank_order", "tier_labels", "tier_table", "top_cells"]

DEFAULT_CUTS: tuple[float, ...] = (5.0, 15.0, 30.0, 45.0, 100.0)
NODATA = 0


def rank_order(values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Flat indices of the eligible cells sorted by value descending, ties in row-major order. Pure numpy."""
    v = np.asarray(values, dtype=np.float64).ravel()
    ok = np.asarray(eligible, bool).ravel() & ~np.isnan(v)
    idx = np.flatnonzero(ok)
    order = np.argsort(-v[idx], kind="stable")
    return idx[order]


def top_cells(values: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    """Boolean array of the ``n`` top-ranked eligible cells (the plain top-x % selection)."""
    sel = np.zeros(np.shape(values), bool)
    sel.ravel()[rank_order(values, eligible)[:n]] = True
    return sel


def _cut_counts(n: int, cuts: Sequence[float]) -> np.ndarray:
    c = np.asarray(cuts, dtype=np.float64)
    counts = np.rint(c / 100.0 * n).astype(np.int64)
    counts[-1] = n if c[-1] == 100 else counts[-1]
    return counts


def _tier_kernel(index: np.ndarray, eligible: np.ndarray, cuts: Sequence[float]) -> np.ndarray:
    """uint8 tiers 1..len(cuts) by rank; 0 = not ranked (ineligible, NaN or beyond the last cut)."""
    order = rank_order(index, eligible)
    counts = _cut_counts(order.size, cuts)
    tier_of_rank = np.searchsorted(counts, np.arange(order.size), side="right") + 1
    out = np.zeros(np.size(index), np.uint8)
    keep = tier_of_rank <= len(cuts)
    out[order[keep]] = tier_of_rank[keep].astype(np.uint8)
    return out.reshape(np.shape(index))


def _check_cuts(cuts) -> tuple[float, ...]:
    c = tuple(float(x) for x in cuts)
    if not c or any(b <= a for a, b in zip(c, c[1:])) or c[0] <= 0 or c[-1] > 100:
        raise ConfigError(message("cuts", "increasing percentages in (0, 100]", repr(cuts),
                                  "e.g. cuts=(5, 15, 30, 45, 100)"))
    return c




def priority_tiers(index: xr.DataArray, *, mask: xr.DataArray | None = None,
                   cuts: Sequence[float] = DEFAULT_CUTS, group_dim: str = "group",
                   name: str = "priority_tier") -> xr.DataArray:
    r"""Top-x % tiers of a priority index. Computes (a global ranking).

    Parameters
    ----------
    index : xarray.DataArray
        Priority index (y, x), optionally with ``group_dim`` (one ranking per group); NaN = not eligible.
    mask : xarray.DataArray, optional
        Eligible cells (1 = eligible), e.g. the potential restoration area of ``potential_areas``; may carry ``group_dim``.
    cuts : sequence of float
        Cumulative area percentages, increasing, the last ≤ 100 (default 5, 15, 30, 45, 100).
    group_dim : str
        Name of the group / scenario dim.
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        uint8 tier 1..len(cuts) (1 = top), 0 = not ranked (nodata), on the grid of ``index``.

    Notes
    -----
    Tier t holds ranks r with n_{t−1} ≤ r < n_t, n_t = round(cut_t·N/100); ties keep row-major
    order (stable sort), so the result is deterministic. Dask input is gathered (global sort).
    """
    check_raster(index, name="index", crs=False)
    c = _check_cuts(cuts)
    if mask is not None and index.rio.crs is not None and mask.rio.crs is not None:
        check_aligned(index=index, mask=mask)
    if index.chunks:
        return _priority_tiers_lazy(index, mask, c, group_dim, name)
    if group_dim in index.dims:
        parts = []
        for i in range(index.sizes[group_dim]):
            sl = index.isel({group_dim: i})
            mk = mask.isel({group_dim: i}) if (mask is not None and group_dim in mask.dims) else mask
            parts.append(_tier_kernel(materialize(sl), eligible_cells(sl, mk), c))
        arr = np.stack(parts)
        out = xr.DataArray(arr, dims=(group_dim, "y", "x"),
                           coords={group_dim: index[group_dim].values if group_dim in index.coords else
                                   np.arange(index.sizes[group_dim]), "y": index.y, "x": index.x})
    else:
        arr = _tier_kernel(materialize(index), eligible_cells(index, mask), c)
        out = xr.DataArray(arr, dims=("y", "x"), coords={"y": index.y, "x": index.x})
    out = finalize(out, like=index, name=name, units="tier", cuts=",".join(f"{x:g}" for x in c),
                   ties="stable row-major")
    return set_class_labels(out.rio.write_nodata(NODATA, encoded=False), tier_labels(c), palette="YlOrRd_r")


def tier_labels(cuts: Sequence[float]) -> dict[int, str]:
    """Legend of tiers 1..n from cumulative cuts: ``{1: "tier 1: top 0–5 %", 2: "tier 2: 5–15 %", …}``."""
    out, lo = {}, 0.0
    for t, hi in enumerate(cuts, start=1):
        out[t] = f"tier {t}: {'top ' if t == 1 else ''}{lo:g}–{hi:g} % of the eligible area"
        lo = hi
    return out


def _tier_block(v, e, cuts_ext, ncols, block_info=None):
    from ..core.chunked import top_rank_mask

    off = tuple(lo for lo, _ in block_info[0]["array-location"])
    out = np.zeros(np.shape(v), np.uint8)
    for t in range(len(cuts_ext), 0, -1):  # nested top-n sets: the smallest tier wins
        out[top_rank_mask(v, e, cuts_ext[t - 1], off, ncols)] = t
    return out


def _tiers_one_lazy(index: xr.DataArray, mask: xr.DataArray | None, c: tuple[float, ...]):
    """Tiers of one 2-D dask index: exact rank cuts (histogram + refinement passes), then per block."""
    from ..core.chunked import rank_cuts

    v = index.data
    elig = None
    if mask is not None:
        m = mask.data
        elig = (m == 1) if m.dtype != bool else m
        if not hasattr(elig, "dask"):
            import dask.array as dsa

            elig = dsa.from_array(np.asarray(elig), chunks=v.chunks)
        elig = elig.rechunk(v.chunks)
    _, cuts_ext = rank_cuts(v, elig, lambda n: _cut_counts(n, c))
    if elig is None:
        import dask.array as dsa

        elig = dsa.ones(v.shape, dtype=bool, chunks=v.chunks)
    return v.map_blocks(_tier_block, elig, cuts_ext=cuts_ext, ncols=v.shape[-1], dtype=np.uint8)


def _priority_tiers_lazy(index, mask, c, group_dim, name):
    """Dask path of :func:`priority_tiers`: the same ranking without gathering the index."""
    if group_dim in index.dims:
        import dask.array as dsa

        parts = []
        for i in range(index.sizes[group_dim]):
            sl = index.isel({group_dim: i})
            mk = mask.isel({group_dim: i}) if (mask is not None and group_dim in mask.dims) else mask
            parts.append(_tiers_one_lazy(sl.transpose("y", "x"), mk, c))
        out = xr.DataArray(dsa.stack(parts), dims=(group_dim, "y", "x"),
                           coords={group_dim: index[group_dim].values if group_dim in index.coords else
                                   np.arange(index.sizes[group_dim]), "y": index.y, "x": index.x})
    else:
        out = xr.DataArray(_tiers_one_lazy(index, mask, c), dims=("y", "x"), coords={"y": index.y, "x": index.x})
    out = finalize(out, like=index, name=name, units="tier", cuts=",".join(f"{x:g}" for x in c),
                   ties="stable row-major")
    return out.rio.write_nodata(NODATA, encoded=False)


def _tier_sums(tiers: xr.DataArray, esv: xr.DataArray | None, n_tiers: int) -> tuple[np.ndarray, np.ndarray]:
    """Cells and Σ ESV (NaN as 0) per tier code 0..n_tiers, as one block reduction."""
    from ..core.chunked import block_reduce

    def _f(t, *e, offset):
        t = np.asarray(t).ravel().astype(np.int64)
        cnt = np.bincount(t, minlength=n_tiers + 1)[:n_tiers + 1].astype(np.float64)
        if not e:
            return np.stack([cnt, np.zeros_like(cnt)])
        w = np.nan_to_num(np.asarray(e[0], dtype=np.float64).ravel(), nan=0.0)
        return np.stack([cnt, np.bincount(t, weights=w, minlength=n_tiers + 1)[:n_tiers + 1]])

    arrs = (tiers,) if esv is None else (tiers, esv.transpose(*tiers.dims))
    res = block_reduce(_f, *arrs)
    return res[0].astype(np.int64), res[1]


def tier_table(tiers: xr.DataArray, *, esv: xr.DataArray | None = None, cuts: Sequence[float] | None = None,
               group_dim: str = "group") -> pd.DataFrame:
    """Area and ES benefit per tier, cumulative, and share of the total — Sun et al. (2025) Table 5 layout. Computes.

    Parameters
    ----------
    tiers : xarray.DataArray
        Result of :func:`priority_tiers` (or of the ACO nested tiers).
    esv : xarray.DataArray, optional
        ES value per cell (yuan a⁻¹), optionally with ``group_dim``; benefit = Σ ESV.
    cuts : sequence of float, optional
        Labels of the tiers (default: the ``cuts`` attribute of ``tiers``).

    Returns
    -------
    pandas.DataFrame
        [``group``,] ``tier``, ``stage`` (e.g. "15%"), ``band`` ("5–15%"), ``cells``, ``area_km2``,
        ``cum_area_km2``, ``benefit``, ``cum_benefit``, ``share_pct`` (band benefit / Σ ESV of all
        ranked cells), ``cum_share_pct``.
    """
    c = _check_cuts(cuts if cuts is not None else [float(x) for x in str(tiers.attrs["cuts"]).split(",")])
    km2 = cell_area_m2(tiers, name="tiers") / 1e6 if tiers.rio.crs is not None else np.nan
    if esv is not None and tiers.rio.crs is not None and esv.rio.crs is not None:
        check_aligned(tiers=tiers, esv=esv)
    groups = list(tiers[group_dim].values) if group_dim in tiers.dims else [None]
    rows = []
    for i, g in enumerate(groups):
        tt = tiers.isel({group_dim: i}) if g is not None else tiers
        ev = None
        if esv is not None:
            if g is not None and group_dim in esv.dims:
                ev = esv.sel({group_dim: g}) if group_dim in esv.coords else esv.isel({group_dim: i})
            else:
                ev = esv
        cnt, ben = _tier_sums(tt, ev, len(c))     # one block reduction (numpy: one block)
        rows += _table_rows(g, c, cnt, ben if ev is not None else None, km2)
    return pd.DataFrame(rows)


def _table_rows(g, c, cnt, ben, km2) -> list[dict]:
    """Table 5 rows from per-tier cells and benefits (index 0 = not ranked)."""
    total = float(ben[1:].sum()) if ben is not None else np.nan
    rows, cum_cells, cum_b, lo = [], 0, 0.0, 0.0
    for k, hi in enumerate(c, start=1):
        n = int(cnt[k])
        b = float(ben[k]) if ben is not None else np.nan
        cum_cells += n
        cum_b += b
        row = {"tier": k, "stage": f"{hi:g}%", "band": f"{lo:g}–{hi:g}%", "cells": n, "area_km2": n * km2,
               "cum_area_km2": cum_cells * km2, "benefit": b, "cum_benefit": cum_b,
               "share_pct": 100.0 * b / total if total else np.nan,
               "cum_share_pct": 100.0 * cum_b / total if total else np.nan}
        rows.append(row if g is None else {"group": g, **row})
        lo = hi
    return rows
