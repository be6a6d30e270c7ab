"""Dated parameters: rules, rates and assumptions with a unit, a source and a value at each month.

Definitions live in ``engine/data/parameters.toml`` (one table per dotted name). A scenario overrides
them by name (``[parameters]`` in its TOML). Four kinds:

* ``number`` – a number, a distribution (see :mod:`engine.common.distributions`) or a dated list
  ``[{from = "2022-08", value = 35.72}, …]`` (a step function). Scenario entries may carry ``to``
  (inclusive) to change a value for a period only.
* ``choice`` – one of ``choices``; may be dated like a number (e.g. the TMT rule set).
* ``series`` – a fixed-length list of numbers (e.g. twelve seasonal factors).
* ``steps`` – a table ``[{from_day = 301, share = 0.5}, …]`` (e.g. a municipal share by benefit day).

Sampling: one draw per path for each uncertain entry, from a random stream keyed by the
parameter's name, so adding or changing one parameter never moves another's draws.
"""
from __future__ import annotations

import math
import tomllib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from engine.common.calendar import MonthGrid, is_month, parse_month
from engine.common.distributions import Distribution, DistributionError
from engine.common.errors import UserError, allowed, did_you_mean, show

KINDS = ("number", "choice", "series", "steps")
_DEF_KEYS = {"kind", "unit", "value", "source", "description", "min", "max", "range_note", "choices", "length",
             "calibrated"}


@dataclass(frozen=True)
class Segment:
    """``value`` holds from month ``start`` to ``end`` inclusive (None = open)."""

    start: np.datetime64 | None
    end: np.datetime64 | None
    value: Any  # float | str | Distribution


@dataclass(frozen=True)
class ParamDef:
    name: str
    kind: str
    unit: str
    description: str
    source: str
    value: Any  # as resolved: tuple[Segment] for number/choice, tuple for series/steps
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    length: int | None = None
    calibrated: bool = False
    dated: bool = False  # the definition's value is a dated list: the engine reads it month by month


    def central_at(self, month: str | np.datetime64) -> Any:
        """The value in force at ``month``, a distribution replaced by its median."""
        m = parse_month(month) if isinstance(month, str) else month
        for seg in reversed(self.value):
            if (seg.start is None or seg.start <= m) and (seg.end is None or m <= seg.end):
                v = seg.value
                return v.median() if isinstance(v, Distribution) else v
        raise KeyError(f"{self.name} has no value at {m}")

    def describe_value(self) -> str:
        if self.kind in ("number", "choice"):
            parts = []
            for seg in self.value:
                span = ""
                if seg.start is not None or seg.end is not None:
                    span = f"{seg.start or '…'}–{seg.end or '…'}: "
                parts.append(span + (str(seg.value) if not isinstance(seg.value, float) else f"{seg.value:g}"))
            return "; ".join(parts)
        return str(list(self.value))


class _Invalid(ValueError):
    pass


