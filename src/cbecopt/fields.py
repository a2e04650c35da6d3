"""Table schemas and the validation that reports every problem at once.

A schema is a list of :class:`Field` s, one per known column: its kind (text, number,
integer, month, category), whether it is required and may be blank, its bounds and whether
values must be unique. Unknown columns are kept and not checked. Validation first parses
numbers itself (so "abc" in a numeric column is reported with its row), then runs the
declarative checks through pandera, and translates every failure into a
:class:`~cbecopt.errors.Problem` naming file, row and column.

Numbers must also be ones the solver can use: no magnitude above :data:`LARGEST_VALUE` (a
"1e16 for unlimited" capacity makes HiGHS drop the row), and in quantity-like columns no
positive value below :data:`QUANTITY_RESOLUTION` (quantities scaled down to 1e-9 solve to a
cost of 0 within HiGHS's tolerances). Each field declares these limits.
"""

from __future__ import annotations

import difflib
import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa

from cbecopt.errors import Problem

TEXT, NUMBER, INTEGER, MONTH, CATEGORY = "text", "number", "integer", "month", "category"
NUMERIC = (NUMBER, INTEGER, MONTH)

LARGEST_VALUE = 1e15
"""Largest magnitude of any number: HiGHS's ``large_matrix_value`` (its infinity is 1e20).
Values beyond it are refused rather than passed on for the solver to drop or misread."""

QUANTITY_RESOLUTION = 1e-6
"""Smallest positive value of a quantity-like column (demand, capacity, minimum order).
HiGHS's primal feasibility tolerance is 1e-7: a quantity near it cannot be told from 0,
so positive quantities must be at least ten times larger; rescale the units otherwise."""

CALENDAR_LABEL = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}.*|\d{1,2}\s*[-/.]\s*\d{4}"
    r"|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?[\s,/-]*(\d{2,4})?",
    re.IGNORECASE,
)
"""A month written as a calendar label (2027-01, 01/2027, Jan 2027), not a period number."""


@dataclass(frozen=True)
class Field:
    """One column of a table.

    Parameters
    ----------
    name : column name as it appears in the file.
    kind : ``text``, ``number``, ``integer``, ``month`` or ``category`` (text from
        ``choices``). A month is a period number 1, 2, ... of the horizon; ``YYYY-MM``
        calendar months are numbered before parsing (:func:`cbecopt.months.number_months`),
        other calendar spellings (``Jan 2027``, ``01/2027``) are refused in one problem for
        the column.
    required : the column must be present.
    nullable : cells may be blank (a blank number means "not given": see each table's docs).
    minimum : smallest allowed value for numbers (inclusive).
    maximum : largest allowed value for numbers (inclusive).
    positive : numbers must be strictly greater than zero.
    unique : values must not repeat.
    choices : allowed values for a category.
    largest : largest magnitude of a number (default :data:`LARGEST_VALUE`, what the solver
        can use).
    smallest_positive : for quantity-like columns, the smallest positive value (0 stays
        allowed); :data:`QUANTITY_RESOLUTION` where declared.
    default : what a blank cell (or the column left out) means, declared once for every
        model: a value (``math.inf`` for "unlimited", ``0.0``, ``"all_units"``), a
        :class:`SameAs` (the row's value in another column), or ``None``: no default, the
        cell stays blank (NaN for numbers) and a model that needs it says so.
    unit : what the numbers count (``units per period``, ``m³``, ``CNY per unit``), shown in
        the documentation of the instance format.
    contiguous : for a month, the months used must run without gaps from the first (a typed
        15 in a 1..12 horizon is an error): the horizon's own months, not dates of events.
    """

    name: str
    kind: str = TEXT
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    positive: bool = False
    unique: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""
    largest: float = LARGEST_VALUE
    smallest_positive: float | None = None
    default: object = None
    unit: str = ""
    contiguous: bool = False

    @property
    def blank_is_unlimited(self) -> bool:
        """A blank cell means "no limit" (the message for a huge value says so)."""
        return isinstance(self.default, float) and self.default == math.inf


