"""SKU blocks for the ``network`` model: a bound from one relaxation per SKU, then the whole
model with the price segments those relaxations chose (:mod:`cbecopt.models.network.blocks`).

1. **Bound pass** (at most :data:`BOUND_SHARE` of the time left): every SKU's relaxation
   (shared fixed costs split, whole capacities, no delivery targets) solved as a MIP, side by
   side in worker processes with one HiGHS thread each. The sum of their proven bounds is a
   lower bound of the whole model's optimum; it keeps the all-units price segments the LP
   relaxation loses.
2. **Plan pass** (the rest): the whole model, every all-units offer's price segment fixed to
   the one its SKU's relaxation bought at and every node no relaxation used kept closed
   (:func:`~cbecopt.models.network.blocks.unused_by_all`), solved as by
   :func:`~cbecopt.methods.warm_start.solve_warm` with the fixed-charge decisions some SKU's
   relaxation used rounded up in place of its LP relaxation
   (:func:`~cbecopt.models.network.blocks.used_by_any`), that first plan's shared warehouses
   consolidated (:mod:`cbecopt.models.network.consolidation`: each relaxation pays a share
   of a warehouse, so they spread over zones a whole plan pays for in full) before HiGHS
   starts from it. Should the fixings leave it no plan (a supplier's capacity shared by SKUs
   that each chose a deep discount), the whole model is solved without them.

The result is the plan of step 2 with the bound of step 1 (or the free solve's bound when
that is higher): ``optimal`` only when the gap between them is within the MIP gap asked for.
Measured on ``network_demo`` (40 SKUs, 3 scenarios) with 60 s on 2 cores: the relaxations
add up to 630.4 M (34 s) and the plan of step 2 costs 631.8 M (gap 0.21%, found after 56 s),
where the extensive form from an LP rounding ended at 659.5 M with a bound of 621.1 M (gap
5.8%) after 600 s.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from dataclasses import dataclass

import pandas as pd

from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions, relative_gap
from cbecopt.instance import Instance
from cbecopt.methods import Task
from cbecopt.methods.extensive_form import solution_tables
from cbecopt.methods.sku_blocks import POOL_MIN_SECONDS, BlockPass, run_blocks, worker_pool
from cbecopt.models.network.blocks import (
    SkuBlock,
    segment_fixings,
    solve_sku_block,
    unfinished_block,
    unused_by_all,
    used_by_any,
)
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.strategies import Restriction, Solved, solve_restriction
from cbecopt.results import Result, Run, Status
from cbecopt.sku_split import sku_relaxations
from cbecopt.stochastic.twostage import RiskOptions

BOUND_SHARE = 0.6
"""Most of the time left the bound pass may take; the plan pass has the rest (on the demo
with 60 s: 34 s for the 40 relaxations on 2 workers, 17 s for the consolidation)."""
BOUND_PASS_HIGHS_OPTIONS = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_pscost_minreliable": 0,
}
"""HiGHS's primal heuristics and its strong branching off in the SKUs' relaxations (options
the user gives win): a relaxation is small enough for plain branching to prove its optimum,
and its heuristics' sub-MIPs took two thirds of its time. Measured on ``network_demo``, one
relaxation after another: its first 8 SKUs in 34.2 s with HiGHS's defaults and 14.2 s
without the heuristics; all 40 in 88.6 s without the heuristics and 59.0 s without strong
branching too; the same optima (bounds adding up to 630,437,907)."""


def solve(task: Task, run: Run) -> Result:
    """Solve the ``network`` problem of ``task`` by SKU blocks (module docstring);
    ``options.threads`` worker processes (default: the machine's cores)."""
    if task.instance is None:
        raise OptionError("solving the network by SKU blocks needs the instance it was read from")
    risk = task.risk or RiskOptions()
    by_blocks = solve_by_blocks(task.instance, task.problem.data, run.options, risk, task.config)
    return _result(task, run, by_blocks)


@dataclass
class BlocksSolved:
    """The two passes of one solve by SKU blocks: the SKUs' relaxations, the plan pass's
    solve, the bound (``None`` when a relaxation has none), whether the segments stayed fixed
    (no: the whole model was solved free), the workers and the seconds by part."""

    blocks: list[SkuBlock]
    solved: Solved
    bound: float | None
    fixed: bool
    workers: int
    clock: dict[str, float]


def solve_by_blocks(
    instance: Instance, data: NetworkData, options: SolveOptions, risk: RiskOptions, config=None
) -> BlocksSolved:
    """Both passes of the module on ``data`` (the ``network`` model's data of ``instance``,
    which the SKUs' relaxations are cut from) within ``options``' budget; risk-neutral only."""
    if risk.weight > 0:
        raise OptionError("CVaR does not split by SKU: solve by SKU blocks risk-neutral only")
    options = options.begin()
    clock: dict[str, float] = {}
    phase = time.perf_counter()
    relaxations = sku_relaxations(instance)
    workers = max(1, min(options.threads or os.cpu_count() or 1, len(relaxations)))
    left = options.budget.remaining()
    if left is not None and left < POOL_MIN_SECONDS:
        workers = 1  # starting worker processes would take most of what is left
    single = dataclasses.replace(
        options,
        threads=1,
        budget=None,
        highs_options={**BOUND_PASS_HIGHS_OPTIONS, **options.highs_options},
    )
    bound_pass = BlockPass(
        "SKU blocks, bound pass",
        functools.partial(solve_sku_block, config=config),
        lambda job, why: unfinished_block(job.sku, why),
    )
    with worker_pool(workers) as pool:
        blocks = run_blocks(
            pool,
            bound_pass,
            relaxations,
            single,
            options.budget.until(options.budget.portion(BOUND_SHARE)),
            clock,
        )
    clock["bound_pass"] = time.perf_counter() - phase
    phase = time.perf_counter()
    bound = sum(b.bound for b in blocks) if all(b.bound is not None for b in blocks) else None
    fixings = {**segment_fixings(data, blocks), **unused_by_all(data, blocks)}
    solved = solve_restriction(
        Restriction(data, fixings), options, risk, used=used_by_any(data, blocks), consolidated=True
    )
    fixed = True
    if solved.outcome.status == Status.INFEASIBLE and not options.budget.expired():
        solved = solve_restriction(Restriction(data), options, risk)
        fixed = False
    if not fixed and solved.outcome.bound is not None:
        bound = solved.outcome.bound if bound is None else max(bound, solved.outcome.bound)
    clock["plan_pass"] = time.perf_counter() - phase
    return BlocksSolved(blocks, solved, bound, fixed, workers, clock)


def _cluster() -> dict[str, str]:
    """Where the relaxations ran when it was a Dask cluster (``--workers``, ``--scheduler``)."""
    from cbecopt.batch import current_batch  # the batch layer runs the pipeline: late

    batch = current_batch()
    if not batch.on_cluster:
        return {}
    return {"cluster": batch.scheduler or f"local Dask cluster of {batch.workers} workers"}


def proven_by(objective: float, bound: float | None, mip_rel_gap: float) -> tuple:
    """The gap of a plan of cost ``objective`` to the relaxations' ``bound`` (``None``
    without one) and its status: ``optimal`` only within ``mip_rel_gap``."""
    gap = None if bound is None else relative_gap(objective, min(bound, objective))
    return gap, Status.OPTIMAL if gap is not None and gap <= mip_rel_gap else Status.FEASIBLE


def _result(task: Task, run: Run, by_blocks: BlocksSolved) -> Result:
    """The plan of the plan pass with the bound pass's bound (module docstring)."""
    blocks, solved, bound = by_blocks.blocks, by_blocks.solved, by_blocks.bound
    fixed, workers, clock = by_blocks.fixed, by_blocks.workers, by_blocks.clock
    outcome = solved.outcome
    parts = {k: clock[k] for k in ("bound_pass", "plan_pass")}
    workers_seconds = {k: round(v, 6) for k, v in clock.items() if k not in parts}
    size = {
        "scenarios": len(task.problem.data.scenario_names),
        "skus": len(task.problem.data.skus),
        "sku_blocks": len(blocks),
        **(solved.form.compile().size() if solved.form is not None else {}),
    }
    solver = {
        "name": "highs",
        "method": "SKU blocks",
        "workers": workers,
        **_cluster(),
        "worker_seconds": workers_seconds,
        "bound_from": "sum of the SKUs' relaxations (shared fixed costs split by demand "
        "value, whole capacities, no delivery targets)",
        "segments_fixed": fixed,
    }
    unproved = [b for b in blocks if b.bound is None]
    if outcome.values is None:
        why = outcome.termination or "the plan pass found no plan"
        diagnosis = (
            [run.options.budget.no_solution_advice()]
            if outcome.status == Status.NO_SOLUTION
            else [why]
        )
        return run.result(
            outcome.status,
            why,
            parts=parts,
            bound=bound,
            diagnosis=diagnosis,
            size=size,
            solver=solver,
        )
    gap, status = proven_by(outcome.objective, bound, run.options.mip_rel_gap)
    if unproved:
        termination = (
            f"SKU blocks: {len(unproved)} of {len(blocks)} relaxations ended without a bound "
            f"({unproved[0].sku}: {unproved[0].termination}); no bound"
        )
    else:
        termination = f"SKU blocks: gap {gap:.4%} proven by the SKUs' relaxations"
    tables, kpis = solution_tables(
        solved.form, outcome.values, task.problem, task.extract, task.risk or RiskOptions()
    )
    kpis["sku_blocks"] = len(blocks)
    kpis["workers"] = workers
    tables["sku_blocks"] = pd.DataFrame(
        {
            "sku": [b.sku for b in blocks],
            "status": [b.status.value for b in blocks],
            "objective": [b.objective for b in blocks],
            "bound": [b.bound for b in blocks],
        }
    )
    return run.result(
        status,
        termination,
        parts=parts,
        objective=outcome.objective,
        bound=bound,
        gap=gap,
        tables=tables,
        kpis=kpis,
        size=size,
        solver=solver,
    )
