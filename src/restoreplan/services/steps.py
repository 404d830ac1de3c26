"""Registry entries of the InVEST-parity services: carbon, habitat quality, water yield, water balance.

Each step takes its inputs as DataArrays / DataFrames (threat rasters as a mapping
``{threat name: raster}``, an input of kind ``any`` that the runner resolves from a dict of
references) and returns a dict of named outputs. Examples run on the embedded demo region.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import xarray as xr
from pydantic import Field

from ..core.errors import ConfigError, message
from ..pipeline.registry import Input, Params, register
from . import carbon as _carbon
from . import habitat_quality as _hq
from . import water_yield as _wy

__all__ = ["carbon_step", "habitat_quality_step", "water_balance_step", "water_yield_step"]


# ------------------------------------------------------------------------------------------ carbon
class CarbonParams(Params):
    """Parameters of ``carbon`` (valuation as InVEST; only used with ``lulc_alt`` and ``price_per_t`` > 0)."""

    price_per_t: float = Field(0.0, ge=0, description="carbon price; 0 = no valuation",
                               json_schema_extra={"units": "currency/t"})
    discount_rate_pct: float = Field(0.0, gt=-100, description="annual market discount rate",
                                     json_schema_extra={"units": "%"})
    rate_change_pct: float = Field(0.0, gt=-100, description="annual change in the carbon price",
                                   json_schema_extra={"units": "%"})
    bas_year: int | None = Field(None, description="calendar year of `lulc` (valuation)",
                                 json_schema_extra={"units": "year"})
    alt_year: int | None = Field(None, description="calendar year of `lulc_alt` (> bas_year; valuation)",
                                 json_schema_extra={"units": "year"})


def carbon_step(lulc: xr.DataArray, pools: pd.DataFrame, lulc_alt: xr.DataArray | None = None,
                nep: xr.DataArray | None = None, *, price_per_t: float = 0.0, discount_rate_pct: float = 0.0,
                rate_change_pct: float = 0.0, bas_year: int | None = None, alt_year: int | None = None) -> dict:
    """Carbon storage (t/ha), optional alternate map, change and net present value, plus totals (t)."""
    out = {"c_storage": _carbon.carbon_storage(lulc, pools, nep=nep, name="c_storage")}
    if lulc_alt is not None:
        out["c_storage_alt"] = _carbon.carbon_storage(lulc_alt, pools, nep=nep, name="c_storage_alt")
        out["c_change"] = _carbon.carbon_change(out["c_storage"], out["c_storage_alt"], name="c_change")
        if price_per_t > 0:
            if bas_year is None or alt_year is None:
                raise ConfigError(message("carbon.params", "bas_year and alt_year for the valuation",
                                          f"bas_year={bas_year}, alt_year={alt_year}",
                                          "set both years (alt_year > bas_year) or price_per_t = 0"))
            out["npv"] = _carbon.carbon_npv(out["c_change"], price_per_t=price_per_t,
                                            discount_rate_pct=discount_rate_pct, rate_change_pct=rate_change_pct,
                                            bas_year=bas_year, alt_year=alt_year, name="npv")
    totals = _carbon.carbon_totals(**{k: v for k, v in out.items() if k != "npv"})
    out["totals"] = totals.rename_axis("layer").reset_index()
    return out


register("carbon", params=CarbonParams, group="services", backends=("numpy", "dask"),
         inputs=(Input("lulc", "categorical", "baseline land use"),
                 Input("pools", "table", "lucode, c_above, c_below, c_soil, c_dead (t/ha)"),
                 Input("lulc_alt", "categorical", "alternate land use (same grid)", optional=True),
                 Input("nep", "continuous", "NEP/NPP raster for the spatial correction C·NEP/mean(NEP)",
                       optional=True)),
         outputs=("c_storage", "c_storage_alt", "c_change", "npv", "totals"),
         formula="C = c_above + c_below + c_soil + c_dead (t/ha); ΔC = C_alt − C_bas; "
                 "NPV = ΔC·price/n·(1 − rⁿ)/(1 − r), r = 1/((1+d)(1+c))",
         units={"c_storage": "t/ha", "c_storage_alt": "t/ha", "c_change": "t/ha", "npv": "currency/ha"},
         example={"inputs": {"lulc": "lulc@2010", "lulc_alt": "lulc@2020", "pools": "package:carbon_pools_6class"},
                  "params": {"price_per_t": 43.0, "discount_rate_pct": 7.0, "rate_change_pct": 0.0,
                             "bas_year": 2010, "alt_year": 2020}})(carbon_step)


# --------------------------------------------------------------------------------- habitat quality
class HabitatQualityParams(Params):
    """Parameters of ``habitat_quality``."""

    half_saturation: float = Field(0.05, gt=0, le=1, description="half-saturation constant k (z = 2.5)",
                                   json_schema_extra={"units": "1"})
    invest_quirks: bool = Field(False, description="reproduce InVEST 3.20 edge cases: empty threat rasters at a "
                                                   "finite distance, NaN threat pixels as sources")


def habitat_quality_step(lulc: xr.DataArray, threats: Mapping[str, xr.DataArray], threats_table: pd.DataFrame,
                         sensitivity: pd.DataFrame, access: xr.DataArray | None = None,
                         baseline: xr.DataArray | None = None, *, half_saturation: float = 0.05,
                         invest_quirks: bool = False) -> dict:
    """Habitat degradation and quality (InVEST 3.20 Habitat Quality), with rarity against an optional baseline map."""
    if not isinstance(threats, Mapping) or not threats:
        raise ConfigError(message("habitat_quality.inputs.threats", "a mapping {threat name: raster}",
                                  type(threats).__name__,
                                  'write threats = { construction = "threat_construction", ... }'))
    if access is not None and not isinstance(access, xr.DataArray):
        access = _hq.rasterize_access(access, like=lulc)  # polygons with an ACCESS field, 1 elsewhere
    ds = _hq.habitat_quality(lulc, dict(threats), threats_table, sensitivity, half_saturation=half_saturation,
                             access=access, invest_quirks=invest_quirks)
    out = {"degradation": ds["degradation"], "quality": ds["quality"]}
    if baseline is not None:
        table, ras = _hq.habitat_rarity(lulc, baseline)
        out["rarity"] = ras
        out["rarity_table"] = table
    return out


register("habitat_quality", params=HabitatQualityParams, group="services", backends=("numpy", "dask"),
         inputs=(Input("lulc", "categorical", "land use to assess"),
                 Input("threats", "any", "mapping {threat name: 0–1 threat raster}, one per threats-table row"),
                 Input("threats_table", "table", "threat, max_dist (m), weight (0–1), decay (linear|exponential)"),
                 Input("sensitivity", "table", "lucode, habitat (0–1) and one 0–1 column per threat"),
                 Input("access", "any", "accessibility β in [0, 1]: a raster, or polygons with an ACCESS "
                       "field (vector:NAME); 1 where not covered", optional=True),
                 Input("baseline", "categorical", "baseline land use for rarity", optional=True)),
         outputs=("degradation", "quality", "rarity", "rarity_table"),
         formula="D = Σ_r (w_r/Σw)·i_r(d)·S_jr·β, i = (m−d)/m | exp(−2.99d/m), 0 if d > m; "
                 "Q = H_j·(1 − D^2.5/(D^2.5 + k^2.5))",
         units={"degradation": "1", "quality": "1", "rarity": "1"},
         example={"inputs": {"lulc": "lulc@2020",
                             "threats": {"construction": "threat_construction", "cropland": "threat_cropland",
                                         "roads": "threat_roads"},
                             "threats_table": "package:hq_threats_6class",
                             "sensitivity": "package:hq_sensitivity_6class", "baseline": "lulc@2000"},
                  "params": {"half_saturation": 0.3}})(habitat_quality_step)


# ------------------------------------------------------------------------------------- water yield
class WaterYieldParams(Params):
    """Parameters of ``water_yield``."""

    seasonality_z: float = Field(5.0, gt=0, le=30, description="Z, seasonality of precipitation (1–30)",
                                 json_schema_extra={"units": "1"})


def water_yield_step(lulc: xr.DataArray, precipitation: xr.DataArray, et0: xr.DataArray,
                     root_restricting_depth: xr.DataArray, pawc: xr.DataArray, biophysical: pd.DataFrame,
                     watersheds=None, *, seasonality_z: float = 5.0) -> dict:
    """Annual water yield (InVEST 3.20 Annual Water Yield) per pixel, and per watershed when a watershed layer is given."""
    ds = _wy.water_yield(lulc, precipitation, et0, root_restricting_depth, pawc, biophysical,
                         seasonality_z=seasonality_z)
    out = {k: ds[k] for k in ("fractp", "aet", "wyield")}
    if watersheds is not None:
        out["watershed_results"] = _wy.watershed_summary(ds, precipitation, watersheds, id_field="ws_id")
    return out


register("water_yield", params=WaterYieldParams, group="services", backends=("numpy", "dask"),
         inputs=(Input("lulc", "categorical", "land use"),
                 Input("precipitation", "continuous", "annual precipitation P (mm)"),
                 Input("et0", "continuous", "reference evapotranspiration ET0 (mm)"),
                 Input("root_restricting_depth", "continuous", "depth to the root-restricting layer (mm)"),
                 Input("pawc", "continuous", "plant-available water content (0–1)"),
                 Input("biophysical", "table", "lucode, kc, root_depth (mm), lulc_veg (0/1)"),
                 Input("watersheds", "vector", "polygons with ws_id", optional=True)),
         outputs=("fractp", "aet", "wyield", "watershed_results"),
         formula="w = min(Z·AWC/P + 1.25, 5); fractp = min(φ, 1 + φ − (1 + φ^w)^(1/w)) (veg) | "
                 "min(Kc·ET0, P)/P; Y = (1 − fractp)·P",
         units={"fractp": "1", "aet": "mm", "wyield": "mm"},
         example={"inputs": {"lulc": "lulc@2020", "precipitation": "precipitation", "et0": "et0",
                             "root_restricting_depth": "soil_depth", "pawc": "pawc",
                             "biophysical": "package:awy_biophysical_6class", "watersheds": "vector:watersheds"},
                  "params": {"seasonality_z": 5.0}})(water_yield_step)


# ----------------------------------------------------------------------------------- water balance
class WaterBalanceParams(Params):
    """Parameters of ``water_balance`` (Zhao et al. 2023, eq. 3)."""

    runoff_coefficient: float | None = Field(None, ge=0, le=1,
                                             description="R = c·P when no runoff raster is given (assumption)",
                                             json_schema_extra={"units": "1"})
    clip_negative: bool = Field(False, description="set negative balances to 0 (default keeps and counts them)")


def water_balance_step(precipitation: xr.DataArray, et: xr.DataArray, runoff: xr.DataArray | None = None, *,
                       runoff_coefficient: float | None = None, clip_negative: bool = False) -> xr.DataArray:
    """Water conservation, or water harvesting: WH = (P − R − ET)·A·10⁻³ (m³/a per cell); negatives counted in a warning."""
    out = _wy.water_balance(precipitation, et, runoff=runoff, runoff_coefficient=runoff_coefficient,
                            clip_negative=clip_negative)
    if not clip_negative:
        _wy.count_negative(out)
    return out


register("water_balance", params=WaterBalanceParams, group="services", backends=("numpy", "dask"),
         inputs=(Input("precipitation", "continuous", "P (mm/a)"),
                 Input("et", "continuous", "actual ET (mm/a), e.g. water_yield.aet"),
                 Input("runoff", "continuous", "quick runoff R (mm/a)", optional=True)),
         outputs=("water_balance",),
         formula="WH = (P − R − ET)·A_cell·10⁻³ (m³/a)",
         units={"water_balance": "m3/a"},
         example={"inputs": {"precipitation": "precipitation", "et": "water_yield.aet"},
                  "params": {"runoff_coefficient": 0.2}})(water_balance_step)
