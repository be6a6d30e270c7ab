"""Työmarkkinatuen kuntaosuus (TMT): recipients by subsidy days, the dated rule sets, and booking.

Recipients of labour-market subsidy on the basis of unemployment are held as ``R`` (paths, K) by
months of billed subsidy (bucket k ≈ days 21.5·k … 21.5·(k+1); K−1 is 1 010 days or more) and
``RS`` (paths, K) in services, where days are neither billed nor counted (rules in force to 2024).
They move with the labour model's :func:`engine.model.labour.cohort_step`: their exit hazard is the
labour model's at (subsidy months + ``tmt.clock_offset_months``) times ``tmt.exit_mult``; new
recipients are a fixed share of the people who become long-term unemployed (``tmt.inflow_ratio``).

The city pays, for each benefit month, Σ_k R[k] · share[k] · (daily rate × child factor × amount
factor) · weekdays. Under the TE24 rules (a scenario's choice, from 2025) the share steps start at
day 101, time in services is billed too (RS), and the city also pays its share of earnings-related
and basic allowances: jobseekers and people in services (engine.model.labour's U + S) in their first 400
days, of whom ``tmt.te24_earnings_related_share`` are on those allowances, at the basic rate plus
an earnings-related premium.

Kela bills the city monthly in arrears (January's subsidy is billed mid-February). At year end the
December bill is accrued into the year it belongs to, so a year's accounts hold exactly its twelve
benefit months, while the books to an as-of month m < 12 hold the benefit months January…m−1 (the
June bill arrives in July: Jan–Jun books hold January–May). The Jan–Jun 2022 report shows it:
Jan–Jun "grants paid" of 8 512 k€ is below the 9 900 k€ TMT of Jan–Jun.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.common.calendar import MonthGrid, weekdays, year_months

K = 48  # subsidy buckets: 0 … 46 months of billed days, 47 = 1 010.5 days or more
DAYS_PER_BUCKET = 21.5  # weekdays in an average month (Kela pays five days a week)


def fraction_above(day: float, n: int = K) -> np.ndarray:
    """(n,) share of each bucket's days that lie beyond ``day`` (the last bucket is open-ended).

    >>> fraction_above(300.0, 15)[12:].round(3).tolist()   # bucket 13 covers days 279.5 … 301
    [0.0, 0.047, 1.0]
    """
    lo = DAYS_PER_BUCKET * np.arange(n)
    hi = lo + DAYS_PER_BUCKET
    frac = np.clip((hi - day) / DAYS_PER_BUCKET, 0.0, 1.0)
    frac[-1] = 1.0 if day <= lo[-1] else 0.0
    return frac


def bucket_shares(steps, n: int = K) -> np.ndarray:
    """(n,) municipal share averaged over each bucket's days, from ``[(from_day, share), …]``.

    >>> s = bucket_shares([(301, 0.5), (1001, 0.7)])
    >>> round(float(s[13]), 4), float(s[20]), round(float(s[46]), 4), float(s[47])
    (0.0233, 0.5, 0.5977, 0.7)
    """
    out = np.zeros(n)
    prev = 0.0
    for from_day, share in steps:
        out += (share - prev) * fraction_above(from_day - 1, n)
        prev = share
    return out


BANDS = ("under_500_days", "500_1000_days", "over_1000_days")


def band_weights(n: int = K) -> np.ndarray:
    """(n, 3) share of each bucket's days under 500, 500–1 000 and over 1 000 subsidy days."""
    a500, a1000 = fraction_above(500.0, n), fraction_above(1000.0, n)
    return np.stack([1.0 - a500, a500 - a1000, a1000], axis=1)


def billed_fraction(steps, n: int = K) -> np.ndarray:
    """(n,) share of each bucket's days on which the city pays anything."""
    return fraction_above(steps[0][0] - 1, n)


def money_over(steps, day: float, n: int = K) -> np.ndarray:
    """(n,) share-weighted part of each bucket's days beyond ``day`` (for "money to people over N days")."""
    out = np.zeros(n)
    prev = 0.0
    for from_day, share in steps:
        out += (share - prev) * fraction_above(max(from_day - 1, day), n)
        prev = share
    return out


