"""Compile a :class:`~restoreplan.optimize.problem.Problem` to a solver-neutral sparse model.

The model is

.. math::  \\min\\ c^\\top v + c_0 \\quad\\text{s.t.}\\quad r^L \\le A v \\le r^U,\\ \\ l \\le v \\le u,
           \\ \\ v_k \\in \\mathbb{Z}\\ (k \\in I)

with variables, in this order:

* :math:`x_i \\in \\{0,1\\}` for every unit (locked in: :math:`l = u = 1`; locked out: :math:`l = u = 0`);
* :math:`y_e \\in [0, 1]` for every boundary edge :math:`e = (i,k)` with :math:`b_e > 0`, BLM > 0 and
  both ends free, with rows :math:`y_e - x_i + x_k \\ge 0` and :math:`y_e + x_i - x_k \\ge 0`, so that at
  the optimum :math:`y_e = |x_i - x_k|`. Edges with a locked end are linear in the free end
  (:math:`|x_i - 1| = 1 - x_i`, :math:`|x_i - 0| = x_i`) and edges with both ends locked are constants
  (folded into :math:`c_0`);
* ``marxan``: shortfalls :math:`s_j \\in [0, T_j]` with rows :math:`\\sum_i a_{ij} x_i + s_j \\ge T_j`
  and cost :math:`SPF_j P_j / T_j` (and occurrence shortfalls :math:`o_j \\in [0, O^T_j]`,
  :math:`\\sum_{i: a_{ij}>0} x_i + o_j \\ge O^T_j`, cost :math:`SPF_j P_j / O^T_j`; both costs halved when
  a feature has both target types), so the objective equals Marxan's Score exactly;
* ``min_set``: hard rows :math:`\\sum_i a_{ij} x_i \\ge T_j` (and occurrence rows);
* ``max_utility``: cost :math:`-w_j a_{ij}` on :math:`x_i`; budget row :math:`\\sum_i c_i x_i \\le B`;
* ``max_coverage``: :math:`z_j \\in \\{0,1\\}` per feature with :math:`T_j > 0`, rows
  :math:`\\sum_i a_{ij} x_i - T_j z_j \\ge 0`, cost :math:`-w_j`; budget row.

Objective coefficient of :math:`x_i` (min kinds): :math:`c_i + BLM f_i` (+ linearized locked-edge
terms); for the max kinds only the boundary part. Maximizations are stored as minimizations of the
negated objective (``sign = -1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["CompiledModel", "compile_problem"]


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """A solver-neutral MIP: ``min c·v + offset`` s.t. ``row_lower ≤ A v ≤ row_upper``, bounds, integrality.

    ``blocks`` maps variable-block names (``x``, ``y``, ``s``, ``o``, ``z``) to slices of ``v``;
    ``row_blocks`` does the same for rows (``boundary``, ``targets``, ``occurrence``, ``budget``);
    ``edge_index`` gives, for each ``y`` variable, the index of its edge in ``problem.edges``;
    ``sign`` is -1 when the problem is a maximization (reported objective = sign · model objective).
    """

    c: np.ndarray
    offset: float
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    blocks: dict = field(default_factory=dict)
    row_blocks: dict = field(default_factory=dict)
    edge_index: np.ndarray | None = None
    sign: float = 1.0
    boundary_form: str = "abs"

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return int(self.c.size)

    @property
    def n_rows(self) -> int:
        """Number of constraint rows."""
        return int(self.A.shape[0])

    def objective(self, v: np.ndarray) -> float:
        """Model objective :math:`c^\\top v + c_0` (in minimization form)."""
        return float(self.c @ v + self.offset)

    def complete(self, x: np.ndarray, problem) -> np.ndarray:
        """The full variable vector implied by a unit selection ``x`` (optimal auxiliaries)."""
        v = np.zeros(self.n_vars)
        xs = np.asarray(x, dtype=np.float64)
        v[self.blocks["x"]] = xs
        if "y" in self.blocks and self.edge_index is not None and self.edge_index.size:
            ei, ek, _ = problem.edges
            xi, xk = xs[ei[self.edge_index]], xs[ek[self.edge_index]]
            v[self.blocks["y"]] = np.abs(xi - xk) if self.boundary_form == "abs" else xi * xk
        held = np.asarray(problem.amounts @ xs).ravel()
        occ = np.asarray((problem.amounts > 0).astype(np.float64) @ xs).ravel()
        if "s" in self.blocks:
            j = self._s_feat
            v[self.blocks["s"]] = np.maximum(0.0, np.asarray(problem.targets)[j] - held[j])
        if "o" in self.blocks:
            j = self._o_feat
            v[self.blocks["o"]] = np.maximum(0.0, np.asarray(problem.occ_targets)[j] - occ[j])
        if "z" in self.blocks:
            j = self._z_feat
            v[self.blocks["z"]] = (held[j] >= np.asarray(problem.targets)[j] * (1 - 1e-9)).astype(float)
        return v


class _Builder:
    """Collects variable blocks (costs, bounds, integrality) and row blocks (COO triplets, row bounds)
    in the order they are added; :meth:`model` assembles the :class:`CompiledModel`."""

    def __init__(self):
        self.costs, self.lower, self.upper, self.integer = [], [], [], []
        self.blocks, self.row_blocks = {}, {}
        self.rows = []        # (row, col, value, row lower, row upper), rows numbered over all blocks
        self.nv = self.nr = 0

    def cols(self, name, cost, lower, upper, integer: bool) -> int:
        """Append a block of ``len(cost)`` variables; return the index of its first one."""
        k = len(cost)
        self.blocks[name] = slice(self.nv, self.nv + k)
        self.costs.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(np.full(k, 1 if integer else 0, np.int8))
        self.nv += k
        return self.nv - k

    def rows_(self, name, rr, cc, vv, lower, upper) -> None:
        """Append a block of ``len(lower)`` rows; ``rr`` counts from 0 within the block."""
        k = len(lower)
        self.rows.append((np.asarray(rr) + self.nr, cc, vv, lower, upper))
        self.row_blocks[name] = slice(self.nr, self.nr + k)
        self.nr += k

    def model(self, *, offset, edge_index, sign, boundary) -> CompiledModel:
        if self.rows:
            rr, cc, vv, rl, ru = (np.concatenate([r[i] for r in self.rows]) for i in range(5))
            A = sp.csr_matrix((vv, (rr, cc)), shape=(self.nr, self.nv))
            A.sum_duplicates()
        else:
            A = sp.csr_matrix((0, self.nv))
            rl = ru = np.zeros(0)
        return CompiledModel(c=np.concatenate(self.costs), offset=offset, A=A, row_lower=rl, row_upper=ru,
                             col_lower=np.concatenate(self.lower), col_upper=np.concatenate(self.upper),
                             integrality=np.concatenate(self.integer), blocks=self.blocks,
                             row_blocks=self.row_blocks, edge_index=edge_index, sign=sign, boundary_form=boundary)


def _unit_costs(problem, fixed_val: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Objective coefficients of the units ``x``, the constant ``c_0``, and the indices of the edges
    that need a ``y`` variable (both ends free): locked-end edges are folded into ``c`` and ``c_0``."""
    kind, blm, n = problem.objective.kind, problem.blm, problem.n_units
    is_fixed = ~np.isnan(fixed_val)
    cx = np.asarray(problem.cost, dtype=np.float64).copy() if kind in ("marxan", "min_set") else np.zeros(n)
    offset = 0.0
    cx += blm * np.asarray(problem.fixed_boundary)
    ei, ek, eb = (np.asarray(v) for v in problem.edges)
    use = eb > 0
    if blm > 0 and use.any():
        fi, fk = is_fixed[ei], is_fixed[ek]
        both = use & fi & fk
        offset += float(blm * np.sum(eb[both] * np.abs(fixed_val[ei[both]] - fixed_val[ek[both]])))
        for a, b, sel in ((ei, ek, use & ~fi & fk), (ek, ei, use & fi & ~fk)):
            one = fixed_val[b[sel]] == 1.0
            np.add.at(cx, a[sel][~one], blm * eb[sel][~one])
            np.add.at(cx, a[sel][one], -blm * eb[sel][one])
            offset += float(blm * eb[sel][one].sum())
        edge_index = np.flatnonzero(use & ~fi & ~fk)
    else:
        edge_index = np.zeros(0, np.int64)
    if kind == "max_utility":
        w = _weights(problem)
        cx -= np.asarray(problem.amounts.tocsr().T @ w).ravel()
    return cx, offset, edge_index


