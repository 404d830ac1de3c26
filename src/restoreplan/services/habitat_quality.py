"""Habitat quality, degradation and rarity (InVEST Habitat Quality 3.20 parity).

How InVEST 3.20 computes it, and what this module reproduces (all arithmetic in float32, in
InVEST's order of operations, so results agree with InVEST to float32 rounding):

* **Threat sources**: every pixel of a threat raster that is non-zero and not nodata (intensity
  counts only as presence). Threat rasters must hold values in [0, 1] (``DataError`` otherwise).
* **Distance**: exact Euclidean distance transform to the nearest source pixel, in *pixels* of the
  threat raster's grid (the LULC grid); ``max_dist`` (metres) is converted with the pixel width,
  ``m = max_dist / |res_x|``. Distances ignore LULC nodata (sources outside the study area count).
* **Decay**: linear ``(m − d)/m`` or exponential ``exp(−2.99 d / m)``; 0 where ``d > m`` (so the
  exponential decay drops from ≈0.0503 to 0 just beyond ``m``).
* **Degradation**: ``D = Σ_r i_r · S[lulc, r] · (w_r/Σw) · β`` summed threat by threat (table order),
  β the access raster (1 where no access polygon covers a pixel).
* **Quality**: ``Q = H[lulc] · (1 − D^z / (D^z + k^z))``, z = 2.5. NaN wherever LULC is nodata.
* **InVEST quirks** (``invest_quirks=True``, used by ``restoreplan invest``; off by default):
  (1) a threat raster without sources: InVEST's distance transform returns a finite "infinity" of
  ``n_rows + n_cols + row`` pixels, so the threat still contributes when ``m`` exceeds it (default:
  the documented 0); (2) NaN threat pixels: pygeoprocessing's source mask is
  ``~isclose(v, nodata) & (v != 0)``, which is true for NaN, so NaN pixels count as sources
  (default: NaN is nodata, never a source).
* **Rarity** (:func:`habitat_rarity`): ``R_j = 1 − N_x(j)/(N_base(j) + N_x(j))`` (pixel counts ×
  pixel area), counted only where the baseline is valid; 0 for classes absent from the baseline.

Dask strategy for distances (documented choice): with a dask-backed threat, distances are computed
with ``map_overlap`` and a halo of ``ceil(m) + 1`` pixels. Decay is 0 beyond ``m``, so a window that
sees every source within ``m`` gives the exact decayed value; pixels whose window holds no source
get 0. The InVEST empty-threat quirk needs the whole raster and therefore rechunks that threat to
one block (global EDT computed once).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage

from ..core.errors import AlignmentError, ConfigError, DataError, message
from ..core.validate import check_aligned, check_raster
from ..core.edt import edt
from ._fast import close_to, finish, row_blocks
from ._lulc_lookup import reclassify, reclassify_many, table_by_code
from ..core.compute import materialize

__all__ = [
    "EXP_DECAY_CONSTANT",
    "SCALING_Z",
    "decay_kernel",
    "habitat_quality",
    "habitat_rarity",
    "rasterize_access",
    "sensitivity_frame",
    "threat_decay",
    "threats_frame",
]

SCALING_Z = 2.5
EXP_DECAY_CONSTANT = 2.99
_DECAYS = ("linear", "exponential")


# --------------------------------------------------------------------------------------- tables
def threats_frame(threats: pd.DataFrame, *, name: str = "threats_table") -> pd.DataFrame:
    """Validate a threats table (``threat, max_dist`` [m], ``weight``, ``decay``) and index it by threat.

    Column names and threat names are lower-cased and stripped, as InVEST does. Raises
    ``ConfigError`` listing every problem.
    """
    if not isinstance(threats, pd.DataFrame):
        raise ConfigError(message(name, "a table (pandas.DataFrame)", type(threats).__name__, "read the CSV with pandas"))
    df = threats.copy()
    if df.index.name is not None and str(df.index.name).strip().lower() == "threat":
        df = df.reset_index()
    df.columns = [str(c).strip().lower() for c in df.columns]
    problems = []
    req = ["threat", "max_dist", "weight", "decay"]
    miss = [c for c in req if c not in df.columns]
    if miss:
        raise ConfigError(message(name, f"columns {req}", f"missing {miss} (has {list(df.columns)})",
                                  f"add the column(s) {miss}"))
    df = df[df["threat"].notna()]
    df["threat"] = df["threat"].astype(str).str.strip().str.lower()
    df["decay"] = df["decay"].astype(str).str.strip().str.lower()
    for col in ("max_dist", "weight"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    dup = sorted(set(df["threat"][df["threat"].duplicated()]))
    if dup:
        problems.append(message(f"{name}.threat", "unique threat names", f"duplicates {dup}", "remove the duplicates"))
    bad = df.loc[~(df["max_dist"] > 0), "threat"].tolist()
    if bad:
        problems.append(message(f"{name}.max_dist", "a distance > 0 in metres", f"invalid for {bad}",
                                "give max_dist in metres (InVEST < 3.15 tables are in km: × 1000)"))
    bad = df.loc[~((df["weight"] >= 0) & (df["weight"] <= 1)), "threat"].tolist()
    if bad:
        problems.append(message(f"{name}.weight", "a weight in [0, 1]", f"invalid for {bad}", "fix the weights"))
    bad = df.loc[~df["decay"].isin(_DECAYS), "threat"].tolist()
    if bad:
        problems.append(message(f"{name}.decay", f"one of {list(_DECAYS)}", f"invalid for {bad}", "fix the decay column"))
    if not problems and float(df["weight"].sum()) <= 0:
        problems.append(message(f"{name}.weight", "weights with a positive sum", "all zero", "give at least one weight > 0"))
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else f"{len(problems)} problems in `{name}`", problems)
    return df.set_index("threat")


def sensitivity_frame(sensitivity: pd.DataFrame, threat_names, *, name: str = "sensitivity_table") -> pd.DataFrame:
    """Validate a sensitivity table (``lucode, habitat`` + one column per threat, all in [0, 1])."""
    req = ["habitat", *[str(t).lower() for t in threat_names]]
    df = table_by_code(sensitivity, name=name, required=req)
    bad = {c: df.index[(df[c] < 0) | (df[c] > 1)].tolist() for c in req}
    bad = {c: v for c, v in bad.items() if v}
    if bad:
        raise ConfigError(message(name, "values in [0, 1]", f"out of range: {bad}", "fix those cells"))
    return df


# --------------------------------------------------------------------------------------- kernels
def decay_kernel(dist_px: np.ndarray, max_dist_px: float, decay: str) -> np.ndarray:
    """InVEST's decay of a float32 distance (pixels): linear ``(m − d)/m`` or ``exp(−2.99 d/m)``; 0 if d > m."""
    d = np.asarray(dist_px, dtype=np.float32)
    m = np.float32(max_dist_px)
    if decay == "linear":
        val = (m - d) / m
    elif decay == "exponential":
        val = np.exp((-d * np.float32(EXP_DECAY_CONSTANT)) / m)
    else:
        raise ConfigError(message("decay", f"one of {list(_DECAYS)}", repr(decay), "use linear or exponential"))
    return np.where(d > m, np.float32(0), val).astype(np.float32, copy=False)


