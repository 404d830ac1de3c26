"""The single slope and distance implementation (restoreplan.core.spatial) and its users."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from restoreplan.core.errors import ConfigError
from restoreplan.core.spatial import distance_to_classes, horn_slope_kernel, slope
from restoreplan.datasets.synthetic import horn_slope
from restoreplan.landuse.drivers import class_distances, class_shares, slope_degrees
from restoreplan.pipeline import steps as core_steps

from .conftest import make_raster


def _horn_reference(z: np.ndarray, cell: float) -> np.ndarray:
    """Published Horn (1981) formula written out cell by cell (interior cells only, NaN elsewhere)."""
    ny, nx = z.shape
    out = np.full((ny, nx), np.nan)
    for r in range(1, ny - 1):
        for c in range(1, nx - 1):
            a, b, cc = z[r - 1, c - 1], z[r - 1, c], z[r - 1, c + 1]
            d, f = z[r, c - 1], z[r, c + 1]
            g, h, i = z[r + 1, c - 1], z[r + 1, c], z[r + 1, c + 1]
            dzdx = ((cc + 2 * f + i) - (a + 2 * d + g)) / (8 * cell)
            dzdy = ((g + 2 * h + i) - (a + 2 * b + cc)) / (8 * cell)
            out[r, c] = np.degrees(np.arctan(np.sqrt(dzdx**2 + dzdy**2)))
    return out


def test_slope_of_hand_computed_3x3():
    z = np.array([[50, 45, 50], [30, 30, 30], [8, 10, 10]], dtype=np.float32)
    # dz/dx = ((50 + 60 + 10) - (50 + 60 + 8)) / 240 = 2/240; dz/dy = ((8 + 20 + 10) - (50 + 90 + 50)) / 240 = -152/240
    expected = np.degrees(np.arctan(np.hypot(2 / 240, -152 / 240)))
    s = slope(make_raster(z), units="degrees")
    assert s.values[1, 1] == pytest.approx(expected, abs=1e-4)
    assert s.attrs["units"] == "degrees"
    pct = slope(make_raster(z), units="percent").values[1, 1]
    assert pct == pytest.approx(100 * np.hypot(2 / 240, -152 / 240), rel=1e-5)


def test_slope_matches_published_horn_at_interior_cells():
    rng = np.random.default_rng(1)
    z = (rng.random((12, 9)) * 80).astype(np.float32)
    ref = _horn_reference(z.astype(np.float64), 30.0)
    got = slope(make_raster(z)).values
    np.testing.assert_allclose(got[1:-1, 1:-1], ref[1:-1, 1:-1], atol=1e-4)


def test_slope_plane_is_exact_at_edges_and_next_to_holes():
    xx = np.tile(np.arange(7, dtype=np.float32) * 30.0, (6, 1))  # 45° everywhere
    xx[3, 3] = np.nan
    s = slope(make_raster(xx)).values
    assert np.isnan(s[3, 3])
    finite = np.isfinite(s)
    np.testing.assert_allclose(s[finite], 45.0, atol=1e-3)


def test_slope_numpy_and_dask_agree_with_nan_and_edges():
    rng = np.random.default_rng(2)
    z = (rng.random((37, 29)) * 100).astype(np.float32)
    z[rng.random(z.shape) < 0.08] = np.nan
    a = make_raster(z)
    b = a.copy(data=da.from_array(z, chunks=(10, 8)))
    s_np = slope(a).values
    s_dk = slope(b)
    assert hasattr(s_dk.data, "dask")
    np.testing.assert_array_equal(s_dk.values, s_np)


def test_every_slope_entry_point_is_the_same_implementation():
    rng = np.random.default_rng(3)
    z = (rng.random((15, 15)) * 60).astype(np.float32)
    r = make_raster(z)
    base = horn_slope_kernel(z, 30.0, 30.0)
    np.testing.assert_array_equal(slope(r).values, base)
    np.testing.assert_array_equal(core_steps.slope(r).values, base)
    np.testing.assert_array_equal(slope_degrees(r).values, base)
    # the synthetic-data helper takes a DEM padded by one cell and returns its interior
    np.testing.assert_allclose(horn_slope(z, 30.0), horn_slope_kernel(z, 30.0, 30.0, dtype=np.float64)[1:-1, 1:-1])


def test_distance_to_classes_single_implementation_and_empty_target():
    lu = np.ones((5, 5), np.uint8)
    lu[0, 0] = 4
    lu[4, 4] = 0  # nodata
    r = make_raster(lu, nodata=0)
    d = distance_to_classes(r, classes=[4]).values
    assert d[0, 0] == 0.0 and d[0, 3] == pytest.approx(90.0)
    assert d[3, 4] == pytest.approx(30.0 * np.hypot(3, 4))
    assert np.isnan(d[4, 4])
    assert core_steps.distance_to_classes is distance_to_classes
    ds = class_distances(r, {"dist_builtup": 4})
    np.testing.assert_array_equal(ds["dist_builtup"].values, d)
    with pytest.raises(ConfigError, match="none of"):
        distance_to_classes(r, classes=[9])
    with pytest.raises(ConfigError, match="none of"):
        class_distances(r, {"dist_x": 9})


def test_class_shares_by_hand():
    lu = np.array([[1, 1, 2], [1, 2, 2], [0, 2, 2]], dtype=np.uint8)
    sh = class_shares(make_raster(lu, nodata=0), radius=1)
    # centre cell: 8 valid cells in the 3×3 window, 3 of class 1
    assert sh["share_1"].values[1, 1] == pytest.approx(3 / 8)
    assert sh["share_2"].values[1, 1] == pytest.approx(5 / 8)
    # corner (0, 0): window holds (0,0) (0,1) (1,0) (1,1) -> 3 of class 1 out of 4
    assert sh["share_1"].values[0, 0] == pytest.approx(3 / 4)
    assert np.isnan(sh["share_1"].values[2, 0])
