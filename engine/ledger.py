"""Year-end ledger forecast per unit and line, and the deviation from budget split by driver.

Every line is forecast as::

    line(year) = base(estimator) × index(year) + w × Σ adjustments(year) + TMT(year) [tyollisyys grants paid]

* ``base``: the report's method (budget), the seasonal run-rate (Jan–Jun actual ÷ last year's Jan–Jun
  share of last year's closing), or a blend ``w·budget + (1−w)·run_rate`` (``w`` = 1, 0, blend_weight).
* The municipal share of labour-market subsidy (TMT) is always the TMT model's cost; the rest of
  tyollisyys "grants paid" (budget minus the TMT appropriation) goes through the estimator.
* Shocks' ledger effects (engine.shocks) are future events and land whatever the estimator.
* Adjustments are the named drivers (k€, + = more revenue or more cost); they refine the budget and
  so carry the estimator's weight ``w``.
* Years after the budget year index the base by ``ledger.index_pct`` (no budget exists for them;
  deviations there are against the indexed budget).

The deviation of the margin from budget splits into: each adjustment, "TMT above appropriation",
and the unexplained remainder (the run-rate's difference from budget under run_rate/blend).
All money in k€, costs as positive magnitudes; arrays are (draws, years, units, lines).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .baseline import COST_LINES, LINES, REVENUE_LINES, UNITS, Baseline
from .calendar import MonthGrid
from .parameters import ParamDraws
from .scenario import Scenario

LINE_INDEX = {ln: i for i, ln in enumerate(LINES)}
UNIT_INDEX = {u: i for i, u in enumerate(UNITS)}
IS_REVENUE = np.array([ln in REVENUE_LINES for ln in LINES])
TMT_UNIT, TMT_LINE = UNIT_INDEX["tyollisyys"], LINE_INDEX["grants_paid"]
TMT_DRIVER = ("tmt_over_appropriation", "Työmarkkinatuen kuntaosuus yli määrärahan",
              "TMT share above its appropriation")
UNEXPLAINED = ("unexplained", "Selittämätön (estimaattorin ero talousarviosta)",
               "Unexplained (estimator vs budget)")


@dataclass(frozen=True)
class TmtCost:
    """The TMT model's cost in k€: ``benefit_month`` (draws, months) by benefit month on the grid,
    ``booked`` (draws, months) as booked in the city's accounts, ``year`` (draws, years) accrual totals,
    and ``booked_h1`` / ``booked_h1_prev`` (k€) the amounts inside the Jan–Jun actuals of the
    budget year and the year before."""

    benefit_month: np.ndarray
    booked: np.ndarray
    year: np.ndarray
    booked_h1: float
    booked_h1_prev: float
    booked_bands: np.ndarray | None = None  # (draws, months, 3) booked by subsidy-day band (engine.tmt.BANDS)


@dataclass(frozen=True)
class Driver:
    id: str
    label_fi: str
    label_en: str
    unit: str
    year: int
    margin_keur: np.ndarray  # (draws,) effect on the margin, k€ (+ = better margin)


@dataclass(frozen=True)
class LedgerForecast:
    years: np.ndarray  # (years,)
    lines: np.ndarray  # (draws, years, units, lines) k€, positive magnitudes, TMT included
    budget: np.ndarray  # (years, units, lines) k€: the budget year's budget, indexed for later years
    tmt_year: np.ndarray  # (draws, years) k€
    drivers: tuple[Driver, ...]
    monthly_revenue: np.ndarray  # (draws, months, units) k€ booked in each forecast month
    monthly_costs: np.ndarray  # (draws, months, units)
    monthly_tmt: np.ndarray  # (draws, months) k€ booked
    monthly_tmt_bands: np.ndarray | None  # (draws, months, 3) k€ booked by subsidy-day band
    forecast_months: np.ndarray  # (months,) bool mask of the grid months that are forecast

    def revenue(self) -> np.ndarray:  # (draws, years, units)
        return self.lines[..., IS_REVENUE].sum(-1)

    def costs(self) -> np.ndarray:
        return self.lines[..., ~IS_REVENUE].sum(-1)

    def margin(self) -> np.ndarray:
        return self.revenue() - self.costs()

    def budget_margin(self) -> np.ndarray:  # (years, units)
        b = self.budget
        return b[..., IS_REVENUE].sum(-1) - b[..., ~IS_REVENUE].sum(-1)


def run_rate_shares(baseline: Baseline, tmt: TmtCost) -> np.ndarray:
    """(units, lines) last year's Jan–Jun share of last year's closing, by unit and revenue/cost side.

    The closing is known only for unit totals, so every line takes its unit's revenue or cost share;
    TMT is taken out of tyollisyys costs (its own model forecasts it).
    """
    shares = np.empty((len(UNITS), len(LINES)))
    for u, unit in enumerate(UNITS):
        f = baseline.ledger[unit]
        rev_h1_prev = f.actual_h1_prev[IS_REVENUE].sum()
        cost_h1_prev = f.actual_h1_prev[~IS_REVENUE].sum()
        cost_closing = f.costs_closing_prev
        if unit == "tyollisyys":
            cost_h1_prev -= tmt.booked_h1_prev
            cost_closing -= baseline.tmt.closing_prev_keur
        shares[u] = np.where(IS_REVENUE, rev_h1_prev / f.revenue_closing_prev, cost_h1_prev / cost_closing)
    return shares


def _bases(baseline: Baseline, tmt: TmtCost, appropriation: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(budget, run_rate, budget_incl_tmt): (draws|1, units, lines) non-TMT bases for the budget year."""
    budget = np.stack([baseline.ledger[u].budget for u in UNITS])[None].repeat(len(appropriation), 0)
    budget_full = budget.copy()
    budget[:, TMT_UNIT, TMT_LINE] -= appropriation
    actual = np.stack([baseline.ledger[u].actual_h1 for u in UNITS]).astype(float)
    actual[TMT_UNIT, TMT_LINE] -= tmt.booked_h1
    run_rate = (actual / run_rate_shares(baseline, tmt))[None]
    return budget, run_rate, budget_full


