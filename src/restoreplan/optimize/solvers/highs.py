"""Exact MIP solver: the compiled model (:mod:`restoreplan.optimize.compile`) solved by HiGHS.

Solves :math:`\\min c^\\top v + c_0` s.t. :math:`r^L \\le Av \\le r^U`, :math:`l \\le v \\le u`,
:math:`x \\in \\{0,1\\}^n` by branch and cut, and reports the incumbent, the dual bound and the
relative gap :math:`(z - z_{LB})/|z|`.

Time limit: HiGHS' own ``time_limit`` is set to what is left of the budget, and HiGHS' interrupt
checks (simplex, IPM and MIP) stop it at the deadline; the best incumbent seen by the
improving-solution callback (or the warm start) and the best dual bound are returned. The run is
in-process and blocking (no solver is left running after the call), except for large time-limited
models, where HiGHS runs in a fresh worker process (:mod:`._highs_run`, started by
:mod:`subprocess`, so it inherits no thread of the caller) that is killed at the deadline: HiGHS' root
LP and some of its heuristics do not reach an interrupt check for minutes on such models.
A warm start (``warm_start=x``) is passed to HiGHS as a feasible solution (all auxiliaries completed
optimally for that ``x``).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ...core.errors import InfeasibleError, SolverError, message
from ..compile import compile_problem
from . import _highs_run

__all__ = ["highs_available", "solve_highs"]


def highs_available() -> bool:
    """True when highspy can be imported."""
    try:
        import highspy  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True


LARGE = 1e6


def _scaling(model) -> tuple[np.ndarray, np.ndarray]:
    """Row and column scale factors ``(R, U)`` of the model handed to HiGHS.

    Target (and occurrence) rows are divided by their right-hand side :math:`T_j` and the shortfall
    columns are measured in units of :math:`T_j` (:math:`s = T_j s'`), so HiGHS sees
    :math:`\\sum_i (a_{ij}/T_j) x_i + s'_j \\ge 1`, :math:`s' \\in [0, 1]` with cost
    :math:`SPF_j P_j` instead of amounts, bounds and right-hand sides up to ~1e9 (which stall its
    root on real projects). The objective is unchanged; column values map back as :math:`v = U v'`
    and row duals as :math:`y = R y'`. Applied only when a target exceeds :data:`LARGE` (1e6), the
    magnitude HiGHS itself flags as excessive; otherwise ``R = U = 1`` (the model as compiled).
    """
    R = np.ones(model.n_rows)
    U = np.ones(model.n_vars)
    big = [np.asarray(model.row_lower[sl]) for name in ("targets", "occurrence")
           if (sl := model.row_blocks.get(name)) is not None]
    if not any(b.size and np.nanmax(np.where(np.isfinite(b), np.abs(b), 0.0)) > LARGE for b in big):
        return R, U
    for name in ("targets", "occurrence"):
        sl = model.row_blocks.get(name)
        if sl is not None:
            lo = np.asarray(model.row_lower[sl], dtype=np.float64)
            R[sl] = np.where(np.isfinite(lo) & (lo > 0), 1.0 / np.where(lo > 0, lo, 1.0), 1.0)
    for name in ("s", "o"):
        sl = model.blocks.get(name)
        if sl is not None:
            hi = np.asarray(model.col_upper[sl], dtype=np.float64)
            U[sl] = np.where(np.isfinite(hi) & (hi > 0), hi, 1.0)
    return R, U


def lp_arrays(model, relax: bool = False) -> dict:
    """The model handed to HiGHS as plain arrays, scaled by :func:`_scaling` (see :func:`._highs_run.run`)."""
    R, U = _scaling(model)
    csc = (sp.diags(R) @ model.A @ sp.diags(U)).tocsc()
    csc.sort_indices()
    return {"col_cost": np.asarray(model.c, dtype=np.float64) * U,
            "col_lower": np.asarray(model.col_lower, dtype=np.float64) / U,
            "col_upper": np.asarray(model.col_upper, dtype=np.float64) / U,
            "row_lower": np.asarray(model.row_lower, dtype=np.float64) * R,
            "row_upper": np.asarray(model.row_upper, dtype=np.float64) * R,
            "offset": float(model.offset),
            "a_start": csc.indptr.astype(np.int32), "a_index": csc.indices.astype(np.int32),
            "a_value": csc.data.astype(np.float64),
            "integrality": None if relax else np.asarray(model.integrality, dtype=bool)}


def _start(model, problem, x) -> list:
    """HiGHS column values (scaled, see :func:`_scaling`) of the selection ``x`` with optimal auxiliaries."""
    return (model.complete(x, problem) / _scaling(model)[1]).tolist()


def _options(*, seed, gap, heuristic_effort, threads, verbose, time_left) -> dict:
    """HiGHS options of one solve (``time_left`` None: no time limit)."""
    opts = {"output_flag": bool(verbose), "random_seed": int(seed) % 2147483647, "mip_rel_gap": float(gap),
            "mip_abs_gap": 1e-6, "mip_heuristic_effort": float(heuristic_effort)}
    if threads:
        opts["threads"] = int(threads)
    if time_left is not None:
        opts["time_limit"] = max(0.01, time_left)
    return opts


def _anneal_start(problem, deadline, t0, seed):
    """Warm start for a large boundary model: annealing on 30 % of the budget, the LP bound beside.

    HiGHS' own heuristics find nothing useful in minutes on such models, and its root LP does not
    finish within typical budgets: the interior-point LP bound (valid when stopped early) runs in a
    thread beside the annealing, so the reported gap means something. Returns ``(x, lp_future)``.
    """
    from .anneal import solve_anneal
    from .lns import lp_lower_bound

    pool = ThreadPoolExecutor(1)
    lp_future = pool.submit(lp_lower_bound, problem, deadline=deadline)
    pool.shutdown(wait=False)
    pre = solve_anneal(problem, deadline=t0 + 0.3 * (deadline - t0), seed=seed, restarts=2, lns=False)
    return pre.x, lp_future


def _status(highs_status: str, gap: float, gap_v: float) -> str:
    """``optimal`` / ``optimal_within_gap`` when HiGHS proved optimality (within ``gap``), else ``time_limit``."""
    if highs_status != "Optimal":
        return "time_limit"
    return "optimal_within_gap" if gap > 0 and gap_v > 1e-9 else "optimal"


def _solution(problem, model, x, bound, status, t0, solver):
    """The :class:`Solution` of selection ``x`` (objective re-scored on the compiled model)."""
    from . import Solution

    obj = model.objective(model.complete(x, problem))
    gap_v = (obj - bound) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    return Solution(problem=problem, x=x, objective=model.sign * obj, status=status, bound=bound,
                    gap=max(0.0, gap_v) if np.isfinite(gap_v) else np.nan,
                    runtime=time.perf_counter() - t0, solver=solver)


def _infeasible():
    return InfeasibleError(message("problem", "a feasible model", "HiGHS reports infeasible",
                                   "check locked units, budget and hard targets (presolve_check)"))


def _no_incumbent(found: str):
    return SolverError(message("highs", "a feasible solution within the time limit", found,
                               "raise time_limit or give warm_start (e.g. from the anneal solver)"))


def solve_highs(problem, *, time_limit: float | None = None, gap: float = 1e-4, seed: int = 0,
                heuristic_effort: float = 0.3,
                threads: int | None = None, warm_start="auto", relax: bool = False, verbose: bool = False,
                model=None, deadline: float | None = None, isolate: bool | None = None, **_ignored):
    """Solve ``problem`` exactly with HiGHS; return a :class:`~restoreplan.optimize.solvers.Solution`.

    Parameters
    ----------
    time_limit : float, optional
        Wall-clock seconds for the whole call (compile + solve).
    gap : float
        Relative MIP gap at which HiGHS stops and reports "optimal" (default 1e-4, HiGHS' own default;
        0 = exact proof).
    heuristic_effort : float
        HiGHS ``mip_heuristic_effort`` (default 0.3 instead of HiGHS' 0.05: on boundary models an
        early near-optimal incumbent is what lets the bound close).
    seed : int
        HiGHS ``random_seed``.
    warm_start : array of 0/1, ``"auto"`` or None
        A starting selection handed to HiGHS (its objective is an upper bound from the start).
        ``"auto"``: for large boundary models (see :func:`~restoreplan.optimize.solvers.auto_strategy`)
        with a time limit, 30 % of the budget goes to annealing and its best selection is the start.
    relax : bool
        Solve the LP relaxation only (its objective is a lower bound; ``x`` is the rounded LP point).
    isolate : bool, optional
        Run HiGHS in a worker process that is killed at the deadline (default, on POSIX, for
        time-limited models with more than 10,000 unfixed variables). Otherwise HiGHS runs in this
        thread and stops at its next interrupt check after the deadline.

    The dual bound is tracked while HiGHS runs (MIP interrupt callback), so a run stopped at the
    deadline still reports the best proven bound and gap.
    """
    t0 = time.perf_counter()
    if deadline is None:
        deadline = t0 + time_limit if time_limit is not None else None
    engine, lp_future = "highs", None
    if isinstance(warm_start, str) and warm_start == "auto":
        warm_start = None
        from . import auto_strategy

        if deadline is not None and not relax and auto_strategy(problem, None) == "anneal" \
                and problem.objective.kind in ("marxan", "min_set"):
            warm_start, lp_future = _anneal_start(problem, deadline, t0, seed)
            engine = "highs+anneal-start"
    model = compile_problem(problem) if model is None else model
    x0 = None if warm_start is None else (np.asarray(warm_start) > 0.5).astype(np.float64)
    if isolate is None:
        n_open = int(np.count_nonzero(np.asarray(model.col_lower) < np.asarray(model.col_upper)))
        isolate = deadline is not None and not relax and n_open > 10_000 and _can_isolate()
    payload = {"lp": lp_arrays(model, relax=relax), "n": problem.n_units,
               "start": None if x0 is None else _start(model, problem, x0),
               "options": _options(seed=seed, gap=gap, heuristic_effort=heuristic_effort, threads=threads,
                                   verbose=verbose, time_left=None)}
    if isolate and deadline is not None:
        payload["options"]["time_limit"] = max(0.01, deadline - time.perf_counter() - 0.3)
        sol = _solve_isolated(problem, model, payload, x0, deadline, t0, engine + " (isolated)", gap)
    else:
        if deadline is not None:
            payload["options"]["time_limit"] = max(0.01, (deadline - time.perf_counter()) * 0.97 - 0.05)
        sol = _solve_in_process(problem, model, payload, x0, deadline, t0, engine, gap, relax)
    return _with_lp_bound(sol, lp_future)


def _solve_in_process(problem, model, payload, x0, deadline, t0, engine, gap, relax):
    """HiGHS in this thread, stopped by its interrupt checks at ``deadline``."""
    from . import Solution

    best = {"x": None, "obj": np.inf, "bound": np.nan}
    if x0 is not None:
        best = {"x": x0.astype(np.int8), "obj": model.objective(model.complete(x0, problem)), "bound": np.nan}

    def _improving(xs, _b):
        # HiGHS may report the objective of its presolved model: re-score the selection ourselves
        obj = model.objective(model.complete(xs, problem))
        if obj < best["obj"]:
            best["obj"], best["x"] = obj, xs

    def _track_bound(b):
        if np.isfinite(b) and not b <= best["bound"]:   # the largest bound so far (nan-safe)
            best["bound"] = b

    stop = None if deadline is None else (lambda: time.perf_counter() >= deadline)
    try:
        out = _highs_run.run(payload, on_incumbent=_improving, on_bound=_track_bound, should_stop=stop)
    except RuntimeError as e:
        raise SolverError(message("highs", "a HiGHS run without error", str(e),
                                  "check the solver options (e.g. threads) or run with verbose=True")) from None
    if out["status"] == "Infeasible":
        raise _infeasible()
    if relax:
        obj = out["objective"]
        x = out["x"] if out["x"] is not None else np.zeros(problem.n_units, dtype=np.int8)
        return Solution(problem=problem, x=x, objective=model.sign * obj, status="relaxation", bound=obj,
                        gap=np.nan, runtime=time.perf_counter() - t0, solver="highs-lp")
    x = out["x"]
    if x is not None:
        if best["x"] is not None and best["obj"] < out["objective"] - 1e-9:
            x = best["x"]
    elif best["x"] is not None:
        x = best["x"]
    else:
        raise _no_incumbent(f"status {out['status']}")
    bound = out["bound"] if np.isfinite(out["bound"]) else best["bound"]
    sol = _solution(problem, model, x, bound, "time_limit", t0, engine)
    return dataclasses.replace(sol, status=_status(out["status"], gap, sol.gap if np.isfinite(sol.gap) else 0.0))


def _with_lp_bound(sol, lp_future):
    """``sol`` with the better of its own bound and the LP bound computed beside it (if any)."""
    if lp_future is None:
        return sol
    try:
        lb = float(lp_future.result(timeout=1.0))
    except Exception:  # noqa: BLE001 - no LP bound by the deadline: keep the solver's own
        return sol
    if not np.isfinite(lb) or (np.isfinite(sol.bound) and sol.bound >= lb) or sol.problem.objective.kind not in (
            "marxan", "min_set"):
        return sol
    gap = (sol.objective - lb) / max(abs(sol.objective), 1e-12)
    return dataclasses.replace(sol, bound=lb, gap=max(0.0, gap))


def _can_isolate() -> bool:
    """The worker process needs ``pass_fds`` (POSIX) and a Python executable to start."""
    return os.name == "posix" and bool(sys.executable)


def _solve_isolated(problem, model, payload, x0, deadline, t0, engine, gap):
    """HiGHS in a fresh worker process, killed at ``deadline``; returns the best selection it reported."""
    from multiprocessing.connection import Connection

    r, w = os.pipe()
    proc = subprocess.Popen([sys.executable, str(Path(_highs_run.__file__)), str(w)], stdin=subprocess.PIPE,
                            stdout=None if payload["options"]["output_flag"] else subprocess.DEVNULL,
                            pass_fds=(w,), close_fds=True)
    os.close(w)
    conn = Connection(r, writable=False)
    best = {"x": None if x0 is None else x0.astype(np.int8), "obj": np.inf}
    if x0 is not None:
        best["obj"] = model.objective(model.complete(x0, problem))
    status, bound = "time_limit", np.nan
    try:
        try:
            proc.stdin.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            proc.stdin.close()
        except BrokenPipeError:
            pass   # the worker died at start: reported below as "no incumbent" (its stderr says why)
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or not conn.poll(max(0.0, left)):
                break
            try:
                msg = conn.recv()
            except EOFError:
                break
            b = msg[-1]
            if np.isfinite(b):
                bound = b if np.isnan(bound) else max(bound, b)
            if msg[1] is not None and msg[0] in ("inc", "end"):
                xs = np.frombuffer(msg[-2] if msg[0] == "end" else msg[1], dtype=np.int8).copy()
                obj = model.objective(model.complete(xs, problem))
                if obj < best["obj"]:
                    best = {"x": xs, "obj": obj}
            if msg[0] == "end":
                status = msg[1]
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        conn.close()
    if status == "Infeasible":
        raise _infeasible()
    if best["x"] is None:
        raise _no_incumbent("no incumbent when the time limit was reached")
    sol = _solution(problem, model, best["x"], bound, "time_limit", t0, engine)
    return dataclasses.replace(sol, status=_status(status, gap, sol.gap if np.isfinite(sol.gap) else 0.0))
