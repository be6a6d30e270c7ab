"""The what-if app (issue 5): the pure helpers in ui/ and the page itself through Streamlit's AppTest.

Figures asserted come from the report (DOMAIN.md, "Finance, Jan–Jun 2022" and "The report's year-end
forecast") or from the engine run the page shows; directions come from what a driver means (more jobs
at Fazer → fewer unemployed).
"""
from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import engine
from engine.commands.cli import main as cli_main
from ui import charts, fmt, kpi, results, whatif

from .conftest import ROOT, SCENARIOS

APP = str(ROOT / "app.py")
THIN, NBSP, MINUS = "\u202f", "\u00a0", "\u2212"


# ------------------------------------------------------------------------------------------ helpers
# the bundled period's controls (as-of 2022-06, budget year 2022; Fazer may start 2023-01…baseline.toml's horizon)
SPACE = whatif.ControlSpace.for_baseline(engine.load_baseline(),
                                         engine.load_scenario(SCENARIOS / "baseline.toml").settings.horizon_end)


def base(stem: str = "baseline") -> tuple[dict, whatif.Controls]:
    doc = engine.load_scenario(SCENARIOS / f"{stem}.toml").to_document()
    return doc, whatif.defaults(doc, stem, SPACE)


def year_end(scenario: engine.Scenario, draws: int = 40, seed: int = 3) -> pd.DataFrame:
    return engine.simulate(engine.load_baseline(), scenario, draws=draws, seed=seed).year_end()


def mean(df: pd.DataFrame, year: int, unit: str, measure: str) -> float:
    sel = df[(df.year == year) & (df.unit == unit) & (df.measure == measure)]
    assert len(sel) == 1, (year, unit, measure)
    return float(sel["mean"].iloc[0])


def number(text: str) -> float:
    """'−7,7 milj. €' / '7 848' / '14,1 %' → float (Finnish format back to a number)."""
    for junk in ("milj.", "€", "%", "M€", NBSP, THIN, " "):
        text = text.replace(junk, "")
    return float(text.replace(MINUS, "-").replace(",", "."))


def run_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query or {})
    at.run()
    assert not at.exception, at.exception
    return at


class _Cards(HTMLParser):
    """The KPI cards of the page's HTML block: (unit, measure) -> {lbl, val, ref, dlt, sub} texts."""

    def __init__(self):
        super().__init__()
        self.cards: dict[tuple[str, str], dict[str, str]] = {}
        self.key = self.part = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if "etp-kpi" in cls:
            self.key = (a["data-unit"], a["data-measure"])
            self.cards[self.key] = {}
        elif self.key and cls and cls[0] in ("lbl", "val", "ref", "dlt", "sub"):
            self.part = cls[0]

    def handle_endtag(self, tag):
        self.part = None if self.part != "ref" else "val"

    def handle_data(self, data):
        if self.key and self.part:
            card = self.cards[self.key]
            card[self.part] = card.get(self.part, "") + data


def cards(at: AppTest) -> dict[tuple[str, str], dict[str, str]]:
    (block,) = [h for h in at.get("html") if "etp-kpi" in h.proto.body]
    parser = _Cards()
    parser.feed(block.proto.body)
    assert len(parser.cards) == 13, list(parser.cards)
    return parser.cards


def kpi_value(at: AppTest, unit: str, measure: str) -> str:
    return cards(at)[(unit, measure)]["val"]


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["view"] = label  # the lazy tabs' state is the open tab's label
    at.run()
    assert not at.exception, at.exception
    return at


# ------------------------------------------------------------------------------------------ ui.fmt
def test_finnish_and_english_number_formats():
    # the report writes "1,9 milj. euroa" and "7 848": decimal comma, thin space between thousands, true minus
    assert fmt.meur(1900, "fi") == f"1,9{NBSP}milj.{NBSP}€"
    assert fmt.meur(-7652, "fi") == f"{MINUS}7,7{NBSP}milj.{NBSP}€"
    assert fmt.meur(800, "fi", signed=True).startswith("+0,8")
    assert fmt.meur(-7652, "en") == f"{MINUS}7.7{NBSP}M€"
    assert fmt.persons(7848, "fi") == f"7{THIN}848" and fmt.persons(7848, "en") == "7,848"
    assert fmt.persons(1234567, "fi") == f"1{THIN}234{THIN}567"
    assert fmt.pct(14.1, "fi") == f"14,1{NBSP}%" and fmt.pct(14.1, "en") == "14.1%"
    assert fmt.persons(0.3, "fi", signed=True) == "±0"  # no "+0" or "−0" for no change


