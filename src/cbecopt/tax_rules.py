"""China's import tax rules for CBEC planning, read from dated data (``tax_rules.toml``).

The rates and limits change by announcement (the CBEC limits rose on 2019-01-01, the postal
articles rates changed on 2019-04-09), so they are data, not code: a file of complete rule
sets, each under the date it came into force. A planner who needs newer rules adds a set to a
copy of the file and passes its path; a past plan is recomputed under the rules of its date.
The layout and the meaning of every key are described at the top of the bundled file.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cbecopt.errors import InputError, OptionError, Problem

BUNDLED_RULES = "tax_rules.toml"

# The values each kind of number may take: (test, what the message says it must be).
_RANGES = {
    "rate": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "share": (lambda x: 0 <= x <= 1, "in [0, 1]"),
    "amount": (lambda x: x >= 0, "0 or more"),
    "limit": (lambda x: x > 0, "above 0"),
}
# Every number of a rule set and its kind.
_NUMBERS = {
    "cbec_tariff": "rate",
    "cbec_discount": "share",
    "cbec_single_limit": "limit",
    "cbec_annual_limit": "limit",
    "postal_exemption": "amount",
    "postal_value_limit": "limit",
}
_KEYS = {"source", "postal_rates", *_NUMBERS}


@dataclass(frozen=True)
class TaxRules:
    """One set of import tax rules, in force from ``effective`` until the next set's date.

    Rates are fractions (0.13 = 13%), amounts RMB.

    Attributes
    ----------
    effective : datetime.date
        The date the set came into force.
    source : tuple of str
        The policy documents the set is taken from.
    cbec_tariff : float
        Tariff rate on CBEC retail imports within the limits.
    cbec_discount : float
        Share of the statutory VAT and consumption tax levied on CBEC retail imports within
        the limits.
    cbec_single_limit : float
        Largest dutiable value of one CBEC order.
    cbec_annual_limit : float
        Largest total of one buyer's CBEC orders in a calendar year.
    postal_exemption : float
        Postal articles tax of this amount or less is not collected.
    postal_value_limit : float
        Value ceiling of one parcel of personal articles.
    postal_rates : dict of str to float
        Postal articles tax rate by category (``postal_13``, ``postal_20``, ``postal_50``).
    file : str
        The file the set was read from, for messages.
    """

    effective: dt.date
    source: tuple[str, ...]
    cbec_tariff: float
    cbec_discount: float
    cbec_single_limit: float
    cbec_annual_limit: float
    postal_exemption: float
    postal_value_limit: float
    postal_rates: dict[str, float]
    file: str


def bundled_rules_path() -> Path:
    """The rules file shipped with cbecopt."""
    return Path(str(resources.files("cbecopt").joinpath(BUNDLED_RULES)))


def load_tax_rules(path: str | Path | None = None, date: dt.date | str | None = None) -> TaxRules:
    """The rule set in force on ``date`` (default: the latest) from a rules file.

    Parameters
    ----------
    path : str or Path, optional
        A TOML file laid out like the bundled ``tax_rules.toml``; default: the bundled file.
    date : datetime.date or str (YYYY-MM-DD), optional
        The day the rules should apply to; default: the latest set in the file.

    Raises
    ------
    InputError
        The file is missing, is not TOML, or any rule set in it is invalid; every problem is
        listed with the file, the table and key, and what is wrong.
    OptionError
        ``date`` is not a date, or falls before the earliest rule set.
    """
    file = Path(path) if path is not None else bundled_rules_path()
    on = _as_date(date)
    rule_sets = read_rule_sets(file)
    if on is None:
        return rule_sets[max(rule_sets)]
    in_force = [effective for effective in rule_sets if effective <= on]
    if not in_force:
        raise OptionError(
            f"no tax rule set in force on {on}: the earliest in {file} starts {min(rule_sets)}"
        )
    return rule_sets[max(in_force)]


def read_rule_sets(file: Path) -> dict[dt.date, TaxRules]:
    """Every rule set in ``file`` by effective date, each checked; all problems raised at once."""
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
    rule_sets: dict[dt.date, TaxRules] = {}
    for key, table in tables.items():
        where = f'[rules."{key}"]'
        try:
            effective = dt.date.fromisoformat(key)
        except ValueError:
            problems.append(Problem(name, f"{where}: the table name must be a date YYYY-MM-DD"))
            continue
        if effective in rule_sets:
            problems.append(Problem(name, f"{where}: a second rule set for {effective}"))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(name, f"{where}: must be a table of rules"))
            continue
        found = _check_rule_set(table)
        problems += [Problem(name, f"{where} {message}") for message in found]
        if not found:
            rule_sets[effective] = _rule_set(table, effective, name)
    if problems:
        raise InputError(problems)
    return rule_sets


def _check_rule_set(table: dict) -> list[str]:
    """What is wrong with one rule set (``key: message``), or an empty list."""
    found = [f"{key}: unknown key" for key in table if key not in _KEYS]
    found += [f"{key}: missing" for key in sorted(_KEYS - set(table))]
    source = table.get("source")
    if "source" in table and (
        not isinstance(source, list)
        or not source
        or not all(isinstance(s, str) and s.strip() for s in source)
    ):
        found.append("source: must be a non-empty list of citations (strings)")
    for key, kind in _NUMBERS.items():
        if key in table:
            message = _number_problem(table[key], kind)
            if message:
                found.append(f"{key}: {message}")
    rates = table.get("postal_rates")
    if "postal_rates" in table:
        if not isinstance(rates, dict) or not rates:
            found.append("postal_rates: must be a table of category = rate")
        else:
            for category, rate in rates.items():
                message = _number_problem(rate, "rate")
                if message:
                    found.append(f"postal_rates.{category}: {message}")
    single, annual = table.get("cbec_single_limit"), table.get("cbec_annual_limit")
    if not found and single > annual:
        found.append(
            f"cbec_single_limit: {single} is above cbec_annual_limit {annual}; "
            "one order cannot exceed the year's limit"
        )
    return found


def _number_problem(value, kind: str) -> str | None:
    """Why ``value`` is not a number of its kind (see ``_RANGES``), or ``None`` when it is."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"must be a number, got {value!r}"
    test, expected = _RANGES[kind]
    return None if test(value) else f"must be {expected}, got {value}"


def _rule_set(table: dict, effective: dt.date, file: str) -> TaxRules:
    return TaxRules(
        effective=effective,
        source=tuple(table["source"]),
        **{key: float(table[key]) for key in _NUMBERS},
        postal_rates={category: float(rate) for category, rate in table["postal_rates"].items()},
        file=file,
    )


def _as_date(date: dt.date | str | None) -> dt.date | None:
    if date is None or isinstance(date, dt.date):
        return date
    try:
        return dt.date.fromisoformat(date)
    except ValueError:
        raise OptionError(f"--date '{date}' is not a date YYYY-MM-DD") from None
