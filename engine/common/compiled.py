"""Compiled (numba) code's first use: compiling takes seconds once after an install, then numba's disk
cache loads it in a fraction of a second; a user waiting on that first run is told why."""
from __future__ import annotations

import sys
import time

_said: set = set()  # the dispatchers whose first call was timed (one notice each per process)


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
    start = time.perf_counter()
    out = dispatcher(*args)
    _said.add(dispatcher)
    say_if_compiled(dispatcher, time.perf_counter() - start, what)
    return out
