"""Report building blocks: legends carried by class rasters, maps, tables, caveats, no pyplot state."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest

from restoreplan.core.legend import get_scheme, legend_of, set_class_labels
from restoreplan.report.checks import class_caveats, convergence_caveats
from restoreplan.report.maps import MAX_PX, decimated, map_figures
from restoreplan.report.tables import table_html
from restoreplan.testing import make_raster


def _ids():
    c = itertools.count()
    return lambda: f"m{next(c)}"


# ---------------------------------------------------------------- class rasters carry their labels
def test_class_producing_methods_label_their_output():
    from restoreplan.analysis.coupling import coupling
    from restoreplan.analysis.trend import trend
    from restoreplan.landuse.subsidence import subsidence_zones
    from restoreplan.priority.grades import priority_grades
    from restoreplan.priority.tiers import priority_tiers
    from restoreplan.services.classify import classify, jenks_classes, ring_classes

    rng = np.random.default_rng(0)
    idx = make_raster(rng.random((20, 20)))
    tiers = priority_tiers(idx, cuts=(5, 15, 100))
    assert legend_of(tiers).as_dict() == {1: "tier 1: top 0–5 % of the eligible area",
                                          2: "tier 2: 5–15 % of the eligible area",
                                          3: "tier 3: 15–100 % of the eligible area"}
    x = make_raster(rng.gamma(2, 10, (20, 20)).astype("float32"))
    x.attrs["units"] = "mm"
    lab = legend_of(classify(x, [0, 10, 100])).as_dict()
    assert lab == {1: "class 1: 0–10 mm", 2: "class 2: 10–100 mm"}
    assert len(legend_of(jenks_classes(x, 4)).codes) == 4
    assert legend_of(ring_classes(x * 100, rings_m=(500, 1000))).as_dict() == {1: "0–500 m", 2: "500–1,000 m",
                                                                                3: "≥ 1,000 m"}
    stack = make_raster(rng.random((3, 6, 6)))
    assert legend_of(trend(stack)["trend_class"]).as_dict()[-2] == "significant decrease"
    c = coupling(make_raster(rng.random((6, 6))), make_raster(rng.random((6, 6))))
    assert legend_of(c["d_class"]).as_dict()[1].startswith("extreme disorder")
    assert legend_of(subsidence_zones(x / 10)).as_dict()[3].startswith("severe")
    sel = {k: make_raster(rng.integers(0, 2, (6, 6)).astype("uint8"), nodata=255) for k in ("cs", "hs", "wh")}
    assert legend_of(priority_grades(sel)).as_dict()[3].startswith("high")


def test_labels_survive_writing_and_reading(tmp_path):
    from restoreplan.io import read_raster, write_raster

    da = set_class_labels(make_raster(np.array([[1, 2], [2, 0]], np.uint8), nodata=0),
                          {1: "tier 1: top 0–5 %", 2: "tier 2"}, palette="YlOrRd_r")
    back = read_raster(write_raster(da, tmp_path / "t.tif"), kind="categorical")
    assert legend_of(back) == legend_of(da)


def test_an_inherited_land_use_scheme_is_replaced_by_the_own_labels():
    da = make_raster(np.array([[1, 2]], np.uint8))
    da.attrs["class_scheme"] = "six_class"
    set_class_labels(da, {1: "low", 2: "high"})
    assert legend_of(da).source == "class_labels" and "class_scheme" not in da.attrs


# ---------------------------------------------------------------- maps
def _panel(da, **kw):
    (p,) = map_figures("x", da, new_id=_ids(), **kw)
    return p


def test_signed_layer_is_diverging_and_centred_with_the_true_range():
    a = np.zeros((50, 50), np.float32)
    a[0, 0], a[1, 1] = -2.0, 8.0                      # rare extremes that a 2–98 % stretch would hide
    p = _panel(make_raster(a))
    assert "data-cmap='RdBu'" in p.html
    assert "data-min='-2.0'" in p.html and "data-max='8.0'" in p.html
    ticks = re.findall(r"<span style='left:(\d+)%'>([^<]+)</span>", p.html)
    assert ticks == [("0", "-8"), ("50", "0"), ("100", "8")]   # symmetric around 0
    q = _panel(make_raster(np.abs(a)))
    assert "data-cmap='viridis'" in q.html


def test_class_map_uses_its_labels_and_nodata_is_transparent():
    import base64
    import io

    from PIL import Image

    da = set_class_labels(make_raster(np.array([[1, 2], [255, 1]], np.uint8), nodata=255),
                          {1: "low", 2: "high"}, colors={1: "#00ff00", 2: "#ff0000"})
    p = _panel(da, scheme_table=get_scheme("six_class"))
    assert json.loads(re.search(r"data-legend='([^']*)'", p.html).group(1).replace("&quot;", '"')) == \
        {"1": "low", "2": "high"}
    img = Image.open(io.BytesIO(base64.b64decode(re.search(r"base64,([^']+)'", p.html).group(1)))).convert("RGBA")
    assert img.getpixel((0, 0)) == (0, 255, 0, 255) and img.getpixel((1, 0)) == (255, 0, 0, 255)
    assert img.getpixel((0, 1))[3] == 0
    assert "cropland" not in p.html


def test_thumbnail_is_a_decimated_read():
    big = make_raster(np.arange(1000 * 900, dtype=np.float32).reshape(1000, 900), chunks=250)
    arr, step = decimated(big)
    assert step == 3 and arr.shape == (334, 300) and max(arr.shape) <= MAX_PX
    np.testing.assert_array_equal(arr, big.values[::3, ::3])


def test_scale_bar_and_north_arrow():
    p = _panel(make_raster(np.ones((100, 100), np.float32)))   # 3 km wide at 30 m
    assert "class='north'" in p.html
    width = float(re.search(r"class='scalebar' style='width:([\d.]+)%'", p.html).group(1))
    assert width == pytest.approx(100 * 500 / 3000, abs=0.01) and ">500 m<" in p.html


# ---------------------------------------------------------------- caveats
def test_degenerate_class_caveats():
    tiers = np.array([[1, 1, 2, 2], [3, 3, 3, 3]] * 10)
    lu = np.where(tiers == 1, 5, np.where(tiers == 2, 1, 2))
    lu[1, :] = np.arange(4) % 2 + 1                  # tier 3 is mixed
    legend = legend_of(set_class_labels(make_raster(tiers.astype(np.uint8)), {1: "t1", 2: "t2", 3: "t3", 4: "t4"}))
    lu_legend = legend_of(make_raster(lu.astype(np.uint8)).assign_attrs(class_scheme="six_class"))
    cav = class_caveats("tiers", tiers, np.ones(tiers.shape, bool), legend, 1, (lu, np.ones(lu.shape, bool), lu_legend),
                        units="tier")
    assert any("class(es) with no cell" in c and "4 t4" in c for c in cav)
    assert any("class 1 (t1) is 100.0 % construction land" in c for c in cav)
    assert any("class 2 (t2) is 100.0 % cropland" in c for c in cav)
    assert not any("class 3" in c for c in cav)
    one = class_caveats("grades", np.ones((5, 5), int), np.ones((5, 5), bool),
                        legend_of(set_class_labels(make_raster(np.ones((5, 5), np.uint8)), {0: "none", 1: "low"})), 1,
                        None)
    assert any("100.0 % of the valid cells are in one class" in c for c in one)
    g = np.zeros((10, 10), int)
    g[:3] = 1                                           # every graded cell is "low", most cells ungraded
    graded = legend_of(set_class_labels(make_raster(g.astype(np.uint8)), {0: "none", 1: "low", 2: "sub-high", 3: "high"}))
    cav = class_caveats("grades", g, np.ones(g.shape, bool), graded, 1, None)
    assert any("100.0 % of the cells with a class other than 0 are 1 low" in c for c in cav)
    assert not any("of the valid cells are in one class" in c for c in cav)   # 0 dominating is not flagged
    assert convergence_caveats("lulc", {"cars_converged": "ID:1,ER:0"}) != []
    assert convergence_caveats("lulc", {"cars_converged": "1"}) == []


# ---------------------------------------------------------------- tables
def test_tables_drop_the_index_format_columns_and_spell_out_dicts():
    df = pd.DataFrame({"area_km2": [1234.5, 2.25], "share_pct": [0.12345, 99.5], "params": [{"a": 1}, {"b": [1, 2]}]},
                      index=pd.Index(["x", "y"], name="scenario"))
    h = table_html(df)
    assert "<th>scenario</th>" in h and "area_km2 <span class='u'>(km²)</span>" in h
    assert ">1,234<" in h and ">2<" in h                  # one format per column (thousands, no decimals)
    assert ">0.1<" in h and ">99.5<" in h                  # three significant digits of the median magnitude
    pct = table_html(pd.DataFrame({"cum_share_pct": [0.0, 3.71, 25.3, 100.0]}))
    assert ">3.7<" in pct and ">100.0<" in pct and ">0.0<" in pct
    assert "a: 1" in h and "b: 1, 2" in h and "{" not in h
    assert "class='tbl'" in h
    plain = table_html(pd.DataFrame({"v": [1, 2]}))
    assert "<th class=num>v</th>" in plain and ">0<" not in plain   # a plain range index is not shown


# ---------------------------------------------------------------- no global matplotlib state
def test_report_does_not_switch_the_matplotlib_backend():
    import matplotlib
    from matplotlib.figure import Figure

    from restoreplan.report import chart_html

    before = matplotlib.get_backend()
    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    assert "data:image/png;base64" in chart_html(fig, "line")
    _panel(make_raster(np.ones((4, 4), np.float32)))
    assert matplotlib.get_backend() == before
    import sys

    assert "matplotlib.pyplot" not in sys.modules or before == matplotlib.get_backend()


def test_an_unknown_land_use_scheme_is_a_study_problem_not_a_silent_default():
    from restoreplan.pipeline.config import study_from_dict, validate_study

    st = study_from_dict({"study": {"name": "x", "class_scheme": "sixclass"}, "steps": []}, base_dir=".", source="t")
    assert any("study.class_scheme" in p and "sixclass" in p for p in validate_study(st))
