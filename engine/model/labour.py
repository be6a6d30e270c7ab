"""Labour-market flows: the unemployed by months of unemployment, month by month.

State per path: ``U`` (paths, D) unemployed jobseekers (työttömät) by completed months of the spell,
and ``S`` (paths, D) people in employment-promoting services (palvelut), kept at the duration they
entered with (time in services pauses the clock). Bucket D−1 holds everyone at D−1 months or more.

Each month, in this order:

1. hires: monthly probability ``e(d) = A·(V/U)^(1−α)·ψ(d)·season_exit`` with
   ``ψ(d) = ψ∞ + (1−ψ∞)·exp(−d/τ)`` (so hires = A·U^α·V^(1−α) × the stock's mean employability), plus
   direct hires of a shock (a factory hiring locals) spread by ψ; exits to education and out of the
   labour force in fixed ratio to hires (the trial's ended relationships: 5.2 and 7.5 per 44.1
   employed); a path's rates are scaled down together if they would take more than 95 % of a bucket;
2. of those still unemployed, a share ``s`` enters services; ``s = a/(1−a)·(r + e_S)`` steers
   the activation rate towards its target ``a`` (the steady state of in- and outflow);
3. services end: back to unemployment at rate ``r = 1/service_months`` (same duration), or to a job at ``e_S``;
4. the unemployed age one month; the month's new spells enter at duration 0.

The same :func:`cohort_step` moves the TMT recipients by subsidy days (engine.model.tmt).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.load.baseline import Baseline
from engine.common.calendar import MonthGrid, month_of_year, parse_month
from engine.load.parameters import ParamDraws

D = 48  # duration buckets: 0 … 46 months, 47 = 47 months or more
LONG_TERM_MONTHS = 12  # pitkäaikaistyötön: unemployed 12 months or more


def employability(decay_months: float, floor: float, n: int = D) -> np.ndarray:
    """ψ(d), (n,): relative hire hazard by months unemployed, 1 at d = 0 falling to ``floor``.

    >>> employability(12.0, 0.3, 3).round(4).tolist()
    [1.0, 0.944, 0.8925]
    """
    d = np.arange(n, dtype=float)
    return floor + (1.0 - floor) * np.exp(-d / decay_months)


def seasonal(shape: np.ndarray, amplitude: float) -> np.ndarray:
    """(12,) factors 1 + amplitude·(shape − 1)."""
    return 1.0 + amplitude * (np.asarray(shape, float) - 1.0)


def exit_ratios(baseline: Baseline) -> tuple[float, float]:
    """(education, out of labour force) exits per hire, from the trial's ended client relationships.

    >>> from engine.load.baseline import load_baseline
    >>> [round(x, 4) for x in exit_ratios(load_baseline())]   # 5.2 / 44.1, 7.5 / 44.1
    [0.1179, 0.1701]
    """
    t = baseline.trial
    return t.ended_education_pct / t.ended_employed_pct, t.ended_out_of_labour_force_pct / t.ended_employed_pct


MAX_EXIT = 0.95  # a month's exit probability is capped here (shocks can ask for more hires than people)
# The activation share the month loop aims at: above it services would hold over 9 × the unemployed
# (S = a/(1−a)·U), beyond any place ETP can buy; the shock schema's target_pct stops at 80 %.
MAX_ACTIVATION_SHARE = 0.9


def service_inflow_rate(target_share: np.ndarray, return_rate: float, service_exit: float) -> np.ndarray:
    """Monthly share of the unemployed sent to services so activation settles at ``target_share``.

    Both the share and the rate stop at MAX_EXIT, which keeps a/(1−a) finite and the rate a probability."""
    a = np.clip(target_share, 0.0, MAX_EXIT)
    return np.minimum(a / (1.0 - a) * (return_rate + service_exit), MAX_EXIT)


def capped_rates(f: np.ndarray, f_direct: np.ndarray, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale (hire rate, direct-hire rate) per path so that the all-exits rate at ψ = 1 stays ≤ MAX_EXIT."""
    total = f * (1.0 + kappa) + f_direct
    scale = np.minimum(1.0, MAX_EXIT / np.maximum(total, 1e-12))
    return f * scale, f_direct * scale


