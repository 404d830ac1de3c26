"""Validation helpers shared by every method (one place, one message pattern)."""

from __future__ import annotations

from typing import Iterable, Literal

import numpy as np
import pandas as pd
import xarray as xr

from .errors import ConfigError, DataError, InputError, message
from .grid import check_same_grid, require_projected
from .compute import materialize

__all__ = [
    "check_raster",
    "check_aligned",
    "check_codes_covered",
    "check_table_columns",
    "check_range",
    "collect",
    "warn_out_of_range",
]


def check_raster(da, *, name: str, kind: Literal["categorical", "continuous", "any"] = "any",
                 crs: bool = True, projected: bool = False) -> xr.DataArray:
    """Check that ``da`` is a 2-D (or stacked) raster of the right kind; return it unchanged."""
    if not isinstance(da, xr.DataArray):
        raise InputError(message(name, "an xarray.DataArray raster", type(da).__name__,
                                 "read it with rp.io.read_raster(path)"))
    if "y" not in da.dims or "x" not in da.dims:
        raise InputError(message(name, "a raster with dims ('y', 'x')", f"dims {da.dims}",
                                 "rename the spatial dims to y and x (da.rename(...))"))
    if kind == "categorical" and not np.issubdtype(da.dtype, np.integer):
        raise DataError(message(name, "a categorical (integer) raster with .rio.nodata set",
                                f"dtype {da.dtype}",
                                "read it with rp.io.read_raster(path, kind='categorical')"))
    if kind == "continuous" and not np.issubdtype(da.dtype, np.floating):
        raise DataError(message(name, "a continuous (float, NaN = nodata) raster", f"dtype {da.dtype}",
                                "read it with rp.io.read_raster(path, kind='continuous')"))
    if crs or projected:
        if projected:
            require_projected(da, name=name)
        elif da.rio.crs is None:
            raise InputError(message(name, "a raster with a CRS", "no CRS",
                                     f"write one with {name}.rio.write_crs(...)"))
    return da


def check_aligned(**rasters: xr.DataArray) -> None:
    """Raise ``AlignmentError`` unless all keyword rasters share the first one's grid."""
    check_same_grid(**rasters)


def valid_codes(lulc: xr.DataArray) -> np.ndarray:
    """Unique valid class codes of a categorical raster (nodata removed). Computes."""
    arr = materialize(lulc)
    nod = lulc.rio.nodata
    vals = np.unique(arr)
    if nod is not None:
        vals = vals[vals != nod]
    return vals


def check_codes_covered(lulc: xr.DataArray, table: pd.DataFrame, *, name: str = "lulc",
                        table_name: str = "table", column: str | None = None) -> None:
    """Raise ``ConfigError`` listing ALL valid codes of ``lulc`` missing from ``table``.

    ``column`` names the code column; by default the table's index holds the codes.
    """
    codes = set(int(c) for c in valid_codes(lulc))
    keys = table.index if column is None else table[column]
    have = set(int(k) for k in keys)
    missing = sorted(codes - have)
    if missing:
        raise ConfigError(message(
            table_name, f"a row for every class code in `{name}`",
            f"no row for code(s) {missing}",
            f"add rows for {missing} to `{table_name}`, or reclassify `{name}`"))


def check_table_columns(table: pd.DataFrame, required: Iterable[str], *, name: str) -> None:
    """Raise ``ConfigError`` listing every required column missing from ``table``."""
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ConfigError(message(name, f"columns {list(required)}", f"missing {missing} (has {list(table.columns)})",
                                  f"add the column(s) {missing} to `{name}`"))


def check_range(value: float, *, name: str, lo: float | None = None, hi: float | None = None) -> float:
    """Raise ``ConfigError`` unless lo <= value <= hi."""
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(message(name, f"a value in [{lo}, {hi}]", repr(value), f"set `{name}` within [{lo}, {hi}]"))
    return value


def collect(checks: Iterable) -> list[str]:
    """Run zero-argument callables, returning the messages of every ``RestorePlanError`` raised."""
    from .errors import RestorePlanError

    problems = []
    for chk in checks:
        try:
            chk()
        except ConfigError as e:
            problems.extend(e.problems)
        except RestorePlanError as e:
            problems.append(str(e))
    return problems


def _range_kernel(block: np.ndarray, *, label: str, lo, hi, unit: str, fix: str) -> np.ndarray:
    from .errors import implausible

    with np.errstate(invalid="ignore"):
        finite = block[np.isfinite(block)] if np.issubdtype(block.dtype, np.floating) else block.ravel()
    if finite.size:
        mn, mx = float(finite.min()), float(finite.max())
        if (lo is not None and mn < lo) or (hi is not None and mx > hi):
            rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
            implausible(label, f"values in {rng}{unit}", f"values from {mn:g} to {mx:g}", fix, stacklevel=3)
    return block


def warn_out_of_range(da: xr.DataArray, *, name: str, lo: float | None = None, hi: float | None = None,
                      unit: str = "", fix: str = "") -> xr.DataArray:
    """Warn (:class:`~restoreplan.core.errors.PlausibilityWarning`) when valid values leave [lo, hi].

    numpy-backed rasters are checked now; dask-backed ones are checked block by block when they are
    computed (the returned DataArray carries the check, so nothing is computed here). Returns ``da``
    (numpy) or the checked DataArray (dask), values unchanged.
    """
    fix = fix or f"check the units of `{name}` (rescale it into the documented range)"
    kw = dict(label=name, lo=lo, hi=hi, unit=f" {unit}" if unit else "", fix=fix)
    data = da.data
    if hasattr(data, "map_blocks"):
        return da.copy(data=data.map_blocks(_range_kernel, dtype=data.dtype, **kw))
    _range_kernel(np.asarray(data), **kw)
    return da
