"""Checks of an instance for the ``network`` model, each naming the file (or sheet), the row
as the user counts it and the column a planner must fix.

They run in the model's check step (:func:`cbecopt.models.network.read.read_network`), so
``cbecopt validate --model network`` reports them as ``solve`` would. Each returns a list of
problems (empty: fine), so every problem is reported at once. What the instance load already
refuses (unknown nodes in arcs and demand, unknown SKUs in offers, price breaks not starting
at 0, probabilities not summing to 1, unknown scenarios) is not checked again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt.errors import Problem
from cbecopt.instance import Instance

MODEL = "network"
SOURCES = ("supplier", "overseas_warehouse")
"""Node kinds goods leave abroad: the origins of inbound lanes and parcels."""
STOCKS = ("bonded_warehouse", "domestic_warehouse")
"""Node kinds that hold stock in China: bonded (1210) and duty-paid (general trade)."""
PARCEL_MODES = {"cbec_parcel": "parcel", "postal_parcel": "postal"}
"""Modes of a lane from abroad straight to a market, and the role each gives it."""
REQUIRED_PRODUCT_VALUES = ("vat_rate", "tariff_rate")
"""Product columns the network model needs on every SKU with demand (tax by channel)."""


def lane_role(origin_kind: str, destination_kind: str, mode: str) -> str | None:
    """The role of a lane in the network model from the kinds of its ends (and, straight to
    a market, its mode); ``None``: the lane has no role (see ``models/network.md``)."""
    if origin_kind == "supplier" and destination_kind == "overseas_warehouse":
        return "first_mile"
    if origin_kind in SOURCES and destination_kind in STOCKS:
        return "inbound"
    if origin_kind in STOCKS and destination_kind == "market":
        return "release"
    if origin_kind in SOURCES and destination_kind == "market":
        role = PARCEL_MODES.get(mode)
        if role == "parcel" and origin_kind == "supplier":
            return "supplier_parcel"
        return role
    return None


def pack_lane_problems(instance: Instance, lanes: pd.DataFrame) -> list[Problem]:
    """A ``pack_size`` on a lane into a market: deliveries go per order, only bulk lanes
    (first mile, inbound) ship whole cases. ``lanes`` carry their ``net_role``."""
    bulk = lanes["net_role"].isin(("first_mile", "inbound")) | lanes["net_role"].isna()
    cased = lanes[~bulk & lanes["pack_size"].notna()]
    return [
        instance.problem(
            "arcs",
            f"a pack size on the {lane.net_role} lane {lane.origin} -> {lane.destination}: "
            "deliveries to a market go per order; only bulk lanes (supplier -> overseas "
            "warehouse, into a bonded or domestic warehouse) ship whole cases (leave it blank)",
            lane.row,
            "pack_size",
        )
        for lane in cased.itertuples(index=False)
    ]


def lane_problems(instance: Instance, lanes: pd.DataFrame) -> list[Problem]:
    """Lanes without a role in the network model, parcels by a mode that is no channel, and
    lanes without a lead time. ``lanes`` are the network's lanes with their ``net_role``."""
    problems = []
    for lane in lanes.itertuples(index=False):
        if isinstance(lane.net_role, str):
            if not lane.lead_time_days >= 0:  # NaN: blank
                problems.append(
                    instance.problem(
                        "arcs",
                        f"the {MODEL} model needs the lead time of every lane "
                        f"({lane.origin} -> {lane.destination})",
                        lane.row,
                        "lead_time_days",
                    )
                )
            continue
        if lane.origin_kind in SOURCES and lane.destination_kind == "market":
            problems.append(
                instance.problem(
                    "arcs",
                    f"mode '{lane.mode}' from {lane.origin_kind} {lane.origin} straight to a "
                    "market is no "
                    f"channel of the {MODEL} model; use cbec_parcel (9610) or postal_parcel "
                    "(personal articles), or ship in bulk into a bonded or domestic warehouse",
                    lane.row,
                    "mode",
                )
            )
        else:
            problems.append(
                instance.problem(
                    "arcs",
                    f"a lane from {lane.origin_kind} {lane.origin} to {lane.destination_kind} "
                    f"{lane.destination} has no role in the {MODEL} "
                    "model: lanes run supplier -> overseas warehouse, supplier or overseas "
                    "warehouse -> bonded or domestic warehouse or market, bonded or domestic "
                    "warehouse -> market",
                    lane.row,
                    "destination",
                )
            )
    return problems


def demand_key_problems(instance: Instance) -> list[Problem]:
    """Once one demand row has a month (a platform), every row needs one: a blank is not
    "every month" ("every platform")."""
    rows = instance.network.demand_rows
    problems = []
    for column, what in (("month", "month"), ("platform", "platform")):
        if column in rows and rows[column].notna().any():
            problems += [
                instance.problem(
                    "demand",
                    f"the {MODEL} model needs the {what} of every demand row once one has one",
                    i,
                    column,
                )
                for i in rows.index[rows[column].isna()]
            ]
    return problems


