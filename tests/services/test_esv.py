"""Equivalent-factor ESV: Verify numbers, packaged tables, mapping, adjustment, warnings, numpy == dask."""

import warnings

import dask
import numpy as np
import pandas as pd
import pytest

from restoreplan.core.errors import AssumptionWarning, ConfigError
from restoreplan.services.esv import (
    XIE_SERVICES,
    class_equivalents,
    costanza_esv,
    equivalent_value_net_profit,
    equivalent_value_one_seventh,
    esv,
    esv_table,
)
from restoreplan.tables import DATA_DIR, load_table
from restoreplan.testing import make_raster

ND = 255
DRY_ONLY = {1: "dry_land"}  # uses only a checked row -> no AssumptionWarning


class _NoCompute:
    def __call__(self, dsk, keys, **kwargs):
        raise AssertionError("a dask compute happened inside a library function")


def _lulc(arr):
    return make_raster(np.array(arr, dtype=np.uint8), nodata=ND, name="lulc")


@pytest.fixture(scope="module")
def xie():
    return load_table("xie2015_equivalent_factors")


def test_verify_dry_land_cell(xie):
    # worked example: one 30 m dry-land cell, D = 3406.5 -> 4.01 * 3406.5 * 0.09 = 1229.41 yuan/a
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        out = esv(_lulc([[1]]), equivalents=xie, mapping=DRY_ONLY, equivalent_value=3406.5)
    assert out.sel(service="total").item() == pytest.approx(1229.41, abs=0.01)
    assert out.sel(service="food_production").item() == pytest.approx(0.85 * 3406.5 * 0.09, rel=1e-6)
    assert out.attrs["units"] == "yuan/a"
    assert list(out["service"].values) == list(XIE_SERVICES) + ["total"]


def test_equivalent_value_rules():
    # 1/7 rule: 4600.89 kg/hm2 * 2.28 yuan/kg / 7 = 1498.58 yuan/hm2
    assert equivalent_value_one_seventh([1.0], [2.28], [4600.89]) == pytest.approx(1498.58, abs=0.005)
    # two crops, area-weighted: (2*2*5000 + 1*3*3000)/3/7
    d = equivalent_value_one_seventh({"wheat": 2.0, "maize": 1.0}, {"wheat": 2.0, "maize": 3.0},
                                     {"wheat": 5000.0, "maize": 3000.0})
    assert d == pytest.approx((2 * 2 * 5000 + 3 * 3000) / 3 / 7)
    # net profit: 0.5*1200 + 0.3*800 + 0.2*1000 = 1040
    assert equivalent_value_net_profit([0.5, 0.3, 0.2], [1200, 800, 1000]) == pytest.approx(1040.0)
    with pytest.raises(ConfigError, match="summing to 1"):
        equivalent_value_net_profit([0.5, 0.3], [1, 2])


def test_every_row_sums_to_row_total(xie):
    niu = load_table("niu2025_6class")
    for t in (xie, niu):
        s = t[list(XIE_SERVICES)].sum(axis=1)
        np.testing.assert_allclose(s, t["row_total"], atol=0.011)  # printed 2-decimal rounding
    # Niu et al. (2025) column totals
    np.testing.assert_allclose(niu.set_index("lucode")["row_total"].loc[[1, 2, 3, 4, 5, 6]],
                               [4.01, 19.12, 19.69, 89.54, 0.01, 0.20])
    np.testing.assert_allclose(niu[list(XIE_SERVICES)].sum(axis=1), [4.01, 19.12, 19.69, 89.54, 0.01, 0.20],
                               atol=1e-9)


@pytest.mark.realdata
def test_packaged_xie_table_is_the_shared_copy(shared):
    ref = pd.read_csv(shared / "reference_tables" / "xie2015_equivalent_factors.csv")
    pd.testing.assert_frame_equal(load_table("xie2015_equivalent_factors"), ref)
    ref_c = pd.read_csv(shared / "reference_tables" / "costanza_unit_values.csv")
    pd.testing.assert_frame_equal(load_table("costanza_unit_values"), ref_c)
    for name in ("xie2015_equivalent_factors", "niu2025_6class", "xie2015_mapping_6class",
                 "costanza_unit_values", "costanza_mapping_6class"):
        assert (DATA_DIR / f"{name}.md").exists()


