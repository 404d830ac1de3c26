"""Study-file step: Marxan-style selection from Marxan tables (pu, spec, puvspr, optional bound).

The raster chain of Zhao et al. (2023) (cells → planning units) comes later; this step works on the tables a
study already has (``table:pu`` …) and returns the selection and Marxan's score breakdown.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from ..pipeline.registry import Input, Params, register

__all__ = ["MarxanParams", "marxan_selection_step"]


class MarxanParams(Params):
    """Parameters of the ``marxan_selection`` step."""

    blm: float = Field(0.0, ge=0, description="boundary length modifier", json_schema_extra={"units": "cost/length"})
    objective: Literal["marxan", "min_set"] = Field("marxan", description="soft (Marxan) or hard targets")
    solver: Literal["auto", "highs", "anneal"] = Field("auto", description="solver")
    time_limit_s: float = Field(60.0, gt=0, description="wall-clock limit", json_schema_extra={"units": "s"})
    seed: int = Field(0, description="random seed (annealing)")
    misslevel: float = Field(1.0, gt=0, le=1, description="Marxan MISSLEVEL")


@register("marxan_selection", params=MarxanParams, group="optimize",
          inputs=(Input("pu", "table", "planning units: id, cost, status"),
                  Input("spec", "table", "features: id, prop or target, spf, name"),
                  Input("puvspr", "table", "amounts: species, pu, amount"),
                  Input("bound", "table", "boundaries: id1, id2, boundary", optional=True)),
          outputs=("selection", "summary"),
          formula="min Σ c_i x_i + BLM·Σ b_ik |x_i − x_k| + Σ_j SPF_j·FPF_j·max(0, T_j − H_j)/T_j",
          # the demo offers the files of the shipped Marxan example (restoreplan.datasets.marxan_example) as tables
          example={"inputs": {"pu": "table:marxan_pu", "spec": "table:marxan_spec", "puvspr": "table:marxan_puvspr",
                              "bound": "table:marxan_bound"},
                   "params": {"blm": 0.001, "solver": "auto", "time_limit_s": 10.0}})
def marxan_selection_step(pu: pd.DataFrame, spec: pd.DataFrame, puvspr: pd.DataFrame,
                          bound: pd.DataFrame | None = None, **params) -> dict:
    """Select planning units with Marxan's objective (or hard targets) from Marxan tables."""
    from .marxan_io import problem_from_tables

    prm = MarxanParams(**params)
    p, _ = problem_from_tables(pu, spec, puvspr, bound)
    p = p.boundary_penalty(prm.blm).missing_level(prm.misslevel)
    p = p.marxan_objective() if prm.objective == "marxan" else p.minimize_cost()
    sol = p.solver(prm.solver, time_limit=prm.time_limit_s, seed=prm.seed).solve()
    ev = sol.evaluate()
    selection = pd.DataFrame({"puid": p.ids, "solution": sol.x.astype(int)})
    row = {"solver": sol.solver, "status": sol.status, "objective": sol.objective, "bound": sol.bound,
           "gap": sol.gap, **ev.as_row()}
    return {"selection": selection, "summary": pd.DataFrame([row])}
