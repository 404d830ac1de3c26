"""InVEST compatibility: read an InVEST datastack (``args.json``), run a model, write InVEST's file names.

Supported models: ``carbon``, ``habitat_quality``, ``annual_water_yield`` (InVEST 3.20 argument names).

* ``load_args(path, key="args")`` — the datastack JSON's ``args`` object (other top-level keys are
  ignored). Relative paths are relative to the JSON file; threat raster paths are relative to the
  threats table (as InVEST). Optional arguments may be absent, ``""`` or ``null``.
* Rasters are aligned as InVEST aligns them (nearest neighbour): habitat quality onto the current
  LULC's bounding box with its smallest pixel size; water yield onto the intersection of all input
  rasters and the watersheds' bounding box, snapped to the LULC grid; carbon requires equal grids.
* Outputs use InVEST's names and nodata values (``quality_c.tif`` …, ``c_storage_bas.tif`` …,
  ``wyield.tif`` …) with ``results_suffix`` (``_`` prepended unless present), flat in the output
  folder. Everything is written into a temporary folder that replaces the output only when the whole
  run succeeds (``rp.io.atomic_dir``). ``fast=True`` writes tiled GeoTIFF with light compression
  (ZSTD level 1); ``fast=False`` writes COGs through ``rp.io.write_raster``.
"""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
import xarray as xr
from affine import Affine

from ..core.errors import ConfigError, InputError, message
from ..io import atomic_dir, atomic_path, read_vector, write_raster
from ._fast import close_to

__all__ = [
    "F32_MAX",
    "F32_MIN",
    "Grid",
    "Raster",
    "RasterWriter",
    "as_dataarray",
    "load_args",
    "read_band",
    "read_many",
    "results_suffix",
    "warp_nearest",
]

F32_MAX = float(np.finfo(np.float32).max)
F32_MIN = float(np.finfo(np.float32).min)


# ------------------------------------------------------------------------------------------- args
def load_args(path: str | os.PathLike, *, key: str = "args") -> tuple[dict, Path]:
    """Read a datastack JSON and return (args with absolute paths, folder of the JSON)."""
    path = Path(path)
    if not path.exists():
        raise InputError(message("ARGS.json", "an existing InVEST datastack JSON", f"no file at {path}", "check the path"))
    if path.is_dir():
        raise InputError(message("ARGS.json", "an InVEST datastack JSON file", f"{path} is a folder",
                                 "pass the .json file itself"))
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(message("ARGS.json", "a UTF-8 JSON file", f"{path} is not UTF-8 text",
                                  "save the datastack as UTF-8")) from None
    except json.JSONDecodeError as e:
        raise ConfigError(message("ARGS.json", "valid JSON", f"{path}: {e}", "fix the JSON syntax")) from None
    if not isinstance(doc, dict) or not isinstance(doc.get(key), dict):
        keys = list(doc) if isinstance(doc, dict) else type(doc).__name__
        raise ConfigError(message("ARGS.json", f"an object with an `{key}` object (InVEST datastack)", f"keys {keys}",
                                  "save the datastack from InVEST, or choose the key with --args-key"))
    base = path.resolve().parent
    args = {}
    for k, v in doc[key].items():
        if isinstance(v, str):
            v = v.strip()
            if v == "":
                continue
            if k.endswith("_path"):
                p = Path(os.path.expanduser(v))
                v = str(p if p.is_absolute() else (base / p))
        elif v is None:
            continue
        args[k] = v
    return args, base


def results_suffix(args: dict) -> str:
    """InVEST's suffix rule: ``""`` or ``"_" + suffix`` (an existing leading underscore is kept)."""
    s = str(args.get("results_suffix", "") or "").strip()
    return s if (not s or s.startswith("_")) else "_" + s


def flag(args: dict, key: str) -> bool:
    """A boolean argument (JSON true/false, or "true"/"1"/"yes")."""
    v = args.get(key, False)
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1", "yes", "y")
    return bool(v)


