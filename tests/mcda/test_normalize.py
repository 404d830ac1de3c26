"""Standardization: worked-example numbers, pooling, edge cases, properties, numpy == dask."""

import dask
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from restoreplan.core.errors import ConfigError, ConstantInputWarning, DataError
from restoreplan.mcda import normalize
from restoreplan.testing import assert_numpy_dask_equal, make_raster


class _NoCompute:
    """dask scheduler that fails on any compute (checks laziness)."""

    def __call__(self, dsk, keys, **kwargs):
        raise AssertionError("a dask compute happened inside a library function")


def _vec(vals):
    return xr.DataArray(np.asarray(vals, dtype=float), dims="i")


@pytest.mark.parametrize("method, expected", [
    ("minmax_pos", [0.0, 0.5, 1.0]),
    ("minmax_neg", [1.0, 0.5, 0.0]),
    ("max", [1 / 3, 2 / 3, 1.0]),
], ids=["pos", "neg", "max"])
def test_verify_line(method, expected):
    # worked example: x = [2, 4, 6]
    np.testing.assert_allclose(normalize(_vec([2, 4, 6]), method=method).values, expected)


def test_zscore_ddof0():
    z = normalize(_vec([2, 4, 6]), method="zscore").values
    # mean 4, population sd sqrt(8/3)
    np.testing.assert_allclose(z, np.array([-2, 0, 2]) / np.sqrt(8 / 3))
    assert abs(z.mean()) < 1e-12 and abs(z.std() - 1) < 1e-12


def test_pooled_over_time_vs_per_year():
    a = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 3.0)])
    a[0, 0, 0], a[1, 0, 0] = 0.0, 4.0
    da = make_raster(a)
    pooled = normalize(da)  # one min (0) and max (4) for both years
    np.testing.assert_allclose(pooled.isel(time=0).values, [[0, .25], [.25, .25]])
    np.testing.assert_allclose(pooled.isel(time=1).values, [[1, .75], [.75, .75]])
    per_year = normalize(da, over=("y", "x"))
    np.testing.assert_allclose(per_year.isel(time=0).values, [[0, 1], [1, 1]])
    np.testing.assert_allclose(per_year.isel(time=1).values, [[1, 0], [0, 0]])
    assert pooled.attrs["units"] == "1" and pooled.rio.crs == da.rio.crs
    assert pooled.rio.transform() == da.rio.transform()


def test_nan_stays_nan_and_integer_nodata_is_masked():
    f = make_raster(np.array([[np.nan, 1.0], [2.0, 3.0]]))
    out = normalize(f)
    assert np.isnan(out.values[0, 0]) and np.nanmax(out.values) == 1.0
    i = make_raster(np.array([[255, 1], [2, 3]], dtype=np.uint8), nodata=255)
    oi = normalize(i)
    assert np.isnan(oi.values[0, 0])
    np.testing.assert_allclose(oi.values.ravel()[1:], [0, .5, 1])


def test_constant_input_warns_and_gives_zero():
    c = make_raster(np.full((3, 3), 7.0))
    with pytest.warns(ConstantInputWarning):
        out = normalize(c)
    assert (out.values == 0).all()
    with pytest.warns(ConstantInputWarning):
        normalize(c, method="zscore")


def test_constant_input_warns_at_compute_for_dask():
    c = make_raster(np.full((4, 4), 7.0), chunks=2)
    out = normalize(c)
    with pytest.warns(ConstantInputWarning), dask.config.set(scheduler="sync"):
        vals = out.values
    assert (vals == 0).all()


def test_max_with_nonpositive_maximum_raises():
    with pytest.raises(DataError, match="positive maximum"):
        normalize(_vec([-3, -1]), method="max")


def test_clip_percentiles_winsorizes():
    x = _vec(np.arange(101.0))  # percentiles equal the values
    out = normalize(x, clip_percentiles=(10, 90))
    np.testing.assert_allclose(out.values[:11], 0.0)
    np.testing.assert_allclose(out.values[90:], 1.0)
    np.testing.assert_allclose(out.values[50], 0.5)


def test_bad_arguments():
    with pytest.raises(ConfigError, match="method"):
        normalize(_vec([1, 2]), method="rank")
    with pytest.raises(ConfigError, match="unknown dims"):
        normalize(_vec([1, 2]), over=("time",))
    with pytest.raises(ConfigError, match="clip_percentiles"):
        normalize(_vec([1, 2]), clip_percentiles=(90, 10))


@pytest.mark.parametrize("method", ["minmax_pos", "minmax_neg", "max", "zscore"], ids=str)
def test_numpy_equals_dask_and_statistics_are_one_pass(method):
    """Dask: the pooled statistics are one reduction pass at call time (two-pass scheme), the rest lazy."""
    rng = np.random.default_rng(3)
    a = rng.uniform(1, 10, (2, 7, 5))
    a[0, 1, 1] = np.nan
    da = make_raster(a)
    ref, lazy = assert_numpy_dask_equal(lambda r: normalize(r, method=method, clip_percentiles=(5, 95)), da,
                                        chunks=3, rtol=1e-12)
    calls = []

    def counting(dsk, keys, **kwargs):
        calls.append(1)
        return dask.get(dsk, keys, **kwargs)

    with dask.config.set(scheduler=counting):
        out = normalize(da.chunk({"y": 3, "x": 3}), method=method)
    assert len(calls) == 1 and out.chunks is not None
    # percentiles are passes too (count/min/max, then per quantile a histogram, the candidates of
    # the bin holding the rank and the next value: no gather), then the one statistics pass
    calls.clear()
    with dask.config.set(scheduler=counting):
        out = normalize(da.chunk({"y": 3, "x": 3}), method=method, clip_percentiles=(5, 95))
    assert 1 < len(calls) <= 1 + 1 + 2 * 3 and out.chunks is not None
    drop = {"_FillValue"}
    assert {k: v for k, v in lazy.attrs.items() if k not in drop} == {k: v for k, v in ref.attrs.items() if k not in drop}


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_property_minmax_in_unit_interval(a):
    da = make_raster(a)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        pos = normalize(da).values
        neg = normalize(da, method="minmax_neg").values
    assert np.all((pos >= 0) & (pos <= 1))
    assert np.all((neg >= 0) & (neg <= 1))
    if a.max() > a.min():
        np.testing.assert_allclose(pos + neg, 1.0, atol=1e-9)
        assert pos.ravel()[np.argmax(a)] == 1.0 and pos.ravel()[np.argmin(a)] == 0.0
