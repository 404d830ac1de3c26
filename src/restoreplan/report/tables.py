"""Tables of ``report.html``: no pandas index, readable cells, one number format per column, units.

* A meaningful index (named, or not a plain 0..n−1 range) becomes ordinary columns; a plain range
  index is dropped. MultiIndex columns are joined with " · ".
* Dicts and lists in cells are written out (``a: 1; b: 2``), never as Python reprs.
* Each numeric column has one format chosen from its typical (median non-zero) magnitude:
  thousands separators and no decimals from 1 000 up; below, the decimals that give that magnitude
  three significant digits; scientific notation under 0.001. Missing values show as "–".
* Column names keep their CSV spelling; a units suffix (``_km2``, ``_pct``, ``_m`` …) is shown as
  "(km²)" etc. beside it. Tables scroll horizontally inside their box.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd

__all__ = ["table_html", "pretty_units"]

_SUFFIX_UNITS = {"km2": "km²", "hm2": "hm²", "m2": "m²", "ha": "ha", "pct": "%", "percent": "%", "m": "m",
                 "km": "km", "s": "s", "seconds": "s", "yuan": "yuan", "usd": "US$", "t": "t", "mm": "mm"}


def pretty_units(u: str) -> str:
    """``km2`` → ``km²``, ``m2`` → ``m²`` … inside a units string."""
    u = re.sub(r"\b(k?m|hm)2\b", lambda m: m.group(1) + "²", str(u))
    return u.replace("1/km²", "km⁻²")


def _header(col) -> str:
    name = " · ".join(str(c) for c in col if str(c) != "") if isinstance(col, tuple) else str(col)
    m = re.search(r"_([A-Za-z0-9]+)$", name)
    if m and m.group(1).lower() in _SUFFIX_UNITS:
        return (f"{html.escape(name)} <span class='u'>({html.escape(_SUFFIX_UNITS[m.group(1).lower()])})</span>")
    return html.escape(name)


def _cell_text(v) -> str:
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_cell_text(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple, set, np.ndarray)):
        return ", ".join(_cell_text(x) for x in v)
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, float) and math.isnan(v):
        return "–"
    if v is None or v is pd.NaT:
        return "–"
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)


def _float_formatter(values: np.ndarray):
    fin = values[np.isfinite(values)]
    nz = np.abs(fin[fin != 0])
    if fin.size and np.all(fin == np.round(fin)) and (nz.size == 0 or nz.max() < 1e15):
        return lambda v: f"{v:,.0f}"
    if nz.size == 0:
        return lambda v: "0"
    m = float(np.median(nz))          # the column's typical magnitude sets its decimals
    if m >= 1000:
        return lambda v: f"{v:,.0f}"
    if m < 1e-3:
        return lambda v: f"{v:.3e}"
    d = min(4, max(0, 2 - int(math.floor(math.log10(m)))))
    return lambda v: f"{v:,.{d}f}"


def _column_cells(s: pd.Series) -> tuple[list[str], bool]:
    if pd.api.types.is_bool_dtype(s):
        return ["yes" if v else "no" for v in s], False
    if pd.api.types.is_integer_dtype(s):
        return [f"{int(v):,}" for v in s], True
    if pd.api.types.is_float_dtype(s):
        vals = s.to_numpy(dtype=np.float64)
        f = _float_formatter(vals)

        def one(v: float) -> str:
            if np.isnan(v):
                return "–"
            if np.isinf(v):
                return "∞" if v > 0 else "−∞"
            return f(v)

        return [one(v) for v in vals], True
    return [_cell_text(v) for v in s], False


def _flatten(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    plain_index = isinstance(df.index, pd.RangeIndex) and df.index.name is None and df.index.start == 0 \
        and df.index.step == 1
    if not plain_index:
        names = [n if n is not None else "" for n in df.index.names]
        if len(names) == 1 and names[0] == "" and "" in map(str, df.columns):
            names = ["row"]
        df.index = df.index.set_names([n if n != "" else ("row" if len(names) == 1 else f"level {i}")
                                       for i, n in enumerate(names)])
        df = df.reset_index()
    return df


def _readable(label):
    """A service or scenario code spelled out ("ER" → "ER — ecological restoration"); other labels unchanged."""
    from ..pipeline.glossary import spell_out

    text = spell_out(label)
    return label if text == str(label) else text


def _spelled_out(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with service/scenario codes in its index and header spelled out (unchanged, index type
    included, when there are none)."""
    if any(_readable(c) is not c for c in df.columns):
        df = df.rename(columns=_readable)
    labels = df.index.get_level_values(0) if isinstance(df.index, pd.MultiIndex) else df.index
    if not isinstance(df.index, pd.RangeIndex) and any(_readable(c) is not c for c in labels):
        df = df.rename(index=_readable)
    return df


def table_html(df: pd.DataFrame | pd.Series, *, max_rows: int = 25, units: str | None = None,
               csv: str | None = None, caption: str | None = None) -> str:
    """HTML of a table (see the module docstring); rows past ``max_rows`` are left to the CSV ``csv``."""
    if isinstance(df, pd.Series):
        df = df.to_frame(name=df.name if df.name is not None else "value")
    df = _flatten(_spelled_out(df))
    shown = df.head(max_rows)
    cols, numeric = [], []
    for j in range(shown.shape[1]):
        cells, num = _column_cells(shown.iloc[:, j])
        cols.append(cells)
        numeric.append(num)
    head = "".join(f"<th{' class=num' if n else ''}>{_header(c)}</th>" for c, n in zip(df.columns, numeric))
    rows = []
    for i in range(len(shown)):
        rows.append("<tr>" + "".join(f"<td{' class=num' if numeric[j] else ''}>{html.escape(cols[j][i])}</td>"
                                     for j in range(len(cols))) + "</tr>")
    bits = []
    if caption:
        bits.append(f"<div class='tcap'>{html.escape(caption)}</div>")
    if units:
        bits.append(f"<div class='meta'>units: {html.escape(pretty_units(units))}</div>")
    more = ""
    if len(df) > max_rows:
        where = f" in <code>{html.escape(csv)}</code>" if csv else " in the CSV output"
        more = f"<p class='meta'>{len(df) - max_rows} more row(s){where}.</p>"
    return ("".join(bits) + f"<div class='tbl'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            f"</tbody></table></div>{more}")
