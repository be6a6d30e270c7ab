"""``ennuste backtest``: how past forecasts fared (issue 12).

**Labour.** Rolling origins over the baseline's monthly TEM history: every month with the unemployed
published whose history reaches 12 months back (the first published month is at least 12 months
before it) and that has at least one published actual within the next 12 months. At each origin the
baseline is cut there (:func:`engine.model.calibrate.as_of_baseline`: nothing after the origin is
kept) and the model is calibrated on it as ``ennuste calibrate`` would (labour, forecast inflow,
structural inflow, business cycle; the TMT stage is skipped, it reads the budget year's report) from
the parameter file's uncalibrated values, with activation held at the origin's level. Forecasts
for horizons 1–12 months are then scored against the published figures, for four methods on the same
(origin, target month) pairs:

* ``model``: the engine's labour model, :data:`PATHS` Monte Carlo paths (seed :data:`SEED`), P10/P50/P90;
* ``persistence``: the origin's figure carried on (no band);
* ``seasonal_naive``: the figure 12 months before the target month, where it was published (no band);
* ``ets``: exponential smoothing (statsmodels' ETSModel, additive errors on the log of the series;
  no trend, trend, or damped trend, chosen by AICc), with its 80 % prediction interval. The history is
  too short and gappy for a seasonal ETS (under two years between published months at most origins),
  so the gaps are filled linearly between published months (all up to the origin) and the model is
  non-seasonal. Needs the optional ``[backtest]`` extra; without it the method is left out.

Measures per target, horizon and method (:data:`COLUMNS`): MAPE of the P50 (or the point), % of
actuals inside P10–P90 (bands only; nominal 80 %), the pinball loss averaged over q = 0.1, 0.5, 0.9 in
persons (a point method's point stands for all three quantiles), and n pairs.

**Ledger.** The report has Jan–Jun 2021 per line and the 2021 closed accounts per unit total, but no
2020 figures and no 2021 budget: the run-rate estimator (last year's Jan–Jun share) and the budget
estimator cannot be run for 2021. What can: 2021's year-end as Jan–Jun 2021 ÷ a flat 50 % half-year
share (nothing from 2022), against the closed accounts, per unit and total. The TMT share (20.5 M€ in
2021) has no Jan–Jun 2021 figure, so it cannot be back-tested.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.common.calendar import MonthGrid, parse_month
from engine.load.baseline import Baseline
from engine.load.parameters import Parameters
from engine.model import calibrate as cal

TARGETS = {"unemployed": "unemployed", "long_term_unemployed": "long_term"}  # history field → path array
HORIZONS = tuple(range(1, 13))  # months after the origin
MIN_HISTORY_MONTHS = 12
PATHS, SEED = 500, 20220630
QUANTILES = (0.1, 0.5, 0.9)
METHODS = ("model", "persistence", "seasonal_naive", "ets")
COLUMNS = ("target", "horizon_months", "method", "mape_pct", "coverage_p10_p90_pct", "pinball", "n")
FORECAST_COLUMNS = ("origin", "target", "horizon_months", "target_month", "method", "p10", "p50", "p90", "actual")
LEDGER_COLUMNS = ("unit", "measure", "method", "h1_2021_keur", "forecast_keur", "closed_2021_keur", "error_keur",
                  "error_pct")
HALF_YEAR_SHARE = 0.5  # the flat share of the year booked by June: the only one that uses nothing from 2022


def published(baseline: Baseline, field: str) -> dict[np.datetime64, float]:
    """{month: figure} of ``field`` in the baseline's labour history (published months only)."""
    return {parse_month(p.month): float(v) for p in baseline.labour.history if (v := getattr(p, field)) is not None}


def origins(baseline: Baseline) -> list[np.datetime64]:
    """The back-test's origins (see the module docstring); on the bundled history 2020-12, 2021-03 …
    2021-07, 2022-04 and 2022-05."""
    u = published(baseline, "unemployed")
    first = min(u)
    actual_months = set().union(*(published(baseline, f) for f in TARGETS))
    return [m for m in sorted(u) if m - MIN_HISTORY_MONTHS >= first
            and any(m < t <= m + HORIZONS[-1] for t in actual_months)]


