"""Self-contained HTML report: maps (own legends, true ranges, scale bar, north arrow), tables, caveats, provenance."""

from .html import build_report, chart_html, maps_html, output_name, table_html
from .maps import map_figures

__all__ = ["build_report", "chart_html", "map_figures", "maps_html", "output_name", "table_html"]
