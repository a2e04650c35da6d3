"""Shared overseas warehouse location: a capacitated facility location MILP.

Which candidate overseas warehouses to open (binary, fixed cost per period, capacity), and
how many units each ships to each market along the network's lanes, so that every market's
demand is met at least total cost. The formulation, with the same names, is written out in
``models/warehouses.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.errors import InputError, OptionError
from cbecopt.families import (
    capacity_if_open,
    demand_satisfaction,
    fixed_cost_if_used,
    use_only_if_open,
)
from cbecopt.instance import Instance
from cbecopt.labelled import VarFamily, add_family, add_var_family, coded_labels, linear_objective
from cbecopt.models.demand_checks import scenario_demand_problems

WAREHOUSE = "overseas_warehouse"
MARKET = "market"


@dataclass(frozen=True)
class WarehousesConfig:
    """Options of the warehouses model.

    Parameters
    ----------
    single_source : each market is served by exactly one warehouse; ``None`` takes the
        instance setting ``[warehouses] single_source`` (default: multi-source).
    min_open, max_open : bounds on the number of warehouses opened (``None``: no bound);
        ``None`` also falls back to the instance settings of the same name.
    """

    single_source: bool | None = None
    min_open: int | None = None
    max_open: int | None = None

    def resolved(self, instance: Instance) -> WarehousesConfig:
        """Fill options left as ``None`` from the instance's ``[warehouses]`` settings."""
        single = self.single_source
        if single is None:
            single = bool(instance.setting("warehouses", "single_source", False))
        lo = (
            self.min_open
            if self.min_open is not None
            else instance.setting("warehouses", "min_open")
        )
        hi = (
            self.max_open
            if self.max_open is not None
            else instance.setting("warehouses", "max_open")
        )
        for label, value in (("min_open", lo), ("max_open", hi)):
            if value is not None and (not float(value).is_integer() or value < 0):
                raise OptionError(f"{label} must be a whole number >= 0, got {value}")
        if lo is not None and hi is not None and lo > hi:
            raise OptionError(f"min_open ({lo}) exceeds max_open ({hi})")
        return WarehousesConfig(
            single, None if lo is None else int(lo), None if hi is None else int(hi)
        )


@dataclass(frozen=True)
class WarehousesData:
    """The sets and parameters of the model, as arrays aligned with the sets' order."""

    WAREHOUSES: list
    MARKETS: list
    LANES: list  # (warehouse, market, mode)
    lane_warehouse: np.ndarray  # position of each lane's warehouse in WAREHOUSES
    lane_market: np.ndarray  # position of each lane's market in MARKETS
    unit_cost: np.ndarray  # c_l
    lane_capacity: np.ndarray  # u_l (inf if unlimited)
    fixed_cost: np.ndarray  # f_w
    capacity: np.ndarray  # S_w (inf if unlimited)
    demand: np.ndarray  # d_j

    @classmethod
    def from_instance(cls, instance: Instance) -> WarehousesData:
        """The model's sets and parameters; what it cannot plan with is an ``InputError``:
        no candidate warehouse, or demand given by scenario (one demand per market is planned).
        """
        network = instance.network
        warehouses = network.nodes_of(WAREHOUSE)
        problems = scenario_demand_problems(instance, "warehouses")
        if warehouses.empty:
            problems.append(
                instance.problem(
                    "nodes",
                    f"the warehouses model needs at least one node of kind {WAREHOUSE}",
                    column="kind",
                )
            )
        if problems:
            raise InputError(problems)
        markets = network.nodes_of(MARKET).index
        demand = network.expected_demand(["market"]).reindex(markets, fill_value=0.0)
        markets = markets[demand.to_numpy() > 0]
        lanes = network.lanes_of("direct", origin_kind=WAREHOUSE)
        lane_market = markets.get_indexer(lanes["destination"])
        lanes = lanes[lane_market >= 0]
        return cls(
            WAREHOUSES=list(warehouses.index),
            MARKETS=list(markets),
            LANES=list(lanes[["origin", "destination", "mode"]].itertuples(index=False, name=None)),
            lane_warehouse=warehouses.index.get_indexer(lanes["origin"]).astype(np.int64),
            lane_market=lane_market[lane_market >= 0].astype(np.int64),
            unit_cost=lanes["unit_cost"].to_numpy(np.float64),
            lane_capacity=lanes["capacity"].to_numpy(np.float64),
            fixed_cost=warehouses["fixed_cost"].to_numpy(np.float64),
            capacity=warehouses["capacity"].to_numpy(np.float64),
            demand=demand[markets].to_numpy(np.float64),
        )


