"""The scenario file: schema, ``extends`` chains, and errors that name file, field and value.

A scenario is data: a TOML file validated into an immutable :class:`Scenario`. Example::

    name = "Perusura"                       # required
    description = { fi = "…", en = "…" }
    extends = "baseline.toml"               # optional; a parent in the same scenario tree
    [settings]
    estimator = "report"                    # report | run_rate | blend
    [parameters]                            # overrides of engine/data/parameters.toml by name
    "labour.activation_target_pct" = [{ from = "2023-01", value = 30 }]
    [adjustments.ecosystem_revenue]         # a named driver of the year-end ledger
    unit = "elinvoima"
    line = "grants_received"
    amount_keur = -600
    …

``extends`` merges the parent first and the child over it, table by table (later values win);
parameter overrides stack, so a child's dated entry changes only its own period.
"""
from __future__ import annotations

import errno
import json
import math
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from engine.load.baseline import LINES, UNIT_PATTERN
from engine.common.errors import UserError, clip, show
from engine.load.parameters import Parameters
from engine.load.parameters import _range as param_range
from engine.common.types import FIRST_YEAR, LAST_YEAR, Strict, Year, YearMonth, bounded
from engine.load.shock_types import MAX_KEUR, SHOCK_MODELS, SHOCK_TYPES, Shock
from engine.common.validation import first_error

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
ESTIMATORS = ("report", "run_rate", "blend")
DERIVATIONS = ("staff_htv",)
MAX_EXTENDS_DEPTH = 16


FiniteNumber = Annotated[float, Field(allow_inf_nan=False)]
Amount = bounded(-MAX_KEUR, MAX_KEUR)  # k€: ~30× ETP's whole budget; beyond it a typo or an overflow


class Description(Strict):
    fi: str = ""
    en: str = ""


class Settings(Strict):
    estimator: Literal[ESTIMATORS] = Field(  # type: ignore[valid-type]
        "report",
        description="Year-end estimator for ledger lines: 'report' = budget + named adjustments (the report's method); "
        "'run_rate' = Jan–Jun actual / last year's Jan–Jun share of its closing; 'blend' = weighted mean of the two.",
    )
    blend_weight: FiniteNumber = Field(0.5, ge=0, le=1, description="Weight of the report method in 'blend' (0…1).")
    horizon_end: YearMonth = Field("2028-12", description=f"Last forecast month, a December YYYY-12 ({FIRST_YEAR}-12 … {LAST_YEAR}-12).")

    @field_validator("horizon_end")
    @classmethod
    def _horizon(cls, v: str) -> str:
        if not f"{FIRST_YEAR}-12" <= v <= f"{LAST_YEAR}-12" or not v.endswith("-12"):
            raise ValueError(f"horizon_end must be a December within {FIRST_YEAR}-12 … {LAST_YEAR}-12 (years are whole)")
        return v


class Adjustment(Strict):
    """A named driver of the year-end ledger: change of one line's amount (k€, + = more revenue or more cost)."""

    label_fi: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    unit: str = Field(pattern=UNIT_PATTERN, description="a unit of the period pack (checked against it at run time)")
    line: Literal[LINES]  # type: ignore[valid-type]
    amount_keur: Amount | None = Field(None, description=f"k€ added to the line's magnitude (−{MAX_KEUR}…{MAX_KEUR}); a number or a distribution")
    derive: Literal[DERIVATIONS] | None = Field(  # type: ignore[valid-type]
        None, description="'staff_htv': staff budget × (HTV forecast / HTV target − 1), from the baseline's person-years"
    )
    years: list[Year] | None = Field(
        None, description="Years it applies to; default the budget year only"
    )
    source: str = ""

    @model_validator(mode="after")
    def _one_amount(self) -> "Adjustment":
        if (self.amount_keur is None) == (self.derive is None):
            raise ValueError("give exactly one of 'amount_keur' (k€) or 'derive' (staff_htv)")
        if self.derive == "staff_htv" and self.line != "staff":
            raise ValueError("derive = 'staff_htv' applies to line 'staff' only")
        return self