def _weights(problem) -> np.ndarray:
    m = problem.amounts.shape[0]
    return np.ones(m) if problem.objective.weights is None else np.asarray(problem.objective.weights)


def _boundary_block(b: _Builder, problem, cx: np.ndarray, edge_index: np.ndarray, x0: int, boundary: str) -> None:
    """``y_e`` variables and their two rows per free edge (``abs``: y ≥ |x_i − x_k|; ``product``:
    y = x_i x_k, with the linear part of b|x_i − x_k| moved into ``cx``)."""
    ne = edge_index.size
    if not ne:
        return
    blm = problem.blm
    ei, ek, eb = (np.asarray(v) for v in problem.edges)
    ii, kk = ei[edge_index], ek[edge_index]
    r = np.arange(ne)
    if boundary == "abs":
        y0 = b.cols("y", blm * eb[edge_index], np.zeros(ne), np.ones(ne), integer=False)
        # row 2r:   y - x_i + x_k >= 0 ;  row 2r+1: y + x_i - x_k >= 0
        rr = np.concatenate([2 * r, 2 * r, 2 * r, 2 * r + 1, 2 * r + 1, 2 * r + 1])
        cc = np.concatenate([y0 + r, ii + x0, kk + x0, y0 + r, ii + x0, kk + x0])
        vv = np.concatenate([np.ones(ne), -np.ones(ne), np.ones(ne), np.ones(ne), np.ones(ne), -np.ones(ne)])
        b.rows_("boundary", rr, cc, vv, np.zeros(2 * ne), np.full(2 * ne, np.inf))
    else:
        # product form: z = x_i x_k, rows z - x_i <= 0, z - x_k <= 0; b|x_i-x_k| = b(x_i + x_k - 2z)
        y0 = b.cols("y", -2.0 * blm * eb[edge_index], np.zeros(ne), np.ones(ne), integer=False)
        np.add.at(cx, ii, blm * eb[edge_index])
        np.add.at(cx, kk, blm * eb[edge_index])
        rr = np.concatenate([2 * r, 2 * r, 2 * r + 1, 2 * r + 1])
        cc = np.concatenate([y0 + r, ii + x0, y0 + r, kk + x0])
        vv = np.concatenate([np.ones(ne), -np.ones(ne), np.ones(ne), -np.ones(ne)])
        b.rows_("boundary", rr, cc, vv, np.full(2 * ne, -np.inf), np.zeros(2 * ne))


