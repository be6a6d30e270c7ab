"""Shocks: named events in a scenario that change labour flows and ledger lines month by month.

Each shock is a table under ``[shocks.<id>]`` with a ``type``. Any number marked *uncertain* takes a
number or a distribution (``{dist = "triangular", low = …, mode = …, high = …}``), drawn once per path.
Every shock compiles to :class:`ShockArrays`: monthly changes to the labour model (persons) and
per-year ledger amounts (k€, + = more revenue or more cost) that the deviation breakdown names.

=================  ==========================================================================================
type               effect
=================  ==========================================================================================
``jobs``           A new employer (Fazer). ``jobs`` = head count by month (points, linear between).
                   Each month's growth of direct + indirect jobs (× ``indirect_multiplier``) is hired:
                   ``local_share`` straight from the local unemployed (by employability), the rest are
                   in-migrants who join the labour force. When the head count falls (construction ends),
                   the local share of those released return as new unemployment spells.
``arrivals``       Refugees / persons under temporary protection. ``arrivals`` = persons a month by period.
                   After ``months_to_home_municipality`` the state compensation starts (2 300 €/yr aged 7+,
                   6 845 €/yr under 7, for ``compensation_years``, + 700 € per initial assessment) on
                   elinvoima grants received, with immigration-service costs on purchased services.
                   After ``months_to_labour_force`` the working-age share × participation joins the labour
                   force; ``unemployed_share`` of them become unemployed on labour-market subsidy
                   from their first day: their TMT follows them as cohorts that leave the subsidy
                   when they leave unemployment (not the native recipients' stock). The 700 € initial
                   assessment is for the working-age share only.
``activation``     The activation rate moves from its baseline level to ``target_pct`` linearly between
                   ``start`` and ``reach_by`` (e.g. the Nordic service model) and stays there. The extra
                   persons in services (at the as-of unemployed) cost
                   ``labour.service_cost_eur_per_person_month`` on tyollisyys purchased services (a
                   lower target saves nothing: the staff and contracts of today's places stay).
``pilot``          An employment pilot for long-term unemployed on subsidy (Barona): ``persons`` employed
                   evenly from ``start`` to ``end``, taken from the ≥ 12-month unemployed and the
                   ≥ 300-day recipients; ``cost_per_person_keur`` on tyollisyys purchased services.
``downturn``       From ``start`` new spells rise by ``inflow_increase_pct`` and vacancies fall by
                   ``vacancy_drop_pct`` over ``ramp_months``; they recover linearly over ``recovery_months``
                   after ``duration_months``.
``ledger``         Direct ledger changes: ``changes = [{year, unit, line, amount_keur}]``.
``services_transfer``  TE24: employment services move to the city from ``start``: ``staff_htv`` person-years ×
                   ``cost_per_htv_keur`` on tyollisyys staff, ``state_funding_keur`` a year on its grants
                   received, and other running costs on purchased services.
=================  ==========================================================================================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import Field, field_validator, model_validator

from .baseline import LINES, UNITS
from .calendar import MonthGrid, parse_month
from .labour import MAX_ACTIVATION_SHARE
from .distributions import Distribution
from .parameters import ParamDraws
from .scenario_types import Strict, Year, YearMonth, bounded

# Every field has a physically meaningful range (its unit in the field's description). The caps are
# far above anything Lahti could see — the labour force is about 55 700 persons, ETP's budget about
# 35 M€ — so they only stop typos and overflow (1e308 persons); the engine's output checks
# (engine.simulate) catch combinations that still give nonsense.
MAX_PERSONS = 20_000  # persons: a third of Lahti's labour force (~55 700 in 6/2022)
MAX_PERSONS_PER_MONTH = 5_000  # persons/month: ~25× the monthly arrivals from Ukraine in 2022
MAX_SCALE = 5  # × the written figures: a scale is an uncertainty around them, not a new scenario
MAX_MULTIPLIER = 5  # indirect jobs per direct job; regional input–output multipliers stay below ~2
MAX_EUR = 100_000  # € a year (or once) per person: ~15× the state's largest compensation rate
MAX_KEUR_PER_PERSON = 1_000  # k€ per person or person-year
MAX_KEUR = 1_000_000  # k€ a year on one ledger line: ~30× ETP's whole 2022 budget
MAX_HTV = 5_000  # person-years: ~25× the TE office staff that moved to Lahti in 2025

Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _within(lo: float, hi: float):
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)]


Persons = _within(0, MAX_PERSONS)
Euros = _within(0, MAX_EUR)
KeurPerPerson = _within(0, MAX_KEUR_PER_PERSON)
Keur = _within(0, MAX_KEUR)
UncertainScale = bounded(0, MAX_SCALE)
UncertainMultiplier = bounded(0, MAX_MULTIPLIER)
UncertainPersons = bounded(0, MAX_PERSONS)
UncertainEuros = bounded(0, MAX_EUR)
UncertainKeur = bounded(0, MAX_KEUR)
UncertainSignedKeur = bounded(-MAX_KEUR, MAX_KEUR)
UncertainHtv = bounded(0, MAX_HTV)
UncertainShare = bounded(0, 1)
UncertainPct = bounded(0, 500)
UncertainDrop = bounded(0, 100)


class Point(Strict):
    month: YearMonth
    persons: Persons = Field(description=f"head count, persons (0…{MAX_PERSONS})")


def _in_order(model, first: str, then: str):
    a, b = getattr(model, first), getattr(model, then)
    if b < a:
        raise ValueError(f"{then} {b} is before {first} {a}")
    return model


class Period(Strict):
    start: YearMonth
    end: YearMonth
    persons_per_month: _within(0, MAX_PERSONS_PER_MONTH) = Field(
        description=f"arrivals, persons a month (0…{MAX_PERSONS_PER_MONTH})")

    _order = model_validator(mode="after")(lambda m: _in_order(m, "start", "end"))


class _ShockBase(Strict):
    label_fi: str = Field("", description="Finnish label in tables")
    label_en: str = Field("", description="English label in tables")
    source: str = ""


def _months_increasing(points: list[Point]) -> list[Point]:
    months = [p.month for p in points]
    if months != sorted(months) or len(set(months)) != len(months):
        raise ValueError(f"months must increase, got {months}")
    return points


class JobsShock(_ShockBase):
    type: Literal["jobs"]
    jobs: list[Point] = Field(min_length=1, description="direct head count by month (linear between points)")
    scale: UncertainScale = Field(1.0, description=f"multiplies the head count, × (0…{MAX_SCALE}; uncertain)")
    local_share: UncertainShare = Field(0.6, description="share of hires from the local unemployed, 0…1 (uncertain)")
    indirect_multiplier: UncertainMultiplier = Field(
        0.5, description=f"indirect jobs per direct job (0…{MAX_MULTIPLIER}; uncertain)")

    _check = field_validator("jobs")(classmethod(lambda cls, v: _months_increasing(v)))


class ArrivalsShock(_ShockBase):
    type: Literal["arrivals"]
    arrivals: list[Period] = Field(min_length=1, description="arrivals, persons a month by period")
    scale: UncertainScale = Field(1.0, description=f"multiplies the arrivals, × (0…{MAX_SCALE}; uncertain)")
    share_under_7: Share = Field(0.15, description="share of arrivals under 7 years")
    working_age_share: Share = Field(0.6, description="share of arrivals aged 18–64")
    months_to_home_municipality: Annotated[int, Field(ge=0, le=60)] = Field(12, description="months until a home municipality")
    months_to_labour_force: Annotated[int, Field(ge=0, le=120)] = Field(12, description="months until labour-force entry")
    participation: UncertainShare = Field(0.6, description="share of working-age arrivals who join the labour force (uncertain)")
    unemployed_share: UncertainShare = Field(0.7, description="share of entrants who are unemployed at first (uncertain)")
    compensation_years: Annotated[int, Field(ge=0, le=10)] = 3
    # None: the parameter of the same name under "arrivals." (engine/data/parameters.toml, with its source)
    compensation_7_plus_eur: Euros | None = Field(
        None, description=f"€ a year per person aged 7 or over (0…{MAX_EUR}); default arrivals.compensation_7_plus_eur")
    compensation_under_7_eur: Euros | None = Field(
        None, description=f"€ a year per child under 7 (0…{MAX_EUR}); default arrivals.compensation_under_7_eur")
    initial_assessment_eur: Euros | None = Field(
        None, description=f"€ per initial assessment, booked when the home municipality is granted (0…{MAX_EUR}); "
                          "default arrivals.initial_assessment_eur")
    service_cost_eur_per_person_year: UncertainEuros = Field(
        1200.0, description=f"immigration-service costs while compensated, € a person-year (0…{MAX_EUR}; uncertain)")


class ActivationShock(_ShockBase):
    type: Literal["activation"]
    target_pct: Annotated[float, Field(ge=0, le=80, allow_inf_nan=False)]
    start: YearMonth
    reach_by: YearMonth

    _order = model_validator(mode="after")(lambda m: _in_order(m, "start", "reach_by"))


class PilotShock(_ShockBase):
    type: Literal["pilot"]
    persons: UncertainPersons = Field(
        description=f"long-term unemployed employed over the pilot, persons (0…{MAX_PERSONS}; uncertain)")
    start: YearMonth
    end: YearMonth
    cost_per_person_keur: KeurPerPerson = Field(
        0.0, description=f"k€ per person employed, on tyollisyys purchased services (0…{MAX_KEUR_PER_PERSON})")

    _order = model_validator(mode="after")(lambda m: _in_order(m, "start", "end"))


class DownturnShock(_ShockBase):
    type: Literal["downturn"]
    start: YearMonth
    inflow_increase_pct: UncertainPct = Field(description="rise of new unemployment spells at the trough, % (uncertain)")
    vacancy_drop_pct: UncertainDrop = Field(description="fall of vacancies at the trough, % (uncertain)")
    ramp_months: Annotated[int, Field(ge=1, le=60)] = 6
    duration_months: Annotated[int, Field(ge=0, le=120)] = 12
    recovery_months: Annotated[int, Field(ge=1, le=120)] = 24


class LedgerChange(Strict):
    year: Year
    unit: Literal[UNITS]  # type: ignore[valid-type]
    line: Literal[LINES]  # type: ignore[valid-type]
    amount_keur: UncertainSignedKeur = Field(description=f"k€ on the line, + = more (−{MAX_KEUR}…{MAX_KEUR}; uncertain)")


class LedgerShock(_ShockBase):
    type: Literal["ledger"]
    changes: list[LedgerChange] = Field(min_length=1)


class ServicesTransferShock(_ShockBase):
    type: Literal["services_transfer"]
    start: YearMonth
    staff_htv: UncertainHtv = Field(description=f"person-years moving to the city (0…{MAX_HTV}; uncertain)")
    cost_per_htv_keur: KeurPerPerson | None = Field(
        None, description=f"k€ a person-year, with overheads (0…{MAX_KEUR_PER_PERSON}); "
                          "default services_transfer.cost_per_htv_keur")
    state_funding_keur: UncertainKeur = Field(
        description=f"k€ a year of state funding for the services (0…{MAX_KEUR}; uncertain)")
    other_costs_keur: Keur = Field(0.0, description=f"k€ a year of premises, IT and purchased services (0…{MAX_KEUR})")


Shock = Annotated[
    Union[JobsShock, ArrivalsShock, ActivationShock, PilotShock, DownturnShock, LedgerShock, ServicesTransferShock],
    Field(discriminator="type"),
]
SHOCK_MODELS = {m.model_fields["type"].annotation.__args__[0]: m for m in
                (JobsShock, ArrivalsShock, ActivationShock, PilotShock, DownturnShock, LedgerShock, ServicesTransferShock)}
SHOCK_TYPES = tuple(SHOCK_MODELS)


# ------------------------------------------------------------------------------------------ compiled arrays
@dataclass(frozen=True)
class LedgerEffect:
    """A shock's change to one ledger line in one year: k€, + = more revenue or more cost; (P|1,)."""

    id: str
    label_fi: str
    label_en: str
    unit: str
    line: str
    year: int
    amount_keur: np.ndarray


