"""One engine run and the tables the page shows, each computed the first time it is asked for.

A slider change costs one ``engine.simulate``; the page then asks only for what the open view shows
(the KPI cards need the year-end table and the deviations; the margin chart the cumulative margin;
the monthly table only the TMT, labour, comparison and export views), so the engine's tables are
built lazily and kept with the run.

The cumulative margin comes from the engine's ``margin_ytd_keur`` monthly measure (its P10–P90 needs
the paths, so the engine makes it; percentiles do not add up).
"""
from __future__ import annotations

from functools import cached_property

import pandas as pd

import engine


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
        return cumulative_margin(columns(self.result.margin_ytd(), ["unit", "measure"]), self.result.baseline)

    def tables(self, sid: str) -> dict[str, pd.DataFrame]:
        """The three contract tables with the ``scenario`` column set to ``sid`` (for export)."""
        return {name: getattr(self, name).assign(scenario=sid) for name in ("year_end", "monthly", "deviations")}


def run(baseline: engine.Baseline, scenario: engine.Scenario, draws: int, seed: int) -> Run:
    """Simulate; raises :class:`engine.UserError` for bad draws or seed."""
    return Run(engine.simulate(baseline, scenario, draws=draws, seed=seed))


def index(ye: pd.DataFrame) -> Index:
    keys = zip(ye["year"].astype(int).tolist(), ye["unit"].tolist(), ye["measure"].tolist())
    return dict(zip(keys, map(tuple, ye[list(engine.STAT_COLUMNS)].to_numpy().tolist())))


def columns(df: pd.DataFrame, by: list[str]) -> Columns:
    """Each group's other columns as plain lists, rows in table order (one pass, no DataFrame per group)."""
    keys = list(zip(*(df[c].tolist() for c in by)))
    rows: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        rows.setdefault(k, []).append(i)
    data = {c: df[c].tolist() for c in df.columns if c not in by and c != "scenario"}
    return {k: {c: [v[i] for i in idx] for c, v in data.items()} for k, idx in rows.items()}


def cumulative_margin(series: Columns, baseline: engine.Baseline) -> Columns:
    """(unit, year) -> year-to-date margin by month (the engine's ``margin_ytd_keur``), the budget year
    led by its actual at the as-of month (a point of kind ``actual``)."""
    out: Columns = {}
    as_of = str(baseline.as_of)
    for unit in baseline.units + ("etp",):
        s = series[(unit, "margin_ytd_keur")]
        years = [int(m[:4]) for m in s["month"]]
        for y in sorted(set(years)):
            sel = [i for i, yy in enumerate(years) if yy == y]
            col = {"month": [s["month"][i] for i in sel], "kind": ["forecast"] * len(sel),
                   **{k: [s[k][i] for i in sel] for k in ("mean", "p10", "p90")}}
            if y == baseline.budget_year:
                v = baseline.actual_margin_keur(unit)
                col = {"month": [as_of] + col["month"], "kind": ["actual"] + col["kind"],
                       **{k: [v] + col[k] for k in ("mean", "p10", "p90")}}
            out[(unit, y)] = col
    return out
