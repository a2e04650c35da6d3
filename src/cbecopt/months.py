"""Calendar months (``2027-01``) as the time key of an instance, and planning windows.

Models count the months of their horizon 1, 2, ...; people plan in calendar months. An
instance may write every month column (``demand.month``, and the month columns of the other
tables) as ``YYYY-MM`` labels: on loading, :func:`number_months` turns each label into the
horizon's month number counted from the first month of the demand table (or from a first
month the instance already has), and the instance keeps that first month
(:attr:`cbecopt.instance.Instance.first_month`) so results can be labelled again
(:func:`label_months`). :func:`window` cuts a horizon of a given length from a given month.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from cbecopt.errors import OptionError, Problem

MONTH_LABEL = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
"""A calendar month as cbecopt reads and writes it: ``2027-01``."""

MONTH_COLUMNS = ("month", "ship_month", "arrival_month")
"""Result columns that hold a month of the horizon, labelled again by :func:`label_months`."""


def month_index(label: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` label (consecutive months differ by 1)."""
    found = MONTH_LABEL.fullmatch(str(label).strip())
    if found is None:
        raise ValueError(f"'{label}' is not a calendar month such as 2027-01")
    return int(found[1]) * 12 + int(found[2]) - 1


def month_label(index: int) -> str:
    """The ``YYYY-MM`` label of :func:`month_index`'s count."""
    year, month = divmod(int(index), 12)
    return f"{year:04d}-{month + 1:02d}"


def shift_label(label: str, months: int) -> str:
    """The calendar month ``months`` after ``label`` (before it when negative)."""
    return month_label(month_index(label) + months)


def is_label(value: object) -> bool:
    """Whether a cell holds a ``YYYY-MM`` calendar month."""
    return isinstance(value, str) and MONTH_LABEL.fullmatch(value.strip()) is not None


def number_months(
    tables: Mapping[str, pd.DataFrame],
    month_fields: Mapping[str, tuple[str, ...]],
    source: Callable[[str], str],
    first_month: str | None = None,
) -> tuple[dict[str, pd.DataFrame], str | None, list[Problem]]:
    """Every ``YYYY-MM`` cell of the month columns replaced by its month number of the horizon.

    Parameters
    ----------
    tables : the tables as read (text cells) or typed; only the columns of ``month_fields``
        change, and only in tables that hold a label.
    month_fields : per table, its month columns (from the schemas).
    source : how a person finds a table, for problems.
    first_month : the horizon's first month when the instance already has one (a copy of a
        calendar instance); otherwise the earliest label of ``demand.month``.

    Returns
    -------
    The tables (copies where changed), the first month (``None``: no labels anywhere) and the
    problems: a column that mixes labels with numbers, labels in a table while ``demand``
    numbers its months.
    """
    labelled = {
        (name, column): tables[name][column]
        for name, columns in month_fields.items()
        if name in tables
        for column in columns
        if column in tables[name].columns and tables[name][column].map(is_label).any()
    }
    problems: list[Problem] = []
    for (name, column), values in list(labelled.items()):
        given = values[values.map(lambda v: str(v).strip() not in ("", "nan", "None"))]
        numbers = given[~given.map(is_label)]
        if len(numbers) >= len(given) - len(numbers):  # a few labels among numbers: typos
            problems.extend(
                Problem(
                    source(name),
                    f"'{values[idx]}' is a calendar month among month numbers; write every "
                    "month of the column one way (2027-01 or 1, 2, ...)",
                    int(idx) + 2,
                    column,
                )
                for idx in given.index.difference(numbers.index)
            )
            del labelled[(name, column)]
        else:
            problems.extend(
                Problem(
                    source(name),
                    f"'{values[idx]}' is not a calendar month like the column's others "
                    f"(such as '{_first_label(values)}'); write it as YYYY-MM",
                    int(idx) + 2,
                    column,
                )
                for idx in numbers.index
            )
    if not labelled:
        return dict(tables), first_month, problems
    demand_labels = labelled.get(("demand", "month"))
    if first_month is None and demand_labels is not None:
        first_month = month_label(min(month_index(v) for v in demand_labels if is_label(v)))
    out = dict(tables)
    for (name, column), values in labelled.items():
        if first_month is None:
            problems.append(
                Problem(
                    source(name),
                    f"{column} holds calendar months (such as '{_first_label(values)}') while "
                    "demand numbers its months 1, 2, ...: write every month one way",
                    column=column,
                )
            )
            continue
        origin = month_index(first_month) - 1
        table = out[name].copy()
        table[column] = [
            str(month_index(v) - origin) if is_label(v) else v for v in values.to_numpy(object)
        ]
        out[name] = table
    return out, first_month, problems


def _first_label(values: pd.Series) -> str:
    return next(str(v).strip() for v in values if is_label(v))


def label_months(table: pd.DataFrame, first_month: str | None) -> pd.DataFrame:
    """``table`` with its month columns (:data:`MONTH_COLUMNS`) as calendar labels counted from
    ``first_month`` (month 1); unchanged without a first month. Blank months stay blank."""
    present = [c for c in MONTH_COLUMNS if c in table.columns]
    if first_month is None or not present:
        return table
    origin = month_index(first_month) - 1
    out = table.copy()
    for column in present:
        numbers = pd.to_numeric(out[column], errors="coerce")
        labels = [
            None if np.isnan(n) else month_label(origin + int(n)) for n in numbers.to_numpy(float)
        ]
        out[column] = pd.Series(labels, index=out.index, dtype=object)
    return out


def month_number(month: str | int, first_month: str | None) -> int:
    """The horizon's number of ``month``: a calendar month counted from ``first_month``, or a
    month number as given.

    Raises
    ------
    OptionError
        a calendar month for an instance that numbers its months, or neither form.
    """
    text = str(month).strip()
    if is_label(text):
        if first_month is None:
            raise OptionError(
                f"{text} is a calendar month, but the instance numbers its months 1, 2, ...; "
                "give a month number",
                "start",
            )
        return month_index(text) - month_index(first_month) + 1
    try:
        return int(text)
    except ValueError:
        raise OptionError(
            f"'{text}' is neither a calendar month (2027-01) nor a number", "start"
        ) from None


def describe_month(number: int, first_month: str | None) -> str:
    """A month for a message: its calendar label in a calendar instance, else ``month N``."""
    if first_month is None:
        return f"month {number}"
    return month_label(month_index(first_month) + number - 1)


def shifted_months(table: pd.DataFrame, columns: tuple[str, ...], by: int) -> pd.DataFrame:
    """``table`` with its month ``columns`` moved ``by`` months earlier (a window's renumbering)."""
    present = [c for c in columns if c in table.columns]
    if not present or by == 0:
        return table
    return table.assign(**{c: pd.to_numeric(table[c]) - by for c in present})
