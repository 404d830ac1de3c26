"""Marxan 4.0.6 anchors (../shared/anchors/marxan): targets, feature penalties and score breakdowns
of Marxan's own and the ILP solutions, reproduced to 1e-6 relative; a short Tasmania solve."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest

from restoreplan.optimize import evaluate, read_marxan

pytestmark = pytest.mark.realdata

CASES = [("tasmania_prioritizr", "1", "marxan_1e8_best"), ("tasmania_prioritizr", "1", "ilp_optimal"),
         ("bc_ocean_marxancloud", "1", "marxan_1e8_best"), ("bc_ocean_marxancloud", "0.1", "marxan_1e8_best")]


@pytest.fixture(scope="module")
def projects(marxan_anchors):
    return {d: read_marxan(marxan_anchors / d / "input.dat") for d in ("tasmania_prioritizr", "bc_ocean_marxancloud")}


@pytest.mark.parametrize("folder,blm", [("tasmania_prioritizr", "1"), ("bc_ocean_marxancloud", "1"),
                                        ("bc_ocean_marxancloud", "0.1")], ids=["tas", "bc-blm1", "bc-blm0.1"])
def test_targets_and_feature_penalties(projects, marxan_anchors, folder, blm):
    p = projects[folder].problem.boundary_penalty(float(blm))
    exp = pd.read_csv(marxan_anchors / folder / "expected" / f"feature_targets_penalties_blm{blm}.csv")
    assert exp.spid.tolist() == p.feature_ids.tolist()
    np.testing.assert_allclose(p.targets, exp.target, rtol=1e-9)
    np.testing.assert_allclose(p.spf, exp.spf)
    np.testing.assert_allclose(p.feature_penalty_values(), exp.penalty, rtol=1e-9)


@pytest.mark.parametrize("folder,blm,which", CASES, ids=["tas-marxan", "tas-ilp", "bc-blm1", "bc-blm0.1"])
def test_score_breakdown_matches_marxan(projects, marxan_anchors, folder, blm, which):
    p = projects[folder].problem.boundary_penalty(float(blm))
    sol = pd.read_csv(marxan_anchors / folder / "expected" / f"{which}_solution_blm{blm}.csv")
    res = json.loads((marxan_anchors / folder / "expected" / "results.json").read_text())
    exp = (res[f"blm{blm}"] if folder.startswith("bc") else res)[which.replace("ilp_optimal", "ilp_optimum")]
    ev = evaluate(p, dict(zip(sol.puid, sol.solution)))
    for key, got in (("score", ev.score), ("cost", ev.cost), ("boundary", ev.connectivity),
                     ("penalty", ev.penalty), ("shortfall", ev.shortfall)):
        assert got == pytest.approx(exp[key], rel=1e-6, abs=1e-6), key
    assert ev.missing_values == exp["missing"] and ev.planning_units == exp["n_selected"]


def test_tasmania_status_and_sizes(projects):
    p = projects["tasmania_prioritizr"].problem
    st = np.asarray(p.status)
    assert p.n_units == 1751 and p.n_features == 17
    assert (st == 2).sum() == 317 and (st == 3).sum() == 1
    assert p.edges[0].size == 5029 and (np.asarray(p.fixed_boundary) > 0).sum() == 227


@pytest.mark.slow
def test_tasmania_highs_within_half_percent_in_15s(projects):
    p = projects["tasmania_prioritizr"].problem
    p.feature_penalty_values()
    t = time.perf_counter()
    sol = p.solver("highs", time_limit=15.0).solve()
    took = time.perf_counter() - t
    # measured: HiGHS' incumbent reaches 1.001 x the optimum after 5.6 s at load average 11 on
    # 2 cores (1.066 before); the 0.1 %-in-5-s figure on an idle machine is what
    # benchmarks/marxan_anchors.py records. The suite runs beside other work: 15 s is ~3x the time
    # the 0.5 % asserted here takes under that load, and the deadline itself is checked with 3x slack
    assert took < 3 * 15.0
    assert sol.objective <= 99865961.6656 * 1.005
    assert sol.bound <= 99865961.6656 + 1e-3
    assert evaluate(p, sol.x).score == pytest.approx(sol.objective, rel=1e-9)


def test_tasmania_anneal_deterministic(projects):
    p = projects["tasmania_prioritizr"].problem
    a = p.solver("anneal", seed=5, iterations=200_000, restarts=2).solve()
    b = p.solver("anneal", seed=5, iterations=200_000, restarts=2).solve()
    assert np.array_equal(a.x, b.x)
    ev = evaluate(p, a.x)
    assert ev.score == pytest.approx(a.objective) and ev.score < 1.1e8
    assert (a.x[np.asarray(p.status) == 2] == 1).all() and (a.x[np.asarray(p.status) == 3] == 0).all()


@pytest.mark.slow
def test_tasmania_anneal_honours_time_limit(projects):
    p = projects["tasmania_prioritizr"].problem
    p.feature_penalty_values()
    t = time.perf_counter()
    sol = p.solver("anneal", time_limit=3.0, seed=1, restarts=2).solve()
    assert time.perf_counter() - t < 3 * 3.0  # 3x slack: the suite runs beside other work
    assert len(sol.runs) == 2 and sol.objective == pytest.approx(evaluate(p, sol.x).score)
    assert sol.objective < 1.03 * 99865961.6656


@pytest.mark.slow
def test_isolated_highs_is_killed_at_the_deadline(projects):
    """HiGHS in a worker process: stopped at the deadline, the worker is gone (killed and reaped)
    and the best incumbent it streamed is returned."""
    import psutil

    p = projects["tasmania_prioritizr"].problem
    p.feature_penalty_values()
    t = time.perf_counter()
    sol = p.solver("highs", time_limit=6.0, isolate=True).solve()
    assert time.perf_counter() - t < 3 * 6.0  # 3x slack: the suite runs beside other work
    assert sol.solver.endswith("(isolated)")
    assert not [c for c in psutil.Process().children() if c.status() != psutil.STATUS_ZOMBIE]
    # HiGHS' third incumbent (1.067 x the optimum) comes 1.2 s after the start at load average 11 on
    # 2 cores, so 6 s leaves 5x slack for the check that streamed incumbents come back (not quality)
    assert sol.objective == pytest.approx(evaluate(p, sol.x).score) and sol.objective < 1.10 * 99865961.6656


def test_auto_strategy_by_size(projects):
    from restoreplan.optimize.solvers import auto_strategy

    tas = projects["tasmania_prioritizr"].problem
    bc = projects["bc_ocean_marxancloud"].problem
    assert auto_strategy(tas, 10) == "highs"
    assert auto_strategy(bc, 70) == "anneal"
    assert auto_strategy(bc.boundary_penalty(0.0), 70) == "highs"      # no boundary: a covering problem
