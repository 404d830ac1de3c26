"""The compiled model, matrix by matrix, for 3- and 4-unit problems (no solver needed)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restoreplan.optimize import Problem, evaluate
from restoreplan.optimize.compile import compile_problem

from .conftest import line3

INF = np.inf


def test_min_set_matrices_exact():
    # variables x1 x2 x3 y12 y23; c_x = cost + BLM*fixed = [1+2*0.5, 2, 3]; c_y = BLM*b = [2, 4]
    m = compile_problem(line3().minimize_cost())
    np.testing.assert_array_equal(m.c, [2, 2, 3, 2, 4])
    assert m.offset == 0
    np.testing.assert_array_equal(m.A.toarray(), [
        [-1, 1, 0, 1, 0],    # y12 - x1 + x2 >= 0
        [1, -1, 0, 1, 0],    # y12 + x1 - x2 >= 0
        [0, -1, 1, 0, 1],    # y23 - x2 + x3 >= 0
        [0, 1, -1, 0, 1],    # y23 + x2 - x3 >= 0
        [1, 1, 1, 0, 0],     # x1 + x2 + x3 >= T = 2
    ])
    np.testing.assert_array_equal(m.row_lower, [0, 0, 0, 0, 2])
    np.testing.assert_array_equal(m.row_upper, [INF] * 5)
    np.testing.assert_array_equal(m.col_lower, [0] * 5)
    np.testing.assert_array_equal(m.col_upper, [1] * 5)
    np.testing.assert_array_equal(m.integrality, [1, 1, 1, 0, 0])
    assert m.blocks == {"x": slice(0, 3), "y": slice(3, 5)}


def test_locked_edges_are_linearized():
    # unit 3 locked in: |x2 - 1| = 1 - x2 -> c_x2 = 2 - BLM*2 = -2, offset = BLM*2 = 4; no y23
    m = compile_problem(line3(status=(0, 0, 2)).minimize_cost())
    np.testing.assert_array_equal(m.c, [2, -2, 3, 2])
    assert m.offset == 4.0
    np.testing.assert_array_equal(m.col_lower, [0, 0, 1, 0])
    np.testing.assert_array_equal(m.A.toarray(), [[-1, 1, 0, 1], [1, -1, 0, 1], [1, 1, 1, 0]])
    # unit 1 locked out, unit 3 locked in: edge (1,2) -> x2 ; edge (2,3) -> 1 - x2
    m = compile_problem(line3(status=(3, 0, 2)).minimize_cost())
    np.testing.assert_array_equal(m.c, [2, 2 + 2 - 4, 3])
    assert m.offset == 4.0 and m.n_vars == 3
    np.testing.assert_array_equal(m.col_upper, [0, 1, 1])


def test_marxan_shortfall_columns():
    # P = 10 (user penalty), spf = 3 -> cost of s = spf * P / T = 15; s in [0, T]
    p = line3().feature_penalties([10.0]).marxan_objective(spf=3)
    m = compile_problem(p)
    np.testing.assert_array_equal(m.c, [2, 2, 3, 2, 4, 15])
    np.testing.assert_array_equal(m.A.toarray()[4], [1, 1, 1, 0, 0, 1])
    assert m.col_upper[5] == 2 and m.row_lower[4] == 2
    assert m.blocks["s"] == slice(5, 6)


def test_product_form_matrices():
    m = compile_problem(line3().minimize_cost(), boundary="product")
    # b|xi-xk| = b(xi + xk) - 2b z: c_x += BLM*b per incident edge; c_z = -2 BLM b
    np.testing.assert_array_equal(m.c, [2 + 2, 2 + 2 + 4, 3 + 4, -4, -8])
    np.testing.assert_array_equal(m.A.toarray()[:4], [[-1, 0, 0, 1, 0], [0, -1, 0, 1, 0],
                                                      [0, -1, 0, 0, 1], [0, 0, -1, 0, 1]])
    np.testing.assert_array_equal(m.row_upper[:4], [0] * 4)


def test_budget_objectives():
    p = line3(blm=0.0).maximize_utility(3.0)
    m = compile_problem(p)
    np.testing.assert_array_equal(m.c, [-1, -1, -1])     # -w * a
    np.testing.assert_array_equal(m.A.toarray(), [[1, 2, 3]])
    assert m.row_upper[0] == 3 and m.sign == -1
    p = line3(blm=0.0).maximize_coverage(3.0)
    m = compile_problem(p)
    np.testing.assert_array_equal(m.c, [0, 0, 0, -1])
    np.testing.assert_array_equal(m.A.toarray(), [[1, 1, 1, -2], [1, 2, 3, 0]])
    np.testing.assert_array_equal(m.integrality, [1, 1, 1, 1])


@st.composite
def small_problems(draw):
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 3))
    cost = draw(st.lists(st.floats(0, 10, allow_nan=False), min_size=n, max_size=n))
    amounts = draw(st.lists(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=n, max_size=n),
                            min_size=m, max_size=m))
    status = draw(st.lists(st.sampled_from([0, 0, 0, 1, 2, 3]), min_size=n, max_size=n))
    pairs = [(i, k) for i in range(n) for k in range(i, n)]
    edges = draw(st.lists(st.tuples(st.sampled_from(pairs), st.floats(0.1, 5)), max_size=2 * n))
    prop = draw(st.floats(0.1, 0.9))
    blm = draw(st.sampled_from([0.0, 0.5, 2.0]))
    occ = draw(st.lists(st.sampled_from([0, 0, 1, 2]), min_size=m, max_size=m))
    p = (Problem(list(range(1, n + 1)), cost, status=status).add_features(amounts)
         .relative_targets(prop).occurrence_targets(occ).boundary_penalty(blm))
    if edges:
        p = p.add_boundary([e[0][0] + 1 for e in edges], [e[0][1] + 1 for e in edges], [e[1] for e in edges])
    return p


@settings(max_examples=40, deadline=None)
@given(small_problems())
def test_model_objective_equals_marxan_score_everywhere(p):
    """For every selection x, the model objective at its completion equals Marxan's Score, and the
    completion satisfies every row."""
    m = compile_problem(p)
    st_ = np.asarray(p.status)
    for bits in itertools.product((0, 1), repeat=p.n_units):
        x = np.array(bits)
        if (x[st_ == 2] == 0).any() or (x[st_ == 3] == 1).any():
            continue
        v = m.complete(x, p)
        assert m.objective(v) == pytest.approx(evaluate(p, x).score, rel=1e-9, abs=1e-9)
        r = m.A @ v
        assert (r >= m.row_lower - 1e-9).all() and (r <= m.row_upper + 1e-9).all()
        assert (v >= m.col_lower - 1e-12).all() and (v <= m.col_upper + 1e-12).all()


def test_unit_costs_fold_locked_edges_by_hand():
    """line3 with unit 1 locked in and unit 3 locked out, BLM 2: edge (1,2) b=1 to a selected unit
    costs 2·(1 − x_2) (−2 on x_2, +2 constant); edge (2,3) b=2 to an unselected unit costs 4·x_2;
    unit 1's own boundary 0.5 costs 2·0.5 = 1. No edge keeps a y variable."""
    from restoreplan.optimize.compile import _unit_costs

    from .conftest import line3

    p = line3(status=(2, 0, 3))
    cx, offset, edges = _unit_costs(p, np.array([1.0, np.nan, 0.0]))
    np.testing.assert_allclose(cx, [1 + 1.0, 2 - 2 + 4, 3])
    assert offset == 2.0 and edges.size == 0


def test_builder_numbers_rows_and_columns_in_order():
    from restoreplan.optimize.compile import _Builder

    b = _Builder()
    assert b.cols("x", np.ones(3), np.zeros(3), np.ones(3), integer=True) == 0
    assert b.cols("y", np.ones(2), np.zeros(2), np.ones(2), integer=False) == 3
    b.rows_("r1", [0, 0], [0, 3], [1.0, -1.0], np.zeros(1), np.full(1, np.inf))
    b.rows_("r2", [0, 1], [1, 4], [2.0, 3.0], np.zeros(2), np.ones(2))
    m = b.model(offset=0.5, edge_index=np.zeros(0, np.int64), sign=1.0, boundary="abs")
    np.testing.assert_array_equal(m.A.toarray(), [[1, 0, 0, -1, 0], [0, 2, 0, 0, 0], [0, 0, 0, 0, 3]])
    assert m.blocks == {"x": slice(0, 3), "y": slice(3, 5)} and m.row_blocks == {"r1": slice(0, 1), "r2": slice(1, 3)}
    np.testing.assert_array_equal(m.integrality, [1, 1, 1, 0, 0])
