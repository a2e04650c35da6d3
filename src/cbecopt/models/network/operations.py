"""The operations tables of a ``network`` plan: what purchasing, the warehouses, customs and
sales act on month by month (``models/network.md``, "Result tables").

``purchase_orders`` (what each supplier is sent an order for, by the month the units leave
it), ``stock`` (month-end stock at every warehouse, expected over the scenarios with its
range), ``general_trade`` (imports into duty-paid warehouses, with their duty, VAT and
consumption tax) and ``lost_sales`` (expected demand not served). Each builder reads the
solution's values already taken out by :func:`~cbecopt.models.network.results.extract_network`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt.channels import TAX_PARTS
from cbecopt.models.network.build import Shipments
from cbecopt.models.network.channels import warehouse_kinds
from cbecopt.models.network.data import NetworkData

TINY = 1e-9
"""Quantities at or below this are zero in the tables (solver noise)."""


def purchase_orders(
    d: NetworkData, ships: Shipments, shipment: np.ndarray, purchase: np.ndarray, cost: np.ndarray
) -> pd.DataFrame:
    """One row per supplier, SKU and month the units bought leave that supplier on
    first-stage shipments: the order purchasing places, at the plan's price per unit
    (``cost`` / ``purchase`` of the offer: the segment reached). Units bought and never
    shipped are paid too: they get a row with a blank month. Units already ordered before the
    horizon (``placed_orders``) leave first and are not ordered again. Per offer the
    quantities add up to ``purchase``."""
    offer_of = {o: n for n, o in enumerate(d.offers)}
    price = np.divide(cost, purchase, out=np.zeros_like(cost), where=purchase > TINY)
    out = np.flatnonzero(ships.origin_kind == "supplier")
    offer = np.array([offer_of[(ships.origin[n], ships.sku[n])] for n in out], np.int64)
    months = pd.array(ships.month[out] + 1, dtype="Int64")
    shipped = pd.DataFrame({"offer": offer, "month": months, "units": shipment[out]})
    shipped = shipped.groupby(["offer", "month"], sort=True, as_index=False)["units"].sum()
    placed = np.zeros(len(d.offers))
    if d.in_motion is not None:
        placed = d.in_motion.placed_units(pd.RangeIndex(len(d.offers))).to_numpy(float)
    after = shipped.groupby("offer")["units"].cumsum().to_numpy(float)
    already = placed[shipped["offer"].to_numpy(np.int64)]
    before = after - shipped["units"].to_numpy(float)
    shipped["units"] = np.clip(after - already, 0.0, None) - np.clip(before - already, 0.0, None)
    total = np.bincount(offer, weights=shipment[out], minlength=len(d.offers))
    left = purchase - np.clip(total - placed, 0.0, None)
    kept = pd.DataFrame(
        {
            "offer": np.arange(len(d.offers)),
            "month": pd.array([pd.NA] * len(d.offers), dtype="Int64"),
            "units": left,
        }
    )
    rows = pd.concat([shipped, kept], ignore_index=True)
    rows = rows[rows["units"] > TINY].sort_values(["offer", "month"], kind="stable")
    offers = rows["offer"].to_numpy(np.int64)
    return pd.DataFrame(
        {
            "supplier": [d.suppliers[d.offers[o][0]] for o in offers],
            "sku": [d.skus[d.offers[o][1]] for o in offers],
            "month": rows["month"].array,
            "quantity": rows["units"].to_numpy(float),
            "unit_price": price[offers],
            "cost": price[offers] * rows["units"].to_numpy(float),
        }
    )


def stock(d: NetworkData, overseas: np.ndarray, stocking: np.ndarray, p: np.ndarray):
    """One row per warehouse, SKU and month with stock at the month's end in some scenario:
    its kind (``overseas``, ``bonded`` or ``domestic``), the expected quantity over the
    scenarios (weights ``p``) and the least and most of any scenario. ``overseas`` and
    ``stocking`` are the scenarios' ``overseas_stock`` and ``bonded_stock`` values (scenarios
    x warehouse-SKU-month grid)."""
    sites = [*d.overseas, *d.bonded]
    kinds = ["overseas"] * len(d.overseas) + list(warehouse_kinds(d))
    held = np.concatenate(
        [
            np.reshape(overseas, (len(p), len(d.overseas), len(d.skus), d.months)),
            np.reshape(stocking, (len(p), len(d.bonded), len(d.skus), d.months)),
        ],
        axis=1,
    )
    site, sku, month = np.nonzero(held.max(axis=0) > TINY)
    per_scenario = held[:, site, sku, month]
    return pd.DataFrame(
        {
            "warehouse": np.asarray(sites, object)[site] if len(site) else [],
            "kind": np.asarray(kinds, object)[site] if len(site) else [],
            "sku": np.asarray(d.skus, object)[sku] if len(site) else [],
            "month": month + 1,
            "quantity": p @ per_scenario,
            "min": per_scenario.min(axis=0),
            "max": per_scenario.max(axis=0),
        }
    )


def general_trade(d: NetworkData, ships: Shipments, arriving: np.ndarray) -> pd.DataFrame:
    """General-trade imports: per domestic (duty-paid) warehouse, SKU and month, the units
    arriving on bulk-inbound shipments (``arriving``: firm plus expected units bought under
    terms, per shipment key), imported and taxed in the month they arrive, and the duty, VAT
    and consumption tax on them at the general-trade tax per unit
    (:attr:`NetworkData.unit_tax_parts`; blank where the instance gives no tax rates)."""
    domestic = np.array([kind == "domestic" for kind in warehouse_kinds(d)], bool)
    inbound = np.flatnonzero(ships.role == "inbound")
    into = inbound[domestic[ships.destination[inbound]] & (arriving[inbound] > TINY)]
    parts = (d.unit_tax_parts or {}).get("general_trade")
    per_unit = np.full((len(d.skus), len(TAX_PARTS)), np.nan) if parts is None else parts
    per_unit = np.asarray(per_unit, float)
    units = arriving[into]
    sku = ships.sku[into]
    table = pd.DataFrame(
        {
            "warehouse": np.asarray(d.bonded, object)[ships.destination[into]] if len(into) else [],
            "sku": np.asarray(d.skus, object)[sku] if len(into) else [],
            "month": ships.month[into] + ships.lead[into] + 1,
            "units": units,
            **{
                part: units * per_unit[sku, TAX_PARTS.index(part)]
                for part in ("duty", "vat", "consumption_tax")
            },
        }
    )
    keys = ["warehouse", "sku", "month"]
    sums = ["units", "duty", "vat", "consumption_tax"]
    return table.groupby(keys, sort=True)[sums].sum(min_count=1).reset_index()


def lost_sales(d: NetworkData, lost: np.ndarray) -> pd.DataFrame:
    """Expected demand lost per market, SKU and month (``lost``: the expected ``lost`` values
    on the market x SKU x month grid), only where some is, and what it costs: the lost-sales
    penalty per unit (price + ``lost_sale_penalty``)."""
    grid = np.reshape(lost, (len(d.markets), len(d.skus), d.months))
    market, sku, month = np.nonzero(grid > TINY)
    units = grid[market, sku, month]
    return pd.DataFrame(
        {
            "market": np.asarray(d.markets, object)[market] if len(market) else [],
            "sku": np.asarray(d.skus, object)[sku] if len(market) else [],
            "month": month + 1,
            "quantity": units,
            "cost": units * np.asarray(d.lost_penalty, float)[sku],
        }
    )
