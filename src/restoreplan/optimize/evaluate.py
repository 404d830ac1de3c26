"""Marxan's score of a selection and its feature penalties, exactly as Marxan 4.0.6 defines them.

With :math:`x_i \\in \\{0,1\\}`, :math:`H_j = \\sum_i a_{ij} x_i` and the occurrences
:math:`O_j = \\#\\{i : x_i = 1, a_{ij} > 0\\}`:

.. math::

    \\text{Score} &= \\text{Cost} + BLM\\cdot\\text{Connectivity} + \\text{Penalty} \\\\
    \\text{Cost} &= \\sum_i c_i x_i \\\\
    \\text{Connectivity} &= \\sum_i x_i\\,(f_i + \\sum_{k: x_k = 0} b_{ik})
        \\quad(\\text{unweighted boundary length}) \\\\
    \\text{Penalty} &= \\sum_j SPF_j\\,P_j\\,g_j, \\qquad
    g_j = \\frac{\\max(0, T_j - H_j)}{T_j}\\ [T_j > 0]
        + \\frac{\\max(0, O^T_j - O_j)}{O^T_j}\\ [O^T_j > 0],

:math:`g_j` halved when both target types are set. Shortfall :math:`= \\sum_j \\max(0, T_j - H_j)`
(+ occurrence shortfall); Missing = #features with :math:`T_j > 0` and :math:`H_j/T_j <` MISSLEVEL;
MPM = :math:`\\min_j H_j/T_j` over features with targets.

Feature penalty :math:`P_j` (Marxan's non-"optimised" greedy, computed once per problem, independent
of x): unit value :math:`v_i = c_i + BLM(f_i + \\sum_k b_{ik})` (0 → 1e-14); start with
:math:`P_j = \\sum v_i` over **all** locked-in units and :math:`h = \\sum a_{ij}` over them; then
repeatedly scan the unlocked units (status 0/1) holding j in input order, preferring the cheapest
unit that meets the rest of the target alone, else the best amount/value ratio (which may displace
a can-meet candidate), adding its value to :math:`P_j` until :math:`h \\ge T_j`; an unreachable
target scales :math:`P_j \\leftarrow P_j T_j / h`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba as nb
import numpy as np
import scipy.sparse as sp

from ..core.errors import DataError, message

__all__ = ["Evaluation", "as_selection", "evaluate", "marxan_feature_penalties"]


@nb.njit(cache=True)
def _greedy_penalties(indptr, pu_idx, amount, status, value, targets):
    m = targets.size
    out = np.zeros(m)
    base = 0.0
    for i in range(status.size):
        if status[i] == 2:
            base += value[i]
    for j in range(m):
        t = targets[j]
        if t <= 0:
            out[j] = 0.0
            continue
        held = 0.0
        pen = base
        s, e = indptr[j], indptr[j + 1]
        for q in range(s, e):
            if status[pu_idx[q]] == 2:
                held += amount[q]
        taken = np.zeros(e - s, np.bool_)
        while held < t:
            best = -1
            fbest = 0.0
            bestratio = 0.0
            canmeet = False
            for q in range(s, e):
                i = pu_idx[q]
                if taken[q - s] or status[i] >= 2 or amount[q] <= 0:
                    continue
                if amount[q] >= t - held and ((not canmeet) or value[i] < fbest):
                    best = q
                    fbest = value[i]
                    canmeet = True
                elif amount[q] / value[i] > bestratio:
                    best = q
                    fbest = value[i]
                    bestratio = amount[q] / value[i]
            if best < 0:
                break
            taken[best - s] = True
            held += amount[best]
            pen += fbest
        if held < t:
            h = held if held > 0 else 1e-14
            pen = pen * t / h
        out[j] = pen
    return out


def marxan_feature_penalties(problem) -> np.ndarray:
    """Marxan's greedy feature penalties :math:`P_j` (see the module docstring)."""
    A = problem.amounts.tocsr()
    # units in input order within each feature row (Marxan scans pu.dat order)
    A.sort_indices()
    value = np.asarray(problem.cost, dtype=np.float64) + problem.blm * problem.perimeter()
    value = np.where(value == 0, 1e-14, value)
    return _greedy_penalties(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.astype(np.float64),
                             np.asarray(problem.status, dtype=np.int64), value,
                             np.asarray(problem.targets, dtype=np.float64))


