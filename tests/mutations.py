"""Broken copies of a valid instance, made the way a person breaks a file.

An instance is written once as a CSV folder and once as a workbook; a :class:`Mutation`
edits one table (or the settings) of a copy as a person would in a text editor or in Excel:
a cell cleared or overtyped, a row duplicated, a column removed or renamed, a header
repeated, a line cut short. Each mutation says where it hit (:class:`Hit`: the row as the
person counts it and the column), so a test can check that the error names that place.

Rows: the files written here have the header on row 1 and one record per line, so data row
``k`` (0-based) is row ``k + 2`` in the CSV file and in the sheet alike.
"""

from __future__ import annotations

import csv
import functools
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import tomli_w

from cbecopt.fields import MONTH, NUMERIC
from cbecopt.readers.workbook import META_SHEET
from cbecopt.schemas import SCHEMAS

CSV, XLSX = "csv", "xlsx"
SETTINGS = "settings"
"""The pseudo-table of a mutation of the settings (``instance.toml`` or the meta sheet)."""

UNKNOWN_ID = "nowhere-0"
"""A node, SKU or scenario id no instance here defines."""

REFERENCES = {
    "arcs": ("origin", "destination"),
    "demand": ("market", "sku", "scenario"),
    "contracts": ("supplier", "sku"),
    "offers": ("supplier", "sku"),
    "price_breaks": ("supplier", "sku"),
    "products": ("origin",),
}
"""Columns that name a row of another table (a node, a SKU, a scenario)."""


@dataclass(frozen=True)
class Hit:
    """Where a mutation hit: the row a person sees (``None``: no one row) and the column."""

    row: int | None
    column: str | None


@dataclass
class Sheet:
    """One table as a person edits it: a header and rows of cells (text in a CSV file,
    typed values in a workbook)."""

    header: list
    rows: list[list]
    fmt: str

    def number(self, value: float) -> object:
        """A number typed into a cell: text in a CSV file, a number cell in a workbook."""
        return repr(value) if self.fmt == CSV else value

    def blank(self) -> object:
        return "" if self.fmt == CSV else None

    def position(self, column: str) -> int:
        return self.header.index(column)

    def target_row(self, column: str | None = None) -> int:
        """The data row a mutation edits: the middle one, or the nearest below it with a
        value in ``column`` (a cleared cell must have held something)."""
        middle = len(self.rows) // 2
        if column is None:
            return middle
        j = self.position(column)
        order = [*range(middle, len(self.rows)), *range(middle)]
        return next((k for k in order if _filled(self.rows[k][j])), middle)


def _filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


@dataclass(frozen=True)
class Mutation:
    """One way of breaking one table (``column`` ``None``: the mutation is about rows or the
    header as a whole). ``apply`` edits a :class:`Sheet` in place and returns the hit.

    A mutation of the settings (table :data:`SETTINGS`) sets the dotted key ``column`` to
    ``value`` instead.
    """

    kind: str
    table: str
    column: str | None
    apply: Callable[[Sheet, str | None], Hit] | None = None
    value: object = None

    @property
    def id(self) -> str:
        return (
            f"{self.table}.{self.column}:{self.kind}"
            if self.column
            else f"{self.table}:{self.kind}"
        )


# --- cell edits ---------------------------------------------------------------------------


def _set_cell(value: Callable[[Sheet], object]) -> Callable[[Sheet, str | None], Hit]:
    def apply(sheet: Sheet, column: str | None) -> Hit:
        k = sheet.target_row(column)
        sheet.rows[k][sheet.position(column)] = value(sheet)
        return Hit(k + 2, column)

    return apply


CELL_EDITS: dict[str, Callable[[Sheet], object]] = {
    "text": lambda s: "abc",
    "negative": lambda s: s.number(-5.0),
    "huge": lambda s: s.number(1e16),
    "tiny": lambda s: s.number(1e-9),
    "nan": lambda s: "nan",
    "inf": lambda s: "inf",
}
"""What is typed over a number: text, a negative number, 1e16 (\"unlimited\"), 1e-9, and
the texts NaN and inf."""


# --- row and header edits -----------------------------------------------------------------


def _duplicate_row(sheet: Sheet, column: str | None) -> Hit:
    sheet.rows.append(list(sheet.rows[sheet.target_row()]))
    return Hit(len(sheet.rows) + 1, None)


def _drop_column(sheet: Sheet, column: str | None) -> Hit:
    j = sheet.position(column)
    sheet.header.pop(j)
    for cells in sheet.rows:
        cells.pop(j)
    return Hit(None, column)


def typo(name: str) -> str:
    """A misspelling of a column name: one letter dropped, or a capital for short names."""
    return name[:-2] + name[-1] if len(name) > 4 else name.capitalize()


def _rename_column(sheet: Sheet, column: str | None) -> Hit:
    sheet.header[sheet.position(column)] = typo(column)
    return Hit(None, column)


def _row_short(sheet: Sheet, column: str | None) -> Hit:
    k = sheet.target_row()
    sheet.rows[k].pop()
    return Hit(k + 2, None)


def _row_long(sheet: Sheet, column: str | None) -> Hit:
    k = sheet.target_row()
    sheet.rows[k].append("7")
    return Hit(k + 2, None)


def _duplicate_header(sheet: Sheet, column: str | None) -> Hit:
    sheet.header.append(sheet.header[0])
    for cells in sheet.rows:
        cells.append(cells[0])
    return Hit(1, sheet.header[0])


# --- which mutations a table gets ---------------------------------------------------------

EVERY_PAIR, EVERY_COLUMN, EVERY_KIND = "every pair", "every column", "every kind"
"""How thoroughly kinds of mutation meet columns: each kind on each column; a covering in
which each kind and each column occur at least once; each kind once, on columns taken from
the last."""


