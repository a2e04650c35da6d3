"""The network graph every model reads.

Nodes carry their table attributes (``kind``, ``capacity`` with ``None`` for unlimited,
``fixed_cost``, ...) and, for markets, ``demand`` (total) and ``demand_by_platform``.
An edge ``(origin, destination)`` carries ``lanes``: a dict from mode to that lane's
attributes (``unit_cost``, ``lead_time_days``, ``capacity``), since two places can be linked
by several modes (air parcel and sea bulk, say).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

DEFAULT_MODE = "default"
NO_PLATFORM = "all"


def _clean(value: object) -> object:
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def build_graph(nodes: pd.DataFrame, arcs: pd.DataFrame | None, demand: pd.DataFrame) -> nx.DiGraph:
    """Build the directed network from validated tables (``arcs`` may be absent)."""
    if arcs is None:
        arcs = pd.DataFrame(columns=["origin", "destination", "unit_cost"])
    graph = nx.DiGraph()
    for row in nodes.to_dict("records"):
        attrs = {k: _clean(v) for k, v in row.items() if k != "id"}
        attrs["fixed_cost"] = attrs.get("fixed_cost") or 0.0
        attrs.setdefault("capacity", None)
        graph.add_node(row["id"], **attrs)
    origin = arcs["origin"].to_numpy()
    destination = arcs["destination"].to_numpy()
    modes = (
        arcs["mode"].fillna(DEFAULT_MODE).to_numpy()
        if "mode" in arcs
        else np.full(len(arcs), DEFAULT_MODE)
    )
    lane_columns = [c for c in arcs.columns if c not in ("origin", "destination", "mode")]
    lane_values = {c: arcs[c].to_numpy() for c in lane_columns}
    for k in range(len(arcs)):
        lane = {c: _clean(lane_values[c][k]) for c in lane_columns}
        lane.setdefault("capacity", None)
        edge = graph.get_edge_data(origin[k], destination[k])
        if edge is None:
            graph.add_edge(origin[k], destination[k], lanes={modes[k]: lane})
        else:
            edge["lanes"][modes[k]] = lane
    if "scenario" in demand and demand["scenario"].notna().any():
        return graph  # uncertain demand: the stochastic models read it from the table by scenario
    platform = (
        demand["platform"].fillna(NO_PLATFORM)
        if "platform" in demand
        else pd.Series(NO_PLATFORM, demand.index)
    )
    by_market = (
        demand.assign(platform=platform)
        .groupby(["market", "platform"], sort=False)["quantity"]
        .sum()
    )
    for (market, plat), quantity in by_market.items():
        node = graph.nodes[market]
        node.setdefault("demand_by_platform", {})[plat] = float(quantity)
        node["demand"] = node.get("demand", 0.0) + float(quantity)
    return graph


def nodes_of_kind(graph: nx.DiGraph, kind: str) -> list:
    """Node ids of one kind, in the order of the nodes table."""
    return [n for n, k in graph.nodes(data="kind") if k == kind]


@dataclass(frozen=True)
class Lane:
    """One way to ship from ``origin`` to ``destination`` by ``mode``."""

    origin: object
    destination: object
    mode: str
    unit_cost: float
    capacity: float | None
    lead_time_days: float | None


def lanes(
    graph: nx.DiGraph,
    origin_kind: str | None = None,
    destination_kind: str | None = None,
    mode: str | None = None,
) -> Iterator[Lane]:
    """Every lane whose ends have the given kinds (and mode), in the order of the arcs table."""
    kinds = graph.nodes
    for u, v, modes in graph.edges(data="lanes"):
        if origin_kind is not None and kinds[u]["kind"] != origin_kind:
            continue
        if destination_kind is not None and kinds[v]["kind"] != destination_kind:
            continue
        for m, lane in modes.items():
            if mode is None or m == mode:
                yield Lane(
                    u, v, m, lane["unit_cost"], lane.get("capacity"), lane.get("lead_time_days")
                )


def lane_table(graph: nx.DiGraph, origins: dict, destinations: dict) -> list[tuple]:
    """``(origin, destination, mode, attributes)`` of every lane between the given node sets.

    The fast path for large models: one pass over the edges, no objects per lane.
    """
    return [
        (u, v, mode, lane)
        for u, v, modes in graph.edges(data="lanes")
        if u in origins and v in destinations
        for mode, lane in modes.items()
    ]


def platforms(graph: nx.DiGraph) -> list[str]:
    """Platforms that own demand, in order of first appearance."""
    seen: dict[str, None] = {}
    for _, by_platform in graph.nodes(data="demand_by_platform"):
        for p in by_platform or {}:
            seen.setdefault(p, None)
    return list(seen)
