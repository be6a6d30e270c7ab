"""KPI cards like the report's "TOIMINTAKATE ENNUSTE −7,7 milj. euroa (2021: −6,0)": the year-end
mean, its P10–P90, and the change against the baseline scenario and against the budget."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

import engine

from . import fmt
from .text import t

FINANCE = ("revenue_keur", "costs_keur", "margin_keur")
LABOUR = ("unemployed", "long_term_unemployed", "unemployment_rate_pct")
HIGHER_IS_BETTER = {"revenue_keur": True, "costs_keur": False, "margin_keur": True, "tmt_cost_keur": False,
                    "unemployed": False, "long_term_unemployed": False, "unemployment_rate_pct": False}


@dataclass(frozen=True)
class Kpi:
    unit: str
    measure: str
    label: str
    value: str  # formatted mean
    band: str  # formatted P10…P90
    vs_base: str  # formatted change against the baseline (mean difference)
    vs_budget: str  # formatted change against the budget ('' if none)
    reference: str  # '(2021: −6,0)' or '(6/2022: 7 848)'
    mean: float
    base_mean: float
    good: bool | None  # is the change against the baseline good news? None = no change

    @property
    def caption(self) -> str:
        parts = [f"P10–P90 {self.band}"]
        if self.vs_budget:
            parts.append(self.vs_budget)
        parts.append(self.reference)
        return " · ".join(p for p in parts if p)


Index = dict  # (year, unit, measure) -> (mean, p10, p50, p90): ui.results.index(year_end)
_STAT = {"mean": 0, "p10": 1, "p50": 2, "p90": 3}


def value(ix: Index, year: int, unit: str, measure: str, stat: str = "mean") -> float:
    row = ix.get((int(year), unit, measure))
    return float(row[_STAT[stat]]) if row is not None else float("nan")


def _fmt(measure: str, v: float, lang: str, signed: bool = False, unit: bool = True) -> str:
    if measure.endswith("_keur"):
        return fmt.meur(v, lang, signed=signed, unit=unit)
    if measure.endswith("_pct"):
        return fmt.pts(v, lang) if signed else (fmt.pct(v, lang) if unit else fmt.number(v, lang, 1))
    return fmt.persons(v, lang, signed=signed)


def _good(measure: str, delta: float, tol: float) -> bool | None:
    if abs(delta) < tol:
        return None
    return (delta > 0) == HIGHER_IS_BETTER[measure]


def _tol(measure: str) -> float:
    return 0.5 if measure.endswith("_keur") else (0.05 if measure.endswith("_pct") else 0.5)


def _previous(baseline: engine.Baseline, ye: Index, year: int, unit: str, measure: str,
              lang: str) -> str:
    """The report-style reference: last year's closed accounts for the budget year, else the forecast a year before."""
    if year == baseline.budget_year:
        if measure == "tmt_cost_keur":
            prev = baseline.tmt.closing_prev_keur
        else:
            units = ("elinvoima", "tyollisyys") if unit == "etp" else (unit,)
            rev = sum(baseline.ledger[u].revenue_closing_prev for u in units)
            cost = sum(baseline.ledger[u].costs_closing_prev for u in units)
            prev = {"revenue_keur": rev, "costs_keur": cost, "margin_keur": rev - cost}[measure]
    else:
        prev = value(ye, year - 1, unit, measure)
    return f"({year - 1}: {_fmt(measure, prev, lang, unit=False)})"


def _june(baseline: engine.Baseline, measure: str, lang: str) -> str:
    lab = baseline.labour
    v = {"unemployed": lab.unemployed, "long_term_unemployed": lab.long_term_unemployed,
         "unemployment_rate_pct": lab.unemployment_rate_pct}[measure]
    month = str(lab.as_of)
    return f"({int(month[5:7])}/{month[:4]}: {_fmt(measure, v, lang)})"


def _budget_delta(ye: Index, dev: pd.DataFrame, year: int, unit: str, measure: str) -> float | None:
    if measure in FINANCE:
        return value(ye, year, unit, measure) - value(ye, year, unit, "budget_" + measure)
    if measure == "tmt_cost_keur":  # TMT minus its appropriation = minus the driver's margin effect
        sel = dev[(dev.year == year) & (dev.unit == "tyollisyys") & (dev.driver == "tmt_over_appropriation")]
        return -float(sel["mean"].iloc[0]) if len(sel) else None
    return None


def card(baseline: engine.Baseline, ye: Index, dev: pd.DataFrame, base_ye: Index, year: int,
         unit: str, measure: str, lang: str) -> Kpi:
    mean = value(ye, year, unit, measure)
    base_mean = value(base_ye, year, unit, measure)
    delta = mean - base_mean
    bd = _budget_delta(ye, dev, year, unit, measure)
    vs_budget = ""
    if bd is not None:
        key = "vs_appropriation" if measure == "tmt_cost_keur" else "vs_budget"
        vs_budget = f"{t(key, lang)} {_fmt(measure, bd, lang, signed=True)}"
    if measure in LABOUR:
        label = f"{t(measure, lang)} {year}"
        ref = _june(baseline, measure, lang)
    else:
        label = f"{t(measure, lang)}, {t('forecast', lang)} {year}" if measure in FINANCE else f"{t(measure, lang)} {year}"
        ref = _previous(baseline, ye, year, unit, measure, lang)
    lo, hi = value(ye, year, unit, measure, "p10"), value(ye, year, unit, measure, "p90")
    return Kpi(
        unit=unit, measure=measure, label=label, value=_fmt(measure, mean, lang),
        band=fmt.band(_fmt(measure, lo, lang, unit=False), _fmt(measure, hi, lang, unit=False)),
        vs_base=f"{_fmt(measure, delta, lang, signed=True)} {t('vs_base', lang)}", vs_budget=vs_budget,
        reference=ref, mean=mean, base_mean=base_mean, good=_good(measure, delta, _tol(measure)),
    )


def cards(baseline: engine.Baseline, ye: Index, dev: pd.DataFrame, base_ye: Index, year: int,
          lang: str) -> dict[str, list[Kpi]]:
    """Cards by section: one per finance unit (revenue, costs, margin), then TMT and the labour market."""
    out: dict[str, list[Kpi]] = {}
    for unit in ("elinvoima", "tyollisyys", "etp"):
        out[unit] = [card(baseline, ye, dev, base_ye, year, unit, m, lang) for m in FINANCE]
    out["lahti"] = [card(baseline, ye, dev, base_ye, year, "tyollisyys", "tmt_cost_keur", lang)]
    out["lahti"] += [card(baseline, ye, dev, base_ye, year, "lahti", m, lang) for m in LABOUR]
    return out
