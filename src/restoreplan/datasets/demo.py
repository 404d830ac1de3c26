"""The embedded demo region: a deterministic, SYNTHETIC hilly county on EPSG:32649 (30 m cells).

Nothing is downloaded and nothing describes a real place. ``demo_region(size, seed)`` builds every
layer in memory; ``demo_region_lazy(size, seed, chunks)`` builds the per-cell layers as dask arrays
computed tile by tile (for benchmarks up to 10^8 cells). Both give the same values for the same
``(size, seed)``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dask.array as dsa
import geopandas as gpd
import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import shapely
import xarray as xr
from affine import Affine
from rasterio import features
from scipy import ndimage
from scipy.spatial import cKDTree

from .fields import CLASSES, LAYER_SPECS, NODATA, TILE_LAYERS, YEARS, Landscape
from .layout import CRS, X0, YTOP, Layout
from .synthetic import CELL, PointSet

__all__ = ["DemoRegion", "demo_grid", "demo_region", "demo_region_lazy"]

_SOURCE = "restoreplan.datasets.demo_region (synthetic, not a real place)"
_DISTANCE_LAYERS = ("distance_to_road", "distance_to_river", "distance_to_settlement")
_AFTER = TILE_LAYERS.index("npp") + 1
_LAYER_ORDER = TILE_LAYERS[:_AFTER] + _DISTANCE_LAYERS + TILE_LAYERS[_AFTER:]  # every layer, in the contract order
_VECTOR_ORDER = (
    "roads",
    "rivers",
    "settlements",
    "poi",
    "watersheds",
    "subwatersheds",
    "mining_panels",
)


class DemoRegion:
    """A synthetic study region: rasters on one grid plus vector layers on the same CRS.

    Attributes
    ----------
    size, seed : the generator arguments (cells per side, seed).
    layers : dict name -> DataArray (y, x), or dict year -> DataArray for ``lulc`` and ``ndvi``.
        Continuous layers are float32 with NaN outside the study area; ``lulc`` is uint8 with
        ``.rio.nodata`` 255. Every layer has ``attrs["units"]``.
    vectors : dict name -> GeoDataFrame (EPSG:32649).
    outline : the study-area polygon (shapely, EPSG:32649).
    grid : a template DataArray of the grid (see :func:`demo_grid`).
    years : the land-use years (2000, 2010, 2020).
    classes : land-use code -> class name.
    lazy : True when the layers are dask-backed.
    """

    def __init__(
        self,
        *,
        size: int,
        seed: int,
        layers: dict,
        vectors: dict,
        outline,
        grid: xr.DataArray,
        lazy: bool,
    ):
        self.size, self.seed = size, seed
        self.layers, self.vectors = layers, vectors
        self.outline, self.grid, self.lazy = outline, grid, lazy
        self.years = YEARS
        self.classes = dict(CLASSES)

    def __repr__(self) -> str:
        kind = "lazy" if self.lazy else "in memory"
        return (
            f"<DemoRegion size={self.size} seed={self.seed} ({kind}, synthetic): "
            f"{len(self.layers)} layers, {len(self.vectors)} vectors>"
        )

    def series(self, name: str) -> xr.DataArray:
        """A multi-year layer as one DataArray with a leading ``time`` dim (years as coordinate).

        Raises
        ------
        KeyError
            When ``name`` is not a multi-year layer (``lulc`` or ``ndvi``).
        """
        layer = self.layers.get(name)
        if not isinstance(layer, dict):
            multi = [k for k, v in self.layers.items() if isinstance(v, dict)]
            raise KeyError(
                f"`{name}`: expected a multi-year layer ({', '.join(multi)}); got "
                f"{'a single-date layer' if layer is not None else 'no such layer'}. "
                f"Fix: use region.layers[{name!r}] for single-date layers"
            )
        years = sorted(layer)
        first = layer[years[0]]
        out = xr.concat(
            [layer[y].drop_attrs(deep=False) for y in years],
            dim=pd.Index(years, name="time"),
            coords="minimal",
            compat="override",
            join="exact",
        )
        out.attrs = {k: v for k, v in first.attrs.items() if k != "year"}
        out.name = name
        out = out.rio.write_crs(first.rio.crs).rio.write_transform(first.rio.transform())
        nod = first.rio.nodata
        return out.rio.write_nodata(nod, encoded=False) if nod is not None else out

    def write(self, folder: str | os.PathLike) -> dict:
        """Write every raster as a COG and every vector as a GeoPackage into ``folder``.

        Multi-year layers are written as ``NAME_YEAR.tif`` (``lulc_2000.tif``), the others as
        ``NAME.tif``; vectors as ``NAME.gpkg`` (layer ``NAME``). Lazy layers are computed here.

        Returns
        -------
        dict
            ``{"layers": {name: Path or {year: Path}}, "vectors": {name: Path}}``.
        """
        from ..io import write_gpkg, write_raster

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out: dict = {"layers": {}, "vectors": {}}
        for name, layer in self.layers.items():
            if isinstance(layer, dict):
                out["layers"][name] = {
                    y: write_raster(da, folder / f"{name}_{y}.tif") for y, da in layer.items()
                }
            else:
                out["layers"][name] = write_raster(layer, folder / f"{name}.tif")
        for name, gdf in self.vectors.items():
            out["vectors"][name] = write_gpkg(gdf, folder / f"{name}.gpkg", layer=name)
        return out


# ---------------------------------------------------------------------- grid
def _transform() -> Affine:
    return Affine(CELL, 0.0, X0, 0.0, -CELL, YTOP)


def demo_grid(size: int = 500, *, chunks: int | None = None) -> xr.DataArray:
    """Template DataArray of the demo grid: EPSG:32649, 30 m cells, top-left (760000, 3425000).

    Parameters
    ----------
    size : cells per side (square grid).
    chunks : dask chunk size; None gives NumPy zeros (float32, ``4 * size**2`` bytes).

    Returns
    -------
    xarray.DataArray
        float32 zeros with dims (y, x), cell-centre coordinates in metres, CRS and transform.
    """
    size = int(size)
    x = X0 + (np.arange(size) + 0.5) * CELL
    y = YTOP - (np.arange(size) + 0.5) * CELL
    data = (
        np.zeros((size, size), np.float32)
        if chunks is None
        else dsa.zeros((size, size), dtype=np.float32, chunks=int(chunks))
    )
    da = xr.DataArray(
        data, dims=("y", "x"), coords={"y": y, "x": x}, name="grid", attrs={"units": "1"}
    )
    return da.rio.write_crs(CRS).rio.write_transform(_transform())


def _wrap(data, grid: xr.DataArray, name: str, year: int | None = None) -> xr.DataArray:
    spec = LAYER_SPECS[name]
    attrs = {"units": spec["units"], "long_name": spec["description"], "source": _SOURCE}
    if year is not None:
        attrs["year"] = int(year)
    if name == "lulc":
        attrs["classes"] = ", ".join(f"{k}={v}" for k, v in CLASSES.items())
    da = xr.DataArray(
        data, dims=("y", "x"), coords={"y": grid.y, "x": grid.x}, name=name, attrs=attrs
    )
    da = da.rio.write_crs(CRS).rio.write_transform(_transform())
    return da.rio.write_nodata(NODATA if name == "lulc" else np.nan, encoded=False)


# ---------------------------------------------------------------------- distances
def _distance(points: PointSet, size: int, inside: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance transform (m) to the burnt cells of the grid, NaN outside."""
    burnt = points.burn(0, size, 0, size)
    if burnt.any():
        d = ndimage.distance_transform_edt(~burnt, sampling=CELL)
    else:  # no feature in the grid: distance to the nearest one outside it (same metric)
        tree = cKDTree(np.column_stack([points.rows, points.cols]) * CELL)
        rr, cc = np.meshgrid(np.arange(size) * CELL, np.arange(size) * CELL, indexing="ij")
        d = tree.query(np.column_stack([rr.ravel(), cc.ravel()]))[0].reshape(size, size)
    out = d.astype(np.float32)
    out[~inside] = np.nan
    return out


