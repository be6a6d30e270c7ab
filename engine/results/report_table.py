"""The tables the CLI prints and exports: the year-end summary (Finnish labels, M€ with one decimal)
and the report's own layout (1 000 €, costs negative; CSV and XLSX for pasting into the report)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from engine.load.baseline import COST_LINES, LINE_NAMES, REVENUE_LINES, Baseline
from engine.common.errors import UserError

ROWS = (("revenue_keur", "Toimintatuotot"), ("costs_keur", "Toimintakulut"), ("margin_keur", "Toimintakate"))


def meur(keur: float, signed: bool = False) -> str:
    """k€ → '1,9' (M€, one decimal, decimal comma as in the report)."""
    v = keur / 1000.0
    text = f"{v:+.1f}" if signed else f"{v:.1f}"
    if text in ("-0.0", "+0.0", "-0,0"):
        text = "+0.0" if signed else "0.0"
    return text.replace(".", ",").replace("-", "−")


def _tmt_unit(table: pd.DataFrame) -> str:
    """The unit whose rows carry ``tmt_cost_keur`` (the pack's tmt_unit)."""
    return str(table.loc[table.measure == "tmt_cost_keur", "unit"].iloc[0])


def _band(row: pd.Series) -> str:
    if np.isclose(row.p10, row.p90, rtol=0, atol=0.5):
        return ""
    return f"{meur(row.p10)}…{meur(row.p90)}"


def year_end_table(ye: pd.DataFrame, dev: pd.DataFrame, scenario_id: str, title: str, budget_year: int,
                   unit_names: dict[str, str], draws: int, year: int | None = None) -> str:
    """Budget, forecast (P10…P90) and deviation per unit for ``year`` (default: the budget year),
    from the tidy ``year_end`` and ``deviations`` tables of one scenario. ``unit_names``: the pack's
    units in its order, then ``etp``, each with its label."""
    year = year or budget_year
    ye = ye[(ye.scenario == scenario_id) & (ye.year == year)]
    tmt_unit = _tmt_unit(ye)
    ye = ye.set_index(["unit", "measure"])
    dev = dev[(dev.scenario == scenario_id) & (dev.year == year)]
    basis = "talousarvio" if year == budget_year else "talousarvio indeksoituna"
    lines = [
        f"{title} [{scenario_id}] — vuosi {year}, milj. € "
        f"(kulut positiivisina; poikkeama = ennuste − {basis}; {draws} polkua)",
        f"{'Yksikkö':<34}{'Erä':<16}{'Talousarvio':>12}{'Ennuste':>9}{'P10…P90':>16}{'Poikkeama':>11}"
        f"{'P(alle TA)':>12}",
    ]
    short: list[str] = []
    for unit in unit_names:
        for k, (measure, label) in enumerate(ROWS):
            row = ye.loc[(unit, measure)]
            b = ye.loc[(unit, "budget_" + measure), "mean"]
            p = ""
            if measure == "margin_keur" and (unit, "p_below_budget") in ye.index:
                p = f"{100 * ye.loc[(unit, 'p_below_budget'), 'mean']:.0f} %"
                if row["p50"] < b - 0.5 and unit != "etp":
                    short.append(f"  HUOM: {unit_names[unit]}: toimintakate {meur(row['p50'])} (P50) alittaa "
                                 f"talousarvion {meur(b)} — sitovuustaso ylittyy, talousarviomuutos tarpeen")
            lines.append(
                f"{(unit_names[unit] if k == 0 else ''):<34}{label:<16}{meur(b):>12}{meur(row['mean']):>9}"
                f"{_band(row):>16}{meur(row['mean'] - b, signed=True):>11}{p:>12}"
            )
    tmt = ye.loc[(tmt_unit, "tmt_cost_keur")]
    lines.append(f"{'':<34}{'josta TMT':<16}{'':>12}{meur(tmt['mean']):>9}{_band(tmt):>16}")
    if short:
        lines.append("Sitovuustaso (toimintakate; P(alle TA) = todennäköisyys jäädä talousarviota heikommaksi):")
        lines += short
    lines.append("")
    lines.append(f"Poikkeaman erittely (toimintakate, milj. €; + = parempi kuin {basis}):")
    for unit in (u for u in unit_names if u != "etp"):
        d = dev[dev.unit == unit].set_index("driver")
        lines.append(f"  {unit_names[unit]}: {meur(d.loc['total_deviation', 'mean'], signed=True)}")
        for drv, row in d.iterrows():
            if drv in ("budget_margin", "forecast_margin", "total_deviation"):
                continue
            if drv == "unexplained" and abs(row["mean"]) < 0.5:
                continue
            lines.append(f"    {row['label_fi']:<58}{meur(row['mean'], signed=True):>8}{_band(row):>16}")
    return "\n".join(lines)


def multi_year_table(ye: pd.DataFrame, scenario_id: str, unit_names: dict[str, str]) -> str:
    ye = ye[ye.scenario == scenario_id]
    years = sorted(ye.year.unique())
    if len(years) <= 1:
        return ""
    head = f"{'Toimintakate, milj. €':<34}" + "".join(f"{y:>9}" for y in years)
    lines = [head]
    for unit in unit_names:
        vals = ye[(ye.unit == unit) & (ye.measure == "margin_keur")].set_index("year")["mean"]
        lines.append(f"{unit_names[unit]:<34}" + "".join(f"{meur(vals[y]):>9}" for y in years))
    vals = ye[(ye.unit == _tmt_unit(ye)) & (ye.measure == "tmt_cost_keur")].set_index("year")["mean"]
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
    shown = (("etp", "margin_keur", "Toimintakate ETP, milj. €", True), (_tmt_unit(sel), "tmt_cost_keur", "TMT, milj. €", True),
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


# ------------------------------------------------------------------ the report's own layout (issue 13, item 11)
LAYOUT_ROWS = (("revenue", "Toimintatuotot"),) + tuple((ln, LINE_NAMES[ln][0]) for ln in REVENUE_LINES) + \
    (("costs", "Toimintakulut"),) + tuple((ln, LINE_NAMES[ln][0]) for ln in COST_LINES) + (("margin", "Toimintakate"),)


def layout_columns(baseline: Baseline) -> tuple[str, ...]:
    """The report's column heads: TA 2022, Toteuma 1–6, Toteuma-%, Ennuste, Poikkeama, TP 2021."""
    by, month = baseline.budget_year, int(str(baseline.as_of)[5:7])
    return (f"TA {by}", f"Toteuma 1–{month}", "Toteuma-%", "Ennuste", "Poikkeama", f"TP {by - 1}")


def report_layout(ye: pd.DataFrame, baseline: Baseline, scenario_id: str) -> pd.DataFrame:
    """One scenario's budget year in the monitoring report's layout, 1 000 € with costs negative.

    Rows per unit (the pack's units in its order, then etp = their sum): Toimintatuotot and its lines,
    Toimintakulut and its lines, Toimintakate. Columns: ``scenario, unit, line, Yksikkö, Erä`` and
    the report's heads (:func:`layout_columns`). Ennuste is the mean over paths; Poikkeama = Ennuste −
    TA; Toteuma-% = Toteuma ÷ TA × 100; TP (last year's closed accounts) exists only for the totals.
    """
    by = baseline.budget_year
    sel = ye[(ye.scenario == scenario_id) & (ye.year == by)].set_index(["unit", "measure"])["mean"]
    ta, tot, pct, enn, dev, tp = layout_columns(baseline)
    rows = []
    for unit in baseline.units + ("etp",):
        members = baseline.units if unit == "etp" else (unit,)
        name = "Elinvoima- ja työllisyyspalvelut" if unit == "etp" else baseline.unit_name(unit)
        for line, label in LAYOUT_ROWS:
            if line in ("revenue", "costs", "margin"):
                def total(col, side=line):
                    vals = [baseline.ledger[u].rows[side][col] for u in members]
                    return None if any(v is None for v in vals) else float(sum(vals))
                budget, actual, closing = total("budget"), total("actual_ytd"), total("closing_prev")
                sign = -1.0 if line == "costs" else 1.0
                forecast = sign * sel[(unit, f"{'margin' if line == 'margin' else line}_keur")]
            else:
                row = [baseline.ledger[u].rows[line] for u in members]
                budget, actual, closing = float(sum(r["budget"] for r in row)), float(sum(r["actual_ytd"] for r in row)), None
                forecast = (1.0 if line in REVENUE_LINES else -1.0) * sel[(unit, f"{line}_keur")]
            rows.append({
                "scenario": scenario_id, "unit": unit, "line": line, "Yksikkö": name, "Erä": label,
                ta: round(budget), tot: round(actual),
                pct: round(100.0 * actual / budget, 1) if budget else None,
                enn: round(forecast), dev: round(forecast) - round(budget),
                tp: None if closing is None else round(closing),
            })
    df = pd.DataFrame(rows)
    return df.astype({tp: "Int64", pct: "Float64"})


def report_layout_table(layout: pd.DataFrame, title: str) -> str:
    """The layout as printed text: 1 000 €, costs negative, as the report's Taso4 tables."""
    heads = [c for c in layout.columns if c not in ("scenario", "unit", "line", "Yksikkö", "Erä")]
    out = [f"{title} — raportin taulukkomuoto, 1 000 € (kulut negatiivisina)",
           f"{'Erä':<32}" + "".join(f"{h:>13}" for h in heads)]
    for unit, g in layout.groupby("unit", sort=False):
        out.append(g["Yksikkö"].iloc[0])
        for _, r in g.iterrows():
            cells = []
            for h in heads:
                v = r[h]
                if pd.isna(v):
                    cells.append("")
                elif h == "Toteuma-%":
                    cells.append(f"{v:.1f}".replace(".", ","))
                else:
                    cells.append(f"{int(v):,}".replace(",", " ").replace("-", "−"))
            indent = "  " if r["line"] in ("revenue", "costs", "margin") else "    "
            out.append(f"{indent + r['Erä']:<32}" + "".join(f"{c:>13}" for c in cells))
    return "\n".join(out)


XLSX_CREATOR = "etp-ennuste"  # marks a workbook this tool wrote: only such a file is ever overwritten


def check_xlsx_target(path: str | Path, field: str = "--xlsx") -> Path:
    """``--xlsx``'s file, checked before anything is computed: a ``.xlsx`` name in an existing folder, and
    either new or a workbook this tool wrote (its creator is ``etp-ennuste``); else a :class:`UserError`."""
    from openpyxl import load_workbook

    out = Path(path)
    label = str(out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"the file name must end in .xlsx, got {out.name!r}", file=label, field=field)
    if not out.parent.is_dir():
        raise UserError("its folder does not exist", file=label, field=field)
    if out.exists():
        try:
            creator = load_workbook(out, read_only=True).properties.creator
        except Exception:  # not a workbook at all
            creator = None
        if creator != XLSX_CREATOR:
            raise UserError("exists and was not written by ennuste; choose another name or remove it",
                            file=label, field=field)
    return out


def write_report_xlsx(layouts: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write each scenario's layout to its own sheet of an XLSX workbook, atomically.

    openpyxl writes the file; it goes to a temporary sibling first and is renamed into place, so an
    error leaves the old file or none. An existing file is replaced only if this tool wrote it
    (:func:`check_xlsx_target`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    out = check_xlsx_target(path)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = XLSX_CREATOR
    for sid, layout in layouts.items():
        ws = wb.create_sheet(title=sid[:31])
        heads = [c for c in layout.columns if c not in ("scenario", "unit", "line")]
        ws.append(heads)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for _, r in layout.iterrows():
            ws.append([None if pd.isna(r[h]) else (r[h] if isinstance(r[h], str) else float(r[h])) for h in heads])
            if r["line"] in ("revenue", "costs", "margin"):
                for cell in ws[ws.max_row]:
                    cell.font = Font(bold=True)
        for row in ws.iter_rows(min_row=2, min_col=3):
            for cell in row:
                cell.number_format = "0.0" if ws.cell(1, cell.column).value == "Toteuma-%" else "#,##0"
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 30
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
