"""The ``network`` model's tables of what is already in motion, read and checked:
:func:`with_in_motion` (``opening_stock``, ``in_transit``, ``placed_orders``, ``frozen``,
``planned_shipments``; ``models/network.md``, "What is already in motion").

Every problem that can be seen without solving is an :class:`~cbecopt.errors.InputError`
naming the file (or sheet), the row as the user counts it and the column: an unknown node,
SKU, lane or offer; a shipment arriving before it leaves, before month 1 (that stock is
opening stock) or after the horizon (it cannot be used in this plan); a frozen value that is
not 0 or 1; a node frozen closed (a SKU frozen unlisted) where goods already are. A SKU in
``products`` without demand in the horizon is left out of the model, so rows of it are
ignored with a warning.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import numpy as np

from cbecopt.in_motion import RowReader
from cbecopt.in_motion import said as _said
from cbecopt.in_motion import table_rows as _rows
from cbecopt.instance import Instance
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.in_motion import Fixing, InMotion

BINARY_DECISIONS = {
    "supplier": "use_supplier",
    "overseas": "open",
    "warehouse": "use_warehouse",
    "listing": "listed",
}
"""The frozen 0/1 decisions and the variable family each fixes."""
COMMITTED_TERMS = ("quantity_flexibility", "option")
"""The contract terms whose committed (reserved) quantity ``Q_c`` a frozen ``commitment``
fixes."""
STOCK_NODES = ("overseas_warehouse", "bonded_warehouse", "domestic_warehouse")
"""Node kinds that hold stock."""


def with_in_motion(instance: Instance, d: NetworkData) -> NetworkData:
    """``d`` with the instance's tables of what is in motion (``d`` unchanged without any).

    Nodes and lanes are named as ``d`` names them: an overseas warehouse split into platform
    copies by its copies' names (``LA@tmall``).

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
    motion = InMotion(
        tuple(reader.arrivals),
        tuple(reader.shipped),
        tuple(reader.placed),
        reader.fixings,
    )
    return replace(d, in_motion=motion, warnings=(*d.warnings, *reader.warnings))


def planned_units(instance: Instance, skus: list[str]) -> np.ndarray:
    """Units of each SKU the ``planned_shipments`` table moves (0 without it): an offer's
    units must reach that far even where demand does not."""
    table = instance.network.in_motion.get("planned_shipments")
    if table is None:
        return np.zeros(len(skus))
    return table.groupby("sku")["quantity"].sum().reindex(skus, fill_value=0.0).to_numpy(float)


