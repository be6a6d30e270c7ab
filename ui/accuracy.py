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

MEASURES = ("unemployed", "long_term_unemployed")
GROUPS = (("1–3", 1, 3), ("4–6", 4, 6), ("7–12", 7, 12), ("1–12", 1, 12))  # horizon groups, months ahead
NOMINAL_PCT = 80.0
TEXT = {
    "measure": ("Mittari", "Measure"),
    "unemployed": ("Työttömät", "Unemployed"),
    "long_term_unemployed": ("Pitkäaikaistyöttömät", "Long-term unemployed"),
    "spinner": ("Lasketaan takautuvaa testiä: malli kalibroidaan jokaisena lähtökuukautena (noin 1–2 min, vain ensimmäisellä "
                "avauskerralla palvelimen käynnistyksen jälkeen)…",
                "Running the back-test: the model is calibrated at every origin (about 1–2 min, once per server)…"),
    "intro": ("Miten mallin aiemmat ennusteet osuivat: jokaisesta lähtökuukaudesta malli on kalibroitu vain sitä "
              "edeltäneillä TEM-luvuilla ja ennustettu 1–12 kk eteenpäin. Pisteet: mediaani (P50), pystyviiva: "
              "P10–P90-väli; musta viiva: toteutunut.",
              "How the model's past forecasts fared: at each origin it was calibrated only on the TEM figures up to "
              "it and forecast 1–12 months ahead. Points: the median (P50), bars: the P10–P90 band; black: what "
              "happened."),
    "chart_title": ("{measure}: ennusteet lähtökuukausittain ja toteuma, henkilöä",
                    "{measure}: forecasts by origin and the actuals, persons"),
    "origin": ("Lähtökuukausi", "Origin"),
    "month": ("Kuukausi", "Month"),
    "actual": ("Toteuma", "Actual"),
    "horizon": ("Ennustehorisontti, kk", "Horizon, months"),
    "coverage": ("P10–P90 osui, %", "Inside P10–P90, %"),
    "n": ("Ennusteita", "Forecasts"),
    "mape_model": ("Mallin virhe (MAPE), %", "Model error (MAPE), %"),
    "mape_persistence": ("Ennallaan-ennusteen virhe, %", "Persistence error, %"),
    "mape_ets": ("ETS-ennusteen virhe, %", "ETS error, %"),
    "table_head": ("**Osumat ja virheet ennustehorisontin mukaan** (nimellinen osuma 80 %)",
                   "**Coverage and errors by horizon** (nominal coverage 80 %)"),
    "trust_ok": ("Mallin P10–P90-väliin osui {cov} % toteutuneista ({n} ennustetta, tavoite 80 %): väliin voi "
                 "luottaa suunnilleen nimellisesti – noin neljä kertaa viidestä toteuma on jäänyt sen sisään.",
                 "{cov} % of the actuals fell inside the model's P10–P90 ({n} forecasts, nominal 80 %): the band can "
                 "be trusted about at face value — about four times in five the outcome has been inside it."),
    "trust_narrow": ("Mallin P10–P90-väliin osui vain {cov} % toteutuneista ({n} ennustetta, tavoite 80 %): väli on "
                     "liian kapea, ja todellinen epävarmuus on sitä suurempi.",
                     "Only {cov} % of the actuals fell inside the model's P10–P90 ({n} forecasts, nominal 80 %): "
                     "the band is too narrow; the real uncertainty is larger."),
    "trust_wide": ("Mallin P10–P90-väliin osui {cov} % toteutuneista ({n} ennustetta, tavoite 80 %): väli on "
                   "varovaisen leveä, ja toteuma on osunut sen sisään useammin kuin nimellisesti.",
                   "{cov} % of the actuals fell inside the model's P10–P90 ({n} forecasts, nominal 80 %): the band "
                   "is cautiously wide; outcomes fell inside it more often than nominal."),
    "small_n": ("Aineisto on pieni (julkaistut TEM-kuukausiluvut 12/2019–6/2022), joten osuma-%:t ovat "
                "suuntaa antavia.",
                "The data are few (the published monthly TEM figures 12/2019–6/2022): the coverage figures are "
                "indicative."),
}


