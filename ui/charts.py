"""The page's charts as Vega-Lite specifications (plain dicts for ``st.vega_lite_chart``).

Money is in M€ (the tables' k€ / 1000). In Finnish mode Vega's locale gives the decimal comma,
thin-space thousands and Finnish month names; tooltips carry labels already formatted by ``ui.fmt``.

The specs are written as dicts rather than Altair objects on purpose: building and schema-validating
the Altair objects of one page took about 60 ms a chart here, which alone would break the 150 ms
budget of a rerun after a slider change; these dicts take a few ms. Data are inline rows per layer.
"""
from __future__ import annotations

from typing import Any

import engine

from . import fmt
from .text import t

HEIGHT = 320
BLUE, GREY, RED, BLACK, ORANGE, GREEN = "#1f5fa8", "#8c8c8c", "#c0392b", "#222222", "#e67e22", "#2e8b57"
BAND_COLORS = ["#9ecae1", "#4292c6", "#08306b"]
TMT_BAND_KEYS = ("band_under_500", "band_500_1000", "band_over_1000")
COMPARE_COLORS = [BLUE, ORANGE, GREEN, "#9467bd", RED]
SOLID, DASHED, DOTTED = [1, 0], [5, 3], [2, 2]
Spec = dict[str, Any]

FI_LOCALE = {"number": fmt.VEGA_NUMBER_FI, "time": fmt.VEGA_TIME_FI}  # one home: engine/common/fmt.py


# ------------------------------------------------------------------------------------------ building blocks
Series = dict[str, list]  # {"month": ["2022-07", …], "mean": […], "p10": […], "p90": […]} (ui.results.Tables.series)


def _spec(title: str, lang: str, layers: list[Spec], height: int = HEIGHT) -> Spec:
    spec: Spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": title, "anchor": "start", "fontSize": 14},
        "height": height, "layer": layers,
        "config": {"legend": {"orient": "bottom", "title": None, "labelLimit": 0, "columns": 2}},
        # SVG: the text of titles and axes is in the page (readable, searchable, testable) and prints sharp
        "usermeta": {"embedOptions": {"renderer": "svg"}},
    }
    if lang == "fi":
        spec["config"]["locale"] = FI_LOCALE
    return spec


def _x(lang: str) -> Spec:
    return {"field": "date", "type": "temporal", "title": None, "scale": {"type": "utc"},
            "axis": {"format": "%m/%Y" if lang == "fi" else "%b %Y", "labelAngle": 0, "labelOverlap": True}}


def _y(field: str, title: str, fmt_: str = ",.1f", zero: bool = False) -> Spec:
    return {"field": field, "type": "quantitative", "title": title, "axis": {"format": fmt_},
            "scale": {"zero": zero}}


def _color(domain: list[str], colors: list[str], field: str = "series", symbol: str = "stroke") -> Spec:
    return {"field": field, "type": "nominal", "title": None, "scale": {"domain": domain, "range": colors},
            "legend": {"orient": "bottom", "symbolType": symbol, "symbolStrokeWidth": 2.5, "symbolOpacity": 1}}


def _tip(field: str, title: str = "") -> Spec:
    return {"field": field, "type": "nominal", "title": title}


_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(month: str, lang: str) -> str:
    """'2022-07' → '7/2022' (fi) or 'Jul 2022' (en).

    >>> month_label("2022-07", "fi"), month_label("2022-07", "en")
    ('7/2022', 'Jul 2022')
    """
    m = int(month[5:7])
    return f"{m}/{month[:4]}" if lang == "fi" else f"{_EN_MONTHS[m - 1]} {month[:4]}"


def _values(months: list[str], lang: str, **cols) -> list[dict]:
    """Inline data rows: ``date`` (first of the month), ``m`` (month label) and the given columns
    (lists of the same length, or one value for every row)."""
    n = len(months)
    names = ["date", "m", *cols]
    arrays = [[m + "-01" for m in months], [month_label(m, lang) for m in months]]
    arrays += [v if isinstance(v, list) else [v] * n for v in cols.values()]
    return [dict(zip(names, row)) for row in zip(*arrays)]


def _div(v: list[float], k: float) -> list[float]:
    return [x / k for x in v]


def _money(v: list[float], lang: str, signed: bool = False, decimals: int = 2) -> list[str]:
    return [fmt.meur(x, lang, signed=signed, decimals=decimals) for x in v]


def _persons(v: list[float], lang: str) -> list[str]:
    return [fmt.persons(x, lang) for x in v]


