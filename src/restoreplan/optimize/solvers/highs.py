"""Exact MIP solver: the compiled model (:mod:`restoreplan.optimize.compile`) solved by HiGHS.

Solves :math:`\\min c^\\top v + c_0` s.t. :math:`r^L \\le Av \\le r^U`, :math:`l \\le v \\le u`,
:math:`x \\in \\{0,1\\}^n` by branch and cut, and reports the incumbent, the dual bound and the
relative gap :math:`(z - z_{LB})/|z|`.

Time limit: HiGHS' own ``time_limit`` is set to what is left of the budget, *and* the run happens in
a solver thread watched by the caller: at the deadline the solve is cancelled through HiGHS' user
interrupt callbacks (simplex, IPM and MIP), and the best incumbent seen by the improving-solution
callback (or the warm start) is returned. A warm start (``warm_start=x``) is passed to HiGHS as a
feasible solution (all auxiliaries completed optimally for that ``x``).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from ...core.errors import InfeasibleError, SolverError, message
from ..compile import compile_problem

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


def _lp(model):
    """The HiGHS LP of the compiled model, scaled by :func:`_scaling`."""
    import highspy

    R, U = _scaling(model)
    lp = highspy.HighsLp()
    lp.num_col_ = model.n_vars
    lp.num_row_ = model.n_rows
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64) * U
    lp.col_lower_ = np.asarray(model.col_lower, dtype=np.float64) / U
    lp.col_upper_ = np.asarray(model.col_upper, dtype=np.float64) / U
    rl, ru = np.asarray(model.row_lower, dtype=np.float64) * R, np.asarray(model.row_upper, dtype=np.float64) * R
    lp.row_lower_ = np.where(np.isinf(rl), -highspy.kHighsInf, rl).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(ru), highspy.kHighsInf, ru).astype(np.float64)
    lp.offset_ = float(model.offset)
    csc = (sp.diags(R) @ model.A @ sp.diags(U)).tocsc()
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.a_matrix_.num_col_ = model.n_vars
    lp.a_matrix_.num_row_ = model.n_rows
    lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                       for k in model.integrality]
    return lp


def _start(model, problem, x) -> list:
    """HiGHS column values (scaled, see :func:`_scaling`) of the selection ``x`` with optimal auxiliaries."""
    return (model.complete(x, problem) / _scaling(model)[1]).tolist()


def solve_highs(problem, *, time_limit: float | None = None, gap: float = 1e-4, seed: int = 0,
                heuristic_effort: float = 0.3,
                threads: int | None = None, warm_start="auto", relax: bool = False, verbose: bool = False,
                model=None, deadline: float | None = None, isolate: bool | None = None, **_ignored):
    """Solve ``problem`` exactly with HiGHS; return a :class:`~restoreplan.optimize.solvers.Solution`.

    Parameters
    ----------
    time_limit : float, optional
        Wall-clock seconds for the whole call (compile + solve), enforced by a watchdog.
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
        Run HiGHS in a forked child process that is killed at the deadline (default, where ``fork`` is
        available, for time-limited models with more than 10,000 unfixed variables: HiGHS' root LP
        and some of its heuristics do not poll the interrupt callbacks, so a thread cannot always be stopped).

    The dual bound is tracked while HiGHS runs (MIP interrupt callback), so a run stopped at the
    deadline still reports the best proven bound and gap.
    """
    import highspy

    from . import Solution

    t0 = time.perf_counter()
    if deadline is None:
        deadline = t0 + time_limit if time_limit is not None else None
    engine = "highs"
    lp_future = None
    if isinstance(warm_start, str) and warm_start == "auto":
        warm_start = None
        from . import auto_strategy

        if deadline is not None and not relax and auto_strategy(problem, None) == "anneal" \
                and problem.objective.kind in ("marxan", "min_set"):
            # large boundary model: HiGHS' own heuristics find nothing useful in minutes, so spend 30 %
            # of the budget on annealing and hand its best selection to HiGHS as the incumbent
            from .anneal import solve_anneal

            from .lns import lp_lower_bound

            # HiGHS' root LP does not finish on such models within typical budgets: the interior
            # point LP bound (valid when stopped early) runs beside, so the reported gap means something
            pool = ThreadPoolExecutor(1)
            lp_future = pool.submit(lp_lower_bound, problem, deadline=deadline)
            pool.shutdown(wait=False)
            pre = solve_anneal(problem, deadline=t0 + 0.3 * (deadline - t0), seed=seed, restarts=2, lns=False)
            warm_start = pre.x
            engine = "highs+anneal-start"
    model = compile_problem(problem) if model is None else model
    n = problem.n_units
    if isolate is None:
        n_open = int(np.count_nonzero(np.asarray(model.col_lower) < np.asarray(model.col_upper)))
        isolate = deadline is not None and not relax and n_open > 10_000 and _can_fork()
    if isolate and deadline is not None:
        sol = _solve_isolated(problem, model, warm_start, deadline, t0, engine,
                              {"seed": seed, "gap": gap, "threads": threads, "verbose": verbose,
                               "heuristic_effort": heuristic_effort})
        return _with_lp_bound(sol, lp_future)
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("random_seed", int(seed) % 2147483647)
    h.setOptionValue("mip_rel_gap", float(gap))
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("mip_heuristic_effort", float(heuristic_effort))
    if threads:
        h.setOptionValue("threads", int(threads))
    lp = _lp(model)
    if relax:
        lp.integrality_ = []
    h.passModel(lp)
    best = {"x": None, "obj": np.inf, "bound": np.nan}
    lock = threading.Lock()
    if warm_start is not None:
        x0 = (np.asarray(warm_start) > 0.5).astype(np.float64)
        v0 = model.complete(x0, problem)
        sol = highspy.HighsSolution()
        sol.col_value = _start(model, problem, x0)
        sol.value_valid = True
        h.setSolution(sol)
        best = {"x": x0.astype(np.int8), "obj": model.objective(v0), "bound": np.nan}

    def _improving(e):
        # HiGHS may report the objective of its presolved model: re-score the selection ourselves
        xs = (np.asarray(e.data_out.mip_solution)[:n] > 0.5).astype(np.int8)
        obj = model.objective(model.complete(xs, problem))
        with lock:
            if obj < best["obj"]:
                best["obj"] = obj
                best["x"] = xs

    def _track_bound(e):
        b = float(e.data_out.mip_dual_bound)
        if np.isfinite(b) and not b <= best["bound"]:   # the largest bound so far (nan-safe)
            best["bound"] = b

    if not relax:
        h.cbMipImprovingSolution.subscribe(_improving)
        h.cbMipInterrupt.subscribe(_track_bound)
    h.HandleUserInterrupt = True
    if deadline is not None:
        left = deadline - time.perf_counter()
        h.setOptionValue("time_limit", max(0.01, left * 0.97 - 0.05))
    thread = h.startSolve()
    timed_out = False
    if deadline is None:
        h.wait()
    else:
        budget = max(deadline - t0, 0.0)
        done, _ = h.wait(max(0.0, deadline - time.perf_counter()))
        if not done:
            timed_out = True
            h.cancelSolve()
            done, _ = h.wait(max(0.2, 0.02 * budget))
            if not done:   # HiGHS is in a phase without interrupt checks; return what we have
                return _with_lp_bound(_from_incumbent(problem, model, best, t0,
                                                      "time_limit (solver thread still stopping)",
                                                      best["bound"], thread=thread, highs=h), lp_future)
    status = h.getModelStatus()
    info = h.getInfo()
    ms = h.modelStatusToString(status)
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(message("problem", "a feasible model", "HiGHS reports infeasible",
                                      "check locked units, budget and hard targets (presolve_check)"))
    if relax:
        v = np.asarray(h.getSolution().col_value)
        obj = float(info.objective_function_value)
        x = (v[:n] > 0.5).astype(np.int8)
        return Solution(problem=problem, x=x, objective=model.sign * obj, status="relaxation", bound=obj,
                        gap=np.nan, runtime=time.perf_counter() - t0, solver="highs-lp")
    sol = h.getSolution()
    if info.primal_solution_status >= 1 and len(sol.col_value) >= n:
        x = (np.asarray(sol.col_value)[:n] > 0.5).astype(np.int8)
        obj = float(info.objective_function_value)
        if best["x"] is not None and best["obj"] < obj - 1e-9:
            x, obj = best["x"], best["obj"]
    elif best["x"] is not None:
        x, obj = best["x"], best["obj"]
    else:
        raise SolverError(message("highs", "a feasible solution within the time limit", f"status {ms}",
                                  "raise time_limit or give warm_start (e.g. from the anneal solver)"))
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else best["bound"]
    obj = model.objective(model.complete(x, problem))
    gap_v = (obj - bound) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    st = "optimal" if status == highspy.HighsModelStatus.kOptimal and not timed_out else "time_limit"
    if status == highspy.HighsModelStatus.kOptimal and gap > 0:
        st = "optimal_within_gap" if gap_v > 1e-9 else "optimal"
    sol = Solution(problem=problem, x=x, objective=model.sign * obj, status=st, bound=bound,
                   gap=max(0.0, gap_v) if np.isfinite(gap_v) else np.nan,
                   runtime=time.perf_counter() - t0, solver=engine)
    return _with_lp_bound(sol, lp_future)


def _with_lp_bound(sol, lp_future):
    """``sol`` with the better of its own bound and the LP bound computed beside it (if any)."""
    import dataclasses

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


def _from_incumbent(problem, model, best, t0, status, bound, thread=None, highs=None):
    from . import Solution

    if best["x"] is None:
        raise SolverError(message("highs", "a feasible solution within the time limit",
                                  "no incumbent when the time limit was reached",
                                  "raise time_limit or give warm_start (e.g. from the anneal solver)"))
    x = best["x"]
    obj = model.objective(model.complete(x, problem))
    gap = (obj - bound) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    sol = Solution(problem=problem, x=x, objective=model.sign * obj, status=status, bound=bound,
                   gap=max(0.0, gap) if np.isfinite(gap) else np.nan,
                   runtime=time.perf_counter() - t0, solver="highs")
    if highs is not None:   # keep the Highs object alive until its thread has stopped
        _ZOMBIES.append((thread, highs))
    return sol


_ZOMBIES: list = []


def _can_fork() -> bool:
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods()


def _child(conn, problem, model, warm_start, time_limit, opts):
    """Forked child: solve with HiGHS and stream improving selections to the parent."""
    import highspy

    n = problem.n_units
    try:   # a forked child inherits the parent's HiGHS scheduler state but not its worker threads
        highspy.Highs.resetGlobalScheduler(True)
    except AttributeError:  # pragma: no cover - older highspy
        pass
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(opts["verbose"]))
    h.setOptionValue("mip_abs_gap", 1e-6)
    h.setOptionValue("random_seed", int(opts["seed"]) % 2147483647)
    h.setOptionValue("mip_rel_gap", float(opts["gap"]))
    h.setOptionValue("mip_heuristic_effort", float(opts["heuristic_effort"]))
    h.setOptionValue("time_limit", max(0.01, time_limit))
    if opts["threads"]:
        h.setOptionValue("threads", int(opts["threads"]))
    h.passModel(_lp(model))
    if warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = _start(model, problem, warm_start)
        sol.value_valid = True
        h.setSolution(sol)

    def _improving(e):
        xs = (np.asarray(e.data_out.mip_solution)[:n] > 0.5).astype(np.int8)
        conn.send(("inc", xs.tobytes(), float(e.data_out.mip_dual_bound)))

    last = [0.0, -np.inf]

    def _bound(e):   # report a better dual bound at most every 0.25 s
        b = float(e.data_out.mip_dual_bound)
        now = time.perf_counter()
        if np.isfinite(b) and b > last[1] and now - last[0] > 0.25:
            last[0], last[1] = now, b
            conn.send(("bound", None, b))

    h.cbMipImprovingSolution.subscribe(_improving)
    h.cbMipInterrupt.subscribe(_bound)
    h.run()
    info = h.getInfo()
    sol = h.getSolution()
    xs = (np.asarray(sol.col_value)[:n] > 0.5).astype(np.int8) if len(sol.col_value) >= n else None
    conn.send(("end", h.modelStatusToString(h.getModelStatus()), None if xs is None else xs.tobytes(),
               float(info.mip_dual_bound)))
    conn.close()


def _solve_isolated(problem, model, warm_start, deadline, t0, engine, opts):
    """HiGHS in a forked process, killed at ``deadline``; returns the best selection it reported."""
    import multiprocessing as mp

    from . import Solution

    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    x0 = None if warm_start is None else (np.asarray(warm_start) > 0.5).astype(np.float64)
    proc = ctx.Process(target=_child, args=(child, problem, model, x0, deadline - time.perf_counter() - 0.3, opts),
                       daemon=True)
    proc.start()
    child.close()
    best = {"x": None if x0 is None else x0.astype(np.int8), "obj": np.inf}
    if x0 is not None:
        best["obj"] = model.objective(model.complete(x0, problem))
    status, bound = "time_limit", np.nan
    while True:
        left = deadline - time.perf_counter()
        if left <= 0 or not parent.poll(max(0.0, left)):
            break
        try:
            msg = parent.recv()
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
            status = "optimal" if msg[1] == "Optimal" else "time_limit"
            break
    if proc.is_alive():
        proc.kill()
    proc.join(1.0)
    parent.close()
    if best["x"] is None:
        raise SolverError(message("highs", "a feasible solution within the time limit",
                                  "no incumbent when the time limit was reached",
                                  "raise time_limit or give warm_start (e.g. from the anneal solver)"))
    obj = best["obj"]
    gap_v = (obj - bound) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    return Solution(problem=problem, x=best["x"], objective=model.sign * obj, status=status, bound=bound,
                    gap=max(0.0, gap_v) if np.isfinite(gap_v) else np.nan, runtime=time.perf_counter() - t0,
                    solver=engine + " (isolated)")
