"""Real data: a 300 × 300 crop of the Wuhan bundle through the public API with three user rasters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import restoreplan.landuse as lu
from restoreplan.io import read_raster

CROP = {"y": slice(1300, 1600), "x": slice(1300, 1600)}


@pytest.mark.realdata
def test_wuhan_crop_hindcast_beats_the_null_model(wuhan):
    lulc = {y: read_raster(wuhan / "lulc" / f"wh{y}_refy.tif", kind="categorical").isel(CROP) for y in (2003, 2013)}
    dem = read_raster(wuhan / "drivers" / "wh_df_dem.tif", kind="continuous").isel(CROP)
    pop = read_raster(wuhan / "drivers" / "wh_Pop.tif", kind="continuous").isel(CROP)
    soil = read_raster(wuhan / "drivers" / "wh_soiltype.tif", kind="categorical").isel(CROP)
    water = read_raster(wuhan / "constraints" / "WaterWuhan.tif", kind="categorical").isel(CROP)
    start, end = lulc[2003], lulc[2013]  # uint8 / nodata 15 and int8 / nodata -128
    start = start.where(end != end.rio.nodata, start.rio.nodata).astype(start.dtype).rio.write_nodata(15)
    demand = lu.hindcast_demand(start, end)
    sim = lu.LandUseSimulator(seed=0, n_estimators=10).fit(start, end, {"dem": dem, "population": pop, "soil": soil})
    assert "slope_of_dem" in sim.feature_names_ and "distance_to_4" in sim.feature_names_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", lu.ConvergenceWarning)
        out = sim.simulate(start, demand=demand.to_dict(), constraint=water == 1)  # boolean constraint
    v = out.values[out.values != out.rio.nodata]
    codes, counts = np.unique(v, return_counts=True)
    assert dict(zip(codes.tolist(), counts.tolist())) == {k: n for k, n in demand.to_dict().items() if n}
    t = lu.validate_simulation(start, end, out, model=sim, demand=demand.to_dict(), constraint=water == 1)
    assert t.loc["simulation", "kappa_simulation"] > t.loc["no_change", "kappa_simulation"]
    assert t.loc["simulation", "kappa_change"] > 0 and t.loc["simulation", "fom"] > 0.1
    assert t.loc["probability_ranking", "fom"] > 0.1
    assert np.all(out.values[(water.values == 0)] == start.values[(water.values == 0)])
