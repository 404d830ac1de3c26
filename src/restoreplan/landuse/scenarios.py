r"""Scenario rules for land-use simulation: ID / FS / UE / ER of Niu et al. (2025).

A scenario is a declarative, frozen :class:`ScenarioRules` (loadable from a study-file/TOML dict)
made of five kinds of rule:

1. :class:`MarkovMultiplier` — :math:`P'_{ij} = P_{ij} M_{ij}` (i ≠ j), :math:`P'_{ii} = 1 - \sum_{j\ne i} P'_{ij}`
   (the mass comes from persistence, **assumption — parameter**); if :math:`P'_{ii} < 0` the
   off-diagonal terms of row i are shrunk so that :math:`P'_{ii} = 0` (``AssumptionWarning``);
2. :class:`Restriction` — i → j forbidden: everywhere (``TM[i, j] = 0`` and :math:`P'_{ij} = 0`),
   or only in some zones, through the per-class restriction stack (class j may not be entered at
   a cell of the zone whose start class is i);
3. :class:`Lock` and the external constraint raster — 0 = locked (e.g. the ecological red line);
4. :class:`Override` — (zone, from-classes, to-class) applied to the start map, then locked;
   CARS gaps count the forced cells;
5. :class:`ZoneMultiplier` — factors on the development probabilities :math:`P_{ik}` inside zones.

Zones are the severity classes of :func:`~restoreplan.landuse.subsidence.subsidence_zones`
(0 outside, 1 mild, 2 moderate, 3 severe); the lake is the base-year water
(``lake_class``, **assumption — parameter**). :func:`apply_scenario` returns what the CA
simulator (:meth:`~restoreplan.landuse.LandUseSimulator.simulate`) consumes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.errors import AssumptionWarning, ConfigError, DataError, message
from ..core.finalize import like_raster
from ..core.legend import copy_legend
from ..core.validate import check_aligned, check_raster
from ._common import as_codes
from .markov import as_transition_frame, project_counts
from ..core.compute import materialize

__all__ = [
    "PRESETS",
    "ZONES",
    "Lock",
    "MarkovMultiplier",
    "Override",
    "Restriction",
    "ScenarioInputs",
    "ScenarioRules",
    "ZoneMultiplier",
    "adjust_transition_matrix",
    "apply_scenario",
    "apply_zone_multipliers",
    "load_rules",
    "preset",
    "stack_scenarios",
]

#: zone names → codes of ``subsidence_zones`` (``all`` = every valid cell)
ZONES: dict[str, int] = {"outside": 0, "mild": 1, "moderate": 2, "severe": 3}
ZoneName = Literal["all", "outside", "mild", "moderate", "severe"]
PRESETS = ("ID", "FS", "UE", "ER")


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MarkovMultiplier(_Rule):
    """M_ij = ``factor`` for i in ``from_classes`` (None = all) minus ``exclude_from``, j likewise, i ≠ j."""

    kind: Literal["markov_multiplier"] = "markov_multiplier"
    from_classes: tuple[int, ...] | None = Field(None, description="source classes i (None = all)")
    exclude_from: tuple[int, ...] = ()
    to_classes: tuple[int, ...] | None = Field(None, description="target classes j (None = all)")
    exclude_to: tuple[int, ...] = ()
    factor: float = Field(..., ge=0, description="multiplier of P_ij", json_schema_extra={"units": "1"})


class Restriction(_Rule):
    """Conversion i → j forbidden (i ≠ j) in ``zones`` ("all": TM and P′ too)."""

    kind: Literal["restriction"] = "restriction"
    from_classes: tuple[int, ...] | None = None
    exclude_from: tuple[int, ...] = ()
    to_classes: tuple[int, ...] | None = None
    exclude_to: tuple[int, ...] = ()
    zones: tuple[ZoneName, ...] = ("all",)


class Lock(_Rule):
    """Cells of ``zones`` whose start class is in ``classes`` (None = any) never change."""

    kind: Literal["lock"] = "lock"
    zones: tuple[ZoneName, ...] = ("all",)
    classes: tuple[int, ...] | None = None


class Override(_Rule):
    """Force cells of ``zones`` (start class in ``from_classes`` minus ``exclude_from``; lake cells
    skipped with ``exclude_lake``) to ``to_class`` — or, with ``to_class="reference"``, to their
    class in the reference map where that class is in ``reference_classes``. Forced cells are locked;
    a cell forced by an earlier override is not touched by a later one."""

    kind: Literal["override"] = "override"
    zones: tuple[ZoneName, ...]
    from_classes: tuple[int, ...] | None = None
    exclude_from: tuple[int, ...] = ()
    exclude_lake: bool = False
    to_class: int | Literal["reference"]
    reference_classes: tuple[int, ...] | None = None


class ZoneMultiplier(_Rule):
    """Development probability P_ik × ``factor`` for k in ``classes`` at cells of ``zones``."""

    kind: Literal["zone_multiplier"] = "zone_multiplier"
    zones: tuple[ZoneName, ...]
    classes: tuple[int, ...]
    factor: float = Field(..., ge=0, json_schema_extra={"units": "1"})


AnyRule = Annotated[MarkovMultiplier | Restriction | Lock | Override | ZoneMultiplier, Field(discriminator="kind")]


class ScenarioRules(BaseModel):
    """A named scenario: ordered rules plus the use of the external constraint raster.

    ``ScenarioRules.model_validate({...})`` (or :func:`load_rules`) reads the study-file/TOML form::

        name = "UE"
        use_constraint = true
        [[rules]]
        kind = "markov_multiplier"
        exclude_from = [4]
        to_classes = [5]
        factor = 1.3
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(..., min_length=1, description="scenario label (the `scenario` coordinate)")
    description: str = ""
    rules: tuple[AnyRule, ...] = ()
    use_constraint: bool = Field(True, description="lock cells where the constraint raster is 0 (red line)")
    lake_class: int = Field(4, description="start-map class taken as the lake (assumption — parameter)")

    def of_kind(self, cls) -> list:
        """The rules of one kind, in order."""
        return [r for r in self.rules if isinstance(r, cls)]


