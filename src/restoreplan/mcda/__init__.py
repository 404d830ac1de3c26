"""Multi-criteria decision analysis: standardization of criteria (M01) and, later, weights and indices."""

from .normalize import normalize

__all__ = ["normalize"]
