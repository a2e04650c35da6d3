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
import functools
import logging
import multiprocessing
import os
import signal
import sys
import time
import types
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cbecopt.analytics import var_cvar
from cbecopt.errors import OptionError
from cbecopt.highs import ABANDON_SECONDS
from cbecopt.limits import STOP_SIGNALS, Budget, request_stop_everywhere
from cbecopt.methods import Task
from cbecopt.models.network.build import NetworkProblem
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

APPLIES_TO = ("routing", "network")
"""SKU blocks split the routing model, whose SKUs share only warehouses, lanes and targets,
and the network model (:mod:`cbecopt.methods.network_blocks`)."""
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
    if task.instance is not None and isinstance(task.problem, NetworkProblem):
        from cbecopt.methods import network_blocks

        return network_blocks.solve(task, run)
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
    with worker_pool(workers) as pool:
        relaxed = run_blocks(
            pool,
            _routing_pass(problem.instance_name, plan=False),
            [
                d.restrict(b, everywhere, delivery_targets=False, fixed_cost_share=s)
                for b, s in zip(blocks, shares, strict=True)
            ],
            single,
            options.budget,
            clock,
        )
        clock["bound_pass"] = time.perf_counter() - phase
        phase = time.perf_counter()
        if any(r.bound is None for r in relaxed):
            return _no_plan(call, relaxed)
        bound = float(sum(r.bound for r in relaxed))
        released = np.sum([r.released for r in relaxed], axis=0)
        opened = np.flatnonzero(released >= OPEN_SHARE * max(released.sum(), 1e-9))
        plans = run_blocks(
            pool,
            _routing_pass(problem.instance_name, plan=True),
            [
                d.restrict(b, opened, capacities, delivery_targets=True)
                for b, capacities in zip(blocks, capacity_shares(d, relaxed), strict=True)
            ],
            single,
            options.budget,
            clock,
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


def worker_pool(workers: int):
    """Worker processes started fresh (spawn): no state shared with this process's threads.
    They import only cbecopt, never the calling script (:func:`_without_main_script`). On a
    Dask cluster (:func:`cbecopt.batch.running_on`: ``--workers``, ``--scheduler``) the
    cluster's :class:`~cbecopt.batch.Batch` stands for the pool: each block is a task there."""
    from cbecopt.batch import current_batch  # the batch layer runs the pipeline: late

    batch = current_batch()
    if batch.on_cluster:
        return contextlib.nullcontext(batch)
    if workers == 1:
        return contextlib.nullcontext(None)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_setup,
    )


