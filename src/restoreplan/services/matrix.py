"""LULC supply/demand/balance matrices with NDVI correction (Sun et al. 2025, §2.3, eq. 1-3).

Expert scores per land-use class and service (Burkhard et al. 2012 scale, 0 none ... 5 very high)
are mapped onto the land-use raster. Supply is corrected by an NDVI factor A; demand never is.
Services are summed into ES groups (provisioning / regulating / cultural) and a total, and the
balance is supply − demand at every level (Sun et al. 2025 call it "supply subtracted from demand" but
reads negative values as deficits, which is supply − demand).

Shared table helpers (``code_table``, ``checked_keys``, ``lookup``, ``sums_by_class``) are also
used by :mod:`restoreplan.services.esv`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, DataError, message
from ..core.finalize import finalize
from ..core.grid import cell_area_m2
from ..core.validate import check_aligned, check_raster

__all__ = ["GROUPS", "lulc_matrix", "lulc_matrix_labels", "lulc_matrix_totals", "service_groups"]

GROUPS: tuple[str, ...] = ("provisioning", "regulating", "cultural")
NdviMode = Literal["none", "region", "pixel"]


# --------------------------------------------------------------------------------------------
# shared table helpers (also used by esv.py)
# --------------------------------------------------------------------------------------------

def code_table(table: pd.DataFrame, *, name: str, column: str = "lucode") -> pd.DataFrame:
    """Return ``table`` indexed by integer class code (from column ``column`` or the index)."""
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(message(name, "a pandas DataFrame (CSV table) with a `lucode` column",
                                  type(table).__name__, "read it with pd.read_csv(path)"))
    t = table.copy()
    if column in t.columns:
        t = t.set_index(column)
    elif t.index.name != column and not pd.api.types.is_integer_dtype(t.index):
        raise ConfigError(message(name, f"a `{column}` column holding the class codes",
                                  f"columns {list(table.columns)}", f"add a `{column}` column"))
    try:
        idx = pd.Index(t.index.astype(np.int64), name=column)
    except (TypeError, ValueError) as e:
        raise ConfigError(message(name, "integer class codes", f"codes {list(t.index)[:10]}",
                                  "use the integer codes of the land-use raster")) from e
    dup = sorted(set(idx[idx.duplicated()].tolist()))
    if dup:
        raise ConfigError(message(name, "one row per class code", f"duplicated code(s) {dup}",
                                  "keep one row per code"))
    t.index = idx
    return t.sort_index()


def numeric_columns(table: pd.DataFrame, columns: Sequence[str], *, name: str) -> np.ndarray:
    """Float values of ``columns`` (ConfigError listing every missing or non-numeric column)."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ConfigError(message(name, f"columns {list(columns)}",
                                  f"missing {missing} (has {list(table.columns)})",
                                  f"add the column(s) {missing} to `{name}`"))
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        raise ConfigError(message(name, "numeric scores", f"non-numeric column(s) {bad}",
                                  "fix the cells of those columns"))
    vals = table.loc[:, list(columns)].to_numpy(dtype=np.float64)
    nan_rows = table.index[np.isnan(vals).any(axis=1)].tolist()
    if nan_rows:
        raise ConfigError(message(name, "a value in every cell", f"empty cells in the rows of code(s) {nan_rows}",
                                  "fill them (0 means no service)"))
    return vals


def _missing_codes(codes: np.ndarray, keys: np.ndarray, nodata) -> list[int]:
    codes = np.asarray(codes)
    if nodata is not None:
        codes = codes[codes != nodata]
    return sorted(int(c) for c in np.setdiff1d(codes, keys))


def _raise_missing(missing: list[int], table_name: str, name: str) -> None:
    raise ConfigError(message(table_name, f"a row for every class code in `{name}`",
                              f"no row for code(s) {missing}",
                              f"add rows for {missing} to `{table_name}`, or reclassify `{name}`"))


def _verified_keys(codes: np.ndarray, keys: np.ndarray, nodata, table_name: str, name: str) -> np.ndarray:
    missing = _missing_codes(codes, keys, nodata)
    if missing:
        _raise_missing(missing, table_name, name)
    return keys


