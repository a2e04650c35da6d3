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
    doc="Lanes between nodes; one row per origin, destination and mode.",
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

SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (NODES, ARCS, DEMAND, SCENARIOS)}
"""The tables of the base instance contract, by name (file ``<name>.csv`` or sheet ``<name>``)."""
