"""Period packs (issue 11): the template round trip, and broken packs refused with every problem named.

Each broken pack is the bundled Lahti Jan–Jun 2022 pack (engine/data/period_lahti_2022_06/) with one
(or two) cells changed; the expected row numbers are the CSV file's lines (header = row 1), the same
numbering a workbook's rows have.
"""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

import engine
from engine.commands.cli import main
from engine.load.period import bundled_dir

from .conftest import ROOT

SCENARIO = str(ROOT / "scenarios" / "baseline.toml")


def _pack(tmp_path, edits=()):
    """A copy of the bundled CSV pack with ``edits`` = [(file, old, new)] applied once each."""
    pack = tmp_path / "pack"
    shutil.copytree(bundled_dir(), pack)
    for file, old, new in edits:
        p = pack / file
        if new is None:
            p.unlink()
            continue
        text = p.read_text(encoding="utf-8")
        assert old in text, (file, old)
        p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return pack


# (id, edits, where the message must point, words it must say). Ledger rows: elinvoima revenue 2,
# costs 3, margin 4, sales 5 … other 11; tyollisyys revenue 12 … other 21. Labour rows: 2019-12 is
# row 2, so 2022-06 is row 32.
BROKEN = [
    ("wrong_sign", [("ledger.csv", "elinvoima,staff,-1901,", "elinvoima,staff,1901,")],
     "ledger.csv, row 7, column 'budget'", "wrong sign; staff is a cost"),
    ("lines_do_not_sum", [("ledger.csv", "elinvoima,sales,276,", "elinvoima,sales,286,")],
     "ledger.csv, row 2, column 'budget'", "lines sum to 1636"),
    ("margin_not_revenue_plus_costs", [("ledger.csv", "-11499,-24675", "-11499,-24000")],
     "ledger.csv, row 14, column 'closing_prev'", "revenue + costs = -24675"),
    ("text_in_number", [("ledger.csv", "elinvoima,materials,-78,-8,", "elinvoima,materials,-78,abc,")],
     "ledger.csv, row 9, column 'actual_ytd'", "is text, not a number"),
    ("decimal_comma", [("labour.csv", "2022-06,14.1,", '2022-06,"14,1",')],
     "labour.csv, row 32, column 'unemployment_rate_pct'", "decimal separator"),
    ("missing_month", [("labour.csv", "2021-09,,,,,,,,,,\n", "")],
     "labour.csv, row 23, column 'month'", "leaves out 2021-09"),
    ("as_of_beyond_data", [("meta.csv", "as_of,2022-06,", "as_of,2022-08,")],
     "labour.csv, row 32, column 'month'", "the as-of month (meta) is 2022-08"),
    ("as_of_not_a_month", [("meta.csv", "as_of,2022-06,", "as_of,13,")],
     "meta.csv, row 5, column 'value'", "1…12 or YYYY-MM"),
    ("as_of_other_year", [("meta.csv", "as_of,2022-06,", "as_of,2021-06,")],
     "meta.csv, row 5, column 'value'", "not in the budget year 2022"),
    ("unit_not_declared", [("ledger.csv", "elinvoima,sales,", "elinvoma,sales,")],
     "ledger.csv, row 5, column 'unit'", "not declared in the units sheet"),
    ("duplicate_ledger_row", [("ledger.csv", "elinvoima,other,-104,-47,-14,,\n",
                               "elinvoima,other,-104,-47,-14,,\nelinvoima,other,-104,-47,-14,,\n")],
     "ledger.csv, row 12, column 'line'", "appears twice for elinvoima (also row 11)"),
    ("unknown_line", [("ledger.csv", "tyollisyys,staff,", "tyollisyys,staf,")],
     "ledger.csv, row 17, column 'line'", "not a ledger line"),
    ("missing_line", [("ledger.csv", "tyollisyys,other,-214,-115,-92,,\n", "")],
     "ledger.csv, column 'line'", "tyollisyys has no row for other"),
    ("negative_persons", [("labour.csv", "2022-04,,,7539,", "2022-04,,,-7539,")],
     "labour.csv, row 30, column 'unemployed'", "out of range"),
    ("long_term_above_unemployed", [("labour.csv", "2022-06,14.1,17.7,7848,3848,", "2022-06,14.1,17.7,7848,9848,")],
     "labour.csv, row 32, column 'long_term_unemployed'", "more than the unemployed"),
    ("rate_above_100", [("labour.csv", "2119,,24.2,", "2119,,124.2,")],
     "labour.csv, row 32, column 'activation_rate_pct'", "0…100 %"),
    ("as_of_figure_blank", [("labour.csv", "3848,2119,", "3848,,")],
     "labour.csv, row 32, column 'vacancies'", "the as-of month needs it"),
    ("year_before_figure_blank", [("labour.csv", "9485,4135,1539,", "9485,4135,,")],
     "labour.csv, row 20, column 'vacancies'", "the same month a year before needs it"),
    ("tmt_gap", [("tmt.csv", "2022-01..2022-06", "2022-02..2022-06")],
     "tmt.csv, row 2, column 'period'", "leaves out 2022-01…2022-01"),
    ("tmt_past_as_of", [("tmt.csv", "2022-01..2022-06", "2022-01..2022-07")],
     "tmt.csv, row 2, column 'period'", "goes past the as-of month 2022-06"),
    ("tmt_short_of_as_of", [("tmt.csv", "2022-01..2022-06", "2022-01..2022-05")],
     "tmt.csv, row 2, column 'period'", "months 2022-06…2022-06 are missing"),
    ("tmt_negative", [("tmt.csv", ",9900,", ",-9900,")],
     "tmt.csv, row 2, column 'city_share_keur'", "must be above 0"),
    ("meta_key_missing", [("meta.csv", "tmt_closing_prev_keur,20500,", "tmt_closing_prev_kEUR,20500,")],
     "meta.csv, row 9, column 'key'", "not a known key"),
    ("unknown_column", [("ledger.csv", "closing_prev,note\n", "closing_prev,notes\n")],
     "ledger.csv, row 1, column 'notes'", "unknown column"),
    ("file_missing", [("trial.csv", None, None)], "trial.csv", "missing from the folder"),
    ("driver_year_before_budget", [("drivers.csv", "source\n", "source\nelinvoima,sales,2021,100,Myynti,Sales,test\n")],
     "drivers.csv, row 2, column 'year'", "not within the budget year 2022"),
    ("driver_unit_not_declared", [("drivers.csv", "source\n", "source\nkulttuuri,sales,2022,100,Myynti,Sales,test\n")],
     "drivers.csv, row 2, column 'unit'", "not declared in the units sheet"),
    ("staff_month_13", [("staff_htv.csv", "elinvoima,12,28,31,24", "elinvoima,13,28,31,24")],
     "staff_htv.csv, row 13, column 'month'", "not a month number 1…12"),
    ("budget_year_text", [("meta.csv", "budget_year,2022,", "budget_year,2022a,")],
     "meta.csv, row 4, column 'value'", "is text, not a number"),
    ("duplicate_unit", [("units.csv", "tyollisyys,L_1505", "elinvoima,L_1505")],
     "units.csv, row 3, column 'unit'", "appears twice"),
    ("trial_pct_out_of_range", [("trial.csv", "ended_employed_pct,44.1,", "ended_employed_pct,144.1,")],
     "trial.csv, row 6, column 'value'", "0…100 %"),
]


