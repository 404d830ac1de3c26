"""ES demand: POI kernel density and population / GDP / construction proxies.

* :func:`poi_density` — Silverman's quartic kernel (the ArcGIS form) at cell centres, exact (KD-tree)
  or by FFT convolution of gridded weights; classes by geometric intervals with
  :func:`poi_demand_classes`.
* :func:`construction_share`, :func:`composite_demand` — Peng et al. (2017) composite demand
  ESD = ConL · lg(PD) · lg(GDPD).
* :func:`standardized_demand` — min-max standardization of proxies with directions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import xarray as xr

from ..core.errors import ConfigError, DataError, InputError, message
from ..core.finalize import finalize
from ..core.validate import check_aligned, check_raster
from ..mcda.normalize import normalize
from .classify import geometric_classes

__all__ = [
    "composite_demand",
    "construction_share",
    "poi_demand_classes",
    "poi_density",
    "standardized_demand",
]

_TILE_PAIRS = 2_000_000  # max cell × point pairs evaluated at once (memory bound of the exact kernel)
_TILE = 32  # side (cells) of the square tiles of the exact kernel


# --------------------------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------------------------

def _quartic(d2: np.ndarray, r: float) -> np.ndarray:
    """Quartic kernel 3/(π r²)·(1 − d²/r²)² for d < r, else 0 (per m², unit volume)."""
    u = 1.0 - d2 / (r * r)
    return np.where(u > 0.0, (3.0 / (math.pi * r * r)) * u * u, 0.0)


def _kde_exact_kernel(yy: np.ndarray, xx: np.ndarray, pts: np.ndarray, w: np.ndarray, r: float,
                      scale: float, empty_value: float) -> np.ndarray:
    """Exact quartic density (per m² × ``scale``) at the cell centres (yy, xx) of one block.

    Points are kept in a KD-tree. The block is cut into square tiles of cells; each tile is
    compared only with the points within r + half the tile's diagonal of its centre, and a tile
    whose cell × point pairs exceed a memory bound is split in four. Cells with no point closer
    than r get ``empty_value``.
    """
    from scipy.spatial import cKDTree

    yy = np.asarray(yy, dtype=np.float64)
    xx = np.asarray(xx, dtype=np.float64)
    shape = np.broadcast_shapes(yy.shape, xx.shape)
    cy = np.atleast_2d(np.broadcast_to(yy, shape))
    cx = np.atleast_2d(np.broadcast_to(xx, shape))
    out = np.zeros(cy.shape)
    hit = np.zeros(cy.shape, dtype=bool)
    if pts.shape[0] == 0 or cy.size == 0:
        return np.full(shape, empty_value if pts.shape[0] == 0 else 0.0)
    tree = cKDTree(pts)
    ny, nx = cy.shape[-2:]
    t = _TILE
    todo = [(r0, min(r0 + t, ny), c0, min(c0 + t, nx)) for r0 in range(0, ny, t) for c0 in range(0, nx, t)]
    while todo:
        r0, r1, c0, c1 = todo.pop()
        ty, tx = cy[r0:r1, c0:c1], cx[r0:r1, c0:c1]
        ymin, ymax, xmin, xmax = ty.min(), ty.max(), tx.min(), tx.max()
        centre = ((xmin + xmax) / 2.0, (ymin + ymax) / 2.0)
        idx = tree.query_ball_point(centre, r + 0.5 * math.hypot(xmax - xmin, ymax - ymin))
        if not idx:
            continue
        n_cells = (r1 - r0) * (c1 - c0)
        if len(idx) * n_cells > _TILE_PAIRS and n_cells > 1:  # split in four (or two)
            rm, cm = (r0 + r1 + 1) // 2, (c0 + c1 + 1) // 2
            todo += [q for q in ((r0, rm, c0, cm), (r0, rm, cm, c1), (rm, r1, c0, cm), (rm, r1, cm, c1))
                     if q[0] < q[1] and q[2] < q[3]]
            continue
        idx = np.asarray(idx)
        px, py, pw = pts[idx, 0], pts[idx, 1], w[idx]
        d2 = (tx.ravel()[:, None] - px[None, :]) ** 2 + (ty.ravel()[:, None] - py[None, :]) ** 2
        out[r0:r1, c0:c1] = (_quartic(d2, r) @ pw).reshape(r1 - r0, c1 - c0)
        hit[r0:r1, c0:c1] = (d2 < r * r).any(axis=1).reshape(r1 - r0, c1 - c0)
    out *= scale
    out[~hit] = empty_value
    return out.reshape(shape)


def _kde_raster_kernel(shape: tuple[int, int], x0: float, y0: float, dx: float, dy: float,
                       pts: np.ndarray, w: np.ndarray, r: float, scale: float) -> np.ndarray:
    """Quartic density by FFT convolution of weights gridded to cells with the discretized kernel.

    ``x0, y0``: outer corner (left, top); ``dx, dy`` > 0 the cell size. Points are moved to the
    centre of their cell; points up to r outside the grid are included (padding).
    """
    from scipy.signal import fftconvolve

    ny, nx = shape
    ry, rx = math.ceil(r / dy), math.ceil(r / dx)
    grid = np.zeros((ny + 2 * ry, nx + 2 * rx))
    if pts.shape[0]:
        col = np.floor((pts[:, 0] - x0) / dx).astype(np.int64) + rx
        row = np.floor((y0 - pts[:, 1]) / dy).astype(np.int64) + ry
        ok = (row >= 0) & (row < grid.shape[0]) & (col >= 0) & (col < grid.shape[1])
        np.add.at(grid, (row[ok], col[ok]), w[ok])
    oy = np.arange(-ry, ry + 1) * dy
    ox = np.arange(-rx, rx + 1) * dx
    ker = _quartic(oy[:, None] ** 2 + ox[None, :] ** 2, r)
    dens = fftconvolve(grid, ker, mode="valid") if grid.any() else np.zeros(shape)
    tol = 1e-12 * float(ker.max()) * float(np.abs(grid).sum())  # FFT round-off, far below any real value
    dens = np.where(dens > tol, dens, 0.0)
    return dens * scale


def _nearest_within_kernel(yy, xx, pts: np.ndarray, r: float) -> np.ndarray:
    """True where at least one point is closer than r to the cell centre."""
    from scipy.spatial import cKDTree

    yy = np.asarray(yy, dtype=np.float64)
    xx = np.asarray(xx, dtype=np.float64)
    shape = np.broadcast_shapes(yy.shape, xx.shape)
    if pts.shape[0] == 0:
        return np.zeros(shape, dtype=bool)
    q = np.column_stack([np.broadcast_to(xx, shape).ravel(), np.broadcast_to(yy, shape).ravel()])
    d, _ = cKDTree(pts).query(q, k=1)
    return (d < r).reshape(shape)


def _box_sum(a: np.ndarray, h: int) -> np.ndarray:
    """Sum over the (2h+1)² window of each cell on the last two axes (zeros outside). Exact for integers."""
    a = np.asarray(a)
    pad = [(0, 0)] * (a.ndim - 2) + [(h + 1, h), (h + 1, h)]
    c = np.pad(a.astype(np.int64), pad).cumsum(axis=-2).cumsum(axis=-1)
    n = 2 * h + 1
    return c[..., n:, n:] - c[..., :-n, n:] - c[..., n:, :-n] + c[..., :-n, :-n]


def _share_kernel(ind: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Percentage 100 · ind / valid (NaN where no valid cell)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid > 0, 100.0 * ind / np.maximum(valid, 1), np.nan)


def _esd_kernel(conl: np.ndarray, pd_: np.ndarray, gdp: np.ndarray, floor: float) -> np.ndarray:
    """ESD = ConL · lg(max(PD, floor)) · lg(max(GDPD, floor)); NaN propagates."""
    conl = np.asarray(conl, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        lp = np.log10(np.maximum(np.asarray(pd_, dtype=np.float64), floor))
        lg = np.log10(np.maximum(np.asarray(gdp, dtype=np.float64), floor))
    return (conl * lp * lg).astype(np.float32)


# --------------------------------------------------------------------------------------------
# POI kernel density
# --------------------------------------------------------------------------------------------

def _points_xy(points, like: xr.DataArray, weights) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(points, (np.ndarray, list, tuple)):
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        frame = None
    else:
        try:
            geom = points.geometry
        except AttributeError as e:
            raise InputError(message("points", "a GeoDataFrame of points or an (n, 2) array of x, y",
                                     type(points).__name__, "read it with rp.io.read_vector(path)")) from e
        frame = points
        if points.crs is not None and like.rio.crs is not None and points.crs != like.rio.crs:
            frame = points.to_crs(like.rio.crs)
            geom = frame.geometry
        if len(geom) and not (geom.geom_type == "Point").all():
            geom = geom.centroid
        pts = np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()]) if len(geom) else np.zeros((0, 2))
    if weights is None:
        w = np.ones(pts.shape[0])
    elif isinstance(weights, str):
        if frame is None or weights not in frame.columns:
            raise ConfigError(message("weights", "a column of `points`", repr(weights),
                                      "name an existing numeric column, or pass an array"))
        w = frame[weights].to_numpy(dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.size != pts.shape[0]:
            raise ConfigError(message("weights", f"one weight per point ({pts.shape[0]})", f"{w.size} weights",
                                      "pass one weight per point"))
    ok = np.isfinite(pts).all(axis=1)
    if np.any(~np.isfinite(w[ok])) or np.any(w[ok] < 0):
        raise DataError(message("weights", "finite, non-negative weights", "negative or non-finite values",
                                "fix the weight column (0 removes a point)"))
    return pts[ok], w[ok]


def poi_density(points, *, like: xr.DataArray, radius_m: float, weights: str | Sequence[float] | None = None,
                mode: Literal["exact", "raster"] = "exact", empty: Literal["zero", "nan"] = "zero",
                per: Literal["km2", "m2"] = "km2", mask: bool = True, name: str = "poi_density") -> xr.DataArray:
    r"""Quartic (Silverman) kernel density of points at the cell centres of ``like``.

    Parameters
    ----------
    points : geopandas.GeoDataFrame or (n, 2) array
        Points (non-point geometries use their centroid), reprojected to the CRS of ``like``;
        an array is taken as x, y in that CRS.
    like : xarray.DataArray
        Grid template (projected CRS, metres); numpy or dask (the result has its chunks).
    radius_m : float
        Search radius r in metres (> 0; Zhao et al. 2023 use 30 000). ``mode="raster"`` needs r ≥ 3
        cells.
    weights : str or sequence of float, optional
        Column of ``points`` or one non-negative weight per point (default 1 each).
    mode : {"exact", "raster"}
        ``exact``: sum over the points within r (scipy cKDTree). ``raster``: weights gridded to
        cells (points move to their cell centre) and convolved by FFT with the discretized kernel.
    empty : {"zero", "nan"}
        Value of cells with no point closer than r (ArcGIS writes NoData there).
    per : {"km2", "m2"}
        Density unit: points (× weight) per km² (default) or per m².
    mask : bool
        NaN where ``like`` is nodata.
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        float64 (y, x) density, ``units = "1/km2"`` or ``"1/m2"`` (times the weights' unit),
        >= 0.

    Raises
    ------
    ConfigError
        Non-positive radius, r < 3 cells in raster mode, bad ``weights``.
    CRSError
        ``like`` has a geographic CRS.

    Notes
    -----
    .. math:: f(x) = \sum_{i:\,d_i < r} \frac{3}{\pi r^2}\, w_i \left(1 - \frac{d_i^2}{r^2}\right)^2

    Each point adds volume :math:`w_i` (:math:`\int f\,dA = \sum w_i` away from edges). Seed
    002's printed eq. 4 is a garbled generic kernel; this is the ArcGIS form.

    Examples
    --------
    One point, r = 1 km: f = 3/π = 0.954930 km⁻² at the point and 0.954930·0.75² = 0.537148
    km⁻² at 500 m.
    """
    check_raster(like, name="like", projected=True)
    r = float(radius_m)
    if not np.isfinite(r) or r <= 0:
        raise ConfigError(message("radius_m", "a search radius > 0 in metres", repr(radius_m), "e.g. radius_m=30000"))
    for pname, val, allowed in (("mode", mode, ("exact", "raster")), ("empty", empty, ("zero", "nan")),
                                ("per", per, ("km2", "m2"))):
        if val not in allowed:
            raise ConfigError(message(pname, f"one of {allowed}", repr(val), "pick one of those"))
    pts, w = _points_xy(points, like, weights)
    scale = 1e6 if per == "km2" else 1.0
    empty_value = 0.0 if empty == "zero" else np.nan
    t = like.rio.transform()
    dx, dy = abs(t.a), abs(t.e)
    yy = like["y"].astype(np.float64)
    xx = like["x"].astype(np.float64)
    chunked = like.chunks is not None
    if chunked:
        ych = like.chunks[like.dims.index("y")]
        xch = like.chunks[like.dims.index("x")]
        yy, xx = yy.chunk({"y": ych}), xx.chunk({"x": xch})
    if mode == "exact":
        out = xr.apply_ufunc(_kde_exact_kernel, yy, xx,
                             kwargs={"pts": pts, "w": w, "r": r, "scale": scale, "empty_value": empty_value},
                             dask="parallelized", output_dtypes=[np.float64])
    else:
        if r < 3 * max(dx, dy):
            raise ConfigError(message("radius_m", f"r >= 3 cells ({3 * max(dx, dy):g} m) for mode='raster'",
                                      repr(r), "use mode='exact' or a larger radius"))
        ny, nx = like.sizes["y"], like.sizes["x"]
        x0, y0 = (t.c, t.f) if t.e < 0 else (t.c, t.f + t.e * ny)
        if chunked:
            import dask
            import dask.array as dsa

            arr = dsa.from_delayed(dask.delayed(_kde_raster_kernel)((ny, nx), x0, y0, dx, dy, pts, w, r, scale),
                                   shape=(ny, nx), dtype=np.float64).rechunk((ych, xch))
        else:
            arr = _kde_raster_kernel((ny, nx), x0, y0, dx, dy, pts, w, r, scale)
        if t.e > 0:  # south-up grid: rows run upwards
            arr = arr[::-1]
        out = xr.DataArray(arr, dims=("y", "x"), coords={"y": like.y, "x": like.x})
        near = xr.apply_ufunc(_nearest_within_kernel, yy, xx, kwargs={"pts": pts, "r": r},
                              dask="parallelized", output_dtypes=[bool])
        out = out.where(near, empty_value)
    out = out.transpose("y", "x")
    if mask:
        from ..io.raster import valid_mask

        vm = valid_mask(like)
        if set(vm.dims) != {"y", "x"}:
            vm = vm.any(dim=[d for d in vm.dims if d not in ("y", "x")])
        out = out.where(vm)
    return finalize(out, like=like, name=name, units="1/km2" if per == "km2" else "1/m2",
                    radius_m=r, mode=mode, kernel="quartic (Silverman 1986)")


def poi_demand_classes(density: xr.DataArray, k: int = 3, *, anchor: str = "balanced",
                       name: str = "poi_demand_class") -> xr.DataArray:
    """Geometric-interval classes of a density (Zhao et al. 2023: k = 3, low / medium / high = 1 / 2 / 3).

    Zeros (no point within r) fall in class 1 (**assumption — parameter**); see
    :func:`restoreplan.services.classify.geometric_classes`. ``anchor="balanced"`` (default,
    **assumption — parameter**): the lowest edge minimizes the sum of squared class counts, as
    Esri documents its geometric interval. The quartic kernel falls smoothly to 0 at r, so the
    smallest positive density (``anchor="min_positive"``) is ~10⁻⁸ of the peak wherever a cell
    centre happens to lie just inside a radius, and with it ~98 % of the cells of the demo region
    were "high" demand — which made every demand-revised grade the same.
    """
    return geometric_classes(density, k, anchor=anchor, name=name)


# --------------------------------------------------------------------------------------------
# population / GDP / construction proxies
# --------------------------------------------------------------------------------------------

def _window_cells(window_m: float, res: float) -> int:
    n = max(1, round(float(window_m) / res))
    return n if n % 2 == 1 else n + 1


def construction_share(lulc: xr.DataArray, *, construction_codes: Sequence[int] = (5,),
                       window_m: float = 1000.0, name: str = "construction_share") -> xr.DataArray:
    r"""Construction-land share ConL (%) in a square moving window (Peng et al. 2017 input).

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use (projected CRS); numpy or dask (``map_overlap`` with depth = half
        window).
    construction_codes : sequence of int
        Codes counted as construction land (demo legend: 5).
    window_m : float
        Window side in metres (default 1000, **assumption — parameter**); the side in cells is
        round(window_m / cell size), made odd.
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        float64 share in [0, 100] % over the valid cells of the window; NaN where ``lulc`` is
        nodata. ``units = "%"``.

    Notes
    -----
    :math:`ConL(x) = 100 \cdot \#\{c \in W(x): lulc(c) \in C\} / \#\{c \in W(x): lulc(c)\ valid\}`.
    """
    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    if not np.isfinite(window_m) or window_m <= 0:
        raise ConfigError(message("window_m", "a window side > 0 in metres", repr(window_m), "e.g. window_m=1000"))
    t = lulc.rio.transform()
    n = _window_cells(window_m, max(abs(t.a), abs(t.e)))
    h = n // 2
    from ..io.raster import valid_mask

    valid = valid_mask(lulc)
    ind = lulc.isin(list(construction_codes)) & valid
    sums = []
    for a in (ind, valid):
        a = a.astype(np.int32)
        if a.chunks is not None:
            import dask.array as dsa

            depth = {i: (h if d in ("y", "x") else 0) for i, d in enumerate(a.dims)}
            data = dsa.map_overlap(_box_sum, a.data, h=h, depth=depth, boundary=0, dtype=np.int64)
        else:
            data = _box_sum(a.data, h)
        sums.append(a.copy(data=data))
    out = xr.apply_ufunc(_share_kernel, sums[0], sums[1], dask="parallelized", output_dtypes=[np.float64])
    out = out.where(valid)
    return finalize(out, like=lulc, name=name, units="%", window_cells=n,
                    construction_codes=",".join(str(int(c)) for c in construction_codes))


def composite_demand(construction_share: xr.DataArray, population: xr.DataArray, gdp: xr.DataArray, *,
                     floor: float = 1.0, name: str = "esd") -> xr.DataArray:
    r"""Peng et al. (2017) composite ES demand ESD = ConL · lg(PD) · lg(GDPD).

    Parameters
    ----------
    construction_share : xarray.DataArray
        ConL in % (from :func:`construction_share`).
    population : xarray.DataArray
        Population density PD (persons km⁻²), on the same grid.
    gdp : xarray.DataArray
        GDP density GDPD (10⁴ yuan km⁻²), on the same grid.
    floor : float
        PD and GDPD are clipped to >= ``floor`` before the logarithms (default 1, so lg >= 0;
        **assumption — parameter**).
    name : str
        Name of the result.

    Returns
    -------
    xarray.DataArray
        float32 ESD (dimensionless index, % × lg × lg), >= 0 for floor >= 1; NaN where any input
        is NaN.

    Notes
    -----
    .. math:: ESD = ConL \cdot \lg\max(PD, f) \cdot \lg\max(GDPD, f)

    Densities must not be summed when resampled (use nearest/bilinear).
    """
    for nm, da in (("construction_share", construction_share), ("population", population), ("gdp", gdp)):
        check_raster(da, name=nm, crs=False)
    if construction_share.rio.crs is not None and population.rio.crs is not None and gdp.rio.crs is not None:
        check_aligned(construction_share=construction_share, population=population, gdp=gdp)
    if not np.isfinite(floor) or floor <= 0:
        raise ConfigError(message("floor", "a positive floor for the logarithms", repr(floor), "use floor=1"))
    out = xr.apply_ufunc(_esd_kernel, construction_share, population, gdp, kwargs={"floor": float(floor)},
                         dask="parallelized", output_dtypes=[np.float32])
    return finalize(out, like=construction_share, name=name, units="1", floor=float(floor),
                    method="Peng et al. 2017: ConL*lg(PD)*lg(GDPD)")


def standardized_demand(layers: Mapping[str, xr.DataArray], *,
                        directions: Mapping[str, Literal["pos", "neg"]] | None = None,
                        over: str | Sequence[str] | None = None) -> xr.Dataset:
    r"""Min-max standardize demand proxies with directions (min-max standardization as in ``normalize``).

    Parameters
    ----------
    layers : mapping name → DataArray
        Proxies on one grid (e.g. ``{"population": pop, "gdp": gdp}``).
    directions : mapping name → "pos" | "neg", optional
        ``pos`` (default for every layer; Sun et al. 2025 use population and GDP as positive
        indicators): (x − min)/(max − min); ``neg``: (max − x)/(max − min).
    over : dims pooled for the statistics (default all dims of each layer).

    Returns
    -------
    xarray.Dataset
        One variable per layer, values in [0, 1], ``units = "1"``.
    """
    if not layers:
        raise ConfigError(message("layers", "at least one proxy layer", "none", "pass e.g. {'population': pop}"))
    directions = dict(directions or {})
    problems = []
    unknown = [k for k in directions if k not in layers]
    if unknown:
        problems.append(message("directions", f"names of `layers` {list(layers)}", f"unknown {unknown}", "fix the names"))
    bad = {k: v for k, v in directions.items() if v not in ("pos", "neg")}
    if bad:
        problems.append(message("directions", "'pos' or 'neg' per layer", repr(bad), "use pos for demand-raising proxies"))
    if problems:
        raise ConfigError("; ".join(problems), problems)
    items = list(layers.items())
    if len(items) > 1 and all(da.rio.crs is not None for _, da in items):
        check_aligned(**{k: v for k, v in items})
    out = {}
    for nm, da in items:
        method = "minmax_neg" if directions.get(nm, "pos") == "neg" else "minmax_pos"
        out[nm] = normalize(da, method=method, over=over, name=f"{nm}_std")
    return xr.Dataset(out)
