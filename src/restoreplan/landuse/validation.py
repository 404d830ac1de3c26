r"""Accuracy of simulated land-use maps.

Confusion matrix (rows = reference/observed, columns = simulated), overall accuracy, Cohen's
kappa, and the three-map Figure of Merit of Pontius et al. (2008):

* A — observed change simulated as persistence (miss);
* B — observed change simulated as change to the correct class (hit);
* C — observed change simulated as change to a wrong class (wrong hit);
* D — observed persistence simulated as change (false alarm).

.. math:: FoM = B/(A+B+C+D),\; PA = B/(A+B+C),\; UA = B/(B+C+D)

Cells that are nodata in any map are excluded.

References
----------
Cohen J. (1960) A coefficient of agreement for nominal scales. Educ. Psychol. Meas. 20:37–46.
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
    "overall_accuracy",
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
