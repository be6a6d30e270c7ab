"""Batch runs: many scenario files in parallel processes, one set of tables, and the comparison
with the baseline on common random numbers.

Each scenario runs in a worker process with the same draws and seed, so every uncertain parameter
and noise series is drawn from the same keyed streams in every scenario (engine.parameters): path i
of a scenario and path i of the baseline share their random numbers, and the P10/P50/P90 of the
*difference* measure the scenario's effect, not noise. Results do not depend on the number of
processes: each scenario's numbers come from its own deterministic run.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .baseline import load_baseline
from .result import summarise
from .scenario import Scenario, load_scenario
from .simulate import simulate

KEY_MEASURES = (
    ("elinvoima", "margin_keur"), ("tyollisyys", "margin_keur"), ("etp", "margin_keur"),
    ("elinvoima", "revenue_keur"), ("tyollisyys", "costs_keur"), ("tyollisyys", "tmt_cost_keur"),
    ("lahti", "unemployed"), ("lahti", "unemployed_avg"), ("lahti", "long_term_unemployed"),
    ("lahti", "unemployment_rate_pct"), ("lahti", "tmt_recipients"),
)


@dataclass(frozen=True)
class ScenarioOutput:
    """What a worker sends back: the tidy tables and the key measures per path for comparisons."""

    id: str
    tables: dict[str, pd.DataFrame]
    years: np.ndarray  # (years,)
    key_paths: np.ndarray  # (draws, years, len(KEY_MEASURES))


def _key_paths(result) -> np.ndarray:
    led = result.ledger
    rev, cost = led.revenue(), led.costs()  # (draws, years, units)
    margin = rev - cost
    lab = result.labour.year_end_measures(result.grid)
    cols = [margin[..., 0], margin[..., 1], margin.sum(-1), rev[..., 0], cost[..., 1], led.tmt_year]
    cols += [lab[m] for m in ("unemployed", "unemployed_avg", "long_term_unemployed", "unemployment_rate_pct",
                              "tmt_recipients")]
    draws = led.lines.shape[0]
    return np.stack([np.broadcast_to(c, (draws, len(led.years))) for c in cols], axis=-1)


def run_one(path: str, draws: int, seed: int) -> ScenarioOutput:
    result = simulate(load_baseline(), load_scenario(path), draws=draws, seed=seed)
    tables = {"year_end": result.year_end(), "monthly": result.monthly(), "deviations": result.deviations()}
    return ScenarioOutput(result.scenario.id, tables, result.years, _key_paths(result))


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
        stats = summarise(diff.reshape(diff.shape[0], -1)).reshape(n, len(KEY_MEASURES), 4)
        for y in range(n):
            for k, (unit, measure) in enumerate(KEY_MEASURES):
                frames.append((o.id, int(o.years[y]), unit, measure, float(base.key_paths[:, y, k].mean()),
                               float(o.key_paths[:, y, k].mean()), *stats[y, k]))
    return pd.DataFrame(frames, columns=["scenario", "year", "unit", "measure", "baseline_mean", "scenario_mean",
                                         "mean", "p10", "p50", "p90"])


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run_batch(scenarios: list[Scenario], draws: int, seed: int, jobs: int | None = None,
              progress: bool = True) -> list[ScenarioOutput]:
    """Run every scenario (already validated) on ``jobs`` processes; outputs in the order given."""
    from tqdm import tqdm

    jobs = jobs or default_jobs()
    files = [s.file for s in scenarios]
    bar = tqdm(total=len(files), desc="ennuste", unit="scenario", disable=not progress or None, leave=False)
    try:
        if jobs == 1 or len(files) == 1:
            outputs = []
            for f in files:
                outputs.append(run_one(f, draws, seed))
                bar.update()
            return outputs
        with ProcessPoolExecutor(max_workers=min(jobs, len(files))) as pool:
            futures = [pool.submit(run_one, f, draws, seed) for f in files]
            for fut in futures:
                fut.add_done_callback(lambda _: bar.update())
            try:
                return [fut.result() for fut in futures]
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
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
    from .scenario import scenario_root

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
