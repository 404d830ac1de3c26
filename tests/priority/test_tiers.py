"""Top-x % tiers: cut counts, stable row-major ties, benefits in the Table 5 layout."""

import numpy as np
import pytest
import xarray as xr

from restoreplan.priority.tiers import priority_tiers, tier_table
from restoreplan.testing import make_raster


def test_cut_counts_and_order():
    # 20 eligible cells, values 1..20: n_t = round([5, 15, 30, 45, 100] % · 20) = [1, 3, 6, 9, 20]
    idx = make_raster(np.arange(1, 21, dtype=float).reshape(4, 5), res=1000)
    t = priority_tiers(idx)
    v = t.values.ravel()
    assert v[19] == 1 and v[17:19].tolist() == [2, 2] and (v == 3).sum() == 3 and (v == 5).sum() == 11
    assert t.rio.nodata == 0 and t.attrs["cuts"] == "5,15,30,45,100"


def test_ties_are_row_major_and_mask():
    idx = make_raster(np.full((4, 5), 0.5), res=1000)
    t = priority_tiers(idx)
    assert t.values.ravel()[:4].tolist() == [1, 2, 2, 3]            # first cell wins the tie
    mask = make_raster(np.array([[0, 1, 1, 1, 1]] * 4, np.uint8), res=1000)
    tm = priority_tiers(idx, mask=mask)
    assert (tm.values[:, 0] == 0).all() and tm.values[0, 1] == 1


def test_tier_table_layout_and_benefit():
    idx = make_raster(np.arange(1, 21, dtype=float).reshape(4, 5), res=1000)
    esv = make_raster(np.arange(1, 21, dtype=float).reshape(4, 5) * 10, res=1000)
    tab = tier_table(priority_tiers(idx), esv=esv)
    assert tab["stage"].tolist() == ["5%", "15%", "30%", "45%", "100%"]
    assert tab["cum_area_km2"].tolist() == [1.0, 3.0, 6.0, 9.0, 20.0]
    # tier 1 holds the 20th cell (ESV 200) of a total 10·210 = 2100
    assert tab.loc[0, "benefit"] == 200 and tab.loc[0, "share_pct"] == pytest.approx(100 * 200 / 2100)
    assert tab["share_pct"].sum() == pytest.approx(100.0) and tab["cum_share_pct"].iloc[-1] == pytest.approx(100)


def test_group_dim():
    a = np.arange(1, 21, dtype=float).reshape(4, 5)
    base = make_raster(a, res=1000)
    idx = xr.concat([base, base.copy(data=a[::-1, ::-1])], dim="group").assign_coords(
        group=["provisioning", "total"])
    idx = idx.rio.write_crs(base.rio.crs).rio.write_transform(base.rio.transform())
    t = priority_tiers(idx)
    assert t.dims == ("group", "y", "x")
    assert t.sel(group="provisioning").values[3, 4] == 1 and t.sel(group="total").values[0, 0] == 1
    assert set(tier_table(t)["group"]) == {"provisioning", "total"}
