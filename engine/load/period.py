"""Period packs: one reporting period's figures, from an Excel workbook or a folder of CSV files.

A pack holds the tables below, as sheets of an ``.xlsx`` workbook or as ``<sheet>.csv`` files in a
folder (same columns, a header row first). Money in k€ as printed in the ledger (revenue positive,
costs negative); months ``YYYY-MM``. A blank cell is a figure the source does not give.

==================  ==========================================================================
sheet               columns (``*`` required)
==================  ==========================================================================
meta                key*, value*, note — keys: city*, title*, budget_year*, as_of* (YYYY-MM, or 1–12
                    of the budget year), source*, labour_source*, tmt_source*, tmt_closing_prev_keur*
                    (last year's TMT share, k€), staff_htv_source, staff_htv_actual_months,
                    tmt_pilot_target_persons, tmt_pilot_end; tmt_unit, employment_unit, vitality_unit
                    (a declared unit each; defaults ROLE_DEFAULTS where the pack declares that unit)
units               unit*, code*, name_fi*, name_en*, ledger_source — one row per finance unit
ledger              unit*, line*, budget*, actual_ytd*, actual_ytd_prev*, closing_prev, note — per unit
                    the lines (LINES) and the totals revenue, costs, margin (closing_prev at least there)
drivers (optional)  unit*, line*, year*, amount_keur*, label_fi*, label_en*, source* — named drivers
labour              month*, unemployment_rate_pct, youth_unemployment_rate_pct, unemployed,
                    long_term_unemployed, vacancies, new_vacancies, activation_rate_pct, under_25,
                    labour_force, note — every month from the first row to the as-of month, at least
                    the 12 before it; the as-of month and the same month a year before filled
tmt                 period* (YYYY-MM, or YYYY-MM..YYYY-MM for months given together), city_share_keur*,
                    billed_persons* (average a month), money_share_over_1000_days_pct,
                    persons_share_over_500_days_pct, note — January to the as-of month, benefit months
trial               key*, value*, note — source*, ended_employed_pct*, ended_out_of_labour_force_pct*,
                    ended_education_pct*, and the trial's other figures (see engine.load.baseline._Trial)
report_forecast     key*, value*, note — the report's own year-end forecast, for comparison (optional)
staff_htv           unit*, month* (1–12), actual_or_forecast*, target*, prev_year* — person-years,
                    cumulative by month (optional)
==================  ==========================================================================

:func:`load_period` checks everything, collects every problem (not just the first) and raises one
:class:`PackError` that lists them one a line: the sheet (or CSV file), row, column, value and what
is allowed. A good pack becomes the engine's :class:`engine.load.baseline.Baseline`, the same class
whatever the source. Workbooks are untrusted input: size-capped, checked as a zip before they are
opened, read without formulas being evaluated (cached values only) and without macros.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from engine.common.errors import UserError, clip, show
from engine.common.validation import first_error
from engine.load.baseline import (
    BUNDLED_PACK, COST_LINES, LINES, REVENUE_LINES, TOLERANCE_KEUR, UNIT_PATTERN, Baseline, LedgerFigures, PackDriver,
    _BaselineFile, _Trial,
)

MAX_XLSX_BYTES = 20 * 2**20  # a pack is a few hundred rows; anything this big is not one
MAX_UNZIPPED_BYTES = 100 * 2**20  # a zip bomb's parts are refused before they are read
MAX_ROWS = 5000  # rows per sheet
MAX_SHOWN_PROBLEMS = 60  # problems listed (the count says how many more)
TOTALS = ("revenue", "costs", "margin")
LEDGER_COLS = ("budget", "actual_ytd", "actual_ytd_prev", "closing_prev")
LABOUR_COLS = ("unemployment_rate_pct", "youth_unemployment_rate_pct", "unemployed", "long_term_unemployed",
               "vacancies", "new_vacancies", "activation_rate_pct", "under_25", "labour_force")
PCT_COLS = ("unemployment_rate_pct", "youth_unemployment_rate_pct", "activation_rate_pct",
            "money_share_over_1000_days_pct", "persons_share_over_500_days_pct")
AS_OF_NEEDS = ("unemployment_rate_pct", "unemployed", "long_term_unemployed", "vacancies", "activation_rate_pct")
PREV_NEEDS = ("unemployed", "long_term_unemployed", "vacancies", "activation_rate_pct")


@dataclass(frozen=True)
class Sheet:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    optional_sheet: bool = False
    keys: tuple[str, ...] = ()  # key/value sheets: the keys that must be there


KEY_VALUE = ("key", "value", "note")
SHEETS: dict[str, Sheet] = {
    "meta": Sheet(KEY_VALUE, ("key", "value"), keys=("city", "title", "budget_year", "as_of", "source", "labour_source",
                                                     "tmt_source", "tmt_closing_prev_keur")),
    "units": Sheet(("unit", "code", "name_fi", "name_en", "ledger_source"), ("unit", "code", "name_fi", "name_en")),
    "ledger": Sheet(("unit", "line") + LEDGER_COLS + ("note",), ("unit", "line", "budget", "actual_ytd", "actual_ytd_prev",
                                                                   "closing_prev")),
    "drivers": Sheet(("unit", "line", "year", "amount_keur", "label_fi", "label_en", "source"),
                     ("unit", "line", "year", "amount_keur", "label_fi", "label_en", "source"), optional_sheet=True),
    "labour": Sheet(("month",) + LABOUR_COLS + ("note",), ("month",) + AS_OF_NEEDS),
    "tmt": Sheet(("period", "city_share_keur", "billed_persons", "money_share_over_1000_days_pct",
                  "persons_share_over_500_days_pct", "note"), ("period", "city_share_keur", "billed_persons")),
    "trial": Sheet(KEY_VALUE, ("key", "value"), keys=("source", "ended_employed_pct", "ended_out_of_labour_force_pct",
                                                      "ended_education_pct")),
    "report_forecast": Sheet(KEY_VALUE, ("key", "value"), optional_sheet=True,
                             keys=("source", "rounding_keur", "elinvoima_revenue", "elinvoima_costs", "tyollisyys_revenue",
                                   "tyollisyys_costs", "tmt_cost", "tmt_cost_prev")),
    "staff_htv": Sheet(("unit", "month", "actual_or_forecast", "target", "prev_year"),
                       ("unit", "month", "actual_or_forecast", "target", "prev_year"), optional_sheet=True),
}
# The unit roles the model books on, as meta keys (the unit's code), each with the code it defaults to
# when the pack declares that unit: the TMT on tmt_unit's grants paid; the labour-side shocks on
# employment_unit; the immigration shocks on vitality_unit.
ROLE_DEFAULTS = {"tmt_unit": "tyollisyys", "employment_unit": "tyollisyys", "vitality_unit": "elinvoima"}
META_NUMBERS = {"budget_year": "int", "tmt_closing_prev_keur": "num", "staff_htv_actual_months": "int",
                "tmt_pilot_target_persons": "int"}
META_KEYS = SHEETS["meta"].keys + ("staff_htv_source", "staff_htv_actual_months", "tmt_pilot_target_persons",
                                   "tmt_pilot_end") + tuple(ROLE_DEFAULTS)
TRIAL_TEXT = ("source", "start", "end")
INSTRUCTIONS_SHEET = "ohjeet"  # the template's instructions (Finnish and English), not data


class PackError(UserError):
    """A refused pack: every problem found, one a line (``sheet 'x', row n, column 'c': …``)."""

    def __init__(self, label: str, problems: list[str]):
        self.problems = problems
        head = f"the period pack has {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head, file=label)
        shown = problems[:MAX_SHOWN_PROBLEMS]
        more = [f"  … and {len(problems) - len(shown)} more"] if len(problems) > len(shown) else []
        self.text = "\n".join([f"{self.file}: {head}:"] + [f"  {p}" for p in shown] + more)

    def __str__(self) -> str:
        return self.text


# ------------------------------------------------------------------------------------------ reading
Row = dict[str, Any]  # column → cell value (str, int, float, datetime or None); "_row" the sheet's row number


class _Source:
    """Where a pack's tables come from, and how a place in it is named in a message."""

    def __init__(self, label: str, kind: str):
        self.label, self.kind = label, kind

    def where(self, sheet: str, row: int | None = None, column: str | None = None) -> str:
        out = f"sheet '{sheet}'" if self.kind == "xlsx" else f"{sheet}.csv"
        if row is not None:
            out += f", row {row}"
        if column is not None:
            out += f", column '{column}'"
        return out


