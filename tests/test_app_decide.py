"""The app's decision tabs (issue 15): "Herkkyys" draws the engine's tornado for the picked KPI, and
"Tavoitehaku" finds a slider value and sets the slider to it.

The known answer: the baseline's own P80 of the 2025 TMT as an "at most" target with 80 % gives the
baseline's activation rate back (24,2 %, parameters.toml), which the slider's 0,5-point grid rounds up
to 24,5 % (the side that still meets the target)."""
from __future__ import annotations

import numpy as np
import pytest

import engine
from ui import decide, whatif

from .conftest import SCENARIOS
from .test_app import open_tab, run_app

DRAWS, SEED = "100", "1"


def test_snap_rounds_to_the_slider_grid_on_the_meeting_side():
    dom = whatif.Domain(0.0, 80.0, 0.5, kind="float")
    assert decide.snap(24.2001, dom, True) == 24.5 and decide.snap(24.2001, dom, False) == 24.0
    assert decide.snap(24.5, dom, True) == 24.5  # on the grid already
    assert decide.snap(99.0, dom, True) == 80.0  # within the slider's range


def test_sensitivity_tab_draws_the_tornado_of_the_picked_kpi():
    at = run_app({"draws": DRAWS, "seed": SEED, "year": "2025"})
    open_tab(at, "Herkkyys")
    at.selectbox(key="sens_kpi").set_value("tyollisyys.tmt_cost_keur").run()
    assert not at.exception, at.exception
    assert len(at.get("vega_lite_chart")) == 1
    table = at.table[0].value
    # the engine's tornado (tests/test_decide.py): the labour market's matching and the subsidy's exits lead
    first = table.iloc[0]
    assert first["Oletus"] in {"labour.matching_efficiency_mult", "tmt.exit_mult"}
    swing = float(first["Vaihteluväli"].replace("\u202f", "").replace("\u2212", "-").replace(",", "."))
    assert 1000 < swing < 2500  # the CLI's 1 000-path tornado: 1 875 k€ for the matching efficiency


def test_goal_seek_finds_the_baselines_activation_and_sets_the_slider():
    at = run_app({"draws": DRAWS, "seed": SEED, "year": "2025"})
    base = engine.simulate(engine.load_baseline(), engine.load_scenario(SCENARIOS / "baseline.toml"),
                           int(DRAWS), int(SEED))
    p80 = float(np.quantile(base.year_end_paths("tmt_cost_keur", "tyollisyys", 2025), 0.8))
    open_tab(at, "Tavoitehaku")
    at.selectbox(key="goal_control").set_value("activation")
    at.selectbox(key="goal_kpi").set_value("tyollisyys.tmt_cost_keur")
    at.radio(key="goal_bound").set_value("at_most")
    at.number_input(key="goal_level").set_value(p80)
    at.button(key="goal_run").click().run()
    assert not at.exception, at.exception
    _, goal = at.session_state["goal"]
    assert goal.answer.status == "solved"
    assert goal.answer.value == pytest.approx(24.2, abs=0.02)  # the solver's tolerance: 0.008 points, twice
    assert goal.slider == 24.5 and goal.check >= 0.8
    text = " ".join(m.value for m in at.markdown)
    assert "tai enemmän täyttää tavoitteen" in text
    at.button(key="goal_set").click().run()
    assert at.slider(key="activation").value == 24.5
