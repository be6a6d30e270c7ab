"""The monitoring report's forecast section, written (``ennuste report``): one scenario's run as a
workbook (``.xlsx``), a self-contained web page (``.html``) or Markdown (``.md``).

What it holds, every number taken from the run's own tables (``Result.year_end``, ``monthly``,
``deviations``; one producer per number) or from the baseline's report figures:

* a short narrative (Finnish, or English with ``lang="en"``) made from those numbers and the
  deviation's named drivers;
* the KPI figures of the app's cards (``ui/kpi.py``; both from :mod:`engine.results.kpi`): revenue,
  costs and margin per unit, the TMT, the unemployed, the long-term unemployed and the unemployment
  rate, each with P10–P90 and the report's reference figure (last year's accounts, June's labour figures);
* per unit the table in the report's layout (:func:`engine.results.report_table.report_layout`:
  TA, Toteuma, Ennuste, Poikkeama, 1 000 €, costs negative);
* the TMT table and the labour-market table by year;
* charts (Vega-Lite specs built here, rendered to PNG by vl-convert, without a browser): the
  deviation's drivers, the TMT by month, the unemployed by month.

The workbook holds numbers (never text) with number formats; Excel and LibreOffice show them with the
reader's separators (Finnish locale: ``1 626`` and ``57,2``), as OOXML stores format codes
locale-neutral. The HTML embeds its images as ``data:`` URIs. Markdown refers to PNG files written
beside it (``<stem>-<chart>.png``).

Writing follows the tool's rules (engine/results/output.py): the target is checked before anything is
computed, a file is replaced only if this tool wrote it (a workbook's creator, the HTML's generator
meta tag, the Markdown's first-line marker, a PNG's ``Software`` text chunk), and each file is written
to a temporary sibling and renamed into place, so an error leaves the old file or none.
"""
from __future__ import annotations

import base64
import html
import io
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.common import fmt
from engine.common.errors import UserError
from engine.load.baseline import LINE_NAMES, UNITS, Baseline
from engine.results.kpi import LABOUR, kpi_figures, tmt_over_appropriation, year_end_index
from engine.results.report_table import XLSX_CREATOR, check_xlsx_target, report_layout
from engine.results.result import Result

FORMATS = {".xlsx": "xlsx", ".html": "html", ".md": "md"}
LANGS = ("fi", "en")
GENERATOR = XLSX_CREATOR  # the mark of a file this tool wrote (workbook creator, HTML meta, MD marker, PNG text)
MD_MARK = f"<!-- generator: {GENERATOR} report -->"
CHARTS = ("deviation", "tmt", "labour")
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html",
        "md": "text/markdown", "png": "image/png"}
PNG_SCALE = 2.0  # sharp on screens and in print

_T = {  # user-facing words, fi / en
    "title": ("Ennuste", "Forecast"),
    "section": ("Talouden ja työllisyyden ennuste", "Forecast of finances and employment"),
    "method": ("Ennuste: {draws} simulointipolkua, siemen {seed}; luvut ovat polkujen keskiarvoja, vaihteluväli "
               "P10–P90. Tilanne {as_of}.",
               "Forecast: {draws} simulated paths, seed {seed}; figures are means over the paths, range P10–P90. "
               "Data as of {as_of}."),
    "kpis": ("Tunnusluvut {year}", "Key figures {year}"),
    "layout": ("Talouden toteuma ja ennuste {year} (1 000 euroa)", "Actuals and forecast {year} (EUR 1,000)"),
    "tmt": ("Työmarkkinatuen kuntaosuus (1 000 euroa)", "Municipal share of the labour-market subsidy (EUR 1,000)"),
    "labour": ("Työmarkkinat (joulukuu, ellei toisin mainita)", "Labour market (December unless noted)"),
    "charts": ("Kaaviot", "Charts"),
    "narrative": ("Katsaus", "Summary"),
    "figure": ("Tunnusluku", "Figure"), "forecast": ("Ennuste", "Forecast"), "unit": ("Yksikkö", "Unit"),
    "ref": ("Vertailu", "Reference"), "vs_budget": ("Ero talousarvioon", "Versus budget"),
    "year": ("Vuosi", "Year"), "actual": ("Toteuma", "Actual"),
    "meur": ("milj. €", "M€"), "keur": ("1 000 €", "EUR 1,000"), "persons": ("henkilöä", "persons"), "pct": ("%", "%"),
    "revenue_keur": ("Toimintatuotot", "Operating revenue"), "costs_keur": ("Toimintakulut", "Operating costs"),
    "margin_keur": ("Toimintakate", "Operating margin"),
    "tmt_cost_keur": ("Työmarkkinatuen kuntaosuus", "Municipal TMT share"),
    "unemployed": ("Työttömät", "Unemployed"), "long_term_unemployed": ("Pitkäaikaistyöttömät", "Long-term unemployed"),
    "unemployment_rate_pct": ("Työttömyysaste", "Unemployment rate"),
    "activation_rate_pct": ("Aktivointiaste", "Activation rate"),
    "unemployed_avg": ("Työttömät, vuoden keskiarvo", "Unemployed, annual mean"),
    "exits_to_employment": ("Työllistyneet vuoden aikana", "Exits to employment in the year"),
    "tmt_recipients_avg": ("TMT-saajat (kuntaosuus), keskiarvo", "TMT recipients (city share), annual mean"),
    "tmt_recipients": ("TMT-saajat (kuntaosuus), joulukuu", "TMT recipients (city share), December"),
    "over_appr": ("Määrärahan ylitys", "Over the appropriation"),
    "p_below": ("P(alle TA)", "P(below budget)"),
    "chart_deviation": ("Toimintakatteen poikkeama talousarviosta {year}, milj. €",
                        "Operating margin versus budget {year}, M€"),
    "chart_tmt": ("Työmarkkinatuen kuntaosuus kuukausittain, milj. € (P10–P90)",
                  "Municipal TMT share by month, M€ (P10–P90)"),
    "chart_labour": ("Työttömät ja pitkäaikaistyöttömät kuukausittain (P10–P90)",
                     "Unemployed and long-term unemployed by month (P10–P90)"),
    "total": ("Poikkeama yhteensä", "Deviation, total"),
    "cap_deviation": ("Poikkeaman nimetyt tekijät ja poikkeama yhteensä (ennuste − talousarvio; + = parempi). "
                      "Alle 0,05 milj. euron erät on jätetty pois.",
                      "Named drivers of the deviation and its total (forecast − budget; + = better). "
                      "Items under 0.05 M€ are left out."),
    "cap_tmt": ("Kirjattuna kuukausittain: Kela laskuttaa kuukauden jäljessä, ja joulukuuhun jaksotetaan myös "
                "joulukuun lasku, joten tammikuulle ei kirjaudu mitään.",
                "As booked each month: Kela bills a month in arrears, and December also accrues December's own "
                "bill, so nothing is booked in January."),
    "cap_labour": ("Kuukauden lopun tilanne; keskiarvo ja P10–P90.", "End of month; mean and P10–P90."),
}


