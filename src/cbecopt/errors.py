"""Errors a user can act on.

Every problem found in an input is collected into one :class:`InputError`, each naming the
file (or workbook sheet), the row as a person counts it in that file, and the column. The CLI
prints them all and exits non-zero; it never shows a traceback for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``row`` is the line number in a CSV file (the header is line 1) or the row number in a
    workbook sheet; ``None`` when the problem concerns the whole file or column.
    """

    file: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class CbecoptError(Exception):
    """Base class for errors cbecopt reports to a user without a traceback."""


class InputError(CbecoptError):
    """One or more problems in an input; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        count = len(self.problems)
        header = f"{count} problem{'s' if count != 1 else ''} in the input:"
        super().__init__("\n".join([header, *(f"  - {p}" for p in self.problems)]))


class OptionError(CbecoptError):
    """An option or setting that makes no sense (e.g. a negative time limit)."""
