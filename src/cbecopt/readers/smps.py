"""Two-stage stochastic programs in SMPS format (``.cor`` + ``.tim`` + ``.sto``), on the two-stage layer.

SMPS states a stochastic program as a deterministic *core* (an MPS file), a *time* file that
cuts the core's columns and rows into periods, and a *stoch* file that lists how random values
replace core values in each scenario. :func:`read_smps` reads the three files into an
:class:`SmpsProblem`, a :class:`~cbecopt.stochastic.twostage.TwoStageProblem`, so the published
SIPLIB instances (SSLP) run through the same extensive form, report and sampling as our own
models.

What is supported, and how it is read:

* ``.cor``: free-format MPS, sections ``NAME``, ``ROWS`` (N/E/L/G; the first N row is the
  objective, other N rows are ignored), ``COLUMNS`` (``'MARKER' 'INTORG'``/``'INTEND'``
  integer blocks), ``RHS`` (one set; an entry on the objective row is minus the objective
  constant), ``RANGES``, ``BOUNDS`` (UP LO FX FR MI PL BV LI UI; one set), ``OBJSENSE MIN``,
  ``ENDATA``. Two entries per line in COLUMNS/RHS/RANGES. Columns without bounds lie in
  [0, +inf), integer ones too (general integers), as in HiGHS's free-MPS reader; an integer
  column bounded to [0, 1] is binary. As in HiGHS, ``UP`` with a negative value on a column
  whose lower bound is 0 makes the lower bound -inf; values of magnitude 1e20 or more are
  infinite.
* ``.tim``: implicit form, exactly two periods (``col row period`` lines); a file with more
  periods is refused, naming how many. Stage 1 is the columns before the stage-2 start column
  and the constraint rows before the stage-2 start row, in ``.cor`` order; first-stage rows
  may hold first-stage columns only.
* ``.sto``: either ``SCENARIOS`` sections, or any number of ``INDEP`` and ``BLOCKS``
  sections (not both kinds):

  - ``SCENARIOS [DISCRETE]``: ``SC name ROOT probability [period]`` (every parent is ``ROOT``),
    then the scenario's ``column row value [row value]`` lines.
  - ``INDEP DISCRETE``: one line per value of a random element, in the standard layout
    ``column row value period probability`` (the period may be left out:
    ``column row value probability``). A right-hand side has the RHS set name in the column
    field (``RHS row value period probability``).
  - ``BLOCKS DISCRETE``: each realisation of a block is a line ``BL block period
    probability`` followed by ``column row value [row value]`` lines. The first realisation
    of a block lists every element of the block; later ones list only the values that
    differ (the others keep the first realisation's value).

  The random elements of ``INDEP`` and ``BLOCKS`` sections are independent: the scenarios
  are the Cartesian product of the elements' and blocks' realisations, with the product of
  their probabilities (at most :data:`MAX_SCENARIOS`). A section header may end in the
  modifier ``REPLACE`` (the default: the value replaces the core's), ``ADD`` (it is added to
  the core's value) or ``MULTIPLY`` (it multiplies it); only ``DISCRETE`` distributions are
  read. Random are right-hand sides, objective coefficients and matrix coefficients of stage
  2, and the cost of a first-stage column (it enters the scenario's cost, so the extensive
  form prices it at its mean); the period named must be the second one.

Probabilities: those of each distribution (the scenarios', each ``INDEP`` element's, each
block's) must sum to 1 within :data:`PROBABILITY_TOLERANCE` (1e-3) and are used as written:
the SIPLIB files round them to 6 decimals and their known optima are computed with the
rounded values. A sum further than 1e-9 from 1 is used with a warning on the ``cbecopt``
logger giving the sum; ``read_smps(..., normalize_probabilities=True)`` (the command line's
``--normalize-probabilities``) rescales each distribution to sum to 1 instead. Every problem
in a file raises :class:`~cbecopt.errors.InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import copy
import functools
import itertools
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import pyomo.environ as pyo

from cbecopt.errors import InputError, Problem
from cbecopt.formulations.common import Terms, VarFamily, add_rows, add_var_family, terms
from cbecopt.stochastic.twostage import FirstStage

INFINITE_BOUND = 1e20
"""Values of at least this magnitude are infinite, as in HiGHS."""
PROBABILITY_TOLERANCE = 1e-3
"""How far one distribution's probabilities may sum from 1 and still be used as written:
published files round them (SIPLIB to 6 decimals; POSTS pltexpA2_16 sums to 1.0002)."""
EXACT_TOLERANCE = 1e-9
"""Sums further than this from 1 (within :data:`PROBABILITY_TOLERANCE`) come with a warning."""
MAX_SCENARIOS = 1_000_000
"""The most scenarios ``INDEP`` and ``BLOCKS`` sections may expand to."""
_MODIFIERS = ("REPLACE", "ADD", "MULTIPLY")
"""How a random value combines with the core value: replaces it, is added to it, multiplies it."""

log = logging.getLogger(__name__)

_CORE_SUFFIXES = (".cor", ".core", ".mps")
_TIME_SUFFIXES = (".tim", ".time")
_STOCH_SUFFIXES = (".sto", ".stoch")


def _fail(file: str, message: str, line: int | None = None, field: str | None = None) -> NoReturn:
    raise InputError(Problem(file, message, line, field))


@dataclass(frozen=True)
class _Lines:
    """The meaningful lines of one file: (line number, text, tokens), blanks and ``*`` comments dropped."""

    name: str
    lines: list[tuple[int, str, list[str]]]
    last: int

    @classmethod
    def read(cls, path: Path) -> _Lines:
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
            _fail(self.name, "NaN is not a value", line, field)
        return value

    def truncated(self, section: str) -> NoReturn:
        if not self.lines:
            _fail(self.name, "is empty", None)
        _fail(self.name, f"ends in section {section} without ENDATA (truncated?)", self.last)


def _header(line: str, tokens: list[str], bare: set[str], with_args: set[str]) -> str | None:
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


def _unquote(token: str) -> str:
    return token[1:-1] if len(token) >= 2 and token[0] == token[-1] == "'" else token


def _bound_value(value: float) -> float:
    if value >= INFINITE_BOUND:
        return math.inf
    if value <= -INFINITE_BOUND:
        return -math.inf
    return value


@dataclass
class _Core:
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


def _read_core(path: Path) -> _Core:
    """Parse a free-format MPS file."""
    src = _Lines.read(path)
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
        _fail(src.name, f"unknown row '{token}' (not declared in ROWS)", line, "row")

    def set_name(kind: str, token: str, line: int) -> None:
        if sets[kind] is None:
            sets[kind] = token
        elif sets[kind] != token:
            _fail(
                src.name,
                f"a second {kind} set '{token}' (only one, '{sets[kind]}', is supported)",
                line,
                kind,
            )

    for line, text, tok in src:
        head = _header(text, tok, bare, with_args)
        if head is not None:
            if head in ("NAME",):
                name = tok[1] if len(tok) > 1 else name
            elif head in ("OBJSENSE", "OBJSENS") and len(tok) > 1:
                _objsense(src.name, tok[1], line)
            elif head in ("OBJNAME", "SOS", "QUADOBJ", "QMATRIX", "QSECTION"):
                _fail(src.name, f"section {head} is not supported", line, "section")
            section = head
            found.add(head)
            if head == "ENDATA":
                break
            continue
        if section == "ROWS":
            if len(tok) != 2 or tok[0].upper() not in ("N", "E", "L", "G"):
                _fail(src.name, "a ROWS line is 'type name' with type N, E, L or G", line, "type")
            kind, row = tok[0].upper(), tok[1]
            if row in row_index or row == objective or row in free_rows:
                _fail(src.name, f"row '{row}' is declared twice", line, "row")
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
            if len(tok) == 3 and _unquote(tok[1]).upper() == "MARKER":
                marker = _unquote(tok[2]).upper()
                if marker not in ("INTORG", "INTEND"):
                    _fail(src.name, f"unknown marker '{tok[2]}'", line, "marker")
                in_integer_block = marker == "INTORG"
                continue
            if len(tok) not in (3, 5):
                _fail(src.name, "a COLUMNS line is 'column row value [row value]'", line)
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
                            _fail(src.name, f"column '{tok[0]}' has two costs", line, "row")
                        cost[col] = value
                    continue
                if (row, col) in seen:
                    _fail(src.name, f"entry ({tok[0]}, {tok[k]}) is given twice", line, "row")
                seen.add((row, col))
                a_row.append(row)
                a_col.append(col)
                a_val.append(value)
                a_line.append(line)
        elif section in ("RHS", "RANGES"):
            if len(tok) not in (2, 3, 4, 5):
                _fail(src.name, f"a {section} line is '[set] row value [row value]'", line)
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
            _fail(src.name, "data before the first section (ROWS, COLUMNS, ...)", line)
    else:
        src.truncated(section or "(none)")
    for needed in ("ROWS", "COLUMNS"):
        if needed not in found:
            _fail(src.name, f"has no {needed} section", None, "section")

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
    return _Core(
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
        _fail(file, "maximisation is not supported: negate the objective row", line, "OBJSENSE")
    _fail(file, f"unknown objective sense '{token}'", line, "OBJSENSE")


_VALUE_BOUNDS = {"UP", "LO", "FX", "LI", "UI"}
_FLAG_BOUNDS = {"FR", "MI", "PL", "BV"}


def _bound_line(src: _Lines, tok: list[str], line: int, col_index, set_name) -> tuple[int, float]:
    """(column, value) of a BOUNDS line ``type [set] column [value]``."""
    kind = tok[0].upper()
    if kind not in _VALUE_BOUNDS | _FLAG_BOUNDS:
        message = f"bound type '{tok[0]}' is not supported (UP LO FX FR MI PL BV LI UI)"
        _fail(src.name, message, line, "type")
    if kind in _VALUE_BOUNDS:
        if len(tok) not in (3, 4):
            _fail(src.name, f"a {kind} bound is '{kind} [set] column value'", line)
        has_set = len(tok) == 4
        value = src.number(tok[-1], line, "value")
    else:
        has_set = len(tok) >= 3 and tok[2] in col_index
        value = 0.0
    column = tok[2] if has_set else tok[1] if len(tok) > 1 else ""
    if column not in col_index:
        _fail(src.name, f"unknown column '{column}' (not in COLUMNS)", line, "column")
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


def _row_bounds(kind: np.ndarray, rhs: np.ndarray, ranges: np.ndarray):
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
class _Stages:
    """The .tim file: the periods and where stage 2 starts (column and constraint-row index)."""

    periods: tuple[str, str]
    first_column: int
    first_row: int


def _read_time(path: Path, core: _Core) -> _Stages:
    src = _Lines.read(path)
    periods: list[tuple[str, str, str, int]] = []  # (period, start column, start row, line)
    section = None
    for line, text, tok in src:
        head = _header(text, tok, {"PERIODS", "ENDATA", "ROWS", "COLUMNS"}, {"TIME", "PERIODS"})
        if head is not None:
            if head == "PERIODS" and len(tok) > 1 and tok[1].upper() == "EXPLICIT":
                _fail(src.name, "the explicit time format is not supported", line, "PERIODS")
            if head in ("ROWS", "COLUMNS"):
                _fail(src.name, "the explicit time format is not supported", line, head)
            section = head
            if head == "ENDATA":
                break
            continue
        if section != "PERIODS":
            _fail(src.name, "data outside the PERIODS section", line)
        if len(tok) != 3:
            _fail(src.name, "a PERIODS line is 'column row period'", line)
        if any(p[0] == tok[2] for p in periods):
            _fail(src.name, f"period '{tok[2]}' is listed twice", line, "period")
        periods.append((tok[2], tok[0], tok[1], line))
    else:
        src.truncated(section or "(none)")
    if len(periods) > 2:
        names = ", ".join(p[0] for p in periods)
        message = (
            f"lists {len(periods)} periods ({names}): only two-stage problems (2 periods) "
            "are supported"
        )
        _fail(src.name, message, periods[2][3], "period")
    if len(periods) != 2:
        _fail(src.name, f"lists {len(periods)} period(s); a two-stage problem needs 2", src.last)
    return _stages(src.name, core, periods)


def _stages(file: str, core: _Core, periods: list[tuple[str, str, str, int]]) -> _Stages:
    """Where the two periods start, checked against the core's column and row order."""
    for _, column, row, line in periods:
        if column not in core.col_index:
            _fail(file, f"unknown column '{column}' (not in the .cor file)", line, "column")
        if row != core.objective and row not in core.row_index:
            _fail(file, f"unknown row '{row}' (not in the .cor file)", line, "row")
    (first, col1, row1, line1), (second, col2, row2, line2) = (
        (period, core.col_index[column], core.row_index.get(row), line)
        for period, column, row, line in periods
    )
    if col1 != 0:
        _fail(file, "stage 1 must start at the first column of the .cor file", line1, "column")
    if row1 not in (None, 0):
        _fail(file, "stage 1 must start at the first row of the .cor file", line1, "row")
    if col2 <= col1:
        _fail(file, "stage 2 must start at a later column than stage 1", line2, "column")
    if row2 is None:
        _fail(file, "stage 2 cannot start at the objective row", line2, "row")
    if row1 is not None and row2 <= row1:
        _fail(file, "stage 2 must start at a later row than stage 1", line2, "row")
    return _Stages((first, second), col2, row2)