def _bands(lo: list[str], hi: list[str]) -> list[str]:
    return [f"{a}…{b}" for a, b in zip(lo, hi)]


def _empty() -> Series:
    return {"month": [], "kind": [], "mean": [], "p10": [], "p90": []}


# ------------------------------------------------------------------------------------------ margin
def cumulative_margin(cum: dict, cum_base: dict | None, budget_keur: float, unit: str, year: int,
                      budget_year: int, lang: str) -> Spec:
    """Year-to-date margin with its P10–P90 fan against the budget spread evenly over the year; the budget
    year starts from the actual to the as-of month (a point there) and the forecast line continues from it.
    ``cum`` is ``ui.results.Tables.cum`` ((unit, year) → columns)."""
    d = cum.get((unit, year), _empty())
    act = [i for i, k in enumerate(d["kind"]) if k == "actual"]
    as_of = int(d["month"][act[-1]][5:7]) if act else 12  # the period's last month with actuals
    s_whatif, s_base, s_budget = (t(k, lang) for k in ("whatif", "baseline", "budget_prorata"))
    s_actual = t("actual", lang, m=as_of, year=year)
    fan = _values(d["month"], lang, p10=_div(d["p10"], 1000), p90=_div(d["p90"], 1000),
                  tip=_bands(_money(d["p10"], lang), _money(d["p90"], lang)))
    lines = _values(d["month"], lang, v=_div(d["mean"], 1000), series=s_whatif, tip=_money(d["mean"], lang))
    if cum_base is not None:
        b = cum_base.get((unit, year), _empty())
        lines += _values(b["month"], lang, v=_div(b["mean"], 1000), series=s_base, tip=_money(b["mean"], lang))
    bmonths = [f"{year}-{m:02d}" for m in range(1, 13)]
    bvals = [budget_keur * m / 12 for m in range(1, 13)]
    lines += _values(bmonths, lang, v=_div(bvals, 1000), series=s_budget, tip=_money(bvals, lang))
    shown = [s_whatif] + ([s_base] if cum_base is not None else []) + [s_budget]
    shown += [s_actual] if year == budget_year and "actual" in d["kind"] else []
    style = {s_whatif: (BLUE, SOLID), s_base: (GREY, DASHED), s_budget: (RED, DOTTED), s_actual: (BLACK, SOLID)}
    domain, colors, dashes = shown, [style[s][0] for s in shown], [style[s][1] for s in shown]
    y = _y("v", t("meur", lang))
    layers = [
        {"data": {"values": fan}, "mark": {"type": "area", "opacity": 0.22, "color": BLUE},
         "encoding": {"x": _x(lang), "y": _y("p10", t("meur", lang)), "y2": {"field": "p90"},
                      "tooltip": [_tip("m", t("month", lang)), _tip("tip", "P10–P90")]}},
        {"data": {"values": lines}, "mark": {"type": "line", "strokeWidth": 2},
         "encoding": {"x": _x(lang), "y": y, "color": _color(domain, colors),
                      "strokeDash": {"field": "series", "type": "nominal", "legend": None,
                                     "scale": {"domain": domain, "range": dashes}},
                      "tooltip": [_tip("series"), _tip("m", t("month", lang)), _tip("tip", t("meur", lang))]}},
    ]
    if year == budget_year and act:
        a = [d["mean"][i] for i in act]
        rows = _values([d["month"][i] for i in act], lang, v=_div(a, 1000), series=s_actual, tip=_money(a, lang))
        layers.append({"data": {"values": rows}, "mark": {"type": "point", "filled": True, "size": 90},
                       "encoding": {"x": _x(lang), "y": y, "color": _color(domain, colors),
                                    "tooltip": [_tip("series"), _tip("tip", t("meur", lang))]}})
    title = t("cum_title" if year == budget_year else "cum_title_later", lang, year=year, m=as_of)
    return _spec(title, lang, layers)


