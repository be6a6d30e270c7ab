"""What the engine's public API gives a caller (the app uses nothing else; tests/test_layers.py)."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def run():
    return engine.simulate(engine.load_baseline(), engine.load_scenario(SCENARIOS / "fazer.toml"), draws=200, seed=3)


def test_year_to_date_margin_ends_each_year_at_the_year_end_margin(run):
    """margin_ytd_keur in December is, path by path, the year's toimintakate: the budget year's starts from the
    Jan–Jun actual (the report: elinvoima 931 − 3 439 = −2 508 k€) and adds the forecast months, later years
    start in January. So every statistic (mean and each percentile) equals year_end's margin_keur (±0.001 k€)."""
    ytd = run.margin_ytd()
    ye = run.year_end().set_index(["year", "unit", "measure"])
    assert set(ytd.unit) == set(engine.FINANCE_UNITS) and set(ytd.measure) == {"margin_ytd_keur"}
    assert engine.load_baseline().actual_margin_keur("elinvoima") == pytest.approx(931 - 3439, abs=0.5)
    for year in run.years:
        dec = ytd[ytd.month == f"{year}-12"].set_index("unit")
        for unit in engine.FINANCE_UNITS:
            want = ye.loc[(int(year), unit, "margin_keur"), list(engine.STAT_COLUMNS)].to_numpy(float)
            np.testing.assert_allclose(dec.loc[unit, list(engine.STAT_COLUMNS)].to_numpy(float), want, atol=1e-3)
    monthly = run.monthly()
    assert (monthly[monthly.measure == "margin_ytd_keur"].reset_index(drop=True)
            .equals(ytd.sort_values(["unit", "month"], kind="stable").reset_index(drop=True)))


def test_public_names_match_the_tables(run):
    ye = run.year_end()
    assert set(engine.FINANCE_UNITS) <= set(ye.unit) and tuple(ye.columns[-4:]) == engine.STAT_COLUMNS
    assert {f"tmt_cost_{b}_keur" for b in engine.TMT_BANDS} <= set(run.monthly().measure)
    assert engine.load_baseline().units == engine.UNITS
    assert engine.load_scenario(SCENARIOS / "baseline.toml").settings.estimator in engine.ESTIMATORS