@pytest.mark.parametrize("edits,where,words", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_pack_refused_nothing_written(tmp_path, capsys, edits, where, words):
    pack = _pack(tmp_path, edits)
    out = tmp_path / "out"
    assert main(["run", "--period", str(pack), SCENARIO, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(pack) in err and where in err and words in err, err
    line = next(ln for ln in err.splitlines() if where in ln)
    assert words in line, err  # one line per problem: the place and the problem together
    assert "Traceback" not in err
    assert not out.exists()
    assert main(["period", "check", str(pack)]) == 2


def test_broken_pack_count():
    assert len(BROKEN) >= 20


def test_every_problem_listed_not_just_the_first(tmp_path, capsys):
    pack = _pack(tmp_path, [BROKEN[0][1][0], BROKEN[3][1][0], ("tmt.csv", ",9900,", ",-9900,")])
    assert main(["period", "check", str(pack)]) == 2
    err = capsys.readouterr().err
    assert "has 3 problems" in err
    for where in ("ledger.csv, row 7, column 'budget'", "ledger.csv, row 9, column 'actual_ytd'",
                  "tmt.csv, row 2, column 'city_share_keur'"):
        assert sum(where in ln for ln in err.splitlines()) == 1, err


def _xlsx_with(tmp_path, sheet: str, cell: str, value):
    from openpyxl import load_workbook

    path = tmp_path / "pack.xlsx"
    assert main(["period", "template", "--out", str(path)]) == 0
    wb = load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)
    return path


def test_xlsx_text_in_number_cell_names_sheet_row_column(tmp_path, capsys):
    path = _xlsx_with(tmp_path, "ledger", "C7", "-1 901")  # elinvoima staff budget typed with a space
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["run", "--period", str(path), SCENARIO, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "sheet 'ledger', row 7, column 'budget': value '-1 901' is text, not a number (write it without spaces)" in err, err
    assert not out.exists()


@pytest.mark.parametrize("name,content,words", [
    ("pack.xlsx", b"city,Lahti\n", "is not an Excel workbook"),
    ("pack.ods", b"x", "is not a period pack"),
    ("missing.xlsx", None, "no such file or folder"),
])
def test_not_a_workbook_refused(tmp_path, capsys, name, content, words):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["period", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and str(path) in err, err


def test_zip_bomb_refused_before_reading(tmp_path, capsys):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (101 * 2**20))  # 101 MiB of zeros, ~100 kB packed
    assert path.stat().st_size < 2**20
    assert main(["period", "check", str(path)]) == 2
    assert "unpacks to more than 100 MiB" in capsys.readouterr().err


def test_template_never_overwrites_without_force(tmp_path, capsys):
    path = tmp_path / "kausi.xlsx"
    path.write_bytes(b"a planner's own file")
    assert main(["period", "template", "--out", str(path)]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert path.read_bytes() == b"a planner's own file"
    assert main(["period", "template", "--out", str(path), "--force"]) == 0
    assert path.read_bytes()[:2] == b"PK"


def test_template_round_trip_gives_the_bundled_forecast(tmp_path, capsys):
    # Done-when of issue 11: template → check passes → run --period gives the bundled baseline's
    # year_end.csv (same seed; equal to 1e-9 k€ / persons).
    path = tmp_path / "kausi.xlsx"
    assert main(["period", "template", "--out", str(path)]) == 0
    assert main(["period", "check", str(path)]) == 0
    assert "ok — Lahti, budget year 2022, as of 2022-06" in capsys.readouterr().out
    b = engine.load_period(path)
    assert b.content_hash == engine.load_baseline().content_hash  # the same figures, whatever the source
    args = [SCENARIO, "--draws", "40", "--seed", "3", "--quiet", "--jobs", "1"]
    assert main(["run", *args, "--out", str(tmp_path / "bundled")]) == 0
    assert main(["run", *args, "--period", str(path), "--out", str(tmp_path / "pack")]) == 0
    a = pd.read_csv(tmp_path / "bundled" / "year_end.csv")
    p = pd.read_csv(tmp_path / "pack" / "year_end.csv")
    pd.testing.assert_frame_equal(a, p, check_exact=False, rtol=0, atol=1e-9)
    # the report's figures read back from the workbook (DOMAIN.md, Finance Jan–Jun 2022)
    assert b.ledger["tyollisyys"].rows["costs"]["actual_ytd"] == -11361
    assert b.tmt.city_share_ytd_keur == 9900 and b.labour.unemployed == 7848


def test_tmt_months_given_one_by_one_are_summed(tmp_path):
    # Six monthly rows instead of one Jan–Jun row: 1 650 k€ each = 9 900 k€; persons 3 500…3 600 average
    # to 3 550; the shares weighted by money (equal here) and by person-months.
    rows = "".join(f"2022-0{m},1650,{3500 + 20 * (m - 1)},{60 + (m - 1) * 0.2},87.2,\n" for m in range(1, 7))
    pack = _pack(tmp_path, [("tmt.csv", "2022-01..2022-06,9900,3553,60.5,87.2,", "")])
    text = (pack / "tmt.csv").read_text(encoding="utf-8")
    (pack / "tmt.csv").write_text(text.split("\n")[0] + "\n" + rows, encoding="utf-8")
    t = engine.load_period(pack).tmt
    assert t.city_share_ytd_keur == pytest.approx(9900, abs=1e-9)
    assert t.avg_billed_persons_ytd == pytest.approx(3550, abs=1e-9)
    assert t.money_share_over_1000_days_pct == pytest.approx(60.5, abs=1e-9)  # mean of 60.0 … 61.0


def test_pack_driver_lands_on_its_line(tmp_path):
    # A driver in the pack is an adjustment that comes with the period: +800 k€ on elinvoima grants
    # received in 2022 (the report's immigration compensation, DOMAIN.md) raises that line by 800 k€ on
    # the central path with the report estimator (weight 1), and shows as its own deviation driver.
    scenario = tmp_path / "plain.toml"
    scenario.write_text('name = "Ilman oikaisuja"\n[settings]\nestimator = "report"\n', encoding="utf-8")
    row = "elinvoima,grants_received,2022,800,Maahanmuuttotyön valtion korvaukset,State compensation,report\n"
    pack = _pack(tmp_path, [("drivers.csv", "source\n", "source\n" + row)])
    with_driver = engine.load_period(pack)
    assert len(with_driver.drivers) == 1 and with_driver.drivers[0].amount_keur == 800
    s = engine.load_scenario(scenario)
    params = engine.Parameters.load_default()  # the bundled calibration for both: the driver's effect alone
    runs = [engine.simulate(b, s, params=params).year_end().set_index(["year", "unit", "measure"])["mean"]
            for b in (engine.load_baseline(), with_driver)]
    assert runs[1][(2022, "elinvoima", "grants_received_keur")] - runs[0][(2022, "elinvoima", "grants_received_keur")] \
        == pytest.approx(800, abs=1e-6)
    dev = engine.simulate(with_driver, s, params=params).deviations()
    assert "Maahanmuuttotyön valtion korvaukset" in set(dev.label_fi)


def test_batch_workers_read_the_period(tmp_path):
    # Two scenarios on two processes from a CSV copy of the bundled pack: each worker loads the pack
    # given, and the tables equal the bundled run's (same figures, same seed: bit for bit).
    pack = _pack(tmp_path)
    files = [SCENARIO, str(ROOT / "scenarios" / "activation.toml")]
    args = ["--draws", "20", "--seed", "2", "--quiet", "--jobs", "2"]
    assert main(["run", *files, *args, "--out", str(tmp_path / "bundled")]) == 0
    assert main(["run", *files, *args, "--period", str(pack), "--out", str(tmp_path / "with_pack")]) == 0
    for name in ("year_end.csv", "comparison.csv"):
        assert (tmp_path / "bundled" / name).read_bytes() == (tmp_path / "with_pack" / name).read_bytes(), name


def test_as_of_as_a_month_number_and_semicolon_csv(tmp_path):
    # meta's as_of may be the month's number in the budget year; Finnish Excel saves CSV with ';'
    import csv

    pack = _pack(tmp_path, [("meta.csv", "as_of,2022-06,", "as_of,6,")])
    for p in pack.glob("*.csv"):
        rows = list(csv.reader(p.read_text(encoding="utf-8").splitlines()))
        with open(p, "w", newline="", encoding="utf-8-sig") as f:  # with Excel's BOM too
            csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)
    b = engine.load_period(pack)
    assert str(b.as_of) == "2022-06"
    assert b.ledger["elinvoima"].rows["costs"]["budget"] == -10252  # DOMAIN.md: elinvoima costs budget


def test_formula_without_saved_value_is_named_not_evaluated(tmp_path, capsys):
    # A workbook written by a script holds formulas without values; the loader evaluates nothing and
    # says so, instead of reading the cell as blank.
    path = _xlsx_with(tmp_path, "ledger", "C7", "=C5-2177")  # elinvoima staff budget as a formula
    capsys.readouterr()
    assert main(["period", "check", str(path)]) == 2
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if "sheet 'ledger', row 7, column 'budget'" in ln)
    assert "'=C5-2177' is a formula with no value saved in the file" in line, err
