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

import numpy as np

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


def _lp(model):
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = model.n_vars
    lp.num_row_ = model.n_rows
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.asarray(model.col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(model.col_upper, dtype=np.float64)
    lp.row_lower_ = np.where(np.isinf(model.row_lower), -highspy.kHighsInf, model.row_lower).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(model.row_upper), highspy.kHighsInf, model.row_upper).astype(np.float64)
    lp.offset_ = float(model.offset)
    csc = model.A.tocsc()
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
        Run HiGHS in a forked child process that is killed at the deadline (default for models with
        more than 30,000 variables, where HiGHS' root LP does not poll its interrupt callbacks).
    """
    import highspy

    from . import Solution

    t0 = time.perf_counter()
    if deadline is None:
        deadline = t0 + time_limit if time_limit is not None else None
    engine = "highs"
    if isinstance(warm_start, str) and warm_start == "auto":
        warm_start = None
        from . import auto_strategy

        if deadline is not None and not relax and auto_strategy(problem, None) == "anneal" \
                and problem.objective.kind in ("marxan", "min_set"):
            # large boundary model: HiGHS' own heuristics find nothing useful in minutes, so spend 30 %
            # of the budget on annealing and hand its best selection to HiGHS as the incumbent
            from .anneal import solve_anneal

            pre = solve_anneal(problem, deadline=t0 + 0.3 * (deadline - t0), seed=seed, restarts=2, lns=False)
            warm_start = pre.x
            engine = "highs+anneal-start"
    model = compile_problem(problem) if model is None else model
    n = problem.n_units
    if isolate is None:
        isolate = deadline is not None and not relax and model.n_vars > 30_000
    if isolate and deadline is not None:
        return _solve_isolated(problem, model, warm_start, deadline, t0, engine,
                               {"seed": seed, "gap": gap, "threads": threads, "verbose": verbose,
                                "heuristic_effort": heuristic_effort})
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
    best = {"x": None, "obj": np.inf}
    lock = threading.Lock()
    if warm_start is not None:
        x0 = (np.asarray(warm_start) > 0.5).astype(np.float64)
        v0 = model.complete(x0, problem)
        sol = highspy.HighsSolution()
        sol.col_value = v0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
        best = {"x": x0.astype(np.int8), "obj": model.objective(v0)}

    def _improving(e):
        # HiGHS may report the objective of its presolved model: re-score the selection ourselves
        xs = (np.asarray(e.data_out.mip_solution)[:n] > 0.5).astype(np.int8)
        obj = model.objective(model.complete(xs, problem))
        with lock:
            if obj < best["obj"]:
                best["obj"] = obj
                best["x"] = xs

    if not relax:
        h.cbMipImprovingSolution.subscribe(_improving)
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
                return _from_incumbent(problem, model, best, t0, "time_limit (solver thread still stopping)",
                                       np.nan, thread=thread, highs=h)
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
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else np.nan
    obj = model.objective(model.complete(x, problem))
    gap_v = (obj - bound) / max(abs(obj), 1e-12) if np.isfinite(bound) else np.nan
    st = "optimal" if status == highspy.HighsModelStatus.kOptimal and not timed_out else "time_limit"
    if status == highspy.HighsModelStatus.kOptimal and gap > 0:
        st = "optimal_within_gap" if gap_v > 1e-9 else "optimal"
    return Solution(problem=problem, x=x, objective=model.sign * obj, status=st, bound=bound,
                    gap=max(0.0, gap_v) if np.isfinite(gap_v) else np.nan,
                    runtime=time.perf_counter() - t0, solver=engine)


def _from_incumbent(problem, model, best, t0, status, bound, thread=None, highs=None):
    from . import Solution

    if best["x"] is None:
        raise SolverError(message("highs", "a feasible solution within the time limit",
                                  "no incumbent when the time limit was reached",
                                  "raise time_limit or give warm_start (e.g. from the anneal solver)"))
    x = best["x"]
    obj = model.objective(model.complete(x, problem))
    sol = Solution(problem=problem, x=x, objective=model.sign * obj, status=status, bound=bound, gap=np.nan,
                   runtime=time.perf_counter() - t0, solver="highs")
    if highs is not None:   # keep the Highs object alive until its thread has stopped
        _ZOMBIES.append((thread, highs))
    return sol


_ZOMBIES: list = []


def _child(conn, problem, model, warm_start, time_limit, opts):
    """Forked child: solve with HiGHS and stream improving selections to the parent."""
    import highspy

    n = problem.n_units
    h = highspy.Highs()
    h.setOptionValue("output_flag", bool(opts["verbose"]))
    h.setOptionValue("random_seed", int(opts["seed"]) % 2147483647)
    h.setOptionValue("mip_rel_gap", float(opts["gap"]))
    h.setOptionValue("mip_heuristic_effort", float(opts["heuristic_effort"]))
    h.setOptionValue("time_limit", max(0.01, time_limit))
    if opts["threads"]:
        h.setOptionValue("threads", int(opts["threads"]))
    h.passModel(_lp(model))
    if warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = model.complete(warm_start, problem).tolist()
        sol.value_valid = True
        h.setSolution(sol)

    def _improving(e):
        xs = (np.asarray(e.data_out.mip_solution)[:n] > 0.5).astype(np.int8)
        conn.send(("inc", xs.tobytes(), float(e.data_out.mip_dual_bound)))

    h.cbMipImprovingSolution.subscribe(_improving)
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
