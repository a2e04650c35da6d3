"""The sourcing policies ``cbecopt compare-suppliers`` solves: cheapest sources only,
brand-direct only, and optimised under the instance's authenticity policy."""

from __future__ import annotations

import dataclasses

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models.spec import Comparison
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.models.suppliers.data import counterfeit_penalties

SUPPLIER_POLICIES: dict[str, dict] = {
    "cheapest": dict(counterfeit_penalty=0.0, max_counterfeit_rate=1.0, min_brand_direct_share=0.0),
    "brand_direct_only": dict(supplier_types=("brand_direct",)),
    "optimized": {},
}
"""What each sourcing policy sets in the config: ``cheapest`` ignores authenticity,
``brand_direct_only`` buys from brand owners only, ``optimized`` keeps the instance's policy."""

SUPPLIER_COLUMNS = (
    "policy",
    "status",
    "landed_cost",
    "expected_counterfeit",
    "counterfeit_cost",
    "cost_with_risk",
    "brand_direct_share",
    "suppliers_used",
    "gap",
)


def compare_suppliers(
    instance: Instance, options: SolveOptions | None = None, config: SuppliersConfig | None = None
) -> pd.DataFrame:
    """Cheapest sources only (authenticity ignored), brand-direct only, and optimised under the
    instance's authenticity policy: landed cost, expected counterfeit units and suppliers used.

    ``counterfeit_cost`` prices every policy's expected counterfeits at the instance's penalties,
    so ``cost_with_risk`` compares the policies on the same footing.
    """
    from cbecopt.compare import solve_policies  # it solves through the registry: import late

    config = config or SuppliersConfig()
    configs = {
        name: dataclasses.replace(config, **changes) for name, changes in SUPPLIER_POLICIES.items()
    }
    solved = solve_policies(instance, "suppliers", configs, config, options)
    penalty = _penalty_per_sku(instance, config.resolved(instance))
    rows = []
    for name, result in solved:
        k = result.kpis
        risk = None
        if result.ok:
            skus = result.table("skus")
            risk = float(
                (skus["expected_counterfeit"] * skus["sku"].map(penalty).fillna(0.0)).sum()
            )
        rows.append(
            {
                "policy": name,
                "status": result.status.value,
                "landed_cost": k.get("landed_cost"),
                "expected_counterfeit": k.get("expected_counterfeit_units"),
                "counterfeit_cost": risk,
                "cost_with_risk": None if risk is None else k["landed_cost"] + risk,
                "brand_direct_share": k.get("brand_direct_share"),
                "suppliers_used": len(k.get("suppliers_used", [])) if result.ok else None,
                "gap": result.gap,
            }
        )
    return pd.DataFrame(rows, columns=list(SUPPLIER_COLUMNS)).astype({"suppliers_used": "Int64"})


def _penalty_per_sku(instance: Instance, config: SuppliersConfig) -> dict:
    products = instance.network.products
    penalties = counterfeit_penalties(products, config.counterfeit_penalty)
    return dict(zip(products["sku"], penalties, strict=True))


COMPARISON = Comparison(
    name="suppliers",
    policies=tuple(SUPPLIER_POLICIES),
    run=compare_suppliers,
    help="Cheapest sources only vs brand-direct only vs optimised under the authenticity policy.",
    shown={
        "policy": "policy",
        "status": "status",
        "landed_cost": "landed_cost",
        "expected_counterfeit": "E counterfeit",
        "counterfeit_cost": "counterfeit cost",
        "cost_with_risk": "cost with risk",
        "brand_direct_share": "brand-direct",
        "suppliers_used": "suppliers",
    },
    caption="sourcing policies on {instance}",
    percent=("brand_direct_share",),
)
"""The comparison ``cbecopt compare --model suppliers`` (``compare-suppliers``) runs."""
