"""Multi-criteria decision analysis: standardization, entropy weights and the FUI priority index."""

from .index import priority_index
from .normalize import normalize
from .weights import entropy_weights

__all__ = ["entropy_weights", "normalize", "priority_index"]
