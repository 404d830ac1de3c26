"""Equivalent-factor ecosystem service value (Xie et al. 2015), and Costanza unit values.

The value of each service f on a cell of class k is the dimensionless equivalent E[k, f] times the
value D of one standard equivalent (yuan hm⁻² a⁻¹), optionally scaled by a regional or per-pixel
adjustment factor (NPP, precipitation, soil conservation), times the cell area in hm².

Packaged tables (``package:NAME`` in study files; :func:`load_table` in Python):

* ``xie2015_equivalent_factors`` — 14 ecosystems × 11 services (Xie et al. 2015; ``check_status``
  per row; rows ``recalled_not_checked`` raise an :class:`AssumptionWarning` when used);
* ``xie2015_mapping_6class`` — the default class → row mapping of the 6-class demo legend
  (a convention, not from the paper);
* ``niu2025_6class`` — the 6-class table of Niu et al. (2025), transcribed;
* ``costanza_unit_values`` and ``costanza_mapping_6class`` — Costanza et al. 1997/2014 unit values.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import AssumptionWarning, ConfigError, message
from ..core.finalize import finalize
from ..core.grid import cell_area_m2
from ..core.validate import check_aligned, check_raster
from ..tables import load_table
from .matrix import checked_keys, code_table, lookup, numeric_columns, sums_by_class_any

__all__ = [
    "ADJUSTMENT_FACTOR",
    "XIE_SERVICES",
    "class_equivalents",
    "costanza_esv",
    "equivalent_value_net_profit",
    "equivalent_value_one_seventh",
    "esv",
    "esv_table",
    "load_table",
]

XIE_SERVICES: tuple[str, ...] = (
    "food_production", "raw_material", "water_supply", "gas_regulation", "climate_regulation",
    "purify_environment", "hydrological_regulation", "soil_conservation", "nutrient_cycling",
    "biodiversity", "aesthetic_landscape",
)
#: Xie et al. 2015 adjustment: which factor scales which service (P = NPP, R = precipitation, S = soil conservation).
ADJUSTMENT_FACTOR: dict[str, str] = {
    "food_production": "npp", "raw_material": "npp", "water_supply": "precipitation",
    "gas_regulation": "npp", "climate_regulation": "npp", "purify_environment": "npp",
    "hydrological_regulation": "precipitation", "soil_conservation": "soil_conservation",
    "nutrient_cycling": "npp", "biodiversity": "npp", "aesthetic_landscape": "npp",
}
_FACTORS = ("npp", "precipitation", "soil_conservation")
_NON_SERVICE = {"lucode", "row_total", "weight"}
NONE_ROW = "none"  # mapping target meaning "no ecosystem service" (all equivalents 0), e.g. built-up land


# --------------------------------------------------------------------------------------------
# value of one equivalent
# --------------------------------------------------------------------------------------------

def equivalent_value_net_profit(sown_share: Mapping[str, float] | Sequence[float],
                                net_profit: Mapping[str, float] | Sequence[float]) -> float:
    r"""Value of one standard equivalent by the net-profit rule (Xie et al. 2015).

    Parameters
    ----------
    sown_share : mapping crop → share, or sequence
        Sown-area shares :math:`s_c` of the main grain crops (rice, wheat, maize); sum to 1.
    net_profit : mapping crop → yuan hm⁻², or sequence (same order)
        Net profit per hectare :math:`F_c` of each crop.

    Returns
    -------
    float
        :math:`D = \sum_c s_c F_c` in yuan hm⁻² a⁻¹.
    """
    s, f = _paired(sown_share, net_profit, "sown_share", "net_profit")
    if np.any(s < 0) or abs(s.sum() - 1.0) > 1e-6:
        raise ConfigError(message("sown_share", "non-negative shares summing to 1", f"{s.tolist()} (sum {s.sum():.6g})",
                                  "divide each crop's sown area by the total"))
    return float(np.sum(s * f))


def equivalent_value_one_seventh(sown_area: Mapping[str, float] | Sequence[float],
                                 price: Mapping[str, float] | Sequence[float],
                                 yield_per_hm2: Mapping[str, float] | Sequence[float]) -> float:
    r"""Value of one standard equivalent by the 1/7 rule (Xie et al. 2003/2015 practice).

    Parameters
    ----------
    sown_area : sown area :math:`m_c` of each grain crop (any area unit, hm² typical).
    price : grain price :math:`p_c` (yuan kg⁻¹).
    yield_per_hm2 : yield :math:`q_c` (kg hm⁻²).

    Returns
    -------
    float
        :math:`D = \frac{1}{7}\sum_c m_c p_c q_c / M`, :math:`M = \sum_c m_c` (yuan hm⁻² a⁻¹).

    Examples
    --------
    >>> round(equivalent_value_one_seventh([1.0], [2.28], [4600.89]), 2)
    1498.58
    """
    m, p = _paired(sown_area, price, "sown_area", "price")
    _, q = _paired(sown_area, yield_per_hm2, "sown_area", "yield_per_hm2")
    if np.any(m < 0) or m.sum() <= 0:
        raise ConfigError(message("sown_area", "non-negative areas with a positive total", m.tolist(),
                                  "give the sown area of each crop"))
    if np.any(p < 0) or np.any(q < 0):
        raise ConfigError(message("price/yield_per_hm2", "non-negative values", f"{p.tolist()} / {q.tolist()}",
                                  "check the statistics"))
    return float(np.sum(m * p * q) / m.sum() / 7.0)


def _paired(a, b, na: str, nb: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(a, Mapping) != isinstance(b, Mapping):
        raise ConfigError(message(nb, f"the same form as `{na}` (both mappings or both sequences)",
                                  type(b).__name__, "use crop-name mappings for both"))
    if isinstance(a, Mapping):
        missing = sorted(set(a) ^ set(b))
        if missing:
            raise ConfigError(message(nb, f"the crops of `{na}`", f"crops differ: {missing}", "give every crop in both"))
        keys = sorted(a)
        return np.array([a[k] for k in keys], float), np.array([b[k] for k in keys], float)
    x, y = np.asarray(a, float), np.asarray(b, float)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ConfigError(message(nb, f"one value per crop ({x.size})", f"{y.size} values", "align the lists"))
    return x, y


# --------------------------------------------------------------------------------------------
# class equivalents
# --------------------------------------------------------------------------------------------

def _services_of(table: pd.DataFrame) -> list[str]:
    if all(s in table.columns for s in XIE_SERVICES):
        return list(XIE_SERVICES)
    return [c for c in table.columns if c not in _NON_SERVICE and pd.api.types.is_numeric_dtype(table[c])]


def class_equivalents(equivalents: pd.DataFrame, mapping: pd.DataFrame | Mapping | None = None, *,
                      row_column: str = "ecosystem", status_column: str = "check_status") -> pd.DataFrame:
    r"""Equivalents per land-use class: :math:`E_{k,f} = \sum_r w_{k,r} E_{r,f}`.

    Parameters
    ----------
    equivalents : pandas.DataFrame
        One row per ecosystem (column ``row_column``) with one numeric column per service (e.g.
        ``xie2015_equivalent_factors``); a table that already has a ``lucode`` column (e.g.
        ``niu2025_6class``) is used as is when ``mapping`` is None.
    mapping : DataFrame ``lucode, <row_column>, weight`` or {lucode: row | {row: weight}}, optional
        Class → row or weighted mix of rows; weights of a class sum to 1. The row ``"none"`` is all
        zeros (e.g. built-up land). Default for a table without ``lucode``: the packaged
        ``xie2015_mapping_6class`` (demo legend; a convention, with an ``AssumptionWarning``).
    row_column, status_column : str
        Names of the ecosystem and check-status columns.

    Returns
    -------
    pandas.DataFrame
        Index ``lucode``, one column per service (dimensionless equivalents).

    Warns
    -----
    AssumptionWarning
        A used row is marked ``recalled_not_checked`` (or ``recalled``), or the default mapping is used.
    """
    if not isinstance(equivalents, pd.DataFrame):
        raise ConfigError(message("equivalents", "a pandas DataFrame", type(equivalents).__name__,
                                  "read it with pd.read_csv or load_table('xie2015_equivalent_factors')"))
    services = _services_of(equivalents)
    if not services:
        raise ConfigError(message("equivalents", "numeric service columns", f"columns {list(equivalents.columns)}",
                                  "add one column per service"))
    if mapping is None and "lucode" in equivalents.columns:
        t = code_table(equivalents, name="equivalents")
        _warn_status(t, t.index.tolist(), status_column, what="class")
        return pd.DataFrame(numeric_columns(t, services, name="equivalents"), index=t.index, columns=services)
    if row_column not in equivalents.columns:
        raise ConfigError(message("equivalents", f"a `{row_column}` column naming each row",
                                  f"columns {list(equivalents.columns)}", f"add `{row_column}` or a `lucode` column"))
    if mapping is None:
        warnings.warn("esv: no class mapping given; using the packaged xie2015_mapping_6class (demo legend "
                      "1 cropland = dry land, 2 forest = mean of 4 forest rows, 3 grassland = mean of 3 grass "
                      "rows, 4 water = water system, 5 built = 0, 6 barren = bare land; a convention)",
                      AssumptionWarning, stacklevel=2)
        mapping = load_table("xie2015_mapping_6class")
    m = _mapping_frame(mapping, row_column)
    rows = equivalents.set_index(equivalents[row_column].astype(str))
    dup = sorted(set(rows.index[rows.index.duplicated()]))
    if dup:
        raise ConfigError(message("equivalents", f"unique `{row_column}` names", f"duplicates {dup}", "rename them"))
    vals = pd.DataFrame(numeric_columns(rows, services, name="equivalents"), index=rows.index, columns=services)
    vals.loc[NONE_ROW] = 0.0
    problems = []
    unknown = sorted(set(m[row_column]) - set(vals.index))
    if unknown:
        problems.append(message("mapping", f"rows of `equivalents` (or '{NONE_ROW}')", f"unknown row(s) {unknown}",
                                f"use names from {sorted(vals.index)}"))
    wsum = m.groupby("lucode")["weight"].sum()
    bad = wsum[(wsum - 1.0).abs() > 1e-6]
    if (m["weight"] < 0).any() or len(bad):
        problems.append(message("mapping", "non-negative weights summing to 1 for each class",
                                f"sums {bad.round(6).to_dict()}" if len(bad) else "negative weights",
                                "e.g. 0.25 for each of 4 forest rows"))
    if problems:
        raise ConfigError("; ".join(problems), problems)
    used = sorted(set(m.loc[m["weight"] > 0, row_column]) - {NONE_ROW})
    _warn_status(rows, used, status_column, what="row")
    out = {}
    for code, grp in m.groupby("lucode"):
        out[int(code)] = (vals.loc[grp[row_column].to_numpy()].to_numpy() * grp["weight"].to_numpy()[:, None]).sum(axis=0)
    res = pd.DataFrame.from_dict(out, orient="index", columns=services)
    res.index.name = "lucode"
    return res.sort_index()


def _mapping_frame(mapping, row_column: str) -> pd.DataFrame:
    if isinstance(mapping, pd.DataFrame):
        miss = [c for c in ("lucode", row_column) if c not in mapping.columns]
        if miss:
            raise ConfigError(message("mapping", f"columns lucode, {row_column}[, weight]",
                                      f"missing {miss} (has {list(mapping.columns)})", "add them"))
        m = mapping.loc[:, ["lucode", row_column] + (["weight"] if "weight" in mapping.columns else [])].copy()
        if "weight" not in m.columns:
            m["weight"] = 1.0
    else:
        recs = []
        for code, target in dict(mapping).items():
            if isinstance(target, Mapping):
                recs += [(code, r, w) for r, w in target.items()]
            else:
                recs.append((code, target, 1.0))
        m = pd.DataFrame(recs, columns=["lucode", row_column, "weight"])
    m[row_column] = m[row_column].astype(str)
    try:
        m["lucode"] = m["lucode"].astype(np.int64)
        m["weight"] = m["weight"].astype(float)
    except (TypeError, ValueError) as e:
        raise ConfigError(message("mapping", "integer lucode and numeric weight", str(e), "fix the table")) from e
    return m


def _warn_status(table: pd.DataFrame, used, status_column: str, *, what: str) -> None:
    if status_column not in table.columns:
        return
    st = table[status_column].astype(str)
    flagged = [r for r in used if r in st.index and st.loc[r].startswith("recalled")]
    if flagged:
        warnings.warn(f"esv: {what}(s) {flagged} of the equivalents table are marked "
                      f"{sorted(set(st.loc[flagged]))} (values recalled from the literature, not checked "
                      "against the paper); check them before relying on the result", AssumptionWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------
# kernel and public function
# --------------------------------------------------------------------------------------------

def _esv_kernel(codes, p, r, s, keys, vc, fidx, cell_ha, nodata, band: int = 1 << 16):
    """ESV (..., n_f + 1) in value per cell: VC[code, f] · adj_f · A_cell(hm²), then the total.

    ``fidx[f]`` selects the factor of service f: 0 none, 1 ``p`` (NPP), 2 ``r`` (precipitation),
    3 ``s`` (soil conservation). NaN where the code is nodata or a used factor is NaN. Computed in
    float64 on bands of ``band`` cells and stored as float32, so the temporaries stay a few MB
    whatever the block size.
    """
    shape = np.shape(codes)
    n = int(np.prod(shape))
    flat = np.reshape(codes, -1)
    factors = [float(a) if np.ndim(a) == 0 else np.reshape(np.broadcast_to(np.asarray(a, np.float64), shape), -1)
               for a in (p, r, s)]
    out = np.empty((n, fidx.size + 1), np.float32)
    for i in range(0, n, band):
        sl = slice(i, min(n, i + band))
        m = sl.stop - sl.start
        fac = np.stack([np.ones(m), *(np.full(m, f) if isinstance(f, float) else f[sl] for f in factors)], axis=-1)
        vals = lookup(flat[sl], keys, vc, nodata) * fac[:, fidx] * cell_ha
        out[sl, :-1] = vals
        out[sl, -1] = vals.sum(axis=-1)
    return out.reshape(shape + (fidx.size + 1,))


def _factor(value, ref, mode: str, *, name: str, lulc: xr.DataArray):
    """Adjustment factor: value/ref (region: scalar or regional mean; pixel: raster/ref)."""
    if ref is None or not np.isfinite(float(ref)) or float(ref) <= 0:
        raise ConfigError(message(f"{name}_ref", f"a positive reference value for the {name} adjustment",
                                  repr(ref), f"pass {name}_ref=<national/reference mean of {name}>"))
    if isinstance(value, xr.DataArray):
        check_raster(value, name=name, crs=False)
        if lulc.rio.crs is not None and value.rio.crs is not None:
            check_aligned(lulc=lulc, **{name: value})
        v = value.astype(np.float64)
        if mode == "region":
            from ..io.raster import valid_mask

            v = v.where(valid_mask(lulc)).mean(dim=("y", "x"), skipna=True)
        return v / float(ref)
    if mode == "pixel":
        raise ConfigError(message(name, "a raster for adjust='pixel'", type(value).__name__,
                                  "pass a DataArray, or use adjust='region' with a regional value"))
    return float(value) / float(ref)


def esv(lulc: xr.DataArray, *, equivalents: pd.DataFrame, equivalent_value: float,
        mapping: pd.DataFrame | Mapping | None = None,
        adjust: Literal["none", "region", "pixel"] = "none",
        npp=None, npp_ref: float | None = None,
        precipitation=None, precipitation_ref: float | None = None,
        soil_conservation=None, soil_conservation_ref: float | None = None,
        units: str = "yuan/a", name: str = "esv") -> xr.DataArray:
    r"""Ecosystem service value per cell by the equivalent-factor method (Xie et al. 2015).

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use (integer, ``.rio.nodata``), (y, x) or with ``time``/``scenario``
        dims; projected CRS (cell area). numpy or dask.
    equivalents : pandas.DataFrame
        Equivalent factors (dimensionless): ``load_table("xie2015_equivalent_factors")`` (rows =
        ecosystems, mapped to classes by ``mapping``) or a per-class table with ``lucode``
        (``load_table("niu2025_6class")``).
    equivalent_value : float
        D, yuan hm⁻² a⁻¹ (> 0): the value of one standard equivalent; Xie 2015 gives ≈ 3406.5
        for China 2010 (**unverified — check the paper**). See
        :func:`equivalent_value_net_profit` and :func:`equivalent_value_one_seventh`.
    mapping : DataFrame or dict, optional
        Class → row (or weighted mix); see :func:`class_equivalents`.
    adjust : {"none", "region", "pixel"}
        Xie 2015 spatial adjustment. ``region``: one factor value/ref (a given number, or the mean
        of a raster over valid cells); ``pixel``: raster/ref per cell.
    npp, precipitation, soil_conservation : float or DataArray, optional
        Values for the P (NPP), R (precipitation) and S (soil conservation) factors; a factor
        without data is 1 (with a warning when ``adjust != "none"``).
    npp_ref, precipitation_ref, soil_conservation_ref : float, optional
        Reference (national) means for those factors, same units as the data.
    units : str
        Unit of the result (D's currency per year).
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        float32 ESV per cell (``units``, default yuan/a) with a leading ``service`` dim: the 11
        services, then ``"total"`` (coord ``level``); NaN where ``lulc`` is nodata or a used
        adjustment raster is NaN. Negative values (paddy water supply) are kept.

    Raises
    ------
    ConfigError
        Missing class codes (all listed), bad mapping weights, non-positive ``equivalent_value``
        or reference values.
    CRSError
        ``lulc`` has no projected CRS.

    Notes
    -----
    .. math::

        VC_{f,k} = E_{f,k}\,D,\qquad
        ESV_f(x) = VC_{f,lulc(x)}\; adj_f(x)\; \frac{A_{cell}}{10^4},\qquad ESV = \sum_f ESV_f

    with :math:`adj = P = NPP/NPP_{ref}` for food, raw material, gas, climate, purification,
    nutrient cycling, biodiversity and aesthetics; :math:`R = Prec/Prec_{ref}` for water supply
    and hydrological regulation; :math:`S = SC/SC_{ref}` for soil conservation. Area in hm²
    (not km²). Range: unbounded; typically 0 to ~1.2·10⁴·D per hm² (water), and negative for
    paddy water supply.

    Examples
    --------
    One 30 m dry-land cell with D = 3406.5: 4.01 × 3406.5 × 0.09 = 1229.41 yuan a⁻¹.

    References
    ----------
    Xie G. et al. 2015. J. Nat. Resour. 30:1243-1254.
    """
    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    d = float(equivalent_value)
    if not np.isfinite(d) or d <= 0:
        raise ConfigError(message("equivalent_value", "D > 0 (yuan hm^-2 a^-1)", repr(equivalent_value),
                                  "e.g. 3406.5 (Xie 2015, China 2010), or compute it with equivalent_value_net_profit"))
    if adjust not in ("none", "region", "pixel"):
        raise ConfigError(message("adjust", "one of none, region, pixel", repr(adjust), "pick one of those"))
    ce = class_equivalents(equivalents, mapping)
    services = list(ce.columns)
    vc = ce.to_numpy() * d
    keys = checked_keys(lulc, ce.index.to_numpy(), table_name="equivalents/mapping")
    cell_ha = cell_area_m2(lulc, name="lulc") / 1e4

    data = {"npp": (npp, npp_ref), "precipitation": (precipitation, precipitation_ref),
            "soil_conservation": (soil_conservation, soil_conservation_ref)}
    facs = {f: 1.0 for f in _FACTORS}
    if adjust != "none":
        absent = [f for f in _FACTORS if data[f][0] is None and any(ADJUSTMENT_FACTOR.get(s) == f for s in services)]
        if len(absent) == len(_FACTORS):
            raise ConfigError(message("adjust", f"data for at least one factor with adjust={adjust!r}",
                                      "no npp, precipitation or soil_conservation",
                                      "pass e.g. npp=<raster or regional mean> and npp_ref=..., or adjust='none'"))
        if absent:
            warnings.warn(f"esv: no data for the {absent} adjustment factor(s); they are set to 1",
                          AssumptionWarning, stacklevel=2)
        for f in _FACTORS:
            if data[f][0] is not None:
                facs[f] = _factor(data[f][0], data[f][1], adjust, name=f, lulc=lulc)
    fidx = np.array([1 + _FACTORS.index(ADJUSTMENT_FACTOR[s]) if s in ADJUSTMENT_FACTOR else 0
                     for s in services], dtype=np.int64)
    labels = services + ["total"]
    out = xr.apply_ufunc(_esv_kernel, lulc, facs["npp"], facs["precipitation"], facs["soil_conservation"], keys,
                         input_core_dims=[[], [], [], [], ["key"]], output_core_dims=[["service"]],
                         kwargs={"vc": vc, "fidx": fidx, "cell_ha": cell_ha, "nodata": lulc.rio.nodata},
                         dask="parallelized", output_dtypes=[np.float32],
                         dask_gufunc_kwargs={"output_sizes": {"service": len(labels)}})
    order = ("service",) + tuple(dm for dm in lulc.dims)
    extra = [dm for dm in out.dims if dm not in order]  # dims brought in by per-year factors
    out = out.transpose(*(("service",) + tuple(extra) + tuple(lulc.dims)))
    out = out.assign_coords(service=labels, level=("service", ["service"] * len(services) + ["total"]))
    return finalize(out, like=lulc, name=name, units=units, equivalent_value=d, adjust=adjust,
                    method="equivalent factor (Xie et al. 2015)")


def esv_table(esv_da: xr.DataArray, lulc: xr.DataArray) -> pd.DataFrame:
    """Tidy per-class ESV table from :func:`esv` (sums over cells). Computes.

    Returns
    -------
    pandas.DataFrame
        Columns [dims other than y/x and service,] ``lucode``, ``area_hm2``, ``service``,
        ``value`` (sum over the class, ``units`` of ``esv_da``) and ``value_per_hm2``;
        negative values kept.
    """
    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    cell_ha = cell_area_m2(lulc, name="lulc") / 1e4
    labels = [str(s) for s in esv_da["service"].values]
    extra = [dm for dm in esv_da.dims if dm not in ("service", "y", "x")]
    if extra:
        idx = pd.MultiIndex.from_product([esv_da[dm].values for dm in extra], names=extra)
        sels = [dict(zip(extra, k)) for k in idx]
    else:
        sels = [{}]
    rows = []
    for sel in sels:
        lu = lulc.sel({k: v for k, v in sel.items() if k in lulc.dims}) if sel else lulc
        v = esv_da.sel(sel).transpose("y", "x", "service").data if sel else esv_da.transpose("y", "x", "service").data
        cls, counts, sums = sums_by_class_any(lu.data, v, lulc.rio.nodata)
        for i, c in enumerate(cls):
            area = counts[i] * cell_ha
            for j, lab in enumerate(labels):
                rows.append({**sel, "lucode": int(c), "area_hm2": area, "service": lab,
                             "value": sums[i, j], "value_per_hm2": sums[i, j] / area})
    df = pd.DataFrame(rows)
    df.attrs["units"] = esv_da.attrs.get("units", "")
    return df


def costanza_esv(lulc: xr.DataArray, *, mapping: pd.DataFrame | Mapping | None = None,
                 edition: Literal["1997", "2014"] = "2014", unit_values: pd.DataFrame | None = None,
                 name: str = "esv_costanza") -> xr.DataArray:
    r"""ESV from Costanza et al. unit values per biome (an alternative to equivalent factors).

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use, projected CRS.
    mapping : DataFrame ``lucode, biome, weight`` or dict, optional
        Class → biome (or weighted mix); default ``costanza_mapping_6class`` (demo legend;
        urban and barren (desert) are not valued in 1997, desert not in 2014 → 0).
    edition : {"1997", "2014"}
        Costanza et al. 1997 (1994 US$ ha⁻¹ a⁻¹) or 2014 (2007 US$ ha⁻¹ a⁻¹).
    unit_values : DataFrame, optional
        Default: the packaged ``costanza_unit_values``.
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        float32 (y, x) value per cell in ``USD1994/a`` or ``USD2007/a``; NaN = nodata.

    Notes
    -----
    :math:`ESV(x) = V_{lulc(x)} \cdot A_{cell}/10^4`. Biomes without a published value count as
    0 (with a warning); values marked ``recalled`` in the table warn (AssumptionWarning).
    """
    if edition not in ("1997", "2014"):
        raise ConfigError(message("edition", "'1997' or '2014'", repr(edition), "pick one"))
    uv = load_table("costanza_unit_values") if unit_values is None else unit_values
    col = {"1997": "costanza1997_usd1994_per_ha_yr", "2014": "costanza2014_usd2007_per_ha_yr"}[edition]
    status = f"check_status_{edition}"
    for c in ("biome", col):
        if c not in uv.columns:
            raise ConfigError(message("unit_values", f"a `{c}` column", f"columns {list(uv.columns)}",
                                      "use the layout of costanza_unit_values.csv"))
    if mapping is None:
        mapping = load_table("costanza_mapping_6class")
    m = _mapping_frame(mapping, "biome")
    t = pd.DataFrame({"ecosystem": uv["biome"].astype(str), "unit_value": pd.to_numeric(uv[col], errors="coerce")})
    if status in uv.columns:
        t["check_status"] = uv[status].astype(str).to_numpy()
    used = sorted(set(m.loc[m["weight"] > 0, "biome"]))
    unvalued = [b for b in used if b in set(t["ecosystem"]) and t.loc[t["ecosystem"] == b, "unit_value"].isna().all()]
    if unvalued:
        warnings.warn(f"costanza_esv: biome(s) {unvalued} have no {edition} unit value; counted as 0",
                      AssumptionWarning, stacklevel=2)
    t["unit_value"] = t["unit_value"].fillna(0.0)
    m = m.rename(columns={"biome": "ecosystem"})
    out = esv(lulc, equivalents=t, mapping=m, equivalent_value=1.0,
              units={"1997": "USD1994/a", "2014": "USD2007/a"}[edition], name=name)
    res = out.sel(service="total", drop=True)
    res = res.drop_vars("level", errors="ignore")
    return finalize(res, like=lulc, name=name, units=out.attrs["units"],
                    method=f"Costanza et al. {edition} unit values")
