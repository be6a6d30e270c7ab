"""Issue 13, labour and TMT side: each figure with the source of its expected value.

Sources: the TEM history and rules in shared/DOMAIN.md (copied into the baseline and parameters.toml),
the report (Seurantaraportti tammi–kesäkuu 2022) and hand calculations written out below.
"""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.model import labour
from engine.load.parameters import Parameters
from engine.model.tmt import bucket_shares

from .conftest import SCENARIOS, value

LABOUR_FORCE = 55660  # 7 848 / 14.1 % (report, 6/2022)


def _u(res, month):
    return float(res.labour.unemployed[0, res.grid.index(np.datetime64(month))])


# ------------------------------------------------------------------ 3. seasonality fitted to the history
def test_forecast_seasonal_moves_are_within_the_observed_ones(central):
    # TEM history (DOMAIN.md), trend taken out (−1.58 %/month over 6/2021→6/2022): May→June +4.2 % (2021)
    # and +7.0 % (2022); March→April −1.5 % (2021). Before the fit the model had +9.6 % and −5.2 % (2023).
    jun = np.log(_u(central, "2023-06") / _u(central, "2023-05")) * 100
    apr = np.log(_u(central, "2023-04") / _u(central, "2023-03")) * 100
    assert 4.2 - 1.0 <= jun <= 7.0 + 1.0
    assert -1.5 - 3.0 <= apr <= 0.0


def test_calibration_shows_the_seasonal_fit():
    # the calibration report lists every observed move with the model's own; each within 3.1 points
    import tomllib
    from engine.model.calibrate import default_path
    doc = tomllib.loads(default_path().read_text(encoding="utf-8"))
    season = [t for t in doc["targets"] if t["kind"] == "season"]
    assert {t["name"].split()[1] for t in season} == {"2021-03→2021-04", "2021-04→2021-05", "2021-05→2021-06",
                                                      "2021-06→2021-07", "2022-04→2022-05", "2022-05→2022-06"}
    assert all(abs(t["fitted"] - t["target"]) <= 3.1 for t in season)


# ------------------------------------------------------------------ 4. the long run returns to a structural level
def test_long_run_returns_to_the_structural_rate(central):
    # labour.structural_rate_pct 13.6 % (TEM 12/2019, DOMAIN.md) × 55 660 = 7 570 persons on average;
    # before the fix the path kept falling: Dec 2025 6 471, Dec 2028 5 849
    u = central.labour.unemployed[0]
    avg = lambda y: u[central.grid.years == y].mean()  # noqa: E731
    assert avg(2028) == pytest.approx(0.136 * LABOUR_FORCE, rel=0.03)
    assert abs(avg(2028) / avg(2027) - 1) < 0.015  # no trend without end
    assert _u(central, "2025-12") > 7000
    # the first year still follows the report's slow decline (−2 %: 7 848 → 7 691 in 6/2023)
    assert _u(central, "2023-06") == pytest.approx(7848 * 0.98, abs=5)


# ------------------------------------------------------------------ 5. business cycle
@pytest.fixture(scope="module")
def mc(baseline, baseline_scenario):
    return engine.simulate(baseline, baseline_scenario, draws=1000, seed=11)


def test_business_cycle_swing_has_the_historys_size(mc, central):
    # labour.cycle_sd's source: the 2-year change of the registered rate (months 12→36) has P90 +3.0 pp
    # over the central path (Finland 2008→10, Lahti 12/2019→12/2020 +4.7 pp); another seed, ±0.5 pp
    g = mc.grid
    a, b = g.index(np.datetime64("2023-06")), g.index(np.datetime64("2025-06"))
    rate = mc.labour.unemployment_rate_pct
    change = rate[:, b] - rate[:, a]
    c = central.labour.unemployment_rate_pct[0]
    assert np.percentile(change, 90) - (c[b] - c[a]) == pytest.approx(3.0, abs=0.5)


def test_downturn_is_not_wholly_above_p90(baseline, mc):
    # the report's risk (scenarios/downturn.toml: spells +25 %, vacancies −30 % from 2023) is a bad but
    # possible course of the baseline's own spread: inside its P99 throughout (95–98 at its worst), and
    # below its P90 as it starts (6/2023) and once it recovers (2027 on). Before the business cycle it lay
    # wholly above P90 (99.1–99.7th percentile in 12/2023–12/2025).
    down = engine.simulate(baseline, engine.load_scenario(SCENARIOS / "downturn.toml"))
    g = mc.grid
    u = mc.labour.unemployed
    for month in ("2023-06", "2023-12", "2024-06", "2024-12", "2025-12", "2026-12", "2027-12", "2028-12"):
        i = g.index(np.datetime64(month))
        rank = 100 * np.mean(u[:, i] < down.labour.unemployed[0, i])
        assert rank < 99, month
        if month in ("2023-06", "2027-12", "2028-12"):
            assert rank < 90, month


