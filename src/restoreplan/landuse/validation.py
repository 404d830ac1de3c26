r"""Accuracy of simulated land-use maps.

Confusion matrix (rows = reference/observed, columns = simulated), overall accuracy, Cohen's
kappa, and the three-map Figure of Merit of Pontius et al. (2008):

* A — observed change simulated as persistence (miss);
* B — observed change simulated as change to the correct class (hit);
* C — observed change simulated as change to a wrong class (wrong hit);
* D — observed persistence simulated as change (false alarm).

.. math:: FoM = B/(A+B+C+D),\; PA = B/(A+B+C),\; UA = B/(B+C+D)

Change-aware agreement (the null "no change" map scores 0 on both, so they show skill over persistence):

* Kappa simulation (van Vliet, Bregt & Hagen-Zanker 2011):
  :math:`K_{sim} = (p_o - p_{e|T})/(1 - p_{e|T})` with the expected agreement given the transitions
  :math:`p_{e|T} = \sum_j p(o_j) \sum_i p(s_i \mid o_j)\, p(a_i \mid o_j)` (o = start, s = simulated,
  a = observed end class); range [−1, 1].
* Kappa of change: Cohen's kappa of the binary maps "changed since the start" (observed vs simulated).

:func:`validate_simulation` reports all of them for a simulation, the probability-ranking baseline
and the null model side by side.

Cells that are nodata in any map are excluded.

References
----------
Cohen J. (1960) A coefficient of agreement for nominal scales. Educ. Psychol. Meas. 20:37–46.
van Vliet J., Bregt A.K., Hagen-Zanker A. (2011) Revisiting Kappa to account for change in the
accuracy assessment of land-use change models. Ecol. Model. 222:1367–1375.
Pontius R.G. Jr. et al. (2008) Comparing the input, output, and validation maps for several models
of land change. Ann. Reg. Sci. 42:11–37.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import DataError, message
from ..core.validate import check_aligned
from ._common import as_codes, common_classes
from .markov import _crosstab_kernel

__all__ = [
    "FigureOfMerit",
    "confusion_matrix",
    "disagreement",
    "figure_of_merit",
    "fom_from_components",
    "fom_per_class",
    "kappa",
    "kappa_from_confusion",
    "kappa_change",
    "kappa_simulation",
    "overall_accuracy",
    "validate_simulation",
]


def _arrays(**rasters: xr.DataArray):
    check_aligned(**rasters)
    vals, mask = [], None
    for nm, da in rasters.items():
        a, m = as_codes(da, name=nm)
        vals.append(a)
        mask = m if mask is None else (mask & m)
    return vals, mask


def _confusion(obs: np.ndarray, sim: np.ndarray, classes=None) -> pd.DataFrame:
    cls = common_classes((obs, np.ones(obs.shape, bool)), (sim, np.ones(sim.shape, bool)), classes=classes)
    n = _crosstab_kernel(obs, sim, cls)
    return pd.DataFrame(n, index=pd.Index(cls, name="observed"), columns=pd.Index(cls, name="simulated"))


def confusion_matrix(observed: xr.DataArray, simulated: xr.DataArray, *, classes=None) -> pd.DataFrame:
    """Confusion matrix n_ab (rows = observed/reference class a, columns = simulated class b). Computes."""
    (o, s), m = _arrays(observed=observed, simulated=simulated)
    return _confusion(o[m], s[m], classes)


def _as_matrix(cm) -> np.ndarray:
    n = np.asarray(cm.to_numpy() if isinstance(cm, pd.DataFrame) else cm, dtype=np.float64)
    if n.ndim != 2 or n.shape[0] != n.shape[1] or n.sum() <= 0:
        raise DataError(message("confusion", "a square matrix of counts with a positive total",
                                f"shape {n.shape}, total {n.sum() if n.size else 0}", "check the inputs"))
    return n


def overall_accuracy(cm) -> float:
    r"""Overall accuracy :math:`OA = \sum_a n_{aa}/N` of a confusion matrix (range [0, 1])."""
    n = _as_matrix(cm)
    return float(np.trace(n) / n.sum())


def kappa_from_confusion(cm) -> float:
    r"""Cohen's kappa :math:`(OA - p_e)/(1 - p_e)`, :math:`p_e = \sum_a n_{a+} n_{+a}/N^2` (range [−1, 1])."""
    n = _as_matrix(cm)
    total = n.sum()
    oa = np.trace(n) / total
    pe = float((n.sum(axis=1) * n.sum(axis=0)).sum() / total**2)
    if pe >= 1.0:
        return 1.0 if oa >= 1.0 else 0.0
    return float((oa - pe) / (1.0 - pe))


