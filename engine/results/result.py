"""Results as tidy tables (mean, P10, P50, P90 over paths); engine.results.output writes them to disk.

Column contract (the CLI and the app rely on it):

* ``year_end``: scenario, year, unit, measure, mean, p10, p50, p90
* ``monthly``:  scenario, month (YYYY-MM), unit, measure, mean, p10, p50, p90
* ``deviations``: scenario, year, unit, driver, label_fi, label_en, mean, p10, p50, p90

Finance units: the period pack's units in its order (the bundled pack: ``elinvoima``, ``tyollisyys``)
and ``etp`` (their sum); the TMT rows on the pack's ``tmt_unit``; measures in k€ with costs positive,
and ``budget_*_keur`` the budget (after the budget year indexed by the plan's fixed index: the central
``ledger.index_pct``, the same for every seed and path count). ``p_below_budget`` (a share 0…1, the
same in all four statistic columns) is the probability that the margin (toimintakate, the binding
level) falls short of its budget.
Labour rows use unit ``lahti``.
"""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.load.baseline import LINES, UNITS, Baseline, added_in_order, costs_of, margin_of, revenue_of
from engine.common.calendar import MonthGrid
from engine.model.ledger import UNEXPLAINED, LedgerForecast
from engine.load.scenario import Scenario

QUANTILES = (0.10, 0.50, 0.90)
STAT_COLUMNS = ("mean", "p10", "p50", "p90")
FINANCE_UNITS = UNITS + ("etp",)  # the bundled pack's; a Result's own are Result.finance_units


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