def cohort_step(X: np.ndarray, XS: np.ndarray, keep: np.ndarray, s: np.ndarray, r: float, e_s: float,
                inflow: np.ndarray):
    """One month of a duration-bucketed stock with services. Shapes: X, XS, keep (P, B); s, inflow (P,).

    ``keep`` = 1 − each bucket's probability of leaving this month (for work, education or out of the
    labour force); the exits are ``X·(1 − keep)`` and the moves from services to work ``XS·e_S`` (callers
    sum them with matrix–vector products). Returns (X_new, XS_new, aged (P, B)) where ``aged[:, b]`` moves
    from bucket b to b+1 (the last column stays in the open-ended bucket).
    """
    aged = X * keep
    to_s = aged * s[:, None]
    aged -= to_s
    X_new = XS * r  # back from services, at the duration they left with
    X_new[:, 1:] += aged[:, :-1]
    X_new[:, -1] += aged[:, -1]
    X_new[:, 0] += inflow
    XS_new = XS * (1.0 - r - e_s)
    XS_new += to_s
    return X_new, XS_new, aged


@dataclass(frozen=True)
class LabourConstants:
    """Path-independent labour parameters (central values)."""

    psi: np.ndarray  # (D,)
    alpha: float
    kappa_edu: float
    kappa_olf: float
    return_rate: float  # r, 1/month
    service_exit: float  # e_S, 1/month
    season_in: np.ndarray  # (12,)
    season_exit: np.ndarray  # (12,)

    @property
    def kappa(self) -> float:
        return self.kappa_edu + self.kappa_olf


def constants(baseline: Baseline, pdraws: ParamDraws) -> LabourConstants:
    c = lambda name: float(pdraws.scalar(name)[0])  # noqa: E731  (central params are undated scalars)
    k_edu, k_olf = exit_ratios(baseline)
    shape_in = pdraws.series("labour.seasonal_inflow_shape")
    return LabourConstants(
        psi=employability(c("labour.duration_decay_months"), c("labour.duration_floor")),
        alpha=c("labour.matching_alpha"), kappa_edu=k_edu, kappa_olf=k_olf,
        return_rate=1.0 / c("labour.service_months"), service_exit=c("labour.service_employment_rate"),
        season_in=shape_in / shape_in.mean(),  # fitted as a whole (engine.model.calibrate), mean 1
        season_exit=seasonal(pdraws.series("labour.seasonal_exit_shape"), c("labour.seasonal_amplitude")),
    )


def seasonal_inflow_persons(pdraws: ParamDraws, lc: LabourConstants) -> np.ndarray:
    """(12,) the seasonal part of new spells in persons a month, Jan…Dec (sums to 0).

    Fitted on the history run's inflow level and held in persons in the forecast: the June and
    December peaks are set by school years and fixed-term contracts, not by the cyclical level of
    new spells — scaling them with a higher forecast inflow made the forecast's June rise twice the
    largest observed one (issue 13)."""
    return float(pdraws.scalar("labour.inflow_persons_per_month")[0]) * (lc.season_in - 1.0)


# ------------------------------------------------------------------------------------- seasonality
# Month-to-month moves of the unemployed in the TEM history (DOMAIN.md): every pair of consecutive
# months up to the as-of month with both figures, as log changes, with the trend of the 12 months to
# the as-of month taken out (as of 6/2022: ln(7 848 / 9 485) / 12 = −1.58 % a month, used for both
# years' spring moves). 11→12/2020 (+10.6 %) is left out: the pandemic's second wave, not a season.
EXCLUDED_MOVES = (("2020-11", "2020-12"),)


