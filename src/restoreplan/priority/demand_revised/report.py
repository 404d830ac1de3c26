"""Report section of the demand-revised priority chain (the registry's ``report=`` hook: ``(result, ctx) -> html``).

Zhao et al. 2023, Land 12:965, doi:10.3390/land12050965.
"""

from __future__ import annotations

import html

import pandas as pd

from ...pipeline.glossary import SERVICE_NAMES, spell_out
from ...report import maps_html, output_name, table_html

__all__ = ["demand_revised_report"]

_SERVICES = ("cs", "hs", "wh")
_LABEL = SERVICE_NAMES


def _readable(df: pd.DataFrame) -> pd.DataFrame:
    """Service codes (cs, hs, wh) in the index and column headers spelled out."""
    return df.rename(index=spell_out, columns=spell_out)


def demand_revised_report(result: dict, ctx=None) -> str:
    """HTML: potential areas, cost index η and selections per service; grades before/after revision and filtering; area tables."""
    if not isinstance(result, dict):
        return ""
    parts = []
    for title, keys in (
            ("Potential restoration areas (PoRA: significant ecosystem-service decline)",
             [(f"pora_{s}", f"potential restoration area — {_LABEL[s]}") for s in _SERVICES]),
            ("Comprehensive cost index η", [(f"eta_{s}", f"cost index η — {_LABEL[s]}") for s in _SERVICES]),
            ("Priority restoration areas (Marxan selections)",
             [(f"pra_{s}", f"priority restoration area — {_LABEL[s]}") for s in _SERVICES]),
            ("Priority grades", [("grade", "overlay of the priority restoration areas (g = Σ PRA)"),
                                 ("demand_class", "demand class from points of interest (POI)"),
                                 ("grade_revised", "revised with demand (Zhao et al. 2023, Table 3)"),
                                 ("grade_filtered", "after the aggregation filter")])):
        cards = "".join(maps_html(output_name(k), result[k], title=t) for k, t in keys if result.get(k) is not None)
        if cards:
            parts.append(f"<h4>{html.escape(title)}</h4>" + cards.replace("</div><div class='grid'>", ""))
    for key, title, units in (("area_table", "Area per grade: overlay → demand-revised → filtered", "km2"),
                              ("landuse_table", "Filtered grades per land-use class", "km2"),
                              ("selection_summary", "Selections per service", None),
                              ("pora_share", "Potential restoration area (PoRA) cells per service", "cells"),
                              ("timings", "Seconds per step", "s")):
        df = result.get(key)
        if isinstance(df, pd.DataFrame):
            parts.append(f"<h4>{html.escape(title)}</h4>" + table_html(_readable(df), max_rows=40, units=units))
    parts.append("<p class='meta'>Grades: 3 high, 2 sub-high, 1 low, 0 none. Services (carbon storage, habitat "
                 "quality, water yield) are computed inside the chain for every year of the land-use series; demand "
                 "classes of points of interest (POI) by geometric intervals.</p>")
    return "\n".join(parts)
