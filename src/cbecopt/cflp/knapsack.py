"""The warehouse subproblem of the Lagrangian bound: a 0-1 covering knapsack.

Choose open warehouses at least cost so that their capacities cover the total demand,

.. math:: \\min \\sum_i g_i y_i \\quad \\text{s.t.} \\quad \\sum_i s_i y_i \\ge D,
    \\; y_i \\in \\{0, 1\\},

with some :math:`y_i` fixed by branching. Warehouses of cost :math:`g_i \\le 0` are always
taken (they only add capacity). The rest is solved exactly: by sorting when every free
capacity is equal (the OR-Library sets), by dynamic programming over the capacity left to
cover when capacities are whole numbers (after dividing by their greatest common divisor),
and by HiGHS otherwise. :func:`cover_lp` is the LP relaxation, a cheap lower bound.
"""

from __future__ import annotations

import math

import highspy
import numpy as np

from cbecopt.highs import new_highs, use_threads

DP_MOST_STATES = 2_000_000
"""Largest capacity to cover (in units of the capacities' common divisor) solved by dynamic
programming; larger ones go to HiGHS."""


def cover(
    cost: np.ndarray, capacity: np.ndarray, need: float, free: np.ndarray
) -> tuple[float, np.ndarray] | None:
    """The cheapest set of ``free`` items (a boolean mask) with capacity at least ``need``:
    ``(cost, chosen mask)``, or ``None`` when even all of them fall short."""
    chosen = np.zeros(len(cost), bool)
    if need <= 0:
        return 0.0, chosen
    items = np.flatnonzero(free)
    if capacity[items].sum() < need:
        return None
    caps = capacity[items]
    if np.all(caps == caps[0]):
        taken = items[np.argsort(cost[items], kind="stable")[: math.ceil(need / caps[0] - 1e-9)]]
    else:
        taken = _by_dynamic_programming(cost[items], caps, need)
        taken = items[taken] if taken is not None else items[_by_highs(cost[items], caps, need)]
    chosen[taken] = True
    return float(cost[taken].sum()), chosen


def cover_lp(cost: np.ndarray, capacity: np.ndarray, need: float, free: np.ndarray) -> float:
    """The LP relaxation of :func:`cover` (items by cost per unit of capacity, the last one
    in part): a lower bound on it, ``inf`` when all free items fall short."""
    if need <= 0:
        return 0.0
    items = np.flatnonzero(free & (capacity > 0))
    if capacity[items].sum() < need - 1e-9:
        return math.inf
    order = items[np.argsort(cost[items] / capacity[items], kind="stable")]
    before = np.concatenate([[0.0], np.cumsum(capacity[order])[:-1]])
    share = np.clip((need - before) / capacity[order], 0.0, 1.0)
    return float(cost[order] @ share)


def _by_dynamic_programming(cost: np.ndarray, caps: np.ndarray, need: float) -> np.ndarray | None:
    """Positions of the cheapest cover, by DP over the capacity still to cover; ``None`` when
    the capacities are not whole numbers or the table would be too large."""
    if not np.all(caps == np.round(caps)):
        return None
    unit = math.gcd(*(int(c) for c in caps))
    sizes = (caps // unit).astype(np.int64)
    target = math.ceil(need / unit - 1e-9)
    if target > DP_MOST_STATES:
        return None
    best = np.full(target + 1, math.inf)  # best[c]: least cost covering at least c
    best[0] = 0.0
    taken = []  # per item, where taking it improved best (packed bits)
    for size, price in zip(sizes, cost, strict=True):
        with_it = np.empty_like(best)
        head = min(size, target + 1)
        with_it[:head] = price
        with_it[head:] = best[: target + 1 - head] + price
        better = with_it < best
        best = np.where(better, with_it, best)
        taken.append(np.packbits(better))
    chosen, left = [], target
    for item in range(len(sizes) - 1, -1, -1):
        if left > 0 and taken[item][left >> 3] >> (7 - (left & 7)) & 1:  # bit ``left``
            chosen.append(item)
            left = max(left - int(sizes[item]), 0)
    return np.array(chosen[::-1], np.int64)


def _by_highs(cost: np.ndarray, caps: np.ndarray, need: float) -> np.ndarray:
    """Positions of the cheapest cover, by HiGHS (a one-row binary program)."""
    h = new_highs()
    use_threads(h, 1)
    h.setOptionValue("mip_rel_gap", 0.0)
    n = len(cost)
    h.passModel(
        n,
        1,
        n,
        highspy.MatrixFormat.kRowwise.value,
        highspy.ObjSense.kMinimize.value,
        0.0,
        cost.astype(float),
        np.zeros(n),
        np.ones(n),
        np.array([float(need)]),
        np.array([highspy.kHighsInf]),
        np.array([0], np.int32),
        np.arange(n, dtype=np.int32),
        caps.astype(float),
        np.full(n, highspy.HighsVarType.kInteger.value, np.int32),
    )
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(
            f"HiGHS did not solve a knapsack: {h.modelStatusToString(h.getModelStatus())}"
        )
    return np.flatnonzero(np.asarray(h.getSolution().col_value) > 0.5)
