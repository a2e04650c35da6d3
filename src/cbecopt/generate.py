"""Synthetic instances, reproducible from a seed.

Warehouses and markets are points in a unit square scaled to kilometres; the unit cost of a
lane grows with distance; demands are lognormal; capacities are set so that total capacity is
``capacity_ratio`` times total demand; fixed costs grow with capacity, with noise. The
instance is written in the ordinary format, so every other tool reads it.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from cbecopt.errors import OptionError
from cbecopt.graph import build_graph
from cbecopt.instance import Instance


def generate_warehouses(
    n_warehouses: int,
    n_markets: int,
    seed: int = 0,
    platforms: int = 1,
    capacity_ratio: float = 3.0,
) -> Instance:
    """A random capacitated facility location instance with ``n_warehouses`` x ``n_markets`` lanes."""
    if n_warehouses < 1 or n_markets < 1:
        raise OptionError("need at least one warehouse and one market")
    if platforms < 1:
        raise OptionError("need at least one platform")
    if capacity_ratio <= 0:
        raise OptionError("capacity ratio must be positive")
    rng = np.random.default_rng(seed)
    w_xy = rng.uniform(0, 1000, size=(n_warehouses, 2))
    m_xy = rng.uniform(0, 1000, size=(n_markets, 2))
    demand = np.maximum(1.0, np.round(rng.lognormal(mean=4.0, sigma=0.6, size=n_markets)))
    weights = rng.uniform(0.5, 1.5, n_warehouses)
    capacity = np.round(capacity_ratio * demand.sum() * weights / weights.sum())
    fixed = np.round(
        capacity * rng.uniform(8, 14, n_warehouses) + rng.uniform(500, 1500, n_warehouses), 2
    )
    distance = np.sqrt(((w_xy[:, None, :] - m_xy[None, :, :]) ** 2).sum(axis=2))
    unit_cost = np.round(1.0 + distance / 100.0, 4)
    w_ids = [f"W{i + 1:0{len(str(n_warehouses))}d}" for i in range(n_warehouses)]
    m_ids = [f"M{j + 1:0{len(str(n_markets))}d}" for j in range(n_markets)]
    nodes = pd.DataFrame(
        {
            "id": w_ids + m_ids,
            "kind": ["overseas_warehouse"] * n_warehouses + ["market"] * n_markets,
            "name": [None] * (n_warehouses + n_markets),
            "country": [None] * (n_warehouses + n_markets),
            "lat": np.nan,
            "lon": np.nan,
            "capacity": np.concatenate([capacity, np.full(n_markets, np.nan)]),
            "fixed_cost": np.concatenate([fixed, np.full(n_markets, np.nan)]),
        }
    )
    arcs = pd.DataFrame(
        {
            "origin": np.repeat(w_ids, n_markets),
            "destination": np.tile(m_ids, n_warehouses),
            "mode": None,
            "unit_cost": unit_cost.ravel(),
            "lead_time_days": np.nan,
            "capacity": np.nan,
        }
    )
    if platforms == 1:
        demand_table = pd.DataFrame({"market": m_ids, "quantity": demand})
    else:
        shares = rng.dirichlet(np.ones(platforms), size=n_markets)
        split = np.floor(demand[:, None] * shares)
        split[:, 0] += demand - split.sum(axis=1)
        demand_table = pd.DataFrame(
            {
                "market": np.repeat(m_ids, platforms),
                "platform": np.tile([f"P{k + 1}" for k in range(platforms)], n_markets),
                "quantity": split.ravel(),
            }
        )
        demand_table = demand_table[demand_table["quantity"] > 0].reset_index(drop=True)
    name = f"gen-{n_warehouses}x{n_markets}-s{seed}"
    meta = {
        "instance": {
            "name": name,
            "description": f"synthetic warehouses instance, {n_warehouses} candidate "
            f"warehouses x {n_markets} markets",
            "currency": "CNY",
            "source": "cbecopt generate",
            "licence": "CC0-1.0",
            "generator": "cbecopt.generate.generate_warehouses",
            "seed": seed,
            "platforms": platforms,
            "capacity_ratio": capacity_ratio,
        }
    }
    tables = {"nodes": nodes, "arcs": arcs, "demand": demand_table}
    return Instance(
        name,
        MappingProxyType(meta),
        MappingProxyType(tables),
        build_graph(nodes, arcs, demand_table),
    )


CATEGORIES = {
    # category: (retail price range in CNY, coefficient of variation of demand)
    "cosmetics": ((150.0, 900.0), (0.25, 0.6)),
    "infant_formula": ((180.0, 420.0), (0.15, 0.3)),
    "health_supplements": ((90.0, 500.0), (0.2, 0.45)),
    "electronics": ((300.0, 3000.0), (0.3, 0.7)),
}
SUPPLIERS = (
    ("SUP-BRAND", "brand-direct flagship: firm orders, quantity flexibility"),
    ("SUP-DIST", "authorised distributor: firm orders, call options"),
    ("SUP-AIR", "emergency air replenishment: spot"),
)


def generate_contracts(
    n_skus: int, n_scenarios: int, seed: int = 0, n_markets: int = 3
) -> Instance:
    """A random flexible-contracts instance: ``n_skus`` products, ``n_scenarios`` demand scenarios.

    Each SKU is offered firm (brand, at w = 45-60% of the retail price), on quantity
    flexibility (brand, 3% dearer, up 20-40%, down 0-30%), as call options (distributor,
    premium 8-15% of w, exercise 92-100% of w) and spot by air (35-60% above w, capacity 30%
    of mean demand); a fifth of the firm offers carry a minimum order of half the mean demand.
    Mean demand is lognormal, split over ``n_markets`` markets, with a coefficient of variation
    by category; scenarios are lognormal draws (``n_scenarios = 0``: means and std only).
    """
    if n_skus < 1 or n_markets < 1 or n_scenarios < 0:
        raise OptionError("need at least one SKU and one market, and scenarios >= 0")
    rng = np.random.default_rng(seed)
    width = len(str(n_skus))
    skus = [f"SKU{k + 1:0{width}d}" for k in range(n_skus)]
    category = rng.choice(list(CATEGORIES), size=n_skus)
    low_high = np.array([CATEGORIES[c][0] for c in category])
    cv_range = np.array([CATEGORIES[c][1] for c in category])
    price = np.round(rng.uniform(low_high[:, 0], low_high[:, 1]), 0)
    cv = rng.uniform(cv_range[:, 0], cv_range[:, 1])
    wholesale = np.round(price * rng.uniform(0.45, 0.6, n_skus), 2)
    products = pd.DataFrame(
        {
            "sku": skus,
            "category": category,
            "price": price,
            "salvage_value": np.round(wholesale * rng.uniform(0.2, 0.5, n_skus), 2),
            "lost_sale_penalty": np.round(0.1 * price, 2),
        }
    )
    mean = np.round(rng.lognormal(5.0, 0.8, n_skus), 0) + 10
    rows = []
    for k, sku in enumerate(skus):
        w = wholesale[k]
        moq = np.round(0.5 * mean[k]) if rng.random() < 0.2 else np.nan
        rows += [
            (SUPPLIERS[0][0], sku, "firm", w, np.nan, np.nan, np.nan, np.nan, np.nan, moq),
            (
                SUPPLIERS[0][0],
                sku,
                "quantity_flexibility",
                round(1.03 * w, 2),
                np.nan,
                np.nan,
                round(rng.uniform(0.2, 0.4), 2),
                round(rng.uniform(0.0, 0.3), 2),
                np.nan,
                np.nan,
            ),
            (
                SUPPLIERS[1][0],
                sku,
                "option",
                np.nan,
                round(rng.uniform(0.08, 0.15) * w, 2),
                round(rng.uniform(0.92, 1.0) * w, 2),
                np.nan,
                np.nan,
                np.nan,
                np.nan,
            ),
            (
                SUPPLIERS[2][0],
                sku,
                "spot",
                round(rng.uniform(1.35, 1.6) * w, 2),
                np.nan,
                np.nan,
                np.nan,
                np.nan,
                np.round(0.3 * mean[k]),
                np.nan,
            ),
        ]
    contracts = pd.DataFrame(
        rows,
        columns=[
            "supplier",
            "sku",
            "type",
            "unit_price",
            "premium",
            "exercise_price",
            "flex_up",
            "flex_down",
            "capacity",
            "min_order",
        ],
    )
    markets = [f"M{j + 1}" for j in range(n_markets)]
    nodes = pd.DataFrame(
        {
            "id": [s for s, _ in SUPPLIERS] + markets,
            "kind": ["supplier"] * len(SUPPLIERS) + ["market"] * n_markets,
            "name": [d for _, d in SUPPLIERS] + markets,
            "capacity": np.nan,
        }
    )
    share = rng.dirichlet(np.ones(n_markets), size=n_skus)
    base = pd.DataFrame(
        {
            "market": np.tile(markets, n_skus),
            "sku": np.repeat(skus, n_markets),
            "quantity": np.round((mean[:, None] * share).ravel(), 2),
            "std": np.round((mean[:, None] * share * cv[:, None]).ravel(), 2),
        }
    )
    tables = {"nodes": nodes, "products": products, "contracts": contracts, "demand": base}
    if n_scenarios:
        from cbecopt.scenarios import generate_demand_scenarios

        demand, scenarios = generate_demand_scenarios(base, n_scenarios, "lognormal", seed)
        demand["quantity"] = demand["quantity"].round(2)
        tables |= {"demand": demand, "scenarios": scenarios}
    name = f"gen-contracts-{n_skus}x{n_scenarios}-s{seed}"
    meta = {
        "instance": {
            "name": name,
            "description": f"synthetic contracts instance, {n_skus} SKUs x {n_scenarios} scenarios",
            "currency": "CNY",
            "source": "cbecopt generate",
            "licence": "CC0-1.0",
            "generator": "cbecopt.generate.generate_contracts",
            "seed": seed,
        }
    }
    return Instance(
        name,
        MappingProxyType(meta),
        MappingProxyType(tables),
        build_graph(nodes, None, tables["demand"]),
    )
