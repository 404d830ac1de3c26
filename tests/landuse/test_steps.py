"""Land-use study steps on the demo region: Markov demand, simulation with accuracy, Niu et al. (2025) scenarios."""

import numpy as np
import pandas as pd
import pytest

from restoreplan.pipeline.demo import run_demo


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("lu") / "out"
    return run_demo(out, size=140, seed=2, methods=["markov_demand", "land_use_simulation", "subsidence",
                                                    "scenario_simulation"])


def test_markov_demand_preserves_total(run):
    res = run.results["markov_demand"]
    p = res["transition_matrix"]
    np.testing.assert_allclose(p.to_numpy().sum(axis=1), 1.0)
    end_total = int((np.asarray(run.results["land_use_simulation"]["simulated"]) != 255).sum())
    assert int(res["demand"]["demand_cells"].sum()) == end_total


def test_simulation_hindcast_accuracy_in_range(run):
    acc = run.results["land_use_simulation"]["accuracy"].iloc[0]
    assert 0 <= acc["fom"] <= 1 and -1 <= acc["kappa"] <= 1 and acc["A"] + acc["B"] + acc["C"] > 0
    contrib = run.results["land_use_simulation"]["driver_contribution"]
    np.testing.assert_allclose(contrib.sum(axis=1)[contrib.sum(axis=1) > 0], 1.0, rtol=1e-6)
    if contrib.empty:  # no expanding class in the 1 % sample of this small region: the run says so
        step = next(s for s in run.manifest["steps"] if s["id"] == "land_use_simulation")
        assert any("sample_rate" in w["message"] for w in step["warnings"])


def test_scenarios_form_a_dimension_with_esv_and_pareto(run):
    res = run.results["scenario_simulation"]
    lulc = res["lulc"]
    assert list(lulc["scenario"].values) == ["ID", "FS", "UE", "ER"] and lulc.dims[0] == "scenario"
    assert not all((lulc.sel(scenario="ID") == lulc.sel(scenario=s)).all() for s in ("FS", "UE", "ER"))
    esv = res["esv"].drop(index="baseline")
    assert list(res["esv"].index) == ["baseline", "ID", "FS", "UE", "ER"] and esv.shape[1] == 11
    front = res["pareto"]
    assert front["non_dominated"].any()
    # a non-dominated scenario is not dominated by any other
    for s in front.index[front["non_dominated"]]:
        others = esv.drop(index=s)
        assert not ((others >= esv.loc[s]).all(axis=1) & (others > esv.loc[s]).any(axis=1)).any()
    assert front["pareto_improvement_over_baseline"].dtype == bool
    fs = res["functional_synergy"]
    assert set(fs["relation"]) <= {"synergy", "tradeoff", "neutral"} and set(fs["scenario"]) == {"ID", "FS", "UE", "ER"}
    sp = res["spatial_synergy"]
    assert sp["rho"].dropna().between(-1, 1).all()
    assert isinstance(res["demand"], pd.DataFrame) and set(res["demand"].columns) == {"ID", "FS", "UE", "ER"}


def test_custom_rule_table_validates_and_bad_one_is_reported():
    from pydantic import ValidationError

    from restoreplan.landuse.steps import ScenarioSimulationParams

    ok = ScenarioSimulationParams(scenarios=["ID", {"name": "green", "rules": [
        {"kind": "markov_multiplier", "to_classes": [2], "factor": 1.2}]}])
    assert len(ok.scenarios) == 2
    with pytest.raises(ValidationError):
        ScenarioSimulationParams(scenarios=["ID", "XX"])
    with pytest.raises(ValidationError):
        ScenarioSimulationParams(scenarios=["ID", "ID"])


def test_hindcast_step_scores_start_to_end_beside_baselines(synthetic_pair):
    from restoreplan.core.errors import ConfigError
    from restoreplan.landuse.steps import _simulation_step

    start, end, drivers, water = synthetic_pair
    kw = dict(steps=1.0, n_estimators=10, sample_rate=0.5, neighborhood=3, seed=0)
    res = _simulation_step(start, end, dict(drivers), constraint=water, mode="hindcast", **kw)
    acc = res["accuracy"].set_index("model")
    assert list(acc.index) == ["simulation", "probability_ranking", "no_change"]
    sim = acc.loc["simulation"]
    assert 0 < sim["fom"] < 1 and sim["kappa"] < 1  # not the fake perfect score of simulating end → end
    assert acc.loc["no_change", "fom"] == 0
    v = end.values != 255
    codes, counts = np.unique(end.values[v], return_counts=True)
    out = res["simulated"].values
    assert dict(zip(*np.unique(out[out != 255], return_counts=True))) == dict(zip(codes, counts))
    with pytest.raises(ConfigError, match="hindcast"):
        _simulation_step(start, end, dict(drivers), observed=end, mode="forecast", **kw)