@dataclass(frozen=True)
class Evaluation:
    """Marxan's score breakdown of one selection (names follow output_sum.csv)."""

    score: float
    cost: float
    planning_units: int
    connectivity: float
    connectivity_total: float
    connectivity_in: float
    connectivity_edge: float
    connectivity_out: float
    connectivity_in_fraction: float
    penalty: float
    shortfall: float
    missing_values: int
    mpm: float
    held: np.ndarray = field(repr=False)
    occurrences: np.ndarray = field(repr=False)
    feature_penalty: np.ndarray = field(repr=False)
    target_met: np.ndarray = field(repr=False)

    def as_row(self) -> dict:
        """The output_sum.csv columns (without Run_Number)."""
        return {"Score": self.score, "Cost": self.cost, "Planning_Units": self.planning_units,
                "Connectivity": self.connectivity, "Connectivity_Total": self.connectivity_total,
                "Connectivity_In": self.connectivity_in, "Connectivity_Edge": self.connectivity_edge,
                "Connectivity_Out": self.connectivity_out,
                "Connectivity_In_Fraction": self.connectivity_in_fraction, "Penalty": self.penalty,
                "Shortfall": self.shortfall, "Missing_Values": self.missing_values, "MPM": self.mpm}


def as_selection(problem, solution) -> np.ndarray:
    """0/1 int8 vector from a Solution, a 0/1 array in unit order, or a ``{id: 0/1}`` mapping."""
    if hasattr(solution, "x"):
        solution = solution.x
    if isinstance(solution, dict):
        x = np.zeros(problem.n_units, np.int8)
        x[problem.index_of(list(solution))] = np.asarray(list(solution.values())) > 0
        return x
    x = np.asarray(solution)
    if x.shape != (problem.n_units,):
        raise DataError(message("solution", f"{problem.n_units} values (one per unit)", f"shape {x.shape}",
                                "pass a 0/1 vector in planning-unit order"))
    return (x > 0.5).astype(np.int8)


def evaluate(problem, solution) -> Evaluation:
    """Marxan's score breakdown of ``solution`` for ``problem`` (see module docstring).

    Locked units are evaluated as given (a solution that selects a locked-out unit is scored as is).
    """
    x = as_selection(problem, solution)
    xf = x.astype(np.float64)
    cost = float(np.dot(problem.cost, xf))
    ei, ek, eb = problem.edges
    fixed = np.asarray(problem.fixed_boundary)
    xi, xk = x[ei], x[ek]
    cut = xi != xk
    conn = float(np.dot(fixed, xf) + eb[cut].sum())
    total = float(fixed.sum() + eb.sum())
    c_in = float(eb[(xi == 1) & (xk == 1)].sum())
    c_edge = float(eb[cut].sum() + np.dot(fixed, xf))
    c_out = float(eb[(xi == 0) & (xk == 0)].sum() + np.dot(fixed, 1 - xf))
    A = problem.amounts
    held = np.asarray(A @ xf).ravel()
    occ = np.asarray((A > 0).astype(np.float64) @ xf).ravel()
    T = np.asarray(problem.targets, dtype=np.float64)
    OT = np.asarray(problem.occ_targets, dtype=np.float64)
    P = problem.feature_penalty_values()
    spf = np.asarray(problem.spf, dtype=np.float64)
    g, short, _ = _fractions(held, occ, T, OT)
    penalty = float(np.sum(spf * P * g))
    has_t = T > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(has_t, held / np.where(has_t, T, 1), np.inf)
        ro = np.where(OT > 0, occ / np.where(OT > 0, OT, 1), np.inf)
    missing = int(np.sum((r < problem.misslevel) | (ro < problem.misslevel)))
    mpm_vals = np.minimum(r, ro)
    mpm = float(mpm_vals.min()) if mpm_vals.size and np.isfinite(mpm_vals).any() else 1.0
    met = (r >= problem.misslevel) & (ro >= problem.misslevel)
    return Evaluation(score=cost + problem.blm * conn + penalty, cost=cost, planning_units=int(x.sum()),
                      connectivity=conn, connectivity_total=total, connectivity_in=c_in,
                      connectivity_edge=c_edge, connectivity_out=c_out,
                      connectivity_in_fraction=c_in / total if total > 0 else 0.0, penalty=penalty,
                      shortfall=float(short), missing_values=missing, mpm=min(mpm, 1.0) if np.isfinite(mpm) else 1.0,
                      held=held, occurrences=occ, feature_penalty=P, target_met=met)


def _fractions(held, occ, T, OT):
    """Per-feature shortfall fraction g_j (Marxan), total shortfall and amount ratio."""
    has_t, has_o = T > 0, OT > 0
    st = np.where(has_t, np.maximum(0.0, T - held), 0.0)
    so = np.where(has_o, np.maximum(0.0, OT - occ), 0.0)
    g = np.where(has_t, st / np.where(has_t, T, 1), 0.0) + np.where(has_o, so / np.where(has_o, OT, 1), 0.0)
    g = np.where(has_t & has_o, g / 2, g)
    ratio = np.where(has_t, held / np.where(has_t, T, 1), 1.0)
    return g, float(st.sum() + so.sum()), ratio


def selection_frequency(problem, runs) -> np.ndarray:
    """Number of runs selecting each unit (Marxan output_ssoln)."""
    return np.sum([as_selection(problem, r) for r in runs], axis=0).astype(np.int64)


def amounts_matrix(problem) -> sp.csr_matrix:
    """The (features × units) amount matrix as CSR (read-only use)."""
    return problem.amounts.tocsr()
