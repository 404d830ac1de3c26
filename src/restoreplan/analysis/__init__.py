"""Supply–demand analytics of seed 001: trend (M08), coupling (M09), Moran's I (M17), sensitivity (M18),
and :func:`seed001_chain`, which runs the whole chain."""

from .chain import seed001_chain
from .coupling import coupling
from .sensitivity import es_total_sensitivity, sensitivity_coefficients
from .spatial_stats import morans_i
from .trend import trend

__all__ = ["coupling", "es_total_sensitivity", "morans_i", "seed001_chain", "sensitivity_coefficients", "trend"]
