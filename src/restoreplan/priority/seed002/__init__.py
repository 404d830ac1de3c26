"""Seed 002 (Dongting Lake Eco-Economic Zone) chain: PoRA by ES decline, cost index, Marxan per ES, grades.

Implementation modules live in :mod:`restoreplan.priority` (``decline``, ``cost``, ``selection``,
``grades``); this subpackage holds the one-call chain, its report section and the registry entries.
"""

from .chain import SEED002_SERVICES, Seed002Result, seed002_chain, threat_rasters

__all__ = ["SEED002_SERVICES", "Seed002Result", "seed002_chain", "threat_rasters"]