def observed_seasonal_moves(baseline: Baseline) -> list[tuple[str, str, float, float]]:
    """[(from, to, raw log move, detrended log move)] of the unemployed, from the baseline's TEM history
    up to its as-of month (as of 6/2022: 3→4, 4→5, 5→6, 6→7/2021 and 4→5, 5→6/2022)."""
    lab = baseline.labour
    as_of = parse_month(lab.as_of)
    u = {parse_month(p.month): float(p.unemployed) for p in lab.history
         if p.unemployed is not None and parse_month(p.month) <= as_of}
    trend = np.log(lab.unemployed / lab.prev_year.unemployed) / 12.0
    pairs = [(str(m - 1), str(m)) for m in sorted(u) if m - 1 in u]
    return [(a, b, float(np.log(u[parse_month(b)] / u[parse_month(a)])),
             float(np.log(u[parse_month(b)] / u[parse_month(a)]) - trend))
            for a, b in pairs if (a, b) not in EXCLUDED_MOVES]


def as_of_month_index(baseline: Baseline) -> int:
    """The as-of month's calendar index, 0 = January (the vacancies' season is relative to it)."""
    return int(month_of_year(np.array([baseline.as_of]))[0])


def seasonal_probe(baseline: Baseline, pdraws: ParamDraws, lc: LabourConstants, hist: "History",
                   months: int = 36) -> np.ndarray:
    """(12,) the model's own seasonal moves, log change into each calendar month (index = month of the
    move's end), from a run without trend: the as-of state, the history's mean deseasonalised hazard
    level (vacancies at June's level with their season), activation held, and the inflow that keeps
    the stock level over the year. The last 12 months of ``months`` are measured."""
    as_of = baseline.as_of
    ms = np.arange(as_of + 1, as_of + 1 + months, dtype="datetime64[M]")
    moy = month_of_year(ms)
    A = float(pdraws.scalar("labour.matching_efficiency")[0])
    vshape = pdraws.series("labour.seasonal_vacancy_shape")
    vac = baseline.labour.vacancies * vshape[moy] / vshape[as_of_month_index(baseline)]
    a = baseline.labour.activation_rate_pct / 100.0
    s = service_inflow_rate(np.array([a]), lc.return_rate, lc.service_exit)
    seas = seasonal_inflow_persons(pdraws, lc)

    def run(level: float) -> np.ndarray:
        U, S = hist.U_end[None].copy(), hist.S_end[None].copy()
        out = np.zeros(months)
        for t in range(months):
            f, _ = capped_rates(job_finding(A, np.array([vac[t]]), U.sum(1), lc.alpha, lc.season_exit[moy[t]]),
                                np.zeros(1), lc.kappa)
            keep = 1.0 - f[:, None] * lc.psi[None] * (1.0 + lc.kappa)
            U, S, _ = cohort_step(U, S, keep, s, lc.return_rate, lc.service_exit, np.array([max(level + seas[moy[t]], 0.0)]))
            out[t] = U.sum()
        return out

    # the level that keeps the stock where it is: two runs and a secant step (the stock is near-linear in it)
    l0 = float(pdraws.scalar("labour.inflow_persons_per_month")[0])
    u0, u1 = run(l0), run(1.1 * l0)
    goal = hist.U_end.sum()
    g0, g1 = u0[-12:].mean() - goal, u1[-12:].mean() - goal
    level = l0 - g0 * (0.1 * l0) / (g1 - g0) if g1 != g0 else l0
    u = run(level)
    moves = np.zeros(12)
    moves[moy[-12:]] = np.log(u[-12:] / u[-13:-1])
    return moves


def job_finding(A: np.ndarray, vacancies: np.ndarray, unemployed: np.ndarray, alpha: float,
                season: np.ndarray | float) -> np.ndarray:
    """(P,) per-ψ hire hazard ``A·(V/U)^(1−α)·season``; zero where nobody is unemployed."""
    u = np.maximum(unemployed, 1e-9)
    return A * (np.maximum(vacancies, 0.0) / u) ** (1.0 - alpha) * season


