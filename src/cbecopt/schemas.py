"""The instance tables every model shares, as schemas.

Each later model extends this contract with tables of its own; columns not named here are
kept as text and passed through untouched (a planner's notes column is not an error).
"""

from __future__ import annotations

import math

from cbecopt.fields import (
    CATEGORY,
    INTEGER,
    MONTH,
    NUMBER,
    QUANTITY_RESOLUTION,
    TEXT,
    Field,
    SameAs,
    TableSchema,
)

NODE_KINDS = (
    "overseas_warehouse",
    "market",
    "supplier",
    "bonded_warehouse",
    "port",
    "domestic_warehouse",
)
DEFAULT_MODE = "default"
"""The mode of a lane whose ``mode`` is blank."""

NODE_CAPACITY = {
    "overseas_warehouse": "units shipped per period (warehouses model)",
    "bonded_warehouse": "units released per month, all SKUs and lanes together (routing model)",
    "domestic_warehouse": "units released per month, all SKUs and lanes together (routing model)",
    "supplier": "units over the horizon, all its SKUs together (contracts and suppliers models)",
    "market": "not read",
    "port": "not read",
}
"""What ``nodes.capacity`` counts, per node kind: the one place its unit is declared (the
README's instance format shows this table)."""
NODE_CAPACITY_UNIT = "; ".join(f"{kind}: {unit}" for kind, unit in NODE_CAPACITY.items())
SUPPLIER_TYPES = ("brand_direct", "distributor", "agent", "grey_market")

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
            unit="degrees",
            doc="latitude, degrees",
        ),
        Field(
            "lon",
            NUMBER,
            required=False,
            nullable=True,
            minimum=-180,
            maximum=180,
            unit="degrees",
            doc="longitude, degrees",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=math.inf,
            unit=NODE_CAPACITY_UNIT,
            doc="what the node can handle, in the unit of its kind; blank = unlimited",
        ),
        Field(
            "fixed_cost",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per period",
            doc="cost per period when the node is used/open; blank = 0",
        ),
        Field(
            "volume_capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=math.inf,
            unit="m³ of peak stock",
            doc="bonded or domestic warehouse: cubic metres of stock it holds at its peak "
            "(the month's opening stock plus arrivals); blank = unlimited",
        ),
        Field(
            "handling_cost",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per order",
            doc="bonded or domestic warehouse: fee per order picked, packed and released; "
            "blank = 0",
        ),
        Field(
            "max_delivery_days",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=math.inf,
            unit="days",
            doc="market: most days an order may take on average; blank = no target",
        ),
        Field(
            "supplier_type",
            CATEGORY,
            required=False,
            nullable=True,
            choices=SUPPLIER_TYPES,
            doc="supplier: brand_direct, distributor, agent or grey_market",
        ),
        Field(
            "shared_by",
            TEXT,
            required=False,
            nullable=True,
            doc="network: overseas warehouse: the platforms that share it, separated by ';' "
            "(blank: each platform opens its own copy)",
        ),
    ),
    doc="Every place in the network: candidate warehouses, markets, suppliers, bonded and "
    "domestic warehouses, ports.",
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
            default=DEFAULT_MODE,
            doc="transport mode (e.g. air_parcel, sea_bulk); blank = 'default'",
        ),
        Field(
            "unit_cost", NUMBER, minimum=0, unit="currency per unit", doc="cost per unit shipped"
        ),
        Field(
            "cost_per_kg",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per kg",
            doc="cost per kg shipped, added to unit_cost (needs products.weight_kg); blank = 0",
        ),
        Field(
            "lead_time_days",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            unit="days",
            doc="door-to-door days",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=math.inf,
            unit="units per period",
            doc="units per period the lane can carry; blank = unlimited",
        ),
        Field(
            "pack_size",
            INTEGER,
            required=False,
            nullable=True,
            minimum=1,
            unit="units per case",
            doc="network, routing: a bulk lane ships every SKU in whole cases of this many "
            "units, overriding products.pack_size; blank = the product's",
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
        Field(
            "quantity",
            NUMBER,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            unit="units per period",
            doc="units per period",
        ),
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
            unit="units per period",
            doc="standard deviation of quantity, for generating scenarios",
        ),
        Field(
            "month",
            MONTH,
            required=False,
            nullable=True,
            minimum=1,
            contiguous=True,
            doc="month of the planning horizon (1, 2, ...) or calendar month (2027-01); "
            "blank = a single period",
        ),
    ),
    unique_together=("market", "platform", "sku", "scenario", "month"),
    doc="Demand per market (and platform, SKU, scenario, month).",
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
            default=0.0,
            unit="currency per unit",
            doc="retail price per unit sold; blank = 0",
        ),
        Field(
            "salvage_value",
            NUMBER,
            required=False,
            nullable=True,
            default=0.0,
            unit="currency per unit",
            doc="value of a unit left unsold (negative: a disposal cost); blank = 0",
        ),
        Field(
            "lost_sale_penalty",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per unit",
            doc="cost per unit of demand not met, on top of the lost margin; blank = 0",
        ),
        *(
            Field(
                name,
                NUMBER,
                required=False,
                nullable=True,
                minimum=0,
                default=default,
                unit=unit,
                doc=doc,
            )
            for name, default, unit, doc in (
                (
                    "purchase_cost",
                    0.0,
                    "currency per unit",
                    "routing: price paid per unit at the origin; blank = 0",
                ),
                (
                    "declared_value",
                    SameAs("price"),
                    "CNY per unit",
                    "routing: dutiable value per unit, CNY; blank = price",
                ),
                (
                    "weight_kg",
                    None,
                    "kg per unit",
                    "routing: gross weight per unit, for lanes priced per kg",
                ),
                (
                    "volume_m3",
                    None,
                    "m³ per unit",
                    "routing: volume per unit, for bonded warehouse capacity",
                ),
                (
                    "holding_cost",
                    0.0,
                    "currency per unit and month",
                    "routing: cost per unit and month of average bonded or domestic stock; "
                    "blank = 0",
                ),
                (
                    "listing_cost",
                    0.0,
                    "currency per SKU and bonded warehouse",
                    "routing: cost of listing the SKU at a bonded warehouse; blank = 0",
                ),
                ("tariff_rate", None, "fraction", "routing: general-trade tariff rate (fraction)"),
                (
                    "customs_value",
                    None,
                    "CNY per unit",
                    "routing: general-trade customs value per unit, CNY; blank = (purchase_cost "
                    "+ inbound freight) x 1.003 (insurance at 0.3%)",
                ),
            )
        ),
        *(
            Field(
                name,
                NUMBER,
                required=False,
                nullable=True,
                minimum=0,
                maximum=0.999999,
                default=default,
                unit="fraction",
                doc=doc,
            )
            for name, default, doc in (
                ("vat_rate", None, "routing: VAT rate (fraction, e.g. 0.13)"),
                (
                    "consumption_tax_rate",
                    0.0,
                    "routing: ad valorem consumption tax rate; blank = 0",
                ),
                (
                    "postal_rate",
                    None,
                    "routing: postal articles tax rate of its class (0.13, 0.2, 0.5), in place of "
                    "postal_category",
                ),
            )
        ),
        Field(
            "postal_category",
            TEXT,
            required=False,
            nullable=True,
            doc="routing: postal articles class (postal_13, postal_20, postal_50) or goods the "
            "tax rules name (food, handbags, high_end_cosmetics...); blank = from postal_rate, "
            "else postal_50 for goods with consumption tax",
        ),
        Field(
            "units_per_order",
            INTEGER,
            required=False,
            nullable=True,
            minimum=1,
            default=1.0,
            unit="units per order",
            doc="routing: items in a typical order/parcel, for the order-value rules; blank = 1",
        ),
        *(
            Field(
                name,
                INTEGER,
                required=False,
                nullable=True,
                minimum=0,
                maximum=1,
                default=1.0,
                doc=doc,
            )
            for name, doc in (
                (
                    "bonded_allowed",
                    "routing: 1 if on the positive list for bonded (1210); blank = 1",
                ),
                (
                    "cbec_allowed",
                    "routing: 1 if on the positive list for direct-mail CBEC (9610); blank = 1",
                ),
            )
        ),
        Field(
            "general_trade_allowed",
            INTEGER,
            required=False,
            nullable=True,
            minimum=0,
            maximum=1,
            doc="routing: 1 if the SKU may be imported by general trade (registered); blank = "
            "by category: 0 for infant formula and cosmetics (registration first), else 1",
        ),
        Field(
            "wait_share",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            maximum=1,
            default=1.0,
            unit="fraction",
            doc="routing: share of customers willing to wait for direct mail; blank = 1",
        ),
        Field(
            "origin", TEXT, required=False, nullable=True, doc="routing: node the SKU is bought at"
        ),
        Field(
            "pack_size",
            INTEGER,
            required=False,
            nullable=True,
            minimum=1,
            default=1.0,
            unit="units per case",
            doc="network, routing: units per case; firm purchases (network) and bulk shipments "
            "are whole cases; blank = 1 (no multiple)",
        ),
        Field(
            "counterfeit_penalty",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            unit="currency per unit",
            doc="suppliers: cost of one counterfeit unit sold (refund, compensation, reputation); "
            "blank = the statutory refund and compensation of the product's category and price "
            "(consumer_law.toml), or 0 without a category or a price",
        ),
    ),
    required=False,
    doc="Products (SKUs): prices, taxes, and what a unit left over or short is worth.",
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
            default=0.0,
            unit="currency per unit",
            doc="price per unit bought (firm, quantity_flexibility, spot)",
        ),
        Field(
            "premium",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per unit",
            doc="option: price per unit reserved, paid up front",
        ),
        Field(
            "exercise_price",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per unit",
            doc="option: price per unit exercised after demand is seen",
        ),
        Field(
            "flex_up",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            maximum=1,
            default=0.0,
            unit="fraction",
            doc="quantity_flexibility: may buy up to (1 + flex_up) x commitment; blank = 0",
        ),
        Field(
            "flex_down",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            maximum=1,
            default=0.0,
            unit="fraction",
            doc="quantity_flexibility: must buy at least (1 - flex_down) x commitment; blank = 0",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=math.inf,
            unit="units over the horizon",
            doc="most units this contract can deliver; blank = unlimited",
        ),
        Field(
            "min_order",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=0.0,
            unit="units",
            doc="smallest quantity if the contract is used at all; blank = 0",
        ),
    ),
    required=False,
    unique_together=("supplier", "sku", "type"),
    doc="What each supplier offers per SKU, chosen before demand is known.",
)

