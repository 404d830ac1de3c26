"""Priority grades of Zhao et al. (2023) (§2.3.6–2.3.7, Table 3).

* **overlay** (``priority_grades``): :math:`g = \\sum_j PRA_j` over the services → 3 high, 2 sub-high, 1 low, 0 none.
* **demand revision** (``demand_revision``) (Table 3): :math:`s = g + d` with the POI demand class d ∈ {1, 2, 3};
  final grade 3 (high) for s ∈ {5, 6}, 2 (sub-high) for s = 4, 1 (low) for s ∈ {2, 3}; g = 0
  stays 0.
* **aggregation filter** (``aggregation_filter``): connected components of the graded cells (all grades together,
  8-connectivity by default, **assumption — parameter**) smaller than ``min_area_km2`` are removed.

Grade rasters are uint8 with ``.rio.nodata`` 255.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, DataError, InputError, message
from ..core.finalize import finalize
from ..core.grid import cell_area_m2
from ..core.legend import set_class_labels
from ..core.validate import check_aligned, check_raster
from ..core.compute import materialize

__all__ = ["GRADE_LABELS", "NODATA", "REVISION", "aggregation_filter", "demand_revision", "grade_area_table",
           "priority_grades", "revision_kernel"]

NODATA = 255
GRADE_LABELS = {3: "high", 2: "sub-high", 1: "low", 0: "none"}

#: Table 3: s = g + d (rows g = 1..3, columns d = 1..3) and the final grade of each s.
REVISION = {s: (3 if s >= 5 else 2 if s == 4 else 1) for s in range(2, 7)}
_GRADE_COLORS = {0: "#dddddd", 1: "#fed976", 2: "#fd8d3c", 3: "#bd0026"}


def _label_grades(da: xr.DataArray, labels: dict[int, str]) -> xr.DataArray:
    colors = {k: _GRADE_COLORS.get(k, "#800026") for k in labels}
    return set_class_labels(da, labels, colors=colors)


def _valid(da: xr.DataArray) -> xr.DataArray:
    from ..io.raster import valid_mask

    return valid_mask(da)


# ------------------------------------------------------------------------------------------
def priority_grades(selections: Mapping[str, xr.DataArray], *, name: str = "grade") -> xr.DataArray:
    r"""Overlay the per-service PRA selections: :math:`g = \sum_j PRA_j`.

    Parameters
    ----------
    selections : mapping str -> xarray.DataArray
        One 0/1 selection raster per service (nodata 255 or NaN), one grid.
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        uint8 g ∈ 0..n (n services; with 3: 3 high, 2 sub-high, 1 low, 0 none), 255 where any
        selection is nodata.
    """
    if not isinstance(selections, Mapping) or not selections:
        raise InputError(message("selections", "a mapping {service: 0/1 raster}", type(selections).__name__,
                                 "pass e.g. {'cs': sel_cs, 'hs': sel_hs, 'wh': sel_wh}"))
    for k, v in selections.items():
        check_raster(v, name=f"selections[{k}]", crs=False)
    if len(selections) > 1:
        check_aligned(**{str(k): v for k, v in selections.items()})
    first = next(iter(selections.values()))
    ok = None
    g = None
    for v in selections.values():
        vm = _valid(v)
        ok = vm if ok is None else ok & vm
        s = (v.where(vm, 0) == 1).astype(np.uint8)
        g = s if g is None else g + s
    out = xr.where(ok, g, np.uint8(NODATA)).astype(np.uint8)
    out = finalize(out, like=first, name=name, units="grade", services=",".join(map(str, selections)))
    n = len(selections)
    labels = {k: (f"{GRADE_LABELS[k]}: " if n == 3 else "") + f"selected for {k} of {n} service(s)"
              for k in range(n + 1)}
    return _label_grades(out.rio.write_nodata(np.uint8(NODATA), encoded=False), labels)


# ------------------------------------------------------------------------------------------
def revision_kernel(g: np.ndarray, d: np.ndarray, g_nodata=NODATA, d_nodata=0) -> np.ndarray:
    """Table 3 revision of grades ``g`` (0..3) by demand classes ``d`` (1..3). Pure numpy.

    Grade 0 stays 0; a graded cell without a demand class is nodata (255).

    >>> revision_kernel(np.array([3, 3, 2, 1, 1, 0]), np.array([3, 1, 2, 3, 1, 3])).tolist()
    [3, 2, 2, 2, 1, 0]
    """
    g = np.asarray(g)
    d = np.asarray(d)
    d_ok = (d != d_nodata) & (d >= 1) & (d <= 3) if not np.issubdtype(d.dtype, np.floating) else \
        np.isfinite(d) & (d >= 1) & (d <= 3)
    g_ok = g != g_nodata
    s = np.where(g_ok & d_ok, g.astype(np.int64) + np.where(d_ok, d, 0).astype(np.int64), 0)
    lut = np.zeros(7, np.uint8)
    for k, v in REVISION.items():
        lut[k] = v
    out = np.where(g_ok & (g > 0), lut[np.clip(s, 0, 6)], np.uint8(0))
    out = np.where(~g_ok | ((g > 0) & ~d_ok), np.uint8(NODATA), out)
    return out.astype(np.uint8)


def demand_revision(grades: xr.DataArray, demand: xr.DataArray, *, name: str = "grade_revised") -> xr.DataArray:
    r"""Revise ecological priority grades with the human-demand class (Table 3).

    Parameters
    ----------
    grades : xarray.DataArray
        Overlay grades 0..3 (uint8, nodata 255).
    demand : xarray.DataArray
        POI demand class 1 low, 2 sub-high (medium), 3 high (geometric intervals; class 0
        = nodata).
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        uint8 grade 3 high / 2 sub-high / 1 low / 0 none; 255 = nodata.

    Notes
    -----
    :math:`s = g + d`; grade 3 for s ∈ {5, 6}, 2 for s = 4, 1 for s ∈ {2, 3} (Zhao et al. 2023, Table 3,
    final mapping inferred from §3.6, **unverified — check the paper**).
    """
    check_raster(grades, name="grades", kind="categorical", crs=False)
    check_raster(demand, name="demand", crs=False)
    if grades.rio.crs is not None and demand.rio.crs is not None:
        check_aligned(grades=grades, demand=demand)
    if grades.chunks is None:  # cheap check on numpy input only (never computes dask)
        gv = np.asarray(grades.values)
        gv = gv[gv != NODATA]
        if gv.size and int(gv.max()) > 3:
            raise DataError(message("grades", "grades 0..3 (three services)", f"maximum {int(gv.max())}",
                                    "Table 3 is defined for three services; overlay three selections"))
    dn = demand.rio.nodata if not np.issubdtype(demand.dtype, np.floating) else None
    out = xr.apply_ufunc(revision_kernel, grades, demand,
                         kwargs={"g_nodata": NODATA, "d_nodata": 0 if dn is None else dn},
                         dask="parallelized", output_dtypes=[np.uint8])
    out = finalize(out, like=grades, name=name, units="grade", rule="Table 3: s=g+d; 5-6 high, 4 sub-high, 2-3 low")
    labels = {0: "none (not selected)", 1: "low (grade + demand class 2–3)", 2: "sub-high (grade + demand class 4)",
              3: "high (grade + demand class 5–6)"}
    return _label_grades(out.rio.write_nodata(np.uint8(NODATA), encoded=False), labels)


# ------------------------------------------------------------------------------------------
def _filter_kernel(g: np.ndarray, *, min_cells: float, connectivity: int, nodata=NODATA) -> np.ndarray:
    """Zero the graded cells (1..) of components smaller than ``min_cells``. Pure numpy + scipy."""
    from scipy import ndimage

    g = np.asarray(g)
    on = (g != nodata) & (g > 0)
    structure = np.ones((3, 3), bool) if connectivity == 8 else ndimage.generate_binary_structure(2, 1)
    lab, n = ndimage.label(on, structure=structure)
    if n == 0:
        return g.copy()
    sizes = np.bincount(lab.ravel())
    small = sizes < min_cells
    small[0] = False
    out = g.copy()
    out[small[lab]] = 0
    return out


def aggregation_filter(grades: xr.DataArray, *, min_area_km2: float = 100.0, connectivity: Literal[4, 8] = 8,
                       name: str = "grade_filtered") -> xr.DataArray:
    r"""Remove priority patches smaller than ``min_area_km2`` (Zhao et al. 2023, §2.3.7).

    Parameters
    ----------
    grades : xarray.DataArray
        Grades (uint8, > 0 = priority, nodata 255), e.g. after :func:`demand_revision`.
    min_area_km2 : float
        Minimum patch area (Zhao et al. 2023: 100 km²); patches of all grades together are measured.
    connectivity : {4, 8}
        Patch neighbourhood (default 8, **assumption — parameter**).
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        Same grades with the cells of small patches set to 0.

    Notes
    -----
    A patch P is kept iff :math:`|P|\cdot A_{cell} \ge A_{min}`. Global operation: the whole
    raster is gathered into one block (patches cross chunks).
    """
    check_raster(grades, name="grades", kind="categorical", projected=True)
    if connectivity not in (4, 8):
        raise ConfigError(message("connectivity", "4 or 8", repr(connectivity), "use 8 (queen) or 4 (rook)"))
    if not (np.isfinite(min_area_km2) and min_area_km2 >= 0):
        raise ConfigError(message("min_area_km2", "an area ≥ 0 in km²", repr(min_area_km2), "Zhao et al. (2023) use 100"))
    a_km2 = cell_area_m2(grades, name="grades") / 1e6
    min_cells = float(min_area_km2) / a_km2 * (1 - 1e-12)
    nod = grades.rio.nodata if grades.rio.nodata is not None else NODATA
    out = xr.apply_ufunc(_filter_kernel, grades, input_core_dims=[["y", "x"]], output_core_dims=[["y", "x"]],
                         kwargs={"min_cells": min_cells, "connectivity": int(connectivity), "nodata": nod},
                         dask="parallelized", output_dtypes=[grades.dtype],
                         dask_gufunc_kwargs={"allow_rechunk": True})
    out = out.transpose(*grades.dims)
    if grades.chunks is not None:
        out = out.chunk(dict(zip(grades.dims, grades.chunks)))
    out = finalize(out, like=grades, name=name, units="grade", min_area_km2=float(min_area_km2),
                   connectivity=int(connectivity))
    out = out.rio.write_nodata(grades.dtype.type(nod), encoded=False)
    if "class_labels" in grades.attrs:   # the same grades, small patches set to 0
        out.attrs.update({k: grades.attrs[k] for k in ("class_labels", "class_colors", "class_palette")
                          if k in grades.attrs})
    else:
        _label_grades(out, {k: GRADE_LABELS[k] for k in sorted(GRADE_LABELS)})
    return out


# ------------------------------------------------------------------------------------------ tables
def grade_area_table(grades: xr.DataArray, *, lulc: xr.DataArray | None = None,
                     classes: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Cells and area (km²) per grade (3, 2, 1), optionally per land-use class too. Computes.

    Returns a tidy DataFrame: ``grade``, ``label``, [``lucode``, ``class_name``], ``cells``,
    ``area_km2``, ``share_pct`` (of the graded area).
    """
    check_raster(grades, name="grades", projected=True)
    a_km2 = cell_area_m2(grades, name="grades") / 1e6
    g = materialize(grades)
    nod = grades.rio.nodata if grades.rio.nodata is not None else NODATA
    on = (g != nod) & (g > 0)
    total = int(on.sum())
    rows = []
    if lulc is None:
        for k in (3, 2, 1):
            n = int((on & (g == k)).sum())
            rows.append({"grade": k, "label": GRADE_LABELS[k], "cells": n, "area_km2": n * a_km2,
                         "share_pct": 100.0 * n / total if total else 0.0})
        return pd.DataFrame(rows)
    if lulc.rio.crs is not None and grades.rio.crs is not None:
        check_aligned(grades=grades, lulc=lulc)
    lu = materialize(lulc)
    names = dict(classes or {})
    for k in (3, 2, 1):
        sel = on & (g == k)
        codes, counts = np.unique(lu[sel], return_counts=True)
        for c, n in zip(codes, counts):
            rows.append({"grade": k, "label": GRADE_LABELS[k], "lucode": int(c),
                         "class_name": names.get(int(c), str(int(c))), "cells": int(n), "area_km2": n * a_km2,
                         "share_pct": 100.0 * n / total if total else 0.0})
    return pd.DataFrame(rows, columns=["grade", "label", "lucode", "class_name", "cells", "area_km2", "share_pct"])
