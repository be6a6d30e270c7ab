"""The "Ennustetarkkuus" (forecast accuracy) tab: how the labour model's past forecasts fared (issue 12 §3).

For the chosen measure (työttömät / pitkäaikaistyöttömät), each back-test origin's forecast (P50 with its
P10–P90) against what happened, the share of actuals inside the band by horizon, and one sentence on how
far to trust a P10–P90. The numbers are ``engine.backtest``'s: the model calibrated at each origin only on
the history up to it.

The back-test (8 calibrations, ~1–2 min) runs once per server, lazily, the first time the tab is opened
(``st.cache_resource``, with a spinner): a bundled CSV would go stale with every change of the model or
its parameters and needs the same 1–2 min run in a test to prove it current; computed here it always shows
the running model's figures, and costs nothing to those who never open the tab.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import engine
from ui import fmt
from ui.text import t

MEASURES = ("unemployed", "long_term_unemployed")
GROUPS = (("1–3", 1, 3), ("4–6", 4, 6), ("7–12", 7, 12), ("1–12", 1, 12))  # horizon groups, months ahead
NOMINAL_PCT = 80.0


@st.cache_resource(show_spinner=False)
def _run() -> engine.BacktestRun:
    return engine.backtest(engine.load_baseline())


def coverage(fc: pd.DataFrame, lo: int = 1, hi: int = 12) -> tuple[float, int]:
    """(% of actuals inside the model's P10–P90, n) over the horizons ``lo``…``hi`` months of ``fc``
    (one target's model rows of ``engine.backtest(...).forecasts``)."""
    sel = fc[(fc.horizon_months >= lo) & (fc.horizon_months <= hi)]
    if sel.empty:
        return float("nan"), 0
    inside = (sel.p10 <= sel.actual) & (sel.actual <= sel.p90)
    return 100.0 * float(inside.mean()), len(sel)


def trust_sentence(cov: float, n: int, lang: str) -> str:
    """One sentence on how far to trust a P10–P90 from its back-test coverage (nominal 80 %): within
    70–90 % about at face value; below too narrow; above cautiously wide."""
    key = "trust_narrow" if cov < 70.0 else ("trust_wide" if cov > 90.0 else "trust_ok")
    return t("acc_" + key, lang, cov=fmt.number(cov, lang, 0), n=n)


def _mape(fc: pd.DataFrame, method: str, lo: int, hi: int) -> float:
    sel = fc[(fc.method == method) & (fc.horizon_months >= lo) & (fc.horizon_months <= hi)]
    return float((100.0 * (sel.p50 - sel.actual).abs() / sel.actual).mean()) if len(sel) else float("nan")


def table(fc: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Coverage and MAPE by horizon group for one target (all methods' rows of ``fc``)."""
    model = fc[fc.method == "model"]
    show = lambda v, d=1: "–" if v != v else fmt.number(v, lang, d)  # noqa: E731
    rows = {}
    for label, lo, hi in GROUPS:
        cov, n = coverage(model, lo, hi)
        rows[label] = {t("acc_n", lang): str(n), t("acc_coverage", lang): show(cov, 0),
                       t("acc_mape_model", lang): show(_mape(fc, "model", lo, hi)),
                       t("acc_mape_persistence", lang): show(_mape(fc, "persistence", lo, hi)),
                       t("acc_mape_ets", lang): show(_mape(fc, "ets", lo, hi))}
    out = pd.DataFrame(rows).T
    out.index.name = t("acc_horizon", lang)
    return out


def chart_spec(fc: pd.DataFrame, measure: str, lang: str) -> dict:
    """Vega-Lite: each origin's P50 (points) and P10–P90 (bars) by target month, and the actuals (black line)."""
    model = fc[fc.method == "model"]
    data = [{"origin": r.origin, "month": f"{r.target_month}-15", "p10": float(r.p10), "p50": float(r.p50),
             "p90": float(r.p90)} for r in model.itertuples()]
    actual = model.drop_duplicates("target_month").sort_values("target_month")
    acts = [{"month": f"{m}-15", "actual": float(a)} for m, a in zip(actual.target_month, actual.actual)]
    x = {"field": "month", "type": "temporal", "title": t("acc_month", lang)}
    colour = {"field": "origin", "type": "nominal", "title": t("acc_origin", lang)}
    y_title = t("acc_" + measure, lang)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": t("acc_chart_title", lang, measure=t("acc_" + measure, lang)), "width": "container", "height": 320,
        "layer": [
            {"data": {"values": data}, "mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.5},
             "encoding": {"x": x, "y": {"field": "p10", "type": "quantitative", "title": y_title,
                                        "scale": {"zero": False}},
                          "y2": {"field": "p90"}, "color": colour, "xOffset": {"field": "origin"}}},
            {"data": {"values": data}, "mark": {"type": "point", "filled": True, "size": 40},
             "encoding": {"x": x, "y": {"field": "p50", "type": "quantitative"}, "color": colour,
                          "xOffset": {"field": "origin"},
                          "tooltip": [{"field": "origin", "title": t("acc_origin", lang)},
                                      {"field": "month", "type": "temporal", "format": "%m/%Y"},
                                      {"field": "p10", "format": ",.0f"}, {"field": "p50", "format": ",.0f"},
                                      {"field": "p90", "format": ",.0f"}]}},
            {"data": {"values": acts}, "mark": {"type": "line", "color": "black", "point": {"color": "black"}},
             "encoding": {"x": x, "y": {"field": "actual", "type": "quantitative"},
                          "tooltip": [{"field": "month", "type": "temporal", "format": "%m/%Y"},
                                      {"field": "actual", "title": t("acc_actual", lang), "format": ",.0f"}]}},
        ],
    }


def render(lang: str) -> None:
    """The tab's content (called inside the open tab)."""
    st.markdown(t("acc_intro", lang))
    with st.spinner(t("acc_spinner", lang)):
        bt = _run()
    measure = st.radio(t("acc_measure", lang), MEASURES, format_func=lambda m: t("acc_" + m, lang), horizontal=True,
                       key="accuracy_measure")
    fc = bt.forecasts[bt.forecasts.target == measure]
    cov, n = coverage(fc[fc.method == "model"])
    st.info(trust_sentence(cov, n, lang) + (" " + t("acc_small_n", lang) if np.isfinite(cov) else ""))
    st.vega_lite_chart(spec=chart_spec(fc, measure, lang), height=430)
    st.markdown(t("acc_table_head", lang))
    st.table(table(fc, lang))