def tr(key: str, lang: str, **kw) -> str:
    text = _T[key][0 if lang == "fi" else 1]
    return text.format(**kw) if kw else text


# ------------------------------------------------------------------------------------------ content
@dataclass(frozen=True)
class Kpi:
    """One KPI card as a row: ``value`` is the mean in the figure's own unit (M€, persons, %)."""

    section: str  # unit name
    measure: str  # the year_end table's measure
    label: str
    unit: str  # 'milj. €' / 'henkilöä' / '%'
    value: float
    p10: float
    p90: float
    vs_budget: float | None  # M€: forecast − budget (revenue, costs, margin); the TMT: over its appropriation
    reference: str  # '2021: 1,4' or '6/2022: 7 848'
    text: str  # the value as the report prints it


@dataclass(frozen=True)
class Content:
    """The report's content for one scenario run, in one language; numbers as DataFrames of floats."""

    lang: str
    org: str  # the whole area's name (Elinvoima- ja työllisyyspalvelut)
    title: str
    subtitle: str
    method: str
    budget_year: int
    narrative: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    layout: pd.DataFrame  # report_layout(): scenario, unit, line, Yksikkö, Erä, TA …, TP …
    tmt: pd.DataFrame  # Vuosi, Ennuste, P10, P90, Määrärahan ylitys, saajat … (k€, persons)
    labour: pd.DataFrame  # rows: measures; columns: label, unit, the as-of actual, each year
    charts: dict  # name -> Vega-Lite spec


def _genitive(name: str) -> str:
    """'Työllisyyspalvelut' → 'Työllisyyspalvelujen' (the units' names end in -palvelut)."""
    return name[:-1] + "jen" if name.endswith("palvelut") else name


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() or len(text) == 1 else text


def _m(keur: float, lang: str, signed: bool = False) -> str:
    return fmt.meur(keur, lang, signed=signed)


def _meur_by(keur: float) -> str:
    """'4,3 milj. eurolla' (Finnish 'by 4.3 M€')."""
    return f"{fmt.meur(keur, 'fi', unit=False)}{fmt.NBSP}milj.{fmt.NBSP}eurolla"


_ix = year_end_index


def _drivers(dev: pd.DataFrame, unit: str, year: int) -> pd.DataFrame:
    return dev[(dev.unit == unit) & (dev.year == year)].set_index("driver")


FIXED = ("budget_margin", "forecast_margin", "total_deviation")


