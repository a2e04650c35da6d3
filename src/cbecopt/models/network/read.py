"""The ``network`` model's data read from an instance: :func:`read_network`.

Every table is read through the instance's network view (:mod:`cbecopt.network`: defaults
applied, row labels kept), every problem is an :class:`~cbecopt.errors.InputError` naming
the file (or sheet), row and column (:mod:`cbecopt.models.network.checks`), and the result is
a :class:`NetworkData` with positions into its node, offer and lane tuples.

Lanes take their role from the kinds of their ends (``models/network.md``); a first-stage
lane's lead is ``round(lead_time_days / 30.4)`` months, a second-stage lane keeps its days.
Tax per unit comes by channel from :mod:`cbecopt.channels` under the dated rules
(``tax_date``); general trade is taxed on the customs value, ``products.customs_value`` or
(purchase price + the cheapest inbound freight into a domestic warehouse) x 1.003, the
purchase price being ``products.purchase_cost`` where above 0, else the SKU's lowest offer
price.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.channels import (
    TAX_PARTS,
    channel_terms,
    general_trade_unit_tax,
    general_trade_unit_taxes,
)
from cbecopt.errors import InputError
from cbecopt.instance import Instance
from cbecopt.models.demand_checks import demand_sku_problems
from cbecopt.models.network.checks import (
    contract_problems,
    demand_key_problems,
    lane_problems,
    lane_role,
    offer_problems,
    pack_lane_problems,
    product_problems,
    reach_warnings,
    shared_by_problems,
    split_platforms,
    unit_problems,
)
from cbecopt.models.network.config import NetworkConfig
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.packs import largest_pack
from cbecopt.models.network.platforms import with_platforms
from cbecopt.models.network.read_in_motion import planned_units, with_in_motion
from cbecopt.models.network.speed import read_speed
from cbecopt.models.suppliers.data import counterfeit_penalties
from cbecopt.tax_rules import load_tax_rules
from cbecopt.whole_units import whole_units_bound

DAYS_PER_MONTH = 30.4
DAYS_PER_WEEK = 7.0
FIRST_STAGE = ("first_mile", "inbound")
"""Lane roles decided before demand is known (their lead counts in months)."""


def read_network(instance: Instance, config: NetworkConfig | None = None) -> NetworkData:
    """The network model's data from ``instance`` (``nodes``, ``arcs``, ``products``,
    ``offers``, ``price_breaks``, ``demand``; ``scenarios`` and ``contracts`` when given) with
    the options of ``config`` (unset ones from ``[network]``).

    Raises
    ------
    InputError
        every problem found, with file (or sheet), row and column.
    """
    config = (config or NetworkConfig()).resolved(instance)
    network = instance.network
    problems = [*demand_sku_problems(instance, "network"), *demand_key_problems(instance)]
    if problems:
        raise InputError(problems)
    demand_rows = network.demand_rows
    products = network.products
    skus = [s for s in products["sku"] if s in set(demand_rows["sku"])]
    markets = list(dict.fromkeys(demand_rows["market"]))
    platforms = network.platforms
    lanes = network.lanes.assign(
        net_role=[
            lane_role(o, d, m)
            for o, d, m in network.lanes[["origin_kind", "destination_kind", "mode"]].itertuples(
                index=False
            )
        ]
    )
    lanes = lanes[~(lanes["destination_kind"].eq("market") & ~lanes["destination"].isin(markets))]
    postal_used = bool(config.allow_personal_articles) and bool(
        (lanes["net_role"] == "postal").any()
    )
    offers = network.offers[network.offers["sku"].isin(skus)]
    breaks = network.price_breaks
    offered = set(zip(offers["supplier"], offers["sku"], strict=True))
    contracts = network.contracts
    contracts = contracts[contracts["sku"].isin(skus)] if contracts is not None else None
    nodes = network.nodes
    used_lanes = lanes[lanes["net_role"].notna()]
    volume_limited = bool(
        np.isfinite(nodes.loc[nodes["kind"] != "market", "volume_capacity"].to_numpy(float)).any()
    )
    problems = [
        *lane_problems(instance, lanes),
        *pack_lane_problems(instance, lanes),
        *product_problems(instance, skus, postal_used),
        *unit_problems(instance, skus, bool((used_lanes["cost_per_kg"] > 0).any()), volume_limited),
        *offer_problems(instance, offers),
        *(contract_problems(instance, contracts, offered) if contracts is not None else []),
        *shared_by_problems(instance, platforms),
    ]
    if problems:
        raise InputError(problems)
    product = products.set_index("sku").loc[skus]
    months = sorted(int(m) for m in demand_rows["month"].dropna().unique()) or [1]
    demand = _demand(instance, markets, platforms, skus, months)
    names, probabilities = network.scenarios.names, network.scenarios.probabilities
    suppliers = list(dict.fromkeys(offers["supplier"]))
    sup = {s: i for i, s in enumerate(suppliers)}
    k_of = {s: k for k, s in enumerate(skus)}
    offer_keys = [(sup[s], k_of[k]) for s, k in zip(offers["supplier"], offers["sku"], strict=True)]
    totals = demand.reshape(demand.shape[0], -1, len(skus), len(months)).sum(axis=(1, 3))
    supplier_nodes = nodes.reindex(suppliers)
    lane_packs = _lane_pack_sizes(used_lanes, sup)
    warehouses = len(nodes.index[nodes["kind"] == "overseas_warehouse"]) * max(1, len(platforms))
    warehouses += int(nodes["kind"].isin(("bonded_warehouse", "domestic_warehouse")).sum())
    most_used = totals.max(axis=0) + planned_units(instance, skus)
    most_needed = _with_whole_units(most_used, config, product, lane_packs, warehouses)
    segments, ends = _segments(
        offers, breaks, supplier_nodes["capacity"].to_numpy(float), sup, most_needed, k_of
    )
    # An unlimited supplier can sell at most what its offers can: a finite bound for the rows.
    supplier_capacity = supplier_nodes["capacity"].to_numpy(float)
    offer_supplier = np.array([i for i, _ in offer_keys], np.int64)
    most = np.bincount(offer_supplier, weights=ends, minlength=len(suppliers))
    supplier_capacity = np.where(np.isfinite(supplier_capacity), supplier_capacity, most)
    overseas = list(nodes.index[nodes["kind"] == "overseas_warehouse"])
    stocks = list(nodes.index[nodes["kind"].isin(("bonded_warehouse", "domestic_warehouse"))])
    w_of = {w: n for n, w in enumerate(overseas)}
    b_of = {b: n for n, b in enumerate(stocks)}
    j_of = {j: n for n, j in enumerate(markets)}
    ow = nodes.reindex(overseas)
    sw = nodes.reindex(stocks)
    weight = np.nan_to_num(product["weight_kg"].to_numpy(float))
    lane_sets, per_kg, days, modes = _lanes(used_lanes, sup, w_of, b_of, j_of)
    total_supply = float(np.sum(supplier_capacity))
    overseas_capacity = ow["capacity"].to_numpy(float)
    overseas_capacity = np.where(np.isfinite(overseas_capacity), overseas_capacity, total_supply)
    rules = load_tax_rules(_rules_path(instance), config.tax_date)
    domestic = bool((nodes["kind"] == "domestic_warehouse").any())
    unit_tax, tax_parts, allowed = _unit_tax(
        product, skus, breaks, used_lanes, weight, postal_used, domestic, rules
    )
    inspection_cost = offers["inspection_cost"].to_numpy(float)
    if not config.inspection:
        inspection_cost = np.full(len(offers), np.nan)
    rate = offers["counterfeit_rate"].to_numpy(float)
    reached = {
        j
        for role in ("release", "parcel", "supplier_parcel", "postal")
        for j in _markets_of(role, lane_sets[role], postal_used)
    }
    offered_k = np.isin(np.arange(len(skus)), [k for _, k in offer_keys])
    data = NetworkData(
        skus=tuple(skus),
        months=len(months),
        markets=tuple(markets),
        scenario_names=tuple(names),
        probabilities=np.asarray(probabilities, float),
        demand=demand.sum(axis=2) if platforms else demand,
        suppliers=tuple(suppliers),
        supplier_fixed=supplier_nodes["fixed_cost"].to_numpy(float),
        supplier_capacity=supplier_capacity,
        offers=tuple(offer_keys),
        min_order=offers["min_order"].to_numpy(float),
        counterfeit_rate=rate,
        segments=tuple(segments),
        overseas=tuple(overseas),
        overseas_fixed=ow["fixed_cost"].to_numpy(float) * len(months),
        overseas_capacity=overseas_capacity,
        overseas_handling=ow["handling_cost"].to_numpy(float),
        bonded=tuple(stocks),
        bonded_fixed=sw["fixed_cost"].to_numpy(float) * len(months),
        bonded_handling=sw["handling_cost"].to_numpy(float),
        first_mile=lane_sets["first_mile"],
        inbound=lane_sets["inbound"],
        release=lane_sets["release"],
        parcel=lane_sets["parcel"],
        retail_price=product["price"].to_numpy(float),
        lost_penalty=(product["price"] + product["lost_sale_penalty"]).to_numpy(float),
        holding=product["holding_cost"].to_numpy(float),
        counterfeit_penalty=counterfeit_penalties(product.reset_index()),
        counterfeit_cap=_or(config.max_counterfeit_rate, 1.0),
        supplier_type=tuple(
            t if isinstance(t, str) else "distributor" for t in supplier_nodes["supplier_type"]
        ),
        late_rate=offers["late_rate"].to_numpy(float),
        inspection_cost=inspection_cost,
        inspected_rate=np.where(
            np.isnan(inspection_cost), rate, offers["inspected_counterfeit_rate"].to_numpy(float)
        ),
        max_late_rate=_or(config.max_late_rate, 1.0),
        min_brand_direct_share=_or(config.min_brand_direct_share, 0.0),
        terms=_terms(contracts, offer_keys, offers),
        warehouse_kind=tuple(
            "bonded" if kind == "bonded_warehouse" else "domestic" for kind in sw["kind"]
        ),
        bonded_volume_capacity=sw["volume_capacity"].to_numpy(float),
        overseas_volume_capacity=ow["volume_capacity"].to_numpy(float),
        volume=np.nan_to_num(product["volume_m3"].to_numpy(float)),
        listing_cost=product["listing_cost"].to_numpy(float),
        bonded_allowed=allowed["bonded"],
        cbec_allowed=allowed["cbec_direct"],
        general_trade_allowed=allowed["general_trade"],
        unit_tax=unit_tax,
        unit_tax_parts=tax_parts,
        supplier_parcel=lane_sets["supplier_parcel"],
        postal=lane_sets["postal"],
        allow_personal_articles=bool(config.allow_personal_articles),
        lane_days=days,
        wait_share=product["wait_share"].to_numpy(float),
        max_delivery_days=nodes.reindex(markets)["max_delivery_days"].to_numpy(float),
        cover_weeks=float(config.cover_weeks or 0.0),
        salvage=product["salvage_value"].to_numpy(float),
        shared_by=tuple(split_platforms(s) for s in ow["shared_by"]) if "shared_by" in ow else (),
        weight=weight,
        per_kg=per_kg,
        lane_modes=modes,
        integer_quantities=bool(config.integer_quantities),
        pack_size=product["pack_size"].to_numpy(float),
        lane_pack_size=lane_packs,
        warnings=tuple(reach_warnings(instance, skus, markets, offered_k, reached)),
        tax_rules=f"{rules.effective} ({Path(rules.file).name})",
    )
    speed, speed_warnings = read_speed(instance, markets, skus)
    if speed is not None:
        data = replace(data, speed=speed, warnings=(*data.warnings, *speed_warnings))
    if platforms:
        data = with_platforms(data, tuple(platforms), demand, sharing=True)
        data = replace(data, platforms=tuple(platforms))
    return with_in_motion(instance, data)


def _lane_pack_sizes(lanes: pd.DataFrame, sup: dict) -> dict[str, np.ndarray]:
    """``arcs.pack_size`` of each first-stage lane by role, in the order of :func:`_lanes`
    (which leaves out a lane from a supplier without an offer); nan: the SKU's."""
    kept = lanes[~(lanes["origin_kind"].eq("supplier") & ~lanes["origin"].isin(list(sup)))]
    return {
        role: kept.loc[kept["net_role"] == role, "pack_size"].to_numpy(float)
        for role in FIRST_STAGE
    }