class _Reader(RowReader):
    """Reads the tables row by row, collecting problems, warnings and what each row means."""

    def __init__(self, instance: Instance, d: NetworkData):
        super().__init__(instance, d.skus, "network")
        self.d = d
        self.kinds = instance.network.nodes["kind"]
        self.lanes = _first_stage_lanes(d)
        self.placed: list[tuple] = []

    def node(self, table: str, index, node, column: str, kinds: tuple[str, ...]) -> bool:
        """Whether ``node`` exists and is of one of ``kinds`` (else a problem); a platform
        copy of an overseas warehouse is one."""
        if node in self.d.overseas and "overseas_warehouse" in kinds:
            return True
        if node not in self.kinds.index:
            self.problem(table, f"unknown node '{node}' (not in nodes)", index, column)
        elif self.kinds[node] not in kinds:
            self.problem(
                table,
                f"node '{node}' is of kind '{self.kinds[node]}', not {' or '.join(kinds)}",
                index,
                column,
            )
        else:
            return True
        return False

    def stock_at(self, table: str, index, node: str, k: int, month: int, units: float):
        """Goods at a warehouse from ``month`` (0-based): a known arrival, and the warehouse
        open or used (a bonded or domestic one with the SKU listed) for the horizon."""
        d, source = self.d, self.where(table, index)
        kind = "bonded" if node in d.bonded else "overseas"
        names = d.overseas if kind == "overseas" else d.bonded
        if node not in names:
            copies = [w for w in d.overseas if w.startswith(f"{node}@")]
            self.problem(
                table,
                f"overseas warehouse '{node}' is split into platform copies: name the copy "
                f"that holds the goods ({', '.join(copies)})",
                index,
                "warehouse",
            )
            return
        self.arrivals.append((kind, names.index(node), k, month, units))
        what = f"holds {units:g} units of '{d.skus[k]}' there"
        if kind == "overseas":
            self.force("open", node, source, what, _said("overseas", node))
        else:
            self.force("use_warehouse", node, source, what, _said("warehouse", node))
            label = (node, d.skus[k])
            self.force("listed", label, source, what, _said("listing", label))

    def opening_stock(self, table) -> None:
        name = "opening_stock"
        for index, row in _rows(table):
            k = self.sku(name, index, row.sku)
            if self.node(name, index, row.warehouse, "warehouse", STOCK_NODES) and (
                k is not None and row.quantity > 0
            ):
                self.stock_at(name, index, row.warehouse, k, 0, float(row.quantity))

    def lane(self, table: str, index, row) -> tuple[str, int] | None:
        """The first-stage lane of the row's arc, or None after a problem."""
        found = self.lanes.get((row.origin, row.destination, row.mode))
        if found is None:
            self.problem(
                table,
                f"no first-mile or bulk inbound arc from '{row.origin}' to '{row.destination}' "
                f"by mode '{row.mode}' (from a supplier with an offer) in arcs"
                + (
                    "; an overseas warehouse split into platform copies is named by its copy"
                    if len(self.d.platforms) > 1
                    else ""
                ),
                index,
                "mode",
            )
        return found

    def in_transit(self, table) -> None:
        name, horizon = "in_transit", self.d.months
        for index, row in _rows(table):
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
            elif arrive < 1:
                self.problem(
                    name,
                    f"arrival_month {arrive} is before the horizon's month 1: units already "
                    "arrived belong in opening_stock",
                    index,
                    "arrival_month",
                )
            elif arrive > horizon:
                self.problem(
                    name,
                    f"arrival_month {arrive} is after the horizon (months 1 to {horizon}): "
                    "these units cannot be used in this plan; drop the row or lengthen the "
                    "horizon",
                    index,
                    "arrival_month",
                )
            elif lane is not None and k is not None and row.quantity > 0:
                role = lane[0]
                self.stock_at(name, index, row.destination, k, arrive - 1, float(row.quantity))
                self.shipped.append(
                    (
                        role,
                        row.mode,
                        row.origin,
                        row.destination,
                        row.sku,
                        ship,
                        arrive,
                        float(row.quantity),
                    )
                )

    def placed_orders(self, table) -> None:
        name, d = "placed_orders", self.d
        offer = {(d.suppliers[i], d.skus[k]): o for o, (i, k) in enumerate(d.offers)}
        for index, row in _rows(table):
            k = self.sku(name, index, row.sku)
            if not self.node(name, index, row.supplier, "supplier", ("supplier",)) or k is None:
                continue
            o = offer.get((row.supplier, row.sku))
            if o is None:
                self.problem(
                    name,
                    f"supplier '{row.supplier}' has no offer of '{row.sku}' in offers: units "
                    "ordered leave on the lanes of an offer",
                    index,
                    "sku",
                )
                continue
            if row.quantity > 0:
                self.placed.append((o, float(row.quantity), float(row.unit_price)))
                self.force(
                    "use_supplier",
                    row.supplier,
                    self.where(name, index),
                    f"has {row.quantity:g} units of '{row.sku}' ordered there",
                    _said("supplier", row.supplier),
                )

    @cached_property
    def ships(self):
        """The first-stage shipment keys the build makes (:func:`build.shipment_keys`)."""
        from cbecopt.models.network.build import shipment_keys  # build reads these modules

        return shipment_keys(self.d)

    def listable(self, warehouse: str, k: int) -> bool:
        """Whether the model has a listing of SKU ``k`` at ``warehouse``: a bulk lane may bring
        it in or goods in motion are there (:func:`build.stocked_pairs`)."""
        from cbecopt.models.network.build import stocked_pairs

        b = self.d.bonded.index(warehouse)
        held = any(a[:3] == ("bonded", b, k) for a in self.arrivals)
        return held or bool(stocked_pairs(self.d, self.ships)[b, k])

    def planned_shipments(self, table) -> None:
        name, d = "planned_shipments", self.d
        keys = set(self.ships.keys) if table is not None else set()
        for index, row in _rows(table):
            k = self.sku(name, index, row.sku)
            lane = self.lane(name, index, row)
            month = int(row.ship_month)
            if not 1 <= month <= d.months:
                self.problem(
                    name,
                    f"ship_month {month} is outside the horizon (months 1 to {d.months})",
                    index,
                    "ship_month",
                )
                continue
            if lane is None or k is None:
                continue
            role, n = lane
            label = ("fm" if role == "first_mile" else "in") + str(n)
            lead = int((d.first_mile[n] if role == "first_mile" else d.inbound[n])[-1])
            if month + lead > d.months:
                self.problem(
                    name,
                    f"shipped in month {month} it arrives in month {month + lead}, after the "
                    f"horizon (months 1 to {d.months})",
                    index,
                    "ship_month",
                )
            elif (label, row.sku, month - 1) not in keys:
                self.problem(
                    name,
                    f"the arc cannot carry '{row.sku}' (the origin has no offer of it, no first "
                    "mile brings it there, or the warehouse may not take it)",
                    index,
                    "sku",
                )
            else:
                self.planned.append(
                    Fixing(
                        "shipment",
                        (label, row.sku, month - 1),
                        float(row.quantity),
                        self.where(name, index),
                        f"shipment {row.origin} -> {row.destination} by {row.mode} of "
                        f"'{row.sku}' in month {month}",
                    )
                )

    def frozen(self, table) -> None:
        name, d = "frozen", self.d
        nodes = {
            "supplier": (d.suppliers, "supplier"),
            "overseas": (d.overseas, "overseas warehouse"),
            "warehouse": (d.bonded, "bonded or domestic warehouse"),
            "listing": (d.bonded, "bonded or domestic warehouse"),
            "commitment": (d.suppliers, "supplier"),
        }
        for index, row in _rows(table):
            decision, value = row.decision, float(row.value)
            names, what = nodes[decision]
            if row.node not in names:
                self.problem(
                    name,
                    f"'{row.node}' is no {what} of the model (its nodes: "
                    f"{', '.join(names) or 'none'})",
                    index,
                    "node",
                )
                continue
            if decision in BINARY_DECISIONS and value not in (0.0, 1.0):
                self.problem(
                    name, f"a {decision} decision is 0 or 1, not {value:g}", index, "value"
                )
                continue
            label = row.node
            if decision in ("listing", "commitment"):
                k = self.sku(name, index, row.sku)
                if k is None:
                    continue
                label = (row.node, row.sku)
                if decision == "listing" and value == 1 and not self.listable(row.node, k):
                    self.problem(
                        name,
                        f"'{row.sku}' cannot be listed at '{row.node}': no bulk lane brings it "
                        "there (from a supplier offering it, onto the warehouse's positive list) "
                        "and no stock of it is there",
                        index,
                        "sku",
                    )
                    continue
            row_label = label
            if decision == "commitment":
                label = self.term(index, row.node, k)
                if label is None:
                    continue
                family = "quantity"
            else:
                family = BINARY_DECISIONS[decision]
            source = self.where(name, index)
            if self.held_against(name, index, family, label, value, _said(decision, row_label)):
                continue
            self.frozen_fixings.append(
                Fixing(family, label, value, source, _said(decision, row_label))
            )

    def term(self, index, supplier: str, k: int) -> tuple | None:
        """The label of the one quantity-flexibility or option term of the offer."""
        d = self.d
        found = [
            (supplier, d.skus[k], t[1])
            for t in d.terms
            if t[1] in COMMITTED_TERMS and d.offers[t[0]] == (d.suppliers.index(supplier), k)
        ]
        if len(found) == 1:
            return found[0]
        self.problem(
            "frozen",
            f"a commitment fixes the one quantity_flexibility or option term of supplier "
            f"'{supplier}' and SKU '{d.skus[k]}' in contracts; it has {len(found)}",
            index,
            "sku",
        )
        return None


def _first_stage_lanes(d: NetworkData) -> dict[tuple[str, str, str], tuple[str, int]]:
    """The first-stage lane ``(role, position)`` of each arc ``(origin, destination, mode)``
    by the names of ``d`` (``NetworkData.lane_modes``)."""
    modes = d.lane_modes or {}
    lanes = {}
    for n, (i, w, *_) in enumerate(d.first_mile):
        if "first_mile" in modes:
            key = (d.suppliers[i], d.overseas[w], modes["first_mile"][n])
            lanes.setdefault(key, ("first_mile", n))
    for n, (kind, o, b, *_) in enumerate(d.inbound):
        if "inbound" in modes:
            origin = d.suppliers[o] if kind == "supplier" else d.overseas[o]
            lanes.setdefault((origin, d.bonded[b], modes["inbound"][n]), ("inbound", n))
    return lanes
