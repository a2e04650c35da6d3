"""China's import tax rules for CBEC planning, read from dated data (``tax_rules.toml``).

The rates and limits change by announcement (the CBEC limits rose on 2019-01-01, the postal
articles rates changed on 2019-04-09) and their legal basis by law (the Customs Tariff Law on
2024-12-01, the VAT Law on 2026-01-01), so they are data, not code: a file of complete rule
sets, each under the date it came into force, read by :mod:`cbecopt.dated_rules`. A planner
who needs newer rules adds a set to a copy of the file and passes its path; a past plan is
recomputed under the rules of its date.
The layout and the meaning of every key are described at the top of the bundled file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cbecopt.dated_rules import as_date, in_force, number_problem, read_dated_sets
from cbecopt.errors import OptionError

BUNDLED_RULES = "tax_rules.toml"

# Every number of a rule set and its kind (:data:`cbecopt.dated_rules.RANGES`).
_NUMBERS = {
    "cbec_tariff": "rate",
    "cbec_discount": "share",
    "cbec_single_limit": "limit",
    "cbec_annual_limit": "limit",
    "postal_exemption": "amount",
    "postal_value_limit": "limit",
}
_REQUIRED = {"postal_rates", "postal_consumption_taxed", *_NUMBERS}
_KEYS = {"source", "postal_goods", *_REQUIRED}


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
        Postal articles tax rate by class (``postal_13``, ``postal_20``, ``postal_50``).
    postal_consumption_taxed : str
        The class of goods subject to consumption tax (high-end cosmetics, jewellery,
        high-end watches...): ``postal_50``.
    postal_goods : dict of str to str
        Named kinds of goods and their class (``high_end_cosmetics = "postal_50"``), so a
        planner can name the goods rather than the class.
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
    postal_consumption_taxed: str
    postal_goods: dict[str, str]
    file: str

    def postal_class(self, name: str) -> str:
        """The postal class ``name`` stands for: a class itself, or goods the set names.

        Raises
        ------
        OptionError
            ``name`` is neither; the message lists the classes and the goods.
        """
        key = name.strip()
        if key in self.postal_rates:
            return key
        if key in self.postal_goods:
            return self.postal_goods[key]
        raise OptionError(
            f"unknown postal category '{name}': use a class ({', '.join(self.postal_rates)}) "
            f"or goods named in {Path(self.file).name} ({', '.join(sorted(self.postal_goods))})"
        )


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
    on = as_date(date)
    return in_force(read_rule_sets(file), on, file, "tax rule set")


def read_rule_sets(file: Path) -> dict[dt.date, TaxRules]:
    """Every rule set in ``file`` by effective date, each checked; all problems raised at once."""
    return read_dated_sets(file, _check_rule_set, _rule_set)


def _check_rule_set(table: dict) -> list[str]:
    """What is wrong with one rule set (``key: message``), or an empty list."""
    found = [f"{key}: unknown key" for key in table if key not in _KEYS]
    found += [f"{key}: missing" for key in sorted(_REQUIRED - set(table))]
    for key, kind in _NUMBERS.items():
        if key in table:
            message = number_problem(table[key], kind)
            if message:
                found.append(f"{key}: {message}")
    rates = table.get("postal_rates")
    if "postal_rates" in table:
        if not isinstance(rates, dict) or not rates:
            found.append("postal_rates: must be a table of class = rate")
            rates = {}
        for category, rate in rates.items():
            message = number_problem(rate, "rate")
            if message:
                found.append(f"postal_rates.{category}: {message}")
    classes = set(rates or ())
    taxed = table.get("postal_consumption_taxed")
    if "postal_consumption_taxed" in table and taxed not in classes:
        found.append(f"postal_consumption_taxed: {taxed!r} is not a class of postal_rates")
    goods = table.get("postal_goods", {})
    if not isinstance(goods, dict):
        found.append("postal_goods: must be a table of goods = class")
    else:
        found += [
            f"postal_goods.{name}: {cls!r} is not a class of postal_rates"
            for name, cls in goods.items()
            if cls not in classes
        ]
        found += [f"postal_goods.{name}: is a class name" for name in goods if name in classes]
    single, annual = table.get("cbec_single_limit"), table.get("cbec_annual_limit")
    if not found and single > annual:
        found.append(
            f"cbec_single_limit: {single} is above cbec_annual_limit {annual}; "
            "one order cannot exceed the year's limit"
        )
    return found


def _rule_set(table: dict, effective: dt.date, file: str) -> TaxRules:
    return TaxRules(
        effective=effective,
        source=tuple(table["source"]),
        **{key: float(table[key]) for key in _NUMBERS},
        postal_rates={category: float(rate) for category, rate in table["postal_rates"].items()},
        postal_consumption_taxed=table["postal_consumption_taxed"],
        postal_goods=dict(table.get("postal_goods", {})),
        file=file,
    )
