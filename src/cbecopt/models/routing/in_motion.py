"""What is already in motion when the ``routing`` model is re-run (``models/routing.md``,
"What is already in motion"): :func:`with_in_motion` reads the tables the network model reads
too, where they apply to routing, into :class:`RoutingInMotion`.

* ``opening_stock`` at a bonded or domestic warehouse: month 1's known arrival.
* ``in_transit``: an inbound shipment (by its lane's origin, destination and mode) arriving
  in ``arrival_month``; its purchase, freight and import tax are sunk (not in the objective).
* ``frozen``: ``warehouse`` (used) and ``listing`` decisions; routing has no supplier,
  overseas warehouse or contract decisions, so those rows are refused.
* ``planned_shipments``: an inbound shipment held at its quantity.
* ``placed_orders``: refused, routing buys as goods ship and has no purchase decision.

Goods at a warehouse force it used and, at a bonded one, their SKU listed. Every problem is an
:class:`~cbecopt.errors.InputError` naming the file (or sheet), the row as the user counts it
and the column; rows of a SKU without demand (which routing leaves out) are ignored with a
warning.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbecopt.in_motion import Fixing, RowReader, said, table_rows
from cbecopt.instance import Instance

if TYPE_CHECKING:
    from cbecopt.models.routing.data import RoutingData

FROZEN = {"warehouse": "use_bonded", "listing": "listed"}
"""The frozen decisions routing has and the variable family each fixes."""


@dataclass(frozen=True)
class RoutingInMotion:
    """What is in motion, by position into the data's sets.

    Attributes
    ----------
    arrivals : ``(b, k, t, units)``: units that reach warehouse ``b``'s stock at the start of
        month position ``t`` without a decision of the plan (opening stock: ``t`` = 0).
    in_transit : ``(origin, destination, mode, sku, ship_month, arrival_month, units)`` per
        shipment on its way, as the input names them (for the plan's ``inbound`` table).
    fixings : every first-stage variable held at a value (frozen decisions, planned
        shipments, what the goods force).
    """

    arrivals: tuple[tuple[int, int, int, float], ...] = ()
    in_transit: tuple[tuple, ...] = ()
    fixings: tuple[Fixing, ...] = ()

    def known_arrivals(self, stock: pd.DataFrame) -> np.ndarray:
        """Known arrivals per row ``(b, k, t)`` of the stock index ``stock`` (0 where none):
        the constants of ``bonded_stock_balance``. The reader admits arrivals only where
        the stock index has a row."""
        known = np.zeros(len(stock))
        if not self.arrivals:
            return known
        b, k, t, units = (np.array(c) for c in zip(*self.arrivals, strict=True))
        keys = stock[["b", "k", "t"]].to_numpy(np.int64)
        shape = tuple(keys.max(axis=0) + 1)
        row = np.full(shape, -1, np.int64)
        row[tuple(keys.T)] = np.arange(len(stock))
        np.add.at(known, row[b, k, t], units)
        return known

    def without(self, sources: set[str]) -> RoutingInMotion:
        """The same, with the fixings asked for by the rows ``sources`` dropped."""
        kept = tuple(f for f in self.fixings if f.source not in sources)
        return RoutingInMotion(self.arrivals, self.in_transit, kept)


def with_in_motion(instance: Instance, d: RoutingData) -> RoutingData:
    """``d`` with the instance's tables of what is in motion (``d`` unchanged without any).

    Raises
    ------
    InputError
        every problem found, with file (or sheet), row and column.
    """
    tables = instance.network.in_motion
    if not tables:
        return d
    reader = _Reader(instance, d)
    reader.read(tables)
    motion = RoutingInMotion(
        tuple(reader.arrivals),
        tuple(reader.shipped),
        reader.fixings,
    )
    return dataclasses.replace(d, in_motion=motion, warnings=(*d.warnings, *reader.warnings))


class _Reader(RowReader):
    """Reads the tables row by row, collecting problems, warnings and what each row means."""

    def __init__(self, instance: Instance, d: RoutingData):
        super().__init__(instance, d.SKUS, "routing")
        self.d = d
        self.b_of = {b: n for n, b in enumerate(d.BONDED)}
        self.t_of = {m: t for t, m in enumerate(d.MONTHS)}
        self.listable = set(zip(d.listing["b"].tolist(), d.listing["k"].tolist(), strict=True))
        lanes = d.lanes.frame
        inbound = lanes[lanes["role"].to_numpy() == "inbound"]
        self.lane_of = {
            (o, w, m): n
            for n, o, w, m in zip(
                inbound.index,
                inbound["origin"],
                inbound["destination"],
                inbound["mode"],
                strict=True,
            )
        }
        f = d.inbound.frame
        self.ship_row = {
            key: n
            for n, key in enumerate(
                zip(f["lane"].tolist(), f["k"].tolist(), f["t"].tolist(), strict=True)
            )
        }

    def warehouse(self, table: str, index, node, column: str) -> int | None:
        """The position of a stocking warehouse of the model, or None after a problem."""
        if node not in self.b_of:
            self.problem(
                table,
                f"'{node}' is no bonded or domestic warehouse of the routing model (one with an "
                f"inbound and a last-mile lane; its warehouses: {', '.join(self.d.BONDED) or 'none'})",
                index,
                column,
            )
            return None
        return self.b_of[node]

    def month(self, table: str, index, month: int, column: str, before: str) -> int | None:
        """The position of ``month`` in the horizon, or None after a problem (``before``
        says where units of an earlier month belong)."""
        months = self.d.MONTHS
        if month in self.t_of:
            return self.t_of[month]
        if month < months[0]:
            why = f"before the horizon's first month {months[0]}{before}"
        elif month > months[-1]:
            why = (
                f"after the horizon (months {months[0]} to {months[-1]}): these units cannot "
                "be used in this plan; drop the row or lengthen the horizon"
            )
        else:
            why = "not a month of the horizon (a month demand has)"
        self.problem(table, f"{column} {month} is {why}", index, column)
        return None

    def stock_at(self, table: str, index, b: int, k: int, t: int, units: float) -> None:
        """Goods at warehouse ``b`` from month position ``t``: a known arrival, the warehouse
        used, and at a bonded one the SKU listed."""
        d, source = self.d, self.where(table, index)
        node, sku = d.BONDED[b], d.SKUS[k]
        if (b, k) not in self.listable:
            self.problem(
                table,
                f"'{sku}' cannot be stocked at '{node}': no inbound lane brings it there (from "
                "its origin or a first mile from it, by a channel open to it), and routing "
                "holds stock only where it can be replenished",
                index,
                "sku",
            )
            return
        self.arrivals.append((b, k, t, units))
        what = f"holds {units:g} units of '{sku}' there"
        self.force("use_bonded", node, source, what, said("warehouse", node))
        if d.stock_channel[b] == "bonded":
            self.force("listed", (node, sku), source, what, said("listing", (node, sku)))

    def opening_stock(self, table) -> None:
        name = "opening_stock"
        for index, row in table_rows(table):
            k = self.sku(name, index, row.sku)
            b = self.warehouse(name, index, row.warehouse, "warehouse")
            if b is not None and k is not None and row.quantity > 0:
                self.stock_at(name, index, b, k, 0, float(row.quantity))

    def lane(self, table: str, index, row) -> int | None:
        """The inbound lane of the row's arc, or None after a problem."""
        found = self.lane_of.get((row.origin, row.destination, row.mode))
        if found is None:
            self.problem(
                table,
                f"no inbound arc from '{row.origin}' to '{row.destination}' by mode "
                f"'{row.mode}' into a warehouse of the routing model in arcs",
                index,
                "mode",
            )
        return found

    def in_transit(self, table) -> None:
        name = "in_transit"
        for index, row in table_rows(table):
            k = self.sku(name, index, row.sku)
            lane = self.lane(name, index, row)
            ship, arrive = int(row.ship_month), int(row.arrival_month)
            if arrive < ship:
                self.problem(
                    name,
                    f"arrives in month {arrive} before it leaves (ship_month {ship})",
                    index,
                    "arrival_month",
                )
                continue
            t = self.month(
                name,
                index,
                arrive,
                "arrival_month",
                ": units already arrived belong in opening_stock",
            )
            if t is None or lane is None or k is None or row.quantity <= 0:
                continue
            self.stock_at(name, index, self.b_of[row.destination], k, t, float(row.quantity))
            self.shipped.append(
                (row.origin, row.destination, row.mode, row.sku, ship, arrive, float(row.quantity))
            )

    def placed_orders(self, table) -> None:
        for index, _ in table_rows(table):
            self.problem(
                "placed_orders",
                "routing has no purchase decision (it buys at products.purchase_cost as goods "
                "ship): give goods on their way in in_transit and shipments decided in "
                "planned_shipments, or solve with --model network",
                index,
                "supplier",
            )

    def planned_shipments(self, table) -> None:
        name, d = "planned_shipments", self.d
        f = d.inbound.frame
        for index, row in table_rows(table):
            k = self.sku(name, index, row.sku)
            lane = self.lane(name, index, row)
            t = self.month(name, index, int(row.ship_month), "ship_month", "")
            if t is None or lane is None or k is None:
                continue
            n = self.ship_row.get((lane, k, t))
            if n is None:
                self.problem(
                    name,
                    f"the arc cannot carry '{row.sku}' shipped in month {row.ship_month}: it "
                    "arrives after the horizon, or the origin does not reach the SKU, or the "
                    "warehouse's channel is closed to it",
                    index,
                    "ship_month",
                )
                continue
            pack = float(f["pack"].iat[n]) if "pack" in f else 1.0
            if pack > 1 and not float(row.quantity / pack).is_integer():
                self.problem(
                    name,
                    f"{row.quantity:g} units are not whole cases of {pack:g} on this lane",
                    index,
                    "quantity",
                )
                continue
            label = (lane, row.destination, row.sku, row.ship_month, d.MONTHS[f["arrive"].iat[n]])
            self.planned.append(
                Fixing(
                    "inbound",
                    label,
                    float(row.quantity),
                    self.where(name, index),
                    f"shipment {row.origin} -> {row.destination} by {row.mode} of "
                    f"'{row.sku}' in month {row.ship_month}",
                )
            )

    def frozen(self, table) -> None:
        name = "frozen"
        for index, row in table_rows(table):
            decision, value = row.decision, float(row.value)
            if decision not in FROZEN:
                self.problem(
                    name,
                    f"routing has no {decision} decisions: it decides the bonded and domestic "
                    "warehouses used (warehouse) and the SKUs listed there (listing)",
                    index,
                    "decision",
                )
                continue
            b = self.warehouse(name, index, row.node, "node")
            if b is None:
                continue
            if value not in (0.0, 1.0):
                self.problem(
                    name, f"a {decision} decision is 0 or 1, not {value:g}", index, "value"
                )
                continue
            label = row.node
            if decision == "listing":
                k = self.sku(name, index, row.sku)
                if k is None:
                    continue
                label = (row.node, row.sku)
                if value == 1 and (b, k) not in self.listable:
                    self.problem(
                        name,
                        f"'{row.sku}' cannot be listed at '{row.node}': no inbound lane brings "
                        "it there (from its origin or a first mile from it, by a channel open "
                        "to it)",
                        index,
                        "sku",
                    )
                    continue
            family = FROZEN[decision]
            source = self.where(name, index)
            if self.held_against(name, index, family, label, value, said(decision, label)):
                continue
            self.frozen_fixings.append(Fixing(family, label, value, source, said(decision, label)))


def inbound_status(d: RoutingData, labels: pd.Index) -> np.ndarray:
    """Per inbound key: ``planned`` where a planned shipment fixes it, else ``new``."""
    planned = (
        set()
        if d.in_motion is None
        else {f.label for f in d.in_motion.fixings if f.family == "inbound"}
    )
    return np.array(["planned" if key in planned else "new" for key in labels], dtype=object)


def in_transit_rows(d: RoutingData) -> pd.DataFrame:
    """The shipments on their way as rows of the plan's ``inbound`` table (status
    ``in_transit``, freight 0: sunk)."""
    rows = () if d.in_motion is None else d.in_motion.in_transit
    columns = [
        "origin",
        "bonded_warehouse",
        "mode",
        "sku",
        "ship_month",
        "arrival_month",
        "quantity",
    ]
    return pd.DataFrame(list(rows), columns=columns).assign(freight_cost=0.0, status="in_transit")
