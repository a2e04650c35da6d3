"""An instance as one ``.xlsx`` workbook: one sheet per table plus a ``meta`` sheet.

The ``meta`` sheet has two columns, ``key`` and ``value``; keys are dotted paths into the
``instance.toml`` structure (``instance.name``, ``warehouses.single_source``), and a value
keeps its cell's type (text, number, boolean, date) for :mod:`cbecopt.settings` to check.

In every sheet the header is the first row with a value; rows keep their Excel numbers
(blank rows above or between count). A cell right of the header's last column that holds a
value, and a formula whose value the workbook never saved (a file written by a program and
never opened in Excel, which reads as blank), are errors: the reader would otherwise drop
what the person sees.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from cbecopt.errors import InputError, Problem
from cbecopt.readers import RawInstance
from cbecopt.readers.grid import Grid, is_blank, table_from_grid

META_SHEET = "meta"
META_COLUMNS = ("key", "value")

Rows = list[tuple[int, list]]
"""A sheet's rows with a value: (Excel row number, cells as the workbook holds them)."""


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return str(value)


def read_workbook(path: Path) -> RawInstance:
    """Read every sheet of the workbook; cells are kept as text exactly as a CSV would hold them."""
    values = _read_sheets(path, saved_values=True)
    formulas = _read_sheets(path, saved_values=False) if _has_formulas(path) else {}
    if META_SHEET not in values:
        raise InputError(Problem(path.name, f"has no '{META_SHEET}' sheet (columns key, value)"))
    raw = RawInstance(path, {}, {}, meta_source=_source(path, META_SHEET))
    for name, rows in values.items():
        source = _source(path, name)
        problems = _unsaved_formulas(rows, formulas.get(name, []), source)
        grid, beyond = _grid(rows, source)
        table, header_problems = table_from_grid(grid) if grid else (pd.DataFrame(), [])
        problems += beyond + header_problems
        raw.problems.extend(problems)
        if name == META_SHEET:
            raw.meta, raw.meta_rows = (
                _meta(table, rows, grid, source, raw.problems) if table is not None else (None, {})
            )
            continue
        raw.sources[name] = source
        if problems or table is None:
            raw.unreadable.add(name)
        else:
            raw.tables[name] = table
    return raw


def _source(path: Path, sheet: str) -> str:
    return f"{path.name}, sheet '{sheet}'"