# ------------------------------------------------------------------------------------------ TMT
def tmt_monthly(series: dict, lang: str) -> Spec:
    """TMT booked by month: bars stacked by subsidy-day band (means), the total's P10–P90 fan and mean line.
    ``series`` is ``ui.results.Tables.series``."""
    tmt_unit = next(u for u, m in series if m == "tmt_cost_keur")  # the pack's tmt_unit
    tot = series[(tmt_unit, "tmt_cost_keur")]
    total = _values(tot["month"], lang, mean=_div(tot["mean"], 1000), p10=_div(tot["p10"], 1000),
                    p90=_div(tot["p90"], 1000), tip=_money(tot["mean"], lang),
                    band=_bands(_money(tot["p10"], lang), _money(tot["p90"], lang)))
    labels = [t(k, lang) for k in TMT_BAND_KEYS]
    bars: list[dict] = []
    for i, (band, label) in enumerate(zip(engine.TMT_BANDS, labels)):
        b = series.get((tmt_unit, f"tmt_cost_{band}_keur"))
        if b:
            bars += _values(b["month"], lang, v=_div(b["mean"], 1000), band=label, order=i, tip=_money(b["mean"], lang))
    y_title = t("meur", lang)
    layers = []
    if bars:
        layers.append({"data": {"values": bars}, "mark": {"type": "bar", "opacity": 0.9},
                       "encoding": {"x": _x(lang), "y": {**_y("v", y_title, zero=True), "stack": "zero"},
                                    "color": _color(labels, BAND_COLORS, field="band", symbol="square"),
                                    "order": {"field": "order", "type": "quantitative"},
                                    "tooltip": [_tip("band"), _tip("m", t("month", lang)), _tip("tip", y_title)]}})
    layers.append({"data": {"values": total}, "mark": {"type": "area", "opacity": 0.25, "color": ORANGE},
                   "encoding": {"x": _x(lang), "y": _y("p10", y_title, zero=True), "y2": {"field": "p90"}}})
    layers.append({"data": {"values": total}, "mark": {"type": "line", "color": ORANGE, "strokeWidth": 2},
                   "encoding": {"x": _x(lang), "y": _y("mean", y_title, zero=True),
                                "tooltip": [_tip("m", t("month", lang)), _tip("tip", t("tmt_total", lang)),
                                            _tip("band", "P10–P90")]}})
    return _spec(t("tmt_title", lang), lang, layers)


# ------------------------------------------------------------------------------------------ labour
LABOUR = ("unemployed", "long_term_unemployed")


def unemployed(series: dict, base_series: dict | None, june: dict[str, float], lang: str) -> Spec:
    """Unemployed and long-term unemployed by month with P10–P90 fans, the baseline dashed, and the report's
    June 2022 figures as points."""
    names = {m: t(m, lang).split(",")[0] for m in LABOUR}
    fan: list[dict] = []
    for m in LABOUR:
        s = series[("lahti", m)]
        fan += _values(s["month"], lang, mean=s["mean"], p10=s["p10"], p90=s["p90"], series=names[m],
                       tip=_persons(s["mean"], lang), band=_bands(_persons(s["p10"], lang), _persons(s["p90"], lang)))
    domain = list(names.values())
    y_title = t("persons", lang)
    y = _y("mean", y_title, ",.0f", zero=True)
    color = _color(domain, [BLUE, ORANGE])
    layers = [
        {"data": {"values": fan}, "mark": {"type": "area", "opacity": 0.2},
         "encoding": {"x": _x(lang), "y": _y("p10", y_title, ",.0f", zero=True), "y2": {"field": "p90"},
                      "color": color}},
        {"data": {"values": fan}, "mark": {"type": "line", "strokeWidth": 2},
         "encoding": {"x": _x(lang), "y": y, "color": color,
                      "tooltip": [_tip("series"), _tip("m", t("month", lang)), _tip("tip", y_title),
                                  _tip("band", "P10–P90")]}},
    ]
    if base_series is not None:
        base: list[dict] = []
        for m in LABOUR:
            s = base_series[("lahti", m)]
            base += _values(s["month"], lang, mean=s["mean"], series=f"{names[m]} – {t('baseline', lang)}",
                            tip=_persons(s["mean"], lang))
        layers.append({"data": {"values": base},
                       "mark": {"type": "line", "strokeDash": DASHED, "color": GREY, "strokeWidth": 1.3},
                       "encoding": {"x": _x(lang), "y": y, "detail": {"field": "series", "type": "nominal"},
                                    "tooltip": [_tip("series"), _tip("m", t("month", lang)), _tip("tip", y_title)]}})
    pts = [{"date": "2022-06-01", "mean": june[m], "label": f"{t('report_june', lang)}: {fmt.persons(june[m], lang)}"}
           for m in LABOUR]
    layers.append({"data": {"values": pts}, "mark": {"type": "point", "filled": True, "size": 90, "color": BLACK},
                   "encoding": {"x": _x(lang), "y": y, "tooltip": [_tip("label")]}})
    layers.append({"data": {"values": pts}, "mark": {"type": "text", "align": "left", "dx": 8, "dy": -9, "fontSize": 11},
                   "encoding": {"x": _x(lang), "y": y, "text": {"field": "label"}}})
    return _spec(t("labour_chart_title", lang), lang, layers)


