"""The app's what-if controls → a scenario document → a validated :class:`Scenario` (one mapping, used by the
app's sliders, ``ui/whatif.py``, and by the goal seek, ``engine/commands/goal_seek.py``).

A what-if starts from a scenario file (``scenarios/<base>.toml``), resolved and written out as a
standalone document (``Scenario.to_document()``). Each control has a *default read from that
document* (e.g. ``fazer.toml`` has 400 production jobs, ``baseline.toml`` none). A control left at its
default leaves the document untouched, so the unchanged what-if is exactly the file; a changed control
rewrites only its own part of the document:

=================  =========================================================================================
control            what it changes in the document
=================  =========================================================================================
``fazer_jobs``     the ``jobs`` shocks: the production shock's head count scaled to this many direct jobs
                   (0 removes every ``jobs`` shock). A file without Fazer takes ``fazer.toml``'s shocks.
``fazer_start``    every ``jobs`` shock's months shifted so that production starts (its ramp begins) here.
``fazer_local``    ``local_share`` of every ``jobs`` shock, % (a fixed number replaces a distribution).
``refugees``       ``arrivals`` shocks: persons a month scaled so that all periods sum to this many persons
                   (0 removes them); a file without arrivals takes ``refugees.toml``'s shock.
``activation``     one ``activation`` shock to this target %, reached by the file's date (else December after the budget year).
``downturn``       ``downturn`` shocks: the rise of new spells at the trough scaled to this %, vacancy drop
                   in proportion (its upper tail kept ≤ 95 %); 0 removes them; template ``downturn.toml``.
``tmt_rules``      parameter ``tmt.rule_set``: ``te24`` from 2025-01, or the 2022 rules (``r2006``) throughout.
``eco_delay``      ``ledger`` shocks named ``ecosystem*``: the ecosystem projects slip this many more years
                   (from the year after the budget year), by the budget year's slip amounts (the baseline's adjustments), caught up the year after.
``estimator``      ``settings.estimator``.
``draws``, ``seed`` not in the document: the run's paths and seed.
=================  =========================================================================================

The mapping is data manipulation only; what a shock does is the engine's business (engine/model/shocks.py).
What the controls may take depends on the reporting period: :class:`ControlSpace` (``for_baseline``) gives
the as-of month, the first year after the budget year, the months Fazer may start in and each control's
:class:`Domain`; every function that needs them takes the space.
Every document goes through :func:`engine.scenario_from_dict`, which validates it like a scenario file.
"""
from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from engine.common.distributions import Distribution
from engine.load.baseline import Baseline
from engine.load.parameters import Parameters
from engine.load.scenario import ESTIMATORS, Scenario, load_scenario, scenario_from_dict

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "scenarios"  # bundled files a control borrows shocks from
DEFAULT_DRAWS = 1000  # measured (benchmarks/test_bench_app.py, compiled kernel): see benchmarks/README.md
DEFAULT_SEED = 1
MAX_VACANCY_DROP_PCT = 95.0  # % a scaled downturn's vacancy drop may reach at its upper tail (engine: 0…100 %)


# ------------------------------------------------------------------------------------------ widget domains
@dataclass(frozen=True)
class Domain:
    """A control's allowed values in the UI: a numeric range with a step, or a list of options."""

    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    options: tuple[str, ...] = ()
    kind: str = "int"  # int | float | choice

    def contains(self, v: Any) -> bool:
        if self.kind == "choice":
            return v in self.options
        return self.lo <= v <= self.hi


def months_between(first: str, last: str) -> tuple[str, ...]:
    """``('2023-01', …, last)`` inclusive.

    >>> months_between("2022-11", "2023-02")
    ('2022-11', '2022-12', '2023-01', '2023-02')
    """
    months = np.arange(np.datetime64(first, "M"), np.datetime64(last, "M") + 1)
    return tuple(str(m) for m in months)


