"""Turning pydantic's errors into one line that names the field, the value and what is allowed."""
from __future__ import annotations

from pydantic import ValidationError

from .errors import did_you_mean


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc if not (isinstance(p, str) and (p.startswith("function-") or p in ("tagged-union",))))


def first_error(exc: ValidationError, known_fields: dict[str, list[str]] | None = None) -> tuple[str, str]:
    """(dotted field, message) of the most useful error in ``exc``."""
    errors = exc.errors(include_url=False)
    # an unknown key is the likeliest typo: report it first
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    e = errors[0]
    loc = tuple(e["loc"])
    # a union of alternatives reports one error per alternative; keep the path of the first
    field = _loc(loc)
    value = e.get("input")
    typ = e["type"]
    if typ == "extra_forbidden":
        key = str(loc[-1])
        siblings = (known_fields or {}).get(_loc(loc[:-1]), [])
        hint = did_you_mean(key, siblings)
        allowed = f"; allowed: {', '.join(siblings)}" if siblings else ""
        return field, f"unknown key '{key}'{hint}{allowed}"
    if typ == "missing":
        return field, "is required but missing"
    msg = e["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return field, f"value {shown}: {msg}"