def _tables_from_rows(name: str, rows: Iterable[tuple], src: _Source, problems: list[str]) -> list[Row] | None:
    it = iter(rows)
    header = next(it, None)
    if header is None:
        problems.append(f"{src.where(name)}: is empty; it needs a header row ({', '.join(SHEETS[name].columns)})")
        return None
    cols = [str(h).strip() if h is not None else "" for h in header]
    while cols and cols[-1] == "":
        cols.pop()
    spec = SHEETS[name]
    ok = True
    for i, c in enumerate(cols):
        if c not in spec.columns:
            problems.append(f"{src.where(name, 1, c or f'#{i + 1}')}: unknown column {show(c)}; "
                            f"allowed: {', '.join(spec.columns)}")
            ok = False
        elif cols.index(c) != i:
            problems.append(f"{src.where(name, 1, c)}: the column appears twice")
            ok = False
    for c in spec.required:
        if c not in cols:
            problems.append(f"{src.where(name, 1)}: the column '{c}' is missing; required: {', '.join(spec.required)}")
            ok = False
    if not ok:
        return None
    out: list[Row] = []
    for n, values in enumerate(it, start=2):
        values = tuple(values)
        extra = [v for v in values[len(cols):] if v not in (None, "")]
        cells = {c: (v.strip() if isinstance(v, str) and not isinstance(v, Formula) else v) for c, v in zip(cols, values)}
        cells = {c: (None if v == "" else v) for c, v in cells.items()}
        if all(v is None for v in cells.values()) and not extra:
            continue  # a blank row
        if extra:
            problems.append(f"{src.where(name, n)}: {len(extra)} value(s) beyond the last column ({show(extra[0])})")
        if len(out) >= MAX_ROWS:
            problems.append(f"{src.where(name)}: more than {MAX_ROWS} rows; a pack is a few hundred")
            break
        cells["_row"] = n
        out.append(cells)
    return out


