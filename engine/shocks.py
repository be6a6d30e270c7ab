"""Shocks: named events in a scenario that change labour flows and ledger lines month by month.

Every shock compiles to :class:`ShockArrays`: monthly additions to the labour model's flows (persons)
and per-year ledger amounts (k€) that the deviation breakdown names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SHOCK_TYPES: tuple[str, ...] = ()
Shock = Any


@dataclass(frozen=True)
class LedgerEffect:
    """A shock's change to one ledger line in one year: k€, + = more revenue or more cost; (P|1,)."""

    id: str
    label_fi: str
    label_en: str
    unit: str
    line: str
    year: int
    amount_keur: np.ndarray


@dataclass(frozen=True)
class ShockArrays:
    """Monthly additions, each (P|1, months): persons unless stated."""

    inflow: np.ndarray  # new unemployment spells
    vacancies: np.ndarray  # open vacancies
    direct_hires: np.ndarray  # hires straight from the unemployed
    labour_force: np.ndarray  # change of the labour force (level, not flow)
    tmt_inflow: np.ndarray  # new subsidy recipients
    activation_pts: np.ndarray  # percentage points added to the activation target
    ledger: tuple[LedgerEffect, ...] = field(default_factory=tuple)

    @classmethod
    def zeros(cls, months: int) -> "ShockArrays":
        z = np.zeros((1, months))
        return cls(z, z, z, z, z, z)


def compile_shocks(scenario, baseline, pd, grid) -> ShockArrays:
    return ShockArrays.zeros(len(grid))
