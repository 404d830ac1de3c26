"""The Sun et al. (2025) chain on the synthetic demo region, and the registered steps' examples."""

import warnings

import numpy as np
import pytest

from restoreplan.analysis.chain import supply_demand_zoning
from restoreplan.pipeline import registry
from restoreplan.tables import load_table

MINE = ["trend", "coupling", "morans_i", "sensitivity", "supply_demand_zoning", "potential_areas", "entropy_weights",
        "priority_index", "priority_tiers", "aco"]


def test_registered_with_units_bounds_and_examples():
    for name in MINE:
        spec = registry.get(name)
        assert spec.example is not None and spec.formula
        for row in spec.param_table():
            assert row["description"], (name, row["name"])


def test_group_sum_tables_give_the_same_matrix():
    """The chain maps group sums directly; the matrix method is linear in the scores, so groups and total are identical."""
    from restoreplan.services.matrix import _SUM, _group_tables, lulc_matrix
    from restoreplan.testing import make_raster

    rng = np.random.default_rng(0)
    arr = rng.integers(1, 7, (2, 9, 9)).astype(np.uint8)
    arr[0, 0, 0] = 255
    lulc = make_raster(arr, nodata=255)
    s, d, g = (load_table(n) for n in ("es_supply_matrix_6class", "es_demand_matrix_6class", "es_service_groups"))
    labels = ["provisioning", "regulating", "cultural", "total"]
    full = lulc_matrix(lulc, supply_table=s, demand_table=d, groups=g, ndvi_mode="none")
    cs, cd = _group_tables(s, d, g, labels)
    col = lulc_matrix(lulc, supply_table=cs, demand_table=cd, ndvi_mode="none")
    col = col.assign_coords(service=[str(v).removesuffix(_SUM) for v in col.service.values])
    for k in ("supply", "demand", "balance"):
        np.testing.assert_array_equal(full[k].sel(service=labels).values, col[k].sel(service=labels).values)
    assert _group_tables(s, d, g, ["crops"]) is None      # single services need the full matrix


def test_esv_by_group():
    import xarray as xr

    from restoreplan.analysis.chain import XIE2015_GROUPS, esv_by_group

    services = list(XIE2015_GROUPS) + ["total"]
    vals = np.arange(1.0, len(services) + 1)[:, None, None] * np.ones((len(services), 2, 3))
    vals[-1] = vals[:-1].sum(axis=0)
    esv = xr.DataArray(vals, dims=("service", "y", "x"), coords={"service": services})
    g = esv_by_group(esv)
    # provisioning = food 1 + raw 2 + water 3; cultural = aesthetics 11; total = Σ 1..11 = 66
    assert g.sel(group="provisioning").values[0, 0] == 6 and g.sel(group="cultural").values[0, 0] == 11
    assert g.sel(group="total").values[0, 0] == 66
    assert float(g.sel(group=["provisioning", "regulating", "cultural"]).sum("group")[0, 0]) == 66


def test_chain_on_the_demo_region():
    from restoreplan.datasets import demo_region

    lay = demo_region(size=48, seed=0).layers
    years = sorted(lay["lulc"])
    import xarray as xr

    lulc = xr.concat([lay["lulc"][y] for y in years], dim="time").assign_coords(time=years)
    lulc = lulc.rio.write_crs(lay["lulc"][years[0]].rio.crs).rio.write_nodata(255, encoded=False)
    drivers = {k: lay[k] for k in ("population", "distance_to_road", "gdp", "slope")}
    drivers["elevation"] = lay["dem"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = supply_demand_zoning(lulc, supply_table=load_table("es_supply_matrix_6class"),
                            demand_table=load_table("es_demand_matrix_6class"),
                            groups=load_table("es_service_groups"), drivers=drivers, aco_block=6,
                            aco_options={"n_iter": 10, "n_ants": 6})
    p = res.products
    assert list(p["index"].group.values) == ["provisioning", "regulating", "cultural", "total"]
    assert p["weights"].groupby("group")["weight"].sum().to_numpy() == pytest.approx(np.ones(4))
    inside = p["potential"]["mask"].values == 1
    assert np.isfinite(p["index"].values[:, inside]).all() and np.isnan(p["index"].values[:, ~inside]).all()
    assert p["tiers"].values[:, inside].min() >= 1 and (p["tiers"].values[:, ~inside] == 0).all()
    assert len(p["moran"]) == 3 and p["missing_indicators"] == []
    assert set(res.timing_table()["step"]) >= {"trend", "coupling", "aco", "total"}
    assert (p["aco_tiers"].values[inside] >= 1).all()


def test_examples_run_in_the_demo(tmp_path):
    """Every example of these steps validates and runs on the demo region (report skipped for speed)."""
    from restoreplan.datasets import demo_region
    from restoreplan.pipeline.config import study_from_dict
    from restoreplan.pipeline.demo import demo_study_dict
    from restoreplan.pipeline.runner import run_study

    inputs = tmp_path / "démo"
    written = demo_region(size=40, seed=0).write(inputs)
    raw = demo_study_dict(written, methods=MINE + ["lulc_matrix", "esv"])
    study = study_from_dict(raw, base_dir=inputs.resolve(), source="test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = run_study(study, tmp_path / "out", report=False)
    for name in MINE:
        assert name in r.results
    tab = r.results["aco"]["comparison"]
    assert (tab["cells"][tab.method == "aco"].to_numpy() == tab["cells"][tab.method == "top_x"].to_numpy()).all()
    tt = r.results["priority_tiers"]["table"]
    assert tt.groupby("group")["cum_share_pct"].last().to_numpy() == pytest.approx(100.0)