# ------------------------------------------------------------------ 6. TE24
@pytest.fixture(scope="module")
def te24(baseline):
    return engine.simulate(baseline, engine.load_scenario(SCENARIOS / "te24_reform.toml"))


def test_te24_compensation_is_its_own_line(te24, central):
    # tmt.te24_state_compensation_keur: 216 M€ (2023 level, DOMAIN.md) × Lahti's ≈ 2.2 % = 4 750 k€ a year
    dev = te24.deviations()
    comp = dev[(dev.driver == "te24_compensation.grants_received") & (dev.unit == "tyollisyys")]
    assert dict(zip(comp.year, comp["mean"])) == {y: pytest.approx(4750, abs=1e-6) for y in range(2025, 2029)}
    # gross: the TMT grows by about half (nationally +45 %); net: the compensation takes part of it back
    gross = value(te24.year_end(), year=2026, unit="tyollisyys", measure="tmt_cost_keur") \
        - value(central.year_end(), year=2026, unit="tyollisyys", measure="tmt_cost_keur")
    assert 0.3 * 14000 < gross
    rev = value(te24.year_end(), year=2026, unit="tyollisyys", measure="revenue_keur") \
        - value(central.year_end(), year=2026, unit="tyollisyys", measure="revenue_keur")
    assert rev >= 4750 - 1e-6  # compensation (and the services' state funding) on revenue


def test_te24_autumn_2025_bills_carry_the_transfers(te24):
    # Kela billed the earnings-related days of transfers only from October 2025: the October and November
    # bills were exceptionally large (+17.5 M€, ≈ +12 M€ nationally); here October's bill (benefit month
    # September) is above September's by more than a third, and December 2025 benefit months are normal again
    mo = te24.monthly()
    b = lambda m: value(mo, month=m, unit="tyollisyys", measure="tmt_cost_keur")  # noqa: E731
    assert b("2025-10") > 1.33 * b("2025-09")
    assert b("2025-11") > 1.33 * b("2025-09")
    # the carried days raise a transferring recipient's share: bucket 10 (≈ day 215–236) pays 20 %
    # on its own days; with 350 days carried (≈ day 565–586) it pays 50 % (tmt.steps.te24, placeholder)
    from engine.model.tmt import shifted_steps
    steps = Parameters.load_default()["tmt.steps.te24"].value
    assert bucket_shares(steps)[10] == pytest.approx(0.2)
    assert bucket_shares(shifted_steps(steps, 350.0))[10] == pytest.approx(0.5, abs=0.01)


# ------------------------------------------------------------------ 7. activation costs money
def test_activation_service_cost_makes_the_effect_net(baseline):
    # hand calculation: at 30 % activation (from 24.2 %) the extra persons in services at the as-of
    # 7 848 unemployed are 7 848 × (0.30/0.70 − 0.242/0.758) = 857.8; × 258.6 €/month (the central cost) × 12 = 2 662 k€ a year;
    # before: no cost at all (the shock showed 3.4 M€ of TMT saved in 2025 as its whole margin effect)
    sc = engine.load_scenario(SCENARIOS / "activation.toml")
    res = engine.simulate(baseline, sc)
    dev = res.deviations()
    cost = dev[(dev.driver == "nordic_model.purchased_services") & (dev.year == 2025)]["mean"].iloc[0]
    # the central path takes the median of triangular(150, 240, 400): 400 − √(250·160/2) = 258.6 €
    median = 400 - np.sqrt(250 * 160 / 2)
    expected = 7848 * (0.30 / 0.70 - 0.242 / 0.758) * median * 12 / 1000
    assert -cost == pytest.approx(expected, abs=1.0)  # margin effect, k€


# ------------------------------------------------------------------ 8. refugees: no double count
def _arrivals_case(persons: float) -> dict:
    return {"name": "test", "shocks": {"a": {
        "type": "arrivals", "arrivals": [{"start": "2023-01", "end": "2023-01", "persons_per_month": persons}],
        "share_under_7": 0.0, "working_age_share": 1.0, "months_to_home_municipality": 12,
        "months_to_labour_force": 0, "participation": 1.0, "unemployed_share": 1.0, "compensation_years": 0,
        "service_cost_eur_per_person_year": 0.0}}}


