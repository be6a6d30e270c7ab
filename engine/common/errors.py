"""User errors: a bad file, field or option. The CLI prints them on one line and exits 2."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

MAX_SHOWN = 80  # characters of a user's value echoed in a message
# characters of a whole message: with the CLI's "ennuste: error: " a line stays under 500. Room for a
# path, a field and the full list of what is allowed (a shock's 15 keys); echoed values are capped apart.
MAX_MESSAGE = 480

_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` on one line and at most ``limit`` characters (an ellipsis marks a cut)."""
    text = _BREAKS.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any, limit: int = MAX_SHOWN) -> str:
    """A user's value as echoed in a message: its repr, on one line, at most ``limit`` characters.

    >>> show("x" * 200)[-4:], len(show("x" * 200))
    ('xxx…', 80)
    """
    if isinstance(value, (list, dict)) and len(value) > 50:  # never build the repr of a huge value
        value = type(value)(list(value.items())[:50]) if isinstance(value, dict) else value[:50]
    try:
        text = repr(value)
    except RecursionError:
        text = f"<a deeply nested {type(value).__name__}>"
    return clip(text, limit)


class UserError(Exception):
    """A mistake in user input, reported as ``file: field: problem`` without a traceback, on one line."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = None if file is None else clip(file, 120)
        self.field = None if field is None else clip(field, 100)
        self.problem = clip(message, MAX_MESSAGE)
        parts = [p for p in (self.file, f"field '{self.field}'" if self.field else None, self.problem) if p]
        super().__init__(clip(": ".join(parts), MAX_MESSAGE))


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(word[:200], list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def allowed(candidates: Iterable[str], limit: int = 12) -> str:
    names = sorted(candidates)
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")