def narrative(ye: pd.DataFrame, dev: pd.DataFrame, baseline: Baseline, year: int, lang: str) -> tuple[str, ...]:
    """Paragraphs: per unit the margin's deviation from budget and its largest named drivers, the
    levels of revenue and costs, the chance of missing the budget; then the TMT and the labour market.
    Every figure is a mean (or P10/P90) of ``ye``/``dev`` for ``year``, formatted with :mod:`engine.common.fmt`."""
    ix = _ix(ye)
    fi = lang == "fi"
    out = []
    for unit in UNITS:
        name = baseline.unit_name(unit, lang)
        d = _drivers(dev, unit, year)
        total = float(d.loc["total_deviation", "mean"])
        fc, bud = ix[(year, unit, "margin_keur")][0], ix[(year, unit, "budget_margin_keur")][0]
        level = (f"(ennuste {_m(fc, lang)}, talousarvio {_m(bud, lang)})" if fi
                 else f"(forecast {_m(fc, lang)}, budget {_m(bud, lang)})")
        if abs(total) < 50:
            s = (f"{_genitive(name)} toimintakatteen ennustetaan toteutuvan talousarvion mukaisena {level}." if fi
                 else f"{name}' operating margin is forecast to be in line with the budget {level}.")
        elif total < 0:
            s = (f"{_genitive(name)} toimintakatteen ennustetaan ylittävän talousarvion {_meur_by(-total)}"
                 f" {level}." if fi
                 else f"{name}' operating margin is forecast to fall short of the budget by {_m(-total, lang)} {level}.")
        else:
            s = (f"{_genitive(name)} toimintakatteen ennustetaan alittavan talousarvion {_meur_by(total)}"
                 f" {level}." if fi
                 else f"{name}' operating margin is forecast to beat the budget by {_m(total, lang)} {level}.")
        named = d.drop([k for k in FIXED + ("unexplained",) if k in d.index])  # the unexplained rest is no driver
        named = named.loc[named["mean"].abs().sort_values(ascending=False, kind="stable").index]
        named = named[named["mean"].abs() >= 50]  # what rounds to ±0,0 milj. € is not named
        label = "label_fi" if fi else "label_en"
        if len(named):
            parts = [f"{_lower_first(r[label])} ({_m(r['mean'], lang, signed=True)})" for _, r in named.iterrows()]
            if fi:
                s += " Suurin erä on " + parts[0]
                if len(parts) > 1:
                    s += "; muita tekijöitä ovat " + ", ".join(parts[1:-1]) + (" ja " if len(parts) > 2 else "") + parts[-1]
            else:
                s += " The largest item is " + parts[0]
                if len(parts) > 1:
                    s += "; other drivers: " + ", ".join(parts[1:-1]) + (" and " if len(parts) > 2 else "") + parts[-1]
            s += "."
        rev, cost = ix[(year, unit, "revenue_keur")][0], ix[(year, unit, "costs_keur")][0]
        brev, bcost = ix[(year, unit, "budget_revenue_keur")][0], ix[(year, unit, "budget_costs_keur")][0]
        s += (f" Toimintatuottojen ennuste on {_m(rev, lang)} (TA {_m(brev, lang)}) ja toimintakulujen "
              f"{_m(cost, lang)} (TA {_m(bcost, lang)})." if fi else
              f" Revenue is forecast at {_m(rev, lang)} (budget {_m(brev, lang)}) and costs at {_m(cost, lang)} "
              f"(budget {_m(bcost, lang)}).")
        p = ix[(year, unit, "p_below_budget")][0]
        pct = fmt.pct(100 * p, lang, decimals=0)
        s += (f" Toimintakate jää talousarviota heikommaksi {pct}:n todennäköisyydellä." if fi
              else f" The chance that the margin falls short of the budget is {pct}.")
        if ix[(year, unit, "margin_keur")][2] < bud - 0.5:
            s += (" Sitova toimintakate ylittyy: talousarviomuutos on tarpeen." if fi
                  else " The binding margin is exceeded: a budget amendment is needed.")
        out.append(s)
    tmt = ix[(year, "tyollisyys", "tmt_cost_keur")]
    prev = f"{year - 1}: {fmt.meur(baseline.tmt.closing_prev_keur, lang, unit=False)}" if year == baseline.budget_year \
        else f"{year - 1}: {fmt.meur(ix[(year - 1, 'tyollisyys', 'tmt_cost_keur')][0], lang, unit=False)}"
    band = fmt.band(fmt.meur(tmt[1], lang, unit=False), fmt.meur(tmt[3], lang, unit=False))
    s = (f"Työmarkkinatuen kuntaosuuden ennuste vuodelle {year} on {_m(tmt[0], lang)} (P10–P90 {band}; {prev})"
         if fi else f"The municipal share of the labour-market subsidy is forecast at {_m(tmt[0], lang)} for {year} "
         f"(P10–P90 {band}; {prev})")
    d = _drivers(dev, "tyollisyys", year)
    if "tmt_over_appropriation" in d.index:
        over = -float(d.loc["tmt_over_appropriation", "mean"])
        s += (f" ja se ylittää määrärahan {_meur_by(over)}." if fi and over > 0 else
              f" ja se alittaa määrärahan {_meur_by(-over)}." if fi else
              f", {_m(abs(over), lang)} {'above' if over > 0 else 'below'} its appropriation.")
    else:
        s += "."
    out.append(s)
    lab = baseline.labour
    june = f"{int(str(lab.as_of)[5:7])}/{str(lab.as_of)[:4]}"
    u, lt, r = (ix[(year, "lahti", m)][0] for m in ("unemployed", "long_term_unemployed", "unemployment_rate_pct"))
    out.append(
        f"Työttömiä ennustetaan olevan joulukuussa {year} {fmt.persons(u, lang)} "
        f"({june}: {fmt.persons(lab.unemployed, lang)}), "
        f"pitkäaikaistyöttömiä {fmt.persons(lt, lang)} ({fmt.persons(lab.long_term_unemployed, lang)}) ja "
        f"työttömyysasteen {fmt.pct(r, lang)} ({fmt.pct(lab.unemployment_rate_pct, lang)})." if fi else
        f"In December {year} the unemployed are forecast at {fmt.persons(u, lang)} ({june}: "
        f"{fmt.persons(lab.unemployed, lang)}), the long-term unemployed at {fmt.persons(lt, lang)} "
        f"({fmt.persons(lab.long_term_unemployed, lang)}) and the unemployment rate at {fmt.pct(r, lang)} "
        f"({fmt.pct(lab.unemployment_rate_pct, lang)}).")
    return tuple(out)


def kpis(ye: pd.DataFrame, dev: pd.DataFrame, baseline: Baseline, year: int, lang: str) -> tuple[Kpi, ...]:
    """The app's KPI cards (ui/kpi.py) as rows, from the same producer (:func:`engine.results.kpi.kpi_figures`):
    per finance unit revenue, costs and margin; the TMT; the unemployed, long-term unemployed and
    unemployment rate (December)."""
    labour_title = "Työllisyys" if lang == "fi" else "Employment"
    out = []
    for f in kpi_figures(baseline, _ix(ye), year, tmt_over_appropriation(dev, year)):
        vs = None if f.vs_budget_keur is None else f.vs_budget_keur / 1000
        if f.measure in LABOUR:
            pct = f.measure.endswith("_pct")
            show = (lambda x: fmt.pct(x, lang)) if pct else (lambda x: fmt.persons(x, lang))
            out.append(Kpi(labour_title, f.measure, f"{tr(f.measure, lang)} 12/{year}",
                           tr("pct" if pct else "persons", lang), f.mean, f.p10, f.p90, vs,
                           f"{f.reference_period}: {show(f.reference)}", show(f.mean)))
            continue
        section = labour_title if f.measure == "tmt_cost_keur" else baseline.unit_name(f.unit, lang)
        out.append(Kpi(section, f.measure, f"{tr(f.measure, lang)} {year}", tr("meur", lang),
                       f.mean / 1000, f.p10 / 1000, f.p90 / 1000, vs,
                       f"{f.reference_period}: {fmt.meur(f.reference, lang, unit=False)}", _m(f.mean, lang)))
    return tuple(out)


