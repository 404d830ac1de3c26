"""Marxan-style selection of priority restoration areas per ES (Zhao et al. 2023, §2.3.4–2.3.5).

Planning units are square blocks of ``pu_size`` × ``pu_size`` cells anchored at the raster's
top-left corner (Zhao et al. 2023: 1 km units). Per unit:

* cost :math:`c_i` = mean η over its valid, non-built-up cells;
* amount :math:`a_i` = Σ of the ES supply over its PoRA cells;
* status (Zhao et al. 2023, Table 1): 3 (locked out) when the built-up share of its valid cells is ≥
  ``built_up_share``; 1 (initial reserve) when it holds PoRA amount; 0 otherwise;
* boundaries: the shared edge between 4-adjacent units (``pu_size``·cell size, in km), derived
  from the grid here because :class:`restoreplan.optimize.Problem` takes a boundary table;
  with ``outer_boundary=True`` the edges facing no unit (outside the study area) are added as
  Marxan fixed self-boundaries.

The problem is solved with the optimize :class:`~restoreplan.optimize.Problem` builder:

.. math:: \\min \\sum_i c_i x_i + BLM \\sum_{i<k} b_{ik}|x_i - x_k| + BLM\\sum_i f_i x_i
          + SPF\\cdot FPF\\cdot\\max(0, T - \\sum_i a_i x_i)/T,\\quad T = p\\sum_i a_i

(``objective="marxan"``; ``"min_set"`` makes :math:`\\sum_i a_i x_i \\ge T` hard). Status 1 only
seeds the annealer's initial reserve. Global: the rasters are aggregated and computed here.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, DataError, message
from ..core.finalize import like_raster
from ..core.validate import check_aligned, check_raster
from ..core.compute import materialize

__all__ = ["NODATA", "grid_boundaries", "marxan_priority", "planning_unit_table"]

NODATA = 255



def _blocks(a: np.ndarray, p: int, fill) -> np.ndarray:
    """(ny, nx) → (ny/p, nx/p, p*p) blocks, padding the bottom/right with ``fill``."""
    ny, nx = a.shape
    py, px = -ny % p, -nx % p
    if py or px:
        a = np.pad(a, ((0, py), (0, px)), constant_values=fill)
    r, c = a.shape[0] // p, a.shape[1] // p
    return a.reshape(r, p, c, p).transpose(0, 2, 1, 3).reshape(r, c, p * p)


def grid_boundaries(present: np.ndarray, *, side: float = 1.0, outer: bool = False):
    """Boundary table of a grid of planning units (rook adjacency).

    Parameters
    ----------
    present : (R, C) bool array
        Which grid positions hold a planning unit; units are numbered 0.. in row-major order of
        the present positions.
    side : float
        Length of one unit side (e.g. km).
    outer : bool
        Add the sides facing no unit as fixed self-boundaries (``id1 == id2``).

    Returns
    -------
    (id1, id2, length) : three 1-D arrays (0-based unit indices).

    Examples
    --------
    >>> grid_boundaries(np.array([[True, True], [False, True]]))[0].tolist()
    [0, 1]
    """
    present = np.asarray(present, dtype=bool)
    idx = np.full(present.shape, -1, np.int64)
    idx[present] = np.arange(int(present.sum()))
    a, b = [], []
    h = present[:, :-1] & present[:, 1:]
    a.append(idx[:, :-1][h]), b.append(idx[:, 1:][h])
    v = present[:-1, :] & present[1:, :]
    a.append(idx[:-1, :][v]), b.append(idx[1:, :][v])
    i1, i2 = np.concatenate(a), np.concatenate(b)
    ln = np.full(i1.size, float(side))
    if outer:
        pad = np.pad(present, 1)
        nb = (pad[:-2, 1:-1].astype(int) + pad[2:, 1:-1] + pad[1:-1, :-2] + pad[1:-1, 2:])
        free = (4 - nb)[present]
        k = np.flatnonzero(free > 0)
        i1, i2 = np.concatenate([i1, k]), np.concatenate([i2, k])
        ln = np.concatenate([ln, free[k] * float(side)])
    return i1, i2, ln


def planning_unit_table(pora: xr.DataArray, eta: xr.DataArray, amount: xr.DataArray, lulc: xr.DataArray, *,
                        pu_size: int, built_up_codes=(5,), built_up_share: float = 0.5) -> pd.DataFrame:
    """Aggregate cells to planning units: cost, amount, built-up share and status per unit. Computes.

    Returns a DataFrame with ``pu`` (id, 1-based row-major over the PU grid), ``row``, ``col``,
    ``cells`` (valid land-use cells), ``cost`` (mean η), ``amount`` (Σ supply over PoRA cells),
    ``pora_cells``, ``built_up_share`` and ``status`` (Table 1 codes), one row per unit with at
    least one valid cell; ``attrs`` hold the PU grid shape.
    """
    p = int(pu_size)
    lu = materialize(lulc)
    nod = lulc.rio.nodata
    valid = np.ones(lu.shape, bool) if nod is None else lu != nod
    built = valid & np.isin(lu, list(built_up_codes))
    pr = materialize(pora)
    is_pora = valid & (pr == 1)
    e = materialize(eta).astype(np.float64)
    am = np.nan_to_num(materialize(amount).astype(np.float64), nan=0.0)
    if (am[is_pora] < 0).any():
        raise DataError(message("amount", "non-negative ES supply in PoRA cells", "negative values",
                                "clip the supply at 0 (e.g. water balance) before the selection"))
    ok_eta = valid & ~built & np.isfinite(e)
    nval = _blocks(valid, p, False).sum(-1)
    nbuilt = _blocks(built, p, False).sum(-1)
    neta = _blocks(ok_eta, p, False).sum(-1)
    seta = _blocks(np.where(ok_eta, e, 0.0), p, 0.0).sum(-1)
    amt = _blocks(np.where(is_pora, am, 0.0), p, 0.0).sum(-1)
    npora = _blocks(is_pora, p, False).sum(-1)
    R, C = nval.shape
    rows, cols = np.nonzero(nval > 0)
    share = nbuilt[rows, cols] / nval[rows, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        cost = seta[rows, cols] / neta[rows, cols]
    locked = (share >= built_up_share) | (neta[rows, cols] == 0)
    cost = np.where(np.isfinite(cost), cost, 0.0)
    status = np.where(locked, 3, np.where(amt[rows, cols] > 0, 1, 0)).astype(np.int8)
    df = pd.DataFrame({"pu": rows * C + cols + 1, "row": rows, "col": cols, "cells": nval[rows, cols],
                       "cost": cost, "amount": amt[rows, cols], "pora_cells": npora[rows, cols],
                       "built_up_share": share, "status": status})
    df.attrs["grid_shape"] = (R, C)
    return df


def marxan_priority(pora: xr.DataArray, eta: xr.DataArray, amount: xr.DataArray, lulc: xr.DataArray, *,
                    pu_size: int = 33, target: float = 0.15, blm: float = 1.0, spf: float = 100.0,
                    objective: Literal["marxan", "min_set"] = "marxan",
                    solver: Literal["auto", "highs", "anneal"] = "auto", time_limit: float | None = 20.0,
                    seed: int = 0, built_up_codes=(5,), built_up_share: float = 0.5,
                    outer_boundary: bool = False, exclude_built_up_cells: bool = True,
                    feature: str = "es", name: str = "pra") -> dict:
    r"""Priority restoration areas of one ES by a Marxan-style selection of planning units.

    Parameters
    ----------
    pora : xarray.DataArray
        PoRA mask of the ES (1/0, nodata 255; :func:`restoreplan.priority.decline.potential_decline`).
    eta : xarray.DataArray
        Comprehensive cost index η, NaN on built-up cells.
    amount : xarray.DataArray
        Potential ES supply per cell (≥ 0 on PoRA cells, e.g. the end-year supply).
    lulc : xarray.DataArray
        Categorical land use (built-up codes, study-area mask).
    pu_size : int
        Cells per planning-unit side (Zhao et al. 2023: 1 km; 33 cells of 30 m).
    target : float
        Target as a share of the PoRA total amount (Zhao et al. 2023: 0.15, Aichi 15 %).
    blm : float
        Boundary length modifier (per km of boundary, cost units).
    spf : float
        Species (feature) penalty factor of the ``marxan`` objective.
    objective : {"marxan", "min_set"}
        Marxan score with a soft target, or hard target.
    solver : {"auto", "highs", "anneal"}
        Solver of :mod:`restoreplan.optimize.solvers`.
    time_limit : float, optional
        Wall-clock seconds for the solve.
    seed : int
        Solver seed.
    built_up_codes, built_up_share
        A unit whose valid cells are ≥ ``built_up_share`` built-up is locked out (status 3,
        **assumption — parameter**: Zhao et al. (2023) say "units with the artificial land").
    outer_boundary : bool
        Count unit sides facing no unit as fixed boundary (Marxan self-boundary); default False.
    exclude_built_up_cells : bool
        Built-up cells of a selected unit are not marked as priority cells (they cannot be restored).
    feature, name : str
        Feature name in the problem; name of the selection raster.

    Returns
    -------
    dict
        ``selection`` (uint8 raster on the cell grid: 1 selected, 0 not, 255 nodata), ``units``
        (planning-unit table with ``selected``), ``summary`` (one-row DataFrame: objective,
        solver, status, gap, seconds, target, held and its % of the target, cost, units selected,
        area km²; with the soft ``marxan`` objective a small shortfall can remain — raise ``spf``
        or use ``min_set``), ``problem``
        and ``solution``.

    Raises
    ------
    InfeasibleError
        ``objective="min_set"`` and the target needs locked-out units.
    """
    from ..core.grid import cell_area_m2
    from ..optimize import Problem

    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    for nm, da in (("pora", pora), ("eta", eta), ("amount", amount)):
        check_raster(da, name=nm, crs=False)
    if lulc.rio.crs is not None:
        check_aligned(lulc=lulc, pora=pora, eta=eta, amount=amount)
    if not (isinstance(pu_size, (int, np.integer)) and pu_size >= 1):
        raise ConfigError(message("pu_size", "an integer ≥ 1 (cells per unit side)", repr(pu_size), "e.g. 33"))
    if not 0 < target <= 1:
        raise ConfigError(message("target", "a share in (0, 1]", repr(target), "Zhao et al. (2023) use 0.15"))
    units = planning_unit_table(pora, eta, amount, lulc, pu_size=pu_size, built_up_codes=built_up_codes,
                                built_up_share=built_up_share)
    R, C = units.attrs["grid_shape"]
    t = lulc.rio.transform()
    side_km = pu_size * abs(t.a) / 1000.0
    present = np.zeros((R, C), bool)
    present[units["row"].to_numpy(), units["col"].to_numpy()] = True
    i1, i2, ln = grid_boundaries(present, side=side_km, outer=outer_boundary)
    total = float(units["amount"].sum())
    if total <= 0:
        raise DataError(message("pora", "PoRA cells holding a positive ES amount", "no amount at all",
                                "check the PoRA mask and the supply raster"))
    prob = (Problem(units["pu"].to_numpy(), units["cost"].to_numpy(), status=units["status"].to_numpy())
            .add_features(units["amount"].to_numpy()[None, :], names=[feature])
            .absolute_targets(target * total)
            .add_boundary(i1, i2, ln, by="index")
            .boundary_penalty(blm))
    prob = prob.marxan_objective(spf=spf) if objective == "marxan" else prob.minimize_cost()
    opts = {"seed": int(seed)}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    prob = prob.solver(solver, **opts)
    sol = prob.solve()
    x = np.asarray(sol.x) > 0
    units = units.assign(selected=x.astype(np.int8))
    # back to cells
    sel_grid = np.zeros((R, C), np.uint8)
    sel_grid[units["row"].to_numpy()[x], units["col"].to_numpy()[x]] = 1
    ny, nx = lulc.sizes["y"], lulc.sizes["x"]
    cells = np.repeat(np.repeat(sel_grid, pu_size, 0), pu_size, 1)[:ny, :nx]
    lu = materialize(lulc)
    nod = lulc.rio.nodata
    valid = np.ones(lu.shape, bool) if nod is None else lu != nod
    if exclude_built_up_cells:
        cells = np.where(np.isin(lu, list(built_up_codes)), 0, cells)
    cells = np.where(valid, cells, NODATA).astype(np.uint8)
    sel = like_raster(cells, lulc, name=name, units="1", nodata=np.uint8(NODATA), pu_size=int(pu_size),
                      feature=feature, solver=sol.solver, objective=objective)
    from ..core.legend import binary_labels

    binary_labels(sel, "not selected", f"selected (priority restoration area, {feature})", color="#1b7837")
    held = float(units["amount"].to_numpy()[x].sum())
    a_km2 = cell_area_m2(lulc, name="lulc") / 1e6
    summary = pd.DataFrame([{
        "feature": feature, "units": len(units), "units_locked_out": int((units["status"] == 3).sum()),
        "units_initial": int((units["status"] == 1).sum()), "units_selected": int(x.sum()),
        "area_km2": float((cells == 1).sum()) * a_km2, "cost": float(units["cost"].to_numpy()[x].sum()),
        "target": target * total, "held": held, "held_pct_of_target": 100.0 * held / (target * total),
        "target_met": held >= target * total * (1 - 1e-9),
        "objective": float(sol.objective), "bound": float(sol.bound), "gap": float(sol.gap),
        "status": sol.status, "solver": sol.solver, "seconds": round(float(sol.runtime), 3),
        "edges": int(np.count_nonzero(i1 != i2)), "blm": blm}])
    return {"selection": sel, "units": units, "summary": summary, "problem": prob, "solution": sol}
