"""``restoreplan marxan INPUT.dat`` — solve a Marxan scenario and write Marxan's output files."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
import time
import warnings
from pathlib import Path

import click


from .options import overwrite_option, process_start, seed_option, strict_option

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
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (nothing else on stdout).")
@overwrite_option
@strict_option
def command(input_dat, solver, time_limit, seed, restarts, gap, out, as_json, overwrite, strict):
    """Solve the Marxan scenario INPUT_DAT and write output_best/sum/ssoln/mvbest.csv into --out.

    Without --time-limit, --solver anneal runs Marxan's own settings (NUMREPS runs of NUMITNS
    iterations, STARTTEMP/COOLFAC/NUMTEMP schedule, PROP start, ITIMPTYPE improvement).
    --seed defaults to RANDSEED of input.dat (0 when RANDSEED is negative, Marxan's "random").
    --out must be new or empty (or --overwrite); the files appear together when the command succeeds.
    Targets no selection can reach are reported (status "shortfall"); --strict makes them,
    negative costs and unknown input.dat keywords errors.
    """
    import warnings

    from ..core.errors import ConfigError, PlausibilityWarning, message
    from ..io import atomic_dir, check_out_dir

    if time_limit is not None and (time_limit <= 0 or not math.isfinite(time_limit)):
        raise ConfigError(message("--time-limit", "a positive number of seconds", repr(time_limit),
                                  "e.g. --time-limit 60"))
    if gap < 0 or not math.isfinite(gap):
        raise ConfigError(message("--gap", "a relative gap ≥ 0 (e.g. 0.0001)", repr(gap), "e.g. --gap 0.001"))
    if restarts is not None and restarts < 1:
        raise ConfigError(message("--restarts", "a number of runs ≥ 1", repr(restarts), "e.g. --restarts 10"))
    check_out_dir(out, overwrite=overwrite)
    if strict:
        warnings.filterwarnings("error", category=PlausibilityWarning)
    with _stdout_to_stderr(as_json):
        summary = _solve(input_dat, solver, time_limit, seed, restarts, gap, out, overwrite, atomic_dir)
    if as_json:
        click.echo(json.dumps(summary, indent=1))
    else:
        for k, v in summary.items():
            if k != "files":
                click.echo(f"{k:>15}: {v}")
        click.echo(f"{'outputs':>15}: {out}")


def _solve(input_dat, solver, time_limit, seed, restarts, gap, out, overwrite, atomic_dir) -> dict:
    import numpy as np

    from ..core.errors import RestorePlanWarning, message
    from ..optimize import read_marxan, write_outputs

    t0 = process_start()
    # keep ~2 % (at least 0.15 s) for writing the output files
    deadline = None if time_limit is None else t0 + time_limit - max(0.15, 0.02 * time_limit)
    project = read_marxan(input_dat)
    prm = project.params
    problem = project.problem
    if seed is None:
        rs = int(prm.get("RANDSEED", -1))
        seed = rs if rs >= 0 else 0
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
    scen = str(prm.get("SCENNAME", "output"))
    with atomic_dir(out_dir, overwrite=overwrite) as tmp:
        written = write_outputs(project, sol, tmp, scenario=scen)
    files = {k: out_dir / v.name for k, v in written.items()}
    ev = sol.evaluate()
    n_feat = int(problem.n_features)
    met = int(np.count_nonzero(ev.target_met)) if n_feat else 0
    status = sol.status
    if n_feat and met < n_feat:
        status = "shortfall"
        warnings.warn(message("targets", "every feature target met", f"{n_feat - met} of {n_feat} target(s) missed "
                              f"(shortfall {ev.shortfall:g}; solver status {sol.status})",
                              "lower the targets, raise SPF, or unlock units; see output_mvbest.csv"),
                      RestorePlanWarning, stacklevel=2)
    summary = {"solver": sol.solver, "status": status, "solver_status": sol.status,
               "targets_met": f"{met} of {n_feat}", "seconds": round(time.perf_counter() - t0, 3),
               "score": ev.score, "cost": ev.cost, "connectivity": ev.connectivity, "penalty": ev.penalty,
               "shortfall": ev.shortfall, "missing": ev.missing_values, "planning_units": ev.planning_units,
               "bound": float(sol.bound) if math.isfinite(sol.bound) else None,
               "gap": float(sol.gap) if math.isfinite(sol.gap) else None,
               "files": {k: str(v) for k, v in files.items()}}
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in summary.items()}


@contextlib.contextmanager
def _stdout_to_stderr(active: bool):
    """Send everything written to stdout (fd 1, so C libraries such as HiGHS too) to stderr."""
    if not active:
        yield
        return
    sys.stdout.flush()
    try:
        fd = sys.__stdout__.fileno()
        saved = os.dup(fd)
    except (AttributeError, OSError, ValueError):
        with contextlib.redirect_stdout(sys.stderr):
            yield
        return
    try:
        os.dup2(sys.__stderr__.fileno(), fd)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)
