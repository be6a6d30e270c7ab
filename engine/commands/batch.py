"""Batch runs: many scenario files in parallel processes, one set of tables, and the comparison
with the baseline on common random numbers.

Each scenario runs in a worker process with the same draws and seed, so every uncertain parameter
and noise series is drawn from the same keyed streams in every scenario (engine.load.parameters): path i
of a scenario and path i of the baseline share their random numbers, and the P10/P50/P90 of the
*difference* measure the scenario's effect, not noise. Results do not depend on the number of
processes: each scenario's numbers come from its own deterministic run.

Workers die with the batch: each asks the kernel for SIGKILL when its parent dies (Linux
``prctl(PR_SET_PDEATHSIG)``) and also watches its parent pid from a thread (any POSIX system), so a
``kill -9`` of the main process leaves no worker running. Workers ignore Ctrl-C; the main process
stops them itself on an interrupt or SIGTERM.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.load.baseline import load_baseline
from engine.results.result import CHUNK_PATHS, ChunkedResult, summarise
from engine.load.scenario import Scenario, load_scenario
from engine.pipeline import check_memory as check_run_memory
from engine.pipeline import grid_for, simulate, simulate_chunks

LABOUR_KEYS = ("unemployed", "unemployed_avg", "long_term_unemployed", "unemployment_rate_pct", "tmt_recipients")


def key_measures(baseline) -> tuple[tuple[str, str], ...]:
    """(unit, measure) compared path by path: each unit's margin, etp's, the vitality unit's revenue, the
    employment unit's costs, the TMT, then the labour measures (the bundled pack: elinvoima, tyollisyys)."""
    return (tuple((u, "margin_keur") for u in baseline.units + ("etp",))
            + ((baseline.vitality_unit, "revenue_keur"), (baseline.employment_unit, "costs_keur"),
               (baseline.tmt_unit, "tmt_cost_keur"))
            + tuple(("lahti", m) for m in LABOUR_KEYS))


@dataclass(frozen=True)
class ScenarioOutput:
    """What a worker sends back: the tidy tables and the key measures per path for comparisons."""

    id: str
    tables: dict[str, pd.DataFrame]
    years: np.ndarray  # (years,)
    key_paths: np.ndarray  # (draws, years, len(measures))
    measures: tuple[tuple[str, str], ...] = ()  # key_measures(baseline): the last axis of key_paths


def _key_paths(result) -> np.ndarray:
    led, units = result.ledger, result.baseline.units
    rev, cost, margin = led.revenue(), led.costs(), led.margin()  # (draws, years, units)
    lab = result.labour.year_end_measures(result.grid)
    cols = [margin[..., u] for u in range(len(units))] + [margin.sum(-1)]
    cols += [rev[..., units.index(result.baseline.vitality_unit)], cost[..., units.index(result.baseline.employment_unit)],
             led.tmt_year]
    cols += [lab[m] for m in LABOUR_KEYS]
    draws = led.lines.shape[0]
    return np.stack([np.broadcast_to(c, (draws, len(led.years))) for c in cols], axis=-1)


def run_one(path: str, draws: int, seed: int, period: str | None = None) -> ScenarioOutput:
    """Run one scenario file on the period pack ``period`` (the bundled one if None)."""
    baseline, scenario = load_baseline(period), load_scenario(path)
    if draws > CHUNK_PATHS:  # in chunks (bounded memory): the tables, and the key measures of every path
        keys: list[np.ndarray] = []
        result = ChunkedResult.collect(simulate_chunks(baseline, scenario, draws, seed),
                                       each=lambda part: keys.append(_key_paths(part)))
        key_paths = np.concatenate(keys)
    else:
        result = simulate(baseline, scenario, draws=draws, seed=seed)
        key_paths = _key_paths(result)
    tables = {"year_end": result.year_end(), "monthly": result.monthly(), "deviations": result.deviations()}
    return ScenarioOutput(result.scenario.id, tables, result.years, key_paths, key_measures(baseline))


