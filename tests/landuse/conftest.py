"""Synthetic rasters for the land-use tests (small grids on EPSG:32649, 30 m cells)."""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr


def make_raster(arr, *, nodata=None, res=30.0, crs="EPSG:32649") -> xr.DataArray:
    """Wrap a (y, x) array on a 30 m grid with its upper-left corner at (500000, 3400000)."""
    arr = np.asarray(arr)
    ny, nx = arr.shape
    x = 500000.0 + res * (np.arange(nx) + 0.5)
    y = 3400000.0 - res * (np.arange(ny) + 0.5)
    da = xr.DataArray(arr, dims=("y", "x"), coords={"y": y, "x": x})
    da = da.rio.write_crs(crs)
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    return da


@pytest.fixture(scope="session")
def synthetic_pair():
    """A 60×60 landscape: class 1 (crop) with a built-up core (2) that grows outward, water (3)
    strip on the left, nodata corner; drivers: distance to the core and a noise layer.

    Returns (start, end, drivers, water_constraint). The end map grows the core into cells with
    distance < 12 cells and adds class 2 along a 'road' column x = 45 (a driver: distance to road).
    """
    rng = np.random.default_rng(42)
    ny = nx = 60
    yy, xx = np.mgrid[0:ny, 0:nx]
    d_core = np.hypot(yy - 30, xx - 30)
    start = np.ones((ny, nx), np.uint8)
    start[d_core < 7] = 2
    start[:, :5] = 3
    start[:4, -4:] = 255  # nodata corner
    end = start.copy()
    grow = (d_core < 12) & (start == 1)
    end[grow] = 2
    road = np.abs(xx - 45) <= 1
    end[road & (start == 1) & (rng.random((ny, nx)) < 0.6)] = 2
    end[:4, -4:] = 255
    drivers = xr.Dataset({
        "dist_core": make_raster((d_core * 30).astype(np.float32)),
        "dist_road": make_raster((np.abs(xx - 45) * 30.0).astype(np.float32)),
        "noise": make_raster(rng.random((ny, nx)).astype(np.float32)),
    })
    water = np.ones((ny, nx), np.uint8)
    water[:, :5] = 0
    return (make_raster(start, nodata=255), make_raster(end, nodata=255), drivers,
            make_raster(water, nodata=255))
