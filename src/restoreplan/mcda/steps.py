"""Registry entries of :mod:`restoreplan.mcda` (study-file steps)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..pipeline.registry import Input, Params, register
from .normalize import normalize


class NormalizeParams(Params):
    """Parameters of ``normalize``."""

    method: Literal["minmax_pos", "minmax_neg", "max", "zscore"] = Field(
        "minmax_pos", description="minmax_pos (benefit), minmax_neg (cost), max = x/max, zscore (ddof 0)",
        json_schema_extra={"units": "1"})
    over: tuple[str, ...] | None = Field(
        None, description="dims pooled into one set of statistics (default: all dims, e.g. all years)")
    clip_percentiles: tuple[float, float] | None = Field(
        None, description="winsorize to these pooled percentiles first, e.g. [1, 99]",
        json_schema_extra={"units": "percent"})


@register("normalize", params=NormalizeParams, group="mcda",
          inputs=(Input("x", "any", "values to standardize (a raster, or all years of a layer)"),),
          outputs=("normalized",),
          formula="u+ = (x-min)/(max-min); u- = (max-x)/(max-min); x/max; z = (x-mean)/sd (pooled over `over`)",
          backends=("numpy", "dask"),
          example={"inputs": {"x": "ndvi"}, "params": {"method": "minmax_pos"}})
def normalize_step(x, *, method="minmax_pos", over=None, clip_percentiles=None):
    """Standardize a layer with pooled min-max, divide-by-max or z-score."""
    return normalize(x, method=method, over=over, clip_percentiles=clip_percentiles)
