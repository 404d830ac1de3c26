"""Marxan's simulated annealing and iterative improvement (numba), with seeded restarts.

Objective (Marxan's Score; see :mod:`restoreplan.optimize.evaluate`):

.. math::  S(x) = \\sum_i c_i x_i + BLM\\Big(\\sum_i f_i x_i + \\sum_{i<k} b_{ik}|x_i-x_k|\\Big)
           + \\sum_j w_j \\max(0, T_j - H_j) + \\sum_j w^o_j \\max(0, O^T_j - O_j)

with :math:`w_j = SPF_j P_j / T_j` (:math:`w^o_j = SPF_j P_j / O^T_j`; both halved when a feature has
both target types). For the ``min_set`` objective the same score is used with the penalties
multiplied by ``hard_factor`` (default 1000), and unmet targets are reported in the status.

Move: flip one unlocked unit chosen uniformly; the change is

.. math::  \\Delta = d\\,c_i + BLM\\,d\\,(f_i + \\sum_k b_{ik}(1 - 2x_k)) + \\Delta\\text{pen},
           \\qquad d = 1 - 2x_i,

accepted when :math:`\\Delta \\le 0` or :math:`e^{-\\Delta/T} > U(0,1)`.

Schedules: every :math:`T_{len} = \\lfloor N/N_T \\rfloor` iterations :math:`T \\leftarrow T\\cdot T_{cool}`
(before the acceptance test), :math:`T_{cool} = (T_{min}/T_0)^{1/N_T}`.

* ``"marxan"`` — Marxan's: STARTTEMP > 0 gives :math:`T_0` = STARTTEMP, :math:`T_{cool}` = COOLFAC;
  STARTTEMP < 0 is Connolly's: from a random start apply N/100 random flips unconditionally;
  :math:`T_0` = largest positive Δ, :math:`T_{min} = 0.1\\times` smallest Δ > 1e-10; then restart
  from a fresh random reserve.
* ``"adaptive"`` (default) — the same random walk, but :math:`T_0` = the ``t0_quantile`` (0.5) quantile
  of the positive Δ and :math:`T_{min}` = 0.1 × their ``tmin_quantile`` (0.01) quantile, which spends
  far fewer iterations at temperatures where nearly every move is accepted.

Time-based runs (a time limit and no ``iterations``) follow the same geometric path in elapsed
time, :math:`T(t) = T_0 (T_{min}/T_0)^{t/t_{run}}`, so a loaded machine shortens the walk instead of
truncating the schedule. In these runs a move picks, with probability ``frontier`` (0.7), a unit
from the *frontier* — unlocked units with a neighbour in the other state, maintained incrementally —
and otherwise a uniform unlocked unit; at low temperature almost every accepted move lies there.

Start: :math:`x_i = 1` for status 1 and 2, otherwise Bernoulli(PROP). Iterative improvement after
annealing: ``"marxan"`` = one pass over the unlocked units in shuffled order flipping when Δ < 0
(ITIMPTYPE 3: two passes); ``"full"`` (default) = repeat passes until no flip improves (a 1-flip local
optimum). Random numbers: splitmix64 streams, one per restart, derived from ``seed`` with
:class:`numpy.random.SeedSequence`; the same seed and iteration count give the same result.
"""

from __future__ import annotations

import time

import numba as nb
import numpy as np
import scipy.sparse as sp

from ...core.errors import SolverError, message
from ...services._fast import parallel_map, thread_budget
from ..evaluate import evaluate

__all__ = ["AnnealData", "anneal_data", "solve_anneal"]

_U53 = 1.0 / 9007199254740992.0


