"""Study-file steps of the stand module (the Dashihe study), registered in the method registry.

The examples run on the shipped Dashihe study data through the reference ``"dataset:dashihe"`` (the
runner resolves it to ``restoreplan.datasets.dashihe()``, a :class:`DashiheData` object, hence
the input kind ``any``); user studies pass their own tables (``stands``, ``site``, ...) instead.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from ..core.errors import ConfigError, message
from ..pipeline.registry import Input, Params, register
from .diversity import diversity_table
from .recommend import DEFAULT_LADDER, rank_species, ranks_from_lists, recommended_composition
from .scenarios import DEFAULT_DUST_DAYS, SiteDesign, implied_dust_days, scenario_table
from .species import species_values, stand_capacity
from .tradeoff import pairwise_rmse, rmse_tradeoff, scatter_matrix, standardize_max, supply_score

__all__ = [
    "stand_capacity_step",
    "stand_diversity_step",
    "stand_recommended_step",
    "stand_scenarios_step",
    "stand_species_values_step",
    "stand_supply_score_step",
    "stand_tradeoff_step",
]

_DATA_DOC = "Dashihe-like data object with `stands` and `site` tables (e.g. dataset:dashihe)"


def _design(data, stands, site, step: str):
    if data is not None:
        return data
    if stands is not None and site is not None:
        return SiteDesign.from_tables(stands, site)
    raise ConfigError(message(f"{step}.inputs", "either `data` or both `stands` and `site`",
                              "neither", 'add inputs = { data = "dataset:dashihe" } or stands/site tables'))


# ---------------------------------------------------------------- scenarios
class StandScenarioParams(Params):
    """Parameters of ``stand_scenarios``."""

    dust_days_per_year: float = Field(DEFAULT_DUST_DAYS, gt=0, le=366,
                                      description="leaf-on days converting kg/hm²/d to t/a (default fitted to the "
                                                  "Dashihe stand study's Table 4: set your site's own)",
                                      json_schema_extra={"units": "d/a"})
    intensive: Literal["site", "area_weighted"] = Field(
        "site", description="LAI and Shannon of stand-based scenarios: site values or area-weighted stand means")
    baseline: str = Field("status_quo", description="scenario the % changes refer to")


def stand_scenarios_step(data=None, stands=None, site=None, *, dust_days_per_year: float = DEFAULT_DUST_DAYS,
                         intensive: str = "site", baseline: str = "status_quo") -> pd.DataFrame:
    """Scenario totals and % change against the status quo (Dashihe study, Table 4)."""
    d = _design(data, stands, site, "stand_scenarios")
    t = scenario_table(d, dust_days_per_year=dust_days_per_year, intensive=intensive, baseline=baseline,
                       include_area=True)
    return t.reset_index()


register("stand_scenarios", params=StandScenarioParams, group="stand",
         inputs=(Input("data", "any", _DATA_DOC, optional=True),
                 Input("stands", "table", "stand options: role, area_hm2, capacities (layout of the Dashihe study, Table 3)", optional=True),
                 Input("site", "table", "key/value site facts: total_area_hm2, water_area_hm2, ...", optional=True)),
         outputs=("table",),
         formula="C = Σ A_s C_s (t/a); Du = d/1000 · Σ A_s Du_s (t/a); Δ% = 100 (X − X_sq)/X_sq",
         units={"carbon_t_per_a": "t/a", "dust_t_per_a": "t/a", "soil_retention_lai": "m2/m2",
                "habitat_shannon": "1"},
         example={"inputs": {"data": "dataset:dashihe"}, "params": {"dust_days_per_year": 191.5}})(stand_scenarios_step)


# ---------------------------------------------------------------- tradeoffs
class StandTradeoffParams(Params):
    """Parameters of ``stand_tradeoff``."""

    source: Literal["computed", "published"] = Field(
        "computed", description="with `data`: scenario totals computed from the stand table (Dashihe study, Table 3), "
                              "or the published totals (its Table 4)")
    mean: Literal["same", "all"] = Field("same", description="centre of the RMSE: mean of the compared services or of all")
    dust_days_per_year: float = Field(DEFAULT_DUST_DAYS, gt=0, le=366, description="leaf-on days (computed totals)",
                                      json_schema_extra={"units": "d/a"})


def stand_tradeoff_step(data=None, table=None, *, source: str = "computed", mean: str = "same",
                        dust_days_per_year: float = DEFAULT_DUST_DAYS) -> dict:
    """Tradeoff intensity (root-mean-square error) per scenario, overall and per service pair (Dashihe study, eq. 4–6)."""
    if table is not None:
        t = table.set_index("scenario") if "scenario" in table.columns else table
    elif data is not None:
        t = data.table4 if source == "published" else scenario_table(data, dust_days_per_year=dust_days_per_year)
    else:
        raise ConfigError(message("stand_tradeoff.inputs", "`table` (scenario totals) or `data`", "neither",
                                  'add inputs = { data = "dataset:dashihe" }'))
    overall = rmse_tradeoff(t, mean=mean).rename_axis("scenario").reset_index()
    std = standardize_max(t).rename_axis("scenario").reset_index()
    return {"overall": overall, "pairwise": pairwise_rmse(t, mean=mean), "standardized": std}


def _tradeoff_report(result, ctx=None) -> str:
    """Report section of ``stand_tradeoff``: scatter-matrix chart (Fig. 5a) and the RMSE tables."""
    import html

    from ..report import chart_html, table_html

    std = result["standardized"].set_index("scenario")
    fig = scatter_matrix(std, title="standardized services (x / max), 1:1 line = no tradeoff")
    pair = result["pairwise"].pivot_table(index="scenario", columns=["service_a", "service_b"], values="rmse",
                                          sort=False)
    return (chart_html(fig, "standardized services per scenario (scatter matrix)", dpi=80)
            + table_html(result["overall"], caption="Overall tradeoff intensity (root-mean-square error, RMSE)",
                         units="1")
            + table_html(pair, caption="Pairwise tradeoff intensity (RMSE)", units="1")
            + f"<p class='meta'>{html.escape('RMSE = √[Σ(ES_std − mean)²/(n − 1)]')}</p>")


register("stand_tradeoff", params=StandTradeoffParams, group="stand",
         inputs=(Input("data", "any", _DATA_DOC, optional=True),
                 Input("table", "table", "scenario totals (rows = scenarios, service columns)", optional=True)),
         outputs=("overall", "pairwise", "standardized"), report=_tradeoff_report,
         formula="ES_std = ES/max; RMSE = √[Σ(ES_std − mean)²/(n − 1)] (n = 4 overall, 2 per pair)",
         example={"inputs": {"data": "dataset:dashihe"}, "params": {"source": "published"}})(stand_tradeoff_step)


# ---------------------------------------------------------------- supply score
def stand_supply_score_step(data=None, stands=None) -> pd.DataFrame:
    """Standardized individual and overall supply of each stand option (Dashihe study, Fig. 4)."""
    st = stands if stands is not None else getattr(data, "stands", None)
    if st is None:
        raise ConfigError(message("stand_supply_score.inputs", "`stands` or `data`", "neither",
                                  'add inputs = { data = "dataset:dashihe" }'))
    st = st.set_index("stand") if "stand" in st.columns else st
    return supply_score(st).rename_axis("stand").reset_index()


register("stand_supply_score", group="stand",
         inputs=(Input("data", "any", _DATA_DOC, optional=True),
                 Input("stands", "table", "stand options × capacities (layout of the Dashihe study, Table 3)", optional=True)),
         outputs=("table",), formula="score_k = Σ_i ES_ik / max_k ES_ik",
         example={"inputs": {"data": "dataset:dashihe"}, "params": {}})(stand_supply_score_step)


# ---------------------------------------------------------------- recommended composition
class StandRecommendParams(Params):
    """Parameters of ``stand_recommended``."""

    top_n: int = Field(10, ge=1, description="length of each service's top list")
    min_appearances: int = Field(2, ge=1, description="top lists a tree must appear in")
    ladder: tuple[float, ...] = Field(DEFAULT_LADDER, min_length=1,
                                      description="tree shares by position, renormalized to 100",
                                      json_schema_extra={"units": "%"})
    n_shrubs: int = Field(10, ge=1, description="shrub species (equal shares)")
    n_herbs: int = Field(10, ge=1, description="herb species (equal shares)")


def stand_recommended_step(data=None, rankings=None, values=None, species=None, *, top_n: int = 10,
                           min_appearances: int = 2, ladder=DEFAULT_LADDER, n_shrubs: int = 10,
                           n_herbs: int = 10) -> pd.DataFrame:
    """Recommended composition: trees by service rankings, shrubs and herbs by trait (Dashihe study, Table 2)."""
    sp = species if species is not None else getattr(data, "species", None)
    if values is not None:
        v = values.set_index("species") if "species" in values.columns else values
        ranks = rank_species(v, services=[c for c in ("lai", "carbon", "dust") if c in v.columns])
    else:
        rk = rankings if rankings is not None else getattr(data, "rankings", None)
        if rk is None:
            raise ConfigError(message("stand_recommended.inputs", "`values`, `rankings` or `data`", "none",
                                      'add inputs = { data = "dataset:dashihe" }'))
        ranks = ranks_from_lists(rk.set_index("rank") if "rank" in rk.columns else rk)
    if sp is None:
        raise ConfigError(message("stand_recommended.inputs", "a `species` table (life form, invasive, traits)",
                                  "none", "add a species table or data"))
    sp = sp.set_index("species") if "species" in sp.columns else sp
    return recommended_composition(ranks, sp, top_n=top_n, min_appearances=min_appearances, ladder=ladder,
                                   n_shrubs=n_shrubs, n_herbs=n_herbs)


register("stand_recommended", params=StandRecommendParams, group="stand",
         inputs=(Input("data", "any", "Dashihe-like data with `rankings` and `species` (dataset:dashihe)",
                       optional=True),
                 Input("rankings", "table", "top lists: rank × service → species", optional=True),
                 Input("values", "table", "species coefficients (species, lai, carbon, dust) to rank", optional=True),
                 Input("species", "table", "species, life_form, invasive, trait flags", optional=True)),
         outputs=("table",),
         formula="keep trees in ≥ 2 top-10 lists, not invasive; order by appearances, mean rank; shares = ladder",
         example={"inputs": {"data": "dataset:dashihe"}, "params": {}})(stand_recommended_step)


# ---------------------------------------------------------------- dust days
def stand_dust_days_step(data) -> pd.DataFrame:
    """Leaf-on days implied by published dust totals (Dashihe study, Table 4), per scenario and pooled."""
    return implied_dust_days(data).rename_axis("scenario").reset_index()


register("stand_dust_days", group="stand",
         inputs=(Input("data", "any", "Dashihe-like data with `stands`, `site` and published `table4`"),),
         outputs=("table",), formula="d = 1000 Σ x·y / Σ x² (x = Σ A·Du kg/d, y = published t/a)",
         example={"inputs": {"data": "dataset:dashihe"}, "params": {}})(stand_dust_days_step)


# ---------------------------------------------------------------- species database, capacity, diversity
class SpeciesValuesParams(Params):
    """Parameters of ``stand_species_values``."""

    fallback: Literal["across_sites", "error"] = Field(
        "across_sites", description="no same-life-form value in the species' site: mean over all sites, or error")


def stand_species_values_step(records, species, *, fallback: str = "across_sites") -> pd.DataFrame:
    """Species coefficients: mean of records, same-life-form site mean when missing (Dashihe study, §2.3.1)."""
    return species_values(records, species, fallback=fallback).reset_index()


register("stand_species_values", params=SpeciesValuesParams, group="stand",
         inputs=(Input("records", "table", "literature records: species, service, value"),
                 Input("species", "table", "species, life_form, site(s)")),
         outputs=("table",), formula="v_i = mean of records; else mean of same life form in the same site")(
    stand_species_values_step)


class StandCapacityParams(Params):
    """Parameters of ``stand_capacity``."""

    weights: Literal["cover", "importance", "equal"] = Field("cover", description="species weights in the stand mean")
    n_plots: int | None = Field(None, ge=1, description="plots per stand (importance weights)")


def stand_capacity_step(composition, values, *, weights: str = "cover", n_plots: int | None = None) -> pd.DataFrame:
    """Stand capacities as weighted means of species coefficients."""
    v = values.set_index("species") if "species" in values.columns else values
    svc = [c for c in ("lai", "carbon", "dust") if c in v.columns]
    return stand_capacity(composition, v, weights=weights, services=svc, n_plots=n_plots).reset_index()


register("stand_capacity", params=StandCapacityParams, group="stand",
         inputs=(Input("composition", "table", "stand, species, cover (+ life_form, height, plots)"),
                 Input("values", "table", "species coefficients (output of stand_species_values)")),
         outputs=("table",), formula="V_s = Σ w_i v_i / Σ w_i")(stand_capacity_step)


class StandDiversityParams(Params):
    """Parameters of ``stand_diversity``."""

    n_plots: int = Field(..., ge=1, description="plots of the site (Dashihe study: 14 restoration, 5 reference/control)")
    normalize: bool = Field(True, description="P_i = IV_i/ΣIV (False reproduces the Dashihe study's un-normalized H)")
    relative_within: Literal["layer", "all"] = Field("layer", description="denominators of Cr and Hr")


def stand_diversity_step(plots, *, n_plots: int, normalize: bool = True, relative_within: str = "layer") -> pd.DataFrame:
    """Shannon–Wiener, Simpson and Pielou on importance values per stand (Dashihe study, eq. 1–3)."""
    by = "stand" if "stand" in plots.columns else None
    return diversity_table(plots, by=by, n_plots=n_plots, normalize=normalize,
                           relative_within=relative_within).reset_index()


register("stand_diversity", params=StandDiversityParams, group="stand",
         inputs=(Input("plots", "table", "stand, species, life_form, cover, height, plots"),),
         outputs=("table",), formula="IV_tree = (Cr+Hr+Fr)/3, IV_shrub/herb = (Cr+Hr)/2; H = −Σ P ln P")(
    stand_diversity_step)
