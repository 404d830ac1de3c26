r"""Ant colony optimization for raster zoning (Sun et al. 2025, §2.7).

MAX–MIN ant system (Dorigo & Stützle 2004) that selects exactly N eligible cells of a grid to
maximize

.. math::

    U(S) = w_s\,\overline{\mathrm{index}}_S + w_c\,\frac{\sum_{c \in S} k_c}{8|S|}

where k_c is the number of selected 8-neighbours of c (compactness in [0, 1]).

Construction (each ant, numba): region growing in the manner of GeoSOS area optimization (Li et al.
2011; Liu et al. 2012, whose exact rules are unpublished — each rule below is a parameter):
start from ``n_seeds`` seed cells drawn with P ∝ τ^α η^β over all eligible cells, then repeatedly
add a cell of the 8-neighbour frontier with P(c) ∝ τ_c^α η_c^β, η_c = index_c + λ·k_c/8; a new
seed is drawn when the frontier is empty. Pheromone: τ ← (1 − ρ)τ, then Q·U of the iteration-best
solution on its cells and ``diffusion``·Q·U on their unselected 8-neighbours, clipped to
[τ_min, τ_max]; τ₀ = τ_max. Optional 1-swap local search on the final best (first remove the
least useful cell, add the most useful frontier cell, while U increases).

Random numbers come from ``np.random.default_rng(seed)`` only (uniforms drawn in numpy and passed
to the numba kernels), so a seed gives the same result on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from numba import njit

from ...core.errors import ConfigError, DataError, InfeasibleError, message
from ...core.compute import eligible_cells, materialize

__all__ = [
    "AcoResult",
    "aco_select",
    "aco_tiers",
    "aco_zoning",
    "compare_with_rank",
    "rank_baseline",
    "selection_metrics",
]

_DY = np.array([-1, -1, -1, 0, 0, 1, 1, 1], dtype=np.int64)
_DX = np.array([-1, 0, 1, -1, 1, -1, 0, 1], dtype=np.int64)


# ------------------------------------------------------------------------------------ numba kernels
@njit(cache=True)
def _weight(tau_c, eta_c, alpha, beta):
    t = tau_c if alpha == 1.0 else tau_c ** alpha
    if beta == 2.0:
        e = eta_c * eta_c
    elif beta == 1.0:
        e = eta_c
    else:
        e = eta_c ** beta
    return t * e


@njit(inline="always", cache=True)
def _neighbour(c, d, ny, nx):
    """Index of the ``d``-th of the 8 neighbours of cell ``c`` on an ``ny`` × ``nx`` grid, -1 outside."""
    rr, qq = c // nx + _DY[d], c % nx + _DX[d]
    if rr < 0 or rr >= ny or qq < 0 or qq >= nx:
        return -1
    return rr * nx + qq


@njit(cache=True)
def _take(c, sel, k, elig, in_front, front, pos, nfront, wf, tau, idx, lam, alpha, beta, ny, nx, reweigh):
    """Select cell ``c``: drop it from the frontier, count it for its 8 neighbours and put the eligible
    unselected ones on the frontier (``reweigh``: also refresh their cached weight). Returns the new
    frontier size."""
    sel[c] = 1
    if in_front[c]:
        p = pos[c]
        last = front[nfront - 1]
        front[p] = last
        pos[last] = p
        nfront -= 1
        in_front[c] = 0
    for d in range(8):
        nb = _neighbour(c, d, ny, nx)
        if nb < 0:
            continue
        k[nb] += 1
        if elig[nb] and not sel[nb]:
            if reweigh:
                wf[nb] = _weight(tau[nb], idx[nb] + lam * k[nb] / 8.0 + 1e-9, alpha, beta)
            if not in_front[nb]:
                in_front[nb] = 1
                front[nfront] = nb
                pos[nb] = nfront
                nfront += 1
    return nfront


@njit(cache=True)
def _construct(idx, elig, tau, locked, n_target, alpha, beta, lam, n_seeds, ny, nx, rand_u):
    """One ant: region growing to ``n_target`` cells. Returns (selected flags uint8, k counts int32)."""
    ncell = ny * nx
    sel = np.zeros(ncell, np.uint8)
    k = np.zeros(ncell, np.int32)
    in_front = np.zeros(ncell, np.uint8)
    front = np.empty(ncell, np.int64)
    pos = np.full(ncell, -1, np.int64)
    wf = np.zeros(ncell)  # cached construction weight of each frontier cell
    nfront = 0
    count = 0
    seeds_drawn = 0
    u_i = 0
    # locked-in cells first (frontier weights are computed once afterwards)
    for c in range(ncell):
        if locked[c] and not sel[c]:
            nfront = _take(c, sel, k, elig, in_front, front, pos, nfront, wf, tau, idx, lam, alpha, beta, ny, nx,
                           False)
            count += 1
    for j in range(nfront):
        c = front[j]
        wf[c] = _weight(tau[c], idx[c] + lam * k[c] / 8.0 + 1e-9, alpha, beta)
    while count < n_target:
        u = rand_u[u_i]
        u_i += 1
        if nfront == 0 or seeds_drawn < n_seeds:
            # draw a seed among all eligible unselected cells
            total = 0.0
            for c in range(ncell):
                if elig[c] and not sel[c]:
                    total += _weight(tau[c], idx[c] + lam * k[c] / 8.0 + 1e-9, alpha, beta)
            target = u * total
            acc = 0.0
            chosen = -1
            for c in range(ncell):
                if elig[c] and not sel[c]:
                    acc += _weight(tau[c], idx[c] + lam * k[c] / 8.0 + 1e-9, alpha, beta)
                    chosen = c
                    if acc >= target:
                        break
            seeds_drawn += 1
        else:
            total = 0.0
            for j in range(nfront):
                total += wf[front[j]]
            target = u * total
            acc = 0.0
            chosen = front[nfront - 1]
            for j in range(nfront):
                c = front[j]
                acc += wf[c]
                if acc >= target:
                    chosen = c
                    break
        if chosen < 0:
            break
        nfront = _take(chosen, sel, k, elig, in_front, front, pos, nfront, wf, tau, idx, lam, alpha, beta, ny, nx,
                       True)
        count += 1
    return sel, k


@njit(cache=True)
def _objective(sel, k, idx, w_s, w_c):
    n = 0
    s_idx = 0.0
    s_k = 0.0
    for c in range(sel.size):
        if sel[c]:
            n += 1
            s_idx += idx[c]
            s_k += k[c]
    if n == 0:
        return 0.0, 0.0, 0.0
    mean_idx = s_idx / n
    comp = s_k / (8.0 * n)
    return w_s * mean_idx + w_c * comp, mean_idx, comp


@njit(cache=True)
def _update_tau(tau, elig, sel, rho, deposit, diffusion, tau_min, tau_max, ny, nx):
    ncell = ny * nx
    for c in range(ncell):
        tau[c] *= (1.0 - rho)
    extra = np.zeros(ncell, np.uint8)
    for c in range(ncell):
        if sel[c]:
            tau[c] += deposit
            for d in range(8):
                nb = _neighbour(c, d, ny, nx)
                if nb >= 0 and not sel[nb] and elig[nb]:
                    extra[nb] = 1
    for c in range(ncell):
        if extra[c]:
            tau[c] += diffusion * deposit
        if tau[c] < tau_min:
            tau[c] = tau_min
        elif tau[c] > tau_max:
            tau[c] = tau_max


@njit(cache=True)
def _selected_k(sel, ny, nx):
    ncell = ny * nx
    k = np.zeros(ncell, np.int32)
    for c in range(ncell):
        if sel[c]:
            for d in range(8):
                nb = _neighbour(c, d, ny, nx)
                if nb >= 0:
                    k[nb] += 1
    return k


@njit(cache=True)
def _adjacent(a, b, nx):
    ra, qa = a // nx, a % nx
    rb, qb = b // nx, b % nx
    return a != b and abs(ra - rb) <= 1 and abs(qa - qb) <= 1


@njit(cache=True)
def _local_search(sel, idx, elig, locked, w_s, w_c, ny, nx, max_moves):
    """Greedy 1-swap improvement of ``sel`` (in place); returns the number of moves made."""
    ncell = ny * nx
    n = 0
    for c in range(ncell):
        n += sel[c]
    if n == 0:
        return 0
    a_idx = w_s / n
    a_k = w_c * 2.0 / (8.0 * n)
    moves = 0
    while moves < max_moves:
        k = _selected_k(sel, ny, nx)
        best_delta = 1e-12
        best_r = -1
        best_a = -1
        # candidate removals: the 8 least useful removable cells; additions: the 8 most useful
        n_cand = 8
        rem = np.full(n_cand, -1, np.int64)
        rem_v = np.full(n_cand, np.inf)
        add = np.full(n_cand, -1, np.int64)
        add_v = np.full(n_cand, -np.inf)
        for c in range(ncell):
            if sel[c] and not locked[c]:
                v = a_idx * idx[c] + a_k * k[c]
                if v < rem_v[n_cand - 1]:
                    j = n_cand - 1
                    while j > 0 and rem_v[j - 1] > v:
                        rem_v[j] = rem_v[j - 1]
                        rem[j] = rem[j - 1]
                        j -= 1
                    rem_v[j] = v
                    rem[j] = c
            elif elig[c] and not sel[c]:
                v = a_idx * idx[c] + a_k * k[c]
                if v > add_v[n_cand - 1]:
                    j = n_cand - 1
                    while j > 0 and add_v[j - 1] < v:
                        add_v[j] = add_v[j - 1]
                        add[j] = add[j - 1]
                        j -= 1
                    add_v[j] = v
                    add[j] = c
        for i in range(n_cand):
            r = rem[i]
            if r < 0:
                continue
            for j in range(n_cand):
                a = add[j]
                if a < 0:
                    continue
                ka = k[a] - (1 if _adjacent(a, r, nx) else 0)
                delta = a_idx * (idx[a] - idx[r]) + a_k * (ka - k[r])
                if delta > best_delta:
                    best_delta = delta
                    best_r = r
                    best_a = a
        if best_r < 0:
            break
        sel[best_r] = 0
        sel[best_a] = 1
        moves += 1
    return moves


# ------------------------------------------------------------------------------------ numpy API
@dataclass(frozen=True, eq=False)
class AcoResult:
    """Best selection found by :func:`aco_select` and how it was found."""

    selection: np.ndarray = field(repr=False)
    objective: float
    mean_index: float
    compactness: float
    n_patches: int
    n_cells: int
    iterations: int
    seed: int
    local_search_moves: int = 0
    history: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)


def selection_metrics(selection: np.ndarray, index: np.ndarray, *, w_s: float = 0.7,
                      w_c: float = 0.3) -> dict:
    """Objective U, mean index, compactness Σk/(8|S|) and 8-connected patch count of a selection."""
    from scipy import ndimage

    sel = np.asarray(selection, bool)
    ny, nx = sel.shape
    idx = np.nan_to_num(np.asarray(index, dtype=np.float64), nan=0.0).ravel()
    s = sel.ravel().astype(np.uint8)
    k = _selected_k(s, ny, nx)
    u, m, comp = _objective(s, k, idx, w_s, w_c)
    _, n_patches = ndimage.label(sel, structure=np.ones((3, 3), bool))
    return {"objective": float(u), "mean_index": float(m), "compactness": float(comp),
            "n_patches": int(n_patches), "cells": int(sel.sum())}


def rank_baseline(index: np.ndarray, eligible: np.ndarray | None, n_cells: int,
                  locked_in: np.ndarray | None = None) -> np.ndarray:
    """The plain top-x % selection: locked cells plus the highest-index eligible cells (stable row-major ties)."""
    from ...priority.tiers import rank_order

    idx = np.asarray(index, dtype=np.float64)
    elig = ~np.isnan(idx) if eligible is None else (np.asarray(eligible, bool) & ~np.isnan(idx))
    sel = np.zeros(idx.shape, bool)
    if locked_in is not None:
        sel |= np.asarray(locked_in, bool)
    need = n_cells - int(sel.sum())
    sel.ravel()[rank_order(idx, elig & ~sel)[:max(need, 0)]] = True
    return sel


def _check(index, eligible, n_cells, locked_in):
    idx = np.asarray(index, dtype=np.float64)
    if idx.ndim != 2:
        raise DataError(message("index", "a 2-D array (y, x)", f"shape {idx.shape}", "pass one raster"))
    elig = ~np.isnan(idx) if eligible is None else (np.asarray(eligible, bool) & ~np.isnan(idx))
    if (idx[elig] < 0).any():
        raise DataError(message("index", "a non-negative priority index (e.g. in [0, 1])",
                                f"minimum {np.nanmin(idx[elig]):.4g}", "standardize it (rp.mcda.normalize)"))
    locked = np.zeros(idx.shape, bool) if locked_in is None else np.asarray(locked_in, bool)
    if (locked & ~elig).any():
        raise InfeasibleError(message("locked_in", "cells that are eligible", f"{int((locked & ~elig).sum())} "
                                      "locked cell(s) outside the eligible area", "lock in eligible cells only"))
    n_elig = int(elig.sum())
    if not int(locked.sum()) <= n_cells <= n_elig:
        raise InfeasibleError(message("n_cells", f"between the locked cells ({int(locked.sum())}) and the eligible "
                                      f"cells ({n_elig})", str(n_cells), "change the target area"))
    return idx, elig, locked


def aco_select(index: np.ndarray, eligible: np.ndarray | None, n_cells: int, *, w_s: float = 0.7,
               w_c: float = 0.3, n_ants: int = 30, n_iter: int = 300, patience: int = 50,
               alpha: float = 1.0, beta: float = 2.0, rho: float = 0.1, q: float = 1.0,
               tau_min: float = 0.01, tau_max: float = 10.0, lam: float = 0.5, diffusion: float = 0.5,
               n_seeds: int = 1, locked_in: np.ndarray | None = None, local_search: bool = True,
               seed: int = 0) -> AcoResult:
    """Select exactly ``n_cells`` eligible cells maximizing U = w_s·mean index + w_c·compactness (MMAS).

    Parameters
    ----------
    index : ndarray (y, x)
        Non-negative priority index (the FUI index is in [0, 1]); NaN = not eligible.
    eligible : ndarray of bool, optional
        Eligible cells (default: non-NaN index), e.g. the potential restoration area of ``potential_areas``.
    n_cells : int
        |S|, between the number of locked cells and the number of eligible cells.
    w_s, w_c : float
        Weights of the mean index and of compactness Σk/(8|S|) in U.
    n_ants, n_iter, patience : int
        Ants per iteration; maximum iterations; stop after ``patience`` iterations without a better U.
    alpha, beta, rho, q, tau_min, tau_max : float
        τ exponent, η exponent, evaporation, deposit factor, MAX–MIN bounds (τ₀ = τ_max).
    lam, diffusion : float
        η = index + λ·k/8; share of the deposit given to unselected 8-neighbours.
    n_seeds : int
        Seeds drawn before growing (region-growing starts).
    locked_in : ndarray of bool, optional
        Cells always selected (nested tiers).
    local_search : bool
        1-swap local search on the final best solution.
    seed : int
        Seed of ``np.random.default_rng``; the same seed gives the same result.

    Returns
    -------
    AcoResult
        ``selection`` (bool array), ``objective`` U, ``mean_index``, ``compactness``, ``n_patches``
        (8-connected), ``iterations``, ``history`` (best U per iteration), ``local_search_moves``.

    Raises
    ------
    InfeasibleError
        ``n_cells`` outside [locked, eligible], or locked cells outside the eligible area.
    DataError
        A negative index value.
    """
    idx2, elig2, locked2 = _check(index, eligible, n_cells, locked_in)
    for nm, v, lo in (("n_ants", n_ants, 1), ("n_iter", n_iter, 1), ("patience", patience, 1),
                      ("n_seeds", n_seeds, 1)):
        if int(v) < lo:
            raise ConfigError(message(nm, f"an integer ≥ {lo}", repr(v), f"set {nm} ≥ {lo}"))
    if not 0 < rho <= 1 or not 0 < tau_min < tau_max:
        raise ConfigError(message("rho / tau bounds", "0 < rho ≤ 1 and 0 < tau_min < tau_max",
                                  f"rho={rho}, tau=[{tau_min}, {tau_max}]", "fix the pheromone parameters"))
    ny, nx = idx2.shape
    idx = np.where(elig2, idx2, 0.0).ravel()
    elig = elig2.ravel().astype(np.uint8)
    locked = locked2.ravel().astype(np.uint8)
    tau = np.full(ny * nx, float(tau_max))
    rng = np.random.default_rng(seed)
    steps = n_cells - int(locked.sum())
    best_sel, best_u, stale, history, it = None, -np.inf, 0, [], 0
    for it in range(1, n_iter + 1):
        u_all = rng.random((n_ants, max(steps, 1)))
        it_best_sel, it_best_u = None, -np.inf
        for a in range(n_ants):
            sel, k = _construct(idx, elig, tau, locked, n_cells, alpha, beta, lam, n_seeds, ny, nx, u_all[a])
            u, _, _ = _objective(sel, k, idx, w_s, w_c)
            if u > it_best_u:
                it_best_u, it_best_sel = u, sel
        if it_best_u > best_u + 1e-12:
            best_u, best_sel, stale = it_best_u, it_best_sel.copy(), 0
        else:
            stale += 1
        history.append(best_u)
        _update_tau(tau, elig, it_best_sel, rho, q * it_best_u, diffusion, tau_min, tau_max, ny, nx)
        if stale >= patience:
            break
    moves = 0
    if local_search and steps > 0:
        moves = int(_local_search(best_sel, idx, elig, locked, w_s, w_c, ny, nx, 10 * n_cells))
    sel2 = best_sel.reshape(ny, nx).astype(bool)
    m = selection_metrics(sel2, idx.reshape(ny, nx), w_s=w_s, w_c=w_c)
    return AcoResult(selection=sel2, objective=m["objective"], mean_index=m["mean_index"],
                     compactness=m["compactness"], n_patches=m["n_patches"], n_cells=m["cells"],
                     iterations=it, seed=seed, local_search_moves=moves, history=np.asarray(history))


def compare_with_rank(index: np.ndarray, eligible: np.ndarray | None, result: AcoResult, *,
                      w_s: float = 0.7, w_c: float = 0.3, locked_in: np.ndarray | None = None) -> pd.DataFrame:
    """Objective, mean index, compactness and patch count of the ACO result and of the top-x % selection."""
    base = rank_baseline(index, eligible, result.n_cells, locked_in)
    rows = [{"method": "aco", **selection_metrics(result.selection, index, w_s=w_s, w_c=w_c)},
            {"method": "top_x", **selection_metrics(base, index, w_s=w_s, w_c=w_c)}]
    return pd.DataFrame(rows).set_index("method")


# ------------------------------------------------------------------------------------ DataArray API


def aco_zoning(index: xr.DataArray, *, mask: xr.DataArray | None = None, share_pct: float | None = None,
               n_cells: int | None = None, name: str = "aco_selection", **options) -> tuple[xr.DataArray, pd.DataFrame]:
    """ACO selection of ``share_pct`` % (or ``n_cells``) of the eligible cells of a 2-D index raster. Computes.

    Returns the selection (uint8 1/0, 255 outside the eligible area) on the grid of ``index`` and a
    table comparing it with the plain top-x % selection (objective, mean index, compactness,
    8-connected patches). ``options`` go to :func:`aco_select`.
    """
    from ...core.finalize import finalize

    idx = materialize(index).astype(np.float64)
    elig = eligible_cells(index, mask)
    if (share_pct is None) == (n_cells is None):
        raise ConfigError(message("share_pct / n_cells", "exactly one of them", f"{share_pct!r} / {n_cells!r}",
                                  "give the target as a share of the eligible area or as a cell count"))
    n = int(round(share_pct / 100.0 * elig.sum())) if share_pct is not None else int(n_cells)
    res = aco_select(idx, elig, n, **options)
    w = {k: options[k] for k in ("w_s", "w_c") if k in options}
    table = compare_with_rank(idx, elig, res, **w)
    out = np.where(elig, res.selection.astype(np.uint8), np.uint8(255))
    da = xr.DataArray(out, dims=("y", "x"), coords={"y": index.y, "x": index.x})
    da = finalize(da, like=index, name=name, units="1", objective=res.objective, iterations=res.iterations,
                  seed=res.seed).rio.write_nodata(255, encoded=False)
    return da, table


def aco_tiers(index: xr.DataArray, *, mask: xr.DataArray | None = None,
              cuts: Sequence[float] = (5.0, 15.0, 30.0, 45.0), name: str = "aco_tier",
              **options) -> tuple[xr.DataArray, pd.DataFrame]:
    """Nested ACO tiers: targets of ``cuts`` % of the eligible area, each run locking in the previous one.

    A cell's tier is the smallest target containing it (1 = top ``cuts[0]`` %); the remaining
    eligible cells get tier len(cuts) + 1 (the 100 % band); 0 = not eligible. Returns the tier raster
    (``cuts`` attr ends with 100, as :func:`restoreplan.priority.tiers.tier_table` expects) and a
    table comparing each nested ACO selection with the nested top-x % selection. Computes.
    """
    from ...core.finalize import finalize

    c = [float(x) for x in cuts]
    if not c or any(b <= a for a, b in zip(c, c[1:])) or c[0] <= 0 or c[-1] >= 100:
        raise ConfigError(message("cuts", "increasing percentages in (0, 100)", repr(cuts), "e.g. (5, 15, 30, 45)"))
    idx = materialize(index).astype(np.float64)
    elig = eligible_cells(index, mask)
    n_elig = int(elig.sum())
    tiers = np.zeros(idx.shape, np.uint8)
    locked = np.zeros(idx.shape, bool)
    base_locked = np.zeros(idx.shape, bool)
    rows = []
    seed = int(options.pop("seed", 0))
    w = {k: options[k] for k in ("w_s", "w_c") if k in options}
    for t, cut in enumerate(c, start=1):
        n = max(int(round(cut / 100.0 * n_elig)), int(locked.sum()))
        res = aco_select(idx, elig, n, locked_in=locked, seed=seed + t - 1, **options)
        new = res.selection & ~locked
        tiers[new] = t
        locked = res.selection.copy()
        base = rank_baseline(idx, elig, n, base_locked)
        base_locked = base
        for method, sel in (("aco", res.selection), ("top_x", base)):
            rows.append({"tier": t, "cut_pct": cut, "method": method, **selection_metrics(sel, idx, **w)})
    tiers[elig & (tiers == 0)] = len(c) + 1
    da = xr.DataArray(tiers, dims=("y", "x"), coords={"y": index.y, "x": index.x})
    da = finalize(da, like=index, name=name, units="tier", cuts=",".join(f"{x:g}" for x in c + [100.0]),
                  method="nested ACO").rio.write_nodata(0, encoded=False)
    from ...core.legend import set_class_labels
    from ...priority.tiers import tier_labels

    return set_class_labels(da, tier_labels(c + [100.0]), palette="YlOrRd_r"), pd.DataFrame(rows)
