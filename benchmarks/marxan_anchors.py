"""Marxan anchors: solver, wall time, objective (Marxan Score) and gap to the optimum / lower bound.

Usage::

    python benchmarks/marxan_anchors.py                 # every run below (~6 min)
    python benchmarks/marxan_anchors.py tas             # only Tasmania
    python benchmarks/marxan_anchors.py bc --seed 2

Reference figures (``../shared/anchors/marxan/expected``, Marxan 4.0.6, 10 restarts, 2 cores):
Tasmania proven optimum 99,865,961.67; BC ocean Marxan best 3,653,372 (70 s), LP lower bound
3,170,216.77 (hard targets). Timings are wall clock and noisy on a shared machine: the load average
is printed with every line.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

from restoreplan.optimize import evaluate, read_marxan

ANCHORS = Path(__file__).resolve().parents[1] / ".." / "shared" / "anchors" / "marxan"
TAS_OPT = 99_865_961.6656019
BC_MARXAN = 3_653_372.0
BC_LB = 3_170_216.770447

RUNS = {
    "tas": ("tasmania_prioritizr", [("highs", 5.0), ("highs", 60.0), ("anneal", 10.0), ("auto", 10.0)]),
    "bc": ("bc_ocean_marxancloud", [("anneal", 70.0), ("auto", 70.0), ("highs", 70.0)]),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", nargs="*", help="tas and/or bc (default: both)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solver", default=None, help="only this solver")
    args = ap.parse_args(argv)
    bad = [w for w in args.which if w not in RUNS]
    if bad:
        ap.error(f"unknown project(s) {bad}; choose from {sorted(RUNS)}")
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cpus")
    print(f"{'project':<6} {'solver':<7} {'limit':>6} {'time':>7} {'over':>6} {'objective':>16} "
          f"{'gap_ref':>9} {'bound':>16} {'gap_bnd':>8} {'gap_LBref':>8} {'status':<12} {'engine':<26} load")
    for key in args.which or ["tas", "bc"]:
        folder, runs = RUNS[key]
        project = read_marxan(ANCHORS / folder / "input.dat")
        p = project.problem
        p.feature_penalty_values()
        for solver, limit in runs:
            if args.solver and solver != args.solver:
                continue
            load = os.getloadavg()[0]
            t = time.perf_counter()
            sol = p.solver(solver, time_limit=limit, seed=args.seed, restarts=2).solve(force=True)
            took = time.perf_counter() - t
            score = evaluate(p, sol.x).score
            ref = TAS_OPT if key == "tas" else BC_MARXAN
            gap_ref = (score - ref) / ref
            bound = sol.bound
            gap_b = (score - bound) / score if math.isfinite(bound) else float("nan")
            gap_lbref = (score - BC_LB) / score if key == "bc" else float("nan")
            print(f"{key:<6} {solver:<7} {limit:>6.0f} {took:>7.2f} {took / limit - 1:>+6.1%} {score:>16,.2f} "
                  f"{gap_ref:>+9.4%} {bound:>16,.2f} {gap_b:>8.4%} {gap_lbref:>8.3%} {sol.status:<12} "
                  f"{sol.solver:<26} {load:.2f}", flush=True)
        if key == "tas":
            print(f"       reference: proven optimum {TAS_OPT:,.2f} (gap_ref = to the optimum; gap_bnd = to the "
                  "solver's own proven bound)")
        else:
            print(f"       reference: Marxan best {BC_MARXAN:,.0f} (gap_ref < 0 beats it); "
                  f"LP lower bound (hard targets) {BC_LB:,.2f} -> Marxan's gap {(BC_MARXAN - BC_LB) / BC_MARXAN:.2%}; "
                  "gap_bnd = to the bound the solver proved itself, gap_LBref = to 3,170,216.77")


if __name__ == "__main__":
    main()