@contextlib.contextmanager
def _without_main_script():
    """While workers are started, ``__main__`` is an empty module: a spawned process imports
    the parent's main script to rebuild it (Python's multiprocessing), which runs a script
    without ``if __name__ == "__main__":`` again, whole solve included, in every worker (and
    fails for ``python -``). Workers run cbecopt's own functions on cbecopt's own objects, so
    they need none of it."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


@dataclass(frozen=True)
class BlockPass:
    """One pass over the blocks: ``worker(job, options, deadline)`` solves one block (a
    module-level function or a ``functools.partial`` of one: it is sent to worker processes)
    and ``unfinished(job, why)`` stands for a block that could not run."""

    step: str
    worker: Callable[..., Any]
    unfinished: Callable[[Any, str], Any]


def run_blocks(pool, blocks: BlockPass, jobs: list, options, budget, clock) -> list:
    """Solve the ``jobs`` (in the pool if there is one), in order, by the budget's deadline;
    add their timings to ``clock``. A stop request of the call is passed on to the workers as
    SIGTERM (a worker still starting ends quietly; one at work stops its solve). Workers that
    died on their own (not stopped at the deadline) leave their blocks to this process, with a
    warning."""
    n = len(jobs)
    log.info("%s: solving %d blocks", blocks.step, n)
    if pool is None:
        results = _solve_here(blocks, jobs, options, budget)
    elif not isinstance(pool, ProcessPoolExecutor):  # a Dask cluster's Batch (worker_pool)
        results = _on_cluster(pool, blocks, jobs, dataclasses.replace(options, budget=budget))
    else:
        with _sigint_ignored(), _without_main_script():  # workers start ignoring Ctrl-C
            futures = [pool.submit(blocks.worker, job, options, budget.deadline) for job in jobs]
        killed = _wait_or_stop(pool, futures, budget, blocks.step)
        results = [_block_result(f, job, blocks) for f, job in zip(futures, jobs, strict=True)]
        died = [i for i, f in enumerate(futures) if isinstance(f.exception(), BrokenProcessPool)]
        if died and not killed:
            log.warning(WORKERS_DIED)
            redone = _solve_here(blocks, [jobs[i] for i in died], options, budget)
            for i, result in zip(died, redone, strict=True):
                results[i] = result
    for r in results:
        for key, seconds in r.timings.items():
            clock[key] = clock.get(key, 0.0) + seconds
    return results


WORKERS_DIED = (
    "SKU blocks: worker processes ended before solving their blocks (killed from outside, or "
    "out of memory?); solving those blocks in this process, one after another"
)


def _on_cluster(batch, blocks: BlockPass, jobs: list, options) -> list:
    """The ``jobs`` as tasks on ``batch``'s Dask cluster (:func:`cbecopt.batch.run_each`:
    each with the time left when it starts, split over the rounds still to come), by the
    deadline of ``options``' budget; a block a stop cancelled is unfinished."""
    from cbecopt.batch import run_each  # the batch layer runs the pipeline: late

    items = {str(i): job for i, job in enumerate(jobs, start=1)}
    done = run_each(blocks.step, items, _block_task, blocks.worker, options, batch)
    why = "stopped before it finished on the cluster"
    return [
        result if result is not None else blocks.unfinished(job, why)
        for result, job in zip(done.values(), jobs, strict=True)
    ]


def _block_task(worker: Callable[..., Any], job, options):
    """One block as a task of :func:`_on_cluster`, by the task's own deadline."""
    return worker(job, options, options.budget.deadline)


def _solve_here(blocks: BlockPass, jobs: list, options, budget) -> list:
    """The ``jobs`` solved in this process, one after another, by the budget's deadline."""
    results = []
    for i, job in enumerate(jobs, start=1):
        log.info("%s: block %d/%d", blocks.step, i, len(jobs))
        results.append(
            blocks.worker(job, dataclasses.replace(options, budget=budget), budget.deadline)
            if not budget.expired()
            else blocks.unfinished(job, f"{budget.why_stopped()} before this block")
        )
    return results


def _routing_block(data: RoutingData, options, deadline, name: str, plan: bool) -> BlockResult:
    return solve_block(data, name, options, deadline, plan)


def _routing_unfinished(data: RoutingData, why: str) -> BlockResult:
    return unfinished_block(data, why, 0.0)


def _routing_pass(name: str, plan: bool) -> BlockPass:
    return BlockPass(
        f"SKU blocks, {'plan' if plan else 'bound'} pass",
        functools.partial(_routing_block, name=name, plan=plan),
        _routing_unfinished,
    )


def _wait_or_stop(pool, futures, budget: Budget, step: str) -> bool:
    """Wait for the workers, logging each block done (``step: i/n blocks done``); pass a stop
    request on to them (SIGTERM), and once the budget has expired give them ABANDON_SECONDS
    to return before killing them (a worker inside HiGHS's root LP cannot be interrupted).
    True when they were stopped or killed so."""
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
            return True
    return bool(signalled)


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


def _block_result(future, job, blocks: BlockPass):
    """A worker's result, or an unfinished block for a worker that was killed at the deadline."""
    try:
        return future.result()
    except BrokenProcessPool:
        return blocks.unfinished(job, "time limit reached; its worker was stopped")


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
