"""KPI cards like the report's "TOIMINTAKATE ENNUSTE −7,7 milj. euroa (2021: −6,0)": the year-end
mean, its P10–P90, and the change against the baseline scenario and against the budget.

``ye`` is ``ui.results.Run.index`` and ``dev`` ``ui.results.Run.dev`` (the engine's tables as look-ups)."""
from __future__ import annotations

import html
from dataclasses import dataclass


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


def _tmt_over(dev: dict, year: int) -> float | None:
    """The TMT over its appropriation (k€): minus the deviations' driver, from ``ui.results.Run.dev``."""
    d = dev.get((year,), {"unit": [], "driver": [], "mean": []})
    for u, drv, m in zip(d["unit"], d["driver"], d["mean"]):
        if drv == "tmt_over_appropriation":  # booked on the pack's tmt_unit only
            return -m
    return None


def card(f: engine.KpiFigure, base_ye: Index, lang: str) -> Kpi:
    """The card of one of the engine's KPI figures (:func:`engine.kpi_figures`), formatted."""
    year, unit, measure = f.year, f.unit, f.measure
    base_mean = value(base_ye, year, unit, measure)
    delta = f.mean - base_mean
    vs_budget = ""
    if f.vs_budget_keur is not None:
        key = "vs_appropriation" if measure == "tmt_cost_keur" else "vs_budget"
        vs_budget = f"{t(key, lang)} {_fmt(measure, f.vs_budget_keur, lang, signed=True)}"
    p = f.p_below_budget
    if p is not None and p == p:  # sitovuustaso: the chance of falling short of the budget
        vs_budget += f" · {t('p_below_budget', lang)} {fmt.pct(100 * p, lang, decimals=0)}"
        if f.p50 < f.budget - 0.5:
            vs_budget += f" · {t('amendment', lang)}"
    if measure in LABOUR:
        label = f"{t(measure, lang)} {year}"
        ref = f"({f.reference_period}: {_fmt(measure, f.reference, lang)})"
    else:
        label = f"{t(measure, lang)}, {t('forecast', lang)} {year}" if measure in FINANCE else f"{t(measure, lang)} {year}"
        ref = f"({f.reference_period}: {_fmt(measure, f.reference, lang, unit=False)})"
    return Kpi(
        unit=unit, measure=measure, label=label, value=_fmt(measure, f.mean, lang),
        band=fmt.band(_fmt(measure, f.p10, lang, unit=False), _fmt(measure, f.p90, lang, unit=False)),
        vs_base=f"{_fmt(measure, delta, lang, signed=True)} {t('vs_base', lang)}", vs_budget=vs_budget,
        reference=ref, mean=f.mean, base_mean=base_mean, good=_good(measure, delta, _tol(measure)),
    )


def cards(baseline: engine.Baseline, ye: Index, dev: dict, base_ye: Index, year: int,
          lang: str) -> dict[str, list[Kpi]]:
    """Cards by section: one per finance unit (revenue, costs, margin), then TMT and the labour market."""
    out: dict[str, list[Kpi]] = {}
    for f in engine.kpi_figures(baseline, ye, year, _tmt_over(dev, year)):
        section = "lahti" if f.measure == "tmt_cost_keur" else f.unit
        out.setdefault(section, []).append(card(f, base_ye, lang))
    return out


# ------------------------------------------------------------------------------------------ HTML cards
CSS = """
<style>
.etp-kpis h4 {margin: 0.9rem 0 0.35rem 0; font-size: 1rem; font-weight: 600;}
.etp-kpi-row {display: grid; grid-template-columns: repeat(var(--cols), minmax(0, 1fr)); gap: 0.75rem;}
.etp-kpi {border: 1px solid rgba(128, 128, 128, 0.28); border-radius: 0.5rem; padding: 0.7rem 0.9rem;}
.etp-kpi .lbl {font-size: 0.78rem; letter-spacing: 0.04em; text-transform: uppercase; opacity: 0.75;}
.etp-kpi .val {font-size: 1.75rem; font-weight: 600; line-height: 1.25; margin: 0.15rem 0; white-space: nowrap;}
.etp-kpi .ref {font-size: 0.95rem; font-weight: 400; opacity: 0.7; margin-left: 0.3rem;}
.etp-kpi .dlt {font-size: 0.85rem; display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.8rem;
               background: rgba(128, 128, 128, 0.12);}
.etp-kpi .dlt.good {color: #1a7f37; background: rgba(26, 127, 55, 0.12);}
.etp-kpi .dlt.bad {color: #b42318; background: rgba(180, 35, 24, 0.10);}
.etp-kpi .sub {font-size: 0.8rem; opacity: 0.72; margin-top: 0.35rem; line-height: 1.35;}
@media (max-width: 900px) {.etp-kpi-row {grid-template-columns: minmax(0, 1fr);}}
</style>
"""


def card_html(k: Kpi) -> str:
    """One card: label, value with the report-style reference, change against the baseline, then the
    P10–P90 band and the change against the budget. ``data-*`` attributes name the figure."""
    cls = "" if k.good is None else ("good" if k.good else "bad")
    arrow = "" if k.good is None else ("▲ " if k.mean > k.base_mean else "▼ ")
    sub = [f"P10–P90 {k.band}"] + ([k.vs_budget] if k.vs_budget else [])
    e = html.escape
    return (f'<div class="etp-kpi" data-unit="{e(k.unit)}" data-measure="{e(k.measure)}">'
            f'<div class="lbl">{e(k.label)}</div>'
            f'<div class="val">{e(k.value)}<span class="ref">{e(k.reference)}</span></div>'
            f'<div class="dlt {cls}">{arrow}{e(k.vs_base)}</div>'
            f'<div class="sub">{e(" · ".join(sub))}</div></div>')


def cards_html(sections: dict[str, list[Kpi]], titles: dict[str, str]) -> str:
    """All cards as one HTML block (one Streamlit element instead of three per card: a rerun is faster)."""
    parts = [CSS, '<div class="etp-kpis">']
    for key, cards_ in sections.items():
        parts.append(f"<h4>{html.escape(titles[key])}</h4>")
        parts.append(f'<div class="etp-kpi-row" style="--cols: {len(cards_)}">')
        parts += [card_html(k) for k in cards_]
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)
