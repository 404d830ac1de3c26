"""The runner: load a study's inputs, check grids, execute its steps, write outputs, manifest and report.

Everything is written into a temporary folder that replaces the output folder's content only
when the whole run succeeds (``rp.io.atomic_dir``): a failing step leaves no output behind.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, InputError, message
from ..core.grid import check_same_grid
from ..core.provenance import Manifest
from ..io import atomic_dir, read_raster, read_vector, write_csv, write_gpkg, write_raster
from . import registry
from .config import Study, parse_ref, validate_study

__all__ = ["run_study", "RunResult", "Context", "dask_client"]

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
        if manifest is not None:
            manifest.add_input(f"table:{n}", fp)
        try:
            ctx.tables[n] = pd.read_csv(fp, comment="#")
        except Exception as e:
            raise InputError(message(f"tables.{n}", "a readable CSV", f"{fp}: {e}", "save the table as UTF-8 CSV")) from e
    for n, spec in study.vectors.items():
        fp = study.resolve(spec.path)
        if manifest is not None:
            manifest.add_input(f"vector:{n}", fp)
        ctx.vectors[n] = read_vector(fp, name=f"vectors.{n}")
    return ctx


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
        if not extra:
            files.append(write_raster(obj, folder / f"{safe}.tif", driver="COG" if raster_format == "cog" else "GTiff"))
        elif len(extra) == 1:
            d = extra[0]
            for v in obj[d].values:
                sl = obj.sel({d: v})
                sl = sl.rio.write_crs(obj.rio.crs) if obj.rio.crs is not None else sl
                files.append(write_raster(sl, folder / f"{safe}_{v}.tif",
                                          driver="COG" if raster_format == "cog" else "GTiff"))
        else:
            files.append(_write_netcdf(obj, folder / f"{safe}.nc"))
    elif isinstance(obj, gpd.GeoDataFrame):
        files.append(write_gpkg(obj, folder / f"{safe}.gpkg"))
    elif isinstance(obj, pd.DataFrame):
        files.append(write_csv(obj, folder / f"{safe}.csv"))
    elif isinstance(obj, pd.Series):
        files.append(write_csv(obj.to_frame(), folder / f"{safe}.csv"))
    elif isinstance(obj, xr.DataArray):
        files.append(write_csv(obj.to_dataframe(name=safe), folder / f"{safe}.csv"))
    return files


def _write_netcdf(obj: xr.DataArray, path: Path) -> Path:
    from ..io import atomic_path

    with atomic_path(path) as tmp:
        obj.drop_vars("spatial_ref", errors="ignore").to_netcdf(tmp)
    return path


def run_study(study: Study, out_dir: str | Path, *, chunks: int | None = None, workers: int | None = None,
              scheduler: str | None = None, seed: int | None = None, progress: bool = False,
              report: bool | None = None, command: str = "run", extra_report: dict | None = None) -> RunResult:
    """Validate and run a study; write outputs, ``manifest.json`` and (optionally) ``report.html``.

    Raises ``ConfigError`` with every problem when the study is invalid (nothing is written).
    """
    problems = validate_study(study)
    if problems:
        raise ConfigError(f"{len(problems)} problem(s) in the study; nothing was run", problems)
    seed = study.study.seed if seed is None else seed
    out_dir = Path(out_dir)
    manifest = Manifest(command=command, seed=seed, config=study.model_dump(mode="json"))
    files: dict[str, Path] = {}
    with dask_client(workers, scheduler), atomic_dir(out_dir) as tmp:
        ctx = load_inputs(study, chunks=chunks, manifest=manifest)
        steps = study.steps
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(steps), desc="steps", unit="step", leave=False)
        for step in steps:
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
                    result = spec.func(**kwargs, **pdict)
                result = _materialize(result)
                rec["warnings"] = _unique_warnings(list(caught_inputs) + list(caught))
                for w in rec["warnings"]:  # re-emit once each, after recording them for the report
                    warnings.warn(f"[{step.step_id}] {w['message']}", _warning_class(w["category"]), stacklevel=2)
                ctx.results[step.step_id] = result
                if step.write:
                    for name, obj in _outputs_of(step.step_id, result):
                        for f in write_output(name, obj, tmp, raster_format=study.outputs.raster_format):
                            files[f.name] = out_dir / f.name
                            manifest.add_output(f.name, out_dir / f.name, step=step.step_id)
                rec["outputs"] = sorted(n for n, _ in _outputs_of(step.step_id, result))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        do_report = study.outputs.report if report is None else report
        if do_report:
            from ..report import build_report

            t0 = time.perf_counter()
            rp_path = build_report(ctx, manifest, tmp, extra=extra_report)
            files["report.html"] = out_dir / rp_path.name
            manifest.data["report_seconds"] = round(time.perf_counter() - t0, 3)
        manifest.write(tmp)
        files["manifest.json"] = out_dir / "manifest.json"
    return RunResult(out_dir=out_dir, files=files, results=ctx.results, manifest=manifest.data)


PERSIST_LIMIT_BYTES = 4 * 1024**3


def _dask_leaves(obj, acc):
    if isinstance(obj, dict):
        for v in obj.values():
            _dask_leaves(v, acc)
    elif isinstance(obj, (xr.DataArray, xr.Dataset)) and obj.chunks:
        acc.append(obj)
    return acc


def _replace(obj, mapping):
    if isinstance(obj, dict):
        return {k: _replace(v, mapping) for k, v in obj.items()}
    return mapping.get(id(obj), obj)


def _materialize(result, limit_bytes: int = PERSIST_LIMIT_BYTES):
    """Compute a step's lazy outputs together, once (``dask.persist``), when they fit in ``limit_bytes``.

    Without this, writing N outputs of one step, and every later step referencing them, would
    recompute the shared upstream graph N times. Larger results stay lazy and stream to disk.
    """
    import dask

    leaves = _dask_leaves(result, [])
    if not leaves or sum(x.nbytes for x in leaves) > limit_bytes:
        return result
    done = dask.persist(*leaves)
    return _replace(result, {id(a): b for a, b in zip(leaves, done)})


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
