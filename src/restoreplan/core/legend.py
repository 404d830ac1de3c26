"""Land-use legends: class tables (code, name, group, colour) and reclassification between schemes.

Built-in scheme
---------------
``six_class``  — the 6-class scheme of the seed studies (Chinese national classification, level 1):
                 1 cropland, 2 forest, 3 grassland, 4 water, 5 construction, 6 barren.

Legends of particular datasets live with the dataset and register themselves here with
:func:`register_scheme` and :func:`register_reclass` (e.g. :mod:`restoreplan.datasets.wuhan`:
``wuhan`` and ``wuhan_to_six_class``); :mod:`restoreplan.datasets` is imported on the first lookup
of a name that is not registered yet, so study files can name them.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from .errors import ConfigError, message

__all__ = ["ClassTable", "get_scheme", "SCHEMES", "reclassify", "RECLASS", "RECLASS_SCHEME",
           "register_reclass", "register_scheme"]

GROUPS = ("cropland", "forest", "grassland", "water", "construction", "barren")


class ClassTable:
    """A class table: a DataFrame indexed by integer ``code`` with ``name``, ``group`` and ``color``.

    ``group`` is one of the six seed groups (cropland, forest, grassland, water, construction,
    barren), which is what methods such as ESV mapping use.
    """

    def __init__(self, df: pd.DataFrame, *, name: str = "custom"):
        missing = [c for c in ("name", "group") if c not in df.columns]
        if missing:
            raise ConfigError(message(f"class table {name!r}", "columns code (index), name, group",
                                      f"missing {missing}", "add the columns to the class table"))
        bad = sorted(set(df["group"]) - set(GROUPS))
        if bad:
            raise ConfigError(message(f"class table {name!r}", f"groups among {list(GROUPS)}", f"unknown group(s) {bad}",
                                      "map each class to one of the six groups"))
        df = df.copy()
        df.index = df.index.astype(int)
        df.index.name = "code"
        if "color" not in df.columns:
            df["color"] = [_DEFAULT_COLORS[g] for g in df["group"]]
        self.df = df
        self.name = name

    @classmethod
    def from_csv(cls, path, *, name: str | None = None) -> "ClassTable":
        """Read a CSV with columns code, name, group[, color]."""
        df = pd.read_csv(path)
        if "code" not in df.columns:
            raise ConfigError(message(str(path), "a `code` column", f"columns {list(df.columns)}", "add a code column"))
        return cls(df.set_index("code"), name=name or str(path))

    @property
    def codes(self) -> list[int]:
        """The class codes, ascending."""
        return sorted(int(c) for c in self.df.index)

    def code_of(self, group: str) -> list[int]:
        """Codes belonging to one group."""
        return [int(c) for c, g in self.df["group"].items() if g == group]

    def label(self, code: int) -> str:
        """Name of a code (``"code N"`` when unknown)."""
        return str(self.df["name"].get(int(code), f"code {code}"))

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return f"ClassTable({self.name!r}, {len(self.df)} classes)"


_DEFAULT_COLORS = {
    "cropland": "#f2d16b", "forest": "#2e7d32", "grassland": "#9ccc65",
    "water": "#1e88e5", "construction": "#d32f2f", "barren": "#bcaaa4",
}

SCHEMES: dict[str, ClassTable] = {
    "six_class": ClassTable(pd.DataFrame(
        {"name": ["cropland", "forest", "grassland", "water", "construction land", "barren land"],
         "group": list(GROUPS)}, index=pd.Index([1, 2, 3, 4, 5, 6], name="code")), name="six_class"),
}

#: Reclassification tables between schemes: {name: {from_code: to_code}}.
RECLASS: dict[str, dict[int, int]] = {}
#: The legend (scheme) of the output codes of each table in :data:`RECLASS`.
RECLASS_SCHEME: dict[str, str] = {}


def register_scheme(table: ClassTable) -> ClassTable:
    """Make ``table`` available by its name to :func:`get_scheme` (and study files' ``class_scheme``)."""
    SCHEMES[table.name] = table
    return table


def register_reclass(name: str, mapping: Mapping[int, int], *, scheme: str) -> None:
    """Make the code mapping ``name`` available to :func:`reclassify`; its output codes follow ``scheme``."""
    RECLASS[name] = {int(k): int(v) for k, v in mapping.items()}
    RECLASS_SCHEME[name] = scheme


def _load_dataset_legends(name: str, table: dict) -> None:
    """Import the dataset modules (which register their legends) before saying ``name`` is unknown."""
    if name not in table:
        import importlib

        importlib.import_module("restoreplan.datasets")


def get_scheme(name: str) -> ClassTable:
    """A registered class table by name (``six_class``, or a dataset's, e.g. ``wuhan``)."""
    _load_dataset_legends(name, SCHEMES)
    if name not in SCHEMES:
        raise ConfigError(message("class_scheme", f"one of {sorted(SCHEMES)} or a CSV path", repr(name),
                                  "use a built-in scheme name or give a CSV with code,name,group"))
    return SCHEMES[name]


def _reclass_kernel(arr: np.ndarray, lut_keys: np.ndarray, lut_vals: np.ndarray, nodata, out_nodata, unmapped: str):
    out = np.full(arr.shape, out_nodata, dtype=lut_vals.dtype)
    idx = np.searchsorted(lut_keys, arr)
    idx = np.clip(idx, 0, len(lut_keys) - 1)
    hit = lut_keys[idx] == arr
    out[hit] = lut_vals[idx[hit]]
    valid = np.ones(arr.shape, bool) if nodata is None else arr != nodata
    miss = valid & ~hit
    if miss.any():
        if unmapped == "raise":
            codes = sorted(set(np.unique(arr[miss]).tolist()))
            raise ConfigError(message("mapping", "a target for every valid class code", f"no target for {codes}",
                                      f"add {codes} to the mapping or pass unmapped='nodata'"))
        if unmapped == "keep":
            out[miss] = arr[miss]
    return out


def reclassify(lulc: xr.DataArray, mapping: Mapping[int, int] | str, *, nodata: int | None = None,
               unmapped: str = "raise", name: str | None = None) -> xr.DataArray:
    """Map class codes through ``mapping`` (a dict or the name of a built-in table in ``RECLASS``).

    Nodata cells stay nodata (``nodata`` sets the output value, default: the input's nodata, or 255).
    ``unmapped``: "raise" (ConfigError listing all unmapped codes), "nodata" or "keep". Works on
    numpy and dask arrays (a lookup per block). A built-in table records the legend of its output
    codes in ``attrs["class_scheme"]`` (:data:`RECLASS_SCHEME`), which maps and reports prefer over
    the study's ``class_scheme``.
    """
    if isinstance(mapping, str):
        _load_dataset_legends(mapping, RECLASS)
        if mapping not in RECLASS:
            raise ConfigError(message("mapping", f"a dict or one of {sorted(RECLASS)}", repr(mapping), "pass a dict"))
        target = RECLASS_SCHEME.get(mapping)
        mapping = RECLASS[mapping]
    else:
        target = None
    keys = np.array(sorted(int(k) for k in mapping), dtype=np.int64)
    vals = np.array([int(mapping[int(k)]) for k in keys])
    in_nod = lulc.rio.nodata
    out_nod = nodata if nodata is not None else (int(in_nod) if in_nod is not None else 255)
    lo, hi = min(vals.min(), out_nod), max(vals.max(), out_nod)
    dtype = np.uint8 if lo >= 0 and hi <= 255 else (np.int16 if -32768 <= lo and hi < 32768 else np.int32)
    vals = vals.astype(dtype)
    out = xr.apply_ufunc(
        _reclass_kernel, lulc, kwargs=dict(lut_keys=keys, lut_vals=vals, nodata=in_nod, out_nodata=dtype(out_nod),
                                           unmapped=unmapped),
        dask="parallelized", output_dtypes=[dtype])
    out = out.rio.write_crs(lulc.rio.crs) if lulc.rio.crs is not None else out
    out = out.rio.write_transform(lulc.rio.transform()).rio.write_nodata(dtype(out_nod), encoded=False)
    out.attrs["kind"] = "categorical"
    if target is not None:   # the codes now follow another legend: maps and reports use it
        out.attrs["class_scheme"] = target
    out.name = name or lulc.name
    return out
