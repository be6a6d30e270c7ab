"""Layer contracts, checked on the source (issue 10): the app and ``ui/`` use only ``engine``'s public
API (its ``__init__``), the engine knows nothing of the app or Streamlit, and the engine's folders
import only downwards along the data flow: common → load → model → results → pipeline → commands
(``engine/pipeline.py`` orders the stages for one run; the commands sit on top).

An AST walk rather than import-linter: the rule also covers ``app.py`` (a script, not a package module)
and attribute chains such as ``engine.results.result.summarise`` reached without an import statement, and it
needs no list of the engine's submodules to keep current.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[1]
APP_FILES = sorted([ROOT / "app.py", *(ROOT / "ui").glob("*.py")])
ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))
SUBMODULES = {p.stem for p in (ROOT / "engine").glob("*.py") if p.stem != "__init__"} | {
    p.name for p in (ROOT / "engine").iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def _reaches_into_engine(tree: ast.AST) -> list[str]:
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine."):
            bad.append(f"line {node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.ImportFrom) and node.module == "engine":
            bad += [f"line {node.lineno}: from engine import {a.name}" for a in node.names if a.name in SUBMODULES]
        elif isinstance(node, ast.Import):
            bad += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.startswith("engine.")]
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "engine"
              and node.attr not in engine.__all__):
            bad.append(f"line {node.lineno}: engine.{node.attr} (not in engine.__all__)")
    return bad


@pytest.mark.parametrize("path", APP_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_app_uses_only_the_engines_public_api(path):
    bad = _reaches_into_engine(ast.parse(path.read_text(encoding="utf-8")))
    assert not bad, f"{path.relative_to(ROOT)} reaches past engine's public API: {bad}"


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_engine_knows_nothing_of_the_app(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0]
    bad = [m for m in names if m.split(".")[0] in ("ui", "app", "streamlit", "altair")]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_the_contract_catches_a_reach_into_a_submodule():
    """The checker itself: each way of reaching past the seam is caught, the public names are not."""
    src = ("from engine.model.ledger import IS_REVENUE\nimport engine.results.result\nfrom engine import common\n"
           "engine.results.result.summarise\nengine.simulate\nfrom engine import UNITS\n")
    assert len(_reaches_into_engine(ast.parse(src))) == 4


LAYERS = ("common", "load", "model", "results", "pipeline", "commands")  # engine/<folder>/ or pipeline.py, lowest first


def _layer(path: Path) -> str:
    return path.stem if path.parent.name == "engine" else path.parent.name


def _engine_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, top folder) of every ``engine.<folder>…`` import, at module level or inside a function."""
    out = []
    for node in ast.walk(tree):
        mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
        if isinstance(node, ast.ImportFrom) and node.module == "engine":
            mods = [f"engine.{a.name}" for a in node.names]
        out += [(node.lineno, m.split(".")[1]) for m in mods if m.startswith("engine.") and m.count(".") >= 1]
    return out


@pytest.mark.parametrize("path", [p for p in ENGINE_FILES if _layer(p) in LAYERS],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_engines_folders_import_only_downwards(path):
    own = LAYERS.index(_layer(path))
    bad = [f"line {n}: engine.{folder}" for n, folder in _engine_imports(ast.parse(path.read_text(encoding="utf-8")))
           if folder in LAYERS and LAYERS.index(folder) > own]
    assert not bad, f"{path.relative_to(ROOT)} (layer {_layer(path)}) imports upwards: {bad}"


def test_every_engine_module_lives_in_a_layer_folder():
    """A new module goes where the data flow puts it, so the layer contract covers it."""
    loose = {p.stem for p in (ROOT / "engine").glob("*.py")} - {"__init__", "__main__"}
    folders = {p.name for p in (ROOT / "engine").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert (folders - {"data"}) | loose == set(LAYERS), (loose, folders)
