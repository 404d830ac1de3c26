"""Build ``report.html``: one self-contained file (images embedded, no external assets, no script).

Sections: contents; caveats (every warning box of the report, linked); inputs (maps, class areas);
one section per step, grouped by method group (summary, formula, time, parameters, warnings and
caveats, maps of raster outputs, tables); provenance (command, seed, inputs with SHA-256,
per-step seconds, package versions). A registered method may contribute its own section body
through ``MethodSpec.report(result, ctx) -> str``, built with :func:`maps_html`,
:func:`table_html` and :func:`chart_html`.

Maps are rendered by :mod:`restoreplan.report.maps` (decimated reads only); caveats by
:mod:`restoreplan.report.checks`. Click a map to enlarge it (CSS ``:target``), × to close.
"""

from __future__ import annotations

import base64
import contextvars
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from ..core.legend import ClassTable, get_scheme, legend_of
from ..io.atomic import atomic_path
from .checks import class_caveats, convergence_caveats
from .maps import decimated, map_figures
from .tables import pretty_units, table_html

__all__ = ["build_report", "maps_html", "output_name", "table_html", "chart_html"]

_MAX_PANELS_PER_STEP = 16

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;padding:1em 1.5em;max-width:1180px;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #2e7d32;padding-bottom:.2em;margin-top:2em}
h3{margin:1.6em 0 .3em}h4{margin:1em 0 .3em}.meta{color:#555;font-size:13px}code{background:#eef;padding:1px 4px;border-radius:3px}
nav.toc{background:#f6f8f6;border:1px solid #dde5dd;border-radius:6px;padding:.4em 1em;font-size:14px}
nav.toc ol{columns:3 16em;margin:.3em 0;padding-left:1.4em}nav.toc li{break-inside:avoid}
.warn{background:#fff4e5;border-left:5px solid #e65100;padding:.4em .9em;margin:.6em 0;font-size:14px}
.warn ul{margin:.2em 0;padding-left:1.2em}.note{background:#fff8e1;border-left:4px solid #ffb300;padding:.4em .8em;font-size:14px}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
figure.map{margin:0;width:340px;border:1px solid #ddd;border-radius:6px;padding:8px;background:#fafafa;position:relative}
figure.map .frame{position:relative;width:100%;line-height:0;background:#fff}
figure.map img{width:100%;height:auto;image-rendering:pixelated;display:block}
figure.map figcaption{font-size:13px;font-weight:600;margin-top:4px;overflow-wrap:anywhere}
.north{position:absolute;top:4px;right:6px;font:bold 12px/1.05 sans-serif;text-align:center;color:#111;
 background:rgba(255,255,255,.75);padding:2px 4px;border-radius:3px}
.scalebar{position:absolute;left:8px;bottom:8px;height:6px;border:2px solid #111;border-top:none;box-shadow:0 0 0 2px #fff}
.scalebar span{position:absolute;left:0;bottom:9px;font:12px/1 sans-serif;color:#111;white-space:nowrap;background:rgba(255,255,255,.85);padding:1px 3px}
ul.legend{list-style:none;margin:6px 0 0;padding:0;font-size:12px}ul.legend li{margin:2px 0;display:flex;gap:5px;align-items:baseline}
ul.legend li.absent{color:#999}.sw{display:inline-block;width:12px;height:12px;border:1px solid #888;flex:none;position:relative;top:2px}
.cbar{margin-top:6px;font-size:12px}.cbar .ramp{height:12px;border:1px solid #888}.cbar .ticks{position:relative;height:16px}
.cbar .ticks span{position:absolute;transform:translateX(-50%);white-space:nowrap}.cbar .ticks span:first-child{transform:none}
.cbar .ticks span:last-child{transform:translateX(-100%)}.cbar .range{color:#555}
a.zoom{cursor:zoom-in;display:block}a.close{display:none}
figure.map:target{position:fixed;inset:0;z-index:10;width:auto;margin:0;border-radius:0;overflow:auto;background:#fff;
 padding:16px 24px;display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start;box-shadow:0 0 0 100vmax rgba(0,0,0,.5)}
figure.map:target a.zoom{width:min(calc(100vw - 420px),86vh);min-width:300px;cursor:default}figure.map:target figcaption{font-size:16px;flex-basis:100%;order:-1}
figure.map:target ul.legend,figure.map:target .cbar{font-size:14px;width:320px}
figure.map:target a.close{display:block;position:fixed;top:8px;right:16px;font-size:32px;text-decoration:none;color:#333;z-index:11}
.tbl{overflow-x:auto;max-width:100%;margin:.3em 0 .8em}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}th{background:#eee;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.u{font-weight:normal;color:#555}.tcap{font-weight:600;font-size:14px}
details{margin:.3em 0}summary{cursor:pointer;font-size:14px;color:#333}
img.chart{max-width:100%;height:auto}
"""


# ---------------------------------------------------------------- state of one build (ids, caveats)
@dataclass
class _Build:
    scheme_table: ClassTable | None = None
    landuse: tuple | None = None      # (sample, valid, legend) of the study's land-use map
    n: int = 0
    caveats: list[str] = field(default_factory=list)
    step: str | None = None           # id of the step whose section is being built

    def new_id(self) -> str:
        self.n += 1
        return f"map{self.n}"


_BUILD: contextvars.ContextVar[_Build | None] = contextvars.ContextVar("restoreplan_report_build", default=None)


def _build() -> _Build:
    b = _BUILD.get()
    if b is None:          # a report hook called on its own (e.g. in a notebook): a private state
        b = _Build()
        _BUILD.set(b)
    return b


def output_name(key: str) -> str:
    """``STEP.key``: the name (and output file stem) of a step's output inside a report hook."""
    step = _build().step
    return f"{step}.{key}" if step else key


def _rasters(name: str, obj) -> list[tuple[str, xr.DataArray]]:
    if isinstance(obj, dict):
        return [r for k, v in obj.items() for r in _rasters(f"{name}.{k}", v)]
    if isinstance(obj, xr.Dataset):
        return [(f"{name}.{k}", obj[k]) for k in obj.data_vars if "y" in obj[k].dims and "x" in obj[k].dims]
    if isinstance(obj, xr.DataArray) and "y" in obj.dims and "x" in obj.dims:
        return [(name, obj)]
    return []


def maps_html(name: str, obj, *, title: str | None = None, limit: int | None = None) -> str:
    """Map figures of every raster in ``obj`` (a DataArray, Dataset or dict of them), in a grid.

    Caveats of the maps (degenerate classes, non-convergence) go to the section's warning box.
    """
    b = _build()
    cards, left = [], 0
    for out_name, da in _rasters(name, obj):
        if limit is not None and len(cards) >= limit:
            left += 1
            continue
        panels = map_figures(out_name, da, new_id=b.new_id, scheme_table=b.scheme_table,
                             title=title if title and len(_rasters(name, obj)) == 1 else None)
        units = str(da.attrs.get("units", ""))
        for p in panels:
            cards.append(p.html)
            b.caveats += p.caveats
            if p.legend is not None:
                b.caveats += class_caveats(out_name + (f" ({p.label})" if p.label else ""), p.values, p.valid,
                                           p.legend, p.step, b.landuse, units=units)
        b.caveats += convergence_caveats(out_name, da.attrs)
    more = f"<p class='meta'>{left} more raster output(s) in the output folder.</p>" if left else ""
    return ("<div class='grid'>" + "".join(cards) + "</div>" + more) if cards else more


def chart_html(fig, caption: str, *, dpi: int = 96) -> str:
    """A matplotlib ``Figure`` (object API; no pyplot state) as an embedded PNG with a caption."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if fig.canvas is None or not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)   # one draw; figures set their own layout
    buf.seek(0)
    img = Image.open(buf).convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT)  # flat chart colours
    small = io.BytesIO()
    img.save(small, format="PNG", optimize=True)
    b64 = base64.b64encode(small.getvalue()).decode("ascii")
    return (f"<figure class='chart'><img class='chart' alt='{html.escape(caption, quote=True)}' "
            f"src='data:image/png;base64,{b64}'><figcaption class='meta'>{html.escape(caption)}</figcaption></figure>")


def _tables_html(name: str, obj, units: dict[str, str], key: str = "") -> list[str]:
    import geopandas as gpd

    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _tables_html(f"{name}.{k}", v, units, k)
    elif isinstance(obj, gpd.GeoDataFrame):
        out.append(f"<p class='meta'>{html.escape(name)}: vector layer, {len(obj):,} feature(s), "
                   f"written as <code>{html.escape(name)}.gpkg</code>.</p>")
    elif isinstance(obj, (pd.DataFrame, pd.Series)):
        out.append(f"<h4>{html.escape(name)}</h4>" + table_html(obj, units=units.get(key) or units.get(name),
                                                                csv=f"{name}.csv"))
    return out


def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", s).strip("-") or "x"


def _warn_box(items: list[str]) -> str:
    if not items:
        return ""
    uniq = list(dict.fromkeys(items))
    return ("<div class='warn' role='note'><b>Caveats</b><ul>" + "".join(f"<li>{html.escape(c)}</li>" for c in uniq)
            + "</ul></div>")


def _scheme_table(study) -> ClassTable | None:
    name = study.study.class_scheme
    if name.lower().endswith(".csv"):
        return ClassTable.from_csv(study.resolve(name), name=str(study.resolve(name)))
    return get_scheme(name)


def _landuse_reference(ctx, scheme_table) -> tuple | None:
    """Thumbnail sample of the study's land-use map (the template, last year) for the class checks."""
    import numpy as np

    tname = ctx.study.template_name()
    spec = ctx.study.layers.get(tname) if tname else None
    if spec is None or spec.kind != "categorical":
        return None
    lay = ctx.layers[tname]
    da = lay[max(lay)] if isinstance(lay, dict) else lay
    legend = legend_of(da, scheme_table=scheme_table)
    if legend is None:
        return None
    arr, _ = decimated(da)
    nod = da.rio.nodata
    valid = np.ones(arr.shape, bool) if nod is None else arr != nod
    return arr, valid, legend


def _params_html(spec, params: dict) -> str:
    if not params:
        return ""
    units = {r["name"]: r["units"] for r in spec.param_table()}
    df = pd.DataFrame({"parameter": list(params), "value": list(params.values()),
                       "units": [units.get(k, "") for k in params]})
    df["value"] = df["value"].map(lambda v: v if isinstance(v, str) else _plain(v))
    return f"<details><summary>parameters ({len(params)})</summary>{table_html(df, max_rows=200)}</details>"


def _plain(v) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_plain(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(_plain(x) for x in v)
    return "–" if v is None else str(v)


def _provenance(md: dict, report_inputs: dict) -> str:
    parts = ["<h2 id='provenance'>Provenance</h2>",
             f"<p>Command <code>restoreplan {html.escape(str(md.get('command', '')))}</code>, seed "
             f"<b>{html.escape(str(md.get('seed')))}</b>, started {html.escape(str(md.get('started_utc')))} UTC; "
             f"study configuration SHA-256 <code>{html.escape(str(md.get('config_sha256', ''))[:16])}…</code>. "
             "Everything here is also in <code>manifest.json</code>.</p>"]
    if report_inputs:
        rows = [{"input": k, "file": Path(v["path"]).name, "bytes": v.get("bytes"), "sha256": v.get("sha256", "")[:16] + "…"}
                for k, v in report_inputs.items()]
        parts.append(table_html(pd.DataFrame(rows), max_rows=500, caption="Inputs"))
    steps = [{"step": s["id"], "method": s["method"], "status": s.get("status"), "seconds": s.get("seconds"),
              "warnings": len(s.get("warnings", []))} for s in md.get("steps", [])]
    if steps:
        df = pd.DataFrame(steps)
        total = float(df["seconds"].fillna(0).sum())
        parts.append(table_html(df, max_rows=500, caption=f"Steps (total {total:.1f} s)"))
    vers = md.get("versions", {})
    plat = md.get("platform", {})
    rows = [{"package": k, "version": v or "not installed"} for k, v in vers.items()]
    rows += [{"package": f"platform: {k}", "version": v} for k, v in plat.items()]
    parts.append(table_html(pd.DataFrame(rows), max_rows=500, caption="Versions"))
    return "\n".join(parts)


def build_report(ctx, manifest, folder: Path, *, extra: dict | None = None) -> Path:
    """Write ``report.html`` for a finished run into ``folder``; return its path."""
    from ..pipeline import registry
    from ..pipeline.steps import class_area

    study = ctx.study
    md = manifest.data
    scheme_table = _scheme_table(study)
    b = _Build(scheme_table=scheme_table)
    token = _BUILD.set(b)
    try:
        b.landuse = _landuse_reference(ctx, scheme_table)
        sections: list[tuple[str, str, str, int]] = []   # (id, title, html, caveat count)
        # ---- inputs
        body = []
        body.append(maps_html_inputs(ctx))
        for lname, lay in ctx.layers.items():
            if study.layers[lname].kind != "categorical":
                continue
            da = ctx.resolve(lname, "any")
            try:
                df = class_area(da, scheme=study.study.class_scheme if not study.study.class_scheme.endswith(".csv")
                                else "")
            except Exception as e:   # e.g. geographic CRS: say why instead of failing the run
                body.append(f"<p class='note'>Class areas of {html.escape(lname)} not computed: "
                            f"{html.escape(str(e))}</p>")
                continue
            if "year" in df.columns:
                piv = df.pivot_table(index=["code", "name"], columns="year", values="area_km2")
                piv.columns = [f"{c}_km2" for c in piv.columns]
            else:
                piv = df.set_index(["code", "name"])[["cells", "area_km2", "share_pct"]]
            body.append(f"<h4>Class areas — {html.escape(lname)}</h4>" + table_html(piv, units="km2"))
        cav = b.caveats
        b.caveats = []
        sections.append(("inputs", "Inputs", _warn_box(cav) + "\n".join(body), len(set(cav))))
        # ---- steps
        timings = {s["id"]: s for s in md["steps"]}
        groups: dict[str, list] = {}
        for step in study.steps:
            groups.setdefault(registry.get(step.method).group, []).append(step)
        for group, steps in groups.items():
            sections.append((f"group-{_slug(group)}", f"Steps: {group}", "", -1))
            for step in steps:
                sections.append(_step_section(step, ctx, timings.get(step.step_id, {}), b))
    finally:
        _BUILD.reset(token)
    # ---- assemble
    toc, allcav, body = [], [], []
    for sid, title, content, ncav in sections:
        if ncav == -1:
            toc.append(f"</ol><b>{html.escape(title)}</b><ol>")
            body.append(f"<h2 id='{sid}'>{html.escape(title)}</h2>")
            continue
        flag = f" <span title='caveats'>⚠ {ncav}</span>" if ncav else ""
        toc.append(f"<li><a href='#{sid}'>{html.escape(title)}</a>{flag}</li>")
        if ncav:
            allcav.append(f"<li><a href='#{sid}'>{html.escape(title)}</a>: {ncav} caveat(s)</li>")
        body.append(content if sid != "inputs" else f"<h2 id='inputs'>Inputs</h2>{content}")
    head = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>restoreplan — {html.escape(study.study.name)}</title><style>{_CSS}</style></head><body>",
            f"<h1>restoreplan report — {html.escape(study.study.name)}</h1>",
            f"<p class='meta'>restoreplan {html.escape(str(md['versions'].get('restoreplan')))} · seed "
            f"{html.escape(str(md.get('seed')))} · started {html.escape(str(md['started_utc']))} UTC · "
            f"{len(study.steps)} step(s) · maps: click to enlarge</p>"]
    if extra and extra.get("intro"):
        head.append(f"<div class='note'>{extra['intro']}</div>")
    head.append("<nav class='toc' id='contents'><b>Contents</b><ol>"
                + ("<li><a href='#caveats'>Caveats</a></li>" if allcav else "")
                + "".join(toc) + "</ol><ol><li><a href='#provenance'>Provenance</a></li></ol></nav>")
    if allcav:
        head.append("<h2 id='caveats'>Caveats</h2><p>Results that may mislead are flagged in their section:</p>"
                    "<ul>" + "".join(allcav) + "</ul>")
    tail = []
    if extra and extra.get("outro"):
        tail.append(extra["outro"])
    tail.append(_provenance(md, md.get("inputs", {})))
    tail.append("</body></html>")
    path = Path(folder) / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(head + body + tail), encoding="utf-8")
    return path


def maps_html_inputs(ctx) -> str:
    """Maps of every input layer (several years of one layer share one legend or colour range)."""
    parts = []
    for lname in ctx.layers:
        parts.append(maps_html(lname, ctx.resolve(lname, "any")))
    return "".join(parts).replace("</div><div class='grid'>", "")


def _step_section(step, ctx, t: dict, b: _Build) -> tuple[str, str, str, int]:
    from ..pipeline import registry

    spec = registry.get(step.method)
    res = ctx.results.get(step.step_id)
    sid = f"step-{_slug(step.step_id)}"
    head = (f"<h3 id='{sid}'>{html.escape(step.step_id)} <span class='meta'>({html.escape(step.method)}, "
            f"{float(t.get('seconds', 0) or 0):.2f} s)</span></h3>"
            f"<p>{html.escape(spec.summary)}<br><code>{html.escape(spec.formula)}</code></p>")
    refs = spec.reference_records()
    if refs:
        head += "<p class='meta'>References: " + "; ".join(html.escape(r.text()) for r in refs) + "</p>"
    if spec.units:
        head += ("<p class='meta'>units: " + html.escape("; ".join(f"{k}: {pretty_units(v)}"
                                                                 for k, v in spec.units.items())) + "</p>")
    head += _params_html(spec, t.get("params", step.params))
    b.caveats = []
    b.step = step.step_id
    notes = []
    for w in t.get("warnings", []):
        text = f"{w['category']}: {w['message']}"
        if "Convergence" in w["category"]:
            b.caveats.append(text)
        else:
            notes.append(f"<p class='note'>{html.escape(text)}</p>")
    if spec.report is not None:
        body = spec.report(res, ctx)
    else:
        body = maps_html(step.step_id, res, limit=_MAX_PANELS_PER_STEP)
        body += "".join(_tables_html(step.step_id, res, spec.units, spec.outputs[0] if len(spec.outputs) == 1 else ""))
    cav = b.caveats
    b.caveats = []
    b.step = None
    return sid, step.step_id, head + _warn_box(cav) + "".join(notes) + body, len(set(cav))