def load_rules(spec: ScenarioRules | Mapping | str) -> ScenarioRules:
    """A :class:`ScenarioRules` from itself, a study-file dict, or a preset name (ID, FS, UE, ER)."""
    if isinstance(spec, ScenarioRules):
        return spec
    if isinstance(spec, str):
        return preset(spec)
    try:
        return ScenarioRules.model_validate(dict(spec))
    except ValidationError as e:
        from ..core.wording import validation_problems

        probs = validation_problems(e, prefix="scenario", model=ScenarioRules,
                                    fix="see restoreplan.landuse.scenarios.ScenarioRules")
        raise ConfigError("; ".join(probs), probs) from None


# --------------------------------------------------------------------------------------------
# Niu et al. (2025) presets
# --------------------------------------------------------------------------------------------

def preset(name: str, *, cropland: int = 1, forest: int = 2, grassland: int = 3, water: int = 4,
           built: int = 5, barren: int = 6) -> ScenarioRules:
    """Niu et al.'s (2025) ID, FS, UE or ER scenario for the given class codes.

    ============ ========================================== ========================== ====================================== ============
    scenario     outside the subsidence area                mild                       moderate                               severe
    ============ ========================================== ========================== ====================================== ============
    ID           P unchanged; water cannot convert          TM[·, built] = 0           forced → water                         → water
    FS           M[crop, j≠crop] = 0.8;                     cropland locked            non-lake → cropland                    → water
                 M[forest|grass|barren, crop] = 1.2
    UE           M[i≠water, built] = 1.3; water never       as outside                 built-up kept; other non-lake →        → water
                 becomes built-up; constraint respected                                cropland
    ER           TM[forest, j≠forest] = TM[grass, ·] = 0;   ×1.1 on P_forest, P_grass  non-lake reference forest/grass        → water
                 M[i≠water, forest] = 1.1; red line = 0                                restored; rest → water
    ============ ========================================== ========================== ====================================== ============

    "Outside" Markov multipliers and restrictions act on the region-wide chain (demand and TM);
    cells forced inside the subsidence area are locked, so the restrictions do not undo them. ER's
    garbled "outside" sentence is read as "non-water → woodland +10 %" (**unverified — check the
    paper**); "restored" uses the reference map (e.g. the pre-mining year) passed to
    :func:`apply_scenario`.
    """
    key = str(name).upper()
    severe = Override(zones=("severe",), to_class=water)
    if key == "ID":
        rules = (Restriction(from_classes=(water,)),
                 Restriction(to_classes=(built,), zones=("mild",)),
                 severe, Override(zones=("moderate",), to_class=water))
        return ScenarioRules(name="ID", description="inertial development", rules=rules, use_constraint=False,
                             lake_class=water)
    if key == "FS":
        rules = (MarkovMultiplier(from_classes=(cropland,), factor=0.8),
                 MarkovMultiplier(from_classes=(forest, grassland, barren), to_classes=(cropland,), factor=1.2),
                 Lock(zones=("mild",), classes=(cropland,)),
                 severe, Override(zones=("moderate",), exclude_lake=True, to_class=cropland))
        return ScenarioRules(name="FS", description="food security", rules=rules, use_constraint=False,
                             lake_class=water)
    if key == "UE":
        rules = (MarkovMultiplier(exclude_from=(water,), to_classes=(built,), factor=1.3),
                 Restriction(from_classes=(water,), to_classes=(built,)),
                 severe, Lock(zones=("moderate",), classes=(built,)),
                 Override(zones=("moderate",), exclude_from=(built,), exclude_lake=True, to_class=cropland))
        return ScenarioRules(name="UE", description="urban expansion", rules=rules, use_constraint=True,
                             lake_class=water)
    if key == "ER":
        rules = (Restriction(from_classes=(forest,)), Restriction(from_classes=(grassland,)),
                 MarkovMultiplier(exclude_from=(water,), to_classes=(forest,), factor=1.1),
                 ZoneMultiplier(zones=("mild",), classes=(forest, grassland), factor=1.1),
                 severe,
                 Override(zones=("moderate",), exclude_lake=True, to_class="reference",
                          reference_classes=(forest, grassland)),
                 Override(zones=("moderate",), exclude_lake=True, to_class=water))
        return ScenarioRules(name="ER", description="ecological restoration", rules=rules, use_constraint=True,
                             lake_class=water)
    raise ConfigError(message("scenario", f"one of {list(PRESETS)}", repr(name),
                              "use a preset name or build ScenarioRules(...)"))


