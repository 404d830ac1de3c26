"""Self-contained HTML report (maps as embedded PNG, tables as HTML)."""

from .html import build_report, raster_png

__all__ = ["build_report", "raster_png"]
