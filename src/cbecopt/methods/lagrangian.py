"""Exact capacitated facility location by Lagrangian branch-and-bound (``--method
lagrangian``, the ``warehouses`` model).

The compact MILP's LP bound sits about 2% under the optimum on the OR-Library capa/capb/capc
instances (100 warehouses x 1000 markets) and its LP alone takes 34-47 s, so HiGHS ends a
120-s solve 10-35% from optimal. The Lagrangian bound keeping the aggregate capacity row
(:mod:`cbecopt.cflp.bound`) is within about 0.1% and takes seconds; :mod:`cbecopt.cflp.branch`
closes the rest. The Pyomo model is built as for every method (it is the model the result's
tables are read from, and can be written with ``--write-model``); the search itself works on
its arrays.

The method covers the multi-source model without lane capacities or bounds on the number of
warehouses opened (:func:`cbecopt.cflp.problem.not_covered`). Any other model, or one with
no feasible plan (for its diagnosis), is solved by the compact MILP, with a warning saying
why. The result's bound is the search's proven bound, its status ``optimal`` only when every
node is closed within the MIP gap.
"""

from __future__ import annotations

import math

import numpy as np

from cbecopt.cflp.branch import CFLPSolution, solve_cflp
from cbecopt.cflp.problem import from_warehouses, not_covered
from cbecopt.errors import OptionError
from cbecopt.highs import CompiledModel, relative_gap
from cbecopt.limits import OutOfTime
from cbecopt.methods import Task, extensive_form
from cbecopt.results import Result, Run, Status
from cbecopt.stochastic.twostage import RiskOptions

APPLIES_TO = ("warehouses",)


def solve(task: Task, run: Run) -> Result:
    """Build the model, search by Lagrangian branch-and-bound, and read the plan into the
    model's tables; the compact MILP where the method does not apply."""
    if task.reports or run.options.marginal_values:
        raise OptionError("method lagrangian gives no reports or marginal values")
    clock = extensive_form.Clock()
    budget = run.options.budget
    try:
        form, built = extensive_form.built_and_handed_off(task, RiskOptions(), run.options, clock)
    except OutOfTime:
        return extensive_form.stopped_before_solving(run, clock)
    prepared = (form, built, clock)  # the compact MILP's, if it must solve this model
    why = not_covered(built.data, built.config)
    if why is not None:
        run.warnings.append(
            "method lagrangian covers the multi-source model without lane capacities or "
            f"bounds on the warehouses opened; this one has {why}, so it is solved by the "
            "compact MILP"
        )
        return extensive_form.solve(task, run, prepared=prepared)
    compiled = form.compile()
    found = solve_cflp(from_warehouses(built.data), run.options.mip_rel_gap, budget.expired)
    clock.lap("solve")
    if found.infeasible:
        run.warnings.append(
            "the warehouses cannot serve every market even all open: the compact MILP diagnoses why"
        )
        return extensive_form.solve(task, run, prepared=prepared)
    if found.open is None:
        return run.stopped("before a plan was found", clock.parts)
    values = plan_values(compiled, built, found)
    tables, kpis = extensive_form.solution_tables(form, values, built, task.extract, None)
    clock.lap("extract")
    objective = compiled.objective_of(values)
    bound = min(found.bound, objective) if math.isfinite(found.bound) else None  # root cut
    return run.result(
        Status.OPTIMAL if found.proved else Status.FEASIBLE,
        _termination(found, budget),
        parts=clock.parts,
        objective=objective,
        bound=bound,
        gap=None if bound is None else relative_gap(objective, bound),
        tables=tables,
        kpis=kpis,
        size=compiled.size(),
        solver={
            "name": "lagrangian",
            "nodes": found.nodes,
            "subgradient_iterations": found.iterations,
            "open_sets_priced": found.priced,
        },
    )


def plan_values(compiled: CompiledModel, built, found: CFLPSolution) -> np.ndarray:
    """The search's plan as one value per column of the model: ``open`` as found, each
    warehouse-market flow on the cheapest lane between them."""
    d = built.data
    values = np.zeros(compiled.n_cols)
    start = compiled.column_offset(built.open.component)
    values[start : start + len(d.WAREHOUSES)] = found.open
    cheapest = {}
    for lane in np.argsort(-d.unit_cost, kind="stable"):  # the cheapest lane of a pair last
        cheapest[d.lane_warehouse[lane], d.lane_market[lane]] = lane
    pairs = np.array(list(cheapest.keys()), np.int64).reshape(-1, 2)
    lanes = np.fromiter(cheapest.values(), np.int64, len(cheapest))
    start = compiled.column_offset(built.flow.component)
    values[start + lanes] = found.flows[pairs[:, 0], pairs[:, 1]]
    return values


def _termination(found: CFLPSolution, budget) -> str:
    if found.proved:
        return "proved optimal by Lagrangian branch-and-bound"
    if found.termination == "interrupted":  # Ctrl-C in Python, no signal handler
        return "stopped by SIGINT"
    return budget.why_stopped()
