"""Build ``report.html``: one self-contained file (images embedded as base64 PNG, no external assets).

Sections: run summary; input maps and class areas per year; one section per step (method summary,
formula, time, maps of raster outputs, tables). A registered method may contribute its own HTML
through ``MethodSpec.report(result, ctx) -> str``.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, RestorePlanWarning
from ..core.legend import get_scheme
from ..io.atomic import atomic_path
from ..core.compute import materialize

__all__ = ["build_report", "raster_png"]

_MAX_PX = 360

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.6em}h2{border-bottom:2px solid #2e7d32;padding-bottom:.2em;margin-top:2em}
h3{margin-bottom:.3em}.grid{display:flex;flex-wrap:wrap;gap:14px}.card{border:1px solid #ddd;border-radius:6px;padding:8px;background:#fafafa}
.card img{display:block;max-width:340px}.meta{color:#666;font-size:.9em}code{background:#eef;padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#eee}.note{background:#fff8e1;border-left:4px solid #ffb300;padding:.4em .8em}
"""


def _downsample(arr: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(max(arr.shape) / _MAX_PX)))
    return arr[::step, ::step]


def raster_png(da: xr.DataArray, *, title: str = "", scheme: str | None = None, categorical: bool | None = None) -> str:
    """Render a (y, x) raster to a base64 PNG string (categorical: class colours and legend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap

    if len([d for d in da.dims if d not in ("y", "x")]):
        extra = [d for d in da.dims if d not in ("y", "x")]
        da = da.isel({d: -1 for d in extra})
    arr = materialize(da)
    arr = _downsample(arr)
    if categorical is None:
        categorical = np.issubdtype(arr.dtype, np.integer)
    scheme = da.attrs.get("class_scheme", scheme)   # e.g. a reclassified map carries its own legend
    fig, ax = plt.subplots(figsize=(4.4 if categorical else 3.6, 3.3), dpi=80)
    if categorical:
        nod = da.rio.nodata
        a = arr.astype(float)
        if nod is not None:
            a[arr == nod] = np.nan
        codes = [int(c) for c in np.unique(a[np.isfinite(a)])]
        table = None
        if scheme:
            try:
                table = get_scheme(scheme)
            except ConfigError as e:   # not a built-in legend: say so, draw the codes in default colours
                warnings.warn(f"map {title or da.name!r}: {e}; its classes are drawn in default colours",
                              RestorePlanWarning, stacklevel=2)
        colors, labels = [], []
        cmap_default = plt.get_cmap("tab20")
        for i, c in enumerate(codes):
            if table is not None and c in table.df.index:
                colors.append(table.df.loc[c, "color"])
                labels.append(f"{c} {table.label(c)[:18]}")
            else:
                colors.append(cmap_default(i % 20))
                labels.append(str(c))
        if codes:
            bounds = [c - 0.5 for c in codes] + [codes[-1] + 0.5]
            idx = np.full(a.shape, np.nan)
            for i, c in enumerate(codes):
                idx[a == c] = i
            ax.imshow(idx, cmap=ListedColormap(colors), norm=BoundaryNorm(np.arange(len(codes) + 1) - 0.5, len(codes)),
                      interpolation="nearest")
            from matplotlib.patches import Patch

            ax.legend(handles=[Patch(color=col, label=lb) for col, lb in zip(colors, labels)], fontsize=6,
                      loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
            del bounds
    else:
        a = arr.astype(float)
        finite = a[np.isfinite(a)]
        if finite.size:
            lo, hi = np.percentile(finite, [2, 98])
            if hi <= lo:
                lo, hi = finite.min(), finite.max() + 1e-12
            im = ax.imshow(a, cmap="viridis", vmin=lo, vmax=hi, interpolation="nearest")
            cb = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
            cb.ax.tick_params(labelsize=6)
            units = da.attrs.get("units")
            if units:
                cb.set_label(str(units), fontsize=7)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, caption: str) -> str:
    return f'<div class="card"><img src="data:image/png;base64,{b64}" alt="{html.escape(caption)}"><div class="meta">{html.escape(caption)}</div></div>'


def _table_html(df: pd.DataFrame, max_rows: int = 25) -> str:
    more = f'<p class="meta">… {len(df) - max_rows} more rows in the CSV.</p>' if len(df) > max_rows else ""
    return df.head(max_rows).to_html(float_format=lambda v: f"{v:,.4g}", border=0) + more


def _maps_of(name: str, obj, scheme: str) -> list[str]:
    cards = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            cards += _maps_of(f"{name}.{k}", v, scheme)
    elif isinstance(obj, xr.Dataset):
        for k in obj.data_vars:
            cards += _maps_of(f"{name}.{k}", obj[k], scheme)
    elif isinstance(obj, xr.DataArray) and "y" in obj.dims and "x" in obj.dims:
        extra = [d for d in obj.dims if d not in ("y", "x")]
        if extra and obj.sizes[extra[0]] <= 4 and len(extra) == 1:
            for v in obj[extra[0]].values:
                cards.append(_img(raster_png(obj.sel({extra[0]: v}), title=f"{name} {v}", scheme=scheme), f"{name} ({extra[0]}={v})"))
        else:
            cards.append(_img(raster_png(obj, title=name, scheme=scheme), name))
    return cards


def _tables_of(name: str, obj) -> list[str]:
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _tables_of(f"{name}.{k}", v)
    elif isinstance(obj, pd.DataFrame) and not hasattr(obj, "geometry"):
        out.append(f"<h4>{html.escape(name)}</h4>" + _table_html(obj))
    elif isinstance(obj, pd.Series):
        out.append(f"<h4>{html.escape(name)}</h4>" + _table_html(obj.to_frame()))
    return out


def build_report(ctx, manifest, folder: Path, *, extra: dict | None = None) -> Path:
    """Write ``report.html`` for a finished run into ``folder``; return its path."""
    from ..pipeline import registry
    from ..pipeline.steps import class_area

    study = ctx.study
    scheme = study.study.class_scheme
    md = manifest.data
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>restoreplan — {html.escape(study.study.name)}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>restoreplan report — {html.escape(study.study.name)}</h1>",
             f"<p class='meta'>restoreplan {md['versions'].get('restoreplan')} · seed {md.get('seed')} · "
             f"started {md['started_utc']} · {len(study.steps)} step(s)</p>"]
    if extra and extra.get("intro"):
        parts.append(f"<div class='note'>{extra['intro']}</div>")
    # inputs
    parts.append("<h2>Inputs</h2><div class='grid'>")
    for lname, lay in ctx.layers.items():
        items = lay.items() if isinstance(lay, dict) else [(None, lay)]
        for year, da in items:
            label = lname if year is None else f"{lname} {year}"
            parts.append(_img(raster_png(da, title=label, scheme=scheme), label))
    parts.append("</div>")
    for lname, lay in ctx.layers.items():
        spec = study.layers[lname]
        if spec.kind != "categorical":
            continue
        da = ctx.resolve(lname, "any")
        try:
            df = class_area(da, scheme=scheme if not scheme.endswith(".csv") else "")
        except Exception as e:  # e.g. geographic CRS: report the reason instead of failing the run
            parts.append(f"<p class='note'>Class areas of {html.escape(lname)} not computed: {html.escape(str(e))}</p>")
            continue
        if "year" in df.columns:
            piv = df.pivot_table(index=["code", "name"], columns="year", values="area_km2")
            piv.columns = [f"{c} km²" for c in piv.columns]
        else:
            piv = df.set_index(["code", "name"])[["cells", "area_km2", "share_pct"]]
        parts.append(f"<h3>Class areas — {html.escape(lname)}</h3>" + _table_html(piv))
    # steps
    parts.append("<h2>Steps</h2>")
    timings = {s["id"]: s for s in md["steps"]}
    for step in study.steps:
        spec = registry.get(step.method)
        res = ctx.results.get(step.step_id)
        t = timings.get(step.step_id, {})
        parts.append(f"<h3>{html.escape(step.step_id)} <span class='meta'>({html.escape(step.method)}, "
                     f"{t.get('seconds', 0):.2f} s)</span></h3>")
        parts.append(f"<p>{html.escape(spec.summary)}<br><code>{html.escape(spec.formula)}</code></p>")
        if step.params:
            parts.append(f"<p class='meta'>parameters: {html.escape(str(step.params))}</p>")
        for w in t.get("warnings", []):
            parts.append(f"<p class='note'>{html.escape(w['category'])}: {html.escape(w['message'])}</p>")
        if spec.report is not None:
            parts.append(spec.report(res, ctx))
            continue
        cards = _maps_of(step.step_id, res, scheme)
        if cards:
            parts.append("<div class='grid'>" + "".join(cards[:12]) + "</div>")
        parts += _tables_of(step.step_id, res)
    if extra and extra.get("outro"):
        parts.append(extra["outro"])
    parts.append("<h2>Provenance</h2><p class='meta'>Inputs with SHA-256, parameters, versions and per-step timings "
                 "are in <code>manifest.json</code>.</p></body></html>")
    path = Path(folder) / "report.html"
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return path
