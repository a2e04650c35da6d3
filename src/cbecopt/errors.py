"""Errors a user can act on.

Every problem found in an input is collected into one :class:`InputError`, each naming the
file (or workbook sheet), the row as a person counts it in that file, and the column. The CLI
prints them all and exits non-zero; it never shows a traceback for bad input.

A broken column can hold thousands of bad cells: the message of an :class:`InputError` shows
the first :data:`SHOWN_PROBLEMS` problems and counts the rest by kind (the same message in
the same file and column), while ``InputError.problems`` keeps every one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

SHOWN_PROBLEMS = 50
"""How many problems an error message lists one by one; the rest are counted by kind."""

_QUOTED = re.compile(r"'[^']*'")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?(?![\w.])")


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
        return f"{self.place}: {self.message}"

    @property
    def place(self) -> str:
        """Where the problem is: file (or sheet), row and column as far as known."""
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return where

    @property
    def kind(self) -> str:
        """The message with its quoted values and numbers blanked out (``'…' is not a number``),
        so problems that differ only in the offending value count as one kind."""
        return _NUMBER.sub("N", _QUOTED.sub("'…'", self.message))


def problem_counts(problems: list[Problem]) -> list[tuple[int, Problem]]:
    """How many problems there are of each kind in each file and column, most frequent first.

    Each kind is represented by its first problem (its row is not meaningful for the group).
    """
    groups: Counter = Counter()
    first: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.kind, p.file, p.column)
        groups[key] += 1
        first.setdefault(key, p)
    return [(count, first[key]) for key, count in groups.most_common()]


def describe_group(count: int, problem: Problem) -> str:
    """One line for ``count`` problems of the same kind as ``problem``."""
    where = problem.file + (f", column '{problem.column}'" if problem.column is not None else "")
    return f'{count:,} x "{problem.kind}" in {where}'


class CbecoptError(Exception):
    """Base class for errors cbecopt reports to a user without a traceback."""


class InputError(CbecoptError):
    """One or more problems in an input; ``problems`` lists every one found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        count = len(self.problems)
        lines = [f"{count:,} problem{'s' if count != 1 else ''} in the input:"]
        lines += [f"  - {p}" for p in self.shown]
        hidden = self.problems[SHOWN_PROBLEMS:]
        if hidden:
            lines.append(f"  and {len(hidden):,} more:")
            lines += [f"    {describe_group(n, p)}" for n, p in problem_counts(hidden)]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return (InputError, (self.problems,))

    @property
    def shown(self) -> list[Problem]:
        """The problems a message lists one by one (the first :data:`SHOWN_PROBLEMS`)."""
        return self.problems[:SHOWN_PROBLEMS]

    @property
    def hidden_counts(self) -> list[tuple[int, Problem]]:
        """The problems beyond :attr:`shown`, counted by kind, file and column."""
        return problem_counts(self.problems[SHOWN_PROBLEMS:])


class OptionError(CbecoptError):
    """An option or setting that makes no sense (e.g. a negative time limit).

    ``option`` names the parameter at fault when there is one (``n_markets``), so a command
    line can name its own flag for it (see :meth:`naming`).
    """

    def __init__(self, message: str, option: str | None = None):
        self.message = message
        self.option = option
        super().__init__(f"{option}: {message}" if option else message)

    def __reduce__(self):
        return (OptionError, (self.message, self.option))

    def naming(self, flags: Mapping[str, str]) -> OptionError:
        """The same error with its parameter named as ``flags`` says (``--markets``)."""
        return OptionError(self.message, flags.get(self.option, self.option))
