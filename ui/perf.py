"""A stop-gap speed-up of the engine for the app, until the engine does it itself.

``engine.distributions.Distribution.frozen()`` builds a new scipy frozen distribution on every call
(about 0.7 ms each, most of it scipy assembling docstrings), and validating and sampling one
what-if calls it a few dozen times: about 30 ms of a 110 ms rerun. A ``Distribution`` is an
immutable, hashable value, so its frozen scipy object can be kept: :func:`install` memoizes the
method (same objects, same numbers). It does nothing if the engine already caches it.
"""
from __future__ import annotations

import functools


def install() -> bool:
    """Memoize ``Distribution.frozen``; True if installed now, False if already cached (or absent)."""
    try:
        from engine.distributions import Distribution
    except ImportError:  # pragma: no cover - the engine moved it; nothing to speed up
        return False
    frozen = getattr(Distribution, "frozen", None)
    if frozen is None or hasattr(frozen, "cache_info"):
        return False
    Distribution.frozen = functools.lru_cache(maxsize=4096)(frozen)
    return True

