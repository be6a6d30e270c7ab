"""The vectorised month loop: labour flows and TMT recipients for all paths at once.

All per-path arrays carry the paths axis first: states are (paths, buckets), inputs (paths or 1,
months). The only Python loop is over months; every path moves in the same numpy operation.
:mod:`engine.reference` is the same model for one path in plain loops, the oracle for this one.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .labour import LONG_TERM_MONTHS, MAX_EXIT, capped_rates, cohort_step, job_finding, service_inflow_rate
from .tmt import BANDS, FIRST_BILLED, band_weights


@dataclass(frozen=True)
class Inputs:
    """Everything the month loop reads. Month index t runs over the grid; the loop starts at ``t0``.

    Shapes: ``(D,)``/``(K,)`` buckets; ``(P|1,)`` one value per path (or shared); ``(P|1, T)`` per path
    and month; ``(T,)`` per month; ``(T, K)``/``(T, D)`` per month and bucket.
    """

    t0: int  # first forecast month (the month after the as-of month)
    weekdays: np.ndarray  # (T,)
    U0: np.ndarray  # (D,) unemployed by months unemployed at the end of the as-of month
    S0: np.ndarray  # (D,) in services
    R0: np.ndarray  # (K,) subsidy recipients by subsidy months
    RS0: np.ndarray  # (K,) recipients in services
    psi: np.ndarray  # (D,) employability by months unemployed
    psi_r: np.ndarray  # (K,) employability by subsidy months
    alpha: float
    kappa: float  # exits to education and out of the labour force per hire
    return_rate: float  # services → unemployed, 1/month
    service_exit: float  # services → work, 1/month
    inflow_ratio: float  # new recipients per person reaching 12 months unemployed
    te24_extra_eur: float  # earnings-related premium over the basic rate, € per weekday
    A: np.ndarray  # (P|1,) matching efficiency
    eta: np.ndarray  # (P|1,) recipients' exit hazard relative to the jobseekers'
    inflow: np.ndarray  # (P|1, T) new unemployment spells, persons
    vacancies: np.ndarray  # (P|1, T) open vacancies
    season_exit: np.ndarray  # (T,)
    activation: np.ndarray  # (P|1, T) target share in services, 0…1
    direct_hires: np.ndarray  # (P|1, T) hires straight from the unemployed (a shock's local hiring)
    long_term_hires: np.ndarray  # (P|1, T) hires from the ≥ 12-month unemployed (a pilot)
    tmt_exits: np.ndarray  # (P|1, T) recipients past 300 days leaving for work (a pilot)
    labour_force: np.ndarray  # (P|1, T) persons
    tmt_inflow_extra: np.ndarray  # (P|1, T) new recipients from a shock (e.g. arrivals on the subsidy)
    amount_eur: np.ndarray  # (P|1, T) € per billed weekday before the municipal share
    share_R: np.ndarray  # (T, K) city's share of recipients' subsidy by bucket, rule in force
    billed_R: np.ndarray  # (T, K)
    services_billed: np.ndarray  # (T,) bool: time in services billed too (TE24)
    share_U: np.ndarray  # (T, D) TE24: earnings-related recipients' share × head count per jobseeker
    billed_U: np.ndarray  # (T, D)

    @property
    def months(self) -> int:
        return len(self.weekdays)


@dataclass(frozen=True)
class PathArrays:
    """(P, T) monthly outputs; columns before ``t0`` are left zero for the caller to fill.

    Stocks are end-of-month (as TEM counts them); TMT cost and billed persons are for the benefit
    month, on the stock at its start.
    """

    unemployed: np.ndarray
    long_term: np.ndarray
    services: np.ndarray
    exits_to_work: np.ndarray
    tmt_cost_keur: np.ndarray
    tmt_billed: np.ndarray
    tmt_cost_bands_keur: np.ndarray  # (P, T, 3) by subsidy-day band: under 500, 500–1 000, over 1 000 days


PER_PATH = ("A", "eta", "inflow", "vacancies", "activation", "direct_hires", "long_term_hires", "tmt_exits",
            "labour_force", "tmt_inflow_extra", "amount_eur")
BLOCK = 1024  # paths moved together: a block's states stay in the CPU cache through the month loop


def run(inp: Inputs, paths: int, block: int = BLOCK) -> PathArrays:
    """All paths, a block of paths at a time (cache blocking: every block is one vectorised loop;
    a path's numbers do not depend on the block it falls in)."""
    T = inp.months
    out = {k: np.zeros((paths, T)) for k in PathArrays.__dataclass_fields__}
    out["tmt_cost_bands_keur"] = np.zeros((paths, T, len(BANDS)))
    for a in range(0, paths, block):
        z = min(a + block, paths)
        rows = {k: getattr(inp, k)[a:z] if getattr(inp, k).shape[0] == paths > 1 else getattr(inp, k) for k in PER_PATH}
        part = _run_block(replace(inp, **rows), z - a)
        for k, v in part.items():
            out[k][a:z] = v
    return PathArrays(**out)


def _run_block(inp: Inputs, paths: int) -> dict[str, np.ndarray]:
    T, D, K = inp.months, len(inp.U0), len(inp.R0)
    L = LONG_TERM_MONTHS
    U = np.repeat(inp.U0[None], paths, 0)
    S = np.repeat(inp.S0[None], paths, 0)
    R = np.repeat(inp.R0[None], paths, 0)
    RS = np.repeat(inp.RS0[None], paths, 0)
    # sums over buckets as matrix–vector products (much faster than row sums over a short axis)
    all_d, long_d = np.ones(D), (np.arange(D) >= L).astype(float)
    all_k, billed_k = np.ones(K), (np.arange(K) >= FIRST_BILLED).astype(float)
    keys = [k for k in PathArrays.__dataclass_fields__ if k != "tmt_cost_bands_keur"]
    rows = {k: np.zeros((T, paths)) for k in keys}  # month-major while filling: each write is contiguous
    band_rows = np.zeros((T, paths, len(BANDS)))
    bands_R = band_weights(K)  # (K, 3)
    te24_months = inp.share_U.any(axis=1)
    ones = np.ones(paths)
    for t in range(inp.t0, T):
        # the city's bill for this benefit month, on the stock at its start
        per_person = inp.amount_eur[:, t] * inp.weekdays[t] / 1000.0 * ones  # k€ per billed person at share 1
        weights = inp.share_R[t][:, None] * bands_R  # (K, 3)
        billed_stock = R + RS if inp.services_billed[t] else R
        bands = (billed_stock @ weights) * per_person[:, None]
        billed = billed_stock @ inp.billed_R[t]
        if te24_months[t]:  # earnings-related recipients: all within their first 400 days
            US = U + S
            bands[:, 0] += (US @ inp.share_U[t]) * (per_person + inp.te24_extra_eur * inp.weekdays[t] / 1000.0)
            billed = billed + US @ inp.billed_U[t]

        # monthly exit probabilities: hires by matching, a shock's direct and long-term hires
        U_psi = U @ inp.psi
        U_long = U @ long_d
        f, f_direct = capped_rates(job_finding(inp.A, inp.vacancies[:, t], U @ all_d, inp.alpha, inp.season_exit[t]) * ones,
                                   inp.direct_hires[:, t] / np.maximum(U_psi, 1e-9), inp.kappa)
        per_psi = f * (1.0 + inp.kappa) + f_direct
        f_long = np.minimum(inp.long_term_hires[:, t] / np.maximum(U_long, 1e-9), MAX_EXIT - per_psi)
        keep = np.multiply.outer(-per_psi, inp.psi)
        keep += 1.0
        keep[:, L:] -= f_long[:, None]
        s = service_inflow_rate(inp.activation[:, t] * ones, inp.return_rate, inp.service_exit)
        exits_to_work = (f + f_direct) * U_psi + f_long * U_long + (S @ all_d) * inp.service_exit
        U, S, aged = cohort_step(U, S, keep, s, inp.return_rate, inp.service_exit, inp.inflow[:, t] * ones)

        # recipients: the jobseekers' rates without the seasonal swing (long spells), a pilot's exits
        r_per_psi = np.minimum(inp.eta * (f / inp.season_exit[t] * (1.0 + inp.kappa) + f_direct), MAX_EXIT)
        r_pilot = np.minimum(inp.tmt_exits[:, t] / np.maximum(R @ billed_k, 1e-9), MAX_EXIT - r_per_psi)
        r_keep = np.multiply.outer(-r_per_psi, inp.psi_r)
        r_keep += 1.0
        r_keep[:, FIRST_BILLED:] -= r_pilot[:, None]
        r_inflow = inp.inflow_ratio * aged[:, L - 1] + inp.tmt_inflow_extra[:, t]
        R, RS, _ = cohort_step(R, RS, r_keep, s, inp.return_rate, inp.service_exit, r_inflow)

        rows["unemployed"][t] = U @ all_d
        rows["long_term"][t] = U @ long_d
        rows["services"][t] = S @ all_d
        rows["exits_to_work"][t] = exits_to_work
        rows["tmt_cost_keur"][t] = bands @ np.ones(len(BANDS))
        rows["tmt_billed"][t] = billed
        band_rows[t] = bands
    out = {k: np.ascontiguousarray(v.T) for k, v in rows.items()}
    out["tmt_cost_bands_keur"] = np.ascontiguousarray(band_rows.transpose(1, 0, 2))
    return out
