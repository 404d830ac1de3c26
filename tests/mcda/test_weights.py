"""Entropy weights and the FUI priority index: verify line, constant indicators, properties, dask."""

import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from restoreplan.core.errors import AssumptionWarning, ConfigError, ConstantInputWarning, DataError
from restoreplan.mcda.index import priority_index
from restoreplan.mcda.weights import entropy_weights, entropy_weights_array
from restoreplan.testing import make_raster


def test_verify_line():
    # x1' = [0, .5, 1] → p = [0, 1/3, 2/3] → e1 = (ln3 − (2/3)ln2)/ln3 = 0.579380; x2' = [0, 0, 1] → e2 = 0
    # w = (0.420620, 1)/1.420620 = (0.296082, 0.703918); scores = w·x' = [0, 0.148041, 1]
    e, w = entropy_weights_array(np.array([[1, 5], [2, 5], [3, 6.0]]), directions=["+", "+"])
    np.testing.assert_allclose(e, [0.579380, 0.0], atol=1e-6)
    np.testing.assert_allclose(w, [0.296082, 0.703918], atol=1e-6)
    ind = {"x1": xr.DataArray([1.0, 2.0, 3.0]), "x2": xr.DataArray([5.0, 5.0, 6.0])}
    idx, tab = priority_index(ind, dimensions=None, directions={"x1": "+", "x2": "+"})
    np.testing.assert_allclose(idx.values, [0, 0.148041, 1], atol=1e-6)
    np.testing.assert_allclose(entropy_weights(ind, directions={"x1": "+", "x2": "+"})["weight"],
                               [0.296082, 0.703918], atol=1e-6)
    assert tab["weight"].sum() == pytest.approx(1.0)


def test_direction_reverses_standardization():
    # a cost indicator [3, 2, 1] (−) is the benefit indicator [1, 2, 3] (+)
    _, w1 = entropy_weights_array(np.array([[1, 5], [2, 5], [3, 6.0]]), directions=["+", "+"])
    _, w2 = entropy_weights_array(np.array([[3, 5], [2, 5], [1, 6.0]]), directions=["-", "+"])
    np.testing.assert_allclose(w1, w2)


def test_constant_indicator_gets_zero_weight_and_warns():
    ind = {"a": make_raster(np.array([[1.0, 2.0], [3.0, 4.0]])), "c": make_raster(np.full((2, 2), 7.0))}
    with pytest.warns(ConstantInputWarning, match="'c'"):
        tab = entropy_weights(ind, directions={"a": "+", "c": "-"})
    assert tab.loc["c", "weight"] == 0.0 and tab.loc["a", "weight"] == pytest.approx(1.0)
    with pytest.raises(DataError):
        entropy_weights({"a": make_raster(np.array([[1.0, np.nan]]))}, directions={"a": "+"})


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 12), st.integers(1, 5)),
              elements=st.floats(-1e3, 1e3, allow_nan=False)))
def test_weights_sum_to_one_and_constant_columns_are_zero(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)
        e, w = entropy_weights_array(x)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all() and (w <= 1).all()
    assert ((e >= 0) & (e <= 1)).all()
    const = np.ptp(x, axis=0) == 0
    if const.any() and not const.all():
        assert (w[const] == 0).all()


def test_raster_weights_equal_kernel_and_mask_domain():
    rng = np.random.default_rng(5)
    a, b = rng.random((6, 7)), rng.random((6, 7)) ** 3
    a[0, 0] = np.nan                                    # listwise: (0, 0) leaves the domain
    mask = np.ones((6, 7), np.uint8)
    mask[5] = 0
    tab = entropy_weights({"a": make_raster(a), "b": make_raster(b)}, directions={"a": "+", "b": "-"},
                          mask=make_raster(mask))
    keep = ~np.isnan(a) & (mask == 1)
    _, w = entropy_weights_array(np.c_[a[keep], b[keep]], directions=["+", "-"])
    np.testing.assert_allclose(tab["weight"], w, rtol=1e-10)
    assert tab["n_cells"].iloc[0] == keep.sum()


def _fui(rng, shape=(8, 9)):
    names = ["population", "distance_to_road", "elevation", "slope", "balance", "balance_trend", "supply"]
    return {k: make_raster(rng.random(shape) * (i + 1)) for i, k in enumerate(names)}


def test_two_level_index_by_hand_and_range():
    rng = np.random.default_rng(11)
    ind = _fui(rng)
    mask = make_raster((rng.random((8, 9)) > 0.3).astype(np.uint8))
    with pytest.warns(AssumptionWarning, match="gdp"):
        idx, tab = priority_index(ind, mask=mask, drop_missing=True)
    assert tab["weight"].sum() == pytest.approx(1.0)
    assert np.nanmin(idx.values) >= 0 and np.nanmax(idx.values) <= 1
    assert np.isnan(idx.values[mask.values == 0]).all()
    # recompute: standardize on the mask, entropy within dimensions, then over U_d
    m = mask.values == 1
    dims = {"feasibility": ["population", "distance_to_road", "elevation", "slope"],
            "urgency": ["balance", "balance_trend"], "importance": ["supply"]}
    dirs = {"population": "+", "distance_to_road": "-", "elevation": "-", "slope": "-", "balance": "-",
            "balance_trend": "-", "supply": "+"}

    def std(k):
        v = ind[k].values[m]
        s = (v - v.min()) / (v.max() - v.min())
        return s if dirs[k] == "+" else 1 - s

    u = []
    for names in dims.values():
        x = np.c_[tuple(std(k) for k in names)]
        _, w = entropy_weights_array(x, standardize=False)
        u.append(x @ w)
    _, wd = entropy_weights_array(np.c_[tuple(u)], standardize=False)
    np.testing.assert_allclose(idx.values[m], np.c_[tuple(u)] @ wd, rtol=1e-5)
    np.testing.assert_allclose(tab.groupby("dimension")["dimension_weight"].first()[list(dims)], wd, rtol=1e-10)


def test_groups_and_missing_indicators():
    rng = np.random.default_rng(2)
    ind = _fui(rng)
    for k in ("balance", "supply"):
        base = ind[k]
        ind[k] = xr.concat([base, base * 2 + rng.random(base.shape)], dim="group").assign_coords(
            group=["regulating", "total"]).rio.write_crs(base.rio.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        idx, tab = priority_index(ind, drop_missing=True)
    assert idx.dims == ("group", "y", "x") and list(idx.group.values) == ["regulating", "total"]
    assert tab.groupby("group")["weight"].sum().tolist() == pytest.approx([1.0, 1.0])
    with pytest.raises(ConfigError, match="gdp"):
        priority_index(ind)


def test_numpy_equals_dask():
    rng = np.random.default_rng(9)
    ind = _fui(rng)
    ind["population"].values[2, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        ref, wref = priority_index(ind, drop_missing=True)
        lazy, wlazy = priority_index({k: v.chunk({"y": 3, "x": 4}) for k, v in ind.items()}, drop_missing=True)
        kept, _ = priority_index({k: v.chunk({"y": 3, "x": 4}) for k, v in ind.items()}, drop_missing=True,
                                 persist=True)
    assert lazy.chunks is not None
    np.testing.assert_allclose(ref.values, lazy.compute().values, rtol=1e-6)
    np.testing.assert_allclose(ref.values, kept.compute().values, rtol=1e-6)
    np.testing.assert_allclose(wref["weight"], wlazy["weight"], rtol=1e-10)
