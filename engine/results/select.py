"""Compiled one-pass selection for percentiles over the chunks of a run (numba; imported when a chunked
run builds its tables, so that ``import engine`` does not load numba).

:class:`engine.results.result._ChunkStats` keeps, per series and percentile, a bracket [lo, hi] from the
first chunk; every chunk then needs, per series, the count of values below lo, equal to lo, equal to hi,
and the values strictly between. numpy needed two comparisons over the whole chunk and a Python loop over
every series and percentile to pick the few values inside (about 2 100 series × 3 percentiles per chunk).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.common import compiled


def bracket_pass(v: np.ndarray, a: int, lo: np.ndarray, hi: np.ndarray, below: np.ndarray, eq_lo: np.ndarray,
                 eq_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count and pick the values of series ``a … a + rows − 1`` against their brackets.

    ``v`` (rows, n) one chunk's values, a series per row; ``lo``, ``hi`` (percentiles, series) the
    brackets of all the series. Adds to ``below``, ``eq_lo``, ``eq_hi`` (percentiles, series) the counts of
    values < lo, == lo, and == hi (when hi > lo; a bracket with hi == lo counts its values once, as equal
    to lo). Returns ``(flat, offsets)``: the values strictly inside bracket (i, a + r), in path order, are
    ``flat[offsets[i·rows + r] : offsets[i·rows + r + 1]]``. NaN is in no bracket (as numpy's comparisons).
    Every array C-contiguous (one compiled signature)."""
    return compiled.call(_bracket_pass, "the chunked percentiles' selection", v, a, lo, hi, below, eq_lo, eq_hi)


@njit(cache=True, nogil=True)
def _bracket_pass(v, a, lo, hi, below, eq_lo, eq_hi):
    rows, n = v.shape
    nq = lo.shape[0]
    inside = np.zeros(nq * rows, np.int64)
    for r in range(rows):
        row = v[r]
        c = a + r
        for i in range(nq):
            x_lo, x_hi = lo[i, c], hi[i, c]
            n_below = n_lo = n_hi = n_in = 0  # branch-free counts: the loop over the values is SIMD
            for j in range(n):
                x = row[j]
                n_below += x < x_lo
                n_lo += x == x_lo
                n_hi += x == x_hi
                n_in += (x > x_lo) & (x < x_hi)
            below[i, c] += n_below
            eq_lo[i, c] += n_lo
            if x_hi != x_lo:
                eq_hi[i, c] += n_hi
            inside[i * rows + r] = n_in
    offsets = np.zeros(nq * rows + 1, np.int64)
    for k in range(nq * rows):
        offsets[k + 1] = offsets[k] + inside[k]
    flat = np.empty(offsets[-1] + 1)  # + a slack slot: the branch-free pick writes every value somewhere
    slack = offsets[-1]
    for r in range(rows):
        row = v[r]
        c = a + r
        for i in range(nq):
            x_lo, x_hi = lo[i, c], hi[i, c]
            at, end = offsets[i * rows + r], offsets[i * rows + r + 1]
            if end > at:  # no branch on the value: a P50 bracket's "x > lo" is a coin flip for the predictor
                for j in range(n):
                    x = row[j]
                    flat[at if at < end else slack] = x
                    at += (x > x_lo) & (x < x_hi)
    return flat[:slack], offsets
