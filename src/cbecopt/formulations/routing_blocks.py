"""Solve a large routing instance by blocks of SKUs, with a proven optimality gap.

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

Blocks are independent, so they are solved in parallel worker processes (one HiGHS thread
each). Every block and both passes share the call's time budget: each worker is handed the
call's deadline (a :func:`time.monotonic` reading, system-wide on Linux) and a stop request
(Ctrl-C, SIGTERM) reaches the workers too; a block the budget cuts short leaves no plan.
The gap between plan and bound is reported; the status is ``feasible`` (the plan is
proven within the gap, not optimal), however small the gap. Risk-neutral only: CVaR does not
split by SKU. The result does not depend on the number of workers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cbecopt.analytics import var_cvar
from cbecopt.formulations.routing import RoutingProblem, bonded_table, extract_routing
from cbecopt.formulations.routing_data import Capacities, RoutingData
from cbecopt.highs import ABANDON_SECONDS, SolveOptions
from cbecopt.limits import STOP_SIGNALS, Budget, OutOfTime, request_stop_everywhere
from cbecopt.results import Result, Status
from cbecopt.stochastic.twostage import RiskOptions, build_extensive_form, solve_extensive_form

log = logging.getLogger(__name__)

TIMINGS = ("build", "handoff", "solve", "extract")
"""Worker time per step, summed over blocks (in ``solver.worker_seconds``: workers run side by
side, so these sums can exceed the wall clock)."""
WALL_PARTS = ("prepare", "bound_pass", "plan_pass")
"""The result's timings: wall-clock time of each phase."""
POOL_MIN_SECONDS = 15.0
"""Worker processes start by importing Pyomo and pandas (a few seconds each on a loaded
machine): with less time than this left, the blocks are solved in this process."""
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
    tables: dict = field(default_factory=dict)
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
    if options.budget is None:  # a worker process: a budget of its own, to the same deadline
        options = dataclasses.replace(
            options, budget=Budget(None if deadline is None else deadline - time.monotonic())
        )
    budget = options.budget
    problem = RoutingProblem(data, name)
    t0 = time.perf_counter()
    try:
        form = build_extensive_form(problem, problem.scenarios(), budget=budget)
    except OutOfTime as stopped:
        return _unfinished_block(data, f"{stopped} while building", time.perf_counter() - t0)
    t1 = time.perf_counter()
    compiled = form.compile()
    t2 = time.perf_counter()
    solution = solve_extensive_form(form, options, None, None, relax=True)
    out = solution.outcome
    t3 = time.perf_counter()
    used, released, peak = (np.zeros(len(data.BONDED)) for _ in range(3))
    lane_use = np.zeros(len(data.lanes))
    tables, kpis, costs, first = {}, {}, None, 0.0
    objective = bound = None
    values = out.values
    if values is not None and out.status == Status.OPTIMAL:
        bound = out.objective
        if plan:
            values = _rounded_up(form, values)
        objective = float(np.dot(compiled.lp.col_cost_, values)) + compiled.objective_constant
        used = np.rint(form.values_of(values, form.first.families[0]))
        _add_lane_use(lane_use, data.inbound, form.values_of(values, form.first.families[2]))
        for scenario in form.names:
            block = form.model.scenario[scenario]
            stock = form.values_of(values, block.component("stock"))
            by_month = np.zeros((len(data.BONDED), len(data.MONTHS)))
            np.add.at(
                by_month, (data.stock["b"], data.stock["t"]), data.volume[data.stock["k"]] * stock
            )
            peak = np.maximum(peak, by_month.max(axis=1))
            release = np.clip(form.values_of(values, block.component("release")), 0, None)
            np.add.at(released, data.release["b"], release)
            _add_lane_use(lane_use, data.release, release)
            _add_lane_use(lane_use, data.direct, form.values_of(values, block.component("direct")))
        costs = form.scenario_costs(values)
        first = form.first_stage_cost(values)
        if plan:
            tables, kpis = extract_routing(problem, form, values)
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
        tables,
        kpis,
        timings,
    )


