"""``--out`` never deletes, moves or overwrites what ennuste did not write (issue 9, section 1).

Every case builds its folders in ``tmp_path`` and runs ``ennuste run`` with one draw (the central
path), in this process unless a real second process or a kill is the point. A refusal is exit 2 with
one line on stderr naming ``--out`` and the path, before anything is computed, and leaves the tree
exactly as it was (names, sizes, contents, modes).
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import engine
from engine.commands import batch
from engine.results import output
from engine.commands.cli import main
from engine.common.errors import UserError

from .conftest import ROOT, SCENARIOS

BASELINE = str(SCENARIOS / "baseline.toml")
FAZER = str(SCENARIOS / "fazer.toml")
TABLES = {"year_end.csv", "monthly.csv", "deviations.csv", "report_layout.csv"}


def tree(root: Path) -> dict[str, tuple]:
    """Every item under ``root``: kind, mode and content (files) — to show nothing was touched."""
    out = {".": ("dir", stat.S_IMODE(root.lstat().st_mode))}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        rel = str(p.relative_to(root))
        if stat.S_ISLNK(st.st_mode):
            out[rel] = ("link", os.readlink(p))
        elif p.is_dir():
            out[rel] = ("dir", stat.S_IMODE(st.st_mode))
        else:
            out[rel] = ("file", stat.S_IMODE(st.st_mode), p.read_bytes())
    return out


@pytest.fixture
def no_compute(monkeypatch):
    """Fail the test if a run is started: refusals must come before any computation."""
    def refuse(*a, **k):
        raise AssertionError("the batch was started although --out is refused")
    monkeypatch.setattr(batch, "run_batch", refuse)


def refused(capsys, args: list[str], *words: str) -> str:
    rc = main(["run", *args, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("ennuste: error: --out"), lines[0]
    missing = [w for w in words if w not in lines[0]]
    assert not missing, f"{missing} not in {lines[0]!r}"
    return lines[0]


def ok(capsys, args: list[str]) -> None:
    rc = main(["run", *args, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0, err


def manifest(folder: Path) -> dict:
    return json.loads((folder / output.MANIFEST).read_text())


def leftovers(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob(".ennuste-tmp-*")]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=30)
    return proc.pid


# ------------------------------------------------------------------------- refused before computing
def test_folder_with_user_files_is_refused_and_left_alone(tmp_path, capsys, no_compute):
    """The review's first case: keepme/ with notes.txt and sub/ was emptied and set to mode 0700."""
    keep = tmp_path / "keepme"
    (keep / "sub").mkdir(parents=True)
    (keep / "notes.txt").write_text("my notes\n")
    (keep / "sub" / "data.csv").write_text("a,b\n1,2\n")
    keep.chmod(0o755)
    before = tree(tmp_path)
    line = refused(capsys, [BASELINE, "--out", str(keep)], str(keep), "notes.txt", "sub/", "--force")
    assert "did not write" in line
    assert tree(tmp_path) == before


def test_folder_holding_the_input_scenario_is_refused_even_with_force(tmp_path, capsys, no_compute):
    """`--out scen2` run on scen2/baseline.toml deleted the scenario files themselves."""
    scen = tmp_path / "scen2"
    scen.mkdir()
    (scen / "baseline.toml").write_bytes((SCENARIOS / "baseline.toml").read_bytes())
    before = tree(tmp_path)
    for extra in ([], ["--force"]):
        refused(capsys, [str(scen / "baseline.toml"), "--out", str(scen), *extra], "contains the input scenario file",
                "baseline.toml")
    assert tree(tmp_path) == before


def test_out_that_is_the_input_file_is_refused(tmp_path, capsys, no_compute):
    scen = tmp_path / "s.toml"
    scen.write_bytes((SCENARIOS / "baseline.toml").read_bytes())
    refused(capsys, [str(scen), "--out", str(scen)], "is an input scenario file")
    assert scen.read_bytes() == (SCENARIOS / "baseline.toml").read_bytes()


