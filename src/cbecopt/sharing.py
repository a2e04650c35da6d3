"""What sharing overseas warehouses saves, and how to split the shared cost.

Platforms (sellers) that each ran their own warehouses would each solve the location problem
alone on the same candidates; sharing solves it once for their pooled demand. The saving is
the difference. The shared cost is split two ways, both adding up exactly to the shared total:
- by use: each platform pays the transport of its own units and a share of each open
  warehouse's fixed cost equal to its share of that warehouse's throughput;
- by the Shapley value of the cost game c(S) = optimal cost of coalition S alone: each
  platform pays its marginal cost averaged over every order in which the platforms could
  have joined (Shapley 1953). It needs c(S) for every coalition, 2^P - 1 solves, so it is
  computed for up to MAX_SHAPLEY_PLATFORMS platforms;
- by the nucleolus (Schmeidler 1969): the split that minimises the most any group of
  platforms pays above its own cost, then the next most, and so on (sequential LPs over the
  coalitions). The first of these levels is the least-core epsilon (Maschler, Peleg and
  Shapley 1979): at or below zero the core is not empty and the nucleolus lies in it.
With every coalition's cost known, each split is also checked against the core: no group of
platforms pays more than it would on its own (otherwise that group would rather leave).
:func:`shared_vs_independent` gives only the two totals, shared and independent, as the rows
of ``cbecopt compare --model warehouses``.

All the solves share the call's time budget, each coalition an equal share of what is left.
A coalition solve that stops at a limit knows its cost only within [bound, incumbent]: the
Shapley value is then reported as the interval that interval arithmetic proves
(``shapley_low``, ``shapley_high``), and the nucleolus, the least-core epsilon and the core
verdicts, which are not monotone in the costs, are computed from the incumbents and marked
unproven (the verdicts then ``None``), never shown as proved numbers.
"""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np
import pandas as pd

from cbecopt.errors import InputError
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models import check_inputs
from cbecopt.models.warehouses.build import WarehousesConfig
from cbecopt.models.warehouses.policies import SHARING_POLICIES
from cbecopt.pipeline import solve
from cbecopt.results import Result

log = logging.getLogger(__name__)

MAX_SHAPLEY_PLATFORMS = 6
"""Above this many platforms the 2^P - 1 coalition solves are skipped (63 at six)."""
CORE_TOLERANCE = 1e-6
"""A split leaves the core when a coalition pays more than its cost by this share of the total."""


def check_sharing(instance: Instance, config: WarehousesConfig | None = None) -> None:
    """What comparing shared and independent warehouses needs before any solve: the
    warehouses model's inputs (:func:`~cbecopt.models.check_inputs`), a platform owning every
    demand row and some demand to share; an ``InputError`` naming the demand file or sheet
    (and the rows without a platform) otherwise."""
    check_inputs(instance, "warehouses", config)
    network = instance.network
    demand = network.demand_rows
    if not network.has_column("demand", "platform") or not network.platforms:
        raise InputError(
            instance.problem(
                "demand",
                "comparing shared and independent warehouses needs a 'platform' column",
                column="platform",
            )
        )
    ownerless = demand.index[demand["platform"].isna()]
    if len(ownerless):
        raise InputError(
            [
                instance.problem(
                    "demand",
                    "has no platform: when platforms share warehouses, every demand row "
                    "belongs to one",
                    idx,
                    "platform",
                )
                for idx in ownerless
            ]
        )
    if not (demand["quantity"] > 0).any():
        raise InputError(
            instance.problem(
                "demand",
                "every quantity is 0: there is no demand to share, so sharing can save nothing",
                column="quantity",
            )
        )


