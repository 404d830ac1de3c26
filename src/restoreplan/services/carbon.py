"""Carbon storage, change and value (InVEST Carbon 3.20 parity).

Kernel: a per-class lookup of the four pools summed in float32, exactly as InVEST reclassifies each
pool to a float32 raster and adds them. Public functions take and return ``xarray.DataArray``
rasters (numpy- or dask-backed; nothing is computed here except in :func:`carbon_totals`).

Formulas (t ha⁻¹ per pixel; totals in t)::

    C(x)   = c_above + c_below + c_soil + c_dead            (per LULC class)
    C'(x)  = C(x) · NEP(x) / mean_valid(NEP)               (optional NEP correction, Zhao et al. 2023, eq. 1)
    total  = Σ_valid C(x) · A_cell / 10⁴
    ΔC     = C_alt − C_bas
    V      = price / n · (1 − rⁿ)/(1 − r),  r = 1/((1 + disc/100)(1 + rate/100)),  n = alt_year − bas_year
             (V = price when r = 1);  NPV(x) = ΔC(x) · V
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, message
from ..core.grid import cell_area_m2
from ..core.validate import check_aligned, check_raster
from ._fast import finish
from ._lulc_lookup import reclassify, table_by_code
from ..core.compute import materialize

__all__ = [
    "POOLS",
    "carbon_change",
    "carbon_density_by_class",
    "carbon_npv",
    "carbon_storage",
    "carbon_totals",
    "pool_table",
    "valuation_constant",
]

POOLS = ("c_above", "c_below", "c_soil", "c_dead")


def pool_table(pools: pd.DataFrame, *, name: str = "pools") -> pd.DataFrame:
    """Validate a pools table (``lucode, c_above, c_below, c_soil, c_dead``; any case) and index it by code.

    Pools are carbon stocks, ≥ 0 t/ha: negative values warn (:class:`PlausibilityWarning`).
    """
    from ..core.errors import implausible

    df = table_by_code(pools, name=name, required=POOLS)
    vals = df[list(POOLS)].apply(pd.to_numeric, errors="coerce")
    neg = vals < 0
    if neg.to_numpy().any():
        cells = [f"{c}={plain_num(vals.at[i, c])} (lucode {i})" for i in vals.index for c in POOLS if neg.at[i, c]]
        implausible(name, "carbon pools ≥ 0 t/ha", f"negative value(s): {', '.join(cells[:6])}",
                    "fix the table; a stock cannot be negative (use carbon_change for losses)")
    return df


def plain_num(v) -> str:
    """A number as text without numpy's repr."""
    return f"{float(v):g}"


def carbon_density_by_class(pools: pd.DataFrame, *, name: str = "pools") -> pd.Series:
    """Total carbon density per class (t/ha), summed pool by pool in float32 like InVEST."""
    df = pool_table(pools, name=name)
    total = np.zeros(len(df), dtype=np.float32)
    for p in POOLS:  # sequential float32 adds: ((above + below) + soil) + dead
        total = total + df[p].to_numpy(np.float64).astype(np.float32)
    return pd.Series(total, index=df.index, name="c_storage")


def _storage_kernel(lulc: np.ndarray, codes: np.ndarray, dens: np.ndarray, nodata, table_name: str,
                    raster_name: str) -> np.ndarray:
    return reclassify(lulc, codes, dens, nodata=nodata, fill=np.float32(np.nan), table_name=table_name,
                      raster_name=raster_name)


