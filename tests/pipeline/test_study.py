"""Study file: structural + semantic validation (all problems at once), runner, manifest, atomic output."""

import json

import numpy as np
import pytest

from restoreplan.core.errors import AlignmentError, ConfigError
from restoreplan.io import write_raster
from restoreplan.pipeline.config import load_study, parse_ref, validate_study
from restoreplan.pipeline.runner import run_study
from restoreplan.testing import make_raster


def test_parse_ref():
    assert parse_ref("lulc") == ("name", "lulc", None)
    assert parse_ref("lulc@2020") == ("layer", "lulc", "2020")
    assert parse_ref("table:pools") == ("table", "pools", None)
    assert parse_ref("carbon.c_storage") == ("maybe_step", "carbon", "c_storage")
    assert parse_ref("package:xie2015") == ("package", "xie2015", None)


def test_valid_study_runs_and_writes(tiny_study, tmp_path):
    st = load_study(tiny_study)
    assert validate_study(st) == []
    out = tmp_path / "out"
    res = run_study(st, out, report=True)
    names = sorted(p.name for p in out.iterdir())
    assert {"class_area.csv", "slope.tif", "dist_built.tif", "manifest.json", "report.html"} <= set(names)
    man = json.loads((out / "manifest.json").read_text())
    assert set(man["inputs"]) == {"lulc@2000", "lulc@2020", "dem"}
    assert all(len(v["sha256"]) == 64 for v in man["inputs"].values())
    assert [s["id"] for s in man["steps"]] == ["class_area", "slope", "dist_built"]
    assert all(s["status"] == "ok" and s["seconds"] >= 0 for s in man["steps"])
    assert man["versions"]["numpy"] and man["seed"] == 0
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html and "Class areas" in html
    assert res.results["class_area"]["year"].nunique() == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]


def test_three_mistakes_reported_together(tiny_study):
    text = tiny_study.read_text()
    text = text.replace('path = "dem.tif"', 'path = "dem_missing.tif"')          # 1 missing file
    text = text.replace('method = "slope"', 'method = "slop"')                  # 2 unknown method
    text = text.replace("classes = [5]", "classes = []")                        # 3 bad parameter
    tiny_study.write_text(text)
    problems = validate_study(load_study(tiny_study))
    assert len(problems) == 3, problems
    assert any("dem_missing.tif" in p for p in problems)
    assert any("'slop'" in p and "slope" in p for p in problems)  # suggests the close match
    assert any("params.classes" in p for p in problems)


def test_structural_errors_all_collected(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('[study]\nseed = "x"\nbogus = 1\n[layers.a]\nkind = "nominal"\npath = "a.tif"\n')
    with pytest.raises(ConfigError) as ei:
        load_study(p)
    assert len(ei.value.problems) == 4  # seed type, unknown key, bad kind (structure), and no steps (semantics)


def test_bad_references(tiny_study):
    text = tiny_study.read_text().replace('lulc = "lulc@2020"', 'lulc = "lulc@2015"')
    text = text.replace('inputs = { dem = "dem" }', 'inputs = { dem = "lulc@2000" }')
    tiny_study.write_text(text)
    problems = validate_study(load_study(tiny_study))
    assert any("2015" in p and "[2000, 2020]" in p for p in problems)
    assert any("continuous layer" in p for p in problems)


def test_other_grid_fails_with_four_parts_and_no_output(tiny_study, tmp_path):
    d = tiny_study.parent
    write_raster(make_raster(np.ones((6, 6), np.float32), crs="EPSG:32650"), d / "dem.tif")
    st = load_study(tiny_study)
    problems = validate_study(st)
    assert len(problems) == 1 and "layers.dem" in problems[0] and "EPSG:32650" in problems[0] and "Fix:" in problems[0]
    out = tmp_path / "out"
    with pytest.raises(ConfigError):
        run_study(st, out)
    assert not out.exists()


def test_runtime_alignment_error_leaves_nothing(tiny_study, tmp_path):
    """A grid problem met while loading (validation bypassed) raises AlignmentError and writes nothing."""
    from restoreplan.pipeline import runner

    d = tiny_study.parent
    write_raster(make_raster(np.ones((6, 6), np.float32), x0=760015.0), d / "dem.tif")
    st = load_study(tiny_study)
    out = tmp_path / "out2"
    orig = runner.validate_study
    runner.validate_study = lambda s: []
    try:
        with pytest.raises(AlignmentError) as ei:
            runner.run_study(st, out)
    finally:
        runner.validate_study = orig
    assert "`dem`" in str(ei.value) and "rp.io.align" in str(ei.value)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".out2")]


def test_run_on_dask_distributed_equals_eager(tiny_study, tmp_path):
    """The same study on a local dask.distributed cluster (chunked reads) gives identical outputs."""
    from restoreplan.io import read_raster

    st = load_study(tiny_study)
    run_study(st, tmp_path / "eager", report=False)
    run_study(st, tmp_path / "dist", report=False, chunks=3, workers=1)
    for name in ("slope.tif", "dist_built.tif"):
        a = read_raster(tmp_path / "eager" / name).values
        b = read_raster(tmp_path / "dist" / name).values
        np.testing.assert_array_equal(a, b)


@pytest.mark.realdata
def test_wuhan_years_stack_with_one_nodata(wuhan, tmp_path):
    """2003 (uint8, nodata 15) and 2013 (int8, nodata −128) stack into one series without mixing nodata."""
    from restoreplan.pipeline.config import study_from_dict
    from restoreplan.pipeline.runner import load_inputs

    st = study_from_dict({"study": {"class_scheme": "wuhan"}, "layers": {"lulc": {"kind": "categorical", "paths": {
        2003: str(wuhan / "lulc" / "wh2003_refy.tif"), 2013: str(wuhan / "lulc" / "wh2013_refy.tif")}}}})
    ctx = load_inputs(st, chunks=1024)
    s = ctx.resolve("lulc", "series")
    assert s.dims == ("time", "y", "x") and s.dtype == np.int16 and s.rio.nodata == -32768
    from restoreplan.io import class_counts

    assert class_counts(s.sel(time=2003)) == dict(zip(range(1, 8), [12742, 169912, 3005564, 362518, 132649, 1506974, 135893]))
    assert class_counts(s.sel(time=2013))[4] == 929417
