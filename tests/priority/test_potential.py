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


def test_excluded_land_use_is_never_potential():
    """Construction land (code 5) meets the deficit rule but is left out, with reason bit 8; lulc nodata → nodata."""
    b, t, d = _inputs()
    lu = make_raster(np.array([[5, 1, 5, 2, 5, 1]], np.uint8), res=100, nodata=255)
    r = potential_areas(b, t, d, lulc=lu)
    assert r.mask.values[0].tolist() == [0, 1, 0, 1, 0, NODATA]
    assert r.reason.values[0].tolist() == [1 | 8, 2, 4 | 8, 7, 0, NODATA]   # no rule met → no bit 8 either
    tab = potential_area_table(r).set_index("rule")
    assert tab.loc["excluded_land_use", "cells"] == 2 and tab.loc["potential_area", "cells"] == 2
    assert r.mask.attrs["excluded_classes"] == "5"
    # exclude nothing: the rules alone
    assert potential_areas(b, t, d, lulc=lu, exclude_classes=()).mask.values[0].tolist() == [1, 1, 1, 1, 0, NODATA]
    lu_nod = make_raster(np.array([[1, 1, 1, 1, 255, 1]], np.uint8), res=100, nodata=255)
    assert potential_areas(b, t, d, lulc=lu_nod).mask.values[0, 4] == NODATA


def test_exclusion_numpy_equals_dask():
    rng = np.random.default_rng(1)
    b = rng.normal(0, 1, (7, 9))
    d = rng.random((7, 9))
    lu = rng.integers(1, 7, (7, 9)).astype(np.uint8)
    lu[2, 2] = 255

    def f(x, z, u):
        r = potential_areas(x, None, z, use_decrease=False, lulc=u)
        return [r.mask, r.reason]

    assert_numpy_dask_equal(f, make_raster(b), make_raster(d), make_raster(lu, nodata=255), chunks=4)


def test_the_step_warns_without_land_use():
    from restoreplan.core.errors import AssumptionWarning
    from restoreplan.priority.steps import potential_areas_step

    b, t, d = _inputs()
    with pytest.warns(AssumptionWarning, match="lulc"):
        potential_areas_step(b, None, d, use_decrease=False)
