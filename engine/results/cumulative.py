"""Year-to-date sums for the monthly table's ``margin_ytd_keur`` rows, compiled (numba; imported when a
table needs them, so that ``import engine`` does not load numba).

A cumsum along each path's months is a short strided row per path and unit (12 months at most before a
year restarts): numpy spent 30–60 ns a value on the loop's overhead, more than the month kernel's whole
run at 100 000 paths; this loop is ~1 ns a value and does the same additions in the same order.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.common import compiled


def year_to_date(margin: np.ndarray, first: np.ndarray, end: np.ndarray, start: np.ndarray) -> np.ndarray:
    """(draws, months, units + 1) running sums of ``margin`` (draws, months, units) k€ over each year's
    months, the units' sum (etp) last.

    Year j is the months ``first[j] … end[j] − 1``; its sums restart from zero and then have
    ``start[j, u]`` added (what was booked before the first month: the budget year's actuals).
    The same numbers as ``np.cumsum(m[:, first:end], axis=1) + start`` per unit, with etp's ``m`` being
    ``margin.sum(-1)``: the units added in their order, as numpy's sum does for fewer than 8 (tested)."""
    return compiled.call(_year_to_date, "the year-to-date sums", np.ascontiguousarray(margin, dtype=np.float64),
                         np.asarray(first, np.int64), np.asarray(end, np.int64),
                         np.ascontiguousarray(start, dtype=np.float64))


@njit(cache=True, nogil=True)
def _year_to_date(margin, first, end, start):
    draws, months, units = margin.shape
    out = np.empty((draws, months, units + 1))
    run = np.empty(units + 1)
    for p in range(draws):
        for j in range(first.shape[0]):
            run[:] = 0.0
            for t in range(first[j], end[j]):
                etp = margin[p, t, 0]
                for u in range(1, units):
                    etp += margin[p, t, u]
                for u in range(units):
                    run[u] += margin[p, t, u]
                run[units] += etp
                for u in range(units + 1):
                    out[p, t, u] = run[u] + start[j, u]
    return out