def booked(benefit_month: np.ndarray, grid: MonthGrid) -> np.ndarray:
    """(draws, months[, bands]) amounts booked in each calendar month from benefit-month costs of the same shape.

    Feb–Nov book the previous month's bill; December also accrues its own; January books nothing
    (December's bill was accrued the year before).

    >>> grid = MonthGrid(np.datetime64("2022-01"), np.datetime64("2022-12"))
    >>> booked(np.arange(1.0, 13.0)[None], grid)[0].tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 23.0]
    """
    if grid.month_of_year[0] != 0:
        raise ValueError("the TMT grid must start in January")
    out = np.empty_like(benefit_month)
    out[:, 1:] = benefit_month[:, :-1]
    moy = grid.month_of_year
    for t in np.flatnonzero(moy == 0):  # a column at a time: no (P, T) mask copies
        out[:, t] = 0.0
    for t in np.flatnonzero(moy == 11):
        out[:, t] += benefit_month[:, t]
    return out


def annual(values: np.ndarray, grid: MonthGrid) -> np.ndarray:
    """(draws, years) sums of (draws, months) by calendar year."""
    years = np.unique(grid.years)
    return np.stack([values[:, grid.years == y].sum(1) for y in years], axis=1)


@dataclass(frozen=True)
class TmtCost:
    """The TMT model's cost in k€: ``benefit_month`` (draws, months) by benefit month on the grid,
    ``booked`` (draws, months) as booked in the city's accounts, ``year`` (draws, years) accrual totals,
    and ``booked_ytd`` / ``booked_ytd_prev`` (k€) the amounts inside the actuals from January to the
    as-of month of the budget year and of the year before."""

    benefit_month: np.ndarray
    booked: np.ndarray
    year: np.ndarray
    booked_ytd: float
    booked_ytd_prev: float
    booked_bands: np.ndarray | None = None  # (draws, months, 3) booked by subsidy-day band (engine.model.tmt.BANDS)


@dataclass(frozen=True)
class RuleArrays:
    """Per-month billing arrays for the rule set in force each month.

    ``share_R`` / ``billed_R`` (months, K): the city's share and the billed fraction of subsidy recipients by
    subsidy bucket under the rule in force; ``services_billed`` (months,): whether time in services is billed
    too (TE24); ``share_U`` / ``billed_U`` (months, D): TE24 only, the earnings-related and basic-allowance
    recipients among jobseekers and people in services by duration (≤ 400 days), share × their head count
    per person.
    """

    share_R: np.ndarray
    billed_R: np.ndarray
    services_billed: np.ndarray
    share_U: np.ndarray
    billed_U: np.ndarray


CATCH_UP_SPLIT = (17.5 / 29.5, 12.0 / 29.5)  # Kela's autumn 2025 bills: +17.5 M€ in October, about +12 M€ in November


def shifted_steps(steps, carried_days: float):
    """The steps as seen by a recipient who brings ``carried_days`` benefit days with him."""
    return tuple((max(from_day - carried_days, 1.0), share) for from_day, share in steps)


