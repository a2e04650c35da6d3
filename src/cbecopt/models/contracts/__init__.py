"""The flexible contracts model: firm, quantity-flexible, option and spot quantities chosen
before demand is known (two-stage), its check step, sampler, diagnosis and generator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbecopt.instance import Instance
from cbecopt.models.contracts.build import (
    ContractsConfig,
    ContractsData,
    ContractsProblem,
    demand_sampler,
    extract_contracts,
)
from cbecopt.models.contracts.policies import COMPARISON
from cbecopt.models.contracts.summary import summarize_contracts
from cbecopt.models.spec import SCENARIOS_READ, ModelSpec, all_columns, by_form


def _check_contracts(
    instance: Instance, config: ContractsConfig | None, seed: int = 0
) -> ContractsData:
    return ContractsData.from_instance(instance, config or ContractsConfig(), seed)


def _build_contracts(instance: Instance, config, data: ContractsData) -> ContractsProblem:
    return ContractsProblem(data, instance.name)


def _contracts_sampler(instance: Instance, config: ContractsConfig | None, problem):
    return demand_sampler(instance, config or ContractsConfig(), problem.data.SKUS)


def _diagnose_contracts(problem: ContractsProblem) -> list[str]:
    return [
        "lost sales absorb any shortfall, so only contract bounds can conflict: check that no "
        "capacity or supplier capacity is below a minimum order that the data forces"
    ]


def _generate_contracts(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.models.contracts.generate import generate_contracts

    scenarios = 50 if o["n_scenarios"] is None else o["n_scenarios"]
    made = generate_contracts(o["n_skus"], scenarios, seed=o["seed"])
    return made, f"{o['n_skus']} SKUs x {scenarios} scenarios"


SPEC = ModelSpec(
    "contracts",
    "flexible contract quantities: firm, quantity-flexibility, options and spot "
    "(two-stage stochastic over demand scenarios)",
    ContractsConfig,
    _check_contracts,
    _build_contracts,
    by_form(extract_contracts),
    _diagnose_contracts,
    tables=("nodes", "demand", "products", "contracts"),
    reads={
        "nodes": ("id", "kind", "capacity"),
        "demand": ("market", "sku", "quantity", "scenario", "std"),
        "products": ("sku", "price", "salvage_value", "lost_sale_penalty"),
        "contracts": all_columns("contracts"),
        "placed_orders": ("supplier", "sku", "quantity", "unit_price"),
        "frozen": ("decision", "node", "sku", "value"),
        **SCENARIOS_READ,
    },
    unbounded="the expected cost fell without limit: a contract without capacity priced "
    "below its SKU's salvage_value (unit_price, or premium + exercise_price) buys to salvage "
    "without end; load_instance refuses such prices, so look for them in an instance that "
    "did not come through it",
    generate=_generate_contracts,
    summarize=summarize_contracts,
    two_stage=True,
    demand_sampler=_contracts_sampler,
    comparisons=(COMPARISON,),
)
