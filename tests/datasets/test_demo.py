"""The synthetic demo region: determinism, grid, value ranges, believable land-use change, I/O, lazy tiles."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy import ndimage

import restoreplan as rp
import restoreplan.core.errors
import restoreplan.core.grid
from restoreplan.datasets import demo_grid, demo_region, demo_region_lazy
from restoreplan.datasets.fields import Landscape
from restoreplan.datasets.synthetic import ValueNoise, horn_slope

CONTRACT_LAYERS = {
    "lulc",
    "ndvi",
    "dem",
    "slope",
    "population",
    "gdp",
    "precipitation",
    "et0",
    "soil_depth",
    "pawc",
    "npp",
    "distance_to_road",
    "distance_to_river",
    "distance_to_settlement",
    "threat_construction",
    "threat_cropland",
    "threat_roads",
}
CONTRACT_VECTORS = {
    "roads",
    "rivers",
    "settlements",
    "poi",
    "watersheds",
    "subwatersheds",
    "mining_panels",
}
LAZY_LAYERS = CONTRACT_LAYERS - {"distance_to_road", "distance_to_river", "distance_to_settlement"}


@pytest.fixture(scope="module")
def region():
    """The default region (500 x 500, seed 0), shared by the module."""
    return demo_region()


@pytest.fixture(scope="module")
def small():
    return demo_region(size=96, seed=5)


def _flat(layers):
    for name, layer in layers.items():
        if isinstance(layer, dict):
            for y, da in layer.items():
                yield f"{name}@{y}", da
        else:
            yield name, layer


def _shares(lulc) -> np.ndarray:
    a = lulc.values
    a = a[a != 255]
    return np.bincount(a, minlength=7)[1:] / a.size


# ------------------------------------------------------------------ contract and determinism
def test_layer_and_vector_names_follow_the_design_contract(region):
    assert set(region.layers) == CONTRACT_LAYERS
    assert set(region.vectors) == CONTRACT_VECTORS
    assert sorted(region.layers["lulc"]) == [2000, 2010, 2020] == sorted(region.layers["ndvi"])


def test_same_seed_gives_byte_identical_layers_and_vectors(small):
    again = demo_region(size=96, seed=5)
    for name, da in _flat(small.layers):
        other = dict(_flat(again.layers))[name]
        assert da.dtype == other.dtype
        assert da.values.tobytes() == other.values.tobytes(), name
    for name, gdf in small.vectors.items():
        assert gdf.drop(columns="geometry").equals(again.vectors[name].drop(columns="geometry")), (
            name
        )
        assert all(gdf.geometry.geom_equals_exact(again.vectors[name].geometry, tolerance=0)), name


def test_different_seed_differs(small):
    other = demo_region(size=96, seed=6)
    assert not np.array_equal(small.layers["lulc"][2020].values, other.layers["lulc"][2020].values)
    assert not np.allclose(small.layers["dem"].values, other.layers["dem"].values, equal_nan=True)


def test_noise_never_touches_the_global_rng():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    demo_region(size=32, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)


@pytest.mark.parametrize(
    "bad", [{"size": 8}, {"size": 50.5}, {"seed": -1}], ids=["tiny", "fractional", "negative-seed"]
)
def test_bad_arguments_raise_with_the_argument_name(bad):
    with pytest.raises(rp.core.errors.DataError, match="size|seed"):
        demo_region(**{"size": 64, "seed": 0, **bad})


# ------------------------------------------------------------------ grid
def test_demo_grid_is_the_documented_grid():
    g = demo_grid(500)
    assert g.dims == ("y", "x") and g.shape == (500, 500)
    assert g.rio.crs.to_epsg() == 32649
    t = g.rio.transform()
    assert (t.a, t.e, t.c, t.f) == (30.0, -30.0, 760000.0, 3425000.0)
    assert g.rio.bounds() == (760000.0, 3410000.0, 775000.0, 3425000.0)


def test_every_raster_is_on_the_grid_with_units(region):
    grid = rp.core.grid.grid_of(region.grid)
    for name, da in _flat(region.layers):
        assert da.dims == ("y", "x"), name
        assert rp.core.grid.compare_grids(grid, rp.core.grid.grid_of(da)) == [], name
        assert da.attrs.get("units"), name
        if name.startswith("lulc"):
            assert da.dtype == np.uint8 and da.rio.nodata == 255
        else:
            assert da.dtype == np.float32 and np.isnan(da.rio.nodata), name
    for name, gdf in region.vectors.items():
        assert gdf.crs.to_epsg() == 32649 and len(gdf) > 0, name


def test_nodata_is_the_same_irregular_outline_in_every_layer(region):
    valid = region.layers["lulc"][2000].values != 255
    assert 0.35 < valid.mean() < 0.75  # irregular blob inside the square
    assert not valid[0].any() and not valid[-1].any() and not valid[:, 0].any()
    for name, da in _flat(region.layers):
        v = da.values
        ok = v != 255 if v.dtype == np.uint8 else np.isfinite(v)
        assert np.array_equal(ok, valid), name
    area = region.outline.area
    assert abs(valid.sum() * 900.0 - area) / area < 0.01


# ------------------------------------------------------------------ values
RANGES = {
    "ndvi@2000": (-1, 1),
    "ndvi@2020": (-1, 1),
    "dem": (20, 1000),
    "slope": (0, 60),
    "population": (0, 60000),
    "gdp": (0, 1e6),
    "precipitation": (900, 1400),
    "et0": (700, 1100),
    "soil_depth": (250, 1800),
    "pawc": (0.05, 0.30),
    "npp": (0, 1300),
    "distance_to_road": (0, 15000),
    "distance_to_river": (0, 15000),
    "distance_to_settlement": (0, 20000),
    "threat_construction": (0, 1),
    "threat_cropland": (0, 1),
    "threat_roads": (0, 1),
}


@pytest.mark.parametrize("name", sorted(RANGES), ids=sorted(RANGES))
def test_value_ranges(region, name):
    v = dict(_flat(region.layers))[name].values
    v = v[np.isfinite(v)]
    lo, hi = RANGES[name]
    assert v.min() >= lo - 1e-4 and v.max() <= hi + 1e-4
    assert v.std() > 0
    if name.startswith("threat"):
        assert set(np.unique(v)) == {0.0, 1.0}


def test_class_shares_look_like_a_hilly_county(region):
    s2000, s2020 = _shares(region.layers["lulc"][2000]), _shares(region.layers["lulc"][2020])
    crop, forest, grass, water, built, barren = s2000
    assert 0.35 < crop < 0.55 and 0.18 < forest < 0.35 and 0.05 < grass < 0.15
    assert 0.05 < water < 0.12 and 0.08 < built < 0.13 and 0.005 < barren < 0.04
    assert 0.12 < s2020[4] < 0.18 and s2020[0] < crop


def test_urban_area_grows_and_never_reverts(region):
    lulc = region.layers["lulc"]
    built = {y: lulc[y].values == 5 for y in (2000, 2010, 2020)}
    assert built[2000].sum() < built[2010].sum() < built[2020].sum()
    assert not (built[2000] & ~built[2010]).any() and not (built[2010] & ~built[2020]).any()
    new = built[2020] & ~built[2000]
    was = lulc[2000].values[new]
    assert (was == 1).mean() > 0.6  # mostly cropland lost
    d = region.layers["distance_to_road"].values
    crop = lulc[2000].values == 1
    assert np.mean(d[new]) < 0.5 * np.mean(d[crop])  # growth near roads and towns


def test_reforestation_on_steep_cropland_and_stable_water(region):
    a, b = region.layers["lulc"][2000].values, region.layers["lulc"][2020].values
    slope = region.layers["slope"].values
    refor = (a == 1) & (b == 2)
    assert refor.sum() > 0.005 * (a != 255).sum()
    assert slope[refor].mean() > 2 * slope[a == 1].mean()
    water = a == 4
    assert (b[water] == 4).mean() > 0.98
    gb = np.isin(a, (3, 6)) & np.isin(b, (3, 6)) & (a != b)
    assert 0 < gb.sum() < 0.02 * (a != 255).sum()  # a little grassland <-> barren change


def test_ndvi_follows_land_use(region):
    for y in (2000, 2020):
        c, n = region.layers["lulc"][y].values, region.layers["ndvi"][y].values
        means = {k: n[c == k].mean() for k in range(1, 7)}
        assert means[2] > means[1] > means[5] > means[4]
        assert means[3] > means[6]


def test_slope_is_derived_from_the_dem_with_30m_cells(region):
    dem = region.layers["dem"].values
    ref = horn_slope(dem)  # NaN wherever the 3x3 window leaves the study area
    got = region.layers["slope"].values[1:-1, 1:-1]
    ok = np.isfinite(ref)
    assert ok.sum() > 10000
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-5, atol=1e-4)


def test_rivers_flow_east_along_valley_floors(region):
    rivers = region.vectors["rivers"]
    main = rivers[rivers["order"] == 2]
    assert len(main) >= 1
    on = rp.io.rasterize(main, like=region.grid, value=1.0).values > 0
    dem = region.layers["dem"].values
    on &= np.isfinite(dem)
    around = ndimage.maximum_filter(np.nan_to_num(dem, nan=-1), size=41)
    assert np.all(dem[on] < around[on] - 20)  # hills rise around every river cell
    cols = np.nonzero(on)[1]
    assert np.corrcoef(cols, dem[on])[0, 1] < -0.95  # valley floor falls eastwards
    assert (region.layers["lulc"][2020].values[on] == 4).mean() > 0.9


def test_distance_rasters_are_exact_edt_of_the_features(region):
    d_road = region.layers["distance_to_road"].values
    roads = region.layers["threat_roads"].values == 1
    assert np.all(d_road[roads] == 0) and np.all(d_road[np.isfinite(d_road) & ~roads] >= 30)
    pts = (
        rp.io.rasterize(
            region.vectors["settlements"], like=region.grid, value=1.0, all_touched=True
        ).values
        > 0
    )
    expect = ndimage.distance_transform_edt(~pts, sampling=30).astype(np.float32)
    d = region.layers["distance_to_settlement"].values
    ok = np.isfinite(d)
    np.testing.assert_allclose(d[ok], expect[ok], atol=1e-2)


# ------------------------------------------------------------------ vectors
def test_vectors_have_the_documented_columns(region):
    v = region.vectors
    assert set(v["roads"]["highway"]) <= {"trunk", "primary", "secondary", "tertiary"}
    assert (v["roads"].geom_type == "LineString").all() and (
        v["rivers"].geom_type == "LineString"
    ).all()
    s = v["settlements"]
    assert (s.geom_type == "Point").all() and s["population"].min() > 0 and s["name"].is_unique
    assert (s["kind"] == "county_seat").sum() == 1
    assert {"category", "weight"} <= set(v["poi"]) and v["poi"]["weight"].between(0, 1).all()
    m = v["mining_panels"]
    for col, lo, hi in [
        ("thickness_m", 1, 8),
        ("depth_m", 100, 1000),
        ("dip_deg", 0, 30),
        ("q", 0.4, 1.0),
        ("tan_beta", 1.0, 3.5),
    ]:
        assert m[col].between(lo, hi).all(), col
    rect = shapely.minimum_rotated_rectangle(m.geometry.values)
    sides = [sorted(np.hypot(*np.diff(np.asarray(r.exterior.coords)[:3], axis=0).T)) for r in rect]
    assert all(100 < w < 400 and 500 < length < 2000 for w, length in sides)


def test_watersheds_tile_the_study_area(region):
    ws, sub = region.vectors["watersheds"], region.vectors["subwatersheds"]
    assert (ws.geom_type == "Polygon").all() and (sub.geom_type == "Polygon").all()
    assert (
        ws["ws_id"].is_unique
        and sub["subws_id"].is_unique
        and set(sub["ws_id"]) == set(ws["ws_id"])
    )
    assert len(sub) > len(ws) >= 2
    area = region.outline.area
    assert sub.geometry.union_all().area > 0.97 * area
    assert ws.geometry.area.sum() == pytest.approx(sub.geometry.area.sum(), rel=0.02)
    assert sub.geometry.area.sum() == pytest.approx(
        sub.geometry.union_all().area, rel=1e-6
    )  # no overlaps


# ------------------------------------------------------------------ series and I/O
def test_series_stacks_years_on_a_time_dim(region):
    s = region.series("lulc")
    assert s.dims == ("time", "y", "x") and list(s.time.values) == [2000, 2010, 2020]
    assert s.rio.nodata == 255 and s.rio.crs.to_epsg() == 32649 and s.attrs["units"] == "class"
    assert np.array_equal(s.sel(time=2010).values, region.layers["lulc"][2010].values)
    n = region.series("ndvi")
    assert n.dtype == np.float32 and np.isnan(n.rio.nodata)
    with pytest.raises(KeyError, match="multi-year"):
        region.series("dem")


def test_write_round_trips_through_read_raster(tmp_path, small):
    out = small.write(tmp_path / "démo 区域")
    assert set(out["layers"]) == CONTRACT_LAYERS and set(out["vectors"]) == CONTRACT_VECTORS
    assert (
        out["layers"]["lulc"][2000].name == "lulc_2000.tif"
        and out["layers"]["dem"].name == "dem.tif"
    )
    for y, path in out["layers"]["lulc"].items():
        back = rp.io.read_raster(path, kind="categorical")
        assert rp.io.class_counts(back) == rp.io.class_counts(small.layers["lulc"][y])
        assert back.rio.nodata == 255 and back.dtype == np.uint8
    dem = rp.io.read_raster(out["layers"]["dem"], kind="continuous")
    np.testing.assert_array_equal(dem.values, small.layers["dem"].values)
    assert (
        rp.core.grid.compare_grids(rp.core.grid.grid_of(dem), rp.core.grid.grid_of(small.grid))
        == []
    )
    roads = rp.io.read_vector(out["vectors"]["roads"])
    assert len(roads) == len(small.vectors["roads"]) and "highway" in roads


# ------------------------------------------------------------------ lazy / chunked
def test_lazy_tiles_equal_the_eager_region():
    eager = demo_region(size=150, seed=2)
    lazy = demo_region_lazy(150, seed=2, chunks=64)  # 64, 64, 22: seams and a ragged edge
    assert lazy.lazy and set(lazy.layers) == LAZY_LAYERS
    assert lazy.layers["dem"].chunks == ((64, 64, 22), (64, 64, 22))
    for name, da in _flat(lazy.layers):
        ref = dict(_flat(eager.layers))[name]
        assert da.dtype == ref.dtype and da.attrs["units"] == ref.attrs["units"]
        assert np.array_equal(da.values, ref.values, equal_nan=True), name
    assert lazy.series("lulc").shape == (3, 150, 150)


def test_chunked_generation_of_a_large_grid_is_deterministic_and_seam_consistent():
    a = demo_region(size=700, seed=4, chunks=128)  # > 640 cells: thresholds from sample windows
    b = demo_region_lazy(700, seed=4, chunks=160)
    win = (slice(230, 330), slice(300, 400))  # crosses seams of both chunkings
    land = Landscape(700, 4)
    whole = land.tile(230, 330, 300, 400)
    for name, year in [("lulc", 2020), ("slope", None), ("population", None)]:
        la = a.layers[name][year] if year else a.layers[name]
        lb = b.layers[name][year] if year else b.layers[name]
        va, vb = la[win].values, lb[win].values
        assert np.array_equal(va, vb, equal_nan=True), name
        assert np.array_equal(va, whole.layer(name, year), equal_nan=True), name
    assert (a.layers["lulc"][2020][win].values != 255).any()


def test_value_noise_is_the_same_on_a_grid_and_at_points():
    n = ValueNoise(seed=3, field=9, scale_m=500.0, octaves=3)
    y = np.arange(0, 3000, 30.0)[:, None]
    x = np.arange(-600, 2400, 30.0)[None, :]
    grid = n(y, x)
    yy, xx = np.broadcast_arrays(y, x)
    assert np.array_equal(grid, n(yy.ravel(), xx.ravel()).reshape(grid.shape))
    assert 0 <= grid.min() and grid.max() <= 1 and grid.std() > 0.05
    # spatially autocorrelated: neighbours are much closer than random pairs
    assert np.abs(np.diff(grid, axis=1)).mean() < 0.2 * np.abs(grid - grid.mean()).mean() * 2
