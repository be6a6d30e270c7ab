"""Uncertain numbers: a distribution written in data as ``{dist = "triangular", low = 1, mode = 2, high = 4}``.

Friendly names map onto scipy.stats; scipy's own names and arguments are accepted too:

==============  ===========================  ==========================================
name            arguments                    scipy.stats
==============  ===========================  ==========================================
normal          mean, sd                     norm(loc=mean, scale=sd)
lognormal       median, sigma                lognorm(s=sigma, scale=median)
triangular      low, mode, high              triang(c, loc=low, scale=high-low)
uniform         low, high                    uniform(loc=low, scale=high-low)
truncnormal     mean, sd, low, high          truncnorm(a, b, loc=mean, scale=sd)
beta            a, b [, loc, scale]          beta
gamma           a [, loc, scale]             gamma
norm, lognorm, triang, truncnorm             scipy's own arguments (loc, scale, s, c, a, b)
==============  ===========================  ==========================================

Values are drawn by inverse CDF from uniforms (``ppf(u)``): the same uniforms under two scenarios
give coupled draws (common random numbers), so a scenario's difference from the baseline is not noise.
The *central* value (a one-draw run) is the median, ``ppf(0.5)``.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from engine.common.errors import did_you_mean, show

# name -> (required args, optional args)
_SPECS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "normal": (("mean", "sd"), ()),
    "lognormal": (("median", "sigma"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "uniform": (("low", "high"), ()),
    "truncnormal": (("mean", "sd", "low", "high"), ()),
    "beta": (("a", "b"), ("loc", "scale")),
    "gamma": (("a",), ("loc", "scale")),
    "norm": ((), ("loc", "scale")),
    "lognorm": (("s",), ("loc", "scale")),
    "triang": (("c",), ("loc", "scale")),
    "truncnorm": (("a", "b"), ("loc", "scale")),
}
NAMES = tuple(_SPECS)


class DistributionError(ValueError):
    """Raised with a message that says what is allowed."""


def _takes(name: str, args) -> bool:
    required, optional = _SPECS[name]
    return set(required) <= set(args) <= set(required + optional)


def suggest(name: str, args) -> str:
    """" (did you mean 'x'?)" for a misspelt distribution name, preferring a name that takes the
    arguments written beside it: ``triangle`` with low/mode/high is ``triangular``, not scipy's ``triang``."""
    args = [a for a in args if a != "dist"]
    fitting = [n for n in NAMES if _takes(n, args)]
    return did_you_mean(name, fitting) or did_you_mean(name, NAMES)


def _check_number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DistributionError(f"argument '{name}' must be a number, got {show(value)}")
    if not math.isfinite(value):
        raise DistributionError(f"argument '{name}' must be finite, got {show(value)}")
    return float(value)