def rule_arrays(rule_in_force: np.ndarray, steps_r2006, steps_te24, n_u: int, er_share: float,
                transfer_share: float = 0.0, carried_days: float = 0.0, transfer_billed: np.ndarray | None = None) -> RuleArrays:
    """Per-month billing arrays. Under TE24 a ``transfer_share`` of recipients brings ``carried_days``
    of earnings-related allowance: their share starts further up the steps. Months where
    ``transfer_billed`` (months,) is 0 bill only the recipients' own days; the held-back part of those
    months is billed with the first two billed months after them (:data:`CATCH_UP_SPLIT`), on the
    stock of the billing month."""
    te24 = (rule_in_force == "te24")[:, None]
    own, own_b = bucket_shares(steps_te24), billed_fraction(steps_te24)
    carried, carried_b = bucket_shares(shifted_steps(steps_te24, carried_days)), fraction_above(
        shifted_steps(steps_te24, carried_days)[0][0] - 1)
    extra, extra_b = transfer_share * (carried - own), transfer_share * (carried_b - own_b)
    billed_now = np.ones(len(rule_in_force)) if transfer_billed is None else np.asarray(transfer_billed, float)
    weight = np.where(te24[:, 0], billed_now, 0.0)
    held, released = 0.0, 0
    catch_up = np.zeros(len(rule_in_force))
    for t in np.flatnonzero(te24[:, 0]):
        if billed_now[t] == 0:
            held, released = held + 1.0, 0
        elif held and released < len(CATCH_UP_SPLIT):
            catch_up[t] = held * CATCH_UP_SPLIT[released]
            released += 1
    te24_share = own[None] + (weight + catch_up)[:, None] * extra[None]
    te24_billed = own_b[None] + np.minimum(weight, 1.0)[:, None] * extra_b[None]
    share_R = np.where(te24, te24_share, bucket_shares(steps_r2006)[None])
    billed_R = np.where(te24, te24_billed, billed_fraction(steps_r2006)[None])
    er = er_share * (1.0 - fraction_above(400.0, n_u))  # earnings-related lasts at most 400 days
    share_U = np.where(te24, (bucket_shares(steps_te24, n_u) * er)[None], 0.0)
    billed_U = np.where(te24, (billed_fraction(steps_te24, n_u) * er)[None], 0.0)
    return RuleArrays(share_R, billed_R, te24[:, 0], share_U, billed_U)


# ------------------------------------------------------------------------------------- the first half-year
FIRST_BILLED = 14  # first bucket wholly past 300 days (bucket 13 ends at day 301)
SEGMENTS = ((14, 24), (24, 47), (47, 48))  # ≈ 300–500, 500–1 000, over 1 000 days (whole buckets)


def recipient_hazard_profile(psi: np.ndarray, offset_months: float) -> np.ndarray:
    """(K,) employability of a recipient by subsidy bucket: ψ at (k + offset) months unemployed."""
    idx = np.minimum(np.arange(K) + int(round(offset_months)), len(psi) - 1)
    return psi[idx]


@dataclass(frozen=True)
class TmtStart:
    """The deterministic Jan–Jun run of the budget year, from the calibrated end-of-previous-year state.

    ``R_end``/``RS_end`` (K,): recipients at the end of the as-of month. Per month (6,): ``cost_keur``
    (benefit month), ``billed`` (persons with a city share), ``money_over_1000_keur``, ``billed_over_500``;
    ``cost_bands_keur`` (6, 3) the cost by subsidy-day band (:data:`BANDS`).
    ``inflow_ratio``: new recipients per person reaching 12 months unemployed (derived so that the
    billed stock is stationary at the start).
    """

    R_end: np.ndarray
    RS_end: np.ndarray
    cost_keur: np.ndarray
    billed: np.ndarray
    money_over_1000_keur: np.ndarray
    billed_over_500: np.ndarray
    cost_bands_keur: np.ndarray
    inflow_ratio: float


def add_arrivals(cost_keur: np.ndarray, cost_bands_keur: np.ndarray, billed: np.ndarray,
                 arrivals_bands_keur: np.ndarray, arrivals_billed: np.ndarray) -> None:
    """Add, in place, the arrivals on the subsidy from day 1, billed as their own cohorts outside the
    month loop (engine.model.inputs): cost (P, T) k€, its bands (P, T, 3) and billed persons (P, T)."""
    cost_bands_keur[:] += arrivals_bands_keur
    cost_keur[:] += arrivals_bands_keur.sum(-1)
    billed[:] += arrivals_billed


def stitch_first_half(cost_keur: np.ndarray, cost_bands_keur: np.ndarray, billed: np.ndarray, start: "TmtStart") -> None:
    """Write, in place, the deterministic Jan–as-of run (``start``) into the paths' first months."""
    t0 = len(start.cost_keur)
    cost_keur[:, :t0] = start.cost_keur
    billed[:, :t0] = start.billed
    cost_bands_keur[:, :t0] = start.cost_bands_keur


