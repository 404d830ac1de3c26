"""Solvers on problems with known optima (a worked example), brute-force checks and the lock-out property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from restoreplan.core.errors import InfeasibleError, SolverError
from restoreplan.optimize import Problem, evaluate

from .conftest import brute_force, line3
from .test_compile import small_problems


def m14():
    """Worked example: costs [1,2,3,4], a = 1 each, T = 2, BLM = 0 -> units {1, 2}, cost 3."""
    return Problem([1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0]).add_features([[1, 1, 1, 1]]).absolute_targets(2)


@pytest.mark.parametrize("solver", ["highs", "anneal", "auto"], ids=["highs", "anneal", "auto"])
def test_m14_known_optimum(solver):
    sol = m14().minimize_cost().solver(solver, seed=3, iterations=20_000, restarts=2).solve()
    assert sol.selected_ids.tolist() == [1, 2]
    assert sol.objective == pytest.approx(3.0)


def test_m14_marxan_objective_and_status():
    # Marxan's greedy P: round 1 takes unit 1 (best ratio 1); round 2 unit 2 can meet the rest, but
    # unit 3's ratio 1/3 beats the untouched bestratio 0 and displaces it (Marxan quirk) -> P = 1 + 3.
    # With spf 1 a shortfall of 1 costs 4 * 1/2 = 2, so {1} scores 1 + 2 = 3 = cost of {1, 2};
    # with spf 3 it costs 6 and {1, 2} is the unique optimum.
    assert m14().feature_penalty_values().tolist() == [4.0]
    assert m14().marxan_objective().solver("highs").solve().objective == pytest.approx(3.0)
    p = m14().marxan_objective(spf=3)
    sol = p.solver("highs").solve()
    assert sol.selected_ids.tolist() == [1, 2] and sol.status == "optimal" and sol.gap == pytest.approx(0, abs=1e-9)
    # locking unit 1 out: the next cheapest pair {2, 3} costs 5
    sol = p.lock_out([1]).solver("highs").solve()
    assert sol.selected_ids.tolist() == [2, 3] and sol.objective == pytest.approx(5.0)
    # locking unit 4 in: {1, 4}
    assert p.lock_in([4]).solver("highs").solve().selected_ids.tolist() == [1, 4]


def test_boundary_changes_the_optimum():
    # line 1-2-3-4 with unit costs 1, 1.1, 1, 1.2 and target 2: BLM 0 -> {1, 3} (cost 2);
    # with BLM 1 and unit edges: {1,2} = 2.1 + boundary 1 (edge 2-3) = 3.1; {3,4} = 2.2 + 1;
    # {1,3} = 2 + 3 edges = 5.
    p = (Problem([1, 2, 3, 4], [1.0, 1.1, 1.0, 1.2]).add_features([[1, 1, 1, 1]]).absolute_targets(2)
         .add_boundary([1, 2, 3], [2, 3, 4], [1, 1, 1]).minimize_cost())
    assert p.solver("highs").solve().selected_ids.tolist() == [1, 3]
    sol = p.boundary_penalty(1.0).solver("highs").solve()
    assert sol.selected_ids.tolist() == [1, 2] and sol.objective == pytest.approx(3.1)
    sol = p.boundary_penalty(1.0).solver("anneal", seed=1, iterations=50_000, restarts=2).solve()
    assert sol.selected_ids.tolist() == [1, 2]


def test_infeasible_min_set_raises():
    p = m14().absolute_targets(3).lock_out([1, 2]).minimize_cost()
    with pytest.raises(InfeasibleError, match="targets"):
        p.solve()


def test_max_utility_and_coverage():
    # budget 3 on costs [1,2,3,4]: utility (amounts 1, 5, 2, 9) -> {2} (5) beats {1,2} (6)? no: {1,2} = 6
    p = Problem([1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0]).add_features([[1, 5, 2, 9]])
    sol = p.maximize_utility(3.0).solver("highs").solve()
    assert sol.selected_ids.tolist() == [1, 2] and sol.objective == pytest.approx(6.0)
    # coverage: two features, targets 5 and 9; budget 4 -> only one can be met -> objective 1
    q = Problem([1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0]).add_features([[1, 5, 2, 0], [0, 0, 0, 9]])
    q = q.absolute_targets([5, 9]).maximize_coverage(4.0)
    assert q.solver("highs").solve().objective == pytest.approx(1.0)
    assert q.maximize_coverage(6.0).solver("highs").solve().objective == pytest.approx(2.0)
    with pytest.raises(SolverError):
        q.solver("anneal").solve()


def test_anneal_same_seed_same_result():
    p = line3().marxan_objective()
    a = p.solver("anneal", seed=11, iterations=5000, restarts=3).solve()
    b = p.solver("anneal", seed=11, iterations=5000, restarts=3, workers=1).solve()
    assert np.array_equal(a.x, b.x) and a.run_scores == b.run_scores
    assert len(a.runs) == 3


@settings(max_examples=25, deadline=None)
@given(small_problems())
def test_highs_matches_brute_force(p):
    p = p.marxan_objective()
    best, _ = brute_force(p)
    sol = p.solver("highs").solve(force=True)
    assert sol.objective == pytest.approx(best, rel=1e-7, abs=1e-7)
    assert evaluate(p, sol.x).score == pytest.approx(best, rel=1e-7, abs=1e-7)


@settings(max_examples=25, deadline=None)
@given(small_problems(), st.integers(0, 5))
def test_locking_out_never_lowers_the_optimum(p, k):
    """Adding a lock-out shrinks the feasible set, so the optimal cost cannot decrease (min_set and
    marxan objectives; feature penalties held fixed so the objectives are the same function)."""
    cand = np.flatnonzero(np.asarray(p.status) != 2)     # a locked-in unit cannot also be locked out
    assume(cand.size > 0)
    k = int(cand[k % cand.size])
    p = p.feature_penalties(p.feature_penalty_values())
    for obj in (p.marxan_objective(), p.minimize_cost()):
        q = obj.lock_out([int(obj.ids[k])])
        try:
            base = obj.solver("highs").solve().objective
        except InfeasibleError:
            with pytest.raises(InfeasibleError):
                q.solver("highs").solve()
            continue
        try:
            locked = q.solver("highs").solve().objective
        except InfeasibleError:
            continue      # infeasible = +inf >= base
        assert locked >= base - 1e-7 * max(1.0, abs(base))


def test_highs_honours_time_limit_small():
    import threading
    import time

    n_threads = threading.active_count()
    t = time.perf_counter()
    sol = m14().minimize_cost().solver("highs", time_limit=2.0).solve()
    # a small model: optimal in ~0.05 s, far inside the 2 s budget (40x slack), and no solver left
    # running after the call
    assert time.perf_counter() - t < 2.1 and sol.status == "optimal"
    assert threading.active_count() == n_threads


@settings(max_examples=15, deadline=None)
@given(small_problems(), st.sampled_from([1e7, 3e9]))
def test_huge_targets_are_scaled_without_changing_the_answer(p, factor):
    """Amounts (and so targets) ×1e7…3e9 trigger the row/column scaling handed to HiGHS once a target
    exceeds ``LARGE``; with the
    feature penalties scaled to keep SPF·P/T the same, the optimum and the LP bound are unchanged."""
    from restoreplan.optimize.compile import compile_problem
    from restoreplan.optimize.solvers.highs import LARGE, _scaling
    from restoreplan.optimize.solvers.lns import lp_lower_bound

    p = p.feature_penalties(p.feature_penalty_values()).marxan_objective()
    big = (Problem(list(p.ids), np.asarray(p.cost), status=list(np.asarray(p.status)))
           .add_features(p.amounts.toarray() * factor).absolute_targets(np.asarray(p.targets) * factor).occurrence_targets(np.asarray(p.occ_targets))
           .feature_penalties(p.feature_penalty_values()).boundary_penalty(p.blm).marxan_objective())
    if p.edges[0].size:
        big = big.add_boundary(np.asarray(p.ids)[p.edges[0]], np.asarray(p.ids)[p.edges[1]], p.edges[2])
    fb = np.asarray(p.fixed_boundary)
    if (fb > 0).any():
        ids = np.asarray(p.ids)[fb > 0]
        big = big.add_boundary(ids, ids, fb[fb > 0])
    # the scaling applies exactly when a target exceeds LARGE (a small target ×1e7 may stay below)
    R, U = _scaling(compile_problem(big))
    assert ((R != 1).any() or (U != 1).any()) == bool((np.asarray(big.targets) > LARGE).any())
    a = p.solver("highs", gap=0).solve(force=True)
    b = big.solver("highs", gap=0).solve(force=True)
    assert b.objective == pytest.approx(a.objective, rel=1e-6, abs=1e-6)
    la, lb = lp_lower_bound(p), lp_lower_bound(big)
    assert lb == pytest.approx(la, rel=1e-6, abs=1e-6) and lb <= b.objective + 1e-6 * max(1, abs(b.objective))


@pytest.mark.realdata
def test_time_limited_highs_reports_its_bound(marxan_anchors):
    """Stopped at the deadline, HiGHS still reports the dual bound it had proven (not nan)."""
    from restoreplan.optimize import read_marxan

    p = read_marxan(marxan_anchors / "tasmania_prioritizr" / "input.dat").problem
    p.feature_penalty_values()
    sol = p.solver("highs", time_limit=1.5, gap=0).solve()
    assert sol.status.startswith("time_limit")
    assert np.isfinite(sol.bound) and sol.bound <= 99865961.6656 + 1e-3   # the optimum (Marxan anchors)
    assert sol.gap == pytest.approx((sol.objective - sol.bound) / sol.objective, rel=1e-9)