@dataclass(frozen=True)
class SmpsScenario:
    """One scenario's random values, as replacements of core values.

    Row indices count the ``.cor`` constraint rows (objective excluded), column indices the
    ``.cor`` columns, both from 0 in file order.

    Attributes
    ----------
    rhs_rows, rhs : right-hand sides of these rows.
    cost_columns, cost : objective coefficients of these columns.
    coef_rows, coef_columns, coef : matrix coefficients at these (row, column) entries.
    """

    rhs_rows: np.ndarray
    rhs: np.ndarray
    cost_columns: np.ndarray
    cost: np.ndarray
    coef_rows: np.ndarray
    coef_columns: np.ndarray
    coef: np.ndarray

    @classmethod
    def from_values(cls, values: dict[tuple, float]) -> SmpsScenario:
        """From {("rhs", row) | ("cost", col) | ("coef", row, col): value}."""

        def pick(kind: str) -> tuple[list, list]:
            keys = sorted(k for k in values if k[0] == kind)
            return [k[1:] for k in keys], [values[k] for k in keys]

        rhs_keys, rhs = pick("rhs")
        cost_keys, cost = pick("cost")
        coef_keys, coef = pick("coef")
        coef_index = np.array(coef_keys, np.int64).reshape(-1, 2)
        return cls(
            np.array([k[0] for k in rhs_keys], np.int64),
            np.array(rhs, float),
            np.array([k[0] for k in cost_keys], np.int64),
            np.array(cost, float),
            coef_index[:, 0].copy(),
            coef_index[:, 1].copy(),
            np.array(coef, float),
        )

    def values(self) -> dict[tuple, float]:
        """The inverse of :meth:`from_values`."""
        out: dict[tuple, float] = {}
        out.update(zip([("rhs", int(r)) for r in self.rhs_rows], self.rhs.tolist(), strict=True))
        out.update(
            zip([("cost", int(c)) for c in self.cost_columns], self.cost.tolist(), strict=True)
        )
        keys = [
            ("coef", int(r), int(c)) for r, c in zip(self.coef_rows, self.coef_columns, strict=True)
        ]
        out.update(zip(keys, self.coef.tolist(), strict=True))
        return out


