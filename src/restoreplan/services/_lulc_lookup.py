"""Class-table lookups shared by the InVEST-style services (carbon, habitat quality, water yield).

A *class table* is a ``pandas.DataFrame`` with one row per land-use code, either indexed by the code
or with a ``lucode`` column (InVEST's name; matched case-insensitively). :func:`table_by_code`
normalises both forms; :func:`reclassify` maps an integer LULC array through one column with a
dense lookup array (fast: one gather per pixel) and raises ``ConfigError`` listing *every* valid
code that the table lacks.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, message

__all__ = ["missing_codes_message", "reclassify", "reclassify_many", "table_by_code"]


def table_by_code(table: pd.DataFrame, *, name: str, required: Iterable[str] = (),
                  code_column: str = "lucode") -> pd.DataFrame:
    """Return ``table`` indexed by integer class code with lower-case column names.

    Accepts a ``lucode`` column (any case) or an integer index. Raises ``ConfigError`` listing every
    missing required column, duplicated code or non-numeric required value.
    """
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(message(name, "a table (pandas.DataFrame)", type(table).__name__,
                                  "read it with pandas.read_csv(path)"))
    df = table.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    code_column = code_column.lower()
    if code_column in df.columns:
        df = df.set_index(code_column)
    elif df.index.name is not None and str(df.index.name).lower() == code_column:
        pass
    elif not pd.api.types.is_integer_dtype(df.index) or isinstance(df.index, pd.RangeIndex):
        raise ConfigError(message(name, f"a `{code_column}` column with the land-use codes",
                                  f"columns {list(df.columns)}", f"add a `{code_column}` column"))
    problems = []
    missing = [c for c in required if c not in df.columns]
    if missing:
        problems.append(message(name, f"columns {list(required)}", f"missing {missing} (has {list(df.columns)})",
                                f"add the column(s) {missing} to `{name}`"))
    try:
        df.index = pd.Index(np.asarray(df.index, dtype=np.float64).astype(np.int64), name=code_column)
    except (TypeError, ValueError):
        problems.append(message(name, f"integer `{code_column}` values", f"{list(df.index)[:10]}",
                                f"fix the `{code_column}` column"))
    else:
        dup = sorted(set(df.index[df.index.duplicated()].tolist()))
        if dup:
            problems.append(message(name, f"one row per `{code_column}`", f"duplicated codes {dup}",
                                    "remove the duplicated rows"))
    for col in required:
        if col in df.columns:
            vals = pd.to_numeric(df[col], errors="coerce")
            bad = df.index[vals.isna()].tolist()
            if bad:
                problems.append(message(f"{name}.{col}", "a number in every row", f"empty/non-numeric for codes {bad}",
                                        f"fill `{col}` for those codes"))
            else:
                df[col] = vals.astype(np.float64)
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in `{name}`", problems)
    return df


def missing_codes_message(codes, *, table_name: str, raster_name: str) -> str:
    """The four-part message for LULC codes absent from a table (all of them listed)."""
    codes = sorted(int(c) for c in codes)
    return message(table_name, f"a row for every class code in `{raster_name}`", f"no row for code(s) {codes}",
                   f"add rows for {codes} to `{table_name}`, or reclassify `{raster_name}`")


def _dense_lookup(codes: np.ndarray, values: np.ndarray, dtype: np.dtype):
    """Lookup over the whole range of an 8/16-bit integer dtype, keyed by the unsigned view."""
    size = 1 << (8 * dtype.itemsize)
    info = np.iinfo(dtype)
    ok = (codes >= info.min) & (codes <= info.max)
    pos = (codes[ok] & (size - 1)).astype(np.intp)
    lut = np.zeros(size, dtype=values.dtype)
    known = np.zeros(size, dtype=bool)
    lut[pos] = values[ok]
    known[pos] = True
    return lut, known, (np.uint8 if dtype.itemsize == 1 else np.uint16)


def reclassify(lulc: np.ndarray, codes: np.ndarray, values: np.ndarray, *, nodata, fill=np.nan,
               table_name: str = "table", raster_name: str = "lulc") -> np.ndarray:
    """Map ``lulc`` through ``codes -> values``; ``fill`` where ``lulc == nodata``.

    Raises ``ConfigError`` listing all valid codes of ``lulc`` missing from ``codes``.
    """
    values = np.asarray(values)
    codes = np.asarray(codes, dtype=np.int64)
    arr = np.asarray(lulc)
    if arr.dtype.itemsize <= 2 and np.issubdtype(arr.dtype, np.integer):
        lut, known, ukind = _dense_lookup(codes, values, arr.dtype)
        info = np.iinfo(arr.dtype)
        if nodata is not None and info.min <= int(nodata) <= info.max and float(nodata) == int(nodata):
            pos = int(nodata) & (lut.size - 1)
            lut[pos] = fill
            known[pos] = True
        k = arr.view(ukind)
        ok = known[k]
        if not ok.all():
            bad = ~ok
            raise ConfigError(missing_codes_message(np.unique(arr[bad]), table_name=table_name,
                                                    raster_name=raster_name))
        return lut[k]
    valid = np.ones(arr.shape, bool) if nodata is None else arr != nodata
    if len(codes) == 0:
        bad = valid
        out = np.zeros(arr.shape, values.dtype)
    else:
        order = np.argsort(codes)
        scodes, svals = codes[order], values[order]
        a64 = arr.astype(np.int64)
        k = np.clip(np.searchsorted(scodes, a64), 0, len(scodes) - 1)
        bad = valid & (scodes[k] != a64)
        out = svals[k]
    if bad.any():
        raise ConfigError(missing_codes_message(np.unique(arr[bad]), table_name=table_name, raster_name=raster_name))
    if not valid.all():
        out = np.where(valid, out, np.asarray(fill, dtype=out.dtype))
    return out


def reclassify_many(lulc: np.ndarray, codes: np.ndarray, columns: list[np.ndarray], *, nodata, fill=np.nan,
                    table_name: str = "table", raster_name: str = "lulc") -> list[np.ndarray]:
    """Like :func:`reclassify` for several value columns at once (one index, one code check)."""
    arr = np.asarray(lulc)
    codes = np.asarray(codes, dtype=np.int64)
    if not (arr.dtype.itemsize <= 2 and np.issubdtype(arr.dtype, np.integer)) or not columns:
        return [reclassify(arr, codes, c, nodata=nodata, fill=fill, table_name=table_name, raster_name=raster_name)
                for c in columns]
    first = np.asarray(columns[0])
    _, known, ukind = _dense_lookup(codes, first, arr.dtype)
    info = np.iinfo(arr.dtype)
    pos = None
    if nodata is not None and info.min <= int(nodata) <= info.max and float(nodata) == int(nodata):
        pos = int(nodata) & (known.size - 1)
        known[pos] = True
    k = arr.view(ukind)
    ok = known[k]
    if not ok.all():
        raise ConfigError(missing_codes_message(np.unique(arr[~ok]), table_name=table_name, raster_name=raster_name))
    out = []
    for col in columns:
        lut, _, _ = _dense_lookup(codes, np.asarray(col), arr.dtype)
        if pos is not None:
            lut[pos] = fill
        out.append(lut[k])
    return out
