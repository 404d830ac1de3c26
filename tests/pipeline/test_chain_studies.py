"""The two chain functions and their example study files are one thing: the study files
(examples/wuhan_supply_demand_zoning.toml, examples/wuhan_demand_revised_priority.toml), pointed at the
demo region's files, give exactly the products of ``supply_demand_zoning`` / ``demand_revised_priority``
called in Python on the same inputs (rasters pixel by pixel, tables equal)."""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from restoreplan.datasets import demo_region
from restoreplan.io import read_raster
from restoreplan.pipeline.config import study_from_dict
from restoreplan.pipeline.runner import run_study
from restoreplan.tables import load_table

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def assert_same(a, b, where: str = "") -> None:
    """Rasters equal pixel by pixel (NaN where NaN), same dims, coordinates and dtype; tables equal
    (a solver's ``seconds`` left out); mappings key by key."""
    if isinstance(a, (xr.Dataset, dict)):
        keys = list(a.data_vars) if isinstance(a, xr.Dataset) else list(a)
        other = list(b.data_vars) if isinstance(b, xr.Dataset) else list(b)
        assert sorted(map(str, keys)) == sorted(map(str, other)), where
        for k in keys:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, xr.DataArray):
        assert isinstance(b, xr.DataArray) and a.dims == b.dims and a.dtype == b.dtype, where
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)
        for c in a.dims:
            np.testing.assert_array_equal(a[c].values, b[c].values, err_msg=f"{where} coord {c}")
    elif isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a.drop(columns="seconds", errors="ignore"),
                                      b.drop(columns="seconds", errors="ignore"), check_exact=True, obj=where)
    else:
        assert a == b, where


def _demo_study(example: str, tmp_path: Path, years: dict[int, int], size: int = 150):
    """The example study with its layers and vectors replaced by the demo region's files."""
    written = demo_region(size=size, seed=0).write(tmp_path / "demo")
    L, V = written["layers"], written["vectors"]
    raw = tomllib.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    raw["layers"]["lulc"]["paths"] = {str(y): str(L["lulc"][d]) for y, d in years.items()}
    raw["layers"]["dem"]["path"], raw["layers"]["population"]["path"] = str(L["dem"]), str(L["population"])
    for name in raw.get("vectors", {}):
        raw["vectors"][name]["path"] = str(V["settlements" if name == "settlements" else "poi"])
    raw["study"]["class_scheme"] = "six_class"     # the demo's land use is six-class (recoded as if Wuhan's)
    study = study_from_dict(raw, base_dir=tmp_path, source=example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = run_study(study, tmp_path / "out", report=False)
    chunks = raw["study"].get("chunks")
    layer = {n: read_raster(L[n], kind="continuous", chunks=chunks, name=n) for n in ("dem", "population")}
    return run.results, layer


def test_supply_demand_zoning_study_file_equals_the_function(tmp_path):
    from restoreplan.analysis.chain import XIE2015_GROUPS, supply_demand_zoning

    R, layer = _demo_study("wuhan_supply_demand_zoning.toml", tmp_path, {2003: 2000, 2005: 2010, 2013: 2020})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = supply_demand_zoning(
            R["lulc6"], supply_table=load_table("es_supply_matrix_6class"),
            demand_table=load_table("es_demand_matrix_6class"), groups=load_table("es_service_groups"),
            drivers={"population": layer["population"], "distance_to_road": R["distance_to_built"],
                     "dem": layer["dem"], "slope": R["slope"]},
            esv=R["esv"]["esv"], esv_groups=XIE2015_GROUPS, classify_by="f_test", aco_block=30,
            aco_options={"n_iter": 100, "patience": 33}, seed=0)
    P = res.products
    pairs = {"lulc_matrix": P["matrix"], "trend": P["trend"], "coupling": P["coupling"],
             "potential_areas": {**P["potential"], "table": P["potential_table"]},
             "priority_index": {"index": P["index"], "weights": P["weights"]},
             "priority_tiers": {"tiers": P["tiers"], "table": P["tier_table"]}, "morans_i": P["moran"],
             "sensitivity": P["sensitivity"], "aco": {"tiers": P["aco_tiers"], "comparison": P["aco_table"]}}
    for step, product in pairs.items():
        assert_same(R[step], product, step)
    inside = np.asarray(P["potential"]["mask"]) == 1
    assert inside.any() and (np.asarray(P["tiers"])[:, inside] >= 1).all()   # a chain that did something
    assert list(res.timings) == list(pairs)


def test_demand_revised_priority_study_file_equals_the_function(tmp_path):
    from restoreplan.priority.cost import demand_revised_unit_costs
    from restoreplan.priority.demand_revised import demand_revised_priority
    from restoreplan.priority.demand_revised.steps import _six_class_names

    R, layer = _demo_study("wuhan_demand_revised_priority.toml", tmp_path, {2003: 2000, 2013: 2020})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = demand_revised_priority(
            R["lulc6"], unit_cost=demand_revised_unit_costs(1.0), pools=load_table("carbon_pools_6class"),
            threats_table=load_table("hq_threats_6class"), sensitivity=load_table("hq_sensitivity_6class"),
            threat_classes={"construction": (5,), "cropland": (1,)}, half_saturation=0.3,
            biophysical=load_table("awy_biophysical_6class"), precipitation=R["precipitation"], et0=R["et0"],
            root_restricting_depth=R["root_restricting_depth"], pawc=R["pawc"],
            drivers={"population": layer["population"], "slope": R["slope"],
                     "distance_to_river": R["distance_to_river"], "distance_to_road": R["distance_to_road"],
                     "distance_to_settlement": R["distance_to_settlement"]},
            demand_class=R["poi_density"]["demand_class"], pu_size=33, target=0.15, blm=1.0, solver="auto",
            time_limit=20.0, min_area_km2=100.0, connectivity=8, seed=0, class_names=_six_class_names())
    P = res.products
    for s in ("cs", "hs", "wh"):
        assert_same(R[f"{s}_series"], P["supply"][s], f"{s}_series")
        assert_same(R[f"potential_decline_{s}"], {"pora": P["pora"][s], "delta": P["delta"][s]}, f"pora {s}")
        assert_same(R[f"cost_index_{s}"], P["cost"][s], f"cost_index {s}")
        assert_same(R[f"marxan_priority_{s}"], {"selection": P["selection"][s], "units": P["units"][s],
                                                "summary": P["selection_summary"].iloc[["cs", "hs", "wh"].index(s):][:1]
                                                .reset_index(drop=True)}, f"marxan {s}")
    assert_same(R["cost_indicator_scores"], P["indicator_scores"], "scores")
    assert_same(R["priority_grades"], {"grade": P["grade"], "table": P["grade_table"]}, "grades")
    assert_same(R["demand_revision"], {"grade": P["grade_revised"], "table": P["revised_table"]}, "revision")
    assert_same(R["aggregation_filter"], {"grade": P["grade_filtered"], "table": P["filtered_table"],
                                          "landuse_table": P["filtered_landuse_table"]}, "filter")
    assert P["selection_summary"]["units_selected"].sum() > 0 and int((np.asarray(P["grade"]) > 0).sum()) > 0
