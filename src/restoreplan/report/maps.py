"""Map figures of ``report.html``: a thumbnail from a decimated read, and its legend, scale bar and north arrow in HTML.

A thumbnail never reads the whole raster: :func:`decimated` takes every k-th row and column
(k = ceil(max(ny, nx) / max_px)) before anything is computed, so a dask-backed 10⁸-cell layer
reads only the sampled cells' chunks. The picture is an indexed PNG (nodata transparent); its
legend, colour bar, scale bar and north arrow are HTML, so their text stays legible at any zoom.

Legends: a class raster (integer or boolean) is drawn with the legend it carries
(:func:`restoreplan.core.legend.legend_of`: ``class_labels``, or the land-use ``class_scheme``);
an integer raster without one gets a "codes" legend and a caveat. Continuous rasters get a colour
bar over their true minimum–maximum (shared by the panels of one output); a layer with values on
both sides of 0 gets a diverging colour map centred on 0. Each ``<figure>`` carries machine-readable
``data-output``, ``data-legend-source`` and ``data-legend`` (JSON code → label) attributes.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from ..core.legend import Legend, legend_of

__all__ = ["MAX_PX", "MapPanel", "decimated", "map_figures", "png_b64"]

MAX_PX = 400            # longest side of a thumbnail, in raster cells after decimation
_LEVELS = 48            # colour steps of a continuous map
_SHARED_DIMS = ("time", "year", "scenario", "epoch")   # panels along these share one colour range
_MAX_CODES = 40         # an integer raster without a legend and more codes is drawn as continuous


def decimated(da: xr.DataArray, max_px: int = MAX_PX) -> tuple[np.ndarray, int]:
    """(values of every k-th row and column, k): the only read of a raster the report makes."""
    step = max(1, int(math.ceil(max(da.sizes["y"], da.sizes["x"]) / max_px)))
    sub = da.isel(y=slice(None, None, step), x=slice(None, None, step)) if step > 1 else da
    return np.asarray(sub.values), step


def png_b64(index: np.ndarray, palette: list[tuple[int, int, int]], transparent: int | None) -> str:
    """An indexed (palette) PNG of a 2-D array of palette indices, base64-encoded."""
    from PIL import Image

    img = Image.fromarray(index.astype(np.uint8), mode="P")
    flat = [c for rgb in palette for c in rgb]
    img.putpalette(flat + [0] * (768 - len(flat)))
    buf = io.BytesIO()
    kw = {"transparency": transparent} if transparent is not None else {}
    img.save(buf, format="PNG", optimize=True, **kw)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _rgb(hexcolor: str) -> tuple[int, int, int]:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(hexcolor)
    return int(round(r * 255)), int(round(g * 255)), int(round(b * 255))


def _hex(rgb) -> str:
    return "#%02x%02x%02x" % tuple(int(v) for v in rgb[:3])


@dataclass
class MapPanel:
    """One rendered map: HTML plus what the checks need (sampled values, legend, caveats)."""

    html: str
    label: str
    values: np.ndarray
    valid: np.ndarray
    legend: Legend | None
    step: int
    caveats: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- geometry: scale bar, north arrow
def _nice_length(max_m: float) -> float:
    if not (max_m > 0 and math.isfinite(max_m)):
        return 0.0
    p = 10 ** math.floor(math.log10(max_m))
    for m in (5, 2, 1):
        if m * p <= max_m:
            return m * p
    return p


def _geometry(da: xr.DataArray, step: int) -> dict:
    """Width of the map in metres, whether it is north-up, whether rows must be flipped."""
    out = {"width_m": None, "approx": False, "north_up": False, "flip": False, "note": ""}
    try:
        t = da.rio.transform()
        crs = da.rio.crs
    except Exception:   # no georeferencing at all: no scale bar, no north arrow
        out["note"] = "no georeferencing"
        return out
    if t.b != 0 or t.d != 0:
        out["note"] = "rotated grid: no north arrow"
        return out
    out["north_up"] = True
    out["flip"] = t.e > 0
    nx = da.sizes["x"]
    if crs is None:
        out["note"] = "no CRS: no scale bar"
        return out
    if crs.is_geographic:
        lat = t.f + t.e * da.sizes["y"] / 2
        out["width_m"] = nx * abs(t.a) * 111_320.0 * math.cos(math.radians(lat))
        out["approx"] = True
    else:
        factor = crs.linear_units_factor[1] if crs.linear_units_factor else 1.0
        out["width_m"] = nx * abs(t.a) * float(factor)
    return out


def _decorations(geo: dict) -> str:
    parts = []
    if geo["north_up"]:
        parts.append("<div class='north' title='grid north'>▲<br>N</div>")
    if geo["width_m"]:
        length = _nice_length(0.3 * geo["width_m"])
        if length > 0:
            pct = 100.0 * length / geo["width_m"]
            label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
            label = ("≈ " if geo["approx"] else "") + label
            parts.append(f"<div class='scalebar' style='width:{pct:.2f}%'><span>{label}</span></div>")
    return "".join(parts)


# ---------------------------------------------------------------- legends
def _class_legend_html(legend: Legend, present: set[int]) -> str:
    items = []
    for c, lab, col in zip(legend.codes, legend.labels, legend.colors):
        cls = "" if c in present else " class='absent' title='no cell in this map'"
        items.append(f"<li{cls}><span class='sw' style='background:{html.escape(col)}'></span>"
                     f"<b>{c}</b> {html.escape(lab)}</li>")
    return "<ul class='legend'>" + "".join(items) + "</ul>"


def _fmt(v: float) -> str:
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.3g}"
    if a >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _colorbar_html(cmap_name: str, lo: float, hi: float, vmin: float, vmax: float, units: str,
                   diverging: bool) -> str:
    from matplotlib import colormaps

    cmap = colormaps[cmap_name]
    stops = ", ".join(f"{_hex([255 * c for c in cmap(i / 10)])} {i * 10}%" for i in range(11))
    ticks = [f"<span style='left:0%'>{_fmt(lo)}</span>", f"<span style='left:100%'>{_fmt(hi)}</span>"]
    if diverging:
        ticks.insert(1, "<span style='left:50%'>0</span>")
    u = f" {html.escape(units)}" if units and units != "1" else (" (dimensionless)" if units == "1" else "")
    return (f"<div class='cbar' data-min='{vmin!r}' data-max='{vmax!r}'><div class='ramp' "
            f"style='background:linear-gradient(to right, {stops})'></div><div class='ticks'>{''.join(ticks)}</div>"
            f"<div class='range'>true range {_fmt(vmin)} – {_fmt(vmax)}{u}</div></div>")


# ---------------------------------------------------------------- figures
def _class_codes_legend(codes: list[int]) -> Legend:
    from ..core.legend import _QUALITATIVE

    return Legend("codes", tuple(codes), tuple(f"code {c}" for c in codes),
                  tuple(_QUALITATIVE[i % len(_QUALITATIVE)] for i in range(len(codes))))


def _figure(fig_id: str, output: str, title: str, img_b64: str, shape, geo: dict, legend_html: str,
            data: dict, note: str = "") -> str:
    attrs = " ".join(f"data-{k}='{html.escape(v, quote=True)}'" for k, v in data.items())
    ny, nx = shape
    note_html = f"<div class='meta'>{html.escape(note)}</div>" if note else ""
    return (f"<figure class='map' id='{fig_id}' data-output='{html.escape(output, quote=True)}' {attrs}>"
            f"<a class='close' href='#_' title='close'>×</a>"
            f"<a class='zoom' href='#{fig_id}' title='click to enlarge'><div class='frame'>"
            f"<img alt='{html.escape(title, quote=True)}' width='{nx}' height='{ny}' "
            f"src='data:image/png;base64,{img_b64}'>{_decorations(geo)}</div></a>"
            f"<figcaption>{html.escape(title)}</figcaption>{legend_html}{note_html}</figure>")


def _slices(da: xr.DataArray, max_panels: int = 6) -> tuple[list[tuple[str, xr.DataArray]], str]:
    extra = [d for d in da.dims if d not in ("y", "x")]
    if not extra:
        return [("", da)], ""
    for d in extra[:-1]:      # outer dims: their last value (said in the note)
        da = da.isel({d: -1})
    d = extra[-1]
    note = (f"last value of {', '.join(extra[:-1])} shown" if len(extra) > 1 else "")
    vals = list(da[d].values) if d in da.coords else list(range(da.sizes[d]))
    idx = list(range(len(vals)))
    if len(idx) > max_panels:
        idx = idx[:max_panels - 1] + [len(vals) - 1]
        note = (note + "; " if note else "") + f"{len(idx)} of {len(vals)} {d} values shown"
    return [(f"{d}={vals[i]}", da.isel({d: i})) for i in idx], note


def map_figures(output: str, da: xr.DataArray, *, new_id, scheme_table=None, title: str | None = None) -> list[MapPanel]:
    """Render every panel of one raster output (one per value of its last extra dim, up to 6).

    ``new_id()`` returns a fresh HTML id. Panels of one output share their legend or colour range.
    """
    panels, note = _slices(da)
    nod = da.rio.nodata if "x" in da.dims else None
    is_bool = da.dtype == bool
    is_int = np.issubdtype(da.dtype, np.integer) or is_bool
    samples = []
    for label, sl in panels:
        arr, step = decimated(sl)
        valid = np.ones(arr.shape, bool) if is_int else np.isfinite(arr)
        if is_int and nod is not None and not is_bool:
            valid &= arr != nod
        samples.append((label, sl, arr, step, valid))
    legend = legend_of(da, scheme_table=scheme_table) if is_int else None
    if is_int and legend is None and is_bool:
        legend = Legend("boolean", (0, 1), ("false", "true"), ("#dddddd", "#d95f02"))
    codes_all = sorted({int(c) for _, _, a, _, v in samples for c in np.unique(a[v])}) if is_int else []
    if is_int and legend is None and len(codes_all) <= _MAX_CODES:
        legend = _class_codes_legend(codes_all)
    out = []
    if legend is not None:
        lut = {c: i for i, c in enumerate(legend.codes)}
        palette = [_rgb(c) for c in legend.colors]
        unknown = sorted(set(codes_all) - set(lut))
        if unknown:   # codes the legend does not name: black, and a caveat
            palette.append((0, 0, 0))
        for label, sl, arr, step, valid in samples:
            idx = np.full(arr.shape, 255, np.uint8)
            a = arr.astype(np.int64)
            for c, i in lut.items():
                idx[valid & (a == c)] = i
            if unknown:
                idx[valid & np.isin(a, unknown)] = len(palette) - 1
            geo = _geometry(sl, step)
            if geo["flip"]:
                idx = idx[::-1]
            present = {int(c) for c in np.unique(a[valid])}
            caveats = []
            if legend.source == "codes":
                caveats.append(f"{output}: no legend is recorded for this integer raster; its codes are shown.")
            if unknown:
                caveats.append(f"{output}: codes {unknown} are not in its legend ({legend.source}); drawn black.")
            pal = palette + [(255, 255, 255)] * (256 - len(palette))
            b64 = png_b64(idx, pal, 255)
            t = (title or output) + (f" ({label})" if label else "")
            data = {"legend-source": legend.source, "legend": json.dumps({str(k): v for k, v in legend.as_dict().items()},
                                                                         ensure_ascii=False),
                    "dtype": str(da.dtype), "slice": label, "step": str(step)}
            fig = _figure(new_id(), output, t, b64, idx.shape, geo, _class_legend_html(legend, present), data,
                          note=_sample_note(step, note, geo))
            out.append(MapPanel(fig, label, a, valid, legend, step, caveats))
        return out
    # continuous (or an integer raster with many codes and no legend)
    from matplotlib import colormaps

    units = str(da.attrs.get("units", "") or "")
    extra = [d for d in da.dims if d not in ("y", "x")]
    shared = bool(extra) and extra[-1] in _SHARED_DIMS
    if shared:     # years / scenarios of one quantity: one colour range over the whole output
        whole = _true_range(da, nod if is_int else None)
    for label, sl, arr, step, valid in samples:
        vmin, vmax = whole if shared else _true_range(sl, nod if is_int else None)
        diverging = math.isfinite(vmin) and math.isfinite(vmax) and vmin < 0 < vmax
        if diverging:
            m = max(-vmin, vmax)
            lo, hi, cmap_name = -m, m, "RdBu"
        else:
            lo, hi, cmap_name = vmin, vmax, "viridis"
        cmap = colormaps[cmap_name]
        palette = [tuple(int(round(255 * c)) for c in cmap((i + 0.5) / _LEVELS)[:3]) for i in range(_LEVELS)]
        pal = palette + [(255, 255, 255)] * (256 - len(palette))
        a = arr.astype(np.float64)
        idx = np.full(a.shape, 255, np.uint8)
        if valid.any():
            span = hi - lo
            k = np.zeros(a.shape) if span <= 0 else np.floor((a - lo) / span * _LEVELS)
            idx[valid] = np.clip(k[valid], 0, _LEVELS - 1).astype(np.uint8)
        geo = _geometry(sl, step)
        if geo["flip"]:
            idx = idx[::-1]
        caveats = []
        if not valid.any():
            caveats.append(f"{output}{' ' + label if label else ''}: no valid cell.")
        elif vmin == vmax:
            caveats.append(f"{output}: uniform value {_fmt(vmin)} {units} (no spatial variation).")
        if is_int:
            caveats.append(f"{output}: an integer raster without a legend and {len(codes_all)} codes; "
                           "drawn as continuous values.")
        t = (title or output) + (f" ({label})" if label else "")
        data = {"legend-source": "colorbar", "dtype": str(da.dtype), "slice": label, "step": str(step),
                "cmap": cmap_name}
        fig = _figure(new_id(), output, t, png_b64(idx, pal, 255), idx.shape, geo,
                      _colorbar_html(cmap_name, lo, hi, vmin, vmax, units, diverging), data,
                      note=_sample_note(step, note, geo))
        out.append(MapPanel(fig, label, a, valid, None, step, caveats))
    return out


def _true_range(da: xr.DataArray, nodata) -> tuple[float, float]:
    """Minimum and maximum of finite, valid values over the whole output (streaming on dask; no big copy)."""
    data = da.data
    if nodata is not None or not np.issubdtype(da.dtype, np.floating):
        x = da.where(da != nodata) if nodata is not None else da.astype(np.float64)
        data = x.data
    if hasattr(data, "compute"):
        import dask
        import dask.array as dsa

        lo, hi = dask.compute(dsa.nanmin(data), dsa.nanmax(data))
    else:
        import warnings

        with warnings.catch_warnings():   # an all-NaN layer is reported as a caveat, not a RuntimeWarning
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = (np.nanmin(data), np.nanmax(data)) if data.size else (np.nan, np.nan)
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):   # ±inf present (or no valid value): finite values only
        x = da.where(np.isfinite(da))
        lo, hi = float(x.min(skipna=True)), float(x.max(skipna=True))
    return (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else (float("nan"), float("nan"))


def _sample_note(step: int, note: str, geo: dict) -> str:
    bits = [note] if note else []
    if step > 1:
        bits.append(f"thumbnail: 1 in {step} rows and columns")
    if geo.get("note"):
        bits.append(geo["note"])
    return "; ".join(bits)