# ------------------------------------------------------------------------------------------ waterfall
FIXED_ROWS = ("budget_margin", "forecast_margin", "total_deviation")


def waterfall_rows(dev: dict, unit: str, year: int, lang: str) -> list[dict]:
    """Bars of the year-end deviation from budget (M€): each driver from where the last ended (drivers
    under 0.5 k€ left out), then the total from zero. ``unit='etp'`` adds up the two units' drivers.
    ``dev`` is ``ui.results.Run.dev`` ((year,) → the deviations table's columns)."""
    d = dev.get((year,), {"unit": [], "driver": [], "label_fi": [], "label_en": [], "mean": []})
    sums: dict[str, list] = {}
    total = None
    for u, drv, label, mean in zip(d["unit"], d["driver"], d["label_fi" if lang == "fi" else "label_en"], d["mean"]):
        if drv == "total_deviation" and u == unit:
            total = mean
        if drv in FIXED_ROWS or (unit != "etp" and u != unit) or u == "etp":
            continue
        if drv in sums:
            sums[drv][1] += mean
        else:
            sums[drv] = [label, mean]
    rows, level = [], 0.0
    for label, mean in sums.values():
        if abs(mean) < 0.5:
            continue
        rows.append({"label": label, "start": level / 1000, "end": (level + mean) / 1000, "value": mean,
                     "kind": "up" if mean > 0 else "down"})
        level += mean
    tot = level if total is None else total
    rows.append({"label": t("total_deviation", lang), "start": 0.0, "end": tot / 1000, "value": tot, "kind": "total"})
    for i, r in enumerate(rows):
        r.update(order=i, right=max(r["start"], r["end"]), text=fmt.meur(r["value"], lang, signed=True, unit=False))
    return rows


def waterfall(dev: dict, unit: str, year: int, lang: str) -> Spec:
    """Horizontal waterfall: each driver's bar starts where the previous ended; the total from zero."""
    w = waterfall_rows(dev, unit, year, lang)
    lo = min(0.0, *(min(r["start"], r["end"]) for r in w))
    hi = max(0.0, *(r["right"] for r in w))
    domain = [lo - 0.05 * (hi - lo), hi + 0.2 * (hi - lo) + 0.1]  # room for the value labels on the right
    y = {"field": "label", "type": "nominal", "sort": {"field": "order"}, "title": None, "axis": {"labelLimit": 330}}
    x_title = t("meur", lang)
    layers = [
        {"data": {"values": w}, "mark": {"type": "bar", "height": 18},
         "encoding": {"y": y, "x": {"field": "start", "type": "quantitative", "title": x_title, "axis": {"format": ",.1f"},
                            "scale": {"domain": domain, "nice": False}},
                      "x2": {"field": "end"},
                      "color": {"field": "kind", "type": "nominal", "legend": None,
                                "scale": {"domain": ["up", "down", "total"], "range": [GREEN, RED, BLUE]}},
                      "tooltip": [_tip("label"), _tip("text", x_title)]}},
        {"data": {"values": w}, "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11},
         "encoding": {"y": y, "x": {"field": "right", "type": "quantitative"}, "text": {"field": "text"}}},
        {"data": {"values": [{"x": 0}]}, "mark": {"type": "rule", "color": GREY},
         "encoding": {"x": {"field": "x", "type": "quantitative"}}},
    ]
    return _spec(t("waterfall_title", lang, year=year), lang, layers, height=30 * len(w) + 10)


# ------------------------------------------------------------------------------------------ multi-year
def _shower(measure: str, lang: str, decimals: int = 1):
    if measure.endswith("_keur"):
        return lambda v: fmt.meur(v, lang, decimals=decimals)
    if measure.endswith("_pct"):
        return lambda v: fmt.pct(v, lang)
    return lambda v: fmt.persons(v, lang)


def _unit_title(measure: str, lang: str) -> tuple[float, str, str]:
    """(divisor, axis title, axis format) of a measure."""
    if measure.endswith("_keur"):
        return 1000.0, t("meur", lang), ",.1f"
    if measure.endswith("_pct"):
        return 1.0, "%", ",.1f"
    return 1.0, t("persons", lang), ",.0f"


