"""The routing model's sets and parameters, read from an instance and checked.

Everything the routing model needs is gathered here as arrays aligned with index tables, so
the formulation (:mod:`cbecopt.models.routing.build`) only wires rows from positions. The
checks that need the whole picture (a SKU that no channel can reach, a lane priced per kg for
a SKU without a weight, a lane without a lead time) are made here and reported with the file,
row and column a planner must fix.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.channels import (
    CHANNELS,
    DIRECT_MAIL,
    DIRECT_MODES,
    PER_ORDER_GENERAL_TRADE,
    TAX_PARTS,
    channel_terms,
    general_trade_unit_tax,
    general_trade_unit_taxes,
)
from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.instance import Instance
from cbecopt.models.demand_checks import demand_sku_problems
from cbecopt.models.routing.checks import (
    delivery_target_problems,
    reach_problems,
    salvage_problems,
    unit_problems,
)
from cbecopt.models.routing.in_motion import RoutingInMotion, with_in_motion
from cbecopt.models.routing.postal import postal_rates
from cbecopt.network import STOCK_CHANNELS, SUPPLY_KINDS, Network
from cbecopt.scenarios import check_sampling, sample_scenarios, scenario_rows
from cbecopt.stochastic.twostage import RiskOptions
from cbecopt.tax_rules import load_tax_rules

DAYS_PER_MONTH = 30.4
DAYS_PER_WEEK = 7.0
REQUIRED_PRODUCT_COLUMNS = ("origin", "vat_rate", "tariff_rate")


@dataclass(frozen=True)
class RoutingConfig:
    """Options of the routing model.

    Parameters
    ----------
    channels : the channels the plan may use (default all four); ``("bonded",)`` is a
        bonded-only strategy, ``("cbec_direct", "postal")`` direct mail only.
    risk : mean-CVaR weight and alpha for the two-stage plan (default risk-neutral).
    samples, distribution : sample this many demand scenarios from ``quantity`` (mean)
        and ``std`` when demand has no scenarios (``None``: plan on the quantities), with the
        call's one seed (``SolveOptions.seed``).
    tax_date : the date whose tax rules apply (default: ``[routing] tax_date`` in
        ``instance.toml``, else the latest rule set).
    sku_blocks : solve by blocks of this many SKUs with a proven gap
        (:mod:`cbecopt.models.routing.blocks`), for instances too large to solve whole;
        ``None`` solves the whole model at once.
    cover_weeks : weeks of cover every listed SKU keeps in stock at a warehouse's month end,
        counted at the month's release rate (family ``cover_stock``); default ``[routing]
        cover_weeks`` in ``instance.toml``, else 0 (no safety stock).
    integer_quantities : bulk shipments, releases and parcels take whole values (default
        ``[routing] integer_quantities``, else off; ``--integer-quantities``). Bulk shipments
        come in whole cases wherever ``products.pack_size`` or ``arcs.pack_size`` says so.
    """

    channels: tuple[str, ...] = CHANNELS
    risk: RiskOptions = field(default_factory=RiskOptions)
    samples: int | None = None
    distribution: str = "normal"
    tax_date: str | None = None
    sku_blocks: int | None = None
    cover_weeks: float | None = None
    integer_quantities: bool | None = None

    def __post_init__(self) -> None:
        unknown = [c for c in self.channels if c not in CHANNELS]
        if unknown or not self.channels:
            raise OptionError(
                f"channels must be a non-empty subset of {', '.join(CHANNELS)}; "
                f"got {', '.join(self.channels) or 'none'}"
            )
        check_sampling(self.samples, self.distribution)
        if self.sku_blocks is not None and self.sku_blocks < 1:
            raise OptionError(f"the SKU block size must be at least 1, got {self.sku_blocks}")
        if self.cover_weeks is not None and not 0 <= self.cover_weeks < math.inf:
            raise OptionError(f"cover_weeks must be 0 or more weeks, got {self.cover_weeks}")
        if self.sku_blocks is not None and self.risk.weight > 0:
            raise OptionError(
                "solving by SKU blocks is risk-neutral only: CVaR does not split by SKU"
            )


@dataclass(frozen=True)
class Index:
    """Keys of one variable family and the positions they refer to (columns of ``frame``)."""

    frame: pd.DataFrame

    def keys(self, columns: tuple[str, ...]) -> list[tuple]:
        return list(self.frame[list(columns)].itertuples(index=False, name=None))

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, column: str) -> np.ndarray:
        return self.frame[column].to_numpy()


@dataclass(frozen=True)
class Capacities:
    """The capacities SKUs share, per month (inf: unlimited): m³ of month-end stock (``volume``)
    and units released (``release``) per bonded warehouse, units per lane (``lane``)."""

    volume: np.ndarray
    release: np.ndarray
    lane: np.ndarray


@dataclass(frozen=True)
class RoutingData:
    """Sets (index tables) and parameters (arrays) of the routing model.

    Positions: ``k`` in SKUS, ``j`` in MARKETS, ``b`` in BONDED, ``t`` in MONTHS (0-based).
    """

    SKUS: list
    MARKETS: list
    BONDED: list  # stocking warehouses: bonded, and duty-paid domestic ones (general trade)
    MONTHS: list
    demand_keys: Index  # (j, k, t): DEMAND
    inbound: Index  # (lane o->b, k, ship t, arrive t): INBOUND
    listing: Index  # (b, k) with its ``cost``: LISTINGS
    release: Index  # (lane b->j, k, t) with its demand position: RELEASES
    stock: Index  # (b, k, t): STOCK
    direct: Index  # (lane o->j, channel, k, t) with its demand position: DIRECT
    lanes: Index  # lanes the model uses (origin, destination, mode, role): the ``lane`` column
    fixed_cost: np.ndarray  # F_b per month
    volume_capacity: np.ndarray  # V_b (inf: unlimited)
    release_capacity: np.ndarray  # C_b: units released per month (inf: unlimited)
    lane_capacity: np.ndarray  # U_l: units per month on lane l (inf: unlimited)
    listing_cost: np.ndarray  # L_k
    holding_cost: np.ndarray  # h_k per month
    salvage_value: np.ndarray  # s_k
    lost_cost: np.ndarray  # price_k + penalty_k
    volume: np.ndarray  # vol_k
    wait_share: np.ndarray  # w_k
    max_days: np.ndarray  # days_j (inf: no target)
    bonded_tax: np.ndarray  # tax per unit released from bonded stock, per k
    demand_bound: np.ndarray  # M_k: most units of k any scenario asks for over the horizon
    channel_table: pd.DataFrame
    scenario_names: tuple[str, ...]
    probabilities: np.ndarray
    demand: np.ndarray  # scenarios x DEMAND keys
    price: np.ndarray
    tax_rules: str  # which rule set applied (effective date and file)
    warnings: tuple[str, ...] = ()  # what the checks warn of (a postal class against the CT)
    stock_channel: np.ndarray = field(default_factory=lambda: np.array([], object))  # per b
    cover: float = 0.0  # months of cover: cover_weeks x 7 / 30.4
    integer_quantities: bool = False  # inbound, releases and parcels in whole units
    in_motion: RoutingInMotion | None = None  # what is already in motion (models/routing.md)

    def with_scenarios(self, names, probabilities, demand) -> RoutingData:
        return dataclasses.replace(
            self,
            scenario_names=tuple(names),
            probabilities=np.asarray(probabilities, float),
            demand=np.asarray(demand, float).reshape(len(names), -1),
            demand_bound=np.maximum(
                self.demand_bound, _demand_bound(self.demand_keys, demand, len(self.SKUS))
            ),
        )

    def restrict(
        self,
        skus: np.ndarray,
        bonded: np.ndarray | None = None,
        capacities: Capacities | None = None,
        delivery_targets: bool = True,
        fixed_cost_share: float = 0.0,
    ) -> RoutingData:
        """The same model for a subset of SKUs (positions), for solving by SKU blocks.

        ``bonded`` (positions) keeps only those warehouses; their fixed cost is scaled by
        ``fixed_cost_share`` (the block's part of it; 0 when already paid for).
        ``capacities`` replaces the volume, release and lane capacities (a block's share);
        ``delivery_targets=False`` drops the market targets (a relaxation: they add up over
        SKUs, so a block alone cannot be held to them without restricting the others).
        """
        skus = np.asarray(skus, np.int64)
        new_k = np.full(len(self.SKUS), -1, np.int64)
        new_k[skus] = np.arange(len(skus))
        keys = self.demand_keys.frame
        kept_keys = np.flatnonzero(new_k[keys["k"].to_numpy()] >= 0)
        new_d = np.full(len(keys), -1, np.int64)
        new_d[kept_keys] = np.arange(len(kept_keys))

        def subset(index: Index, by_bonded: bool) -> Index:
            f = index.frame
            keep = new_k[f["k"].to_numpy()] >= 0
            if by_bonded and bonded is not None:
                keep &= np.isin(f["b"].to_numpy(), bonded)
            f = f[keep].assign(k=lambda x: new_k[x["k"].to_numpy()])
            if "d" in f:
                f = f.assign(d=new_d[f["d"].to_numpy()])
            return Index(f.reset_index(drop=True))

        capacities = capacities or self.capacities
        return dataclasses.replace(
            self,
            SKUS=[self.SKUS[k] for k in skus],
            demand_keys=Index(
                keys.iloc[kept_keys]
                .assign(k=lambda x: new_k[x["k"].to_numpy()], d=np.arange(len(kept_keys)))
                .reset_index(drop=True)
            ),
            inbound=subset(self.inbound, True),
            listing=subset(self.listing, True),
            release=subset(self.release, True),
            stock=subset(self.stock, True),
            direct=subset(self.direct, False),
            fixed_cost=self.fixed_cost if bonded is None else self.fixed_cost * fixed_cost_share,
            volume_capacity=np.asarray(capacities.volume, float),
            release_capacity=np.asarray(capacities.release, float),
            lane_capacity=np.asarray(capacities.lane, float),
            listing_cost=self.listing_cost[skus],
            holding_cost=self.holding_cost[skus],
            salvage_value=self.salvage_value[skus],
            lost_cost=self.lost_cost[skus],
            volume=self.volume[skus],
            wait_share=self.wait_share[skus],
            max_days=self.max_days if delivery_targets else np.full(len(self.MARKETS), np.inf),
            bonded_tax=self.bonded_tax[skus],
            demand_bound=self.demand_bound[skus],
            channel_table=self.channel_table[
                self.channel_table["sku"].isin([self.SKUS[k] for k in skus])
            ],
            demand=self.demand[:, kept_keys],
            price=self.price[skus],
        )

    @property
    def capacities(self) -> Capacities:
        return Capacities(self.volume_capacity, self.release_capacity, self.lane_capacity)

    @classmethod
    def from_instance(cls, instance: Instance, config: RoutingConfig, seed: int = 0) -> RoutingData:
        """The model's sets and parameters from ``instance`` (with its ``products`` and ``arcs``).

        Every problem the routing model finds is an ``InputError`` naming the file or sheet,
        row and column: demand rows without a SKU (or a month, once one row has one), missing
        product columns or values, a product without a postal class
        (:mod:`cbecopt.models.routing.postal`), an origin that is not a supply node, lanes
        without a lead time or with a mode that is no channel, a SKU no channel can reach,
        missing weights and volumes. A stated postal class that contradicts a product's
        consumption tax is kept and named in ``warnings``.
        """
        network = instance.network
        demand = network.demand_rows
        problems = [
            *demand_sku_problems(instance, "routing"),
            *_month_problems(demand, instance),
            *_product_problems(instance),
        ]
        if problems:
            raise InputError(problems)
        rules = load_tax_rules(
            _rules_path(instance), config.tax_date or instance.setting("routing", "tax_date")
        )
        # Products with demand, in the order of the table and keeping its row labels.
        products = network.products[network.products["sku"].isin(set(demand["sku"]))]
        rates, problems, warnings = postal_rates(instance, products, rules)
        if problems:
            raise InputError(problems)
        products = products.assign(postal_rate=rates)
        skus = list(products["sku"])
        channels = channel_terms(products, rules)
        channels["allowed"] &= channels["channel"].isin(config.channels)
        months = sorted(int(m) for m in demand["month"].unique()) if _has_months(demand) else [1]
        markets = list(dict.fromkeys(demand["market"]))
        names, probabilities, keys, matrix = _demand(instance, skus, markets, months, config, seed)
        lanes = _lanes(instance, markets)
        data = _assemble(
            instance,
            products,
            channels,
            lanes,
            skus,
            markets,
            months,
            names,
            probabilities,
            keys,
            matrix,
            config.channels,
        )
        cover_weeks = config.cover_weeks
        if cover_weeks is None:
            cover_weeks = _cover_weeks_setting(instance)
        data = dataclasses.replace(
            _with_whole_units(instance, config, data, lanes, products),
            tax_rules=f"{rules.effective} ({Path(rules.file).name})",
            warnings=tuple(warnings),
            cover=cover_weeks * DAYS_PER_WEEK / DAYS_PER_MONTH,
        )
        if config.sku_blocks is not None and instance.network.in_motion:
            raise OptionError(
                "solving by SKU blocks does not take what is already in motion (opening_stock, "
                "in_transit, frozen, planned_shipments): leave out --sku-blocks"
            )
        return with_in_motion(instance, data)


def _with_whole_units(
    instance: Instance, config: RoutingConfig, data: RoutingData, lanes, products
) -> RoutingData:
    """``data`` with ``integer_quantities`` (the config's, else ``[routing]``) and each inbound
    key's units per case in the column ``pack`` of ``inbound`` (the lane's ``arcs.pack_size``,
    else the SKU's ``products.pack_size``; 1: none). ``lanes``: the lanes the model uses, with
    their ``row`` in the arcs table. A pack size on a lane into a market, or whole units with
    SKU blocks (which plan with LP relaxations), is refused."""
    integer = config.integer_quantities
    if integer is None:
        integer = bool(instance.setting("routing", "integer_quantities"))
    arcs = instance.network.lanes.set_index("row")["pack_size"]
    per_lane = arcs.reindex(lanes["row"]).to_numpy(float)
    to_market = (lanes["role"] != "inbound").to_numpy() & np.isfinite(per_lane)
    if to_market.any():
        raise InputError(
            [
                instance.problem(
                    "arcs",
                    f"a pack size on the {role} lane {o} -> {dest}: deliveries to a market go "
                    "per order; only bulk lanes into a bonded or domestic warehouse ship whole "
                    "cases (leave it blank)",
                    row,
                    "pack_size",
                )
                for o, dest, role, row in lanes.loc[
                    to_market, ["origin", "destination", "role", "row"]
                ].itertuples(index=False)
            ]
        )
    inbound = data.inbound.frame
    per_sku = products["pack_size"].to_numpy(float)[inbound["k"].to_numpy()]
    at_lane = per_lane[inbound["lane"].to_numpy()] if len(inbound) else np.zeros(0)
    pack = np.where(np.isnan(at_lane), per_sku, at_lane)
    if config.sku_blocks is not None and (integer or np.any(pack > 1)):
        raise OptionError(
            "solving by SKU blocks plans with LP relaxations: whole units and pack sizes need "
            "the whole model (leave out --sku-blocks)"
        )
    return dataclasses.replace(
        data, inbound=Index(inbound.assign(pack=pack)), integer_quantities=bool(integer)
    )


def _cover_weeks_setting(instance: Instance) -> float:
    """``[routing] cover_weeks`` of ``instance.toml`` (checked at load), 0 when absent."""
    return float(instance.setting("routing", "cover_weeks") or 0.0)


def _rules_path(instance: Instance):
    path = instance.setting("routing", "tax_rules")
    if path is None:
        return None
    folder = instance.path if instance.path is not None and instance.path.is_dir() else None
    return (folder / path) if folder is not None else path


def _has_months(demand: pd.DataFrame) -> bool:
    return "month" in demand and bool(demand["month"].notna().any())


def _month_problems(demand: pd.DataFrame, instance: Instance) -> list[Problem]:
    """Once a demand row has a month, every row needs one (a blank is not "every month")."""
    if not _has_months(demand):
        return []
    return [
        instance.problem(
            "demand", "the routing model needs the month of every demand row", i, "month"
        )
        for i in demand.index[demand["month"].isna()]
    ]


def _product_problems(instance: Instance) -> list[Problem]:
    """Product columns and values the routing model needs, and origins that are not supply
    nodes (supplier, overseas warehouse or port)."""
    network = instance.network
    products, kinds = network.products, network.nodes["kind"]
    problems = [
        instance.problem("products", "the routing model needs this column", column=c)
        for c in REQUIRED_PRODUCT_COLUMNS
        if not network.has_column("products", c)
    ]
    if problems:
        return problems
    for column in REQUIRED_PRODUCT_COLUMNS:
        for idx in products.index[products[column].isna()]:
            problems.append(
                instance.problem("products", "the routing model needs this value", idx, column)
            )
    for idx, origin in products["origin"].items():
        if origin is not None and kinds.get(origin) not in SUPPLY_KINDS:
            what = "not a node" if origin not in kinds else f"a {kinds[origin]}"
            problems.append(
                instance.problem(
                    "products",
                    f"origin '{origin}' is {what}; it must be a {', '.join(SUPPLY_KINDS)} node",
                    idx,
                    "origin",
                )
            )
    return problems


def _demand(instance: Instance, skus, markets, months, config, seed: int):
    """Scenario names, probabilities, the (j, k, t) keys with demand, and the scenarios x keys matrix.

    The keys are those with demand in some scenario and, for demand given as means, those
    with a standard deviation: a fresh sample (:func:`demand_sampler`) may give them demand.
    """
    network = instance.network
    if config.samples is not None and network.stochastic:
        raise OptionError(
            "the demand table already has scenarios; samples applies only to means and std"
        )
    drawn = (
        network
        if config.samples is None
        else sample_scenarios(instance, config.samples, config.distribution, seed).network
    )
    keys, matrix = _keyed(drawn, _orders(network, skus, markets, months))
    rows = network.demand_rows
    may_sample = rows[(rows["std"].fillna(0.0) > 0).to_numpy() & (not network.stochastic)]
    uncertain = _key_codes(
        _key_positions(may_sample, skus, markets, months), len(skus), len(months)
    )
    keep = (matrix.max(axis=0) > 0) | np.isin(_key_codes(keys, len(skus), len(months)), uncertain)
    scenarios = drawn.scenarios
    return (
        scenarios.names,
        scenarios.probabilities,
        keys[keep].reset_index(drop=True),
        matrix[:, keep],
    )


def demand_sampler(instance: Instance, config: RoutingConfig, data: RoutingData):
    """``sampler(n, seed)`` drawing demand from each row's mean and std with
    ``config.distribution``, for SAA (:func:`cbecopt.stochastic.saa.mrp_gap`), as vectors over
    ``data``'s demand keys; ``None`` when demand is given as scenarios (resample those instead:
    :func:`cbecopt.stochastic.saa.resampler`)."""
    if instance.network.stochastic:
        return None
    orders = _orders(instance.network, data.SKUS, data.MARKETS, data.MONTHS)
    wanted = pd.MultiIndex.from_frame(data.demand_keys.frame[["j", "k", "t"]])

    def draw(n: int, seed: int):
        sampled = sample_scenarios(instance, n, config.distribution, seed).network
        keys, matrix = _keyed(sampled, orders)
        by_key = pd.DataFrame(matrix.T, index=pd.MultiIndex.from_frame(keys))
        matrix = by_key.reindex(wanted, fill_value=0.0).to_numpy(float).T
        return scenario_rows(sampled.scenarios.names, sampled.scenarios.probabilities, matrix)

    return draw


def _orders(network: Network, skus, markets, months) -> dict:
    """The order of each demand key: markets ``j``, SKUs ``k``, months ``t`` (a demand table
    without months is one month)."""
    return {
        "market": markets,
        "sku": skus,
        "month": months if _has_months(network.demand_rows) else None,
    }


def _keyed(network: Network, orders: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """The (j, k, t) keys with a demand row and the scenarios x keys matrix of ``network``."""
    keys, matrix = network.demand_matrix(orders)
    return keys.rename(columns={"market": "j", "sku": "k", "month": "t"}), matrix


def _key_positions(rows: pd.DataFrame, skus, markets, months) -> pd.DataFrame:
    """The positions ``j`` (market), ``k`` (SKU) and ``t`` (month) of demand rows."""
    month = rows["month"]
    return pd.DataFrame(
        {
            "j": pd.Index(markets).get_indexer(rows["market"]),
            "k": pd.Index(skus).get_indexer(rows["sku"]),
            "t": pd.Index(months).get_indexer(month) if month.notna().any() else 0,
        }
    )


def _key_codes(frame: pd.DataFrame, n_skus: int, n_months: int) -> np.ndarray:
    """One integer per (j, k, t) key, to compare sets of keys fast."""
    j, k, t = (frame[c].to_numpy(np.int64) for c in ("j", "k", "t"))
    return (j * n_skus + k) * n_months + t


LANE_COLUMNS = (
    "origin",
    "destination",
    "mode",
    "role",
    "channel",
    "unit_cost",
    "cost_per_kg",
    "lead_time_days",
    "capacity",
)
"""The columns of :attr:`Network.lanes` the routing model reads."""


def _lanes(instance: Instance, markets: list) -> pd.DataFrame:
    """Lanes the routing model uses (inbound ones, and last-mile and direct ones to markets
    with demand), with their role, channel, capacity (inf: unlimited), their ``row`` in the
    arcs table and position ``lane``; the problems a planner must fix are an ``InputError``."""
    lanes = instance.network.lanes
    to_market = lanes["destination"].isin(markets).to_numpy()
    role = lanes["role"].to_numpy()
    used = (role == "inbound") | (np.isin(role, ("last_mile", "direct")) & to_market)
    lanes = lanes.loc[used, [*LANE_COLUMNS, "row"]]
    per_order = (lanes["role"] == "direct") & (lanes["mode"] == PER_ORDER_GENERAL_TRADE)
    problems = [
        instance.problem(
            "arcs",
            "a per-order general_trade lane from abroad to a market is no longer a channel: "
            "general trade is bulk import into a duty-paid warehouse; add a node of kind "
            "domestic_warehouse, an inbound lane into it from the origin (e.g. sea_bulk) and "
            "last_mile lanes from it to the markets",
            row,
            "mode",
        )
        for row in lanes.loc[per_order, "row"]
    ]
    lanes = lanes[~per_order]
    problems += [
        instance.problem(
            "arcs",
            f"mode '{mode}' from an origin straight to a market is not a channel; use one of "
            + ", ".join(DIRECT_MODES),
            row,
            "mode",
        )
        for row, mode in lanes.loc[lanes["channel"].isna(), ["row", "mode"]].itertuples(index=False)
    ]
    no_lead = lanes["lead_time_days"].isna() | (lanes["lead_time_days"] <= 0)
    problems += [
        instance.problem(
            "arcs", f"a {role} lane needs a lead time above 0 days", row, "lead_time_days"
        )
        for row, role in lanes.loc[no_lead, ["row", "role"]].itertuples(index=False)
    ]
    if problems:
        raise InputError(problems)
    return lanes.reset_index(drop=True).assign(lane=lambda f: np.arange(len(f)))


def _assemble(
    instance,
    products,
    channels,
    lanes,
    skus,
    markets,
    months,
    names,
    probabilities,
    keys,
    matrix,
    allowed_channels,
):
    nodes = instance.network.nodes
    n_t = len(months)
    origin_k = products["origin"].to_numpy()
    allowed = channels.pivot(index="sku", columns="channel", values="allowed").reindex(skus)
    tax = channels.pivot(index="sku", columns="channel", values="tax_per_unit").reindex(skus)
    weight = products["weight_kg"].to_numpy(float)

    def lane_cost(frame: pd.DataFrame) -> np.ndarray:
        per_kg = frame["cost_per_kg"].to_numpy(float)
        w = weight[frame["k"].to_numpy()]
        return frame["unit_cost"].to_numpy(float) + np.where(
            per_kg > 0, per_kg * np.nan_to_num(w), 0.0
        )

    reach = _reach(instance.network, origin_k, lane_cost)
    inbound_lanes = lanes[lanes["role"] == "inbound"]
    last_mile = lanes[lanes["role"] == "last_mile"]
    bonded = [
        b for b in dict.fromkeys(inbound_lanes["destination"]) if b in set(last_mile["origin"])
    ]
    b_of = {b: i for i, b in enumerate(bonded)}
    stock_channel = np.array([STOCK_CHANNELS[nodes.at[b, "kind"]] for b in bonded], object)
    # Inbound: lanes from a node the SKU reaches (its origin, or an overseas warehouse a first
    # mile leads to) into a warehouse that also delivers, for SKUs open to its channel.
    pairs = inbound_lanes[inbound_lanes["destination"].isin(b_of)].merge(reach, on="origin")
    pairs["b"] = pairs["destination"].map(b_of).astype(np.int64)
    open_to = allowed.to_numpy(bool)[
        pairs["k"].to_numpy(), allowed.columns.get_indexer(stock_channel[pairs["b"].to_numpy()])
    ]
    pairs = pairs[open_to].reset_index(drop=True)
    pairs["offset"] = np.floor(pairs["lead_time_days"] / DAYS_PER_MONTH).astype(np.int64)
    pairs["freight"] = lane_cost(pairs) + pairs["first_mile"]
    pairs["tax"] = 0.0
    for part in TAX_PARTS:
        pairs[part] = 0.0
    general = np.flatnonzero(stock_channel[pairs["b"].to_numpy()] == "general_trade")
    at_import = (products, pairs["k"].to_numpy()[general], pairs["freight"].to_numpy()[general])
    pairs.loc[general, "tax"] = general_trade_unit_tax(*at_import)
    if len(general):
        pairs.loc[general, list(TAX_PARTS)] = general_trade_unit_taxes(*at_import)
    inbound = pairs.merge(pd.DataFrame({"t": np.arange(n_t)}), how="cross")
    inbound["arrive"] = inbound["t"] + inbound["offset"]
    inbound = inbound[inbound["arrive"] < n_t].reset_index(drop=True)
    holding = products["holding_cost"].to_numpy(float)
    inbound["purchase"] = products["purchase_cost"].to_numpy(float)[inbound["k"]]
    # Half a month's holding on arrival: see average stock in models/routing.md.
    inbound["holding"] = holding[inbound["k"]] / 2
    inbound["cost"] = inbound["purchase"] + inbound["freight"] + inbound["tax"] + inbound["holding"]
    listing = pairs[["b", "k"]].drop_duplicates().sort_values(["b", "k"]).reset_index(drop=True)
    listing["bonded"] = [bonded[b] for b in listing["b"]]
    listing["sku"] = [skus[k] for k in listing["k"]]
    listing["cost"] = np.where(
        stock_channel[listing["b"].to_numpy()] == "bonded",
        products["listing_cost"].to_numpy(float)[listing["k"].to_numpy()],
        0.0,
    )
    stock = listing[["b", "k", "bonded", "sku"]].merge(
        pd.DataFrame({"t": np.arange(n_t)}), how="cross"
    )
    demand_keys = keys.assign(d=np.arange(len(keys)))
    markets_frame = pd.DataFrame({"destination": markets, "j": np.arange(len(markets))})
    # Release: last-mile lanes from a warehouse where the SKU can be listed, to markets with demand.
    out = last_mile[last_mile["origin"].isin(b_of)].merge(markets_frame, on="destination")
    out["b"] = out["origin"].map(b_of)
    release = out.merge(demand_keys, on="j").merge(listing[["b", "k"]], on=["b", "k"])
    b_rel, k_rel = release["b"].to_numpy(np.int64), release["k"].to_numpy(np.int64)
    release["channel"] = stock_channel[b_rel]
    cleared = release["channel"].to_numpy() == "bonded"
    release["tax"] = np.where(cleared, tax["bonded"].to_numpy(float)[k_rel], 0.0)
    release["freight"] = lane_cost(release)
    release["handling"] = (
        nodes["handling_cost"].reindex(bonded).to_numpy(float)[b_rel]
        / products["units_per_order"].to_numpy(float)[k_rel]
    )
    release["cost"] = release["tax"] + release["freight"] + release["handling"]
    # Direct: lanes from a node the SKU reaches to the market, by a channel the SKU may use.
    direct_lanes = lanes[lanes["role"] == "direct"].merge(markets_frame, on="destination")
    direct = direct_lanes.merge(reach, on="origin")
    ok = allowed.to_numpy(bool)[direct["k"], allowed.columns.get_indexer(direct["channel"])]
    direct = direct[ok].reset_index(drop=True)
    direct["purchase"] = products["purchase_cost"].to_numpy(float)[direct["k"]]
    direct["freight"] = lane_cost(direct) + direct["first_mile"]
    direct["tax"] = tax.to_numpy(float)[direct["k"], tax.columns.get_indexer(direct["channel"])]
    direct["cost"] = direct["purchase"] + direct["freight"] + direct["tax"]
    max_days = nodes["max_delivery_days"].reindex(markets).to_numpy(float)
    unpruned = direct
    direct = _undominated(direct, max_days).merge(demand_keys, on=["j", "k"])
    problems: list[Problem] = []
    if set(allowed_channels) == set(CHANNELS):  # under a strategy, unreachable demand is lost
        problems += reach_problems(
            instance, products, keys, release, direct, skus, markets, allowed
        )
        problems += delivery_target_problems(instance, markets, max_days, [release, unpruned])
    volume = products["volume_m3"].to_numpy(float)
    capacity = nodes["volume_capacity"].reindex(bonded).to_numpy(float)
    problems += salvage_problems(instance, products, inbound)
    problems += unit_problems(
        instance, products, capacity, listing, volume, (release, unpruned, inbound)
    )
    if problems:
        raise InputError(problems)
    return RoutingData(
        SKUS=skus,
        MARKETS=markets,
        BONDED=bonded,
        MONTHS=months,
        demand_keys=Index(demand_keys),
        inbound=_positions(inbound),
        listing=_positions(listing),
        release=_positions(release),
        stock=_positions(stock),
        direct=_positions(direct),
        lanes=Index(lanes[["origin", "destination", "mode", "role"]]),
        fixed_cost=nodes["fixed_cost"].reindex(bonded).to_numpy(float),
        volume_capacity=capacity,
        release_capacity=nodes["capacity"].reindex(bonded).to_numpy(float),
        lane_capacity=lanes["capacity"].to_numpy(float),
        listing_cost=products["listing_cost"].to_numpy(float),
        holding_cost=products["holding_cost"].to_numpy(float),
        salvage_value=products["salvage_value"].to_numpy(float),
        lost_cost=(products["price"] + products["lost_sale_penalty"]).to_numpy(float),
        volume=np.nan_to_num(volume),
        wait_share=products["wait_share"].to_numpy(float),
        max_days=max_days,
        bonded_tax=tax["bonded"].to_numpy(float),
        demand_bound=_demand_bound(Index(demand_keys), matrix, len(skus)),
        channel_table=channels,
        scenario_names=tuple(names),
        probabilities=np.asarray(probabilities, float),
        demand=matrix,
        price=products["price"].to_numpy(float),
        tax_rules="",
        stock_channel=stock_channel,
    )


def _reach(network: Network, origin_k: np.ndarray, lane_cost) -> pd.DataFrame:
    """Where each SKU can be shipped from, with the cost per unit of getting it there.

    One row per SKU ``k`` and node ``origin``: the SKU's own origin (``first_mile`` 0), and every
    overseas warehouse or port a first-mile lane reaches from it (``first_mile``: the cheapest
    such lane's cost per unit). An overseas warehouse thus ships only the SKUs whose suppliers
    reach it; it is a pass-through with stock on hand, so the first mile adds cost, not time.
    """
    own = pd.DataFrame({"k": np.arange(len(origin_k)), "origin": origin_k, "first_mile": 0.0})
    first = network.lanes[network.lanes["role"].to_numpy() == "first_mile"]
    if first.empty:
        return own
    legs = first.merge(own[["k", "origin"]], on="origin")
    legs = legs.assign(first_mile=lane_cost(legs))[["k", "destination", "first_mile"]]
    legs = legs.rename(columns={"destination": "origin"})
    both = pd.concat([own, legs], ignore_index=True)
    return both.groupby(["k", "origin"], sort=False, as_index=False)["first_mile"].min()


POSITIONS = ("j", "k", "t", "b", "d", "arrive", "lane")
"""Columns of the index tables that are positions, integers even in an empty table."""


def _positions(frame: pd.DataFrame) -> Index:
    return Index(frame.astype({c: np.int64 for c in POSITIONS if c in frame.columns}))


def _demand_bound(keys: Index, matrix: np.ndarray, n_skus: int) -> np.ndarray:
    """Per SKU, the most units any one scenario asks for over the horizon."""
    per_scenario = np.array(
        [np.bincount(keys["k"], weights=row, minlength=n_skus) for row in np.atleast_2d(matrix)]
    )
    return per_scenario.max(axis=0)


def _undominated(direct: pd.DataFrame, max_days: np.ndarray) -> pd.DataFrame:
    """Direct lanes of each (market, SKU) that some optimal plan may use.

    Lane a makes lane b redundant when a costs no more, takes no longer (where the market has a
    delivery target), is no more constrained (a parcel is limited by the wait share, general
    trade is not) and has no capacity: moving b's units to a keeps every constraint and costs
    no more. Exact ties keep the first lane.
    """
    timed = np.isfinite(max_days[direct["j"].to_numpy()])
    mail = direct["channel"].isin(DIRECT_MAIL).to_numpy()
    unlimited = np.isinf(direct["capacity"].to_numpy(float))
    pairs = direct[["j", "k"]].reset_index().merge(direct[["j", "k"]].reset_index(), on=["j", "k"])
    a, b = pairs["index_x"].to_numpy(), pairs["index_y"].to_numpy()
    cost, lead = direct["cost"].to_numpy(), direct["lead_time_days"].to_numpy(float)
    no_worse = (
        (cost[a] <= cost[b])
        & (~timed[a] | (lead[a] <= lead[b]))
        & (~mail[a] | mail[b])
        & unlimited[a]
    )
    same = (cost[a] == cost[b]) & (~timed[a] | (lead[a] == lead[b])) & (mail[a] == mail[b])
    beats = (a != b) & no_worse & (~same | ~unlimited[b] | (a < b))
    redundant = np.zeros(len(direct), bool)
    redundant[b[beats]] = True
    return direct[~redundant].reset_index(drop=True)


__all__ = ["DIRECT_MAIL", "Capacities", "Index", "RoutingConfig", "RoutingData", "field"]
