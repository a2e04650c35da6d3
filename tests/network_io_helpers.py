"""A small ``network`` instance folder for the reader's and the command line's tests: the
tiny network of :mod:`network_helpers` written as instance tables (two suppliers of one SKU,
one overseas and one bonded warehouse, one market, two months, two demand scenarios), with
each table changeable row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

NODES = [
    {"id": "brand", "kind": "supplier", "supplier_type": "brand_direct", "fixed_cost": 300,
     "capacity": 200},
    {"id": "grey", "kind": "supplier", "supplier_type": "grey_market", "fixed_cost": 50,
     "capacity": 60},
    {"id": "LA", "kind": "overseas_warehouse", "fixed_cost": 60, "capacity": 70,
     "handling_cost": 0.5},
    {"id": "NB", "kind": "bonded_warehouse", "fixed_cost": 100, "handling_cost": 0.3},
    {"id": "SH", "kind": "market"},
]  # fmt: skip
"""A warehouse's ``fixed_cost`` is per month: over the two months, 120 and 200 as the tiny
network's ``overseas_fixed`` and ``bonded_fixed``."""
ARCS = [
    ("brand", "LA", "sea_bulk", 1.0, 10),
    ("grey", "LA", "sea_bulk", 1.2, 10),
    ("brand", "NB", "sea_bulk", 2.0, 30),
    ("LA", "NB", "sea_bulk", 1.5, 30),
    ("grey", "NB", "sea_bulk", 2.5, 30),
    ("NB", "SH", "domestic_express", 1.0, 3),
    ("LA", "SH", "cbec_parcel", 4.0, 8),
]
"""(origin, destination, mode, unit_cost, lead_time_days): 10 days is 0 months, 30 is 1."""
PRODUCTS = [
    {"sku": "k", "category": "apparel", "price": 30, "lost_sale_penalty": 5, "holding_cost": 0.2,
     "counterfeit_penalty": 40, "vat_rate": 0.0, "consumption_tax_rate": 0.0, "tariff_rate": 0.0},
]  # fmt: skip
OFFERS = [
    {"supplier": "brand", "sku": "k", "min_order": 20, "counterfeit_rate": 0.0},
    {"supplier": "grey", "sku": "k", "counterfeit_rate": 0.3},
]
BREAKS = [("brand", "k", 0, 10.0), ("brand", "k", 50, 8.0), ("grey", "k", 0, 6.0)]
DEMAND = [
    {"market": "SH", "sku": "k", "month": 1, "scenario": "low", "quantity": 0},
    {"market": "SH", "sku": "k", "month": 2, "scenario": "low", "quantity": 40},
    {"market": "SH", "sku": "k", "month": 1, "scenario": "high", "quantity": 0},
    {"market": "SH", "sku": "k", "month": 2, "scenario": "high", "quantity": 90},
]
SCENARIOS = [("low", 0.5), ("high", 0.5)]
SETTINGS = "[network]\nmax_counterfeit_rate = 0.5\n"


def write_network_instance(
    folder: Path,
    nodes: list[dict] | None = None,
    arcs: list[tuple] | None = None,
    products: list[dict] | None = None,
    offers: list[dict] | None = None,
    breaks: list[tuple] | None = None,
    demand: list[dict] | None = None,
    scenarios: list[tuple] | None = None,
    settings: str = SETTINGS,
    **extra: list[dict],
) -> Path:
    """Write the instance folder (each table given replaces the tiny one's; ``extra`` adds
    tables such as ``contracts``) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "nodes": pd.DataFrame(NODES if nodes is None else nodes),
        "arcs": pd.DataFrame(
            ARCS if arcs is None else arcs,
            columns=["origin", "destination", "mode", "unit_cost", "lead_time_days"],
        ),
        "products": pd.DataFrame(PRODUCTS if products is None else products),
        "offers": pd.DataFrame(OFFERS if offers is None else offers),
        "price_breaks": pd.DataFrame(
            BREAKS if breaks is None else breaks,
            columns=["supplier", "sku", "from_quantity", "unit_price"],
        ),
        "demand": pd.DataFrame(DEMAND if demand is None else demand),
        **{name: pd.DataFrame(rows) for name, rows in extra.items()},
    }
    if scenarios is None:
        scenarios = SCENARIOS
    if scenarios:
        tables["scenarios"] = pd.DataFrame(scenarios, columns=["scenario", "probability"])
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    (folder / "instance.toml").write_text(
        f'[instance]\nname = "{folder.name}"\n\n{settings}', encoding="utf-8"
    )
    return folder
