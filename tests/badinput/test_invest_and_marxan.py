"""Bad InVEST datastacks and Marxan projects through `restoreplan invest` and `restoreplan marxan`."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from .conftest import assert_clean_error, assert_unchanged, assert_words, invoke, like, rewrite, snapshot

POOLS = "lucode,c_above,c_below,c_soil,c_dead\n1,5,1,20,0\n2,60,15,80,5\n3,8,3,40,1\n4,0,0,0,0\n5,2,0,10,0\n6,1,0,5,0\n"


def _carbon_args(ws, **over):
    (ws / "pools.csv").write_text(over.pop("pools", POOLS))
    args = {"lulc_bas_path": "lulc_2010.tif", "lulc_alt_path": "lulc_2020.tif", "carbon_pools_path": "pools.csv",
            "calc_sequestration": True, "do_valuation": False}
    args.update(over)
    p = ws / "args.json"
    p.write_text(json.dumps({"model_id": "carbon", "args": args}))
    return p


def _fails(ws, args, *, names=(), words=(), code=None):
    before = snapshot(ws.parent)
    r = invoke(args)
    assert_clean_error(r, names=names, words=words, code=code)
    assert_unchanged(ws.parent, before)
    return r


def test_invest_carbon_good(ws):
    r = invoke(["invest", "carbon", _carbon_args(ws), "--out", ws / "out"])
    assert r.exit_code == 0, r.output


def test_invest_args_not_json(ws):
    (ws / "args.json").write_text("{ not json")
    _fails(ws, ["invest", "carbon", ws / "args.json", "--out", ws / "out"], names=["ARGS.json"], words=["JSON"])


def test_invest_args_without_args_key(ws):
    (ws / "args.json").write_text(json.dumps({"lulc_bas_path": "x.tif"}))
    _fails(ws, ["invest", "carbon", ws / "args.json", "--out", ws / "out"], names=["ARGS.json"], words=["--args-key"])


def test_invest_args_missing_required(ws):
    p = _carbon_args(ws, carbon_pools_path="")
    _fails(ws, ["invest", "carbon", p, "--out", ws / "out"], names=["carbon_pools_path"])


def test_invest_raster_missing(ws):
    p = _carbon_args(ws, lulc_alt_path="nope.tif")
    _fails(ws, ["invest", "carbon", p, "--out", ws / "out"], names=["lulc_alt_path"], words=["no file"])


def test_invest_raster_truncated(ws):
    f = ws / "lulc_2020.tif"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    p = _carbon_args(ws)
    _fails(ws, ["invest", "carbon", p, "--out", ws / "out"], names=["lulc_alt_path"], words=["lulc_2020.tif"])


def test_invest_raster_in_feet(ws):
    rewrite(ws, "lulc_2010.tif", crs="EPSG:2227")
    p = _carbon_args(ws)
    _fails(ws, ["invest", "carbon", p, "--out", ws / "out"], names=["lulc_bas_path"], words=["metres", "foot"])


def test_invest_out_not_empty(ws):
    (ws / "out").mkdir()
    (ws / "out" / "old.tif").write_text("x")
    _fails(ws, ["invest", "carbon", _carbon_args(ws), "--out", ws / "out"], names=["--out"], words=["--overwrite"])


def test_invest_negative_pool_warns_then_fails_strict(ws):
    p = _carbon_args(ws, pools=POOLS.replace("3,8,3,40,1", "3,8,3,-40,1"))
    r = invoke(["invest", "carbon", p, "--out", ws / "out"])
    assert r.exit_code == 0 and "warning: `carbon_pools_path`" in r.output, r.output
    assert_words(r.output, words=["c_soil=-40"])
    _fails(ws, ["invest", "carbon", p, "--out", ws / "o2", "--strict"], names=["carbon_pools_path"],
           words=["--strict"])


def test_invest_all_nodata_raster_warns_then_fails_strict(ws):
    a, prof = like(ws, "lulc_2010.tif")
    rewrite(ws, "lulc_2010.tif", np.full_like(a, prof["nodata"]))
    p = _carbon_args(ws)
    r = invoke(["invest", "carbon", p, "--out", ws / "out"])
    assert "warning: `lulc_bas_path`" in r.output and "Traceback" not in r.output, r.output
    _fails(ws, ["invest", "carbon", p, "--out", ws / "o2", "--strict"], names=["lulc_bas_path"], words=["only nodata"])


# ------------------------------------------------------------------------------------------- Marxan
def make_project(root, *, dat_extra="", pu=None, spec=None, puvspr=None):
    inp = root / "input"
    inp.mkdir(parents=True)
    (inp / "pu.dat").write_text(pu or "id,cost,status\n1,1,0\n2,2,0\n3,3,0\n4,4,0\n")
    (inp / "spec.dat").write_text(spec or "id,target,spf,name\n5,2,10,habitat\n")
    (inp / "puvspr.dat").write_text(puvspr or "species,pu,amount\n5,1,1\n5,2,1\n5,3,1\n5,4,1\n")
    (root / "input.dat").write_text("Marxan input\nBLM 0\nNUMREPS 2\nNUMITNS 2000\nNUMTEMP 100\nPROP 0.5\n"
                                    "INPUTDIR input\nPUNAME pu.dat\nSPECNAME spec.dat\nPUVSPRNAME puvspr.dat\n" + dat_extra)
    return root / "input.dat"


def _marxan_warn_then_strict(tmp_path, dat, *, names, words):
    r = invoke(["marxan", dat, "--solver", "highs", "--out", tmp_path / "out"])
    assert r.exit_code == 0, r.output
    assert "warning: " in r.output and "Traceback" not in r.output
    assert_words(r.output, names=names, words=words)
    before = snapshot(tmp_path)
    r = invoke(["marxan", dat, "--solver", "highs", "--out", tmp_path / "o2", "--strict"])
    assert_clean_error(r, names=names, words=[*words, "--strict"])
    assert_unchanged(tmp_path, before)
    return r


def test_marxan_misspelt_keyword(tmp_path):
    dat = make_project(tmp_path, dat_extra="NUMITSN 5000\n")
    _marxan_warn_then_strict(tmp_path, dat, names=["input.dat line"], words=["NUMITSN", "did you mean 'NUMITNS'"])


def test_marxan_negative_costs(tmp_path):
    dat = make_project(tmp_path, pu="id,cost,status\n1,-1,0\n2,2,0\n3,3,0\n4,4,0\n")
    _marxan_warn_then_strict(tmp_path, dat, names=["pu.dat:cost"], words=["negative cost"])


def test_marxan_unreachable_target_is_not_reported_optimal(tmp_path):
    dat = make_project(tmp_path, spec="id,target,spf,name\n5,10,10,habitat\n")
    r = _marxan_warn_then_strict(tmp_path, dat, names=["spec.dat:target"], words=["unreachable", "needs 10"])
    r = invoke(["marxan", dat, "--solver", "highs", "--out", tmp_path / "o3"])
    assert "status: shortfall" in r.output and "targets_met: 0 of 1" in r.output


def test_marxan_unknown_units_in_puvspr(tmp_path):
    dat = make_project(tmp_path, puvspr="species,pu,amount\n5,1,1\n5,2,1\n5,3,1\n5,4,1\n5,99,1\n")
    _marxan_warn_then_strict(tmp_path, dat, names=["puvspr.dat:pu"], words=["99"])


def test_marxan_missing_pu_file(tmp_path):
    dat = make_project(tmp_path)
    (tmp_path / "input" / "pu.dat").unlink()
    _fails(tmp_path, ["marxan", dat, "--out", tmp_path / "out"], names=["pu.dat"], words=["INPUTDIR"])


def test_marxan_non_numeric_cost(tmp_path):
    dat = make_project(tmp_path, pu="id,cost,status\n1,one,0\n2,2,0\n")
    _fails(tmp_path, ["marxan", dat, "--out", tmp_path / "out"], names=["pu.dat:cost"], words=["non-numeric"])


def test_marxan_non_numeric_parameter(tmp_path):
    dat = make_project(tmp_path, dat_extra="BLM abc\n")
    _fails(tmp_path, ["marxan", dat, "--out", tmp_path / "out"], names=["BLM"], words=["a number", "'abc'"])


def test_marxan_out_not_empty_fails_before_solving(tmp_path):
    dat = make_project(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.csv").write_text("old")
    _fails(tmp_path, ["marxan", dat, "--out", tmp_path / "out"], names=["--out"], words=["--overwrite"])


@pytest.mark.parametrize("opt", [["--time-limit", "-1"], ["--gap", "-0.1"], ["--restarts", "0"]])
def test_marxan_bad_numbers(tmp_path, opt):
    dat = make_project(tmp_path)
    _fails(tmp_path, ["marxan", dat, "--out", tmp_path / "out", *opt], names=[opt[0]])


def test_marxan_json_is_pure_json_on_stdout(tmp_path):
    """HiGHS prints a banner on fd 1; with --json it goes to stderr and stdout parses."""
    dat = make_project(tmp_path, dat_extra="NUMITSN 5\n")
    r = subprocess.run([sys.executable, "-m", "restoreplan", "marxan", str(dat), "--solver", "highs",
                        "--out", str(tmp_path / "out"), "--json"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] in ("optimal", "time_limit") and doc["targets_met"] == "1 of 1"
    assert "warning: " in r.stderr and "Traceback" not in r.stderr and "warnings.warn" not in r.stderr


@pytest.mark.realdata
def test_marxan_json_parses_on_tasmania(tmp_path, marxan_anchors):
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "restoreplan", "marxan",
                        str(marxan_anchors / "tasmania_prioritizr" / "input.dat"), "--solver", "anneal",
                        "--time-limit", "6", "--out", str(out), "--json"], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    with open(tmp_path / "stdout.json", "w") as f:
        f.write(r.stdout)
    with open(tmp_path / "stdout.json") as f:
        doc = json.load(f)
    assert doc["planning_units"] > 0 and (out / "output_best.csv").is_file()


def test_misspelt_solver_option_is_an_error():
    from restoreplan.core.errors import ConfigError
    from restoreplan.optimize import Problem

    p = Problem([1, 2], [1.0, 2.0])
    with pytest.raises(ConfigError, match="did you mean 'time_limit'"):
        p.solver("highs", time_limt=5)
