"""Solve any two-stage problem into a :class:`~cbecopt.results.Result`.

The same pipeline as the deterministic models (build, hand off, solve, extract, with
timings and an honest status), plus what every two-stage model reports: the expected cost,
the cost of each scenario, value-at-risk and CVaR of cost, and on request the standard
stochastic report (RP, EV, EEV, WS, EVPI, VSS).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cbecopt import highs
from cbecopt.analytics import var_cvar
from cbecopt.highs import SolveOptions
from cbecopt.limits import OutOfTime
from cbecopt.results import Result, Status
from cbecopt.stochastic.report import stochastic_report
from cbecopt.stochastic.twostage import (
    ExtensiveForm,
    RiskOptions,
    TwoStageProblem,
    build_extensive_form,
    solve_extensive_form,
)

REPORTS = ("stochastic",)
"""Analyses ``solve_two_stage`` can add to a result."""
UNBOUNDED = (
    "the expected cost can decrease without limit: some variable with no bound (first or "
    "second stage) lowers the cost in every scenario, e.g. units bought below what they sell "
    "or salvage for, with no capacity"
)
"""The diagnosis of an unbounded two-stage problem that is no model of ours (an SMPS file)."""

Extract = Callable[[ExtensiveForm, np.ndarray], tuple[dict, dict]]
"""A model's extraction: (form, solution vector) -> (tables, KPIs); ``form.values_of`` reads it."""


def solve_two_stage(
    problem: TwoStageProblem,
    options: SolveOptions | None = None,
    risk: RiskOptions | None = None,
    *,
    reports: Sequence[str] = (),
    extract: Extract | None = None,
    diagnose: Callable[[], list[str]] | None = None,
    unbounded: str = UNBOUNDED,
    model: str = "two_stage",
    instance: str = "",
    load_seconds: float = 0.0,
    config: dict | None = None,
    prepare_seconds: float = 0.0,
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
    extract : the model's own tables and KPIs from a solution.
    diagnose : reasons the model can be infeasible, asked only when it is.
    unbounded : what can make the model's expected cost fall without limit (its registry
        entry's ``unbounded``; the default speaks of any two-stage problem, e.g. an SMPS file).
    prepare_seconds : time the caller spent preparing the model's data (inside the budget).
    write_model : an ``.lp`` or ``.mps`` file to write the extensive form to before it is
        solved (:func:`cbecopt.highs.write_model`).
    """
    unknown = [r for r in reports if r not in REPORTS]
    if unknown:
        from cbecopt.errors import OptionError

        raise OptionError(
            f"unknown report(s) {', '.join(unknown)}; available: {', '.join(REPORTS)}"
        )
    options = (options or SolveOptions()).begin()
    risk = risk or RiskOptions()
    start = time.perf_counter()
    try:
        form = build_extensive_form(problem, problem.scenarios(), risk, budget=options.budget)
    except OutOfTime as stopped:
        return Result(
            model=model,
            instance=instance,
            status=Status.NO_SOLUTION,
            termination=f"{stopped} while building the model",
            timings=options.budget.timings(
                {"prepare": prepare_seconds, "build": time.perf_counter() - start}, load_seconds
            ),
            diagnosis=[options.budget.no_solution_advice()],
            options={**options.as_dict(), "model": config or {}},
        )
    t_built = time.perf_counter()
    if write_model is not None:  # its time is in no part of the timings: "other"
        highs.write_model(form.model, write_model)
    t_written = time.perf_counter()
    form.compile()
    t_compiled = time.perf_counter()
    solution = solve_extensive_form(form, options)
    outcome = solution.outcome
    t_solved = time.perf_counter()

    tables: dict[str, pd.DataFrame] = {}
    kpis: dict[str, Any] = {}
    diagnosis: list[str] = []
    if outcome.values is not None:
        tables, kpis = _risk_summary(form, outcome.values, risk)
        if extract is not None:
            model_tables, model_kpis = extract(form, outcome.values)
            for name, table in model_tables.items():
                tables[name] = tables[name].merge(table, on="scenario") if name in tables else table
            kpis.update(model_kpis)
    elif outcome.status == Status.INFEASIBLE:
        diagnosis = diagnose() if diagnose is not None else []
        diagnosis = diagnosis or ["the extensive form has no feasible solution"]
    elif outcome.status == Status.UNBOUNDED:
        diagnosis = [unbounded]
    elif outcome.status == Status.NO_SOLUTION:
        diagnosis = [options.budget.no_solution_advice()]
    t_extracted = time.perf_counter()

    extra: dict[str, dict] = {}
    if "stochastic" in reports and outcome.values is not None:
        rp = solution if risk.weight == 0 else None
        report = stochastic_report(problem, options, rp)
        extra["stochastic"] = report.to_dict()
        tables["stochastic"] = report.table()
    parts = {
        "prepare": prepare_seconds,
        "build": t_built - start,
        "handoff": (t_compiled - t_written) + solution.handoff_seconds,
        "solve": outcome.solve_seconds,
        "extract": t_extracted - t_solved,
    }
    if reports:
        parts["reports"] = time.perf_counter() - t_extracted
    timings = options.budget.timings(parts, load_seconds)
    compiled = form.compile()
    return Result(
        model=model,
        instance=instance,
        status=outcome.status,
        termination=outcome.termination,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        timings=timings,
        tables=tables,
        kpis=kpis,
        diagnosis=diagnosis,
        size={
            "scenarios": len(form.names),
            "variables": compiled.n_cols,
            "integer_variables": compiled.n_integer,
            "constraints": compiled.n_rows,
            "nonzeros": compiled.nonzeros,
        },
        options={
            **options.as_dict(),
            "risk": {"weight": risk.weight, "alpha": risk.alpha},
            "model": config or {},
        },
        solver={"name": "highs", **outcome.info},
        reports=extra,
    )


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