def kappa(observed: xr.DataArray, simulated: xr.DataArray) -> float:
    """Cohen's kappa between an observed and a simulated map over cells valid in both (computes)."""
    return kappa_from_confusion(confusion_matrix(observed, simulated))


def disagreement(cm) -> dict[str, float]:
    r"""Quantity :math:`Q = \tfrac12\sum_a |n_{a+} - n_{+a}|/N` and allocation :math:`(1 - OA) - Q` disagreement."""
    n = _as_matrix(cm)
    total = n.sum()
    q = 0.5 * np.abs(n.sum(axis=1) - n.sum(axis=0)).sum() / total
    oa = np.trace(n) / total
    return {"quantity": float(q), "allocation": float((1.0 - oa) - q)}


@dataclass(frozen=True)
class FigureOfMerit:
    """Components and ratios of the three-map Figure of Merit (Pontius et al. 2008)."""

    A: int
    B: int
    C: int
    D: int
    fom: float
    producers_accuracy: float
    users_accuracy: float
    overall_accuracy: float = float("nan")
    kappa: float = float("nan")
    quantity_disagreement: float = float("nan")
    allocation_disagreement: float = float("nan")

    def as_dict(self) -> dict:
        """Plain dict of every field."""
        return asdict(self)

    def __float__(self) -> float:
        return float(self.fom)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def fom_from_components(A: int, B: int, C: int, D: int) -> FigureOfMerit:
    """FoM = B/(A+B+C+D), PA = B/(A+B+C), UA = B/(B+C+D) from the four component counts."""
    A, B, C, D = (int(v) for v in (A, B, C, D))
    if min(A, B, C, D) < 0:
        raise DataError(message("A, B, C, D", "non-negative cell counts", f"{(A, B, C, D)}", "check the counts"))
    return FigureOfMerit(A=A, B=B, C=C, D=D, fom=_ratio(B, A + B + C + D),
                         producers_accuracy=_ratio(B, A + B + C), users_accuracy=_ratio(B, B + C + D))


def _fom_kernel(s0: np.ndarray, o: np.ndarray, s: np.ndarray) -> tuple[int, int, int, int]:
    obs_change = o != s0
    sim_change = s != s0
    A = int(np.count_nonzero(obs_change & ~sim_change))
    B = int(np.count_nonzero(obs_change & sim_change & (s == o)))
    C = int(np.count_nonzero(obs_change & sim_change & (s != o)))
    D = int(np.count_nonzero(~obs_change & sim_change))
    return A, B, C, D


def figure_of_merit(start: xr.DataArray, observed: xr.DataArray, simulated: xr.DataArray) -> FigureOfMerit:
    """Figure of Merit of a simulation from ``start`` against the ``observed`` end map (computes).

    Returns a :class:`FigureOfMerit` (``float(result)`` is the FoM) that also carries OA, kappa and
    quantity/allocation disagreement of ``simulated`` against ``observed``.
    """
    (s0, o, s), m = _arrays(start=start, observed=observed, simulated=simulated)
    s0, o, s = s0[m], o[m], s[m]
    base = fom_from_components(*_fom_kernel(s0, o, s))
    cm = _confusion(o, s)
    dis = disagreement(cm)
    return FigureOfMerit(**{**base.as_dict(), "overall_accuracy": overall_accuracy(cm),
                            "kappa": kappa_from_confusion(cm), "quantity_disagreement": dis["quantity"],
                            "allocation_disagreement": dis["allocation"]})


