"""The vectorised month loop: labour flows and TMT recipients for all paths at once.

All per-path arrays carry the paths axis first: states are (paths, buckets), inputs (paths or 1,
months). The only Python loop is over months; every path moves in the same numpy operation.
:mod:`engine.reference` is the same model for one path in plain loops, the oracle for this one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .labour import LONG_TERM_MONTHS, cohort_step, job_finding, service_inflow_rate
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


def run(inp: Inputs, paths: int) -> PathArrays:
    T = inp.months
    U = np.repeat(inp.U0[None], paths, 0)
    S = np.repeat(inp.S0[None], paths, 0)
    R = np.repeat(inp.R0[None], paths, 0)
    RS = np.repeat(inp.RS0[None], paths, 0)
    out = {k: np.zeros((paths, T)) for k in PathArrays.__dataclass_fields__}
    out["tmt_cost_bands_keur"] = np.zeros((paths, T, len(BANDS)))
    bands_R = band_weights(len(inp.R0))  # (K, 3)
    te24_months = inp.share_U.any(axis=1)
    ones = np.ones(paths)
    for t in range(inp.t0, T):
        per_person = inp.amount_eur[:, t] * inp.weekdays[t] / 1000.0  # k€ per billed person at share 1
        weights = inp.share_R[t][:, None] * bands_R  # (K, 3)
        bands = (R @ weights) * per_person[:, None]
        billed = R @ inp.billed_R[t]
        if inp.services_billed[t]:
            bands += (RS @ weights) * per_person[:, None]
            billed = billed + RS @ inp.billed_R[t]
        if te24_months[t]:  # earnings-related recipients: all within their first 400 days
            US = U + S
            bands[:, 0] += (US @ inp.share_U[t]) * (per_person + inp.te24_extra_eur * inp.weekdays[t] / 1000.0)
            billed = billed + US @ inp.billed_U[t]

        f = job_finding(inp.A, inp.vacancies[:, t], U.sum(1), inp.alpha, inp.season_exit[t])  # (P,)
        f_direct = inp.direct_hires[:, t] / np.maximum(U @ inp.psi, 1e-9)
        f_long = inp.long_term_hires[:, t] / np.maximum(U[:, LONG_TERM_MONTHS:].sum(1), 1e-9)
        per_psi = f * (1.0 + inp.kappa) + f_direct  # all exits per unit of employability
        hazard = per_psi[:, None] * inp.psi[None]
        hazard[:, LONG_TERM_MONTHS:] += f_long[:, None]
        s = service_inflow_rate(inp.activation[:, t] * ones, inp.return_rate, inp.service_exit)
        U, S, exits, s_work, aged = cohort_step(U, S, hazard, s, inp.return_rate, inp.service_exit, inp.inflow[:, t] * ones)
        # exits to education and out of the labour force are the f·κ·ψ part of each bucket's hazard
        other = exits * np.divide((f * inp.kappa)[:, None] * inp.psi[None], hazard, out=np.zeros_like(hazard),
                                  where=hazard > 0)
        new_long_term = aged[:, LONG_TERM_MONTHS - 1]

        # the long-term recipients' exits carry no seasonal swing (summer jobs and school leavers are short spells)
        r_hazard = (inp.eta * (f / inp.season_exit[t] * (1.0 + inp.kappa) + f_direct))[:, None] * inp.psi_r[None]
        r_hazard[:, FIRST_BILLED:] += (inp.tmt_exits[:, t] / np.maximum(R[:, FIRST_BILLED:].sum(1), 1e-9))[:, None]
        r_inflow = inp.inflow_ratio * new_long_term + inp.tmt_inflow_extra[:, t]
        R, RS, *_ = cohort_step(R, RS, r_hazard, s, inp.return_rate, inp.service_exit, r_inflow)

        out["unemployed"][:, t] = U.sum(1)
        out["long_term"][:, t] = U[:, LONG_TERM_MONTHS:].sum(1)
        out["services"][:, t] = S.sum(1)
        out["exits_to_work"][:, t] = (exits - other).sum(1) + s_work
        out["tmt_cost_keur"][:, t] = bands.sum(1)
        out["tmt_cost_bands_keur"][:, t] = bands
        out["tmt_billed"][:, t] = billed
    return PathArrays(**out)
