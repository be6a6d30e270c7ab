"""Compiled (numba) code's first use: compiling takes seconds once after an install, then numba's disk
cache loads it in a fraction of a second; a user waiting on that first run is told why."""
from __future__ import annotations

import os
import sys
import threading
import time

_said: set = set()  # the dispatchers whose first call was timed (one notice each per process)
_first_calls = threading.Lock()  # one first call at a time: the app's warm-up thread and its first page
# may start runs at once, and each function must compile once and be said once


def _after_fork_in_child() -> None:
    """A lock held by a parent's thread (a compile under way) would never be released in a forked child."""
    global _first_calls
    _first_calls = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def say_if_compiled(dispatcher, took_s: float, what: str) -> None:
    """On stderr, if the first call of ``dispatcher`` (a numba function) took more than a second because
    it compiled (a cache miss, not a load from numba's disk cache)."""
    if took_s > 1.0 and sum(dispatcher.stats.cache_misses.values()) > 0:
        where = getattr(getattr(dispatcher, "_cache", None), "cache_path", None)
        print(f"etp-ennuste: compiled {what} in {took_s:.1f} s (once after install; cached in {where})", file=sys.stderr)


def call(dispatcher, what: str, *args):
    """``dispatcher(*args)``; its first call in the process is timed and said (:func:`say_if_compiled`)."""
    if dispatcher in _said:
        return dispatcher(*args)
    with _first_calls:
        if dispatcher in _said:  # another thread's first call compiled it while this one waited
            return dispatcher(*args)
        start = time.perf_counter()
        out = dispatcher(*args)
        _said.add(dispatcher)
    say_if_compiled(dispatcher, time.perf_counter() - start, what)
    return out
