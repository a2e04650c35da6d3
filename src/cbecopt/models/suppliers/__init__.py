"""The supplier selection model: offers with quantity discounts, capacities and counterfeit
risk; its check step, diagnosis and generator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbecopt.instance import Instance
from cbecopt.models.spec import UNREPRESENTABLE, ModelSpec, all_columns, by_family
from cbecopt.models.suppliers.build import (
    SuppliersConfig,
    SuppliersData,
    build_suppliers,
    extract_suppliers,
)
from cbecopt.models.suppliers.policies import COMPARISON
from cbecopt.models.suppliers.summary import summarize_suppliers


def _check_suppliers(
    instance: Instance, config: SuppliersConfig | None, seed: int = 0
) -> SuppliersData:
    return SuppliersData.from_instance(instance, (config or SuppliersConfig()).resolved(instance))


def _diagnose_suppliers(built) -> list[str]:
    from cbecopt.models.suppliers.diagnose import diagnose_suppliers

    return diagnose_suppliers(built.data, built.config)


def _generate_suppliers(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.models.suppliers.generate import generate_suppliers

    made = generate_suppliers(o["n_skus"], o["n_suppliers"], seed=o["seed"])
    return made, f"{o['n_skus']} SKUs x {o['n_suppliers']} suppliers"


SPEC = ModelSpec(
    "suppliers",
    "supplier selection with all-units or incremental quantity discounts, fixed costs, "
    "capacities and counterfeit risk (penalty, caps, brand-direct share, inspection)",
    SuppliersConfig,
    _check_suppliers,
    build_suppliers,
    by_family(extract_suppliers),
    _diagnose_suppliers,
    tables=("nodes", "demand", "products", "offers", "price_breaks"),
    reads={
        "nodes": ("id", "kind", "supplier_type", "fixed_cost", "capacity"),
        "arcs": ("origin", "destination", "mode", "unit_cost", "cost_per_kg"),
        "demand": ("market", "sku", "quantity"),
        "products": (
            "sku",
            "category",
            "price",
            "vat_rate",
            "consumption_tax_rate",
            "weight_kg",
            "counterfeit_penalty",
        ),
        "offers": tuple(c for c in all_columns("offers") if c != "lead_time_days"),
        "price_breaks": all_columns("price_breaks"),
        "placed_orders": ("supplier", "sku", "quantity", "unit_price"),
        "frozen": ("decision", "node", "sku", "value"),
    },
    unbounded="the suppliers model cannot be unbounded: every purchase is capped (by the "
    "offer's capacity, else by the most that can pay), inspections and shipments by the "
    f"purchase, and every other variable is binary; {UNREPRESENTABLE}",
    generate=_generate_suppliers,
    summarize=summarize_suppliers,
    comparisons=(COMPARISON,),
)
