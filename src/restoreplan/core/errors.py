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

import re
import warnings

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
    "PlausibilityWarning",
    "message",
    "plain",
    "did_you_mean",
    "implausible",
]


_NP_REPR = re.compile(r"\bnp\.(?:float|int|uint|complex)(?:\d+)?\(([^()]*)\)|\bnp\.(?:bool_|str_)\(([^()]*)\)")


def plain(text: str) -> str:
    """Drop numpy scalar reprs from a message: ``np.float64(30.0)`` → ``30.0``, ``np.int64(3)`` → ``3``."""
    return _NP_REPR.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), str(text))


def message(name: str, expected: str, got: str, fix: str) -> str:
    """Return the four-part error text: input name, expected, got, fix (numbers printed plainly)."""
    return plain(f"`{name}`: expected {expected}; got {got}. Fix: {fix}")


def did_you_mean(word: str, choices, *, n: int = 3) -> str:
    """``"did you mean 'x'?"`` for the closest of ``choices`` (empty string when none is close)."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=n, cutoff=0.6)
    if not close:
        return ""
    return "did you mean " + " or ".join(repr(c) for c in close) + "?"


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


class PlausibilityWarning(RestorePlanWarning):
    """An input is readable but implausible (all nodata, out of its documented range, unknown codes,
    unreachable targets): results would be silently wrong. ``--strict`` turns it into an error."""


def implausible(name: str, expected: str, got: str, fix: str, *, stacklevel: int = 2) -> None:
    """Warn (:class:`PlausibilityWarning`) with the four-part message; ``--strict`` makes it an error."""
    warnings.warn(message(name, expected, got, fix), PlausibilityWarning, stacklevel=stacklevel + 1)
