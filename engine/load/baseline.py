"""The baseline: one period's figures (a period pack) as validated data, whatever the pack's source.

A period pack (engine.load.period: an ``.xlsx`` workbook or a folder of CSV files) is checked table by
table there — structure, signs (revenue ≥ 0, costs ≤ 0 as printed), lines summing to their totals
within 1 k€, months, units — and arrives here as a :class:`Baseline`. ``load_baseline()`` reads the
bundled Lahti Jan–Jun 2022 pack (``engine/data/period_lahti_2022_06/``) through the same loader.
Inside the engine costs are held as positive magnitudes (``costs_keur``), as the CLI and CSVs show them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import Field

from engine.common.calendar import YEAR_MONTH_PATTERN, parse_month
from engine.common.types import Strict

UNITS = ("elinvoima", "tyollisyys")  # the bundled pack's units; a Baseline's own are Baseline.units
UNIT_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"  # a unit's code: lower-case letters, digits and _
REVENUE_LINES = ("sales", "grants_received")
COST_LINES = ("staff", "purchased_services", "materials", "grants_paid", "other")
LINES = REVENUE_LINES + COST_LINES
IS_REVENUE = np.array([ln in REVENUE_LINES for ln in LINES])  # (lines,) bool: revenue lines, the rest costs


def revenue_of(lines: np.ndarray) -> np.ndarray:
    """Revenue, k€: (…, lines) → (…), the revenue lines added in their order."""
    return added_in_order(lines, _REVENUE_AT)


def costs_of(lines: np.ndarray) -> np.ndarray:
    """Costs, k€: (…, lines) → (…), the cost lines added in their order."""
    return added_in_order(lines, _COSTS_AT)


def margin_of(lines: np.ndarray) -> np.ndarray:
    """Toimintakate (margin), revenue − costs, k€: (…, lines) → (…). The one place it is computed."""
    return revenue_of(lines) - costs_of(lines)


_REVENUE_AT, _COSTS_AT = np.flatnonzero(IS_REVENUE), np.flatnonzero(~IS_REVENUE)


def added_in_order(values: np.ndarray, at, out: np.ndarray | None = None) -> np.ndarray:
    """values[..., at[0]] + values[..., at[1]] + …, left to right, into ``out`` if given: the numbers
    ``values[..., at].sum(-1)`` gives (numpy adds fewer than 8 numbers in order; tests/test_invariants),
    without its cost of a loop per row on a short last axis (~11 ns a value; a (P, years, units) column
    costs ~1). The lines of revenue and costs; the units of etp (engine.results.result)."""
    if len(at) > 1:  # a new array (a numpy scalar for one row of lines, as before) unless ``out`` is given
        out = np.add(values[..., at[0]], values[..., at[1]], out=out)
    elif out is None:
        out = values[..., at[0]].copy()
    else:
        np.copyto(out, values[..., at[0]])
    for i in at[2:]:
        out += values[..., i]
    return out


LINE_NAMES = {
    "sales": ("Myyntituotot", "Sales"),
    "grants_received": ("Tuet ja avustukset", "Grants received"),
    "staff": ("Henkilöstökulut", "Staff costs"),
    "purchased_services": ("Palvelujen ostot", "Purchased services"),
    "materials": ("Aineet, tarvikkeet ja tavarat", "Materials"),
    "grants_paid": ("Avustukset", "Grants paid"),
    "other": ("Muut toimintakulut", "Other costs"),
}
TOLERANCE_KEUR = 1.0  # the report rounds each figure to 1 k€


Num = float | int


class _Unit(Strict):
    code: str
    name_fi: str
    name_en: str
    ledger_source: str = ""


class _Meta(Strict):
    title: str
    city: str
    as_of: str = Field(pattern=YEAR_MONTH_PATTERN)
    budget_year: int
    source: str
    tmt_unit: str  # the unit whose grants paid carry the TMT (meta tmt_unit; engine.load.period resolves defaults)
    employment_unit: str  # the unit the labour-side shocks book on (meta employment_unit)
    vitality_unit: str  # the unit the immigration shocks book on (meta vitality_unit)


class _ReportForecast(Strict):
    source: str
    rounding_keur: Num
    elinvoima_revenue: Num
    elinvoima_costs: Num
    tyollisyys_revenue: Num
    tyollisyys_costs: Num
    tmt_cost: Num
    tmt_cost_prev: Num


class _Tmt(Strict):
    """The TMT share from January to the as-of month (benefit months), and last year's total."""

    source: str
    city_share_ytd_keur: Num = Field(gt=0)
    avg_billed_persons_ytd: Num = Field(gt=0)
    money_share_over_1000_days_pct: Num = Field(ge=0, le=100)
    persons_share_over_500_days_pct: Num = Field(ge=0, le=100)
    closing_prev_keur: Num = Field(gt=0)
    pilot_target_persons: int | None = Field(default=None, ge=0)
    pilot_end: str | None = Field(default=None, pattern=YEAR_MONTH_PATTERN)


