"""Synthetic supplier selection instances, reproducible from a seed; made of the ordinary
tables and validated like a loaded instance (:func:`cbecopt.instance.instance_from_tables`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt import checks
from cbecopt.instance import Instance, instance_from_tables

SOURCE_TYPES = {
    # share of suppliers, counterfeit rate range, late rate range, price factor range,
    # fixed qualification cost range (CNY), offers inspection
    "brand_direct": (0.12, (0.001, 0.005), (0.01, 0.04), (1.08, 1.2), (40_000, 80_000), False),
    "distributor": (0.36, (0.01, 0.05), (0.03, 0.08), (0.98, 1.08), (15_000, 40_000), True),
    "agent": (0.28, (0.03, 0.10), (0.05, 0.15), (0.9, 1.0), (5_000, 15_000), True),
    "grey_market": (0.24, (0.10, 0.30), (0.10, 0.25), (0.7, 0.88), (0, 3_000), True),
}
SOURCING_CATEGORIES = {
    "cosmetics": (150, 900),
    "infant_formula": (200, 420),
    "health_supplements": (100, 500),
    "handbags": (2_000, 20_000),
}
BREAK_DISCOUNTS = (0.0, 0.03, 0.06, 0.10)
"""Price cut at each break (of 4), relative to the first price."""


def generate_suppliers(
    n_skus: int, n_suppliers: int, seed: int = 0, offers_per_sku: int = 6, n_breaks: int = 4
) -> Instance:
    """A random supplier selection instance.

    Supplier types in the shares of :data:`SOURCE_TYPES`, with counterfeit and late rates,
    price levels and qualification costs drawn from each type's range; every SKU has one
    brand-direct offer and ``offers_per_sku - 1`` others; ``n_breaks`` price breaks per offer
    (at 0, then about 0.2, 0.5 and 1.0 times the SKU's demand) with cuts of
    :data:`BREAK_DISCOUNTS`, all-units or incremental at random. Counterfeit penalty: the
    refund plus three times the price (PRC Consumer Rights Protection Law, art. 55).
    """
    n_skus = checks.count("n_skus", n_skus, 1)
    n_suppliers = checks.count("n_suppliers", n_suppliers, 2)
    offers_per_sku = checks.count("offers_per_sku", offers_per_sku, 2, n_suppliers)
    n_breaks = checks.count("n_breaks", n_breaks, 1, len(BREAK_DISCOUNTS))
    seed = checks.seed(seed)
    checks.rows("the nodes table", {"n_suppliers": n_suppliers})
    checks.rows(
        "the price_breaks table",
        {"n_skus": n_skus, "offers_per_sku": offers_per_sku, "n_breaks": n_breaks},
    )
    rng = np.random.default_rng(seed)
    types = list(SOURCE_TYPES)
    counts = np.maximum(
        1, np.round(np.array([SOURCE_TYPES[t][0] for t in types]) * n_suppliers)
    ).astype(int)
    counts[1] += n_suppliers - counts.sum()
    supplier_type = np.repeat(types, counts)[:n_suppliers]
    width = len(str(n_suppliers))
    suppliers = [f"{t[:2].upper()}{i + 1:0{width}d}" for i, t in enumerate(supplier_type)]
    nodes = pd.DataFrame(
        {
            "id": [*suppliers, "CN"],
            "kind": ["supplier"] * n_suppliers + ["market"],
            "supplier_type": [*supplier_type, None],
            "fixed_cost": [
                float(np.round(rng.uniform(*SOURCE_TYPES[t][4]), -2)) for t in supplier_type
            ]
            + [np.nan],
            "capacity": np.nan,
        }
    )
    width_k = len(str(n_skus))
    skus = [f"SKU{k + 1:0{width_k}d}" for k in range(n_skus)]
    category = rng.choice(list(SOURCING_CATEGORIES), size=n_skus)
    price = np.array([np.round(rng.uniform(*SOURCING_CATEGORIES[c]), 0) for c in category])
    demand = np.round(rng.lognormal(6.0, 0.8, n_skus) + 50)
    products = pd.DataFrame(
        {"sku": skus, "category": category, "price": price, "counterfeit_penalty": 4.0 * price}
    )
    brands = np.flatnonzero(supplier_type == "brand_direct")
    others = np.flatnonzero(supplier_type != "brand_direct")
    offers, breaks = [], []
    for k, sku in enumerate(skus):
        chosen = [
            int(rng.choice(brands)),
            *rng.choice(others, size=min(offers_per_sku - 1, len(others)), replace=False),
        ]
        cost = price[k] * 0.5
        for s in chosen:
            kind = supplier_type[s]
            _, fake, late, level, _, inspect = SOURCE_TYPES[kind]
            rate = round(float(rng.uniform(*fake)), 4)
            offers.append(
                {
                    "supplier": suppliers[s],
                    "sku": sku,
                    "discount": "all_units" if rng.random() < 0.5 else "incremental",
                    "capacity": float(
                        np.round(
                            demand[k]
                            * rng.uniform(*((1.2, 2.0) if kind == "brand_direct" else (0.4, 1.5)))
                        )
                    ),
                    "min_order": float(np.round(demand[k] * 0.1)) if rng.random() < 0.3 else np.nan,
                    "counterfeit_rate": rate,
                    "late_rate": round(float(rng.uniform(*late)), 4),
                    "lead_time_days": float(rng.integers(5, 30)),
                    "inspection_cost": round(float(cost * rng.uniform(0.02, 0.05)), 2)
                    if inspect
                    else np.nan,
                    "inspected_counterfeit_rate": round(rate * 0.2, 5) if inspect else np.nan,
                }
            )
            base = cost * rng.uniform(*level)
            starts = (0.0, 0.2, 0.5, 1.0)[:n_breaks]
            for start, cut in zip(starts, BREAK_DISCOUNTS[:n_breaks], strict=True):
                breaks.append(
                    (
                        suppliers[s],
                        sku,
                        float(np.round(start * demand[k])),
                        round(base * (1 - cut), 2),
                    )
                )
    demand_table = pd.DataFrame({"market": "CN", "sku": skus, "quantity": demand})
    tables = {
        "nodes": nodes,
        "products": products,
        "offers": pd.DataFrame(offers),
        "price_breaks": pd.DataFrame(
            breaks, columns=["supplier", "sku", "from_quantity", "unit_price"]
        ),
        "demand": demand_table,
    }
    name = f"gen-suppliers-{n_skus}x{n_suppliers}-s{seed}"
    meta = {
        "instance": {
            "name": name,
            "description": f"synthetic supplier selection instance: {n_skus} SKUs, {n_suppliers} sources",
            "currency": "CNY",
            "source": "cbecopt generate",
            "licence": "CC0-1.0",
            "generator": "cbecopt.models.suppliers.generate.generate_suppliers",
            "seed": seed,
        },
        "suppliers": {
            "demand": "exact",
            "max_counterfeit_rate": 0.02,
            "min_brand_direct_share": 0.2,
        },
    }
    return instance_from_tables(meta, tables)
