"""Study-file registrations of the supply/demand methods (matrix, ESV, demand, classification).

The implementations live in :mod:`restoreplan.services.matrix`, :mod:`~restoreplan.services.esv`,
:mod:`~restoreplan.services.demand` and :mod:`~restoreplan.services.classify`; this subpackage only
holds their registry entries (``steps.py``), found by ``registry.load_all()``.
"""
