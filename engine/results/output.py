"""Output folders (``--out``): checked before computing, locked against a concurrent run, written
atomically, and never a file deleted or replaced that this tool did not write.

What may be written where:

* a folder that does not exist yet is built as a hidden sibling ``.ennuste-tmp-<pid>-…`` and renamed
  into place in one step (missing parents are created then, and only then);
* an existing folder is written in place, file by file (each file to ``.ennuste-tmp-<pid>-<name>``,
  then renamed over its name), if it is empty or holds exactly what its manifest
  (``.ennuste-manifest.json``: the files this tool wrote, with sizes and SHA-256) lists;
* a folder with anything else is refused unless ``force``; with ``force`` only the tables written now
  and the files of the previous manifest that are still as written are replaced or removed; the
  user's other files, and the folder itself (its mode, owner, inode), are left as they are.

The manifest is replaced last, and while files are being renamed it also lists the previous sizes
and hashes, so a run killed at any point leaves a folder the next run still recognises as its own.
A killed run may leave ``.ennuste-tmp-<pid>-…`` items; the next run writing beside or into them
removes those whose process is gone (and that hold only names this tool writes).

Two runs writing to one folder exclude each other with an ``fcntl.flock`` on a lock file keyed by the
folder's real path in the temp directory (not in the output's parent: a refused or interrupted run
must leave nothing behind there, and the parent may not exist yet). The lock is taken before
computing, so the second run fails at once instead of after its computation.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.common.errors import UserError

MANIFEST = ".ennuste-manifest.json"
TOOL = "etp-ennuste"
TEMP_PREFIX = ".ennuste-tmp-"
FORMATS = ("csv", "parquet")
FILE_EXTS = ("html", "json", "png")  # files written as given bytes beside the tables (a chart's spec, page and picture)
SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
_TEMP = re.compile(re.escape(TEMP_PREFIX) + r"(\d+)-")
_TABLE_NAME = re.compile(r"[A-Za-z0-9_]+")
_FILE_NAME = re.compile(r"[A-Za-z0-9_]+\.(" + "|".join(FILE_EXTS) + ")")
_SHOWN = 4  # names echoed in a refusal


@dataclass(frozen=True)
class Plan:
    """What writing to a checked ``--out`` will do: ``kind`` is ``new`` (build and rename into place),
    ``empty``, ``owned`` (holds only this tool's files) or ``forced`` (holds other files; --force)."""

    label: str  # the path as the user gave it, for messages
    path: Path  # resolved
    kind: str
    owned: Mapping[str, Mapping]  # manifest entries still as written: name -> {"bytes", "sha256"}


def _fail(label: str, problem: str) -> UserError:
    return UserError(problem, file=f"--out {_short(label)}")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _names(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(_short(n, 40) for n in names[:_SHOWN])
    return shown + (f", … ({len(names)} in all)" if len(names) > _SHOWN else "")


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _leftover(name: str) -> bool:
    """A temp item of a run that is gone (its pid is dead)."""
    m = _TEMP.match(name)
    return bool(m) and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1)))


def _own_name(name: str) -> bool:
    """A name this tool writes into an output folder (tables, manifest, temps)."""
    stem, _, ext = name.rpartition(".")
    return name == MANIFEST or name.startswith(TEMP_PREFIX) or (ext in FORMATS and bool(_TABLE_NAME.fullmatch(stem))) \
        or bool(_FILE_NAME.fullmatch(name))


def _sha256(path: Path) -> tuple[int, str]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return size, h.hexdigest()


def _read_manifest(folder: Path) -> dict | None:
    """The manifest's entries that are well formed, or None if there is no readable manifest of ours."""
    try:
        st = os.lstat(folder / MANIFEST)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 1 << 20:
            return None
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("tool") != TOOL or not isinstance(doc.get("files"), dict):
        return None
    return doc


def _matches(folder: Path, name: str, entries: Iterable[Mapping]) -> bool:
    try:
        st = os.lstat(folder / name)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    wanted = [e for e in entries if isinstance(e, Mapping) and e.get("bytes") == st.st_size]
    if not wanted:
        return False
    digest = _sha256(folder / name)[1]
    return any(e.get("sha256") == digest for e in wanted)