def summarise(values: np.ndarray, threads: int | None = None) -> np.ndarray:
    """(draws, k) → (k, 4): mean, P10, P50, P90 along the paths axis.

    Percentiles interpolate linearly between order statistics, as numpy's default method. The series
    are copied a few at a time into a reused buffer with each series' draws contiguous (the
    caller's array is never reordered), then the order statistics come from nested partitions (a series
    repeated over a table's rows is summarised once by the table: :class:`_Rows`). Big inputs run on two
    threads (``threads``: unless told), each with its own buffer (numpy's copies, means and partitions
    release the GIL); every series is computed the same way whichever thread takes it, so the figures do
    not depend on the thread count.

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
    spans = [(a, min(a + rows, k)) for a in range(0, k, rows)]
    threads = min(threads or _threads_for(n * k), len(spans))
    _each(lambda part: _summarise_spans(x, out, plan, part), [spans[i::threads] for i in range(threads)])
    return out


def _threads_for(values: int) -> int:
    """Threads for statistics over ``values`` numbers: two from SUMMARISE_THREADED_VALUES on, else one."""
    return SUMMARISE_THREADS if values >= SUMMARISE_THREADED_VALUES else 1


def _each(work, items: list) -> None:
    """``work(item)`` for every item, one thread per item (one item: in this thread). numpy's copies,
    sums and partitions and the compiled bracket pass release the GIL."""
    if len(items) == 1:
        work(items[0])
    else:
        with ThreadPoolExecutor(len(items)) as pool:
            list(pool.map(work, items))


SUMMARISE_THREADS = 2  # the machines this runs on have 2 cores (and the month kernel uses both too)
SUMMARISE_THREADED_VALUES = 4_000_000  # below this a thread costs more than it saves
SUMMARISE_TOGETHER_BYTES = 32 * 2**20  # a table's blocks go to summarise in one call up to this size


TRANSPOSE_BYTES = 160 * 2**10  # what a step of _columns_into copies: (paths × series) doubles in the L2 cache


def _columns_into(v: np.ndarray, x: np.ndarray, a: int) -> None:
    """``v[:] = x[:, a:a + len(v)].T``: series a… of ``x`` (draws, k), each series' draws made contiguous.

    TRANSPOSE_BYTES at a time (256 paths of 78 series, 6 800 of 3): a column read down all the paths at
    once misses the cache on every value (3.3 → 2.1 ns a value at 10 000 paths), and a step of a few
    hundred paths of a narrow block is mostly numpy's call (year-end blocks of 3 series at 100 000 paths:
    0.55 → 0.15 ms each; benchmarks/README.md)."""
    b = a + v.shape[0]
    step = max(1, TRANSPOSE_BYTES // (8 * v.shape[0]))
    for p in range(0, x.shape[0], step):
        v[:, p:p + step] = x[p:p + step, a:b].T


def _summarise_spans(x: np.ndarray, out: np.ndarray, plan, spans) -> None:
    """Fill ``out[a:b]`` for each (a, b) of ``spans`` (see :func:`summarise`), with one buffer."""
    n = x.shape[0]
    buf = np.empty((max(b - a for a, b in spans), n))
    for a, b in spans:
        v = buf[: b - a]
        _columns_into(v, x, a)
        out[a:b, 0] = v.mean(axis=1)
        st = _order_stats(v, [lo for _, lo, _, _ in plan])  # each lo's neighbour lo+1 comes with it
        for j, lo, hi, frac in plan:
            out[a:b, j] = st[lo] + frac * (st[hi] - st[lo])


@dataclass
class _Rows:
    keys: list[tuple] = field(default_factory=list)
    blocks: list[np.ndarray] = field(default_factory=list)  # each (draws, k)
    columns: list[np.ndarray] = field(default_factory=list)  # each (rows,): the block's column of each row

    def add(self, keys: Sequence[tuple], values: np.ndarray, columns: Sequence[int] | None = None) -> None:
        """Rows ``keys`` with the paths' values (draws, k); ``columns``, one per key, says which column of
        ``values`` a row is (default: one each, in order): a series repeated over rows (a ledger rate spread
        over its year's months) is summarised once."""
        values = np.asarray(values, dtype=float)
        values = values.reshape(values.shape[0], -1)
        columns = np.arange(values.shape[1]) if columns is None else np.asarray(columns, dtype=np.int64)
        assert len(columns) == len(keys) and (columns < values.shape[1]).all(), (values.shape, len(keys))
        self.keys.extend(keys)
        self.blocks.append(values)
        self.columns.append(columns)

    def row_index(self, varying: bool) -> np.ndarray:
        """For every row, in order, of the blocks that vary by path (``varying``) or not: its column in
        those blocks' columns laid side by side."""
        out, at = [], 0
        for b, c in zip(self.blocks, self.columns):
            if (b.shape[0] > 1) == varying:
                out.append(c + at)
                at += b.shape[1]
        return np.concatenate(out) if out else np.empty(0, np.int64)

    def frame(self, key_columns: Sequence[str]) -> pd.DataFrame:
        # a block the same on every path (one row) needs no sort: all four statistics are its value; the
        # others go to summarise together while they are small (one call, not one per block: the app's
        # 1 000 paths), one block at a time when big (no copy of them all). A year-end table has ~160
        # blocks: they are placed by one mask over the rows, not a step per block.
        varies = np.repeat([b.shape[0] > 1 for b in self.blocks], [len(c) for c in self.columns])
        stats = np.empty((len(self.keys), 4))
        paths = [b for b in self.blocks if b.shape[0] > 1]
        if paths and sum(b.size for b in paths) * 8 <= SUMMARISE_TOGETHER_BYTES:
            stats[varies] = summarise(np.concatenate(paths, axis=1))[self.row_index(True)]
        elif paths:  # the blocks shared out over the threads (a year-end block alone is too small to share)
            parts: list = [None] * len(paths)
            threads = _threads_for(sum(b.size for b in paths))

            def work(ix):
                for i in ix:
                    parts[i] = summarise(paths[i], threads=1)
            _each(work, [range(t, len(paths), threads) for t in range(threads)])
            stats[varies] = np.concatenate(parts)[self.row_index(True)]
        if not varies.all():
            stats[~varies] = np.concatenate([b[0] for b in self.blocks if b.shape[0] == 1])[self.row_index(False), None]
        return _frame(self.keys, key_columns, stats)


def _with_etp(a: np.ndarray) -> np.ndarray:
    """(…, units) → (…, units + 1): the units, then etp, their sum added unit by unit in the pack's order
    (:func:`engine.load.baseline.added_in_order`). A unit's column is copied at a time: a copy of the
    whole short last axis loops per row (9.2 → 3.6 ms at 100 000 paths × 7 years × 2 units)."""
    units = a.shape[-1]
    out = np.empty(a.shape[:-1] + (units + 1,))
    for u in range(units):
        out[..., u] = a[..., u]
    added_in_order(a, range(units), out=out[..., -1])
    return out


def _frame(keys: list[tuple], key_columns: Sequence[str], stats: np.ndarray) -> pd.DataFrame:
    """The table: key columns from ``keys`` (a tuple per row), then mean, p10, p50, p90 from ``stats``
    (rows, 4); built in one call (a column added at a time cost the app ~2 ms each)."""
    cols = dict(zip(key_columns, (list(c) for c in zip(*keys)))) if keys else {c: [] for c in key_columns}
    cols.update({c: stats[:, j] for j, c in enumerate(STAT_COLUMNS)})
    return pd.DataFrame(cols)


YEAR_END_KEYS = ("scenario", "year", "unit", "measure")
MONTHLY_KEYS = ("scenario", "month", "unit", "measure")
DEVIATION_KEYS = ("scenario", "year", "unit", "driver", "label_fi", "label_en")


def _sort_monthly(df: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    order = {m: i for i, m in enumerate(labels)}
    return df.sort_values(["unit", "measure", "month"], key=lambda s: s.map(order) if s.name == "month" else s,
                          kind="stable").reset_index(drop=True)


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
        # the ledger's lines with each line's figures contiguous (one pass over them), so that every sum and
        # copy below reads a line as one run instead of a value every len(LINES) (100 000 paths: 14 → 3.5 ms
        # a line); the same values, so the same sums (revenue_of, costs_of and margin_of are the ledger's)
        lines = np.moveaxis(np.moveaxis(self.ledger.lines, -1, 0).copy(), 0, -1)
        out = {"revenue_keur": _with_etp(revenue_of(lines)), "costs_keur": _with_etp(costs_of(lines)),
               "margin_keur": _with_etp(margin_of(lines))}
        for i, line in enumerate(LINES):
            out[f"{line}_keur"] = _with_etp(lines[..., i])
        return out

    @property
    def finance_units(self) -> tuple[str, ...]:
        """The baseline's units in the pack's order, then ``etp`` (their sum)."""
        return self.baseline.units + ("etp",)

    def year_end(self) -> pd.DataFrame:
        return self._year_end_rows().frame(YEAR_END_KEYS)

    def _year_end_rows(self) -> "_Rows":
        rows = _Rows()
        sid = self.scenario.id
        fin = self._finance_year()
        led = self.ledger  # its budget: the budget year's, indexed after it
        budget = {"budget_revenue_keur": led.budget_revenue(), "budget_costs_keur": led.budget_costs(),
                  "budget_margin_keur": led.budget_margin()}
        labour = self.labour.year_end_measures(self.grid) if self.labour is not None else {}
        for y, year in enumerate(self.years):
            for measure, arr in fin.items():
                rows.add([(sid, int(year), u, measure) for u in self.finance_units], arr[:, y, :])
            for measure, arr in budget.items():
                rows.add([(sid, int(year), u, measure) for u in self.finance_units], np.append(arr[y], arr[y].sum())[None])
            # sitovuustaso: the council binds each unit's toimintakate; the share of paths falling short of it
            short = fin["margin_keur"][:, y, :] < np.append(budget["budget_margin_keur"][y],
                                                            budget["budget_margin_keur"][y].sum())[None]
            rows.add([(sid, int(year), u, "p_below_budget") for u in self.finance_units], short.mean(0)[None])
            rows.add([(sid, int(year), self.baseline.tmt_unit, "tmt_cost_keur")], self.ledger.tmt_year[:, y])
            for measure, arr in labour.items():
                rows.add([(sid, int(year), "lahti", measure)], arr[:, y])
        return rows

    def path_measures(self) -> dict[str, tuple[str, ...]]:
        """unit -> the year-end measures :meth:`year_end_paths` gives (the ``year_end`` rows that vary by path)."""
        fin = ("revenue_keur", "costs_keur", "margin_keur") + tuple(f"{line}_keur" for line in LINES)
        out = {u: fin for u in self.finance_units}
        out[self.baseline.tmt_unit] = fin + ("tmt_cost_keur",)
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
            v = self._finance_year()[measure][:, y, self.finance_units.index(unit)]
        return np.broadcast_to(np.asarray(v, dtype=float), (self.draws,))

    def monthly(self) -> pd.DataFrame:
        return _sort_monthly(self._monthly_rows().frame(MONTHLY_KEYS), self._forecast_months()[1])

    def _monthly_rows(self) -> "_Rows":
        led = self.ledger
        rows = _Rows()
        sid = self.scenario.id
        months, labels = self._forecast_months()
        # each forecast month's year as a column of a spread series' per-year values (led.years[first:])
        year_of = np.searchsorted(led.years, led.month_years[months])
        first = int(year_of[0])
        year_of -= first
        margin = led.monthly_margin(months)
        monthly = {"revenue": lambda u: led.monthly_revenue_of(u)[:, months],
                   "costs": lambda u: led.monthly_costs_of(u)[:, months], "margin": lambda u: margin[:, :, u]}
        for side in ("revenue", "costs", "margin"):
            measure, rates = f"{side}_keur", led.year_rates(side)[:, first:]
            # a spread side is summarised once a year (its months repeat the year's value), the rest by month
            spread = [led.is_spread(u, side) for u in range(len(self.baseline.units))]
            series = [rates[:, :, u] if s else monthly[side](u) for u, s in enumerate(spread)]
            # etp, the units added in their order: a year at a time if every unit is spread (the same
            # numbers a month at a time), else by month with the spread units' years laid out as months
            parts = series if all(spread) else [x[:, year_of] if s else x for x, s in zip(series, spread)]
            series.append(sum(parts[1:], parts[0]))
            for unit, x, s in zip(self.finance_units, series, spread + [all(spread)]):
                rows.add([(sid, m, unit, measure) for m in labels], x, year_of if s else None)
        self._add_margin_ytd(rows, months, labels, margin)
        rows.add([(sid, m, self.baseline.tmt_unit, "tmt_cost_keur") for m in labels], led.monthly_tmt[:, months])
        if led.monthly_tmt_bands is not None:
            from engine.model.tmt import BANDS

            for b, band in enumerate(BANDS):
                rows.add([(sid, m, self.baseline.tmt_unit, f"tmt_cost_{band}_keur") for m in labels],
                         led.monthly_tmt_bands[:, months, b])
        if self.labour is not None:
            for measure, arr in self.labour.monthly_measures().items():
                rows.add([(sid, m, "lahti", measure) for m in labels], arr[:, months])
        return rows

    def _forecast_months(self) -> tuple[slice, list[str]]:
        """The months after the as-of month to the horizon (a slice keeps every series a view), as labels."""
        idx = np.flatnonzero(self.ledger.forecast_months)
        labels = self.grid.labels()  # once: a list of every grid month
        return slice(idx[0], idx[-1] + 1), [labels[i] for i in idx]

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
        from engine.results.cumulative import year_to_date  # numba: loaded with the first run's kernel anyway

        years = np.asarray(self.grid.years)[months]
        runs = [np.flatnonzero(years == y) for y in np.unique(years)]  # a year's months are a run
        start = [[self.baseline.actual_margin_keur(u) if years[r[0]] == self.baseline.budget_year else 0.0
                  for u in self.finance_units] for r in runs]
        cum = year_to_date(margin, [r[0] for r in runs], [r[-1] + 1 for r in runs], start)
        for u, unit in enumerate(self.finance_units):
            rows.add([(self.scenario.id, m_, unit, "margin_ytd_keur") for m_ in labels], cum[:, :, u])

    def deviations(self) -> pd.DataFrame:
        """Year-end margin minus budget per unit, split into named drivers and the unexplained rest."""
        return self._deviations_rows().frame(DEVIATION_KEYS)

    def _deviations_rows(self) -> "_Rows":
        led = self.ledger
        rows = _Rows()
        sid = self.scenario.id
        margin = led.margin()  # (draws, years, units)
        budget_margin = led.budget_margin()  # (years, units)
        for y, year in enumerate(self.years):
            per_unit_total = margin[:, y, :] - budget_margin[y][None, :]  # (draws, units)
            explained = np.zeros_like(per_unit_total)
            for u, unit in enumerate(self.baseline.units):
                for d in led.drivers:
                    if d.unit == unit and d.year == year:
                        rows.add([(sid, int(year), unit, d.id, d.label_fi, d.label_en)], d.margin_keur)
                        explained[:, u] += d.margin_keur
            rest = per_unit_total - explained
            for u, unit in enumerate(self.baseline.units):
                rows.add([(sid, int(year), unit, *UNEXPLAINED)], rest[:, u])
            for u, unit in enumerate(self.finance_units):
                if unit == "etp":
                    tot, bud, fc = per_unit_total.sum(1), budget_margin[y].sum(), margin[:, y, :].sum(1)
                else:
                    tot, bud, fc = per_unit_total[:, u], budget_margin[y, u], margin[:, y, u]
                rows.add([(sid, int(year), unit, "budget_margin", "Toimintakate, talousarvio", "Margin, budget")],
                         np.full((1, 1), bud))
                rows.add([(sid, int(year), unit, "forecast_margin", "Toimintakate, ennuste", "Margin, forecast")], fc)
                rows.add([(sid, int(year), unit, "total_deviation", "Poikkeama yhteensä", "Deviation, total")], tot)
        return rows



# ------------------------------------------------------------------------------------- runs in chunks of paths
BRACKET_SE = 8.0  # a chunk-0 bracket spans ± this many standard errors of a sample quantile


class _ChunkStats:
    """Mean and exact P10/P50/P90 of k series over the chunks of one run, without keeping every path.

    The first chunk (n0 paths) brackets each percentile: its order statistics at q ± δ, with
    δ = 8·√(q(1−q)/n0) + 1/n0 in probability (8 standard errors of a sample quantile, so the run's
    percentile falls outside with odds below 1e-14). Every chunk then adds, per series and bracket
    [lo, hi], the count of values below lo, of values equal to lo and to hi, and keeps the values
    strictly between; at the end the run's order statistics are read off these (ties need no storage).
    The values are the paths' own float64 numbers and the interpolation the same expression as
    :func:`summarise`, so the percentiles are those of one unchunked run bit for bit. The mean is the sum
    of the chunks' sums over all paths: equal to an unchunked run's within rounding (~1e-16 relative).
    A percentile outside its bracket (not expected) raises rather than return an inexact figure.
    """

    def __init__(self, k: int):
        self.k, self.n, self.first = k, 0, None
        self.sum = np.zeros(k)
        self.nonzero = np.zeros(k, bool)

    def _bracket(self, v: np.ndarray, a: int, b: int) -> None:
        n0 = v.shape[1]
        if self.first is None:
            nq = len(QUANTILES)
            self.first = {"lo": np.empty((nq, self.k)), "hi": np.empty((nq, self.k)),
                          "below": np.zeros((nq, self.k), np.int64), "eq_lo": np.zeros((nq, self.k), np.int64),
                          "eq_hi": np.zeros((nq, self.k), np.int64),
                          "between": [[[] for _ in range(self.k)] for _ in QUANTILES]}
        ranks = []
        for q in QUANTILES:
            d = BRACKET_SE * np.sqrt(q * (1.0 - q) / n0) + 1.0 / n0
            ranks.append((max(0, int(np.floor((q - d) * (n0 - 1)))), min(n0 - 1, int(np.ceil((q + d) * (n0 - 1))))))
        st = _order_stats(v.copy(), [r for pair in ranks for r in pair])
        for i, (lo, hi) in enumerate(ranks):
            self.first["lo"][i, a:b] = st[lo]
            self.first["hi"][i, a:b] = st[hi]

    def add(self, x: np.ndarray) -> None:
        """x: (n, k) one chunk's paths."""
        from engine.results.select import bracket_pass  # numba loads with the first chunked run

        n = x.shape[0]
        rows = max(1, min(self.k, CHUNK_BYTES // (8 * n)))
        buf = np.empty((rows, n))
        first = self.n == 0
        for a in range(0, self.k, rows):
            b = min(a + rows, self.k)
            v = buf[: b - a]
            _columns_into(v, x, a)
            self.sum[a:b] += v.sum(axis=1)
            unknown = np.flatnonzero(~self.nonzero[a:b])  # a series seen non-zero once stays so: not counted again
            if len(unknown):
                self.nonzero[a + unknown] = np.count_nonzero(v[unknown], axis=1) > 0
            if first:
                self._bracket(v, a, b)
            f = self.first
            flat, offsets = bracket_pass(v, a, f["lo"], f["hi"], f["below"], f["eq_lo"], f["eq_hi"])
            for c in np.flatnonzero(np.diff(offsets)):  # lo < value < hi: a few per cent of the paths
                i, r = divmod(int(c), b - a)
                f["between"][i][a + r].append(flat[offsets[c]:offsets[c + 1]])
        self.n += n

    def stats(self) -> np.ndarray:
        """(k, 4): mean, P10, P50, P90."""
        n, f = self.n, self.first
        out = np.empty((self.k, 4))
        out[:, 0] = self.sum / n
        for i, q in enumerate(QUANTILES):
            pos = q * (n - 1)
            lo_r = int(np.floor(pos))
            hi_r, frac = min(lo_r + 1, n - 1), pos - lo_r
            for c in range(self.k):
                vals = np.sort(np.concatenate(f["between"][i][c])) if f["between"][i][c] else np.empty(0)
                below, eq, lo, hi = f["below"][i, c], f["eq_lo"][i, c], f["lo"][i, c], f["hi"][i, c]
                n_hi = f["eq_hi"][i, c]

                def at(r):
                    j = r - below
                    if 0 <= j < eq:
                        return lo
                    j -= eq
                    if 0 <= j < len(vals):
                        return vals[j]
                    if 0 <= j - len(vals) < n_hi:
                        return hi
                    raise RuntimeError(f"percentile {q:.0%} fell outside its bracket in a chunked run; "
                                       f"run at most {CHUNK_PATHS} draws")
                st_lo, st_hi = at(lo_r), at(hi_r)
                out[c, i + 1] = st_lo + frac * (st_hi - st_lo)
        return out


class _ChunkRows:
    """The rows of one table over the chunks of a run: each chunk's :class:`_Rows` (the same keys in the
    same order every chunk), their statistics as one unchunked run's (see :class:`_ChunkStats`)."""

    def __init__(self):
        self.keys, self.columns, self.blocks, self.n = None, None, [], 0

    def add(self, rows: _Rows) -> None:
        n = max(b.shape[0] for b in rows.blocks)
        if self.keys is None:
            self.keys, self.columns = list(rows.keys), rows.columns
            self.blocks = [["one", b[0].copy(), None] if b.shape[0] == 1 else ["paths", _ChunkStats(b.shape[1]), None]
                           for b in rows.blocks]
        elif rows.keys != self.keys:
            raise RuntimeError("the chunks of one run made different table rows")
        varying = []
        for blk, b in zip(self.blocks, rows.blocks):
            if blk[0] == "paths":
                varying.append((blk[1], b))
            elif blk[2] is not None or not np.array_equal(b[0], blk[1]):  # a share of paths (p_below_budget)
                blk[2] = (blk[1] * self.n if blk[2] is None else blk[2]) + b[0] * n
        # each series' statistics on one thread, in chunk order: the same figures whatever the threads
        threads = _threads_for(n * sum(b.shape[1] for _, b in varying))
        _each(lambda part: [stats.add(b) for stats, b in part], [varying[i::threads] for i in range(threads)])
        self.n += n

    def frame(self, key_columns: Sequence[str], drop_zero=None) -> pd.DataFrame:
        """``drop_zero(key)``: True for a row to leave out when every path of every chunk was zero."""
        stats, keep = [], []
        for blk, columns in zip(self.blocks, self.columns):
            if blk[0] == "paths":
                stats.append(blk[1].stats()[columns])
                keep.append(blk[1].nonzero[columns])
            else:
                v = (blk[1] if blk[2] is None else blk[2] / self.n)[columns]
                stats.append(np.repeat(v[:, None], 4, axis=1))
                keep.append(v != 0)
        stats, keep = np.concatenate(stats), np.concatenate(keep)
        rows = [i for i, key in enumerate(self.keys) if keep[i] or drop_zero is None or not drop_zero(key)]
        return _frame([self.keys[i] for i in rows], key_columns, stats[rows])


CHUNK_PATHS = 25_000  # paths a run holds in memory at once; bigger runs go in chunks (engine.pipeline)


@dataclass(frozen=True)
class ChunkedResult:
    """A run of more than :data:`CHUNK_PATHS` paths, simulated in chunks: the three tables (as
    :class:`Result`'s, percentiles exact: see :class:`_ChunkStats`), not the paths themselves."""

    scenario: Scenario
    baseline: Baseline
    draws: int
    seed: int
    grid: MonthGrid
    years: np.ndarray
    tables: dict

    @classmethod
    def collect(cls, chunks, each=None) -> "ChunkedResult":
        """Tables of the :class:`Result` chunks of one run, in path order; ``each(chunk)`` is called on
        every chunk first (e.g. to keep a few per-path measures)."""
        acc = {"year_end": _ChunkRows(), "monthly": _ChunkRows(), "deviations": _ChunkRows()}
        first = None  # what the result keeps of the first chunk (not its paths: a chunk is let go when done)
        for part in chunks:
            if each is not None:
                each(part)
            if first is None:
                first = dict(scenario=part.scenario, baseline=part.baseline, seed=part.seed, grid=part.grid,
                             years=part.years, labels=part._forecast_months()[1])
            acc["year_end"].add(part._year_end_rows())
            acc["monthly"].add(part._monthly_rows())
            acc["deviations"].add(part._deviations_rows())
            del part
        from engine.model.ledger import FLOOR_DRIVER

        labels = first.pop("labels")
        monthly = acc["monthly"].frame(MONTHLY_KEYS)
        tables = {"year_end": acc["year_end"].frame(YEAR_END_KEYS),
                  "monthly": _sort_monthly(monthly, labels),
                  "deviations": acc["deviations"].frame(DEVIATION_KEYS, drop_zero=lambda key: key[3] == FLOOR_DRIVER[0]),
                  # in Result.margin_ytd's order (by unit, then month), which the monthly sort changes
                  "margin_ytd": monthly[monthly["measure"] == "margin_ytd_keur"].reset_index(drop=True)}
        return cls(draws=acc["year_end"].n, tables=tables, **first)

    def year_end(self) -> pd.DataFrame:
        return self.tables["year_end"].copy()

    def monthly(self) -> pd.DataFrame:
        return self.tables["monthly"].copy()

    def deviations(self) -> pd.DataFrame:
        return self.tables["deviations"].copy()

    def margin_ytd(self) -> pd.DataFrame:
        return self.tables["margin_ytd"].copy()
