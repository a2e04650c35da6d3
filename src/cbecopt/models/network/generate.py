"""Synthetic instances of the integrated ``network`` model, reproducible from a seed; made of
the ordinary tables and validated like a loaded instance
(:func:`cbecopt.instance.instance_from_tables`).

Places, categories, tax rates, freight formulas and the seasonal index are the routing
generator's (:mod:`cbecopt.models.routing.generate`); supplier types, their counterfeit, late
and price patterns and the price breaks are the suppliers generator's
(:mod:`cbecopt.models.suppliers.generate`). What is new here: brand regions, candidate
overseas warehouses shared or not by the platforms, origin-aware lanes, flexible contract
terms, and demand per platform under multiplicative scenario shocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cbecopt import checks
from cbecopt.errors import OptionError
from cbecopt.instance import Instance, instance_from_tables
from cbecopt.models.routing.generate import (
    BONDED_ZONES,
    DOMESTIC_WAREHOUSE,
    GENERAL_TRADE_CLEARANCE_DAYS,
    HANDLING_PER_ORDER,
    OFF_LIST_SHARE,
    ORIGINS,
    PROVINCES,
    ROUTING_CATEGORIES,
    SEASONALITY,
    _km,
    product_row,
)
from cbecopt.models.suppliers.generate import BREAK_DISCOUNTS, SOURCE_TYPES, SOURCING_CATEGORIES

PLATFORMS = ("Tmall Global", "JD Worldwide", "Douyin Global")
PLATFORM_SHARE = {"Tmall Global": 0.5, "JD Worldwide": 0.3, "Douyin Global": 0.2}
"""Assumed share of a SKU's demand each platform brings, before a SKU's own draw."""
LISTED_SHARE = 0.7
"""Assumed chance a SKU is sold on a given platform (each SKU is sold on at least one)."""
CATEGORIES = {
    **ROUTING_CATEGORIES,
    # as ROUTING_CATEGORIES: price range (the suppliers generator's), weight kg, volume m3 per
    # kg, vat, consumption tax (none on handbags), general-trade tariff (leather handbags,
    # HS 4202, 10% MFN), postal rate (handbags are postal_20 in tax_rules.toml), units per
    # order, wait share, coefficient of variation
    "handbags": (SOURCING_CATEGORIES["handbags"], (0.6, 1.6), 0.0080, 0.13, 0.0, 0.10, 0.20, 1, 0.6, 0.5),
}  # fmt: skip
LISTED = {**OFF_LIST_SHARE, "handbags": 0.0}
"""Chance a SKU is off each CBEC positive list (handbags are listed goods)."""
MORE_ORIGINS = (
    # as routing's ORIGINS: id, name, country, sea days, air days, sea CNY/kg, air CNY/kg,
    # parcel days, postal days (assumed, by distance from the routing generator's rows)
    ("ORG-IT", "brand warehouses, Italy", "IT", 34, 7, 2.6, 26.0, 10, 20),
    ("ORG-NL", "warehouses, Netherlands", "NL", 35, 7, 2.5, 25.0, 10, 20),
    ("ORG-KR", "brand warehouses, South Korea", "KR", 5, 2, 0.9, 9.0, 4, 10),
    ("ORG-HK", "warehouses, Hong Kong", "HK", 3, 1, 0.6, 6.0, 3, 7),
)
LANES = {o[2]: o for o in (*ORIGINS, *MORE_ORIGINS)}
"""Freight to China by the country goods leave from (routing's origins and a few more)."""
CITIES = {
    # country: city suppliers ship from, latitude, longitude
    "US": ("New York", 40.71, -74.01),
    "FR": ("Paris", 48.86, 2.35),
    "DE": ("Hamburg", 53.55, 9.99),
    "IT": ("Milan", 45.46, 9.19),
    "JP": ("Osaka", 34.69, 135.50),
    "KR": ("Seoul", 37.57, 126.98),
    "AU": ("Melbourne", -37.81, 144.96),
}
REGIONS = {
    # region: share of SKUs, {category: (share, brand country)}
    "US": (0.25, {"health_supplements": (0.4, "US"), "electronics": (0.3, "US"), "cosmetics": (0.3, "US")}),
    "EU": (0.30, {"cosmetics": (0.4, "FR"), "handbags": (0.3, "IT"), "infant_formula": (0.3, "DE")}),
    "JP": (0.20, {"cosmetics": (0.5, "JP"), "electronics": (0.3, "JP"), "health_supplements": (0.2, "JP")}),
    "KR": (0.15, {"cosmetics": (0.8, "KR"), "electronics": (0.2, "KR")}),
    "AU": (0.10, {"health_supplements": (0.5, "AU"), "infant_formula": (0.5, "AU")}),
}  # fmt: skip
"""Brand regions (assumed mix): US, EU (France, Germany, Italy), Japan, Korea, Australia."""
REGION_COUNTRIES = {"US": ("US",), "EU": ("FR", "DE", "IT"), "JP": ("JP",), "KR": ("KR",), "AU": ("AU",)}  # fmt: skip
OVERSEAS_WAREHOUSES = (
    # id, name, country, latitude, longitude, brand regions it receives from, shared by all
    # platforms, fixed cost per month (CNY), volume m3, handling per unit shipped out (CNY)
    ("OW-LAX", "Los Angeles (Ontario, CA)", "US", 34.06, -117.65, ("US",), True, 190_000, 5000, 6.0),
    ("OW-FRA", "Frankfurt", "DE", 50.11, 8.68, ("EU",), True, 180_000, 4000, 6.5),
    ("OW-TYO", "Tokyo (Narita)", "JP", 35.77, 140.39, ("JP",), True, 170_000, 3500, 4.5),
    ("OW-HKG", "Hong Kong (Kwai Chung)", "HK", 22.36, 114.13, ("US", "JP", "KR", "AU"), True, 150_000, 4000, 3.0),
    ("OW-ICN", "Incheon", "KR", 37.46, 126.44, ("KR",), False, 90_000, 2000, 3.5),
    ("OW-SYD", "Sydney", "AU", -33.87, 151.21, ("AU",), False, 100_000, 2000, 5.5),
    ("OW-EWR", "New Jersey (Edison)", "US", 40.52, -74.41, ("US",), False, 110_000, 2500, 6.0),
    ("OW-RTM", "Rotterdam", "NL", 51.92, 4.48, ("EU",), False, 100_000, 2500, 5.5),
)  # fmt: skip
"""Candidate overseas warehouses (assumed costs). Shared ones are opened once for every
platform; the others are used by one platform each (each platform opens its own copy)."""
OVERSEAS_CAPACITY = (0.25, 0.5)
"""Units an overseas warehouse ships out per month, as a range of fractions of the
instance's mean monthly demand (so capacity binds at any size)."""
FIRST_MILE = {"truck": (0.8, 0.1, 3), "air": (1.5, 0.8, 2)}
"""First-mile lanes to an overseas warehouse: (CNY per unit, share of the origin's air rate
per kg, days added); by truck within the region, by air to Hong Kong from farther away."""
CONTRACT_SHARE = {"brand_direct": 0.3, "distributor": 0.3, "agent": 0.25}
"""Share of each type's offers that also come with flexible terms: quantity flexibility from
brand-direct suppliers, call options from distributors, spot (emergency air) from agents."""
PARCEL_FAR = ("Xizang", "Xinjiang", "Qinghai")
"""Provinces where parcels cost 2 CNY and take 2 days more (as the routing generator)."""
BREAK_AT = (0.0, 0.2, 0.5, 1.0)
"""Where an offer's price breaks start, in units of the SKU's mean horizon demand (as the
suppliers generator's)."""
SHOCK_SIGMA = (0.15, 0.2, 0.1, 0.25)
"""Scenario shocks (lognormal, mean 1): national, per category, per SKU, and on the 618 and
Double 11 peaks."""


def generate_network(
    n_skus: int = 40,
    seed: int = 2026,
    n_suppliers: int = 25,
    n_overseas: int = 8,
    n_bonded: int = 5,
    n_provinces: int = 31,
    months: int = 12,
    n_scenarios: int = 10,
    platforms: tuple[str, ...] = PLATFORMS,
    offers_per_sku: int = 4,
    n_breaks: int = 4,
    year: int | None = None,
) -> Instance:
    """A random instance of the integrated network: SKUs of US, EU, Japanese, Korean and
    Australian brands bought from the four supplier types, through overseas warehouses,
    bonded zones and a duty-paid warehouse, to the provinces, per platform and scenario.

    Each SKU has a brand region (:data:`REGIONS`) and is offered by one brand-direct supplier
    of that region and up to ``offers_per_sku - 1`` others of it; first-mile lanes lead only
    from a supplier to the overseas warehouses of its region (origin-aware), bulk lanes from
    every supplier and overseas warehouse to the bonded zones (sea, and air from suppliers)
    and by sea to the duty-paid warehouse; 9610 and postal parcels from the overseas
    warehouses, 9610 drop-ship from brand-direct suppliers, and last-mile release lanes to
    every province. Demand is lognormal per SKU, split over platforms and provinces, shaped
    by :data:`SEASONALITY` and multiplied per scenario by shocks (:data:`SHOCK_SIGMA`) with
    Dirichlet probabilities. Fewer than 31 provinces are the largest markets; ``n_breaks``
    all-units price breaks per offer (1 to 4). Months are numbered 1, 2, ... from January, or
    written as the calendar months of ``year`` (``2027-01``, ...) when it is given.
    """
    n_skus = checks.count("n_skus", n_skus, 1)
    n_suppliers = checks.count("n_suppliers", n_suppliers, 4)
    n_overseas = checks.count("n_overseas", n_overseas, 1, len(OVERSEAS_WAREHOUSES))
    n_bonded = checks.count("n_bonded", n_bonded, 1, len(BONDED_ZONES))
    n_provinces = checks.count("n_provinces", n_provinces, 1, len(PROVINCES))
    months = checks.count("months", months, 1, len(SEASONALITY))
    n_scenarios = checks.count("n_scenarios", n_scenarios, 1)
    offers_per_sku = checks.count("offers_per_sku", offers_per_sku, 1, n_suppliers)
    n_breaks = checks.count("n_breaks", n_breaks, 1, len(BREAK_DISCOUNTS))
    platforms = _platforms(platforms)
    seed = checks.seed(seed)
    checks.rows("the products table", {"n_skus": n_skus})
    rng = np.random.default_rng(seed)
    suppliers = _suppliers(rng, n_suppliers)
    regions = sorted(set(suppliers.loc[suppliers["supplier_type"] == "brand_direct", "region"]))
    products, region_of = _products(rng, n_skus, regions)
    largest = sorted(sorted(PROVINCES, key=lambda p: -p[3])[:n_provinces], key=PROVINCES.index)
    provinces = tuple(largest)
    mean = _mean_demand(rng, products, platforms, provinces, months)
    # a demand row per SKU and platform it is sold on (not every platform), province, month
    # and scenario
    listed = int(np.count_nonzero(mean.sum(axis=(0, 3))))
    checks.rows(
        "the demand table",
        {
            "n_skus": listed,
            "n_provinces": n_provinces,
            "months": months,
            "n_scenarios": n_scenarios,
        },
        blame="n_skus",
    )
    horizon = mean.sum(axis=(0, 1, 3))
    offers, breaks, contracts = _offers(
        rng, products, region_of, suppliers, horizon, offers_per_sku, n_breaks
    )
    capacity = offers.groupby("supplier")["capacity"].sum() * 0.8
    suppliers["capacity"] = np.round(suppliers["id"].map(capacity).to_numpy(), -1)
    overseas = OVERSEAS_WAREHOUSES[:n_overseas]
    monthly = float(mean.sum()) / months
    nodes = _nodes(suppliers, overseas, BONDED_ZONES[:n_bonded], provinces, platforms)
    nodes.loc[nodes["kind"] == "overseas_warehouse", "capacity"] = np.round(
        rng.uniform(*OVERSEAS_CAPACITY, n_overseas) * monthly, -2
    )
    arcs = _arcs(suppliers, overseas, BONDED_ZONES[:n_bonded], provinces)
    demand, scenarios = _scenarios(rng, mean, products, platforms, provinces, n_scenarios)
    if year is not None:
        year = checks.count("year", year, 1, 9999)
        demand["month"] = [f"{year:04d}-{int(t):02d}" for t in demand["month"]]
    tables = {
        "nodes": nodes,
        "arcs": arcs,
        "products": products,
        "offers": offers,
        "price_breaks": breaks,
        **({"contracts": contracts} if len(contracts) else {}),  # no flexible term: no table
        "demand": demand,
        "scenarios": scenarios,
    }
    name = f"gen-network-{n_skus}x{n_suppliers}x{n_provinces}x{months}x{n_scenarios}-s{seed}"
    meta = {
        "instance": {
            "name": name,
            "description": f"synthetic network instance: {n_skus} SKUs from {n_suppliers} "
            f"suppliers through {n_overseas} overseas warehouses, {n_bonded} bonded zones and a "
            f"duty-paid warehouse to {n_provinces} provinces on {len(platforms)} platform(s), "
            f"{months} months, {n_scenarios} demand scenarios",
            "currency": "CNY",
            "period": "month",
            "units": "retail units",
            "source": "cbecopt generate",
            "licence": "CC0-1.0",
            "generator": "cbecopt.models.network.generate.generate_network",
            "seed": seed,
        },
        "network": {
            "tax_date": "2026-01-01",
            "allow_personal_articles": False,
            "cover_weeks": 0.0,
            "max_counterfeit_rate": 0.05,
            "max_late_rate": 0.15,
            "min_brand_direct_share": 0.1,
            "inspection": True,
        },
        "assumptions": ASSUMPTIONS,
    }
    return instance_from_tables(meta, tables)


def generate(options: Mapping[str, Any]) -> tuple[Instance, str]:
    """``cbecopt generate network``: the instance of the command's options (the generators'
    parameter names: ``n_skus``, ``n_suppliers``, ``n_warehouses`` (overseas), ``n_bonded``,
    ``n_markets`` (provinces), ``n_months``, ``n_scenarios``, ``platforms`` (how many of
    :data:`PLATFORMS`), ``seed``) and what it holds; an option left ``None`` takes
    :func:`generate_network`'s default."""
    given = {
        "n_skus": options.get("n_skus"),
        "seed": options.get("seed"),
        "n_suppliers": options.get("n_suppliers"),
        "n_overseas": options.get("n_warehouses"),
        "n_bonded": options.get("n_bonded"),
        "n_provinces": options.get("n_markets"),
        "months": options.get("n_months"),
        "n_scenarios": options.get("n_scenarios"),
        "year": options.get("year"),
    }
    for option, high in (
        ("n_warehouses", len(OVERSEAS_WAREHOUSES)),
        ("n_markets", len(PROVINCES)),
        ("n_months", len(SEASONALITY)),
    ):
        if options.get(option) is not None:  # named as the command names it
            checks.count(option, options[option], 1, high)
    kwargs = {key: value for key, value in given.items() if value is not None}
    if options.get("platforms") is not None:
        n = checks.count("platforms", options["platforms"], 1, len(PLATFORMS))
        kwargs["platforms"] = PLATFORMS[:n]
    made = generate_network(**kwargs)
    t = made.tables
    kinds = t["nodes"]["kind"].value_counts()
    what = (
        f"{len(t['products'])} SKUs, {kinds.get('supplier', 0)} suppliers, "
        f"{kinds.get('overseas_warehouse', 0)} overseas warehouses, "
        f"{kinds.get('bonded_warehouse', 0)} bonded zones, {kinds.get('market', 0)} provinces, "
        f"{len(t['scenarios'])} scenarios"
    )
    return made, what


DEMO = dict(n_skus=40, seed=2026, n_suppliers=25, n_provinces=10, n_scenarios=3, year=2027)
"""The knobs of the bundled ``instances/network_demo`` (:func:`network_demo`): the ten largest
provinces (about two thirds of the demand) and three scenarios keep its demand table near
30,000 rows (1.2 MB); its months are those of 2027 (``2027-01`` ...), for rolling plans;
every other size is the generator's default."""


def network_demo() -> Instance:
    """The bundled ``instances/network_demo``: :func:`generate_network` with :data:`DEMO`,
    named and described as a bundled instance. ``save_instance(network_demo(),
    "instances/network_demo")`` writes it; a test keeps the folder equal to this."""
    made = generate_network(**DEMO)
    t = made.tables
    kinds = t["nodes"]["kind"].value_counts()
    meta = {key: dict(value) for key, value in made.meta.items()}
    meta["instance"] |= {
        "name": "network_demo",
        "description": (
            f"Integrated cross-border network of an importer selling on "
            f"{t['demand']['platform'].nunique()} platforms (Tmall Global, JD Worldwide, "
            f"Douyin Global): {len(t['products'])} SKUs of US, EU, Japanese, Korean and "
            f"Australian brands (cosmetics, infant formula, health supplements, handbags, "
            f"electronics) from {kinds['supplier']} suppliers (brand-direct, distributors, "
            f"agents, grey market), through {kinds['overseas_warehouse']} candidate overseas "
            f"warehouses, {kinds['bonded_warehouse']} bonded zones and a duty-paid warehouse in "
            f"Shanghai, or by 9610 parcel, to the {kinds['market']} largest provinces by online retail over "
            f"{t['demand']['month'].max():.0f} months and {len(t['scenarios'])} demand scenarios."
        ),
        "source": (
            "Synthetic, written by cbecopt.models.network.generate.generate_network("
            + ", ".join(f"{k}={v}" for k, v in DEMO.items())
            + "); places are real, every number is an assumption of plausible magnitude "
            "([assumptions]), not a quote or a statistic."
        ),
        "licence": "CC-BY-4.0",
    }
    return made.with_tables(meta=meta)


def _platforms(platforms) -> tuple[str, ...]:
    names = tuple(str(p) for p in platforms)
    if not names or len(set(names)) != len(names):
        raise OptionError(f"must name one platform or more, each once, got {names!r}", "platforms")
    return names


def _suppliers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` suppliers: enough brand-direct ones for one per brand region (up to five), the
    other types in :data:`SOURCE_TYPES`' shares; each with a region and a country in it."""
    n_brand = max(1, min(len(REGIONS), n // 4), round(SOURCE_TYPES["brand_direct"][0] * n))
    others = [t for t in SOURCE_TYPES if t != "brand_direct"]
    share = np.array([SOURCE_TYPES[t][0] for t in others])
    counts = np.maximum(1, np.round(share / share.sum() * (n - n_brand))).astype(int)
    counts[0] += n - n_brand - counts.sum()
    types = ["brand_direct"] * n_brand + list(np.repeat(others, counts))
    order = sorted(REGIONS, key=lambda r: -REGIONS[r][0])
    brand_regions = [order[i % len(order)] for i in range(n_brand)]
    used = sorted(set(brand_regions), key=order.index)
    other_regions = [used[i % len(used)] for i in rng.permutation(n - n_brand)]
    region = brand_regions + other_regions
    country = [str(rng.choice(REGION_COUNTRIES[r])) for r in region]
    width = len(str(n))
    return pd.DataFrame(
        {
            "id": [f"{t[:2].upper()}{i + 1:0{width}d}" for i, t in enumerate(types)],
            "supplier_type": types,
            "region": region,
            "country": country,
            "fixed_cost": [float(np.round(rng.uniform(*SOURCE_TYPES[t][4]), -2)) for t in types],
        }
    )


def _products(
    rng: np.random.Generator, n: int, regions: list[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` SKUs of brands from ``regions``: category and brand country by region, prices,
    weights and tax rates by category (:data:`CATEGORIES`, as the routing generator)."""
    weight = np.array([REGIONS[r][0] for r in regions])
    region_of = rng.choice(regions, size=n, p=weight / weight.sum())
    width = len(str(n))
    rows = []
    for k, region in enumerate(region_of):
        mix = REGIONS[region][1]
        share = np.array([s for s, _ in mix.values()])
        category = str(rng.choice(list(mix), p=share / share.sum()))
        country = mix[category][1]
        name = f"{country} {category.replace('_', ' ')} {k + 1}"
        rows.append(
            product_row(rng, k + 1, width, category, name, CATEGORIES[category], LISTED[category])
        )
    return pd.DataFrame(rows), region_of


def _mean_demand(
    rng: np.random.Generator,
    products: pd.DataFrame,
    platforms: tuple[str, ...],
    provinces: tuple,
    months: int,
) -> np.ndarray:
    """Mean demand ``[province, platform, sku, month]``: a national monthly mean per SKU
    (lognormal, as the routing generator) split over the platforms it is sold on and over the
    provinces by their weights, times the seasonal index."""
    n = len(products)
    national = np.round(rng.lognormal(6.3, 1.0, n) + 20)
    base = np.array([PLATFORM_SHARE.get(p, 1.0 / len(PLATFORMS)) for p in platforms])
    share = (
        rng.dirichlet(8.0 * base / base.sum(), size=n) if len(platforms) > 1 else np.ones((n, 1))
    )
    listed = rng.random(share.shape) < LISTED_SHARE
    listed[np.arange(n), np.argmax(share, axis=1)] = True
    share = share * listed
    share /= share.sum(axis=1, keepdims=True)
    weights = np.array([p[3] for p in provinces], float)
    season = np.array(SEASONALITY[:months])
    return (
        (weights / weights.sum())[:, None, None, None]
        * (national[:, None] * share).T[None, :, :, None]
        * season[None, None, None, :]
    )


def _offers(
    rng: np.random.Generator,
    products: pd.DataFrame,
    region_of: np.ndarray,
    suppliers: pd.DataFrame,
    horizon: np.ndarray,
    offers_per_sku: int,
    n_breaks: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Offers, all-units price breaks and flexible terms: each SKU from one brand-direct
    supplier of its region and up to ``offers_per_sku - 1`` other suppliers of that region
    (the least used first),
    with the suppliers generator's rates and price levels by type (:data:`SOURCE_TYPES`) and
    the first ``n_breaks`` breaks (:data:`BREAK_DISCOUNTS` at :data:`BREAK_AT`)."""
    offers, breaks, contracts = [], [], []
    used = np.zeros(len(suppliers), int)
    kind = suppliers["supplier_type"].to_numpy()
    region = suppliers["region"].to_numpy()
    for k, sku in enumerate(products["sku"]):
        brands = np.flatnonzero((kind == "brand_direct") & (region == region_of[k]))
        others = np.flatnonzero((kind != "brand_direct") & (region == region_of[k]))
        n_others = min(offers_per_sku - 1, len(others))
        # the least used suppliers first (ties at random), so every supplier offers something
        busy = np.lexsort((rng.random(len(others)), used[others]))
        chosen = [int(rng.choice(brands)), *others[busy[:n_others]]]
        used[chosen] += 1
        cost = float(products.at[k, "purchase_cost"])
        demand = float(horizon[k])
        for s in chosen:
            t = kind[s]
            _, fake, late, level, _, inspect = SOURCE_TYPES[t]
            rate = round(float(rng.uniform(*fake)), 4)
            spread = (1.2, 2.0) if t == "brand_direct" else (0.4, 1.5)
            supplier = suppliers.at[s, "id"]
            offers.append(
                {
                    "supplier": supplier,
                    "sku": sku,
                    "discount": "all_units",
                    "capacity": float(np.round(demand * rng.uniform(*spread))),
                    "min_order": float(np.round(demand * 0.1)) if rng.random() < 0.3 else np.nan,
                    "counterfeit_rate": rate,
                    "late_rate": round(float(rng.uniform(*late)), 4),
                    "lead_time_days": float(rng.integers(5, 30)),
                    "inspection_cost": round(cost * rng.uniform(0.02, 0.05), 2)
                    if inspect
                    else np.nan,
                    "inspected_counterfeit_rate": round(rate * 0.2, 5) if inspect else np.nan,
                }
            )
            base = cost * rng.uniform(*level)
            start = 0.0
            for fraction, cut in zip(BREAK_AT[:n_breaks], BREAK_DISCOUNTS[:n_breaks], strict=True):
                start = max(float(np.round(fraction * demand)), start + 1.0) if fraction else 0.0
                breaks.append((supplier, sku, start, round(base * (1 - cut), 2)))
            if rng.random() < CONTRACT_SHARE.get(t, 0.0):
                contracts.append(_terms(rng, t, supplier, sku, base, demand))
    columns = ["supplier", "sku", "type", "unit_price", "premium", "exercise_price"]
    columns += ["flex_up", "flex_down", "capacity"]
    return (
        pd.DataFrame(offers),
        pd.DataFrame(breaks, columns=["supplier", "sku", "from_quantity", "unit_price"]),
        pd.DataFrame(contracts, columns=columns),
    )


def _terms(
    rng: np.random.Generator, kind: str, supplier: str, sku: str, base: float, demand: float
) -> tuple:
    """One flexible term at the contracts generator's levels relative to the firm price
    ``base``: quantity flexibility 3% dearer (up 20-40%, down 0-30%), an option's premium
    8-15% and exercise 92-100%, spot 35-60% dearer for up to a tenth of the horizon demand."""
    nan = np.nan
    if kind == "brand_direct":
        up, down = round(rng.uniform(0.2, 0.4), 2), round(rng.uniform(0.0, 0.3), 2)
        return (
            supplier,
            sku,
            "quantity_flexibility",
            round(1.03 * base, 2),
            nan,
            nan,
            up,
            down,
            nan,
        )
    if kind == "distributor":
        premium = round(rng.uniform(0.08, 0.15) * base, 2)
        exercise = round(rng.uniform(0.92, 1.0) * base, 2)
        return (supplier, sku, "option", nan, premium, exercise, nan, nan, nan)
    price = round(rng.uniform(1.35, 1.6) * base, 2)
    return (supplier, sku, "spot", price, nan, nan, nan, nan, float(np.round(0.1 * demand)))


def _nodes(
    suppliers: pd.DataFrame,
    overseas: tuple,
    zones: tuple,
    provinces: tuple,
    platforms: tuple[str, ...],
) -> pd.DataFrame:
    """Suppliers (qualification cost), overseas warehouses, bonded zones, the duty-paid
    warehouse (fixed costs per month, which the model pays for every month of the horizon)
    and provinces."""
    shared = ";".join(platforms) if len(platforms) > 1 else None
    rows = [
        (
            s.id,
            "supplier",
            f"{s.supplier_type.replace('_', ' ')}, {CITIES[s.country][0]}",
            s.country,
            *CITIES[s.country][1:],
            s.supplier_type,
            s.fixed_cost,
            s.capacity,
            np.nan,
            np.nan,
            None,
            np.nan,
        )
        for s in suppliers.itertuples()
    ]
    rows += [
        (w[0], "overseas_warehouse", w[1], w[2], w[3], w[4], None, float(w[7]), np.nan)
        + (float(w[8]), w[9], shared if w[6] else None, np.nan)
        for w in overseas
    ]
    rows += [
        (z[0], "bonded_warehouse", z[1], "CN", z[2], z[3], None, float(z[4]), np.nan)
        + (float(z[5]), HANDLING_PER_ORDER["bonded_warehouse"], None, np.nan)
        for z in zones
    ]
    dw = DOMESTIC_WAREHOUSE
    rows.append(
        (dw[0], "domestic_warehouse", dw[1], "CN", dw[2], dw[3], None, float(dw[4]), np.nan)
        + (float(dw[5]), HANDLING_PER_ORDER["domestic_warehouse"], None, np.nan)
    )
    rows += [
        (p[0], "market", p[0], "CN", p[1], p[2], None, np.nan, np.nan, np.nan, np.nan, None)
        + (7.0 if p[3] > 20000 else np.nan,)
        for p in provinces
    ]
    columns = ["id", "kind", "name", "country", "lat", "lon", "supplier_type", "fixed_cost"]
    columns += ["capacity", "volume_capacity", "handling_cost", "shared_by", "max_delivery_days"]
    return pd.DataFrame(rows, columns=columns)


def _arcs(suppliers: pd.DataFrame, overseas: tuple, zones: tuple, provinces: tuple) -> pd.DataFrame:
    """Every lane, origin-aware: first mile from a supplier only to the overseas warehouses of
    its region; bulk by sea (and air from suppliers) into the bonded zones and by sea into the
    duty-paid warehouse at the rates of the country goods leave (:data:`LANES`); parcels and
    last mile by the routing generator's formulas."""
    arcs = []
    dw = DOMESTIC_WAREHOUSE
    for s in suppliers.itertuples():
        lane = LANES[s.country]
        for w in overseas:
            if s.region not in w[5]:
                continue
            mode = "truck" if w[2] in REGION_COUNTRIES[s.region] or s.region == "EU" else "air"
            per_unit, air_share, days = FIRST_MILE[mode]
            extra = lane[4] if mode == "air" else 0
            arcs.append((s.id, w[0], mode, per_unit, round(air_share * lane[6], 2), days + extra))
        _bulk(arcs, s.id, lane, zones, air=True)
        if s.supplier_type == "brand_direct":
            _parcels(arcs, s.id, lane, provinces, postal=False)
    for w in overseas:
        lane = LANES[w[2]]
        _bulk(arcs, w[0], lane, zones, air=False)
        _parcels(arcs, w[0], lane, provinces, postal=True)
    for z in [*zones, dw]:
        for p in provinces:
            km = float(_km(z[2], z[3], p[1], p[2]))
            cost, days = round(5.0 + 0.004 * km, 2), round(1.0 + km / 900.0, 1)
            arcs.append((z[0], p[0], "last_mile", cost, 0.0, days))
    columns = ["origin", "destination", "mode", "unit_cost", "cost_per_kg", "lead_time_days"]
    return pd.DataFrame(arcs, columns=columns)


def _bulk(arcs: list, origin: str, lane: tuple, zones: tuple, air: bool) -> None:
    """Bulk lanes into the bonded zones (sea, and air when ``air``) and into the duty-paid
    warehouse (sea, plus general-trade clearance), as the routing generator prices them."""
    for z in zones:
        arcs.append((origin, z[0], "sea_bulk", 0.5, lane[5], float(lane[3] + 3)))
        if air:
            arcs.append((origin, z[0], "air_bulk", 1.0, lane[6], float(lane[4] + 1)))
    clearance = float(lane[3] + GENERAL_TRADE_CLEARANCE_DAYS)
    arcs.append((origin, DOMESTIC_WAREHOUSE[0], "sea_bulk", 0.5, lane[5], clearance))


def _parcels(arcs: list, origin: str, lane: tuple, provinces: tuple, postal: bool) -> None:
    """9610 parcels (and postal parcels when ``postal``) to every province."""
    for p in provinces:
        far = 2.0 if p[0] in PARCEL_FAR else 0.0
        arcs.append((origin, p[0], "cbec_parcel", 12.0 + far, lane[6] * 1.6, float(lane[7]) + far))
        if postal:
            arcs.append(
                (origin, p[0], "postal_parcel", 8.0 + far, lane[6] * 1.1, float(lane[8]) + far)
            )


def _scenarios(
    rng: np.random.Generator,
    mean: np.ndarray,
    products: pd.DataFrame,
    platforms: tuple[str, ...],
    provinces: tuple,
    n: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n`` scenarios: the mean demand times lognormal shocks of mean 1 (national, per
    category, per SKU, on the 618 and Double 11 peaks; :data:`SHOCK_SIGMA`), with Dirichlet
    probabilities; rows below half a unit are left out (no demand)."""
    nJ, nP, nK, nT = mean.shape
    national, per_category, per_sku, peak = SHOCK_SIGMA
    categories, code = np.unique(products["category"].to_numpy(), return_inverse=True)

    def shock(sigma: float, *shape: int) -> np.ndarray:
        return rng.lognormal(-(sigma**2) / 2, sigma, shape) if n > 1 else np.ones(shape)

    factor = (
        shock(national, n)[:, None, None]
        * shock(per_category, n, len(categories))[:, code, None]
        * shock(per_sku, n, nK)[:, :, None]
        * np.where(np.isin(np.arange(nT), (5, 10)), shock(peak, n)[:, None, None], 1.0)
    )  # [s, k, t]
    quantity = np.round(mean[None] * factor[:, None, None], 2)
    width = len(str(n))
    names = [f"S{s + 1:0{width}d}" for s in range(n)]
    s, j, p, k, t = np.nonzero(quantity >= 0.5)
    demand = pd.DataFrame(
        {
            "market": np.array([q[0] for q in provinces], dtype=object)[j],
            "sku": products["sku"].to_numpy()[k],
            "month": t + 1,
            "platform": np.array(platforms, dtype=object)[p],
            "scenario": np.array(names, dtype=object)[s],
            "quantity": quantity[s, j, p, k, t],
        }
    )
    probability = np.round(rng.dirichlet(np.full(n, 5.0)), 4) if n > 1 else np.ones(1)
    probability[-1] = round(1.0 - float(probability[:-1].sum()), 4)
    return demand, pd.DataFrame({"scenario": names, "probability": probability})


ASSUMPTIONS = {
    "places": (
        "Real approximate coordinates: bonded zones (Hangzhou Xiasha, Ningbo Meishan, Zhengzhou"
        " airport, Guangzhou Nansha, Chongqing Xiyong, Tianjin Dongjiang, in that order of "
        "use), the duty-paid warehouse (Shanghai Songjiang), the provincial capitals, candidate"
        " overseas warehouses (Los Angeles, Frankfurt, Tokyo, Hong Kong, Incheon, Sydney, New "
        "Jersey, Rotterdam, in that order of use) and the cities suppliers ship from (New York,"
        " Paris, Hamburg, Milan, Osaka, Seoul, Melbourne)."
    ),
    "platforms": (
        "Demand per platform: a SKU's demand splits Tmall Global 50%, JD Worldwide 30%, Douyin "
        "Global 20% on average (Dirichlet per SKU, concentration 8); a SKU is sold on each "
        "platform with probability 0.7, always on its largest. Overseas warehouses with "
        "shared_by are opened once for every platform; the others are used by one platform "
        "only, so each platform opens its own copy."
    ),
    "products": (
        "Brand regions (share of SKUs): US 25% (supplements, electronics, cosmetics), EU 30% "
        "(French cosmetics, Italian handbags, German infant formula), Japan 20% (cosmetics, "
        "electronics, supplements), Korea 15% (cosmetics, electronics), Australia 10% "
        "(supplements, infant formula). Category ranges of the routing generator "
        "(cbecopt.models.routing.generate.ROUTING_CATEGORIES) and handbags 2,000-20,000 CNY, "
        "0.6-1.6 kg, 0.008 m3 per kg; purchase cost 45-60% of price; salvage 15% of price; "
        "lost-sale penalty 5% of price; holding 0.6% of price + 1 CNY per unit-month; listing "
        "at a bonded zone 3,000 CNY."
    ),
    "taxes": (
        "VAT 13%; consumption tax 15% on half of the cosmetics (high-end); general-trade tariff"
        " cosmetics 3%, infant formula 5%, supplements 8%, electronics 0%, handbags 10% (HS "
        "4202 MFN); postal rate 50% high-end cosmetics, 20% other cosmetics, electronics and "
        "handbags, 13% food. Rules of tax_date 2026-01-01 (tax_rules.toml). Counterfeit penalty"
        " left blank: the statutory minimum by category (consumer_law.toml)."
    ),
    "positive_list": (
        "Cosmetics, infant formula, supplements and handbags are listed goods of the CBEC "
        "positive list for 1210 and 9610; an electronics SKU is off each list with probability "
        "5% (assumed). general_trade_allowed blank: by category (formula and cosmetics need "
        "registration first)."
    ),
    "suppliers": (
        "Four types with the suppliers generator's patterns "
        "(cbecopt.models.suppliers.generate.SOURCE_TYPES): brand-direct (counterfeit 0.1-0.5%, "
        "late 1-4%, price 108-120% of purchase cost, qualification 40,000-80,000 CNY, no "
        "inspection), distributors (1-5%, 3-8%, 98-108%, 15,000-40,000), agents (3-10%, 5-15%, "
        "90-100%, 5,000-15,000), grey market (10-30%, 10-25%, 70-88%, 0-3,000); one brand-"
        "direct supplier per brand region (up to five), the rest in the types' shares, each in "
        "one region. Supplier capacity: 80% of the sum of its offers' capacities over the "
        "horizon."
    ),
    "offers": (
        "Each SKU from one brand-direct supplier of its region and up to 3 other suppliers of "
        "that region; capacity over the horizon 1.2-2 (brand-direct) or 0.4-1.5 times the SKU's"
        " mean horizon demand; a minimum order of 10% of it on 30% of offers; lead 5-29 days; "
        "inspection 2-5% of the purchase cost, cutting the counterfeit rate to a fifth. All-"
        "units price breaks at 0, 0.2, 0.5 and 1 times the horizon demand, 0/3/6/10% off (the "
        "first n_breaks of them)."
    ),
    "contracts": (
        "Flexible terms at the contracts generator's levels on part of the offers: quantity "
        "flexibility on 30% of brand-direct offers (3% dearer, up 20-40%, down 0-30%), call "
        "options on 30% of distributor offers (premium 8-15%, exercise 92-100% of the firm "
        "price), spot on 25% of agent offers (35-60% dearer, up to 10% of the horizon demand)."
    ),
    "overseas": (
        "Fixed cost per month open (nodes.fixed_cost, as every warehouse's): Los Angeles 190,000, Frankfurt "
        "180,000, Tokyo 170,000, Hong Kong 150,000 CNY (shared by every platform), Incheon "
        "90,000, Sydney 100,000, New Jersey 110,000, Rotterdam 100,000 (used by one platform); "
        "volume 2,000-5,000 m3; handling 3-6.5 CNY per unit shipped out; capacity 25-50% of the"
        " instance's mean monthly demand in units shipped out per month. A warehouse receives "
        "first-mile lanes only from suppliers of the brand regions it serves (Hong Kong: US, "
        "Japan, Korea, Australia)."
    ),
    "bonded": (
        "Bonded zones as the routing generator (fixed 180,000-280,000 CNY per month, "
        "1,200-2,200 m3); duty-paid warehouse Shanghai 120,000 CNY per month, 3,000 m3; "
        "handling per unit released 4 CNY (bonded, with the per-order declaration) and 3 CNY "
        "(duty-paid). No weeks of cover (cover_weeks 0)."
    ),
    "freight": (
        "Routing generator's rates by the country goods leave (and Italy, the Netherlands, "
        "Korea, Hong Kong added at rates by distance): bulk sea 0.5 CNY/unit + sea rate per kg,"
        " sea days + 3; air 1 CNY/unit + air rate per kg, air days + 1 (from suppliers only); "
        "duty-paid warehouse by sea, sea days + 7 of clearance. First mile within a region by "
        "truck (0.8 CNY/unit + 10% of the air rate per kg, 3 days), to Hong Kong by air (1.5 "
        "CNY/unit + 80% of the air rate, air days + 2). 9610 parcel 12 CNY + 1.6 x air rate per"
        " kg, postal 8 CNY + 1.1 x air rate per kg (+2 CNY and 2 days to Xizang, Xinjiang, "
        "Qinghai), from overseas warehouses; 9610 drop-ship from brand-direct suppliers at the "
        "same rates. Last mile 5 CNY + 0.004 CNY/km, 1 day + 1 per 900 km."
    ),
    "demand": (
        "National mean monthly demand per SKU lognormal(6.3, 1.0) + 20 units (as the routing "
        "generator), split over platforms and over provinces by rough online-retail weights, "
        "times the monthly index (Jan 0.85, Feb 0.75, Mar 0.9, Apr 0.95, May 1.0, Jun 1.35 "
        "(618), Jul 0.95, Aug 0.9, Sep 1.0, Oct 1.05, Nov 2.1 (Double 11), Dec 1.2); rows below"
        " half a unit are left out; an instance of fewer provinces keeps the largest. Target "
        "average delivery 7 days in the provinces with the largest demand."
    ),
    "scenarios": (
        "Each scenario multiplies the mean by lognormal shocks of mean 1: national (sigma "
        "0.15), per category (0.2), per SKU (0.1), and on the June and November peaks (0.25); "
        "probabilities Dirichlet(5, ..., 5), rounded to 4 decimals."
    ),
    "policy": (
        "Settings in [network]: counterfeit cap 5% per SKU, late cap 15%, at least 10% of each "
        "SKU from brand-direct suppliers, inspection allowed, personal-articles postal parcels "
        "not allowed."
    ),
}
"""The ``[assumptions]`` of every generated instance: the assumption behind each group of
numbers."""
