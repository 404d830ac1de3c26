"""Annual water yield and water balance: hand cases, InVEST oracle, dask == numpy."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from restoreplan.core.errors import ConfigError, NodataWarning
from restoreplan.services import water_yield as W
from restoreplan.testing import make_raster

BIO = pd.DataFrame({"lucode": [1, 2], "kc": [1.0, 0.3], "root_depth": [2000, 500], "lulc_veg": [1, 0]})


def _r(values, dtype=np.float32, nodata=None, res=100.0):
    return make_raster(np.array(values, dtype), res=res, nodata=nodata, crs="EPSG:32650")


def test_methods_single_pixel_case():
    # P = 1000, Kc = 1, ET0 = 800, root 2000, soil 1000, PAWC 0.2, Z = 5:
    # AWC = min(2000, 1000)·0.2 = 200; w = 5·200/1000 + 1.25 = 2.25; φ = 0.8;
    # 1 + φ − (1 + φ^w)^(1/w) = 1.8 − 1.605284^(0.444444) = 1.8 − 1.234114 = 0.565886 < φ -> fractp;
    # Y = (1 − 0.565886)·1000 = 434.114 mm; AET = 565.886 mm; PET = 800 mm.
    ds = W.water_yield(_r([[1]], np.uint8, 255), _r([[1000]]), _r([[800]]), _r([[1000]]), _r([[0.2]]), BIO,
                       seasonality_z=5)
    assert float(ds["fractp"][0, 0]) == pytest.approx(0.565886, abs=1e-6)
    assert float(ds["wyield"][0, 0]) == pytest.approx(434.114, abs=1e-3)
    assert float(ds["aet"][0, 0]) == pytest.approx(565.886, abs=1e-3)
    assert float(ds["pet"][0, 0]) == pytest.approx(800.0)
    assert ds["wyield"].dtype == np.float32


def test_non_vegetated_cap_and_invalid_cells():
    # class 2 (not vegetated, Kc 0.3): fractp = min(Kc·ET0, P)/P: 0.3·800/1000 = 0.24; with P = 200 -> 240 > 200 -> 1
    # P = 0 -> invalid (NaN); lulc nodata -> NaN
    lulc = _r([[2, 2, 2, 255]], np.uint8, 255)
    ds = W.water_yield(lulc, _r([[1000, 200, 0, 1000]]), _r([[800] * 4]), _r([[1000] * 4]), _r([[0.2] * 4]), BIO)
    np.testing.assert_allclose(ds["fractp"].values[0], [0.24, 1.0, np.nan, np.nan], atol=1e-7)
    np.testing.assert_allclose(ds["wyield"].values[0], [760.0, 0.0, np.nan, np.nan], atol=1e-4)


def test_w_is_capped_at_five():
    # AWC = 2000·1.0 = 2000 with P = 1000, Z = 30: w = 30·2 + 1.25 = 61.25 -> 5;
    # φ = 0.8: 1.8 − (1 + 0.8^5)^(1/5) = 1.8 − 1.32768^0.2 = 1.8 − 1.058325 = 0.741675
    ds = W.water_yield(_r([[1]], np.uint8, 255), _r([[1000]]), _r([[800]]), _r([[5000]]), _r([[1.0]]), BIO,
                       seasonality_z=30)
    assert float(ds["fractp"][0, 0]) == pytest.approx(1.8 - (1 + 0.8 ** 5) ** 0.2, abs=1e-6)


def test_invest_fractp_oracle():
    # natcap/invest tests/test_annual_water_yield.py::test_fractp_op (float64 inputs, Z = 6)
    kc = np.array([[1, .1, .1], [.6, .6, .1]])
    eto = np.array([[1000, 900, 900], [1100, 1005, 1000]], float)
    precip = np.array([[100, 1000, 10], [500, 800, 1100]], float)
    root = np.array([[99, 300, 400], [5, 500, 800]], float)
    soil = np.array([[600, 700, 700], [800, 900, 600]], float)
    pawc = np.array([[.11, .11, .12], [.55, .55, .19]])
    veg = np.array([[1, 1, 0], [0, 1, 0]], float)
    got = W.fractp_kernel(kc, eto, precip, root, soil, pawc, veg, 6.0)
    np.testing.assert_allclose(got, [[0.9345682, 0.06896508, 1.], [1., 0.6487423, 0.09090909]], rtol=1e-6)


def test_missing_codes_and_bad_tables():
    with pytest.raises(ConfigError) as e:
        W.water_yield(_r([[1, 5, 6]], np.uint8, 255), *[_r([[1000] * 3])] * 4, BIO)
    assert "[5, 6]" in str(e.value)
    with pytest.raises(ConfigError, match="lulc_veg"):
        W.water_yield(_r([[1]], np.uint8, 255), *[_r([[1000]])] * 4, BIO.assign(lulc_veg=[1, 2]))
    with pytest.raises(ConfigError, match="seasonality_z"):
        W.water_yield(_r([[1]], np.uint8, 255), *[_r([[1000]])] * 4, BIO, seasonality_z=0)


def test_dask_chunked_equals_numpy():
    rng = np.random.default_rng(3)
    shape = (12, 9)
    lulc = _r(rng.integers(1, 3, shape), np.uint8, 255)
    ins = [_r(rng.uniform(400, 2000, shape)), _r(rng.uniform(500, 1200, shape)),
           _r(rng.uniform(100, 3000, shape)), _r(rng.uniform(0.05, 0.4, shape))]
    ref = W.water_yield(lulc, *ins, BIO, seasonality_z=7)
    lz = W.water_yield(lulc.chunk(4), *[d.chunk(4) for d in ins], BIO, seasonality_z=7)
    assert hasattr(lz["wyield"].data, "dask")
    for v in ("fractp", "aet", "wyield", "pet"):
        np.testing.assert_array_equal(lz[v].values, ref[v].values)


def test_watershed_summary_by_hand():
    # 1×4 raster of 100 m cells; watershed A covers cells 0-1, B cells 2-3 (centres inside).
    # wyield = (1 − fractp)·P with class 2: fractp = 0.24 -> Y = 0.76·P; P = [1000, 500, 800, 1200]
    lulc = _r([[2, 2, 2, 2]], np.uint8, 255)
    P = _r([[1000, 500, 800, 1200]])
    ds = W.water_yield(lulc, P, _r([[800, 800, 800, 800]]), _r([[1000] * 4]), _r([[0.2] * 4]), BIO)
    x0, y0 = 760000.0, 3410000.0
    zones = gpd.GeoDataFrame({"ws_id": [7, 8]}, geometry=[box(x0, y0 - 100, x0 + 200, y0),
                                                         box(x0 + 200, y0 - 100, x0 + 400, y0)], crs="EPSG:32650")
    tab = W.watershed_summary(ds, P, zones)
    # A: precip_mn 750; PET = 0.3·800 = 240; AET_A = mean(0.24·[1000]·..) : fractp = 240/P -> AET = 240
    # Y_A = mean(760, 260) = 510 mm; vol = 510 mm × 20000 m² / 1000 = 10200 m³
    assert tab["ws_id"].tolist() == [7, 8]
    np.testing.assert_allclose(tab["precip_mn"], [750, 1000])
    np.testing.assert_allclose(tab["PET_mn"], [240, 240], rtol=1e-6)
    np.testing.assert_allclose(tab["AET_mn"], [240, 240], rtol=1e-6)
    np.testing.assert_allclose(tab["wyield_mn"], [510, 760], rtol=1e-6)
    np.testing.assert_allclose(tab["wyield_vol"], [10200, 15200], rtol=1e-6)


def test_water_balance_by_hand_and_negative_count():
    # P = 1200, R = 300, ET = 600 mm over 1 hm² (100 m cell): (1200 − 300 − 600)·10⁴·10⁻³ = 3000 m³
    P, R, ET = _r([[1200, 500]]), _r([[300, 300]]), _r([[600, 600]])
    wb = W.water_balance(P, ET, runoff=R)
    np.testing.assert_allclose(wb.values[0], [3000, -4000])
    assert wb.attrs["units"] == "m3/a"
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        assert W.count_negative(wb) == 1
    assert any(issubclass(w.category, NodataWarning) for w in rec)
    np.testing.assert_allclose(W.water_balance(P, ET, runoff=R, clip_negative=True).values[0], [3000, 0])
    # R = c·P with c = 0.25: (1200 − 300 − 600)·10 = 3000
    np.testing.assert_allclose(W.water_balance(P, ET, runoff_coefficient=0.25).values[0][0], 3000)
    with pytest.raises(ConfigError):
        W.water_balance(P, ET)


def test_polygon_without_pixel_centre_uses_its_bounding_box_window():
    # a 20 m × 20 m polygon in the corner of cell (0, 1) covers no centre: InVEST (pygeoprocessing zonal
    # statistics) then averages the cells of its bounding-box window -> that one cell, value 500
    P = _r([[1000, 500, 800]])
    x0, y0 = 760000.0, 3410000.0
    tiny = gpd.GeoDataFrame({"ws_id": [1]}, geometry=[box(x0 + 105, y0 - 25, x0 + 125, y0 - 5)], crs="EPSG:32650")
    got = W.zonal_means({"p": P}, tiny, like=P)
    assert got["p"].tolist() == [500.0]
