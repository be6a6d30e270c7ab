"""The bundled baseline (the Lahti Jan–Jun 2022 period pack) reproduces the report's tables.

Broken packs: tests/test_period.py."""
from __future__ import annotations

import re

import pytest

import engine
from engine.load.baseline import LINES, UNITS


def test_totals_match_report(baseline):
    # Talouden toteuman seuranta (1 000 euroa): Sitovuusalue tables
    e, t = baseline.ledger["elinvoima"], baseline.ledger["tyollisyys"]
    assert e.budget[:2].sum() == pytest.approx(1626, abs=1)
    assert e.budget[2:].sum() == pytest.approx(10252, abs=1)
    assert e.actual_ytd[2:].sum() == pytest.approx(3439, abs=1)
    assert t.budget[2:].sum() == pytest.approx(23254, abs=1)
    assert t.actual_ytd_prev[2:].sum() == pytest.approx(11717, abs=1)
    assert t.costs_closing_prev == 25630 and e.revenue_closing_prev == 1436
    assert baseline.as_of.astype(str) == "2022-06"


def test_every_line_has_a_source():
    # the pack keeps the report's sources: each unit's ledger table, and each block's
    for unit in baseline_units():
        assert re.search(r"L_150[45]", unit.ledger_source), unit
    b = engine.load_baseline()
    for block in (b.tmt, b.labour, b.trial, b.raw.staff_htv, b.raw.report_forecast):
        assert block.source, block
    assert b.raw.meta.source.endswith("000_53a4a80586230715.txt")
    for u in UNITS:
        assert set(b.ledger[u].rows) == set(LINES) | {"revenue", "costs", "margin"}


def baseline_units():
    return engine.load_baseline().raw.units.values()
