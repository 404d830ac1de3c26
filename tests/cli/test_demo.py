"""`restoreplan demo`: every registered method with an example runs on the synthetic region."""

import json

import pytest
from click.testing import CliRunner

from restoreplan.cli.main import _add_plugins, cli
from restoreplan.io import raster_info
from restoreplan.pipeline import registry

_add_plugins()


_DEMO_OUTPUT: dict = {}


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    # the smallest advertised size (it failed once: no settlement fell on the grid)
    out = tmp_path_factory.mktemp("démo") / "out"
    r = CliRunner().invoke(cli, ["demo", "--out", str(out), "--size", "50", "--seed", "3"])
    assert r.exit_code == 0, r.output
    _DEMO_OUTPUT["text"] = r.output
    return out


def test_demo_writes_report_manifest_and_cogs(demo_out):
    assert (demo_out / "report.html").stat().st_size > 10_000
    man = json.loads((demo_out / "manifest.json").read_text())
    assert man["seed"] == 3 and all(s["status"] == "ok" for s in man["steps"])
    ran = {s["method"] for s in man["steps"]}
    with_example = {m.name for m in registry.all_methods() if m.example is not None}
    assert ran == with_example
    tifs = sorted(demo_out.glob("*.tif"))
    assert len(tifs) >= 10
    import rasterio

    with rasterio.open(tifs[0]) as src:
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"  # GDAL reports the COG layout
    assert raster_info(demo_out / "inputs" / "lulc_2020.tif")["crs"] == "EPSG:32649"


def test_demo_study_file_validates(demo_out):
    """The full demo's study file (every method) passes `restoreplan validate`."""
    r = CliRunner().invoke(cli, ["validate", str(demo_out / "demo_study.toml")])
    assert r.exit_code == 0, r.output


def test_demo_study_file_reruns(tmp_path):
    """`restoreplan run` on the study file a demo writes reproduces the demo's step outputs exactly."""
    import numpy as np
    import pandas as pd

    from restoreplan.io import read_raster

    first = tmp_path / "demo"
    r = CliRunner().invoke(cli, ["demo", "--out", str(first), "--size", "100", "--seed", "3",
                                 "--method", "slope", "--method", "carbon"])
    assert r.exit_code == 0, r.output
    again = tmp_path / "rerun"
    r = CliRunner().invoke(cli, ["run", str(first / "demo_study.toml"), "--out", str(again), "--no-report"])
    assert r.exit_code == 0, r.output
    outputs = sorted(p.name for p in first.glob("*.tif")) + sorted(p.name for p in first.glob("*.csv"))
    assert "slope.tif" in outputs and "carbon.c_storage.tif" in outputs and "carbon.totals.csv" in outputs
    assert outputs == sorted(p.name for p in again.glob("*.tif")) + sorted(p.name for p in again.glob("*.csv"))
    for name in outputs:
        if name.endswith(".tif"):
            np.testing.assert_array_equal(read_raster(first / name).values, read_raster(again / name).values,
                                          err_msg=name)
        else:
            pd.testing.assert_frame_equal(pd.read_csv(first / name), pd.read_csv(again / name))


def test_demo_is_deterministic(demo_out, tmp_path):
    import numpy as np

    from restoreplan.io import read_raster

    out2 = tmp_path / "again"
    r = CliRunner().invoke(cli, ["demo", "--out", str(out2), "--size", "50", "--seed", "3",
                                 "--method", "slope", "--method", "carbon"])
    assert r.exit_code == 0, r.output
    for name in ("slope.tif", "inputs/lulc_2010.tif"):
        np.testing.assert_array_equal(read_raster(demo_out / name).values, read_raster(out2 / name).values)


def test_demo_relative_out_path(tmp_path, monkeypatch):
    """README command 1 uses a relative --out; paths must not be resolved twice."""
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["demo", "--out", "rel-out", "--size", "100", "--method", "slope"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rel-out" / "slope.tif").exists() and (tmp_path / "rel-out" / "report.html").exists()


def test_demo_report_and_manifest_name_papers_not_internal_labels(demo_out):
    """No document number ("seed 001"), method code ("M10a") or spec name in what the demo writes."""
    import re

    rx = [re.compile(r"seed[ _-]?0\d\d", re.I), re.compile(r"\bM\d\d[a-z]?\b", re.I), re.compile(r"METHODS")]
    for name in ("report.html", "manifest.json", "demo_study.toml"):
        text = re.sub(r"base64,[A-Za-z0-9+/=]+", "base64,", (demo_out / name).read_text(encoding="utf-8"))
        found = [text[max(0, m.start() - 60):m.end() + 60] for r in rx for m in r.finditer(text)]
        assert found == [], name
    assert "warning" in (demo_out / "report.html").read_text(encoding="utf-8").lower()


def test_every_registered_method_runs_in_the_demo_or_says_why():
    from restoreplan.pipeline.demo import NOT_IN_DEMO, demo_study_dict, not_in_demo

    registry.load_all()
    names = {m.name for m in registry.all_methods()}
    written = {"layers": {}, "vectors": {}}
    in_demo = {s["method"] for s in demo_study_dict(written)["steps"]}
    skipped = not_in_demo()
    assert in_demo | set(skipped) == names and not (in_demo & set(skipped))
    assert set(NOT_IN_DEMO) == set(skipped), "NOT_IN_DEMO must list exactly the methods without an example"
    assert all(len(why) > 30 for why in skipped.values())
    assert "marxan_selection" in in_demo  # runs on the shipped Marxan example


def test_demo_lists_the_methods_it_does_not_run(demo_out):
    from restoreplan.pipeline.demo import not_in_demo

    out, output = demo_out, _DEMO_OUTPUT["text"]
    html = (out / "report.html").read_text(encoding="utf-8")
    for name in not_in_demo():
        assert f"not in the demo: {name}" in output
        assert f"<code>{name}</code>" in html


@pytest.mark.parametrize("size", [50, 100])
def test_small_demo_regions_have_every_vector_layer(size):
    """The smallest advertised sizes keep a county seat, so settlements and POIs exist."""
    from restoreplan.datasets import demo_region

    r = demo_region(size=size, seed=0)
    for name, gdf in r.vectors.items():
        assert len(gdf) > 0, f"size {size}: vector layer {name} is empty"
