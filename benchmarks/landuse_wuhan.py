"""Benchmark: PLUS (LEAS + CARS) on the Wuhan bundle (../shared/data/wuhan_plus).

Cases (each in a fresh subprocess so peak RSS is per case):

* ``insample``  — LEAS trained 2003 → 2013, CARS simulates 2003 → 2013 (the PLUS paper's protocol).
* ``outsample`` — LEAS trained 2003 → 2010, CARS simulates 2010 → 2013 (forests predict P from
  drivers re-derived from the 2010 map).
* ``seeds``     — the in-sample case for seeds 0..4 (FoM spread).

Demand = observed 2013 class counts on the simulated cells; constraint = constraints/WaterWuhan.tif
(0 = open water, locked). Drivers: DEM, slope, population, soil unit, distances from the start
map to built-up (4), water (6), forest (2). ``--roads`` adds distance to OSM roads (≈ 2024: newer
than the maps, leaks future roads).

Defaults of ``LandUseSimulator`` follow PLUS (Liang et al. 2021); the few open choices (min_samples_leaf,
start class as a driver, sampling, window size, the CARS pace ``step_iterations``) were compared on
the 2003 → 2010 period only (fit and score against 2010), never against the 2013 map.

Prints FoM (with A/B/C/D), Kappa, OA, seconds for LEAS and CARS, and peak memory (max RSS of the
case's process from ``resource.getrusage``; tracemalloc misses numpy/numba allocations). Run:

    /work/venv/bin/python benchmarks/landuse_wuhan.py [insample|outsample|seeds|all] [--set key=value ...]
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


def run_case(train: tuple[int, int], sim: tuple[int, int], seed: int, params: dict, roads: bool) -> dict:
    """One fit + simulate + score in this process; returns the measurements."""
    import numpy as np

    import restoreplan.landuse as lu
    from restoreplan.io import read_raster
    from restoreplan.datasets.wuhan import drivers as wuhan_drivers

    t = time.perf_counter()
    a, b = _load(train[0]), _load(train[1])
    s0, s1 = (a, b) if sim == train else (_load(sim[0]), _load(sim[1]))
    constraint = read_raster(DATA / "constraints" / "WaterWuhan.tif", kind="categorical", name="water")
    drivers_fit = wuhan_drivers(DATA, a, roads=roads)
    t_prep = time.perf_counter() - t

    t = time.perf_counter()
    model = lu.LandUseSimulator(seed=seed, **params).fit(a, b, drivers_fit)
    t_leas = time.perf_counter() - t
    del drivers_fit
    probability = None
    if sim[0] != train[0]:  # out-of-sample: the fitted forests predict P from drivers of the new start map
        t = time.perf_counter()
        drivers_sim = wuhan_drivers(DATA, s0, roads=roads)
        t_prep += time.perf_counter() - t
        t = time.perf_counter()
        probability = model.predict_probability(s0, drivers_sim)
        t_leas += time.perf_counter() - t
        del drivers_sim

    # simulate on the cells valid in both maps, so the demand is exactly the observed end counts
    v0 = np.asarray(s0.values != s0.rio.nodata)
    v1 = np.asarray(s1.values != s1.rio.nodata)
    s0 = s0.where(v1, s0.rio.nodata).astype(s0.dtype).rio.write_nodata(s0.rio.nodata)
    codes, counts = np.unique(np.asarray(s1.values)[v0 & v1], return_counts=True)
    demand = dict(zip(codes.tolist(), counts.tolist()))
    t = time.perf_counter()
    simulated = model.simulate(s0, demand=demand, constraint=constraint, probability=probability)
    t_cars = time.perf_counter() - t
    fom = lu.figure_of_merit(s0, s1, simulated)
    per = lu.fom_per_class(s0, s1, simulated)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(simulated.values).tobytes()).hexdigest()[:16]
    return {"train": list(train), "simulate": list(sim), "seed": seed, "params": params, "roads": roads,
            "fom": fom.fom, "A": fom.A, "B": fom.B, "C": fom.C, "D": fom.D, "kappa": fom.kappa,
            "oa": fom.overall_accuracy, "pa": fom.producers_accuracy, "ua": fom.users_accuracy,
            "fom_per_class": {int(k): round(float(v), 4) for k, v in per["fom"].items()},
            "seconds_prepare": t_prep, "seconds_leas": t_leas, "seconds_cars": t_cars,
            "cars_iterations": simulated.attrs["cars_iterations"], "cars_stop": simulated.attrs["cars_stop_reason"],
            "residual_gap": simulated.attrs["cars_residual_gap"], "peak_rss_mb": rss, "sha256": digest,
            "load_after": os.getloadavg()[0],
            "driver_contribution": model.driver_contribution_.round(3).to_dict(orient="index")}


def _subprocess(case_args: list[str]) -> dict:
    env = dict(os.environ)
    out = subprocess.run([sys.executable, __file__, "_one", *case_args], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(r: dict) -> str:
    return (f"train {r['train'][0]}→{r['train'][1]}, simulate {r['simulate'][0]}→{r['simulate'][1]}, seed {r['seed']}: "
            f"FoM {r['fom']:.4f} (A {r['A']}, B {r['B']}, C {r['C']}, D {r['D']}; PA {r['pa']:.3f}, UA {r['ua']:.3f}), "
            f"Kappa {r['kappa']:.4f}, OA {r['oa']:.4f} | LEAS {r['seconds_leas']:.1f} s, CARS {r['seconds_cars']:.1f} s "
            f"({r['cars_iterations']} it, {r['cars_stop']}), LEAS+CARS {r['seconds_leas'] + r['seconds_cars']:.1f} s, "
            f"drivers {r['seconds_prepare']:.1f} s | peak RSS {r['peak_rss_mb']:.0f} MB | sha256 {r['sha256']} "
            f"| load {r['load_after']:.1f}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("case", nargs="?", default="all", choices=["insample", "outsample", "seeds", "all", "_one"])
    p.add_argument("--train", default=None)
    p.add_argument("--simulate", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--roads", action="store_true")
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
        print(json.dumps(run_case(tr, sm, a.seed, params, a.roads)))
        return
    base = [f"--set={kv}" for kv in a.set] + (["--roads"] if a.roads else [])
    print(f"load average: {os.getloadavg()}  cpus: {os.cpu_count()}  params: {params or 'defaults'}")
    results = []
    if a.case in ("insample", "all"):
        results.append(_subprocess(["--train=2003-2013", "--simulate=2003-2013", f"--seed={a.seed}", *base]))
        print("in-sample   ", _fmt(results[-1]), flush=True)
    if a.case in ("outsample", "all"):
        results.append(_subprocess(["--train=2003-2010", "--simulate=2010-2013", f"--seed={a.seed}", *base]))
        print("out-of-sample", _fmt(results[-1]), flush=True)
    if a.case in ("seeds", "all"):
        foms = []
        for s in range(5):
            r = _subprocess(["--train=2003-2013", "--simulate=2003-2013", f"--seed={s}", *base])
            results.append(r)
            foms.append(r["fom"])
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
