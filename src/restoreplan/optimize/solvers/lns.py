"""Large-neighbourhood search (LNS) with exact HiGHS sub-MIPs, and an LP lower bound.

LNS: given an incumbent :math:`\\bar x`, repeatedly pick a connected window :math:`W` of ``size``
unlocked units (breadth-first over the boundary graph from a random unit on the edge of the
selection), fix every other unit to :math:`\\bar x` (status 2/3) and solve

.. math::  \\min_{x_W} S(x_W, \\bar x_{\\setminus W})

exactly with HiGHS (warm-started with :math:`\\bar x`; fixed neighbours turn boundary terms into linear
terms, see :mod:`restoreplan.optimize.compile`). The feature penalties :math:`P_j` of the *full*
problem are kept (they would change if recomputed with the extra locks). The new solution is accepted
when it lowers the objective; ``size`` grows by 25 % after a sub-MIP proved optimal in under a third
of its time and shrinks by 20 % after a time-out.

Lower bound: the LP relaxation of the compiled model solved by HiGHS' interior point method; any row
dual vector :math:`y` gives the valid bound (weak duality with the finite column bounds)

.. math::  LB(y) = \\sum_r \\big(y_r^+ r^L_r - y_r^- r^U_r\\big)
                 + \\sum_k \\min(\\bar c_k l_k, \\bar c_k u_k) + c_0,
           \\qquad \\bar c = c - A^\\top y,

so the bound stays valid when the interior point method is stopped early.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import scipy.sparse as sp

from ...core.errors import SolverError
from ..compile import compile_problem

__all__ = ["dual_bound", "lns", "lp_lower_bound"]


def dual_bound(model, y: np.ndarray) -> float:
    """Valid lower bound of the LP relaxation of ``model`` from any row dual vector ``y``."""
    y = np.asarray(y, dtype=np.float64)
    rl, ru = model.row_lower, model.row_upper
    y = np.where((y > 0) & ~np.isfinite(rl), 0.0, y)
    y = np.where((y < 0) & ~np.isfinite(ru), 0.0, y)
    rc = model.c - model.A.T @ y
    with np.errstate(invalid="ignore"):
        rows = np.sum(np.where(y > 0, rl * y, 0.0)) + np.sum(np.where(y < 0, ru * y, 0.0))
    lo, hi = model.col_lower, model.col_upper
    if (np.isinf(hi) & (rc < 0)).any() or (np.isinf(lo) & (rc > 0)).any():
        return -np.inf
    cols = np.sum(np.where(rc > 0, rc * lo, rc * hi))
    return float(rows + cols + model.offset)


def lp_lower_bound(problem, *, deadline: float | None = None, model=None, solver: str = "ipm") -> float:
    """Lower bound on the optimum of ``problem`` (minimization kinds) from its LP relaxation.

    Returns ``nan`` if no dual information is available by the deadline.
    """
    from . import _highs_run
    from .highs import _scaling, lp_arrays

    model = compile_problem(problem) if model is None else model
    if model.sign < 0:
        return np.nan
    opts = {"output_flag": False, "solver": solver, "run_crossover": "off", "threads": 1}
    if deadline is not None:
        opts["time_limit"] = max(0.01, deadline - time.perf_counter() - 0.2)
    stop = None if deadline is None else (lambda: time.perf_counter() >= deadline)
    try:
        out = _highs_run.run({"lp": lp_arrays(model, relax=True), "n": 0, "options": opts, "start": None},
                             should_stop=stop)
    except RuntimeError:
        return np.nan
    y = out["row_dual"]
    if y is None or y.size != model.n_rows or not np.isfinite(y).all():
        return np.nan
    return dual_bound(model, y * _scaling(model)[0])   # duals of the scaled rows -> original rows


def _window(seed_unit: int, size: int, nb_ptr, nb_idx, free_mask) -> np.ndarray:
    out = [seed_unit]
    seen = {seed_unit}
    head = 0
    while head < len(out) and len(out) < size:
        i = out[head]
        head += 1
        for k in nb_idx[nb_ptr[i]:nb_ptr[i + 1]]:
            k = int(k)
            if k not in seen and free_mask[k]:
                seen.add(k)
                out.append(k)
                if len(out) >= size:
                    break
    return np.asarray(out, dtype=np.int64)


def lns(problem, x, *, deadline: float, seed: int = 0, size: int | None = None, sub_time: float | None = None):
    """Improve selection ``x`` by LNS until ``deadline``; return ``(x, log, bound)`` (bound = nan)."""
    from .highs import solve_highs

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n = problem.n_units
    base = problem.feature_penalties(problem.feature_penalty_values()) if problem.objective.kind == "marxan" \
        else problem
    status = np.asarray(problem.status)
    free_mask = (status == 0) | (status == 1)
    free = np.flatnonzero(free_mask)
    ei, ek = (np.asarray(v) for v in problem.edges[:2])
    G = sp.csr_matrix((np.ones(2 * ei.size), (np.concatenate([ei, ek]), np.concatenate([ek, ei]))), shape=(n, n))
    nb_ptr, nb_idx = G.indptr, G.indices
    cur = np.asarray(x, dtype=np.int8).copy()
    full_model = compile_problem(base)
    cur_obj = full_model.objective(full_model.complete(cur, base))
    size = int(size or min(max(150, free.size // 3), 1500))
    log = []
    it = 0
    while free.size:
        now = time.perf_counter()
        left = deadline - now
        if left < 0.3:
            break
        limit = min(left - 0.05, sub_time or max(1.0, min(5.0, 0.1 * (deadline - t0))))
        # seed on the edge of the selection (a selected unit with an unselected neighbour, or vice versa)
        cand = free[rng.integers(free.size, size=64)]
        edge_like = [i for i in cand if (cur[nb_idx[nb_ptr[i]:nb_ptr[i + 1]]] != cur[i]).any()]
        s0 = int(edge_like[0]) if edge_like and rng.random() < 0.9 else int(cand[0])
        if ei.size:
            win = _window(s0, size, nb_ptr, nb_idx, free_mask)
        else:
            win = rng.choice(free, size=min(size, free.size), replace=False)
        st = np.where(free_mask, np.where(cur == 1, 2, 3), status).astype(np.int8)
        st[win] = status[win]
        sub = dataclasses.replace(base, status=st)
        try:
            sol = solve_highs(sub, warm_start=cur, deadline=now + limit, gap=1e-7, seed=int(seed) + it,
                              threads=1)
        except SolverError:   # no incumbent in time: keep the current solution
            size = max(50, int(size * 0.8))
            it += 1
            continue
        took = time.perf_counter() - now
        new_obj = full_model.objective(full_model.complete(sol.x, base))
        if new_obj < cur_obj - 1e-9 * max(1.0, abs(cur_obj)):
            cur, cur_obj = sol.x.astype(np.int8).copy(), new_obj
        if sol.status == "optimal" and took < limit / 3:
            size = min(int(size * 1.25) + 1, free.size)
        elif sol.status != "optimal":
            size = max(50, int(size * 0.8))
        log.append(("lns", time.perf_counter() - t0, cur_obj, size))
        it += 1
    return cur, log, np.nan