class ScenarioFile(Strict):
    """What one TOML file may hold (after ``extends`` is merged, the same)."""

    name: str = Field(min_length=1, description="Scenario name shown in tables")
    description: Description | str = ""
    extends: str | None = Field(None, description="Parent scenario file, relative to this file, inside the scenario tree")
    settings: Settings = Settings()
    parameters: dict[str, Any] = Field(default_factory=dict, description="Overrides of engine parameters by dotted name")
    adjustments: dict[Identifier, Adjustment] = Field(default_factory=dict)
    shocks: dict[Identifier, Shock] = Field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A resolved, validated scenario. ``id`` is the file's stem (the ``scenario`` column in outputs)."""

    id: str
    file: str
    name: str
    description: Description
    settings: Settings
    adjustments: Mapping[str, Adjustment]
    shocks: Mapping[str, Shock]
    parameter_layers: tuple[tuple[str, Mapping[str, Any]], ...]  # (file, overrides), parent first
    chain: tuple[str, ...]  # files, parent first

    def parameters(self, base: Parameters | None = None) -> Parameters:
        params = base or Parameters.load_default()
        for file, overrides in self.parameter_layers:
            params = params.override(overrides, file=file)
        return params

    def merged_overrides(self) -> dict[str, Any]:
        """The parameter layers folded into one mapping with the same effect (parent first, later wins)."""
        out: dict[str, Any] = {}
        for _, layer in self.parameter_layers:
            for k, v in layer.items():
                prev = out.get(k)
                if isinstance(v, list) and prev is not None:
                    prev_list = prev if isinstance(prev, list) else [{"from": "1900-01", "value": prev}]
                    out[k] = prev_list + v
                else:
                    out[k] = v
        return out

    def to_document(self) -> dict[str, Any]:
        """A standalone scenario file's content (no ``extends``) that resolves to this scenario."""
        doc: dict[str, Any] = {"name": self.name}
        if self.description.fi or self.description.en:
            doc["description"] = self.description.model_dump()
        doc["settings"] = self.settings.model_dump()
        params = self.merged_overrides()
        if params:
            doc["parameters"] = params
        if self.adjustments:
            doc["adjustments"] = {k: v.model_dump(exclude_none=True) for k, v in self.adjustments.items()}
        if self.shocks:
            doc["shocks"] = {k: v.model_dump(exclude_none=True) for k, v in self.shocks.items()}
        return doc

    def to_toml(self) -> str:
        """The scenario as a standalone TOML file that ``ennuste run`` accepts and that gives the same numbers."""
        import tomli_w

        header = f"# {self.name}\n# Resolved from {' → '.join(self.chain)} by etp-ennuste; a standalone scenario file.\n"
        return header + tomli_w.dumps(self.to_document())

    def fingerprint(self) -> str:
        """A stable text of everything that shapes the numbers (for caches)."""
        return json.dumps(
            {
                "settings": self.settings.model_dump(),
                "adjustments": {k: v.model_dump() for k, v in self.adjustments.items()},
                "shocks": {k: v.model_dump() for k, v in self.shocks.items()},
                "parameters": [dict(layer) for _, layer in self.parameter_layers],
            },
            sort_keys=True, default=str,
        )


def _allowed_keys(loc: tuple) -> list[str]:
    """Keys allowed in the table at ``loc`` of a scenario file (for "did you mean")."""
    models = {(): ScenarioFile, ("settings",): Settings, ("description",): Description}
    if loc in models:
        return list(models[loc].model_fields)
    if len(loc) == 2 and loc[0] == "adjustments":
        return list(Adjustment.model_fields)
    if len(loc) >= 2 and loc[0] == "shocks":
        model = SHOCK_MODELS.get(str(loc[2])) if len(loc) > 2 else None
        if model is not None and len(loc) == 3:
            return list(model.model_fields)
        if model is not None and len(loc) == 5:  # a row of a list inside a shock
            inner = model.model_fields[str(loc[3])].annotation
            args = getattr(inner, "__args__", ())
            return list(args[0].model_fields) if args and hasattr(args[0], "model_fields") else []
    return []


def _describe(loc: tuple) -> str | None:
    """The description (unit, range) of the field at ``loc`` of a scenario file, tags kept."""
    if len(loc) == 2 and loc[0] == "settings":
        return Settings.model_fields[loc[1]].description
    if len(loc) == 3 and loc[0] == "adjustments":
        return Adjustment.model_fields[loc[2]].description
    if len(loc) >= 4 and loc[0] == "shocks":
        model = SHOCK_MODELS[loc[2]]
        if len(loc) == 4:
            return model.model_fields[loc[3]].description
        if len(loc) == 6:  # a row of a list inside a shock
            row = model.model_fields[loc[3]].annotation.__args__[0]
            return row.model_fields[loc[5]].description
    return None