def _target_blocks(b: _Builder, problem) -> dict:
    """``marxan`` / ``min_set``: target and occurrence rows (with shortfall variables ``s``, ``o``
    for ``marxan``). Returns the features of each shortfall block."""
    kind = problem.objective.kind
    A_feat = problem.amounts.tocsr()
    m = A_feat.shape[0]
    T = np.asarray(problem.targets, dtype=np.float64)
    OT = np.asarray(problem.occ_targets, dtype=np.float64)
    P = problem.feature_penalty_values() if kind == "marxan" else None
    feats_of = {"s": np.zeros(0, np.int64), "o": np.zeros(0, np.int64)}
    both = (T > 0) & (OT > 0)
    for name, vec, mat in (("targets", T, A_feat.tocoo()), ("occurrence", OT, (A_feat > 0).astype(np.float64).tocoo())):
        feats = np.flatnonzero(vec > 0)
        if not feats.size:
            continue
        rmap = np.full(m, -1)
        rmap[feats] = np.arange(feats.size)
        keep = rmap[mat.row] >= 0
        rr, cc, vv = rmap[mat.row[keep]], mat.col[keep], mat.data[keep]
        if kind == "marxan":
            blk = "s" if name == "targets" else "o"
            coef = np.asarray(problem.spf)[feats] * P[feats] / vec[feats]
            coef = np.where(both[feats], coef / 2, coef)
            s0 = b.cols(blk, coef, np.zeros(feats.size), vec[feats].copy(), integer=False)
            rr = np.concatenate([rr, np.arange(feats.size)])
            cc = np.concatenate([cc, s0 + np.arange(feats.size)])
            vv = np.concatenate([vv, np.ones(feats.size)])
            feats_of[blk] = feats
        b.rows_(name, rr, cc, vv, vec[feats].copy(), np.full(feats.size, np.inf))
    return feats_of