def number(args: dict, key: str, problems: list[str]) -> float | None:
    """A numeric argument; appends a four-part message to ``problems`` when missing/not numeric."""
    if key not in args:
        problems.append(message(key, "a number", "nothing", f"add `{key}` to the args"))
        return None
    try:
        return float(args[key])
    except (TypeError, ValueError):
        problems.append(message(key, "a number", repr(args[key]), f"give `{key}` as a number"))
        return None


def require(args: dict, keys, problems: list[str]) -> None:
    """Append a message for every required argument that is absent."""
    for k in keys:
        if k not in args:
            problems.append(message(k, "a value (required InVEST argument)", "nothing", f"add `{k}` to the args"))
        elif k.endswith("_path") and not Path(args[k]).exists():
            problems.append(message(k, "an existing file", f"no file at {args[k]}",
                                    "check the path (relative paths are relative to the JSON file)"))


def raise_problems(problems: list[str], what: str) -> None:
    """Raise one ConfigError carrying every problem, if any."""
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problem(s) in the {what} args",
                          problems)


def read_table(path: str | os.PathLike, *, name: str) -> pd.DataFrame:
    """Read an InVEST CSV (separator sniffed, BOM tolerated, headers stripped and lower-cased)."""
    try:
        df = pd.read_csv(path, encoding="utf-8-sig", index_col=False)
        if df.shape[1] == 1 and any(ch in str(df.columns[0]) for ch in ";\t|"):
            df = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig", index_col=False)
    except FileNotFoundError as e:
        raise InputError(message(name, "an existing CSV table", f"no file at {path}", "check the path")) from e
    except Exception as e:  # pandas raises several parser errors
        raise ConfigError(message(name, "a readable CSV table", f"{path}: {e}", "save it as comma-separated UTF-8")) from e
    df.columns = [str(c).strip().lower() for c in df.columns]
    df = df.dropna(how="all").dropna(axis=1, how="all")
    return df


# ------------------------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class Grid:
    """Affine transform, (rows, cols) shape and CRS of a raster."""

    transform: Affine
    shape: tuple[int, int]
    crs: object

    @property
    def bounds(self) -> list[float]:
        """[minx, miny, maxx, maxy]."""
        t, (r, c) = self.transform, self.shape
        xs, ys = (t.c, t.c + t.a * c), (t.f, t.f + t.e * r)
        return [min(xs), min(ys), max(xs), max(ys)]

    def same_as(self, other: Grid) -> bool:
        if self.shape != other.shape or (self.crs != other.crs and other.crs is not None and self.crs is not None):
            return False
        scale = max(abs(self.transform.a), 1e-12)
        return np.allclose(np.array(self.transform[:6]), np.array(other.transform[:6]), rtol=0, atol=1e-6 * scale)


@dataclass
class Raster:
    """One band read as stored (native dtype), with its grid and nodata."""

    data: np.ndarray
    grid: Grid
    nodata: float | int | None
    path: str


def read_band(path: str | os.PathLike, *, name: str) -> Raster:
    """Read band 1 of a raster with its native dtype."""
    from ..core.errors import implausible
    from ..io.raster import crs_unit_problem

    if not Path(path).exists():
        raise InputError(message(name, "an existing raster", f"no file at {path}", "check the path"))
    if Path(path).is_dir():
        raise InputError(message(name, "a raster file", f"{path} is a folder", "point to the raster file itself"))
    try:
        with rasterio.open(path) as src:
            arr = src.read(1)
            grid = Grid(src.transform, (src.height, src.width), src.crs)
            nod = src.nodata
    except (rasterio.errors.RasterioError, OSError) as e:
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        size = Path(path).stat().st_size
        raise InputError(message(name, "a complete GDAL-readable raster (e.g. GeoTIFF)",
                                 f"{path}: " + ("an empty (0-byte) file" if size == 0 else f"unreadable ({detail[:160]})"),
                                 "re-export or re-download the file")) from None
    unit = crs_unit_problem(grid.crs)
    if unit:
        raise InputError(message(name, "a projected CRS in metres (InVEST distances and areas are in metres)", unit,
                                 "reproject the raster to a metre-based CRS, e.g. gdalwarp -t_srs EPSG:326NN"))
    if nod is not None and np.issubdtype(arr.dtype, np.integer):
        nod = int(nod) if float(nod).is_integer() else nod
    if np.issubdtype(arr.dtype, np.floating):
        valid = np.isfinite(arr) if nod is None or (isinstance(nod, float) and math.isnan(nod)) else \
            np.isfinite(arr) & ~close_to(arr, nod)
    else:
        valid = arr != nod if nod is not None else np.ones(arr.shape, bool)
    if not valid.any():
        implausible(name, "a raster with valid cells", f"only nodata in {path} (nodata = {nod})",
                    "check the file and its nodata value; every result from it would be empty")
    return Raster(arr, grid, nod, str(path))


