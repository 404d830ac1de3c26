"""Recommended composition reproduces the Dashihe study Table 2."""

import pandas as pd
import pytest

from restoreplan.core.errors import AssumptionWarning, ConfigError, DataError
from restoreplan.datasets.dashihe import dashihe
from restoreplan.stand import (
    rank_species,
    ranks_from_lists,
    recommended_composition,
    select_trees,
    understory_layer,
)


@pytest.fixture(scope="module")
def data():
    return dashihe()


def test_table2_reproduced_exactly(data):
    got = recommended_composition(ranks_from_lists(data.rankings), data.species)
    exp = data.table2
    assert got["layer"].tolist() == exp["layer"].tolist()
    assert got["species"].tolist() == exp["species"].tolist()
    assert got["percent"].tolist() == pytest.approx(exp["percent"].tolist())
    trees = got[got.layer == "tree"]
    assert trees["basis"].tolist() == exp.loc[exp.layer == "tree", "basis"].tolist()   # "(1, 3, 1)" etc.
    assert got.groupby("layer")["percent"].sum().tolist() == pytest.approx([100, 100, 100])


def test_tree_order_and_tie_break(data):
    t = select_trees(ranks_from_lists(data.rankings), data.species)
    assert t["appearances"].tolist() == [3, 3, 3, 3, 2, 2, 2, 2, 2, 2]
    assert t.loc["Larix principis-rupprechtii", "mean_rank"] == pytest.approx(5 / 3)
    # Salix (-, 4, 8) and Pistacia (-, 8, 4) tie on mean rank 6: the rank tuple puts Salix first, as printed
    idx = list(t.index)
    assert idx.index("Salix matsudana") < idx.index("Pistacia chinensis")


def test_ladder_renormalized_when_fewer_qualify(data):
    t = select_trees(ranks_from_lists(data.rankings), data.species, min_appearances=3)
    assert len(t) == 4
    assert t["percent"].tolist() == pytest.approx([100 * 20 / 65, 100 * 15 / 65, 100 * 15 / 65, 100 * 15 / 65])


def test_rank_from_values_excludes_invasive_and_non_trees():
    vals = pd.DataFrame({"lai": [9.0, 8.0, 7.0, 1.0], "carbon": [1.0, 9.0, 8.0, 7.0], "dust": [9.0, 1.0, 8.0, 7.0]},
                        index=["inv", "shr", "t1", "t2"])
    sp = pd.DataFrame({"life_form": ["tree", "shrub", "tree", "tree"], "invasive": [True, False, False, False]},
                      index=vals.index)
    r = rank_species(vals)
    # top-2 lists: lai {inv, shr}, carbon {shr, t1}, dust {inv, t1}
    t = select_trees(r, sp, top_n=2, ladder=(60, 40))
    assert list(t.index) == ["t1"] and t["percent"].tolist() == [100.0]
    t_all = select_trees(r, sp, top_n=2, life_form=None, exclude_invasive=False, ladder=(60, 30, 10))
    assert set(t_all.index) == {"inv", "shr", "t1"}
    assert t_all["percent"].sum() == pytest.approx(100)


def test_select_trees_errors_and_warning(data):
    ranks = ranks_from_lists(data.rankings)
    with pytest.raises(DataError):
        select_trees(ranks, data.species, min_appearances=4)
    with pytest.raises(ConfigError, match="ladder"):
        select_trees(ranks, data.species, ladder=())
    with pytest.raises(ConfigError, match="Larix"):
        select_trees(ranks, data.species.drop(index="Larix principis-rupprechtii"))
    with pytest.warns(AssumptionWarning, match="dropping"):
        t = select_trees(ranks, data.species, ladder=(50, 50))
    assert len(t) == 2


def test_understory_by_trait(data):
    sh = understory_layer(data.species, traits=("aesthetic",), n_species=5)
    assert sh["species"].tolist()[:4] == ["Philadelphus schrenkii", "Spiraea salicifolia", "Weigela florida",
                                          "Forsythia suspensa"]
    assert sh["species"].iloc[-1] == "(1 unspecified species)"
    assert sh["percent"].sum() == pytest.approx(100)
