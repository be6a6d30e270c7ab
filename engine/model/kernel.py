"""The compiled month kernel behind :func:`engine.model.paths.run` (numba; see that module for the layout).

Arguments are positional, in the order of ``engine.model.paths.SCALARS``, ``ARRAYS``, then ``te24_months``,
``bands_R`` and the outputs of ``engine.model.paths.OUTPUTS``. Imported only when a run needs it, so that
``import engine`` does not load numba.
"""
from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from engine.common import compiled
from engine.model.labour import LONG_TERM_MONTHS, MAX_EXIT
from engine.model.tmt import FIRST_BILLED

MIN_BLOCKS_PER_THREAD = 4  # 256 paths; with the pool kept, 2 threads at 1 000 paths: median 14.7–18.5 → 9.9 ms
LANES = 64  # paths per block, SIMD across them (one thread, 100k paths: 16 lanes 3.4 s, 32 2.7, 64 1.8, 128 1.7)
# the drivers' pass, ~2 µs a path: 256 paths a thread as the kernel's blocks (1 000 paths 2.5–3.4 → 1.9–2.0 ms,
# 10 000 21–34 → 11–18 ms); the noise recursion, ~0.2 µs a path, pays for a thread's hand-off (~0.15 ms)
# from ~1 000 paths a thread (1 000 paths 0.22 → 0.31–0.36 ms on two threads, 5 000 1.05–1.10 → 0.71–0.78)
MIN_PATHS_PER_THREAD_DRIVERS = MIN_BLOCKS_PER_THREAD * LANES
MIN_PATHS_PER_THREAD_AR1 = 1024


