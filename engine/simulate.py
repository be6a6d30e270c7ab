"""Runs the stages in order for N paths: parameters → TMT → ledger → :class:`Result`."""
from __future__ import annotations

import numpy as np

from . import tmt
from .baseline import Baseline
from .calendar import MonthGrid, parse_month
from .errors import UserError
from .ledger import forecast_ledger
from .parameters import Parameters
from .result import Result
from .scenario import Scenario

MAX_DRAWS = 1_000_000


def grid_for(baseline: Baseline, scenario: Scenario) -> MonthGrid:
    """Months from January of the budget year to the scenario's horizon end."""
    return MonthGrid(np.datetime64(f"{baseline.budget_year}-01", "M"), parse_month(scenario.settings.horizon_end))


def simulate(baseline: Baseline, scenario: Scenario, draws: int = 1, seed: int = 0,
             params: Parameters | None = None) -> Result:
    """Forecast ``draws`` paths of the scenario. ``draws=1`` is the central path (medians, no noise).

    The same (baseline, scenario, draws, seed) gives bit-identical results.
    """
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 1 <= draws <= MAX_DRAWS:
        raise UserError(f"draws must be a whole number within 1…{MAX_DRAWS}, got {draws!r}", field="draws")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UserError(f"seed must be a whole number ≥ 0, got {seed!r}", field="seed")
    params = scenario.parameters(params)
    grid = grid_for(baseline, scenario)
    pd_ = params.sample(grid, int(draws), int(seed))
    cost = tmt.run_rate(baseline, grid)
    ledger = forecast_ledger(baseline, scenario, pd_, grid, cost)
    return Result(scenario=scenario, baseline=baseline, draws=int(draws), seed=int(seed), grid=grid, ledger=ledger)
