"""Write outputs without ever destroying what cbecopt did not write, and never half of one.

The rules every output follows (folders of ``--out DIR``, :meth:`Result.to_dir`,
:func:`save_instance`, workbooks, charts, model files of ``--write-model``):

* **Only our own files.** A folder output writes only the files of the result; it never
  removes, renames or replaces anything else. The folder's manifest (the ``manifest`` key of
  ``result.json``, or of ``.cbecopt-manifest.json`` for outputs without a ``result.json``)
  lists the files cbecopt wrote with their SHA-256. Writing again replaces those files and
  removes the ones the new result lacks; a file with one of the new names that no manifest
  lists, or that changed since cbecopt wrote it, is someone else's: the write is refused
  (:class:`OutputRefused`) and nothing is written. A workbook cbecopt wrote carries a
  fingerprint of its contents as the zip comment; any other ``.xlsx`` is never replaced. A
  model file (``.lp``, ``.mps``) carries it as its first line, a comment.
* **Whole or not at all.** Each file is written to a temporary name in its folder, synced,
  then renamed. A folder's set of files changes through a journal: every new file is staged,
  the journal naming the renames and removals is committed by one rename, the renames and
  removals follow (the manifest last) and the journal goes. A run killed before the commit
  leaves the previous result; one killed after it leaves a journal that the next run writing
  or reading the folder completes (:func:`completed`, :func:`recover`). Either way: the old
  result or the new one, never a mix.
* **Temporaries** are named ``.cbecopt-<pid>-<token>-<name>.tmp``; those of a process that
  no longer runs are removed by the next write into, or read of, the folder.
* **One writer at a time.** Writers and readers of a folder hold an exclusive ``flock`` on the
  folder itself (no lock file), so concurrent runs end with one complete result.
* **The user's umask.** Files and folders are created with the ordinary ``open``/``mkdir``
  modes, never ``mkstemp``'s 0600 or ``mkdtemp``'s 0700.
* **Checked first.** :func:`prepare` refuses an output that is the input, lies inside the
  input folder or contains it, makes the folder and probes that a file can be created there,
  before any long computation.

Test hook: with ``CBECOPT_TEST_WRITE_PAUSE=STEP:SECONDS`` in the environment, a write prints
``cbecopt: write paused at step STEP`` to stderr at its STEP-th step (each file staged, the
journal committed, each rename or removal, the journal removed) and sleeps SECONDS there, so
a test can kill or interrupt it at a chosen moment.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import re
import secrets
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cbecopt.errors import InputError, OptionError, Problem

Writer = Callable[[Path], object]
"""Writes one file's content to the path it is given."""

RESULT_FILE = "result.json"
MANIFEST_FILE = ".cbecopt-manifest.json"
MANIFEST_KEY = "manifest"
JOURNAL_FILE = ".cbecopt-journal.json"
_TEMPORARY = re.compile(r"\.cbecopt-(?P<pid>\d+)-[0-9a-f]+-.*\.tmp")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_WORKBOOK_MARK = b"cbecopt sha256:"
_PAUSE_SETTING = "CBECOPT_TEST_WRITE_PAUSE"
_steps = itertools.count(1)


class OutputRefused(OptionError):
    """An output cbecopt will not write: it would touch a file cbecopt did not write, or the
    input, or the place cannot be written."""


def output_path(value: str | Path) -> Path:
    """The output path a user gave; an empty one is refused (it would silently mean '.')."""
    if isinstance(value, str) and not value.strip():
        raise OutputRefused(
            "the output path is empty; give a folder (or a file ending in .xlsx), e.g. -o results"
        )
    return Path(value)


def is_workbook(path: Path) -> bool:
    """Whether an output path names one workbook rather than a folder."""
    return path.suffix.lower() == ".xlsx"


def csv_file(table) -> Writer:
    """A writer of ``table`` (a DataFrame) as CSV without the index, lines ending in LF."""
    return lambda path: table.to_csv(path, index=False, lineterminator="\n")


