"""Marxan project files: read ``input.dat`` with its pu/spec/puvspr/bound files; write Marxan outputs.

Reading follows Marxan 4.0.6 (see ``anchors/marxan/OBJECTIVE.md``):

* ``input.dat``: one ``NAME value`` per line (space, tab or comma separated; CR, LF or CRLF line
  ends; unknown lines ignored). Data files are looked up in ``INPUTDIR`` relative to the folder
  of ``input.dat`` (then that folder itself).
* Data files need a header; the delimiter is guessed from it: tab if more tabs than commas, ``;`` if
  more semicolons than both, else comma (whitespace if none of them appears).
* ``pu.dat``: ``id, cost (1), status (0)``; ``spec.dat``: ``id, prop, target, targetocc, spf, name``
  (``prop > 0`` overrides ``target``: :math:`T_j = prop_j \\sum_i a_{ij}` over all units; negative
  target → 0, negative or missing spf → 1); ``puvspr.dat``: ``species, pu, amount`` in any order
  (repeated pairs summed); ``bound.dat``: ``id1, id2, boundary`` (``id1 == id2`` = fixed boundary,
  repeats summed; a repeated pair is ignored, first row wins); a missing ``BOUNDNAME`` means no
  boundaries.

Writing: ``output_best.csv`` (PUID, SOLUTION), ``output_sum.csv`` (one row per run, Marxan's
columns), ``output_ssoln.csv`` (planning_unit, number = selection frequency), ``output_mvbest.csv``
(per-feature targets and amounts held by the best run), all atomically.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..core.errors import DataError, InputError, RestorePlanWarning, did_you_mean, implausible, message
from .problem import Problem

__all__ = ["MarxanProject", "problem_from_tables", "read_input_dat", "read_marxan", "read_table", "write_outputs"]

_NUMERIC = {"BLM": float, "PROP": float, "RANDSEED": int, "NUMREPS": int, "NUMITNS": float, "STARTTEMP": float,
            "COOLFAC": float, "NUMTEMP": float, "COSTTHRESH": float, "THRESHPEN1": float, "THRESHPEN2": float,
            "MISSLEVEL": float, "ITIMPTYPE": int, "RUNMODE": int, "HEURTYPE": int, "CLUMPTYPE": int,
            "VERBOSITY": int, "BESTSCORE": float}
_DEFAULTS = {"BLM": 0.0, "PROP": 0.5, "RANDSEED": -1, "NUMREPS": 1, "NUMITNS": 1_000_000, "STARTTEMP": -1.0,
             "COOLFAC": 0.0, "NUMTEMP": 10_000, "COSTTHRESH": 0.0, "THRESHPEN1": 0.0, "THRESHPEN2": 0.0,
             "MISSLEVEL": 1.0, "ITIMPTYPE": 0, "RUNMODE": 1, "INPUTDIR": "input", "OUTPUTDIR": "output",
             "SCENNAME": "output", "PUNAME": "pu.dat", "SPECNAME": "spec.dat", "PUVSPRNAME": "puvspr.dat"}


#: Every input.dat keyword of Marxan 4 (and Marxan with Zones); anything else is reported as unknown.
KNOWN_KEYS = frozenset("""
VERSION BLM PROP RANDSEED BESTSCORE NUMREPS NUMITNS STARTTEMP COOLFAC NUMTEMP COSTTHRESH THRESHPEN1 THRESHPEN2
INPUTDIR OUTPUTDIR SPECNAME PUNAME PUVSPRNAME BOUNDNAME BLOCKDEFNAME MATRIXSPORDERNAME PENALTYNAME SCENNAME
SAVERUN SAVEBEST SAVESUMMARY SAVESCEN SAVETARGMET SAVESUMSOLN SAVELOG SAVESNAPSTEPS SAVESNAPCHANGES
SAVESNAPFREQUENCY SAVEPENALTY SAVESPEC SAVETOTALAREAS SAVESOLUTIONSMATRIX SOLUTIONSMATRIXHEADERS
SAVEANNEALINGTRACE ANNEALINGTRACEROWS SAVEITIMPTRACE ITIMPTRACEROWS SAVECLUMP SAVEPUVSPR SAVESPECIESDATA
RUNMODE MISSLEVEL ITIMPTYPE HEURTYPE CLUMPTYPE VERBOSITY PROBABILITYWEIGHTING ASYMMETRICCONNECTIVITY
CONNECTIVITYIN PUVSPR PUVSPRORDER COSTSNAME ZONESNAME ZONECOSTNAME ZONEBOUNDCOSTNAME ZONECONTRIBNAME
ZONECONTRIB2NAME ZONECONTRIB3NAME ZONETARGETNAME ZONETARGET2NAME PULOCKNAME PUZONENAME RELCONNECTIONCOSTNAME
AVAILABLEZONE NUMZONES OPTIMISATION BLOCKDEF MPMTHRESH PROBMODE PROBABILITY SAVEZONECONNECTIVITYSUM
""".split())


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(message(str(path), "a readable Marxan file", type(e).__name__,
                                 "check the path and INPUTDIR in input.dat")) from e
    text = raw.decode("utf-8-sig", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_input_dat(path) -> dict:
    """Parameters of a Marxan ``input.dat`` (upper-case keys; numbers converted; Marxan defaults).

    An upper-case keyword Marxan does not know (e.g. a misspelt ``NUMITSN``) is ignored, as Marxan
    does, but with a :class:`~restoreplan.core.errors.PlausibilityWarning` ("did you mean");
    a known numeric keyword with a value that is not a number raises :class:`DataError`.
    """
    path = Path(path)
    params: dict = {}
    for lineno, line in enumerate(_text(path).split("\n"), start=1):
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z][A-Za-z0-9_]*)[\s,;=]+(.*?)\s*$", line)
        if not m:
            continue
        raw_key = m.group(1)
        key, val = raw_key.upper(), m.group(2).strip().strip('"')
        if raw_key.isupper() and len(raw_key) > 2 and key not in KNOWN_KEYS:
            hint = did_you_mean(key, KNOWN_KEYS)
            implausible(f"{path.name} line {lineno}", "a Marxan keyword", f"unknown keyword {raw_key!r} (ignored)",
                        (hint + " " if hint else "") + "fix the spelling, or delete the line")
            continue
        if key in _NUMERIC:
            try:
                num = float(val.replace(",", "."))
            except ValueError:
                if raw_key.isupper() and len(val.split()) <= 1:
                    raise DataError(message(f"{path.name} line {lineno}: {raw_key}", "a number", repr(val),
                                            f"write a number after {raw_key}, e.g. `{raw_key} {_DEFAULTS.get(key, 1)}`"))
                continue   # a prose line that starts with a parameter-like word
            params[key] = int(num) if _NUMERIC[key] is int else num
        elif key.isupper() and (" " not in val or key.endswith(("NAME", "DIR"))):
            params[key] = val
    out = dict(_DEFAULTS)
    out.update(params)
    return out


def read_table(path, *, required=(), name=None) -> pd.DataFrame:
    """Read a Marxan data file (header required; delimiter guessed from the header line)."""
    path = Path(path)
    text = _text(path)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        raise DataError(message(name or path.name, "a header line and data rows", "an empty file",
                                "write the Marxan header, e.g. `id,cost,status`"))
    head = lines[0]
    tabs, commas, semis = head.count("\t"), head.count(","), head.count(";")
    if semis > tabs and semis > commas:
        sep = ";"
    elif tabs > commas:
        sep = "\t"
    elif commas:
        sep = ","
    else:
        sep = r"\s+"
    df = pd.read_csv(io.StringIO("\n".join(lines)), sep=sep, engine="python" if sep == r"\s+" else "c")
    df.columns = [str(c).strip().strip('"').lower() for c in df.columns]
    try:
        float(df.columns[0])
        raise DataError(message(name or path.name, "a header line (e.g. `id,cost,status`)",
                                f"a numeric first line {head!r}", "add the header line Marxan expects"))
    except ValueError:
        pass
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(message(name or path.name, f"columns {list(required)}", f"columns {list(df.columns)}",
                                f"add the missing column(s) {missing}"))
    return df


def _num(df: pd.DataFrame, col: str, fname: str, default=None) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), default, dtype=np.float64)
    v = pd.to_numeric(df[col], errors="coerce")
    bad = v.isna()
    if bad.any():
        raw = df[col].astype(str).str.strip()
        empty = df[col].isna() | (raw == "") | (raw.str.lower() == "nan")
        if default is None or (bad & ~empty).any():
            raise DataError(message(f"{fname}:{col}", "numbers", f"non-numeric values in rows "
                                    f"{(np.flatnonzero((bad if default is None else bad & ~empty).to_numpy())[:5] + 2).tolist()}",
                                    "fix or remove those rows"))
        v = v.fillna(default)
    return v.to_numpy(dtype=np.float64)


@dataclass(frozen=True, eq=False)
class MarxanProject:
    """A Marxan scenario: the :class:`Problem` plus the run parameters of ``input.dat``."""

    problem: Problem
    params: dict = field(default_factory=dict)
    path: Path | None = None
    prop: np.ndarray | None = None

    @property
    def output_dir(self) -> Path:
        """``OUTPUTDIR`` relative to the folder of input.dat."""
        base = self.path.parent if self.path else Path(".")
        return base / str(self.params.get("OUTPUTDIR", "output"))


def _locate(base: Path, inputdir: str, fname: str) -> Path:
    for cand in (base / inputdir / fname, base / fname, Path(inputdir) / fname):
        if cand.exists():
            return cand
    raise InputError(message(fname, f"a file in {base / inputdir}", "no such file",
                             "check INPUTDIR and the *NAME entries in input.dat"))


def problem_from_tables(pu: pd.DataFrame, spec: pd.DataFrame, puvspr: pd.DataFrame,
                        bound: pd.DataFrame | None = None):
    """Build a :class:`Problem` (Marxan objective, BLM 0) from Marxan tables; returns ``(problem, prop)``.

    ``pu``: id, cost, status; ``spec``: id, prop/target, targetocc, spf, name; ``puvspr``: species, pu,
    amount; ``bound``: id1, id2, boundary (see the module docstring for the rules).
    """
    pu, spec, sv = (_lower(t) for t in (pu, spec, puvspr))
    for df, nm, req in ((pu, "pu", ("id",)), (spec, "spec", ("id",)), (sv, "puvspr", ("species", "pu", "amount"))):
        miss = [c for c in req if c not in df.columns]
        if miss:
            raise DataError(message(nm, f"columns {list(req)}", f"columns {list(df.columns)}",
                                    f"add the missing column(s) {miss}"))
    ids = _num(pu, "id", "pu.dat").astype(np.int64)
    cost = _num(pu, "cost", "pu.dat", 1.0)
    status = _num(pu, "status", "pu.dat", 0.0).astype(np.int64)
    if (cost < 0).any():
        neg = ids[cost < 0]
        implausible("pu.dat:cost", "costs ≥ 0", f"{int((cost < 0).sum())} negative cost(s), e.g. units {neg[:5].tolist()}",
                    "fix the costs; a negative cost makes selecting the unit a gain, so it is always selected")
    if (~np.isfinite(cost)).any():
        raise DataError(message("pu.dat:cost", "finite numbers", "inf or NaN costs", "fix those rows"))
    bad = ~np.isin(status, (0, 1, 2, 3))
    if bad.any():
        raise DataError(message("pu.dat:status", "0, 1, 2 or 3", f"{np.unique(status[bad])[:5].tolist()}",
                                "use 0 free, 1 initial, 2 locked in, 3 locked out"))
    p = Problem(ids, cost, status=status)

    fid = _num(spec, "id", "spec.dat").astype(np.int64)
    if np.unique(fid).size != fid.size:
        raise DataError(message("spec.dat:id", "unique feature ids", "duplicates", "remove repeated rows"))
    names = spec["name"].astype(str).tolist() if "name" in spec.columns else [str(v) for v in fid]
    s_id = _num(sv, "species", "puvspr.dat").astype(np.int64)
    u_id = _num(sv, "pu", "puvspr.dat").astype(np.int64)
    amt = _num(sv, "amount", "puvspr.dat")
    f_order = np.argsort(fid)
    fpos = np.searchsorted(fid[f_order], s_id)
    fpos = np.clip(fpos, 0, max(fid.size - 1, 0))
    ok_f = fid[f_order][fpos] == s_id if fid.size else np.zeros(s_id.size, bool)
    upos = np.searchsorted(p._sorted_ids, u_id)
    upos = np.clip(upos, 0, p.n_units - 1)
    ok_u = p._sorted_ids[upos] == u_id
    if (~ok_u).any():
        implausible("puvspr.dat:pu", "planning-unit ids listed in pu.dat",
                    f"{int((~ok_u).sum())} row(s) naming other units, e.g. {np.unique(u_id[~ok_u])[:5].tolist()} "
                    "(ignored)", "fix the ids or add the units to pu.dat")
    if (~ok_f).any():
        implausible("puvspr.dat:species", "feature ids listed in spec.dat",
                    f"{int((~ok_f).sum())} row(s) naming other features, e.g. {np.unique(s_id[~ok_f])[:5].tolist()} "
                    "(ignored)", "fix the ids or add the features to spec.dat")
    if (amt < 0).any() or (~np.isfinite(amt)).any():
        bad_rows = (np.flatnonzero((amt < 0) | ~np.isfinite(amt))[:5] + 2).tolist()
        raise DataError(message("puvspr.dat:amount", "finite amounts ≥ 0", f"negative or non-finite amounts in rows {bad_rows}",
                                "fix those rows (an amount is how much of the feature the unit holds)"))
    keep = ok_f & ok_u
    A = sp.csr_matrix((amt[keep], (f_order[fpos[keep]], p._sorted_pos[upos[keep]])), shape=(fid.size, p.n_units))
    p = p.add_features(A, ids=fid, names=names)

    total = np.asarray(A.sum(axis=1)).ravel()
    prop = _num(spec, "prop", "spec.dat", 0.0)
    target = np.maximum(_num(spec, "target", "spec.dat", 0.0), 0.0)
    t = np.where(prop > 0, prop * total, target)
    if (prop > 1).any():
        implausible("spec.dat:prop", "proportions in [0, 1]", f"prop up to {float(prop.max()):g}",
                    "give prop as a fraction (0.3 = 30 %)")
    avail = np.asarray(A[:, status != 3].sum(axis=1)).ravel() if A.shape[1] else np.zeros(fid.size)
    short = t > avail * (1 + 1e-9) + 1e-12
    if short.any():
        j = np.flatnonzero(short)
        implausible("spec.dat:target", "targets the planning units can reach (≤ the total amount, locked-out units "
                    "excluded)", f"{int(short.sum())} unreachable target(s), e.g. feature {int(fid[j[0]])} needs "
                    f"{float(t[j[0]]):g} but only {float(avail[j[0]]):g} exists",
                    "lower those targets (or use prop); no selection can meet them")
    p = p.absolute_targets(t)
    p = p.occurrence_targets(np.maximum(_num(spec, "targetocc", "spec.dat", 0.0), 0.0))
    spf = _num(spec, "spf", "spec.dat", 1.0)
    p = p.feature_penalty_factors(np.where(spf < 0, 1.0, spf))
    for col, what in (("sepnum", "separation targets (sepnum)"), ("target2", "minimum clump sizes (target2)")):
        if col in spec.columns and (_num(spec, col, "spec.dat", 0.0) > 0).any():
            warnings.warn(f"spec.dat: {what} are not modelled; they are ignored (Score = cost + BLM·boundary + "
                          "penalty of the plain targets)", RestorePlanWarning, stacklevel=2)

    if bound is not None:
        bd = _lower(bound)
        i1 = _num(bd, "id1", "bound.dat").astype(np.int64)
        i2 = _num(bd, "id2", "bound.dat").astype(np.int64)
        bl = _num(bd, "boundary", "bound.dat")
        known = np.isin(i1, ids) & np.isin(i2, ids)
        if (~known).any():
            warnings.warn(f"bound.dat: {int((~known).sum())} rows name unknown planning units; ignored",
                          RestorePlanWarning, stacklevel=2)
        p = p.add_boundary(i1[known], i2[known], bl[known])
    return p, prop


def _lower(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip().strip('"').lower() for c in df.columns]
    return df


def read_marxan(path) -> MarxanProject:
    """Read a Marxan ``input.dat`` and its data files into a :class:`MarxanProject`.

    Raises :class:`InputError` for missing files and :class:`DataError` for malformed tables.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(message("INPUT.dat", "an existing Marxan input.dat", f"{path} (not found)",
                                 "pass the path of the scenario's input.dat"))
    prm = read_input_dat(path)
    base, idir = path.parent, str(prm["INPUTDIR"])
    pu = read_table(_locate(base, idir, prm["PUNAME"]), required=("id",), name="pu.dat")
    spec = read_table(_locate(base, idir, prm["SPECNAME"]), required=("id",), name="spec.dat")
    sv = read_table(_locate(base, idir, prm["PUVSPRNAME"]), required=("species", "pu", "amount"),
                    name="puvspr.dat")
    bd = None
    bname = prm.get("BOUNDNAME")
    if bname:
        try:
            bd = read_table(_locate(base, idir, bname), required=("id1", "id2", "boundary"), name="bound.dat")
        except InputError:
            implausible("BOUNDNAME", f"a boundary file {bname} in {base / idir}", "no such file (running without "
                        "boundaries, so BLM has no effect)", "fix BOUNDNAME or INPUTDIR, or delete the BOUNDNAME line")
    p, prop = problem_from_tables(pu, spec, sv, bd)
    fid = p.feature_ids
    pname = prm.get("PENALTYNAME")
    if pname:
        try:
            pen = read_table(_locate(base, idir, pname), required=("id", "penalty"), name="penalty file")
            pen_map = dict(zip(_num(pen, "id", "penalty").astype(np.int64), _num(pen, "penalty", "penalty")))
            p = p.feature_penalties([pen_map.get(int(f), 0.0) for f in fid])
        except InputError:
            warnings.warn(f"PENALTYNAME {pname} not found; computing feature penalties", RestorePlanWarning,
                          stacklevel=2)
    if float(prm.get("COSTTHRESH", 0)) > 0:
        warnings.warn("COSTTHRESH > 0: the cost threshold is not part of Marxan's Score and is ignored here",
                      RestorePlanWarning, stacklevel=2)
    p = p.boundary_penalty(float(prm["BLM"])).missing_level(float(prm["MISSLEVEL"])).marxan_objective()
    return MarxanProject(problem=p, params=prm, path=path, prop=prop)


