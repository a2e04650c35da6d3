"""Cross-table checks of the product catalog: products, the contracts and offers suppliers make.

The column checks (types, bounds, blanks) are in :mod:`cbecopt.schemas`; these are the rules
that need more than one column or table: which prices a contract type needs, prices that
would make money from nothing (buy to salvage), minimum orders above capacity, and references
to suppliers and SKUs that do not exist.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pandas as pd

from cbecopt.errors import Problem

NEEDED_PRICES = {
    "firm": ("unit_price",),
    "quantity_flexibility": ("unit_price",),
    "spot": ("unit_price",),
    "option": ("premium", "exercise_price"),
}
"""The price columns each contract type must fill."""

ONLY_FOR = {
    "flex_up": ("quantity_flexibility",),
    "flex_down": ("quantity_flexibility",),
    "premium": ("option",),
    "exercise_price": ("option",),
    "min_order": ("firm", "quantity_flexibility", "option"),
}
"""Columns that mean something only for some contract types (a value elsewhere is an error)."""


def node_kinds(tables: dict[str, pd.DataFrame]) -> dict:
    """The kind of each node id."""
    return dict(zip(tables["nodes"]["id"], tables["nodes"]["kind"], strict=True))


def check_catalog(tables: dict[str, pd.DataFrame], source: Callable[[str], str]) -> list[Problem]:
    """Problems in ``products`` and ``contracts`` and in the demand rows' SKUs."""
    problems: list[Problem] = []
    kinds = node_kinds(tables)
    products = tables.get("products")
    skus = set(products["sku"]) if products is not None else None
    demand = tables["demand"]
    if skus is not None and "sku" in demand.columns:
        for idx, sku in demand["sku"].items():
            if sku is not None and sku not in skus:
                problems.append(
                    Problem(
                        source("demand"), f"unknown SKU '{sku}' (not in products)", idx + 2, "sku"
                    )
                )
    contracts = tables.get("contracts")
    if contracts is None:
        return problems
    if skus is None:
        problems.append(
            Problem(
                source("contracts"),
                "contracts need a products table (products.csv: sku, price, ...)",
            )
        )
    salvage = (
        dict(zip(products["sku"], _column(products, "salvage_value"), strict=True))
        if products is not None
        else {}
    )
    for idx, row in _rows(contracts):
        problems.extend(_check_contract(row, idx + 2, source("contracts"), kinds, skus, salvage))
    return problems


def _column(table: pd.DataFrame, name: str) -> pd.Series:
    return table[name].fillna(0.0) if name in table.columns else pd.Series(0.0, table.index)


def _rows(table: pd.DataFrame):
    """``(label, row as a dict)`` for each row: what iterrows gives, without a Series per row."""
    return zip(table.index, table.to_dict("records"), strict=True)


def _given(row: dict, column: str) -> bool:
    return column in row and pd.notna(row[column])


def _supplier_and_sku(supplier, sku, line, where, kinds, skus) -> list[Problem]:
    """A row's supplier must be a node of kind supplier and its SKU a product (blank values
    are reported elsewhere as missing)."""
    problems = []
    if supplier is not None and supplier not in kinds:
        problems.append(
            Problem(where, f"unknown supplier '{supplier}' (not in nodes)", line, "supplier")
        )
    elif supplier is not None and kinds[supplier] != "supplier":
        problems.append(
            Problem(
                where,
                f"node '{supplier}' is of kind '{kinds[supplier]}', not 'supplier'",
                line,
                "supplier",
            )
        )
    if skus is not None and sku is not None and sku not in skus:
        problems.append(Problem(where, f"unknown SKU '{sku}' (not in products)", line, "sku"))
    return problems


def _check_contract(row, line, where, kinds, skus, salvage) -> list[Problem]:
    problems = []
    supplier, sku, kind = row["supplier"], row["sku"], row["type"]
    if supplier is None or sku is None or kind not in NEEDED_PRICES:
        return problems  # already reported as a missing or invalid value
    problems += _supplier_and_sku(supplier, sku, line, where, kinds, skus)
    for column in NEEDED_PRICES[kind]:
        if not _given(row, column):
            problems.append(Problem(where, f"a {kind} contract needs {column}", line, column))
    for column, types in ONLY_FOR.items():
        if (
            _given(row, column)
            and kind not in types
            and not (column == "min_order" and row[column] == 0)
        ):
            problems.append(
                Problem(
                    where,
                    f"{column} applies only to {' / '.join(types)} contracts, not {kind}",
                    line,
                    column,
                )
            )
    if problems:
        return problems
    value = salvage.get(sku, 0.0)
    if kind == "option":
        if row["premium"] + row["exercise_price"] < value:
            problems.append(
                Problem(
                    where,
                    f"premium + exercise_price ({row['premium'] + row['exercise_price']:g}) is below "
                    f"the salvage value of '{sku}' ({value:g}): buying options to salvage would make money",
                    line,
                    "exercise_price",
                )
            )
    elif row["unit_price"] < value:
        problems.append(
            Problem(
                where,
                f"unit_price ({row['unit_price']:g}) is below the salvage value of '{sku}' "
                f"({value:g}): buying to salvage would make money",
                line,
                "unit_price",
            )
        )
    if _given(row, "min_order") and _given(row, "capacity") and row["min_order"] > row["capacity"]:
        problems.append(
            Problem(
                where,
                f"min_order ({row['min_order']:g}) exceeds capacity ({row['capacity']:g})",
                line,
                "min_order",
            )
        )
    return problems


