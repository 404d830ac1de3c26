"""Per-cell layers of the synthetic demo region, computed tile by tile.

:class:`Landscape` holds the :class:`~restoreplan.datasets.layout.Layout` and the noise fields;
``Landscape.tile(r0, r1, c0, c1)`` gives a :class:`Tile` whose attributes are the layers of that
window of the global grid (plain NumPy arrays, float64 until cast by :meth:`Tile.layer`). Every
value is a pure function of the global cell indices and the seed: a tile equals the same window
of the whole grid, so dask chunks agree at seams.

Land-use rules (SYNTHETIC, chosen to look like a hilly county of central China)
-------------------------------------------------------------------------------
* water (4): main river channels, lakes and ponds on low ground; a few new ponds each decade.
* construction (5): where the urbanity ``U = max_i exp(-d_i / r_i) + 0.32 exp(-d_road / 180 m)
  + village noise - steepness and height penalties`` exceeds a threshold that falls every decade, so towns grow outwards and along roads,
  mostly into cropland; built land never reverts.
* forest (2): high, steep ground; steep cropland (> 5 deg) is reforested after 2000
  ("Grain for Green").
* grassland (3) / barren (6): semi-natural open land; a little swaps between the two each decade;
  spoil heaps around coal-mine heads grow.
* cropland (1): everything else.
"""

from __future__ import annotations

from functools import cached_property
from itertools import pairwise

import numpy as np

from ..core.errors import DataError, message
from .layout import RIVER_HALF_WIDTH, Layout
from .synthetic import CELL, ValueNoise, centres, field_rng, horn_slope, windowed_distance

__all__ = ["CLASSES", "LAYER_SPECS", "NODATA", "YEARS", "Landscape", "Tile"]

YEARS = (2000, 2010, 2020)
NODATA = 255
CLASSES = {1: "cropland", 2: "forest", 3: "grassland", 4: "water", 5: "construction", 6: "barren"}
ROAD_CAP_M = 1500.0  # distance to roads is only needed up to here (urbanity uses exp(-d / 180 m))
MINE_REACH_M = 400.0  # spoil heaps reach at most 230 m from a mine head

# name -> (units, description, value range); "multi" layers exist once per year
LAYER_SPECS: dict[str, dict] = {
    "lulc": {
        "units": "class",
        "kind": "categorical",
        "multi": True,
        "description": "land use/land cover, codes 1 cropland, 2 forest, 3 grassland, 4 water, 5 construction, 6 barren",
    },
    "ndvi": {
        "units": "1",
        "kind": "continuous",
        "multi": True,
        "description": "annual mean NDVI, -1..1",
    },
    "dem": {
        "units": "m",
        "kind": "continuous",
        "description": "elevation above sea level, ~35..900 m",
    },
    "slope": {
        "units": "degrees",
        "kind": "continuous",
        "description": "slope from the DEM (Horn, 30 m cells), 0..90",
    },
    "population": {
        "units": "persons/km2",
        "kind": "continuous",
        "description": "population density, 0..~40000",
    },
    "gdp": {"units": "1e4 yuan/km2", "kind": "continuous", "description": "GDP density"},
    "precipitation": {
        "units": "mm/a",
        "kind": "continuous",
        "description": "annual precipitation, 900..1400",
    },
    "et0": {
        "units": "mm/a",
        "kind": "continuous",
        "description": "reference evapotranspiration, 700..1100",
    },
    "soil_depth": {
        "units": "mm",
        "kind": "continuous",
        "description": "depth to the root-restricting layer, 250..1800",
    },
    "pawc": {
        "units": "1",
        "kind": "continuous",
        "description": "plant available water content fraction, 0.05..0.30",
    },
    "npp": {
        "units": "gC m-2 a-1",
        "kind": "continuous",
        "description": "net primary productivity, 0..~1100",
    },
    "distance_to_road": {
        "units": "m",
        "kind": "continuous",
        "description": "Euclidean distance to the nearest road cell",
    },
    "distance_to_river": {
        "units": "m",
        "kind": "continuous",
        "description": "Euclidean distance to the nearest river cell",
    },
    "distance_to_settlement": {
        "units": "m",
        "kind": "continuous",
        "description": "Euclidean distance to the nearest settlement point cell",
    },
    "threat_construction": {
        "units": "1",
        "kind": "continuous",
        "description": "1 on construction land in 2020, else 0",
    },
    "threat_cropland": {
        "units": "1",
        "kind": "continuous",
        "description": "1 on cropland in 2020, else 0",
    },
    "threat_roads": {
        "units": "1",
        "kind": "continuous",
        "description": "1 on road cells (2020), else 0",
    },
}

