"""Mutations of the bundled scenarios for fuzzing, and the judge of one fuzzed run.

Shared by tests/test_fuzz.py (hypothesis drives the ``random.Random`` passed in) and
tools/fuzz_campaign.py (a seeded ``random.Random`` per case). A mutation is either structural
(parse the TOML, change one value, key or table, write it back with tomli_w) or textual (a BOM,
deep nesting, a truncated file, an odd ``extends``). ``judge`` runs ``ennuste run`` in-process and
sorts the outcome into refused / ran / crashed / bad_output.
"""
from __future__ import annotations

import contextlib
import io
import math
import random
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
PARAMETERS = ROOT / "engine" / "data" / "parameters.toml"

EXTREMES: tuple[Any, ...] = (
    0, -1, -100, 2000, 1e308, -1e308, 1e-300, 1e6, -1e6, 10**18, -(10**18), 0.5, 1.5, 2.0, 99.9, 100.0,
    "nan", "inf", "-inf", "NaN", "", "1e308", "x" * 500, True, [], {}, [1, 2], {"dist": "normal"},
    {"dist": "normal", "mean": 0, "sd": 1e300}, {"dist": "triangular", "low": -1e9, "mode": 0, "high": 1e9},
    {"dist": "lognormal", "median": 1e300, "sigma": 5}, [{"from": "2023-01", "value": 15000}],
    [{"from": "2023-01", "value": 1e308}], [{"from": "2023-01", "value": -5}], "2025-13", "2022-01", "ö" * 3,
)
UNICODE = ("ä", "ö", "\u200b", "\u202e", "🙂", "\u0301", "Ω", "\ufeff", "٣", "\\u0000")


def bundled() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(SCENARIOS.glob("*.toml"))}


def _parameter_names() -> list[str]:
    return sorted(tomllib.loads(PARAMETERS.read_text(encoding="utf-8")))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every location in a parsed document (tables, list items and leaves)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _extreme(r: random.Random) -> Any:
    v = r.choice(EXTREMES)
    return r.uniform(-1e4, 1e4) if r.random() < 0.1 else v


def _mutate_doc(doc: dict, r: random.Random, names: list[str], others: list[dict]) -> None:
    paths = _paths(doc)
    op = r.randrange(14)
    numeric = [p for p in paths if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]
    if op >= 10 and numeric:  # a number scaled: plausible-looking input that may give nonsense
        path = r.choice(numeric)
        v = _get(doc, path)
        factor = r.choice([0, -1, 0.01, 0.5, 2, 10, 100, 1e4, 1e8])
        _set(doc, path, type(v)(v * factor) if isinstance(v, int) and abs(v * factor) < 2**62 else float(v) * factor)
    elif op <= 2 and paths:  # a value → an extreme (numbers most often)
        numeric = [p for p in paths if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]
        path = r.choice(numeric if numeric and r.random() < 0.8 else paths)
        _set(doc, path, _extreme(r))
    elif op == 3 and paths:  # drop a key or a list item
        path = r.choice(paths)
        parent = _get(doc, path[:-1])
        del parent[path[-1]]
    elif op == 4 and paths:  # change a type: wrap, stringify, numberify
        path = r.choice(paths)
        v = _get(doc, path)
        _set(doc, path, r.choice([[v], {"value": v}, str(v)[:200], 7, {"dist": "uniform", "low": 0, "high": 1}]))
    elif op == 5:  # a parameter override, often extreme or dated
        name = r.choice(names)
        doc.setdefault("parameters", {})[name] = _extreme(r) if r.random() < 0.5 else r.choice([0, 1, 10, 1e3, 1e5, 0.3])
    elif op == 6:  # a shock or adjustment of another scenario, then an extreme in one of its fields
        tables = [(k, n, v) for o in others for k in ("shocks", "adjustments") for n, v in o.get(k, {}).items()]
        if tables:
            kind, name, table = r.choice(tables)
            table = _copy(table)
            fields = [p for p in _paths(table) if isinstance(_get(table, p), (int, float))]
            if fields and r.random() < 0.8:
                _set(table, r.choice(fields), _extreme(r))
            doc.setdefault(kind, {})[name + r.choice(["", "_2"])] = table
    elif op == 7:  # an adjustment that drives a line negative or very large
        doc.setdefault("adjustments", {})["big_cut"] = {
            "label_fi": "x", "label_en": "x", "unit": r.choice(["elinvoima", "tyollisyys"]),
            "line": r.choice(["sales", "grants_received", "staff", "purchased_services", "materials", "grants_paid",
                              "other"]),
            "amount_keur": r.choice([-1e6, -1e12, 1e12, -5000, 1e308 / 10])}
    elif op == 8 and paths:  # unicode in a key or a string
        path = r.choice(paths)
        v = _get(doc, path)
        if isinstance(v, str):
            _set(doc, path, v + r.choice(UNICODE))
        elif isinstance(path[-1], str):
            parent = _get(doc, path[:-1])
            parent[path[-1] + r.choice(UNICODE)] = parent.pop(path[-1])
    elif paths:  # nest a value a few levels
        path = r.choice(paths)
        v = _get(doc, path)
        for _ in range(r.randint(1, 40)):
            v = [v] if r.random() < 0.5 else {"x": v}
        _set(doc, path, v)


