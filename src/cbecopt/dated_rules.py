"""Reading files of dated rule sets: laws and announcements as data, each set under its date.

The tax rules (``tax_rules.toml``) and the consumer-law penalties (``consumer_law.toml``)
change by law or announcement on a known day, so both are files of complete rule sets, each a
table ``[rules."YYYY-MM-DD"]`` in force from that date until the next set's date, each with
the ``source`` it is taken from. This module reads such a file and picks the set in force on
a day; what a set holds is checked and built by the module that owns the file.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from cbecopt.errors import InputError, OptionError, Problem

T = TypeVar("T")

# The values each kind of number may take: (test, what the message says it must be).
RANGES = {
    "rate": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "share": (lambda x: 0 <= x <= 1, "in [0, 1]"),
    "amount": (lambda x: x >= 0, "0 or more"),
    "limit": (lambda x: x > 0, "above 0"),
}


def read_dated_sets(
    file: Path,
    check: Callable[[dict], list[str]],
    build: Callable[[dict, dt.date, str], T],
) -> dict[dt.date, T]:
    """Every rule set in ``file`` by effective date; all problems raised at once.

    ``check(table)`` says what is wrong with one set (``key: message``, besides ``source``,
    which is checked here for every set); ``build(table, effective, file)`` makes the set of a
    table that passed.

    Raises
    ------
    InputError
        The file is missing or is not TOML, or a set is invalid: every problem names the
        file, the table and key, and what is wrong.
    """
    name = str(file)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(Problem(name, "not found")) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(Problem(name, f"cannot be read as TOML: {exc}")) from None
    problems = [Problem(name, f"unknown top-level key '{key}'") for key in data if key != "rules"]
    tables = data.get("rules")
    if not isinstance(tables, dict) or not tables:
        problems.append(Problem(name, '[rules."YYYY-MM-DD"]: no rule set (need at least one)'))
        raise InputError(problems)
    sets: dict[dt.date, T] = {}
    for key, table in tables.items():
        where = f'[rules."{key}"]'
        try:
            effective = dt.date.fromisoformat(key)
        except ValueError:
            problems.append(Problem(name, f"{where}: the table name must be a date YYYY-MM-DD"))
            continue
        if effective in sets:
            problems.append(Problem(name, f"{where}: a second rule set for {effective}"))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(name, f"{where}: must be a table of rules"))
            continue
        found = [*_source_problems(table), *check(table)]
        problems += [Problem(name, f"{where} {message}") for message in found]
        if not found:
            sets[effective] = build(table, effective, name)
    if problems:
        raise InputError(problems)
    return sets


def in_force(sets: dict[dt.date, T], on: dt.date | None, file: Path | str, what: str) -> T:
    """The set of ``sets`` in force on ``on`` (``None``: the latest); ``what`` names the kind
    of set in the message when ``on`` falls before the earliest."""
    if on is None:
        return sets[max(sets)]
    started = [effective for effective in sets if effective <= on]
    if not started:
        raise OptionError(f"no {what} in force on {on}: the earliest in {file} starts {min(sets)}")
    return sets[max(started)]


def as_date(date: dt.date | str | None) -> dt.date | None:
    """``date`` as a date (``None`` stays ``None``); text that is no date is an ``OptionError``."""
    if date is None or isinstance(date, dt.date):
        return date
    try:
        return dt.date.fromisoformat(date)
    except ValueError:
        raise OptionError(f"--date '{date}' is not a date YYYY-MM-DD") from None


def number_problem(value, kind: str) -> str | None:
    """Why ``value`` is not a number of its kind (see ``RANGES``), or ``None`` when it is."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a number, got {value!r}"
    test, expected = RANGES[kind]
    return None if test(value) else f"must be {expected}, got {value}"


def _source_problems(table: dict) -> list[str]:
    source = table.get("source")
    if "source" not in table:
        return ["source: missing"]
    if (
        not isinstance(source, list)
        or not source
        or not all(isinstance(s, str) and s.strip() for s in source)
    ):
        return ["source: must be a non-empty list of citations (strings)"]
    return []