# class-wise constants
_NDVI_MEAN = np.array([0, 0.58, 0.78, 0.52, 0.02, 0.16, 0.10, 0])
_NPP_MEAN = np.array([0, 520.0, 780.0, 430.0, 40.0, 120.0, 60.0, 0])
_POP_FACTOR = np.array([0, 1.0, 0.12, 0.3, 0.0, 1.6, 0.05, 0])

# target shares of the study area (fractions of valid cells); the thresholds that meet them are
# computed once per region (on the whole grid up to 640 cells per side, else on a stratified
# sample of cells, see Landscape._calibrate), so every region has the class shares of a hilly
# county whatever its seed or size
TARGETS = {
    "water": 0.075,
    "forest": 0.255,
    "open": 0.125,
    "barren_in_open": 0.16,
    "construction": {2000: 0.10, 2010: 0.125, 2020: 0.15},
    "reforest": {2010: 0.012, 2020: 0.024},
}
_POND = 0.64  # pond noise threshold on low ground near rivers
_POND_STEP = 0.006  # ... lowered per decade (new fish ponds)
_LAKE_MAX_H = 35.0  # m above the valley floor
_FOREST_PENALTY = 0.25  # urbanity needed in excess of the threshold to build on forest
_SAMPLE_BLOCKS, _SAMPLE_CELLS = 64, 5


def _upper_quantile(x: np.ndarray, share: float) -> float:
    """Threshold t with ``mean(x > t) ~= share`` (inf when share <= 0)."""
    if x.size == 0 or share <= 0:
        return np.inf
    return float(np.quantile(x, 1.0 - min(share, 1.0)))


