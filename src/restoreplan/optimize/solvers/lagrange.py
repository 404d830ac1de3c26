"""Lagrangian relaxation of the targets, solved exactly by minimum s–t cuts: a lower bound and
good starting selections for boundary-dominated problems.

Relaxing the feature terms with multipliers :math:`\\lambda_j` leaves a problem with unary and
pairwise (submodular) terms only,

.. math::  L(\\lambda) = \\sum_j \\lambda_j T_j + \\min_{x \\in \\{0,1\\}^n}
           \\sum_i \\big(c_i + BLM f_i - \\textstyle\\sum_j \\lambda_j a_{ij}\\big) x_i
           + \\sum_{(i,k)} BLM\\, b_{ik} |x_i - x_k|,

which is a minimum s–t cut (unit :math:`i` on the source side ⇔ :math:`x_i = 1`; arc :math:`i \\to t`
of capacity :math:`u_i` when :math:`u_i > 0`, :math:`s \\to i` of capacity :math:`-u_i` otherwise; arcs
:math:`i \\leftrightarrow k` of capacity :math:`BLM\\,b_{ik}`; locked units folded into their neighbours'
unary terms). Validity: for Marxan's soft targets, :math:`w_j \\max(0, T_j - H_j) \\ge \\lambda_j (T_j - H_j)`
for :math:`0 \\le \\lambda_j \\le w_j = SPF_j P_j / T_j` (occurrence targets likewise), so every
:math:`L(\\lambda)` is a lower bound of the optimal Score; for hard targets (``min_set``) any
:math:`\\lambda \\ge 0` works. The cut problem is integral, so :math:`\\max_\\lambda L(\\lambda)` equals the
LP-relaxation bound. Capacities are scaled to integers (scipy's max-flow); the bound is lowered by
twice the total rounding error, so it stays valid.

:math:`\\lambda` follows projected subgradient steps :math:`\\lambda \\leftarrow \\Pi(\\lambda + \\theta
(UB - L)\\,g/\\|g\\|^2)`, :math:`g_j = T_j - H_j(x_\\lambda)`, :math:`\\theta` halved after 8 steps without
a better bound. Each cut solution is repaired into a Marxan-scored selection by iterative
improvement (1-flip local search), giving upper bounds.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

__all__ = ["lagrangian"]

_CAP = 2**31 - 1


def _cut(u, ei, ek, w, n):
    """Exact min over x of Σ u_i x_i + Σ w_e |x_i - x_k| (w ≥ 0); returns (x, slack)."""
    total = np.abs(u).sum() + 2 * w.sum()
    scale = min(1e6, 0.45 * _CAP / max(total, 1e-12))
    uu = np.round(u * scale)
    ww = np.round(w * scale)
    slack = (np.abs(uu / scale - u).sum() + np.abs(ww / scale - w).sum())
    s, t = n, n + 1
    pos = uu > 0
    neg = uu < 0
    keep = ww > 0
    rows = np.concatenate([ei[keep], ek[keep], np.flatnonzero(pos), np.full(neg.sum(), s)])
    cols = np.concatenate([ek[keep], ei[keep], np.full(pos.sum(), t), np.flatnonzero(neg)])
    caps = np.concatenate([ww[keep], ww[keep], uu[pos], -uu[neg]]).astype(np.int32)
    G = sp.csr_matrix((caps, (rows, cols)), shape=(n + 2, n + 2))
    res = maximum_flow(G, s, t, method="dinic")
    R = (G - res.flow).tocsr()
    R.data = (R.data > 0).astype(np.int8)
    R.eliminate_zeros()
    reach = breadth_first_order(R, s, directed=True, return_predecessors=False)
    x = np.zeros(n + 2, bool)
    x[reach] = True
    return x[:n], slack


def lagrangian(problem, *, deadline: float, x0=None, max_iter: int = 10_000, seed: int = 0):
    """Subgradient optimization of :math:`L(\\lambda)`; returns ``(best_x, best_score, bound, log)``.

    ``best_score`` is the Marxan Score (``marxan``) or cost + BLM·boundary of the best repaired
    selection; ``bound`` the best valid Lagrangian bound found (``-inf`` if none).
    """
    from ..evaluate import evaluate
    from .anneal import AnnealData, _improve, _rng_state

    t0 = time.perf_counter()
    kind = problem.objective.kind
    data = AnnealData(problem)
    n = problem.n_units
    st = np.asarray(problem.status)
    free = (st == 0) | (st == 1)
    fixed_val = np.where(st == 2, 1.0, 0.0)
    blm = problem.blm
    ei, ek, eb = (np.asarray(v) for v in problem.edges)
    w_e = blm * eb
    A = problem.amounts.tocsr()
    occA = (A > 0).astype(np.float64).tocsr()
    T = np.asarray(problem.targets, dtype=np.float64)
    OT = np.asarray(problem.occ_targets, dtype=np.float64)
    if kind == "marxan":
        wt_cap, wo_cap = data.wt, data.wo
    else:
        wt_cap = np.where(T > 0, np.inf, 0.0)
        wo_cap = np.where(OT > 0, np.inf, 0.0)
    base_u = np.asarray(problem.cost) + blm * np.asarray(problem.fixed_boundary)
    const = float(np.dot(base_u, fixed_val))
    # fold locked ends into unary terms
    fi, fk = ~free[ei], ~free[ek]
    both = fi & fk
    const += float(np.sum(w_e[both] * np.abs(fixed_val[ei[both]] - fixed_val[ek[both]])))
    u_fold = base_u.copy()
    for a, b, sel in ((ei, ek, ~fi & fk), (ek, ei, fi & ~fk)):
        one = fixed_val[b[sel]] == 1.0
        np.add.at(u_fold, a[sel][~one], w_e[sel][~one])
        np.add.at(u_fold, a[sel][one], -w_e[sel][one])
        const += float(w_e[sel][one].sum())
    ff = np.flatnonzero(free)
    idx = np.full(n, -1)
    idx[ff] = np.arange(ff.size)
    inner = free[ei] & free[ek]
    gi, gk, gw = idx[ei[inner]], idx[ek[inner]], w_e[inner]
    A_free = A[:, ff]
    O_free = occA[:, ff]
    held_fixed = np.asarray(A @ fixed_val).ravel()
    occ_fixed = np.asarray(occA @ fixed_val).ravel()

    def score(x):
        ev = evaluate(problem, x)
        return ev.score if kind == "marxan" else (ev.cost + blm * ev.connectivity
                                                  if ev.shortfall <= 1e-9 * max(1.0, T.sum()) else np.inf)

    rng = _rng_state(np.random.SeedSequence(seed))
    best_x = None if x0 is None else np.asarray(x0, dtype=np.int8).copy()
    ub = score(best_x) if best_x is not None else np.inf
    lam = np.zeros(T.size)
    lamo = np.zeros(OT.size)
    lb = -np.inf
    theta, stall = 1.0, 0
    log = []
    for it in range(max_iter):
        if time.perf_counter() > deadline:
            break
        u = u_fold[ff] - (A_free.T @ lam) - (O_free.T @ lamo)
        xf, slack = _cut(u, gi, gk, gw, ff.size)
        val = float(u[xf].sum() + gw[xf[gi] != xf[gk]].sum())
        L = const + val - 2 * slack + float(lam @ T) + float(lamo @ OT) \
            - float(lam @ held_fixed) - float(lamo @ occ_fixed)
        if L > lb + 1e-9 * max(1.0, abs(lb)):
            lb, stall = L, 0
        else:
            stall += 1
            if stall >= 8:
                theta, stall = theta / 2, 0
        x = fixed_val.astype(np.int8)
        x[ff] = xf
        # repair + 1-flip local search on the (hard-scaled) Marxan score
        held, occ = data.state(x)
        _improve(1_000_000, x, held, occ, data.free, rng, *data.kernel_args())
        sc = score(x)
        if sc < ub:
            ub, best_x = sc, x.copy()
        H = held_fixed + np.asarray(A_free @ xf.astype(np.float64)).ravel()
        Oc = occ_fixed + np.asarray(O_free @ xf.astype(np.float64)).ravel()
        g = np.where(T > 0, T - H, 0.0)
        go = np.where(OT > 0, OT - Oc, 0.0)
        g = np.where(((lam <= 0) & (g < 0)) | ((lam >= wt_cap) & (g > 0)), 0.0, g)
        go = np.where(((lamo <= 0) & (go < 0)) | ((lamo >= wo_cap) & (go > 0)), 0.0, go)
        nrm = float(g @ g + go @ go)
        log.append(("lagrange", time.perf_counter() - t0, ub, lb))
        if nrm <= 0 or theta < 1e-6:
            break
        gap_est = (ub - L) if np.isfinite(ub) else max(abs(L), 1.0) * 0.1
        step = theta * max(gap_est, 1e-9 * max(1.0, abs(L))) / nrm
        lam = np.clip(lam + step * g, 0.0, wt_cap)
        lamo = np.clip(lamo + step * go, 0.0, wo_cap)
    return best_x, ub, lb, log