def comparison(outputs: list[ScenarioOutput], baseline_id: str) -> pd.DataFrame:
    """Each scenario minus the baseline, path by path: columns scenario, year, unit, measure,
    baseline_mean, scenario_mean, mean, p10, p50, p90 (of the difference)."""
    base = next(o for o in outputs if o.id == baseline_id)
    frames = []
    for o in outputs:
        if o.id == baseline_id:
            continue
        n = min(len(o.years), len(base.years))
        diff = o.key_paths[:, :n] - base.key_paths[:, :n]  # (draws, years, measures)
        stats = summarise(diff.reshape(diff.shape[0], -1)).reshape(n, len(base.measures), 4)
        for y in range(n):
            for k, (unit, measure) in enumerate(base.measures):
                frames.append((o.id, int(o.years[y]), unit, measure, float(base.key_paths[:, y, k].mean()),
                               float(o.key_paths[:, y, k].mean()), *stats[y, k]))
    return pd.DataFrame(frames, columns=["scenario", "year", "unit", "measure", "baseline_mean", "scenario_mean",
                                         "mean", "p10", "p50", "p90"])


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def check_memory(baseline, scenarios: list[Scenario], draws: int, jobs: int | None) -> None:
    """Refuse a batch whose runs at once (``min(jobs, files)`` processes, the longest horizons) and
    the key measures the main process keeps of every scenario need more memory than is available."""
    months = sorted((len(grid_for(baseline, s)) for s in scenarios), reverse=True)
    at_once = 1 if len(scenarios) == 1 else min(jobs or default_jobs(), len(scenarios))
    years = [-(-m // 12) for m in months]
    # the main process holds (draws, years, len(key_measures)) float64 per scenario, twice while unpickling
    kept = draws * len(key_measures(baseline)) * 8 * (sum(years) + max(years))
    check_run_memory(draws, months[:at_once], extra_bytes=kept)


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Worker initializer: exit when the main process ``parent`` exits, however it exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the main process decides
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the main process's handler inherited by fork
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="ennuste-parent-watch", daemon=True).start()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the workers now (shutdown() alone would wait for their running scenarios to finish)."""
    # Python 3.14 has pool.terminate_workers(); before it, the processes are only in _processes
    for proc in list(getattr(pool, "_processes", {}).values()):
        try:
            proc.kill()
        except (OSError, ValueError):
            pass
    pool.shutdown(wait=True, cancel_futures=True)


def run_batch(scenarios: list[Scenario], draws: int, seed: int, jobs: int | None = None,
              progress: bool = True, period: str | None = None) -> list[ScenarioOutput]:
    """Run every scenario (already validated) on ``jobs`` processes, on the period pack ``period`` (the
    bundled one if None); outputs in the order given."""
    from tqdm import tqdm

    jobs = jobs or default_jobs()
    files = [s.file for s in scenarios]
    more = () if period is None else (period,)  # the bundled pack: run_one's three-argument call, as before
    bar = tqdm(total=len(files), desc="ennuste", unit="scenario", disable=not progress or None, leave=False)
    try:
        if jobs == 1 or len(files) == 1:
            outputs = []
            for f in files:
                outputs.append(run_one(f, draws, seed, *more))
                bar.update()
            return outputs
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(files)), initializer=_die_with_parent,
                                   initargs=(os.getpid(),))
        try:
            futures = [pool.submit(run_one, f, draws, seed, *more) for f in files]
            for fut in futures:
                fut.add_done_callback(lambda _: bar.update())
            outputs = [fut.result() for fut in futures]
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown(wait=True)
        return outputs
    finally:
        bar.close()


def tables(outputs: list[ScenarioOutput], baseline_id: str | None) -> dict[str, pd.DataFrame]:
    out = {name: pd.concat([o.tables[name] for o in outputs], ignore_index=True)
           for name in ("year_end", "monthly", "deviations")}
    if baseline_id is not None and len(outputs) > 1:
        out["comparison"] = comparison(outputs, baseline_id)
    return out


def find_baseline(scenarios: list[Scenario], explicit: str | None) -> Path | None:
    """The baseline to compare against: ``--baseline``, else a file with stem 'baseline' in the batch,
    else ``baseline.toml`` at the root of the first file's scenario tree (if it exists)."""
    from engine.load.scenario import scenario_root

    if explicit:
        return Path(explicit)
    for s in scenarios:
        if s.id == "baseline":
            return Path(s.file)
    if scenarios:
        candidate = scenario_root(Path(scenarios[0].file)) / "baseline.toml"
        if candidate.exists():
            return candidate
    return None
