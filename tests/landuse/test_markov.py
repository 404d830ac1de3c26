"""Markov demand: counts, orientation, projection and rounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from restoreplan.core.errors import AssumptionWarning, ConfigError
from restoreplan.io import read_raster
from restoreplan.landuse import (
    as_transition_frame,
    largest_remainder_round,
    markov_demand,
    project_counts,
    transition_counts,
    transition_matrix,
)

from .conftest import make_raster

WUHAN_2013 = [44392, 231101, 2477186, 929369, 39411, 1453499, 150767]
WUHAN_2023 = [38637, 266153, 2118925, 1338791, 35737, 1384590, 142892]


@pytest.fixture(scope="module")
def wuhan_maps(wuhan):
    a = read_raster(wuhan / "lulc" / "wh2003_refy.tif", kind="categorical")
    b = read_raster(wuhan / "lulc" / "wh2013_refy.tif", kind="categorical")
    return a, b


@pytest.mark.realdata
def test_wuhan_reproduces_2013_counts(wuhan_maps):
    a, b = wuhan_maps
    n = transition_counts(a, b)
    assert int(n.to_numpy().sum()) == 5_325_725
    assert list(n.index) == [1, 2, 3, 4, 5, 6, 7] and n.index.name == "from" and n.columns.name == "to"
    p = transition_matrix(a, b)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    a2003 = n.sum(axis=1)
    assert project_counts(a2003, p).tolist() == WUHAN_2013
    # the 2013 counts on the common cells are the column sums of the cross-tabulation
    assert n.sum(axis=0).tolist() == WUHAN_2013


@pytest.mark.realdata
def test_wuhan_one_more_step(wuhan_maps):
    a, b = wuhan_maps
    d = markov_demand(a, b, steps=1)
    assert d.tolist() == WUHAN_2023
    assert d.sum() == 5_325_725


@pytest.mark.realdata
def test_wuhan_fractional_step_warns_and_keeps_total(wuhan_maps):
    a, b = wuhan_maps
    with pytest.warns(AssumptionWarning):
        half = markov_demand(a, b, steps=0.5)
    assert half.sum() == 5_325_725
    # between the 2013 counts and the one-step projection for the dominant trends
    assert WUHAN_2013[3] < half[4] < WUHAN_2023[3]
    assert WUHAN_2023[2] < half[3] < WUHAN_2013[2]


def test_crosstab_hand_counts():
    # start [[1,1],[2,nodata]], end [[1,2],[2,2]] -> pairs (1,1), (1,2), (2,2); nodata cell excluded
    s = make_raster(np.array([[1, 1], [2, 0]], np.uint8), nodata=0)
    e = make_raster(np.array([[1, 2], [2, 2]], np.uint8), nodata=0)
    n = transition_counts(s, e)
    assert n.to_numpy().tolist() == [[1, 1], [0, 1]]
    p = transition_matrix(s, e)
    assert p.to_numpy().tolist() == [[0.5, 0.5], [0.0, 1.0]]


def test_absent_class_gets_identity_row():
    s = make_raster(np.array([[1, 1], [1, 1]], np.uint8), nodata=0)
    e = make_raster(np.array([[1, 3], [1, 1]], np.uint8), nodata=0)
    p = transition_matrix(s, e)
    assert p.loc[3].tolist() == [0.0, 1.0]  # class 3 absent at the start stays itself
    assert p.loc[1].tolist() == [0.75, 0.25]


def test_bare_ndarray_needs_orientation():
    m = np.array([[0.9, 0.1], [0.0, 1.0]])
    with pytest.raises(ConfigError, match="orientation"):
        project_counts({1: 100, 2: 0}, m)
    rows = project_counts({1: 100, 2: 0}, m, orientation="from_rows")
    cols = project_counts({1: 100, 2: 0}, m.T, orientation="from_columns")
    assert rows.tolist() == cols.tolist() == [90, 10]


def test_dataframe_axis_names_set_orientation():
    m = np.array([[0.9, 0.1], [0.0, 1.0]])
    future_rows = pd.DataFrame(m.T, index=pd.Index([1, 2], name="to"), columns=pd.Index([1, 2], name="from"))
    f = as_transition_frame(future_rows)
    assert f.loc[1, 2] == pytest.approx(0.1)  # from 1 to 2


def test_largest_remainder_preserves_total():
    v = np.array([1.5, 1.5, 1.0])
    r = largest_remainder_round(v, total=4)
    assert r.sum() == 4 and r.tolist() == [2, 1, 1]
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = rng.random(7) * 1000
        tot = int(round(x.sum()))
        out = largest_remainder_round(x, total=tot)
        assert out.sum() == tot
        assert np.all(np.abs(out - x) < 1.0)


def test_integer_steps_equal_repeated_products():
    p = pd.DataFrame([[0.8, 0.2], [0.1, 0.9]], index=pd.Index([1, 2], name="from"),
                     columns=pd.Index([1, 2], name="to"))
    two = project_counts({1: 1000, 2: 1000}, p, steps=2, round_result=False)
    one = project_counts(project_counts({1: 1000, 2: 1000}, p, round_result=False), p, round_result=False)
    np.testing.assert_allclose(two.to_numpy(), one.to_numpy())


def test_hindcast_demand_is_the_end_counts_and_steps_zero():
    from restoreplan.landuse import hindcast_demand, markov_demand

    from .conftest import make_raster

    a = make_raster(np.array([[1, 1, 2], [2, 3, 0]], np.uint8), nodata=0)
    b = make_raster(np.array([[1, 2, 2], [3, 3, 3]], np.uint8), nodata=0)
    h = hindcast_demand(a, b)
    assert h.to_dict() == {1: 1, 2: 2, 3: 2}  # the (1, 2) cell is nodata in `a`, so not counted
    assert markov_demand(a, b, steps=0).to_dict() == h.to_dict()
    assert markov_demand(a, b, steps=1).sum() == h.sum()
