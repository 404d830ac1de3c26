"""``restoreplan invest``: InVEST datastacks in, InVEST file names out, parity with the 3.20.2 anchors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from click.testing import CliRunner

from restoreplan.cli.main import _add_plugins, cli


@pytest.fixture(scope="module")
def run():
    _add_plugins()

    def _run(*argv):
        return CliRunner().invoke(cli, [str(a) for a in argv], catch_exceptions=False)

    return _run


def _read(path):
    with rasterio.open(path) as src:
        a = src.read(1).astype(np.float64)
        nod = src.nodata
        t = src.transform
    a[np.isclose(a, nod)] = np.nan
    return a, t


def _max_diff(exp_path, got_path):
    e, te = _read(exp_path)
    g, tg = _read(got_path)
    assert e.shape == g.shape and te.almost_equals(tg), (exp_path, e.shape, g.shape)
    assert np.array_equal(np.isnan(e), np.isnan(g)), f"nodata masks differ: {got_path}"
    return float(np.nanmax(np.abs(e - g)))


def _datastack(folder: Path, model_root: Path, args: dict, **extra) -> Path:
    """Write a datastack JSON in ``folder`` whose paths are relative to it (as InVEST saves them)."""
    rel = {k: (os.path.relpath(model_root / v, folder) if k.endswith("_path") and v else v) for k, v in args.items()}
    rel.update(extra)
    p = folder / "datastack.json"
    p.write_text(json.dumps({"model": "x", "invest_version": "3.20.2", "args": rel}), encoding="utf-8")
    return p


@pytest.mark.realdata
def test_carbon_matches_anchor(invest_anchors, tmp_path, run):
    root = invest_anchors / "carbon"
    a = json.loads((root / "args.json").read_text())
    folder = tmp_path / "数据 carbon"
    folder.mkdir()
    js = _datastack(folder, root, {**a["args_seq"], **a["args_valuation_extra"]})
    out = tmp_path / "out"
    res = run("invest", "carbon", js, "--out", out)
    assert res.exit_code == 0, res.output
    for name in ("c_storage_bas", "c_storage_alt", "c_change_bas_alt", "npv_alt"):
        assert _max_diff(root / "expected" / f"{name}_willamette.tif", out / f"{name}_willamette.tif") <= 1e-4
    got = pd.read_csv(out / "raster_values_summary_willamette.csv")
    exp = pd.read_csv(root / "expected" / "raster_values_summary_valuation.csv")
    assert got["Raster"].tolist() == exp["Raster"].tolist() and got["Filename"].tolist() == exp["Filename"].tolist()
    np.testing.assert_allclose(got["Total"], exp["Total"], rtol=1e-6)


@pytest.mark.realdata
def test_habitat_quality_matches_anchor_from_the_anchor_json(invest_anchors, tmp_path, run):
    # the anchor's own args.json: paths relative to the JSON, threat paths relative to the threats table
    root = invest_anchors / "habitat_quality"
    out = tmp_path / "hq"
    res = run("invest", "habitat-quality", root / "args.json", "--args-key", "args_full", "--out", out)
    assert res.exit_code == 0, res.output
    for name in ("quality_c", "quality_f", "deg_sum_c", "deg_sum_f"):
        assert _max_diff(root / "expected_full" / f"{name}.tif", out / f"{name}.tif") <= 1e-5
    for s in ("c", "f"):
        got = pd.read_csv(out / f"rarity_{s}.csv")
        exp = pd.read_csv(root / "expected_full" / f"rarity_{s}.csv")
        assert got["lucode"].tolist() == exp["lucode"].tolist()
        np.testing.assert_allclose(got["rarity_value"], exp["rarity_value"], rtol=0, atol=1e-12)


@pytest.mark.realdata
def test_habitat_quality_optional_args_empty(invest_anchors, tmp_path, run):
    root = invest_anchors / "habitat_quality"
    a = json.loads((root / "args.json").read_text())
    args = {**a["args_full"], **{k: v for k, v in a["args_cur_only"].items() if not k.startswith("_")}}
    js = _datastack(tmp_path, root, args, results_suffix="cur")
    out = tmp_path / "hq_cur"
    res = run("invest", "habitat-quality", js, "--out", out)
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["deg_sum_c_cur.tif", "quality_c_cur.tif"]
    q, _ = _read(out / "quality_c_cur.tif")
    full, _ = _read(root / "expected_full" / "quality_c.tif")
    # without the access layer degradation can only rise, so quality can only fall
    assert np.nanmax(q - full) <= 1e-6 and np.nanmean(q) < np.nanmean(full)


@pytest.mark.realdata
@pytest.mark.parametrize("case", ["byhand", "willamette"])
def test_annual_water_yield_matches_anchor(invest_anchors, tmp_path, run, case):
    root = invest_anchors / "annual_water_yield"
    args = json.loads((root / "args.json").read_text())[f"args_{case}"]
    js = _datastack(tmp_path, root, args)
    out = tmp_path / case
    res = run("invest", "annual-water-yield", js, "--out", out)
    assert res.exit_code == 0, res.output
    exp_dir = root / f"{case}_expected"
    for name in ("fractp", "wyield") + (("aet",) if case == "byhand" else ()):
        assert _max_diff(exp_dir / f"{name}.tif", out / f"{name}.tif") <= 1e-3
    for f in ("watershed_results_wyield.csv", "subwatershed_results_wyield.csv"):
        exp = pd.read_csv(exp_dir / f)
        got = pd.read_csv(out / f)
        assert list(got.columns) == list(exp.columns)
        assert got.iloc[:, 0].tolist() == exp.iloc[:, 0].tolist()
        for col in ("precip_mn", "PET_mn", "AET_mn", "wyield_mn"):
            np.testing.assert_allclose(got[col], exp[col], rtol=0, atol=1e-3)
        np.testing.assert_allclose(got["wyield_vol"], exp["wyield_vol"], rtol=1e-6)


@pytest.mark.realdata
def test_missing_code_fails_cleanly_and_writes_nothing(invest_anchors, tmp_path, run):
    root = invest_anchors / "carbon"
    a = json.loads((root / "args.json").read_text())
    pools = pd.read_csv(root / "inputs" / "carbon_pools_willamette.csv")
    cut = tmp_path / "pools_cut.csv"
    pools[~pools["lucode"].isin([51, 52])].to_csv(cut, index=False)
    args = {**a["args_seq"], "carbon_pools_path": str(cut)}
    js = _datastack(tmp_path, root, {k: v for k, v in args.items() if k != "carbon_pools_path"},
                    carbon_pools_path=str(cut))
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["invest", "carbon", str(js), "--out", str(out)])
    assert res.exit_code == 2
    assert "51" in res.output and "52" in res.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.realdata
def test_failure_while_writing_leaves_no_partial_output(invest_anchors, tmp_path, monkeypatch):
    from restoreplan.services import invest_compat
    from restoreplan.services.invest_compat import load_args
    from restoreplan.services.invest_runs import run_carbon

    root = invest_anchors / "carbon"
    a = json.loads((root / "args.json").read_text())
    js = _datastack(tmp_path, root, a["args_seq"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier file")
    real = invest_compat.RasterWriter.write
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(invest_compat.RasterWriter, "write", flaky)
    with pytest.raises(OSError):
        run_carbon(load_args(js)[0], out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp")]


def test_required_args_reported_together(tmp_path, run):
    js = tmp_path / "a.json"
    js.write_text(json.dumps({"args": {"lulc_path": "nope.tif", "results_suffix": ""}}))
    res = CliRunner().invoke(cli, ["invest", "annual-water-yield", str(js), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    for key in ("lulc_path", "precipitation_path", "watersheds_path", "seasonality_constant"):
        assert key in res.output
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"model": "carbon"}))
    res = CliRunner().invoke(cli, ["invest", "carbon", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "args" in res.output
