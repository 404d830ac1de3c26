"""The demo report in headless Chromium: no console error, every image decodes, every class map has its own legend.

Drives Chromium through the DevTools protocol (``tests/report/cdp.py``). Chromium is required:
without it the tests fail (``.ci/run`` installs Debian's package).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from restoreplan.core.legend import get_scheme

from .cdp import Browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: outputs of the demo that are land-use maps (drawn with the study's land-use legend); every other
#: class map must carry its own labels.
LAND_USE_MAPS = {"lulc", "reclassify", "land_use_simulation.simulated", "scenario_simulation.lulc",
                 "scenario_rules.start"}

_PAGE_STATE = r"""
(() => {
  const imgs = [...document.images].map(i => ({alt: i.alt, w: i.naturalWidth, h: i.naturalHeight, ok: i.complete}));
  const figs = [...document.querySelectorAll('figure.map')].map(f => ({
    id: f.id, output: f.dataset.output, slice: f.dataset.slice, dtype: f.dataset.dtype,
    source: f.dataset.legendSource, legend: f.dataset.legend ? JSON.parse(f.dataset.legend) : null,
    cmin: f.querySelector('.cbar') ? Number(f.querySelector('.cbar').dataset.min) : null,
    cmax: f.querySelector('.cbar') ? Number(f.querySelector('.cbar').dataset.max) : null,
    legendItems: [...f.querySelectorAll('ul.legend li')].map(li => li.textContent.trim()),
    scalebar: !!f.querySelector('.scalebar'), north: !!f.querySelector('.north')}));
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode, el = n.parentElement;
    if (!n.textContent.trim() || !el || !el.offsetParent) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < 10) small.push(n.textContent.trim().slice(0, 40) + ' @' + px);
  }
  const wide = [...document.querySelectorAll('.tbl')].filter(t => t.getBoundingClientRect().right >
                                                            document.body.getBoundingClientRect().right + 1).length;
  return {imgs, figs, small, wide, toc: document.querySelectorAll('nav.toc a').length,
          bodyWidth: document.documentElement.scrollWidth, viewWidth: window.innerWidth};
})()
"""


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    """The demo at its default size (what ``restoreplan demo`` shows a new user)."""
    from restoreplan.pipeline.demo import run_demo

    out = tmp_path_factory.mktemp("browser") / "demo"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_demo(out, seed=0)
    return out


@pytest.fixture(scope="module")
def page(demo_report):
    with Browser() as b:
        b.open(demo_report / "report.html")
        state = b.evaluate(_PAGE_STATE)
        # click-to-enlarge: the map becomes a full-window overlay, × closes it
        first = state["figs"][0]["id"]
        b.evaluate(f"document.querySelector('#{first} a.zoom').click()")
        zoom = b.evaluate(f"(() => {{const f = document.getElementById('{first}'); const r = f.querySelector('img')"
                          f".getBoundingClientRect(); return [getComputedStyle(f).position, r.width];}})()")
        b.evaluate(f"document.querySelector('#{first} a.close').click()")
        closed = b.evaluate(f"getComputedStyle(document.getElementById('{first}')).position")
        errors = list(b.errors)
    return {"state": state, "errors": errors, "zoom": zoom, "closed": closed, "out": demo_report}


def test_no_console_error_and_every_image_decodes(page):
    assert page["errors"] == []
    imgs = page["state"]["imgs"]
    assert len(imgs) > 50
    assert [i["alt"] for i in imgs if not i["ok"] or i["w"] == 0 or i["h"] == 0] == []


def _file_of(out: Path, output: str, slice_: str) -> Path | None:
    """The GeoTIFF the runner wrote for a map panel (inputs: ``inputs/NAME_YEAR.tif``)."""
    value = slice_.split("=", 1)[1] if slice_ else None
    for p in (out / f"{output}.tif", out / f"{output}_{value}.tif", out / "inputs" / f"{output}.tif",
              out / "inputs" / f"{output}_{value}.tif"):
        if p.exists():
            return p
    return None


def _own_legend(path: Path, output: str) -> tuple[str, dict[str, str]]:
    """What the written output says its legend is: its class_labels tag, its class_scheme, or the study's."""
    with rasterio.open(path) as src:
        tags = src.tags()
    if "class_labels" in tags:
        return "class_labels", json.loads(tags["class_labels"])
    scheme = tags.get("class_scheme") or ("six_class" if output in LAND_USE_MAPS else None)
    if scheme is None:
        return "none", {}
    return f"class_scheme:{scheme}", {str(k): v for k, v in get_scheme(scheme).df["name"].items()}