def add_months(month: str, k: int) -> str:
    """``add_months('2027-12', 2) == '2028-02'``.

    >>> add_months("2027-12", 2), add_months("2025-01", -1)
    ('2028-02', '2024-12')
    """
    return str(np.datetime64(month, "M") + k)


def month_diff(a: str, b: str) -> int:
    """Months from ``b`` to ``a`` (both ``YYYY-MM``, already validated).

    >>> month_diff("2028-02", "2027-12")
    2
    """
    return int((np.datetime64(a, "M") - np.datetime64(b, "M")).astype(int))


@dataclass(frozen=True)
class ControlSpace:
    """The controls of one reporting period: its as-of month (``YYYY-MM``; forecasts start the month
    after), the first year a what-if can move events into (the year after the budget year) and each
    control's :class:`Domain` (Fazer's start months run from that year's January to the horizon's end)."""

    as_of: str
    first_year_after: int
    domains: Mapping[str, Domain]

    @classmethod
    def for_baseline(cls, baseline: Baseline, horizon_end: str) -> "ControlSpace":
        """The space of ``baseline``'s period, Fazer's start months up to ``horizon_end`` (``YYYY-MM``)."""
        first = baseline.budget_year + 1
        rule_sets = Parameters.load_default()["tmt.rule_set"].choices
        domains = {
            "fazer_jobs": Domain(0, 2000, 50),
            "fazer_start": Domain(options=months_between(f"{first}-01", horizon_end), kind="choice"),
            "fazer_local": Domain(0, 100, 1),
            "refugees": Domain(0, 5000, 50),
            "activation": Domain(0.0, 80.0, 0.5, kind="float"),
            "downturn": Domain(0, 100, 5),
            "tmt_rules": Domain(options=tuple(rule_sets), kind="choice"),
            "eco_delay": Domain(0, 3, 1),
            "estimator": Domain(options=tuple(ESTIMATORS), kind="choice"),
            "draws": Domain(1, 10000, 1),
            "seed": Domain(0, 2**31 - 1, 1),
        }
        return cls(str(baseline.as_of), first, MappingProxyType(domains))

    @property
    def start_months(self) -> tuple[str, ...]:
        return self.domains["fazer_start"].options

    def domain(self, name: str, d: "Controls") -> Domain:
        """Control ``name``'s domain, widened to hold the base file's own value ``d`` (a file may go beyond
        the sliders)."""
        dom, default = self.domains[name], getattr(d, name)
        if dom.kind == "choice":
            return dom if default in dom.options else replace(dom, options=tuple(sorted((*dom.options, default))))
        return replace(dom, lo=min(dom.lo, default), hi=max(dom.hi, default))


# ------------------------------------------------------------------------------------------ controls
@dataclass(frozen=True)
class Controls:
    """The sidebar's scenario controls (units: persons, %, months as YYYY-MM, paths)."""

    base: str = "baseline"
    fazer_jobs: int = 0
    fazer_start: str = "2027-12"
    fazer_local: int = 50
    refugees: int = 0
    activation: float = 24.2
    downturn: int = 0
    tmt_rules: str = "r2006"
    eco_delay: int = 0
    estimator: str = "report"
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


CONTROL_NAMES = tuple(f.name for f in fields(Controls))
SCENARIO_CONTROLS = tuple(n for n in CONTROL_NAMES if n not in ("base", "draws", "seed"))


# ------------------------------------------------------------------------------------------ small helpers
def central(v: Any) -> float:
    """A number, or a distribution's median (the engine's central value)."""
    if isinstance(v, Mapping):
        return float(Distribution.from_mapping(dict(v)).median())
    return float(v)


_SCALE_KEYS = {
    "normal": ("mean", "sd"), "lognormal": ("median",), "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"), "truncnormal": ("mean", "sd", "low", "high"),
}