def _check_xlsx_file(path: Path, label: str) -> None:
    size = path.stat().st_size
    if size > MAX_XLSX_BYTES:
        raise UserError(f"the workbook is {size / 2**20:.1f} MiB; a period pack must be under "
                        f"{MAX_XLSX_BYTES // 2**20} MiB", file=label)
    if not zipfile.is_zipfile(path):
        raise UserError("is not an Excel workbook (.xlsx is a zip file; this is not one); save it as "
                        "'Excel Workbook (.xlsx)'", file=label)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserError(f"cannot be opened as a workbook ({exc})", file=label) from None
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise UserError(f"unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MiB; refused (a period pack is small)",
                        file=label)
    if any(i.filename.lower().endswith("vbaproject.bin") for i in infos):
        raise UserError("holds macros; save the pack as a plain 'Excel Workbook (.xlsx)'", file=label)


def _read_xlsx(path: Path, label: str, problems: list[str]) -> dict[str, list[Row]]:
    from openpyxl import load_workbook

    _check_xlsx_file(path, label)
    src = _Source(label, "xlsx")
    try:
        # data_only: a formula cell gives the value Excel saved with it; nothing is evaluated here. The
        # formulas themselves (second read) only tell a formula with no saved value from a blank cell.
        wb = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        formulas = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise UserError(f"cannot be read as a workbook ({exc.__class__.__name__}: {clip(str(exc), 120)})",
                        file=label) from None
    try:
        tables: dict[str, list[Row]] = {}
        names = {ws.lower().strip(): ws for ws in wb.sheetnames}
        for name in names:
            if name not in SHEETS and name != INSTRUCTIONS_SHEET:
                problems.append(f"sheet {show(names[name])}: unknown sheet; allowed: {', '.join(SHEETS)}")
        for name, spec in SHEETS.items():
            if name not in names:
                if not spec.optional_sheet:
                    problems.append(f"sheet '{name}': missing; a pack needs the sheets "
                                    f"{', '.join(n for n, s in SHEETS.items() if not s.optional_sheet)}")
                continue
            rows = wb[names[name]].iter_rows(values_only=True, max_row=MAX_ROWS + 2)
            raw = formulas[names[name]].iter_rows(values_only=True, max_row=MAX_ROWS + 2)
            t = _tables_from_rows(name, map(_unsaved_formulas, rows, raw), src, problems)
            if t is not None:
                tables[name] = t
        return tables
    finally:
        wb.close()
        formulas.close()


class Formula(str):
    """A formula cell whose value was never saved (a workbook written by a script): not evaluated here."""


def _unsaved_formulas(values: tuple, raw: tuple) -> tuple:
    return tuple(Formula(f) if v is None and isinstance(f, str) and f.startswith("=") else v
                 for v, f in zip(values, tuple(raw) + (None,) * (len(values) - len(raw))))


def _read_csv_folder(path: Path, label: str, problems: list[str]) -> dict[str, list[Row]]:
    src = _Source(label, "csv")
    present = {p.stem.lower(): p for p in path.iterdir() if p.suffix.lower() == ".csv"}
    for stem, p in present.items():
        if stem not in SHEETS:
            problems.append(f"{p.name}: unknown file; a pack's CSV files are {', '.join(s + '.csv' for s in SHEETS)}")
    tables: dict[str, list[Row]] = {}
    for name, spec in SHEETS.items():
        p = present.get(name)
        if p is None:
            if not spec.optional_sheet:
                problems.append(f"{name}.csv: missing from the folder; a pack needs "
                                f"{', '.join(n + '.csv' for n, s in SHEETS.items() if not s.optional_sheet)}")
            continue
        try:
            text = p.read_text(encoding="utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{name}.csv: cannot be read as UTF-8 text ({exc.__class__.__name__})")
            continue
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","  # Finnish Excel saves CSV with ';'
        t = _tables_from_rows(name, csv.reader(text.splitlines(), delimiter=delimiter), src, problems)
        if t is not None:
            tables[name] = t
    return tables


# ------------------------------------------------------------------------------------------ cells
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)([eE][+-]?[0-9]+)?")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


class _Cells:
    """Reads typed values out of rows, recording a problem (and returning None) for a bad cell."""

    def __init__(self, src: _Source, problems: list[str]):
        self.src, self.problems = src, problems

    def bad(self, sheet: str, row: Row | None, column: str | None, value: Any, what: str) -> None:
        if isinstance(value, Formula):
            what = "is a formula with no value saved in the file (formulas are not evaluated here): open and save " \
                   "the workbook in Excel, or type the value"
        shown = "" if value is None else f"value {show(value)} "
        self.problems.append(f"{self.src.where(sheet, row['_row'] if row else None, column)}: {shown}{what}")

    def number(self, sheet: str, row: Row, column: str, *, required: bool = False, kind: str = "num",
               allowed: str = "a number") -> float | int | None:
        v = row.get(column)
        if v is None:
            if required:
                self.bad(sheet, row, column, None, f"is blank; {allowed} is needed")
            return None
        if isinstance(v, bool) or isinstance(v, (dt.date, dt.datetime, dt.time)):
            self.bad(sheet, row, column, str(v), f"is not a number; {allowed} is needed")
            return None
        if isinstance(v, str):
            text = v.replace("\u2212", "-")
            if _INT.fullmatch(text):
                v = int(text)
            elif _FLOAT.fullmatch(text):
                v = float(text)
            else:
                hint = " (use a point as the decimal separator)" if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", text) else \
                    " (write it without spaces)" if re.fullmatch(r"[+-]?[0-9][0-9 \u00a0]*", text) else ""
                self.bad(sheet, row, column, v, f"is text, not a number{hint}; {allowed} is needed")
                return None
        if isinstance(v, float) and not np.isfinite(v):
            self.bad(sheet, row, column, v, f"is not a finite number; {allowed} is needed")
            return None
        if kind == "int":
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, int):
                self.bad(sheet, row, column, v, f"is not a whole number; {allowed} is needed")
                return None
        return v

    def text(self, sheet: str, row: Row, column: str, *, required: bool = True) -> str | None:
        v = row.get(column)
        if v is None:
            if required:
                self.bad(sheet, row, column, None, "is blank; a text is needed")
            return None
        if isinstance(v, Formula):
            self.bad(sheet, row, column, v, "")
            return None
        return v if isinstance(v, str) else str(v)

    def month(self, sheet: str, row: Row, column: str, value: Any = None) -> str | None:
        v = row.get(column) if value is None else value
        if isinstance(v, (dt.date, dt.datetime)):  # Excel turns a typed 2022-06 into a date
            return f"{v.year:04d}-{v.month:02d}"
        if isinstance(v, str) and _MONTH.fullmatch(v):
            return v
        self.bad(sheet, row, column, v, "is not a month; write it YYYY-MM (e.g. 2022-06)")
        return None


