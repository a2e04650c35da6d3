"""The routing model: bonded (1210), direct mail (9610, postal) and general trade (bulk into a
duty-paid domestic warehouse) under the dated CBEC tax rules, month by month; its check step,
sampler, diagnosis and generator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from cbecopt.fixing_diagnosis import fixing_diagnosis
from cbecopt.highs import SolveOptions, solve_compiled
from cbecopt.instance import Instance
from cbecopt.models.routing.build import RoutingConfig, RoutingData, RoutingProblem, extract_routing
from cbecopt.models.routing.data import demand_sampler
from cbecopt.models.routing.policies import COMPARISON
from cbecopt.models.routing.summary import summarize_routing
from cbecopt.models.spec import (
    SCENARIOS_READ,
    UNREPRESENTABLE,
    ModelSpec,
    all_columns,
    by_form,
    labels_as_they_are,
)
from cbecopt.stochastic.twostage import build_extensive_form


def _check_routing(instance: Instance, config: RoutingConfig | None, seed: int = 0) -> RoutingData:
    return RoutingData.from_instance(instance, config or RoutingConfig(), seed)


def _build_routing(instance: Instance, config, data: RoutingData) -> RoutingProblem:
    return RoutingProblem(data, instance.name)


def _routing_sampler(instance: Instance, config: RoutingConfig | None, problem):
    return demand_sampler(instance, config or RoutingConfig(), problem.data)


def _diagnose_routing(problem: RoutingProblem) -> list[str]:
    motion = problem.data.in_motion
    if motion is not None and motion.fixings:

        def solve_without(dropped: set[str], options: SolveOptions):
            data = replace(problem.data, in_motion=motion.without(dropped))
            free = RoutingProblem(data, problem.instance_name)
            form = build_extensive_form(free, free.scenarios())
            return solve_compiled(form.compile(), options).status

        fixed = fixing_diagnosis(motion.fixings, solve_without)
        if fixed:
            return fixed
    return [
        "lost sales absorb any shortfall, so the plan is infeasible only through its own data: "
        "check warehouse volume capacities against stock that must be held (cover_weeks), and "
        "lane capacities"
    ]


def _generate_routing(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.models.routing.generate import generate_routing

    scenarios = 0 if o["n_scenarios"] is None else o["n_scenarios"]
    made = generate_routing(
        o["n_skus"],
        o["n_months"],
        o["n_bonded"],
        o["n_origins"],
        o["n_markets"],
        scenarios,
        seed=o["seed"],
    )
    return made, f"{o['n_skus']} SKUs x {o['n_markets']} markets x {o['n_months']} months"


SPEC = ModelSpec(
    "routing",
    "bonded (1210) vs direct-mail (9610, postal) vs general-trade routing under CBEC tax rules, "
    "month by month (deterministic, or two-stage over demand scenarios)",
    RoutingConfig,
    _check_routing,
    _build_routing,
    by_form(extract_routing),
    _diagnose_routing,
    tables=("nodes", "arcs", "demand", "products"),
    reads={
        "nodes": (
            "id",
            "kind",
            "capacity",
            "fixed_cost",
            "volume_capacity",
            "max_delivery_days",
            "handling_cost",
        ),
        "arcs": all_columns("arcs"),
        "demand": ("market", "sku", "quantity", "month", "scenario", "std"),
        "products": tuple(c for c in all_columns("products") if c != "counterfeit_penalty"),
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
        "placed_orders": ("supplier",),
        "frozen": ("decision", "node", "sku", "value"),
        "planned_shipments": ("origin", "destination", "sku", "mode", "ship_month", "quantity"),
        **SCENARIOS_READ,
    },
    unbounded="the routing model cannot be unbounded: bulk purchases are capped by the most "
    "each SKU sells (the listing limit), releases, parcels and lost sales by demand; a "
    "salvage_value at or above the cost of stocking a unit would fill that cap with stock "
    f"bought to salvage, which the routing check refuses; {UNREPRESENTABLE}",
    generate=_generate_routing,
    summarize=summarize_routing,
    two_stage=True,
    demand_sampler=_routing_sampler,
    comparisons=(COMPARISON,),
    marginal_values=labels_as_they_are,
)