def _sources(threat: np.ndarray, nodata, invest_quirks: bool = False, name: str = "threat") -> np.ndarray:
    """Source pixels: non-zero and not nodata; raise ``DataError`` for values outside [0, 1]."""
    t = np.asarray(threat)
    isfloat = np.issubdtype(t.dtype, np.floating)
    valid = np.ones(t.shape, bool) if (invest_quirks or not isfloat) else ~np.isnan(t)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        valid &= ~close_to(t, nodata)
    tv = t[valid]
    if isfloat:
        tv = tv[~np.isnan(tv)]
    if tv.size and (tv.min() < 0 or tv.max() > 1):
        raise DataError(message(name, "threat values in [0, 1] (nodata excepted)",
                                f"values from {tv.min()} to {tv.max()}",
                                "rescale the threat raster to [0, 1] or set its nodata value"))
    return valid & (t != 0)


def _edt_px(src: np.ndarray, sampling_yx: tuple[float, float]) -> np.ndarray:
    """Float32 Euclidean distance (pixels) from every pixel to the nearest source pixel."""
    if sampling_yx == (1.0, 1.0):
        return edt(src)
    return ndimage.distance_transform_edt(~src, sampling=sampling_yx).astype(np.float32)


def _decay_block(threat: np.ndarray, *, nodata, max_dist_px: float, decay: str, sampling_yx,
                 invest_quirks: bool, global_shape=None, row0: int = 0, name: str = "threat") -> np.ndarray:
    src = _sources(threat, nodata, invest_quirks, name)
    if not src.any():
        if invest_quirks and global_shape is not None:
            nrow, ncol = global_shape
            d = np.float32(nrow + ncol) + np.arange(row0, row0 + src.shape[0], dtype=np.float32)[:, None]
            return decay_kernel(np.broadcast_to(d, src.shape), max_dist_px, decay)
        return np.zeros(src.shape, np.float32)
    dist = _edt_px(src, sampling_yx)
    return row_blocks(lambda d: decay_kernel(d, max_dist_px, decay), [dist])


