"""The shipped Dashihe study dataset, the registered stand steps, and the docstring examples."""

import doctest
import importlib
from importlib import resources

import pandas as pd
import pytest

from restoreplan.datasets.dashihe import DashiheData, dashihe
from restoreplan.pipeline import registry

MODULES = ["restoreplan.stand.diversity", "restoreplan.stand.species", "restoreplan.stand.scenarios",
           "restoreplan.stand.recommend", "restoreplan.stand.tradeoff", "restoreplan.datasets.dashihe"]


def test_dataset_contents():
    d = dashihe()
    assert isinstance(d, DashiheData)
    assert d.stands.shape[0] == 12 and (d.stands["role"] == "stand").sum() == 9
    assert d.stands["area_hm2"].sum() == pytest.approx(246.85)
    assert d.stands.loc["Recommended", "shannon"] == 8.14
    assert sorted(d.stands.index[d.stands["fixed_boundary"]]) == ["Grassland", "Vitex negundo Mixed"]
    assert d.site_value("water_area_hm2") == 55.1
    assert list(d.table4.index) == ["status_quo", "control", "reference", "future", "pre_disturbance", "recommended"]
    assert d.rankings.shape == (10, 3)
    assert d.table2.groupby("layer")["percent"].sum().to_dict() == {"herb": 100, "shrub": 100, "tree": 100}
    assert set(d.table2["species"]) - {"(7 unspecified species)"} <= set(d.species.index)
    assert "Dashihe" in d.citation
    # fresh copies: modifying one load does not leak into the next
    d.stands.loc["Control", "carbon_t_per_hm2_a"] = -1
    assert dashihe().stands.loc["Control", "carbon_t_per_hm2_a"] == 9.74


def test_dataset_readme_ships_with_provenance():
    text = resources.files("restoreplan.datasets").joinpath("data", "dashihe_README.md").read_text(encoding="utf-8")
    for needle in ("Table 3", "Table 4", "Table 2", "Table 1", "inferred", "dashihe_stands.csv"):
        assert needle in text


def test_stand_steps_registered():
    names = {m.name for m in registry.all_methods() if m.group == "stand"}
    assert {"stand_scenarios", "stand_tradeoff", "stand_supply_score", "stand_recommended", "stand_dust_days",
            "stand_species_values", "stand_capacity", "stand_diversity"} <= names
    for n in names:
        spec = registry.get(n)
        assert spec.params.model_config.get("frozen") is True
        assert spec.formula


def test_stand_examples_run_through_the_runner(tmp_path, monkeypatch):
    import restoreplan.datasets as ds
    from restoreplan.pipeline.config import study_from_dict
    from restoreplan.pipeline.runner import run_study

    if not callable(getattr(ds, "dashihe", None)) or isinstance(ds.dashihe, type(ds)):
        monkeypatch.setattr(ds, "dashihe", dashihe, raising=False)
    steps = [{"id": m.name, "method": m.name, **m.example}
             for m in registry.all_methods() if m.group == "stand" and m.example]
    assert len(steps) == 5
    out = tmp_path / "ränder"
    res = run_study(study_from_dict({"study": {"name": "stand"}, "steps": steps}), out, report=False)
    t = res.results["stand_scenarios"].set_index("scenario")
    assert t.at["status_quo", "carbon_t_per_a"] == pytest.approx(11391.8514)
    assert res.results["stand_tradeoff"]["overall"].set_index("scenario")["rmse"].round(3)["control"] == 0.059
    comp = res.results["stand_recommended"]
    assert comp.loc[comp.layer == "tree", "percent"].tolist() == [20, 15, 15, 15, 10, 5, 5, 5, 5, 5]
    assert (out / "stand_scenarios.csv").exists()
    section = registry.get("stand_tradeoff").report(res.results["stand_tradeoff"], None)
    assert "Pairwise tradeoff intensity (RMSE)" in section and "data:image/png;base64," in section


def test_step_functions_take_plain_tables():
    from restoreplan.stand.steps import stand_scenarios_step, stand_tradeoff_step

    d = dashihe()
    t = stand_scenarios_step(stands=d.stands.reset_index(), site=d.site.reset_index())
    assert list(t["scenario"])[:2] == ["status_quo", "control"]
    rm = stand_tradeoff_step(table=t)
    assert set(rm) == {"overall", "pairwise", "standardized"}
    assert len(rm["pairwise"]) == 6 * 6


@pytest.mark.parametrize("modname", MODULES, ids=lambda m: m.rsplit(".", 1)[-1])
def test_docstring_examples(modname):
    mod = importlib.import_module(modname) if modname != "restoreplan.datasets.dashihe" else \
        importlib.import_module("restoreplan.datasets.dashihe")
    import sys
    mod = sys.modules[modname]
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                          extraglobs={"pd": pd})
    assert res.failed == 0