def fom_per_class(start: xr.DataArray, observed: xr.DataArray, simulated: xr.DataArray) -> pd.DataFrame:
    """Per-class FoM of gains: for each class k, A/B/C/D restricted to cells gaining k in either map.

    A_k: observed gain of k simulated as persistence; B_k: observed gain of k simulated correctly;
    C_k: observed gain of k simulated as change to another class; D_k: simulated gain of k where
    the observed map did not change to k (persistence or change to another class).
    """
    (s0, o, s), m = _arrays(start=start, observed=observed, simulated=simulated)
    s0, o, s = s0[m], o[m], s[m]
    rows = []
    for k in np.unique(np.concatenate([o, s])):
        og = (o == k) & (s0 != k)
        sg = (s == k) & (s0 != k)
        A = int(np.count_nonzero(og & (s == s0)))
        B = int(np.count_nonzero(og & sg))
        C = int(np.count_nonzero(og & (s != s0) & ~sg))
        D = int(np.count_nonzero(sg & ~og))
        f = fom_from_components(A, B, C, D)
        rows.append({"class": int(k), "A": A, "B": B, "C": C, "D": D, "fom": f.fom,
                     "producers_accuracy": f.producers_accuracy, "users_accuracy": f.users_accuracy})
    return pd.DataFrame(rows).set_index("class")


def _kappa_simulation_kernel(s0: np.ndarray, o: np.ndarray, s: np.ndarray) -> float:
    """Kappa simulation of 1-D code arrays (start, observed, simulated), van Vliet et al. (2011)."""
    n = len(s0)
    if n == 0:
        return float("nan")
    po = float(np.count_nonzero(o == s)) / n
    pe = 0.0
    for j in np.unique(s0):
        m = s0 == j
        nj = int(m.sum())
        cls, ca = np.unique(o[m], return_counts=True)
        sim_cls, cs = np.unique(s[m], return_counts=True)
        common, ia, ib = np.intersect1d(cls, sim_cls, return_indices=True)
        pe += (nj / n) * float(np.sum((ca[ia] / nj) * (cs[ib] / nj)))
    return float((po - pe) / (1.0 - pe)) if pe < 1.0 else float("nan")


def _kappa_change_kernel(s0: np.ndarray, o: np.ndarray, s: np.ndarray) -> float:
    """Cohen's kappa of the binary change maps (o ≠ s0 vs s ≠ s0); NaN if both are constant alike."""
    oc, sc = (o != s0), (s != s0)
    n = np.array([[np.count_nonzero(~oc & ~sc), np.count_nonzero(~oc & sc)],
                  [np.count_nonzero(oc & ~sc), np.count_nonzero(oc & sc)]], dtype=np.float64)
    return kappa_from_confusion(n) if n.sum() > 0 else float("nan")


def kappa_simulation(start: xr.DataArray, observed: xr.DataArray, simulated: xr.DataArray) -> float:
    """Kappa simulation (van Vliet et al. 2011) of ``simulated`` against ``observed`` from ``start`` (computes)."""
    (s0, o, s), m = _arrays(start=start, observed=observed, simulated=simulated)
    return _kappa_simulation_kernel(s0[m], o[m], s[m])


def kappa_change(start: xr.DataArray, observed: xr.DataArray, simulated: xr.DataArray) -> float:
    """Cohen's kappa of observed vs simulated change/persistence since ``start`` (computes)."""
    (s0, o, s), m = _arrays(start=start, observed=observed, simulated=simulated)
    return _kappa_change_kernel(s0[m], o[m], s[m])