def _pixel_geometry(like: xr.DataArray, max_dist_m: float) -> tuple[float, tuple[float, float]]:
    t = like.rio.transform()
    rx, ry = abs(t.a), abs(t.e)
    return max_dist_m / rx, (ry / rx, 1.0)


def _same_grid(a: xr.DataArray, b: xr.DataArray) -> bool:
    """Cheap exact-grid test on coordinates (falls back to ``check_aligned`` for the message)."""
    if a.sizes["y"] != b.sizes["y"] or a.sizes["x"] != b.sizes["x"]:
        return False
    if not (np.array_equal(a.x.values, b.x.values) and np.array_equal(a.y.values, b.y.values)):
        return False
    ca, cb = a.rio.crs, b.rio.crs
    return ca is None or cb is None or ca == cb


def _check_on_grid(lulc: xr.DataArray, other: xr.DataArray, name: str) -> None:
    if not _same_grid(lulc, other) and lulc.rio.crs is not None and other.rio.crs is not None:
        check_aligned(lulc=lulc, **{name: other})
    elif lulc.sizes["y"] != other.sizes["y"] or lulc.sizes["x"] != other.sizes["x"]:
        raise AlignmentError(message(name, f"a raster of shape {tuple(lulc.shape)} (the grid of `lulc`)",
                                f"shape {tuple(other.shape)}", f"use rp.io.align({name}, like=lulc)"))


def _decay_data(threat: xr.DataArray, *, max_dist_m: float, decay: str, invest_quirks: bool, name: str,
                geometry=None):
    """numpy or dask array of the decayed threat (see :func:`threat_decay`)."""
    if decay not in _DECAYS:
        raise ConfigError(message("decay", f"one of {list(_DECAYS)}", repr(decay), "use linear or exponential"))
    if threat.ndim != 2 or threat.dims != ("y", "x"):
        raise DataError(message(name, "a 2-D (y, x) threat raster", f"dims {threat.dims}", "select one slice"))
    mdp, samp = _pixel_geometry(threat, max_dist_m) if geometry is None else (max_dist_m / geometry[0], geometry[1])
    data = threat.data
    shape = (threat.sizes["y"], threat.sizes["x"])
    kw = {"nodata": threat.rio.nodata, "max_dist_px": mdp, "decay": decay, "sampling_yx": samp,
          "invest_quirks": invest_quirks, "name": name}
    if not hasattr(data, "dask"):
        return _decay_block(np.asarray(data), global_shape=shape, **kw)
    import functools

    import dask.array as dsa

    # ``name`` goes to the kernel (its messages), never to dask: as dask's key name it would give the
    # decay of every threat of that name the same keys, so a later call (another year) would get the
    # results an earlier one still held on a dask.distributed cluster
    block = functools.partial(_decay_block, name=kw.pop("name"))
    if invest_quirks:
        one = data.rechunk(shape)
        return one.map_blocks(block, dtype=np.float32, global_shape=shape, **kw).rechunk(data.chunks)
    depth_y = min(math.ceil(mdp / samp[0]) + 1, shape[0])
    depth_x = min(math.ceil(mdp) + 1, shape[1])
    return dsa.map_overlap(block, data, depth={0: depth_y, 1: depth_x}, boundary="none",
                           dtype=np.float32, **kw)


