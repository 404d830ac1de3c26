"""The Wuhan PLUS bundle (``data/wuhan_plus``, real data read from disk; not shipped): its legend,
its mapping onto the six-class scheme, and the driver stack used with it.

The legend is INFERRED from the data (see the bundle's README): 2 forest, 3 cropland, 4 built-up and
6 water are reliable; 1, 5 and 7 are low-confidence guesses. Importing this module registers the
legend ``wuhan`` and the mapping ``wuhan_to_six_class`` with :mod:`restoreplan.core.legend`, so
study files can name them (``class_scheme = "wuhan"``, ``reclassify`` with
``mapping = "wuhan_to_six_class"``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..core.legend import ClassTable, register_reclass, register_scheme
from ..core.validate import check_aligned

__all__ = ["DISTANCES", "LEGEND", "TO_SIX_CLASS", "drivers"]

#: The 7 codes of the bundle's land-use maps (inferred legend, see the module docstring).
LEGEND = register_scheme(ClassTable(pd.DataFrame(
    {"name": ["minor class 1 (possibly grassland/other; inferred, low confidence)", "forest",
              "cropland", "built-up", "minor class 5 (possibly bare land/construction site; low confidence)",
              "water", "minor class 7 (possibly grassland/shrub/orchard; low confidence)"],
     "group": ["grassland", "forest", "cropland", "construction", "barren", "water", "grassland"]},
    index=pd.Index([1, 2, 3, 4, 5, 6, 7], name="code")), name="wuhan"))

#: Bundle code -> six-class code (1 cropland, 2 forest, 3 grassland, 4 water, 5 construction, 6 barren).
TO_SIX_CLASS = {1: 3, 2: 2, 3: 1, 4: 5, 5: 6, 6: 4, 7: 3}
register_reclass("wuhan_to_six_class", TO_SIX_CLASS, scheme="six_class")

#: Distance drivers: name -> bundle land-use code(s) measured to.
DISTANCES = {"dist_builtup": 4, "dist_water": 6, "dist_forest": 2}


def drivers(folder: str | os.PathLike, lulc_start: xr.DataArray, *, roads: bool = False,
            settlements: bool = False, distances: Mapping[str, int | Iterable[int]] | None = None
            ) -> xr.Dataset:
    """The driver stack used for the Wuhan PLUS bundle (``data/wuhan_plus``) under ``folder``.

    DEM, slope (from the DEM), population, soil unit (code) and distances from ``lulc_start`` to
    built-up (class 4), water (6) and forest (2) (``distances`` replaces that name → class
    mapping). Optional: distance to OSM roads (motorway to
    tertiary, OSM ≈ 2024, covers only the functional urban area: cells far outside it get the
    distance to the nearest mapped road) and to GeoNames towns (≈ 2016).
    """
    from ..io import read_raster
    from ..landuse.drivers import class_distances, distance_to_roads, slope_degrees, soil_codes

    folder = Path(folder)
    dem = read_raster(folder / "drivers" / "wh_df_dem.tif", kind="continuous", name="dem")
    pop = read_raster(folder / "drivers" / "wh_Pop.tif", kind="continuous", name="population")
    soil = read_raster(folder / "drivers" / "wh_soiltype.tif", kind="categorical", name="soil")
    check_aligned(lulc_start=lulc_start, dem=dem, population=pop, soil=soil)
    dem = dem.load().astype(np.float32, copy=False).assign_attrs(units="m")
    pop = pop.load().astype(np.float32, copy=False).assign_attrs(units="persons/km² (undocumented in the source)")
    layers = {"dem": dem, "slope": slope_degrees(dem), "population": pop,
              "soil": soil_codes(soil)}
    dist = class_distances(lulc_start, DISTANCES if distances is None else distances)
    layers.update({k: dist[k] for k in dist.data_vars})
    if roads:
        layers["dist_road"] = distance_to_roads(folder / "extra" / "roads" / "osm_roads_wuhan_fua8989.parquet",
                                                lulc_start, highway=("motorway", "trunk", "primary", "secondary",
                                                                     "tertiary"))
    if settlements:
        import geopandas as gpd
        import pandas as pd

        t = pd.read_csv(folder / "extra" / "settlements" / "geonames_places_wuhan_bbox.csv")
        pts = gpd.GeoDataFrame(t, geometry=gpd.points_from_xy(t["lon"], t["lat"]), crs="EPSG:4326")
        layers["dist_town"] = distance_to_roads(pts, lulc_start, name="dist_town")  # points burn the same way
    ds = xr.Dataset({k: v.drop_vars("spatial_ref", errors="ignore") for k, v in layers.items()})
    ds.rio.write_crs(lulc_start.rio.crs, inplace=True)  # inplace: no deep copy of the stack
    ds.rio.write_transform(lulc_start.rio.transform(), inplace=True)
    return ds
