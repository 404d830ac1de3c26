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


def compile_problem(problem, *, boundary: str = "abs") -> CompiledModel:
    """Build the :class:`CompiledModel` of ``problem`` (see the module docstring)."""
    n = problem.n_units
    kind = problem.objective.kind
    status = np.asarray(problem.status)
    fixed_val = np.where(status == 2, 1.0, np.where(status == 3, 0.0, np.nan))
    is_fixed = ~np.isnan(fixed_val)
    blm = problem.blm
    A_feat = problem.amounts.tocsr()
    m = A_feat.shape[0]
    T = np.asarray(problem.targets, dtype=np.float64)
    OT = np.asarray(problem.occ_targets, dtype=np.float64)
    w = np.ones(m) if problem.objective.weights is None else np.asarray(problem.objective.weights)

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
        cx -= np.asarray(A_feat.T @ w).ravel()

    cols_c = [cx]
    lo = [np.where(status == 2, 1.0, 0.0)]
    hi = [np.where(status == 3, 0.0, 1.0)]
    integ = [np.ones(n, np.int8)]
    blocks = {"x": slice(0, n)}
    nv = n
    ne = edge_index.size
    rows = []        # list of (coo matrix over all vars built later, lower, upper)
    row_blocks = {}
    r0 = 0
    if ne:
        blocks["y"] = slice(nv, nv + ne)
        cols_c.append(blm * eb[edge_index])
        lo.append(np.zeros(ne))
        hi.append(np.ones(ne))
        integ.append(np.zeros(ne, np.int8))
        r = np.arange(ne)
        ii, kk = ei[edge_index], ek[edge_index]
        if boundary == "abs":
            # row 2r:   y - x_i + x_k >= 0 ;  row 2r+1: y + x_i - x_k >= 0
            rr = np.concatenate([2 * r, 2 * r, 2 * r, 2 * r + 1, 2 * r + 1, 2 * r + 1])
            cc = np.concatenate([nv + r, ii, kk, nv + r, ii, kk])
            vv = np.concatenate([np.ones(ne), -np.ones(ne), np.ones(ne), np.ones(ne), np.ones(ne), -np.ones(ne)])
            rows.append((rr + r0, cc, vv, np.zeros(2 * ne), np.full(2 * ne, np.inf)))
        else:
            # product form: z = x_i x_k, rows z - x_i <= 0, z - x_k <= 0; b|x_i-x_k| = b(x_i + x_k - 2z)
            cols_c[-1] = -2.0 * blm * eb[edge_index]
            np.add.at(cx, ii, blm * eb[edge_index])
            np.add.at(cx, kk, blm * eb[edge_index])
            rr = np.concatenate([2 * r, 2 * r, 2 * r + 1, 2 * r + 1])
            cc = np.concatenate([nv + r, ii, nv + r, kk])
            vv = np.concatenate([np.ones(ne), -np.ones(ne), np.ones(ne), -np.ones(ne)])
            rows.append((rr + r0, cc, vv, np.full(2 * ne, -np.inf), np.zeros(2 * ne)))
        row_blocks["boundary"] = slice(r0, r0 + 2 * ne)
        r0 += 2 * ne
        nv += ne

    P = problem.feature_penalty_values() if kind == "marxan" else None
    s_feat = o_feat = z_feat = np.zeros(0, np.int64)
    Acoo = A_feat.tocoo()
    occ_coo = (A_feat > 0).astype(np.float64).tocoo()
    if kind in ("marxan", "min_set"):
        both = (T > 0) & (OT > 0)
        for name, vec, mat in (("targets", T, Acoo), ("occurrence", OT, occ_coo)):
            feats = np.flatnonzero(vec > 0)
            if not feats.size:
                continue
            rmap = np.full(m, -1)
            rmap[feats] = np.arange(feats.size)
            keep = rmap[mat.row] >= 0
            rr, cc, vv = rmap[mat.row[keep]] + r0, mat.col[keep], mat.data[keep]
            if kind == "marxan":
                blk = "s" if name == "targets" else "o"
                blocks[blk] = slice(nv, nv + feats.size)
                coef = np.asarray(problem.spf)[feats] * P[feats] / vec[feats]
                coef = np.where(both[feats], coef / 2, coef)
                cols_c.append(coef)
                lo.append(np.zeros(feats.size))
                hi.append(vec[feats].copy())
                integ.append(np.zeros(feats.size, np.int8))
                rr = np.concatenate([rr, np.arange(feats.size) + r0])
                cc = np.concatenate([cc, nv + np.arange(feats.size)])
                vv = np.concatenate([vv, np.ones(feats.size)])
                nv += feats.size
                if blk == "s":
                    s_feat = feats
                else:
                    o_feat = feats
            rows.append((rr, cc, vv, vec[feats].copy(), np.full(feats.size, np.inf)))
            row_blocks[name] = slice(r0, r0 + feats.size)
            r0 += feats.size
    else:
        budget = problem.objective.budget
        if kind == "max_coverage":
            z_feat = np.flatnonzero(T > 0)
            offset -= float(w[T <= 0].sum())
            nz = z_feat.size
            blocks["z"] = slice(nv, nv + nz)
            cols_c.append(-w[z_feat])
            lo.append(np.zeros(nz))
            hi.append(np.ones(nz))
            integ.append(np.ones(nz, np.int8))
            rmap = np.full(m, -1)
            rmap[z_feat] = np.arange(nz)
            keep = rmap[Acoo.row] >= 0
            rr = np.concatenate([rmap[Acoo.row[keep]], np.arange(nz)]) + r0
            cc = np.concatenate([Acoo.col[keep], nv + np.arange(nz)])
            vv = np.concatenate([Acoo.data[keep], -T[z_feat]])
            rows.append((rr, cc, vv, np.zeros(nz), np.full(nz, np.inf)))
            row_blocks["targets"] = slice(r0, r0 + nz)
            r0 += nz
            nv += nz
        rows.append((np.full(n, r0), np.arange(n), np.asarray(problem.cost, dtype=np.float64),
                     np.array([-np.inf]), np.array([np.inf if budget is None else float(budget)])))
        row_blocks["budget"] = slice(r0, r0 + 1)
        r0 += 1

    if rows:
        rr = np.concatenate([r[0] for r in rows])
        cc = np.concatenate([r[1] for r in rows])
        vv = np.concatenate([r[2] for r in rows])
        A = sp.csr_matrix((vv, (rr, cc)), shape=(r0, nv))
        A.sum_duplicates()
        rl = np.concatenate([r[3] for r in rows])
        ru = np.concatenate([r[4] for r in rows])
    else:
        A = sp.csr_matrix((0, nv))
        rl = ru = np.zeros(0)
    sign = -1.0 if kind in ("max_utility", "max_coverage") else 1.0
    model = CompiledModel(c=np.concatenate(cols_c), offset=offset, A=A, row_lower=rl, row_upper=ru,
                          col_lower=np.concatenate(lo), col_upper=np.concatenate(hi),
                          integrality=np.concatenate(integ), blocks=blocks, row_blocks=row_blocks,
                          edge_index=edge_index, sign=sign, boundary_form=boundary)
    object.__setattr__(model, "_s_feat", s_feat)
    object.__setattr__(model, "_o_feat", o_feat)
    object.__setattr__(model, "_z_feat", z_feat)
    return model
