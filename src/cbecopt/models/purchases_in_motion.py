"""What the purchase-side models (``suppliers``, ``contracts``) read of the tables of what is
already in motion: ``placed_orders`` (units already bought) and ``frozen`` (decisions taken).

Both models name a purchase by (supplier, SKU); each gives the offers it has and the
decisions of ``frozen`` it can fix, and gets back the rows that fit, or every problem found as
an :class:`~cbecopt.errors.InputError` naming file (or sheet), row (header = row 1) and column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import pandas as pd

from cbecopt.errors import Problem
from cbecopt.instance import Instance


@dataclass(frozen=True)
class PlacedOrder:
    """One ``placed_orders`` row the model can use: its offer, units and price paid."""

    offer: int  # the model's position of the offer (supplier, SKU)
    quantity: float
    unit_price: float
    index: object  # the row's label, for messages


@dataclass(frozen=True)
class FrozenDecision:
    """One ``frozen`` row the model can fix: which decision, of what, at which value."""

    decision: str
    node: str
    sku: str | None
    value: float
    index: object


@dataclass(frozen=True)
class InMotionRows:
    """What :func:`read_purchases_in_motion` found."""

    placed: list[PlacedOrder]
    frozen: list[FrozenDecision]
    warnings: list[str]
    problems: list[Problem]


def read_purchases_in_motion(
    instance: Instance,
    model: str,
    offers: Mapping[tuple[str, str], int],
    skus: Collection[str],
    decisions: Collection[str],
    left_out: tuple[Collection[tuple[str, str]], str] = ((), ""),
) -> InMotionRows:
    """The instance's placed orders and frozen decisions as ``model`` can use them, with
    warnings and problems (the caller adds its own checks and raises them all at once).

    ``offers`` maps the model's (supplier, SKU) pairs to their positions; ``skus`` are the SKUs
    the model plans (a placed order of a product outside them is ignored with a warning: there
    is nothing left to plan for it); ``decisions`` are the ``frozen`` decisions it has;
    ``left_out`` the pairs the model's options leave out and why (a placed order of one is
    ignored with a warning).

    Problems: an unknown supplier or SKU, a placed order of a pair the model has no offer of,
    a decision the model does not have.
    """
    tables = instance.network.in_motion
    problems: list[Problem] = []
    warnings: list[str] = []
    placed = _placed(
        instance, model, tables.get("placed_orders"), offers, skus, left_out, problems, warnings
    )
    frozen = []
    table = tables.get("frozen")
    for index, row in _rows(table):
        if row.decision not in decisions:
            problems.append(
                instance.problem(
                    "frozen",
                    f"the {model} model has no '{row.decision}' decision to fix (it fixes: "
                    f"{', '.join(decisions) or 'none'})",
                    index,
                    "decision",
                )
            )
            continue
        sku = row.sku if isinstance(row.sku, str) else None
        frozen.append(FrozenDecision(row.decision, row.node, sku, float(row.value), index))
    return InMotionRows(placed, frozen, warnings, problems)


def by_row(problems: list[Problem]) -> list[Problem]:
    """``problems`` by file, then row, as a person reads them."""
    return sorted(problems, key=lambda p: (p.file, p.row or 0))


def _placed(
    instance, model, table, offers, skus, left_out, problems, warnings
) -> list[PlacedOrder]:
    """The ``placed_orders`` rows the model can use; problems and warnings appended."""
    network = instance.network
    skus, (excluded, why) = set(skus), left_out
    kinds = network.nodes["kind"]
    products = set() if network.products is None else set(network.products["sku"])
    placed = []
    for index, row in _rows(table):
        if row.supplier not in kinds.index or kinds[row.supplier] != "supplier":
            problems.append(
                instance.problem(
                    "placed_orders",
                    f"'{row.supplier}' is no supplier in nodes",
                    index,
                    "supplier",
                )
            )
            continue
        if row.sku not in products:
            problems.append(
                instance.problem(
                    "placed_orders", f"unknown SKU '{row.sku}' (not in products)", index, "sku"
                )
            )
            continue
        where = (
            f"{instance.source('placed_orders')} row {instance.row_number('placed_orders', index)}"
        )
        if row.sku not in skus:
            warnings.append(
                f"{where}: SKU '{row.sku}' has no demand; the {model} model plans nothing for "
                "it, so this row is ignored"
            )
            continue
        pair = (row.supplier, row.sku)
        if pair not in offers and pair in excluded:
            warnings.append(
                f"{where}: the offer of '{row.sku}' by '{row.supplier}' is left out ({why}), "
                "so this row is ignored"
            )
            continue
        offer = offers.get(pair)
        if offer is None:
            problems.append(
                instance.problem(
                    "placed_orders",
                    f"supplier '{row.supplier}' has no offer of '{row.sku}' the {model} model "
                    "plans with: units ordered are bought on an offer",
                    index,
                    "sku",
                )
            )
            continue
        if row.quantity > 0:
            placed.append(PlacedOrder(offer, float(row.quantity), _price(row.unit_price), index))
    return placed


def _price(value) -> float:
    """A price paid per unit; blank is 0."""
    return 0.0 if pd.isna(value) else float(value)


def _rows(table: pd.DataFrame | None):
    """``(row label, row)`` of a table, none when it is not given."""
    if table is None:
        return []
    return zip(table.index, table.itertuples(index=False), strict=True)
