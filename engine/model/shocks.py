"""Shocks compiled: each shock type's pure ``compile`` (its draws → monthly arrays and ledger effects) and
``describe`` (the shock in words, for ``ennuste explain``), registered in :data:`HANDLERS` by type.

The schema of each type (fields, units, ranges, what it means) is :mod:`engine.load.shock_types`.
A compile function gets the shock, its id and a :class:`Compiler` (the month grid, the path draws and
the accumulators); it only adds, so shocks' effects sum (multipliers multiply) in file order. Only
months after the as-of month are touched. Arrays are (P|1, months): P paths, or 1 when nothing is drawn.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine.common.calendar import MonthGrid, parse_month
from engine.common.distributions import Distribution
from engine.common.errors import UserError
from engine.common.types import DistSpec
from engine.load.parameters import ParamDraws, Parameters
from engine.load.shock_types import Point
from engine.model.labour import MAX_ACTIVATION_SHARE

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
    # own cohorts for the TMT (engine.model.tmt.cohort_cost), not through the native recipients' stock
    subsidy_entrants: np.ndarray | None = None

    @classmethod
    def zeros(cls, months: int) -> "ShockArrays":
        z, one = np.zeros((1, months)), np.ones((1, months))
        return cls(z, one, z, one, z, z, z, z, z, z, subsidy_entrants=z)


def or_parameter(shock, name: str, pdraws_or_params):
    """The shock's field ``name`` if the scenario gives it, else the parameter ``<shock type>.<name>``:
    (draws|1, 1) from ParamDraws, its central value from Parameters (for words, engine.commands.explain)."""
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
    return pdraws.draw(key, v.distribution())


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


class Compiler:
    """What a shock's compile function writes into: labour arrays (persons, (P|1, months)), the two
    multipliers, and ledger effects by year. ``future`` masks the months after the as-of month."""

    ADDITIVE = ("inflow", "vacancies", "direct_hires", "long_term_hires", "tmt_exits", "labour_force",
                "tmt_inflow", "activation_pts", "subsidy_entrants")

    def __init__(self, baseline, pdraws: ParamDraws, grid: MonthGrid):
        self.baseline, self.pdraws, self.grid = baseline, pdraws, grid
        T = len(grid)
        self.future = (grid.months > baseline.as_of).astype(float)
        self.acc = {k: np.zeros((1, T)) for k in self.ADDITIVE}
        self.mult = {"inflow_mult": np.ones((1, T)), "vacancy_mult": np.ones((1, T))}
        self.ledger: list[LedgerEffect] = []

    def add(self, name: str, arr: np.ndarray) -> None:
        self.acc[name] = self.acc[name] + arr * self.future

    def value(self, v, key: str) -> np.ndarray:
        """(P|1, 1) a shock's number, or its draws keyed by ``key`` (common random numbers)."""
        return _value(v, self.pdraws, key)[:, None]

    def book(self, sid: str, shock, suffix_fi: str, suffix_en: str, unit: str, line: str,
             monthly_keur: np.ndarray) -> None:
        """A shock's monthly k€ on ``unit``/``line``, summed by year (only the future months)."""
        for year, amount in _by_year(monthly_keur * self.future, self.grid).items():
            if np.any(amount != 0):
                label_fi = (shock.label_fi or sid) + suffix_fi
                label_en = (shock.label_en or sid) + suffix_en
                self.ledger.append(LedgerEffect(f"{sid}.{line}", label_fi, label_en, unit, line, year, amount))

    def arrays(self) -> "ShockArrays":
        return ShockArrays(ledger=tuple(self.ledger), **self.acc, **self.mult)


# ------------------------------------------------------------------------------------------ one pair per type
@dataclass(frozen=True)
class Handler:
    compile: Callable[[str, object, Compiler], None]
    describe: Callable[[str, object, Callable[[str], float]], str]  # (label, shock, default-parameter lookup)


HANDLERS: dict[str, Handler] = {}


def _handles(kind: str, describe: Callable):
    def register(fn):
        HANDLERS[kind] = Handler(fn, describe)
        return fn
    return register


