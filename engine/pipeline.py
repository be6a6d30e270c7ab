"""Runs the stages in order for N paths: parameters → shocks → labour and TMT paths → ledger → Result."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from engine.model import tmt
from engine.load.baseline import Baseline
from engine.common.calendar import MonthGrid, parse_month
from engine.common.errors import UserError
from engine.model.inputs import prepare
from engine.model.labour import LONG_TERM_MONTHS, LabourPaths, apply_level_error, stitch_history
from engine.model.ledger import forecast_ledger
from engine.load.parameters import Parameters
from engine.model.paths import run
from engine.results.result import Result
from engine.load.scenario import Scenario
from engine.model.shocks import compile_shocks

MAX_DRAWS = 1_000_000

# Peak resident memory of one run, tables included: BASE + PER_PATH_MONTH × draws × grid months.
# Measured 2026-11-29 (numpy 2.4, pandas 3.1, numba, Python 3.11, Linux) as the peak RSS (VmHWM) of
# `ennuste run scenarios/baseline.toml --jobs 1 --quiet` on its 84-month grid, with the compiled kernel
# and issue 13's model: 296 MiB at 1 draw, 644 MiB at 20 000, 1 161 MiB at 50 000, 1 998 MiB at 100 000:
# 17.2 kB per path (205 bytes per path-month) on about 300 MiB (numba's import among it); rounded up
# here.
# Re-measure when the kernel changes what a run keeps.
MEMORY_BASE_BYTES = 320 * 2**20
MEMORY_BYTES_PER_PATH_MONTH = 215


def estimate_memory_bytes(draws: int, months: Sequence[int], extra_bytes: int = 0) -> int:
    """Peak memory of runs of ``draws`` paths on grids of ``months`` months each, all at once (one
    process each), plus ``extra_bytes`` kept elsewhere."""
    return sum(MEMORY_BASE_BYTES + MEMORY_BYTES_PER_PATH_MONTH * draws * m for m in months) + extra_bytes


def available_memory_bytes() -> tuple[int, str] | None:
    """Memory a run can have without swapping, and where that figure comes from; None if unknown.

    Linux: ``MemAvailable`` of /proc/meminfo, capped by a cgroup v2 limit (a container's);
    elsewhere the physical memory."""
    found = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found = (int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo")
                    break
    except (OSError, ValueError, IndexError):
        pass
    if found is None:
        try:
            found = (os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "physical memory")
        except (ValueError, OSError, AttributeError):
            return None
    try:
        with open("/sys/fs/cgroup/memory.max") as f:
            limit = f.read().strip()
        with open("/sys/fs/cgroup/memory.current") as f:
            used = int(f.read().strip())
        if limit != "max" and int(limit) - used < found[0]:
            found = (int(limit) - used, "the cgroup's memory.max")
    except (OSError, ValueError):
        pass
    return found


def check_memory(draws: int, months: Sequence[int], extra_bytes: int = 0) -> None:
    """Refuse up front runs (``months``: one grid length per process at once) that would not fit in memory."""
    need = estimate_memory_bytes(draws, months, extra_bytes)
    have = available_memory_bytes()
    if have is None or need <= have[0]:
        return
    per_path = estimate_memory_bytes(1, months, extra_bytes // max(draws, 1)) - len(months) * MEMORY_BASE_BYTES
    fits = max(0, (have[0] - len(months) * MEMORY_BASE_BYTES) // max(per_path, 1))
    fits -= fits % 10 ** max(len(str(fits)) - 2, 0)  # two significant digits, rounded down
    at_once = f" in {len(months)} processes at once" if len(months) > 1 else ""
    hint = f"use --draws {fits} or fewer" if fits >= 1 else "free some memory"
    if len(months) > 1:
        hint += " or fewer --jobs"
    raise UserError(f"{draws} paths × {max(months)} months{at_once} need about {need / 1e9:.1f} GB of memory; "
                    f"this machine has {have[0] / 1e9:.1f} GB available ({have[1]}); {hint}", field="draws")


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
    grid = grid_for(baseline, scenario)
    check_memory(draws, [len(grid)])
    params = scenario.parameters(params)
    pdraws = params.sample(grid, draws, seed)
    shocks = compile_shocks(scenario, baseline, pdraws, grid)
    prep = prepare(baseline, pdraws, grid, shocks)
    arr = run(prep.inputs, draws)
    tmt.add_arrivals(arr.tmt_cost_keur, arr.tmt_cost_bands_keur, arr.tmt_billed,
                     prep.arrivals_tmt_bands_keur, prep.arrivals_tmt_billed)
    # the months up to the as-of month are the deterministic history / first-half runs
    stitch_history(arr, prep.history, prep.inputs.t0)
    apply_level_error(arr, pdraws, grid, prep.inputs.t0)
    tmt.stitch_first_half(arr.tmt_cost_keur, arr.tmt_cost_bands_keur, arr.tmt_billed, prep.start)
    labour = LabourPaths.from_paths(arr, prep.inputs.labour_force)
    start = prep.start
    del prep  # the month loop's inputs, (P, T) arrays, are done with
    cost = tmt.cost(arr.tmt_cost_keur, arr.tmt_cost_bands_keur, grid, start, baseline.budget_year,
                    baseline.tmt.closing_prev_keur)
    ledger = forecast_ledger(baseline, scenario, pdraws, grid, cost, shocks.ledger)
    check_outputs(scenario, labour, ledger)
    return Result(scenario=scenario, baseline=baseline, draws=draws, seed=seed, grid=grid, ledger=ledger,
                  labour=labour)


# Output checks: which inputs move each kind of output (the first one the scenario sets is named)
_LABOUR_INPUTS = (("labour.labour_force_persons", "labour.inflow_multiplier", "labour.forecast_inflow_persons_per_month",
                   "labour.inflow_persons_per_month", "labour.", "tmt.initial_billed_"),
                  ("jobs", "pilot", "arrivals", "downturn", "activation", "services_transfer"))
_SUSPECTS = {
    "unemployment_rate_pct": (("labour.labour_force_persons",) + _LABOUR_INPUTS[0], _LABOUR_INPUTS[1]),
    "activation_rate_pct": (("labour.activation_target_pct",) + _LABOUR_INPUTS[0], ("activation",) + _LABOUR_INPUTS[1]),
    "labour": _LABOUR_INPUTS,
    "money": (("tmt.", "ledger.", "labour."), ("ledger", "services_transfer", "arrivals", "pilot", "jobs", "downturn")),
}


def _suspect(scenario: Scenario, kind: str) -> str | None:
    """The scenario input most likely behind a bad output of ``kind`` (see _SUSPECTS), or None."""
    params, shock_types = _SUSPECTS[kind]
    overrides = scenario.merged_overrides()
    for prefix in params:
        for name in overrides:
            if name.startswith(prefix):
                return f"parameters.{name}"
    for sid, shock in scenario.shocks.items():
        if shock.type in shock_types:
            return f"shocks.{sid}"
    if kind == "money" and scenario.adjustments:
        return f"adjustments.{next(iter(scenario.adjustments))}"
    return None


def check_outputs(scenario: Scenario, labour: LabourPaths, ledger) -> None:
    """Refuse a run whose outputs are not physically possible: any inf/NaN, a rate outside 0–100 %,
    a stock of persons below 0. Each is a :class:`UserError` naming the likeliest input; the
    parameter and shock ranges make them rare, this catches combinations of in-range inputs."""
    tol = 1e-6
    problems = []
    for name in ("unemployment_rate_pct", "activation_rate_pct"):
        a = getattr(labour, name)
        if not np.isfinite(a).all():
            problems.append((name, f"the forecast {name} is not a finite number"))
        elif a.min() < -tol or a.max() > 100 + tol:
            problems.append((name, f"the forecast {name} reaches {a.min() if a.min() < -tol else a.max():,.1f} %; "
                                   "a rate must stay within 0–100 %"))
    for name in ("unemployed", "long_term_unemployed", "tmt_recipients", "exits_to_employment"):
        a = getattr(labour, name)
        if not np.isfinite(a).all():
            problems.append(("labour", f"the forecast {name} is not a finite number"))
        elif a.min() < -tol:
            problems.append(("labour", f"the forecast {name} falls to {a.min():,.0f} persons; it must stay ≥ 0"))
    money = (ledger.lines, ledger.tmt_year, ledger.monthly_revenue, ledger.monthly_costs)
    if not all(np.isfinite(a).all() for a in money):
        problems.append(("money", "the forecast money (k€) overflows to inf or NaN"))
    if problems:
        kind, what = problems[0]
        field = _suspect(scenario, kind)
        hint = "; check this input's value" if field else "; check the scenario's parameters and shocks"
        raise UserError(what + hint, file=scenario.file, field=field)


def check_central(baseline: Baseline, scenario: Scenario, params: Parameters | None = None) -> None:
    """Everything a run can refuse that needs no Monte Carlo: resolve the parameters by month, compile
    the shocks and run the central path (~40 ms) through the ledger and the output checks. The commands
    call it for every file before any run starts, so a bad second file stops a batch before the first runs."""
    simulate(baseline, scenario, draws=1, seed=0, params=params)


__all__ = ["simulate", "grid_for", "check_central", "check_memory", "check_outputs", "estimate_memory_bytes",
           "LONG_TERM_MONTHS"]
