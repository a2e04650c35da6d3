"""The routing side of solving by blocks of SKUs, with a proven optimality gap.

SKUs interact in the routing model only through the bonded warehouses they share (fixed cost,
volume capacity, release capacity), the lanes they share (lane capacity) and the markets'
delivery-time targets. Everything else (listing, inbound, stock, releases, parcels, lost
sales, in every scenario) belongs to one SKU. So:

1. **Bound.** Each block of SKUs is solved as an LP relaxation with its own copy of the
   warehouse decisions, paying a share of each fixed cost equal to its share of expected
   demand (the shares add up to 1), with every whole capacity (warehouse volume, warehouse
   releases, lanes) and no delivery targets. The full optimum, cut into blocks, is feasible
   for every block at exactly its cost, so the sum of the blocks' LP optima is a lower bound
   of the full optimum.
2. **Plan.** The warehouses that carry at least 1% of the bound pass's bonded releases are
   opened (their fixed cost paid once). Each block is solved again as an LP restricted to
   them, with a share of each capacity (in proportion to the block's use of it in step 1:
   its peak stock volume, its units released, its units on the lane; the parts of each
   capacity add up to it) and the delivery targets held per block, and every SKU listed at a
   warehouse the LP ships through (listings rounded up: the LP's flows stay feasible). The
   blocks' plans then fit together, so their sum is a feasible plan of the full problem; what
   rounding adds is listing costs.

This module is the routing side: one block's solve (:func:`solve_block`, in a worker process
or here) and how the blocks' results combine; :mod:`cbecopt.methods.sku_blocks` is the method
that runs the passes over the blocks within the call's budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.limits import OutOfTime, watched
from cbecopt.models.routing.build import (
    RoutingProblem,
    bonded_table,
    extract_routing,
    regroup_tax,
    stock_volume,
)
from cbecopt.models.routing.data import Capacities, RoutingData
from cbecopt.results import Status
from cbecopt.stochastic.twostage import build_extensive_form, solve_extensive_form

TIMINGS = ("build", "handoff", "solve", "extract")
"""Worker time per step, summed over blocks (in ``solver.worker_seconds``: workers run side by
side, so these sums can exceed the wall clock)."""
OPEN_SHARE = 0.01
"""A warehouse is opened when it carries at least this share of the bound pass's bonded releases."""


