"""Our own words for pydantic validation errors (no "extra inputs are not permitted" in messages).

:func:`validation_problems` turns a :class:`pydantic.ValidationError` into four-part messages
(:func:`restoreplan.core.errors.message`): the dotted location, what was expected, what was
found, and the fix (with "did you mean" for misspelt keys).
"""

from __future__ import annotations

import types
import typing
from typing import Any

from .errors import did_you_mean, message, plain

__all__ = ["validation_problems", "show_value", "fields_at"]


def show_value(v: Any, limit: int = 60) -> str:
    """A value as a user typed it: strings quoted, numbers plain, tables and lists summarized."""
    if isinstance(v, dict):
        return "a table" if not v else f"a table with keys {sorted(map(str, v))[:6]}"
    if isinstance(v, (list, tuple)):
        return f"a list of {len(v)} item(s)"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        s = repr(v)
    else:
        s = plain(repr(v))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _unwrap(tp):
    """Strip Optional/Annotated/Union-with-None down to the main annotation."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else tp
    return tp


def fields_at(model, loc) -> list[str] | None:
    """Field names of the (nested) pydantic model at ``loc`` (skipping dict keys / list indices)."""
    tp = model
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and hasattr(tp, "model_fields"):
            f = tp.model_fields.get(str(part))
            if f is None:
                return None
            tp = f.annotation
            continue
        origin = typing.get_origin(tp)
        if origin in (dict, typing.Dict):
            tp = typing.get_args(tp)[1]
        elif origin in (list, tuple, typing.List):
            tp = typing.get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and hasattr(tp, "model_fields"):
        return list(tp.model_fields)
    return None


def _expected(err: dict) -> str:
    t, ctx = err.get("type", ""), err.get("ctx") or {}
    if t.startswith("int_") or t == "int_from_float":
        return "a whole number"
    if t.startswith("float_") or t in ("finite_number",):
        return "a number"
    if t.startswith("bool_"):
        return "true or false"
    if t.startswith("string_") or t == "str_type":
        return "text in quotes"
    if t == "literal_error":
        return "one of " + str(ctx.get("expected", "the listed values")).replace("'", "\"")
    if t == "greater_than":
        return f"a number > {plain(repr(ctx.get('gt')))}"
    if t == "greater_than_equal":
        return f"a number ≥ {plain(repr(ctx.get('ge')))}"
    if t == "less_than":
        return f"a number < {plain(repr(ctx.get('lt')))}"
    if t == "less_than_equal":
        return f"a number ≤ {plain(repr(ctx.get('le')))}"
    if t in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "a table ([section] or { key = value })"
    if t in ("list_type", "tuple_type", "set_type"):
        return "a list [ … ]"
    if t == "too_short":
        return f"at least {ctx.get('min_length')} item(s)"
    if t == "too_long":
        return f"at most {ctx.get('max_length')} item(s)"
    if t in ("value_error", "assertion_error"):
        e = ctx.get("error")
        return plain(str(e)) if e is not None else "a valid value"
    if t == "enum":
        return "one of " + str(ctx.get("expected", "the listed values"))
    if t == "none_required":
        return "nothing"
    msg = str(err.get("msg", "a valid value"))
    return plain(msg[0].lower() + msg[1:] if msg else "a valid value")


def validation_problems(exc, *, prefix: str = "", fix: str = "", model=None, source: str = "") -> list[str]:
    """Four-part messages, one per error of a pydantic ``ValidationError``.

    ``prefix`` is prepended to each location (e.g. ``"steps[0] (carbon).params"``); ``fix`` is the
    generic fix (e.g. ``"see `restoreplan describe carbon`"``); ``model`` (the validated pydantic
    model class) lets unknown keys get a "did you mean" from the known field names.
    """
    out = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        where = ".".join([prefix] * bool(prefix) + [str(x) if not isinstance(x, int) else f"[{x}]" for x in loc])
        where = where.replace(".[", "[") or (source or "input")
        t = err.get("type", "")
        inp = err.get("input")
        in_src = f" in {source}" if source else ""
        if t == "extra_forbidden":
            key = str(loc[-1]) if loc else "?"
            known = fields_at(model, loc[:-1]) if model is not None else None
            hint = did_you_mean(key, known or [])
            exp = f"one of the keys {known}" if known else "a known key"
            out.append(message(where, exp, f"unknown key `{key}`",
                               (hint + " " if hint else "") + f"remove or rename `{key}`{in_src}"))
        elif t == "missing":
            out.append(message(where, "this required entry", "nothing",
                               f"add `{loc[-1] if loc else where}`{in_src}" + (f"; {fix}" if fix else "")))
        else:
            out.append(message(where, _expected(err), show_value(inp),
                               fix or f"correct `{where}`{in_src}"))
    return out
