"""Runs the stages in order for N paths: parameters → shocks → labour and TMT paths → ledger → Result."""
from __future__ import annotations

import numpy as np

from . import tmt
from .baseline import Baseline
from .calendar import MonthGrid, parse_month
from .errors import UserError
from .inputs import prepare
from .labour import LONG_TERM_MONTHS, LabourPaths
from .ledger import TmtCost, forecast_ledger
from .parameters import Parameters
from .paths import run
from .result import Result
from .scenario import Scenario
from .shocks import compile_shocks

MAX_DRAWS = 1_000_000


def grid_for(baseline: Baseline, scenario: Scenario) -> MonthGrid:
    """Months from January of the budget year to the scenario's horizon end."""
    return MonthGrid(np.datetime64(f"{baseline.budget_year}-01", "M"), parse_month(scenario.settings.horizon_end))


def _check_run_args(draws, seed) -> None:
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 1 <= draws <= MAX_DRAWS:
        raise UserError(f"draws must be a whole number within 1…{MAX_DRAWS}, got {draws!r}", field="draws")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UserError(f"seed must be a whole number ≥ 0, got {seed!r}", field="seed")


def simulate(baseline: Baseline, scenario: Scenario, draws: int = 1, seed: int = 0,
             params: Parameters | None = None) -> Result:
    """Forecast ``draws`` paths of the scenario. ``draws=1`` is the central path (medians, no noise).

    The same (baseline, scenario, draws, seed) gives bit-identical results; every uncertain parameter
    draws from its own seeded stream, so scenarios run with one seed share their random numbers.
    """
    _check_run_args(draws, seed)
    draws, seed = int(draws), int(seed)
    params = scenario.parameters(params)
    grid = grid_for(baseline, scenario)
    pd = params.sample(grid, draws, seed)
    shocks = compile_shocks(scenario, baseline, pd, grid)
    prep = prepare(baseline, pd, grid, shocks)
    arr = run(prep.inputs, draws)

    # the months up to the as-of month are the deterministic history / first-half runs
    t0 = prep.inputs.t0
    hist, start = prep.history, prep.start
    h = slice(len(hist.months) - t0, None)
    for a, past in ((arr.unemployed, hist.unemployed[h]), (arr.long_term, hist.long_term[h]),
                    (arr.services, hist.services[h]), (arr.exits_to_work, hist.exits_to_work[h]),
                    (arr.tmt_cost_keur, start.cost_keur), (arr.tmt_billed, start.billed)):
        a[:, :t0] = past
    arr.tmt_cost_bands_keur[:, :t0] = start.cost_bands_keur
    # the rates in place (the same operations in the same order): no (P, T) temporaries
    unemployment_rate = np.multiply(arr.unemployed, 100.0)
    unemployment_rate /= prep.inputs.labour_force
    activation_rate = np.add(arr.services, arr.unemployed)
    np.divide(np.multiply(arr.services, 100.0, out=arr.services), activation_rate, out=activation_rate)
    del prep  # the month loop's inputs, (P, T) arrays, are done with
    labour = LabourPaths(
        unemployed=arr.unemployed, long_term_unemployed=arr.long_term,
        unemployment_rate_pct=unemployment_rate, activation_rate_pct=activation_rate,
        tmt_recipients=arr.tmt_billed, exits_to_employment=arr.exits_to_work,
    )
    h1_booked = (grid.years == baseline.budget_year) & (grid.month_of_year < 5)  # Jan–May bills
    prev = np.arange(np.datetime64(f"{baseline.budget_year - 1}-01"), np.datetime64(f"{baseline.budget_year}-01"),
                     dtype="datetime64[M]")
    wd_prev = np.busday_count(prev.astype("datetime64[D]"), (prev + 1).astype("datetime64[D]"))
    cost = TmtCost(
        benefit_month=arr.tmt_cost_keur, booked=tmt.booked(arr.tmt_cost_keur, grid),
        year=tmt.annual(arr.tmt_cost_keur, grid), booked_h1=float(start.cost_keur[h1_booked[:t0]].sum()),
        booked_h1_prev=baseline.tmt.closing_prev_keur * wd_prev[:5].sum() / wd_prev.sum(),
        booked_bands=tmt.booked(arr.tmt_cost_bands_keur, grid),
    )
    ledger = forecast_ledger(baseline, scenario, pd, grid, cost, shocks.ledger)
    return Result(scenario=scenario, baseline=baseline, draws=draws, seed=seed, grid=grid, ledger=ledger,
                  labour=labour)


__all__ = ["simulate", "grid_for", "LONG_TERM_MONTHS"]
