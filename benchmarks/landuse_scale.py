"""Land-use simulation (PLUS: LEAS random forests + CARS) on a synthetic region of N cells, bounded memory.

Run:  python benchmarks/landuse_scale.py --cells 10000000 [--threads 2] [--chunk 2048] --json

The region (:func:`restoreplan.datasets.tiled.tiled_region`) is generated chunk by chunk; the two
land-use maps (first and last year) are read as uint8, the three user drivers (``dem``,
``population``, ``soil_depth``) stay lazy until the simulator reads them as float32. Then, through
the public API only,

    LandUseSimulator(seed=0).fit(lulc_first, lulc_last, drivers={dem, population, soil_depth})
    .simulate(lulc_first, demand=observed last-year counts, constraint=lulc_first != water)

``fit`` derives the standard drivers (slope, distance to each class, class shares) and trains on
a sample gathered row by row (no full feature matrix); ``simulate`` predicts P block by block
(``block_cells`` cells at a time, float32) only on the cells the allocation can change, then runs
CARS on uint8 classes and the float32 (cells × classes) P.

Peak memory is the resident set of the whole process tree sampled every 0.1 s
(:class:`scale.RssSampler`). Output with ``--json``: one JSON line per stage (``stage``,
``seconds``, ``peak_rss_mb`` so far), then a final line with ``cells``, ``wall_s``,
``peak_rss_mb``, ``cells_per_s``, ``load_avg`` (before, after: the machine may be shared) and the
FoM of the simulation (a sanity figure, not a benchmark of accuracy on synthetic maps).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import RssSampler  # noqa: E402  (the benchmark folder is not a package)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=float, required=True, help="cells of the synthetic region (e.g. 1e7)")
    ap.add_argument("--threads", type=int, default=2, help="thread budget (dask num_workers, forests, CARS)")
    ap.add_argument("--chunk", type=int, default=2048, help="chunk side of the generated region, cells")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], help="LandUseSimulator parameter, key=json_value")
    ap.add_argument("--json", action="store_true", help="JSON lines instead of text")
    args = ap.parse_args(argv)

    sampler = RssSampler()
    sampler.start()
    load0 = os.getloadavg()[0]
    t_all = time.perf_counter()

    import warnings

    import dask
    import numpy as np

    import restoreplan.landuse as lu
    from restoreplan.datasets.tiled import tiled_region

    warnings.simplefilter("ignore")
    dask.config.set(scheduler="threads", num_workers=args.threads)
    params = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}

    def emit(rec):
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            print("  ".join(f"{k}={v}" for k, v in rec.items()), flush=True)

    def stage(name, fn):
        t0 = time.perf_counter()
        res = fn()
        emit({"stage": name, "seconds": round(time.perf_counter() - t0, 2), "peak_rss_mb": round(sampler.peak_mb)})
        return res

    region = tiled_region(int(args.cells), chunk=args.chunk, seed=args.seed)
    lulc = region["lulc"]
    ny, nx = lulc.sizes["y"], lulc.sizes["x"]
    cells = ny * nx

    def maps():
        first = lulc.isel(time=0, drop=True).compute()
        last = lulc.isel(time=-1, drop=True).compute()
        return first, last

    first, last = stage("land-use maps (uint8, generated chunk by chunk)", maps)
    water = 4
    constraint = (first != water).rio.write_crs(first.rio.crs).rio.write_transform(first.rio.transform())
    constraint.name = "not_water"
    demand = lu.hindcast_demand(first, last).to_dict()
    drivers = {"dem": region["dem"], "population": region["population"], "soil_depth": region["soil_depth"]}
    model = lu.LandUseSimulator(seed=args.seed, n_jobs=args.threads, **params)
    stage("fit (features, sample, forests)", lambda: model.fit(first, last, drivers=drivers))
    t0 = time.perf_counter()
    sim = model.simulate(first, demand=demand, constraint=constraint)
    t_sim = time.perf_counter() - t0
    ca = float(sim.attrs["cars_seconds"])
    emit({"stage": "simulate: features and P (blocks, allocatable cells only)", "seconds": round(t_sim - ca, 2),
          "peak_rss_mb": round(sampler.peak_mb)})
    emit({"stage": "simulate: CARS", "seconds": round(ca, 2), "iterations": int(sim.attrs["cars_iterations"]),
          "peak_rss_mb": round(sampler.peak_mb)})
    fom = stage("figure of merit", lambda: float(lu.figure_of_merit(first, last, sim)))
    wall = time.perf_counter() - t_all
    sampler.stop()
    emit({"cells": cells, "wall_s": round(wall, 2), "peak_rss_mb": round(sampler.peak_mb),
          "cells_per_s": round(cells / wall), "bytes_per_cell": round(sampler.peak_mb * 2**20 / cells, 1),
          "shape": [ny, nx], "threads": args.threads, "chunk": args.chunk, "fom": round(fom, 4),
          "params": params, "load_avg": [round(load0, 2), round(os.getloadavg()[0], 2)]})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
