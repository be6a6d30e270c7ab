"""The shock schema: named events in a scenario that change labour flows and ledger lines month by month.

Each shock is a table under ``[shocks.<id>]`` with a ``type``. Any number marked *uncertain* takes a
number or a distribution (``{dist = "triangular", low = …, mode = …, high = …}``), drawn once per path.
Every shock compiles (:mod:`engine.model.shocks`, one compile and one describe function per type) to
monthly changes to the labour model (persons) and per-year ledger amounts (k€, + = more revenue or
more cost) that the deviation breakdown names. Adding a type: its model here (and in ``Shock``), its
compile and describe functions there; a test checks that every type has both.

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

from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from engine.common.types import Strict, Year, YearMonth, bounded
from engine.load.baseline import LINES, UNIT_PATTERN

# Every field has a physically meaningful range (its unit in the field's description). The caps are
# far above anything Lahti could see — the labour force is about 55 700 persons, ETP's budget about
# 35 M€ — so they only stop typos and overflow (1e308 persons); the engine's output checks
# (engine.pipeline) catch combinations that still give nonsense.
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
    unit: str = Field(pattern=UNIT_PATTERN, description="a unit of the period pack (checked against it at run time)")
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