DISCOUNT_KINDS = ("all_units", "incremental")

OFFERS = TableSchema(
    "offers",
    (
        Field("supplier", TEXT, doc="node id of kind supplier"),
        Field("sku", TEXT, doc="product id (in products)"),
        Field(
            "discount",
            CATEGORY,
            required=False,
            nullable=True,
            choices=DISCOUNT_KINDS,
            default=DISCOUNT_KINDS[0],
            doc="how price_breaks apply: all_units (one price for every unit) or incremental; blank = all_units",
        ),
        Field(
            "capacity",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=math.inf,
            unit="units over the horizon",
            doc="most units; blank = unlimited",
        ),
        Field(
            "min_order",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            default=0.0,
            unit="units",
            doc="fewest units if used; blank = 0",
        ),
        *(
            Field(
                name,
                NUMBER,
                required=False,
                nullable=True,
                minimum=0,
                maximum=1,
                default=default,
                unit="fraction",
                doc=doc,
            )
            for name, default, doc in (
                (
                    "counterfeit_rate",
                    0.0,
                    "probability a unit is counterfeit or defective; blank = 0",
                ),
                ("late_rate", 0.0, "probability a unit arrives late; blank = 0"),
                (
                    "inspected_counterfeit_rate",
                    None,
                    "counterfeit rate of units that pass third-party inspection",
                ),
            )
        ),
        Field(
            "lead_time_days",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            unit="days",
            doc="days to deliver",
        ),
        Field(
            "inspection_cost",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            unit="currency per unit",
            doc="cost per unit inspected; blank = no inspection offered",
        ),
    ),
    required=False,
    unique_together=("supplier", "sku"),
    doc="What each supplier offers per SKU: terms, capacity, authenticity and reliability.",
)