def compare_sharing(
    instance: Instance, options: SolveOptions | None = None, config: WarehousesConfig | None = None
) -> Result:
    """Solve the shared network, each platform alone and (up to MAX_SHAPLEY_PLATFORMS
    platforms) every coalition of platforms; return the shared result with the comparison.

    Adds the tables ``platform_costs`` (platform, demand, independent_status, independent_cost,
    independent_open, allocated_cost, saving, saving_pct, shapley_cost, shapley_saving,
    nucleolus_cost, nucleolus_saving) and ``coalitions`` (see coalition_table), and the
    KPIs ``shared_cost``, ``independent_cost``, ``sharing_saving``, ``sharing_saving_pct``,
    ``by_use_in_core``, ``shapley_in_core``, ``least_core_epsilon`` and ``core_nonempty``
    (these four None when not every coalition was solved to optimality) and
    ``comparison_proven`` (every solve optimal), ``unproven_coalitions`` (those that were not).
    The time limit covers all the solves together. What :func:`check_sharing` refuses (no
    platform column, all demand 0, the warehouses model's input problems) is an
    ``InputError`` before any solve.
    """
    from cbecopt.batch import solve_each  # it imports the registry: late

    options = (options or SolveOptions()).begin()
    check_sharing(instance, config)
    names = instance.network.platforms
    members = (
        [frozenset(c) for k in range(1, len(names)) for c in itertools.combinations(names, k)]
        if len(names) <= MAX_SHAPLEY_PLATFORMS
        else [frozenset([name]) for name in names]
    )
    shared = solve(
        instance, "warehouses", options.until(options.budget.share(1 + len(members))), config
    )
    if not shared.ok:
        return shared
    timed = dict(shared.timings)
    demand = instance.network.demand_rows
    grand = frozenset(names)
    results: dict[frozenset, Result] = {grand: shared}
    labels = {c: ";".join(n for n in names if n in c) for c in members}
    jobs = {
        f"platforms {labels[c]} alone": (
            _alone(instance, demand[demand["platform"].isin(c)], labels[c]),
            config,
        )
        for c in members
    }
    solved = solve_each("sharing", jobs, "warehouses", options)
    results.update(zip(members, solved.values(), strict=True))
    cost = {c: (r.objective if r.ok else np.nan) for c, r in results.items()}
    low = {c: _proved_low(r) for c, r in results.items()}
    unproven = [c for c, r in results.items() if r.status.value != "optimal"]
    by_use = allocate_by_use(instance, shared)
    every_coalition = len(names) <= MAX_SHAPLEY_PLATFORMS
    splits: dict[str, dict[str, float] | None] = {
        "by_use": by_use,
        "shapley": None,
        "nucleolus": None,
    }
    epsilon = shapley_bounds = None
    if every_coalition:
        splits["shapley"] = shapley_split(names, cost)
        shapley_bounds = shapley_interval(names, low, cost)
        splits["nucleolus"], epsilon = nucleolus_split(names, cost)
    proven = every_coalition and not unproven
    table = pd.DataFrame(
        {
            "platform": names,
            "demand": instance.network.expected_demand(["platform"])[names].to_numpy(float),
            "independent_status": [results[frozenset([n])].status.value for n in names],
            "independent_cost": [cost[frozenset([n])] for n in names],
            "independent_open": [
                ";".join(results[frozenset([n])].kpis.get("open_warehouses", [])) for n in names
            ],
            "allocated_cost": [by_use[n] for n in names],
        }
    )
    table["saving"] = table["independent_cost"] - table["allocated_cost"]
    table["saving_pct"] = table["saving"] / table["independent_cost"]
    for split in ("shapley", "nucleolus"):
        values = splits.get(split)
        table[f"{split}_cost"] = [values[n] if values else np.nan for n in names]
        table[f"{split}_saving"] = table["independent_cost"] - table[f"{split}_cost"]
    for side, k in (("low", 0), ("high", 1)):
        table[f"shapley_{side}"] = [
            shapley_bounds[n][k] if shapley_bounds else np.nan for n in names
        ]
    coalitions = coalition_table(names, results, splits)
    independent_total = float(table["independent_cost"].sum())
    shared.tables["platform_costs"] = table
    shared.tables["coalitions"] = coalitions
    shared.kpis.update(
        {
            "shared_cost": shared.objective,
            "independent_cost": independent_total,
            "sharing_saving": independent_total - shared.objective,
            "sharing_saving_pct": _share(independent_total - shared.objective, independent_total),
            "allocation": "by use",
            **{
                f"{split}_in_core": _in_core(coalitions, f"{split}_excess", shared.objective)
                if proven
                else None
                for split in ("by_use", "shapley")
            },
            "least_core_epsilon": epsilon if proven else None,
            "least_core_epsilon_unproven": None if proven else epsilon,
            "core_nonempty": None
            if epsilon is None or not proven
            else bool(epsilon <= CORE_TOLERANCE * abs(shared.objective)),
            "comparison_proven": not unproven,
            "unproven_coalitions": [";".join(n for n in names if n in c) for c in unproven],
        }
    )
    if unproven:
        shared.diagnosis.append(
            f"{len(unproven)} of {len(results)} coalition solves were not proved optimal "
            f"({shared.kpis['unproven_coalitions'][0]}, ...): the Shapley value is given as the "
            "interval shapley_low..shapley_high; the nucleolus, the least-core epsilon "
            "(least_core_epsilon_unproven) and the core verdicts are unproven"
        )
    others = [r for c, r in results.items() if c != grand]
    parts = {k: timed.get(k, 0.0) + sum(r.timings.get(k, 0.0) for r in others) for k in TIMED}
    shared.timings = options.budget.timings(parts, instance.load_seconds)
    return shared


