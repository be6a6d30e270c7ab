"""The reporting period the page forecasts from: the bundled pack, or a pack a planner uploads (issue 11).

A pack is an Excel workbook (``.xlsx``) or the CSV files of its sheets (``meta.csv``, ``ledger.csv`` …),
checked by the engine exactly as ``ennuste period check`` checks it; a refused pack's problems are
listed on the page, one line each (sheet, row, column, value, what is allowed). The page keeps the
packs uploaded to this server by the first 12 hex digits of their content hash, which is also what a
share link names (``?period=…``): the same figures give the same key, whether from a workbook or CSVs.
"""
from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import engine

BUNDLED = "bundled"  # the key of the bundled pack (engine.load_baseline())
KEY_DIGITS = 12  # of the content hash: a share link's period key
MAX_FILES = 16  # a pack has at most a dozen sheets


class Upload(Protocol):  # what st.file_uploader hands back (and what the tests fake)
    name: str

    def getvalue(self) -> bytes: ...


def key_of(baseline: engine.Baseline) -> str:
    return baseline.content_hash[:KEY_DIGITS]


def label(baseline: engine.Baseline, lang: str) -> str:
    """``Lahti 1–6/2022`` style: city, the months booked and the budget year, and the pack's file name."""
    meta = baseline.raw.meta
    as_of = str(baseline.as_of)
    months = f"1–{int(as_of[5:])}/{baseline.budget_year}"
    return f"{meta.city} {months} ({Path(baseline.file).name})"


def header(baseline: engine.Baseline) -> str:
    """The comment an exported scenario starts with: the period it was made on (its figures' hash)."""
    return (f"# kausi / period: {label(baseline, 'fi')}, as of {baseline.as_of}; "
            f"pack sha256 {baseline.content_hash[:KEY_DIGITS]}\n")


def load_upload(files: Sequence[Upload]) -> tuple[engine.Baseline | None, list[str]]:
    """The uploaded pack checked by the engine: (the pack, []) or (None, its problems, one a line)."""
    if not files:
        return None, []
    if len(files) > MAX_FILES:
        return None, [f"{len(files)} files; a pack is one .xlsx workbook or at most {MAX_FILES} CSV files"]
    names = [Path(f.name).name for f in files]
    xlsx = [n for n in names if n.lower().endswith(".xlsx")]
    if xlsx and len(files) > 1:
        return None, [f"give one workbook ({', '.join(xlsx)}) or the CSV files, not both"]
    if len(set(names)) != len(names):
        return None, ["two files share a name; give each sheet once"]
    with tempfile.TemporaryDirectory(prefix="etp-pack-") as tmp:
        if xlsx:
            path = Path(tmp) / names[0]
            path.write_bytes(files[0].getvalue())
        else:
            path = Path(tmp) / "pack"
            path.mkdir()
            for name, f in zip(names, files):
                (path / name).write_bytes(f.getvalue())
        try:
            baseline = engine.load_period(path)
        except engine.UserError as exc:
            problems = getattr(exc, "problems", None) or [str(exc)]
            return None, [p.replace(str(path), names[0] if xlsx else "pack") for p in problems]
    return baseline, []
