"""What sharing overseas warehouses saves, and how to split the shared cost.

Platforms (sellers) that each ran their own warehouses would each solve the location problem
alone on the same candidates; sharing solves it once for their pooled demand. The saving is
the difference. The shared cost is split by use: each platform pays the transport of its own
units and a share of each open warehouse's fixed cost equal to its share of that warehouse's
throughput. The split adds up exactly to the shared total; the report shows, per platform,
the stand-alone cost, the allocated cost and the saving.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from cbecopt.errors import InputError, Problem
from cbecopt.formulations.warehouses import WarehousesConfig
from cbecopt.graph import NO_PLATFORM, platforms
from cbecopt.instance import Instance
from cbecopt.models import solve
from cbecopt.results import Result
from cbecopt.solver import SolveOptions


def _remaining(options: SolveOptions, start: float) -> SolveOptions:
    if options.time_limit is None:
        return options
    left = max(options.time_limit - (time.perf_counter() - start), 1e-3)
    return dataclasses.replace(options, time_limit=left)


def compare_sharing(
    instance: Instance, options: SolveOptions | None = None, config: WarehousesConfig | None = None
) -> Result:
    """Solve the shared network and each platform alone; return the shared result with the comparison.

    Adds the table ``platform_costs`` (platform, demand, independent_status, independent_cost,
    independent_open, allocated_cost, saving, saving_pct) and the KPIs ``shared_cost``,
    ``independent_cost``, ``sharing_saving``, ``sharing_saving_pct`` and ``comparison_proven``
    (every solve optimal). The time limit covers all the solves together.
    """
    options = options or SolveOptions()
    names = platforms(instance.graph)
    if "platform" not in instance.tables["demand"] or names == [NO_PLATFORM] or not names:
        raise InputError(
            Problem(
                "demand",
                "comparing shared and independent warehouses needs a 'platform' "
                "column in the demand table",
                column="platform",
            )
        )
    start = time.perf_counter()
    shared = solve(instance, "warehouses", options, config)
    if not shared.ok:
        return shared
    demand = instance.tables["demand"]
    alone: dict[str, Result] = {}
    for name in names:
        own = demand[demand["platform"].fillna(NO_PLATFORM) == name]
        alone[name] = solve(
            instance.with_demand(own, f"{instance.name}[{name}]"),
            "warehouses",
            _remaining(options, start),
            config,
        )
    allocated = allocate_by_use(instance, shared)
    rows = []
    for name in names:
        result = alone[name]
        independent = result.objective if result.ok else np.nan
        rows.append(
            {
                "platform": name,
                "demand": float(
                    demand.loc[demand["platform"].fillna(NO_PLATFORM) == name, "quantity"].sum()
                ),
                "independent_status": result.status.value,
                "independent_cost": independent,
                "independent_open": ";".join(result.kpis.get("open_warehouses", [])),
                "allocated_cost": allocated[name],
            }
        )
    table = pd.DataFrame(rows)
    table["saving"] = table["independent_cost"] - table["allocated_cost"]
    table["saving_pct"] = table["saving"] / table["independent_cost"]
    independent_total = float(table["independent_cost"].sum())
    shared.tables["platform_costs"] = table
    shared.kpis.update(
        {
            "shared_cost": shared.objective,
            "independent_cost": independent_total,
            "sharing_saving": independent_total - shared.objective,
            "sharing_saving_pct": (independent_total - shared.objective) / independent_total,
            "allocation": "by use",
            "comparison_proven": shared.status.value == "optimal"
            and all(r.status.value == "optimal" for r in alone.values()),
        }
    )
    for key in ("build", "handoff", "solve", "extract"):
        shared.timings[key] += sum(r.timings[key] for r in alone.values())
    shared.timings["total"] = instance.load_seconds + (time.perf_counter() - start)
    return shared


def allocate_by_use(instance: Instance, shared: Result) -> dict[str, float]:
    """Split the shared cost: own transport plus fixed cost in proportion to units through each warehouse."""
    g = instance.graph
    flows = shared.tables["flows"]
    opened = shared.tables["open"].set_index("warehouse")
    cost = {p: 0.0 for p in platforms(g)}
    for row in flows.itertuples(index=False):
        market = g.nodes[row.market]
        throughput = opened.at[row.warehouse, "throughput"]
        fixed_share = (
            opened.at[row.warehouse, "fixed_cost"] * row.quantity / throughput
            if throughput > 0
            else 0.0
        )
        for platform, quantity in market["demand_by_platform"].items():
            share = quantity / market["demand"]
            cost[platform] += share * (row.cost + fixed_share)
    return cost
