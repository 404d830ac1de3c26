"""Classifiers: Jenks by Fisher's DP vs brute force, geometric intervals, rings, numpy == dask."""

import itertools
import warnings

import dask
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from restoreplan.core.errors import ConfigError, ConstantInputWarning, RestorePlanWarning
from restoreplan.services.classify import (
    classify,
    distance_rings,
    geometric_breaks,
    geometric_classes,
    jenks_breaks,
    jenks_classes,
    ring_classes,
)
from restoreplan.testing import make_raster


class _NoCompute:
    def __call__(self, dsk, keys, **kwargs):
        raise AssertionError("a dask compute happened inside a library function")


def _ssd(sorted_vals, uppers):
    """Within-class sum of squares of sorted values split after each upper edge."""
    tot, start = 0.0, 0
    for u in uppers:
        end = int(np.searchsorted(sorted_vals, u, side="right"))
        part = sorted_vals[start:end]
        tot += ((part - part.mean()) ** 2).sum() if part.size else 0.0
        start = end
    return tot


def _brute_force_ssd(vals, k):
    """Minimum SSD over every split of the sorted values into k non-empty contiguous classes."""
    v = np.sort(np.asarray(vals, float))
    n = v.size
    best = np.inf
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0,) + cuts + (n,)
        s = sum(((v[a:b] - v[a:b].mean()) ** 2).sum() for a, b in itertools.pairwise(bounds))
        best = min(best, s)
    return best


def test_jenks_verify_line():
    # worked example: [1, 2, 3, 10, 11, 12, 20, 21, 22], K = 3 -> breaks 3, 12, 22
    e = jenks_breaks([1, 2, 3, 10, 11, 12, 20, 21, 22], 3)
    np.testing.assert_array_equal(e, [1, 3, 12, 22])
    c = classify(xr.DataArray(np.array([1, 2, 3, 10, 11, 12, 20, 21, 22.0]), dims="i"), e)
    np.testing.assert_array_equal(c.values, [1, 1, 1, 2, 2, 2, 3, 3, 3])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=2, max_size=9), st.integers(1, 4))
def test_jenks_is_optimal_against_brute_force(vals, k):
    uniq = np.unique(vals)
    if uniq.size < k:
        with pytest.warns(RestorePlanWarning):
            e = jenks_breaks(vals, k)
        assert e.size == uniq.size + 1
        return
    e = jenks_breaks(vals, k)
    # breaks sorted, cover the range, and reach the brute-force optimum
    assert e[0] == min(vals) and e[-1] == max(vals)
    assert np.all(np.diff(e) >= 0) and np.all(np.diff(e[1:]) > 0)  # b_0 = b_1 when class 1 is one value
    v = np.sort(np.asarray(vals, float))
    assert _ssd(v, e[1:]) == pytest.approx(_brute_force_ssd(vals, k), abs=1e-9)


def _full_dp_ssd(vals, k):
    """Plain O(k n^2) Fisher DP (no monotonicity shortcut), for larger n than brute force allows."""
    v = np.sort(np.asarray(vals, float))
    n = v.size
    c1 = np.concatenate([[0.0], np.cumsum(v)])
    c2 = np.concatenate([[0.0], np.cumsum(v * v)])

    def ssd(a, b):  # v[a..b] inclusive
        s, m = c1[b + 1] - c1[a], b - a + 1
        return c2[b + 1] - c2[a] - s * s / m

    cost = np.array([ssd(0, j) for j in range(n)])
    for c in range(1, k):
        cost = np.array([min(cost[m - 1] + ssd(m, j) for m in range(c, j + 1)) if j >= c else np.inf
                         for j in range(n)])
    return cost[-1]


@pytest.mark.parametrize("k", [2, 4, 6], ids=lambda k: f"k{k}")
def test_jenks_equals_full_dynamic_program(k):
    rng = np.random.default_rng(k)
    vals = np.round(np.concatenate([rng.normal(0, 1, 150), rng.normal(5, 2, 100)]), 1)  # with ties
    e = jenks_breaks(vals, k)
    assert _ssd(np.sort(vals), e[1:]) == pytest.approx(_full_dp_ssd(vals, k), rel=1e-10, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=1, max_size=60), st.integers(1, 7))
def test_property_breaks_sorted_and_cover_range(vals, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RestorePlanWarning)
        e = jenks_breaks(vals, k)
    assert e[0] == min(vals) and e[-1] == max(vals)
    assert np.all(np.diff(e) >= 0)
    cls = classify(xr.DataArray(np.asarray(vals), dims="i"), e).values
    assert cls.min() >= 1 and cls.max() <= e.size - 1


def test_jenks_fewer_unique_values_reduces_k():
    with pytest.warns(RestorePlanWarning, match="using k=2"):
        e = jenks_breaks([1, 1, 5, 5], 4)
    np.testing.assert_array_equal(e, [1, 1, 5])
    with pytest.warns(ConstantInputWarning):
        jenks_breaks([2.0, 2.0], 3)


def test_jenks_sampling_keeps_extremes_and_is_seeded():
    rng = np.random.default_rng(0)
    v = rng.normal(size=30_000)
    v[123] = -50.0
    v[456] = 80.0
    a = jenks_breaks(v, 4, max_exact=2000, seed=7)
    b = jenks_breaks(v, 4, max_exact=2000, seed=7)
    np.testing.assert_array_equal(a, b)
    assert a[0] == -50.0 and a[-1] == 80.0
    c = jenks_breaks(v, 4, max_exact=2000, seed=8)
    assert c[0] == -50.0 and c[-1] == 80.0


