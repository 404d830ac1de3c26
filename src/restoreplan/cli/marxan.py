"""``restoreplan marxan INPUT.dat`` — solve a Marxan scenario and write Marxan's output files."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import click

from .options import process_start, seed_option

__all__ = ["command"]


@click.command("marxan")
@click.argument("input_dat", type=click.Path(dir_okay=False))
@click.option("--solver", type=click.Choice(["auto", "highs", "anneal"]), default="auto", show_default=True,
              help="auto picks HiGHS for small/medium models and annealing (+LNS) for large ones.")
@click.option("--time-limit", type=float, default=None,
              help="Wall-clock budget in seconds for the whole command, counted from process start "
                   "(honoured to within a few percent; reading and writing files included).")
@seed_option
@click.option("--restarts", type=int, default=None,
              help="Annealing runs. Default: NUMREPS without --time-limit, else 2 (one per core).")
@click.option("--gap", type=float, default=1e-4, show_default=True,
              help="Relative MIP gap at which HiGHS stops (0 = exact proof).")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Output folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def command(input_dat, solver, time_limit, seed, restarts, gap, out, as_json):
    """Solve the Marxan scenario INPUT_DAT and write output_best/sum/ssoln/mvbest.csv into --out.

    Without --time-limit, --solver anneal runs Marxan's own settings (NUMREPS runs of NUMITNS
    iterations, STARTTEMP/COOLFAC/NUMTEMP schedule, PROP start, ITIMPTYPE improvement).
    """
    from ..core.errors import ConfigError, message
    from ..optimize import read_marxan, write_outputs

    if time_limit is not None and time_limit <= 0:
        raise ConfigError(message("--time-limit", "a positive number of seconds", repr(time_limit),
                                  "e.g. --time-limit 60"))
    t0 = process_start()
    # keep ~2 % (at least 0.15 s) for writing the output files
    deadline = None if time_limit is None else t0 + time_limit - max(0.15, 0.02 * time_limit)
    project = read_marxan(input_dat)
    prm = project.params
    problem = project.problem
    opts: dict = {"seed": seed}
    if deadline is not None:
        # a budget shorter than start-up + reading still gets 0.2 s of solving (the only overrun)
        deadline = max(deadline, time.perf_counter() + 0.2)
        opts["deadline"] = deadline
        opts["time_limit"] = max(0.0, deadline - time.perf_counter())
    if solver in ("anneal", "auto"):
        if time_limit is None:
            opts.update(iterations=int(prm["NUMITNS"]), restarts=restarts or int(prm["NUMREPS"]),
                        numtemp=int(prm["NUMTEMP"]), schedule="marxan", starttemp=float(prm["STARTTEMP"]),
                        coolfac=float(prm["COOLFAC"]), improvement="marxan",
                        itimptype=int(prm.get("ITIMPTYPE", 1)))
        else:
            opts["restarts"] = restarts or 2
        opts["prop"] = float(prm["PROP"])
    if solver in ("highs", "auto"):
        opts["gap"] = gap
    if time_limit is not None:
        problem.feature_penalty_values()      # computed before the clock of the solver matters
    sol = problem.solver(solver).solve(force=True, **opts)
    out_dir = Path(out)
    files = write_outputs(project, sol, out_dir, scenario=str(prm.get("SCENNAME", "output")))
    ev = sol.evaluate()
    summary = {"solver": sol.solver, "status": sol.status, "seconds": round(time.perf_counter() - t0, 3),
               "score": ev.score, "cost": ev.cost, "connectivity": ev.connectivity, "penalty": ev.penalty,
               "shortfall": ev.shortfall, "missing": ev.missing_values, "planning_units": ev.planning_units,
               "bound": float(sol.bound) if math.isfinite(sol.bound) else None,
               "gap": float(sol.gap) if math.isfinite(sol.gap) else None,
               "files": {k: str(v) for k, v in files.items()}}
    if as_json:
        click.echo(json.dumps(summary, indent=1))
    else:
        for k, v in summary.items():
            if k != "files":
                click.echo(f"{k:>15}: {v}")
        click.echo(f"{'outputs':>15}: {out_dir}")
