"""Core registered methods: slope, distance, class areas (hand-computed)."""

import math

import numpy as np
import pytest

from restoreplan.core.errors import ConfigError
from restoreplan.pipeline.steps import class_area, distance_to_classes, slope
from restoreplan.testing import assert_numpy_dask_equal, make_raster


def test_slope_of_a_plane():
    # z rises 30 m per 30 m cell eastwards → dz/dx = 1 → 45°, and 100 %
    z = np.tile(np.arange(6, dtype=np.float32) * 30.0, (5, 1))
    dem = make_raster(z, res=30)
    s = slope(dem)
    np.testing.assert_allclose(s.values[1:-1, 1:-1], 45.0, rtol=1e-6)
    assert s.attrs["units"] == "degrees"
    np.testing.assert_allclose(slope(dem, units="percent").values[1:-1, 1:-1], 100.0, rtol=1e-6)
    # a 10 m/cell rise on 30 m cells → atan(1/3)
    s2 = slope(make_raster(z / 3, res=30))
    np.testing.assert_allclose(s2.values[2, 2], math.degrees(math.atan(1 / 3)), rtol=1e-6)


def test_slope_numpy_equals_dask_and_nan():
    rng = np.random.default_rng(0)
    z = rng.normal(50, 10, (9, 11)).astype(np.float32)
    z[4, 4] = np.nan
    ref, _ = assert_numpy_dask_equal(slope, make_raster(z), chunks=3)
    assert np.isnan(ref.values[4, 4]) and np.isfinite(ref.values[4, 5])


def test_distance_to_classes_exact():
    lulc = make_raster(np.array([[5, 1, 1, 1], [1, 1, 1, 255]], np.uint8), nodata=255)
    d = distance_to_classes(lulc, classes=[5])
    # distances in 30 m cells: (0,1)=1, (0,3)=3, (1,0)=1, (1,1)=√2, (1,2)=√5
    np.testing.assert_allclose(d.values[0, :3], [0, 30, 60])
    np.testing.assert_allclose(d.values[1, :3], [30, 30 * math.sqrt(2), 30 * math.sqrt(5)], rtol=1e-6)
    assert np.isnan(d.values[1, 3]) and d.attrs["units"] == "m"
    with pytest.raises(ConfigError, match="none of"):
        distance_to_classes(lulc, classes=[9])


def test_class_area_per_year():
    arr = np.array([[[1, 1], [2, 255]], [[1, 2], [2, 2]]], np.uint8)
    lulc = make_raster(arr, nodata=255, res=100)
    lulc = lulc.assign_coords(time=[2000, 2020])
    df = class_area(lulc, scheme="six_class")
    a = df.set_index(["year", "code"])["area_km2"]
    assert a[(2000, 1)] == pytest.approx(0.02) and a[(2020, 2)] == pytest.approx(0.03)  # 3 cells · 0.01 km²
    assert df[df.year == 2000]["share_pct"].sum() == pytest.approx(100.0)
    assert df.set_index(["year", "code"]).loc[(2000, 1), "name"] == "cropland"