@dataclass(frozen=True)
class ShockArrays:
    """Monthly changes, each (P|1, months): persons unless stated."""

    inflow: np.ndarray  # new unemployment spells added
    inflow_mult: np.ndarray  # × new unemployment spells
    vacancies: np.ndarray  # open vacancies added
    vacancy_mult: np.ndarray  # × open vacancies
    direct_hires: np.ndarray  # hires straight from the unemployed (spread by employability)
    long_term_hires: np.ndarray  # hires from the ≥ 12-month unemployed
    tmt_exits: np.ndarray  # recipients past 300 days leaving for work
    labour_force: np.ndarray  # change of the labour force (a level)
    tmt_inflow: np.ndarray  # new subsidy recipients
    activation_pts: np.ndarray  # percentage points on the activation target
    ledger: tuple[LedgerEffect, ...] = field(default_factory=tuple)
    # new spells of people on labour-market subsidy from their first day (arrivals): followed as their
    # own cohorts for the TMT (engine.tmt.cohort_cost), not through the native recipients' stock
    subsidy_entrants: np.ndarray | None = None

    @classmethod
    def zeros(cls, months: int) -> "ShockArrays":
        z, one = np.zeros((1, months)), np.ones((1, months))
        return cls(z, one, z, one, z, z, z, z, z, z, subsidy_entrants=z)


