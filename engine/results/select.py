"""Compiled one-pass selection for percentiles over the chunks of a run (numba; imported when a chunked
run builds its tables, so that ``import engine`` does not load numba).

:class:`engine.results.result._ChunkStats` keeps, per series and percentile, a bracket [lo, hi] from the
first chunk; every chunk then needs, per series, the count of values below lo, equal to lo, equal to hi,
and the values strictly between. numpy needed two comparisons over the whole chunk and a Python loop over
every series and percentile to pick the few values inside (about 2 100 series × 3 percentiles per chunk);
here one pass over each series' values does all three percentiles.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def bracket_pass(v, lo, hi, below, eq_lo, eq_hi):
    """Count and pick each row's values against its brackets.

    ``v`` (rows, n) one chunk's values, a series per row; ``lo``, ``hi`` (percentiles, rows) the brackets.
    Adds to ``below``, ``eq_lo``, ``eq_hi`` (percentiles, rows) the counts of values < lo, == lo, and == hi
    (when hi > lo; a bracket with hi == lo counts its values once, as equal to lo). Returns ``(flat,
    offsets)``: the values strictly inside bracket (i, r), in path order, are
    ``flat[offsets[i·rows + r] : offsets[i·rows + r + 1]]``. NaN is in no bracket (as numpy's comparisons).
    """
    rows, n = v.shape
    nq = lo.shape[0]
    inside = np.zeros(nq * rows, np.int64)
    for r in range(rows):
        row = v[r]
        for i in range(nq):
            a, b = lo[i, r], hi[i, r]
            n_below = n_lo = n_hi = n_in = 0  # branch-free counts: the loop over the values is SIMD
            for j in range(n):
                x = row[j]
                n_below += x < a
                n_lo += x == a
                n_hi += x == b
                n_in += (x > a) & (x < b)
            below[i, r] += n_below
            eq_lo[i, r] += n_lo
            if b != a:
                eq_hi[i, r] += n_hi
            inside[i * rows + r] = n_in
    offsets = np.zeros(nq * rows + 1, np.int64)
    for c in range(nq * rows):
        offsets[c + 1] = offsets[c] + inside[c]
    flat = np.empty(offsets[-1] + 1)  # + a slack slot: the branch-free pick writes every value somewhere
    slack = offsets[-1]
    for r in range(rows):
        row = v[r]
        for i in range(nq):
            a, b = lo[i, r], hi[i, r]
            at, end = offsets[i * rows + r], offsets[i * rows + r + 1]
            if end > at:  # no branch on the value: a P50 bracket's "x > lo" is a coin flip for the predictor
                for j in range(n):
                    x = row[j]
                    flat[at if at < end else slack] = x
                    at += (x > a) & (x < b)
    return flat[:slack], offsets
