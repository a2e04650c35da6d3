"""What the models' diagnoses share: plain-language causes of infeasibility, checked on the
data (not the solver's internals).

Each model's diagnosis (``models/<key>/diagnose.py``, registered as ``ModelSpec.diagnose``)
returns sentences a planner can act on ("market X has no lane from any warehouse"); they run
when HiGHS reports a model infeasible.

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
