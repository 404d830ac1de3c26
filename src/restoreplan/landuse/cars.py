r"""Cellular automata that allocate class demand on a map, and the probability-ranking baseline.

* :func:`frontier_allocate` (the simulator's default): the demand in T shares, each taken by the
  cells with the highest :math:`P_{ik} + \varepsilon w_k \Omega_{ik}(t)` on the map updated after
  every share, so conversions raise their neighbours' scores and growth fronts propagate;
  deterministic. ε is below the resolution of the forests' P: the neighbourhood orders cells of
  equal P and never overrides P.
* :func:`cars_allocate`: CARS, PLUS's CA based on multi-type random patch seeds (Liang et al. 2021,
  Comput. Environ. Urban Syst. 85:101569), described below.
* :func:`ranking_allocate`: P alone, no neighbourhood — the baseline both CAs are measured against.

Measured (same P, demand and water constraint; benchmarks/landuse_wuhan.py): FoM of frontier /
ranking / CARS on Wuhan 2003 → 2013 0.2241 / 0.2206 / 0.1965, 2003 → 2010 fit and 2010 → 2013
simulation 0.1334 / 0.1291 / 0.1290, a second region (south half, 2005 → 2010) 0.0827 / 0.0792 /
0.0443; on synthetic clustered growth with forest-like tied P (tests/landuse/test_frontier.py,
300 × 300) 0.74–0.78 / 0.17–0.18 / 0.30–0.33. Stronger neighbourhood terms (P·(Ω + 1/(n²−1))^α
for α ∈ {0.25, 0.5, 1, 2}, windows 5 × 5 and 7 × 7, P·(1 + β·Ω_new) for β ≥ 1, a smoothed P)
lowered FoM on the real regions: once P carries distance and class-share drivers, a strong
neighbourhood term pulls growth away from high-P cells. Without those drivers (P from slope,
elevation, population and soil only) the CA adds most (Wuhan in-sample ranking 0.140, frontier
with Ω weight α = 1 0.193) but stays below ranking on the full P.

CARS. One iteration t, for every candidate cell i of current class ``cur`` (valid, not locked by the
constraint, and ``cur`` above its demand):

.. math::

    G_k = A^*_k - \mathrm{count}_k,\qquad
    \Omega_{ik} = \frac{\#k \text{ in the } n\times n \text{ window (centre excluded)}}{n^2-1}\, w_k

    OP_{ik} = \begin{cases} P_{ik}\,(r\mu)\,D_k & \Omega_{ik} = 0,\ r < P_{ik} \text{ (patch seed)}\\
                            P_{ik}\,\Omega_{ik}\,D_k & \text{otherwise}\end{cases}

with :math:`r \sim U(0,1)` per cell, :math:`OP_{ik} = 0` where the conversion matrix forbids
``cur`` → k. The adaptive driving coefficient :math:`D_k` starts at 1 and is kept when
:math:`|G^{t-1}_k| \le |G^{t-2}_k|`, multiplied by :math:`G^{t-2}/G^{t-1}` when
:math:`0 > G^{t-2} > G^{t-1}` and by :math:`G^{t-1}/G^{t-2}` when :math:`G^{t-1} > G^{t-2} > 0`.
A class c is drawn by roulette over :math:`OP_{i\cdot}`; the conversion is accepted iff
:math:`c \ne cur`, :math:`P_{ic} > \tau = \delta^d r_1` (:math:`r_1 \sim N(1, \sigma_{r1})`
clipped to [0, 2], per cell), the matrix allows it, :math:`G_c > 0` and ``cur`` is above its
demand. d grows by one whenever :math:`\sum|G|` fell by less than ``Step`` in the last iteration
(the threshold-decreasing rule). Updates are synchronous (neighbourhoods read the map of the
previous iteration); when more cells pass than a class still needs, passing cells are thinned at
random (probability gap/passing), so no class overshoots its demand and there is no raster-order
bias. New patch seeds per iteration are capped at ``seed_cap·N_valid``.

Stops when :math:`\sum|G| = 0`, when :math:`\sum|G| < 10^{-4} N_{valid}` has not changed for
``patience`` iterations, when no admissible conversion is left, when the threshold no longer
selects (:math:`\delta^d <` ``stall_tau``) and :math:`\sum|G|` fell by less than
``stall_frac``·:math:`\sum|G^0|` over ``stall_window`` iterations, or at ``max_iter``. With
``complete_demand`` a residual is then allocated in one pass to the admissible cells with the
highest :math:`P_{ic}(\Omega_{ic} + 1/(n^2-1))` (an addition to PLUS, which only reports it);
the residual gaps are reported either way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numba
import numpy as np

from ..core.errors import ConfigError, message
from . import _cars_kernels as kern

__all__ = ["CarsResult", "adapt_driving_coefficient", "cars_allocate", "frontier_allocate", "ranking_allocate"]


@dataclass
class CarsResult:
    """Simulated class-index map (-1 = nodata) and the run's diagnostics."""

    lu: np.ndarray
    iterations: int
    converged: bool
    stop_reason: str
    residual_gap: np.ndarray
    changed: int
    seeds: int
    history: list = field(default_factory=list)
    seconds: float = 0.0


