"""Tradeoff intensity (RMSE) and overall supply scores (Dashihe study, §2.5, eq. 4–6, Figs 4–6).

Each service is standardized by its maximum over the compared set (eq. 6), then the tradeoff
intensity of a scenario is the sample standard deviation of its standardized services (eq. 4;
Bradford & D'Amato 2012):

.. math::

    ES^{std}_{ik} = \\frac{ES_{ik}}{\\max_k ES_{ik}},\\qquad
    RMSE_k = \\sqrt{\\frac{1}{n-1}\\sum_{i=1}^{n}\\left(ES^{std}_{ik} - \\overline{ES}_k\\right)^2}

with :math:`n` the services compared (4 overall, 2 for a pair, where RMSE = |a − b|/√2) and
:math:`\\overline{ES}_k` their mean (``mean="same"``, default) or the mean of all N services
(``mean="all"``, the literal reading of eq. 5). RMSE = 0 on the 1:1 line (no tradeoff).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, DataError, message
from ..core.validate import check_table_columns

__all__ = [
    "STAND_SERVICES",
    "pairwise_rmse",
    "rmse_tradeoff",
    "scatter_matrix",
    "standardize_max",
    "supply_score",
]

STAND_SERVICES = ("carbon_t_per_hm2_a", "dust_kg_per_hm2_d", "lai", "shannon")
_SCENARIO_SERVICES = ("carbon_t_per_a", "dust_t_per_a", "soil_retention_lai", "habitat_shannon")


def _services(table: pd.DataFrame, services: Iterable[str] | None) -> list[str]:
    if services is not None:
        services = list(services)
    elif all(c in table.columns for c in _SCENARIO_SERVICES):
        services = list(_SCENARIO_SERVICES)
    elif all(c in table.columns for c in STAND_SERVICES):
        services = list(STAND_SERVICES)
    else:
        services = [c for c in table.select_dtypes("number").columns if not str(c).endswith("_change_pct")]
    check_table_columns(table, services, name="table")
    if len(services) < 2:
        raise ConfigError(message("services", "at least two services", f"{services}", "pass services=[...]"))
    return services


def _std_kernel(x: np.ndarray) -> np.ndarray:
    """Column-wise x / max (eq. 6)."""
    return x / x.max(axis=0, keepdims=True)


def standardize_max(table: pd.DataFrame, *, services: Iterable[str] | None = None) -> pd.DataFrame:
    """Standardize each service by its maximum over the rows (Dashihe study, eq. 6; ``max`` of ``normalize``).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows = scenarios or stand options, columns = services (values ≥ 0).
    services : iterable of str, optional
        Columns to use (default: the four Table-4 columns, else the four Table-3 columns, else all
        numeric columns that are not ``*_change_pct``).

    Returns
    -------
    pandas.DataFrame
        Same rows, the service columns in [0, 1] with a 1 in every column.

    Raises
    ------
    DataError
        NaN, negative values, or a column whose maximum is ≤ 0.

    Examples
    --------
    >>> standardize_max(pd.DataFrame({"a": [2.0, 4.0, 6.0], "b": [1.0, 1.0, 2.0]}))["a"].round(4).tolist()
    [0.3333, 0.6667, 1.0]
    """
    services = _services(table, services)
    x = table[services].to_numpy(dtype=float)
    if np.isnan(x).any() or (x < 0).any():
        raise DataError(message("table", "non-negative service values without NaN",
                                "NaN or negative entries", "fill or fix the service values first"))
    bad = [s for s, m in zip(services, x.max(axis=0)) if m <= 0]
    if bad:
        raise DataError(message("table", "a positive maximum in every service column", f"max ≤ 0 in {bad}",
                                "drop those services"))
    return pd.DataFrame(_std_kernel(x), index=table.index, columns=services)


def _rmse_kernel(std: np.ndarray, cols: list[int], mean: str) -> np.ndarray:
    """RMSE per row over the columns ``cols`` of a standardized matrix (eq. 4–5, n − 1)."""
    sub = std[:, cols]
    centre = sub.mean(axis=1, keepdims=True) if mean == "same" else std.mean(axis=1, keepdims=True)
    return np.sqrt(((sub - centre) ** 2).sum(axis=1) / (len(cols) - 1))


def rmse_tradeoff(table: pd.DataFrame, *, services: Iterable[str] | None = None,
                  mean: Literal["same", "all"] = "same") -> pd.Series:
    """Overall tradeoff intensity of each row over all services (Dashihe study, Fig. 6).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows = scenarios, columns = service totals (e.g. :func:`~restoreplan.stand.scenario_table`).
    services : iterable of str, optional
        Services (default: carbon, dust, LAI, Shannon).
    mean : {"same", "all"}, default "same"
        Centre of the deviations: mean of the services compared (here all of them, so both options
        agree for the overall RMSE).

    Returns
    -------
    pandas.Series
        RMSE per row, ≥ 0; 0 = all services equally close to their maxima.

    Notes
    -----
    the Dashihe study Table 4 as published gives 0.135, 0.059, 0.194, 0.149, 0.233, 0.145 for the status quo
    and S1–S5 (paper, Fig. 6: 0.18, 0.11, 0.23, 0.18, 0.23, 0.14).

    Examples
    --------
    >>> t = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 2.0]})   # std rows (.5, 1) and (1, 1)
    >>> rmse_tradeoff(t).round(4).tolist()                       # |.5 − 1|/√2 = .3536
    [0.3536, 0.0]
    """
    if mean not in ("same", "all"):
        raise ConfigError(message("mean", "'same' or 'all'", repr(mean), "choose one of the two"))
    std = standardize_max(table, services=services)
    return pd.Series(_rmse_kernel(std.to_numpy(), list(range(std.shape[1])), mean),
                     index=table.index, name="rmse")


def pairwise_rmse(table: pd.DataFrame, *, services: Iterable[str] | None = None,
                  mean: Literal["same", "all"] = "same") -> pd.DataFrame:
    """Tradeoff intensity of every service pair in every row (Dashihe study, Fig. 5b).

    Parameters
    ----------
    table : pandas.DataFrame
        As in :func:`rmse_tradeoff`.
    services : iterable of str, optional
        Services (default: carbon, dust, LAI, Shannon).
    mean : {"same", "all"}, default "same"
        ``same``: centre on the pair's mean, RMSE = |a − b|/√2; ``all``: centre on the mean of all N
        services (literal eq. 5), with n − 1 = 1.

    Returns
    -------
    pandas.DataFrame
        Tidy: one row per (row, pair) with columns ``scenario`` (the row label), ``service_a``,
        ``service_b``, ``rmse``.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [1.0, 4.0], "b": [2.0, 2.0], "c": [3.0, 3.0]})
    >>> float(pairwise_rmse(t).query("service_a == 'a' and service_b == 'b'")["rmse"].iloc[0].round(4))
    0.5303
    """
    if mean not in ("same", "all"):
        raise ConfigError(message("mean", "'same' or 'all'", repr(mean), "choose one of the two"))
    std = standardize_max(table, services=services)
    cols = list(std.columns)
    arr = std.to_numpy()
    rows = []
    for i, j in combinations(range(len(cols)), 2):
        r = _rmse_kernel(arr, [i, j], mean)
        rows.extend({"scenario": k, "service_a": cols[i], "service_b": cols[j], "rmse": float(v)}
                    for k, v in zip(std.index, r))
    return pd.DataFrame(rows)


def supply_score(stands: pd.DataFrame, *, services: Iterable[str] | None = None) -> pd.DataFrame:
    """Standardized individual and overall supply of each stand option (Dashihe study, Fig. 4).

    Parameters
    ----------
    stands : pandas.DataFrame
        Stand options × capacities (Table 3: the nine stands plus reference, control and
        recommended); default services ``carbon_t_per_hm2_a``, ``dust_kg_per_hm2_d``, ``lai``,
        ``shannon``.
    services : iterable of str, optional

    Returns
    -------
    pandas.DataFrame
        The standardized services (x / max over the options) and ``score`` = their sum, in
        [0, number of services].

    Notes
    -----
    .. math:: S_k = \\sum_i ES_{ik} / \\max_k ES_{ik}

    the Dashihe study: recommended 3.986 (paper 3.99), control 0.738 (paper 0.54, not reproduced).
    """
    std = standardize_max(stands, services=services)
    std["score"] = std.sum(axis=1)
    return std


def scatter_matrix(table: pd.DataFrame, *, services: Iterable[str] | None = None,
                   labels: dict[str, str] | None = None, title: str | None = None):
    """Scatter-plot matrix of standardized services across scenarios with the 1:1 line (Fig. 5a).

    Parameters
    ----------
    table : pandas.DataFrame
        Rows = scenarios (points), columns = services.
    services : iterable of str, optional
    labels : dict, optional
        Axis label per service.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Built with the Agg backend (no display needed); diagonal panels list the pair-free values.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    std = standardize_max(table, services=services)
    cols = list(std.columns)
    n = len(cols)
    fig = Figure(figsize=(2.4 * n, 2.4 * n))
    FigureCanvasAgg(fig)
    axes = fig.subplots(n, n, squeeze=False)
    for i, yi in enumerate(cols):
        for j, xj in enumerate(cols):
            ax = axes[i][j]
            ax.set_xlim(0, 1.05)
            ax.set_ylim(0, 1.05)
            if i == j:
                ax.text(0.5, 0.5, (labels or {}).get(yi, yi), ha="center", va="center", fontsize=8, wrap=True)
                ax.set_xticks([])
                ax.set_yticks([])
                continue
            ax.plot([0, 1.05], [0, 1.05], color="0.6", lw=0.8, ls="--")
            ax.scatter(std[xj], std[yi], s=18)
            for k in std.index:
                ax.annotate(str(k), (std.at[k, xj], std.at[k, yi]), fontsize=5, xytext=(2, 2),
                            textcoords="offset points")
            if i == n - 1:
                ax.set_xlabel((labels or {}).get(xj, xj), fontsize=7)
            if j == 0:
                ax.set_ylabel((labels or {}).get(yi, yi), fontsize=7)
            ax.tick_params(labelsize=6)
    if title:
        fig.suptitle(title)
    return fig
