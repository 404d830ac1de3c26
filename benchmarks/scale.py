"""Province-scale run: the supply–demand zoning chain (Sun et al. 2025) plus InVEST-parity carbon,
habitat quality and water yield on a synthetic region of N cells, out of core.

Run:  python benchmarks/scale.py --cells 100000000 [--workers K] [--threads 2] [--chunk 1024] --json

The region is generated chunk by chunk (:func:`restoreplan.datasets.tiled.tiled_region`: every
chunk a seeded pure function of its position) and checkpointed once (chunk stores); every later stage
reads checkpoints, runs per chunk (halos for neighbourhood methods), computes global statistics
as reductions (min–max, entropy sums, exact rank cuts for the tiers, Moran's I block sums, class
counts) and writes its maps as COGs streamed chunk by chunk. Peak memory is the resident set of the
whole process tree (this process and, with ``--workers``, the dask worker processes), sampled
every 0.1 s by a thread (psutil).

Output with ``--json``: one JSON line per stage (``stage``, ``seconds``, ``cpu_s`` = user + system
CPU seconds of the process tree during the stage, ``peak_rss_mb`` so far; the chain's own stages
carry seconds only), then a final line with

* ``wall_s``: from the interpreter's start to the end, everything included (imports, scheduler
  start, numba compilation or cache load, writing the outputs and removing them);
  ``cells_per_s`` = ``cells / wall_s`` — the honest figure;
* ``setup_s``: interpreter start, imports and scheduler start (LocalCluster workers) — a fixed
  cost; ``cells_per_s_after_setup`` = ``cells / (wall_s - setup_s)``. numba kernels are cached on
  disk (``cache=True``): the first run after an install also compiles them (a few seconds, inside
  the stages that use them) — run ``--cells 1e6`` once first when comparing;
* ``cpu_s`` and ``cells_per_cpu_s``: CPU seconds (user + system) of the whole process tree, the
  figure that holds when the machine is shared;
* ``peak_rss_mb``, ``chunk``, ``workers``, ``threads``, ``allocator_tuned``,
  ``load_avg_before`` / ``load_avg_after`` (1/5/15-min load averages: the machine may be shared).

Thread budget and allocator: :mod:`restoreplan.core.budget` (numba/BLAS/GDAL single-threaded
inside each dask thread; glibc malloc keeps block-sized temporaries for reuse).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path


class RssSampler(threading.Thread):
    """Peak resident set size (MB) and CPU seconds (user + system) of this process and all its
    descendants, sampled every ``dt`` s (CPU time of a worker is its last sample)."""

    def __init__(self, dt: float = 0.1):
        super().__init__(daemon=True)
        import psutil

        self._proc = psutil.Process()
        self._dt = dt
        self._halt = threading.Event()
        self._cpu: dict[int, float] = {}
        self._lock = threading.Lock()
        self.peak_mb = 0.0

    def sample(self) -> float:
        import psutil

        total = 0
        procs = [self._proc]
        try:
            procs += self._proc.children(recursive=True)
        except psutil.Error:
            pass
        for p in procs:
            try:
                with p.oneshot():
                    total += p.memory_info().rss
                    t = p.cpu_times()
                with self._lock:
                    self._cpu[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        mb = total / 2**20
        self.peak_mb = max(self.peak_mb, mb)
        return mb

    def cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by this process and its descendants."""
        self.sample()
        with self._lock:
            return sum(self._cpu.values())

    def run(self):
        while not self._halt.is_set():
            self.sample()
            time.sleep(self._dt)

    def stop(self):
        self._halt.set()
        self.join()
        self.sample()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=float, required=True, help="cells of the synthetic region (e.g. 1e8)")
    ap.add_argument("--workers", type=int, default=0, help="dask.distributed LocalCluster worker processes "
                    "(0: the threaded scheduler in this process)")
    ap.add_argument("--threads", type=int, default=2, help="threads (threaded scheduler) or threads per worker")
    ap.add_argument("--chunk", type=int, default=1024, help="chunk side in cells (1024: 8 MB float64 blocks)")
    ap.add_argument("--malloc-trim-mb", type=int, default=512,
                    help="glibc malloc trim threshold kept for block reuse (0: allocator untouched); "
                         "see restoreplan.core.budget")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: a temporary one, removed)")
    ap.add_argument("--skip", default="", help="comma-separated stages to skip: services, moran, write")
    ap.add_argument("--json", action="store_true", help="JSON lines instead of text")
    args = ap.parse_args(argv)
    from restoreplan.core.budget import thread_budget, tune_allocator

    thread_budget(1)   # one thread per dask worker thread: numba, BLAS and GDAL run single-threaded
    allocator = tune_allocator(args.malloc_trim_mb) if args.malloc_trim_mb > 0 else False

    sampler = RssSampler()
    sampler.start()
    load0 = os.getloadavg()
    t_all = time.perf_counter()
    started = sampler._proc.create_time()   # wall time counts from the interpreter's start

    import dask
    import numpy as np
    import xarray as xr

    from restoreplan.analysis.chain import XIE2015_GROUPS, esv_by_group, supply_demand_zoning
    from restoreplan.core.chunked import checkpoint, spill_to
    from restoreplan.datasets.tiled import tiled_region
    from restoreplan.pipeline.runner import write_output
    from restoreplan.pipeline.steps import slope
    from restoreplan.services.carbon import carbon_storage
    from restoreplan.services.esv import esv
    from restoreplan.services.habitat_quality import habitat_quality
    from restoreplan.services.water_yield import water_yield
    from restoreplan.tables import load_table
    import warnings

    warnings.simplefilter("ignore")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    out = args.out or Path(tempfile.mkdtemp(prefix="restoreplan-scale-"))
    out.mkdir(parents=True, exist_ok=True)
    maps = out / "maps"
    maps.mkdir(exist_ok=True)
    lines = []

    def emit(rec):
        lines.append(rec)
        if args.json:
            print(json.dumps(rec), flush=True)
        else:
            print("  ".join(f"{k}={v}" for k, v in rec.items()), flush=True)

    def stage(name, fn):
        t0, c0 = time.perf_counter(), sampler.cpu_s()
        res = fn()
        emit({"stage": name, "seconds": round(time.perf_counter() - t0, 2),
              "cpu_s": round(sampler.cpu_s() - c0, 2), "peak_rss_mb": round(sampler.peak_mb)})
        return res

    client = cluster = None
    if args.workers:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=args.threads, processes=True,
                               dashboard_address=None, memory_limit=0)
        client = Client(cluster)
        client.run(thread_budget, 1)
        if args.malloc_trim_mb > 0:
            client.run(tune_allocator, args.malloc_trim_mb)
    else:
        dask.config.set(scheduler="threads", num_workers=args.threads) if args.threads > 1 else dask.config.set(scheduler="sync")
    setup_s = time.time() - started
    emit({"stage": "setup (interpreter, imports, scheduler)", "seconds": round(setup_s, 2),
          "cpu_s": round(sampler.cpu_s(), 2), "peak_rss_mb": round(sampler.peak_mb)})
    try:
        with spill_to(out / "spill"):
            region = tiled_region(int(args.cells), chunk=args.chunk, seed=args.seed)
            ny, nx = region["lulc"].sizes["y"], region["lulc"].sizes["x"]
            cells = ny * nx
            region = stage("generate region (checkpoint)", lambda: checkpoint(region))
            lulc = region["lulc"]
            last = lulc.isel(time=-1, drop=True)
            slp = stage("slope (Horn, halo 1)", lambda: checkpoint(slope(region["dem"])))
            esv_last = stage("esv (Xie 2015) per group", lambda: checkpoint(esv_by_group(esv(
                last, equivalents=load_table("xie2015_equivalent_factors"),
                mapping=load_table("xie2015_mapping_6class"), equivalent_value=3406.5), XIE2015_GROUPS)))

            t0 = time.perf_counter()
            res = supply_demand_zoning(
                lulc, supply_table=load_table("es_supply_matrix_6class"),
                demand_table=load_table("es_demand_matrix_6class"), groups=load_table("es_service_groups"),
                drivers={"population": region["population"], "distance_to_road": region["distance_to_road"],
                         "gdp": region["gdp"], "elevation": region["dem"], "slope": slp},
                esv=esv_last, moran="moran" not in skip, sensitivity=True, aco_block=None, seed=args.seed)
            chain_s = time.perf_counter() - t0
            for k, v in res.timings.items():
                emit({"stage": f"chain: {k}", "seconds": v, "peak_rss_mb": round(sampler.peak_mb)})
            emit({"stage": "chain (total)", "seconds": round(chain_s, 2), "peak_rss_mb": round(sampler.peak_mb)})
            p = res.products
            products = {"potential_mask": p["potential"]["mask"], "priority_tier": p["tiers"],
                        "priority_index": p["index"], "trend_class": p["trend"]["trend_class"],
                        "coupling_d_last": p["coupling"]["d"].isel(time=-1, drop=True)}
            if "services" not in skip:
                products["carbon"] = stage("carbon storage", lambda: checkpoint(
                    carbon_storage(last, load_table("carbon_pools_6class"))))
                threats = {"construction": region["threat_construction"],
                           "cropland": xr.where(last == 1, np.float32(1), np.float32(0)).where(last != 255),
                           "roads": xr.where(region["distance_to_road"] < 60, np.float32(1),
                                             np.float32(0)).where(last != 255)}
                threats = {k: v.astype(np.float32).rio.write_crs(last.rio.crs).rio.write_transform(
                    last.rio.transform()) for k, v in threats.items()}
                hq = stage("habitat quality (halo = max threat distance)", lambda: checkpoint(habitat_quality(
                    last, threats, load_table("hq_threats_6class"), load_table("hq_sensitivity_6class"),
                    half_saturation=0.05)))
                products["habitat_quality"] = hq["quality"]
                wy = stage("water yield", lambda: checkpoint(water_yield(
                    last, region["precipitation"], region["et0"], region["soil_depth"], region["pawc"],
                    load_table("awy_biophysical_6class"))))
                products["water_yield"] = wy["wyield"]

            def write_all():
                n = 0
                for name, obj in products.items():
                    n += len(write_output(name, obj, maps))
                for name in ("tier_table", "potential_table", "weights", "moran", "sensitivity"):
                    if name in p:
                        n += len(write_output(name, p[name], out))
                return n

            if "write" not in skip:
                stage("write maps (COG, streamed)", write_all)
    finally:
        if client is not None:
            client.close()
            cluster.close()
    if args.out is None:   # removing the outputs is part of the run (disk space of a province)
        shutil.rmtree(out, ignore_errors=True)
    else:
        shutil.rmtree(out / "spill", ignore_errors=True)
    sampler.stop()
    wall = time.time() - started
    cpu = sampler.cpu_s()
    emit({"cells": cells, "shape": [ny, nx], "wall_s": round(wall, 1), "setup_s": round(setup_s, 1),
          "cpu_s": round(cpu, 1), "peak_rss_mb": round(sampler.peak_mb),
          "cells_per_s": round(cells / wall), "cells_per_s_after_setup": round(cells / max(wall - setup_s, 1e-9)),
          "cells_per_cpu_s": round(cells / max(cpu, 1e-9)),
          "chunk": args.chunk, "workers": args.workers, "threads": args.threads, "allocator_tuned": allocator,
          "load_avg_before": [round(x, 2) for x in load0], "load_avg_after": [round(x, 2) for x in os.getloadavg()]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