def threat_decay(threat: xr.DataArray, *, max_dist_m: float, decay: Literal["linear", "exponential"],
                 invest_quirks: bool = False, name: str | None = None) -> xr.DataArray:
    """Decayed influence of one threat raster, i_r(x) in [0, 1] (float32).

    Distance is the exact EDT to the nearest non-zero, non-nodata pixel in pixels of the raster's
    grid; ``m = max_dist_m / |res_x|``. dask: ``map_overlap`` with a halo of ``ceil(m) + 1`` pixels
    (exact, since the decay is 0 beyond ``m``); ``invest_quirks=True`` uses one global block.
    """
    nm = name or "threat"
    check_raster(threat, name=nm, crs=False)
    arr = _decay_data(threat, max_dist_m=max_dist_m, decay=decay, invest_quirks=invest_quirks, name=nm)
    out = xr.DataArray(arr, dims=("y", "x"), coords={"y": threat.y, "x": threat.x})
    return finish(out, like=threat, name=name or f"{threat.name}_decay", units="1", decay=decay,
                    max_dist_m=float(max_dist_m))


def _lulc_to(lulc: np.ndarray, codes, values, nodata) -> np.ndarray:
    return reclassify(lulc, codes, values, nodata=nodata, fill=np.float32(np.nan), table_name="sensitivity_table",
                      raster_name="lulc")


def _degradation_kernel(lulc, access, *decays, codes, sens, wavg, nodata):
    """Σ_r ((i_r · S_r) · w_r) · β in float32, threat by threat; NaN where lulc is nodata (row blocks in threads)."""
    return row_blocks(lambda lu, ac, *de: _degradation_block(lu, ac, *de, codes=codes, sens=sens, wavg=wavg,
                                                             nodata=nodata), [lulc, access, *decays])


def _degradation_block(lulc, access, *decays, codes, sens, wavg, nodata):
    cols = reclassify_many(lulc, codes, list(sens) or [np.zeros(len(codes), np.float32)], nodata=nodata,
                           fill=np.float32(np.nan), table_name="sensitivity_table", raster_name="lulc")
    total = None
    for r, dec in enumerate(decays):
        term = ((dec * cols[r]) * wavg[r]) * access
        total = term if total is None else total + term
    if total is None:
        total = cols[0]
    return total.astype(np.float32, copy=False)


def _quality_block(lulc, deg, codes, habitat, ksq, nodata):
    h = _lulc_to(lulc, codes, habitat, nodata)
    z = np.float32(SCALING_Z)
    dz = deg ** z
    return (h * (np.float32(1) - dz / (dz + ksq))).astype(np.float32, copy=False)


def _quality_kernel(lulc, deg, *, codes, habitat, ksq, nodata):
    return row_blocks(lambda a, b: _quality_block(a, b, codes, habitat, ksq, nodata), [lulc, deg])


