"""numba kernels of CARS (see :mod:`restoreplan.landuse.cars`).

Random numbers come from a counter-based generator: every draw is a hash (splitmix64 finaliser)
of (iteration key, cell index, stream), so results do not depend on thread count or scheduling
and one seed always gives byte-identical maps. The per-iteration keys are drawn by the caller
from an explicit ``np.random.SeedSequence``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_G = np.uint64(0x9E3779B97F4A7C15)
_S = np.uint64(0xD1B54A32D192ED03)
_INV53 = 1.0 / 9007199254740992.0

# streams
ST_R = 0        # seed draw r and (reused) nothing else
ST_WHEEL = 1    # roulette
ST_N1 = 2       # Box-Muller for r1
ST_N2 = 3
ST_THIN = 4     # thinning of proposals
ST_SEEDTHIN = 5


@nb.njit(inline="always", cache=True)
def _u01(key, cell, stream):
    x = key + np.uint64(cell) * _G + np.uint64(stream) * _S
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    x = x ^ (x >> np.uint64(31))
    return float(x >> np.uint64(11)) * _INV53


@nb.njit(cache=True)
def neighbour_counts(lu, ny, nx, K, half):
    """(ny*nx, K) uint8: cells of each class in the (2h+1)² window, centre excluded (lu = -1 nodata)."""
    out = np.zeros((ny * nx, K), dtype=np.uint8)
    for y in range(ny):
        for x in range(nx):
            c = lu[y * nx + x]
            if c < 0:
                continue
            for dy in range(-half, half + 1):
                yy = y + dy
                if yy < 0 or yy >= ny:
                    continue
                for dx in range(-half, half + 1):
                    xx = x + dx
                    if xx < 0 or xx >= nx or (dy == 0 and dx == 0):
                        continue
                    out[yy * nx + xx, c] += 1
    return out


@nb.njit(parallel=True, cache=True)
def propose(cand, lu, prob, nbc, tm, w, dyn, gap, tau_scale, mu, sigma_r1, inv_window, key,
            prop, seedflag, test_combined):
    """Pass 1 (read-only on the map): roulette choice and threshold test for every candidate.

    prop[j] = chosen class index when the conversion passes the tests (else -1);
    seedflag[j] = 1 when the chosen class has no neighbour in the window (a new patch seed).
    Cells where no class with a positive gap has OP > 0 are skipped before the roulette (the
    wheel could only return a class whose conversion is rejected). The tests are written
    without data-dependent branches (random comparisons mispredict).
    """
    K = prob.shape[1]
    n = cand.shape[0]
    block = 8192
    nblocks = (n + block - 1) // block
    ng = 0
    grow = np.empty(K, dtype=np.int64)
    for k in range(K):
        if gap[k] > 0:
            grow[ng] = k
            ng += 1
    cw = np.empty(K)
    for k in range(K):
        cw[k] = inv_window * w[k]
    for b in nb.prange(nblocks):
        ops = np.empty(K, dtype=np.float64)
        for j in range(b * block, min(n, (b + 1) * block)):
            i = cand[j]
            cur = lu[i]
            prop[j] = -1
            seedflag[j] = 0
            r = _u01(key, i, ST_R)
            useful = 0
            for q in range(ng):
                k = grow[q]
                p = prob[i, k]
                useful |= (k != cur) & (tm[cur, k] != 0) & (p > 0.0) & ((nbc[i, k] > 0) | (r < p))
            if useful == 0:
                continue
            tot = 0.0
            for k in range(K):
                p = prob[i, k]
                p = p if p > 0.0 else 0.0  # NaN (driver nodata) -> 0
                adm = 1.0 if (k == cur or tm[cur, k] != 0) else 0.0
                om = nbc[i, k] * cw[k]
                seed = r * mu if r < p else 0.0
                o = p * adm * dyn[k] * (om if om > 0.0 else seed)
                ops[k] = o
                tot += o
            u = _u01(key, i, ST_WHEEL) * tot
            c = -1
            acc = 0.0
            for k in range(K):
                if ops[k] > 0.0:
                    c = k
                    acc += ops[k]
                    if u < acc:
                        break
            if c == cur or gap[c] <= 0 or gap[cur] >= 0:
                continue
            u1 = _u01(key, i, ST_N1)
            u2 = _u01(key, i, ST_N2)
            z = np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * np.pi * u2)
            r1 = 1.0 + sigma_r1 * z
            if r1 < 0.0:
                r1 = 0.0
            elif r1 > 2.0:
                r1 = 2.0
            tv = ops[c] / dyn[c] if test_combined else prob[i, c]
            if tv > tau_scale * r1:
                prop[j] = c
                if nbc[i, c] == 0:
                    seedflag[j] = 1


@nb.njit(inline="always", cache=True)
def _move_neighbours(nbc, i, s, c, ny, nx, half):
    """Cell ``i`` changed from class ``s`` to ``c``: update the window counts of its neighbours."""
    y = i // nx
    x = i - y * nx
    for dy in range(-half, half + 1):
        yy = y + dy
        if yy < 0 or yy >= ny:
            continue
        for dx in range(-half, half + 1):
            xx = x + dx
            if xx < 0 or xx >= nx or (dy == 0 and dx == 0):
                continue
            q = yy * nx + xx
            nbc[q, s] -= 1
            nbc[q, c] += 1


@nb.njit(cache=True)
def apply(cand, prop, seedflag, lu, nbc, counts, demand, key, seed_budget, ny, nx, half, kcls):
    """Pass 2: thin proposals so no class passes its demand, then update map, counts and windows.

    Proposals to class c are kept with probability min(1, G_c / n_to_c) and those from class s with
    min(1, surplus_s / n_from_s); seeds with min(1, budget / n_seed). A final sequential check keeps
    every class exactly within its demand. Returns (changed cells, seeds planted).
    """
    K = kcls
    n_to = np.zeros(K, dtype=np.int64)
    n_from = np.zeros(K, dtype=np.int64)
    n_seed = 0
    for j in range(cand.shape[0]):
        c = prop[j]
        if c >= 0:
            n_to[c] += 1
            n_from[lu[cand[j]]] += 1
            n_seed += seedflag[j]
    a_to = np.ones(K)
    a_from = np.ones(K)
    for k in range(K):
        g = demand[k] - counts[k]
        if n_to[k] > 0 and g < n_to[k]:
            a_to[k] = max(g, 0) / n_to[k]
        if n_from[k] > 0 and -g < n_from[k]:
            a_from[k] = max(-g, 0) / n_from[k]
    a_seed = 1.0
    if n_seed > seed_budget:
        a_seed = seed_budget / n_seed
    changed = 0
    seeds = 0
    for j in range(cand.shape[0]):
        c = prop[j]
        if c < 0:
            continue
        i = cand[j]
        s = lu[i]
        a = a_to[c] * a_from[s]
        if seedflag[j] == 1:
            a *= a_seed
        if _u01(key, i, ST_THIN) >= a:
            prop[j] = -1
            continue
        if counts[c] >= demand[c] or counts[s] <= demand[s] or (seedflag[j] == 1 and seeds >= seed_budget):
            prop[j] = -1
            continue
        counts[c] += 1
        counts[s] -= 1
        seeds += seedflag[j]
        changed += 1
    # synchronous update: neighbourhoods were read from the old map during pass 1
    for j in range(cand.shape[0]):
        c = prop[j]
        if c < 0:
            continue
        i = cand[j]
        s = lu[i]
        lu[i] = c
        _move_neighbours(nbc, i, s, c, ny, nx, half)
    return changed, seeds


@nb.njit(cache=True)
def compact(cand, lu, gap):
    """Keep candidates whose class is still above its demand (gap < 0); returns the new length."""
    m = 0
    for j in range(cand.shape[0]):
        i = cand[j]
        if gap[lu[i]] < 0:
            cand[m] = i
            m += 1
    return m


@nb.njit(cache=True)
def complete(order_cells, order_class, lu, nbc, counts, demand, ny, nx, half):
    """Demand completion: walk (cell, class) pairs in decreasing score and convert while the target
    class still needs cells and the cell's class is above its demand. Returns cells changed."""
    changed = 0
    for j in range(order_cells.shape[0]):
        i = order_cells[j]
        c = order_class[j]
        s = lu[i]
        if s == c or counts[c] >= demand[c] or counts[s] <= demand[s]:
            continue
        counts[c] += 1
        counts[s] -= 1
        lu[i] = c
        changed += 1
        _move_neighbours(nbc, i, s, c, ny, nx, half)
    return changed


