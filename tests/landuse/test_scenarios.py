"""Scenario rules ID/FS/UE/ER: hand-computable matrices and 3×4 maps."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from pydantic import ValidationError

from restoreplan.core.errors import AssumptionWarning, ConfigError
from restoreplan.landuse.scenarios import (
    PRESETS,
    Lock,
    MarkovMultiplier,
    Override,
    Restriction,
    ScenarioRules,
    ZoneMultiplier,
    adjust_transition_matrix,
    apply_scenario,
    load_rules,
    preset,
    stack_scenarios,
)
from restoreplan.testing import make_raster

CROP, FOREST, GRASS, WATER, BUILT, BARREN = 1, 2, 3, 4, 5, 6
CODES = [1, 2, 3, 4, 5, 6]


def _p() -> pd.DataFrame:
    """Row-stochastic 6×6: row i has 0.02·(j+1) off the diagonal (i.e. distinct entries), rest on it."""
    p = np.zeros((6, 6))
    for i in range(6):
        for j in range(6):
            if i != j:
                p[i, j] = 0.01 * (i + 1) + 0.002 * j
        p[i, i] = 1 - p[i].sum()
    return pd.DataFrame(p, index=pd.Index(CODES, name="from"), columns=pd.Index(CODES, name="to"))


# start map (3×4) and zones: 0 outside, 1 mild, 2 moderate, 3 severe
START = np.array([[1, 1, 2, 4],
                  [1, 5, 3, 4],
                  [6, 1, 1, 4]], np.uint8)
ZONE = np.array([[0, 1, 2, 3],
                 [0, 1, 2, 3],
                 [2, 2, 2, 3]], np.uint8)


@pytest.fixture()
def maps():
    return make_raster(START, nodata=255, name="lulc"), make_raster(ZONE, nodata=255, name="zone")


def test_built_multiplier_raises_column_by_exactly_30_percent():
    p = _p()
    rules = ScenarioRules(name="x", rules=(MarkovMultiplier(to_classes=(BUILT,), factor=1.3),))
    q, tm = adjust_transition_matrix(p, rules)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    for i in CODES:
        if i != BUILT:
            assert q.loc[i, BUILT] == pytest.approx(1.3 * p.loc[i, BUILT], rel=1e-12)
            others = [j for j in CODES if j not in (i, BUILT)]
            np.testing.assert_allclose(q.loc[i, others], p.loc[i, others], rtol=1e-12)
            # the extra mass comes from persistence
            assert q.loc[i, i] == pytest.approx(p.loc[i, i] - 0.3 * p.loc[i, BUILT], rel=1e-12)
    assert q.loc[BUILT].tolist() == p.loc[BUILT].tolist()
    assert (tm.to_numpy() == 1).all()


def test_ue_preset_multiplier_and_water_restriction():
    p = _p()
    q, tm = adjust_transition_matrix(p, "UE")
    assert q.loc[CROP, BUILT] == pytest.approx(1.3 * p.loc[CROP, BUILT], rel=1e-12)
    assert q.loc[WATER, BUILT] == 0.0 and tm.loc[WATER, BUILT] == 0
    assert q.loc[WATER, WATER] == pytest.approx(p.loc[WATER, WATER] + p.loc[WATER, BUILT], rel=1e-12)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-12)


def test_fs_and_er_presets_on_the_matrix():
    p = _p()
    q, _ = adjust_transition_matrix(p, "FS")
    assert q.loc[CROP, FOREST] == pytest.approx(0.8 * p.loc[CROP, FOREST], rel=1e-12)
    for i in (FOREST, GRASS, BARREN):
        assert q.loc[i, CROP] == pytest.approx(1.2 * p.loc[i, CROP], rel=1e-12)
    assert q.loc[WATER, CROP] == p.loc[WATER, CROP]
    q, tm = adjust_transition_matrix(p, "ER")
    assert q.loc[FOREST].tolist() == [0, 1, 0, 0, 0, 0] and q.loc[GRASS].tolist() == [0, 0, 1, 0, 0, 0]
    assert tm.loc[FOREST].tolist() == [0, 1, 0, 0, 0, 0]
    assert q.loc[CROP, FOREST] == pytest.approx(1.1 * p.loc[CROP, FOREST], rel=1e-12)
    assert q.loc[WATER, FOREST] == p.loc[WATER, FOREST]
    q, tm = adjust_transition_matrix(p, "ID")
    assert q.loc[WATER].tolist() == [0, 0, 0, 1, 0, 0]
    np.testing.assert_array_equal(q.drop(index=WATER).to_numpy(), p.drop(index=WATER).to_numpy())


def test_negative_persistence_is_shrunk_with_warning():
    # row 1: 0.3 + 0.3 off-diagonal; ×2 → 1.2 > 1 → shrunk to 0.5 + 0.5, P'_11 = 0
    p = pd.DataFrame([[0.4, 0.3, 0.3], [0.0, 1.0, 0.0], [0.1, 0.1, 0.8]],
                     index=pd.Index([1, 2, 3], name="from"), columns=pd.Index([1, 2, 3], name="to"))
    rules = ScenarioRules(name="x", rules=(MarkovMultiplier(from_classes=(1,), factor=2.0),))
    with pytest.warns(AssumptionWarning, match="shrunk"):
        q, _ = adjust_transition_matrix(p, rules)
    assert q.loc[1].tolist() == pytest.approx([0.0, 0.5, 0.5])
    assert q.loc[3].tolist() == pytest.approx([0.1, 0.1, 0.8])


def test_non_stochastic_matrix_rejected():
    bad = pd.DataFrame([[0.5, 0.2], [0.0, 1.0]], index=pd.Index([1, 2], name="from"),
                       columns=pd.Index([1, 2], name="to"))
    with pytest.raises(ValueError, match="row-stochastic"):
        adjust_transition_matrix(bad, "ID")


def _count(da, code):
    return int((da.values == code).sum())


def test_override_raises_target_by_exactly_the_forced_count(maps):
    start, zone = maps
    # severe column: 3 cells, all already water → 0 changed; moderate: 5 cells (2, 3, 6, 1, 1) → water
    out = apply_scenario("ID", start=start, zones=zone)
    changed = int(out.forced["changed"].sum())
    assert changed == 5
    assert _count(out.start, WATER) - _count(start, WATER) == changed
    assert out.forced["cells"].tolist() == [3, 5]
    # forced cells are locked; outside/mild cells are free
    assert out.locked.values.astype(int).tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]]
    assert out.constraint.values.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]


def test_fs_override_skips_the_lake_and_locks_mild_cropland(maps):
    start, zone = maps
    s = START.copy()
    s[0, 2] = WATER  # a lake cell in the moderate zone
    start = make_raster(s, nodata=255)
    out = apply_scenario("FS", start=start, zones=zone)
    v = out.start.values
    assert v[0, 2] == WATER  # lake kept
    assert v[1, 2] == CROP and v[2, 0] == CROP and v[2, 1] == CROP and v[2, 2] == CROP
    assert int(out.forced.loc[1, "changed"]) == 2  # grass (1,2) and barren (2,0) → cropland
    assert _count(out.start, CROP) - _count(start, CROP) == 2
    assert bool(out.locked.values[0, 1])  # cropland in the mild zone
    assert not bool(out.locked.values[1, 1])  # built-up in the mild zone stays free
    assert not bool(out.locked.values[0, 2])  # the lake is not forced


def test_ue_keeps_moderate_built_up(maps):
    _, zone = maps
    s = START.copy()
    s[2, 1] = BUILT  # built-up in the moderate zone
    start = make_raster(s, nodata=255)
    out = apply_scenario("UE", start=start, zones=zone)
    assert out.start.values[2, 1] == BUILT and bool(out.locked.values[2, 1])
    assert out.start.values[1, 2] == CROP


def test_er_restores_reference_forest_then_water(maps):
    start, zone = maps
    ref = START.copy()
    ref[2, 0] = FOREST  # the barren moderate cell was forest in the reference year
    ref[2, 1] = GRASS
    out = apply_scenario("ER", start=start, zones=zone, reference=make_raster(ref, nodata=255))
    v = out.start.values
    assert v[2, 0] == FOREST and v[2, 1] == GRASS and v[0, 2] == FOREST and v[1, 2] == GRASS
    assert v[2, 2] == WATER  # cropland, reference cropland → water
    assert out.forced["changed"].tolist() == [0, 2, 1]
    with pytest.raises(ConfigError, match="reference"):
        apply_scenario("ER", start=start, zones=zone)


def test_id_mild_zone_restricts_built_up_and_er_multiplies_probability(maps):
    start, zone = maps
    out = apply_scenario("ID", start=start, zones=zone)
    r = out.restriction.sel({"class": BUILT}).values
    # mild cells (0,1) crop and (1,1) built: only the non-built cell may not become built-up
    assert r.astype(int).tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert int(out.restriction.sum()) == 1
    prob = xr.DataArray(np.full((6, 3, 4), 0.5, np.float32), dims=("class", "y", "x"),
                        coords={"class": CODES, "y": start.y, "x": start.x})
    prob[1, 0, 1] = 0.95
    prob = prob.rio.write_crs(start.rio.crs).rio.write_transform(start.rio.transform())
    er = apply_scenario("ER", start=start, zones=zone, probability=prob, reference=start)
    p = er.probability
    assert float(p.sel({"class": FOREST}).values[1, 1]) == pytest.approx(0.55)  # mild ×1.1
    assert float(p.sel({"class": GRASS}).values[0, 1]) == pytest.approx(0.55)
    assert float(p.sel({"class": FOREST}).values[0, 1]) == pytest.approx(1.0)  # 0.95 × 1.1 clipped
    assert float(p.sel({"class": FOREST}).values[0, 0]) == pytest.approx(0.5)  # outside
    assert float(p.sel({"class": CROP}).values[1, 1]) == pytest.approx(0.5)
    pid = apply_scenario("ID", start=start, zones=zone, probability=prob).probability
    assert float(pid.sel({"class": BUILT}).values[0, 1]) == 0.0


def test_constraint_used_only_when_the_scenario_says_so(maps):
    start, zone = maps
    red = make_raster(np.array([[0, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]], np.uint8))
    assert bool(apply_scenario("ER", start=start, zones=zone, constraint=red, reference=start).locked.values[0, 0])
    assert not bool(apply_scenario("ID", start=start, zones=zone, constraint=red).locked.values[0, 0])


def test_demand_uses_adjusted_matrix_and_preserves_total(maps):
    start, zone = maps
    p = _p()
    out = apply_scenario("UE", start=start, zones=zone, transition_matrix=p, steps=1)
    counts = np.array([(START == c).sum() for c in CODES], float)
    expected = counts @ out.transition_matrix.to_numpy()
    assert int(out.demand.sum()) == START.size
    assert np.all(np.abs(out.demand.to_numpy() - expected) < 1)
    kw = out.simulate_kwargs()
    assert set(kw) == {"lulc_start", "constraint", "conversion", "demand"}


def test_rules_from_a_study_file_dict():
    spec = {"name": "custom", "use_constraint": False,
            "rules": [{"kind": "markov_multiplier", "exclude_from": [4], "to_classes": [5], "factor": 1.3},
                      {"kind": "restriction", "from_classes": [4], "zones": ["mild"]},
                      {"kind": "lock", "zones": ["mild"], "classes": [1]},
                      {"kind": "override", "zones": ["severe"], "to_class": 4},
                      {"kind": "zone_multiplier", "zones": ["mild"], "classes": [2], "factor": 1.1}]}
    r = load_rules(spec)
    assert [type(x) for x in r.rules] == [MarkovMultiplier, Restriction, Lock, Override, ZoneMultiplier]
    assert load_rules(r.model_dump()) == r
    with pytest.raises(ConfigError) as e:
        load_rules({"name": "bad", "rules": [{"kind": "markov_multiplier", "factor": -1}]})
    assert e.value.problems
    with pytest.raises(ConfigError, match="ID"):
        preset("XX")


def test_presets_are_frozen_and_complete():
    for n in PRESETS:
        r = preset(n)
        assert r.name == n
        assert any(isinstance(x, Override) and x.zones == ("severe",) and x.to_class == WATER for x in r.rules)
    with pytest.raises(ValidationError):
        preset("ID").name = "other"


def test_scenarios_form_a_scenario_dim(maps):
    start, zone = maps
    outs = {n: apply_scenario(n, start=start, zones=zone, reference=start).start for n in PRESETS}
    st = stack_scenarios(outs)
    assert st.dims == ("scenario", "y", "x")
    assert st["scenario"].values.tolist() == list(PRESETS)
    assert st.rio.nodata == 255
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(st.sel(scenario="ID").values, outs["ID"].values)


def test_scenario_inputs_drive_the_simulator(synthetic_pair):
    """End to end on the 60×60 landscape of conftest: a 'severe' block is forced to water (class 3) and
    stays water; locked cells never change; the built-up (2) demand rises by the ×1.3 multiplier."""
    from restoreplan.landuse import LandUseSimulator, transition_matrix

    start, end, drivers, _ = synthetic_pair
    zone = np.zeros(start.shape, np.uint8)
    zone[45:55, 10:20] = 3
    zones = make_raster(zone, nodata=255, x0=500000.0, y0=3400000.0)  # the conftest grid
    rules = ScenarioRules(name="T", lake_class=3, use_constraint=False,
                          rules=(MarkovMultiplier(to_classes=(2,), factor=1.3),
                                 Override(zones=("severe",), to_class=3)))
    p = transition_matrix(start, end)
    sim = LandUseSimulator(seed=0, sample_rate=0.5, min_samples_leaf=2, n_jobs=1).fit(start, end, drivers)
    inp = apply_scenario(rules, start=end, zones=zones, transition_matrix=p, steps=1,
                         probability=sim.development_probability_, classes=sim.classes_)
    base = apply_scenario(ScenarioRules(name="B"), start=end, transition_matrix=p, steps=1)
    assert inp.demand[2] > base.demand[2]
    from restoreplan.landuse import ConvergenceWarning

    # the forced water exceeds the Markov water demand and is locked, so the demand is unreachable:
    # CARS stagnates and reports the residual (scenario mechanism 4)
    forced_water = int((inp.start.values == 3).sum())
    assert forced_water > inp.demand[3]
    with pytest.warns(ConvergenceWarning):
        out = sim.simulate(**inp.simulate_kwargs())
    v = out.values
    assert (v[45:55, 10:20] == 3).all()
    locked = inp.locked.values
    np.testing.assert_array_equal(v[locked], inp.start.values[locked])
    gaps = {int(k): int(g) for k, g in (kv.split(":") for kv in out.attrs["cars_residual_gap"].split(";"))}
    for c in (1, 2, 3):
        assert int((v == c).sum()) + gaps[c] == int(inp.demand[c])
    assert gaps[3] < 0 and gaps[2] > 0  # water stuck above its demand, built-up short of it


def test_rules_from_toml_text():
    import tomllib

    text = """
