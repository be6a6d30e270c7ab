"""Builds the month loop's :class:`engine.model.paths.Inputs` from the baseline, the scenario's parameters
(sampled once per path) and its shocks; runs the deterministic history and the budget year's January to the as-of month first."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.model import labour
from engine.model import tmt
from engine.load.baseline import Baseline
from engine.common.calendar import MonthGrid
from engine.model.labour import History, LabourConstants
from engine.load.parameters import ParamDraws
from engine.model.paths import Inputs
from engine.model.shocks import ShockArrays


@dataclass(frozen=True)
class Prepared:
    inputs: Inputs
    history: History
    start: tmt.TmtStart
    constants: LabourConstants
    # TMT of arrivals on the subsidy from day 1 (engine.model.tmt.cohort_cost), added to the loop's own:
    arrivals_tmt_bands_keur: np.ndarray  # (P|1, T, 3) k€ by benefit month and subsidy-day band
    arrivals_tmt_billed: np.ndarray  # (P|1, T) persons


def arrivals_survival(baseline: Baseline, pdraws: ParamDraws, lc: LabourConstants, n: int) -> np.ndarray:
    """(n,) a new spell's chance to be still unemployed after each month: the labour model's hazard at
    the as-of month (central matching efficiency, June's vacancies and unemployed, no season)."""
    lab = baseline.labour
    f0 = labour.job_finding(float(pdraws.scalar("labour.matching_efficiency")[0]), np.array([lab.vacancies]),
                            np.array([lab.unemployed]), lc.alpha, 1.0)[0]
    hazard = np.minimum(f0 * (1.0 + lc.kappa) * lc.psi, labour.MAX_EXIT)
    return tmt.cohort_survival(hazard, n)


def amount_eur(pdraws: ParamDraws, index=np.s_[:, :]) -> np.ndarray:
    """(P|1, T) € per billed weekday before the municipal share: rate × child increases × amount factor.

    ``index`` picks paths and months before multiplying (the same products, so the same bits as slicing
    the whole (P, T) result): the first half-year needs one row of it."""
    return (pdraws.monthly("tmt.daily_rate_eur")[index] * pdraws.monthly("tmt.child_increase_factor")[index]
            * pdraws.monthly("tmt.amount_factor")[index])


def first_half(baseline: Baseline, pdraws: ParamDraws, grid: MonthGrid, lc: LabourConstants, hist: History,
               masses=None) -> tmt.TmtStart:
    """The central run from January to the as-of month (``masses`` override the calibrated start, for calibration)."""
    if masses is None:
        masses = [float(pdraws.scalar(f"tmt.initial_billed_{seg}")[0]) for seg in ("300_500", "500_1000", "over_1000")]
    t0 = grid.index(baseline.as_of) + 1
    ref = len(hist.months) - t0 - 1  # history index of December before the budget year
    psi_r = tmt.recipient_hazard_profile(lc.psi, float(pdraws.scalar("tmt.clock_offset_months")[0]))
    return tmt.first_half(
        masses, amount_eur(pdraws, np.s_[0, :t0]), grid.weekdays[:t0], hist.hire_hazard, hist.new_long_term, hist.activation,
        psi_r * float(pdraws.scalar("tmt.exit_level")[0]) * float(pdraws.params["tmt.exit_mult"].central_at(grid.months[0])),
        lc.kappa, lc.return_rate, lc.service_exit, pdraws.steps("tmt.steps.r2006"), ref, float(hist.new_long_term.mean()),
    )


def prepare(baseline: Baseline, pdraws: ParamDraws, grid: MonthGrid, shocks: ShockArrays) -> Prepared:
    lc = labour.constants(baseline, pdraws)
    hist = labour.run_history(baseline, pdraws, lc)
    start = first_half(baseline, pdraws, grid, lc, hist)
    t0 = grid.index(baseline.as_of) + 1
    c = lambda name: float(pdraws.scalar(name)[0])  # noqa: E731
    rules = tmt.rule_arrays(pdraws.choice("tmt.rule_set"), pdraws.steps("tmt.steps.r2006"), pdraws.steps("tmt.steps.te24"), labour.D,
                            c("tmt.te24_earnings_related_share"), c("tmt.te24_transfer_share"), c("tmt.te24_carried_days"),
                            pdraws.monthly("tmt.te24_transfer_billed")[0])
    vacancies, inflow = labour.forecast_drivers(baseline, pdraws, grid, lc.alpha, shocks,
                                                labour.seasonal_inflow_persons(pdraws, lc)[grid.month_of_year])
    # arrivals on the subsidy from day 1: their own cohorts (they leave the subsidy with unemployment);
    # those reaching 12 months must not enter the native recipients' stock a second time
    amount = amount_eur(pdraws)
    surv = arrivals_survival(baseline, pdraws, lc, max(len(grid), labour.LONG_TERM_MONTHS + 1))
    act_now = baseline.labour.activation_rate_pct / 100.0
    arr_bands, arr_billed = tmt.cohort_cost(shocks.subsidy_entrants, surv, 1.0 - act_now, rules.share_R, rules.billed_R,
                                            amount, grid.weekdays)
    L = labour.LONG_TERM_MONTHS
    reaching = np.pad(shocks.subsidy_entrants, ((0, 0), (L, 0)))[:, :len(grid)] * surv[L]
    inputs = Inputs(
        t0=t0, weekdays=grid.weekdays, U0=hist.U_end, S0=hist.S_end, R0=start.R_end, RS0=start.RS_end,
        psi=lc.psi, psi_r=tmt.recipient_hazard_profile(lc.psi, c("tmt.clock_offset_months")),
        alpha=lc.alpha, kappa=lc.kappa, return_rate=lc.return_rate, service_exit=lc.service_exit,
        inflow_ratio=start.inflow_ratio, te24_extra_eur=c("tmt.te24_earnings_related_extra_eur"),
        A=pdraws.scalar("labour.matching_efficiency") * pdraws.scalar("labour.matching_efficiency_mult"),
        eta=pdraws.scalar("tmt.exit_level") * pdraws.scalar("tmt.exit_mult"),
        inflow=inflow, vacancies=vacancies,
        season_exit=lc.season_exit[grid.month_of_year],
        activation=np.clip(pdraws.monthly("labour.activation_target_pct") / 100.0 + shocks.activation_pts / 100.0, 0,
                           labour.MAX_ACTIVATION_SHARE),
        direct_hires=shocks.direct_hires, long_term_hires=shocks.long_term_hires, tmt_exits=shocks.tmt_exits,
        labour_force=pdraws.scalar("labour.labour_force_persons")[:, None] + shocks.labour_force,
        tmt_inflow_extra=shocks.tmt_inflow - start.inflow_ratio * reaching,
        amount_eur=amount,
        share_R=rules.share_R, billed_R=rules.billed_R, services_billed=rules.services_billed,
        share_U=rules.share_U, billed_U=rules.billed_U,
    )
    return Prepared(inputs=inputs, history=hist, start=start, constants=lc,
                    arrivals_tmt_bands_keur=arr_bands, arrivals_tmt_billed=arr_billed)