def scale_amount(v: Any, factor: float) -> Any:
    """A number or distribution multiplied by ``factor`` ≥ 0 (the whole random variable is scaled).

    >>> scale_amount({"dist": "triangular", "low": 10, "mode": 25, "high": 40}, 2.0)
    {'dist': 'triangular', 'low': 20.0, 'mode': 50.0, 'high': 80.0}
    >>> scale_amount(0.5, 3)
    1.5
    """
    if not isinstance(v, Mapping):
        return float(v) * factor
    out = dict(v)
    if factor == 0:
        return 0.0
    keys = _SCALE_KEYS.get(out["dist"])
    if keys is None:  # scipy-style: loc and scale carry the units
        out.setdefault("loc", 0.0)
        out.setdefault("scale", 1.0)
        keys = ("loc", "scale")
    for k in keys:
        out[k] = float(out[k]) * factor
    return out


def upper(v: Any) -> float | None:
    """The top of a number or a bounded distribution (``high``), else None."""
    if not isinstance(v, Mapping):
        return float(v)
    return float(v["high"]) if "high" in v else None


def shocks_of(doc: Mapping[str, Any], kind: str) -> dict[str, dict]:
    return {k: v for k, v in doc.get("shocks", {}).items() if v.get("type") == kind}


@functools.cache
def _template(stem: str) -> dict[str, Any]:
    return load_scenario(TEMPLATE_DIR / f"{stem}.toml").to_document()


def _template_doc(stem: str) -> dict[str, Any]:
    """A bundled scenario file resolved as a document (a copy: the caller may change it)."""
    return copy.deepcopy(_template(stem))


def template_shocks(stem: str, kind: str) -> dict[str, dict]:
    """The ``kind`` shocks of a bundled scenario file, for a base that has none."""
    return shocks_of(_template_doc(stem), kind)


def _production(jobs_shocks: Mapping[str, dict]) -> str | None:
    """The production shock: the jobs shock with the largest final head count (construction ends at 0)."""
    if not jobs_shocks:
        return None
    return max(jobs_shocks, key=lambda k: (jobs_shocks[k]["jobs"][-1]["persons"], max(p["persons"] for p in jobs_shocks[k]["jobs"])))


def _fazer_defaults(doc: Mapping[str, Any]) -> tuple[int, str, int]:
    own = shocks_of(doc, "jobs")
    src = own or template_shocks("fazer", "jobs")
    prod = src[_production(src)]
    jobs = int(round(prod["jobs"][-1]["persons"])) if own else 0
    return jobs, prod["jobs"][0]["month"], int(round(100 * central(prod.get("local_share", 0.6))))


def _arrivals_total(shocks: Mapping[str, dict]) -> float:
    return sum(p["persons_per_month"] * (month_diff(p["end"], p["start"]) + 1)
               for s in shocks.values() for p in s["arrivals"])


def _eco_shocks(doc: Mapping[str, Any]) -> dict[str, dict]:
    return {k: v for k, v in shocks_of(doc, "ledger").items() if k.startswith("ecosystem")}


def _eco_years(doc: Mapping[str, Any]) -> int:
    years = {c["year"] for s in _eco_shocks(doc).values() for c in s["changes"]
             if c["line"] == "grants_received" and central(c["amount_keur"]) < 0}
    return len(years)


def defaults(doc: Mapping[str, Any], base: str, space: ControlSpace, params: Parameters | None = None) -> Controls:
    """The controls' values that reproduce ``doc`` (the base file) unchanged; the activation rate with no
    activation shock is ``params``' (else the document's own) at the space's as-of month."""
    fazer_jobs, fazer_start, fazer_local = _fazer_defaults(doc)
    act = shocks_of(doc, "activation")
    if act:
        activation = float(list(act.values())[-1]["target_pct"])
    else:
        p = params if params is not None else scenario_from_dict(doc, id="base", label=base).parameters()
        activation = float(p["labour.activation_target_pct"].central_at(space.as_of))
    down = shocks_of(doc, "downturn")
    downturn = int(round(central(list(down.values())[-1]["inflow_increase_pct"]))) if down else 0
    rules = doc.get("parameters", {}).get("tmt.rule_set")
    te24 = isinstance(rules, list) and any(e.get("value") == "te24" for e in rules) or rules == "te24"
    return Controls(
        base=base, fazer_jobs=fazer_jobs, fazer_start=fazer_start, fazer_local=fazer_local,
        refugees=int(round(_arrivals_total(shocks_of(doc, "arrivals")))), activation=round(activation, 1),
        downturn=downturn, tmt_rules="te24" if te24 else "r2006", eco_delay=_eco_years(doc),
        estimator=doc.get("settings", {}).get("estimator", "report"),
    )