def months_booked(as_of_month: int) -> int:
    """Benefit months (from January) inside the books to the as-of month 1–12: Kela bills a benefit month
    the month after, so m − 1; in December the December bill is accrued too, so all 12.

    >>> [months_booked(m) for m in (1, 4, 6, 11, 12)]
    [0, 3, 5, 10, 12]
    """
    return 12 if as_of_month == 12 else as_of_month - 1


def booked_ytd(start: "TmtStart", as_of_month: int) -> float:
    """k€ of TMT inside the budget year's actuals to the as-of month: the benefit months January …
    (:func:`months_booked`) of the deterministic run from January to the as-of month (``start``)."""
    return float(start.cost_keur[:months_booked(as_of_month)].sum())


def booked_ytd_prev(closing_prev_keur: float, budget_year: int, as_of_month: int) -> float:
    """k€ of TMT inside last year's actuals to the same month: last year's closing TMT × the weekday
    share of the benefit months booked by then (January–May for a June as-of month).

    >>> round(float(booked_ytd_prev(20500.0, 2022, 6)), 1)   # 2021: 107 of 261 weekdays in January–May
    8404.2
    """
    wd = weekdays(year_months(budget_year - 1))
    return closing_prev_keur * wd[:months_booked(as_of_month)].sum() / wd.sum()


def cost(cost_keur: np.ndarray, cost_bands_keur: np.ndarray, grid: MonthGrid, start: "TmtStart", budget_year: int,
         closing_prev_keur: float, as_of_month: int) -> "TmtCost":
    """The TMT paths (benefit month, k€) as the ledger needs them: booked, by year, and the first halves' bookings."""
    return TmtCost(
        benefit_month=cost_keur, booked=booked(cost_keur, grid), year=annual(cost_keur, grid),
        booked_ytd=booked_ytd(start, as_of_month),
        booked_ytd_prev=booked_ytd_prev(closing_prev_keur, budget_year, as_of_month),
        booked_bands=booked(cost_bands_keur, grid),
    )


def first_half(masses, amount_eur: np.ndarray, weekdays: np.ndarray, hire_hazard: np.ndarray,
               new_long_term: np.ndarray, activation: np.ndarray, psi_r: np.ndarray, kappa: float,
               r: float, e_s: float, steps, ref: int, long_term_mean: float) -> TmtStart:
    """Run recipients through the first ``len(amount_eur)`` months of the budget year.

    ``masses``: recipients in the three billed segments at the start; ``hire_hazard`` (deseasonalised),
    ``new_long_term``, ``activation`` per month from the labour history; ``ref`` the index of the month
    before the first run month. The start state is the steady state at the history's mean hazard,
    so the billed stock neither collapses nor swells by construction; its inflow ratio is derived from it.
    Shapes: per-month arrays (months,).
    """
    from engine.model.labour import MAX_EXIT, cohort_step, service_inflow_rate, steady_shape

    s_ref = float(service_inflow_rate(np.array([activation[ref]]), r, e_s)[0])
    h_ref = np.minimum(hire_hazard.mean() * (1.0 + kappa) * psi_r, MAX_EXIT)
    shape = steady_shape(h_ref, s_ref, r, e_s)
    R = np.zeros(K)
    for (lo, hi), m in zip(SEGMENTS, masses):
        R[lo:hi] = m * shape[lo:hi] / shape[lo:hi].sum()
    loss = 1.0 - (1.0 - h_ref) * (1.0 - s_ref * e_s / (r + e_s))  # exits, and work found from services
    billed_exits = (R[FIRST_BILLED:] * loss[FIRST_BILLED:]).sum()
    n0 = billed_exits / shape[FIRST_BILLED]
    R[:FIRST_BILLED] = n0 * shape[:FIRST_BILLED]
    a_ref = activation[ref]
    RS = R * a_ref / (1.0 - a_ref)
    ratio = n0 / long_term_mean

    share = bucket_shares(steps)
    billed_frac = billed_fraction(steps)
    over1000 = money_over(steps, 1000.0)
    over500 = billed_frac * fraction_above(500.0)
    n = len(amount_eur)
    out = {k: np.zeros(n) for k in ("cost_keur", "billed", "money_over_1000_keur", "billed_over_500")}
    out["cost_bands_keur"] = np.zeros((n, len(BANDS)))
    weights = share[:, None] * band_weights()
    Rp, RSp = R[None], RS[None]
    for t in range(n):
        per_person = amount_eur[t] * weekdays[t] / 1000.0
        out["cost_keur"][t] = Rp[0] @ share * per_person
        out["money_over_1000_keur"][t] = Rp[0] @ over1000 * per_person
        out["billed"][t] = Rp[0] @ billed_frac
        out["billed_over_500"][t] = Rp[0] @ over500
        out["cost_bands_keur"][t] = Rp[0] @ weights * per_person
        i = ref + 1 + t
        hazard = np.minimum(hire_hazard[i] * (1.0 + kappa) * psi_r, MAX_EXIT)[None]
        s = service_inflow_rate(np.array([activation[i]]), r, e_s)
        Rp, RSp, _ = cohort_step(Rp, RSp, 1.0 - hazard, s, r, e_s, np.array([ratio * new_long_term[i]]))
    return TmtStart(R_end=Rp[0], RS_end=RSp[0], inflow_ratio=ratio, **out)