def _copy(x: Any) -> Any:
    return tomllib.loads(tomli_w.dumps({"x": x}))["x"] if isinstance(x, (dict, list)) else x


def _text_mutation(text: str, r: random.Random) -> str:
    op = r.randrange(9)
    if op == 0:
        return "\ufeff" + text
    if op == 1:
        n = r.choice([50, 500, 2000])
        return text + "\nx = " + "[" * n + "]" * n + "\n"
    if op == 2:
        n = r.choice([100, 1000])
        return text + "\n[" + ".".join(f"a{i}" for i in range(n)) + "]\nb = 1\n"
    if op == 3:
        n = r.choice([100, 1000])
        return text + "\ny = " + "{a = " * n + "1" + "}" * n + "\n"
    if op == 4:  # an odd extends
        value = r.choice(['""', '"."', '".."', '"a\\u0000b.toml"', '"' + "a" * 300 + '.toml"', '"loop.toml"',
                          '"fifo.toml"', '"folder"', '"/etc/passwd"', '"baseline.toml/"', '"zero.toml"', "1", "[]"])
        lines = [ln for ln in text.splitlines() if not ln.startswith("extends")]
        return f"extends = {value}\n" + "\n".join(lines) + "\n"
    if op == 5 and text:  # truncate
        return text[: r.randrange(len(text))]
    if op == 6:  # duplicate a line
        lines = text.splitlines()
        i = r.randrange(len(lines))
        return "\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1:]) + "\n"
    if op == 7:  # a long list of numbers in a parameter
        return text + '\n[parameters]\n"labour.seasonal_inflow_shape" = [' + ", ".join(["1.0"] * 100_000) + "]\n" \
            if "[parameters]" not in text else text.replace("[parameters]", '[parameters]\n"labour.seasonal_exit_shape" = ['
                                                            + ", ".join(["2.5"] * 100_000) + "]", 1)
    i = r.randrange(len(text) + 1)  # insert a random character
    return text[:i] + r.choice(UNICODE + ("[", "]", "{", "=", '"', "\n", "#")) + text[i:]


def mutate(r: random.Random, sources: dict[str, str] | None = None) -> tuple[str, str]:
    """(source file name, mutated text) of one bundled scenario."""
    sources = sources or bundled()
    name = r.choice(sorted(sources))
    text = sources[name]
    if r.random() < 0.3:
        return name, _text_mutation(text, r)
    doc = tomllib.loads(text)
    others = [tomllib.loads(t) for t in sources.values()]
    names = _parameter_names()
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        _mutate_doc(doc, r, names, others)
    try:
        return name, tomli_w.dumps(doc)
    except (TypeError, ValueError):  # tomli_w cannot write it (e.g. an int beyond 64 bits): write it as text
        return name, tomli_w.dumps({"name": "x"}) + "\n" + repr(doc)[:2000]