@dataclass
class _Outcome:
    """One realisation: its probability, the values it sets (modifier applied) and its line."""

    probability: float
    values: dict[tuple, float]
    line: int


@dataclass
class _Distribution:
    """The realisations of one independent random element (``INDEP``) or block (``BLOCKS``)."""

    label: str
    outcomes: list[_Outcome]

    def completed(self) -> list[_Outcome]:
        """The realisations, each holding every element: a later block realisation lists
        only the values that differ from the first realisation's."""
        first = self.outcomes[0]
        return [first] + [
            _Outcome(o.probability, {**first.values, **o.values}, o.line) for o in self.outcomes[1:]
        ]


class _StochReader:
    """Reads a ``.sto`` file: ``SCENARIOS``, or ``INDEP`` and ``BLOCKS`` sections (see the
    module docstring for the layouts)."""

    def __init__(self, src: _Lines, core: _Core, stages: _Stages):
        self.src, self.core = src, core
        self.first_row = stages.first_row
        self.second = stages.periods[1]
        self.kinds: set[str] = set()
        self.section_line = 0
        self.modifier = "REPLACE"
        self.named: dict[str, _Outcome] = {}
        self.distributions: dict[tuple, _Distribution] = {}
        self.owner: dict[tuple, tuple[str, int]] = {}
        self.current: _Outcome | None = None
        self.block: _Distribution | None = None

    def read(self) -> None:
        bare = {"ENDATA", "SCENARIOS", "INDEP", "BLOCKS"}
        section = None
        for line, text, tok in self.src:
            head = _header(text, tok, bare, {"STOCH", "SCENARIOS", "INDEP", "BLOCKS"})
            if head == "ENDATA":
                return
            if head is not None:
                if head != "STOCH":
                    self.open_section(head, tok, line)
                section = head
            elif section == "SCENARIOS":
                self.scenario_line(tok, line)
            elif section == "INDEP":
                self.indep_line(tok, line)
            elif section == "BLOCKS":
                self.block_line(tok, line)
            else:
                _fail(self.src.name, "data outside a SCENARIOS, INDEP or BLOCKS section", line)
        self.src.truncated(section or "(none)")

    def open_section(self, head: str, tok: list[str], line: int) -> None:
        options = [t.upper() for t in tok[1:]]
        modifiers = [o for o in options if o in _MODIFIERS]
        unknown = [o for o in options if o != "DISCRETE" and o not in _MODIFIERS]
        if unknown or len(modifiers) > 1 or (head != "SCENARIOS" and "DISCRETE" not in options):
            message = (
                f"'{' '.join(tok)}' is not supported: only DISCRETE distributions, with the "
                "modifier REPLACE (the default), ADD or MULTIPLY"
            )
            _fail(self.src.name, message, line, "section")
        self.kinds.add("SCENARIOS" if head == "SCENARIOS" else "INDEP/BLOCKS")
        if len(self.kinds) > 1:
            message = "SCENARIOS cannot be combined with INDEP or BLOCKS sections"
            _fail(self.src.name, message, line, "section")
        self.modifier = modifiers[0] if modifiers else "REPLACE"
        self.section_line = self.section_line or line
        self.current = self.block = None

    def scenario_line(self, tok: list[str], line: int) -> None:
        """``SC name parent probability [period]``, then ``column row value [row value]``."""
        if tok[0].upper() == "SC":
            if len(tok) not in (4, 5):
                _fail(self.src.name, "a scenario line is 'SC name parent probability period'", line)
            name, parent = tok[1], _unquote(tok[2])
            if parent.upper() != "ROOT":
                message = f"parent '{parent}' is not ROOT: only two-stage problems are supported"
                _fail(self.src.name, message, line, "parent")
            probability = self.probability(tok[3], line)
            if len(tok) == 5:
                self.check_period(tok[4], line)
            if name in self.named:
                _fail(self.src.name, f"scenario '{name}' is listed twice", line, "scenario")
            self.current = self.named[name] = _Outcome(probability, {}, line)
            return
        if self.current is None:
            _fail(self.src.name, "a value before the first 'SC' line", line)
        for key, value, label in self.entries(tok, line):
            self.set_value(self.current, key, value, label, line)

    def indep_line(self, tok: list[str], line: int) -> None:
        """``column row value period probability``; the period may be left out."""
        if len(tok) not in (4, 5):
            message = "an INDEP line is 'column row value period probability' (period optional)"
            _fail(self.src.name, message, line)
        if len(tok) == 5:
            if tok[3] != self.second and tok[4] == self.second:
                message = (
                    f"the period '{tok[4]}' comes after the probability: an INDEP line is "
                    "'column row value period probability'"
                )
                _fail(self.src.name, message, line, "period")
            self.check_period(tok[3], line)
        key = self.element(tok[0], tok[1], line)
        label = f"({tok[0]}, {tok[1]})"
        value = self.value(key, tok[2], line)
        probability = self.probability(tok[-1], line)
        distribution = self.distribution(("INDEP", key), f"the INDEP distribution of {label}")
        self.claim(key, label, distribution.label, line)
        distribution.outcomes.append(_Outcome(probability, {key: value}, line))

    def block_line(self, tok: list[str], line: int) -> None:
        """``BL block period probability``, then ``column row value [row value]``."""
        if tok[0].upper() == "BL":
            if len(tok) != 4:
                _fail(self.src.name, "a block line is 'BL block period probability'", line)
            self.check_period(tok[2], line)
            self.current = _Outcome(self.probability(tok[3], line), {}, line)
            self.block = self.distribution(("BLOCKS", tok[1]), f"block '{tok[1]}'")
            self.block.outcomes.append(self.current)
            return
        if self.current is None or self.block is None:
            _fail(self.src.name, "a value before the first 'BL' line", line)
        first = self.block.outcomes[0]
        for key, value, label in self.entries(tok, line):
            if self.current is first:
                self.claim(key, label, self.block.label, line)
            elif key not in first.values:
                message = (
                    f"{label} is not in the first realisation of {self.block.label} (line "
                    f"{first.line}), which must list every element of the block"
                )
                _fail(self.src.name, message, line, "row")
            self.set_value(self.current, key, value, label, line)

    def entries(self, tok: list[str], line: int) -> list[tuple[tuple, float, str]]:
        """(element, value, label) of a ``column row value [row value]`` line."""
        if len(tok) not in (3, 5):
            _fail(self.src.name, "a value line is 'column row value [row value]'", line)
        found = []
        for k in range(1, len(tok), 2):
            key = self.element(tok[0], tok[k], line)
            found.append((key, self.value(key, tok[k + 1], line), f"({tok[0]}, {tok[k]})"))
        return found

    def element(self, column: str, row: str, line: int) -> tuple:
        """The random element a (column, row) pair names; the column field of a right-hand
        side is the RHS set name."""
        core, name = self.core, self.src.name
        if column not in core.col_index and (column == core.rhs_set or column.upper() == "RHS"):
            if row == core.objective:
                _fail(name, "a random objective constant is not supported", line, "row")
            r = core.row_index.get(row)
            if r is None:
                _fail(name, f"unknown row '{row}' (not a .cor constraint row)", line, "row")
            if r < self.first_row:
                message = f"row '{row}' is a stage-1 row: its right-hand side cannot be random"
                _fail(name, message, line, "row")
            return ("rhs", r)
        c = core.col_index.get(column)
        if c is None:
            _fail(name, f"unknown column '{column}' (not in the .cor file)", line, "column")
        if row == core.objective:
            return ("cost", c)
        r = core.row_index.get(row)
        if r is None:
            _fail(name, f"unknown row '{row}' (not a .cor row)", line, "row")
        if r < self.first_row:
            message = f"row '{row}' is a stage-1 row: its coefficients cannot be random"
            _fail(name, message, line, "row")
        return ("coef", r, c)

    def value(self, key: tuple, token: str, line: int) -> float:
        """The value a line gives an element, after the section's modifier."""
        value = self.src.number(token, line, "value")
        if self.modifier == "ADD":
            return self.core.value(key) + value
        if self.modifier == "MULTIPLY":
            return self.core.value(key) * value
        return value

    def probability(self, token: str, line: int) -> float:
        probability = self.src.number(token, line, "probability")
        if probability < 0:
            _fail(self.src.name, "a probability cannot be negative", line, "probability")
        return probability

    def check_period(self, token: str, line: int) -> None:
        if token != self.second:
            message = f"period '{token}' is not the second period '{self.second}' of the .tim file"
            _fail(self.src.name, message, line, "period")

    def distribution(self, identity: tuple, label: str) -> _Distribution:
        return self.distributions.setdefault(identity, _Distribution(label, []))

    def claim(self, key: tuple, label: str, owner: str, line: int) -> None:
        """Make ``owner`` the one distribution or block ``key`` belongs to."""
        first_owner, first_line = self.owner.setdefault(key, (owner, line))
        if first_owner != owner:
            message = (
                f"{label} is already random in {first_owner} (line {first_line}): an element "
                "belongs to one INDEP distribution or one block"
            )
            _fail(self.src.name, message, line, "row")

    def set_value(self, outcome: _Outcome, key: tuple, value: float, label: str, line: int):
        if outcome.values.setdefault(key, value) != value:
            message = f"{label} is given twice with different values"
            _fail(self.src.name, message, line, "value")

    def scenarios(self, normalize: bool) -> list[tuple[str, float, SmpsScenario]]:
        """The scenarios read: as listed (SCENARIOS), or the product of the independent
        distributions and blocks."""
        file = self.src.name
        if "SCENARIOS" in self.kinds:
            if not self.named:
                _fail(file, "has no scenarios (no 'SC' lines in the SCENARIOS section)")
            probabilities = [o.probability for o in self.named.values()]
            groups = [("scenario probabilities", self.section_line, probabilities)]
            (scale,) = _probability_scales(file, groups, normalize)
            return [
                (name, o.probability * scale, SmpsScenario.from_values(o.values))
                for name, o in self.named.items()
            ]
        if not self.distributions:
            _fail(file, "has no random values (no SCENARIOS, INDEP or BLOCKS section with values)")
        groups = [
            (
                f"the probabilities of {d.label}",
                d.outcomes[0].line,
                [o.probability for o in d.outcomes],
            )
            for d in self.distributions.values()
        ]
        scales = _probability_scales(file, groups, normalize)
        return _product(file, [d.completed() for d in self.distributions.values()], scales)