def _canonical(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, str):  # a CSV's cells are all text; a workbook's numbers are numbers
        if _INT.fullmatch(v):
            return int(v)
        if _FLOAT.fullmatch(v):
            v = float(v)
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def content_hash(tables: Mapping[str, list[Row]]) -> str:
    """sha256 of the pack's content: every sheet's rows (blank rows and cells dropped, months as YYYY-MM,
    whole numbers as integers), in the sheets' fixed order — the same for a workbook and a CSV folder."""
    doc = {name: [{k: _canonical(v) for k, v in r.items() if k != "_row" and v is not None} for r in tables[name]]
           for name in SHEETS if name in tables}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# ------------------------------------------------------------------------------------------ checks
def _key_values(name: str, rows: list[Row], c: _Cells, known: tuple[str, ...] | None) -> dict[str, tuple[Any, Row]]:
    out: dict[str, tuple[Any, Row]] = {}
    for r in rows:
        key = c.text(name, r, "key")
        if key is None:
            continue
        if known is not None and key not in known:
            c.bad(name, r, "key", key, f"is not a known key; allowed: {', '.join(known)}")
            continue
        if key in out:
            c.bad(name, r, "key", key, f"appears twice (also row {out[key][1]['_row']})")
            continue
        out[key] = (r.get("value"), r)
    spec = SHEETS[name]
    for k in spec.keys:
        if k not in out:
            c.bad(name, None, "key", None, f"the key '{k}' is missing; required keys: {', '.join(spec.keys)}")
    return out


def _meta(rows: list[Row], c: _Cells) -> dict[str, Any]:
    kv = _key_values("meta", rows, c, META_KEYS)
    out: dict[str, Any] = {}
    for k, (v, r) in kv.items():
        if k in META_NUMBERS:
            out[k] = c.number("meta", r, "value", required=True, kind=META_NUMBERS[k],
                              allowed="a whole number" if META_NUMBERS[k] == "int" else "a number (k€)")
        elif k in ("as_of",):
            out[k] = v
        else:
            out[k] = c.text("meta", r, "value")
    by = out.get("budget_year")
    if by is not None and not 2000 <= by <= 2100:
        c.bad("meta", kv["budget_year"][1], "value", by, "is not a budget year within 2000…2100")
        by = out["budget_year"] = None
    if "as_of" in kv:
        v, r = kv["as_of"]
        month = None
        if isinstance(v, int) or (isinstance(v, float) and v.is_integer()) or (isinstance(v, str) and _INT.fullmatch(v)):
            m = int(v)
            if not 1 <= m <= 12:
                c.bad("meta", r, "value", v, "is not a month of the budget year: 1…12 or YYYY-MM")
            elif by is not None:
                month = f"{by:04d}-{m:02d}"
        else:
            month = c.month("meta", r, "value")
            if month is not None and by is not None and int(month[:4]) != by:
                c.bad("meta", r, "value", v, f"is not in the budget year {by}; the as-of month is the last month "
                                             "with actuals in the budget year")
                month = None
        out["as_of"] = month
    for k in ("tmt_closing_prev_keur",):
        if out.get(k) is not None and out[k] <= 0:
            c.bad("meta", kv[k][1], "value", out[k], "must be above 0 k€ (last year's TMT share, as a positive amount)")
            out[k] = None
    if out.get("staff_htv_actual_months") is not None and not 0 <= out["staff_htv_actual_months"] <= 12:
        c.bad("meta", kv["staff_htv_actual_months"][1], "value", out["staff_htv_actual_months"], "must be within 0…12")
    if out.get("tmt_pilot_end") is not None:
        out["tmt_pilot_end"] = c.month("meta", kv["tmt_pilot_end"][1], "value")
    return out