def _flatten_parameters(raw: Any, file: str) -> dict[str, Any]:
    """Nested tables (``[parameters.labour]``) become dotted names; distributions stay whole."""
    if not isinstance(raw, Mapping):
        raise UserError(f"must be a table of name = value, got {show(raw)}", file=file, field="parameters")
    out: dict[str, Any] = {}

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        for k, v in node.items():
            name = f"{prefix}.{k}" if prefix else k
            if isinstance(v, Mapping) and "dist" not in v:
                walk(name, v)
            else:
                out[name] = v

    walk("", raw)
    return out


def _check_finite(node: Any, path: str, file: str) -> None:
    # TOML allows nan and inf; no figure in a scenario may be either
    if isinstance(node, float) and not math.isfinite(node):
        raise UserError(f"value {show(node)} is not a finite number", file=file, field=path)
    if isinstance(node, Mapping):
        for k, v in node.items():
            _check_finite(v, f"{path}.{k}" if path else str(k), file)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_finite(v, f"{path}[{i}]", file)


MAX_FILE_BYTES = 1_000_000  # a scenario is a few kB of text; anything near this is not one
MAX_DEPTH = 12  # tables and lists inside one another; a scenario needs at most 6


def _depth(node: Any) -> int:
    """How deeply tables and lists nest in ``node`` (without recursion: a hostile file may nest 1 000 deep)."""
    deepest, stack = 0, [(node, 0)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if d > MAX_DEPTH:
            break
        if isinstance(item, Mapping):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def read_toml(path: Path) -> dict[str, Any]:
    """A scenario file's TOML as a dict: a regular file of at most 1 MB of UTF-8 text (a BOM is
    allowed), tables nested at most MAX_DEPTH deep; anything else is a :class:`UserError`."""
    label = str(path)
    try:
        st = os.stat(path)  # follows symlinks: what would be read
    except FileNotFoundError:
        raise UserError("no such file", file=label) from None
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a name too long, a symlink loop
        raise UserError(f"cannot read the file ({_os_reason(exc)})", file=label) from None
    if stat.S_ISDIR(st.st_mode):
        raise UserError("is a folder, not a scenario file", file=label)
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block, /dev/zero never ends: refused without reading
        raise UserError("is not a regular file (a device, pipe or socket); a scenario is a .toml text file", file=label)
    if st.st_size > MAX_FILE_BYTES:
        raise UserError(f"is {st.st_size:,} bytes; a scenario file may be at most {MAX_FILE_BYTES:,} bytes", file=label)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read the file ({_os_reason(exc)})", file=label) from None
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"is over {MAX_FILE_BYTES:,} bytes; a scenario file may be at most {MAX_FILE_BYTES:,} bytes", file=label)
    if b"\x00" in data:
        raise UserError("is a binary file, not TOML text", file=label)
    try:
        text = data.decode("utf-8-sig")  # Windows editors write a byte-order mark
    except UnicodeDecodeError:
        raise UserError("is not UTF-8 text", file=label) from None
    if not text.strip():
        raise UserError("is empty; a scenario needs at least name = \"…\"", file=label)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"is not valid TOML: {exc}", file=label) from None
    except RecursionError:
        raise UserError(f"nests lists or tables too deeply (at most {MAX_DEPTH} levels)", file=label) from None
    if _depth(doc) > MAX_DEPTH:
        raise UserError(f"nests lists or tables too deeply (at most {MAX_DEPTH} levels)", file=label)
    _check_finite(doc, "", label)
    return doc


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) or (isinstance(exc, OSError) and exc.errno == errno.ELOOP):
        return "a symlink loop"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return clip(str(exc), 60)


def scenario_root(path: Path) -> Path:
    """The scenario tree: the nearest enclosing folder named ``scenarios``, else the file's folder."""
    for parent in path.resolve().parents:
        if parent.name == "scenarios":
            return parent
    return path.resolve().parent


def _validate_file(doc: dict[str, Any], label: str) -> ScenarioFile:
    try:
        return ScenarioFile.model_validate(doc)
    except ValidationError as exc:
        field, msg = first_error(exc, _allowed_keys, tags=SHOCK_TYPES, describe=_describe)
        raise UserError(msg, file=label, field=field) from None


