"""References in the registry, `restoreplan cite` / `describe`, the REFERENCES page, and table status."""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from restoreplan.cli.main import _add_plugins, cli
from restoreplan.core.errors import AssumptionWarning, ConfigError
from restoreplan.pipeline import registry
from restoreplan.pipeline.references import (GENERIC_OPERATIONS, METHOD_REFERENCES, REFERENCES, get_reference,
                                             references_markdown)
from restoreplan.tables import TABLE_STATUS, WARN_STATUSES, DATA_DIR, list_tables, load_table

_add_plugins()
REPO = Path(__file__).resolve().parents[2]


def test_every_method_cites_a_source_or_is_a_generic_operation():
    names = {m.name for m in registry.all_methods()}
    without = sorted(m.name for m in registry.all_methods() if not m.references)
    assert without == sorted(GENERIC_OPERATIONS), (
        "methods without references: pass references=(...) to register() or add them to METHOD_REFERENCES")
    assert set(METHOD_REFERENCES) <= names  # no stale entries
    assert set(GENERIC_OPERATIONS) <= names


def test_the_four_papers_cite_author_year_and_doi():
    for key, doi in (("sun2025", "10.3390/land14020287"), ("zhao2023", "10.3390/land12050965"),
                     ("niu2025", "10.3390/app15169172")):
        r = get_reference(key)
        assert r.doi == doi and r.year and r.authors and r.title and not r.missing
    assert registry.get("supply_demand_zoning").references[0] == "sun2025"
    assert registry.get("demand_revised_priority").references[0] == "zhao2023"
    assert registry.get("scenario_simulation").references[0] == "niu2025"
    assert all(registry.get(m).references == ("dashihe",) for m in ("stand_tradeoff", "stand_scenarios"))
    # what the available text does not give is said, not made up
    assert get_reference("dashihe").missing and not get_reference("dashihe").doi


def test_every_record_is_cited_and_well_formed():
    cited = {k for m in registry.all_methods() for k in m.references}
    assert cited == set(REFERENCES)
    for r in REFERENCES.values():
        assert r.title and r.label
        assert r.doi or r.url or r.source or r.missing
        assert r.doi == "" or r.doi.startswith("10.")


def test_unknown_reference_key_is_a_config_error():
    with pytest.raises(ConfigError, match="reference"):
        get_reference("nobody1900")
    with pytest.raises(ConfigError, match="reference"):
        registry.register("plugin_with_bad_reference", formula="x", references=("nobody1900",))(lambda: None)
    assert "plugin_with_bad_reference" not in {m.name for m in registry.all_methods()}


def test_plugin_passes_its_own_references():
    @registry.register("plugin_cited", formula="x", group="zz_test", references=("moran1950",))
    def f():
        """A test plugin."""

    try:
        assert registry.get("plugin_cited").references == ("moran1950",)
    finally:
        registry._REGISTRY.pop("plugin_cited")


def test_describe_and_cite_print_the_references():
    r = CliRunner().invoke(cli, ["describe", "demand_revised_priority"])
    assert r.exit_code == 0 and "references:" in r.output and "doi:10.3390/land12050965" in r.output
    d = json.loads(CliRunner().invoke(cli, ["describe", "demand_revised_priority", "--json"]).output)
    assert [x["key"] for x in d["references"]] == ["zhao2023", "invest320", "marxan"]
    assert d["references"][0]["authors"].startswith("Zhao, Y.") and d["references"][0]["year"] == 2023
    r = CliRunner().invoke(cli, ["cite", "supply_demand_zoning"])
    assert r.exit_code == 0 and r.output.startswith("Sun, Y.; Ren, Y.") and "(2025)" in r.output
    c = json.loads(CliRunner().invoke(cli, ["cite", "coupling", "--json"]).output)
    assert c == {"method": "coupling", "references": [get_reference("sun2025").as_dict()]}
    r = CliRunner().invoke(cli, ["cite", "class_area"])
    assert r.exit_code == 0 and "generic operation" in r.output
    r = CliRunner().invoke(cli, ["cite", "no_such_method"])
    assert r.exit_code != 0 and "restoreplan list" in r.output


def test_references_page_is_generated_and_up_to_date():
    page = references_markdown()
    assert (REPO / "REFERENCES.md").read_text(encoding="utf-8") == page, (
        "REFERENCES.md is stale: run `restoreplan list --references > REFERENCES.md`")
    assert CliRunner().invoke(cli, ["list", "--references"]).output == page
    rows = json.loads(CliRunner().invoke(cli, ["list", "--references", "--json"]).output)
    sun = next(r for r in rows if r["key"] == "sun2025")
    assert "supply_demand_zoning" in sun["methods"] and sun["doi"] == "10.3390/land14020287"


def test_every_packaged_table_has_a_status_consistent_with_its_notes():
    assert set(TABLE_STATUS) == set(list_tables())
    for name, (status, what) in TABLE_STATUS.items():
        md = (DATA_DIR / f"{name}.md").read_text(encoding="utf-8").lower()
        if status in ("illustrative", "partly illustrative"):
            assert "illustrative" in md, name
        if "illustrative" in md.split("\n", 1)[0] or "**illustrative" in md:
            assert status in WARN_STATUSES, name
        if status == "transcribed, not checked":
            assert "not checked" in md, name


def test_list_tables_shows_the_status():
    out = CliRunner().invoke(cli, ["list", "--tables"]).output
    line = next(s for s in out.splitlines() if s.startswith("carbon_pools_6class "))
    assert "ILLUSTRATIVE" in line
    rows = json.loads(CliRunner().invoke(cli, ["list", "--tables", "--json"]).output)
    by = {r["name"]: r for r in rows}
    assert by["es_supply_matrix_6class"]["status"] == "illustrative" and by["es_supply_matrix_6class"]["warns_when_used"]
    assert by["niu2025_6class"]["status"] == "transcribed, not checked"
    assert not by["xie2015_equivalent_factors"]["warns_when_used"]


def test_loading_an_illustrative_table_warns_and_a_published_one_does_not():
    with pytest.warns(AssumptionWarning, match="carbon_pools_6class.*ILLUSTRATIVE.*your own table"):
        load_table("carbon_pools_6class")
    with pytest.warns(AssumptionWarning, match="niu2025_6class.*NOT CHECKED"):
        load_table("niu2025_6class")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_table("xie2015_equivalent_factors")) > 10


def test_a_study_step_using_an_illustrative_table_records_the_warning(tiny_study, tmp_path):
    from restoreplan.pipeline.config import load_study
    from restoreplan.pipeline.runner import run_study

    with open(tiny_study, "a", encoding="utf-8") as f:
        f.write('\n[[steps]]\nmethod = "carbon"\n'
                'inputs = { lulc = "lulc@2020", pools = "package:carbon_pools_6class" }\n')
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = run_study(load_study(tiny_study), tmp_path / "out", report=False)
    steps = {s["method"]: s for s in res.manifest["steps"]}
    msgs = [w["message"] for w in steps["carbon"]["warnings"]]
    assert any("carbon_pools_6class" in m and "ILLUSTRATIVE" in m for m in msgs)
    assert all(w["category"] == "AssumptionWarning" for w in steps["carbon"]["warnings"]
               if "carbon_pools_6class" in w["message"])
    assert not any("package table" in w["message"] for w in steps["slope"]["warnings"])