def test_refugee_tmt_equals_a_hand_calculation(baseline, central):
    # 100 working-age arrivals, all unemployed on labour-market subsidy from the end of January 2023.
    # By hand: hazard h(d) = min(A·(2 119/7 848)^(1−α)·(1+κ)·ψ(d), 0.95) (the as-of month, no season);
    # still unemployed at the start of month d after entry S(d) = Π_{j<d}(1 − h(j)); not in services
    # 1 − 24.2 %; billed at 50 % after 300 days, 70 % after 1 000 (tmt.steps.r2006), at the daily rate.
    sc = engine.scenario_from_dict(_arrivals_case(100.0))
    res = engine.simulate(baseline, sc)
    p = Parameters.load_default()
    c = lambda n: float(p[n].central_at("2023-01"))  # noqa: E731
    lc_psi = labour.employability(c("labour.duration_decay_months"), c("labour.duration_floor"))
    kappa = (5.2 + 7.5) / 44.1
    f0 = c("labour.matching_efficiency") * (2119 / 7848) ** (1 - c("labour.matching_alpha"))
    h = np.minimum(f0 * (1 + kappa) * lc_psi, 0.95)
    share = bucket_shares(((301, 0.5), (1001, 0.7)))
    grid = res.grid
    jan23 = grid.index(np.datetime64("2023-01"))
    hand = {2024: 0.0, 2025: 0.0}
    for t in range(jan23 + 1, len(grid)):
        year = int(grid.years[t])
        if year not in hand:
            continue
        d = t - 1 - jan23
        survival = np.prod(1 - h[np.minimum(np.arange(d), len(h) - 1)])
        rate = c("tmt.daily_rate_eur") * p["tmt.child_increase_factor"].central_at(grid.months[t]) * c("tmt.amount_factor")
        hand[year] += 100 * survival * (1 - 0.242) * share[min(d, 47)] * rate * grid.weekdays[t] / 1000
    from engine.model.inputs import prepare
    from engine.model.shocks import compile_shocks
    pd = sc.parameters().sample(grid, 1, 0)
    prep = prepare(baseline, pd, grid, compile_shocks(sc, baseline, pd, grid))
    cohort = prep.arrivals_tmt_bands_keur.sum(-1)[0]
    for year, expected in hand.items():
        # the arrivals' own TMT is the hand calculation to the euro
        assert cohort[grid.years == year].sum() == pytest.approx(expected, abs=0.01)
        got = value(res.year_end(), year=year, unit="tyollisyys", measure="tmt_cost_keur") \
            - value(central.year_end(), year=year, unit="tyollisyys", measure="tmt_cost_keur")
        # the whole effect adds the native stock's response: more unemployed per vacancy slow everyone's
        # hires a little, and the correction for arrivals reaching 12 months is at the as-of hazard (±25 %)
        assert got == pytest.approx(expected, rel=0.25), (year, got, expected)
    # before the fix the same arrivals entered the recipients' stock twice and stayed there at a quarter
    # of the jobseekers' exit rate: 2025's effect was several times this


def test_initial_assessment_for_working_age_adults_only(baseline):
    # 700 € per initial assessment (DOMAIN.md) for the working-age share: 100 arrivals × 0.6 × 700 € = 42 k€,
    # booked when the home municipality is granted (12 months after arrival: 2024)
    doc = _arrivals_case(100.0)
    doc["shocks"]["a"]["working_age_share"] = 0.6
    res = engine.simulate(baseline, engine.scenario_from_dict(doc))
    dev = res.deviations()
    got = dev[(dev.driver == "a.grants_received") & (dev.year == 2024)]["mean"].iloc[0]
    assert got == pytest.approx(42.0, abs=1e-6)


# ------------------------------------------------------------------ 9. rule dates
def test_rule_dates():
    # DOMAIN.md, rule history: the 300 / 1 000-day rule with 50 % / 70 % applies from 2015
    p = Parameters.load_default()["tmt.rule_set"]
    assert "from 1.1.2015" in p.source and "before 2015 the municipality paid 50 % after 500 days" in p.source
    assert "2006–2024" not in p.source + p.description
    assert "from 1.1.2015" in Parameters.load_default()["tmt.steps.r2006"].source
    assert Parameters.load_default()["tmt.steps.te24"].source.startswith("TO VERIFY")


# ------------------------------------------------------------------ hold-out: TEM months left out of the fit
def test_holdout_april_may_2022():
    # Calibrate the labour stage without the TEM history's 4/2022 and 5/2022 (7 539; 7 433 and 3 850
    # long-term, DOMAIN.md) and predict them. Before issue 13's seasonal fit: mean |error| 2.39 %, max
    # 3.71 %; now 1.75 % and 2.72 %. The test holds the line at the old figures.
    import dataclasses

    from engine.model import calibrate
    b = engine.load_baseline()
    held = {"2022-04", "2022-05"}
    rows = [p for p in b.labour.history if p.month not in held]
    bh = dataclasses.replace(b, raw=b.raw.model_copy(update={"labour": b.labour.model_copy(update={"history": rows})}))
    params = Parameters.load_uncalibrated()
    fitted, _ = calibrate.fit_labour(bh, params)
    h = labour.run_history(b, params.with_values(fitted).sample(calibrate._grid(b), 1, 0))
    months = [str(m) for m in h.months]
    errors = [100 * abs(h.unemployed[months.index("2022-04")] / 7539 - 1),
              100 * abs(h.unemployed[months.index("2022-05")] / 7433 - 1),
              100 * abs(h.long_term[months.index("2022-05")] / 3850 - 1)]
    assert np.mean(errors) <= 2.39 and max(errors) <= 3.71