def by_year(ix: dict, base_ix: dict | None, years: list[int], unit: str, measure: str, label: str, lang: str) -> Spec:
    """A year-end measure by year: mean with P10–P90 bars, the baseline and (for money) the budget.
    ``ix`` is ``ui.results.Tables.index``."""
    k, y_title, axis_fmt = _unit_title(measure, lang)
    show = _shower(measure, lang)
    s_whatif, s_base, s_budget = t("whatif", lang), t("baseline", lang), t("budget", lang)
    get = lambda i, y, m, j=0: i.get((y, unit, m), (float("nan"),) * 4)[j]  # noqa: E731
    bars = [{"year": str(y), "p10": get(ix, y, measure, 1) / k, "p90": get(ix, y, measure, 3) / k,
             "band": f"{show(get(ix, y, measure, 1))}…{show(get(ix, y, measure, 3))}"} for y in years]
    pts = [{"year": str(y), "v": get(ix, y, measure) / k, "series": s_whatif, "tip": show(get(ix, y, measure))}
           for y in years]
    if base_ix is not None:
        pts += [{"year": str(y), "v": get(base_ix, y, measure) / k, "series": s_base, "tip": show(get(base_ix, y, measure))}
                for y in years]
    if measure in ("margin_keur", "revenue_keur", "costs_keur"):
        pts += [{"year": str(y), "v": get(ix, y, "budget_" + measure) / k, "series": s_budget,
                 "tip": show(get(ix, y, "budget_" + measure))} for y in years]
    style = {s_whatif: (BLUE, SOLID), s_base: (GREY, DASHED), s_budget: (RED, DOTTED)}
    shown = [s for s in style if any(p["series"] == s for p in pts)]
    domain, colors, dashes = shown, [style[s][0] for s in shown], [style[s][1] for s in shown]
    x = {"field": "year", "type": "ordinal", "title": t("year", lang), "axis": {"labelAngle": 0}}
    layers = [
        {"data": {"values": bars}, "mark": {"type": "rule", "color": BLUE, "strokeWidth": 3, "opacity": 0.45},
         "encoding": {"x": x, "y": _y("p10", y_title, axis_fmt), "y2": {"field": "p90"},
                      "tooltip": [_tip("year", t("year", lang)), _tip("band", "P10–P90")]}},
        {"data": {"values": pts}, "mark": {"type": "line", "point": True},
         "encoding": {"x": x, "y": _y("v", y_title, axis_fmt), "color": _color(domain, colors),
                      "strokeDash": {"field": "series", "type": "nominal", "legend": None,
                                     "scale": {"domain": domain, "range": dashes}},
                      "tooltip": [_tip("series"), _tip("year", t("year", lang)), _tip("tip", y_title)]}},
    ]
    return _spec(t("years_title", lang, measure=label), lang, layers)


# ------------------------------------------------------------------------------------------ compare
def compare(series_by_name: dict[str, dict], unit: str, measure: str, label: str, lang: str) -> Spec:
    """Monthly means of one measure for several scenarios, overlaid, each with a light P10–P90 band.
    ``series_by_name`` maps a scenario's name to its ``ui.results.Tables.series``."""
    k, y_title, axis_fmt = _unit_title(measure, lang)
    show = _shower(measure, lang, decimals=2)
    rows: list[dict] = []
    for name, series in series_by_name.items():
        s = series[(unit, measure)]
        rows += _values(s["month"], lang, mean=_div(s["mean"], k), p10=_div(s["p10"], k), p90=_div(s["p90"], k),
                        series=name, tip=[show(v) for v in s["mean"]])
    names = list(series_by_name)
    color = _color(names, COMPARE_COLORS[:len(names)])
    layers = [  # data in the layers: a top-level "data" would make Streamlit convert it to Arrow (slower)
        {"data": {"values": rows}, "mark": {"type": "area", "opacity": 0.08},
         "encoding": {"x": _x(lang), "y": _y("p10", y_title, axis_fmt), "y2": {"field": "p90"},
                      "color": color}},
        {"data": {"values": rows}, "mark": {"type": "line", "strokeWidth": 2},
         "encoding": {"x": _x(lang), "y": _y("mean", y_title, axis_fmt), "color": color,
                      "tooltip": [_tip("series"), _tip("m", t("month", lang)), _tip("tip", y_title)]}},
    ]
    return _spec(label, lang, layers)