def test_parent_of_an_extends_parent_is_refused(tmp_path, capsys, no_compute):
    """A file read through ``extends`` is an input too: its folder must not become the output."""
    tree_dir = tmp_path / "scenarios"  # a scenario tree: extends stays inside it
    (tree_dir / "sub").mkdir(parents=True)
    (tree_dir / "baseline.toml").write_bytes((SCENARIOS / "baseline.toml").read_bytes())
    (tree_dir / "sub" / "child.toml").write_text('name = "child"\nextends = "../baseline.toml"\n')
    before = tree(tmp_path)
    refused(capsys, [str(tree_dir / "sub" / "child.toml"), "--out", str(tree_dir / "sub" / ".."), "--force"],
            "contains the input scenario file", "baseline.toml")
    assert tree(tmp_path) == before


def test_folder_holding_a_link_to_the_input_is_refused(tmp_path, capsys, no_compute):
    """The scenario given through a symlink: the link's folder is refused too, not only the target's."""
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "baseline.toml").write_bytes((SCENARIOS / "baseline.toml").read_bytes())
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "b.toml").symlink_to(tmp_path / "real" / "baseline.toml")
    before = tree(tmp_path)
    refused(capsys, [str(tmp_path / "links" / "b.toml"), "--out", str(tmp_path / "links"), "--force"],
            "contains the input scenario file", "b.toml")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("target,words", [
    (".", ("is the current folder",)),
    ("..", ("a parent of the current folder",)),
    ("/", ("is the root folder",)),
    ("../{cwd}", ("is the current folder",)),  # the review moved the whole project into .<name>.old.*
])
def test_current_folder_and_its_parents_are_refused(tmp_path, capsys, monkeypatch, no_compute, target, words):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "README.md").write_text("project\n")
    monkeypatch.chdir(proj)
    before, root_before = tree(tmp_path), sorted(os.listdir("/"))
    refused(capsys, [BASELINE, "--out", target.format(cwd=proj.name), "--force"], *words)
    assert tree(tmp_path) == before
    assert sorted(os.listdir("/")) == root_before, "something was left in /"


@pytest.mark.parametrize("make,target,words", [
    (lambda t: (t / "f.txt").write_text("x"), "f.txt", ("is a file, not a folder",)),
    (lambda t: (t / "f.txt").write_text("x"), "f.txt/out", ("f.txt is a file, not a folder",)),
    (lambda t: (t / "f.txt").write_text("x"), "f.txt/a/b", ("f.txt is a file, not a folder",)),
    (lambda t: None, "/proc/x", ("is under /proc, a system folder",)),
    (lambda t: None, "/sys/kernel/out", ("is under /sys",)),
    (lambda t: None, "", ("--out: is empty",)),  # exited 0 and wrote nothing
    (lambda t: None, "   ", ("--out: is empty",)),
    (lambda t: None, "x" * 250, ("longer than 200 bytes",)),
])
def test_paths_that_cannot_be_a_folder_are_refused(tmp_path, capsys, monkeypatch, no_compute, make, target, words):
    """These gave a traceback (exit 1), and only after the whole computation."""
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    before = tree(tmp_path)
    refused(capsys, [BASELINE, "--out", target], *words)
    assert tree(tmp_path) == before