@dataclass(frozen=True)
class WarehousesModel:
    """The built Pyomo model with its data and variable families, for solving and extraction.

    ``model`` is the whole Pyomo model, ``block`` the model's own block on it
    (``model.warehouses``, or the part's name in a composed model).
    """

    model: pyo.ConcreteModel
    data: WarehousesData
    config: WarehousesConfig
    open: VarFamily
    flow: VarFamily
    assign: VarFamily | None
    block: pyo.Block


def build_warehouses(
    instance: Instance,
    config: WarehousesConfig | None = None,
    data: WarehousesData | None = None,
    model: pyo.ConcreteModel | None = None,
    name: str = "warehouses",
) -> WarehousesModel:
    """Build the facility location model on the block ``model.<name>`` (``model.warehouses``):
    variables, then the shared families of ``models/warehouses.md`` by name, then the
    objective.

    ``data`` is the model's data when already prepared (the registry's check step); ``None``
    prepares it here. ``model`` is a model to add the block to (e.g. a composed model,
    :mod:`cbecopt.compose`); ``None`` makes a new one.
    """
    config = (config or WarehousesConfig()).resolved(instance)
    data = data if data is not None else WarehousesData.from_instance(instance)
    m = model if model is not None else pyo.ConcreteModel(name=f"warehouses[{instance.name}]")
    b = pyo.Block()
    m.add_component(name, b)
    warehouses, markets = _warehouse_labels(data), _market_labels(data)
    open_ = add_var_family(
        b,
        "open",
        data.WAREHOUSES,
        domain=pyo.Binary,
        labels=warehouses,
        doc="y_w: warehouse w is open",
    )
    flow = add_var_family(
        b,
        "flow",
        data.LANES,
        upper=data.lane_capacity,
        labels=_lane_labels(data),
        doc="x_l: units shipped on lane l",
    )
    demand = pd.Series(data.demand, index=markets)
    capacity = pd.Series(data.capacity, index=warehouses)
    demand_satisfaction(
        b, "demand_balance", flow.sum(by="market"), demand, doc="sum of flows into market j = d_j"
    )
    capacity_if_open(
        b,
        "warehouse_capacity",
        flow.sum(by="warehouse"),
        capacity[np.isfinite(data.capacity)],
        open_,
        doc="sum of flows out of w <= S_w y_w",
    )
    assign = None
    if config.single_source:
        assign = add_single_sourcing(b, demand, flow, open_)
    else:
        usable = np.minimum(data.demand[data.lane_market], data.lane_capacity)
        use_only_if_open(
            b,
            "open_linking",
            flow,
            open_,
            pd.Series(usable, index=flow.labels),
            doc="x_l <= min(d_j, u_l) y_w",
        )
    if config.min_open is not None or config.max_open is not None:
        add_open_count(b, open_, config.min_open, config.max_open)
    b.total_cost = linear_objective(
        [
            *fixed_cost_if_used(open_, pd.Series(data.fixed_cost, index=warehouses)),
            *(pd.Series(data.unit_cost, index=flow.labels) * flow).parts,
        ]
    )
    return WarehousesModel(m, data, config, open_, flow, assign, b)


def _warehouse_labels(data: WarehousesData) -> pd.Index:
    return pd.Index(data.WAREHOUSES, name="warehouse")


def _market_labels(data: WarehousesData) -> pd.Index:
    return pd.Index(data.MARKETS, name="market")


def _lane_labels(data: WarehousesData) -> pd.MultiIndex:
    """Lanes labelled (warehouse, market, mode), levels in the model's order of warehouses and
    markets, so that sums by warehouse or market come in that order."""
    mode_codes, modes = pd.factorize(np.array([lane[2] for lane in data.LANES], dtype=object))
    return coded_labels(
        warehouse=(data.WAREHOUSES, data.lane_warehouse),
        market=(data.MARKETS, data.lane_market),
        mode=(modes, mode_codes),
    )


