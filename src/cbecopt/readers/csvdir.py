"""An instance folder: ``instance.toml`` plus one CSV file per table.

Lines are read with the :mod:`csv` module, which knows where each record starts, so every
message names the file's own line number (the header is line 1; blank lines and quoted
fields spanning lines count). A line with fewer or more fields than the header is an error:
a short line would otherwise leave its last cells blank, which for a cost means 0.
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pandas as pd

from cbecopt.errors import InputError, Problem
from cbecopt.outputs import recover
from cbecopt.readers import META_FILE, RawInstance
from cbecopt.readers.grid import Grid, is_blank, table_from_grid


def read_csv_table(path: Path) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV file with every cell as text, so nothing is guessed or silently converted.

    Returns the table (``None`` when its lines do not match its header) and the problems.
    An empty file is an empty table.
    """
    try:
        grid = _grid(path)
    except InputError as exc:
        return None, exc.problems
    if grid is None:
        return pd.DataFrame(), []
    width = len(grid.header)
    problems = [
        Problem(
            path.name,
            f"has {len(cells)} field{'s' if len(cells) != 1 else ''}, the header has {width}"
            + (" (a missing comma or cell?)" if len(cells) < width else ""),
            number,
        )
        for number, cells in zip(grid.numbers, grid.rows, strict=True)
        if len(cells) != width
    ]
    if problems:
        return None, problems
    return table_from_grid(grid)


def _grid(path: Path) -> Grid | None:
    """The header and the non-blank records of ``path`` with the line each starts on."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(path.name, "is not UTF-8 text (save it as CSV UTF-8)", line)
        ) from None
    starts, records = _records(text, path)
    kept = [k for k, cells in enumerate(records) if not is_blank(cells)]
    if not kept:
        return None
    header, *body = kept
    return Grid(
        path.name,
        starts[header],
        records[header],
        [starts[k] for k in body],
        [records[k] for k in body],
        lambda position: f"column {position + 1}",
    )


def _records(text: str, path: Path) -> tuple[list[int] | range, list[list[str]]]:
    """Every record of the file (blank lines as empty records) and the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    try:
        if '"' not in text:  # without quotes every line is one record
            records = list(reader)
            return range(1, len(records) + 1), records
        starts, records, end = [], [], 0
        for cells in reader:
            starts.append(end + 1)
            records.append(cells)
            end = reader.line_num
        return starts, records
    except csv.Error as exc:
        raise InputError(
            Problem(path.name, f"cannot be read as CSV: {exc}", reader.line_num)
        ) from None


def read_meta(folder: Path) -> dict:
    """Read ``instance.toml``; a missing file is an error, as the folder is then not an instance."""
    path = folder / META_FILE
    if not path.is_file():
        raise InputError(
            Problem(
                META_FILE, f"missing: an instance folder needs {META_FILE} (name, description, ...)"
            )
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(META_FILE, f"is not valid TOML: {exc}")) from None


def read_csv_folder(folder: Path) -> RawInstance:
    """Read every ``*.csv`` in ``folder`` as a table named after the file."""
    recover(folder)  # a cbecopt write into this folder that a killed run left half done
    meta = read_meta(folder)
    raw = RawInstance(folder, meta, {})
    for path in sorted(folder.glob("*.csv")):
        table, problems = read_csv_table(path)
        raw.sources[path.stem] = path.name
        raw.problems.extend(problems)
        if table is None:
            raw.unreadable.add(path.stem)
        else:
            raw.tables[path.stem] = table
    return raw
