"""Carbon: hand-computed storage, change, valuation, NEP correction, dask == numpy, anchor parity."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from restoreplan.core.errors import ConfigError
from restoreplan.services import carbon as C
from restoreplan.testing import make_raster

# two classes, 100 m cells (1 ha): class 1 = 10 + 5 + 20 + 1 = 36 t/ha, class 2 = 100 + 30 + 60 + 10 = 200 t/ha
POOLS = pd.DataFrame({"LUCODE": [1, 2], "C_above": [10, 100], "c_below": [5, 30], "c_soil": [20, 60],
                      "c_dead": [1, 10]})


def _lulc(values, nodata=255):
    return make_raster(np.array(values, np.uint8), res=100.0, nodata=nodata, crs="EPSG:32650", name="lulc")


def test_storage_per_pixel_and_totals():
    bas = _lulc([[1, 2, 255, 2, 1]])
    c = C.carbon_storage(bas, POOLS)
    np.testing.assert_array_equal(c.values[0], [36, 200, np.nan, 200, 36])
    assert c.dtype == np.float32 and c.attrs["units"] == "t/ha"
    # totals: (36 + 200 + 200 + 36) t/ha × 1 ha = 472 t
    assert C.carbon_totals(bas=c)["bas"] == pytest.approx(472.0)


def test_change_and_npv_by_hand():
    bas = _lulc([[1, 2, 2]])
    alt = _lulc([[2, 2, 1]])
    ch = C.carbon_change(C.carbon_storage(bas, POOLS), C.carbon_storage(alt, POOLS))
    np.testing.assert_array_equal(ch.values[0], [164, 0, -164])
    # discount 100 %, no price change, n = 2: r = 1/2; V = price/n · (1 − r²)/(1 − r) = 10/2 · 0.75/0.5 = 7.5
    assert C.valuation_constant(price_per_t=10, discount_rate_pct=100, rate_change_pct=0, bas_year=2000,
                                alt_year=2002) == pytest.approx(7.5)
    # r = 1 (no discounting): V = price
    assert C.valuation_constant(price_per_t=10, discount_rate_pct=0, rate_change_pct=0, bas_year=2000,
                                alt_year=2010) == pytest.approx(10.0)
    npv = C.carbon_npv(ch, price_per_t=10, discount_rate_pct=100, rate_change_pct=0, bas_year=2000, alt_year=2002)
    np.testing.assert_allclose(npv.values[0], [164 * 7.5, 0, -164 * 7.5])
    with pytest.raises(ConfigError, match="alt_year"):
        C.valuation_constant(price_per_t=10, discount_rate_pct=0, rate_change_pct=0, bas_year=2010, alt_year=2010)


def test_nep_correction_scales_by_nep_over_its_mean():
    # NEP [1, 3, 2] has mean 2 -> factors [0.5, 1.5, 1.0]; class densities [36, 200, 36]
    bas = _lulc([[1, 2, 1]])
    nep = make_raster(np.array([[1.0, 3.0, 2.0]], np.float32), res=100.0, crs="EPSG:32650")
    c = C.carbon_storage(bas, POOLS, nep=nep)
    np.testing.assert_allclose(c.values[0], [18.0, 300.0, 36.0], rtol=1e-6)


def test_missing_codes_listed_all_at_once_and_missing_columns():
    with pytest.raises(ConfigError) as e:
        C.carbon_storage(_lulc([[1, 3, 4, 4]]), POOLS)
    assert "[3, 4]" in str(e.value)
    with pytest.raises(ConfigError, match="c_dead"):
        C.carbon_storage(_lulc([[1]]), POOLS.drop(columns="c_dead"))


def test_int16_and_wide_integer_codes():
    # negative nodata in int16 and codes beyond 16 bits go through the same lookup
    pools = pd.DataFrame({"lucode": [-5, 70000], "c_above": [1, 2], "c_below": [0, 0], "c_soil": [0, 0],
                          "c_dead": [0, 0]})
    a16 = make_raster(np.array([[-5, -128]], np.int16), res=100.0, nodata=-128, crs="EPSG:32650")
    np.testing.assert_array_equal(C.carbon_storage(a16, pools).values[0], [1, np.nan])
    a32 = make_raster(np.array([[70000, -5, -1]], np.int32), res=100.0, nodata=-1, crs="EPSG:32650")
    np.testing.assert_array_equal(C.carbon_storage(a32, pools).values[0], [2, 1, np.nan])


def test_dask_chunked_equals_numpy():
    rng = np.random.default_rng(0)
    arr = rng.integers(1, 3, (13, 11)).astype(np.uint8)
    arr[0, 0] = 255
    bas = _lulc(arr)
    alt = _lulc(arr[::-1])
    nep = make_raster(rng.uniform(1, 5, (13, 11)).astype(np.float32), res=100.0, crs="EPSG:32650")
    ref = C.carbon_change(C.carbon_storage(bas, POOLS, nep=nep), C.carbon_storage(alt, POOLS, nep=nep))
    lz = C.carbon_change(C.carbon_storage(bas.chunk(4), POOLS, nep=nep.chunk(4)),
                         C.carbon_storage(alt.chunk(4), POOLS, nep=nep.chunk(4)))
    assert hasattr(lz.data, "dask")
    np.testing.assert_allclose(lz.values, ref.values, rtol=1e-6)


@pytest.mark.realdata
def test_anchor_parity(invest_anchors):
    """InVEST 3.20.2 Willamette sample: per pixel <= 1e-4 t/ha (observed 0), totals to 1e-6 relative."""
    import rasterio

    from restoreplan.io import read_raster

    root = invest_anchors / "carbon"
    a = json.loads((root / "args.json").read_text())
    args = {**a["args_seq"], **a["args_valuation_extra"]}
    pools = pd.read_csv(root / args["carbon_pools_path"])
    bas = C.carbon_storage(read_raster(root / args["lulc_bas_path"], kind="categorical"), pools)
    alt = C.carbon_storage(read_raster(root / args["lulc_alt_path"], kind="categorical"), pools)
    ch = C.carbon_change(bas, alt)
    npv = C.carbon_npv(ch, price_per_t=args["price_per_metric_ton_of_c"], discount_rate_pct=args["discount_rate"],
                       rate_change_pct=args["rate_change"], bas_year=args["lulc_bas_year"],
                       alt_year=args["lulc_alt_year"])
    for da, name in ((bas, "c_storage_bas"), (alt, "c_storage_alt"), (ch, "c_change_bas_alt"), (npv, "npv_alt")):
        with rasterio.open(root / "expected" / f"{name}_willamette.tif") as src:
            exp = src.read(1).astype(np.float64)
            exp[np.isclose(exp, src.nodata)] = np.nan
        got = da.values.astype(np.float64)
        assert np.array_equal(np.isnan(exp), np.isnan(got)), name
        assert np.nanmax(np.abs(exp - got)) <= (1e-4 if name != "npv_alt" else 1e-2), name
    tot = C.carbon_totals(bas=bas, alt=alt, change=ch)
    for key, exp in (("bas", 41401390.815), ("alt", 37875295.71), ("change", -3526095.105)):
        assert tot[key] == pytest.approx(exp, rel=1e-6)
    # InVEST sums the NPV raster the same way (value per ha × cell area / 10⁴)
    assert C.carbon_totals(npv=npv)["npv"] == pytest.approx(-525147534.139, rel=1e-6)


def test_registered_steps_examples_and_packaged_tables():
    """The four service steps are registered with frozen params; their packaged tables load and agree."""
    from restoreplan.pipeline import registry
    from restoreplan.services import habitat_quality as hq
    from restoreplan.services import water_yield as wy
    from restoreplan.tables import DATA_DIR, load_table

    registry.load_all()
    for name in ("carbon", "habitat_quality", "water_yield", "water_balance"):
        spec = registry.get(name)
        assert spec.group == "services" and "dask" in spec.backends and spec.example
        assert spec.params.model_config.get("frozen") is True
        for ref in _refs(spec.example["inputs"]):
            if ref.startswith("package:"):
                table = ref.split(":", 1)[1]
                assert (DATA_DIR / f"{table}.md").exists()
                load_table(table)
    pools = C.pool_table(load_table("carbon_pools_6class"))
    threats = hq.threats_frame(load_table("hq_threats_6class"))
    sens = hq.sensitivity_frame(load_table("hq_sensitivity_6class"), threats.index)
    bio = wy.biophysical_frame(load_table("awy_biophysical_6class"))
    for df in (pools, sens, bio):
        assert sorted(df.index) == [1, 2, 3, 4, 5, 6]
    # the carbon step on a 1×3 map: change 36 -> 200 t/ha on one 1-ha cell, NPV with V = price (no discount)
    out = registry.get("carbon").func(_lulc([[1, 2, 1]]), POOLS, _lulc([[2, 2, 1]]), price_per_t=2.0,
                                      bas_year=2000, alt_year=2010)
    np.testing.assert_allclose(out["npv"].values[0], [328.0, 0.0, 0.0])
    assert out["totals"].set_index("layer").loc["c_change", "total_t"] == pytest.approx(164.0)


def _refs(inputs):
    for v in inputs.values():
        yield from (v.values() if isinstance(v, dict) else [v])
