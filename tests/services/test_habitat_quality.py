"""Habitat quality: hand-computed cases, InVEST 3.20 behaviours, dask == numpy, anchor parity."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from restoreplan.core.errors import AlignmentError, ConfigError, DataError
from restoreplan.services import habitat_quality as hq
from restoreplan.core.edt import edt
from restoreplan.testing import make_raster


def raster(values, *, res=100.0, nodata=None, x0=500000.0, name="r"):
    """Tiny georeferenced raster (EPSG:32650 so that distances are in metres)."""
    return make_raster(np.asarray(values), res=res, nodata=nodata, x0=x0, y0=4000000.0, crs="EPSG:32650", name=name)


def read_expected(path):
    """InVEST output as float64 with NaN where isclose(value, nodata) (InVEST's own nodata test)."""
    import rasterio

    with rasterio.open(path) as src:
        a = src.read(1).astype(np.float64)
        nod = src.nodata
    if nod is not None:
        a[np.isclose(a, nod)] = np.nan
    return a, None


def max_abs_diff(a, b) -> float:
    """max |a - b| over valid cells; fails if the nodata masks differ."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ma, mb = np.isnan(a), np.isnan(b)
    assert np.array_equal(ma, mb), f"nodata masks differ in {int((ma != mb).sum())} cells"
    return float(np.max(np.abs(a[~ma] - b[~ma]))) if (~ma).any() else 0.0


def _tables(max_dist=400.0, decay="linear", weight=1.0, sens=1.0, habitat=1.0):
    threats = pd.DataFrame({"threat": ["t1"], "max_dist": [max_dist], "weight": [weight], "decay": [decay]})
    sensitivity = pd.DataFrame({"lucode": [1], "habitat": [habitat], "t1": [sens]})
    return threats, sensitivity


def _row(threat_values, lulc_values=None, res=100.0):
    lulc = raster(np.array([lulc_values or [1] * len(threat_values)], np.uint8), res=res, nodata=255, name="lulc")
    thr = raster(np.array([threat_values], np.float32), res=res, name="t1")
    return lulc, thr


def test_methods_1x5_linear_case():
    # 1x5 row, 100 m pixels, threat at x = 0, m = 400 m linear, w = S = H = 1, k = 0.5:
    # d = 0,1,2,3,4 px; m = 4 px; i = (4 - d)/4 = [1, .75, .5, .25, 0]; D = i (one threat, w/Σw = 1).
    # Q = 1 - D^2.5/(D^2.5 + 0.5^2.5), 0.5^2.5 = 0.176777:
    #   Q(1) = 1 - 1/1.176777 = 0.150221;  Q(.75) = 1 - .487139/(.487139 + .176777) = 0.266264;
    #   Q(.5) = 0.5;  Q(.25) = 1 - .03125/(.03125 + .176777) = 0.849779;  Q(0) = 1.
    lulc, thr = _row([1, 0, 0, 0, 0])
    threats, sens = _tables()
    ds = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)
    np.testing.assert_allclose(ds["degradation"].values[0], [1, 0.75, 0.5, 0.25, 0], atol=1e-7)
    np.testing.assert_allclose(ds["quality"].values[0], [0.150221, 0.266264, 0.5, 0.849779, 1.0], atol=1e-6)
    assert ds["quality"].dtype == np.float32 and ds["quality"].attrs["units"] == "1"


def test_exponential_decay_drops_to_zero_beyond_max_dist():
    # m = 2 px: i(d) = exp(-2.99 d / 2) for d <= 2: d=1 -> 0.224287, d=2 -> exp(-2.99) = 0.050287; d=3 -> 0.
    vals = hq.decay_kernel(np.array([0, 1, 2, 3], np.float32), 2.0, "exponential")
    np.testing.assert_allclose(vals, [1.0, math.exp(-1.495), math.exp(-2.99), 0.0], rtol=1e-6)
    lin = hq.decay_kernel(np.array([0, 1, 2, 2.5], np.float32), 2.0, "linear")
    np.testing.assert_allclose(lin, [1.0, 0.5, 0.0, 0.0])


def test_weights_are_normalised_and_access_scales_degradation():
    # two identical threats with weights 0.6 and 0.6 equal one threat of weight 1 (w/Σw = 0.5 each)
    lulc, thr = _row([1, 0, 0, 0, 0])
    t2 = pd.DataFrame({"threat": ["a", "b"], "max_dist": [400.0, 400.0], "weight": [0.6, 0.6],
                       "decay": ["linear", "linear"]})
    s2 = pd.DataFrame({"lucode": [1], "habitat": [1.0], "a": [1.0], "b": [1.0]})
    d2 = hq.habitat_quality(lulc, {"a": thr, "b": thr}, t2, s2, half_saturation=0.5)["degradation"].values
    t1, s1 = _tables()
    d1 = hq.habitat_quality(lulc, {"t1": thr}, t1, s1, half_saturation=0.5)["degradation"].values
    np.testing.assert_allclose(d2, d1, atol=1e-7)
    # access 0.5 everywhere halves D: [0.5, 0.375, 0.25, 0.125, 0]
    acc = raster(np.full((1, 5), 0.5, np.float32), name="access")
    da = hq.habitat_quality(lulc, {"t1": thr}, t1, s1, half_saturation=0.5, access=acc)["degradation"].values
    np.testing.assert_allclose(da[0], [0.5, 0.375, 0.25, 0.125, 0.0], atol=1e-7)


def test_sensitivity_habitat_and_nodata_masking():
    # class 2: habitat 0.5, sensitivity 0.4; lulc nodata (255) -> NaN in both outputs
    lulc = raster(np.array([[2, 2, 255, 1, 1]], np.uint8), nodata=255)
    thr = raster(np.array([[1, 0, 0, 0, 0]], np.float32))
    threats = pd.DataFrame({"threat": ["t1"], "max_dist": [400.0], "weight": [1.0], "decay": ["linear"]})
    sens = pd.DataFrame({"lucode": [1, 2], "habitat": [1.0, 0.5], "t1": [1.0, 0.4]})
    ds = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)
    # D = i * S: [1*0.4, .75*0.4, nan, .25*1, 0]
    np.testing.assert_allclose(ds["degradation"].values[0], [0.4, 0.3, np.nan, 0.25, 0.0], atol=1e-7)
    q = lambda d, h: h * (1 - d ** 2.5 / (d ** 2.5 + 0.5 ** 2.5))
    np.testing.assert_allclose(ds["quality"].values[0], [q(0.4, 0.5), q(0.3, 0.5), np.nan, q(0.25, 1), 1.0],
                               atol=1e-6)


def test_threat_intensity_counts_only_as_presence_and_nodata_is_not_a_source():
    # intensity 0.3 is a source like 1; a nodata pixel (NaN) is not a source
    lulc, thr = _row([0.3, 0, 0, 0, np.nan])
    threats, sens = _tables()
    d = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)["degradation"].values[0]
    np.testing.assert_allclose(d, [1, 0.75, 0.5, 0.25, 0.0], atol=1e-7)


def test_errors_list_all_missing_codes_and_bad_threat_values():
    lulc = raster(np.array([[1, 7, 9, 1]], np.uint8), nodata=255)
    thr = raster(np.array([[1, 0, 0, 0]], np.float32))
    threats, sens = _tables()
    with pytest.raises(ConfigError) as e:
        hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)
    assert "[7, 9]" in str(e.value)
    lulc1, thr2 = _row([2, 0, 0, 0, 0])
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        hq.habitat_quality(lulc1, {"t1": thr2}, threats, sens, half_saturation=0.5)
    bad = threats.assign(decay=["quadratic"], max_dist=[-1.0])
    with pytest.raises(ConfigError) as e:
        hq.habitat_quality(lulc1, {"t1": thr}, bad, sens, half_saturation=0.5)
    assert len(e.value.problems) == 2
    with pytest.raises(ConfigError, match="t1"):
        hq.habitat_quality(lulc1, {}, threats, sens, half_saturation=0.5)
    shifted = raster(np.zeros((1, 5), np.float32), x0=500050.0)
    with pytest.raises(AlignmentError):
        hq.habitat_quality(lulc1, {"t1": shifted}, threats, sens, half_saturation=0.5)


def test_invest_quirks_empty_threat_and_nan_sources():
    # 1x5 raster without sources: InVEST's EDT returns n_rows + n_cols + row = 6 px; m = 1000 m = 10 px
    # linear: i = (10 - 6)/10 = 0.4 everywhere with invest_quirks=True; 0 by default.
    lulc, thr = _row([0, 0, 0, 0, 0])
    threats, sens = _tables(max_dist=1000.0)
    d0 = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)["degradation"].values
    di = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5,
                            invest_quirks=True)["degradation"].values
    np.testing.assert_allclose(d0, 0.0)
    np.testing.assert_allclose(di, 0.4, atol=1e-7)
    # NaN threat pixel: nodata by default, a source under InVEST's mask ~isclose(v, nodata) & (v != 0)
    lulc, thr = _row([0, 0, 0, 0, np.nan])
    threats, sens = _tables()
    d0 = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)["degradation"].values[0]
    di = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5,
                            invest_quirks=True)["degradation"].values[0]
    np.testing.assert_allclose(d0, [0.0] * 5)
    np.testing.assert_allclose(di, [0, 0.25, 0.5, 0.75, 1.0], atol=1e-7)


def test_rarity_hand_case():
    # baseline [1,1,2,2,255], current [1,2,2,2,3]; counts where the baseline is valid:
    # N_x(1)=1, N_b(1)=2 -> 1 - 1/3; N_x(2)=3, N_b(2)=2 -> 1 - 3/5 = 0.4; code 3 only where baseline is nodata.
    base = raster(np.array([[1, 1, 2, 2, 255]], np.uint8), nodata=255)
    cur = raster(np.array([[1, 2, 2, 2, 3]], np.uint8), nodata=255)
    table, ras = hq.habitat_rarity(cur, base)
    assert table["lucode"].tolist() == [1, 2]
    np.testing.assert_allclose(table["rarity_value"], [1 - 1 / 3, 0.4])
    np.testing.assert_allclose(ras.values[0], [2 / 3, 0.4, 0.4, 0.4, np.nan], atol=1e-7)
    # a class absent from the baseline gets 0
    cur2 = raster(np.array([[5, 2, 2, 2, 3]], np.uint8), nodata=255)
    t2, _ = hq.habitat_rarity(cur2, base)
    assert dict(zip(t2["lucode"], t2["rarity_value"]))[5] == 0.0


def _brute_force(lulc, threats, table, sens, k, access, res):
    """Independent float64 reference: explicit distances to every source pixel (small rasters only)."""
    ny, nx = lulc.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    wsum = table["weight"].sum()
    D = np.zeros((ny, nx))
    for _, row in table.iterrows():
        src = np.argwhere(threats[row.threat] != 0)
        d = np.full((ny, nx), np.inf)
        for (r, c) in src:
            d = np.minimum(d, np.hypot(yy - r, xx - c))
        m = row.max_dist / res
        i = (m - d) / m if row.decay == "linear" else np.exp(-2.99 * d / m)
        i = np.where(d > m, 0.0, i)
        s = sens.set_index("lucode")[row.threat].reindex(lulc.ravel()).to_numpy().reshape(lulc.shape)
        D += i * s * (row.weight / wsum) * access
    H = sens.set_index("lucode")["habitat"].reindex(lulc.ravel()).to_numpy().reshape(lulc.shape)
    Q = H * (1 - D ** 2.5 / (D ** 2.5 + k ** 2.5))
    return D, Q


@pytest.mark.parametrize("seed", [0, 1, 2, 3], ids=lambda s: f"seed{s}")
def test_general_configurations_match_an_independent_reference(seed):
    """Other decays, weights, distances, k and access (the held-out kind of configuration)."""
    rng = np.random.default_rng(seed)
    ny, nx, res = 17, 23, 30.0
    lulc = rng.integers(1, 4, (ny, nx)).astype(np.uint8)
    names = ["a", "b", "c"]
    thr = {n: (rng.random((ny, nx)) < 0.03).astype(np.float32) for n in names}
    table = pd.DataFrame({"threat": names, "max_dist": rng.uniform(40, 600, 3).round(1),
                          "weight": rng.uniform(0.1, 1, 3).round(2),
                          "decay": rng.choice(["linear", "exponential"], 3)})
    sens = pd.DataFrame({"lucode": [1, 2, 3], "habitat": rng.uniform(0, 1, 3).round(2),
                         **{n: rng.uniform(0, 1, 3).round(2) for n in names}})
    access = rng.choice([0.25, 1.0], (ny, nx)).astype(np.float32)
    k = float(rng.uniform(0.05, 0.6))
    ds = hq.habitat_quality(raster(lulc, res=res, nodata=255),
                            {n: raster(v, res=res) for n, v in thr.items()}, table, sens, half_saturation=k,
                            access=raster(access, res=res))
    D, Q = _brute_force(lulc, thr, table, sens, k, access, res)
    assert max_abs_diff(ds["degradation"].values, D) <= 1e-5
    assert max_abs_diff(ds["quality"].values, Q) <= 1e-5


def test_numba_edt_equals_scipy():
    from scipy import ndimage

    rng = np.random.default_rng(5)
    for _ in range(30):
        shape = tuple(rng.integers(1, 40, 2))
        src = rng.random(shape) < rng.uniform(0.001, 0.2)
        src.flat[rng.integers(0, src.size)] = True
        assert np.array_equal(edt(src), ndimage.distance_transform_edt(~src).astype(np.float32))
        # anisotropic cells (map units): equal to scipy's float64 result up to rounding of ties
        got = edt(src, 30.0, 20.0, np.float64)
        np.testing.assert_allclose(got, ndimage.distance_transform_edt(~src, sampling=(30.0, 20.0)),
                                   rtol=1e-12)
    assert np.isinf(edt(np.zeros((3, 4), bool))).all()


@pytest.mark.parametrize("quirks", [False, True], ids=["documented", "invest_quirks"])
def test_dask_chunked_equals_numpy(quirks):
    # chunks of 6 cells, smaller than the halo (m = 500 m / 30 m = 16.7 px -> depth 18)
    rng = np.random.default_rng(11)
    ny, nx = 40, 37
    lulc = raster(rng.integers(1, 3, (ny, nx)).astype(np.uint8), res=30.0, nodata=255)
    t = np.zeros((ny, nx), np.float32)
    t[[3, 20, 35], [4, 30, 10]] = 1
    thr = {"a": raster(t, res=30.0), "b": raster(np.zeros((ny, nx), np.float32), res=30.0)}
    table = pd.DataFrame({"threat": ["a", "b"], "max_dist": [500.0, 1500.0], "weight": [0.7, 0.3],
                          "decay": ["exponential", "linear"]})
    sens = pd.DataFrame({"lucode": [1, 2], "habitat": [1.0, 0.6], "a": [0.8, 0.3], "b": [0.5, 0.5]})
    ref = hq.habitat_quality(lulc, thr, table, sens, half_saturation=0.2, invest_quirks=quirks)
    lz = hq.habitat_quality(lulc.chunk(6), {n: v.chunk(6) for n, v in thr.items()}, table, sens,
                            half_saturation=0.2, invest_quirks=quirks)
    assert hasattr(lz["quality"].data, "dask")
    for v in ("degradation", "quality"):
        np.testing.assert_array_equal(lz[v].values, ref[v].values)


@pytest.mark.realdata
def test_anchor_parity_full_run(invest_anchors):
    """InVEST 3.20.2 Willamette sample (cur + fut, access vector): |diff| <= 1e-5 (observed 0)."""
    import geopandas as gpd

    from restoreplan.io import read_raster

    root = invest_anchors / "habitat_quality"
    args = json.loads((root / "args.json").read_text())["args_full"]
    threats = pd.read_csv(root / args["threats_table_path"])
    sens = pd.read_csv(root / args["sensitivity_table_path"])
    for scen, col in (("c", "cur_path"), ("f", "fut_path")):
        lulc = read_raster(root / args[f"lulc_{'cur' if scen == 'c' else 'fut'}_path"], kind="categorical")
        lulc = lulc.rio.write_transform(lulc.rio.transform())
        thr = {r["threat"]: read_raster(root / "inputs" / r[col]).assign_coords(x=lulc.x, y=lulc.y)
               for _, r in threats.iterrows()}
        access = hq.rasterize_access(gpd.read_file(root / args["access_vector_path"]), like=lulc)
        ds = hq.habitat_quality(lulc, thr, threats, sens, half_saturation=args["half_saturation_constant"],
                                access=access, invest_quirks=True)
        for out, name in (("quality", "quality"), ("degradation", "deg_sum")):
            exp, _ = read_expected(root / "expected_full" / f"{name}_{scen}.tif")
            assert max_abs_diff(ds[out].values, exp) <= 1e-5
    qc, _ = read_expected(root / "expected_full" / "quality_c.tif")
    assert np.nanmean(qc) == pytest.approx(0.104211, abs=1e-6)


def test_xarray_metadata_survives():
    lulc, thr = _row([1, 0, 0, 0, 0])
    threats, sens = _tables()
    ds = hq.habitat_quality(lulc, {"t1": thr}, threats, sens, half_saturation=0.5)
    assert isinstance(ds, xr.Dataset)
    assert ds["quality"].rio.crs == lulc.rio.crs
    assert ds["quality"].rio.transform() == lulc.rio.transform()


def test_step_accepts_access_polygons():
    # ACCESS = 0.5 polygon over the two left cells (centres inside), 1 elsewhere: D = [0.5, 0.375, .5, .25, 0]
    import geopandas as gpd
    from shapely.geometry import box

    from restoreplan.pipeline import registry

    lulc, thr = _row([1, 0, 0, 0, 0])
    threats, sens = _tables()
    x0, y0 = 500000.0, 4000000.0
    poly = gpd.GeoDataFrame({"ACCESS": [0.5]}, geometry=[box(x0, y0 - 100, x0 + 200, y0)], crs="EPSG:32650")
    out = registry.get("habitat_quality").func(lulc, {"t1": thr}, threats, sens, access=poly, half_saturation=0.5)
    np.testing.assert_allclose(out["degradation"].values[0], [0.5, 0.375, 0.5, 0.25, 0.0], atol=1e-7)