def or_parameter(shock, name: str, pdraws_or_params):
    """The shock's field ``name`` if the scenario gives it, else the parameter ``<shock type>.<name>``:
    (draws|1, 1) from ParamDraws, its central value from Parameters (for words, engine.explain)."""
    own = getattr(shock, name)
    if own is not None:
        return own
    if isinstance(pdraws_or_params, ParamDraws):
        return pdraws_or_params.scalar(f"{shock.type}.{name}")[:, None]
    v = pdraws_or_params[f"{shock.type}.{name}"].value[0].value
    return v.median() if isinstance(v, Distribution) else v


def _value(v, pdraws, key: str) -> np.ndarray:
    """(P|1,) a shock's number or its draws (keyed by shock id and field: common random numbers)."""
    if isinstance(v, (int, float)):
        return np.full(1, float(v))
    return v.distribution().ppf(pdraws.uniforms(key))


def ramp_points(points: list[Point], grid: MonthGrid) -> np.ndarray:
    """(months,) head count: 0 before the first point, linear between points, flat after the last."""
    xs = np.array([parse_month(p.month).astype(int) for p in points], float)
    ys = np.array([p.persons for p in points], float)
    m = grid.months.astype(int).astype(float)
    out = np.interp(m, xs, ys)
    out[m < xs[0]] = 0.0
    return out