@dataclass(frozen=True)
class Distribution:
    """A validated distribution spec; ``frozen()`` gives the scipy.stats object."""

    name: str
    args: tuple[tuple[str, float], ...]

    @classmethod
    def from_mapping(cls, spec: dict[str, Any]) -> "Distribution":
        spec = dict(spec)
        name = spec.pop("dist", None)
        if name not in _SPECS:
            raise DistributionError(f"unknown distribution {show(name)}{suggest(str(name)[:200], spec)}; allowed: {', '.join(NAMES)}")
        required, optional = _SPECS[name]
        missing = [a for a in required if a not in spec]
        if missing:
            raise DistributionError(f"{name} needs {', '.join(required + optional)}; missing {', '.join(missing)}")
        unknown = [str(a) for a in spec if a not in required + optional]
        if unknown:
            raise DistributionError(f"{name} takes {', '.join(required + optional)}; not {show(', '.join(unknown))}")
        args = {k: _check_number(k, v) for k, v in spec.items()}
        _check_ranges(name, args)
        return cls(name, tuple(args.items()))

    # a Distribution is an immutable value and scipy builds each frozen object slowly (~0.7 ms, mostly
    # docstrings); validating and sampling one what-if asks for the same few dozen again and again
    @functools.lru_cache(maxsize=4096)
    def frozen(self):
        from scipy import stats  # ~1 s to import; only the laws without a closed form below need it

        a = dict(self.args)
        n = self.name
        if n == "normal":
            return stats.norm(loc=a["mean"], scale=a["sd"])
        if n == "lognormal":
            return stats.lognorm(s=a["sigma"], scale=a["median"])
        if n == "triangular":
            width = a["high"] - a["low"]
            if width == 0:
                return stats.uniform(loc=a["low"], scale=0.0)
            return stats.triang(c=(a["mode"] - a["low"]) / width, loc=a["low"], scale=width)
        if n == "uniform":
            return stats.uniform(loc=a["low"], scale=a["high"] - a["low"])
        if n == "truncnormal":
            sd = a["sd"]
            return stats.truncnorm((a["low"] - a["mean"]) / sd, (a["high"] - a["mean"]) / sd, loc=a["mean"], scale=sd)
        return getattr(stats, n)(**a)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Inverse CDF; a zero-width distribution returns its single value."""
        a = dict(self.args)
        if self.name in ("triangular", "uniform") and a["high"] == a["low"]:
            return np.full(np.shape(u), a["low"])
        closed = self._closed_form()
        if closed is None:
            return np.asarray(self.frozen().ppf(u), dtype=float)
        core, scale, loc, support = closed
        q = np.asarray(u, dtype=float)
        inside = (q > 0) & (q < 1)
        if q.ndim and inside.all():
            return core(q) * scale + loc
        # scipy's rule at the edges and outside: the support's ends at 0 and 1, NaN outside
        out = np.full(q.shape, np.nan)
        out[inside] = core(q[inside]) * scale + loc
        out[q == 0] = support[0] * scale + loc
        out[q == 1] = support[1] * scale + loc
        return out

    @functools.lru_cache(maxsize=4096)
    def _closed_form(self):
        """(standard ppf, scale, loc, standard support) for the laws the bundled data use, as scipy.stats'
        own ``_ppf`` and ``rv_continuous.ppf`` compute them (the same operations in the same order, so the
        same bits: tests/test_distributions.py), without scipy.stats' ~0.25 ms of argument handling per call
        — a 1 000-path run draws a few dozen entries — and its import. None: use scipy.stats."""
        a = dict(self.args)
        if self.name == "normal":
            return special.ndtri, a["sd"], a["mean"], (-np.inf, np.inf)
        if self.name == "lognormal":
            s = a["sigma"]
            return (lambda q: np.exp(s * special.ndtri(q))), a["median"], 0.0, (0.0, np.inf)
        if self.name == "uniform":
            return (lambda q: q), a["high"] - a["low"], a["low"], (0.0, 1.0)
        if self.name == "triangular":
            width = a["high"] - a["low"]
            c = (a["mode"] - a["low"]) / width
            return (lambda q: np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))), width, a["low"], (0.0, 1.0)
        return None

    def median(self) -> float:
        return float(self.ppf(0.5))

    def __str__(self) -> str:
        return f"{self.name}(" + ", ".join(f"{k}={v:g}" for k, v in self.args) + ")"


def _check_ranges(name: str, a: dict[str, float]) -> None:
    def positive(key: str) -> None:
        if key in a and a[key] <= 0:
            raise DistributionError(f"{name}: '{key}' must be > 0, got {a[key]:g}")

    for key in ("sd", "sigma", "s", "scale", "a", "b"):
        if not (name in ("truncnorm",) and key in ("a", "b")):
            positive(key)
    if name == "lognormal":
        positive("median")
    if name == "triangular" and not a["low"] <= a["mode"] <= a["high"]:
        raise DistributionError(
            f"triangular needs low <= mode <= high, got low={a['low']:g}, mode={a['mode']:g}, high={a['high']:g}"
        )
    if name in ("uniform", "truncnormal") and not a["low"] <= a["high"]:
        raise DistributionError(f"{name} needs low <= high, got low={a['low']:g}, high={a['high']:g}")
    if name == "truncnormal" and a["low"] == a["high"]:
        raise DistributionError("truncnormal needs low < high")
    if name == "triang" and not 0 <= a["c"] <= 1:
        raise DistributionError(f"triang needs 0 <= c <= 1, got c={a['c']:g}")
    if name == "truncnorm" and not a["a"] < a["b"]:
        raise DistributionError(f"truncnorm needs a < b, got a={a['a']:g}, b={a['b']:g}")