def test_jenks_classes_numpy_equals_dask_and_lazy():
    rng = np.random.default_rng(2)
    a = rng.gamma(2.0, size=(30, 40))
    a[3, 4] = np.nan
    da = make_raster(a, name="npp")
    ref = jenks_classes(da, 5, max_exact=500, seed=1)
    with dask.config.set(scheduler=_NoCompute()):
        lazy = jenks_classes(da.chunk({"y": 7, "x": 9}), 5, max_exact=500, seed=1)
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(ref.values, lazy.values)
    assert ref.dtype == np.uint8 and ref.rio.nodata == 0 and ref.values[3, 4] == 0
    assert ref.attrs["units"] == "class" and set(np.unique(ref.values)) == {0, 1, 2, 3, 4, 5}
    e = jenks_breaks(da, 5, max_exact=500, seed=1)
    assert ref.attrs["edges"] == ",".join(f"{x:.10g}" for x in e)


def test_geometric_breaks_verify_line():
    # worked example: m = 1, M = 1000, K = 3 -> 1, 10, 100, 1000
    np.testing.assert_allclose(geometric_breaks([0.0, 1.0, 7.0, 1000.0], 3), [1, 10, 100, 1000], rtol=1e-12)


def test_geometric_classes_zero_in_class_1_and_dask():
    da = make_raster(np.array([[0.0, 1.0, 10.0], [10.5, 100.0, 1000.0]]))
    c = geometric_classes(da, 3)
    np.testing.assert_array_equal(c.values, [[1, 1, 1], [2, 2, 3]])
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(geometric_classes(da.chunk({"y": 1, "x": 2}), 3).values, c.values)


def test_geometric_without_positive_values_is_class_1():
    with pytest.warns(ConstantInputWarning, match="no positive"):
        e = geometric_breaks([0.0, 0.0], 3)
    c = classify(xr.DataArray(np.array([0.0, 0.0, np.nan]), dims="i"), e)
    np.testing.assert_array_equal(c.values, [1, 1, 0])


def test_classify_interval_rules():
    x = xr.DataArray(np.array([-1.0, 0.0, 1.0, 1.5, 2.0, 3.0, np.nan]), dims="i")
    np.testing.assert_array_equal(classify(x, [0, 1, 2]).values, [1, 1, 1, 2, 2, 2, 0])
    np.testing.assert_array_equal(classify(x, [0, 1, 2], clip=False).values, [0, 1, 1, 2, 2, 0, 0])
    with pytest.raises(ConfigError, match="non-decreasing"):
        classify(x, [2, 1])


def test_ring_classes_left_closed():
    d = make_raster(np.array([[0.0, 499.9, 500.0, 1999.0, 2000.0, np.nan]]))
    np.testing.assert_array_equal(ring_classes(d).values, [[1, 1, 2, 4, 5, 0]])
    with pytest.raises(ConfigError, match="increasing"):
        ring_classes(d, rings_m=(500, 400))


def test_distance_rings_raster_and_vector():
    f = np.zeros((9, 9))
    f[4, 4] = 1
    feat = make_raster(f, res=100.0)
    r = distance_rings(feat, rings_m=(150, 300))
    # distances from the centre cell: 0, 100, 141.4, 200, 282.8, 300, ...
    assert r.values[4, 4] == 1 and r.values[4, 5] == 1 and r.values[5, 5] == 1
    assert r.values[4, 6] == 2 and r.values[6, 6] == 2 and r.values[4, 7] == 3
    with dask.config.set(scheduler="sync"):
        np.testing.assert_array_equal(distance_rings(feat.chunk({"y": 4, "x": 4}), rings_m=(150, 300)).values,
                                      r.values)
    import geopandas as gpd
    from shapely.geometry import Point

    x, y = float(feat.x[4]), float(feat.y[4])
    gdf = gpd.GeoDataFrame(geometry=[Point(x, y).buffer(10)], crs="EPSG:32649")
    rv = distance_rings(gdf, like=feat, rings_m=(150, 300))
    np.testing.assert_array_equal(rv.values, r.values)
    assert rv.attrs["units"] == "class" and rv.rio.transform() == feat.rio.transform()


def test_balanced_geometric_anchor_ignores_a_vanishing_tail():
    """Log-uniform values on [1, 1000]: the plain edges 1, 10, 100, 1000 are already balanced and are kept;
    one extra value of 1e-9 (a kernel's edge) ruins the plain edges but not the balanced ones."""
    x = 10 ** np.linspace(0, 3, 300)
    plain = geometric_breaks(x, 3)
    np.testing.assert_allclose(geometric_breaks(x, 3, anchor="balanced"), plain, rtol=1e-9)
    tail = np.append(x, 1e-9)
    counts = lambda e: np.bincount(np.searchsorted(e[1:-1], tail, side="left"), minlength=3)  # noqa: E731
    assert counts(geometric_breaks(tail, 3)).max() > 250              # nearly all in the top class
    bal = geometric_breaks(tail, 3, anchor="balanced")
    assert counts(bal).max() <= 102 and bal[-1] == 1000.0
    with pytest.raises(ConfigError):
        geometric_breaks(x, 3, anchor="median")
