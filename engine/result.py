"""Results as tidy tables (mean, P10, P50, P90 over paths) and their atomic writing to disk.

Column contract (the CLI and the app rely on it):

* ``year_end``: scenario, year, unit, measure, mean, p10, p50, p90
* ``monthly``:  scenario, month (YYYY-MM), unit, measure, mean, p10, p50, p90
* ``deviations``: scenario, year, unit, driver, label_fi, label_en, mean, p10, p50, p90

Finance units: ``elinvoima``, ``tyollisyys``, ``etp`` (their sum); measures in k€ with costs positive,
and ``budget_*_keur`` the budget (indexed by ``ledger.index_pct`` after the budget year).
Labour rows use unit ``lahti``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .baseline import LINES, UNITS, Baseline
from .calendar import MonthGrid
from .ledger import IS_REVENUE, LedgerForecast
from .scenario import Scenario

QUANTILES = (0.10, 0.50, 0.90)
STAT_COLUMNS = ("mean", "p10", "p50", "p90")
FINANCE_UNITS = UNITS + ("etp",)


def summarise(values: np.ndarray) -> np.ndarray:
    """(draws, k) → (k, 4): mean, P10, P50, P90 along the paths axis.

    Percentiles interpolate linearly between order statistics, as numpy's default method. One sort
    serves all three, done on a transposed copy so that each series' draws are contiguous (several
    times faster than sorting down the columns, or np.percentile).

    >>> summarise(np.arange(11.0)[:, None]).tolist()
    [[5.0, 1.0, 5.0, 9.0]]
    """
    x = np.asarray(values, dtype=float)
    x = x.reshape(x.shape[0], -1)
    n = x.shape[0]
    s = np.array(x.T, order="C")  # (k, draws); always a copy: a (draws, 1) input's .T is already contiguous
    # and ascontiguousarray would hand back a view, so the sort would reorder the caller's paths
    s.sort(axis=1)
    out = np.empty((x.shape[1], 4))
    out[:, 0] = x.mean(axis=0)
    for j, q in enumerate(QUANTILES, start=1):
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        frac = pos - lo
        out[:, j] = s[:, lo] + frac * (s[:, hi] - s[:, lo])
    return out


@dataclass
class _Rows:
    keys: list[tuple] = field(default_factory=list)
    blocks: list[np.ndarray] = field(default_factory=list)  # each (draws, k)

    def add(self, keys: Sequence[tuple], values: np.ndarray) -> None:
        values = np.asarray(values, dtype=float)
        values = values.reshape(values.shape[0], -1)
        assert values.shape[1] == len(keys), (values.shape, len(keys))
        self.keys.extend(keys)
        self.blocks.append(values)

    def frame(self, key_columns: Sequence[str]) -> pd.DataFrame:
        # a block the same on every path (one row) needs no sort: all four statistics are its value
        stats = np.concatenate([np.repeat(b.T, 4, axis=1) if b.shape[0] == 1 else summarise(b) for b in self.blocks])
        df = pd.DataFrame(self.keys, columns=list(key_columns))
        for j, c in enumerate(STAT_COLUMNS):
            df[c] = stats[:, j]
        return df


@dataclass(frozen=True)
class Result:
    """One scenario's simulated paths. Tables are built on demand."""

    scenario: Scenario
    baseline: Baseline
    draws: int
    seed: int
    grid: MonthGrid
    ledger: LedgerForecast
    labour: object | None = None  # engine.labour.LabourPaths once the labour model runs

    @property
    def years(self) -> np.ndarray:
        return self.ledger.years

    def _finance_year(self) -> dict[str, np.ndarray]:
        """measure -> (draws, years, finance units) k€."""
        led = self.ledger
        rev, cost = led.revenue(), led.costs()
        add_etp = lambda a: np.concatenate([a, a.sum(-1, keepdims=True)], axis=-1)  # noqa: E731
        out = {"revenue_keur": add_etp(rev), "costs_keur": add_etp(cost), "margin_keur": add_etp(rev - cost)}
        for i, line in enumerate(LINES):
            out[f"{line}_keur"] = add_etp(led.lines[..., i])
        return out

    def year_end(self) -> pd.DataFrame:
        rows = _Rows()
        sid = self.scenario.id
        fin = self._finance_year()
        b = self.ledger.budget  # (years, units, lines): the budget year's budget, indexed after it
        b_rev, b_cost = b[..., IS_REVENUE].sum(-1), b[..., ~IS_REVENUE].sum(-1)
        budget = {"budget_revenue_keur": b_rev, "budget_costs_keur": b_cost, "budget_margin_keur": b_rev - b_cost}
        for y, year in enumerate(self.years):
            for measure, arr in fin.items():
                rows.add([(sid, int(year), u, measure) for u in FINANCE_UNITS], arr[:, y, :])
            for measure, arr in budget.items():
                rows.add([(sid, int(year), u, measure) for u in FINANCE_UNITS], np.append(arr[y], arr[y].sum())[None])
            rows.add([(sid, int(year), "tyollisyys", "tmt_cost_keur")], self.ledger.tmt_year[:, y])
            if self.labour is not None:
                for measure, arr in self.labour.year_end_measures(self.grid).items():
                    rows.add([(sid, int(year), "lahti", measure)], arr[:, y])
        return rows.frame(("scenario", "year", "unit", "measure"))

    def monthly(self) -> pd.DataFrame:
        led = self.ledger
        rows = _Rows()
        sid = self.scenario.id
        idx = np.flatnonzero(led.forecast_months)
        labels = [self.grid.labels()[i] for i in idx]
        rev = led.monthly_revenue[:, idx]
        cost = led.monthly_costs[:, idx]
        with_etp = lambda a: np.concatenate([a, a.sum(-1, keepdims=True)], axis=-1)  # noqa: E731
        series = {"revenue_keur": with_etp(rev), "costs_keur": with_etp(cost), "margin_keur": with_etp(rev - cost)}
        for measure, arr in series.items():
            for u, unit in enumerate(FINANCE_UNITS):
                rows.add([(sid, m, unit, measure) for m in labels], arr[:, :, u])
        rows.add([(sid, m, "tyollisyys", "tmt_cost_keur") for m in labels], led.monthly_tmt[:, idx])
        if led.monthly_tmt_bands is not None:
            from .tmt import BANDS

            for b, band in enumerate(BANDS):
                rows.add([(sid, m, "tyollisyys", f"tmt_cost_{band}_keur") for m in labels], led.monthly_tmt_bands[:, idx, b])
        if self.labour is not None:
            for measure, arr in self.labour.monthly_measures().items():
                rows.add([(sid, m, "lahti", measure) for m in labels], arr[:, idx])
        df = rows.frame(("scenario", "month", "unit", "measure"))
        order = {m: i for i, m in enumerate(labels)}
        return df.sort_values(["unit", "measure", "month"], key=lambda s: s.map(order) if s.name == "month" else s,
                              kind="stable").reset_index(drop=True)

    def deviations(self) -> pd.DataFrame:
        """Year-end margin minus budget per unit, split into named drivers and the unexplained rest."""
        led = self.ledger
        rows = _Rows()
        sid = self.scenario.id
        margin = led.margin()  # (draws, years, units)
        budget_margin = led.budget_margin()  # (years, units)
        for y, year in enumerate(self.years):
            per_unit_total = margin[:, y, :] - budget_margin[y][None, :]  # (draws, units)
            explained = np.zeros_like(per_unit_total)
            for u, unit in enumerate(UNITS):
                for d in led.drivers:
                    if d.unit == unit and d.year == year:
                        rows.add([(sid, int(year), unit, d.id, d.label_fi, d.label_en)], d.margin_keur)
                        explained[:, u] += d.margin_keur
            rest = per_unit_total - explained
            for u, unit in enumerate(UNITS):
                rows.add([(sid, int(year), unit, "unexplained", "Selittämätön (estimaattorin ero talousarviosta)",
                           "Unexplained (estimator vs budget)")], rest[:, u])
            for u, unit in enumerate(FINANCE_UNITS):
                if unit == "etp":
                    tot, bud, fc = per_unit_total.sum(1), budget_margin[y].sum(), margin[:, y, :].sum(1)
                else:
                    tot, bud, fc = per_unit_total[:, u], budget_margin[y, u], margin[:, y, u]
                rows.add([(sid, int(year), unit, "budget_margin", "Toimintakate, talousarvio", "Margin, budget")],
                         np.full((1, 1), bud))
                rows.add([(sid, int(year), unit, "forecast_margin", "Toimintakate, ennuste", "Margin, forecast")], fc)
                rows.add([(sid, int(year), unit, "total_deviation", "Poikkeama yhteensä", "Deviation, total")], tot)
        return rows.frame(("scenario", "year", "unit", "driver", "label_fi", "label_en"))


def write_tables(tables: dict[str, pd.DataFrame], out_dir: str | Path, fmt: str = "csv") -> Path:
    """Write ``name.csv`` (or ``.parquet``) for each table into ``out_dir`` atomically.

    Everything goes to a temporary sibling folder first, which then replaces ``out_dir`` in one
    rename: an error or an interrupt leaves either the old folder or the new one, never half of one.
    """
    out = Path(out_dir)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for name, df in tables.items():
            if fmt == "parquet":
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            else:
                df.to_csv(tmp / f"{name}.csv", index=False, float_format="%.6g")
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def combine(results: Iterable[Result]) -> dict[str, pd.DataFrame]:
    results = list(results)
    return {
        "year_end": pd.concat([r.year_end() for r in results], ignore_index=True),
        "monthly": pd.concat([r.monthly() for r in results], ignore_index=True),
        "deviations": pd.concat([r.deviations() for r in results], ignore_index=True),
    }
