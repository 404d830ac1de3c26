"""Land-use change: Markov demand, PLUS LEAS + cellular-automaton simulation, validation.

* :func:`transition_matrix`, :func:`markov_demand`, :func:`project_counts` — Markov demand.
* :class:`LandUseSimulator` — ``fit(lulc_start, lulc_end, drivers)`` then ``simulate(...)`` (the frontier CA
  by default, PLUS's CARS with ``allocation="cars"``; :mod:`restoreplan.landuse.cars`).
* :func:`figure_of_merit`, :func:`kappa`, :func:`confusion_matrix` — accuracy of a simulation;
  :func:`validate_simulation` — FoM, Kappa, OA, Kappa simulation beside the null and ranking baselines.
* :mod:`restoreplan.landuse.drivers` — slope, distances and soil layers for the driver stack.
"""

from . import drivers
from .features import ConstraintWarning
from .leas import SampleSizeWarning
from .markov import (
    as_transition_frame,
    hindcast_demand,
    largest_remainder_round,
    markov_demand,
    project_counts,
    transition_counts,
    transition_matrix,
)
from .scenarios import ScenarioRules, adjust_transition_matrix, apply_scenario, load_rules, preset, stack_scenarios
from .simulator import ConvergenceWarning, LandUseSimulator
from .subsidence import influence_radius, ponding_mask, subsidence, subsidence_zones
from .validation import (
    FigureOfMerit,
    confusion_matrix,
    disagreement,
    figure_of_merit,
    fom_from_components,
    fom_per_class,
    kappa,
    kappa_change,
    kappa_from_confusion,
    kappa_simulation,
    overall_accuracy,
    validate_simulation,
)

__all__ = [
    "ScenarioRules", "adjust_transition_matrix", "apply_scenario", "load_rules", "preset", "stack_scenarios",
    "influence_radius", "ponding_mask", "subsidence", "subsidence_zones",
    "ConstraintWarning",
    "ConvergenceWarning",
    "SampleSizeWarning",
    "drivers",
    "hindcast_demand",
    "kappa_change",
    "kappa_simulation",
    "validate_simulation",
    "FigureOfMerit",
    "LandUseSimulator",
    "as_transition_frame",
    "confusion_matrix",
    "disagreement",
    "figure_of_merit",
    "fom_from_components",
    "fom_per_class",
    "kappa",
    "kappa_from_confusion",
    "largest_remainder_round",
    "markov_demand",
    "overall_accuracy",
    "project_counts",
    "transition_counts",
    "transition_matrix",
]
