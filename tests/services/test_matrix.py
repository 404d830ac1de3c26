"""LULC supply/demand/balance matrices: Verify line, NDVI modes, groups, totals, errors, numpy == dask."""

import dask
import numpy as np
import pandas as pd
import pytest

from restoreplan.core.errors import AlignmentError, ConfigError
from restoreplan.services.matrix import lulc_matrix, lulc_matrix_totals
from restoreplan.tables import load_table
from restoreplan.testing import make_raster

FOREST, BUILT, ND = 2, 5, 255
S = pd.DataFrame({"lucode": [FOREST, BUILT], "food": [1, 0], "climate": [5, 0], "recreation": [3, 1]})
D = pd.DataFrame({"lucode": [FOREST, BUILT], "food": [0, 4], "climate": [1, 5], "recreation": [1, 5]})
G = {"food": "provisioning", "climate": "regulating", "recreation": "cultural"}


class _NoCompute:
    def __call__(self, dsk, keys, **kwargs):
        raise AssertionError("a dask compute happened inside a library function")


def _lulc(arr=((FOREST, BUILT), (ND, FOREST))):
    return make_raster(np.array(arr, dtype=np.uint8), nodata=ND, name="lulc")


def test_verify_line_region_mode():
    # worked example: forest S = 5, D = 1; built-up S = 0, D = 5; A = 1.2 -> supply [6, 0], balance [5, -5]
    ds = lulc_matrix(_lulc(), supply_table=S, demand_table=D, groups=G, ndvi_mode="region",
                     ndvi_region=0.6, ndvi_reference=0.5)
    sup = ds["supply"].sel(service="climate").values
    bal = ds["balance"].sel(service="climate").values
    np.testing.assert_allclose(sup[0], [6, 0])
    np.testing.assert_allclose(bal[0], [5, -5])
    assert np.isnan(sup[1, 0]) and np.isnan(bal[1, 0])
    # demand is never corrected
    np.testing.assert_allclose(ds["demand"].sel(service="climate").values[0], [1, 5])
    assert ds["supply"].attrs["units"] == "score"


def test_groups_and_total_are_sums():
    ds = lulc_matrix(_lulc(), supply_table=S, demand_table=D, groups=G, ndvi_mode="none")
    assert list(ds["supply"]["service"].values) == ["food", "climate", "recreation", "provisioning", "regulating",
                                                    "cultural", "total"]
    assert list(ds["supply"]["level"].values) == ["service"] * 3 + ["group"] * 3 + ["total"]
    sup = ds["supply"]
    # forest cell: provisioning = food 1, regulating = climate 5, cultural = 3, total = 9
    np.testing.assert_allclose(sup.sel(service=["provisioning", "regulating", "cultural", "total"]).values[:, 0, 0],
                               [1, 5, 3, 9])
    # built-up cell: total supply 1, demand 14, balance -13
    assert ds["demand"].sel(service="total").values[0, 1] == 14
    assert ds["balance"].sel(service="total").values[0, 1] == -13


def test_region_factor_from_ndvi_mean_and_pixel_mode():
    lu = _lulc()
    ndvi = make_raster(np.array([[0.8, 0.2], [0.9, 0.4]]), name="ndvi")
    # region: mean NDVI over valid land-use cells = (0.8 + 0.2 + 0.4)/3 = 0.4667; / 0.5
    ds = lulc_matrix(lu, supply_table=S, demand_table=D, groups=G, ndvi=ndvi, ndvi_reference=0.5)
    np.testing.assert_allclose(ds["supply"].sel(service="climate").values[0, 0], 5 * (1.4 / 3) / 0.5, rtol=1e-6)
    # pixel: A(x) = NDVI(x)/0.5 -> forest cells 0.8/0.5 and 0.4/0.5
    dp = lulc_matrix(lu, supply_table=S, demand_table=D, groups=G, ndvi=ndvi, ndvi_mode="pixel", ndvi_reference=0.5)
    c = dp["supply"].sel(service="climate").values
    np.testing.assert_allclose([c[0, 0], c[1, 1]], [8.0, 4.0], rtol=1e-6)


def test_pixel_mode_clips_negative_a_and_exempts_classes():
    lu = _lulc(((FOREST, BUILT), (FOREST, BUILT)))
    ndvi = make_raster(np.array([[-0.3, np.nan], [np.nan, 0.5]]), name="ndvi")
    ds = lulc_matrix(lu, supply_table=S, demand_table=D, groups=G, ndvi=ndvi, ndvi_mode="pixel",
                     ndvi_reference=0.5, exempt_classes=(BUILT,))
    r = ds["supply"].sel(service="recreation").values
    assert r[0, 0] == 0.0            # A = max(0, -0.6) = 0
    assert r[0, 1] == 1.0            # exempt: A = 1 even where NDVI is NaN
    assert np.isnan(r[1, 0])         # non-exempt class needs NDVI
    assert r[1, 1] == 1.0