def _unfinished_block(data: RoutingData, why: str, build_seconds: float) -> BlockResult:
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


def _stop_worker(signum, frame) -> None:
    """A worker's answer to Ctrl-C or SIGTERM: stop its solve, return what it has."""
    request_stop_everywhere(STOP_SIGNALS[signal.Signals(signum)])


def _worker_setup() -> None:
    for s in STOP_SIGNALS:
        signal.signal(s, _stop_worker)


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


def solve_by_sku_blocks(
    problem: RoutingProblem,
    options: SolveOptions,
    block_size: int,
    risk: RiskOptions | None = None,
    instance: str = "",
    load_seconds: float = 0.0,
    config: dict | None = None,
    prepare_seconds: float = 0.0,
) -> Result:
    """Solve ``problem`` block by block (``block_size`` SKUs each); see the module docstring.

    ``options.threads`` worker processes (default: the machine's cores) solve blocks side by
    side, each HiGHS on one thread; the time limit covers the whole call.
    """
    risk = risk or RiskOptions()
    options = options.begin()
    d = problem.data
    blocks = [
        np.arange(i, min(i + block_size, len(d.SKUS))) for i in range(0, len(d.SKUS), block_size)
    ]
    weight = d.probabilities @ d.demand
    shares = [float(weight[np.isin(d.demand_keys["k"], b)].sum() / weight.sum()) for b in blocks]
    everywhere = np.arange(len(d.BONDED))
    workers = max(1, min(options.threads or os.cpu_count() or 1, len(blocks)))
    left = options.budget.remaining()
    if left is not None and left < POOL_MIN_SECONDS:
        workers = 1  # starting worker processes would take most of what is left
    single = dataclasses.replace(options, threads=1, budget=None)
    clock = dict.fromkeys(TIMINGS, 0.0) | {"prepare": prepare_seconds}
    phase = time.perf_counter()
    call = _Call(problem, clock, load_seconds, instance, options, config)
    with _pool(workers) as pool:
        relaxed = _run(
            pool,
            [
                d.restrict(b, everywhere, delivery_targets=False, fixed_cost_share=s)
                for b, s in zip(blocks, shares, strict=True)
            ],
            problem.instance_name,
            single,
            options.budget,
            plan=False,
            clock=clock,
        )
        clock["bound_pass"] = time.perf_counter() - phase
        phase = time.perf_counter()
        if any(r.bound is None for r in relaxed):
            return _no_plan(call, relaxed)
        bound = float(sum(r.bound for r in relaxed))
        released = np.sum([r.released for r in relaxed], axis=0)
        opened = np.flatnonzero(released >= OPEN_SHARE * max(released.sum(), 1e-9))
        plans = _run(
            pool,
            [
                d.restrict(b, opened, capacities, delivery_targets=True)
                for b, capacities in zip(blocks, _capacity_shares(d, relaxed), strict=True)
            ],
            problem.instance_name,
            single,
            options.budget,
            plan=True,
            clock=clock,
        )
    clock["plan_pass"] = time.perf_counter() - phase
    if any(p.objective is None for p in plans):
        return _no_plan(call, plans, bound)
    fixed = float(d.fixed_cost[opened].sum()) * len(d.MONTHS)
    objective = fixed + float(sum(p.objective for p in plans))
    tables, kpis = _combine(d, plans, opened, fixed)
    costs = fixed + np.sum([p.scenario_costs for p in plans], axis=0)
    probabilities = d.probabilities / d.probabilities.sum()
    var, cvar = var_cvar(costs, probabilities, risk.alpha)
    kpis |= {
        "expected_cost": float(probabilities @ costs),
        "cost_var": var,
        "cost_cvar": cvar,
        "alpha": risk.alpha,
        "sku_blocks": len(blocks),
        "workers": workers,
        "bound_from": "sum of SKU-block relaxations (fixed costs shared by demand, no delivery targets)",
    }
    tables["scenarios"] = pd.DataFrame(
        {"scenario": list(d.scenario_names), "probability": d.probabilities, "cost": costs}
    )
    gap = max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    return call.result(
        Status.FEASIBLE,
        f"SKU blocks: gap {gap:.4%} proven by the block relaxations",
        objective=objective,
        bound=bound,
        gap=gap,
        tables=tables,
        kpis=kpis,
        blocks=len(blocks),
    )