def _read_stoch(
    path: Path, core: _Core, stages: _Stages, normalize: bool
) -> list[tuple[str, float, SmpsScenario]]:
    reader = _StochReader(_Lines.read(path), core, stages)
    reader.read()
    return reader.scenarios(normalize)


def _probability_scales(
    file: str, groups: list[tuple[str, int, list[float]]], normalize: bool
) -> list[float]:
    """What each group's probabilities are multiplied by: 1, or with ``normalize`` 1 / their sum.

    Without ``normalize``, a group of (what, line, probabilities) summing further than
    :data:`PROBABILITY_TOLERANCE` from 1 is an error, and one further than
    :data:`EXACT_TOLERANCE` is used as written with a warning on the ``cbecopt`` logger.
    """
    problems, off, scales = [], [], []
    for what, line, probabilities in groups:
        total = math.fsum(probabilities)
        if normalize:
            if total <= 0:
                message = f"{what} sum to {total:.10g}: they cannot be rescaled to sum to 1"
                problems.append(Problem(file, message, line, "probability"))
            scales.append(1.0 / total if total > 0 else 1.0)
            continue
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            message = (
                f"{what} sum to {total:.10g}, not 1 (tolerance {PROBABILITY_TOLERANCE:g}); "
                "--normalize-probabilities rescales them to sum to 1"
            )
            problems.append(Problem(file, message, line, "probability"))
        elif abs(total - 1.0) > EXACT_TOLERANCE:
            off.append((what, total))
        scales.append(1.0)
    if problems:
        raise InputError(problems)
    if off:
        sums = [total for _, total in off]
        what = (
            f"{off[0][0]} sum to {sums[0]:.10g}"
            if len(off) == 1
            else f"the probabilities of {len(off)} distributions sum to {min(sums):.10g} to "
            f"{max(sums):.10g}"
        )
        log.warning(
            "%s: %s, not 1: used as written (--normalize-probabilities, or "
            "normalize_probabilities=True in read_smps, rescales them)",
            file,
            what,
        )
    return scales


