"""The mean-CVaR efficient frontier of a two-stage model.

Each point solves the extensive form with objective (1 - λ) E[cost] + λ CVaR_α(cost) for one
weight λ, and reports the expected cost and the CVaR of the plan found. For λ from 0 to 1
the points trace the trade-off between the average outcome and the bad tail. The points share
the call's time budget, each an equal share of what is left, or run side by side on a Dask
cluster (:mod:`cbecopt.batch`); a point whose solve finds no plan keeps its row, with its
status and blank numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.analytics import var_cvar
from cbecopt.batch import PortableProblem, run_each
from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions
from cbecopt.results import Status
from cbecopt.stochastic.twostage import RiskOptions, TwoStageProblem, solve_scenarios

log = logging.getLogger(__name__)

MAX_POINTS = 1000
"""The most weights a frontier may ask for (each is a solve of the extensive form)."""

FRONTIER_COLUMNS = (
    "weight",
    "alpha",
    "status",
    "expected_cost",
    "cost_var",
    "cost_cvar",
    "objective",
    "gap",
)


def efficient_frontier(
    problem: TwoStageProblem,
    weights: Sequence[float],
    alpha: float = 0.95,
    options: SolveOptions | None = None,
    travels: PortableProblem | None = None,
) -> pd.DataFrame:
    """Solve the mean-CVaR problem for each weight; one row per weight (:data:`FRONTIER_COLUMNS`).

    A weight whose solve finds no solution keeps its row, with the status and blank numbers.
    Within :func:`cbecopt.batch.running_on` a cluster the weights' solves run side by side, one
    task each, the problem travelling as ``travels`` (default: as it is, pickled) and rebuilt in
    each task; a weight a stop cancelled there keeps its row, ``no_solution``.
    """
    if not len(weights):
        raise OptionError("the frontier needs at least one weight")
    if len(weights) > MAX_POINTS:
        raise OptionError(f"the frontier takes at most {MAX_POINTS} points, got {len(weights)}")
    options = (options or SolveOptions()).begin()
    ordered = sorted(float(w) for w in weights)
    points = {f"point {i} (risk weight {w:g})": w for i, w in enumerate(ordered, start=1)}
    solved = run_each(
        "frontier", points, frontier_point, problem, options, arguments=(alpha,), travels=travels
    )
    rows = [
        row if row is not None else _unsolved(weight, alpha)
        for weight, row in zip(points.values(), solved.values(), strict=True)
    ]
    return pd.DataFrame(rows, columns=list(FRONTIER_COLUMNS))


def frontier_point(
    problem: TwoStageProblem, weight: float, options: SolveOptions, alpha: float
) -> dict:
    """The row of one weight: its mean-CVaR solve within ``options``' budget (here or in a
    Dask worker)."""
    solution = solve_scenarios(problem, problem.scenarios(), options, RiskOptions(weight, alpha))
    row = _unsolved(weight, alpha, solution.outcome.status.value)
    costs = solution.scenario_costs()
    if costs is not None:
        p = solution.form.probabilities / solution.form.probabilities.sum()
        var, cvar = var_cvar(costs, p, alpha)
        row |= {
            "expected_cost": float(p @ costs),
            "cost_var": var,
            "cost_cvar": cvar,
            "objective": solution.outcome.objective,
            "gap": solution.outcome.gap,
        }
    return row


def _unsolved(weight: float, alpha: float, status: str = Status.NO_SOLUTION.value) -> dict:
    return {"weight": weight, "alpha": alpha, "status": status}


def plot_frontier(frontier: pd.DataFrame, target: str | Path, title: str = "") -> Path:
    """Draw expected cost against CVaR, one labelled point per weight; write a PNG atomically."""
    from cbecopt.plots import figure, save_png

    solved = frontier.dropna(subset=["expected_cost", "cost_cvar"])
    fig, ax = figure()
    ax.plot(solved["cost_cvar"], solved["expected_cost"], marker="o", color="#1f5f8b")
    for row in solved.itertuples(index=False):
        ax.annotate(
            f"λ={row.weight:g}",
            (row.cost_cvar, row.expected_cost),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    alpha = float(frontier["alpha"].iloc[0]) if len(frontier) else np.nan
    ax.set_xlabel(f"CVaR of cost at α = {alpha:g}")
    ax.set_ylabel("expected cost")
    ax.set_title(title or "mean-CVaR efficient frontier")
    ax.grid(True, alpha=0.3)
    return save_png(fig, target)