def make_tree(folder: Path) -> Path:
    """A scenario tree: the bundled scenarios plus the file-system oddities ``extends`` may point at."""
    import os

    tree = folder / "scenarios"
    tree.mkdir(parents=True, exist_ok=True)
    for name, text in bundled().items():
        (tree / name).write_text(text, encoding="utf-8")
    (tree / "folder").mkdir(exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.symlink("loop.toml", tree / "loop.toml")
    with contextlib.suppress(FileExistsError):
        os.mkfifo(tree / "fifo.toml")
    with contextlib.suppress(FileExistsError):
        os.symlink("/dev/zero", tree / "zero.toml")
    return tree


MAX_LINE = 500  # characters of a refusal's one line (engine.common.errors caps a message at 480)
RATE_MEASURES = ("unemployment_rate_pct", "activation_rate_pct")
STOCK_MEASURES = ("unemployed", "long_term_unemployed", "tmt_recipients", "unemployed_avg", "services")


def check_outputs(out: Path) -> str | None:
    """None when every CSV in ``out`` holds finite numbers, rates within 0–100 % and stocks ≥ 0; else why not."""
    files = sorted(out.glob("*.csv"))
    if not files:
        return "no output files"
    for f in files:
        df = pd.read_csv(f)
        nums = df.select_dtypes("number")
        # the report's layout leaves a cell empty where the report has no figure (TP 2021 by line, a
        # Toteuma-% of a zero budget); an empty cell elsewhere, or an inf anywhere, is bad output
        blank_ok = f.name == "report_layout.csv"
        bad = ~pd.DataFrame({c: nums[c].map(lambda v: isinstance(v, (int, float))
                                            and (math.isfinite(v) or (blank_ok and math.isnan(v))))
                             for c in nums.columns}).all(axis=None) if len(nums.columns) else False
        if bad:
            return f"{f.name}: a non-finite or empty number"
        if "measure" not in df.columns:
            continue
        values = [c for c in nums.columns if c not in ("year",) and not c.startswith("delta")]
        if f.name == "comparison.csv":
            values = ["baseline_mean", "scenario_mean"]
        for m in RATE_MEASURES:
            sel = df[df.measure == m][values]
            if len(sel) and ((sel < -1e-6).any(axis=None) or (sel > 100 + 1e-6).any(axis=None)):
                return f"{f.name}: {m} outside 0–100 %"
        for m in STOCK_MEASURES:
            sel = df[df.measure == m][values]
            if len(sel) and (sel < -1e-6).any(axis=None):
                return f"{f.name}: {m} below 0"
    return None


def judge(file: Path, out: Path, draws: int = 1) -> tuple[str, str]:
    """Run ``ennuste run FILE --draws N --seed 1 --jobs 1 --quiet --out OUT`` in-process:
    ("refused" | "ran" | "crashed" | "bad_output", detail)."""
    from engine.commands.cli import main

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["run", str(file), "--draws", str(draws), "--seed", "1", "--jobs", "1", "--quiet",
                         "--out", str(out)])
    except SystemExit as exc:  # argparse
        code = exc.code
    except Exception as exc:  # noqa: BLE001 - the point: any other exception is a crash
        return "crashed", f"{type(exc).__name__}: {str(exc)[:200]}"
    text = err.getvalue()
    if code == 2:
        lines = text.strip().splitlines()
        if len(lines) == 1 and lines[0].startswith("ennuste: error: ") and len(lines[0]) <= MAX_LINE:
            return "refused", lines[0]
        return "crashed", f"exit 2 but not one short line: {len(lines)} lines, {len(text)} chars: {text[:200]!r}"
    if code == 0:
        why = check_outputs(out)
        return ("bad_output", why) if why else ("ran", "")
    return "crashed", f"exit {code}: {text[:200]!r}"
