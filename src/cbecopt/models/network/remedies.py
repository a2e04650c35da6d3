"""The remedy comparison (``cbecopt compare-remedies``): every strategy of
:mod:`cbecopt.models.network.strategies` solved within one time budget, one row each, what
each remedy saves alone and what deciding them together saves, and its chart.

Derived values compare the objectives of two solves (the expected cost, or the mean-CVaR
blend when risk is weighed) and are given only when both solves were proved optimal: a
difference of two numbers a limit stopped is not known, so it is ``None`` with the reason.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.in_motion import refuse_in_motion
from cbecopt.instance import Instance
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.kpis import KPI_COLUMNS, kpi_row, plan_kpis
from cbecopt.models.network.sequential import solve_sequential
from cbecopt.models.network.strategies import (
    REMEDIES,
    STRATEGIES,
    Solved,
    inert_remedies,
    prices_authenticity,
    solve_myopic,
    solve_restriction,
    strategy_remedies,
    strategy_restriction,
)
from cbecopt.models.spec import Comparison
from cbecopt.results import Status
from cbecopt.stochastic.twostage import RiskOptions

log = logging.getLogger(__name__)

COLUMNS = (
    "strategy",
    "status",
    "objective",
    "bound",
    "gap",
    *KPI_COLUMNS,
    "saving",
    "value_of_integration",
    "note",
)
"""The columns of the table, then one ``cost[<platform>]`` per platform."""


@dataclass(frozen=True)
class Derived:
    """A difference of two strategies' objectives; ``None`` with the reason when one of the
    two solves was not proved optimal."""

    value: float | None
    reason: str = ""


@dataclass
class StrategyResult:
    """One strategy solved: its status and numbers, its KPIs and its plan (``solved``, the
    final solve; ``steps`` are every solve of ``sequential`` and of a myopic strategy)."""

    name: str
    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    kpis: dict | None
    note: str
    solved: Solved | None
    steps: list = field(default_factory=list)


@dataclass
class RemedyComparison:
    """Every strategy's result, the derived values and the table of one row per strategy."""

    results: dict[str, StrategyResult]
    remedy_values: dict[str, Derived]
    value_of_integration: Derived
    table: pd.DataFrame


def compare_strategies(
    d: NetworkData,
    options: SolveOptions | None = None,
    risk: RiskOptions | None = None,
    instance: Instance | None = None,
    config=None,
) -> RemedyComparison:
    """Solve ``d`` under each of :data:`STRATEGIES` within ``options``' one budget (each an
    equal share of what is left; time a strategy does not use passes on). With the
    ``instance`` ``d`` was read from (and its ``config``), a large risk-neutral ``joint`` is
    solved by SKU blocks (:func:`_by_blocks`, :func:`_joint_by_blocks`).

    On a Dask cluster (:func:`cbecopt.batch.running_on`) every strategy but ``joint`` is one
    task, all side by side within all but ``joint``'s share of the budget; ``joint`` then
    runs here, from ``sequential``'s plan, with what is left. A strategy a remedy leaves the
    same as another (:func:`inert_remedies`) reuses that one's plan either way."""
    from cbecopt.batch import current_batch, run_each  # the batch layer solves models: late

    options = (options or SolveOptions()).begin()
    risk = risk or RiskOptions()
    inert = inert_remedies(d)
    solved_for: dict[frozenset, str] = {}  # effective remedies -> the strategy solved with them
    same_as: dict[str, str] = {}
    for name in STRATEGIES:
        effective = strategy_remedies(name) - set(inert)
        if name == "sequential":
            continue
        if effective in solved_for:
            same_as[name] = solved_for[effective]
        else:
            solved_for[effective] = name
    results: dict[str, StrategyResult] = {}
    plans: dict[str, np.ndarray] = {}
    batch = current_batch()
    if batch.on_cluster:
        before_joint = {n: n for n in STRATEGIES if n != "joint" and n not in same_as}
        share = options.until(options.budget.portion(1 - 1 / len(STRATEGIES)))
        done = run_each("compare-remedies", before_joint, _strategy_task, d, share, batch, (risk,))
        for name, outcome in done.items():
            result, plan = outcome or (_not_finished(name), None)
            results[name] = result
            if plan is not None:
                plans[name] = plan
    for n, name in enumerate(STRATEGIES):
        if name in results:
            continue
        log.info("compare-remedies: %s (%d/%d)", name, n + 1, len(STRATEGIES))
        share = options.until(options.budget.share(len(STRATEGIES) - n))
        if name in same_as:
            results[name] = _same_plan(name, same_as[name], results, inert)
        elif name == "joint":
            start = plans.get("sequential", _plan_of(results.get("sequential")))
            if _by_blocks(d, instance, risk):
                results[name] = _joint_by_blocks(instance, d, share, risk, config, start)
            else:
                results[name] = _solve_strategy(name, d, share, risk, start)
        else:
            results[name] = _solve_strategy(name, d, share, risk)
    results = {name: results[name] for name in STRATEGIES}
    values = {r: difference(results["baseline"], results[r]) for r in REMEDIES}
    integration = difference(results["sequential"], results["joint"])
    table = _table(d, results, integration)
    return RemedyComparison(results, values, integration, table)


