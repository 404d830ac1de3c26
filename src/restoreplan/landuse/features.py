r"""Feature matrix of the land-use simulator: user drivers plus the standard drivers derived on request.

A simulation needs only the rasters a user has (e.g. a DEM, population and soil): the standard
drivers of land-expansion studies are derived here from them and from the start map (``derive``):

* ``"slope"`` — Horn slope (degrees) of the driver named by ``elevation`` (default ``"dem"``),
  :func:`restoreplan.core.spatial.slope`; skipped when there is no such driver.
* ``"distance"`` — distance (m) from every cell to the nearest cell of each class of the start
  map (exact EDT, :func:`restoreplan.core.spatial.edt_kernel`). A class absent from the map gets
  the grid diagonal (farther than any cell), so the feature stays defined.
* ``"share"`` — share of each class in the (2r+1)² window around the cell
  (:func:`restoreplan.landuse.drivers.class_share_kernel`, r = ``share_radius``).

Derived drivers depend on the start map: simulating from another map re-derives them (the
simulator does this itself). Only cells valid in the map and finite in every driver are used.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import xarray as xr

from ..core.errors import AlignmentError, ConfigError, InputError, RestorePlanWarning, message
from ..core.spatial import _slope_blocks, edt_kernel
from ..core.validate import check_aligned
from .drivers import class_share_counts

__all__ = ["ConstraintWarning", "DERIVABLE", "FeatureRows", "ShareLayer", "constraint_mask", "driver_layers", "feature_matrix",
           "feature_rows"]

DERIVABLE = ("slope", "distance", "share")


class ConstraintWarning(RestorePlanWarning):
    """A conversion constraint locks an unusual share of the map (possibly inverted)."""


def _as_mapping(drivers, like: xr.DataArray) -> dict[str, xr.DataArray]:
    """Drivers as a name → 2-D DataArray dict; explains the near-equal-coordinates Dataset trap."""
    if drivers is None:
        return {}
    if isinstance(drivers, xr.Dataset):
        ny, nx = like.sizes["y"], like.sizes["x"]
        if (drivers.sizes.get("y"), drivers.sizes.get("x")) != (ny, nx):
            res = abs(float(like.rio.transform().a))
            close = [d for d in ("y", "x") if d in drivers.coords and drivers.sizes[d] > 1
                     and float(np.min(np.diff(np.sort(drivers[d].values)))) < 1e-6 * res]
            cause = (f"coordinates along {close} that differ by less than 1e-6 cell between layers: xr.Dataset "
                     "outer-joined them, so every row/column appears twice" if close else "layers on another grid")
            raise AlignmentError(message("drivers", f"a stack on the grid of lulc_start ({ny} × {nx} cells)",
                                         f"{drivers.sizes.get('y')} × {drivers.sizes.get('x')} cells, from {cause}",
                                         "pass a dict name → DataArray instead of an xr.Dataset (coordinates are "
                                         "then checked with a tolerance), or snap each layer with "
                                         "rp.io.align(layer, like=lulc_start) before building the Dataset"))
        return {str(k): drivers[k] for k in drivers.data_vars}
    if isinstance(drivers, Mapping):
        return {str(k): v for k, v in drivers.items()}
    raise InputError(message("drivers", "a dict name → 2-D raster (or an xarray.Dataset)", type(drivers).__name__,
                             "pass e.g. {'dem': dem, 'population': pop}"))


def _layer_values(name: str, v, like: xr.DataArray) -> np.ndarray:
    """Flat float32 values of one driver (nodata → NaN) after the grid check."""
    if not isinstance(v, xr.DataArray):
        raise InputError(message(f"drivers.{name}", "an xarray.DataArray raster", type(v).__name__,
                                 "read it with rp.io.read_raster(path)"))
    if v.dims != ("y", "x"):
        raise InputError(message(f"drivers.{name}", "a 2-D (y, x) layer", f"dims {v.dims}", "select one slice"))
    if v.rio.crs is None and like.rio.crs is not None:
        v = v.rio.write_crs(like.rio.crs)
    check_aligned(lulc=like, **{f"drivers.{name}": v})
    data = v.data.compute() if hasattr(v.data, "compute") else v.data
    data = np.asarray(data)
    try:
        nod = v.rio.nodata
    except (OverflowError, ValueError):  # e.g. a bool layer carrying a uint8 fill value
        nod = None
    out = np.asarray(data, dtype=np.float32).reshape(-1)
    if nod is not None and not (isinstance(nod, float) and np.isnan(nod)) and data.dtype != bool:
        out = np.where(data.reshape(-1) == np.asarray(nod).astype(data.dtype), np.float32(np.nan), out)
    return out


def driver_layers(drivers, like: xr.DataArray, codes: np.ndarray, valid: np.ndarray, classes: np.ndarray, *,
                  derive=DERIVABLE, elevation: str | None = "dem", share_radius: int = 2,
                  names: list[str] | None = None):
    """Ordered ``(names, flat float32 layers)`` of the user drivers then the derived ones.

    ``names`` (the feature names seen in fit) fixes the user drivers expected; a missing one raises.
    """
    user = _as_mapping(drivers, like)
    derive = tuple(derive or ())
    bad = [d for d in derive if d not in DERIVABLE]
    if bad:
        raise ConfigError(message("derive", f"a subset of {list(DERIVABLE)}", repr(bad), "drop the unknown names"))
    if names is not None:
        missing = [n for n in names if n not in user]
        if missing:
            raise ConfigError(message("drivers", f"the drivers used in fit {names}", f"missing {missing}",
                                      "pass the same driver layers to simulate()"))
        user = {n: user[n] for n in names}
    out_names, layers = [], []
    for n, v in user.items():
        out_names.append(n)
        layers.append(_layer_values(n, v, like))
    ny, nx = like.sizes["y"], like.sizes["x"]
    t = like.rio.transform()
    dy, dx = abs(t.e), abs(t.a)
    if "slope" in derive and elevation is not None and elevation in user:
        z = layers[out_names.index(elevation)].reshape(ny, nx)
        out_names.append(f"slope_of_{elevation}")
        layers.append(_slope_blocks(z, dy, dx, "degrees").reshape(-1))  # row bands: small float64 temporaries
    if "distance" in derive:
        far = np.float32(np.hypot(ny * dy, nx * dx))
        for c in classes:
            target = valid & (codes == c)
            d = edt_kernel(target, dy, dx) if target.any() else np.full((ny, nx), far, np.float32)
            out_names.append(f"distance_to_{int(c)}")
            layers.append(d.reshape(-1))
    if "share" in derive:
        counts, n = class_share_counts(codes, valid, np.asarray(classes), share_radius)
        vflat = np.asarray(valid, dtype=bool).reshape(-1)
        for k, c in enumerate(classes):
            out_names.append(f"share_of_{int(c)}")
            layers.append(ShareLayer(counts[k].reshape(-1), n.reshape(-1), vflat))
    if not layers:
        raise ConfigError(message("drivers", "at least one driver layer (or derived drivers)", "none",
                                  "pass driver rasters or keep derive=('slope', 'distance', 'share')"))
    return list(user), out_names, layers


class ShareLayer:
    """A class-share driver kept as window counts (uint8, or uint16 for windows over 255 cells).

    ``layer[cells]`` gives the float32 shares of those cells, exactly the values of
    :func:`~restoreplan.landuse.drivers.class_share_kernel` (count / valid cells in the window,
    NaN on nodata cells), at 1–2 bytes per cell instead of 4 (the window size of valid cells is
    shared by the classes).
    """

    dtype = np.dtype(np.float32)

    def __init__(self, counts: np.ndarray, n: np.ndarray, valid: np.ndarray):
        self.counts, self.n, self.valid = counts, n, valid
        self.shape = counts.shape

    @property
    def finite(self) -> np.ndarray:
        return self.valid

    def __getitem__(self, cells) -> np.ndarray:
        cells = np.asarray(cells)
        if cells.dtype == bool:
            cells = np.flatnonzero(cells)
        n = self.n[cells].astype(np.float32)
        n[n == 0] = 1.0
        out = (self.counts[cells] / n).astype(np.float32)
        out[~self.valid[cells]] = np.nan
        return out


def _finite(layer) -> np.ndarray:
    return layer.finite if isinstance(layer, ShareLayer) else np.isfinite(layer)


def feature_matrix(layers: list[np.ndarray], valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows × features) float32 of the cells valid in ``valid`` and finite in every layer; and that mask.

    Empties ``layers`` while it fills the matrix (each full-grid layer is released once copied),
    so the peak memory is the layers plus one column, not the layers plus the whole matrix.
    """
    ok = np.asarray(valid, dtype=bool).reshape(-1).copy()
    for data in layers:
        ok &= _finite(data)
    X = np.empty((int(ok.sum()), len(layers)), dtype=np.float32)
    for j in range(len(layers)):
        X[:, j] = layers[j][ok]
        layers[j] = None
    layers.clear()
    return X, ok