SHARING_COLUMNS = (
    "policy",
    "status",
    "cost",
    "warehouses_open",
    "saving",
    "saving_pct",
    "gap",
)


def shared_vs_independent(
    instance: Instance, options: SolveOptions | None = None, config: WarehousesConfig | None = None
) -> pd.DataFrame:
    """Shared warehouses against every platform running its own: one row per policy of
    :data:`~cbecopt.models.warehouses.policies.SHARING_POLICIES`, for ``cbecopt compare
    --model warehouses``.

    ``shared`` solves the platforms' pooled demand once; ``independent`` solves each platform
    alone on the same candidates and adds up their costs and open warehouses (its gap is that
    of the summed costs against the summed bounds). ``saving`` is the independent cost minus
    the row's cost, reported only when every solve was proved optimal (else the difference
    would be unfounded). The solves share the call's budget, each an equal share of what is
    left; what :func:`check_sharing` refuses is an ``InputError`` before any solve. The cost
    splits and coalitions are :func:`compare_sharing`'s.
    """
    from cbecopt.batch import solve_each  # they import the registry: late
    from cbecopt.compare import overall_status

    options = (options or SolveOptions()).begin()
    check_sharing(instance, config)
    demand = instance.network.demand_rows
    names = instance.network.platforms
    alone = {n: _alone(instance, demand[demand["platform"] == n], n) for n in names}
    shared_label, independent_label = SHARING_POLICIES
    jobs = {label: (source, config) for label, source in {shared_label: instance, **alone}.items()}
    results = solve_each("compare-sharing", jobs, "warehouses", options)
    shared = results.pop(shared_label)
    parts = list(results.values())
    rows = [_sharing_row(shared_label, shared.status.value, [shared])]
    statuses = [r.status.value for r in parts]
    rows.append(_sharing_row(independent_label, overall_status(statuses), parts))
    columns = [c for c in SHARING_COLUMNS if c not in ("saving", "saving_pct")]
    table = pd.DataFrame(rows, columns=columns).astype({"warehouses_open": "Int64"})
    independent = table["cost"].iloc[-1]
    proven = shared.status.value == "optimal" and all(r.status.value == "optimal" for r in parts)
    table.insert(4, "saving", independent - table["cost"] if proven else np.nan)
    table.insert(5, "saving_pct", table["saving"] / independent if independent else np.nan)
    return table


def _sharing_row(policy: str, status: str, results: list[Result]) -> dict:
    """One row of :func:`shared_vs_independent`: the results' summed cost and open warehouses,
    and the gap of the summed cost against the summed bounds (a single result's own gap);
    unknown unless every result has a solution (and a bound)."""
    if not all(r.ok for r in results):
        return {"policy": policy, "status": status}
    cost = sum(r.objective for r in results)
    gap = results[0].gap if len(results) == 1 else _summed_gap(cost, [r.bound for r in results])
    return {
        "policy": policy,
        "status": status,
        "cost": cost,
        "warehouses_open": sum(len(r.kpis["open_warehouses"]) for r in results),
        "gap": gap,
    }


