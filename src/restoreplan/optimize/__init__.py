"""Spatial prioritization: an immutable problem builder, a solver-neutral compiled model, an exact
MIP (HiGHS) and a Marxan-compatible simulated annealer, Marxan's score, and Marxan file I/O.

>>> import restoreplan.optimize as opt
>>> p = (opt.Problem([1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0])
...      .add_features([[1, 1, 1, 1]]).absolute_targets(2).minimize_cost().solver("highs"))
>>> p.solve().selected_ids.tolist()
[1, 2]
"""

from .evaluate import Evaluation, evaluate, marxan_feature_penalties
from .marxan_io import MarxanProject, read_marxan, write_outputs
from .problem import Objective, Problem, SolverSpec
from .solvers import SOLVERS, Solution, solve

__all__ = [
    "SOLVERS",
    "Evaluation",
    "MarxanProject",
    "Objective",
    "Problem",
    "Solution",
    "SolverSpec",
    "compile_problem",
    "evaluate",
    "marxan_feature_penalties",
    "read_marxan",
    "solve",
    "write_outputs",
]


def compile_problem(problem):
    """Solver-neutral model of ``problem`` (see :mod:`restoreplan.optimize.compile`)."""
    from .compile import compile_problem as _c

    return _c(problem)