def test_time_dim_with_reference_per_year():
    lu = make_raster(np.array([[[FOREST, BUILT]], [[FOREST, FOREST]]], dtype=np.uint8), nodata=ND)
    lu = lu.assign_coords(time=[2000, 2020])
    ds = lulc_matrix(lu, supply_table=S, demand_table=D, groups=G, ndvi_mode="region",
                     ndvi_region={2000: 0.5, 2020: 0.6}, ndvi_reference={2000: 0.5, 2020: 0.5})
    c = ds["supply"].sel(service="climate")
    assert ds["supply"].dims == ("service", "time", "y", "x")
    np.testing.assert_allclose(c.sel(time=2000).values, [[5, 0]])
    np.testing.assert_allclose(c.sel(time=2020).values, [[6, 6]])


def test_missing_codes_all_listed_numpy_and_dask():
    lu = _lulc(((1, 7), (9, FOREST)))
    with pytest.raises(ConfigError, match=r"\[1, 7, 9\]"):
        lulc_matrix(lu, supply_table=S, demand_table=D, groups=G, ndvi_mode="none")
    out = lulc_matrix(lu.chunk({"y": 1, "x": 1}), supply_table=S, demand_table=D, groups=G, ndvi_mode="none")
    with pytest.raises(ConfigError, match=r"\[1, 7, 9\]"), dask.config.set(scheduler="sync"):
        out["supply"].compute()


def test_table_problems_reported():
    with pytest.raises(ConfigError) as e:
        lulc_matrix(_lulc(), supply_table=S, demand_table=D, groups={"food": "provisioning", "wood": "provisioning"})
    assert len(e.value.problems) == 2  # unknown service 'wood' and no group for climate/recreation
    with pytest.raises(ConfigError, match="missing"):
        lulc_matrix(_lulc(), supply_table=S, demand_table=D.drop(columns="recreation"), groups=G, ndvi_mode="none")
    with pytest.raises(ConfigError, match="ndvi_reference"):
        lulc_matrix(_lulc(), supply_table=S, demand_table=D, groups=G, ndvi_mode="region", ndvi_region=0.5)
    with pytest.raises(AlignmentError):
        lulc_matrix(_lulc(), supply_table=S, demand_table=D, groups=G, ndvi_mode="pixel", ndvi_reference=0.5,
                    ndvi=make_raster(np.ones((2, 2)), res=10.0))


def test_totals_eq1_score_km2():
    ds = lulc_matrix(_lulc(), supply_table=S, demand_table=D, groups=G, ndvi_mode="region",
                     ndvi_region=0.6, ndvi_reference=0.5)
    df = lulc_matrix_totals(ds, _lulc())
    cell_km2 = 30 * 30 / 1e6
    f = df[(df.lucode == FOREST) & (df.measure == "supply") & (df.service == "climate")].iloc[0]
    assert f.area_km2 == pytest.approx(2 * cell_km2)
    assert f.value == pytest.approx(2 * cell_km2 * 6.0, rel=1e-6)
    tot = lulc_matrix_totals(ds, _lulc(), by_class=False)
    b = tot[(tot.measure == "balance") & (tot.service == "total")].value.item()
    # ES_total balance = 2 forest cells * (9*1.2 - 2) + 1 built cell * (1*1.2 - 14)
    assert b == pytest.approx(cell_km2 * (2 * (9 * 1.2 - 2) + (1.2 - 14)), rel=1e-6)


def test_numpy_equals_dask_and_lazy():
    rng = np.random.default_rng(0)
    arr = rng.choice([FOREST, BUILT, ND], size=(9, 11)).astype(np.uint8)
    lu = make_raster(arr, nodata=ND)
    ndvi = make_raster(rng.uniform(0, 1, (9, 11)))
    kw = {"supply_table": S, "demand_table": D, "groups": G, "ndvi_reference": 0.5, "exempt_classes": (BUILT,)}
    for mode in ("region", "pixel"):
        ref = lulc_matrix(lu, ndvi=ndvi, ndvi_mode=mode, **kw)
        with dask.config.set(scheduler=_NoCompute()):
            lazy = lulc_matrix(lu.chunk({"y": 4, "x": 4}), ndvi=ndvi.chunk({"y": 4, "x": 4}), ndvi_mode=mode, **kw)
        with dask.config.set(scheduler="sync"):
            for v in ("supply", "demand", "balance"):
                np.testing.assert_allclose(ref[v].values, lazy[v].values, rtol=1e-6, equal_nan=True)
        assert ref["supply"].rio.transform() == lu.rio.transform() and ref["supply"].rio.crs == lu.rio.crs


def test_packaged_illustrative_tables_run_on_six_classes():
    st, dt, gr = (load_table(n) for n in ("es_supply_matrix_6class", "es_demand_matrix_6class", "es_service_groups"))
    services = list(gr["service"])
    for t in (st, dt):
        assert sorted(t["lucode"]) == [1, 2, 3, 4, 5, 6]
        v = t[services].to_numpy()
        assert ((v >= 0) & (v <= 5)).all()
    assert set(gr["group"]) == {"provisioning", "regulating", "cultural"}
    lu = make_raster(np.arange(1, 7, dtype=np.uint8).reshape(2, 3), nodata=ND)
    ds = lulc_matrix(lu, supply_table=st, demand_table=dt, groups=gr, ndvi_mode="none")
    np.testing.assert_allclose(ds["supply"].sel(service="total").values.ravel(), st[services].sum(axis=1))
