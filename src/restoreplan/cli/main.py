"""The ``restoreplan`` command line: thin over the Python API.

Sub-commands live in this module (core) and in any module of ``restoreplan.cli`` that defines a
click command named ``command`` (e.g. ``cli/invest.py``, ``cli/marxan.py``); those are added
automatically. Errors print the four-part message and exit non-zero (no traceback unless --debug).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import pkgutil
import sys
import time
import warnings

import click

# Nothing heavy at import time (numpy, xarray, dask, ...): `restoreplan --help` must start fast. The
# error classes are imported when a command runs, the library inside each command.
from .options import (chunks_option, json_option, out_option, overwrite_option, scheduler_option, seed_option,
                      strict_option, workers_option)

__all__ = ["main", "cli"]


class _Group(click.Group):
    """Click group with the four-part error handling and lazily imported plugin sub-commands.

    Plugin modules (``restoreplan/cli/NAME.py`` defining ``command``) are listed by name and only
    imported when their command runs, so ``restoreplan --help`` and core commands start fast.
    """

    def _plugin_names(self) -> list[str]:
        import restoreplan.cli as pkg

        return [m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name not in ("main", "options", "__init__")]

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx)) | {n.replace("_", "-") for n in self._plugin_names()}
        return sorted(names)

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None:
            return cmd
        mod_name = name.replace("-", "_")
        if mod_name not in self._plugin_names():
            return None
        m = importlib.import_module(f"restoreplan.cli.{mod_name}")
        cmd = getattr(m, "command", None)
        if isinstance(cmd, click.Command):
            self.add_command(cmd, name)
            return cmd
        return None

    def invoke(self, ctx):
        from ..core.errors import PlausibilityWarning, RestorePlanError, plain

        debug = bool(ctx.params.get("debug"))
        with _signals_as_interrupts(), _one_line_warnings():
            try:
                return super().invoke(ctx)
            except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
                raise
            except RestorePlanError as e:
                if debug or (ctx.obj and ctx.obj.get("debug")):
                    raise
                click.echo(f"error: {plain(str(e))}", err=True)
                problems = getattr(e, "problems", None)
                if problems and (len(problems) > 1 or problems[0] != str(e)):
                    for p in problems:
                        click.echo(f"  - {plain(p)}", err=True)
                ctx.exit(getattr(e, "exit_code", 1))
            except PlausibilityWarning as w:   # raised as an error under --strict
                if debug or (ctx.obj and ctx.obj.get("debug")):
                    raise
                click.echo(f"error: {plain(str(w))} (an error because of --strict)", err=True)
                ctx.exit(1)
            except KeyboardInterrupt as e:
                sig = getattr(e, "signal_name", "SIGINT")
                click.echo(f"error: interrupted by {sig}; nothing was written (outputs appear only when a command "
                           "completes)", err=True)
                code = 143 if sig == "SIGTERM" else 130
                _exit_now_if_threads_linger(code)
                ctx.exit(code)
            except Exception as e:  # noqa: BLE001 - never a bare traceback (unless --debug)
                if debug or (ctx.obj and ctx.obj.get("debug")):
                    raise
                click.echo("error: " + _unexpected(e), err=True)
                ctx.exit(1)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, delivered like Ctrl-C so every temporary output is removed on the way out."""

    signal_name = "SIGTERM"


