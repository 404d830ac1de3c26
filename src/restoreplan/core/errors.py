"""One exception hierarchy and the named warnings of restoreplan.

Every error message has four parts: the input it is about, what was expected, what was found,
and how to fix it.  Build messages with :func:`message` so they read the same everywhere::

    raise AlignmentError(message("demand", "the grid of `supply`",
                                 "CRS EPSG:4326 vs EPSG:32650",
                                 "use rp.io.align(demand, like=supply)"))

Each class also inherits the matching builtin (``AlignmentError`` is a ``ValueError``), so code
written against plain Python exceptions keeps working (the rasterio convention).
"""

from __future__ import annotations

__all__ = [
    "RestorePlanError",
    "InputError",
    "AlignmentError",
    "ConfigError",
    "CRSError",
    "DataError",
    "InfeasibleError",
    "SolverError",
    "RestorePlanWarning",
    "ConstantInputWarning",
    "LowPowerWarning",
    "NodataWarning",
    "AssumptionWarning",
    "message",
]


def message(name: str, expected: str, got: str, fix: str) -> str:
    """Return the four-part error text: input name, expected, got, fix."""
    return f"`{name}`: expected {expected}; got {got}. Fix: {fix}"


class RestorePlanError(Exception):
    """Base class of every error raised by restoreplan on purpose."""

    exit_code = 1


class InputError(RestorePlanError, FileNotFoundError):
    """An input file is missing, unreadable or of the wrong kind."""


class AlignmentError(RestorePlanError, ValueError):
    """Two rasters that must share one grid do not (CRS, transform or shape differ)."""


class CRSError(RestorePlanError, ValueError):
    """A raster has no CRS, or a geographic CRS where a projected one (metres) is required."""


class ConfigError(RestorePlanError, ValueError):
    """A study file, parameter or coefficient table is invalid.

    ``problems`` holds every problem found, so callers can report all of them at once.
    """

    exit_code = 2

    def __init__(self, msg: str, problems: list[str] | None = None):
        self.problems = list(problems) if problems else [msg]
        super().__init__(msg)


class DataError(RestorePlanError, ValueError):
    """Input values are outside their documented range (e.g. a threat raster not in [0, 1])."""


class InfeasibleError(RestorePlanError):
    """An optimization problem has no feasible solution."""


class SolverError(RestorePlanError, RuntimeError):
    """A solver failed or is not available."""


class RestorePlanWarning(UserWarning):
    """Base class of restoreplan's warnings."""


class ConstantInputWarning(RestorePlanWarning):
    """An input is constant over its domain (e.g. max = min in a min-max normalization)."""


class LowPowerWarning(RestorePlanWarning):
    """A statistical test has too few observations to detect anything (e.g. n = 3 in a trend)."""


class NodataWarning(RestorePlanWarning):
    """Nodata was found where it changes a result (e.g. valid masks differ between years)."""


class AssumptionWarning(RestorePlanWarning):
    """A default rests on an assumption or an unverified published number."""