def carbon_storage(lulc: xr.DataArray, pools: pd.DataFrame, *, nep: xr.DataArray | None = None,
                   name: str = "c_storage", pools_name: str = "pools") -> xr.DataArray:
    """Carbon stored per pixel, t ha⁻¹ (float32, NaN where ``lulc`` is nodata).

    Parameters
    ----------
    lulc : categorical raster (integer codes, ``.rio.nodata`` set).
    pools : table with ``lucode, c_above, c_below, c_soil, c_dead`` in t ha⁻¹ (or indexed by code).
    nep : optional NEP (or NPP) raster on the grid of ``lulc``; when given the density is scaled by
        the spatial factor NEP(x)/mean(NEP) (mean over pixels valid in both layers).
    name : name of the result.
    pools_name : how messages name the pools table (e.g. ``carbon_pools_path``).

    Raises
    ------
    ConfigError
        when a pool column is missing or a valid LULC code has no row (all codes listed).

    Notes
    -----
    :math:`C(x) = c_{above} + c_{below} + c_{soil} + c_{dead}` of the class of :math:`x`, summed in
    float32 as InVEST does (identical to InVEST 3.20 per pixel). Range: ≥ 0 for non-negative pools.
    """
    check_raster(lulc, name="lulc", kind="categorical", crs=False)
    dens = carbon_density_by_class(pools, name=pools_name)
    codes = dens.index.to_numpy(np.int64)
    vals = dens.to_numpy(np.float32)
    out = xr.apply_ufunc(_storage_kernel, lulc, kwargs={"codes": codes, "dens": vals, "nodata": lulc.rio.nodata,
                                                        "table_name": "pools", "raster_name": "lulc"},
                         dask="parallelized", output_dtypes=[np.float32])
    method = "InVEST carbon (sum of four pools)"
    if nep is not None:
        check_raster(nep, name="nep", kind="continuous", crs=False)
        if lulc.rio.crs is not None and nep.rio.crs is not None:
            check_aligned(lulc=lulc, nep=nep)
        nep32 = nep.astype(np.float32)
        both = out.notnull() & nep32.notnull()
        mean = nep32.where(both).mean(skipna=True, dtype=np.float64)
        out = (out * (nep32 / mean)).astype(np.float32)
        method += " × NEP/mean(NEP)"
    return finish(out, like=lulc, name=name, units="t/ha", method=method)


def carbon_change(c_bas: xr.DataArray, c_alt: xr.DataArray, *, name: str = "c_change") -> xr.DataArray:
    """Change in stored carbon, alternate − baseline (t ha⁻¹; float32; NaN where either is NaN)."""
    check_raster(c_bas, name="c_bas", kind="continuous", crs=False)
    check_raster(c_alt, name="c_alt", kind="continuous", crs=False)
    if c_bas.rio.crs is not None and c_alt.rio.crs is not None:
        check_aligned(c_bas=c_bas, c_alt=c_alt)
    out = xr.apply_ufunc(np.subtract, c_alt.astype(np.float32), c_bas.astype(np.float32),
                         dask="parallelized", output_dtypes=[np.float32])
    return finish(out, like=c_bas, name=name, units="t/ha", method="c_alt - c_bas")


def valuation_constant(*, price_per_t: float, discount_rate_pct: float, rate_change_pct: float,
                       bas_year: int, alt_year: int) -> float:
    """InVEST's NPV multiplier V (currency per t of change).

    ``V = price/n · (1 − rⁿ)/(1 − r)`` with ``r = 1/((1 + d/100)(1 + c/100))`` and
    ``n = alt_year − bas_year``; ``V = price`` when ``r == 1``. Raises ``ConfigError`` unless
    ``alt_year > bas_year``.
    """
    n = alt_year - bas_year
    if n <= 0:
        raise ConfigError(message("alt_year", f"a year after bas_year ({bas_year})", repr(alt_year),
                                  "set the alternate year later than the baseline year"))
    ratio = 1 / ((1 + discount_rate_pct / 100) * (1 + rate_change_pct / 100))
    v = price_per_t / n
    if ratio == 1:
        v *= n
    else:
        v *= (1 - ratio ** n) / (1 - ratio)
    return v


def _npv_kernel(change: np.ndarray, v32: np.float32) -> np.ndarray:
    return change * v32


def carbon_npv(c_change: xr.DataArray, *, price_per_t: float, discount_rate_pct: float,
               rate_change_pct: float, bas_year: int, alt_year: int, name: str = "npv") -> xr.DataArray:
    """Net present value of the carbon change per pixel (currency ha⁻¹), ΔC · V in float32 (InVEST)."""
    check_raster(c_change, name="c_change", kind="continuous", crs=False)
    v = valuation_constant(price_per_t=price_per_t, discount_rate_pct=discount_rate_pct,
                           rate_change_pct=rate_change_pct, bas_year=bas_year, alt_year=alt_year)
    out = xr.apply_ufunc(_npv_kernel, c_change.astype(np.float32), kwargs={"v32": np.float32(v)},
                         dask="parallelized", output_dtypes=[np.float32])
    return finish(out, like=c_change, name=name, units="currency/ha", valuation_constant=float(v))


def carbon_totals(**densities: xr.DataArray) -> pd.Series:
    """Totals in t of t/ha rasters: Σ_valid value · |a·e| / 10⁴ (float64 sums). **Computes.**

    Keyword names become the index of the returned Series, e.g.
    ``carbon_totals(baseline=c_bas, alternate=c_alt)``.
    """
    out = {}
    for key, da in densities.items():
        area = cell_area_m2(da, name=key)
        s = da.astype(np.float64).sum(skipna=True)
        out[key] = float(materialize(s)) * area / 10000.0
    return pd.Series(out, name="total_t", dtype=np.float64)