def write_outputs(project_or_problem, solution, out_dir, *, scenario: str = "output") -> dict[str, Path]:
    """Write Marxan's output files for ``solution`` (a :class:`Solution` with its runs) into ``out_dir``."""
    from ..io.atomic import atomic_path
    from .evaluate import evaluate

    problem = getattr(project_or_problem, "problem", project_or_problem)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = list(solution.runs) if getattr(solution, "runs", None) else [solution.x]
    written = {}

    def _write(df: pd.DataFrame, stem: str):
        target = out / f"{scenario}_{stem}.csv"
        with atomic_path(target) as tmp:
            df.to_csv(tmp, index=False, float_format="%.10g")
        written[stem] = target

    _write(pd.DataFrame({"PUID": problem.ids, "SOLUTION": np.asarray(solution.x, dtype=np.int64)}), "best")
    rows = []
    for k, xr in enumerate(runs, start=1):
        row = {"Run_Number": k}
        row.update(evaluate(problem, xr).as_row())
        rows.append(row)
    _write(pd.DataFrame(rows), "sum")
    freq = np.sum([np.asarray(r, dtype=np.int64) for r in runs], axis=0)
    _write(pd.DataFrame({"planning_unit": problem.ids, "number": freq}), "ssoln")
    ev = evaluate(problem, solution.x)
    T = np.asarray(problem.targets)
    with np.errstate(divide="ignore", invalid="ignore"):
        mpm = np.where(T > 0, np.minimum(ev.held / np.where(T > 0, T, 1), 1.0), 1.0)
    _write(pd.DataFrame({
        "Conservation Feature": problem.feature_ids, "Feature Name": list(problem.feature_names),
        "Target": T, "Amount Held": ev.held, "Occurrence Target": np.asarray(problem.occ_targets),
        "Occurrences Held": ev.occurrences.astype(np.int64), "Separation Target": 0, "Separation Achieved": 0,
        "Target Met": np.where(ev.target_met, "yes", "no"), "MPM": mpm}), "mvbest")
    return written
