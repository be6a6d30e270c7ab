"""numpy's transparent huge pages, switched off for the engine's process.

numpy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for every array of 4 MB or
more. Where the kernel's THP defrag setting is ``madvise`` (Debian's and most distributions' default),
each such fault may compact memory first, in the faulting thread: a run's fresh (paths, months) arrays
then cost more in the kernel than the model does. Measured on the 2-core CI machine (2026-11-29,
``simulate`` of 100 000 paths in one chunk, the first run in a fresh process, two runs each): 8.7 / 8.9 s
with huge pages (6.0 s of it system time) against 4.8 / 5.5 s without (2.6–3.0 s system); a second run
in the same process, whose memory is already mapped, takes 5.3 s either way.

``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch) set in the environment wins: ``=1`` keeps huge pages.
"""
from __future__ import annotations

import os

import numpy as np


def switch_off() -> bool:
    """Stop numpy from asking for huge pages unless the user's environment says otherwise; True if off."""
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE") is not None:
        return os.environ["NUMPY_MADVISE_HUGEPAGE"] == "0"
    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(setter, "_set_madvise_hugepage", None)  # what numpy's own import calls with the variable
    if setter is None:
        return False
    setter(False)
    return True
