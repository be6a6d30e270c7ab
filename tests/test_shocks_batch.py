"""The shock library's directions and sizes, and batch runs (parallel, comparison, atomic output)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine
from engine.commands import batch
from engine.commands.cli import main

from .conftest import SCENARIOS, value

ALL = sorted(SCENARIOS.glob("*.toml"))


@pytest.fixture(scope="module")
def runs(baseline):
    return {p.stem: engine.simulate(baseline, engine.load_scenario(p), draws=1) for p in ALL}


def ye(runs, sid, year, unit, measure):
    return value(runs[sid].year_end(), year=year, unit=unit, measure=measure)


def test_fazer_lowers_unemployment_once_jobs_start(runs):
    base, fazer = runs["baseline"].labour.unemployed[0], runs["fazer"].labour.unemployed[0]
    months = runs["baseline"].grid.labels()
    start = months.index("2025-07")
    assert np.array_equal(base[:start], fazer[:start])  # nothing before the construction starts
    assert fazer[months.index("2026-06")] < base[months.index("2026-06")] - 50
    assert ye(runs, "fazer", 2028, "lahti", "unemployed") < ye(runs, "baseline", 2028, "lahti", "unemployed") - 100
    plan = runs["fazer_2022_plan"].labour.unemployed[0]
    assert plan[months.index("2027-12")] < base[months.index("2027-12")] - 200  # 900 jobs moved 2025–27


def test_refugees_raise_revenue_then_unemployment(runs):
    assert ye(runs, "refugees", 2023, "elinvoima", "revenue_keur") > ye(runs, "baseline", 2023, "elinvoima", "revenue_keur") + 1000
    assert ye(runs, "refugees", 2024, "lahti", "unemployed") > ye(runs, "baseline", 2024, "lahti", "unemployed") + 50
    assert ye(runs, "refugees", 2025, "tyollisyys", "tmt_cost_keur") > ye(runs, "baseline", 2025, "tyollisyys", "tmt_cost_keur")


def test_activation_lowers_tmt_and_downturn_raises_it(runs):
    for year in (2023, 2024, 2025):
        assert ye(runs, "activation", year, "tyollisyys", "tmt_cost_keur") < ye(runs, "baseline", year, "tyollisyys", "tmt_cost_keur")
    for year in (2025, 2026):
        assert ye(runs, "downturn", year, "tyollisyys", "tmt_cost_keur") > ye(runs, "baseline", year, "tyollisyys", "tmt_cost_keur") + 500
    assert ye(runs, "downturn", 2024, "lahti", "unemployed") > ye(runs, "baseline", 2024, "lahti", "unemployed") + 1000


def test_ecosystem_delay_lands_on_its_lines(runs):
    # 2023: revenue −600, costs −700 → margin +100 k€; 2024: the reverse
    d23 = ye(runs, "ecosystem_delay", 2023, "elinvoima", "margin_keur") - ye(runs, "baseline", 2023, "elinvoima", "margin_keur")
    d24 = ye(runs, "ecosystem_delay", 2024, "elinvoima", "margin_keur") - ye(runs, "baseline", 2024, "elinvoima", "margin_keur")
    assert d23 == pytest.approx(100, abs=1e-6) and d24 == pytest.approx(-100, abs=1e-6)
    dev = runs["ecosystem_delay"].deviations()
    assert value(dev, year=2023, unit="elinvoima", driver="ecosystem_delay.grants_received") == pytest.approx(-600)
    assert value(dev, year=2023, unit="elinvoima", driver="ecosystem_delay.purchased_services") == pytest.approx(700)


def test_refugee_compensation_hand_calculation(tmp_path, baseline, runs):
    # 100 arrivals a month 3–12/2022, a home municipality after 12 months: in 2023 the compensated
    # person-months are 100 + 200 + … + 1 000 = 5 500 at 0.12 × 6 845 + 0.88 × 2 300 = 2 845.4 € a year,
    # = 1 304.1 k€, plus initial assessments for the working-age adults only (DOMAIN.md; issue 13), the
    # default working_age_share 0.6 × 1 000 arrivals × 700 € = 420 k€ → 1 724.1 k€ on elinvoima grants received.
    (tmp_path / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "r.toml").write_text(
        'name = "r"\nextends = "baseline.toml"\n[shocks.a]\ntype = "arrivals"\n'
        'arrivals = [{ start = "2022-03", end = "2022-12", persons_per_month = 100 }]\n'
        "share_under_7 = 0.12\nmonths_to_home_municipality = 12\nservice_cost_eur_per_person_year = 0\n",
        encoding="utf-8")
    r = engine.simulate(baseline, engine.load_scenario(tmp_path / "r.toml"))
    got = value(r.year_end(), year=2023, unit="elinvoima", measure="grants_received_keur") - \
        ye(runs, "baseline", 2023, "elinvoima", "grants_received_keur")
    assert got == pytest.approx(5500 * (0.12 * 6845 + 0.88 * 2300) / 12 / 1000 + 0.6 * 1000 * 0.7, abs=0.5)
    # and the compensation stops after 3 years: the March 2022 cohort's last month is February 2026
    assert value(r.year_end(), year=2027, unit="elinvoima", measure="grants_received_keur") == \
        pytest.approx(ye(runs, "baseline", 2027, "elinvoima", "grants_received_keur"))


def test_te24_services_transfer_on_its_lines(runs):
    # central: 120 person-years × 60 k€ (triangular 90/120/150 has median 120) on staff; funding median 7 500 − ε
    dev = runs["te24_reform"].deviations()
    staff = value(dev, year=2025, unit="tyollisyys", driver="te24_services.staff")
    assert staff == pytest.approx(-120 * 60, rel=0.01)
    fund = value(dev, year=2025, unit="tyollisyys", driver="te24_services.grants_received")
    assert 7000 < fund < 7500


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("b") / "out"
    assert main(["run", *map(str, ALL), "--draws", "60", "--seed", "11", "--out", str(out), "--quiet", "--jobs", "2"]) == 0
    return out


def test_every_scenario_runs_in_one_batch(batch_out):
    ye_ = pd.read_csv(batch_out / "year_end.csv")
    assert set(ye_.scenario) == {p.stem for p in ALL}
    cmp = pd.read_csv(batch_out / "comparison.csv")
    assert set(cmp.scenario) == {p.stem for p in ALL} - {"baseline"}
    assert list(cmp.columns) == ["scenario", "year", "unit", "measure", "baseline_mean", "scenario_mean",
                                 "mean", "p10", "p50", "p90"]
    row = cmp[(cmp.scenario == "ecosystem_delay") & (cmp.year == 2023) & (cmp.measure == "margin_keur") & (cmp.unit == "elinvoima")]
    # a deterministic change has a zero-width band of differences: common random numbers at work
    assert row[["mean", "p10", "p50", "p90"]].to_numpy() == pytest.approx(np.full((1, 4), 100.0), abs=1e-3)


def test_batch_equals_single_runs_on_one_or_two_processes(batch_out, tmp_path):
    single = tmp_path / "single"
    assert main(["run", str(SCENARIOS / "refugees.toml"), "--draws", "60", "--seed", "11", "--out", str(single),
                 "--quiet", "--jobs", "1"]) == 0
    a = pd.read_csv(batch_out / "year_end.csv")
    b = pd.read_csv(single / "year_end.csv")
    a = a[a.scenario == "refugees"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_parallel_and_serial_batches_are_bit_identical(baseline):
    files = [engine.load_scenario(SCENARIOS / f) for f in ("refugees.toml", "downturn.toml", "baseline.toml")]
    two = batch.run_batch(files, draws=40, seed=3, jobs=2, progress=False)
    one = batch.run_batch(files, draws=40, seed=3, jobs=1, progress=False)
    for a, b in zip(two, one):
        for name in ("year_end", "monthly", "deviations"):
            pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
        assert np.array_equal(a.key_paths, b.key_paths)
    single = engine.simulate(baseline, files[0], draws=40, seed=3)
    pd.testing.assert_frame_equal(two[0].tables["year_end"], single.year_end(), check_exact=True)


def test_comparison_difference_is_narrower_than_the_bands(batch_out):
    cmp = pd.read_csv(batch_out / "comparison.csv")
    ye_ = pd.read_csv(batch_out / "year_end.csv")
    d = cmp[(cmp.scenario == "refugees") & (cmp.year == 2025) & (cmp.unit == "lahti") & (cmp.measure == "unemployed")].iloc[0]
    own = ye_[(ye_.scenario == "refugees") & (ye_.year == 2025) & (ye_.unit == "lahti") & (ye_.measure == "unemployed")].iloc[0]
    assert d.p90 - d.p10 < 0.5 * (own.p90 - own.p10)
    assert d["mean"] == pytest.approx(d.scenario_mean - d.baseline_mean, abs=0.01)  # CSV keeps 6 digits


def test_interrupted_batch_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def interrupted(path, draws, seed):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(path, draws, seed)

    original = batch.run_one
    monkeypatch.setattr(batch, "run_one", interrupted)
    out = tmp_path / "out"
    rc = main(["run", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "fazer.toml"), "--out", str(out), "--quiet",
               "--jobs", "1"])
    assert rc == 130
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_parquet_output(tmp_path):
    out = tmp_path / "pq"
    assert main(["run", str(SCENARIOS / "baseline.toml"), "--format", "parquet", "--out", str(out), "--quiet"]) == 0
    df = pd.read_parquet(out / "year_end.parquet")
    assert value(df, year=2022, unit="elinvoima", measure="revenue_keur") == pytest.approx(1900, abs=50)


def test_explain_names_changes_and_shocks(capsys):
    assert main(["explain", str(SCENARIOS / "te24_reform.toml")]) == 0
    text = capsys.readouterr().out
    assert "tmt.rule_set" in text and "2025-01" in text and "te24" in text
    assert "person-years" in text and "state funding" in text


def test_every_shock_type_has_one_compile_and_one_describe():
    """Adding a shock type touches its schema and its handler pair; a type without one fails here, not in a run."""
    from engine.load.shock_types import SHOCK_TYPES
    from engine.model.shocks import HANDLERS

    assert set(HANDLERS) == set(SHOCK_TYPES) and len(SHOCK_TYPES) == 7