def _ramp(grid: MonthGrid, start: str, months: int) -> np.ndarray:
    """(months,) 0 before ``start``, rising linearly to 1 over ``months`` months."""
    k = (grid.months - parse_month(start)).astype(int) + 1
    return np.clip(k / max(months, 1), 0.0, 1.0)


def _by_year(monthly_keur: np.ndarray, grid: MonthGrid) -> dict[int, np.ndarray]:
    return {int(y): monthly_keur[:, grid.years == y].sum(1) for y in np.unique(grid.years)}


def compile_shocks(scenario, baseline, pdraws, grid: MonthGrid) -> ShockArrays:
    """All the scenario's shocks as monthly arrays; only months after the as-of month are touched."""
    T = len(grid)
    future = (grid.months > baseline.as_of).astype(float)
    acc = {k: np.zeros((1, T)) for k in ("inflow", "vacancies", "direct_hires", "long_term_hires", "tmt_exits",
                                          "labour_force", "tmt_inflow", "activation_pts", "subsidy_entrants")}
    mult = {"inflow_mult": np.ones((1, T)), "vacancy_mult": np.ones((1, T))}
    ledger: list[LedgerEffect] = []

    def add(name: str, arr: np.ndarray) -> None:
        acc[name] = acc[name] + arr * future

    def book(sid: str, shock, suffix_fi: str, suffix_en: str, unit: str, line: str, monthly_keur: np.ndarray) -> None:
        for year, amount in _by_year(monthly_keur * future, grid).items():
            if np.any(amount != 0):
                label_fi = (shock.label_fi or sid) + suffix_fi
                label_en = (shock.label_en or sid) + suffix_en
                ledger.append(LedgerEffect(f"{sid}.{line}", label_fi, label_en, unit, line, year, amount))

    for sid, shock in scenario.shocks.items():
        key = f"shocks.{sid}"
        if shock.type == "jobs":
            jobs = ramp_points(shock.jobs, grid)[None] * _value(shock.scale, pdraws, key + ".scale")[:, None]
            total = jobs * (1.0 + _value(shock.indirect_multiplier, pdraws, key + ".indirect_multiplier")[:, None])
            local = _value(shock.local_share, pdraws, key + ".local_share")[:, None]
            change = np.diff(total, axis=1, prepend=0.0)
            add("direct_hires", np.maximum(change, 0.0) * local)
            add("inflow", np.maximum(-change, 0.0) * local)
            add("labour_force", total * (1.0 - local))
        elif shock.type == "arrivals":
            per_month = np.zeros(T)
            for p in shock.arrivals:
                per_month[(grid.months >= parse_month(p.start)) & (grid.months <= parse_month(p.end))] += p.persons_per_month
            arrivals = per_month[None] * _value(shock.scale, pdraws, key + ".scale")[:, None]
            h, lf_lag, years = shock.months_to_home_municipality, shock.months_to_labour_force, shock.compensation_years
            shifted = lambda a, k: np.pad(a, ((0, 0), (k, 0)))[:, :T]  # noqa: E731
            compensated = sum(shifted(arrivals, h + j) for j in range(12 * years)) if years else np.zeros_like(arrivals)
            under_7, over_7 = (or_parameter(shock, f, pdraws) for f in ("compensation_under_7_eur", "compensation_7_plus_eur"))
            rate_eur = shock.share_under_7 * under_7 + (1 - shock.share_under_7) * over_7
            # the initial assessment (alkukartoitus) is made for adults of working age, not for children
            book(sid, shock, ": valtion korvaukset", ": state compensation", "elinvoima", "grants_received",
                 compensated * rate_eur / 12.0 / 1000.0
                 + shifted(arrivals, h) * shock.working_age_share * or_parameter(shock, "initial_assessment_eur", pdraws) / 1000.0)
            cost = _value(shock.service_cost_eur_per_person_year, pdraws, key + ".service_cost")[:, None]
            book(sid, shock, ": palvelukulut", ": service costs", "elinvoima", "purchased_services",
                 compensated * cost / 12.0 / 1000.0)
            entrants = shifted(arrivals, lf_lag) * shock.working_age_share * _value(shock.participation, pdraws, key + ".participation")[:, None]
            unemployed = entrants * _value(shock.unemployed_share, pdraws, key + ".unemployed_share")[:, None]
            add("labour_force", np.cumsum(entrants, axis=1))
            add("inflow", unemployed)
            add("subsidy_entrants", unemployed)  # on the subsidy from day 1; their TMT in engine.inputs
        elif shock.type == "activation":
            base = pdraws.monthly("labour.activation_target_pct")
            span = max(int(parse_month(shock.reach_by) - parse_month(shock.start)), 0) + 1
            pts = (shock.target_pct - base) * _ramp(grid, shock.start, span)[None]
            add("activation_pts", pts)
            # the services bought cost money: the extra persons in services at the as-of unemployed,
            # S = a/(1−a)·U, × the cost of a person-month (labour.service_cost_eur_per_person_month).
            # A lower target saves nothing here: the staff and contracts behind today's places stay.
            a0, a1 = np.clip(base / 100.0, 0, MAX_ACTIVATION_SHARE), np.clip((base + pts) / 100.0, 0, MAX_ACTIVATION_SHARE)
            extra = baseline.labour.unemployed * np.maximum(a1 / (1.0 - a1) - a0 / (1.0 - a0), 0.0)
            cost = pdraws.scalar("labour.service_cost_eur_per_person_month")[:, None]
            book(sid, shock, ": palvelujen kustannus", ": cost of the services", "tyollisyys", "purchased_services",
                 extra * cost / 1000.0)
        elif shock.type == "pilot":
            active = ((grid.months >= parse_month(shock.start)) & (grid.months <= parse_month(shock.end))).astype(float)
            persons = _value(shock.persons, pdraws, key + ".persons")[:, None]
            per_month = persons * active[None] / max(active.sum(), 1.0)
            add("long_term_hires", per_month)
            add("tmt_exits", per_month)
            book(sid, shock, ": palveluhankinta", ": purchased service", "tyollisyys", "purchased_services",
                 per_month * shock.cost_per_person_keur)
        elif shock.type == "downturn":
            down = _ramp(grid, shock.start, shock.ramp_months)
            rec_start = grid.months >= parse_month(shock.start) + shock.ramp_months + shock.duration_months
            rec = np.where(rec_start, np.clip((grid.months - (parse_month(shock.start) + shock.ramp_months + shock.duration_months)).astype(int) / shock.recovery_months, 0, 1), 0)
            depth = (down * (1.0 - rec))[None]
            inc = _value(shock.inflow_increase_pct, pdraws, key + ".inflow_increase_pct")[:, None] / 100.0
            drop = _value(shock.vacancy_drop_pct, pdraws, key + ".vacancy_drop_pct")[:, None] / 100.0
            mult["inflow_mult"] = mult["inflow_mult"] * (1.0 + inc * depth * future)
            mult["vacancy_mult"] = mult["vacancy_mult"] * (1.0 - drop * depth * future)
        elif shock.type == "ledger":
            for i, ch in enumerate(shock.changes):
                amount = _value(ch.amount_keur, pdraws, f"{key}.changes.{i}")
                ledger.append(LedgerEffect(f"{sid}.{ch.line}", shock.label_fi or sid, shock.label_en or sid,
                                           ch.unit, ch.line, ch.year, amount))
        elif shock.type == "services_transfer":
            on = (grid.months >= parse_month(shock.start)).astype(float)[None]
            htv = _value(shock.staff_htv, pdraws, key + ".staff_htv")[:, None]
            book(sid, shock, ": henkilöstö", ": staff", "tyollisyys", "staff", on * htv * or_parameter(shock, "cost_per_htv_keur", pdraws) / 12.0)
            fund = _value(shock.state_funding_keur, pdraws, key + ".state_funding_keur")[:, None]
            book(sid, shock, ": valtion rahoitus", ": state funding", "tyollisyys", "grants_received", on * fund / 12.0)
            if shock.other_costs_keur:
                book(sid, shock, ": muut kulut", ": other costs", "tyollisyys", "purchased_services",
                     on * shock.other_costs_keur / 12.0)
    # TE24: the state's permanent compensation for the benefit financing, from the first month the
    # TE24 rules are in force — its own revenue line, so the reform shows gross (TMT) and net
    te24 = (pdraws.choice("tmt.rule_set") == "te24").astype(float)[None]
    if te24.any():
        comp = pdraws.scalar("tmt.te24_state_compensation_keur")[:, None]
        for year, amount in _by_year(te24 * future * comp / 12.0, grid).items():
            if np.any(amount != 0):
                ledger.append(LedgerEffect("te24_compensation.grants_received", "TE24: valtion korvaus etuusrahoituksesta",
                                           "TE24: state compensation for benefit financing", "tyollisyys",
                                           "grants_received", year, amount))
    return ShockArrays(ledger=tuple(ledger), **acc, **mult)
