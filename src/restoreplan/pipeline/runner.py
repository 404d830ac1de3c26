"""The runner: load a study's inputs, check grids, execute its steps, write outputs, manifest and report.

Everything is written into a temporary folder that replaces the output folder's content only
when the whole run succeeds (``rp.io.atomic_dir``): a failing step leaves no output behind.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import shutil
import tempfile
import time
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, DataError, InputError, PlausibilityWarning, RestorePlanError, message
from ..core.grid import check_same_grid
from ..core.chunked import spill_to
from ..core.provenance import Manifest
from ..io import atomic_dir, read_raster, read_vector, write_csv, write_gpkg, write_raster
from . import registry
from .config import Study, parse_ref, validate_study

__all__ = ["run_study", "run_steps", "run_in_memory", "RunResult", "Context", "dask_client"]

log = logging.getLogger("restoreplan")


@dataclass
class Context:
    """What steps can reference: layers, tables, vectors and earlier results."""

    study: Study
    layers: dict[str, Any] = field(default_factory=dict)      # name -> DataArray or {year: DataArray}
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    vectors: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)     # step id -> result

    def resolve(self, ref, kind: str):
        """Turn a reference (or a dict/list of references) into data."""
        if isinstance(ref, dict):
            return {k: self.resolve(v, kind="any") for k, v in ref.items()}
        if isinstance(ref, list):
            return [self.resolve(v, kind="any") for v in ref]
        if not isinstance(ref, str):
            return ref
        k, name, detail = parse_ref(ref)
        if k in ("layer", "name") and name in self.layers:
            lay = self.layers[name]
            if isinstance(lay, dict):
                if detail is not None:
                    return lay[int(detail)]
                if len(lay) == 1:
                    return next(iter(lay.values()))
                return _stack_years(lay, name)
            return lay
        if k == "table" or (k == "name" and name in self.tables):
            return self.tables[name]
        if k == "vector":
            return self.vectors[name]
        if k == "package":
            from ..tables import load_table

            return load_table(name)
        if k == "dataset":
            from .. import datasets

            return getattr(datasets, name)()
        if k in ("step", "maybe_step", "name") and name in self.results:
            res = self.results[name]
            if detail is None:
                return res
            if isinstance(res, dict) and detail in res:
                return res[detail]
            if isinstance(res, xr.Dataset) and detail in res:
                return res[detail]
            raise ConfigError(message(ref, f"an output of step `{name}`", f"no output {detail!r}",
                                      f"use one of {list(res) if isinstance(res, (dict, xr.Dataset)) else ['(single result)']}"))
        raise ConfigError(message("input", "a layer, table, vector or earlier step", repr(ref),
                                  "see DESIGN.md 'Study-file references'"))


def _harmonize_nodata(slices: list[xr.DataArray]) -> tuple[list[xr.DataArray], object]:
    """Give categorical years one dtype and one nodata value (e.g. uint8/15 and int8/−128 → int16/−32768)."""
    nods = [s.rio.nodata for s in slices]
    dtypes = [s.dtype for s in slices]
    if all(n == nods[0] for n in nods) and all(d == dtypes[0] for d in dtypes):
        return slices, nods[0]
    if not all(np.issubdtype(d, np.integer) for d in dtypes):
        return slices, nods[0]
    common = np.result_type(*dtypes, np.int16)
    sentinel = np.iinfo(common).min
    out = []
    for s, n in zip(slices, nods):
        v = s.astype(common)
        if n is not None:
            v = v.where(s != n, sentinel)
        out.append(v.astype(common))
    return out, common.type(sentinel)


def _stack_years(lay: dict, name: str) -> xr.DataArray:
    years = sorted(lay)
    first = lay[years[0]]
    slices, nodata = _harmonize_nodata([lay[y] for y in years])
    da = xr.concat(slices, dim=pd.Index(years, name="time"), join="override", combine_attrs="override")
    if first.rio.crs is not None:
        da = da.rio.write_crs(first.rio.crs)
    da = da.rio.write_transform(first.rio.transform())
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    da.name = name
    return da


@dataclass
class RunResult:
    """What a run produced: the output folder, the files written, and the in-memory results."""

    out_dir: Path
    files: dict[str, Path]
    results: dict[str, Any]
    manifest: dict


@contextlib.contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None):
    """Use a dask.distributed client for the block: a running scheduler, or a local cluster of ``workers``."""
    if not workers and not scheduler:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def load_inputs(study: Study, *, chunks: int | None = None, manifest: Manifest | None = None) -> Context:
    """Read every layer, table and vector of a study and check that all layers share one grid."""
    ctx = Context(study=study)
    chunks = chunks or study.study.chunks
    scheme = study.study.class_scheme
    if scheme.lower().endswith(".csv"):
        scheme = str(study.resolve(scheme))
    flat = {}
    for lname, spec in study.layers.items():
        years = spec.files()
        loaded = {}
        for year, p in years.items():
            fp = study.resolve(p)
            label = lname if year is None else f"{lname}@{year}"
            da = read_raster(fp, kind=spec.kind, chunks=chunks, name=label)
            if not chunks:   # eager means eager: a damaged file fails here, named, not inside a step
                try:
                    da = da.load()
                except Exception as e:  # noqa: BLE001 - GDAL/rasterio read errors of many kinds
                    raise _read_error(label, fp, e) from None
            if spec.units:
                da.attrs["units"] = spec.units
            if spec.kind == "categorical" and not ({"class_labels", "class_scheme"} & set(da.attrs)):
                da.attrs["class_scheme"] = scheme   # categorical layers follow the study's land-use legend
            if manifest is not None:
                manifest.add_input(label, fp)
            loaded[year] = da
            flat[label] = da
        ctx.layers[lname] = loaded[None] if None in loaded else loaded
    template = study.template_name()
    if flat:
        tkey = next((k for k in flat if k.split("@")[0] == template), next(iter(flat)))
        check_same_grid(**{tkey: flat[tkey]}, **{k: v for k, v in flat.items() if k != tkey})
    for n, spec in study.tables.items():
        fp = study.resolve(spec.path)
        if not fp.is_file():
            raise InputError(message(f"tables.{n}", "a CSV file", f"{fp} is a folder" if fp.is_dir() else
                                     f"no file at {fp}", "point to the .csv file itself"))
        if manifest is not None:
            manifest.add_input(f"table:{n}", fp)
        try:
            ctx.tables[n] = pd.read_csv(fp, comment="#")
        except Exception as e:
            raise InputError(message(f"tables.{n}", "a readable CSV", f"{fp}: {e}", "save the table as UTF-8 CSV")) from None
    for n, spec in study.vectors.items():
        fp = study.resolve(spec.path)
        if manifest is not None:
            manifest.add_input(f"vector:{n}", fp)
        ctx.vectors[n] = read_vector(fp, name=f"vectors.{n}")
    return ctx


def _read_error(label: str, fp: Path, e: Exception) -> InputError:
    detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return InputError(message(f"layers.{label}" if not label.startswith("layers.") else label,
                              "a complete, readable raster", f"{fp}: the pixel data cannot be read ({detail[:200]})",
                              "re-export or re-download the file (`restoreplan validate` checks every file)"))


def _lazy_read_error(study: Study, e: Exception) -> InputError | None:
    """An InputError naming the input file behind a read error met while computing (chunked reads)."""
    import rasterio

    chain, x = [], e
    while x is not None and len(chain) < 6:
        chain.append(x)
        x = x.__cause__ or x.__context__
    text = " ".join(str(c) for c in chain)
    is_rio = any(isinstance(c, rasterio.errors.RasterioError) or "rasterio" in type(c).__module__ for c in chain)
    if not is_rio and not isinstance(e, OSError):
        return None
    files = [(lname if year is None else f"{lname}@{year}", study.resolve(p))
             for lname, spec in study.layers.items() for year, p in spec.files().items()]
    for label, fp in files:
        if str(fp) in text or fp.name in text:
            return _read_error(label, fp, e)
    if not is_rio:
        return None
    from ..io.raster import data_problem

    for label, fp in files:   # which file is damaged? the cheap block check tells
        try:
            with rasterio.open(fp) as src:
                bad = data_problem(src, fp)
        except Exception as oe:  # noqa: BLE001
            bad = str(oe)
        if bad:
            return _read_error(label, fp, RuntimeError(bad))
    return InputError(message("an input raster", "complete, readable raster files", f"a read error ({text[:200]})",
                              "run `restoreplan validate` on the study to find the damaged file"))


def input_plausibility(study: Study, ctx: Context) -> None:
    """Warn (:class:`PlausibilityWarning`) about inputs that would give silently wrong answers.

    * a layer (or one year of it) with no valid cell: every total would be 0;
    * a land-use layer (categorical, used by a step) holding codes the ``class_scheme`` does not define
      (layers that a ``reclassify`` step recodes follow their mapping's legend and are not checked);
    * a nodata value equal to a class code of the scheme (the cells of that class would vanish).
    Computes each layer once (a validity test; unique codes for land-use layers).
    """
    import dask

    from ..core.errors import implausible
    from ..core.legend import SCHEMES, ClassTable

    cs = study.study.class_scheme
    try:
        scheme = SCHEMES[cs] if cs in SCHEMES else ClassTable.from_csv(study.resolve(cs))
        codes = set(scheme.codes)
    except Exception:  # noqa: BLE001 - reported by validate_study
        scheme, codes = None, set()
    landuse, recoded = set(), set()   # a layer that is reclassified follows the mapping's legend, not the scheme
    for step in study.steps:
        try:
            spec = registry.get(step.method)
        except ConfigError:
            continue
        for inp in spec.inputs:
            doc = inp.doc.lower()
            is_lu = inp.kind == "categorical" or "lulc" in inp.name or any(
                w in doc for w in ("land use", "land-use", "land cover", "land-cover"))
            if is_lu and inp.name in step.inputs:
                for ref in (step.inputs[inp.name] if isinstance(step.inputs[inp.name], list) else [step.inputs[inp.name]]):
                    if isinstance(ref, str):
                        k, name, _ = parse_ref(ref)
                        if k in ("layer", "name") and name in study.layers and study.layers[name].kind == "categorical":
                            (recoded if step.method == "reclassify" else landuse).add(name)
    lazy, keys = [], []
    for lname, lay in ctx.layers.items():
        per = lay if isinstance(lay, dict) else {None: lay}
        for year, da in per.items():
            label = lname if year is None else f"{lname}@{year}"
            nod = da.rio.nodata
            if np.issubdtype(da.dtype, np.integer):
                valid = (da.data != nod) if nod is not None else None
            else:
                valid = np.isfinite(da.data)
            if valid is not None:
                lazy.append(valid.any())
                keys.append(("valid", label, lname, da))
            if lname in landuse and lname not in recoded and codes:
                if nod is not None and int(nod) in codes:
                    implausible(f"layers.{label}", f"a nodata value that is not a class code of `{cs}`",
                                f"nodata {int(nod)}, which is the code of '{scheme.label(int(nod))}' "
                                "(those cells are treated as no data)",
                                "set the file's nodata to an unused value (e.g. gdal_edit.py -a_nodata 255) "
                                "after recoding any true nodata cells to it")
                arr = da.data
                lazy.append(_unique_codes(np.asarray(arr)) if not hasattr(arr, "dask") else _dask_unique(arr))
                keys.append(("codes", label, lname, da))
    if not lazy:
        return
    vals = dask.compute(*lazy)
    for (what, label, lname, da), v in zip(keys, vals):
        if what == "valid" and not bool(v):
            implausible(f"layers.{label}", "a raster with valid cells",
                        f"only nodata in {da.attrs.get('source', label)} (nodata = {da.rio.nodata})",
                        "check the file and its nodata value; every result from it would be 0 or empty")
        elif what == "codes":
            nod = da.rio.nodata
            got = sorted(int(c) for c in np.asarray(v) if nod is None or c != nod)
            unknown = [c for c in got if c not in codes]
            if unknown:
                implausible(f"layers.{label}", f"class codes of the scheme `{cs}` ({sorted(codes)})",
                            f"code(s) {unknown[:12]} that `{cs}` does not define",
                            "reclassify the layer (method `reclassify`), set [study].class_scheme to the "
                            "map's legend, or give a class-table CSV with those codes")


def _unique_codes(arr: np.ndarray) -> np.ndarray:
    """Distinct values of an integer array (a bincount for ≤ 16-bit codes: no sort)."""
    if arr.dtype.itemsize <= 2 and arr.size:
        lo = int(np.iinfo(arr.dtype).min)
        counts = np.bincount((arr.ravel().astype(np.int32) - lo), minlength=1)
        return np.flatnonzero(counts) + lo
    return np.unique(arr)


def _dask_unique(arr):
    import dask.array as dska

    return dska.unique(arr)


def _check_kind(value, inp: registry.Input, step_id: str):
    if inp.kind in ("categorical", "continuous", "raster", "series"):
        if not isinstance(value, xr.DataArray):
            raise ConfigError(message(f"{step_id}.inputs.{inp.name}", f"a raster ({inp.kind})",
                                      type(value).__name__, "reference a raster layer or raster step output"))
        if inp.kind == "categorical" and not np.issubdtype(value.dtype, np.integer):
            raise ConfigError(message(f"{step_id}.inputs.{inp.name}", "a categorical (integer) raster",
                                      f"dtype {value.dtype}", "reference a categorical layer"))
        if inp.kind == "continuous" and not np.issubdtype(value.dtype, np.floating):
            raise ConfigError(message(f"{step_id}.inputs.{inp.name}", "a continuous (float) raster",
                                      f"dtype {value.dtype}", "reference a continuous layer"))
    elif inp.kind == "table" and not isinstance(value, pd.DataFrame):
        raise ConfigError(message(f"{step_id}.inputs.{inp.name}", "a table", type(value).__name__,
                                  "reference a table (table:NAME or package:NAME)"))
    elif inp.kind == "vector" and not isinstance(value, gpd.GeoDataFrame):
        raise ConfigError(message(f"{step_id}.inputs.{inp.name}", "a vector layer", type(value).__name__,
                                  "reference a vector (vector:NAME)"))


def _outputs_of(step_id: str, result) -> list[tuple[str, Any]]:
    """Flatten a step result into (name, object) pairs for writing."""
    if isinstance(result, dict):
        out = []
        for k, v in result.items():
            out += _outputs_of(f"{step_id}.{k}", v)
        return out
    if isinstance(result, xr.Dataset):
        return [(f"{step_id}.{k}", result[k]) for k in result.data_vars]
    return [(step_id, result)]


def write_output(name: str, obj, folder: Path, *, raster_format: str = "cog") -> list[Path]:
    """Write one result object; return the files written (nothing for unsupported objects)."""
    safe = name.replace("/", "_")
    files = []
    if isinstance(obj, xr.DataArray) and "y" in obj.dims and "x" in obj.dims:
        extra = [d for d in obj.dims if d not in ("y", "x")]
        driver = "COG" if raster_format == "cog" else "GTiff"
        # one GeoTIFF per combination of the other coordinates (year, service, ...), each streamed
        # chunk by chunk: ``{name}_{v1}_{v2}.tif``
        for values in itertools.product(*(obj[d].values for d in extra)):
            sl = obj.sel(dict(zip(extra, values))) if extra else obj
            if extra and obj.rio.crs is not None:
                sl = sl.rio.write_crs(obj.rio.crs)
            stem = "_".join([safe, *(str(v) for v in values)])
            files.append(write_raster(sl, folder / f"{stem}.tif", driver=driver))
    elif isinstance(obj, gpd.GeoDataFrame):
        files.append(write_gpkg(obj, folder / f"{safe}.gpkg"))
    elif isinstance(obj, pd.DataFrame):
        files.append(write_csv(obj, folder / f"{safe}.csv"))
    elif isinstance(obj, pd.Series):
        files.append(write_csv(obj.to_frame(), folder / f"{safe}.csv"))
    elif isinstance(obj, xr.DataArray):
        files.append(write_csv(obj.to_dataframe(name=safe), folder / f"{safe}.csv"))
    return files


def run_study(study: Study, out_dir: str | Path, *, chunks: int | None = None, workers: int | None = None,
              scheduler: str | None = None, seed: int | None = None, progress: bool = False,
              report: bool | None = None, command: str = "run", extra_report: dict | None = None,
              overwrite: bool = False, strict: bool = False, merge: bool = False) -> RunResult:
    """Validate and run a study; write outputs, ``manifest.json`` and (optionally) ``report.html``.

    Raises ``ConfigError`` with every problem when the study is invalid (nothing is written).
    ``out_dir`` must be new or empty; ``overwrite=True`` replaces an existing folder as a whole
    when the run succeeds (``merge=True``: keep files the run does not rewrite). Implausible inputs
    (:class:`PlausibilityWarning`: all nodata, values out of range, unknown codes) are warnings,
    recorded in the manifest; ``strict=True`` makes them errors (``DataError``, nothing written).
    """
    problems = validate_study(study)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the study; nothing was run", problems)
    seed = study.study.seed if seed is None else seed
    out_dir = Path(out_dir)
    manifest = Manifest(command=command, seed=seed, config=study.model_dump(mode="json"))
    files: dict[str, Path] = {}
    spill = _new_spill_dir(out_dir)
    with _removed_on_error(spill), atomic_dir(out_dir, overwrite=overwrite, merge=merge) as tmp, \
            dask_client(workers, scheduler), spill_to(spill):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if strict:
                warnings.simplefilter("error", PlausibilityWarning)
            with _as_study_errors(study):
                ctx = load_inputs(study, chunks=chunks, manifest=manifest)
                input_plausibility(study, ctx)
        manifest.data["input_warnings"] = _unique_warnings(caught)
        for w in manifest.data["input_warnings"]:
            warnings.warn(w["message"], _warning_class(w["category"]), stacklevel=2)

        def write(step, result):
            for name, obj in _outputs_of(step.step_id, result):
                for f in _write_checked(study, name, obj, tmp, study.outputs.raster_format):
                    files[f.name] = out_dir / f.name
                    manifest.add_output(f.name, out_dir / f.name, step=step.step_id)

        run_steps(study, ctx, manifest, seed=seed, strict=strict, progress=progress, on_result=write)
        do_report = study.outputs.report if report is None else report
        if do_report:
            from ..report import build_report

            t0 = time.perf_counter()
            rp_path = build_report(ctx, manifest, tmp, extra=extra_report)
            files["report.html"] = out_dir / rp_path.name
            manifest.data["report_seconds"] = round(time.perf_counter() - t0, 3)
        manifest.write(tmp)
        files["manifest.json"] = out_dir / "manifest.json"
    res = RunResult(out_dir=out_dir, files=files, results=ctx.results, manifest=manifest.data)
    # large lazy results read their checkpoints in the spill folder: it lives as long as the result
    weakref.finalize(res, shutil.rmtree, spill, True)
    return res


def run_steps(study: Study, ctx: Context, manifest: Manifest, *, seed: int, strict: bool = False,
              progress: bool = False, on_result=None) -> dict[str, Any]:
    """Execute the steps of ``study`` in order on ``ctx`` (its layers, tables, vectors and results).

    The one place a step runs: inputs are resolved and kind-checked, parameters validated (the
    study seed fills an unset ``seed``), the method is called and its result computed once
    (:func:`_materialize`), warnings are recorded in ``manifest`` and re-emitted once each, and
    ``on_result(step, result)`` (e.g. the writers of :func:`run_study`) is called inside the step's
    timing. Returns ``ctx.results``.
    """
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(study.steps), desc="steps", unit="step", leave=False)
    for step in study.steps:
        spec = registry.get(step.method)
        params = spec.params.model_validate(step.params)
        kwargs = {}
        with warnings.catch_warnings(record=True) as caught_inputs:  # e.g. an illustrative package table
            warnings.simplefilter("always")
            for inp in spec.inputs:
                if inp.name in step.inputs:
                    val = ctx.resolve(step.inputs[inp.name], inp.kind)
                    _check_kind(val, inp, step.step_id)
                    kwargs[inp.name] = val
        pdict = params.model_dump()
        if "seed" in spec.params.model_fields and "seed" not in step.params:
            pdict["seed"] = seed
        if bar is not None:
            bar.set_description(step.step_id)
        with manifest.step(step.step_id, step.method, _jsonable(pdict)) as rec:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if strict:
                    warnings.simplefilter("error", PlausibilityWarning)
                with _as_study_errors(study, where=f"[{step.step_id}] "):
                    result = spec.func(**kwargs, **pdict)
                    result = _materialize(result)
            rec["warnings"] = _unique_warnings(list(caught_inputs) + list(caught))
            for w in rec["warnings"]:  # re-emit once each, after recording them for the report
                warnings.warn(f"[{step.step_id}] {w['message']}", _warning_class(w["category"]), stacklevel=2)
            ctx.results[step.step_id] = result
            if on_result is not None and step.write:
                on_result(step, result)
            rec["outputs"] = sorted(n for n, _ in _outputs_of(step.step_id, result))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return ctx.results


def run_in_memory(steps: list[dict], data: dict[str, Any], *, seed: int = 0, name: str = "chain"):
    """Run study steps (``[[steps]]`` entries as dicts) on in-memory ``data`` with :func:`run_steps`.

    ``data`` maps names to rasters, tables, vectors or mappings of them; the steps reference them by
    name, as they reference earlier steps. Nothing is read or written; results are computed as in a
    study run (inside a run's spill folder when one is open). Returns the step results (``data``
    left out) and the :class:`~restoreplan.core.provenance.Manifest` (seconds and warnings per step).
    """
    from pydantic import ValidationError

    from ..core.wording import validation_problems
    from .config import StepSpec, StudyInfo

    study = Study(study=StudyInfo(name=name, seed=seed), steps=[StepSpec(**s) for s in steps])
    problems = []
    for step in study.steps:   # every parameter problem at once, as validate_study reports them
        spec = registry.get(step.method)
        try:
            spec.params.model_validate(step.params)
        except ValidationError as e:
            problems += validation_problems(e, prefix=f"{name}: {step.step_id}.params", model=spec.params,
                                            fix=f"see `restoreplan describe {step.method}`")
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the parameters of {name}", problems)
    ctx = Context(study=study, results=dict(data))
    manifest = Manifest(command=name, seed=seed)
    run_steps(study, ctx, manifest, seed=seed)
    return {k: v for k, v in ctx.results.items() if k not in data}, manifest


def _new_spill_dir(out_dir: Path) -> Path:
    """A fresh folder for the run's checkpoints (chunk stores) in the temporary folder (``TMPDIR``)."""
    return Path(tempfile.mkdtemp(prefix=f"restoreplan-spill-{out_dir.name}-"))


@contextlib.contextmanager
def _removed_on_error(folder: Path):
    """Remove ``folder`` when the block raises (a failed run leaves no checkpoints behind)."""
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


@contextlib.contextmanager
def _as_study_errors(study, where: str = ""):
    """A plausibility warning made an error by ``--strict`` becomes a :class:`DataError` saying so;
    a damaged file met while reading lazily becomes an ``InputError`` naming it; restoreplan's
    own errors pass through unchanged."""
    try:
        yield
    except PlausibilityWarning as w:
        raise _strict_error(f"{where}{w}") from None
    except RestorePlanError:
        raise
    except Exception as e:  # noqa: BLE001
        err = _lazy_read_error(study, e)
        if err is None:
            raise
        raise err from None


def _strict_error(text: str) -> DataError:
    e = DataError(f"{text} (an error because of --strict)")
    return e


def _write_checked(study: Study, name: str, obj, folder: Path, raster_format: str) -> list[Path]:
    """write_output, with read errors of lazily read inputs turned into an InputError naming the file
    (and, under --strict, a plausibility warning met while a lazy result is written into an error)."""
    with _as_study_errors(study, where=f"[{name}] "):
        return write_output(name, obj, folder, raster_format=raster_format)


IN_MEMORY_LIMIT_BYTES = 256 * 1024**2   # a step result this small is computed and kept in memory


def _materialize(result, limit_bytes: int = IN_MEMORY_LIMIT_BYTES):
    """Compute a step's lazy outputs together, once, so that writing them and later steps reuse them.

    Up to ``limit_bytes`` in all they are persisted in memory (``dask.persist``); larger results are
    written chunk by chunk to checkpoints in the run's spill folder and read back lazily
    (:func:`restoreplan.core.chunked.checkpoint`), so memory stays at a few chunks per thread.
    """
    from ..core.chunked import _leaves, checkpoint

    leaves = _leaves(result, [])
    if not leaves:
        return result
    if sum(x.nbytes for x in leaves) <= limit_bytes:
        return checkpoint(result, limit_bytes=limit_bytes, spill=False)
    return checkpoint(result)


def _unique_warnings(caught) -> list[dict]:
    seen, out = set(), []
    for w in caught:
        if not issubclass(w.category, (UserWarning, RuntimeWarning)):
            continue  # library deprecation notices are not results
        key = (w.category.__name__, str(w.message))
        if key not in seen:
            seen.add(key)
            out.append({"category": w.category.__name__, "message": str(w.message)})
    return out


def _warning_class(name: str):
    from ..core import errors

    cls = getattr(errors, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, Warning) else UserWarning


def _jsonable(d):
    import json

    return json.loads(json.dumps(d, default=str))
