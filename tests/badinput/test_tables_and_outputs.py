"""Bad tables and output folders: every case a clear error, and nothing written anywhere."""

from __future__ import annotations

import json

import pytest

from .conftest import (assert_clean_error, assert_unchanged, assert_words, invoke, snapshot, study_text,
                       write_study)

POOLS = "lucode,c_above,c_below,c_soil,c_dead\n1,5,1,20,0\n2,60,15,80,5\n3,8,3,40,1\n4,0,0,0,0\n5,2,0,10,0\n6,1,0,5,0\n"
TABLE_STEP = '''
[[steps]]
id = "carbon"
method = "carbon"
inputs = { lulc = "lulc@2020", pools = "table:pools" }
'''
TABLES = '[tables.pools]\npath = "pools.csv"\n'


def _study(ws, pools: str | bytes | None = POOLS):
    if isinstance(pools, bytes):
        (ws / "pools.csv").write_bytes(pools)
    elif pools is not None:
        (ws / "pools.csv").write_text(pools, encoding="utf-8")
    return write_study(ws, study_text(extra=TABLES, steps=TABLE_STEP))


def _fails(ws, p, *, names=(), words=(), code=None, args=None):
    before = snapshot(ws.parent)
    r = invoke(args or ["run", p, "--out", ws / "out"])
    assert_clean_error(r, names=names, words=words, code=code)
    assert_unchanged(ws.parent, before)
    return r


def test_good_table_runs(ws):
    r = invoke(["run", _study(ws), "--out", ws / "out", "--no-report"])
    assert r.exit_code == 0, r.output
    assert (ws / "out" / "carbon.c_storage.tif").is_file()


def test_table_path_is_a_folder(ws):
    (ws / "pools.csv").mkdir()
    p = _study(ws, None)
    _fails(ws, p, names=["tables.pools"], words=["folder"], code=2)
    _fails(ws, p, names=["tables.pools"], words=["folder"], code=2, args=["validate", p])


def test_table_missing(ws):
    _fails(ws, _study(ws, None), names=["tables.pools"], words=["no file"], code=2)


def test_table_not_utf8(ws):
    _fails(ws, _study(ws, "lucode,c_above,c_below,c_soil,c_dead,name\n1,5,1,20,0,Caf\xe9\n".encode("latin-1")),
           names=["tables.pools"], words=["UTF-8"], code=2)


@pytest.mark.parametrize("text, words", [("", ["empty"]), ("lucode,c_above,c_below,c_soil,c_dead\n", ["header only"])])
def test_table_empty(ws, text, words):
    _fails(ws, _study(ws, text), names=["tables.pools"], words=words, code=2)


def test_table_missing_column(ws):
    _fails(ws, _study(ws, POOLS.replace("c_dead", "c_ded")), names=["pools"], words=["c_dead"])


def test_table_missing_a_class_row(ws):
    _fails(ws, _study(ws, "\n".join(POOLS.splitlines()[:-2]) + "\n"), names=["pools"], words=["no row for code"])


def test_table_non_numeric_value(ws):
    _fails(ws, _study(ws, POOLS.replace("2,60,15,80,5", "2,sixty,15,80,5")), names=["pools"])


def test_negative_carbon_pool_warns_then_fails_strict(ws):
    p = _study(ws, POOLS.replace("2,60,15,80,5", "2,60,-15,80,5"))
    r = invoke(["run", p, "--out", ws / "out", "--no-report"])
    assert r.exit_code == 0 and "warning" in r.output
    assert_words(r.output, names=["pools"], words=["c_below=-15", "≥ 0"])
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", ws / "o2", "--strict"])
    assert_clean_error(r, names=["pools"], words=["--strict"])
    assert_unchanged(ws.parent, before)


def test_out_below_an_existing_file(ws):
    (ws / "afile").write_text("x")
    _fails(ws, _study(ws), names=["--out"], words=["afile"], args=["run", _study(ws), "--out", ws / "afile" / "sub"])


def test_out_is_an_existing_file(ws):
    (ws / "afile").write_text("x")
    _fails(ws, _study(ws), names=["--out"], words=["is a file"], args=["run", _study(ws), "--out", ws / "afile"])


def test_out_not_empty_needs_overwrite(ws):
    (ws / "out").mkdir()
    (ws / "out" / "stale.tif").write_text("old")
    p = _study(ws)
    _fails(ws, p, names=["--out"], words=["--overwrite", "1 item"])


def test_overwrite_replaces_the_folder_whole(ws):
    (ws / "out").mkdir()
    (ws / "out" / "stale.tif").write_text("old")
    r = invoke(["run", _study(ws), "--out", ws / "out", "--overwrite", "--no-report"])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (ws / "out").iterdir())
    assert "stale.tif" not in names and "manifest.json" in names
    assert not [p for p in ws.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_overwrite_refuses_the_current_folder(ws, monkeypatch):
    monkeypatch.chdir(ws)
    _fails(ws, _study(ws), names=["--out"], words=["dedicated"], args=["run", _study(ws), "--out", ".", "--overwrite"])


def test_unwritable_output_parent_fails_before_any_step():
    r = invoke(["run", "/proc/no-such-study.toml", "--out", "/proc/restoreplan-out"])
    assert_clean_error(r, words=["study file"])      # study checked first …


def test_unwritable_output_folder(ws):
    p = _study(ws)
    before = snapshot(ws.parent)
    r = invoke(["run", p, "--out", "/proc/restoreplan-out"])
    assert_clean_error(r, names=["--out"], words=["writ"])
    assert_unchanged(ws.parent, before)


def test_failed_run_leaves_no_new_parent_folders(ws):
    p = _study(ws, POOLS.replace("c_dead", "c_ded"))
    _fails(ws, p, names=["pools"], args=["run", p, "--out", ws / "a" / "b" / "out"])


def test_overwrite_failure_keeps_the_old_folder(ws):
    (ws / "out").mkdir()
    (ws / "out" / "kept.txt").write_text("old")
    p = _study(ws, POOLS.replace("c_dead", "c_ded"))
    _fails(ws, p, names=["pools"], args=["run", p, "--out", ws / "out", "--overwrite"])
    assert (ws / "out" / "kept.txt").read_text() == "old"


def test_manifest_records_input_warnings(ws):
    p = _study(ws, POOLS.replace("2,60,15,80,5", "2,60,-15,80,5"))
    r = invoke(["run", p, "--out", ws / "out", "--no-report"])
    assert r.exit_code == 0
    man = json.loads((ws / "out" / "manifest.json").read_text())
    msgs = [w["message"] for s in man["steps"] for w in s["warnings"]]
    assert any("negative" in m for m in msgs)
