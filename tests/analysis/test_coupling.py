"""Coupling degree C and coordination degree D: verify values, the factor-2 defect, classes, properties."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from restoreplan.analysis.coupling import class_table, coupling, coupling_degree
from restoreplan.core.errors import ConfigError, DataError
from restoreplan.testing import assert_numpy_dask_equal, make_raster

unit = st.floats(0.0, 1.0, allow_nan=False)


def _c(u1, u2, **kw):
    return coupling(xr.DataArray(np.atleast_1d(np.asarray(u1, float))),
                    xr.DataArray(np.atleast_1d(np.asarray(u2, float))), **kw)


def test_verify_values_and_the_factor_two_defect():
    # C = 2√(0.12)/0.8 = 0.866025; T = 0.4; D = √(0.866025·0.4) = 0.588566 → low coordination (code 4)
    r = _c(0.6, 0.2)
    assert float(r.c[0]) == pytest.approx(0.866025, abs=1e-6)
    assert float(r.t[0]) == pytest.approx(0.4)
    assert float(r.d[0]) == pytest.approx(0.588566, abs=1e-6)
    assert int(r.d_class[0]) == 4 and class_table("d").loc[4, "label"] == "low coordination"
    # the frequent variant without the factor 2 gives 0.433013 and caps C at 0.5: not ours
    defect = np.sqrt(0.6 * 0.2) / (0.6 + 0.2)
    assert defect == pytest.approx(0.433013, abs=1e-6)
    assert float(r.c[0]) == pytest.approx(2 * defect) and float(r.c[0]) > 0.5
    assert float(_c(0.5, 0.5).c[0]) == 1.0  # the defect would give 0.5


def test_resonance_none_and_nodata():
    r = _c([0.3, 1e-300, 0.0, np.nan], [0.3, 1e-300, 0.0, 0.5])
    assert r.c.values[:2].tolist() == [1.0, 1.0]
    assert r.c_class.values.tolist() == [6, 6, 1, 0]   # resonance, resonance, none, nodata
    assert r.c.values[2] == 0 and r.d.values[2] == 0 and r.d_class.values[2] == 1
    assert np.isnan(r.d.values[3]) and r.d_class.values[3] == 0


def test_n_systems_form():
    u = (0.3, 0.2, 0.1)
    expected = 3 * (np.prod(u) / np.sum(u) ** 3) ** (1 / 3)
    assert coupling_degree(*[[x] for x in u])[0] == pytest.approx(expected, rel=1e-12)
    r = coupling(*[xr.DataArray([x]) for x in (0.4, 0.4, 0.4)])
    assert float(r.c[0]) == pytest.approx(1.0, abs=1e-12) and int(r.c_class[0]) == 6
    assert float(r.t[0]) == pytest.approx(0.4)


def test_class_breaks():
    # D = √(C·T) with u1 = u2 = u: C = 1, T = u → D = √u
    d = np.array([0.1, 0.3, 0.45, 0.55, 0.7, 0.9])
    r = _c(d ** 2, d ** 2)
    assert r.d_class.values.tolist() == [1, 2, 3, 4, 5, 6]
    d10 = np.array([0.05, 0.25, 0.45, 0.55, 0.75, 0.95])
    r10 = _c(d10 ** 2, d10 ** 2, d_scheme="ten_class")
    assert r10.d_class.values.tolist() == [1, 3, 5, 6, 8, 10]
    # C classes: Sun et al. (2025) breaks 0.3/0.6/0.8 vs common 0.3/0.5/0.8; C = 0.55 → antagonistic vs running-in
    # C = 2√(r(1−r)) = 0.55 for r = (1 − √(1 − 0.3025))/2
    rr = (1 - np.sqrt(1 - 0.55 ** 2)) / 2
    assert int(_c(rr, 1 - rr).c_class[0]) == 3
    assert int(_c(rr, 1 - rr, c_scheme="common").c_class[0]) == 4


def test_standardize_and_errors():
    s = make_raster(np.array([[2.0, 4.0], [6.0, np.nan]]))
    d = make_raster(np.array([[1.0, 3.0], [5.0, 2.0]]))
    r = coupling(s, d, standardize=True)
    # u1 = [0, .5, 1], u2 = [0, .5, 1]: C = [0 (both 0), 1, 1]
    assert r.c.values[0].tolist() == [0.0, 1.0] and r.c.values[1, 0] == 1.0 and np.isnan(r.c.values[1, 1])
    assert r.d.rio.crs == s.rio.crs
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        coupling(s, d)
    with pytest.raises(ConfigError):
        _c(0.2, 0.3, weights=(0.7, 0.7))
    with pytest.raises(ConfigError):
        coupling(s)


@settings(max_examples=200, deadline=None)
@given(unit, unit)
def test_properties_two_systems(u1, u2):
    r = _c(u1, u2)
    c, d = float(r.c[0]), float(r.d[0])
    assert 0.0 <= c <= 1.0 and 0.0 <= d <= 1.0
    if u1 == u2 and u1 > 0:
        assert c == 1.0
    if abs(u1 - u2) > 1e-6 * max(u1, u2):
        assert c < 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1e-6, 1.0), min_size=3, max_size=5))
def test_properties_n_systems(us):
    c = coupling_degree(*[[x] for x in us])[0]
    assert 0.0 <= c <= 1.0
    if max(us) - min(us) > 1e-3 * max(us):
        assert c < 1.0 - 1e-12
    c_eq = coupling_degree(*[[us[0]] for _ in us])[0]
    assert c_eq == pytest.approx(1.0, abs=1e-12)


def test_numpy_equals_dask():
    rng = np.random.default_rng(0)
    a, b = rng.random((7, 8)), rng.random((7, 8))
    a[2, 2] = np.nan

    def f(x, y):
        ds = coupling(x, y)
        return [ds[k] for k in ("c", "t", "d", "c_class", "d_class")]

    assert_numpy_dask_equal(f, make_raster(a), make_raster(b), chunks=3, rtol=1e-12)


def test_nothing_is_computed_at_call_time():
    import dask

    def forbid(*args, **kwargs):
        raise AssertionError("computed at call time")

    rng = np.random.default_rng(1)
    a, b = (make_raster(rng.random((6, 6)) * 9).chunk({"y": 3, "x": 3}) for _ in range(2))
    with dask.config.set(scheduler=forbid):
        r = coupling(a, b, standardize=True)
    assert r.d.chunks is not None
    assert 0 <= float(r.d.max().compute()) <= 1