def calibrated_at(baseline: Baseline, origin: np.datetime64,
                  params: Parameters | None = None) -> tuple[Baseline, Parameters, list[str]]:
    """The baseline cut at ``origin`` and the parameters calibrated on it alone; notes on stages that
    could not be fitted there (their parameter keeps the parameter file's value). The months
    ``labour.history_in_fit`` excludes are left out of the cut (:func:`engine.model.calibrate.fit_history`)."""
    p = params or Parameters.load_uncalibrated()
    cut = cal.as_of_baseline(cal.fit_history(baseline, p), origin)
    p = p.with_values(
        {"labour.activation_target_pct": float(cut.labour.activation_rate_pct)})
    notes = []
    for stage in (cal.fit_labour, cal.fit_forecast_inflow, cal.fit_structural_inflow, cal.fit_cycle):
        try:
            fitted, _targets = stage(cut, p)
        except ValueError as exc:  # brentq: no root in the bracket
            if stage is not cal.fit_cycle:
                raise
            notes.append(f"{origin}: {stage.__name__} found no fit ({exc}); "
                         f"labour.cycle_sd kept at {float(p['labour.cycle_sd'].central_at(cut.as_of)):g}")
            continue
        p = p.with_values(fitted)
    return cut, p, notes


def model_quantiles(cut: Baseline, params: Parameters, paths: int = PATHS, seed: int = SEED) -> dict[str, np.ndarray]:
    """{target: (12, 3)} P10/P50/P90 of the months 1…12 after the cut's as-of month, persons."""
    from engine.model.inputs import prepare
    from engine.model.labour import apply_level_error
    from engine.model.paths import run
    from engine.model.shocks import ShockArrays

    grid = MonthGrid(np.datetime64(f"{cut.budget_year}-01"), cut.as_of + HORIZONS[-1])
    pdraws = params.sample(grid, paths, seed)
    arr = run(prepare(cut, pdraws, grid, ShockArrays.zeros(len(grid))).inputs, paths)
    t0 = grid.index(cut.as_of) + 1
    apply_level_error(arr, pdraws, grid, t0)
    return {t: np.percentile(getattr(arr, a)[:, t0:], [100 * q for q in QUANTILES], axis=0).T for t, a in TARGETS.items()}


def ets_quantiles(series: dict[np.datetime64, float], origin: np.datetime64) -> np.ndarray | None:
    """(12, 3) P10/P50/P90 of the months after ``origin`` from a non-seasonal ETS on the log series up to
    it (gaps filled linearly between published months); None without statsmodels or with < 4 figures."""
    try:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    except ImportError:
        return None
    known = {m: v for m, v in series.items() if m <= origin}
    if len(known) < 4:
        return None
    months = np.arange(min(known), origin + 1, dtype="datetime64[M]")
    xs = np.array([m.astype(int) for m in sorted(known)], float)
    y = pd.Series(np.log(np.interp(months.astype(int).astype(float), xs, [known[m] for m in sorted(known)])))
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trend, damped in ((None, False), ("add", False), ("add", True)):
            try:
                fit = ETSModel(y, error="add", trend=trend, damped_trend=damped).fit(disp=False, maxiter=2000)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fit.aicc) and (best is None or fit.aicc < best.aicc):
                best = fit
        if best is None:
            return None
        frame = best.get_prediction(start=len(y), end=len(y) + HORIZONS[-1] - 1).summary_frame(alpha=0.2)
    return np.exp(np.column_stack([frame["pi_lower"].to_numpy(), frame["mean"].to_numpy(), frame["pi_upper"].to_numpy()]))


@dataclass(frozen=True)
class BacktestRun:
    forecasts: pd.DataFrame  # FORECAST_COLUMNS: one row per origin, target month and method
    scores: pd.DataFrame  # COLUMNS
    ledger: pd.DataFrame  # LEDGER_COLUMNS
    notes: tuple[str, ...]


def labour_forecasts(baseline: Baseline, paths: int = PATHS, seed: int = SEED,
                     at: list[np.datetime64] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Every method's forecasts at every origin (or those in ``at``) for the months with a published actual."""
    rows, notes = [], []
    actuals = {t: published(baseline, t) for t in TARGETS}
    for origin in at or origins(baseline):
        cut, params, n = calibrated_at(baseline, origin)
        notes += n
        model = model_quantiles(cut, params, paths, seed)
        for target in TARGETS:
            hist = {m: v for m, v in actuals[target].items() if m <= origin}
            now = cal.known_at([p for p in baseline.labour.history if parse_month(p.month) <= origin], target, origin)
            ets = ets_quantiles(hist, origin)
            for h in HORIZONS:
                month = origin + h
                if month not in actuals[target]:
                    continue
                a = actuals[target][month]
                base = dict(origin=str(origin), target=target, horizon_months=h, target_month=str(month), actual=a)
                rows.append(base | dict(method="model", p10=model[target][h - 1, 0], p50=model[target][h - 1, 1],
                                        p90=model[target][h - 1, 2]))
                if now is not None:
                    rows.append(base | dict(method="persistence", p10=np.nan, p50=now, p90=np.nan))
                if month - 12 in hist:
                    rows.append(base | dict(method="seasonal_naive", p10=np.nan, p50=hist[month - 12], p90=np.nan))
                if ets is not None:
                    rows.append(base | dict(method="ets", p10=ets[h - 1, 0], p50=ets[h - 1, 1], p90=ets[h - 1, 2]))
    return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS)), notes


