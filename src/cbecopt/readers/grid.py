"""A table as a person sees it in a file: a header row and numbered rows of text cells.

The CSV and the workbook reader each check what only their format shows (a CSV line with a
field too many or too few, a workbook cell to the right of the header or a formula without a
saved value), then hand a :class:`Grid` to :func:`table_from_grid`, which checks the header
the same way for both: every column named once, no values under a column without a name.

Rows keep the numbers a person sees: a CSV's line numbers (blank lines and multi-line quoted
fields counted), a sheet's Excel row numbers (blank rows counted). The table's index is that
row number minus 2, so ``index + 2`` names the row in every message, as for a table whose
header is row 1 and whose data follow without gaps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from cbecopt.errors import Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grid:
    """What a reader found in one file or sheet, before the header is checked.

    Attributes
    ----------
    source : the file or sheet as messages name it (``nodes.csv``, ``a.xlsx, sheet 'nodes'``).
    header_row : the row number of the header.
    header : the header cells as text.
    numbers : the row number of each row below the header with a value.
    rows : those rows' cells as text, each as long as the header.
    label : how a person names the column at a 0-based position (``column 5``, ``column E``).
    """

    source: str
    header_row: int
    header: list[str]
    numbers: list[int]
    rows: list[list[str]]
    label: Callable[[int], str]


def table_from_grid(grid: Grid) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table of ``grid`` (every cell text), or ``None`` and the problems with its header.

    A column named twice is an error naming both positions. A column without a name is an
    error when any of its cells holds a value, and is dropped with a warning when all are
    empty (a trailing comma on every line of a CSV file carries nothing).
    """
    names = [name.strip() for name in grid.header]
    problems = _repeated_names(grid, names)
    kept = []
    for position, name in enumerate(names):
        if name:
            kept.append(position)
            continue
        filled = next(
            (
                n
                for n, cells in zip(grid.numbers, grid.rows, strict=True)
                if cells[position].strip()
            ),
            None,
        )
        if filled is None:
            log.warning(
                "%s: %s has no header and no values; it is ignored",
                grid.source,
                grid.label(position),
            )
        else:
            problems.append(
                Problem(
                    grid.source,
                    f"{grid.label(position)} has no header but holds values (first in row "
                    f"{filled}): name the column in the header, or delete it",
                    grid.header_row,
                )
            )
    if problems:
        return None, problems
    frame = pd.DataFrame(grid.rows, columns=names, index=row_index(grid.numbers), dtype=object)
    return frame.iloc[:, kept], []


def _repeated_names(grid: Grid, names: list[str]) -> list[Problem]:
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(names):
        if name:
            positions.setdefault(name, []).append(position)
    return [
        Problem(
            grid.source,
            f"the header names '{name}' more than once: "
            + " and ".join(grid.label(p) for p in where),
            grid.header_row,
            name,
        )
        for name, where in positions.items()
        if len(where) > 1
    ]


def row_index(numbers: list[int]) -> pd.Index:
    """The index of rows with these row numbers: each row number minus 2."""
    if numbers == list(range(2, len(numbers) + 2)):
        return pd.RangeIndex(len(numbers))
    return pd.Index([n - 2 for n in numbers], dtype="int64")


def is_blank(cells: list[str]) -> bool:
    """Whether a row holds no value at all (a person sees an empty line or row)."""
    return not "".join(cells).strip()