def check_offers(tables: dict[str, pd.DataFrame], source: Callable[[str], str]) -> list[Problem]:
    """Problems in ``offers`` and ``price_breaks``: references, break schedules, inspection terms."""
    kinds = node_kinds(tables)
    offers, breaks = tables.get("offers"), tables.get("price_breaks")
    problems: list[Problem] = []
    if offers is None:
        if breaks is not None:
            problems.append(
                Problem(source("price_breaks"), "price breaks need an offers table (offers.csv)")
            )
        return problems
    where = source("offers")
    products = tables.get("products")
    skus = set(products["sku"]) if products is not None else None
    if skus is None:
        problems.append(Problem(where, "offers need a products table (products.csv: sku, ...)"))
    for idx, row in _rows(offers):
        line = idx + 2
        supplier, sku = row["supplier"], row["sku"]
        problems += _supplier_and_sku(supplier, sku, line, where, kinds, skus)
        if (
            _given(row, "min_order")
            and _given(row, "capacity")
            and row["min_order"] > row["capacity"]
        ):
            problems.append(
                Problem(
                    where,
                    f"capacity ({row['capacity']:g}) is below min_order ({row['min_order']:g})",
                    line,
                    "capacity",
                )
            )
        inspected, cost = _given(row, "inspected_counterfeit_rate"), _given(row, "inspection_cost")
        if inspected != cost:
            missing = "inspection_cost" if inspected else "inspected_counterfeit_rate"
            problems.append(
                Problem(
                    where,
                    "inspection needs both inspection_cost and inspected_counterfeit_rate",
                    line,
                    missing,
                )
            )
        elif inspected and row["inspected_counterfeit_rate"] > (
            row["counterfeit_rate"] if _given(row, "counterfeit_rate") else 0.0
        ):
            problems.append(
                Problem(
                    where,
                    "inspected_counterfeit_rate is above counterfeit_rate: inspection cannot add fakes",
                    line,
                    "inspected_counterfeit_rate",
                )
            )
    problems.extend(_check_breaks(offers, breaks, where, source("price_breaks")))
    return problems


def _check_breaks(
    offers: pd.DataFrame, breaks: pd.DataFrame | None, offers_file: str, where: str
) -> list[Problem]:
    """Every offer has a schedule starting at 0, with from_quantity increasing row by row."""
    problems = []
    keys = set(zip(offers["supplier"], offers["sku"], strict=True))
    schedules: dict[tuple, list[tuple[int, float]]] = {}
    if breaks is not None:
        for idx, row in _rows(breaks):
            key = (row["supplier"], row["sku"])
            if key not in keys:
                problems.append(
                    Problem(
                        where,
                        f"no offer from '{key[0]}' for '{key[1]}' in offers.csv",
                        idx + 2,
                        "supplier",
                    )
                )
                continue
            if pd.notna(row["from_quantity"]):
                schedules.setdefault(key, []).append((idx + 2, float(row["from_quantity"])))
    for idx, key in zip(
        offers.index, zip(offers["supplier"], offers["sku"], strict=True), strict=True
    ):
        rows = schedules.get(key)
        if not rows:
            problems.append(
                Problem(
                    offers_file,
                    f"offer '{key[0]}' / '{key[1]}' has no price_breaks rows",
                    idx + 2,
                    "sku",
                )
            )
            continue
        first_line, first = rows[0]
        if first != 0:
            problems.append(
                Problem(
                    where,
                    f"the first break of '{key[0]}' / '{key[1]}' starts at {first:g}, not 0: "
                    "units below it have no price",
                    first_line,
                    "from_quantity",
                )
            )
        for (_, before), (line, value) in itertools.pairwise(rows):
            if value <= before:
                problems.append(
                    Problem(
                        where,
                        f"from_quantity {value:g} is not above the previous break ({before:g}): breaks must increase",
                        line,
                        "from_quantity",
                    )
                )
    return problems