def cover(kinds: list[str], columns: list[str], coverage: str) -> list[tuple[str, str]]:
    """(kind, column) pairs of the ``coverage`` asked for."""
    if not kinds or not columns:
        return []
    if coverage == EVERY_PAIR:
        return [(k, c) for c in columns for k in kinds]
    if coverage == EVERY_KIND:  # from the last column: the optional ones come last
        return [(kind, columns[-1 - i % len(columns)]) for i, kind in enumerate(kinds)]
    count = max(len(kinds), len(columns))
    return [(kinds[i % len(kinds)], columns[i % len(columns)]) for i in range(count)]


COLUMN_EDITS: dict[str, Callable[[Sheet, str | None], Hit]] = {
    **{kind: _set_cell(value) for kind, value in CELL_EDITS.items()},
    "blank": _set_cell(lambda s: s.blank()),
    "renamed_column": _rename_column,
    "missing_column": _drop_column,
    "unknown_reference": _set_cell(lambda s: UNKNOWN_ID),
    "month_label": _set_cell(lambda s: "2027-01"),
    "month_15": _set_cell(lambda s: s.number(15.0) if s.fmt == XLSX else "15"),
}
"""Mutations of one column, by kind."""

ROW_EDITS: dict[str, Callable[[Sheet, str | None], Hit]] = {
    "duplicate_row": _duplicate_row,
    "duplicate_header": _duplicate_header,
    "field_too_many": _row_long,
    "field_too_few": _row_short,
}
"""Mutations of a row or of the header, by kind (a field too few is a CSV line's fault only:
a sheet has no field count)."""


def table_mutations(table: str, header: list[str], fmt: str, coverage: str) -> list[Mutation]:
    """The mutations of ``table`` (its columns as written) for the format and coverage."""
    schema = SCHEMAS[table]
    known = [c for c in header if schema.field(c) is not None]
    families = (
        (list(CELL_EDITS), [c for c in known if schema.field(c).kind in NUMERIC]),
        (["blank", "renamed_column"], header),
        (["missing_column"], [c for c in known if schema.field(c).required]),
        (["unknown_reference"], [c for c in REFERENCES.get(table, ()) if c in header]),
        (["month_label", "month_15"], [c for c in known if schema.field(c).kind == MONTH]),
    )
    mutations = [
        Mutation(kind, table, column, COLUMN_EDITS[kind])
        for kinds, columns in families
        for kind, column in cover(kinds, columns, coverage)
    ]
    rows = [k for k in ROW_EDITS if fmt == CSV or k != "field_too_few"]
    return mutations + [Mutation(kind, table, None, ROW_EDITS[kind]) for kind in rows]


# --- settings -----------------------------------------------------------------------------


def settings_mutations(changes: dict[str, tuple[str, object]]) -> list[Mutation]:
    """One mutation per (kind -> (dotted key, value)): a setting set to ``value``."""
    return [Mutation(kind, SETTINGS, key, value=value) for kind, (key, value) in changes.items()]


# --- applying a mutation to a copy --------------------------------------------------------


def broken_copy(base: Path, fmt: str, mutation: Mutation, target: Path) -> tuple[Path, Hit]:
    """A copy of ``base`` (a folder or a workbook) at ``target`` with ``mutation`` applied."""
    if fmt == CSV:
        shutil.copytree(base, target)
        return target, _mutate_folder(target, mutation)
    target = target.with_suffix(".xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target, _mutate_workbook(base, target, mutation)


def _mutate_folder(folder: Path, mutation: Mutation) -> Hit:
    if mutation.table == SETTINGS:
        path = folder / "instance.toml"
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
        section, key = mutation.column.split(".")
        meta.setdefault(section, {})[key] = mutation.value
        path.write_text(tomli_w.dumps(meta), encoding="utf-8")
        return Hit(None, None)
    path = folder / f"{mutation.table}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        header, *rows = list(csv.reader(file))
    sheet = Sheet(header, rows, CSV)
    hit = mutation.apply(sheet, mutation.column)
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows([sheet.header, *sheet.rows])
    return hit


def _set_meta_row(rows: list[list], key: str, value: object) -> Hit:
    """Set ``key`` in the meta sheet's rows: its value overtyped, or a row added for it."""
    for number, cells in enumerate(rows, start=1):
        if cells and cells[0] == key:
            cells[1] = value
            return Hit(number, None)
    rows.append([key, value])
    return Hit(len(rows), None)


@functools.cache
def _sheets(base: Path) -> dict[str, tuple[tuple, ...]]:
    """Every sheet of the base workbook as rows of cell values, each as long as the
    longest (read once; a row may end before its blank cells)."""
    book = openpyxl.load_workbook(base, read_only=True)
    try:
        sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()
    return {
        name: tuple(cells + (None,) * (max(map(len, rows)) - len(cells)) for cells in rows)
        for name, rows in sheets.items()
    }


def _mutate_workbook(base: Path, target: Path, mutation: Mutation) -> Hit:
    """Write the base workbook's sheets to ``target``, the mutated one edited."""
    sheets = {name: [list(cells) for cells in rows] for name, rows in _sheets(base).items()}
    if mutation.table == SETTINGS:
        hit = _set_meta_row(sheets[META_SHEET], mutation.column, mutation.value)
    else:
        header, *rows = sheets[mutation.table]
        sheet = Sheet(header, rows, XLSX)
        hit = mutation.apply(sheet, mutation.column)
        sheets[mutation.table] = [sheet.header, *sheet.rows]
    book = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for cells in rows:
            ws.append(cells)
    book.save(target)
    return hit