def test_unwritable_parent_is_refused(tmp_path, capsys, monkeypatch, no_compute):
    """A read-only parent: refused up front, nothing created. Root may write anywhere, so as root the
    read-only check is shown with os.access answering as it would for another user."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == ro else real_access(p, mode, **k))
    before = tree(tmp_path)
    try:
        refused(capsys, [BASELINE, "--out", str(ro / "a" / "out")], "is not writable", str(ro))
        refused(capsys, [BASELINE, "--out", str(ro)], "the folder is not writable")
        assert tree(tmp_path) == before
    finally:
        ro.chmod(0o755)  # so pytest can clean up


def test_refused_scenario_creates_no_missing_parents(tmp_path):
    """Missing parents are created only when the tables are written: a failed run creates nothing."""
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[settings]\nestimator = "guess"\n')
    assert main(["run", BASELINE, str(bad), "--out", str(tmp_path / "a" / "b" / "out"), "--quiet"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_interrupt_creates_no_missing_parents(tmp_path, capsys, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(batch, "run_batch", interrupted)
    assert main(["run", BASELINE, "--out", str(tmp_path / "a" / "out"), "--quiet"]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------- writing
def test_new_folder_gets_tables_manifest_and_an_ordinary_mode(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "out"  # missing parents are made, as mkdir -p would
    ok(capsys, [BASELINE, "--out", str(out)])
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}
    mode = stat.S_IMODE(out.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o777 & ~umask, oct(mode)  # not mkdtemp's 0700
    doc = manifest(out)
    assert doc["tool"] == "etp-ennuste" and doc["version"] == engine.__version__
    assert set(doc["files"]) == TABLES
    for name, entry in doc["files"].items():
        assert entry["bytes"] == (out / name).stat().st_size
    assert leftovers(tmp_path) == []


def test_csv_bytes_are_pandas_to_csv_as_before(tmp_path, central):
    """The files are what write_tables wrote before the change: to_csv(index=False, float_format="%.6g")."""
    tables = {"year_end": central.year_end(), "monthly": central.monthly(), "deviations": central.deviations()}
    out = engine.write_tables(tables, tmp_path / "out", "csv")
    assert out == tmp_path / "out"
    for name, df in tables.items():
        assert (out / f"{name}.csv").read_text() == df.to_csv(index=False, float_format="%.6g")


def test_write_tables_api_refuses_a_foreign_folder(tmp_path, central):
    (tmp_path / "mine.txt").write_text("x")
    with pytest.raises(UserError, match="did not write"):
        engine.write_tables({"year_end": central.year_end()}, tmp_path, "csv")
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_previous_output_is_replaced_in_place_keeping_the_folder_mode(tmp_path, capsys):
    """A folder holding exactly its manifest's files is ennuste's own: replaced without --force; the
    folder (its mode, its inode) stays, and a table this run does not write (comparison) goes."""
    out = tmp_path / "out"
    ok(capsys, [BASELINE, FAZER, "--out", str(out)])
    assert (out / "comparison.csv").exists()
    out.chmod(0o750)
    inode = out.stat().st_ino
    old_year_end = (out / "year_end.csv").read_bytes()
    ok(capsys, [FAZER, "--out", str(out)])
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}
    assert stat.S_IMODE(out.stat().st_mode) == 0o750 and out.stat().st_ino == inode
    assert set(pd.read_csv(out / "year_end.csv").scenario) == {"fazer"}
    assert (out / "year_end.csv").read_bytes() != old_year_end
    assert set(manifest(out)["files"]) == TABLES
    assert leftovers(tmp_path) == []


def test_empty_folder_is_written(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    ok(capsys, [BASELINE, "--out", str(out)])
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}
    assert stat.S_IMODE(out.stat().st_mode) == 0o700  # the user's choice, kept


def test_edited_output_is_refused_without_force(tmp_path, capsys, monkeypatch):
    """An own file changed after writing (content, not name) is no longer only ennuste's."""
    out = tmp_path / "out"
    ok(capsys, [BASELINE, "--out", str(out)])
    with open(out / "year_end.csv", "a") as f:
        f.write("my note\n")
    edited = tree(tmp_path)
    with monkeypatch.context() as m:
        m.setattr(batch, "run_batch", lambda *a, **k: pytest.fail("computed before refusing"))
        refused(capsys, [BASELINE, "--out", str(out)], "year_end.csv changed since ennuste wrote it")
    assert tree(tmp_path) == edited
    ok(capsys, [BASELINE, "--out", str(out), "--force"])
    assert not (out / "year_end.csv").read_text().endswith("my note\n")


