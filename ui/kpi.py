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


def _budget_delta(ye: Index, dev: dict, year: int, unit: str, measure: str) -> float | None:
    if measure in FINANCE:
        return value(ye, year, unit, measure) - value(ye, year, unit, "budget_" + measure)
    if measure == "tmt_cost_keur":  # TMT minus its appropriation = minus the driver's margin effect
        d = dev.get((year,), {"unit": [], "driver": [], "mean": []})
        for u, drv, m in zip(d["unit"], d["driver"], d["mean"]):
            if u == "tyollisyys" and drv == "tmt_over_appropriation":
                return -m
    return None


def card(baseline: engine.Baseline, ye: Index, dev: dict, base_ye: Index, year: int,
         unit: str, measure: str, lang: str) -> Kpi:
    mean = value(ye, year, unit, measure)
    base_mean = value(base_ye, year, unit, measure)
    delta = mean - base_mean
    bd = _budget_delta(ye, dev, year, unit, measure)
    vs_budget = ""
    if bd is not None:
        key = "vs_appropriation" if measure == "tmt_cost_keur" else "vs_budget"
        vs_budget = f"{t(key, lang)} {_fmt(measure, bd, lang, signed=True)}"
    p = value(ye, year, unit, "p_below_budget")
    if measure == "margin_keur" and p == p:  # sitovuustaso: the chance of falling short of the budget
        vs_budget += f" · {t('p_below_budget', lang)} {fmt.pct(100 * p, lang, decimals=0)}"
        if value(ye, year, unit, measure, "p50") < value(ye, year, unit, "budget_margin_keur") - 0.5:
            vs_budget += f" · {t('amendment', lang)}"
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


def cards(baseline: engine.Baseline, ye: Index, dev: dict, base_ye: Index, year: int,
          lang: str) -> dict[str, list[Kpi]]:
    """Cards by section: one per finance unit (revenue, costs, margin), then TMT and the labour market."""
    out: dict[str, list[Kpi]] = {}
    for unit in ("elinvoima", "tyollisyys", "etp"):
        out[unit] = [card(baseline, ye, dev, base_ye, year, unit, m, lang) for m in FINANCE]
    out["lahti"] = [card(baseline, ye, dev, base_ye, year, "tyollisyys", "tmt_cost_keur", lang)]
    out["lahti"] += [card(baseline, ye, dev, base_ye, year, "lahti", m, lang) for m in LABOUR]
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
