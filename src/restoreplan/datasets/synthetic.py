"""Kernels for synthetic landscapes: seeded value noise, slope, line burning and windowed distances.

Everything here is a pure function of *global* coordinates and a seed, so a field evaluated on a
tile equals the same field evaluated on the whole grid and cropped (tiles agree at seams). The
only source of randomness is :func:`field_rng`, a ``numpy.random.default_rng`` seeded by a
``SeedSequence(seed, spawn_key=key)``; the global NumPy RNG is never touched.

Coordinates are metres measured from the top-left corner of the demo grid: ``Y`` grows downwards
(row direction) and ``X`` to the right (column direction). Cell ``(row, col)`` has its centre at
``Y = (row + 0.5) * CELL``, ``X = (col + 0.5) * CELL``.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import ndimage

__all__ = [
    "CELL",
    "PointSet",
    "ValueNoise",
    "centres",
    "densify",
    "field_rng",
    "horn_slope",
    "smoothstep",
    "windowed_distance",
]

CELL = 30.0  # metres
_OFF = 1 << 20  # keeps spawn keys non-negative for negative lattice/block indices
_BLOCK = 64  # lattice values are drawn in blocks of 64 x 64 from one seeded generator each


def field_rng(seed: int, *key: int) -> np.random.Generator:
    """Return the generator for one named piece of the landscape.

    Parameters
    ----------
    seed : the user seed (non-negative int).
    key : non-negative ints naming the piece (field id, octave, block indices, ...).
    """
    return np.random.default_rng(
        np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key))
    )


def centres(start: int, stop: int) -> np.ndarray:
    """Cell-centre coordinates (m) of global cell indices ``start .. stop-1``."""
    return (np.arange(start, stop, dtype=np.float64) + 0.5) * CELL


def smoothstep(t: np.ndarray) -> np.ndarray:
    """Quintic fade ``6t^5 - 15t^4 + 10t^3`` on [0, 1] (zero first and second derivative at the ends)."""
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def _lattice(seed: int, key: tuple[int, ...], iy0: int, iy1: int, ix0: int, ix1: int) -> np.ndarray:
    """Uniform [0, 1) lattice values for lattice rows ``iy0:iy1`` and columns ``ix0:ix1``.

    Values are drawn per 64 x 64 block from ``field_rng(seed, *key, by, bx)``, so any window of the
    infinite lattice is reproducible on its own.
    """
    out = np.empty((iy1 - iy0, ix1 - ix0), dtype=np.float64)
    for by in range(iy0 // _BLOCK, (iy1 - 1) // _BLOCK + 1):
        ys, ye = max(iy0, by * _BLOCK), min(iy1, (by + 1) * _BLOCK)
        for bx in range(ix0 // _BLOCK, (ix1 - 1) // _BLOCK + 1):
            xs, xe = max(ix0, bx * _BLOCK), min(ix1, (bx + 1) * _BLOCK)
            blk = field_rng(seed, *key, by + _OFF, bx + _OFF).random((_BLOCK, _BLOCK))
            out[ys - iy0 : ye - iy0, xs - ix0 : xe - ix0] = blk[
                ys - by * _BLOCK : ye - by * _BLOCK, xs - bx * _BLOCK : xe - bx * _BLOCK
            ]
    return out


class ValueNoise:
    """Seeded fractal value noise on the plane, values in [0, 1].

    ``n(Y, X) = sum_o g^o v_o(Y, X) / sum_o g^o`` where ``v_o`` interpolates uniform lattice values
    (spacing ``scale_m / 2^o``) with the quintic fade. The lattice of each octave is shifted by a
    seeded offset so different fields never share lattice lines.

    Parameters
    ----------
    seed : user seed.
    field : integer id of the field (different fields are independent).
    scale_m : lattice spacing of the first octave in metres (the feature size).
    octaves : number of octaves (>= 1).
    gain : amplitude ratio between successive octaves.
    """

    def __init__(self, seed: int, field: int, scale_m: float, octaves: int = 1, gain: float = 0.5):
        self.seed = int(seed)
        self.field = int(field)
        self.scales = [scale_m / 2.0**o for o in range(octaves)]
        self.amps = [gain**o for o in range(octaves)]
        # offsets >= 1e6 m keep lattice coordinates positive for any halo we use
        self.offsets = []
        for o, s in enumerate(self.scales):
            r = field_rng(self.seed, self.field, o, 0)
            self.offsets.append((1e6 + r.uniform(0, 1000 * s), 1e6 + r.uniform(0, 1000 * s)))

    def __call__(self, Y: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Evaluate at broadcastable coordinates (m); ``Y`` of shape (n, 1) and ``X`` (1, m) is fast."""
        total = None
        for o, (s, a) in enumerate(zip(self.scales, self.amps)):
            v = self._octave(o, s, Y, X) * a
            total = v if total is None else total + v
        return total / float(sum(self.amps))

    def _octave(self, o: int, s: float, Y, X) -> np.ndarray:
        oy, ox = self.offsets[o]
        Y = np.asarray(Y, dtype=np.float64)
        X = np.asarray(X, dtype=np.float64)
        ty, tx = (Y + oy) / s, (X + ox) / s
        iy, ix = np.floor(ty), np.floor(tx)
        sy, sx = smoothstep(ty - iy), smoothstep(tx - ix)
        iy, ix = iy.astype(np.int64), ix.astype(np.int64)
        iy0, ix0 = int(iy.min()), int(ix.min())
        V = _lattice(self.seed, (self.field, o, 1), iy0, int(iy.max()) + 2, ix0, int(ix.max()) + 2)
        iy, ix = iy - iy0, ix - ix0
        if Y.ndim == 2 and X.ndim == 2 and Y.shape[1] == 1 and X.shape[0] == 1:
            # separable path: same arithmetic per cell as the general path below
            cx = ix[0]
            R = V[:, cx] * (1.0 - sx[0]) + V[:, cx + 1] * sx[0]
            ry = iy[:, 0]
            return R[ry] * (1.0 - sy) + R[ry + 1] * sy
        a = V[iy, ix] * (1.0 - sx) + V[iy, ix + 1] * sx
        b = V[iy + 1, ix] * (1.0 - sx) + V[iy + 1, ix + 1] * sx
        return a * (1.0 - sy) + b * sy


