"""The `ennuste` command: the output contract, exit codes, and no partial output on failure."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from engine.commands.cli import main

from .conftest import ROOT, SCENARIOS


def test_run_writes_contract_csvs(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(SCENARIOS / "baseline.toml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Elinvoimapalvelut" in printed and "Poikkeaman erittely" in printed
    assert "Maahanmuuttotyön valtion korvaukset" in printed
    ye = pd.read_csv(out / "year_end.csv")
    mo = pd.read_csv(out / "monthly.csv")
    assert list(ye.columns) == ["scenario", "year", "unit", "measure", "mean", "p10", "p50", "p90"]
    assert list(mo.columns) == ["scenario", "month", "unit", "measure", "mean", "p10", "p50", "p90"]
    assert set(ye.scenario) == {"baseline"} and 2022 in set(ye.year)
    assert mo.month.str.fullmatch(r"\d{4}-\d{2}").all()
    row = ye[(ye.year == 2022) & (ye.unit == "tyollisyys") & (ye.measure == "costs_keur")]
    assert row["mean"].iloc[0] == pytest.approx(27200, abs=350)  # the report's 27,2 milj. euroa


def test_table_prints_report_figures(capsys):
    assert main(["run", str(SCENARIOS / "baseline.toml")]) == 0
    text = capsys.readouterr().out
    # "Toimintatuotot … 1,6 (budget) 1,9 (forecast)" for elinvoima, as in the report
    first = next(line for line in text.splitlines() if line.startswith("Elinvoimapalvelut"))
    assert "1,6" in first and "1,9" in first


@pytest.mark.parametrize(
    "args,words",
    [
        (["run", "nope.toml"], "nope.toml: no such file"),
        (["run", str(SCENARIOS / "baseline.toml"), "--draws", "0"], "--draws must be within"),
        (["run", str(SCENARIOS / "baseline.toml"), "--seed", "x"], "--seed must be a whole number"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_exit_2_one_line_no_traceback(tmp_path, args, words):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "engine", *args, "--out", str(out)] if args[0] == "run" else
                          [sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()


def test_failure_leaves_no_partial_output(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[settings]\nestimator = "guess"\n')
    out = tmp_path / "out"
    assert main(["run", str(SCENARIOS / "baseline.toml"), str(bad), "--out", str(out)]) == 2
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]