def _with_whole_units(most, config: NetworkConfig, product, lane_packs: dict, warehouses: int):
    """The most units of each SKU an offer without a capacity sells, with room for whole units
    and cases at each of ``warehouses`` (every copy of an overseas warehouse one platform may
    open counted; :func:`~cbecopt.whole_units.whole_units_bound`, as the model's bounds)."""
    largest = largest_pack(product["pack_size"].to_numpy(float), lane_packs, len(most))
    return whole_units_bound(most, bool(config.integer_quantities), largest, warehouses)


def _or(value, default: float) -> float:
    return default if value is None else float(value)


def _rules_path(instance: Instance):
    """``[network] tax_rules``, relative to the instance folder (``None``: the bundled rules)."""
    path = instance.setting("network", "tax_rules")
    if path is None:
        return None
    folder = instance.path if instance.path is not None and instance.path.is_dir() else None
    return (folder / path) if folder is not None else path


def _demand(instance: Instance, markets, platforms, skus, months) -> np.ndarray:
    """Demand per scenario, market, (platform,) SKU and month, 0 where no row says."""
    network = instance.network
    orders: dict = {"market": markets}
    if platforms:
        orders["platform"] = platforms
    orders["sku"] = skus
    if network.demand_rows["month"].notna().any():
        return network.demand_array({**orders, "month": months})
    return network.demand_array(orders)[..., np.newaxis]


