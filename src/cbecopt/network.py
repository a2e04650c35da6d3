"""The network every model reads: nodes by kind, lanes by role, demand with a scenario axis.

An instance's tables are validated once at load; the :class:`Network` is built from them
right after, once per instance (``Instance.network``), and is the only way a model reads its
data. It applies each column's default, declared once on the schema field
(:mod:`cbecopt.schemas`: a blank capacity is unlimited, a blank fixed cost 0, ...), so a blank
means the same in every model, and it gives every lane a role from the kinds of its ends:

============  ==========================================  ==================================
role          origin kind -> destination kind             channel
============  ==========================================  ==================================
first_mile    supplier -> overseas_warehouse or port      None
inbound       supplier, overseas_warehouse or port        ``bonded``; ``general_trade``
              -> bonded_warehouse or domestic_warehouse   into a domestic_warehouse
last_mile     bonded_warehouse or domestic_warehouse      as its inbound lanes
              -> market
direct        supplier, overseas_warehouse or port        from the mode (``cbec_parcel``:
              -> market                                   ``cbec_direct``, ...); None when
                                                          the mode is no CBEC channel
other         anything else                               None
============  ==========================================  ==================================

A lane that is not in the arcs table does not exist: no model ships where no lane leads (the
suppliers model, given no supplier-to-market lane at all, leaves freight out).

Demand is one long table keyed market x sku x month x platform with a scenario axis: a row
of the demand table with a scenario belongs to that scenario, a row without one is certain
and counts in every scenario. An instance without scenario rows has the one scenario
:data:`BASE_SCENARIO` of probability 1, so deterministic and two-stage models read demand the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import networkx as nx
import numpy as np
import pandas as pd

from cbecopt.channels import CHANNELS, DIRECT_MODES
from cbecopt.fields import NUMERIC, SameAs, TableSchema
from cbecopt.graph import build_graph
from cbecopt.scenarios import ScenarioSet, scenario_set
from cbecopt.schemas import SCHEMAS

SUPPLY_KINDS = ("supplier", "overseas_warehouse", "port")
"""Node kinds goods start from: the origins of inbound and direct lanes."""
ROLES = ("first_mile", "inbound", "last_mile", "direct", "other")
"""Lane roles, from the kinds of the lane's ends (see the module docstring)."""
BONDED_CHANNEL = CHANNELS[0]
"""The channel of inbound and last-mile lanes of a bonded warehouse (customs mode 1210)."""
STOCK_CHANNELS = {"bonded_warehouse": BONDED_CHANNEL, "domestic_warehouse": "general_trade"}
"""The channel of the goods a stocking warehouse holds, by its kind: bonded stock is cleared
order by order when released; a duty-paid domestic warehouse holds goods imported in bulk by
general trade."""
BASE_SCENARIO = "base"
"""The one scenario of an instance whose demand has no scenario rows."""
DEMAND_KEYS = ("market", "sku", "month", "platform")
"""The columns that key a demand row within a scenario."""
CATALOG = ("products", "contracts", "offers", "price_breaks")
"""The catalog tables the network carries, typed with their defaults (``None`` when absent)."""
IN_MOTION = ("opening_stock", "in_transit", "placed_orders", "frozen", "planned_shipments")
"""What is already in motion when a plan is re-run (stock, shipments, orders, decisions
taken): optional tables the network carries typed with their defaults, only those given."""
FEATURES = ("speed_loss", "service_levels")
"""Optional tables that switch a model's feature on (customers who will not wait, service
levels): carried typed with their defaults, only those given."""