def _number(value: Any, d: ParamDef | None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Invalid(f"must be a number, got {show(value)}")
    if not math.isfinite(value):
        raise _Invalid(f"must be a finite number, got {show(value)}")
    if d is not None:
        _bounds(float(value), d)
    return float(value)


def _bounds(v: float, d: ParamDef) -> None:
    if (d.min is not None and v < d.min) or (d.max is not None and v > d.max):
        raise _Invalid(f"value {v:g} is out of range; allowed {_range(d)}")


def _range(d: ParamDef) -> str:
    lo = "-inf" if d.min is None else f"{d.min:g}"
    hi = "inf" if d.max is None else f"{d.max:g}"
    unit = "" if d.unit in ("1", "") else f" {d.unit}"
    return f"[{lo}, {hi}]{unit}"


def _scalar_value(value: Any, d: ParamDef) -> Any:
    if d.kind == "choice":
        if value not in d.choices:
            hint = did_you_mean(str(value), d.choices)
            raise _Invalid(f"value {show(value)} is not allowed{hint}; allowed: {', '.join(d.choices)}")
        return value
    if isinstance(value, Mapping):
        try:
            dist = Distribution.from_mapping(value)
        except DistributionError as exc:
            raise _Invalid(str(exc)) from None
        lo, hi = float(dist.ppf(0.001)), float(dist.ppf(0.999))
        if (d.min is not None and lo < d.min) or (d.max is not None and hi > d.max):
            raise _Invalid(f"{dist} reaches outside the allowed range {_range(d)} (0.1–99.9 % span {lo:g}…{hi:g})")
        return dist
    return _number(value, d)


def _segments(value: Any, d: ParamDef, *, allow_to: bool) -> tuple[Segment, ...]:
    if not isinstance(value, list):
        return (Segment(None, None, _scalar_value(value, d)),)
    if not value:
        raise _Invalid("a dated list needs at least one entry {from = \"YYYY-MM\", value = …}")
    segs: list[Segment] = []
    keys = {"from", "to", "value"} if allow_to else {"from", "value"}
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping):
            raise _Invalid(f"entry {i + 1} must be a table {{from = \"YYYY-MM\", value = …}}, got {show(entry)}")
        unknown = set(entry) - keys
        if unknown:
            k = sorted(unknown)[0]
            raise _Invalid(f"entry {i + 1} has unknown key '{k}'{did_you_mean(k, keys)}; allowed: {', '.join(sorted(keys))}")
        if "from" not in entry or "value" not in entry:
            raise _Invalid(f"entry {i + 1} needs 'from' (YYYY-MM) and 'value'")
        for key in ("from", "to"):
            if key in entry and not is_month(entry[key]):
                raise _Invalid(f"entry {i + 1} '{key}' = {show(entry[key])} is not a month YYYY-MM")
        start = parse_month(entry["from"])
        end = parse_month(entry["to"]) if "to" in entry else None
        if end is not None and end < start:
            raise _Invalid(f"entry {i + 1} ends ({entry['to']}) before it starts ({entry['from']})")
        segs.append(Segment(start, end, _scalar_value(entry["value"], d)))
    if not allow_to:  # a base series: each entry runs until the next one starts
        segs.sort(key=lambda s: s.start)
        segs = [
            Segment(None if i == 0 else s.start, segs[i + 1].start - 1 if i + 1 < len(segs) else None, s.value)
            for i, s in enumerate(segs)
        ]
    return tuple(segs)


def _series(value: Any, d: ParamDef) -> tuple[float, ...]:
    if not isinstance(value, list) or (d.length is not None and len(value) != d.length):
        raise _Invalid(f"must be a list of {d.length} numbers, got {show(value)}")
    return tuple(_number(v, d) for v in value)


def _steps(value: Any, d: ParamDef) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or not value:
        raise _Invalid("must be a list of {from_day = N, share = 0…1} tables")
    out = []
    for i, entry in enumerate(value):
        if not isinstance(entry, Mapping) or set(entry) != {"from_day", "share"}:
            raise _Invalid(f"entry {i + 1} must be {{from_day = N, share = 0…1}}, got {show(entry)}")
        day = _number(entry["from_day"], None)
        share = _number(entry["share"], None)
        if day < 1 or day != int(day):
            raise _Invalid(f"entry {i + 1} from_day must be a whole day >= 1, got {show(entry['from_day'])}")
        if not 0 <= share <= 1:
            raise _Invalid(f"entry {i + 1} share must be within [0, 1], got {share:g}")
        out.append((day, share))
    days = [s[0] for s in out]
    if days != sorted(days) or len(set(days)) != len(days):
        raise _Invalid(f"from_day must increase strictly, got {show(days)}")
    return tuple(out)


def _resolve(value: Any, d: ParamDef, *, override: bool) -> Any:
    if d.kind in ("number", "choice"):
        return _segments(value, d, allow_to=override)
    if d.kind == "series":
        return _series(value, d)
    return _steps(value, d)