class _LabourPoint(Strict):
    month: str = Field(pattern=YEAR_MONTH_PATTERN)
    unemployment_rate_pct: Num | None = Field(default=None, ge=0, le=100)
    youth_unemployment_rate_pct: Num | None = Field(default=None, ge=0, le=100)
    unemployed: Num | None = Field(default=None, ge=0)
    long_term_unemployed: Num | None = Field(default=None, ge=0)
    vacancies: Num | None = Field(default=None, ge=0)
    new_vacancies: Num | None = Field(default=None, ge=0)
    activation_rate_pct: Num | None = Field(default=None, ge=0, le=100)
    under_25: Num | None = Field(default=None, ge=0)
    labour_force: Num | None = Field(default=None, gt=0)  # kept for reference: the model's is a parameter


class _Labour(Strict):
    source: str
    as_of: str
    unemployment_rate_pct: Num = Field(gt=0, le=100)
    youth_unemployment_rate_pct: Num | None = Field(default=None, ge=0, le=100)
    unemployed: Num = Field(gt=0)
    vacancies: Num = Field(ge=0)
    activation_rate_pct: Num = Field(ge=0, lt=100)
    long_term_unemployed: Num = Field(ge=0)
    prev_year: _LabourPoint
    history: list[_LabourPoint]


class _Trial(Strict):
    """The employment trial's (or its successor's) outcomes of ended client relationships; the exit
    ratios to education and out of the labour force per person employed come from them. The rest is
    kept for reference (as of the pack's as-of month; ``_ytd`` from January)."""

    source: str
    start: str | None = None
    end: str | None = None
    ended_client_relationships: int | None = Field(default=None, gt=0)
    ended_employed_pct: Num = Field(gt=0, le=100)
    ended_out_of_labour_force_pct: Num = Field(ge=0, le=100)
    ended_education_pct: Num = Field(ge=0, le=100)
    clients_as_of: int | None = None
    clients_lahti_as_of: int | None = None
    clients_since_start: int | None = None
    pay_subsidy_decisions_ytd: int | None = None
    startup_grant_decisions_ytd: int | None = None
    city_employed_ytd: int | None = None


class _Htv(Strict):
    actual_or_forecast: list[Num] = Field(min_length=12, max_length=12)
    target: list[Num] = Field(min_length=12, max_length=12)
    prev_year: list[Num] = Field(min_length=12, max_length=12)


class _Staff(Strict):
    source: str
    actual_months: int = Field(ge=0, le=12)
    units: dict[str, _Htv]


class _BaselineFile(Strict):
    """The pack's tables other than the ledger, structured (engine.load.period builds it)."""

    meta: _Meta
    units: dict[str, _Unit]
    report_forecast: _ReportForecast | None = None
    tmt: _Tmt
    labour: _Labour
    trial: _Trial
    staff_htv: _Staff | None = None


