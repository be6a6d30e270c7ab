"""Percentiles on the draws axis (issue 6): the statistics behind every table row, mean and P10/P50/P90
of a (draws, series) block with numpy's default linear interpolation, by several methods on one block
of the size the 100 000-path model summarises for one monthly measure (100 000 × 78 float64, 62 MB).

No target: the figures say which method ``engine.results.result.summarise`` should use. Each method is checked
against ``np.percentile``; ``extra_info["vs_np_percentile"]`` is np.percentile's time / the method's.
"""
from __future__ import annotations

import numpy as np
import pytest

from engine.results.result import summarise

DRAWS, SERIES = 100_000, 78
Q = np.array([0.10, 0.50, 0.90])


def _order_stats(n: int):
    pos = Q * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    return lo, hi, pos - lo


def _interpolate(s_lo, s_hi, frac):
    return s_lo + frac * (s_hi - s_lo)


def np_percentile(x):
    return np.column_stack([x.mean(0), np.percentile(x, 100 * Q, axis=0).T])


def sort_axis0(x):
    """One sort down the columns (strided), then the three order statistics."""
    lo, hi, frac = _order_stats(x.shape[0])
    s = np.sort(x, axis=0)
    return np.column_stack([x.mean(0), _interpolate(s[lo].T, s[hi].T, frac)])


def sort_transposed(x):
    """A contiguous transposed copy, sorted in place row by row (each series' draws contiguous)."""
    lo, hi, frac = _order_stats(x.shape[0])
    s = np.array(x.T, order="C")  # always a copy: never reorder the caller's paths
    s.sort(axis=1)
    return np.column_stack([x.mean(0), _interpolate(s[:, lo], s[:, hi], frac)])


def partition_transposed(x):
    """np.partition on the contiguous transposed copy at only the (up to six) order statistics needed."""
    lo, hi, frac = _order_stats(x.shape[0])
    s = np.array(x.T, order="C")  # always a copy: never reorder the caller's paths
    s.partition(np.unique(np.concatenate([lo, hi])), axis=1)
    return np.column_stack([x.mean(0), _interpolate(s[:, lo], s[:, hi], frac)])


def partition_nested(x):
    """Three single-kth partitions, each inside the previous one's left part (P90, then P50 within the
    lower 90 %, then P10 within the lower half), on the contiguous transposed copy. numpy's single-kth
    partition is SIMD (x86-simd-sort); a multi-kth one is not. Each upper neighbour (order statistic
    k + 1) is the minimum of the part between k and the next partition point."""
    lo, hi, frac = _order_stats(x.shape[0])
    s = np.array(x.T, order="C")  # always a copy: never reorder the caller's paths
    n = s.shape[1]
    at_lo, at_hi = {}, {}
    end = n
    for k in sorted(set(lo.tolist()), reverse=True):
        s[:, :end].partition(k, axis=1)
        at_lo[k] = s[:, k].copy()
        at_hi[k] = s[:, k + 1:end + 1].min(axis=1) if k + 1 < n else at_lo[k]
        end = k
    s_lo = np.column_stack([at_lo[k] for k in lo])
    s_hi = np.column_stack([at_hi[k] if h > k else at_lo[k] for k, h in zip(lo, hi)])
    return np.column_stack([x.mean(0), _interpolate(s_lo, s_hi, frac)])


def partition_axis0(x):
    """np.partition down the columns, no transposed copy."""
    lo, hi, frac = _order_stats(x.shape[0])
    s = np.partition(x, np.unique(np.concatenate([lo, hi])), axis=0)
    return np.column_stack([x.mean(0), _interpolate(s[lo].T, s[hi].T, frac)])


METHODS = {
    "np_percentile": np_percentile,  # first: the others are compared with it
    "engine_summarise": summarise,
    "sort_axis0": sort_axis0,
    "sort_transposed": sort_transposed,
    "partition_transposed": partition_transposed,
    "partition_axis0": partition_axis0,
    "partition_nested": partition_nested,
    "partition_nested_float32": partition_nested,  # the same on float32 draws (half the bytes)
}


@pytest.fixture(scope="module")
def draws():
    rng = np.random.default_rng(6)
    # right-skewed, series with different scales, like unemployed / TMT cost paths
    return rng.lognormal(0.0, 0.3, (DRAWS, SERIES)) * np.linspace(100.0, 10_000.0, SERIES)


@pytest.fixture(scope="module")
def expected(draws):
    return np_percentile(draws)


@pytest.mark.benchmark(group="percentiles")
@pytest.mark.parametrize("method", list(METHODS))
def test_percentiles(benchmark, suite, draws, expected, method):
    """Mean + P10/P50/P90 of 100 000 × 78 draws by ``method`` (see the module docstring)."""
    x = draws.astype(np.float32) if method.endswith("float32") else draws
    stats = benchmark.pedantic(METHODS[method], args=(x,), rounds=3, warmup_rounds=1)
    assert stats.shape == (SERIES, 4)
    np.testing.assert_allclose(stats, expected, rtol=1e-5 if x.dtype == np.float32 else 1e-12)
    t = suite.seconds(benchmark)
    suite.figures[f"percentile_{method}_s"] = t
    base = suite.figures.get("percentile_np_percentile_s")
    benchmark.extra_info.update(draws=DRAWS, series=SERIES, dtype=str(x.dtype),
                                vs_np_percentile=base / t if base else None)
