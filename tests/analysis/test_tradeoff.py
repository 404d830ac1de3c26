"""ESV per scenario, Pareto dominance and synergies, checked on Niu et al.'s (2025) ESV table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from restoreplan.analysis.tradeoff import (
    dominates,
    esv_wide,
    functional_synergy,
    pareto_front,
    pareto_improvement,
    scenario_esv,
    niu2025_scenario_esv,
    spatial_synergy,
)
from restoreplan.core.errors import ConfigError
from restoreplan.landuse.scenarios import stack_scenarios
from restoreplan.services.esv import XIE_SERVICES, esv
from restoreplan.tables import load_table
from restoreplan.testing import make_raster

SCEN = ["ID", "FS", "UE", "ER"]


@pytest.fixture(scope="module")
def seed_table() -> pd.DataFrame:
    return niu2025_scenario_esv()


def test_seed_table_layout_and_totals(seed_table):
    assert list(seed_table.index) == ["2010", "2020", "ID", "FS", "UE", "ER"]
    assert list(seed_table.columns) == list(XIE_SERVICES) + ["total"]
    sums = seed_table[list(XIE_SERVICES)].sum(axis=1)
    assert np.all(np.abs(sums - seed_table["total"]) <= 0.01 + 1e-9)
    assert sums["ER"] == pytest.approx(51.22) and seed_table.loc["ER", "total"] == 51.21


def test_er_is_the_only_non_dominated_scenario(seed_table):
    front = pareto_front(seed_table.loc[SCEN])
    assert front.index[front["non_dominated"]].tolist() == ["ER"]
    assert sorted(front.loc["ER", "dominates"]) == ["FS", "ID", "UE"]
    assert sorted(front.loc["UE", "dominated_by"]) == ["ER", "FS", "ID"]
    assert front.loc["ID", "dominated_by"] == ["ER"] and front.loc["FS", "dominated_by"] == ["ER"]


def test_er_is_a_pareto_improvement_over_2020_and_id_is_not(seed_table):
    imp = pareto_improvement(seed_table, "2020")
    assert bool(imp.loc["ER", "improvement"])
    assert imp.loc["ER", ["n_better", "n_equal", "n_worse"]].tolist() == [9, 2, 0]
    assert not bool(imp.loc["ID", "improvement"])
    assert "food_production" in imp.loc["ID", "worse"]
    assert seed_table.loc["ID", "food_production"] == 3.15 < seed_table.loc["2020", "food_production"] == 3.17


def test_directions_and_ties():
    a = {"esv": 10.0, "built": 5.0}
    b = {"esv": 10.0, "built": 6.0}
    assert not dominates(a, b)  # more built-up is "better" when maximized
    assert dominates(b, a)
    assert dominates(a, b, directions={"esv": "max", "built": "min"})
    assert not dominates(a, a)  # no strict improvement
    assert not dominates({"x": 1.0, "y": 2.0}, {"x": 1.005, "y": 1.0}, tol=0.0)
    assert dominates({"x": 1.0, "y": 2.0}, {"x": 1.005, "y": 1.0}, tol=0.01)
    with pytest.raises(ConfigError, match="directions"):
        dominates(a, b, directions={"esv": "up"})


def test_functional_synergy_hand_example():
    t = pd.DataFrame({"f": [1.0, 2.0, 0.0], "g": [1.0, 3.0, 2.0], "h": [1.0, 1.0, 1.0]},
                     index=pd.Index(["base", "s1", "s2"], name="scenario"))
    fs = functional_synergy(t, "base").set_index(["scenario", "service_f", "service_g"])["relation"]
    assert fs[("s1", "f", "g")] == "synergy"  # +1, +2
    assert fs[("s2", "f", "g")] == "tradeoff"  # −1, +1
    assert fs[("s1", "f", "h")] == "neutral"  # h unchanged
    assert len(fs) == 2 * 3


def test_spatial_synergy_rank_correlation():
    x = np.arange(1, 26, dtype=np.float32).reshape(5, 5)
    base = np.zeros((3, 5, 5), np.float32)
    scen = np.stack([x, x**2, -x])  # Δf = x, Δg = x² (same ranks), Δh = −x
    scen[0, 0, 0] = np.nan  # excluded pixel
    coords = {"service": ["f", "g", "h"]}
    like = make_raster(x)
    mk = lambda a: xr.DataArray(a, dims=("service", "y", "x"), coords={**coords, "y": like.y, "x": like.x}) \
        .rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform())
    out = spatial_synergy(mk(scen), mk(base)).set_index(["service_f", "service_g"])
    assert out.loc[("f", "g"), "rho"] == pytest.approx(1.0)
    assert out.loc[("f", "h"), "rho"] == pytest.approx(-1.0)
    assert out.loc[("f", "g"), "relation"] == "synergy" and out.loc[("g", "h"), "relation"] == "tradeoff"
    assert int(out.loc[("f", "g"), "n"]) == 24
    s1 = spatial_synergy(mk(scen), mk(base), sample=10, seed=3)
    s2 = spatial_synergy(mk(scen), mk(base), sample=10, seed=3)
    pd.testing.assert_frame_equal(s1, s2)
    assert (s1["n"] == 10).all()


def test_scenario_esv_hand_computed():
    # one 30 m cell = 0.09 hm²; D = 3406.5; niu2025: crop 4.01, water 89.54 (row totals)
    d = 3406.5
    a = make_raster(np.array([[1, 1], [4, 255]], np.uint8), nodata=255)
    b = make_raster(np.array([[4, 4], [4, 255]], np.uint8), nodata=255)
    lulc = stack_scenarios({"A": a, "B": b})
    eq = load_table("niu2025_6class")
    t = scenario_esv(lulc, equivalents=eq, equivalent_value=d)
    tot = t[t["service"] == "total"].set_index("scenario")["value"]
    assert tot["A"] == pytest.approx((2 * 4.01 + 89.54) * d * 0.09, rel=1e-6)
    assert tot["B"] == pytest.approx(3 * 89.54 * d * 0.09, rel=1e-6)
    food = t[t["service"] == "food_production"].set_index("scenario")["value"]
    assert food["A"] == pytest.approx((2 * 0.85 + 1.35) * d * 0.09, rel=1e-6)
    w = esv_wide(t)
    assert list(w.columns) == list(XIE_SERVICES)
    np.testing.assert_allclose(w.sum(axis=1).to_numpy(), tot.loc[w.index].to_numpy(), rtol=1e-6)
    scaled = scenario_esv(lulc, equivalents=eq, equivalent_value=d, scale=1e-8)
    assert scaled["value"].sum() == pytest.approx(t["value"].sum() * 1e-8, rel=1e-9)
    # the same map along `time` (years compared as scenarios)
    yrs = xr.concat([a, b], dim=pd.Index([2010, 2020], name="time")).rio.write_nodata(255, encoded=False)
    ty = scenario_esv(yrs, equivalents=eq, equivalent_value=d)
    assert ty[ty["service"] == "total"]["value"].tolist() == pytest.approx([tot["A"], tot["B"]])
    # ESV maps give the spatial synergy of B vs A: every Δ has the same sign pattern
    ea = esv(a, equivalents=eq, equivalent_value=d)
    eb = esv(lulc, equivalents=eq, equivalent_value=d).sel(scenario=["B"])
    ss = spatial_synergy(eb, ea, services=["food_production", "water_supply"])
    assert ss["n"].tolist() == [3]


def test_registered_steps_on_the_demo_years_and_the_seed_table(seed_table):
    import restoreplan as rp
    from restoreplan.pipeline import registry

    region = rp.datasets.demo_region(size=64)
    years = sorted(region.layers["lulc"])
    lulc = xr.concat([region.layers["lulc"][y] for y in years], dim=pd.Index(years, name="time"))
    lulc = lulc.rio.write_crs(region.layers["lulc"][years[0]].rio.crs).rio.write_nodata(
        region.layers["lulc"][years[0]].rio.nodata, encoded=False)
    s_esv = registry.get("scenario_esv")
    p = s_esv.params(**s_esv.example["params"])
    table = s_esv.func(lulc, load_table(s_esv.example["inputs"]["equivalents"].split(":")[1]), **p.model_dump())
    assert sorted(set(table["scenario"])) == years
    w = esv_wide(table, include_total=True)
    np.testing.assert_allclose(w.drop(columns="total").sum(axis=1), w["total"], rtol=1e-6)
    s_par = registry.get("pareto")
    res = s_par.func(table, **s_par.params(**s_par.example["params"]).model_dump())
    assert set(res) == {"front", "improvement", "synergy"}
    assert list(res["improvement"].index) == [str(y) for y in years[1:]]
    # the same step on Niu et al.'s (2025) printed table (wide form): the front among the scenarios is {ER}
    seed = seed_table.loc[SCEN].drop(columns="total")
    out = s_par.func(seed, **s_par.params().model_dump())
    assert out["front"].index[out["front"]["non_dominated"]].tolist() == ["ER"]
    assert out["front"].loc["ER", "dominates"] == "ID;FS;UE"


@pytest.mark.realdata
def test_shipped_table_matches_the_seed_text(shared, seed_table):
    """niu2025_scenario_esv.csv equals the ESV table of ../shared/seeds/003_*.txt, cell by cell."""
    path = next((shared / "seeds").glob("003_*.txt"))
    lines = path.read_text(encoding="utf-8").splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.replace(" ", "").startswith("2010|2020|ID|FS|UE|ER"))
    rows = []
    for ln in lines[head + 2:head + 14]:
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        rows.append([float(c) for c in cells[1:7]])
    printed = np.array(rows)
    assert printed.shape == (12, 6)
    np.testing.assert_array_equal(seed_table.T.to_numpy(), printed)