def _merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(parent)
    for k, v in child.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) and "dist" not in v:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _extends_target(current: Path, parent: Any, root: Path, label: str) -> Path:
    """The file ``extends = parent`` in ``current`` names: a .toml file inside the scenario tree."""
    def refuse(problem: str) -> UserError:
        shown = show(parent) if not isinstance(parent, str) or len(parent) <= 78 else f"'…{parent[-76:]}'"
        return UserError(f"value {shown}{problem}", file=label, field="extends")

    if not isinstance(parent, str):
        raise refuse(" is not a file name")
    if "\x00" in parent or not parent.strip() or len(parent) > 1024:
        raise refuse(" is not a file name; give a scenario file such as \"baseline.toml\"")
    if not parent.endswith(".toml"):
        raise refuse(" does not name a .toml file; give a scenario file such as \"baseline.toml\"")
    target = current.parent / parent
    try:
        resolved = target.resolve()
        inside = resolved.is_relative_to(root)
        if inside:
            os.stat(target)
    except FileNotFoundError:
        raise refuse(f": no such file {target}") from None
    except (OSError, RuntimeError, ValueError) as exc:  # a name too long, a symlink loop
        raise refuse(f" cannot be opened ({_os_reason(exc)})") from None
    if not inside:
        raise refuse(f" points outside the scenario tree {root}")
    return target  # a folder, pipe or device is refused by read_toml, naming the parent


def load_scenario(path: str | Path, *, params: Parameters | None = None) -> Scenario:
    """Read, merge (``extends``), validate and check a scenario file. Raises :class:`UserError`."""
    path = Path(path)
    base = params or Parameters.load_default()
    chain: list[Path] = []
    docs: list[tuple[str, dict[str, Any]]] = []
    current: Path | None = path
    root: Path | None = None
    while current is not None:
        label = str(current)
        doc = read_toml(current)  # a missing, unreadable or odd file is refused before its path is resolved
        resolved = current.resolve()
        root = root or scenario_root(path)
        if resolved in chain:
            cycle = " → ".join(str(p.name) for p in chain + [resolved])
            raise UserError(f"'extends' makes a cycle: {cycle}", file=str(docs[-1][0]), field="extends")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise UserError(f"'extends' chain is longer than {MAX_EXTENDS_DEPTH} files", file=label, field="extends")
        if "parameters" in doc:
            doc["parameters"] = _flatten_parameters(doc["parameters"], label)
        _validate_file(doc, label)
        chain.append(resolved)
        docs.append((label, doc))
        parent = doc.get("extends")
        if parent is None:
            current = None
            continue
        target = _extends_target(current, parent, root, label)
        current = target
    docs.reverse()  # parent first
    merged: dict[str, Any] = {}
    layers = []
    for label, doc in docs:
        layers.append((label, doc.get("parameters", {})))
        merged = _merge(merged, {k: v for k, v in doc.items() if k not in ("extends", "parameters")})
    top_label = docs[-1][0]
    sf = _validate_file(merged, top_label)
    scenario = Scenario(
        id=path.stem, file=str(path), name=sf.name,
        description=sf.description if isinstance(sf.description, Description) else Description(fi=sf.description, en=sf.description),
        settings=sf.settings, adjustments=dict(sf.adjustments), shocks=dict(sf.shocks),
        parameter_layers=tuple(layers), chain=tuple(label for label, _ in docs),
    )
    scenario.parameters(base)  # raises UserError naming the file and field of a bad override
    return scenario


def scenario_from_dict(doc: Mapping[str, Any], *, id: str = "scenario", label: str = "<scenario>",
                       params: Parameters | None = None) -> Scenario:
    """Validate a scenario given as a mapping (the app's settings); no ``extends``."""
    doc = dict(doc)
    if _depth(doc) > MAX_DEPTH:
        raise UserError(f"nests lists or tables too deeply (at most {MAX_DEPTH} levels)", file=label)
    _check_finite(doc, "", label)
    if "extends" in doc:
        raise UserError("'extends' needs a file; resolve it first", file=label, field="extends")
    if "parameters" in doc:
        doc["parameters"] = _flatten_parameters(doc["parameters"], label)
    sf = _validate_file(doc, label)
    scenario = Scenario(
        id=id, file=label, name=sf.name,
        description=sf.description if isinstance(sf.description, Description) else Description(fi=sf.description, en=sf.description),
        settings=sf.settings, adjustments=dict(sf.adjustments), shocks=dict(sf.shocks),
        parameter_layers=((label, doc.get("parameters", {})),), chain=(label,),
    )
    scenario.parameters(params)
    return scenario


def json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file (for editor completion)."""
    schema = ScenarioFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "etp-ennuste scenario"
    params = Parameters.load_default()
    schema["properties"]["parameters"]["properties"] = {
        name: {"description": f"{d.description} [{param_range(d) if d.kind in ('number', 'series') else d.unit}] "
                              f"(source: {d.source})".strip()} for name, d in params.defs.items()
    }
    schema["properties"]["parameters"]["additionalProperties"] = False
    schema["properties"]["shocks"]["description"] = "Named shocks; 'type' is one of " + ", ".join(SHOCK_TYPES)
    return schema
