"""A synthetic region of any size, generated chunk by chunk (never whole in memory).

:func:`tiled_region` returns dask-backed layers on EPSG:32649 at 30 m. Every chunk is a pure
function of (``seed``, layer, global row/column): smooth fields are sums of a few plane waves of the
global coordinates (seamless across chunks), the small-scale noise is drawn from a generator seeded
by (``seed``, layer, chunk row, chunk column). The same seed and chunk size give the same rasters on
any scheduler and any number of workers. (The in-memory demo region, :mod:`restoreplan.datasets.demo`,
has vectors and realistic patterns; this one exists for scale tests and benchmarks.)

Layers: ``lulc`` (``time`` dim, 6-class codes 1 cropland … 6 barren, uint8, nodata 255 outside an
elliptical study area; construction land grows every year), ``dem`` (m), ``population``
(persons/km²), ``gdp``, ``distance_to_road`` (m; a smooth proxy, not a distance transform),
``precipitation`` and ``et0`` (mm/a), ``soil_depth`` (mm), ``pawc`` (0–1), ``threat_construction``
(0/1 of the last year), all float32 with NaN outside the study area.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["tiled_region", "grid_shape"]

_LAYERS = ("elev", "wet", "urban", "noise_lulc", "pop", "gdp", "road", "precip", "et0", "soil", "pawc")


def grid_shape(n_cells: int, aspect: float = 1.25) -> tuple[int, int]:
    """(ny, nx) with ny·nx ≈ ``n_cells`` and nx/ny ≈ ``aspect``."""
    ny = max(2, int(round(math.sqrt(n_cells / aspect))))
    nx = max(2, int(round(n_cells / ny)))
    return ny, nx


def _waves(seed: int, layer: int, n: int = 6) -> np.ndarray:
    """(n, 4) plane waves: amplitude, ky, kx (radians per cell), phase — deterministic in seed/layer."""
    rng = np.random.default_rng([seed, layer, 0xC0FFEE])
    wavelength = 10 ** rng.uniform(1.7, 3.3, n)  # 50 … 2000 cells, the same at every region size
    ang = rng.uniform(0, np.pi, n)
    k = 2 * np.pi / wavelength
    amp = np.full(n, 1.0 / n)
    return np.stack([amp, k * np.sin(ang), k * np.cos(ang), rng.uniform(0, 2 * np.pi, n)], axis=1)


def _smooth(rows: np.ndarray, cols: np.ndarray, waves: np.ndarray) -> np.ndarray:
    """Sum of plane waves on the global grid, in [0, 1]. float32.

    cos(k_y·r + k_x·c + φ) = cos(k_y·r + φ)·cos(k_x·c) − sin(k_y·r + φ)·sin(k_x·c): two outer
    products per wave instead of a cosine per cell.
    """
    r = rows.astype(np.float64)
    c = cols.astype(np.float64)
    out = np.zeros((rows.size, cols.size), np.float32)
    for a, ky, kx, ph in waves:
        ar, ac = ky * r + ph, kx * c
        out += (a * np.cos(ar)).astype(np.float32)[:, None] * np.cos(ac).astype(np.float32)[None, :]
        out -= (a * np.sin(ar)).astype(np.float32)[:, None] * np.sin(ac).astype(np.float32)[None, :]
    return 0.5 + 0.5 * out


def _location(block_info):
    """((row0, row1), (col0, col1)) and (chunk row, chunk col) of the output block (last two dims)."""
    info = block_info[None]
    return info["array-location"][-2:], info["chunk-location"][-2:]


def _block_fields(seed, shape, block_info, names):
    """Every field of one chunk (dict of float32 arrays) and the study-area mask."""
    ((r0, r1), (c0, c1)), (by, bx) = _location(block_info)
    rows = np.arange(r0, r1, dtype=np.float32)
    cols = np.arange(c0, c1, dtype=np.float32)
    ny, nx = shape
    yy = (rows[:, None] - (ny - 1) / 2) / (ny / 2)
    xx = (cols[None, :] - (nx - 1) / 2) / (nx / 2)
    inside = (yy * yy + xx * xx) <= 0.97
    f = {name: _smooth(rows, cols, _waves(seed, i)) for i, name in enumerate(_LAYERS) if name in names}
    rng = np.random.default_rng([seed, 7, by, bx])
    f["noise"] = rng.random((rows.size, cols.size), dtype=np.float32)
    return f, inside


def _lulc_block(seed, shape, n_years, block_info=None):
    f, inside = _block_fields(seed, shape, block_info, ("elev", "wet", "urban"))
    out = np.empty((n_years,) + inside.shape, np.uint8)
    e, w, u, z = f["elev"], f["wet"], f["urban"], f["noise"]
    for t in range(n_years):
        lu = np.full(inside.shape, 1, np.uint8)          # cropland
        lu[e + 0.04 * z > 0.54] = 3                        # grassland
        lu[e + 0.04 * z > 0.60] = 2                        # forest
        lu[(z < 0.02) & (e > 0.5)] = 6                     # barren
        lu[w > 0.70] = 4                                   # water
        lu[u + 0.04 * z > 0.70 - 0.02 * t] = 5             # construction grows every year
        lu[~inside] = 255
        out[t] = lu
    return out


def _float_block(seed, shape, layer, block_info=None):
    need = {"dem": ("elev",), "population": ("urban",), "gdp": ("gdp", "urban"), "distance_to_road": ("road",),
            "precipitation": ("precip",), "et0": ("et0",), "soil_depth": ("soil",), "pawc": ("pawc",)}[layer]
    f, inside = _block_fields(seed, shape, block_info, need)
    z = f["noise"]
    formula = {
        "dem": lambda: 20.0 + 1800.0 * f["elev"] + 15.0 * z,
        "population": lambda: 12000.0 * f["urban"] ** 3 + 50.0 * z,
        "gdp": lambda: 5000.0 * f["gdp"] * f["urban"] + 10.0 * z,
        "distance_to_road": lambda: 30.0 + 6000.0 * f["road"] ** 2,
        "precipitation": lambda: 600.0 + 1000.0 * f["precip"],
        "et0": lambda: 700.0 + 600.0 * f["et0"],
        "soil_depth": lambda: 300.0 + 1500.0 * f["soil"],
        "pawc": lambda: 0.05 + 0.25 * f["pawc"],
    }
    v = formula[layer]().astype(np.float32)
    v[~inside] = np.nan
    return v


def tiled_region(n_cells: int, *, chunk: int = 2048, seed: int = 0, years: Sequence[int] = (2000, 2010, 2020),
                 res: float = 30.0, x0: float = 500000.0, y0: float = 4200000.0) -> dict[str, xr.DataArray]:
    """The synthetic region at ``n_cells`` cells (≈), as dask-backed DataArrays with ``chunk``² chunks.

    Nothing is computed: each chunk is generated when a computation asks for it (~40 bytes per
    cell per layer in flight, never the whole raster).
    """
    import dask.array as dsa
    from affine import Affine

    ny, nx = grid_shape(int(n_cells))
    ch = (chunk, chunk)
    chunks2 = dsa.core.normalize_chunks(ch, (ny, nx))
    years = list(years)
    coords = {"y": y0 - res * (np.arange(ny) + 0.5), "x": x0 + res * (np.arange(nx) + 0.5)}
    transform = Affine(res, 0.0, x0, 0.0, -res, y0)

    def wrap(data, name, dims=("y", "x"), extra=None, nodata=None, units=None):
        da = xr.DataArray(data, dims=dims, coords={**(extra or {}), **coords}, name=name)
        da = da.rio.write_crs("EPSG:32649").rio.write_transform(transform)
        if nodata is not None:
            da = da.rio.write_nodata(nodata, encoded=False)
        if units:
            da.attrs["units"] = units
        return da

    lulc = dsa.map_blocks(_lulc_block, seed, (ny, nx), len(years), dtype=np.uint8,
                          chunks=((len(years),),) + chunks2, meta=np.empty((0, 0, 0), np.uint8),
                          name=f"tiled-lulc-{seed}-{ny}-{nx}-{chunk}-{len(years)}")
    out = {"lulc": wrap(lulc, "lulc", dims=("time", "y", "x"), extra={"time": years}, nodata=255, units="class")}
    units = {"dem": "m", "population": "persons/km²", "gdp": "10⁴ yuan/km²", "distance_to_road": "m",
             "precipitation": "mm/a", "et0": "mm/a", "soil_depth": "mm", "pawc": "1"}
    for layer, u in units.items():
        data = dsa.map_blocks(_float_block, seed, (ny, nx), layer, dtype=np.float32, chunks=chunks2,
                              meta=np.empty((0, 0), np.float32), name=f"tiled-{layer}-{seed}-{ny}-{nx}-{chunk}")
        out[layer] = wrap(data, layer, units=u)
    last = out["lulc"].isel(time=-1, drop=True)
    threat = xr.where(last == 5, np.float32(1), np.float32(0)).where(last != 255).astype(np.float32)
    out["threat_construction"] = wrap(threat.data, "threat_construction", units="1")
    return out