# ------------------------------------------------------------------------------------- history
@dataclass(frozen=True)
class History:
    """A deterministic run over the 12 months to the as-of month, from the figures of the month a year
    before it (``labour.prev_year``; as of 6/2022: from 6/2021).

    ``months`` (12,) are the 12 months to the as-of month (as of 6/2022: 2021-07 … 2022-06); arrays are per month: ``unemployed``, ``long_term``,
    ``services``, ``activation`` (target share), ``hire_hazard`` (per-ψ job finding without the season
    factor), ``new_long_term`` (people reaching
    12 months), ``exits_to_work``. ``U_end`` / ``S_end`` are the as-of state, rescaled to the as-of
    figures (6/2022: the report's 7 848 unemployed, 3 848 long-term and 24.2 % activation).
    """

    months: np.ndarray
    activation: np.ndarray
    unemployed: np.ndarray
    long_term: np.ndarray
    services: np.ndarray
    hire_hazard: np.ndarray
    new_long_term: np.ndarray
    exits_to_work: np.ndarray
    U_end: np.ndarray
    S_end: np.ndarray


def _interp_points(months: np.ndarray, points: dict[str, float]) -> np.ndarray:
    xs = np.array([parse_month(m).astype(int) for m in points], float)
    ys = np.array(list(points.values()), float)
    order = np.argsort(xs)
    return np.interp(months.astype(int).astype(float), xs[order], ys[order])


def steady_shape(p_exit: np.ndarray, s: float, r: float, e_s: float) -> np.ndarray:
    """(B,) steady-state open stock per unit inflow. Services pause the clock, so of those sent to
    services only the share that finds work there, e_S / (r + e_S), is lost to the bucket."""
    keep = (1.0 - p_exit) * (1.0 - s * e_s / (r + e_s))
    shape = np.concatenate([[1.0], np.cumprod(keep[:-1])])
    shape[-1] /= max(1.0 - keep[-1], 1e-9)
    return shape


def split_rescale(shape: np.ndarray, short_total: float, long_total: float) -> np.ndarray:
    """Scale buckets < 12 months to ``short_total`` and ≥ 12 months to ``long_total``."""
    out = shape.astype(float).copy()
    out[:LONG_TERM_MONTHS] *= short_total / out[:LONG_TERM_MONTHS].sum()
    out[LONG_TERM_MONTHS:] *= long_total / out[LONG_TERM_MONTHS:].sum()
    return out