def _summed_gap(cost: float, bounds: list[float | None]) -> float:
    """The relative gap of a summed cost against its summed bounds (NaN with a bound unknown)."""
    if any(b is None for b in bounds):
        return np.nan
    return abs(cost - sum(bounds)) / max(abs(cost), 1e-12)


def _share(saving: float, cost: float) -> float | None:
    """``saving`` as a share of ``cost``; ``None`` when there is no cost to save from (every
    lane and warehouse free), as the table's NaN says per platform."""
    return saving / cost if cost else None


TIMED = ("prepare", "build", "handoff", "solve", "extract")
"""Timings summed over the shared solve and every coalition's."""


def _proved_low(result: Result) -> float:
    """The lowest the coalition's optimal cost can be: its bound (NaN when unknown)."""
    if result.status.value == "optimal":
        return result.objective
    return result.bound if result.bound is not None else np.nan


def shapley_interval(
    names: list[str], low: dict[frozenset, float], high: dict[frozenset, float]
) -> dict[str, tuple[float, float]]:
    """The interval each Shapley value lies in when each coalition's cost c(S) is known only
    within [low(S), high(S)] (NaN where unknown).

    Platform i's Shapley value is linear in c, with a positive weight on every coalition that
    holds i and a negative one on every other: its least value takes low(S) where i is in S
    and high(S) elsewhere, its greatest the other way round.
    """
    bounds = {}
    for name in names:
        least = {c: (low[c] if name in c else high[c]) for c in low}
        most = {c: (high[c] if name in c else low[c]) for c in low}
        bounds[name] = (shapley_split(names, least)[name], shapley_split(names, most)[name])
    return bounds


def shapley_split(names: list[str], cost: dict[frozenset, float]) -> dict[str, float]:
    """Shapley value of the cost game: phi_i = sum over S not containing i of
    |S|! (P - |S| - 1)! / P! * (c(S + i) - c(S)), with c(empty) = 0."""
    p = len(names)
    value = dict(cost)
    value[frozenset()] = 0.0
    split = {}
    for name in names:
        others = [n for n in names if n != name]
        split[name] = sum(
            math.factorial(k)
            * math.factorial(p - k - 1)
            / math.factorial(p)
            * (value[frozenset(s) | {name}] - value[frozenset(s)])
            for k in range(p)
            for s in itertools.combinations(others, k)
        )
    return split