def run_blocks(paths: int, args: list) -> None:
    """Fill the outputs in ``args`` for ``paths`` paths: a run of blocks per thread, or one thread."""
    compiled.call(_kernel, "the month kernel", 0, 0, *args)  # no blocks: compiled (or loaded) before the threads
    _in_threads((paths + LANES - 1) // LANES, MIN_BLOCKS_PER_THREAD, lambda first, last: _kernel(first, last, *args))


def _in_threads(count: int, min_per_thread: int, part) -> None:
    """``part(first, last)`` over ``0 … count − 1`` (blocks or paths, each independent of the others) cut
    into one run per thread: numba's thread count at most, each run at least ``min_per_thread`` long.
    The parts are compiled functions that release the GIL; how the rows are cut does not change a bit."""
    threads = max(1, min(numba.get_num_threads(), count // min_per_thread))
    if threads == 1:
        part(0, count)
        return
    cuts = [count * j // threads for j in range(threads + 1)]
    list(_pool(threads).map(lambda j: part(cuts[j], cuts[j + 1]), range(threads)))


def together(*calls) -> list:
    """The results of ``calls`` (functions of no arguments that release the GIL, such as numpy's random
    draws), run at once on the kernel's threads. Not from a call already on those threads: it would wait
    for a thread that waits for it."""
    if len(calls) == 1 or numba.get_num_threads() == 1:
        return [call() for call in calls]
    return list(_pool(min(len(calls), numba.get_num_threads())).map(lambda call: call(), calls))


_lock = threading.Lock()  # the pools: the app's warm-up thread and its first page may start runs at once
_pools: dict[int, ThreadPoolExecutor] = {}


def _after_fork_in_child() -> None:
    """A forked process (a batch worker) has none of its parent's threads: a pool it inherited would take
    work and never run it (the run hangs), and a lock held by a parent's thread would never be released."""
    global _lock
    _lock = threading.Lock()
    _pools.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool per thread count for the process: starting threads for every run cost ~0.2 ms a run."""
    with _lock:  # two sessions of the app may ask at once: one pool each size
        if threads not in _pools:
            _pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="etp-kernel")
        return _pools[threads]


def ar1(eps: np.ndarray, sd: float, ar: float, start: int = 0) -> np.ndarray:
    """(P, months) ``z[t] = ar·z[t−1] + sd·eps[t]`` along each row of ``eps`` (C-contiguous float64) from
    month ``start`` on, z = 0 before it: the noise of the vacancies and the business cycle.

    The same operations in the same order as ``scipy.signal.lfilter([sd], [1, −ar], eps[:, start:], axis=1)``
    (its direct form II: ``y = z + sd·x``, then ``z = 0·x − y·(−ar)``), so the same bits, signed zeros
    included; scipy.signal took 1.1 s to import (scipy.stats with it) in every process that ran."""
    out, start = np.empty_like(eps), int(start)
    compiled.call(_ar1, "the noise recursion", eps, sd, ar, start, out, 0, 0)  # compiled (or loaded) before the threads
    _in_threads(len(eps), MIN_PATHS_PER_THREAD_AR1, lambda first, last: _ar1(eps, sd, ar, start, out, first, last))
    return out


@njit(cache=True, nogil=True)
def _ar1(eps, sd, ar, start, out, first, last):
    T = eps.shape[1]
    minus_ar = -ar
    for i in range(first, last):
        for t in range(min(start, T)):
            out[i, t] = 0.0
        z = 0.0
        for t in range(start, T):
            x = eps[i, t]
            y = z + sd * x
            out[i, t] = y
            z = 0.0 * x - y * minus_ar
    return out


def drivers(z, cycle, loading, v_season, v_mult, v_shock_mult, v_shock, drift_rate, years, one_minus_alpha,
            l1, l_star, w, inflow_season, i_mult, i_shock_mult, i_shock) -> tuple[np.ndarray, np.ndarray]:
    """(vacancies, new spells), each (P, months), from the two AR(1) noises and their factors, in one pass
    (engine.model.labour.forecast_drivers gives the formulas and the arguments' meaning). Arrays are
    (P|1, months) (``z``, ``cycle``, the multipliers and shocks), (P|1,) (``drift_rate``, ``l1``,
    ``l_star``) or (months,); each is made float64 and C-contiguous here (one compiled signature)."""
    paths = max(np.shape(a)[0] for a in (z, cycle, v_mult, v_shock_mult, v_shock, drift_rate, l1, l_star, i_mult,
                                         i_shock_mult, i_shock))
    out_v, out_in = np.empty((paths, len(years))), np.empty((paths, len(years)))
    args = [float(a) if np.ndim(a) == 0 else np.ascontiguousarray(a, dtype=np.float64)
            for a in (z, cycle, loading, v_season, v_mult, v_shock_mult, v_shock, drift_rate, years, one_minus_alpha,
                      l1, l_star, w, inflow_season, i_mult, i_shock_mult, i_shock)]
    compiled.call(_drivers, "the forecast drivers", *args, out_v, out_in, 0, 0)  # compiled (or loaded) first
    _in_threads(paths, MIN_PATHS_PER_THREAD_DRIVERS, lambda first, last: _drivers(*args, out_v, out_in, first, last))
    return out_v, out_in


@njit(cache=True, nogil=True)
def _drivers(z, cycle, loading, v_season, v_mult, v_shock_mult, v_shock, drift_rate, years, one_minus_alpha,
             l1, l_star, w, inflow_season, i_mult, i_shock_mult, i_shock, out_v, out_in, first, last):
    # numpy's operations in numpy's order (engine.model.labour.forecast_drivers; the same bits where numpy's
    # exp is the C library's, tests/test_labour_tmt), fused: no (P, T) temporaries, one pass over a path's
    # months; paths first … last − 1 (one thread's run)
    T = out_v.shape[1]
    for i in range(first, last):
        g = drift_rate[i if drift_rate.shape[0] > 1 else 0]
        gi = g * one_minus_alpha
        a1 = l1[i if l1.shape[0] > 1 else 0]
        ls = l_star[i if l_star.shape[0] > 1 else 0]
        for t in range(T):
            c = _at(cycle, i, t)
            v = v_season[t] * math.exp(g * years[t])
            v = v * _at(v_mult, i, t)
            v = v * _at(v_shock_mult, i, t)
            v = v * math.exp(_at(z, i, t) - loading * c)
            v = v + _at(v_shock, i, t)
            out_v[i, t] = v if (v >= 0.0 or v != v) else 0.0  # np.maximum(v, 0.0): NaN and −0.0 kept
            level = a1 * (1.0 - w[t]) + ls * math.exp(gi * years[t]) * w[t]
            n = (level + inflow_season[t]) * math.exp(c)
            n = n * _at(i_mult, i, t)
            n = n * _at(i_shock_mult, i, t)
            n = n + _at(i_shock, i, t)
            out_in[i, t] = n if (n >= 0.0 or n != n) else 0.0


@njit
def _at(x, i, t):
    """x[i, t] of a (P|1, T) array: one row shared by every path, or a row per path."""
    return x[i if x.shape[0] > 1 else 0, t]


@njit(cache=True, nogil=True)
def _kernel(first, last, t0, alpha, kappa, r, e_s, inflow_ratio, te24_extra_eur,
            weekdays, U0, S0, R0, RS0, psi, psi_r, A, eta, inflow, vacancies, season_exit,
            activation, direct_hires, long_term_hires, tmt_exits, tmt_inflow_extra, amount_eur,
            share_R, billed_R, services_billed, share_U, billed_U,
            te24_months, bands_R,
            o_unemployed, o_long_term, o_services, o_exits, o_cost, o_billed, o_bands):
    """Blocks ``first … last − 1`` of paths, one after the other, without the GIL (run() gives each thread
    a run of blocks: plain threads over a serial kernel compile in half the time of a ``prange`` loop)."""
    for blk in range(first, last):
        _block(blk, t0, alpha, kappa, r, e_s, inflow_ratio, te24_extra_eur, weekdays, U0, S0, R0, RS0, psi, psi_r, A,
               eta, inflow, vacancies, season_exit, activation, direct_hires, long_term_hires, tmt_exits,
               tmt_inflow_extra, amount_eur, share_R, billed_R, services_billed, share_U, billed_U, te24_months,
               bands_R, o_unemployed, o_long_term, o_services, o_exits, o_cost, o_billed, o_bands)


@njit(cache=True)
def _block(blk, t0, alpha, kappa, r, e_s, inflow_ratio, te24_extra_eur,
            weekdays, U0, S0, R0, RS0, psi, psi_r, A, eta, inflow, vacancies, season_exit,
            activation, direct_hires, long_term_hires, tmt_exits, tmt_inflow_extra, amount_eur,
            share_R, billed_R, services_billed, share_U, billed_U,
            te24_months, bands_R,
            o_unemployed, o_long_term, o_services, o_exits, o_cost, o_billed, o_bands):
    """Paths ``blk·LANES … blk·LANES + LANES − 1`` through months t0 … T−1 (the model as engine.model.reference).

    All of the block's state is one (rows, LANES) array: the stocks by bucket, then one row per per-path
    quantity. One base array lets the compiler prove that the rows do not overlap, so every loop over
    the lanes becomes SIMD without runtime alias checks.
    """
    P, T = o_unemployed.shape
    D, K = U0.shape[0], R0.shape[0]
    L, FB, W = LONG_TERM_MONTHS, FIRST_BILLED, LANES
    stay_s = 1.0 - r - e_s
    # row offsets: stocks (U, S by months unemployed; R, RS by subsidy months), then the per-path rows
    U_, S_ = 0, D
    R_, RS_ = 2 * D, 2 * D + K
    B0 = 2 * D + 2 * K  # bands 0…2
    BILLED, PP, UALL, UPSI, ULONG, SALL, RBILL = B0 + 3, B0 + 4, B0 + 5, B0 + 6, B0 + 7, B0 + 8, B0 + 9
    F, FD, PERPSI, FLONG, SV, EXITS = B0 + 10, B0 + 11, B0 + 12, B0 + 13, B0 + 14, B0 + 15
    RPP, RPILOT = B0 + 16, B0 + 17
    CARRY = B0 + 18  # the previous bucket's ageing flow (the month's inflow for bucket 0)
    AGL, SCRATCH = B0 + 19, B0 + 20  # the flow reaching 12 months unemployed; TE24's share-weighted head count
    x = np.empty((B0 + 21, W))
    one_band = np.full(K, -1, np.int64)  # the band holding all of bucket k's days (weight 1, the others 0), or −1
    for k in range(K):
        for b in range(3):
            if bands_R[k, b] == 1.0 and bands_R[k, 0] + bands_R[k, 1] + bands_R[k, 2] == 1.0:
                one_band[k] = b
    lane = np.empty(W, np.int64)  # path of each lane; a short last block repeats the last path
    for w in range(W):
        lane[w] = min(blk * W + w, P - 1)
    for d in range(D):
        for w in range(W):
            x[U_ + d, w] = U0[d]
            x[S_ + d, w] = S0[d]
    for k in range(K):
        for w in range(W):
            x[R_ + k, w] = R0[k]
            x[RS_ + k, w] = RS0[k]
    # the stocks' sums at the start of the first month; later months carry them from the month before
    for w in range(W):
        x[UALL, w] = x[UPSI, w] = x[ULONG, w] = x[SALL, w] = x[RBILL, w] = 0.0
    for d in range(D):
        for w in range(W):
            x[UALL, w] += x[U_ + d, w]
            x[UPSI, w] += x[U_ + d, w] * psi[d]
            x[SALL, w] += x[S_ + d, w]
    for d in range(L, D):
        for w in range(W):
            x[ULONG, w] += x[U_ + d, w]
    for k in range(FB, K):
        for w in range(W):
            x[RBILL, w] += x[R_ + k, w]
    for t in range(t0, T):
        # the city's bill for this benefit month, on the stock at its start
        for w in range(W):
            x[PP, w] = amount_eur[lane[w] if amount_eur.shape[0] > 1 else 0, t] * weekdays[t] / 1000.0
            x[B0, w] = x[B0 + 1, w] = x[B0 + 2, w] = x[BILLED, w] = 0.0
        for k in range(K):
            bk = billed_R[t, k]
            if one_band[k] >= 0:  # all the bucket's days in one band: the other bands would add exact zeros
                row, wk = B0 + one_band[k], share_R[t, k] * bands_R[k, one_band[k]]
                if services_billed[t]:
                    for w in range(W):
                        people = x[R_ + k, w] + x[RS_ + k, w]
                        x[row, w] += people * wk
                        x[BILLED, w] += people * bk
                else:
                    for w in range(W):
                        people = x[R_ + k, w]
                        x[row, w] += people * wk
                        x[BILLED, w] += people * bk
                continue
            w0, w1, w2 = share_R[t, k] * bands_R[k, 0], share_R[t, k] * bands_R[k, 1], share_R[t, k] * bands_R[k, 2]
            if services_billed[t]:
                for w in range(W):
                    people = x[R_ + k, w] + x[RS_ + k, w]
                    x[B0, w] += people * w0
                    x[B0 + 1, w] += people * w1
                    x[B0 + 2, w] += people * w2
                    x[BILLED, w] += people * bk
            else:
                for w in range(W):
                    people = x[R_ + k, w]
                    x[B0, w] += people * w0
                    x[B0 + 1, w] += people * w1
                    x[B0 + 2, w] += people * w2
                    x[BILLED, w] += people * bk
        for b in range(3):
            for w in range(W):
                x[B0 + b, w] *= x[PP, w]
        if te24_months[t]:  # earnings-related recipients: all within their first 400 days
            extra = te24_extra_eur * weekdays[t] / 1000.0
            for w in range(W):
                x[SCRATCH, w] = 0.0  # here: the share-weighted head count
            for d in range(D):
                sh, bu = share_U[t, d], billed_U[t, d]
                for w in range(W):
                    us = x[U_ + d, w] + x[S_ + d, w]
                    x[SCRATCH, w] += us * sh
                    x[BILLED, w] += us * bu
            for w in range(W):
                x[B0, w] += x[SCRATCH, w] * (x[PP, w] + extra)

        # monthly exit probabilities: hires by matching, a shock's direct and long-term hires
        for w in range(W):
            i = lane[w]
            f = (A[i if A.shape[0] > 1 else 0] * (max(_at(vacancies, i, t), 0.0) / max(x[UALL, w], 1e-9))
                 ** (1.0 - alpha) * season_exit[t])
            fd = _at(direct_hires, i, t) / max(x[UPSI, w], 1e-9)
            scale = min(1.0, MAX_EXIT / max(f * (1.0 + kappa) + fd, 1e-12))
            x[F, w], x[FD, w] = f * scale, fd * scale
        for w in range(W):
            i = lane[w]
            f, fd = x[F, w], x[FD, w]
            per_psi = f * (1.0 + kappa) + fd
            x[PERPSI, w] = per_psi
            x[FLONG, w] = min(_at(long_term_hires, i, t) / max(x[ULONG, w], 1e-9), MAX_EXIT - per_psi)
            a = min(max(_at(activation, i, t), 0.0), MAX_EXIT)
            x[SV, w] = min(a / (1.0 - a) * (r + e_s), MAX_EXIT)
            x[EXITS, w] = (f + fd) * x[UPSI, w] + x[FLONG, w] * x[ULONG, w] + x[SALL, w] * e_s
            rpp = min(eta[i if eta.shape[0] > 1 else 0] * (f / season_exit[t] * (1.0 + kappa) + fd), MAX_EXIT)
            x[RPP, w] = rpp
            x[RPILOT, w] = min(_at(tmt_exits, i, t) / max(x[RBILL, w], 1e-9), MAX_EXIT - rpp)

        # unemployed and services (labour.cohort_step): exits, a share to services, the rest ages a month;
        # bucket by bucket in one pass, summing the new stocks on the way (next month's start sums). The
        # bucket's role (long-term, the last, the one reaching 12 months) is a test that is the same for
        # every lane, so the compiler moves it out of the lane loop (one SIMD loop per role); a role's
        # terms are added only where they apply (10–20 % faster than multiplying them by 0 or 1, same bits).
        for w in range(W):
            x[UALL, w] = x[UPSI, w] = x[ULONG, w] = x[SALL, w] = 0.0
            x[CARRY, w] = _at(inflow, lane[w], t)
        for d in range(D):
            p = psi[d]
            is_long = d >= L
            is_last = d == D - 1
            is_agl = d == L - 1
            for w in range(W):
                q = -x[PERPSI, w] * p + 1.0
                if is_long:
                    q = q - x[FLONG, w]
                kept = x[U_ + d, w] * q
                to_s = kept * x[SV, w]
                aged = kept - to_s
                new_u = x[S_ + d, w] * r + x[CARRY, w]  # back from services at their duration
                if is_last:
                    new_u = new_u + aged
                new_s = x[S_ + d, w] * stay_s + to_s
                if is_agl:
                    x[AGL, w] = aged
                x[CARRY, w] = aged
                x[U_ + d, w] = new_u
                x[S_ + d, w] = new_s
                x[UALL, w] += new_u
                x[UPSI, w] += new_u * p
                x[SALL, w] += new_s
                if is_long:
                    x[ULONG, w] += new_u

        # recipients: the jobseekers' rates without the seasonal swing (long spells), a pilot's exits; their
        # inflow is the people reaching 12 months unemployed and a shock's arrivals
        for w in range(W):
            x[RBILL, w] = 0.0
            x[CARRY, w] = inflow_ratio * x[AGL, w] + _at(tmt_inflow_extra, lane[w], t)
        for k in range(K):
            p = psi_r[k]
            is_pilot = k >= FB
            is_last = k == K - 1
            for w in range(W):
                q = -x[RPP, w] * p + 1.0
                if is_pilot:
                    q = q - x[RPILOT, w]
                kept = x[R_ + k, w] * q
                to_s = kept * x[SV, w]
                aged = kept - to_s
                new_r = x[RS_ + k, w] * r + x[CARRY, w]
                if is_last:
                    new_r = new_r + aged
                x[CARRY, w] = aged
                x[RS_ + k, w] = x[RS_ + k, w] * stay_s + to_s
                x[R_ + k, w] = new_r
                if is_pilot:
                    x[RBILL, w] += new_r

        for w in range(W):
            if blk * W + w < P:
                i = lane[w]
                o_unemployed[i, t] = x[UALL, w]
                o_long_term[i, t] = x[ULONG, w]
                o_services[i, t] = x[SALL, w]
                o_exits[i, t] = x[EXITS, w]
                o_cost[i, t] = x[B0, w] + x[B0 + 1, w] + x[B0 + 2, w]
                o_billed[i, t] = x[BILLED, w]
                for b in range(3):
                    o_bands[i, t, b] = x[B0 + b, w]
