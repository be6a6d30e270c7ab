"""Runs as processes (issue 9, section 4, and the run options of section 2): pool workers die with
the main process, SIGTERM takes Ctrl-C's path, a run too big for the machine's memory is refused up
front, and options and the baseline are checked in the main process before any worker starts.

Process tests run ``ennuste run`` in a subprocess whose scenario runs are replaced by a sleep (set
before the pool forks, so the workers inherit it): the workers are then alive and busy for as long
as the test needs, and every wait is bounded.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.commands import batch
from engine import load_scenario
from engine.results import output
from engine.commands.cli import main

from .conftest import ROOT, SCENARIOS

from engine import pipeline

BASELINE = str(SCENARIOS / "baseline.toml")
FAZER = str(SCENARIOS / "fazer.toml")
REFUGEES = str(SCENARIOS / "refugees.toml")

STUCK_BATCH = textwrap.dedent("""
    # `ennuste run ARGS` whose scenario runs sleep: the workers stay busy until they are stopped
    import sys, time
    from engine.commands import batch
    from engine.commands.cli import main
    def stuck(path, draws, seed):
        time.sleep(600)
    batch.run_one = stuck
    sys.exit(main(["run", *sys.argv[1:]]))
""")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that never comes in a container counts as dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _stuck_batch(tmp_path: Path, jobs: int = 2) -> tuple[subprocess.Popen, set[int]]:
    """A batch of two scenarios on ``jobs`` workers, and the workers' pids once both are running."""
    proc = subprocess.Popen([sys.executable, "-c", STUCK_BATCH, FAZER, REFUGEES, "--jobs", str(jobs), "--quiet",
                             "--out", str(tmp_path / "out")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    _wait(lambda: len(_children(proc.pid)) >= jobs or proc.poll() is not None, 120, "the workers to start")
    assert proc.poll() is None, proc.communicate()
    return proc, _children(proc.pid)


def _lock(tmp_path: Path) -> Path:
    return output._lock_path(Path(os.path.realpath(tmp_path / "out")))


def _cleanup(proc: subprocess.Popen, workers: set[int]) -> None:
    for pid in [proc.pid, *workers]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.communicate(timeout=30)


# --------------------------------------------------------------------------------------- processes
def test_kill_9_of_the_main_process_takes_the_workers_with_it(tmp_path):
    """The review found both workers alive indefinitely after a kill -9, holding the caller's pipes."""
    proc, workers = _stuck_batch(tmp_path)
    try:
        assert len(workers) == 2 and all(_alive(w) for w in workers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)  # returns only when no worker holds our pipes any more
        _wait(lambda: not any(_alive(w) for w in workers), 30, "the workers to die")
        assert proc.returncode == -signal.SIGKILL
    finally:
        _cleanup(proc, workers)
    assert list(tmp_path.iterdir()) == []
    with output.reserve(tmp_path / "out"):  # the killed run's lock died with it: a new run may write
        pass
    assert not _lock(tmp_path).exists()


@pytest.mark.parametrize("send", [
    # SIGTERM killed the main process silently and orphaned the workers
    pytest.param(lambda pid: os.kill(pid, signal.SIGTERM), id="sigterm"),
    # Ctrl-C reaches the main process and its workers (one process group); the workers ignore it and the
    # main process stops them: one line, no worker tracebacks
    pytest.param(lambda pid: os.killpg(pid, signal.SIGINT), id="ctrl-c-to-the-group"),
])
def test_sigterm_or_ctrl_c_exit_130_workers_stopped_nothing_written(tmp_path, send):
    proc, workers = _stuck_batch(tmp_path)
    try:
        send(proc.pid)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert err == "ennuste: interrupted; nothing was written\n"
        _wait(lambda: not any(_alive(w) for w in workers), 30, "the workers to stop")
    finally:
        _cleanup(proc, workers)
    assert list(tmp_path.iterdir()) == [] and not _lock(tmp_path).exists()


WATCHDOG_ONLY = textwrap.dedent("""
    # a pool whose workers cannot arm PR_SET_PDEATHSIG: only the parent watch can stop them
    import ctypes, os, sys, time
    from concurrent.futures import ProcessPoolExecutor
    from engine.commands import batch
    def no_libc(*a, **k):
        raise OSError("no prctl here")
    ctypes.CDLL = no_libc
    pool = ProcessPoolExecutor(2, initializer=batch._die_with_parent, initargs=(os.getpid(),))
    futures = [pool.submit(time.sleep, 600) for _ in range(2)]
    print("started", flush=True)
    time.sleep(600)
""")


def test_parent_watch_stops_workers_without_the_death_signal(tmp_path):
    """The portable fallback: with no prctl, a worker notices its parent's death within about a second."""
    proc = subprocess.Popen([sys.executable, "-c", WATCHDOG_ONLY], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    workers: set[int] = set()
    try:
        assert proc.stdout.readline() == "started\n", proc.stderr.read()
        _wait(lambda: len(_children(proc.pid)) >= 2, 60, "the workers to start")
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        _wait(lambda: not any(_alive(w) for w in workers), 30, "the workers to notice")
    finally:
        _cleanup(proc, workers)


# ------------------------------------------------------------------------------------------ memory
GIB = 2**30


def test_a_million_draws_fit_alone_but_not_two_at_once(monkeypatch, capsys, baseline):
    """With 6 GiB available: one 1 000 000-draw run goes in chunks of 25 000 paths and peaked at 2.6 GB
    (benchmarks/peak_rss.py, 2026-11-29; 17.4 GB before the chunks), two at once with the key measures
    the batch keeps of every path would not fit. Refused up front with what it needs and what there is;
    nothing started."""
    monkeypatch.setattr(pipeline, "available_memory_bytes", lambda: (6 * GIB, "MemAvailable in /proc/meminfo"))
    monkeypatch.setattr(batch, "run_batch", lambda *a, **k: pytest.fail("started a run that does not fit"))
    one = pipeline.estimate_memory_bytes(1_000_000, [84])
    assert one / 2**20 == pytest.approx(2570, rel=0.1)  # MiB, the measured peak (the estimate is rounded up)
    assert main(["run", FAZER, REFUGEES, "--draws", "1000000", "--jobs", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    # 2 × 2.9 GB of runs + 1e6 paths × 11 key measures × 8 B × (7 + 7 + 7 + 7) years kept by the main
    # process (the two files and the baseline they are compared with, one of them twice while unpickling)
    assert "1000000 paths × 84 months in 2 processes at once need about 8.2 GB" in err
    assert "this machine has 6.4 GB available (MemAvailable in /proc/meminfo)" in err
    assert "--jobs" in err
    # one at a time fits (2.9 + 1.2 GB of 6.4): the check lets it through
    batch.check_memory(baseline, [load_scenario(FAZER)], 1_000_000, 1)


def test_simulate_refuses_a_run_bigger_than_memory(monkeypatch, baseline, baseline_scenario):
    """The API checks too: 100 000 draws need ~1.0 GB (engine/pipeline.py's measured line: 25 000 paths
    at once plus what the chunks keep of every path); with 0.5 GiB available it is refused by name, and
    the hint is the most draws whose estimate fits: 320 MiB + 215 B × 84 × d ≤ 0.5 GiB, d ≤ 11 158."""
    from engine import UserError
    from engine import simulate

    monkeypatch.setattr(pipeline, "available_memory_bytes", lambda: (GIB // 2, "physical memory"))
    with pytest.raises(UserError, match=r"field 'draws': 100000 paths × 84 months need about 1\.0 GB.*"
                                        r"0\.5 GB available \(physical memory\); use --draws 11000 or fewer"):
        simulate(baseline, baseline_scenario, draws=100_000)


# VmHWM, not ru_maxrss: a forked child's ru_maxrss starts at its parent's resident size (Linux keeps the
# high-water mark across fork and exec), so inside a grown pytest process it measured pytest, not the run
MEASURE = textwrap.dedent("""
    import re, sys
    from engine.commands.cli import main
    rc = main(["run", *sys.argv[1:], "--quiet"])
    with open("/proc/self/status") as f:
        kib = int(re.search(r"VmHWM:\\s*(\\d+) kB", f.read()).group(1))
    print(kib * 1024 if rc == 0 else -1)
""")


def test_memory_estimate_covers_a_measured_run():
    """The estimate against this machine's peak RSS of a 20 000-draw run: not below it (a refusal
    must not let through a run that does not fit) and at most 30 % (about 150 MiB) above."""
    # the month kernel compiles once after install: a short run first fills numba's disk cache, so the
    # measured run is the ordinary one that the estimate is for
    warm = subprocess.run([sys.executable, "-c", MEASURE, BASELINE, "--draws", "20", "--jobs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    proc = subprocess.run([sys.executable, "-c", MEASURE, BASELINE, "--draws", "20000", "--jobs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    peak = int(proc.stdout.strip().splitlines()[-1])
    assert peak > 0, proc.stderr
    estimate = pipeline.estimate_memory_bytes(20_000, [84])
    assert peak * 0.98 <= estimate <= peak * 1.3, (peak / 2**20, estimate / 2**20)


def test_available_memory_is_read_from_the_machine():
    have, source = pipeline.available_memory_bytes()
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < have <= total and source


# ----------------------------------------------------------------------------- options and baseline
@pytest.mark.parametrize("option,text", [
    ("--draws", "1_000"), ("--draws", "١٠"), ("--draws", "２"), ("--draws", " 5"), ("--draws", "+5"),
    ("--seed", "1_0"), ("--seed", "٣"), ("--jobs", "0x2"), ("--jobs", "٢"),
])
def test_numbers_take_ascii_digits_only(capsys, option, text):
    """int() accepts "1_000" and other scripts' digits; the options must not."""
    with pytest.raises(SystemExit) as exc:
        main(["run", BASELINE, option, text])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert f"{option} must be a whole number written with the digits 0-9, got {text!r}" in err


def test_bad_baseline_is_refused_before_any_worker_starts(tmp_path, capsys, monkeypatch):
    """A bad --baseline failed inside a worker with a 41-line _RemoteTraceback."""
    def no_pool(*a, **k):
        raise AssertionError("a worker pool was started")
    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_pool)
    bad = tmp_path / "base.toml"
    bad.write_text('name = "base"\n[settings]\nestimator = "guess"\n')
    for base, words in ((bad, ("base.toml", "estimator")), (tmp_path / "nope.toml", ("nope.toml: no such file",)),
                        (tmp_path, ("is a folder",))):
        rc = main(["run", FAZER, REFUGEES, "--baseline", str(base), "--jobs", "2", "--quiet"])
        err = capsys.readouterr().err
        assert rc == 2 and len(err.splitlines()) == 1, err
        assert all(w in err for w in words), err


def test_worker_errors_arrive_as_one_line():
    """A user error raised inside a worker reaches the main process as one line (no _RemoteTraceback)."""
    script = textwrap.dedent("""
        import sys
        from engine.commands import batch
        from engine.commands.cli import main
        from engine.common.errors import UserError
        def failing(path, draws, seed):
            raise UserError("went wrong in the worker", file=path, field="x")
        batch.run_one = failing
        sys.exit(main(["run", *sys.argv[1:]]))
    """)
    proc = subprocess.run([sys.executable, "-c", script, FAZER, REFUGEES, "--jobs", "2", "--quiet"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "went wrong in the worker" in proc.stderr, proc.stderr


def _forked_run(draws: int, seed: int) -> float:
    import engine

    r = engine.simulate(engine.load_baseline(), engine.load_scenario(BASELINE), draws=draws, seed=seed)
    return float(r.labour.unemployed[:, -1].mean())


def test_a_forked_worker_runs_after_its_parent_ran_on_threads(baseline, baseline_scenario):
    # the month kernel keeps a thread pool for the process (1 000 paths run on two threads); a batch worker
    # forked after the parent ran one must not inherit it (its threads are not in the child: the run would
    # wait forever). The child's Dec-2028 mean unemployed (persons) equals the parent's, seed for seed.
    import concurrent.futures as cf
    import multiprocessing as mp

    import engine

    here = float(engine.simulate(baseline, baseline_scenario, draws=1000, seed=4).labour.unemployed[:, -1].mean())
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
        fut = pool.submit(_forked_run, 1000, 4)
        try:
            there = fut.result(timeout=120)
        except cf.TimeoutError:
            for proc in list(pool._processes.values()):
                proc.kill()
            pytest.fail("the forked worker's run did not finish in 120 s: it waited on its parent's thread pool")
    assert there == here


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc settings: Linux only")
def test_the_engine_keeps_freed_heap_unless_the_environment_says_otherwise():
    # engine.common.memory turns glibc's own mmap and heap trimming off and keeps one arena for all threads
    # when engine.pipeline is imported; malloc's own environment variables win. Observable: a 4 MB block
    # freed and allocated again is served from the kept heap (no new page faults) only with the engine's
    # setting (glibc's defaults map fresh pages for it: 1 023 faults measured without the engine); and a
    # 16 MB block a thread freed (a chunk's normals are drawn on the kernel's thread) serves the main
    # thread's next one only if the thread used the main heap (else 4 096 fresh pages)
    probe = textwrap.dedent("""
        import ctypes, resource, threading
        import engine.pipeline
        libc = ctypes.CDLL(None)
        libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
        libc.free.argtypes = [ctypes.c_void_p]
        def touch(n):
            p = libc.malloc(n)
            ctypes.memset(p, 1, n)
            return p
        for n in (4 * 2**20, 64 * 2**20):  # a table's few-MB array; a 100 000-path series (above glibc's mmap ceiling)
            libc.free(touch(n))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            libc.free(touch(n))
            print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
        n = 16 * 2**20
        libc.free(touch(n))  # kept by the main heap
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        worker = threading.Thread(target=lambda: libc.free(touch(n)))  # served from it only with one arena
        worker.start()
        worker.join()
        print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    kept = [int(x) for x in subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                                           check=True, cwd=ROOT, timeout=120).stdout.split()]
    own = [int(x) for x in subprocess.run([sys.executable, "-c", probe], env=env | {"MALLOC_TRIM_THRESHOLD_": str(128 * 1024)},
                                          capture_output=True, text=True, check=True, cwd=ROOT, timeout=120).stdout.split()]
    assert kept[0] < 100 and kept[1] < 100  # 1 024 and 16 384 pages reused: a few faults at most
    assert kept[2] < 200  # the thread's 4 096 pages reused (its stack and start-up fault a few)
    # the user's own setting (mmap from 128 kB, trimmed) stands: each block is faulted afresh (1 024, 16 384,
    # 4 096 pages)
    assert own[0] >= 900 and own[1] >= 15_000 and own[2] >= 3_900


def test_concurrent_first_calls_of_a_compiled_function_run_one_at_a_time():
    # engine.common.compiled.call: the app's warm-up thread and its first page may both make a function's
    # first call (numba compiles or loads it then, and the notice on stderr is said once); the second waits
    # for the first. A stand-in dispatcher whose call takes 0.2 s records how many calls overlap.
    import threading
    import time
    from types import SimpleNamespace

    from engine.common import compiled

    class Dispatcher:
        stats = SimpleNamespace(cache_misses={})  # nothing compiled: no notice

        def __init__(self):
            self.active = self.most = 0
            self.guard = threading.Lock()

        def __call__(self, x):
            with self.guard:
                self.active += 1
                self.most = max(self.most, self.active)
            time.sleep(0.2)
            with self.guard:
                self.active -= 1
            return x

    first = Dispatcher()
    out = []
    runs = [threading.Thread(target=lambda i=i: out.append(compiled.call(first, "a stand-in", i))) for i in range(2)]
    for t in runs:
        t.start()
    for t in runs:
        t.join()
    assert sorted(out) == [0, 1] and first.most == 1
    # once it has been called, calls are not held back
    later = [threading.Thread(target=lambda: compiled.call(first, "a stand-in", 2)) for _ in range(2)]
    for t in later:
        t.start()
    for t in later:
        t.join()
    assert first.most == 2
