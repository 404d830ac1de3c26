"""Ecosystem-service supply and demand methods, one module per topic.

Import the modules directly (``from restoreplan.services import carbon``); nothing is imported
eagerly here so that each topic stays independent. InVEST-parity modules: ``carbon``,
``habitat_quality``, ``water_yield``; InVEST datastack runs: ``invest_compat`` / ``invest_runs``.
"""
