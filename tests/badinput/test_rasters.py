"""Damaged, misaligned and implausible rasters through `validate`, `run` and `inspect`."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from .conftest import (WATER_STEP, assert_clean_error, assert_unchanged, assert_words, invoke, like, rewrite,
                       snapshot, study_text, write_study)


def _truncate(path, keep=0.6):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _run_fails(ws, text, *, names, words=(), code=None, extra=()):
    p = write_study(ws, text)
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", ws / "out", *extra])
    assert_clean_error(r, names=names, words=words, code=code)
    assert_unchanged(ws.parent, before)
    return r


def test_truncated_geotiff_is_caught_by_validate(ws):
    _truncate(ws / "lulc_2020.tif")
    p = write_study(ws, study_text())
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["layers.lulc@2020"], words=["cut short"])


@pytest.mark.parametrize("chunks", [[], ["--chunks", "16"]])
def test_truncated_geotiff_fails_the_run_cleanly(ws, chunks):
    rewrite(ws, "precipitation.tif")          # plain striped GeoTIFF
    _truncate(ws / "precipitation.tif", 0.8)
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.precipitation"], extra=chunks)


def test_zero_byte_raster(ws):
    (ws / "et0.tif").write_bytes(b"")
    r = _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.et0"], words=["0-byte"], code=2)
    assert "et0.tif" in r.output


def test_text_file_named_tif(ws):
    (ws / "et0.tif").write_text("not a raster\n")
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.et0"], words=["GDAL-readable"], code=2)


def test_raster_path_is_a_folder(ws):
    (ws / "et0.tif").unlink()
    (ws / "et0.tif").mkdir()
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.et0"], words=["folder"], code=2)


def test_missing_raster(ws):
    (ws / "et0.tif").unlink()
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.et0"], words=["no file"], code=2)


def test_float_land_use_file_is_caught_by_validate(ws):
    a, _ = like(ws, "lulc_2020.tif")
    rewrite(ws, "lulc_2020.tif", a.astype("float32"), nodata=255.0)
    p = write_study(ws, study_text())
    r = invoke(["validate", p])
    assert_clean_error(r, code=2, names=["layers.lulc@2020"], words=["integer", "float32"])


@pytest.mark.parametrize("change, words", [
    (lambda t: {"transform": Affine(t.a, t.b, t.c + 45.0, t.d, t.e, t.f)}, ["transform"]),
    (lambda t: {"transform": Affine(60.0, 0, t.c, 0, -60.0, t.f)}, ["transform"]),
    (lambda t: {"crs": "EPSG:32650"}, ["EPSG:32650"]),
])
def test_misaligned_grids(ws, change, words):
    _, prof = like(ws, "pawc.tif")
    rewrite(ws, "pawc.tif", **change(prof["transform"]))
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.pawc"], words=["rp.io.align", *words], code=2)


def test_other_shape(ws):
    a, _ = like(ws, "pawc.tif")
    rewrite(ws, "pawc.tif", a[:-3, :], height=a.shape[0] - 3)
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.pawc"], words=["shape"], code=2)


def test_crs_in_us_feet(ws):
    for name in ("lulc_2010.tif", "lulc_2020.tif", "precipitation.tif", "et0.tif", "soil_depth.tif", "pawc.tif"):
        rewrite(ws, name, crs="EPSG:2227")   # California zone 3, US survey feet
    r = _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.lulc@2020"], words=["metre", "foot"], code=2)
    assert "np.float" not in r.output


def test_study_crs_mismatch(ws):
    _run_fails(ws, study_text(study='crs = "EPSG:32650"'), names=["layers.lulc@2020"], words=["study.crs"], code=2)


def test_layer_without_crs_on_a_crs_template(ws):
    rewrite(ws, "pawc.tif", crs=None)
    _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.pawc"], words=["CRS"], code=2)


def _warn_then_strict(ws, text, *, names, words):
    p = write_study(ws, text)
    r = invoke(["run", p, "--out", ws / "out", "--no-report"])
    assert r.exit_code == 0, r.output
    assert "warning" in r.output.lower() and "Traceback" not in r.output
    assert_words(r.output, names=names, words=words)
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", ws / "out2", "--strict"])
    assert_clean_error(r, names=names, words=[*words, "--strict"])
    assert_unchanged(ws.parent, before)


def test_all_nodata_year_warns_or_fails_strict(ws):
    a, prof = like(ws, "lulc_2020.tif")
    rewrite(ws, "lulc_2020.tif", np.full_like(a, prof["nodata"]))
    _warn_then_strict(ws, study_text(), names=["layers.lulc@2020"], words=["only nodata"])


def test_all_nan_layer_warns_or_fails_strict(ws):
    a, _ = like(ws, "pawc.tif")
    rewrite(ws, "pawc.tif", np.full(a.shape, np.nan, np.float32))
    _warn_then_strict(ws, study_text(steps=WATER_STEP), names=["layers.pawc"], words=["only nodata"])


def test_nodata_colliding_with_a_class_code(ws):
    rewrite(ws, "lulc_2020.tif", nodata=1)        # 1 = cropland in the six-class scheme
    step = ('[[steps]]\nid = "areas"\nmethod = "class_area"\ninputs = { lulc = "lulc@2020" }\n')
    _warn_then_strict(ws, study_text(steps=step), names=["layers.lulc@2020"], words=["nodata 1", "cropland"])


def test_nodata_collision_is_reported_even_when_a_step_fails(ws):
    rewrite(ws, "lulc_2020.tif", nodata=1)        # the old nodata 255 now reads as a class without pools
    p = write_study(ws, study_text())
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", ws / "out"])
    assert_clean_error(r, names=["pools"], words=["255", "warning: `layers.lulc@2020`", "nodata 1"])
    assert_unchanged(ws.parent, before)


def test_class_code_the_scheme_does_not_define(ws):
    a, prof = like(ws, "lulc_2020.tif")
    a = a.copy()
    a[a == 3] = 9
    rewrite(ws, "lulc_2020.tif", a)
    p = write_study(ws, study_text())
    r = invoke(["run", p, "--out", ws / "out", "--strict"])
    # the carbon pools have no row for 9 either: an error in any mode, naming the code
    assert_clean_error(r, words=["9"])


def test_unknown_code_in_a_legend_with_a_full_table(ws):
    a, prof = like(ws, "lulc_2020.tif")
    a = a.copy()
    a[a == 3] = 9
    rewrite(ws, "lulc_2020.tif", a)
    step = ('[[steps]]\nid = "areas"\nmethod = "class_area"\ninputs = { lulc = "lulc@2020" }\n')
    _warn_then_strict(ws, study_text(steps=step), names=["layers.lulc@2020"], words=["code(s) [9]", "six_class"])


def test_pawc_in_percent(ws):
    a, _ = like(ws, "pawc.tif")
    rewrite(ws, "pawc.tif", (a * 100).astype(np.float32))
    _warn_then_strict(ws, study_text(steps=WATER_STEP), names=["pawc"], words=["fraction", "[0.0, 1.0]"])


def test_negative_precipitation(ws):
    a, _ = like(ws, "precipitation.tif")
    rewrite(ws, "precipitation.tif", (a - 5000).astype(np.float32))
    _warn_then_strict(ws, study_text(steps=WATER_STEP), names=["precipitation"], words=["negative"])


@pytest.mark.parametrize("content", [b"", b"II*\x00garbage", None])
def test_inspect_damaged_file(ws, content):
    f = ws / "lulc_2020.tif"
    if content is None:
        _truncate(f, 0.5)
    else:
        f.write_bytes(content)
    before = snapshot(ws.parent)
    r = invoke(["inspect", f])
    assert_clean_error(r, names=["lulc_2020.tif"])
    assert_unchanged(ws.parent, before)


def test_inspect_folder(ws):
    r = invoke(["inspect", ws])
    assert_clean_error(r, code=2, words=["directory"])


@pytest.mark.parametrize("chunks", [[], ["--chunks", "16"]])
def test_lazy_read_error_names_the_file(ws, monkeypatch, chunks):
    """With validation bypassed, a damaged file met while reading (eager or chunked) is an InputError naming it."""
    from restoreplan.pipeline import runner

    rewrite(ws, "precipitation.tif")
    _truncate(ws / "precipitation.tif", 0.7)
    monkeypatch.setattr(runner, "validate_study", lambda st: [])
    r = _run_fails(ws, study_text(steps=WATER_STEP), names=["layers.precipitation"], words=["precipitation.tif"],
                   extra=chunks)
    assert r.exit_code == 1
