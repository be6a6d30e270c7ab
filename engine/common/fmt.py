"""Numbers as the report prints them: ``−7,7 milj. €``, ``7 848`` (thin-space thousands), ``14,1 %``;
for the app's cards and charts (``ui/fmt.py`` re-exports this module) and the written report.

Finnish mode uses the decimal comma, a narrow no-break space (U+202F, a thin space that does not
break the line) between thousands, and the minus sign U+2212; English mode uses ``7,848`` and
``−7.7 M€``.

Not Babel: its CLDR Finnish locale (Babel 2.x) groups thousands with a no-break space U+00A0, writes
the minus as a hyphen and rounds half to even (``−7,65`` → ``−7,6``), so it does not give the report's
``−7,7 milj. €`` with thin-space thousands; these few lines do.

>>> meur(-7652, "fi") == "\u22127,7\u00a0milj.\u00a0€"
True
>>> meur(1900, "en") == "1.9\u00a0M€"
True
>>> meur(800, "fi", signed=True).replace(NBSP, " ")
'+0,8 milj. €'
>>> persons(7848.4, "fi") == "7\u202f848"
True
>>> persons(-300, "fi", signed=True), persons(0.2, "fi", signed=True)
('−300', '±0')
>>> pct(14.1, "fi").replace(NBSP, " "), pct(14.1, "en")
('14,1 %', '14.1%')
"""
from __future__ import annotations

import math

THIN_SPACE = "\u202f"  # narrow no-break space: the thin space between thousands (fi)
NBSP = "\u00a0"
MINUS = "\u2212"


def _group(text_int: str, sep: str) -> str:
    out = []
    while len(text_int) > 3:
        out.insert(0, text_int[-3:])
        text_int = text_int[:-3]
    out.insert(0, text_int)
    return sep.join(out)


def number(value: float, lang: str = "fi", decimals: int = 0, signed: bool = False) -> str:
    """A number with the language's separators: fi ``12 345,6``, en ``12,345.6``; − for minus."""
    if value is None or not math.isfinite(value):
        return "–"
    v = round(float(value), decimals)
    if v == 0:
        v = 0.0  # no "−0"
    text = f"{abs(v):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sep, dec = (THIN_SPACE, ",") if lang == "fi" else (",", ".")
    body = _group(whole, sep) + (dec + frac if frac else "")
    sign = MINUS if v < 0 else (("+" if v > 0 else "±") if signed else "")
    return sign + body


def shown(value: float, decimals: int) -> float:
    """``value`` for a number cell shown with ``decimals`` decimals (a workbook's ``0.0``, ``#,##0``):
    0.0 if it rounds to zero there, so no reader prints a tiny negative as ``-0,0``; else unchanged.

    >>> shown(-0.02, 1), shown(-0.3, 0), shown(-0.06, 1), shown(1234.4, 0)
    (0.0, 0.0, -0.06, 1234.4)
    """
    return 0.0 if round(float(value), decimals) == 0 else value


def meur(keur: float, lang: str = "fi", signed: bool = False, decimals: int = 1, unit: bool = True) -> str:
    """k€ → M€ with one decimal: fi ``−7,7 milj. €``, en ``−7.7 M€``."""
    text = number(keur / 1000.0, lang, decimals, signed)
    if not unit:
        return text
    return f"{text}{NBSP}milj.{NBSP}€" if lang == "fi" else f"{text}{NBSP}M€"


def persons(value: float, lang: str = "fi", signed: bool = False) -> str:
    return number(value, lang, 0, signed)


def pct(value: float, lang: str = "fi", signed: bool = False, decimals: int = 1) -> str:
    """Percent: fi ``14,1 %`` (space before %), en ``14.1%``; ``signed`` for percentage points."""
    text = number(value, lang, decimals, signed)
    return f"{text}{NBSP}%" if lang == "fi" else f"{text}%"


def pts(value: float, lang: str = "fi") -> str:
    """Percentage points, signed: fi ``+1,2 %-yks.``, en ``+1.2 pp``."""
    text = number(value, lang, 1, signed=True)
    return f"{text}{NBSP}%-yks." if lang == "fi" else f"{text}{NBSP}pp"


def band(lo: str, hi: str) -> str:
    """P10…P90 as text, e.g. ``−7,8…−7,5``."""
    return f"{lo}…{hi}"


# Vega's (d3's) Finnish locale for charts: the same separators, and Finnish month names
VEGA_NUMBER_FI = {"decimal": ",", "thousands": THIN_SPACE, "grouping": [3], "currency": ["", "\u00a0€"], "minus": MINUS}
VEGA_TIME_FI = {
    "dateTime": "%A %-d.%-m.%Y klo %X", "date": "%-d.%-m.%Y", "time": "%H:%M:%S", "periods": ["a.m.", "p.m."],
    "days": ["sunnuntai", "maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai"],
    "shortDays": ["su", "ma", "ti", "ke", "to", "pe", "la"],
    "months": ["tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu", "elokuu",
               "syyskuu", "lokakuu", "marraskuu", "joulukuu"],
    "shortMonths": ["tammi", "helmi", "maalis", "huhti", "touko", "kesä", "heinä", "elo", "syys", "loka",
                    "marras", "joulu"],
}