PRICE_BREAKS = TableSchema(
    "price_breaks",
    (
        Field("supplier", TEXT, doc="supplier of the offer"),
        Field("sku", TEXT, doc="SKU of the offer"),
        Field(
            "from_quantity",
            NUMBER,
            minimum=0,
            smallest_positive=QUANTITY_RESOLUTION,
            unit="units",
            doc="the break applies from this many units",
        ),
        Field(
            "unit_price",
            NUMBER,
            minimum=0,
            unit="currency per unit",
            doc="price per unit from this break on",
        ),
    ),
    required=False,
    unique_together=("supplier", "sku", "from_quantity"),
    doc="Price schedule of each offer: one row per break, the first from 0.",
)

IN_MOTION_SOURCE = "node id of the origin (an arc of the arcs table by origin, destination, mode)"


def _quantity(doc: str) -> Field:
    return Field(
        "quantity",
        NUMBER,
        minimum=0,
        smallest_positive=QUANTITY_RESOLUTION,
        unit="units",
        doc=doc,
    )


def _mode() -> Field:
    return Field(
        "mode",
        TEXT,
        required=False,
        nullable=True,
        default=DEFAULT_MODE,
        doc="transport mode of the arc; blank = 'default'",
    )


OPENING_STOCK = TableSchema(
    "opening_stock",
    (
        Field("warehouse", TEXT, doc="node id of an overseas, bonded or domestic warehouse"),
        Field("sku", TEXT, doc="product id (in products)"),
        _quantity("units on hand at the start of month 1"),
    ),
    required=False,
    allow_empty=True,
    unique_together=("warehouse", "sku"),
    doc="What is already in stock when the horizon starts (network model).",
)