def _num(v, unit: str = "") -> str:
    if isinstance(v, DistSpec):
        return f"{v.distribution()} (median {v.distribution().median():g}{unit})"
    return f"{v:g}{unit}"


def _describe_jobs(label, s, given) -> str:
    pts = ", ".join(f"{p.month}: {p.persons:g}" for p in s.jobs)
    return (f"{label}: direct jobs by month {pts} (× {_num(s.scale)}); each month's growth, with "
            f"{_num(s.indirect_multiplier)} indirect jobs per direct job, is hired — a share {_num(s.local_share)} "
            "from Lahti's unemployed, the rest in-migrants who join the labour force; when jobs end, the local "
            "share of those released become unemployed.")


@_handles("jobs", _describe_jobs)
def _compile_jobs(sid: str, shock, c: Compiler) -> None:
    key = f"shocks.{sid}"
    jobs = ramp_points(shock.jobs, c.grid)[None] * c.value(shock.scale, key + ".scale")
    total = jobs * (1.0 + c.value(shock.indirect_multiplier, key + ".indirect_multiplier"))
    local = c.value(shock.local_share, key + ".local_share")
    change = np.diff(total, axis=1, prepend=0.0)
    c.add("direct_hires", np.maximum(change, 0.0) * local)
    c.add("inflow", np.maximum(-change, 0.0) * local)
    c.add("labour_force", total * (1.0 - local))


def _describe_arrivals(label, s, given) -> str:
    per = "; ".join(f"{p.start}…{p.end}: {p.persons_per_month:g}/month" for p in s.arrivals)
    return (f"{label}: arrivals {per} (× {_num(s.scale)}); after {s.months_to_home_municipality} months a home "
            f"municipality and {s.compensation_years} years of state compensation ({given('compensation_7_plus_eur'):g} €/yr "
            f"aged 7+, {given('compensation_under_7_eur'):g} €/yr under 7, {given('initial_assessment_eur'):g} € per initial "
            "assessment) on elinvoima grants received, and service costs "
            f"{_num(s.service_cost_eur_per_person_year, ' €/person-year')} on purchased services; after "
            f"{s.months_to_labour_force} months {s.working_age_share:g} working-age × {_num(s.participation)} join "
            f"the labour force, {_num(s.unemployed_share)} of them unemployed on labour-market subsidy.")


@_handles("arrivals", _describe_arrivals)
def _compile_arrivals(sid: str, shock, c: Compiler) -> None:
    key, grid, T = f"shocks.{sid}", c.grid, len(c.grid)
    per_month = np.zeros(T)
    for p in shock.arrivals:
        per_month[(grid.months >= parse_month(p.start)) & (grid.months <= parse_month(p.end))] += p.persons_per_month
    arrivals = per_month[None] * c.value(shock.scale, key + ".scale")
    h, lf_lag, years = shock.months_to_home_municipality, shock.months_to_labour_force, shock.compensation_years
    shifted = lambda a, k: np.pad(a, ((0, 0), (k, 0)))[:, :T]  # noqa: E731
    compensated = sum(shifted(arrivals, h + j) for j in range(12 * years)) if years else np.zeros_like(arrivals)
    under_7, over_7 = (or_parameter(shock, f, c.pdraws) for f in ("compensation_under_7_eur", "compensation_7_plus_eur"))
    rate_eur = shock.share_under_7 * under_7 + (1 - shock.share_under_7) * over_7
    # the initial assessment (alkukartoitus) is made for adults of working age, not for children
    c.book(sid, shock, ": valtion korvaukset", ": state compensation", c.baseline.vitality_unit, "grants_received",
           compensated * rate_eur / 12.0 / 1000.0
           + shifted(arrivals, h) * shock.working_age_share * or_parameter(shock, "initial_assessment_eur", c.pdraws) / 1000.0)
    cost = c.value(shock.service_cost_eur_per_person_year, key + ".service_cost")
    c.book(sid, shock, ": palvelukulut", ": service costs", c.baseline.vitality_unit, "purchased_services",
           compensated * cost / 12.0 / 1000.0)
    entrants = shifted(arrivals, lf_lag) * shock.working_age_share * c.value(shock.participation, key + ".participation")
    unemployed = entrants * c.value(shock.unemployed_share, key + ".unemployed_share")
    c.add("labour_force", np.cumsum(entrants, axis=1))
    c.add("inflow", unemployed)
    c.add("subsidy_entrants", unemployed)  # on the subsidy from day 1; their TMT in engine.model.inputs


