"""ETP-ennuste, the what-if page: ``streamlit run serve.py`` (warmed before its first visitor;
``streamlit run app.py`` serves it cold).

A thin layer over the engine's public API (``engine.load_scenario``, ``engine.scenario_from_dict``,
``engine.simulate`` and the Result tables). The controls → scenario mapping, the number formats, the
KPI cards and the charts live in ``ui/``; this file only lays out the page and keeps its state:

* the settings live in ``st.session_state`` (one key per control, named as in ``ui.whatif.Controls``)
  and are mirrored into the URL's query parameters at the end of every run, so a link reopens the
  same what-if; a new session reads them back (untrusted: validated, problems shown with st.error);
* engine runs are cached on the resolved scenario (``Scenario.fingerprint()``, paths, seed), so moving
  a slider back, or the baseline for comparison, costs nothing. The cache keeps the run itself
  (``st.cache_resource``, not ``st.cache_data``): its tables are built the first time a view asks for
  them, so a slider change pays for one simulation and the open view's tables only;
* the tabs are lazy (``on_change="rerun"``): only the open tab's charts are built.
"""
from __future__ import annotations

import io
import threading
import zipfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

import engine
from ui import accuracy, charts, decide, fmt, kpi, period, results, whatif
from ui.text import LANGS, plain, t

st.set_page_config(page_title="ETP-ennuste: entä jos?", page_icon="📈", layout="wide")

FILES = whatif.scenario_files()
MAX_PINS = 4


# ------------------------------------------------------------------------------------------ cached engine calls
@st.cache_resource(show_spinner=False)
def baseline_data() -> engine.Baseline:
    return engine.load_baseline()


@st.cache_resource(show_spinner=False)
def uploaded_periods() -> dict[str, engine.Baseline]:
    """Period packs uploaded to this server, by key (ui.period.key_of): a share link can name one."""
    return {}


def baseline_for(key: str) -> engine.Baseline:
    return uploaded_periods().get(key) or baseline_data()


def current_baseline() -> engine.Baseline:
    return baseline_for(st.session_state.get("period", period.BUNDLED))


@st.cache_resource(show_spinner=False)
def base_scenario(base: str) -> engine.Scenario:
    return engine.load_scenario(FILES[base])


def control_space() -> engine.controls.ControlSpace:
    """The controls' domains for the chosen reporting period (its as-of month and budget year)."""
    return _control_space(st.session_state.get("period", period.BUNDLED))


@st.cache_resource(show_spinner=False)
def _control_space(period_key: str) -> engine.controls.ControlSpace:
    return engine.controls.ControlSpace.for_baseline(baseline_for(period_key),
                                                     base_scenario("baseline").settings.horizon_end)


@st.cache_resource(show_spinner=False)
def warm_engine() -> threading.Thread:
    """Once per server: a 2-path run in the background loads (after an install: compiles) the month
    kernel while the first page draws its controls."""
    warm = threading.Thread(target=engine.simulate, args=(baseline_data(), base_scenario(next(iter(FILES))), 2),
                            daemon=True)
    warm.start()
    return warm


warm_engine()


@st.cache_resource(show_spinner=False)
def base_names() -> dict[str, str]:
    return {stem: f"{base_scenario(stem).name} ({stem}.toml)" for stem in FILES}


@st.cache_data(show_spinner=False, max_entries=32)
def base_doc(base: str) -> dict:
    return base_scenario(base).to_document()


def baseline_whatif() -> engine.Scenario:
    """baseline.toml built the way a what-if is: an unchanged what-if on it shares its cached run."""
    return _baseline_whatif(st.session_state.get("period", period.BUNDLED))


@st.cache_resource(show_spinner=False)
def _baseline_whatif(period_key: str) -> engine.Scenario:
    return whatif.build(base_doc("baseline"), base_defaults("baseline"), base_defaults("baseline"), control_space(),
                        id="baseline", label="baseline")


def base_defaults(base: str) -> whatif.Controls:
    """The controls' values that reproduce the base file, in the chosen period's control space."""
    return _base_defaults(base, st.session_state.get("period", period.BUNDLED))