def json_text(document: Any) -> str:
    """``document`` as the indented JSON text of the files cbecopt writes."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# --- before the computation -------------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    """An output checked before the computation: a folder, or one workbook."""

    path: Path
    created: tuple[Path, ...] = ()
    """Folders the check made (deepest first), removed again by :meth:`discard` if empty."""

    @property
    def workbook(self) -> bool:
        return is_workbook(self.path)

    def discard(self) -> None:
        """Remove the folders the check made, as long as nothing was written into them."""
        for folder in self.created:
            try:
                folder.rmdir()
            except OSError:
                return


def prepare(
    target: str | Path, inputs: tuple[str | Path, ...] = (), names: tuple[str, ...] = ()
) -> Destination:
    """Check an output before the long computation that fills it.

    Refuses (:class:`OutputRefused`) an output that is one of ``inputs``, lies inside an input
    folder or contains one; makes the folder (the workbook's folder) and probes that a file can
    be created and removed there; completes a write a killed run left; refuses when one of
    ``names`` (the files the command will write), or the workbook, exists and is not
    cbecopt's.
    """
    target = output_path(target)
    for source in inputs:
        refuse_overlap(target, Path(source))
    folder = target.parent if is_workbook(target) else target
    created = _make_folder(folder)
    destination = Destination(target, created)
    try:
        with _locked(folder):
            _probe(folder)
            _recover(folder)
            if destination.workbook:
                _check_workbook(target)
            else:
                _removals(folder, names)
    except BaseException:
        destination.discard()
        raise
    return destination


def refuse_overlap(target: Path, source: Path) -> None:
    """Refuse an output that is the input, lies inside the input folder, or contains it.

    Paths are compared resolved (symlinks, ``.`` and ``..``, relative or absolute) and, where
    both exist, as the same file on disk (``os.path.samefile``: also a different case of one
    name on a case-insensitive file system).
    """
    if not os.path.lexists(source):
        return
    output, given = target.resolve(), source.resolve()
    refusal = None
    if _same(output, given):
        refusal = f"the output {target} is the input {source}"
    elif given.is_dir() and any(_same(p, given) for p in output.parents):
        refusal = f"the output {target} lies inside the input folder {source}"
    elif given.is_dir() and any(_same(p, output) for p in given.parents):
        refusal = f"the output folder {target} contains the input folder {source}"
    if refusal:
        raise OutputRefused(
            f"{refusal}; cbecopt never writes into its input: choose another output"
        )


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a == b


def _make_folder(folder: Path) -> tuple[Path, ...]:
    """Make ``folder`` and its missing parents; return the ones made, deepest first."""
    missing = tuple(p for p in (folder, *folder.parents) if not os.path.lexists(p))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputRefused(
            f"cannot write into {folder}: a file is in the way of a folder"
        ) from None
    except OSError as exc:
        raise OutputRefused(f"cannot create the folder {folder}: {exc.strerror}") from None
    return missing


def _probe(folder: Path) -> None:
    """Create and remove a file in ``folder``, so that an unwritable place fails now."""
    probe = folder / _temporary_name("probe")
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        probe.unlink()
    except OSError as exc:
        raise OutputRefused(f"cannot write into {folder}: {exc.strerror}") from None


# --- writing ------------------------------------------------------------------------------


def write_folder(
    target: str | Path,
    files: Mapping[str, Writer],
    holder: str = MANIFEST_FILE,
    document: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``files`` into the folder ``target`` as one result, replacing only cbecopt's files.

    Parameters
    ----------
    target : the folder (made if missing).
    files : file name -> writer of its content.
    holder : the file that carries the manifest, written last: ``result.json`` (with
        ``document`` as the rest of its content) or ``.cbecopt-manifest.json``.
    document : the JSON content of ``holder`` besides the manifest.

    Raises
    ------
    OutputRefused : a file with one of the names exists and is not cbecopt's (nothing is
        written), or the folder cannot be made.
    OSError : writing failed (disk full, ...); the previous result is left as it was.
    """
    folder = output_path(target)
    _make_folder(folder)
    with _locked(folder):
        _recover(folder)
        removals = _removals(folder, (*files, holder))
        staging = _Staging(folder)
        try:
            digests = {name: _digest(staging.add(name, write)) for name, write in files.items()}
            manifest = {"written_by": "cbecopt", "files": digests}
            content = json_text({**(document or {}), MANIFEST_KEY: manifest})
            staging.add(holder, lambda path: path.write_text(content, encoding="utf-8"))
            staging.commit(removals)
            _sync(folder)
            _pause()
            _roll_forward(folder)
        except BaseException:
            if os.path.lexists(folder / JOURNAL_FILE):  # committed: do what it promises
                _roll_forward(folder)
            else:
                staging.discard()
            raise
    return folder


def write_workbook(target: str | Path, save: Writer) -> Path:
    """Write one workbook atomically and mark it as cbecopt's; never replace anyone else's.

    Raises
    ------
    OutputRefused : ``target`` exists and is a folder, or a workbook cbecopt did not write (or
        that changed since).
    """

    def save_marked(path: Path) -> None:
        save(path)
        with zipfile.ZipFile(path, "a") as book:
            book.comment = _workbook_mark(book)

    return _write_marked(output_path(target), _check_workbook, save_marked)


def _write_marked(target: Path, check: Callable[[Path], None], save_marked: Writer) -> Path:
    """Write one file that carries cbecopt's mark, atomically, once ``check`` has found no file
    in its place that cbecopt did not write."""
    _make_folder(target.parent)
    with _locked(target.parent):
        _recover(target.parent)
        check(target)
        atomic_file(target, save_marked)
    return target


def atomic_file(target: str | Path, write: Writer) -> Path:
    """Write one file: ``write`` fills a temporary beside ``target``, which is then renamed.

    No ownership check (callers name the file explicitly); the folder is made if missing.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _Staging(target.parent)
    try:
        os.replace(staging.add(target.name, write), target)
    except BaseException:
        staging.discard()
        raise
    _sync(target.parent)
    return target


class _Staging:
    """The temporaries of one write, removed again unless the journal commits them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.renames: list[tuple[Path, str]] = []

    def add(self, name: str, write: Writer) -> Path:
        """Write one file to a fresh temporary name, synced; return its path."""
        temporary = self.folder / _temporary_name(name)
        self.renames.append((temporary, name))
        write(temporary)
        _sync(temporary)
        _pause()
        return temporary

    def commit(self, removals: list[str]) -> None:
        """Name every rename (in order, the manifest last) and removal in the journal, atomically.

        The journal's rename is the commit: from then on the write is completed, never undone.
        """
        plan = {"renames": [[t.name, n] for t, n in self.renames], "removals": removals}
        journal = _Staging(self.folder)
        try:
            written = journal.add(JOURNAL_FILE, lambda p: p.write_text(json.dumps(plan)))
            os.replace(written, self.folder / JOURNAL_FILE)
        finally:
            journal.discard()

    def discard(self) -> None:
        for temporary, _ in self.renames:
            temporary.unlink(missing_ok=True)


def _removals(folder: Path, names: tuple[str, ...] | list[str]) -> list[str]:
    """The files of the earlier cbecopt result in ``folder`` that ``names`` do not replace.

    Raises :class:`OutputRefused`, naming every file concerned, when a file of ``names`` is
    not cbecopt's or one of cbecopt's changed since it was written.
    """
    holder, owned = _manifest(folder)
    problems = []
    for name in sorted({*names, *owned}):
        path = folder / name
        if not os.path.lexists(path):
            continue
        if name not in owned:
            if name in names:
                problems.append(f"{path}: not written by cbecopt (no cbecopt manifest lists it)")
        elif name != holder and (not path.is_file() or _digest(path) != owned[name]):
            problems.append(f"{path}: changed since cbecopt wrote it")
    if problems:
        raise OutputRefused(
            "cbecopt never replaces or removes a file it did not write; move these away or "
            "choose another output:\n  - " + "\n  - ".join(problems)
        )
    return [n for n in owned if n not in names and os.path.lexists(folder / n)]


def _check_workbook(target: Path) -> None:
    if not os.path.lexists(target):
        return
    if target.is_dir():
        raise OutputRefused(f"{target} is a folder, not a workbook cbecopt can replace")
    try:
        with zipfile.ZipFile(target) as book:
            ours = book.comment == _workbook_mark(book)
    except (OSError, zipfile.BadZipFile):
        ours = False
    if not ours:
        raise OutputRefused(
            f"{target}: not a workbook written by cbecopt (or changed since); cbecopt never "
            "replaces it: move it away or choose another name"
        )


def _workbook_mark(book: zipfile.ZipFile) -> bytes:
    """The fingerprint of a workbook's parts (names, CRC-32s and sizes) kept as its zip comment."""
    parts = "".join(f"{i.filename} {i.CRC} {i.file_size}\n" for i in book.infolist())
    return _WORKBOOK_MARK + hashlib.sha256(parts.encode()).hexdigest().encode()


# --- model files ----------------------------------------------------------------------------

MODEL_FORMATS = {".lp": "lp", ".mps": "mps"}
"""Suffixes of the model files cbecopt writes (``solve --write-model``), and their formats."""
_MODEL_MARK = "cbecopt sha256:"
_COMMENT = {"lp": "\\ ", "mps": "* "}


def model_format(target: Path) -> str:
    """The format of a model file, from its suffix; any other suffix is refused."""
    fmt = MODEL_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise OutputRefused(
            f"{target}: a model file must end in .lp or .mps (the format follows the suffix)"
        )
    return fmt


def prepare_model_file(target: str | Path, inputs: tuple[str | Path, ...] = ()) -> Path:
    """Check a model file before the computation: its suffix, that it is not an input nor
    inside one, that its folder can be made and written, and that no file cbecopt did not
    write (or that changed since) is in its place."""
    target = output_path(target)
    model_format(target)
    for source in inputs:
        refuse_overlap(target, Path(source))
    _make_folder(target.parent)
    with _locked(target.parent):
        _probe(target.parent)
        _recover(target.parent)
        _check_model_file(target)
    return target


def write_model_file(target: str | Path, write: Writer) -> Path:
    """Write one model file atomically, marked as cbecopt's: its first line is a comment with
    the fingerprint of the rest. A file cbecopt did not write, or that changed since, is never
    replaced (:class:`OutputRefused`)."""
    target = output_path(target)
    comment = _COMMENT[model_format(target)]

    def save_marked(path: Path) -> None:
        write(path)
        body = path.read_bytes()
        path.write_bytes(_model_mark(comment, body) + body)

    return _write_marked(target, _check_model_file, save_marked)


def _check_model_file(target: Path) -> None:
    if not os.path.lexists(target):
        return
    ours = False
    if target.is_file():
        content = target.read_bytes()
        first, _, body = content.partition(b"\n")
        ours = first + b"\n" == _model_mark(_COMMENT[model_format(target)], body)
    if not ours:
        raise OutputRefused(
            f"{target}: not a model file written by cbecopt (or changed since); cbecopt never "
            "replaces it: move it away or choose another name"
        )


def _model_mark(comment: str, body: bytes) -> bytes:
    return f"{comment}{_MODEL_MARK}{hashlib.sha256(body).hexdigest()}\n".encode()


# --- reading and recovering -----------------------------------------------------------------


@contextlib.contextmanager
def completed(folder: str | Path) -> Iterator[tuple[dict[str, Any], dict[str, Path]]]:
    """The cbecopt result in ``folder``, held steady: ``(document, files)``.

    ``document`` is the manifest holder's JSON content without the manifest (``result.json``'s
    keys; empty for outputs without one), ``files`` the result's other files by name. A write
    a killed run left is completed first; while the context lasts no cbecopt run changes the
    folder.

    Raises
    ------
    InputError : no cbecopt result in ``folder``, or one of its files changed since it was
        written.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(Problem(str(folder), "not found: no such folder"))
    with _locked(folder):
        _recover(folder)
        holder, owned = _manifest(folder)
        if holder is None:
            raise InputError(
                Problem(str(folder), f"holds no cbecopt result (no {RESULT_FILE} with a manifest)")
            )
        changed = [
            Problem(str(folder / n), "changed or removed since cbecopt wrote it")
            for n, digest in owned.items()
            if n != holder and (not (folder / n).is_file() or _digest(folder / n) != digest)
        ]
        if changed:
            raise InputError(changed)
        document = json.loads((folder / holder).read_text(encoding="utf-8"))
        document.pop(MANIFEST_KEY)
        yield document, {n: folder / n for n in owned if n != holder}


def recover(folder: str | Path) -> None:
    """Complete a write that a killed run left in ``folder`` and remove dead runs' temporaries.

    For readers of folders cbecopt may have written (instance folders): without it, a run
    killed between the journal's renames would leave a mix of two outputs to read.
    """
    with _locked(Path(folder)):
        _recover(Path(folder))


def _manifest(folder: Path) -> tuple[str | None, dict[str, str | None]]:
    """(holder, {file: digest}) of the cbecopt result in ``folder``; the holder's digest is None."""
    for holder in (MANIFEST_FILE, RESULT_FILE):
        files = _read_manifest(folder / holder)
        if files is not None and holder not in files:
            return holder, {**files, holder: None}
    return None, {}


def _read_manifest(path: Path) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    manifest = data.get(MANIFEST_KEY) if isinstance(data, dict) else None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return None
    if all(_plain(n) and isinstance(d, str) and _DIGEST.fullmatch(d) for n, d in files.items()):
        return files
    return None


def _plain(name: object) -> bool:
    """A file name of the folder itself (no path), never a temporary's or the journal's."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", JOURNAL_FILE)
        and Path(name).name == name
        and "\\" not in name
        and not _TEMPORARY.fullmatch(name)
    )


def _recover(folder: Path) -> None:
    """Complete the write a killed run committed, and remove dead runs' temporaries."""
    _roll_forward(folder)
    for path in folder.iterdir():
        match = _TEMPORARY.fullmatch(path.name)
        if match and not _running(int(match["pid"])) and not path.is_dir():
            path.unlink(missing_ok=True)


def _roll_forward(folder: Path) -> None:
    """Do what the journal in ``folder`` names (each step at most once), then remove it."""
    journal = folder / JOURNAL_FILE
    if not os.path.lexists(journal):
        return
    renames, removals = _read_journal(journal)
    *files, holder = renames
    for temporary, name in files:
        _rename(folder, temporary, name)
    for name in removals:
        (folder / name).unlink(missing_ok=True)
        _pause()
    _rename(folder, *holder)
    _sync(folder)
    journal.unlink()
    _sync(folder)
    _pause()


def _read_journal(journal: Path) -> tuple[list[list[str]], list[str]]:
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        renames, removals = plan["renames"], plan["removals"]
        valid = (
            renames
            and all(_TEMPORARY.fullmatch(t) and _plain(n) for t, n in renames)
            and all(_plain(n) for n in removals)
        )
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise OutputRefused(
            f"{journal}: not a journal cbecopt can complete; remove it if you know it is stale"
        )
    return renames, removals


def _rename(folder: Path, temporary: str, name: str) -> None:
    if os.path.lexists(folder / temporary):  # else done before the previous run was killed
        os.replace(folder / temporary, folder / name)
    _pause()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` itself (released when its descriptor closes)."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _temporary_name(name: str) -> str:
    return f".cbecopt-{os.getpid()}-{secrets.token_hex(4)}-{name[-120:]}.tmp"


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _digest(path: Path) -> str:
    with open(path, "rb") as file:
        return "sha256:" + hashlib.file_digest(file, "sha256").hexdigest()


def _sync(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _pause() -> None:
    """The test hook (see the module docstring): count a step, pause at the chosen one."""
    setting = os.environ.get(_PAUSE_SETTING)
    step = next(_steps)
    if setting:
        chosen, _, seconds = setting.partition(":")
        if step == int(chosen):
            os.write(2, f"cbecopt: write paused at step {step}\n".encode())
            time.sleep(float(seconds))
