"""The multi-source capacitated facility location problem the Lagrangian method solves, as
arrays, and which warehouse models it covers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CFLP:
    """``m`` warehouses and ``n`` markets.

    Attributes
    ----------
    fixed : fixed cost of opening each warehouse, :math:`f_i`.
    capacity : units each can ship, :math:`s_i` (``inf``: unlimited).
    demand : units each market needs, :math:`d_j > 0`.
    cost : unit cost of the cheapest lane from warehouse i to market j, :math:`c_{ij}`
        (``inf``: no lane).
    """

    fixed: np.ndarray
    capacity: np.ndarray
    demand: np.ndarray
    cost: np.ndarray

    @property
    def total_demand(self) -> float:
        return float(self.demand.sum())

    @property
    def useful_capacity(self) -> np.ndarray:
        """Capacities cut at the total demand (no plan ships more): finite for the knapsack."""
        return np.minimum(self.capacity, self.total_demand)


def not_covered(data, config) -> str | None:
    """Why the Lagrangian method does not cover this ``warehouses`` model (``data``:
    :class:`~cbecopt.models.warehouses.build.WarehousesData`), ``None`` when it does: it
    solves the multi-source model without lane capacities or bounds on the number opened."""
    if config.single_source:
        return "single sourcing"
    if np.isfinite(data.lane_capacity).any():
        return "lane capacities"
    if config.min_open is not None or config.max_open is not None:
        return "a bound on the number of warehouses opened"
    served = np.zeros(len(data.MARKETS), bool)
    served[data.lane_market] = True
    if not served.all():
        return "a market no lane reaches"
    return None


def from_warehouses(data) -> CFLP:
    """The problem of a covered ``warehouses`` model (:func:`not_covered` is ``None``): the
    cheapest lane of each warehouse-market pair (several modes, none capacitated, act as
    one lane at the lowest cost)."""
    cost = np.full((len(data.WAREHOUSES), len(data.MARKETS)), np.inf)
    np.minimum.at(cost, (data.lane_warehouse, data.lane_market), data.unit_cost)
    return CFLP(
        fixed=np.asarray(data.fixed_cost, float),
        capacity=np.asarray(data.capacity, float),
        demand=np.asarray(data.demand, float),
        cost=cost,
    )
