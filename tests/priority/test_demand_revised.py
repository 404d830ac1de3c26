"""Zhao et al. (2023) chain: PoRA by decline, cost index, Marxan per ES, grades."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from restoreplan.core.errors import ConfigError, DataError, InfeasibleError
from restoreplan.priority.cost import cost_index, eta_kernel, demand_revised_unit_costs
from restoreplan.priority.decline import decline_kernel, potential_decline
from restoreplan.priority.grades import (
    REVISION,
    aggregation_filter,
    demand_revision,
    grade_area_table,
    priority_grades,
    revision_kernel,
)
from restoreplan.priority.selection import grid_boundaries, marxan_priority
from restoreplan.testing import assert_numpy_dask_equal, make_raster

U8 = np.uint8


# ------------------------------------------------------------------------------------
def _decline_pair():
    # pooled min 0, max 1 -> S' = S; Δ = S1 - S0 = [-0.1, -0.3, -0.5, 0.2, 0]
    s0 = make_raster(np.array([[1.0, 1.0, 1.0, 0.0, 0.5]]))
    s1 = make_raster(np.array([[0.9, 0.7, 0.5, 0.2, 0.5]]))
    return s0, s1


def test_decline_verify_line():
    # mean |Δ| over declines = (0.1 + 0.3 + 0.5)/3 = 0.3 -> only -0.5 qualifies (strict)
    s0, s1 = _decline_pair()
    ds = potential_decline(s0, s1)
    np.testing.assert_allclose(ds["delta"].values, [[-0.1, -0.3, -0.5, 0.2, 0.0]], atol=1e-12)
    assert float(ds["threshold"]) == pytest.approx(0.3)
    assert ds["pora"].values.tolist() == [[0, 0, 1, 0, 0]]
    assert decline_kernel(np.array([-0.1, -0.3, -0.5, 0.2, 0.0]), 0.3).tolist() == [0, 0, 1, 0, 0]


def test_decline_mean_of_all_changes():
    # mean |Δ| over Δ != 0 = (0.1 + 0.3 + 0.5 + 0.2)/4 = 0.275 -> -0.3 and -0.5
    s0, s1 = _decline_pair()
    ds = potential_decline(s0, s1, threshold="mean_of_all_changes")
    assert float(ds["threshold"]) == pytest.approx(0.275)
    assert ds["pora"].values.tolist() == [[0, 1, 1, 0, 0]]


def test_decline_pooled_not_per_year():
    # a uniform loss: per-year min-max would erase it; pooled keeps Δ = -0.5 everywhere but no cell
    # declines more than the mean decline -> no PoRA; one deeper loss is the only PoRA
    s0 = make_raster(np.array([[2.0, 2.0, 2.0, 2.0]]))
    s1 = make_raster(np.array([[1.0, 1.0, 1.0, 0.0]]))
    ds = potential_decline(s0, s1)
    np.testing.assert_allclose(ds["delta"].values, [[-0.5, -0.5, -0.5, -1.0]])
    assert ds["pora"].values.tolist() == [[0, 0, 0, 1]]


def test_decline_nodata_and_dask():
    s0 = make_raster(np.array([[1.0, np.nan, 1.0], [0.5, 0.2, 0.9], [0.3, 0.3, 0.1]]))
    s1 = make_raster(np.array([[0.2, 0.5, 0.9], [0.5, 0.1, np.nan], [0.0, 0.3, 0.4]]))
    ds = potential_decline(s0, s1)
    p = ds["pora"].values
    assert p[0, 1] == 255 and p[1, 2] == 255 and ds["pora"].rio.nodata == 255
    assert set(np.unique(p)) <= {0, 1, 255}
    assert_numpy_dask_equal(lambda a, b: potential_decline(a, b)["pora"], s0, s1, chunks=2)


def test_decline_rejects_bad_threshold():
    s0, s1 = _decline_pair()
    with pytest.raises(ConfigError, match="threshold"):
        potential_decline(s0, s1, threshold="median")


# ------------------------------------------------------------------------------------
def test_eta_kernel_verify_line():
    # forest P = 2, L = [5,5,5,1,5,5] -> ΣL = 26, C = 52; C' = 1 + 4·43/153 = 2.1242; η = C' + 2
    c, cs, eta = eta_kernel(np.array([2.0]), np.array([26.0]), np.array([2.0]), 9.0, 162.0)
    assert c[0] == 52.0
    assert cs[0] == pytest.approx(2.124183, abs=1e-6)
    assert eta[0] == pytest.approx(4.124183, abs=1e-6)


def _cost_inputs():
    # cell 0: forest with the highest GDP/population/slope (Jenks class 5 of 5 distinct values),
    # river 100 m (ring 1 -> L 1), road and settlement 100 m (ring 1 -> L 5): L = [5,5,5,1,5,5].
    # benefit 4 is the 4th of 5 distinct values -> Jenks class 4 -> B = 6 - 4 = 2.
    lulc = make_raster(np.array([[2, 1, 3, 4, 6, 5]], dtype=U8), nodata=255)
    v = np.array([[5.0, 4.0, 3.0, 2.0, 1.0, 1.0]])
    ind = {"gdp": make_raster(v), "population": make_raster(v), "slope": make_raster(v),
           "distance_to_river": make_raster(np.array([[100.0, 600.0, 1200.0, 1700.0, 2500.0, 100.0]])),
           "distance_to_road": make_raster(np.array([[100.0, 600.0, 1200.0, 1700.0, 2500.0, 100.0]])),
           "distance_to_settlement": make_raster(np.array([[100.0, 600.0, 1200.0, 1700.0, 2500.0, 100.0]]))}
    benefit = make_raster(np.array([[4.0, 5.0, 3.0, 2.0, 1.0, 1.0]]))
    return lulc, ind, benefit


def test_cost_index_hand_case_theoretical():
    # barren cost 1.5: C_min = 1.5·6·1 = 9, C_max = 5.4·6·5 = 162 (the Verify numbers)
    lulc, ind, benefit = _cost_inputs()
    ds = cost_index(lulc, unit_cost=demand_revised_unit_costs(1.5), benefit=benefit, rescale="theoretical", **ind)
    assert ds.attrs["c_min"] == pytest.approx(9.0) and ds.attrs["c_max"] == pytest.approx(162.0)
    assert ds["l_sum"].values[0, 0] == 26.0
    assert ds["c"].values[0, 0] == 52.0
    assert ds["benefit_score"].values[0, 0] == 2.0
    assert ds["eta"].values[0, 0] == pytest.approx(4.124183, abs=1e-6)
    # cell 1: cropland, L = [4,4,4,2,4,4] = 22, C = 33; benefit 5 (highest) -> B = 1
    assert ds["c"].values[0, 1] == pytest.approx(33.0)
    assert ds["benefit_score"].values[0, 1] == 1.0
    # built-up cell: no cost
    assert np.isnan(ds["eta"].values[0, 5])
    eta = ds["eta"].values[np.isfinite(ds["eta"].values)]
    assert ((eta >= 2) & (eta <= 10)).all()


def test_cost_index_observed_rescale_spans_1_to_5():
    lulc, ind, benefit = _cost_inputs()
    ds = cost_index(lulc, unit_cost=demand_revised_unit_costs(1.0), benefit=benefit, **ind)
    cs = ds["c_scaled"].values[np.isfinite(ds["c_scaled"].values)]
    assert cs.min() == pytest.approx(1.0) and cs.max() == pytest.approx(5.0)


def test_cost_index_missing_unit_cost_lists_codes():
    lulc, ind, benefit = _cost_inputs()
    with pytest.raises(ConfigError, match=r"\[3, 6\]"):
        cost_index(lulc, unit_cost={1: 1.5, 2: 2.0, 4: 5.4}, benefit=benefit, **ind)


# ------------------------------------------------------------------------------------
def test_priority_grades_overlay():
    a = make_raster(np.array([[1, 1, 0, 0, 255]], dtype=U8), nodata=255)
    b = make_raster(np.array([[1, 0, 1, 0, 0]], dtype=U8), nodata=255)
    c = make_raster(np.array([[1, 1, 0, 0, 0]], dtype=U8), nodata=255)
    g = priority_grades({"cs": a, "hs": b, "wh": c})
    assert g.values.tolist() == [[3, 2, 1, 0, 255]]


@pytest.mark.parametrize("g", [0, 1, 2, 3], ids=lambda v: f"g{v}")
@pytest.mark.parametrize("d", [1, 2, 3], ids=lambda v: f"d{v}")
def test_table3_revision_exhaustive(g, d):
    # Table 3: s = g + d; s in {5, 6} -> high (3); 4 -> sub-high (2); {2, 3} -> low (1); g = 0 stays 0
    table3 = {(3, 3): 6, (3, 2): 5, (3, 1): 4, (2, 3): 5, (2, 2): 4, (2, 1): 3, (1, 3): 4, (1, 2): 3, (1, 1): 2}
    final = {6: 3, 5: 3, 4: 2, 3: 1, 2: 1}
    expected = 0 if g == 0 else final[table3[(g, d)]]
    if g:
        assert REVISION[g + d] == final[table3[(g, d)]]
    gr = make_raster(np.array([[g]], dtype=U8), nodata=255)
    dm = make_raster(np.array([[d]], dtype=U8), nodata=0)
    assert int(demand_revision(gr, dm).values[0, 0]) == expected


def test_revision_nodata_rules():
    # graded cell without a demand class -> nodata; ungraded cell without demand -> 0; nodata grade -> nodata
    assert revision_kernel(np.array([2, 0, 255]), np.array([0, 0, 3])).tolist() == [255, 0, 255]
    g = make_raster(np.array([[3, 2, 1], [0, 1, 3]], dtype=U8), nodata=255)
    d = make_raster(np.array([[1, 2, 3], [3, 1, 3]], dtype=U8), nodata=0)
    assert_numpy_dask_equal(demand_revision, g, d, chunks=2)


def test_revision_rejects_more_than_three_services():
    g = make_raster(np.array([[4]], dtype=U8), nodata=255)
    d = make_raster(np.array([[1]], dtype=U8), nodata=0)
    with pytest.raises(DataError, match="three services"):
        demand_revision(g, d)


def _toy_grades():
    # 100 m cells (0.01 km² each): two 2×2 blocks touching at one corner + an isolated cell
    a = np.zeros((6, 7), U8)
    a[0:2, 0:2] = 1
    a[2:4, 2:4] = 3
    a[5, 6] = 2
    return make_raster(a, res=100.0, nodata=255)


def test_aggregation_filter_8_vs_4_connectivity():
    g = _toy_grades()
    # 8-connected: the blocks form one 8-cell patch (0.08 km² >= 0.05) -> kept; the single cell goes
    f8 = aggregation_filter(g, min_area_km2=0.05, connectivity=8).values
    assert (f8[0:2, 0:2] == 1).all() and (f8[2:4, 2:4] == 3).all() and f8[5, 6] == 0
    # 4-connected: two 4-cell patches (0.04 km² < 0.05) -> everything goes
    f4 = aggregation_filter(g, min_area_km2=0.05, connectivity=4).values
    assert (f4 == 0).all()
    # the 8-neighbour filter never keeps less than the 4-neighbour one
    assert ((f8 > 0) >= (f4 > 0)).all()
    t = grade_area_table(aggregation_filter(g, min_area_km2=0.05))
    assert t.set_index("grade")["area_km2"].to_dict() == pytest.approx({3: 0.04, 2: 0.0, 1: 0.04})


def test_aggregation_filter_boundary_area_kept():
    # a patch of exactly min_area is kept (>=)
    g = _toy_grades()
    f = aggregation_filter(g, min_area_km2=0.01, connectivity=4).values
    assert f[5, 6] == 2


# ------------------------------------------------------------------------------------
def test_grid_boundaries():
    i1, i2, ln = grid_boundaries(np.ones((2, 2), bool), side=1.0)
    assert sorted(zip(i1.tolist(), i2.tolist())) == [(0, 1), (0, 2), (1, 3), (2, 3)]
    i1, i2, ln = grid_boundaries(np.ones((2, 2), bool), side=0.5, outer=True)
    selfb = {int(a): float(b) for a, c, b in zip(i1, i2, ln) if a == c}
    assert selfb == {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}  # two outer sides of 0.5 each


def _row_problem(costs, amounts=None, lulc_codes=None, res=30.0):
    n = len(costs)
    eta = make_raster(np.array([costs], dtype=float), res=res)
    am = make_raster(np.array([amounts or [1.0] * n], dtype=float), res=res)
    pora = make_raster(np.ones((1, n), U8), res=res, nodata=255)
    lulc = make_raster(np.array([lulc_codes or [2] * n], dtype=U8), res=res, nodata=255)
    return pora, eta, am, lulc


def test_selection_known_optimum():
    # worked example: costs [1, 2, 3, 4], a = 1 each, T = 2 (50 %), BLM = 0 -> units {1, 2}, cost 3
    pora, eta, am, lulc = _row_problem([1.0, 2.0, 3.0, 4.0])
    r = marxan_priority(pora, eta, am, lulc, pu_size=1, target=0.5, blm=0.0, objective="min_set", solver="highs")
    assert r["selection"].values.tolist() == [[1, 1, 0, 0]]
    assert r["summary"]["cost"].iloc[0] == pytest.approx(3.0)
    assert r["units"]["status"].tolist() == [1, 1, 1, 1]
    # the Marxan objective with a high SPF reaches the same selection
    r2 = marxan_priority(pora, eta, am, lulc, pu_size=1, target=0.5, blm=0.0, spf=100.0, solver="highs")
    assert r2["selection"].values.tolist() == [[1, 1, 0, 0]]


def test_selection_built_up_locked_out_never_cheaper():
    # unit 1 built-up -> status 3; optimum becomes {2, 3}, cost 5 >= 3
    pora, eta, am, lulc = _row_problem([1.0, 2.0, 3.0, 4.0], lulc_codes=[5, 2, 2, 2])
    r = marxan_priority(pora, eta, am, lulc, pu_size=1, target=0.5, blm=0.0, objective="min_set", solver="highs")
    assert r["units"]["status"].tolist() == [3, 1, 1, 1]
    assert r["selection"].values.tolist() == [[0, 1, 1, 0]]
    assert r["summary"]["cost"].iloc[0] == pytest.approx(5.0)


def test_selection_boundary_penalty_compacts():
    # costs [1, 1.05, 1], need 2 of 3 units. BLM 0 -> {1, 3} (cost 2). Each shared side is 0.03 km:
    # {1, 3} cuts both shared sides (0.06 km), {1, 2} one (0.03 km); with BLM 10 the 0.3 saving beats
    # the 0.05 extra cost
    pora, eta, am, lulc = _row_problem([1.0, 1.05, 1.0])
    kw = {"pu_size": 1, "target": 2 / 3, "objective": "min_set", "solver": "highs"}
    assert marxan_priority(pora, eta, am, lulc, blm=0.0, **kw)["selection"].values.tolist() == [[1, 0, 1]]
    sel = marxan_priority(pora, eta, am, lulc, blm=10.0, **kw)["selection"].values
    assert sel.sum() == 2 and sel[0, 1] == 1


def test_selection_pu_aggregation_and_infeasible():
    # 2×4 cells, pu_size 2 -> 2 units; unit cost = mean η; amount = Σ supply over PoRA cells only
    eta = make_raster(np.array([[1.0, 3.0, 5.0, 5.0], [1.0, 3.0, 5.0, 5.0]]))
    am = make_raster(np.array([[2.0, 2.0, 1.0, 1.0], [2.0, 9.0, 1.0, 1.0]]))
    pora = make_raster(np.array([[1, 1, 1, 1], [1, 0, 1, 1]], dtype=U8), nodata=255)
    lulc = make_raster(np.full((2, 4), 2, U8), nodata=255)
    r = marxan_priority(pora, eta, am, lulc, pu_size=2, target=0.5, blm=0.0, objective="min_set", solver="highs")
    u = r["units"]
    assert u["cost"].tolist() == pytest.approx([2.0, 5.0]) and u["amount"].tolist() == pytest.approx([6.0, 4.0])
    assert r["selection"].values.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0]]
    lulc_b = make_raster(np.array([[5, 5, 2, 2], [5, 5, 2, 2]], dtype=U8), nodata=255)
    with pytest.raises(InfeasibleError):
        marxan_priority(pora, eta, am, lulc_b, pu_size=2, target=0.5, blm=0.0, objective="min_set", solver="highs")


# ------------------------------------------------------------------------------------ chain + registry
def test_registered_steps():
    from restoreplan.pipeline import registry

    for n in ("potential_decline", "cost_index", "marxan_priority", "priority_grades", "demand_revision",
              "aggregation_filter", "demand_revised_priority"):
        spec = registry.get(n)
        assert spec.example is not None and spec.formula
        assert spec.params.model_config.get("frozen") is True
    assert registry.get("demand_revised_priority").report is not None
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="cost_unused"):
        registry.get("cost_index").params()  # cost_unused is required (no published value)


def test_demand_revised_priority_on_demo_region():
    from restoreplan.datasets import demo_region
    from restoreplan.priority.demand_revised.report import demand_revised_report
    from restoreplan.testing import demand_revised_on_region

    r = demo_region(size=120, seed=0)
    res = demand_revised_on_region(r, pu_size=8)
    p = res.products
    assert set(p["pora"]) == {"cs", "hs", "wh"}
    for s in ("cs", "hs", "wh"):
        pora, delta = p["pora"][s].values, p["delta"][s].values
        assert (delta[pora == 1] < 0).all()
        eta = p["eta"][s].values
        fin = eta[np.isfinite(eta)]
        assert fin.size and fin.min() >= 2 - 1e-9 and fin.max() <= 10 + 1e-9
    summ = p["selection_summary"]
    assert summ["target_met"].all(), summ
    g, gr, gf = (p[k].values for k in ("grade", "grade_revised", "grade_filtered"))
    assert set(np.unique(g)) <= {0, 1, 2, 3, 255}
    assert ((g > 0) & (g != 255)).sum() == ((gr > 0) & (gr != 255)).sum()  # revision keeps the graded area
    assert ((gf > 0) & (gf != 255) & ~((gr > 0) & (gr != 255))).sum() == 0  # the filter only removes
    at = res.area_table()
    assert at["overlay_km2"].iloc[-1] == pytest.approx(at["revised_km2"].iloc[-1])
    assert at["filtered_km2"].iloc[-1] <= at["revised_km2"].iloc[-1] + 1e-12
    html = demand_revised_report({"pora_cs": p["pora"]["cs"], "grade": p["grade"], "area_table": at}, None)
    assert "potential restoration area — carbon storage" in html and "<img" in html and "Area per grade" in html


def test_jenks_scores_are_the_brute_force_optimal_classes():
    """Table 2 Jenks scores (GDP, up) equal the classes of the split of the sorted values into k
    contiguous classes with the least within-class sum of squares, found by trying every split."""
    import itertools

    from restoreplan.priority.cost import indicator_scores

    rng = np.random.default_rng(11)
    for trial in range(5):
        v = rng.permutation(rng.choice(np.arange(1, 200), 12, replace=False)).astype(np.float64)
        srt = np.sort(v)
        best, best_cuts = np.inf, None
        for cuts in itertools.combinations(range(1, 12), 2):     # k = 3 classes
            b = (0, *cuts, 12)
            ssd = sum(((srt[a:c] - srt[a:c].mean()) ** 2).sum() for a, c in itertools.pairwise(b))
            if ssd < best - 1e-9:
                best, best_cuts = ssd, cuts
        expected = 1 + np.searchsorted(srt[list(best_cuts)], v, side="right")   # class of each value
        got = indicator_scores(k=3, gdp=make_raster(v.astype(np.float32).reshape(3, 4)))["gdp"].values
        np.testing.assert_array_equal(got.reshape(-1), expected, err_msg=f"trial {trial}: {v}")