@contextlib.contextmanager
def _signals_as_interrupts():
    """Handle SIGTERM like SIGINT (KeyboardInterrupt) while a command runs; restore the old handler after."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _term(signum, frame):
        raise _Terminated()

    old = signal.signal(signal.SIGTERM, _term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _one_line_warnings():
    """Print every warning as one clean line, ``warning: …`` (no source line, no file:line)."""
    from ..core.errors import plain

    seen: set[str] = set()

    def _show(msg, category, filename, lineno, file=None, line=None):
        text = plain(str(msg)).strip()
        if text in seen:
            return
        seen.add(text)
        click.echo(f"warning: {text}", err=True)

    with warnings.catch_warnings():
        warnings.showwarning = _show
        for mod in ("dask", "distributed", "rioxarray", "rasterio", "pyproj", "numba", "sklearn", "xarray"):
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=mod)
            warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module=mod)
            warnings.filterwarnings("ignore", category=FutureWarning, module=mod)
        yield


def _exit_now_if_threads_linger(code: int) -> None:
    """After an interrupt, a solver thread (HiGHS, a C++ thread) may still be running and would block
    or abort (SIGABRT) the interpreter's shutdown; the temporary outputs are already removed, so leave
    at once with the interrupt's exit code."""
    import os
    import threading

    others = [t for t in threading.enumerate() if t is not threading.current_thread() and t.is_alive()]
    if others:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _unexpected(e: BaseException) -> str:
    """Four-part text for an exception restoreplan did not anticipate (OS and library errors)."""
    from ..core.errors import message

    fn = getattr(e, "filename", None)
    if isinstance(e, UnicodeDecodeError):
        return message("input file", "UTF-8 text", f"bytes that are not UTF-8 ({e.reason} at byte {e.start})",
                       "save the file as UTF-8")
    if isinstance(e, OSError) and fn:
        return message(str(fn), "a file or folder restoreplan can use", f"{type(e).__name__}: {e.strerror or e}",
                       "check the path and its permissions")
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return message("the command's inputs", "inputs restoreplan can process",
                   f"an unexpected {type(e).__name__}" + (f" ({text[:200]})" if text else ""),
                   "check the inputs named above; run with --debug for the traceback and report it as a bug "
                   "if the inputs are right")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(package_name="restoreplan")
