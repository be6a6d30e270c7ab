"""Packs with other units (issue 11: "any number of units"): the finance units follow the pack.

tests/fixtures/period_lahti_2022_06_three_units/ is a FIXTURE, not published data: the bundled
Jan–Jun 2022 pack plus a made-up unit ``kulttuuri`` (its README). The pack is calibrated on first
use (engine.model.calibration_cache), here into a temporary cache.
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

import engine
from engine.commands.cli import main
from engine.common.errors import UserError
from engine.load.period import PackError
from engine.pipeline import check_central
from engine.results.report_table import report_layout

from .conftest import ROOT

THREE = ROOT / "tests" / "fixtures" / "period_lahti_2022_06_three_units"
SCENARIOS = ROOT / "scenarios"
MONEY = ("revenue_keur", "costs_keur", "margin_keur")


@pytest.fixture(scope="module")
def three(cache):
    return engine.load_period(THREE)


@pytest.fixture(scope="module")
def runs(three):
    scenario = engine.load_scenario(SCENARIOS / "baseline.toml")
    return (engine.simulate(three, scenario, draws=200, seed=1).year_end(),
            engine.simulate(engine.load_baseline(), scenario, draws=200, seed=1).year_end())


def test_units_in_the_packs_order_with_their_roles(three):
    assert three.units == ("elinvoima", "tyollisyys", "kulttuuri")
    # the roles default to the Lahti codes the pack declares
    assert (three.tmt_unit, three.employment_unit, three.vitality_unit) == ("tyollisyys", "tyollisyys", "elinvoima")


def test_year_end_has_each_unit_and_etp_is_their_sum(runs):
    ye, _ = runs
    money = ye[ye.measure.isin(MONEY)]
    assert set(money.unit) == {"elinvoima", "tyollisyys", "kulttuuri", "etp"}
    wide = money.pivot_table(index=["year", "measure"], columns="unit", values="mean")
    gap = wide["etp"] - wide[["elinvoima", "tyollisyys", "kulttuuri"]].sum(axis=1)
    assert gap.abs().max() < 0.5  # k€: etp is defined as the units' sum
    assert set(ye[ye.measure == "tmt_cost_keur"].unit) == {"tyollisyys"}


def test_kulttuuri_forecast_is_its_budget_and_the_lahti_units_are_unchanged(runs):
    ye, bundled = runs
    b22 = ye[ye.year == 2022].set_index(["unit", "measure"])["mean"]
    # estimator "report" with no driver on kulttuuri: its budget year closes on its budget, −700 k€
    # (fixture ledger: revenue 300 − costs 1 000); the remainder noise averages out over antithetic pairs
    assert b22[("kulttuuri", "margin_keur")] == pytest.approx(-700.0, abs=0.5)
    assert b22[("kulttuuri", "budget_margin_keur")] == pytest.approx(-700.0, abs=0.5)
    # elinvoima and tyollisyys: the bundled pack's figures, same seed (their draws are keyed by unit)
    key = ["year", "unit", "measure"]
    mine = ye[ye.unit.isin(["elinvoima", "tyollisyys"])].set_index(key)["mean"]
    theirs = bundled[bundled.unit.isin(["elinvoima", "tyollisyys"])].set_index(key)["mean"]
    assert (mine - theirs.reindex(mine.index)).abs().max() < 0.5  # k€


def test_report_layout_has_the_third_unit(three, runs):
    ye, _ = runs
    layout = report_layout(ye, three, "baseline")
    assert list(dict.fromkeys(layout.unit)) == ["elinvoima", "tyollisyys", "kulttuuri", "etp"]
    etp_margin = layout[(layout.unit == "etp") & (layout.line == "margin")].iloc[0]
    # TA 2022: the pack's three budget margins, −8 626 − 21 659 − 700 k€
    assert etp_margin["TA 2022"] == pytest.approx(-30985.0, abs=0.5)


def test_cli_run_on_the_three_unit_pack(cache, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--period", str(THREE), str(SCENARIOS / "baseline.toml"), "--draws", "20", "--quiet",
                 "--out", str(out)]) == 0
    ye = pd.read_csv(out / "year_end.csv")
    assert {"elinvoima", "tyollisyys", "kulttuuri", "etp"} <= set(ye.unit)


def test_a_scenario_naming_an_unknown_unit_is_refused(cache, tmp_path, capsys):
    bad = tmp_path / "kirjasto.toml"
    bad.write_text('name = "x"\n[adjustments.books]\nlabel_fi = "Kirjat"\nlabel_en = "Books"\nunit = "kirjasto"\n'
                   'line = "purchased_services"\namount_keur = 10\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["run", "--period", str(THREE), str(bad), "--draws", "20", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "kirjasto.toml" in err and "adjustments.books.unit" in err and "'kirjasto'" in err
    assert "elinvoima, tyollisyys, kulttuuri" in err and "Traceback" not in err
    assert not out.exists()
    # on the bundled pack the allowed units are its two
    with pytest.raises(UserError, match="allowed: elinvoima, tyollisyys$"):
        check_central(engine.load_baseline(), engine.load_scenario(bad))


def test_a_pack_without_tyollisyys_must_name_its_tmt_unit(cache, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(THREE, pack)
    for name in ("units.csv", "ledger.csv", "staff_htv.csv"):
        f = pack / name
        f.write_text(f.read_text(encoding="utf-8").replace("tyollisyys,", "tyo,"), encoding="utf-8")
    with pytest.raises(PackError) as exc:
        engine.load_period(pack)
    text = str(exc.value)
    assert "meta" in text and "tmt_unit" in text and "employment_unit" in text and "declared: elinvoima, tyo, kulttuuri" in text
    with open(pack / "meta.csv", "a", encoding="utf-8") as f:
        f.write("tmt_unit,tyo,\nemployment_unit,tyo,\n")
    b = engine.load_period(pack)
    assert (b.units, b.tmt_unit, b.employment_unit) == (("elinvoima", "tyo", "kulttuuri"), "tyo", "tyo")