def _describe_activation(label, s, given) -> str:
    return f"{label}: the activation rate moves linearly to {s.target_pct:g} % from {s.start} to {s.reach_by}."


@_handles("activation", _describe_activation)
def _compile_activation(sid: str, shock, c: Compiler) -> None:
    base = c.pdraws.monthly("labour.activation_target_pct")
    span = max(int(parse_month(shock.reach_by) - parse_month(shock.start)), 0) + 1
    pts = (shock.target_pct - base) * _ramp(c.grid, shock.start, span)[None]
    c.add("activation_pts", pts)
    # the services bought cost money: the extra persons in services at the as-of unemployed,
    # S = a/(1−a)·U, × the cost of a person-month (labour.service_cost_eur_per_person_month).
    # A lower target saves nothing here: the staff and contracts behind today's places stay.
    a0, a1 = np.clip(base / 100.0, 0, MAX_ACTIVATION_SHARE), np.clip((base + pts) / 100.0, 0, MAX_ACTIVATION_SHARE)
    extra = c.baseline.labour.unemployed * np.maximum(a1 / (1.0 - a1) - a0 / (1.0 - a0), 0.0)
    cost = c.pdraws.scalar("labour.service_cost_eur_per_person_month")[:, None]
    c.book(sid, shock, ": palvelujen kustannus", ": cost of the services", c.baseline.employment_unit, "purchased_services",
           extra * cost / 1000.0)


def _describe_pilot(label, s, given) -> str:
    return (f"{label}: {_num(s.persons)} long-term unemployed on subsidy (≥ 300 days) employed evenly "
            f"{s.start}…{s.end}; {s.cost_per_person_keur:g} k€ each on tyollisyys purchased services.")


@_handles("pilot", _describe_pilot)
def _compile_pilot(sid: str, shock, c: Compiler) -> None:
    grid = c.grid
    active = ((grid.months >= parse_month(shock.start)) & (grid.months <= parse_month(shock.end))).astype(float)
    persons = c.value(shock.persons, f"shocks.{sid}.persons")
    per_month = persons * active[None] / max(active.sum(), 1.0)
    c.add("long_term_hires", per_month)
    c.add("tmt_exits", per_month)
    c.book(sid, shock, ": palveluhankinta", ": purchased service", c.baseline.employment_unit, "purchased_services",
           per_month * shock.cost_per_person_keur)


def _describe_downturn(label, s, given) -> str:
    return (f"{label}: from {s.start}, over {s.ramp_months} months, new unemployment spells +"
            f"{_num(s.inflow_increase_pct, ' %')} and vacancies −{_num(s.vacancy_drop_pct, ' %')}; "
            f"held {s.duration_months} months, recovering over {s.recovery_months}.")


@_handles("downturn", _describe_downturn)
def _compile_downturn(sid: str, shock, c: Compiler) -> None:
    key, grid = f"shocks.{sid}", c.grid
    down = _ramp(grid, shock.start, shock.ramp_months)
    recovery_from = parse_month(shock.start) + shock.ramp_months + shock.duration_months
    rec = np.clip((grid.months - recovery_from).astype(int) / shock.recovery_months, 0.0, 1.0)  # 0 before it
    depth = (down * (1.0 - rec))[None]
    inc = c.value(shock.inflow_increase_pct, key + ".inflow_increase_pct") / 100.0
    drop = c.value(shock.vacancy_drop_pct, key + ".vacancy_drop_pct") / 100.0
    c.mult["inflow_mult"] = c.mult["inflow_mult"] * (1.0 + inc * depth * c.future)
    c.mult["vacancy_mult"] = c.mult["vacancy_mult"] * (1.0 - drop * depth * c.future)


def _describe_ledger(label, s, given) -> str:
    ch = "; ".join(f"{x.year} {x.unit}/{x.line} {_num(x.amount_keur, ' k€')}" for x in s.changes)
    return f"{label}: ledger changes {ch} (+ = more revenue or more cost)."