def _segments(offers, breaks, supplier_capacity, sup, sku_demand, k_of):
    """All-units segments ``(offer, from, to, price)`` of every offer, and where each offer
    ends: its capacity (and its supplier's), else the most that can pay (the SKU's largest
    demand over the horizon, its minimum order or its last break, whichever is larger)."""
    segments, ends = [], []
    by_offer = breaks.groupby(["supplier", "sku"], sort=False)
    for o, row in enumerate(offers.itertuples(index=False)):
        schedule = by_offer.get_group((row.supplier, row.sku)).sort_values("from_quantity")
        starts = schedule["from_quantity"].to_numpy(float)
        prices = schedule["unit_price"].to_numpy(float)
        cap = min(float(row.capacity), float(supplier_capacity[sup[row.supplier]]))
        if not np.isfinite(cap):
            cap = max(float(sku_demand[k_of[row.sku]]), float(row.min_order), float(starts[-1]))
        ends.append(cap)
        for r, (start, price) in enumerate(zip(starts, prices, strict=True)):
            if start > cap:
                break
            stop = starts[r + 1] if r + 1 < len(starts) else cap
            segments.append((o, float(start), float(min(stop, cap)), float(price)))
    return segments, np.array(ends, float)


def _lanes(lanes: pd.DataFrame, sup, w_of, b_of, j_of):
    """The lanes of every role as :class:`NetworkData` tuples (positions of their ends), their
    cost per kg by role, the days of the second-stage ones and the modes of the first-stage
    ones. A lane from a supplier without an offer is left out (it has nothing to carry)."""
    sets: dict[str, list] = {r: [] for r in ROLES}
    per_kg: dict[str, list] = {r: [] for r in ROLES}
    days: dict[str, list] = {r: [] for r in ROLES if r not in FIRST_STAGE}
    modes: dict[str, list] = {r: [] for r in FIRST_STAGE}
    for lane in lanes.itertuples(index=False):
        role, o, d = lane.net_role, lane.origin, lane.destination
        kind = "supplier" if lane.origin_kind == "supplier" else "overseas"
        if kind == "supplier" and o not in sup:
            continue
        origin = sup[o] if kind == "supplier" else w_of.get(o)
        cost, lead_days = float(lane.unit_cost), float(lane.lead_time_days)
        months = int(np.floor(lead_days / DAYS_PER_MONTH + 0.5))
        if role == "first_mile":
            entry = (origin, w_of[d], cost, months)
        elif role == "inbound":
            entry = (kind, origin, b_of[d], cost, months)
        elif role == "release":
            entry = (b_of[o], j_of[d], cost, 0.0)
        elif role == "parcel":
            entry = (origin, j_of[d], cost, 0.0)
        elif role == "supplier_parcel":
            entry = (origin, j_of[d], cost, lead_days)
        else:
            entry = (kind, origin, j_of[d], cost, lead_days)
        sets[role].append(entry)
        per_kg[role].append(float(lane.cost_per_kg))
        if role in days:
            days[role].append(lead_days)
        else:
            modes[role].append(str(lane.mode))
    return (
        {r: tuple(v) for r, v in sets.items()},
        {r: np.array(v, float) for r, v in per_kg.items()},
        {r: np.array(v, float) for r, v in days.items()},
        {r: tuple(v) for r, v in modes.items()},
    )


