"""What a solved ``network`` plan returns: tables and KPIs (:func:`extract_network`), and
why the model can be infeasible (:func:`diagnose_network`).

Second-stage quantities (deliveries, stock, lost sales) are expectations over the scenarios.
The cost parts follow the objective of ``models/network.md`` term by term; tax is charged by
channel (:attr:`NetworkData.unit_tax`) where the reader computed it, else at the lanes' rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt.channels import TAX_PARTS
from cbecopt.models.network.build import NetworkProblem, Shipments
from cbecopt.models.network.channels import service_levels, warehouse_kinds
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.in_motion import in_transit_rows, shipment_status
from cbecopt.models.network.in_motion_diagnosis import fixing_diagnosis
from cbecopt.models.network.operations import (
    TINY,
    general_trade,
    lost_sales,
    purchase_orders,
    stock,
)
from cbecopt.stochastic.twostage import ExtensiveForm
from cbecopt.whole_units import rounded_whole

PART_OF = {
    "use_supplier": "supplier_fixed",
    "open": "overseas_fixed",
    "use_warehouse": "warehouse_fixed",
    "listed": "listing",
    "segment_quantity": "purchase",
    "purchase": "counterfeit",
    "inspected": "inspection",
    "quantity": "option_premiums",
    "shipment": "first_stage_freight",
    "recourse_shipment": "term_freight",
    "bought": "term_purchases",
    "delivery": "delivery",
    "overseas_stock": "holding",
    "bonded_stock": "holding",
    "lost": "lost_sales",
}
"""The cost part each variable family's objective terms belong to (``cost_breakdown``):
``counterfeit`` is the expected counterfeit cost of purchases after inspection (the
counterfeit cost inspection keeps out taken off), ``inspection`` the inspection fees paid,
``delivery`` the freight and handling of
deliveries and the price of units bought per order (their ``tax`` is its own part, and so is
``lost_to_speed``, the customers a slow lane loses, :mod:`~cbecopt.models.network.speed`), and
``holding`` includes the half month paid on arrival and the salvage of the final stock."""

SHOWN_CHANNEL = {"parcel": "cbec_direct"}
"""The ``deliveries`` table names 9610 parcels (from an overseas warehouse or a supplier)
``cbec_direct``; the other tax channels keep their names."""


def extract_network(problem: NetworkProblem, form: ExtensiveForm, values: np.ndarray):
    """Plan tables and KPIs of a solution ``values`` of the extensive form ``form``."""
    d = problem.data
    first = form.first.by_name
    ships: Shipments = first["ships"]
    outs = first["outlets"]

    def value(name: str) -> np.ndarray:
        return np.clip(_whole(form.values_of(values, first[name]), first[name]), 0.0, None)

    p = np.asarray(form.probabilities, float) / np.sum(form.probabilities)
    blocks = [form.scenario_block(name) for name in form.names]

    def per_scenario(name: str) -> np.ndarray:
        per = [
            np.clip(_whole(form.values_of(values, b.component(name)), b.component(name)), 0, None)
            for b in blocks
        ]
        return np.array(per).reshape(len(blocks), -1)

    def _whole(x: np.ndarray, family) -> np.ndarray:
        return rounded_whole(x, family, d.integer_quantities)

    purchase, seg_q, shipment = value("purchase"), value("segment_quantity"), value("shipment")
    use_supplier, open_, use_wh = value("use_supplier"), value("open"), value("use_warehouse")
    delivered, lost = per_scenario("delivery"), p @ per_scenario("lost")
    delivery = p @ delivered
    seg_price = np.array([s[3] for s in d.segments], float)
    seg_offer = np.array([s[0] for s in d.segments], np.int64)
    parts = cost_parts(form, values, d, outs, ships)
    purchase_cost = np.bincount(seg_offer, weights=seg_price * seg_q, minlength=len(d.offers))
    arriving = shipment + p @ _recourse(form, values, blocks, first["shipment"].labels)
    channel = np.array([SHOWN_CHANNEL.get(c, c) for c in outs.channel], dtype=object)
    deliveries = pd.DataFrame(
        {
            "channel": channel,
            "origin": _origin_names(d, outs.origin_kind, outs.origin),
            "market": np.asarray(d.markets, object)[outs.market] if len(outs.keys) else [],
            "sku": np.asarray(d.skus, object)[outs.sku] if len(outs.keys) else [],
            "month": outs.month + 1,
            "quantity": delivery,
            "tax": outs.tax * delivery,
        }
    )
    deliveries = _positive(deliveries)
    units = deliveries.groupby("channel", sort=False)["quantity"].sum()
    tables = {
        "purchases": _purchases(d, purchase, purchase_cost),
        "purchase_orders": purchase_orders(d, ships, shipment, purchase, purchase_cost),
        "overseas": _sites(d.overseas, open_, d.overseas_fixed, "open"),
        "warehouses": _sites(d.bonded, use_wh, d.bonded_fixed, "used").assign(
            kind=list(warehouse_kinds(d))
        )[["warehouse", "kind", "used", "fixed_cost"]],
        "shipments": _shipments(d, ships, shipment),
        "deliveries": deliveries,
        "tax": _tax(d, outs, delivery),
        "stock": stock(d, per_scenario("overseas_stock"), per_scenario("bonded_stock"), p),
        "general_trade": general_trade(d, ships, arriving),
        "lost_sales": lost_sales(d, lost),
        "cost_breakdown": pd.DataFrame({"component": list(parts), "cost": list(parts.values())}),
    }
    service = service_levels(d, outs, delivered)
    kpis = {
        "plan_cost": float(sum(parts.values())),
        "cost_parts": parts,
        "fill_rate": service["fill_rate"],
        "average_delivery_days": service["average_delivery_days"],
        "lost_sales": float(lost.sum()),
        "lost_to_speed": float(delivery @ (outs.demand_used - 1.0)),
        "units_by_channel": {str(c): float(q) for c, q in units.items()},
        "suppliers_used": _named(d.suppliers, use_supplier),
        "overseas_open": _named(d.overseas, open_),
        "warehouses_used": _named(d.bonded, use_wh),
        "tax_paid": parts.get("tax", 0.0),
        "tax_rules": d.tax_rules,
    }
    if d.in_motion is not None and d.in_motion.placed:
        kpis["committed_cost"] = d.in_motion.committed_cost
    return tables, kpis


def marginal_labels(table: pd.DataFrame) -> pd.DataFrame:
    """The ``marginal_values`` table's labels as the plan's tables show them: the model keys
    months by position from 0, the tables count them from 1."""
    if "month" in table:
        table = table.assign(month=table["month"] + 1)
    return table


def cost_parts(
    form: ExtensiveForm, values: np.ndarray, d: NetworkData, outs, ships: Shipments
) -> dict[str, float]:
    """The expected cost split by :data:`PART_OF`, read off the model's own objective terms
    (first stage, then each scenario's weighted by its probability), so the parts add up to
    the expected cost; tax is taken out of ``delivery`` and the half month of holding paid on
    arrival out of the freight."""
    compiled = form.compile()
    p = np.asarray(form.probabilities, float) / np.sum(form.probabilities)
    totals: dict[str, float] = {}
    arrival_holding = np.asarray(d.holding, float)[ships.sku] / 2.0
    shipment_labels = form.first.by_name["shipment"].labels

    def add(parts, weight: float) -> None:
        for part in parts:
            at = compiled.column_offset(part.family.component) + part.position
            x = values[at]
            name = part.family.component.local_name
            key = PART_OF.get(name, name)
            totals[key] = totals.get(key, 0.0) + weight * float(part.coef @ x)
            if name in ("shipment", "recourse_shipment"):
                ship = shipment_labels.get_indexer(part.family.labels[part.position])
                moved = weight * float(arrival_holding[ship] @ x)
                totals[key] -= moved
                totals["holding"] = totals.get("holding", 0.0) + moved
            if name == "inspected":  # the counterfeits it keeps out: counterfeit, not fee
                avoided = weight * float(np.minimum(part.coef, 0.0) @ x)
                totals[key] -= avoided
                totals["counterfeit"] = totals.get("counterfeit", 0.0) + avoided
            if name == "delivery":
                taxed = weight * float(outs.tax[part.position] @ x)
                totals[key] -= taxed
                totals["tax"] = totals.get("tax", 0.0) + taxed
                walked = weight * float(outs.speed_cost[part.position] @ x)
                totals[key] -= walked
                totals["lost_to_speed"] = totals.get("lost_to_speed", 0.0) + walked

    add(form.first.cost, 1.0)
    for weight, cost in zip(p, form.second_cost, strict=True):
        add(cost, float(weight))
    return {k: v for k, v in totals.items() if abs(v) > TINY or k == "tax"}


def _origin_names(d: NetworkData, origin_kind, origin) -> list[str]:
    names = {"bonded": d.bonded, "overseas": d.overseas, "supplier": d.suppliers}
    return [names[kind][o] for kind, o in zip(origin_kind, origin, strict=True)]


def _tax(d: NetworkData, outs, delivery: np.ndarray) -> pd.DataFrame:
    """Expected tax per SKU, month and channel (what finance plans cash for and customs
    files): the units delivered, the tax and its parts (:data:`~cbecopt.channels.TAX_PARTS`:
    duty, consumption tax and VAT, under the CBEC regime its CBEC share; the postal tax),
    blank where the instance gives only a rate (:attr:`NetworkData.unit_tax_parts` None)."""
    parts = np.full((len(outs.keys), len(TAX_PARTS)), np.nan)
    channels = np.asarray(outs.channel, dtype=object)
    for channel, per_sku in (d.unit_tax_parts or {}).items():
        rows = np.flatnonzero(channels == channel)
        parts[rows] = np.asarray(per_sku, float)[outs.sku[rows]]
    table = pd.DataFrame(
        {
            "sku": np.asarray(d.skus, object)[outs.sku] if len(outs.keys) else [],
            "month": outs.month + 1,
            "channel": [SHOWN_CHANNEL.get(c, c) for c in channels],
            "units": delivery,
            "tax": outs.tax * delivery,
            **{part: parts[:, n] * delivery for n, part in enumerate(TAX_PARTS)},
        }
    )
    table = _positive(table, "units")
    sums = ["units", "tax", *TAX_PARTS]
    return (
        table.groupby(["sku", "month", "channel"], sort=True)[sums].sum(min_count=1).reset_index()
    )


def _positive(table: pd.DataFrame, column: str = "quantity") -> pd.DataFrame:
    return table[table[column] > TINY].reset_index(drop=True)


def _named(names, chosen: np.ndarray) -> list[str]:
    return [n for n, v in zip(names, np.rint(chosen), strict=True) if v == 1]


def _recourse(form: ExtensiveForm, values: np.ndarray, blocks, labels: pd.Index) -> np.ndarray:
    """Each scenario's units bought under terms shipped on each first-stage shipment key
    (``recourse_shipment``, scenarios x shipment keys; zero without terms)."""
    out = np.zeros((len(blocks), len(labels)))
    for s, block in enumerate(blocks):
        family = block.component("recourse_shipment")
        if family is not None and len(family):
            at = labels.get_indexer(family.family_labels)
            out[s, at] = np.clip(form.values_of(values, family), 0.0, None)
    return out


def _purchases(d, purchase, cost) -> pd.DataFrame:
    """One row per offer bought from: units, the price paid per unit, cost, counterfeit rate."""
    table = pd.DataFrame(
        {
            "supplier": [d.suppliers[i] for i, _ in d.offers],
            "sku": [d.skus[k] for _, k in d.offers],
            "quantity": purchase,
            "unit_price": np.divide(cost, purchase, out=np.zeros_like(cost), where=purchase > TINY),
            "cost": cost,
            "counterfeit_rate": d.counterfeit_rate,
        }
    )
    return _positive(table)


def _sites(names, chosen, fixed, column: str) -> pd.DataFrame:
    return pd.DataFrame(
        {"warehouse": list(names), column: np.rint(chosen).astype(int), "fixed_cost": fixed}
    )


def _shipments(d: NetworkData, ships: Shipments, shipment: np.ndarray) -> pd.DataFrame:
    """One row per first-stage shipment with units: lane role, transport mode, ends, SKU,
    months, cost and status (``new``, ``planned``: fixed by a planned shipment), then the
    shipments already on their way (``in_transit``, cost sunk)."""
    origin = [
        d.suppliers[o] if kind == "supplier" else d.overseas[o]
        for kind, o in zip(ships.origin_kind, ships.origin, strict=True)
    ]
    destination = [
        d.overseas[w] if role == "first_mile" else d.bonded[w]
        for role, w in zip(ships.role, ships.destination, strict=True)
    ]
    table = pd.DataFrame(
        {
            "role": list(ships.role),
            "mode": list(ships.mode),
            "origin": origin,
            "destination": destination,
            "sku": np.asarray(d.skus, object)[ships.sku] if len(ships.sku) else [],
            "ship_month": ships.month + 1,
            "arrival_month": ships.month + ships.lead + 1,
            "quantity": shipment,
            "cost": (ships.cost - d.holding[ships.sku] / 2.0) * shipment,
            "status": shipment_status(d, ships.keys),
        }
    )
    moving = in_transit_rows(d)
    if moving.empty:
        return _positive(table)
    return pd.concat([_positive(table), moving], ignore_index=True)


def diagnose_network(problem: NetworkProblem) -> list[str]:
    """Why the plan can be infeasible. Lost sales cover any demand no offer or lane serves (a
    SKU without an offer, a market no lane reaches), and buying nothing meets every first-stage
    row of the first version (minimum orders, capacities and sourcing caps bind only what is
    bought), so it always has a plan; the terms that can force units into the network
    (quantity-flexibility calls, cover stock in a warehouse with a volume capacity) are named
    where the data has them. Decisions fixed in advance (frozen, planned, forced by goods in
    motion) can break this: :func:`fixing_diagnosis` names them, and is then the diagnosis."""
    d = problem.data
    fixed = fixing_diagnosis(problem)
    if fixed:
        return fixed
    reasons = [
        "lost sales cover any demand no offer or lane serves, and buying nothing meets every "
        "minimum order, capacity and sourcing cap "
        f"({len(d.offers)} offers, {len(d.first_mile) + len(d.inbound)} first-stage lanes)",
    ]
    committed = [t for t in d.terms if t[1] == "quantity_flexibility" and t[6] < 1.0]
    if committed:
        reasons.append(
            f"{len(committed)} quantity-flexibility term(s) must call at least (1 - flex_down) "
            "of their commitment in every scenario: check that supplier and warehouse "
            "capacities can take those units"
        )
    volume = d.bonded_volume_capacity
    if d.cover_weeks > 0 and volume is not None and np.isfinite(volume).any():
        reasons.append(
            f"cover_weeks {d.cover_weeks:g}: the cover stock must fit the warehouses' "
            "volume_capacity"
        )
    reasons.append(
        "otherwise an infeasible verdict points at numbers HiGHS cannot tell apart: check "
        "capacities, minimum orders and price breaks far apart in size (rescale the units)"
    )
    return reasons
