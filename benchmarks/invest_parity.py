"""Time the InVEST-compatible runs on the anchor data and print their parity errors.

    python benchmarks/invest_parity.py [--repeat 5] [--shared ../shared] [--cog]

Each model runs end to end as ``restoreplan invest`` does (read the datastack and inputs, compute,
write every output atomically) in this process, after one warm-up run (numba JIT, file cache).
Prints the load average, the best and median wall time of ``--repeat`` runs against the targets
(≥ 3× faster than InVEST 3.20.2 on a 2-core machine), and max |diff| of every output against the
InVEST oracle rasters/tables in ``../shared/anchors/invest``. Not part of the test run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio

from restoreplan.services.invest_compat import load_args
from restoreplan.services.invest_runs import MODELS

TARGET_S = {"carbon": 1.6, "habitat-quality": 1.1, "annual-water-yield": 1.2}


def _read(path):
    with rasterio.open(path) as src:
        a = src.read(1).astype(np.float64)
        nod = src.nodata
    if nod is not None:
        a[np.isclose(a, nod)] = np.nan
    return a


def _diff(exp, got) -> str:
    e, g = _read(exp), _read(got)
    if e.shape != g.shape:
        return f"shape {g.shape} vs {e.shape}"
    mism = int((np.isnan(e) != np.isnan(g)).sum())
    ok = ~(np.isnan(e) | np.isnan(g))
    return f"max|diff| {np.max(np.abs(e[ok] - g[ok])):.3g}  nodata-mask mismatches {mism}"


def _datastack(folder: Path, root: Path, args: dict, name: str) -> Path:
    rel = {k: (str(root / v) if k.endswith("_path") and v else v) for k, v in args.items()}
    p = folder / f"{name}.json"
    p.write_text(json.dumps({"args": rel}))
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[1] / ".." / "shared"))
    ap.add_argument("--cog", action="store_true", help="write COGs instead of the fast tiled GeoTIFF")
    opt = ap.parse_args()
    anchors = Path(opt.shared).resolve() / "anchors" / "invest"
    tmp = Path(tempfile.mkdtemp(prefix="invest_parity_"))
    c = json.loads((anchors / "carbon" / "args.json").read_text())
    w = json.loads((anchors / "annual_water_yield" / "args.json").read_text())
    h = json.loads((anchors / "habitat_quality" / "args.json").read_text())
    cases = [
        ("carbon", _datastack(tmp, anchors / "carbon", {**c["args_seq"], **c["args_valuation_extra"]}, "carbon"),
         "2.5 M px (2 maps, valuation)"),
        ("habitat-quality", _datastack(tmp, anchors / "habitat_quality", h["args_full"], "hq"),
         "1.1 M px, 7 threats × cur+fut, baseline rarity, access"),
        ("annual-water-yield", _datastack(tmp, anchors / "annual_water_yield", w["args_willamette"], "awy"),
         "2.4 M px, 4 watersheds + 16 sub-watersheds"),
    ]
    print(f"load average (1, 5, 15 min): {os.getloadavg()}  cpus: {os.cpu_count()}")
    outs = {}
    for model, js, what in cases:
        out = tmp / model
        args, _ = load_args(js)
        MODELS[model](args, out, fast=not opt.cog)  # warm-up (JIT, page cache)
        times, cpus = [], []
        for _ in range(opt.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            args, _ = load_args(js)
            MODELS[model](args, out, fast=not opt.cog)
            times.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        outs[model] = out
        best, med = min(times), statistics.median(times)
        flag = "OK" if med <= TARGET_S[model] else "SLOW"
        print(f"{model:20s} {what:52s} best {best:.3f} s  median {med:.3f} s  (CPU {min(cpus):.3f} s, all "
              f"threads)  target ≤ {TARGET_S[model]} s  {flag}")
    print(f"load average after: {os.getloadavg()}")
    print("\nparity against InVEST 3.20.2 (../shared/anchors/invest)")
    e = anchors / "carbon" / "expected"
    for n in ("c_storage_bas", "c_storage_alt", "c_change_bas_alt", "npv_alt"):
        print(f"  carbon {n:18s} {_diff(e / f'{n}_willamette.tif', outs['carbon'] / f'{n}_willamette.tif')}")
    got = pd.read_csv(outs["carbon"] / "raster_values_summary_willamette.csv")
    exp = pd.read_csv(e / "raster_values_summary_valuation.csv")
    print(f"  carbon totals max relative diff {np.max(np.abs(got['Total'] / exp['Total'] - 1)):.3g}")
    e = anchors / "habitat_quality" / "expected_full"
    for n in ("quality_c", "deg_sum_c", "quality_f", "deg_sum_f"):
        print(f"  habitat_quality {n:10s} {_diff(e / f'{n}.tif', outs['habitat-quality'] / f'{n}.tif')}")
    for s in ("c", "f"):
        g = pd.read_csv(outs["habitat-quality"] / f"rarity_{s}.csv")
        x = pd.read_csv(e / f"rarity_{s}.csv")
        same = g["lucode"].tolist() == x["lucode"].tolist()
        print(f"  habitat_quality rarity_{s}.csv codes equal {same}  max|diff| "
              f"{np.max(np.abs(g['rarity_value'] - x['rarity_value'])):.3g}")
    for case in ("willamette", "byhand"):
        js = _datastack(tmp, anchors / "annual_water_yield", w[f"args_{case}"], f"awy_{case}")
        out = tmp / f"awy_{case}"
        MODELS["annual-water-yield"](load_args(js)[0], out)
        e = anchors / "annual_water_yield" / f"{case}_expected"
        for n in ("fractp", "wyield") + (("aet",) if case == "byhand" else ()):
            print(f"  water_yield {case:10s} {n:7s} {_diff(e / f'{n}.tif', out / f'{n}.tif')}")
        for f in ("watershed_results_wyield.csv", "subwatershed_results_wyield.csv"):
            g, x = pd.read_csv(out / f), pd.read_csv(e / f)
            mm = {c: float(np.nanmax(np.abs(g[c] - x[c]))) for c in ("precip_mn", "PET_mn", "AET_mn", "wyield_mn")}
            rel = float(np.nanmax(np.abs(g["wyield_vol"] / x["wyield_vol"] - 1)))
            print(f"  water_yield {case:10s} {f:32s} max|diff| mm {max(mm.values()):.3g}  wyield_vol rel {rel:.3g}")


if __name__ == "__main__":
    main()