def _product(
    file: str, distributions: list[list[_Outcome]], scales: list[float]
) -> list[tuple[str, float, SmpsScenario]]:
    """The scenarios of independent distributions and blocks: their Cartesian product.

    Scenario k (``S1``, ``S2``, ...) takes the realisations in :func:`itertools.product`
    order of the distributions in order of first appearance (the last one varies fastest);
    its probability is the product of its realisations' probabilities (each times its
    distribution's scale).
    """
    count = math.prod(len(d) for d in distributions)
    if count > MAX_SCENARIOS:
        message = (
            f"the INDEP and BLOCKS sections expand to {count} scenarios (at most {MAX_SCENARIOS})"
        )
        _fail(file, message)
    scenarios = []
    for k, combo in enumerate(itertools.product(*distributions), start=1):
        probability = math.prod(o.probability * s for o, s in zip(combo, scales, strict=True))
        values = {key: v for outcome in combo for key, v in outcome.values.items()}
        scenarios.append((f"S{k}", probability, SmpsScenario.from_values(values)))
    return scenarios


@dataclass(frozen=True)
class SmpsSize:
    """How big the problem is: per stage, and the extensive form over all scenarios."""

    first_stage_columns: int
    first_stage_rows: int
    second_stage_columns: int
    second_stage_rows: int
    integer_columns: int
    scenarios: int

    @property
    def extensive_columns(self) -> int:
        return self.first_stage_columns + self.scenarios * self.second_stage_columns

    @property
    def extensive_rows(self) -> int:
        return self.first_stage_rows + self.scenarios * self.second_stage_rows

    def __str__(self) -> str:
        return (
            f"{self.scenarios} scenarios; stage 1: {self.first_stage_columns} columns, "
            f"{self.first_stage_rows} rows; stage 2: {self.second_stage_columns} columns, "
            f"{self.second_stage_rows} rows per scenario; {self.integer_columns} integer "
            f"columns in the core; extensive form: {self.extensive_columns} columns, "
            f"{self.extensive_rows} rows"
        )


