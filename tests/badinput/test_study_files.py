"""Bad study files through the CLI: encoding, structure, names, references, seeds."""

from __future__ import annotations

import json

import pytest

from .conftest import (CARBON_STEP, assert_clean_error, assert_unchanged, assert_words, invoke, snapshot,
                       study_text, write_study)


@pytest.mark.parametrize("cmd", ["validate", "run"])
def test_study_not_utf8(ws, cmd):
    p = ws / "study.toml"
    p.write_bytes(study_text().replace('"bad"', '"Région"').encode("latin-1"))
    before = snapshot(ws.parent)
    r = invoke([cmd, p] + (["--out", ws / "out"] if cmd == "run" else []))
    assert_clean_error(r, names=["study.toml"], words=["UTF-8"])
    assert_unchanged(ws.parent, before)


@pytest.mark.parametrize("content", ["", "   \n\n# only a comment\n"])
def test_empty_study_is_not_valid(ws, content):
    p = write_study(ws, content)
    before = snapshot(ws.parent)
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, words=["empty file" if not content.strip() else "no steps"])
    assert_unchanged(ws.parent, before)


def test_study_without_steps(ws):
    p = write_study(ws, study_text(steps=""))
    before = snapshot(ws.parent)
    for args in (["validate", p], ["run", p, "--out", ws / "out"]):
        r = invoke(args)
        assert_clean_error(r, code=2, names=["steps"], words=["at least one"])
    assert_unchanged(ws.parent, before)


def test_unknown_class_scheme(ws):
    p = write_study(ws, study_text(study='class_scheme = "six_clas"'))
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["study.class_scheme"], words=["six_clas", "did you mean 'six_class'"])


def test_class_scheme_csv_missing(ws):
    p = write_study(ws, study_text(study='class_scheme = "legend.csv"'))
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["study.class_scheme"], words=["legend.csv"])


def test_misspelt_key_in_our_words(ws):
    p = write_study(ws, study_text(study='tempalte = "lulc"'))
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["study.tempalte"], words=["unknown key", "did you mean 'template'"])


def test_structural_error_does_not_hide_the_others(ws):
    text = study_text().replace('kind = "continuous"\npath = "pawc.tif"', 'kind = "nominal"\npath = "pawc.tif"')
    text = text.replace('"et0.tif"', '"missing_et0.tif"')
    text = text.replace('package:carbon_pools_6class"', 'package:carbon_pools_6class", lulcc = "lulc@2010"')
    p = write_study(ws, text)
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["layers.pawc.kind", "layers.et0", "inputs.lulcc"])
    assert "3 problem(s)" in r.output


def test_toml_syntax_error(ws):
    p = write_study(ws, study_text() + "\n[[steps]\nmethod = 'x'\n")
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["study.toml"], words=["TOML"])


def test_study_path_is_a_folder(ws):
    r = invoke(["validate", ws])
    assert_clean_error(r, words=["directory"])


def test_unknown_method_did_you_mean(ws):
    p = write_study(ws, study_text(steps=CARBON_STEP.replace('method = "carbon"', 'method = "carbn"')))
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["steps[0]"], words=["carbn", "carbon"])


@pytest.mark.parametrize("params, names, words", [
    ("{ price_per_t = -5.0 }", ["params.price_per_t"], ["≥ 0", "-5.0"]),
    ("{ price_per_t = \"cheap\" }", ["params.price_per_t"], ["a number", "'cheap'"]),
    ("{ price_per_tonne = 4.0 }", ["params.price_per_tonne"], ["unknown key", "did you mean 'price_per_t'"]),
    ("{ bas_year = 2010.5 }", ["params.bas_year"], ["whole number"]),
])
def test_bad_parameters_in_our_words(ws, params, names, words):
    p = write_study(ws, study_text(steps=CARBON_STEP + f"params = {params}\n"))
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=names, words=words)


@pytest.mark.parametrize("inputs, names, words", [
    ('{ lulc = "lulc@2015", pools = "package:carbon_pools_6class" }', ["inputs.lulc"], ["2015", "2010, 2020"]),
    ('{ lulc = "landuse@2020", pools = "package:carbon_pools_6class" }', ["inputs.lulc"], ["landuse"]),
    ('{ lulc = "lulc@2020", pools = "package:carbon_pool_6class" }', ["inputs.pools"], ["carbon_pool_6class"]),
    ('{ lulc = "lulc@2020", pools = "table:pools" }', ["inputs.pools"], ["pools"]),
    ('{ lulc = "lulc@2020" }', ["inputs"], ["pools"]),
    ('{ lulc = "pawc", pools = "package:carbon_pools_6class" }', ["inputs.lulc"], ["categorical"]),
])
def test_bad_references(ws, inputs, names, words):
    step = f'[[steps]]\nid = "carbon"\nmethod = "carbon"\ninputs = {inputs}\n'
    p = write_study(ws, study_text(steps=step))
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", ws / "out"])
    assert_clean_error(r, code=2, names=names, words=words)
    assert_unchanged(ws.parent, before)


def test_duplicate_step_ids(ws):
    p = write_study(ws, study_text(steps=CARBON_STEP + CARBON_STEP))
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, words=["duplicate id"])


def test_study_seed_is_not_overridden_by_the_cli_default(ws):
    p = write_study(ws, study_text(study="seed = 7"))
    r = invoke(["run", p, "--out", ws / "o1", "--no-report"])
    assert r.exit_code == 0, r.output
    assert json.loads((ws / "o1" / "manifest.json").read_text())["seed"] == 7
    r = invoke(["run", p, "--out", ws / "o2", "--no-report", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert json.loads((ws / "o2" / "manifest.json").read_text())["seed"] == 3


@pytest.mark.parametrize("opt", [["--chunks", "-4"], ["--chunks", "0"], ["--workers", "0"]])
def test_negative_or_zero_counts(ws, opt):
    p = write_study(ws, study_text())
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", ws / "out", *opt])
    assert_clean_error(r, code=2, words=[opt[0]])
    assert_unchanged(ws.parent, before)


def test_validate_json_lists_every_problem(ws):
    text = study_text(study='class_scheme = "nope"').replace('"et0.tif"', '"gone.tif"')
    p = write_study(ws, text)
    r = invoke(["validate", p, "--json"])
    assert r.exit_code == 2
    doc = json.loads(r.output)
    assert doc["valid"] is False and len(doc["problems"]) == 2
    assert_words(r.output)


def test_a_broken_layer_is_reported_once(ws):
    from .conftest import WATER_STEP

    text = study_text(steps=WATER_STEP).replace('kind = "continuous"\npath = "pawc.tif"', 'kind = "nominal"\npath = "pawc.tif"')
    r = invoke(["validate", write_study(ws, text)])
    assert_clean_error(r, code=2, names=["layers.pawc.kind"], words=['"categorical" or "continuous"'])
    assert "1 problem(s)" in r.output
