"""The networkx graph of an instance's network.

One node per node id, with its attributes (``kind``, ``capacity``, ``fixed_cost``, ... with
their defaults applied: a blank capacity is ``inf``); markets also carry ``demand``, their
expected total demand. One edge per origin and destination joined by a lane, carrying
``lanes``: a dict from mode to the lane's position in ``Network.lanes`` (the table of every
lane's role, costs, lead time and capacity), since two places can be joined by several modes
(air parcel and sea bulk, say). :class:`cbecopt.network.Network` builds it once per instance.
"""

from __future__ import annotations

import networkx as nx
import pandas as pd


def build_graph(nodes: pd.DataFrame, lanes: pd.DataFrame, market_demand: pd.Series) -> nx.DiGraph:
    """The graph of ``nodes`` (indexed by id), ``lanes`` (origin, destination, mode) and the
    demand of each market (a series indexed by market)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes.drop(columns="row", errors="ignore").to_dict("index").items())
    for market, quantity in market_demand.items():
        graph.nodes[market]["demand"] = float(quantity)
    modes: dict[tuple, dict] = {}
    ends = zip(
        *(lanes[c].to_numpy(dtype=object) for c in ("origin", "destination", "mode")), strict=True
    )
    for position, (origin, destination, mode) in enumerate(ends):
        modes.setdefault((origin, destination), {})[mode] = position
    graph.add_edges_from((u, v, {"lanes": by_mode}) for (u, v), by_mode in modes.items())
    return graph
