r"""Mining subsidence by the probability integral method (PIM) and severity zones.

Each extracted panel lowers the surface by the Gaussian influence function

.. math::

    k(\rho) = \frac{1}{r^2}\exp\!\left(-\pi\frac{\rho^2}{r^2}\right),\qquad
    \iint k\,dA = 1,\qquad \sigma = \frac{r}{\sqrt{2\pi}}

integrated over the (inflection-offset) panel and scaled by :math:`W_0 = m\,q\cos\alpha`, with the
major influence radius :math:`r = H/\tan\beta` (**not** :math:`H\tan\beta`).

* Rectangular panels — the closed erf form :math:`W = W_0 C_x C_y` (:func:`rectangle_subsidence`);
* any polygon — :math:`W = W_0\cdot\mathrm{gaussian\_filter}(mask, \sigma = r/(\sqrt{2\pi}\Delta))` on a
  grid oversampled until :math:`\Delta \le r/10` (then block-averaged back to the template cells).

Panels are summed. :func:`subsidence` returns the depth W (m) and optionally the tilt, horizontal
displacement and curvature; :func:`subsidence_zones` classifies W into mild/moderate/severe and
:func:`ponding_mask` flags cells where W exceeds the groundwater depth.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy.ndimage import gaussian_filter
from scipy.special import erf

from ..core.errors import AssumptionWarning, ConfigError, DataError, InputError, message
from ..core.finalize import finalize, like_raster
from ..core.grid import require_projected
from ..core.compute import materialize
from ..core.legend import binary_labels, set_class_labels

__all__ = [
    "ZONE_LABELS",
    "influence_radius",
    "max_subsidence",
    "ponding_mask",
    "propagation_angle",
    "rectangle_subsidence",
    "subsidence",
    "subsidence_kernel",
    "subsidence_zones",
    "zone_table",
]

#: zone codes of :func:`subsidence_zones` (255 = nodata)
ZONE_LABELS: dict[int, str] = {0: "none", 1: "mild", 2: "moderate", 3: "severe"}
ZONE_NODATA = 255
_SQRT_PI = math.sqrt(math.pi)


# --------------------------------------------------------------------------------------------
# scalar relations
# --------------------------------------------------------------------------------------------

def influence_radius(depth_m: float, tan_beta: float) -> float:
    r"""Major influence radius :math:`r = H/\tan\beta` (m).

    >>> round(influence_radius(350.0, 2.2), 1)
    159.1
    """
    if not (np.isfinite(depth_m) and depth_m > 0):
        raise ConfigError(message("depth_m", "a mining depth H > 0 (m)", repr(depth_m), "give the seam depth"))
    if not (np.isfinite(tan_beta) and tan_beta > 0):
        raise ConfigError(message("tan_beta", "tanβ > 0 (typically 1.2–3.0)", repr(tan_beta),
                                  "give the tangent of the major influence angle"))
    return float(depth_m) / float(tan_beta)


def max_subsidence(thickness_m: float, q: float, dip_deg: float = 0.0) -> float:
    r"""Maximum subsidence of a supercritical panel, :math:`W_0 = m\,q\cos\alpha` (m)."""
    if not (np.isfinite(thickness_m) and thickness_m > 0):
        raise ConfigError(message("thickness_m", "an extracted thickness m > 0 (m)", repr(thickness_m),
                                  "give the mined seam thickness"))
    if not (np.isfinite(q) and 0 < q <= 1.2):
        raise ConfigError(message("q", "a subsidence factor in (0, 1.2] (typically 0.5–0.9)", repr(q),
                                  "give the subsidence factor"))
    if not (np.isfinite(dip_deg) and 0 <= dip_deg < 90):
        raise ConfigError(message("dip_deg", "a seam dip α in [0, 90) degrees", repr(dip_deg), "give the dip"))
    return float(thickness_m) * float(q) * math.cos(math.radians(dip_deg))


def propagation_angle(dip_deg: float, k: float = 0.65) -> float:
    r"""Propagation angle :math:`\theta_0 = 90° - k\,\alpha` (degrees); k = 0.5–0.8 (**assumption — parameter**)."""
    return 90.0 - float(k) * float(dip_deg)


def subsidence_kernel(r: float, cell_size: float, *, truncate: float = 4.0) -> np.ndarray:
    r"""The influence function sampled on a square grid, times the cell area (sums to ≈ 1).

    Values :math:`k(\rho)\,\Delta^2 = \Delta^2 r^{-2}\exp(-\pi\rho^2/r^2)` at cell centres within
    ``truncate``·σ (σ = r/√(2π)); the sum tends to 1 as Δ/r → 0 (the kernel integrates to 1).
    """
    if not (r > 0 and cell_size > 0):
        raise ConfigError(message("r/cell_size", "positive numbers (m)", f"{r}, {cell_size}", "check the inputs"))
    sigma = r / math.sqrt(2.0 * math.pi)
    n = math.ceil(truncate * sigma / cell_size)
    c = np.arange(-n, n + 1) * float(cell_size)
    rho2 = c[:, None] ** 2 + c[None, :] ** 2
    return cell_size**2 / r**2 * np.exp(-math.pi * rho2 / r**2)


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

def _rect_kernel(x: np.ndarray, y: np.ndarray, *, w0: float, r: float, r1: float, r2: float,
                 length: float, width: float) -> np.ndarray:
    r"""Erf form of a rectangle: :math:`W_0 C_x C_y` at local coordinates (x along strike from the
    inflection start, y up-dip from the down-dip inflection edge); l = ``length``, L = ``width``."""
    cx = 0.5 * (erf(_SQRT_PI * x / r) - erf(_SQRT_PI * (x - length) / r))
    cy = 0.5 * (erf(_SQRT_PI * y / r1) - erf(_SQRT_PI * (y - width) / r2))
    return w0 * cx * cy


def _filter_kernel(mask: np.ndarray, *, w0: float, r: float, cell: float, truncate: float = 4.0) -> np.ndarray:
    """W0·gaussian_filter(mask, σ = r/(√(2π)Δ)) on a grid of cell size ``cell`` (zero outside)."""
    sigma = r / (math.sqrt(2.0 * math.pi) * cell)
    return w0 * gaussian_filter(mask.astype(np.float64), sigma=sigma, mode="constant", cval=0.0, truncate=truncate)


def rectangle_subsidence(x, y, *, thickness_m: float, depth_m: float, q: float, tan_beta: float,
                         strike_length_m: float, dip_width_m: float, dip_deg: float = 0.0,
                         theta0_deg: float | None = None, depth_down_m: float | None = None,
                         depth_up_m: float | None = None, offsets_m: Sequence[float] = (0.0, 0.0, 0.0, 0.0)):
    r"""Subsidence W (m) of one rectangular panel at panel-local surface coordinates (erf form).

    Parameters
    ----------
    x, y : array_like
        Surface coordinates (m): x along strike from the panel's strike edge, y up-dip from the
        vertical projection of the down-dip edge.
    thickness_m, depth_m, q, tan_beta, dip_deg : float
        m (m), mean depth H (m), subsidence factor q, tanβ, dip α (degrees).
    strike_length_m, dip_width_m : float
        D3 (strike length, m) and D1 (inclined width along the dip, m).
    theta0_deg : float, optional
        Propagation angle θ0 (degrees); default :func:`propagation_angle`.
    depth_down_m, depth_up_m : float, optional
        H1 (down-dip edge) and H2 (up-dip edge); default H ± D1·sinα/2.
    offsets_m : (s1, s2, s3, s4)
        Inflection offsets (m): down-dip, up-dip, strike start, strike end.

    Notes
    -----
    .. math::

        W = W_0 C_x C_y,\quad C_x = \tfrac12[\mathrm{erf}(\sqrt\pi x'/r) - \mathrm{erf}(\sqrt\pi(x'-l)/r)],\quad
        C_y = \tfrac12[\mathrm{erf}(\sqrt\pi y'/r_1) - \mathrm{erf}(\sqrt\pi(y'-L)/r_2)]

    with :math:`x' = x - s_3`, :math:`l = D_3 - s_3 - s_4`, :math:`y' = y - H_1\cot\theta_0 - s_1`
    (the down-dip edge projected to the surface along θ0 — on the down-dip side, i.e. negative
    y), :math:`L = (D_1 - s_1 - s_2)\sin(\theta_0+\alpha)/\sin\theta_0`, :math:`r_i = H_i/\tan\beta`.
    Range [0, W0].
    """
    s1, s2, s3, s4 = (float(v) for v in offsets_m)
    w0 = max_subsidence(thickness_m, q, dip_deg)
    r = influence_radius(depth_m, tan_beta)
    a = math.radians(dip_deg)
    th = math.radians(propagation_angle(dip_deg) if theta0_deg is None else theta0_deg)
    if not 0 < th <= math.pi / 2:
        raise ConfigError(message("theta0_deg", "a propagation angle in (0, 90] degrees", repr(theta0_deg),
                                  "use θ0 = 90 − k·α with k 0.5–0.8"))
    h1 = depth_m + dip_width_m * math.sin(a) / 2 if depth_down_m is None else float(depth_down_m)
    h2 = depth_m - dip_width_m * math.sin(a) / 2 if depth_up_m is None else float(depth_up_m)
    r1, r2 = influence_radius(h1, tan_beta), influence_radius(h2, tan_beta)
    length = strike_length_m - s3 - s4
    width = (dip_width_m - s1 - s2) * math.sin(th + a) / math.sin(th)
    if length <= 0 or width <= 0:
        raise ConfigError(message("offsets_m", "inflection offsets smaller than the panel",
                                  f"l = {length:.1f} m, L = {width:.1f} m", "reduce s1–s4"))
    # the plan edge of the down-dip side is y = 0; its influence ray along θ0 reaches the surface
    # H1·cot θ0 further down-dip (then the up-dip inflection edge lies at y0 + L)
    y0 = -h1 / math.tan(th) + s1 if th < math.pi / 2 else s1
    return _rect_kernel(np.asarray(x, np.float64) - s3, np.asarray(y, np.float64) - y0, w0=w0, r=r, r1=r1, r2=r2,
                        length=length, width=width)


# --------------------------------------------------------------------------------------------
# panels → raster
# --------------------------------------------------------------------------------------------

_DEFAULT_COLUMNS = {
    "thickness": "thickness_m", "depth": "depth_m", "dip": "dip_deg", "q": "q", "tan_beta": "tan_beta",
    "b": "b", "theta0": "theta0_deg", "dip_azimuth": "dip_azimuth_deg", "depth_down": "depth_down_m",
    "depth_up": "depth_up_m", "s1": "s1_m", "s2": "s2_m", "s3": "s3_m", "s4": "s4_m",
}
_REQUIRED = ("thickness", "depth", "q", "tan_beta")


def _panel_records(panels, columns: dict, defaults: dict) -> list[dict]:
    import geopandas as gpd

    if not isinstance(panels, gpd.GeoDataFrame):
        raise InputError(message("panels", "a GeoDataFrame of mined panels (polygons)", type(panels).__name__,
                                 "read it with rp.io.read_vector(path)"))
    unknown = sorted(set(columns) - set(_DEFAULT_COLUMNS))
    if unknown:
        raise ConfigError(message("columns", f"keys among {sorted(_DEFAULT_COLUMNS)}", f"unknown {unknown}",
                                  "map e.g. columns={'thickness': 'seam_m'}"))
    cols = {**_DEFAULT_COLUMNS, **columns}
    missing = [cols[k] for k in _REQUIRED if cols[k] not in panels.columns]
    if missing:
        raise ConfigError(message("panels", f"columns {[cols[k] for k in _REQUIRED]} (+ optional "
                                  f"{[cols[k] for k in cols if k not in _REQUIRED]})",
                                  f"missing {missing} (has {list(panels.columns)})",
                                  "add the columns or map them with columns={'thickness': 'my_col', ...}"))
    recs = []
    for i, row in panels.reset_index(drop=True).iterrows():
        g = row.geometry
        if g is None or g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
            raise DataError(message(f"panels[{i}]", "a polygon geometry", repr(getattr(g, "geom_type", g)),
                                    "drop or fix the row"))
        rec = {"geometry": g}
        for key, c in cols.items():
            v = row[c] if c in panels.columns else None
            if v is None or (isinstance(v, float) and np.isnan(v)):
                v = defaults.get(key)
            rec[key] = None if v is None else float(v)
        if rec["dip"] is None:
            rec["dip"] = 0.0
        recs.append(rec)
    return recs


def _frame(geom, rec) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, float, bool]:
    """Local frame of a (near-)rectangular panel: origin, unit strike and up-dip vectors, D3, plan
    width, rectangularity ratio, and whether the dip direction came from the data."""
    rect = geom.minimum_rotated_rectangle
    xy = np.asarray(rect.exterior.coords)[:4]
    e1, e2 = xy[1] - xy[0], xy[3] - xy[0]
    l1, l2 = np.hypot(*e1), np.hypot(*e2)
    if l1 >= l2:
        strike, across, d3, wplan = e1 / l1, e2 / l2, l1, l2
    else:
        strike, across, d3, wplan = e2 / l2, e1 / l1, l2, l1
    ratio = geom.area / rect.area if rect.area > 0 else 0.0
    known = rec.get("dip_azimuth") is not None
    if known:
        az = math.radians(rec["dip_azimuth"])
        down = np.array([math.sin(az), math.cos(az)])  # azimuth clockwise from north
        down = down - strike * (down @ strike)
        nrm = np.hypot(*down)
        if nrm < 1e-9:
            raise ConfigError(message("dip_azimuth_deg", "a dip direction across the panel's long axis",
                                      f"{rec['dip_azimuth']}° (parallel to the strike)", "check the azimuth"))
        updip = -down / nrm
    else:
        updip = across if across[1] >= 0 else -across  # assumption: dipping to the south (up-dip = north)
    # origin: strike start (min along strike), down-dip edge (min along up-dip)
    pts = xy
    ps, pd_ = pts @ strike, pts @ updip
    origin = strike * ps.min() + updip * pd_.min()
    return origin, strike, updip, d3, wplan, ratio, known


def _template_xy(like: xr.DataArray) -> tuple[np.ndarray, np.ndarray, float]:
    t = like.rio.transform()
    if abs(abs(t.a) - abs(t.e)) > 1e-9 * abs(t.a) or t.b != 0 or t.d != 0:
        raise ConfigError(message("like", "a north-up grid with square cells", f"transform {tuple(t)[:6]}",
                                  "use rp.io.align(like, ...) to a square north-up grid"))
    ny, nx = like.sizes["y"], like.sizes["x"]
    xs = t.c + t.a * (np.arange(nx) + 0.5)
    ys = t.f + t.e * (np.arange(ny) + 0.5)
    return xs, ys, abs(t.a)


def _window(bounds, halo: float, xs: np.ndarray, ys: np.ndarray, cell: float) -> tuple[slice, slice]:
    """Rows and columns of the grid within ``halo`` metres of ``bounds`` (clipped to the grid)."""
    minx, miny, maxx, maxy = bounds
    x0g, y0g = xs[0] - cell / 2, ys[0] + cell / 2
    c0 = max(math.floor((minx - halo - x0g) / cell), 0)
    c1 = min(math.ceil((maxx + halo - x0g) / cell), len(xs))
    r0 = max(math.floor((y0g - (maxy + halo)) / cell), 0)
    r1 = min(math.ceil((y0g - (miny - halo)) / cell), len(ys))
    return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def _panel_erf(rec, xs, ys, cell: float, truncate: float) -> tuple[np.ndarray, float, bool]:
    """Erf form evaluated on the cells within (truncate + 2)·σ (+ the θ0 shift) of the panel; the
    omitted tail is below erfc((truncate + 2)/√2)/2 of W0 (≈ 1e-9 for truncate = 4)."""
    origin, strike, updip, d3, wplan, _, known = _frame(rec["geometry"], rec)
    a = math.radians(rec["dip"])
    d1 = wplan / math.cos(a)
    th = math.radians(rec["theta0"]) if rec["theta0"] is not None else math.radians(propagation_angle(rec["dip"]))
    hmax = max(rec["depth"] + d1 * math.sin(a) / 2, rec["depth_down"] or 0.0, rec["depth_up"] or 0.0)
    halo = (truncate + 2.0) * hmax / rec["tan_beta"] / math.sqrt(2 * math.pi) + hmax / math.tan(th) + cell
    rows, cols = _window(rec["geometry"].bounds, halo, xs, ys, cell)
    out = np.zeros((len(ys), len(xs)))
    X, Y = np.meshgrid(xs[cols], ys[rows])
    px, py = X - origin[0], Y - origin[1]
    u = px * strike[0] + py * strike[1]
    v = px * updip[0] + py * updip[1]
    out[rows, cols] = rectangle_subsidence(
        u, v, thickness_m=rec["thickness"], depth_m=rec["depth"], q=rec["q"], tan_beta=rec["tan_beta"],
        strike_length_m=d3, dip_width_m=d1, dip_deg=rec["dip"], theta0_deg=rec["theta0"],
        depth_down_m=rec["depth_down"], depth_up_m=rec["depth_up"],
        offsets_m=(rec["s1"] or 0.0, rec["s2"] or 0.0, rec["s3"] or 0.0, rec["s4"] or 0.0))
    return out, influence_radius(rec["depth"], rec["tan_beta"]), known


def _panel_filter(rec, xs, ys, cell: float, *, max_oversample: int, truncate: float):
    """Polygon form on a window around the panel, oversampled to Δ ≤ r/10, block-averaged back."""
    from affine import Affine
    from rasterio import features
    from shapely import affinity

    r = influence_radius(rec["depth"], rec["tan_beta"])
    w0 = max_subsidence(rec["thickness"], rec["q"], rec["dip"])
    g = rec["geometry"]
    s = np.mean([rec[k] or 0.0 for k in ("s1", "s2", "s3", "s4")])
    if s > 0:
        g = g.buffer(-s)
        if g.is_empty:
            raise ConfigError(message("s1_m…s4_m", "inflection offsets smaller than half the panel width",
                                      f"mean offset {s:.1f} m removes the whole panel", "reduce the offsets"))
    known = rec.get("dip_azimuth") is not None
    th = math.radians(propagation_angle(rec["dip"]) if rec["theta0"] is None else rec["theta0"])
    if rec["dip"] > 0 and th < math.pi / 2:
        _, _, updip, *_ = _frame(rec["geometry"], rec)
        shift = -updip * rec["depth"] / math.tan(th)  # down-dip by H·cot θ0
        g = affinity.translate(g, xoff=float(shift[0]), yoff=float(shift[1]))
    f = max(1, math.ceil(cell / (r / 10.0)))
    if f > max_oversample:
        raise ConfigError(message("max_oversample", f"at least {f} (cell {cell} m > r/10 = {r / 10:.1f} m)",
                                  str(max_oversample), "raise max_oversample or use the erf form for rectangles"))
    fine = cell / f
    halo = truncate * r / math.sqrt(2 * math.pi) + cell
    x0g, y0g = xs[0] - cell / 2, ys[0] + cell / 2  # grid corner (north-up)
    minx, miny, maxx, maxy = g.bounds
    c0 = math.floor((minx - halo - x0g) / cell)
    c1 = math.ceil((maxx + halo - x0g) / cell)
    r0 = math.floor((y0g - (maxy + halo)) / cell)
    r1 = math.ceil((y0g - (miny - halo)) / cell)
    pad = math.ceil(halo / cell)  # mask beyond the grid + halo cannot reach a grid cell
    c0, c1 = max(c0, -pad), min(c1, len(xs) + pad)
    r0, r1 = max(r0, -pad), min(r1, len(ys) + pad)
    if c1 <= c0 or r1 <= r0:
        return np.zeros((len(ys), len(xs))), r, known, f
    nyw, nxw = r1 - r0, c1 - c0
    tr = Affine(fine, 0, x0g + c0 * cell, 0, -fine, y0g - r0 * cell)
    mask = features.rasterize([(g, 1)], out_shape=(nyw * f, nxw * f), transform=tr, fill=0, dtype="uint8")
    wf = _filter_kernel(mask, w0=w0, r=r, cell=fine, truncate=truncate)
    w = wf.reshape(nyw, f, nxw, f).mean(axis=(1, 3))
    out = np.zeros((len(ys), len(xs)))
    rr0, rr1 = max(r0, 0), min(r1, len(ys))
    cc0, cc1 = max(c0, 0), min(c1, len(xs))
    if rr0 < rr1 and cc0 < cc1:
        out[rr0:rr1, cc0:cc1] = w[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0]
    return out, r, known, f


def subsidence(panels, *, like: xr.DataArray, method: Literal["auto", "erf", "filter"] = "auto",
               columns: dict[str, str] | None = None, b: float = 0.3, theta0_k: float = 0.65,
               outputs: Sequence[str] = ("subsidence",), max_oversample: int = 16, truncate: float = 4.0,
               rectangle_tolerance: float = 0.01, name: str = "subsidence") -> xr.Dataset:
    r"""Surface subsidence of mined panels by the probability integral method (PIM).

    Parameters
    ----------
    panels : geopandas.GeoDataFrame
        Plan outlines of the mined panels (polygons, reprojected to ``like``'s CRS; the inclined
        dip width is D1 = plan width / cos α) with columns ``thickness_m`` (m),
        ``depth_m`` (mean depth H, m), ``q`` (subsidence factor), ``tan_beta`` (tanβ), optional
        ``dip_deg`` (α, default 0), ``b`` (displacement coefficient), ``theta0_deg`` (θ0),
        ``dip_azimuth_deg`` (down-dip azimuth, clockwise from north), ``depth_down_m``/``depth_up_m``
        (H1, H2) and ``s1_m``–``s4_m`` (inflection offsets). ``columns`` renames them
        (keys: thickness, depth, dip, q, tan_beta, b, theta0, dip_azimuth, depth_down, depth_up, s1–s4).
    like : xarray.DataArray
        Template raster: the output grid (projected CRS, square north-up cells). Not computed.
    method : {"auto", "erf", "filter"}
        ``erf`` = closed rectangle form (each panel must be a rectangle within
        ``rectangle_tolerance`` of its minimum rotated rectangle); ``filter`` = polygon form;
        ``auto`` = erf for rectangles, filter otherwise.
    b : float
        Horizontal displacement coefficient for panels without a ``b`` column (0.2–0.4, **assumption**).
    theta0_k : float
        k of θ0 = 90° − k·α for panels without ``theta0_deg`` (0.5–0.8, **assumption — parameter**).
    outputs : sequence of {"subsidence", "tilt", "displacement", "curvature"}
        Layers to return.
    max_oversample : int
        Largest oversampling factor of the polygon form (cells are split until Δ ≤ r/10).
    truncate : float
        Gaussian truncation in σ (≥ 3).

    Returns
    -------
    xarray.Dataset
        On ``like``'s grid (float32): ``subsidence`` W (m, ≥ 0); ``tilt`` |∇W| (mm/m);
        ``displacement`` |Σ_p b_p r_p ∇W_p| (m); ``curvature`` ∇²W (mm/m², i.e. 10⁻³ m⁻¹).
        attrs: ``influence_radius_m`` per panel, ``method`` per panel.

    Notes
    -----
    :math:`W_0 = m q\cos\alpha`; :math:`r = H/\tan\beta`; rectangle
    :math:`W = W_0 C_x C_y` (:func:`rectangle_subsidence`); polygon
    :math:`W = W_0\,G_\sigma * \mathbf{1}_{panel}`, :math:`\sigma = r/(\sqrt{2\pi}\Delta)`, on a grid
    with :math:`\Delta \le r/10` (oversampled ×f and block-averaged, so values are cell means);
    the polygon form shifts the outline down-dip by :math:`H\cot\theta_0` and shrinks it by the mean
    inflection offset (the dip widening :math:`D_1\sin\alpha\cot\theta_0` is neglected).
    Tilt :math:`i = \partial W/\partial s` (1-D :math:`i_{max} = W_0/r`), displacement :math:`U = b r i`
    (:math:`U_{max} = bW_0`), curvature :math:`K = \partial^2W/\partial s^2`
    (:math:`K_{max} = \pm1.52 W_0/r^2`) by central differences on the output grid. Without
    ``dip_azimuth_deg`` a dipping panel is assumed to dip across its long axis toward the south
    (``AssumptionWarning``). Range: W in [0, Σ W0].
    """
    require_projected(like, name="like")
    allowed = {"subsidence", "tilt", "displacement", "curvature"}
    bad = sorted(set(outputs) - allowed)
    if bad or not outputs:
        raise ConfigError(message("outputs", f"a non-empty subset of {sorted(allowed)}", repr(list(outputs)),
                                  "e.g. outputs=('subsidence', 'tilt')"))
    if method not in ("auto", "erf", "filter"):
        raise ConfigError(message("method", "'auto', 'erf' or 'filter'", repr(method), "pick one"))
    if truncate < 3:
        raise ConfigError(message("truncate", "≥ 3 (σ)", repr(truncate), "use 4"))
    if panels.crs is not None and like.rio.crs is not None and panels.crs != like.rio.crs:
        panels = panels.to_crs(like.rio.crs)
    xs, ys, cell = _template_xy(like)
    recs = _panel_records(panels, dict(columns or {}), {"b": b})
    W = np.zeros((len(ys), len(xs)))
    ux = np.zeros_like(W)
    uy = np.zeros_like(W)
    radii, methods, unknown_dip = [], [], []
    for i, rec in enumerate(recs):
        if rec["theta0"] is None:
            rec["theta0"] = propagation_angle(rec["dip"], theta0_k)
        _, _, _, _, _, ratio, _ = _frame(rec["geometry"], rec)
        is_rect = ratio >= 1.0 - rectangle_tolerance
        if method == "erf" and not is_rect:
            raise DataError(message(f"panels[{i}]", "a rectangular panel for method='erf'",
                                    f"area / minimum rotated rectangle = {ratio:.3f}", "use method='filter' or 'auto'"))
        use_erf = method == "erf" or (method == "auto" and is_rect)
        if use_erf:
            w, r, known = _panel_erf(rec, xs, ys, cell, truncate)
            methods.append("erf")
        else:
            w, r, known, f = _panel_filter(rec, xs, ys, cell, max_oversample=max_oversample, truncate=truncate)
            methods.append(f"filter(x{f})")
        if rec["dip"] > 0 and not known:
            unknown_dip.append(i)
        radii.append(round(r, 3))
        W += w
        if "displacement" in outputs:
            gy, gx = np.gradient(w, -cell, cell)  # y coordinates decrease with the row index
            bp = rec["b"] if rec["b"] is not None else b
            ux += bp * r * gx
            uy += bp * r * gy
    if unknown_dip:
        warnings.warn(f"subsidence: panels {unknown_dip} dip but have no `dip_azimuth_deg`; assumed to dip across "
                      "their long axis toward the south", AssumptionWarning, stacklevel=2)
    layers = {}
    if "subsidence" in outputs:
        layers["subsidence"] = (W, "m")
    if "tilt" in outputs or "curvature" in outputs:
        gy, gx = np.gradient(W, -cell, cell)
        if "tilt" in outputs:
            layers["tilt"] = (np.hypot(gx, gy) * 1e3, "mm/m")
        if "curvature" in outputs:
            lap = np.gradient(gx, cell, axis=1) + np.gradient(gy, -cell, axis=0)
            layers["curvature"] = (lap * 1e3, "mm/m2")
    if "displacement" in outputs:
        layers["displacement"] = (np.hypot(ux, uy), "m")
    ds = xr.Dataset({k: like_raster(v.astype(np.float32), like, name=k if k != "subsidence" else name, units=u,
                                    method="probability integral method (PIM)")
                     for k, (v, u) in layers.items()})
    ds.attrs.update({"influence_radius_m": radii, "panel_method": methods})
    return ds


# --------------------------------------------------------------------------------------------
# zones and ponding
# --------------------------------------------------------------------------------------------

def _zone_kernel(w: np.ndarray, t0: float, t1: float, t2: float) -> np.ndarray:
    z = np.zeros(w.shape, dtype=np.uint8)
    z[w >= t0] = 1
    z[w >= t1] = 2
    z[w >= t2] = 3
    z[~np.isfinite(w)] = ZONE_NODATA
    return z


def subsidence_zones(w: xr.DataArray, *, thresholds_m: Sequence[float] = (0.01, 1.5, 3.0),
                     name: str = "subsidence_zone") -> xr.DataArray:
    r"""Severity zones of a subsidence raster: 0 none, 1 mild, 2 moderate, 3 severe (255 nodata).

    Parameters
    ----------
    w : xarray.DataArray
        Subsidence depth W (m, ≥ 0; NaN = nodata). numpy or dask.
    thresholds_m : (edge, moderate, severe)
        Lower bounds (m) of mild, moderate and severe. Default 0.01 / 1.5 / 3.0 m: the basin edge
        at 10 mm and the 1.5 / 3.0 m breaks of common Chinese reclamation practice (e.g.
        TD/T 1031.3-2011) — **assumption — parameter; unverified, check the standard**.

    Notes
    -----
    mild :math:`t_0 \le W < t_1`; moderate :math:`t_1 \le W < t_2`; severe :math:`W \ge t_2`.
    """
    t = [float(v) for v in thresholds_m]
    if len(t) != 3 or not (0 <= t[0] < t[1] < t[2]):
        raise ConfigError(message("thresholds_m", "three increasing depths (m) t0 < t1 < t2",
                                  repr(list(thresholds_m)), "e.g. (0.01, 1.5, 3.0)"))
    out = xr.apply_ufunc(_zone_kernel, w, kwargs={"t0": t[0], "t1": t[1], "t2": t[2]},
                         dask="parallelized", output_dtypes=[np.uint8])
    out = finalize(out, like=w, name=name, units="class", thresholds_m=t)
    labels = {0: f"none (W < {t[0]:g} m)", 1: f"mild ({t[0]:g}–{t[1]:g} m)", 2: f"moderate ({t[1]:g}–{t[2]:g} m)",
              3: f"severe (≥ {t[2]:g} m)"}
    return set_class_labels(out.rio.write_nodata(ZONE_NODATA, encoded=False), labels,
                            colors={0: "#dddddd", 1: "#fee391", 2: "#fe9929", 3: "#993404"})


def ponding_mask(w: xr.DataArray, groundwater_depth_m, *, name: str = "ponding") -> xr.DataArray:
    """Cells where the subsidence W exceeds the groundwater depth (1 = ponds, 0 = dry; 255 nodata).

    ``groundwater_depth_m`` is a number or a raster on ``w``'s grid (m below the surface).
    """
    gw = groundwater_depth_m
    if isinstance(gw, xr.DataArray):
        from ..core.validate import check_aligned

        check_aligned(w=w, groundwater_depth_m=gw)
    elif not np.isfinite(float(gw)) or float(gw) < 0:
        raise ConfigError(message("groundwater_depth_m", "a depth ≥ 0 (m) or a raster", repr(gw),
                                  "give the depth to the water table"))
    pond = (w > gw).astype(np.uint8)
    pond = pond.where(np.isfinite(w) & (np.isfinite(gw) if isinstance(gw, xr.DataArray) else True), ZONE_NODATA)
    out = finalize(pond.astype(np.uint8), like=w, name=name, units="1")
    return binary_labels(out.rio.write_nodata(ZONE_NODATA, encoded=False), "dry", "ponding (W > groundwater depth)",
                         color="#2171b5")


def zone_table(zones: xr.DataArray) -> pd.DataFrame:
    """Cells and area (hm²) per zone (computes)."""
    from ..core.grid import cell_area_m2

    z = materialize(zones)
    ha = cell_area_m2(zones, name="zones") / 1e4
    rows = [{"zone": c, "label": lab, "cells": int((z == c).sum()), "area_hm2": float((z == c).sum() * ha)}
            for c, lab in ZONE_LABELS.items()]
    return pd.DataFrame(rows)
