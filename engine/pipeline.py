"""Runs the stages in order for N paths: parameters → shocks → labour and TMT paths → ledger → Result."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import numpy as np

from engine.model import tmt
from engine.load.baseline import Baseline
from engine.common.calendar import MonthGrid, parse_month
from engine.common.errors import UserError
from engine.common import memory
from engine.model.inputs import prepare
from engine.model.labour import LONG_TERM_MONTHS, LabourPaths, apply_level_error, stitch_history
from engine.model.calibration_cache import parameters_for
from engine.model.ledger import forecast_ledger
from engine.load.parameters import Parameters, Pins
from engine.model.paths import run
from engine.results.result import CHUNK_PATHS, ChunkedResult, Result
from engine.load.scenario import Scenario
from engine.model.shocks import compile_shocks

MAX_DRAWS = 1_000_000

memory.configure()  # a run's fresh (P, T) arrays: see engine.common.memory

# Peak resident memory of one run, tables included: BASE + PER_PATH_MONTH × paths held at once × grid
# months, and for a run in chunks (more than CHUNK_PATHS paths, which are then held at once) also
# CHUNKED_PER_PATH_MONTH × draws × grid months, what the chunks' tables keep of every path (the paths
# inside the percentile brackets, engine.results.result._ChunkStats, and the allocator's slack).
# Measured 2026-11-29 (numpy 2.4, pandas 3.1, numba, Python 3.11, Linux) as the peak RSS (VmHWM) of
# `benchmarks/peak_rss.py` (simulate + the three tables) on baseline's 84-month grid: 296 MiB at
# 1 draw, 644 MiB at 20 000, 716 MiB at 25 000 (205 bytes per path-month on about 300 MiB, numba's
# import among it); in chunks of 25 000: 935 MiB at 100 000, 2 570 MiB at 1 000 000 (23 bytes per path-month kept).
# Rounded up here.
# Re-measure when the kernel changes what a run keeps.
MEMORY_BASE_BYTES = 320 * 2**20
MEMORY_BYTES_PER_PATH_MONTH = 215
MEMORY_CHUNKED_BYTES_PER_PATH_MONTH = 25


def estimate_memory_bytes(draws: int, months: Sequence[int], extra_bytes: int = 0) -> int:
    """Peak memory of runs of ``draws`` paths on grids of ``months`` months each, all at once (one
    process each), plus ``extra_bytes`` kept elsewhere."""
    kept = MEMORY_CHUNKED_BYTES_PER_PATH_MONTH * draws if draws > CHUNK_PATHS else 0
    return sum(MEMORY_BASE_BYTES + (MEMORY_BYTES_PER_PATH_MONTH * min(draws, CHUNK_PATHS) + kept) * m
               for m in months) + extra_bytes


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
    extra_per_path = extra_bytes // max(draws, 1)
    fits, top = 0, draws  # the most paths that fit (the estimate grows with the paths): bisection
    while fits < top:
        mid = (fits + top + 1) // 2
        if estimate_memory_bytes(mid, months, extra_per_path * mid) <= have[0]:
            fits = mid
        else:
            top = mid - 1
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


def check_units(baseline: Baseline, scenario: Scenario) -> None:
    """Every unit the scenario names (adjustments, ledger shocks) is one of the period pack's units."""
    named = [(f"adjustments.{k}.unit", a.unit) for k, a in scenario.adjustments.items()]
    named += [(f"shocks.{k}.changes[{i}].unit", c.unit) for k, s in scenario.shocks.items()
              for i, c in enumerate(getattr(s, "changes", ()))]
    for field, unit in named:
        if unit not in baseline.units:
            raise UserError(f"value '{unit}' is not a unit of the period pack {baseline.file}; allowed: "
                            f"{', '.join(baseline.units)}", file=scenario.file, field=field)