@dataclass(frozen=True)
class _Columns:
    """One stage's columns as Pyomo wants them: a domain (one, or one per key) and own bounds."""

    names: tuple[str, ...]
    domain: object
    upper: np.ndarray
    lower_at: np.ndarray
    lower: np.ndarray

    @classmethod
    def of(cls, names: list[str], integer: np.ndarray, lower: np.ndarray, upper: np.ndarray):
        """Binary for integer [0, 1]; non-negative domains where the lower bound is >= 0.

        Bounds the domain already implies are not set on each variable (a million setlb
        calls would dominate the build).
        """
        binary = integer & (lower == 0) & (upper == 1)
        nonneg = lower >= 0
        domains = np.where(
            binary,
            0,
            np.where(integer, np.where(nonneg, 1, 2), np.where(nonneg, 3, 4)),
        )
        table = (pyo.Binary, pyo.NonNegativeIntegers, pyo.Integers, pyo.NonNegativeReals, pyo.Reals)
        kinds = np.unique(domains)
        domain: object = table[kinds[0]] if len(kinds) == 1 else None
        if domain is None:
            domain = {n: table[d] for n, d in zip(names, domains.tolist(), strict=True)}
        own_upper = np.where(binary, math.inf, upper)
        lower_at = np.flatnonzero(~binary & np.isfinite(lower) & (lower != 0))
        return cls(tuple(names), domain, own_upper, lower_at, lower[lower_at])

    def add(self, block: pyo.Block, name: str, doc: str) -> VarFamily:
        family = add_var_family(
            block, name, self.names, domain=self.domain, upper=self.upper, doc=doc
        )
        for k, value in zip(self.lower_at.tolist(), self.lower.tolist(), strict=True):
            family.data[k].setlb(value)
        return family


