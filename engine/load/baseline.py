"""The bundled baseline: Lahti ETP's Jan–Jun 2022 monitoring report as validated data.

``load_baseline()`` reads ``engine/data/baseline_lahti_2022.toml`` (or a file you name), checks
structure (pydantic), signs (revenue ≥ 0, costs ≤ 0 as printed), that lines sum to their totals
within 1 k€, and that margins equal revenue + costs within 1 k€. Inside the engine costs are
held as positive magnitudes (``costs_keur``), as the CLI and CSVs show them.
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError

from engine.common.calendar import YEAR_MONTH_PATTERN, parse_month
from engine.common.errors import UserError
from engine.common.types import Strict
from engine.common.validation import first_error

UNITS = ("elinvoima", "tyollisyys")
REVENUE_LINES = ("sales", "grants_received")
COST_LINES = ("staff", "purchased_services", "materials", "grants_paid", "other")
LINES = REVENUE_LINES + COST_LINES
IS_REVENUE = np.array([ln in REVENUE_LINES for ln in LINES])  # (lines,) bool: revenue lines, the rest costs


def margin_of(lines: np.ndarray) -> np.ndarray:
    """Toimintakate (margin), revenue − costs, k€: (…, lines) → (…). The one place it is computed."""
    return lines[..., IS_REVENUE].sum(-1) - lines[..., ~IS_REVENUE].sum(-1)
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


class _Row(Strict):
    budget: Num
    actual_h1: Num
    actual_h1_prev: Num
    closing_prev: Num | None = None


class _Totals(Strict):
    revenue: _Row
    costs: _Row
    margin: _Row


class _Lines(Strict):
    sales: _Row
    grants_received: _Row
    staff: _Row
    purchased_services: _Row
    materials: _Row
    grants_paid: _Row
    other: _Row


class _Ledger(Strict):
    source: str
    totals: _Totals
    lines: _Lines


class _Unit(Strict):
    code: str
    name_fi: str
    name_en: str


class _Meta(Strict):
    title: str
    city: str
    as_of: str = Field(pattern=YEAR_MONTH_PATTERN)
    budget_year: int
    source: str


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
    source: str
    city_share_h1_keur: Num = Field(gt=0)
    avg_billed_persons_h1: Num = Field(gt=0)
    money_share_over_1000_days_pct: Num = Field(ge=0, le=100)
    persons_share_over_500_days_pct: Num = Field(ge=0, le=100)
    closing_prev_keur: Num = Field(gt=0)
    pilot_target_persons: int = Field(ge=0)
    pilot_end: str = Field(pattern=YEAR_MONTH_PATTERN)


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


class _Labour(Strict):
    source: str
    as_of: str
    unemployment_rate_pct: Num = Field(gt=0, le=100)
    youth_unemployment_rate_pct: Num = Field(ge=0, le=100)
    unemployed: Num = Field(gt=0)
    vacancies: Num = Field(ge=0)
    activation_rate_pct: Num = Field(ge=0, lt=100)
    long_term_unemployed: Num = Field(ge=0)
    prev_year: _LabourPoint
    history: list[_LabourPoint]


class _Trial(Strict):
    source: str
    start: str
    end: str
    ended_client_relationships: int = Field(gt=0)
    ended_employed_pct: Num = Field(gt=0, le=100)
    ended_out_of_labour_force_pct: Num = Field(ge=0, le=100)
    ended_education_pct: Num = Field(ge=0, le=100)
    clients_2022_06: int
    clients_lahti_2022_06: int
    clients_since_start: int
    pay_subsidy_decisions_h1: int
    startup_grant_decisions_h1: int
    city_employed_h1: int


class _Htv(Strict):
    actual_or_forecast: list[Num] = Field(min_length=12, max_length=12)
    target: list[Num] = Field(min_length=12, max_length=12)
    prev_year: list[Num] = Field(min_length=12, max_length=12)


class _Staff(Strict):
    source: str
    actual_months: int = Field(ge=0, le=12)
    elinvoima: _Htv
    tyollisyys: _Htv


class _BaselineFile(Strict):
    meta: _Meta
    units: dict[str, _Unit]
    ledger: dict[str, _Ledger]
    report_forecast: _ReportForecast
    tmt: _Tmt
    labour: _Labour
    trial: _Trial
    staff_htv: _Staff


@dataclass(frozen=True)
class LedgerFigures:
    """One unit's lines as positive magnitudes, arrays of shape (lines,) in LINES order, k€."""

    budget: np.ndarray
    actual_h1: np.ndarray
    actual_h1_prev: np.ndarray
    revenue_closing_prev: float
    costs_closing_prev: float


