"""Branch-and-bound over which warehouses open, bounded by the Lagrangian bound
(:mod:`cbecopt.cflp.bound`), each set of open warehouses met priced exactly by the
transportation LP (:mod:`cbecopt.cflp.transport`). After Görtz and Klose (2012), "A simple
but usually fast branch-and-bound algorithm for the capacitated facility location problem",
INFORMS J. Computing 24(4).

Best bound first. At each node the ascent starts from its parent's multipliers; a warehouse
whose forced change lifts the bound to the incumbent is fixed (reduced-cost fixing); the node
branches on the free warehouse the ascent chose most nearly half the time. The search ends
when every node is pruned (the incumbent proved within ``rel_gap``), or at the deadline or a
stop request, with the incumbent and the least bound of the nodes left.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cbecopt.cflp.bound import Fixing, ascend
from cbecopt.cflp.problem import CFLP
from cbecopt.cflp.transport import transport

ROOT_ITERATIONS = 3000
NODE_ITERATIONS = 100
ROOT_STEP, NODE_STEP = 2.0, 0.5
"""Subgradient steps: many at the root from :math:`\\lambda = 2`, fewer at a node from its
parent's multipliers."""
PRICING_SHARE = 0.3
"""Share of the elapsed time that pricing sets met during the ascent may take (the set of the
best bound of each node is priced regardless)."""


@dataclass(frozen=True)
class CFLPSolution:
    """The incumbent (``open`` mask, ``flows`` m x n; ``None`` without one), its cost, the
    proven lower bound, and how the search ended (``proved``: within ``rel_gap``)."""

    open: np.ndarray | None
    flows: np.ndarray | None
    objective: float | None
    bound: float
    proved: bool
    infeasible: bool
    termination: str
    nodes: int
    iterations: int
    priced: int


class _Incumbent:
    """The best plan met, each set of open warehouses priced once."""

    def __init__(self, p: CFLP):
        self.p = p
        self.value = math.inf
        self.open: np.ndarray | None = None
        self.flows: np.ndarray | None = None
        self.priced: dict[bytes, float] = {}
        self.seconds = 0.0

    def price(self, opened: np.ndarray) -> float:
        key = np.packbits(opened).tobytes()
        if key not in self.priced:
            started = time.perf_counter()
            exact = transport(self.p, opened)
            self.seconds += time.perf_counter() - started
            cost = math.inf if exact is None else exact[0] + float(self.p.fixed[opened].sum())
            self.priced[key] = cost
            if cost < self.value:
                self.value, self.open, self.flows = cost, opened.copy(), exact[1]
        return self.priced[key]


def solve_cflp(
    p: CFLP, rel_gap: float = 1e-6, stop: Callable[[], bool] = lambda: False
) -> CFLPSolution:
    """The exact multi-source CFLP by Lagrangian branch-and-bound, until proved within
    ``rel_gap`` or ``stop()``; a ``KeyboardInterrupt`` ends it like ``stop``."""
    started = time.perf_counter()
    best = _Incumbent(p)
    m = len(p.fixed)
    everything = np.ones(m, bool)
    if math.isinf(best.price(everything)):
        return CFLPSolution(None, None, None, math.inf, False, True, "infeasible", 0, 0, 1)
    best.price(_greedy_open(p))

    def prune_at() -> float:
        return best.value - rel_gap * abs(best.value)

    def meet(opened: np.ndarray) -> None:
        if best.seconds <= PRICING_SHARE * (time.perf_counter() - started) + 0.05:
            best.price(opened)

    counter = itertools.count()
    u0 = np.min(p.cost + (p.fixed / p.useful_capacity)[:, None], axis=0)
    heap = [(-math.inf, next(counter), Fixing.none(m), u0)]
    closed_bound = math.inf  # least bound of the nodes pruned by bound
    nodes = iterations = 0
    termination = "optimal"
    current = None  # the bound of the node being searched, until it is closed or branched on
    try:
        while heap:
            current = None  # the node before was closed or branched on
            if heap[0][0] >= prune_at():
                break
            if stop():
                termination = "stopped"
                break
            parent_bound, _, fixing, u = heapq.heappop(heap)
            current = parent_bound
            nodes += 1
            root = nodes == 1
            ascent = ascend(
                p,
                u,
                fixing,
                upper=lambda: best.value,
                enough=lambda value: value >= prune_at(),
                iterations=ROOT_ITERATIONS if root else NODE_ITERATIONS,
                step=ROOT_STEP if root else NODE_STEP,
                stop=stop,
                seen=meet,
            )
            iterations += ascent.iterations
            if ascent.best is None:
                continue  # the fixing leaves no cover: nothing below this node
            bound = max(ascent.value, parent_bound)
            best.price(ascent.best.open)
            free = fixing.free
            if not free.any():
                closed_bound = min(closed_bound, best.price(fixing.open))
                continue
            if bound >= prune_at():
                closed_bound = min(closed_bound, bound)
                continue
            fixing = _fix_by_reduced_cost(p, ascent.best, fixing, prune_at())
            if not fixing.free.any():
                heapq.heappush(heap, (bound, next(counter), fixing, ascent.u))
                continue
            i = _branching_warehouse(ascent.share_open, fixing.free)
            for is_open in (True, False):
                heapq.heappush(heap, (bound, next(counter), fixing.with_(i, is_open), ascent.u))
        current = None  # the loop ended between nodes
    except KeyboardInterrupt:
        termination = "interrupted"
    left = min((entry[0] for entry in heap), default=math.inf)
    if current is not None:  # interrupted inside a node: nothing below its parent's bound
        left = min(left, current)
    bound = min(left, closed_bound, best.value)
    if termination == "optimal" and heap and heap[0][0] < prune_at():
        termination = "stopped"
    proved = termination == "optimal" and best.open is not None
    return CFLPSolution(
        best.open,
        best.flows,
        None if best.open is None else best.value,
        bound,
        proved,
        False,
        termination,
        nodes,
        iterations,
        len(best.priced),
    )


def _greedy_open(p: CFLP) -> np.ndarray:
    """A first plan: warehouses by fixed plus mean unit cost per unit of capacity, opened
    until they cover the demand."""
    reachable = np.isfinite(p.cost)
    mean_cost = np.where(reachable, p.cost, 0.0).sum(axis=1) / np.maximum(reachable.sum(axis=1), 1)
    s = p.useful_capacity
    order = np.argsort(p.fixed / s + mean_cost, kind="stable")
    enough = np.searchsorted(np.cumsum(s[order]), p.total_demand - 1e-9) + 1
    opened = np.zeros(len(s), bool)
    opened[order[:enough]] = True
    return opened


def _fix_by_reduced_cost(p: CFLP, relaxed, fixing: Fixing, prune_at: float) -> Fixing:
    """``fixing`` with every free warehouse whose forced change lifts the bound to
    ``prune_at`` held where the relaxation has it."""
    for i in np.flatnonzero(fixing.free):
        is_open = bool(relaxed.open[i])
        if relaxed.forced(p, fixing, i, not is_open) >= prune_at:
            fixing = fixing.with_(i, is_open)
    return fixing


def _branching_warehouse(share_open: np.ndarray, free: np.ndarray) -> int:
    """The free warehouse the ascent chose most nearly half the time."""
    distance = np.where(free, np.abs(share_open - 0.5), np.inf)
    return int(np.argmin(distance))
