"""Year-end ledger forecast per unit and line, and the deviation from budget split by driver.

Every line is forecast as::

    line(year) = [base(estimator) × index(year) + w × Σ adjustments(year)] × level + shocks + TMT(year)

* ``base``: the report's method (budget), the seasonal run-rate (actual to the as-of month ÷ last year's
  same-period share of last year's closing, ``actual_ytd_prev / closing_prev``), or a blend
  ``w·budget + (1−w)·run_rate`` (``w`` = 1, 0, blend_weight).
* The municipal share of labour-market subsidy (TMT) is always the TMT model's cost; the rest of
  tyollisyys "grants paid" (budget minus the TMT appropriation, itself uncertain) goes through the estimator.
* Adjustments are the named drivers (k€, + = more revenue or more cost): the scenario's and the period
  pack's ``drivers`` sheet; they refine the budget and so carry the estimator's weight ``w``. Shocks'
  ledger effects (engine.model.shocks) are future events and land whatever the estimator.
* ``level``: the part of the budget year not yet booked is uncertain (``ledger.*_remainder_sd_pct``);
  a path's budget-year level carries into later years. 1 on the central path.
* What is booked stays booked: no budget-year line closes below its year-to-date actual (the raise is the
  driver ``booked_above_forecast``); no line is negative.
* Years after the budget year index the base by each path's ``ledger.index_pct``; their "budget" is a
  plan, the budget year's budget indexed by the central index (:func:`plan_growth`), the same for every
  seed and path count; the difference is the driver ``index_vs_plan``.

The deviation of the margin from budget splits into: each adjustment and shock, "TMT above
appropriation" (määrärahan ylitys), the index against the plan, lines raised to their actuals, and the
unexplained remainder (the estimator's difference from budget and the unbooked part's uncertainty).
All money in k€, costs as positive magnitudes; arrays are (draws, years, units, lines).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from engine.load.baseline import IS_REVENUE, LINES, Baseline, costs_of, margin_of, revenue_of
from engine.common.calendar import MonthGrid
from engine.common.errors import UserError
from engine.load.parameters import ParamDraws, Parameters
from engine.load.scenario import Scenario
from engine.model.tmt import TmtCost

LINE_INDEX = {ln: i for i, ln in enumerate(LINES)}
TMT_LINE = LINE_INDEX["grants_paid"]  # the TMT is booked on grants paid of the pack's tmt_unit
TMT_DRIVER = ("tmt_over_appropriation", "Työmarkkinatuen kuntaosuus: määrärahan ylitys",
              "TMT share above its appropriation (määrärahan ylitys)")
INDEX_DRIVER = ("index_vs_plan", "Kustannustaso poikkeaa suunnitellusta indeksistä",
                "Cost level differs from the plan's index")
FLOOR_DRIVER = ("booked_above_forecast", "Toteuma jo yli ennusteen (rivi nostettu kirjattuun)",
                "Already booked above the forecast (line raised to its actuals)")
SIDES = (("revenue", IS_REVENUE), ("costs", ~IS_REVENUE))
UNEXPLAINED = ("unexplained", "Selittämätön (estimaattorin ero ja epävarmuus)",
               "Unexplained (estimator vs budget, and what is not yet booked)")


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
    # Booked k€ per forecast month: the non-TMT rest of each year spread evenly over its remaining months
    # (no monthly actuals are published), plus the TMT as booked. Kept as one rate per year; a unit's
    # (draws, months) series is built when a table asks for it (monthly_revenue_of, monthly_costs_of)
    rate_revenue: np.ndarray  # (draws, years, units) k€ a forecast month of each year, non-TMT
    rate_costs: np.ndarray  # (draws, years, units) k€ a forecast month of each year, the TMT left out
    tmt_unit: int  # index in units of the unit that books the TMT
    monthly_tmt: np.ndarray  # (draws, months) k€ booked
    monthly_tmt_bands: np.ndarray | None  # (draws, months, 3) k€ booked by subsidy-day band
    forecast_months: np.ndarray  # (months,) bool mask of the grid months that are forecast
    month_years: np.ndarray  # (months,) the grid months' calendar years

    def revenue(self) -> np.ndarray:  # (draws, years, units)
        return revenue_of(self.lines)

    def costs(self) -> np.ndarray:
        return costs_of(self.lines)

    def margin(self) -> np.ndarray:  # (draws, years, units) toimintakate, revenue − costs
        return margin_of(self.lines)

    def budget_revenue(self) -> np.ndarray:  # (years, units)
        return revenue_of(self.budget)

    def budget_costs(self) -> np.ndarray:  # (years, units)
        return costs_of(self.budget)

    def budget_margin(self) -> np.ndarray:  # (years, units) the budget's toimintakate
        return margin_of(self.budget)

    def monthly_revenue_of(self, unit: int) -> np.ndarray:
        """(draws, months) k€ of revenue booked by unit index ``unit`` in each grid month (0 up to the as-of month)."""
        return self._spread(self.rate_revenue[:, :, unit])

    def monthly_costs_of(self, unit: int) -> np.ndarray:
        """(draws, months) k€ of costs booked by unit index ``unit`` in each grid month: the non-TMT rate, and
        on the TMT unit the TMT as booked."""
        cost = self._spread(self.rate_costs[:, :, unit])
        if unit == self.tmt_unit:
            cost += self.monthly_tmt
        return cost

    def monthly_margin(self, months: slice | np.ndarray = slice(None)) -> np.ndarray:
        """(draws, months, units) k€ booked in each of the grid's ``months`` (all by default): revenue − costs,
        bit for bit ``monthly_revenue_of(u) − monthly_costs_of(u)`` (the rates' difference spread, and the TMT
        unit's revenue − (costs + TMT))."""
        t = self.tmt_unit
        margin = self._spread(self.year_rates("margin"))
        margin[:, :, t] = self.monthly_revenue_of(t) - self.monthly_costs_of(t)
        return margin[:, months]

    def is_spread(self, unit: int, side: str) -> bool:
        """True if ``side`` ('revenue', 'costs' or 'margin') of unit index ``unit`` is one rate per year spread
        over its forecast months (every side but the TMT unit's costs and margin, which carry the TMT as booked):
        its monthly series repeat :meth:`year_rates`' values."""
        return side == "revenue" or unit != self.tmt_unit

    def year_rates(self, side: str) -> np.ndarray:
        """(draws, years, units) k€ a forecast month of each year for ``side`` ('revenue', 'costs' — the TMT
        left out — or 'margin'): the values a spread series repeats (see :meth:`is_spread`)."""
        if side == "margin":
            return self.rate_revenue - self.rate_costs
        return self.rate_revenue if side == "revenue" else self.rate_costs

    def _spread(self, rate: np.ndarray) -> np.ndarray:
        """(draws, years[, units]) a rate per forecast month → (draws, months[, units]), zeros before the forecast."""
        out = np.empty((rate.shape[0], len(self.forecast_months)) + rate.shape[2:])
        fm = self.forecast_months
        first = int(np.argmax(fm)) if fm.any() else len(fm)  # the forecast months are the grid's last ones
        out[:, :first] = 0.0
        for y, year in enumerate(self.years):
            months = np.flatnonzero(fm & (self.month_years == year))
            if len(months):  # a year's forecast months are a run: a slice, no mask copies
                out[:, months[0]:months[-1] + 1] = rate[:, y, None]
        return out


def run_rate_shares(baseline: Baseline, tmt: TmtCost) -> np.ndarray:
    """(units, lines) last year's share booked by the as-of month (January to the same month, ``actual_ytd_prev``)
    of last year's closing, by unit and revenue/cost side: the run-rate's seasonal divisor for any as-of month.

    The closing is known only for unit totals, so every line takes its unit's revenue or cost share;
    TMT is taken out of tyollisyys costs (its own model forecasts it).
    """
    shares = np.empty((len(baseline.units), len(LINES)))
    for u, unit in enumerate(baseline.units):
        f = baseline.ledger[unit]
        rev_ytd_prev = f.actual_ytd_prev[IS_REVENUE].sum()
        cost_ytd_prev = f.actual_ytd_prev[~IS_REVENUE].sum()
        cost_closing = f.costs_closing_prev
        if unit == baseline.tmt_unit:
            cost_ytd_prev -= tmt.booked_ytd_prev
            cost_closing -= baseline.tmt.closing_prev_keur
        shares[u] = np.where(IS_REVENUE, rev_ytd_prev / f.revenue_closing_prev, cost_ytd_prev / cost_closing)
    return shares


def _bases(baseline: Baseline, tmt: TmtCost, appropriation: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(budget, run_rate, budget_incl_tmt): (draws|1, units, lines) non-TMT bases for the budget year."""
    budget = np.stack([baseline.ledger[u].budget for u in baseline.units])[None].repeat(len(appropriation), 0)
    budget_full = budget.copy()
    budget[:, _tmt_unit(baseline), TMT_LINE] -= appropriation
    run_rate = (booked_non_tmt(baseline, tmt) / run_rate_shares(baseline, tmt))[None]
    return budget, run_rate, budget_full


def plan_growth(years: np.ndarray, budget_year: int) -> np.ndarray:
    """(years,) the budget's index factor: the plan indexes the budget year's budget by the central
    (median) ``ledger.index_pct`` of the default parameters, so a later year's "budget" is the same
    for every seed, path count and scenario; the index's uncertainty belongs to the forecast.

    >>> plan_growth(np.arange(2022, 2027), 2022).round(6).tolist()   # 1.02 ** (0 … 4)
    [1.0, 1.02, 1.0404, 1.061208, 1.082432]
    """
    d = Parameters.load_default()["ledger.index_pct"]
    steps = [1.0 + d.central_at(f"{y}-01") / 100.0 if y > budget_year else 1.0 for y in years]
    return np.cumprod(steps)


def booked_non_tmt(baseline: Baseline, tmt: TmtCost) -> np.ndarray:
    """(units, lines) k€ booked January to the as-of month, the TMT taken out of tyollisyys grants paid."""
    actual = np.stack([baseline.ledger[u].actual_ytd for u in baseline.units]).astype(float)
    actual[_tmt_unit(baseline), TMT_LINE] -= tmt.booked_ytd
    return actual


def _tmt_unit(baseline: Baseline) -> int:
    """The index of the unit carrying the TMT (the pack's meta tmt_unit) in ``baseline.units``."""
    return baseline.units.index(baseline.tmt_unit)


def remainder_multiplier(pdraws: ParamDraws, units: tuple[str, ...]) -> np.ndarray:
    """(draws|1, units, lines) factor on each line's part of the budget year not yet booked: ``max(1 + sd·z, 0)``.

    ``sd`` is the relative standard deviation of that remainder (``ledger.{revenue,costs}_remainder_sd_pct``,
    sized from the data: see parameters.toml) and ``z`` one standard normal per path, unit and side (revenue
    or costs): a unit over- or underspends as a whole, so its cost lines move together. 1 on the central path.

    Antithetic pairs: path 2k+1 takes the mirror image of path 2k's draw (u → 1 − u, so z → −z). Each path's
    draw is still a standard normal that depends only on its index, but the noise averages out exactly over
    each pair, so a run's mean stays on the forecast the planner reads, not ±0.1 M€ of sampling error
    (1 000 paths, seed 1: the elinvoima costs' mean was 119 k€ below the central path's 9 552).
    """
    if pdraws.central:
        return np.ones((1, len(units), len(LINES)))
    z = np.empty((pdraws.draws, len(units), len(LINES)))
    for side, mask in SIDES:
        sd = pdraws.scalar(f"ledger.{side}_remainder_sd_pct")[:, None] / 100.0  # (draws|1, 1)
        for u, unit in enumerate(units):
            key = f"ledger.remainder.{unit}.{side}"
            u01 = np.clip(pdraws.uniforms(key), 1e-12, 1 - 1e-12)  # finite z
            if not pdraws.pinned(key):  # a pinned draw (sensitivity analysis) is what it is on every path
                u01[1::2] = 1.0 - u01[0::2][: pdraws.draws // 2]
            z[:, u, mask] = sd * ndtri(u01)[:, None]  # scipy.stats.norm.ppf's own function, without its argument handling
    return np.maximum(1.0 + z, 0.0)


def staff_htv_amount(baseline: Baseline, unit: str) -> float:
    """Staff-cost change (k€) implied by person-years: budget × (HTV forecast / HTV target − 1).

    >>> from engine.load.baseline import load_baseline
    >>> round(staff_htv_amount(load_baseline(), "tyollisyys"))   # 6 501 × (159 / 193 − 1)
    -1145
    """
    h = baseline.htv(unit)
    if h is None:
        raise UserError(f"a 'derive = \"staff_htv\"' adjustment needs the pack's staff_htv sheet for {unit}; "
                        "the pack has none", file=baseline.file, field="staff_htv")
    budget = baseline.ledger[unit].budget[LINE_INDEX["staff"]]
    return float(budget * (h.actual_or_forecast[-1] / h.target[-1] - 1.0))


def forecast_ledger(baseline: Baseline, scenario: Scenario, pdraws: ParamDraws, grid: MonthGrid, tmt: TmtCost,
                    shock_effects=(), all_floor_drivers: bool = False) -> LedgerForecast:
    """``all_floor_drivers``: name the "booked above forecast" driver for every unit even where no path
    of these draws is raised (zeros), so that the chunks of one run have the same drivers
    (engine.pipeline drops the driver again where no chunk raised anything)."""
    years = np.unique(grid.years)
    by = baseline.budget_year
    assert years[0] == by, "the month grid starts in January of the budget year"
    n_years = len(years)
    settings = scenario.settings
    w = {"report": 1.0, "run_rate": 0.0, "blend": settings.blend_weight}[settings.estimator]

    # index(year): product of (1 + index_pct/100) over the years after the budget year; (draws|1, years)
    jan = grid.month_of_year == 0
    idx_pct = pdraws.monthly("ledger.index_pct")[:, jan]  # value in force each January
    steps = np.where(years[None, :] > by, 1.0 + idx_pct / 100.0, 1.0)
    growth = np.cumprod(steps, axis=1)
    plan = plan_growth(years, by)  # (years,) the budget's own indexing: fixed, the same on every path

    appropriation = pdraws.scalar("ledger.tmt_appropriation_keur")  # (draws|1,)
    budget_nt, run_rate_nt, budget_full = _bases(baseline, tmt, appropriation)
    base = w * budget_nt + (1.0 - w) * run_rate_nt  # (draws|1, units, lines)

    draws = pdraws.draws
    units = baseline.units
    unit_index = {u: i for i, u in enumerate(units)}
    tmt_u = _tmt_unit(baseline)
    lines = np.broadcast_to(base[:, None] * growth[:, :, None, None], (draws, n_years, len(units), len(LINES))).copy()
    budget = budget_full[0][None] * plan[:, None, None]  # (years, units, lines): a plan, not a draw

    drivers: list[Driver] = []
    for adj_id, adj in scenario.adjustments.items():
        u, ln = unit_index[adj.unit], LINE_INDEX[adj.line]
        for year in adj.years or [by]:
            if year not in years:
                continue
            y = int(np.searchsorted(years, year))
            if adj.derive == "staff_htv":
                amount = np.full(1, staff_htv_amount(baseline, adj.unit) if year == by else 0.0)
            elif isinstance(adj.amount_keur, float):
                amount = np.full(1, adj.amount_keur)
            else:
                amount = pdraws.draw(f"adjustments.{adj_id}.{year}", adj.amount_keur.distribution())
            lines[:, y, u, ln] += w * amount
            sign = 1.0 if IS_REVENUE[ln] else -1.0
            drivers.append(Driver(adj_id, adj.label_fi, adj.label_en, adj.unit, year,
                                  np.broadcast_to(sign * w * amount, (draws,)).copy()))

    for i, d in enumerate(baseline.drivers):  # the pack's named drivers: adjustments that come with the period
        if d.year not in years:
            continue
        y, u, ln = int(np.searchsorted(years, d.year)), unit_index[d.unit], LINE_INDEX[d.line]
        lines[:, y, u, ln] += w * d.amount_keur
        sign = 1.0 if IS_REVENUE[ln] else -1.0
        drivers.append(Driver(f"pack_driver_{i + 1}", d.label_fi, d.label_en, d.unit, d.year,
                              np.full(draws, sign * w * d.amount_keur)))

    # The part of the budget year not yet booked is uncertain (estimator, adjustments and all); a path's
    # level carries into the later years. What is booked (to the as-of month) is not. The TMT has its own model.
    if not pdraws.central:
        fc = lines[:, 0]  # (draws, units, lines): years[0] is the budget year
        new = fc + (remainder_multiplier(pdraws, units) - 1.0) * np.maximum(fc - booked_non_tmt(baseline, tmt)[None], 0.0)
        level = np.divide(new, fc, out=np.ones_like(fc), where=fc > 0)
        lines[:, 0] = new
        lines[:, 1:] *= level[:, None]

    for eff in shock_effects:  # future events: they land whatever the estimator
        if eff.year not in years:
            continue
        y = int(np.searchsorted(years, eff.year))
        u, ln = unit_index[eff.unit], LINE_INDEX[eff.line]
        lines[:, y, u, ln] += eff.amount_keur
        sign = 1.0 if IS_REVENUE[ln] else -1.0
        drivers.append(Driver(eff.id, eff.label_fi, eff.label_en, eff.unit, eff.year,
                              np.broadcast_to(sign * eff.amount_keur, (draws,)).copy()))

    # the index's departure from the plan's: on the estimator's base (non-TMT), per path; zero on the central path
    gap = base[:, None] * (growth - plan[None, :])[:, :, None, None]  # (draws|1, years, units, lines)
    index_margin = margin_of(gap)  # (draws|1, years, units)
    for y, year in enumerate(years):
        if year > by:
            for u, unit in enumerate(units):
                drivers.append(Driver(INDEX_DRIVER[0], INDEX_DRIVER[1], INDEX_DRIVER[2], unit, int(year),
                                      np.broadcast_to(index_margin[:, y, u], (draws,)).copy()))

    lines[:, :, tmt_u, TMT_LINE] += tmt.year
    tmt_gap = tmt.year - appropriation[:, None] * plan[None, :]
    for y, year in enumerate(years):
        drivers.append(Driver(TMT_DRIVER[0], TMT_DRIVER[1], TMT_DRIVER[2], baseline.tmt_unit, int(year),
                              np.broadcast_to(-tmt_gap[:, y], (draws,)).copy()))
    _check_not_negative(lines, years, scenario, shock_effects, units, tmt_u)

    # What is booked stays booked: the budget year's line never closes below its year-to-date actuals. A
    # forecast that would (a budget set below what has come in) is raised, and the raise is a named driver.
    actual = np.stack([baseline.ledger[u].actual_ytd for u in units]).astype(float)  # (units, lines)
    short = np.maximum(actual[None] - lines[:, 0], 0.0)  # (draws, units, lines)
    if short.any() or all_floor_drivers:
        lines[:, 0] += short
        floor_margin = margin_of(short)  # (draws, units)
        for u, unit in enumerate(units):
            if short[:, u].any() or all_floor_drivers:
                drivers.append(Driver(FLOOR_DRIVER[0], FLOOR_DRIVER[1], FLOOR_DRIVER[2], unit, int(by),
                                      floor_margin[:, u].copy()))

    rate_revenue, rate_costs = _month_rates(baseline, grid, years, lines, tmt)
    return LedgerForecast(
        years=years, lines=lines, budget=budget, tmt_year=np.broadcast_to(tmt.year, (draws, n_years)),
        drivers=tuple(drivers), rate_revenue=rate_revenue, rate_costs=rate_costs, tmt_unit=tmt_u,
        monthly_tmt=np.broadcast_to(tmt.booked, (draws, len(grid))), monthly_tmt_bands=tmt.booked_bands,
        forecast_months=grid.months > baseline.as_of, month_years=np.asarray(grid.years),
    )


def _check_not_negative(lines: np.ndarray, years: np.ndarray, scenario: Scenario, shock_effects,
                        units: tuple[str, ...], tmt_u: int) -> None:
    """Keep every line (revenue or cost, k€) at 0 or above, in place.

    A line below zero on most paths is the scenario's mistake — its adjustments or shocks take away more
    than the estimator's base holds (e.g. a shock sized on the budget against a run-rate base far below
    it) — and a user error. On fewer paths it is the tail of the line's own uncertainty, cut at zero: a
    unit cannot spend or earn less than nothing (the cut lands in the unexplained rest).
    """
    neg = lines < -1e-9
    if not neg.any():
        return
    share = neg.mean(axis=0)  # (years, units, lines)
    if share.max() > 0.5:
        raise _negative_line(lines, years, scenario, shock_effects, units, tmt_u)
    np.maximum(lines, 0.0, out=lines)


def _negative_line(lines: np.ndarray, years: np.ndarray, scenario: Scenario, shock_effects,
                   units: tuple[str, ...], tmt_u: int) -> UserError:
    """A line forecast below zero (costs and revenue are magnitudes): name the input that cut it most."""
    worst = np.unravel_index(np.argmin(lines), lines.shape)
    _, y, u, ln = (int(i) for i in worst)
    unit, line, year = units[u], LINES[ln], int(years[y])
    def low(amount) -> float:  # an adjustment's amount, a distribution at its 0.1 % point
        return float(amount) if isinstance(amount, (int, float)) else float(amount.distribution().ppf(0.001))

    cuts = [(low(adj.amount_keur), f"adjustments.{adj_id}.amount_keur") for adj_id, adj in scenario.adjustments.items()
            if adj.unit == unit and adj.line == line and adj.amount_keur is not None and year in (adj.years or [year])]
    cuts += [(float(np.min(eff.amount_keur)), f"shocks.{eff.id.split('.')[0]}")
             for eff in shock_effects if eff.unit == unit and eff.line == line and eff.year == year]
    if (u, ln) == (tmt_u, TMT_LINE):
        cuts.append((0.0, "parameters.ledger.tmt_appropriation_keur"))
    amount, field = min(cuts) if cuts else (0.0, "settings.estimator")
    cause = f"value {amount:,.0f} k€ makes" if amount < 0 else "makes"
    return UserError(f"{cause} the {unit} '{line}' forecast for {year} negative ({float(lines[worst]):,.0f} k€); "
                     "a line must stay ≥ 0 k€ (revenue and costs are magnitudes)", file=scenario.file, field=field)


def _month_rates(baseline: Baseline, grid: MonthGrid, years: np.ndarray, lines: np.ndarray, tmt: TmtCost):
    """(rate_revenue, rate_costs), each (draws, years, units): k€ booked in each forecast month of a year,
    the non-TMT rest of the year (the budget year's after its actuals) over its remaining months. A year
    without forecast months (none on the grids made here) keeps 0."""
    units, tmt_u = baseline.units, _tmt_unit(baseline)
    forecast = grid.months > baseline.as_of
    rev = np.zeros((lines.shape[0], len(years), len(units)))
    cost = np.zeros_like(rev)
    actual = np.stack([baseline.ledger[u].actual_ytd for u in units]).astype(float)  # (units, lines)
    for y, year in enumerate(years):
        k = ((grid.years == year) & forecast).sum()
        if k == 0:
            continue
        year_lines = lines[:, y].copy()  # (draws, units, lines)
        year_lines[:, tmt_u, TMT_LINE] -= tmt.year[:, y]
        if ((grid.years == year) & ~forecast).any():  # the budget year's January to the as-of month is actual
            act = actual.copy()
            act[tmt_u, TMT_LINE] -= tmt.booked_ytd
            year_lines = year_lines - act[None]
        rev[:, y] = revenue_of(year_lines) / k
        cost[:, y] = costs_of(year_lines) / k
    return rev, cost
