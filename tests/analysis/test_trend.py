"""Per-pixel OLS trend and F test: hand-computed series, scipy parity, nodata, numpy == dask."""

import warnings

import numpy as np
import pytest
from scipy import stats

from restoreplan.analysis.trend import CLASS_NODATA, f_critical, trend
from restoreplan.core.errors import ConfigError, LowPowerWarning
from restoreplan.testing import assert_numpy_dask_equal, make_raster


def _stack(series, years=None):
    """(time, 1, k) raster from k series of equal length."""
    arr = np.asarray(series, dtype=np.float64).T[:, None, :]
    da = make_raster(arr)
    if years is not None:
        da = da.assign_coords(time=years)
    return da


def test_verify_lines_of_methods():
    # y = [1, 2, 3]: slope 1, r = 1 → F = inf, significant increase
    # y = [1, 3, 2]: Σ(t−2)(y−2) = (−1)(−1) + 0 + 1·0 = 1, Sxx = 2 → slope 0.5; r = 1/√(2·2) = 0.5,
    #                F = 0.25·1/0.75 = 1/3 → not significant → class 1
    with pytest.warns(LowPowerWarning):
        r = trend(_stack([[1, 2, 3], [1, 3, 2], [3, 2, 1], [2, 1, 1.5]]))
    np.testing.assert_allclose(r.slope.values[0], [1.0, 0.5, -1.0, -0.25])
    assert np.isinf(r.f.values[0, 0]) and r.p.values[0, 0] == 0.0
    assert r.f.values[0, 1] == pytest.approx(1 / 3, rel=1e-12)
    assert r.trend_class.values[0].tolist() == [2, 1, -2, -1]
    assert r.trend_class.rio.nodata == CLASS_NODATA
    assert r.f.attrs["f_critical"] == pytest.approx(161.448, abs=1e-3)


def test_f_critical_table():
    # worked example: n = 3 → 161.448; 4 → 18.513; 5 → 10.128; 6 → 7.709; 10 → 5.318
    for n, f in [(3, 161.448), (4, 18.513), (5, 10.128), (6, 7.709), (10, 5.318)]:
        assert f_critical(n) == pytest.approx(f, abs=1e-3)
    with pytest.raises(ConfigError):
        f_critical(2)


def test_p_and_slope_equal_scipy_linregress():
    rng = np.random.default_rng(42)
    series = rng.normal(0, 1, (25, 7)) + np.linspace(0, 2, 7) * rng.normal(0, 1, (25, 1))
    r = trend(_stack(series))
    for i, y in enumerate(series):
        ref = stats.linregress(np.arange(1, 8), y)
        assert r.slope.values[0, i] == pytest.approx(ref.slope, rel=1e-10)
        assert r.p.values[0, i] == pytest.approx(ref.pvalue, rel=1e-10)
        # F = t² of the slope test; class from F against F_0.05(1, 5)
        sig = ref.pvalue < 0.05
        assert abs(r.trend_class.values[0, i]) == (2 if sig else 1)


def test_low_power_warning_and_sign_option():
    s = _stack([[1, 3, 2], [3, 1, 2]])
    with pytest.warns(LowPowerWarning, match="161.45"):
        trend(s)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowPowerWarning)
        r = trend(s, classify_by="sign")       # no warning: the option is the remedy
        trend(_stack([[1, 2, 3, 4]]))          # n = 4: no warning
    assert r.trend_class.values[0].tolist() == [1, -1]
    # sign classification never yields ±2, even for a perfect line
    assert trend(_stack([[1, 2, 3]]), classify_by="sign").trend_class.values[0, 0] == 1


def test_time_coord_gives_slope_per_year():
    r = trend(_stack([[1, 2, 3]], years=[2000, 2010, 2020]), time="coord", classify_by="sign")
    assert r.slope.values[0, 0] == pytest.approx(0.1)
    assert r.slope.attrs["units"].endswith("/year")
    # uneven years change the coord slope but not the index slope
    r2 = trend(_stack([[0, 1, 3]], years=[2000, 2001, 2003]), time="coord", classify_by="sign")
    assert r2.slope.values[0, 0] == pytest.approx(1.0)


def test_constant_and_nodata_series():
    s = _stack([[0.1, 0.1, 0.1, 0.1], [1, np.nan, 2, 3], [5, 4, 3, 2]])
    r = trend(s)
    assert r.slope.values[0, 0] == 0 and np.isnan(r.f.values[0, 0]) and r.trend_class.values[0, 0] == 0
    assert np.isnan(r.slope.values[0, 1]) and r.trend_class.values[0, 1] == CLASS_NODATA
    assert r.trend_class.values[0, 2] == -2  # perfect decline, F = inf > F(1, 2) = 18.51


def test_grid_is_kept_and_too_short_series_raise():
    s = _stack([[1, 2, 3, 5]])
    r = trend(s)
    assert r.slope.rio.crs == s.rio.crs and r.slope.rio.transform() == s.rio.transform()
    with pytest.raises(ConfigError, match="at least 3"):
        trend(_stack([[1, 2]]))
    with pytest.raises(ConfigError):
        trend(s, alpha=1.5)


def test_numpy_equals_dask():
    rng = np.random.default_rng(3)
    arr = rng.normal(0, 1, (4, 7, 8)).cumsum(axis=0)
    arr[1, 2, 3] = np.nan
    arr[:, 5, 5] = 2.0
    da = make_raster(arr)

    def f(x):
        ds = trend(x)
        return [ds[k] for k in ("slope", "f", "p", "trend_class")]

    _, lazy = assert_numpy_dask_equal(f, da, chunks=3, rtol=1e-12)
    assert lazy[0].chunks is not None  # lazy until computed


def test_nothing_is_computed_at_call_time():
    import dask

    def forbid(*args, **kwargs):
        raise AssertionError("computed at call time")

    da = make_raster(np.random.default_rng(0).random((4, 6, 6))).chunk({"y": 3, "x": 3})
    with dask.config.set(scheduler=forbid):
        r = trend(da)
    assert r.slope.chunks is not None