@dataclass(frozen=True)
class SameAs:
    """A default taken from another column of the same row (``declared_value``: the price)."""

    column: str


@dataclass(frozen=True)
class TableSchema:
    """The fields of one table (a CSV file, or a sheet of a workbook)."""

    name: str
    fields: tuple[Field, ...]
    required: bool = True
    allow_empty: bool = False
    doc: str = ""
    unique_together: tuple[str, ...] = field(default=())

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def _text(column: pd.Series) -> pd.Series:
    """The cells as stripped text (object dtype), blanks (empty, None, NaN) as ``""``."""
    cells = [
        "" if value is None or value != value else str(value).strip()
        for value in column.to_numpy(dtype=object)
    ]
    return pd.Series(cells, index=column.index, dtype=object)


def _row_number(index: int) -> int:
    """Row as a person counts it: a table read from a file has the row number minus 2 as its
    index (:mod:`cbecopt.readers.grid`); otherwise the header is row 1, the data follow."""
    return int(index) + 2


def parse_table(
    raw: pd.DataFrame, schema: TableSchema, source: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Turn a table read as text into typed columns, and list every problem in it.

    Parameters
    ----------
    raw : the table as read, every cell text (blank cells as empty strings).
    schema : what the table must look like.
    source : the file or sheet name to put in problems.

    Returns
    -------
    The typed table (numbers as float64, blanks as NaN; text stripped) and the problems
    found; the table is ``None`` when its shape is wrong (a column missing or repeated, no
    rows), so checks across tables leave it out. Unknown columns are kept as text.
    """
    problems = structure_problems(raw, schema, source)
    if problems:
        return None, problems
    table = raw.copy()
    table.columns = [str(c).strip() for c in table.columns]
    problems.extend(_misspelt_problems(list(table.columns), schema, source))
    bad_cells: set[tuple[int, str]] = set()
    for f in schema.fields:
        if f.name not in table.columns:
            continue
        if f.kind in NUMERIC:
            table[f.name], found, bad = _numbers(table[f.name], f, source)
            problems.extend(found)
            bad_cells.update((idx, f.name) for idx in bad)
        else:
            text = _text(table[f.name])
            table[f.name] = text.where(text != "", None).astype(object)
    problems.extend(_declarative_checks(table, schema, source, bad_cells))
    if schema.unique_together:
        present = [n for n in schema.unique_together if n in table.columns]
        for idx in table.index[table.duplicated(subset=present, keep="first")]:
            key = ", ".join(f"{n}={table.at[idx, n]}" for n in present)
            problems.append(Problem(source, f"duplicate row for ({key})", _row_number(idx)))
    for f in schema.fields:
        if f.kind == MONTH and f.contiguous and f.name in table.columns:
            problems.extend(_month_gaps(table[f.name], f, source))
    for name in table.columns:
        if schema.field(name) is None:
            values = table[name].to_numpy(dtype=object)
            kept = [
                None if t == "" else str(v) for v, t in zip(values, _text(table[name]), strict=True)
            ]
            table[name] = pd.Series(kept, index=table.index, dtype=object)
    return table, problems


def structure_problems(raw: pd.DataFrame, schema: TableSchema, source: str) -> list[Problem]:
    """Problems with the table's shape: repeated or missing columns, no data rows.

    A missing required column that another column's name misspells (``quantty``) says so.
    """
    columns = pd.Index([str(c).strip() for c in raw.columns])
    problems = [
        Problem(source, "column appears more than once", column=name)
        for name in columns[columns.duplicated()].unique()
    ]
    meant = {known: typed for typed, known in misspelt_columns(list(columns), schema).items()}
    problems += [
        Problem(
            source,
            "required column is missing"
            + (f" (is '{meant[f.name]}' meant to be it?)" if f.name in meant else ""),
            column=f.name,
        )
        for f in schema.fields
        if f.required and f.name not in columns
    ]
    if raw.empty and not schema.allow_empty:
        problems.append(Problem(source, "the table has no data rows"))
    return problems


NEAR_MISS = 0.85
"""How alike (:class:`difflib.SequenceMatcher` ratio) an unknown column's name must be to a
known column's for it to count as a misspelling of it."""


def misspelt_columns(columns: list[str], schema: TableSchema) -> dict[str, str]:
    """Unknown columns whose name misspells a known column the table lacks, mapped to it.

    ``Capacity``, ``capacity `` or ``capacty`` for an absent ``capacity``: read as a column
    of the user's own, the value would be ignored and the model would take the blank
    default (unlimited, 0). Names that differ more (``notes``, ``vat``) stay the user's.
    """
    absent = [f.name for f in schema.fields if f.name not in columns]
    found = {}
    for name in columns:
        if schema.field(name) is not None:
            continue
        plain = re.sub(r"[\s\-]+", "_", name.strip().lower())
        close = difflib.get_close_matches(plain, absent, n=1, cutoff=NEAR_MISS)
        if close:
            found[name] = close[0]
    return found


def _misspelt_problems(columns: list[str], schema: TableSchema, source: str) -> list[Problem]:
    """An optional column whose name is misspelt (a required one is reported as missing)."""
    return [
        Problem(
            source,
            f"'{typed}' is not a column cbecopt knows: did you mean '{known}'? "
            "Rename it, or give a column of your own a name of its own",
            column=typed,
        )
        for typed, known in misspelt_columns(columns, schema).items()
        if not schema.field(known).required
    ]


def _numbers(column: pd.Series, f: Field, source: str) -> tuple[pd.Series, list[Problem], list]:
    """The column as float64 (NaN where blank or bad), its problems and its bad rows.

    A column read from a file is text; a column given as numbers (a table built in Python,
    :meth:`cbecopt.instance.Instance.with_tables`) is checked as it is, with no round trip
    through text.
    """
    problems: list[Problem] = []
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        numbers = column.astype("float64")
        text = column
        not_numbers = column.index[:0]
    else:
        text = _text(column)
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
        not_numbers = text.index[(text != "") & numbers.isna()]
    one_by_one = not_numbers
    if f.kind == MONTH:
        labels = [idx for idx in not_numbers if CALENDAR_LABEL.fullmatch(text[idx])]
        if labels:
            problems.append(
                Problem(
                    source,
                    f"{f.name} holds calendar labels such as '{text[labels[0]]}'; "
                    "write calendar months as YYYY-MM (2027-01) or number the months of the "
                    "horizon 1, 2, ...",
                    column=f.name,
                )
            )
            one_by_one = not_numbers.difference(labels)
    for idx in one_by_one:
        problems.append(Problem(source, f"'{text[idx]}' is not a number", _row_number(idx), f.name))
    infinite = numbers.index[np.isinf(numbers.to_numpy())]
    for idx in infinite:
        problems.append(
            Problem(source, f"'{text[idx]}' is not a finite number", _row_number(idx), f.name)
        )
    numbers[infinite] = np.nan
    fractional = numbers.index[numbers.notna() & (numbers != np.floor(numbers))]
    if f.kind != NUMBER:
        for idx in fractional:
            problems.append(
                Problem(source, f"'{text[idx]}' is not a whole number", _row_number(idx), f.name)
            )
    bad = [*not_numbers, *infinite, *(fractional if f.kind != NUMBER else [])]
    return numbers, problems, bad


def _month_gaps(months: pd.Series, f: Field, source: str) -> list[Problem]:
    """Rows whose month lies beyond a gap in the months used (a 15 typed in a 1..12 horizon)."""
    used = np.unique(months.dropna().to_numpy())
    used = used[
        (used == np.floor(used)) & (used >= (f.minimum if f.minimum is not None else -np.inf))
    ]
    gaps = np.flatnonzero(np.diff(used) > 1)
    if not gaps.size:
        return []
    before, after = used[gaps[0]], used[gaps[0] + 1]
    message = (
        "month {:g} leaves {} without any row: the months used must run without gaps from "
        f"the first ({used[0]:g}); is it a typo?"
    )
    missing = (
        f"month {before + 1:g}"
        if after - before == 2
        else f"months {before + 1:g} to {after - 1:g}"
    )
    return [
        Problem(source, message.format(value, missing), _row_number(idx), f.name)
        for idx, value in months[months >= after].items()
    ]


def _pandera_schema(schema: TableSchema, columns: list[str]) -> pa.DataFrameSchema:
    checks: dict[str, pa.Column] = {}
    for f in schema.fields:
        if f.name not in columns:
            continue
        col_checks = []
        if f.minimum is not None:
            col_checks.append(pa.Check.ge(f.minimum))
        if f.maximum is not None:
            col_checks.append(pa.Check.le(f.maximum))
        if f.positive:
            col_checks.append(pa.Check.gt(0))
        if f.choices:
            col_checks.append(pa.Check.isin(list(f.choices)))
        if f.kind in NUMERIC:
            col_checks.append(pa.Check(lambda s, f=f: s.abs() <= f.largest, name="largest"))
        if f.smallest_positive is not None:
            col_checks.append(
                pa.Check(
                    lambda s, f=f: (s == 0) | (s.abs() >= f.smallest_positive),
                    name="smallest_positive",
                )
            )
        dtype = "float64" if f.kind in NUMERIC else object
        checks[f.name] = pa.Column(dtype, checks=col_checks, nullable=True, unique=f.unique)
    return pa.DataFrameSchema(checks, strict=False)


def _describe(check: str, f: Field, value: object) -> str:
    shown = f"'{value}'" if not isinstance(value, float) else f"{value:g}"
    if check.startswith("greater_than_or_equal_to"):
        return f"{shown} is below the minimum {f.minimum:g}"
    if check.startswith("less_than_or_equal_to"):
        return f"{shown} is above the maximum {f.maximum:g}"
    if check.startswith("greater_than"):
        return f"{shown} must be greater than 0"
    if check.startswith("isin"):
        return f"{shown} is not one of: {', '.join(f.choices)}"
    if check == "largest":
        remedy = (
            "for no limit, leave the cell blank"
            if f.blank_is_unlimited
            else "use larger units (e.g. thousands)"
        )
        return f"{shown} is too large for the solver (magnitude at most {f.largest:g}): {remedy}"
    if check == "smallest_positive":
        return (
            f"{shown} is below {f.smallest_positive:g}, too small for the solver to tell "
            "from 0: rescale the units (e.g. count units, not thousands)"
        )
    if check == "field_uniqueness":
        return f"{shown} appears more than once (values must be unique)"
    return f"{shown} fails check {check}"


def _declarative_checks(
    table: pd.DataFrame, schema: TableSchema, source: str, bad_cells: set[tuple[int, str]]
) -> list[Problem]:
    problems: list[Problem] = []
    for f in schema.fields:
        if f.name in table.columns and not f.nullable:
            for idx in table.index[table[f.name].isna()]:
                if (idx, f.name) not in bad_cells:
                    problems.append(Problem(source, "value is missing", _row_number(idx), f.name))
    try:
        _pandera_schema(schema, list(table.columns)).validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for case in cases.itertuples(index=False):
            f = schema.field(str(case.column))
            if f is None or case.index is None or pd.isna(case.index):
                continue
            problems.append(
                Problem(
                    source,
                    _describe(str(case.check), f, case.failure_case),
                    _row_number(case.index),
                    f.name,
                )
            )
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))
