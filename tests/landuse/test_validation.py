"""Validation metrics: OA, kappa, Figure of Merit."""

from __future__ import annotations

import numpy as np
import pytest

from restoreplan.io import read_raster
from restoreplan.landuse import (
    confusion_matrix,
    disagreement,
    figure_of_merit,
    fom_from_components,
    fom_per_class,
    kappa,
    kappa_from_confusion,
    overall_accuracy,
)

from .conftest import make_raster


def test_two_class_kappa():
    cm = [[40, 10], [5, 45]]
    assert overall_accuracy(cm) == pytest.approx(0.85)
    assert kappa_from_confusion(cm) == pytest.approx(0.7)  # p_e = (50·45 + 50·55)/100² = 0.5


def test_plus_fom_csv():
    f = fom_from_components(A=983337, B=269174, C=32223, D=521157)
    assert f.fom == pytest.approx(0.149053, abs=5e-7)
    assert f.producers_accuracy == pytest.approx(269174 / (983337 + 269174 + 32223))
    assert f.users_accuracy == pytest.approx(269174 / (269174 + 32223 + 521157))


def test_fom_hand_case():
    # start   [1 1 1 1]      observed [2 2 1 1]   simulated [2 3 2 1]
    # cell 0: change, right class -> B; cell 1: change, wrong class -> C; cell 2: false alarm -> D;
    # cell 3: persistence both -> not counted. A = 0 -> FoM = 1/3
    s0 = make_raster(np.array([[1, 1, 1, 1]], np.uint8), nodata=0)
    o = make_raster(np.array([[2, 2, 1, 1]], np.uint8), nodata=0)
    s = make_raster(np.array([[2, 3, 2, 1]], np.uint8), nodata=0)
    f = figure_of_merit(s0, o, s)
    assert (f.A, f.B, f.C, f.D) == (0, 1, 1, 1)
    assert f.fom == pytest.approx(1 / 3)
    assert float(f) == pytest.approx(1 / 3)
    # OA of simulated vs observed: cells 0 and 3 agree
    assert f.overall_accuracy == pytest.approx(0.5)


def test_nodata_excluded_everywhere():
    s0 = make_raster(np.array([[1, 1, 0]], np.uint8), nodata=0)
    o = make_raster(np.array([[2, 1, 2]], np.uint8), nodata=0)
    s = make_raster(np.array([[1, 1, 2]], np.uint8), nodata=0)
    f = figure_of_merit(s0, o, s)
    assert (f.A, f.B, f.C, f.D) == (1, 0, 0, 0)
    assert confusion_matrix(o, s).to_numpy().sum() == 3  # confusion uses cells valid in both maps


def test_quantity_plus_allocation_is_disagreement():
    rng = np.random.default_rng(1)
    cm = rng.integers(0, 100, (4, 4))
    d = disagreement(cm)
    assert d["quantity"] + d["allocation"] == pytest.approx(1 - overall_accuracy(cm))
    assert d["quantity"] >= 0 and d["allocation"] >= -1e-12


@pytest.fixture(scope="module")
def wuhan_03_13(wuhan):
    a = read_raster(wuhan / "lulc" / "wh2003_refy.tif", kind="categorical")
    b = read_raster(wuhan / "lulc" / "wh2013_refy.tif", kind="categorical")
    return a, b


@pytest.fixture(scope="module")
def wuhan_gross_change(wuhan):
    """Cells valid in both maps whose class changed 2003 -> 2013, counted with rasterio alone
    (each file's own nodata), independently of restoreplan's readers."""
    import rasterio

    with rasterio.open(wuhan / "lulc" / "wh2003_refy.tif") as fa, \
            rasterio.open(wuhan / "lulc" / "wh2013_refy.tif") as fb:
        x, y = fa.read(1), fb.read(1)
        valid = (x != fa.nodata) & (y != fb.nodata)
    return int(np.count_nonzero(valid & (x != y))), int(np.count_nonzero(valid))


@pytest.mark.realdata
def test_wuhan_fom_extremes(wuhan_03_13, wuhan_gross_change):
    a, b = wuhan_03_13
    changed, common = wuhan_gross_change
    assert 0 < changed < common
    perfect = figure_of_merit(a, b, b)
    assert (perfect.A, perfect.C, perfect.D) == (0, 0, 0)
    assert perfect.B == changed  # every observed change is simulated: hits only
    assert perfect.fom == 1.0 and perfect.kappa == pytest.approx(1.0)
    null = figure_of_merit(a, b, a)  # the "no change" model: every change is a miss
    assert (null.A, null.B, null.C, null.D) == (changed, 0, 0, 0) and null.fom == 0.0


