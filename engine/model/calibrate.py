"""Fit the free parameters to the report's figures (scipy.optimize.least_squares; scipy.optimize is imported
by the fits, not with the engine: ~0.25 s).

Two stages, each small and fast:

1. **Labour**: inflow level, matching efficiency, duration profile (τ, ψ∞) and seasonal amplitude,
   so that the model run from the figures a year before the as-of month (with the observed vacancies
   and activation) passes through the TEM history after it, up to the as-of month: as of 6/2022, run
   from 6/2021 through the unemployed and long-term unemployed in 7/2021, 4–6/2022. Only history up
   to the as-of month is read, so a baseline cut at an earlier month (:func:`as_of_baseline`, the
   back-test's) is calibrated on what was known then.
2. **TMT**: the end-2021 recipients in three day bands and the billed-amount factor, so that the
   Jan–Jun 2022 run reproduces the report: 9.9 M€ city share, 3 553 persons a month, 60.5 % of the
   money to persons over 1 000 days, 87.2 % of persons over 500 days.
3. **Forecast inflow**: the level of new spells from the as-of month on, so that the central path's
   first year follows the report's outlook (``labour.baseline_trend_pct_per_year``).
4. **Structural inflow**: the long-run level of new spells that holds the central path at
   ``labour.structural_rate_pct`` (the path returns to it after its first year).
5. **Business cycle**: the innovation of the cycle factor, so that the 2-year swing of the rate across
   paths has the size the history shows (``labour.cycle_sd``).

``ennuste calibrate`` prints each target with its fitted value and error and writes the fitted values,
with the date of the fit, to ``engine/data/calibration.toml`` (which overrides parameters.toml).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from engine.model import labour
from engine.load.baseline import Baseline
from engine.common.calendar import MonthGrid, parse_month, weekdays, year_months
from engine.model.inputs import first_half
from engine.load.parameters import Parameters

LABOUR_PARAMS = ("labour.inflow_persons_per_month", "labour.matching_efficiency", "labour.duration_decay_months",
                 "labour.duration_floor", "labour.seasonal_amplitude", "labour.seasonal_inflow_shape")
REPORT_WEIGHT = 4.0  # the as-of figures are the report's own (fit within 1 %); the rest is history to follow
MOVE_WEIGHT = 0.3  # the moves' detrending is rough (one trend for both years): the levels first
SEASON_PRIOR_WEIGHT = 0.05  # pull of each month's inflow factor towards the assumed shape (months with no observed move)
FORECAST_PARAM = "labour.forecast_inflow_persons_per_month"
TMT_PARAMS = ("tmt.initial_billed_300_500", "tmt.initial_billed_500_1000", "tmt.initial_billed_over_1000",
              "tmt.amount_factor", "tmt.exit_level")
PRIOR_WEIGHT = 0.02
TREND_WEIGHT = 0.1  # soft pull of τ and ψ∞ towards their defaults, where the history says little


@dataclass(frozen=True)
class Target:
    name: str
    unit: str
    target: float
    fitted: float
    source: str
    kind: str = "report"  # report: a figure printed in the report (fit within 1 %); history, derived: best fit

    @property
    def error_pct(self) -> float:
        """% of the target; for a seasonal move (itself a %), the difference in percentage points."""
        if self.kind == "season":
            return self.fitted - self.target
        return 100.0 * (self.fitted - self.target) / self.target


@dataclass(frozen=True)
class Calibration:
    values: dict[str, float]
    targets: tuple[Target, ...]
    fitted_on: str


def _labour_targets(baseline: Baseline) -> list[tuple[str, str, float]]:
    """(month, 'unemployed'|'long_term', value) from the TEM history after ``labour.prev_year`` up to
    the as-of month (as of 6/2022: after 6/2021)."""
    out = []
    first = np.datetime64(baseline.labour.prev_year.month) + 1
    for p in baseline.labour.history:
        if not first <= np.datetime64(p.month) <= baseline.as_of:
            continue
        if p.unemployed is not None:
            out.append((p.month, "unemployed", float(p.unemployed)))
        if p.long_term_unemployed is not None:
            out.append((p.month, "long_term", float(p.long_term_unemployed)))
    return out


# ------------------------------------------------------------------------------------- as of an earlier month
LABOUR_FIELDS = ("unemployment_rate_pct", "youth_unemployment_rate_pct", "unemployed", "vacancies",
                 "activation_rate_pct", "long_term_unemployed")
# Where no figure was published up to the as-of month (the history has vacancies and activation only
# from 6/2021): the level is held flat at a value that uses nothing later. Vacancies enter the model
# only as A·V^(1−α) (hires) with A fitted on the same run, so a flat level's scale cancels and any value
# gives the same fit and forecast. Activation does not cancel: a round prior of a fifth of jobseekers
# in services (an assumption, not a figure; 6/2021's 19.5 % was published only after such origins).
UNPUBLISHED = {"vacancies": 1000.0, "activation_rate_pct": 20.0}


def known_at(points: list, field: str, month: np.datetime64) -> float | None:
    """``field`` at ``month`` from ``points`` (history rows, all up to the as-of month): the published
    figure; else linear between the nearest published months before and after it; else the nearest
    published one; None if none was published.

    >>> from engine.load.baseline import load_baseline
    >>> h = load_baseline().labour.history
    >>> known_at(h, "unemployed", np.datetime64("2021-06")), round(known_at(h, "unemployed", np.datetime64("2021-01")), 1)
    (9485.0, 10135.7)
    """
    pts = sorted((parse_month(p.month), float(v)) for p in points if (v := getattr(p, field)) is not None)
    if not pts:
        return None
    xs = np.array([m.astype(int) for m, _ in pts], float)
    return float(np.interp(float(month.astype(int)), xs, [v for _, v in pts]))


def as_of_baseline(baseline: Baseline, month: str | np.datetime64) -> Baseline:
    """The baseline as it was known at the end of ``month`` (``YYYY-MM``): the labour history cut after
    it, the as-of figures its own, ``labour.prev_year`` the month 12 months before it (figures by
    :func:`known_at` from the rows up to ``month``; :data:`UNPUBLISHED` where none), the budget year
    ``month``'s year. The ledger, TMT and trial figures stay as they are (the labour model reads none
    of them). Raises ValueError if ``month`` is after the baseline's as-of month or the unemployed were
    never published up to it."""
    m = parse_month(month) if isinstance(month, str) else month
    if m > baseline.as_of:
        raise ValueError(f"{m} is after the baseline's as-of month {baseline.as_of}")
    lab = baseline.labour
    rows = [p for p in lab.history if parse_month(p.month) <= m]
    known = rows + ([lab.prev_year] if parse_month(lab.prev_year.month) <= m else [])  # it has the youth rate too
    if known_at(rows, "unemployed", m) is None:
        raise ValueError(f"no unemployed figure published up to {m}")

    def figures(at: np.datetime64) -> dict[str, float]:
        out = {}
        for f in LABOUR_FIELDS:
            v = known_at(known, f, at)
            out[f] = v if v is not None else UNPUBLISHED.get(f, known_at(known, "unemployment_rate_pct", at))
        return out

    now = figures(m)
    labour_now = lab.model_copy(update={"as_of": str(m), **now, "history": rows,
                                        "prev_year": lab.prev_year.model_copy(update={"month": str(m - 12), **figures(m - 12)})})
    meta = baseline.raw.meta.model_copy(update={"as_of": str(m), "budget_year": int(str(m)[:4])})
    raw = baseline.raw.model_copy(update={"meta": meta, "labour": labour_now})
    return Baseline(f"{baseline.file} as of {m}", raw, baseline.ledger)


FIT_FLAG = "labour.history_in_fit"


def fit_history(baseline: Baseline, params: Parameters) -> Baseline:
    """The baseline whose TEM history holds only the months ``labour.history_in_fit`` flags ``fit``: the
    rows of excluded months (3–9/2020, the pandemic's layoff spike) are dropped, so the labour fit
    neither targets them nor starts from them (:func:`as_of_baseline` then interpolates across the gap)
    nor takes a seasonal move into or out of them. The as-of and ``prev_year`` figures of the bundled
    baseline are its own rows, not the history's: as of 6/2022 nothing changes (the window is 6/2021 on).

    >>> from engine.load.baseline import load_baseline
    >>> b = fit_history(load_baseline(), Parameters.load_uncalibrated())
    >>> [p.month for p in b.labour.history][:4]
    ['2019-12', '2020-02', '2020-11', '2020-12']
    """
    flag = params[FIT_FLAG]
    lab = baseline.labour
    rows = [p for p in lab.history if flag.central_at(p.month) == "fit"]
    if len(rows) == len(lab.history):
        return baseline
    raw = baseline.raw.model_copy(update={"labour": lab.model_copy(update={"history": rows})})
    return Baseline(baseline.file, raw, baseline.ledger)


def _short_month(month: str) -> str:
    """``"2021-06"`` → ``"6/2021"``, as the report writes months."""
    year, m = str(month).split("-")
    return f"{int(m)}/{year}"


def _grid(baseline: Baseline) -> MonthGrid:
    return MonthGrid(np.datetime64(f"{baseline.budget_year}-01"), np.datetime64(f"{baseline.budget_year}-12"))


def _labour_values(x: np.ndarray) -> dict[str, float]:
    shape = np.exp(x[5:17])
    return {
        "labour.inflow_persons_per_month": float(np.exp(x[0])),
        "labour.matching_efficiency": float(np.exp(x[1])),
        "labour.duration_decay_months": float(np.exp(x[2])),
        "labour.duration_floor": float(1.0 / (1.0 + np.exp(-x[3]))),
        "labour.seasonal_amplitude": float(x[4]),
        "labour.seasonal_inflow_shape": [float(v) for v in shape / shape.mean()],
    }


def fit_labour(baseline: Baseline, params: Parameters) -> tuple[dict[str, float], list[Target]]:
    from scipy.optimize import least_squares

    grid = _grid(baseline)
    targets = _labour_targets(baseline)

    def history(x):
        pdraws = params.with_values(_labour_values(x)).sample(grid, 1, 0)
        return labour.run_history(baseline, pdraws)

    moves = labour.observed_seasonal_moves(baseline)
    # the prior: the assumed shape at the starting amplitude (the pre-fit model's inflow season)
    assumed = labour.seasonal(np.asarray(params["labour.seasonal_inflow_shape"].value, float),
                              float(params["labour.seasonal_amplitude"].central_at(baseline.as_of)))
    assumed = assumed / assumed.mean()

    def probe(x, h):
        pdraws = params.with_values(_labour_values(x)).sample(grid, 1, 0)
        return labour.seasonal_probe(baseline, pdraws, labour.constants(baseline, pdraws), h)

    def residuals(x):
        h = history(x)
        months = [str(m) for m in h.months]
        res = [(REPORT_WEIGHT if m == baseline.labour.as_of else 1.0)
               * np.log(getattr(h, "unemployed" if kind == "unemployed" else "long_term")[months.index(m)] / v)
               for m, kind, v in targets]
        model_moves = probe(x, h)
        res.extend(MOVE_WEIGHT * (model_moves[np.datetime64(b).astype(int) % 12] - detrended)
                   for _a, b, _raw, detrended in moves)
        res.append(PRIOR_WEIGHT * (x[2] - np.log(12.0)))
        res.append(PRIOR_WEIGHT * (x[3] - np.log(0.3 / 0.7)))
        shape = np.exp(x[5:17])
        res.extend(SEASON_PRIOR_WEIGHT * (shape / shape.mean() - assumed))
        return np.array(res)

    c = lambda n: float(params[n].central_at(f"{baseline.budget_year}-01"))  # noqa: E731
    floor = c("labour.duration_floor")
    x0 = np.concatenate([[np.log(c("labour.inflow_persons_per_month")), np.log(c("labour.matching_efficiency")),
                          np.log(c("labour.duration_decay_months")), np.log(floor / (1 - floor)),
                          c("labour.seasonal_amplitude")], np.log(assumed)])
    lo = np.concatenate([[np.log(50), np.log(1e-3), np.log(1.0), -6, 0.0], np.full(12, np.log(0.3))])
    hi = np.concatenate([[np.log(20000), np.log(5.0), np.log(120.0), 6, 3.0], np.full(12, np.log(3.0))])
    fit = least_squares(residuals, np.clip(x0, lo + 1e-6, hi - 1e-6), bounds=(lo, hi), x_scale="jac")
    h = history(fit.x)
    months = [str(m) for m in h.months]
    out = [Target(f"{'työttömät' if k == 'unemployed' else 'pitkäaikaistyöttömät'} {m}", "persons", v,
                  float(getattr(h, "unemployed" if k == "unemployed" else "long_term")[months.index(m)]),
                  "TEM history (DOMAIN.md)", "report" if m == baseline.labour.as_of else "history")
           for m, k, v in targets]
    model_moves = probe(fit.x, h)
    trend_span = f"{_short_month(baseline.labour.prev_year.month)}→{_short_month(baseline.labour.as_of)}"
    out += [Target(f"kausivaihtelu {a}→{b} (trendi poistettu)", "% move", 100.0 * detrended,
                   100.0 * float(model_moves[np.datetime64(b).astype(int) % 12]),
                   f"TEM history (DOMAIN.md): raw {100.0 * raw:+.1f} %, less the {trend_span} trend", "season")
            for a, b, raw, detrended in moves]
    return _labour_values(fit.x), out


def billed_trend_target(baseline: Baseline, params: Parameters, per_person_day_share: float) -> float:
    """Jun/Jan ratio of billed persons in the budget year implied by last year's TMT (derived target).

    Last year's cost at last year's rate gives its average billed persons (with this year's average
    share per person); the change to this year's Jan–Jun average (9.5 months between the centres of
    the two periods) gives a monthly rate, taken over the five months from January to June.
    """
    t = baseline.tmt
    y = baseline.budget_year - 1
    months = year_months(y)
    wd = weekdays(months)
    rate = np.array([float(params["tmt.daily_rate_eur"].central_at(m)) * float(params["tmt.child_increase_factor"].central_at(m))
                     for m in months])
    persons_prev = t.closing_prev_keur / (per_person_day_share * (rate * wd).sum() / 1000.0)
    monthly = (t.avg_billed_persons_ytd / persons_prev) ** (1.0 / 9.5)
    return float(monthly ** 5)


def fit_tmt(baseline: Baseline, params: Parameters) -> tuple[dict[str, float], list[Target]]:
    from scipy.optimize import least_squares

    grid = _grid(baseline)
    t = baseline.tmt
    t0 = grid.index(baseline.as_of) + 1

    def run(x):
        pdraws = params.with_values({"tmt.amount_factor": float(x[3]), "tmt.exit_level": float(x[4])}).sample(grid, 1, 0)
        lc = labour.constants(baseline, pdraws)
        hist = labour.run_history(baseline, pdraws, lc)
        from engine.model.inputs import amount_eur

        start = first_half(baseline, pdraws, grid, lc, hist, masses=x[:3])
        per_day = amount_eur(pdraws)[0, :t0] / float(x[3]) * grid.weekdays[:t0] / 1000.0  # k€ per person at share 1
        return start, float(start.cost_keur.sum() / (start.billed * per_day).sum()) * float(x[3])

    def measures(s):
        cost = s.cost_keur.sum()
        billed = s.billed.sum()
        return (cost, billed / t0, 100.0 * s.money_over_1000_keur.sum() / cost,
                100.0 * s.billed_over_500.sum() / billed, s.billed[-1] / s.billed[0])

    base_goal = np.array([t.city_share_ytd_keur, t.avg_billed_persons_ytd, t.money_share_over_1000_days_pct,
                          t.persons_share_over_500_days_pct])

    def goal(share: float) -> np.ndarray:
        return np.append(base_goal, billed_trend_target(baseline, params, share))

    def residuals(x):
        start, share = run(x)
        res = np.log(np.array(measures(start)) / goal(share))
        res[-1] *= TREND_WEIGHT  # the report's four figures first; the derived trend as far as they allow
        return res

    x0 = np.array([float(params[n].central_at(f"{baseline.budget_year}-01")) for n in TMT_PARAMS])
    fit = least_squares(residuals, x0, bounds=([1, 1, 1, 0.5, 0.25], [2e4, 2e4, 2e4, 1.5, 4.0]), x_scale="jac")
    start, share = run(fit.x)
    got = measures(start)
    y, m, prev_meur = baseline.budget_year, _short_month(str(baseline.as_of)), t.closing_prev_keur / 1000.0
    span = f"1–{m}"  # January to the as-of month: "1–6/2022"
    prev_meur_fi = f"{prev_meur:.1f}".replace(".", ",")  # Finnish decimal comma: "20,5"
    names = ((f"TMT kuntaosuus {span}", "k€"), (f"laskutetut henkilöt keskimäärin {span}", "persons"),
             ("rahasta yli 1 000 pv saaneille", "%"), ("henkilöistä yli 500 pv", "%"),
             (f"laskutetut {m} ÷ 1/{y} (johdettu {y - 1}: {prev_meur_fi} milj. €)", "ratio"))
    sources = ["Työllisyyspalvelujen toiminnan vaikuttavuuden kuvaus"] * 2 + ["Työllisyyden tilannekatsaus, kuntakokeilu"] * 2 \
        + [f"derived from TMT {y - 1} ({prev_meur:.1f} M€) and the {y - 1} daily rate"]
    kinds = ["report"] * 4 + ["derived"]
    out = [Target(n, u, float(g), float(v), src, kind)
           for (n, u), g, v, src, kind in zip(names, goal(share), got, sources, kinds)]
    return dict(zip(TMT_PARAMS, map(float, fit.x))), out


def fit_forecast_inflow(baseline: Baseline, params: Parameters) -> tuple[dict[str, float], list[Target]]:
    """The inflow level that makes the central path's unemployed, a year after the as-of month, equal
    the as-of figure × (1 + labour.baseline_trend_pct_per_year / 100)."""
    from scipy.optimize import brentq

    from engine.model.inputs import prepare
    from engine.model.paths import run
    from engine.model.shocks import ShockArrays

    as_of = baseline.as_of
    grid = MonthGrid(np.datetime64(f"{baseline.budget_year}-01"), as_of + 12)
    trend = float(params["labour.baseline_trend_pct_per_year"].central_at(as_of))
    goal = baseline.labour.unemployed * (1.0 + trend / 100.0)

    def after_a_year(inflow: float) -> float:
        pdraws = params.with_values({FORECAST_PARAM: inflow}).sample(grid, 1, 0)
        prep = prepare(baseline, pdraws, grid, ShockArrays.zeros(len(grid)))
        return float(run(prep.inputs, 1).unemployed[0, -1])

    inflow = brentq(lambda i: after_a_year(i) - goal, 10.0, 20000.0, xtol=1e-6)
    target = Target(f"työttömät {as_of + 12} (trendi {trend:+.1f} %/v)", "persons", goal, after_a_year(inflow),
                    "labour.baseline_trend_pct_per_year (the report's outlook)", "derived")
    return {FORECAST_PARAM: float(inflow)}, [target]


STRUCTURAL_PARAM = "labour.structural_inflow_persons_per_month"
CYCLE_PARAM = "labour.cycle_sd"
CYCLE_SWING_PP = 3.0  # P90 of the 2-year change of the rate, above the central path's (labour.cycle_sd's source)
CYCLE_PATHS, CYCLE_SEED = 2000, 20220630


def _central_run(baseline: Baseline, params: Parameters, months_after: int, draws: int = 1, seed: int = 0):
    from engine.model.inputs import prepare
    from engine.model.paths import run
    from engine.model.shocks import ShockArrays

    grid = MonthGrid(np.datetime64(f"{baseline.budget_year}-01"), baseline.as_of + months_after)
    pdraws = params.sample(grid, draws, seed)
    prep = prepare(baseline, pdraws, grid, ShockArrays.zeros(len(grid)))
    return grid, prep, run(prep.inputs, draws)


def fit_structural_inflow(baseline: Baseline, params: Parameters) -> tuple[dict[str, float], list[Target]]:
    """The long-run inflow that holds the central path at the structural rate: the average of its
    ninth and tenth forecast years equals labour.structural_rate_pct × the labour force."""
    from scipy.optimize import brentq

    rate = float(params["labour.structural_rate_pct"].central_at(baseline.as_of))
    goal = rate / 100.0 * float(params["labour.labour_force_persons"].central_at(baseline.as_of))

    def long_run(inflow: float) -> float:
        _grid, _prep, arr = _central_run(baseline, params.with_values({STRUCTURAL_PARAM: inflow}), 120)
        return float(arr.unemployed[0, -24:].mean())

    inflow = brentq(lambda i: long_run(i) - goal, 10.0, 20000.0, xtol=1e-4)
    target = Target(f"työttömät keskimäärin {baseline.as_of + 97}…{baseline.as_of + 120} (rakenteellinen {rate:.1f} %)",
                    "persons", goal, long_run(inflow), "labour.structural_rate_pct (TEM 12/2019, 2/2020)", "derived")
    return {STRUCTURAL_PARAM: float(inflow)}, [target]


def cycle_swing_pp(baseline: Baseline, params: Parameters) -> float:
    """P90 of the unemployment rate's change from 12 to 36 months after the as-of month, across
    CYCLE_PATHS paths (fixed seed), less the central path's change; percentage points."""
    _g, prep, arr = _central_run(baseline, params, 36, CYCLE_PATHS, CYCLE_SEED)
    _g, cprep, carr = _central_run(baseline, params, 36)
    rate = lambda a, p: 100.0 * a.unemployed / np.broadcast_to(p.inputs.labour_force, a.unemployed.shape)  # noqa: E731
    r, rc = rate(arr, prep), rate(carr, cprep)
    change = r[:, -1] - r[:, -25]
    return float(np.percentile(change, 90) - (rc[0, -1] - rc[0, -25]))


