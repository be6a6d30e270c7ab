"""How the engine's process asks for memory: a run's arrays are fresh memory, and on the 2-core CI machine
(a VM) every first touch of a page is a fault that costs 2.5–15 µs. Three settings, made when
:mod:`engine.pipeline` is imported; the user's environment wins over each.

**numpy's transparent huge pages, off.** numpy asks Linux for transparent huge pages
(``madvise(MADV_HUGEPAGE)``) for every array of 4 MB or more. A run's (paths, months) arrays are written
once, and here a huge page's first touch costs far more than the 512 small pages it replaces (no
compaction stalls: ``compact_stall`` stayed 0 in /proc/vmstat; the time is the faults themselves).
Measured 2026-11-29, ``simulate`` of 100 000 paths in one chunk, the first run in a fresh process:
8.7 / 8.9 s with huge pages (6.0 s of it system time) against 4.8 / 5.5 s without (2.6–3.0 s system)
on a quiet machine. A second run in the same process, whose memory is already mapped, takes the same
time either way. ``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch) set in the environment wins.

**Freed memory kept for the next array (glibc).** glibc's malloc serves blocks from 128 kB up with their
own ``mmap`` (from 32 MB at most, however its threshold moves) and unmaps them when freed, and gives the
top of its heap back to the system whenever more than twice that threshold is free: so every (P, T)
array of a big run (a 100 000-path series is 67 MB) and the tables' few-MB arrays were faulted in afresh,
in every run and for every temporary within one. The engine turns malloc's own mmap off (``M_MMAP_MAX``
0: every block comes from the heap, where a freed one is reused) and never trims the heap's free top.
Measured 2026-11-29 (benchmarks/README.md): 100 000 paths in one chunk, a second run in the same
process 4.0–4.4 → 2.1 s and the first 3.0 s, system time of two runs with their tables 6.5 → 1.5 s;
``engine.simulate`` at 1 000 000 paths (chunks of 25 000) 58 → 44 s; peak RSS 100k 797 → 851 MB, 1M
2 165 → 2 176 MB (the heap keeps what a run freed, so the process stays at its high-water mark; a
chunked run's chunks reuse it). Before this, the mmap threshold fixed at 32 MB (glibc's ceiling for it)
and the trim at 64 MB kept the small arrays only: 1 000 paths, monthly table 44–51 → 22–27 ms, app
rerun after a slider change 138–139 → 126–129 ms. ``MALLOC_MMAP_MAX_``, ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_ARENA_MAX`` or a ``glibc.malloc`` tunable in ``GLIBC_TUNABLES`` set in
the environment wins; on a C library without ``mallopt`` nothing changes.

**One heap for the process's threads** (``M_ARENA_MAX`` 1). glibc gives a thread that allocates its own
arena, heaps of up to 64 MB that, untrimmed, keep their high-water mark beside the main heap's. With the
kernel's threads drawing a chunk's normals (17 MB an array at 25 000 paths) and the tables' threads
copying series, peak RSS at 100 000 paths was 911–913 MB (3 runs) against 839 MB (2 runs) with one
arena set here, and 818 MB (2 runs) with ``MALLOC_ARENA_MAX=1`` from the process's start (then no thread
made an arena before the engine's import); 1 000 000 paths 2 230 MB (benchmarks/peak_rss.py). The time
was the same within the machine's noise: the threads allocate a few blocks per run each, so the one
arena's lock is not contended.
"""
from __future__ import annotations

import ctypes
import os
import sys

import numpy as np

_NEVER = -1  # M_TRIM_THRESHOLD −1: the heap's free top is never given back (mallopt(3))
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8  # mallopt's parameter numbers (malloc.h)
_ENVIRONMENT = ("MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_ARENA_MAX")


def configure() -> None:
    """Each setting unless the environment has its own."""
    no_huge_pages()
    keep_freed_heap()


def no_huge_pages() -> bool:
    """Stop numpy from asking for huge pages unless the user's environment says otherwise; True if off."""
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(setter, "_set_madvise_hugepage", None)  # what numpy's own import calls with the variable
    if setter is None:
        return False
    setter(False)
    return True


def keep_freed_heap() -> bool:
    """Turn malloc's own mmap and the heap's trimming off (see the module's doc) unless the environment sets
    malloc's own; True if set."""
    if not sys.platform.startswith("linux") or any(k in os.environ for k in _ENVIRONMENT) \
            or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (or no mallopt): the C library's own policy stays
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _NEVER)) and bool(mallopt(_M_ARENA_MAX, 1))
