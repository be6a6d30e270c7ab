"""Decision tools (issue 15): the sensitivity tornado and variance shares, the goal seek, their CLI.

Expected figures come from the scenario files (an adjustment's k€), the parameters' distributions
(a lognormal's P10 by hand) and the engine's own baseline run (the goal seek's known answer: a target
equal to the baseline's own P80 must give the baseline's control value back).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import engine
from engine.commands.cli import main
from engine.load.parameters import Pins
from engine.results.output import write_tables

from .conftest import SCENARIOS

DRAWS, SEED = 200, 1
BASE_ACTIVATION = 24.2  # labour.activation_target_pct in parameters.toml (the report's 24,2 %)


@pytest.fixture(scope="module")
def B():
    return engine.load_baseline()


@pytest.fixture(scope="module")
def S():
    return engine.load_scenario(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="module")
def tmt(B, S):
    return engine.check_target(B, S, "tmt_cost_keur", "tyollisyys", 2025)


@pytest.fixture(scope="module")
def tornado(B, S, tmt):
    return engine.sensitivity(B, S, tmt, draws=DRAWS, seed=SEED, sobol_paths=2048)


def test_unpinned_pins_change_nothing_and_record_every_uncertain_entry(B, S):
    plain = engine.simulate(B, S, 50, SEED)
    pins = Pins()
    recorded = engine.simulate(B, S, 50, SEED, pins=pins)
    assert np.array_equal(plain.ledger.tmt_year, recorded.ledger.tmt_year)
    assert np.array_equal(plain.ledger.lines, recorded.ledger.lines)
    # parameters.toml's distributions that reach the 2022–2028 grid, and the ledger's four remainders
    assert {"tmt.exit_mult#0", "labour.matching_efficiency_mult#0", "ledger.tmt_appropriation_keur#0",
            "ledger.remainder.tyollisyys.costs"} <= set(pins.drawn)
    assert pins.drawn["ledger.remainder.tyollisyys.costs"] is None  # a standard normal z


def test_a_pinned_entry_takes_its_quantile_on_every_path(B, S):
    from engine.pipeline import grid_for

    grid = grid_for(B, S)
    params = S.parameters()
    # lognormal(median 1, sigma 0.10) at 0.9: exp(1.281552·0.10) = 1.13672
    one = params.sample(grid, 50, SEED, Pins({"tmt.exit_mult#0": 0.9})).scalar("tmt.exit_mult")
    assert one.shape == (50,) and np.allclose(one, math.exp(1.281552 * 0.10), atol=1e-5)
    # a (draws,) array pins path by path (the variance-share design); the other entries keep their streams
    u = np.linspace(0.05, 0.95, 50)
    per_path = params.sample(grid, 50, SEED, Pins({"tmt.exit_mult#0": u}))
    assert np.allclose(np.log(per_path.scalar("tmt.exit_mult")) / 0.10, [float(v) for v in __import__(
        "scipy.stats").stats.norm.ppf(u)], atol=1e-9)
    free = params.sample(grid, 50, SEED)
    assert np.array_equal(per_path.scalar("labour.matching_efficiency_mult"), free.scalar("labour.matching_efficiency_mult"))


def test_year_end_paths_are_what_the_year_end_table_summarises(B, S):
    r = engine.simulate(B, S, 60, SEED)
    ye = r.year_end().set_index(["year", "unit", "measure"])["mean"]
    for unit, measures in r.path_measures().items():
        for measure in measures:
            for year in (2022, 2025):
                assert r.year_end_paths(measure, unit, year).mean() == pytest.approx(ye[(year, unit, measure)],
                                                                                    rel=1e-12, abs=1e-9)


def test_tornado_columns_and_parameter_quantiles(tornado):
    df, mean = tornado
    assert tuple(df.columns) == ("input", "kind", "low_value", "high_value", "measure_low", "measure_high", "swing",
                                 "variance_share")
    row = df.set_index("input").loc["tmt.exit_mult"]
    # lognormal(median 1, sigma 0.10): P10 = exp(−1.2816·0.10) = 0.8797, P90 = exp(1.2816·0.10) = 1.1367
    assert row.low_value == pytest.approx(math.exp(-1.281552 * 0.10), abs=1e-4)
    assert row.high_value == pytest.approx(math.exp(1.281552 * 0.10), abs=1e-4)
    assert row.kind == "parameter_p10_p90"
    # more exits from the subsidy (P90) → less TMT than fewer (P10)
    assert row.measure_high < mean < row.measure_low
    assert row.swing == pytest.approx(row.measure_low - row.measure_high)
    assert list(df.swing) == sorted(df.swing, reverse=True)


def test_tornado_drivers_and_shares(tornado):
    df, _ = tornado
    by = df.set_index("input")
    # the TMT has its own model: no adjustment of baseline.toml touches it (swing exactly 0 k€)
    adj = by[by.kind == "adjustment_without_with"]
    assert len(adj) == 7 and (adj.swing == 0).all() and adj.variance_share.isna().all()
    # the leading inputs of the TMT are the labour market's matching and the subsidy's exits
    assert set(df.input[:2]) == {"labour.matching_efficiency_mult", "tmt.exit_mult"}
    # an input that cannot reach 2025 (a 2028 rate) moves nothing and explains ~nothing (estimator noise < 0.02)
    assert by.loc["tmt.daily_rate_eur (from 2028-01)"].swing == 0
    assert abs(by.loc["tmt.daily_rate_eur (from 2028-01)"].variance_share) < 0.02
    assert by.loc["labour.matching_efficiency_mult"].variance_share > 0.25
    shares = df.variance_share.dropna()
    assert shares.sum() < 1.05  # first-order shares cannot add up to more than the variance (+ noise)


def test_an_adjustment_swings_a_margin_by_its_own_amount(B, S):
    # baseline.toml: immigration_compensation +800 k€ on elinvoima grants received (a revenue: the margin)
    target = engine.check_target(B, S, "margin_keur", "elinvoima", 2022)
    df, _ = engine.sensitivity(B, S, target, draws=DRAWS, seed=SEED, sobol_paths=1024)
    row = df.set_index("input").loc["adjustments.immigration_compensation"]
    assert row.measure_high - row.measure_low == pytest.approx(800.0, abs=5.0)  # k€; the remainder noise scales it


def test_goal_seek_gives_the_baseline_back_for_its_own_p80(B, S, tmt):
    base = np.asarray(tmt.paths(engine.simulate(B, S, DRAWS, SEED)))
    p80 = float(np.quantile(base, 0.8))
    ctl = engine.control(B, S, "activation")
    ans = engine.goal_seek(B, ctl.make, ctl.lo, ctl.hi, tmt, at_most=p80, probability=0.8, draws=DRAWS, seed=SEED)
    assert ans.status == "solved" and ans.meets_above  # more activation → less TMT
    tol = (ctl.hi - ctl.lo) * 1e-4  # the solver's xtol (XTOL_SHARE of 0…80 %): 0.008 points
    assert ans.value == pytest.approx(BASE_ACTIVATION, abs=2 * tol)
    # the check: P(TMT ≤ target) at the answer is the probability asked for, to one path in DRAWS
    assert ans.probability == pytest.approx(0.8, abs=1.5 / DRAWS)
    again = np.asarray(tmt.paths(engine.simulate(B, ctl.make(ans.value), DRAWS, SEED)))
    assert np.mean(again <= p80) == pytest.approx(ans.probability)
    # the same target from below: at least the baseline's own P20 with 80 % → the same activation
    p20 = float(np.quantile(base, 0.2))
    low = engine.goal_seek(B, ctl.make, ctl.lo, ctl.hi, tmt, at_least=p20, probability=0.8, draws=DRAWS, seed=SEED)
    assert low.status == "solved" and not low.meets_above
    assert low.value == pytest.approx(BASE_ACTIVATION, abs=2 * tol)


def test_goal_seek_says_when_no_value_meets_the_target(B, S, tmt):
    ctl = engine.control(B, S, "activation")
    ans = engine.goal_seek(B, ctl.make, ctl.lo, ctl.hi, tmt, at_most=1000, probability=0.8, draws=DRAWS, seed=SEED)
    assert ans.status == "never_met" and ans.value is None
    assert ans.at == 80.0  # the most activation comes closest
    text = ans.describe("activation", tmt)
    assert "no activation tried within 0…80 (9 values) meets" in text and "over the target" in text
    assert ans.quantile > 1000 and ans.probability < 0.8


def test_goal_seek_on_a_figure_that_is_not_monotone_takes_the_crossing_nearest_the_current_value(B, S):
    """More activation lowers the TMT but buys services (labour.service_cost_eur_per_person_month), so the
    ETP margin is worse at both ends of 0…80 %: "at most its own mean" is met at both bounds and not at
    the baseline's 24.2 %. Two endpoints alone would have said "every value meets it"."""
    margin = engine.check_target(B, S, "margin_keur", "etp", 2025)
    level = float(np.mean(margin.paths(engine.simulate(B, S, DRAWS, SEED))))
    ctl = engine.control(B, S, "activation")
    assert ctl.current == pytest.approx(BASE_ACTIVATION)
    ans = engine.goal_seek(B, ctl.make, ctl.lo, ctl.hi, margin, at_most=level, probability=0.8, draws=DRAWS,
                           seed=SEED, current=ctl.current)
    assert ans.status == "solved" and ans.crossings == 2
    assert ans.value < BASE_ACTIVATION and not ans.meets_above  # the lower crossing is the nearer one
    assert ans.probability == pytest.approx(0.8, abs=1.5 / DRAWS)
    assert "not monotone" in ans.describe("activation", margin)


