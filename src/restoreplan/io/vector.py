"""Vectors: read with pyogrio (through geopandas), rasterize onto a grid, write GeoPackage/CSV atomically."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from rasterio import features

from ..core.errors import InputError, message
from .atomic import atomic_path

__all__ = ["rasterize", "read_points_csv", "read_vector", "write_csv", "write_gpkg"]


_LONLAT = (("lon", "lat"), ("longitude", "latitude"), ("lng", "lat"))


def read_points_csv(path: str | os.PathLike, *, name: str | None = None, x: str | None = None,
                    y: str | None = None, crs="EPSG:4326") -> gpd.GeoDataFrame:
    """Read a CSV of points: one row per point, coordinates in two columns, other columns kept.

    Without ``x``/``y`` the columns ``lon``/``lat`` (or ``longitude``/``latitude``, ``lng``/``lat``;
    any case) are used as WGS 84 degrees (EPSG:4326). Give ``x``, ``y`` and ``crs`` for projected
    coordinates. InputError when the columns are missing, a coordinate is empty or not a number, or
    a longitude/latitude is out of range.
    """
    path = Path(path)
    name = name or path.stem
    try:
        df = pd.read_csv(path, comment="#")
    except Exception as e:
        raise InputError(message(name, "a readable CSV", f"{path}: {e}", "save the table as UTF-8 CSV")) from e
    if x is None or y is None:
        low = {str(c).strip().lower(): c for c in df.columns}
        pair = next(((low[a], low[b]) for a, b in _LONLAT if a in low and b in low), None)
        if pair is None:
            raise InputError(message(name, "a CSV of points with lon and lat columns (WGS 84 degrees)",
                                     f"columns {list(df.columns)}",
                                     "name the coordinate columns lon and lat, or convert the file to GeoPackage"))
        x, y = pair
        crs = "EPSG:4326"
    for c in (x, y):
        if c not in df.columns:
            raise InputError(message(name, f"a coordinate column {c!r}", f"columns {list(df.columns)}",
                                     "pass the names of the coordinate columns"))
    xs = pd.to_numeric(df[x], errors="coerce")
    ys = pd.to_numeric(df[y], errors="coerce")
    bad = (xs.isna() | ys.isna()).to_numpy()
    if bad.any():
        rows = (np.flatnonzero(bad) + 2).tolist()[:5]  # +2: header line, 1-based
        raise InputError(message(name, f"a number in {x!r} and {y!r} on every row",
                                 f"{int(bad.sum())} empty or non-numeric coordinate(s), e.g. on line(s) {rows}",
                                 "fix or delete those rows"))
    if str(crs).upper() == "EPSG:4326" and ((xs.abs() > 180).any() or (ys.abs() > 90).any()):
        raise InputError(message(name, "longitudes in [-180, 180] and latitudes in [-90, 90]",
                                 f"{x} {xs.min():g}…{xs.max():g}, {y} {ys.min():g}…{ys.max():g}",
                                 "check that the columns are not swapped or projected metres"))
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xs, ys), crs=crs)


def read_vector(path: str | os.PathLike, *, name: str | None = None, to_crs=None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, shapefile, GeoJSON, GeoParquet; CSV of lon/lat points) as a GeoDataFrame.

    A ``.csv`` is read by :func:`read_points_csv` (columns ``lon``/``lat``, WGS 84).
    """
    path = Path(path)
    name = name or path.stem
    if not path.exists():
        raise InputError(message(name, "an existing vector file", f"no file at {path}", "check the path"))
    try:
        if path.suffix.lower() == ".csv":
            gdf = read_points_csv(path, name=name)
        elif path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
    except InputError:
        raise
    except Exception as e:  # pyogrio raises several unrelated types
        raise InputError(message(name, "a readable vector file", f"{path}: {e}", "convert it to GeoPackage")) from e
    if to_crs is not None:
        if gdf.crs is None:
            raise InputError(message(name, "a vector layer with a CRS", "no CRS", "set one with gdf.set_crs(...)"))
        gdf = gdf.to_crs(to_crs)
    return gdf


def rasterize(gdf: gpd.GeoDataFrame, *, like: xr.DataArray, value: str | float = 1.0,
              fill: float = 0.0, all_touched: bool = False, dtype="float32", name: str = "rasterized") -> xr.DataArray:
    """Burn geometries onto the grid of ``like`` (reprojecting the vector, never the raster)."""
    if gdf.crs is not None and like.rio.crs is not None and gdf.crs != like.rio.crs:
        gdf = gdf.to_crs(like.rio.crs)
    shape = (like.sizes["y"], like.sizes["x"])
    if isinstance(value, str):
        shapes = ((g, v) for g, v in zip(gdf.geometry, gdf[value]) if g is not None and not g.is_empty)
    else:
        shapes = ((g, value) for g in gdf.geometry if g is not None and not g.is_empty)
    arr = features.rasterize(shapes, out_shape=shape, transform=like.rio.transform(), fill=fill,
                             all_touched=all_touched, dtype=dtype)
    out = xr.DataArray(arr, dims=("y", "x"), coords={"y": like.y, "x": like.x}, name=name)
    out = out.rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform())
    return out


def write_gpkg(gdf: gpd.GeoDataFrame, path: str | os.PathLike, *, layer: str | None = None) -> Path:
    """Write a GeoDataFrame to a GeoPackage atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        gdf.to_file(tmp, driver="GPKG", layer=layer or path.stem, engine="pyogrio")
    return path


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> Path:
    """Write a DataFrame as UTF-8 CSV atomically."""
    path = Path(path)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=index, encoding="utf-8")
    return path


def points_to_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) array of point coordinates (polygon centroids for non-point geometry)."""
    geom = gdf.geometry
    if not (geom.geom_type == "Point").all():
        geom = geom.centroid
    return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])
