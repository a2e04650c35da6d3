"""The extensive form started from a rounded plan: HiGHS's MIP gets a good first incumbent.

On fixed-charge networks (``network``: suppliers qualified, warehouses opened, SKUs listed)
HiGHS's own heuristics can spend minutes before they find a plan much better than serving
nothing. This method finds one the classic way first:

1. the LP relaxation (a quarter of the time left);
2. every fixed-charge decision (an integer column with a positive cost: a qualification,
   an opening, a listing) rounded: up to 1 where the LP used it at all, down to 0 where it did
   not; the other integer columns (price segments, offers chosen) stay free, and this smaller
   MIP is solved (a third of the time then left) into a plan of the whole model: rounding up
   only opens more, so the plan is feasible wherever the LP's was; each decision rounded up
   that the plan then does not need (every row it is in holds without it) is closed again
   (:func:`unneeded_closed`);
3. the whole model, from that plan (HiGHS's ``setSolution``), with the rest of the time.

The result is the whole model's: its bound is HiGHS's proven bound on it, its status
``optimal`` only when HiGHS proves it. Step 3 keeps the rounded plan when it cannot improve
on it in time. Measured (the ``network-methods`` benchmark) on the network demo's first two
months (41,094 columns, 995 integer) with 120 s: 88.8 M (gap 6.9%) where plain HiGHS ends at
93.3 M (gap 11.3%); on the whole demo with 600 s: 659.5 M (gap 5.8%) where plain HiGHS had
715.3 M (gap 13.2%) after 300 s.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

import numpy as np
from scipy import sparse

from cbecopt.highs import (
    CompiledModel,
    SolveOptions,
    SolverOutcome,
    relative_gap,
    solve_compiled,
)
from cbecopt.methods import Task, extensive_form
from cbecopt.results import Result, Run, Status
from cbecopt.stochastic.twostage import ExtensiveForm, StageSolution

APPLIES_TO = None
"""Every model (a model without fixed-charge decisions is solved as by the extensive form)."""
LP_SHARE = 0.25
"""Share of the time left for the LP relaxation."""
ROUNDED_SHARE = 1 / 3
"""Share of the time left after the LP for the MIP with the fixed charges rounded."""
USED = 1e-6
"""An LP value above this counts as using the decision."""
FEASIBILITY = 1e-7
"""Relative tolerance of a row checked by :func:`unneeded_closed` (below HiGHS's 1e-6)."""
INTERIOR_POINT_FROM = 100_000
"""Columns from which the LP relaxation is solved by interior point without crossover.
Measured: the network demo's LP (243,224 columns) takes 59 s so and 238 s by dual simplex;
its first two months (41,094 columns) 3.6 s so and 2.1 s by simplex."""

log = logging.getLogger(__name__)
"""Steps at DEBUG: the live progress line keeps the step of the command (``i/n`` of a
comparison), HiGHS's numbers beside it."""


def solve(task: Task, run: Run) -> Result:
    """As :func:`cbecopt.methods.extensive_form.solve`, the solve started from a rounded plan."""
    return extensive_form.solve(task, run, solve_form=solve_from_rounded_plan)


def solve_from_rounded_plan(form: ExtensiveForm, options: SolveOptions) -> StageSolution:
    """Steps 1-3 of the module on ``form`` within ``options``' budget."""
    outcome = solve_warm(form.compile(), options)
    return StageSolution(form, outcome, outcome.handoff_seconds)


def solve_warm(
    compiled: CompiledModel,
    options: SolveOptions,
    fixed_columns: tuple[np.ndarray, np.ndarray] | None = None,
    starts: tuple[np.ndarray, ...] = (),
    used: np.ndarray | None = None,
    improve: Callable[[np.ndarray, SolverOutcome], SolverOutcome] | None = None,
) -> SolverOutcome:
    """Steps 1-3 of the module on a compiled model, with ``fixed_columns`` held as
    :func:`~cbecopt.highs.solve_compiled` holds them; ``starts`` are further plans known to be
    feasible (e.g. another strategy's), the cheapest of them and the rounded plan starting the
    search. ``used`` (a value per column, read at the fixed-charge columns) says which
    fixed-charge decisions to round up instead of step 1's LP, e.g. those any SKU's own plan
    used (:mod:`cbecopt.methods.network_blocks`). ``improve(used, rounded)``, when given, may
    return a better plan than step 2's (a plan of the same model) before step 3 starts, e.g.
    :func:`cbecopt.models.network.consolidation.consolidate`."""
    options = options.begin()
    fixed_charges = compiled.integer_columns[compiled.col_cost[compiled.integer_columns] > 0]
    if not len(fixed_charges):
        return solve_compiled(
            compiled, options, fixed_columns=fixed_columns, start=cheapest(compiled, starts)
        )
    handoff = solve_seconds = 0.0
    if used is None:
        log.debug("warm start: the LP relaxation")
        relaxed = solve_compiled(
            compiled,
            _lp_options(options, compiled),
            options.budget.portion(LP_SHARE),
            fixed_columns,
            relax=True,
        )
        handoff, solve_seconds = relaxed.handoff_seconds, relaxed.solve_seconds
        if relaxed.values is not None and relaxed.status == Status.OPTIMAL:
            used = relaxed.values
    rounded = None
    if used is not None:
        rounded = solve_rounded(
            compiled, options, options.budget.portion(ROUNDED_SHARE), fixed_columns, used
        )
        handoff += rounded.handoff_seconds
        solve_seconds += rounded.solve_seconds
        if improve is not None and rounded.values is not None:
            rounded = improve(used, rounded)
    plans = (
        *starts,
        *([rounded.values] if rounded is not None and rounded.values is not None else []),
    )
    start = cheapest(compiled, plans)
    if start is not None:
        log.debug(
            "warm start: the whole model from a plan of %s",
            f"{compiled.objective_of(start):,.2f}",
        )
    final = solve_compiled(compiled, options, fixed_columns=fixed_columns, start=start)
    outcome = _better(final, rounded)
    outcome.handoff_seconds += handoff
    outcome.solve_seconds += solve_seconds
    return outcome


def solve_rounded(
    compiled: CompiledModel,
    options: SolveOptions,
    deadline: float | None,
    fixed_columns: tuple[np.ndarray, np.ndarray] | None,
    used: np.ndarray,
) -> SolverOutcome:
    """Step 2: the model with every fixed-charge decision held at 1 where ``used`` (a value
    per column) is above :data:`USED` and at 0 elsewhere, solved by ``deadline``; then each
    decision held at 1 that the plan does not need is closed (:func:`unneeded_closed`), but
    for those ``fixed_columns`` fix (a restriction's, not the rounding's)."""
    fixed_charges = compiled.integer_columns[compiled.col_cost[compiled.integer_columns] > 0]
    chosen = np.where(used[fixed_charges] > USED, 1.0, 0.0)
    lower, upper = compiled.col_lower.copy(), compiled.col_upper.copy()
    lower[fixed_charges] = np.maximum(chosen, lower[fixed_charges])
    upper[fixed_charges] = np.minimum(chosen, upper[fixed_charges])
    log.debug(
        "warm start: %d of %d fixed-charge decisions used; solving with them fixed",
        int(chosen.sum()),
        len(chosen),
    )
    restricted = dataclasses.replace(compiled, col_lower=lower, col_upper=upper)
    outcome = solve_compiled(restricted, options, deadline, fixed_columns)
    if outcome.values is None:
        return outcome
    held = fixed_charges if fixed_columns is None else np.setdiff1d(fixed_charges, fixed_columns[0])
    values = unneeded_closed(compiled, outcome.values, held)
    return dataclasses.replace(outcome, values=values, objective=compiled.objective_of(values))


def unneeded_closed(compiled: CompiledModel, values: np.ndarray, columns: np.ndarray):
    """``values`` with each of ``columns`` (fixed-charge decisions, the costliest first) at 1
    set to 0 where every row it is in still holds without it: a warehouse, supplier or
    listing the plan opened and does not use. The plan stays a plan of the model and costs
    less by those decisions' costs."""
    values = values.copy()
    matrix = sparse.csr_matrix(
        (compiled.row_value, compiled.row_index, compiled.row_start),
        shape=(len(compiled.row_lower), compiled.n_cols),
    )
    activity = matrix @ values
    by_column = matrix.tocsc()
    lower, upper = compiled.row_lower, compiled.row_upper
    for column in columns[np.argsort(-compiled.col_cost[columns], kind="stable")]:
        if values[column] < 0.5 or compiled.col_lower[column] > 0.5:
            continue
        span = slice(by_column.indptr[column], by_column.indptr[column + 1])
        rows = by_column.indices[span]
        without = activity[rows] - by_column.data[span] * values[column]
        slack = FEASIBILITY * np.maximum(1.0, np.abs(without))
        if np.all((without >= lower[rows] - slack) & (without <= upper[rows] + slack)):
            activity[rows] = without
            values[column] = 0.0
    return values


def cheapest(compiled: CompiledModel, plans) -> np.ndarray | None:
    """The plan of lowest cost among ``plans`` (``None`` without any)."""
    plans = [np.asarray(p, float) for p in plans if p is not None]
    if not plans:
        return None
    sign = -1.0 if compiled.maximize else 1.0
    return min(plans, key=lambda p: sign * float(compiled.col_cost @ p))


def _lp_options(options: SolveOptions, compiled: CompiledModel) -> SolveOptions:
    """The options of the LP relaxation: on a large model (:data:`INTERIOR_POINT_FROM`
    columns) HiGHS's interior point without crossover (the rounding needs values, not a
    basis); HiGHS options the user gave win."""
    if compiled.n_cols < INTERIOR_POINT_FROM:
        return options
    lp = {"solver": "ipm", "run_crossover": "off", **options.highs_options}
    return dataclasses.replace(options, highs_options=lp)


def _better(final: SolverOutcome, rounded: SolverOutcome | None) -> SolverOutcome:
    """The whole model's outcome, its incumbent replaced by the rounded plan when that is
    better (HiGHS stopped before it could use it); the bound stays the whole model's."""
    if rounded is None or rounded.values is None:
        return final
    if final.status == Status.OPTIMAL or (
        final.values is not None and final.objective <= rounded.objective
    ):
        return final  # proved optimal: within the gap asked for, whatever the rounded plan
    bound = final.bound
    gap = None if bound is None else relative_gap(rounded.objective, bound)
    return dataclasses.replace(
        final,
        status=Status.FEASIBLE,
        termination=final.termination,
        objective=rounded.objective,
        gap=gap,
        values=rounded.values,
    )
