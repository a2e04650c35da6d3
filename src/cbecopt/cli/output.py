"""Where a command writes: checked before the computation, written after it, never lost.

Every command that writes (solve, compare-*, frontier, pareto, saa, convert, generate,
scenarios) follows :mod:`cbecopt.outputs`: :func:`check_output` refuses at once (exit 2) an
output that is or overlaps the input, holds someone else's file under one of the command's
names, or cannot be written; :func:`deliver` writes after the computation and, should that
fail, writes the result to a fresh folder under the system's temporary directory instead and
says where (exit 5 when the disk failed, 2 when a file appeared that is not cbecopt's).
"""

from __future__ import annotations

import atexit
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import typer

from cbecopt import outputs
from cbecopt.bundled import resolve_path
from cbecopt.cli.app import EXIT_INPUT, EXIT_OUTPUT, Format, err
from cbecopt.errors import OptionError
from cbecopt.report import labelled


def out_path(text: str | Path) -> Path:
    """Parse an output option (Typer ``parser``): an empty path is a usage error (exit 2)."""
    try:
        return outputs.output_path(text)
    except OptionError as exc:
        raise typer.BadParameter(str(exc)) from None


def input_paths(path: str, fmt: Format = Format.auto) -> tuple[Path, ...]:
    """What a command reads for ``path``: the folder, workbook or file (a bundled name resolves
    to its folder), and for SMPS the time and stoch files beside the core file."""
    source = resolve_path(path)
    if fmt != Format.smps:
        return (source,)
    from cbecopt.readers.smps import _STOCH_SUFFIXES, _TIME_SUFFIXES

    suffixes = [v for s in (*_TIME_SUFFIXES, *_STOCH_SUFFIXES) for v in (s, s.upper())]
    return (source, *(source.with_suffix(s) for s in suffixes))


def check_output(
    target: Path | None, *inputs: Path, names: tuple[str, ...] = ()
) -> outputs.Destination | None:
    """Check an output before the computation (see :func:`cbecopt.outputs.prepare`).

    A folder the check makes is removed again when the command ends without writing into it.
    """
    if target is None:
        return None
    destination = outputs.prepare(target, inputs, names)
    _prepared.append(destination)
    return destination


_prepared: list[outputs.Destination] = []
"""Outputs checked by this process; :func:`discard_unused` removes the folders made for them
and never written into (also at interpreter exit, for commands run in-process)."""


@atexit.register
def discard_unused() -> None:
    """Remove the folders :func:`check_output` made for outputs that were never written."""
    while _prepared:
        _prepared.pop().discard()


@dataclass(frozen=True)
class Delivered:
    """Where an output went, and the exit code when that is not where it was asked to go."""

    path: Path | None = None
    exit_code: int | None = None


def deliver(destination: outputs.Destination | None, write: Callable[[Path], object]) -> Delivered:
    """Write the output with ``write(path)``; if the destination fails, rescue the result.

    A disk that fails (full, gone read-only) gives exit code 5, a file cbecopt did not write
    that appeared under one of the output's names exit code 2; either way the result goes to
    a fresh folder under the system's temporary directory, and the message says where.
    """
    if destination is None:
        return Delivered()
    try:
        write(destination.path)
        return Delivered(destination.path)
    except outputs.OutputRefused as exc:
        reason, code = str(exc), EXIT_INPUT
    except OSError as exc:
        reason, code = f"could not write {destination.path}: {exc.strerror or exc}", EXIT_OUTPUT
    destination.discard()
    rescue = Path(tempfile.gettempdir()) / f"cbecopt-rescued-{os.getpid()}-{secrets.token_hex(3)}"
    target = rescue / destination.path.name if destination.workbook else rescue
    try:
        rescue.mkdir()
        write(target)
    except (OSError, outputs.OutputRefused) as exc:
        err.print(labelled("error:", "bold red", f"{reason}\nand not into {rescue} either: {exc}"))
        return Delivered(None, code)
    err.print(
        labelled("error:", "bold red", f"{reason}\nthe result was written to {target} instead")
    )
    return Delivered(target, code)


def write_tables(
    target: Path,
    tables: dict[str, pd.DataFrame],
    extra: dict[str, outputs.Writer] | None = None,
) -> Path:
    """Write each table as ``NAME.csv``, and the ``extra`` files (name -> writer), into the
    folder ``target`` as one output (its manifest in ``.cbecopt-manifest.json``)."""
    files = {f"{name}.csv": outputs.csv_file(table) for name, table in tables.items()}
    return outputs.write_folder(target, {**files, **(extra or {})})
