"""restoreplan: where to restore ecosystems, what restoration buys in ecosystem services, and what the
future holds under each scenario.

Import as ``import restoreplan as rp``; subpackages (``rp.io``, ``rp.services``, ...) load on first use.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = {
    "core", "io", "pipeline", "datasets", "report", "tables", "testing", "services", "analysis",
    "mcda", "optimize", "priority", "landuse", "stand", "cli",
}

__all__ = sorted(_SUBPACKAGES) + ["__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        mod = importlib.import_module(f"restoreplan.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'restoreplan' has no attribute {name!r}")
