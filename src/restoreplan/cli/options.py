"""Options shared by several CLI commands."""

from __future__ import annotations

import click

seed_option = click.option("--seed", type=int, default=0, show_default=True, help="Random seed (every random step uses it).")
workers_option = click.option("--workers", type=int, default=None,
                              help="Dask workers: start a local dask.distributed cluster with this many processes.")
scheduler_option = click.option("--scheduler", type=str, default=None,
                                help="Address of a running dask.distributed scheduler (tcp://host:port) to run on.")
chunks_option = click.option("--chunks", type=int, default=None, help="Dask chunk size in cells (square); default reads eagerly.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
out_option = click.option("--out", "out", type=click.Path(file_okay=False), required=True, help="Output folder.")