def habitat_quality(lulc: xr.DataArray, threats: Mapping[str, xr.DataArray], threats_table: pd.DataFrame,
                    sensitivity: pd.DataFrame, *, half_saturation: float, access: xr.DataArray | None = None,
                    invest_quirks: bool = False, name: str = "habitat_quality") -> xr.Dataset:
    """Habitat degradation and quality of one LULC map (InVEST 3.20 parity).

    Parameters
    ----------
    lulc : categorical LULC raster (metres CRS).
    threats : ``{threat name: raster}`` for every row of ``threats_table`` (values in [0, 1]; non-zero
        pixels are sources). Rasters must be on the grid of ``lulc``.
    threats_table : ``threat, max_dist`` (m), ``weight`` (0–1), ``decay`` (linear | exponential).
    sensitivity : ``lucode, habitat`` (0–1) and one 0–1 column per threat.
    half_saturation : k > 0 (InVEST: often ½ of the maximum degradation of a first run).
    access : optional accessibility β in [0, 1] on the grid of ``lulc`` (NaN/missing → 1).
    invest_quirks : reproduce InVEST 3.20's edge cases (empty threat rasters, NaN threat pixels);
        see the module docstring. Default False: documented behaviour.
    name : prefix of the output variable names.

    Returns
    -------
    xr.Dataset with ``degradation`` (``deg_sum``) and ``quality`` (float32, NaN where LULC is nodata).

    Notes
    -----
    :math:`D(x) = \\sum_r \\frac{w_r}{\\sum w} i_r(x) S_{j r} \\beta(x)`,
    :math:`Q(x) = H_j (1 - D^z/(D^z + k^z))`, z = 2.5. Q ∈ [0, H_j]; D ≥ 0.
    """
    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    if not half_saturation > 0:
        raise ConfigError(message("half_saturation", "k > 0", repr(half_saturation), "set k > 0 (e.g. 0.05)"))
    tt = threats_frame(threats_table)
    threats = {str(k).strip().lower(): v for k, v in dict(threats).items()}
    missing = [t for t in tt.index if t not in threats]
    if missing:
        raise ConfigError(message("threats", f"one raster per threat {list(tt.index)}", f"none for {missing}",
                                  "pass a mapping {threat name: raster} covering every row of the threats table"))
    st = sensitivity_frame(sensitivity, tt.index)
    codes = st.index.to_numpy(np.int64)
    for t in tt.index:
        check_raster(threats[t], name=f"threats[{t!r}]", crs=False)
        _check_on_grid(lulc, threats[t], f"threat_{t}")
    tr = lulc.rio.transform()
    geometry = (abs(tr.a), (abs(tr.e) / abs(tr.a), 1.0))
    wsum = float(tt["weight"].sum())
    wavg = [np.float32(float(w) / wsum) for w in tt["weight"]]
    sens = [st[t].to_numpy(np.float64).astype(np.float32) for t in tt.index]
    decays = [xr.Variable(("y", "x"), _decay_data(threats[t], max_dist_m=float(tt.loc[t, "max_dist"]),
                                                  decay=tt.loc[t, "decay"], invest_quirks=invest_quirks,
                                                  name=f"threats[{t!r}]", geometry=geometry))
              for t in tt.index]
    if access is None:
        acc = xr.Variable((), np.float32(1))
    else:
        check_raster(access, name="access", crs=False)
        _check_on_grid(lulc, access, "access")
        acc = access.astype(np.float32).fillna(np.float32(1)).variable
    nod = lulc.rio.nodata
    deg = xr.apply_ufunc(_degradation_kernel, lulc, acc, *decays,
                         kwargs={"codes": codes, "sens": sens, "wavg": wavg, "nodata": nod},
                         dask="parallelized", output_dtypes=[np.float32])
    ksq = np.float32(float(half_saturation) ** SCALING_Z)
    hab = st["habitat"].to_numpy(np.float64).astype(np.float32)
    qual = xr.apply_ufunc(_quality_kernel, lulc, deg.variable,
                          kwargs={"codes": codes, "habitat": hab, "ksq": ksq, "nodata": nod},
                          dask="parallelized", output_dtypes=[np.float32])
    deg = finish(deg, like=lulc, name="degradation", units="1", method="InVEST habitat quality 3.20")
    qual = finish(qual, like=lulc, name="quality", units="1", method="InVEST habitat quality 3.20",
                    half_saturation=float(half_saturation), z=SCALING_Z)
    ds = xr.Dataset({"degradation": deg, "quality": qual})
    ds.attrs["name"] = name
    return ds


