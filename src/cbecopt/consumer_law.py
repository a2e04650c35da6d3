"""What selling one counterfeit unit costs under China's consumer law, from dated data.

A buyer of counterfeit goods may claim a refund of the price plus an extra compensation the
law fixes as a multiple of the price with a minimum: ten times, at least RMB 1,000, for food
(Food Safety Law art. 148: infant formula, supplements), three times, at least RMB 500,
otherwise (Consumer Rights Protection Law art. 55). The multiples, minimums and the categories
each law covers are data (``consumer_law.toml``, read by :mod:`cbecopt.dated_rules`), so a
change of law is a new dated set, not new code. The suppliers model charges this penalty for a
product with a category and a price and no stated ``counterfeit_penalty``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path

from cbecopt.dated_rules import as_date, in_force, number_problem, read_dated_sets
from cbecopt.errors import OptionError

BUNDLED_LAW = "consumer_law.toml"
_KEYS = {"source", "default", "penalties"}
_PENALTY_KEYS = {"law", "multiple", "minimum", "categories"}


@dataclass(frozen=True)
class Penalty:
    """One statutory penalty: refund plus ``max(multiple x price, minimum)``."""

    name: str
    law: str
    multiple: float
    minimum: float
    categories: tuple[str, ...]

    def amount(self, price: float) -> float:
        """The refund of ``price`` plus the extra compensation, RMB to the fen."""
        paid = Decimal(str(price))
        extra = max(Decimal(str(self.multiple)) * paid, Decimal(str(self.minimum)))
        return float((paid + extra).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class ConsumerLaw:
    """The statutory penalties in force from ``effective``, by name; ``default`` applies to a
    category no penalty lists."""

    effective: dt.date
    source: tuple[str, ...]
    penalties: dict[str, Penalty]
    default: str
    file: str

    def penalty_for(self, category: str | None) -> Penalty:
        """The penalty for a product category (case and surrounding blanks ignored)."""
        key = (category or "").strip().lower()
        for penalty in self.penalties.values():
            if key in penalty.categories:
                return penalty
        return self.penalties[self.default]


def bundled_law_path() -> Path:
    """The consumer-law file shipped with cbecopt."""
    return Path(str(resources.files("cbecopt").joinpath(BUNDLED_LAW)))


def load_consumer_law(
    path: str | Path | None = None, date: dt.date | str | None = None
) -> ConsumerLaw:
    """The penalties in force on ``date`` (default: the latest set) from a consumer-law file
    laid out like the bundled ``consumer_law.toml`` (default: that file)."""
    file = Path(path) if path is not None else bundled_law_path()
    sets = read_dated_sets(file, _check_set, _law)
    return in_force(sets, as_date(date), file, "consumer-law rule set")


def statutory_penalty(category: str | None, price: float, law: ConsumerLaw | None = None) -> float:
    """Refund plus the statutory extra compensation for one counterfeit unit of ``category``
    sold at ``price``, RMB: ``price + max(multiple x price, minimum)`` of the category's law
    (default: the latest bundled set).

    Raises
    ------
    OptionError
        ``price`` is not a finite number of 0 or more.
    """
    if (
        isinstance(price, bool)
        or not isinstance(price, numbers.Real)
        or not math.isfinite(price)
        or price < 0
    ):
        raise OptionError(f"price must be a finite number of 0 or more, got {price!r}")
    return (law or load_consumer_law()).penalty_for(category).amount(price)


def _check_set(table: dict) -> list[str]:
    """What is wrong with one set (``key: message``), or an empty list."""
    found = [f"{key}: unknown key" for key in table if key not in _KEYS]
    found += [f"{key}: missing" for key in sorted(_KEYS - {"source"} - set(table))]
    penalties = table.get("penalties", {})
    if not isinstance(penalties, dict) or not penalties:
        return [*found, "penalties: must be a table of penalties"]
    seen: dict[str, str] = {}
    for name, penalty in penalties.items():
        where = f"penalties.{name}"
        if not isinstance(penalty, dict):
            found.append(f"{where}: must be a table")
            continue
        found += [f"{where}.{key}: unknown key" for key in penalty if key not in _PENALTY_KEYS]
        found += [f"{where}.{key}: missing" for key in sorted(_PENALTY_KEYS - set(penalty))]
        for key in ("multiple", "minimum"):
            message = number_problem(penalty.get(key), "amount") if key in penalty else None
            if message:
                found.append(f"{where}.{key}: {message}")
        categories = penalty.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            found.append(f"{where}.categories: must be a list of category names")
            continue
        for category in categories:
            key = category.strip().lower()
            if key in seen:
                found.append(f"{where}.categories: '{category}' is also in {seen[key]}")
            seen[key] = name
    if "default" in table and table["default"] not in penalties:
        found.append(f"default: {table['default']!r} is not one of the penalties")
    return found


def _law(table: dict, effective: dt.date, file: str) -> ConsumerLaw:
    return ConsumerLaw(
        effective=effective,
        source=tuple(table["source"]),
        penalties={
            name: Penalty(
                name,
                p["law"],
                float(p["multiple"]),
                float(p["minimum"]),
                tuple(c.strip().lower() for c in p["categories"]),
            )
            for name, p in table["penalties"].items()
        },
        default=table["default"],
        file=file,
    )
