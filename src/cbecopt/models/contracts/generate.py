"""Synthetic flexible-contracts instances, reproducible from a seed; made of the ordinary
tables and validated like a loaded instance (:func:`cbecopt.instance.instance_from_tables`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt import checks
from cbecopt.instance import Instance, instance_from_tables
from cbecopt.scenarios import generate_demand_scenarios

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
    n_skus = checks.count("n_skus", n_skus, 1)
    n_scenarios = checks.count("n_scenarios", n_scenarios, 0)
    n_markets = checks.count("n_markets", n_markets, 1)
    seed = checks.seed(seed)
    checks.rows(
        "the demand table",
        {"n_skus": n_skus, "n_markets": n_markets, "n_scenarios": max(n_scenarios, 1)},
    )
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
            "generator": "cbecopt.models.contracts.generate.generate_contracts",
            "seed": seed,
        }
    }
    return instance_from_tables(meta, tables)
