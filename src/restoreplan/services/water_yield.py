"""Annual water yield (InVEST AWY 3.20 parity) and the simple water balance.

Per pixel (Budyko curve in Fu's form, Zhang et al. 2004)::

    AWC  = min(root_depth, soil_depth) · PAWC          (root_depth from the table; mm)
    w    = min(Z · AWC / P + 1.25, 5)
    φ    = Kc · ET0 / P
    vegetated (lulc_veg = 1):  fractp = min(φ, 1 + φ − (1 + φ^w)^(1/w))
    otherwise:                 fractp = min(Kc · ET0, P) / P
    AET  = fractp · P ;   Y = (1 − fractp) · P          (mm)

Valid only where Kc, root depth, veg, ET0, P, soil depth and PAWC are all valid **and** P ≠ 0.
The kernel evaluates InVEST's expressions in InVEST's order with numpy's type promotion of the
input dtypes, so float32 inputs give float32 arithmetic (needed for a 1e-6 match; float64 differs
by up to 6.5e-4 mm). Per watershed: means of P, PET, AET and Y over valid pixels whose centre lies
in the polygon, and ``wyield_vol = wyield_mn · polygon area / 1000`` (m³).

Water balance (Zhao et al. 2023, eq. 3): ``WH = (P − R − ET) · A_cell · 10⁻³`` m³ a⁻¹ per cell.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, NodataWarning, message
from ..core.grid import cell_area_m2
from ..core.validate import check_aligned, check_raster, warn_out_of_range
from ._fast import finish, row_blocks
from ._lulc_lookup import reclassify_many, table_by_code
from ..core.compute import materialize

__all__ = [
    "biophysical_frame",
    "count_negative",
    "fractp_kernel",
    "water_balance",
    "water_yield",
    "watershed_summary",
    "zonal_means",
]

BIOPHYSICAL_COLUMNS = ("kc", "root_depth", "lulc_veg")


def biophysical_frame(table: pd.DataFrame, *, name: str = "biophysical_table") -> pd.DataFrame:
    """Validate an AWY biophysical table (``lucode, kc, root_depth`` [mm], ``lulc_veg`` 0/1)."""
    df = table_by_code(table, name=name, required=BIOPHYSICAL_COLUMNS)
    bad = df.index[~df["lulc_veg"].isin([0, 1])].tolist()
    if bad:
        raise ConfigError(message(f"{name}.lulc_veg", "0 or 1", f"other values for codes {bad}", "use 1 = vegetated"))
    return df


def _class_arrays(bio: pd.DataFrame):
    codes = bio.index.to_numpy(np.int64)
    kc = bio["kc"].to_numpy(np.float64).astype(np.float32)
    veg = bio["lulc_veg"].to_numpy(np.float64).astype(np.float32)
    # InVEST substitutes root depth 1 for non-vegetated classes (never used)
    root = np.where(veg == 1, bio["root_depth"].to_numpy(np.float64), 1.0).astype(np.float32)
    return codes, kc, root, veg


def fractp_kernel(kc: np.ndarray, eto: np.ndarray, precip: np.ndarray, root: np.ndarray, soil: np.ndarray,
                  pawc: np.ndarray, veg: np.ndarray, z: float) -> np.ndarray:
    """Fraction of P that evapotranspires (float32; NaN where invalid), InVEST's expression order.

    Inputs are float arrays with NaN as nodata; arithmetic follows numpy promotion of their dtypes
    and is elementwise, so evaluating it on the whole array (invalid cells give NaN/inf, then
    masked) equals InVEST's evaluation on the valid cells only.
    """
    valid = ~(np.isnan(kc) | np.isnan(root) | np.isnan(veg) | np.isnan(eto) | np.isnan(precip)
              | np.isnan(soil) | np.isnan(pawc))
    valid &= ~(np.abs(precip) <= 1e-8)  # InVEST: isclose(precip, 0)
    with np.errstate(all="ignore"):
        pet = kc * eto
        phi = pet / precip
        awc = np.where(root < soil, root, soil) * pawc
        w = ((awc / precip) * z) + 1.25
        w[w > 5] = 5
        aet_p = (1 + (pet / precip)) - ((1 + (pet / precip) ** w) ** (1 / w))
        veg_res = np.where(phi < aet_p, phi, aet_p)
        nonveg = kc * eto
        over = precip < nonveg
        nonveg[over] = precip[over]
        nonveg_frac = nonveg / precip
        res = np.where(veg == 1, veg_res, nonveg_frac)
    out = res.astype(np.float32)
    out[~valid] = np.nan
    return out


def _awy_block(lulc, eto, precip, soil, pawc, codes, kc, root, veg, z, nodata):
    k, r, v = reclassify_many(lulc, codes, [kc, root, veg], nodata=nodata, fill=np.float32(np.nan),
                              table_name="biophysical_table")
    fr = fractp_kernel(k, eto, precip, r, soil, pawc, v, z)
    with np.errstate(all="ignore"):
        pet = eto * k
        wy = (1 - fr) * precip
        aet = fr * precip
    return fr, aet, wy, pet


def _awy_kernel(lulc, eto, precip, soil, pawc, *, codes, kc, root, veg, z, nodata):
    return row_blocks(lambda *a: _awy_block(*a, codes, kc, root, veg, z, nodata), [lulc, eto, precip, soil, pawc],
                      n_out=4)


def water_yield(lulc: xr.DataArray, precipitation: xr.DataArray, et0: xr.DataArray,
                root_restricting_depth: xr.DataArray, pawc: xr.DataArray, biophysical: pd.DataFrame, *,
                seasonality_z: float = 5.0, name: str = "water_yield") -> xr.Dataset:
    """Annual water yield per pixel (InVEST AWY 3.20 parity).

    Parameters
    ----------
    lulc : categorical LULC raster.
    precipitation, et0 : annual P and reference ET0 (mm a⁻¹), continuous, on the grid of ``lulc``.
    root_restricting_depth : depth to the root-restricting layer (mm).
    pawc : plant-available water content (0–1).
    biophysical : ``lucode, kc, root_depth`` (mm), ``lulc_veg`` (0/1).
    seasonality_z : Z (> 0; usually 1–30).
    name : dataset name.

    Returns
    -------
    xr.Dataset with ``fractp`` (1), ``aet``, ``wyield`` and ``pet`` (mm), NaN where invalid.
    Arithmetic dtype follows the inputs (float32 inputs → float32, as InVEST).

    Notes
    -----
    :math:`Y = (1 - \\mathrm{AET}/P) P` with the Budyko–Fu curve above (module docstring).
    fractp ∈ [0, 1] for P > 0.
    """
    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    rasters = {"precipitation": precipitation, "et0": et0, "root_restricting_depth": root_restricting_depth,
               "pawc": pawc}
    for nm, da in rasters.items():
        check_raster(da, name=nm, kind="continuous", crs=False)
    pawc = warn_out_of_range(pawc, name="pawc", lo=0.0, hi=1.0, unit="(a fraction)",
                             fix="give PAWC as a fraction 0–1 (divide a 0–100 % raster by 100)")
    precipitation = warn_out_of_range(precipitation, name="precipitation", lo=0.0, unit="mm/a",
                                      fix="precipitation cannot be negative; check the file and its nodata value")
    et0 = warn_out_of_range(et0, name="et0", lo=0.0, unit="mm/a",
                            fix="reference ET cannot be negative; check the file and its nodata value")
    root_restricting_depth = warn_out_of_range(root_restricting_depth, name="root_restricting_depth", lo=0.0,
                                               unit="mm", fix="depths cannot be negative; check the file and its nodata")
    if lulc.rio.crs is not None and all(d.rio.crs is not None for d in rasters.values()):
        check_aligned(lulc=lulc, **rasters)
    if not seasonality_z > 0:
        raise ConfigError(message("seasonality_z", "Z > 0 (typically 1–30)", repr(seasonality_z), "set Z, e.g. 5"))
    bio = biophysical_frame(biophysical)
    codes, kc, root, veg = _class_arrays(bio)
    fr, aet, wy, pet = xr.apply_ufunc(
        _awy_kernel, lulc, et0.variable, precipitation.variable, root_restricting_depth.variable, pawc.variable,
        kwargs={"codes": codes, "kc": kc, "root": root, "veg": veg, "z": float(seasonality_z),
                "nodata": lulc.rio.nodata},
        output_core_dims=[[], [], [], []], dask="parallelized",
        output_dtypes=[np.float32, np.result_type(np.float32, precipitation.dtype),
                       np.result_type(np.float32, precipitation.dtype), np.result_type(np.float32, et0.dtype)])
    ds = xr.Dataset({
        "fractp": finish(fr, like=lulc, name="fractp", units="1"),
        "aet": finish(aet, like=lulc, name="aet", units="mm"),
        "wyield": finish(wy, like=lulc, name="wyield", units="mm"),
        "pet": finish(pet, like=lulc, name="pet", units="mm"),
    })
    ds.attrs.update(name=name, seasonality_z=float(seasonality_z), method="InVEST annual water yield 3.20")
    return ds


def _zone_labels(gdf, like: xr.DataArray):
    """Per-pixel polygon position (−1 outside) when polygons do not share pixel centres, else None.

    Pixel-centre rule (GDAL's, ALL_TOUCHED=FALSE); a polygon covering no pixel centre falls back to
    the pixels it touches (see :func:`_feature_masks`).
    """
    from rasterio import features

    shape = (like.sizes["y"], like.sizes["x"])
    tr = like.rio.transform()
    geoms = [(g, i + 1) for i, g in enumerate(gdf.geometry) if g is not None and not g.is_empty]
    if not geoms or len(gdf) >= 2 ** 31 - 2:
        return None
    # a pixel centre on an edge shared by two polygons belongs to both (per-polygon rasterization,
    # as InVEST's zonal statistics): labels only when no pixel is claimed twice
    count = features.rasterize(((g, 1) for g, _ in geoms), out_shape=shape, transform=tr, fill=0, dtype="int32",
                               merge_alg=features.MergeAlg.add)
    if count.max() > 1:
        return None
    lab = features.rasterize(geoms, out_shape=shape, transform=tr, fill=0, dtype="int32") - 1
    present = np.zeros(len(gdf) + 1, bool)
    present[np.unique(lab) + 1] = True
    if not present[1:].all():
        return None
    return lab


def _feature_masks(gdf, like: xr.DataArray):
    """Yield (row position, boolean mask) per polygon: pixel centres inside (GDAL's rule).

    A polygon that covers no pixel centre gets the pixels of its bounding-box window, as
    pygeoprocessing's zonal statistics do (window = int((min − origin)/size) to ceil((max − origin)/size)).
    """
    from rasterio import features

    shape = (like.sizes["y"], like.sizes["x"])
    tr = like.rio.transform()
    for i, geom in enumerate(gdf.geometry):
        if geom is None or geom.is_empty:
            yield i, None
            continue
        m = features.geometry_mask([geom], out_shape=shape, transform=tr, invert=True)
        if not m.any():
            xmin, ymin, xmax, ymax = geom.bounds
            xa, xb = (xmin, xmax) if tr.a > 0 else (xmax, xmin)
            ya, yb = (ymin, ymax) if tr.e > 0 else (ymax, ymin)
            xoff, yoff = int((xa - tr.c) / tr.a), int((ya - tr.f) / tr.e)
            w = int(np.ceil((xb - tr.c) / tr.a)) - xoff
            h = int(np.ceil((yb - tr.f) / tr.e)) - yoff
            if xoff < 0:
                w, xoff = w + xoff, 0
            if yoff < 0:
                h, yoff = h + yoff, 0
            w, h = min(w, shape[1] - xoff), min(h, shape[0] - yoff)
            if w > 0 and h > 0:
                m[yoff:yoff + h, xoff:xoff + w] = True
        yield i, m


def zonal_means(values: dict[str, xr.DataArray], zones, *, like: xr.DataArray, sums: bool = False) -> pd.DataFrame:
    """Mean (and with ``sums=True`` also ``<name>_sum``) of each raster over the valid pixels of each polygon.

    A pixel belongs to a polygon when its centre lies inside (GDAL's rule, as InVEST's zonal
    statistics; float64 sums, so means can differ from InVEST's float32 block sums by ~1e-4 mm);
    NaN where a polygon holds no valid pixel. **Computes.**
    """
    if zones.crs is not None and like.rio.crs is not None and zones.crs != like.rio.crs:
        zones = zones.to_crs(like.rio.crs)
    arrays = {k: materialize(v) for k, v in values.items()}
    n = len(zones)
    lab = _zone_labels(zones, like)
    cols: dict[str, np.ndarray] = {}
    if lab is not None:
        inside = lab >= 0
        for k, a in arrays.items():
            ok = inside & ~np.isnan(a)
            idx = lab[ok]
            tot = np.bincount(idx, weights=a[ok].astype(np.float64), minlength=n)
            cnt = np.bincount(idx, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                cols[k] = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
            if sums:
                cols[f"{k}_sum"] = np.where(cnt > 0, tot, np.nan)
        return pd.DataFrame(cols, index=zones.index)
    rows = []
    flat = {k: a.ravel() for k, a in arrays.items()}
    for _, m in _feature_masks(zones, like):
        row = {}
        idx = np.flatnonzero(m) if m is not None else np.zeros(0, np.intp)
        for k, a in flat.items():
            sel = a[idx]
            sel = sel[~np.isnan(sel)]
            tot, cnt = float(np.sum(sel, dtype=np.float64)), sel.size
            row[k] = tot / cnt if cnt else np.nan
            if sums:
                row[f"{k}_sum"] = tot if cnt else np.nan
        rows.append(row)
    return pd.DataFrame(rows, index=zones.index)


def watershed_summary(ds: xr.Dataset, precipitation: xr.DataArray, zones, *, id_field: str = "ws_id") -> pd.DataFrame:
    """InVEST's per-(sub)watershed table: ``id, precip_mn, PET_mn, AET_mn, wyield_mn, wyield_vol``. **Computes.**

    Means over valid pixels whose centre lies in the polygon; ``wyield_vol = wyield_mn · area_m² / 1000``.
    """
    like = ds["wyield"]
    if zones.crs is not None and like.rio.crs is not None and zones.crs != like.rio.crs:
        zones = zones.to_crs(like.rio.crs)
    cols = {str(c).lower(): c for c in zones.columns}
    if id_field.lower() not in cols:
        raise ConfigError(message("watersheds", f"a field `{id_field}`", f"fields {list(zones.columns)}",
                                  f"add an integer `{id_field}` field"))
    means = zonal_means({"precip_mn": precipitation, "PET_mn": ds["pet"], "AET_mn": ds["aet"],
                         "wyield_mn": ds["wyield"]}, zones, like=like)
    out = pd.DataFrame({id_field: zones[cols[id_field.lower()]].to_numpy()})
    for c in ("precip_mn", "PET_mn", "AET_mn", "wyield_mn"):
        out[c] = means[c].to_numpy()
    out["wyield_vol"] = out["wyield_mn"].to_numpy() * zones.geometry.area.to_numpy() / 1000
    return out


def _balance_kernel(p, r, et, area):
    return ((p - r - et) * area * np.float32(1e-3)).astype(np.float32, copy=False)


def water_balance(precipitation: xr.DataArray, et: xr.DataArray, *, runoff: xr.DataArray | None = None,
                  runoff_coefficient: float | None = None, clip_negative: bool = False,
                  name: str = "water_balance") -> xr.DataArray:
    """Water conservation per cell, ``WH = (P − R − ET) · A_cell · 10⁻³`` (m³ a⁻¹; Zhao et al. 2023, eq. 3).

    Parameters
    ----------
    precipitation, et : P and actual ET (mm a⁻¹), e.g. ``et = water_yield(...)["aet"]``.
    runoff : quick-runoff raster R (mm a⁻¹); or ``runoff_coefficient`` c with R = c·P (assumption —
        parameter). Exactly one of the two.
    clip_negative : set negative balances to 0. The default keeps them; count them (with a
        ``NodataWarning``) through :func:`count_negative`, which computes — this function stays lazy.
    name : name of the result.

    Returns
    -------
    DataArray (float32, m³ a⁻¹ per cell; NaN where any input is NaN).
    """
    check_raster(precipitation, name="precipitation", kind="continuous", crs=False)
    check_raster(et, name="et", kind="continuous", crs=False)
    if (runoff is None) == (runoff_coefficient is None):
        raise ConfigError(message("runoff", "exactly one of a runoff raster or runoff_coefficient",
                                  "both" if runoff is not None else "neither",
                                  "pass runoff=R (mm) or runoff_coefficient=c (R = c·P)"))
    if runoff is None:
        if not 0 <= runoff_coefficient <= 1:
            raise ConfigError(message("runoff_coefficient", "a value in [0, 1]", repr(runoff_coefficient),
                                      "use a runoff coefficient between 0 and 1"))
        runoff = precipitation * np.float32(runoff_coefficient)
    else:
        check_raster(runoff, name="runoff", kind="continuous", crs=False)
    if precipitation.rio.crs is not None:
        check_aligned(precipitation=precipitation, et=et, runoff=runoff)
    area = np.float32(cell_area_m2(precipitation, name="precipitation"))
    out = xr.apply_ufunc(_balance_kernel, precipitation.astype(np.float32), runoff.astype(np.float32).variable,
                         et.astype(np.float32).variable, kwargs={"area": area}, dask="parallelized",
                         output_dtypes=[np.float32])
    if clip_negative:
        out = out.where(~(out < 0), np.float32(0))
    return finish(out, like=precipitation, name=name, units="m3/a", clip_negative=str(bool(clip_negative)))


def count_negative(balance: xr.DataArray) -> int:
    """Number of cells with a negative water balance; warns (``NodataWarning``) when > 0. **Computes.**"""
    n = (balance < 0).sum()
    n = int(materialize(n))
    if n:
        warnings.warn(f"{n} cell(s) have a negative water balance (P < R + ET)", NodataWarning, stacklevel=2)
    return n
