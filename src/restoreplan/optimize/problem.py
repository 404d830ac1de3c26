"""The immutable spatial-prioritization problem builder (prioritizr style, Marxan semantics).

A :class:`Problem` holds planning units ``i = 0..n-1`` (ids, cost ``c_i``, status ``s_i``),
features ``j = 0..m-1`` (a sparse amount matrix ``a_ij``), targets ``T_j``, boundary lengths and
the chosen objective and solver. Every builder method returns a new problem
(:func:`dataclasses.replace`); nothing is mutated::

    p = (Problem(ids, cost, status=status)
         .add_features(amounts, ids=spec_ids, names=names)
         .relative_targets(0.3)
         .add_boundary(id1, id2, length)
         .boundary_penalty(1.0)
         .marxan_objective(spf=25)
         .solver("anneal", time_limit=60, seed=1))
    sol = p.solve()

Status codes (Marxan): 0 free; 1 in the *initial* reserve only (removable); 2 locked in
(:math:`x_i = 1`); 3 locked out (:math:`x_i = 0`).

Boundary model (Marxan "connectivity"): with a symmetric shared length :math:`b_{ik}` and a fixed
("irremovable", self-boundary) length :math:`f_i`,

.. math::  B(x) = \\sum_i x_i f_i + \\sum_{i<k} b_{ik} |x_i - x_k|

(the perimeter of the selection, counting the fixed part of every selected unit).

Objectives (see :mod:`restoreplan.optimize.compile` for the linear models):

* ``marxan``: :math:`\\min \\sum_i c_i x_i + BLM\\,B(x) + \\sum_j SPF_j FPF_j \\max(0, T_j - H_j)/T_j`
  with :math:`H_j = \\sum_i a_{ij} x_i` and :math:`FPF_j` Marxan's greedy feature penalty;
* ``min_set``: :math:`\\min \\sum_i c_i x_i + BLM\\,B(x)` s.t. :math:`H_j \\ge T_j` (hard targets);
* ``max_utility``: :math:`\\max \\sum_j w_j H_j - BLM\\,B(x)` s.t. :math:`\\sum_i c_i x_i \\le` budget;
* ``max_coverage``: :math:`\\max \\sum_j w_j z_j - BLM\\,B(x)` s.t. :math:`H_j \\ge T_j z_j`,
  :math:`z_j \\in \\{0,1\\}`, budget.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..core.errors import ConfigError, DataError, InfeasibleError, RestorePlanWarning, message

__all__ = ["OBJECTIVES", "Objective", "Problem", "SolverSpec"]

OBJECTIVES = ("marxan", "min_set", "max_utility", "max_coverage")


@dataclass(frozen=True)
class Objective:
    """An objective component: ``kind`` in :data:`OBJECTIVES`; ``budget`` for the max_* kinds;
    ``weights`` (per feature) for the max_* kinds (default 1)."""

    kind: str = "marxan"
    budget: float | None = None
    weights: tuple[float, ...] | None = None


@dataclass(frozen=True)
class SolverSpec:
    """Solver name and its options (stored as a sorted tuple so the spec is hashable)."""

    name: str = "auto"
    options: tuple[tuple[str, Any], ...] = ()

    def opts(self) -> dict[str, Any]:
        """Options as a dict."""
        return dict(self.options)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def _mask_to_index(p: Problem, units, name: str) -> np.ndarray:
    """Accept a boolean mask over units or a list of unit *ids*; return integer positions."""
    arr = np.asarray(units)
    if arr.dtype == bool:
        if arr.shape != (p.n_units,):
            raise DataError(message(name, f"a boolean mask of length {p.n_units}", f"shape {arr.shape}",
                                    "pass one value per planning unit, in unit order"))
        return np.flatnonzero(arr)
    arr = arr.astype(np.int64).ravel()
    pos = np.searchsorted(p._sorted_ids, arr)
    pos = np.clip(pos, 0, p.n_units - 1)
    bad = p._sorted_ids[pos] != arr
    if bad.any():
        raise DataError(message(name, "planning-unit ids present in the problem",
                                f"unknown ids {arr[bad][:5].tolist()}", "check the ids against pu.dat"))
    return p._sorted_pos[pos]


@dataclass(frozen=True, eq=False)
class Problem:
    """A spatial prioritization problem (immutable; see the module docstring for the model).

    Parameters
    ----------
    ids : array of int, shape (n,)
        Planning-unit ids (unique).
    cost : array of float, shape (n,)
        Unit costs :math:`c_i` (Marxan requires them finite; zero is allowed).
    status : array of int, shape (n,), optional
        0 free, 1 initial reserve, 2 locked in, 3 locked out (default all 0).
    """

    ids: np.ndarray
    cost: np.ndarray
    status: np.ndarray | None = None
    feature_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    feature_names: tuple[str, ...] = ()
    amounts: sp.csr_matrix | None = None          # (m, n)
    targets: np.ndarray | None = None             # absolute T_j, (m,)
    occ_targets: np.ndarray | None = None         # occurrence targets (Marxan targetocc), (m,)
    spf: np.ndarray | None = None                 # species penalty factors, (m,)
    penalties: np.ndarray | None = None           # user feature penalties P_j (else Marxan greedy)
    edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (i, k, b) i<k, unique
    fixed_boundary: np.ndarray | None = None      # (n,)
    blm: float = 0.0
    objective: Objective = Objective()
    solver_spec: SolverSpec = SolverSpec()
    misslevel: float = 1.0

    def __post_init__(self):
        ids = np.asarray(self.ids, dtype=np.int64).ravel()
        cost = np.asarray(self.cost, dtype=np.float64).ravel()
        n = ids.size
        problems = []
        if cost.shape != (n,):
            problems.append(message("cost", f"{n} values (one per unit)", f"{cost.size}", "pass one cost per id"))
        elif not np.isfinite(cost).all():
            problems.append(message("cost", "finite costs", "NaN or inf", "fill missing costs"))
        if np.unique(ids).size != n:
            problems.append(message("ids", "unique planning-unit ids", "duplicates", "remove duplicate rows in pu.dat"))
        st = np.zeros(n, np.int8) if self.status is None else np.asarray(self.status).astype(np.int64).ravel()
        if st.shape != (n,) or not np.isin(st, (0, 1, 2, 3)).all():
            problems.append(message("status", "codes 0, 1, 2 or 3, one per unit", f"{np.unique(st)[:6].tolist()}",
                                    "use 0 free, 1 initial, 2 locked in, 3 locked out"))
        if problems:
            raise ConfigError(problems[0], problems)
        object.__setattr__(self, "ids", _ro(ids))
        object.__setattr__(self, "cost", _ro(cost))
        object.__setattr__(self, "status", _ro(st.astype(np.int8)))
        order = np.argsort(ids, kind="stable")
        object.__setattr__(self, "_sorted_ids", ids[order])
        object.__setattr__(self, "_sorted_pos", order)
        if self.amounts is None:
            object.__setattr__(self, "amounts", sp.csr_matrix((0, n)))
        if self.fixed_boundary is None:
            object.__setattr__(self, "fixed_boundary", _ro(np.zeros(n)))
        if self.edges is None:
            z = np.zeros(0, np.int64)
            object.__setattr__(self, "edges", (_ro(z), _ro(z.copy()), _ro(np.zeros(0))))
        m = self.amounts.shape[0]
        for name, default in (("targets", 0.0), ("occ_targets", 0.0), ("spf", 1.0)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, _ro(np.full(m, default)))

    # ------------------------------------------------------------------ sizes
    @property
    def n_units(self) -> int:
        """Number of planning units."""
        return int(self.ids.size)

    @property
    def n_features(self) -> int:
        """Number of features."""
        return int(self.amounts.shape[0])

    def index_of(self, ids) -> np.ndarray:
        """Positions of planning-unit ``ids``."""
        return _mask_to_index(self, np.asarray(ids, dtype=np.int64), "ids")

    # ------------------------------------------------------------------ builders
    def add_features(self, amounts, *, ids=None, names=None) -> Problem:
        """Set the feature amounts :math:`a_{ij}` (dense (m, n), or any scipy sparse (m, n)).

        Negative amounts are rejected; explicit zeros are dropped.
        """
        A = sp.csr_matrix(amounts, dtype=np.float64)
        if A.ndim != 2 or A.shape[1] != self.n_units:
            raise DataError(message("amounts", f"a (features, {self.n_units}) matrix", f"shape {A.shape}",
                                    "one row per feature, one column per planning unit"))
        if A.nnz and (A.data < 0).any() or not np.isfinite(A.data).all():
            raise DataError(message("amounts", "finite non-negative amounts", "negative or NaN values",
                                    "fix puvspr.dat / the feature layers"))
        A.sum_duplicates()
        A.eliminate_zeros()
        m = A.shape[0]
        fid = np.arange(1, m + 1, dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        nm = tuple(str(v) for v in fid) if names is None else tuple(str(v) for v in names)
        if fid.shape != (m,) or len(nm) != m:
            raise DataError(message("ids/names", f"{m} feature ids and names", f"{fid.size} and {len(nm)}",
                                    "give one id and name per feature row"))
        return dataclasses.replace(self, amounts=A, feature_ids=_ro(fid), feature_names=nm,
                                   targets=None, occ_targets=None, spf=None, penalties=None)

    def _per_feature(self, v, name: str) -> np.ndarray:
        arr = np.broadcast_to(np.asarray(v, dtype=np.float64), (self.n_features,)).copy()
        if not np.isfinite(arr).all():
            raise DataError(message(name, "finite values, one per feature", "NaN/inf", "fill the missing values"))
        return arr

    def absolute_targets(self, targets) -> Problem:
        """Targets :math:`T_j` in feature units (scalar or one per feature); negative → 0 (as Marxan)."""
        t = np.maximum(self._per_feature(targets, "targets"), 0.0)
        return dataclasses.replace(self, targets=_ro(t))

    def relative_targets(self, prop) -> Problem:
        """Targets :math:`T_j = p_j \\sum_i a_{ij}` over **all** units, locked-out included (Marxan)."""
        p = self._per_feature(prop, "prop")
        if (p < 0).any() or (p > 1).any():
            raise DataError(message("prop", "proportions in [0, 1]", f"{p.min()}..{p.max()}", "use e.g. 0.3"))
        total = np.asarray(self.amounts.sum(axis=1)).ravel()
        return dataclasses.replace(self, targets=_ro(p * total))

    def occurrence_targets(self, targets) -> Problem:
        """Marxan ``targetocc``: number of selected units holding feature j (0 = none)."""
        return dataclasses.replace(self, occ_targets=_ro(np.maximum(self._per_feature(targets, "targetocc"), 0)))

    def feature_penalty_factors(self, spf) -> Problem:
        """Species penalty factors SPF_j (scalar or one per feature); negative → 1 (as Marxan)."""
        s = self._per_feature(spf, "spf")
        s[s < 0] = 1.0
        return dataclasses.replace(self, spf=_ro(s))

    def feature_penalties(self, penalties) -> Problem:
        """User feature penalties P_j replacing Marxan's greedy estimate (Marxan PENALTYNAME)."""
        return dataclasses.replace(self, penalties=_ro(self._per_feature(penalties, "penalties")))

    def add_boundary(self, id1, id2, length, *, by="id") -> Problem:
        """Boundary table rows (Marxan bound.dat semantics), added to any existing boundary.

        ``id1 == id2`` adds to the unit's fixed boundary (repeats summed); otherwise the unordered
        pair is an edge and a repeat of the same pair (either order) is ignored (first row wins).
        ``by="index"`` takes 0-based positions instead of ids.
        """
        ln = np.asarray(length, dtype=np.float64).ravel()
        if by == "id":
            a = _mask_to_index(self, np.asarray(id1, dtype=np.int64), "id1")
            b = _mask_to_index(self, np.asarray(id2, dtype=np.int64), "id2")
        else:
            a = np.asarray(id1, dtype=np.int64).ravel()
            b = np.asarray(id2, dtype=np.int64).ravel()
        if not (a.size == b.size == ln.size) or not np.isfinite(ln).all():
            raise DataError(message("boundary", "three equal-length columns id1, id2, boundary with finite values",
                                    f"lengths {a.size}, {b.size}, {ln.size}", "check bound.dat"))
        fixed = np.array(self.fixed_boundary, dtype=np.float64)
        self_rows = a == b
        np.add.at(fixed, a[self_rows], ln[self_rows])
        ei, ek, eb = (np.asarray(v) for v in self.edges)
        lo = np.concatenate([ei, np.minimum(a, b)[~self_rows]])
        hi = np.concatenate([ek, np.maximum(a, b)[~self_rows]])
        bl = np.concatenate([eb, ln[~self_rows]])
        key = lo * np.int64(self.n_units) + hi
        _, first = np.unique(key, return_index=True)   # first occurrence wins
        first.sort()
        return dataclasses.replace(self, edges=(_ro(lo[first]), _ro(hi[first]), _ro(bl[first])),
                                   fixed_boundary=_ro(fixed))

    def boundary_penalty(self, blm: float) -> Problem:
        """Boundary length modifier BLM ≥ 0 (weight of the boundary length in the objective)."""
        if not np.isfinite(blm) or blm < 0:
            raise DataError(message("blm", "a finite BLM ≥ 0", repr(blm), "use e.g. 1.0, or 0 to ignore boundaries"))
        return dataclasses.replace(self, blm=float(blm))

    def _set_status(self, idx: np.ndarray, code: int) -> Problem:
        st = np.array(self.status)
        st[idx] = code
        return dataclasses.replace(self, status=st)

    def lock_in(self, units) -> Problem:
        """Lock units in (status 2); ``units`` is a boolean mask or a list of ids."""
        return self._set_status(_mask_to_index(self, units, "lock_in"), 2)

    def lock_out(self, units) -> Problem:
        """Lock units out (status 3); ``units`` is a boolean mask or a list of ids."""
        return self._set_status(_mask_to_index(self, units, "lock_out"), 3)

    def initial_reserve(self, units) -> Problem:
        """Mark units as the initial reserve (status 1: a starting point only, not a constraint)."""
        return self._set_status(_mask_to_index(self, units, "initial_reserve"), 1)

    def missing_level(self, level: float) -> Problem:
        """Marxan MISSLEVEL: a feature counts as missing when :math:`H_j/T_j <` level."""
        return dataclasses.replace(self, misslevel=float(level))

    def _objective(self, obj: Objective) -> Problem:
        if self.objective != Objective() and self.objective.kind != obj.kind:
            warnings.warn(f"replacing objective {self.objective.kind!r} with {obj.kind!r}", RestorePlanWarning,
                          stacklevel=3)
        return dataclasses.replace(self, objective=obj)

    def marxan_objective(self, *, spf=None) -> Problem:
        """Marxan's score: cost + BLM·boundary + Σ SPF_j·FPF_j·shortfall_j/T_j (soft targets)."""
        p = self if spf is None else self.feature_penalty_factors(spf)
        return p._objective(Objective("marxan"))

    def minimize_cost(self) -> Problem:
        """Minimum set: cost + BLM·boundary with hard targets :math:`H_j \\ge T_j`."""
        return self._objective(Objective("min_set"))

    def maximize_utility(self, budget: float, *, weights=None) -> Problem:
        """Maximum utility: :math:`\\max \\sum_j w_j H_j - BLM\\,B(x)` under a cost budget."""
        w = None if weights is None else tuple(self._per_feature(weights, "weights").tolist())
        return self._objective(Objective("max_utility", float(budget), w))

    def maximize_coverage(self, budget: float, *, weights=None) -> Problem:
        """Maximum coverage: maximize the (weighted) number of targets met under a cost budget."""
        w = None if weights is None else tuple(self._per_feature(weights, "weights").tolist())
        return self._objective(Objective("max_coverage", float(budget), w))

    def solver(self, name: str = "auto", **options) -> Problem:
        """Choose the solver (``auto``, ``highs``, ``anneal``) and its options (time_limit, seed, …)."""
        from .solvers import check_options

        check_options(name, options)
        return dataclasses.replace(self, solver_spec=SolverSpec(name, tuple(sorted(options.items()))))

    # ------------------------------------------------------------------ derived
    def feature_penalty_values(self) -> np.ndarray:
        """P_j: user penalties if given, else Marxan's greedy estimate (cached per problem)."""
        cached = self.__dict__.get("_fpf")
        if cached is None:
            if self.penalties is not None:
                cached = np.asarray(self.penalties, dtype=np.float64)
            else:
                from .evaluate import marxan_feature_penalties

                cached = marxan_feature_penalties(self)
            object.__setattr__(self, "_fpf", cached)
        return cached

    def perimeter(self) -> np.ndarray:
        """Whole perimeter of each unit: :math:`f_i + \\sum_k b_{ik}`."""
        ei, ek, eb = self.edges
        per = np.array(self.fixed_boundary, dtype=np.float64)
        np.add.at(per, ei, eb)
        np.add.at(per, ek, eb)
        return per

    def presolve_check(self) -> list[str]:
        """Raise :class:`InfeasibleError` if hard targets cannot be met; return warnings as text."""
        notes = []
        A = self.amounts
        avail = np.asarray(A[:, self.status != 3].sum(axis=1)).ravel()
        t = np.asarray(self.targets)
        short = t > avail * (1 + 1e-12) + 1e-12
        if short.any():
            j = np.flatnonzero(short)
            txt = message("targets", "targets reachable without the locked-out units",
                          f"features {self.feature_ids[j][:5].tolist()} need {t[j][:3].tolist()} but only "
                          f"{avail[j][:3].tolist()} available", "lower the targets or unlock units")
            if self.objective.kind == "min_set":
                raise InfeasibleError(txt)
            notes.append(txt)
        if self.objective.kind in ("max_utility", "max_coverage"):
            locked = float(self.cost[self.status == 2].sum())
            if self.objective.budget is not None and locked > self.objective.budget:
                raise InfeasibleError(message("budget", f"≥ the cost of the locked-in units ({locked})",
                                              repr(self.objective.budget), "raise the budget or unlock units"))
        if self.n_features and (np.asarray(self.targets) == 0).all() and self.objective.kind in ("marxan", "min_set"):
            notes.append("all targets are 0: the optimum selects only locked-in units")
        return notes

    # ------------------------------------------------------------------ actions
    def compile(self):
        """Solver-neutral sparse model (see :mod:`restoreplan.optimize.compile`)."""
        from .compile import compile_problem

        return compile_problem(self)

    def solve(self, *, force: bool = False, **overrides):
        """Solve with the configured solver; ``overrides`` update its options for this call."""
        from .solvers import solve

        if not force:
            self.presolve_check()
        return solve(self, **overrides)

    def evaluate(self, solution):
        """Marxan score breakdown of ``solution`` (0/1 per unit, or a Solution)."""
        from .evaluate import evaluate

        return evaluate(self, solution)