def test_default_mapping_totals_and_recalled_warning(xie):
    with pytest.warns(AssumptionWarning, match="recalled"):
        ce = class_equivalents(xie, load_table("xie2015_mapping_6class"))
    tot = ce.sum(axis=1)
    assert tot.loc[1] == pytest.approx(4.01)
    assert tot.loc[2] == pytest.approx(19.6975, abs=1e-9)   # mean of the 4 forest rows (19.70)
    assert tot.loc[3] == pytest.approx((5.07 + 19.69 + 11.43) / 3, abs=0.01)
    assert tot.loc[4] == pytest.approx(125.61, abs=0.011)
    assert tot.loc[5] == 0.0 and tot.loc[6] == pytest.approx(0.20)
    with pytest.warns(AssumptionWarning, match="no class mapping"):
        class_equivalents(xie)


def test_negative_paddy_water_supply_is_kept(xie):
    out = esv(_lulc([[1]]), equivalents=xie, mapping={1: "paddy"}, equivalent_value=1000.0)
    assert out.sel(service="water_supply").item() == pytest.approx(-2.63 * 1000 * 0.09, rel=1e-6)
    assert out.sel(service="total").item() == pytest.approx(3.89 * 1000 * 0.09, abs=0.1)


def test_weighted_mix_mapping(xie):
    m = pd.DataFrame({"lucode": [1, 1], "ecosystem": ["dry_land", "paddy"], "weight": [0.2, 0.8]})
    out = esv(_lulc([[1]]), equivalents=xie, mapping=m, equivalent_value=1.0)
    food = 0.2 * 0.85 + 0.8 * 1.36
    assert out.sel(service="food_production").item() == pytest.approx(food * 0.09, rel=1e-6)


def test_mapping_errors(xie):
    bad = pd.DataFrame({"lucode": [1, 1, 2], "ecosystem": ["dry_land", "paddy", "jungle"], "weight": [0.5, 0.4, 1]})
    with pytest.raises(ConfigError) as e:
        esv(_lulc([[1]]), equivalents=xie, mapping=bad, equivalent_value=1.0)
    assert len(e.value.problems) == 2 and "jungle" in str(e.value) and "summing to 1" in str(e.value)
    with pytest.raises(ConfigError, match=r"\[3, 7\]"):
        esv(_lulc([[1, 3], [7, ND]]), equivalents=xie, mapping=DRY_ONLY, equivalent_value=1.0)
    with pytest.raises(ConfigError, match="equivalent_value"):
        esv(_lulc([[1]]), equivalents=xie, mapping=DRY_ONLY, equivalent_value=0.0)


def test_adjustment_region_and_pixel(xie):
    lu = _lulc([[1, 1]])
    base = esv(lu, equivalents=xie, mapping=DRY_ONLY, equivalent_value=100.0)
    # region: P = 600/500 = 1.2 scales NPP services only; R = 2 scales water supply and hydrology
    adj = esv(lu, equivalents=xie, mapping=DRY_ONLY, equivalent_value=100.0, adjust="region",
              npp=600.0, npp_ref=500.0, precipitation=make_raster(np.array([[800.0, 1200.0]])),
              precipitation_ref=500.0, soil_conservation=1.0, soil_conservation_ref=1.0)
    r = (adj / base).isel(y=0, x=0)
    assert r.sel(service="food_production").item() == pytest.approx(1.2, rel=1e-6)
    assert r.sel(service="water_supply").item() == pytest.approx(2.0, rel=1e-6)       # mean(800, 1200)/500
    assert r.sel(service="hydrological_regulation").item() == pytest.approx(2.0, rel=1e-6)
    assert r.sel(service="soil_conservation").item() == pytest.approx(1.0, rel=1e-6)
    pix = esv(lu, equivalents=xie, mapping=DRY_ONLY, equivalent_value=100.0, adjust="pixel",
              precipitation=make_raster(np.array([[800.0, np.nan]])), precipitation_ref=500.0,
              npp=make_raster(np.array([[500.0, 500.0]])), npp_ref=500.0,
              soil_conservation=make_raster(np.array([[2.0, 2.0]])), soil_conservation_ref=1.0)
    p = pix.isel(y=0)
    assert p.sel(service="water_supply").values[0] == pytest.approx(0.02 * 100 * 0.09 * 1.6, rel=1e-6)
    assert p.sel(service="soil_conservation").values[0] == pytest.approx(1.03 * 100 * 0.09 * 2, rel=1e-6)
    assert np.isnan(p.sel(service="water_supply").values[1]) and np.isnan(p.sel(service="total").values[1])
    with pytest.warns(AssumptionWarning, match="set to 1"):
        esv(lu, equivalents=xie, mapping=DRY_ONLY, equivalent_value=1.0, adjust="region", npp=1.0, npp_ref=1.0)
    with pytest.raises(ConfigError, match="npp_ref"):
        esv(lu, equivalents=xie, mapping=DRY_ONLY, equivalent_value=1.0, adjust="region", npp=1.0)