def run_history(baseline: Baseline, pdraws: ParamDraws, lc: LabourConstants | None = None) -> History:
    """Run the central model from ``labour.prev_year`` (a year before the as-of month) to the as-of
    month with the observed vacancies and activation (only figures up to the as-of month are read)."""
    lc = lc or constants(baseline, pdraws)
    lab = baseline.labour
    prev = lab.prev_year
    start = parse_month(prev.month)
    as_of = baseline.as_of
    months = np.arange(start + 1, as_of + 1, dtype="datetime64[M]")
    # vacancies: the figures a year apart, linear between (the seasonal probe that fits the season takes
    # the forecast's vacancy season; here the hire season absorbs it, as the levels were fitted so)
    vac = _interp_points(months, {prev.month: prev.vacancies, lab.as_of: lab.vacancies})
    act_points = {p.month: p.activation_rate_pct for p in lab.history
                  if p.activation_rate_pct is not None and parse_month(p.month) <= as_of}
    act_points.setdefault(prev.month, prev.activation_rate_pct)
    act_points.setdefault(lab.as_of, lab.activation_rate_pct)
    act = _interp_points(months, act_points) / 100.0
    A = float(pdraws.scalar("labour.matching_efficiency")[0])
    inflow0 = float(pdraws.scalar("labour.inflow_persons_per_month")[0])
    moy = month_of_year(months)

    # the start stock (6/2021 as of 6/2022): steady-state shape at its hazards, scaled to its short- and long-term counts
    f0 = min(job_finding(A, prev.vacancies, prev.unemployed, lc.alpha, 1.0), MAX_EXIT / (1.0 + lc.kappa))
    s0 = service_inflow_rate(prev.activation_rate_pct / 100.0, lc.return_rate, lc.service_exit)
    shape = steady_shape(f0 * lc.psi * (1.0 + lc.kappa), float(s0), lc.return_rate, lc.service_exit)
    U = split_rescale(shape, prev.unemployed - prev.long_term_unemployed, prev.long_term_unemployed)[None]
    a0 = prev.activation_rate_pct / 100.0
    S = U * a0 / (1.0 - a0)

    n = len(months)
    out = {k: np.zeros(n) for k in ("unemployed", "long_term", "services", "hire_hazard", "new_long_term", "exits_to_work")}
    for t in range(n):
        f, _ = capped_rates(job_finding(A, np.array([vac[t]]), U.sum(1), lc.alpha, lc.season_exit[moy[t]]),
                            np.zeros(1), lc.kappa)
        p_exit = f[:, None] * lc.psi[None] * (1.0 + lc.kappa)
        s = service_inflow_rate(np.array([act[t]]), lc.return_rate, lc.service_exit)
        inflow = np.array([inflow0 * lc.season_in[moy[t]]])  # = inflow0 + seasonal_inflow_persons
        exits = U * p_exit
        s_work = S.sum(1) * lc.service_exit
        U, S, aged = cohort_step(U, S, 1.0 - p_exit, s, lc.return_rate, lc.service_exit, inflow)
        out["unemployed"][t] = U.sum()
        out["long_term"][t] = U[0, LONG_TERM_MONTHS:].sum()
        out["services"][t] = S.sum()
        out["hire_hazard"][t] = f[0] / lc.season_exit[moy[t]]
        out["new_long_term"][t] = aged[0, LONG_TERM_MONTHS - 1]
        out["exits_to_work"][t] = exits.sum() / (1.0 + lc.kappa) + s_work[0]
    a_end = lab.activation_rate_pct / 100.0
    U_end = split_rescale(U[0], lab.unemployed - lab.long_term_unemployed, lab.long_term_unemployed)
    S_end = S[0] * (U_end.sum() * a_end / (1.0 - a_end)) / S.sum()
    return History(months=months, activation=act, U_end=U_end, S_end=S_end, **out)