class FeatureRows:
    """The (rows × features) matrix of :func:`feature_matrix`, gathered on demand from the layers.

    ``X[idx]`` returns the float32 features of rows ``idx`` (positions among the usable cells,
    i.e. the True cells of ``ok`` in raster order), ``len(X)`` the number of usable cells. Only the
    requested rows are ever copied: a random-forest sample or one block of cells to predict costs
    ``len(idx) × n_features × 4`` bytes, never a full-grid matrix (which at 10^8 cells and 18
    drivers would be 7.2 GB on top of the layers).
    """

    def __init__(self, layers: list[np.ndarray], ok: np.ndarray):
        self.layers = layers
        cells = np.flatnonzero(ok)
        self.cells = cells.astype(np.int32) if ok.size < 2**31 else cells   # 4 bytes per usable cell
        self.shape = (len(self.cells), len(layers))
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, idx) -> np.ndarray:
        return gather_rows(self.layers, self.cells[idx])


def gather_rows(layers: list[np.ndarray], cells: np.ndarray) -> np.ndarray:
    """(len(cells), n_layers) float32 matrix of the flat layers at the flat cell indices ``cells``."""
    cells = np.asarray(cells)
    X = np.empty((cells.size, len(layers)), dtype=np.float32)
    for j, lay in enumerate(layers):
        X[:, j] = lay[cells]
    return X