def test_force_replaces_only_own_files(tmp_path, capsys):
    """--force writes beside the user's files: they, their folder and its mode stay as they were."""
    keep = tmp_path / "keepme"
    (keep / "sub").mkdir(parents=True)
    (keep / "notes.txt").write_text("my notes\n")
    (keep / "sub" / "x.csv").write_text("1\n")
    keep.chmod(0o751)
    ok(capsys, [BASELINE, FAZER, "--out", str(keep), "--force"])
    assert (keep / "notes.txt").read_text() == "my notes\n" and (keep / "sub" / "x.csv").read_text() == "1\n"
    assert stat.S_IMODE(keep.stat().st_mode) == 0o751
    assert set(manifest(keep)["files"]) == TABLES | {"comparison.csv"}
    # a later forced run replaces its own tables and removes its own stale one, nothing else
    ok(capsys, [FAZER, "--out", str(keep), "--force"])
    assert {p.name for p in keep.iterdir()} == TABLES | {output.MANIFEST, "notes.txt", "sub"}
    assert (keep / "notes.txt").read_text() == "my notes\n" and (keep / "sub" / "x.csv").read_text() == "1\n"
    # and without --force the folder is still refused: notes.txt is not ennuste's
    refused(capsys, [FAZER, "--out", str(keep)], "notes.txt")


def test_output_of_an_older_ennuste_needs_force_once(tmp_path, capsys):
    """Tables without a manifest cannot be told from the user's own files: refused, with a hint."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "year_end.csv").write_text("scenario,year\n")
    refused(capsys, [BASELINE, "--out", str(out)], "older ennuste", "--force once")
    ok(capsys, [BASELINE, "--out", str(out), "--force"])
    ok(capsys, [BASELINE, "--out", str(out)])  # now marked as ennuste's own
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}


def test_force_does_not_replace_a_folder_named_like_a_table(tmp_path, capsys):
    keep = tmp_path / "keepme"
    (keep / "year_end.csv").mkdir(parents=True)
    (keep / "year_end.csv" / "mine.txt").write_text("x")
    before = tree(tmp_path)
    refused(capsys, [BASELINE, "--out", str(keep), "--force"], "year_end.csv in it is a folder")
    assert tree(tmp_path) == before


def test_symlink_to_a_folder_is_written_through(tmp_path, capsys):
    """The link is the user's: it stays a link, and the tables land in the folder it points to."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    ok(capsys, [BASELINE, "--out", str(link)])
    assert link.is_symlink() and {p.name for p in real.iterdir()} == TABLES | {output.MANIFEST}


def test_parquet_then_csv_replaces_the_own_parquet_files(tmp_path, capsys):
    out = tmp_path / "out"
    ok(capsys, [BASELINE, "--out", str(out), "--format", "parquet"])
    assert {p.suffix for p in out.iterdir() if p.name != output.MANIFEST} == {".parquet"}
    ok(capsys, [BASELINE, "--out", str(out)])
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}


# ----------------------------------------------------------------------------- leftovers and locking
def test_leftovers_of_dead_runs_are_removed_and_others_kept(tmp_path, capsys):
    """Temp items carry the writer's pid: those of dead runs holding only ennuste's names go, a live
    run's and one holding a user's file stay."""
    dead = dead_pid()
    stale_dir = tmp_path / f".ennuste-tmp-{dead}-abcdef-out"
    stale_dir.mkdir()
    (stale_dir / "year_end.csv").write_text("half")
    odd_dir = tmp_path / f".ennuste-tmp-{dead}-abcdef-other"
    odd_dir.mkdir()
    (odd_dir / "precious.txt").write_text("not ours")
    live_dir = tmp_path / f".ennuste-tmp-{os.getppid()}-abcdef-out"
    live_dir.mkdir()
    out = tmp_path / "out"
    ok(capsys, [BASELINE, "--out", str(out)])
    assert not stale_dir.exists()
    assert (odd_dir / "precious.txt").read_text() == "not ours" and live_dir.exists()
    # a temp file a killed in-place write left inside the folder: the folder is still ennuste's own
    (out / f".ennuste-tmp-{dead}-abcdef-monthly.csv").write_text("half")
    ok(capsys, [BASELINE, "--out", str(out)])
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}


