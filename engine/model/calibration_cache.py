"""The calibrated parameters for a period pack: fitted once per pack content, then read from a cache.

The bundled Lahti Jan–Jun 2022 pack uses ``engine/data/calibration.toml`` (written by ``ennuste
calibrate``), so its numbers stay the published ones. Any other pack is calibrated on first use with
:func:`engine.model.calibrate.calibrate` and the fit is stored under the pack's content hash
(:attr:`engine.load.baseline.Baseline.content_hash`, sha256 of its canonical tables) in the user's
cache folder: ``$XDG_CACHE_HOME/etp-ennuste/calibration/<hash>.toml`` (``~/.cache`` when
XDG_CACHE_HOME is unset). A changed figure gives a new hash and a new fit; the same figures in a
workbook or in a CSV folder share one. The cache holds fitted model parameters only, never the
pack's figures. ``ETP_ENNUSTE_CACHE`` names another folder (tests use it).
"""
from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from engine.load.baseline import Baseline
from engine.load.parameters import Parameters

CACHE_VERSION = 1  # bump when the calibration's stages or targets change: old fits are then not reused


def cache_dir() -> Path:
    explicit = os.environ.get("ETP_ENNUSTE_CACHE")
    if explicit:
        return Path(explicit) / "calibration"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "etp-ennuste" / "calibration"


@lru_cache(maxsize=1)
def bundled_hash() -> str:
    from engine.load.period import load_bundled

    return load_bundled().content_hash


def cache_path(baseline: Baseline) -> Path:
    return cache_dir() / f"v{CACHE_VERSION}-{baseline.content_hash}.toml"


def is_bundled(baseline: Baseline) -> bool:
    return baseline.content_hash == bundled_hash()


def _read(path: Path) -> Parameters | None:
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8")).get("values", {})
        return Parameters.load_uncalibrated().with_values(values)
    except (OSError, ValueError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return None  # unreadable or from an older engine: fit again


@lru_cache(maxsize=8)
def _for_hash(content_hash: str, path: str) -> Parameters | None:
    return _read(Path(path))


def parameters_for(baseline: Baseline) -> Parameters:
    """The default parameters with the pack's calibration: the bundled one for the bundled pack, else
    the cached fit for its content hash, fitting (and caching) it the first time."""
    if not baseline.content_hash or is_bundled(baseline):
        return Parameters.load_default()
    path = cache_path(baseline)
    cached = _for_hash(baseline.content_hash, str(path)) if path.is_file() else None
    if cached is not None:
        return cached
    cal = fit(baseline)
    return Parameters.load_uncalibrated().with_values(cal.values)


def fit(baseline: Baseline):
    """Calibrate on the pack and store the fit in the cache (best effort: an unwritable cache only costs
    a fit next time). Returns the :class:`engine.model.calibrate.Calibration`."""
    from engine.model import calibrate

    cal = calibrate.calibrate(baseline)
    path = cache_path(baseline)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        calibrate.write(cal, path)
    except OSError:
        pass
    _for_hash.cache_clear()
    return cal
