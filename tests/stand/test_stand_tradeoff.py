"""RMSE tradeoff intensity and supply scores (Dashihe study, eq. 4–6, Figs 4–6)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restoreplan.core.errors import ConfigError, DataError
from restoreplan.datasets.dashihe import dashihe
from restoreplan.stand import (
    pairwise_rmse,
    rmse_tradeoff,
    scatter_matrix,
    standardize_max,
    supply_score,
)


@pytest.fixture(scope="module")
def data():
    return dashihe()


def test_rmse_by_hand():
    # standardized rows: r1 = (1, .5, 1, .5) -> mean .75, Σdev² = 4·.0625 = .25, /(n−1 = 3) -> √(1/12)
    #                    r2 = (.5, 1, .5, 1) -> the same; maxima are 1 in every column
    t = pd.DataFrame({"a": [2.0, 1.0], "b": [1.0, 2.0], "c": [4.0, 2.0], "d": [3.0, 6.0]}, index=["r1", "r2"])
    assert rmse_tradeoff(t).tolist() == pytest.approx([math.sqrt(1 / 12)] * 2)
    p = pairwise_rmse(t).set_index(["scenario", "service_a", "service_b"])["rmse"]
    assert p[("r1", "a", "b")] == pytest.approx(0.5 / math.sqrt(2))     # |1 − .5|/√2
    assert p[("r1", "a", "c")] == pytest.approx(0.0)
    # literal eq. 5 (mean of all N = 4 services = .75): (1 − .75)² + (.5 − .75)² = .125, /(2 − 1) -> √.125
    pa = pairwise_rmse(t, mean="all").set_index(["scenario", "service_a", "service_b"])["rmse"]
    assert pa[("r1", "a", "b")] == pytest.approx(math.sqrt(0.125))
    assert pa[("r1", "a", "c")] == pytest.approx(math.sqrt(0.125))


def test_published_table4_rmse(data):
    r = rmse_tradeoff(data.table4)
    # computed row (paper Fig. 6: 0.18, 0.11, 0.23, 0.18, 0.23, 0.14)
    exp = {"status_quo": 0.135, "control": 0.059, "reference": 0.194, "future": 0.149,
           "pre_disturbance": 0.233, "recommended": 0.145}
    assert r.round(3).to_dict() == exp
    p = pairwise_rmse(data.table4).set_index(["scenario", "service_a", "service_b"])["rmse"]
    # S4 carbon–dust: carbon 11788/26786, dust 6489/6489 -> |0.44008 − 1|/√2 = 0.396 (paper 0.40)
    assert p[("pre_disturbance", "carbon_t_per_a", "dust_t_per_a")] == pytest.approx(
        (1 - 11788 / 26786) / math.sqrt(2))
    assert round(p.max(), 2) == 0.40


def test_supply_score_fig4(data):
    s = supply_score(data.stands)
    assert s.at["Recommended", "score"] == pytest.approx(79.03 / 80.17 + 3)          # 3.986 (paper 3.99)
    assert round(s.at["Control", "score"], 3) == 0.738
    assert s["score"].idxmax() == "Recommended" and s["score"].idxmin() == "Control"
    assert s.at["Amorpha fruticosa Mixed", "carbon_t_per_hm2_a"] == 1.0


def test_standardize_errors():
    with pytest.raises(DataError, match="max"):
        standardize_max(pd.DataFrame({"a": [0.0, 0.0], "b": [1.0, 2.0]}))
    with pytest.raises(DataError):
        standardize_max(pd.DataFrame({"a": [-1.0, 2.0], "b": [1.0, 2.0]}))
    with pytest.raises(ConfigError):
        rmse_tradeoff(pd.DataFrame({"a": [1.0], "b": [2.0]}), mean="median")


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.floats(0.1, 100), min_size=3, max_size=3), min_size=2, max_size=6),
       st.floats(0.1, 10))
def test_rmse_invariant_to_unit_changes(rows, k):
    t = pd.DataFrame(rows, columns=["a", "b", "c"])
    r = rmse_tradeoff(t)
    assert (r >= 0).all()
    assert np.allclose(rmse_tradeoff(t.assign(b=t["b"] * k)), r)      # standardized by the max
    # pair RMSE is |a − b|/√2 of the standardized values
    std = standardize_max(t)
    p = pairwise_rmse(t).query("service_a == 'a' and service_b == 'c'")["rmse"].to_numpy()
    assert np.allclose(p, (std["a"] - std["c"]).abs() / math.sqrt(2))


def test_scatter_matrix_returns_figure(data):
    from matplotlib.figure import Figure

    fig = scatter_matrix(data.table4, services=["carbon_t_per_a", "dust_t_per_a"], title="Table 4")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4
    # the off-diagonal panel holds one point per scenario at the standardized values
    pts = fig.axes[1].collections[0].get_offsets()
    assert len(pts) == 6 and float(pts[:, 1].max()) == 1.0
