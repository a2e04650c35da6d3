"""Why a warehouses instance can be infeasible, in sentences a planner can act on."""

from __future__ import annotations

import networkx as nx
import numpy as np

from cbecopt.diagnose import (
    SINK,
    SOURCE,
    TOLERANCE,
    ShortGroup,
    capacity_edge,
    quoted,
    short_groups,
)
from cbecopt.models.warehouses.build import WarehousesConfig, WarehousesData


def diagnose_warehouses(
    data: WarehousesData, config: WarehousesConfig, currency_units: str = "units"
) -> list[str]:
    """Why a warehouses instance can be infeasible: reachability, capacity (per market, per
    group of markets, in total), open-count and sourcing limits."""
    causes: list[str] = []
    n_w = len(data.WAREHOUSES)
    reach_cap = np.zeros(len(data.MARKETS))
    per_pair = _lane_capacity_per_pair(data)
    best_single = np.zeros(len(data.MARKETS))
    for (w, j), u in per_pair.items():
        # What a market can receive: per warehouse the lane capacity, capped by the warehouse.
        usable = min(u, data.capacity[w])
        reach_cap[j] += usable
        best_single[j] = max(best_single[j], usable)
    for j, market in enumerate(data.MARKETS):
        if not any(jj == j for (_, jj) in per_pair):
            causes.append(
                f"market '{market}' has demand {data.demand[j]:g} but no lane from any overseas warehouse: "
                "add an arc to it in arcs.csv or remove its demand"
            )
        elif reach_cap[j] < data.demand[j] - 1e-9:
            causes.append(
                f"market '{market}' needs {data.demand[j]:g} {currency_units} but its lanes and warehouses "
                f"can deliver at most {reach_cap[j]:g}: raise lane or warehouse capacity"
            )
        elif config.single_source and best_single[j] < data.demand[j] - 1e-9:
            causes.append(
                f"market '{market}' needs {data.demand[j]:g} {currency_units} from a single warehouse, "
                f"but the most any one can deliver is {best_single[j]:g}: allow multi-sourcing or raise capacity"
            )
    total_demand = float(data.demand.sum())
    capacity = np.where(np.isfinite(data.capacity), data.capacity, np.inf)
    total_capacity = float(capacity.sum())
    total_short = max(total_demand - total_capacity, 0.0)
    alone_short = np.maximum(data.demand - reach_cap, 0.0)
    for group in short_groups(_warehouse_network(data, per_pair)):
        markets = group.members("market")
        explained = alone_short[markets].sum()
        if len(markets) == len(data.MARKETS):
            explained = max(explained, total_short)
        if group.shortfall > explained + TOLERANCE * (1 + group.need):
            causes.append(_market_group_cause(data, group, currency_units))
    if total_short > 1e-9:
        causes.append(
            f"total warehouse capacity {total_capacity:g} is short of total demand {total_demand:g} "
            f"by {total_short:g} {currency_units}"
        )
    if config.max_open is not None and config.max_open < n_w:
        best = float(np.sort(capacity)[::-1][: config.max_open].sum())
        if best < total_demand - 1e-9:
            causes.append(
                f"at most {config.max_open} warehouses may open, and the {config.max_open} largest "
                f"hold {best:g}, short of total demand {total_demand:g}: raise max_open"
            )
    if config.min_open is not None and config.min_open > n_w:
        causes.append(
            f"min_open is {config.min_open} but there are only {n_w} candidate warehouses"
        )
    if not causes:
        causes.append(
            "HiGHS proved the model infeasible, but no single simple cause was found "
            "(checked: lanes to every market, capacities per market, per group of markets and "
            "in total, open-count limits"
            + (", single-sourcing" if config.single_source else "")
            + "); the combination of capacities and single assignments is too tight"
        )
    return causes


def _lane_capacity_per_pair(data: WarehousesData) -> dict[tuple[int, int], float]:
    """Lane capacity from each warehouse to each market it reaches, summed over modes."""
    per_pair: dict[tuple[int, int], float] = {}
    for w, j, u in zip(data.lane_warehouse, data.lane_market, data.lane_capacity, strict=True):
        per_pair[(w, j)] = per_pair.get((w, j), 0.0) + u
    return per_pair


def _warehouse_network(data: WarehousesData, per_pair: dict) -> nx.DiGraph:
    """source -> warehouse (capacity) -> market (lane capacity) -> sink (demand)."""
    network = nx.DiGraph()
    for w, capacity in enumerate(data.capacity):
        network.add_edge(SOURCE, ("warehouse", w), **capacity_edge(capacity))
    for (w, j), lane in per_pair.items():
        network.add_edge(("warehouse", w), ("market", j), **capacity_edge(lane))
    for j, demand in enumerate(data.demand):
        network.add_edge(("market", j), SINK, capacity=float(demand))
    return network


def _market_group_cause(data: WarehousesData, group: ShortGroup, units: str) -> str:
    held = group.binding_from("source")
    lanes = group.binding_from("warehouse")
    parts = []
    if held:
        parts.append(
            f"warehouses {quoted(data.WAREHOUSES[w] for _, (_, w), _ in held)} hold "
            f"{sum(c for *_, c in held):g}"
        )
    if lanes:
        origins = dict.fromkeys(data.WAREHOUSES[w] for (_, w), _, _ in lanes)
        parts.append(f"lanes from {quoted(origins)} carry {sum(c for *_, c in lanes):g}")
    return (
        f"markets {quoted(data.MARKETS[j] for j in group.members('market'))} need "
        f"{group.need:g} {units} together but can receive at most {group.capacity:g} "
        f"({' and '.join(parts)}): short by {group.shortfall:g} {units}; raise these "
        "capacities or add lanes to these markets from other warehouses"
    )