@_handles("ledger", _describe_ledger)
def _compile_ledger(sid: str, shock, c: Compiler) -> None:
    for i, ch in enumerate(shock.changes):
        amount = _value(ch.amount_keur, c.pdraws, f"shocks.{sid}.changes.{i}")
        c.ledger.append(LedgerEffect(f"{sid}.{ch.line}", shock.label_fi or sid, shock.label_en or sid,
                                     ch.unit, ch.line, ch.year, amount))


def _describe_services_transfer(label, s, given) -> str:
    return (f"{label}: from {s.start}, {_num(s.staff_htv)} person-years × {given('cost_per_htv_keur'):g} k€ on tyollisyys "
            f"staff, state funding {_num(s.state_funding_keur, ' k€')}/yr on grants received, other costs "
            f"{s.other_costs_keur:g} k€/yr.")


@_handles("services_transfer", _describe_services_transfer)
def _compile_services_transfer(sid: str, shock, c: Compiler) -> None:
    key = f"shocks.{sid}"
    on = (c.grid.months >= parse_month(shock.start)).astype(float)[None]
    htv = c.value(shock.staff_htv, key + ".staff_htv")
    c.book(sid, shock, ": henkilöstö", ": staff", c.baseline.employment_unit, "staff",
           on * htv * or_parameter(shock, "cost_per_htv_keur", c.pdraws) / 12.0)
    fund = c.value(shock.state_funding_keur, key + ".state_funding_keur")
    c.book(sid, shock, ": valtion rahoitus", ": state funding", c.baseline.employment_unit, "grants_received", on * fund / 12.0)
    if shock.other_costs_keur:
        c.book(sid, shock, ": muut kulut", ": other costs", c.baseline.employment_unit, "purchased_services",
               on * shock.other_costs_keur / 12.0)


# ------------------------------------------------------------------------------------------ entry points
def check_dates(scenario, baseline) -> None:
    """Refuse a shock that starts on or before the period's as-of month: those months are actuals, so
    its first months would silently vanish (a ramp would start part-way). Arrivals' periods are what
    happened and may lie before it: their lagged effects (compensation, labour force) fall after it."""
    for sid, shock in scenario.shocks.items():
        start = getattr(shock, "start", None)
        if start is not None and parse_month(start) <= baseline.as_of:
            raise UserError(f"value '{start}' is on or before the period's as-of month {baseline.as_of} "
                            f"({baseline.file}); the months up to it are actuals: start the shock in "
                            f"{baseline.as_of + 1} or later", file=scenario.file, field=f"shocks.{sid}.start")


def compile_shocks(scenario, baseline, pdraws, grid: MonthGrid) -> ShockArrays:
    """All the scenario's shocks as monthly arrays; only months after the as-of month are touched."""
    check_dates(scenario, baseline)
    c = Compiler(baseline, pdraws, grid)
    for sid, shock in scenario.shocks.items():
        HANDLERS[shock.type].compile(sid, shock, c)
    # TE24: the state's permanent compensation for the benefit financing, from the first month the
    # TE24 rules are in force — its own revenue line, so the reform shows gross (TMT) and net
    te24 = (pdraws.choice("tmt.rule_set") == "te24").astype(float)[None]
    if te24.any():
        comp = pdraws.scalar("tmt.te24_state_compensation_keur")[:, None]
        for year, amount in _by_year(te24 * c.future * comp / 12.0, grid).items():
            if np.any(amount != 0):
                c.ledger.append(LedgerEffect("te24_compensation.grants_received", "TE24: valtion korvaus etuusrahoituksesta",
                                             "TE24: state compensation for benefit financing", baseline.tmt_unit,
                                             "grants_received", year, amount))
    return c.arrays()


def describe_shock(sid: str, shock, params: Parameters) -> str:
    """One shock in words; a field it leaves to its default parameter shows that value from ``params``."""
    label = shock.label_en or shock.label_fi or sid
    return HANDLERS[shock.type].describe(label, shock, lambda name: or_parameter(shock, name, params))
