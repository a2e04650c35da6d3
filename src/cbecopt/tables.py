"""The instance tables every model shares, as schemas.

Each later model extends this contract with tables of its own; columns not named here are
kept as text and passed through untouched (a planner's notes column is not an error).
"""

from __future__ import annotations

from cbecopt.schema import CATEGORY, NUMBER, TEXT, Field, TableSchema

NODE_KINDS = ("overseas_warehouse", "market", "supplier", "bonded_warehouse", "port")

NODES = TableSchema(
    "nodes",
    (
        Field("id", TEXT, unique=True, doc="unique node id (any Unicode text)"),
        Field("kind", CATEGORY, choices=NODE_KINDS, doc="what the node is"),
        Field("name", TEXT, required=False, nullable=True, doc="display name"),
        Field("country", TEXT, required=False, nullable=True, doc="ISO country code or name"),
        Field(
            "lat",
            NUMBER,
            required=False,
            nullable=True,
            minimum=-90,
            maximum=90,
            doc="latitude, degrees",
        ),
        Field(
            "lon",
            NUMBER,
            required=False,
            nullable=True,
            minimum=-180,
            maximum=180,
            doc="longitude, degrees",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="units per period the node can handle; blank = unlimited",
        ),
        Field(
            "fixed_cost",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="cost per period when the node is used/open; blank = 0",
        ),
    ),
    doc="Every place in the network: candidate warehouses, markets, suppliers, bonded warehouses, ports.",
)

ARCS = TableSchema(
    "arcs",
    (
        Field("origin", TEXT, doc="node id the goods leave"),
        Field("destination", TEXT, doc="node id the goods reach"),
        Field(
            "mode",
            TEXT,
            required=False,
            nullable=True,
            doc="transport mode (e.g. air_parcel, sea_bulk); blank = 'default'",
        ),
        Field("unit_cost", NUMBER, minimum=0, doc="cost per unit shipped"),
        Field(
            "lead_time_days",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="door-to-door days",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="units per period the lane can carry; blank = unlimited",
        ),
    ),
    unique_together=("origin", "destination", "mode"),
    required=False,
    allow_empty=True,
    doc="Lanes between nodes; one row per origin, destination and mode (optional for models without transport).",
)

DEMAND = TableSchema(
    "demand",
    (
        Field("market", TEXT, doc="node id of kind market"),
        Field("quantity", NUMBER, minimum=0, doc="units per period"),
        Field(
            "platform",
            TEXT,
            required=False,
            nullable=True,
            doc="seller/platform that owns the demand (for shared-warehouse comparisons)",
        ),
        Field("sku", TEXT, required=False, nullable=True, doc="product (stock-keeping unit)"),
        Field(
            "scenario",
            TEXT,
            required=False,
            nullable=True,
            doc="demand scenario (defined in scenarios.csv); blank = certain demand",
        ),
        Field(
            "std",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="standard deviation of quantity, for generating scenarios",
        ),
    ),
    unique_together=("market", "platform", "sku", "scenario"),
    doc="Demand per market (and platform, SKU, scenario).",
)

SCENARIOS = TableSchema(
    "scenarios",
    (
        Field("scenario", TEXT, unique=True, doc="scenario name"),
        Field("probability", NUMBER, minimum=0, maximum=1, doc="probability; they sum to 1"),
    ),
    required=False,
    doc="The scenarios that tables with a scenario column refer to.",
)

PRODUCTS = TableSchema(
    "products",
    (
        Field("sku", TEXT, unique=True, doc="product id (stock-keeping unit)"),
        Field("name", TEXT, required=False, nullable=True, doc="display name"),
        Field("category", TEXT, required=False, nullable=True, doc="product category"),
        Field(
            "price",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="retail price per unit sold; blank = 0",
        ),
        Field(
            "salvage_value",
            NUMBER,
            required=False,
            nullable=True,
            doc="value of a unit left unsold (negative: a disposal cost); blank = 0",
        ),
        Field(
            "lost_sale_penalty",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="cost per unit of demand not met, on top of the lost margin; blank = 0",
        ),
    ),
    required=False,
    doc="Products (SKUs): prices and what a unit left over or short is worth.",
)

CONTRACT_TYPES = ("firm", "quantity_flexibility", "option", "spot")

CONTRACTS = TableSchema(
    "contracts",
    (
        Field("supplier", TEXT, doc="node id of kind supplier"),
        Field("sku", TEXT, doc="product id (in products)"),
        Field("type", CATEGORY, choices=CONTRACT_TYPES, doc="kind of contract offered"),
        Field(
            "unit_price",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="price per unit bought (firm, quantity_flexibility, spot)",
        ),
        Field(
            "premium",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="option: price per unit reserved, paid up front",
        ),
        Field(
            "exercise_price",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="option: price per unit exercised after demand is seen",
        ),
        Field(
            "flex_up",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            maximum=1,
            doc="quantity_flexibility: may buy up to (1 + flex_up) x commitment; blank = 0",
        ),
        Field(
            "flex_down",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            maximum=1,
            doc="quantity_flexibility: must buy at least (1 - flex_down) x commitment; blank = 0",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="most units this contract can deliver; blank = unlimited",
        ),
        Field(
            "min_order",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            doc="smallest quantity if the contract is used at all; blank = 0",
        ),
    ),
    required=False,
    unique_together=("supplier", "sku", "type"),
    doc="What each supplier offers per SKU, chosen before demand is known.",
)

SCHEMAS: dict[str, TableSchema] = {
    s.name: s for s in (NODES, ARCS, DEMAND, SCENARIOS, PRODUCTS, CONTRACTS)
}
"""The tables of the instance contract, by name (file ``<name>.csv`` or sheet ``<name>``).

Optional tables are checked when present; each model says which tables it needs."""
