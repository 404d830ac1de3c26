"""The study file: a TOML document validated by pydantic, plus semantic checks that report ALL problems.

Example::

    [study]
    name = "county"
    class_scheme = "six_class"      # built-in name or a CSV (code,name,group)
    template = "lulc"               # the layer whose grid every layer must share (default: first)
    seed = 0

    [layers.lulc]
    kind = "categorical"
    paths = { 2000 = "lulc_2000.tif", 2020 = "lulc_2020.tif" }

    [layers.dem]
    kind = "continuous"
    path = "dem.tif"

    [tables.pools]
    path = "carbon_pools.csv"

    [vectors.roads]
    path = "roads.gpkg"

    [[steps]]
    id = "carbon_2020"
    method = "carbon"
    inputs = { lulc = "lulc@2020", pools = "table:pools" }
    params = { }

Relative paths are relative to the study file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..core.errors import ConfigError, did_you_mean, message

__all__ = ["Study", "StudyInfo", "LayerSpec", "TableSpec", "VectorSpec", "StepSpec", "OutputSpec",
           "load_study", "validate_study", "parse_ref"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyInfo(_Model):
    """The ``[study]`` table."""

    name: str = "study"
    class_scheme: str = Field("six_class", description="built-in scheme name or CSV path")
    template: str | None = Field(None, description="layer whose grid all layers must share")
    crs: str | None = Field(None, description="expected CRS, e.g. EPSG:32649 (checked, never reprojected)")
    seed: int = 0
    chunks: int | None = Field(None, gt=0, description="dask chunk size (cells); None reads eagerly")


class LayerSpec(_Model):
    """A raster layer: one ``path``, or ``paths`` keyed by year."""

    kind: Literal["categorical", "continuous"]
    path: str | None = None
    paths: dict[int, str] | None = None
    units: str | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.path is None) == (self.paths is None):
            raise ValueError("give exactly one of `path` (single raster) or `paths` (year = path)")
        return self

    def files(self) -> dict[int | None, str]:
        """{year or None: path}."""
        return {None: self.path} if self.path is not None else dict(self.paths or {})


class TableSpec(_Model):
    """A CSV table."""

    path: str


class VectorSpec(_Model):
    """A vector layer (GeoPackage, shapefile, GeoJSON, GeoParquet)."""

    path: str


class StepSpec(_Model):
    """One workflow step: a registered method, its inputs (references) and parameters."""

    method: str
    id: str | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    write: bool = True

    @property
    def step_id(self) -> str:
        """The step's id (defaults to the method name)."""
        return self.id or self.method


class OutputSpec(_Model):
    """The ``[outputs]`` table."""

    raster_format: Literal["cog", "gtiff"] = "cog"
    report: bool = True


class Study(_Model):
    """A whole study file."""

    study: StudyInfo = Field(default_factory=StudyInfo)
    layers: dict[str, LayerSpec] = Field(default_factory=dict)
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    vectors: dict[str, VectorSpec] = Field(default_factory=dict)
    steps: list[StepSpec] = Field(default_factory=list)
    outputs: OutputSpec = Field(default_factory=OutputSpec)
    base_dir: str = Field(".", description="folder that relative paths are relative to (set by load_study)")

    def resolve(self, p: str) -> Path:
        """Absolute path of a study-relative path."""
        q = Path(p)
        return q if q.is_absolute() else (Path(self.base_dir) / q)

    def template_name(self) -> str | None:
        """The grid template layer (``[study].template`` or the first layer)."""
        return self.study.template or (next(iter(self.layers)) if self.layers else None)


def parse_ref(ref: str) -> tuple[str, str, str | None]:
    """Split an input reference into (kind, name, detail).

    ``"lulc"`` → ("layer", "lulc", None); ``"lulc@2020"`` → ("layer", "lulc", "2020");
    ``"table:x"``, ``"package:x"``, ``"vector:x"``, ``"dataset:x"``, ``"step:id.out"`` or a bare
    ``"id.out"`` for step results (decided against the study's names by the caller).
    """
    if ":" in ref:
        kind, rest = ref.split(":", 1)
        if kind in ("table", "package", "vector", "dataset", "step", "layer"):
            if kind == "layer" and "@" in rest:
                n, y = rest.split("@", 1)
                return "layer", n, y
            if kind == "step" and "." in rest:
                n, o = rest.split(".", 1)
                return "step", n, o
            return kind, rest, None
    if "@" in ref:
        n, y = ref.split("@", 1)
        return "layer", n, y
    if "." in ref:
        n, o = ref.split(".", 1)
        return "maybe_step", n, o
    return "name", ref, None


def _fmt_loc(loc) -> str:
    return ".".join(str(x) for x in loc)


