"""Months as numpy ``datetime64[M]``: parsing ``YYYY-MM``, ranges and weekday counts.

A *month index* in the engine is a position on the simulation grid (see :class:`MonthGrid`);
a *month* is a ``datetime64[M]`` value. Kela pays the labour-market subsidy per weekday (five days
a week), so costs use the weekdays of each calendar month.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import numpy as np

YEAR_MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"  # a month written YYYY-MM; the schemas use this pattern too
_MONTH_RE = re.compile(YEAR_MONTH_PATTERN)


def is_month(text: object) -> bool:
    return isinstance(text, str) and _MONTH_RE.match(text) is not None


def parse_month(text: str) -> np.datetime64:
    """``"2022-06"`` → ``numpy.datetime64('2022-06')``; ValueError for anything else."""
    if not is_month(text):
        raise ValueError(f"{text!r} is not a month written YYYY-MM")
    return np.datetime64(text, "M")


def month_str(month: np.datetime64) -> str:
    return str(np.datetime64(month, "M"))


def year_of(months: np.ndarray) -> np.ndarray:
    return months.astype("datetime64[Y]").astype(int) + 1970


def weekdays(months: np.ndarray) -> np.ndarray:
    """(months,) Mon–Fri days in each calendar month of ``months`` (datetime64[M]): Kela's subsidy days."""
    return np.busday_count(months.astype("datetime64[D]"), (months + 1).astype("datetime64[D]")).astype(float)


def year_months(year: int) -> np.ndarray:
    """(12,) January … December of ``year`` as datetime64[M]."""
    return np.arange(np.datetime64(f"{year}-01"), np.datetime64(f"{year + 1}-01"), dtype="datetime64[M]")


def month_of_year(months: np.ndarray) -> np.ndarray:
    """0 = January … 11 = December."""
    return months.astype(int) % 12


@dataclass(frozen=True)
class MonthGrid:
    """The simulation's months, ``first`` … ``last`` inclusive; index 0 is ``first``."""

    first: np.datetime64
    last: np.datetime64

    @cached_property
    def months(self) -> np.ndarray:  # (months,) datetime64[M]
        return np.arange(self.first, self.last + 1, dtype="datetime64[M]")

    def __len__(self) -> int:
        return int(self.last - self.first) + 1

    def index(self, month: np.datetime64) -> int:
        return int(np.datetime64(month, "M") - self.first)

    @cached_property
    def years(self) -> np.ndarray:  # (months,) calendar year of each month
        return year_of(self.months)

    @cached_property
    def month_of_year(self) -> np.ndarray:  # (months,) 0..11
        return month_of_year(self.months)

    @cached_property
    def weekdays(self) -> np.ndarray:  # (months,) Mon–Fri days in each month
        return weekdays(self.months)

    def labels(self) -> list[str]:
        return [month_str(m) for m in self.months]