def _check_run_args(draws, seed) -> None:
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or not 1 <= draws <= MAX_DRAWS:
        raise UserError(f"draws must be a whole number within 1…{MAX_DRAWS}, got {draws!r}", field="draws")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UserError(f"seed must be a whole number ≥ 0, got {seed!r}", field="seed")


def simulate(baseline: Baseline, scenario: Scenario, draws: int = 1, seed: int = 0,
             params: Parameters | None = None, pins: Pins | None = None) -> Result | ChunkedResult:
    """Forecast ``draws`` paths of the scenario. ``draws=1`` is the central path (medians, no noise).

    Up to :data:`CHUNK_PATHS` paths the :class:`Result` holds every path; a bigger run goes in chunks
    (:func:`simulate_chunks`) and returns a :class:`ChunkedResult`: its three tables only, the same
    percentiles as one run would give (exact), so memory stays bounded at any path count.

    The same (baseline, scenario, draws, seed) gives bit-identical results; every uncertain parameter
    draws from its own seeded stream, so scenarios run with one seed share their random numbers.
    ``pins`` holds chosen entries' uniforms fixed and records what the run draws
    (:class:`engine.load.parameters.Pins`, the sensitivity analysis's seam).
    ``params`` default to the baseline pack's calibration (engine.model.calibration_cache).
    """
    _check_run_args(draws, seed)
    check_units(baseline, scenario)
    draws, seed = int(draws), int(seed)
    grid = grid_for(baseline, scenario)
    check_memory(draws, [len(grid)])
    if draws > CHUNK_PATHS:
        return ChunkedResult.collect(simulate_chunks(baseline, scenario, draws, seed, params, pins=pins))
    params = scenario.parameters(params if params is not None else parameters_for(baseline))
    return _simulate(baseline, scenario, params.sample(grid, draws, seed, pins), grid)


def simulate_chunks(baseline: Baseline, scenario: Scenario, draws: int, seed: int, params: Parameters | None = None,
                    chunk_paths: int | None = None, pins: Pins | None = None) -> Iterator[Result]:
    """The run :func:`simulate` makes of ``draws`` paths, as :class:`Result` chunks of ``chunk_paths``
    (:data:`CHUNK_PATHS`) paths in path order: path i of the run is path i − offset of its chunk, the
    same numbers bit for bit (each path's draws depend only on the seed and its index; nothing in the
    model is summed across paths). Chunks hold the "booked above forecast" driver for every unit (zeros
    where nothing was raised) so that their tables have the same rows."""
    _check_run_args(draws, seed)
    check_units(baseline, scenario)
    chunk = int(chunk_paths or CHUNK_PATHS)
    if chunk % 2:  # the ledger's antithetic pairs (2k, 2k+1) must not straddle two chunks
        raise ValueError("chunk_paths must be even")
    grid = grid_for(baseline, scenario)
    params = scenario.parameters(params if params is not None else parameters_for(baseline))
    streams: dict = {}
    for offset in range(0, draws, chunk):
        n = min(chunk, draws - offset)
        yield _simulate(baseline, scenario, params.sample(grid, n, seed, pins, offset=offset, total=draws, streams=streams),
                        grid, all_floor_drivers=True)


def _simulate(baseline: Baseline, scenario: Scenario, pdraws, grid: MonthGrid, all_floor_drivers: bool = False) -> Result:
    draws, seed = pdraws.draws, pdraws.seed
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
                    baseline.tmt.closing_prev_keur, baseline.as_of_month)
    ledger = forecast_ledger(baseline, scenario, pdraws, grid, cost, shocks.ledger, all_floor_drivers=all_floor_drivers)
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
    money = (ledger.lines, ledger.tmt_year, ledger.rate_revenue, ledger.rate_costs, ledger.monthly_tmt)  # the monthly series' parts
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


__all__ = ["simulate", "simulate_chunks", "CHUNK_PATHS", "grid_for", "check_central", "check_memory", "check_outputs", "estimate_memory_bytes",
           "LONG_TERM_MONTHS"]