def tmt_table(ye: pd.DataFrame, dev: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per year: the TMT (mean, P10, P90, k€), over its appropriation (k€; the deviations' driver, sign
    flipped), and the persons with a city share (annual mean and December)."""
    ix = _ix(ye)
    years = sorted(int(y) for y in ye.year.unique())
    d = dev[(dev.unit == "tyollisyys") & (dev.driver == "tmt_over_appropriation")].set_index("year")["mean"]
    rows = []
    for y in years:
        v = ix[(y, "tyollisyys", "tmt_cost_keur")]
        rows.append({tr("year", lang): y, tr("forecast", lang): v[0], "P10": v[1], "P90": v[3],
                     tr("over_appr", lang): (-float(d[y]) if y in d.index else np.nan),
                     tr("tmt_recipients_avg", lang): ix.get((y, "lahti", "tmt_recipients_avg"), (np.nan,))[0],
                     tr("tmt_recipients", lang): ix.get((y, "lahti", "tmt_recipients"), (np.nan,))[0]})
    return pd.DataFrame(rows)


LABOUR_ROWS = ("unemployed", "long_term_unemployed", "unemployment_rate_pct", "activation_rate_pct", "unemployed_avg",
               "exits_to_employment")


def labour_table(ye: pd.DataFrame, baseline: Baseline, lang: str) -> pd.DataFrame:
    """Rows: the labour measures (December stocks, annual mean, annual sum); columns: the report's
    as-of figure and each year's mean."""
    ix = _ix(ye)
    years = sorted(int(y) for y in ye.year.unique())
    lab = baseline.labour
    june = f"{tr('actual', lang)} {int(str(lab.as_of)[5:7])}/{str(lab.as_of)[:4]}"
    actual = {"unemployed": lab.unemployed, "long_term_unemployed": lab.long_term_unemployed,
              "unemployment_rate_pct": lab.unemployment_rate_pct, "activation_rate_pct": lab.activation_rate_pct}
    rows = []
    for m in LABOUR_ROWS:
        row = {tr("figure", lang): tr(m, lang), tr("unit", lang): tr("pct" if m.endswith("_pct") else "persons", lang),
               june: actual.get(m, np.nan)}
        row |= {str(y): ix.get((y, "lahti", m), (np.nan,))[0] for y in years}
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ charts
def _spec(title: str, layers: list, height: int = 260, width: int = 640) -> dict:
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "title": {"text": title, "anchor": "start", "fontSize": 14}, "width": width, "height": height,
            "layer": layers, "config": {"legend": {"orient": "bottom", "title": None, "labelLimit": 0},
                                        "font": "DejaVu Sans", "background": "white"}}


def _x(lang: str) -> dict:
    return {"field": "date", "type": "temporal", "title": None, "scale": {"type": "utc"},
            "axis": {"format": "%m/%Y" if lang == "fi" else "%b %Y", "labelAngle": 0}}


def chart_specs(monthly: pd.DataFrame, dev: pd.DataFrame, baseline: Baseline, year: int, lang: str) -> dict:
    """The report's charts as Vega-Lite specs (data inline, money in M€)."""
    label = "label_fi" if lang == "fi" else "label_en"
    bars = []
    for unit in UNITS:
        d = _drivers(dev, unit, year)
        short = baseline.unit_name(unit, lang).replace("palvelut", "p.") if lang == "fi" else baseline.unit_name(unit, lang)
        for drv, r in d.iterrows():
            if drv in ("budget_margin", "forecast_margin") or (drv != "total_deviation" and abs(r["mean"]) < 50):
                continue
            text = tr("total", lang) if drv == "total_deviation" else r[label]
            bars.append({"row": f"{short}: {text}", "v": r["mean"] / 1000, "unit": unit,
                         "kind": "total" if drv == "total_deviation" else ("up" if r["mean"] > 0 else "down"),
                         "text": fmt.meur(r["mean"], lang, signed=True, unit=False)})
    for b in bars:
        b["end"] = max(b["v"], 0.0)  # the value's label right of the bar
    # an explicit order: a layered chart's sort by a field falls back to alphabetical
    y = {"field": "row", "type": "nominal", "sort": [b["row"] for b in bars], "title": None,
         "axis": {"labelLimit": 420}}
    deviation = _spec(tr("chart_deviation", lang, year=year), [
        {"data": {"values": bars}, "mark": {"type": "bar", "height": 16},
         "encoding": {"y": y, "x": {"field": "v", "type": "quantitative", "title": tr("meur", lang),
                                    "axis": {"format": ",.1f"}},
                      "color": {"field": "kind", "type": "nominal", "legend": None,
                                "scale": {"domain": ["up", "down", "total"], "range": ["#2e8b57", "#c0392b", "#1f5fa8"]}}}},
        {"data": {"values": bars}, "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
         "encoding": {"y": y, "x": {"field": "end", "type": "quantitative"}, "text": {"field": "text"}}},
    ], height=22 * len(bars) + 10, width=360)

    def series(unit: str, measure: str, k: float = 1.0, name: str = "") -> list[dict]:
        s = monthly[(monthly.unit == unit) & (monthly.measure == measure)]
        return [{"date": f"{m}-01", "mean": a / k, "p10": b / k, "p90": c / k, "series": name}
                for m, a, b, c in s[["month", "mean", "p10", "p90"]].itertuples(index=False)]

    t = series("tyollisyys", "tmt_cost_keur", 1000.0)
    ym = {"type": "quantitative", "title": tr("meur", lang), "axis": {"format": ",.1f"}, "scale": {"zero": True}}
    tmt = _spec(tr("chart_tmt", lang), [
        {"data": {"values": t}, "mark": {"type": "area", "opacity": 0.25, "color": "#e67e22"},
         "encoding": {"x": _x(lang), "y": {"field": "p10", **ym}, "y2": {"field": "p90"}}},
        {"data": {"values": t}, "mark": {"type": "line", "color": "#e67e22", "strokeWidth": 2},
         "encoding": {"x": _x(lang), "y": {"field": "mean", **ym}}},
    ])
    rows = series("lahti", "unemployed", name=tr("unemployed", lang)) + \
        series("lahti", "long_term_unemployed", name=tr("long_term_unemployed", lang))
    color = {"field": "series", "type": "nominal", "scale": {"range": ["#1f5fa8", "#e67e22"]}}
    yp = {"type": "quantitative", "title": tr("persons", lang), "axis": {"format": ",.0f"}, "scale": {"zero": True}}
    labour = _spec(tr("chart_labour", lang), [
        {"data": {"values": rows}, "mark": {"type": "area", "opacity": 0.2},
         "encoding": {"x": _x(lang), "y": {"field": "p10", **yp}, "y2": {"field": "p90"}, "color": color}},
        {"data": {"values": rows}, "mark": {"type": "line", "strokeWidth": 2},
         "encoding": {"x": _x(lang), "y": {"field": "mean", **yp}, "color": color}},
    ])
    return {"deviation": deviation, "tmt": tmt, "labour": labour}