def _coverage_and_budget_blocks(b: _Builder, problem) -> tuple[np.ndarray, float]:
    """``max_coverage``: ``z_j`` per feature with a target and its row; both max kinds: the budget row.
    Returns the features of ``z`` and the constant for features without a target."""
    n = problem.n_units
    budget = problem.objective.budget
    z_feat, offset = np.zeros(0, np.int64), 0.0
    if problem.objective.kind == "max_coverage":
        T = np.asarray(problem.targets, dtype=np.float64)
        w = _weights(problem)
        Acoo = problem.amounts.tocsr().tocoo()
        z_feat = np.flatnonzero(T > 0)
        offset -= float(w[T <= 0].sum())
        nz = z_feat.size
        z0 = b.cols("z", -w[z_feat], np.zeros(nz), np.ones(nz), integer=True)
        rmap = np.full(T.size, -1)
        rmap[z_feat] = np.arange(nz)
        keep = rmap[Acoo.row] >= 0
        rr = np.concatenate([rmap[Acoo.row[keep]], np.arange(nz)])
        cc = np.concatenate([Acoo.col[keep], z0 + np.arange(nz)])
        vv = np.concatenate([Acoo.data[keep], -T[z_feat]])
        b.rows_("targets", rr, cc, vv, np.zeros(nz), np.full(nz, np.inf))
    b.rows_("budget", np.zeros(n, np.int64), np.arange(n), np.asarray(problem.cost, dtype=np.float64),
            np.array([-np.inf]), np.array([np.inf if budget is None else float(budget)]))
    return z_feat, offset


def compile_problem(problem, *, boundary: str = "abs") -> CompiledModel:
    """Build the :class:`CompiledModel` of ``problem`` (see the module docstring): the units, then the
    boundary block, then the target rows (min kinds) or the coverage and budget rows (max kinds)."""
    kind = problem.objective.kind
    status = np.asarray(problem.status)
    fixed_val = np.where(status == 2, 1.0, np.where(status == 3, 0.0, np.nan))
    cx, offset, edge_index = _unit_costs(problem, fixed_val)
    b = _Builder()
    x0 = b.cols("x", cx, np.where(status == 2, 1.0, 0.0), np.where(status == 3, 0.0, 1.0), integer=True)
    _boundary_block(b, problem, cx, edge_index, x0, boundary)
    z_feat = np.zeros(0, np.int64)
    if kind in ("marxan", "min_set"):
        feats_of = _target_blocks(b, problem)
    else:
        feats_of = {"s": np.zeros(0, np.int64), "o": np.zeros(0, np.int64)}
        z_feat, off = _coverage_and_budget_blocks(b, problem)
        offset += off
    sign = -1.0 if kind in ("max_utility", "max_coverage") else 1.0
    model = b.model(offset=offset, edge_index=edge_index, sign=sign, boundary=boundary)
    object.__setattr__(model, "_s_feat", feats_of["s"])
    object.__setattr__(model, "_o_feat", feats_of["o"])
    object.__setattr__(model, "_z_feat", z_feat)
    return model
