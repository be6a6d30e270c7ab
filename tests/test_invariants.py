"""Invariants of the flows, checked on many random inputs (hypothesis)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import engine
from engine.model.labour import cohort_step

from .conftest import SCENARIOS, value

P, B = 3, 10
stocks = arrays(np.float64, (P, B), elements=st.floats(0, 5000))
hazards = arrays(np.float64, (P, B), elements=st.floats(0, 0.95))  # monthly exit probabilities
shares = arrays(np.float64, (P,), elements=st.floats(0, 0.95))
inflows = arrays(np.float64, (P,), elements=st.floats(0, 3000))


@given(stocks, stocks, hazards, shares, st.floats(0, 0.5), st.floats(0, 0.5), inflows)
@settings(max_examples=300, deadline=None)
def test_cohort_step_conserves_persons_and_stays_non_negative(X, XS, h, s, r, e_s, inflow):
    X_new, XS_new, _ = cohort_step(X, XS, 1.0 - h, s, r, e_s, inflow)
    exits, s_work = X * h, XS.sum(1) * e_s
    before = X.sum(1) + XS.sum(1) + inflow
    after = X_new.sum(1) + XS_new.sum(1) + exits.sum(1) + s_work
    np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-6)
    assert (X_new >= -1e-9).all() and (XS_new >= -1e-9).all() and (exits >= 0).all()


def _scenario(tmp_path, name: str, params: str):
    path = tmp_path / f"{name}.toml"
    base = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    (tmp_path / "base.toml").write_text(base, encoding="utf-8")
    path.write_text(f'name = "{name}"\nextends = "base.toml"\n[parameters]\n{params}\n', encoding="utf-8")
    return engine.load_scenario(path)


@given(st.floats(0.3, 2.0), st.floats(0.3, 2.0))
@settings(max_examples=12, deadline=None)
def test_more_vacancies_never_raise_unemployment(tmp_path_factory, lo, hi):
    lo, hi = sorted((lo, hi))
    tmp = tmp_path_factory.mktemp("v")
    b = engine.load_baseline()
    r_lo = engine.simulate(b, _scenario(tmp, "lo", f'"labour.vacancy_multiplier" = [{{from = "2022-07", value = {lo}}}]'))
    r_hi = engine.simulate(b, _scenario(tmp, "hi", f'"labour.vacancy_multiplier" = [{{from = "2022-07", value = {hi}}}]'))
    assert (r_hi.labour.unemployed <= r_lo.labour.unemployed + 1e-6).all()
    assert (r_hi.labour.long_term_unemployed <= r_lo.labour.long_term_unemployed + 1e-6).all()


@given(st.floats(10, 45), st.floats(10, 45), st.sampled_from(["r2006", "te24"]))
@settings(max_examples=12, deadline=None)
def test_higher_activation_never_raises_billed_tmt(tmp_path_factory, lo, hi, rule):
    lo, hi = sorted((lo, hi))
    tmp = tmp_path_factory.mktemp("a")
    b = engine.load_baseline()
    rules = f'"tmt.rule_set" = [{{from = "2025-01", value = "{rule}"}}]'
    r_lo = engine.simulate(b, _scenario(tmp, "lo", f'"labour.activation_target_pct" = [{{from = "2022-07", value = {lo}}}]\n{rules}'))
    r_hi = engine.simulate(b, _scenario(tmp, "hi", f'"labour.activation_target_pct" = [{{from = "2022-07", value = {hi}}}]\n{rules}'))
    assert (r_hi.ledger.monthly_tmt <= r_lo.ledger.monthly_tmt + 1e-6).all()
    assert (r_hi.ledger.monthly_tmt >= 0).all()


def test_tmt_cost_never_negative_on_many_paths(baseline, baseline_scenario):
    r = engine.simulate(baseline, baseline_scenario, draws=200, seed=3)
    assert (r.ledger.monthly_tmt >= 0).all() and (r.ledger.tmt_year > 0).all()
    assert (r.labour.unemployed > 0).all() and (r.labour.long_term_unemployed >= 0).all()


def test_scenario_identical_to_baseline_gives_identical_numbers(tmp_path, baseline, baseline_scenario):
    same = _scenario(tmp_path, "same", "")
    a = engine.simulate(baseline, baseline_scenario, draws=50, seed=5)
    b = engine.simulate(baseline, same, draws=50, seed=5)
    cols = ["year", "unit", "measure", "mean", "p10", "p50", "p90"]
    assert a.year_end()[cols].equals(b.year_end()[cols])
    assert np.array_equal(a.ledger.monthly_tmt, b.ledger.monthly_tmt)
    assert value(a.year_end(), year=2022, unit="etp", measure="margin_keur") == \
        value(b.year_end(), year=2022, unit="etp", measure="margin_keur")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: arrays(np.float64, (n, 3), elements=st.floats(-1e6, 1e6, width=32))),
       st.integers(0, 64))
def test_summarise_is_numpys_linear_percentile(x, chunk_bytes):
    # the nested-partition percentiles must be the order statistics a full sort gives (ties, tiny n,
    # chunks of any size); numpy's default "linear" method is the definition in the docs
    from engine.results import result

    old = result.CHUNK_BYTES
    result.CHUNK_BYTES = 8 * chunk_bytes  # buffers of 0…512 bytes: one series at a time up to all three
    try:
        got = result.summarise(x)
    finally:
        result.CHUNK_BYTES = old
    np.testing.assert_allclose(got[:, 1:], np.percentile(x, [10, 50, 90], axis=0).T, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got[:, 0], x.mean(axis=0), rtol=1e-12, atol=1e-6)


def test_monthly_bookings_add_up_to_the_year_and_the_margin_is_revenue_minus_costs(baseline):
    # the ledger keeps one rate per year and spreads it when a table asks: each year's forecast months
    # sum to the year's forecast less what is booked by the as-of month (the report's actuals in the
    # budget year), the TMT unit's costs carry the TMT as booked, the margin built from the rates is
    # revenue − costs bit for bit, and a side the ledger calls spread repeats its year's rate exactly.
    te24 = engine.load_scenario(SCENARIOS / "te24_reform.toml")
    r = engine.simulate(baseline, te24, draws=300, seed=4)
    led, grid = r.ledger, r.grid
    early = led.monthly_margin()
    units = range(len(baseline.units))
    revenue = np.stack([led.monthly_revenue_of(u) for u in units], axis=-1)
    costs = np.stack([led.monthly_costs_of(u) for u in units], axis=-1)
    assert np.array_equal(early, revenue - costs)
    years = np.asarray(grid.years)
    for y, year in enumerate(led.years):
        in_year = (years == year) & led.forecast_months
        booked = baseline.actual_margin_keur("etp") if year == baseline.budget_year else 0.0
        # the year's margin (k€): its forecast months' margins plus what the report had booked; 1e-6 k€ is rounding
        np.testing.assert_allclose(early[:, in_year].sum(axis=(1, 2)) + booked, led.margin()[:, y].sum(-1),
                                   rtol=0, atol=1e-6, err_msg=str(year))
    assert (revenue[:, ~led.forecast_months] == 0).all()
    np.testing.assert_array_equal(costs[:, ~led.forecast_months, led.tmt_unit], led.monthly_tmt[:, ~led.forecast_months])
    # a spread side's months repeat its year's rate (what the monthly table summarises once a year)
    for side, series in (("revenue", revenue), ("costs", costs), ("margin", early)):
        for u in units:
            if led.is_spread(u, side):
                cols = np.searchsorted(led.years, led.month_years[led.forecast_months])
                assert np.array_equal(series[:, led.forecast_months, u], led.year_rates(side)[:, cols, u]), (side, u)
    assert not led.is_spread(led.tmt_unit, "costs") and not led.is_spread(led.tmt_unit, "margin")


def test_year_to_date_is_the_cumulative_sum_bit_for_bit():
    # margin_ytd's compiled running sums against numpy's cumsum per year (what the table used before):
    # the same numbers bit for bit, for 2 units (the bundled pack), 3 and 5, years restarting from zero
    # and the budget year's booked start added. A hand case first: 2 units, one year of 3 months from 10 k€
    # booked: unit 0 1, 1+2, 1+2+3 → 11, 13, 16.
    from engine.results.cumulative import year_to_date

    m = np.array([[[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]])
    got = year_to_date(m, [0], [3], [[10.0, 0.0, 10.0]])
    np.testing.assert_allclose(got[0, :, 0], [11.0, 13.0, 16.0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[0, :, 2], [16.0, 23.0, 31.0], rtol=0, atol=1e-12)  # etp: 10 + 6, + 7, + 8
    rng = np.random.default_rng(8)
    first, end = [0, 6, 18, 30], [6, 18, 30, 40]
    for units in (2, 3, 5):
        m = rng.normal(0.0, 900.0, (257, 40, units)) * rng.uniform(0.5, 2.0, (1, 40, 1))
        start = rng.normal(-20000.0, 500.0, (4, units + 1)) * np.array([1.0, 0.0, 0.0, 0.0])[:, None]
        got = year_to_date(m, first, end, start)
        for u in range(units + 1):
            series = m.sum(-1) if u == units else m[:, :, u]
            for j, (a, b) in enumerate(zip(first, end)):
                want = np.cumsum(series[:, a:b], axis=1) + start[j, u]
                assert np.array_equal(got[:, a:b, u], want), (units, u, j)


def test_line_and_unit_sums_are_numpys_sums_bit_for_bit():
    # revenue_of / costs_of / margin_of add the lines one by one, and the tables' etp adds the units one by
    # one, instead of numpy's sum over a short last axis (slow per row): the same numbers bit for bit as
    # the sums they replaced, on (draws, years, units, lines) ledgers, a strided year of one and 1-D lines.
    # Hand case: sales 3 + grants 4 = 7 revenue; costs 1 + 2 + 3 + 4 + 5 = 15; margin −8.
    from engine.load.baseline import IS_REVENUE, costs_of, margin_of, revenue_of
    from engine.results.result import _with_etp

    hand = np.array([3.0, 4.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    assert (revenue_of(hand), costs_of(hand), margin_of(hand)) == (7.0, 15.0, -8.0)
    rng = np.random.default_rng(12)
    full = rng.normal(0.0, 5e4, (2000, 7, 2, 7)) * rng.uniform(0.0, 3.0, (1, 1, 1, 7))
    for lines in (full, full[:, 3], full[0, 0, 0]):
        assert np.array_equal(revenue_of(lines), lines[..., IS_REVENUE].sum(-1))
        assert np.array_equal(costs_of(lines), lines[..., ~IS_REVENUE].sum(-1))
    for units in (1, 2, 3, 7):
        a = rng.normal(0.0, 5e4, (1500, 7, units))
        got = _with_etp(a)
        assert np.array_equal(got[..., :units], a) and np.array_equal(got[..., units], a.sum(-1)), units