def render_png(spec: dict, lang: str) -> bytes:
    """A Vega-Lite spec as PNG (vl-convert: Vega in an embedded JS engine, no browser), marked as this
    tool's with a ``Software`` text chunk."""
    import vl_convert as vlc

    kw = {"format_locale": fmt.VEGA_NUMBER_FI, "time_format_locale": fmt.VEGA_TIME_FI} if lang == "fi" else {}
    return _mark_png(vlc.vegalite_to_png(spec, scale=PNG_SCALE, **kw))


def _mark_png(png: bytes) -> bytes:
    """Insert a ``tEXt`` chunk ``Software=etp-ennuste`` after the header chunk (PNG spec, 11.3.4.3)."""
    body = b"Software\x00" + GENERATOR.encode("latin-1")
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    end_ihdr = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4
    return png[:end_ihdr] + chunk + png[end_ihdr:]


def _png_is_ours(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4096)
    return head.startswith(b"\x89PNG") and b"tEXtSoftware\x00" + GENERATOR.encode() in head


# ------------------------------------------------------------------------------------------ build
_LAYOUT_EN = {"revenue": "Operating revenue", "costs": "Operating costs", "margin": "Operating margin"}


def _layout_in(layout: pd.DataFrame, baseline: Baseline, lang: str) -> pd.DataFrame:
    """The layout's words in ``lang`` (its numbers as they are): the report's own Finnish, or English."""
    if lang == "fi":
        return layout
    by, month = baseline.budget_year, int(str(baseline.as_of)[5:7])
    heads = dict(zip(layout.columns[5:], (f"Budget {by}", f"Actual 1–{month}", "Actual %", "Forecast", "Deviation",
                                           f"Accounts {by - 1}")))
    out = layout.rename(columns={"Yksikkö": "Unit", "Erä": "Item", **heads})
    out["Unit"] = [baseline.unit_name(u, "en") for u in out["unit"]]
    out["Item"] = [_LAYOUT_EN.get(ln) or LINE_NAMES[ln][1] for ln in out["line"]]
    return out


def build(result: Result, lang: str = "fi", year: int | None = None) -> Content:
    """The report's content from one run (its own tables; nothing recomputed)."""
    if lang not in LANGS:
        raise UserError(f"must be one of {', '.join(LANGS)}, got {lang!r}", field="--lang")
    baseline = result.baseline
    year = year or baseline.budget_year
    ye, dev, monthly = result.year_end(), result.deviations(), result.monthly()
    sid = result.scenario.id
    name = result.scenario.name
    as_of = str(baseline.as_of)
    return Content(
        lang=lang,
        org=baseline.unit_name("etp", lang),
        title=f"{baseline.unit_name('etp', lang)} — {tr('title', lang)} {year}",
        subtitle=f"{name} ({sid})",
        method=tr("method", lang, draws=fmt.persons(result.draws, lang), seed=result.seed,
                  as_of=f"{int(as_of[5:7])}/{as_of[:4]}"),
        budget_year=year,
        narrative=narrative(ye, dev, baseline, year, lang),
        kpis=kpis(ye, dev, baseline, year, lang),
        layout=_layout_in(report_layout(ye, baseline, sid), baseline, lang),
        tmt=tmt_table(ye, dev, lang),
        labour=labour_table(ye, baseline, lang),
        charts=chart_specs(monthly, dev, baseline, year, lang),
    )


# ------------------------------------------------------------------------------------------ formats
def _pct_head(c: Content) -> str:
    """Toteuma-% (the layout's third figure column, in either language)."""
    return c.layout.columns[7]


def _layout_heads(c: Content) -> list[str]:
    return [h for h in c.layout.columns if h not in ("scenario", "unit", "line")]