def _solve_strategy(
    name: str,
    d: NetworkData,
    options: SolveOptions,
    risk: RiskOptions,
    start: np.ndarray | None = None,
) -> StrategyResult:
    """One strategy other than a ``joint`` by SKU blocks, solved within ``options``' budget
    (``start``: a plan of its model to start from)."""
    if name == "sequential":
        return _sequential(d, options, risk)
    if prices_authenticity(name):
        solved = solve_restriction(strategy_restriction(d, name), options, risk, start)
        return _result(name, solved, solved.outcome.status, "", risk)
    return _myopic(name, strategy_restriction(d, name), options, risk)


def _strategy_task(
    d: NetworkData, name: str, options: SolveOptions, risk: RiskOptions
) -> tuple[StrategyResult, np.ndarray | None]:
    """A strategy solved in a Dask worker: its result without the Pyomo objects (its numbers,
    KPIs and note travel back) and its plan's values (``joint`` starts from
    ``sequential``'s)."""
    result = _solve_strategy(name, d, options, risk)
    plan = _plan_of(result)
    return dataclasses.replace(result, solved=None, steps=[]), plan


def _not_finished(name: str) -> StrategyResult:
    """A strategy a stop cancelled before it finished on the cluster."""
    why = "stopped before it finished on the cluster"
    return StrategyResult(name, Status.NO_SOLUTION, None, None, None, None, why, None)


def _same_plan(
    name: str, same: str, results: dict[str, StrategyResult], inert: dict[str, str]
) -> StrategyResult:
    """``name``'s result as ``same``'s: the remedies they differ by change nothing here."""
    why = "; ".join(inert[r] for r in sorted(strategy_remedies(name) ^ strategy_remedies(same)))
    note = "; ".join(n for n in (f"the same plan as {same}: {why}", results[same].note) if n)
    return dataclasses.replace(results[same], name=name, note=note)


BLOCKS_FROM_DEMAND = 2_000
"""Demand entries (scenario x market x SKU x month with demand) from which ``joint`` is solved
by SKU blocks. Measured on 2 cores on ``network_demo``: whole (14,400 entries), joint ended
5.9% from its bound in its share of 25 minutes, by blocks 0.24%; its first two months (2,400)
whole stay 6.9% from the bound after 120 s; its January alone (1,200) has every other strategy
proved optimal whole within minutes, where the blocks' bound (fixed costs split among SKUs)
stays 0.9% short."""


def _by_blocks(d: NetworkData, instance: Instance | None, risk: RiskOptions) -> bool:
    """Whether ``joint`` is solved by SKU blocks: risk-neutral, read from ``instance``, and
    at least :data:`BLOCKS_FROM_DEMAND` demand entries."""
    large = np.count_nonzero(d.demand) >= BLOCKS_FROM_DEMAND
    return instance is not None and risk.weight == 0 and large