name = "UE-like"
use_constraint = true
lake_class = 4

[[rules]]
kind = "markov_multiplier"
exclude_from = [4]
to_classes = [5]
factor = 1.3

[[rules]]
kind = "override"
zones = ["moderate"]
exclude_from = [5]
exclude_lake = true
to_class = 1

[[rules]]
kind = "override"
zones = ["moderate"]
to_class = "reference"
reference_classes = [2, 3]
"""
    r = load_rules(tomllib.loads(text))
    assert r.rules[0] == MarkovMultiplier(exclude_from=(4,), to_classes=(5,), factor=1.3)
    assert r.rules[1].to_class == 1 and r.rules[2].to_class == "reference"
    q, _ = adjust_transition_matrix(_p(), r)
    q_ue, _ = adjust_transition_matrix(_p(), "UE")
    assert q.loc[CROP, BUILT] == q_ue.loc[CROP, BUILT]


def test_registered_scenario_rules_step_on_the_demo_region():
    import restoreplan as rp
    from restoreplan.pipeline import registry

    region = rp.datasets.demo_region(size=120)
    lulc = region.layers["lulc"]
    spec = registry.get("scenario_rules")
    assert spec.example["inputs"]["zones"] == "subsidence.zone"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumptionWarning)
        zone = registry.get("subsidence").func(region.vectors["mining_panels"], region.layers["dem"])["zone"]
    params = spec.params(**spec.example["params"]).model_dump()
    out = spec.func(lulc[2010], lulc[2020], zones=zone, reference=lulc[2000], **params)
    assert set(out) == set(spec.outputs)
    z = zone.values
    s = out["start"].values
    valid = s != 255
    assert ((z == 3) & valid).sum() > 0
    assert (s[(z == 3) & valid] == WATER).all()  # severe → water in every preset
    assert (out["locked"].values[(z == 3) & valid] == 1).all()
    assert (out["locked"].values[~valid] == 0).all()
    d = out["demand"]
    assert int(d["demand"].sum()) == int(d["start"].sum())
    forced = out["forced"]
    gained = int((s == WATER).sum()) - int(d.loc[WATER, "start"])
    assert gained == int(forced.loc[forced["to_class"] == str(WATER), "changed"].sum())


def test_zone_codes_keep_only_the_zone_values():
    """Subsidence zones 1–3 stay; 0, nodata and any other code mean outside (0)."""
    from restoreplan.landuse.scenarios import _zone_codes

    start = make_raster(np.ones((2, 3), np.uint8))
    zones = make_raster(np.array([[0, 1, 2], [3, 7, 255]], np.uint8), nodata=255)
    np.testing.assert_array_equal(_zone_codes(zones, start, (2, 3)), [[0, 1, 2], [3, 0, 0]])
    np.testing.assert_array_equal(_zone_codes(None, start, (2, 3)), np.zeros((2, 3)))