def horn_slope(dem_ext: np.ndarray, cell: float = CELL) -> np.ndarray:
    r"""Slope in degrees (Horn 1981) of the interior of a DEM padded by one cell on every side.

    The interior cells have a full 3 × 3 window, so this is exactly
    :func:`restoreplan.core.spatial.horn_slope_kernel` (the one slope implementation) cropped by its rim;
    a cell whose window holds a NaN is NaN here (no NaN filling: the helper reports full windows only).

    Notes
    -----
    .. math:: \partial z/\partial x = ((c + 2f + i) - (a + 2d + g)) / (8\,\Delta),\quad
              slope = \arctan\sqrt{(\partial z/\partial x)^2 + (\partial z/\partial y)^2}

    with the 3 x 3 window ``a b c / d e f / g h i`` and ``\Delta`` the cell size (m). Range [0, 90).
    """
    from ..core.spatial import horn_slope_kernel

    z = np.asarray(dem_ext, dtype=np.float64)
    out = horn_slope_kernel(z, cell, cell, "degrees", dtype=np.float64)[1:-1, 1:-1]
    full = np.ones(out.shape, bool)  # only cells whose whole 3 × 3 window is defined (no NaN filling)
    ny, nx = out.shape
    for dr in range(3):
        for dc in range(3):
            full &= np.isfinite(z[dr:dr + ny, dc:dc + nx])
    out[~full] = np.nan
    return out


def densify(coords: np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline ``(n, 2)`` (X, Y) every ``step`` metres or less, vertices included."""
    coords = np.asarray(coords, dtype=np.float64)
    out = [coords[:1]]
    for p, q in itertools.pairwise(coords):
        n = max(1, int(np.ceil(np.hypot(*(q - p)) / step)))
        t = (np.arange(1, n + 1) / n)[:, None]
        out.append(p + (q - p) * t)
    return np.concatenate(out)


class PointSet:
    """Cells burnt by a set of points (m, X/Y), stored as sorted global (row, col) indices."""

    def __init__(self, xy: np.ndarray):
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        rc = np.floor(xy[:, ::-1] / CELL).astype(np.int64) + _OFF
        key = np.unique((rc[:, 0] << 32) | rc[:, 1])
        self.rows, self.cols = (key >> 32) - _OFF, (key & 0xFFFFFFFF) - _OFF

    def burn(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Boolean window ``rows r0:r1, cols c0:c1`` (global indices), True on burnt cells."""
        out = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        k = (self.rows >= r0) & (self.rows < r1) & (self.cols >= c0) & (self.cols < c1)
        out[self.rows[k] - r0, self.cols[k] - c0] = True
        return out


def windowed_distance(
    points: PointSet, r0: int, r1: int, c0: int, c1: int, *, cap_m: float
) -> np.ndarray:
    """Euclidean distance (m, cell centre to burnt cell centre) capped at ``cap_m``, for one window.

    The burn is taken on the window enlarged by ``ceil(cap_m / CELL)`` cells, so every value below
    the cap equals the exact distance transform of the whole plane: tiles agree at seams.
    """
    halo = int(np.ceil(cap_m / CELL)) + 1
    burnt = points.burn(r0 - halo, r1 + halo, c0 - halo, c1 + halo)
    if not burnt.any():
        return np.full((r1 - r0, c1 - c0), cap_m, dtype=np.float64)
    d = ndimage.distance_transform_edt(~burnt, sampling=CELL)[halo:-halo, halo:-halo]
    return np.minimum(d, cap_m)