class SmpsProblem:
    """A two-stage stochastic program read from SMPS, as a :class:`TwoStageProblem`.

    The extensive form is ``min c x + sum_s p_s q_s y_s`` subject to the stage-1 rows
    ``A x`` (within their bounds) and, per scenario, ``T_s x + W_s y_s`` within the
    scenario's row bounds; columns keep their MPS bounds and integrality. Variables are the
    families ``first_stage`` (keyed by column name) and, per scenario block, ``second_stage``.

    Attributes
    ----------
    name : the file stem (``sslp_5_25_50``).
    first_stage_names, second_stage_names : column names per stage, in family order.
    first_stage_rows, second_stage_rows : constraint row names per stage.
    periods : the two period names of the ``.tim`` file.
    """

    def __init__(
        self,
        name: str,
        core: _Core,
        stages: _Stages,
        scenarios: list[tuple[str, float, SmpsScenario]],
    ):
        self.name = name
        self.periods = stages.periods
        self._core = core
        self._scenarios = scenarios
        c2, r2 = stages.first_column, stages.first_row
        self._c2, self._r2 = c2, r2
        self.first_stage_names = tuple(core.col_names[:c2])
        self.second_stage_names = tuple(core.col_names[c2:])
        self.first_stage_rows = tuple(core.row_names[:r2])
        self.second_stage_rows = tuple(core.row_names[r2:])
        first_row = core.a_row < r2
        wrong = np.flatnonzero(first_row & (core.a_col >= c2))
        if len(wrong):
            k = wrong[0]
            message = (
                f"stage-1 row '{core.row_names[core.a_row[k]]}' has an entry in stage-2 column "
                f"'{core.col_names[core.a_col[k]]}': not a two-stage problem"
            )
            _fail(core.file, message, int(core.a_line[k]), "row")
        self._a1 = (core.a_row[first_row], core.a_col[first_row], core.a_val[first_row])
        self._a2 = (core.a_row[~first_row] - r2, core.a_col[~first_row], core.a_val[~first_row])
        self._a2_position = {
            (int(r), int(c)): k for k, (r, c) in enumerate(zip(*self._a2[:2], strict=True))
        }
        self._columns1 = _Columns.of(
            core.col_names[:c2], core.integer[:c2], core.lower[:c2], core.upper[:c2]
        )
        self._columns2 = _Columns.of(
            core.col_names[c2:], core.integer[c2:], core.lower[c2:], core.upper[c2:]
        )

    @property
    def size(self) -> SmpsSize:
        return SmpsSize(
            len(self.first_stage_names),
            len(self.first_stage_rows),
            len(self.second_stage_names),
            len(self.second_stage_rows),
            int(self._core.integer.sum()),
            len(self._scenarios),
        )

    def scenarios(self) -> list[tuple[str, float, SmpsScenario]]:
        """(name, probability, data) of every scenario: the probabilities as in the file (products
        of them for INDEP and BLOCKS), or rescaled with ``normalize_probabilities``."""
        return list(self._scenarios)

    def with_scenarios(self, scenarios: list[tuple[str, float, SmpsScenario]]) -> SmpsProblem:
        """The same core over other scenarios (e.g. a sample of the file's, for SAA)."""
        other = copy.copy(self)
        other._scenarios = list(scenarios)
        return other

    def expected_scenario(self) -> SmpsScenario:
        """Every random value at its probability-weighted mean (weights divided by their sum).

        A scenario that does not change a value contributes the core value.
        """
        total = sum(p for _, p, _ in self._scenarios)
        sums: dict[tuple, float] = {}
        for _, p, data in self._scenarios:
            for key, value in data.values().items():
                sums[key] = sums.get(key, 0.0) + p * (value - self._core.value(key))
        mean = {key: self._core.value(key) + s / total for key, s in sums.items()}
        return SmpsScenario.from_values(mean)

    def build_first_stage(self, m: pyo.Block) -> FirstStage:
        """The stage-1 columns ``first_stage`` and rows ``first_stage_rows``; cost ``c x``."""
        core, c2 = self._core, self._c2
        x = self._columns1.add(m, "first_stage", "x: the stage-1 columns of the .cor file")
        row, col, val = (a[self._a1[2] != 0] for a in self._a1)
        if self.first_stage_rows:
            lower, upper = _row_bounds(
                core.row_type[: self._r2], core.rhs[: self._r2], core.ranges[: self._r2]
            )
            add_rows(
                m,
                "first_stage_rows",
                self.first_stage_rows,
                [terms(x, row, col, val)],
                lower,
                upper,
            )
        costly = np.flatnonzero(core.cost[:c2])
        cost = [terms(x, 0, costly, core.cost[:c2][costly])]
        if core.objective_constant:
            one = add_var_family(
                m, "objective_constant", ["one"], domain=pyo.Reals, upper=np.ones(1)
            )
            one.data[0].setlb(1.0)
            cost.append(terms(one, 0, [0], core.objective_constant))
        return FirstStage((x,), tuple(cost))

    def build_second_stage(
        self, block: pyo.Block, scenario: SmpsScenario, first: FirstStage
    ) -> tuple[Terms, ...]:
        """One scenario's ``second_stage`` columns and ``second_stage_rows`` ``T x + W y``.

        Returns the scenario's cost ``q y``, plus ``(c_s - c) x`` when the scenario changes the
        cost of a stage-1 column.
        """
        core, c2, r2 = self._core, self._c2, self._r2
        x = first.families[0]
        y = self._columns2.add(block, "second_stage", "y: the stage-2 columns of the .cor file")
        row, col, val = self._a2
        if len(scenario.coef):
            val = val.copy()
            new_row, new_col, new_val = [], [], []
            for r, c, v in zip(
                (scenario.coef_rows - r2).tolist(),
                scenario.coef_columns.tolist(),
                scenario.coef.tolist(),
                strict=True,
            ):
                k = self._a2_position.get((r, c))
                if k is None:
                    new_row.append(r)
                    new_col.append(c)
                    new_val.append(v)
                else:
                    val[k] = v
            row = np.concatenate([row, np.array(new_row, np.int64)])
            col = np.concatenate([col, np.array(new_col, np.int64)])
            val = np.concatenate([val, np.array(new_val, float)])
        rhs = core.rhs[r2:]
        if len(scenario.rhs):
            rhs = rhs.copy()
            rhs[scenario.rhs_rows - r2] = scenario.rhs
        if self.second_stage_rows:
            lower, upper = _row_bounds(core.row_type[r2:], rhs, core.ranges[r2:])
            in_first, in_second = (col < c2) & (val != 0), (col >= c2) & (val != 0)
            parts = [
                terms(x, row[in_first], col[in_first], val[in_first]),
                terms(y, row[in_second], col[in_second] - c2, val[in_second]),
            ]
            add_rows(block, "second_stage_rows", self.second_stage_rows, parts, lower, upper)
        cost = core.cost.copy()
        cost[scenario.cost_columns] = scenario.cost
        q = cost[c2:]
        costly = np.flatnonzero(q)
        out = [terms(y, 0, costly, q[costly])]
        delta = cost[:c2] - core.cost[:c2]
        changed = np.flatnonzero(delta)
        if len(changed):
            out.append(terms(x, 0, changed, delta[changed]))
        return tuple(out)