# ------------------------------------------------------------------------------------- arrivals on the subsidy
def cohort_survival(hazard: np.ndarray, n: int) -> np.ndarray:
    """(n,) share of a cohort still unemployed at the start of each month of its spell, from the
    monthly exit probability by months unemployed ``hazard`` (the last value holds beyond its end).

    >>> cohort_survival(np.array([0.5, 0.2]), 4).tolist()
    [1.0, 0.5, 0.4, 0.32000000000000006]
    """
    h = np.concatenate([hazard, np.full(max(n - len(hazard), 0), hazard[-1])])[:n]
    return np.concatenate([[1.0], np.cumprod(1.0 - h[:-1])])


def cohort_cost(entrants: np.ndarray, survival: np.ndarray, billed_share: float, share: np.ndarray,
                billed_frac: np.ndarray, amount_eur: np.ndarray, weekdays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The city's share of the subsidy of new recipients who get it from their first day (arrivals with
    no work history), followed as their own cohorts: they leave the subsidy when they leave unemployment.

    ``entrants`` (P|1, T) new spells at the end of each month; ``survival`` (T,) by months since entry
    (:func:`cohort_survival`); ``billed_share`` the part not in services (days in services are not
    billed); ``share`` (T, K) the city's share by subsidy bucket under the rule in force; ``amount_eur``
    (P|1, T) € per weekday; ``weekdays`` (T,). Recipients of entry month c are in bucket t − 1 − c at
    the start of benefit month t. Returns (cost by band (P|1, T, 3) k€, billed persons (P|1, T)).
    """
    P, T = max(entrants.shape[0], amount_eur.shape[0]), entrants.shape[1]
    if not entrants.any():  # no arrivals (most scenarios): every product below is +0.0, one row says so
        return np.zeros((1, T, len(BANDS))), np.zeros((1, T))
    K = share.shape[1]
    # (entry month c, benefit month t) weights: the recipients of c still on the subsidy and billed at t, by
    # their bucket's city share (and band) under t's rule; zero where t ≤ c. One (P, T) @ (T, T) product per
    # band instead of a product per month over the months before it (refugees, 10 000 paths: 184–202 → 23–25 ms)
    months = np.arange(T)
    d = months[None, :] - 1 - months[:, None]  # months since entry, (c, t)
    on = np.where(d >= 0, survival[np.maximum(d, 0)] * billed_share, 0.0)
    k = np.minimum(np.maximum(d, 0), K - 1)
    per_person = amount_eur * weekdays[None] / 1000.0  # (P|1, T) € a billed person → k€
    bands = band_weights(K)
    cost = np.empty((P, T, len(BANDS)))
    for b in range(len(BANDS)):
        cost[:, :, b] = (entrants @ (on * share[months[None, :], k] * bands[k, b])) * per_person
    billed = np.broadcast_to(entrants @ (on * billed_frac[months[None, :], k]), (P, T)).copy()
    return cost, billed