def product_problems(instance: Instance, skus: list[str], postal: bool) -> list[Problem]:
    """The tax rates every SKU with demand needs, and the postal rate where postal parcels may
    carry it (``postal``)."""
    products = instance.network.products
    rows = products[products["sku"].isin(skus)]
    needed = [*REQUIRED_PRODUCT_VALUES, *(("postal_rate",) if postal else ())]
    problems = []
    for column in needed:
        for idx in rows.index[rows[column].isna()]:
            problems.append(
                instance.problem(
                    "products",
                    f"the {MODEL} model needs this value for SKU '{rows.at[idx, 'sku']}'"
                    + (" (postal parcels may carry it)" if column == "postal_rate" else ""),
                    idx,
                    column,
                )
            )
    return problems


def unit_problems(
    instance: Instance, skus: list[str], per_kg: bool, volume_limited: bool
) -> list[Problem]:
    """A lane priced per kg needs every SKU's weight; a volume capacity every SKU's volume."""
    products = instance.network.products
    rows = products[products["sku"].isin(skus)]
    problems = []
    for wanted, column, why in (
        (per_kg, "weight_kg", "lanes are priced per kg"),
        (volume_limited, "volume_m3", "a warehouse has a volume capacity"),
    ):
        if wanted:
            problems += [
                instance.problem(
                    "products",
                    f"SKU '{rows.at[i, 'sku']}' needs its {column}: {why}",
                    i,
                    column,
                )
                for i in rows.index[rows[column].isna()]
            ]
    return problems


def offer_problems(instance: Instance, offers: pd.DataFrame) -> list[Problem]:
    """Offers the network model cannot price: incremental discounts (it buys all-units
    segments; an offer without a price break the load refuses)."""
    return [
        instance.problem(
            "offers",
            f"the {MODEL} model prices offers by all-units discounts; this offer "
            f"('{row.supplier}' / '{row.sku}') is incremental",
            idx,
            "discount",
        )
        for idx, row in offers.iterrows()
        if row["discount"] == "incremental"
    ]


def contract_problems(
    instance: Instance, contracts: pd.DataFrame, offered: set[tuple[str, str]]
) -> list[Problem]:
    """Contract terms beside an offer: firm buying is the offers, and a term needs the offer
    of its supplier and SKU (its firm price schedule)."""
    problems = []
    for idx, row in contracts.iterrows():
        if row["type"] == "firm":
            problems.append(
                instance.problem(
                    "contracts",
                    f"firm buying is priced by offers and price_breaks in the {MODEL} model; "
                    "contracts hold quantity_flexibility, option and spot terms",
                    idx,
                    "type",
                )
            )
        elif (row["supplier"], row["sku"]) not in offered:
            problems.append(
                instance.problem(
                    "contracts",
                    f"a {row['type']} term needs an offer of '{row['supplier']}' for "
                    f"'{row['sku']}' in offers (with its price breaks)",
                    idx,
                    "supplier",
                )
            )
    return problems


def shared_by_problems(instance: Instance, platforms: list[str]) -> list[Problem]:
    """``shared_by`` names platforms that own demand, on overseas warehouses only."""
    nodes = instance.network.nodes
    if "shared_by" not in nodes:
        return []
    problems = []
    for node, row in nodes[nodes["shared_by"].notna()].iterrows():
        if row["kind"] != "overseas_warehouse":
            problems.append(
                instance.problem(
                    "nodes",
                    f"shared_by applies to overseas warehouses, not a {row['kind']} ('{node}')",
                    row["row"],
                    "shared_by",
                )
            )
            continue
        unknown = [p for p in split_platforms(row["shared_by"]) if p not in platforms]
        if unknown:
            known = ", ".join(platforms) or "none: demand has no platform column"
            problems.append(
                instance.problem(
                    "nodes",
                    f"shared_by names platform(s) {', '.join(map(repr, unknown))} that own no "
                    f"demand (platforms: {known})",
                    row["row"],
                    "shared_by",
                )
            )
    return problems


def split_platforms(text) -> tuple[str, ...]:
    """The platforms of a ``shared_by`` cell (``a;b``), blank: none."""
    if not isinstance(text, str):
        return ()
    return tuple(p.strip() for p in text.split(";") if p.strip())


def reach_warnings(
    instance: Instance, skus: list[str], markets: list[str], offered: np.ndarray, reached: set
) -> list[str]:
    """What lost sales will cover: SKUs with demand but no offer, markets no lane reaches."""
    warnings = [
        f"SKU '{sku}' has demand but no offer: its demand is lost"
        for sku, ok in zip(skus, offered, strict=True)
        if not ok
    ]
    warnings += [
        f"market '{market}' has demand but no lane reaches it: its demand is lost"
        for j, market in enumerate(markets)
        if j not in reached
    ]
    return warnings
