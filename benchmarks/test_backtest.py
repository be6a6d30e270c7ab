"""Accuracy benchmark (issue 12): ``engine.commands.backtest.backtest(engine.load_baseline())`` — the rolling-origin
back-test over the bundled TEM history (8 origins, each calibrated on the history up to it; the model at 500
paths), timed once, and its figures recorded next to the speed figures in the suite's JSON.

Targets, recorded and never asserted (tests/test_backtest.py asserts what must hold):

* ``bt_<target>_mape_6_12_vs_persistence``: the model's MAPE over 6–12 months ÷ persistence's, ≤ 1
  (the issue's claim that the model beats persistence there);
* ``bt_<target>_coverage_pct``: the model's P10–P90 coverage over 1–12 months in 60…95 % (nominal 80);
* ``bt_<target>_mape_<h>_<method>``: each method's MAPE over 1–3 and 6–12 months, for the record;
* ``backtest_s``: the whole back-test's time (reported).

Recorded on the bundled history (11/2026, with ``labour.history_in_fit`` and ``labour.level_error_sd``;
before them in brackets): ``bt_u_mape_6_12_vs_pers`` 0.86 (1.37), ``bt_lt_mape_6_12_vs_pers`` 2.09 (1.32),
``bt_u_coverage_pct`` 93 (11), ``bt_lt_coverage_pct`` 90 (24); the unemployed's MAPE 1–3 months: model 6.1
(27.8), persistence 3.3, ETS 4.6 %.
"""
from __future__ import annotations

import pytest

from engine.commands import backtest as bt


@pytest.mark.benchmark(group="accuracy")
def test_backtest_accuracy(benchmark, suite, baseline):
    run = benchmark.pedantic(bt.backtest, args=(baseline,), rounds=1, iterations=1)
    fc = run.forecasts
    assert len(fc[fc.method == "model"]) == 48, "the back-test scored other pairs than the 27 + 21 of the bundled history"
    suite.record(benchmark, "backtest_s", suite.seconds(benchmark), kind="info", what="engine.commands.backtest.backtest")
    for target in bt.TARGETS:
        short = "lt" if target == "long_term_unemployed" else "u"
        groups = {hs: bt.summary(fc[fc.target == target], range(*hs)).set_index("method") for hs in ((1, 4), (6, 13), (1, 13))}
        model_6_12, persistence_6_12 = groups[(6, 13)].loc["model"], groups[(6, 13)].loc["persistence"]
        suite.record(benchmark, f"bt_{short}_mape_6_12_vs_pers", model_6_12.mape_pct / persistence_6_12.mape_pct,
                     what=f"{target}: model MAPE ÷ persistence MAPE, 6–12 months (n = {int(model_6_12.n)})",
                     unit="×", limit=1.0, kind="max")
        cover = groups[(1, 13)].loc["model"]
        suite.record(benchmark, f"bt_{short}_coverage_pct", cover.coverage_p10_p90_pct,
                     what=f"{target}: actuals inside the model's P10–P90, 1–12 months (n = {int(cover.n)})",
                     unit="%", kind="range", lo=60.0, hi=95.0)
        for hs, label in (((1, 4), "1_3"), ((6, 13), "6_12")):
            for method, row in groups[hs].iterrows():
                suite.record(benchmark, f"bt_{short}_mape_{label}_{method}", row.mape_pct, unit="%", kind="info",
                             what=f"{target}: {method} MAPE, {label.replace('_', '–')} months (n = {int(row.n)})",
                             coverage_p10_p90_pct=None if row.coverage_p10_p90_pct != row.coverage_p10_p90_pct
                             else float(row.coverage_p10_p90_pct), pinball=float(row.pinball), n=int(row.n))
    benchmark.extra_info["scores"] = run.scores.to_dict(orient="records")
    benchmark.extra_info["ledger"] = run.ledger.to_dict(orient="records")
