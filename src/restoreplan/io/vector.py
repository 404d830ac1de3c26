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

__all__ = ["read_vector", "rasterize", "write_gpkg", "write_csv"]


def read_vector(path: str | os.PathLike, *, name: str | None = None, to_crs=None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, shapefile, GeoJSON, GeoParquet) as a GeoDataFrame."""
    path = Path(path)
    name = name or path.stem
    if not path.exists():
        raise InputError(message(name, "an existing vector file", f"no file at {path}", "check the path"))
    try:
        if path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path, engine="pyogrio")
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
