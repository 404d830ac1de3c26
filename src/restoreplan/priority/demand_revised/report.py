"""Report section of the Zhao et al. (2023) chain (the registry's ``report=`` hook: ``(result, ctx) -> html``)."""

from __future__ import annotations

import html

import pandas as pd

from ...report.html import _img, _table_html, raster_png

__all__ = ["demand_revised_report"]

_SERVICES = ("cs", "hs", "wh")
_LABEL = {"cs": "carbon storage", "hs": "habitat quality", "wh": "water yield"}


def _card(result: dict, key: str, title: str, categorical: bool | None = None) -> str:
    da = result.get(key)
    if da is None:
        return ""
    return _img(raster_png(da, title=title, categorical=categorical), title)


def demand_revised_report(result: dict, ctx=None) -> str:
    """HTML: PoRA, η and selections per service; grades before/after revision and filtering; area tables."""
    if not isinstance(result, dict):
        return ""
    parts = []
    for title, keys in (
            ("Potential restoration areas", [(f"pora_{s}", f"PoRA — {_LABEL[s]}", True) for s in _SERVICES]),
            ("Comprehensive cost index η", [(f"eta_{s}", f"η — {_LABEL[s]}", False) for s in _SERVICES]),
            ("Marxan selections", [(f"pra_{s}", f"PRA — {_LABEL[s]}", True) for s in _SERVICES]),
            ("Priority grades", [("grade", "overlay g = ΣPRA", True),
                                          ("demand_class", "POI demand class", True),
                                          ("grade_revised", "revised with demand (Table 3)", True),
                                          ("grade_filtered", "after the aggregation filter", True)])):
        cards = [_card(result, k, t, c) for k, t, c in keys]
        cards = [c for c in cards if c]
        if cards:
            parts.append(f"<h4>{html.escape(title)}</h4><div class='grid'>" + "".join(cards) + "</div>")
    for key, title in (("area_table", "Area per grade (km²): overlay → demand-revised → filtered"),
                       ("landuse_table", "Filtered grades per land-use class"),
                       ("selection_summary", "Selections per service"),
                       ("pora_share", "PoRA cells per service"),
                       ("timings", "Seconds per step")):
        df = result.get(key)
        if isinstance(df, pd.DataFrame):
            parts.append(f"<h4>{html.escape(title)}</h4>" + _table_html(df, max_rows=40))
    parts.append("<p class='meta'>Grades: 3 high, 2 sub-high, 1 low, 0 none. Services are computed inside the "
                 "chain for every year of the land-use series; POI demand classes by geometric intervals.</p>")
    return "\n".join(parts)
