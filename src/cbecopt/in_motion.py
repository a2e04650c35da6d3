"""What every model that reads the tables of what is already in motion shares
(``opening_stock``, ``in_transit``, ``placed_orders``, ``frozen``, ``planned_shipments``;
``models/network.md`` and ``models/routing.md``, "What is already in motion"): a decision
held at a value (:class:`Fixing`), how it is named in messages, and how its Pyomo variable's
bounds hold it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

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