def _scores(s0, o, s) -> dict:
    base = fom_from_components(*_fom_kernel(s0, o, s))
    cm = _confusion(o, s)
    dis = disagreement(cm)
    return {"fom": base.fom, "kappa": kappa_from_confusion(cm), "overall_accuracy": overall_accuracy(cm),
            "kappa_simulation": _kappa_simulation_kernel(s0, o, s), "kappa_change": _kappa_change_kernel(s0, o, s),
            "producers_accuracy": base.producers_accuracy, "users_accuracy": base.users_accuracy,
            "quantity_disagreement": dis["quantity"], "allocation_disagreement": dis["allocation"],
            "A": base.A, "B": base.B, "C": base.C, "D": base.D}


def validate_simulation(start: xr.DataArray, observed: xr.DataArray, simulated: xr.DataArray, *,
                        ranking: xr.DataArray | None = None, model=None, demand=None, constraint=None,
                        conversion=None, orientation=None) -> pd.DataFrame:
    """Score a simulation against the observed map, beside the no-change and probability-ranking baselines.

    Rows: ``simulation``; ``probability_ranking`` (the same development probability, demand and
    constraint allocated by ranking P alone, no CA: pass it as ``ranking`` or give the fitted
    ``model`` — then ``demand`` defaults to the observed counts on the cells valid in all maps,
    rescaled to the start map's valid cells if they differ slightly);
    ``no_change`` (the null model: the start map itself). Columns: FoM, Kappa, OA, Kappa simulation,
    Kappa of change, producer's/user's accuracy of change, quantity/allocation disagreement and the
    FoM components A, B, C, D (module docstring). Cells nodata in any map are excluded. Computes.

    A simulation has skill over persistence when its ``kappa_simulation`` (and ``kappa_change``)
    exceed the null model's 0, and its CA earns its place when its FoM exceeds the ranking's.

    What the ranking row compares: with ``model``, the ranking is ``model.simulate(start, ...,
    allocation="ranking")``, i.e. the development probability that ``model.simulate`` would use
    from ``start`` (the same P as a simulation made by that call without ``drivers`` or
    ``probability``), the same demand and constraint, allocated without neighbourhood. A simulation
    made with its own ``probability``/``drivers`` needs its ranking passed as ``ranking`` for an
    equal-P comparison. ``attrs`` of the table name the simulation's allocation
    (``simulation_allocation``) and how the ranking was made (``ranking_baseline``).
    """
    rasters_from_model = ranking is None and model is not None
    if rasters_from_model:
        import warnings

        if demand is None:
            (s0, o), m = _arrays(start=start, observed=observed)
            m = m & as_codes(simulated, name="simulated")[1]
            codes, counts = np.unique(o[m], return_counts=True)
            demand = dict(zip(codes.tolist(), counts.tolist()))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a ranking that cannot meet the demand is still a baseline
            ranking = model.simulate(start, demand=demand, constraint=constraint, conversion=conversion,
                                     orientation=orientation, allocation="ranking", name="lulc_ranking")
    rasters = {"start": start, "observed": observed, "simulated": simulated}
    if ranking is not None:
        rasters["ranking"] = ranking
    vals, m = _arrays(**rasters)
    s0, o, s = (v[m] for v in vals[:3])
    rows = {"simulation": _scores(s0, o, s)}
    if ranking is not None:
        rows["probability_ranking"] = _scores(s0, o, vals[3][m])
    rows["no_change"] = _scores(s0, o, s0)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "model"
    out.attrs["simulation_allocation"] = str(simulated.attrs.get("allocation", "unknown"))
    out.attrs["ranking_baseline"] = (
        "none" if ranking is None else
        "model.simulate(start, allocation='ranking'): the model's P from start, same demand and constraint, "
        "no neighbourhood" if rasters_from_model else "passed by the caller")
    return out
