"""``ennuste report`` (issue 15 item 3): the monitoring report's forecast section written as a workbook,
a web page or Markdown.

Expected values come from the same run's ``year_end.csv`` / ``deviations.csv`` (``ennuste run`` with
the same seed and draws, so bit-for-bit the same paths), and the budget and actual columns from the
report itself (Seurantaraportti tammi–kesäkuu 2022, Talouden toteuman seuranta, Taso4 tables).
"""
from __future__ import annotations

import base64
import re
import zlib

import pandas as pd
import pytest
from openpyxl import load_workbook

import engine
from engine.commands.cli import main
from engine.results import report as report_mod

from .conftest import SCENARIOS

NBSP, THIN, MINUS = "\u00a0", "\u202f", "\u2212"
DRAWS, SEED = "200", "5"
BASE = str(SCENARIOS / "baseline.toml")


def _num(text: str) -> float:
    """'−4,3' / '7 554' (Finnish) or '−4.3' / '7,554' (English, with en=True handled by the caller) → float."""
    return float(text.replace(NBSP, "").replace(THIN, "").replace(" ", "").replace(MINUS, "-").replace(",", "."))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """One `ennuste run --out` and the report in each format and language, all with the same seed and draws."""
    d = tmp_path_factory.mktemp("report")
    assert main(["run", BASE, "--draws", DRAWS, "--seed", SEED, "--out", str(d / "run"), "--quiet"]) == 0
    for name, lang in (("r.xlsx", "fi"), ("r.html", "fi"), ("r.md", "fi"), ("en.md", "en")):
        assert main(["report", BASE, "--draws", DRAWS, "--seed", SEED, "--lang", lang, "--out", str(d / name)]) == 0
    ye = pd.read_csv(d / "run" / "year_end.csv")
    dev = pd.read_csv(d / "run" / "deviations.csv")
    return d, ye.set_index(["year", "unit", "measure"])["mean"], dev.set_index(["year", "unit", "driver"])["mean"]


def test_workbook_figures_are_the_runs_year_end_numbers(written):
    """The report-layout sheet: Ennuste is the run's mean rounded to whole k€ (±0.5 k€), costs negative;
    Poikkeama = Ennuste − TA (±1 k€: two roundings); TA and Toteuma are the report's own (exact). Every
    figure is a number with a number format, not text."""
    d, ye, _ = written
    wb = load_workbook(d / "r.xlsx")
    assert wb.properties.creator == "etp-ennuste"
    ws = wb["Taulukko"]
    heads = [c.value for c in ws[2]]
    assert heads[:4] == ["Yksikkö", "Erä", "TA 2022", "Toteuma 1–6"]
    rows = {}
    unit_of = {"Elinvoimapalvelut": "elinvoima", "Työllisyyspalvelut": "tyollisyys",
               "Elinvoima- ja työllisyyspalvelut": "etp"}
    for r in ws.iter_rows(min_row=3):
        rows[(unit_of[r[0].value], r[1].value)] = {h: c for h, c in zip(heads, r)}
    for unit in ("elinvoima", "tyollisyys", "etp"):
        for label, measure, sign in (("Toimintatuotot", "revenue_keur", 1), ("Toimintakulut", "costs_keur", -1),
                                     ("Toimintakate", "margin_keur", 1)):
            cells = rows[(unit, label)]
            for h in ("TA 2022", "Toteuma 1–6", "Ennuste", "Poikkeama"):
                assert cells[h].data_type == "n" and isinstance(cells[h].value, (int, float)), (unit, label, h)
                assert cells[h].number_format == "#,##0"
            assert cells["Toteuma-%"].number_format == "0.0"
            assert cells["Ennuste"].value == pytest.approx(sign * ye[(2022, unit, measure)], abs=0.5)
            budget = sign * ye[(2022, unit, "budget_" + measure)]
            assert cells["Poikkeama"].value == pytest.approx(sign * ye[(2022, unit, measure)] - budget, abs=1.0)
    # the report's Taso4 table: Elinvoimapalvelut TOIMINTATUOTOT 1 626 / 931, TOIMINTAKULUT −10 252 / −3 439
    assert rows[("elinvoima", "Toimintatuotot")]["TA 2022"].value == 1626
    assert rows[("elinvoima", "Toimintatuotot")]["Toteuma 1–6"].value == 931
    assert rows[("elinvoima", "Toimintakulut")]["TA 2022"].value == -10252
    assert rows[("tyollisyys", "Avustukset")]["Toteuma 1–6"].value == -8512


