"""Stand-level restoration design (Dashihe mine-tailings study): species values, diversity, scenarios, tradeoffs.

Workflow::

    import restoreplan as rp
    d = rp.datasets.dashihe()                          # the Dashihe study Tables 1–4
    table4 = rp.stand.scenario_table(d)                # scenario totals and % change (Table 4)
    rp.stand.rmse_tradeoff(table4)                     # overall tradeoff intensity (Fig. 6)
    rp.stand.recommended_composition(rp.stand.ranks_from_lists(d.rankings), d.species)   # Table 2

Modules: :mod:`.species` (coefficient database, stand capacities), :mod:`.diversity`
(importance values, Shannon–Wiener, Simpson, Pielou), :mod:`.scenarios` (scenario areas and
totals), :mod:`.recommend` (ranking-based composition), :mod:`.tradeoff` (RMSE, scores, chart).
"""

from __future__ import annotations

from .diversity import diversity_table, importance_values, pielou, shannon, simpson
from .recommend import (
                        DEFAULT_LADDER,
                        rank_species,
                        ranks_from_lists,
                        recommended_composition,
                        select_trees,
                        understory_layer,
)
from .scenarios import (
                        DEFAULT_DUST_DAYS,
                        SERVICE_COLUMNS,
                        STANDARD_SCENARIOS,
                        ScenarioSpec,
                        SiteDesign,
                        as_site_design,
                        complete_restoration_areas,
                        implied_dust_days,
                        scenario_table,
                        scenario_totals,
                        stand_areas,
                        standard_scenarios,
)
from .species import species_values, stand_capacity, stand_names
from .tradeoff import pairwise_rmse, rmse_tradeoff, scatter_matrix, standardize_max, supply_score

__all__ = [
                        "DEFAULT_DUST_DAYS",
                        "DEFAULT_LADDER",
                        "SERVICE_COLUMNS",
                        "STANDARD_SCENARIOS",
                        "ScenarioSpec",
                        "SiteDesign",
                        "as_site_design",
                        "complete_restoration_areas",
                        "diversity_table",
                        "implied_dust_days",
                        "importance_values",
                        "pairwise_rmse",
                        "pielou",
                        "rank_species",
                        "ranks_from_lists",
                        "recommended_composition",
                        "rmse_tradeoff",
                        "scatter_matrix",
                        "scenario_table",
                        "scenario_totals",
                        "select_trees",
                        "shannon",
                        "simpson",
                        "species_values",
                        "stand_areas",
                        "stand_capacity",
                        "stand_names",
                        "standard_scenarios",
                        "standardize_max",
                        "supply_score",
                        "understory_layer",
]
