"""Value types shared by the scenario schema, the shock library and the baseline data."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from engine.common.calendar import YEAR_MONTH_PATTERN
from engine.common.distributions import NAMES as DIST_NAMES
from engine.common.distributions import Distribution, DistributionError

YearMonth = Annotated[str, Field(pattern=YEAR_MONTH_PATTERN, description="a month, YYYY-MM")]
Finite = Annotated[float, Field(allow_inf_nan=False)]
# the years a scenario can name: from the baseline's budget year 2022 to the longest horizon
FIRST_YEAR, LAST_YEAR = 2022, 2035
Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


class Strict(BaseModel):
    """Base of the input schemas: unknown keys are errors, values are not coerced, models are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DistSpec(BaseModel):
    """``{dist = "triangular", low = …, mode = …, high = …}``; see engine.common.distributions for names."""

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
    """A number within [lo, hi] or a distribution whose 0.1–99.9 % span stays within: an *uncertain* field."""

    def within(spec: DistSpec) -> DistSpec:
        d = spec.distribution()
        a, b = float(d.ppf(0.001)), float(d.ppf(0.999))
        if (lo is not None and a < lo) or (hi is not None and b > hi):
            span = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
            raise ValueError(f"{d} reaches outside the allowed range {span} (0.1–99.9 % span {a:g}…{b:g})")
        return spec

    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)] | Annotated[DistSpec, AfterValidator(within)]