def feature_rows(layers: list[np.ndarray], valid: np.ndarray) -> tuple[FeatureRows, np.ndarray]:
    """Like :func:`feature_matrix` (same rows, same order, same values) without building the matrix:
    ``(FeatureRows, ok)``, the layers are kept and gathered from block by block."""
    ok = np.asarray(valid, dtype=bool).reshape(-1).copy()
    for data in layers:
        ok &= _finite(data)
    return FeatureRows(layers, ok), ok


def constraint_mask(constraint: xr.DataArray, like: xr.DataArray, valid: np.ndarray, *,
                    max_locked_share: float = 0.5) -> np.ndarray:
    """Boolean "may change" mask of a constraint raster (0/False = locked, > 0/True = may change).

    Accepts integer, float (NaN = locked) and boolean rasters (a boolean made from a uint8 raster
    with nodata 255 is fine). Nodata cells are locked. Warns with :class:`ConstraintWarning` when
    more than ``max_locked_share`` of the valid cells are locked — the usual sign of a mask passed
    the wrong way round (1 = restricted) — and raises when every valid cell is locked.
    """
    check_aligned(lulc_start=like, constraint=constraint)
    cv = constraint.data.compute() if hasattr(constraint.data, "compute") else constraint.data
    cv = np.asarray(cv)
    if cv.dtype == bool:
        allowed = cv.copy()
    else:
        allowed = np.isfinite(cv) & (cv > 0) if np.issubdtype(cv.dtype, np.floating) else (cv > 0)
        try:
            cnod = constraint.rio.nodata
        except (OverflowError, ValueError):
            cnod = None
        if cnod is not None and not (isinstance(cnod, float) and np.isnan(cnod)):
            allowed &= cv != np.asarray(cnod).astype(cv.dtype)
    n_valid = int(valid.sum())
    locked = int(np.count_nonzero(valid & ~allowed))
    nm = constraint.name if isinstance(constraint.name, str) else "constraint"
    fix = (f"0 (or False) = locked, > 0 (or True) = may change; if `{nm}` marks the restricted area with 1 "
           f"(e.g. water = 1), pass its inverse: {nm} == 0")
    if n_valid and locked == n_valid:
        raise ConfigError(message("constraint", "a raster where some valid cells may change (> 0)",
                                  f"every one of the {n_valid} valid cells locked", fix))
    if n_valid and locked > max_locked_share * n_valid:
        warnings.warn(f"constraint `{nm}` locks {locked} of {n_valid} valid cells ({100 * locked / n_valid:.0f} %), "
                      f"more than {100 * max_locked_share:.0f} %: is it inverted? Semantics: {fix}",
                      ConstraintWarning, stacklevel=3)
    return allowed
