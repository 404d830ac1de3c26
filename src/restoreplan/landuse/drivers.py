"""Driver layers for land-expansion analysis, derived from a DEM and a start land-use map.

Every function returns a float32 DataArray on the input grid (NaN = nodata) with ``units``, ready
to be stacked into the ``xr.Dataset`` of drivers that :class:`~restoreplan.landuse.LandUseSimulator`
takes. Distances are Euclidean, in metres, from each cell centre to the nearest cell of the target
(exact Euclidean distance transform, Maurer et al. 2003 as implemented in scipy.ndimage).
These helpers compute their inputs (they need whole maps).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import numpy as np
import xarray as xr

from ..core.errors import DataError, message
from ..core.finalize import like_raster
from ..core.grid import require_projected
from ..core.validate import check_aligned, check_raster
from ..core.compute import materialize
from ._common import as_codes

__all__ = [
    "distance_to_classes",
    "distance_to_mask",
    "distance_to_roads",
    "slope_degrees",
    "soil_codes",
]


def _res(da: xr.DataArray) -> tuple[float, float]:
    t = da.rio.transform()
    return abs(t.e), abs(t.a)


def _slope_kernel(z: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Horn (1981) 3×3 slope in degrees.

    A NaN or off-grid neighbour is extrapolated linearly through the centre from the opposite
    neighbour (2·z − z_opposite; exact on planes), or takes the centre value if that is missing too.
    """
    z = z.astype(np.float64)
    zp = np.pad(z, 1, mode="constant", constant_values=np.nan)
    ny, nx = z.shape

    def raw(dr: int, dc: int) -> np.ndarray:
        return zp[1 + dr:1 + dr + ny, 1 + dc:1 + dc + nx]

    def nb(dr: int, dc: int) -> np.ndarray:
        v, opp = raw(dr, dc), raw(-dr, -dc)
        fill = np.where(np.isnan(opp), z, 2.0 * z - opp)
        return np.where(np.isnan(v), fill, v)

    a, b, c = nb(-1, -1), nb(-1, 0), nb(-1, 1)
    d, f = nb(0, -1), nb(0, 1)
    g, h, i = nb(1, -1), nb(1, 0), nb(1, 1)
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * dx)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8.0 * dy)
    s = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    s[np.isnan(z)] = np.nan
    return s.astype(np.float32)


def _slope_blocks(z: np.ndarray, dy: float, dx: float, rows: int = 256) -> np.ndarray:
    """:func:`_slope_kernel` over blocks of rows with a one-row halo (same result, small temporaries)."""
    ny = z.shape[0]
    out = np.empty(z.shape, dtype=np.float32)
    for r0 in range(0, ny, rows):
        r1 = min(ny, r0 + rows)
        lo, hi = max(r0 - 1, 0), min(r1 + 1, ny)
        out[r0:r1] = _slope_kernel(z[lo:hi], dy, dx)[r0 - lo:r0 - lo + (r1 - r0)]
    return out


def slope_degrees(dem: xr.DataArray, *, name: str = "slope") -> xr.DataArray:
    r"""Slope in degrees from a DEM in metres (Horn 1981): :math:`\arctan\sqrt{z_x^2 + z_y^2}`, range [0, 90)."""
    check_raster(dem, name="dem", kind="continuous")
    require_projected(dem, name="dem")
    dy, dx = _res(dem)
    return like_raster(_slope_blocks(materialize(dem), dy, dx), dem, name=name, units="degree")


def _edt(target: np.ndarray, dy: float, dx: float) -> np.ndarray:
    from scipy import ndimage

    if not target.any():
        return np.full(target.shape, np.nan, dtype=np.float32)
    return ndimage.distance_transform_edt(~target, sampling=(dy, dx)).astype(np.float32)


def distance_to_mask(mask: xr.DataArray, *, valid: xr.DataArray | None = None,
                     name: str = "distance") -> xr.DataArray:
    """Euclidean distance (m) from every cell to the nearest True cell of ``mask``.

    ``valid`` (bool) sets NaN outside the study area; targets outside it still count.
    """
    require_projected(mask, name="mask")
    dy, dx = _res(mask)
    d = _edt(np.asarray(materialize(mask), dtype=bool), dy, dx)
    if valid is not None:
        d[~np.asarray(materialize(valid), dtype=bool)] = np.nan
    return like_raster(d, mask, name=name, units="m")


def distance_to_classes(lulc: xr.DataArray, classes: Mapping[str, int | Iterable[int]]) -> xr.Dataset:
    """One distance layer (m) per entry of ``classes`` (name → code or codes) from a categorical map.

    Cells that are nodata in ``lulc`` are NaN.
    """
    require_projected(lulc, name="lulc")
    codes, valid = as_codes(lulc, name="lulc")
    dy, dx = _res(lulc)
    out = {}
    for nm, cl in classes.items():
        cl = [cl] if np.isscalar(cl) else list(cl)
        target = np.isin(codes, cl) & valid
        d = _edt(target, dy, dx)
        d[~valid] = np.nan
        out[nm] = like_raster(d, lulc, name=nm, units="m", source=f"distance to class(es) {cl}")
    return xr.Dataset(out)


def distance_to_roads(roads, like: xr.DataArray, *, highway: Iterable[str] | None = None,
                      name: str = "dist_road") -> xr.DataArray:
    """Distance (m) to a road network (GeoDataFrame or a GeoParquet/GDAL path) rasterised on ``like``.

    Roads are reprojected to the raster CRS and burnt with ``all_touched``. ``highway`` keeps only
    those OSM classes. The value is a road distance *at the date of the road data*: for the Wuhan
    bundle that is OSM ≈ 2024, much newer than the 2003–2013 maps (roads built after the start
    year leak future information into the driver).
    """
    import geopandas as gpd
    from rasterio.features import rasterize

    require_projected(like, name="like")
    if isinstance(roads, (str, os.PathLike)):
        p = str(roads)
        roads = gpd.read_parquet(p) if p.endswith(".parquet") else gpd.read_file(p)
    if highway is not None and "highway" in roads.columns:
        roads = roads[roads["highway"].isin(list(highway))]
    if len(roads) == 0:
        raise DataError(message("roads", "at least one road line", "none after filtering",
                                "check the file and the `highway` filter"))
    roads = roads.to_crs(like.rio.crs)
    shape = (like.sizes["y"], like.sizes["x"])
    burnt = rasterize(((g, 1) for g in roads.geometry if g is not None), out_shape=shape,
                      transform=like.rio.transform(), fill=0, all_touched=True, dtype="uint8")
    dy, dx = _res(like)
    d = _edt(burnt.astype(bool), dy, dx)
    return like_raster(d, like, name=name, units="m", source="road distance (road data date applies)")


def soil_codes(soil: xr.DataArray, *, name: str = "soil") -> xr.DataArray:
    """Soil mapping units as float codes (NaN = nodata), for tree models that split on codes as-is.

    Tree ensembles handle a nominal code used as a number (splits isolate groups of codes);
    for linear models one-hot encode instead (``pd.get_dummies``).
    """
    check_raster(soil, name="soil", kind="categorical")
    arr, valid = as_codes(soil, name="soil")
    out = arr.astype(np.float32)
    out[~valid] = np.nan
    return like_raster(out, soil, name=name, units="1", kind="categorical_code")
