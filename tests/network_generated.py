"""A rough :class:`NetworkData` (v1 fields only) straight from a generated network instance's
tables, to size and time the v1 model on what the generator writes before the model reads
instances itself. Rough on purpose: a lane's cost per unit takes the mean weight of the SKUs,
taxes a flat 9.1% of the retail price, overseas warehouses are shared by every platform, and
the v2 fields (contracts, drop-ship, postal, domestic warehouse's tax) keep v1's defaults."""

from __future__ import annotations

import numpy as np

from cbecopt.instance import Instance
from cbecopt.models.network import NetworkData, with_platforms

MONTH_DAYS = 30.4
CBEC_RATE = 0.091


def rough_network_data(instance: Instance) -> NetworkData:
    """The v1 data of ``instance`` (see the module docstring for what is rough)."""
    t = instance.tables
    nodes, arcs, products = t["nodes"], t["arcs"], t["products"]
    skus = tuple(products["sku"])
    kinds = {kind: tuple(nodes.loc[nodes["kind"] == kind, "id"]) for kind in set(nodes["kind"])}
    suppliers, overseas = kinds["supplier"], kinds["overseas_warehouse"]
    bonded = kinds["bonded_warehouse"] + kinds.get("domestic_warehouse", ())
    markets = kinds["market"]
    by_id = nodes.set_index("id")
    pos = {kind: {n: i for i, n in enumerate(ids)} for kind, ids in kinds.items()}
    pos["bonded"] = {n: i for i, n in enumerate(bonded)}
    k_of = {s: k for k, s in enumerate(skus)}
    i_of = pos["supplier"]
    offers_t = t["offers"]
    offers = tuple(
        (i_of[s], k_of[k]) for s, k in zip(offers_t["supplier"], offers_t["sku"], strict=True)
    )
    o_of = {
        (s, k): n
        for n, (s, k) in enumerate(zip(offers_t["supplier"], offers_t["sku"], strict=True))
    }
    segments = []
    for (s, k), group in t["price_breaks"].groupby(["supplier", "sku"], sort=False):
        o = o_of[(s, k)]
        starts = group["from_quantity"].to_numpy()
        ends = np.append(starts[1:], max(offers_t.at[o, "capacity"], starts[-1] + 1.0))
        segments += [
            (o, a, b, p) for a, b, p in zip(starts, ends, group["unit_price"], strict=True)
        ]
    weight = float(products["weight_kg"].mean())
    cost = (arcs["unit_cost"] + arcs["cost_per_kg"] * weight).to_numpy()
    lead = np.rint(arcs["lead_time_days"].to_numpy() / MONTH_DAYS).astype(int)
    okind = arcs["origin"].map(by_id["kind"]).to_numpy()
    dkind = arcs["destination"].map(by_id["kind"]).to_numpy()
    first_mile, inbound, release, parcel = [], [], [], []
    for n, (o, d, mode) in enumerate(
        zip(arcs["origin"], arcs["destination"], arcs["mode"], strict=True)
    ):
        if okind[n] == "supplier" and dkind[n] == "overseas_warehouse":
            first_mile.append((i_of[o], pos["overseas_warehouse"][d], cost[n], lead[n]))
        elif dkind[n] in ("bonded_warehouse", "domestic_warehouse"):
            origin = "supplier" if okind[n] == "supplier" else "overseas"
            index = pos[okind[n]][o]
            inbound.append((origin, index, pos["bonded"][d], cost[n], lead[n]))
        elif okind[n] in ("bonded_warehouse", "domestic_warehouse"):
            release.append((pos["bonded"][o], pos["market"][d], cost[n], CBEC_RATE))
        elif okind[n] == "overseas_warehouse" and mode == "cbec_parcel":
            w = pos["overseas_warehouse"][o]
            parcel.append((w, pos["market"][d], cost[n], CBEC_RATE))
    scen = t["scenarios"]
    names = tuple(scen["scenario"])
    platforms = tuple(dict.fromkeys(t["demand"]["platform"]))
    months = int(t["demand"]["month"].max())
    demand = np.zeros((len(names), len(markets), len(platforms), len(skus), months))
    dem = t["demand"]
    s_of = {s: n for n, s in enumerate(names)}
    p_of = {p: n for n, p in enumerate(platforms)}
    demand[
        dem["scenario"].map(s_of).to_numpy(),
        dem["market"].map(pos["market"]).to_numpy(),
        dem["platform"].map(p_of).to_numpy(),
        dem["sku"].map(k_of).to_numpy(),
        dem["month"].to_numpy().astype(int) - 1,
    ] = dem["quantity"].to_numpy()
    price = products["price"].to_numpy()

    def column(ids, name):
        return by_id.loc[list(ids), name].to_numpy(float)

    d = NetworkData(
        skus=skus,
        months=months,
        markets=markets,
        scenario_names=names,
        probabilities=scen["probability"].to_numpy(),
        demand=demand.sum(axis=2),
        suppliers=suppliers,
        supplier_fixed=column(suppliers, "fixed_cost"),
        supplier_capacity=np.nan_to_num(column(suppliers, "capacity")),
        offers=offers,
        min_order=np.nan_to_num(offers_t["min_order"].to_numpy(float)),
        counterfeit_rate=offers_t["counterfeit_rate"].to_numpy(float),
        segments=tuple(segments),
        overseas=overseas,
        overseas_fixed=column(overseas, "fixed_cost"),
        overseas_capacity=column(overseas, "capacity"),
        overseas_handling=column(overseas, "handling_cost"),
        bonded=bonded,
        bonded_fixed=column(bonded, "fixed_cost"),
        bonded_handling=column(bonded, "handling_cost"),
        first_mile=tuple(first_mile),
        inbound=tuple(inbound),
        release=tuple(release),
        parcel=tuple(parcel),
        retail_price=price,
        lost_penalty=price + products["lost_sale_penalty"].to_numpy(),
        holding=products["holding_cost"].to_numpy(),
        counterfeit_penalty=4.0 * price,
        counterfeit_cap=float(instance.meta["network"]["max_counterfeit_rate"]),
    )
    return with_platforms(d, platforms, demand, sharing=True)
