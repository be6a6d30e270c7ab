"""Another as-of month (issue 11 §3): the test fixture "Lahti 2022 as of April" runs end to end.

tests/fixtures/period_lahti_2022_04/ is a FIXTURE, not published data: the Jan–Jun 2022 pack with
the ledger's year-to-date columns pro-rated × 4/6, the TEM history cut at 4/2022 and the TMT at
Jan–Apr (its README says how each figure was made). The pack is calibrated on first use
(engine.model.calibration_cache), here into a temporary cache.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

import engine
from engine.commands.cli import main
from engine.load.baseline import LINES, UNITS
from engine.model import calibration_cache
from engine.model.tmt import months_booked

from .conftest import ROOT

APRIL = ROOT / "tests" / "fixtures" / "period_lahti_2022_04"
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def april(cache):
    return engine.load_period(APRIL)


@pytest.fixture(scope="module")
def april_run(april):
    return engine.simulate(april, engine.load_scenario(SCENARIOS / "baseline.toml"), draws=100, seed=1)


def test_april_pack_is_april(april):
    assert str(april.as_of) == "2022-04" and april.as_of_month == 4
    # pro-rated: tyollisyys grants paid Jan–Jun 8 512 k€ × 4/6 = 5 674.7 → 5 675 (README of the fixture)
    assert april.ledger["tyollisyys"].actual_ytd[LINES.index("grants_paid")] == 5675
    assert april.tmt.city_share_ytd_keur == 6600
    assert not calibration_cache.is_bundled(april)


def test_calibrated_once_and_cached(april, cache):
    params = calibration_cache.parameters_for(april)
    path = calibration_cache.cache_path(april)
    assert path.is_file() and path.parent == cache / "calibration"
    # the fit's TMT target is the pack's Jan–Apr 6 600 k€, met within 1 % (a report-kind target)
    import tomllib
    targets = tomllib.loads(path.read_text(encoding="utf-8"))["targets"]
    tmt = next(t for t in targets if t["unit"] == "k€")
    assert tmt["target"] == 6600 and abs(tmt["error_pct"]) < 1.0
    again = calibration_cache.parameters_for(april)  # read back from the cache, no new fit
    for name in ("labour.matching_efficiency", "tmt.amount_factor"):
        assert again[name].value == params[name].value


def test_year_end_keeps_every_line_booked(april, april_run):
    # The floor rule (engine/model/ledger.py): no budget-year line closes below what is booked by the
    # as-of month. Every path, unit and line; k€, exact (the raise is to the booked figure itself).
    lines = april_run.ledger.lines[:, 0]  # (paths, units, lines) magnitudes, the budget year
    for u, unit in enumerate(UNITS):
        booked = april.ledger[unit].actual_ytd
        assert (lines[:, u] >= booked[None] - 1e-9).all(), unit


def test_forecast_starts_after_april(april, april_run):
    grid = april_run.grid
    first = grid.months[np.flatnonzero(april_run.ledger.forecast_months)[0]]
    assert str(first) == "2022-05"
    # Kela's one-month lag: the April books hold the benefit months Jan–Mar; May books April's bill
    assert months_booked(april.as_of_month) == 3
    ye = april_run.year_end().set_index(["year", "unit", "measure"])["mean"]
    # The April fixture is the June report pro-rated, so its TMT year lands near the report's 19.8 M€
    # (DOMAIN.md; ± 0.5 M€: two months less of actuals, and a fit on the April figures).
    assert ye[(2022, "tyollisyys", "tmt_cost_keur")] == pytest.approx(19800, abs=500)


def test_shock_before_the_as_of_month_is_refused(tmp_path, capsys, cache):
    tree = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, tree)
    path = tree / "downturn.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('start = "2023-01"', 'start = "2022-03"'), encoding="utf-8")
    assert main(["validate", "--period", str(APRIL), str(path)]) == 2
    err = capsys.readouterr().err
    assert "shocks." in err and ".start" in err and "'2022-03' is on or before the period's as-of month 2022-04" in err, err
    # the same date after the as-of month is fine; activation.toml's 2022-07 start is after April
    assert main(["validate", "--period", str(APRIL), str(SCENARIOS / "activation.toml")]) == 0


def test_explain_names_the_period(capsys, cache):
    assert main(["explain", "--period", str(APRIL), str(SCENARIOS / "activation.toml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Period: {APRIL} — Lahti, as of 2022-04")


def test_cache_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("ETP_ENNUSTE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert calibration_cache.cache_dir() == tmp_path / "etp-ennuste" / "calibration"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert calibration_cache.cache_dir() == tmp_path / "home" / ".cache" / "etp-ennuste" / "calibration"