def with_defaults(table: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Every column of ``schema`` (and no other), each blank replaced by the field's default.

    A column the table leaves out is all blank, so it takes the default too; a field without
    a default stays blank (NaN for numbers, ``None`` for text). The row labels are kept, so a
    row still names the row a person sees (``Instance.problem``).
    """
    out = pd.DataFrame(index=table.index)
    for f in schema.fields:
        numeric = f.kind in NUMERIC
        if f.name in table.columns:
            column = table[f.name].astype(float if numeric else object)
        else:
            column = pd.Series(
                np.nan if numeric else None, table.index, float if numeric else object
            )
        if not numeric:
            column = column.where(column.notna(), None)
        if f.default is not None and not isinstance(f.default, SameAs):
            column = column.fillna(f.default)
        out[f.name] = column
    for f in schema.fields:
        if isinstance(f.default, SameAs):
            out[f.name] = out[f.name].fillna(out[f.default.column])
    return out


@dataclass(frozen=True, eq=False)
class Network:
    """The data every model reads, built once per instance from its validated tables.

    Attributes
    ----------
    graph : the networkx graph (:mod:`cbecopt.graph`): nodes with their attributes, an edge
        per pair of places a lane joins, pointing to its lanes' rows in :attr:`lanes`.
    nodes : one row per node, indexed by id, in the order of the nodes table: ``kind`` and
        every column of the nodes schema with its default applied, and ``row``, the row's
        label in the nodes table (``Instance.problem`` names it as a person sees it).
    lanes : one row per arc, in the order of the arcs table: ``origin``, ``destination``,
        ``mode``, their kinds (``origin_kind``, ``destination_kind``), ``role``, ``channel``,
        ``unit_cost``, ``cost_per_kg`` (0 when blank), ``lead_time_days`` (NaN when blank),
        ``capacity`` (inf when blank) and ``row``.
    demand : one row per demand row and scenario it counts in: ``scenario``, the keys
        (``market``, ``sku``, ``month``, ``platform``; ``None``/NaN where the table has none),
        ``quantity``, ``std`` and ``row`` (the demand table's row).
    scenarios : the scenario names and probabilities (one scenario, :data:`BASE_SCENARIO`,
        when demand has no scenario rows).
    demand_rows : the demand table itself, typed, with every demand column (row labels kept),
        for checks of single rows.
    products, contracts, offers, price_breaks : the catalog tables, typed, defaults applied,
        row labels kept; ``None`` when the instance has none.
    in_motion : the tables of :data:`IN_MOTION` the instance gives, typed, defaults applied,
        row labels kept (empty when it gives none).
    features : the tables of :data:`FEATURES` the instance gives, alike.
    columns : the columns each table of the instance gives, so a model can tell a column left
        out from one given blank (``has_column``).
    """

    graph: nx.DiGraph
    nodes: pd.DataFrame
    lanes: pd.DataFrame
    demand: pd.DataFrame
    scenarios: ScenarioSet
    demand_rows: pd.DataFrame
    products: pd.DataFrame | None
    contracts: pd.DataFrame | None
    offers: pd.DataFrame | None
    price_breaks: pd.DataFrame | None
    columns: Mapping[str, frozenset[str]]
    in_motion: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))
    features: Mapping[str, pd.DataFrame] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_tables(cls, tables: Mapping[str, pd.DataFrame]) -> Network:
        """The network of validated tables (``nodes`` and ``demand``; the others optional)."""
        nodes = _nodes(tables["nodes"])
        lanes = _lanes(tables.get("arcs"), nodes["kind"])
        demand_rows = with_defaults(tables["demand"], SCHEMAS["demand"])
        stochastic = bool(demand_rows["scenario"].notna().any())
        scenarios = (
            scenario_set(tables) if stochastic else ScenarioSet((BASE_SCENARIO,), np.ones(1))
        )
        demand = _broadcast(demand_rows, scenarios)
        catalog = {
            name: with_defaults(tables[name], SCHEMAS[name]) if name in tables else None
            for name in CATALOG
        }
        columns = MappingProxyType(
            {name: frozenset(map(str, table.columns)) for name, table in tables.items()}
        )
        in_motion, features = (
            MappingProxyType(
                {
                    name: with_defaults(tables[name], SCHEMAS[name])
                    for name in names
                    if name in tables
                }
            )
            for names in (IN_MOTION, FEATURES)
        )
        graph = build_graph(nodes, lanes, _expected(demand, scenarios, ["market"]))
        return cls(
            graph,
            nodes,
            lanes,
            demand,
            scenarios,
            demand_rows,
            **catalog,
            columns=columns,
            in_motion=in_motion,
            features=features,
        )

    def nodes_of(self, kind: str) -> pd.DataFrame:
        """The nodes of one kind, in the order of the nodes table."""
        return self.nodes[self.nodes["kind"].to_numpy() == kind]

    def lanes_of(self, role: str, origin_kind: str | None = None) -> pd.DataFrame:
        """The lanes of one role (and origin kind), in the order of the arcs table."""
        keep = self.lanes["role"].to_numpy() == role
        if origin_kind is not None:
            keep &= self.lanes["origin_kind"].to_numpy() == origin_kind
        return self.lanes[keep]

    def has_column(self, table: str, column: str) -> bool:
        """Whether the instance's ``table`` has ``column`` (given, even if blank)."""
        return column in self.columns.get(table, ())

    @property
    def stochastic(self) -> bool:
        """Whether demand differs by scenario (the demand table has scenario rows)."""
        return bool(self.demand_rows["scenario"].notna().any())

    @property
    def platforms(self) -> list[str]:
        """The platforms that own demand, in order of first appearance (blank ones left out)."""
        return list(dict.fromkeys(self.demand_rows["platform"].dropna()))

    def expected_demand(self, by: Sequence[str]) -> pd.Series:
        """Demand per value of the ``by`` keys, summed over the other keys and averaged over
        the scenarios by their probabilities (for one scenario: the total), in order of first
        appearance; a blank key (no platform, say) is a value of its own."""
        return _expected(self.demand, self.scenarios, list(by))

    def demand_matrix(
        self, orders: Mapping[str, Sequence | None]
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Demand as a scenarios x keys matrix, the form two-stage models plan with.

        Parameters
        ----------
        orders : for each key column (``market``, ``sku``, ``month``, ``platform``) that
            splits demand, the order of its values; ``None`` sums over the column (its
            position is 0). Demand is summed over the columns not named; rows whose value is
            in no order are left out.

        Returns
        -------
        The keys as positions, one column per key named after it, sorted by position, and
        the matrix (scenarios in the order of :attr:`scenarios`, keys in the frame's order;
        0 where a scenario has no row for a key).
        """
        frame = self.demand
        keyed = pd.DataFrame(
            {
                column: np.zeros(len(frame), np.int64)
                if order is None
                else pd.Index(order).get_indexer(frame[column])
                for column, order in orders.items()
            }
        )
        keyed["scenario"] = pd.Index(self.scenarios.names).get_indexer(frame["scenario"])
        keyed["quantity"] = frame["quantity"].to_numpy(float)
        keyed = keyed[(keyed[list(orders)] >= 0).all(axis=1).to_numpy()]
        summed = keyed.groupby([*orders, "scenario"])["quantity"].sum()
        table = summed.unstack("scenario", fill_value=0.0).reindex(
            columns=range(len(self.scenarios)), fill_value=0.0
        )
        keys = table.index.to_frame(index=False).astype(np.int64)
        return keys, table.to_numpy(float).T

    def demand_array(self, orders: Mapping[str, Sequence]) -> np.ndarray:
        """Demand as a dense array: scenarios x the values of each key in ``orders`` (as in
        :meth:`demand_matrix`), 0 where there is no row; e.g. ``{"sku": skus}`` gives the
        scenarios x SKUs matrix, ``{"market": markets, "sku": skus}`` scenarios x markets x
        SKUs."""
        keys, matrix = self.demand_matrix(orders)
        dense = np.zeros((len(self.scenarios), *(len(order) for order in orders.values())))
        dense[(slice(None), *(keys[column].to_numpy() for column in orders))] = matrix
        return dense


def _nodes(table: pd.DataFrame) -> pd.DataFrame:
    """The nodes with their defaults, indexed by id, with their row labels."""
    nodes = with_defaults(table, SCHEMAS["nodes"]).assign(row=table.index)
    return nodes.set_index("id")


TEXT_LANE_COLUMNS = ("origin", "destination", "mode", "origin_kind", "destination_kind", "role")
"""Lane columns of text, kept as Python objects (ids as given, fast to iterate)."""


def _lanes(table: pd.DataFrame | None, kinds: pd.Series) -> pd.DataFrame:
    """One row per arc with its role and channel (see the module docstring)."""
    if table is None:
        table = pd.DataFrame({f.name: [] for f in SCHEMAS["arcs"].fields})
    arcs = with_defaults(table, SCHEMAS["arcs"])
    origin_kind = kinds.reindex(arcs["origin"]).to_numpy()
    destination_kind = kinds.reindex(arcs["destination"]).to_numpy()
    from_supply = np.isin(origin_kind, SUPPLY_KINDS)
    role = np.select(
        [
            (origin_kind == "supplier") & np.isin(destination_kind, ("overseas_warehouse", "port")),
            from_supply & np.isin(destination_kind, tuple(STOCK_CHANNELS)),
            np.isin(origin_kind, tuple(STOCK_CHANNELS)) & (destination_kind == "market"),
            from_supply & (destination_kind == "market"),
        ],
        ROLES[:4],
        ROLES[4],
    )
    direct_channel = arcs["mode"].map(DIRECT_MODES).to_numpy(dtype=object)
    stocked = pd.Series(
        np.where(role == "inbound", destination_kind, origin_kind), dtype=object
    ).map(STOCK_CHANNELS)
    channel = np.where(
        role == "direct",
        direct_channel,
        np.where(np.isin(role, ("inbound", "last_mile")), stocked.to_numpy(dtype=object), None),
    )
    lanes = pd.DataFrame(
        {
            "origin": arcs["origin"].to_numpy(dtype=object),
            "destination": arcs["destination"].to_numpy(dtype=object),
            "mode": arcs["mode"].to_numpy(dtype=object),
            "origin_kind": origin_kind,
            "destination_kind": destination_kind,
            "role": role.astype(object),
            "channel": pd.Series(channel, dtype=object).where(pd.notna(channel), None),
            "unit_cost": arcs["unit_cost"].to_numpy(float),
            "cost_per_kg": arcs["cost_per_kg"].to_numpy(float),
            "lead_time_days": arcs["lead_time_days"].to_numpy(float),
            "capacity": arcs["capacity"].to_numpy(float),
            "pack_size": arcs["pack_size"].to_numpy(float),
            "row": arcs.index.to_numpy(),
        }
    )
    return lanes.astype({column: object for column in TEXT_LANE_COLUMNS})


def _broadcast(rows: pd.DataFrame, scenarios: ScenarioSet) -> pd.DataFrame:
    """The demand rows, each certain row (no scenario) repeated once per scenario."""
    columns = [*DEMAND_KEYS, "quantity", "std"]
    frame = rows[columns].assign(row=rows.index)
    certain = rows["scenario"].isna().to_numpy()
    uncertain = frame[~certain].assign(scenario=rows.loc[~certain, "scenario"])
    if certain.all() and len(scenarios) == 1:
        broadcast = [frame.assign(scenario=scenarios.names[0])]
    else:
        broadcast = [frame[certain].assign(scenario=name) for name in scenarios.names]
    demand = pd.concat([*broadcast, uncertain], ignore_index=True)
    return demand[["scenario", *columns, "row"]].astype({"scenario": object})


def _expected(demand: pd.DataFrame, scenarios: ScenarioSet, by: list[str]) -> pd.Series:
    """Probability-weighted demand per value of ``by`` (see ``Network.expected_demand``)."""
    weight = pd.Series(scenarios.probabilities, index=list(scenarios.names))
    weighted = demand["quantity"] * demand["scenario"].map(weight).to_numpy()
    return weighted.groupby([demand[c] for c in by], sort=False, dropna=False).sum()
