"""Plain-language causes of infeasibility, checked on the data (not the solver's internals).

Each check returns sentences a planner can act on ("market X has no lane from any
warehouse"); they run when HiGHS reports a model infeasible.

Capacity shortfalls are found as a maximum flow: supply runs from a source through the
capacities of the network (warehouses and lanes; suppliers and their offers) to the demand
nodes, each joined to a sink by its demand. When the most that can flow is short of the total
demand, a minimum cut names the group of demand nodes that cannot be served and the
capacities that stop it (max-flow min-cut theorem, Ford and Fulkerson 1956): a cluster of
markets that only a few warehouses reach, say, although every market alone and the total are
fine.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
from networkx.algorithms.flow import preflow_push

from cbecopt.models.suppliers.data import SuppliersConfig, SuppliersData
from cbecopt.models.warehouses.build import WarehousesConfig, WarehousesData

SOURCE, SINK = ("source",), ("sink",)
"""The ends of a supply network (tuples, so they never equal a ``(layer, position)`` node)."""
TOLERANCE = 1e-9
"""Shortfalls and residual capacities below this (relative to the demand, plus this absolute)
count as none."""
NAMES_SHOWN = 5
"""How many names a message lists before counting the rest."""


@dataclass(frozen=True)
class ShortGroup:
    """Demand nodes a supply network cannot serve in full, and the capacities that stop them.

    Attributes
    ----------
    nodes : the group: its demand nodes and the supply nodes whose own capacity binds.
    need : the group's demand.
    binding : ``(from, to, capacity)`` of every edge into the group: together the most the
        group can receive (the group's part of a minimum cut).
    """

    nodes: frozenset
    need: float
    binding: tuple[tuple[Hashable, Hashable, float], ...]

    @property
    def capacity(self) -> float:
        return float(sum(capacity for *_, capacity in self.binding))

    @property
    def shortfall(self) -> float:
        return self.need - self.capacity

    def members(self, layer: str) -> list[int]:
        """Positions of the group's nodes of one layer (e.g. ``"market"``), in order."""
        return sorted(position for kind, position in self.nodes if kind == layer)

    def binding_from(self, layer: str) -> list[tuple[Hashable, Hashable, float]]:
        """The binding edges leaving nodes of ``layer`` (``"source"``: the capacities of the
        supply nodes themselves)."""
        return [edge for edge in self.binding if edge[0][0] == layer]


def capacity_edge(capacity: float) -> dict:
    """Edge attributes for networkx's flow algorithms: no ``capacity`` means unlimited."""
    return {} if np.isinf(capacity) else {"capacity": float(capacity)}


def short_groups(network: nx.DiGraph) -> list[ShortGroup]:
    """The groups of demand nodes ``network`` cannot serve in full, each with what binds it.

    ``network`` runs from :data:`SOURCE` to :data:`SINK`; each demand node's edge to the sink
    has its demand as capacity, other edges their capacity (none: unlimited). After a maximum
    flow, the nodes that can still reach the sink in the residual network form the smallest
    sink side of a minimum cut; each connected part of it is one group, short by its demand
    minus the capacity of the edges into it. Empty when the maximum flow meets every demand.
    """
    need = sum(network.edges[u, SINK]["capacity"] for u in network.predecessors(SINK))
    residual = preflow_push(network, SOURCE, SINK)
    if residual.graph["flow_value"] >= need - TOLERANCE * (1 + need):
        return []
    sink_side = _reaching_sink(residual, TOLERANCE * (1 + need))
    groups = []
    parts = nx.connected_components(network.subgraph(sink_side).to_undirected())
    for part in sorted(parts, key=min):
        binding = tuple(
            sorted(
                (u, v, float(network.edges[u, v].get("capacity", np.inf)))
                for v in part
                for u in network.predecessors(v)
                if u not in sink_side
            )
        )
        demand = sum(network.edges[v, SINK]["capacity"] for v in part if network.has_edge(v, SINK))
        group = ShortGroup(frozenset(part), float(demand), binding)
        if group.shortfall > TOLERANCE * (1 + need):
            groups.append(group)
    return groups


def _reaching_sink(residual: nx.DiGraph, tolerance: float) -> set:
    """Nodes (the sink excluded) with a path of residual capacity to the sink."""
    reached, queue = {SINK}, deque([SINK])
    while queue:
        v = queue.popleft()
        for u in residual.predecessors(v):
            edge = residual.edges[u, v]
            if u not in reached and edge["capacity"] - edge["flow"] > tolerance:
                reached.add(u)
                queue.append(u)
    return reached - {SINK}


def listed(items: Iterable[str], limit: int = NAMES_SHOWN) -> str:
    """``a, b, c``, or the first ``limit`` of them and how many more."""
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def quoted(names: Iterable, limit: int = NAMES_SHOWN) -> str:
    """``'a', 'b', 'c'``, or the first ``limit`` of them and how many more."""
    return listed((f"'{n}'" for n in names), limit)


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


def diagnose_suppliers(data: SuppliersData, config: SuppliersConfig) -> list[str]:
    """Why a supplier selection can be infeasible: capacity short of demand (per SKU, per group
    of SKUs sharing suppliers), policies no source meets."""
    causes: list[str] = []
    demand = data.demand.sum(axis=0)
    cap = _offer_capacity(data)
    reach = np.bincount(
        data.offer_sku,
        weights=np.minimum(cap, data.supplier_capacity[data.offer_supplier]),
        minlength=len(data.SKUS),
    )
    for k, sku in enumerate(data.SKUS):
        offers = np.flatnonzero(data.offer_sku == k)
        if reach[k] < demand[k] - 1e-9:
            causes.append(
                f"SKU '{sku}': its offers can supply {reach[k]:g} units in all (within their "
                f"suppliers' capacities), short of demand {demand[k]:g}"
            )
        if config.demand == "exact":
            too_big = offers[data.min_order[offers] > demand[k]]
            if len(too_big) == len(offers) and len(offers):
                causes.append(
                    f"SKU '{sku}': every offer's minimum order is above the demand {demand[k]:g}"
                )
        if config.max_counterfeit_rate is not None:
            best = (
                np.min(np.minimum(data.counterfeit_rate, data.inspected_rate)[offers])
                if len(offers)
                else 1.0
            )
            if best > config.max_counterfeit_rate:
                causes.append(
                    f"SKU '{sku}': no offer's counterfeit rate ({best:g} at best, after inspection) is within "
                    f"the cap {config.max_counterfeit_rate:g}"
                )
        if config.min_brand_direct_share and not data.brand_direct[offers].any():
            causes.append(
                f"SKU '{sku}': no brand-direct offer, but a brand-direct share of "
                f"{config.min_brand_direct_share:g} is required"
            )
        if (
            config.max_supplier_share is not None
            and len(offers) * config.max_supplier_share < 1 - 1e-9
        ):
            causes.append(
                f"SKU '{sku}': {len(offers)} offer(s) at most {config.max_supplier_share:g} each "
                "cannot cover the whole demand"
            )
    alone_short = np.maximum(demand - reach, 0.0)
    for group in short_groups(_supplier_network(data, cap, demand)):
        explained = alone_short[group.members("sku")].sum()
        if group.shortfall > explained + TOLERANCE * (1 + group.need):
            causes.append(_sku_group_cause(data, group))
    if config.max_suppliers is not None:
        causes.append(
            f"at most {config.max_suppliers} supplier(s) may be used: check it covers every SKU's demand"
        )
    return causes or [
        "the policies together (caps, shares, minimum orders, capacities) leave no feasible purchase plan"
    ]


def _offer_capacity(data: SuppliersData) -> np.ndarray:
    """The most each offer can supply (inf: unlimited), as the model bounds its purchase."""
    return np.minimum(data.capacity, data.upper)


def _supplier_network(data: SuppliersData, cap: np.ndarray, demand: np.ndarray) -> nx.DiGraph:
    """source -> supplier (its capacity over all SKUs) -> offer (its capacity) -> SKU -> sink
    (demand)."""
    network = nx.DiGraph()
    for s, capacity in enumerate(data.supplier_capacity):
        network.add_edge(SOURCE, ("supplier", s), **capacity_edge(capacity))
    for o, (s, k) in enumerate(zip(data.offer_supplier, data.offer_sku, strict=True)):
        network.add_edge(("supplier", s), ("offer", o), **capacity_edge(cap[o]))
        network.add_edge(("offer", o), ("sku", k))
    for k, need in enumerate(demand):
        network.add_edge(("sku", k), SINK, capacity=float(need))
    return network


def _sku_group_cause(data: SuppliersData, group: ShortGroup) -> str:
    held = group.binding_from("source")
    offers = group.binding_from("supplier")
    parts = []
    if held:
        parts.append(
            f"suppliers {quoted(data.SUPPLIERS[s] for _, (_, s), _ in held)} have capacity "
            f"{sum(c for *_, c in held):g} over all their SKUs"
        )
    if offers:
        named = (f"'{s}' for '{k}'" for s, k in (data.OFFERS[o] for _, (_, o), _ in offers))
        parts.append(f"the offers of {listed(named)} can supply {sum(c for *_, c in offers):g}")
    return (
        f"SKUs {quoted(data.SKUS[k] for k in group.members('sku'))} need {group.need:g} units "
        f"together but their offers can supply at most {group.capacity:g} "
        f"({' and '.join(parts)}): short by {group.shortfall:g} units; raise these capacities "
        "or add offers from other suppliers"
    )
