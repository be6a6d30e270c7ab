"""The bundled baseline reproduces the report's tables and refuses broken copies."""
from __future__ import annotations

import re
import tomllib

import pytest

import engine
from engine.load.baseline import LINES
from engine.common.errors import UserError

from .conftest import ROOT

DATA = ROOT / "engine" / "data" / "baseline_lahti_2022.toml"


def test_totals_match_report(baseline):
    # Talouden toteuman seuranta (1 000 euroa): Sitovuusalue tables
    e, t = baseline.ledger["elinvoima"], baseline.ledger["tyollisyys"]
    assert e.budget[:2].sum() == pytest.approx(1626, abs=1)
    assert e.budget[2:].sum() == pytest.approx(10252, abs=1)
    assert e.actual_h1[2:].sum() == pytest.approx(3439, abs=1)
    assert t.budget[2:].sum() == pytest.approx(23254, abs=1)
    assert t.actual_h1_prev[2:].sum() == pytest.approx(11717, abs=1)
    assert t.costs_closing_prev == 25630 and e.revenue_closing_prev == 1436
    assert baseline.as_of.astype(str) == "2022-06"


def _broken(tmp_path, old: str, new: str):
    text = DATA.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "old,new,field,words",
    [
        ("staff = { budget = -1901,", "staff = { budget = 1901,", "ledger.elinvoima.lines.staff.budget", "wrong sign"),
        ("sales = { budget = 276,", "sales = { budget = 286,", "ledger.elinvoima.totals.revenue.budget", "sum to 1636"),
        ("closing_prev = -25630", "closing_prev = -25000", "ledger.tyollisyys.totals.margin.closing_prev", "not revenue + costs"),
        ("city_share_h1_keur = 9900", "city_share_h1_kEUR = 9900", "tmt", "unknown key"),
        ("avg_billed_persons_h1 = 3553", "avg_billed_persons_h1 = \"3553\"", "tmt.avg_billed_persons_h1", "3553"),
        ("unemployed = 7848\n", "", "labour.unemployed", "missing"),
    ],
)
def test_broken_baseline_names_file_field_value(tmp_path, old, new, field, words):
    path = _broken(tmp_path, old, new)
    with pytest.raises(UserError) as err:
        engine.load_baseline(path)
    msg = str(err.value)
    assert str(path) in msg and field in msg and words in msg, msg


def test_every_line_has_a_source_section():
    doc = tomllib.loads(DATA.read_text(encoding="utf-8"))
    for unit, led in doc["ledger"].items():
        assert re.search(r"L_150[45]", led["source"]), unit
        assert set(led["lines"]) == set(LINES)
    for section in ("tmt", "labour", "trial", "staff_htv", "report_forecast"):
        assert doc[section]["source"], section
