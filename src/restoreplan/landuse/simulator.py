"""``LandUseSimulator`` — PLUS (LEAS + CARS) as a scikit-learn-style fitted model.

>>> sim = LandUseSimulator(seed=0).fit(lulc_2003, lulc_2013, drivers)     # doctest: +SKIP
>>> simulated = sim.simulate(lulc_2003, demand={1: 44392, ...}, constraint=water)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
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
from .cars import cars_allocate, ranking_allocate
from .features import DERIVABLE, constraint_mask, driver_layers, feature_rows
from .leas import expansion_kernel, fit_leas, predict_leas
from .markov import _crosstab_kernel, _row_normalise, as_transition_frame, largest_remainder_round
from ..core.compute import materialize

__all__ = ["ConvergenceWarning", "LandUseSimulator"]


class ConvergenceWarning(RestorePlanWarning):
    """CARS stopped before every class reached its demand (residual gaps are reported)."""


def _fingerprint(codes: np.ndarray, valid: np.ndarray) -> str:
    """Digest of a categorical map (codes and mask) to tell whether simulate() starts from the fit map."""
    h = hashlib.sha1(np.ascontiguousarray(np.where(valid, codes, -1).astype(np.int32)).tobytes())
    h.update(str(codes.shape).encode())
    return h.hexdigest()


def _check_nodata(da: xr.DataArray, codes: np.ndarray, *, name: str) -> None:
    """Warn when a map without a nodata value holds a typical nodata code (0, dtype limits, −9999)."""
    if da.rio.nodata is not None:
        return
    cand = {0, -9999}
    if np.issubdtype(da.dtype, np.integer):
        info = np.iinfo(da.dtype)
        cand |= {int(info.max), int(info.min)}
    present = [int(c) for c in np.unique(codes) if int(c) in cand]
    if present:
        warnings.warn(f"`{name}` has no nodata value set and holds code(s) {present}, which are usual nodata codes: "
                      f"they are treated as land-use classes. If they mark the outside of the study area, set "
                      f"the nodata value: {name} = {name}.rio.write_nodata({present[0]}, encoded=False)",
                      NodataWarning, stacklevel=3)


class LandUseSimulator:
    """PLUS land-use simulation: LEAS random forests (fit) and the CARS cellular automaton (simulate).

    Parameters
    ----------
    neighborhood : odd window size n of the CARS neighbourhood effect (3 → 3×3, centre excluded; PLUS 3).
    derive : standard drivers derived from the user drivers and the start map, any of "slope"
        (of the driver named ``elevation``), "distance" (to each class) and "share" (of each class
        in a (2·share_radius+1)² window); see :mod:`restoreplan.landuse.features`. ``()``: none.
        With the default, three user rasters (e.g. DEM, population, soil) are enough.
    elevation : name of the user driver that holds elevation in metres (for "slope").
    share_radius : window radius (cells) of the "share" drivers (2 → 5×5).
    sample_rate : share of the candidate cells sampled for each forest (PLUS default 0.01).
    sampling : "balanced" (default: per class, equal numbers of changed and unchanged cells,
        at least ``min_samples_per_class`` and at most ``max_samples_per_class`` of each; adapts to
        small and large maps) or "random" (PLUS: one simple random sample of ``sample_rate``).
    min_samples_per_class, max_samples_per_class : bounds of the balanced sample per group (cells).
        A class with fewer changed cells than the minimum gets a ``SampleSizeWarning``.
    n_estimators, max_features, min_samples_leaf : random-forest settings. PLUS: 20 trees, pure
        leaves (min_samples_leaf=1), so P is the share of trees voting 1.
    exclude_own_class : train class k's forest on cells that were not k at the start (the forest
        then estimates P(a non-k cell becomes k), the quantity CARS uses); P_kk = 0.
    start_class_feature : add the start class code as a driver (trees split it as a nominal
        variable), so forests learn source-specific expansion. Off in PLUS.
    mu : PLUS "patch expansion coefficient" μ: weight r·μ of the random patch-seed term of a cell
        with no neighbour of the class (PLUS default 0.1).
    delta : PLUS "patch generation threshold", the decay factor δ of the decreasing threshold
        τ = δ^d·r1 (PLUS default 0.9).
    sigma_r1 : spread of r1 ~ N(1, σ) clipped to [0, 2] (unpublished in PLUS; 0.3).
    seed_cap : new patch seeds per iteration ≤ seed_cap·N_valid (PLUS "percentage of seeds" 1e-4).
    step, step_iterations : the Step of the decreasing-threshold rule (cells of Σ|G|); default
        Σ|G⁰|/step_iterations.
    max_iter, complete_demand, stall_tau, stall_frac : CARS stopping rules
        (:func:`restoreplan.landuse.cars.cars_allocate`).
    neighborhood_weights : mapping class → w_k in [0, 1]; default each class's expansion area
        (cells that became k) divided by the largest one (PLUS's recommended dimensionless
        expansion weights; a class without expansion gets 0).
    n_jobs : threads for the random forests and the CARS kernels, ≥ 1; default ``None``: the
        machine's thread budget (:func:`restoreplan.services._fast.thread_budget`: dask's
        ``num_workers`` setting or the CPU count, 1 inside a dask task), so a run under
        ``--workers N`` or on a dask worker does not oversubscribe. Results do not depend on it.
    block_cells : cells per block of the probability computation (≥ 1; default 2^18): features
        are gathered and P is predicted block by block, so the transient memory is
        ``block_cells × n_features × 4`` bytes and no full-grid feature matrix exists.
    seed : int or ``np.random.SeedSequence``; the only source of randomness.

    The adaptive inertia (driving) coefficient D_k of CARS has no parameter: it starts at 1 and
    follows the demand gaps of the two previous iterations
    (:func:`restoreplan.landuse.cars.adapt_driving_coefficient`).

    Attributes (after ``fit``)
    --------------------------
    classes_ : class codes (model order). transition_counts_, transition_matrix_ : from → to
    DataFrames. expansion_ : LEAS expansion map. development_probability_ : (class, y, x)
    float32 P_ik on the fit's start map (NaN where a driver is nodata, 0 on cells already of
    class k); computed on first access and kept (fit itself predicts nothing: ``simulate``
    predicts only the cells its allocation can change).
    driver_contribution_ : DataFrame class × feature, rows sum to 1. neighborhood_weights_ :
    Series w_k. feature_names_in_ : user driver names. feature_names_ : every feature (user and
    derived). leas_ : the fitted forests. fit_seconds_ : LEAS wall time (s).
    """

    def __init__(self, *, neighborhood: int = 3, derive: tuple[str, ...] = DERIVABLE,
                 elevation: str | None = "dem", share_radius: int = 2, sample_rate: float = 0.01,
                 sampling: Literal["random", "balanced"] = "balanced", min_samples_per_class: int = 2000,
                 max_samples_per_class: int = 20000, n_estimators: int = 20,
                 max_features: str | float = "sqrt", min_samples_leaf: int = 1,
                 exclude_own_class: bool = True, start_class_feature: bool = False,
                 mu: float = 0.1, delta: float = 0.9, sigma_r1: float = 0.3, seed_cap: float = 1e-4,
                 step: float | None = None, step_iterations: int = 50, max_iter: int = 300,
                 complete_demand: bool = True, stall_tau: float = 1e-3, stall_frac: float = 1e-3,
                 neighborhood_weights: Mapping[int, float] | None = None, n_jobs: int | None = None,
                 block_cells: int = 1 << 18, seed: int | np.random.SeedSequence = 0):
        self.neighborhood = neighborhood
        self.derive = derive
        self.elevation = elevation
        self.share_radius = share_radius
        self.sample_rate = sample_rate
        self.sampling = sampling
        self.min_samples_per_class = min_samples_per_class
        self.max_samples_per_class = max_samples_per_class
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
        self.block_cells = block_cells
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

    def _threads(self) -> int:
        from ..services._fast import thread_budget

        if self.n_jobs is None:
            return thread_budget()
        if int(self.n_jobs) < 1:
            raise ConfigError(message("n_jobs", "a thread count ≥ 1 (or None for the machine's budget)",
                                      repr(self.n_jobs), "use n_jobs=None"))
        return int(self.n_jobs)

    def _features(self, drivers, like, codes, valid, classes):
        user, names, layers = driver_layers(drivers, like, codes, valid, classes, derive=self.derive,
                                            elevation=self.elevation, share_radius=self.share_radius,
                                            names=getattr(self, "feature_names_in_", None))
        if self.start_class_feature:
            names.append("start_class")
            layers.append(np.where(valid, codes, -1).astype(np.float32).reshape(-1))
        X, ok = feature_rows(layers, valid)
        del layers
        return X, ok, user, names

    # ---------------------------------------------------------------------- fit
    def fit(self, lulc_start: xr.DataArray, lulc_end: xr.DataArray,
            drivers: Mapping[str, xr.DataArray] | xr.Dataset | None = None) -> LandUseSimulator:
        """Fit the Markov chain and the LEAS forests from two maps and driver rasters; returns self.

        ``drivers``: a dict name → raster on the maps' grid (or an ``xr.Dataset``); the derived
        drivers of ``derive`` are added. Kept by reference so :meth:`simulate` can re-derive the
        start-map drivers when it starts from another map.
        """
        check_raster(lulc_start, name="lulc_start", kind="categorical")
        check_raster(lulc_end, name="lulc_end", kind="categorical")
        check_aligned(lulc_start=lulc_start, lulc_end=lulc_end)
        t0 = time.perf_counter()
        a, ma = as_codes(lulc_start, name="lulc_start")
        b, mb = as_codes(lulc_end, name="lulc_end")
        _check_nodata(lulc_start, a[ma], name="lulc_start")
        _check_nodata(lulc_end, b[mb], name="lulc_end")
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
        X, ok, user, names = self._features(drivers, lulc_start, a, both, classes)
        self.feature_names_in_ = user
        self.feature_names_ = names
        s_leas, _ = self._seeds()
        res = fit_leas(X, a.reshape(-1)[ok], e.reshape(-1)[ok], classes, feature_names=names,
                       sample_rate=self.sample_rate, sampling=self.sampling,
                       min_samples_per_class=self.min_samples_per_class,
                       max_samples_per_class=self.max_samples_per_class, n_estimators=self.n_estimators,
                       max_features=self.max_features, min_samples_leaf=self.min_samples_leaf,
                       exclude_own_class=self.exclude_own_class, n_jobs=self._threads(), seed=s_leas)
        self.leas_ = res
        del X
        self.__dict__.pop("_development_probability", None)
        self._fit_maps = (lulc_start, lulc_end)
        self.driver_contribution_ = res.contribution
        self._fit_drivers = drivers
        self._fit_start = _fingerprint(a, ma)
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

    @property
    def development_probability_(self) -> xr.DataArray:
        """(class, y, x) float32 P on the fit's start map (cells valid in both fit maps); computed
        on first access with the fitted forests and the fit's drivers, then kept."""
        self._check_fitted()
        if "_development_probability" not in self.__dict__:
            start, end = self._fit_maps
            a, ma = as_codes(start, name="lulc_start")
            _, mb = as_codes(end, name="lulc_end")
            X, ok, _, _ = self._features(self._fit_drivers, start, a, ma & mb, self.classes_)
            self._development_probability = self._probability(X, ok, a, start)
        return self._development_probability

    def _probability(self, X, ok, codes, like, need: np.ndarray | None = None) -> xr.DataArray:
        """P on the usable cells (``ok``) — only those also in ``need`` when given (others NaN) —
        predicted block by block from the lazily gathered features ``X``."""
        ny, nx = like.sizes["y"], like.sizes["x"]
        K = len(self.classes_)
        if int(self.block_cells) < 1:
            raise ConfigError(message("block_cells", "a block size ≥ 1 cell", repr(self.block_cells),
                                      "use the default 262144"))
        pf = np.full((ny * nx, K), np.nan, dtype=np.float32)
        pos = (np.arange(len(X)) if need is None
               else np.flatnonzero(np.asarray(need).reshape(-1)[X.cells])).astype(X.cells.dtype)
        flat = codes.reshape(-1)
        step = int(self.block_cells)
        for s in range(0, len(pos), step):
            blk = pos[s:s + step]
            rows = X.cells[blk]
            predict_leas(self.leas_, X[blk], out=pf, rows=rows,
                         start=flat[rows] if self.exclude_own_class else None, chunk_rows=step)
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
    def predict_probability(self, lulc_start: xr.DataArray,
                            drivers: Mapping[str, xr.DataArray] | xr.Dataset | None = None) -> xr.DataArray:
        """Development probability (class, y, x) on ``lulc_start`` with the fitted forests (no refit).

        The derived drivers are re-derived from ``lulc_start``; ``drivers`` default to those of fit.
        """
        return self._predict(lulc_start, drivers)

    def _predict(self, lulc_start, drivers=None, need: np.ndarray | None = None, codes=None) -> xr.DataArray:
        self._check_fitted()
        a, ma = as_codes(lulc_start, name="lulc_start") if codes is None else codes
        X, ok, _, _ = self._features(self._fit_drivers if drivers is None else drivers, lulc_start, a, ma,
                                     self.classes_)
        return self._probability(X, ok, a, lulc_start, need=need)

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
                                      "give a count for every class present in the start map" +
                                      (f"; if code(s) {missing} mark the outside of the study area, set them as "
                                       f"nodata (lulc.rio.write_nodata({missing[0]}, encoded=False)) and refit"
                                       if missing else "")))
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
                 drivers: Mapping[str, xr.DataArray] | xr.Dataset | None = None,
                 probability: xr.DataArray | None = None,
                 allocation: Literal["cars", "ranking"] = "cars",
                 seed: int | np.random.SeedSequence | None = None,
                 time_label=None, name: str = "lulc_simulated") -> xr.DataArray:
        """Allocate ``demand`` (class code → cells) on ``lulc_start`` with CARS.

        Parameters
        ----------
        lulc_start : categorical map to start from (the grid of ``fit``). When it differs from the
            fit's start map (e.g. a forecast from the end map, or an out-of-sample hindcast) and
            neither ``drivers`` nor ``probability`` is given, P is re-predicted with the fitted
            forests from the fit's user drivers and drivers re-derived from ``lulc_start``.
        demand : target cells per class (e.g. :func:`~restoreplan.landuse.markov.markov_demand`, or
            :func:`~restoreplan.landuse.markov.hindcast_demand` to reproduce an observed map);
            a total differing from the valid cells by ≤ 1 % is rescaled with a warning.
        constraint : raster, 0 / False = locked (never changes), > 0 / True = may change; nodata =
            locked. Boolean rasters are accepted. More than half of the map locked → ``ConstraintWarning``.
        conversion : 0/1 matrix, a from → to DataFrame; a bare ndarray needs ``orientation``
            ("from_rows": rows are the current class). Default: every conversion allowed.
        drivers : new user driver rasters; the fitted forests predict P from them.
        probability : a (class, y, x) development probability to use instead (e.g. from
            :meth:`predict_probability`); exclusive with ``drivers``.
        allocation : "cars" (the cellular automaton) or "ranking" (the no-CA baseline:
            :func:`~restoreplan.landuse.cars.ranking_allocate`, same P, demand and constraint).
        seed : overrides the CARS part of the model's seed.
        time_label : if given, the result gets a length-1 ``time`` dim with this label.

        Returns
        -------
        DataArray on the grid of ``lulc_start``, its dtype and nodata. ``attrs`` hold the CARS
        diagnostics (iterations, stop reason, residual gaps as "code:gap" pairs, seconds).
        """
        self._check_fitted()
        check_raster(lulc_start, name="lulc_start", kind="categorical")
        check_aligned(lulc_start=lulc_start, fit_lulc_start=self._fit_maps[0])
        if allocation not in ("cars", "ranking"):
            raise ConfigError(message("allocation", "'cars' or 'ranking'", repr(allocation), "choose one"))
        a, ma = as_codes(lulc_start, name="lulc_start")
        classes = self.classes_
        K = len(classes)
        pos = np.clip(np.searchsorted(classes, a), 0, K - 1).astype(np.int16)   # class index, 2 B per cell
        known = classes[pos] == a
        if np.any(ma & ~known):
            bad = sorted(set(np.unique(a[ma & ~known]).tolist()))
            raise DataError(message("lulc_start", f"class codes seen in fit {classes.tolist()}",
                                    f"unknown codes {bad}", "reclassify the map or fit with maps holding these codes"
                                    + (f"; if {bad} mark the outside of the study area, set it as nodata "
                                       f"(lulc_start.rio.write_nodata({bad[0]}, encoded=False))"
                                       if lulc_start.rio.nodata is None else "")))
        lu = np.where(ma, pos, -1).astype(np.int8)
        counts = np.bincount(pos[ma], minlength=K)
        dvec = self._demand_vector(demand, counts, int(ma.sum()))
        allowed = None if constraint is None else constraint_mask(
            check_raster(constraint, name="constraint", kind="any"), lulc_start, ma)
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
        # P is needed only where the allocation can act: valid, free under the constraint and of a
        # class above its demand (cars_allocate and ranking_allocate never read P elsewhere)
        need = ma & (dvec - counts < 0)[pos]
        if allowed is not None:
            need &= np.asarray(allowed, dtype=bool)
        if drivers is not None:
            prob = self._predict(lulc_start, drivers, need=need, codes=(a, ma))
        elif probability is not None:
            if list(probability.dims) != ["class", "y", "x"] or not np.array_equal(probability["class"], classes):
                raise DataError(message("probability", f"a (class, y, x) array over classes {classes.tolist()}",
                                        f"dims {probability.dims}", "use sim.predict_probability(...)"))
            check_aligned(lulc_start=lulc_start, probability=probability.isel({"class": 0}))
            prob = probability
        elif _fingerprint(a, ma) != self._fit_start and (self.derive or self.start_class_feature
                                                         or self.exclude_own_class):
            prob = self._predict(lulc_start, need=need, codes=(a, ma))
        elif "_development_probability" in self.__dict__:
            prob = self._development_probability
        else:
            start, end = self._fit_maps   # the fit's features (fit start map, cells valid in both maps)
            af, maf = as_codes(start, name="lulc_start")
            _, mb = as_codes(end, name="lulc_end")
            X, ok, _, _ = self._features(self._fit_drivers, start, af, maf & mb, classes)
            prob = self._probability(X, ok, af, start, need=need)
        pf = np.moveaxis(np.asarray(prob.data), 0, -1).reshape(-1, K)  # (cells, class); a view for our cubes
        _, s_cars = self._seeds()
        if seed is not None:
            s_cars = seed
        if allocation == "ranking":
            res = ranking_allocate(lu, pf, dvec, allowed=allowed, conversion=tm)
        else:
            res = cars_allocate(lu, pf, dvec, allowed=allowed, conversion=tm,
                                weights=self.neighborhood_weights_.to_numpy(), neighborhood=self.neighborhood,
                                mu=self.mu, delta=self.delta, sigma_r1=self.sigma_r1, seed_cap=self.seed_cap,
                                step=self.step, step_iterations=self.step_iterations, max_iter=self.max_iter,
                                complete_demand=self.complete_demand, stall_tau=self.stall_tau,
                                stall_frac=self.stall_frac, seed=s_cars, n_threads=self._threads())
        nod = lulc_start.rio.nodata
        out = np.where(res.lu >= 0, classes[np.maximum(res.lu, 0)], nod if nod is not None else 0)
        out = out.astype(lulc_start.dtype)
        da = like_raster(out, lulc_start, name=name, units="1", nodata=nod, allocation=allocation,
                         cars_iterations=int(res.iterations), cars_stop_reason=res.stop_reason,
                         cars_converged=int(res.converged), cars_changed=int(res.changed),
                         cars_seeds=int(res.seeds), cars_seconds=float(res.seconds),
                         cars_residual_gap=";".join(f"{int(c)}:{int(g)}" for c, g in zip(classes, res.residual_gap)))
        copy_legend(lulc_start, da)   # the simulated map keeps the land-use legend of the start map
        if not res.converged:
            warnings.warn(f"{'CARS' if allocation == 'cars' else 'ranking'} stopped ({res.stop_reason}) after "
                          f"{res.iterations} iterations with residual gaps "
                          f"{dict(zip(classes.tolist(), res.residual_gap.tolist()))}", ConvergenceWarning,
                          stacklevel=2)
        if time_label is not None:
            da = da.expand_dims(time=[time_label])
        return da