class Landscape:
    """Everything needed to compute any tile of the demo region for one ``(size, seed)``."""

    def __init__(self, size: int, seed: int):
        if int(size) != size or int(size) < 16:
            raise DataError(
                message(
                    "size", "an integer >= 16 (cells per side)", repr(size), "use e.g. size=500"
                )
            )
        if int(seed) != seed or int(seed) < 0:
            raise DataError(
                message("seed", "a non-negative integer", repr(seed), "use e.g. seed=0")
            )
        self.size, self.seed = int(size), int(seed)
        self.layout = Layout(size, seed)
        s = self.seed
        self.n = {
            "forest": ValueNoise(s, 30, 1800.0, 3),
            "open": ValueNoise(s, 31, 1400.0, 3),
            "barren": ValueNoise(s, 32, 450.0, 2),
            "lake": ValueNoise(s, 33, 1100.0, 2),
            "pond": ValueNoise(s, 34, 240.0, 2),
            "village": ValueNoise(s, 35, 360.0, 2),
            "urban": ValueNoise(s, 36, 1600.0, 2),
            "reforest": ValueNoise(s, 37, 700.0, 2),
            "pop": ValueNoise(s, 38, 1200.0, 2),
            "gdp": ValueNoise(s, 39, 3000.0, 2),
            "precip": ValueNoise(s, 40, 20000.0, 2),
            "et0": ValueNoise(s, 41, 20000.0, 2),
            "soil": ValueNoise(s, 42, 900.0, 3),
            "pawc": ValueNoise(s, 43, 1500.0, 2),
            "npp": ValueNoise(s, 44, 800.0, 2),
        }
        for y in YEARS:
            self.n[f"ndvi_s{y}"] = ValueNoise(s, 50 + y - 2000, 2500.0, 2)
            self.n[f"ndvi_c{y}"] = ValueNoise(s, 80 + y - 2000, CELL, 1)
            self.n[f"barren{y}"] = ValueNoise(s, 110 + y - 2000, 500.0, 1)
        self._full: Tile | None = None
        self.thr = self._calibrate()

    def tile(self, r0: int, r1: int, c0: int, c1: int) -> Tile:
        """The window of global rows ``r0:r1`` and columns ``c0:c1``."""
        if self._full is not None and (r0, r1, c0, c1) == (0, self.size, 0, self.size):
            return self._full
        return Tile(self, r0, r1, c0, c1)

    def _sample_tiles(self) -> list[Tile]:
        """The whole grid when small, else a :class:`SampleTile` of 64 x 64 blocks of 5 x 5 cells.

        Block starts are stratified: one random start per 1/64 of the rows (and of the columns),
        so the sample spreads over the whole grid.
        """
        if self.size <= 640:
            self._full = Tile(self, 0, self.size, 0, self.size)
            return [self._full]
        rng = field_rng(self.seed, 200)
        edges = np.linspace(0, self.size, _SAMPLE_BLOCKS + 1).astype(np.int64)
        starts = [
            lo + rng.integers(0, hi - lo - _SAMPLE_CELLS + 1, 2) for lo, hi in pairwise(edges)
        ]
        starts = np.array(starts)
        return [SampleTile(self, starts[:, 0], starts[:, 1], _SAMPLE_CELLS)]

    def _calibrate(self) -> dict:
        """Thresholds meeting :data:`TARGETS` on the sample windows (deterministic scalars).

        Notes
        -----
        Each threshold is an upper quantile of its score among the cells still available:
        water first (lakes fill what channels and ponds leave of the water target), then forest
        among non-water, open land among the rest, barren within open land, construction per
        year on an urbanity lowered by the forest penalty, reforestation among steep cropland.
        """
        tiles = self._sample_tiles()
        T = _Stack(tiles)
        valid = T("mask")
        nv = max(int(valid.sum()), 1)
        thr: dict = {}
        pre = valid & (T("channel") | T("pond0"))
        low = valid & ~pre & (T("h") < _LAKE_MAX_H)
        thr["lake"] = _upper_quantile(
            T("lake_score")[low], (TARGETS["water"] * nv - pre.sum()) / max(low.sum(), 1)
        )
        water = pre | (low & (T("lake_score") > thr["lake"]))
        land = valid & ~water
        thr["forest"] = _upper_quantile(
            T("forest_score")[land], TARGETS["forest"] * nv / max(land.sum(), 1)
        )
        forest = land & (T("forest_score") > thr["forest"])
        rest = land & ~forest
        thr["open"] = _upper_quantile(
            T("open_score")[rest], TARGETS["open"] * nv / max(rest.sum(), 1)
        )
        opn = rest & (T("open_score") > thr["open"])
        thr["barren"] = _upper_quantile(T("barren_score")[opn], TARGETS["barren_in_open"])
        ue = T("urbanity") - _FOREST_PENALTY * forest
        for year, share in TARGETS["construction"].items():
            thr[f"urban{year}"] = _upper_quantile(ue[land], share * nv / max(land.sum(), 1))
        steep = rest & ~opn & (T("slope") > 5.0) & ~(ue > thr["urban2020"])
        thr["reforest2000"] = np.inf
        for year, share in TARGETS["reforest"].items():
            thr[f"reforest{year}"] = _upper_quantile(
                T("reforest_score")[steep], share * nv / max(steep.sum(), 1)
            )
        return thr


class _Stack:
    """Concatenate one attribute over several tiles (flattened)."""

    def __init__(self, tiles: list[Tile]):
        self.tiles = tiles

    def __call__(self, name: str) -> np.ndarray:
        return np.concatenate([np.ravel(getattr(t, name)) for t in self.tiles])


