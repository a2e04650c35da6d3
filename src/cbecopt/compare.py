"""Strategy comparisons: the same instance solved under different policies, side by side.

Each comparison returns one tidy row per policy, so the value of a remedy is a difference
between two rows of numbers that were all solved the same way. Each first runs the model's
check step (:func:`cbecopt.models.check_inputs`, with every channel open for routing), so bad
input is an ``InputError`` listing every problem before anything is solved. The policies share
the call's time budget, each an equal share of what is left (time a policy does not use
passes on); a policy the budget does not reach is reported with status ``no_solution``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models import check_inputs
from cbecopt.models.contracts.build import ContractsConfig
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.pipeline import solve

log = logging.getLogger(__name__)

CONTRACT_POLICIES: dict[str, tuple[str, ...]] = {
    "safety_stock": ("firm",),
    "quantity_flexibility": ("firm", "quantity_flexibility"),
    "options": ("firm", "option"),
    "spot": ("firm", "spot"),
    "combined": ("firm", "quantity_flexibility", "option", "spot"),
}
"""Contract types each policy may use; ``safety_stock`` (firm orders only) is the baseline."""

CONTRACT_COLUMNS = (
    "policy",
    "types",
    "status",
    "expected_cost",
    "expected_profit",
    "cost_cvar",
    "fill_rate",
    "expected_lost_sales",
    "value_of_flexibility",
    "gap",
)


def _announced(command: str, items: dict, options: SolveOptions) -> Iterator[tuple]:
    """Each (name, value, options) of ``items``, logging which step of how many it is; the
    options carry the step's equal share of what is left of the budget."""
    for i, (name, value) in enumerate(items.items(), start=1):
        log.info("%s: %s (%d/%d)", command, name, i, len(items))
        yield name, value, options.until(options.budget.share(len(items) - i + 1))


def overall_status(statuses: pd.Series) -> str:
    """One status for a table of solves: ``optimal`` when every one was proved, ``feasible``
    when every one has a solution, else the first status without one."""
    values = list(statuses)
    if all(v == "optimal" for v in values):
        return "optimal"
    lacking = [v for v in values if v not in ("optimal", "feasible")]
    return lacking[0] if lacking else "feasible"


def compare_contracts(
    instance: Instance,
    options: SolveOptions | None = None,
    config: ContractsConfig | None = None,
) -> pd.DataFrame:
    """Solve ``instance`` under each of :data:`CONTRACT_POLICIES`.

    ``value_of_flexibility`` is the safety-stock policy's expected cost minus the policy's: what
    that kind of flexibility is worth per planning horizon (not reported when either is not
    proven optimal within the gap, since the difference would then be unfounded).
    """
    config = config or ContractsConfig()
    options = (options or SolveOptions()).begin()
    check_inputs(instance, "contracts", config, options.seed)
    rows = []
    for policy, types, share in _announced("compare-contracts", CONTRACT_POLICIES, options):
        result = solve(instance, "contracts", share, dataclasses.replace(config, types=types))
        k = result.kpis
        rows.append(
            {
                "policy": policy,
                "types": "+".join(types),
                "status": result.status.value,
                "expected_cost": k.get("expected_cost"),
                "expected_profit": k.get("expected_profit"),
                "cost_cvar": k.get("cost_cvar"),
                "fill_rate": k.get("fill_rate"),
                "expected_lost_sales": k.get("expected_lost_sales"),
                "gap": result.gap,
            }
        )
    table = pd.DataFrame(rows, columns=[c for c in CONTRACT_COLUMNS if c != "value_of_flexibility"])
    base = table.iloc[0]
    proven = (table["status"] == "optimal") & (base["status"] == "optimal")
    table.insert(
        CONTRACT_COLUMNS.index("value_of_flexibility"),
        "value_of_flexibility",
        (base["expected_cost"] - table["expected_cost"]).where(proven),
    )
    return table


ROUTING_STRATEGIES: dict[str, tuple[str, ...]] = {
    "bonded_only": ("bonded",),
    "direct_mail_only": ("cbec_direct", "postal"),
    "postal_only": ("postal",),
    "hybrid": ("bonded", "cbec_direct", "postal", "general_trade"),
}
"""Channels each routing strategy may use; ``hybrid`` is the optimised plan over all four."""

ROUTING_COLUMNS = (
    "strategy",
    "channels",
    "status",
    "cost",
    "profit",
    "tax",
    "average_delivery_days",
    "fill_rate",
    "lost_sales",
    "gap",
)


def compare_routing(
    instance: Instance, options: SolveOptions | None = None, config: RoutingConfig | None = None
) -> pd.DataFrame:
    """Solve ``instance`` under each of :data:`ROUTING_STRATEGIES`; one row per strategy.

    ``cost`` is the plan's expected cost with lost sales at their price and penalty, so the
    strategies compare on the same demand; demand a strategy cannot reach is lost.
    """
    config = config or RoutingConfig()
    options = (options or SolveOptions()).begin()
    check_inputs(
        instance,
        "routing",
        dataclasses.replace(config, channels=ROUTING_STRATEGIES["hybrid"]),
        options.seed,
    )
    rows = []
    for strategy, channels, share in _announced("compare-routing", ROUTING_STRATEGIES, options):
        result = solve(instance, "routing", share, dataclasses.replace(config, channels=channels))
        k = result.kpis
        rows.append(
            {
                "strategy": strategy,
                "channels": "+".join(channels),
                "status": result.status.value,
                "cost": k.get("expected_cost"),
                "profit": k.get("profit"),
                "tax": k.get("tax_paid"),
                "average_delivery_days": k.get("average_delivery_days"),
                "fill_rate": k.get("fill_rate"),
                "lost_sales": k.get("lost_sales"),
                "gap": result.gap,
            }
        )
    return pd.DataFrame(rows, columns=list(ROUTING_COLUMNS))


def plot_routing(table: pd.DataFrame, target, title: str = ""):
    """Bar chart of profit, tax and lost sales per strategy; written as a PNG atomically."""
    import numpy as np

    from cbecopt.plots import figure, save_png

    fig, axes = figure(3, (11, 3.8))
    x = np.arange(len(table))
    for ax, column, label in (
        (axes[0], "profit", "profit (CNY)"),
        (axes[1], "tax", "tax paid (CNY)"),
        (axes[2], "fill_rate", "fill rate"),
    ):
        ax.bar(x, table[column].fillna(0.0), color="#1f5f8b")
        ax.set_xticks(x, table["strategy"], rotation=20, ha="right", fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(title or "routing strategies")
    return save_png(fig, target)


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
    config = config or SuppliersConfig()
    options = (options or SolveOptions()).begin()
    check_inputs(instance, "suppliers", config)
    policy = config.resolved(instance)
    ignore = dict(counterfeit_penalty=0.0, max_counterfeit_rate=1.0, min_brand_direct_share=0.0)
    configs = {
        "cheapest": dataclasses.replace(config, **ignore),
        "brand_direct_only": dataclasses.replace(config, supplier_types=("brand_direct",)),
        "optimized": config,
    }
    penalty = _penalty_per_sku(instance, policy)
    rows = []
    for name, cfg, share in _announced("compare-suppliers", configs, options):
        result = solve(instance, "suppliers", share, cfg)
        k = result.kpis
        risk = None
        if result.ok:
            skus = result.tables["skus"]
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
    if config.counterfeit_penalty is not None:
        return dict.fromkeys(products["sku"], float(config.counterfeit_penalty))
    return dict(zip(products["sku"], products["counterfeit_penalty"], strict=True))
