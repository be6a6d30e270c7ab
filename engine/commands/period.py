"""`ennuste period template` and `ennuste period check`: start a new period's pack, and check one.

The template is an Excel workbook with a sheet of instructions (Finnish and English) and every sheet
of the pack format (engine.load.period) filled with the bundled Lahti Jan–Jun 2022 example, so a
planner overwrites figures rather than builds tables. Read back unchanged it is the bundled pack (same
content hash, hence the same calibration and the same forecast).
"""
from __future__ import annotations

import os
from pathlib import Path

from engine.common.errors import UserError
from engine.load.baseline import Baseline
from engine.load.period import INSTRUCTIONS_SHEET, SHEETS, bundled_tables
from engine.results.report_table import XLSX_CREATOR

INSTRUCTIONS = (
    ("Kausipaketti / period pack", ""),
    ("Täytä tämän työkirjan taulukot uuden kauden luvuilla. Esimerkkinä on Lahden tammi–kesäkuu 2022 "
     "(seurantaraportti): kirjoita luvut sen päälle.",
     "Fill in this workbook's sheets with the new period's figures. The example is Lahti's Jan–Jun 2022 "
     "(monitoring report): overwrite its figures."),
    ("Rahat 1 000 euroina (t€) kuten raportissa: tuotot positiivisina, kulut negatiivisina. Kuukaudet muodossa "
     "VVVV-KK (esim. 2022-06), tekstinä. Tyhjä solu = lähteessä ei lukua.",
     "Money in 1 000 € (k€) as printed: revenue positive, costs negative. Months as YYYY-MM (e.g. 2022-06), as "
     "text. A blank cell = the source has no figure."),
    ("meta: kaupunki, talousarviovuosi, as_of = viimeinen toteumakuukausi (VVVV-KK tai 1–12), lähteet, "
     "edellisen vuoden TMT (t€).",
     "meta: city, budget year, as_of = the last month with actuals (YYYY-MM or 1–12), sources, last year's "
     "TMT share (k€)."),
    ("units: yksiköt (tunnus, koodi, nimi suomeksi ja englanniksi).",
     "units: the finance units (identifier, code, Finnish and English name)."),
    ("ledger: jokaiselle yksikölle rivit sales, grants_received, staff, purchased_services, materials, "
     "grants_paid, other ja summat revenue, costs, margin: talousarvio (voimassa), toteuma tammikuusta "
     "as_of-kuukauteen, sama jakso edellisenä vuonna, edellisen vuoden tilinpäätös (ainakin summille). "
     "Rivien summa = summarivi (1 t€ pyöristysvara).",
     "ledger: for every unit the lines sales, grants_received, staff, purchased_services, materials, "
     "grants_paid, other and the totals revenue, costs, margin: budget in force, actual January to the as-of "
     "month, the same months last year, last year's closed accounts (at least for the totals). Lines sum to "
     "their total (1 k€ rounding allowed)."),
    ("drivers (valinnainen): tiedossa olevat poikkeamat, t€ (+ = lisää tuloja tai kuluja), selite ja lähde. "
     "Malli lisää ne ennusteeseen kuten skenaarion oikaisut.",
     "drivers (optional): known deviations, k€ (+ = more revenue or more cost), label and source. The model "
     "adds them to the forecast as a scenario's adjustments."),
    ("labour: työmarkkinat kuukausittain, joka kuukausi ensimmäisestä riviltä as_of-kuukauteen, vähintään 12 "
     "kuukautta ennen sitä. as_of-kuukaudelta ja vuotta aiemmalta: työttömät, pitkäaikaistyöttömät, avoimet "
     "työpaikat, aktivointiaste (ja as_of-kuukaudelta työttömyysaste).",
     "labour: the labour market month by month, every month from the first row to the as-of month, at "
     "least the 12 before it. For the as-of month and a year before: unemployed, long-term unemployed, "
     "open vacancies, activation rate (and for the as-of month the unemployment rate)."),
    ("tmt: työmarkkinatuen kuntaosuus etuuskuukausittain tammikuusta as_of-kuukauteen (t€, laskutetut "
     "henkilöt kuukaudessa keskimäärin, osuudet yli 1 000 / 500 päivää jos tiedossa). Useampi kuukausi yhdellä "
     "rivillä: 2022-01..2022-06.",
     "tmt: the municipal share of the labour-market subsidy by benefit month, January to the as-of month "
     "(k€, billed persons on average a month, the shares over 1 000 / 500 days where known). Several months "
     "on one row: 2022-01..2022-06."),
    ("trial, report_forecast, staff_htv: kuntakokeilun päättyneet asiakkuudet (poistumasuhteet), raportin oma "
     "ennuste vertailuun (valinnainen), henkilötyövuodet kumulatiivisesti (valinnainen).",
     "trial, report_forecast, staff_htv: the trial's ended client relationships (exit ratios), the report's "
     "own forecast for comparison (optional), person-years cumulative by month (optional)."),
    ("Tarkista: ennuste period check TIEDOSTO.xlsx — aja: ennuste run --period TIEDOSTO.xlsx scenarios/baseline.toml",
     "Check: ennuste period check FILE.xlsx — run: ennuste run --period FILE.xlsx scenarios/baseline.toml"),
)


