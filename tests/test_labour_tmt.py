"""Labour flows and the TMT cost: the report's 2022 figures, plausible continuations, TE24, Monte Carlo."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.model import reference
from engine.model.inputs import prepare
from engine.model.paths import run
from engine.model.shocks import compile_shocks
from engine.pipeline import grid_for

from .conftest import SCENARIOS, value


def test_as_of_state_is_the_report(central):
    lab = central.labour
    june = central.grid.index(np.datetime64("2022-06"))
    # the history run ends in June 2022; its last month is the model's own (calibrated within 1 %)
    assert lab.unemployed[0, june] == pytest.approx(7848, rel=0.01)
    assert lab.long_term_unemployed[0, june] == pytest.approx(3848, rel=0.01)


def test_first_forecast_month_starts_from_report_state(baseline, baseline_scenario):
    params = baseline_scenario.parameters()
    grid = grid_for(baseline, baseline_scenario)
    pd = params.sample(grid, 1, 0)
    prep = prepare(baseline, pd, grid, compile_shocks(baseline_scenario, baseline, pd, grid))
    # Työllisyyden tilannekatsaus 6/2022: 7 848 unemployed, 3 848 long-term, activation 24.2 %
    assert prep.inputs.U0.sum() == pytest.approx(7848, abs=1e-6)
    assert prep.inputs.U0[12:].sum() == pytest.approx(3848, abs=1e-6)
    s = prep.inputs.S0.sum()
    assert 100 * s / (s + 7848) == pytest.approx(24.2, abs=1e-6)


def test_december_2022_and_2023_continue_the_trends(central):
    ye = central.year_end()
    u22 = value(ye, year=2022, unit="lahti", measure="unemployed")
    u23 = value(ye, year=2023, unit="lahti", measure="unemployed")
    lt22 = value(ye, year=2022, unit="lahti", measure="long_term_unemployed")
    lt23 = value(ye, year=2023, unit="lahti", measure="long_term_unemployed")
    # the report expects a further, slow fall; December is seasonally between the June peak and spring low
    assert 6800 < u22 < 8400 and u23 < u22
    # long-term unemployment turned down in 2022 (4 135 → 3 848 in a year)
    assert lt23 < lt22 < 3848
    rate = value(ye, year=2022, unit="lahti", measure="unemployment_rate_pct")
    assert rate == pytest.approx(100 * u22 / 55660, abs=1e-9)  # labour force 7 848 / 14.1 % ≈ 55 660


def test_te24_raises_2025_cost_clearly(baseline, central):
    te24 = engine.simulate(baseline, engine.load_scenario(SCENARIOS / "te24_reform.toml"))
    base25 = value(central.year_end(), year=2025, unit="tyollisyys", measure="tmt_cost_keur")
    te25 = value(te24.year_end(), year=2025, unit="tyollisyys", measure="tmt_cost_keur")
    # nationally the reform raised municipal responsibility by roughly 45 %
    assert te25 > 1.25 * base25
    # before 2025 the two are the same rules and the same numbers
    for year in (2022, 2023, 2024):
        assert value(te24.year_end(), year=year, unit="tyollisyys", measure="tmt_cost_keur") == \
            value(central.year_end(), year=year, unit="tyollisyys", measure="tmt_cost_keur")
    # the first TE24 bill is booked in February 2025 (benefit month January)
    mo_b, mo_t = central.monthly(), te24.monthly()
    sel = lambda mo, m: value(mo, month=m, unit="tyollisyys", measure="tmt_cost_keur")  # noqa: E731
    assert sel(mo_t, "2025-01") == sel(mo_b, "2025-01")
    assert sel(mo_t, "2025-02") > 1.25 * sel(mo_b, "2025-02")


@pytest.fixture(scope="module")
def mc(baseline, baseline_scenario):
    return engine.simulate(baseline, baseline_scenario, draws=400, seed=7)


def test_monte_carlo_bands(mc):
    ye = mc.year_end()
    for measure, unit in (("unemployed", "lahti"), ("tmt_cost_keur", "tyollisyys"), ("margin_keur", "etp")):
        rows = ye[(ye.measure == measure) & (ye.unit == unit) & (ye.year >= 2023)]
        assert (rows.p10 < rows.p50).all() and (rows.p50 < rows.p90).all(), measure
        width = (rows.p90 - rows.p10).to_numpy()
        assert np.all(np.diff(width) > -1e-6 * width[:-1]) or measure == "margin_keur"  # bands widen with time
    u = ye[(ye.measure == "unemployed") & (ye.year == 2023)].iloc[0]
    # persons: honest but not absurd. 12/2023 is 18 months ahead: the model's own level error there
    # (labour.level_error_sd, 21.9 % sd from 12 months on, sized on `ennuste backtest`'s errors) with the
    # draws' spread (ln(P90/P10) ≈ 0.35 before it, sd 0.135) gives P90/P10 ≈ exp(2.563·√(0.219² + 0.135²))
    # ≈ 1.93, about 4 300–4 700 persons around 7 300 (measured 4 250); 4 000 was the draws' spread alone
    # (2 500), which held 11 % of the back-test's actuals inside a nominal 80 % band.
    assert 200 < u.p90 - u.p10 < 5500


def test_same_seed_same_numbers_bit_for_bit(baseline, baseline_scenario, mc):
    again = engine.simulate(baseline, baseline_scenario, draws=400, seed=7)
    assert np.array_equal(again.labour.unemployed, mc.labour.unemployed)
    assert again.year_end().equals(mc.year_end())
    other = engine.simulate(baseline, baseline_scenario, draws=400, seed=8)
    assert not np.array_equal(other.labour.unemployed, mc.labour.unemployed)


def test_tables_leave_the_paths_alone(baseline, baseline_scenario):
    # summarising sorts draws; it must sort a copy. A deviation block is one series, whose transpose
    # numpy would hand back as a view; the second call then saw re-ordered paths (benchmark finding).
    res = engine.simulate(baseline, baseline_scenario, draws=200, seed=3)
    before = res.labour.unemployed.copy()
    first = res.deviations()
    assert first.equals(res.deviations())
    res.year_end()
    res.monthly()
    assert np.array_equal(res.labour.unemployed, before)
    from engine.results.result import summarise
    x = np.array([[3.0], [1.0], [2.0]])
    summarise(x)
    assert x[:, 0].tolist() == [3.0, 1.0, 2.0]  # the caller's column order, untouched


def test_paths_do_not_depend_on_how_many_are_drawn(baseline, baseline_scenario, mc):
    # a path's draws come from keyed streams, whatever the count, and the month kernel does each path's
    # arithmetic alone (no sums across paths): the same bits
    few = engine.simulate(baseline, baseline_scenario, draws=50, seed=7)
    np.testing.assert_array_equal(few.labour.unemployed, mc.labour.unemployed[:50])
    np.testing.assert_array_equal(few.ledger.monthly_tmt, mc.ledger.monthly_tmt[:50])


def _inputs(baseline, scenario_file, draws, seed):
    sc = engine.load_scenario(scenario_file)
    grid = grid_for(baseline, sc)
    pd = sc.parameters().sample(grid, draws, seed)
    return prepare(baseline, pd, grid, compile_shocks(sc, baseline, pd, grid)).inputs


@pytest.mark.parametrize("scenario", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_compiled_loop_equals_reference(baseline, scenario):
    # the compiled month kernel against engine.model.reference (the model in plain loops, one path at a time),
    # every bundled scenario: within 1e-9 relative (what a float sum taken in another order can change).
    # 70 paths: a full block of 64 and a short one; paths at both ends of each block
    inputs = _inputs(baseline, SCENARIOS / scenario, 70, 3)
    fast = run(inputs, 70)
    for i in (0, 5, 63, 64, 69):
        slow = reference.run_path(inputs, i)
        for key, series in slow.items():
            np.testing.assert_allclose(getattr(fast, key)[i], np.asarray(series),
                                       rtol=1e-9, atol=1e-9, err_msg=f"{scenario} path {i} {key}")


def test_compiled_loop_same_bits_on_one_thread_or_two(baseline):
    # bit-for-bit: a path's arithmetic does not depend on the thread (or block) it runs in, in the month
    # kernel nor in the passes that make its drivers (the noise recursion and the vacancies and new spells).
    # 4 200 paths: enough for each of them to use two threads
    import numba

    from engine.model.kernel import LANES, MIN_BLOCKS_PER_THREAD, MIN_PATHS_PER_THREAD_AR1, MIN_PATHS_PER_THREAD_DRIVERS

    n = 4200
    assert n // LANES >= 2 * MIN_BLOCKS_PER_THREAD and n >= 2 * max(MIN_PATHS_PER_THREAD_AR1, MIN_PATHS_PER_THREAD_DRIVERS)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        inputs = _inputs(baseline, SCENARIOS / "te24_reform.toml", n, 11)
        one = run(inputs, n)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        inputs_two = _inputs(baseline, SCENARIOS / "te24_reform.toml", n, 11)
        two = run(inputs_two, n)
    finally:
        numba.set_num_threads(before)
    for key in ("vacancies", "inflow"):
        assert np.array_equal(getattr(inputs, key), getattr(inputs_two, key)), key
    for key in one.__dataclass_fields__:
        assert np.array_equal(getattr(one, key), getattr(two, key)), key
    # and the first 100 paths alone are the same bits as within the 4 200 (another block split)
    few = run(_inputs(baseline, SCENARIOS / "te24_reform.toml", 100, 11), 100)
    for key in one.__dataclass_fields__:
        assert np.array_equal(getattr(few, key), getattr(one, key)[:100]), key


def test_noise_recursion_is_lfilter_bit_for_bit():
    # the vacancies' and the business cycle's AR(1) noise, compiled, against scipy.signal.lfilter, which
    # the engine used before (the bundled scenarios' numbers must not move): every bit, signed zeros too,
    # and a flat (sd = 0) path. A hand case first: z = 0.5·[1, 0.8·1 + 2·0.5 ... ] with sd 0.5, ar 0.8.
    from scipy.signal import lfilter

    from engine.model.kernel import ar1

    np.testing.assert_allclose(ar1(np.array([[2.0, 1.0, 0.0]]), 0.5, 0.8), [[1.0, 1.3, 1.04]], rtol=0, atol=1e-12)
    rng = np.random.default_rng(5)
    eps = rng.standard_normal((3000, 84))
    eps[:, 10], eps[::3, 11], eps[1::5, 12] = 0.0, -0.0, np.inf
    for sd, ar in ((0.07, 0.9), (0.3, -0.5), (0.0, 0.95)):
        want = lfilter([sd], [1.0, -ar], eps, axis=1)
        got = ar1(eps, sd, ar)
        assert np.array_equal(got.view(np.int64), want.view(np.int64)), (sd, ar)


@pytest.mark.parametrize("scenario", ["downturn", "refugees", "fazer"])
def test_forecast_drivers_are_the_numpy_formulas(baseline, scenario):
    # the vacancies and new spells come from one compiled pass (engine.model.kernel.drivers); these are the
    # numpy formulas it replaced, written out (labour.forecast_drivers documents them), on 400 paths with the
    # scenario's shocks. Every bit matched on the reference machine (numpy's exp is glibc's there); 4 units
    # in the last place allow a numpy whose own SIMD exp differs from the C library's.
    from engine.model import labour
    from engine.model.calibration_cache import parameters_for
    from engine.model.kernel import ar1

    s = engine.load_scenario(SCENARIOS / f"{scenario}.toml")
    grid = grid_for(baseline, s)
    pdraws = s.parameters(parameters_for(baseline)).sample(grid, 400, 7)
    shocks = compile_shocks(s, baseline, pdraws, grid)
    lc = labour.constants(baseline, pdraws)
    season_in = labour.seasonal_inflow_persons(pdraws, lc)[grid.month_of_year]
    vac, inflow = labour.forecast_drivers(baseline, pdraws, grid, lc.alpha, shocks, season_in)

    c = lambda name: float(pdraws.scalar(name)[0])  # noqa: E731
    t0 = grid.index(baseline.as_of) + 1
    cycle = ar1(pdraws.normals("labour.cycle", len(grid)), c("labour.cycle_sd"), c("labour.cycle_ar"), t0)
    z = ar1(pdraws.normals("labour.vacancies", len(grid)), c("labour.vacancy_noise_sd"), c("labour.vacancy_noise_ar"), t0)
    years = np.maximum((grid.months - baseline.as_of).astype(int) / 12.0, 0.0)
    log_growth = np.log1p(pdraws.scalar("labour.vacancy_trend_pct_per_year") / 100.0)[:, None]
    shape = pdraws.series("labour.seasonal_vacancy_shape")
    season_v = shape[grid.month_of_year] / shape[labour.as_of_month_index(baseline)]
    want_vac = np.maximum(baseline.labour.vacancies * season_v * np.exp(log_growth * years)
                          * pdraws.monthly("labour.vacancy_multiplier") * shocks.vacancy_mult
                          * np.exp(z - c("labour.cycle_vacancy_loading") * cycle) + shocks.vacancies, 0.0)
    l1 = (pdraws.scalar("labour.forecast_inflow_persons_per_month") * pdraws.scalar("labour.inflow_level_mult"))[:, None]
    rate = pdraws.scalar("labour.structural_rate_pct")
    central = float(pdraws.params["labour.structural_rate_pct"].central_at(baseline.as_of))
    l_star = (c("labour.structural_inflow_persons_per_month") * (np.maximum(rate, 1e-6) / central) ** lc.alpha
              * pdraws.scalar("labour.matching_efficiency_mult"))[:, None] * np.exp(log_growth * (1.0 - lc.alpha) * years)
    past = (grid.months - (baseline.as_of + 12)).astype(int).astype(float)
    w = np.where(past > 0, 1.0 - np.exp(-np.maximum(past, 0.0) / c("labour.structural_return_months")), 0.0)
    want_inflow = np.maximum((l1 * (1.0 - w) + l_star * w + season_in) * np.exp(cycle)
                             * pdraws.monthly("labour.inflow_multiplier") * shocks.inflow_mult + shocks.inflow, 0.0)
    assert vac.shape == inflow.shape == (400, len(grid))
    np.testing.assert_array_max_ulp(vac, want_vac, maxulp=4)
    np.testing.assert_array_max_ulp(inflow, want_inflow, maxulp=4)
    assert (vac[:, :t0] > 0).all() and np.isfinite(inflow).all()
    # in the as-of month the noises are zero, the season 1 and the drift 1: the report's 2 119 open
    # vacancies (6/2022) × the multipliers, + a shock's vacancies
    as_of = (2119.0 * pdraws.monthly("labour.vacancy_multiplier") * shocks.vacancy_mult + shocks.vacancies)[:, t0 - 1]
    np.testing.assert_allclose(vac[:, t0 - 1], np.broadcast_to(as_of, (400,)), rtol=1e-12)
