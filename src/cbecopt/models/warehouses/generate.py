"""Synthetic warehouses instances, reproducible from a seed.

Warehouses and markets are points in a unit square scaled to kilometres; the unit cost of a
lane grows with distance; demands are lognormal; capacities are set so that total capacity is
``capacity_ratio`` times total demand; fixed costs grow with capacity, with noise. The
instance is made of the ordinary tables and passes the same validation as a loaded one
(:func:`cbecopt.instance.instance_from_tables`), so every other tool reads it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt import checks
from cbecopt.instance import Instance, instance_from_tables


def generate_warehouses(
    n_warehouses: int,
    n_markets: int,
    seed: int = 0,
    platforms: int = 1,
    capacity_ratio: float = 3.0,
) -> Instance:
    """A random capacitated facility location instance with ``n_warehouses`` x ``n_markets`` lanes."""
    n_warehouses = checks.count("n_warehouses", n_warehouses, 1)
    n_markets = checks.count("n_markets", n_markets, 1)
    platforms = checks.count("platforms", platforms, 1)
    capacity_ratio = checks.positive("capacity_ratio", capacity_ratio)
    seed = checks.seed(seed)
    checks.rows("the lanes table", {"n_warehouses": n_warehouses, "n_markets": n_markets})
    checks.rows("the demand table", {"n_markets": n_markets, "platforms": platforms})
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
            "generator": "cbecopt.models.warehouses.generate.generate_warehouses",
            "seed": seed,
            "platforms": platforms,
            "capacity_ratio": capacity_ratio,
        }
    }
    tables = {"nodes": nodes, "arcs": arcs, "demand": demand_table}
    return instance_from_tables(meta, tables)