ROLES = ("first_mile", "inbound", "release", "parcel", "supplier_parcel", "postal")
"""The lane roles of the network model (``checks.lane_role``)."""


def _markets_of(role: str, lanes: tuple, postal_used: bool) -> list[int]:
    """The markets (positions) lanes of ``role`` deliver to."""
    if role == "postal" and not postal_used:
        return []
    at = {"release": 1, "parcel": 1, "supplier_parcel": 1, "postal": 2}[role]
    return [lane[at] for lane in lanes]


def _terms(contracts, offer_keys, offers) -> tuple:
    """Flexible contract terms ``(offer, type, unit_price, premium, exercise_price, flex_up,
    flex_down, capacity)`` beside the offer of their supplier and SKU, and ``min_order`` as a
    ninth number where the row gives one above 0 (the shared ``contracts`` column the
    ``contracts`` model reads; the load has checked it: a number, not negative, not on a spot
    term, not above the term's capacity)."""
    if contracts is None:
        return ()
    position = {key: o for o, key in enumerate(zip(offers["supplier"], offers["sku"], strict=True))}
    minimum = (
        contracts["min_order"].fillna(0.0).to_numpy(float)
        if "min_order" in contracts
        else np.zeros(len(contracts))
    )
    return tuple(
        (
            position[(row.supplier, row.sku)],
            str(row.type),
            float(row.unit_price),
            float(row.premium),
            float(row.exercise_price),
            float(row.flex_up),
            float(row.flex_down),
            float(row.capacity),
            *((float(least),) if least > 0 else ()),
        )
        for row, least in zip(contracts.itertuples(index=False), minimum, strict=True)
    )