def test_workbook_kpis_tmt_and_labour_sheets(written):
    """KPI values are stored unrounded in M€ (shown with one decimal): equal to the run's mean / 1000
    within 0.0005 M€ (0.5 k€, the CSV's 6 significant digits); the TMT sheet in k€ (±0.5 k€) and its
    over-appropriation is minus the deviations' tmt_over_appropriation driver; the labour sheet in
    persons (±0.5) and % (±0.005 points) with the report's June 2022 actual (7 848 unemployed)."""
    d, ye, dev = written
    wb = load_workbook(d / "r.xlsx")
    ws = wb["Ennuste"]
    kpi = {(r[0].value, r[1].value): r for r in ws.iter_rows() if isinstance(r[2].value, (int, float))}
    margin = kpi[("Työllisyyspalvelut", "Toimintakate 2022 (milj. €)")]
    assert margin[2].value == pytest.approx(ye[(2022, "tyollisyys", "margin_keur")] / 1000, abs=5e-4)
    assert margin[2].number_format == "0.0"
    assert margin[5].value == pytest.approx((ye[(2022, "tyollisyys", "margin_keur")]
                                             - ye[(2022, "tyollisyys", "budget_margin_keur")]) / 1000, abs=5e-4)
    tmt = kpi[("Työllisyys", "Työmarkkinatuen kuntaosuus 2022 (milj. €)")]
    assert tmt[2].value == pytest.approx(ye[(2022, "tyollisyys", "tmt_cost_keur")] / 1000, abs=5e-4)
    unemployed = kpi[("Työllisyys", "Työttömät 12/2022 (henkilöä)")]
    assert unemployed[2].value == pytest.approx(ye[(2022, "lahti", "unemployed")], abs=0.5)

    ws = wb["TMT"]
    heads = [c.value for c in ws[2]]
    for r in ws.iter_rows(min_row=3):
        year = r[0].value
        row = dict(zip(heads, r))
        assert row["Ennuste"].value == pytest.approx(ye[(year, "tyollisyys", "tmt_cost_keur")], abs=0.5)
        assert row["Määrärahan ylitys"].value == pytest.approx(-dev[(year, "tyollisyys", "tmt_over_appropriation")],
                                                               abs=0.5)
        assert row["Ennuste"].number_format == "#,##0"
    ws = wb["Työmarkkinat"]
    heads = [c.value for c in ws[2]]
    rows = {r[0].value: dict(zip(heads, r)) for r in ws.iter_rows(min_row=3)}
    assert rows["Työttömät"]["Toteuma 6/2022"].value == 7848
    assert rows["Työttömät"]["2025"].value == pytest.approx(ye[(2025, "lahti", "unemployed")], abs=0.5)
    assert rows["Työttömyysaste"]["2022"].value == pytest.approx(ye[(2022, "lahti", "unemployment_rate_pct")],
                                                                 abs=0.005)
    assert rows["Työttömyysaste"]["2022"].number_format == "0.0"
    assert len(wb["Kaaviot"]._images) == 3


def test_narrative_figures_match_the_tables(written):
    """The Finnish narrative's deviation for Työllisyyspalvelut (M€, one decimal) is the table's
    Poikkeama of Toimintakate (±0.05 M€, the rounding); its largest driver, the TMT over the
    appropriation, is the deviations table's (±0.05 M€). With this seed the baseline is the issue's
    example: about 4,3 milj. € over the budget, 5,2 milj. € of it the TMT."""
    d, ye, dev = written
    text = (d / "r.md").read_text(encoding="utf-8")
    m = re.search(r"Työllisyyspalvelujen toimintakatteen ennustetaan ylittävän talousarvion ([0-9,]+)\s+milj\.\s+eurolla",
                  text)
    assert m, text[:2000]
    shown = _num(m.group(1))
    deviation = ye[(2022, "tyollisyys", "budget_margin_keur")] - ye[(2022, "tyollisyys", "margin_keur")]
    assert shown == pytest.approx(deviation / 1000, abs=0.05)
    assert shown == pytest.approx(4.3, abs=0.15)  # the example for the baseline
    m = re.search(r"työmarkkinatuen kuntaosuus: määrärahan ylitys \(([−+][0-9,]+)\s+milj\.\s+€\)", text)
    assert m
    assert _num(m.group(1)) == pytest.approx(dev[(2022, "tyollisyys", "tmt_over_appropriation")] / 1000, abs=0.05)
    tmt = re.search(r"Työmarkkinatuen kuntaosuuden ennuste vuodelle 2022 on ([0-9,]+)\s+milj", text)
    assert _num(tmt.group(1)) == pytest.approx(ye[(2022, "tyollisyys", "tmt_cost_keur")] / 1000, abs=0.05)
    u = re.search(r"Työttömiä ennustetaan olevan joulukuussa 2022 ([0-9\u202f]+) \(6/2022: 7\u202f848\)", text)
    assert _num(u.group(1)) == pytest.approx(ye[(2022, "lahti", "unemployed")], abs=0.5)


