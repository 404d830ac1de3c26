"""``restoreplan invest``: run an InVEST datastack (carbon, habitat quality, annual water yield).

    restoreplan invest carbon ARGS.json --out DIR
    restoreplan invest habitat-quality ARGS.json --out DIR
    restoreplan invest annual-water-yield ARGS.json --out DIR

ARGS.json is the datastack InVEST saves: its ``args`` object uses InVEST's argument names (other
top-level keys are ignored; ``--args-key`` picks another object). Outputs carry InVEST's file names
and nodata values. The command only parses options and calls ``restoreplan.services.invest_runs``.
"""

from __future__ import annotations

import time

import click

from .options import out_option, overwrite_option, strict_option

__all__ = ["command"]


def _run(model: str, args_json: str, out: str, args_key: str, cog: bool, overwrite: bool = False,
         strict: bool = False) -> None:
    import warnings

    from ..core.errors import PlausibilityWarning
    from ..io import check_out_dir
    from ..services.invest_compat import load_args
    from ..services.invest_runs import MODELS

    t0 = time.perf_counter()
    check_out_dir(out, overwrite=overwrite)
    if strict:
        warnings.filterwarnings("error", category=PlausibilityWarning)
    args, _ = load_args(args_json, key=args_key)
    files = MODELS[model](args, out, fast=not cog, overwrite=overwrite)
    for name in sorted(files):
        click.echo(str(files[name]))
    click.echo(f"{model}: {len(files)} file(s) in {time.perf_counter() - t0:.2f} s", err=True)


_args_key = click.option("--args-key", default="args", show_default=True,
                         help="Top-level key of the JSON holding InVEST's args.")
_cog = click.option("--cog", is_flag=True, help="Write Cloud-Optimized GeoTIFFs (slower) instead of tiled GeoTIFF (ZSTD level 1).")
_json_arg = click.argument("args_json", type=click.Path(dir_okay=False))


@click.group(name="invest")
def command():
    """Run InVEST models from an InVEST datastack JSON (InVEST 3.20 argument and output names)."""


@command.command(name="carbon")
@_json_arg
@out_option
@_args_key
@_cog
@overwrite_option
@strict_option
def carbon(args_json, out, args_key, cog, overwrite, strict):
    """InVEST Carbon: c_storage_bas/alt, c_change_bas_alt, npv_alt, raster_values_summary.csv."""
    _run("carbon", args_json, out, args_key, cog, overwrite, strict)


@command.command(name="habitat-quality")
@_json_arg
@out_option
@_args_key
@_cog
@overwrite_option
@strict_option
def habitat_quality(args_json, out, args_key, cog, overwrite, strict):
    """InVEST Habitat Quality: deg_sum_c/f, quality_c/f, rarity_c/f (.tif and .csv)."""
    _run("habitat-quality", args_json, out, args_key, cog, overwrite, strict)


@command.command(name="annual-water-yield")
@_json_arg
@out_option
@_args_key
@_cog
@overwrite_option
@strict_option
def annual_water_yield(args_json, out, args_key, cog, overwrite, strict):
    """InVEST Annual Water Yield: fractp, aet, wyield, (sub)watershed_results_wyield.csv."""
    _run("annual-water-yield", args_json, out, args_key, cog, overwrite, strict)
