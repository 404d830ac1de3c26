"""Supply–demand analytics of Sun et al. (2025): trend, coupling, Moran's I, sensitivity,
and :func:`supply_demand_zoning`, which runs the whole chain."""

from .chain import supply_demand_zoning
from .coupling import coupling
from .sensitivity import es_total_sensitivity, sensitivity_coefficients
from .spatial_stats import morans_i
from .tradeoff import dominates, functional_synergy, pareto_front, pareto_improvement, scenario_esv, spatial_synergy
from .trend import trend

__all__ = ["coupling", "dominates", "es_total_sensitivity", "functional_synergy", "morans_i", "pareto_front",
           "pareto_improvement", "scenario_esv", "supply_demand_zoning", "sensitivity_coefficients", "spatial_synergy",
           "trend"]
