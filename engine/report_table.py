"""The readable year-end table the CLI prints: Finnish labels, M€ with one decimal."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .result import Result

UNIT_ORDER = ("elinvoima", "tyollisyys", "etp")
ROWS = (("revenue_keur", "Toimintatuotot"), ("costs_keur", "Toimintakulut"), ("margin_keur", "Toimintakate"))


def meur(keur: float, signed: bool = False) -> str:
    """k€ → '1,9' (M€, one decimal, decimal comma as in the report)."""
    v = keur / 1000.0
    text = f"{v:+.1f}" if signed else f"{v:.1f}"
    if text in ("-0.0", "+0.0", "-0,0"):
        text = "+0.0" if signed else "0.0"
    return text.replace(".", ",").replace("-", "−")


def _band(row: pd.Series) -> str:
    if np.isclose(row.p10, row.p90, rtol=0, atol=0.5):
        return ""
    return f"{meur(row.p10)}…{meur(row.p90)}"


def year_end_table(ye: pd.DataFrame, dev: pd.DataFrame, scenario_id: str, title: str, budget_year: int,
                   unit_names: dict[str, str], draws: int, year: int | None = None) -> str:
    """Budget, forecast (P10…P90) and deviation per unit for ``year`` (default: the budget year),
    from the tidy ``year_end`` and ``deviations`` tables of one scenario."""
    year = year or budget_year
    ye = ye[(ye.scenario == scenario_id) & (ye.year == year)].set_index(["unit", "measure"])
    dev = dev[(dev.scenario == scenario_id) & (dev.year == year)]
    basis = "talousarvio" if year == budget_year else "talousarvio indeksoituna"
    lines = [
        f"{title} [{scenario_id}] — vuosi {year}, milj. € "
        f"(kulut positiivisina; poikkeama = ennuste − {basis}; {draws} polkua)",
        f"{'Yksikkö':<34}{'Erä':<16}{'Talousarvio':>12}{'Ennuste':>9}{'P10…P90':>16}{'Poikkeama':>11}",
    ]
    for unit in UNIT_ORDER:
        for k, (measure, label) in enumerate(ROWS):
            row = ye.loc[(unit, measure)]
            b = ye.loc[(unit, "budget_" + measure), "mean"]
            lines.append(
                f"{(unit_names[unit] if k == 0 else ''):<34}{label:<16}{meur(b):>12}{meur(row['mean']):>9}"
                f"{_band(row):>16}{meur(row['mean'] - b, signed=True):>11}"
            )
    tmt = ye.loc[("tyollisyys", "tmt_cost_keur")]
    lines.append(f"{'':<34}{'josta TMT':<16}{'':>12}{meur(tmt['mean']):>9}{_band(tmt):>16}")
    lines.append("")
    lines.append(f"Poikkeaman erittely (toimintakate, milj. €; + = parempi kuin {basis}):")
    for unit in ("elinvoima", "tyollisyys"):
        d = dev[dev.unit == unit].set_index("driver")
        lines.append(f"  {unit_names[unit]}: {meur(d.loc['total_deviation', 'mean'], signed=True)}")
        for drv, row in d.iterrows():
            if drv in ("budget_margin", "forecast_margin", "total_deviation"):
                continue
            if drv == "unexplained" and abs(row["mean"]) < 0.5:
                continue
            lines.append(f"    {row['label_fi']:<58}{meur(row['mean'], signed=True):>8}")
    return "\n".join(lines)


def multi_year_table(ye: pd.DataFrame, scenario_id: str, unit_names: dict[str, str]) -> str:
    ye = ye[ye.scenario == scenario_id]
    years = sorted(ye.year.unique())
    if len(years) <= 1:
        return ""
    head = f"{'Toimintakate, milj. €':<34}" + "".join(f"{y:>9}" for y in years)
    lines = [head]
    for unit in UNIT_ORDER:
        vals = ye[(ye.unit == unit) & (ye.measure == "margin_keur")].set_index("year")["mean"]
        lines.append(f"{unit_names[unit]:<34}" + "".join(f"{meur(vals[y]):>9}" for y in years))
    vals = ye[(ye.unit == "tyollisyys") & (ye.measure == "tmt_cost_keur")].set_index("year")["mean"]
    lines.append(f"{'TMT (työmarkkinatuen kuntaosuus)':<34}" + "".join(f"{meur(vals[y]):>9}" for y in years))
    lab = ye[ye.unit == "lahti"]
    for measure, label, fmt in (("unemployed", "Työttömät, joulukuu", "{:.0f}"),
                                ("long_term_unemployed", "Pitkäaikaistyöttömät, joulukuu", "{:.0f}"),
                                ("unemployment_rate_pct", "Työttömyysaste %, joulukuu", "{:.1f}")):
        vals = lab[lab.measure == measure].set_index("year")["mean"]
        if len(vals):
            lines.append(f"{label:<34}" + "".join(f"{fmt.format(vals[y]).replace('.', ','):>9}" for y in years))
    return "\n".join(lines)


def comparison_table(cmp: pd.DataFrame, year: int) -> str:
    """Each scenario's effect against the baseline in ``year``: mean (P10…P90) of the path-wise difference."""
    sel = cmp[cmp.year == year]
    if sel.empty:
        return ""
    shown = (("etp", "margin_keur", "Toimintakate ETP, milj. €", True), ("tyollisyys", "tmt_cost_keur", "TMT, milj. €", True),
             ("lahti", "unemployed", "Työttömät 12/", False))
    lines = [f"Ero perusuraan vuonna {year} (keskiarvo, P10…P90; samat satunnaisluvut):"]
    for sid, g in sel.groupby("scenario", sort=False):
        g = g.set_index(["unit", "measure"])
        parts = []
        for unit, measure, label, money in shown:
            r = g.loc[(unit, measure)]
            f = (lambda v: meur(v, signed=True)) if money else (lambda v: f"{v:+.0f}")
            parts.append(f"{label} {f(r['mean'])} ({f(r['p10'])}…{f(r['p90'])})")
        lines.append(f"  {sid:<18}" + "; ".join(parts))
    return "\n".join(lines)
