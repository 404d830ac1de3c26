"""Driver helpers: slope and distances on hand-computable grids."""

from __future__ import annotations

import numpy as np
import pytest

from restoreplan.core.spatial import _slope_blocks, horn_slope_kernel
from restoreplan.landuse.drivers import class_distances, slope_degrees

from .conftest import make_raster


def test_slope_of_a_plane():
    # z rises 30 m per 30 m cell eastwards -> slope 45° everywhere, also at the edges
    xx = np.tile(np.arange(6, dtype=np.float32) * 30.0, (5, 1))
    s = slope_degrees(make_raster(xx))
    np.testing.assert_allclose(s.values[:, 1:-1], 45.0, atol=1e-4)
    assert s.attrs["units"] == "degrees"


def test_slope_nan_stays_nan_and_neighbours_defined():
    z = np.zeros((5, 5), np.float32)
    z[2, 2] = np.nan
    s = slope_degrees(make_raster(z)).values
    assert np.isnan(s[2, 2]) and np.isfinite(s[1, 1]) and s[1, 1] == 0.0


def test_distance_to_class():
    lu = np.ones((5, 5), np.uint8)
    lu[0, 0] = 4
    lu[4, 4] = 0  # nodata
    d = class_distances(make_raster(lu, nodata=0), {"dist_builtup": 4})["dist_builtup"].values
    assert d[0, 0] == 0.0
    assert d[0, 3] == pytest.approx(90.0)
    assert d[3, 4] == pytest.approx(30.0 * np.hypot(3, 4))
    assert np.isnan(d[4, 4])


def test_slope_in_row_blocks_equals_whole_grid():
    rng = np.random.default_rng(0)
    z = (rng.random((130, 40)) * 100).astype(np.float32)
    z[rng.random(z.shape) < 0.05] = np.nan
    whole = horn_slope_kernel(z, 30.0, 30.0)
    assert np.array_equal(_slope_blocks(z, 30.0, 30.0, "degrees", rows=16), whole, equal_nan=True)