def _joint_by_blocks(
    instance: Instance,
    d: NetworkData,
    options: SolveOptions,
    risk: RiskOptions,
    config,
    sequential: np.ndarray | None,
) -> StrategyResult:
    """``joint`` solved by SKU blocks (:func:`cbecopt.methods.network_blocks.solve_by_blocks`):
    the plan pass's plan, or ``sequential``'s plan when cheaper (a plan of the same model, so
    joint is never worse than sequential), with the SKUs' relaxations' bound; ``optimal`` only
    when that bound proves the plan within the MIP gap."""
    from cbecopt.methods.network_blocks import proven_by, solve_by_blocks  # methods: late
    from cbecopt.methods.warm_start import cheapest

    by_blocks = solve_by_blocks(instance, d, options, risk, config)
    solved, bound = by_blocks.solved, by_blocks.bound
    out = solved.outcome
    if solved.form is None:
        return _result("joint", solved, out.status, "", risk)
    compiled = solved.form.compile()
    plans = [p for p in (out.values, sequential) if p is not None and len(p) == compiled.n_cols]
    if not plans:
        return _result("joint", solved, out.status, "", risk)
    values = cheapest(compiled, plans)
    objective = compiled.objective_of(values)
    gap, status = proven_by(objective, bound, options.mip_rel_gap)
    from_blocks = out.values is not None and np.array_equal(values, out.values)
    note = "solved by SKU blocks" + ("" if from_blocks else "; sequential's plan")
    outcome = dataclasses.replace(
        out, status=status, objective=objective, bound=bound, gap=gap, values=values
    )
    return _result("joint", dataclasses.replace(solved, outcome=outcome), status, note, risk)


def _plan_of(result: StrategyResult | None) -> np.ndarray | None:
    """A strategy's plan, to start another strategy's search from (``joint`` starts from
    ``sequential``'s: a plan of the same model, so joint is never worse than sequential);
    ``None`` without one (a start of another model's size is left out by the solve)."""
    if result is None or result.solved is None:
        return None
    return result.solved.values


def difference(a: StrategyResult, b: StrategyResult) -> Derived:
    """``a``'s objective less ``b``'s, when both were proved optimal."""
    unproved = [r for r in (a, b) if r.status != Status.OPTIMAL or r.objective is None]
    if unproved:
        why = "; ".join(f"{r.name} is {r.status.value}" for r in unproved)
        return Derived(None, f"not proved: {why}")
    return Derived(a.objective - b.objective)


def _sequential(d: NetworkData, options: SolveOptions, risk: RiskOptions) -> StrategyResult:
    seq = solve_sequential(d, options, risk)
    result = _result("sequential", seq.final, seq.status, seq.note, risk)
    result.steps = seq.steps
    return result


def _myopic(name: str, r, options: SolveOptions, risk: RiskOptions) -> StrategyResult:
    """A strategy decided without pricing authenticity (:func:`solve_myopic`): the evaluated
    solve's numbers, ``optimal`` only when both solves were; when the myopic solve was not
    proved optimal its plan is not the strategy's, so the bound and gap (of that plan's
    evaluation) are null and the note says why."""
    m = solve_myopic(r, options, risk)
    result = _result(name, m.final, m.status, m.note, risk)
    if not m.proved and m.myopic.outcome.status != Status.OPTIMAL:
        result.bound = result.gap = None
    result.steps = m.steps
    return result


def _result(
    name: str, solved: Solved | None, status: Status, note: str, risk: RiskOptions
) -> StrategyResult:
    if solved is None or solved.values is None:
        out = None if solved is None else solved.outcome
        why = note or (out.termination if out is not None else "not reached")
        return StrategyResult(name, status, None, None, None, None, why, solved)
    out = solved.outcome
    kpis = plan_kpis(solved.data, solved.form, solved.values, risk.alpha)
    if status != Status.OPTIMAL and not note:
        note = out.termination
    return StrategyResult(name, status, out.objective, out.bound, out.gap, kpis, note, solved)


def _table(d: NetworkData, results: dict, integration: Derived) -> pd.DataFrame:
    rows = []
    for name, r in results.items():
        saving = None if name == "baseline" else difference(results["baseline"], r).value
        rows.append(
            {
                "strategy": name,
                "status": r.status.value,
                "objective": r.objective,
                "bound": r.bound,
                "gap": r.gap,
                **kpi_row(r.kpis, d.platforms),
                "saving": saving,
                "value_of_integration": integration.value if name == "joint" else None,
                "note": r.note,
            }
        )
    platforms = [f"cost[{p}]" for p in d.platforms]
    return pd.DataFrame(rows, columns=[*COLUMNS, *platforms])


