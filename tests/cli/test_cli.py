"""CLI: inspect, validate (exit 2, all problems), run (non-zero exit, no output on bad input), list, describe."""

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from restoreplan.cli.main import _add_plugins, cli
from restoreplan.io import write_raster
from restoreplan.testing import make_raster

_add_plugins()


@pytest.fixture()
def runner():
    return CliRunner()


@pytest.mark.realdata
@pytest.mark.parametrize("year,counts", [
    (2003, [12742, 169912, 3005564, 362518, 132649, 1506974, 135893]),
    (2013, [44394, 231113, 2477356, 929417, 39413, 1453586, 150790]),
], ids=["2003", "2013"])
def test_inspect_wuhan_json(runner, wuhan, year, counts):
    r = runner.invoke(cli, ["inspect", str(wuhan / "lulc" / f"wh{year}_refy.tif"), "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["class_counts"] == {str(k): v for k, v in zip(range(1, 8), counts)}
    assert info["crs"] == "EPSG:32649" and info["width"] == 2931



def _make_study(tmp_path):
    d = tmp_path / "s"
    d.mkdir()
    rng = np.random.default_rng(0)
    write_raster(make_raster(rng.integers(1, 7, (5, 5)).astype(np.uint8), nodata=255), d / "lulc.tif")
    write_raster(make_raster(rng.normal(size=(5, 5)).astype(np.float32)), d / "dem.tif")
    p = d / "study.toml"
    p.write_text('[layers.lulc]\nkind = "categorical"\npath = "lulc.tif"\n[layers.dem]\nkind = "continuous"\n'
                 'path = "dem.tif"\n[[steps]]\nmethod = "slope"\ninputs = { dem = "dem" }\n', encoding="utf-8")
    return p


def test_validate_three_problems_exit_2(runner, tmp_path):
    p = _make_study(tmp_path)
    p.write_text(p.read_text().replace('"dem.tif"', '"gone.tif"').replace('method = "slope"', 'method = "slope"\nparams = { units = "radians" }')
                 + '[[steps]]\nmethod = "nonexistent"\n', encoding="utf-8")
    r = runner.invoke(cli, ["validate", str(p), "--json"])
    assert r.exit_code == 2
    out = json.loads(r.output)
    assert not out["valid"] and len(out["problems"]) == 3, out["problems"]
    r2 = runner.invoke(cli, ["validate", str(p)])
    assert r2.exit_code == 2 and "3 problem(s)" in r2.output


def test_run_on_other_grid_exits_nonzero_and_writes_nothing(runner, tmp_path):
    p = _make_study(tmp_path)
    write_raster(make_raster(np.ones((5, 5), np.float32), crs="EPSG:3857"), p.parent / "dem.tif")
    out = tmp_path / "out"
    r = runner.invoke(cli, ["run", str(p), "--out", str(out)])
    assert r.exit_code != 0
    assert "layers.dem" in r.output and "Fix:" in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_run_ok(runner, tmp_path):
    p = _make_study(tmp_path)
    out = tmp_path / "out"
    r = runner.invoke(cli, ["run", str(p), "--out", str(out), "--no-report"])
    assert r.exit_code == 0, r.output
    assert (out / "slope.tif").exists() and (out / "manifest.json").exists() and not (out / "report.html").exists()


def test_list_and_describe(runner):
    r = runner.invoke(cli, ["list", "--json"])
    names = {m["name"] for m in json.loads(r.output)}
    assert {"slope", "class_area", "reclassify", "distance_to_classes"} <= names
    r = runner.invoke(cli, ["describe", "distance_to_classes", "--json"])
    d = json.loads(r.output)
    assert d["parameters"][1]["units"] == "m" and d["formula"]
    r = runner.invoke(cli, ["describe", "slop"])
    assert r.exit_code == 2 and "did you mean" in r.output


def test_console_script_exit_code_and_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "restoreplan.cli.main", "inspect", str(tmp_path / "x.tif")],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "no file at" in r.stderr
