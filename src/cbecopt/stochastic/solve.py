"""Solve a two-stage problem written in Python, outside the registry (such as the farmer), into
a :class:`~cbecopt.results.Result`; SMPS files are the registry's ``smps`` model, solved by
:func:`cbecopt.solve`.

The same method as every model (:mod:`cbecopt.methods.extensive_form`: build, hand off,
solve, extract, with timings and an honest status), plus what every two-stage model reports:
the expected cost, the cost of each scenario, value-at-risk and CVaR of cost, and on request
the standard stochastic report (RP, EV, EEV, WS, EVPI, VSS).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from cbecopt.highs import SolveOptions
from cbecopt.methods import Task, extensive_form
from cbecopt.methods.extensive_form import REPORTS
from cbecopt.problem import SolutionView
from cbecopt.results import Result, Run
from cbecopt.stochastic.twostage import RiskOptions, TwoStageProblem

__all__ = ["REPORTS", "UNBOUNDED", "solve_two_stage"]

UNBOUNDED = (
    "the expected cost can decrease without limit: some variable with no bound (first or "
    "second stage) lowers the cost in every scenario, e.g. units bought below what they sell "
    "or salvage for, with no capacity"
)
"""The diagnosis of an unbounded two-stage problem that is no model of ours."""

Extract = Callable[[TwoStageProblem, SolutionView], tuple[dict, dict]]
"""A problem's extraction: (problem, solution view) -> (tables, KPIs)."""


def solve_two_stage(
    problem: TwoStageProblem,
    options: SolveOptions | None = None,
    risk: RiskOptions | None = None,
    *,
    reports: Sequence[str] = (),
    extract: Extract | None = None,
    diagnose: Callable[[TwoStageProblem], list[str]] | None = None,
    unbounded: str = UNBOUNDED,
    model: str = "two_stage",
    instance: str = "",
    load_seconds: float = 0.0,
    write_model: str | Path | None = None,
) -> Result:
    """Build the extensive form of ``problem`` over its scenarios, solve it, and report.

    Parameters
    ----------
    problem : a :class:`TwoStageProblem`.
    options : solver options; the time limit covers the whole call, reports included: the
        recourse problem (RP) comes first with all of it, the report uses what is left.
    risk : mean-CVaR weight and alpha (default risk-neutral); VaR and CVaR of cost are
        reported at ``risk.alpha`` either way.
    reports : names from :data:`REPORTS`; ``stochastic`` adds RP, EV, EEV, WS, EVPI and VSS
        (for the risk-neutral problem) as ``result.reports["stochastic"]`` and a table.
    extract : the problem's own tables and KPIs from a solution.
    diagnose : reasons the problem can be infeasible, asked only when it is.
    unbounded : what can make the expected cost fall without limit.
    write_model : an ``.lp`` or ``.mps`` file to write the extensive form to before it is
        solved (:func:`cbecopt.highs.write_model`).
    """
    options = (options or SolveOptions()).begin()
    run = Run(model, instance, options, load_seconds=load_seconds)
    task = Task(
        problem,
        extract,
        diagnose,
        unbounded,
        risk=risk,
        reports=tuple(reports),
        write_model=None if write_model is None else Path(write_model),
    )
    return extensive_form.solve(task, run)