def test_every_integer_map_is_drawn_with_its_own_legend(page):
    out = page["out"]
    figs = [f for f in page["state"]["figs"] if f["dtype"].startswith(("int", "uint", "bool"))]
    assert len(figs) >= 40
    checked, problems = 0, []
    for f in figs:
        name = f"{f['output']} {f['slice']}".strip()
        base = f["output"].split(".")[0] if f["output"] not in LAND_USE_MAPS else f["output"]
        landuse = f["output"] in LAND_USE_MAPS or base in LAND_USE_MAPS
        if f["source"] in ("codes", "colorbar", None):
            problems.append(f"{name}: no legend of its own ({f['source']})")
            continue
        if f["source"].startswith("class_scheme") != landuse:
            problems.append(f"{name}: legend {f['source']} on a {'land-use' if landuse else 'non-land-use'} map")
        path = _file_of(out, f["output"], f["slice"])
        if path is None:
            problems.append(f"{name}: no output file to compare with")
            continue
        source, labels = _own_legend(path, f["output"])
        if source != f["source"] or labels != f["legend"]:
            problems.append(f"{name}: drawn with {f['source']} {f['legend']}, its own is {source} {labels}")
        with rasterio.open(path) as src:
            a = src.read(1, masked=True)
        codes = {str(int(c)) for c in np.unique(a.compressed())}
        if not codes <= set(f["legend"]):
            problems.append(f"{name}: codes {sorted(codes - set(f['legend']))} missing from the legend")
        if len(f["legendItems"]) != len(f["legend"]):
            problems.append(f"{name}: the legend shows {len(f['legendItems'])} entries for {len(f['legend'])} classes")
        checked += 1
    assert problems == []
    assert checked == len(figs)


def test_colour_bars_show_the_true_range(page):
    """Colour bars span the true minimum–maximum of the written output (years/scenarios share one range)."""
    out = page["out"]
    n = 0
    for f in page["state"]["figs"]:
        if f["source"] != "colorbar":
            continue
        path = _file_of(out, f["output"], f["slice"])
        if path is None:
            continue
        dim = f["slice"].split("=", 1)[0] if f["slice"] else ""
        paths = sorted(path.parent.glob(f"{f['output']}_*.tif")) if dim in ("time", "scenario") else [path]
        vals = []
        for p in paths:
            with rasterio.open(p) as src:
                a = src.read(1, masked=True).astype(float).compressed()
            vals.append(a[np.isfinite(a)])
        v = np.concatenate(vals)
        assert f["cmin"] == pytest.approx(float(v.min()), rel=1e-5, abs=1e-9), f["output"]
        assert f["cmax"] == pytest.approx(float(v.max()), rel=1e-5, abs=1e-9), f["output"]
        n += 1
    assert n >= 40


def test_maps_are_legible_and_enlarge(page):
    s = page["state"]
    assert s["small"] == []                                   # no text under 10 px
    assert all(f["scalebar"] and f["north"] for f in s["figs"])
    assert page["zoom"][0] == "fixed" and page["zoom"][1] > 600   # enlarged to most of the window
    assert page["closed"] != "fixed"
    assert s["wide"] == 0 and s["bodyWidth"] <= s["viewWidth"]    # tables scroll inside their box
    assert s["toc"] > 40


def test_demo_report_is_small(demo_report):
    size = (demo_report / "report.html").stat().st_size
    assert size < 1.5e6, f"report.html is {size / 1e6:.2f} MB"
