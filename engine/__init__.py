"""etp-ennuste: scenario forecasts for Lahti's vitality and employment services (ETP).

Public API::

    import engine
    baseline = engine.load_baseline()                      # the bundled Jan–Jun 2022 report
    baseline = engine.load_period("kausi.xlsx")            # or a period pack (.xlsx or a CSV folder)
    scenario = engine.load_scenario("scenarios/baseline.toml")
    result = engine.simulate(baseline, scenario, draws=1000, seed=1)
    result.year_end(); result.monthly(); result.deviations()  # tidy pandas DataFrames

This module is the only seam for callers (the app, scripts): ``ui/`` and ``app.py`` import nothing
from ``engine.*`` submodules (tests/test_layers.py). The names below are what a caller needs to
read the tables: the finance units, the statistics' columns, the TMT's subsidy-day bands, the
estimators, ``kpi_figures`` (the KPI cards' and the report's key figures as data), ``summarise`` for
percentiles of the caller's own path arrays, ``fmt`` (numbers as the report prints them),
``controls`` (the what-if controls → a scenario document, shared by the app's sliders and the goal
seek; ``controls.ControlSpace.for_baseline`` gives a period's domains) and
``report_files``/``write_report`` (the report written: xlsx, html, md) and ``backtest`` (how past
forecasts fared: per-origin forecasts against the actuals, and their scores; ``ennuste backtest``).

Decision tools (issue 15)::

    target = engine.check_target(baseline, scenario, "tmt_cost_keur", "tyollisyys", 2025)
    table, mean = engine.sensitivity(baseline, scenario, target, draws=1000, seed=1)   # the tornado
    ctl = engine.control(baseline, scenario, "activation")
    answer = engine.goal_seek(baseline, ctl.make, ctl.lo, ctl.hi, target, at_most=17000, probability=0.8)
"""
from engine.load.baseline import UNITS, Baseline, load_baseline
from engine.common import fmt
from engine.load.period import load_period
from engine.common.distributions import Distribution
from engine.common.errors import UserError
from engine.load import controls
from engine.load.parameters import Parameters
from engine.results.kpi import KpiFigure, kpi_figures
from engine.results.output import write_tables
from engine.results.report import report_files, write_report
from engine.results.result import FINANCE_UNITS, STAT_COLUMNS, Result, summarise
from engine.load.scenario import ESTIMATORS, Scenario, load_scenario, scenario_from_dict
from engine.pipeline import simulate
from engine.commands.backtest import BacktestRun, backtest
from engine.model.tmt import BANDS as TMT_BANDS
from engine.commands.sensitivity import Target, check_target, sensitivity, tornado_spec
from engine.commands.goal_seek import CONTROLS, GRID as GOAL_GRID, GoalSeek, control, goal_seek

__all__ = [
    "CONTROLS", "ESTIMATORS", "FINANCE_UNITS", "GOAL_GRID", "STAT_COLUMNS", "TMT_BANDS", "UNITS",
    "BacktestRun", "Baseline", "Distribution", "GoalSeek", "KpiFigure", "Parameters", "Result", "Scenario", "Target",
    "UserError", "backtest", "check_target", "control", "controls", "fmt", "goal_seek", "kpi_figures", "load_baseline",
    "load_period", "load_scenario", "report_files", "scenario_from_dict", "sensitivity", "simulate", "summarise",
    "tornado_spec", "write_report", "write_tables",
]
__version__ = "0.1.0"