def test_ui_doctests():
    import doctest

    for module in (engine.fmt, whatif, charts):  # ui.fmt re-exports engine.fmt (engine/common/fmt.py)
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0, module.__name__


# ------------------------------------------------------------------------------------------ ui.whatif mapping
@pytest.mark.parametrize("stem", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_controls_at_the_files_values_reproduce_the_file(stem):
    # the app's starting point must be the scenario file itself, number for number
    doc, d = base(stem)
    assert whatif.apply(doc, d, d, SPACE) == {k: v for k, v in doc.items() if k != "extends"}
    ours = year_end(whatif.build(doc, d, d, SPACE))
    theirs = year_end(engine.load_scenario(SCENARIOS / f"{stem}.toml"))
    pd.testing.assert_frame_equal(ours.drop(columns="scenario"), theirs.drop(columns="scenario"))


def test_file_defaults_read_from_the_scenario_files():
    assert base("baseline")[1].fazer_jobs == 0 and base("baseline")[1].activation == 24.2  # report 6/2022
    fazer = base("fazer")[1]
    assert (fazer.fazer_jobs, fazer.fazer_start) == (400, "2027-12")  # fazer.toml's production ramp
    assert base("fazer_2022_plan")[1].fazer_jobs == 900  # "about 900 jobs" (DOMAIN.md)
    assert base("refugees")[1].refugees == 10 * 100 + 12 * 40 + 12 * 20  # refugees.toml's periods
    assert base("activation")[1].activation == 30.0
    assert base("downturn")[1].downturn == 25
    assert base("te24_reform")[1].tmt_rules == "te24"
    assert base("ecosystem_delay")[1].eco_delay == 1


def test_fazer_controls_scale_production_and_shift_both_phases():
    doc, d = base("baseline")
    out = whatif.apply(doc, replace(d, fazer_jobs=800, fazer_start="2026-06"), d, SPACE)
    jobs = whatif.shocks_of(out, "jobs")
    assert set(jobs) == {"fazer_construction", "fazer_production"}  # fazer.toml's two phases
    prod, cons = jobs["fazer_production"]["jobs"], jobs["fazer_construction"]["jobs"]
    assert prod[0]["month"] == "2026-06" and prod[-1]["persons"] == 800
    assert cons[0]["month"] == "2023-12"  # 2025-06 moved 18 months earlier, like production
    assert isinstance(jobs["fazer_production"]["local_share"], dict)  # the file's range kept if untouched
    out = whatif.apply(doc, replace(d, fazer_jobs=800, fazer_local=90), d, SPACE)
    assert {s["local_share"] for s in whatif.shocks_of(out, "jobs").values()} == {0.9}
    fdoc, fd = base("fazer")
    assert whatif.shocks_of(whatif.apply(fdoc, replace(fd, fazer_jobs=0), fd, SPACE), "jobs") == {}


def test_refugee_total_scales_the_arrival_periods():
    doc, d = base("baseline")
    out = whatif.apply(doc, replace(d, refugees=860), d, SPACE)
    (shock,) = whatif.shocks_of(out, "arrivals").values()
    total = sum(p["persons_per_month"] * (whatif.month_diff(p["end"], p["start"]) + 1) for p in shock["arrivals"])
    assert total == pytest.approx(860)  # half of refugees.toml's 1 720
    rdoc, rd = base("refugees")
    assert whatif.shocks_of(whatif.apply(rdoc, replace(rd, refugees=0), rd, SPACE), "arrivals") == {}


def test_downturn_activation_rules_delay_and_estimator_map_to_the_document():
    doc, d = base("baseline")
    c = replace(d, downturn=100, activation=30.0, tmt_rules="te24", eco_delay=2, estimator="blend")
    out = whatif.apply(doc, c, d, SPACE)
    (down,) = whatif.shocks_of(out, "downturn").values()
    assert down["inflow_increase_pct"]["mode"] == pytest.approx(100)  # downturn.toml's 25 scaled × 4
    assert down["vacancy_drop_pct"]["high"] <= 95  # kept inside the engine's 0…100 %
    assert whatif.shocks_of(out, "activation")["whatif_activation"]["target_pct"] == 30.0
    assert out["parameters"]["tmt.rule_set"] == [{"from": "2025-01", "value": "te24"}]
    changes = out["shocks"]["ecosystem_delay"]["changes"]
    assert sorted({ch["year"] for ch in changes if ch["amount_keur"] < 0}) == [2023, 2024]
    assert {ch["year"] for ch in changes if ch["amount_keur"] > 0} == {2025}  # caught up the year after
    assert out["settings"]["estimator"] == "blend"
    whatif.build(doc, c, d, SPACE)  # and the engine accepts it
    tdoc, td = base("te24_reform")
    assert "tmt.rule_set" not in whatif.apply(tdoc, replace(td, tmt_rules="r2006"), td, SPACE).get("parameters", {})


def test_query_parameters_round_trip():
    doc, d = base("fazer")
    c = replace(d, fazer_jobs=650, fazer_start="2026-03", activation=27.5, tmt_rules="te24", draws=120, seed=9)
    back, errors = whatif.from_query(whatif.to_query(c), whatif.scenario_files(),
                                     load_doc=lambda b: base(b)[0], defaults_for=lambda b, _doc: base(b)[1], space=SPACE)
    assert errors == [] and back == c


@pytest.mark.parametrize("query,field,words", [
    ({"fazer_jobs": "lots"}, "fazer_jobs", "is not a whole number"),
    ({"activation": "nan"}, "activation", "is not a number; allowed: 0…80"),
    ({"activation": "1e999"}, "activation", "not a finite number"),
    ({"base": "../../etc/passwd"}, "base", "is not a scenario file"),
    ({"activation": "95"}, "activation", "outside the app's range; allowed: 0…80"),
    ({"fazer_jobs": "999999"}, "fazer_jobs", "outside the app's range"),
    ({"draws": "0"}, "draws", "outside the app's range"),
    ({"fazer_start": "2099-13"}, "fazer_start", "2099-13"),
    # break-it review (issue 9): these raised an uncaught ValueError in month arithmetic; the page did not render
    ({"base": "fazer", "fazer_start": "x"}, "fazer_start", "a month YYYY-MM within 2023-01…2028-12"),
    ({"base": "fazer", "fazer_start": "abcd-ef"}, "fazer_start", "'abcd-ef'"),
    ({"base": "fazer", "fazer_start": ""}, "fazer_start", "outside the app's range"),
    ({"base": "fazer", "fazer_start": "2O25-01"}, "fazer_start", "'2O25-01'"),
    # a 13-digit seed was "not a whole number": it is one, outside the range, which the message gives
    ({"seed": "1099511627776"}, "seed", "outside the app's range; allowed: 0…2147483647"),
    # only ASCII digits: int() alone takes '1_000' and Arabic-Indic digits
    ({"draws": "1_000"}, "draws", "is not a whole number; allowed: 1…10000"),
    ({"draws": "\u0661\u0660"}, "draws", "is not a whole number"),
    ({"activation": "1_0"}, "activation", "is not a number"),
    ({"seed": "9" * 5000}, "seed", "…"),  # echoed cut, not in full
])
def test_untrusted_query_parameters_give_one_line_messages(query, field, words):
    c, errors = whatif.from_query(query, whatif.scenario_files(), load_doc=lambda b: base(b)[0],
                                  defaults_for=lambda b, _doc: base(b)[1], space=SPACE)
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith("URL") and field in errors[0] and words in errors[0], errors[0]
    used = query["base"] if query.get("base") in whatif.scenario_files() else "baseline"
    assert c == base(used)[1]  # the file's values are used instead


def test_url_values_are_echoed_cut_to_one_short_line():
    c, errors = whatif.from_query({"base": "x" * 100_000}, whatif.scenario_files(), load_doc=lambda b: base(b)[0],
                                  defaults_for=lambda b, _doc: base(b)[1], space=SPACE)
    assert len(errors) == 1 and len(errors[0]) < 300, len(errors[0])  # the value is echoed as 40 characters


def test_url_values_on_the_page_are_text_not_markdown():
    """A link in a URL value (base=[Click here to log in](https://evil.example/login)) must show as typed:
    st.error renders markdown, so every markdown character of the message is escaped."""
    evil = "[Click here to log in](https://evil.example/login)"
    at = run_app({"base": evil})
    assert len(at.error) == 1
    shown = at.error[0].value
    assert "](" not in shown and "\\[Click here to log in\\]\\(https\\:\\/\\/evil" in shown, shown
    cards(at)  # the page renders with the baseline


# ------------------------------------------------------------------------------------------ ui.kpi, ui.charts
@pytest.fixture(scope="module")
def baseline_run():
    return results.run(engine.load_baseline(), engine.load_scenario(SCENARIOS / "baseline.toml"), 60, 1)


@pytest.fixture(scope="module")
def central_run():
    # the report's figures are the central path's (60 paths' mean moves with the ledger's own uncertainty)
    return results.run(engine.load_baseline(), engine.load_scenario(SCENARIOS / "baseline.toml"), 1, 0)


def test_kpi_cards_show_the_reports_year_end_figures(central_run):
    r = central_run
    sections = kpi.cards(engine.load_baseline(), r.index, r.dev, r.index, 2022, "fi")
    el = {k.measure: k for k in sections["elinvoima"]}
    # report: elinvoima revenue 1.9 M€, costs 9.6 M€; 2021 closing margin −6 026 k€
    assert el["revenue_keur"].value == f"1,9{NBSP}milj.{NBSP}€" and el["costs_keur"].value == f"9,6{NBSP}milj.{NBSP}€"
    assert el["margin_keur"].value.startswith(f"{MINUS}7,7") and el["margin_keur"].reference == f"(2021: {MINUS}6,0)"
    # against the budget: margin −8 626 → −7 652 is +1,0 M€ better; the baseline against itself is ±0
    assert el["margin_keur"].vs_budget.startswith("talousarvioon +1,0") and el["margin_keur"].vs_base.startswith("±0,0")
    tmt = sections["lahti"][0]
    assert tmt.measure == "tmt_cost_keur" and tmt.reference == "(2021: 20,5)"  # TMT 2021 20.5 M€
    assert tmt.vs_budget.startswith("määrärahaan +5,")  # above its appropriation, "suurin yksittäinen erä"
    # sitovuustaso: elinvoima is above its budget (0 % below); työllisyys −4,3 M€ under it needs an amendment
    assert el["margin_keur"].vs_budget.endswith(f"alle talousarvion 0{NBSP}%")
    ty = {k.measure: k for k in sections["tyollisyys"]}
    assert ty["margin_keur"].vs_budget.endswith(f"alle talousarvion 100{NBSP}% · talousarviomuutos tarpeen")
    unemployed = next(k for k in sections["lahti"] if k.measure == "unemployed")
    assert unemployed.reference == f"(6/2022: 7{THIN}848)"


def test_waterfall_drivers_add_up_to_the_deviation(baseline_run, central_run):
    rows = charts.waterfall_rows(central_run.dev, "elinvoima", 2022, "fi")
    *drivers, total = rows
    # the report's drivers: +0,8 compensation, −0,6 and +0,7 ecosystem, +0,329 sales booked, −0,255 other grants
    # → +0,974 M€ vs budget
    assert total["value"] == pytest.approx(974, abs=1)
    assert sum(r["value"] for r in drivers) == pytest.approx(total["value"], abs=1)
    assert drivers[0]["start"] == 0 and all(a["end"] == pytest.approx(b["start"]) for a, b in zip(drivers, drivers[1:]))
    json.dumps(charts.waterfall(baseline_run.dev, "etp", 2022, "en"))  # a plain, serialisable spec


def test_cumulative_margin_runs_from_the_h1_actual_to_the_year_end(baseline_run):
    col = baseline_run.cum[("elinvoima", 2022)]
    assert (col["month"][0], col["kind"][0], col["mean"][0]) == ("2022-06", "actual", -2508.0)  # 931 − 3 439
    assert col["month"][-1] == "2022-12"
    assert col["mean"][-1] == pytest.approx(kpi.value(baseline_run.index, 2022, "elinvoima", "margin_keur"))
    later = baseline_run.cum[("etp", 2024)]
    assert later["month"][0] == "2024-01" and "actual" not in later["kind"]
    assert later["mean"][-1] == pytest.approx(kpi.value(baseline_run.index, 2024, "etp", "margin_keur"))


# ------------------------------------------------------------------------------------------ the page (AppTest)
def test_app_loads_with_the_baseline_and_the_reports_figures():
    # the central path (draws=1) is the report's method exactly; a 100-path mean carries the ledger's own
    # uncertainty (elinvoima costs: sd of the mean ≈ 20 % × 6 113 / √100 ≈ 0,12 M€), so it may round elsewhere
    at = run_app({"draws": "1"})
    assert not at.error
    kpis = cards(at)
    margin = kpis[("elinvoima", "margin_keur")]
    # "TOIMINTAKATE ENNUSTE … milj. euroa (2021: …)": the report's −7,7 (1,9 − 9,6) and its 2021 closing −6,0
    assert margin["lbl"] == "Toimintakate, ennuste 2022" and margin["val"] == f"{MINUS}7,7{NBSP}milj.{NBSP}€"
    assert margin["ref"] == f"(2021: {MINUS}6,0)" and margin["dlt"] == f"±0,0{NBSP}milj.{NBSP}€ perusuraan"
    assert margin["sub"].startswith("P10–P90 ") and f"talousarvioon +1,0{NBSP}milj.{NBSP}€" in margin["sub"]
    assert kpis[("elinvoima", "revenue_keur")]["val"] == f"1,9{NBSP}milj.{NBSP}€"
    assert kpis[("lahti", "unemployed")]["ref"] == f"(6/2022: 7{THIN}848)"
    assert kpis[("tyollisyys", "tmt_cost_keur")]["val"].endswith(f"milj.{NBSP}€")
    charts_ = at.get("vega_lite_chart")
    assert len(charts_) == 2  # the open tab: cumulative margin and the waterfall
    spec = json.loads(charts_[0].proto.spec)
    assert "Toimintakate kertymä 2022" in spec["title"]["text"] and spec["config"]["locale"]["number"]["decimal"] == ","


def test_more_fazer_jobs_mean_fewer_unemployed_in_2028():
    at = run_app({"year": "2028"})
    assert cards(at)[("lahti", "unemployed")]["lbl"] == "Työttömät, joulukuu 2028"
    before = number(kpi_value(at, "lahti", "unemployed"))
    at.slider(key="fazer_jobs").set_value(1000).run()
    after = cards(at)[("lahti", "unemployed")]
    # 1 000 direct jobs plus indirect ones, about half filled from Lahti's unemployed: several hundred fewer
    assert before - number(after["val"]) > 200, (before, after["val"])
    assert after["dlt"].startswith(f"▼ {MINUS}")  # below the baseline, shown against it (good news)
    lt = number(kpi_value(at, "lahti", "long_term_unemployed"))
    at.slider(key="downturn").set_value(50).run()
    assert number(kpi_value(at, "lahti", "long_term_unemployed")) > lt + 500  # a downturn ages spells


def test_higher_activation_lowers_the_tmt():
    at = run_app({"year": "2024"})
    before = number(kpi_value(at, "tyollisyys", "tmt_cost_keur"))
    at.slider(key="activation").set_value(35.0).run()
    # days in services are neither billed nor counted towards 300/1 000 days
    assert number(kpi_value(at, "tyollisyys", "tmt_cost_keur")) < before - 1.0  # M€


def test_every_control_at_its_min_and_max_runs():
    at = run_app()
    for slider in list(at.slider) + list(at.select_slider):
        key = slider.key
        options = getattr(slider, "options", None)
        ends = (options[0], options[-1]) if options else (slider.min, slider.max)
        for value in ends:
            at.get(slider.type)[[s.key for s in at.get(slider.type)].index(key)].set_value(value).run()
            assert not at.exception and not at.error, (key, value, at.exception, [e.value for e in at.error])
            cards(at)  # all 13 cards
    for key, ends in (("draws", (1, 10000)), ("seed", (0, 2**31 - 1))):
        for value in ends:
            at.number_input(key=key).set_value(value).run()
            assert not at.exception and not at.error, (key, value)


def test_exported_toml_reproduces_the_numbers_through_the_cli(tmp_path):
    at = run_app({"draws": "60", "seed": "7"})
    at.slider(key="fazer_jobs").set_value(900)
    at.slider(key="activation").set_value(28.0)
    at.slider(key="downturn").set_value(40)
    at.slider(key="eco_delay").set_value(1)
    at.radio(key="tmt_rules").set_value("te24")
    at.selectbox(key="estimator").set_value("blend")
    at.run()
    shown = cards(at)
    open_tab(at, "Vie ja jaa")
    toml_text = next(c.value for c in at.code if c.language == "toml")
    assert "extends" not in toml_text
    assert "ennuste run whatif.toml --draws 60 --seed 7" in next(c.value for c in at.code if c.language == "sh")
    path = tmp_path / "whatif.toml"
    path.write_text(toml_text, encoding="utf-8")
    out = tmp_path / "out"
    assert cli_main(["run", str(path), "--draws", "60", "--seed", "7", "--out", str(out), "--quiet"]) == 0
    cli = pd.read_csv(out / "year_end.csv")
    c = whatif.Controls(**{k: at.session_state[k] for k in whatif.CONTROL_NAMES})
    doc, d = base("baseline")
    app_run = results.run(engine.load_baseline(), whatif.build(doc, c, d, SPACE), c.draws, c.seed).year_end
    # the page's figures are the CLI's, rounded as shown: the CSV keeps 6 significant digits, which
    # cannot decide the rounding of a mean like 7 551.4987 (CSV 7551.5), so a card may differ from the
    # CSV's rounding by its last digit but equals the unrounded run's exactly
    for (unit, measure), card in shown.items():
        show = fmt.persons if measure in ("unemployed", "long_term_unemployed") else (
            fmt.pct if measure.endswith("_pct") else fmt.meur)
        assert card["val"] == show(mean(app_run, 2022, unit, measure), "fi"), (unit, measure)
        assert mean(app_run, 2022, unit, measure) == pytest.approx(mean(cli, 2022, unit, measure), rel=1e-5)
    # and every year-end figure equals the app's own run of the same settings (CSV keeps 6 digits)
    merged = app_run.merge(cli, on=["year", "unit", "measure"], suffixes=("_app", "_cli"))
    assert len(merged) == len(app_run) == len(cli)
    for stat in ("mean", "p10", "p90"):
        pd.testing.assert_series_equal(merged[f"{stat}_app"], merged[f"{stat}_cli"], check_names=False,
                                       rtol=1e-5, atol=1e-6)
    assert mean(cli, 2028, "lahti", "unemployed") != mean(year_end(engine.load_scenario(SCENARIOS / "baseline.toml"),
                                                                   60, 7), 2028, "lahti", "unemployed")


def test_query_parameters_restore_the_settings():
    query = {"base": "fazer", "fazer_jobs": "600", "activation": "28.5", "tmt_rules": "te24", "draws": "50",
             "seed": "3", "lang": "en", "year": "2026"}
    at = run_app(query)
    assert not at.error
    assert at.selectbox(key="base").value == "fazer" and at.slider(key="fazer_jobs").value == 600
    assert at.slider(key="activation").value == 28.5 and at.radio(key="tmt_rules").value == "te24"
    assert at.number_input(key="draws").value == 50 and at.number_input(key="seed").value == 3
    assert at.radio(key="lang").value == "en" and cards(at)[("etp", "margin_keur")]["lbl"] == "Margin, forecast 2026"
    # the same what-if as building it directly: the page shows the same unemployed in 2026
    doc, d = base("fazer")
    c = replace(d, fazer_jobs=600, activation=28.5, tmt_rules="te24", draws=50, seed=3)
    direct = results.run(engine.load_baseline(), whatif.build(doc, c, d, SPACE), 50, 3)
    assert kpi_value(at, "lahti", "unemployed") == fmt.persons(kpi.value(direct.index, 2026, "lahti", "unemployed"), "en")
    # and the URL follows the controls
    at.slider(key="fazer_jobs").set_value(700).run()
    assert at.query_params["fazer_jobs"] == "700" and at.query_params["base"] == "fazer"


@pytest.mark.parametrize("query,words", [
    ({"fazer_jobs": "lots"}, "fazer_jobs"),
    ({"activation": "95"}, "activation"),
    ({"year": "1999"}, "year"),
    ({"lang": "sv"}, "lang"),
    ({"fazer_start": "x"}, "fazer_start"),  # raised an uncaught ValueError before (issue 9)
])
def test_a_malformed_query_parameter_shows_a_message(query, words):
    at = run_app(query)
    shown = at.error[0].value.replace("\\", "")  # the message is escaped markdown
    assert len(at.error) == 1 and words in shown and "URL" in shown
    cards(at)  # the page still works, with the file's values
    assert at.slider(key="fazer_jobs").value == 0 and at.slider(key="activation").value == 24.2


def test_english_switch_changes_words_and_number_format():
    at = run_app({"draws": "1"})  # the central path: the report's −7,7 exactly (see the test above)
    at.radio(key="lang").set_value("en").run()
    margin = cards(at)[("elinvoima", "margin_keur")]
    assert margin["lbl"] == "Margin, forecast 2022" and margin["val"] == f"{MINUS}7.7{NBSP}M€"
    assert at.slider(key="fazer_jobs").label == "Fazer production jobs (persons)"
    assert "unit: persons" in at.slider(key="fazer_jobs").help


def test_every_control_has_a_help_text_with_its_unit():
    at = run_app()
    widgets = list(at.slider) + list(at.select_slider) + list(at.number_input) + [at.radio(key="tmt_rules"),
                                                                                 at.selectbox(key="estimator")]
    for w in widgets:
        assert "yksikkö:" in w.help, (w.key, w.help)


def test_changing_the_starting_file_resets_the_controls_to_its_values():
    at = run_app()
    at.slider(key="activation").set_value(40.0).run()
    at.selectbox(key="base").set_value("fazer").run()
    assert at.slider(key="fazer_jobs").value == 400 and at.slider(key="activation").value == 24.2


def test_pinned_scenarios_are_compared_side_by_side():
    at = run_app({"year": "2028"})
    open_tab(at, "Vertailu")
    at.text_input(key="pin_name").input("Fazer 1000")
    at.slider(key="fazer_jobs").set_value(1000)
    at.button[[b.label for b in at.button].index("Kiinnitä nykyiset asetukset")].click().run()
    at.slider(key="fazer_jobs").set_value(0)
    at.slider(key="downturn").set_value(60)
    at.text_input(key="pin_name").input("Taantuma")
    at.button[[b.label for b in at.button].index("Kiinnitä nykyiset asetukset")].click().run()
    table = at.table[0].value
    assert list(table.columns) == ["Nykyinen", "Fazer 1000", "Taantuma"]
    row = next(i for i in table.index if i.startswith("Työttömät"))
    fazer, down = number(table.loc[row, "Fazer 1000"].split(" (")[0]), number(table.loc[row, "Taantuma"].split(" (")[0])
    assert fazer < down  # jobs against a downturn
    assert len(at.get("vega_lite_chart")) == 1  # the overlaid chart
    for name in ("C", "D", "E"):
        at.text_input(key="pin_name").input(name)
        at.button[[b.label for b in at.button].index("Kiinnitä nykyiset asetukset")].click().run()
    assert len(at.table[0].value.columns) == 5 and at.warning  # four pinned at most, with a message


def test_export_tab_downloads_the_written_report(monkeypatch):
    """The export tab's report buttons hand over engine.report_files' bytes for the page's own run: the
    workbook's Toimintakate of Työllisyyspalvelut (k€, whole) is the card's figure (M€, one decimal, so
    ±0.05 M€), the HTML holds its three charts, the ZIP the Markdown and its three PNGs. The buttons'
    data are made on click (deferred callables): the test records them as Streamlit registers them."""
    import io
    import zipfile

    from openpyxl import load_workbook
    from streamlit.runtime.media_file_manager import MediaFileManager

    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    at = open_tab(run_app({"draws": "40", "seed": "2"}), "Vie ja jaa")
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Lataa raportti (Excel)", "Lataa raportti (HTML)", "Lataa raportti (Markdown + kuvat, ZIP)"} <= set(labels)
    card = number(cards(at)[("tyollisyys", "margin_keur")]["val"])
    ws = load_workbook(io.BytesIO(made["whatif_raportti.xlsx"]()))["Taulukko"]
    row = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "Työllisyyspalvelut" and r[1].value == "Toimintakate")
    assert row[5].value / 1000 == pytest.approx(card, abs=0.05)
    page = made["whatif_raportti.html"]().decode("utf-8")
    assert page.count('src="data:image/png;base64,') == 3
    with zipfile.ZipFile(io.BytesIO(made["whatif_raportti.zip"]())) as z:
        assert sorted(z.namelist()) == ["whatif_raportti-deviation.png", "whatif_raportti-labour.png",
                                        "whatif_raportti-tmt.png", "whatif_raportti.md"]


