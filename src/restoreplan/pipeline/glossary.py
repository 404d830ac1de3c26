"""Abbreviations used in method summaries, formulas, inputs and parameters, spelled out.

``restoreplan describe`` lists the ones a method uses (text and ``--json``); reports spell them
out in headings and column headers through :func:`spell_out`.
"""

from __future__ import annotations

import re

__all__ = ["ABBREVIATIONS", "SERVICE_NAMES", "SCENARIO_NAMES", "abbreviations_in", "spell_out"]

#: abbreviation → meaning (case-sensitive keys; codes used as data labels are in lower case)
ABBREVIATIONS: dict[str, str] = {
    "ACO": "ant colony optimization",
    "AET": "actual evapotranspiration",
    "AWY": "annual water yield (InVEST)",
    "BLM": "boundary length modifier (Marxan)",
    "CARS": "CA based on multi-type random patch seeds (the cellular automaton of PLUS)",
    "CA": "cellular automaton",
    "ConL": "construction-land share",
    "DEM": "digital elevation model",
    "EDT": "Euclidean distance transform",
    "ER": "ecological restoration scenario",
    "ES": "ecosystem service(s)",
    "ESD": "ecosystem service demand",
    "ESV": "ecosystem service value",
    "ET": "evapotranspiration",
    "ET0": "reference evapotranspiration",
    "FoM": "figure of merit",
    "FS": "food security scenario",
    "FUI": "feasibility–urgency–importance (priority index)",
    "GDP": "gross domestic product",
    "GDPD": "GDP density",
    "HQ": "habitat quality (InVEST)",
    "ID": "inertial development scenario",
    "InVEST": "Integrated Valuation of Ecosystem Services and Tradeoffs",
    "LEAS": "land expansion analysis strategy (the random-forest part of PLUS)",
    "LULC": "land use / land cover",
    "NDVI": "normalized difference vegetation index",
    "NEP": "net ecosystem productivity",
    "NPP": "net primary productivity",
    "NPV": "net present value",
    "OLS": "ordinary least squares",
    "PD": "population density",
    "PIM": "probability integral method (mining subsidence)",
    "PLUS": "patch-generating land use simulation model",
    "POI": "points of interest",
    "PoRA": "potential restoration area",
    "PRA": "priority restoration area",
    "PU": "planning unit",
    "RMSE": "root-mean-square error (tradeoff intensity)",
    "SPF": "species (feature) penalty factor (Marxan)",
    "UE": "urban expansion scenario",
    "WH": "water harvesting (water conservation)",
    "cs": "carbon storage",
    "hs": "habitat quality",
    "wh": "water yield",
}

#: service codes of the demand-revised priority chain → names shown in reports
SERVICE_NAMES = {"cs": "carbon storage", "hs": "habitat quality", "wh": "water yield"}
#: scenario presets of Niu et al. (2025) → names shown in reports
SCENARIO_NAMES = {"ID": "inertial development", "FS": "food security", "UE": "urban expansion",
                  "ER": "ecological restoration"}

_RX = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, ABBREVIATIONS), key=len, reverse=True))
                 + r")(?![\w-])")


def abbreviations_in(*texts: str) -> dict[str, str]:
    """The abbreviations that occur in ``texts`` (whole words, case-sensitive), with their meaning."""
    found = {}
    for t in texts:
        for m in _RX.finditer(t or ""):
            found[m.group(1)] = ABBREVIATIONS[m.group(1)]
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def spell_out(label) -> str:
    """A data label (service or scenario code, e.g. ``"cs"``, ``"ER"``, ``"pora_cs"``) as a reader sees it.

    >>> spell_out("cs"), spell_out("ER"), spell_out("pora_wh"), spell_out(2020)
    ('carbon storage', 'ER — ecological restoration', 'potential restoration area — water yield', '2020')
    """
    s = str(label)
    if s in SERVICE_NAMES:
        return SERVICE_NAMES[s]
    if s in SCENARIO_NAMES:
        return f"{s} — {SCENARIO_NAMES[s]}"
    for prefix, name in (("pora_", "potential restoration area"), ("pra_", "priority restoration area"),
                         ("eta_", "cost index η")):
        if s.startswith(prefix) and s[len(prefix):] in SERVICE_NAMES:
            return f"{name} — {SERVICE_NAMES[s[len(prefix):]]}"
    return s
