"""Value types shared by the scenario schema and the shock library."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .distributions import NAMES as DIST_NAMES
from .distributions import Distribution, DistributionError

YearMonth = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="a month, YYYY-MM")]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class DistSpec(BaseModel):
    """``{dist = "triangular", low = …, mode = …, high = …}``; see engine.distributions for names."""

    model_config = ConfigDict(extra="allow", frozen=True)
    dist: Literal[DIST_NAMES]  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _valid(self) -> "DistSpec":
        try:
            Distribution.from_mapping(self.model_dump())
        except DistributionError as exc:
            raise ValueError(str(exc)) from None
        return self

    def distribution(self) -> Distribution:
        return Distribution.from_mapping(self.model_dump())


def bounded(lo: float | None = None, hi: float | None = None):
    """A number within [lo, hi] or a distribution: an *uncertain* field."""
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)] | DistSpec
