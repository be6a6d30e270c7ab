"""Calibration benchmark (issue 6): ``engine.model.calibrate.calibrate(engine.load_baseline())`` — the three
least-squares / root-finding stages (labour history, TMT start, forecast inflow), nothing written.
Target ``calibrate_s`` ≤ 5 s."""
from __future__ import annotations

import pytest

from engine.model.calibrate import calibrate


@pytest.mark.benchmark(group="calibration")
def test_calibrate(benchmark, suite, baseline):
    """Fit every free parameter to the report, from the uncalibrated defaults. Target ≤ 5 s."""
    cal = benchmark.pedantic(calibrate, args=(baseline,), rounds=3, warmup_rounds=1)
    assert cal.values and cal.targets
    worst = max(abs(t.error_pct) for t in cal.targets)
    assert worst < 10.0, f"the fit is off by {worst:.1f} %: the benchmark timed a failed calibration"
    benchmark.extra_info["worst_error_pct"] = worst
    suite.record(benchmark, "calibrate_s", suite.seconds(benchmark), limit=5, what="engine.model.calibrate.calibrate")
