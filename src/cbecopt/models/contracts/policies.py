"""The contract policies ``cbecopt compare-contracts`` solves: safety stock (firm orders) only,
then each kind of flexibility, then all of them, and what each is worth."""

from __future__ import annotations

import dataclasses

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models.contracts.build import ContractsConfig
from cbecopt.models.spec import Comparison

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
    from cbecopt.compare import solve_policies  # it solves through the registry: import late

    config = config or ContractsConfig()
    configs = {p: dataclasses.replace(config, types=t) for p, t in CONTRACT_POLICIES.items()}
    rows = []
    for policy, result in solve_policies(instance, "contracts", configs, config, options):
        k = result.kpis
        rows.append(
            {
                "policy": policy,
                "types": "+".join(CONTRACT_POLICIES[policy]),
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


COMPARISON = Comparison(
    name="contracts",
    policies=tuple(CONTRACT_POLICIES),
    run=compare_contracts,
    help="Solve the contracts model under each policy: safety stock only, quantity flexibility, "
    "options, emergency spot, and all combined; show what each kind of flexibility is worth.",
    shown={
        "policy": "policy",
        "status": "status",
        "expected_profit": "E profit",
        "cost_cvar": "CVaR cost",
        "fill_rate": "fill rate",
        "value_of_flexibility": "value",
    },
    caption="contract policies on {instance}",
    options=("--samples", "--distribution", "--risk-weight", "--alpha"),
    percent=("fill_rate",),
    note="CVaR of cost at alpha {config.risk.alpha:g}; value = what the policy saves in expected "
    "cost against safety stock only (firm orders)",
)
"""The comparison ``cbecopt compare --model contracts`` (``compare-contracts``) runs."""
