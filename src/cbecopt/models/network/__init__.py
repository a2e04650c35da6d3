"""The integrated ``network`` model: suppliers with all-units discounts, overseas, bonded and
domestic warehouses, monthly first-mile and bulk-inbound shipments, and per-scenario stock,
release, 9610 parcel delivery and lost sales, two-stage on the block ``m.network``
(``models/network.md``); its check step (:mod:`~cbecopt.models.network.read`), extraction,
diagnosis and registry entry :data:`SPEC`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbecopt.instance import Instance
from cbecopt.models.network.build import NetworkProblem, solve_network
from cbecopt.models.network.config import NetworkConfig
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.platforms import with_platforms
from cbecopt.models.network.read import read_network
from cbecopt.models.network.remedies import network_comparison
from cbecopt.models.network.results import diagnose_network, extract_network, marginal_labels
from cbecopt.models.network.summary import summarize_network
from cbecopt.models.spec import SCENARIOS_READ, UNREPRESENTABLE, ModelSpec, by_form

__all__ = [
    "SPEC",
    "NetworkConfig",
    "NetworkData",
    "NetworkProblem",
    "read_network",
    "solve_network",
    "with_platforms",
]


def _check_network(instance: Instance, config: NetworkConfig | None, seed: int = 0) -> NetworkData:
    return read_network(instance, config)


def _build_network(instance: Instance, config, data: NetworkData) -> NetworkProblem:
    return NetworkProblem(data, name=f"network[{instance.name}]")


def _generate_network(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.models.network.generate import generate

    return generate(o)


SPEC = ModelSpec(
    "network",
    "the integrated network: suppliers with quantity discounts and counterfeit risk, shared "
    "overseas warehouses, bonded and domestic warehouses, monthly shipments and per-scenario "
    "delivery by channel (two-stage over demand scenarios)",
    NetworkConfig,
    _check_network,
    _build_network,
    by_form(extract_network),
    diagnose_network,
    tables=("nodes", "arcs", "demand", "products", "offers", "price_breaks"),
    reads={
        "nodes": (
            "id",
            "kind",
            "supplier_type",
            "fixed_cost",
            "capacity",
            "volume_capacity",
            "handling_cost",
            "shared_by",
            "max_delivery_days",
        ),
        "arcs": (
            "origin",
            "destination",
            "mode",
            "unit_cost",
            "cost_per_kg",
            "lead_time_days",
            "pack_size",
        ),
        "products": (
            "sku",
            "category",
            "price",
            "purchase_cost",
            "customs_value",
            "declared_value",
            "salvage_value",
            "lost_sale_penalty",
            "weight_kg",
            "volume_m3",
            "vat_rate",
            "consumption_tax_rate",
            "tariff_rate",
            "postal_rate",
            "units_per_order",
            "bonded_allowed",
            "cbec_allowed",
            "general_trade_allowed",
            "wait_share",
            "holding_cost",
            "listing_cost",
            "counterfeit_penalty",
            "pack_size",
        ),
        "offers": (
            "supplier",
            "sku",
            "discount",
            "capacity",
            "min_order",
            "counterfeit_rate",
            "late_rate",
            "inspection_cost",
            "inspected_counterfeit_rate",
        ),
        "price_breaks": ("supplier", "sku", "from_quantity", "unit_price"),
        "contracts": (
            "supplier",
            "sku",
            "type",
            "unit_price",
            "premium",
            "exercise_price",
            "flex_up",
            "flex_down",
            "capacity",
        ),
        "demand": ("market", "sku", "month", "platform", "scenario", "quantity"),
        "opening_stock": ("warehouse", "sku", "quantity"),
        "in_transit": (
            "origin",
            "destination",
            "sku",
            "mode",
            "ship_month",
            "arrival_month",
            "quantity",
        ),
        "placed_orders": ("supplier", "sku", "quantity", "unit_price"),
        "frozen": ("decision", "node", "sku", "value"),
        "planned_shipments": ("origin", "destination", "sku", "mode", "ship_month", "quantity"),
        **SCENARIOS_READ,
    },
    unbounded="the network model cannot be unbounded: every purchase is capped by its offer's "
    "segments (capacity, else the most that can pay), shipments by purchases, deliveries and "
    f"lost sales by demand, stock by what arrives, and every other variable is binary; "
    f"{UNREPRESENTABLE}",
    generate=_generate_network,
    comparisons=(network_comparison(),),
    summarize=summarize_network,
    two_stage=True,
    marginal_values=marginal_labels,
    method="warm_start",
)
