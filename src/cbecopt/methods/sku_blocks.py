"""SKU blocks: solve a large routing instance by blocks of SKUs, with a proven optimality gap.

The method (see :mod:`cbecopt.models.routing.blocks` for the routing side: how the
instance splits into blocks, how each block is bounded and planned, and why the sum of the
blocks' relaxations is a lower bound) runs two passes over the blocks: the bound pass (each
block's LP relaxation with its share of every fixed cost) and the plan pass (each block
restricted to the warehouses the bound pass uses, with its share of every capacity).

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
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cbecopt.analytics import var_cvar
from cbecopt.errors import OptionError
from cbecopt.highs import ABANDON_SECONDS, SolveOptions
from cbecopt.limits import STOP_SIGNALS, Budget, request_stop_everywhere
from cbecopt.methods import Task
from cbecopt.models.routing.blocks import (
    OPEN_SHARE,
    TIMINGS,
    BlockResult,
    capacity_shares,
    combine,
    solve_block,
    unfinished_block,
)
from cbecopt.models.routing.build import RoutingProblem
from cbecopt.models.routing.data import RoutingData
from cbecopt.results import Result, Run, Status
from cbecopt.stochastic.twostage import RiskOptions

log = logging.getLogger(__name__)

APPLIES_TO = ("routing",)
"""SKU blocks split the routing model, whose SKUs share only warehouses, lanes and targets."""
WALL_PARTS = ("bound_pass", "plan_pass")
"""The method's timings: wall-clock time of each pass."""
POOL_MIN_SECONDS = 15.0
"""Worker processes start by importing Pyomo and pandas (a few seconds each on a loaded
machine): with less time than this left, the blocks are solved in this process."""


def _stop_worker(signum, frame) -> None:
    """A worker's answer to Ctrl-C or SIGTERM: stop its solve, return what it has."""
    request_stop_everywhere(STOP_SIGNALS[signal.Signals(signum)])


def _worker_setup() -> None:
    for s in STOP_SIGNALS:
        signal.signal(s, _stop_worker)


def solve(task: Task, run: Run) -> Result:
    """Solve the routing problem of ``task`` block by block (``config.sku_blocks`` SKUs each);
    see the module docstring.

    ``options.threads`` worker processes (default: the machine's cores) solve blocks side by
    side, each HiGHS on one thread; the time limit covers the whole call.
    """
    if task.reports:
        raise OptionError("reports are not available when solving by SKU blocks")
    if task.write_model is not None:
        raise OptionError("a model file is one model; solving by SKU blocks solves many")
    if run.options.marginal_values:
        raise OptionError(
            "marginal values are the duals of one model; solving by SKU blocks solves many"
        )
    block_size = getattr(task.config, "sku_blocks", None)
    if block_size is None:
        raise OptionError(
            "method sku_blocks needs a block size: RoutingConfig(sku_blocks=N) (--sku-blocks N)"
        )
    problem = task.problem
    risk = task.risk or RiskOptions()
    options = run.options
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
    clock = dict.fromkeys(TIMINGS, 0.0)
    phase = time.perf_counter()
    call = _Call(run, problem, clock)
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
                for b, capacities in zip(blocks, capacity_shares(d, relaxed), strict=True)
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
    tables, kpis = combine(d, plans, opened, fixed)
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
    step = f"SKU blocks, {'plan' if plan else 'bound'} pass"
    log.info("%s: solving %d blocks", step, n)
    args = [(d, name, options, budget.deadline, plan) for d in datas]
    if pool is None:
        results = []
        for i, a in enumerate(args, start=1):
            log.info("%s: block %d/%d", step, i, n)
            results.append(
                _solve_here(a, dataclasses.replace(a[2], budget=budget))
                if not budget.expired()
                else unfinished_block(a[0], f"{budget.why_stopped()} before this block", 0.0)
            )
    else:
        with _sigint_ignored():  # workers start ignoring Ctrl-C until their handlers are set
            futures = [pool.submit(solve_block, *a) for a in args]
        _wait_or_stop(pool, futures, budget, step)
        results = [_block_result(f, d) for f, d in zip(futures, datas, strict=True)]
    for r in results:
        for key in TIMINGS:
            clock[key] += r.timings[key]
    return results


def _wait_or_stop(pool, futures, budget: Budget, step: str) -> None:
    """Wait for the workers, logging each block done (``step: i/n blocks done``); pass a stop
    request on to them (SIGTERM), and once the budget has expired give them ABANDON_SECONDS
    to return before killing them (a worker inside HiGHS's root LP cannot be interrupted)."""
    processes = list(getattr(pool, "_processes", {}).values())
    signalled = give_up_at = None
    done = 0
    while not all(f.done() for f in futures):
        wait(futures, timeout=0.1)
        finished = sum(f.done() for f in futures)
        if finished > done:
            done = finished
            log.info("%s: %d/%d blocks done", step, done, len(futures))
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
        return unfinished_block(data, "time limit reached; its worker was stopped", 0.0)


def _solve_here(args, options: SolveOptions) -> BlockResult:
    """One block in this process, on the call's own budget (a stop reaches it directly)."""
    data, name, _, deadline, plan = args
    return solve_block(data, name, options, deadline, plan)


def _no_plan(call: _Call, solved: list[BlockResult], bound: float | None = None) -> Result:
    """The result of a pass a block of which ended without a plan (or bound): which and why."""
    worst = next(s for s in solved if s.objective is None or s.bound is None)
    status = (
        Status.NO_SOLUTION if worst.status in (Status.OPTIMAL, Status.FEASIBLE) else worst.status
    )
    skus = ", ".join(map(str, worst.skus[:3]))
    why = f"a SKU block ({skus}, ...) ended {worst.status.value}: {worst.termination}"
    return call.result(status, why, bound=bound, diagnosis=[why])


@dataclass
class _Call:
    """What every result of one call shares: the run, the problem, and the clock (wall-clock
    phases; the workers' own seconds per step, summed over blocks, kept apart)."""

    run: Run
    problem: RoutingProblem
    clock: dict[str, float]

    def result(
        self, status: Status, termination: str, *, blocks: int = 0, **numbers: Any
    ) -> Result:
        parts = {k: v for k, v in self.clock.items() if k in WALL_PARTS}
        workers = {k: round(v, 6) for k, v in self.clock.items() if k in TIMINGS}
        return self.run.result(
            status,
            termination,
            parts=parts,
            size={
                "scenarios": len(self.problem.data.scenario_names),
                "skus": len(self.problem.data.SKUS),
                "sku_blocks": blocks,
            },
            solver={"name": "highs", "method": "SKU blocks", "worker_seconds": workers},
            **numbers,
        )