def fit_cycle(baseline: Baseline, params: Parameters) -> tuple[dict[str, float], list[Target]]:
    """The business cycle's monthly innovation so that the 2-year swing of the rate has its P90 at
    CYCLE_SWING_PP (with every other source of uncertainty on)."""
    from scipy.optimize import brentq

    swing = lambda sd: cycle_swing_pp(baseline, params.with_values({CYCLE_PARAM: sd}))  # noqa: E731
    sd = brentq(lambda v: swing(v) - CYCLE_SWING_PP, 0.0, 0.2, xtol=1e-5)
    target = Target("työttömyysasteen 2 v muutos, P90 − keskipolku", "pp", CYCLE_SWING_PP, swing(sd),
                    "labour.cycle_sd (history's swings: 2008→10, 12/2019→12/2020)", "derived")
    return {CYCLE_PARAM: float(sd)}, [target]


def calibrate(baseline: Baseline, params: Parameters | None = None, today: dt.date | None = None) -> Calibration:
    params = params or Parameters.load_uncalibrated()
    baseline = fit_history(baseline, params)
    values: dict[str, float] = {}
    targets: list[Target] = []
    for stage in (fit_labour, fit_tmt, fit_forecast_inflow, fit_structural_inflow, fit_cycle):
        fitted, met = stage(baseline, params)
        params = params.with_values(fitted)
        values.update(fitted)
        targets.extend(met)
    return Calibration(values=values, targets=tuple(targets), fitted_on=(today or dt.date.today()).isoformat())


