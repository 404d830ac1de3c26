"""Demand: quartic kernel Verify numbers, mass conservation, modes, proxies, numpy == dask."""

import dask
import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from restoreplan.core.errors import ConfigError, DataError
from restoreplan.services.demand import (
    composite_demand,
    construction_share,
    poi_demand_classes,
    poi_density,
    standardized_demand,
)
from restoreplan.testing import make_raster

X0, Y0 = 760000.0, 3410000.0


class _NoCompute:
    def __call__(self, dsk, keys, **kwargs):
        raise AssertionError("a dask compute happened inside a library function")


def _grid(n=101, res=20.0):
    """n x n grid whose centre cell's centre is (X0 + n*res/2, Y0 - n*res/2)."""
    return make_raster(np.ones((n, n), dtype=np.float32), res=res, x0=X0, y0=Y0, name="like")


def _centre(g):
    n = g.sizes["x"]
    return float(g.x[n // 2]), float(g.y[n // 2])


def test_verify_quartic_values():
    # worked example: one point, r = 1 km -> 0.954930 km^-2 at the point, 0.537148 at 500 m
    g = _grid(101, 20.0)
    cx, cy = _centre(g)
    f = poi_density(np.array([[cx, cy]]), like=g, radius_m=1000.0)
    assert f.sel(x=cx, y=cy).item() == pytest.approx(0.954930, abs=5e-7)
    assert f.sel(x=cx + 500, y=cy).item() == pytest.approx(0.537148, abs=5e-7)
    assert f.sel(x=cx, y=cy - 500).item() == pytest.approx(0.537148, abs=5e-7)
    assert f.attrs["units"] == "1/km2"
    fm = poi_density(np.array([[cx, cy]]), like=g, radius_m=1000.0, per="m2")
    assert fm.sel(x=cx, y=cy).item() == pytest.approx(0.954930e-6, rel=1e-6)


@pytest.mark.parametrize("mode", ["exact", "raster"], ids=str)
def test_mass_conservation(mode):
    # r = 25 cells (>= 20 cells): sum f * A_cell = w within 1 %
    g = _grid(81, 20.0)
    cx, cy = _centre(g)
    f = poi_density(np.array([[cx + 3.0, cy - 7.0]]), like=g, radius_m=500.0, weights=[2.5], mode=mode, per="m2")
    assert float(f.sum()) * 400.0 == pytest.approx(2.5, rel=0.01)


def test_raster_mode_close_to_exact_and_radius_check():
    rng = np.random.default_rng(0)
    g = _grid(60, 20.0)
    pts = np.column_stack([rng.uniform(X0, X0 + 1200, 40), rng.uniform(Y0 - 1200, Y0, 40)])
    a = poi_density(pts, like=g, radius_m=300.0)
    b = poi_density(pts, like=g, radius_m=300.0, mode="raster")
    assert float(abs(a - b).max()) < 0.05 * float(a.max())
    with pytest.raises(ConfigError, match="3 cells"):
        poi_density(pts, like=g, radius_m=50.0, mode="raster")
    with pytest.raises(ConfigError, match="radius_m"):
        poi_density(pts, like=g, radius_m=0.0)


def test_empty_zero_or_nan_and_points_outside_grid_count():
    g = _grid(30, 20.0)
    # a point 100 m west of the grid, r = 200 m: only cells within 200 m of it get density
    p = np.array([[X0 - 100.0, Y0 - 300.0]])
    fz = poi_density(p, like=g, radius_m=200.0)
    fn = poi_density(p, like=g, radius_m=200.0, empty="nan")
    assert float(fz.max()) > 0 and (fz.values == 0).sum() == np.isnan(fn.values).sum()
    np.testing.assert_array_equal(np.isnan(fn.values), fz.values == 0)
    fr = poi_density(p, like=g, radius_m=200.0, empty="nan", mode="raster")
    np.testing.assert_array_equal(np.isnan(fr.values), np.isnan(fn.values))


def test_geodataframe_weights_and_reprojection():
    g = _grid(40, 20.0)
    cx, cy = _centre(g)
    gdf = gpd.GeoDataFrame({"w": [2.0, 1.0]}, geometry=[Point(cx, cy), Point(cx + 200, cy)], crs="EPSG:32649")
    arr = poi_density(np.array([[cx, cy], [cx + 200, cy]]), like=g, radius_m=300.0, weights=[2.0, 1.0])
    via_gdf = poi_density(gdf, like=g, radius_m=300.0, weights="w")
    np.testing.assert_allclose(via_gdf.values, arr.values)
    ll = poi_density(gdf.to_crs("EPSG:4326"), like=g, radius_m=300.0, weights="w")
    np.testing.assert_allclose(ll.values, arr.values, rtol=1e-6, atol=1e-9)
    with pytest.raises(DataError, match="non-negative"):
        poi_density(gdf, like=g, radius_m=300.0, weights=[-1.0, 1.0])
    with pytest.raises(ConfigError, match="column"):
        poi_density(gdf, like=g, radius_m=300.0, weights="nope")


def test_mask_nodata_of_template():
    lu = make_raster(np.array([[1, 255], [1, 1]], dtype=np.uint8), nodata=255, res=100.0)
    f = poi_density(np.array([[float(lu.x[0]), float(lu.y[0])]]), like=lu, radius_m=500.0)
    assert np.isnan(f.values[0, 1]) and np.isfinite(f.values[1, 1])


@pytest.mark.parametrize("mode", ["exact", "raster"], ids=str)
def test_numpy_equals_dask_and_lazy(mode):
    rng = np.random.default_rng(1)
    g = _grid(37, 20.0)
    pts = np.column_stack([rng.uniform(X0, X0 + 740, 25), rng.uniform(Y0 - 740, Y0, 25)])
    ref = poi_density(pts, like=g, radius_m=150.0, mode=mode)
    with dask.config.set(scheduler=_NoCompute()):
        lazy = poi_density(pts, like=g.chunk({"y": 10, "x": 10}), radius_m=150.0, mode=mode)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_allclose(lazy.values, ref.values, rtol=1e-9, atol=1e-12)
    assert lazy.chunks == ((10, 10, 10, 7), (10, 10, 10, 7))


def test_poi_demand_classes_geometric():
    d = make_raster(np.array([[0.0, 1.0, 10.0, 10.5, 100.0, 1000.0]]))
    np.testing.assert_array_equal(poi_demand_classes(d).values, [[1, 1, 1, 2, 2, 3]])


def test_construction_share_window():
    C, F, ND = 5, 1, 255
    lu = make_raster(np.array([[C, C, F, F], [F, F, F, ND], [C, F, F, F]], dtype=np.uint8), nodata=ND)
    # 90 m window on 30 m cells = 3 x 3; shares over valid cells of the window
    s = construction_share(lu, construction_codes=(C,), window_m=90.0)
    expected = np.array([[2 / 4, 2 / 6, 1 / 5, 0 / 3], [3 / 6, 3 / 9, 1 / 8, np.nan], [1 / 4, 1 / 6, 0 / 5, 0 / 3]])
    np.testing.assert_allclose(s.values, 100 * expected)
    assert s.attrs["units"] == "%" and s.attrs["window_cells"] == 3
    with dask.config.set(scheduler=_NoCompute()):
        lazy = construction_share(lu.chunk({"y": 2, "x": 2}), construction_codes=(C,), window_m=90.0)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(lazy.values, s.values)


def test_composite_demand_peng():
    conl = make_raster(np.array([[50.0, 50.0, np.nan]]))
    pd_ = make_raster(np.array([[100.0, 0.5, 100.0]]))
    gdp = make_raster(np.array([[1000.0, 1000.0, 1000.0]]))
    esd = composite_demand(conl, pd_, gdp)
    # 50 * lg 100 * lg 1000 = 300; PD clipped to 1 -> lg 1 = 0; NaN propagates
    np.testing.assert_allclose(esd.values[0, :2], [300.0, 0.0])
    assert np.isnan(esd.values[0, 2])


def test_standardized_demand_directions():
    pop = make_raster(np.array([[0.0, 50.0, 100.0]]))
    dist = make_raster(np.array([[10.0, 20.0, 30.0]]))
    ds = standardized_demand({"population": pop, "distance": dist}, directions={"distance": "neg"})
    np.testing.assert_allclose(ds["population"].values, [[0, .5, 1]])
    np.testing.assert_allclose(ds["distance"].values, [[1, .5, 0]])
    with pytest.raises(ConfigError) as e:
        standardized_demand({"population": pop}, directions={"gdp": "up", "population": "down"})
    assert len(e.value.problems) == 2
