"""The page's number formats: the engine's (``engine.fmt``, engine/common/fmt.py), so the app and the
written report (``ennuste report``) print a figure the same way."""
from __future__ import annotations

from engine import fmt as _fmt

THIN_SPACE, NBSP, MINUS = _fmt.THIN_SPACE, _fmt.NBSP, _fmt.MINUS
number, meur, persons, pct, pts, band = _fmt.number, _fmt.meur, _fmt.persons, _fmt.pct, _fmt.pts, _fmt.band
VEGA_NUMBER_FI, VEGA_TIME_FI = _fmt.VEGA_NUMBER_FI, _fmt.VEGA_TIME_FI
