"""ACO zoning of a priority index on an aggregated grid (Sun et al. 2025 ran ACO on a 1 km grid).

Blocks of ``block`` × ``block`` cells: the block index is the mean of its eligible cells, and a
block is eligible when at least ``min_eligible_share`` of its valid cells are eligible
(**assumption — parameter**). The nested ACO tiers of the blocks are painted back onto the eligible
fine cells, so the result is on the input grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from affine import Affine

from ..core.errors import ConfigError, message
from ..core.finalize import finalize
from ..core.compute import materialize
from ..core.legend import set_class_labels
from .tiers import tier_labels

__all__ = ["aco_on_blocks", "block_mean"]


def block_mean(values: np.ndarray, eligible: np.ndarray, block: int,
               min_eligible_share: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Block means of ``values`` over eligible cells and the block eligibility. Pure numpy.

    Edge blocks are padded (partial blocks count their own cells only).
    """
    v = np.asarray(values, dtype=np.float64)
    ny, nx = v.shape
    by, bx = -(-ny // block), -(-nx // block)
    pad = ((0, by * block - ny), (0, bx * block - nx))
    ok0 = np.asarray(eligible, bool) & ~np.isnan(v)
    vz = np.pad(np.where(ok0, v, 0.0), pad)
    ok = np.pad(ok0, pad)
    valid = np.pad(~np.isnan(v), pad)
    shp = (by, block, bx, block)
    s = vz.reshape(shp).sum(axis=(1, 3))
    n_ok = ok.reshape(shp).sum(axis=(1, 3))
    n_valid = valid.reshape(shp).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_ok > 0, s / np.maximum(n_ok, 1), np.nan)
        elig = (n_ok > 0) & (n_ok >= min_eligible_share * np.maximum(n_valid, 1))
    return np.where(elig, mean, np.nan), elig


def aco_on_blocks(index: xr.DataArray, *, mask: xr.DataArray | None = None, block: int = 30,
                  cuts: Sequence[float] = (5.0, 15.0, 30.0, 45.0), min_eligible_share: float = 0.5,
                  name: str = "aco_tier", **options) -> tuple[xr.DataArray, pd.DataFrame]:
    """Nested ACO tiers of ``index`` computed on blocks and painted back on the input grid. Computes.

    Returns the tier raster (uint8 1..len(cuts) + 1, 0 = not eligible; ``cuts`` attr ends with 100)
    on the grid of ``index`` and the per-tier comparison with the top-x % selection on the blocks
    (objective, mean index, compactness, 8-connected patches). ``options`` go to
    :func:`restoreplan.optimize.solvers.aco.aco_select`.
    """
    from ..optimize.solvers.aco import aco_tiers

    if int(block) < 1:
        raise ConfigError(message("block", "an integer ≥ 1 (cells per block side)", repr(block), "e.g. block=30"))
    block = int(block)
    lazy = bool(index.chunks)
    if lazy:
        idx, elig, bmean = _lazy_block_mean(index, mask, block, min_eligible_share)
    else:
        idx = materialize(index, dtype=np.float64)
        elig = ~np.isnan(idx)
        if mask is not None:
            m = materialize(mask)
            elig &= (m == 1) if m.dtype != bool else m
        bmean, _ = block_mean(idx, elig, block, min_eligible_share)
    t = index.rio.transform()
    bt = Affine(t.a * block, t.b, t.c, t.d, t.e * block, t.f)
    by, bx = bmean.shape
    coarse = xr.DataArray(bmean, dims=("y", "x"),
                          coords={"y": bt.f + bt.e * (np.arange(by) + 0.5), "x": bt.c + bt.a * (np.arange(bx) + 0.5)})
    if index.rio.crs is not None:
        coarse = coarse.rio.write_crs(index.rio.crs)
    coarse = coarse.rio.write_transform(bt)
    ctiers, table = aco_tiers(coarse, cuts=cuts, **options)
    if lazy:
        out = elig.map_blocks(_paint_block, coarse_tiers=np.asarray(ctiers.values), block=block,
                              rest=len(cuts) + 1, dtype=np.uint8)
    else:
        fine = np.repeat(np.repeat(ctiers.values, block, axis=0), block, axis=1)[:idx.shape[0], :idx.shape[1]]
        out = np.where(elig, np.where(fine > 0, fine, len(cuts) + 1), 0).astype(np.uint8)
    da = xr.DataArray(out, dims=("y", "x"), coords={"y": index.y, "x": index.x})
    da = finalize(da, like=index, name=name, units="tier", cuts=ctiers.attrs["cuts"], block=int(block),
                  method="nested ACO on blocks").rio.write_nodata(0, encoded=False)
    set_class_labels(da, tier_labels([float(x) for x in str(ctiers.attrs["cuts"]).split(",")]), palette="YlOrRd_r")
    table.insert(0, "block_cells", int(block))
    return da, table


def _paint_block(elig, *, coarse_tiers, block, rest, block_info=None):
    """Tiers of the blocks painted on the cells of one chunk (rest = the tier of unselected cells)."""
    (r0, r1), (c0, c1) = block_info[0]["array-location"]
    rows = np.arange(r0, r1) // block
    cols = np.arange(c0, c1) // block
    fine = coarse_tiers[rows[:, None], cols[None, :]]
    return np.where(elig, np.where(fine > 0, fine, rest), 0).astype(np.uint8)


def _lazy_block_mean(index, mask, block, min_eligible_share):
    """Dask path: chunks rechunked to multiples of ``block``, block means per chunk (only the coarse grid
    is gathered; it has block² times fewer cells)."""
    import dask.array as dsa

    def _aligned(chunks):
        size = max(block, (max(chunks) // block) * block)
        return size

    v = index.data.astype(np.float64)
    v = v.rechunk((_aligned(v.chunks[0]), _aligned(v.chunks[1])))
    elig = ~dsa.isnan(v)
    if mask is not None:
        m = mask.data if hasattr(mask.data, "dask") else dsa.from_array(np.asarray(mask.data), chunks=v.chunks)
        m = m.rechunk(v.chunks)
        elig = elig & ((m == 1) if m.dtype != bool else m)
    by = tuple(-(-c // block) for c in v.chunks[0])
    bx = tuple(-(-c // block) for c in v.chunks[1])
    bm = dsa.map_blocks(lambda a, e: block_mean(a, e, block, min_eligible_share)[0], v, elig,
                        chunks=(by, bx), dtype=np.float64)
    return v, elig, np.asarray(bm.compute())