IN_TRANSIT = TableSchema(
    "in_transit",
    (
        Field("origin", TEXT, doc=IN_MOTION_SOURCE),
        Field("destination", TEXT, doc="node id of the overseas, bonded or domestic warehouse"),
        Field("sku", TEXT, doc="product id (in products)"),
        _mode(),
        Field(
            "ship_month",
            MONTH,
            doc="month it left (0 or negative: before the horizon's month 1)",
        ),
        Field("arrival_month", MONTH, doc="month it arrives into stock, 1..T"),
        _quantity("units on the way"),
    ),
    required=False,
    allow_empty=True,
    doc="First-mile or bulk inbound shipments already on their way; freight sunk (network model).",
)

PLACED_ORDERS = TableSchema(
    "placed_orders",
    (
        Field("supplier", TEXT, doc="node id of kind supplier (with an offer of the SKU)"),
        Field("sku", TEXT, doc="product id (in products)"),
        _quantity("units bought and not yet shipped"),
        Field(
            "unit_price",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=0.0,
            unit="currency per unit",
            doc="price paid per unit (sunk: reported, not in the objective); blank = 0",
        ),
    ),
    required=False,
    allow_empty=True,
    unique_together=("supplier", "sku"),
    doc="Units already bought from a supplier and not yet shipped (network, suppliers and "
    "contracts models).",
)

FROZEN_DECISIONS = ("supplier", "overseas", "warehouse", "listing", "commitment")