class Tile:
    """Lazily computed layers of one window (attributes are cached NumPy arrays)."""

    def __init__(self, land: Landscape, r0: int, r1: int, c0: int, c1: int):
        self.land, self.L = land, land.layout
        self.r0, self.r1, self.c0, self.c1 = r0, r1, c0, c1
        self.Y = centres(r0, r1)[:, None]
        self.X = centres(c0, c1)[None, :]
        # rows/cols (global) of the terrain evaluated with a 1-cell halo, and where the tile sits in it
        self._ext_rows, self._ext_cols = np.arange(r0 - 1, r1 + 1), np.arange(c0 - 1, c1 + 1)
        self._in_r, self._in_c = slice(1, -1), slice(1, -1)

    def noise(self, name: str) -> np.ndarray:
        """A noise field of the landscape on this window (values 0..1)."""
        return self.land.n[name](self.Y, self.X)

    # ---------------------------------------------------------------- terrain
    @cached_property
    def _terrain_ext(self) -> dict[str, np.ndarray]:
        Ye = ((self._ext_rows + 0.5) * CELL)[:, None]
        Xe = ((self._ext_cols + 0.5) * CELL)[None, :]
        return self.L.terrain(Ye, Xe)

    def terrain(self, key: str) -> np.ndarray:
        """One terrain field (see :meth:`Layout.terrain`) on this window."""
        return self._terrain_ext[key][self._in_r][:, self._in_c]

    @cached_property
    def dem(self) -> np.ndarray:
        """Elevation (m a.s.l.), float32 as published."""
        return self.terrain("dem").astype(np.float32)

    @cached_property
    def slope(self) -> np.ndarray:
        """Slope (degrees) by Horn's method from the float32 DEM, so it can be re-derived from ``dem``."""
        # from the float32 DEM as published, so slope can be re-derived from the dem layer
        full = horn_slope(self._terrain_ext["dem"].astype(np.float32), CELL)  # ext minus its rim
        return full[_shift(self._in_r)][:, _shift(self._in_c)]

    @cached_property
    def h(self) -> np.ndarray:
        """Height above the valley floor (m)."""
        return self.terrain("h")

    @cached_property
    def mask(self) -> np.ndarray:
        """True inside the study-area outline."""
        return self.L.inside(self.Y, self.X)

    # ---------------------------------------------------------------- settlements and roads
    def _settlement_windows(self, reach: np.ndarray):
        """Yield (index, row slice, col slice) of settlements whose ``reach`` (m) meets this window."""
        yx = self.L.settle_yx
        ny, nx = self.Y.shape[0], self.X.shape[1]
        ra = np.searchsorted(self.Y[:, 0], yx[:, 0] - reach)
        rb = np.searchsorted(self.Y[:, 0], yx[:, 0] + reach)
        ca = np.searchsorted(self.X[0], yx[:, 1] - reach)
        cb = np.searchsorted(self.X[0], yx[:, 1] + reach)
        for i in np.flatnonzero(
            (ra < rb) & (ca < cb) & (rb > 0) & (cb > 0) & (ra < ny) & (ca < nx)
        ):
            yield i, slice(int(ra[i]), int(rb[i])), slice(int(ca[i]), int(cb[i]))

    @cached_property
    def town_term(self) -> np.ndarray:
        """Max over settlements of exp(-d / r), truncated at 7 r: 1 at a centre, 0.37 at radius r."""
        out = np.zeros((self.Y.shape[0], self.X.shape[1]))
        r = self.L.settle_r
        for i, sy, sx in self._settlement_windows(7.0 * r):
            d = np.hypot(
                self.Y[sy] - self.L.settle_yx[i, 0], self.X[:, sx] - self.L.settle_yx[i, 1]
            )
            np.maximum(
                out[sy, sx], np.where(d < 7.0 * r[i], np.exp(-d / r[i]), 0.0), out=out[sy, sx]
            )
        return out

    @cached_property
    def urban_pop(self) -> np.ndarray:
        """Gaussian population kernels of the settlements (persons/km2), truncated at 4.5 sigma."""
        out = np.zeros((self.Y.shape[0], self.X.shape[1]))
        sig = 0.8 * self.L.settle_r
        for i, sy, sx in self._settlement_windows(4.5 * sig):
            d2 = (self.Y[sy] - self.L.settle_yx[i, 0]) ** 2 + (
                self.X[:, sx] - self.L.settle_yx[i, 1]
            ) ** 2
            k = (
                self.L.settle_pop[i]
                / (2 * np.pi * sig[i] ** 2)
                * 1e6
                * np.exp(-d2 / (2 * sig[i] ** 2))
            )
            out[sy, sx] += np.where(d2 < (4.5 * sig[i]) ** 2, k, 0.0)
        return out

    @cached_property
    def road_cells(self) -> np.ndarray:
        """True on cells crossed by a road."""
        return self.L.road_points.burn(self.r0, self.r1, self.c0, self.c1)

    @cached_property
    def d_road(self) -> np.ndarray:
        """Distance to the nearest road cell (m), capped at ``ROAD_CAP_M``."""
        return windowed_distance(
            self.L.road_points, self.r0, self.r1, self.c0, self.c1, cap_m=ROAD_CAP_M
        )

    @cached_property
    def d_mine(self) -> np.ndarray:
        """Distance to the nearest mine head (m) where below ``MINE_REACH_M``, else inf."""
        out = np.full((self.Y.shape[0], self.X.shape[1]), np.inf)
        for y, x in self.L.mine_heads:
            sy = slice(*np.searchsorted(self.Y[:, 0], [y - MINE_REACH_M, y + MINE_REACH_M]))
            sx = slice(*np.searchsorted(self.X[0], [x - MINE_REACH_M, x + MINE_REACH_M]))
            d = np.hypot(self.Y[sy] - y, self.X[:, sx] - x)
            np.minimum(out[sy, sx], np.where(d < MINE_REACH_M, d, np.inf), out=out[sy, sx])
        return out

    # ---------------------------------------------------------------- land use
    @cached_property
    def urbanity(self) -> np.ndarray:
        """Urbanity score: towns, roads, village noise, minus steepness and height penalties."""
        u = (
            self.town_term
            + 0.32 * np.exp(-self.d_road / 180.0)
            + 0.30 * (self.noise("village") - 0.5)
            + 0.12 * (self.noise("urban") - 0.5)
        )
        return u - 0.02 * np.maximum(self.slope - 6.0, 0.0) - 0.004 * np.maximum(self.h - 30.0, 0.0)

    @cached_property
    def channel(self) -> np.ndarray:
        """True on main river channels."""
        return self.terrain("d_main") < RIVER_HALF_WIDTH

    @cached_property
    def lowland(self) -> np.ndarray:
        """Low ground (< 12 m above the valley floor) within 3 km of a main river."""
        return (self.h < 12.0) & (self.terrain("d_main") < 3000.0)

    @cached_property
    def pond0(self) -> np.ndarray:
        """Ponds of 2000."""
        return self.lowland & (self.noise("pond") > _POND)

    @cached_property
    def lake_score(self) -> np.ndarray:
        """Lake noise (0..1); lakes where it exceeds the calibrated threshold on low ground."""
        return self.noise("lake")

    @cached_property
    def water_static(self) -> np.ndarray:
        """Water in every year: channels, lakes and the ponds of 2000."""
        lake = (self.lake_score > self.land.thr["lake"]) & (self.h < _LAKE_MAX_H)
        return self.channel | self.pond0 | lake

    @cached_property
    def forest_score(self) -> np.ndarray:
        """Forest score: height above the valley floor, slope and noise."""
        return self.h / 140.0 + self.slope / 30.0 + 0.9 * (self.noise("forest") - 0.5)

    @cached_property
    def forest0(self) -> np.ndarray:
        """Forest of 2000."""
        return self.forest_score > self.land.thr["forest"]

    @cached_property
    def open_score(self) -> np.ndarray:
        """Score of semi-natural open land (grassland or barren)."""
        return self.noise("open") + 0.2 * np.clip(self.h / 150.0, 0, 1)

    @cached_property
    def open0(self) -> np.ndarray:
        """Grassland or barren in 2000 (never forest)."""
        return ~self.forest0 & (self.open_score > self.land.thr["open"])

    @cached_property
    def barren_score(self) -> np.ndarray:
        """Barren score within open land (2000)."""
        return self.noise("barren") + 0.16 * (self.noise("barren2000") - 0.5)

    @cached_property
    def reforest_score(self) -> np.ndarray:
        """Reforestation score of cropland (noise plus slope)."""
        return self.noise("reforest") + 0.01 * self.slope

    def lulc(self, year: int) -> np.ndarray:
        """Land-use codes (uint8, 255 outside the study area) of one year."""
        return self._lulc[year]

    @cached_property
    def _lulc(self) -> dict[int, np.ndarray]:
        out = {}
        thr = self.land.thr
        u, slope = self.urbanity, self.slope
        n_pond, n_bar = self.noise("pond"), self.noise("barren")
        for year in YEARS:
            dec = (year - 2000) / 10.0
            t = thr[f"urban{year}"]
            built = (u > t) & (~self.forest0 | (u > t + _FOREST_PENALTY))
            new_pond = self.lowland & (n_pond > _POND - _POND_STEP * dec)
            refor = (slope > 5.0) & (self.reforest_score > thr[f"reforest{year}"])
            barren = self.open0 & (
                n_bar + 0.16 * (self.noise(f"barren{year}") - 0.5) > thr["barren"]
            )
            spoil = self.d_mine < 130.0 + 50.0 * dec
            c = np.ones(u.shape, dtype=np.uint8)
            c[self.open0] = 3
            c[barren | spoil] = 6
            c[self.forest0 | (refor & (c == 1))] = 2
            c[new_pond & (c == 1)] = 4
            c[built] = 5
            c[self.water_static] = 4
            c[~self.mask] = NODATA
            out[year] = c
        return out

    # ---------------------------------------------------------------- continuous layers
    def ndvi(self, year: int) -> np.ndarray:
        """NDVI of one year (-1..1): class mean, a small greening trend and two noise scales."""
        c = self.lulc(year)
        base = _NDVI_MEAN[np.minimum(c, 7)]
        veg = np.isin(c, (1, 2, 3))
        v = (
            base
            + veg * 0.01 * (year - 2000) / 10.0
            + 0.12 * (self.noise(f"ndvi_s{year}") - 0.5)
            + 0.10 * (self.noise(f"ndvi_c{year}") - 0.5)
        )
        return np.clip(v, -1.0, 1.0)

    @cached_property
    def population(self) -> np.ndarray:
        """Population density (persons/km2) of 2020: rural density by class plus town kernels."""
        c = self.lulc(2020)
        f = _POP_FACTOR[np.minimum(c, 7)]
        return (60.0 + 300.0 * self.noise("pop")) * f + self.urban_pop * np.where(
            c == 5, 1.0, 0.2
        ) * (c != 4)

    @cached_property
    def gdp(self) -> np.ndarray:
        """GDP density (1e4 yuan/km2): population times GDP per person plus farm output."""
        c = self.lulc(2020)
        per_capita = 2.5 + 3.5 * self.noise("gdp") + 2.5 * (c == 5)  # 1e4 yuan per person
        agri = np.select([c == 1, np.isin(c, (2, 3))], [60.0, 15.0], 0.0)
        return self.population * per_capita + agri

    @cached_property
    def precipitation(self) -> np.ndarray:
        """Annual precipitation (mm/a), 900..1400: wetter to the south and on hills."""
        gy = np.clip(self.Y / self.L.extent, 0, 1)
        t = 0.45 * gy + 0.35 * self.noise("precip") + 0.2 * np.clip(self.h / 300.0, 0, 1)
        return 900.0 + 500.0 * np.clip(t, 0, 1)

    @cached_property
    def et0(self) -> np.ndarray:
        """Reference evapotranspiration (mm/a), 700..1100: higher to the east and in valleys."""
        gx = np.clip(self.X / self.L.extent, 0, 1)
        t = 0.45 * gx + 0.35 * self.noise("et0") + 0.2 * (1 - np.clip(self.h / 300.0, 0, 1))
        return 700.0 + 400.0 * np.clip(t, 0, 1)

    @cached_property
    def soil_depth(self) -> np.ndarray:
        """Depth to the root-restricting layer (mm), 250..1800: shallow on steep and high ground."""
        t = (
            0.55 * (1 - self.slope / 35.0)
            + 0.45 * self.noise("soil")
            - 0.2 * np.clip(self.h / 400.0, 0, 1)
            + 0.1
        )
        return 250.0 + 1550.0 * np.clip(t, 0, 1)

    @cached_property
    def pawc(self) -> np.ndarray:
        """Plant available water content (fraction), 0.05..0.30."""
        t = (
            0.55 * self.noise("pawc")
            + 0.3 * (1 - np.clip(self.slope / 40.0, 0, 1))
            + 0.15 * (self.lulc(2020) != 5)
        )
        return 0.05 + 0.25 * np.clip(t, 0, 1)

    @cached_property
    def npp(self) -> np.ndarray:
        """Net primary productivity (gC m-2 a-1) by class of 2020, scaled by noise and rainfall."""
        base = _NPP_MEAN[np.minimum(self.lulc(2020), 7)]
        return base * (0.8 + 0.4 * self.noise("npp")) * np.sqrt(self.precipitation / 1150.0)

    def threat(self, kind: str) -> np.ndarray:
        """0/1 threat of 2020: ``construction`` or ``cropland`` land, or ``roads`` cells."""
        c = self.lulc(2020)
        if kind == "construction":
            return (c == 5).astype(np.float64)
        if kind == "cropland":
            return (c == 1).astype(np.float64)
        return self.road_cells.astype(np.float64)

    # ---------------------------------------------------------------- public
    def layer(self, name: str, year: int | None = None) -> np.ndarray:
        """Final array of one layer on this window: uint8 (lulc) or float32 with NaN outside."""
        if name == "lulc":
            return self.lulc(year)
        if name == "ndvi":
            arr = self.ndvi(year)
        elif name.startswith("threat_"):
            arr = self.threat(name[len("threat_") :])
        elif name in FIELD_LAYERS:
            arr = getattr(self, name)
        else:
            raise KeyError(name)
        out = arr.astype(np.float32)
        out[~self.mask] = np.nan
        return out


