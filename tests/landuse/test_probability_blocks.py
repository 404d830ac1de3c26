"""Probability computation of LandUseSimulator: block loop, compact dtypes, only allocatable cells."""

from __future__ import annotations

import numpy as np
import pytest

import restoreplan.landuse as lu
from restoreplan.core.errors import ConfigError
from restoreplan.datasets.tiled import tiled_region
from restoreplan.landuse.features import FeatureRows, driver_layers, feature_matrix, feature_rows

pytestmark = pytest.mark.filterwarnings("ignore::restoreplan.landuse.simulator.ConvergenceWarning")


def _demand_from(end):
    v = end.values[end.values != end.rio.nodata]
    codes, counts = np.unique(v, return_counts=True)
    return dict(zip(codes.tolist(), counts.tolist()))


@pytest.fixture(scope="module")
def region():
    """A 150 × 150 synthetic region from the chunked generator (dask-backed drivers, 64² chunks)."""
    r = tiled_region(22_500, chunk=64, seed=3)
    first = r["lulc"].isel(time=0, drop=True).compute()
    last = r["lulc"].isel(time=-1, drop=True).compute()
    drivers = {"dem": r["dem"], "population": r["population"], "soil_depth": r["soil_depth"]}
    return first, last, drivers


def _sim(**kw):
    return lu.LandUseSimulator(seed=0, n_estimators=5, min_samples_per_class=200, n_jobs=1, **kw)


def test_feature_rows_equal_the_full_matrix(region):
    first, last, drivers = region
    a = first.values.astype(np.int32)
    valid = (first.values != 255) & (last.values != 255)
    classes = np.unique(a[valid])
    _, _, layers = driver_layers(drivers, first, a, valid, classes)
    X_full, ok_full = feature_matrix(list(layers), valid)
    X, ok = feature_rows(layers, valid)
    assert isinstance(X, FeatureRows) and len(X) == len(X_full) and X.shape == X_full.shape
    np.testing.assert_array_equal(ok, ok_full)
    idx = np.array([0, 5, len(X) - 1, 17])
    np.testing.assert_array_equal(X[idx], X_full[idx])
    assert X[idx].dtype == np.float32
    assert all(lay.dtype == np.float32 for lay in layers)   # every driver layer is float32, no float64 copy


def test_block_size_does_not_change_fit_probability_or_simulation(region):
    first, last, drivers = region
    demand = _demand_from(last)
    one = _sim(block_cells=10 ** 9).fit(first, last, drivers)
    small = _sim(block_cells=97).fit(first, last, drivers)
    p1, p2 = one.development_probability_, small.development_probability_
    assert p1.dtype == np.float32 and p2.dtype == np.float32
    np.testing.assert_array_equal(p1.values, p2.values)
    s1 = one.simulate(first, demand=demand)
    s2 = small.simulate(first, demand=demand)
    np.testing.assert_array_equal(s1.values, s2.values)
    assert s1.dtype == first.dtype == np.uint8


def test_simulate_uses_p_only_where_the_allocation_can_act(region):
    """P restricted to free cells of shrinking classes gives the map the full P gives."""
    first, last, drivers = region
    demand = _demand_from(last)
    water = (first != 4).rio.write_crs(first.rio.crs)
    sim = _sim().fit(first, last, drivers)
    fast = sim.simulate(first, demand=demand, constraint=water)
    assert "_development_probability" not in vars(sim)          # nothing full-grid was computed
    full = sim.development_probability_                         # the full P, computed on request
    assert full.dtype == np.float32
    assert np.isfinite(full.values).sum() > 0
    same = sim.simulate(first, demand=demand, constraint=water, probability=full)
    np.testing.assert_array_equal(fast.values, same.values)
    for alloc in ("ranking",):
        r1 = sim.simulate(first, demand=demand, constraint=water, allocation=alloc, probability=full)
        sim2 = _sim().fit(first, last, drivers)
        r2 = sim2.simulate(first, demand=demand, constraint=water, allocation=alloc)
        np.testing.assert_array_equal(r1.values, r2.values)


def test_n_jobs_defaults_to_the_thread_budget_and_does_not_change_results(region):
    import dask

    first, last, drivers = region
    demand = _demand_from(last)
    with dask.config.set(num_workers=1):
        sim = lu.LandUseSimulator(seed=0, n_estimators=5, min_samples_per_class=200)
        assert sim.n_jobs is None and sim._threads() == 1
        s1 = sim.fit(first, last, drivers).simulate(first, demand=demand)
    s2 = _sim().fit(first, last, drivers).simulate(first, demand=demand)
    np.testing.assert_array_equal(s1.values, s2.values)
    with pytest.raises(ConfigError, match="n_jobs"):
        lu.LandUseSimulator(n_jobs=0)._threads()


def test_share_layers_are_compact_counts_with_the_kernel_values():
    from restoreplan.landuse.drivers import class_share_counts, class_share_kernel
    from restoreplan.landuse.features import ShareLayer

    rng = np.random.default_rng(1)
    codes = rng.integers(1, 5, (700, 90))      # more rows than one band: band edges are exercised
    valid = rng.random(codes.shape) > 0.1
    classes = np.array([1, 2, 3, 4])
    counts, n = class_share_counts(codes, valid, classes, 2)
    assert counts.dtype == np.uint8 and n.dtype == np.uint8
    assert class_share_counts(codes, valid, classes, 8)[0].dtype == np.uint16     # 17² > 255
    shares = class_share_kernel(codes, valid, classes, 2)
    # reference: direct window sums (zero outside the map)
    pv = np.pad(valid, 2)
    pc = np.pad(valid & (codes == 3), 2)
    win = lambda m: sum(m[dy:dy + codes.shape[0], dx:dx + codes.shape[1]] for dy in range(5) for dx in range(5))
    ref = (win(pc) / np.maximum(win(pv), 1)).astype(np.float32)
    ref[~valid] = np.nan
    np.testing.assert_array_equal(shares[2], ref)
    lay = ShareLayer(counts[2].reshape(-1), n.reshape(-1), valid.reshape(-1))
    cells = np.array([0, 91, 5000, codes.size - 1])
    np.testing.assert_array_equal(lay[cells], ref.reshape(-1)[cells])
    assert lay[cells].dtype == np.float32