def staff_htv_amount(baseline: Baseline, unit: str) -> float:
    """Staff-cost change (k€) implied by person-years: budget × (HTV forecast / HTV target − 1).

    >>> from engine.baseline import load_baseline
    >>> round(staff_htv_amount(load_baseline(), "tyollisyys"))   # 6 501 × (159 / 193 − 1)
    -1145
    """
    h = baseline.htv(unit)
    budget = baseline.ledger[unit].budget[LINE_INDEX["staff"]]
    return float(budget * (h.actual_or_forecast[-1] / h.target[-1] - 1.0))


def forecast_ledger(baseline: Baseline, scenario: Scenario, pd: ParamDraws, grid: MonthGrid, tmt: TmtCost,
                    shock_effects=()) -> LedgerForecast:
    years = np.unique(grid.years)
    by = baseline.budget_year
    n_years = len(years)
    settings = scenario.settings
    w = {"report": 1.0, "run_rate": 0.0, "blend": settings.blend_weight}[settings.estimator]

    # index(year): product of (1 + index_pct/100) over the years after the budget year; (draws|1, years)
    jan = grid.month_of_year == 0
    idx_pct = pd.monthly("ledger.index_pct")[:, jan]  # value in force each January
    steps = np.where(years[None, :] > by, 1.0 + idx_pct / 100.0, 1.0)
    growth = np.cumprod(steps, axis=1)

    appropriation = pd.scalar("ledger.tmt_appropriation_keur")  # (draws|1,)
    budget_nt, run_rate_nt, budget_full = _bases(baseline, tmt, appropriation)
    base = w * budget_nt + (1.0 - w) * run_rate_nt  # (draws|1, units, lines)

    draws = pd.draws
    lines = np.broadcast_to(base[:, None] * growth[:, :, None, None], (draws, n_years, len(UNITS), len(LINES))).copy()
    budget = budget_full[:1, None] * growth[:1, :, None, None]  # the central budget path, (1, years, units, lines)
    budget = budget[0]

    drivers: list[Driver] = []
    for adj_id, adj in scenario.adjustments.items():
        u, ln = UNIT_INDEX[adj.unit], LINE_INDEX[adj.line]
        for year in adj.years or [by]:
            if year not in years:
                continue
            y = int(np.searchsorted(years, year))
            if adj.derive == "staff_htv":
                amount = np.full(1, staff_htv_amount(baseline, adj.unit) if year == by else 0.0)
            elif isinstance(adj.amount_keur, float):
                amount = np.full(1, adj.amount_keur)
            else:
                amount = adj.amount_keur.distribution().ppf(pd.uniforms(f"adjustments.{adj_id}.{year}"))
            lines[:, y, u, ln] += w * amount
            sign = 1.0 if IS_REVENUE[ln] else -1.0
            drivers.append(Driver(adj_id, adj.label_fi, adj.label_en, adj.unit, year,
                                  np.broadcast_to(sign * w * amount, (draws,)).copy()))

    for eff in shock_effects:  # future events: they land whatever the estimator
        if eff.year not in years:
            continue
        y = int(np.searchsorted(years, eff.year))
        u, ln = UNIT_INDEX[eff.unit], LINE_INDEX[eff.line]
        lines[:, y, u, ln] += eff.amount_keur
        sign = 1.0 if IS_REVENUE[ln] else -1.0
        drivers.append(Driver(eff.id, eff.label_fi, eff.label_en, eff.unit, eff.year,
                              np.broadcast_to(sign * eff.amount_keur, (draws,)).copy()))

    lines[:, :, TMT_UNIT, TMT_LINE] += tmt.year
    tmt_gap = tmt.year - appropriation[:, None] * growth
    for y, year in enumerate(years):
        drivers.append(Driver(TMT_DRIVER[0], TMT_DRIVER[1], TMT_DRIVER[2], "tyollisyys", int(year),
                              np.broadcast_to(-tmt_gap[:, y], (draws,)).copy()))
    if np.any(lines < -1e-9):
        raise ValueError("a ledger line went negative; check the scenario's adjustments")

    monthly_rev, monthly_cost, forecast_mask = _monthly(baseline, grid, years, lines, tmt)
    return LedgerForecast(
        years=years, lines=lines, budget=budget, tmt_year=np.broadcast_to(tmt.year, (draws, n_years)),
        drivers=tuple(drivers), monthly_revenue=monthly_rev, monthly_costs=monthly_cost,
        monthly_tmt=np.broadcast_to(tmt.booked, (draws, len(grid))), forecast_months=forecast_mask,
        monthly_tmt_bands=tmt.booked_bands,
    )


