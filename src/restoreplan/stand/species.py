"""Species coefficient database and stand supply capacities (Dashihe study, §2.3).

A species value of a service is the mean of its literature records. A species without a record
takes the mean of the species of the same life form in the same site (restoration, reference or
control), else — if ``fallback="across_sites"`` — the mean of that life form over all sites, else
the lookup fails. A stand's supply capacity is the weighted mean of its species' values:

.. math::

    V_s = \\frac{\\sum_{i \\in s} w_i v_i}{\\sum_{i \\in s} w_i},\\qquad
    w_i \\in \\{\\text{cover}_i,\\ IV_i,\\ 1\\}

Units: LAI m² m⁻²; carbon sequestration t hm⁻² a⁻¹; dust deposition kg hm⁻² d⁻¹. Other numeric
services (nitrogen fixation, longevity, food or aesthetic value) are handled the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from ..core.errors import ConfigError, DataError, message
from ..core.validate import check_table_columns
from .diversity import LIFE_FORMS, importance_values

__all__ = ["CORE_SERVICES", "SERVICE_UNITS", "species_values", "stand_capacity", "stand_names"]

CORE_SERVICES = ("lai", "carbon", "dust")
SERVICE_UNITS = {"lai": "m2 m-2", "carbon": "t hm-2 a-1", "dust": "kg hm-2 d-1"}


def _species_sites(species: pd.DataFrame) -> pd.DataFrame:
    """Long (species, life_form, site) table from a species table with ``site`` or ``sites``."""
    sp = species.reset_index() if "species" not in species.columns else species.copy()
    check_table_columns(sp, ["species", "life_form"], name="species")
    sp["life_form"] = sp["life_form"].astype(str).str.lower()
    bad = sorted(set(sp["life_form"]) - set(LIFE_FORMS))
    if bad:
        raise ConfigError(message("species.life_form", f"one of {list(LIFE_FORMS)}", f"{bad}",
                                  "recode the life forms as tree, shrub or herb"))
    col = "site" if "site" in sp.columns else ("sites" if "sites" in sp.columns else None)
    if col is None:
        sp["site"] = "all"
    else:
        sp["site"] = sp[col].fillna("").astype(str).str.split(";")
        sp = sp.explode("site")
        sp["site"] = sp["site"].str.strip().replace("", "unknown")
    forms = sp.groupby("species")["life_form"].nunique()
    clash = sorted(forms.index[forms > 1])
    if clash:
        raise ConfigError(message("species", "one life form per species", f"several for {clash}",
                                  "give each species a single life form"))
    return sp[["species", "life_form", "site"]].drop_duplicates()


def species_values(records: pd.DataFrame, species: pd.DataFrame, *,
                   services: Iterable[str] | None = None,
                   fallback: Literal["across_sites", "error"] = "across_sites") -> pd.DataFrame:
    """Per-species service coefficients with type-mean imputation (Dashihe study, §2.3.1).

    Parameters
    ----------
    records : pandas.DataFrame
        Literature records, one per row: ``species``, ``service`` (e.g. ``lai``, ``carbon``,
        ``dust``, ``nitrogen_fixation``), ``value``; an optional ``source`` column is ignored.
    species : pandas.DataFrame
        The species pool: ``species`` (column or index), ``life_form`` (tree | shrub | herb) and
        ``site`` or ``sites`` (``restoration``, ``reference``, ``control``; several separated by
        ``;``). Extra columns (``invasive``, traits) are carried to the output.
    services : iterable of str, optional
        Services to return (default: every service found in ``records``).
    fallback : {"across_sites", "error"}, default "across_sites"
        What to do when no species of the same life form has a value in the species' site(s):
        take the life-form mean over all sites (**assumption — parameter**), or raise.

    Returns
    -------
    pandas.DataFrame
        Indexed by species: ``life_form``, the species-table extras, one column per service and
        ``<service>_origin`` ∈ {``records``, ``site_mean``, ``global_mean``}.

    Raises
    ------
    ConfigError
        Records for species missing from ``species`` (all listed), missing columns.
    DataError
        NaN or negative record values; a value that cannot be imputed (all listed).

    Notes
    -----
    .. math::

        v_{i} = \\frac{1}{R_i}\\sum_{r=1}^{R_i} x_{ir}\\ \\text{if}\\ R_i > 0,\\quad
        \\text{else}\\ v_i = \\overline{v}_{\\,\\text{life form}(i),\\ \\text{site}(i)}

    The means used for imputation are taken over species values that come from records only
    (imputed values never feed other imputations).

    Examples
    --------
    >>> rec = pd.DataFrame({"species": ["a", "a", "b"], "service": ["lai"] * 3, "value": [2.0, 4.0, 6.0]})
    >>> sp = pd.DataFrame({"species": ["a", "b", "c"], "life_form": ["tree"] * 3, "site": ["restoration"] * 3})
    >>> species_values(rec, sp)["lai"].tolist()   # a = mean(2, 4); c = mean(a, b)
    [3.0, 6.0, 4.5]
    """
    check_table_columns(records, ["species", "service", "value"], name="records")
    pool = _species_sites(species)
    known = set(pool["species"])
    unknown = sorted(set(records["species"]) - known)
    if unknown:
        raise ConfigError(message("records.species", "species listed in the species table",
                                  f"unknown species {unknown}", "add them to `species` (with life form and site)"))
    vals = pd.to_numeric(records["value"], errors="coerce")
    if vals.isna().any() or (vals < 0).any():
        bad = records.loc[vals.isna() | (vals < 0), ["species", "service"]].drop_duplicates()
        raise DataError(message("records.value", "non-negative numbers",
                                f"missing/negative values for {bad.values.tolist()}",
                                "fix or drop those records"))
    rec = records.assign(value=vals)
    svc = list(services) if services is not None else list(dict.fromkeys(rec["service"]))
    missing_svc = sorted(set(svc) - set(rec["service"]))
    if missing_svc:
        raise ConfigError(message("services", "services present in `records`", f"no records for {missing_svc}",
                                  f"add records or drop {missing_svc} from `services`"))
    means = rec[rec["service"].isin(svc)].pivot_table(index="species", columns="service", values="value",
                                                      aggfunc="mean")
    sp_table = species.reset_index() if "species" not in species.columns else species
    extras = [c for c in sp_table.columns if c not in ("species", "life_form", "site", "sites")]
    out = (pool.drop_duplicates("species").set_index("species")[["life_form"]]
           .join(sp_table.drop_duplicates("species").set_index("species")[extras]))
    out.index.name = "species"
    problems = []
    long = pool.merge(means, left_on="species", right_index=True, how="left")
    for s in svc:
        site_mean = long.groupby(["life_form", "site"])[s].mean()
        form_mean = long.drop_duplicates("species").groupby("life_form")[s].mean()
        col, origin = [], []
        for name, form in zip(out.index, out["life_form"]):
            v = means.at[name, s] if name in means.index else np.nan
            if not np.isnan(v):
                col.append(v)
                origin.append("records")
                continue
            sites = pool.loc[pool["species"] == name, "site"]
            cand = [site_mean.get((form, st), np.nan) for st in sites]
            cand = [c for c in cand if not np.isnan(c)]
            if cand:
                col.append(float(np.mean(cand)))
                origin.append("site_mean")
            elif fallback == "across_sites" and not np.isnan(form_mean.get(form, np.nan)):
                col.append(float(form_mean[form]))
                origin.append("global_mean")
            else:
                col.append(np.nan)
                origin.append("missing")
                problems.append(f"{name} ({form}, {s})")
        out[s] = col
        out[f"{s}_origin"] = origin
    if problems:
        raise DataError(message("records", "a record or a same-life-form mean for every species and service",
                                f"no value for {problems}",
                                "add literature records for those species or life forms, "
                                "or use fallback='across_sites'"))
    return out


def _weights(comp: pd.DataFrame, weights: str, n_plots) -> pd.Series:
    if weights == "equal":
        return pd.Series(1.0, index=comp.index)
    if weights == "cover":
        return comp["cover"].astype(float)
    if weights == "importance":
        iv = importance_values(comp[[c for c in comp.columns if c != "stand"]], n_plots=n_plots)["iv"]
        return pd.Series(iv.reindex(comp["species"]).to_numpy(), index=comp.index)
    raise ConfigError(message("weights", "'cover', 'importance' or 'equal'", repr(weights),
                              "choose one of the three weightings"))


def stand_capacity(composition: pd.DataFrame, values: pd.DataFrame, *,
                   weights: Literal["cover", "importance", "equal"] = "cover",
                   services: Iterable[str] = CORE_SERVICES,
                   n_plots: int | dict | None = None) -> pd.DataFrame:
    """Stand supply capacities: weighted means of species coefficients.

    Parameters
    ----------
    composition : pandas.DataFrame
        One row per (stand, species): ``stand``, ``species``, ``cover`` (≥ 0); for
        ``weights="importance"`` also ``life_form``, ``height`` and ``plots`` (plot counts).
    values : pandas.DataFrame
        Species coefficients indexed by species (output of :func:`species_values`).
    weights : {"cover", "importance", "equal"}, default "cover"
        w_i: the cover of the species in the stand (**assumption — parameter**), its importance
        value (seed eq. 2–3) or 1.
    services : iterable of str, default ("lai", "carbon", "dust")
        Columns of ``values`` to average.
    n_plots : int or dict, optional
        Plots per stand for importance values (dict keyed by stand, or one number).

    Returns
    -------
    pandas.DataFrame
        Indexed by stand, one column per service (units of ``values``).

    Raises
    ------
    ConfigError
        Species of ``composition`` without a coefficient (all listed); a stand with zero total weight.

    Notes
    -----
    .. math:: V_s = \\sum_{i\\in s} w_i v_i \\Big/ \\sum_{i\\in s} w_i

    Examples
    --------
    >>> comp = pd.DataFrame({"stand": ["S", "S"], "species": ["a", "b"], "cover": [75, 25]})
    >>> vals = pd.DataFrame({"lai": [4.0, 8.0]}, index=["a", "b"])
    >>> float(stand_capacity(comp, vals, services=["lai"]).loc["S", "lai"])   # (75·4 + 25·8)/100
    5.0
    """
    services = list(services)
    need = ["stand", "species"] + (["cover"] if weights != "equal" else [])
    check_table_columns(composition, need, name="composition")
    check_table_columns(values, services, name="values")
    missing = sorted(set(composition["species"]) - set(values.index))
    if missing:
        raise ConfigError(message("values", "a coefficient row for every species of `composition`",
                                  f"no row for {missing}", "add them to the species database (species_values)"))
    rows = {}
    for stand, comp in composition.groupby("stand", sort=False):
        n = n_plots.get(stand) if isinstance(n_plots, dict) else n_plots
        w = _weights(comp, weights, n)
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ConfigError(message(f"composition[{stand!r}]", "non-negative weights with a positive sum",
                                      f"weights {w.round(4).tolist()}", "check cover (or height/plots) of that stand"))
        v = values.loc[comp["species"], services].to_numpy(dtype=float)
        rows[stand] = (w.to_numpy()[:, None] * v).sum(axis=0) / w.sum()
    out = pd.DataFrame.from_dict(rows, orient="index", columns=services)
    out.index.name = "stand"
    return out


def stand_names(composition: pd.DataFrame, *, mixed_below: float = 0.6) -> pd.Series:
    """Name stands after their dominant species by cover, adding "Mixed" below a share (Dashihe study, §3.1).

    Parameters
    ----------
    composition : pandas.DataFrame
        ``stand``, ``species``, ``cover``.
    mixed_below : float, default 0.6
        The dominant species' cover share under which " Mixed" is appended.

    Returns
    -------
    pandas.Series
        Stand id → name, e.g. ``"Ulmus pumila Mixed"``.

    Examples
    --------
    >>> comp = pd.DataFrame({"stand": [1, 1, 2], "species": ["Ulmus pumila", "Populus tomentosa", "Tamarix"],
    ...                      "cover": [50, 50, 80]})
    >>> stand_names(comp).tolist()
    ['Populus tomentosa Mixed', 'Tamarix']
    """
    check_table_columns(composition, ["stand", "species", "cover"], name="composition")
    names = {}
    for stand, comp in composition.groupby("stand", sort=False):
        comp = comp.sort_values(["cover", "species"], ascending=[False, True])
        total = comp["cover"].sum()
        share = comp["cover"].iloc[0] / total if total > 0 else 0.0
        names[stand] = comp["species"].iloc[0] + (" Mixed" if share < mixed_below else "")
    return pd.Series(names, name="stand_name")