@dataclass
class BlockResult:
    """What a worker sends back from one block: numbers and tables, no Pyomo objects."""

    skus: list
    status: Status
    termination: str
    objective: float | None
    bound: float | None
    used: np.ndarray  # u_b rounded, per warehouse
    released: np.ndarray  # units released from each warehouse, summed over scenarios
    peak_volume: np.ndarray  # most m3 in stock per warehouse over months and scenarios
    lane_use: np.ndarray  # units on each lane, summed over months and scenarios
    scenario_costs: np.ndarray | None
    first_stage_cost: float
    frames: dict = field(default_factory=dict)
    kpis: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def solve_block(
    data: RoutingData, name: str, options: SolveOptions, deadline: float | None, plan: bool
) -> BlockResult:
    """Solve one block's LP relaxation (in a worker process) by ``deadline`` (a
    :func:`time.monotonic` reading); summarise what the caller needs.

    With ``plan``, the warehouse and listing decisions are rounded up to a feasible plan and
    its tables extracted; otherwise the LP optimum is the block's bound.
    """
    options = options.in_worker(deadline)
    budget = options.budget
    problem = RoutingProblem(data, name)
    t0 = time.perf_counter()
    try:
        with watched(budget):
            form = build_extensive_form(problem, problem.scenarios(), budget=budget)
    except OutOfTime as stopped:
        return unfinished_block(data, f"{stopped} while building", time.perf_counter() - t0)
    t1 = time.perf_counter()
    compiled = form.compile()
    t2 = time.perf_counter()
    solution = solve_extensive_form(form, options, None, None, relax=True)
    out = solution.outcome
    t3 = time.perf_counter()
    used, released, peak = (np.zeros(len(data.BONDED)) for _ in range(3))
    lane_use = np.zeros(len(data.lanes))
    frames, kpis, costs, first = {}, {}, None, 0.0
    objective = bound = None
    values = out.values
    if values is not None and out.status == Status.OPTIMAL:
        bound = out.objective
        if plan:
            values = _rounded_up(form, values)
        objective = compiled.objective_of(values)
        used = np.rint(form.values_of(values, form.first.families[0]))
        _add_lane_use(lane_use, data.inbound, form.values_of(values, form.first.families[2]))
        for scenario in form.names:
            block = form.scenario_block(scenario)
            stock = form.values_of(values, block.component("stock"))
            release = np.clip(form.values_of(values, block.component("release")), 0, None)
            peak = np.maximum(peak, stock_volume(data, stock, release).max(axis=1))
            np.add.at(released, data.release["b"], release)
            _add_lane_use(lane_use, data.release, release)
            _add_lane_use(lane_use, data.direct, form.values_of(values, block.component("direct")))
        costs = form.scenario_costs(values)
        first = form.first_stage_cost(values)
        if plan:
            frames, kpis = extract_routing(problem, form, values)
    timings = {
        "build": t1 - t0,
        "handoff": t2 - t1 + solution.handoff_seconds,
        "solve": out.solve_seconds,
        "extract": time.perf_counter() - t3,
    }
    return BlockResult(
        data.SKUS,
        out.status,
        out.termination,
        objective,
        bound,
        used,
        released,
        peak,
        lane_use,
        costs,
        first,
        frames,
        kpis,
        timings,
    )


def unfinished_block(data: RoutingData, why: str, build_seconds: float) -> BlockResult:
    nothing = np.zeros(len(data.BONDED))
    timings = dict.fromkeys(TIMINGS, 0.0) | {"build": build_seconds}
    return BlockResult(
        data.SKUS,
        Status.NO_SOLUTION,
        why,
        None,
        None,
        nothing,
        nothing,
        nothing,
        np.zeros(len(data.lanes)),
        None,
        0.0,
        timings=timings,
    )


def _add_lane_use(lane_use: np.ndarray, index, quantities: np.ndarray) -> None:
    """Add the units of a lane-based family (``index`` with its ``lane`` column) to ``lane_use``."""
    np.add.at(lane_use, index["lane"].astype(np.int64), np.clip(quantities, 0, None))


def _rounded_up(form, values: np.ndarray) -> np.ndarray:
    """The LP solution with every warehouse and listing it uses at all set to 1 (still feasible:
    listings only appear on the large side of their linking rows)."""
    rounded = values.copy()
    compiled = form.compile()
    for family in form.first.families[:2]:
        start = compiled.column_offset(family.component)
        part = rounded[start : start + len(family)]
        rounded[start : start + len(family)] = np.where(part > 1e-9, 1.0, 0.0)
    return rounded


def capacity_shares(d: RoutingData, relaxed: list[BlockResult]) -> list[Capacities]:
    """Each block's part of every capacity, in proportion to its use of it in the bound pass:
    peak stock volume, units released per warehouse, units per lane (equal parts where no
    block used it). The parts of one capacity add up to it, so the blocks' plans fit together."""
    volume, release, lane = (
        _shares(np.array([getattr(r, use) for r in relaxed]))
        for use in ("peak_volume", "released", "lane_use")
    )
    return [
        Capacities(
            _part(d.volume_capacity, v), _part(d.release_capacity, r), _part(d.lane_capacity, u)
        )
        for v, r, u in zip(volume, release, lane, strict=True)
    ]


def _shares(use: np.ndarray) -> np.ndarray:
    """Blocks x resources: each block's share of each resource's total use."""
    total = use.sum(axis=0)
    return np.where(total > 0, use / np.where(total > 0, total, 1.0), 1.0 / len(use))