def _pool(workers: int):
    """Worker processes started fresh (spawn): no state shared with this process's threads.

    Spawned workers re-import the main script, so a session without one (``python -``, ``-c``,
    some notebooks) solves the blocks here, one after another.
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if workers == 1 or path is None or not os.path.exists(path):
        return contextlib.nullcontext(None)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_setup,
    )


def _run(pool, datas, name, options, budget, plan, clock) -> list[BlockResult]:
    """Solve the blocks (in the pool if there is one), in block order, by the budget's
    deadline; add their timings to ``clock``. A stop request of the call is passed on to the
    workers as SIGTERM (a worker still starting ends quietly; one at work stops its solve)."""
    n = len(datas)
    log.info("SKU blocks: solving %d blocks%s", n, "" if plan else " (LP bound pass)")
    args = [(d, name, options, budget.deadline, plan) for d in datas]
    if pool is None:
        results = [
            _solve_here(a, dataclasses.replace(a[2], budget=budget))
            if not budget.expired()
            else _unfinished_block(a[0], f"{budget.why_stopped()} before this block", 0.0)
            for a in args
        ]
    else:
        with _sigint_ignored():  # workers start ignoring Ctrl-C until their handlers are set
            futures = [pool.submit(solve_block, *a) for a in args]
        _wait_or_stop(pool, futures, budget)
        results = [_block_result(f, d) for f, d in zip(futures, datas, strict=True)]
    for r in results:
        for key in TIMINGS:
            clock[key] += r.timings[key]
    return results


def _wait_or_stop(pool, futures, budget: Budget) -> None:
    """Wait for the workers; pass a stop request on to them (SIGTERM), and once the budget has
    expired give them ABANDON_SECONDS to return before killing them (a worker inside HiGHS's
    root LP cannot be interrupted)."""
    processes = list(getattr(pool, "_processes", {}).values())
    signalled = give_up_at = None
    while not all(f.done() for f in futures):
        wait(futures, timeout=0.1)
        if budget.stop_reason is not None and not signalled:
            signalled = _signal_all(processes, signal.SIGTERM)
        if give_up_at is None and budget.expired():
            give_up_at = time.monotonic() + ABANDON_SECONDS
        if give_up_at is not None and time.monotonic() >= give_up_at:
            _signal_all(processes, signal.SIGKILL)
            wait(futures)
            return


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored while worker processes are started: they inherit it, so a Ctrl-C on the
    terminal (sent to every process of the group) does not break a worker still importing;
    their initializer then installs the stop handlers."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _signal_all(processes, signum) -> bool:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)
    return True


def _block_result(future, data: RoutingData) -> BlockResult:
    """A worker's result, or an unfinished block for a worker that was killed at the deadline."""
    try:
        return future.result()
    except BrokenProcessPool:
        return _unfinished_block(data, "time limit reached; its worker was stopped", 0.0)


def _solve_here(args, options: SolveOptions) -> BlockResult:
    """One block in this process, on the call's own budget (a stop reaches it directly)."""
    data, name, _, deadline, plan = args
    return solve_block(data, name, options, deadline, plan)


def _capacity_shares(d: RoutingData, relaxed: list[BlockResult]) -> list[Capacities]:
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


