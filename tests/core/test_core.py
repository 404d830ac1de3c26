"""Errors, grids, legends (hand-checkable cases and hypothesis properties)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from restoreplan.core.errors import AlignmentError, ConfigError, CRSError, RestorePlanError, message
from restoreplan.core.grid import cell_area_m2, check_same_grid, grid_of
from restoreplan.core.legend import SCHEMES, ClassTable, get_scheme, reclassify
from restoreplan.testing import make_raster


def test_message_has_four_parts():
    m = message("demand", "the grid of `supply`", "CRS EPSG:4326 vs EPSG:32650", "use rp.io.align(demand, like=supply)")
    assert m.startswith("`demand`") and "expected the grid" in m and "got CRS" in m and "Fix: use rp.io.align" in m


def test_hierarchy_inherits_builtins():
    assert issubclass(AlignmentError, ValueError) and issubclass(AlignmentError, RestorePlanError)
    assert issubclass(ConfigError, ValueError)
    e = ConfigError("x", ["a", "b", "c"])
    assert e.problems == ["a", "b", "c"] and e.exit_code == 2


def test_cell_area_and_geographic_crs():
    da = make_raster(np.zeros((2, 3), np.float32), res=30)
    assert cell_area_m2(da) == 900.0  # |30 · −30|
    geo = make_raster(np.zeros((2, 2), np.float32), res=0.01, crs="EPSG:4326", x0=114, y0=30)
    with pytest.raises(CRSError, match="projected CRS"):
        cell_area_m2(geo, name="lulc")


def test_cell_area_in_feet_and_unreadable_unit(monkeypatch):
    """A CRS in US survey feet is an error (every *_m parameter would be off by 3.28x), and so is an
    unreadable unit: neither is silently taken as metres."""
    ft = make_raster(np.zeros((2, 2), np.float32), res=30, crs="EPSG:2227")
    with pytest.raises(CRSError, match="US survey foot"):
        cell_area_m2(ft, name="lulc")
    m = make_raster(np.zeros((2, 2), np.float32), res=30, crs="EPSG:32650")
    assert cell_area_m2(m) == 900.0

    class NoUnitCRS:
        is_geographic = False

        @property
        def linear_units_factor(self):
            raise ValueError("unit not known")

        def to_wkt(self):
            return "LOCAL_CS[...]"

    import rioxarray.raster_array as ra

    monkeypatch.setattr(ra.RasterArray, "crs", property(lambda self: NoUnitCRS()))
    with pytest.raises(CRSError, match="unit cannot be read"):
        cell_area_m2(ft, name="lulc")


@pytest.mark.parametrize("case", ["crs", "shift", "shape"], ids=["crs", "shift", "shape"])
def test_grid_mismatch_names_both_layers_and_difference(case):
    a = make_raster(np.zeros((4, 4), np.float32))
    if case == "crs":
        b = make_raster(np.zeros((4, 4), np.float32), crs="EPSG:32650")
        what = "CRS EPSG:32649 vs EPSG:32650"
    elif case == "shift":
        b = make_raster(np.zeros((4, 4), np.float32), x0=760015.0)
        what = "transform"
    else:
        b = make_raster(np.zeros((5, 4), np.float32))
        what = "shape (4, 4) vs (5, 4)"
    with pytest.raises(AlignmentError) as ei:
        check_same_grid(supply=a, demand=b)
    msg = str(ei.value)
    assert "`demand`" in msg and "`supply`" in msg and what in msg and "rp.io.align(demand, like=supply)" in msg


def test_same_grid_passes():
    a = make_raster(np.zeros((4, 4), np.float32))
    check_same_grid(a=a, b=a.copy())
    assert grid_of(a).shape == (4, 4)


def test_builtin_schemes():
    six = get_scheme("six_class")
    assert six.codes == [1, 2, 3, 4, 5, 6] and six.code_of("water") == [4]
    wh = get_scheme("wuhan")
    assert wh.code_of("construction") == [4] and wh.code_of("water") == [6] and "low confidence" in wh.label(5)
    with pytest.raises(ConfigError, match="class_scheme"):
        get_scheme("nope")


def test_class_table_rejects_unknown_group():
    import pandas as pd

    with pytest.raises(ConfigError, match="unknown group"):
        ClassTable(pd.DataFrame({"name": ["x"], "group": ["swamp"]}, index=[1]))


def test_reclassify_by_hand_and_nodata():
    lulc = make_raster(np.array([[1, 2, 3], [7, 15, 4]], np.uint8), nodata=15)
    out = reclassify(lulc, "wuhan_to_six_class")
    # 1→3 grass, 2→2 forest, 3→1 crop, 7→3 grass, 15 nodata stays 15, 4→5 construction
    assert out.values.tolist() == [[3, 2, 1], [3, 15, 5]] and out.rio.nodata == 15
    assert out.attrs["class_scheme"] == "six_class"          # the output codes follow the six-class legend
    assert "class_scheme" not in reclassify(lulc, {1: 1, 2: 1, 3: 1, 4: 1, 7: 1}).attrs


def test_map_uses_the_rasters_own_legend():
    """A reclassified map is drawn with its own legend, not the study's (labels and colours differ)."""
    import itertools

    from restoreplan.core.legend import get_scheme
    from restoreplan.report.maps import map_figures

    ids = (f"m{i}" for i in itertools.count())
    lulc = make_raster(np.array([[1, 2, 3], [7, 6, 4]], np.uint8), nodata=15)
    six = reclassify(lulc, "wuhan_to_six_class")
    (panel,) = map_figures("six", six, new_id=lambda: next(ids), scheme_table=get_scheme("wuhan"))
    assert panel.legend.source == "class_scheme:six_class"
    assert panel.legend.as_dict() == get_scheme("six_class").df["name"].to_dict()
    assert "construction land" in panel.html and "built-up" not in panel.html
    plain = six.copy()
    plain.attrs = {k: v for k, v in six.attrs.items() if k != "class_scheme"}
    (panel,) = map_figures("plain", plain, new_id=lambda: next(ids), scheme_table=get_scheme("wuhan"))
    assert panel.legend.source == "codes" and panel.caveats    # never the study's legend by default


