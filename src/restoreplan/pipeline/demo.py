"""The demo: generate the embedded synthetic region, write it, and run every registered method on it.

The demo study is assembled from each registered method's ``example`` step, ordered so that a
step referencing another step's output runs after it. No download and no ../shared are needed.
Besides the synthetic region, the demo copies the shipped Marxan example project
(:func:`restoreplan.datasets.marxan_example`) into ``inputs/marxan_example/`` and offers its files
as the study tables ``marxan_pu``, ``marxan_spec``, ``marxan_puvspr`` and ``marxan_bound``.

Methods without a demo example are listed in :data:`NOT_IN_DEMO` with the reason; the demo
reports them (report introduction, :func:`not_in_demo`, the CLI summary), and a test checks that
every registered method is either run by the demo or listed there.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..core.errors import ConfigError, message
from . import registry
from .config import parse_ref, study_from_dict
from .runner import RunResult, run_study

__all__ = ["NOT_IN_DEMO", "demo_study_dict", "not_in_demo", "run_demo"]

#: Registered methods the demo does not run, and why (their inputs have no synthetic or shipped stand-in).
NOT_IN_DEMO: dict[str, str] = {
    "stand_species_values": "needs literature records per species and service (species, service, value); the "
                            "shipped Dashihe data hold the published stand table, not the underlying records",
    "stand_capacity": "needs the species composition of each stand (cover per species and plot), which the "
                      "Dashihe study does not publish",
    "stand_diversity": "needs plot records (cover, height and frequency per species and plot), which the Dashihe "
                       "study does not publish",
}


def not_in_demo() -> dict[str, str]:
    """Registered methods that the demo does not run: name -> reason.

    A method is listed when it has no ``example`` step; the reason comes from :data:`NOT_IN_DEMO`
    (or says that none was given, which the test suite does not allow).
    """
    return {m.name: NOT_IN_DEMO.get(m.name, "no demo example registered")
            for m in registry.all_methods() if m.example is None}


def _deps(example: dict, known_methods: set[str], layer_names: set[str]) -> set[str]:
    deps = set()
    for v in example.get("inputs", {}).values():
        vals = v.values() if isinstance(v, dict) else (v if isinstance(v, list) else [v])
        for ref in vals:
            if not isinstance(ref, str):
                continue
            k, name, _ = parse_ref(ref)
            if k in ("step", "maybe_step", "name") and name not in layer_names and name in known_methods:
                deps.add(name)
    return deps


def demo_study_dict(written: dict, *, seed: int = 0, methods: list[str] | None = None) -> dict:
    """Study dict for the demo region files ``written`` (from ``DemoRegion.write``)."""
    import numpy as np
    import rasterio

    layers = {}
    for name, p in written["layers"].items():
        first = next(iter(p.values())) if isinstance(p, dict) else p
        with rasterio.open(first) as src:
            kind = "categorical" if np.issubdtype(np.dtype(src.dtypes[0]), np.integer) else "continuous"
        if isinstance(p, dict):
            layers[name] = {"kind": kind, "paths": {int(y): str(q) for y, q in p.items()}}
        else:
            layers[name] = {"kind": kind, "path": str(p)}
    vectors = {n: {"path": str(p)} for n, p in written.get("vectors", {}).items()}
    tables = {n: {"path": str(p)} for n, p in written.get("tables", {}).items()}
    specs = [m for m in registry.all_methods() if m.example is not None and (methods is None or m.name in methods)]
    if methods is not None:
        unknown = sorted(set(methods) - {m.name for m in specs})
        if unknown:
            raise ConfigError(message("--method", "registered methods with a demo example", str(unknown),
                                      "run `restoreplan list` for the names"))
    by_name = {m.name: m for m in specs}
    names = set(by_name)
    order, done = [], set()

    def visit(n, stack=()):
        if n in done:
            return
        if n in stack:
            raise ConfigError(message("demo", "acyclic example references", f"cycle {stack + (n,)}", "fix the examples"))
        for d in sorted(_deps(by_name[n].example, names, set(layers))):
            visit(d, stack + (n,))
        done.add(n)
        order.append(n)

    for m in specs:
        visit(m.name)
    steps = []
    for n in order:
        ex = by_name[n].example
        steps.append({"id": ex.get("id", n), "method": n, "inputs": ex.get("inputs", {}), "params": ex.get("params", {})})
    return {
        "study": {"name": "restoreplan demo (synthetic region)", "class_scheme": "six_class", "template": "lulc",
                  "seed": seed},
        "layers": layers, **({"tables": tables} if tables else {}), "vectors": vectors, "steps": steps,
    }


def run_demo(out: str | Path, *, size: int = 500, seed: int = 0, methods: list[str] | None = None,
             progress: bool = False, workers: int | None = None, chunks: int | None = None) -> RunResult:
    """Generate the demo region (``size``×``size`` cells, ``seed``), then run the demo study into ``out``."""
    from ..datasets import demo_region

    import shutil

    out = Path(out).resolve()  # a relative --out must not be re-resolved against inputs/
    created_out = not out.exists()
    inputs_dir = out / "inputs"
    created_inputs = not inputs_dir.exists()
    try:
        t0 = time.perf_counter()
        region = demo_region(size=size, seed=seed)
        written = region.write(inputs_dir)
        written["tables"] = _copy_marxan_example(inputs_dir)
        gen_s = time.perf_counter() - t0
        raw = demo_study_dict(written, seed=seed, methods=methods)
        study = study_from_dict(raw, base_dir=inputs_dir.resolve(), source="demo study")
        import html

        skipped = not_in_demo()
        intro = ("All inputs are <b>synthetic</b>: a deterministic landscape generated by "
                 f"<code>restoreplan.datasets.demo_region(size={size}, seed={seed})</code> in {gen_s:.1f} s, "
                 "and the shipped synthetic Marxan example project. "
                 "Coefficient tables marked illustrative are not from a publication.")
        if skipped:
            intro += (f"<p>{len(skipped)} registered method(s) do not run in the demo:</p><ul>"
                      + "".join(f"<li><code>{html.escape(k)}</code>: {html.escape(v)}</li>" for k, v in skipped.items())
                      + "</ul>")
        result = run_study(study, out, seed=seed, progress=progress, workers=workers, chunks=chunks, merge=True,
                           command=f"demo --size {size} --seed {seed}", extra_report={"intro": intro})
        _write_study_toml(raw, out / "demo_study.toml")
    except BaseException:
        # leave nothing behind that this run created
        if created_out:
            shutil.rmtree(out, ignore_errors=True)
        elif created_inputs:
            shutil.rmtree(inputs_dir, ignore_errors=True)
        raise
    return result


def _copy_marxan_example(inputs_dir: Path) -> dict[str, Path]:
    """Copy the shipped Marxan example into ``inputs_dir/marxan_example``; its data files as study tables."""
    import shutil

    from ..datasets.examples import MARXAN_TABLES, marxan_example

    src = marxan_example().parent
    dst = inputs_dir / "marxan_example"
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return {f"marxan_{k}": dst / "input" / f for k, f in MARXAN_TABLES.items()}


def _toml_value(v) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    if v is None:
        return '""'
    return json.dumps(str(v))


def _toml_key(k) -> str:
    import re

    k = str(k)
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else f'"{k}"'


def to_toml(raw: dict) -> str:
    """Serialize a study dict to TOML (enough for study files: tables, inline tables, arrays of tables)."""
    lines = []
    for section in ("study", "outputs"):
        if section in raw:
            lines.append(f"[{section}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in raw[section].items() if v is not None]
            lines.append("")
    for section in ("layers", "tables", "vectors"):
        for name, spec in raw.get(section, {}).items():
            lines.append(f"[{section}.{_toml_key(name)}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in spec.items()]
            lines.append("")
    for st in raw.get("steps", []):
        lines.append("[[steps]]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in st.items()]
        lines.append("")
    return "\n".join(lines)


def _write_study_toml(raw: dict, path: Path) -> None:
    """Save the demo study next to its outputs, with paths relative to ``inputs/``, so users can edit and re-run it."""
    from ..io.atomic import atomic_path

    rel = dict(raw)
    base = path.parent / "inputs"

    def relp(p):
        try:
            return str(Path(p).relative_to(base.resolve() if Path(p).is_absolute() else base))
        except ValueError:
            return str(p)

    layers = {}
    for n, spec in raw["layers"].items():
        s = dict(spec)
        if "paths" in s:
            s["paths"] = {str(y): "inputs/" + relp(p) for y, p in s["paths"].items()}
        else:
            s["path"] = "inputs/" + relp(s["path"])
        layers[n] = s
    rel["layers"] = layers
    rel["vectors"] = {n: {"path": "inputs/" + relp(s["path"])} for n, s in raw.get("vectors", {}).items()}
    if raw.get("tables"):
        rel["tables"] = {n: {"path": "inputs/" + relp(s["path"])} for n, s in raw["tables"].items()}
    with atomic_path(path) as tmp:
        tmp.write_text("# The demo study: `restoreplan run demo_study.toml --out DIR` re-runs it.\n" + to_toml(rel),
                       encoding="utf-8")