@dataclass(frozen=True)
class Parameters:
    """All parameter definitions with any scenario overrides applied (immutable)."""

    defs: Mapping[str, ParamDef]
    source_file: str = "engine/data/parameters.toml"

    @classmethod
    def load_default(cls) -> "Parameters":
        """parameters.toml with the fitted values of calibration.toml (written by ``ennuste calibrate``)."""
        return _default()

    @classmethod
    def load_uncalibrated(cls) -> "Parameters":
        """parameters.toml alone: the starting point of a calibration."""
        return _uncalibrated()

    @classmethod
    def from_toml(cls, data: Mapping[str, Any], file: str) -> "Parameters":
        defs = {}
        for name, spec in data.items():
            unknown = set(spec) - _DEF_KEYS
            if unknown:
                raise UserError(f"unknown keys {sorted(unknown)}; allowed: {allowed(_DEF_KEYS)}", file=file, field=name)
            kind = spec.get("kind", "number")
            if kind not in KINDS:
                raise UserError(f"kind {kind!r} is not one of {', '.join(KINDS)}", file=file, field=name)
            for key in ("unit", "source", "value"):
                if key not in spec:
                    raise UserError(f"missing '{key}'", file=file, field=name)
            d = ParamDef(
                name=name, kind=kind, unit=spec["unit"], description=spec.get("description", ""),
                source=spec["source"], value=None, min=spec.get("min"), max=spec.get("max"),
                choices=tuple(spec.get("choices", ())), length=spec.get("length"),
                calibrated=bool(spec.get("calibrated", False)),
                dated=kind in ("number", "choice") and isinstance(spec["value"], list),
            )
            try:
                defs[name] = replace(d, value=_resolve(spec["value"], d, override=False))
            except _Invalid as exc:
                raise UserError(str(exc), file=file, field=name) from None
        return cls(defs, file)

    def __getitem__(self, name: str) -> ParamDef:
        return self.defs[name]

    def names(self) -> list[str]:
        return sorted(self.defs)

    def check_name(self, name: str, *, file: str | None, field: str) -> ParamDef:
        if name not in self.defs:
            raise UserError(
                f"unknown parameter '{name}'{did_you_mean(name, self.defs)}; see `ennuste explain` or the JSON schema for names",
                file=file, field=field,
            )
        return self.defs[name]

    def override(self, overrides: Mapping[str, Any], *, file: str | None = None, prefix: str = "parameters") -> "Parameters":
        """Apply scenario overrides; a bad name or value raises :class:`UserError` naming the field."""
        defs = dict(self.defs)
        for name, value in overrides.items():
            field_name = f"{prefix}.{name}"
            d = self.check_name(name, file=file, field=field_name)
            if isinstance(value, list) and d.kind in ("number", "choice") and not d.dated:
                raise UserError(
                    f"value {show(value, 60)} is dated, but this parameter holds one value for the whole run; "
                    f"give a number or a distribution within {_range(d)}", file=file, field=field_name)
            try:
                new = _resolve(value, d, override=True)
            except _Invalid as exc:
                raise UserError(str(exc), file=file, field=field_name) from None
            if d.kind in ("number", "choice") and not (len(new) == 1 and new[0].start is None and new[0].end is None):
                new = defs[name].value + new  # dated entries stack; later segments win where they overlap
            defs[name] = replace(defs[name], value=new)
        return Parameters(defs, self.source_file)

    def with_values(self, values: Mapping[str, Any]) -> "Parameters":
        """Replace whole values (used by calibration); ``values`` are plain numbers."""
        defs = dict(self.defs)
        for name, v in values.items():
            defs[name] = replace(defs[name], value=_resolve(v, defs[name], override=False))
        return Parameters(defs, self.source_file)

    def sample(self, grid: MonthGrid, draws: int, seed: int, pins: "Pins | None" = None, offset: int = 0,
               total: int = 0, streams: dict | None = None) -> "ParamDraws":
        """Draws for ``draws`` paths; with ``offset``/``total`` the paths ``offset … offset+draws−1`` of a
        run of ``total`` (a chunk: see :class:`ParamDraws`); ``pins`` hold chosen entries fixed."""
        return ParamDraws(self, grid, draws, seed, pins, offset=offset, total=total,
                          _streams={} if streams is None else streams)