@nb.njit(inline="always")
def _next(st):
    st[0] += np.uint64(0x9E3779B97F4A7C15)
    z = st[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(inline="always")
def _unif(st):
    return np.float64(_next(st) >> np.uint64(11)) * _U53


@nb.njit(inline="always")
def _randint(st, n):
    return np.int64(_next(st) % np.uint64(n))


@nb.njit(nogil=True, cache=True)
def _delta(i, x, held, occ, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat, pf_amt,
           tgt, otg, wt, wo, blm):
    d = 1.0 if x[i] == 0 else -1.0
    s = fixed[i]
    for q in range(nb_ptr[i], nb_ptr[i + 1]):
        if x[nb_idx[q]] == 0:
            s += nb_len[q]
        else:
            s -= nb_len[q]
    dl = d * cost[i] + blm * d * s
    for q in range(pf_ptr[i], pf_ptr[i + 1]):
        j = pf_feat[q]
        if tgt[j] > 0:
            old = tgt[j] - held[j]
            new = old - d * pf_amt[q]
            dl += wt[j] * ((new if new > 0 else 0.0) - (old if old > 0 else 0.0))
        if otg[j] > 0:
            old = otg[j] - occ[j]
            new = old - d
            dl += wo[j] * ((new if new > 0 else 0.0) - (old if old > 0 else 0.0))
    return dl


@nb.njit(nogil=True, cache=True)
def _flip(i, x, held, occ, pf_ptr, pf_feat, pf_amt):
    d = 1.0 if x[i] == 0 else -1.0
    x[i] = 1 - x[i]
    for q in range(pf_ptr[i], pf_ptr[i + 1]):
        held[pf_feat[q]] += d * pf_amt[q]
        occ[pf_feat[q]] += d


@nb.njit(nogil=True, cache=True)
def _init_state(x, held, occ, status, prop, rng, pf_ptr, pf_feat, pf_amt):
    held[:] = 0.0
    occ[:] = 0.0
    for i in range(x.size):
        if status[i] == 1 or status[i] == 2:
            x[i] = 1
        elif status[i] == 3:
            x[i] = 0
        else:
            x[i] = 1 if _unif(rng) < prop else 0
        if x[i] == 1:
            for q in range(pf_ptr[i], pf_ptr[i + 1]):
                held[pf_feat[q]] += pf_amt[q]
                occ[pf_feat[q]] += 1.0


@nb.njit(nogil=True, cache=True)
def _random_walk(n_steps, x, held, occ, free, rng, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat,
                 pf_amt, tgt, otg, wt, wo, blm):
    """Connolly's walk: flips applied unconditionally; returns the positive deltas seen."""
    out = np.empty(n_steps)
    k = 0
    for _ in range(n_steps):
        i = free[_randint(rng, free.size)]
        dl = _delta(i, x, held, occ, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat, pf_amt, tgt, otg,
                    wt, wo, blm)
        if dl > 1e-10:
            out[k] = dl
            k += 1
        _flip(i, x, held, occ, pf_ptr, pf_feat, pf_amt)
    return out[:k]


@nb.njit(nogil=True, cache=True)
def _anneal_chunk(it0, it1, tlen, temp, tcool, x, held, occ, free, rng, cost, fixed, nb_ptr, nb_idx, nb_len,
                  pf_ptr, pf_feat, pf_amt, tgt, otg, wt, wo, blm):
    """Iterations it0..it1-1 of one annealing run; returns the temperature after them."""
    for it in range(it0, it1):
        if it > 0 and it % tlen == 0:
            temp *= tcool
        i = free[_randint(rng, free.size)]
        dl = _delta(i, x, held, occ, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat, pf_amt, tgt, otg,
                    wt, wo, blm)
        if dl <= 0 or np.exp(-dl / temp) > _unif(rng):
            _flip(i, x, held, occ, pf_ptr, pf_feat, pf_amt)
    return temp


@nb.njit(nogil=True, cache=True)
def _frontier_init(x, free_mask, nb_ptr, nb_idx, diff, fset, fpos):
    """diff_i = #neighbours in the other state; fset = unlocked units with diff > 0 (size returned)."""
    size = 0
    for i in range(x.size):
        c = 0
        for q in range(nb_ptr[i], nb_ptr[i + 1]):
            if x[nb_idx[q]] != x[i]:
                c += 1
        diff[i] = c
        fpos[i] = -1
        if c > 0 and free_mask[i]:
            fset[size] = i
            fpos[i] = size
            size += 1
    return size


@nb.njit(inline="always")
def _fset_update(i, free_mask, diff, fset, fpos, size):
    if free_mask[i]:
        if diff[i] > 0 and fpos[i] < 0:
            fset[size] = i
            fpos[i] = size
            size += 1
        elif diff[i] == 0 and fpos[i] >= 0:
            size -= 1
            last = fset[size]
            fset[fpos[i]] = last
            fpos[last] = fpos[i]
            fpos[i] = -1
    return size


@nb.njit(nogil=True, cache=True)
def _anneal_chunk_frontier(n_iter, temp, pfront, x, held, occ, free, free_mask, diff, fset, fpos, fsize, rng,
                           cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat, pf_amt, tgt, otg, wt, wo, blm):
    """n_iter iterations at a fixed temperature; with probability ``pfront`` the unit is drawn from
    the frontier (unlocked units with a neighbour in the other state), else uniformly."""
    size = fsize[0]
    for _ in range(n_iter):
        if size > 0 and _unif(rng) < pfront:
            i = fset[_randint(rng, size)]
        else:
            i = free[_randint(rng, free.size)]
        dl = _delta(i, x, held, occ, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat, pf_amt, tgt, otg,
                    wt, wo, blm)
        if dl <= 0 or np.exp(-dl / temp) > _unif(rng):
            _flip(i, x, held, occ, pf_ptr, pf_feat, pf_amt)
            deg = nb_ptr[i + 1] - nb_ptr[i]
            diff[i] = deg - diff[i]
            size = _fset_update(i, free_mask, diff, fset, fpos, size)
            for q in range(nb_ptr[i], nb_ptr[i + 1]):
                k = nb_idx[q]
                if x[k] == x[i]:
                    diff[k] -= 1
                else:
                    diff[k] += 1
                size = _fset_update(k, free_mask, diff, fset, fpos, size)
    fsize[0] = size


@nb.njit(nogil=True, cache=True)
def _improve(max_passes, x, held, occ, free, rng, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat,
             pf_amt, tgt, otg, wt, wo, blm):
    """Passes over the unlocked units in shuffled order, flipping when Δ < 0; stops at a local optimum."""
    order = free.copy()
    passes = 0
    while passes < max_passes:
        for k in range(order.size - 1, 0, -1):
            r = _randint(rng, k + 1)
            t = order[k]
            order[k] = order[r]
            order[r] = t
        changed = 0
        for i in order:
            dl = _delta(i, x, held, occ, cost, fixed, nb_ptr, nb_idx, nb_len, pf_ptr, pf_feat, pf_amt, tgt, otg,
                        wt, wo, blm)
            if dl < -1e-9 * (1.0 + abs(cost[i])):
                _flip(i, x, held, occ, pf_ptr, pf_feat, pf_amt)
                changed += 1
        passes += 1
        if changed == 0:
            break
    return passes


class AnnealData:
    """Flat arrays of a problem for the numba kernels (built once, shared by the restarts)."""

    def __init__(self, problem, hard_factor: float = 1000.0):
        n = problem.n_units
        st = np.asarray(problem.status, dtype=np.int64)
        self.n = n
        self.status = st
        self.free = np.flatnonzero((st == 0) | (st == 1)).astype(np.int64)
        self.cost = np.asarray(problem.cost, dtype=np.float64)
        self.fixed = np.asarray(problem.fixed_boundary, dtype=np.float64)
        ei, ek, eb = (np.asarray(v) for v in problem.edges)
        rows = np.concatenate([ei, ek])
        cols = np.concatenate([ek, ei])
        G = sp.csr_matrix((np.concatenate([eb, eb]), (rows, cols)), shape=(n, n))
        G.sort_indices()
        self.nb_ptr = G.indptr.astype(np.int64)
        self.nb_idx = G.indices.astype(np.int64)
        self.nb_len = G.data.astype(np.float64)
        At = problem.amounts.T.tocsr()
        At.sort_indices()
        self.pf_ptr = At.indptr.astype(np.int64)
        self.pf_feat = At.indices.astype(np.int64)
        self.pf_amt = At.data.astype(np.float64)
        T = np.asarray(problem.targets, dtype=np.float64)
        OT = np.asarray(problem.occ_targets, dtype=np.float64)
        m = T.size
        P = problem.feature_penalty_values() if m else np.zeros(0)
        scale = hard_factor if problem.objective.kind == "min_set" else 1.0
        spf = np.asarray(problem.spf, dtype=np.float64) * scale
        half = np.where((T > 0) & (OT > 0), 0.5, 1.0)
        self.tgt, self.otg = T, OT
        self.wt = np.where(T > 0, spf * P * half / np.where(T > 0, T, 1), 0.0)
        self.wo = np.where(OT > 0, spf * P * half / np.where(OT > 0, OT, 1), 0.0)
        self.blm = float(problem.blm)
        self.m = m

    def kernel_args(self):
        """Arguments shared by every kernel after the state arrays."""
        return (self.cost, self.fixed, self.nb_ptr, self.nb_idx, self.nb_len, self.pf_ptr, self.pf_feat,
                self.pf_amt, self.tgt, self.otg, self.wt, self.wo, self.blm)

    def state(self, x):
        """held and occurrence vectors of selection ``x``."""
        held = np.zeros(self.m)
        occ = np.zeros(self.m)
        sel = np.flatnonzero(x)
        for i in sel:
            s, e = self.pf_ptr[i], self.pf_ptr[i + 1]
            np.add.at(held, self.pf_feat[s:e], self.pf_amt[s:e])
            np.add.at(occ, self.pf_feat[s:e], 1.0)
        return held, occ


def anneal_data(problem, hard_factor: float = 1000.0) -> AnnealData:
    """Kernel arrays of ``problem``."""
    return AnnealData(problem, hard_factor)


def _rng_state(seed_seq: np.random.SeedSequence) -> np.ndarray:
    return seed_seq.generate_state(1, dtype=np.uint64)


def _schedule(data: AnnealData, iterations: int, numtemp: int, schedule: str, starttemp: float, coolfac: float,
              prop: float, rng: np.ndarray, t0_quantile: float, tmin_quantile: float):
    if schedule == "marxan" and starttemp > 0:
        return float(starttemp), float(coolfac)
    x = np.zeros(data.n, np.int8)
    held = np.zeros(data.m)
    occ = np.zeros(data.m)
    _init_state(x, held, occ, data.status, prop, rng, data.pf_ptr, data.pf_feat, data.pf_amt)
    steps = max(100, iterations // 100)
    pos = _random_walk(steps, x, held, occ, data.free, rng, *data.kernel_args())
    if pos.size == 0:
        return 1.0, 1.0
    if schedule == "marxan":
        t0, tmin = float(pos.max()), 0.1 * float(pos.min())
    else:
        t0 = float(np.quantile(pos, t0_quantile))
        tmin = 0.1 * float(np.quantile(pos, tmin_quantile))
    t0 = max(t0, 1e-12)
    tmin = min(max(tmin, 1e-12), t0)
    return t0, (tmin / t0) ** (1.0 / max(numtemp, 1))


def _one_run(data: AnnealData, seed_seq, iterations: int, numtemp: int, schedule: str, starttemp: float,
             coolfac: float, prop: float, improvement: str, passes: int, deadline: float | None,
             chunk: int, t0_quantile: float, tmin_quantile: float, frontier: float = 0.0):
    rng = _rng_state(seed_seq)
    walk = iterations if iterations is not None else 2_000_000
    if iterations is not None:
        t0, tcool = _schedule(data, walk, numtemp, schedule, starttemp, coolfac, prop, rng, t0_quantile,
                              tmin_quantile)
    x = np.zeros(data.n, np.int8)
    held = np.zeros(data.m)
    occ = np.zeros(data.m)
    _init_state(x, held, occ, data.status, prop, rng, data.pf_ptr, data.pf_feat, data.pf_amt)
    if iterations is None:
        t0, tcool = _schedule(data, walk, numtemp, schedule, starttemp, coolfac, prop, rng, t0_quantile,
                              tmin_quantile)
    tlen = max(1, (iterations or 1) // max(numtemp, 1))
    temp = t0
    it = 0
    done = 0
    if data.free.size and iterations is None:
        # time-based schedule: T = T0 * (Tmin/T0)^(elapsed/budget), updated every chunk
        t_begin = time.perf_counter()
        span = max(deadline - t_begin, 1e-3)
        log_ratio = np.log(tcool) * max(numtemp, 1)      # = log(Tmin/T0)
        small = 1 << 15
        free_mask = np.zeros(data.n, np.bool_)
        free_mask[data.free] = True
        diff = np.zeros(data.n, np.int64)
        fset = np.zeros(data.n, np.int64)
        fpos = np.zeros(data.n, np.int64)
        fsize = np.array([_frontier_init(x, free_mask, data.nb_ptr, data.nb_idx, diff, fset, fpos)])
        while True:
            frac = (time.perf_counter() - t_begin) / span
            if frac >= 1.0:
                break
            temp = t0 * np.exp(log_ratio * frac)
            if frontier > 0:
                _anneal_chunk_frontier(small, temp, frontier, x, held, occ, data.free, free_mask, diff, fset, fpos,
                                       fsize, rng, *data.kernel_args())
            else:
                _anneal_chunk(1, 1 + small, small + 1, temp, 1.0, x, held, occ, data.free, rng,
                              *data.kernel_args())
            it += small
        done = it
    elif data.free.size:
        while it < iterations:
            if deadline is not None and time.perf_counter() > deadline:
                break
            nxt = min(iterations, it + chunk)
            temp = _anneal_chunk(it, nxt, tlen, temp, tcool, x, held, occ, data.free, rng, *data.kernel_args())
            it = nxt
        done = it
    if data.free.size:
        max_passes = (2 if passes >= 3 else 1) if improvement == "marxan" else 1_000_000
        _improve(max_passes, x, held, occ, data.free, rng, *data.kernel_args())
    return x, done, t0


def solve_anneal(problem, *, time_limit: float | None = None, seed: int = 0, restarts: int | None = None,
                 iterations: int | None = None, numtemp: int = 10_000, schedule: str = "adaptive",
                 starttemp: float = -1.0, coolfac: float = 0.0, prop: float = 0.5, improvement: str = "full",
                 itimptype: int = 1, workers: int | None = None, hard_factor: float = 1000.0,
                 t0_quantile: float = 0.5, tmin_quantile: float = 0.01, lns: bool | None = None,
                 anneal_share: float = 0.3, frontier: float = 0.7, deadline: float | None = None,
                 **_ignored):
    """Simulated annealing + iterative improvement over ``restarts`` seeded runs; best Score wins.

    Parameters
    ----------
    time_limit : float, optional
        Wall-clock budget (s) for the whole call. Without ``iterations`` the runs follow the
        time-based schedule and share the annealing time (97 % of the budget, or ``anneal_share`` of
        it when ``lns`` is on); with ``iterations``, runs still going at the deadline stop annealing
        and go straight to iterative improvement. Time-based runs depend on the machine's speed, so
        they are reproducible only with ``iterations`` given.
    iterations : int, optional
        Iterations per run (Marxan NUMITNS); default 1e6 when no time limit is given.
    restarts, workers : int
        Number of runs (Marxan NUMREPS; default 10 with fixed iterations, else one per core) and of
        threads running them (default: min(2, cores)).
    schedule, starttemp, coolfac, numtemp, prop : see the module docstring.
    improvement : ``"full"`` or ``"marxan"``; ``itimptype`` 3 gives Marxan's two passes.
    lns : bool, optional
        After annealing, improve the best run by large-neighbourhood search with HiGHS sub-MIPs
        (:func:`restoreplan.optimize.solvers.lns.lns`) until the deadline. Default: on when a time
        limit is given and 300–5,000 units are unlocked (larger sub-MIPs are too slow to pay); without
        a boundary the windows are random sets of units instead of connected ones.
    frontier : float
        Probability of drawing the move from the selection's frontier (time-based runs only).
    """
    import os

    from . import Solution

    t_start = time.perf_counter()
    if deadline is None and time_limit is not None:
        deadline = t_start + float(time_limit)
    if schedule not in ("adaptive", "marxan") or improvement not in ("full", "marxan"):
        raise SolverError(message("anneal", "schedule 'adaptive'|'marxan' and improvement 'full'|'marxan'",
                                  f"{schedule!r}, {improvement!r}", "use one of the listed values"))
    if problem.objective.kind not in ("marxan", "min_set"):
        raise SolverError(message("solver", "highs for max_utility / max_coverage objectives", "anneal",
                                  "use .solver('highs')"))
    data = AnnealData(problem, hard_factor)
    if restarts is None:   # Marxan's NUMREPS default for fixed iterations; one long run per core when timed
        restarts = 10 if (iterations is not None or deadline is None) else min(2, os.cpu_count() or 1)
    restarts = max(1, int(restarts))
    workers = max(1, min(workers or min(2, os.cpu_count() or 1), restarts))
    if lns is None:
        lns = deadline is not None and 300 <= data.free.size <= 5000
    seeds = np.random.SeedSequence(int(seed) & 0xFFFFFFFF).spawn(restarts + 1)
    chunk = 1 << 18
    if iterations is None and deadline is None:
        iterations = 1_000_000
    if iterations is not None:
        iterations = int(iterations)
    sa_deadline = deadline
    if deadline is not None:
        rounds = -(-restarts // workers)
        share = anneal_share if lns else 0.97
        sa_deadline = time.perf_counter() + (deadline - time.perf_counter()) * share
    _warm_up(data)

    def run(k):
        dl = sa_deadline
        if iterations is None:   # time-based: the runs of one worker share the annealing time
            t_now = time.perf_counter()
            slot = k // workers
            left_rounds = rounds - slot
            dl = t_now + max(0.0, (sa_deadline - t_now)) / max(left_rounds, 1)
        return _one_run(data, seeds[k], iterations, int(numtemp), schedule, starttemp, coolfac, prop, improvement,
                        itimptype, dl, chunk, t0_quantile, tmin_quantile, frontier)

    results = parallel_map(run, list(range(restarts)), workers=min(workers, thread_budget()))
    runs = tuple(r[0] for r in results)
    scores = tuple(evaluate(problem, r).score for r in runs)
    best = int(np.argmin(scores))     # first found wins ties
    x = runs[best].copy()
    log = [("anneal", time.perf_counter() - t_start, scores[best], int(sum(r[1] for r in results)))]
    status = "heuristic"
    bound = np.nan
    if lns and deadline is not None and time.perf_counter() < deadline - 0.5:
        from .lns import lns as _lns

        x, lns_log, bound = _lns(problem, x, deadline=deadline, seed=int(seed))
        log.extend(lns_log)
    ev = evaluate(problem, x)
    if problem.objective.kind == "min_set":
        obj = ev.cost + problem.blm * ev.connectivity
        status = "heuristic" if ev.shortfall <= 1e-9 * max(1.0, float(np.sum(problem.targets))) else "targets_unmet"
    else:
        obj = ev.score
    gap = (obj - bound) / abs(obj) if np.isfinite(bound) and obj else np.nan
    return Solution(problem=problem, x=x, objective=obj, status=status, bound=bound, gap=gap,
                    runtime=time.perf_counter() - t_start, solver="anneal+lns" if len(log) > 1 else "anneal",
                    runs=runs, run_scores=scores, log=tuple(log))


def _warm_up(data: AnnealData) -> None:
    """Compile (or load from cache) every kernel once on a tiny state before timing anything."""
    rng = np.zeros(1, np.uint64)
    x = np.zeros(data.n, np.int8)
    held = np.zeros(data.m)
    occ = np.zeros(data.m)
    _init_state(x, held, occ, data.status, 0.5, rng, data.pf_ptr, data.pf_feat, data.pf_amt)
    if data.free.size:
        _random_walk(10, x, held, occ, data.free, rng, *data.kernel_args())
        _anneal_chunk(0, 10, 10, 1.0, 1.0, x, held, occ, data.free, rng, *data.kernel_args())
        _improve(1, x, held, occ, data.free[:1], rng, *data.kernel_args())
        free_mask = np.zeros(data.n, np.bool_)
        diff = np.zeros(data.n, np.int64)
        fset = np.zeros(data.n, np.int64)
        fpos = np.zeros(data.n, np.int64)
        fsize = np.array([_frontier_init(x, free_mask, data.nb_ptr, data.nb_idx, diff, fset, fpos)])
        _anneal_chunk_frontier(10, 1.0, 0.5, x, held, occ, data.free, free_mask, diff, fset, fpos, fsize, rng,
                               *data.kernel_args())
