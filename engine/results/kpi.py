"""The KPI figures, as data: the one producer behind the app's KPI cards (``ui/kpi.py``) and the written
report's key figures (``engine/results/report.py``), like the report's "TOIMINTAKATE ENNUSTE −7,7 milj.
euroa (2021: −6,0)".

Per finance unit (the pack's units, then etp) revenue, costs and margin; the TMT (the pack's tmt_unit); the
unemployed, the long-term unemployed and the unemployment rate (lahti, December). Each figure carries
its year-end mean and P10/P50/P90 (from the run's ``year_end`` table), the report-style reference (for
the budget year last year's closed accounts, else the forecast a year before; for the labour market the
as-of month's actual) and the change against the budget (forecast − budget, k€; the TMT over its
appropriation, k€). Callers format; the numbers are made here once.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from engine.load.baseline import Baseline

FINANCE = ("revenue_keur", "costs_keur", "margin_keur")
LABOUR = ("unemployed", "long_term_unemployed", "unemployment_rate_pct")
Index = Mapping  # (year, unit, measure) -> (mean, p10, p50, p90): :func:`year_end_index`


@dataclass(frozen=True)
class KpiFigure:
    """One KPI: ``measure`` (the year_end table's, also its label key) of ``unit`` in ``year``, in the
    measure's own unit (k€, persons, %)."""

    unit: str
    measure: str
    year: int
    mean: float
    p10: float
    p50: float
    p90: float
    reference: float  # last year's closed accounts / the forecast a year before / the as-of actual
    reference_period: str  # '2021' or '6/2022'
    vs_budget_keur: float | None  # forecast − budget (revenue, costs, margin); the TMT over its appropriation
    budget: float | None = None  # the budget's figure (revenue, costs, margin), k€
    p_below_budget: float | None = None  # margin only: P(margin < budget)


def year_end_index(ye: pd.DataFrame) -> dict:
    """The year-end table as a look-up: (year, unit, measure) -> (mean, p10, p50, p90)."""
    keys = zip(ye["year"].astype(int).tolist(), ye["unit"].tolist(), ye["measure"].tolist())
    return dict(zip(keys, map(tuple, ye[["mean", "p10", "p50", "p90"]].to_numpy().tolist())))


def tmt_over_appropriation(dev: pd.DataFrame, year: int) -> float | None:
    """The TMT over its appropriation in ``year``, k€: minus the deviations' ``tmt_over_appropriation``
    driver (its effect on the TMT unit's margin, the only unit it is booked on); None if the table has no such row."""
    d = dev[(dev.year == year) & (dev.driver == "tmt_over_appropriation")]
    return -float(d["mean"].iloc[0]) if len(d) else None


def _mean(ix: Index, year: int, unit: str, measure: str) -> float:
    row = ix.get((int(year), unit, measure))
    return float(row[0]) if row is not None else float("nan")


def kpi_figures(baseline: Baseline, ix: Index, year: int, tmt_over_keur: float | None) -> tuple[KpiFigure, ...]:
    """The KPI figures of ``year`` from the year-end index ``ix`` (:func:`year_end_index`) and the TMT's
    over-appropriation (:func:`tmt_over_appropriation`), in the cards' order."""
    nan = (float("nan"),) * 4
    out = []

    def figure(unit: str, measure: str, ref: float, period: str, vs: float | None, **kw) -> KpiFigure:
        m, p10, p50, p90 = ix.get((int(year), unit, measure), nan)
        return KpiFigure(unit, measure, int(year), m, p10, p50, p90, float(ref), period, vs, **kw)

    for unit in baseline.units + ("etp",):
        members = baseline.units if unit == "etp" else (unit,)
        rev = sum(baseline.ledger[u].revenue_closing_prev for u in members)
        cost = sum(baseline.ledger[u].costs_closing_prev for u in members)
        for measure, closed in (("revenue_keur", rev), ("costs_keur", cost), ("margin_keur", rev - cost)):
            ref = closed if year == baseline.budget_year else _mean(ix, year - 1, unit, measure)
            budget = _mean(ix, year, unit, "budget_" + measure)
            p = _mean(ix, year, unit, "p_below_budget") if measure == "margin_keur" else None
            out.append(figure(unit, measure, ref, str(year - 1), _mean(ix, year, unit, measure) - budget,
                              budget=budget, p_below_budget=p))
    ref = (baseline.tmt.closing_prev_keur if year == baseline.budget_year
           else _mean(ix, year - 1, baseline.tmt_unit, "tmt_cost_keur"))
    out.append(figure(baseline.tmt_unit, "tmt_cost_keur", ref, str(year - 1), tmt_over_keur))
    lab = baseline.labour
    month = str(lab.as_of)
    period = f"{int(month[5:7])}/{month[:4]}"
    for measure in LABOUR:
        out.append(figure("lahti", measure, getattr(lab, measure), period, None))
    return tuple(out)