# ------------------------------------------------------------------------------------- forecast inputs
def forecast_drivers(baseline: Baseline, pdraws: ParamDraws, grid: MonthGrid, alpha: float, shocks,
                     inflow_season: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vacancies, new spells), each (P|1, months): the month loop's two drivers, made in one compiled pass
    (:func:`engine.model.kernel.drivers`) from these formulas.

    **Business cycle** c(t): AR(1) in log-points from 0 at the as-of month, ``c[t] = ar·c[t−1] + sd·ε[t]``
    (``labour.cycle_*``); zero before the as-of month and on the central path.

    **Open vacancies**: the as-of level (6/2022: 2 119) × season × drift × multipliers × exp(AR(1) noise −
    loading × c) + shocks, at least 0. The drift is (1 + g/100)^years from the as-of month
    (``labour.vacancy_trend_pct_per_year``), made as ``exp(years · ln(1 + g/100))`` (one exp, not a pow).

    **New spells**: (the inflow level + the season in persons, :func:`seasonal_inflow_persons`
    ``inflow_season`` (months,)) × exp(c) × ``labour.inflow_multiplier`` × the shocks' multiplier + their
    spells, at least 0. The first forecast year keeps the calibrated first-year level (the report's slow
    further decline); after it the level moves to the structural one, ``L* + (L1 − L*)·exp(−m/τ)`` with m
    the months past the first year, so unemployment returns towards ``labour.structural_rate_pct`` instead
    of carrying the first year's trend on without end. In steady state new spells equal hires ∝ A·U^α, so
    the level that holds a path at its own structural rate is L* × (rate/central)^α × the path's matching
    efficiency multiplier; the inflow level's uncertainty (``labour.inflow_level_mult``, the calibration's
    misfit) is the first year's only, and the vacancies' drift (hires ∝ V^(1−α)) scales L* too, to the
    power 1 − α: the long run of every path is anchored on its own structural rate; the cycle swings
    around it."""
    from engine.model.kernel import ar1, drivers, together  # numba: loaded with the first run's kernel anyway

    start = grid.index(baseline.as_of) + 1
    c = lambda name: float(pdraws.scalar(name)[0])  # noqa: E731
    # the two keyed streams are independent: drawn at once (1 000 paths 2.4 → 1.5 ms, 100 000 220 → 140 ms)
    eps_cycle, eps_vacancies = together(lambda: pdraws.normals("labour.cycle", len(grid)),
                                        lambda: pdraws.normals("labour.vacancies", len(grid)))
    cycle = ar1(eps_cycle, c("labour.cycle_sd"), c("labour.cycle_ar"), start)
    z = ar1(eps_vacancies, c("labour.vacancy_noise_sd"), c("labour.vacancy_noise_ar"), start)
    shape = pdraws.series("labour.seasonal_vacancy_shape")
    v_season = baseline.labour.vacancies * (shape[grid.month_of_year] / shape[as_of_month_index(baseline)])
    years = np.maximum((grid.months - baseline.as_of).astype(int) / 12.0, 0.0)
    l1 = pdraws.scalar("labour.forecast_inflow_persons_per_month") * pdraws.scalar("labour.inflow_level_mult")
    rate = pdraws.scalar("labour.structural_rate_pct")
    central = float(pdraws.params["labour.structural_rate_pct"].central_at(baseline.as_of))
    l_star = (c("labour.structural_inflow_persons_per_month") * (np.maximum(rate, 1e-6) / central) ** alpha
              * pdraws.scalar("labour.matching_efficiency_mult"))
    past = (grid.months - (baseline.as_of + 12)).astype(int).astype(float)
    w = np.where(past > 0, 1.0 - np.exp(-np.maximum(past, 0.0) / c("labour.structural_return_months")), 0.0)
    return drivers(z, cycle, c("labour.cycle_vacancy_loading"), v_season, pdraws.monthly("labour.vacancy_multiplier"),
                   shocks.vacancy_mult, shocks.vacancies, np.log1p(pdraws.scalar("labour.vacancy_trend_pct_per_year") / 100.0),
                   years, 1.0 - alpha, l1, l_star, w, inflow_season, pdraws.monthly("labour.inflow_multiplier"),
                   shocks.inflow_mult, shocks.inflow)


def level_error(pdraws: ParamDraws, grid: MonthGrid, t0: int) -> np.ndarray:
    """(P|1, months − t0) the forecast's level error, a factor on the labour stocks from the first
    forecast month on: ``exp(σ(h)·z − σ(h)²/2)`` with one standard normal ``z`` per path (keyed stream
    ``labour.level_error``) and ``σ(h) = labour.level_error_sd[h − 1]`` at h months after the as-of month
    (held at the 12-month value after it). Mean one, so the paths' mean is kept; 1 on the central path.

    Why: the parameter draws, vacancy noise and cycle move the flows, and a stock of ~8 000 with ~550 new
    spells a month moves slowly, so their spread a few months ahead is ±1–3 % while the calibrated model's
    forecasts err by 5–20 % (ennuste backtest). This term is that error: a calibration's misfit of the
    level and season, and a first-year outlook that may be wrong, sized on the back-test's errors."""
    horizon = len(grid) - t0
    if pdraws.central:
        return np.ones((1, horizon))
    f = _level_error_until_held(pdraws, horizon)
    return np.concatenate([f, np.repeat(f[:, -1:], horizon - f.shape[1], axis=1)], axis=1)


def _level_error_until_held(pdraws: ParamDraws, horizon: int) -> np.ndarray:
    """(P, k) :func:`level_error` at h = 1 … k, k = min(horizon, len(labour.level_error_sd)): from h = k on
    σ(h) is held, so the factor is column k's (one exp per path, not one per path and month)."""
    sd = pdraws.series("labour.level_error_sd")
    sigma = sd[:min(horizon, len(sd))][None]
    z = pdraws.normals("labour.level_error", 1)
    return np.exp(sigma * z - 0.5 * sigma * sigma)


