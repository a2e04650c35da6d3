"""The Lagrangian bound of the multi-source CFLP, demand rows relaxed, the aggregate capacity
row kept (Görtz and Klose 2012).

With multipliers :math:`u_j` on :math:`\\sum_i x_{ij} = d_j`,

.. math::
    L(u) = \\sum_j u_j d_j + \\min_y \\Big\\{ \\sum_i g_i(u)\\, y_i :
        \\sum_i s_i y_i \\ge D,\\; y \\in \\{0,1\\}^m \\Big\\}, \\qquad
    g_i(u) = f_i + \\min \\Big\\{ \\sum_j (c_{ij} - u_j) x_{ij} :
        \\sum_j x_{ij} \\le s_i,\\; 0 \\le x_{ij} \\le d_j \\Big\\}

Each :math:`g_i` is a continuous knapsack, solved by sorting the reduced costs; the choice of
warehouses is the 0-1 covering knapsack of :mod:`cbecopt.cflp.knapsack`. :math:`L(u)` is a
lower bound on the optimum for every :math:`u` (and under any fixing of warehouses open or
closed, on the optimum with that fixing); a subgradient ascent raises it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cbecopt.cflp.knapsack import cover, cover_lp
from cbecopt.cflp.problem import CFLP


@dataclass(frozen=True)
class Fixing:
    """Warehouses held open and held closed by branching or by reduced-cost fixing."""

    open: np.ndarray
    closed: np.ndarray

    @classmethod
    def none(cls, m: int) -> Fixing:
        return cls(np.zeros(m, bool), np.zeros(m, bool))

    @property
    def free(self) -> np.ndarray:
        return ~(self.open | self.closed)

    def with_(self, i: int, is_open: bool) -> Fixing:
        """This fixing with warehouse ``i`` held open (``is_open``) or closed."""
        opened, closed = self.open.copy(), self.closed.copy()
        (opened if is_open else closed)[i] = True
        return Fixing(opened, closed)


@dataclass(frozen=True)
class Relaxed:
    """:math:`L(u)` under a fixing: its value, the warehouses chosen, each warehouse's
    :math:`g_i`, and the units each market gets from them (its subgradient is
    :math:`d_j` less these)."""

    value: float
    open: np.ndarray
    g: np.ndarray
    received: np.ndarray
    constant: float

    def forced(self, p: CFLP, fixing: Fixing, i: int, is_open: bool) -> float:
        """A lower bound on :math:`L(u)` with warehouse ``i`` also forced open or closed: at
        or above the incumbent, ``i`` can be fixed the other way. The warehouses' choice is
        solved exactly where that is a sort (equal free capacities), by its LP relaxation
        otherwise."""
        s = p.useful_capacity
        held = fixing.with_(i, is_open)
        always = held.free & (self.g <= 0)
        taken = held.open | always
        need = p.total_demand - s[taken].sum()
        rest = held.free & ~always
        if len(np.unique(s[rest])) <= 1:
            exact = cover(self.g, s, need, rest)
            rest_cost = math.inf if exact is None else exact[0]
        else:
            rest_cost = cover_lp(self.g, s, need, rest)
        return self.constant + self.g[taken].sum() + rest_cost


def relax(p: CFLP, u: np.ndarray, fixing: Fixing) -> Relaxed | None:
    """:math:`L(u)` under ``fixing``; ``None`` when the warehouses left open cannot cover the
    demand."""
    s = p.useful_capacity
    reduced = p.cost - u
    order = np.argsort(reduced, axis=1)  # each warehouse's markets by reduced cost
    sorted_cost = np.take_along_axis(reduced, order, axis=1)
    wanted = p.demand[order]
    before = np.cumsum(wanted, axis=1) - wanted
    shipped = np.clip(s[:, None] - before, 0.0, wanted)
    shipped[~(sorted_cost < 0)] = 0.0  # only lanes of negative reduced cost are worth it
    g = p.fixed + (np.where(shipped > 0, sorted_cost, 0.0) * shipped).sum(axis=1)
    always = fixing.free & (g <= 0)
    taken = fixing.open | always
    chosen = cover(g, s, p.total_demand - s[taken].sum(), fixing.free & ~always)
    if chosen is None:
        return None
    value, more = chosen
    opened = taken | more
    received = np.bincount(order[opened].ravel(), shipped[opened].ravel(), minlength=len(p.demand))
    constant = float(u @ p.demand)
    total = constant + float(g[taken].sum()) + value
    return Relaxed(total, opened, g, received, constant)


@dataclass
class Ascent:
    """The best bound a subgradient ascent reached: ``None`` values when the fixing leaves
    no cover; ``share_open`` is how often each warehouse was chosen (a branching guide)."""

    value: float
    u: np.ndarray
    best: Relaxed | None
    share_open: np.ndarray
    iterations: int


def ascend(
    p: CFLP,
    u: np.ndarray,
    fixing: Fixing,
    upper: Callable[[], float],
    enough: Callable[[float], bool],
    iterations: int,
    step: float,
    stop: Callable[[], bool],
    seen: Callable[[np.ndarray], None] = lambda opened: None,
) -> Ascent:
    """Raise :math:`L(u)` under ``fixing`` by subgradient steps
    :math:`u \\leftarrow u + \\lambda (\\bar z - L(u)) \\gamma / \\|\\gamma\\|^2`,
    :math:`\\gamma_j = d_j - \\text{received}_j`, :math:`\\bar z` = ``upper()`` (the incumbent),
    :math:`\\lambda` = ``step`` halved after 20 steps without a better bound. Ends after
    ``iterations``, when ``enough(bound)`` (the node can be pruned), when :math:`\\lambda`
    is negligible, or on ``stop()``; ``seen(open)`` is told each set of warehouses chosen."""
    best = Ascent(-math.inf, u, None, np.zeros(len(p.fixed)), 0)
    counted = np.zeros(len(p.fixed))
    stalled = 0
    for n in range(1, iterations + 1):
        relaxed = relax(p, u, fixing)
        if relaxed is None:
            return best
        seen(relaxed.open)
        counted += relaxed.open
        best.iterations = n
        if best.best is None or relaxed.value > best.value + 1e-9 * max(abs(best.value), 1.0):
            best.value, best.u, best.best, stalled = relaxed.value, u, relaxed, 0
        else:
            stalled += 1
            if stalled >= 20:
                step, stalled = step / 2, 0
        gradient = p.demand - relaxed.received
        norm = float(gradient @ gradient)
        if enough(best.value) or norm <= 1e-12 or step < 1e-4 or stop():
            break
        target = upper()
        if not math.isfinite(target):
            target = relaxed.value + 0.05 * abs(relaxed.value) + 1.0
        u = u + step * max(target - relaxed.value, 0.0) / norm * gradient
    best.share_open = counted / best.iterations
    return best
