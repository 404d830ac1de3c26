"""Benchmark: PLUS (LEAS + CARS) on the Wuhan bundle (../shared/data/wuhan_plus), public API only.

Each case runs in a fresh subprocess (peak RSS per case) and calls exactly

    LandUseSimulator(seed=0).fit(l_start, l_end, drivers={"dem": dem, "population": pop, "soil": soil})
    .simulate(l_sim_start, demand=observed end counts, constraint=water)

with the default settings (the standard drivers — slope, distance to each class, class shares — are
derived by the simulator). Cases:

* ``insample``   — fit 2003 → 2013, simulate 2003 → 2013 (the PLUS paper's protocol).
* ``outsample``  — fit 2003 → 2010, simulate 2010 → 2013 (drivers re-derived from the 2010 map).
* ``second``     — a second region built from the bundle, never used to choose defaults: the
  southern half of the grid (rows 1466–2930), fit 2005 → 2010, simulate 2005 → 2010.
* ``seeds``      — the in-sample case for seeds 0..4 (FoM spread).

Every case prints :func:`restoreplan.landuse.validate_simulation`: FoM, Kappa, OA, Kappa
simulation and Kappa of change for the simulation (the default frontier CA; PLUS's CARS with
``--set allocation='"cars"'``), the probability-ranking baseline (same P,
demand and constraint, no CA) and the null "no change" map, plus seconds of fit and simulate and
peak RSS. Demand = observed end counts on the cells valid in both maps; constraint =
constraints/WaterWuhan.tif (0 = open water, locked). Run (timings: also note ``uptime``):

    /usr/bin/time -v .venv/bin/python benchmarks/landuse_wuhan.py [insample|outsample|second|seeds|all]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = (HERE / ".." / ".." / "shared" / "data" / "wuhan_plus").resolve()


def _load(year: int):
    from restoreplan.io import read_raster

    return read_raster(DATA / "lulc" / f"wh{year}_refy.tif", kind="categorical", name=f"lulc{year}")


def run_case(train: tuple[int, int], sim: tuple[int, int], seed: int, params: dict, rows=None) -> dict:
    """One fit + simulate + score in this process; returns the measurements."""
    import warnings

    import numpy as np

    import restoreplan.landuse as lu
    from restoreplan.io import read_raster

    warnings.simplefilter("ignore", lu.ConvergenceWarning)
    t = time.perf_counter()
    a, b = _load(train[0]), _load(train[1])
    s0, s1 = (a, b) if sim == train else (_load(sim[0]), _load(sim[1]))
    water = read_raster(DATA / "constraints" / "WaterWuhan.tif", kind="categorical", name="water")
    dem = read_raster(DATA / "drivers" / "wh_df_dem.tif", kind="continuous", name="dem")
    pop = read_raster(DATA / "drivers" / "wh_Pop.tif", kind="continuous", name="population")
    soil = read_raster(DATA / "drivers" / "wh_soiltype.tif", kind="categorical", name="soil")
    if rows is not None:
        a, b, s0, s1, water, dem, pop, soil = (v.isel(y=slice(*rows)) for v in (a, b, s0, s1, water, dem, pop, soil))
    # simulate on the cells valid in both maps, so the demand is exactly the observed end counts
    v1 = np.asarray(s1.values != s1.rio.nodata)
    s0 = s0.where(v1, s0.rio.nodata).astype(s0.dtype).rio.write_nodata(s0.rio.nodata)
    demand = lu.hindcast_demand(s0, s1).to_dict()
    t_prep = time.perf_counter() - t

    t = time.perf_counter()
    model = lu.LandUseSimulator(seed=seed, **params).fit(a, b, drivers={"dem": dem, "population": pop, "soil": soil})
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    simulated = model.simulate(s0, demand=demand, constraint=water)
    t_sim = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    table = lu.validate_simulation(s0, s1, simulated, model=model, demand=demand, constraint=water)
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(simulated.values).tobytes()).hexdigest()[:16]
    return {"train": list(train), "simulate": list(sim), "seed": seed, "params": params, "rows": rows,
            "table": table.round(4).reset_index().to_dict(orient="records"),
            "seconds_prepare": t_prep, "seconds_fit": t_fit, "seconds_simulate": t_sim,
            "cpu_seconds_to_end_of_simulate": cpu.ru_utime + cpu.ru_stime,
            "allocation": simulated.attrs["allocation"], "cars_iterations": simulated.attrs["cars_iterations"], "cars_stop": simulated.attrs["cars_stop_reason"],
            "peak_rss_mb_fit_simulate": rss, "sha256": digest, "load_after": os.getloadavg()[0],
            "driver_contribution": model.driver_contribution_.round(3).to_dict(orient="index")}


def _subprocess(case_args: list[str]) -> dict:
    env = dict(os.environ)
    out = subprocess.run([sys.executable, __file__, "_one", *case_args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(r: dict) -> str:
    rows = {t["model"]: t for t in r["table"]}
    sim, rank, null = rows["simulation"], rows.get("probability_ranking"), rows["no_change"]
    where = "" if r["rows"] is None else f", grid rows {r['rows'][0]}–{r['rows'][1] - 1}"
    head = (f"train {r['train'][0]}→{r['train'][1]}, simulate {r['simulate'][0]}→{r['simulate'][1]}{where}, "
            f"seed {r['seed']}")
    lines = [head]
    for nm, t in ((f"CA ({r.get('allocation', 'cars')})", sim), ("ranking", rank), ("no change", null)):
        if t is None:
            continue
        lines.append(f"    {nm:14s} FoM {t['fom']:.4f}  Kappa {t['kappa']:.4f}  OA {t['overall_accuracy']:.4f}  "
                     f"Ksim {t['kappa_simulation']:.4f}  Kchange {t['kappa_change']:.4f}  "
                     f"(A {t['A']}, B {t['B']}, C {t['C']}, D {t['D']})")
    lines.append(f"    CA − ranking FoM {sim['fom'] - rank['fom']:+.4f} | fit {r['seconds_fit']:.1f} s, simulate "
                 f"{r['seconds_simulate']:.1f} s (fit+simulate {r['seconds_fit'] + r['seconds_simulate']:.1f} s, "
                 f"CPU {r['cpu_seconds_to_end_of_simulate']:.1f} s), CA {r['cars_iterations']} it "
                 f"({r['cars_stop']}) | peak RSS {r['peak_rss_mb_fit_simulate']:.0f} MB | load {r['load_after']:.1f} "
                 f"| sha256 {r['sha256']}")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("case", nargs="?", default="all",
                   choices=["insample", "outsample", "second", "seeds", "all", "_one"])
    p.add_argument("--train", default=None)
    p.add_argument("--simulate", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rows", default=None, help="row range start-stop of the grid (second region)")
    p.add_argument("--set", action="append", default=[], help="LandUseSimulator parameter, key=json_value")
    p.add_argument("--json", action="store_true", help="also print each result as JSON")
    a = p.parse_args(argv)
    params = {}
    for kv in a.set:
        k, v = kv.split("=", 1)
        params[k] = json.loads(v)
    if a.case == "_one":
        tr = tuple(int(x) for x in a.train.split("-"))
        sm = tuple(int(x) for x in a.simulate.split("-"))
        rows = None if a.rows is None else [int(x) for x in a.rows.split("-")]
        print(json.dumps(run_case(tr, sm, a.seed, params, rows)))
        return
    base = [f"--set={kv}" for kv in a.set]
    print(f"load average: {os.getloadavg()}  cpus: {os.cpu_count()}  params: {params or 'defaults'}")
    results = []
    if a.case in ("insample", "all"):
        results.append(_subprocess(["--train=2003-2013", "--simulate=2003-2013", f"--seed={a.seed}", *base]))
        print("in-sample   ", _fmt(results[-1]), flush=True)
    if a.case in ("outsample", "all"):
        results.append(_subprocess(["--train=2003-2010", "--simulate=2010-2013", f"--seed={a.seed}", *base]))
        print("out-of-sample", _fmt(results[-1]), flush=True)
    if a.case in ("second", "all"):
        results.append(_subprocess(["--train=2005-2010", "--simulate=2005-2010", "--rows=1466-2931",
                                    f"--seed={a.seed}", *base]))
        print("second region", _fmt(results[-1]), flush=True)
    if a.case in ("seeds", "all"):
        foms = []
        for s in range(5):
            r = _subprocess(["--train=2003-2013", "--simulate=2003-2013", f"--seed={s}", *base])
            results.append(r)
            foms.append(r["table"][0]["fom"])
            print("seed spread ", _fmt(r), flush=True)
        import statistics

        print(f"FoM over 5 seeds: mean {statistics.mean(foms):.4f}, sd {statistics.stdev(foms):.4f}, "
              f"min {min(foms):.4f}, max {max(foms):.4f}")
        same = [r for r in results if r["seed"] == 0 and r["train"] == [2003, 2013]]
        if len(same) > 1:
            print("seed 0 run twice in separate processes: identical raster:",
                  len({r["sha256"] for r in same}) == 1)
        print("different seeds give different rasters:", len({r["sha256"] for r in results[-5:]}) == 5)
    print(f"load average after: {os.getloadavg()}")
    if a.json:
        for r in results:
            print(json.dumps(r))


if __name__ == "__main__":
    main()
