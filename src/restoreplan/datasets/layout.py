"""The skeleton of the synthetic demo region: outline, rivers, terrain, towns, roads, mines, POIs.

A :class:`Layout` is built once per ``(size, seed)``; it holds only small tables (river meander
parameters, town points, road polylines, mining panels), never a raster. Its terrain functions are
pure functions of the coordinates (metres from the grid's top-left corner, ``Y`` downwards), so
any tile of any raster can be computed on its own (see :mod:`restoreplan.datasets.fields`).

SYNTHETIC DATA: nothing here describes a real place.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

from .synthetic import CELL, PointSet, ValueNoise, densify, field_rng, smoothstep

__all__ = ["CRS", "X0", "YTOP", "Layout"]

CRS = "EPSG:32649"
X0 = 760000.0  # left edge (m, UTM 49N easting)
YTOP = 3425000.0  # top edge (m, UTM northing); the default 500-cell grid ends at y = 3410000

_OFF = 1 << 20
RIVER_SPACING = 11000.0  # m between main rivers (one main valley per 11 km)
TRIB_SPACING = 2600.0  # m between tributaries on one bank
TOWN_CELL = 4500.0  # m, one candidate town per 4.5 km square
MARGIN = 15000.0  # m of skeleton generated around the grid (halos, road ends)
VALLEY_W = 1300.0  # m, e-folding half-width of the main valleys
TRIB_W = 380.0  # m, half-width of tributary valleys
RIVER_HALF_WIDTH = 48.0  # m, half-width of main river channels (water class)
_TRIB_L1, _TRIB_L2 = 3200.0, 1100.0  # m, wavelengths of tributary meanders

# field ids (independent random streams)
F_OUTLINE, F_RIVER, F_TRIB, F_TOWN, F_SEAT, F_ROAD, F_MINE, F_POI = 1, 2, 3, 4, 5, 6, 7, 8
F_RELIEF, F_ROUGH = 20, 21

_SYL = [
    "an",
    "bai",
    "chang",
    "dong",
    "feng",
    "gao",
    "he",
    "hong",
    "hua",
    "jiang",
    "jin",
    "kang",
    "lin",
    "long",
    "ma",
    "nan",
    "ping",
    "qing",
    "shan",
    "shi",
    "tai",
    "tian",
    "wang",
    "xi",
    "xin",
    "yang",
    "yun",
    "zhang",
    "zhou",
    "zhu",
]
POI_WEIGHTS = {
    "government": 0.9,
    "hospital": 0.85,
    "school": 0.7,
    "market": 0.6,
    "bus_station": 0.55,
    "factory": 0.5,
    "scenic_spot": 0.8,
}


def _name(rng: np.random.Generator) -> str:
    a, b = rng.choice(len(_SYL), 2, replace=False)
    return (_SYL[a] + _SYL[b]).capitalize()


class Layout:
    """Vector skeleton and analytic terrain of the demo region for one ``(size, seed)``.

    Parameters
    ----------
    size : cells per side of the square grid (30 m cells).
    seed : non-negative integer seed.
    """

    def __init__(self, size: int, seed: int):
        self.size, self.seed = int(size), int(seed)
        self.extent = self.size * CELL
        self.relief_noise = ValueNoise(seed, F_RELIEF, 7000.0, octaves=4, gain=0.5)
        self.rough_noise = ValueNoise(seed, F_ROUGH, 400.0, octaves=2, gain=0.5)
        self._init_outline()
        self._init_rivers()
        self._init_tributaries()
        self._init_settlements()
        self._init_roads()
        self._init_mines()

    # ------------------------------------------------------------------ outline
    def _init_outline(self) -> None:
        rng = field_rng(self.seed, F_OUTLINE)
        ks = np.arange(2, 8)
        self._ol_k = ks
        self._ol_a = rng.uniform(0.03, 0.11, ks.size) / (ks / 2.0) ** 0.7
        self._ol_phi = rng.uniform(0, 2 * np.pi, ks.size)
        self._ol_r0 = (0.5 * self.extent - 2 * CELL) / (1.0 + self._ol_a.sum())
        self.centre = 0.5 * self.extent

    def outline_radius(self, theta: np.ndarray) -> np.ndarray:
        """Radius (m) of the study-area outline at polar angle ``theta`` around the grid centre."""
        r = np.ones_like(theta)
        for k, a, p in zip(self._ol_k, self._ol_a, self._ol_phi):
            r = r + a * np.cos(k * theta + p)
        return self._ol_r0 * r

    def inside(self, Y, X) -> np.ndarray:
        """True where the point lies inside the (irregular) study-area outline."""
        dy, dx = Y - self.centre, X - self.centre
        return np.hypot(dy, dx) <= self.outline_radius(np.arctan2(dy, dx))

    def outline_polygon(self) -> Polygon:
        """The study-area outline as a polygon in EPSG:32649 coordinates."""
        n = int(min(4000, max(720, 4 * self.size)))
        th = np.linspace(0, 2 * np.pi, n, endpoint=False)
        r = self.outline_radius(th)
        return Polygon(
            np.column_stack(
                self.to_world(self.centre + r * np.sin(th), self.centre + r * np.cos(th))[::-1]
            )
        )

    @staticmethod
    def to_world(Y, X):
        """(Yw, Xw) in EPSG:32649 from grid metres."""
        return YTOP - np.asarray(Y), X0 + np.asarray(X)

    # ------------------------------------------------------------------ rivers
    def _init_rivers(self) -> None:
        rng = field_rng(self.seed, F_RIVER)
        self._rv_base0 = self.centre + rng.uniform(-0.12, 0.12) * RIVER_SPACING
        self.kmin = int(np.floor((-MARGIN - self._rv_base0) / RIVER_SPACING)) - 1
        kmax = int(np.ceil((self.extent + MARGIN - self._rv_base0) / RIVER_SPACING)) + 1
        self.ks = np.arange(self.kmin, kmax + 1)
        a, lam, phi = [], [], []
        for k in self.ks:
            r = field_rng(self.seed, F_RIVER, int(k) + _OFF)
            a.append(np.array([650.0, 260.0, 85.0]) * r.uniform(0.7, 1.3, 3))
            lam.append(np.array([9000.0, 4100.0, 1700.0]) * r.uniform(0.85, 1.15, 3))
            phi.append(r.uniform(0, 2 * np.pi, 3))
        self._rv_a, self._rv_lam, self._rv_phi = np.array(a), np.array(lam), np.array(phi)
        self._rv_base = self._rv_base0 + self.ks * RIVER_SPACING

    def river_y(self, ki: np.ndarray | int, X):
        """Centre-line Y (m) of main river index ``ki`` (0-based into ``self.ks``) at ``X`` and dY/dX."""
        y = self._rv_base[ki] + 0.0 * X
        dy = 0.0 * y
        for m in range(3):
            w = 2 * np.pi / self._rv_lam[ki, m]
            arg = w * X + self._rv_phi[ki, m]
            y = y + self._rv_a[ki, m] * np.sin(arg)
            dy = dy + self._rv_a[ki, m] * w * np.cos(arg)
        return y, dy

    def _nearest_river(self, Y, X):
        """Distance to the nearest main river (m), its index and the signed offset Y - river(X)."""
        shape = np.broadcast_shapes(np.shape(Y), np.shape(X))
        nk = self.ks.size
        F = np.empty((nk,) + np.broadcast_shapes((1,) * len(shape), np.shape(X)))
        Fp = np.empty_like(F)
        for i in range(nk):
            F[i], Fp[i] = self.river_y(i, np.asarray(X, dtype=np.float64))
        kc = np.rint((np.asarray(Y) - self._rv_base0) / RIVER_SPACING).astype(np.int64) - self.kmin
        best_d = best_v = best_k = None
        for dk in (-1, 0, 1):
            ki = np.broadcast_to(np.clip(kc + dk, 0, nk - 1), shape)
            f = np.take_along_axis(np.broadcast_to(F, (nk,) + shape), ki[None], 0)[0]
            fp = np.take_along_axis(np.broadcast_to(Fp, (nk,) + shape), ki[None], 0)[0]
            v = Y - f
            d = np.abs(v) / np.sqrt(1.0 + fp * fp)
            if best_d is None:
                best_d, best_v, best_k = d, v, ki.copy()
            else:
                better = d < best_d
                best_d = np.where(better, d, best_d)
                best_v = np.where(better, v, best_v)
                best_k = np.where(better, ki, best_k)
        return best_d, best_k, best_v

    # ------------------------------------------------------------------ tributaries
    def _init_tributaries(self) -> None:
        nfam = self.ks.size * 2
        self.jmin = int(np.floor(-MARGIN / TRIB_SPACING)) - 3
        jmax = int(np.ceil((self.extent + MARGIN) / TRIB_SPACING)) + 3
        nj = jmax - self.jmin + 1
        self._tr_off = np.empty(nfam)
        self._tr_lean = np.empty(nfam)
        shape = (nfam, nj)
        self._tr_xc = np.empty(shape)
        self._tr_len = np.empty(shape)
        self._tr_a = np.empty(shape + (2,))
        self._tr_phi = np.empty(shape + (2,))
        for f in range(nfam):
            r = field_rng(self.seed, F_TRIB, f + _OFF + self.kmin * 2)
            self._tr_off[f] = r.uniform(0, TRIB_SPACING)
            self._tr_lean[f] = -r.uniform(0.15, 0.45)  # streams come from upstream (west)
            js = np.arange(self.jmin, jmax + 1)
            self._tr_xc[f] = (
                self._tr_off[f] + js * TRIB_SPACING + r.uniform(-0.18, 0.18, nj) * TRIB_SPACING
            )
            self._tr_len[f] = r.uniform(0.42, 0.68, nj) * 0.5 * RIVER_SPACING
            self._tr_a[f] = np.column_stack([r.uniform(120, 300, nj), r.uniform(30, 90, nj)])
            self._tr_phi[f] = r.uniform(0, 2 * np.pi, (nj, 2))

    def trib_x(self, fam, j, v):
        """X (m) of tributary ``j`` (0-based) of family ``fam`` at offset ``v`` (m) from its main river."""
        idx = np.asarray(fam) * self._tr_xc.shape[1] + j
        a, p = self._tr_a.reshape(-1, 2), self._tr_phi.reshape(-1, 2)
        x = self._tr_xc.ravel().take(idx) + self._tr_lean.take(fam) * v
        x = x + a[:, 0].take(idx) * np.sin(2 * np.pi * v / _TRIB_L1 + p[:, 0].take(idx))
        return x + a[:, 1].take(idx) * np.sin(2 * np.pi * v / _TRIB_L2 + p[:, 1].take(idx))

    def _nearest_trib(self, X, ki, v):
        """Horizontal distance to the nearest tributary (m), its index and its fade factor (0..1)."""
        side = (v >= 0).astype(np.int64)
        fam = ki * 2 + side
        va = np.abs(v)
        nj = self._tr_xc.shape[1]
        jc = (
            np.rint((X - self._tr_off[fam] - self._tr_lean[fam] * va) / TRIB_SPACING).astype(
                np.int64
            )
            - self.jmin
        )
        best = None
        for dj in (-1, 0, 1):
            j = np.clip(jc + dj, 0, nj - 1)
            dx = np.abs(X - self.trib_x(fam, j, va))
            length = self._tr_len.ravel().take(fam * nj + j)
            eff = dx + np.maximum(va - length, 0.0)
            if best is None:
                best = [eff, dx, j, length]
            else:
                b = eff < best[0]
                best = [
                    np.where(b, eff, best[0]),
                    np.where(b, dx, best[1]),
                    np.where(b, j, best[2]),
                    np.where(b, length, best[3]),
                ]
        _, dx, j, length = best
        fade = smoothstep(np.clip((length - va) / (0.3 * length), 0.0, 1.0))
        return dx, j, fade

    # ------------------------------------------------------------------ terrain
    def terrain(self, Y, X) -> dict[str, np.ndarray]:
        """Analytic terrain at broadcastable coordinates (m).

        Returns a dict with ``d_main`` (m to the nearest main river), ``river`` (its index),
        ``v`` (signed offset from it, m), ``d_trib`` (m to the nearest tributary), ``trib`` (its
        index), ``h`` (height above the valley floor, m, 0..~420) and ``dem`` (m a.s.l.).

        Notes
        -----
        ``dem = base(X) + V * A``, ``V = (1 - exp(-(d/W)^2)) (1 - 0.6 exp(-(d_t/W_t)^2) fade)`` and
        ``A = 25 + 380 n_relief^1.6 + 12 n_rough``: rivers lie at the valley floor ``base(X)``, which
        falls 1.5 m/km eastwards, so every river flows downhill to the east.
        """
        Y = np.asarray(Y, dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        d_main, ki, v = self._nearest_river(Y, X)
        d_trib, j, fade = self._nearest_trib(X, ki, v)
        valley = (1.0 - np.exp(-((d_main / VALLEY_W) ** 2))) * (
            1.0 - 0.6 * np.exp(-((d_trib / TRIB_W) ** 2)) * fade
        )
        amp = 25.0 + 380.0 * self.relief_noise(Y, X) ** 1.6 + 12.0 * self.rough_noise(Y, X)
        h = valley * amp
        base = 35.0 + 0.0015 * (self.extent + MARGIN - X)
        return {
            "d_main": d_main,
            "river": ki,
            "v": v,
            "d_trib": d_trib,
            "trib": j,
            "h": h,
            "dem": base + h,
        }

    # ------------------------------------------------------------------ settlements
    def _init_settlements(self) -> None:
        rng = field_rng(self.seed, F_SEAT)
        # county seat: near the grid centre, on a bank of the central river
        xs = self.centre + rng.uniform(-0.08, 0.08) * self.extent
        ki = int(np.argmin(np.abs(self._rv_base - self.centre)))
        yr, _ = self.river_y(ki, np.array(xs))
        ys = float(yr) + rng.choice([-1.0, 1.0]) * rng.uniform(900, 1400)
        if not self.inside(np.array(ys), np.array(xs)):
            # small regions: the river bank lies beyond the outline; every region keeps its county
            # seat (and so settlements, POIs and their distance layers), pulled in towards the centre
            dy, dx = ys - self.centre, xs - self.centre
            k = 0.5 * float(self.outline_radius(np.arctan2(dy, dx))) / float(np.hypot(dy, dx))
            ys, xs = self.centre + k * dy, self.centre + k * dx
        seat_pop = float(rng.uniform(150000, 230000))
        names = [_name(rng) + " Chengguan"]
        pts, pops, kinds = [(ys, xs)], [seat_pop], ["county_seat"]
        # towns: at most one per 4.5 km square, placed on low ground
        n0 = int(np.floor(-MARGIN / TOWN_CELL))
        n1 = int(np.ceil((self.extent + MARGIN) / TOWN_CELL))
        cand, meta = [], []
        for mi in range(n0, n1):
            for mj in range(n0, n1):
                r = field_rng(self.seed, F_TOWN, mi + _OFF, mj + _OFF)
                exists = r.random() < 0.75
                c = (np.array([mi, mj]) + r.uniform(0.1, 0.9, (6, 2))) * TOWN_CELL
                pop = float(np.clip(np.exp(r.normal(np.log(11000), 0.5)), 3000, 60000))
                nm = _name(r) + " Zhen"
                if exists:
                    cand.append(c)
                    meta.append((mi, mj, pop, nm))
        if cand:
            c = np.concatenate(cand)
            t = self.terrain(c[:, 0], c[:, 1])
            score = (t["h"] + np.where(t["d_main"] < 350, 500.0, 0.0)).reshape(-1, 6)
            best = np.argmin(score, axis=1)
            self.town_cell = {}
            for n, (mi, mj, pop, nm) in enumerate(meta):
                y, x = c.reshape(-1, 6, 2)[n, best[n]]
                if score[n, best[n]] > 110 or np.hypot(y - ys, x - xs) < 3500:
                    continue
                self.town_cell[(mi, mj)] = len(pts)
                pts.append((y, x))
                pops.append(pop)
                kinds.append("town")
                names.append(nm)
        self.settle_yx = np.array(pts, dtype=np.float64)
        self.settle_pop = np.array(pops)
        self.settle_kind = np.array(kinds)
        self.settle_name = names
        # built-up radius (m) grows with the square root of population
        self.settle_r = np.where(
            self.settle_kind == "county_seat",
            1500.0 * np.sqrt(self.settle_pop / 180000),
            430.0 * np.sqrt(self.settle_pop / 11000),
        )

    # ------------------------------------------------------------------ roads
    def _bent(self, p, q, rng, amp, n=6) -> np.ndarray:
        """A gently bent polyline (Y, X) from p to q."""
        t = np.linspace(0, 1, n + 2)
        d = q - p
        nrm = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9)
        off = amp * rng.uniform(-1, 1) * np.sin(np.pi * t) + amp * 0.3 * rng.uniform(
            -1, 1
        ) * np.sin(2 * np.pi * t)
        return p + d * t[:, None] + nrm * off[:, None]

    def _init_roads(self) -> None:
        rng = field_rng(self.seed, F_ROAD)
        seat = self.settle_yx[0]
        roads: list[tuple[np.ndarray, str]] = []
        reach = 0.75 * self.extent * np.sqrt(2) + 5000
        a0 = rng.uniform(0, 2 * np.pi)
        for i in range(4):
            ang = a0 + i * np.pi / 2 + rng.uniform(-0.3, 0.3)
            t = np.arange(0, reach + 1000, 1000.0)
            wob = (
                350
                * np.sin(2 * np.pi * t / rng.uniform(6000, 9000) + rng.uniform(0, 2 * np.pi))
                * np.minimum(t / 2000, 1)
            )
            yx = seat + np.column_stack(
                [t * np.sin(ang) + wob * np.cos(ang), t * np.cos(ang) - wob * np.sin(ang)]
            )
            roads.append((yx, "trunk" if i % 2 == 0 else "primary"))
        for (mi, mj), n in self.town_cell.items():
            for nb in ((mi, mj + 1), (mi + 1, mj)):
                if nb in self.town_cell:
                    r = field_rng(self.seed, F_ROAD, mi + _OFF, mj + _OFF, nb[0] - mi, nb[1] - mj)
                    roads.append(
                        (
                            self._bent(
                                self.settle_yx[n], self.settle_yx[self.town_cell[nb]], r, 300
                            ),
                            "secondary",
                        )
                    )
        d_seat = np.hypot(*(self.settle_yx - seat).T)
        for n in np.flatnonzero((d_seat < 8000) & (self.settle_kind == "town")):
            r = field_rng(self.seed, F_ROAD, n + _OFF, 7)
            roads.append((self._bent(self.settle_yx[n], seat, r, 250), "secondary"))
        # village roads: a short tertiary spur from every town
        for n in np.flatnonzero(self.settle_kind == "town"):
            r = field_rng(self.seed, F_ROAD, n + _OFF, 9)
            ang = r.uniform(0, 2 * np.pi)
            end = self.settle_yx[n] + r.uniform(1500, 3000) * np.array([np.sin(ang), np.cos(ang)])
            roads.append((self._bent(self.settle_yx[n], end, r, 200, n=4), "tertiary"))
        self.roads = roads
        pts = np.concatenate([densify(yx[:, ::-1], CELL / 3) for yx, _ in roads])
        keep = np.all((pts > -MARGIN) & (pts < self.extent + MARGIN), axis=1)
        self.road_points = PointSet(pts[keep])
        self.settle_points = PointSet(self.settle_yx[:, ::-1])

    # ------------------------------------------------------------------ mining
    def _init_mines(self) -> None:
        area_km2 = np.pi * self._ol_r0**2 / 1e6
        n = max(1, round(area_km2 / 150.0))
        panels, heads = [], []
        rngs = [field_rng(self.seed, F_MINE, d) for d in range(n)]
        th = np.stack([r.uniform(0, 2 * np.pi, 60) for r in rngs])
        rad = np.sqrt(np.stack([r.uniform(0.05, 0.45, 60) for r in rngs])) * self.outline_radius(th)
        Ys, Xs = self.centre + rad * np.sin(th), self.centre + rad * np.cos(th)
        t = self.terrain(Ys.ravel(), Xs.ravel())
        oks = (t["d_main"] > 1000).reshape(n, 60) & (
            np.hypot(Ys - self.settle_yx[0, 0], Xs - self.settle_yx[0, 1]) > 4000
        )
        for d, r in enumerate(rngs):
            ok = oks[d]
            i = int(np.flatnonzero(ok)[0]) if ok.any() else 0
            cy, cx = Ys[d, i], Xs[d, i]
            ang = r.uniform(0, np.pi)
            u = np.array([np.sin(ang), np.cos(ang)])  # panel long axis (Y, X)
            w = np.array([u[1], -u[0]])  # across panels
            npan = int(r.integers(5, 9))
            length = r.uniform(900, 1500)
            dip = r.uniform(4, 14)
            depth0 = r.uniform(220, 420)
            pos = 0.0
            for p in range(npan):
                width = r.uniform(150, 260)
                c0 = np.array([cy, cx]) + w * (pos - 0.5 * npan * 230)
                corners = [c0, c0 + u * length, c0 + u * length + w * width, c0 + w * width]
                depth = depth0 + (pos + width / 2) * np.tan(np.radians(dip))
                panels.append(
                    {
                        "district": d + 1,
                        "panel": p + 1,
                        "yx": np.array(corners),
                        "width_m": width,
                        "length_m": length,
                        "thickness_m": r.uniform(1.8, 5.5),
                        "depth_m": depth,
                        "dip_deg": dip,
                        "q": r.uniform(0.6, 0.85),
                        "tan_beta": r.uniform(1.6, 2.4),
                    }
                )
                pos += width + r.uniform(30, 45)  # coal pillar between panels
            heads.append(np.array([cy, cx]) - u * 150)
        self.panels = panels
        self.mine_heads = np.array(heads)

    # ------------------------------------------------------------------ vectors
    def _box(self):
        return shapely.box(X0, YTOP - self.extent, X0 + self.extent, YTOP)

    def _lines_gdf(self, items: list[tuple[np.ndarray, dict]]) -> gpd.GeoDataFrame:
        box = self._box()
        rows, geoms = [], []
        for yx, attrs in items:
            yw, xw = self.to_world(yx[:, 0], yx[:, 1])
            g = LineString(np.column_stack([xw, yw])).intersection(box)
            if g.is_empty:
                continue
            for part in getattr(g, "geoms", [g]):
                if part.geom_type == "LineString" and part.length > 2 * CELL:
                    geoms.append(part)
                    rows.append(dict(attrs))
        cols = list(items[0][1]) if items else []
        return gpd.GeoDataFrame(rows, columns=cols, geometry=geoms, crs=CRS)

    def roads_gdf(self) -> gpd.GeoDataFrame:
        """Road centre lines with ``highway`` in {trunk, primary, secondary, tertiary}."""
        gdf = self._lines_gdf([(yx, {"highway": cls}) for yx, cls in self.roads])
        gdf.insert(0, "road_id", np.arange(1, len(gdf) + 1))
        return gdf

    def river_lines(self) -> list[tuple[np.ndarray, dict]]:
        """Main rivers and tributary streams crossing the grid, as (Y, X) polylines with attributes."""
        items = []
        X = np.arange(-2 * CELL, self.extent + 2 * CELL, CELL)
        for i, k in enumerate(self.ks):
            y, _ = self.river_y(i, X)
            if y.max() < -VALLEY_W or y.min() > self.extent + VALLEY_W:
                continue
            items.append(
                (np.column_stack([y, X]), {"name": f"River {int(k) - self.kmin}", "order": 2})
            )
        for fam in range(self.ks.size * 2):
            ki, side = divmod(fam, 2)
            sign = 1.0 if side else -1.0
            for j in range(self._tr_xc.shape[1]):
                v = np.arange(0.0, self._tr_len[fam, j], CELL)
                x = self.trib_x(fam, j, v)
                if x.max() < 0 or x.min() > self.extent:
                    continue
                y = self.river_y(ki, x)[0] + sign * v
                if y.max() < 0 or y.min() > self.extent:
                    continue
                items.append((np.column_stack([y, x]), {"name": f"Stream {fam}-{j}", "order": 1}))
        return items

    def rivers_gdf(self) -> gpd.GeoDataFrame:
        """River centre lines: main rivers (``order`` 2) and tributary streams (``order`` 1)."""
        gdf = self._lines_gdf(self.river_lines())
        gdf.insert(0, "river_id", np.arange(1, len(gdf) + 1))
        return gdf

    def river_points(self) -> PointSet:
        """Cells on river centre lines (for distance rasters)."""
        return PointSet(
            np.concatenate([densify(yx[:, ::-1], CELL / 3) for yx, _ in self.river_lines()])
        )

    def _in_grid(self, yx: np.ndarray) -> np.ndarray:
        return np.all((yx >= 0) & (yx < self.extent), axis=1)

    def settlements_gdf(self) -> gpd.GeoDataFrame:
        """Settlement points with ``name``, ``population`` (persons), ``kind`` and ``radius_m``."""
        k = self._in_grid(self.settle_yx)
        yw, xw = self.to_world(self.settle_yx[k, 0], self.settle_yx[k, 1])
        return gpd.GeoDataFrame(
            {
                "name": np.array(self.settle_name, dtype=object)[k],
                "population": np.rint(self.settle_pop[k]).astype(np.int64),
                "kind": self.settle_kind[k],
                "radius_m": self.settle_r[k],
            },
            geometry=gpd.points_from_xy(xw, yw),
            crs=CRS,
        )

    def poi_gdf(self) -> gpd.GeoDataFrame:
        """Points of interest with ``category`` and ``weight`` (0..1, relative importance)."""
        cats = list(POI_WEIGHTS)[:-1]
        yx, cat, wt = [], [], []
        for n in np.flatnonzero(self._in_grid(self.settle_yx)):
            r = field_rng(self.seed, F_POI, n + _OFF)
            m = int(np.clip(self.settle_pop[n] / 3000, 3, 60))
            yx.append(self.settle_yx[n] + r.normal(0, 0.45 * self.settle_r[n], (m, 2)))
            c = r.choice(len(cats), m, p=[0.04, 0.06, 0.25, 0.25, 0.15, 0.25])
            c[0] = 0  # every settlement has a government office
            cat += [cats[i] for i in c]
            wt.append(np.array([POI_WEIGHTS[cats[i]] for i in c]) * r.uniform(0.85, 1.15, m))
        r = field_rng(self.seed, F_POI, 0)
        th = r.uniform(0, 2 * np.pi, 400)
        rad = np.sqrt(r.uniform(0, 0.9, 400)) * self.outline_radius(th)
        sy, sx = self.centre + rad * np.sin(th), self.centre + rad * np.cos(th)
        hi = self.terrain(sy, sx)["h"] > 170
        ns = max(2, round(self._ol_r0**2 / 4e7))
        sel = np.flatnonzero(hi)[:ns]
        yx.append(np.column_stack([sy[sel], sx[sel]]))
        cat += ["scenic_spot"] * sel.size
        wt.append(POI_WEIGHTS["scenic_spot"] * r.uniform(0.85, 1.15, sel.size))
        yx = np.concatenate(yx)
        wt = np.clip(np.concatenate(wt), 0.05, 1.0)
        k = self._in_grid(yx)
        yw, xw = self.to_world(yx[k, 0], yx[k, 1])
        return gpd.GeoDataFrame(
            {
                "poi_id": np.arange(1, k.sum() + 1),
                "category": np.array(cat, dtype=object)[k],
                "weight": wt[k],
            },
            geometry=gpd.points_from_xy(xw, yw),
            crs=CRS,
        )

    def mining_gdf(self) -> gpd.GeoDataFrame:
        """Longwall coal panels (rectangles) with the parameters of the probability-integral method."""
        rows, geoms = [], []
        for p in self.panels:
            yw, xw = self.to_world(p["yx"][:, 0], p["yx"][:, 1])
            geoms.append(Polygon(np.column_stack([xw, yw])))
            rows.append({k: v for k, v in p.items() if k != "yx"})
        gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)
        gdf.insert(0, "panel_id", np.arange(1, len(gdf) + 1))
        return gdf
