"""Shocks: named events in a scenario that change labour flows and ledger lines month by month.

(The shock library arrives with the scenario issue; until then no shock type exists.)
"""
from __future__ import annotations

from typing import Any

SHOCK_TYPES: tuple[str, ...] = ()
Shock = Any