@click.pass_context
def cli(ctx, debug):
    """restoreplan: where to restore, what it buys in ecosystem services, and what the future holds."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@contextlib.contextmanager
def _quiet_warnings():
    """During a run, warnings are recorded per step (manifest + report) instead of interleaving the
    progress bar; the summary prints them at the end. If the run fails, they are printed before the error."""
    from ..core.errors import plain

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except BaseException:
            seen = set()
            for w in caught:
                if issubclass(w.category, (UserWarning, RuntimeWarning)) and str(w.message) not in seen:
                    seen.add(str(w.message))
                    click.echo(f"warning: {plain(str(w.message))}", err=True)
            raise


def _warning_summary(manifest: dict) -> None:
    from ..core.errors import plain

    n = 0
    for w in manifest.get("input_warnings", []):
        n += 1
        click.echo(f"warning [inputs] {w['category']}: {plain(w['message'])}", err=True)
    for s in manifest.get("steps", []):
        for w in s.get("warnings", []):
            n += 1
            click.echo(f"warning [{s['id']}] {w['category']}: {plain(w['message'])}", err=True)
    if n:
        click.echo(f"{n} warning(s); they are also in manifest.json and report.html", err=True)


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, default=str, ensure_ascii=False))


@cli.command()
@click.option("--out", type=click.Path(file_okay=False), default="restoreplan-demo", show_default=True,
              help="Output folder.")
@click.option("--size", type=click.IntRange(50, 20000), default=500, show_default=True,
              help="Cells per side of the synthetic region (30 m cells).")
@seed_option
@click.option("--method", "methods", multiple=True, help="Run only these methods (repeatable); default: all.")
@workers_option
@chunks_option
def demo(out, size, seed, methods, workers, chunks):
    """Run every registered method on the embedded synthetic demo region; write maps, tables, report.html."""
    from ..pipeline.demo import run_demo

    t0 = time.perf_counter()
    seed = 0 if seed is None else seed
    with _quiet_warnings():
        res = run_demo(out, size=size, seed=seed, methods=list(methods) or None, progress=True,
                       workers=workers, chunks=chunks)
    _warning_summary(res.manifest)
    n_tif = sum(1 for f in res.files if f.endswith(".tif"))
    click.echo(f"demo: {len(res.results)} step(s), {n_tif} raster(s), {len(res.files)} file(s) in {res.out_dir} "
               f"({time.perf_counter() - t0:.1f} s)")
    click.echo(f"report: {res.out_dir / 'report.html'}")
    from ..pipeline.demo import not_in_demo

    for name, why in not_in_demo().items():
        click.echo(f"not in the demo: {name} — {why}")


@cli.command()
@click.argument("study", type=click.Path(dir_okay=False))
@out_option
@seed_option
@workers_option
@scheduler_option
@chunks_option
@click.option("--no-report", is_flag=True, help="Do not write report.html.")
@overwrite_option
@strict_option
def run(study, out, seed, workers, scheduler, chunks, no_report, overwrite, strict):
    """Run a study file (TOML): every step, outputs, manifest.json and report.html.

    --out must be a new or empty folder (or pass --overwrite to replace it whole); it appears only
    when the whole run succeeds. --seed overrides [study] seed only when given.
    """
    from ..io import check_out_dir
    from ..pipeline.config import load_study
    from ..pipeline.runner import run_study

    st = load_study(study)
    check_out_dir(out, overwrite=overwrite)
    with _quiet_warnings():
        res = run_study(st, out, seed=seed, workers=workers, scheduler=scheduler, chunks=chunks, progress=True,
                        report=False if no_report else None, command=f"run {study}", overwrite=overwrite,
                        strict=strict)
    _warning_summary(res.manifest)
    click.echo(f"run: {len(res.results)} step(s), {len(res.files)} file(s) written to {res.out_dir}")


@cli.command()
@click.argument("study", type=click.Path(dir_okay=False))
@json_option
@click.pass_context
def validate(ctx, study, as_json):
    """Check a study file and report ALL problems at once (exit 2 if any)."""
    from ..core.errors import ConfigError
    from ..pipeline.config import load_study, validate_study

    try:
        st = load_study(study)
        problems = validate_study(st)
    except ConfigError as e:
        problems = e.problems
    if as_json:
        _echo_json({"study": study, "valid": not problems, "problems": problems})
    elif problems:
        click.echo(f"{study}: {len(problems)} problem(s)", err=True)
        for i, p in enumerate(problems, 1):
            click.echo(f"  {i}. {p}", err=True)
    else:
        click.echo(f"{study}: valid ({len(st.steps)} step(s), {len(st.layers)} layer(s))")
    if problems:
        ctx.exit(2)


@cli.command("list")
@json_option
@click.option("--tables", is_flag=True, help="List the packaged coefficient tables instead.")
@click.option("--markdown", is_flag=True, help="Print the full method reference (inputs, parameters, formulas) as Markdown.")
@click.option("--references", "references", is_flag=True,
              help="Print every bibliographic reference and the methods citing it (the REFERENCES page).")
def list_(as_json, tables, markdown, references):
    """List the registered methods (or the packaged tables, or the references)."""
    from ..pipeline import registry
    from ..tables import list_tables

    if references:
        from ..pipeline.references import REFERENCES, references_markdown

        if as_json:
            cited: dict[str, list[str]] = {}
            for m in registry.all_methods():
                for k in m.references:
                    cited.setdefault(k, []).append(m.name)
            _echo_json([{**r.as_dict(), "methods": sorted(cited.get(r.key, []))} for r in REFERENCES.values()])
        else:
            click.echo(references_markdown(), nl=False)
        return
    if markdown:
        from ..pipeline.docs import methods_markdown

        click.echo(methods_markdown())
        return

    if tables:
        from ..tables import WARN_STATUSES, table_status

        rows = [(n, *table_status(n)) for n in list_tables()]
        if as_json:
            _echo_json([{"name": n, "status": s, "warns_when_used": s in WARN_STATUSES, "description": d}
                        for n, s, d in rows])
            return
        w = max(len(n) for n, _, _ in rows)
        ws = max(len(s) for _, s, _ in rows)
        for n, s, d in rows:
            click.echo(f"{n:<{w}}  {s.upper() if s in WARN_STATUSES else s:<{ws}}  {d}")
        return
    methods = registry.all_methods()
    if as_json:
        _echo_json([{"name": m.name, "group": m.group, "summary": m.summary, "formula": m.formula} for m in methods])
        return
    width = max((len(m.name) for m in methods), default=10)
    group = None
    for m in methods:
        if m.group != group:
            group = m.group
            click.echo(f"[{group}]")
        click.echo(f"  {m.name:<{width}}  {m.summary}")


@cli.command()
@click.argument("method")
@json_option
def describe(method, as_json):
    """Parameters (units, ranges, defaults), inputs, outputs and formula of a method."""
    from ..pipeline import registry
    from ..pipeline.demo import to_toml

    spec = registry.get(method)
    if as_json:
        _echo_json(spec.as_dict())
        return
    click.echo(f"{spec.name}  [{spec.group}]\n  {spec.summary}\n  formula: {spec.formula}\n")
    click.echo("references:")
    for line in _reference_lines(spec):
        click.echo(f"  {line}")
    click.echo("inputs:")
    for i in spec.inputs:
        click.echo(f"  {i.name:<18} {i.kind:<12} {'(optional) ' if i.optional else ''}{i.doc}")
    click.echo("outputs: " + ", ".join(spec.outputs))
    click.echo("parameters:")
    for r in spec.param_table():
        bounds = ", ".join(f"{k}={v}" for k, v in r["bounds"].items())
        default = "required" if r["required"] else f"default {r['default']!r}"
        click.echo(f"  {r['name']:<18} {r['type']:<14} {default:<22} {r['units']:<10} {bounds}")
        if r["description"]:
            click.echo(f"  {'':<18} {r['description']}")
    abbr = spec.abbreviations()
    if abbr:
        click.echo("abbreviations:")
        for k, v in abbr.items():
            click.echo(f"  {k:<18} {v}")
    if spec.example:
        step = {"method": spec.name, **spec.example}
        click.echo("\nexample step (runs on the demo region):\n" + to_toml({"steps": [step]}))


def _reference_lines(spec) -> list[str]:
    records = spec.reference_records()
    if records:
        return [r.text() for r in records]
    from ..pipeline.references import GENERIC_OPERATIONS

    why = GENERIC_OPERATIONS.get(spec.name)
    return [f"none — a generic operation ({why}), not a published method" if why else "none recorded"]


@cli.command()
@click.argument("method")
@json_option
def cite(method, as_json):
    """The published sources of a method (authors, year, title, journal, DOI)."""
    from ..pipeline import registry

    spec = registry.get(method)
    if as_json:
        _echo_json({"method": spec.name, "references": [r.as_dict() for r in spec.reference_records()]})
        return
    for line in _reference_lines(spec):
        click.echo(line)


@cli.command()
@click.argument("raster", type=click.Path(dir_okay=False))
@json_option
@click.option("--categorical/--continuous", default=None, help="Force the kind (default: integer files are categorical).")
@click.option("--class-scheme", default=None, metavar="NAME|CSV",
              help="Class names of a categorical raster: a built-in scheme (six_class, wuhan) or a CSV "
                   "code,name,group (default: the names stored in the file, if any).")
def inspect(raster, as_json, categorical, class_scheme):
    """CRS, grid, dtype, nodata, units, and class counts with names of a categorical raster (like `rio info`)."""
    from ..io import raster_info

    info = raster_info(raster, categorical=categorical, class_scheme=class_scheme)
    if as_json:
        _echo_json(info)
        return
    click.echo(f"{info['path']}\n  driver {info['driver']}, {info['width']} x {info['height']}, {info['count']} band(s), "
               f"dtype {info['dtype']}, nodata {info['nodata']}\n  CRS {info['crs']}, cell {info['res'][0]} x {info['res'][1]}"
               f"\n  bounds {info['bounds']}\n  valid cells {info['valid_cells']:,}")
    click.echo(f"  units {info['units'] or 'not recorded'}" + (f"; {info['description']}" if info["description"] else ""))
    if info["kind"] == "categorical":
        total = max(info["valid_cells"], 1)
        names = info["class_names"]
        click.echo("  class      cells   share  name" + (f" (from {info['class_names_from']})" if names else
                                                      " (none recorded; pass --class-scheme)"))
        for c, n in info["class_counts"].items():
            click.echo(f"  {c:>5} {n:>10,} {100 * n / total:6.2f} %  {names.get(c, '')}".rstrip())
    elif "stats" in info:
        s = info["stats"]
        click.echo(f"  min {s['min']:.6g}  max {s['max']:.6g}  mean {s['mean']:.6g}  std {s['std']:.6g}")


def _add_plugins() -> None:
    """Import every plugin command now (tests use it; the CLI itself imports them lazily)."""
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        cli.get_command(ctx, name)


def main(argv=None):
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="restoreplan", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
