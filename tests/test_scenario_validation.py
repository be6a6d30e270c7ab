"""Broken scenario files are refused: exit code 2, one line naming file, field, value and what is allowed.

The corpus is ``tests/scenarios_broken/*.toml`` (helper parents in ``parents/``); each file starts
with a comment saying what is wrong and what message is expected. ``CASES`` below is the table the
test checks against: per file, the field the message must name and fragments it must contain (the
offending value and what is allowed). Every file is run through ``ennuste run FILE --out DIR`` and
``ennuste validate FILE`` as a subprocess. Cases that need the file system (empty, unreadable,
folder, outside the tree with a real target) are made in a temporary folder at test time.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from .conftest import ROOT, SCENARIOS

CORPUS = ROOT / "tests" / "scenarios_broken"
CORPUS_REL = CORPUS.relative_to(ROOT)
PREFIX = "ennuste: error: "


class Case(NamedTuple):
    field: str | None  # the field the message names (None: the whole file is bad)
    words: tuple[str, ...]  # fragments the message must contain: the value and what is allowed
    file: str | None = None  # the file the message names, relative to the corpus (default: the file run)


CASES: dict[str, Case] = {
    # unknown keys: did-you-mean and the allowed keys
    "top_level_typo_shoks.toml": Case("shoks", ("unknown key 'shoks'", "did you mean 'shocks'", "allowed:", "parameters")),
    "settings_typo_estimater.toml": Case("settings.estimater", ("unknown key 'estimater'", "did you mean 'estimator'", "blend_weight, estimator, horizon_end")),
    "jobs_shock_unknown_key.toml": Case("shocks.fazer.local_shares", ("unknown key 'local_shares'", "did you mean 'local_share'", "indirect_multiplier")),
    "arrivals_shock_unknown_key.toml": Case("shocks.ukraine.participaton", ("unknown key 'participaton'", "did you mean 'participation'", "working_age_share")),
    "downturn_shock_unknown_key.toml": Case("shocks.slump.ramp_month", ("unknown key 'ramp_month'", "did you mean 'ramp_months'", "recovery_months")),
    "jobs_row_unknown_key.toml": Case("shocks.fazer.jobs.0.person", ("unknown key 'person'", "did you mean 'persons'", "allowed: month, persons")),
    "shock_type_unknown.toml": Case("shocks.fazer.type", ("'job'", "did you mean 'jobs'", "arrivals", "downturn", "services_transfer")),
    # choices, ranges, months
    "estimator_not_allowed.toml": Case("settings.estimator", ("'runrate'", "'report'", "'run_rate'", "'blend'")),
    "blend_weight_out_of_range.toml": Case("settings.blend_weight", ("1.5", "less than or equal to 1")),
    "horizon_not_december.toml": Case("settings.horizon_end", ("'2028-06'", "December", "2022-12", "2035-12")),
    "horizon_malformed_month.toml": Case("settings.horizon_end", ("'2028/12'", "YYYY-MM")),
    "activation_bad_start_month.toml": Case("shocks.nordic.start", ("'2022-7'", "YYYY-MM")),
    "shock_share_out_of_range.toml": Case("shocks.ukraine.share_under_7", ("1.2", "less than or equal to 1")),
    "adjustment_unknown_line.toml": Case("adjustments.compensation.line", ("'grant_received'", "'grants_received'", "'purchased_services'")),
    # NaN and inf
    "parameter_nan.toml": Case("parameters.labour.activation_target_pct", ("nan", "finite number")),
    "shock_inf.toml": Case("shocks.fazer.scale", ("inf", "finite number")),
    # distributions
    "dist_triangular_low_above_mode.toml": Case("shocks.fazer.scale", ("low=1.2", "mode=1", "high=1.3", "low <= mode <= high")),
    "dist_normal_sd_zero.toml": Case("parameters.labour.matching_efficiency", ("'sd'", "> 0", "got 0")),
    "dist_unknown_name_parameter.toml": Case("parameters.labour.activation_target_pct", ("'triangle'", "did you mean 'triangular'", "allowed:")),
    "dist_unknown_name_shock.toml": Case("shocks.slump.inflow_increase_pct.dist", ("'triangle'", "did you mean 'triangular'", "'normal'")),
    "dist_missing_argument.toml": Case("shocks.pilot.persons", ("triangular needs low, mode, high", "missing high")),
    # parameter overrides
    "parameter_unknown_name.toml": Case("parameters.labour.activation_target", ("unknown parameter 'labour.activation_target'", "did you mean 'labour.activation_target_pct'")),
    "parameter_out_of_range.toml": Case("parameters.labour.activation_target_pct", ("150", "out of range", "[0, 80]")),
    "parameter_dated_bad_from.toml": Case("parameters.labour.activation_target_pct", ("'from'", "'2025-13'", "YYYY-MM")),
    "parameter_dated_to_before_from.toml": Case("parameters.labour.activation_target_pct", ("2024-12", "2025-01", "before it starts")),
    "parameter_bad_choice.toml": Case("parameters.tmt.rule_set", ("'te25'", "did you mean 'te24'", "allowed: r2006, te24")),
    # wrong types, adjustments
    "adjustment_amount_string.toml": Case("adjustments.compensation.amount_keur", ("'800'", "a number", "distribution")),
    "shock_int_field_string.toml": Case("shocks.slump.ramp_months", ("'6'", "integer")),
    "adjustment_amount_and_derive.toml": Case("adjustments.staff_savings", ("exactly one of 'amount_keur'", "'derive'")),
    "adjustment_neither_amount_nor_derive.toml": Case("adjustments.staff_savings", ("exactly one of 'amount_keur'", "'derive'")),
    # the file as a whole
    "missing_name.toml": Case("name", ("required",)),
    "comments_only.toml": Case("name", ("required",)),
    "invalid_toml_syntax.toml": Case(None, ("not valid TOML", "line 3")),
    "binary.toml": Case(None, ("binary file", "not TOML")),
    # extends
    "extends_missing.toml": Case("extends", ("'no_such_parent.toml'", "no such file")),
    "cycle_a.toml": Case("extends", ("cycle", "cycle_a.toml → cycle_b.toml → cycle_a.toml"), file="cycle_b.toml"),
    "cycle_b.toml": Case("extends", ("cycle", "cycle_b.toml → cycle_a.toml → cycle_b.toml"), file="cycle_a.toml"),
    "extends_self.toml": Case("extends", ("cycle", "extends_self.toml → extends_self.toml")),
    "extends_outside_tree.toml": Case("extends", ("'../../x.toml'", "outside the scenario tree")),
    "extends_broken_parent.toml": Case("setings", ("unknown key 'setings'", "did you mean 'settings'"), file="parents/typo_parent.toml"),
    "extends_valid_parent_bad_child.toml": Case("parameters.labour.activation_target_pct", ("-5", "out of range", "[0, 80]")),
    # issue 9: tracebacks before, one line now
    "ledger_adjustment_line_negative.toml": Case("adjustments.big_cut.amount_keur", ("-1,000,000 k€", "elinvoima 'sales'", "2022 negative", "≥ 0 k€")),
    "parameter_dated_scalar.toml": Case("parameters.ledger.tmt_appropriation_keur", ("'2023-01'", "is dated", "one value for the whole run", "[0, 15783] k€")),
    "nesting_deep_array.toml": Case(None, ("nests lists or tables too deeply", "at most 12 levels")),
    "nesting_dotted_table.toml": Case(None, ("nests lists or tables too deeply", "at most 12 levels")),
    "nesting_inline_table.toml": Case(None, ("nests lists or tables too deeply", "at most 12 levels")),
    "extends_nul_byte.toml": Case("extends", ("'a\\x00b.toml'", "is not a file name", "baseline.toml")),
    "extends_long_name.toml": Case("extends", ("'…aaaa", ".toml'", "file name too long")),
    "extends_empty.toml": Case("extends", ("value ''", "is not a file name", "baseline.toml")),
    "extends_dot.toml": Case("extends", ("value '.'", "does not name a .toml file")),
    # issue 9: accepted before with nonsense output; a range with its unit now
    "tmt_daily_rate_huge.toml": Case("parameters.tmt.daily_rate_eur", ("1e+308", "out of range", "[0, 200] €/weekday")),
    "pilot_persons_huge.toml": Case("shocks.pilot.persons", ("1e+308", "less than or equal to 20000", "persons")),
    "labour_force_too_small.toml": Case("parameters.labour.labour_force_persons", ("2000", "out of range", "[10000, 120000] persons")),
    "jobs_scale_negative.toml": Case("shocks.fazer.scale", ("-100", "greater than or equal to 0", "0…5")),
    "output_rate_over_100.toml": Case("parameters.labour.labour_force_persons", ("unemployment_rate_pct reaches", "within 0–100 %")),
    # order checks inside shocks
    "jobs_months_not_increasing.toml": Case("shocks.fazer.jobs", ("months must increase", "'2025-10', '2025-06'")),
    "arrivals_end_before_start.toml": Case("shocks.ukraine.arrivals.0", ("end 2022-03", "start 2022-12", "before")),
}

COMMANDS = ("run", "validate")


class Outcome(NamedTuple):
    proc: subprocess.CompletedProcess
    work: Path  # a folder that held only the --out target, which must not exist afterwards
    out: Path


def _cli(command: str, target: str, work: Path) -> Outcome:
    """``ennuste <command> target`` as a subprocess from the repository root; ``run`` gets ``--out work/out``."""
    work.mkdir(parents=True, exist_ok=True)
    out = work / "out"
    args = [sys.executable, "-m", "engine", command, target] + (["--out", str(out)] if command == "run" else [])
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=300)
    return Outcome(proc, work, out)


def _in_parallel(jobs: dict) -> dict:
    """Run ``{key: (command, target, work)}`` at once (each run spends ~2 s importing numpy and scipy)."""
    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        futures = {key: pool.submit(_cli, *job) for key, job in jobs.items()}
        return {key: f.result() for key, f in futures.items()}


@pytest.fixture(scope="session")
def corpus_outcomes(tmp_path_factory) -> dict[tuple[str, str], Outcome]:
    """Every corpus file under every command."""
    base = tmp_path_factory.mktemp("corpus")
    return _in_parallel({(cmd, name): (cmd, str(CORPUS_REL / name), base / f"{cmd}-{name}")
                         for name in CASES for cmd in COMMANDS})


def _assert_refused(outcome: Outcome, *, file: str, field: str | None, words: tuple[str, ...]) -> None:
    proc = outcome.proc
    err = proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}, stderr: {err!r}"
    assert "Traceback" not in err and "Traceback" not in proc.stdout, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), f"stderr is not exactly one line: {err!r}"
    line = lines[0]
    assert line.startswith(PREFIX), line
    assert len(line) <= 500, f"the message is {len(line)} characters, over 500: {line[:600]!r}"
    assert file in line, f"the message does not name the file {file!r}: {line}"
    if field is not None:
        assert f"field '{field}'" in line, f"the message does not name the field {field!r}: {line}"
    missing = [w for w in words if w not in line]
    assert not missing, f"the message lacks {missing}: {line}"
    assert proc.stdout == "", f"a refused file printed to stdout: {proc.stdout!r}"
    assert not outcome.out.exists(), "the --out folder was written"
    assert list(outcome.work.iterdir()) == [], f"something was written: {list(outcome.work.iterdir())}"


# ------------------------------------------------------------------------------------------ the corpus
def test_corpus_matches_the_table():
    files = sorted(p.name for p in CORPUS.glob("*.toml"))
    assert len(files) >= 25
    assert files == sorted(CASES), "every corpus file needs a row in CASES, and every row a file"


@pytest.mark.parametrize("path", sorted(CORPUS.rglob("*.toml")), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_files_say_what_is_wrong(path):
    first = path.read_bytes().split(b"\n", 2)
    if path.parent == CORPUS:
        assert first[0].startswith(b"# Wrong: ") and first[1].startswith(b"# Expected: "), first[:2]
    else:
        assert first[0].startswith(b"# Helper parent"), first[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_is_refused(corpus_outcomes, name, command):
    case = CASES[name]
    file = str(CORPUS_REL / (case.file or name))
    _assert_refused(corpus_outcomes[(command, name)], file=file, field=case.field, words=case.words)


# ------------------------------------------------------------------------------------------ made at test time
def _empty(d: Path) -> tuple[Path, str | None, tuple[str, ...]]:
    p = d / "empty.toml"
    p.write_bytes(b"")
    return p, None, ("is empty", "name = ")


def _whitespace(d: Path):
    p = d / "whitespace.toml"
    p.write_bytes(b"  \n\t\n\r\n   \n")
    return p, None, ("is empty", "name = ")


def _binary(d: Path):
    p = d / "binary.toml"
    p.write_bytes(bytes(range(256)) * 4)
    return p, None, ("binary file", "not TOML")


def _not_utf8(d: Path):
    p = d / "latin1.toml"
    p.write_bytes('name = "Työllisyys"\n'.encode("latin-1"))
    return p, None, ("not UTF-8",)


def _folder(d: Path):
    p = d / "folder.toml"
    p.mkdir()
    return p, None, ("is a folder",)


def _unreadable(d: Path):
    p = d / "unreadable.toml"
    if os.geteuid() != 0:
        p.write_text('name = "x"\n')
        p.chmod(0)
    else:  # root reads through chmod 000; /proc/self/mem fails to read at offset 0 (EIO) for anyone
        p.symlink_to("/proc/self/mem")
    return p, None, ("cannot read the file",)


def _missing(d: Path):
    return d / "nowhere.toml", None, ("no such file",)


def _outside_existing(d: Path):
    # a real file just outside the tree: refused as outside, not read
    (d / "outside.toml").write_text('name = "outside"\n')
    tree = d / "scenarios" / "sub"
    tree.mkdir(parents=True)
    p = tree / "child.toml"
    p.write_text('name = "child"\nextends = "../../outside.toml"\n')
    return p, "extends", ("'../../outside.toml'", "outside the scenario tree")


def _outside_absolute(d: Path):
    tree = d / "scenarios"
    tree.mkdir()
    p = tree / "child.toml"
    p.write_text(f'name = "child"\nextends = {json.dumps(str(d / "elsewhere.toml"))}\n')
    (d / "elsewhere.toml").write_text('name = "elsewhere"\n')
    return p, "extends", ("elsewhere.toml", "outside the scenario tree")


def _unreadable_parent(d: Path):
    # the parent is a folder: the message names the parent
    (d / "parent.toml").mkdir()
    p = d / "child.toml"
    p.write_text('name = "child"\nextends = "parent.toml"\n')
    return p, None, ("is a folder",), d / "parent.toml"


def _fifo(d: Path):
    # a named pipe would block a reader forever: refused from its file type, never opened
    p = d / "pipe.toml"
    os.mkfifo(p)
    return p, None, ("not a regular file",)


def _dev_zero(d: Path):
    # /dev/zero never ends: refused from its file type, never read (issue 9: `validate /dev/zero` read without limit)
    p = d / "zero.toml"
    p.symlink_to("/dev/zero")
    return p, None, ("not a regular file",)


def _too_big(d: Path):
    # 1.2 MB of comments: refused from its size, not parsed
    p = d / "big.toml"
    p.write_text('name = "big"\n' + ("# " + "x" * 97 + "\n") * 12_000)
    return p, None, ("1,200,013 bytes", "at most 1,000,000 bytes")


def _long_list(d: Path):
    # a 100 000-number list where 12 numbers go (issue 9: a 16.5 MB "line"): the echo is capped
    p = d / "long.toml"
    p.write_text('name = "long"\n[parameters]\n"labour.seasonal_exit_shape" = [' + ", ".join(["2.5"] * 100_000) + "]\n")
    return p, "parameters.labour.seasonal_exit_shape", ("must be a list of 12 numbers", "[2.5, 2.5", "…")


def _extends_symlink_loop(d: Path):
    (d / "loop.toml").symlink_to("loop.toml")
    p = d / "child.toml"
    p.write_text('name = "child"\nextends = "loop.toml"\n')
    return p, "extends", ("'loop.toml'", "symlink loop")


def _extends_fifo(d: Path):
    # a FIFO in the tree hung the run (issue 9)
    os.mkfifo(d / "pipe.toml")
    p = d / "child.toml"
    p.write_text('name = "child"\nextends = "pipe.toml"\n')
    return p, None, ("not a regular file",), d / "pipe.toml"


MADE = {f.__name__.lstrip("_"): f for f in (_empty, _whitespace, _binary, _not_utf8, _folder, _unreadable, _missing,
                                             _outside_existing, _outside_absolute, _unreadable_parent, _fifo, _dev_zero,
                                             _too_big, _long_list, _extends_symlink_loop, _extends_fifo)}


@pytest.fixture(scope="session")
def made_outcomes(tmp_path_factory) -> dict[tuple[str, str], tuple[Outcome, tuple, list[Path], Path]]:
    """Each made case under each command, in a folder of its own: (outcome, case, files before, source folder)."""
    base = tmp_path_factory.mktemp("made")
    cases, jobs = {}, {}
    for kind, make in MADE.items():
        for cmd in COMMANDS:
            src = base / f"{cmd}-{kind}" / "src"
            src.mkdir(parents=True)
            case = make(src)
            cases[(cmd, kind)] = (case, sorted(src.rglob("*")), src)
            jobs[(cmd, kind)] = (cmd, str(case[0]), base / f"{cmd}-{kind}" / "work")
    outcomes = _in_parallel(jobs)
    return {key: (outcomes[key], *cases[key]) for key in jobs}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", sorted(MADE))
def test_made_file_is_refused(made_outcomes, kind, command):
    outcome, (path, field, words, *named), before, src = made_outcomes[(command, kind)]
    _assert_refused(outcome, file=str(named[0] if named else path), field=field, words=words)
    assert sorted(src.rglob("*")) == before, "the source folder changed"


# ------------------------------------------------------------------------------------------ batches, validate, schema
@pytest.mark.parametrize("broken", ["top_level_typo_shoks.toml", "parameter_out_of_range.toml"])
@pytest.mark.parametrize("broken_first", [False, True], ids=["valid-then-broken", "broken-then-valid"])
def test_valid_and_broken_in_one_run_writes_nothing(tmp_path, broken, broken_first):
    valid = str(SCENARIOS.relative_to(ROOT) / "baseline.toml")
    bad = str(CORPUS_REL / broken)
    files = [bad, valid] if broken_first else [valid, bad]
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "engine", "run", *files, "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and bad in proc.stderr and f"field '{CASES[broken].field}'" in proc.stderr
    assert proc.stdout == ""
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_validate_with_a_broken_file_exits_2():
    valid = str(SCENARIOS.relative_to(ROOT) / "baseline.toml")
    bad = str(CORPUS_REL / "shock_type_unknown.toml")
    proc = subprocess.run([sys.executable, "-m", "engine", "validate", valid, bad],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and bad in proc.stderr and "Traceback" not in proc.stderr


def test_a_byte_order_mark_is_accepted(tmp_path):
    # Windows editors write a UTF-8 BOM; it was refused as "Invalid statement (at line 1, column 1)" (issue 9)
    p = tmp_path / "bom.toml"
    p.write_bytes("\ufeffname = \"Työllisyys\"\n".encode("utf-8"))
    proc = subprocess.run([sys.executable, "-m", "engine", "validate", str(p)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{p}: ok (Työllisyys)\n"


def test_validate_accepts_every_shipped_scenario():
    files = sorted(str(p.relative_to(ROOT)) for p in SCENARIOS.glob("*.toml"))
    assert len(files) >= 8
    proc = subprocess.run([sys.executable, "-m", "engine", "validate", *files],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert len(lines) == len(files)
    for f, line in zip(files, lines):
        assert line.startswith(f"{f}: ok ("), line


def test_schema_is_json_with_shocks_and_parameters():
    proc = subprocess.run([sys.executable, "-m", "engine", "schema"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    props = schema["properties"]
    assert {"name", "extends", "settings", "parameters", "adjustments", "shocks"} <= set(props)
    assert "labour.activation_target_pct" in props["parameters"]["properties"]
    assert props["parameters"]["additionalProperties"] is False
    assert "jobs" in props["shocks"]["description"] and "downturn" in props["shocks"]["description"]
    assert schema["required"] == ["name"]
