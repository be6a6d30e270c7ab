"""Shared fixtures and target bookkeeping for the pytest-benchmark suite.

The suite is not part of the plain ``pytest`` run (``testpaths`` in pyproject.toml names only
``tests`` and ``engine``); run it by naming the folder::

    .venv/bin/pytest benchmarks --benchmark-json=benchmarks/results/latest.json

Speed targets are *recorded*, never asserted: each benchmark writes ``extra_info[<target>] =
{target, measured, ratio, met, ...}`` and the end of the run prints every target in one table and adds
it to the JSON as ``"targets"``. A benchmark does assert that it computed something sensible (shapes,
ordered percentiles, written files), so that it cannot silently time nothing.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@dataclass
class Target:
    """One target: ``kind`` is "max" (measured ≤ limit), "min" (measured ≥ limit), "range" (lo ≤ measured ≤ hi)
    or "info" (a figure to report, no target)."""

    name: str
    benchmark: str
    what: str
    unit: str
    kind: str
    limit: float | None = None
    lo: float | None = None
    hi: float | None = None
    measured: float | None = None
    ratio: float | None = None  # measured / limit (for a range: measured / its middle)
    met: bool | None = None
    note: str = ""

    @property
    def target(self) -> str:
        if self.kind == "info":
            return "(report)"
        if self.kind == "range":
            return f"{self.lo:g}…{self.hi:g} {self.unit}".strip()
        return f"{'≤' if self.kind == 'max' else '≥'} {self.limit:g} {self.unit}".strip()


TARGETS: list[Target] = []  # every target recorded in this session, in order
FIGURES: dict = {}  # named measurements that later benchmarks combine (e.g. 10k time for the 100k ratio)


def seconds(benchmark, stat: str = "median") -> float:
    """The benchmark's median (or ``stat``) round time in seconds; NaN when timing is off
    (``--benchmark-disable``: every benchmark then runs once as a smoke test, its targets "not measured")."""
    stats = getattr(benchmark.stats, "stats", None)
    return float(getattr(stats, stat)) if stats is not None else math.nan


def record(benchmark, name: str, measured: float | None, *, what: str, unit: str = "s", limit: float | None = None,
           kind: str = "max", lo: float | None = None, hi: float | None = None, note: str = "", **extra) -> Target:
    """Write a target into the benchmark's ``extra_info`` and the session table (no assert: a missed
    target is a figure, not a failure). ``measured=None`` records the target as not measured."""
    t = Target(name=name, benchmark=benchmark.name, what=what, unit=unit, kind=kind, limit=limit, lo=lo, hi=hi,
               note=note)
    if measured is not None and math.isfinite(measured):
        t.measured = float(measured)
        if kind == "info":
            pass
        elif kind == "range":
            t.met = lo <= measured <= hi
            t.ratio = measured / ((lo + hi) / 2.0)
        else:
            t.met = measured <= limit if kind == "max" else measured >= limit
            t.ratio = measured / limit
    info = {k: v for k, v in asdict(t).items() if k not in ("name", "benchmark", "kind")}
    info["target"] = t.target
    info.update(extra)
    benchmark.extra_info[name] = info
    TARGETS.append(t)
    return t


@pytest.fixture(scope="session")
def baseline():
    return engine.load_baseline()


@pytest.fixture(scope="session")
def baseline_scenario():
    return engine.load_scenario(SCENARIOS / "baseline.toml")


def prepared_inputs(baseline, scenario, draws: int, seed: int = 1):
    """The month loop's Inputs for ``draws`` paths, built the way engine.simulate builds them."""
    from engine.model.inputs import prepare
    from engine.model.shocks import compile_shocks
    from engine.pipeline import grid_for

    grid = grid_for(baseline, scenario)
    pd = scenario.parameters().sample(grid, draws, seed)
    return prepare(baseline, pd, grid, compile_shocks(scenario, baseline, pd, grid)).inputs


def array_bytes(obj) -> int:
    """Bytes of every numpy array field of a dataclass (Inputs or PathArrays)."""
    return sum(v.nbytes for v in vars(obj).values() if isinstance(v, np.ndarray))


@pytest.fixture(scope="session")
def suite():
    """The helpers above for the benchmark modules (``--import-mode=importlib`` cannot import conftest)."""
    return SimpleNamespace(record=record, seconds=seconds, figures=FIGURES, prepared_inputs=prepared_inputs,
                           array_bytes=array_bytes, root=ROOT, scenarios=SCENARIOS)


LOAD: dict[str, tuple[float, float, float]] = {}  # os.getloadavg() at the start and end of the session


def pytest_sessionstart(session):
    LOAD["start"] = os.getloadavg()


def pytest_benchmark_update_json(config, benchmarks, output_json):
    LOAD["end"] = os.getloadavg()
    output_json["targets"] = [dict(asdict(t), target=t.target) for t in TARGETS]
    output_json["load_average"] = dict(LOAD)  # other processes on the machine make every figure slower


def pytest_terminal_summary(terminalreporter):
    if not TARGETS:
        return
    tr = terminalreporter
    tr.section("etp-ennuste targets (issue 6)")
    tr.write_line(f"{'target':<28}{'measured':>14}  {'target':<16}{'ratio':>8}  met")
    for t in TARGETS:
        m = "not measured" if t.measured is None else f"{t.measured:.4g} {t.unit}".strip()
        r = "" if t.ratio is None else f"{t.ratio:.3g}"
        met = "-" if t.met is None else ("yes" if t.met else "NO")
        tr.write_line(f"{t.name:<28}{m:>14}  {t.target:<16}{r:>8}  {met}" + (f"  ({t.note})" if t.note else ""))
    start, end = LOAD.get("start"), os.getloadavg()
    tr.write_line(f"load average (1 min) at start {start[0]:.2f}, at end {end[0]:.2f} on {os.cpu_count()} CPUs: "
                  "well above 0 means other processes shared the cores and the figures are slower than the machine"
                  if start else "")