def warp_grid(bbox, pixel_size: tuple[float, float], crs) -> Grid:
    """InVEST/pygeoprocessing warp sizing: cells = int(extent/size), +1 unless the residual is ~0."""
    px, py = abs(pixel_size[0]), abs(pixel_size[1])
    nx = int(abs((bbox[2] - bbox[0]) / px))
    if not np.isclose(abs(nx * px) - (bbox[2] - bbox[0]), 0.0):
        nx += 1
    ny = int(abs((bbox[3] - bbox[1]) / py))
    if not np.isclose(abs(ny * py) - (bbox[3] - bbox[1]), 0.0):
        ny += 1
    nx, ny = max(nx, 1), max(ny, 1)
    top = bbox[1] + py * ny
    return Grid(Affine(px, 0.0, bbox[0], 0.0, -py, top), (ny, nx), crs)


def warp_nearest(src: Raster, grid: Grid) -> np.ndarray:
    """Nearest-neighbour resampling of ``src`` onto ``grid`` (pixel centres; nodata outside)."""
    if src.grid.same_as(grid):
        return src.data
    fill = src.nodata if src.nodata is not None else 0
    if src.grid.crs is not None and grid.crs is not None and src.grid.crs != grid.crs:
        from rasterio.warp import Resampling, reproject

        out = np.full(grid.shape, fill, dtype=src.data.dtype)
        reproject(src.data, out, src_transform=src.grid.transform, src_crs=src.grid.crs, src_nodata=src.nodata,
                  dst_transform=grid.transform, dst_crs=grid.crs, dst_nodata=src.nodata,
                  resampling=Resampling.nearest)
        return out
    st, dt = src.grid.transform, grid.transform
    cx = dt.c + dt.a * (np.arange(grid.shape[1]) + 0.5)
    cy = dt.f + dt.e * (np.arange(grid.shape[0]) + 0.5)
    cols = np.floor((cx - st.c) / st.a).astype(np.int64)
    rows = np.floor((cy - st.f) / st.e).astype(np.int64)
    okc = (cols >= 0) & (cols < src.grid.shape[1])
    okr = (rows >= 0) & (rows < src.grid.shape[0])
    out = src.data[np.clip(rows, 0, src.grid.shape[0] - 1)[:, None], np.clip(cols, 0, src.grid.shape[1] - 1)[None, :]]
    if not (okc.all() and okr.all()):
        out = out.copy()
        out[~okr, :] = fill
        out[:, ~okc] = fill
    return out


def as_dataarray(arr: np.ndarray, grid: Grid, *, nodata=None, name: str = "raster", georef: bool = True) -> xr.DataArray:
    """Wrap a numpy array as a (y, x) DataArray with the grid's CRS/transform and ``.rio.nodata``.

    ``georef=False`` skips writing CRS/transform (coordinates only; cheaper for internal layers).
    """
    t, (r, c) = grid.transform, grid.shape
    da = xr.DataArray(arr, dims=("y", "x"),
                      coords={"y": t.f + t.e * (np.arange(r) + 0.5), "x": t.c + t.a * (np.arange(c) + 0.5)},
                      name=name)
    if georef:
        if grid.crs is not None:
            da.rio.write_crs(grid.crs, inplace=True)
        da.rio.write_transform(t, inplace=True)
    if nodata is not None or np.issubdtype(arr.dtype, np.integer):
        da.rio.write_nodata(nodata, encoded=False, inplace=True)
    return da