def _shift(ix):
    """Index into an array that lost its first row/column (the ``horn_slope`` output)."""
    return (
        slice(ix.start - 1, None if ix.stop == -1 else ix.stop - 1)
        if isinstance(ix, slice)
        else ix - 1
    )


class SampleTile(Tile):
    """Cells of ``n x n`` blocks at every (row start, column start) pair: a sparse sample of the grid.

    Every per-cell field is the same as on a contiguous tile (each block carries its own 1-cell
    halo for the slope); the distance to roads comes from a k-d tree on the road cells, which
    gives the same cell-centre distances as the windowed distance transform.
    """

    def __init__(self, land: Landscape, row_starts: np.ndarray, col_starts: np.ndarray, n: int):
        self.land, self.L = land, land.layout
        rows = (np.asarray(row_starts)[:, None] + np.arange(n)).ravel()
        cols = (np.asarray(col_starts)[:, None] + np.arange(n)).ravel()
        self.rows, self.cols = rows, cols
        self.r0, self.r1, self.c0, self.c1 = (
            int(rows[0]),
            int(rows[-1]) + 1,
            int(cols[0]),
            int(cols[-1]) + 1,
        )
        self.Y = ((rows + 0.5) * CELL)[:, None]
        self.X = ((cols + 0.5) * CELL)[None, :]
        halo = np.arange(-1, n + 1)
        self._ext_rows = (np.asarray(row_starts)[:, None] + halo).ravel()
        self._ext_cols = (np.asarray(col_starts)[:, None] + halo).ravel()
        inner = np.arange(1, n + 1)
        self._in_r = (np.arange(len(row_starts))[:, None] * (n + 2) + inner).ravel()
        self._in_c = (np.arange(len(col_starts))[:, None] * (n + 2) + inner).ravel()

    @cached_property
    def d_road(self) -> np.ndarray:
        """Distance to the nearest road cell (m), capped at ``ROAD_CAP_M``."""
        from scipy.spatial import cKDTree

        pts = self.L.road_points
        rr, cc = np.meshgrid(self.rows, self.cols, indexing="ij")
        if pts.rows.size == 0:
            return np.full(rr.shape, ROAD_CAP_M)
        tree = cKDTree(np.column_stack([pts.rows, pts.cols]).astype(np.float64) * CELL)
        q = np.column_stack([rr.ravel(), cc.ravel()]).astype(np.float64) * CELL
        d = tree.query(q, distance_upper_bound=ROAD_CAP_M)[0].reshape(rr.shape)
        return np.minimum(d, ROAD_CAP_M)

    @cached_property
    def road_cells(self) -> np.ndarray:
        """True on cells crossed by a road."""
        return self.d_road == 0


#: Layers that are a field of the window (attribute of the same name).
FIELD_LAYERS = ("dem", "slope", "population", "gdp", "precipitation", "et0", "soil_depth", "pawc", "npp")

TILE_LAYERS = (
    "lulc",
    "ndvi",
    *FIELD_LAYERS,
    "threat_construction",
    "threat_cropland",
    "threat_roads",
)