def apply_level_error(arr, pdraws: ParamDraws, grid: MonthGrid, t0: int) -> None:
    """Scale, in place, the forecast months of the labour stocks and flows of the paths ``arr``
    (engine.model.paths.PathArrays, (P, T)) by :func:`level_error`: the unemployed, long-term
    unemployed, services (so activation keeps its share) and exits to work together. The TMT
    recipients and cost are the TMT stage's (calibrated to the report's own TMT figures) and are not
    scaled: the back-test measures no TMT error (no monthly TMT history)."""
    if pdraws.central:
        return  # the central path's factor is 1
    f = _level_error_until_held(pdraws, len(grid) - t0)
    k = t0 + f.shape[1]
    for a in (arr.unemployed, arr.long_term, arr.services, arr.exits_to_work):
        a[:, t0:k] *= f
        a[:, k:] *= f[:, -1:]


def stitch_history(arr, hist: History, t0: int) -> None:
    """Write, in place, the calibrated history's last ``t0`` months (January to the as-of month) into the
    first months of the paths ``arr`` (engine.model.paths.PathArrays, (P, T))."""
    h = slice(len(hist.months) - t0, None)
    for a, past in ((arr.unemployed, hist.unemployed[h]), (arr.long_term, hist.long_term[h]),
                    (arr.services, hist.services[h]), (arr.exits_to_work, hist.exits_to_work[h])):
        a[:, :t0] = past


@dataclass(frozen=True)
class LabourPaths:
    """Monthly employment outcomes on the whole grid, (P|1, months). The months up to the as-of month
    come from the calibrated history run (the same on every path)."""

    unemployed: np.ndarray
    long_term_unemployed: np.ndarray
    unemployment_rate_pct: np.ndarray
    activation_rate_pct: np.ndarray
    tmt_recipients: np.ndarray
    exits_to_employment: np.ndarray

    STOCKS = ("unemployed", "long_term_unemployed", "unemployment_rate_pct", "activation_rate_pct", "tmt_recipients")

    @classmethod
    def from_paths(cls, arr, labour_force: np.ndarray) -> "LabourPaths":
        """The outcomes of the paths ``arr`` (engine.model.paths.PathArrays, history stitched in) with the rates
        against ``labour_force`` (P|1, T) persons. The rates are made in place (the same operations in
        the same order): no (P, T) temporaries; ``arr.services`` becomes the activation numerator."""
        unemployment_rate = np.multiply(arr.unemployed, 100.0)
        unemployment_rate /= labour_force
        activation_rate = np.add(arr.services, arr.unemployed)
        np.divide(np.multiply(arr.services, 100.0, out=arr.services), activation_rate, out=activation_rate)
        return cls(unemployed=arr.unemployed, long_term_unemployed=arr.long_term,
                   unemployment_rate_pct=unemployment_rate, activation_rate_pct=activation_rate,
                   tmt_recipients=arr.tmt_billed, exits_to_employment=arr.exits_to_work)

    def monthly_measures(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def year_end_measures(self, grid: MonthGrid) -> dict[str, np.ndarray]:
        """Stocks: the December value; ``unemployed_avg`` and ``tmt_recipients_avg``: the year's mean;
        ``exits_to_employment``: the year's sum. (P, years)."""
        years = np.unique(grid.years)
        dec = np.array([np.flatnonzero(grid.years == y)[-1] for y in years])
        out = {k: getattr(self, k)[:, dec] for k in self.STOCKS}
        by_year = lambda a, f: np.stack([f(a[:, grid.years == y], axis=1) for y in years], axis=1)  # noqa: E731
        out["unemployed_avg"] = by_year(self.unemployed, np.mean)
        out["tmt_recipients_avg"] = by_year(self.tmt_recipients, np.mean)
        out["exits_to_employment"] = by_year(self.exits_to_employment, np.sum)
        return out
