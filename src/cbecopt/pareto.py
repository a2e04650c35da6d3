"""The cost vs counterfeit-risk Pareto front of the suppliers model, by the epsilon-constraint method.

Two objectives: landed cost (without any counterfeit penalty) and expected counterfeit units.
The end points are lexicographic optima: the cheapest plan with the fewest counterfeits among
the cheapest, and the plan with the fewest counterfeits that is cheapest among those. Between
them, each point minimises cost subject to expected counterfeits <= epsilon, then minimises
counterfeits subject to that cost, so every point is efficient (not merely weakly efficient),
up to the MIP gap asked for. The knee is the point farthest from the straight line through
the end points, with both objectives scaled to [0, 1].
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.errors import OptionError
from cbecopt.formulations.suppliers import SuppliersConfig
from cbecopt.instance import Instance
from cbecopt.models import solve
from cbecopt.results import Result
from cbecopt.solver import SolveOptions

FRONT_COLUMNS = (
    "point",
    "epsilon",
    "landed_cost",
    "expected_counterfeit",
    "suppliers_used",
    "status",
    "gap",
    "knee",
)
SLACK = 1e-9
"""Relative room given to a limit set from a value just found, against round-off."""


@dataclass
class ParetoFront:
    """The efficient points, in order of falling counterfeit risk, and the knee."""

    table: pd.DataFrame
    knee: int | None


def pareto_front(
    instance: Instance,
    points: int = 8,
    options: SolveOptions | None = None,
    config: SuppliersConfig | None = None,
) -> ParetoFront:
    """Trace ``points`` efficient points of cost against expected counterfeit units."""
    if points < 2:
        raise OptionError(f"the Pareto front needs at least 2 points, got {points}")
    base = dataclasses.replace(config or SuppliersConfig(), counterfeit_penalty=0.0)
    cheapest = _lexicographic(instance, options, base, first="cost")
    safest = _lexicographic(instance, options, base, first="counterfeit")
    if cheapest is None or safest is None:
        raise OptionError(
            "the suppliers model has no solution, so there is no front (solve it to see why)"
        )
    high, low = (
        cheapest[1].kpis["expected_counterfeit_units"],
        safest[1].kpis["expected_counterfeit_units"],
    )
    rows = [_row(0, high, cheapest[1])]
    for i, epsilon in enumerate(np.linspace(high, low, points)[1:-1], start=1):
        found = _lexicographic(
            instance,
            options,
            dataclasses.replace(base, counterfeit_limit=float(epsilon)),
            first="cost",
        )
        if found is not None:
            rows.append(_row(i, float(epsilon), found[1]))
    rows.append(_row(points - 1, low, safest[1]))
    table = (
        pd.DataFrame(rows)
        .drop_duplicates(subset=["landed_cost", "expected_counterfeit"])
        .reset_index(drop=True)
    )
    knee = _knee(table)
    table["knee"] = table.index == knee if knee is not None else False
    return ParetoFront(table[list(FRONT_COLUMNS)], knee)


def _lexicographic(instance, options, config, first: str) -> tuple[Result, Result] | None:
    """Optimise one objective, then the other holding the first at its optimum."""
    primary = solve(instance, "suppliers", options, dataclasses.replace(config, objective=first))
    if not primary.ok:
        return None
    if first == "cost":
        limit = primary.kpis["landed_cost"]
        second = dataclasses.replace(
            config, objective="counterfeit", cost_limit=limit * (1 + SLACK) + SLACK
        )
    else:
        limit = primary.kpis["expected_counterfeit_units"]
        second = dataclasses.replace(
            config, objective="cost", counterfeit_limit=limit * (1 + SLACK) + SLACK
        )
    secondary = solve(instance, "suppliers", options, second)
    return (primary, secondary) if secondary.ok else (primary, primary)


def _row(point: int, epsilon: float, result: Result) -> dict:
    return {
        "point": point,
        "epsilon": epsilon,
        "landed_cost": result.kpis["landed_cost"],
        "expected_counterfeit": result.kpis["expected_counterfeit_units"],
        "suppliers_used": len(result.kpis["suppliers_used"]),
        "status": result.status.value,
        "gap": result.gap,
    }


def _knee(table: pd.DataFrame) -> int | None:
    """Index of the point farthest from the chord between the end points (objectives scaled)."""
    if len(table) < 3:
        return None
    cost, fakes = (
        table["landed_cost"].to_numpy(float),
        table["expected_counterfeit"].to_numpy(float),
    )
    span_c, span_f = np.ptp(cost), np.ptp(fakes)
    if span_c <= 0 or span_f <= 0:
        return None
    x, y = (cost - cost.min()) / span_c, (fakes - fakes.min()) / span_f
    (x0, y0), (x1, y1) = (x[0], y[0]), (x[-1], y[-1])
    distance = np.abs((y1 - y0) * x - (x1 - x0) * y + x1 * y0 - y1 * x0) / np.hypot(
        x1 - x0, y1 - y0
    )
    return int(np.argmax(distance))


def plot_front(front: ParetoFront, target: str | Path, title: str = "") -> Path:
    """Expected counterfeit units against landed cost, knee marked; a PNG written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cbecopt.atomic import atomic_file

    t = front.table
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    ax.plot(
        t["landed_cost"],
        t["expected_counterfeit"],
        marker="o",
        color="#1f5f8b",
        label="efficient points",
    )
    if front.knee is not None:
        k = t.iloc[front.knee]
        ax.plot(
            [k["landed_cost"]],
            [k["expected_counterfeit"]],
            marker="*",
            markersize=16,
            color="#c0392b",
            label="knee",
        )
    ax.set_xlabel("landed cost")
    ax.set_ylabel("expected counterfeit units")
    ax.set_title(title or "cost vs counterfeit risk (epsilon-constraint)")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    target = Path(target)
    with atomic_file(target) as staging:
        fig.savefig(staging, format="png")
    plt.close(fig)
    return target
