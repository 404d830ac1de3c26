"""Registry entries of the land-use scenario issue: ``subsidence`` (M22), ``scenario_rules`` (M21),
``scenario_esv`` and ``pareto`` (M24).

The functions live in :mod:`restoreplan.landuse.subsidence`, :mod:`restoreplan.landuse.scenarios` and
:mod:`restoreplan.analysis.tradeoff`; this package only holds their study-file steps (``steps.py``).
"""
