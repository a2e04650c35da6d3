"""The deterministic part of an SMPS problem: the core (``.cor``, free-format MPS) and the
time file (``.tim``) that cuts its columns and rows into two stages.

See :mod:`cbecopt.readers.smps` for what is read and how; every problem in a file raises
:class:`~cbecopt.errors.InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from cbecopt.errors import InputError, Problem

INFINITE_BOUND = 1e20
"""Values of at least this magnitude are infinite, as in HiGHS."""


def fail(file: str, message: str, line: int | None = None, field: str | None = None) -> NoReturn:
    raise InputError(Problem(file, message, line, field))


@dataclass(frozen=True)
class Lines:
    """The meaningful lines of one file: (line number, text, tokens), blanks and ``*`` comments dropped."""

    name: str
    lines: list[tuple[int, str, list[str]]]
    last: int

    @classmethod
    def read(cls, path: Path) -> Lines:
        try:
            text = path.read_bytes().decode("latin-1")
        except OSError as exc:
            raise InputError(Problem(path.name, f"cannot be read: {exc.strerror}")) from None
        raw = text.split("\n")
        lines = []
        for number, line in enumerate(raw, start=1):
            line = line.rstrip("\r")
            tokens = line.split()
            if tokens and not tokens[0].startswith("*"):
                lines.append((number, line, tokens))
        return cls(path.name, lines, len(raw) - (raw[-1] == ""))

    def __iter__(self) -> Iterator[tuple[int, str, list[str]]]:
        return iter(self.lines)

    def number(self, token: str, line: int, field: str) -> float:
        try:
            value = float(token)
        except ValueError:
            problem = Problem(self.name, f"'{token}' is not a number", line, field)
            raise InputError(problem) from None
        if math.isnan(value):
            fail(self.name, "NaN is not a value", line, field)
        return value

    def truncated(self, section: str) -> NoReturn:
        if not self.lines:
            fail(self.name, "is empty", None)
        fail(self.name, f"ends in section {section} without ENDATA (truncated?)", self.last)


def header(line: str, tokens: list[str], bare: set[str], with_args: set[str]) -> str | None:
    """The section keyword a line opens, or None for a data line.

    Headers start in column 1; a bare keyword (ROWS, RHS, ...) followed by more tokens is data
    (free-format files may write ``RHS c1 5`` unindented, naming the RHS set ``RHS``).
    """
    if line[:1].isspace():
        return None
    head = tokens[0].upper()
    if (head in bare and len(tokens) == 1) or head in with_args:
        return head
    return None


def unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] == "'" else token


def _bound_value(value: float) -> float:
    if value >= INFINITE_BOUND:
        return math.inf
    if value <= -INFINITE_BOUND:
        return -math.inf
    return value


@dataclass
class Core:
    """The deterministic core as arrays; rows are the constraint rows (objective excluded)."""

    file: str
    name: str
    objective: str | None
    rhs_set: str | None
    row_names: list[str]
    row_index: dict[str, int]
    row_type: np.ndarray
    rhs: np.ndarray
    ranges: np.ndarray
    free_rows: set[str]
    col_names: list[str]
    col_index: dict[str, int]
    integer: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    cost: np.ndarray
    objective_constant: float
    a_row: np.ndarray
    a_col: np.ndarray
    a_val: np.ndarray
    a_line: np.ndarray

    @functools.cached_property
    def entries(self) -> dict[tuple[int, int], float]:
        """The matrix coefficients by (row, column)."""
        positions = zip(self.a_row.tolist(), self.a_col.tolist(), strict=True)
        return dict(zip(positions, self.a_val.tolist(), strict=True))

    def value(self, key: tuple) -> float:
        """The core's value of a random element: ``("rhs", row)``, ``("cost", column)`` or
        ``("coef", row, column)`` (0 for a coefficient the core does not list)."""
        if key[0] == "rhs":
            return float(self.rhs[key[1]])
        if key[0] == "cost":
            return float(self.cost[key[1]])
        return self.entries.get(key[1:], 0.0)


def read_core(path: Path) -> Core:
    """Parse a free-format MPS file."""
    src = Lines.read(path)
    name = path.stem
    objective: str | None = None
    free_rows: set[str] = set()
    row_names: list[str] = []
    row_index: dict[str, int] = {}
    row_types: list[str] = []
    col_names: list[str] = []
    col_index: dict[str, int] = {}
    integer: list[bool] = []
    cost: dict[int, float] = {}
    a_row: list[int] = []
    a_col: list[int] = []
    a_val: list[float] = []
    a_line: list[int] = []
    seen: set[tuple[int, int]] = set()
    rhs: dict[int, float] = {}
    ranges: dict[int, float] = {}
    bounds: dict[int, list] = {}  # column -> [lower, upper, forced integer]
    sets = {"RHS": None, "RANGES": None, "BOUNDS": None}
    constant = 0.0
    in_integer_block = False
    section = None
    found: set[str] = set()
    bare = {"ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS", "ENDATA", "OBJSENSE"}
    with_args = {"NAME", "OBJSENSE", "OBJSENS", "OBJNAME", "SOS", "QUADOBJ", "QMATRIX", "QSECTION"}

    def row_of(token: str, line: int) -> int | None:
        """Constraint row index; None for the objective or an ignored free row."""
        if token in row_index:
            return row_index[token]
        if token == objective or token in free_rows:
            return None
        fail(src.name, f"unknown row '{token}' (not declared in ROWS)", line, "row")

    def set_name(kind: str, token: str, line: int) -> None:
        if sets[kind] is None:
            sets[kind] = token
        elif sets[kind] != token:
            fail(
                src.name,
                f"a second {kind} set '{token}' (only one, '{sets[kind]}', is supported)",
                line,
                kind,
            )

    for line, text, tok in src:
        head = header(text, tok, bare, with_args)
        if head is not None:
            if head in ("NAME",):
                name = tok[1] if len(tok) > 1 else name
            elif head in ("OBJSENSE", "OBJSENS") and len(tok) > 1:
                _objsense(src.name, tok[1], line)
            elif head in ("OBJNAME", "SOS", "QUADOBJ", "QMATRIX", "QSECTION"):
                fail(src.name, f"section {head} is not supported", line, "section")
            section = head
            found.add(head)
            if head == "ENDATA":
                break
            continue
        if section == "ROWS":
            if len(tok) != 2 or tok[0].upper() not in ("N", "E", "L", "G"):
                fail(src.name, "a ROWS line is 'type name' with type N, E, L or G", line, "type")
            kind, row = tok[0].upper(), tok[1]
            if row in row_index or row == objective or row in free_rows:
                fail(src.name, f"row '{row}' is declared twice", line, "row")
            if kind == "N":
                if objective is None:
                    objective = row
                else:
                    free_rows.add(row)
            else:
                row_index[row] = len(row_names)
                row_names.append(row)
                row_types.append(kind)
        elif section == "COLUMNS":
            if len(tok) == 3 and unquote(tok[1]).upper() == "MARKER":
                marker = unquote(tok[2]).upper()
                if marker not in ("INTORG", "INTEND"):
                    fail(src.name, f"unknown marker '{tok[2]}'", line, "marker")
                in_integer_block = marker == "INTORG"
                continue
            if len(tok) not in (3, 5):
                fail(src.name, "a COLUMNS line is 'column row value [row value]'", line)
            col = col_index.get(tok[0])
            if col is None:
                col = col_index[tok[0]] = len(col_names)
                col_names.append(tok[0])
                integer.append(in_integer_block)
            for k in range(1, len(tok), 2):
                value = src.number(tok[k + 1], line, "value")
                row = row_of(tok[k], line)
                if row is None:
                    if tok[k] == objective:
                        if col in cost:
                            fail(src.name, f"column '{tok[0]}' has two costs", line, "row")
                        cost[col] = value
                    continue
                if (row, col) in seen:
                    fail(src.name, f"entry ({tok[0]}, {tok[k]}) is given twice", line, "row")
                seen.add((row, col))
                a_row.append(row)
                a_col.append(col)
                a_val.append(value)
                a_line.append(line)
        elif section in ("RHS", "RANGES"):
            if len(tok) not in (2, 3, 4, 5):
                fail(src.name, f"a {section} line is '[set] row value [row value]'", line)
            if len(tok) % 2:
                set_name(section, tok[0], line)
            for k in range(len(tok) % 2, len(tok), 2):
                value = src.number(tok[k + 1], line, "value")
                row = row_of(tok[k], line)
                if row is None:
                    if tok[k] == objective and section == "RHS":
                        constant = -value
                    continue
                (rhs if section == "RHS" else ranges)[row] = value
        elif section == "BOUNDS":
            col, value = _bound_line(src, tok, line, col_index, set_name)
            _apply_bound(
                src.name, tok[0].upper(), value, bounds.setdefault(col, [0.0, None, False]), line
            )
        elif section in ("OBJSENSE", "OBJSENS"):
            _objsense(src.name, tok[0], line)
        else:
            fail(src.name, "data before the first section (ROWS, COLUMNS, ...)", line)
    else:
        src.truncated(section or "(none)")
    for needed in ("ROWS", "COLUMNS"):
        if needed not in found:
            fail(src.name, f"has no {needed} section", None, "section")

    n_rows, n_cols = len(row_names), len(col_names)
    lower = np.zeros(n_cols)
    upper = np.full(n_cols, math.inf)
    is_int = np.array(integer, dtype=bool)
    for col, (lo, up, forced) in bounds.items():
        lower[col] = lo
        upper[col] = math.inf if up is None else up
        is_int[col] |= forced
    rhs_array = np.zeros(n_rows)
    rhs_array[list(rhs)] = list(rhs.values())
    range_array = np.full(n_rows, np.nan)
    range_array[list(ranges)] = list(ranges.values())
    cost_array = np.zeros(n_cols)
    cost_array[list(cost)] = list(cost.values())
    return Core(
        file=src.name,
        name=name,
        objective=objective,
        rhs_set=sets["RHS"],
        row_names=row_names,
        row_index=row_index,
        row_type=np.array(row_types, dtype="<U1"),
        rhs=rhs_array,
        ranges=range_array,
        free_rows=free_rows,
        col_names=col_names,
        col_index=col_index,
        integer=is_int,
        lower=lower,
        upper=upper,
        cost=cost_array,
        objective_constant=constant,
        a_row=np.array(a_row, np.int64),
        a_col=np.array(a_col, np.int64),
        a_val=np.array(a_val, float),
        a_line=np.array(a_line, np.int64),
    )


def _objsense(file: str, token: str, line: int) -> None:
    if token.upper() in ("MIN", "MINIMIZE", "MINIMISE"):
        return
    if token.upper() in ("MAX", "MAXIMIZE", "MAXIMISE"):
        fail(file, "maximisation is not supported: negate the objective row", line, "OBJSENSE")
    fail(file, f"unknown objective sense '{token}'", line, "OBJSENSE")


_VALUE_BOUNDS = {"UP", "LO", "FX", "LI", "UI"}
_FLAG_BOUNDS = {"FR", "MI", "PL", "BV"}


def _bound_line(src: Lines, tok: list[str], line: int, col_index, set_name) -> tuple[int, float]:
    """(column, value) of a BOUNDS line ``type [set] column [value]``."""
    kind = tok[0].upper()
    if kind not in _VALUE_BOUNDS | _FLAG_BOUNDS:
        message = f"bound type '{tok[0]}' is not supported (UP LO FX FR MI PL BV LI UI)"
        fail(src.name, message, line, "type")
    if kind in _VALUE_BOUNDS:
        if len(tok) not in (3, 4):
            fail(src.name, f"a {kind} bound is '{kind} [set] column value'", line)
        has_set = len(tok) == 4
        value = src.number(tok[-1], line, "value")
    else:
        has_set = len(tok) >= 3 and tok[2] in col_index
        value = 0.0
    column = tok[2] if has_set else tok[1] if len(tok) > 1 else ""
    if column not in col_index:
        fail(src.name, f"unknown column '{column}' (not in COLUMNS)", line, "column")
    if has_set:
        set_name("BOUNDS", tok[1], line)
    return col_index[column], value


def _apply_bound(file: str, kind: str, value: float, bound: list, line: int) -> None:
    """Update ``bound`` = [lower, upper (None: +inf), forced integer] by one BOUNDS entry."""
    value = _bound_value(value)
    if kind in ("UP", "UI"):
        bound[1] = value
        if value < 0 and bound[0] == 0:
            bound[0] = -math.inf
    elif kind in ("LO", "LI"):
        bound[0] = value
    elif kind == "FX":
        bound[0] = bound[1] = value
    elif kind == "FR":
        bound[0], bound[1] = -math.inf, math.inf
    elif kind == "MI":
        bound[0] = -math.inf
    elif kind == "PL":
        bound[1] = math.inf
    elif kind == "BV":
        bound[0], bound[1] = 0.0, 1.0
    if kind in ("BV", "LI", "UI"):
        bound[2] = True


def row_bounds(kind: np.ndarray, rhs: np.ndarray, ranges: np.ndarray):
    """Row lower and upper bounds from type, right-hand side and MPS range.

    A range R makes G rows [rhs, rhs + |R|], L rows [rhs - |R|, rhs] and E rows
    [rhs, rhs + R] (R > 0) or [rhs + R, rhs] (R < 0).
    """
    lower = np.where(kind == "L", -math.inf, rhs)
    upper = np.where(kind == "G", math.inf, rhs)
    has = ~np.isnan(ranges)
    width = np.abs(np.where(has, ranges, 0.0))
    upper = np.where(has & ((kind == "G") | ((kind == "E") & (ranges > 0))), rhs + width, upper)
    lower = np.where(has & ((kind == "L") | ((kind == "E") & (ranges < 0))), rhs - width, lower)
    return lower, upper


@dataclass(frozen=True)
class Stages:
    """The .tim file: the periods and where stage 2 starts (column and constraint-row index)."""

    periods: tuple[str, str]
    first_column: int
    first_row: int


def read_time(path: Path, core: Core) -> Stages:
    src = Lines.read(path)
    periods: list[tuple[str, str, str, int]] = []  # (period, start column, start row, line)
    section = None
    for line, text, tok in src:
        head = header(text, tok, {"PERIODS", "ENDATA", "ROWS", "COLUMNS"}, {"TIME", "PERIODS"})
        if head is not None:
            if head == "PERIODS" and len(tok) > 1 and tok[1].upper() == "EXPLICIT":
                fail(src.name, "the explicit time format is not supported", line, "PERIODS")
            if head in ("ROWS", "COLUMNS"):
                fail(src.name, "the explicit time format is not supported", line, head)
            section = head
            if head == "ENDATA":
                break
            continue
        if section != "PERIODS":
            fail(src.name, "data outside the PERIODS section", line)
        if len(tok) != 3:
            fail(src.name, "a PERIODS line is 'column row period'", line)
        if any(p[0] == tok[2] for p in periods):
            fail(src.name, f"period '{tok[2]}' is listed twice", line, "period")
        periods.append((tok[2], tok[0], tok[1], line))
    else:
        src.truncated(section or "(none)")
    if len(periods) > 2:
        names = ", ".join(p[0] for p in periods)
        message = (
            f"lists {len(periods)} periods ({names}): only two-stage problems (2 periods) "
            "are supported"
        )
        fail(src.name, message, periods[2][3], "period")
    if len(periods) != 2:
        fail(src.name, f"lists {len(periods)} period(s); a two-stage problem needs 2", src.last)
    return _stages(src.name, core, periods)


def _stages(file: str, core: Core, periods: list[tuple[str, str, str, int]]) -> Stages:
    """Where the two periods start, checked against the core's column and row order."""
    for _, column, row, line in periods:
        if column not in core.col_index:
            fail(file, f"unknown column '{column}' (not in the .cor file)", line, "column")
        if row != core.objective and row not in core.row_index:
            fail(file, f"unknown row '{row}' (not in the .cor file)", line, "row")
    (first, col1, row1, line1), (second, col2, row2, line2) = (
        (period, core.col_index[column], core.row_index.get(row), line)
        for period, column, row, line in periods
    )
    if col1 != 0:
        fail(file, "stage 1 must start at the first column of the .cor file", line1, "column")
    if row1 not in (None, 0):
        fail(file, "stage 1 must start at the first row of the .cor file", line1, "row")
    if col2 <= col1:
        fail(file, "stage 2 must start at a later column than stage 1", line2, "column")
    if row2 is None:
        fail(file, "stage 2 cannot start at the objective row", line2, "row")
    if row1 is not None and row2 <= row1:
        fail(file, "stage 2 must start at a later row than stage 1", line2, "row")
    return Stages((first, second), col2, row2)