@dataclass(frozen=True)
class Baseline:
    """Validated baseline figures. ``raw`` keeps the file's structure for sources and labels."""

    file: str
    raw: _BaselineFile
    ledger: Mapping[str, LedgerFigures]

    @property
    def as_of(self) -> np.datetime64:
        return parse_month(self.raw.meta.as_of)

    @property
    def budget_year(self) -> int:
        return self.raw.meta.budget_year

    @property
    def units(self) -> tuple[str, ...]:
        """The finance units' codes in the ledger's order (``elinvoima``, ``tyollisyys``)."""
        return UNITS

    def actual_margin_keur(self, unit: str) -> float:
        """Toimintakate booked from January to the as-of month (revenue − costs), k€; ``etp`` the units' sum."""
        if unit == "etp":
            return sum(self.actual_margin_keur(u) for u in UNITS)
        a = self.ledger[unit].actual_h1
        return float(margin_of(a))

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

    def htv(self, unit: str) -> _Htv:
        return getattr(self.raw.staff_htv, unit)


def _load_toml(path: Path | None) -> tuple[str, dict[str, Any]]:
    if path is None:
        label = "engine/data/baseline_lahti_2022.toml"
        text = resources.files("engine.data").joinpath("baseline_lahti_2022.toml").read_text(encoding="utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read the file ({exc.__class__.__name__}: {exc})", file=label) from None
    try:
        return label, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"not valid TOML ({exc})", file=label) from None


def load_baseline(path: str | Path | None = None) -> Baseline:
    """Load and validate the baseline (the bundled Lahti 2022 report unless ``path`` is given)."""
    label, data = _load_toml(Path(path) if path is not None else None)
    try:
        raw = _BaselineFile.model_validate(data)
    except ValidationError as exc:
        field, msg = first_error(exc)
        raise UserError(msg, file=label, field=field) from None
    if set(raw.units) != set(UNITS) or set(raw.ledger) != set(UNITS):
        raise UserError(f"units must be exactly {', '.join(UNITS)}; got {sorted(raw.ledger)}", file=label, field="ledger")
    ledger = {u: _check_unit(label, u, raw.ledger[u]) for u in UNITS}
    return Baseline(label, raw, ledger)


def _check_unit(label: str, unit: str, led: _Ledger) -> LedgerFigures:
    cols = ("budget", "actual_h1", "actual_h1_prev")
    for line in LINES:
        row = getattr(led.lines, line)
        for col in cols:
            v = getattr(row, col)
            bad = v < 0 if line in REVENUE_LINES else v > 0
            if bad:
                kind = "revenue (≥ 0)" if line in REVENUE_LINES else "a cost (≤ 0, as printed in the report)"
                raise UserError(f"value {v} has the wrong sign; {line} is {kind}", file=label, field=f"ledger.{unit}.lines.{line}.{col}")
    t = led.totals
    for col in cols:
        for total, group in (("revenue", REVENUE_LINES), ("costs", COST_LINES)):
            s = sum(getattr(getattr(led.lines, ln), col) for ln in group)
            tv = getattr(getattr(t, total), col)
            if abs(s - tv) > TOLERANCE_KEUR:
                raise UserError(
                    f"lines sum to {s:g} but the total is {tv:g} (allowed difference {TOLERANCE_KEUR:g} k€)",
                    file=label, field=f"ledger.{unit}.totals.{total}.{col}",
                )
    for col in cols + ("closing_prev",):
        r, c, m = (getattr(getattr(t, k), col) for k in ("revenue", "costs", "margin"))
        if None in (r, c, m):
            raise UserError("closing_prev is needed for revenue, costs and margin", file=label, field=f"ledger.{unit}.totals")
        if abs(r + c - m) > TOLERANCE_KEUR:
            raise UserError(f"margin {m:g} is not revenue + costs = {r + c:g}", file=label, field=f"ledger.{unit}.totals.margin.{col}")

    def col(name: str) -> np.ndarray:
        return np.array([abs(getattr(getattr(led.lines, ln), name)) for ln in LINES], dtype=float)

    return LedgerFigures(
        budget=col("budget"), actual_h1=col("actual_h1"), actual_h1_prev=col("actual_h1_prev"),
        revenue_closing_prev=float(t.revenue.closing_prev), costs_closing_prev=float(-t.costs.closing_prev),
    )
