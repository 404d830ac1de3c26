"""Small problems for the optimize tests (each built by hand; optima derived in comments)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from restoreplan.optimize import Problem, evaluate


def line3(status=(0, 0, 0), blm=2.0):
    """Three units in a line 1-2-3, costs 1, 2, 3; one feature of 1 per unit, target 2;
    edges (1,2) b=1, (2,3) b=2; unit 1 has a fixed (self) boundary of 0.5."""
    return (Problem([1, 2, 3], [1.0, 2.0, 3.0], status=list(status))
            .add_features([[1.0, 1.0, 1.0]], ids=[7], names=["f"])
            .absolute_targets(2.0)
            .add_boundary([1, 2, 1], [2, 3, 1], [1.0, 2.0, 0.5])
            .boundary_penalty(blm))


def brute_force(problem):
    """(best objective, best x) over all selections consistent with the locks (marxan/min_set)."""
    n = problem.n_units
    st = np.asarray(problem.status)
    best, best_x = np.inf, None
    for bits in itertools.product((0, 1), repeat=n):
        x = np.array(bits, dtype=np.int8)
        if (x[st == 2] == 0).any() or (x[st == 3] == 1).any():
            continue
        ev = evaluate(problem, x)
        if problem.objective.kind == "min_set":
            if (ev.held < np.asarray(problem.targets) - 1e-9).any():
                continue
            val = ev.cost + problem.blm * ev.connectivity
        else:
            val = ev.score
        if val < best - 1e-12:
            best, best_x = val, x
    return best, best_x


@pytest.fixture
def line_problem():
    return line3()