# ------------------------------------------------------------------------------------------ CLI
def test_cli_sensitivity_writes_csv_spec_and_png(tmp_path, capsys):
    out = tmp_path / "sens"
    assert main(["sensitivity", str(SCENARIOS / "baseline.toml"), "--measure", "tmt_cost_keur", "--unit", "tyollisyys",
                 "--year", "2025", "--draws", "100", "--seed", "1", "--out", str(out)]) == 0
    df = pd.read_csv(out / "sensitivity.csv")
    assert list(df.columns) == ["input", "kind", "low_value", "high_value", "measure_low", "measure_high", "swing",
                                "variance_share"]
    spec = json.loads((out / "sensitivity.json").read_text())
    bars = {v["input"] for v in spec["layer"][0]["data"]["values"]}
    assert bars == set(df.input[df.swing > 0][:15])
    assert (out / "sensitivity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "labour.matching_efficiency_mult" in capsys.readouterr().out


@pytest.mark.parametrize("args,flag,value", [
    (["sensitivity", "--unit", "tyollisyyss"], "--unit", "'tyollisyyss'"),
    (["sensitivity", "--measure", "tmt_cost"], "--measure", "'tmt_cost'"),
    (["sensitivity", "--year", "2035"], "--year", "2035"),
    (["solve", "--control", "activaton", "--at-most", "17000"], "--control", "'activaton'"),
    (["solve", "--control", "fazer_jobs", "--at-most", "17000"], "--control", "'fazer_jobs'"),
    (["solve", "--control", "activation", "--at-most", "17000", "--probability", "1.5"], "--probability", "1.5"),
])
def test_cli_refuses_a_bad_flag_naming_it(args, flag, value, capsys):
    cmd, rest = args[0], args[1:]
    assert main([cmd, str(SCENARIOS / "baseline.toml"), *rest]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"'{flag}'" in err and value in err
    assert "allowed" in err or "use a scenario with one (e.g. scenarios/fazer.toml)" in err


def test_cli_solve_prints_the_answer_and_its_check(capsys):
    assert main(["solve", str(SCENARIOS / "baseline.toml"), "--control", "activation", "--year", "2025",
                 "--at-most", "17000", "--probability", "0.8", "--draws", "200", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "activation = " in text and "or more meets P(tmt_cost_keur ≤ 17,000) ≥ 80%" in text


def test_out_writer_keeps_its_own_files_written_as_bytes(tmp_path):
    df = pd.DataFrame({"a": [1.0]})
    write_tables({"t": df, "chart.json": b"{}", "chart.png": b"\x89PNG"}, tmp_path / "o")
    write_tables({"t": df, "chart.json": b"{ }", "chart.png": b"\x89PNG2"}, tmp_path / "o")  # its own: no --force
    assert (tmp_path / "o" / "chart.json").read_bytes() == b"{ }"
    with pytest.raises(ValueError):
        write_tables({"run.sh": b"rm -rf"}, tmp_path / "p")
