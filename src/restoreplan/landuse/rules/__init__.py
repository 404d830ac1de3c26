"""Registry entries of the land-use scenario issue: ``subsidence``, ``scenario_rules``,
``scenario_esv`` and ``pareto``.

The functions live in :mod:`restoreplan.landuse.subsidence`, :mod:`restoreplan.landuse.scenarios` and
:mod:`restoreplan.analysis.tradeoff`; this package only holds their study-file steps (``steps.py``).
"""
