"""Työmarkkinatuen kuntaosuus (TMT): the municipal share of labour-market subsidy, and its booking.

Kela bills the city monthly in arrears (January's subsidy is billed mid-February). At year end the
December bill is accrued into the year it belongs to, so a year's accounts hold exactly its twelve
benefit months, while the Jan–Jun books hold January–May only (the June bill arrives in July). That
is also what the report's figures show: Jan–Jun "grants paid" of 8 512 k€ is below the 9 900 k€ TMT
of the same benefit months.
"""
from __future__ import annotations

import numpy as np

from .baseline import Baseline
from .calendar import MonthGrid
from .ledger import TmtCost


def booked(benefit_month: np.ndarray, grid: MonthGrid) -> np.ndarray:
    """(draws, months) amounts booked in each calendar month from (draws, months) benefit-month costs.

    Feb–Nov book the previous month's bill; December also accrues its own; January books nothing
    (December's bill was accrued the year before).

    >>> grid = MonthGrid(np.datetime64("2022-01"), np.datetime64("2022-12"))
    >>> booked(np.arange(1.0, 13.0)[None], grid)[0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 23.0]
    """
    out = np.zeros_like(benefit_month)
    out[:, 1:] = benefit_month[:, :-1]
    moy = grid.month_of_year
    out[:, moy == 0] = 0.0
    out[:, moy == 11] += benefit_month[:, moy == 11]
    if grid.month_of_year[0] != 0:
        raise ValueError("the TMT grid must start in January")
    return out


def annual(values: np.ndarray, grid: MonthGrid) -> np.ndarray:
    """(draws, years) sums of (draws, months) by calendar year."""
    years = np.unique(grid.years)
    return np.stack([values[:, grid.years == y].sum(1) for y in years], axis=1)


def run_rate(baseline: Baseline, grid: MonthGrid) -> TmtCost:
    """The report's own method: each month of the year costs the Jan–Jun average."""
    per_month = baseline.tmt.city_share_h1_keur / 6.0
    benefit = np.full((1, len(grid)), per_month)
    h1_months = (grid.years == baseline.budget_year) & (grid.month_of_year < 5)
    return TmtCost(
        benefit_month=benefit, booked=booked(benefit, grid), year=annual(benefit, grid),
        booked_h1=float(benefit[0, h1_months].sum()),
        booked_h1_prev=baseline.tmt.closing_prev_keur * 5.0 / 12.0,
    )