def _unit_tax(product, skus, breaks, lanes, weight, postal_used, domestic, rules):
    """Tax per unit of each SKU by channel (:mod:`cbecopt.channels`, the dated ``rules``), in
    total and in its parts (:data:`~cbecopt.channels.TAX_PARTS`), and whether each channel is
    open to it (positive lists, order-value rules, registration);
    general trade wherever there is a ``domestic`` warehouse, postal where postal parcels may
    carry goods (``postal_used``)."""
    table = product.reset_index()
    postal_rate = table["postal_rate"].to_numpy(float)
    table = table.assign(postal_rate=np.where(np.isnan(postal_rate), 0.0, postal_rate))
    terms = channel_terms(table, rules)
    by_sku = terms.set_index(["channel", "sku"])
    allowed = terms.pivot(index="sku", columns="channel", values="allowed").reindex(skus)

    def per_sku(channel: str, columns) -> np.ndarray:
        return by_sku.loc[channel].reindex(skus)[columns].to_numpy(float)

    shown = {"bonded": "bonded", "parcel": "cbec_direct", "postal": "postal"}
    used = ["bonded", "parcel", *(["postal"] if postal_used else [])]
    unit_tax = {c: per_sku(shown[c], "tax_per_unit") for c in used}
    parts = {c: per_sku(shown[c], list(TAX_PARTS)) for c in used}
    if domestic:
        into_domestic = lanes[
            (lanes["net_role"] == "inbound") & (lanes["destination_kind"] == "domestic_warehouse")
        ]
        freight = np.array(  # the cheapest inbound lane into a domestic warehouse (none: 0)
            [
                float((into_domestic["unit_cost"] + into_domestic["cost_per_kg"] * w).min())
                if len(into_domestic)
                else 0.0
                for w in weight
            ]
        )
        stated = product["purchase_cost"].to_numpy(float)
        lowest = breaks.groupby("sku")["unit_price"].min().reindex(skus).to_numpy(float)
        table = table.assign(purchase_cost=np.where(stated > 0, stated, np.nan_to_num(lowest)))
        unit_tax["general_trade"] = np.array(
            general_trade_unit_tax(table, range(len(skus)), freight), float
        )
        parts["general_trade"] = np.array(
            general_trade_unit_taxes(table, range(len(skus)), freight), float
        ).reshape(len(skus), len(TAX_PARTS))
    opened = {c: allowed[c].to_numpy(bool) for c in ("bonded", "cbec_direct", "general_trade")}
    return unit_tax, parts, opened
