"""What every model that reads the tables of what is already in motion shares
(``opening_stock``, ``in_transit``, ``placed_orders``, ``frozen``, ``planned_shipments``;
``models/network.md`` and ``models/routing.md``, "What is already in motion"): a decision
held at a value (:class:`Fixing`), how it is named in messages, and how its Pyomo variable's
bounds hold it, and the row reader both models' readers build on (:class:`RowReader`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from cbecopt.errors import InputError, Problem
from cbecopt.instance import Instance
from cbecopt.labelled import VarFamily


@dataclass(frozen=True)
class Fixing:
    """A first-stage variable held at ``value``: its family, its label in the family, the
    input row that asks for it (``frozen row 3``) and the decision in words (``warehouse NB
    used``), for messages and the diagnosis."""

    family: str
    label: Hashable
    value: float
    source: str
    said: str


def said(decision: str, label) -> str:
    """A frozen decision as messages name it: ``warehouse NB used``."""
    verb = {"supplier": "qualified", "overseas": "open", "warehouse": "used", "listing": "listed"}
    node = label if isinstance(label, str) else " ".join(label)
    return f"{decision} {node} {verb.get(decision, 'committed')}"


def table_rows(table):
    """``(row label, row)`` of a table, none when it is not given."""
    if table is None:
        return []
    return zip(table.index, table.itertuples(index=False), strict=True)


def fix_variables(fixings: Iterable[Fixing], by_name: Mapping[str, VarFamily]) -> None:
    """Hold every variable of ``fixings`` at its value (lower = upper bound), so the model
    written to LP or MPS carries them.

    A fixing of a variable the model does not have is an error unless its value is 0 (a
    variable never built is 0: a listing no lane can fill); the readers refuse the others.
    """
    for fixing in fixings:
        family = by_name.get(fixing.family)
        position = -1 if family is None else family.labels.get_indexer([fixing.label])[0]
        if position < 0:
            if fixing.value == 0:
                continue
            raise ValueError(
                f"{fixing.source}: the model has no {fixing.family} {fixing.label!r} to fix"
            )
        family.set_bounds([position], lower=fixing.value, upper=fixing.value)


class RowReader:
    """What the readers of the in-motion tables share: problems and warnings collected row by
    row, SKUs looked up, and the decisions the goods force (a warehouse holding stock is
    used, ...), remembered with the row that forces them so a frozen 0 can name it.

    ``skus`` are the model's SKUs in its order; ``model`` names the model in warnings.
    """

    def __init__(self, instance: Instance, skus, model: str):
        self.instance, self.model = instance, model
        products = instance.network.products
        self.products = set() if products is None else set(products["sku"])
        self.k_of = {s: k for k, s in enumerate(skus)}
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.forced: dict[tuple[str, object], Fixing] = {}
        self.held: dict[tuple[str, object], str] = {}
        self.arrivals: list[tuple] = []
        self.shipped: list[tuple] = []
        self.planned: list[Fixing] = []
        self.frozen_fixings: list[Fixing] = []

    @property
    def fixings(self) -> tuple[Fixing, ...]:
        """Every variable the tables fix: frozen decisions, what the goods force, planned
        shipments."""
        return (*self.frozen_fixings, *self.forced.values(), *self.planned)

    def problem(self, table: str, message: str, index, column: str | None) -> None:
        self.problems.append(self.instance.problem(table, message, index, column))

    def where(self, table: str, index) -> str:
        """The row as messages name it: ``frozen row 3``."""
        return f"{table} row {self.instance.row_number(table, index)}"

    def sku(self, table: str, index, sku) -> int | None:
        """The SKU's position, or None after a problem (unknown) or a warning (no demand)."""
        if sku is None:
            self.problem(table, "no SKU given", index, "sku")
        elif sku not in self.products:
            self.problem(table, f"unknown SKU '{sku}' (not in products)", index, "sku")
        elif sku not in self.k_of:
            self.warnings.append(
                f"{self.where(table, index)}: SKU '{sku}' has no demand in the horizon; "
                f"the {self.model} model leaves it out, so this row is ignored"
            )
        else:
            return self.k_of[sku]
        return None

    def force(self, family: str, label, source: str, what: str, words: str) -> None:
        """``label`` of ``family`` fixed to 1 because of the goods ``what`` says are there."""
        self.forced.setdefault((family, label), Fixing(family, label, 1.0, source, words))
        self.held.setdefault((family, label), f"{source} {what}")

    TABLES = ("opening_stock", "in_transit", "placed_orders", "planned_shipments", "frozen")
    """The in-motion tables, in the order they are read (the goods first: what they force is
    known when ``frozen`` is read)."""

    def read(self, tables: Mapping) -> None:
        """Read every in-motion table given (each by this reader's method of its name).

        Raises
        ------
        InputError
            every problem found, with file (or sheet), row and column.
        """
        for name in self.TABLES:
            getattr(self, name)(tables.get(name))
        if self.problems:
            raise InputError(self.problems)

    def held_against(self, table: str, index, family: str, label, value: float, words: str) -> bool:
        """Whether a frozen 0 of ``label`` contradicts goods that force it to 1 (then a
        problem naming the row of the goods)."""
        forced = self.held.get((family, label))
        if forced is None or value != 0:
            return False
        source = self.where(table, index)
        self.problem(table, f"{source}: {words} = 0, but {forced}", index, "value")
        return True


def refuse_in_motion(instance: Instance, why: str) -> None:
    """Refuse every table of what is in motion ``instance`` gives, for a command that plans
    from scratch (``why`` says which and what to do instead).

    Raises
    ------
    InputError
        one problem per table given.
    """
    moving = list(instance.network.in_motion)
    if moving:
        raise InputError([instance.problem(table, why) for table in moving])
