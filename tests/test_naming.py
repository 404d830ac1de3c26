"""What users read names methods and papers, never internal document numbers.

Searched: `restoreplan list` (text and --json, also --tables and --references), `describe --json` and
`cite` of every method, the messages of a representative set of bad-input errors, and every file
under src/. The demo report is checked in tests/cli/test_demo.py on the demo fixture there.
"""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from restoreplan.cli.main import _add_plugins, cli
from restoreplan.core.errors import RestorePlanError
from restoreplan.pipeline import registry

_add_plugins()

SRC = Path(__file__).resolve().parents[1] / "src"

#: internal labels: document numbers and method codes (any case), the spec's file name (upper case)
INTERNAL = [re.compile(r"seed[ _-]?0\d\d", re.I), re.compile(r"\bM\d\d[a-z]?\b", re.I), re.compile(r"METHODS")]


def hits(text: str) -> list[str]:
    out = []
    for rx in INTERNAL:
        for m in rx.finditer(text):
            out.append(text[max(0, m.start() - 60):m.end() + 60].replace("\n", " "))
    return out


def test_patterns_catch_the_old_labels():
    bad = ['c_scheme="seed001"', "the seed 002 chain", "Seed003", "(M10a)", "m16d tiers", "see METHODS.md"]
    assert all(hits(s) for s in bad)
    good = ["seed=0", "--seed 3", "random seed", "seeds planted", "30 m cells", "list the methods", "M2M"]
    assert not any(hits(s) for s in good)


def _invoke(*args):
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["list", "--tables"], ["list", "--tables", "--json"],
                                  ["list", "--references"], ["list", "--references", "--json"],
                                  ["list", "--markdown"]])
def test_list_outputs_have_no_internal_labels(args):
    assert hits(_invoke(*args)) == []


def test_describe_and_cite_of_every_method_have_no_internal_labels():
    found = {}
    for m in registry.all_methods():
        text = _invoke("describe", m.name, "--json") + _invoke("describe", m.name) + _invoke("cite", m.name)
        if hits(text):
            found[m.name] = hits(text)
    assert found == {}


def _errors() -> list[str]:
    """Messages of a representative set of bad inputs across the packages (none echoes a label)."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    from restoreplan.analysis.coupling import coupling
    from restoreplan.mcda.normalize import normalize
    from restoreplan.pipeline.references import get_reference
    from restoreplan.priority.cost import cost_index, demand_revised_unit_costs
    from restoreplan.priority.demand_revised import demand_revised_priority
    from restoreplan.priority.grades import aggregation_filter
    from restoreplan.stand.diversity import importance_values
    from restoreplan.tables import load_table

    da = xr.DataArray(np.ones((3, 3)), dims=("y", "x"), coords={"y": [2.0, 1.0, 0.0], "x": [0.0, 1.0, 2.0]})
    lulc = xr.DataArray(np.ones((3, 3), dtype="uint8"), dims=("y", "x"),
                        coords={"y": [2.0, 1.0, 0.0], "x": [0.0, 1.0, 2.0]})
    calls = [
        lambda: registry.get("coupling_degree"),
        lambda: coupling(da, da, d_scheme="five_class"),
        lambda: normalize(da, method="rank"),
        lambda: load_table("carbon_pools"),
        lambda: get_reference("smith1999"),
        lambda: demand_revised_priority(lulc, unit_cost=demand_revised_unit_costs(1.0), services=("soil",)),
        lambda: aggregation_filter(lulc, min_area_km2=-1),
        lambda: cost_index(lulc, unit_cost={2: 1.0}, benefit=da),
        lambda: importance_values(pd.DataFrame({"species": ["a"], "site": ["s"]})),
    ]
    msgs = []
    for c in calls:
        with pytest.raises(RestorePlanError) as e:
            c()
        msgs.append(str(e.value))
    runner = CliRunner()
    for args in (["describe", "no_such_method"], ["cite", "no_such_method"], ["validate", "no_such_study.toml"],
                 ["demo", "--method", "no_such_method", "--out", "unused"]):
        r = runner.invoke(cli, args)
        assert r.exit_code != 0
        msgs.append(r.output)
    return msgs


def test_error_messages_have_no_internal_labels():
    msgs = _errors()
    assert len(msgs) >= 12 and all(len(m) > 20 for m in msgs)
    assert [h for m in msgs for h in hits(m)] == []


def test_no_file_under_src_names_an_internal_label():
    found = {}
    for p in sorted(SRC.rglob("*")):
        if p.is_file() and p.suffix in {".py", ".md", ".csv", ".toml", ".txt", ".json", ".html", ".js", ".css"}:
            h = hits(p.read_text(encoding="utf-8"))
            if h:
                found[str(p.relative_to(SRC))] = h[:3]
        if "egg-info" not in str(p) and re.search(r"seed[ _-]?0\d\d", p.name, re.I):
            found[str(p.relative_to(SRC))] = ["file name"]
    found = {k: v for k, v in found.items() if "egg-info" not in k}
    assert found == {}


#: codes a planner cannot be expected to know; in a summary they appear only spelled out, e.g. "(POI)"
CODES = ["PoRA", "PRA", "FUI", "ACO", "cs", "hs", "wh", "ID", "FS", "UE", "ER", "ESV", "OLS", "NPV", "RMSE",
         "LEAS", "CARS", "GDP", "DEM", "POI", "NDVI", "AWY", "HQ"]


def test_list_summaries_spell_out_abbreviations():
    bare = {}
    for m in registry.all_methods():
        for code in CODES:
            for hit in re.finditer(rf"(?<![\w(/-]){re.escape(code)}(?![\w)-])", m.summary):
                bare.setdefault(m.name, []).append(code)
    assert bare == {}


def test_describe_spells_out_the_abbreviations_it_uses():
    import json

    d = json.loads(_invoke("describe", "demand_revised_priority", "--json"))
    assert d["abbreviations"]["PoRA"] == "potential restoration area"
    assert d["abbreviations"]["POI"] == "points of interest"
    text = _invoke("describe", "scenario_rules")
    assert "abbreviations:" in text and "inertial development" in text and "ecological restoration" in text


def test_report_labels_spell_out_service_and_scenario_codes():
    import pandas as pd

    from restoreplan.pipeline.glossary import spell_out
    from restoreplan.report import table_html

    html = table_html(pd.DataFrame({"cs": [1.0], "ER": [2.0]}, index=["pora_wh"]))
    assert "carbon storage" in html and "ER — ecological restoration" in html
    assert "potential restoration area — water yield" in html
    assert spell_out(2020) == "2020" and spell_out("slope") == "slope"


def test_table_and_equation_numbers_name_their_paper():
    """'Table 3' or 'eq. 7' in what describe shows always comes with the paper it belongs to."""
    number = re.compile(r"\b(Tables?|Figs?\.|[Ee]q\.)\s*\d")
    paper = re.compile(r"et al\.|Dashihe|Horn|Fisher|Jenks|Moran|InVEST|Marxan|PLUS|Costanza")
    bad = []
    for m in registry.all_methods():
        d = m.as_dict()
        texts = [d["summary"], d["formula"], *(i["doc"] for i in d["inputs"]),
                 *(p["description"] for p in d["parameters"])]
        bad += [f"{m.name}: {t}" for t in texts if t and number.search(t) and not paper.search(t)]
    assert bad == []