def _combine(d: RoutingData, plans: list[BlockResult], opened: np.ndarray, fixed: float):
    """One set of plan tables and KPIs from the blocks' (plus the warehouses' fixed cost)."""
    tables = {
        name: pd.concat([p.tables[name] for p in plans], ignore_index=True)
        for name in ("inbound", "stock", "channel_mix")
    }
    tax = pd.concat([p.tables["tax"] for p in plans], ignore_index=True)
    tables["tax"] = (
        tax.groupby(["channel", "regime"], sort=False)[["units", "tax"]].sum().reset_index()
    )
    breakdown = (
        pd.concat([p.tables["cost_breakdown"] for p in plans])
        .groupby("component", sort=False)["cost"]
        .sum()
    )
    breakdown["bonded_fixed"] = fixed
    tables["cost_breakdown"] = breakdown.reset_index()
    tables["bonded"] = _bonded(d, tables["stock"], plans, opened)
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
        "tax_paid": float(tables["tax"]["tax"].sum()),
        "fill_rate": served_units / (served_units + lost) if served_units + lost > 0 else None,
        "lost_sales": lost,
        "average_delivery_days": days / served_units if served_units > 0 else None,
        "bonded_warehouses_used": [d.BONDED[b] for b in opened],
        "skus_listed": int(sum(kp["skus_listed"] for kp in k)),
        "channel_units": units,
        "tax_rules": d.tax_rules,
        "first_stage_cost": float(sum(p.first_stage_cost for p in plans)) + fixed,
    }
    return tables, kpis


def _bonded(
    d: RoutingData, stock: pd.DataFrame, plans: list[BlockResult], opened: np.ndarray
) -> pd.DataFrame:
    volume = dict(zip(d.SKUS, d.volume, strict=True))
    by_month = (
        stock.assign(volume=stock["sku"].map(volume) * stock["stock"])
        .groupby(["bonded_warehouse", "month"])["volume"]
        .sum()
    )
    peak = by_month.groupby(level=0).max().reindex(d.BONDED, fill_value=0.0).to_numpy()
    used = np.isin(np.arange(len(d.BONDED)), opened)
    listed = sum(p.tables["bonded"]["skus_listed"].to_numpy() for p in plans)
    return bonded_table(d, used, listed, peak)


def _no_plan(call: _Call, solved: list[BlockResult], bound: float | None = None) -> Result:
    worst = next(s for s in solved if s.objective is None or s.bound is None)
    status = (
        Status.NO_SOLUTION if worst.status in (Status.OPTIMAL, Status.FEASIBLE) else worst.status
    )
    skus = ", ".join(map(str, worst.skus[:3]))
    why = f"a SKU block ({skus}, ...) ended {worst.status.value}: {worst.termination}"
    return call.result(status, why, bound=bound, diagnosis=[why])


@dataclass
class _Call:
    """What every result of one solve_by_sku_blocks call shares: the problem, the clock
    (block timings summed) and the call's settings."""

    problem: RoutingProblem
    clock: dict[str, float]
    load_seconds: float
    instance: str
    options: SolveOptions
    config: dict | None

    def result(
        self,
        status: Status,
        termination: str,
        *,
        objective: float | None = None,
        bound: float | None = None,
        gap: float | None = None,
        tables: dict | None = None,
        kpis: dict | None = None,
        blocks: int = 0,
        diagnosis: list[str] | None = None,
    ) -> Result:
        parts = {k: v for k, v in self.clock.items() if k in WALL_PARTS}
        workers = {k: round(v, 6) for k, v in self.clock.items() if k in TIMINGS}
        return Result(
            model="routing",
            instance=self.instance,
            status=status,
            termination=termination,
            objective=objective,
            bound=bound,
            gap=gap,
            timings=self.options.budget.timings(parts, self.load_seconds),
            tables=tables or {},
            kpis=kpis or {},
            diagnosis=diagnosis or [],
            size={
                "scenarios": len(self.problem.data.scenario_names),
                "skus": len(self.problem.data.SKUS),
                "sku_blocks": blocks,
            },
            options={**self.options.as_dict(), "model": self.config or {}},
            solver={"name": "highs", "method": "SKU blocks", "worker_seconds": workers},
        )