def adapt_driving_coefficient(dyn: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """Update D_k from the gaps of the two previous iterations (G^{t-1} = g1, G^{t-2} = g2)."""
    out = dyn.copy()
    for k in range(len(dyn)):
        if abs(g1[k]) <= abs(g2[k]):
            continue
        if 0 > g2[k] > g1[k]:
            out[k] *= g2[k] / g1[k]
        elif g1[k] > g2[k] > 0:
            out[k] *= g1[k] / g2[k]
    return out


def _complete(cand, flat, p, nbc, tm, w, counts, demand, ny, nx, half, inv_window) -> int:
    """Allocate the residual demand to the admissible (cell, class) pairs with the highest
    P_ic·(Ω_ic + 1/(n²−1)): neighbourhood first, then probability (one synchronous pass)."""
    gap = demand - counts
    grow = np.flatnonzero(gap > 0)
    src = cand[gap[flat[cand]] < 0]
    if len(grow) == 0 or len(src) == 0:
        return 0
    cells, cls, score = [], [], []
    for c in grow:
        ok = tm[flat[src], c] != 0
        sc = src[ok]
        pc = np.nan_to_num(p[sc, c].astype(np.float64))
        s = pc * (nbc[sc, c] * inv_window * w[c] + inv_window)
        keep = s > 0
        cells.append(sc[keep])
        cls.append(np.full(int(keep.sum()), c, dtype=np.int64))
        score.append(s[keep])
    cells = np.concatenate(cells)
    cls = np.concatenate(cls)
    order = np.argsort(-np.concatenate(score), kind="stable")
    return int(kern.complete(cells[order], cls[order], flat, nbc, counts, demand, ny, nx, half))


def _check_neighborhood(neighborhood: int) -> None:
    if neighborhood < 1 or neighborhood % 2 == 0:
        raise ConfigError(message("neighborhood", "an odd window size ≥ 1 (3 = 3×3)", repr(neighborhood),
                                  "use 3, 5 or 7"))


def _prepare(lu, prob, demand, allowed, conversion):
    """Flat class map, (cells, class) float32 P, demand, 0/1 conversion matrix and free-cell mask,
    with the demand checked; shared by every allocator."""
    lu = np.asarray(lu)
    ny, nx = lu.shape
    N = ny * nx
    if prob.ndim == 3:
        K = prob.shape[0]
        p = np.ascontiguousarray(np.moveaxis(prob, 0, -1).reshape(N, K), dtype=np.float32)
    else:
        K = prob.shape[1]
        p = np.ascontiguousarray(prob, dtype=np.float32)
    # NaN (driver nodata) is never > 0 in the kernels, so such cells cannot change: no copy needed
    flat = np.ascontiguousarray(lu.reshape(-1), dtype=np.int8 if K < 127 else np.int16).copy()
    valid = flat >= 0
    n_valid = int(valid.sum())
    demand = np.asarray(demand, dtype=np.int64)
    if demand.shape != (K,) or demand.sum() != n_valid or np.any(demand < 0):
        raise ConfigError(message("demand", f"{K} non-negative counts summing to the {n_valid} valid cells",
                                  f"{demand.tolist()} (sum {int(demand.sum())})",
                                  "rescale the demand to the valid cells (largest-remainder rounding)"))
    tm = np.ones((K, K), np.uint8) if conversion is None else (np.asarray(conversion) != 0).astype(np.uint8)
    free = valid.copy() if allowed is None else (valid & np.asarray(allowed, dtype=bool).reshape(-1))
    counts = np.bincount(flat[valid].astype(np.int64), minlength=K).astype(np.int64)
    return lu, flat, p, demand, tm, free, counts


def _out_map(flat, lu):
    return flat.reshape(lu.shape).astype(lu.dtype if np.issubdtype(lu.dtype, np.signedinteger) else np.int16)


def _initial_candidates(flat, p, tm, free, gap):
    """Cells that can ever change: free, their class above its demand, and P > 0 for an allowed
    target class that still needs cells (exact, not a heuristic)."""
    grow = np.flatnonzero(gap > 0)
    cand = np.flatnonzero(free & (gap[np.maximum(flat, 0)] < 0)).astype(np.int64)
    if not len(grow):
        return cand[:0]
    pg = np.nan_to_num(p[cand][:, grow]) * tm[flat[cand]][:, grow]
    return cand[pg.max(axis=1) > 0]


@dataclass
class _Run:
    """Mutable state of one CARS run."""

    cand: np.ndarray
    gap: np.ndarray
    s0: int
    dyn: np.ndarray
    g_hist: list
    d: int = 0
    history: list = field(default_factory=list)
    changed: int = 0
    seeds: int = 0
    same_small: int = 0
    stalled: int = 0
    last: tuple = ()


def _stop_reason(st: _Run, s_now: int, s_prev: int, changed: int, tau: float, m2: int, n_valid: int, o) -> str | None:
    """The stopping rules of the module docstring; None = go on."""
    st.same_small = st.same_small + 1 if (s_now == s_prev and s_now < o["tol_frac"] * n_valid) else 0
    st.stalled = st.stalled + 1 if (changed == 0 and tau < 1e-6) else 0
    if s_now == 0:
        return "demand met"
    if st.same_small >= o["patience"]:
        return "gap below tolerance and unchanged"
    if st.stalled >= o["stall_iter"] or m2 == 0:
        return "stagnation (no admissible conversion left)"
    w = o["stall_window"]
    if (tau < o["stall_tau"] and len(st.history) > w
            and st.history[-1 - w]["sum_abs_gap"] - s_now < o["stall_frac"] * st.s0):
        return "stagnation (threshold exhausted, gap no longer shrinking)"
    return None


def _iterate(st: _Run, it, key, flat, p, nbc, tm, w, counts, demand, shape, half, inv_window, seed_budget,
             step_cells, o, bufs) -> int:
    """One CARS iteration (propose, thin and apply, update D_k, d and the candidates); returns Σ|G|."""
    ny, nx = shape
    if len(st.g_hist) >= 2:
        st.dyn = adapt_driving_coefficient(st.dyn, st.g_hist[-1], st.g_hist[-2])
    m = len(st.cand)
    prop, seedflag = bufs[0][:m], bufs[1][:m]
    tau = o["delta"] ** st.d
    t_it = time.perf_counter()
    s_prev = int(np.abs(st.gap).sum())
    kern.propose(st.cand, flat, p, nbc, tm, w, st.dyn, st.gap, tau, o["mu"], o["sigma_r1"], inv_window, key,
                 prop, seedflag, o["threshold_on"] == "combined")
    changed, seeds = kern.apply(st.cand, prop, seedflag, flat, nbc, counts, demand, key, seed_budget, ny, nx,
                                half, len(demand))
    st.gap = demand - counts
    s_now = int(np.abs(st.gap).sum())
    st.changed += changed
    st.seeds += seeds
    st.history.append({"iteration": it, "changed": changed, "seeds": seeds, "sum_abs_gap": s_now,
                       "tau_scale": tau, "candidates": m, "seconds": time.perf_counter() - t_it})
    if s_prev - s_now < step_cells:
        st.d += 1
    st.g_hist = (st.g_hist + [st.gap.copy()])[-2:]
    st.cand = st.cand[:kern.compact(st.cand, flat, st.gap)]
    st.last = (s_now, s_prev, changed, tau)
    return s_now


def _complete_residual(st: _Run, it, flat, p, nbc, tm, w, counts, demand, shape, half, inv_window) -> int:
    """``complete_demand``: the residual by :func:`_complete`, recorded in the history; returns Σ|G|."""
    completed = _complete(st.cand, flat, p, nbc, tm, w, counts, demand, shape[0], shape[1], half, inv_window)
    st.changed += completed
    s_now = int(np.abs(demand - counts).sum())
    st.history.append({"iteration": it, "changed": completed, "seeds": 0, "sum_abs_gap": s_now,
                       "tau_scale": 0.0, "candidates": len(st.cand), "seconds": 0.0, "completion": True})
    return s_now


def cars_allocate(lu: np.ndarray, prob: np.ndarray, demand: np.ndarray, *, allowed: np.ndarray | None = None,
                  conversion: np.ndarray | None = None, weights: np.ndarray | None = None,
                  neighborhood: int = 3, mu: float = 0.1, delta: float = 0.9, sigma_r1: float = 0.3,
                  seed_cap: float = 1e-4, step: float | None = None,
                  step_iterations: int = 50, tol_frac: float = 1e-4,
                  patience: int = 5, stall_iter: int = 10, stall_window: int = 10,
                  stall_frac: float = 1e-3, stall_tau: float = 1e-3,
                  complete_demand: bool = True, max_iter: int = 300,
                  seed: np.random.SeedSequence | int = 0, n_threads: int | None = 2,
                  threshold_on: str = "probability") -> CarsResult:
    """Allocate class demand on a map with CARS, PLUS's stochastic CA (numpy/numba kernel).

    Parameters
    ----------
    lu : (ny, nx) int class *indices* 0..K-1, -1 = nodata. Not modified.
    prob : (K, ny, nx) or (ny*nx, K) development probabilities P_ik in [0, 1]; a NaN (driver
        nodata) acts as 0, so such a cell never changes. (ny*nx, K) float32 is used without a copy.
    demand : (K,) target cells per class; must sum to the number of valid cells.
    allowed : (ny, nx) bool, False = locked (constraint 0). Default: all free.
    conversion : (K, K) 0/1 matrix, rows = from, columns = to (1 = allowed). Default all ones.
    weights : (K,) neighbourhood weights w_k in [0, 1]. Default ones.
    neighborhood : odd window size n (3 → 3×3).
    mu : scale of the random patch-seed term (PLUS μ = 0.1).
    delta, sigma_r1 : threshold decay δ and spread of r1 ~ N(1, σ) clipped to [0, 2].
    seed_cap : new patch seeds per iteration ≤ seed_cap·N_valid (assumption).
    step : the Step of the threshold-decreasing rule, in Σ|G| units (cells); d grows by one after
        every iteration in which Σ|G| fell by less than ``step``. Default: Σ|G⁰| / ``step_iterations``,
        i.e. the threshold relaxes whenever the CA runs slower than needed to meet the demand in
        about ``step_iterations`` iterations (PLUS, Liang et al. 2021 leave Step unpublished; a size tied to
        the demand, not to the map size, keeps the pace the same for small and large changes).
    stall_window, stall_frac, stall_tau : once δ^d < ``stall_tau`` (the threshold hardly selects), stop when
        Σ|G| fell by less than ``stall_frac``·Σ|G⁰| over the last ``stall_window`` iterations.
    complete_demand : after a stop with residual gaps, allocate the residual to the admissible
        cells with the highest P_ic·(Ω_ic + 1/(n²−1)) (ties keep raster order), so the demand is met
        exactly when it is reachable. Off: the residual is only reported (PLUS behaviour).
    tol_frac, patience, stall_iter, max_iter : the other stopping rules (module docstring).
    seed : SeedSequence or int; one 64-bit key per iteration is drawn from it.
    n_threads : numba threads; the result does not depend on it (counter-based random numbers).
    threshold_on : "probability" (PLUS: accept when P_ic > τ) or "combined" (accept when the
        neighbourhood term P_ic·Ω_ic — the seed term P_ic·r·μ for a cell without c-neighbours —
        exceeds τ, which holds new patches back until τ has decayed). On a Wuhan crop (2003 → 2013)
        "combined" scored a lower FoM than "probability"; kept as a documented alternative.

    Returns
    -------
    :class:`CarsResult` with the class-index map, iterations, stop reason, residual gaps
    (demand − count per class), cells changed, seeds planted and the per-iteration history.
    """
    _check_neighborhood(neighborhood)
    lu, flat, p, demand, tm, free, counts = _prepare(lu, prob, demand, allowed, conversion)
    ny, nx = lu.shape
    K = len(demand)
    n_valid = int(demand.sum())
    w = np.ones(K) if weights is None else np.asarray(weights, dtype=np.float64)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    keys = ss.generate_state(max_iter + 1, dtype=np.uint64)
    opts = {"tol_frac": tol_frac, "patience": patience, "stall_iter": stall_iter, "stall_window": stall_window,
            "stall_frac": stall_frac, "stall_tau": stall_tau, "delta": delta, "mu": mu, "sigma_r1": sigma_r1,
            "threshold_on": threshold_on}
    t0 = time.perf_counter()
    old_threads = numba.get_num_threads()
    if n_threads:
        numba.set_num_threads(max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        half = neighborhood // 2
        nbc = kern.neighbour_counts(flat, ny, nx, K, half)
        gap = demand - counts
        cand = _initial_candidates(flat, p, tm, free, gap)
        bufs = (np.empty(len(cand), np.int16), np.empty(len(cand), np.uint8))
        s0 = int(np.abs(gap).sum())
        st = _Run(cand=cand, gap=gap, s0=s0, dyn=np.ones(K), g_hist=[gap.copy()])
        step_cells = float(step) if step is not None else s0 / float(step_iterations)
        seed_budget = int(max(1, round(seed_cap * n_valid)))
        inv_window = 1.0 / (neighborhood * neighborhood - 1) if neighborhood > 1 else 0.0
        reason, it, s_prev = "max_iter", 0, s0
        for it in range(1, max_iter + 1):
            if s_prev == 0:
                reason, it = "demand met", it - 1
                break
            s_prev = _iterate(st, it, keys[it], flat, p, nbc, tm, w, counts, demand, (ny, nx), half, inv_window,
                              seed_budget, step_cells, opts, bufs)
            stop = _stop_reason(st, *st.last, len(st.cand), n_valid, opts)
            if stop:
                reason = stop
                break
        if complete_demand and s_prev > 0 and len(st.cand):
            s_prev = _complete_residual(st, it, flat, p, nbc, tm, w, counts, demand, (ny, nx), half, inv_window)
            if s_prev == 0:
                reason += "; residual demand allocated by ranking"
    finally:
        numba.set_num_threads(old_threads)
    return CarsResult(lu=_out_map(flat, lu), iterations=it, converged=(s_prev == 0), stop_reason=reason,
                      residual_gap=demand - counts, changed=st.changed, seeds=st.seeds,
                      history=st.history, seconds=time.perf_counter() - t0)


def _pairs_by_score(flat, p, tm, src, gap, score_of):
    """(cells, classes, scores) of the admissible pairs: ``src`` cells × classes that still need
    cells, conversion allowed, score > 0 (``score_of(cells, class)`` gives the scores)."""
    cells, cls, score = [], [], []
    for c in np.flatnonzero(gap > 0):
        sc = src[tm[flat[src], c] != 0]
        s = score_of(sc, c)
        keep = s > 0
        cells.append(sc[keep])
        cls.append(np.full(int(keep.sum()), c, dtype=np.int64))
        score.append(s[keep])
    if not cells:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    return np.concatenate(cells), np.concatenate(cls), np.concatenate(score)


def _result(flat, lu, demand, counts, changed, t0, iterations=1, history=None) -> CarsResult:
    resid = demand - counts
    done = bool(np.all(resid == 0))
    return CarsResult(lu=_out_map(flat, lu), iterations=iterations, converged=done,
                      stop_reason="demand met" if done else "no admissible conversion left", residual_gap=resid,
                      changed=changed, seeds=0, history=history or [], seconds=time.perf_counter() - t0)


def ranking_allocate(lu: np.ndarray, prob: np.ndarray, demand: np.ndarray, *, allowed: np.ndarray | None = None,
                     conversion: np.ndarray | None = None) -> CarsResult:
    """Probability-ranking allocation: the no-CA baseline of a simulation at equal demand.

    Every admissible (cell, class) pair — cell free (``allowed``), its class above its demand, the
    target class below its demand, the conversion allowed and :math:`P_{ik} > 0` — is ranked by
    :math:`P_{ik}` alone (ties keep raster order, then class order); pairs are taken in decreasing
    order while the target still needs cells and the cell's class is still above its demand; a
    cell converts at most once. There is no neighbourhood, no randomness and no iteration, so
    ``simulation FoM − ranking FoM`` measures what the cellular automaton adds to the same
    probabilities. Same inputs as :func:`cars_allocate`; returns a :class:`CarsResult`
    (``iterations`` = 1, ``seeds`` = 0).
    """
    t0 = time.perf_counter()
    lu, flat, p, demand, tm, free, counts = _prepare(lu, prob, demand, allowed, conversion)
    gap = demand - counts
    src = np.flatnonzero(free & (gap[np.maximum(flat, 0)] < 0))
    cells, cls, score = _pairs_by_score(flat, p, tm, src, gap, lambda sc, c: np.nan_to_num(p[sc, c]))
    order = np.lexsort((cls, cells, -score))
    changed = int(kern.rank_assign(cells[order], cls[order], flat, counts, demand))
    return _result(flat, lu, demand, counts, changed, t0)


def _frontier_step(cand, flat, p, nbc, tm, w, counts, demand, shares, shape, half, inv_window, eps, buf):
    """One frontier iteration: each class that needs cells takes its quota from its best-scored
    candidates (score ``P + eps·w·Ω`` on the current map), conflicts resolved by score over all
    classes; ``shares`` = iterations left (1 = take every remaining gap from all candidates).
    Returns the cells changed."""
    gap = demand - counts
    cap = np.where(gap < 0, demand, counts)        # sources never drop below their demand
    cells, cls, score = [], [], []
    sc = buf[:len(cand)]
    for k in np.flatnonzero(gap > 0):
        q = int(-(-gap[k] // shares))
        cap[k] = counts[k] + q
        kern.frontier_scores(cand, flat, p, nbc, tm, k, float(w[k]), eps, inv_window, sc)
        m = min(len(cand), 2 * q) if shares > 1 else len(cand)  # 2q: room for cells another class takes
        top = np.argpartition(-sc, m - 1)[:m] if m < len(cand) else np.arange(len(cand))
        top = top[sc[top] > 0]
        cells.append(cand[top])
        cls.append(np.full(len(top), k, dtype=np.int64))
        score.append(sc[top])
    if not cells:
        return 0
    cells, cls, score = np.concatenate(cells), np.concatenate(cls), np.concatenate(score)
    order = np.lexsort((cls, cells, -score))
    return int(kern.complete(cells[order], cls[order], flat, nbc, counts, cap, shape[0], shape[1], half))


def frontier_allocate(lu: np.ndarray, prob: np.ndarray, demand: np.ndarray, *, allowed: np.ndarray | None = None,
                      conversion: np.ndarray | None = None, weights: np.ndarray | None = None,
                      neighborhood: int = 3, iterations: int = 10, tie_weight: float = 1e-3,
                      n_threads: int | None = 2) -> CarsResult:
    r"""Allocate class demand over iterations by probability with the dynamic neighbourhood as tie-breaker.

    The demand gap :math:`G_k` of every class is allocated in ``iterations`` equal shares; in
    iteration t class k takes :math:`\lceil G_k(t)/(T-t)
ceil` cells, the admissible candidates with
    the highest

    .. math:: S_{ik}(t) = P_{ik} + arepsilon\, w_k\, \Omega_{ik}(t),\qquad
              \Omega_{ik}(t) = rac{\#k 	ext{ in the } n	imes n 	ext{ window of the map at } t}{n^2-1}

    (PLUS's neighbourhood effect, Liang et al. 2021, Comput. Environ. Urban Syst. 85:101569, with
    its expansion weights :math:`w_k`). Conflicts (a cell among the best of two classes) go to the
    higher score; a source class never drops below its demand, a cell converts at most once per
    iteration. Because Ω is re-read after every iteration, the conversions of one share raise the
    scores of their neighbours in the next: growth fronts propagate, which a static ranking of P
    cannot do. The last iteration ranks every remaining candidate, so a reachable demand is met.

    ``tie_weight`` ε = 10⁻³ is below the resolution of a random forest's vote share (1/n_trees
    for any forest of fewer than 1000 trees), so the neighbourhood never overrides the forest's
    probability: it orders cells that P cannot tell apart (a forest gives tens of thousands of
    cells the same P). On Wuhan, a second region and the synthetic clustered-growth case, larger
    weights (P·(Ω+1/(n²−1))^α, P·(1+β·Ω_new), β ≥ 1) lowered FoM: once P carries distance and
    class-share drivers, a strong neighbourhood term pulls growth away from high-P cells.
    Deterministic (no random draws; ties of S keep raster order, then class order), so the
    result does not depend on a seed or on ``n_threads``.

    Parameters as in :func:`cars_allocate`; ``iterations`` T ≥ 1 (T = 1 with ε = 0 is
    :func:`ranking_allocate`). Returns a :class:`CarsResult` (``seeds`` = 0; ``history`` holds
    the cells changed per iteration).
    """
    _check_neighborhood(neighborhood)
    if int(iterations) < 1:
        raise ConfigError(message("iterations", "an integer ≥ 1", repr(iterations), "use e.g. 10"))
    t0 = time.perf_counter()
    lu, flat, p, demand, tm, free, counts = _prepare(lu, prob, demand, allowed, conversion)
    ny, nx = lu.shape
    K = len(demand)
    w = np.ones(K) if weights is None else np.asarray(weights, dtype=np.float64)
    half = neighborhood // 2
    inv_window = 1.0 / (neighborhood * neighborhood - 1) if neighborhood > 1 else 0.0
    T = int(iterations)
    old_threads = numba.get_num_threads()
    if n_threads:
        numba.set_num_threads(max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        nbc = kern.neighbour_counts(flat, ny, nx, K, half)
        cand = _initial_candidates(flat, p, tm, free, demand - counts)
        buf = np.empty(len(cand), np.float64)
        history, changed, t = [], 0, 0
        for t in range(T):
            if np.all(counts == demand) or not len(cand):
                break
            n = _frontier_step(cand, flat, p, nbc, tm, w, counts, demand, T - t, (ny, nx), half, inv_window,
                               float(tie_weight), buf)
            changed += n
            history.append({"iteration": t + 1, "changed": n, "sum_abs_gap": int(np.abs(demand - counts).sum())})
            cand = cand[:kern.compact(cand, flat, demand - counts)]
    finally:
        numba.set_num_threads(old_threads)
    return _result(flat, lu, demand, counts, changed, t0, iterations=len(history), history=history)