def _units(rows: list[Row], c: _Cells) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    first: dict[str, int] = {}
    for r in rows:
        unit = c.text("units", r, "unit")
        vals = {k: c.text("units", r, k) for k in ("code", "name_fi", "name_en")}
        if unit is None:
            continue
        if not re.match(UNIT_PATTERN, unit):
            c.bad("units", r, "unit", unit, "is not an identifier: lower-case letters, digits and _ (e.g. elinvoima)")
            continue
        if unit in out:
            c.bad("units", r, "unit", unit, f"appears twice (also row {first[unit]})")
            continue
        first[unit] = r["_row"]
        out[unit] = {**{k: v or "" for k, v in vals.items()}, "ledger_source": c.text("units", r, "ledger_source", required=False) or ""}
    if not rows:
        c.bad("units", None, None, None, "has no rows; declare each finance unit (unit, code, name_fi, name_en)")
    return out


def _roles(rows: list[Row], meta: Mapping[str, Any], units: Mapping[str, Any], c: _Cells) -> dict[str, str]:
    """{role key: unit code}: the meta's tmt_unit, employment_unit, vitality_unit, or their defaults."""
    row_of = {str(r.get("key") or "").strip(): r for r in rows}
    out: dict[str, str] = {}
    for key, default in ROLE_DEFAULTS.items():
        code = meta.get(key)
        if code is None:
            if units and default not in units:
                c.bad("meta", None, "key", key, f"is missing: name the unit that plays this role (the default "
                                                 f"{default} is not declared); declared: {', '.join(units)}")
            out[key] = default
        elif units and code not in units:
            c.bad("meta", row_of.get(key), "value", code, f"{key} is not declared in the units sheet; declared: "
                                                           f"{', '.join(units)}")
        else:
            out[key] = code
    return out


def _unit_and_line(c, sheet: str, r, units, lines) -> tuple[str | None, str | None]:
    """A row's unit and line, each None (with its problem noted) when not declared / not allowed."""
    unit, line = c.text(sheet, r, "unit"), c.text(sheet, r, "line")
    if unit is not None and unit not in units:
        c.bad(sheet, r, "unit", unit, f"is not declared in the units sheet; declared: {', '.join(units) or 'none'}")
        unit = None
    if line is not None and line not in lines:
        c.bad(sheet, r, "line", line, f"is not a ledger line; allowed: {', '.join(lines)}")
        line = None
    return unit, line


