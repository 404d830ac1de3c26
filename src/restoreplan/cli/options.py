"""Options shared by several CLI commands."""

from __future__ import annotations

import click

seed_option = click.option("--seed", type=int, default=None,
                           help="Random seed (every random step uses it). Default: the input's own seed "
                                "([study] seed, Marxan RANDSEED), else 0.")
workers_option = click.option("--workers", type=click.IntRange(min=1), default=None,
                              help="Dask workers: start a local dask.distributed cluster with this many processes.")
scheduler_option = click.option("--scheduler", type=str, default=None,
                                help="Address of a running dask.distributed scheduler (tcp://host:port) to run on.")
chunks_option = click.option("--chunks", type=click.IntRange(min=1), default=None,
                             help="Dask chunk size in cells (square, ≥ 1); default reads eagerly.")
overwrite_option = click.option("--overwrite", is_flag=True,
                                help="Replace an existing, non-empty --out folder as a whole (when the command succeeds).")
strict_option = click.option("--strict", is_flag=True,
                             help="Treat implausible inputs (all nodata, values out of range, unknown codes, "
                                  "unreachable targets, unknown keywords) as errors instead of warnings.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
out_option = click.option("--out", "out", type=click.Path(file_okay=False), required=True,
                          help="Output folder: new or empty (or --overwrite); written only when the command succeeds.")


def process_start() -> float:
    """``time.perf_counter()`` value of the moment this process started.

    A ``--time-limit`` is a wall-clock budget for the whole command, as a user times it, so the
    seconds spent starting Python and importing the libraries count against it. When the command is
    called inside a process that has run for more than 600 s already (a long-running Python session
    calling :func:`restoreplan.cli.main.main`, e.g. click's test runner), the process start is not the
    command's start, and the budget counts from this call.
    """
    import time

    import psutil

    now_perf, now_wall = time.perf_counter(), time.time()
    elapsed = now_wall - psutil.Process().create_time()
    return now_perf - elapsed if 0.0 <= elapsed < 600.0 else now_perf