def test_niu_table_without_mapping_and_per_class_table():
    niu = load_table("niu2025_6class")
    lu = _lulc([[1, 2, 3], [4, 5, 6], [2, 2, ND]])
    out = esv(lu, equivalents=niu, equivalent_value=1000.0)
    np.testing.assert_allclose(out.sel(service="total").values[:2].ravel(),
                               np.array([4.01, 19.12, 19.69, 89.54, 0.01, 0.20]) * 1000 * 0.09, rtol=1e-5)
    df = esv_table(out, lu)
    f = df[(df.lucode == 2) & (df.service == "total")].iloc[0]
    assert f.area_hm2 == pytest.approx(0.27)
    assert f.value == pytest.approx(3 * 19.12 * 1000 * 0.09, rel=1e-5)
    assert f.value_per_hm2 == pytest.approx(19120.0, rel=1e-5)


def test_costanza_cropland_cell():
    lu = _lulc([[1, 6]])
    with pytest.warns(AssumptionWarning, match="desert"):
        out = costanza_esv(lu, edition="2014")
    assert out.values[0, 0] == pytest.approx(5567 * 0.09, rel=1e-6)
    assert out.values[0, 1] == 0.0 and out.attrs["units"] == "USD2007/a"
    assert out.dims == ("y", "x")


class _Counting:
    """dask scheduler that counts computes: at call time only the class-code check (one small reduction
    per table) may run; the per-cell results stay lazy."""

    def __init__(self):
        self.calls = 0

    def __call__(self, dsk, keys, **kwargs):
        self.calls += 1
        return dask.get(dsk, keys, **kwargs)


def test_numpy_equals_dask_and_lazy():
    niu = load_table("niu2025_6class")
    rng = np.random.default_rng(5)
    lu = _lulc(rng.choice([1, 2, 3, 4, 5, 6, ND], size=(10, 9)))
    npp = make_raster(rng.uniform(200, 800, (10, 9)))
    kw = {"equivalents": niu, "equivalent_value": 3406.5, "adjust": "pixel", "npp": npp, "npp_ref": 500.0}
    ref = esv(lu, **kw)
    counter = _Counting()
    with dask.config.set(scheduler=counter):
        lazy = esv(lu.chunk({"y": 4, "x": 4}), **{**kw, "npp": npp.chunk({"y": 4, "x": 4})})
    assert counter.calls == 1 and lazy.chunks is not None  # the class-code check
    with dask.config.set(scheduler="sync"):
        np.testing.assert_allclose(ref.values, lazy.values, rtol=1e-6, equal_nan=True)
    assert ref.rio.transform() == lu.rio.transform() and ref.dtype == np.float32


def test_esv_kernel_bands_equal_one_pass():
    """The band loop of the ESV kernel gives the same float32 values as one band over the block."""
    from restoreplan.services.esv import _esv_kernel

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 7, size=(37, 53)).astype(np.int16)
    keys = np.arange(1, 7)
    vc = rng.random((6, 4)) * 1000
    fidx = np.array([0, 1, 3, 2])
    npp = rng.random((37, 53)) + 0.5
    args = (codes, npp, 1.3, 0.7, keys, vc, fidx, 0.09, 0)
    whole = _esv_kernel(*args, band=codes.size)
    for band in (1, 7, 100, 1000):
        np.testing.assert_array_equal(_esv_kernel(*args, band=band), whole)
    assert whole.shape == (37, 53, 5) and whole.dtype == np.float32
    assert np.isnan(whole[codes == 0]).all()
    np.testing.assert_allclose(whole[..., -1], whole[..., :-1].astype(np.float64).sum(-1), rtol=1e-6)