def test_a_run_holding_the_folder_makes_the_second_fail_at_once(tmp_path, capsys, no_compute):
    out = tmp_path / "out"
    with output.reserve(out):
        line = refused(capsys, [BASELINE, "--out", str(out)], "another ennuste run", f"pid {os.getpid()}")
        assert "is writing to this folder" in line
    assert list(tmp_path.iterdir()) == []
    assert not output._lock_path(Path(os.path.realpath(out))).exists()


GATED_RUN = textwrap.dedent("""
    # `ennuste run ARGS` that, holding its --out, says "computing" and waits for a line on stdin
    import sys
    from engine.commands import batch
    from engine.commands.cli import main
    real = batch.run_batch
    def gated(*a, **k):
        print("computing", flush=True)
        sys.stdin.readline()
        return real(*a, **k)
    batch.run_batch = gated
    sys.exit(main(["run", *sys.argv[1:], "--quiet"]))
""")


def test_two_processes_to_one_folder_one_wins(tmp_path):
    """Two real runs: the second, started while the first computes, is refused on one line at once;
    the first's output is whole, and neither leaves a temp or lock behind."""
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, "-c", GATED_RUN, BASELINE, "--out", str(out)], cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline() == "computing\n", first.stderr.read()
        second = subprocess.run([sys.executable, "-m", "engine", "run", BASELINE, "--out", str(out), "--quiet"],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stderr
        assert second.stderr.count("\n") == 1 and f"another ennuste run (pid {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr
        first.stdin.write("go\n")
        first.stdin.flush()
        assert first.wait(timeout=300) == 0, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert {p.name for p in tmp_path.iterdir()} == {"out"}
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}
    assert not output._lock_path(Path(os.path.realpath(out))).exists()


KILL_DURING = textwrap.dedent("""
    # run `ennuste run ARGS` and SIGKILL this process at the n-th call of engine.results.output._write_file
    # (a table being written) or of os.replace (a file being renamed into place)
    import os, signal, sys
    from engine.results import output
    from engine.commands.cli import main
    how, nth = sys.argv[1], int(sys.argv[2])
    owner = output if how == "_write_file" else os
    real = getattr(owner, how)
    calls = []
    def killing(*a, **k):
        calls.append(1)
        if len(calls) == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)
    setattr(owner, how, killing)
    main(["run", *sys.argv[3:], "--quiet"])
""")


def _killed_run(how: str, nth: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILL_DURING, how, str(nth), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_kill_9_while_writing_a_new_folder_leaves_a_temp_the_next_run_removes(tmp_path, capsys):
    out = tmp_path / "out"
    proc = _killed_run("_write_file", 2, BASELINE, "--out", str(out))  # killed after the first table
    assert proc.returncode == -9, proc.stderr
    assert not out.exists()
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".ennuste-tmp-"), left
    ok(capsys, [BASELINE, "--out", str(out)])
    assert {p.name for p in tmp_path.iterdir()} == {"out"}
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}


def test_kill_9_between_renames_leaves_a_folder_still_recognised_as_own(tmp_path, capsys):
    """Killed after some files were renamed into place: the interim manifest lists the old and new
    version of each file, so the next run replaces the folder without --force."""
    out = tmp_path / "out"
    ok(capsys, [BASELINE, FAZER, "--out", str(out)])
    proc = _killed_run("replace", 3, FAZER, "--out", str(out))  # manifest and one table renamed
    assert proc.returncode == -9, proc.stderr
    assert any(p.name.startswith(".ennuste-tmp-") for p in out.iterdir())
    ok(capsys, [FAZER, "--out", str(out)])
    assert {p.name for p in out.iterdir()} == TABLES | {output.MANIFEST}
    assert set(pd.read_csv(out / "monthly.csv").scenario) == {"fazer"}
    assert leftovers(tmp_path) == []
