"""What a solved ``network`` plan returns: tables and KPIs (:func:`extract_network`), and
why the model can be infeasible (:func:`diagnose_network`).

Second-stage quantities (deliveries, stock, lost sales) are expectations over the scenarios.
The cost parts follow the objective of ``models/network.md`` term by term; tax is charged by
channel (:attr:`NetworkData.unit_tax`) where the reader computed it, else at the lanes' rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt.models.network.build import NetworkProblem, Shipments, _holding, _per_sku
from cbecopt.models.network.data import NetworkData
from cbecopt.stochastic.twostage import ExtensiveForm

TINY = 1e-9
"""Quantities at or below this are zero in the tables (solver noise)."""


def extract_network(problem: NetworkProblem, form: ExtensiveForm, values: np.ndarray):
    """Plan tables and KPIs of a solution ``values`` of the extensive form ``form``."""
    d = problem.data
    first = form.first.by_name
    ships: Shipments = first["ships"]

    def value(name: str) -> np.ndarray:
        return np.clip(form.values_of(values, first[name]), 0.0, None)

    p = np.asarray(form.probabilities, float)
    blocks = [form.scenario_block(name) for name in form.names]

    def expected(name: str) -> np.ndarray:
        per = [np.clip(form.values_of(values, b.component(name)), 0.0, None) for b in blocks]
        return p @ np.array(per).reshape(len(blocks), -1) / p.sum()

    purchase, seg_q, shipment = value("purchase"), value("segment_quantity"), value("shipment")
    use_supplier, open_, use_wh = value("use_supplier"), value("open"), value("use_warehouse")
    delivery, lost = expected("delivery"), expected("lost")
    ostock, bstock = expected("overseas_stock"), expected("bonded_stock")
    lanes = _second_stage_lanes(d)
    nK, nT = len(d.skus), d.months
    lane_of = np.repeat(np.arange(len(lanes)), nK * nT)
    sku = np.tile(np.repeat(np.arange(nK), nT), len(lanes))
    month = np.tile(np.arange(nT), len(lanes) * nK)
    tax = _lane_tax(d, lanes, lane_of, sku)
    freight = np.array([lanes[n][4] for n in lane_of], float)
    handling = np.array([lanes[n][5] for n in lane_of], float)
    seg_price = np.array([s[3] for s in d.segments], float)
    seg_offer = np.array([s[0] for s in d.segments], np.int64)
    arrival_holding = d.holding[ships.sku] / 2.0
    penalty = d.counterfeit_penalty[[k for _, k in d.offers]] * d.counterfeit_rate
    demand = np.tensordot(p / p.sum(), d.demand, axes=1).ravel()
    parts = {
        "supplier_fixed": float(d.supplier_fixed @ use_supplier),
        "overseas_fixed": float(d.overseas_fixed @ open_),
        "warehouse_fixed": float(d.bonded_fixed @ use_wh),
        "purchase": float(seg_price @ seg_q),
        "counterfeit": float(penalty @ purchase),
        "first_stage_freight": float((ships.cost - arrival_holding) @ shipment),
        "delivery_freight": float(freight @ delivery),
        "handling": float(handling @ delivery),
        "tax": float(tax @ delivery),
        "holding": float(
            arrival_holding @ shipment
            + _holding(d.holding, len(d.overseas), nT) @ ostock
            + _holding(d.holding, len(d.bonded), nT) @ bstock
        ),
        "lost_sales": float(_per_sku(d.lost_penalty, len(d.markets), nT) @ lost),
    }
    channel = np.array([lanes[n][0] for n in lane_of], object)
    deliveries = pd.DataFrame(
        {
            "channel": channel,
            "origin": [lanes[n][1] for n in lane_of],
            "market": [lanes[n][2] for n in lane_of],
            "sku": np.asarray(d.skus, object)[sku],
            "month": month + 1,
            "quantity": delivery,
            "tax": tax * delivery,
        }
    )
    deliveries = _positive(deliveries)
    units = deliveries.groupby("channel", sort=False)["quantity"].sum()
    tables = {
        "purchases": _purchases(d, purchase, seg_q, seg_price, seg_offer),
        "overseas": _sites(d.overseas, open_, d.overseas_fixed, "open"),
        "warehouses": _sites(d.bonded, use_wh, d.bonded_fixed, "used").assign(
            kind=list(d.warehouse_kind or ("bonded",) * len(d.bonded))
        )[["warehouse", "kind", "used", "fixed_cost"]],
        "shipments": _shipments(d, ships, shipment),
        "deliveries": deliveries,
        "cost_breakdown": pd.DataFrame({"component": list(parts), "cost": list(parts.values())}),
    }
    total_demand = float(demand.sum())
    kpis = {
        "plan_cost": float(sum(parts.values())),
        "cost_parts": parts,
        "fill_rate": float((total_demand - lost.sum()) / total_demand) if total_demand else None,
        "lost_sales": float(lost.sum()),
        "units_by_channel": {str(c): float(q) for c, q in units.items()},
        "suppliers_used": _named(d.suppliers, use_supplier),
        "overseas_open": _named(d.overseas, open_),
        "warehouses_used": _named(d.bonded, use_wh),
        "tax_paid": parts["tax"],
        "tax_rules": d.tax_rules,
    }
    return tables, kpis


def _second_stage_lanes(d: NetworkData) -> list[tuple]:
    """The model's delivery lanes in its order (release, then parcel): ``(channel, origin,
    market, tax key, freight, handling, rate)``."""
    kinds = d.warehouse_kind or ("bonded",) * len(d.bonded)
    lanes = [
        (
            "bonded" if kinds[b] == "bonded" else "general_trade",
            d.bonded[b],
            d.markets[j],
            "bonded" if kinds[b] == "bonded" else None,
            cost,
            float(d.bonded_handling[b]),
            rate,
        )
        for b, j, cost, rate in d.release
    ]
    lanes += [
        (
            "cbec_direct",
            d.overseas[w],
            d.markets[j],
            "parcel",
            cost,
            float(d.overseas_handling[w]),
            rate,
        )
        for w, j, cost, rate in d.parcel
    ]
    return lanes


def _lane_tax(d: NetworkData, lanes: list[tuple], lane_of: np.ndarray, sku: np.ndarray):
    """Tax per unit delivered on each delivery key: by channel where the reader computed it
    (general trade pays at import, not on delivery), else the lane's rate on retail value."""
    if d.unit_tax is None:
        rate = np.array([lanes[n][6] for n in lane_of], float)
        return rate * d.retail_price[sku]
    out = np.zeros(len(lane_of))
    for key in ("bonded", "parcel"):
        on = np.array([lanes[n][3] == key for n in lane_of], bool)
        out[on] = d.unit_tax[key][sku[on]]
    return out