def _table_sheet(wb, name: str, title: str, frame: pd.DataFrame, right_from: int, value, formats):
    """A sheet of ``frame`` under a bold title: bold column heads, right-aligned from column ``right_from``
    (1-based), a row per frame row with ``value(column index, v)``; ``formats(row)`` gives the number
    formats of the row's last cells. Returns the sheet."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(name)
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(list(frame.columns))
    for cell in ws[2]:
        cell.font = Font(bold=True)
        if cell.column >= right_from:
            cell.alignment = Alignment(horizontal="right")
    for row in frame.itertuples(index=False):
        ws.append([value(j, v) for j, v in enumerate(row)])
        fmts = formats(row)
        for cell, fmt in zip(ws[ws.max_row][len(row) - len(fmts):], fmts):
            cell.number_format = fmt
    _fit_heads(ws, 2)
    return ws


def _fit_heads(ws, row: int) -> None:
    """Each column as wide as its head in ``row`` (at least 10 characters)."""
    for cell in ws[row]:
        ws.column_dimensions[cell.column_letter].width = max(10, len(str(cell.value or "")) + 3)


def _xlsx(c: Content, images: dict[str, bytes]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font

    fi = c.lang == "fi"
    wb = Workbook()
    wb.properties.creator = GENERATOR
    wb.properties.title = c.title
    bold = Font(bold=True)
    money, persons, pct1 = "#,##0", "#,##0", "0.0"

    ws = wb.active
    ws.title = "Ennuste" if fi else "Forecast"
    ws.append([c.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([c.subtitle])
    ws.append([c.method])
    ws.append([])
    ws.append([tr("narrative", c.lang)])
    ws[f"A{ws.max_row}"].font = bold
    for p in c.narrative:
        ws.append([p])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=8)
        cell = ws.cell(ws.max_row, 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[ws.max_row].height = 15 * (1 + len(p) // 110)
    ws.append([])
    ws.append([tr("kpis", c.lang, year=c.budget_year)])
    ws[f"A{ws.max_row}"].font = bold
    ws.append([tr("unit", c.lang), tr("figure", c.lang), tr("forecast", c.lang), "P10", "P90",
               tr("vs_budget", c.lang), "", tr("ref", c.lang)])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for k in c.kpis:
        d = 1 if k.unit != tr("persons", c.lang) else 0  # decimals shown
        ws.append([k.section, f"{k.label} ({k.unit})", *(None if v is None else fmt.shown(v, d)
                                                         for v in (k.value, k.p10, k.p90, k.vs_budget)),
                   None, k.reference])
        fmt_ = "0.0" if k.unit != tr("persons", c.lang) else persons
        for col in (3, 4, 5, 6):
            ws.cell(ws.max_row, col).number_format = fmt_ if col != 6 else "+0.0;-0.0;0.0"
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 40
    for col in "CDEF":
        ws.column_dimensions[col].width = 12
    ws.column_dimensions["H"].width = 16

    ws = wb.create_sheet("Taulukko" if fi else "Table")
    heads = _layout_heads(c)
    ws.append([tr("layout", c.lang, year=c.budget_year)])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(heads)
    for cell in ws[2]:
        cell.font = bold
        if cell.column > 2:
            cell.alignment = Alignment(horizontal="right")
    for _, r in c.layout.iterrows():
        ws.append([None if pd.isna(r[h]) else (r[h] if isinstance(r[h], str)
                                               else fmt.shown(float(r[h]), 1 if h == _pct_head(c) else 0)) for h in heads])
        if r["line"] in ("revenue", "costs", "margin"):
            for cell in ws[ws.max_row]:
                cell.font = bold
        for cell in ws[ws.max_row][2:]:
            cell.number_format = pct1 if heads[cell.column - 1] == _pct_head(c) else money
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 30
    for col in "CDEFGH":
        ws.column_dimensions[col].width = 13

    _table_sheet(wb, "TMT", tr("tmt", c.lang), c.tmt, right_from=1,
                 value=lambda j, v: None if pd.isna(v) else (int(v) if j == 0 else float(v)),
                 formats=lambda row: [money] * (len(row) - 1))
    ws = _table_sheet(wb, "Työmarkkinat" if fi else "Labour market", tr("labour", c.lang), c.labour, right_from=3,
                      value=lambda j, v: v if isinstance(v, str) else (None if pd.isna(v) else float(v)),
                      formats=lambda row: [pct1 if row[1] == "%" else persons] * (len(row) - 2))
    ws.column_dimensions["A"].width = 38

    ws = wb.create_sheet(tr("charts", c.lang))
    row = 1
    for name in CHARTS:
        img = Image(io.BytesIO(images[name]))
        img.width, img.height = img.width / PNG_SCALE, img.height / PNG_SCALE
        ws.add_image(img, f"A{row}")
        row += int(img.height / 20) + 2
    for sheet in wb.worksheets:
        for row_ in sheet.iter_rows():  # a scenario's name or label starting with '=' stays text, never a formula
            for cell in row_:
                if cell.data_type == "f":
                    cell.data_type = "s"
        # printed (or saved as PDF): landscape, one page wide
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _num_cell(v, kind: str, lang: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return ""
    if kind == "pct":
        return fmt.number(float(v), lang, 1)
    return fmt.number(float(v), lang, 0)


CSS = """
body {font-family: "Segoe UI", "DejaVu Sans", Arial, sans-serif; max-width: 1100px; margin: 2rem auto; padding: 0 1rem;
      color: #222;}
header .bar {font-size: 0.85rem; letter-spacing: 0.06em; text-transform: uppercase; color: #1f5fa8;}
h1 {font-size: 1.6rem; margin: 0.2rem 0;} h2 {font-size: 1.15rem; margin-top: 2rem; border-bottom: 2px solid #1f5fa8;}
.method {color: #666; font-size: 0.85rem;}
.kpis {display: grid; grid-template-columns: repeat(var(--cols), minmax(0, 1fr)); gap: 0.7rem;}
h3 {font-size: 0.95rem; margin: 1rem 0 0.4rem 0;} figcaption {font-size: 0.8rem; color: #666;}
.kpi {border: 1px solid #ccd; border-radius: 6px; padding: 0.6rem 0.8rem;}
.kpi .lbl {font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em;}
.kpi .val {font-size: 1.6rem; font-weight: 600;} .kpi .ref {font-size: 0.9rem; color: #666; margin-left: 0.3rem;}
.kpi .sub {font-size: 0.78rem; color: #555;}
table {border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1rem 0;}
th, td {padding: 0.2rem 0.6rem; border-bottom: 1px solid #e3e3e3;} th {background: #eef2f8; text-align: right;}
th:first-child, td.txt {text-align: left;} td {text-align: right; font-variant-numeric: tabular-nums;}
tr.total td {font-weight: 600;} tr.unit td {font-weight: 700; background: #f6f6f6; text-align: left;}
img {max-width: 100%; margin: 0.5rem 0;}
"""


def _table_html(heads: list[str], rows: list[tuple[str, list[str], str]]) -> str:
    """rows: (css class, cells, first cell's class)."""
    out = ["<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr></thead><tbody>"]
    for cls, cells, _ in rows:
        tds = "".join(f'<td class="txt">{html.escape(c)}</td>' if j == 0 else f"<td>{html.escape(c)}</td>"
                      for j, c in enumerate(cells))
        out.append(f'<tr class="{cls}">{tds}</tr>')
    out.append("</tbody></table>")
    return "".join(out)


def _layout_rows(c: Content) -> tuple[list[str], list[tuple[str, list[str], str]]]:
    unit_head, item_head = c.layout.columns[3], c.layout.columns[4]
    heads = [h for h in _layout_heads(c) if h != unit_head]
    rows = []
    for _, g in c.layout.groupby("unit", sort=False):
        rows.append(("unit", [g[unit_head].iloc[0]] + [""] * (len(heads) - 1), ""))
        for _, r in g.iterrows():
            total = r["line"] in ("revenue", "costs", "margin")
            cells = [("" if total else "\u2003") + r[item_head]]
            cells += [_num_cell(None if pd.isna(r[h]) else r[h], "pct" if h == _pct_head(c) else "n", c.lang)
                      for h in heads[1:]]
            rows.append(("total" if total else "", cells, ""))
    return heads, rows


def _tmt_rows(c: Content) -> tuple[list[str], list]:
    heads = list(c.tmt.columns)
    rows = [("", [str(int(r[0]))] + [_num_cell(v, "n", c.lang) for v in r[1:]], "") for r in c.tmt.itertuples(index=False)]
    return heads, rows


def _labour_rows(c: Content) -> tuple[list[str], list]:
    heads = list(c.labour.columns)
    rows = [("", [r[0], r[1]] + [_num_cell(v, "pct" if r[1] == "%" else "n", c.lang) for v in r[2:]], "")
            for r in c.labour.itertuples(index=False)]
    return heads, rows


def _kpi_html(k: Kpi, lang: str) -> str:
    e = html.escape
    band = fmt.band(fmt.number(k.p10, lang, 1 if k.unit != tr("persons", lang) else 0),
                    fmt.number(k.p90, lang, 1 if k.unit != tr("persons", lang) else 0))
    sub = f"P10–P90 {band}"
    if k.vs_budget is not None:
        key = "over_appr" if k.measure == "tmt_cost_keur" else "vs_budget"
        sub += f" · {tr(key, lang)} {fmt.meur(1000 * k.vs_budget, lang, signed=True)}"
    return (f'<div class="kpi"><div class="lbl">{e(k.label)}</div>'
            f'<div class="val">{e(k.text)}<span class="ref">({e(k.reference)})</span></div>'
            f'<div class="sub">{e(sub)}</div></div>')


def _html(c: Content, images: dict[str, bytes]) -> bytes:
    e = html.escape
    parts = [f'<!DOCTYPE html>\n<html lang="{c.lang}"><head><meta charset="utf-8">',
             f'<meta name="generator" content="{GENERATOR}">', f"<title>{e(c.title)}</title>",
             f"<style>{CSS}</style></head><body>",
             f'<header><div class="bar">{e(c.org)} | {e(tr("section", c.lang))}</div>'
             f"<h1>{e(c.title)}</h1><div>{e(c.subtitle)}</div><p class=\"method\">{e(c.method)}</p></header>",
             f"<h2>{e(tr('narrative', c.lang))}</h2>"]
    parts += [f"<p>{e(p)}</p>" for p in c.narrative]
    parts.append(f"<h2>{e(tr('kpis', c.lang, year=c.budget_year))}</h2>")
    sections: dict[str, list[Kpi]] = {}
    for k in c.kpis:
        sections.setdefault(k.section, []).append(k)
    for section, ks in sections.items():
        parts.append(f'<h3>{e(section)}</h3><div class="kpis" style="--cols: {len(ks)}">')
        parts += [_kpi_html(k, c.lang) for k in ks]
        parts.append("</div>")
    parts.append(f"<h2>{e(tr('layout', c.lang, year=c.budget_year))}</h2>")
    parts.append(_table_html(*_layout_rows(c)))
    for name in CHARTS:
        if name == "tmt":
            parts.append(f"<h2>{e(tr('tmt', c.lang))}</h2>" + _table_html(*_tmt_rows(c)))
        if name == "labour":
            parts.append(f"<h2>{e(tr('labour', c.lang))}</h2>" + _table_html(*_labour_rows(c)))
        data = base64.b64encode(images[name]).decode("ascii")
        title = c.charts[name]["title"]["text"]
        parts.append(f'<figure><img alt="{e(title)}" src="data:image/png;base64,{data}">'
                     f'<figcaption>{e(tr("cap_" + name, c.lang))}</figcaption></figure>')
    parts.append("</body></html>\n")
    return "\n".join(parts).encode("utf-8")


def _md_table(heads: list[str], rows: list) -> str:
    def esc(s: str) -> str:
        return _md_text(s).replace("|", "\\|")
    out = ["| " + " | ".join(esc(h) for h in heads) + " |",
           "|" + "|".join(":---" if j == 0 else "---:" for j in range(len(heads))) + "|"]
    for cls, cells, _ in rows:
        cells = [f"**{x}**" if cls in ("total", "unit") and x else x for x in cells]
        out.append("| " + " | ".join(esc(x) for x in cells) + " |")
    return "\n".join(out)


def _md_text(text: str) -> str:
    """A scenario's own words (its name, driver labels) as Markdown text: no HTML."""
    return html.escape(text, quote=False)


def _md(c: Content, image_names: dict[str, str]) -> bytes:
    lines = [MD_MARK, f"# {_md_text(c.title)}", "", _md_text(c.subtitle), "", f"*{c.method}*", "",
             f"## {tr('narrative', c.lang)}", ""]
    for p in c.narrative:
        lines += [_md_text(p), ""]
    lines += [f"## {tr('kpis', c.lang, year=c.budget_year)}", ""]
    heads = [tr("unit", c.lang), tr("figure", c.lang), tr("forecast", c.lang), "P10–P90", tr("ref", c.lang)]
    rows = []
    for k in c.kpis:
        d = 1 if k.unit != tr("persons", c.lang) else 0
        rows.append(("", [k.section, k.label, k.text, fmt.band(fmt.number(k.p10, c.lang, d), fmt.number(k.p90, c.lang, d)),
                          k.reference], ""))
    lines += [_md_table(heads, rows), ""]
    lines += [f"## {tr('layout', c.lang, year=c.budget_year)}", "", _md_table(*_layout_rows(c)), ""]
    for name in CHARTS:
        if name == "tmt":
            lines += [f"## {tr('tmt', c.lang)}", "", _md_table(*_tmt_rows(c)), ""]
        if name == "labour":
            lines += [f"## {tr('labour', c.lang)}", "", _md_table(*_labour_rows(c)), ""]
        lines += [f"![{c.charts[name]['title']['text']}]({image_names[name]})", "", f"*{tr('cap_' + name, c.lang)}*", ""]
    return "\n".join(lines).encode("utf-8")


def image_name(stem: str, chart: str) -> str:
    return f"{stem}-{chart}.png"


def report_files(result: Result, fmt_: str, lang: str = "fi", stem: str = "report") -> dict[str, bytes]:
    """The report as files: name → bytes. ``xlsx`` and ``html`` are one file each (``<stem>.xlsx``,
    ``<stem>.html``, images inside); ``md`` is ``<stem>.md`` and a PNG per chart beside it."""
    if fmt_ not in FORMATS.values():
        raise UserError(f"must be one of {', '.join(FORMATS.values())}, got {fmt_!r}", field="format")
    c = build(result, lang)
    images = {name: render_png(spec, lang) for name, spec in c.charts.items()}
    if fmt_ == "xlsx":
        return {f"{stem}.xlsx": _xlsx(c, images)}
    if fmt_ == "html":
        return {f"{stem}.html": _html(c, images)}
    names = {name: image_name(stem, name) for name in CHARTS}
    return {names[n]: images[n] for n in CHARTS} | {f"{stem}.md": _md(c, names)}


# ------------------------------------------------------------------------------------------ safe writing
def _owned(path: Path, kind: str) -> bool:
    try:
        if kind == "png":
            return _png_is_ours(path)
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    if kind == "html":
        return f'<meta name="generator" content="{GENERATOR}">' in head
    return head.startswith(MD_MARK)


def check_target(path: str | os.PathLike) -> tuple[Path, str]:
    """``--out``'s file, checked before anything is computed: its suffix names the format (``.xlsx``,
    ``.html``, ``.md``), its folder exists, and it (and for Markdown each image beside it) is new or a
    file this tool wrote. Returns (path, format); else a :class:`UserError`."""
    out = Path(path)
    label = str(out)
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise UserError(f"the file name must end in {', '.join(FORMATS)}, got {out.name!r}", file=label,
                        field="--out")
    if kind == "xlsx":
        return check_xlsx_target(out, field="--out"), kind
    if not out.parent.is_dir():
        raise UserError("its folder does not exist", file=label, field="--out")
    targets = [(out, kind)] + ([(out.parent / image_name(out.stem, n), "png") for n in CHARTS] if kind == "md" else [])
    for p, k in targets:
        if p.is_dir() or (p.exists() and not p.is_file()):
            raise UserError("is a folder or not a regular file", file=str(p), field="--out")
        if p.exists() and not _owned(p, k):
            raise UserError("exists and was not written by ennuste; choose another name or remove it",
                            file=str(p), field="--out")
    return out, kind


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_report(result: Result, path: str | os.PathLike, lang: str = "fi") -> list[Path]:
    """Write the report to ``path`` (format from its suffix); returns the files written. Each file goes
    to a temporary sibling and is renamed into place (Markdown's images first, the ``.md`` last)."""
    out, kind = check_target(path)
    files = report_files(result, kind, lang, stem=out.stem)
    written = []
    for name, data in files.items():  # report_files puts the .md after its images
        target = out if name.endswith("." + kind) else out.parent / name
        _atomic_write(target, data)
        written.append(target)
    return written
