"""Plant diversity of stands: importance values, Shannon–Wiener, Simpson and Pielou (Dashihe study, §2.3.4).

The habitat-maintenance service of the Dashihe study is the Shannon–Wiener index computed on species
*importance values* (Fang et al. 2009) instead of individual counts:

.. math::

    C_{r,i} = \\frac{c_i}{\\sum_j c_j},\\quad H_{r,i} = \\frac{h_i}{\\sum_j h_j},\\quad
    F_{r,i} = \\frac{n_i}{N_{plots}}

    IV_{tree} = (C_r + H_r + F_r)/3,\\qquad IV_{shrub} = IV_{herb} = (C_r + H_r)/2

    H = -\\sum_i P_i \\ln P_i

with :math:`c` cover, :math:`h` height, :math:`n_i` the plots holding species *i* and
:math:`N_{plots}` all plots of the site (14 restoration, 5 reference/control in the seed).
With ``normalize=True`` :math:`P_i = IV_i/\\sum_j IV_j` and :math:`0 \\le H \\le \\ln S`. The seed
published H up to 8.14 with 33 species (> ln 33 = 3.50), which only un-normalized importance
values can give; ``normalize=False`` (:math:`P_i = IV_i`) reproduces that convention.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, ConstantInputWarning, DataError, message
from ..core.validate import check_table_columns

__all__ = ["LIFE_FORMS", "diversity_table", "importance_values", "pielou", "shannon", "simpson"]

LIFE_FORMS = ("tree", "shrub", "herb")


def _as_probabilities(values, *, normalize: bool, name: str) -> np.ndarray:
    p = np.asarray(values, dtype=float).ravel()
    if p.size == 0:
        raise DataError(message(name, "at least one abundance or importance value", "an empty sequence",
                                "pass the values of the species present"))
    if np.isnan(p).any():
        raise DataError(message(name, "values without NaN", f"{int(np.isnan(p).sum())} NaN value(s)",
                                "drop or fill the missing species values first"))
    if (p < 0).any():
        raise DataError(message(name, "non-negative abundances or importance values",
                                f"minimum {p.min():g}", "check the cover, height and frequency inputs"))
    if normalize:
        total = p.sum()
        if total <= 0:
            raise DataError(message(name, "a positive total", "all values are zero",
                                    "pass at least one species with a positive value"))
        p = p / total
    return p[p > 0]


def _shannon_kernel(p: np.ndarray) -> float:
    """H = -Σ p ln p over p > 0 (p already final: normalized or not)."""
    return float(-(p * np.log(p)).sum())


def shannon(values, *, normalize: bool = True) -> float:
    """Shannon–Wiener index H = −Σ P_i ln P_i.

    Parameters
    ----------
    values : array-like of float
        Abundances or importance values, ≥ 0 (zeros are ignored).
    normalize : bool, default True
        ``True``: :math:`P_i = v_i/\\sum v`, so :math:`0 \\le H \\le \\ln S`. ``False``: use the values as
        :math:`P_i` unchanged (the convention of the Dashihe study; H may exceed ln S).

    Returns
    -------
    float
        H in nats.

    Raises
    ------
    DataError
        Empty input, NaN, negative values, or a zero total with ``normalize=True``.

    Notes
    -----
    .. math:: H = -\\sum_{i=1}^{S} P_i \\ln P_i

    Examples
    --------
    >>> round(shannon([1, 1, 1, 1]), 4)   # ln 4
    1.3863
    >>> round(shannon([0.5, 0.5], normalize=False), 4)
    0.6931
    """
    return _shannon_kernel(_as_probabilities(values, normalize=normalize, name="values"))


def simpson(values, *, normalize: bool = True) -> float:
    """Gini–Simpson index D = 1 − Σ P_i² (range [0, 1 − 1/S] when normalized).

    Parameters
    ----------
    values : array-like of float
        Abundances or importance values, ≥ 0.
    normalize : bool, default True
        As in :func:`shannon`; with ``False`` D can be negative when Σ P_i² > 1.

    Returns
    -------
    float

    Examples
    --------
    >>> simpson([1, 1, 1, 1])
    0.75
    """
    p = _as_probabilities(values, normalize=normalize, name="values")
    return float(1.0 - (p * p).sum())


def pielou(values, *, normalize: bool = True) -> float:
    """Pielou evenness J = H / ln S (range [0, 1] when normalized; NaN for S = 1).

    Parameters
    ----------
    values : array-like of float
        Abundances or importance values, ≥ 0; S counts the positive values.
    normalize : bool, default True
        As in :func:`shannon`; with ``False`` J may exceed 1.

    Returns
    -------
    float
        NaN (with a ``ConstantInputWarning``) when only one species is present.

    Examples
    --------
    >>> round(pielou([2, 2, 2]), 12)
    1.0
    """
    p = _as_probabilities(values, normalize=normalize, name="values")
    if p.size < 2:
        warnings.warn("Pielou evenness is undefined for a single species; returning NaN",
                      ConstantInputWarning, stacklevel=2)
        return float("nan")
    return float(_shannon_kernel(p) / np.log(p.size))


def importance_values(plots: pd.DataFrame, *, n_plots: int | None = None,
                      relative_within: Literal["layer", "all"] = "layer",
                      frequency: Literal["plots", "relative"] = "plots") -> pd.DataFrame:
    """Importance values of the species of one site or stand (Dashihe study, eq. 2–3).

    Parameters
    ----------
    plots : pandas.DataFrame
        One row per species with columns ``species``, ``life_form`` (tree | shrub | herb),
        ``cover`` (% or any common unit, ≥ 0), ``height`` (m, ≥ 0) and, when trees are present,
        ``plots`` (number of plots in which the species occurs).
    n_plots : int, optional
        Number of plots of the site (14 for the seed's restoration area, 5 for reference and
        control). Required with ``frequency="plots"`` when trees are present.
    relative_within : {"layer", "all"}, default "layer"
        Denominators of C_r and H_r: the species of the same life form (the layers of the
        vegetation survey) or all species. **Assumption — parameter**: the seed does not say.
    frequency : {"plots", "relative"}, default "plots"
        ``plots``: F_r = n_i / N_plots (the seed's definition); ``relative``: F_r = n_i / Σ n_j over
        the trees (relative frequency of Fang et al. 2009).

    Returns
    -------
    pandas.DataFrame
        Indexed by species: ``life_form``, ``cr``, ``hr``, ``fr`` (NaN for shrubs and herbs), ``iv``.

    Raises
    ------
    ConfigError
        Missing columns, unknown life forms, duplicated species, or ``n_plots`` missing.
    DataError
        Negative cover or height, or a species found in more plots than ``n_plots``.

    Notes
    -----
    .. math::

        IV_{tree} = (C_r + H_r + F_r)/3,\\qquad IV_{shrub/herb} = (C_r + H_r)/2

    Examples
    --------
    >>> df = pd.DataFrame({"species": ["a", "b"], "life_form": ["shrub", "shrub"],
    ...                    "cover": [30, 10], "height": [1.0, 1.0]})
    >>> importance_values(df)["iv"].round(3).tolist()   # ((.75 + .5)/2, (.25 + .5)/2)
    [0.625, 0.375]
    """
    check_table_columns(plots, ["species", "life_form", "cover", "height"], name="plots")
    df = plots.copy()
    df["life_form"] = df["life_form"].astype(str).str.lower()
    bad = sorted(set(df["life_form"]) - set(LIFE_FORMS))
    if bad:
        raise ConfigError(message("plots.life_form", f"one of {list(LIFE_FORMS)}", f"{bad}",
                                  "recode the life forms as tree, shrub or herb"))
    dup = sorted(df.loc[df["species"].duplicated(), "species"].astype(str).unique())
    if dup:
        raise ConfigError(message("plots.species", "one row per species", f"duplicates {dup}",
                                  "aggregate the plot records per species first (sum cover, mean height)"))
    for col in ("cover", "height"):
        if (df[col] < 0).any() or df[col].isna().any():
            raise DataError(message(f"plots.{col}", "non-negative values without NaN",
                                    f"{df.loc[(df[col] < 0) | df[col].isna(), 'species'].tolist()}",
                                    f"fix the {col} of those species"))
    trees = df["life_form"] == "tree"
    group = df["life_form"] if relative_within == "layer" else pd.Series("all", index=df.index)
    cov_tot = df.groupby(group)["cover"].transform("sum")
    hgt_tot = df.groupby(group)["height"].transform("sum")
    df["cr"] = np.where(cov_tot > 0, df["cover"] / cov_tot.where(cov_tot > 0, 1), 0.0)
    df["hr"] = np.where(hgt_tot > 0, df["height"] / hgt_tot.where(hgt_tot > 0, 1), 0.0)
    df["fr"] = np.nan
    if trees.any():
        if "plots" not in df.columns:
            raise ConfigError(message("plots", "a `plots` column (plots holding the species) for trees",
                                      f"columns {list(plots.columns)}", "add the plot count per species"))
        n_i = df.loc[trees, "plots"].astype(float)
        if frequency == "plots":
            if n_plots is None or n_plots <= 0:
                raise ConfigError(message("n_plots", "the number of plots of the site (> 0)", repr(n_plots),
                                          "pass n_plots=14 (restoration) or 5 (reference, control) as in the Dashihe study"))
            if (n_i > n_plots).any() or (n_i < 0).any():
                raise DataError(message("plots.plots", f"counts in [0, {n_plots}]",
                                        f"{df.loc[trees & ((df['plots'] > n_plots) | (df['plots'] < 0)), 'species'].tolist()}",
                                        "check the plot counts or n_plots"))
            df.loc[trees, "fr"] = n_i / n_plots
        else:
            tot = n_i.sum()
            df.loc[trees, "fr"] = n_i / tot if tot > 0 else 0.0
    df["iv"] = np.where(trees, (df["cr"] + df["hr"] + df["fr"]) / 3.0, (df["cr"] + df["hr"]) / 2.0)
    return df.set_index("species")[["life_form", "cr", "hr", "fr", "iv"]]


def diversity_table(plots: pd.DataFrame, *, by: str | None = "stand", n_plots: int | dict | None = None,
                    normalize: bool = True, relative_within: Literal["layer", "all"] = "layer",
                    frequency: Literal["plots", "relative"] = "plots") -> pd.DataFrame:
    """Richness, Shannon–Wiener, Simpson and Pielou from importance values, per group.

    Parameters
    ----------
    plots : pandas.DataFrame
        Columns of :func:`importance_values`, plus the grouping column ``by``.
    by : str or None, default "stand"
        Grouping column (stand or site); ``None`` treats the whole table as one group.
    n_plots : int or dict, optional
        Plots per group (a dict keyed by group) or one number for all.
    normalize : bool, default True
        Passed to :func:`shannon`, :func:`simpson` and :func:`pielou` (``False`` = seed convention).
    relative_within, frequency
        Passed to :func:`importance_values`.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``richness`` (S), ``iv_sum``, ``shannon``, ``simpson``, ``pielou``.
    """
    if by is not None:
        check_table_columns(plots, [by], name="plots")
        groups = plots.groupby(by, sort=False)
    else:
        groups = [("all", plots)]
    rows = {}
    for key, sub in groups:
        n = n_plots.get(key) if isinstance(n_plots, dict) else n_plots
        iv = importance_values(sub.drop(columns=[by]) if by else sub, n_plots=n,
                               relative_within=relative_within, frequency=frequency)["iv"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConstantInputWarning)
            rows[key] = {"richness": int((iv > 0).sum()), "iv_sum": float(iv.sum()),
                         "shannon": shannon(iv, normalize=normalize),
                         "simpson": simpson(iv, normalize=normalize),
                         "pielou": pielou(iv, normalize=normalize)}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = by or "group"
    return out