def tx(key: str, lang: str, **kw) -> str:
    return TEXT[key][0 if lang == "fi" else 1].format(**kw)


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
    return tx(key, lang, cov=fmt.number(cov, lang, 0), n=n)


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
        rows[label] = {tx("n", lang): str(n), tx("coverage", lang): show(cov, 0),
                       tx("mape_model", lang): show(_mape(fc, "model", lo, hi)),
                       tx("mape_persistence", lang): show(_mape(fc, "persistence", lo, hi)),
                       tx("mape_ets", lang): show(_mape(fc, "ets", lo, hi))}
    out = pd.DataFrame(rows).T
    out.index.name = tx("horizon", lang)
    return out


def chart_spec(fc: pd.DataFrame, measure: str, lang: str) -> dict:
    """Vega-Lite: each origin's P50 (points) and P10–P90 (bars) by target month, and the actuals (black line)."""
    model = fc[fc.method == "model"]
    data = [{"origin": r.origin, "month": f"{r.target_month}-15", "p10": float(r.p10), "p50": float(r.p50),
             "p90": float(r.p90)} for r in model.itertuples()]
    actual = model.drop_duplicates("target_month").sort_values("target_month")
    acts = [{"month": f"{m}-15", "actual": float(a)} for m, a in zip(actual.target_month, actual.actual)]
    x = {"field": "month", "type": "temporal", "title": tx("month", lang)}
    colour = {"field": "origin", "type": "nominal", "title": tx("origin", lang)}
    y_title = tx(measure, lang)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": tx("chart_title", lang, measure=tx(measure, lang)), "width": "container", "height": 320,
        "layer": [
            {"data": {"values": data}, "mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.5},
             "encoding": {"x": x, "y": {"field": "p10", "type": "quantitative", "title": y_title,
                                        "scale": {"zero": False}},
                          "y2": {"field": "p90"}, "color": colour, "xOffset": {"field": "origin"}}},
            {"data": {"values": data}, "mark": {"type": "point", "filled": True, "size": 40},
             "encoding": {"x": x, "y": {"field": "p50", "type": "quantitative"}, "color": colour,
                          "xOffset": {"field": "origin"},
                          "tooltip": [{"field": "origin", "title": tx("origin", lang)},
                                      {"field": "month", "type": "temporal", "format": "%m/%Y"},
                                      {"field": "p10", "format": ",.0f"}, {"field": "p50", "format": ",.0f"},
                                      {"field": "p90", "format": ",.0f"}]}},
            {"data": {"values": acts}, "mark": {"type": "line", "color": "black", "point": {"color": "black"}},
             "encoding": {"x": x, "y": {"field": "actual", "type": "quantitative"},
                          "tooltip": [{"field": "month", "type": "temporal", "format": "%m/%Y"},
                                      {"field": "actual", "title": tx("actual", lang), "format": ",.0f"}]}},
        ],
    }


def render(lang: str) -> None:
    """The tab's content (called inside the open tab)."""
    st.markdown(tx("intro", lang))
    with st.spinner(tx("spinner", lang)):
        bt = _run()
    measure = st.radio(tx("measure", lang), MEASURES, format_func=lambda m: tx(m, lang), horizontal=True,
                       key="accuracy_measure")
    fc = bt.forecasts[bt.forecasts.target == measure]
    cov, n = coverage(fc[fc.method == "model"])
    st.info(trust_sentence(cov, n, lang) + (" " + tx("small_n", lang) if np.isfinite(cov) else ""))
    st.vega_lite_chart(spec=chart_spec(fc, measure, lang), height=430)
    st.markdown(tx("table_head", lang))
    st.table(table(fc, lang))
