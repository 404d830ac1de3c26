"""One HiGHS run on a model given as plain arrays; used in-process and as an isolated worker process.

This module imports only numpy and highspy (no restoreplan import), so that
:func:`restoreplan.optimize.solvers.highs.solve_highs` can run it as a script in a fresh interpreter
(``python _highs_run.py FD``): that process inherits no thread of the caller (nothing is forked from
a multi-threaded process) and is killed at the deadline, which frees the solver and its model.

The worker reads one pickled payload (see :func:`run`) from standard input and sends pickled
messages through the pipe whose write end is file descriptor ``FD``:
``("inc", x_bytes, dual_bound)`` for each improving selection, ``("bound", None, dual_bound)`` for a
better dual bound (at most every 0.25 s), and ``("end", model_status, x_bytes_or_None, dual_bound)``.
HiGHS' own log (``output_flag``) goes to the worker's standard output, never into the pipe.
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import time

import numpy as np

__all__ = ["run"]


def _lp(highspy, a: dict):
    """A ``highspy.HighsLp`` from the array dict ``a`` (see ``lp_arrays`` in ``highs.py``)."""
    lp = highspy.HighsLp()
    lp.num_col_ = int(a["col_cost"].size)
    lp.num_row_ = int(a["row_lower"].size)
    lp.col_cost_ = a["col_cost"]
    lp.col_lower_ = a["col_lower"]
    lp.col_upper_ = a["col_upper"]
    lp.row_lower_ = np.where(np.isinf(a["row_lower"]), -highspy.kHighsInf, a["row_lower"]).astype(np.float64)
    lp.row_upper_ = np.where(np.isinf(a["row_upper"]), highspy.kHighsInf, a["row_upper"]).astype(np.float64)
    lp.offset_ = float(a["offset"])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a["a_start"]
    lp.a_matrix_.index_ = a["a_index"]
    lp.a_matrix_.value_ = a["a_value"]
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    if a["integrality"] is not None:
        lp.integrality_ = [highspy.HighsVarType.kInteger if k else highspy.HighsVarType.kContinuous
                           for k in a["integrality"]]
    return lp


@contextlib.contextmanager
def _signals_stop_highs(raised: list):
    """While HiGHS runs in the main thread, SIGINT/SIGTERM only record themselves and ask HiGHS to stop
    (its interrupt checks see ``raised``); afterwards the caller's handler is called with the signal.
    An exception raised inside a HiGHS callback would otherwise surface as a generic solve error."""
    import signal
    import threading

    pending: list = []
    if threading.current_thread() is not threading.main_thread():
        yield pending
        return
    old = {}

    def _record(signum, frame):
        handler = old.get(signum)
        if callable(handler):
            pending.append((signum, handler))
            raised.append(_Stop())

    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.getsignal(sig)
        if callable(old[sig]):
            signal.signal(sig, _record)
    try:
        yield pending
    finally:
        for sig, handler in old.items():
            if callable(handler):
                signal.signal(sig, handler)
        raised[:] = [e for e in raised if not isinstance(e, _Stop)]


class _Stop(Exception):
    """Marker: a signal asked HiGHS to stop (the signal's own handler runs after HiGHS returns)."""


def run(payload: dict, on_incumbent=None, on_bound=None, should_stop=None) -> dict:
    """Solve the payload's model with HiGHS in this thread; return what HiGHS reports at its end.

    ``payload``: ``lp`` (array dict; ``integrality`` None for an LP), ``n`` (selection columns first),
    ``options`` (HiGHS option name -> value, e.g. ``time_limit``), ``start`` (column values of a
    feasible start, or None). Callbacks: ``on_incumbent(x_int8, dual_bound)`` for each improving MIP
    solution, ``on_bound(dual_bound)`` at MIP interrupt checks, ``should_stop()`` polled by the
    simplex, IPM and MIP interrupt checks (True stops HiGHS; phases without checks run on).

    Raises RuntimeError when HiGHS reports an error (e.g. an option it refuses). Returns a dict: ``status`` (HiGHS model status string), ``x`` (first ``n`` column values rounded
    to 0/1 as int8, or None without a primal solution), ``col_value`` (all column values or None),
    ``objective`` and ``bound`` (HiGHS' objective value and MIP dual bound).
    """
    import highspy

    n = int(payload["n"])
    h = highspy.Highs()
    for key, value in payload["options"].items():
        h.setOptionValue(key, value)
    h.passModel(_lp(highspy, payload["lp"]))
    if payload.get("start") is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(payload["start"])
        sol.value_valid = True
        h.setSolution(sol)

    # An exception raised inside a callback (Ctrl-C or SIGTERM arrive there, since this thread runs
    # Python code only in callbacks) would make HiGHS report a generic error: keep it, ask HiGHS to
    # stop, and raise it once HiGHS has returned.
    raised: list[BaseException] = []

    def _guarded(fn):
        def cb(e):
            if raised:
                if e.data_in is not None:
                    e.data_in.user_interrupt = True
                return
            try:
                fn(e)
            except BaseException as exc:   # noqa: BLE001 - re-raised after h.run()
                raised.append(exc)
                if e.data_in is not None:
                    e.data_in.user_interrupt = True
        return cb

    def _stop(e):
        if should_stop is not None and e.data_in is not None and should_stop():
            e.data_in.user_interrupt = True

    def _mip_check(e):
        if on_bound is not None:
            on_bound(float(e.data_out.mip_dual_bound))
        _stop(e)

    def _improving(e):
        sol = e.data_out.mip_solution   # highspy 1.8: a pointer wrapper with to_array(n)
        vals = sol.to_array(n) if hasattr(sol, "to_array") else np.asarray(sol)[:n]
        xs = (np.asarray(vals)[:n] > 0.5).astype(np.int8)
        on_incumbent(xs, float(e.data_out.mip_dual_bound))

    if on_incumbent is not None and payload["lp"]["integrality"] is not None:
        h.cbMipImprovingSolution.subscribe(_guarded(_improving))
    h.cbMipInterrupt.subscribe(_guarded(_mip_check))
    h.cbSimplexInterrupt.subscribe(_guarded(_stop))
    h.cbIpmInterrupt.subscribe(_guarded(_stop))
    with _signals_stop_highs(raised) as pending:
        try:
            status = h.run()
        finally:
            # as highspy's own solve thread does: drop the global task scheduler, so that the next run's
            # ``threads`` option takes effect (HiGHS refuses a thread count other than the scheduler's)
            highspy.Highs.resetGlobalScheduler(False)
    if pending:
        signum, handler = pending[0]
        handler(signum, None)          # the caller's own handler: KeyboardInterrupt, or the CLI's SIGTERM
    if raised:
        raise raised[0]
    if status == highspy.HighsStatus.kError:
        raise RuntimeError(f"HiGHS stopped with an error (model status {h.modelStatusToString(h.getModelStatus())!r})")
    info = h.getInfo()
    sol = h.getSolution()
    cols = np.asarray(sol.col_value, dtype=np.float64)
    has_x = info.primal_solution_status >= 1 and cols.size >= n
    return {"status": h.modelStatusToString(h.getModelStatus()),
            "x": (cols[:n] > 0.5).astype(np.int8) if has_x else None,
            "col_value": cols if has_x else None,
            "row_dual": np.asarray(sol.row_dual, dtype=np.float64),   # also when stopped early (IPM)
            "objective": float(info.objective_function_value),
            "bound": float(info.mip_dual_bound)}


def _worker(fd: int) -> None:
    """Worker process: run the payload read from stdin, stream messages to the pipe ``fd``."""
    from multiprocessing.connection import Connection

    payload = pickle.load(sys.stdin.buffer)
    conn = Connection(fd, readable=False)
    last = [0.0, -np.inf]

    def _inc(xs, b):
        conn.send(("inc", xs.tobytes(), b))

    def _bound(b):   # report a better dual bound at most every 0.25 s
        now = time.perf_counter()
        if np.isfinite(b) and b > last[1] and now - last[0] > 0.25:
            last[0], last[1] = now, b
            conn.send(("bound", None, b))

    out = run(payload, on_incumbent=_inc, on_bound=_bound)
    conn.send(("end", out["status"], None if out["x"] is None else out["x"].tobytes(), out["bound"]))
    conn.close()


if __name__ == "__main__":
    _worker(int(sys.argv[1]))