def add_single_sourcing(
    b: pyo.Block, demand: pd.Series, flow: VarFamily, open_: VarFamily
) -> VarFamily:
    """Each market is assigned to exactly one open warehouse, which ships all its demand.

    .. math::
        \\sum_w z_{wj} = 1 \\;\\; \\forall j, \\qquad
        \\sum_{m} x_{(w,j,m)} = d_j z_{wj} \\;\\; \\forall (w,j), \\qquad
        z_{wj} \\le y_w \\;\\; \\forall (w,j)
    """
    shipped = flow.sum(by=["warehouse", "market"])
    pairs = shipped.labels
    assign = add_var_family(
        b,
        "assign",
        list(pairs),
        domain=pyo.Binary,
        labels=pairs,
        doc="z_wj: market j is served by warehouse w",
    )
    add_family(
        b,
        "single_assignment",
        assign.sum(by="market") == pd.Series(1.0, index=demand.index),
        doc="sum_w z_wj = 1",
    )
    add_family(b, "assignment_flow", shipped == demand * assign, doc="sum_m x_(w,j,m) = d_j z_wj")
    use_only_if_open(b, "assignment_linking", assign, open_, doc="z_wj <= y_w")
    return assign


def add_open_count(
    b: pyo.Block, open_: VarFamily, min_open: int | None, max_open: int | None
) -> None:
    """Bounds on how many warehouses open.

    .. math:: N^{min} \\le \\sum_w y_w \\le N^{max}
    """

    @b.Constraint()
    def open_count(b):
        return pyo.inequality(min_open, sum(open_.data), max_open)


def extract_warehouses(built: WarehousesModel, values_of) -> tuple[dict[str, pd.DataFrame], dict]:
    """Tidy tables and KPIs from a solution; ``values_of(family)`` gives a family's values."""
    data = built.data
    is_open = np.rint(values_of(built.open)).astype(int)
    flow = np.clip(values_of(built.flow), 0.0, None)
    flow[flow < 1e-9] = 0.0
    throughput = np.bincount(data.lane_warehouse, weights=flow, minlength=len(data.WAREHOUSES))
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(
            np.isfinite(data.capacity) & (data.capacity > 0), throughput / data.capacity, np.nan
        )
    lane_cost = data.unit_cost * flow
    open_table = pd.DataFrame(
        {
            "warehouse": data.WAREHOUSES,
            "open": is_open,
            "fixed_cost": data.fixed_cost * is_open,
            "capacity": np.where(np.isfinite(data.capacity), data.capacity, np.nan),
            "throughput": throughput,
            "utilisation": utilisation,
            "transport_cost": np.bincount(
                data.lane_warehouse, weights=lane_cost, minlength=len(data.WAREHOUSES)
            ),
        }
    )
    shipped = np.flatnonzero(flow > 0)
    flows = pd.DataFrame(
        {
            "warehouse": [data.LANES[k][0] for k in shipped],
            "market": [data.LANES[k][1] for k in shipped],
            "mode": [data.LANES[k][2] for k in shipped],
            "quantity": flow[shipped],
            "unit_cost": data.unit_cost[shipped],
            "cost": lane_cost[shipped],
        }
    )
    served_by = flows.groupby("market", sort=False)["warehouse"].agg(
        lambda s: ";".join(dict.fromkeys(s))
    )
    markets = pd.DataFrame(
        {
            "market": data.MARKETS,
            "demand": data.demand,
            "received": np.bincount(data.lane_market, weights=flow, minlength=len(data.MARKETS)),
            "transport_cost": np.bincount(
                data.lane_market, weights=lane_cost, minlength=len(data.MARKETS)
            ),
        }
    )
    markets["served_by"] = markets["market"].map(served_by).fillna("")
    fixed, transport = float(open_table["fixed_cost"].sum()), float(lane_cost.sum())
    opened = open_table.loc[open_table["open"] == 1]
    kpis = {
        "total_cost": fixed + transport,
        "fixed_cost": fixed,
        "transport_cost": transport,
        "open_count": int(is_open.sum()),
        "open_warehouses": list(opened["warehouse"]),
        "total_demand": float(data.demand.sum()),
        "mean_utilisation": float(opened["utilisation"].mean())
        if opened["utilisation"].notna().any()
        else None,
        "single_source": bool(built.config.single_source),
    }
    return {"open": open_table, "flows": flows, "markets": markets}, kpis
