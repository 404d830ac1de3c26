"""Importance values and diversity indices, checked against hand computations (Dashihe study, eq. 1–3)."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restoreplan.core.errors import ConfigError, ConstantInputWarning, DataError
from restoreplan.stand import diversity_table, importance_values, pielou, shannon, simpson


@pytest.fixture()
def plots():
    # Two trees and two shrubs in one site of 4 plots.
    return pd.DataFrame({
        "species": ["A", "B", "C", "D"],
        "life_form": ["tree", "tree", "shrub", "shrub"],
        "cover": [30.0, 10.0, 20.0, 20.0],
        "height": [10.0, 5.0, 2.0, 2.0],
        "plots": [4, 2, 3, 1],
    })


def test_importance_values_by_hand(plots):
    iv = importance_values(plots, n_plots=4)
    # trees (relative within the tree layer): Cr = 30/40, 10/40; Hr = 10/15, 5/15; Fr = 4/4, 2/4
    # IV_A = (3/4 + 2/3 + 1)/3 = 29/36 ; IV_B = (1/4 + 1/3 + 1/2)/3 = 13/36
    # shrubs: Cr = Hr = 1/2 -> IV = (1/2 + 1/2)/2 = 1/2 each (plots are ignored for shrubs)
    assert iv.loc["A", "iv"] == pytest.approx(29 / 36)
    assert iv.loc["B", "iv"] == pytest.approx(13 / 36)
    assert iv.loc[["C", "D"], "iv"].tolist() == pytest.approx([0.5, 0.5])
    assert np.isnan(iv.loc["C", "fr"])


def test_shannon_with_importance_values_by_hand(plots):
    iv = importance_values(plots, n_plots=4)["iv"]
    # seed convention (no renormalization): H = -Σ IV ln IV
    h_raw = -(29 / 36 * math.log(29 / 36) + 13 / 36 * math.log(13 / 36) + 2 * 0.5 * math.log(0.5))
    assert h_raw == pytest.approx(1.235144, abs=1e-6)
    assert shannon(iv, normalize=False) == pytest.approx(h_raw)
    # normalized: ΣIV = 29/36 + 13/36 + 1 = 78/36 -> P = 29/78, 13/78, 18/78, 18/78
    p = np.array([29, 13, 18, 18]) / 78
    assert shannon(iv, normalize=True) == pytest.approx(float(-(p * np.log(p)).sum()))
    assert shannon(iv) == pytest.approx(1.343256, abs=1e-6)


def test_relative_within_all_layers(plots):
    iv = importance_values(plots, n_plots=4, relative_within="all")
    # Cr over all species: 30/80; Hr over all: 10/19; Fr = 1 -> (3/8 + 10/19 + 1)/3
    assert iv.loc["A", "iv"] == pytest.approx((30 / 80 + 10 / 19 + 1) / 3)
    assert iv.loc["C", "iv"] == pytest.approx((20 / 80 + 2 / 19) / 2)


def test_relative_frequency_option(plots):
    iv = importance_values(plots, frequency="relative")
    # Fr = 4/6 and 2/6 (relative frequency among trees); n_plots not needed
    assert iv.loc["A", "fr"] == pytest.approx(4 / 6)
    assert iv.loc["B", "fr"] == pytest.approx(2 / 6)


def test_simpson_pielou_by_hand():
    assert simpson([1, 1, 1, 1]) == pytest.approx(0.75)          # 1 - 4·(1/4)²
    assert simpson([3, 1]) == pytest.approx(1 - (0.75**2 + 0.25**2))
    assert pielou([2, 2, 2]) == pytest.approx(1.0)
    assert pielou([3, 1]) == pytest.approx(shannon([3, 1]) / math.log(2))
    with pytest.warns(ConstantInputWarning):
        assert math.isnan(pielou([5]))


def test_unnormalized_shannon_exceeds_ln_s_like_the_seed():
    # 33 species with IV = 0.3 each (ΣIV = 9.9): H = 33·0.3·ln(1/0.3) = 11.92 > ln 33 = 3.50;
    # normalized it is exactly ln 33 (the bound the seed's values violate).
    iv = np.full(33, 0.3)
    assert shannon(iv, normalize=False) == pytest.approx(33 * 0.3 * math.log(1 / 0.3))
    assert shannon(iv, normalize=False) > math.log(33)
    assert shannon(iv) == pytest.approx(math.log(33))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0.01, 100), min_size=1, max_size=30), st.floats(0.1, 50))
def test_normalized_indices_bounds_and_scale_invariance(vals, k):
    h = shannon(vals)
    assert -1e-12 <= h <= math.log(len(vals)) + 1e-9
    assert shannon(np.array(vals) * k) == pytest.approx(h, abs=1e-9)
    assert 0 <= simpson(vals) <= 1 - 1 / len(vals) + 1e-9


@pytest.mark.parametrize("bad", [[], [1.0, -1.0], [1.0, np.nan]], ids=["empty", "negative", "nan"])
def test_shannon_rejects_bad_input(bad):
    with pytest.raises(DataError, match="Fix:"):
        shannon(bad)


def test_importance_values_errors(plots):
    with pytest.raises(ConfigError, match="n_plots"):
        importance_values(plots)
    with pytest.raises(DataError):
        importance_values(plots, n_plots=3)          # species A is in 4 plots
    bad = plots.assign(life_form=["tree", "liana", "shrub", "shrub"])
    with pytest.raises(ConfigError, match="liana"):
        importance_values(bad, n_plots=4)
    with pytest.raises(ConfigError, match="duplicates"):
        importance_values(pd.concat([plots, plots.iloc[:1]]), n_plots=4)


def test_diversity_table_per_stand(plots):
    two = pd.concat([plots.assign(stand="s1"), plots.iloc[2:].assign(stand="s2")], ignore_index=True)
    t = diversity_table(two, by="stand", n_plots={"s1": 4, "s2": 4}, normalize=False)
    assert t.loc["s1", "shannon"] == pytest.approx(1.235144, abs=1e-6)
    assert t.loc["s2", "shannon"] == pytest.approx(math.log(2))   # two shrubs, IV = 1/2 each
    assert t.loc["s2", "richness"] == 2
    assert t.loc["s1", "iv_sum"] == pytest.approx(78 / 36)
