r"""ESV per scenario, Pareto dominance and service synergies/tradeoffs (Niu et al. 2025).

* :func:`scenario_esv` — equivalent-factor ESV of land-use maps along a ``scenario`` (or
  ``time``) dim, summed to a tidy table scenario × service (computes).
* :func:`pareto_front`, :func:`dominates`, :func:`pareto_improvement` — dominance with a direction
  per objective (maximize or minimize); the non-dominated set; improvement over a baseline.
* :func:`functional_synergy` — signs of Δ vs the baseline per service pair;
  :func:`spatial_synergy` — Spearman correlation of per-pixel ΔESV_f and ΔESV_g.

Niu et al.'s (2025) scenario table ships as ``niu2025_scenario_esv`` (10⁸ yuan a⁻¹ as printed,
**unverified — check the paper**).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..core.errors import ConfigError, DataError, message
from ..core.validate import check_aligned, check_raster

__all__ = [
    "dominates",
    "esv_wide",
    "functional_synergy",
    "pareto_front",
    "pareto_improvement",
    "scenario_esv",
    "niu2025_scenario_esv",
    "spatial_synergy",
]

Direction = Literal["max", "min"]


# --------------------------------------------------------------------------------------------
# ESV per scenario
# --------------------------------------------------------------------------------------------

def scenario_esv(lulc: xr.DataArray, *, equivalents: pd.DataFrame, equivalent_value: float,
                 mapping=None, dim: str | None = None, scale: float = 1.0, units: str | None = None,
                 **esv_kwargs) -> pd.DataFrame:
    r"""Total ESV per scenario and service (equivalent-factor ESV of each map). Computes.

    Parameters
    ----------
    lulc : xarray.DataArray
        Categorical land use with a ``scenario`` dim (``xr.concat(maps, dim="scenario")``), or a
        ``time`` dim (years compared as scenarios), or a single (y, x) map. Projected CRS.
    equivalents, equivalent_value, mapping, esv_kwargs :
        As :func:`restoreplan.services.esv.esv` (e.g. ``load_table("niu2025_6class")``, D in
        yuan hm⁻² a⁻¹, adjustment options).
    dim : str, optional
        The scenario dim; default ``scenario`` if present, else ``time``.
    scale : float
        Multiplier of the sums (e.g. 1e-8 → 10⁸ yuan a⁻¹ as Niu et al. (2025) print).
    units : str, optional
        Unit label of the result; default the ESV unit with the scale.

    Returns
    -------
    pandas.DataFrame
        Tidy: columns ``scenario``, ``service`` (the services, then ``total``), ``value``;
        ``attrs["units"]``.

    Notes
    -----
    :math:`ESV_{s,f} = \sum_x VC_{f,lulc_s(x)}\,adj_f(x)\,A_{cell}/10^4`, summed over valid cells.
    """
    from ..services.esv import esv

    check_raster(lulc, name="lulc", kind="categorical", projected=True)
    if dim is None:
        dim = "scenario" if "scenario" in lulc.dims else ("time" if "time" in lulc.dims else None)
    if dim is not None and dim not in lulc.dims:
        raise ConfigError(message("dim", f"a dim of `lulc` {list(lulc.dims)}", repr(dim),
                                  "stack the maps with xr.concat(maps, dim='scenario')"))
    e = esv(lulc, equivalents=equivalents, equivalent_value=equivalent_value, mapping=mapping, **esv_kwargs)
    sums = e.astype(np.float64).sum(dim=("y", "x"), skipna=True) * float(scale)
    sums = sums.compute()
    if dim is None:
        sums = sums.expand_dims(scenario=["scenario"])
        dim = "scenario"
    df = sums.drop_vars([c for c in sums.coords if c not in (dim, "service")]).to_dataframe(name="value")
    df = df.reset_index().rename(columns={dim: "scenario"})[["scenario", "service", "value"]]
    df["service"] = df["service"].astype(str)
    base = e.attrs.get("units", "")
    df.attrs["units"] = units or (base if scale == 1.0 else f"{scale:g} × {base}")
    return df


def esv_wide(table: pd.DataFrame, *, include_total: bool = False) -> pd.DataFrame:
    """Pivot a tidy scenario × service table to rows = scenario, columns = services (order kept)."""
    for c in ("scenario", "service", "value"):
        if c not in table.columns:
            raise ConfigError(message("table", "columns scenario, service, value", f"columns {list(table.columns)}",
                                      "use scenario_esv(...)"))
    services = list(dict.fromkeys(table["service"]))
    scen = list(dict.fromkeys(table["scenario"]))
    w = table.pivot(index="scenario", columns="service", values="value").reindex(index=scen, columns=services)
    if not include_total:
        w = w.drop(columns=["total"], errors="ignore")
    w.columns.name = "service"
    return w


def niu2025_scenario_esv() -> pd.DataFrame:
    """Niu et al.'s (2025) printed ESV table as rows = scenario (2010, 2020, ID, FS, UE, ER), columns =
    the 11 services and ``total`` (10⁸ yuan a⁻¹ as printed; **unverified — check the paper**)."""
    from ..tables import load_table

    t = load_table("niu2025_scenario_esv").set_index("service")
    t.columns = [str(c) for c in t.columns]
    out = t.T
    out.index.name = "scenario"
    out.columns.name = "service"
    return out.astype(float)


# --------------------------------------------------------------------------------------------
# Pareto
# --------------------------------------------------------------------------------------------

def _signed(table: pd.DataFrame, objectives, directions) -> tuple[np.ndarray, list[str]]:
    """Values turned into 'larger is better' (min objectives negated)."""
    if not isinstance(table, pd.DataFrame):
        raise ConfigError(message("table", "a DataFrame rows = alternatives, columns = objectives",
                                  type(table).__name__, "use esv_wide(scenario_esv(...))"))
    objs = [c for c in table.columns if c != "total"] if objectives is None else list(objectives)
    missing = [o for o in objs if o not in table.columns]
    if missing or not objs:
        raise ConfigError(message("objectives", f"columns of the table {list(table.columns)}", repr(missing or objs),
                                  "name existing columns"))
    if isinstance(directions, str):
        directions = {o: directions for o in objs}
    dirs = {o: directions.get(o, "max") for o in objs}
    bad = {o: d for o, d in dirs.items() if d not in ("max", "min")}
    if bad:
        raise ConfigError(message("directions", "'max' or 'min' per objective", repr(bad), "fix the directions"))
    v = table[objs].to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise DataError(message("table", "finite objective values", "NaN or inf", "drop or fill those rows"))
    sign = np.array([1.0 if dirs[o] == "max" else -1.0 for o in objs])
    return v * sign, objs


def _dom(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """a dominates b: a ≥ b − tol on every objective and a > b + tol on at least one."""
    return bool(np.all(a >= b - tol) and np.any(a > b + tol))


def dominates(a: pd.Series | Mapping, b: pd.Series | Mapping, *,
              directions: Mapping[str, Direction] | Direction = "max", tol: float = 0.0) -> bool:
    r"""True when alternative ``a`` Pareto-dominates ``b``.

    Notes
    -----
    a ≻ b ⇔ :math:`\forall o: d_o a_o \ge d_o b_o` and :math:`\exists o: d_o a_o > d_o b_o`
    with :math:`d_o = +1` (max) or −1 (min); ``tol`` counts differences ≤ tol as ties.
    """
    t = pd.DataFrame([pd.Series(a), pd.Series(b)], index=["a", "b"])
    v, _ = _signed(t, None, directions)
    return _dom(v[0], v[1], tol)


def pareto_front(table: pd.DataFrame, *, objectives: Sequence[str] | None = None,
                 directions: Mapping[str, Direction] | Direction = "max", tol: float = 0.0) -> pd.DataFrame:
    """Dominance among alternatives (rows of ``table``) and the non-dominated set.

    Parameters
    ----------
    table : rows = alternatives (scenarios), columns = objectives (e.g. :func:`esv_wide`).
    objectives : columns to use; default all but ``total`` (the 11 services).
    directions : "max"/"min" for all, or per objective (missing → "max"), e.g. built-up area "min".
    tol : differences ≤ tol are ties (e.g. half the printing precision).

    Returns
    -------
    DataFrame indexed like ``table``: ``non_dominated`` (bool), ``dominated_by`` and ``dominates``
    (lists of row labels).
    """
    v, _ = _signed(table, objectives, directions)
    labels = list(table.index)
    by = {s: [] for s in labels}
    over = {s: [] for s in labels}
    for i, j in ((i, j) for i in range(len(labels)) for j in range(len(labels)) if i != j):
        if _dom(v[i], v[j], tol):
            over[labels[i]].append(labels[j])
            by[labels[j]].append(labels[i])
    return pd.DataFrame({"non_dominated": [not by[s] for s in labels], "dominated_by": [by[s] for s in labels],
                         "dominates": [over[s] for s in labels]}, index=pd.Index(labels, name=table.index.name))


def pareto_improvement(table: pd.DataFrame, baseline, *, objectives: Sequence[str] | None = None,
                       directions: Mapping[str, Direction] | Direction = "max", tol: float = 0.0) -> pd.DataFrame:
    """Whether each alternative is a Pareto improvement over the ``baseline`` row (it dominates it).

    Returns
    -------
    DataFrame (rows = alternatives other than the baseline): ``improvement`` (bool), ``n_better``,
    ``n_equal``, ``n_worse`` and ``worse`` (objectives worse than the baseline).
    """
    if baseline not in table.index:
        raise ConfigError(message("baseline", f"a row of the table {list(table.index)}", repr(baseline),
                                  "name the baseline scenario or year"))
    v, objs = _signed(table, objectives, directions)
    labels = list(table.index)
    b = v[labels.index(baseline)]
    rows = []
    for i, s in enumerate(labels):
        if s == baseline:
            continue
        d = v[i] - b
        rows.append({"scenario": s, "improvement": _dom(v[i], b, tol), "n_better": int(np.sum(d > tol)),
                     "n_equal": int(np.sum(np.abs(d) <= tol)), "n_worse": int(np.sum(d < -tol)),
                     "worse": [o for o, x in zip(objs, d) if x < -tol]})
    return pd.DataFrame(rows).set_index("scenario")


# --------------------------------------------------------------------------------------------
# synergy / tradeoff
# --------------------------------------------------------------------------------------------

def functional_synergy(table: pd.DataFrame, baseline, *, services: Sequence[str] | None = None,
                       tol: float = 0.0) -> pd.DataFrame:
    r"""Functional synergy/tradeoff of service pairs from the signs of Δ vs the baseline.

    For every alternative s ≠ baseline and pair (f, g): :math:`\Delta_f = ESV_{s,f} - ESV_{b,f}`;
    ``synergy`` when both signs are equal and non-zero, ``tradeoff`` when opposite, ``neutral``
    when either Δ is 0 (|Δ| ≤ ``tol``).

    Returns
    -------
    Tidy DataFrame: scenario, service_f, service_g, delta_f, delta_g, relation.
    """
    if baseline not in table.index:
        raise ConfigError(message("baseline", f"a row of the table {list(table.index)}", repr(baseline),
                                  "name the baseline scenario or year"))
    svc = [c for c in table.columns if c != "total"] if services is None else list(services)
    rows = []
    for s in table.index:
        if s == baseline:
            continue
        d = table.loc[s, svc].astype(float) - table.loc[baseline, svc].astype(float)
        sg = np.where(d.abs() <= tol, 0, np.sign(d)).astype(int)
        sg = dict(zip(svc, sg))
        for f, g in combinations(svc, 2):
            rel = "neutral" if sg[f] == 0 or sg[g] == 0 else ("synergy" if sg[f] == sg[g] else "tradeoff")
            rows.append({"scenario": s, "service_f": f, "service_g": g, "delta_f": float(d[f]),
                         "delta_g": float(d[g]), "relation": rel})
    return pd.DataFrame(rows, columns=["scenario", "service_f", "service_g", "delta_f", "delta_g", "relation"])


def _spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from scipy.stats import spearmanr

    if a.size < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return float("nan"), float("nan")
    res = spearmanr(a, b)
    return float(res.statistic), float(res.pvalue)


def spatial_synergy(esv_scenarios: xr.DataArray, esv_baseline: xr.DataArray, *,
                    services: Sequence[str] | None = None, dim: str | None = None,
                    sample: int | None = None, seed: int = 0) -> pd.DataFrame:
    r"""Spatial synergy: Spearman ρ of per-pixel ΔESV_f and ΔESV_g. Computes.

    Parameters
    ----------
    esv_scenarios : (service, [scenario,] y, x) ESV from :func:`restoreplan.services.esv.esv`.
    esv_baseline : (service, y, x) ESV of the baseline map on the same grid.
    services : service labels (default all but ``total``).
    dim : the scenario dim (default ``scenario``, else ``time``, else none).
    sample : use at most this many valid pixels, drawn without replacement by
        ``np.random.default_rng(seed)`` (the same pixels for every pair of a scenario).
    seed : seed of the subsample.

    Returns
    -------
    Tidy DataFrame: scenario, service_f, service_g, rho, p_value, n, relation (``synergy`` ρ > 0,
    ``tradeoff`` ρ < 0, ``none`` when ρ is NaN — a constant Δ).

    Notes
    -----
    :math:`\Delta ESV_f(x) = ESV_{s,f}(x) - ESV_{b,f}(x)` over pixels where every used Δ is finite;
    ρ = Pearson correlation of the ranks (ties averaged).
    """
    for nm, da in (("esv_scenarios", esv_scenarios), ("esv_baseline", esv_baseline)):
        if "service" not in da.dims:
            raise DataError(message(nm, "an ESV raster with a `service` dim", f"dims {da.dims}",
                                    "use rp.services.esv.esv(lulc, ...)"))
    if dim is None:
        dim = "scenario" if "scenario" in esv_scenarios.dims else ("time" if "time" in esv_scenarios.dims else None)
    ref = esv_scenarios.isel({d: 0 for d in esv_scenarios.dims if d not in ("y", "x")})
    check_aligned(esv_scenarios=ref, esv_baseline=esv_baseline.isel(service=0))
    labels = [str(s) for s in esv_scenarios["service"].values]
    svc = [s for s in labels if s != "total"] if services is None else list(services)
    missing = [s for s in svc if s not in labels or s not in [str(x) for x in esv_baseline["service"].values]]
    if missing or len(svc) < 2:
        raise ConfigError(message("services", "at least two services present in both inputs", repr(missing or svc),
                                  f"choose from {labels}"))
    if sample is not None and sample < 3:
        raise ConfigError(message("sample", "at least 3 pixels, or None", repr(sample), "e.g. sample=10000"))
    base = np.stack([np.asarray(esv_baseline.sel(service=s).values, np.float64) for s in svc])
    scen = [None] if dim is None else list(esv_scenarios[dim].values)
    rows = []
    for sc in scen:
        cur = esv_scenarios if sc is None else esv_scenarios.sel({dim: sc})
        d = np.stack([np.asarray(cur.sel(service=s).values, np.float64) for s in svc]) - base
        d = d.reshape(len(svc), -1)
        ok = np.all(np.isfinite(d), axis=0)
        idx = np.flatnonzero(ok)
        if sample is not None and idx.size > sample:
            idx = np.sort(np.random.default_rng(seed).choice(idx, size=sample, replace=False))
        for (i, f), (j, g) in combinations(enumerate(svc), 2):
            rho, p = _spearman(d[i, idx], d[j, idx])
            rel = "none" if not np.isfinite(rho) else ("synergy" if rho > 0 else ("tradeoff" if rho < 0 else "none"))
            rows.append({"scenario": "scenario" if sc is None else sc, "service_f": f, "service_g": g, "rho": rho,
                         "p_value": p, "n": int(idx.size), "relation": rel})
    return pd.DataFrame(rows, columns=["scenario", "service_f", "service_g", "rho", "p_value", "n", "relation"])
