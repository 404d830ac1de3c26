"""Priority products.

Sun et al. (2025): potential restoration areas, top-x % tiers, ACO zoning on blocks.
Zhao et al. (2023): potential areas by above-mean decline, the comprehensive cost index,
Marxan-style selection per service, grade overlay, demand revision and the aggregation
filter, and :func:`demand_revised_priority`, which runs them all.
"""

from .cost import cost_index
from .decline import potential_decline
from .grades import aggregation_filter, demand_revision, grade_area_table, priority_grades
from .potential import potential_area_table, potential_areas
from .demand_revised.chain import demand_revised_priority
from .selection import marxan_priority
from .tiers import priority_tiers, tier_table
from .zoning import aco_on_blocks

__all__ = ["aco_on_blocks", "aggregation_filter", "cost_index", "demand_revision", "grade_area_table",
           "marxan_priority", "potential_area_table", "potential_areas", "potential_decline", "priority_grades",
           "priority_tiers", "demand_revised_priority", "tier_table"]
