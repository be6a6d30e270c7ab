"""Turning pydantic's errors into one line that names the field, the value and what is allowed."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pydantic import ValidationError

from engine.common.distributions import suggest
from engine.common.errors import clip, did_you_mean, show
from engine.common.calendar import YEAR_MONTH_PATTERN

# how pydantic names the alternatives of a union in an error's location
_BRANCHES = {"float", "constrained-float", "int", "constrained-int", "str", "DistSpec", "list", "dict", "bool",
             "list[int]", "Description", "function-after[_valid(), DistSpec]"}
DIST_HINT = 'a number, or a distribution such as {dist = "triangular", low = …, mode = …, high = …}'


def _strip_branches(loc: tuple) -> tuple:
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _BRANCHES or p.startswith("function-")
                                                                  or p.startswith("constrained-"))))


def _clean_loc(loc: tuple, tags: set[str]) -> tuple:
    """Drop union-branch names and a tagged union's tag (``shocks.x.jobs.scale`` → ``shocks.x.scale``)."""
    loc = _strip_branches(loc)
    if len(loc) >= 3 and loc[0] == "shocks" and loc[2] in tags:
        loc = loc[:2] + loc[3:]
    return loc


def _show(value) -> str:
    return show(value, 60)


def _msg(e: dict) -> str:
    msg = clip(e["msg"], 200)
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


_RANGE_ERRORS = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def first_error(exc: ValidationError, allowed_keys: Callable[[tuple], Iterable[str]] | None = None,
                tags: Iterable[str] = (), describe: Callable[[tuple], str | None] | None = None) -> tuple[str, str]:
    """(dotted field, message) of the most useful error in ``exc``.

    ``allowed_keys(loc)`` lists the keys allowed in the table at ``loc`` (for "did you mean");
    ``tags`` are tagged-union tags to drop from locations; ``describe(loc)`` gives a field's
    description (with its unit and range), added to an out-of-range message.
    """
    tags = set(tags)
    errors = exc.errors(include_url=False)
    # an unknown key is the likeliest typo: report it first; then a bad tag; then the rest in order
    rank = {"extra_forbidden": 0, "union_tag_invalid": 1, "union_tag_not_found": 1}
    errors.sort(key=lambda e: rank.get(e["type"], 2))
    e = errors[0]
    loc = _clean_loc(tuple(e["loc"]), tags)
    field = ".".join(str(p) for p in loc)
    typ = e["type"]
    value = e.get("input")

    if typ == "extra_forbidden":
        key = clip(str(loc[-1]), 60)
        siblings = sorted(allowed_keys(_strip_branches(tuple(e["loc"]))[:-1])) if allowed_keys else []
        allowed = f"; allowed: {', '.join(siblings)}" if siblings else ""
        return field, f"unknown key '{key}'{did_you_mean(key, siblings)}{allowed}"
    if typ == "union_tag_invalid":
        ctx = e.get("ctx", {})
        expected = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        tag = ctx.get("tag", "")
        return f"{field}.type", f"value '{tag}' is not a shock type{did_you_mean(str(tag), expected)}; allowed: {', '.join(expected)}"
    if typ == "union_tag_not_found":
        return f"{field}.type", "is required: every shock names its type (jobs, arrivals, activation, pilot, downturn, ledger, services_transfer)"
    if typ == "missing":
        return field, "is required but missing"

    # a number-or-distribution field: report the branch that fits what was written
    same_field = [x for x in errors if _clean_loc(tuple(x["loc"]), tags)[:len(loc)] == loc]
    branches = {p for x in same_field for p in x["loc"] if isinstance(p, str) and (p in _BRANCHES or p.startswith("function-"))}
    if "DistSpec" in branches or any(b.startswith("function-after") for b in branches):
        dist_errors = [x for x in same_field if "DistSpec" in x["loc"] or any(str(p).startswith("function-after") for p in x["loc"])]
        number_errors = [x for x in same_field if x not in dist_errors]
        if isinstance(value, dict) and dist_errors:
            d = dist_errors[0]
            dloc = _clean_loc(tuple(d["loc"]), tags)
            if d["type"] == "literal_error" and dloc[-1] == "dist":
                hint = suggest(str(d.get("input")), value)
                return ".".join(str(p) for p in dloc), (f"unknown distribution {_show(d.get('input'))}{hint}; "
                                                        f"allowed: {d.get('ctx', {}).get('expected', '')}")
            return ".".join(str(p) for p in dloc), f"value {_show(d.get('input'))}: {_msg(d)}"
        if number_errors and isinstance(value, (int, float)) and not isinstance(value, bool):
            return field, f"value {_show(value)}: {_msg(number_errors[0])}{_unit(number_errors[0], describe)}"
        return field, f"value {_show(value)} is not {DIST_HINT}"

    if typ == "string_pattern_mismatch" and e.get("ctx", {}).get("pattern") == YEAR_MONTH_PATTERN:
        return field, f"value {_show(value)} is not a month YYYY-MM"
    if typ == "literal_error":
        expected = str(e.get("ctx", {}).get("expected", ""))
        choices = [c.strip(" '") for c in re.split(r",| or ", expected) if c.strip(" '")]
        return field, f"value {_show(value)} is not allowed{did_you_mean(str(value), choices)}; allowed: {expected}"
    if isinstance(value, dict) and typ == "value_error":  # a whole-table check: the message says what is wrong
        return field, _msg(e)
    return field, f"value {_show(value)}: {_msg(e)}{_unit(e, describe)}"


def _unit(e: dict, describe: Callable[[tuple], str | None] | None) -> str:
    """``; <the field's description>`` for an out-of-range number: it carries the unit and range."""
    if e["type"] not in _RANGE_ERRORS or describe is None:
        return ""
    try:
        text = describe(_strip_branches(tuple(e["loc"])))
    except (KeyError, IndexError, AttributeError, TypeError):
        return ""
    return f" ({text})" if text else ""