def _ledger(rows: list[Row], units: Mapping[str, Any], c: _Cells) -> dict[str, dict[str, dict[str, Any]]]:
    """{unit: {line or total: {column: signed k€ or None}}}, after the per-row checks."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    seen: dict[tuple[str, str], int] = {}
    allowed_lines = LINES + TOTALS
    for r in rows:
        unit, line = _unit_and_line(c, "ledger", r, units, allowed_lines)
        vals = {}
        for col in LEDGER_COLS:
            required = col != "closing_prev" or line in TOTALS
            v = c.number("ledger", r, col, required=required, allowed="a number (k€, costs negative)")
            if v is not None and line is not None and line != "margin":
                revenue = line in REVENUE_LINES or line == "revenue"
                if (v < 0) if revenue else (v > 0):
                    kind = "revenue (≥ 0)" if revenue else "a cost (≤ 0, as printed in the report)"
                    c.bad("ledger", r, col, v, f"has the wrong sign; {line} is {kind}")
                    v = None
            vals[col] = v
        if unit is None or line is None:
            continue
        if (unit, line) in seen:
            c.bad("ledger", r, "line", line, f"appears twice for {unit} (also row {seen[unit, line]})")
            continue
        seen[unit, line] = r["_row"]
        vals["_row"] = r["_row"]
        out.setdefault(unit, {})[line] = vals
    for unit in units:
        missing = [ln for ln in allowed_lines if ln not in out.get(unit, {})]
        if missing:
            c.bad("ledger", None, "line", None, f"unit {unit} has no row for {', '.join(missing)}; every unit needs the "
                                               f"lines {', '.join(LINES)} and the totals {', '.join(TOTALS)}")
    for unit, rows_u in out.items():
        if any(ln not in rows_u for ln in allowed_lines):
            continue
        for col in LEDGER_COLS:
            for total, group in (("revenue", REVENUE_LINES), ("costs", COST_LINES)):
                parts = [rows_u[ln][col] for ln in group]
                tv = rows_u[total][col]
                if tv is None or any(p is None for p in parts):
                    continue  # blank (closing_prev by line) or already reported
                s = sum(parts)
                if abs(s - tv) > TOLERANCE_KEUR:
                    c.bad("ledger", {"_row": rows_u[total]["_row"]}, col, tv,
                          f"is {unit}'s {total} total but its lines sum to {s:g} (allowed difference {TOLERANCE_KEUR:g} k€)")
            rv, cv, mv = (rows_u[k][col] for k in TOTALS)
            if None not in (rv, cv, mv) and abs(rv + cv - mv) > TOLERANCE_KEUR:
                c.bad("ledger", {"_row": rows_u["margin"]["_row"]}, col, mv,
                      f"is {unit}'s margin but revenue + costs = {rv + cv:g} (allowed difference {TOLERANCE_KEUR:g} k€)")
    return out


def _labour(rows: list[Row], as_of: str | None, c: _Cells) -> dict[str, Any] | None:
    points: list[dict[str, Any]] = []
    prev_month: np.datetime64 | None = None
    for r in rows:
        m = c.month("labour", r, "month")
        p: dict[str, Any] = {"month": m, "_row": r["_row"]}
        for col in LABOUR_COLS:
            v = c.number("labour", r, col, allowed="a number of persons or a % (0–100)")
            if v is not None:
                hi = 100 if col in PCT_COLS else None
                if v < 0 or (hi is not None and v > hi) or (col == "labour_force" and v == 0):
                    c.bad("labour", r, col, v, "is out of range; allowed: " + ("0…100 %" if hi else "persons ≥ 0"))
                    v = None
            p[col] = v
        if p["unemployed"] is not None and p["long_term_unemployed"] is not None and p["long_term_unemployed"] > p["unemployed"]:
            c.bad("labour", r, "long_term_unemployed", p["long_term_unemployed"],
                  f"is more than the unemployed ({p['unemployed']:g}); the long-term unemployed are among them")
        if m is None:
            continue
        here = np.datetime64(m)
        if prev_month is not None:
            if here <= prev_month:
                c.bad("labour", r, "month", m, f"is not after the row above ({prev_month}); months go in order, once each")
                continue
            if here != prev_month + 1:
                gap = f"{prev_month + 1}" + ("" if here == prev_month + 2 else f"…{here - 1}")
                c.bad("labour", r, "month", m, f"leaves out {gap}: a row is needed for every month (blank cells where "
                                               "the source has no figure)")
        prev_month = here
        points.append(p)
    if as_of is None or not points:
        if not points:
            c.bad("labour", None, "month", None, "has no months; give at least the 12 months before the as-of month and it")
        return None
    last = np.datetime64(points[-1]["month"])
    first = np.datetime64(points[0]["month"])
    a = np.datetime64(as_of)
    if last != a:
        c.bad("labour", {"_row": points[-1]["_row"]}, "month", points[-1]["month"],
              f"is the last month, but the as-of month (meta) is {as_of}; the labour sheet ends at the as-of month")
        return None
    if first > a - 12:
        c.bad("labour", {"_row": points[0]["_row"]}, "month", points[0]["month"],
              f"is the first month; the labour sheet needs at least {a - 12}…{as_of} (the as-of month and the 12 before it)")
        return None
    by_month = {p["month"]: p for p in points}
    now, prev = by_month[as_of], by_month[str(a - 12)]
    for point, needs, what in ((now, AS_OF_NEEDS, "the as-of month"), (prev, PREV_NEEDS, "the same month a year before")):
        for col in needs:
            v = point[col]
            if v is None:
                c.bad("labour", {"_row": point["_row"]}, col, None, f"is blank; {what} needs it (the model starts there)")
            elif col in ("unemployed", "unemployment_rate_pct") and v <= 0:
                c.bad("labour", {"_row": point["_row"]}, col, v, f"must be above 0 in {what} (the model starts there)")
            elif col == "activation_rate_pct" and v >= 100:
                c.bad("labour", {"_row": point["_row"]}, col, v, f"must be below 100 % in {what} (someone must be unemployed)")
    return {"points": points, "now": now, "prev": prev}


def _tmt(rows: list[Row], as_of: str | None, c: _Cells) -> dict[str, Any] | None:
    spans = []
    for r in rows:
        raw = r.get("period")
        text = raw if isinstance(raw, str) else None
        if isinstance(raw, (dt.date, dt.datetime)):
            lo = hi = c.month("tmt", r, "period")
        elif text is not None and ".." in text:
            a, _, b = text.partition("..")
            lo, hi = c.month("tmt", r, "period", a.strip()), c.month("tmt", r, "period", b.strip())
        else:
            lo = hi = c.month("tmt", r, "period")
        cost = c.number("tmt", r, "city_share_keur", required=True, allowed="a number (k€ > 0)")
        persons = c.number("tmt", r, "billed_persons", required=True, allowed="a number of persons (> 0)")
        for col, v in (("city_share_keur", cost), ("billed_persons", persons)):
            if v is not None and v <= 0:
                c.bad("tmt", r, col, v, "must be above 0")
        shares = {}
        for col in ("money_share_over_1000_days_pct", "persons_share_over_500_days_pct"):
            v = c.number("tmt", r, col, allowed="a % (0–100)")
            if v is not None and not 0 <= v <= 100:
                c.bad("tmt", r, col, v, "is out of range; allowed: 0…100 %")
                v = None
            shares[col] = v
        if lo is None or hi is None or cost is None or persons is None or cost <= 0 or persons <= 0:
            continue
        if hi < lo:
            c.bad("tmt", r, "period", raw, "ends before it starts; write FIRST..LAST (e.g. 2022-01..2022-06)")
            continue
        spans.append((np.datetime64(lo), np.datetime64(hi), cost, persons, shares, r))
    if as_of is None:
        return None
    a = np.datetime64(as_of)
    jan = np.datetime64(f"{as_of[:4]}-01")
    expect = jan
    ok = bool(spans)
    for lo, hi, *_rest, r in spans:
        if lo != expect:
            what = f"leaves out {expect}…{lo - 1}" if lo > expect else f"overlaps the rows above (expected {expect} next)"
            c.bad("tmt", r, "period", r.get("period"), f"{what}: the rows cover January to the as-of month {as_of}, "
                                                       "each month once, in order")
            ok = False
        if hi > a:
            c.bad("tmt", r, "period", r.get("period"), f"goes past the as-of month {as_of} (meta)")
            ok = False
        expect = hi + 1
    if ok and expect != a + 1:
        c.bad("tmt", spans[-1][-1], "period", spans[-1][-1].get("period"),
              f"is the last row; the TMT rows must reach the as-of month {as_of} (months {expect}…{as_of} are missing)")
        ok = False
    if not rows:
        c.bad("tmt", None, "period", None, f"has no rows; give the TMT share from {jan} to the as-of month {as_of}")
    if not ok:
        return None
    months = np.array([(hi - lo).astype(int) + 1 for lo, hi, *_ in spans], float)
    cost = np.array([s[2] for s in spans], float)
    persons = np.array([s[3] for s in spans], float)
    out: dict[str, Any] = {"city_share_ytd_keur": float(cost.sum()) if len(spans) > 1 else spans[0][2],
                           "avg_billed_persons_ytd": float((persons * months).sum() / months.sum()) if len(spans) > 1 else spans[0][3]}
    # band shares: over the rows that give them, weighted by money or by person-months
    for col, weight in (("money_share_over_1000_days_pct", cost), ("persons_share_over_500_days_pct", persons * months)):
        have = [i for i, s in enumerate(spans) if s[4][col] is not None]
        if not have:
            c.bad("tmt", None, col, None, "is blank on every row; at least one row must give it (the calibration fits it)")
            continue
        vals = np.array([spans[i][4][col] for i in have], float)
        w = weight[have]
        out[col] = spans[have[0]][4][col] if len(have) == 1 else float((vals * w).sum() / w.sum())
    return out


def _drivers(rows: list[Row], units: Mapping[str, Any], budget_year: int | None, c: _Cells) -> list[PackDriver]:
    out = []
    seen: dict[tuple, int] = {}
    for r in rows:
        year = c.number("drivers", r, "year", required=True, kind="int", allowed="a year (the budget year or later)")
        amount = c.number("drivers", r, "amount_keur", required=True, allowed="a number (k€, + = more revenue or more cost)")
        labels = [c.text("drivers", r, k) for k in ("label_fi", "label_en", "source")]
        unit, line = _unit_and_line(c, "drivers", r, units, LINES)
        if year is not None and budget_year is not None and not budget_year <= year <= budget_year + 20:
            c.bad("drivers", r, "year", year, f"is not within the budget year {budget_year} … {budget_year + 20}")
            year = None
        if None in (unit, line, year, amount) or None in labels:
            continue
        key = (unit, line, year, labels[0])
        if key in seen:
            c.bad("drivers", r, "label_fi", labels[0], f"duplicates row {seen[key]} (same unit, line, year and label)")
            continue
        seen[key] = r["_row"]
        out.append(PackDriver(unit, line, int(year), float(amount), *labels))
    return out


def _staff(rows: list[Row], units: Mapping[str, Any], meta: Mapping[str, Any], c: _Cells) -> dict[str, Any] | None:
    cols = ("actual_or_forecast", "target", "prev_year")
    got: dict[str, dict[int, dict[str, float]]] = {}
    for r in rows:
        unit = c.text("staff_htv", r, "unit")
        month = c.number("staff_htv", r, "month", required=True, kind="int", allowed="a month number 1…12")
        vals = {k: c.number("staff_htv", r, k, required=True, allowed="person-years ≥ 0") for k in cols}
        for k, v in vals.items():
            if v is not None and v < 0:
                c.bad("staff_htv", r, k, v, "is below 0; person-years are ≥ 0")
        if unit is not None and unit not in units:
            c.bad("staff_htv", r, "unit", unit, f"is not declared in the units sheet; declared: {', '.join(units) or 'none'}")
            continue
        if month is not None and not 1 <= month <= 12:
            c.bad("staff_htv", r, "month", month, "is not a month number 1…12")
            continue
        if unit is None or month is None or any(v is None for v in vals.values()):
            continue
        if month in got.get(unit, {}):
            c.bad("staff_htv", r, "month", month, f"appears twice for {unit}")
            continue
        got.setdefault(unit, {})[month] = vals
    for unit, months in got.items():
        if len(months) != 12:
            missing = [str(m) for m in range(1, 13) if m not in months]
            c.bad("staff_htv", None, "month", None, f"unit {unit} lacks months {', '.join(missing)}; give all 12")
    if "staff_htv_source" not in meta or "staff_htv_actual_months" not in meta:
        c.bad("meta", None, "key", None, "the staff_htv sheet needs the meta keys staff_htv_source and staff_htv_actual_months")
        return None
    if any(len(m) != 12 for m in got.values()):
        return None
    return {"source": meta["staff_htv_source"], "actual_months": meta["staff_htv_actual_months"],
            "units": {u: {k: [months[m][k] for m in range(1, 13)] for k in cols} for u, months in got.items()}}


def _trial(rows: list[Row], c: _Cells) -> dict[str, Any]:
    kv = _key_values("trial", rows, c, None)
    known = tuple(_Trial.model_fields)
    out: dict[str, Any] = {}
    for k, (v, r) in kv.items():
        if k not in known:
            c.bad("trial", r, "key", k, f"is not a known key; allowed: {', '.join(known)}")
        elif k in TRIAL_TEXT:
            out[k] = c.month("trial", r, "value") if k in ("start", "end") else c.text("trial", r, "value")
        else:
            kind = "num" if k.endswith("_pct") else "int"
            out[k] = c.number("trial", r, "value", required=True, kind=kind,
                              allowed="a % (0–100)" if kind == "num" else "a whole number")
            if out[k] is not None and (out[k] < 0 or (kind == "num" and out[k] > 100)):
                c.bad("trial", r, "value", out[k], "is out of range; allowed: " + ("0…100 %" if kind == "num" else "≥ 0"))
                out[k] = None
    return out


def _report_forecast(rows: list[Row], c: _Cells) -> dict[str, Any]:
    kv = _key_values("report_forecast", rows, c, SHEETS["report_forecast"].keys)
    return {k: (c.text("report_forecast", r, "value") if k == "source" else
                c.number("report_forecast", r, "value", required=True, allowed="a number (k€)"))
            for k, (v, r) in kv.items()}


def _point(p: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != "_row" and v is not None}


def _figures(rows_u: Mapping[str, Mapping[str, Any]]) -> LedgerFigures:
    def col(name: str) -> np.ndarray:
        return np.array([abs(rows_u[ln][name]) for ln in LINES], dtype=float)

    return LedgerFigures(
        budget=col("budget"), actual_ytd=col("actual_ytd"), actual_ytd_prev=col("actual_ytd_prev"),
        revenue_closing_prev=float(rows_u["revenue"]["closing_prev"]), costs_closing_prev=float(-rows_u["costs"]["closing_prev"]),
        rows={ln: {k: rows_u[ln][k] for k in LEDGER_COLS} for ln in LINES + TOTALS},
    )


def build(tables: Mapping[str, list[Row]], label: str, kind: str, problems: list[str] | None = None) -> Baseline:
    """Check the tables of a pack and make its :class:`Baseline`; a :class:`PackError` lists every problem."""
    problems = [] if problems is None else problems
    c = _Cells(_Source(label, kind), problems)
    meta = _meta(tables["meta"], c) if "meta" in tables else {}
    units = _units(tables["units"], c) if "units" in tables else {}
    roles = _roles(tables.get("meta", []), meta, units, c)
    ledger = _ledger(tables["ledger"], units, c) if "ledger" in tables else {}
    labour = _labour(tables["labour"], meta.get("as_of"), c) if "labour" in tables else None
    tmt = _tmt(tables["tmt"], meta.get("as_of"), c) if "tmt" in tables else None
    trial = _trial(tables["trial"], c) if "trial" in tables else {}
    drivers = _drivers(tables.get("drivers", []), units, meta.get("budget_year"), c)
    staff = _staff(tables["staff_htv"], units, meta, c) if tables.get("staff_htv") else None
    report = _report_forecast(tables["report_forecast"], c) if tables.get("report_forecast") else None
    if problems:
        raise PackError(label, problems)
    now, prev = labour["now"], labour["prev"]
    doc = {
        "meta": {**{k: meta[k] for k in ("title", "city", "as_of", "budget_year", "source")}, **roles},
        "units": units,
        "tmt": {"source": meta["tmt_source"], **tmt, "closing_prev_keur": meta["tmt_closing_prev_keur"],
                **({"pilot_target_persons": meta["tmt_pilot_target_persons"]} if "tmt_pilot_target_persons" in meta else {}),
                **({"pilot_end": meta["tmt_pilot_end"]} if meta.get("tmt_pilot_end") else {})},
        "labour": {"source": meta["labour_source"], "as_of": meta["as_of"],
                   **{k: now[k] for k in AS_OF_NEEDS + ("youth_unemployment_rate_pct",) if now[k] is not None},
                   "prev_year": _point(prev),
                   "history": [_point(p) for p in labour["points"] if len(_point(p)) > 1]},
        "trial": trial,
        "staff_htv": staff,
        "report_forecast": report,
    }
    try:
        raw = _BaselineFile.model_validate(doc)
    except ValidationError as exc:  # the checks above should have caught it; say where anyway
        field, msg = first_error(exc)
        raise PackError(label, [f"{field}: {msg}"]) from None
    return Baseline(label, raw, {u: _figures(ledger[u]) for u in units}, content_hash(tables), tuple(drivers))


def read_tables(path: str | Path) -> tuple[dict[str, list[Row]], str, str, list[str]]:
    """(tables, label, kind 'xlsx'|'csv', problems so far) of the pack at ``path``."""
    p = Path(path)
    label = str(path)
    problems: list[str] = []
    if p.is_dir():
        return _read_csv_folder(p, label, problems), label, "csv", problems
    if not p.exists():
        raise UserError("no such file or folder; give a pack's .xlsx workbook or its folder of CSV files", file=label)
    if p.suffix.lower() != ".xlsx":
        raise UserError(f"is not a period pack: give an Excel workbook (.xlsx) or a folder of CSV files "
                        f"(got a {p.suffix or 'file without extension'})", file=label)
    return _read_xlsx(p, label, problems), label, "xlsx", problems


def load_period(path: str | Path) -> Baseline:
    """Read, check and return the period pack at ``path`` (``.xlsx`` or a folder of ``<sheet>.csv``)."""
    tables, label, kind, problems = read_tables(path)
    return build(tables, label, kind, problems)


def bundled_dir() -> Path:
    return Path(str(resources.files("engine.data").joinpath(BUNDLED_PACK)))


def load_bundled() -> Baseline:
    """The bundled Lahti Jan–Jun 2022 pack (engine/data/period_lahti_2022_06/), read once per process."""
    tables, _label, kind, problems = read_tables(bundled_dir())
    return build(tables, f"engine/data/{BUNDLED_PACK}", kind, problems)


def bundled_tables() -> dict[str, list[Row]]:
    """The bundled pack's tables as read (for ``ennuste period template``)."""
    return read_tables(bundled_dir())[0]
