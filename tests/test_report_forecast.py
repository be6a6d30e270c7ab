"""The baseline scenario reproduces the report's 2022 year-end forecast.

Expected figures: Seurantaraportti tammi–kesäkuu 2022 (shared/seed), printed to 0.1 M€; the
tolerance of ±50 k€ is that rounding.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine

from .conftest import SCENARIOS, value

ROUNDING_KEUR = 50


@pytest.mark.parametrize(
    "unit,measure,expected_keur,section",
    [
        ("elinvoima", "revenue_keur", 1900, "Elinvoimapalvelut, talouden ennuste: TOIMINTATUOTOT ENNUSTE 1,9"),
        ("elinvoima", "costs_keur", 9600, "Elinvoimapalvelut, talouden ennuste: TOIMINTAKULUT ENNUSTE 9,6"),
        ("tyollisyys", "revenue_keur", 1300, "Työllisyyspalvelut, talouden ennuste: TOIMINTATUOTOT ENNUSTE 1,3"),
    ],
)
def test_report_figures(central, unit, measure, expected_keur, section):
    got = value(central.year_end(), year=2022, unit=unit, measure=measure)
    assert got == pytest.approx(expected_keur, abs=ROUNDING_KEUR), section


def test_tyollisyys_costs(central):
    # Työllisyyspalvelut, talouden ennuste: TOIMINTAKULUT ENNUSTE 27,2 milj. euroa
    got = value(central.year_end(), year=2022, unit="tyollisyys", measure="costs_keur")
    assert got == pytest.approx(27200, abs=350)


def test_tyollisyys_costs_with_the_reports_tmt(central):
    # The foundation's ±50 k€ (report rounding) holds for everything but the TMT: with the report's own
    # TMT run-rate (19,8 milj. euroa) in place of the cohort model's, the costs are the report's 27,2.
    # The model's TMT (within ±300 k€, test_tmt) is the only source of the wider ±350 k€ above.
    ye = central.year_end()
    costs = value(ye, year=2022, unit="tyollisyys", measure="costs_keur")
    tmt = value(ye, year=2022, unit="tyollisyys", measure="tmt_cost_keur")
    assert costs - tmt + 19800 == pytest.approx(27200, abs=ROUNDING_KEUR)


def test_tmt(central):
    # Työllisyyden tilannekatsaus, kuntakokeilu: TYÖMARKKINATUEN KUNTAOSUUSENNUSTE 19,8 milj. euroa
    got = value(central.year_end(), year=2022, unit="tyollisyys", measure="tmt_cost_keur")
    assert got == pytest.approx(19800, abs=300)


def test_deviation_breakdown_adds_up(central):
    dev = central.deviations()
    d22 = dev[dev.year == 2022]
    for unit in ("elinvoima", "tyollisyys"):
        d = d22[d22.unit == unit].set_index("driver")["mean"]
        parts = d.drop(["budget_margin", "forecast_margin", "total_deviation"]).sum()
        assert parts == pytest.approx(d["total_deviation"], abs=1e-6)
        assert d["forecast_margin"] - d["budget_margin"] == pytest.approx(d["total_deviation"], abs=1e-6)
    e = d22[d22.unit == "elinvoima"].set_index("driver")["mean"]
    # the report's named elinvoima drivers: +0.8, −0.6 (revenue), −0.7 (costs → +0.7 margin)
    assert e["immigration_compensation"] == 800
    assert e["ecosystem_revenue"] == -600
    assert e["ecosystem_costs"] == 700
    # budget margin −8 626 k€ (Sitovuusalue table)
    assert e["budget_margin"] == pytest.approx(-8626, abs=1)


def test_staff_savings_from_person_years(central):
    # 6 501 k€ × (159 / 193 − 1): HTV forecast 159 against target 193 (Henkilöstö, henkilötyövuodet)
    dev = central.deviations()
    got = value(dev, year=2022, unit="tyollisyys", driver="staff_savings")
    assert got == pytest.approx(6501 * (1 - 159 / 193), abs=0.5)
    assert got == pytest.approx(1145, abs=1)


def test_run_rate_estimator_hand_calculation(baseline, tmp_path):
    # elinvoima revenue: Jan–Jun 2022 931 k€ ÷ (Jan–Jun 2021 748 / closing 2021 1 436) = 1 787.3 k€
    (tmp_path / "rr.toml").write_text('name = "rr"\n[settings]\nestimator = "run_rate"\nhorizon_end = "2022-12"\n')
    r = engine.simulate(baseline, engine.load_scenario(tmp_path / "rr.toml"))
    got = value(r.year_end(), year=2022, unit="elinvoima", measure="revenue_keur")
    assert got == pytest.approx(931 / (748 / 1436), abs=1)
    # and costs: 3 439 ÷ (3 274 / 7 462) = 7 838.0 k€
    got = value(r.year_end(), year=2022, unit="elinvoima", measure="costs_keur")
    assert got == pytest.approx(3439 / (3274 / 7462), abs=1)
    dev = r.deviations()
    assert value(dev, year=2022, unit="elinvoima", driver="unexplained") == pytest.approx(
        (1787.3 - 7838.0) - (-8626), abs=2)


def test_blend_is_weighted_mean(baseline, tmp_path):
    results = {}
    for est, extra in (("report", ""), ("run_rate", ""), ("blend", "blend_weight = 0.25\n")):
        path = tmp_path / f"{est}.toml"
        path.write_text(f'name = "{est}"\nextends = "base.toml"\n[settings]\nestimator = "{est}"\n{extra}')
        results[est] = path
    (tmp_path / "base.toml").write_text((SCENARIOS / "baseline.toml").read_text(encoding="utf-8"))
    m = {k: value(engine.simulate(baseline, engine.load_scenario(p)).year_end(), year=2022, unit="etp",
                  measure="margin_keur") for k, p in results.items()}
    assert m["blend"] == pytest.approx(0.25 * m["report"] + 0.75 * m["run_rate"], abs=1e-6)


def test_year_end_contract(central):
    ye = central.year_end()
    assert list(ye.columns) == ["scenario", "year", "unit", "measure", "mean", "p10", "p50", "p90"]
    assert set(ye.scenario) == {"baseline"}
    assert {"elinvoima", "tyollisyys", "etp"} <= set(ye.unit)
    for year in ye.year.unique():
        sel = ye[ye.year == year].set_index(["unit", "measure"])["mean"]
        for unit in ("elinvoima", "tyollisyys", "etp"):
            assert sel[(unit, "margin_keur")] == pytest.approx(sel[(unit, "revenue_keur")] - sel[(unit, "costs_keur")])
        assert sel[("etp", "costs_keur")] == pytest.approx(sel[("elinvoima", "costs_keur")] + sel[("tyollisyys", "costs_keur")])
    one = ye[ye.year == 2022]
    assert np.allclose(one[["mean", "p10", "p50", "p90"]].to_numpy().std(axis=1), 0)


def test_monthly_books_add_up_to_year(central, baseline):
    mo = central.monthly()
    ye = central.year_end()
    tmt_year = value(ye, year=2022, unit="tyollisyys", measure="tmt_cost_keur")
    tmt = mo[(mo.measure == "tmt_cost_keur") & mo.month.str.startswith("2022")]
    # Kela bills one month in arrears and December is accrued: Jul–Dec books hold benefit months Jun–Dec,
    # so the Jan–Jun books held Jan–May: by hand 9 900 k€ × 107 / 129 weekdays = 8 212 k€ (±1 %)
    assert tmt_year - tmt["mean"].sum() == pytest.approx(9900 * 107 / 129, rel=0.01)
    assert central.ledger.forecast_months.sum() == len(tmt) + 12 * (len(central.years) - 1)
    costs = mo[(mo.measure == "costs_keur") & (mo.unit == "elinvoima") & mo.month.str.startswith("2022")]
    elinvoima = value(ye, year=2022, unit="elinvoima", measure="costs_keur")
    assert costs["mean"].sum() + 3439 == pytest.approx(elinvoima, abs=1e-6)  # Jan–Jun actual 3 439 k€
