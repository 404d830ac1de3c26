"""Land-use legends: class tables (code, name, group, colour) and reclassification between schemes.

Built-in scheme
---------------
``six_class``  — the 6-class scheme of the seed studies (Chinese national classification, level 1):
                 1 cropland, 2 forest, 3 grassland, 4 water, 5 construction, 6 barren.

Legends of particular datasets live with the dataset and register themselves here with
:func:`register_scheme` and :func:`register_reclass` (e.g. :mod:`restoreplan.datasets.wuhan`:
``wuhan`` and ``wuhan_to_six_class``); :mod:`restoreplan.datasets` is imported on the first lookup
of a name that is not registered yet, so study files can name them.

Class rasters that are not land use (tiers, grades, trend and coupling classes, zones, rings,
natural-breaks classes, selections, masks) record their own legend with :func:`set_class_labels`
(``attrs["class_labels"]``, a JSON object code → label, kept as a GeoTIFF tag); land-use rasters
name their scheme in ``attrs["class_scheme"]``. :func:`legend_of` reads either, so maps and reports
draw every class raster with its own legend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from .errors import ConfigError, message

__all__ = ["ClassTable", "get_scheme", "SCHEMES", "reclassify", "RECLASS", "RECLASS_SCHEME", "Legend",
           "set_class_labels", "copy_legend", "legend_of", "binary_labels", "register_reclass", "register_scheme"]

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


# ---------------------------------------------------------------- legends carried by class rasters
@dataclass(frozen=True)
class Legend:
    """The legend of a class raster: codes, labels and colours (hex), and where it came from.

    ``source`` is ``"class_labels"`` (the raster's own labels) or ``"class_scheme:NAME"`` (a land-use
    scheme named by the raster).
    """

    source: str
    codes: tuple[int, ...]
    labels: tuple[str, ...]
    colors: tuple[str, ...]

    def as_dict(self) -> dict[int, str]:
        """{code: label}."""
        return dict(zip(self.codes, self.labels))


def set_class_labels(da: xr.DataArray, labels: Mapping[int, str], *, palette: str | None = None,
                     colors: Mapping[int, str] | None = None) -> xr.DataArray:
    """Record the legend of an integer class raster in ``da.attrs`` (in place; returns ``da``).

    ``labels`` maps every code the raster can hold (nodata aside) to a label, e.g. ``{1: "tier 1:
    top 0–5 %"}``. ``palette`` names a matplotlib colormap sampled in code order (``"YlOrRd_r"``: the
    first code darkest) or ``"qualitative"``; ``colors`` gives explicit hex colours per code.
    Stored as JSON strings (``class_labels``, ``class_colors``, ``class_palette``), which survive
    writing to GeoTIFF as tags. Removes a land-use ``class_scheme`` the raster may have inherited.
    """
    if not labels:
        raise ConfigError(message("labels", "at least one code → label", "nothing", "give the class labels"))
    da.attrs["class_labels"] = json.dumps({str(int(k)): str(v) for k, v in labels.items()})
    da.attrs.pop("class_scheme", None)
    da.attrs.pop("class_colors", None)
    if colors:
        da.attrs["class_colors"] = json.dumps({str(int(k)): str(v) for k, v in colors.items()})
    if palette:
        da.attrs["class_palette"] = palette
    else:
        da.attrs.pop("class_palette", None)
    return da


def binary_labels(da: xr.DataArray, no: str, yes: str, *, color: str = "#d95f02") -> xr.DataArray:
    """:func:`set_class_labels` for a 0/1 raster: 0 ``no`` (light grey), 1 ``yes`` (``color``)."""
    return set_class_labels(da, {0: no, 1: yes}, colors={0: "#dddddd", 1: color})


def copy_legend(src: xr.DataArray, dst: xr.DataArray) -> xr.DataArray:
    """Give ``dst`` the legend of ``src`` (its ``class_scheme`` or ``class_labels``); returns ``dst``."""
    for key in ("class_scheme", "class_labels", "class_colors", "class_palette"):
        if key in src.attrs:
            dst.attrs[key] = src.attrs[key]
    return dst


_QUALITATIVE = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666",
                "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6")


def _palette_colors(palette: str | None, n: int) -> list[str]:
    if not palette or palette == "qualitative":
        return [_QUALITATIVE[i % len(_QUALITATIVE)] for i in range(n)]
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[palette]
    pos = [0.5] if n == 1 else [0.12 + 0.8 * i / (n - 1) for i in range(n)]
    return [to_hex(cmap(p)) for p in pos]


def legend_of(da: xr.DataArray, *, scheme_table: "ClassTable | None" = None) -> Legend | None:
    """The legend a class raster carries: its ``class_labels``, else its ``class_scheme``; None if neither.

    ``scheme_table`` resolves a ``class_scheme`` that is not built in (e.g. a study's CSV legend).
    A ``class_scheme`` that cannot be resolved raises ConfigError (never a silent default).
    """
    raw = da.attrs.get("class_labels")
    if raw:
        labels = {int(k): str(v) for k, v in (json.loads(raw) if isinstance(raw, str) else dict(raw)).items()}
        codes = sorted(labels)
        given = da.attrs.get("class_colors")
        given = {int(k): v for k, v in json.loads(given).items()} if isinstance(given, str) else {}
        auto = _palette_colors(da.attrs.get("class_palette"), len(codes))
        colors = [given.get(c, auto[i]) for i, c in enumerate(codes)]
        return Legend("class_labels", tuple(codes), tuple(labels[c] for c in codes), tuple(colors))
    name = da.attrs.get("class_scheme")
    if name:
        _load_dataset_legends(str(name), SCHEMES)   # a dataset's legend (e.g. wuhan) is registered on import
        if scheme_table is not None and name not in SCHEMES:
            table = scheme_table
        elif str(name).lower().endswith(".csv"):
            table = ClassTable.from_csv(name)
        else:
            table = get_scheme(str(name))
        codes = table.codes
        return Legend(f"class_scheme:{table.name if name in SCHEMES else name}", tuple(codes),
                      tuple(table.label(c) for c in codes), tuple(str(table.df.loc[c, "color"]) for c in codes))
    return None
