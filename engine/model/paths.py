"""The month loop: labour flows and TMT recipients for every path, in one compiled kernel.

``run(inputs, paths) -> PathArrays`` moves all paths through the months with the numba kernel in
:mod:`engine.model.kernel` (imported on the first run). Layout: the paths go in blocks of ``LANES`` (64); a
block's whole state is one ``(rows, LANES)`` array (the four stocks by bucket, then one row per per-path
quantity), paths innermost, so every flow is a loop over buckets whose inner loop over the block's
paths the compiler turns into SIMD. Each thread (``numba.get_num_threads()``, plain threads: the kernel
releases the GIL) takes a run of blocks. Each path does the same arithmetic in the same order whatever block or thread it falls in
(a short last block is padded with copies of the last path, which are never written), and nothing is
summed across paths, so the numbers do not depend on the thread count or on how many paths run.

Compiled code is cached on disk by numba (in ``engine/__pycache__``, or in the user's cache folder,
``~/.cache/numba``, when the install location is read-only), so only the first run after an install
compiles (5–10 s; said once on stderr). :mod:`engine.model.reference` is the same model for one path in
plain loops, the oracle for this one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.model.tmt import BANDS, band_weights


@dataclass(frozen=True)
class Inputs:
    """Everything the month loop reads. Month index t runs over the grid; the loop starts at ``t0``.

    Shapes: ``(D,)``/``(K,)`` buckets; ``(P|1,)`` one value per path (or shared); ``(P|1, T)`` per path
    and month; ``(T,)`` per month; ``(T, K)``/``(T, D)`` per month and bucket.
    """

    t0: int  # first forecast month (the month after the as-of month)
    weekdays: np.ndarray  # (T,)
    U0: np.ndarray  # (D,) unemployed by months unemployed at the end of the as-of month
    S0: np.ndarray  # (D,) in services
    R0: np.ndarray  # (K,) subsidy recipients by subsidy months
    RS0: np.ndarray  # (K,) recipients in services
    psi: np.ndarray  # (D,) employability by months unemployed
    psi_r: np.ndarray  # (K,) employability by subsidy months
    alpha: float
    kappa: float  # exits to education and out of the labour force per hire
    return_rate: float  # services → unemployed, 1/month
    service_exit: float  # services → work, 1/month
    inflow_ratio: float  # new recipients per person reaching 12 months unemployed
    te24_extra_eur: float  # earnings-related premium over the basic rate, € per weekday
    A: np.ndarray  # (P|1,) matching efficiency
    eta: np.ndarray  # (P|1,) recipients' exit hazard relative to the jobseekers'
    inflow: np.ndarray  # (P|1, T) new unemployment spells, persons
    vacancies: np.ndarray  # (P|1, T) open vacancies
    season_exit: np.ndarray  # (T,)
    activation: np.ndarray  # (P|1, T) target share in services, 0…1
    direct_hires: np.ndarray  # (P|1, T) hires straight from the unemployed (a shock's local hiring)
    long_term_hires: np.ndarray  # (P|1, T) hires from the ≥ 12-month unemployed (a pilot)
    tmt_exits: np.ndarray  # (P|1, T) recipients past 300 days leaving for work (a pilot)
    labour_force: np.ndarray  # (P|1, T) persons
    tmt_inflow_extra: np.ndarray  # (P|1, T) new recipients from a shock (e.g. arrivals on the subsidy)
    amount_eur: np.ndarray  # (P|1, T) € per billed weekday before the municipal share
    share_R: np.ndarray  # (T, K) city's share of recipients' subsidy by bucket, rule in force
    billed_R: np.ndarray  # (T, K)
    services_billed: np.ndarray  # (T,) bool: time in services billed too (TE24)
    share_U: np.ndarray  # (T, D) TE24: earnings-related recipients' share × head count per jobseeker
    billed_U: np.ndarray  # (T, D)

    @property
    def months(self) -> int:
        return len(self.weekdays)


@dataclass(frozen=True)
class PathArrays:
    """(P, T) monthly outputs; columns before ``t0`` are left zero for the caller to fill.

    Stocks are end-of-month (as TEM counts them); TMT cost and billed persons are for the benefit
    month, on the stock at its start.
    """

    unemployed: np.ndarray
    long_term: np.ndarray
    services: np.ndarray
    exits_to_work: np.ndarray
    tmt_cost_keur: np.ndarray
    tmt_billed: np.ndarray
    tmt_cost_bands_keur: np.ndarray  # (P, T, 3) by subsidy-day band: under 500, 500–1 000, over 1 000 days


# The kernel's arguments, in its order: the Inputs fields it reads (a new input is one name here and one
# parameter of engine.model.kernel's _kernel and _block), then the derived arrays run() adds, then the outputs.
SCALARS = ("t0", "alpha", "kappa", "return_rate", "service_exit", "inflow_ratio", "te24_extra_eur")
ARRAYS = ("weekdays", "U0", "S0", "R0", "RS0", "psi", "psi_r", "A", "eta", "inflow", "vacancies", "season_exit",
          "activation", "direct_hires", "long_term_hires", "tmt_exits", "tmt_inflow_extra", "amount_eur",
          "share_R", "billed_R", "services_billed", "share_U", "billed_U")
OUTPUTS = tuple(PathArrays.__dataclass_fields__)


def run(inp: Inputs, paths: int) -> PathArrays:
    """All ``paths`` paths through the months ``t0 … T−1``; columns before ``t0`` stay zero."""
    from . import kernel  # numba loads here, not when the engine is imported (validate, explain stay quick)

    T = inp.months
    # the kernel writes every column from t0 on; only the history's columns need zeroing
    out = {k: np.empty((paths, T)) for k in OUTPUTS}
    out["tmt_cost_bands_keur"] = np.empty((paths, T, len(BANDS)))
    for v in out.values():
        v[:, :inp.t0] = 0.0
    args = [int(inp.t0)] + [float(getattr(inp, k)) for k in SCALARS[1:]]
    # one dtype and layout per argument, whatever the caller built: one compiled signature, cached once
    for k in ARRAYS:
        v = getattr(inp, k)
        args.append(np.ascontiguousarray(v, dtype=bool if k == "services_billed" else np.float64))
    te24_months = np.ascontiguousarray(np.asarray(inp.share_U).any(axis=1))
    args += [te24_months, np.ascontiguousarray(band_weights(len(inp.R0)))] + [out[k] for k in OUTPUTS]
    kernel.run_blocks(paths, args)
    return PathArrays(**out)
