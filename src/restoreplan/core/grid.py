"""Grids: the CRS, affine transform and shape shared by every raster of a study.

Rasters are ``xarray.DataArray`` objects with dims ``(..., "y", "x")`` and a rioxarray CRS. Two
rasters are *on the same grid* when their CRS, transform and (y, x) shape are all equal (the
``join="exact"`` rule); nothing in restoreplan resamples silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from affine import Affine

from .errors import AlignmentError, CRSError, message

__all__ = ["GridSpec", "grid_of", "cell_area_m2", "compare_grids", "require_projected"]

_TOL = 1e-6  # relative tolerance on transform coefficients (float noise from coordinate round-trips)


@dataclass(frozen=True)
class GridSpec:
    """A raster grid: CRS (as WKT/EPSG string), affine transform and (rows, cols) shape."""

    crs: str | None
    transform: Affine
    shape: tuple[int, int]

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        rows, cols = self.shape
        t = self.transform
        xs = [t.c, t.c + t.a * cols]
        ys = [t.f, t.f + t.e * rows]
        return min(xs), min(ys), max(xs), max(ys)

    def describe(self) -> str:
        """One-line description used in error messages."""
        return f"CRS {_short_crs(self.crs)}, transform {tuple(round(v, 6) for v in self.transform[:6])}, shape {self.shape}"


def _short_crs(crs) -> str:
    if crs is None:
        return "none"
    try:
        from rasterio.crs import CRS

        c = CRS.from_user_input(crs)
        epsg = c.to_epsg()
        return f"EPSG:{epsg}" if epsg else c.to_string()[:60]
    except Exception:  # pragma: no cover - exotic CRS strings
        return str(crs)[:60]


def grid_of(da: xr.DataArray) -> GridSpec:
    """Return the :class:`GridSpec` of a raster (its rioxarray CRS, transform and y/x shape)."""
    crs = da.rio.crs
    crs_s = crs.to_wkt() if crs is not None else None
    return GridSpec(crs=crs_s, transform=da.rio.transform(), shape=(da.sizes["y"], da.sizes["x"]))


def _crs_equal(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    from rasterio.crs import CRS

    return CRS.from_user_input(a) == CRS.from_user_input(b)


def compare_grids(a: GridSpec, b: GridSpec) -> list[str]:
    """Return the differences between two grids as short phrases (empty when equal)."""
    diffs = []
    if not _crs_equal(a.crs, b.crs):
        diffs.append(f"CRS {_short_crs(a.crs)} vs {_short_crs(b.crs)}")
    if a.shape != b.shape:
        diffs.append(f"shape {a.shape} vs {b.shape}")
    ta, tb = np.array(a.transform[:6]), np.array(b.transform[:6])
    scale = max(abs(a.transform.a), abs(a.transform.e), 1e-12)
    if not np.allclose(ta, tb, rtol=0, atol=_TOL * scale):
        diffs.append(f"transform {tuple(round(v, 6) for v in ta)} vs {tuple(round(v, 6) for v in tb)}")
    return diffs


def cell_area_m2(da: xr.DataArray, *, name: str = "raster") -> float:
    r"""Area of one cell in m², :math:`|a \cdot e|` from the transform of a projected CRS in metres.

    Raises :class:`CRSError` (via :func:`require_projected`) on a missing or geographic CRS, a CRS in
    another length unit (e.g. US survey feet: every ``*_m`` parameter would be off by 3.28×), and a
    CRS whose linear unit cannot be read, instead of assuming metres.
    """
    require_projected(da, name=name)
    t = da.rio.transform()
    return abs(t.a * t.e)


def require_projected(da: xr.DataArray, *, name: str = "raster") -> None:
    """Raise :class:`CRSError` unless the raster has a projected CRS in metres."""
    crs = da.rio.crs
    if crs is None:
        raise CRSError(message(name, "a raster with a CRS", "no CRS",
                               f"set one with {name}.rio.write_crs('EPSG:…') or fix the file's metadata"))
    if crs.is_geographic:
        raise CRSError(message(name, "a projected CRS in metres (areas and distances are computed)",
                               f"geographic CRS {_short_crs(crs.to_wkt())}",
                               f"reproject it, e.g. rp.io.reproject({name}, 'EPSG:32650')"))
    try:
        unit, factor = crs.linear_units_factor
        factor = float(factor)
    except Exception as e:  # noqa: BLE001 - rasterio raises its own CRSError for an unknown unit
        raise CRSError(message(name, "a projected CRS whose linear unit is known (metres per unit)",
                               f"a CRS whose unit cannot be read ({e})",
                               f"reproject it to a metre-based CRS, e.g. rp.io.reproject({name}, 'EPSG:32650')")
                       ) from None
    if not np.isfinite(factor) or abs(factor - 1.0) > 1e-9:
        raise CRSError(message(name, "a projected CRS in metres (every *_m parameter, area and distance is in "
                               "metres)", f"a projected CRS in {unit} (1 unit = {factor:g} m)",
                               f"reproject it to a metre-based CRS, e.g. rp.io.reproject({name}, 'EPSG:32650')"))


def check_same_grid(**rasters: xr.DataArray) -> None:
    """Raise :class:`AlignmentError` naming the first raster not on the grid of the first one."""
    items = list(rasters.items())
    if len(items) < 2:
        return
    ref_name, ref = items[0]
    g0 = grid_of(ref)
    for nm, da in items[1:]:
        diffs = compare_grids(g0, grid_of(da))
        if diffs:
            raise AlignmentError(message(
                nm, f"the grid of `{ref_name}`", "; ".join(diffs),
                f"use rp.io.align({nm}, like={ref_name}) (nearest for categorical layers, "
                "bilinear/average for continuous ones) or re-export the layer on the study grid"))