@dataclass(frozen=True)
class PackDriver:
    """A named driver from the pack's ``drivers`` sheet: k€ on a unit's line in a year (+ = more revenue
    or more cost, as a scenario's adjustment), with its label and source."""

    unit: str
    line: str
    year: int
    amount_keur: float
    label_fi: str
    label_en: str
    source: str


@dataclass(frozen=True)
class LedgerFigures:
    """One unit's lines as positive magnitudes, arrays of shape (lines,) in LINES order, k€.

    ``actual_ytd`` is booked from January to the as-of month, ``actual_ytd_prev`` the same months
    of the year before; ``*_closing_prev`` the year before's closed accounts (unit totals). ``rows``
    keeps the pack's signed figures by line and total (None where not given), for the report layout."""

    budget: np.ndarray
    actual_ytd: np.ndarray
    actual_ytd_prev: np.ndarray
    revenue_closing_prev: float
    costs_closing_prev: float
    rows: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Baseline:
    """Validated figures of one period pack. ``raw`` keeps the pack's structure for sources and labels;
    ``content_hash`` is the sha256 of its canonical content (the same for an .xlsx and a CSV folder
    holding the same figures); ``drivers`` the pack's named drivers."""

    file: str
    raw: _BaselineFile
    ledger: Mapping[str, LedgerFigures]
    content_hash: str = ""
    drivers: tuple[PackDriver, ...] = ()

    @property
    def as_of(self) -> np.datetime64:
        return parse_month(self.raw.meta.as_of)

    @property
    def budget_year(self) -> int:
        return self.raw.meta.budget_year

    @property
    def units(self) -> tuple[str, ...]:
        """The finance units' codes in the pack's order (the bundled pack: ``elinvoima``, ``tyollisyys``)."""
        return tuple(self.raw.units)

    @property
    def tmt_unit(self) -> str:
        """The unit whose grants paid carry the TMT (the bundled pack: ``tyollisyys``)."""
        return self.raw.meta.tmt_unit

    @property
    def employment_unit(self) -> str:
        """The unit the labour-side shocks (services, staff, TE24) book on (the bundled pack: ``tyollisyys``)."""
        return self.raw.meta.employment_unit

    @property
    def vitality_unit(self) -> str:
        """The unit the immigration shocks book on (the bundled pack: ``elinvoima``)."""
        return self.raw.meta.vitality_unit

    def actual_margin_keur(self, unit: str) -> float:
        """Toimintakate booked from January to the as-of month (revenue − costs), k€; ``etp`` the units' sum."""
        if unit == "etp":
            return sum(self.actual_margin_keur(u) for u in self.units)
        return float(margin_of(self.ledger[unit].actual_ytd))

    def unit_name(self, unit: str, lang: str = "fi") -> str:
        if unit == "etp":
            return "Elinvoima- ja työllisyyspalvelut" if lang == "fi" else "Vitality and employment services"
        u = self.raw.units[unit]
        return u.name_fi if lang == "fi" else u.name_en

    @property
    def tmt(self) -> _Tmt:
        return self.raw.tmt

    @property
    def labour(self) -> _Labour:
        return self.raw.labour

    @property
    def trial(self) -> _Trial:
        return self.raw.trial

    @property
    def as_of_month(self) -> int:
        """The as-of month's number in the budget year, 1–12."""
        return int(str(self.as_of)[5:7])

    def htv(self, unit: str) -> _Htv | None:
        """The unit's person-years by month, or None if the pack has no staff_htv sheet."""
        return None if self.raw.staff_htv is None else self.raw.staff_htv.units.get(unit)


BUNDLED_PACK = "period_lahti_2022_06"  # engine/data/<this>/: the Lahti Jan–Jun 2022 report


def load_baseline(path: str | Path | None = None) -> Baseline:
    """The bundled Lahti Jan–Jun 2022 pack, or the period pack at ``path`` (engine.load.period.load_period)."""
    from engine.load.period import load_bundled, load_period

    return load_bundled() if path is None else load_period(path)
