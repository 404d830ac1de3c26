"""Priority products: potential restoration areas (M10a), top-x % tiers (M16d), ACO zoning on blocks (M15)."""

from .potential import potential_area_table, potential_areas
from .tiers import priority_tiers, tier_table
from .zoning import aco_on_blocks

__all__ = ["aco_on_blocks", "potential_area_table", "potential_areas", "priority_tiers", "tier_table"]