@nb.njit(cache=True)
def rank_assign(order_cells, order_class, lu, counts, demand):
    """Probability ranking: walk (cell, class) pairs in the given order and convert while the target
    class still needs cells and the cell's class is above its demand (each cell at most once).
    Returns cells changed."""
    changed = 0
    for j in range(order_cells.shape[0]):
        i = order_cells[j]
        c = order_class[j]
        s = lu[i]
        if s == c or counts[c] >= demand[c] or counts[s] <= demand[s]:
            continue
        counts[c] += 1
        counts[s] -= 1
        lu[i] = c
        changed += 1
    return changed


@nb.njit(parallel=True, cache=True)
def frontier_scores(cand, lu, prob, nbc, tm, k, weight, eps, inv_window, out):
    """Score of class ``k`` for every candidate: ``P_ik + eps·w_k·Ω_ik`` with Ω_ik the share of
    ``k`` in the window (centre excluded) on the *current* map; −1 where the conversion is not
    admissible (already ``k``, forbidden by the conversion matrix, or P_ik ≤ 0 / NaN)."""
    for j in nb.prange(cand.shape[0]):
        i = cand[j]
        s = lu[i]
        p = prob[i, k]
        if s == k or tm[s, k] == 0 or not (p > 0.0):
            out[j] = -1.0
        else:
            out[j] = p + eps * weight * nbc[i, k] * inv_window