@lru_cache(maxsize=1)
def _uncalibrated() -> Parameters:
    text = resources.files("engine.data").joinpath("parameters.toml").read_text(encoding="utf-8")
    return Parameters.from_toml(tomllib.loads(text), "engine/data/parameters.toml")


@lru_cache(maxsize=1)
def _default() -> Parameters:
    params = _uncalibrated()
    cal = resources.files("engine.data").joinpath("calibration.toml")
    if not cal.is_file():
        return params
    label = "engine/data/calibration.toml"
    fitted = tomllib.loads(cal.read_text(encoding="utf-8")).get("values", {})
    for name, v in fitted.items():
        if name not in params.defs or not params.defs[name].calibrated:
            raise UserError("is not a calibrated parameter", file=label, field=f"values.{name}")
        try:
            _resolve(v, params.defs[name], override=False)
        except _Invalid as exc:
            raise UserError(f"{exc}; run `ennuste calibrate` again", file=label, field=f"values.{name}") from None
    return params.with_values(fitted)


def _stream(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


U_EDGE = 1e-9  # a pinned uniform is kept inside (0, 1): ppf(0) and ppf(1) are infinite for unbounded laws


@dataclass
class Pins:
    """Uniforms held fixed for some uncertain entries, and a record of every entry a run draws.

    The seam of the sensitivity analysis (engine.commands.sensitivity): ``values`` maps an entry's key
    (as :meth:`ParamDraws.uniforms` names it: ``"<parameter>#<segment>"``, ``"shocks.<id>.<field>"``,
    ``"adjustments.<id>.<year>"``, ``"ledger.remainder.<unit>.<side>"``) to a uniform 0…1, one for every
    path or a (draws,) array; every other entry keeps its own seeded stream, so a pinned run shares its
    other random numbers with the unpinned one. ``drawn`` is filled by the run: each key asked for, in
    order, with its distribution (None for the ledger remainder, a standard normal).
    """

    values: Mapping[str, Any] = field(default_factory=dict)
    drawn: dict[str, Distribution | None] = field(default_factory=dict)


@dataclass
class ParamDraws:
    """Parameter values on a month grid for ``draws`` paths.

    ``draws == 1`` is the *central path*: every distribution at its median and no noise.
    Arrays are shaped to broadcast against ``(draws, months)``.

    A chunk of a bigger run (``offset`` its first path's index in the run, ``total`` the run's paths)
    draws exactly the numbers those paths get in one unchunked run: path i's uniform is the i-th number
    of its key's stream (the stream is advanced past the earlier paths), and path i's row of normals
    the i-th row (normals are not a fixed count of the stream's numbers, so each chunk continues from
    the state the chunk before it left in ``_streams``, shared by the run's chunks; run them in order).
    """

    params: Parameters
    grid: MonthGrid
    draws: int
    seed: int
    pins: Pins | None = None
    _cache: dict = field(default_factory=dict)
    offset: int = 0
    total: int = 0  # 0: this is the whole run
    _streams: dict = field(default_factory=dict)  # (key, months, path index) -> the normals' stream state there

    @property
    def central(self) -> bool:
        return (self.total or self.draws) == 1

    def uniforms(self, key: str, dist: Distribution | None = None) -> np.ndarray:
        """(draws,) uniforms for the uncertain entry ``key``; 0.5 on the central path; a pinned value if
        :attr:`pins` holds one for ``key`` (``dist``: the entry's law, for the pins' record)."""
        if self.pins is not None:
            self.pins.drawn.setdefault(key, dist)
            if key in self.pins.values:
                u = np.clip(np.asarray(self.pins.values[key], dtype=float), U_EDGE, 1.0 - U_EDGE)
                if u.ndim == 1 and self.total and u.size == self.total:  # one per path of the run: this chunk's
                    u = u[self.offset:self.offset + self.draws]
                return np.array(np.broadcast_to(u, (self.draws,)))
        if self.central:
            return np.full(1, 0.5)
        g = _stream(self.seed, key)
        if self.offset:
            g.bit_generator.advance(self.offset)  # one 64-bit output per double
        return g.random(self.draws)

    def pinned(self, key: str) -> bool:
        return self.pins is not None and key in self.pins.values

    def draw(self, key: str, dist: Distribution) -> np.ndarray:
        """(draws|1,) values of the uncertain entry ``key`` with law ``dist`` (inverse CDF of its uniforms)."""
        return dist.ppf(self.uniforms(key, dist))

    def normals(self, key: str, months: int) -> np.ndarray:
        """(draws, months) standard normals for a noise process; zeros on the central path."""
        if self.central:
            return np.zeros((1, months))
        g = _stream(self.seed, "noise:" + key)
        if self.offset:
            state = self._streams.get((key, months, self.offset))
            if state is not None:
                g.bit_generator.state = state
            else:  # chunks out of order: draw the earlier paths' rows and drop them
                for a in range(0, self.offset, 10_000):
                    g.standard_normal((min(10_000, self.offset - a), months))
        out = g.standard_normal((self.draws, months))
        if self.total:
            self._streams[(key, months, self.offset + self.draws)] = g.bit_generator.state
        return out

    def _draw(self, name: str, i: int, value: Any) -> np.ndarray:
        if isinstance(value, Distribution):
            d = self.params[name]
            v = self.draw(f"{name}#{i}", value)
            return np.clip(v, -np.inf if d.min is None else d.min, np.inf if d.max is None else d.max)
        return np.full(1, float(value))

    def monthly(self, name: str) -> np.ndarray:
        """(draws or 1, months) values of a number parameter at each grid month."""
        key = ("m", name)
        if key not in self._cache:
            d = self.params[name]
            if d.kind != "number":
                raise TypeError(f"{name} is a {d.kind}, not a number")
            months = self.grid.months
            segs = d.value
            rows = 1 if all(not isinstance(s.value, Distribution) for s in segs) or self.central else self.draws
            out = np.full((rows, len(months)), np.nan)
            for i, s in enumerate(segs):
                mask = np.ones(len(months), bool)
                if s.start is not None:
                    mask &= months >= s.start
                if s.end is not None:
                    mask &= months <= s.end
                if mask.any():
                    out[:, mask] = self._draw(name, i, s.value)[:, None]
            if np.isnan(out).any():
                raise ValueError(f"{name} has no value for some months of the grid")
            self._cache[key] = out
        return self._cache[key]

    def scalar(self, name: str) -> np.ndarray:
        """(draws or 1,) value of an undated number parameter."""
        key = ("s", name)
        if key not in self._cache:  # a run reads some parameters many times: draw (inverse CDF) once
            d = self.params[name]
            if len(d.value) != 1 or d.value[0].start is not None or d.value[0].end is not None:
                raise ValueError(f"{name} is dated; use monthly()")
            v = self._draw(name, 0, d.value[0].value)
            v.flags.writeable = False  # shared by every caller
            self._cache[key] = v
        return self._cache[key]

    def choice(self, name: str) -> np.ndarray:
        """(months,) the choice in force at each grid month."""
        d = self.params[name]
        return np.array([d.central_at(m) for m in self.grid.months], dtype=object)

    def series(self, name: str) -> np.ndarray:
        return np.asarray(self.params[name].value, dtype=float)

    def steps(self, name: str) -> tuple[tuple[float, float], ...]:
        return self.params[name].value
