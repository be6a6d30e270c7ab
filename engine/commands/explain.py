"""`ennuste explain`: a scenario resolved, in words — what it changes against the engine's defaults."""
from __future__ import annotations

from engine.common.types import DistSpec
from engine.load.parameters import Parameters
from engine.load.scenario import Scenario
from engine.model.shocks import describe_shock


def _num(v, unit: str = "") -> str:
    if isinstance(v, DistSpec):
        return f"{v.distribution()} (median {v.distribution().median():g}{unit})"
    return f"{v:g}{unit}"




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
        lines.append("  " + describe_shock(sid, s, resolved))
    return "\n".join(lines)
