"""numpy's transparent huge pages, switched off for the engine's process.

numpy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) for every array of 4 MB or
more. A run's (paths, months) arrays are fresh memory written once, and on the 2-core CI machine (a VM)
a huge page's first touch costs far more than the 512 small pages it replaces (no compaction stalls:
``compact_stall`` stayed 0 in /proc/vmstat; the time is the faults themselves). Measured 2026-11-29,
``simulate`` of 100 000 paths in one chunk, the first run in a fresh process: 8.7 / 8.9 s with huge pages
(6.0 s of it system time) against 4.8 / 5.5 s without (2.6–3.0 s system) on a quiet machine; 11.9 / 11.0
against 6.3 / 8.4 s with another session running. A second run in the same process, whose memory is
already mapped, takes the same time either way. Machines whose huge pages fault cheaply lose little:
the arrays are written in full, so small pages cost one fault per 4 kB and nothing more.

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
