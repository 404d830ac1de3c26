"""Raster/vector IO, atomic writes and alignment."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import restoreplan.io as rio_
from restoreplan.core.errors import InputError
from restoreplan.io import align, class_counts, read_raster, write_raster
from restoreplan.testing import make_raster

# the class counts printed in ../shared/data/wuhan_plus/README.md
WUHAN_COUNTS = {
    "wh2003_refy.tif": ("uint8", 15, [12742, 169912, 3005564, 362518, 132649, 1506974, 135893]),
    "wh2005_refy.tif": ("int8", -128, [13785, 166569, 3098723, 401413, 6300, 1432942, 206618]),
    "wh2010_refy.tif": ("int8", -128, [66408, 162629, 2774437, 612505, 148823, 1433723, 127594]),
    "wh2013_refy.tif": ("int8", -128, [44394, 231113, 2477356, 929417, 39413, 1453586, 150790]),
}


@pytest.mark.realdata
@pytest.mark.parametrize("fname", sorted(WUHAN_COUNTS), ids=sorted(WUHAN_COUNTS))
def test_wuhan_lulc_reads_with_readme_counts(wuhan, fname):
    dtype, nodata, counts = WUHAN_COUNTS[fname]
    da = read_raster(wuhan / "lulc" / fname, kind="categorical", chunks=1024)
    assert str(da.dtype) == dtype and da.rio.nodata == nodata
    assert da.rio.crs.to_epsg() == 32649 and da.shape == (2931, 2931)
    assert class_counts(da) == dict(zip(range(1, 8), counts))


@pytest.mark.realdata
def test_wuhan_continuous_driver_masked(wuhan):
    dem = read_raster(wuhan / "drivers" / "wh_df_dem.tif", kind="continuous")
    v = dem.values
    assert dem.dtype == np.float32 and np.isnan(v).any()
    assert -45 <= np.nanmin(v) and np.nanmax(v) <= 266  # README: valid range -45 … 266


@pytest.mark.parametrize("dtype,nodata", [("uint8", 255), ("int8", -128), ("int16", -9999)], ids=["u8", "i8", "i16"])
def test_categorical_roundtrip(tmp_path, dtype, nodata):
    arr = np.array([[1, 2, nodata], [3, 3, 1]], dtype=dtype)
    da = make_raster(arr, nodata=nodata)
    p = write_raster(da, tmp_path / "ünïcode dir" / "lulc.tif")
    back = read_raster(p, kind="categorical")
    assert back.dtype == np.dtype(dtype) and back.rio.nodata == nodata
    np.testing.assert_array_equal(back.values, arr)
    assert class_counts(back) == {1: 2, 2: 1, 3: 2}
    info = rio_.raster_info(p)
    assert info["class_counts"] == {"1": 2, "2": 1, "3": 2} and info["crs"] == "EPSG:32649"


def test_continuous_roundtrip_nan(tmp_path):
    arr = np.array([[0.5, np.nan], [2.0, 3.0]], np.float32)
    p = write_raster(make_raster(arr), tmp_path / "x.tif")
    back = read_raster(p)
    np.testing.assert_array_equal(np.isnan(back.values), np.isnan(arr))
    assert back.dtype == np.float32 and np.nanmax(back.values) == 3.0


def test_write_is_atomic_on_failure(tmp_path):
    da = make_raster(np.zeros((3, 3), np.float32)).expand_dims(band=[1, 2])
    with pytest.raises(InputError, match="extra dims"):
        write_raster(da, tmp_path / "bad.tif")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_cleans_up(tmp_path):
    with pytest.raises(RuntimeError):
        with rio_.atomic_path(tmp_path / "a.csv") as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_missing_file_message(tmp_path):
    with pytest.raises(InputError) as ei:
        read_raster(tmp_path / "nope.tif", name="dem")
    assert "`dem`" in str(ei.value) and "Fix:" in str(ei.value)


def test_align_categorical_nearest_and_identity():
    fine = make_raster(np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]], np.uint8), res=15, nodata=0)
    coarse = make_raster(np.zeros((2, 2), np.float32), res=30)
    out = align(fine, like=coarse)
    assert out.values.tolist() == [[1, 2], [3, 4]] and out.attrs["resampling"] == "mode"
    assert align(coarse, like=coarse) is coarse


@settings(max_examples=25, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(2, 7), st.integers(2, 7)), elements=st.integers(1, 5)))
def test_align_property_upsample_then_mode_roundtrips(arr):
    """Nearest onto a grid of half-size cells, then mode back, restores the original codes."""
    da = make_raster(arr, res=30, nodata=0)
    fine_t = make_raster(np.zeros((arr.shape[0] * 2, arr.shape[1] * 2), np.float32), res=15)
    up = align(da, like=fine_t, resampling="nearest")
    assert set(np.unique(up.values)) <= set(np.unique(arr))
    back = align(up, like=da, resampling="mode")
    np.testing.assert_array_equal(back.values, arr)


def test_vector_rasterize_and_gpkg(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    like = make_raster(np.zeros((4, 4), np.float32))
    gdf = gpd.GeoDataFrame({"v": [7.0]}, geometry=[box(760000, 3410000 - 60, 760060, 3410000)], crs="EPSG:32649")
    r = rio_.rasterize(gdf, like=like, value="v")
    assert r.values.sum() == 7 * 4 and r.values[0, 0] == 7
    p = rio_.write_gpkg(gdf, tmp_path / "b.gpkg")
    back = rio_.read_vector(p)
    assert len(back) == 1 and back.crs.to_epsg() == 32649
