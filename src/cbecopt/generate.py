"""Synthetic instances, reproducible from a seed.

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
from cbecopt.scenarios import generate_demand_scenarios


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
            "generator": "cbecopt.generate.generate_warehouses",
            "seed": seed,
            "platforms": platforms,
            "capacity_ratio": capacity_ratio,
        }
    }
    tables = {"nodes": nodes, "arcs": arcs, "demand": demand_table}
    return instance_from_tables(meta, tables)


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
            "generator": "cbecopt.generate.generate_contracts",
            "seed": seed,
        }
    }
    return instance_from_tables(meta, tables)


PROVINCES = (
    # province, capital latitude, longitude, relative online retail weight (assumed ordering)
    ("Beijing", 39.9, 116.41, 22974), ("Tianjin", 39.13, 117.2, 4907), ("Hebei", 38.04, 114.51, 7543),
    ("Shanxi", 37.87, 112.55, 2812), ("Neimenggu", 40.84, 111.75, 1798), ("Liaoning", 41.8, 123.43, 4759),
    ("Jilin", 43.82, 125.32, 1976), ("Heilongjiang", 45.8, 126.53, 2553), ("Shanghai", 31.23, 121.47, 23010),
    ("Jiangsu", 32.06, 118.8, 27428), ("Zhejiang", 30.27, 120.16, 41547), ("Anhui", 31.82, 117.23, 8169),
    ("Fujian", 26.07, 119.3, 11837), ("Jiangxi", 28.68, 115.86, 4363), ("Shandong", 36.65, 117.12, 16760),
    ("Henan", 34.75, 113.63, 11199), ("Hubei", 30.59, 114.31, 10198), ("Hunan", 28.23, 112.94, 8516),
    ("Guangdong", 23.13, 113.26, 45387), ("Guangxi", 22.82, 108.37, 3302), ("Hainan", 20.04, 110.2, 1983),
    ("Chongqing", 29.56, 106.55, 4492), ("Sichuan", 30.57, 104.07, 9978), ("Guizhou", 26.65, 106.63, 2387),
    ("Yunnan", 25.04, 102.71, 3407), ("Xizang", 29.65, 91.12, 394), ("Shaanxi", 34.34, 108.94, 4982),
    ("Gansu", 36.06, 103.83, 1514), ("Qinghai", 36.62, 101.78, 471), ("Ningxia", 38.49, 106.23, 641),
    ("Xinjiang", 43.83, 87.62, 2050),
)  # fmt: skip
BONDED_ZONES = (
    # id, bonded zone, latitude, longitude, fixed cost per month (CNY), volume capacity (m3)
    ("BZ-HZ", "Hangzhou Xiasha bonded zone", 30.31, 120.36, 260_000, 1800),
    ("BZ-NB", "Ningbo Meishan bonded port", 29.79, 121.95, 220_000, 2200),
    ("BZ-ZZ", "Zhengzhou airport bonded zone", 34.53, 113.84, 200_000, 1500),
    ("BZ-GZ", "Guangzhou Nansha bonded port", 22.79, 113.55, 280_000, 2000),
    ("BZ-CQ", "Chongqing Xiyong bonded zone", 29.58, 106.30, 180_000, 1200),
    ("BZ-TJ", "Tianjin Dongjiang bonded port", 38.98, 117.77, 210_000, 1600),
)
ORIGINS = (
    # id, name, country, sea days, air days, sea CNY/kg, air CNY/kg, parcel days, postal days
    ("ORG-FR", "brand warehouses, France", "FR", 35, 7, 2.6, 26.0, 10, 20),
    ("ORG-US", "brand warehouses, United States", "US", 30, 6, 2.4, 24.0, 9, 18),
    ("ORG-JP", "brand warehouses, Japan", "JP", 8, 3, 1.2, 12.0, 5, 12),
    ("ORG-AU", "brand warehouses, Australia", "AU", 20, 6, 2.0, 20.0, 8, 16),
    ("ORG-DE", "brand warehouses, Germany", "DE", 36, 7, 2.7, 27.0, 10, 21),
)
ROUTING_CATEGORIES = {
    # price range, weight kg, volume m3 per kg, vat, consumption tax, tariff, postal rate,
    # units per order, wait share, coefficient of variation
    "cosmetics": ((150, 900), (0.1, 0.4), 0.0030, 0.13, 0.15, 0.03, 0.50, 1, 0.6, 0.45),
    "infant_formula": ((220, 420), (0.8, 1.0), 0.0035, 0.13, 0.0, 0.05, 0.13, 3, 0.4, 0.2),
    "health_supplements": ((100, 500), (0.2, 0.5), 0.0030, 0.13, 0.0, 0.08, 0.13, 2, 0.7, 0.35),
    "electronics": ((300, 6500), (0.2, 1.5), 0.0040, 0.13, 0.0, 0.0, 0.20, 1, 0.5, 0.5),
}
SEASONALITY = (0.85, 0.75, 0.9, 0.95, 1.0, 1.35, 0.95, 0.9, 1.0, 1.05, 2.1, 1.2)
"""Assumed monthly demand index, January to December: Chinese New Year dip, 618 in June,
Double 11 in November, year-end gifts in December."""


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return 6371.0 * np.arccos(np.clip(c, -1.0, 1.0))


def generate_routing(
    n_skus: int,
    n_months: int = 12,
    n_bonded: int = 4,
    n_origins: int = 3,
    n_markets: int = 31,
    n_scenarios: int = 0,
    seed: int = 0,
) -> Instance:
    """A random routing instance: SKUs from ``n_origins`` countries into ``n_markets`` provinces.

    Bonded zones, origins and provinces are real places (coordinates of the cities); prices,
    weights, tax rates and costs are drawn per category from the ranges in
    :data:`ROUTING_CATEGORIES`; freight grows with weight (bulk, parcels) and distance (last
    mile); demand is lognormal per SKU, split over provinces by :data:`PROVINCES` weights and
    shaped by :data:`SEASONALITY`. ``n_scenarios`` > 0 adds lognormal demand scenarios.
    """
    n_skus = checks.count("n_skus", n_skus, 1)
    n_months = checks.count("n_months", n_months, 1, len(SEASONALITY))
    n_bonded = checks.count("n_bonded", n_bonded, 1, len(BONDED_ZONES))
    n_origins = checks.count("n_origins", n_origins, 1, len(ORIGINS))
    n_markets = checks.count("n_markets", n_markets, 1, len(PROVINCES))
    n_scenarios = checks.count("n_scenarios", n_scenarios, 0)
    seed = checks.seed(seed)
    checks.rows(
        "the demand table",
        {
            "n_skus": n_skus,
            "n_markets": n_markets,
            "n_months": n_months,
            "n_scenarios": max(n_scenarios, 1),
        },
    )
    rng = np.random.default_rng(seed)
    origins, zones, provinces = ORIGINS[:n_origins], BONDED_ZONES[:n_bonded], PROVINCES[:n_markets]
    width = len(str(n_skus))
    categories = rng.choice(list(ROUTING_CATEGORIES), size=n_skus, p=[0.35, 0.2, 0.25, 0.2])
    rows = []
    for k, category in enumerate(categories):
        prices, weights, m3_per_kg, vat, ct, tariff, postal, per_order, wait, cv = (
            ROUTING_CATEGORIES[category]
        )
        price = float(np.round(rng.uniform(*prices), 0))
        weight = float(np.round(rng.uniform(*weights), 2))
        high_end = category == "cosmetics" and rng.random() < 0.5
        rows.append(
            {
                "sku": f"SKU{k + 1:0{width}d}",
                "name": f"{category.replace('_', ' ')} {k + 1}",
                "category": category,
                "price": price,
                "purchase_cost": round(price * rng.uniform(0.45, 0.6), 2),
                "salvage_value": round(price * 0.15, 2),
                "lost_sale_penalty": round(price * 0.05, 2),
                "weight_kg": weight,
                "volume_m3": round(weight * m3_per_kg * rng.uniform(0.8, 1.2), 5),
                "vat_rate": vat,
                "consumption_tax_rate": ct if high_end else 0.0,
                "tariff_rate": tariff,
                "postal_rate": postal if category != "cosmetics" or high_end else 0.2,
                "units_per_order": per_order,
                "bonded_allowed": int(rng.random() > 0.05),
                "cbec_allowed": int(rng.random() > 0.05),
                "wait_share": wait,
                "holding_cost": round(price * 0.006 + 1.0, 2),
                "listing_cost": 3000.0,
                "origin": origins[rng.integers(len(origins))][0],
                "_cv": cv,
            }
        )
    products = pd.DataFrame(rows)
    cv = products.pop("_cv").to_numpy()
    nodes = pd.DataFrame(
        [(o[0], "supplier", o[1], o[2], np.nan, np.nan, np.nan, np.nan, np.nan) for o in origins]
        + [(z[0], "bonded_warehouse", z[1], "CN", z[2], z[3], z[4], z[5], np.nan) for z in zones]
        + [
            (
                p[0],
                "market",
                p[0],
                "CN",
                p[1],
                p[2],
                np.nan,
                np.nan,
                7.0 if p[3] > 20000 else np.nan,
            )
            for p in provinces
        ],
        columns=[
            "id",
            "kind",
            "name",
            "country",
            "lat",
            "lon",
            "fixed_cost",
            "volume_capacity",
            "max_delivery_days",
        ],
    )
    arcs = []
    for o in origins:
        for z in zones:
            arcs.append((o[0], z[0], "sea_bulk", 0.5, o[5], float(o[3] + 3)))
            arcs.append((o[0], z[0], "air_bulk", 1.0, o[6], float(o[4] + 1)))
        for p in provinces:
            far = 2.0 if p[0] in ("Xizang", "Xinjiang", "Qinghai") else 0.0
            arcs.append((o[0], p[0], "cbec_parcel", 12.0 + far, o[6] * 1.6, float(o[7]) + far))
            arcs.append((o[0], p[0], "postal_parcel", 8.0 + far, o[6] * 1.1, float(o[8]) + far))
            arcs.append((o[0], p[0], "general_trade", 6.0, o[5] + 3.0, float(o[3] / 4 + 6)))
    for z in zones:
        for p in provinces:
            km = float(_km(z[2], z[3], p[1], p[2]))
            arcs.append(
                (
                    z[0],
                    p[0],
                    "last_mile",
                    round(5.0 + 0.004 * km, 2),
                    0.0,
                    round(1.0 + km / 900.0, 1),
                )
            )
    arcs = pd.DataFrame(
        arcs,
        columns=["origin", "destination", "mode", "unit_cost", "cost_per_kg", "lead_time_days"],
    )
    weights = np.array([p[3] for p in provinces], float)
    share = weights / weights.sum()
    national = np.round(rng.lognormal(6.3, 1.0, n_skus) + 20)
    season = np.array(SEASONALITY[:n_months])
    mean = national[:, None, None] * share[None, :, None] * season[None, None, :]
    k, j, t = np.meshgrid(
        np.arange(n_skus), np.arange(n_markets), np.arange(n_months), indexing="ij"
    )
    demand = pd.DataFrame(
        {
            "market": np.array([p[0] for p in provinces])[j.ravel()],
            "sku": products["sku"].to_numpy()[k.ravel()],
            "month": t.ravel() + 1,
            "quantity": np.round(mean.ravel(), 2),
            "std": np.round(mean.ravel() * cv[k.ravel()], 2),
        }
    )
    demand = demand[demand["quantity"] >= 0.5].reset_index(drop=True)
    tables = {"nodes": nodes, "arcs": arcs, "products": products, "demand": demand}
    if n_scenarios:
        sampled, scenarios = generate_demand_scenarios(demand, n_scenarios, "lognormal", seed)
        sampled["quantity"] = sampled["quantity"].round(2)
        tables |= {"demand": sampled, "scenarios": scenarios}
    name = f"gen-routing-{n_skus}x{n_markets}x{n_months}-s{seed}"
    meta = {
        "instance": {
            "name": name,
            "description": f"synthetic routing instance: {n_skus} SKUs from {n_origins} origins through "
            f"{n_bonded} bonded zones or direct channels to {n_markets} provinces over {n_months} months",
            "currency": "CNY",
            "source": "cbecopt generate",
            "licence": "CC0-1.0",
            "generator": "cbecopt.generate.generate_routing",
            "seed": seed,
        },
        "routing": {"tax_date": "2019-04-09"},
    }
    return instance_from_tables(meta, tables)


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
            "generator": "cbecopt.generate.generate_suppliers",
            "seed": seed,
        },
        "suppliers": {
            "demand": "exact",
            "max_counterfeit_rate": 0.02,
            "min_brand_direct_share": 0.2,
        },
    }
    return instance_from_tables(meta, tables)
