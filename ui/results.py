"""One engine run and the tables the page shows, each computed the first time it is asked for.

A slider change costs one ``engine.simulate``; the page then asks only for what the open view shows
(the KPI cards need the year-end table and the deviations; the margin chart the cumulative margin;
the monthly table only the TMT, labour, comparison and export views), so the engine's tables are
built lazily and kept with the run.

The cumulative margin's P10–P90 cannot be built from the monthly table (percentiles do not add up):
it needs the paths. ``Result.monthly()`` has no year-to-date measure yet, so :func:`cumulative_margin`
reads the monthly revenue and cost paths of ``Result.ledger`` — a workaround until the engine offers
one (e.g. a ``margin_ytd_keur`` measure in ``monthly()``).
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

import engine

UNITS = ("elinvoima", "tyollisyys")
FINANCE_UNITS = UNITS + ("etp",)
STATS = ("mean", "p10", "p50", "p90")

Index = dict  # (year, unit, measure) -> (mean, p10, p50, p90)
Columns = dict  # key -> {"month": [...], "mean": [...], ...}


class Run:
    """A simulated scenario; the tables are built on first use and kept (the run is immutable)."""

    def __init__(self, result: engine.Result):
        self.result = result
        self.draws, self.seed = result.draws, result.seed

    @cached_property
    def year_end(self) -> pd.DataFrame:  # engine contract: scenario, year, unit, measure, mean, p10, p50, p90
        return self.result.year_end()

    @cached_property
    def monthly(self) -> pd.DataFrame:  # scenario, month, unit, measure, mean, p10, p50, p90
        return self.result.monthly()

    @cached_property
    def deviations(self) -> pd.DataFrame:  # scenario, year, unit, driver, label_fi, label_en, mean, p10, p50, p90
        return self.result.deviations()

    @cached_property
    def index(self) -> Index:
        """The year-end table as a dict: one look-up per figure instead of a DataFrame filter."""
        return index(self.year_end)

    @cached_property
    def series(self) -> Columns:
        """(unit, measure) -> the monthly table's columns as lists."""
        return columns(self.monthly, ["unit", "measure"])

    @cached_property
    def dev(self) -> Columns:
        """(year,) -> the deviations table's columns as lists (unit, driver, label_fi, label_en, mean, …)."""
        return columns(self.deviations, ["year"])

    @cached_property
    def cum(self) -> Columns:
        """(unit, year) -> year-to-date margin: month, kind (actual|forecast), mean, p10, p90 (k€)."""
        return cumulative_margin(self.result)

    def tables(self, sid: str) -> dict[str, pd.DataFrame]:
        """The three contract tables with the ``scenario`` column set to ``sid`` (for export)."""
        return {name: getattr(self, name).assign(scenario=sid) for name in ("year_end", "monthly", "deviations")}


def run(baseline: engine.Baseline, scenario: engine.Scenario, draws: int, seed: int) -> Run:
    """Simulate; raises :class:`engine.UserError` for bad draws or seed."""
    return Run(engine.simulate(baseline, scenario, draws=draws, seed=seed))


def index(ye: pd.DataFrame) -> Index:
    keys = zip(ye["year"].astype(int).tolist(), ye["unit"].tolist(), ye["measure"].tolist())
    return dict(zip(keys, map(tuple, ye[list(STATS)].to_numpy().tolist())))


def columns(df: pd.DataFrame, by: list[str]) -> Columns:
    """Each group's other columns as plain lists, rows in table order (one pass, no DataFrame per group)."""
    keys = list(zip(*(df[c].tolist() for c in by)))
    rows: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        rows.setdefault(k, []).append(i)
    data = {c: df[c].tolist() for c in df.columns if c not in by and c != "scenario"}
    return {k: {c: [v[i] for i in idx] for c, v in data.items()} for k, idx in rows.items()}


def h1_actual_margin(baseline: engine.Baseline) -> dict[str, float]:
    """Jan–Jun actual margin per unit and ETP, k€ (revenue − costs; the engine holds costs positive)."""
    from engine.ledger import IS_REVENUE

    out = {}
    for unit in UNITS:
        a = baseline.ledger[unit].actual_h1
        out[unit] = float(a[IS_REVENUE].sum() - a[~IS_REVENUE].sum())
    out["etp"] = out["elinvoima"] + out["tyollisyys"]
    return out


def _actual(baseline: engine.Baseline, unit: str, h1: dict[str, float]) -> dict[str, list]:
    v = h1[unit]
    return {"month": [str(baseline.raw.meta.as_of)], "kind": ["actual"], "mean": [v], "p10": [v], "p90": [v]}


def cumulative_margin(result: engine.Result) -> Columns:
    """Year-to-date margin by month for each unit and ETP: the budget year starts from the Jan–Jun actual
    (a point at the as-of month), later years from zero in January."""
    from engine.result import summarise

    led, grid, baseline = result.ledger, result.grid, result.baseline
    idx = np.flatnonzero(led.forecast_months)
    labels = grid.labels()
    months = [labels[i] for i in idx]
    years = np.asarray(grid.years)[idx]
    margin = led.monthly_revenue[:, idx, :] - led.monthly_costs[:, idx, :]  # (draws, months, units)
    margin = np.concatenate([margin, margin.sum(-1, keepdims=True)], axis=-1)
    h1 = h1_actual_margin(baseline)
    start = np.array([h1[u] for u in FINANCE_UNITS])
    cum = np.empty_like(margin)
    for y in np.unique(years):
        sel = years == y
        offset = start if y == baseline.budget_year else np.zeros_like(start)
        cum[:, sel, :] = np.cumsum(margin[:, sel, :], axis=1) + offset[None, None, :]
    stats = summarise(cum.reshape(cum.shape[0], -1)).reshape(len(idx), len(FINANCE_UNITS), 4)
    out: Columns = {}
    for u, unit in enumerate(FINANCE_UNITS):
        for y in np.unique(years):
            sel = np.flatnonzero(years == y)
            col = {"month": [months[i] for i in sel], "kind": ["forecast"] * len(sel),
                   "mean": stats[sel, u, 0].tolist(), "p10": stats[sel, u, 1].tolist(), "p90": stats[sel, u, 3].tolist()}
            if y == baseline.budget_year:
                a = _actual(baseline, unit, h1)
                col = {k: a[k] + col[k] for k in col}
            out[(unit, int(y))] = col
    return out
