"""`ennuste explain`: a scenario resolved, in words — what it changes against the engine's defaults."""
from __future__ import annotations

from .parameters import Parameters
from .scenario import Scenario
from .scenario_types import DistSpec
from .shocks import or_parameter


def _num(v, unit: str = "") -> str:
    if isinstance(v, DistSpec):
        return f"{v.distribution()} (median {v.distribution().median():g}{unit})"
    return f"{v:g}{unit}"


def shock_in_words(sid: str, s, params: Parameters) -> str:
    """One shock in words; a field it leaves to its default parameter shows that value from ``params``."""
    given = lambda name: or_parameter(s, name, params)  # noqa: E731
    label = s.label_en or s.label_fi or sid
    if s.type == "jobs":
        pts = ", ".join(f"{p.month}: {p.persons:g}" for p in s.jobs)
        return (f"{label}: direct jobs by month {pts} (× {_num(s.scale)}); each month's growth, with "
                f"{_num(s.indirect_multiplier)} indirect jobs per direct job, is hired — a share {_num(s.local_share)} "
                "from Lahti's unemployed, the rest in-migrants who join the labour force; when jobs end, the local "
                "share of those released become unemployed.")
    if s.type == "arrivals":
        per = "; ".join(f"{p.start}…{p.end}: {p.persons_per_month:g}/month" for p in s.arrivals)
        return (f"{label}: arrivals {per} (× {_num(s.scale)}); after {s.months_to_home_municipality} months a home "
                f"municipality and {s.compensation_years} years of state compensation ({given('compensation_7_plus_eur'):g} €/yr "
                f"aged 7+, {given('compensation_under_7_eur'):g} €/yr under 7, {given('initial_assessment_eur'):g} € per initial "
                "assessment) on elinvoima grants received, and service costs "
                f"{_num(s.service_cost_eur_per_person_year, ' €/person-year')} on purchased services; after "
                f"{s.months_to_labour_force} months {s.working_age_share:g} working-age × {_num(s.participation)} join "
                f"the labour force, {_num(s.unemployed_share)} of them unemployed on labour-market subsidy.")
    if s.type == "activation":
        return f"{label}: the activation rate moves linearly to {s.target_pct:g} % from {s.start} to {s.reach_by}."
    if s.type == "pilot":
        return (f"{label}: {_num(s.persons)} long-term unemployed on subsidy (≥ 300 days) employed evenly "
                f"{s.start}…{s.end}; {s.cost_per_person_keur:g} k€ each on tyollisyys purchased services.")
    if s.type == "downturn":
        return (f"{label}: from {s.start}, over {s.ramp_months} months, new unemployment spells +"
                f"{_num(s.inflow_increase_pct, ' %')} and vacancies −{_num(s.vacancy_drop_pct, ' %')}; "
                f"held {s.duration_months} months, recovering over {s.recovery_months}.")
    if s.type == "ledger":
        ch = "; ".join(f"{c.year} {c.unit}/{c.line} {_num(c.amount_keur, ' k€')}" for c in s.changes)
        return f"{label}: ledger changes {ch} (+ = more revenue or more cost)."
    if s.type == "services_transfer":
        return (f"{label}: from {s.start}, {_num(s.staff_htv)} person-years × {given('cost_per_htv_keur'):g} k€ on tyollisyys "
                f"staff, state funding {_num(s.state_funding_keur, ' k€')}/yr on grants received, other costs "
                f"{s.other_costs_keur:g} k€/yr.")
    return f"{label}: {s.type}"


def explain(scenario: Scenario, base: Parameters | None = None) -> str:
    base = base or Parameters.load_default()
    resolved = scenario.parameters(base)
    d = scenario.description
    lines = [f"{scenario.name} [{scenario.id}] — {scenario.file}"]
    if d.fi or d.en:
        lines += [f"  fi: {d.fi}", f"  en: {d.en}"]
    if len(scenario.chain) > 1:
        lines.append("  extends: " + " → ".join(scenario.chain))
    st = scenario.settings
    lines.append(f"Settings: estimator {st.estimator}" + (f" (weight {st.blend_weight:g})" if st.estimator == "blend" else "")
                 + f", horizon to {st.horizon_end}")
    changed = [n for n in resolved.names() if resolved[n].value != base[n].value]
    lines.append(f"Parameters changed ({len(changed)}):")
    for n in changed:
        p = resolved[n]
        lines.append(f"  {n} [{p.unit}]")
        lines.append(f"      default:  {base[n].describe_value()}")
        lines.append(f"      scenario: {p.describe_value()}")
    lines.append(f"Adjustments ({len(scenario.adjustments)}), k€, + = more revenue or more cost:")
    for aid, a in scenario.adjustments.items():
        amount = "derived from person-years (staff_htv)" if a.derive else _num(a.amount_keur, " k€")
        years = ", ".join(map(str, a.years)) if a.years else "budget year"
        lines.append(f"  {aid}: {a.label_en} — {a.unit}/{a.line} {amount} ({years})")
    lines.append(f"Shocks ({len(scenario.shocks)}):")
    for sid, s in scenario.shocks.items():
        lines.append("  " + shock_in_words(sid, s, resolved))
    return "\n".join(lines)
