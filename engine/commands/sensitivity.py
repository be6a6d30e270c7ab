"""Which inputs move a year-end figure most (``ennuste sensitivity``): a tornado on common random numbers
and each uncertain input's share of the variance (first-order Sobol indices, SALib).

The figure is one ``year_end`` row: a measure of a unit in a year (:meth:`Result.year_end_paths`).

* **Uncertain inputs** are every entry the run draws from a distribution (parameters.toml's and the
  scenario's distributions, the shocks' and adjustments' uncertain fields, and the unbooked remainder of
  each unit's ledger): :class:`engine.load.parameters.Pins` records them. For each one the run is
  repeated with that input held at its own P10, then at its P90, on every path, while every other input
  keeps its distribution and its random numbers (the same seed and keys): ``measure_low`` and
  ``measure_high`` are the figure's means, so the bar is the input's effect, not sampling noise.
* **Drivers** (each shock, each adjustment of the scenario) are switched off and on: ``measure_low``
  is the mean without it, ``measure_high`` with it (the scenario as it is); ``low_value`` 0, ``high_value`` 1.
* ``swing`` = |measure_high − measure_low|, in the measure's unit; the table is sorted by it.
* ``variance_share``: the first-order Sobol index S1 = Var(E[Y | X_i]) / Var(Y) of each uncertain input,
  estimated by SALib's RBD-FAST from one run whose paths take a Latin hypercube of the inputs' uniforms
  (pinned path by path; see :func:`sobol_shares` for why not Saltelli's design). The month-to-month noise
  processes are not inputs here: their share, with the interactions', is what the inputs' S1 leave
  unexplained (1 − ΣS1). Empty for drivers (they are not random).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from engine.common.errors import UserError, allowed, did_you_mean, show
from engine.load.baseline import Baseline
from engine.load.parameters import Parameters, Pins
from engine.load.scenario import Scenario, scenario_from_dict
from engine.pipeline import simulate
from engine.results.result import Result

COLUMNS = ("input", "kind", "low_value", "high_value", "measure_low", "measure_high", "swing", "variance_share")
LOW, HIGH = 0.10, 0.90  # an uncertain input is held at these quantiles of its own distribution
SOBOL_PATHS = 8192  # paths of the one run the variance shares are estimated from (sobol_shares)
KINDS = {"uncertain": "parameter_p10_p90", "shock": "shock_without_with", "adjustment": "adjustment_without_with"}


@dataclass(frozen=True)
class Target:
    """A year-end figure: ``measure`` of ``unit`` in ``year`` (a row of the ``year_end`` table)."""

    measure: str
    unit: str
    year: int

    def paths(self, result: Result) -> np.ndarray:
        """(draws,) the figure on every path."""
        return result.year_end_paths(self.measure, self.unit, self.year)

    def label(self) -> str:
        return f"{self.unit} {self.measure} {self.year}"


def check_target(baseline: Baseline, scenario: Scenario, measure: str, unit: str, year: int | None) -> Target:
    """The target checked against what a run of ``scenario`` has (its central path, ~40 ms); a bad
    unit, measure or year raises :class:`UserError` naming the flag, the value and what is allowed."""
    central = simulate(baseline, scenario, draws=1, seed=0)
    have = central.path_measures()
    if unit not in have:
        raise UserError(f"value {show(unit)} is not a unit{did_you_mean(unit, have)}; allowed: {allowed(have)}",
                        field="--unit")
    if measure not in have[unit]:
        raise UserError(f"value {show(measure)} is not a measure of unit {unit}{did_you_mean(measure, have[unit])}; "
                        f"allowed: {allowed(have[unit], 20)}", field="--measure")
    years = [int(y) for y in central.years]
    year = baseline.budget_year if year is None else year
    if year not in years:
        raise UserError(f"value {show(year)} is not a forecast year of this scenario; allowed: {years[0]}…{years[-1]}",
                        field="--year")
    return Target(measure, unit, int(year))


def input_label(key: str, params: Parameters) -> str:
    """A drawn entry's name in the table: a parameter's name (with the month its value starts from if it is
    dated), else the key (``shocks.<id>.<field>``, ``adjustments.<id>.<year>``, ``ledger.remainder.…``)."""
    m = re.fullmatch(r"(.+)#(\d+)", key)
    if not m or m.group(1) not in params.defs:
        return key
    d = params[m.group(1)]
    seg = d.value[int(m.group(2))]
    if len(d.value) == 1 or seg.start is None:
        return d.name
    return f"{d.name} (from {str(seg.start)})"


def _quantile_value(dist, u: float) -> float:
    """The input's value at quantile ``u``: its distribution's, or the z of a ledger remainder (a standard normal)."""
    return float(dist.ppf(np.array([u]))[0]) if dist is not None else float(ndtri(u))


def _without(scenario: Scenario, section: str, key: str) -> Scenario:
    doc = scenario.to_document()
    del doc[section][key]
    if not doc[section]:
        del doc[section]
    return scenario_from_dict(doc, id=scenario.id, label=scenario.file)


def sensitivity(baseline: Baseline, scenario: Scenario, target: Target, draws: int = 1000, seed: int = 0,
                sobol_paths: int = SOBOL_PATHS) -> tuple[pd.DataFrame, float]:
    """The tornado table (:data:`COLUMNS`, largest swing first) and the figure's mean under the scenario
    as it is. ``draws`` paths per tornado run (2 per uncertain input, 1 per driver); the variance shares
    come from one run of ``sobol_paths`` paths."""
    if draws < 2:
        raise UserError(f"a sensitivity needs at least 2 paths, got {draws}", field="--draws")
    params = scenario.parameters()
    pins = Pins()
    mean0 = float(target.paths(simulate(baseline, scenario, draws, seed, pins=pins)).mean())
    drawn = dict(pins.drawn)
    rows = []
    for key, dist in drawn.items():
        lo, hi = (float(target.paths(simulate(baseline, scenario, draws, seed, pins=Pins({key: u}))).mean())
                  for u in (LOW, HIGH))
        rows.append((input_label(key, params), KINDS["uncertain"], _quantile_value(dist, LOW),
                     _quantile_value(dist, HIGH), lo, hi))
    for section, kind in (("shocks", "shock"), ("adjustments", "adjustment")):
        for sid in getattr(scenario, section):
            off = float(target.paths(simulate(baseline, _without(scenario, section, sid), draws, seed)).mean())
            rows.append((f"{section}.{sid}", KINDS[kind], 0.0, 1.0, off, mean0))
    df = pd.DataFrame(rows, columns=COLUMNS[:6])
    df["swing"] = (df.measure_high - df.measure_low).abs()
    shares = sobol_shares(baseline, scenario, target, list(drawn), seed, sobol_paths)
    df["variance_share"] = [shares.get(k, np.nan) for k in list(drawn)] + [np.nan] * (len(df) - len(drawn))
    df = df.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    return df, mean0


def sobol_shares(baseline: Baseline, scenario: Scenario, target: Target, keys: list[str], seed: int,
                 paths: int = SOBOL_PATHS) -> Mapping[str, float]:
    """key -> the first-order Sobol index S1 = Var(E[Y | X_i]) / Var(Y) of the figure Y, estimated by
    SALib's RBD-FAST from one run of ``paths`` paths whose inputs' uniforms are a Latin hypercube.

    SALib rather than a hand-written estimator: its sampler and estimators are the reference
    implementations, tested against the Ishigami and Sobol G functions. RBD-FAST (Tarantola et al. 2006,
    with Plischke's given-data ordering and Tissot's bias correction) rather than Saltelli's design: the
    model's month-to-month noise processes differ between the A, B and AB_i rows of a Saltelli design,
    which makes its estimator noisy (2 048 × 14 paths for the baseline's 2025 TMT: inputs the figure cannot
    depend on got S1 of ±0.02–0.04); RBD-FAST reads S1 off one sample (8 192 paths: those inputs within
    ±0.003, the leading ones within ±0.01 between seeds)."""
    if not keys:
        return {}
    from SALib.analyze import rbd_fast
    from SALib.sample import latin

    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    x = latin.sample(problem, paths, seed=seed)
    result = simulate(baseline, scenario, paths, seed, pins=Pins({k: x[:, j] for j, k in enumerate(keys)}))
    y = np.array(target.paths(result), dtype=float)
    if not np.var(y) > 0:  # the figure does not move at all: no input explains any of it
        return {k: 0.0 for k in keys}
    s1 = rbd_fast.analyze(problem, x, y, print_to_console=False, seed=seed)["S1"]
    return dict(zip(keys, (float(v) for v in s1)))


def tornado_spec(df: pd.DataFrame, mean: float, target: Target, top: int = 15, title: str | None = None) -> dict:
    """A Vega-Lite spec of the tornado: the ``top`` largest swings, a bar from measure_low to measure_high
    per input (P10 end and P90 end coloured apart), a rule at the scenario's mean."""
    rows = df[df.swing > 0].head(top)
    data = []
    for r in rows.itertuples():
        lo_label, hi_label = ("P10", "P90") if r.kind == KINDS["uncertain"] else ("ilman / without", "kanssa / with")
        data.append({"input": r.input, "end": lo_label, "from": mean, "to": r.measure_low, "swing": r.swing})
        data.append({"input": r.input, "end": hi_label, "from": mean, "to": r.measure_high, "swing": r.swing})
    order = list(rows.input)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title or f"Herkkyys / sensitivity: {target.label()}",
        "width": 520, "height": max(22 * len(order), 60),
        "layer": [
            {"data": {"values": data}, "mark": {"type": "bar"},
             "encoding": {
                 "y": {"field": "input", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 320}},
                 "x": {"field": "from", "type": "quantitative", "title": target.measure, "scale": {"zero": False},
                       "axis": {"tickCount": 6, "labelOverlap": "greedy"}},
                 "x2": {"field": "to"},
                 "color": {"field": "end", "type": "nominal", "title": None},
                 "tooltip": [{"field": "input"}, {"field": "end"}, {"field": "to", "format": ",.0f"},
                             {"field": "swing", "format": ",.0f"}]}},
            {"data": {"values": [{"mean": mean}]}, "mark": {"type": "rule", "color": "black"},
             "encoding": {"x": {"field": "mean", "type": "quantitative"}}},
        ],
    }


def png(spec: dict) -> bytes:
    """The chart as PNG: vl-convert renders Vega-Lite without a browser (no Chromium, no node)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=2)