def checked_keys(lulc: xr.DataArray, keys: np.ndarray, *, table_name: str, name: str = "lulc") -> xr.DataArray:
    """The sorted table codes as a 1-D DataArray along ``key``, after checking that they cover ``lulc``.

    The codes present are found now (for dask input one reduction pass of per-chunk ``unique``), and
    the ``ConfigError`` lists *all* missing codes.
    """
    keys = np.asarray(keys, dtype=np.int64)
    nod = lulc.rio.nodata
    if lulc.chunks is None:
        return xr.DataArray(_verified_keys(np.unique(np.asarray(lulc.data)), keys, nod, table_name, name),
                            dims="key")
    import dask.array as dsa

    # one reduction pass now: left lazy, every chunk of `lulc` would be held until the check is done
    uniq = dsa.unique(lulc.data).compute()
    return xr.DataArray(_verified_keys(uniq, keys, nod, table_name, name), dims="key")


def lookup(codes: np.ndarray, keys: np.ndarray, lut: np.ndarray, nodata=None) -> np.ndarray:
    """Rows of ``lut`` (n_keys, m) for each code, as (..., m) float64; NaN for nodata/unknown codes."""
    codes = np.asarray(codes)
    keys = np.asarray(keys)
    idx = np.clip(np.searchsorted(keys, codes), 0, max(keys.size - 1, 0))
    ok = (keys[idx] == codes) if keys.size else np.zeros(codes.shape, bool)
    if nodata is not None:
        ok &= codes != nodata
    out = np.full(codes.shape + (lut.shape[1],), np.nan)
    out[ok] = lut[idx[ok]]
    return out