def test_unknown_legend_is_an_error_not_default_colours():
    from restoreplan.core.legend import legend_of

    lulc = make_raster(np.array([[1, 2], [3, 4]], np.uint8), nodata=15)
    lulc.attrs["class_scheme"] = "no_such_legend"
    with pytest.raises(ConfigError, match="no_such_legend"):
        legend_of(lulc)
    lulc.attrs["class_scheme"] = "wuhan"           # a dataset's legend, registered by restoreplan.datasets
    assert legend_of(lulc).as_dict()[4] == "built-up"


def test_reclassify_unmapped_lists_all_codes():
    lulc = make_raster(np.array([[1, 2, 3, 9]], np.uint8), nodata=255)
    with pytest.raises(ConfigError, match=r"\[3, 9\]"):
        reclassify(lulc, {1: 1, 2: 1})
    out = reclassify(lulc, {1: 5, 2: 5}, unmapped="keep")
    assert out.values.tolist() == [[5, 5, 3, 9]]


@settings(max_examples=40, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 8), st.integers(1, 8)), elements=st.integers(0, 6)),
       st.lists(st.integers(1, 9), min_size=6, max_size=6), st.integers(2, 4))
def test_reclassify_properties(arr, targets, chunk):
    """Identity maps to itself; composition of maps equals the composed map; numpy == dask."""
    lulc = make_raster(arr, nodata=0)
    ident = reclassify(lulc, {k: k for k in range(1, 7)})
    np.testing.assert_array_equal(ident.values, arr)
    m1 = {k: targets[k - 1] for k in range(1, 7)}
    m2 = {v: (v * 7) % 11 + 1 for v in range(1, 10)}
    two = reclassify(reclassify(lulc, m1), m2)
    one = reclassify(lulc, {k: m2[m1[k]] for k in m1})
    np.testing.assert_array_equal(two.values, one.values)
    lazy = reclassify(lulc.chunk({"y": chunk, "x": chunk}), m1)
    np.testing.assert_array_equal(lazy.compute().values, reclassify(lulc, m1).values)
