"""Species coefficient database (imputation) and stand capacities (Dashihe study, §2.3.1)."""

import pandas as pd
import pytest

from restoreplan.core.errors import ConfigError, DataError
from restoreplan.stand import species_values, stand_capacity, stand_names


@pytest.fixture()
def pool():
    return pd.DataFrame({
        "species": ["t1", "t2", "t3", "s1", "s2", "r1", "r2"],
        "life_form": ["tree", "tree", "tree", "shrub", "shrub", "tree", "shrub"],
        "sites": ["restoration", "restoration", "restoration", "restoration", "restoration", "reference",
                  "reference"],
        "invasive": [False, False, True, False, False, False, False],
    })


@pytest.fixture()
def records():
    return pd.DataFrame({
        "species": ["t1", "t1", "t2", "s1", "r1", "t1", "r1"],
        "service": ["lai", "lai", "lai", "lai", "lai", "carbon", "carbon"],
        "value": [2.0, 4.0, 6.0, 1.5, 9.0, 10.0, 30.0],
        "source": list("abcdefg"),
    })


def test_species_mean_and_same_site_imputation(records, pool):
    v = species_values(records, pool, services=["lai"])
    assert v.loc["t1", "lai"] == 3.0                    # mean of the records 2 and 4
    assert v.loc["t3", "lai"] == pytest.approx(4.5)     # restoration trees: mean(3, 6)
    assert v.loc["s2", "lai"] == 1.5                    # restoration shrubs: s1 only
    assert v.loc["t3", "lai_origin"] == "site_mean"
    assert v.loc["t1", "lai_origin"] == "records"
    assert bool(v.loc["t3", "invasive"]) is True        # extra columns carried


def test_across_site_fallback_and_error(records, pool):
    v = species_values(records, pool, services=["lai"])
    # r2 is a reference shrub; no reference shrub has LAI -> mean of all shrubs (s1 = 1.5)
    assert v.loc["r2", "lai"] == 1.5 and v.loc["r2", "lai_origin"] == "global_mean"
    # carbon: restoration trees have t1 = 10 -> t2, t3 = 10; shrubs have no carbon anywhere -> error
    with pytest.raises(DataError, match="s1 \\(shrub, carbon\\)"):
        species_values(records, pool, services=["carbon"])
    with pytest.raises(DataError, match="r2"):
        species_values(records, pool, services=["lai"], fallback="error")


def test_species_in_two_sites_takes_mean_of_site_means(records, pool):
    pool = pd.concat([pool, pd.DataFrame({"species": ["x"], "life_form": ["tree"],
                                          "sites": ["restoration;reference"], "invasive": [False]})])
    v = species_values(records, pool, services=["lai"])
    assert v.loc["x", "lai"] == pytest.approx((4.5 + 9.0) / 2)   # restoration trees 4.5, reference trees 9


def test_species_values_input_errors(records, pool):
    with pytest.raises(ConfigError, match="zz"):
        species_values(pd.concat([records, pd.DataFrame({"species": ["zz"], "service": ["lai"], "value": [1.0]})]),
                       pool)
    with pytest.raises(DataError):
        species_values(records.assign(value=-records["value"]), pool)
    with pytest.raises(ConfigError, match="dust"):
        species_values(records, pool, services=["dust"])


def test_stand_capacity_weights():
    comp = pd.DataFrame({"stand": ["S", "S", "T"], "species": ["a", "b", "a"], "cover": [60.0, 20.0, 10.0],
                         "height": [8.0, 2.0, 8.0], "life_form": ["tree", "shrub", "tree"], "plots": [2, 1, 1]})
    vals = pd.DataFrame({"lai": [4.0, 8.0], "carbon": [10.0, 2.0]}, index=["a", "b"])
    cov = stand_capacity(comp, vals, services=["lai", "carbon"])
    assert cov.loc["S", "lai"] == pytest.approx((60 * 4 + 20 * 8) / 80)    # 5.0
    assert cov.loc["T", "carbon"] == 10.0
    eq = stand_capacity(comp, vals, weights="equal", services=["lai"])
    assert eq.loc["S", "lai"] == pytest.approx(6.0)
    imp = stand_capacity(comp, vals, weights="importance", services=["lai"], n_plots=2)
    # stand S: tree a alone in its layer -> IV = (1 + 1 + 2/2)/3 = 1; shrub b alone -> IV = (1 + 1)/2 = 1
    assert imp.loc["S", "lai"] == pytest.approx(6.0)


def test_stand_capacity_missing_species():
    comp = pd.DataFrame({"stand": ["S", "S"], "species": ["a", "q"], "cover": [1.0, 1.0]})
    with pytest.raises(ConfigError, match="'q'"):
        stand_capacity(comp, pd.DataFrame({"lai": [1.0]}, index=["a"]), services=["lai"])


def test_stand_names_mixed_rule():
    comp = pd.DataFrame({"stand": [1, 1, 2, 2], "species": ["Ulmus pumila", "Populus tomentosa", "Tamarix", "x"],
                         "cover": [55.0, 45.0, 61.0, 39.0]})
    assert stand_names(comp).to_dict() == {1: "Ulmus pumila Mixed", 2: "Tamarix"}
