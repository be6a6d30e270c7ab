"""The sidebar's controls in the URL and on the page: the share link's query parameters (untrusted,
checked against the controls' domains) and the scenario files offered as bases.

The controls themselves — :class:`Controls`, their defaults read from a scenario document, the mapping
onto the document and each control's domain — are the engine's (``engine.controls``,
engine/load/controls.py; its docstring has the table of what each control changes), shared with the goal
seek. Their domains depend on the reporting period: every function here that checks a value takes the
period's :class:`engine.controls.ControlSpace`.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import engine

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_DIR = ROOT / "scenarios"

# the engine's mapping, by the names the page and its tests use
ControlSpace, Controls, Domain = engine.controls.ControlSpace, engine.controls.Controls, engine.controls.Domain
CONTROL_NAMES, SCENARIO_CONTROLS = engine.controls.CONTROL_NAMES, engine.controls.SCENARIO_CONTROLS
defaults, apply, build = engine.controls.defaults, engine.controls.apply, engine.controls.build
changed = engine.controls.changed
shocks_of, month_diff = engine.controls.shocks_of, engine.controls.month_diff


def scenario_files(folder: Path = SCENARIO_DIR) -> dict[str, Path]:
    """Scenario files by stem (``baseline`` first, then alphabetical)."""
    files = {p.stem: p for p in sorted(folder.glob("*.toml"))}
    if "baseline" in files:
        files = {"baseline": files.pop("baseline"), **files}
    return files


# ------------------------------------------------------------------------------------------ URL
def to_query(c: Controls, lang: str = "fi", year: int | None = None) -> dict[str, str]:
    """All settings as query parameters (strings)."""
    q = {k: (f"{v:g}" if isinstance(v, float) else str(v)) for k, v in c.as_dict().items()}
    q["lang"] = lang
    if year is not None:
        q["year"] = str(year)
    return q


_INT = re.compile(r"^[+-]?[0-9]+$")  # ASCII digits only: int() would also take '1_000' and other scripts' digits
_FLOAT = re.compile(r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$")
ECHO_CHARS = 40  # a URL value is echoed at most this long: a link can carry anything, of any length


def echo(text: str) -> str:
    """A URL value as the messages quote it: repr, cut to :data:`ECHO_CHARS` characters with an ellipsis.

    >>> echo("x" * 100) == repr("x" * 39 + "…")
    True
    """
    return repr(text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…")


def _allowed(dom: Domain) -> str:
    if dom.kind == "int":
        return f"{int(dom.lo)}…{int(dom.hi)}"
    if dom.kind == "float":
        return f"{dom.lo:g}…{dom.hi:g}"
    if all(re.fullmatch(r"[0-9]{4}-[0-9]{2}", o) for o in dom.options):  # months: a range, not 72 names
        return f"a month YYYY-MM within {min(dom.options)}…{max(dom.options)}"
    return ", ".join(dom.options)


def _parse(name: str, text: str, d: Controls, space: ControlSpace) -> Any:
    """One URL value of control ``name``, checked against the control's domain (widened to the file's value)."""
    dom = space.domain(name, d)
    text = text.strip()
    if dom.kind == "int":
        if not _INT.match(text):
            raise engine.UserError(f"value {echo(text)} is not a whole number; allowed: {_allowed(dom)}",
                                   file="URL", field=name)
        v = int(text) if len(text) <= 30 else math.inf  # a huge number is out of range, whatever its digits
    elif dom.kind == "float":
        if not _FLOAT.match(text):
            raise engine.UserError(f"value {echo(text)} is not a number; allowed: {_allowed(dom)}",
                                   file="URL", field=name)
        v = float(text)
        if not math.isfinite(v):
            raise engine.UserError(f"value {echo(text)} is not a finite number", file="URL", field=name)
    else:
        v = text
    if not dom.contains(v):
        raise engine.UserError(f"value {echo(text)} is outside the app's range; allowed: {_allowed(dom)}",
                               file="URL", field=name)
    return v


def check_domain(c: Controls, d: Controls, space: ControlSpace) -> None:
    """Raise :class:`engine.UserError` (file "URL") for a value outside its control's range."""
    for name in CONTROL_NAMES:
        if name == "base":
            continue
        v, dom = getattr(c, name), space.domain(name, d)
        if not dom.contains(v):
            raise engine.UserError(f"value {echo(str(v))} is outside the app's range; allowed: {_allowed(dom)}",
                                   file="URL", field=name)


def view_from_query(query: Mapping[str, Any], years: tuple[int, ...]) -> tuple[str, int, list[str]]:
    """The language and year of the view from the URL (``lang`` fi|en, ``year`` one of ``years``), with problems."""
    q = {k: (v[-1] if isinstance(v, list) and v else v) for k, v in query.items()}
    errors, lang, year = [], "fi", years[0]
    if "lang" in q:
        if q["lang"] in ("fi", "en"):
            lang = q["lang"]
        else:
            errors.append(str(engine.UserError(f"value {echo(str(q['lang']))} is not a language; allowed: fi, en",
                                               file="URL", field="lang")))
    if "year" in q:
        text = str(q["year"]).strip()
        if _INT.match(text) and int(text) in years:
            year = int(text)
        else:
            errors.append(str(engine.UserError(
                f"value {echo(text)} is not a forecast year; allowed: {years[0]}…{years[-1]}", file="URL", field="year")))
    return lang, year, errors


def from_query(query: Mapping[str, Any], bases: Mapping[str, Path], load_doc, defaults_for,
               space: ControlSpace) -> tuple[Controls, list[str]]:
    """Controls from the URL's query parameters (untrusted), and the problems found, one line each.

    ``load_doc(base) -> doc`` and ``defaults_for(base, doc) -> Controls`` give the base file's document and
    defaults. Values that do not parse are dropped (their default is used) with a message; the rest is
    validated as a scenario by :func:`engine.scenario_from_dict` (``label="URL"``) and against the
    controls' ranges; if that fails, the base file's defaults are used with the message.
    """
    q = {k: (v[-1] if isinstance(v, list) and v else v) for k, v in query.items()}
    errors: list[str] = []
    base = str(q.get("base", "baseline"))
    if base not in bases:
        errors.append(str(engine.UserError(f"value {echo(base)} is not a scenario file; allowed: {', '.join(bases)}",
                                           file="URL", field="base")))
        base = "baseline" if "baseline" in bases else next(iter(bases))
    doc = load_doc(base)
    d = defaults_for(base, doc)
    values: dict[str, Any] = {}
    for name in CONTROL_NAMES:
        if name == "base" or name not in q:
            continue
        try:
            values[name] = _parse(name, str(q[name]), d, space)
        except engine.UserError as exc:
            errors.append(str(exc))
    c = replace(d, **values)
    try:
        build(doc, c, d, space, label="URL")
        check_domain(c, d, space)
    except engine.UserError as exc:
        errors.append(str(exc))
        c = d
    return c, errors
