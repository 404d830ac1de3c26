"""Driver layers for land-expansion analysis, derived from a DEM and a start land-use map.

Every function returns a float32 DataArray on the input grid (NaN = nodata) with ``units``, ready
to be stacked into the ``xr.Dataset`` of drivers that :class:`~restoreplan.landuse.LandUseSimulator`
takes. Distances are Euclidean, in metres, from each cell centre to the nearest cell of the target
(:func:`restoreplan.core.spatial.distance_to_classes`); slope is
:func:`restoreplan.core.spatial.slope`. :class:`~restoreplan.landuse.LandUseSimulator` derives the
standard drivers itself (``derive=``): slope, distance to each class and window shares of each class
of the start map. These helpers compute their inputs (they need whole maps).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import numpy as np
import xarray as xr

from ..core.errors import DataError, message
from ..core.finalize import like_raster
from ..core.grid import require_projected
from ..core.spatial import distance_to_classes, edt_kernel, slope
from ..core.validate import check_aligned, check_raster
from ..core.compute import materialize
from ._common import as_codes

__all__ = [
    "class_distances",
    "class_share_counts",
    "class_share_kernel",
    "class_shares",
    "distance_to_mask",
    "distance_to_roads",
    "slope_degrees",
    "soil_codes",
]


def _res(da: xr.DataArray) -> tuple[float, float]:
    t = da.rio.transform()
    return abs(t.e), abs(t.a)


def slope_degrees(dem: xr.DataArray, *, name: str = "slope") -> xr.DataArray:
    r"""Slope in degrees from a DEM in metres: :func:`restoreplan.core.spatial.slope` (Horn 1981), [0, 90)."""
    return slope(dem, units="degrees", name=name)


def _edt(target: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """Distance to the True cells; all-NaN when there is none (an absent class has no distance)."""
    if not target.any():
        return np.full(target.shape, np.nan, dtype=np.float32)
    return edt_kernel(target, dy, dx)


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


def class_distances(lulc: xr.DataArray, classes: Mapping[str, int | Iterable[int]] | None = None) -> xr.Dataset:
    """One distance layer (m) per entry of ``classes`` (name → code or codes), as a Dataset.

    Each layer is :func:`restoreplan.core.spatial.distance_to_classes` (exact EDT; nodata cells
    NaN). Default ``classes``: every class present in ``lulc``, named ``dist_<code>``. A requested
    class absent from the map raises (as ``distance_to_classes`` does).
    """
    if classes is None:
        codes, valid = as_codes(lulc, name="lulc")
        classes = {f"dist_{int(c)}": int(c) for c in np.unique(codes[valid])}
    return xr.Dataset({nm: distance_to_classes(lulc, classes=cl, name=nm) for nm, cl in classes.items()})


def class_shares(lulc: xr.DataArray, *, radius: int = 2, classes: Iterable[int] | None = None) -> xr.Dataset:
    r"""Share of each class in the (2r+1)² window around every cell (centre included), as a Dataset.

    :math:`s_k(i) = \#\{j \in W_i : lulc_j = k\} / \#\{j \in W_i : lulc_j \text{ valid}\}`, range
    [0, 1]; nodata cells do not count and get NaN. Layers are named ``share_<code>``.
    """
    codes, valid = as_codes(lulc, name="lulc")
    if classes is None:
        classes = np.unique(codes[valid])
    shares = class_share_kernel(codes, valid, np.asarray(list(classes)), radius)
    return xr.Dataset({f"share_{int(c)}": like_raster(shares[k], lulc, name=f"share_{int(c)}", units="1")
                       for k, c in enumerate(classes)})


def class_share_counts(codes: np.ndarray, valid: np.ndarray, classes: np.ndarray,
                       radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Window counts behind :func:`class_share_kernel`: ``(counts (K, ny, nx), n (ny, nx))``, the
    cells of each class and the valid cells in the (2r+1)² window; uint8 when the window has at
    most 255 cells (r ≤ 7), else uint16/uint32. Box sums by summed-area tables over bands of
    rows (halo r), so the int32 temporaries are band-sized."""
    if radius < 1:
        raise DataError(message("share_radius", "a window radius ≥ 1 cell", repr(radius), "use e.g. 2 (5×5)"))
    w = 2 * radius + 1
    dt = np.uint8 if w * w <= 255 else (np.uint16 if w * w <= 65535 else np.uint32)
    ny = codes.shape[0]
    band = max(256, 4 * radius)

    def box(m: np.ndarray, out: np.ndarray) -> None:
        for r0 in range(0, ny, band):
            r1 = min(ny, r0 + band)
            lo, hi = max(0, r0 - radius), min(ny, r1 + radius)
            p = np.pad(m[lo:hi].astype(np.int32),
                       ((radius + 1 - (r0 - lo), radius - (hi - r1)), (radius + 1, radius)))
            s = p.cumsum(0).cumsum(1)
            out[r0:r1] = s[w:, w:] - s[:-w, w:] - s[w:, :-w] + s[:-w, :-w]

    n = np.empty(codes.shape, dt)
    box(valid, n)
    counts = np.empty((len(classes),) + codes.shape, dt)
    for k, c in enumerate(classes):
        box(valid & (codes == c), counts[k])
    return counts, n


def class_share_kernel(codes: np.ndarray, valid: np.ndarray, classes: np.ndarray, radius: int) -> np.ndarray:
    """(K, ny, nx) float32 window shares of ``classes`` (see :func:`class_shares`); box sums by
    summed-area tables, exact for integer counts (:func:`class_share_counts`)."""
    counts, nc = class_share_counts(codes, valid, classes, radius)
    n = nc.astype(np.float32)
    n[n == 0] = 1.0
    out = np.empty((len(classes),) + codes.shape, dtype=np.float32)
    for k in range(len(classes)):
        out[k] = counts[k] / n
        out[k][~valid] = np.nan
    return out


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