# --------------------------------------------------------------------------------------------
# 1–2. transition matrix
# --------------------------------------------------------------------------------------------

def _select(codes: Sequence[int], include, exclude) -> np.ndarray:
    codes = np.asarray(codes)
    sel = np.ones(len(codes), bool) if include is None else np.isin(codes, list(include))
    return sel & ~np.isin(codes, list(exclude))


def _multiplier_kernel(p: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """P′ from P and M (diagonal of M ignored); returns P′ and the rows that were shrunk."""
    k = p.shape[0]
    off = ~np.eye(k, dtype=bool)
    q = np.where(off, p * m, 0.0)
    s = q.sum(axis=1)
    shrunk = [i for i in range(k) if s[i] > 1.0 + 1e-12]
    for i in shrunk:
        q[i] /= s[i]
    q[np.arange(k), np.arange(k)] = 1.0 - q.sum(axis=1)
    q[np.abs(q) < 1e-15] = 0.0
    return q, shrunk


def adjust_transition_matrix(matrix, rules: ScenarioRules | Mapping | str, *,
                             orientation: Literal["from_rows", "from_columns"] | None = None
                             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""Apply a scenario's Markov multipliers and region-wide restrictions to P (scenario mechanisms 1–2).

    Parameters
    ----------
    matrix : from → to DataFrame (rows = from) from
        :func:`~restoreplan.landuse.markov.transition_matrix`, or an ndarray with ``orientation``.
    rules : ScenarioRules, study-file dict or preset name.

    Returns
    -------
    (P′, TM) : two from → to DataFrames: the adjusted row-stochastic matrix and the 0/1
        conversion matrix (0 = forbidden everywhere; the simulator's ``conversion``).

    Notes
    -----
    :math:`P'_{ij} = P_{ij}\prod M_{ij}` (i ≠ j; several multipliers compose), then
    :math:`P'_{ij} = 0` where restricted, then :math:`P'_{ii} = 1 - \sum_{j\ne i}P'_{ij}`. When
    :math:`\sum_{j\ne i}P'_{ij} > 1` row i is divided by that sum (:math:`P'_{ii} = 0`) with an
    ``AssumptionWarning``. Rows still sum to 1.
    """
    r = load_rules(rules)
    p = as_transition_frame(matrix, orientation=orientation, name="transition_matrix")
    vals = p.to_numpy()
    if np.any(vals < -1e-12) or np.any(np.abs(vals.sum(axis=1) - 1.0) > 1e-6):
        raise DataError(message("transition_matrix", "a row-stochastic matrix (entries ≥ 0, rows summing to 1)",
                                f"row sums {np.round(vals.sum(axis=1), 6).tolist()}",
                                "use rp.landuse.transition_matrix(start, end)"))
    codes = list(p.index)
    k = len(codes)
    m = np.ones((k, k))
    for mm in r.of_kind(MarkovMultiplier):
        m[np.ix_(_select(codes, mm.from_classes, mm.exclude_from), _select(codes, mm.to_classes, mm.exclude_to))] \
            *= mm.factor
    tm = np.ones((k, k), dtype=np.int64)
    for rs in r.of_kind(Restriction):
        if "all" in rs.zones:
            tm[np.ix_(_select(codes, rs.from_classes, rs.exclude_from),
                      _select(codes, rs.to_classes, rs.exclude_to))] = 0
    np.fill_diagonal(tm, 1)
    q, shrunk = _multiplier_kernel(vals, m * tm)
    if shrunk:
        warnings.warn(f"scenario {r.name}: multiplied transitions out of class(es) {[codes[i] for i in shrunk]} "
                      "exceed 1; their off-diagonal terms were shrunk so that persistence P'_ii = 0",
                      AssumptionWarning, stacklevel=2)
    idx = pd.Index(codes, name="from")
    cols = pd.Index(codes, name="to")
    return pd.DataFrame(q, index=idx, columns=cols), pd.DataFrame(tm, index=idx.copy(), columns=cols.copy())


# --------------------------------------------------------------------------------------------
# 2–5. maps
# --------------------------------------------------------------------------------------------

def _zone_mask(zone_vals: np.ndarray, valid: np.ndarray, zones: Sequence[str]) -> np.ndarray:
    if "all" in zones:
        return valid.copy()
    return valid & np.isin(zone_vals, [ZONES[z] for z in zones])


def _override_kernel(lu, valid, zone_vals, ref, lake, rule: Override, taken):
    """Cells selected by one override (not yet taken) and their new classes."""
    dom = _zone_mask(zone_vals, valid, rule.zones) & ~taken
    dom &= _select_cells(lu, rule.from_classes, rule.exclude_from)
    if rule.exclude_lake:
        dom &= ~lake
    if rule.to_class == "reference":
        if ref is None:
            raise ConfigError(message("reference", "a reference map for an override with to_class='reference'",
                                      "none", "pass reference=<pre-mining land use> to apply_scenario"))
        dom &= ref[1]
        if rule.reference_classes is not None:
            dom &= np.isin(ref[0], list(rule.reference_classes))
        new = ref[0]
    else:
        new = np.full(lu.shape, int(rule.to_class), dtype=lu.dtype)
    return dom, new


def _select_cells(lu, include, exclude) -> np.ndarray:
    sel = np.ones(lu.shape, bool) if include is None else np.isin(lu, list(include))
    if exclude:
        sel &= ~np.isin(lu, list(exclude))
    return sel


@dataclass(frozen=True)
class ScenarioInputs:
    """What a CA simulator consumes for one scenario (see :func:`apply_scenario`).

    ``transition_matrix`` P′ and ``conversion`` TM (from → to DataFrames); ``demand`` (cells per
    class, or None without ``steps``); ``start`` (start map after overrides); ``locked`` (bool
    raster, True = never changes); ``constraint`` (uint8, 1 free / 0 locked: the simulator's
    ``constraint``); ``restriction`` (bool (class, y, x), True = class may not be entered there);
    ``multiplier`` (float32 (class, y, x) factors on P_ik); ``probability`` (adjusted P_ik, 0 where
    restricted, or None); ``forced`` (one row per override: cells selected, cells changed).
    """

    name: str
    transition_matrix: pd.DataFrame
    conversion: pd.DataFrame
    demand: pd.Series | None
    start: xr.DataArray
    locked: xr.DataArray
    constraint: xr.DataArray
    restriction: xr.DataArray
    multiplier: xr.DataArray
    probability: xr.DataArray | None
    forced: pd.DataFrame

    def simulate_kwargs(self) -> dict:
        """Keyword arguments for ``LandUseSimulator.simulate`` (``lulc_start`` and the rest)."""
        kw = {"lulc_start": self.start, "constraint": self.constraint, "conversion": self.conversion}
        if self.demand is not None:
            kw["demand"] = self.demand
        if self.probability is not None:
            kw["probability"] = self.probability
        return kw


def _codes_of(da, name):
    check_raster(da, name=name, kind="categorical", crs=False)
    return as_codes(da, name=name)


def apply_scenario(rules: ScenarioRules | Mapping | str, *, start: xr.DataArray, transition_matrix=None,
                   zones: xr.DataArray | None = None, constraint: xr.DataArray | None = None,
                   probability: xr.DataArray | None = None, reference: xr.DataArray | None = None,
                   classes: Sequence[int] | None = None, steps: float | None = None,
                   orientation: Literal["from_rows", "from_columns"] | None = None) -> ScenarioInputs:
    r"""Apply a scenario to the inputs of a CA simulation. Computes the maps.

    Parameters
    ----------
    rules : ScenarioRules, study-file dict or preset name ("ID", "FS", "UE", "ER").
    start : categorical start map (integer, ``.rio.nodata``).
    transition_matrix : from → to P, optional; adjusted by :func:`adjust_transition_matrix`.
        Without it P′ is the identity over ``classes`` and only TM is meaningful.
    zones : subsidence zones (0 outside, 1 mild, 2 moderate, 3 severe; nodata → outside), optional
        (default: everything outside).
    constraint : 0 = locked (e.g. ecological red line), used when ``rules.use_constraint``.
    probability : (class, y, x) development probability P_ik, optional; returned multiplied by the
        zone multipliers (clipped to [0, 1]) and 0 where restricted.
    reference : categorical map used by ``to_class="reference"`` overrides (e.g. the pre-mining year).
    classes : class codes (default: the matrix's, else the start map's codes).
    steps : Markov intervals for the demand :math:`a\,P'^{k}` from the **unmodified** start map's
        counts; forced cells then count towards that demand (CARS gaps).

    Returns
    -------
    :class:`ScenarioInputs`

    Notes
    -----
    Overrides apply in order; the first one that selects a cell wins; a forced cell is locked.
    A zonal restriction i → j marks class j as not enterable at the cells of the zone whose start
    class is i (after overrides). Locks: :class:`Lock` rules, forced cells, constraint = 0 (or
    nodata) when ``use_constraint``. The target class of an override rises by exactly the number of
    cells it changed.
    """
    r = load_rules(rules)
    lu0, valid = _codes_of(start, "start")
    p_adj, tm, codes = _scenario_matrices(r, lu0, valid, transition_matrix, classes, orientation)
    zv = _zone_codes(zones, start, lu0.shape)
    ref = None
    if reference is not None:
        check_aligned(start=start, reference=reference)
        ref = _codes_of(reference, "reference")
    lu, taken, forced = _apply_overrides(r, lu0, valid, zv, ref)                       # 4. overrides
    locked = _locked_cells(r, lu0, valid, zv, taken, constraint, start)                # 3. locks
    restr, mult = _restrictions_and_multipliers(r, codes, lu, valid, zv)               # 2. and 5.
    k = len(codes)

    nod = start.rio.nodata
    start_out = like_raster(np.where(valid, lu, nod if nod is not None else 0).astype(start.dtype), start,
                            name=f"{start.name or 'lulc'}_{r.name}", units="1", nodata=nod, scenario=r.name)
    locked_da = like_raster(locked, start, name="locked", units="1")
    constraint_da = like_raster((~locked).astype(np.uint8), start, name="constraint", units="1")
    cls_coord = {"class": codes}
    restr_da = xr.DataArray(restr, dims=("class", "y", "x"), coords={**cls_coord, "y": start.y, "x": start.x},
                            name="restriction")
    mult_da = xr.DataArray(mult, dims=("class", "y", "x"), coords={**cls_coord, "y": start.y, "x": start.x},
                           name="multiplier", attrs={"units": "1"})
    prob = None
    if probability is not None:
        prob = apply_zone_multipliers(probability, mult_da, restr_da)

    demand = None
    if steps is not None:
        if transition_matrix is None:
            raise ConfigError(message("transition_matrix", "a Markov matrix when `steps` is given", "none",
                                      "pass transition_matrix=rp.landuse.transition_matrix(t1, t2)"))
        counts = pd.Series(np.bincount(np.searchsorted(codes, lu0[valid]), minlength=k), index=codes)
        demand = project_counts(counts, p_adj, steps=steps)
    copy_legend(start, start_out)
    return ScenarioInputs(name=r.name, transition_matrix=p_adj, conversion=tm, demand=demand, start=start_out,
                          locked=locked_da, constraint=constraint_da, restriction=restr_da, multiplier=mult_da,
                          probability=prob, forced=forced)


def _scenario_matrices(r, lu0, valid, transition_matrix, classes, orientation):
    """P′ and TM of the scenario (:func:`adjust_transition_matrix`) and the class codes; without a
    matrix P′ is the identity over the start map's codes (and ``classes``)."""
    if transition_matrix is not None:
        p_adj, tm = adjust_transition_matrix(transition_matrix, r, orientation=orientation)
        codes = [int(c) for c in p_adj.index] if classes is None else [int(c) for c in classes]
        if classes is not None:
            p_adj = p_adj.reindex(index=codes, columns=codes)
            tm = tm.reindex(index=codes, columns=codes)
            if p_adj.isna().any().any():
                raise ConfigError(message("classes", "codes that are rows of the transition matrix",
                                          repr(codes), "drop `classes` or extend the matrix"))
    else:
        codes = sorted(set(np.unique(lu0[valid]).tolist()) | set(classes or []))
        eye = pd.DataFrame(np.eye(len(codes)), index=pd.Index(codes, name="from"), columns=pd.Index(codes, name="to"))
        p_adj, tm = adjust_transition_matrix(eye, r)
    present = sorted(set(np.unique(lu0[valid]).tolist()) - set(codes))
    if present:
        raise DataError(message("start", f"class codes of the transition matrix {codes}", f"codes {present}",
                                "add them to the matrix or reclassify the map"))
    return p_adj, tm, codes


def _zone_codes(zones, start, shape) -> np.ndarray:
    """int16 subsidence zone per cell (0 outside; codes other than the zones' are outside)."""
    if zones is None:
        return np.zeros(shape, np.int16)
    check_aligned(start=start, zones=zones)
    zv = materialize(zones)
    return np.where(np.isin(zv, list(ZONES.values())), zv, 0).astype(np.int16)


def _apply_overrides(r, lu0, valid, zv, ref):
    """Overrides on the start map in order (the first that selects a cell wins): the new map, the
    cells taken by an override, and the table of forced cells per override."""
    lake = valid & (lu0 == r.lake_class)
    lu = lu0.copy()
    taken = np.zeros(lu0.shape, bool)
    rows = []
    for i, ov in enumerate(r.of_kind(Override)):
        dom, new = _override_kernel(lu0, valid, zv, ref, lake, ov, taken)
        changed = dom & (lu != new)
        lu[dom] = new[dom]
        taken |= dom
        rows.append({"override": i, "zones": ",".join(ov.zones), "to_class": str(ov.to_class),
                     "cells": int(dom.sum()), "changed": int(changed.sum())})
    return lu, taken, pd.DataFrame(rows, columns=["override", "zones", "to_class", "cells", "changed"])


def _locked_cells(r, lu0, valid, zv, taken, constraint, start) -> np.ndarray:
    """Cells that never change: forced by an override, :class:`Lock` rules, and constraint = 0 (or
    nodata) when the scenario uses the constraint."""
    locked = taken.copy()
    for lk in r.of_kind(Lock):
        locked |= _zone_mask(zv, valid, lk.zones) & _select_cells(lu0, lk.classes, ())
    if r.use_constraint and constraint is not None:
        check_raster(constraint, name="constraint", kind="any", crs=False)
        check_aligned(start=start, constraint=constraint)
        cv = materialize(constraint)
        free = np.isfinite(cv) & (cv > 0) if np.issubdtype(cv.dtype, np.floating) else cv > 0
        cnod = constraint.rio.nodata
        if cnod is not None and not (isinstance(cnod, float) and np.isnan(cnod)):
            free &= cv != cnod
        locked |= valid & ~free
    return locked & valid


def _restrictions_and_multipliers(r, codes, lu, valid, zv):
    """(class, y, x) stacks: zonal restrictions (class not enterable at the cell) and zone multipliers."""
    k = len(codes)
    ny, nx = lu.shape
    restr = np.zeros((k, ny, nx), bool)
    for rs in r.of_kind(Restriction):
        if "all" in rs.zones:
            continue
        cells = _zone_mask(zv, valid, rs.zones) & _select_cells(lu, rs.from_classes, rs.exclude_from)
        for j in np.flatnonzero(_select(codes, rs.to_classes, rs.exclude_to)):
            restr[j] |= cells & (lu != codes[j])
    mult = np.ones((k, ny, nx), np.float32)
    for zm in r.of_kind(ZoneMultiplier):
        cells = _zone_mask(zv, valid, zm.zones)
        for j in np.flatnonzero(np.isin(codes, list(zm.classes))):
            mult[j][cells] *= np.float32(zm.factor)
    return restr, mult


def apply_zone_multipliers(probability: xr.DataArray, multiplier: xr.DataArray,
                           restriction: xr.DataArray | None = None) -> xr.DataArray:
    r"""Adjusted development probability :math:`P'_{ik} = \min(1, P_{ik}\,m_{ik})`, 0 where restricted.

    ``probability``, ``multiplier`` and ``restriction`` are (class, y, x) on one grid and class list.
    """
    if list(probability.dims) != ["class", "y", "x"]:
        raise DataError(message("probability", "a (class, y, x) array", f"dims {probability.dims}",
                                "use LandUseSimulator.development_probability_"))
    pc = [int(c) for c in probability["class"].values]
    mc = [int(c) for c in multiplier["class"].values]
    if pc != mc:
        raise ConfigError(message("probability", f"classes {mc} (those of the scenario)", f"classes {pc}",
                                  "pass classes= to apply_scenario matching the simulator's classes_"))
    out = np.minimum(probability * multiplier.values, 1.0).astype(probability.dtype)
    if restriction is not None:
        out = out.where(~restriction.values, 0.0)
    out.name = "development_probability"
    out.attrs = {**probability.attrs, "units": "1"}
    if probability.rio.crs is not None:
        out = out.rio.write_crs(probability.rio.crs)
    return out.rio.write_transform(probability.rio.transform())


def stack_scenarios(results: Mapping[str, xr.DataArray] | Sequence[xr.DataArray], *,
                    names: Sequence[str] | None = None) -> xr.DataArray:
    """Stack per-scenario rasters along a ``scenario`` dim (``xr.concat(..., dim="scenario")``)."""
    if isinstance(results, Mapping):
        names, items = list(results.keys()), list(results.values())
    else:
        items = list(results)
        names = list(names) if names is not None else [str(getattr(x, "attrs", {}).get("scenario", i))
                                                       for i, x in enumerate(items)]
    if len(names) != len(items) or not items:
        raise ConfigError(message("names", "one name per scenario result", f"{len(names)} names, {len(items)} results",
                                  "pass a dict name → raster"))
    first = items[0]
    for nm, it in zip(names[1:], items[1:]):
        check_aligned(**{str(names[0]): first, str(nm): it})
    out = xr.concat([x.drop_vars("time", errors="ignore") if "time" not in x.dims else x for x in items],
                    dim=pd.Index(list(names), name="scenario"), join="override", combine_attrs="drop_conflicts")
    if first.rio.crs is not None:
        out = out.rio.write_crs(first.rio.crs)
    out = out.rio.write_transform(first.rio.transform())
    if first.rio.nodata is not None:
        out = out.rio.write_nodata(first.rio.nodata, encoded=False)
    return out
