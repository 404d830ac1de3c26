"""Registry entries: lulc_matrix, esv, esv_costanza, poi_density, demand_proxy, jenks_classes,
geometric_classes, distance_rings.

Each step is a thin call of the public function; packaged tables are referenced in study files as
``package:NAME`` (``restoreplan/tables/data/NAME.csv``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ...pipeline.registry import Input, Params, register
from ..classify import classify, distance_rings, geometric_breaks, jenks_breaks
from ..demand import (
    composite_demand,
    construction_share,
    poi_demand_classes,
    poi_density,
    standardized_demand,
)
from ..esv import costanza_esv, esv, esv_table
from ..matrix import lulc_matrix, lulc_matrix_labels, lulc_matrix_totals

_BACKENDS = ("numpy", "dask")


# --------------------------------------------------------------------------------------------
# lulc_matrix
# --------------------------------------------------------------------------------------------

class LulcMatrixParams(Params):
    """Parameters of ``lulc_matrix``."""

    ndvi_mode: Literal["none", "region", "pixel"] = Field(
        "region", description="NDVI correction of supply: none, region (one factor per year, Sun et al. 2025, eq. 3) or pixel")
    ndvi_reference: float | dict[int, float] | None = Field(
        None, description="national mean NDVI of the same year (a number or {year: value}); required unless ndvi_mode='none'",
        json_schema_extra={"units": "NDVI"})
    ndvi_region: float | dict[int, float] | None = Field(
        None, description="regional mean NDVI; default: mean of the ndvi raster over valid land-use cells",
        json_schema_extra={"units": "NDVI"})
    exempt_classes: tuple[int, ...] = Field(
        (), description="class codes whose supply is never corrected (e.g. water; assumption)")
    labels: tuple[str, ...] | None = Field(
        None, description="only these labels of the service dim (services, groups, 'total'; groups and total are "
                          "mapped from per-group score sums); no totals table then. None: every service, group and total")


@register("lulc_matrix", params=LulcMatrixParams, group="services",
          inputs=(Input("lulc", "categorical", "land use"),
                  Input("supply_table", "table", "supply scores 0-5 per lucode (rows) and service (columns)"),
                  Input("demand_table", "table", "demand scores 0-5, same layout"),
                  Input("groups", "table", "service, group (provisioning/regulating/cultural)", optional=True),
                  Input("ndvi", "continuous", "NDVI (region mean or per-pixel correction)", optional=True)),
          outputs=("supply", "demand", "balance", "totals"),
          formula="supply = S[lulc]*A, A = NDVI/NDVI_ref; demand = D[lulc]; balance = supply - demand; "
                  "ES_j = sum_k area_k*V_jk",
          backends=_BACKENDS, units={"supply": "score", "demand": "score", "balance": "score", "totals": "score km2"},
          example={"inputs": {"lulc": "lulc@2020", "ndvi": "ndvi@2020",
                              "supply_table": "package:es_supply_matrix_6class",
                              "demand_table": "package:es_demand_matrix_6class",
                              "groups": "package:es_service_groups"},
                   "params": {"ndvi_mode": "region", "ndvi_reference": 0.5, "exempt_classes": [4]}})
def lulc_matrix_step(lulc, supply_table, demand_table, groups=None, ndvi=None, *, ndvi_mode="region",
                     ndvi_reference=None, ndvi_region=None, exempt_classes=(), labels=None):
    """Ecosystem service supply, demand and balance from land-use score matrices with vegetation-index (NDVI) correction."""
    if labels is not None:
        ds = lulc_matrix_labels(lulc, supply_table=supply_table, demand_table=demand_table, labels=labels,
                                groups=groups, ndvi=ndvi, ndvi_mode=ndvi_mode, ndvi_reference=ndvi_reference,
                                ndvi_region=ndvi_region, exempt_classes=tuple(exempt_classes))
        return {"supply": ds["supply"], "demand": ds["demand"], "balance": ds["balance"]}
    ds = lulc_matrix(lulc, supply_table=supply_table, demand_table=demand_table, groups=groups, ndvi=ndvi,
                     ndvi_mode=ndvi_mode, ndvi_reference=ndvi_reference, ndvi_region=ndvi_region,
                     exempt_classes=tuple(exempt_classes))
    return {"supply": ds["supply"], "demand": ds["demand"], "balance": ds["balance"],
            "totals": lulc_matrix_totals(ds, lulc)}


# --------------------------------------------------------------------------------------------
# esv
# --------------------------------------------------------------------------------------------

class EsvParams(Params):
    """Parameters of ``esv``."""

    equivalent_value: float = Field(
        ..., gt=0, description="D, value of one standard equivalent (Xie 2015: about 3406.5 for China 2010, unverified)",
        json_schema_extra={"units": "yuan/hm2/a"})
    adjust: Literal["none", "region", "pixel"] = Field(
        "none", description="Xie 2015 adjustment by NPP / precipitation / soil conservation: none, region or pixel")
    npp_ref: float | None = Field(None, gt=0, description="reference (national) mean NPP",
                                  json_schema_extra={"units": "gC/m2/a"})
    precipitation_ref: float | None = Field(None, gt=0, description="reference mean precipitation",
                                            json_schema_extra={"units": "mm/a"})
    soil_conservation_ref: float | None = Field(None, gt=0, description="reference mean soil conservation",
                                                json_schema_extra={"units": "t/hm2/a"})


@register("esv", params=EsvParams, group="services",
          inputs=(Input("lulc", "categorical", "land use"),
                  Input("equivalents", "table", "equivalent factors (ecosystem rows, or lucode rows)"),
                  Input("mapping", "table", "lucode, ecosystem, weight (class -> row mix)", optional=True),
                  Input("npp", "continuous", "NPP for the P factor", optional=True),
                  Input("precipitation", "continuous", "precipitation for the R factor", optional=True),
                  Input("soil_conservation", "continuous", "soil conservation for the S factor", optional=True)),
          outputs=("esv", "table"),
          formula="ESV_f = E[lulc,f]*D*adj_f*A_cell/1e4 (yuan/a); ESV = sum_f ESV_f",
          backends=_BACKENDS, units={"esv": "yuan/a", "table": "yuan/a"},
          example={"inputs": {"lulc": "lulc@2020", "equivalents": "package:xie2015_equivalent_factors",
                              "mapping": "package:xie2015_mapping_6class"},
                   "params": {"equivalent_value": 3406.5}})
def esv_step(lulc, equivalents, mapping=None, npp=None, precipitation=None, soil_conservation=None, *,
             equivalent_value, adjust="none", npp_ref=None, precipitation_ref=None, soil_conservation_ref=None):
    """Equivalent-factor ecosystem service value per cell and per class (Xie et al. 2015)."""
    out = esv(lulc, equivalents=equivalents, mapping=mapping, equivalent_value=equivalent_value, adjust=adjust,
              npp=npp, npp_ref=npp_ref, precipitation=precipitation, precipitation_ref=precipitation_ref,
              soil_conservation=soil_conservation, soil_conservation_ref=soil_conservation_ref)
    return {"esv": out, "table": esv_table(out, lulc)}


class CostanzaParams(Params):
    """Parameters of ``esv_costanza``."""

    edition: Literal["1997", "2014"] = Field(
        "2014", description="Costanza et al. 1997 (1994 US$) or 2014 (2007 US$) unit values per biome")


@register("esv_costanza", params=CostanzaParams, group="services",
          inputs=(Input("lulc", "categorical", "land use"),
                  Input("mapping", "table", "lucode, biome, weight", optional=True)),
          outputs=("esv",), formula="ESV = V[biome(lulc)] * A_cell/1e4 (US$/a)", backends=_BACKENDS,
          units={"esv": "USD/a"},
          example={"inputs": {"lulc": "lulc@2020", "mapping": "package:costanza_mapping_6class"},
                   "params": {"edition": "2014"}})
def esv_costanza_step(lulc, mapping=None, *, edition="2014"):
    """Ecosystem service value from Costanza et al. unit values per biome."""
    return costanza_esv(lulc, mapping=mapping, edition=edition)


# --------------------------------------------------------------------------------------------
# demand
# --------------------------------------------------------------------------------------------

class PoiDensityParams(Params):
    """Parameters of ``poi_density``."""

    radius_m: float = Field(..., gt=0, description="search radius (Zhao et al. 2023: 30000)", json_schema_extra={"units": "m"})
    weights: str | None = Field(None, description="column of point weights (default 1 per point)")
    mode: Literal["exact", "raster"] = Field("exact", description="exact KD-tree sum, or FFT convolution of gridded weights")
    empty: Literal["zero", "nan"] = Field("zero", description="value where no point is within the radius")
    per: Literal["km2", "m2"] = Field("km2", description="density unit", json_schema_extra={"units": "1/km2 or 1/m2"})
    k: int = Field(3, ge=1, le=254, description="geometric-interval classes (3 = low/medium/high)")
    anchor: Literal["balanced", "min_positive"] = Field(
        "balanced", description="lowest class edge: balanced class counts (assumption; Esri's documented "
                                "criterion) or the smallest positive density")


@register("poi_density", params=PoiDensityParams, group="services",
          inputs=(Input("points", "vector", "POI points"), Input("like", "raster", "grid template (e.g. lulc)")),
          outputs=("density", "demand_class"),
          formula="f(x) = sum_{d_i<r} 3/(pi r^2) w_i (1-(d_i/r)^2)^2; classes b_k = m*(M/m)^(k/K)",
          backends=_BACKENDS, units={"density": "1/km2", "demand_class": "class"},
          example={"inputs": {"points": "vector:poi", "like": "lulc@2020"},
                   "params": {"radius_m": 3000.0, "mode": "exact", "k": 3}})
def poi_density_step(points, like, *, radius_m, weights=None, mode="exact", empty="zero", per="km2", k=3,
                     anchor="balanced"):
    """Quartic kernel density of points of interest (POI) and its geometric-interval demand classes."""
    dens = poi_density(points, like=like, radius_m=radius_m, weights=weights, mode=mode, empty=empty, per=per)
    return {"density": dens, "demand_class": poi_demand_classes(dens, k, anchor=anchor)}


class DemandProxyParams(Params):
    """Parameters of ``demand_proxy``."""

    construction_codes: tuple[int, ...] = Field((5,), description="land-use codes of construction land")
    window_m: float = Field(1000.0, gt=0, description="side of the ConL window (assumption)",
                            json_schema_extra={"units": "m"})
    floor: float = Field(1.0, gt=0, description="PD and GDPD clipped to >= floor before lg (assumption)")
    population_direction: Literal["pos", "neg"] = Field("pos", description="direction of population in the standardization")
    gdp_direction: Literal["pos", "neg"] = Field("pos", description="direction of GDP in the standardization")


@register("demand_proxy", params=DemandProxyParams, group="services",
          inputs=(Input("lulc", "categorical", "land use (construction share)"),
                  Input("population", "continuous", "population density, persons/km2"),
                  Input("gdp", "continuous", "GDP density, 1e4 yuan/km2")),
          outputs=("construction_share", "esd", "esd_std", "population_std", "gdp_std"),
          formula="ESD = ConL * lg(PD) * lg(GDPD) (Peng 2017); x_std = (x-min)/(max-min)",
          backends=_BACKENDS,
          units={"construction_share": "%", "esd": "1", "esd_std": "1", "population_std": "1", "gdp_std": "1"},
          example={"inputs": {"lulc": "lulc@2020", "population": "population", "gdp": "gdp"},
                   "params": {"window_m": 1000.0}})
def demand_proxy_step(lulc, population, gdp, *, construction_codes=(5,), window_m=1000.0, floor=1.0,
                      population_direction="pos", gdp_direction="pos"):
    """Population / gross domestic product demand proxies and the Peng et al. (2017) composite demand."""
    conl = construction_share(lulc, construction_codes=tuple(construction_codes), window_m=window_m)
    esd = composite_demand(conl, population, gdp, floor=floor)
    std = standardized_demand({"esd": esd, "population": population, "gdp": gdp},
                              directions={"population": population_direction, "gdp": gdp_direction})
    return {"construction_share": conl, "esd": esd, "esd_std": std["esd"],
            "population_std": std["population"], "gdp_std": std["gdp"]}


# --------------------------------------------------------------------------------------------
# classification
# --------------------------------------------------------------------------------------------

def _breaks_table(edges: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"class": np.arange(1, edges.size), "lower": edges[:-1], "upper": edges[1:]})


class JenksParams(Params):
    """Parameters of ``jenks_classes``."""

    k: int = Field(5, ge=1, le=254, description="number of classes")
    max_exact: int = Field(10_000, ge=2, description="above this many values, breaks from a seeded sample keeping min and max")
    seed: int = Field(0, ge=0, description="seed of the sample")


@register("jenks_classes", params=JenksParams, group="services",
          inputs=(Input("x", "any", "values to classify"),), outputs=("classes", "breaks"),
          formula="min sum_k sum_{x in k} (x - mean_k)^2 (Fisher 1958, exact); class k = (b_{k-1}, b_k]",
          backends=_BACKENDS, units={"classes": "class"},
          example={"inputs": {"x": "npp"}, "params": {"k": 5}})
def jenks_step(x, *, k=5, max_exact=10_000, seed=0):
    """Jenks natural-breaks classes (exact Fisher dynamic program) and the table of breaks."""
    edges = jenks_breaks(x, k, max_exact=max_exact, seed=seed)
    cls = classify(x, edges, name=f"{x.name or 'x'}_jenks")
    return {"classes": cls, "breaks": _breaks_table(edges)}


class GeometricParams(Params):
    """Parameters of ``geometric_classes``."""

    k: int = Field(3, ge=1, le=254, description="number of classes")


@register("geometric_classes", params=GeometricParams, group="services",
          inputs=(Input("x", "any", "non-negative values to classify"),), outputs=("classes", "breaks"),
          formula="b_i = m*(M/m)^(i/K) over positive values; class k = (b_{k-1}, b_k], zeros in class 1",
          backends=_BACKENDS, units={"classes": "class"},
          example={"inputs": {"x": "population"}, "params": {"k": 3}})
def geometric_step(x, *, k=3):
    """Geometric-interval classes and the table of breaks."""
    edges = geometric_breaks(x, k)
    return {"classes": classify(x, edges, name=f"{x.name or 'x'}_geometric"), "breaks": _breaks_table(edges)}


class DistanceRingsParams(Params):
    """Parameters of ``distance_rings``."""

    rings_m: tuple[float, ...] = Field((500.0, 1000.0, 1500.0, 2000.0),
                                       description="ring limits, left-closed: [0, r1), [r1, r2), ..., >= rn (assumption)",
                                       json_schema_extra={"units": "m"})


@register("distance_rings", params=DistanceRingsParams, group="services",
          inputs=(Input("features", "vector", "features to buffer (roads, rivers, settlements)"),
                  Input("like", "raster", "grid template")),
          outputs=("rings",), formula="d = exact EDT to rasterized features (m); class i = [r_{i-1}, r_i)",
          backends=_BACKENDS, units={"rings": "class"},
          example={"inputs": {"features": "vector:roads", "like": "lulc@2020"},
                   "params": {"rings_m": [500.0, 1000.0, 1500.0, 2000.0]}})
def distance_rings_step(features, like, *, rings_m=(500.0, 1000.0, 1500.0, 2000.0)):
    """Multi-ring distance buffers (exact Euclidean distance, left-closed rings)."""
    return distance_rings(features, like=like, rings_m=tuple(rings_m))
