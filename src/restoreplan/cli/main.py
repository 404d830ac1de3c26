"""The ``restoreplan`` command line: thin over the Python API.

Sub-commands live in this module (core) and in any module of ``restoreplan.cli`` that defines a
click command named ``command`` (e.g. ``cli/invest.py``, ``cli/marxan.py``); those are added
automatically. Errors print the four-part message and exit non-zero (no traceback unless --debug).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click

from ..core.errors import RestorePlanError

__all__ = ["main", "cli"]


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RestorePlanError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {e}", err=True)
            problems = getattr(e, "problems", None)
            if problems and len(problems) > 1:
                for p in problems:
                    click.echo(f"  - {p}", err=True)
            ctx.exit(getattr(e, "exit_code", 1))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(package_name="restoreplan")
@click.pass_context
def cli(ctx, debug):
    """restoreplan: where to restore, what it buys in ecosystem services, and what the future holds."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _add_plugins() -> None:
    import restoreplan.cli as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name in ("main", "options", "__init__"):
            continue
        m = importlib.import_module(f"restoreplan.cli.{mod.name}")
        cmd = getattr(m, "command", None)
        if isinstance(cmd, click.Command):
            cli.add_command(cmd)


def main(argv=None):
    """Console-script entry point."""
    _add_plugins()
    return cli.main(args=argv, prog_name="restoreplan", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