def _classify(label: str, folder: Path, force: bool) -> Plan:
    """An existing folder: empty, only our files (as the manifest lists them), or others' too."""
    try:
        entries = [n for n in os.listdir(folder) if not _leftover(n)]
    except OSError as exc:
        raise _fail(label, f"cannot read the folder ({exc.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _fail(label, "the folder is not writable")
    if not entries:
        return Plan(label, folder, "empty", {})
    doc = _read_manifest(folder)
    files = doc["files"] if doc else {}
    previous = doc.get("previous", {}) if doc and isinstance(doc.get("previous"), dict) else {}
    owned = {}
    foreign, changed = [], []
    for name in entries:
        if name == MANIFEST and doc:
            continue
        listed = [e for e in (files.get(name), previous.get(name)) if e is not None]
        if listed and _matches(folder, name, listed):
            owned[name] = files.get(name) or previous[name]
        elif listed:
            changed.append(name)
        else:
            foreign.append(name + ("/" if (folder / name).is_dir() and not (folder / name).is_symlink() else ""))
    if not foreign and not changed:
        return Plan(label, folder, "owned", owned)
    if not force:
        why = []
        if foreign:
            why.append(f"holds files ennuste did not write ({_names(foreign)})")
        if changed:
            why.append(f"{'its ' if foreign else ''}{_names(changed)} changed since ennuste wrote "
                       f"{'them' if len(changed) > 1 else 'it'}")
        legacy = not doc and all(_own_name(n) for n in foreign)  # tables of an ennuste without manifests
        raise _fail(label, ("the folder " if foreign else "") + " and ".join(why) + "; choose a new folder, or pass "
                    "--force to replace only ennuste's own tables in it"
                    + (" (tables from an older ennuste, which wrote no manifest: --force once)" if legacy else ""))
    return Plan(label, folder, "forced", owned)


def check(out: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (), force: bool = False) -> Plan:
    """Refuse an ``--out`` that cannot or must not be written, before anything is computed or created.

    Raises :class:`UserError` naming the path and the problem; creates nothing.
    """
    label = os.fspath(out)
    if not label.strip():
        raise UserError("is empty; give the name of a folder to write the tables to", file="--out")
    if "\0" in label:
        raise _fail(label.replace("\0", "\\0"), "contains a NUL character")
    path = Path(os.path.realpath(label))
    for root in SYSTEM_ROOTS:
        if _is_within(path, root):
            raise _fail(label, f"is under {root}, a system folder, not a place for output")
    cwd = Path(os.path.realpath(os.getcwd()))
    if _is_within(cwd, path):
        what = "the root folder" if path == Path(path.anchor) else \
            "the current folder" if path == cwd else f"a parent of the current folder ({cwd})"
        raise _fail(label, f"is {what}; choose a new folder for the output")
    for f in inputs:
        for place in {Path(os.path.realpath(f)), Path(os.path.realpath(Path(f).parent)) / Path(f).name}:
            if place == path:  # the file itself, or (a symlink) where it is linked from
                raise _fail(label, "is an input scenario file")
            if _is_within(place, path):
                raise _fail(label, f"contains the input scenario file {_short(os.fspath(f))}; choose another folder")
    if any(len(part.encode()) > 200 for part in path.parts):
        raise _fail(label, "has a name longer than 200 bytes")
    if os.path.lexists(path):
        if not path.is_dir():
            raise _fail(label, "is a file, not a folder")
        return _classify(label, path, force)
    ancestor = path.parent
    while not os.path.lexists(ancestor):
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise _fail(label, f"{ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise _fail(label, f"cannot create it: {ancestor} is not writable")
    return Plan(label, path, "new", {})


# ----------------------------------------------------------------------------------------------- lock
def _lock_path(folder: Path) -> Path:
    key = hashlib.sha256(os.fsencode(folder)).hexdigest()[:32]
    return Path(tempfile.gettempdir()) / f".ennuste-lock-{key}"


@contextmanager
def _locked(plan: Plan) -> Iterator[None]:
    """Hold the folder's lock, or fail at once naming the run that holds it."""
    path = _lock_path(plan.path)
    while True:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                continue
        except PermissionError:  # another user's lock file: flock works on a read-only descriptor
            fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            try:
                holder = path.read_text().strip()
            except OSError:
                holder = ""
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise _fail(plan.label, f"another ennuste run{who} is writing to this folder; "
                        "wait for it to finish or choose another folder") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:  # else the previous holder unlinked it between our open and our flock: take a fresh one
            break
        os.close(fd)
    try:
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass
        yield
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        os.close(fd)


# --------------------------------------------------------------------------------------------- writing
def _remove_leftovers(folder: Path) -> None:
    """Temp items of runs that were killed: files, or folders holding only names this tool writes."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not _leftover(name):
            continue
        item = folder / name
        try:
            if item.is_dir() and not item.is_symlink():
                inner = os.listdir(item)
                if all(_own_name(n) and not (item / n).is_dir() for n in inner):
                    for n in inner:
                        os.unlink(item / n)
                    os.rmdir(item)
            else:
                os.unlink(item)
        except OSError:
            pass


def _write_file(path: Path, df: pd.DataFrame | bytes, fmt: str) -> None:
    if isinstance(df, bytes):
        path.write_bytes(df)
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_csv(path, index=False, float_format="%.6g")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _signals_held(pending: list[int]) -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM (into ``pending``) over the renames that commit a write; the caller
    delivers them after: an interrupt lands before the commit or after it, not between two files."""
    wanted = (signal.SIGINT, signal.SIGTERM)
    try:
        old = {s: signal.signal(s, lambda signum, _frame: pending.append(signum)) for s in wanted}
    except ValueError:  # not the main thread: signals are not ours to handle
        yield
        return
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _manifest_text(files: Mapping[str, Mapping], previous: Mapping[str, Mapping] | None = None) -> str:
    from engine import __version__

    doc = {"tool": TOOL, "version": __version__,
           "note": "written by ennuste; the next run may replace the files listed here (and only those)",
           "files": dict(sorted(files.items()))}
    if previous:
        doc["previous"] = dict(sorted(previous.items()))
    return json.dumps(doc, indent=2) + "\n"


def _write_text(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def _make_parents(folder: Path) -> list[Path]:
    created = []
    missing = []
    p = folder
    while not os.path.lexists(p):
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        os.mkdir(p)
        created.append(p)
    return created


def _write_new(plan: Plan, tables: Mapping[str, pd.DataFrame | bytes], fmt: str, pending: list[int]) -> None:
    """Build the folder as a hidden sibling and rename it into place."""
    created = _make_parents(plan.path.parent)
    staging = plan.path.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(3)}-{plan.path.name[:64]}"
    try:
        _remove_leftovers(plan.path.parent)
        os.mkdir(staging)  # mode from the umask, as any folder the user makes
        files = {}
        for name, df in tables.items():
            name = _file_name(name, df, fmt)
            _write_file(staging / name, df, fmt)
            files[name] = _entry(staging / name)
        _write_text(staging / MANIFEST, _manifest_text(files))
        try:
            with _signals_held(pending):
                os.rename(staging, plan.path)  # replaces at most an empty folder made meanwhile
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise _fail(plan.label, "appeared while this run was computing; nothing was written") from None
            raise
        _fsync_dir(plan.path.parent)
    except BaseException:
        if os.path.isdir(staging):
            for n in os.listdir(staging):
                os.unlink(staging / n)
            os.rmdir(staging)
        for p in reversed(created):
            try:
                os.rmdir(p)
            except OSError:
                break
        raise


def _file_name(name: str, df: pd.DataFrame | bytes, fmt: str) -> str:
    """A table's file name (``name.fmt``); a file given as bytes carries its extension in ``name``."""
    return name if isinstance(df, bytes) else f"{name}.{fmt}"


def _entry(path: Path) -> dict:
    size, digest = _sha256(path)
    return {"bytes": size, "sha256": digest}


def _write_in_place(plan: Plan, tables: Mapping[str, pd.DataFrame | bytes], fmt: str, pending: list[int]) -> None:
    """Each file to a temp name in the folder, then renamed over its name; the manifest last."""
    folder = plan.path
    _remove_leftovers(folder)
    tag = f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(3)}-"
    new_names = [_file_name(name, df, fmt) for name, df in tables.items()]
    for name in new_names:
        target = folder / name
        if os.path.lexists(target) and target.is_dir() and not target.is_symlink():
            raise _fail(plan.label, f"{name} in it is a folder; ennuste will not replace it")
    temps: dict[str, Path] = {}
    try:
        files = {}
        for (table, df), name in zip(tables.items(), new_names):
            temps[name] = folder / (tag + name)
            _write_file(temps[name], df, fmt)
            files[name] = _entry(temps[name])
        temps[MANIFEST] = folder / (tag + MANIFEST)
        # while the files are renamed the manifest accepts the old and the new version of each, so a
        # kill -9 in between leaves a folder the next run still recognises as its own
        _write_text(temps[MANIFEST], _manifest_text(files, plan.owned))
        final = folder / (tag + "final-" + MANIFEST)
        temps["final"] = final
        _write_text(final, _manifest_text(files))
        with _signals_held(pending):
            os.replace(temps.pop(MANIFEST), folder / MANIFEST)
            for name in new_names:
                os.replace(temps.pop(name), folder / name)
            for name in plan.owned:  # our files from the previous run that this run does not write
                if name not in files and name != MANIFEST:
                    try:
                        os.unlink(folder / name)
                    except FileNotFoundError:
                        pass
            os.replace(temps.pop("final"), folder / MANIFEST)
        _fsync_dir(folder)
    finally:
        for t in temps.values():
            try:
                os.unlink(t)
            except FileNotFoundError:
                pass


@contextmanager
def reserve(out: str | os.PathLike, inputs: Iterable[str | os.PathLike] = (),
            force: bool = False) -> Iterator[Writer]:
    """Check ``out`` and lock it for this run; yields a :class:`Writer`. Use it around the computation
    so a bad or busy ``--out`` is refused before anything is computed."""
    inputs = list(inputs)
    plan = check(out, inputs, force)
    with _locked(plan):
        yield Writer(out, inputs, force)


@dataclass
class Writer:
    out: str | os.PathLike
    inputs: list
    force: bool
    written: bool = False  # the tables are in place (an interrupt after this did not undo them)

    def write(self, tables: Mapping[str, pd.DataFrame | bytes], fmt: str = "csv") -> Path:
        """Write the tables (``name.csv`` or ``name.parquet`` each; a value given as bytes is a file
        named ``name``, e.g. ``chart.png``: see FILE_EXTS); re-checks the folder first, since it may have
        changed while the run was computing."""
        if fmt not in FORMATS:
            raise UserError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}", field="format")
        bad = [n for n, v in tables.items() if not isinstance(n, str)
               or not (_FILE_NAME if isinstance(v, bytes) else _TABLE_NAME).fullmatch(n)]
        if bad:
            raise ValueError(f"table names must be letters, digits and _: {bad!r}")
        plan = check(self.out, self.inputs, self.force)
        pending: list[int] = []
        try:
            (_write_new if plan.kind == "new" else _write_in_place)(plan, tables, fmt, pending)
            self.written = True
        except OSError as exc:
            raise _fail(plan.label, f"cannot write: {exc.strerror or exc}") from None
        finally:
            if pending:
                signal.raise_signal(pending[0])
        return Path(self.out)


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike, fmt: str = "csv", *,
                 force: bool = False, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Write ``name.csv`` (or ``.parquet``) for each table into ``out_dir``, safely (see the module
    docstring); raises :class:`UserError` for a folder that must not be written."""
    with reserve(out_dir, inputs, force) as writer:
        return writer.write(tables, fmt)
