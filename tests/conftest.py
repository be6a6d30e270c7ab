from __future__ import annotations

from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline():
    return engine.load_baseline()


@pytest.fixture(scope="session")
def baseline_scenario():
    return engine.load_scenario(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="session")
def central(baseline, baseline_scenario):
    """The baseline scenario's central path (one draw: medians, no noise)."""
    return engine.simulate(baseline, baseline_scenario, draws=1, seed=0)


def value(df, **keys):
    """The single 'mean' of the row matching keys."""
    sel = df
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (keys, len(sel))
    return float(sel["mean"].iloc[0])


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A fresh calibration cache (ETP_ENNUSTE_CACHE) for a module's period packs: each new pack is fitted
    once per module, and never into the user's own cache."""
    mp = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("cache")
    mp.setenv("ETP_ENNUSTE_CACHE", str(folder))
    yield folder
    mp.undo()
