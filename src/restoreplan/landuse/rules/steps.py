"""Study-file steps: PIM subsidence and zones, scenario rules, ESV per scenario and
Pareto/synergy."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, field_validator

from ...core.errors import ConfigError, message
from ...pipeline.registry import Input, Params, register

_SCENARIO_REF = "a categorical layer with several years (years compared as scenarios), or a step result with a " \
                "`scenario` dim"


# ---------------------------------------------------------------- subsidence
class SubsidenceParams(Params):
    """Parameters of ``subsidence``."""

    method: Literal["auto", "erf", "filter"] = Field(
        "auto", description="erf rectangle form, polygon Gaussian-filter form, or erf for rectangles (auto)")
    b: float = Field(0.3, ge=0, le=1, description="horizontal displacement coefficient where the panels have no "
                                                "`b` column (typical 0.2–0.4; assumption)",
                     json_schema_extra={"units": "1"})
    theta0_k: float = Field(0.65, ge=0, le=1, description="k of θ0 = 90° − k·α where panels have no `theta0_deg` "
                                                         "(typical 0.5–0.8; assumption)",
                            json_schema_extra={"units": "1"})
    thresholds_m: tuple[float, float, float] = Field(
        (0.01, 1.5, 3.0), description="lower bounds of mild, moderate, severe (assumption from common Chinese "
                                      "reclamation practice, e.g. TD/T 1031.3-2011; unverified)",
        json_schema_extra={"units": "m"})
    groundwater_depth_m: float | None = Field(None, ge=0, description="depth to the water table; adds a "
                                                                      "`ponding` output (W > depth)",
                                              json_schema_extra={"units": "m"})
    max_oversample: int = Field(16, ge=1, le=64, description="largest oversampling factor of the polygon form "
                                                             "(cells split until Δ ≤ r/10)",
                                json_schema_extra={"units": "1"})


@register("subsidence", params=SubsidenceParams, group="landuse",
          inputs=(Input("panels", "vector", "mined panels: thickness_m, depth_m, q, tan_beta[, dip_deg, b, "
                                            "theta0_deg, dip_azimuth_deg, s1_m…s4_m]"),
                  Input("like", "raster", "template raster giving the output grid")),
          outputs=("subsidence", "zone", "tilt", "displacement", "curvature", "ponding"),
          formula="W = W0·Cx·Cy (erf) or W0·G_σ*mask, W0 = m·q·cosα, r = H/tanβ, σ = r/√(2π); "
                  "zones at 0.01/1.5/3.0 m",
          units={"subsidence": "m", "zone": "class", "tilt": "mm/m", "displacement": "m", "curvature": "mm/m2",
                 "ponding": "1"},
          example={"inputs": {"panels": "vector:mining_panels", "like": "dem"},
                   "params": {"method": "auto", "groundwater_depth_m": 1.5}})
def subsidence_step(panels, like, *, method="auto", b=0.3, theta0_k=0.65, thresholds_m=(0.01, 1.5, 3.0),
                    groundwater_depth_m=None, max_oversample=16):
    """Mining subsidence W (m) of mined panels by the probability integral method, with severity zones."""
    from ..subsidence import ponding_mask, subsidence, subsidence_zones

    if "time" in like.dims:
        like = like.isel(time=-1, drop=True)
    ds = subsidence(panels, like=like, method=method, b=b, theta0_k=theta0_k, max_oversample=max_oversample,
                    outputs=("subsidence", "tilt", "displacement", "curvature"))
    out = {k: ds[k] for k in ("subsidence", "tilt", "displacement", "curvature")}
    out["zone"] = subsidence_zones(ds["subsidence"], thresholds_m=thresholds_m)
    if groundwater_depth_m is not None:
        out["ponding"] = ponding_mask(ds["subsidence"], groundwater_depth_m)
    return out


# ---------------------------------------------------------------- ESV per scenario
class ScenarioEsvParams(Params):
    """Parameters of ``scenario_esv``."""

    equivalent_value: float = Field(..., gt=0, description="D, value of one standard equivalent "
                                                           "(Xie 2015: ≈ 3406.5 for China 2010, unverified)",
                                    json_schema_extra={"units": "yuan/hm2/a"})
    scale: float = Field(1.0, gt=0, description="multiplier of the sums (1e-8 → 10^8 yuan/a as Niu et al. (2025) print)",
                         json_schema_extra={"units": "1"})


@register("scenario_esv", params=ScenarioEsvParams, group="analysis",
          inputs=(Input("lulc", "any", _SCENARIO_REF),
                  Input("equivalents", "table", "equivalent factors per class (lucode + 11 services), e.g. "
                                                "package:niu2025_6class")),
          outputs=("table",),
          formula="ESV_s,f = Σ_x E[lulc_s(x), f]·D·A_cell/10^4 per scenario s and service f (yuan/a × scale)",
          units={"table": "yuan/a"},
          example={"inputs": {"lulc": "lulc", "equivalents": "package:niu2025_6class"},
                   "params": {"equivalent_value": 3406.5, "scale": 1e-4}})
def scenario_esv_step(lulc, equivalents, *, equivalent_value, scale=1.0):
    """Ecosystem service value per scenario (or year) and service by the equivalent-factor method — a tidy table."""
    from ...analysis.tradeoff import scenario_esv

    return scenario_esv(lulc, equivalents=equivalents, equivalent_value=equivalent_value, scale=scale)


# ---------------------------------------------------------------- Pareto and synergy
class ParetoParams(Params):
    """Parameters of ``pareto``."""

    baseline: str | int | None = Field(None, description="scenario (or year) that improvements and synergies are "
                                                   "measured against; None: Pareto front only")
    objectives: tuple[str, ...] | None = Field(None, description="objectives (default the services, not the total)")
    minimize: tuple[str, ...] = Field((), description="objectives to minimize (all others are maximized)")
    tol: float = Field(0.0, ge=0, description="differences ≤ tol count as ties", json_schema_extra={"units": "table"})


@register("pareto", params=ParetoParams, group="analysis",
          inputs=(Input("esv", "any", "tidy table scenario, service, value (the `scenario_esv` step) or a wide "
                                      "table rows = scenario"),),
          outputs=("front", "improvement", "synergy"),
          formula="s ≻ s′ ⇔ d_o·v_s,o ≥ d_o·v_s′,o ∀o and > for one; improvement: s ≻ baseline; synergy: "
                  "sign(Δf) = sign(Δg)",
          units={"front": "1", "improvement": "1", "synergy": "table"},
          example={"inputs": {"esv": "scenario_esv"}, "params": {"baseline": "2000"}})
def pareto_step(esv, *, baseline=None, objectives=None, minimize=(), tol=0.0):
    """Pareto dominance, non-dominated set, improvement over a baseline and functional synergy."""
    from ...analysis.tradeoff import esv_wide, functional_synergy, pareto_front, pareto_improvement

    if not isinstance(esv, pd.DataFrame):
        raise ConfigError(message("pareto.inputs.esv", "a table (the scenario_esv step)", type(esv).__name__,
                                  "reference the scenario_esv step"))
    wide = esv_wide(esv) if {"scenario", "service", "value"} <= set(esv.columns) else esv.copy()
    wide.index = wide.index.map(str)
    directions = {o: ("min" if o in minimize else "max") for o in wide.columns}
    objs = None if objectives is None else list(objectives)
    out = {"front": _listcols(pareto_front(wide, objectives=objs, directions=directions, tol=tol))}
    if baseline is not None:
        b = str(baseline)
        out["improvement"] = _listcols(pareto_improvement(wide, b, objectives=objs, directions=directions, tol=tol))
        out["synergy"] = functional_synergy(wide, b, services=objs, tol=tol)
    return out


def _listcols(df: pd.DataFrame) -> pd.DataFrame:
    """Lists → ';'-joined strings so the table writes as plain CSV."""
    out = df.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list)).any():
            out[c] = out[c].map(lambda v: ";".join(str(x) for x in v))
    return out


# ---------------------------------------------------------------- scenario rules
class ScenarioRulesParams(Params):
    """Parameters of ``scenario_rules``."""

    scenario: Literal["ID", "FS", "UE", "ER"] = Field(
        "ID", description="Niu et al. (2025) preset: ID inertial development, FS food security, UE urban expansion, ER "
                    "ecological restoration (demo legend codes 1 crop … 6 barren); ignored when `rules` is given")
    rules: dict | None = Field(None, description="a custom scenario (the ScenarioRules TOML form: name, "
                                                 "use_constraint, lake_class, [[rules]])")
    steps: float = Field(1.0, ge=0, le=50, description="Markov intervals k of the demand a·P′^k",
                         json_schema_extra={"units": "intervals"})

    @field_validator("rules")
    @classmethod
    def _valid_rules(cls, v):
        """A custom scenario is checked when the study is validated, not when it runs."""
        if v is not None:
            from ..scenarios import ScenarioRules

            ScenarioRules.model_validate(v)
        return v


@register("scenario_rules", params=ScenarioRulesParams, group="landuse",
          inputs=(Input("start", "categorical", "land use at T1 (Markov chain)"),
                  Input("end", "categorical", "land use at T2: the simulation's start map"),
                  Input("zones", "any", "subsidence zones 0–3 (e.g. the subsidence step's `zone`)", optional=True),
                  Input("constraint", "raster", "0 = locked (ecological red line)", optional=True),
                  Input("reference", "categorical", "map restored by 'reference' overrides (pre-mining)",
                        optional=True)),
          outputs=("start", "locked", "demand", "transition_matrix", "conversion", "forced"),
          formula="P′_ij = P_ij·M_ij (i≠j), P′_ii = 1 − Σ_j≠i P′_ij; restrictions TM = 0; overrides forced and "
                  "locked; demand = a_T2·P′^k",
          units={"start": "class", "locked": "1", "demand": "cells", "transition_matrix": "1", "conversion": "1",
                 "forced": "cells"},
          example={"inputs": {"start": "lulc@2010", "end": "lulc@2020", "zones": "subsidence.zone",
                              "reference": "lulc@2000"},
                   "params": {"scenario": "ER", "steps": 1.0}})
def scenario_rules_step(start, end, zones=None, constraint=None, reference=None, *, scenario="ID", rules=None,
                        steps=1.0):
    """Apply a land-use scenario (inertial development, food security, urban expansion, ecological restoration, or custom) to the start map, the Markov chain and the locks."""
    from .._common import as_codes
    from ..markov import transition_matrix
    from ..scenarios import apply_scenario, load_rules

    spec = load_rules(rules) if rules is not None else load_rules(scenario)
    p = transition_matrix(start, end)
    out = apply_scenario(spec, start=end, transition_matrix=p, zones=zones, constraint=constraint,
                         reference=reference, steps=steps)
    from ...core.legend import binary_labels

    locked = out.locked.astype("uint8")
    locked.attrs = {"units": "1", "scenario": spec.name}
    binary_labels(locked, "free to change", "locked (never changes)", color="#555555")
    codes, valid = as_codes(end, name="end")
    demand = out.demand.rename("demand").to_frame()
    demand.insert(0, "start", [int(((codes == c) & valid).sum()) for c in demand.index])
    return {"start": out.start, "locked": locked, "demand": demand, "transition_matrix": out.transition_matrix,
            "conversion": out.conversion, "forced": out.forced}