def write_template(path: str | os.PathLike, force: bool = False) -> Path:
    """Write the template workbook to ``path`` (.xlsx), atomically; an existing file only with ``force``."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    out = Path(path)
    label = str(out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"the file name must end in .xlsx, got {out.name!r}", file=label, field="--out")
    if not out.parent.is_dir():
        raise UserError("its folder does not exist", file=label, field="--out")
    if out.exists() and not force:
        raise UserError("exists; a template never overwrites a file (it may hold a filled-in pack): choose another "
                        "name, or give --force to replace it", file=label, field="--out")
    if out.is_dir():
        raise UserError("is a folder; give a file name ending in .xlsx", file=label, field="--out")
    tables = bundled_tables()
    wb = Workbook()
    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    wb.properties.creator = XLSX_CREATOR
    ws.append(["Suomeksi", "In English"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for fi, en in INSTRUCTIONS:
        ws.append([fi, en])
    ws.column_dimensions["A"].width = ws.column_dimensions["B"].width = 90
    for name, spec in SHEETS.items():
        rows = tables.get(name, [])
        sheet = wb.create_sheet(name)
        sheet.append(list(spec.columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r in rows:
            sheet.append([_cell(r.get(c)) for c in spec.columns])
        for i, c in enumerate(spec.columns):
            sheet.column_dimensions[chr(ord("A") + i)].width = max(12, min(len(c) + 4, 40))
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        wb.save(tmp)
        tmp.replace(out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def _cell(v):
    """A CSV cell as the workbook holds it: numbers as numbers, the rest (months included) as text."""
    if not isinstance(v, str):
        return v
    from engine.load.period import _FLOAT, _INT

    if _INT.fullmatch(v):
        return int(v)
    if _FLOAT.fullmatch(v):
        return float(v)
    return v


def summary(b: Baseline) -> str:
    """What `ennuste period check` prints for a good pack."""
    by, as_of = b.budget_year, str(b.as_of)
    lines = [f"{b.file}: ok — {b.raw.meta.city}, budget year {by}, as of {as_of} ({b.raw.meta.title})",
             f"  content sha256 {b.content_hash[:16]}…"]
    for u in b.units:
        f = b.ledger[u]
        lines.append(f"  {u} ({b.raw.units[u].code}): budget margin {f.rows['margin']['budget']:,.0f} k€, "
                     f"booked 1–{b.as_of_month} {f.rows['margin']['actual_ytd']:,.0f} k€")
    t, lab = b.tmt, b.labour
    lines.append(f"  TMT 1–{b.as_of_month}/{by}: {t.city_share_ytd_keur:,.0f} k€, {t.avg_billed_persons_ytd:,.0f} persons "
                 f"a month; {by - 1}: {t.closing_prev_keur:,.0f} k€")
    months = [p.month for p in lab.history]
    lines.append(f"  labour {months[0]}…{months[-1]}: unemployed {lab.unemployed:,.0f} ({lab.unemployment_rate_pct:g} %), "
                 f"long-term {lab.long_term_unemployed:,.0f}, vacancies {lab.vacancies:,.0f}, activation "
                 f"{lab.activation_rate_pct:g} %")
    if b.drivers:
        lines.append(f"  drivers: {len(b.drivers)}, " + "; ".join(f"{d.unit}/{d.line} {d.year} {d.amount_keur:+g} k€"
                                                             for d in b.drivers[:5]))
    return "\n".join(lines)