def test_accuracy_tab_shows_past_forecasts_against_the_actuals(monkeypatch):
    """Ennustetarkkuus (issue 12 §3): for the chosen measure, the back-test's forecasts (one origin here,
    2022-04, 64 paths, to keep the page test short: the full back-test is tests/test_backtest.py's) against
    the actuals, the band's coverage in the sentence (the share of actuals inside P10–P90, counted here
    from engine.backtest's own forecasts) and the table's n (TEM: 7 433 in 5/2022 and 7 848 in 6/2022 for
    the unemployed; 3 850 and 3 848 for the long-term: 2 forecasts each)."""
    import numpy as np

    from ui import accuracy

    real = engine.backtest
    monkeypatch.setattr(engine, "backtest", lambda b: real(b, paths=64, at=[np.datetime64("2022-04")]))
    accuracy._run.clear()
    try:
        at = open_tab(run_app(), "Ennustetarkkuus")
        fc = engine.backtest(engine.load_baseline()).forecasts
        for measure, n in (("unemployed", 2), ("long_term_unemployed", 2)):
            if measure != "unemployed":
                at.radio(key="accuracy_measure").set_value(measure).run()
                assert not at.exception, at.exception
            model = fc[(fc.target == measure) & (fc.method == "model")]
            assert len(model) == n
            cov = 100 * ((model.p10 <= model.actual) & (model.actual <= model.p90)).mean()
            (info,) = at.info
            assert f"{cov:.0f} %" in info.value and f"({n} ennustetta" in info.value
            assert ("liian kapea" in info.value) == (cov < 70) and "P10–P90" in info.value
            table = at.table[0].value
            assert table.loc["1–12", "Ennusteita"] == str(n)
            assert len(at.get("vega_lite_chart")) == 1
    finally:
        accuracy._run.clear()


def test_the_page_needs_no_magic():
    # .streamlit/config.toml turns Streamlit's "magic" off (a bare value on its own line written to the
    # page): rewriting the script cost ~20 ms of every AppTest rerun. Off is right only while the page
    # writes with explicit st.* calls: no statement of app.py or serve.py may be a bare value, a docstring aside.
    import ast
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
    for name in ("app.py", "serve.py"):
        tree = ast.parse((ROOT / name).read_text(encoding="utf-8"))
        docstrings = {id(n.body[0]) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        bare = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Expr) and id(n) not in docstrings
                and not isinstance(n.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))]
        assert not bare, f"{name}: bare values at lines {bare} would need Streamlit's magic; write them with st.write"