def _positive(table: pd.DataFrame, column: str = "quantity") -> pd.DataFrame:
    return table[table[column] > TINY].reset_index(drop=True)


def _named(names, chosen: np.ndarray) -> list[str]:
    return [n for n, v in zip(names, np.rint(chosen), strict=True) if v == 1]


def _purchases(d, purchase, seg_q, seg_price, seg_offer) -> pd.DataFrame:
    """One row per offer bought from: units, the price paid per unit, cost, counterfeit rate."""
    cost = np.bincount(seg_offer, weights=seg_price * seg_q, minlength=len(d.offers))
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
    """One row per first-stage shipment with units: lane role, ends, SKU, months, cost."""
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
            "origin": origin,
            "destination": destination,
            "sku": np.asarray(d.skus, object)[ships.sku] if len(ships.sku) else [],
            "ship_month": ships.month + 1,
            "arrival_month": ships.month + ships.lead + 1,
            "quantity": shipment,
            "cost": (ships.cost - d.holding[ships.sku] / 2.0) * shipment,
        }
    )
    return _positive(table)


def diagnose_network(problem: NetworkProblem) -> list[str]:
    """Why the plan can be infeasible. Lost sales cover any demand no offer or lane serves (a
    SKU without an offer, a market no lane reaches), and buying nothing meets every first-stage
    row of the first version (minimum orders, capacities and sourcing caps bind only what is
    bought), so it always has a plan; the terms that can force units into the network
    (quantity-flexibility calls, cover stock in a warehouse with a volume capacity) are named
    where the data has them."""
    d = problem.data
    reasons = [
        "lost sales cover any demand no offer or lane serves, and buying nothing meets every "
        "minimum order, capacity and sourcing cap "
        f"({len(d.offers)} offers, {len(d.first_mile) + len(d.inbound)} first-stage lanes)"
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
