"""One path in plain Python loops: the oracle for the vectorised month loop in :mod:`engine.model.paths`.

Written for reading, not speed: every flow is a named local, bucket by bucket. It reads the same
:class:`engine.model.paths.Inputs` as the vectorised loop and returns the same monthly series for path ``i``.
"""
from __future__ import annotations

from engine.model.labour import LONG_TERM_MONTHS, MAX_EXIT
from engine.model.paths import Inputs
from engine.model.tmt import FIRST_BILLED, band_weights


def _at(row_or_rows, i: int):
    """Value for path i of a (P|1,) or (P|1, T) array."""
    return row_or_rows[i] if len(row_or_rows) > 1 else row_or_rows[0]


def run_path(inp: Inputs, i: int) -> dict[str, list[float]]:
    T = inp.months
    D, K = len(inp.U0), len(inp.R0)
    U = [float(x) for x in inp.U0]
    S = [float(x) for x in inp.S0]
    R = [float(x) for x in inp.R0]
    RS = [float(x) for x in inp.RS0]
    keys = ("unemployed", "long_term", "services", "exits_to_work", "tmt_cost_keur", "tmt_billed")
    out = {k: [0.0] * T for k in keys}
    out["tmt_cost_bands_keur"] = [[0.0, 0.0, 0.0] for _ in range(T)]
    bands_R = band_weights(K)
    A = float(_at(inp.A, i))
    eta = float(_at(inp.eta, i))
    r, e_s = inp.return_rate, inp.service_exit

    for t in range(inp.t0, T):
        amount = float(_at(inp.amount_eur, i)[t])
        per_person = amount * inp.weekdays[t] / 1000.0

        # the city's bill for this benefit month, on the stock at its start
        bands = [0.0, 0.0, 0.0]
        billed = 0.0
        for k in range(K):
            people = R[k] + (RS[k] if inp.services_billed[t] else 0.0)
            for b in range(3):
                bands[b] += people * inp.share_R[t, k] * bands_R[k, b] * per_person
            billed += people * inp.billed_R[t, k]
        for d in range(D):
            jobseekers = U[d] + S[d]
            bands[0] += jobseekers * inp.share_U[t, d] * (per_person + inp.te24_extra_eur * inp.weekdays[t] / 1000.0)
            billed += jobseekers * inp.billed_U[t, d]

        # hires: matching function, then duration profile; a path's rates are capped together at 95 %
        unemployed = sum(U)
        vacancies = max(float(_at(inp.vacancies, i)[t]), 0.0)
        f = A * (vacancies / max(unemployed, 1e-9)) ** (1.0 - inp.alpha) * inp.season_exit[t]
        weighted = sum(U[d] * inp.psi[d] for d in range(D))
        f_direct = float(_at(inp.direct_hires, i)[t]) / max(weighted, 1e-9)
        total = f * (1.0 + inp.kappa) + f_direct
        scale = min(1.0, MAX_EXIT / max(total, 1e-12))
        f, f_direct = f * scale, f_direct * scale
        per_psi = f * (1.0 + inp.kappa) + f_direct
        long_term_now = sum(U[LONG_TERM_MONTHS:])
        f_long = min(float(_at(inp.long_term_hires, i)[t]) / max(long_term_now, 1e-9), MAX_EXIT - per_psi)

        target = min(max(float(_at(inp.activation, i)[t]), 0.0), MAX_EXIT)
        s = min(target / (1.0 - target) * (r + e_s), MAX_EXIT)

        # unemployed and services
        new_U = [0.0] * D
        new_S = [0.0] * D
        exits_to_work = 0.0
        new_long_term = 0.0
        for d in range(D):
            p_exit = per_psi * inp.psi[d] + (f_long if d >= LONG_TERM_MONTHS else 0.0)
            leaving = U[d] * p_exit
            to_other = U[d] * f * inp.kappa * inp.psi[d]
            exits_to_work += leaving - to_other
            staying = U[d] - leaving
            to_services = staying * s
            ageing = staying - to_services
            back = S[d] * r
            to_work = S[d] * e_s
            exits_to_work += to_work
            new_S[d] = S[d] - back - to_work + to_services
            new_U[d] += back
            new_U[min(d + 1, D - 1)] += ageing
            if d == LONG_TERM_MONTHS - 1:
                new_long_term = ageing
        new_U[0] += float(_at(inp.inflow, i)[t])

        # subsidy recipients: the same flows with their own rates (no seasonal swing) and inflow
        r_per_psi = min(eta * (f / inp.season_exit[t] * (1.0 + inp.kappa) + f_direct), MAX_EXIT)
        billed_now = sum(R[FIRST_BILLED:])
        r_pilot = min(float(_at(inp.tmt_exits, i)[t]) / max(billed_now, 1e-9), MAX_EXIT - r_per_psi)
        new_R = [0.0] * K
        new_RS = [0.0] * K
        for k in range(K):
            p_exit = r_per_psi * inp.psi_r[k] + (r_pilot if k >= FIRST_BILLED else 0.0)
            staying = R[k] * (1.0 - p_exit)
            to_services = staying * s
            ageing = staying - to_services
            back = RS[k] * r
            new_RS[k] = RS[k] - back - RS[k] * e_s + to_services
            new_R[k] += back
            new_R[min(k + 1, K - 1)] += ageing
        new_R[0] += inp.inflow_ratio * new_long_term + float(_at(inp.tmt_inflow_extra, i)[t])

        U, S, R, RS = new_U, new_S, new_R, new_RS
        out["unemployed"][t] = sum(U)
        out["long_term"][t] = sum(U[LONG_TERM_MONTHS:])
        out["services"][t] = sum(S)
        out["exits_to_work"][t] = exits_to_work
        out["tmt_cost_keur"][t] = sum(bands)
        out["tmt_cost_bands_keur"][t] = bands
        out["tmt_billed"][t] = billed
    return out
