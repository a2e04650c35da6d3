"""Solve a large routing instance by blocks of SKUs, with a proven optimality gap.

SKUs interact in the routing model only through the bonded warehouses they share (fixed cost,
volume capacity) and the markets' delivery-time targets. Everything else (listing, inbound,
stock, releases, parcels, lost sales, in every scenario) belongs to one SKU. So:

1. **Bound.** Each block of SKUs is solved with its own copy of the warehouse decisions,
   paying a share of each fixed cost equal to its share of expected demand (the shares add
   up to 1), with each warehouse's whole capacity and no delivery targets. The full optimum,
   cut into blocks, is feasible for every block at exactly its cost, so the sum of the
   blocks' proven lower bounds is a lower bound of the full optimum.
2. **Plan.** A warehouse is opened when the blocks that used it in step 1 hold at least half
   of the demand (its fixed cost is then paid once), and each block is solved again
   restricted to the open warehouses, with a share of each capacity (in proportion to the
   block's stock in step 1) and the delivery targets held per block: every block's plan then
   fits together, so their sum is a feasible plan of the full problem.

The gap between the two is reported; the status is ``feasible`` (HiGHS proved each block, not
the whole), however small the gap. Risk-neutral only: CVaR does not split by SKU.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import pandas as pd

from cbecopt.analytics import var_cvar
from cbecopt.errors import OptionError
from cbecopt.formulations.routing import RoutingProblem, extract_routing
from cbecopt.formulations.routing_data import RoutingData
from cbecopt.results import Result, Status
from cbecopt.solver import SolveOptions
from cbecopt.stochastic.twostage import (
    RiskOptions,
    StageSolution,
    build_extensive_form,
    solve_extensive_form,
)


def solve_by_sku_blocks(
    problem: RoutingProblem,
    options: SolveOptions,
    block_size: int,
    risk: RiskOptions | None = None,
    instance: str = "",
    load_seconds: float = 0.0,
    config: dict | None = None,
) -> Result:
    """Solve ``problem`` block by block (``block_size`` SKUs each); see the module docstring."""
    risk = risk or RiskOptions()
    if risk.weight > 0:
        raise OptionError("solving by SKU blocks is risk-neutral only: CVaR does not split by SKU")
    if block_size < 1:
        raise OptionError(f"the SKU block size must be at least 1, got {block_size}")
    start = time.perf_counter()
    deadline = start + options.time_limit if options.time_limit is not None else None
    d = problem.data
    blocks = [
        np.arange(i, min(i + block_size, len(d.SKUS))) for i in range(0, len(d.SKUS), block_size)
    ]
    clock = {"build": 0.0, "handoff": 0.0, "solve": 0.0, "extract": 0.0}
    everywhere = np.arange(len(d.BONDED))
    weight = d.probabilities @ d.demand
    in_block = [np.isin(d.demand_keys["k"], b) for b in blocks]
    shares = [float(weight[mask].sum() / weight.sum()) for mask in in_block]
    relaxed = [
        _solve(
            d.restrict(b, everywhere, delivery_targets=False, fixed_cost_share=share),
            problem,
            options,
            deadline,
            clock,
        )
        for b, share in zip(blocks, shares, strict=True)
    ]
    if any(r.outcome.bound is None or r.outcome.values is None for r in relaxed):
        return _no_plan(problem, relaxed, clock, start, load_seconds, instance, options, config)
    bound = sum(r.outcome.bound for r in relaxed)
    opened, capacities = _warehouses(d, relaxed, shares)
    plans = [
        _solve(
            d.restrict(b, opened, capacity, delivery_targets=True),
            problem,
            options,
            deadline,
            clock,
        )
        for b, capacity in zip(blocks, capacities, strict=True)
    ]
    fixed = float(d.fixed_cost[opened].sum()) * len(d.MONTHS)
    if any(p.outcome.objective is None for p in plans):
        return _no_plan(
            problem, plans, clock, start, load_seconds, instance, options, config, bound
        )
    t0 = time.perf_counter()
    objective = fixed + sum(p.outcome.objective for p in plans)
    tables, kpis = _combine(d, plans, opened, fixed)
    costs = fixed + np.sum([p.solution.scenario_costs() for p in plans], axis=0)
    probabilities = d.probabilities / d.probabilities.sum()
    var, cvar = var_cvar(costs, probabilities, risk.alpha)
    kpis |= {
        "expected_cost": float(probabilities @ costs),
        "cost_var": var,
        "cost_cvar": cvar,
        "alpha": risk.alpha,
        "sku_blocks": len(blocks),
        "bound_from": "sum of SKU-block relaxations (warehouses free, no delivery targets)",
    }
    tables["scenarios"] = pd.DataFrame(
        {"scenario": list(d.scenario_names), "probability": d.probabilities, "cost": costs}
    )
    clock["extract"] += time.perf_counter() - t0
    gap = max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    return _result(
        problem,
        Status.FEASIBLE,
        f"SKU blocks: gap {gap:.4%} proven by the block relaxations",
        objective,
        bound,
        gap,
        tables,
        kpis,
        clock,
        start,
        load_seconds,
        instance,
        options,
        config,
        len(blocks),
    )


class Solved(NamedTuple):
    """One block's model and its solve."""

    block: RoutingProblem
    solution: StageSolution

    @property
    def outcome(self):
        return self.solution.outcome

    @property
    def form(self):
        return self.solution.form