def to_float(r: Raster, arr: np.ndarray | None = None) -> np.ndarray:
    """Float copy with NaN where ``isclose(value, nodata)`` (InVEST's nodata test).

    Integers become the float type numpy would promote them to next to float32 (≤16-bit → float32,
    wider → float64), so InVEST's mixed-dtype arithmetic is reproduced.
    """
    a = r.data if arr is None else arr
    if np.issubdtype(a.dtype, np.floating):
        out = a.astype(a.dtype, copy=True)
    else:
        out = a.astype(np.result_type(a.dtype, np.float32))
    if r.nodata is not None and not (isinstance(r.nodata, float) and math.isnan(r.nodata)):
        out[close_to(a, r.nodata)] = np.nan
    return out


def read_many(items: dict[str, str], *, names: dict[str, str] | None = None) -> dict[str, Raster]:
    """Read several rasters concurrently (GDAL decompression releases the GIL)."""
    from ._fast import parallel_map

    keys = list(items)
    res = parallel_map(lambda k: read_band(items[k], name=(names or {}).get(k, k)), keys)
    return dict(zip(keys, res))


# ------------------------------------------------------------------------------------------- writer
class RasterWriter:
    """Write rasters into a (temporary) folder: fast tiled GeoTIFF or COG, with explicit nodata."""

    def __init__(self, folder: Path, *, fast: bool = True):
        self.folder = Path(folder)
        self.fast = fast
        self.written: list[Path] = []

    def write(self, filename: str, arr: np.ndarray, grid: Grid, nodata) -> Path:
        path = self.folder / filename
        if self.fast:
            profile = {"driver": "GTiff", "width": grid.shape[1], "height": grid.shape[0], "count": 1,
                       "dtype": arr.dtype, "crs": grid.crs, "transform": grid.transform, "nodata": nodata,
                       "tiled": True, "blockxsize": 256, "blockysize": 256, "compress": "ZSTD", "zstd_level": 1,
                       "BIGTIFF": "IF_SAFER"}
            if arr.dtype.itemsize >= 4 and np.issubdtype(arr.dtype, np.floating):
                profile["predictor"] = 1
            with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
                dst.write(arr, 1)
        else:
            da = as_dataarray(arr, grid, name=Path(filename).stem)
            da = da.rio.write_nodata(nodata, encoded=False)
            write_raster(da, path)
        self.written.append(path)
        return path

    def write_many(self, items: list[tuple[str, np.ndarray, Grid, float]]) -> list[Path]:
        """Write several rasters concurrently (compression runs in GDAL without the GIL)."""
        from ._fast import parallel_map

        if len(items) < 2 or not self.fast:
            return [self.write(*it) for it in items]
        return parallel_map(lambda it: self.write(*it), items)

    def write_text(self, filename: str, text: str) -> Path:
        path = self.folder / filename
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8", newline="")
        self.written.append(path)
        return path


def encode(arr: np.ndarray, nodata: float, dtype=np.float32) -> np.ndarray:
    """NaN → InVEST nodata value, cast to ``dtype``."""
    out = np.asarray(arr, dtype=dtype)
    bad = np.isnan(out)
    if bad.any():
        out = out.copy()
        out[bad] = nodata
    return out


def csv_text(rows: list[list], header: list[str]) -> str:
    """CSV text (``\\r\\n`` line ends like Python's csv module)."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def output_folder(out_dir, *, overwrite: bool = False):
    """Context manager: a temporary folder that becomes ``out_dir`` only on success (new or empty
    ``out_dir``, or ``overwrite=True`` to replace it whole; see :func:`restoreplan.io.atomic_dir`)."""
    return atomic_dir(out_dir, overwrite=overwrite)


def read_vector_any(path, *, name: str):
    """Read a vector layer (shapefile, GeoPackage, ...)."""
    return read_vector(path, name=name)
