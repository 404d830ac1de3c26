"""Ant colony optimization for raster zoning: the single-peak case, determinism, constraints,
and ACO against the plain top-x % selection on its own objective."""

import numpy as np
import pytest
from scipy import ndimage

from restoreplan.core.errors import InfeasibleError
from restoreplan.optimize.solvers.aco import (
    aco_select,
    aco_tiers,
    compare_with_rank,
    rank_baseline,
    selection_metrics,
)
from restoreplan.testing import make_raster


def _peak(n=10, at=(6, 3)):
    yy, xx = np.mgrid[0:n, 0:n]
    return np.exp(-((yy - at[0]) ** 2 + (xx - at[1]) ** 2) / 8.0)


def _noisy(n=40, seed=1):
    """A smooth field plus cell noise, like a per-pixel FUI index: top-x % is scattered."""
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.random((n, n)), 3)
    f = (f - f.min()) / (f.max() - f.min())
    return 0.6 * f + 0.4 * rng.random((n, n))


def test_selection_metrics_of_a_block():
    # 3×3 block: Σk = centre 8 + 4 edges·5 + 4 corners·3 = 40 → compactness 40/(8·9) = 0.5556
    sel = np.zeros((6, 6), bool)
    sel[1:4, 1:4] = True
    sel[5, 5] = True                                  # a second patch of one cell
    m = selection_metrics(sel[:5, :5], np.ones((5, 5)))
    assert m["compactness"] == pytest.approx(40 / 72) and m["n_patches"] == 1
    assert selection_metrics(sel, np.ones((6, 6)))["n_patches"] == 2


def test_single_peak_finds_the_3x3_block():
    idx = _peak()
    res = aco_select(idx, None, 9, seed=0, n_iter=50, local_search=False)
    block = np.zeros_like(idx, bool)
    block[5:8, 2:5] = True
    assert res.n_cells == 9 and (res.selection == block).all() and res.iterations <= 50


def test_deterministic_for_a_seed_and_constraints_hold():
    idx = _noisy(24)
    mask = np.ones(idx.shape, bool)
    mask[:, :4] = False
    locked = np.zeros(idx.shape, bool)
    locked[10, 10] = True
    a = aco_select(idx, mask, 60, seed=3, n_iter=25, n_ants=10, locked_in=locked)
    b = aco_select(idx, mask, 60, seed=3, n_iter=25, n_ants=10, locked_in=locked)
    assert (a.selection == b.selection).all() and np.array_equal(a.history, b.history)
    assert a.selection.sum() == 60 and not a.selection[:, :4].any() and a.selection[10, 10]
    assert np.all(np.diff(a.history) >= 0)            # best-so-far never decreases
    with pytest.raises(InfeasibleError):
        aco_select(idx, mask, int(mask.sum()) + 1)


def test_aco_beats_the_top_x_selection_on_its_objective(capsys):
    idx = _noisy(40)
    n = int(0.15 * idx.size)                           # 15 % of the area
    res = aco_select(idx, None, n, seed=0, n_iter=60, n_ants=20, patience=20)
    tab = compare_with_rank(idx, None, res)
    with capsys.disabled():
        print("\nACO vs top-x % (40×40 noisy index, N = 240, w_s = 0.7, w_c = 0.3)\n" + tab.to_string())
    assert tab.loc["aco", "cells"] == tab.loc["top_x", "cells"] == n
    assert tab.loc["aco", "objective"] > tab.loc["top_x", "objective"]
    assert tab.loc["aco", "n_patches"] < tab.loc["top_x", "n_patches"]
    base = rank_baseline(idx, None, n)
    assert idx[base].min() >= idx[~base].max()        # the baseline is the plain ranking


def test_nested_tiers():
    idx = _noisy(30, seed=4)
    da = make_raster(idx, res=1000)
    tiers, tab = aco_tiers(da, cuts=(10, 30), n_iter=15, n_ants=8)
    v = tiers.values
    assert (v == 1).sum() == 90 and (v <= 2).sum() == 270 and (v == 3).sum() == 630
    assert tiers.attrs["cuts"] == "10,30,100" and tiers.rio.crs == da.rio.crs
    assert set(tab["method"]) == {"aco", "top_x"}
