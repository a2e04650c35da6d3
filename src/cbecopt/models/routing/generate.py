"""Synthetic routing instances, reproducible from a seed; made of the ordinary tables and
validated like a loaded instance (:func:`cbecopt.instance.instance_from_tables`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt import checks
from cbecopt.instance import Instance, instance_from_tables
from cbecopt.scenarios import generate_demand_scenarios

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
DOMESTIC_WAREHOUSE = (
    # id, name, latitude, longitude, fixed cost per month (CNY), volume capacity (m3)
    "DW-SH",
    "duty-paid warehouse, Shanghai Songjiang",
    31.03,
    121.23,
    120_000,
    3000,
)
"""The duty-paid domestic warehouse general-trade imports go into (assumed figures)."""
HANDLING_PER_ORDER = {"bonded_warehouse": 4.0, "domestic_warehouse": 3.0}
"""Assumed fee per order picked, packed and released (CNY): bonded adds the per-order
customs declaration (the 'three-document' check) to ordinary warehouse handling."""
GENERAL_TRADE_CLEARANCE_DAYS = 7
"""Assumed days of general-trade customs clearance and inspection on top of the sea voyage."""
ORIGINS = (
    # id, name, country, sea days, air days, sea CNY/kg, air CNY/kg, parcel days, postal days
    ("ORG-FR", "brand warehouses, France", "FR", 35, 7, 2.6, 26.0, 10, 20),
    ("ORG-US", "brand warehouses, United States", "US", 30, 6, 2.4, 24.0, 9, 18),
    ("ORG-JP", "brand warehouses, Japan", "JP", 8, 3, 1.2, 12.0, 5, 12),
    ("ORG-AU", "brand warehouses, Australia", "AU", 20, 6, 2.0, 20.0, 8, 16),
    ("ORG-DE", "brand warehouses, Germany", "DE", 36, 7, 2.7, 27.0, 10, 21),
)
ORIGIN_PLACES = {
    "ORG-FR": (48.86, 2.35),  # Paris
    "ORG-US": (40.71, -74.01),  # New York
    "ORG-JP": (35.68, 139.69),  # Tokyo
    "ORG-AU": (-33.87, 151.21),  # Sydney
    "ORG-DE": (53.55, 9.99),  # Hamburg
}
"""Approximate latitude and longitude of each origin's brand warehouses (its largest port
city or capital), for the plan's map."""
ROUTING_CATEGORIES = {
    # price range, weight kg, volume m3 per kg, vat, consumption tax, tariff, postal rate,
    # units per order, wait share, coefficient of variation
    "cosmetics": ((150, 900), (0.1, 0.4), 0.0030, 0.13, 0.15, 0.03, 0.50, 1, 0.6, 0.45),
    "infant_formula": ((220, 420), (0.8, 1.0), 0.0035, 0.13, 0.0, 0.05, 0.13, 3, 0.4, 0.2),
    "health_supplements": ((100, 500), (0.2, 0.5), 0.0030, 0.13, 0.0, 0.08, 0.13, 2, 0.7, 0.35),
    "electronics": ((300, 6500), (0.2, 1.5), 0.0040, 0.13, 0.0, 0.0, 0.20, 1, 0.5, 0.5),
}
OFF_LIST_SHARE = {
    "cosmetics": 0.0,
    "infant_formula": 0.0,
    "health_supplements": 0.0,
    "electronics": 0.05,
}
"""Assumed chance that a SKU of the category is off the CBEC positive list, drawn separately
for bonded (1210, ``bonded_allowed``) and direct mail (9610, ``cbec_allowed``). Cosmetics,
infant formula and health supplements are listed goods of the List of Cross-border
E-commerce Retail Imports (2019 edition, MOF and 12 departments Announcement 2019 No. 96, in
force 2020-01-01, and its 2022 update, Announcement 2022 No. 7) and, as retail imports for
personal use, need no first-import registration (MOFCOM and 5 departments, Shangcaifa [2018]
No. 486), so they are never off; most consumer electronics are listed too, a few lines are
the exception (5%, an assumption, not a statistic)."""
SEASONALITY = (0.85, 0.75, 0.9, 0.95, 1.0, 1.35, 0.95, 0.9, 1.0, 1.05, 2.1, 1.2)
"""Assumed monthly demand index, January to December: Chinese New Year dip, 618 in June,
Double 11 in November, year-end gifts in December."""


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return 6371.0 * np.arccos(np.clip(c, -1.0, 1.0))


