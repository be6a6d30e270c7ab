"""Results as tidy tables (mean, P10, P50, P90 over paths); engine.results.output writes them to disk.

Column contract (the CLI and the app rely on it):

* ``year_end``: scenario, year, unit, measure, mean, p10, p50, p90
* ``monthly``:  scenario, month (YYYY-MM), unit, measure, mean, p10, p50, p90
* ``deviations``: scenario, year, unit, driver, label_fi, label_en, mean, p10, p50, p90

Finance units: ``elinvoima``, ``tyollisyys``, ``etp`` (their sum); measures in k€ with costs positive,
and ``budget_*_keur`` the budget (after the budget year indexed by the plan's fixed index: the central
``ledger.index_pct``, the same for every seed and path count). ``p_below_budget`` (a share 0…1, the
same in all four statistic columns) is the probability that the margin (toimintakate, the binding
level) falls short of its budget.
Labour rows use unit ``lahti``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.load.baseline import LINES, UNITS, Baseline
from engine.common.calendar import MonthGrid
from engine.model.ledger import UNEXPLAINED, LedgerForecast
from engine.load.scenario import Scenario

QUANTILES = (0.10, 0.50, 0.90)
STAT_COLUMNS = ("mean", "p10", "p50", "p90")
FINANCE_UNITS = UNITS + ("etp",)


CHUNK_BYTES = 8 * 2**20  # one reused sort buffer: small enough that malloc keeps it (no page faults)


def _order_stats(v: np.ndarray, wanted: Sequence[int]) -> dict[int, np.ndarray]:
    """Order statistics ``wanted`` of each row of ``v`` (rows, n), which it reorders in place.

    Nested single-k partitions from the largest index down: after partitioning at k the row's first
    k entries are its k smallest, so the next (smaller) k partitions only those. The neighbour k+1 is
    the minimum of what lies between k and the previous cut. Exact order statistics, the same values
    a full sort gives, in about two thirds of its time (benchmarks/README.md, percentiles).
    """
    n = v.shape[1]
    found: dict[int, np.ndarray] = {}
    upper = n  # v[:, :upper] holds each row's `upper` smallest values
    for k in sorted(set(wanted), reverse=True):
        if k in found:
            continue
        v[:, :upper].partition(k, axis=1)
        found[k] = v[:, k].copy()
        if k + 1 < n and k + 1 not in found:
            found[k + 1] = v[:, k + 1:upper].min(axis=1) if k + 1 < upper else found[upper]
        upper = k
    return found


def summarise(values: np.ndarray) -> np.ndarray:
    """(draws, k) → (k, 4): mean, P10, P50, P90 along the paths axis.

    Percentiles interpolate linearly between order statistics, as numpy's default method. The series
    are copied a few at a time into one reused buffer with each series' draws contiguous (the
    caller's array is never reordered), then the order statistics come from nested partitions.

    >>> summarise(np.arange(11.0)[:, None]).tolist()
    [[5.0, 1.0, 5.0, 9.0]]
    >>> summarise(np.array([[4.0, 1.0], [1.0, 1.0], [3.0, 1.0], [2.0, 1.0]])).tolist()
    [[2.5, 1.3, 2.5, 3.7], [1.0, 1.0, 1.0, 1.0]]
    """
    x = np.asarray(values, dtype=float)
    x = x.reshape(x.shape[0], -1)
    n, k = x.shape
    plan = []  # (column of out, lo, hi, frac) per quantile
    for j, q in enumerate(QUANTILES, start=1):
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        plan.append((j, lo, min(lo + 1, n - 1), pos - lo))
    out = np.empty((k, 4))
    rows = max(1, min(k, CHUNK_BYTES // (8 * n)))
    buf = np.empty((rows, n))
    for a in range(0, k, rows):
        b = min(a + rows, k)
        v = buf[: b - a]
        v[...] = x[:, a:b].T
        out[a:b, 0] = v.mean(axis=1)
        st = _order_stats(v, [lo for _, lo, _, _ in plan])  # each lo's neighbour lo+1 comes with it
        for j, lo, hi, frac in plan:
            out[a:b, j] = st[lo] + frac * (st[hi] - st[lo])
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
    labour: object | None = None  # engine.model.labour.LabourPaths once the labour model runs

    @property
    def years(self) -> np.ndarray:
        return self.ledger.years

    def _finance_year(self) -> dict[str, np.ndarray]:
        """measure -> (draws, years, finance units) k€."""
        led = self.ledger
        add_etp = lambda a: np.concatenate([a, a.sum(-1, keepdims=True)], axis=-1)  # noqa: E731
        out = {"revenue_keur": add_etp(led.revenue()), "costs_keur": add_etp(led.costs()), "margin_keur": add_etp(led.margin())}
        for i, line in enumerate(LINES):
            out[f"{line}_keur"] = add_etp(led.lines[..., i])
        return out

    def year_end(self) -> pd.DataFrame:
        rows = _Rows()
        sid = self.scenario.id
        fin = self._finance_year()
        led = self.ledger  # its budget: the budget year's, indexed after it
        budget = {"budget_revenue_keur": led.budget_revenue(), "budget_costs_keur": led.budget_costs(),
                  "budget_margin_keur": led.budget_margin()}
        labour = self.labour.year_end_measures(self.grid) if self.labour is not None else {}
        for y, year in enumerate(self.years):
            for measure, arr in fin.items():
                rows.add([(sid, int(year), u, measure) for u in FINANCE_UNITS], arr[:, y, :])
            for measure, arr in budget.items():
                rows.add([(sid, int(year), u, measure) for u in FINANCE_UNITS], np.append(arr[y], arr[y].sum())[None])
            # sitovuustaso: the council binds each unit's toimintakate; the share of paths falling short of it
            short = fin["margin_keur"][:, y, :] < np.append(budget["budget_margin_keur"][y],
                                                            budget["budget_margin_keur"][y].sum())[None]
            rows.add([(sid, int(year), u, "p_below_budget") for u in FINANCE_UNITS], short.mean(0)[None])
            rows.add([(sid, int(year), "tyollisyys", "tmt_cost_keur")], self.ledger.tmt_year[:, y])
            for measure, arr in labour.items():
                rows.add([(sid, int(year), "lahti", measure)], arr[:, y])
        return rows.frame(("scenario", "year", "unit", "measure"))

    def path_measures(self) -> dict[str, tuple[str, ...]]:
        """unit -> the year-end measures :meth:`year_end_paths` gives (the ``year_end`` rows that vary by path)."""
        fin = ("revenue_keur", "costs_keur", "margin_keur") + tuple(f"{line}_keur" for line in LINES)
        out = {u: fin for u in FINANCE_UNITS}
        out["tyollisyys"] = fin + ("tmt_cost_keur",)
        if self.labour is not None:
            out["lahti"] = tuple(self.labour.year_end_measures(self.grid))
        return out

    def year_end_paths(self, measure: str, unit: str, year: int) -> np.ndarray:
        """(draws,) a ``year_end`` row's figure on every path, before the statistics: the same numbers its
        mean and percentiles summarise (for the sensitivity analysis and the goal seek). KeyError if the
        (measure, unit) is not in :meth:`path_measures` or the year not in :attr:`years`."""
        if measure not in self.path_measures().get(unit, ()):
            raise KeyError((measure, unit))
        hits = np.flatnonzero(self.years == year)
        if not len(hits):
            raise KeyError(year)
        y = int(hits[0])
        if unit == "lahti":
            v = self.labour.year_end_measures(self.grid)[measure][:, y]
        elif measure == "tmt_cost_keur":
            v = self.ledger.tmt_year[:, y]
        else:
            v = self._finance_year()[measure][:, y, FINANCE_UNITS.index(unit)]
        return np.broadcast_to(np.asarray(v, dtype=float), (self.draws,))

    def monthly(self) -> pd.DataFrame:
        led = self.ledger
        rows = _Rows()
        sid = self.scenario.id
        months, labels = self._forecast_months()
        rev = led.monthly_revenue[:, months]
        cost = led.monthly_costs[:, months]
        margin = led.monthly_margin(months)
        for measure, per_unit in (("revenue_keur", lambda u: rev[:, :, u]), ("costs_keur", lambda u: cost[:, :, u]),
                                  ("margin_keur", lambda u: margin[:, :, u])):
            unit_series = [per_unit(u) for u in range(len(UNITS))]
            for unit, arr in zip(FINANCE_UNITS, unit_series + [sum(unit_series[1:], unit_series[0])]):
                rows.add([(sid, m, unit, measure) for m in labels], arr)
        self._add_margin_ytd(rows, months, labels, margin)
        rows.add([(sid, m, "tyollisyys", "tmt_cost_keur") for m in labels], led.monthly_tmt[:, months])
        if led.monthly_tmt_bands is not None:
            from engine.model.tmt import BANDS

            for b, band in enumerate(BANDS):
                rows.add([(sid, m, "tyollisyys", f"tmt_cost_{band}_keur") for m in labels],
                         led.monthly_tmt_bands[:, months, b])
        if self.labour is not None:
            for measure, arr in self.labour.monthly_measures().items():
                rows.add([(sid, m, "lahti", measure) for m in labels], arr[:, months])
        df = rows.frame(("scenario", "month", "unit", "measure"))
        order = {m: i for i, m in enumerate(labels)}
        return df.sort_values(["unit", "measure", "month"], key=lambda s: s.map(order) if s.name == "month" else s,
                              kind="stable").reset_index(drop=True)

    def _forecast_months(self) -> tuple[slice, list[str]]:
        """The months after the as-of month to the horizon (a slice keeps every series a view), as labels."""
        idx = np.flatnonzero(self.ledger.forecast_months)
        return slice(idx[0], idx[-1] + 1), [self.grid.labels()[i] for i in idx]

    def margin_ytd(self) -> pd.DataFrame:
        """The ``margin_ytd_keur`` rows of :meth:`monthly` alone (for a chart that needs nothing else)."""
        rows = _Rows()
        months, labels = self._forecast_months()
        self._add_margin_ytd(rows, months, labels, self.ledger.monthly_margin(months))
        return rows.frame(("scenario", "month", "unit", "measure"))

    def _add_margin_ytd(self, rows: "_Rows", months: slice, labels: list[str], margin: np.ndarray) -> None:
        """Toimintakate from January to each forecast month, k€, per finance unit (``margin_ytd_keur``).

        The budget year starts from what is booked up to the as-of month (the baseline's actuals);
        later years from zero in January. Its percentiles need the paths (percentiles do not add up).
        ``margin`` is ``ledger.monthly_margin(months)``, (draws, months, units) k€, which the caller has.
        """
        years = np.asarray(self.grid.years)[months]
        for u, unit in enumerate(FINANCE_UNITS):
            m = margin.sum(-1) if unit == "etp" else margin[:, :, u]
            cum = np.empty_like(m)
            for y in np.unique(years):
                sel = years == y
                start = self.baseline.actual_margin_keur(unit) if y == self.baseline.budget_year else 0.0
                cum[:, sel] = np.cumsum(m[:, sel], axis=1) + start
            rows.add([(self.scenario.id, m_, unit, "margin_ytd_keur") for m_ in labels], cum)

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
                rows.add([(sid, int(year), unit, *UNEXPLAINED)], rest[:, u])
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