def test_english_switch(written):
    d, ye, _ = written
    text = (d / "en.md").read_text(encoding="utf-8")
    m = re.search(r"Employment services' operating margin is forecast to fall short of the budget by ([0-9.]+)\s+M€",
                  text)
    assert m, text[:1500]
    deviation = ye[(2022, "tyollisyys", "budget_margin_keur")] - ye[(2022, "tyollisyys", "margin_keur")]
    assert float(m.group(1)) == pytest.approx(deviation / 1000, abs=0.05)
    assert "Toimintakatteen" not in text and "Operating margin versus budget 2022" in text


def test_html_is_self_contained_with_the_charts(written):
    """Three charts inline as PNG data URIs (each a real PNG marked as ennuste's), no outside resource."""
    d, _, _ = written
    page = (d / "r.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3
    for data in images:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"tEXtSoftware\x00etp-ennuste" in png[:200]
        (length,) = __import__("struct").unpack(">I", png[33:37])
        assert zlib.crc32(png[37:41 + length]) == int.from_bytes(png[41 + length:45 + length], "big")
    assert not re.search(r'(src|href)="(https?:|//)', page)
    assert "Työllisyyspalvelujen toimintakatteen ennustetaan" in page


def test_markdown_refers_to_its_images_beside_it(written):
    d, _, _ = written
    text = (d / "r.md").read_text(encoding="utf-8")
    assert text.startswith(report_mod.MD_MARK)
    names = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert names == ["r-deviation.png", "r-tmt.png", "r-labour.png"]
    for n in names:
        assert (d / n).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("name,content", [("bad.txt", None), ("bad.pdf", None), ("theirs.html", "<p>mine</p>"),
                                          ("theirs.md", "# notes\n"), ("theirs.xlsx", "not a workbook")])
def test_a_bad_out_is_refused_before_computing(tmp_path, capsys, monkeypatch, name, content):
    """Unknown suffix or a file ennuste did not write: exit 2, one line naming the file, the file as it
    was, and nothing simulated (the refusal comes before the run)."""
    target = tmp_path / name
    if content is not None:
        target.write_text(content, encoding="utf-8")
    monkeypatch.setattr("engine.pipeline.simulate", lambda *a, **k: pytest.fail("simulated before the check"))
    assert main(["report", BASE, "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ennuste: error:") and name in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ([name] if content is not None else [])
    if content is not None:
        assert target.read_text(encoding="utf-8") == content


def test_a_users_png_beside_the_markdown_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "r-tmt.png").write_bytes(b"\x89PNG\r\n\x1a\nsomeone else's picture")
    assert main(["report", BASE, "--draws", "2", "--out", str(tmp_path / "r.md")]) == 2
    assert "r-tmt.png" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r-tmt.png"]


def test_its_own_file_is_replaced_and_an_interrupted_write_leaves_the_old_one(tmp_path, monkeypatch):
    out = tmp_path / "r.html"
    assert main(["report", BASE, "--draws", "2", "--out", str(out)]) == 0
    first = out.read_bytes()
    assert main(["report", BASE, "--draws", "2", "--lang", "en", "--out", str(out)]) == 0  # its own: replaced
    second = out.read_bytes()
    assert second != first and b'lang="en"' in second

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(report_mod.os, "replace", interrupted)
    assert main(["report", BASE, "--draws", "2", "--out", str(out)]) == 130
    assert out.read_bytes() == second
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]  # no temp file left


def test_report_files_api_gives_the_bytes_the_cli_writes(written):
    """The app's download buttons use engine.report_files: the same content as the CLI's file (the
    workbook's zip container differs by its timestamps only, so compare the Markdown)."""
    d, _, _ = written
    run = engine.simulate(engine.load_baseline(), engine.load_scenario(BASE), draws=int(DRAWS), seed=int(SEED))
    files = engine.report_files(run, "md", "fi", stem="r")
    assert list(files) == ["r-deviation.png", "r-tmt.png", "r-labour.png", "r.md"]
    assert files["r.md"] == (d / "r.md").read_bytes()


def test_a_scenarios_own_words_stay_text(tmp_path):
    """A scenario's name is the user's text: in the workbook never a formula (a cell starting with '=' is
    stored as a string), in Markdown and HTML never markup."""
    (tmp_path / "baseline.toml").write_bytes((SCENARIOS / "baseline.toml").read_bytes())
    (tmp_path / "evil.toml").write_text('name = "=1+2 <b>x</b>"\nextends = "baseline.toml"\n', encoding="utf-8")
    for name in ("e.xlsx", "e.md", "e.html"):
        assert main(["report", str(tmp_path / "evil.toml"), "--draws", "2", "--out", str(tmp_path / name)]) == 0
    cell = load_workbook(tmp_path / "e.xlsx")["Ennuste"]["A2"]
    assert cell.value == "=1+2 <b>x</b> (evil)" and cell.data_type == "s"
    assert "<b>" not in (tmp_path / "e.md").read_text(encoding="utf-8")
    assert "<b>" not in (tmp_path / "e.html").read_text(encoding="utf-8")
