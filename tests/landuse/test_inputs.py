"""Simulator inputs: derived drivers, dict drivers, constraint semantics, nodata hints, alignment, sampling."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

import restoreplan as rp
import restoreplan.landuse as lu
from restoreplan.core.errors import AlignmentError, ConfigError, NodataWarning
from restoreplan.io import align
from restoreplan.landuse.leas import SampleSizeWarning, balanced_sample

from .conftest import make_raster


def _demand_from(end):
    v = end.values[end.values != end.rio.nodata]
    codes, counts = np.unique(v, return_counts=True)
    return dict(zip(codes.tolist(), counts.tolist()))


KW = dict(n_jobs=1, min_samples_per_class=200, n_estimators=10)


def test_drivers_module_is_an_attribute():
    assert rp.landuse.drivers.slope_degrees is lu.drivers.slope_degrees


def test_three_rasters_enough_derived_drivers_are_added(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    dem = drivers["dist_core"].rename("dem")  # any elevation-like layer
    sim = lu.LandUseSimulator(seed=0, **KW).fit(start, end, {"dem": dem, "noise": drivers["noise"]})
    names = sim.feature_names_
    assert names[:2] == ["dem", "noise"] and "slope_of_dem" in names
    assert {f"distance_to_{c}" for c in (1, 2, 3)} <= set(names)
    assert {f"share_of_{c}" for c in (1, 2, 3)} <= set(names)
    none = lu.LandUseSimulator(seed=0, derive=(), **KW).fit(start, end, {"dem": dem})
    assert none.feature_names_ == ["dem"]
    with pytest.raises(ConfigError, match="derive"):
        lu.LandUseSimulator(derive=("roads",), **KW).fit(start, end, {"dem": dem})


def test_simulating_from_another_map_rederives_its_drivers(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    sim = lu.LandUseSimulator(seed=0, **KW).fit(start, end, dict(drivers))
    fresh = sim.predict_probability(end)
    assert not np.allclose(np.nan_to_num(fresh.values), np.nan_to_num(sim.development_probability_.values))
    # cells already of class k never "develop" into k
    k2 = fresh.sel({"class": 2}).values
    assert np.all(k2[end.values == 2] == 0)
    out = sim.simulate(end, demand=_demand_from(end))
    same = sim.simulate(end, demand=_demand_from(end), probability=fresh)
    assert np.array_equal(out.values, same.values)


def test_ranking_allocation_meets_demand_without_randomness(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    sim = lu.LandUseSimulator(seed=0, **KW).fit(start, end, dict(drivers))
    d = _demand_from(end)
    a = sim.simulate(start, demand=d, constraint=water, allocation="ranking")
    b = sim.simulate(start, demand=d, constraint=water, allocation="ranking", seed=99)
    assert _demand_from(a) == d and np.array_equal(a.values, b.values)
    assert np.array_equal(a.values[:, :5], start.values[:, :5])
    # the top-probability cells of the growing class are the ones converted
    p = sim.development_probability_.sel({"class": 2}).values
    conv = (a.values == 2) & (start.values != 2)
    stay = (a.values == 1) & (start.values == 1) & (water.values == 1)
    assert p[conv].min() >= p[stay].max() - 1e-6


def test_boolean_constraint_from_uint8_with_255_nodata(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    sim = lu.LandUseSimulator(seed=0, **KW).fit(start, end, dict(drivers))
    free = water == 1  # bool DataArray carrying the uint8 raster's nodata 255
    out = sim.simulate(start, demand=_demand_from(end), constraint=free)
    assert np.array_equal(out.values[:, :5], start.values[:, :5])


def test_inverted_constraint_warns_and_all_locked_raises(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    sim = lu.LandUseSimulator(seed=0, **KW).fit(start, end, dict(drivers))
    inverted = (1 - water).rio.write_nodata(255, encoded=False).rename("water")
    with pytest.warns(lu.ConstraintWarning, match="inverted"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", lu.ConvergenceWarning)
            sim.simulate(start, demand=_demand_from(end), constraint=inverted)
    with pytest.raises(ConfigError, match="every one"):
        sim.simulate(start, demand=_demand_from(end), constraint=water * 0)


def test_forgotten_nodata_is_named(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    s = start.copy()
    s.rio.write_nodata(None, encoded=False, inplace=True)
    e = end.copy()
    e.rio.write_nodata(None, encoded=False, inplace=True)
    with pytest.warns(NodataWarning, match="write_nodata"):
        sim = lu.LandUseSimulator(seed=0, **KW).fit(s, e, dict(drivers))
    assert 255 in sim.classes_.tolist()
    demand = {c: n for c, n in _demand_from(end).items()}
    with pytest.raises(ConfigError, match=r"nodata.*write_nodata\(255"):
        sim.simulate(s, demand=demand)


def test_near_equal_coordinates_are_snapped_or_explained(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    shifted = drivers["noise"].assign_coords(x=drivers["noise"].x + 1e-9, y=drivers["noise"].y - 1e-9)
    snapped = align(shifted, like=start)
    assert np.array_equal(snapped.x.values, start.x.values) and np.array_equal(snapped.y.values, start.y.values)
    ds = xr.Dataset({"a": drivers["dist_core"], "b": shifted})  # outer join doubles the grid
    with pytest.raises(AlignmentError, match="differ by less than 1e-6 cell"):
        lu.LandUseSimulator(**KW).fit(start, end, ds)
    sim = lu.LandUseSimulator(seed=0, **KW).fit(start, end, {"a": drivers["dist_core"], "b": shifted})
    assert sim.development_probability_.sizes["y"] == start.sizes["y"]


def test_balanced_sample_bounds_and_small_class_warning():
    rng = np.random.default_rng(0)
    pos = np.zeros(100_000, bool)
    pos[:30_000] = True
    idx = balanced_sample(pos, 0.01, rng, min_per_group=2000, max_per_group=20000)
    assert pos[idx].sum() == 2000 and (~pos[idx]).sum() == 2000  # 1 % / 2 = 500 < minimum
    idx = balanced_sample(pos, 1.0, rng, min_per_group=2000, max_per_group=20000)
    assert pos[idx].sum() == 20000 and (~pos[idx]).sum() == 20000  # capped
    few = np.zeros(10_000, bool)
    few[:15] = True
    idx = balanced_sample(few, 0.01, rng, min_per_group=2000, max_per_group=20000)
    assert few[idx].sum() == 15 and (~few[idx]).sum() == 2000  # the whole small group
    X = rng.random((10_000, 2)).astype(np.float32)
    with pytest.warns(SampleSizeWarning, match="fewer than 2000 changed cells"):
        lu.leas.fit_leas(X, np.ones(10_000, int), np.where(few, 2, 0), np.array([1, 2]),
                         feature_names=["a", "b"], n_estimators=5, n_jobs=1)
