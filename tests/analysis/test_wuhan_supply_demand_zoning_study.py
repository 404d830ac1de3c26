"""The Sun et al. 2025 (Land 14:287) supply–demand zoning study file, run end to end by
`restoreplan run` on a 200 × 200 crop of the real Wuhan bundle; key figures checked against a
computation written here from the raw rasters (rasterio) and the packaged score tables (pandas)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from restoreplan.cli.main import cli

pytestmark = [pytest.mark.realdata, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "examples" / "wuhan_supply_demand_zoning.toml"
YEARS = (2003, 2005, 2010, 2013)
FILES = [f"lulc/wh{y}_refy.tif" for y in YEARS] + ["drivers/wh_df_dem.tif", "drivers/wh_Pop.tif"]
N = 200
#: the bundle's codes -> six-class codes, written out here (the legend of the bundle README)
TO_SIX = {1: 3, 2: 2, 3: 1, 4: 5, 5: 6, 6: 4, 7: 3}


@pytest.fixture(scope="module")
def run(wuhan, tmp_path_factory):
    """Crop every input the study reads to the central N × N window, point a copy of the study at
    the crops, and run it."""
    import rasterio
    from rasterio.windows import Window

    root = tmp_path_factory.mktemp("wuhan_crop")
    for f in FILES:
        with rasterio.open(wuhan / f) as src:
            win = Window(src.width // 2 - N // 2, src.height // 2 - N // 2, N, N)
            prof = {k: v for k, v in src.profile.items() if k not in ("blockxsize", "blockysize", "tiled")}
            prof.update(driver="GTiff", width=N, height=N, transform=src.window_transform(win))
            data = src.read(1, window=win)
        (root / "data" / f).parent.mkdir(parents=True, exist_ok=True)
        with rasterio.open(root / "data" / f, "w", **prof) as dst:
            dst.write(data, 1)
    text = STUDY.read_text(encoding="utf-8")
    shared_paths = set(re.findall(r'"([^"]*shared/data/wuhan_plus/)', text))
    assert len(shared_paths) == 1, shared_paths    # every input comes from the bundle
    study = root / "study.toml"
    study.write_text(text.replace(shared_paths.pop(), "data/"), encoding="utf-8")
    out = root / "out"
    r = CliRunner().invoke(cli, ["run", str(study), "--out", str(out), "--no-report"])
    assert r.exit_code == 0, r.output
    return root / "data", out


def _read(path):
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1), src.nodata


def _total_balance_per_six_class() -> pd.Series:
    """Σ over the services of supply − demand score, per six-class code (no NDVI correction)."""
    tables = files("restoreplan") / "tables" / "data"
    s = pd.read_csv(tables / "es_supply_matrix_6class.csv").set_index("lucode")
    d = pd.read_csv(tables / "es_demand_matrix_6class.csv").set_index("lucode")
    services = [c for c in s.columns if c != "class_name"]
    return (s[services] - d[services]).sum(axis=1)


def _raw(data):
    """Raw code maps per year and the cells valid in every year."""
    maps, valid = [], None
    for y in YEARS:
        a, nod = _read(data / f"lulc/wh{y}_refy.tif")
        v = a != nod
        valid = v if valid is None else valid & v
        maps.append(a.astype(np.int64))
    return maps, valid


def test_reclassified_maps_count_like_the_raw_codes(run):
    data, out = run
    for y in YEARS:
        raw, nod = _read(data / f"lulc/wh{y}_refy.tif")
        six, six_nod = _read(out / f"lulc6_{y}.tif")
        for code in range(1, 7):
            expected = sum(int(np.count_nonzero(raw == r)) for r, c in TO_SIX.items() if c == code)
            assert int(np.count_nonzero(six == code)) == expected, (y, code)
        assert int(np.count_nonzero(six == six_nod)) == int(np.count_nonzero(raw == nod))


def test_total_balance_slope_is_the_ols_slope_of_the_score_balance(run):
    """balance_slope_total = OLS slope over the step index 1..4 (the study's default) of
    Σ_services (S − D)[class] per cell."""
    data, out = run
    bal = _total_balance_per_six_class()
    lut = np.full(256, np.nan)
    for raw, six in TO_SIX.items():
        lut[raw] = bal[six]
    maps, valid = _raw(data)
    y = np.stack([lut[np.clip(a, 0, 255)] for a in maps])
    t = np.arange(1, len(YEARS) + 1) - (len(YEARS) + 1) / 2
    slope = np.tensordot(t, y - y.mean(0), axes=1) / (t**2).sum()
    slope[~valid] = np.nan
    got, _ = _read(out / "trend.slope_total.tif")
    assert np.array_equal(np.isnan(got), np.isnan(slope))
    np.testing.assert_allclose(got[valid], slope[valid], rtol=1e-6, atol=1e-6)
    assert np.nanmax(np.abs(slope)) > 0          # the crop does change


def test_deficit_cells_are_the_negative_balance_cells_of_the_last_year(run):
    data, out = run
    bal = _total_balance_per_six_class()
    maps, valid = _raw(data)
    last = maps[-1]
    deficit = np.zeros(last.shape, bool)
    for raw, six in TO_SIX.items():
        deficit |= (last == raw) & (bal[six] < 0)
    table = pd.read_csv(out / "potential_areas.table.csv", index_col=0).set_index("rule")
    assert int(table.at["deficit", "cells"]) == int(np.count_nonzero(deficit & valid))
    mask, _ = _read(out / "potential_areas.mask.tif")
    assert int(table.at["potential_area", "cells"]) == int(np.count_nonzero(mask == 1))
