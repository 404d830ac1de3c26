"""Chunked percentiles and distance transforms equal the in-memory results on small arrays cut into
several chunks (edge chunks smaller than the rest, NaN cells, ties, constant and all-NaN input)."""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr

from restoreplan.core.chunked import order_statistics, quantiles
from restoreplan.mcda.normalize import normalize

QS = [0.0, 0.01, 0.025, 0.1, 0.333, 0.5, 0.77, 0.99, 1.0]


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.gamma(2.0, 3.0, size=(37, 53)).astype(np.float32)
    a[rng.random(a.shape) < 0.2] = np.nan
    ties = np.round(rng.normal(size=(37, 53)), 1)          # many ties
    ties[:5] = np.nan
    return {"gamma_f32": a, "ties_f64": ties, "int_like": rng.integers(0, 4, size=(37, 53)).astype(np.float64)}


@pytest.mark.parametrize("name", ["gamma_f32", "ties_f64", "int_like"])
@pytest.mark.parametrize("chunks", [(10, 16), (37, 53), (5, 7)])
def test_quantiles_equal_numpy(name, chunks):
    a = _arrays()[name]
    got = quantiles(dsa.from_array(a, chunks=chunks), QS)
    want = np.nanquantile(a, QS)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_quantiles_small_histograms_refine_exactly():
    """Few bins and a tiny extract limit force several refinement passes; still exact."""
    a = _arrays(3)["gamma_f32"]
    got = quantiles(dsa.from_array(a, chunks=(8, 9)), QS, bins=4, extract_limit=3)
    np.testing.assert_array_equal(got, np.nanquantile(a, QS))


def test_order_statistics_and_degenerate_input():
    a = _arrays(1)["ties_f64"]
    valid = np.sort(a[~np.isnan(a)])
    n, vals = order_statistics(dsa.from_array(a, chunks=(6, 11)), [0, 17, len(valid) // 2, len(valid) - 1])
    assert n == valid.size
    assert vals == [valid[0], valid[17], valid[len(valid) // 2], valid[-1]]
    const = np.full((9, 9), 2.5)
    np.testing.assert_array_equal(quantiles(dsa.from_array(const, chunks=4), [0.1, 0.9]), [2.5, 2.5])
    nan = np.full((9, 9), np.nan)
    assert np.isnan(quantiles(dsa.from_array(nan, chunks=4), [0.5])).all()
    with pytest.raises(ValueError):
        order_statistics(dsa.from_array(const, chunks=4), [81])


def _grid(a, dims=("y", "x")):
    ny, nx = a.shape[-2:]
    coords = {"y": 1000.0 - 30.0 * np.arange(ny), "x": 30.0 * np.arange(nx)}
    if len(dims) == 3:
        coords["time"] = [2000, 2010]
    da = xr.DataArray(a, dims=dims, coords=coords, name="v")
    return da.rio.write_crs("EPSG:32649")


@pytest.mark.parametrize("over", [None, ("y", "x")])
def test_normalize_clip_percentiles_dask_equals_numpy(over):
    a = _arrays(2)["gamma_f32"]
    stack = np.stack([a, a[::-1] * 2])
    da = _grid(stack, ("time", "y", "x"))
    want = normalize(da, clip_percentiles=(2, 97), over=over)
    got = normalize(da.chunk({"time": 1, "y": 10, "x": 16}), clip_percentiles=(2, 97), over=over)
    assert got.chunks is not None
    got = got.compute()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.values, want.values)


# ---------------------------------------------------------------------------------------------
# exact distance transform in strips
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,density,sampling,chunks", [
    ((37, 53), 0.01, (30.0, 30.0), (10, 16)),     # edge chunks of 7 rows and 5 columns
    ((64, 41), 0.002, (30.0, 20.0), (20, 7)),     # anisotropic cells, very sparse targets
    ((50, 50), 0.3, (1.0, 1.0), (13, 50)),
    ((29, 31), 0.0, (10.0, 10.0), (8, 8)),        # a single target cell
])
def test_edt_strips_equal_scipy(shape, density, sampling, chunks):
    from scipy import ndimage

    from restoreplan.core.edt import edt_dask

    rng = np.random.default_rng(7)
    t = rng.random(shape) < density
    t[3, 5] = True
    for dtype in (np.float32, np.float64):
        want = ndimage.distance_transform_edt(~t, sampling=sampling).astype(dtype)
        got = edt_dask(dsa.from_array(t, chunks=chunks), *sampling, dtype=dtype).compute()
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=1e-12 if dtype == np.float64 else 1e-7, atol=0)


def test_edt_strips_no_target_is_inf():
    from restoreplan.core.edt import edt_dask

    got = edt_dask(dsa.zeros((12, 9), bool, chunks=5), 1.0, 1.0).compute()
    assert np.isinf(got).all()


@pytest.mark.parametrize("cap", [None, 95.0])
def test_distance_to_classes_dask_equals_numpy(cap, tmp_path):
    from restoreplan.core.chunked import spill_to
    from restoreplan.core.spatial import distance_to_classes

    rng = np.random.default_rng(11)
    lulc = rng.choice(np.array([1, 2, 3, 4, 255], np.uint8), size=(41, 38), p=[0.4, 0.3, 0.25, 0.01, 0.04])
    da = _grid(lulc).rio.write_nodata(255)
    want = distance_to_classes(da, classes=[4], max_distance_m=cap)
    with spill_to(tmp_path / "spill"):
        lazy = distance_to_classes(da.chunk({"y": 9, "x": 16}), classes=[4], max_distance_m=cap)
        assert lazy.chunks is not None
        got = lazy.compute()
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(got.values), lulc == 255)
    np.testing.assert_allclose(got.values, want.values, rtol=1e-7, atol=0)
