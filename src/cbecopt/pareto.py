"""The cost vs counterfeit-risk Pareto front of the suppliers model, by the epsilon-constraint method.

Two objectives: landed cost (without any counterfeit penalty) and expected counterfeit units.
First the two single-objective optima are found (cheapest plan, plan with fewest expected
counterfeits). Each point then minimises cost + delta x counterfeits subject to expected
counterfeits <= epsilon, for epsilon from the first optimum's counterfeits down to the
second's: the augmented epsilon-constraint method (Mavrotas 2009, AUGMECON). Every optimum of
that problem is efficient (a plan that did at least as well on both and better on one would
beat it), so the points lie exactly on the front, not on a weighted-sum approximation. delta
is 1e-4 of the cost range per unit of the counterfeit range, so at each epsilon the cost is
within 1e-4 of the cost range of the epsilon-constrained minimum (and within the MIP gap).
The end points are the same with epsilon unbound (the cheapest efficient plan) and with
cost as the tie-break of the fewest-counterfeit plan. The knee is the point farthest from the
straight line through the end points, both objectives scaled to [0, 1].

The solves share the call's time budget, each an equal share of what is left. A point whose
solve stops at a limit keeps its row with status ``feasible`` (its plan is feasible but may
not be efficient); a point that found no plan is left out, and ``status`` says what the front
as a whole is: ``optimal`` when every point was proved.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.batch import solve_each
from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.pipeline import solve
from cbecopt.results import Result

log = logging.getLogger(__name__)

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
TIE_BREAK = 1e-4
"""Weight of the second objective, as a share of the first's range per unit of the second's."""


@dataclass
class ParetoFront:
    """The efficient points, in order of falling counterfeit risk, the knee, the two
    single-objective optima the front runs between, and the front's overall status."""

    table: pd.DataFrame
    knee: int | None
    cheapest: Result
    safest: Result
    status: str = "optimal"


def pareto_front(
    instance: Instance,
    points: int = 8,
    options: SolveOptions | None = None,
    config: SuppliersConfig | None = None,
) -> ParetoFront:
    """Trace ``points`` efficient points of cost against expected counterfeit units."""
    if points < 2:
        raise OptionError(f"the Pareto front needs at least 2 points, got {points}")
    if points > MAX_POINTS:
        raise OptionError(f"the Pareto front takes at most {MAX_POINTS} points, got {points}")
    options = (options or SolveOptions()).begin()
    # The two single-objective optima come first and the front needs both: a third and then
    # half of what is left; the two tie-broken ends share it with the points, which then
    # share the rest equally (cbecopt.batch.solve_each).
    pending = [3, 2, points, points - 1]

    def solve_next(config: SuppliersConfig) -> Result:
        share = options.until(options.budget.share(pending.pop(0)))
        return solve(instance, "suppliers", share, config)

    base = dataclasses.replace(config or SuppliersConfig(), counterfeit_penalty=0.0)
    log.info("Pareto front: the two single-objective optima")
    cheapest = solve_next(base)
    safest = solve_next(dataclasses.replace(base, objective="counterfeit"))
    if not (cheapest.ok and safest.ok):
        missing = cheapest if not cheapest.ok else safest
        empty = pd.DataFrame(columns=list(FRONT_COLUMNS))
        return ParetoFront(empty, None, cheapest, safest, missing.status.value)
    cost_range = max(safest.kpis["landed_cost"] - cheapest.kpis["landed_cost"], 1e-9)
    fakes_range = max(
        cheapest.kpis["expected_counterfeit_units"] - safest.kpis["expected_counterfeit_units"],
        1e-9,
    )
    delta = TIE_BREAK * cost_range / fakes_range
    high = solve_next(dataclasses.replace(base, counterfeit_penalty=delta))
    low = solve_next(
        dataclasses.replace(
            base, objective="counterfeit", cost_weight=TIE_BREAK * fakes_range / cost_range
        )
    )
    ends = [r if r.ok else fallback for r, fallback in ((high, cheapest), (low, safest))]
    top = ends[0].kpis["expected_counterfeit_units"]
    bottom = ends[1].kpis["expected_counterfeit_units"]
    rows = [_row(0, top, ends[0])]
    statuses = [r.status.value for r in (cheapest, safest, high, low)]
    interior = np.linspace(top, bottom, points)[1:-1]
    jobs = {
        f"point {i + 1}/{points}": (
            instance,
            dataclasses.replace(base, counterfeit_penalty=delta, counterfeit_limit=float(e)),
        )
        for i, e in enumerate(interior, start=1)
    }
    solved = solve_each("Pareto front", jobs, "suppliers", options)  # side by side on Dask
    for i, (epsilon, result) in enumerate(zip(interior, solved.values(), strict=True), start=1):
        statuses.append(result.status.value)
        if result.ok:
            rows.append(_row(i, float(epsilon), result))
    rows.append(_row(points - 1, bottom, ends[1]))
    table = (
        pd.DataFrame(rows)
        .drop_duplicates(subset=["landed_cost", "expected_counterfeit"])
        .reset_index(drop=True)
    )
    knee = _knee(table)
    table["knee"] = table.index == knee if knee is not None else False
    status = "optimal" if set(statuses) == {"optimal"} else "feasible"
    return ParetoFront(table[list(FRONT_COLUMNS)], knee, cheapest, safest, status)


MAX_POINTS = 1000
"""The most points a front may ask for (each point is a MIP solve)."""


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
    from cbecopt.plots import figure, save_png

    t = front.table
    fig, ax = figure()
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
    return save_png(fig, target)
