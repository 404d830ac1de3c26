"""Caveats: generic checks on what a section shows, written as a warning box in that section.

Class maps (on the thumbnail sample, i.e. every k-th cell; exact when k = 1):

* a class of the legend with no cell ("tier 3 has no cell");
* one class other than 0 holding ≥ 99.5 % of the valid cells, or of the cells with a class other
  than 0 ("every graded cell is low");
* a priority class (a raster in units of ``tier`` or ``grade``; code 0 aside) whose cells are ≥ 99 %
  one land-use class of the study's land-use map ("tier 1: 100 % construction land").

Any raster: ``*converged`` attributes that are 0 (``"ER:0"`` per scenario) → not converged.
Warnings recorded for the step (manifest) whose category mentions convergence are repeated.
"""

from __future__ import annotations

import numpy as np

from ..core.legend import Legend

__all__ = ["class_caveats", "convergence_caveats"]

_ONE_CLASS = 0.995
_ONE_LANDUSE = 0.99
_MIN_CELLS = 20
_RANKED = ("tier", "grade")     # priority classes: one land-use class filling one is a caveat


def class_caveats(output: str, values: np.ndarray, valid: np.ndarray, legend: Legend | None, step: int,
                  landuse: tuple[np.ndarray, np.ndarray, Legend] | None, *, units: str = "") -> list[str]:
    """Caveats of one class-map panel (see the module docstring)."""
    if legend is None or legend.source == "codes":
        return []
    out = []
    v = values[valid].astype(np.int64)
    sample = "" if step == 1 else f" (regular sample of {v.size:,} cells)"
    if v.size == 0:
        return [f"{output}: no valid cell."]
    codes, counts = np.unique(v, return_counts=True)
    count = dict(zip(codes.tolist(), counts.tolist()))
    labels = legend.as_dict()
    if units != "bits" and legend.source.startswith("class_labels"):
        empty = [c for c in legend.codes if count.get(c, 0) == 0]
        if empty and len(empty) < len(legend.codes):
            names = "; ".join(f"{c} {labels[c]}" for c in empty)
            out.append(f"{output}: class(es) with no cell{sample}: {names}.")
    top = int(codes[np.argmax(counts)])
    if len(legend.codes) > 1 and counts.max() >= _ONE_CLASS * v.size and top != 0:
        out.append(f"{output}: {100 * counts.max() / v.size:.1f} % of the valid cells are in one class, "
                   f"{top} {labels.get(top, '')}{sample}.")
    nonzero = {c: n for c, n in count.items() if c != 0}
    n_nz = sum(nonzero.values())
    if len([c for c in legend.codes if c != 0]) > 1 and n_nz >= _MIN_CELLS:
        c_top = max(nonzero, key=nonzero.get)
        if nonzero[c_top] >= _ONE_CLASS * n_nz:
            out.append(f"{output}: {100 * nonzero[c_top] / n_nz:.1f} % of the cells with a class other than 0 "
                       f"are {c_top} {labels.get(c_top, '')}{sample}.")
    if landuse is not None and units in _RANKED and not legend.source.startswith("class_scheme"):
        lu, lu_valid, lu_legend = landuse
        if lu.shape == values.shape:
            lu_names = lu_legend.as_dict()
            both = valid & lu_valid
            for c in legend.codes:
                if c == 0:
                    continue
                cells = both & (values == c)
                n = int(cells.sum())
                if n < _MIN_CELLS:
                    continue
                lc, lcount = np.unique(lu[cells].astype(np.int64), return_counts=True)
                share = lcount.max() / n
                if share >= _ONE_LANDUSE:
                    dom = int(lc[np.argmax(lcount)])
                    out.append(f"{output}: class {c} ({labels[c]}) is {100 * share:.1f} % "
                               f"{lu_names.get(dom, f'land-use code {dom}')}{sample}.")
    return out


def convergence_caveats(output: str, attrs: dict) -> list[str]:
    """Caveats from ``*converged`` attributes equal to 0 (also ``"name:0,name:1"`` lists)."""
    out = []
    for k, val in attrs.items():
        if "converged" not in str(k):
            continue
        bad = []
        for part in str(val).split(","):
            name, _, flag = part.rpartition(":")
            if flag.strip() in ("0", "False", "false"):
                bad.append(name or output)
        if bad:
            out.append(f"{output}: did not converge ({k}) for {', '.join(bad)}; read its results with care.")
    return out