FROZEN = TableSchema(
    "frozen",
    (
        Field("decision", CATEGORY, choices=FROZEN_DECISIONS, doc="which decision is fixed"),
        Field(
            "node",
            TEXT,
            doc="supplier (supplier, commitment), overseas warehouse or its platform copy "
            "(overseas), bonded or domestic warehouse (warehouse, listing)",
        ),
        Field("sku", TEXT, required=False, nullable=True, doc="listing and commitment: the SKU"),
        Field(
            "value",
            NUMBER,
            minimum=0,
            unit="0/1, or units (commitment)",
            doc="1 used/open/listed, 0 not; commitment: the units committed or reserved",
        ),
    ),
    required=False,
    allow_empty=True,
    unique_together=("decision", "node", "sku"),
    doc="Decisions taken and fixed for the horizon (network; suppliers: supplier; contracts: "
    "commitment).",
)

PLANNED_SHIPMENTS = TableSchema(
    "planned_shipments",
    (
        Field("origin", TEXT, doc=IN_MOTION_SOURCE),
        Field("destination", TEXT, doc="node id of the overseas, bonded or domestic warehouse"),
        Field("sku", TEXT, doc="product id (in products)"),
        _mode(),
        Field("ship_month", MONTH, doc="month of the horizon it leaves, 1..T"),
        _quantity("units shipped, fixed"),
    ),
    required=False,
    allow_empty=True,
    unique_together=("origin", "destination", "sku", "mode", "ship_month"),
    doc="First-stage shipments decided and fixed (the frozen period of a rolling plan; "
    "network model).",
)

SPEED_LOSS = TableSchema(
    "speed_loss",
    (
        Field("sku", TEXT, required=False, nullable=True, doc="product id; blank = every SKU"),
        Field(
            "market",
            TEXT,
            required=False,
            nullable=True,
            doc="market node id; blank = every market",
        ),
        Field(
            "reference_days",
            NUMBER,
            minimum=0,
            unit="days",
            doc="delivery days the customers accept without loss",
        ),
        Field(
            "loss_per_day",
            NUMBER,
            minimum=0,
            maximum=1,
            unit="share of demand per day",
            doc="share of the demand lost per day of delivery beyond reference_days",
        ),
    ),
    required=False,
    allow_empty=True,
    doc="Demand that responds to delivery time (network model): a row for a SKU and market "
    "overrides one for the SKU, which overrides one for the market, which overrides a row "
    "with both blank.",
)

SERVICE_LEVELS = TableSchema(
    "service_levels",
    (
        Field(
            "market",
            TEXT,
            required=False,
            nullable=True,
            doc="market node id; blank = every market",
        ),
        Field(
            "min_share",
            NUMBER,
            minimum=0,
            maximum=1,
            unit="share of demand",
            doc="share of each month's demand of the market that must be served",
        ),
        Field(
            "within_days",
            NUMBER,
            required=False,
            nullable=True,
            minimum=0,
            default=math.inf,
            unit="days",
            doc="served on lanes of at most this many delivery days; blank = at any speed "
            "(a fill rate)",
        ),
    ),
    required=False,
    allow_empty=True,
    doc="Service levels per market (network model): at least min_share of each month's demand "
    "served within within_days; a row for a market overrides the row with market blank.",
)


SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        NODES,
        ARCS,
        DEMAND,
        SCENARIOS,
        PRODUCTS,
        CONTRACTS,
        OFFERS,
        PRICE_BREAKS,
        OPENING_STOCK,
        IN_TRANSIT,
        PLACED_ORDERS,
        FROZEN,
        PLANNED_SHIPMENTS,
        SPEED_LOSS,
        SERVICE_LEVELS,
    )
}
"""The tables of the instance contract, by name (file ``<name>.csv`` or sheet ``<name>``).

Optional tables are checked when present; each model says which tables it needs."""

MONTH_FIELDS: dict[str, tuple[str, ...]] = {
    name: months
    for name, schema in SCHEMAS.items()
    if (months := tuple(f.name for f in schema.fields if f.kind == MONTH))
}
"""Per table, its month columns: where calendar months (``2027-01``) are numbered on loading."""

WHATIF_TABLE = "whatif"
"""An optional table no model reads: named what-if scenarios of parameter changes, columns
``scenario, table, key, field, value`` (``cbecopt whatif``, :mod:`cbecopt.whatif`)."""
