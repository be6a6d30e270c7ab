"""etp-ennuste: scenario forecasts for Lahti's vitality and employment services (ETP).

Public API::

    import engine
    baseline = engine.load_baseline()                      # the bundled Jan–Jun 2022 report
    scenario = engine.load_scenario("scenarios/baseline.toml")
    result = engine.simulate(baseline, scenario, draws=1000, seed=1)
    result.year_end(); result.monthly(); result.deviations()  # tidy pandas DataFrames

This module is the only seam for callers (the app, scripts): ``ui/`` and ``app.py`` import nothing
from ``engine.*`` submodules (tests/test_layers.py). The names below are what a caller needs to
read the tables: the finance units, the statistics' columns, the TMT's subsidy-day bands, the
estimators, ``summarise`` for percentiles of the caller's own path arrays, ``fmt`` (numbers as the
report prints them) and ``report_files``/``write_report`` (the report written: xlsx, html, md) and ``backtest`` (how past
forecasts fared: per-origin forecasts against the actuals, and their scores; ``ennuste backtest``).
"""
from engine.load.baseline import UNITS, Baseline, load_baseline
from engine.common import fmt
from engine.common.distributions import Distribution
from engine.common.errors import UserError
from engine.load.parameters import Parameters
from engine.results.output import write_tables
from engine.results.report import report_files, write_report
from engine.results.result import FINANCE_UNITS, STAT_COLUMNS, Result, summarise
from engine.load.scenario import ESTIMATORS, Scenario, load_scenario, scenario_from_dict
from engine.pipeline import simulate
from engine.commands.backtest import BacktestRun, backtest
from engine.model.tmt import BANDS as TMT_BANDS

__all__ = [
    "ESTIMATORS", "FINANCE_UNITS", "STAT_COLUMNS", "TMT_BANDS", "UNITS",
    "BacktestRun", "Baseline", "Distribution", "Parameters", "Result", "Scenario", "UserError",
    "backtest", "fmt", "load_baseline", "load_scenario", "report_files", "scenario_from_dict", "simulate", "summarise",
    "write_report", "write_tables",
]
__version__ = "0.1.0"