# ---------------------------------------------------------------------- watersheds
def _basins(layout: Layout, stride: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Watersheds and subwatersheds from the analytic drainage pattern (no flow routing).

    A subwatershed is the land draining to one tributary on one bank of a main river; a
    watershed groups three consecutive subwatersheds of a river. Polygonized on a grid of
    ``stride`` cells (1 = full resolution) and clipped to the study area.
    """
    n = int(np.ceil(layout.size / stride))
    Y = ((np.arange(n) + 0.5) * stride * CELL)[:, None]
    X = ((np.arange(n) + 0.5) * stride * CELL)[None, :]
    t = layout.terrain(Y, X)
    side = (t["v"] >= 0).astype(np.int64)
    sub = (t["river"] * 2 + side) * 100000 + t["trib"]
    ws = t["river"] * 100000 + t["trib"] // 3
    inside = layout.inside(Y, X)
    tr = Affine(CELL * stride, 0.0, X0, 0.0, -CELL * stride, YTOP)
    codes = np.unique(sub[inside])
    remap = {int(c): i for i, c in enumerate(codes)}
    lab = np.clip(np.searchsorted(codes, sub), 0, max(codes.size - 1, 0)).astype(np.int32)
    lab[~inside] = -1
    parts: dict[int, list] = {}
    for geom, val in features.shapes(lab, mask=inside, transform=tr):
        parts.setdefault(int(val), []).append(shapely.geometry.shape(geom))
    ws_of_sub = {remap[int(c)]: int(w) for c, w in zip(sub[inside], ws[inside])}
    subs, ws_codes = [], []
    for i in sorted(parts):
        g = shapely.union_all(parts[i])
        if g.geom_type == "MultiPolygon":
            g = max(g.geoms, key=lambda p: p.area)
        subs.append(g)
        ws_codes.append(ws_of_sub[i])
    ws_ids = {c: k + 1 for k, c in enumerate(sorted(set(ws_codes)))}
    subgdf = gpd.GeoDataFrame(
        {"subws_id": np.arange(1, len(subs) + 1), "ws_id": [ws_ids[c] for c in ws_codes]},
        geometry=subs,
        crs=CRS,
    )
    wsg = []
    for c, k in ws_ids.items():
        g = shapely.union_all([s for s, w in zip(subs, ws_codes) if w == c])
        if g.geom_type == "MultiPolygon":
            g = max(g.geoms, key=lambda p: p.area)
        wsg.append((k, g))
    wsgdf = gpd.GeoDataFrame({"ws_id": [k for k, _ in wsg]}, geometry=[g for _, g in wsg], crs=CRS)
    for gdf in (subgdf, wsgdf):
        gdf["area_km2"] = gdf.geometry.area / 1e6
    return wsgdf, subgdf


def _vectors(layout: Layout) -> dict[str, gpd.GeoDataFrame]:
    stride = max(1, int(np.ceil(layout.size / 1000)))
    ws, subws = _basins(layout, stride)
    return {
        "roads": layout.roads_gdf(),
        "rivers": layout.rivers_gdf(),
        "settlements": layout.settlements_gdf(),
        "poi": layout.poi_gdf(),
        "watersheds": ws,
        "subwatersheds": subws,
        "mining_panels": layout.mining_gdf(),
    }


# ---------------------------------------------------------------------- public builders
def demo_region(size: int = 500, seed: int = 0, *, chunks: int | None = None) -> DemoRegion:
    """Build the synthetic demo region in memory (or lazily when ``chunks`` is given).

    SYNTHETIC DATA: a plausible hilly county of central China, generated from ``seed`` alone;
    no download, no external file.

    Parameters
    ----------
    size : cells per side of the square grid (30 m cells; 500 -> 15 km x 15 km), >= 16.
    seed : non-negative integer; the same ``(size, seed)`` gives byte-identical arrays.
    chunks : None for NumPy-backed layers; an int gives :func:`demo_region_lazy`.

    Returns
    -------
    DemoRegion
        Layers (units; value range):

        * ``lulc`` {2000, 2010, 2020}: uint8 codes 1 cropland, 2 forest, 3 grassland, 4 water,
          5 construction, 6 barren; 255 outside the study area. Shares about 45/25/10/7.5/10/2 %
          in 2000; construction grows to 12.5 % (2010) and 15 % (2020), mostly from cropland
          near towns and roads; steep cropland is reforested.
        * ``ndvi`` {2000, 2010, 2020}: 1; -1..1 (class mean plus noise).
        * ``dem``: m; ~35..900 (hills between river valleys; rivers on the valley floor).
        * ``slope``: degrees; 0..90 (Horn, from ``dem`` with 30 m cells).
        * ``population``: persons/km2; 0..~40000. ``gdp``: 1e4 yuan/km2.
        * ``precipitation``: mm/a; 900..1400. ``et0``: mm/a; 700..1100.
        * ``soil_depth``: mm; 250..1800. ``pawc``: 1; 0.05..0.30. ``npp``: gC m-2 a-1; 0..~1100.
        * ``distance_to_road``, ``distance_to_river``, ``distance_to_settlement``: m, exact
          Euclidean distance transform (cell centre to cell centre) to the burnt vector features.
        * ``threat_construction``, ``threat_cropland``, ``threat_roads``: 1; 0 or 1 (year 2020).

        All continuous layers are float32 with NaN outside the study-area outline.
        Vectors: ``roads`` (``highway``), ``rivers`` (``name``, ``order``), ``settlements``
        (``name``, ``population``), ``poi`` (``category``, ``weight``), ``watersheds`` (``ws_id``),
        ``subwatersheds`` (``subws_id``, ``ws_id``), ``mining_panels`` (``thickness_m``,
        ``depth_m``, ``dip_deg``, ``q``, ``tan_beta``).

    Examples
    --------
    >>> import restoreplan as rp
    >>> region = rp.datasets.demo_region(size=64, seed=1)
    >>> sorted(region.layers["lulc"])
    [2000, 2010, 2020]
    >>> region.series("lulc").dims
    ('time', 'y', 'x')
    """
    if chunks is not None:
        return demo_region_lazy(size, seed, chunks=chunks)
    land = Landscape(size, seed)
    size = land.size
    grid = demo_grid(size)
    tile = land.tile(0, size, 0, size)
    layers: dict = {}
    for name in TILE_LAYERS:
        if LAYER_SPECS[name].get("multi"):
            layers[name] = {y: _wrap(tile.layer(name, y), grid, name, y) for y in YEARS}
        else:
            layers[name] = _wrap(tile.layer(name), grid, name)
    lay = land.layout
    inside = tile.mask
    layers["distance_to_road"] = _wrap(
        _distance(lay.road_points, size, inside), grid, "distance_to_road"
    )
    layers["distance_to_river"] = _wrap(
        _distance(lay.river_points(), size, inside), grid, "distance_to_river"
    )
    layers["distance_to_settlement"] = _wrap(
        _distance(lay.settle_points, size, inside), grid, "distance_to_settlement"
    )
    layers = {k: layers[k] for k in _LAYER_ORDER}
    return DemoRegion(
        size=size,
        seed=land.seed,
        layers=layers,
        vectors=_vectors(lay),
        outline=lay.outline_polygon(),
        grid=grid,
        lazy=False,
    )


def _block(block_info=None, *, layer: str, year, land: Landscape) -> np.ndarray:
    (r0, r1), (c0, c1) = block_info[None]["array-location"]
    return land.tile(r0, r1, c0, c1).layer(layer, year)


def demo_region_lazy(size: int, seed: int = 0, *, chunks: int = 2048) -> DemoRegion:
    """The demo region with dask-backed layers computed tile by tile (for large grids).

    Every per-cell layer of :func:`demo_region` is available (``lulc``, ``ndvi``, ``dem``,
    ``slope``, ``population``, ``gdp``, ``precipitation``, ``et0``, ``soil_depth``, ``pawc``,
    ``npp`` and the three threat rasters) with the same values as the eager region. The
    distance rasters need a global distance transform and are not included. Nothing is computed
    until asked for; computing one tile takes about 150 bytes per cell (~650 MB for 2048 x 2048).
    Vectors are built eagerly; watersheds are polygonized at ``ceil(size / 1000)`` cells.

    Parameters
    ----------
    size : cells per side (e.g. 10000 for 10^8 cells).
    seed : non-negative integer seed.
    chunks : tile size in cells (square tiles).
    """
    land = Landscape(size, seed)
    size, chunks = land.size, int(chunks)
    grid = demo_grid(size, chunks=chunks)
    ch = grid.data.chunks
    layers: dict = {}
    for name in TILE_LAYERS:
        dtype = np.uint8 if name == "lulc" else np.float32
        years = YEARS if LAYER_SPECS[name].get("multi") else (None,)
        built = {}
        for y in years:
            key = f"demo-{name}{'' if y is None else '_' + str(y)}-{size}-{land.seed}-{chunks}"
            arr = dsa.map_blocks(
                _block,
                chunks=ch,
                dtype=dtype,
                meta=np.empty((0, 0), dtype),
                name=key,
                layer=name,
                year=y,
                land=land,
            )
            built[y] = _wrap(arr, grid, name, y)
        layers[name] = built if years[0] is not None else built[None]
    return DemoRegion(
        size=size,
        seed=land.seed,
        layers=layers,
        vectors=_vectors(land.layout),
        outline=land.layout.outline_polygon(),
        grid=grid,
        lazy=True,
    )