@st.cache_data(show_spinner=False, max_entries=32)
def _base_defaults(base: str, period_key: str) -> whatif.Controls:
    return whatif.defaults(base_doc(base), base, control_space(), params=base_scenario(base).parameters())


@st.cache_resource(show_spinner=False, max_entries=24)
def cached_run(fingerprint: str, draws: int, seed: int, period_key: str, _scenario: engine.Scenario) -> results.Run:
    """One engine run, keyed on what shapes its numbers (the scenario object itself is not hashed)."""
    return results.run(baseline_for(period_key), _scenario, draws, seed)


def chart(spec: dict) -> None:
    st.vega_lite_chart(spec=spec, height=spec["height"] + 110)  # the plot plus its title, axis and legend


REPORT_MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html",
               "md": "application/zip"}


def report_bytes(run_: results.Run, kind: str, lang: str) -> bytes:
    """The written report of this run (``engine.report_files``, the CLI's ``ennuste report``), made on
    click; Markdown and its chart images as one ZIP."""
    files = engine.report_files(run_.result, kind, lang, stem="whatif_raportti")
    if kind != "md":
        return next(iter(files.values()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def run(scenario: engine.Scenario, draws: int, seed: int) -> results.Run:
    key = st.session_state.get("period", period.BUNDLED)
    if key != period.BUNDLED and key not in calibrated():  # a new pack's first run fits the model (once, ~1 min)
        with st.spinner(t("period_calibrating", st.session_state.get("lang", "fi"))):
            out = cached_run(scenario.fingerprint(), int(draws), int(seed), key, scenario)
        calibrated().add(key)
        return out
    return cached_run(scenario.fingerprint(), int(draws), int(seed), key, scenario)


@st.cache_resource(show_spinner=False)
def calibrated() -> set[str]:
    """Uploaded packs whose calibration is done (engine.simulate caches the fit by content hash)."""
    return set()


def years_of(base: str) -> tuple[int, ...]:
    end = int(base_scenario(base).settings.horizon_end[:4])
    return tuple(range(current_baseline().budget_year, end + 1))


# ------------------------------------------------------------------------------------------ state
def controls_now() -> whatif.Controls:
    return whatif.Controls(**{k: st.session_state[k] for k in whatif.CONTROL_NAMES})


def set_controls(c: whatif.Controls) -> None:
    for k, v in c.as_dict().items():
        st.session_state[k] = v


def reset_to_base() -> None:
    """The base file changed (or reset pressed): every scenario control to the file's values."""
    c = controls_now()
    set_controls(replace(base_defaults(c.base), draws=c.draws, seed=c.seed))


def page_query(c: whatif.Controls, lang: str, year: int) -> dict[str, str]:
    """The URL's query: the what-if, the view and, for an uploaded pack, its key."""
    key = st.session_state.get("period", period.BUNDLED)
    return whatif.to_query(c, lang, year) | ({} if key == period.BUNDLED else {"period": key})


def take_upload() -> None:
    """A pack uploaded: checked by the engine; the page follows it, or lists its problems."""
    b, problems = period.load_upload(st.session_state.get("period_files") or [])
    st.session_state.period_errors = problems
    if b is not None:
        key = period.key_of(b)
        uploaded_periods()[key] = b
        st.session_state.period = key
        reset_to_base()  # the controls' defaults follow the period (e.g. the activation rate at its as-of month)


def init_state() -> None:
    query = st.query_params.to_dict()
    wanted = query.pop("period", period.BUNDLED)
    st.session_state.period = wanted if wanted in uploaded_periods() else period.BUNDLED
    c, errors = whatif.from_query(query, FILES, load_doc=base_doc, defaults_for=lambda b, _doc: base_defaults(b),
                                  space=control_space())
    lang, year, view_errors = whatif.view_from_query(query, years_of(c.base))
    set_controls(c)
    if st.session_state.period != wanted:  # a link to a pack this server has not seen (or no longer keeps)
        errors.append(f"period {wanted!r} is not on this server; upload its pack again")
    st.session_state.update(lang=lang, year=year, url_errors=errors + view_errors, pins={}, pin_msg="",
                            period_errors=[])
    st.session_state["_init"] = True


TABS = ("tab_finance", "tab_tmt", "tab_labour", "tab_years", "tab_compare", "tab_sens", "tab_goal", "tab_export",
        "tab_accuracy")


FORMATTED = ("base", "tmt_rules", "estimator", "fin_unit", "years_measure", "compare_measure", "sens_kpi", "goal_kpi",
             "goal_control", "goal_bound")  # format_func widgets


def switch_language() -> None:
    """Keep the open tab when the language changes (the tabs' state is their label), and hand every
    widget whose options are shown through ``format_func`` its value again, so the browser redraws it
    in the new language instead of keeping the old label."""
    new = st.session_state.lang
    old = next(code for code in LANGS if code != new)
    view = st.session_state.get("view")
    for key in TABS:
        if view == t(key, old):
            st.session_state.view = t(key, new)
    for key in FORMATTED:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def pin_current() -> None:
    pins: dict = st.session_state.pins
    lang = st.session_state.lang
    name = (st.session_state.get("pin_name") or "").strip() or t("pin_default", lang, n=len(pins) + 1)
    if name == t("current", lang):  # the comparison's first column is the current settings
        name += " (2)"
    if name not in pins and len(pins) >= MAX_PINS:
        st.session_state.pin_msg = t("pin_full", lang, n=MAX_PINS)
        return
    pins[name] = controls_now().as_dict()
    st.session_state.pin_msg = ""
    st.session_state.pin_name = ""


def unpin(name: str) -> None:
    st.session_state.pins.pop(name, None)
    st.session_state.pin_msg = ""


if "_init" not in st.session_state:
    init_state()

# ------------------------------------------------------------------------------------------ sidebar
with st.sidebar:
    st.radio(t("lang", "fi"), LANGS, key="lang", horizontal=True, on_change=switch_language,
             format_func=lambda code: {"fi": "Suomi", "en": "English"}[code])
    lang = st.session_state.lang
    st.header(t("sidebar_title", lang))
    st.selectbox(t("period", lang), [period.BUNDLED, *uploaded_periods()], key="period", help=t("period_help", lang),
                 format_func=lambda k: period.label(baseline_for(k), lang), on_change=reset_to_base)
    with st.expander(t("period_upload", lang)):
        st.file_uploader(t("period_files", lang), type=["xlsx", "csv"], accept_multiple_files=True,
                         key="period_files", on_change=take_upload, help=t("period_files_help", lang))
    for problem in st.session_state.get("period_errors", []):
        st.error(problem)
    st.selectbox(t("base", lang), list(FILES), key="base", on_change=reset_to_base, help=t("base_help", lang),
                 format_func=base_names().get)
    d = base_defaults(st.session_state.base)

    def slider(name: str, fmt_: str | None = None) -> None:
        dom = control_space().domain(name, d)
        num = float if dom.kind == "float" else int
        st.slider(t(name, lang), min_value=num(dom.lo), max_value=num(dom.hi), step=num(dom.step), key=name,
                  help=t(name + "_help", lang), format=fmt_)

    st.subheader(t("grp_fazer", lang))
    slider("fazer_jobs")
    st.select_slider(t("fazer_start", lang), options=control_space().domain("fazer_start", d).options, key="fazer_start",
                     help=t("fazer_start_help", lang))
    slider("fazer_local", "%d %%")
    st.subheader(t("grp_people", lang))
    slider("refugees")
    slider("activation", "%.1f %%")
    slider("downturn", "+%d %%")
    st.radio(t("tmt_rules", lang), control_space().domains["tmt_rules"].options, key="tmt_rules", help=t("tmt_rules_help", lang),
             format_func=lambda r: t("rules_" + r, lang), horizontal=True)
    slider("eco_delay")
    st.subheader(t("grp_run", lang))
    st.selectbox(t("estimator", lang), control_space().domains["estimator"].options, key="estimator", help=t("estimator_help", lang),
                 format_func=lambda e: t("est_" + e, lang))
    dd, ds = control_space().domains["draws"], control_space().domains["seed"]
    st.number_input(t("draws", lang), min_value=int(dd.lo), max_value=int(dd.hi), step=100, key="draws",
                    help=t("draws_help", lang))
    st.number_input(t("seed", lang), min_value=int(ds.lo), max_value=int(ds.hi), step=1, key="seed",
                    help=t("seed_help", lang))
    st.button(t("reset", lang), on_click=reset_to_base, width="stretch")

# ------------------------------------------------------------------------------------------ scenario and runs
c = controls_now()
doc = base_doc(c.base)
changes = whatif.changed(c, d)
bname = base_scenario(c.base).name
for msg in st.session_state.url_errors:
    st.error(t("url_error", lang, msg=plain(msg)))
try:
    scenario = whatif.build(doc, c, d, control_space(), id="whatif", label="what-if",
                            name=t("whatif_name", lang, name=bname) if changes else bname)
except engine.UserError as exc:  # the sliders stay within the engine's ranges; this is a guard, not a path
    st.error(t("build_error", lang, msg=plain(str(exc))))
    c = replace(d, draws=c.draws, seed=c.seed)
    scenario = whatif.build(doc, c, d, control_space(), id="whatif", label="what-if", name=bname)
    changes = []
B = current_baseline()
tables = run(scenario, c.draws, c.seed)
base_tables = run(baseline_whatif(), c.draws, c.seed) if "baseline" in FILES else tables
years = years_of(c.base)
if st.session_state.year not in years:
    st.session_state.year = years[0]

# ------------------------------------------------------------------------------------------ header and KPIs
st.title(t("title", lang))
st.caption(t("subtitle", lang, draws=fmt.persons(c.draws, lang), period=period.label(B, lang)))
names = ", ".join(t(n, lang).split(" (")[0] for n in changes)
st.markdown(f"**{scenario.name}** — " + (t("changed", lang, names=names) if changes else t("unchanged", lang)))

top = st.columns([1, 5])
year = top[0].selectbox(t("year", lang), years, key="year", help=t("year_help", lang))
st.subheader(t("sec_kpi", lang, year=year))


sections = kpi.cards(B, tables.index, tables.dev, base_tables.index, year, lang)
titles = {u: B.unit_name(u, lang) for u in B.units + ("etp",)} | {"lahti": t("labour_title", lang)}
st.html(kpi.cards_html(sections, titles))

# ------------------------------------------------------------------------------------------ tabs (lazy)
tab_fin, tab_tmt, tab_lab, tab_years, tab_cmp, tab_sens, tab_goal, tab_exp, tab_acc = st.tabs([t(k, lang) for k in TABS], key="view",
                                                                 on_change="rerun")
unit_names = {u: B.unit_name(u, lang) for u in ("etp",) + B.units}
YEAR_MEASURES = {  # (unit, measure) shown in the multi-year view and the comparison
    **{f"{u}.margin_keur": (u, "margin_keur") for u in unit_names},
    f"{B.tmt_unit}.tmt_cost_keur": (B.tmt_unit, "tmt_cost_keur"),
    "lahti.unemployed": ("lahti", "unemployed"), "lahti.long_term_unemployed": ("lahti", "long_term_unemployed"),
    "lahti.unemployment_rate_pct": ("lahti", "unemployment_rate_pct"),
}


def measure_label(key: str) -> str:
    unit, measure = YEAR_MEASURES[key]
    if measure == "margin_keur":
        return f"{t('margin_keur', lang)}, {unit_names[unit]}"
    return t(measure, lang)


def row_label(key: str) -> str:
    measure = YEAR_MEASURES[key][1]
    suffix = t("meur", lang) if measure.endswith("_keur") else ("%" if measure.endswith("_pct") else t("persons", lang))
    return f"{measure_label(key)}, {suffix}"


def cell(ix: kpi.Index, yr: int, unit: str, measure: str, band: bool = True) -> str:
    m, lo, hi = (kpi.value(ix, yr, unit, measure, s) for s in ("mean", "p10", "p90"))
    if measure.endswith("_keur"):
        show = lambda v: fmt.meur(v, lang, unit=False)  # noqa: E731
    elif measure.endswith("_pct"):
        show = lambda v: fmt.number(v, lang, 1)  # noqa: E731
    else:
        show = lambda v: fmt.persons(v, lang)  # noqa: E731
    return f"{show(m)} ({fmt.band(show(lo), show(hi))})" if band else show(m)


if tab_fin.open:
    with tab_fin:
        unit = st.radio(t("unit_select", lang), list(unit_names), format_func=unit_names.get, horizontal=True,
                        key="fin_unit")
        budget = kpi.value(tables.index, year, unit, "budget_margin_keur")
        left, right = st.columns(2)
        with left:
            chart(charts.cumulative_margin(tables.cum, base_tables.cum if changes else None,
                                                             budget, unit, year, B.budget_year, lang))
        with right:
            chart(charts.waterfall(tables.dev, unit, year, lang))

if tab_tmt.open:
    with tab_tmt:
        chart(charts.tmt_monthly(tables.series, lang))

if tab_lab.open:
    with tab_lab:
        june = {"unemployed": B.labour.unemployed, "long_term_unemployed": B.labour.long_term_unemployed}
        chart(charts.unemployed(tables.series, base_tables.series if changes else None, june, lang))

if tab_years.open:
    with tab_years:
        key = st.selectbox(t("years_measure", lang), list(YEAR_MEASURES), format_func=measure_label,
                           key="years_measure")
        chart(charts.by_year(tables.index, base_tables.index if changes else None, list(years),
                                               *YEAR_MEASURES[key], measure_label(key), lang))
        st.markdown(f"**{t('years_table', lang)}**")
        st.table(pd.DataFrame({str(y): [cell(tables.index, y, *YEAR_MEASURES[k], band=False) for k in YEAR_MEASURES]
                               for y in years}, index=[row_label(k) for k in YEAR_MEASURES]))

if tab_cmp.open:
    with tab_cmp:
        cols = st.columns([3, 2])
        cols[0].text_input(t("pin_name", lang), key="pin_name", max_chars=40)
        cols[1].button(t("pin", lang), on_click=pin_current, width="stretch")
        if st.session_state.pin_msg:
            st.warning(st.session_state.pin_msg)
        pins: dict = st.session_state.pins
        if not pins:
            st.info(t("pin_none", lang))
        else:
            for col, name in zip(st.columns(MAX_PINS), list(pins)):
                col.button(t("pin_remove", lang, name=name), key=f"unpin_{name}", on_click=unpin, args=(name,))
            compared = {t("current", lang): tables}
            for name, saved in pins.items():
                pc = whatif.Controls(**saved)
                scen = whatif.build(base_doc(pc.base), pc, base_defaults(pc.base), control_space(), id="pinned",
                                    label=name)
                compared[name] = run(scen, pc.draws, pc.seed)
            st.markdown(f"**{t('compare_table', lang, year=year)}**")
            st.table(pd.DataFrame({name: [cell(r.index, year, *YEAR_MEASURES[k]) for k in YEAR_MEASURES]
                                   for name, r in compared.items()}, index=[row_label(k) for k in YEAR_MEASURES]))
            monthly_keys = ["lahti.unemployed", "lahti.long_term_unemployed", "lahti.unemployment_rate_pct",
                            f"{B.tmt_unit}.tmt_cost_keur"]
            mkey = st.selectbox(t("compare_measure", lang), monthly_keys, format_func=measure_label,
                                key="compare_measure")
            chart(charts.compare({n: r.series for n, r in compared.items()}, *YEAR_MEASURES[mkey],
                                                   measure_label(mkey), lang))


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_tornado(fingerprint: str, unit: str, measure: str, yr: int, draws: int, seed: int, title: str,
                   _scenario: engine.Scenario):
    return decide.tornado(current_baseline(), _scenario, unit, measure, yr, draws, seed, title)


if tab_sens.open:
    with tab_sens:
        st.markdown(t("sens_intro", lang))
        key = st.selectbox(t("sens_kpi", lang), list(YEAR_MEASURES), format_func=measure_label, key="sens_kpi")
        with st.spinner(t("sens_wait", lang)):
            table, _, spec = cached_tornado(scenario.fingerprint(), *YEAR_MEASURES[key], year, c.draws, c.seed,
                                            t("sens_title", lang, kpi=measure_label(key), year=year), scenario)
        if (table.swing > 0).any():
            chart(spec)
            st.table(pd.DataFrame(decide.table_rows(table, lang)))
        else:
            st.info(t("sens_none", lang))


def set_slider(name: str, value) -> None:
    st.session_state[name] = value


if tab_goal.open:
    with tab_goal:
        st.markdown(t("goal_intro", lang))
        cols = st.columns(2)
        gname = cols[0].selectbox(t("goal_control", lang), decide.GOAL_CONTROLS, format_func=lambda n: t(n, lang),
                                  key="goal_control")
        gkey = cols[1].selectbox(t("sens_kpi", lang), list(YEAR_MEASURES), format_func=measure_label, key="goal_kpi")
        cols = st.columns(3)
        bound = cols[0].radio(t("goal_bound", lang), ("at_most", "at_least"), format_func=lambda b: t("goal_" + b, lang),
                              key="goal_bound", horizontal=True)
        level = cols[1].number_input(t("goal_level", lang), value=float(round(
            kpi.value(tables.index, year, *YEAR_MEASURES[gkey], "mean"))), key="goal_level")
        prob = cols[2].slider(t("goal_prob", lang), 0.5, 0.95, 0.8, 0.05, key="goal_prob")
        if st.button(t("goal_run", lang), key="goal_run"):
            with st.spinner(t("goal_wait", lang)):
                st.session_state.goal = (gkey, decide.solve(B, control_space(), doc, c, d, gname, *YEAR_MEASURES[gkey], year, bound, level,
                                                            prob))
        if st.session_state.get("goal") is not None:
            asked, goal = st.session_state.goal
            st.markdown(decide.goal_text(goal, t(goal.name, lang), measure_label(asked), lang))
            if goal.slider is not None:
                st.button(t("goal_set", lang, value=fmt.number(goal.slider, lang, 1)), key="goal_set",
                          on_click=set_slider, args=(goal.name, goal.slider))

if tab_exp.open:
    with tab_exp:
        cols = st.columns(4)
        for col, name in zip(cols, ("year_end", "monthly", "deviations")):
            col.download_button(t("dl_" + name, lang),
                                lambda name=name: tables.tables("whatif")[name].to_csv(index=False, float_format="%.6g"),
                                file_name=f"whatif_{name}.csv", mime="text/csv", key=f"dl_{name}")
        toml_text = period.header(B) + scenario.to_toml()
        cols[3].download_button(t("dl_toml", lang), toml_text, file_name="whatif.toml", mime="application/toml",
                                key="dl_toml")
        st.markdown(t("report_head", lang))
        rcols = st.columns(3)
        for col, kind in zip(rcols, ("xlsx", "html", "md")):
            col.download_button(t("dl_report_" + kind, lang), lambda kind=kind: report_bytes(tables, kind, lang),
                                file_name=f"whatif_raportti.{'zip' if kind == 'md' else kind}",
                                mime=REPORT_MIME[kind], key=f"dl_report_{kind}")
        st.markdown(t("reproduce", lang))
        on_pack = "" if st.session_state.period == period.BUNDLED else f" --period {Path(B.file).name}"
        st.code(f"ennuste run{on_pack} whatif.toml --draws {c.draws} --seed {c.seed} --out out", language="sh")
        with st.expander(t("toml_show", lang)):
            st.code(toml_text, language="toml")
        st.markdown(t("share", lang))
        url = getattr(st.context, "url", None)
        st.code((url.split("?")[0] if url else "") + "?" + urlencode(page_query(c, lang, year)), language=None,
                wrap_lines=True)

if tab_acc.open:
    with tab_acc:
        accuracy.render(lang)

st.query_params.from_dict(page_query(c, lang, year))