def _monthly(baseline: Baseline, grid: MonthGrid, years: np.ndarray, lines: np.ndarray, tmt: TmtCost):
    """Booked k€ per forecast month: the non-TMT rest of each year spread evenly over its remaining
    months (no monthly actuals are published), plus the TMT as booked."""
    draws = lines.shape[0]
    as_of = baseline.as_of
    forecast = grid.months > as_of
    n = len(grid)
    rev = np.empty((draws, n, len(UNITS)))  # np.empty: huge pages (np.zeros gets 4 kB page faults)
    cost = np.empty((draws, n, len(UNITS)))
    rev[:, ~forecast] = 0.0
    cost[:, ~forecast] = 0.0
    actual = np.stack([baseline.ledger[u].actual_h1 for u in UNITS]).astype(float)  # (units, lines)
    for y, year in enumerate(years):
        in_year = (grid.years == year) & forecast
        k = in_year.sum()
        if k == 0:
            continue
        year_lines = lines[:, y].copy()  # (draws, units, lines)
        year_lines[:, TMT_UNIT, TMT_LINE] -= tmt.year[:, y]
        done = (grid.years == year) & ~forecast
        if done.any():  # the budget year's Jan–Jun is actual
            act = actual.copy()
            act[TMT_UNIT, TMT_LINE] -= tmt.booked_h1
            year_lines = year_lines - act[None]
        months = np.flatnonzero(in_year)  # a year's forecast months are a run: a slice, no mask copies
        months = slice(months[0], months[-1] + 1)
        rev[:, months] = (year_lines[..., IS_REVENUE].sum(-1) / k)[:, None, :]
        cost[:, months] = (year_lines[..., ~IS_REVENUE].sum(-1) / k)[:, None, :]
    cost[:, :, TMT_UNIT] += tmt.booked
    return rev, cost, forecast
