"""Study-file steps of the land-use package: Markov demand and PLUS-style simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from typing import Literal

from pydantic import Field, field_validator

from ..core.errors import ConfigError, message
from ..pipeline.registry import Input, Params, register
from .markov import markov_demand, transition_matrix
from .simulator import LandUseSimulator


class MarkovParams(Params):
    """Parameters of ``markov_demand``."""

    steps: float = Field(1.0, gt=0, description="number of start→end intervals to project past the end map "
                                                "(non-integer: fractional matrix power)")


@register("markov_demand", params=MarkovParams, group="landuse",
          inputs=(Input("start", "categorical", "land use at T1"), Input("end", "categorical", "land use at T2")),
          outputs=("transition_matrix", "demand"),
          formula="P_ij = n_ij/Σ_j n_ij (from → to); a_{T2+kΔ} = a_{T2}·P^k, largest-remainder rounding",
          example={"inputs": {"start": "lulc@2000", "end": "lulc@2010"}, "params": {"steps": 1.0}})
def _markov_step(start, end, *, steps):
    """Markov chain land demand: transition matrix (rows = from class) and projected cells per class."""
    p = transition_matrix(start, end)
    d = markov_demand(start, end, steps=steps)
    return {"transition_matrix": p, "demand": d.rename("demand_cells").to_frame()}


class SimulationParams(Params):
    """Parameters of ``land_use_simulation``."""

    mode: Literal["forecast", "hindcast"] = Field(
        "forecast", description="forecast: fit start → end, simulate from end to the Markov demand `steps` "
                                "intervals ahead (scored against `observed` if given); hindcast: fit start → end, "
                                "simulate from start to the end map's counts, score against end")
    steps: float = Field(1.0, gt=0, description="Markov steps past the end map for the demand (forecast)")
    n_estimators: int = Field(20, ge=1, le=500, description="trees per class random forest (PLUS default 20)")
    sample_rate: float = Field(0.01, gt=0, le=1, description="share of cells sampled to train LEAS")
    neighborhood: int = Field(3, ge=3, le=15, description="CARS window side (odd)", json_schema_extra={"units": "cells"})
    seed: int = Field(0, ge=0, description="random seed (forests and CARS)")


@register("land_use_simulation", params=SimulationParams, group="landuse",
          inputs=(Input("start", "categorical", "land use at T1 (fit; a hindcast simulates from here)"),
                  Input("end", "categorical", "land use at T2 (fit; a forecast simulates from here, a hindcast "
                                              "is scored against it)"),
                  Input("drivers", "any", "mapping name → driver raster (e.g. dem, population; slope, distances "
                                          "to each class and class shares are derived)"),
                  Input("constraint", "raster", "0 = never changes, > 0 may change", optional=True),
                  Input("observed", "categorical", "forecast only: land use at T2 + steps·Δ to score it",
                        optional=True)),
          outputs=("simulated", "demand", "driver_contribution", "accuracy"),
          formula="LEAS: P_ik = RF_k(drivers); CA: demand in T shares, each to the highest P_ik + ε·w_k·Ω_ik(t)",
          example={"inputs": {"start": "lulc@2000", "end": "lulc@2010",
                              "drivers": {"dem": "dem", "population": "population",
                                          "distance_to_road": "distance_to_road"}},
                   "params": {"mode": "hindcast", "n_estimators": 20}})
def _simulation_step(start, end, drivers, *, constraint=None, observed=None, mode="forecast", steps, n_estimators,
                     sample_rate, neighborhood, seed):
    """PLUS-style land-use simulation, fitted on start → end.

    ``mode="hindcast"``: simulate from ``start`` with the end map's class counts (on the cells valid
    in both) and score against ``end``; the accuracy table compares the simulation with the
    probability-ranking and no-change baselines (:func:`~restoreplan.landuse.validate_simulation`).
    ``mode="forecast"``: simulate from ``end`` to the Markov demand ``steps`` intervals ahead; with
    ``observed`` (a later map) the demand is its counts and the accuracy is scored against it.
    """
    from .validation import validate_simulation

    if not isinstance(drivers, dict) or not drivers:
        raise ConfigError(message("drivers", "a mapping name → raster", type(drivers).__name__,
                                  'write drivers = { dem = "dem", population = "population" }'))
    ds = {k: v.astype("float32") for k, v in drivers.items()}
    sim = LandUseSimulator(seed=seed, n_estimators=n_estimators, sample_rate=sample_rate,
                           neighborhood=neighborhood).fit(start, end, ds)
    if mode == "hindcast":
        if observed is not None:
            raise ConfigError(message("observed", "no `observed` input in a hindcast (it is scored against `end`)",
                                      "an `observed` map", "drop `observed`, or use mode = 'forecast' with a map "
                                      "later than `end`"))
        origin, target = start, end
    else:
        origin, target = end, observed
        if observed is not None and _same_map(end, observed):
            raise ConfigError(message("observed", "a map later than `end` (the forecast starts from `end`)",
                                      "the `end` map itself (the score would be a fake perfect match)",
                                      "use mode = 'hindcast' to simulate start → end and score against end"))
    if target is not None:
        valid = _valid(origin) & _valid(target)
        origin = origin.where(xr.DataArray(valid, dims=("y", "x"), coords={"y": origin.y, "x": origin.x}),
                              origin.rio.nodata).astype(origin.dtype).rio.write_nodata(origin.rio.nodata)
        codes, counts = np.unique(np.asarray(target.values)[valid], return_counts=True)
        found = {int(c): int(n) for c, n in zip(codes, counts)}
        demand = {int(c): found.get(int(c), 0) for c in sim.classes_}
    else:
        demand = markov_demand(start, end, steps=steps)
    out = sim.simulate(origin, demand=demand, constraint=constraint)
    res = {"simulated": out,
           "demand": pd.Series(demand, name="demand_cells").rename_axis("class").to_frame(),
           "driver_contribution": sim.driver_contribution_}
    if target is not None:
        res["accuracy"] = validate_simulation(origin, target, out, model=sim, demand=demand,
                                              constraint=constraint).reset_index()
    return res


def _valid(da) -> np.ndarray:
    arr = np.asarray(da.values)
    nod = da.rio.nodata
    return np.ones(arr.shape, bool) if nod is None else arr != np.asarray(nod).astype(arr.dtype)


def _same_map(a, b) -> bool:
    return a.shape == b.shape and bool(np.array_equal(np.asarray(a.values), np.asarray(b.values)))


class ScenarioSimulationParams(Params):
    """Parameters of ``scenario_simulation`` (Niu et al. 2025)."""

    scenarios: list[str | dict] = Field(["ID", "FS", "UE", "ER"], min_length=1,
                                        description="scenarios simulated from the end map: preset names (Niu et al. 2025: "
                                                    "ID, FS, UE, ER) or rule tables (name, rules = [{kind = "
                                                    "'markov_multiplier', …}], see restoreplan.landuse.ScenarioRules)")

    @field_validator("scenarios")
    @classmethod
    def _rules_valid(cls, v):
        from .scenarios import load_rules

        names = [load_rules(x).name for x in v]  # validates presets and rule tables alike
        if len(set(names)) != len(names):
            raise ValueError(f"scenario names must be unique, got {names}")
        return v
    steps: float = Field(1.0, gt=0, description="Markov steps past the end map for each scenario's demand")
    equivalent_value: float = Field(3406.5, gt=0, description="D, value of one ESV equivalent (Xie 2015 ≈ 3406.5, "
                                                              "unverified)", json_schema_extra={"units": "yuan/hm2/a"})
    equivalents: str = Field("niu2025_6class", description="packaged equivalent table (Niu et al.'s (2025) is niu2025_6class)")
    n_estimators: int = Field(20, ge=1, le=500, description="trees per class random forest")
    sample_rate: float = Field(0.01, gt=0, le=1, description="share of cells sampled to train LEAS")
    seed: int = Field(0, ge=0, description="random seed (forests and CARS; the same for every scenario)")


def _scenario_report(result, ctx) -> str:
    """Report section: a map per scenario, ecosystem service value per service and scenario, the Pareto set."""
    import html

    from matplotlib.figure import Figure

    from ..pipeline.glossary import spell_out
    from ..report import chart_html, maps_html, output_name, table_html

    parts = [maps_html(output_name("lulc"), result["lulc"], title="simulated land use")]
    esv = result["esv"].drop(index="baseline", errors="ignore")
    fig = Figure(figsize=(8, 3.6), layout="tight")
    ax = fig.add_subplot()
    width = 0.8 / max(len(esv.index), 1)
    x = np.arange(len(esv.columns))
    for i, s in enumerate(esv.index):
        ax.bar(x + i * width, esv.loc[s].to_numpy(), width, label=spell_out(s))
    ax.set_xticks(x + 0.4 - width / 2)
    ax.set_xticklabels([c.replace("_", " ") for c in esv.columns], rotation=30, ha="right", fontsize=10)
    ax.set_ylabel("ecosystem service value (yuan/a)", fontsize=10)
    ax.legend(fontsize=10)
    parts.append(chart_html(fig, "Ecosystem service value (ESV) per service and scenario (yuan/a)"))
    parts.append(table_html(result["esv"], units="yuan/a",
                            caption="ESV per scenario (baseline = the end map)"))
    front = result["pareto"]
    nd = ", ".join(html.escape(spell_out(s)) for s in front.index[front["non_dominated"]])
    parts.append(f"<h4>Pareto comparison</h4><p>Non-dominated: <b>{nd}</b></p>" + table_html(front))
    parts.append(table_html(result["demand"], units="cells", caption="Demand per scenario"))
    sp = result["spatial_synergy"]
    if len(sp):
        counts = sp.groupby(["scenario", "relation"]).size().unstack(fill_value=0)
        parts.append(table_html(counts, units="service pairs",
                                caption="Spatial synergy/tradeoff of service pairs (Spearman ρ of per-pixel ΔESV)"))
    return "\n".join(parts)


@register("scenario_simulation", params=ScenarioSimulationParams, group="landuse", report=_scenario_report,
          inputs=(Input("start", "categorical", "land use at T1 (fit)"),
                  Input("end", "categorical", "land use at T2 (fit; every scenario starts here)"),
                  Input("drivers", "any", "mapping name → driver raster"),
                  Input("zones", "any", "subsidence zones 0–3 (e.g. `subsidence.zone`)", optional=True),
                  Input("constraint", "raster", "0 = locked (e.g. ecological red line)", optional=True),
                  Input("reference", "categorical", "pre-disturbance map for ER's restoration overrides",
                        optional=True)),
          outputs=("lulc", "esv", "pareto", "demand", "functional_synergy", "spatial_synergy"),
          formula="per scenario s: P′ = rules_s(P), start′, locks → CARS(LEAS P) → ESV_s → Pareto set, "
                  "synergy vs the end map",
          example={"inputs": {"start": "lulc@2000", "end": "lulc@2010", "zones": "subsidence.zone",
                              "reference": "lulc@2000",
                              "drivers": {"dem": "dem", "slope": "slope", "distance_to_road": "distance_to_road"}},
                   "params": {"scenarios": ["ID", "FS", "UE", "ER"], "n_estimators": 10}})
def _scenario_simulation_step(start, end, drivers, *, zones=None, constraint=None, reference=None, scenarios,
                              steps, equivalent_value, equivalents, n_estimators, sample_rate, seed):
    """Coal–grain land-use scenarios (Niu et al. 2025): fit the land-expansion analysis once, simulate each scenario's rules with the patch-generating cellular automaton, ecosystem service value per scenario, Pareto set."""
    from ..analysis.tradeoff import (esv_wide, functional_synergy, pareto_front, pareto_improvement, scenario_esv,
                                     spatial_synergy)
    from ..services.esv import esv
    from ..tables import load_table
    from .scenarios import apply_scenario, load_rules, stack_scenarios

    if not isinstance(drivers, dict) or not drivers:
        raise ConfigError(message("drivers", "a mapping name → raster", type(drivers).__name__,
                                  'write drivers = { dem = "dem", slope = "slope" }'))
    ds = xr.Dataset({k: v.astype("float32") for k, v in drivers.items()})
    sim = LandUseSimulator(seed=seed, n_estimators=n_estimators, sample_rate=sample_rate).fit(start, end, ds)
    p = transition_matrix(start, end)
    maps, demands, names = [], {}, []
    for spec in scenarios:
        rules = load_rules(spec)
        name = rules.name
        names.append(name)
        inp = apply_scenario(rules, start=end, transition_matrix=p, zones=zones, constraint=constraint,
                             probability=sim.development_probability_, reference=reference, steps=steps)
        out = sim.simulate(**inp.simulate_kwargs())
        maps.append(out.assign_attrs(scenario=name))
        demands[name] = inp.demand
    stacked = stack_scenarios(maps, names=names)
    stacked.attrs["cars_converged"] = ",".join(f"{n}:{m.attrs.get('cars_converged', '')}" for n, m in zip(names, maps))
    eq = load_table(equivalents)
    base = xr.concat([end], dim=pd.Index(["baseline"], name="scenario"))
    wide_all = esv_wide(scenario_esv(xr.concat([base, stacked], dim="scenario"), equivalents=eq,
                                     equivalent_value=equivalent_value))
    wide = wide_all.drop(index="baseline")
    front = pareto_front(wide)
    improvement = pareto_improvement(wide_all, "baseline")
    front = front.join(improvement[["improvement"]].rename(columns={"improvement": "pareto_improvement_over_baseline"}))
    functional = functional_synergy(wide_all, "baseline")
    spatial = spatial_synergy(esv(stacked, equivalents=eq, equivalent_value=equivalent_value),
                              esv(end, equivalents=eq, equivalent_value=equivalent_value),
                              sample=200_000, seed=seed)
    return {"lulc": stacked, "esv": wide_all, "pareto": front.astype({"dominated_by": str, "dominates": str}),
            "demand": pd.DataFrame(demands), "functional_synergy": functional, "spatial_synergy": spatial}

