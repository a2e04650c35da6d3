"""What is already in motion when the ``network`` model is re-run (``models/network.md``,
"What is already in motion"): stock on hand, shipments on the water, orders placed and
decisions taken, as :class:`InMotion`, and what the build does with them.

Known arrivals (opening stock as month 1's, in-transit units in their arrival month) are
constants of the stock balances; units already ordered loosen ``purchase_link``; every frozen
decision, planned shipment and decision the goods force (a warehouse holding stock is open,
a bonded SKU held is listed, a supplier with placed orders is qualified) fixes its Pyomo
variable's bounds, so the model written to LP or MPS carries them. Their costs are sunk: no
term of the objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbecopt.in_motion import Fixing, fix_variables
from cbecopt.labelled import VarFamily

if TYPE_CHECKING:
    from cbecopt.models.network.data import NetworkData

STOCK_KINDS = ("overseas", "bonded")
"""Where goods can be: an overseas warehouse (``NetworkData.overseas``) or a bonded or
domestic one (``NetworkData.bonded``)."""


@dataclass(frozen=True)
class InMotion:
    """What is in motion, by position into the data's tuples.

    Attributes
    ----------
    arrivals : ``(kind, node, sku, month, units)``: units that reach a warehouse's stock
        without a decision of the plan, ``kind`` one of :data:`STOCK_KINDS`, ``month`` 0-based
        (opening stock arrives in month 0, before anything leaves).
    in_transit : ``(role, mode, origin, destination, sku, ship_month, arrival_month, units)`` per
        shipment on its way, names and 1-based months as the input gives them (for the plan's
        ``shipments`` table).
    placed : ``(offer, units, unit_price)``: units already bought from an offer's supplier.
    fixings : every variable held at a value (:class:`Fixing`): frozen decisions, planned
        shipments, and what the goods force.
    """

    arrivals: tuple[tuple[str, int, int, int, float], ...] = ()
    in_transit: tuple[tuple[str, str, str, str, str, int, int, float], ...] = ()
    placed: tuple[tuple[int, float, float], ...] = ()
    fixings: tuple[Fixing, ...] = ()

    def stocked(self, kind: str, nodes: int, skus: int) -> np.ndarray:
        """Nodes x SKUs of ``kind`` that receive known arrivals (they can hold the SKU)."""
        held = np.zeros((nodes, skus), bool)
        for where, node, sku, _, units in self.arrivals:
            if where == kind and units > 0:
                held[node, sku] = True
        return held

    def known_arrivals(self, kind: str, labels: pd.MultiIndex) -> pd.Series:
        """Known arrivals per ``(node, sku, month)`` row of a stock balance over ``labels``
        (0 where none): the constants of ``overseas_stock_balance``/``warehouse_stock_balance``."""
        sizes = tuple(len(level) for level in labels.levels)
        known = np.zeros(len(labels))
        for where, node, sku, month, units in self.arrivals:
            if where == kind:
                known[np.ravel_multi_index((node, sku, month), sizes)] += units
        return pd.Series(known, index=labels)

    def placed_units(self, offers: pd.Index) -> pd.Series:
        """Units already ordered per offer (0 where none): the right-hand side of
        ``purchase_link``."""
        units = np.zeros(len(offers))
        for offer, quantity, _ in self.placed:
            units[offer] += quantity
        return pd.Series(units, index=offers)

    def planned_units(self, skus: tuple[str, ...]) -> np.ndarray:
        """Units of each SKU the planned shipments move over the horizon."""
        units = np.zeros(len(skus))
        for f in self.fixings:
            if f.family == "shipment":
                units[skus.index(f.label[1])] += f.value
        return units

    @property
    def committed_cost(self) -> float:
        """What the placed orders cost (sunk: not in the objective)."""
        return float(sum(units * price for _, units, price in self.placed))

    def without(self, sources: set[str]) -> InMotion:
        """The same, with the fixings asked for by the rows ``sources`` dropped."""
        kept = tuple(f for f in self.fixings if f.source not in sources)
        return InMotion(self.arrivals, self.in_transit, self.placed, kept)


def stocked_overseas(d: NetworkData) -> np.ndarray:
    """Overseas warehouses x SKUs holding or receiving goods already in motion."""
    if d.in_motion is None:
        return np.zeros((len(d.overseas), len(d.skus)), bool)
    return d.in_motion.stocked("overseas", len(d.overseas), len(d.skus))


def stocked_warehouses(d: NetworkData) -> np.ndarray:
    """Bonded and domestic warehouses x SKUs holding or receiving goods already in motion."""
    if d.in_motion is None:
        return np.zeros((len(d.bonded), len(d.skus)), bool)
    return d.in_motion.stocked("bonded", len(d.bonded), len(d.skus))


def fix_in_motion(d: NetworkData, by_name: dict[str, VarFamily]) -> None:
    """Hold every variable of ``d.in_motion.fixings`` at its value (:func:`fix_variables`;
    a shipment of a month whose arrival falls beyond the horizon is refused by the reader)."""
    if d.in_motion is not None:
        fix_variables(d.in_motion.fixings, by_name)


def shipment_status(d: NetworkData, labels: pd.Index) -> np.ndarray:
    """Per first-stage shipment key ``(lane, sku, month)``: ``planned`` where a planned
    shipment fixes it, else ``new``."""
    planned = (
        set()
        if d.in_motion is None
        else {f.label for f in d.in_motion.fixings if f.family == "shipment"}
    )
    return np.array(["planned" if key in planned else "new" for key in labels], dtype=object)


def in_transit_rows(d: NetworkData) -> pd.DataFrame:
    """The shipments on their way as rows of the plan's ``shipments`` table (status
    ``in_transit``, cost 0: their freight is sunk)."""
    rows = () if d.in_motion is None else d.in_motion.in_transit
    columns = [
        "role",
        "mode",
        "origin",
        "destination",
        "sku",
        "ship_month",
        "arrival_month",
        "quantity",
    ]
    table = pd.DataFrame(list(rows), columns=columns)
    return table.assign(cost=0.0, status="in_transit")
