"""Recommended stand composition by service rankings (Dashihe study, §2.4, Table 2).

Tree layer: rank the candidate species by each service (1 = largest value), keep the species that
appear in the top ``top_n`` of at least ``min_appearances`` rankings, drop invasive species, order
them by appearances (descending) then mean rank (ascending), and give them the shares of a ladder
(Dashihe study: 20, 15, 15, 15, 10, 5, 5, 5, 5, 5 %), renormalized to 100 % if fewer species qualify:

.. math::

    k_i = \\#\\{j : r_{ij} \\le n_{top}\\},\\qquad \\bar r_i = \\operatorname{mean}_{j:\\,r_{ij}\\le n_{top}} r_{ij},
    \\qquad p_{(m)} = 100\\,\\frac{L_m}{\\sum_{m' \\le M} L_{m'}}

Shrub and herb layers: non-invasive species carrying a wanted trait (nitrogen fixation, aesthetic
value, food, longevity — in that priority) with equal shares of ``100 / n_species`` %.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..core.errors import AssumptionWarning, ConfigError, DataError, message
from ..core.validate import check_table_columns

__all__ = [
    "DEFAULT_LADDER",
    "DEFAULT_TRAITS",
    "SEED_SERVICES",
    "rank_species",
    "ranks_from_lists",
    "recommended_composition",
    "select_trees",
    "understory_layer",
]

DEFAULT_LADDER = (20.0, 15.0, 15.0, 15.0, 10.0, 5.0, 5.0, 5.0, 5.0, 5.0)
DEFAULT_TRAITS = ("nitrogen_fixation", "aesthetic", "food", "longevity")
SEED_SERVICES = ("soil_retention", "carbon_sequestration", "dust_deposition")
_TRAIT_LABEL = {"nitrogen_fixation": "nitrogen fixation", "aesthetic": "aesthetics", "food": "food",
                "longevity": "long-living"}


def rank_species(values: pd.DataFrame, *, services: Iterable[str] = ("lai", "carbon", "dust")) -> pd.DataFrame:
    """Rank species per service, 1 = largest value (ties share the best rank).

    Parameters
    ----------
    values : pandas.DataFrame
        Species coefficients indexed by species (e.g. from :func:`~restoreplan.stand.species_values`).
        Rank only the candidate pool (Dashihe study: species of the restoration and reference sites);
        filter rows first to rank a narrower pool.
    services : iterable of str
        Columns to rank.

    Returns
    -------
    pandas.DataFrame
        Species × service integer ranks (NaN where the value is missing).

    Examples
    --------
    >>> v = pd.DataFrame({"lai": [3.0, 5.0, 4.0]}, index=["a", "b", "c"])
    >>> rank_species(v, services=["lai"])["lai"].tolist()
    [3.0, 1.0, 2.0]
    """
    services = list(services)
    check_table_columns(values, services, name="values")
    return values[services].rank(ascending=False, method="min")


def ranks_from_lists(rankings: pd.DataFrame) -> pd.DataFrame:
    """Turn published top-n lists (rows = rank, columns = service, cells = species) into species × service ranks.

    Parameters
    ----------
    rankings : pandas.DataFrame
        Indexed by rank (1, 2, ...), one column per service holding species names (Dashihe study, Table 2,
        ``restoreplan.datasets.dashihe().rankings``).

    Returns
    -------
    pandas.DataFrame
        Indexed by species, one column per service, rank or NaN when not listed.
    """
    out: dict[str, dict[str, float]] = {}
    for svc in rankings.columns:
        col = rankings[svc].dropna()
        dup = sorted(col[col.duplicated()].unique())
        if dup:
            raise ConfigError(message(f"rankings.{svc}", "each species once per ranking", f"repeated {dup}",
                                      "fix the ranking list"))
        for rank, sp in col.items():
            out.setdefault(str(sp), {})[svc] = float(rank)
    df = pd.DataFrame.from_dict(out, orient="index").reindex(columns=list(rankings.columns))
    df.index.name = "species"
    return df


def _qualify(ranks: pd.DataFrame, top_n: int, min_appearances: int) -> pd.DataFrame:
    top = ranks.where(ranks <= top_n)
    k = top.notna().sum(axis=1)
    out = top.loc[k >= min_appearances].copy()
    out["appearances"] = k[k >= min_appearances]
    out["mean_rank"] = top.loc[out.index].mean(axis=1, skipna=True)
    return out


def select_trees(ranks: pd.DataFrame, species: pd.DataFrame | None = None, *, top_n: int = 10,
                 min_appearances: int = 2, life_form: str | None = "tree", exclude_invasive: bool = True,
                 ladder: Sequence[float] = DEFAULT_LADDER) -> pd.DataFrame:
    """Select and weight the tree species of the recommended stand (Dashihe study, Table 2).

    Parameters
    ----------
    ranks : pandas.DataFrame
        Species × service ranks (1 = best), from :func:`rank_species` or :func:`ranks_from_lists`.
    species : pandas.DataFrame, optional
        Species table indexed by species with ``life_form`` and ``invasive``; needed for the
        ``life_form`` filter and invasive exclusion.
    top_n : int, default 10
        Length of each top list.
    min_appearances : int, default 2
        Minimum number of top lists a species must appear in.
    life_form : str or None, default "tree"
        Keep only this life form (``None``: keep all).
    exclude_invasive : bool, default True
        Drop species flagged ``invasive`` (after ranking, as in the seed, whose rankings list
        invasive species).
    ladder : sequence of float, default (20, 15, 15, 15, 10, 5, 5, 5, 5, 5)
        Shares (%) by position (**assumption — parameter**: the seed's allocation). Renormalized to
        100 % over the species kept; extra species beyond its length are dropped with an
        ``AssumptionWarning``.

    Returns
    -------
    pandas.DataFrame
        Indexed by species in order: the rank per service (NaN = not in the top list),
        ``appearances``, ``mean_rank``, ``percent``.

    Raises
    ------
    ConfigError
        Qualifying species missing from ``species`` (all listed), a bad ladder.
    DataError
        No species qualifies.

    Notes
    -----
    Order: appearances (desc), mean rank (asc), then the rank tuple in service order (missing =
    ∞), then name. The Dashihe study: Larix (1, 3, 1) 20 %, Ulmus (9, 1, 7) 15 %, Platycladus (10, 6, 2)
    15 %, Populus (8, 7, 10) 15 %, Pinus tabuliformis (3, –, 3) 10 %, then 5 % each.
    """
    ladder = np.asarray(ladder, dtype=float)
    if ladder.size == 0 or (ladder <= 0).any():
        raise ConfigError(message("ladder", "a non-empty sequence of positive shares", repr(list(ladder)),
                                  "use e.g. (20, 15, 15, 15, 10, 5, 5, 5, 5, 5)"))
    services = list(ranks.columns)
    q = _qualify(ranks, top_n, min_appearances)
    if species is not None and (life_form is not None or exclude_invasive):
        missing = sorted(set(q.index) - set(species.index))
        if missing:
            raise ConfigError(message("species", "a row (life_form, invasive) for every qualifying species",
                                      f"no row for {missing}", "add them to the species table"))
        sp = species.loc[q.index]
        keep = pd.Series(True, index=q.index)
        if life_form is not None:
            check_table_columns(species, ["life_form"], name="species")
            keep &= sp["life_form"].astype(str).str.lower() == life_form
        if exclude_invasive:
            check_table_columns(species, ["invasive"], name="species")
            keep &= ~sp["invasive"].fillna(False).astype(bool)
        q = q[keep.to_numpy()]
    elif species is None and (life_form is not None or exclude_invasive):
        raise ConfigError(message("species", "a species table for the life-form filter and invasive exclusion",
                                  "None", "pass species=... or set life_form=None, exclude_invasive=False"))
    if q.empty:
        raise DataError(message("ranks", f"species in ≥ {min_appearances} top-{top_n} lists", "none",
                                "lower min_appearances or raise top_n"))
    key = q[services].fillna(np.inf)
    order = sorted(q.index, key=lambda s: (-q.at[s, "appearances"], q.at[s, "mean_rank"],
                                           tuple(key.loc[s]), s))
    q = q.loc[order]
    if len(q) > ladder.size:
        warnings.warn(f"{len(q)} species qualify but the ladder has {ladder.size} shares; "
                      f"dropping {list(q.index[ladder.size:])}", AssumptionWarning, stacklevel=2)
        q = q.iloc[:ladder.size]
    shares = ladder[:len(q)]
    q["percent"] = 100.0 * shares / shares.sum()
    q["appearances"] = q["appearances"].astype(int)
    q.index.name = "species"
    return q[services + ["appearances", "mean_rank", "percent"]]


def understory_layer(species: pd.DataFrame, *, life_form: str = "shrub",
                     traits: Sequence[str] | None = DEFAULT_TRAITS, n_species: int = 10,
                     exclude_invasive: bool = True) -> pd.DataFrame:
    """Shrub or herb layer of the recommended stand: species chosen by trait, equal shares.

    Parameters
    ----------
    species : pandas.DataFrame
        Indexed by species: ``life_form``, ``invasive`` and one boolean column per trait.
    life_form : {"shrub", "herb"}, default "shrub"
    traits : sequence of str or None
        Wanted traits in priority order (a species is labelled by its first trait); ``None`` takes
        every species of the life form (the Dashihe study's herb layer: local species).
    n_species : int, default 10
        Number of species; each gets 100/n_species % (Dashihe study: 10 %). When fewer qualify the rest
        is one row ``"(k unspecified species)"``, so the layer still sums to 100 %.
    exclude_invasive : bool, default True

    Returns
    -------
    pandas.DataFrame
        Columns ``layer``, ``species``, ``percent``, ``basis``.
    """
    need = ["life_form"] + (["invasive"] if exclude_invasive else []) + list(traits or [])
    check_table_columns(species, need, name="species")
    if n_species < 1:
        raise ConfigError(message("n_species", "an integer ≥ 1", repr(n_species), "use e.g. 10"))
    sp = species[species["life_form"].astype(str).str.lower() == life_form]
    if exclude_invasive:
        sp = sp[~sp["invasive"].fillna(False).astype(bool)]
    rows = []
    if traits:
        for t in traits:
            for name in sp.index[sp[t].fillna(False).astype(bool)]:
                if name not in {r["species"] for r in rows}:
                    rows.append({"species": name, "basis": _TRAIT_LABEL.get(t, t)})
    else:
        rows = [{"species": name, "basis": "local species"} for name in sp.index]
    rows = rows[:n_species]
    share = 100.0 / n_species
    out = pd.DataFrame(rows, columns=["species", "basis"])
    out["percent"] = share
    if len(rows) < n_species:
        k = n_species - len(rows)
        out = pd.concat([out, pd.DataFrame([{"species": f"({k} unspecified species)",
                                             "basis": "not named", "percent": share * k}])],
                        ignore_index=True)
    out.insert(0, "layer", life_form)
    return out[["layer", "species", "percent", "basis"]]


def recommended_composition(ranks: pd.DataFrame, species: pd.DataFrame, *, top_n: int = 10,
                            min_appearances: int = 2, ladder: Sequence[float] = DEFAULT_LADDER,
                            shrub_traits: Sequence[str] | None = DEFAULT_TRAITS,
                            herb_traits: Sequence[str] | None = None, n_shrubs: int = 10,
                            n_herbs: int = 10) -> pd.DataFrame:
    """The full recommended composition (trees by ranking, shrubs and herbs by trait), as Table 2.

    Parameters
    ----------
    ranks : pandas.DataFrame
        Species × service ranks (:func:`rank_species` or :func:`ranks_from_lists`).
    species : pandas.DataFrame
        Species table (life form, invasive flag, trait columns).
    top_n, min_appearances, ladder
        See :func:`select_trees`.
    shrub_traits, herb_traits, n_shrubs, n_herbs
        See :func:`understory_layer`.

    Returns
    -------
    pandas.DataFrame
        ``layer``, ``species``, ``percent``, ``basis`` (ranks as ``"(1, 3, 1)"`` for trees, with
        ``-`` for a missing rank); each layer sums to 100 %.

    Examples
    --------
    >>> from restoreplan.datasets.dashihe import dashihe
    >>> d = dashihe()
    >>> t = recommended_composition(ranks_from_lists(d.rankings), d.species)
    >>> t[t.layer == "tree"].head(2)[["species", "percent"]].values.tolist()
    [['Larix principis-rupprechtii', 20.0], ['Ulmus pumila', 15.0]]
    """
    trees = select_trees(ranks, species, top_n=top_n, min_appearances=min_appearances, ladder=ladder)
    services = list(ranks.columns)

    def fmt(row):
        return "ranks (" + ", ".join("-" if np.isnan(row[s]) else str(int(row[s])) for s in services) + ")"

    tree_rows = pd.DataFrame({"layer": "tree", "species": trees.index, "percent": trees["percent"].to_numpy(),
                              "basis": [fmt(trees.loc[s]) for s in trees.index]})
    shrubs = understory_layer(species, life_form="shrub", traits=shrub_traits, n_species=n_shrubs)
    herbs = understory_layer(species, life_form="herb", traits=herb_traits, n_species=n_herbs)
    return pd.concat([tree_rows, shrubs, herbs], ignore_index=True)
