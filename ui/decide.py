"""The decision views' helpers: the tornado of the "Herkkyys" tab and the "Tavoitehaku" goal seek.

Both are the engine's (``engine.sensitivity``, ``engine.goal_seek``); here only what the page adds: the
goal seek runs the sliders' own mapping (``engine.controls.build``), so the answer is exactly what the
slider set to it shows, and the answer is rounded to the slider's step on the side that still meets the
target, then checked by a run at that rounded value.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

import engine
from ui import fmt, whatif
from ui.text import t

GOAL_CONTROLS = tuple(engine.CONTROLS)  # the sliders a goal seek may set: the engine's goal-seek controls


def tornado(baseline: engine.Baseline, scenario: engine.Scenario, unit: str, measure: str, year: int, draws: int,
            seed: int, title: str):
    """(table, mean, Vega-Lite spec) of the engine's sensitivity for one KPI."""
    target = engine.check_target(baseline, scenario, measure, unit, year)
    table, mean = engine.sensitivity(baseline, scenario, target, draws=max(int(draws), 2), seed=int(seed))
    return table, mean, engine.tornado_spec(table, mean, target, title=title)


def table_rows(table, lang: str) -> list[dict[str, Any]]:
    """The tornado's rows that move the KPI, for st.table: input, ends and swing in the KPI's unit."""
    rows = []
    for r in table[table.swing > 0].itertuples():
        rows.append({t("sens_input", lang): r.input, "P10 / " + t("sens_without", lang): fmt.number(r.measure_low, lang, 0),
                     "P90 / " + t("sens_with", lang): fmt.number(r.measure_high, lang, 0),
                     t("sens_swing", lang): fmt.number(r.swing, lang, 0),
                     t("sens_share", lang): "" if math.isnan(r.variance_share) else fmt.number(100 * r.variance_share,
                                                                                              lang, 1) + " %"})
    return rows


def maker(space: engine.controls.ControlSpace, doc: dict, c: whatif.Controls, d: whatif.Controls,
          name: str) -> Callable[[float], engine.Scenario]:
    """The what-if scenario with slider ``name`` at a value (the sliders' mapping: ``engine.controls``)."""
    cast = float if space.domains[name].kind == "float" else (lambda v: v)

    def make(v: float) -> engine.Scenario:
        return whatif.build(doc, replace(c, **{name: cast(v)}), d, space, id="goal", label="goal seek")
    return make


def snap(value: float, dom: whatif.Domain, up: bool) -> float | int:
    """``value`` on the slider's grid (``dom.lo`` + k·step), rounded up if the target holds above the
    answer (``up``), else down, within the slider's range.

    >>> snap(26.86, whatif.Domain(0.0, 80.0, 0.5, kind="float"), True), snap(1234, whatif.Domain(0, 2000, 50), False)
    (27.0, 1200)
    """
    k = (value - dom.lo) / dom.step
    k = math.ceil(k - 1e-9) if up else math.floor(k + 1e-9)
    v = min(max(dom.lo + k * dom.step, dom.lo), dom.hi)
    return float(round(v, 6)) if dom.kind == "float" else int(round(v))


@dataclass(frozen=True)
class Goal:
    """A goal seek's answer for the page: the engine's answer, the slider value and its check."""

    name: str
    answer: engine.GoalSeek
    slider: float | int | None  # the answer on the slider's grid (None: no single value is the answer)
    check: float | None  # P(KPI ≤ level) or P(KPI ≥ level) at ``slider``, from a run at that value


def solve(baseline: engine.Baseline, space: engine.controls.ControlSpace, doc: dict, c: whatif.Controls,
          d: whatif.Controls, name: str, unit: str, measure: str, year: int, bound: str, level: float,
          probability: float) -> Goal:
    dom = space.domain(name, d)
    make = maker(space, doc, c, d, name)
    target = engine.check_target(baseline, make(getattr(c, name)), measure, unit, year)
    kw = {"at_most": level} if bound == "at_most" else {"at_least": level}
    ans = engine.goal_seek(baseline, make, float(dom.lo), float(dom.hi), target, probability=probability,
                           draws=int(c.draws), seed=int(c.seed), current=float(getattr(c, name)), **kw)
    if ans.value is None:
        return Goal(name, ans, None, None)
    slider = snap(ans.value, dom, bool(ans.meets_above))
    y = np.asarray(target.paths(engine.simulate(baseline, make(slider), int(c.draws), int(c.seed))))
    check = float(np.mean(y <= level) if bound == "at_most" else np.mean(y >= level))
    return Goal(name, ans, slider, check)


def goal_text(g: Goal, control_label: str, kpi_label: str, lang: str) -> str:
    a = g.answer
    sign = "≤" if a.bound == "at_most" else "≥"
    level = fmt.number(a.level, lang, 0)
    want = fmt.number(100 * a.required, lang, 0)
    if a.status == "met_everywhere":
        return t("goal_everywhere", lang, control=control_label, kpi=kpi_label, sign=sign, level=level, p=want,
                 n=engine.GOAL_GRID)
    if a.status == "never_met":
        return t("goal_never", lang, control=control_label, kpi=kpi_label, sign=sign, level=level, p=want,
                 best=fmt.number(a.at, lang, 1), got=fmt.number(100 * a.probability, lang, 1),
                 q=fmt.number(a.quantile, lang, 0))
    many = t("goal_many", lang, n=a.crossings) if a.crossings > 1 else ""
    return t("goal_solved", lang, control=control_label, kpi=kpi_label, sign=sign, level=level, p=want,
             value=fmt.number(a.value, lang, 2), slider=fmt.number(g.slider, lang, 1),
             side=t("goal_above" if a.meets_above else "goal_below", lang),
             check=fmt.number(100 * g.check, lang, 1)) + many
