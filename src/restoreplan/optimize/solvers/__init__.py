"""Solvers and the :class:`Solution` they return.

* ``highs`` — exact MIP of the compiled model (:mod:`.highs`);
* ``anneal`` — Marxan's simulated annealing + iterative improvement in numba, seeded restarts,
  followed (when time is left and HiGHS is available) by large-neighbourhood search (:mod:`.anneal`);
* ``auto`` — HiGHS for models it closes quickly (few units/edges), otherwise annealing then LNS;
  the dual bound of HiGHS' LP relaxation is reported as the lower bound when it fits the budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ...core.errors import ConfigError, message

__all__ = ["SOLVERS", "Solution", "auto_strategy", "solve"]


@dataclass(frozen=True, eq=False)
class Solution:
    """A selection and how it was found.

    ``x`` is 0/1 per unit (unit order); ``objective`` the problem's objective (Marxan Score for the
    ``marxan`` objective; maximized value for max_* objectives); ``bound`` a proven bound on it (lower
    for minimizations) when known; ``gap`` = (objective − bound)/|objective|; ``runs`` the selection of
    every restart (for Marxan's summary and selection frequency).
    """

    problem: object = field(repr=False)
    x: np.ndarray = field(repr=False)
    objective: float
    status: str
    bound: float = np.nan
    gap: float = np.nan
    runtime: float = 0.0
    solver: str = ""
    runs: tuple = field(default=(), repr=False)
    run_scores: tuple = field(default=(), repr=False)
    log: tuple = field(default=(), repr=False)

    @property
    def selected_ids(self) -> np.ndarray:
        """Ids of the selected planning units."""
        return np.asarray(self.problem.ids)[np.asarray(self.x) > 0]

    @property
    def selection_frequency(self) -> np.ndarray:
        """Number of restarts selecting each unit (Marxan ssoln)."""
        runs = self.runs or (self.x,)
        return np.sum([np.asarray(r, dtype=np.int64) for r in runs], axis=0)

    def evaluate(self):
        """Marxan score breakdown of ``x``."""
        from ..evaluate import evaluate

        return evaluate(self.problem, self.x)


def _solve_highs(problem, **kw):
    from .highs import solve_highs

    return solve_highs(problem, **kw)


def _solve_anneal(problem, **kw):
    from .anneal import solve_anneal

    return solve_anneal(problem, **kw)


def auto_strategy(problem, time_limit: float | None) -> str:
    """Pick ``highs`` or ``anneal`` from the problem's size and shape.

    HiGHS closes small and medium boundary models quickly (Tasmania: 1,751 units, 5,029 edges, in
    seconds); beyond ~4,000 units or ~12,000 boundary edges with BLM > 0 the root LP alone takes much
    of a minute and branch and bound stalls, so annealing + LNS does better there. Problems without
    boundary terms are plain covering problems that HiGHS solves well at any size; the max_* objectives
    are only implemented by HiGHS.
    """
    if problem.objective.kind in ("max_utility", "max_coverage"):
        return "highs"
    n_edges = int(np.count_nonzero(np.asarray(problem.edges[2]) > 0)) if problem.blm > 0 else 0
    if n_edges == 0 and problem.n_units <= 200_000:
        return "highs"
    if problem.n_units <= 4000 and n_edges <= 12_000:
        return "highs"
    return "anneal"


def _solve_auto(problem, time_limit=None, deadline=None, seed=0, **kw):
    """``auto``: HiGHS for small/medium models; for large ones, annealing on one core while the other
    computes the LP lower bound and then, when at least 30 % of the budget is left, a second annealing
    run (best run wins). The two tasks run on dask's threaded scheduler (in one thread, one after the
    other, inside a dask task: see :func:`restoreplan.services._fast.thread_budget`)."""
    import dataclasses

    from ...services._fast import parallel_map

    name = auto_strategy(problem, time_limit)
    if deadline is None and time_limit is not None:
        deadline = time.perf_counter() + time_limit
    if name == "highs" or deadline is None:
        return SOLVERS[name](problem, time_limit=time_limit, deadline=deadline, seed=seed, **kw)
    from .anneal import solve_anneal
    from .lns import lp_lower_bound

    t0 = time.perf_counter()
    problem.feature_penalty_values()
    kw = {k: v for k, v in kw.items() if k not in ("restarts", "workers", "lns", "gap")}

    def anneal(s):
        return solve_anneal(problem, deadline=deadline, seed=s, restarts=1, workers=1, lns=False, **kw)

    def bound_then_anneal():
        bound = lp_lower_bound(problem, deadline=deadline)
        late = deadline - time.perf_counter() <= 0.3 * (deadline - t0)
        return bound, None if late else anneal(seed + 1)

    first, (bound, second) = parallel_map(lambda task: task(), [lambda: anneal(seed), bound_then_anneal])
    sols = ([second] if second is not None else []) + [first]
    best = min(sols, key=lambda s: s.objective)
    runs = tuple(r for s in sols for r in s.runs)
    scores = tuple(v for s in sols for v in s.run_scores)
    gap = (best.objective - bound) / abs(best.objective) if np.isfinite(bound) and best.objective else np.nan
    return dataclasses.replace(best, bound=bound, gap=gap, runs=runs, run_scores=scores,
                               runtime=time.perf_counter() - t0, solver="auto(anneal+lp-bound)")


SOLVERS = {"auto": _solve_auto, "highs": _solve_highs, "anneal": _solve_anneal}


def solver_options(name: str) -> set[str]:
    """The option names accepted by solver ``name``.

    Every solver accepts the options of all solvers (so one option set can be tried with each; the
    ones a solver does not use are ignored), but a name no solver knows is an error.
    """
    import inspect

    from .anneal import solve_anneal
    from .highs import solve_highs

    def names(f):
        return {p.name for p in inspect.signature(f).parameters.values()
                if p.kind == p.KEYWORD_ONLY or (p.kind == p.POSITIONAL_OR_KEYWORD and p.name != "problem")}


    return names(solve_highs) | names(solve_anneal) | {"time_limit", "deadline", "seed"}


def check_options(name: str, options) -> None:
    """Raise ``ConfigError`` naming every option the solver does not know (with "did you mean")."""
    from ...core.errors import did_you_mean

    if name not in SOLVERS:
        raise ConfigError(message("solver", f"one of {sorted(SOLVERS)}", repr(name), "pick a listed solver"))
    known = solver_options(name)
    bad = [k for k in options if k not in known]
    if bad:
        hints = "; ".join(f"{k}: {did_you_mean(k, known) or 'no close match'}" for k in bad)
        raise ConfigError(message(f"solver options ({name})", f"options among {sorted(known)}",
                                  f"unknown option(s) {bad}", f"{hints}; fix the spelling or remove them"))


def solve(problem, **overrides) -> Solution:
    """Solve ``problem`` with its configured solver (:meth:`Problem.solver`), options overridden by ``overrides``.

    Unknown option names raise ``ConfigError`` (a misspelt ``time_limt`` is never silently ignored).
    """
    spec = problem.solver_spec
    opts = spec.opts()
    opts.update(overrides)
    name = opts.pop("solver", spec.name)
    check_options(name, opts)
    t0 = time.perf_counter()
    sol = SOLVERS[name](problem, **opts)
    if not sol.runtime:
        object.__setattr__(sol, "runtime", time.perf_counter() - t0)
    return sol
