"""CARS kernel on small synthetic maps."""

from __future__ import annotations

import numpy as np
import pytest

from restoreplan.core.errors import ConfigError
from restoreplan.landuse.cars import adapt_driving_coefficient, cars_allocate


def _landscape(n=80, seed=0):
    """Class 0 everywhere, a class-1 block in the middle, class 2 scattered; P uniform-ish."""
    rng = np.random.default_rng(seed)
    lu = np.zeros((n, n), np.int8)
    lu[35:45, 35:45] = 1
    lu[rng.random((n, n)) < 0.05] = 2
    lu[:3, :3] = -1
    prob = rng.random((3, n, n)).astype(np.float32) * 0.5 + 0.5
    return lu, prob


def _demand(lu, moves):
    counts = np.bincount(lu[lu >= 0], minlength=3)
    return counts + np.asarray(moves)


def test_demand_met_exactly_and_nodata_kept():
    lu, prob = _landscape()
    demand = _demand(lu, [-300, 250, 50])
    r = cars_allocate(lu, prob, demand, seed=1)
    assert r.converged
    assert np.bincount(r.lu[r.lu >= 0], minlength=3).tolist() == demand.tolist()
    assert np.array_equal(r.lu < 0, lu < 0)
    assert (r.residual_gap == 0).all()


def test_growing_classes_never_lose_cells():
    lu, prob = _landscape()
    demand = _demand(lu, [-300, 250, 50])
    r = cars_allocate(lu, prob, demand, seed=2)
    assert np.all(r.lu[lu == 1] == 1)
    assert np.all(r.lu[lu == 2] == 2)


def test_constraint_cells_never_change():
    lu, prob = _landscape()
    allowed = np.ones(lu.shape, bool)
    allowed[:, :40] = False
    r = cars_allocate(lu, prob, _demand(lu, [-200, 200, 0]), allowed=allowed, seed=3)
    assert np.array_equal(r.lu[~allowed], lu[~allowed])
    assert r.converged


def test_conversion_matrix_is_respected():
    lu, prob = _landscape()
    tm = np.ones((3, 3), np.uint8)
    tm[0, 2] = 0  # 0 -> 2 forbidden; class 2 can then only grow from class 1, which is itself growing
    r = cars_allocate(lu, prob, _demand(lu, [-200, 150, 50]), conversion=tm, seed=4, complete_demand=True)
    assert not np.any((lu == 0) & (r.lu == 2))
    assert r.residual_gap[2] == 50 and not r.converged  # unreachable demand is reported, not forced


def test_neighbourhood_effect_grows_next_to_patches():
    # with equal P everywhere and no seeds (mu = 0), every new class-1 cell touches a class-1 cell
    n = 60
    lu = np.zeros((n, n), np.int8)
    lu[28:32, 28:32] = 1
    prob = np.full((2, n, n), 0.9, np.float32)
    r = cars_allocate(lu, prob, np.array([n * n - 16 - 60, 16 + 60]), mu=0.0, seed=5, complete_demand=False)
    new = (r.lu == 1) & (lu == 0)
    assert new.sum() == 60
    ys, xs = np.nonzero(r.lu == 1)
    # compact growth around the seed patch: all class-1 cells within a small radius of the centre
    assert np.hypot(ys - 29.5, xs - 29.5).max() < 8


def test_same_seed_identical_different_seed_differs():
    lu, prob = _landscape()
    demand = _demand(lu, [-300, 250, 50])
    a = cars_allocate(lu, prob, demand, seed=7)
    b = cars_allocate(lu, prob, demand, seed=7)
    c = cars_allocate(lu, prob, demand, seed=8)
    assert a.lu.tobytes() == b.lu.tobytes()
    assert a.lu.tobytes() != c.lu.tobytes()


def test_thread_count_does_not_change_result():
    lu, prob = _landscape(n=120)
    demand = _demand(lu, [-800, 600, 200])
    one = cars_allocate(lu, prob, demand, seed=9, n_threads=1)
    two = cars_allocate(lu, prob, demand, seed=9, n_threads=2)
    assert one.lu.tobytes() == two.lu.tobytes()


def test_input_not_mutated_and_nan_probability_blocks_change():
    lu, prob = _landscape()
    prob[:, 60:, :] = np.nan  # driver nodata: these cells cannot change
    before = lu.copy()
    r = cars_allocate(lu, prob, _demand(lu, [-100, 100, 0]), seed=10)
    assert np.array_equal(lu, before)
    assert np.array_equal(r.lu[60:], lu[60:])


def test_bad_demand_total_raises():
    lu, prob = _landscape()
    with pytest.raises(ConfigError, match="demand"):
        cars_allocate(lu, prob, _demand(lu, [-10, 5, 0]))


def test_adaptive_driving_coefficient_rules():
    d = np.ones(4)
    g2 = np.array([-10.0, 10.0, 10.0, -10.0])  # G^{t-2}
    g1 = np.array([-20.0, 20.0, 5.0, -5.0])    # G^{t-1}
    out = adapt_driving_coefficient(d, g1, g2)
    # class 0: 0 > G2 > G1 (deficit of cells growing more negative) -> × G2/G1 = 0.5
    # class 1: G1 > G2 > 0 -> × G1/G2 = 2; classes 2, 3: |G1| <= |G2| -> unchanged
    assert out.tolist() == [0.5, 2.0, 1.0, 1.0]
