"""``LandUseSimulator`` — PLUS (LEAS + CARS) as a scikit-learn-style fitted model.

>>> sim = LandUseSimulator(seed=0).fit(lulc_2003, lulc_2013, drivers)     # doctest: +SKIP
>>> simulated = sim.simulate(lulc_2003, demand={1: 44392, ...}, constraint=water)  # doctest: +SKIP
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import (
    ConfigError,
    DataError,
    InputError,
    NodataWarning,
    RestorePlanWarning,
    message,
)
from ..core.finalize import like_raster
from ..core.legend import copy_legend
from ..core.validate import check_aligned, check_raster
from ._common import as_codes
from .cars import cars_allocate
from .leas import expansion_kernel, fit_leas, predict_leas
from .markov import _crosstab_kernel, _row_normalise, as_transition_frame, largest_remainder_round
from ..core.compute import materialize

__all__ = ["ConvergenceWarning", "LandUseSimulator"]


class ConvergenceWarning(RestorePlanWarning):
    """CARS stopped before every class reached its demand (residual gaps are reported)."""


def _driver_matrix(drivers: xr.Dataset, like: xr.DataArray, names: list[str] | None, valid: np.ndarray):
    """(rows × drivers) float32 features of the cells valid in ``valid`` with every driver finite."""
    if not isinstance(drivers, xr.Dataset):
        raise InputError(message("drivers", "an xarray.Dataset with one 2-D variable per driver",
                                 type(drivers).__name__, "build one with xr.Dataset({'dem': dem, ...})"))
    names = list(drivers.data_vars) if names is None else names
    missing = [n for n in names if n not in drivers.data_vars]
    if missing:
        raise ConfigError(message("drivers", f"the drivers used in fit {names}", f"missing {missing}",
                                  "pass the same driver layers to simulate()"))
    if not names:
        raise ConfigError(message("drivers", "at least one driver layer", "an empty Dataset", "add driver layers"))
    layers = []
    ok = np.asarray(valid, dtype=bool).reshape(-1).copy()
    for n in names:
        v = drivers[n]
        if v.dims != ("y", "x"):
            raise InputError(message(f"drivers.{n}", "a 2-D (y, x) layer", f"dims {v.dims}", "select one slice"))
        if v.rio.crs is None and like.rio.crs is not None:
            v = v.rio.write_crs(like.rio.crs)
        check_aligned(lulc=like, **{f"drivers.{n}": v})
        data = materialize(v)
        data = np.asarray(data, dtype=np.float32).reshape(-1)
        nod = v.rio.nodata
        if nod is not None and not np.isnan(nod):
            data = np.where(data == np.float32(nod), np.nan, data)
        ok &= np.isfinite(data)
        layers.append(data)
    # rows of the usable cells only: no full-grid feature matrix is ever built
    X = np.empty((int(ok.sum()), len(names)), dtype=np.float32)
    for j, data in enumerate(layers):
        X[:, j] = data[ok]
    return X, ok, names


class LandUseSimulator:
    """PLUS land-use simulation: LEAS random forests (fit) and the CARS cellular automaton (simulate).

    Parameters
    ----------
    neighborhood : odd window size n of the neighbourhood effect (3 → 3×3, centre excluded).
    sample_rate : share of valid cells sampled for the random forests (PLUS default 0.01).
    sampling : "random" (PLUS) or "balanced" (equal counts per expansion class and no-expansion).
    n_estimators, max_features, min_samples_leaf : random-forest settings. PLUS: 20 trees, pure
        leaves (min_samples_leaf=1), so P is the share of trees voting 1.
    exclude_own_class : train class k's forest on cells that were not k at the start (the forest
        then estimates P(a non-k cell becomes k), the quantity CARS uses).
    start_class_feature : add the start class code as a driver (a tree model splits it as a
        nominal variable); lets the forests learn source-specific expansion (e.g. construction
        sites becoming built-up). Off in PLUS.
    mu, delta, sigma_r1, seed_cap, step, step_iterations, max_iter, complete_demand, stall_tau,
        stall_frac : CARS settings (see
        :func:`restoreplan.landuse.cars.cars_allocate`).
    neighborhood_weights : mapping class → w_k; default each class's share of the expansion
        divided by the largest share (PLUS default).
    n_jobs : threads for the random forests and the CARS kernels.
    seed : int or ``np.random.SeedSequence``; the only source of randomness.

    Attributes (after ``fit``)
    --------------------------
    classes_ : class codes (model order). transition_counts_, transition_matrix_ : from → to
    DataFrames. expansion_ : LEAS expansion map. development_probability_ : (class, y, x)
    float32 P_ik (NaN where a driver is nodata). driver_contribution_ : DataFrame class × driver,
    rows sum to 1. neighborhood_weights_ : Series w_k. feature_names_in_ : driver names.
    leas_ : the fitted forests. fit_seconds_ : LEAS wall time (s).
    """

    def __init__(self, *, neighborhood: int = 3, sample_rate: float = 0.01,
                 sampling: Literal["random", "balanced"] = "random", n_estimators: int = 20,
                 max_features: str | float = "sqrt", min_samples_leaf: int = 1,
                 exclude_own_class: bool = True, start_class_feature: bool = False,
                 mu: float = 0.1, delta: float = 0.9, sigma_r1: float = 0.3, seed_cap: float = 1e-4,
                 step: float | None = None, step_iterations: int = 50, max_iter: int = 300,
                 complete_demand: bool = True, stall_tau: float = 1e-3, stall_frac: float = 1e-3,
                 neighborhood_weights: Mapping[int, float] | None = None, n_jobs: int = 2,
                 seed: int | np.random.SeedSequence = 0):
        self.neighborhood = neighborhood
        self.sample_rate = sample_rate
        self.sampling = sampling
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.exclude_own_class = exclude_own_class
        self.start_class_feature = start_class_feature
        self.mu = mu
        self.delta = delta
        self.sigma_r1 = sigma_r1
        self.seed_cap = seed_cap
        self.step = step
        self.step_iterations = step_iterations
        self.max_iter = max_iter
        self.complete_demand = complete_demand
        self.stall_tau = stall_tau
        self.stall_frac = stall_frac
        self.neighborhood_weights = neighborhood_weights
        self.n_jobs = n_jobs
        self.seed = seed

    # ------------------------------------------------------------------ helpers
    def get_params(self) -> dict:
        """Constructor parameters (scikit-learn convention)."""
        import inspect

        return {k: getattr(self, k) for k in inspect.signature(type(self).__init__).parameters if k != "self"}

    def _seeds(self) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
        """(LEAS, CARS) child seeds, derived without mutating ``self.seed``."""
        ss = self.seed if isinstance(self.seed, np.random.SeedSequence) else np.random.SeedSequence(self.seed)
        return tuple(np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (i,)) for i in range(2))

    def _check_fitted(self):
        if not hasattr(self, "leas_"):
            raise ConfigError(message("LandUseSimulator", "a fitted model", "fit() was not called",
                                      "call sim.fit(lulc_start, lulc_end, drivers) first"))

    def _features(self, drivers, like, codes, valid):
        X, ok, names = _driver_matrix(drivers, like, getattr(self, "feature_names_in_", None), valid)
        if self.start_class_feature:
            X = np.concatenate([X, codes.reshape(-1)[ok].astype(np.float32)[:, None]], axis=1)
        return X, ok, names

    # ---------------------------------------------------------------------- fit
    def fit(self, lulc_start: xr.DataArray, lulc_end: xr.DataArray, drivers: xr.Dataset) -> LandUseSimulator:
        """Fit the Markov chain and the LEAS forests from two maps and a driver stack; returns self."""
        check_raster(lulc_start, name="lulc_start", kind="categorical")
        check_raster(lulc_end, name="lulc_end", kind="categorical")
        check_aligned(lulc_start=lulc_start, lulc_end=lulc_end)
        t0 = time.perf_counter()
        a, ma = as_codes(lulc_start, name="lulc_start")
        b, mb = as_codes(lulc_end, name="lulc_end")
        both = ma & mb
        classes = np.unique(np.concatenate([np.unique(a[ma]), np.unique(b[mb])])).astype(np.int64)
        n = _crosstab_kernel(a[both], b[both], classes)
        idx = pd.Index(classes, name="from")
        cols = pd.Index(classes, name="to")
        self.classes_ = classes
        self.transition_counts_ = pd.DataFrame(n, index=idx, columns=cols)
        self.transition_matrix_ = pd.DataFrame(_row_normalise(n), index=idx.copy(), columns=cols.copy())
        e = expansion_kernel(a, b, both)
        self.expansion_ = like_raster(np.where(both, e, -1).astype(np.int16), lulc_start, name="expansion",
                                      units="1", nodata=-1)
        X, ok, names = self._features(drivers, lulc_start, a, both)
        self.feature_names_in_ = names
        s_leas, _ = self._seeds()
        feat = names + (["start_class"] if self.start_class_feature else [])
        res = fit_leas(X, a.reshape(-1)[ok], e.reshape(-1)[ok], classes, feature_names=feat,
                       sample_rate=self.sample_rate, sampling=self.sampling, n_estimators=self.n_estimators,
                       max_features=self.max_features, min_samples_leaf=self.min_samples_leaf,
                       exclude_own_class=self.exclude_own_class, n_jobs=self.n_jobs, seed=s_leas)
        self.leas_ = res
        self.development_probability_ = self._probability(X, ok, lulc_start)
        del X
        self.driver_contribution_ = res.contribution
        share = np.array([np.count_nonzero(e[both] == c) for c in classes], dtype=np.float64)
        if self.neighborhood_weights is not None:
            w = pd.Series({int(k): float(v) for k, v in self.neighborhood_weights.items()})
            w = w.reindex(classes).fillna(0.0)
        else:
            w = pd.Series(share / share.max() if share.max() > 0 else np.ones(len(classes)), index=classes)
        w.index.name = "class"
        self.neighborhood_weights_ = w.rename("w")
        self.fit_seconds_ = time.perf_counter() - t0
        return self

    def _probability(self, X, ok, like) -> xr.DataArray:
        ny, nx = like.sizes["y"], like.sizes["x"]
        K = len(self.classes_)
        pf = np.full((ny * nx, K), np.nan, dtype=np.float32)
        predict_leas(self.leas_, X, out=pf, rows=np.flatnonzero(ok))
        cube = np.moveaxis(pf.reshape(ny, nx, K), -1, 0)  # view: (class, y, x)
        da = xr.DataArray(cube, dims=("class", "y", "x"),
                          coords={"class": self.classes_, "y": like.y, "x": like.x}, name="development_probability")
        da.attrs["units"] = "1"
        # inplace: rioxarray's default returns a deep copy (3 × the cube at peak)
        if like.rio.crs is not None:
            da.rio.write_crs(like.rio.crs, inplace=True)
        da.rio.write_transform(like.rio.transform(), inplace=True)
        return da

    # ----------------------------------------------------------------- simulate
    def predict_probability(self, lulc_start: xr.DataArray, drivers: xr.Dataset) -> xr.DataArray:
        """Development probability (class, y, x) of new drivers with the fitted forests (no refit)."""
        self._check_fitted()
        a, ma = as_codes(lulc_start, name="lulc_start")
        X, ok, _ = self._features(drivers, lulc_start, a, ma)
        return self._probability(X, ok, lulc_start)

    def _demand_vector(self, demand, counts: np.ndarray, n_valid: int) -> np.ndarray:
        if isinstance(demand, pd.Series):
            demand = demand.to_dict()
        if not isinstance(demand, Mapping):
            raise ConfigError(message("demand", "a mapping class code → cell count", type(demand).__name__,
                                      "pass e.g. {1: 44392, 2: 231101, ...} or a pd.Series"))
        d = {int(k): float(v) for k, v in demand.items()}
        unknown = sorted(set(d) - set(int(c) for c in self.classes_))
        missing = sorted(int(c) for c, n in zip(self.classes_, counts) if n > 0 and int(c) not in d)
        if unknown or missing:
            raise ConfigError(message("demand", f"one count per class of the model {self.classes_.tolist()}",
                                      f"unknown codes {unknown}, missing codes {missing}",
                                      "give a count for every class present in the start map"))
        vec = np.array([d.get(int(c), 0.0) for c in self.classes_])
        if np.any(vec < 0):
            raise ConfigError(message("demand", "non-negative counts", str(vec.tolist()), "fix the demand"))
        tot = vec.sum()
        if int(round(tot)) != n_valid:
            if abs(tot - n_valid) > 0.01 * n_valid:
                raise ConfigError(message("demand", f"counts summing to the {n_valid} valid cells of lulc_start",
                                          f"a total of {tot:.0f}", "rescale the demand (e.g. rp.landuse.markov"
                                          ".largest_remainder_round(d * n_valid / d.sum()))"))
            warnings.warn(f"demand totals {tot:.0f} cells but lulc_start has {n_valid} valid cells; demand "
                          "rescaled proportionally (largest-remainder rounding)", NodataWarning, stacklevel=3)
            vec = vec * (n_valid / tot)
        return largest_remainder_round(vec, total=n_valid)

    def simulate(self, lulc_start: xr.DataArray, *, demand: Mapping[int, float] | pd.Series,
                 constraint: xr.DataArray | None = None, conversion=None,
                 orientation: Literal["from_rows", "from_columns"] | None = None,
                 drivers: xr.Dataset | None = None, probability: xr.DataArray | None = None,
                 seed: int | np.random.SeedSequence | None = None,
                 time_label=None, name: str = "lulc_simulated") -> xr.DataArray:
        """Allocate ``demand`` (class code → cells) on ``lulc_start`` with CARS.

        Parameters
        ----------
        lulc_start : categorical map to start from (the grid of ``fit``).
        demand : target cells per class (e.g. from :func:`~restoreplan.landuse.markov.markov_demand`);
            a total differing from the valid cells by ≤ 1 % is rescaled with a warning.
        constraint : raster, 0 = locked (never changes), > 0 = may change; nodata = locked.
        conversion : 0/1 matrix, a from → to DataFrame; a bare ndarray needs ``orientation``
            ("from_rows": rows are the current class). Default: every conversion allowed.
        drivers : new driver stack; the fitted forests predict P from it (e.g. distances to the new
            start map). Default: the development probability of ``fit``.
        probability : a (class, y, x) development probability to use instead (e.g. from
            :meth:`predict_probability`); exclusive with ``drivers``.
        seed : overrides the CARS part of the model's seed.
        time_label : if given, the result gets a length-1 ``time`` dim with this label.

        Returns
        -------
        DataArray on the grid of ``lulc_start``, its dtype and nodata. ``attrs`` hold the CARS
        diagnostics (iterations, stop reason, residual gaps as "code:gap" pairs, seconds).
        """
        self._check_fitted()
        check_raster(lulc_start, name="lulc_start", kind="categorical")
        check_aligned(lulc_start=lulc_start, development_probability=self.development_probability_.isel({"class": 0}))
        a, ma = as_codes(lulc_start, name="lulc_start")
        classes = self.classes_
        K = len(classes)
        pos = np.searchsorted(classes, a)
        pos = np.clip(pos, 0, K - 1)
        known = classes[pos] == a
        if np.any(ma & ~known):
            bad = sorted(set(np.unique(a[ma & ~known]).tolist()))
            raise DataError(message("lulc_start", f"class codes seen in fit {classes.tolist()}",
                                    f"unknown codes {bad}", "reclassify the map or fit with maps holding these codes"))
        lu = np.where(ma, pos, -1).astype(np.int8)
        counts = np.bincount(pos[ma], minlength=K)
        dvec = self._demand_vector(demand, counts, int(ma.sum()))
        allowed = None
        if constraint is not None:
            check_raster(constraint, name="constraint", kind="any")
            check_aligned(lulc_start=lulc_start, constraint=constraint)
            cv = materialize(constraint)
            cv = np.asarray(cv)
            allowed = np.isfinite(cv) & (cv > 0) if np.issubdtype(cv.dtype, np.floating) else (cv > 0)
            cnod = constraint.rio.nodata
            if cnod is not None and not (isinstance(cnod, float) and np.isnan(cnod)):
                allowed &= cv != cnod
        tm = None
        if conversion is not None:
            cm = as_transition_frame(conversion, classes=classes, orientation=orientation, name="conversion")
            cm = cm.reindex(index=classes, columns=classes)
            if cm.isna().any().any():
                raise ConfigError(message("conversion", f"rows and columns for codes {classes.tolist()}",
                                          f"codes {list(cm.index[cm.isna().any(axis=1)])} missing",
                                          "give a full from → to matrix"))
            tm = (cm.to_numpy() != 0).astype(np.uint8)
        if drivers is not None and probability is not None:
            raise ConfigError(message("probability", "either `drivers` or `probability`", "both",
                                      "pass only one of them"))
        if drivers is not None:
            prob = self.predict_probability(lulc_start, drivers)
        elif probability is not None:
            if list(probability.dims) != ["class", "y", "x"] or not np.array_equal(probability["class"], classes):
                raise DataError(message("probability", f"a (class, y, x) array over classes {classes.tolist()}",
                                        f"dims {probability.dims}", "use sim.predict_probability(...)"))
            check_aligned(lulc_start=lulc_start, probability=probability.isel({"class": 0}))
            prob = probability
        else:
            prob = self.development_probability_
        pf = np.moveaxis(np.asarray(prob.data), 0, -1).reshape(-1, K)  # (cells, class); a view for our cubes
        _, s_cars = self._seeds()
        if seed is not None:
            s_cars = seed
        res = cars_allocate(lu, pf, dvec, allowed=allowed, conversion=tm,
                            weights=self.neighborhood_weights_.to_numpy(), neighborhood=self.neighborhood,
                            mu=self.mu, delta=self.delta, sigma_r1=self.sigma_r1, seed_cap=self.seed_cap,
                            step=self.step, step_iterations=self.step_iterations, max_iter=self.max_iter,
                            complete_demand=self.complete_demand, stall_tau=self.stall_tau,
                            stall_frac=self.stall_frac,
                            seed=s_cars, n_threads=self.n_jobs)
        nod = lulc_start.rio.nodata
        out = np.where(res.lu >= 0, classes[np.maximum(res.lu, 0)], nod if nod is not None else 0)
        out = out.astype(lulc_start.dtype)
        da = like_raster(out, lulc_start, name=name, units="1", nodata=nod,
                         cars_iterations=int(res.iterations), cars_stop_reason=res.stop_reason,
                         cars_converged=int(res.converged), cars_changed=int(res.changed),
                         cars_seeds=int(res.seeds), cars_seconds=float(res.seconds),
                         cars_residual_gap=";".join(f"{int(c)}:{int(g)}" for c, g in zip(classes, res.residual_gap)))
        copy_legend(lulc_start, da)   # the simulated map keeps the land-use legend of the start map
        if not res.converged:
            warnings.warn(f"CARS stopped ({res.stop_reason}) after {res.iterations} iterations with residual "
                          f"gaps {dict(zip(classes.tolist(), res.residual_gap.tolist()))}", ConvergenceWarning,
                          stacklevel=2)
        if time_label is not None:
            da = da.expand_dims(time=[time_label])
        return da