def compare_remedies(
    instance: Instance, options: SolveOptions | None = None, config=None
) -> pd.DataFrame:
    """The comparison's runner: check ``instance`` for the ``network`` model with ``config``
    (every problem an ``InputError`` before anything is solved), then compare the strategies
    on its data within ``options``' one budget; one row per strategy. The strategies design
    the network from scratch, so the tables of what is already in motion are refused."""
    from cbecopt.models import check_inputs, model_spec  # the registry lists this model: late

    refuse_in_motion(
        instance,
        "the remedy comparison designs the network from scratch and does not take what is "
        "already in motion into account; solve with --model network, or leave this table out",
    )
    options = (options or SolveOptions()).begin()
    spec = model_spec("network", config)
    config = config if config is not None else spec.config_type()
    checked = check_inputs(instance, "network", config, options.seed)
    data = checked if isinstance(checked, NetworkData) else spec.problem(instance, config, checked)
    data = getattr(data, "data", data)
    return compare_strategies(data, options, getattr(config, "risk", None), instance, config).table


def remedy_summary(table: pd.DataFrame) -> dict:
    """The derived figures of a comparison's rows, for ``--json``: ``value_of_integration``
    (sequential - joint) and ``remedy_values`` (baseline - the remedy alone, by remedy), each
    ``null`` unless both of its solves were proved optimal (the rows' notes say why)."""
    by = table.set_index("strategy")

    def number(value) -> float | None:
        return None if pd.isna(value) else float(value)

    return {
        "value_of_integration": number(by.at["joint", "value_of_integration"]),
        "remedy_values": {r: number(by.at[r, "saving"]) for r in REMEDIES},
    }


def plot_remedies(table: pd.DataFrame, target, title: str = ""):
    """Bar chart of the expected total cost by strategy, the value of integration marked
    between the sequential and joint bars; written as a PNG atomically."""
    import numpy as np

    from cbecopt.plots import figure, save_png

    fig, ax = figure(1, (8.0, 4.4))
    cost = pd.to_numeric(table["total_cost"], errors="coerce")
    x = np.arange(len(table))
    colours = ["#8b1f1f" if s == "baseline" else "#1f5f8b" for s in table["strategy"]]
    bars = ax.bar(x, cost.fillna(0.0), color=colours)
    ax.bar_label(bars, labels=[f"{c:,.0f}" if c == c else "" for c in cost], fontsize=7, padding=6)
    ax.set_xticks(x, table["strategy"], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("expected total cost")
    ax.margins(y=0.12)  # room for the labels over the tallest bars
    ax.grid(True, axis="y", alpha=0.3)
    strategies = list(table["strategy"])
    if "sequential" in strategies and "joint" in strategies:
        seq, joint = strategies.index("sequential"), strategies.index("joint")
        value = table["value_of_integration"].iloc[joint]
        top, low = cost.iloc[seq], cost.iloc[joint]
        if not (math.isnan(top) or math.isnan(low)):
            edge = joint + 0.5  # right of the joint bar: from its cost up to the sequential's
            ax.hlines(top, seq + 0.4, edge, colors="#d98c00", linestyles="dotted")
            ax.annotate(
                "",
                xy=(edge, low),
                xytext=(edge, top),
                arrowprops={"arrowstyle": "<->", "color": "#d98c00"},
            )
        label = "not proved" if pd.isna(value) else f"{value:,.0f}"
        ax.set_title(f"value of integration (sequential - joint): {label}", fontsize=10)
    fig.suptitle(title or "remedy strategies")
    return save_png(fig, target)


def network_comparison() -> Comparison:
    """The comparison ``cbecopt compare --model network`` (``compare-remedies``) runs."""
    return Comparison(
        name="remedies",
        policies=STRATEGIES,
        run=compare_remedies,
        help="Solve the network model under the baseline (cheapest sources, a warehouse per "
        "platform, direct mail, firm orders), each remedy alone, the remedies decided one "
        "after another, and all of them jointly: cost, tax, counterfeits, service and CVaR "
        "per strategy, what each remedy saves and the value of integration, with a chart.",
        shown={
            "strategy": "strategy",
            "status": "status",
            "total_cost": "expected cost",
            "saving": "saving",
            "tax": "tax",
            "expected_counterfeit": "E counterfeit",
            "fill_rate": "fill rate",
            "average_delivery_days": "delivery days",
            "cvar": "CVaR",
            "gap": "gap",
        },
        caption="remedy strategies on {instance}",
        options=("--risk-weight", "--alpha"),
        percent=("fill_rate", "gap"),
        rows_key="strategies",
        note="CVaR of cost at alpha {config.risk.alpha:g}; saving = baseline - strategy and "
        "value of integration = sequential - joint, given only when both solves are proved "
        "optimal.",
        chart=plot_remedies,
        out="results/compare-remedies",
        summary=remedy_summary,
    )
