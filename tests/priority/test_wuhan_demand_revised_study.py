"""examples/wuhan_demand_revised_priority.toml validates on the real data; the small steps it needs (constant_layer,
distance_to_features, merge_vectors, CSV points, reclassify nodata) on hand-checked inputs.

The full chain (~90 s) is not run here: see benchmarks/wuhan_demand_revised_priority.py and the README.
"""

import math
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from restoreplan.cli.main import cli
from restoreplan.core.errors import ConfigError, InputError
from restoreplan.io.vector import read_points_csv, read_vector
from restoreplan.pipeline import registry
from restoreplan.pipeline.steps import constant_layer, distance_to_features, merge_vectors
from restoreplan.testing import assert_numpy_dask_equal, make_raster

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "examples" / "wuhan_demand_revised_priority.toml"


def _four_parts(text: str) -> None:
    assert text.startswith("`") and "expected" in text and "; got " in text and "Fix: " in text


# ------------------------------------------------------------------------------- the study file
@pytest.mark.realdata
def test_wuhan_demand_revised_study_validates(wuhan):
    r = CliRunner().invoke(cli, ["validate", str(STUDY)])
    assert r.exit_code == 0, r.output
    assert "valid (44 step(s), 3 layer(s))" in r.output
    # its relative paths point into the shared bundle the fixture checked
    from restoreplan.pipeline.config import load_study

    st = load_study(STUDY)
    for spec in st.layers.values():
        for p in spec.files().values():
            assert st.resolve(p).resolve().is_relative_to(wuhan.resolve())
    pts = read_vector(st.resolve(st.vectors["settlements"].path), name="settlements")
    assert len(pts) == 73 and pts.crs.to_epsg() == 4326


def test_wuhan_demand_revised_study_uses_the_benchmark_inputs():
    raw = tomllib.loads(STUDY.read_text(encoding="utf-8"))
    steps = {s.get("id", s["method"]): s for s in raw["steps"]}
    assert {k: steps[k]["params"]["value"] for k in ("precipitation", "et0", "root_restricting_depth", "pawc")} == \
        {"precipitation": 1270.0, "et0": 1000.0, "root_restricting_depth": 1000.0, "pawc": 0.15}
    assert steps["cost_index_cs"]["params"]["unit_cost"]["6"] == 1.0      # ASSUMED unused-land cost
    assert steps["hs_2013"]["params"]["half_saturation"] == 0.3
    p = steps["marxan_priority_wh"]["params"]
    assert (p["pu_size"], p["target"], p["blm"], p["time_limit"]) == (33, 0.15, 1.0, 20.0)
    assert steps["aggregation_filter"]["params"]["min_area_km2"] == 100.0
    assert steps["poi_density"]["params"] == {"radius_m": 30000.0, "mode": "raster", "k": 3}
    assert sorted(raw["layers"]["lulc"]["paths"]) == ["2003", "2013"]
    assert "gdp" not in steps["cost_indicator_scores"]["inputs"]  # OMITTED, as in the benchmark
    head = STUDY.read_text(encoding="utf-8").split("[study]")[0]
    for word in ("REAL:", "PROXY:", "OMITTED:", "SYNTHETIC", "ASSUMED:"):
        assert word in head


# ------------------------------------------------------------------------------- constant_layer
def test_constant_layer_values_nodata_and_dask():
    lulc = make_raster(np.array([[1, 2, 255], [3, 255, 4], [5, 6, 1], [2, 2, 2]], np.uint8), nodata=255)
    ref, _ = assert_numpy_dask_equal(constant_layer, lulc, chunks=2, value=1270.0, units="mm/a", name="precipitation")
    v = ref.values
    assert ref.dtype == np.float32 and ref.name == "precipitation" and ref.attrs["units"] == "mm/a"
    assert "uniform 1270" in ref.attrs["synthetic"]
    np.testing.assert_array_equal(np.isnan(v), lulc.values == 255)
    assert (v[~np.isnan(v)] == np.float32(1270.0)).all()
    dem = make_raster(np.array([[1.0, np.nan], [3.0, 4.0]], np.float32))
    np.testing.assert_array_equal(np.isnan(constant_layer(dem, value=0.15).values), [[False, True], [False, False]])


def test_constant_layer_rejects_non_finite_value():
    lulc = make_raster(np.ones((2, 2), np.uint8), nodata=255)
    with pytest.raises(ConfigError) as e:
        constant_layer(lulc, value=float("nan"))
    _four_parts(str(e.value))


