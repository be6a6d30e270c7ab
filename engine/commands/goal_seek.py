"""What it takes to hit a target (``ennuste solve``): the value of one scenario control at which a year-end
figure stays at most (or at least) a target with a given probability.

For ``at_most`` T with probability p the figure Y must have P(Y ≤ T) ≥ p, i.e. its p-quantile Q_p ≤ T;
for ``at_least`` T, P(Y ≥ T) ≥ p, i.e. Q_(1−p) ≥ T. The gap g(v) = Q_p(Y_v) − T (or T − Q_(1−p)(Y_v)) is
≤ 0 where the target is met. Every evaluation runs the same seed (common random numbers), so g moves
with the control, not with sampling noise. g is first evaluated on a grid of :data:`GRID` values over
the control's range: a figure need not be monotone in a control (more activation lowers the TMT but
buys services, so the margin can be worse at both ends). If g has one sign on the whole grid the answer
says so: every value tried meets the target, or none does and how close the best one gets. Otherwise
the bracketing root finder ``scipy.optimize.brentq`` finds the crossing in the grid interval nearest the
control's current value (the smallest change that meets, or just keeps, the target); the answer says
how many crossings the grid found.

Controls (:func:`control`): ``activation`` (target %), ``fazer_jobs`` (direct jobs of the production
shock), ``refugees`` (arrivals in all, persons), ``downturn`` (rise of new spells at the trough, %) — each
set through the app's own mapping and range (:mod:`engine.load.controls`, the other controls at the
file's values) — or the name of any number parameter (engine/data/parameters.toml), set to one value for
the whole run. The app hands :func:`goal_seek` its sliders' builder (the other sliders as they are).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from engine.commands.sensitivity import Target
from engine.common.errors import UserError, allowed, did_you_mean, show
from engine.load import controls
from engine.load.baseline import Baseline
from engine.load.scenario import Scenario, scenario_from_dict
from engine.pipeline import simulate

XTOL_SHARE = 1e-4  # the root finder's tolerance, as a share of the control's range
GRID = 9  # control values tried before the root finder (both bounds among them)


@dataclass(frozen=True)
class Control:
    """A scenario control: ``make(value)`` is the scenario with the control at ``value`` (in ``unit``),
    ``lo``…``hi`` the values it may take, ``current`` its value in the scenario as it is."""

    name: str
    unit: str
    lo: float
    hi: float
    make: Callable[[float], Scenario]
    current: float | None = None


def _need(doc: dict, kind: str, name: str, file: str) -> None:
    if not controls.shocks_of(doc, kind):
        raise UserError(f"value {name!r} resizes the scenario's {kind} shocks, but it has none; use a scenario "
                        f"with one (e.g. scenarios/{ {'jobs': 'fazer', 'arrivals': 'refugees'}.get(kind, kind)}.toml)",
                        file=file, field="--control")


# name -> (unit, the shock type it needs or None); the mapping and the range are the app's (engine/load/controls.py)
CONTROLS = {
    "activation": ("% of jobseekers", None),
    "fazer_jobs": ("direct jobs", "jobs"),
    "refugees": ("persons", "arrivals"),
    "downturn": ("% more new spells at the trough", "downturn"),
}


def control(baseline: Baseline, scenario: Scenario, name: str,
            bounds: tuple[float, float] | None = None) -> Control:
    """The control ``name`` on ``scenario`` (a name of :data:`CONTROLS` or a number parameter), its range
    narrowed or widened by ``bounds``; :class:`UserError` (field ``--control``/``--range``) if it cannot be."""
    base_doc = scenario.to_document()
    params = scenario.parameters()
    if name in CONTROLS:
        unit, needs = CONTROLS[name]
        if needs:
            _need(base_doc, needs, name, scenario.file)
        space = controls.ControlSpace.for_baseline(baseline, scenario.settings.horizon_end)
        d = controls.defaults(base_doc, scenario.id, space, params=params)
        lo, hi, current = space.domains[name].lo, space.domains[name].hi, float(getattr(d, name))

        def make(v: float) -> Scenario:
            return controls.build(base_doc, replace(d, **{name: float(v)}), d, space, id=scenario.id,
                                  label=scenario.file)
    elif name in params.defs and params[name].kind == "number":
        p = params[name]
        unit, lo, hi = p.unit, p.min if p.min is not None else -math.inf, p.max if p.max is not None else math.inf
        try:
            current = float(p.central_at(baseline.as_of))
        except KeyError:  # a parameter with no value yet at the as-of month
            current = None

        def make(v: float) -> Scenario:
            doc = copy.deepcopy(base_doc)
            doc["parameters"] = {**doc.get("parameters", {}), name: float(v)}
            return scenario_from_dict(doc, id=scenario.id, label=scenario.file)
    else:
        numbers = [n for n, d in params.defs.items() if d.kind == "number"]
        raise UserError(f"value {show(name)} is not a control{did_you_mean(name, list(CONTROLS) + numbers)}; allowed: "
                        f"{', '.join(CONTROLS)} or a number parameter ({allowed(numbers, 3)}; see `ennuste explain`)",
                        field="--control")
    if bounds is not None:
        lo, hi = bounds
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise UserError(f"control {name} needs a finite range lo < hi, got {lo:g}…{hi:g}; give --range LO HI",
                        field="--range")
    return Control(name, unit, float(lo), float(hi), make, current)


@dataclass(frozen=True)
class GoalSeek:
    """A goal seek's answer. ``value`` is where the target is just met (None if no single value is the
    answer: ``status`` ``met_everywhere`` or ``never_met``); ``quantile`` and ``probability`` are the figure's
    relevant quantile and P(Y ≤ target) (``at_most``) or P(Y ≥ target) (``at_least``) at ``at``: ``value``, or
    if None the grid value nearest to missing the target (``met_everywhere``) or nearest to meeting it
    (``never_met``); ``meets_above``: the target holds just above ``value``."""

    status: str  # solved | met_everywhere | never_met
    value: float | None
    lo: float
    hi: float
    bound: str  # at_most | at_least
    level: float  # the target, in the measure's unit
    required: float  # the probability asked for
    quantile: float
    probability: float
    at: float  # the control value the quantile and probability are for
    meets_above: bool | None
    evaluations: int
    crossings: int = 0  # sign changes of the gap on the grid (more than 1: the figure is not monotone)

    def describe(self, name: str, target: Target) -> str:
        sign = "≤" if self.bound == "at_most" else "≥"
        what = f"P({target.measure} {sign} {self.level:,.0f}) ≥ {self.required:.0%}"
        q = f"P{round(100 * self.required if self.bound == 'at_most' else 100 * (1 - self.required))}"
        if self.status == "solved":
            side = "or more" if self.meets_above else "or less"
            more = (f"; the figure is not monotone in {name}: the gap changes sign {self.crossings} times on a grid of "
                    f"{GRID} values, this is the crossing nearest the current value") if self.crossings > 1 else ""
            return (f"{name} = {self.value:,.4g} {side} meets {what} ({target.unit} {target.year}): at {self.value:,.4g} "
                    f"the {q} is {self.quantile:,.0f} and P = {self.probability:.1%}{more}")
        if self.status == "met_everywhere":
            return (f"every {name} tried within {self.lo:g}…{self.hi:g} ({GRID} values) meets {what}; at the least "
                    f"favourable, {self.at:g}, the {q} is {self.quantile:,.0f} and P = {self.probability:.1%}")
        gap = abs(self.quantile - self.level)
        return (f"no {name} tried within {self.lo:g}…{self.hi:g} ({GRID} values) meets {what}; the best, {self.at:g}, gives {q} = "
                f"{self.quantile:,.0f} ({gap:,.0f} {'over' if self.bound == 'at_most' else 'under'} the target) "
                f"and P = {self.probability:.1%}")


def goal_seek(baseline: Baseline, make: Callable[[float], Scenario], lo: float, hi: float, target: Target, *,
              at_most: float | None = None, at_least: float | None = None, probability: float = 0.8,
              draws: int = 1000, seed: int = 0, xtol: float | None = None, current: float | None = None) -> GoalSeek:
    """The value of a control (``make(v)`` builds the scenario at ``v``, ``lo``…``hi`` its range) at which
    ``target``'s figure is at most ``at_most`` (or at least ``at_least``) with ``probability``; see the
    module docstring. Each evaluation is one run of ``draws`` paths with ``seed``; ``current`` (default
    ``lo``) picks the crossing nearest to it when there are several."""
    if (at_most is None) == (at_least is None):
        raise UserError("give one of --at-most and --at-least", field="--at-most")
    if not 0 < probability < 1:
        raise UserError(f"value {probability!r} is not a probability; allowed: strictly between 0 and 1",
                        field="--probability")
    level = float(at_most if at_most is not None else at_least)
    q = probability if at_most is not None else 1.0 - probability
    runs: dict[float, np.ndarray] = {}

    def paths(v: float) -> np.ndarray:
        if v not in runs:
            runs[v] = np.array(target.paths(simulate(baseline, make(v), draws, seed)))
        return runs[v]

    def gap(v: float) -> float:  # ≤ 0 where the target is met
        qv = float(np.quantile(paths(v), q))
        return qv - level if at_most is not None else level - qv

    def result(status: str, value: float | None, at: float, above: bool | None, crossings: int = 0) -> GoalSeek:
        y = paths(at)
        p = float(np.mean(y <= level) if at_most is not None else np.mean(y >= level))
        return GoalSeek(status, value, lo, hi, "at_most" if at_most is not None else "at_least", level, probability,
                        float(np.quantile(y, q)), p, at, above, len(runs), crossings)

    grid = [float(v) for v in np.linspace(lo, hi, GRID)]
    gaps = [gap(v) for v in grid]
    if all(g <= 0 for g in gaps):
        return result("met_everywhere", None, grid[int(np.argmax(gaps))], None)
    if all(g > 0 for g in gaps):
        return result("never_met", None, grid[int(np.argmin(gaps))], None)
    brackets = [i for i in range(GRID - 1) if (gaps[i] <= 0) != (gaps[i + 1] <= 0)]
    ref = lo if current is None else current
    i = min(brackets, key=lambda i: min(abs(grid[i] - ref), abs(grid[i + 1] - ref)))
    a, b = grid[i], grid[i + 1]
    tol = xtol if xtol is not None else (hi - lo) * XTOL_SHARE
    above = gaps[i + 1] <= 0
    if gaps[i] == 0 or gaps[i + 1] == 0:  # the grid hit the crossing itself
        root = a if gaps[i] == 0 else b
    else:
        from scipy.optimize import brentq  # ~0.25 s to import: when a goal is sought, not with the engine

        root = brentq(gap, a, b, xtol=tol)
        if gap(root) > 0:  # the root's meeting side, within the tolerance
            root = min(root + tol, b) if above else max(root - tol, a)
    return result("solved", root, root, above, len(brackets))
