"""Zhao et al. (2023) (Dongting Lake Eco-Economic Zone) chain: PoRA by ES decline, cost index, Marxan per ES, grades.

Implementation modules live in :mod:`restoreplan.priority` (``decline``, ``cost``, ``selection``,
``grades``); this subpackage holds the one-call chain, its report section and the registry entries.
"""

from .chain import DEMAND_REVISED_SERVICES, DemandRevisedResult, demand_revised_priority, threat_rasters

__all__ = ["DEMAND_REVISED_SERVICES", "DemandRevisedResult", "demand_revised_priority", "threat_rasters"]
