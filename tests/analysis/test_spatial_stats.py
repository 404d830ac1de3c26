"""Global Moran's I: checkerboards by hand, and a dense weights-matrix computation of the formulas."""

import numpy as np
import pytest
from scipy import stats

from restoreplan.analysis.spatial_stats import morans_i, morans_i_array
from restoreplan.core.errors import ConstantInputWarning, NodataWarning
from restoreplan.testing import make_raster


def _dense(x, contiguity, transform):
    """Moran's I, Var (normality) and z from an explicit n×n weights matrix over valid non-island cells."""
    ny, nx = x.shape
    cells = [(r, c) for r in range(ny) for c in range(nx) if not np.isnan(x[r, c])]
    offs = [(-1, 0), (1, 0), (0, -1), (0, 1)]
    if contiguity == "queen":
        offs += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    pos = {rc: i for i, rc in enumerate(cells)}
    w = np.zeros((len(cells), len(cells)))
    for (r, c), i in pos.items():
        for dr, dc in offs:
            j = pos.get((r + dr, c + dc))
            if j is not None:
                w[i, j] = 1.0
    keep = w.sum(axis=1) > 0                         # islands leave the analysis
    w = w[np.ix_(keep, keep)]
    v = np.array([x[rc] for rc in cells])[keep]
    if transform == "r":
        w = w / w.sum(axis=1, keepdims=True)
    n = v.size
    z = v - v.mean()
    s0 = w.sum()
    i_val = n / s0 * (z @ w @ z) / (z @ z)
    s1 = 0.5 * ((w + w.T) ** 2).sum()
    s2 = ((w.sum(axis=1) + w.sum(axis=0)) ** 2).sum()
    e = -1 / (n - 1)
    var = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - e * e
    return i_val, var, (i_val - e) / np.sqrt(var)


def test_checkerboard_verify():
    # 2×2 checkerboard: rook → each cell's 2 neighbours are opposite → I = −1;
    # queen adds the same-valued diagonal → Σ_j z_j = −z_i, N/W = 4/12 → I = −1/3
    x = make_raster(np.array([[1.0, 0.0], [0.0, 1.0]]))
    for tr in ("r", "b"):
        assert morans_i(x, contiguity="rook", transform=tr)["I"][0] == pytest.approx(-1.0)
        assert morans_i(x, contiguity="queen", transform=tr)["I"][0] == pytest.approx(-1 / 3)


@pytest.mark.parametrize("contiguity", ["queen", "rook"], ids=["queen", "rook"])
@pytest.mark.parametrize("transform", ["r", "b"], ids=["row", "binary"])
def test_matches_dense_matrix_formula(contiguity, transform):
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, (9, 11)).cumsum(axis=1)
    x[rng.random(x.shape) < 0.15] = np.nan            # nodata leaves the neighbour sets
    x[0, 0], x[0, 1], x[1, 0], x[1, 1] = 5.0, np.nan, np.nan, np.nan   # (0, 0) becomes an island
    with pytest.warns(NodataWarning, match="island"):
        res = morans_i_array(x, contiguity=contiguity, transform=transform)
    i_ref, var_ref, z_ref = _dense(x, contiguity, transform)
    assert res["I"] == pytest.approx(i_ref, rel=1e-10)
    assert res["variance"] == pytest.approx(var_ref, rel=1e-10)
    assert res["z"] == pytest.approx(z_ref, rel=1e-10)
    assert res["p"] == pytest.approx(2 * stats.norm.sf(abs(z_ref)), rel=1e-9)
    assert res["islands"] == 1


def test_per_year_rows_constant_and_integer_input():
    rng = np.random.default_rng(1)
    arr = rng.random((2, 6, 6))
    da = make_raster(arr).assign_coords(time=[2000, 2020])
    df = morans_i(da)
    assert df["time"].tolist() == [2000, 2020] and len(df) == 2
    with pytest.warns(ConstantInputWarning):
        assert np.isnan(morans_i(make_raster(np.ones((4, 4))))["I"][0])
    lab = make_raster(np.array([[1, 1, 2], [1, 2, 2], [9, 2, 2]], np.uint8), nodata=9)
    assert morans_i(lab, contiguity="rook")["n"][0] == 8
