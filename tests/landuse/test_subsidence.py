"""PIM subsidence: analytic checks of the influence function, erf and filter forms."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
from pydantic import ValidationError
from shapely import affinity
from shapely.geometry import Polygon, box

from restoreplan.core.errors import AssumptionWarning, ConfigError, DataError
from restoreplan.landuse.subsidence import (
    influence_radius,
    max_subsidence,
    ponding_mask,
    rectangle_subsidence,
    subsidence,
    subsidence_kernel,
    subsidence_zones,
)
from restoreplan.testing import make_raster

H, TANB = 350.0, 2.2
R = H / TANB  # 159.09 m
M, Q = 3.0, 0.8
W0 = M * Q  # flat seam: 2.4 m


def _grid(n: int, cell: float):
    """n×n template with its lower-left corner at (0, 0)."""
    return make_raster(np.zeros((n, n), np.float32), res=cell, x0=0.0, y0=n * cell)


def _panels(*geoms, **cols):
    base = {"thickness_m": M, "depth_m": H, "q": Q, "tan_beta": TANB}
    base.update(cols)
    return gpd.GeoDataFrame({k: [v] * len(geoms) for k, v in base.items()}, geometry=list(geoms), crs="EPSG:32649")


def test_influence_radius_is_depth_over_tan_beta():
    # r = H / tanβ = 350 / 2.2 = 159.09 m (the wrong H·tanβ would give 770 m)
    assert influence_radius(H, TANB) == pytest.approx(159.0909, abs=1e-4)
    assert round(influence_radius(H, TANB), 1) == 159.1
    assert influence_radius(H, TANB) != pytest.approx(H * TANB)


def test_max_subsidence_hand_values():
    assert max_subsidence(3.0, 0.8) == pytest.approx(2.4)
    assert max_subsidence(3.0, 0.8, 60.0) == pytest.approx(1.2)  # cos 60° = 0.5
    with pytest.raises(ConfigError, match="q"):
        max_subsidence(3.0, 0.0)


@pytest.mark.parametrize("cell_frac", [1 / 10, 1 / 40], ids=["r/10", "r/40"])
def test_kernel_integrates_to_one(cell_frac):
    k = subsidence_kernel(R, R * cell_frac, truncate=6.0)
    assert k.sum() == pytest.approx(1.0, abs=1e-6)
    assert k.max() == pytest.approx((R * cell_frac) ** 2 / R**2)  # 1/r² at ρ = 0, times the cell area


def test_half_w0_at_semi_infinite_edge_erf():
    # Cx(0) = ½[erf(0) − erf(−√π·l/r)] → ½ for l ≫ r; Cy = 1 deep inside a very wide panel
    w = rectangle_subsidence(0.0, 50 * R, thickness_m=M, depth_m=H, q=Q, tan_beta=TANB,
                             strike_length_m=100 * R, dip_width_m=100 * R)
    assert float(w) == pytest.approx(W0 / 2, rel=1e-9)


def test_half_w0_at_semi_infinite_edge_filter():
    # panel covers x ≥ 100 cells (and far beyond the grid on three sides): the two cells that touch the
    # edge straddle it symmetrically, so their mean is W0/2
    cell = R / 20
    n = 200
    like = _grid(n, cell)
    pan = _panels(box(100 * cell, -400 * cell, 600 * cell, 600 * cell))
    w = subsidence(pan, like=like, method="filter")["subsidence"].values
    row = n // 2
    assert 0.5 * (w[row, 99] + w[row, 100]) == pytest.approx(W0 / 2, rel=1e-3)
    assert w[row, 199] == pytest.approx(W0, rel=1e-3)


@pytest.mark.parametrize("method", ["erf", "filter"], ids=["erf", "filter"])
def test_w0_at_centre_of_4r_panel(method):
    cell = R / 20
    n = 160  # 8r
    like = _grid(n, cell)
    pan = _panels(box(40 * cell, 40 * cell, 120 * cell, 120 * cell))  # 80 cells = 4r
    w = subsidence(pan, like=like, method=method)["subsidence"].values
    centre = 0.25 * (w[79, 79] + w[79, 80] + w[80, 79] + w[80, 80])
    assert abs(centre / W0 - 1.0) < 1e-3


def test_erf_and_filter_agree_at_r_over_20():
    cell = R / 20
    n = 160
    like = _grid(n, cell)
    pan = _panels(box(40 * cell, 50 * cell, 110 * cell, 100 * cell))  # 3.5r × 2.5r
    a = subsidence(pan, like=like, method="erf")["subsidence"].values
    b = subsidence(pan, like=like, method="filter")["subsidence"].values
    assert np.max(np.abs(a - b)) / W0 < 0.01


def test_rotated_rectangle_erf_matches_filter_and_auto_uses_erf():
    cell = 10.0
    like = _grid(120, cell)
    g = affinity.rotate(box(300, 500, 900, 700), 30, origin="centroid")
    pan = _panels(g)
    ds_auto = subsidence(pan, like=like)
    assert ds_auto.attrs["panel_method"] == ["erf"]
    b = subsidence(pan, like=like, method="filter")
    assert b.attrs["panel_method"][0].startswith("filter")
    assert np.max(np.abs(ds_auto["subsidence"].values - b["subsidence"].values)) / W0 < 0.02


def test_oversampling_when_cells_are_coarse():
    # Δ = 30 m > r/10 = 15.9 m → factor 2; the cell-mean result still matches the erf form closely
    like = _grid(60, 30.0)
    pan = _panels(box(600, 600, 1200, 1200))
    f = subsidence(pan, like=like, method="filter")
    assert f.attrs["panel_method"] == ["filter(x2)"]
    e = subsidence(pan, like=like, method="erf")
    assert np.max(np.abs(f["subsidence"].values - e["subsidence"].values)) / W0 < 0.03


def test_panels_sum():
    cell = 20.0
    like = _grid(100, cell)
    p1, p2 = box(200, 200, 800, 800), box(1200, 1200, 1800, 1800)
    w1 = subsidence(_panels(p1), like=like)["subsidence"].values
    w2 = subsidence(_panels(p2), like=like)["subsidence"].values
    both = subsidence(_panels(p1, p2), like=like)["subsidence"].values
    np.testing.assert_allclose(both, w1 + w2, rtol=1e-5, atol=1e-7)


def test_tilt_displacement_curvature_maxima():
    # wide panel (8r): i_max = W0/r, U_max = b·W0, K_max = 1.52·W0/r² (1-D profile across the edge)
    cell = R / 20
    n = 400
    like = _grid(n, cell)
    pan = _panels(box(40 * cell, -2000 * cell, 200 * cell, 3000 * cell), b=0.3)
    ds = subsidence(pan, like=like, method="erf", outputs=("tilt", "displacement", "curvature"))
    assert "subsidence" not in ds
    assert float(ds["tilt"].max()) / 1e3 == pytest.approx(W0 / R, rel=0.01)
    assert float(ds["displacement"].max()) == pytest.approx(0.3 * W0, rel=0.01)
    assert float(ds["curvature"].max()) / 1e3 == pytest.approx(1.52 * W0 / R**2, rel=0.03)
    assert ds["tilt"].attrs["units"] == "mm/m"


def test_dipping_panel_shifts_down_dip_and_warns_without_azimuth():
    cell = 10.0
    like = _grid(100, cell)
    g = box(200, 400, 800, 600)  # long axis along x; down-dip assumed south (−y)
    pan = _panels(g, dip_deg=20.0)
    with pytest.warns(AssumptionWarning, match="dip_azimuth_deg"):
        w = subsidence(pan, like=like)["subsidence"].values
    pan_n = _panels(g, dip_deg=20.0, dip_azimuth_deg=0.0)  # dipping north
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumptionWarning)
        wn = subsidence(pan_n, like=like)["subsidence"].values
    col = w[:, 50]
    ys = 1000 - cell * (np.arange(100) + 0.5)
    centre_s = np.sum(col * ys) / col.sum()
    centre_n = np.sum(wn[:, 50] * ys) / wn[:, 50].sum()
    assert centre_s < 500 < centre_n  # basin centroid moves down-dip
    assert w.max() <= max_subsidence(M, Q, 20.0) * (1 + 1e-6)


def test_panel_validation_errors():
    like = _grid(20, 30.0)
    bad = gpd.GeoDataFrame({"thickness_m": [3.0]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:32649")
    with pytest.raises(ConfigError, match="depth_m"):
        subsidence(bad, like=like)
    tri = _panels(Polygon([(0, 0), (300, 0), (0, 300)]))
    with pytest.raises(DataError, match="rectangular"):
        subsidence(tri, like=like, method="erf")
    assert subsidence(tri, like=like).attrs["panel_method"][0].startswith("filter")
    with pytest.raises(ConfigError, match="outputs"):
        subsidence(_panels(box(0, 0, 100, 100)), like=like, outputs=("depth",))


def test_zones_hand_values_and_thresholds():
    w = make_raster(np.array([[0.0, 0.005, 0.01, 1.0], [1.5, 2.9, 3.0, np.nan]], np.float32))
    z = subsidence_zones(w)
    assert z.values.tolist() == [[0, 0, 1, 1], [2, 2, 3, 255]]
    assert z.rio.nodata == 255
    z2 = subsidence_zones(w, thresholds_m=(0.5, 1.0, 2.0))
    assert z2.values.tolist() == [[0, 0, 0, 2], [2, 3, 3, 255]]
    with pytest.raises(ConfigError, match="thresholds_m"):
        subsidence_zones(w, thresholds_m=(1.0, 0.5, 2.0))


def test_zones_dask_equals_numpy():
    w = make_raster(np.linspace(0, 4, 36, dtype=np.float32).reshape(6, 6))
    a = subsidence_zones(w).values
    b = subsidence_zones(w.chunk({"y": 2, "x": 2}))
    assert hasattr(b.data, "dask")
    np.testing.assert_array_equal(a, b.values)


def test_ponding_mask():
    w = make_raster(np.array([[0.5, 1.0, 2.0, np.nan]], np.float32))
    assert ponding_mask(w, 1.0).values.tolist() == [[0, 0, 1, 255]]
    gw = make_raster(np.array([[0.4, 2.0, 2.5, 1.0]], np.float32))
    assert ponding_mask(w, gw).values.tolist() == [[1, 0, 0, 255]]


def test_registered_step_on_the_demo_region():
    import restoreplan as rp
    from restoreplan.pipeline import registry

    spec = registry.get("subsidence")
    assert spec.example["inputs"] == {"panels": "vector:mining_panels", "like": "dem"}
    params = spec.params(**spec.example["params"])
    with pytest.raises(ValidationError):
        spec.params(thresholds_m=(0.01, 1.5, 3.0), b=2.0)  # b ≤ 1
    region = rp.datasets.demo_region(size=120)
    with pytest.warns(AssumptionWarning, match="dip_azimuth_deg"):
        out = spec.func(region.vectors["mining_panels"], region.layers["dem"], **params.model_dump())
    assert set(out) == {"subsidence", "zone", "tilt", "displacement", "curvature", "ponding"}
    w = out["subsidence"].values
    panels = region.vectors["mining_panels"]
    w0 = (panels["thickness_m"] * panels["q"] * np.cos(np.radians(panels["dip_deg"]))).to_numpy()
    assert 0.5 * w0.max() < w.max() <= w0.sum()
    z = out["zone"].values
    # zones are the thresholds applied to W; ponding is W > 1.5 m (= moderate or severe here)
    np.testing.assert_array_equal(z >= 2, w >= 1.5)
    np.testing.assert_array_equal(out["ponding"].values == 1, w > 1.5)
    assert out["zone"].rio.crs == region.layers["dem"].rio.crs


def test_erf_window_truncation_is_negligible_and_dask_template_is_not_computed():
    import dask

    from restoreplan.landuse.subsidence import rectangle_subsidence as rect

    cell = 20.0
    like = _grid(150, cell)
    pan = _panels(box(1000, 1000, 1600, 1400))
    w = subsidence(pan, like=like, method="erf")["subsidence"].values
    xs = cell * (np.arange(150) + 0.5)
    ys = 150 * cell - cell * (np.arange(150) + 0.5)
    X, Y = np.meshgrid(xs - 1000, ys - 1000)
    full = rect(X, Y, thickness_m=M, depth_m=H, q=Q, tan_beta=TANB, strike_length_m=600, dip_width_m=400)
    assert np.max(np.abs(w - full)) < 1e-6  # the windowed erf equals the full-grid evaluation
    lazy = like.chunk({"y": 50, "x": 50})
    with dask.config.set(scheduler=lambda *a, **k: pytest.fail("the template was computed")):
        wl = subsidence(pan, like=lazy, method="erf")["subsidence"].values
    np.testing.assert_allclose(wl, w)


@pytest.mark.parametrize("method", ["erf", "filter"], ids=["erf", "filter"])
def test_panel_far_outside_the_grid_contributes_nothing(method):
    like = _grid(40, 20.0)  # 800 m square; r = 159 m, reach ≈ 4σ = 254 m
    far = _panels(box(5000, 5000, 5600, 5400))
    assert float(subsidence(far, like=like, method=method)["subsidence"].max()) == 0.0