def product_row(
    rng: np.random.Generator,
    number: int,
    width: int,
    category: str,
    name: str,
    spec: tuple,
    off_list: float,
) -> dict:
    """One product row of a generated CBEC instance (routing's and the network's): price,
    weight and volume drawn in the ranges of its category's ``spec`` (a row of
    :data:`ROUTING_CATEGORIES`), half of the cosmetics high-end (consumption tax, the 50%
    postal class), purchase cost 45-60% of price, salvage 15%, lost-sale penalty 5%, holding
    0.6% of price + 1 per month, and each positive list missed with probability
    ``off_list``."""
    prices, weights, m3_per_kg, vat, ct, tariff, postal, per_order, wait, _ = spec
    price = float(np.round(rng.uniform(*prices), 0))
    weight = float(np.round(rng.uniform(*weights), 2))
    high_end = category == "cosmetics" and rng.random() < 0.5
    return {
        "sku": f"SKU{number:0{width}d}",
        "name": name,
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
        "bonded_allowed": int(rng.random() >= off_list),
        "cbec_allowed": int(rng.random() >= off_list),
        "wait_share": wait,
        "holding_cost": round(price * 0.006 + 1.0, 2),
        "listing_cost": 3000.0,
    }


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

    Bonded zones, a duty-paid domestic warehouse for general trade
    (:data:`DOMESTIC_WAREHOUSE`), origins and provinces are real places (coordinates of the
    cities); prices,
    weights, tax rates and costs are drawn per category from the ranges in
    :data:`ROUTING_CATEGORIES`; positive-list membership follows the category
    (:data:`OFF_LIST_SHARE`: cosmetics, infant formula and supplements are on the 2019 List
    for 1210 and 9610, a few electronics are off), so a SKU closed to general trade until
    registered is still sold through CBEC, as in practice; freight grows with weight (bulk, parcels) and distance (last
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
        row = product_row(
            rng,
            k + 1,
            width,
            category,
            f"{category.replace('_', ' ')} {k + 1}",
            ROUTING_CATEGORIES[category],
            OFF_LIST_SHARE[category],
        )
        row["origin"] = origins[rng.integers(len(origins))][0]
        row["_cv"] = ROUTING_CATEGORIES[category][-1]
        rows.append(row)
    products = pd.DataFrame(rows)
    cv = products.pop("_cv").to_numpy()
    nodes = pd.DataFrame(
        [
            (o[0], "supplier", o[1], o[2], *ORIGIN_PLACES[o[0]], np.nan, np.nan, np.nan)
            for o in origins
        ]
        + [(z[0], "bonded_warehouse", z[1], "CN", z[2], z[3], z[4], z[5], np.nan) for z in zones]
        + [
            (dw[0], "domestic_warehouse", dw[1], "CN", *dw[2:], np.nan)
            for dw in [DOMESTIC_WAREHOUSE]
        ]
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
    nodes["handling_cost"] = nodes["kind"].map(HANDLING_PER_ORDER)
    arcs = []
    for o in origins:
        for z in zones:
            arcs.append((o[0], z[0], "sea_bulk", 0.5, o[5], float(o[3] + 3)))
            arcs.append((o[0], z[0], "air_bulk", 1.0, o[6], float(o[4] + 1)))
        clearance = float(o[3] + GENERAL_TRADE_CLEARANCE_DAYS)
        arcs.append((o[0], DOMESTIC_WAREHOUSE[0], "sea_bulk", 0.5, o[5], clearance))
        for p in provinces:
            far = 2.0 if p[0] in ("Xizang", "Xinjiang", "Qinghai") else 0.0
            arcs.append((o[0], p[0], "cbec_parcel", 12.0 + far, o[6] * 1.6, float(o[7]) + far))
            arcs.append((o[0], p[0], "postal_parcel", 8.0 + far, o[6] * 1.1, float(o[8]) + far))
    stocked = [*zones, DOMESTIC_WAREHOUSE]
    for z in stocked:
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
            f"{n_bonded} bonded zones, a duty-paid domestic warehouse or direct channels to "
            f"{n_markets} provinces over {n_months} months",
            "currency": "CNY",
            "source": "cbecopt generate",
            "licence": "CC0-1.0",
            "generator": "cbecopt.models.routing.generate.generate_routing",
            "seed": seed,
        },
        "routing": {"tax_date": "2019-04-09"},
    }
    return instance_from_tables(meta, tables)
