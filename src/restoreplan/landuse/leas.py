r"""LEAS — land-expansion analysis strategy of PLUS (Liang et al. 2021).

1. Expansion map :math:`E = LU_2` where :math:`LU_2 \ne LU_1`, else 0 (cells valid in both).
2. A sample of the cells: PLUS draws ``sample_rate`` of the valid cells at random
   (``sampling="random"``). The default ``sampling="balanced"`` adapts to the map: for each class k
   it draws changed cells (became k) and unchanged cells (did not become k) in equal numbers,
   :math:`n = \mathrm{clip}(\tfrac12\,\text{sample\_rate}\cdot N_k,\ n_{min},\ n_{max})` per group
   (:math:`N_k` = candidate cells of class k's forest), or the whole group when it is smaller. So a
   small map still gets ``min_samples_per_class`` cells of each kind, a large one at most
   ``max_samples_per_class`` (a compute cap), and a rare change is not drowned by persistence.
   A class with fewer than ``min_samples_per_class`` changed cells gets a :class:`SampleSizeWarning`.
3. One binary random forest per class k on :math:`y = 1[E = k]` with the drivers as features.
   By default the training cells of class k exclude cells already of class k at the start
   (``exclude_own_class=True``): the model then estimates P(a non-k cell becomes k), which is the
   quantity CARS uses (a cell already of class k never "develops" into k).
4. :math:`P_{ik}` = the forest's ``predict_proba`` (share of trees voting 1 when leaves are pure);
   a class without expansion gets P = 0; cells with any driver NaN get NaN.
5. Driver contribution: increase of the RMSE of :math:`P_{ik}` against y when one driver is
   permuted (on the training sample), clipped at 0 and normalised to sum 1 per class.

This module is the numpy kernel; :class:`~restoreplan.landuse.LandUseSimulator` wraps it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import DataError, RestorePlanWarning, message

__all__ = ["LeasResult", "SampleSizeWarning", "balanced_sample", "expansion_kernel", "fit_leas", "predict_leas",
           "sample_cells"]


class SampleSizeWarning(RestorePlanWarning):
    """A class has too few changed cells for a reliable random forest."""


def balanced_sample(positive: np.ndarray, rate: float, rng: np.random.Generator, *, min_per_group: int,
                    max_per_group: int) -> np.ndarray:
    """Sorted indices of an equal-size sample of the True and the False entries of ``positive``.

    Each group gets ``clip(round(rate·len/2), min_per_group, max_per_group)`` entries, or all of
    its entries when it has fewer.
    """
    if not 0 < rate <= 1:
        raise DataError(message("sample_rate", "a fraction in (0, 1]", repr(rate), "use e.g. 0.01"))
    if min_per_group < 1 or max_per_group < min_per_group:
        raise DataError(message("min_samples_per_class, max_samples_per_class", "1 ≤ min ≤ max",
                                f"{min_per_group}, {max_per_group}", "e.g. 2000 and 20000"))
    n = int(np.clip(round(rate * len(positive) / 2.0), min_per_group, max_per_group))
    out = []
    for grp in (np.flatnonzero(positive), np.flatnonzero(~positive)):
        out.append(grp if len(grp) <= n else rng.choice(grp, size=n, replace=False))
    return np.sort(np.concatenate(out))


def expansion_kernel(start: np.ndarray, end: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """E = end class where it differs from start (valid cells), else 0; int32."""
    e = np.where(valid & (start != end), end, 0).astype(np.int32)
    return e


def sample_cells(n: int, rate: float, rng: np.random.Generator, *, labels: np.ndarray | None = None,
                 scheme: str = "random") -> np.ndarray:
    """Indices of a sample of ``n`` cells: simple random (``rate·n`` cells) or class-balanced.

    ``balanced`` draws the same expected total, split equally between the label values of
    ``labels`` (the expansion class, 0 = no expansion), capped by each group's size.
    """
    if not 0 < rate <= 1:
        raise DataError(message("sample_rate", "a fraction in (0, 1]", repr(rate), "use e.g. 0.01"))
    m = max(1, int(round(rate * n)))
    if scheme == "random" or labels is None:
        return np.sort(rng.choice(n, size=min(m, n), replace=False))
    if scheme != "balanced":
        raise DataError(message("sampling", "'random' or 'balanced'", repr(scheme), "choose one"))
    groups = np.unique(labels)
    per = int(np.ceil(m / len(groups)))
    out = []
    for g in groups:
        idx = np.flatnonzero(labels == g)
        out.append(rng.choice(idx, size=min(per, len(idx)), replace=False))
    return np.sort(np.concatenate(out))


@dataclass
class LeasResult:
    """Fitted LEAS: one forest per class (None where the class never expanded)."""

    classes: np.ndarray
    feature_names: list[str]
    forests: list = field(default_factory=list)
    sample_index: np.ndarray | None = None
    contribution: pd.DataFrame | None = None
    n_positive: dict = field(default_factory=dict)


def _rmse(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((p - y) ** 2)))


def _permutation_contribution(forest, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    base = _rmse(forest.predict_proba(X)[:, 1], y)
    inc = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        Xp = X.copy()
        Xp[:, j] = Xp[rng.permutation(len(Xp)), j]
        inc[j] = max(0.0, _rmse(forest.predict_proba(Xp)[:, 1], y) - base)
    tot = inc.sum()
    return inc / tot if tot > 0 else np.full(X.shape[1], np.nan)


def fit_leas(X: np.ndarray, start: np.ndarray, expansion: np.ndarray, classes: np.ndarray, *,
             feature_names: list[str], sample_rate: float = 0.01, sampling: str = "balanced",
             min_samples_per_class: int = 2000, max_samples_per_class: int = 20000,
             n_estimators: int = 20, max_features="sqrt", min_samples_leaf: int = 1,
             exclude_own_class: bool = True, n_jobs: int = 2, contribution_rows: int = 20000,
             seed: np.random.SeedSequence | int = 0) -> LeasResult:
    """Fit one binary random forest per class on a sample of cells.

    Parameters
    ----------
    X : (n_cells, n_drivers) float32 features of the valid cells (no NaN rows).
    start, expansion : (n_cells,) start class codes and expansion codes (0 = none).
    classes : class codes, in model order.
    sampling : "balanced" (per class, equal changed/unchanged counts; module docstring) or "random"
        (PLUS: one simple random sample of ``sample_rate`` of the cells shared by every class).
    min_samples_per_class, max_samples_per_class : bounds of each group of the balanced sample.
    """
    import warnings

    from sklearn.ensemble import RandomForestClassifier

    if sampling not in ("balanced", "random"):
        raise DataError(message("sampling", "'balanced' or 'random'", repr(sampling), "choose one"))
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    s_sample, s_perm, *s_cls = ss.spawn(2 + 2 * len(classes))
    rng = np.random.default_rng(s_sample)
    shared = sample_cells(len(X), sample_rate, rng) if sampling == "random" else None
    res = LeasResult(classes=np.asarray(classes), feature_names=list(feature_names), sample_index=shared)
    contrib = {}
    prng = np.random.default_rng(s_perm)
    few = {}
    for k, code in enumerate(classes):
        if sampling == "random":
            cand = shared[start[shared] != code] if exclude_own_class else shared
        else:
            pool = np.flatnonzero(start != code) if exclude_own_class else np.arange(len(X))
            n_changed = int(np.count_nonzero(expansion[pool] == code))
            if 0 < n_changed < min_samples_per_class:
                few[int(code)] = n_changed
            crng = np.random.default_rng(s_cls[len(classes) + k])
            cand = pool[balanced_sample(expansion[pool] == code, sample_rate, crng,
                                        min_per_group=min_samples_per_class, max_per_group=max_samples_per_class)]
        y = (expansion[cand] == code).astype(np.int8)
        res.n_positive[int(code)] = int(y.sum())
        if y.sum() == 0 and (expansion == code).any():
            warnings.warn(message("sample_rate", f"sampled cells where class {int(code)} expanded",
                                  f"none among {len(cand)} sampled cells ({int((expansion == code).sum())} expanded)",
                                  "raise sample_rate (small rasters need a larger share) or use "
                                  "sampling='balanced'"), SampleSizeWarning, stacklevel=2)
        if y.sum() == 0 or y.sum() == len(y):
            res.forests.append(None)
            continue
        rs = int(np.random.default_rng(s_cls[k]).integers(2**31 - 1))
        rf = RandomForestClassifier(n_estimators=n_estimators, max_features=max_features,
                                    min_samples_leaf=min_samples_leaf, n_jobs=n_jobs, random_state=rs)
        Xs = X[cand]
        rf.fit(Xs, y)
        res.forests.append(rf)
        sub = np.arange(len(cand))
        if len(sub) > contribution_rows:
            sub = np.sort(prng.choice(sub, contribution_rows, replace=False))
        contrib[int(code)] = _permutation_contribution(rf, Xs[sub], y[sub].astype(float), prng)
    if few:
        warnings.warn(f"classes with fewer than {min_samples_per_class} changed cells (code: cells) {few}: their "
                      "random forests learn from few examples and their development probability is uncertain; "
                      "use longer periods or coarser classes, or lower min_samples_per_class knowingly",
                      SampleSizeWarning, stacklevel=3)
    res.contribution = pd.DataFrame.from_dict(contrib, orient="index", columns=list(feature_names)).astype(float)
    res.contribution.index.name = "class"
    return res


def predict_leas(res: LeasResult, X: np.ndarray, *, chunk_rows: int = 262_144, out: np.ndarray | None = None,
                 rows: np.ndarray | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """Development probabilities of the rows of ``X``; 0 for classes without a forest.

    Default: returns a new (n_classes, n_rows) float32 array. With ``out`` (a (n_cells, n_classes)
    float32 array) and ``rows`` (cell index of each row of X), writes ``out[rows[j], k]`` in place
    chunk by chunk (no full-size temporary) and returns ``out``. With ``start`` (class code of each
    row), class k is predicted only on rows not already of class k; those get P = 0 (a cell never
    "develops" into its own class, as in PLUS where such cells are not expansion), which also saves
    the forest evaluations.
    """
    K = len(res.classes)
    if out is None:
        dest = np.zeros((K, len(X)), dtype=np.float32)
    for s in range(0, len(X), chunk_rows):
        Xc = X[s:s + chunk_rows]
        for k, rf in enumerate(res.forests):
            v = np.zeros(len(Xc), np.float32)
            if rf is not None:
                if start is None:
                    v[:] = rf.predict_proba(Xc)[:, 1]
                else:
                    sel = np.flatnonzero(start[s:s + chunk_rows] != res.classes[k])
                    if len(sel):
                        v[sel] = rf.predict_proba(Xc[sel])[:, 1]
            if out is None:
                dest[k, s:s + len(Xc)] = v
            else:
                out[rows[s:s + len(Xc)], k] = v
    return dest if out is None else out