# ------------------------------------------------------------------------------------------ apply
def _set_shocks(doc: dict, kind: str, new: Mapping[str, dict], keep=lambda k, v: False) -> None:
    shocks = {k: v for k, v in doc.get("shocks", {}).items() if v.get("type") != kind or keep(k, v)}
    shocks.update(new)
    if shocks:
        doc["shocks"] = shocks
    else:
        doc.pop("shocks", None)


def _apply_fazer(doc: dict, c: Controls, d: Controls, space: ControlSpace) -> None:
    if (c.fazer_jobs, c.fazer_start, c.fazer_local) == (d.fazer_jobs, d.fazer_start, d.fazer_local):
        return
    if c.fazer_jobs <= 0:
        _set_shocks(doc, "jobs", {})
        return
    own = shocks_of(doc, "jobs")
    shocks = copy.deepcopy(own) if own else template_shocks("fazer", "jobs")
    prod = _production(shocks)
    old_jobs = shocks[prod]["jobs"][-1]["persons"]
    factor = c.fazer_jobs / old_jobs if old_jobs > 0 else 1.0
    shift = month_diff(c.fazer_start, shocks[prod]["jobs"][0]["month"])
    for sid, s in shocks.items():
        s["jobs"] = [{"month": add_months(p["month"], shift),
                      "persons": p["persons"] * (factor if sid == prod else 1.0)} for p in s["jobs"]]
        if c.fazer_local != d.fazer_local:
            s["local_share"] = c.fazer_local / 100.0
    _set_shocks(doc, "jobs", shocks)


def _resize(doc: dict, kind: str, stem: str, size: float, rescale: Callable[[dict[str, dict], float], None]) -> None:
    """Set the ``kind`` shocks to ``size`` (0 removes them): the scenario's own shocks, or else those of
    ``scenarios/<stem>.toml``, rescaled in place by ``rescale(shocks, size)``."""
    if size <= 0:
        _set_shocks(doc, kind, {})
        return
    own = shocks_of(doc, kind)
    shocks = copy.deepcopy(own) if own else template_shocks(stem, kind)
    rescale(shocks, size)
    _set_shocks(doc, kind, shocks)


def _apply_refugees(doc: dict, c: Controls, d: Controls, space: ControlSpace) -> None:
    def rescale(shocks: dict[str, dict], total: float) -> None:
        factor = total / _arrivals_total(shocks)
        for s in shocks.values():
            s["arrivals"] = [{**p, "persons_per_month": p["persons_per_month"] * factor} for p in s["arrivals"]]

    if c.refugees != d.refugees:
        _resize(doc, "arrivals", "refugees", c.refugees, rescale)


def _apply_activation(doc: dict, c: Controls, d: Controls, space: ControlSpace) -> None:
    if c.activation == d.activation:
        return
    own = list(shocks_of(doc, "activation").values())
    last = own[-1] if own else {}
    shock = {
        "type": "activation", "target_pct": float(c.activation),
        "label_fi": last.get("label_fi") or "Aktivointiaste (entä jos)",
        "label_en": last.get("label_en") or "Activation rate (what-if)",
        "start": last.get("start", add_months(space.as_of, 1)),
        "reach_by": last.get("reach_by", f"{space.first_year_after}-12"),
    }
    _set_shocks(doc, "activation", {"whatif_activation": shock})


