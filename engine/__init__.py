"""etp-ennuste: scenario forecasts for Lahti's vitality and employment services (ETP).

Public API::

    import engine
    baseline = engine.load_baseline()                      # the bundled Jan–Jun 2022 report
    scenario = engine.load_scenario("scenarios/baseline.toml")
    result = engine.simulate(baseline, scenario, draws=1000, seed=1)
    result.year_end(); result.monthly(); result.deviations()  # tidy pandas DataFrames
"""
from .baseline import Baseline, load_baseline
from .errors import UserError
from .parameters import Parameters
from .output import write_tables
from .result import Result
from .scenario import Scenario, load_scenario, scenario_from_dict
from .simulate import simulate

__all__ = [
    "Baseline", "Parameters", "Result", "Scenario", "UserError",
    "load_baseline", "load_scenario", "scenario_from_dict", "simulate", "write_tables",
]
__version__ = "0.1.0"