def pinball(fc: pd.DataFrame) -> pd.Series:
    """Per forecast, the pinball loss averaged over q = 0.1, 0.5, 0.9, persons; a point method's P50
    stands for its missing P10 and P90."""
    a = fc["actual"]
    loss = 0.0
    for q, col in zip(QUANTILES, ("p10", "p50", "p90")):
        pred = fc[col].fillna(fc["p50"])
        loss = loss + np.maximum(q * (a - pred), (q - 1.0) * (a - pred))
    return loss / len(QUANTILES)


def score(fc: pd.DataFrame, by: tuple[str, ...] = ("target", "horizon_months", "method")) -> pd.DataFrame:
    """MAPE %, P10–P90 coverage % (NaN for a method without a band), mean pinball (persons) and n per group."""
    fc = fc.assign(ape=100.0 * (fc["p50"] - fc["actual"]).abs() / fc["actual"],
                   inside=np.where(fc["p10"].notna(), (fc["p10"] <= fc["actual"]) & (fc["actual"] <= fc["p90"]), np.nan),
                   loss=pinball(fc))
    g = fc.groupby(list(by), sort=False)
    out = pd.DataFrame({"mape_pct": g["ape"].mean(), "coverage_p10_p90_pct": 100.0 * g["inside"].mean(),
                        "pinball": g["loss"].mean(), "n": g.size()}).reset_index()
    order = {m: i for i, m in enumerate(METHODS)}
    return out.sort_values(list(by), key=lambda s: s.map(order) if s.name == "method" else s).reset_index(drop=True)


def summary(fc: pd.DataFrame, horizons: range | tuple) -> pd.DataFrame:
    """:func:`score` pooled over the pairs with a horizon in ``horizons``, per target and method."""
    return score(fc[fc.horizon_months.isin(list(horizons))], by=("target", "method"))


def ledger_backtest(baseline: Baseline) -> pd.DataFrame:
    """2021's year-end from Jan–Jun 2021 at :data:`HALF_YEAR_SHARE`, against the 2021 closed accounts (k€;
    costs as positive magnitudes, margin = revenue − costs), per unit and for ETP."""
    rows = []
    total = {k: np.zeros(2) for k in ("revenue", "costs")}  # (Jan–Jun 2021, closed 2021), k€
    for unit in baseline.units:
        totals = baseline.ledger[unit].rows  # the pack's signed unit totals, as printed
        figs = {k: np.array([abs(totals[k]["actual_ytd_prev"]), abs(totals[k]["closing_prev"])], float) for k in total}
        for k in total:
            total[k] += figs[k]
        rows += _ledger_rows(unit, tuple(figs["revenue"]), tuple(figs["costs"]))
    rows += _ledger_rows("etp", tuple(total["revenue"]), tuple(total["costs"]))
    return pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))


def _ledger_rows(unit: str, revenue: tuple[float, float], costs: tuple[float, float]) -> list[dict]:
    out = []
    for measure, (h1, closed) in (("revenue", revenue), ("costs", costs),
                                  ("margin", (revenue[0] - costs[0], revenue[1] - costs[1]))):
        fc = h1 / HALF_YEAR_SHARE
        out.append(dict(unit=unit, measure=measure, method="flat_50pct", h1_2021_keur=h1, forecast_keur=fc,
                        closed_2021_keur=closed, error_keur=fc - closed, error_pct=100.0 * (fc - closed) / abs(closed)))
    return out


def backtest(baseline: Baseline, paths: int = PATHS, seed: int = SEED,
             at: list[np.datetime64] | None = None) -> BacktestRun:
    """The whole back-test (every origin, or those in ``at``): each method's forecasts against what
    happened (``forecasts``, :data:`FORECAST_COLUMNS`), their scores (:data:`COLUMNS`), the 2021 ledger
    check and the notes. Calibrates at each origin: ~1–2 min on the bundled history."""
    fc, notes = labour_forecasts(baseline, paths, seed, at)
    fc.attrs["paths"] = paths
    return BacktestRun(forecasts=fc, scores=score(fc), ledger=ledger_backtest(baseline), notes=tuple(notes))