def _part(capacity: np.ndarray, share: np.ndarray) -> np.ndarray:
    """``share`` of each finite capacity; unlimited stays unlimited."""
    finite = np.isfinite(capacity)
    return np.where(finite, np.where(finite, capacity, 0.0) * share, np.inf)


def combine(d: RoutingData, plans: list[BlockResult], opened: np.ndarray, fixed: float):
    """One set of plan tables and KPIs from the blocks' (plus the warehouses' fixed cost)."""
    frames = {
        name: pd.concat([p.frames[name] for p in plans], ignore_index=True)
        for name in ("inbound", "stock", "channel_mix")
    }
    tax = pd.concat([p.frames["tax"] for p in plans], ignore_index=True)
    frames["tax"] = regroup_tax(tax)
    breakdown = (
        pd.concat([p.frames["cost_breakdown"] for p in plans])
        .groupby("component", sort=False)["cost"]
        .sum()
    )
    breakdown["bonded_fixed"] = fixed
    frames["cost_breakdown"] = breakdown.reset_index()
    frames["bonded"] = _bonded(d, frames["stock"], frames["inbound"], plans, opened)
    k = [p.kpis for p in plans]
    units: dict[str, float] = {}
    for kp in k:
        for channel, q in kp["channel_units"].items():
            units[channel] = units.get(channel, 0.0) + q
    served = {id(kp): sum(q for c, q in kp["channel_units"].items() if c != "lost") for kp in k}
    served_units = sum(served.values())
    lost = float(sum(kp["lost_sales"] for kp in k))
    days = sum((kp["average_delivery_days"] or 0.0) * served[id(kp)] for kp in k)
    kpis = {
        "plan_cost": float(breakdown.sum()),
        "revenue": float(sum(kp["revenue"] for kp in k)),
        "profit": float(sum(kp["profit"] for kp in k)) - fixed,
        "tax_paid": float(frames["tax"]["tax"].sum()),
        "fill_rate": served_units / (served_units + lost) if served_units + lost > 0 else None,
        "lost_sales": lost,
        "average_delivery_days": days / served_units if served_units > 0 else None,
        "bonded_warehouses_used": [d.BONDED[b] for b in opened],
        "skus_listed": int(sum(kp["skus_listed"] for kp in k)),
        "channel_units": units,
        "tax_rules": d.tax_rules,
        "first_stage_cost": float(sum(p.first_stage_cost for p in plans)) + fixed,
    }
    return frames, kpis


def _bonded(
    d: RoutingData,
    stock: pd.DataFrame,
    inbound: pd.DataFrame,
    plans: list[BlockResult],
    opened: np.ndarray,
) -> pd.DataFrame:
    """The warehouses' table of the combined plan; the peak stock of a month is its opening
    stock (the month before's end) plus its arrivals."""
    volume = dict(zip(d.SKUS, d.volume, strict=True))
    position = {m: t for t, m in enumerate(d.MONTHS)}
    opening = stock.assign(t=stock["month"].map(position) + 1, units=stock["stock"])
    arrivals = inbound.assign(t=inbound["arrival_month"].map(position), units=inbound["quantity"])
    held = pd.concat(
        [
            f[["bonded_warehouse", "sku", "t", "units"]]
            for f in (opening[opening["t"] < len(d.MONTHS)], arrivals)
        ]
    )
    by_month = (
        held.assign(volume=held["sku"].map(volume) * held["units"])
        .groupby(["bonded_warehouse", "t"])["volume"]
        .sum()
    )
    peak = by_month.groupby(level=0).max().reindex(d.BONDED, fill_value=0.0).to_numpy()
    used = np.isin(np.arange(len(d.BONDED)), opened)
    listed = sum(p.frames["bonded"]["skus_listed"].to_numpy() for p in plans)
    return bonded_table(d, used, listed, peak)