def nucleolus_split(
    names: list[str], cost: dict[frozenset, float]
) -> tuple[dict[str, float] | None, float | None]:
    """The nucleolus (Schmeidler 1969) and the least-core epsilon, by sequential LPs.

    The excess of coalition S under split y is y(S) - c(S), what S pays above its own cost.
    Round 1 finds the smallest epsilon with every proper coalition's excess <= epsilon and
    y(N) = c(N) (the least core; epsilon <= 0 iff the core is not empty). Each coalition
    whose excess cannot fall below that level without raising it (checked by one LP each) is
    fixed there, and the next round lowers the largest excess of the rest, until y is unique.
    (None, None) when a coalition has no cost.
    """
    from scipy.optimize import linprog

    if any(np.isnan(v) for v in cost.values()):
        return None, None
    grand = frozenset(names)
    p = len(names)

    def row(c: frozenset) -> np.ndarray:
        return np.array([1.0 if n in c else 0.0 for n in names])

    free = [(row(c), cost[c]) for c in cost if c != grand]  # (members, c(S)) not yet fixed
    if not free:  # one platform pays it all; no coalition to compare with
        return {names[0]: cost[grand]}, None
    eq_rows, eq_rhs = [[*row(grand), 0.0]], [cost[grand]]
    least_core = y = None
    while free:
        ub = [list(r) + [-1.0] for r, _ in free]
        ub_rhs = [v for _, v in free]
        lp = linprog(
            c=[0.0] * p + [1.0],
            A_ub=ub,
            b_ub=ub_rhs,
            A_eq=eq_rows,
            b_eq=eq_rhs,
            bounds=[(None, None)] * (p + 1),
            method="highs",
        )
        if lp.status != 0:
            return None, None
        level, y = float(lp.x[-1]), lp.x[:-1]
        least_core = level if least_core is None else least_core
        tight = []
        for k, (r, v) in enumerate(free):  # can S's excess go below the level?
            lower = linprog(
                c=list(r) + [0.0],
                A_ub=ub,
                b_ub=ub_rhs,
                A_eq=eq_rows,
                b_eq=eq_rhs,
                bounds=[(None, None)] * p + [(level, level)],
                method="highs",
            )
            if lower.status == 0 and lower.fun - v >= level - NUCLEOLUS_TOLERANCE * (1 + abs(v)):
                tight.append(k)
        if not tight:  # round-off: the LP's own tight rows are the best guess
            tight = [k for k, (r, v) in enumerate(free) if r @ y - v >= level - 1e-9 * (1 + abs(v))]
        for k in tight:
            eq_rows.append(list(free[k][0]) + [0.0])
            eq_rhs.append(free[k][1] + level)
        free = [f for k, f in enumerate(free) if k not in tight]
        if np.linalg.matrix_rank(np.array(eq_rows)[:, :p]) == p:
            break
    return dict(zip(names, map(float, y), strict=True)), least_core


NUCLEOLUS_TOLERANCE = 1e-9
"""Relative slack below which a coalition's excess counts as fixed at the round's level."""


def coalition_table(
    names: list[str],
    results: dict[frozenset, Result],
    splits: dict[str, dict[str, float] | None],
) -> pd.DataFrame:
    """One row per coalition solved: its own cost and what each split charges its members.

    The excess (cost alone minus what the split charges) is negative where that coalition
    pays more than it would on its own, i.e. where the split is outside the core.
    """
    rows = []
    for coalition, result in sorted(results.items(), key=lambda kv: (len(kv[0]), sorted(kv[0]))):
        own = result.objective if result.ok else np.nan
        row = {
            "coalition": ";".join(n for n in names if n in coalition),
            "size": len(coalition),
            "status": result.status.value,
            "cost": own,
        }
        for split, values in splits.items():
            charged = sum(values[n] for n in coalition) if values else np.nan
            row |= {split: charged, f"{split}_excess": own - charged}
        rows.append(row)
    return pd.DataFrame(rows)


def _in_core(coalitions: pd.DataFrame, excess: str, total: float) -> bool | None:
    """Whether no coalition pays more than its own cost; None when a coalition has no cost."""
    values = coalitions[excess].to_numpy(float)
    if np.isnan(values).any():
        return None
    return bool((values >= -CORE_TOLERANCE * abs(total)).all())


def allocate_by_use(instance: Instance, shared: Result) -> dict[str, float]:
    """Split the shared cost: own transport plus fixed cost in proportion to units through each warehouse."""
    network = instance.network
    by_platform = network.expected_demand(["market", "platform"])
    total = network.expected_demand(["market"])
    flows = shared.tables["flows"]
    opened = shared.tables["open"].set_index("warehouse")
    cost = {p: 0.0 for p in network.platforms}
    for row in flows.itertuples(index=False):
        throughput = opened.at[row.warehouse, "throughput"]
        fixed_share = (
            opened.at[row.warehouse, "fixed_cost"] * row.quantity / throughput
            if throughput > 0
            else 0.0
        )
        for platform, quantity in by_platform[row.market].items():
            share = quantity / total[row.market]
            cost[platform] += share * (row.cost + fixed_share)
    return cost


def _alone(instance: Instance, demand: pd.DataFrame, label: str) -> Instance:
    """The instance with only ``demand`` (some platforms' rows), named after them."""
    about = {**instance.meta["instance"], "name": f"{instance.name}[{label}]"}
    return instance.with_tables(meta={**instance.meta, "instance": about}, demand=demand)
