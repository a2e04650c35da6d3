"""The extensive form: one model over every scenario (a deterministic model's is the model
itself), handed to HiGHS and solved as one.

Build and handoff run watched by the call's budget (:func:`cbecopt.limits.watched`): they
stop between families once it has expired and the call returns ``no_solution`` saying where.
A two-stage problem also reports what every two-stage model reports: the cost of each
scenario, its mean, value-at-risk and CVaR, and on request the stochastic report (RP, EV,
EEV, WS, EVPI, VSS). With ``SolveOptions.marginal_values`` the plan's LP (its integer
decisions fixed) is solved again for the ``marginal_values`` table (:mod:`cbecopt.marginal`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from cbecopt import highs
from cbecopt.analytics import var_cvar
from cbecopt.errors import OptionError
from cbecopt.limits import OutOfTime, watched
from cbecopt.marginal import TABLE as MARGINAL_TABLE
from cbecopt.marginal import marginal_values
from cbecopt.methods import Task
from cbecopt.problem import OneScenario, SolutionView
from cbecopt.results import Result, Run, Status
from cbecopt.stochastic.twostage import (
    ExtensiveForm,
    RiskOptions,
    build_extensive_form,
    solve_extensive_form,
)

APPLIES_TO = None
"""Every model."""
REPORTS = ("stochastic",)
"""Analyses the extensive form can add to a two-stage result."""


def solve(
    task: Task,
    run: Run,
    solve_form=solve_extensive_form,
    prepared: tuple[ExtensiveForm, Any, Clock] | None = None,
) -> Result:
    """Build the extensive form of ``task.problem``, hand it to HiGHS, solve, extract, report.

    ``solve_form(form, options) -> StageSolution`` solves the built form (another method may
    solve it its own way, e.g. from a rounded plan: :mod:`cbecopt.methods.warm_start`).
    ``prepared`` is the form, the built model and the clock of a method that built them
    (:func:`built_and_handed_off`) and falls back to this one: they are not built again."""
    unknown = [r for r in task.reports if r not in REPORTS]
    if unknown:
        raise OptionError(
            f"unknown report(s) {', '.join(unknown)}; available: {', '.join(REPORTS)}"
        )
    two_stage = not isinstance(task.problem, OneScenario)
    if task.reports and not two_stage:
        raise OptionError(
            f"reports ({', '.join(task.reports)}) apply to two-stage models, not {run.model}"
        )
    risk = task.risk or RiskOptions()
    if two_stage:
        run.settings["risk"] = {"weight": risk.weight, "alpha": risk.alpha}
    options = run.options
    if prepared is not None:
        form, built, clock = prepared
    else:
        clock = Clock()
        try:
            form, built = built_and_handed_off(task, risk, options, clock)
        except OutOfTime:
            return stopped_before_solving(run, clock)
    solution = solve_form(form, _leaving_room_for_marginal_values(options))
    outcome = solution.outcome
    clock.parts["handoff"] += solution.handoff_seconds
    clock.parts["solve"] = clock.parts.get("solve", 0.0) + outcome.solve_seconds
    clock.skip()

    tables: dict[str, pd.DataFrame] = {}
    kpis: dict[str, Any] = {}
    diagnosis: list[str] = []
    if outcome.values is not None:
        tables, kpis = solution_tables(
            form, outcome.values, built, task.extract, risk if two_stage else None
        )
    elif outcome.status == Status.INFEASIBLE:
        with watched(options.budget):  # a diagnosis that re-solves stays within the limit
            diagnosis = task.diagnose(built) if task.diagnose is not None else []
        diagnosis = diagnosis or ["the model has no feasible solution"]
    elif outcome.status == Status.UNBOUNDED:
        diagnosis = [task.unbounded]
    elif outcome.status == Status.NO_SOLUTION:
        diagnosis = [options.budget.no_solution_advice()]
    clock.lap("extract")
    if options.marginal_values and outcome.values is not None:
        table, why_not = marginal_values(form, outcome.values, options, task.marginal_labels)
        if table is not None:
            tables[MARGINAL_TABLE] = table
        else:
            run.warnings.append(why_not)
        clock.lap("marginal_values")

    reports: dict[str, dict] = {}
    if "stochastic" in task.reports and outcome.values is not None:
        from cbecopt.stochastic.report import stochastic_report

        report = stochastic_report(task.problem, options, solution if risk.weight == 0 else None)
        reports["stochastic"] = report.to_dict()
        tables["stochastic"] = report.table()
    if task.reports:
        clock.lap("reports")
    compiled = form.compile()
    return run.result(
        outcome.status,
        outcome.termination,
        parts=clock.parts,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        tables=tables,
        kpis=kpis,
        diagnosis=diagnosis,
        size={
            **({"scenarios": len(form.names)} if two_stage else {}),
            **compiled.size(),
        },
        solver={"name": "highs", **outcome.info},
        reports=reports,
    )


def built_and_handed_off(
    task: Task, risk: RiskOptions, options, clock: Clock
) -> tuple[ExtensiveForm, Any]:
    """The extensive form of ``task.problem`` and what its extraction reads, built and handed
    to HiGHS within the budget (``clock`` lapping ``build`` and ``handoff``), written to
    ``task.write_model`` first when asked; :class:`~cbecopt.limits.OutOfTime` when the budget
    ends before (:func:`stopped_before_solving` makes its result)."""
    with watched(options.budget):
        form, built = _build(task.problem, risk, options)
        clock.lap("build")
        if task.write_model is not None:  # its time is in no part of the timings: "other"
            highs.write_model(form.model, task.write_model)
        clock.skip()
        form.compile()
        clock.lap("handoff")
    return form, built


def stopped_before_solving(run: Run, clock: Clock) -> Result:
    """The result of a call whose budget ran out while building the model or handing it to
    HiGHS (``clock`` has ``build`` once the build ended)."""
    where = "while building the model" if "build" not in clock.parts else "during the handoff"
    clock.lap("handoff" if "build" in clock.parts else "build")
    return run.stopped(where, clock.parts)


MARGINAL_SHARE = 0.1
"""Share of the time left that a solve with ``marginal_values`` keeps for their LP (at least
:data:`MARGINAL_LEAST` seconds), so a limit that stops the MIP still leaves the LP its time."""
MARGINAL_LEAST = 2.0


def _leaving_room_for_marginal_values(options):
    """``options`` for the MIP: the budget less the marginal values' share when they are
    asked for under a time limit (the whole budget otherwise)."""
    left = options.budget.remaining()
    if not options.marginal_values or left is None:
        return options
    room = min(max(MARGINAL_SHARE * left, MARGINAL_LEAST), 0.5 * left)
    return options.until(options.budget.deadline - room)


def _build(problem, risk: RiskOptions, options) -> tuple[ExtensiveForm, Any]:
    """The extensive form and what the model's extraction reads: the built model of a
    deterministic model, the problem itself for a two-stage one."""
    if isinstance(problem, OneScenario):
        return problem.extensive_form()
    return build_extensive_form(problem, problem.scenarios(), risk, options.budget), problem


class Clock:
    """Wall-clock parts of a method, lap by lap."""

    def __init__(self) -> None:
        self.parts: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, part: str) -> None:
        now = time.perf_counter()
        self.parts[part] = self.parts.get(part, 0.0) + now - self._last
        self._last = now

    def skip(self) -> None:
        """Start the next lap now: the time since the last is in no part ("other")."""
        self._last = time.perf_counter()


def solution_tables(
    form: ExtensiveForm, values: np.ndarray, built: Any, extract, risk: RiskOptions | None
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """A model's tables and KPIs from a solution: with ``risk`` (a two-stage model) the cost of
    each scenario, its mean, VaR and CVaR, then the model's own extraction
    (``extract(built, view)``; ``None``: none), its ``scenarios`` table joined by scenario."""
    tables, kpis = ({}, {}) if risk is None else _risk_summary(form, values, risk)
    if extract is not None:
        model_tables, model_kpis = extract(built, SolutionView(form, values))
        for name, table in model_tables.items():
            tables[name] = tables[name].merge(table, on="scenario") if name in tables else table
        kpis.update(model_kpis)
    return tables, kpis


def _risk_summary(form: ExtensiveForm, values: np.ndarray, risk: RiskOptions) -> tuple[dict, dict]:
    """The cost of every scenario, its mean, VaR and CVaR."""
    costs = form.scenario_costs(values)
    p = form.probabilities
    var, cvar = var_cvar(costs, p / p.sum(), risk.alpha)
    table = pd.DataFrame({"scenario": list(form.names), "probability": p, "cost": costs})
    kpis = {
        "expected_cost": float(p @ costs),
        "first_stage_cost": form.first_stage_cost(values),
        "cost_var": var,
        "cost_cvar": cvar,
        "alpha": risk.alpha,
        "risk_weight": risk.weight,
        "worst_scenario_cost": float(costs.max()),
        "best_scenario_cost": float(costs.min()),
    }
    return {"scenarios": table}, kpis