@pytest.mark.realdata
def test_wuhan_kappa_matches_direct_formula(wuhan_03_13):
    a, b = wuhan_03_13
    av, bv = a.values.astype(int), b.values.astype(int)
    m = (av != 15) & (bv != -128)
    x, y = av[m], bv[m]
    n = len(x)
    oa = np.mean(x == y)
    pe = sum(np.sum(x == k) * np.sum(y == k) for k in range(1, 8)) / n**2
    assert kappa(b, a) == pytest.approx((oa - pe) / (1 - pe), rel=1e-12)
    assert kappa(b, a) == pytest.approx(kappa(a, b), rel=1e-12)  # symmetric in the two maps


@pytest.mark.realdata
def test_per_class_fom_sums(wuhan_03_13, wuhan_gross_change):
    a, b = wuhan_03_13
    per = fom_per_class(a, b, b)
    assert (per["fom"] == 1.0).all()
    assert per["B"].sum() == wuhan_gross_change[0]


def test_kappa_simulation_and_change_by_hand():
    from restoreplan.landuse.validation import _kappa_change_kernel, _kappa_simulation_kernel

    s0 = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    o = np.array([1, 1, 2, 2, 2, 2, 2, 1])
    s = np.array([1, 2, 2, 1, 2, 2, 1, 2])
    # p_o = 4/8; p_e|T = 1/2·(p(s=1|1)p(a=1|1) + p(s=2|1)p(a=2|1)) + 1/2·(p(s=1|2)p(a=1|2) + p(s=2|2)p(a=2|2))
    pe = 0.5 * (0.5 * 0.5 + 0.5 * 0.5) + 0.5 * (0.25 * 0.25 + 0.75 * 0.75)
    assert _kappa_simulation_kernel(s0, o, s) == pytest.approx((0.5 - pe) / (1 - pe))
    # change maps: observed change at 2, 3, 7; simulated change at 1, 2, 6 -> [[3, 2], [2, 1]]
    po, pe2 = 4 / 8, (5 * 5 + 3 * 3) / 64
    assert _kappa_change_kernel(s0, o, s) == pytest.approx((po - pe2) / (1 - pe2))
    # the null model (no change) scores 0 on both
    assert _kappa_simulation_kernel(s0, o, s0) == pytest.approx(0.0)
    assert _kappa_change_kernel(s0, o, s0) == pytest.approx(0.0)


def test_validate_simulation_rows_and_baselines(synthetic_pair):
    import restoreplan.landuse as lu

    start, end, drivers, water = synthetic_pair
    v = end.values[end.values != 255]
    codes, counts = np.unique(v, return_counts=True)
    demand = dict(zip(codes.tolist(), counts.tolist()))
    sim = lu.LandUseSimulator(seed=0, n_jobs=1, min_samples_per_class=200, n_estimators=10).fit(start, end, dict(drivers))
    out = sim.simulate(start, demand=demand, constraint=water)
    t = lu.validate_simulation(start, end, out, model=sim, demand=demand, constraint=water)
    assert list(t.index) == ["simulation", "probability_ranking", "no_change"]
    assert t.loc["no_change", "fom"] == 0 and t.loc["no_change", "kappa_simulation"] == pytest.approx(0.0)
    assert t.loc["simulation", "kappa_simulation"] > 0 and t.loc["simulation", "kappa_change"] > 0
    f = lu.figure_of_merit(start, end, out)
    assert t.loc["simulation", "fom"] == pytest.approx(f.fom) and t.loc["simulation", "kappa"] == pytest.approx(f.kappa)
    rk = sim.simulate(start, demand=demand, constraint=water, allocation="ranking")
    assert t.loc["probability_ranking", "fom"] == pytest.approx(lu.figure_of_merit(start, end, rk).fom)
    assert t.attrs["simulation_allocation"] == "frontier" and "model.simulate" in t.attrs["ranking_baseline"]
    cars = sim.simulate(start, demand=demand, constraint=water, allocation="cars")
    t2 = lu.validate_simulation(start, end, cars, ranking=rk)
    assert t2.attrs["simulation_allocation"] == "cars" and t2.attrs["ranking_baseline"] == "passed by the caller"
