"""LEAS: expansion map, forests, probabilities and driver contributions."""

from __future__ import annotations

import numpy as np

from restoreplan.landuse.leas import expansion_kernel, fit_leas, predict_leas, sample_cells


def test_expansion_kernel():
    s = np.array([[1, 1, 2], [3, 3, 3]])
    e = np.array([[1, 2, 2], [1, 3, 2]])
    v = np.array([[True, True, True], [True, True, False]])
    assert expansion_kernel(s, e, v).tolist() == [[0, 2, 0], [1, 0, 0]]


def test_sampling_rate_and_balance():
    rng = np.random.default_rng(0)
    idx = sample_cells(10_000, 0.01, rng)
    assert len(idx) == 100 and len(np.unique(idx)) == 100
    labels = np.zeros(10_000, int)
    labels[:50] = 4
    b = sample_cells(10_000, 0.01, np.random.default_rng(0), labels=labels, scheme="balanced")
    assert (labels[b] == 4).sum() == 50 and (labels[b] == 0).sum() == 50


def _toy(n=40_000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3)).astype(np.float32)
    start = np.ones(n, int)
    # class 2 expands where driver 0 is small; driver 1 and 2 are noise
    expansion = np.where((X[:, 0] < 0.2) & (rng.random(n) < 0.8), 2, 0)
    return X, start, expansion


def test_informative_driver_dominates_and_probabilities_rank():
    X, start, e = _toy()
    res = fit_leas(X, start, e, np.array([1, 2]), feature_names=["signal", "noise1", "noise2"],
                   sample_rate=0.1, n_estimators=20, min_samples_leaf=5, n_jobs=1, seed=1)
    assert res.forests[0] is None  # class 1 never expands -> no forest, P = 0
    P = predict_leas(res, X)
    assert P.dtype == np.float32 and P.shape == (2, len(X))
    assert np.all(P[0] == 0)
    assert P[1][X[:, 0] < 0.15].mean() > 0.6
    assert P[1][X[:, 0] > 0.3].mean() < 0.05
    c = res.contribution.loc[2]
    assert abs(c.sum() - 1.0) < 1e-9
    assert c["signal"] > 0.8


def test_leas_seeded():
    X, start, e = _toy(n=10_000)
    kw = dict(feature_names=["a", "b", "c"], sample_rate=0.2, n_jobs=1, min_samples_leaf=5)
    p1 = predict_leas(fit_leas(X, start, e, np.array([1, 2]), seed=3, **kw), X)
    p2 = predict_leas(fit_leas(X, start, e, np.array([1, 2]), seed=3, **kw), X)
    p3 = predict_leas(fit_leas(X, start, e, np.array([1, 2]), seed=4, **kw), X)
    assert p1.tobytes() == p2.tobytes()
    assert p1.tobytes() != p3.tobytes()