def _apply_downturn(doc: dict, c: Controls, d: Controls, space: ControlSpace) -> None:
    def rescale(shocks: dict[str, dict], inflow_pct: float) -> None:
        for s in shocks.values():
            old = central(s["inflow_increase_pct"])
            factor = inflow_pct / old if old > 0 else 1.0
            s["inflow_increase_pct"] = scale_amount(s["inflow_increase_pct"], factor)
            top = upper(s["vacancy_drop_pct"])
            vf = min(factor, MAX_VACANCY_DROP_PCT / top) if top else factor
            s["vacancy_drop_pct"] = scale_amount(s["vacancy_drop_pct"], vf)

    if c.downturn != d.downturn:
        _resize(doc, "downturn", "downturn", c.downturn, rescale)


def _apply_tmt(doc: dict, c: Controls, d: Controls, space: ControlSpace) -> None:
    if c.tmt_rules == d.tmt_rules:
        return
    params = dict(doc.get("parameters", {}))
    if c.tmt_rules == "te24":  # the reform's dates as scenarios/te24_reform.toml has them
        params["tmt.rule_set"] = _template_doc("te24_reform")["parameters"]["tmt.rule_set"]
    else:
        params.pop("tmt.rule_set", None)
    if params:
        doc["parameters"] = params
    else:
        doc.pop("parameters", None)


def _eco_amounts(doc: Mapping[str, Any]) -> tuple[float, float]:
    """The budget year's slip (k€ revenue, k€ costs): the file's ecosystem adjustments, else baseline.toml's
    (the report's −600 / −700)."""
    adj = {**_template_doc("baseline").get("adjustments", {}), **doc.get("adjustments", {})}
    return (central(adj["ecosystem_revenue"]["amount_keur"]), central(adj["ecosystem_costs"]["amount_keur"]))


def _apply_eco(doc: dict, c: Controls, d: Controls, space: ControlSpace) -> None:
    if c.eco_delay == d.eco_delay:
        return
    old = set(_eco_shocks(doc))
    new: dict[str, dict] = {}
    if c.eco_delay > 0:
        rev, cost = _eco_amounts(doc)
        changes = []
        first = space.first_year_after
        for year in range(first, first + c.eco_delay):
            changes += [{"year": year, "unit": "elinvoima", "line": "grants_received", "amount_keur": rev},
                        {"year": year, "unit": "elinvoima", "line": "purchased_services", "amount_keur": cost}]
        catch_up = first + c.eco_delay
        changes += [{"year": catch_up, "unit": "elinvoima", "line": "grants_received", "amount_keur": -rev},
                    {"year": catch_up, "unit": "elinvoima", "line": "purchased_services", "amount_keur": -cost}]
        new["ecosystem_delay"] = {"type": "ledger", "label_fi": "Ekosysteemisopimushankkeiden viive",
                                  "label_en": "Ecosystem projects delayed", "changes": changes}
    _set_shocks(doc, "ledger", new, keep=lambda k, v: k not in old)


def apply(base_doc: Mapping[str, Any], c: Controls, d: Controls, space: ControlSpace) -> dict[str, Any]:
    """The base document with the controls that differ from ``d`` (its defaults) applied; a new dict."""
    doc = copy.deepcopy(dict(base_doc))
    doc.pop("extends", None)
    for step in (_apply_fazer, _apply_refugees, _apply_activation, _apply_downturn, _apply_tmt, _apply_eco):
        step(doc, c, d, space)
    if c.estimator != d.estimator:
        doc["settings"] = {**doc.get("settings", {}), "estimator": c.estimator}
    return doc


def changed(c: Controls, d: Controls) -> list[str]:
    """Names of the scenario controls that differ from the base file's defaults."""
    return [n for n in SCENARIO_CONTROLS if getattr(c, n) != getattr(d, n)]


def build(base_doc: Mapping[str, Any], c: Controls, d: Controls, space: ControlSpace, *, id: str = "whatif",
          label: str = "what-if", name: str | None = None) -> Scenario:
    """The validated what-if scenario; raises :class:`UserError` naming ``label`` and the field."""
    doc = apply(base_doc, c, d, space)
    if name:
        doc["name"] = name
    return scenario_from_dict(doc, id=id, label=label)