def _beside(core: Path, suffixes: tuple[str, ...], what: str) -> Path:
    for suffix in suffixes:
        for candidate in (core.with_suffix(suffix), core.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    expected = core.with_suffix(suffixes[0]).name
    message = f"not found: the SMPS {what} file must sit beside {core.name} with the same stem"
    _fail(expected, message)


def read_smps(path: str | Path, *, normalize_probabilities: bool = False) -> SmpsProblem:
    """Read a two-stage SMPS problem from its core file and the ``.tim``/``.sto`` beside it.

    Parameters
    ----------
    path : the ``.cor`` (or ``.core``/``.mps``) file; the time and stoch files have the same
        stem and the suffix ``.tim`` (``.time``) and ``.sto`` (``.stoch``).
    normalize_probabilities : rescale each distribution's probabilities (the scenarios', each
        ``INDEP`` element's, each block's) to sum to 1. Without it they are used as written:
        a sum further than :data:`PROBABILITY_TOLERANCE` from 1 is an error, one further than
        :data:`EXACT_TOLERANCE` a warning on the ``cbecopt`` logger.

    Raises
    ------
    InputError : a missing file, or any problem in one, named by file, line and field.
    """
    path = Path(path)
    if path.suffix.lower() not in _CORE_SUFFIXES:
        _fail(path.name, "expected the SMPS core file (.cor, .core or .mps)")
    if not path.is_file():
        _fail(path.name, "not found: the SMPS core file")
    time_path = _beside(path, _TIME_SUFFIXES, "time (.tim)")
    stoch_path = _beside(path, _STOCH_SUFFIXES, "stoch (.sto)")
    core = _read_core(path)
    stages = _read_time(time_path, core)
    scenarios = _read_stoch(stoch_path, core, stages, normalize_probabilities)
    return SmpsProblem(path.stem, core, stages, scenarios)