def _counts(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique codes and counts (bincount for 8/16-bit integers, np.unique otherwise)."""
    if vals.dtype.itemsize <= 2 and np.issubdtype(vals.dtype, np.integer):
        off = int(np.iinfo(vals.dtype).min)
        c = np.bincount((vals.astype(np.int32) - off).ravel(), minlength=1)
        codes = np.nonzero(c)[0]
        return (codes + off).astype(vals.dtype), c[codes]
    return np.unique(vals, return_counts=True)


def habitat_rarity(lulc: xr.DataArray, baseline: xr.DataArray) -> tuple[pd.DataFrame, xr.DataArray]:
    """Rarity of each class of ``lulc`` against ``baseline`` (InVEST). **Computes** the class counts.

    ``R_j = 1 − N_x(j)·a_x / (N_b(j)·a_b + N_x(j)·a_x)`` with counts of ``lulc`` taken only where the
    baseline is valid; ``R_j = 0`` when class j is absent from the baseline. Returns the table
    (``lucode, rarity_value``, sorted by code) and the rarity raster (NaN outside the masked cover).
    """
    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    check_raster(baseline, name="baseline", kind="categorical", crs=False)
    if lulc.rio.crs is not None and baseline.rio.crs is not None:
        check_aligned(lulc=lulc, baseline=baseline)
    cur = materialize(lulc)
    bas = materialize(baseline)
    bvalid = np.ones(bas.shape, bool) if baseline.rio.nodata is None else bas != baseline.rio.nodata
    cvalid = np.ones(cur.shape, bool) if lulc.rio.nodata is None else cur != lulc.rio.nodata
    cb, nb = _counts(bas[bvalid])
    mask = bvalid & cvalid
    cx, nx = _counts(cur[mask])
    tb, tl = baseline.rio.transform(), lulc.rio.transform()
    area_b = float(abs(tb.a) * abs(tb.e))
    area_x = float(abs(tl.a) * abs(tl.e))
    base_count = dict(zip(cb.tolist(), nb.tolist()))
    rows = []
    for code, n in zip(cx.tolist(), nx.tolist()):
        if code in base_count:
            num = n * area_x
            den = base_count[code] * area_b
            rows.append((int(code), 1.0 - (num / (den + num))))
        else:
            rows.append((int(code), 0.0))
    table = pd.DataFrame(rows, columns=["lucode", "rarity_value"])
    vals = np.full(cur.shape, np.nan, np.float32)
    if rows:
        r = reclassify(np.where(mask, cur, cx[0]).astype(cur.dtype), table["lucode"].to_numpy(),
                       table["rarity_value"].to_numpy(np.float64).astype(np.float32), nodata=None)
        vals = np.where(mask, r, np.float32(np.nan)).astype(np.float32)
    ras = xr.DataArray(vals, dims=("y", "x"), coords={"y": lulc.y, "x": lulc.x})
    return table, finish(ras, like=lulc, name="rarity", units="1")


def rasterize_access(access_vector, *, like: xr.DataArray, field: str = "access") -> xr.DataArray:
    """Burn an access polygon layer (field ``ACCESS``, any case, 0–1) onto ``like``; 1 elsewhere (InVEST)."""
    from ..io import rasterize

    cols = {str(c).lower(): c for c in access_vector.columns}
    if field.lower() not in cols:
        raise ConfigError(message("access_vector", f"a field `{field.upper()}`", f"fields {list(access_vector.columns)}",
                                  "add an ACCESS field with values in [0, 1]"))
    col = cols[field.lower()]
    vals = pd.to_numeric(access_vector[col], errors="coerce")
    if ((vals < 0) | (vals > 1)).any():
        raise DataError(message("access_vector.ACCESS", "values in [0, 1]", f"{vals.min()}..{vals.max()}",
                                "fix the ACCESS values"))
    gdf = access_vector.assign(**{col: vals.fillna(0.0)})
    if gdf.crs is not None and like.rio.crs is not None and gdf.crs != like.rio.crs:
        gdf = gdf.to_crs(like.rio.crs)
    # clip to the raster extent plus a 2-cell margin: the pixel-centre fill inside the raster is
    # unchanged, and GDAL no longer scans the vertices far outside it (orders of magnitude faster)
    import shapely

    t = like.rio.transform()
    ny, nx = like.sizes["y"], like.sizes["x"]
    xs, ys = (t.c, t.c + t.a * nx), (t.f, t.f + t.e * ny)
    mx, my = 2 * abs(t.a), 2 * abs(t.e)
    clipped = shapely.clip_by_rect(gdf.geometry.values, min(xs) - mx, min(ys) - my, max(xs) + mx, max(ys) + my)
    keep = ~shapely.is_empty(clipped)
    gdf = gdf.set_geometry(clipped, crs=gdf.crs)[keep]
    out = rasterize(gdf, like=like, value=col, fill=1.0, dtype="float32", name="access")
    out.attrs["units"] = "1"
    return out