def chart_spec(scores: pd.DataFrame) -> dict:
    """Vega-Lite: MAPE by horizon and method (one panel per target), and the bands' coverage against 80 %."""
    data = json.loads(scores.to_json(orient="records"))
    colour = {"field": "method", "type": "nominal", "sort": list(METHODS)}
    x = {"field": "horizon_months", "type": "ordinal", "title": "ennustehorisontti, kk / horizon, months"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Takautuva testi / back-test: TEM history, rolling origins",
        "data": {"values": data},
        "vconcat": [
            {"mark": {"type": "line", "point": True}, "width": 260, "height": 180,
             "encoding": {"x": x, "y": {"field": "mape_pct", "type": "quantitative", "title": "MAPE %"},
                          "color": colour, "column": {"field": "target", "type": "nominal"},
                          "tooltip": [{"field": c} for c in COLUMNS]}},
            {"layer": [
                {"mark": {"type": "point", "filled": True},
                 "transform": [{"filter": "isValid(datum.coverage_p10_p90_pct)"}],
                 "encoding": {"x": x, "y": {"field": "coverage_p10_p90_pct", "type": "quantitative",
                                            "title": "P10–P90 coverage % (nominal 80)", "scale": {"domain": [0, 100]}},
                              "color": colour, "size": {"field": "n", "type": "quantitative"},
                              "shape": {"field": "target", "type": "nominal"}}},
                {"mark": {"type": "rule", "strokeDash": [4, 4]}, "encoding": {"y": {"datum": 80}}},
            ], "width": 560, "height": 180},
        ],
    }


def chart_html(spec: dict) -> str:
    return ("<!doctype html><html><head><meta charset='utf-8'><title>ennuste backtest</title>"
            "<script src='https://cdn.jsdelivr.net/npm/vega@5'></script>"
            "<script src='https://cdn.jsdelivr.net/npm/vega-lite@5'></script>"
            "<script src='https://cdn.jsdelivr.net/npm/vega-embed@6'></script></head><body><div id='chart'></div>"
            f"<script>vegaEmbed('#chart', {json.dumps(spec)});</script></body></html>\n")


def table(scores: pd.DataFrame, fc: pd.DataFrame) -> str:
    """The printed table: MAPE % and coverage % by target, horizon group and method."""
    groups = (("1–3", range(1, 4)), ("4–5", range(4, 6)), ("6–12", range(6, 13)), ("1–12", range(1, 13)))
    lines = [f"{'target':<22}{'horizon':>8}  " + "".join(f"{m:>22}" for m in METHODS),
             f"{'':<30}  " + "".join(f"{'MAPE %  cover %   n':>22}" for _ in METHODS)]
    for target in TARGETS:
        for label, hs in groups:
            s = summary(fc[fc.target == target], hs).set_index("method")
            cells = []
            for m in METHODS:
                if m not in s.index:
                    cells.append(f"{'–':>22}")
                    continue
                r = s.loc[m]
                cov = "" if np.isnan(r.coverage_p10_p90_pct) else f"{r.coverage_p10_p90_pct:.0f}"
                cells.append(f"{r.mape_pct:>8.1f}{cov:>8}{int(r.n):>6}")
            lines.append(f"{target:<22}{label:>8}  " + "".join(cells))
    return "\n".join(lines)


def report(bt: BacktestRun) -> str:
    """What ``ennuste backtest`` prints: the origins and pairs, the table, the ledger and the notes."""
    fc = bt.forecasts
    model = fc[fc.method == "model"]
    counts = ", ".join(f"{t} {int((model.target == t).sum())}" for t in TARGETS)
    lines = [f"Takautuva testi / back-test: {model.origin.nunique()} origins "
             f"({', '.join(sorted(model.origin.unique()))}); (origin, month) pairs with a published actual: {counts}",
             f"model: calibrated at each origin on the history up to it, {int(bt.forecasts.attrs.get('paths', PATHS))} "
             "paths; MAPE of the P50; cover = % of actuals inside P10–P90 (nominal 80)", "",
             table(bt.scores, fc), "",
             "Talous / ledger 2021: Jan–Jun 2021 ÷ 50 % against the closed accounts (k€; costs as magnitudes)",
             f"{'unit':<12}{'measure':<9}{'H1 2021':>10}{'forecast':>10}{'TP 2021':>10}{'error':>9}{'error %':>9}"]
    for r in bt.ledger.itertuples():
        lines.append(f"{r.unit:<12}{r.measure:<9}{r.h1_2021_keur:>10.0f}{r.forecast_keur:>10.0f}{r.closed_2021_keur:>10.0f}"
                     f"{r.error_keur:>+9.0f}{r.error_pct:>+9.1f}")
    lines.append("not back-testable from the report: the run-rate and budget estimators for 2021 (no 2020 figures, "
                 "no 2021 budget), the TMT share (no Jan–Jun 2021 figure)")
    if "ets" not in set(fc.method):
        lines.append("ets: left out (statsmodels not installed: pip install 'etp-ennuste[backtest]')")
    lines += [f"note: {n}" for n in bt.notes]
    return "\n".join(lines)