# ------------------------------------------------------------------------------- distance_to_features
def test_distance_to_features_exact_reprojected_and_masked():
    lulc = make_raster(np.array([[1, 1, 1, 1], [1, 1, 1, 255]], np.uint8), nodata=255)  # x0 760000, y0 3410000
    pt = gpd.GeoDataFrame(geometry=[Point(760045.0, 3409985.0)], crs="EPSG:32649")  # cell (0, 1)
    d = distance_to_features(pt, lulc)
    np.testing.assert_allclose(d.values[0, :4], [30, 0, 30, 60])
    np.testing.assert_allclose(d.values[1, :3], [30 * math.sqrt(2), 30, 30 * math.sqrt(2)], rtol=1e-6)
    assert np.isnan(d.values[1, 3]) and d.attrs["units"] == "m" and d.dtype == np.float32
    # the same point given in lon/lat lands in the same cell; the cap applies
    wgs = pt.to_crs("EPSG:4326")
    np.testing.assert_allclose(distance_to_features(wgs, lulc, max_distance_m=40.0).values[0, :4], [30, 0, 30, 40])
    # a dask template gives the same distances
    ref, _ = assert_numpy_dask_equal(distance_to_features, pt, lulc, chunks=2)
    np.testing.assert_array_equal(np.isnan(ref.values), lulc.values == 255)


def test_distance_to_features_errors():
    lulc = make_raster(np.ones((3, 3), np.uint8), nodata=255)
    far = gpd.GeoDataFrame(geometry=[Point(0.0, 0.0)], crs="EPSG:32649")
    with pytest.raises(ConfigError, match="none of the 1 feature") as e:
        distance_to_features(far, lulc)
    _four_parts(str(e.value))
    with pytest.raises(ConfigError, match="GeoDataFrame"):
        distance_to_features(np.zeros((1, 2)), lulc)
    with pytest.raises(ConfigError, match="no CRS"):
        distance_to_features(gpd.GeoDataFrame(geometry=[Point(760045.0, 3409985.0)]), lulc)


# ------------------------------------------------------------------------------- merge_vectors
def test_merge_vectors_crs_source_and_columns():
    a = gpd.GeoDataFrame({"name": ["a1", "a2"], "only_a": [1, 2]}, geometry=[Point(760045, 3409985)] * 2,
                         crs="EPSG:32649")
    b = gpd.GeoDataFrame({"name": ["b1"]}, geometry=[Point(114.0, 30.5)], crs="EPSG:4326")
    m = merge_vectors({"a": a, "b": b})
    assert list(m.columns) == ["source", "name", "geometry"] and m.crs == a.crs
    assert m["source"].tolist() == ["a", "a", "b"] and m["name"].tolist() == ["a1", "a2", "b1"]
    assert m.geometry.iloc[2].x == pytest.approx(b.to_crs(a.crs).geometry.iloc[0].x)
    g = merge_vectors([a, b], columns="geometry")
    assert list(g.columns) == ["source", "geometry"] and g["source"].tolist() == ["0", "0", "1"]


def test_merge_vectors_errors():
    a = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:32649")
    with pytest.raises(ConfigError, match="other objects for") as e:
        merge_vectors({"a": a, "b": "not a layer"})
    _four_parts(str(e.value))
    with pytest.raises(ConfigError, match="at least one layer"):
        merge_vectors({})
    with pytest.raises(ConfigError, match="no CRS"):
        merge_vectors({"a": a, "b": gpd.GeoDataFrame(geometry=[Point(0, 0)])})


# ------------------------------------------------------------------------------- CSV points
def test_read_points_csv_lon_lat(tmp_path):
    p = tmp_path / "places.csv"
    p.write_text("Lat,Lon,name\n30.35,114.31667,Zhifang\n30.5,114.25,X\n", encoding="utf-8")
    g = read_vector(p)
    assert len(g) == 2 and g.crs.to_epsg() == 4326 and g["name"].tolist() == ["Zhifang", "X"]
    assert (g.geometry.iloc[0].x, g.geometry.iloc[0].y) == (114.31667, 30.35)
    q = tmp_path / "utm.csv"
    q.write_text("e,n\n760045,3409985\n", encoding="utf-8")
    u = read_points_csv(q, x="e", y="n", crs="EPSG:32649")
    assert u.crs.to_epsg() == 32649 and u.geometry.iloc[0].x == 760045


@pytest.mark.parametrize("text,match", [
    ("x,y\n1,2\n", "lon and lat columns"),
    ("lon,lat\n114.3,30.3\n114.2,\n", "line\\(s\\) \\[3\\]"),
    ("lon,lat\n30.3,114.3\n", "latitudes in"),
], ids=["no-columns", "empty-coordinate", "swapped"])
def test_read_points_csv_errors(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match) as e:
        read_vector(p, name="vectors.settlements")
    _four_parts(str(e.value))
    assert str(e.value).startswith("`vectors.settlements`")


# ------------------------------------------------------------------------------- reclassify nodata
def test_reclassify_step_sets_output_nodata():
    lulc = make_raster(np.array([[1, 7], [-128, 4]], np.int16), nodata=-128)
    out = registry.get("reclassify").func(lulc, mapping="wuhan_to_six_class", unmapped="raise", nodata=255)
    assert out.dtype == np.uint8 and out.rio.nodata == 255
    np.testing.assert_array_equal(out.values, [[3, 3], [255, 5]])