def sums_by_class(codes: np.ndarray, values: np.ndarray, nodata=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class cell counts and NaN-skipping sums of ``values`` (..., m) over valid codes. Numpy kernel.

    Returns (class codes, counts, sums of shape (n_classes, m)).
    """
    codes = np.asarray(codes).ravel()
    vals = np.asarray(values, dtype=np.float64).reshape(codes.size, -1)
    ok = np.ones(codes.size, bool) if nodata is None else codes != nodata
    cls, inv = np.unique(codes[ok], return_inverse=True)
    counts = np.bincount(inv, minlength=cls.size)
    v = np.nan_to_num(vals[ok], nan=0.0)
    sums = np.stack([np.bincount(inv, weights=v[:, j], minlength=cls.size) for j in range(v.shape[1])], axis=1) \
        if v.shape[1] else np.zeros((cls.size, 0))
    return cls, counts, sums


def sums_by_class_any(codes, values, nodata=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`sums_by_class` for numpy or dask input; dask is reduced per block, never gathered.

    ``codes`` (y, x) and ``values`` (y, x, m). For dask input: a first pass finds the codes present,
    a second sums counts and values per code and block (``bincount``) and adds the blocks.
    """
    if not (hasattr(codes, "dask") or hasattr(values, "dask")):
        return sums_by_class(np.asarray(codes), np.asarray(values), nodata)
    import dask
    import dask.array as dsa

    codes = codes if hasattr(codes, "dask") else dsa.from_array(np.asarray(codes), chunks=values.chunks[:2])
    values = values if hasattr(values, "dask") else dsa.from_array(np.asarray(values))
    values = values.rechunk(codes.chunks + (-1,))
    present = np.asarray(dsa.unique(codes).compute())
    if nodata is not None:
        present = present[present != nodata]
    m = values.shape[-1]
    if present.size == 0:
        return present, np.zeros(0, np.int64), np.zeros((0, m))

    def _block(c, v):
        c = np.asarray(c).ravel()
        vv = np.nan_to_num(np.asarray(v, dtype=np.float64).reshape(c.size, -1), nan=0.0)
        ok = np.ones(c.size, bool) if nodata is None else c != nodata
        inv = np.searchsorted(present, c[ok])
        out = np.zeros((present.size, 1 + m))
        out[:, 0] = np.bincount(inv, minlength=present.size)
        for j in range(m):
            out[:, 1 + j] = np.bincount(inv, weights=vv[ok][:, j], minlength=present.size)
        return out

    cb, vb = codes.to_delayed(), values.to_delayed()
    parts = [dask.delayed(_block, pure=True)(cb[i, j], vb[i, j, 0]) for i, j in np.ndindex(*codes.numblocks)]
    from ..core.chunked import _tree_sum

    tot = np.asarray(_tree_sum(parts).compute())
    return present.astype(codes.dtype), tot[:, 0].astype(np.int64), tot[:, 1:]


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

def _supply_kernel(codes, a, keys, lut, exempt, nodata):
    """Supply scores (..., m): S[code] · A, A clipped at 0; A = 1 for exempt classes; NaN = nodata."""
    vals = lookup(codes, keys, lut, nodata)
    a = np.broadcast_to(np.maximum(np.asarray(a, dtype=np.float64), 0.0), np.shape(codes))
    ex = np.isin(np.asarray(codes), exempt)
    a_eff = np.where(ex, 1.0, a)
    return (vals * a_eff[..., None]).astype(np.float32)


def _demand_kernel(codes, keys, lut, nodata):
    """Demand scores (..., m): D[code] (never corrected); NaN = nodata."""
    return lookup(codes, keys, lut, nodata).astype(np.float32)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------

def service_groups(groups: Mapping[str, str] | pd.DataFrame, table: pd.DataFrame, *,
                   name: str = "supply_table") -> dict[str, str]:
    """Service → group mapping from a dict or a ``service, group`` table, checked against ``table``.

    Every service must be a column of ``table`` and every numeric column of ``table`` must have a
    group; all problems are reported at once (``ConfigError.problems``).
    """
    if isinstance(groups, pd.DataFrame):
        missing_cols = [c for c in ("service", "group") if c not in groups.columns]
        if missing_cols:
            raise ConfigError(message("groups", "a table with columns service, group",
                                      f"missing {missing_cols} (has {list(groups.columns)})", "add them"))
        g = dict(zip(groups["service"].astype(str), groups["group"].astype(str)))
    else:
        g = {str(k): str(v) for k, v in dict(groups).items()}
    problems = []
    unknown = [s for s in g if s not in table.columns]
    if unknown:
        problems.append(message("groups", f"services that are columns of `{name}`",
                                f"unknown service(s) {unknown}", "fix the names or add the columns"))
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    ungrouped = [c for c in numeric if c not in g]
    if ungrouped:
        problems.append(message("groups", f"a group for every service column of `{name}`",
                                f"no group for {ungrouped}", f"add rows for {ungrouped} (groups {GROUPS})"))
    if problems:
        raise ConfigError("; ".join(problems), problems)
    return g


def _labels(services: list[str], g: dict[str, str]) -> tuple[list[str], list[str], np.ndarray]:
    """Output labels (services, groups, total), their level, and the (n_services, n_out) summing matrix."""
    groups = [x for x in GROUPS if x in g.values()] + sorted(set(g.values()) - set(GROUPS))
    labels = services + groups + ["total"]
    level = ["service"] * len(services) + ["group"] * len(groups) + ["total"]
    if set(labels[: len(services)]) & set(groups + ["total"]):
        raise ConfigError(message("groups", "group names different from service names and 'total'",
                                  f"groups {groups}", "rename the groups"))
    m = np.zeros((len(services), len(labels)))
    for i, s in enumerate(services):
        m[i, i] = 1.0
        if s in g:
            m[i, len(services) + groups.index(g[s])] = 1.0
        m[i, -1] = 1.0
    return labels, level, m


def _as_reference(ref, *, name: str) -> xr.DataArray | float:
    if isinstance(ref, xr.DataArray):
        return ref
    if isinstance(ref, Mapping):
        years = sorted(int(k) for k in ref)
        return xr.DataArray([float(ref[k]) for k in sorted(ref, key=int)], dims="time", coords={"time": years})
    try:
        v = float(ref)
    except (TypeError, ValueError) as e:
        raise ConfigError(message(name, "a number, a {year: value} mapping or a DataArray", repr(ref),
                                  "e.g. ndvi_reference=0.52")) from e
    return v


def lulc_matrix(lulc: xr.DataArray, *, supply_table: pd.DataFrame, demand_table: pd.DataFrame,
                groups: Mapping[str, str] | pd.DataFrame | None = None,
                ndvi: xr.DataArray | None = None, ndvi_mode: NdviMode = "region",
                ndvi_reference=None, ndvi_region=None,
                exempt_classes: Sequence[int] = (), name: str = "es") -> xr.Dataset:
    r"""ES supply, demand and balance from land-use × service score matrices.

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use (integer, ``.rio.nodata``), (y, x) or (time, y, x). numpy or dask.
    supply_table, demand_table : pandas.DataFrame
        Scores per class (rows: ``lucode`` column or index) and service (one column each),
        0-5 (Burkhard et al. 2012: 0 none, 1 low, 2 relevant, 3 medium, 4 high, 5 very high).
        Required: the literature matrices are figures, not data (a packaged, *illustrative*
        table is ``package:es_supply_matrix_6class`` / ``es_demand_matrix_6class``).
    groups : dict or DataFrame, optional
        Service → ES group (``provisioning``, ``regulating``, ``cultural``), as a mapping or a
        ``service, group`` table. Without it the services are every numeric column of
        ``supply_table`` and only the total is added.
    ndvi : xarray.DataArray, optional
        NDVI on the grid of ``lulc`` (pixel mode; region mode when ``ndvi_region`` is None).
    ndvi_mode : {"none", "region", "pixel"}
        ``none``: A = 1; ``region`` (Sun et al. 2025, eq. 3): one factor per year,
        A = NDVI_region / NDVI_reference; ``pixel``: A(x) = NDVI(x) / NDVI_reference.
    ndvi_reference : float, {year: float} or DataArray
        National (reference) mean NDVI of the same year; required unless ``ndvi_mode="none"``.
    ndvi_region : float, {year: float} or DataArray, optional
        Regional mean NDVI; default: mean of ``ndvi`` over the valid cells of ``lulc``
        (lazy for dask input).
    exempt_classes : sequence of int
        Classes whose supply is never corrected (e.g. water, **assumption — parameter**); they
        do not need NDVI in pixel mode.
    name : str
        Prefix of the variable names (``f"{name}_supply"``, ...).

    Returns
    -------
    xarray.Dataset
        ``supply``, ``demand``, ``balance``: float32 scores with a leading ``service`` dim whose
        labels are the services, then the groups, then ``"total"`` (coord ``level`` = service /
        group / total); NaN where ``lulc`` is nodata (and, for supply in pixel mode, where NDVI
        is NaN outside exempt classes). ``units = "score"``.

    Raises
    ------
    ConfigError
        A valid code of ``lulc`` has no row in a table (all missing codes listed), services
        differ between the tables, a service has no group, or ``ndvi_reference`` is missing.
    AlignmentError
        ``ndvi`` is not on the grid of ``lulc``.

    Notes
    -----
    .. math::

        s_j(x) = S_{lulc(x), j}\,A,\quad A = \max(0, \mathrm{NDVI}/\mathrm{NDVI}_{ref}) \\
        d_j(x) = D_{lulc(x), j},\quad b_j = s_j - d_j \\
        s_g = \sum_{j \in g} s_j,\quad s_{total} = \sum_g s_g

    Range: scores in [0, 5·A] per service (corrected supply may exceed 5); balance per service
    in [-5, 5·A]; group and total values scale with the number of services.

    Examples
    --------
    Forest (S = 5, D = 1) and built-up (S = 0, D = 5) with A = 1.2 give supply [6, 0] and
    balance [5, -5] (worked check).
    """
    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    if ndvi_mode not in ("none", "region", "pixel"):
        raise ConfigError(message("ndvi_mode", "one of none, region, pixel", repr(ndvi_mode), "pick one of those"))
    st = code_table(supply_table, name="supply_table")
    dt = code_table(demand_table, name="demand_table")
    if groups is None:
        g: dict[str, str] = {}
        services = [c for c in st.columns if pd.api.types.is_numeric_dtype(st[c])]
    else:
        g = service_groups(groups, st)
        services = list(g)
    problems = []
    for tname, t in (("supply_table", st), ("demand_table", dt)):
        miss = [s for s in services if s not in t.columns]
        if miss:
            problems.append(message(tname, f"a column for every service {services}", f"missing {miss}",
                                    f"add the column(s) {miss}"))
    if not services:
        problems.append(message("supply_table", "at least one numeric service column",
                                f"columns {list(st.columns)}", "add service columns"))
    if problems:
        raise ConfigError(problems[0] if len(problems) == 1 else "; ".join(problems), problems)
    s_vals = numeric_columns(st, services, name="supply_table")
    d_vals = numeric_columns(dt, services, name="demand_table")
    neg = [t for t, v in (("supply_table", s_vals), ("demand_table", d_vals)) if (v < 0).any()]
    if neg:
        raise ConfigError(message(neg[0], "non-negative scores (0-5)", "negative scores",
                                  "use 0 for no supply/demand; the balance is computed, not given"))
    labels, level, summ = _labels(services, g)
    s_lut, d_lut = s_vals @ summ, d_vals @ summ
    nod = lulc.rio.nodata
    s_keys = checked_keys(lulc, st.index.to_numpy(), table_name="supply_table")
    d_keys = checked_keys(lulc, dt.index.to_numpy(), table_name="demand_table")

    a = _ndvi_factor(lulc, ndvi, ndvi_mode, ndvi_reference, ndvi_region)
    exempt = np.asarray(sorted(int(c) for c in exempt_classes), dtype=np.int64)
    if isinstance(a, xr.DataArray) and ndvi_mode == "pixel":
        a = a.where(~lulc.isin(exempt), 1.0) if exempt.size else a
    sup = xr.apply_ufunc(_supply_kernel, lulc, a, s_keys, input_core_dims=[[], [], ["key"]],
                         output_core_dims=[["service"]],
                         kwargs={"lut": s_lut, "exempt": exempt, "nodata": nod},
                         dask="parallelized", output_dtypes=[np.float32],
                         dask_gufunc_kwargs={"output_sizes": {"service": len(labels)}})
    dem = xr.apply_ufunc(_demand_kernel, lulc, d_keys, input_core_dims=[[], ["key"]],
                         output_core_dims=[["service"]], kwargs={"lut": d_lut, "nodata": nod},
                         dask="parallelized", output_dtypes=[np.float32],
                         dask_gufunc_kwargs={"output_sizes": {"service": len(labels)}})
    coords = {"service": labels, "level": ("service", level)}
    order = ("service",) + tuple(d for d in sup.dims if d != "service")
    sup = sup.transpose(*order).assign_coords(coords)
    dem = dem.transpose(*order).assign_coords(coords)
    bal = sup - dem
    attrs = {"ndvi_mode": ndvi_mode, "exempt_classes": ",".join(str(c) for c in exempt) or None,
             "scale": "Burkhard et al. 2012 scores (0-5)"}
    ds = xr.Dataset({
        "supply": finalize(sup, like=lulc, name=f"{name}_supply", units="score", **attrs),
        "demand": finalize(dem, like=lulc, name=f"{name}_demand", units="score", **attrs),
        "balance": finalize(bal, like=lulc, name=f"{name}_balance", units="score", **attrs),
    })
    ds.attrs["formula"] = "supply = S[lulc]*A; demand = D[lulc]; balance = supply - demand"
    return ds


_SUM = "__group_sum"


def _group_tables(supply_table, demand_table, groups, labels):
    """Supply/demand tables with one column per ES group (the sum of its services), or None.

    Used when only group and total labels are needed; None when ``labels`` name single services.
    """
    if groups is None:
        return None
    st, dt = code_table(supply_table, name="supply_table"), code_table(demand_table, name="demand_table")
    g = service_groups(groups, st)
    names = list(dict.fromkeys(g.values()))
    if not set(labels) <= set(names) | {"total"}:
        return None
    out = []
    for t in (st, dt):
        miss = [s for s in g if s not in t.columns]
        if miss:
            return None
        out.append(pd.DataFrame({f"{n}{_SUM}": t[[s for s, gg in g.items() if gg == n]].sum(axis=1) for n in names},
                                index=t.index))
    return out[0], out[1]


def lulc_matrix_labels(lulc: xr.DataArray, *, supply_table: pd.DataFrame, demand_table: pd.DataFrame,
                       labels: Sequence[str], groups: Mapping[str, str] | pd.DataFrame | None = None,
                       ndvi: xr.DataArray | None = None, ndvi_mode: NdviMode = "region", ndvi_reference=None,
                       ndvi_region=None, exempt_classes: Sequence[int] = ()) -> xr.Dataset:
    """:func:`lulc_matrix` (supply, demand, balance) restricted to the ``labels`` of its ``service`` dim.

    When every label is an ES group or ``total``, the per-group sums of the scores are mapped directly:
    the matrix method is linear in the scores (supply = S[lulc]·A, demand = D[lulc]), so the group and
    total layers are the same as those of the full matrix while only ``len(labels)`` layers are computed
    instead of one per service and group. Labels naming single services use the full matrix. Lazy.
    """
    labels = list(labels)
    opts = dict(ndvi=ndvi, ndvi_mode=ndvi_mode, ndvi_reference=ndvi_reference, ndvi_region=ndvi_region,
                exempt_classes=exempt_classes)
    collapsed = _group_tables(supply_table, demand_table, groups, labels)
    if collapsed is None:
        m = lulc_matrix(lulc, supply_table=supply_table, demand_table=demand_table, groups=groups, **opts)
    else:
        m = lulc_matrix(lulc, supply_table=collapsed[0], demand_table=collapsed[1], **opts)
        m = m.assign_coords(service=[str(v).removesuffix(_SUM) for v in m["service"].values])
    return xr.Dataset({k: m[k].sel(service=labels) for k in ("supply", "demand", "balance")})


def _ndvi_factor(lulc, ndvi, mode, reference, region):
    """The correction factor A (scalar, per-year DataArray or raster); before clipping."""
    if mode == "none":
        return 1.0
    if reference is None:
        raise ConfigError(message("ndvi_reference", f"the national mean NDVI for ndvi_mode={mode!r}", "None",
                                  "pass ndvi_reference=<national mean NDVI of the year>, or ndvi_mode='none'"))
    ref = _as_reference(reference, name="ndvi_reference")
    if mode == "pixel" or region is None:
        if ndvi is None:
            raise ConfigError(message("ndvi", f"an NDVI raster for ndvi_mode={mode!r}", "None",
                                      "pass ndvi=..., or ndvi_region=<regional mean NDVI>"))
        check_raster(ndvi, name="ndvi", crs=False)
        if "x" in ndvi.coords and lulc.rio.crs is not None and ndvi.rio.crs is not None:
            check_aligned(lulc=lulc, ndvi=ndvi)
        elif ndvi.sizes["y"] != lulc.sizes["y"] or ndvi.sizes["x"] != lulc.sizes["x"]:
            raise DataError(message("ndvi", "the shape of `lulc`", f"{ndvi.shape} vs {lulc.shape}",
                                    "use rp.io.align(ndvi, like=lulc)"))
    if mode == "pixel":
        nd = ndvi.astype(np.float64) if not np.issubdtype(ndvi.dtype, np.floating) else ndvi
        return nd / ref
    if region is not None:
        reg = _as_reference(region, name="ndvi_region")
    else:
        from ..io.raster import valid_mask

        reg = ndvi.where(valid_mask(lulc)).mean(dim=("y", "x"), skipna=True)
    return reg / ref


def lulc_matrix_totals(matrix: xr.Dataset, lulc: xr.DataArray, *, by_class: bool = True) -> pd.DataFrame:
    r"""Area-weighted totals ES_j = Σ_k area_k · V_jk (Sun et al. 2025, eq. 1-2), in score·km². Computes.

    Parameters
    ----------
    matrix : xarray.Dataset
        Result of :func:`lulc_matrix`.
    lulc : xarray.DataArray
        The land use it was computed from (projected CRS; cell area from the transform).
    by_class : bool
        True: one row per class (and time, measure, service); False: summed over classes.

    Returns
    -------
    pandas.DataFrame
        Tidy: [``time``,] [``lucode``, ``area_km2``,] ``measure`` (supply / demand / balance),
        ``service``, ``level``, ``value`` (score·km²). With ``ndvi_mode="pixel"`` the sum is
        taken cell by cell, Σ_x v(x)·A_cell, which equals eq. 1 for constant scores per class.
    """
    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    cell_km2 = cell_area_m2(lulc, name="lulc") / 1e6
    nod = lulc.rio.nodata
    labels = [str(s) for s in matrix["supply"]["service"].values]
    levels = [str(s) for s in matrix["supply"]["level"].values]
    extra = [d for d in lulc.dims if d not in ("y", "x")]
    slices = [({}, lulc)] if not extra else [
        ({d: v for d, v in zip(extra, key)}, lulc.sel(dict(zip(extra, key))))
        for key in pd.MultiIndex.from_product([lulc[d].values for d in extra])]
    rows = []
    for sel, lu in slices:
        codes = lu.data
        for measure in ("supply", "demand", "balance"):
            m = matrix[measure].sel(sel) if sel else matrix[measure]
            v = m.transpose(..., "y", "x", "service").data
            cls, counts, sums = sums_by_class_any(codes, v, nod)
            for i, c in enumerate(cls):
                for j, lab in enumerate(labels):
                    rows.append({**sel, "lucode": int(c), "area_km2": counts[i] * cell_km2,
                                 "measure": measure, "service": lab, "level": levels[j],
                                 "value": sums[i, j] * cell_km2})
    df = pd.DataFrame(rows)
    if not by_class and not df.empty:
        keys = extra + ["measure", "service", "level"]
        df = df.groupby(keys, sort=False, as_index=False)["value"].sum()
    return df
