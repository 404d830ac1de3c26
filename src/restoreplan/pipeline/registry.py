"""The method registry: one entry per method, read by the CLI, the study-file validation and the docs.

Each method registers

* ``name`` — the step name used in study files (``method = "carbon"``);
* ``params`` — a frozen pydantic model: types, units (``json_schema_extra={"units": ...}``),
  bounds and defaults; the single source of truth for validation and ``restoreplan describe``;
* ``inputs`` — the named data inputs (rasters, tables, vectors) and their kinds;
* ``formula`` — a one-line formula summary; ``outputs`` — the names of what it returns;
* ``example`` — a study step that runs on the embedded demo region, so ``restoreplan demo``
  runs every registered method and ``describe`` can print a working TOML snippet;
* ``references`` — keys of :data:`restoreplan.pipeline.references.REFERENCES` naming the published
  sources (built-in methods take theirs from ``METHOD_REFERENCES``); ``restoreplan cite`` prints them.

Registration is a decorator on a function ``f(**inputs, **params) -> result`` where result is a
DataArray, Dataset, DataFrame, GeoDataFrame, or a dict of those (one per named output).

Methods are discovered from every ``restoreplan.<subpackage>.steps`` module and from the
``restoreplan.methods`` entry-point group (third-party plugins).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict

from ..core.errors import ConfigError, message

__all__ = ["Input", "MethodSpec", "Params", "register", "get", "all_methods", "load_all"]

InputKind = Literal["categorical", "continuous", "raster", "series", "table", "vector", "any"]


class Params(BaseModel):
    """Base class of parameter models: frozen, unknown keys forbidden."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoParams(Params):
    """A method without parameters."""


@dataclass(frozen=True)
class Input:
    """A named data input of a method.

    kind: ``categorical`` / ``continuous`` / ``raster`` (either) 2-D raster; ``series`` a raster
    with a leading ``time`` dim (all years of a layer); ``table`` a pandas DataFrame; ``vector`` a
    GeoDataFrame; ``any`` whatever a previous step produced.
    """

    name: str
    kind: InputKind
    doc: str = ""
    optional: bool = False


@dataclass(frozen=True)
class MethodSpec:
    """A registered method (see module docstring)."""

    name: str
    func: Callable[..., Any]
    params: type[Params]
    inputs: tuple[Input, ...]
    outputs: tuple[str, ...]
    formula: str
    summary: str
    group: str
    backends: frozenset[str] = frozenset({"numpy"})
    example: dict | None = None
    report: Callable[..., Any] | None = None
    units: dict[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()

    def reference_records(self) -> list:
        """The :class:`~restoreplan.pipeline.references.Reference` records of ``references``."""
        from .references import get_reference

        return [get_reference(k) for k in self.references]

    def param_table(self) -> list[dict]:
        """Parameters as rows: name, type, default, units, bounds, description."""
        rows = []
        schema = self.params.model_json_schema()
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        for pname, f in self.params.model_fields.items():
            p = props.get(pname, {})
            bounds = {k: p[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum") if k in p}
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            rows.append({
                "name": pname,
                "type": _type_name(f.annotation),
                "default": None if pname in required else _jsonable(f.default),
                "required": pname in required,
                "units": extra.get("units", ""),
                "bounds": bounds,
                "description": f.description or "",
            })
        return rows

    def as_dict(self) -> dict:
        """JSON-friendly description (for ``restoreplan list/describe --json``)."""
        return {
            "name": self.name,
            "group": self.group,
            "summary": self.summary,
            "formula": self.formula,
            "inputs": [{"name": i.name, "kind": i.kind, "optional": i.optional, "doc": i.doc} for i in self.inputs],
            "outputs": list(self.outputs),
            "parameters": self.param_table(),
            "backends": sorted(self.backends),
            "example": self.example,
            "references": [r.as_dict() for r in self.reference_records()],
            "abbreviations": self.abbreviations(),
        }

    def abbreviations(self) -> dict[str, str]:
        """Abbreviations used in the summary, formula, inputs and parameters, spelled out."""
        from .glossary import abbreviations_in

        rows = self.param_table()
        texts = [self.summary, self.formula, *(i.doc for i in self.inputs), *(r["description"] for r in rows),
                 *(str(v) for r in rows for v in r["bounds"].get("enum", []))]
        return abbreviations_in(*texts)


def _type_name(t) -> str:
    s = getattr(t, "__name__", None) or str(t)
    return s.replace("typing.", "")


def _jsonable(v):
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


_REGISTRY: dict[str, MethodSpec] = {}
_LOADED = False


def register(name: str, *, params: type[Params] = NoParams, inputs: tuple[Input, ...] | list[Input] = (),
             outputs: tuple[str, ...] | list[str] = ("result",), formula: str, summary: str | None = None,
             group: str = "core", backends=("numpy",), example: dict | None = None,
             report: Callable | None = None, units: dict[str, str] | None = None,
             references: tuple[str, ...] | list[str] | None = None):
    """Decorator registering ``func`` as method ``name`` (see module docstring)."""

    def deco(func):
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ConfigError(message("register", f"a unique method name", f"{name!r} registered twice",
                                      "rename one of the methods"))
        doc = (func.__doc__ or "").strip().splitlines()
        from .references import METHOD_REFERENCES, get_reference

        refs = tuple(references) if references is not None else METHOD_REFERENCES.get(name, ())
        for k in refs:
            get_reference(k)  # unknown keys fail at import, not when a user asks
        _REGISTRY[name] = MethodSpec(
            name=name, func=func, params=params, inputs=tuple(inputs), outputs=tuple(outputs),
            formula=formula, summary=summary or (doc[0] if doc else name), group=group,
            backends=frozenset(backends), example=example, report=report, units=dict(units or {}),
            references=refs)
        return func

    return deco


def load_all() -> None:
    """Import every ``restoreplan.*.steps`` module and the ``restoreplan.methods`` entry points."""
    global _LOADED
    if _LOADED:
        return
    import restoreplan

    for mod in pkgutil.walk_packages(restoreplan.__path__, prefix="restoreplan."):
        if mod.name.endswith(".steps"):
            importlib.import_module(mod.name)
    try:
        eps = metadata.entry_points(group="restoreplan.methods")
    except TypeError:  # pragma: no cover - old importlib
        eps = metadata.entry_points().get("restoreplan.methods", [])
    for ep in eps:
        try:
            ep.load()
        except Exception as e:  # a broken third-party plugin must not break restoreplan itself
            import warnings

            from ..core.errors import RestorePlanWarning

            warnings.warn(f"plugin {ep.name!r} ({ep.value}) failed to load: {e}", RestorePlanWarning, stacklevel=2)
    _LOADED = True


def get(name: str) -> MethodSpec:
    """Return the method registered as ``name`` (ConfigError listing the known names otherwise)."""
    load_all()
    if name not in _REGISTRY:
        import difflib

        close = difflib.get_close_matches(name, _REGISTRY, n=3)
        hint = f"did you mean {close}?" if close else "run `restoreplan list` to see the registered methods"
        raise ConfigError(message("method", "a registered method name", repr(name), hint))
    return _REGISTRY[name]


def all_methods() -> list[MethodSpec]:
    """All registered methods, sorted by group then name."""
    load_all()
    return sorted(_REGISTRY.values(), key=lambda m: (m.group, m.name))