def _read_sheets(path: Path, saved_values: bool) -> dict[str, Rows]:
    """Each sheet's non-blank rows; ``saved_values`` gives what Excel saved for formula
    cells (blank if never computed), otherwise the formulas themselves."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=saved_values)
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise InputError(
            Problem(path.name, f"cannot be opened as an .xlsx workbook: {exc}")
        ) from None
    try:
        sheets = {}
        for ws in book.worksheets:
            ws.reset_dimensions()  # trust the cells, not the size the file declares
            rows = enumerate(ws.iter_rows(values_only=True), start=1)
            sheets[ws.title] = [
                (number, list(cells)) for number, cells in rows if any(_has_value(c) for c in cells)
            ]
        return sheets
    finally:
        book.close()


_FORMULA = re.compile(rb"<(\w+:)?f[ >]")
"""A formula element of a worksheet part (``<f>``, ``<f t="shared" ...>``, ``<x:f>``)."""


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet holds a formula: a scan of the sheets' XML that spares the
    second, slower reading of a workbook without formulas (most written by programs)."""
    with zipfile.ZipFile(path) as archive:
        return any(
            _FORMULA.search(archive.read(name))
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _has_value(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _unsaved_formulas(values: Rows, formulas: Rows, source: str) -> list[Problem]:
    """Cells that hold a formula but no saved value (they would read as blank)."""
    saved = {number: cells for number, cells in values}
    header = [_cell_text(c) for c in values[0][1]] if values else []
    problems = []
    for number, cells in formulas:
        row = saved.get(number, [])
        for position, formula in enumerate(cells):
            if not (isinstance(formula, str) and formula.startswith("=")):
                continue
            if position < len(row) and row[position] is not None:
                continue
            name = header[position].strip() if position < len(header) else ""
            problems.append(
                Problem(
                    source,
                    f"cell {get_column_letter(position + 1)}{number} holds a formula "
                    f"without a saved value ({formula}): open and save the workbook in Excel, "
                    "or type the value",
                    number,
                    name or get_column_letter(position + 1),
                )
            )
    return problems


def _grid(rows: Rows, source: str) -> tuple[Grid | None, list[Problem]]:
    """The sheet as a grid of text cells, and any value right of the header's last column."""
    if not rows:
        return None, []
    (header_row, header_cells), *body = rows
    header = [_cell_text(c) for c in header_cells]
    while header and not header[-1].strip():
        header.pop()
    width = len(header)
    last = get_column_letter(width)
    problems = []
    numbers, grid_rows = [], []
    for number, cells in body:
        text = [_cell_text(c) for c in cells]
        for position in range(width, len(text)):
            if text[position].strip():
                problems.append(
                    Problem(
                        source,
                        f"'{text[position]}' is right of the header's last column ({last}): "
                        "give its column a header, or delete it",
                        number,
                        get_column_letter(position + 1),
                    )
                )
        text = (text + [""] * width)[:width]
        if not is_blank(text):
            numbers.append(number)
            grid_rows.append(text)
    return Grid(source, header_row, header, numbers, grid_rows, _column_label), problems


def _column_label(position: int) -> str:
    return f"column {get_column_letter(position + 1)}"


def _meta(
    table: pd.DataFrame, rows: Rows, grid: Grid, source: str, problems: list[Problem]
) -> tuple[dict | None, dict[str, int]]:
    """The settings of the meta sheet, nested by their dotted keys, and the row of each key
    (``None`` when the sheet lacks its columns).

    Values keep their cell type. A blank value leaves the setting unset; a value without a
    key, a key given twice and a key nested under a plain value are errors.
    """
    extra = [c for c in table.columns if c not in META_COLUMNS]
    missing = [c for c in META_COLUMNS if c not in table.columns]
    for column in missing:
        problems.append(Problem(source, "required column is missing", column=column))
    for column in extra:
        problems.append(
            Problem(source, "the meta sheet has the columns key and value only", column=column)
        )
    if missing or extra:
        return None, {}
    cells = dict(rows)
    names = [name.strip() for name in grid.header]
    where = {name: names.index(name) for name in META_COLUMNS}
    meta: dict = {}
    key_rows: dict[str, int] = {}
    for index, key in table["key"].items():
        number = int(index) + 2
        row = cells[number]
        value = row[where["value"]] if where["value"] < len(row) else None
        key = key.strip()
        if not key:
            problems.append(Problem(source, "a value without a key", number, "key"))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key in key_rows:
            problems.append(
                Problem(
                    source,
                    f"'{key}' is set twice: rows {key_rows[key]} and {number}",
                    number,
                    "key",
                )
            )
            continue
        problems.extend(_place(meta, key, value, source, number))
        key_rows[key] = number
    return meta, key_rows


def _place(meta: dict, key: str, value: object, source: str, number: int) -> list[Problem]:
    """Set ``meta[a][b] = value`` for the key ``a.b``."""
    *sections, last = key.split(".")
    target = meta
    for part in sections:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            return [Problem(source, f"key '{key}' clashes with a value set earlier", number, "key")]
    if isinstance(target.get(last), dict):
        return [Problem(source, f"key '{key}' clashes with a value set earlier", number, "key")]
    target[last] = value
    return []


def meta_rows(meta: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Flatten nested metadata into ``(dotted key, value)`` rows for the ``meta`` sheet."""
    rows: list[tuple[str, object]] = []
    for key, value in meta.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(meta_rows(value, dotted + "."))
        else:
            rows.append((dotted, value))
    return rows
