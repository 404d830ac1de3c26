"""LandUseSimulator API: scikit-learn conventions, grid/dtype round trip, determinism, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import restoreplan.landuse as lu
from restoreplan.core.errors import AlignmentError, ConfigError


def _demand_from(end):
    v = end.values[end.values != end.rio.nodata]
    codes, counts = np.unique(v, return_counts=True)
    return dict(zip(codes.tolist(), counts.tolist()))


def test_init_stores_params_only():
    sim = lu.LandUseSimulator(seed=3, neighborhood=5)
    assert not [k for k in vars(sim) if k.endswith("_")]
    assert sim.get_params()["neighborhood"] == 5 and sim.get_params()["seed"] == 3


def test_unfitted_simulate_raises(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    with pytest.raises(ConfigError, match="fit"):
        lu.LandUseSimulator().simulate(start, demand=_demand_from(end))


@pytest.fixture(scope="module")
def fitted(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    sim = lu.LandUseSimulator(seed=0, sample_rate=0.5, min_samples_leaf=2, n_jobs=1)
    assert sim.fit(start, end, drivers) is sim
    return sim


def test_fitted_attributes(fitted, synthetic_pair):
    start, end, drivers, water = synthetic_pair
    assert fitted.classes_.tolist() == [1, 2, 3]
    tm = fitted.transition_matrix_
    assert tm.index.name == "from" and tm.columns.name == "to"
    np.testing.assert_allclose(tm.sum(axis=1), 1.0)
    assert tm.loc[2, 2] == 1.0  # the core never changes back
    dp = fitted.development_probability_
    assert dp.dims == ("class", "y", "x") and dp.dtype == np.float32
    valid = dp.values[np.isfinite(dp.values)]
    assert valid.min() >= 0 and valid.max() <= 1
    assert np.all(np.isnan(dp.values[:, :4, -4:]))  # nodata corner
    assert np.all(dp.sel({"class": 3}).values[np.isfinite(dp.sel({"class": 3}).values)] == 0)  # 3 never expands
    c = fitted.driver_contribution_
    assert fitted.feature_names_in_ == ["dist_core", "dist_road", "noise"]
    assert list(c.columns[:3]) == ["dist_core", "dist_road", "noise"]
    assert {"distance_to_1", "share_of_2"} <= set(c.columns)  # derived from the start map
    assert abs(c.loc[2].sum() - 1) < 1e-9 and c.loc[2, "noise"] < max(c.loc[2, "dist_core"], c.loc[2, "dist_road"])
    assert fitted.neighborhood_weights_.loc[2] == 1.0
    assert int(fitted.expansion_.values.max()) == 2


def test_simulate_meets_demand_on_grid(fitted, synthetic_pair):
    start, end, drivers, water = synthetic_pair
    demand = _demand_from(end)
    out = fitted.simulate(start, demand=demand, constraint=water)
    assert out.dims == ("y", "x") and out.dtype == start.dtype and out.rio.nodata == 255
    assert out.rio.crs == start.rio.crs and out.rio.transform() == start.rio.transform()
    assert _demand_from(out) == demand
    assert np.array_equal(out.values[:, :5], start.values[:, :5])  # water locked
    f = lu.figure_of_merit(start, end, out)
    assert f.fom > 0.3  # the synthetic change is driven by the drivers and neighbourhood
    k = lu.kappa(end, out)
    assert 0.5 < k <= 1.0


def test_same_seed_same_map_different_seed_differs(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    kw = dict(sample_rate=0.5, min_samples_leaf=2, n_jobs=1)
    d = _demand_from(end)
    a = lu.LandUseSimulator(seed=1, **kw).fit(start, end, drivers).simulate(start, demand=d)
    b = lu.LandUseSimulator(seed=1, **kw).fit(start, end, drivers).simulate(start, demand=d)
    c = lu.LandUseSimulator(seed=2, **kw).fit(start, end, drivers).simulate(start, demand=d)
    assert a.values.tobytes() == b.values.tobytes()
    assert a.values.tobytes() != c.values.tobytes()


def test_conversion_matrix_orientation(fitted, synthetic_pair):
    start, end, drivers, water = synthetic_pair
    d = _demand_from(end)
    with pytest.raises(ConfigError, match="orientation"):
        fitted.simulate(start, demand=d, conversion=np.ones((3, 3)))
    codes = pd.Index([1, 2, 3])
    tm = pd.DataFrame(1, index=codes.rename("from"), columns=codes.rename("to"))
    tm.loc[1, 2] = 0  # crop may not become built-up
    with pytest.warns(lu.ConvergenceWarning):
        out = fitted.simulate(start, demand=d, conversion=tm)
    assert not np.any((start.values == 1) & (out.values == 2))
    arr = tm.to_numpy()
    with pytest.warns(lu.ConvergenceWarning):
        out2 = fitted.simulate(start, demand=d, conversion=arr.T, orientation="from_columns")
    assert out2.values.tobytes() == out.values.tobytes()


def test_demand_errors(fitted, synthetic_pair):
    start, end, drivers, water = synthetic_pair
    d = _demand_from(end)
    with pytest.raises(ConfigError, match="missing codes"):
        fitted.simulate(start, demand={1: d[1], 2: d[2]})
    bad = dict(d)
    bad[1] += 500
    with pytest.raises(ConfigError, match="valid cells"):
        fitted.simulate(start, demand=bad)


def test_misaligned_driver_raises(synthetic_pair):
    start, end, drivers, water = synthetic_pair
    shifted = drivers.assign_coords(x=drivers.x + 30.0)  # one cell east of the maps' grid
    with pytest.raises(AlignmentError):
        lu.LandUseSimulator(n_jobs=1).fit(start, end, shifted)


def test_time_label_and_new_drivers(fitted, synthetic_pair):
    start, end, drivers, water = synthetic_pair
    out = fitted.simulate(start, demand=_demand_from(end), drivers=drivers, time_label=2020)
    assert out.dims == ("time", "y", "x") and out["time"].item() == 2020