def default_path() -> Path:
    return Path(str(resources.files("engine.data").joinpath("calibration.toml")))


def write(cal: Calibration, path: Path | None = None) -> Path:
    import tomli_w

    path = path or default_path()
    doc = {
        "fitted_on": cal.fitted_on,
        "values": cal.values,
        "targets": [{"name": t.name, "kind": t.kind, "unit": t.unit, "target": t.target, "fitted": round(t.fitted, 3),
                     "error_pct": round(t.error_pct, 3), "source": t.source} for t in cal.targets],
    }
    text = "# Written by `ennuste calibrate`; these values override engine/data/parameters.toml.\n" + tomli_w.dumps(doc)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def table(cal: Calibration) -> str:
    lines = [f"Kalibrointi / calibration, {cal.fitted_on}"]
    heads = {"report": "report figures (fit within 1 %)", "history": "TEM history 2021–22 (best fit)",
             "season": "seasonal moves, log % (model: a run without trend)",
             "derived": "derived targets (best fit, see the sources)"}
    for kind, head in heads.items():
        rows = [t for t in cal.targets if t.kind == kind]
        if not rows:
            continue
        lines.append(f"{head:<58}{'target':>11}{'fitted':>11}{'error pts' if kind == 'season' else 'error %':>9}")
        for t in rows:
            digits = 3 if t.unit == "ratio" else 1
            lines.append(f"  {t.name + ' (' + t.unit + ')':<56}{t.target:>11.{digits}f}{t.fitted:>11.{digits}f}{t.error_pct:>+9.2f}")
    lines.append("")
    lines.append("fitted parameters:")
    for k, v in cal.values.items():
        shown = " ".join(f"{x:.3f}" for x in v) if isinstance(v, list) else f"{v:>12.5g}"
        lines.append(f"  {k:<44}{shown}")
    return "\n".join(lines)
