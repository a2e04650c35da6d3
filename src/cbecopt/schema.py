"""Table schemas and the validation that reports every problem at once.

A schema is a list of :class:`Field` s, one per known column: its kind (text, number,
integer, category), whether it is required and may be blank, its bounds and whether values
must be unique. Unknown columns are kept and not checked. Validation first parses numbers
itself (so "abc" in a numeric column is reported with its row), then runs the declarative
checks through pandera, and translates every failure into a :class:`~cbecopt.errors.Problem`
naming file, row and column.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pandera.pandas as pa

from cbecopt.errors import Problem

TEXT, NUMBER, INTEGER, CATEGORY = "text", "number", "integer", "category"


@dataclass(frozen=True)
class Field:
    """One column of a table.

    Parameters
    ----------
    name : column name as it appears in the file.
    kind : ``text``, ``number``, ``integer`` or ``category`` (text from ``choices``).
    required : the column must be present.
    nullable : cells may be blank (a blank number means "not given": see each table's docs).
    minimum : smallest allowed value for numbers (inclusive).
    maximum : largest allowed value for numbers (inclusive).
    positive : numbers must be strictly greater than zero.
    unique : values must not repeat.
    choices : allowed values for a category.
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


def _is_blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value).strip() == ""
    )


def _row_number(index: int) -> int:
    """Row as a person counts it: the header is row 1, the first data row is row 2."""
    return int(index) + 2


def parse_table(
    raw: pd.DataFrame, schema: TableSchema, source: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn a table read as text into typed columns, and list every problem in it.

    Parameters
    ----------
    raw : the table as read, every cell text (blank cells as empty strings).
    schema : what the table must look like.
    source : the file or sheet name to put in problems.

    Returns
    -------
    The typed table (numbers as float64, blanks as NaN; text stripped) and the problems found.
    Unknown columns are kept as text.
    """
    problems: list[Problem] = []
    table = raw.copy()
    table.columns = [str(c).strip() for c in table.columns]
    duplicated = table.columns[table.columns.duplicated()].unique()
    for name in duplicated:
        problems.append(Problem(source, "column appears more than once", column=name))
    if len(duplicated):
        return table, problems
    for f in schema.fields:
        if f.required and f.name not in table.columns:
            problems.append(Problem(source, "required column is missing", column=f.name))
    if table.empty and not schema.allow_empty:
        problems.append(Problem(source, "the table has no data rows"))
    if problems:
        return table, problems

    bad_cells: set[tuple[int, str]] = set()
    for f in schema.fields:
        if f.name not in table.columns:
            continue
        text = table[f.name].map(lambda v: "" if _is_blank(v) else str(v).strip())
        if f.kind in (NUMBER, INTEGER):
            numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
            for idx in table.index[(text != "") & numbers.isna()]:
                problems.append(
                    Problem(source, f"'{text[idx]}' is not a number", _row_number(idx), f.name)
                )
                bad_cells.add((idx, f.name))
            for idx in table.index[np.isinf(numbers.to_numpy())]:
                problems.append(
                    Problem(
                        source, f"'{text[idx]}' is not a finite number", _row_number(idx), f.name
                    )
                )
                bad_cells.add((idx, f.name))
                numbers[idx] = np.nan
            if f.kind == INTEGER:
                fractional = numbers.notna() & (numbers != np.floor(numbers))
                for idx in table.index[fractional]:
                    problems.append(
                        Problem(
                            source, f"'{text[idx]}' is not a whole number", _row_number(idx), f.name
                        )
                    )
                    bad_cells.add((idx, f.name))
            table[f.name] = numbers
        else:
            table[f.name] = text.where(text != "", None).astype(object)
    problems.extend(_declarative_checks(table, schema, source, bad_cells))
    if schema.unique_together:
        present = [n for n in schema.unique_together if n in table.columns]
        for idx in table.index[table.duplicated(subset=present, keep="first")]:
            key = ", ".join(f"{n}={table.at[idx, n]}" for n in present)
            problems.append(Problem(source, f"duplicate row for ({key})", _row_number(idx)))
    for name in table.columns:
        if schema.field(name) is None:
            table[name] = table[name].map(lambda v: None if _is_blank(v) else str(v))
    return table, problems


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
        dtype = "float64" if f.kind in (NUMBER, INTEGER) else object
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
