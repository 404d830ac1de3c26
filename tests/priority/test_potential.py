"""Potential restoration areas: rules, bit codes, combine, nodata, areas, numpy == dask."""

import numpy as np
import pytest

from restoreplan.core.errors import ConfigError
from restoreplan.priority.potential import NODATA, potential_area_table, potential_areas
from restoreplan.testing import assert_numpy_dask_equal, make_raster


def _inputs():
    # cell:            deficit  decrease  disorder  all-three  none   nodata(balance)
    bal = np.array([[-1.0, 1.0, 1.0, -2.0, 3.0, np.nan]])
    tcl = np.array([[0, -2, 1, -2, -1, 0]], np.int8)
    d = np.array([[0.5, 0.5, 0.4, 0.1, 0.41, 0.9]])
    return (make_raster(bal, res=100), make_raster(tcl, res=100, nodata=-128), make_raster(d, res=100))


def test_rules_bits_and_union():
    b, t, d = _inputs()
    r = potential_areas(b, t, d)
    assert r.reason.values[0].tolist() == [1, 2, 4, 7, 0, NODATA]     # D = 0.4 is disorder (≤), 0.41 is not
    assert r.mask.values[0].tolist() == [1, 1, 1, 1, 0, NODATA]
    assert r.mask.rio.nodata == NODATA and r.mask.rio.crs == b.rio.crs


def test_switches_all_and_extra_classes():
    b, t, d = _inputs()
    assert potential_areas(b, t, d, combine="all").mask.values[0, :5].tolist() == [0, 0, 0, 1, 0]
    r = potential_areas(b, t, d, use_deficit=False, use_disorder=False, trend_classes=(-2, -1))
    assert r.mask.values[0].tolist() == [0, 1, 0, 1, 1, 0]  # the NaN balance is not used any more
    only_d = potential_areas(coordination=d, use_deficit=False, use_decrease=False)
    assert only_d.mask.values[0].tolist() == [0, 0, 1, 1, 0, 0]
    with pytest.raises(ConfigError, match="use_decrease"):
        potential_areas(b, None, d)
    with pytest.raises(ConfigError):
        potential_areas(b, t, d, use_deficit=False, use_decrease=False, use_disorder=False)


def test_area_table():
    b, t, d = _inputs()
    tab = potential_area_table(potential_areas(b, t, d)).set_index("rule")
    # 100 m cells = 0.01 km²; 5 valid cells
    assert tab.loc["deficit", "cells"] == 2 and tab.loc["disorder", "cells"] == 2
    assert tab.loc["potential_area", "area_km2"] == pytest.approx(0.04)
    assert tab.loc["potential_area", "share_pct"] == pytest.approx(80.0)


def test_numpy_equals_dask():
    rng = np.random.default_rng(0)
    b = rng.normal(0, 1, (7, 9))
    b[3, 3] = np.nan
    t = rng.integers(-2, 3, (7, 9)).astype(np.int8)
    d = rng.random((7, 9))

    def f(x, y, z):
        r = potential_areas(x, y, z)
        return [r.mask, r.reason]

    assert_numpy_dask_equal(f, make_raster(b), make_raster(t, nodata=-128), make_raster(d), chunks=4)


def test_nothing_is_computed_at_call_time():
    import dask

    def forbid(*args, **kwargs):
        raise AssertionError("computed at call time")

    b, t, d = (x.chunk({"y": 1, "x": 3}) for x in _inputs())
    with dask.config.set(scheduler=forbid):
        r = potential_areas(b, t, d)
    assert r.mask.chunks is not None and r.reason.values[0].tolist() == [1, 2, 4, 7, 0, NODATA]