def _solve(data: RoutingData, problem: RoutingProblem, options, deadline, clock) -> Solved:
    block = RoutingProblem(data, problem.instance_name)
    t0 = time.perf_counter()
    form = build_extensive_form(block, block.scenarios())
    t1 = time.perf_counter()
    form.compile()
    clock["build"] += t1 - t0
    clock["handoff"] += time.perf_counter() - t1
    solution = solve_extensive_form(form, options, None, deadline)
    clock["handoff"] += solution.handoff_seconds
    clock["solve"] += solution.outcome.solve_seconds
    return Solved(block, solution)


def _warehouses(
    d: RoutingData, relaxed: list[Solved], demand_shares: list[float]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Warehouses used by blocks holding half the demand, and each block's share of capacity."""
    backing = np.zeros(len(d.BONDED))
    volume = np.zeros((len(relaxed), len(d.BONDED)))
    for n, r in enumerate(relaxed):
        block = r.block.data
        values = r.outcome.values
        used = np.rint(r.form.values_of(values, r.form.first.families[0])) > 0
        backing += demand_shares[n] * used
        for name in r.form.names:
            stock = r.form.values_of(values, r.form.model.scenario[name].component("stock"))
            peak = np.zeros((len(d.BONDED), len(d.MONTHS)))
            np.add.at(
                peak, (block.stock["b"], block.stock["t"]), block.volume[block.stock["k"]] * stock
            )
            volume[n] = np.maximum(volume[n], peak.max(axis=1) if len(d.MONTHS) else 0.0)
    opened = np.flatnonzero(backing >= 0.5)
    total = volume.sum(axis=0)
    share = np.where(total > 0, volume / np.where(total > 0, total, 1.0), 1.0 / len(relaxed))
    capacities = [
        np.where(np.isfinite(d.volume_capacity), d.volume_capacity * s, np.inf) for s in share
    ]
    return opened, capacities


def _combine(d: RoutingData, plans: list[Solved], opened: np.ndarray, fixed: float):
    """One set of plan tables and KPIs from the blocks' (plus the warehouses' fixed cost)."""
    parts = [extract_routing(p.block, p.form, p.outcome.values) for p in plans]
    tables = {
        name: pd.concat([t[name] for t, _ in parts], ignore_index=True)
        for name in ("inbound", "stock", "channel_mix")
    }
    tax = pd.concat([t["tax"] for t, _ in parts], ignore_index=True)
    tables["tax"] = (
        tax.groupby(["channel", "regime"], sort=False)[["units", "tax"]].sum().reset_index()
    )
    breakdown = (
        pd.concat([t["cost_breakdown"] for t, _ in parts])
        .groupby("component", sort=False)["cost"]
        .sum()
    )
    breakdown["bonded_fixed"] = fixed
    tables["cost_breakdown"] = breakdown.reset_index()
    tables["bonded"] = _bonded(d, tables["stock"], parts, opened)
    k = [kpis for _, kpis in parts]
    served = [kp["revenue"] for kp in k]
    units = {}
    for kp in k:
        for channel, q in kp["channel_units"].items():
            units[channel] = units.get(channel, 0.0) + q
    served_units = sum(q for c, q in units.items() if c != "lost")
    demand = served_units + sum(kp["lost_sales"] for kp in k)
    delivered = sum(
        (kp["average_delivery_days"] or 0.0)
        * sum(q for c, q in kp["channel_units"].items() if c != "lost")
        for kp in k
    )
    kpis = {
        "plan_cost": float(breakdown.sum()),
        "revenue": float(sum(served)),
        "profit": float(sum(kp["profit"] for kp in k)) - fixed,
        "tax_paid": float(tables["tax"]["tax"].sum()),
        "fill_rate": served_units / demand if demand > 0 else None,
        "lost_sales": float(sum(kp["lost_sales"] for kp in k)),
        "average_delivery_days": delivered / served_units if served_units > 0 else None,
        "bonded_warehouses_used": [d.BONDED[b] for b in opened],
        "skus_listed": int(sum(kp["skus_listed"] for kp in k)),
        "channel_units": units,
        "tax_rules": d.tax_rules,
        "first_stage_cost": float(sum(p.form.first_stage_cost(p.outcome.values) for p in plans))
        + fixed,
    }
    return tables, kpis


def _bonded(d: RoutingData, stock: pd.DataFrame, parts, opened: np.ndarray) -> pd.DataFrame:
    volume = dict(zip(d.SKUS, d.volume, strict=True))
    by_month = (
        stock.assign(volume=stock["sku"].map(volume) * stock["stock"])
        .groupby(["bonded_warehouse", "month"])["volume"]
        .sum()
    )
    peak = by_month.groupby(level=0).max().reindex(d.BONDED, fill_value=0.0).to_numpy()
    listed = sum(t["bonded"]["skus_listed"].to_numpy() for t, _ in parts)
    used = np.isin(np.arange(len(d.BONDED)), opened).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(np.isfinite(d.volume_capacity), peak / d.volume_capacity, np.nan)
    return pd.DataFrame(
        {
            "bonded_warehouse": d.BONDED,
            "used": used,
            "fixed_cost": d.fixed_cost * len(d.MONTHS) * used,
            "skus_listed": listed,
            "peak_volume_m3": peak,
            "volume_capacity": np.where(np.isfinite(d.volume_capacity), d.volume_capacity, np.nan),
            "utilisation": utilisation,
        }
    )


def _no_plan(
    problem, solved, clock, start, load_seconds, instance, options, config, bound=None
) -> Result:
    worst = next(s for s in solved if s.outcome.objective is None or s.outcome.bound is None)
    status = worst.outcome.status if worst.outcome.status != Status.OPTIMAL else Status.NO_SOLUTION
    if status == Status.FEASIBLE:
        status = Status.NO_SOLUTION
    skus = ", ".join(map(str, worst.block.data.SKUS[:3]))
    why = (
        f"a SKU block ({skus}, ...) ended {worst.outcome.status.value}: {worst.outcome.termination}"
    )
    return _result(
        problem,
        status,
        why,
        None,
        bound,
        None,
        {},
        {},
        clock,
        start,
        load_seconds,
        instance,
        options,
        config,
        0,
        [why],
    )


def _result(
    problem,
    status,
    termination,
    objective,
    bound,
    gap,
    tables,
    kpis,
    clock,
    start,
    load_seconds,
    instance,
    options,
    config,
    blocks,
    diagnosis=None,
) -> Result:
    timings = {"load": load_seconds, **clock, "total": load_seconds + time.perf_counter() - start}
    return Result(
        model="routing",
        instance=instance,
        status=status,
        termination=termination,
        objective=objective,
        bound=bound,
        gap=gap,
        timings=timings,
        tables=tables,
        kpis=kpis,
        diagnosis=diagnosis or [],
        size={
            "scenarios": len(problem.data.scenario_names),
            "skus": len(problem.data.SKUS),
            "sku_blocks": blocks,
        },
        options={**options.as_dict(), "model": config or {}},
        solver={"name": "highs", "method": "SKU blocks"},
    )