def load_study(path: str | Path) -> Study:
    """Read and validate the structure of a study file; ConfigError with EVERY problem found.

    When the structure is wrong, the semantic checks of :func:`validate_study` still run on the
    parts that are right, so one misspelt key does not hide the other problems.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(message("study file", "an existing TOML file", f"no file at {path}", "check the path"))
    if not path.is_file():
        raise ConfigError(message("study file", "a TOML file", f"{path} is a folder", "pass the path of the .toml file"))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(message("study file", "a readable TOML file", f"{path}: {e.strerror or e}",
                                  "check the file's permissions")) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError(message(str(path), "a UTF-8 text file (TOML)",
                                  f"bytes that are not UTF-8 at line {line} (byte {e.start})",
                                  "save the file as UTF-8 (e.g. in your editor: Save with encoding → UTF-8)")) from None
    if not text.strip():
        raise ConfigError(message(str(path), "a study: [study], [layers.*] and at least one [[steps]]",
                                  "an empty file", "write the study; `restoreplan describe METHOD` prints an example step"))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(message(str(path), "valid TOML", f"a syntax error ({e})", "fix the TOML syntax")) from None
    return study_from_dict(raw, base_dir=path.parent.resolve(), source=str(path))


def study_from_dict(raw: dict, *, base_dir: str | Path = ".", source: str = "study") -> Study:
    """Build a :class:`Study` from a dict (structure only; see :func:`validate_study` for the rest).

    On structural errors the ConfigError lists them all, followed by the semantic problems of the
    parts that are structurally sound.
    """
    from ..core.wording import validation_problems

    raw = dict(raw)
    raw["base_dir"] = str(base_dir)
    try:
        return Study.model_validate(raw)
    except ValidationError as e:
        problems = validation_problems(e, model=Study, source=source)
        partial, broken, names = _prune(raw, e)
        if partial is not None:
            try:
                problems += [p for p in validate_study(partial, known_steps=broken, known_names=names)
                             if p not in problems]
            except Exception:  # noqa: BLE001 - best effort: the structural problems are reported anyway
                pass
        raise ConfigError(f"{len(problems)} problem(s) in {source}", problems) from None


def _prune(raw: dict, exc: ValidationError):
    """The study without its structurally broken parts (and the ids of dropped steps), or None."""
    import copy

    raw = copy.deepcopy(raw)
    broken: list[str] = []
    names: list[str] = []
    for _ in range(6):
        try:
            return Study.model_validate(raw), broken, names
        except ValidationError as e:
            errs = e.errors()
        drop_steps = set()
        for err in errs:
            loc = list(err.get("loc", ()))
            if not loc:
                return None, broken, names
            if loc[0] == "steps" and len(loc) >= 2 and isinstance(loc[1], int):
                drop_steps.add(loc[1])
                continue
            # drop the offending entry: a whole layer/table/vector, or the key of [study]/[outputs]
            cut = loc[:2] if loc[0] in ("layers", "tables", "vectors", "study", "outputs") else loc[:1]
            if loc[0] in ("layers", "tables", "vectors") and len(loc) >= 2:
                names.append(str(loc[1]))   # references to it are not reported again
            node = raw
            for k in cut[:-1]:
                node = node.get(k, {}) if isinstance(node, dict) else {}
            if isinstance(node, dict):
                node.pop(cut[-1], None)
        if drop_steps and isinstance(raw.get("steps"), list):
            for i in drop_steps:
                st = raw["steps"][i] if i < len(raw["steps"]) else None
                if isinstance(st, dict):
                    broken.append(str(st.get("id") or st.get("method") or f"steps[{i}]"))
            raw["steps"] = [st for i, st in enumerate(raw["steps"]) if i not in drop_steps]
    return None, broken, names


def validate_study(study: Study, *, check_files: bool = True, known_steps=(), known_names=()) -> list[str]:
    """Return EVERY semantic problem of a structurally valid study (empty list when valid).

    Checks: files exist; every raster is on the template grid (headers only, nothing is loaded);
    methods are registered; parameters validate against each method's model; every input
    reference resolves (layer, year, table, vector, earlier step) and every required input is given.
    ``known_steps`` / ``known_names``: ids of steps / names of layers, tables or vectors dropped for
    structural errors (references to them are not reported again).
    """
    from . import registry
    from ..core.wording import validation_problems

    problems: list[str] = []
    if not study.steps and not known_steps:
        problems.append(message("steps", "at least one [[steps]] entry (a method to run)", "no steps",
                                "add a step, e.g. `restoreplan describe class_area` prints one to copy"))
    # files and grids
    template = study.template_name()
    grids = {}
    if check_files:
        for lname, spec in study.layers.items():
            for year, p in spec.files().items():
                label = f"layers.{lname}" + (f"@{year}" if year is not None else "")
                fp = study.resolve(p)
                if not fp.exists():
                    problems.append(message(label, "an existing raster file", f"no file at {fp}",
                                            "fix the path (relative to the study file)"))
                    continue
                if not fp.is_file():
                    problems.append(message(label, "a raster file", f"{fp} is a folder", "point to the raster file itself"))
                    continue
                from ..io.raster import header_problems

                g, probs = header_problems(fp, label, kind=spec.kind)
                problems += probs
                if g is not None:
                    grids[label] = g
        for section, specs in (("tables", study.tables), ("vectors", study.vectors)):
            for n, spec in specs.items():
                fp = study.resolve(spec.path)
                if not fp.exists():
                    problems.append(message(f"{section}.{n}", "an existing file", f"no file at {fp}", "fix the path"))
                elif section == "tables":
                    problems += _table_problems(fp, f"tables.{n}")
                elif fp.is_dir() and fp.suffix.lower() != ".gdb":
                    problems.append(message(f"vectors.{n}", "a vector file (GeoPackage, shapefile, GeoJSON, "
                                            "GeoParquet, CSV of points)", f"{fp} is a folder",
                                            "point to the vector file itself"))
        problems += _scheme_problems(study)
        problems += _grid_problems(grids, template, study.study.crs)
    else:
        problems += _scheme_problems(study, check_files=False)
    if template is not None and template not in study.layers:
        problems.append(message("study.template", "the name of a layer", repr(template), f"use one of {list(study.layers)}"))
    # steps
    seen: dict[str, registry.MethodSpec] = {k: None for k in known_steps}  # type: ignore[misc]
    for i, step in enumerate(study.steps):
        where = f"steps[{i}] ({step.step_id})"
        if step.step_id in seen:
            problems.append(message(where, "a unique step id", f"duplicate id {step.step_id!r}", "set `id` on the step"))
        try:
            spec = registry.get(step.method)
        except ConfigError as e:
            problems.append(f"{where}: {e}")
            seen[step.step_id] = None  # type: ignore[assignment]
            continue
        try:
            spec.params.model_validate(step.params)
        except ValidationError as e:
            problems += validation_problems(e, prefix=f"{where}.params", model=spec.params,
                                            fix=f"see `restoreplan describe {step.method}`")
        names = {inp.name for inp in spec.inputs}
        for k in step.inputs:
            if k not in names:
                hint = did_you_mean(k, names)
                problems.append(message(f"{where}.inputs.{k}", f"one of {sorted(names)}", repr(k),
                                        (hint + " " if hint else "") + f"see `restoreplan describe {step.method}`"))
        for inp in spec.inputs:
            if inp.name not in step.inputs:
                if not inp.optional:
                    problems.append(message(f"{where}.inputs", f"input `{inp.name}` ({inp.kind}: {inp.doc})", "nothing",
                                            f"add `{inp.name} = \"...\"` to the step's inputs"))
                continue
            for ref in _refs(step.inputs[inp.name]):
                if parse_ref(ref)[1] in (*known_steps, *known_names):
                    continue
                p = _check_ref(study, ref, seen, inp.kind)
                if p:
                    problems.append(message(f"{where}.inputs.{inp.name}", p[0], p[1], p[2]))
        seen[step.step_id] = spec
    return problems


def _refs(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _check_ref(study: Study, ref: str, seen: dict, kind: str):
    from ..tables import package_table_path

    k, name, detail = parse_ref(ref)
    if k in ("layer", "name") and name in study.layers:
        spec = study.layers[name]
        if detail is not None:
            years = list((spec.paths or {}).keys())
            try:
                y = int(detail)
            except ValueError:
                return ("a year after @", repr(detail), f"use one of {years}")
            if y not in years:
                return (f"a year of layer `{name}`", str(y), f"use one of {years}")
        elif kind in ("categorical", "continuous", "raster") and spec.paths and len(spec.paths) > 1:
            return (f"a single raster (kind {kind})", f"layer `{name}` with {len(spec.paths)} years",
                    f"pick a year: \"{name}@{list(spec.paths)[-1]}\"")
        if kind in ("categorical", "continuous") and spec.kind != kind:
            return (f"a {kind} layer", f"`{name}` is {spec.kind}", f"use a {kind} layer")
        return None
    if k == "layer":
        return ("the name of a layer", repr(name), f"use one of {list(study.layers)}")
    if k == "table":
        return None if name in study.tables else ("a table in [tables]", repr(name), f"use one of {list(study.tables)}")
    if k == "vector":
        return None if name in study.vectors else ("a vector in [vectors]", repr(name), f"use one of {list(study.vectors)}")
    if k == "package":
        try:
            package_table_path(name)
            return None
        except ConfigError as e:
            return ("a packaged table", repr(name), str(e).split("Fix: ")[-1])
    if k == "dataset":
        from .. import datasets

        ok = callable(getattr(datasets, name, None)) and not name.startswith("_")
        return None if ok else ("a shipped dataset of restoreplan.datasets", repr(name), "e.g. dataset:dashihe")
    if k in ("step", "maybe_step", "name"):
        if name in seen:
            return None
        if k == "name" and name in study.tables:
            return None
        return ("a layer, or the id of an EARLIER step", repr(ref),
                f"layers: {list(study.layers)}; earlier steps: {list(seen)}")
    return ("a valid reference", repr(ref), "see DESIGN.md 'Study-file references'")


def _table_problems(fp: Path, label: str) -> list[str]:
    """A study table must be a readable, non-empty CSV file (checked by reading it; tables are small)."""
    import pandas as pd

    if fp.is_dir():
        return [message(label, "a CSV file", f"{fp} is a folder", "point to the .csv file itself")]
    with open(fp, "rb") as f:
        head = f.read(4096)
    if b"\x00" in head or head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return [message(label, "a CSV text file", f"{fp} is a binary file (a spreadsheet or archive?)",
                        "export the table as CSV (comma-separated, UTF-8)")]
    try:
        df = pd.read_csv(fp, comment="#")
    except UnicodeDecodeError:
        return [message(label, "a UTF-8 CSV file", f"{fp} is not UTF-8 text", "save the table as UTF-8 CSV")]
    except pd.errors.EmptyDataError:
        return [message(label, "a CSV with a header line and rows", f"{fp} is empty", "write the table's header and rows")]
    except Exception as e:  # noqa: BLE001 - any parser failure is a problem with the file
        return [message(label, "a readable CSV file", f"{fp}: {type(e).__name__}: {str(e).strip()[:120]}",
                        "save the table as comma-separated UTF-8 CSV")]
    if df.empty:
        return [message(label, "a CSV with at least one data row", f"{fp} has a header only", "add the rows")]
    return []


def _scheme_problems(study: Study, *, check_files: bool = True) -> list[str]:
    """``[study].class_scheme`` must name a built-in scheme or a readable CSV of code,name,group."""
    from ..core.legend import SCHEMES, ClassTable

    cs = study.study.class_scheme
    if cs in SCHEMES:
        return []
    if not cs.lower().endswith(".csv"):
        hint = did_you_mean(cs, SCHEMES)
        return [message("study.class_scheme", f"a built-in scheme ({', '.join(sorted(SCHEMES))}) or a CSV path",
                        repr(cs), (hint + " " if hint else "") + "use a built-in name, or a CSV with columns code,name,group")]
    if not check_files:
        return []
    fp = study.resolve(cs)
    if not fp.is_file():
        return [message("study.class_scheme", "a built-in scheme or an existing CSV", f"no file at {fp}", "fix the path")]
    try:
        ClassTable.from_csv(fp)
    except ConfigError as e:
        return list(e.problems)
    except Exception as e:  # noqa: BLE001
        return [message("study.class_scheme", "a CSV with columns code,name,group", f"{fp}: {type(e).__name__}: {e}",
                        "save the class table as UTF-8 CSV")]
    return []


def _header_grid(path: Path):
    import rasterio

    from ..core.grid import GridSpec

    with rasterio.open(path) as src:
        return GridSpec(crs=src.crs.to_wkt() if src.crs else None, transform=src.transform,
                        shape=(src.height, src.width))


def _grid_problems(grids: dict, template: str | None, crs: str | None) -> list[str]:
    from ..core.grid import GridSpec, compare_grids

    problems = []
    if not grids:
        return problems
    ref_label = next((lb for lb in grids if lb.split("@")[0] == f"layers.{template}"), next(iter(grids)))
    ref = grids[ref_label]
    if crs is not None:
        want = GridSpec(crs=crs, transform=ref.transform, shape=ref.shape)
        for lb, g in grids.items():
            d = [x for x in compare_grids(want, g) if x.startswith("CRS")]
            if d:
                problems.append(message(lb, f"CRS {crs} (study.crs)", d[0].replace("CRS ", "").split(" vs ")[-1],
                                        "reproject the file, or fix study.crs"))
    for lb, g in grids.items():
        if lb == ref_label:
            continue
        d = compare_grids(ref, g)
        if d:
            problems.append(message(lb, f"the grid of the template `{ref_label}`", "; ".join(d),
                                    f"align it first, e.g. rp.io.align(layer, like=template) and save it, "
                                    "or choose another [study].template"))
    return problems
