"""Bonded (1210) versus direct-mail (9610, postal) routing under China's CBEC tax rules.

Per SKU, market (province) and month the plan decides how demand is served: from stock in a
bonded warehouse (shipped in bulk by sea or air, taxed on release, ~3 days to the buyer), by a
CBEC parcel from abroad (~10 days), a postal parcel (~20 days), through general trade (full
tax), or not at all (a lost sale at its margin plus a penalty). Bonded warehouses have a
fixed cost, a volume capacity and a capacity of units released per month; lanes may have a
capacity of units per month; SKUs must be listed at a warehouse to be stocked there;
inventory carries over month to month and what is left at the horizon's end is salvaged.

The model is two-stage: which warehouses to use, which SKUs to list and the bulk inbound
shipments are decided first; releases, parcels and lost sales are decided per demand
scenario. With one scenario it is the deterministic monthly plan. The formulation, with the
same names, is in ``models/routing.md``; the sets and parameters are built in
:mod:`cbecopt.models.routing.data`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.channels import DIRECT_MAIL, TAX_PARTS
from cbecopt.families import (
    average_rate_cap,
    capacity_if_open,
    demand_satisfaction,
    fixed_cost_if_used,
    stock_balance,
    use_only_if_open,
)
from cbecopt.in_motion import fix_variables
from cbecopt.labelled import VarFamily, add_var_family, coded_labels, nonempty
from cbecopt.models.routing.data import RoutingConfig, RoutingData
from cbecopt.models.routing.in_motion import in_transit_rows, inbound_status
from cbecopt.stochastic.twostage import DemandScenarios, ExtensiveForm, FirstStage
from cbecopt.whole_units import add_cases, rounded_whole, unit_domain, whole_units_bound

__all__ = ["RoutingConfig", "RoutingData", "RoutingProblem", "extract_routing"]


@dataclass(frozen=True)
class RoutingLabels:
    """Key frames of the routing model's variable families (levels in the model's order of
    bonded warehouses, markets, SKUs and months; ``lane`` is the lane's row in ``data.lanes``)."""

    bonded: pd.Index  # bonded
    listing: pd.MultiIndex  # (bonded, sku)
    inbound: pd.MultiIndex  # (lane, bonded, sku, month, arrival): shipped in month, arriving
    stock: pd.MultiIndex  # (bonded, sku, month)
    release: pd.MultiIndex  # (lane, bonded, market, sku, month)
    direct: pd.MultiIndex  # (lane, market, sku, month)
    demand: pd.MultiIndex  # (market, sku, month)

    @classmethod
    def of(cls, d: RoutingData) -> RoutingLabels:
        lanes = np.arange(len(d.lanes))

        def column(name: str, frame: pd.DataFrame, code: str):
            values = {"bonded": d.BONDED, "market": d.MARKETS, "sku": d.SKUS, "lane": lanes}
            return values.get(name, d.MONTHS), frame[code].to_numpy(np.int64)

        def labels(frame: pd.DataFrame, **codes: str) -> pd.MultiIndex:
            return coded_labels(**{n: column(n, frame, c) for n, c in codes.items()})

        return cls(
            pd.Index(d.BONDED, name="bonded"),
            labels(d.listing.frame, bonded="b", sku="k"),
            labels(d.inbound.frame, lane="lane", bonded="b", sku="k", month="t", arrival="arrive"),
            labels(d.stock.frame, bonded="b", sku="k", month="t"),
            labels(d.release.frame, lane="lane", bonded="b", market="j", sku="k", month="t"),
            labels(d.direct.frame, lane="lane", market="j", sku="k", month="t"),
            labels(d.demand_keys.frame, market="j", sku="k", month="t"),
        )


@dataclass(frozen=True)
class RoutingProblem(DemandScenarios):
    """The routing model in the two-stage layer's terms."""

    data: RoutingData
    instance_name: str = "routing"
    key = "routing"

    @property
    def name(self) -> str:
        return f"routing[{self.instance_name}]"

    @cached_property
    def labels(self) -> RoutingLabels:
        return RoutingLabels.of(self.data)

    @cached_property
    def second_stage_keys(self) -> tuple[list, list, list, list]:
        """The Pyomo keys of each scenario's stock, release, direct and lost families, built
        once for every scenario."""
        d = self.data
        return _stock_keys(d), _lane_keys(d, d.release), _lane_keys(d, d.direct), _demand_keys(d)

    def build_first_stage(self, m: pyo.Block) -> FirstStage:
        """Warehouses used, SKUs listed, bulk inbound shipments."""
        d, labels = self.data, self.labels
        used = add_var_family(
            m,
            "use_bonded",
            d.BONDED,
            domain=pyo.Binary,
            labels=labels.bonded,
            doc="u_b: bonded warehouse b is used",
        )
        listed = add_var_family(
            m,
            "listed",
            d.listing.keys(("bonded", "sku")),
            domain=pyo.Binary,
            labels=labels.listing,
            doc="a_bk: SKU k is listed at b",
        )
        inbound = add_var_family(
            m,
            "inbound",
            _lane_keys(d, d.inbound),
            domain=unit_domain(d.integer_quantities),
            labels=labels.inbound,
            doc="q_lkt: units of k shipped in bulk on lane l in month t",
        )
        add_cases(m, "packs", "pack_link", inbound, _inbound_packs(d))
        use_only_if_open(m, "listing_open", listed, used, doc="a_bk <= u_b")
        use_only_if_open(
            m,
            "listing_link",
            inbound.sum(by=["bonded", "sku"]),
            listed,
            # with cover, what is bought may exceed what sells by the last month's cover stock
            listed.keyed(_most_bought(d)[d.listing["k"]]),
            doc="sum q <= M_k a_bk",
        )
        capacity_if_open(
            m,
            "inbound_lane_capacity",
            inbound.sum(by=["lane", "month"]),
            _lane_capacity(d, d.inbound["lane"]),
            doc="units shipped on lane l in month t <= U_l",
        )
        cost = (
            *fixed_cost_if_used(used, used.keyed(d.fixed_cost * len(d.MONTHS))),
            *fixed_cost_if_used(listed, listed.keyed(d.listing["cost"])),
            *(inbound.keyed(d.inbound["cost"]) * inbound).parts,
        )
        if d.in_motion is not None:
            by_name = {"use_bonded": used, "listed": listed, "inbound": inbound}
            fix_variables(d.in_motion.fixings, by_name)
        return FirstStage((used, listed, inbound), nonempty(cost))

    def build_second_stage(self, block: pyo.Block, demand: np.ndarray, first: FirstStage):
        """One demand scenario: releases from bonded stock, parcels and general trade, lost sales."""
        d, labels = self.data, self.labels
        used, _, inbound = first.families
        stock_keys, release_keys, direct_keys, lost_keys = self.second_stage_keys
        stock = add_var_family(
            block,
            "stock",
            stock_keys,
            labels=labels.stock,
            doc="I_bkt: units of k in b at the end of t",
        )
        release = add_var_family(
            block,
            "release",
            release_keys,
            domain=unit_domain(d.integer_quantities),
            labels=labels.release,
            doc="x_rkt: units of k released from bonded stock on lane r",
        )
        direct = add_var_family(
            block,
            "direct",
            direct_keys,
            domain=unit_domain(d.integer_quantities),
            labels=labels.direct,
            doc="y_gkt: units of k sent straight to the market on lane g",
        )
        lost = add_var_family(
            block,
            "lost",
            lost_keys,
            labels=labels.demand,
            doc="z_jkt: demand of k in j, t not served",
        )
        stock_balance(
            block,
            "bonded_stock_balance",
            stock,
            inbound.sum(by=["bonded", "sku", "arrival"]).rename({"arrival": "month"}),
            release.sum(by=["bonded", "sku", "month"]),
            period="month",
            doc="I_bkt - I_bk,t-1 - arrivals + releases = known arrivals",
            known=None
            if d.in_motion is None
            else pd.Series(d.in_motion.known_arrivals(d.stock.frame), index=stock.labels),
        )
        demand_key = ["market", "sku", "month"]
        demand_satisfaction(
            block,
            "demand_served",
            release.sum(by=demand_key) + direct.sum(by=demand_key),
            lost.keyed(demand),
            lost=lost,
            doc="released + direct + lost = D_jkt",
        )
        add_wait_share(block, d, direct, lost.keyed(demand))
        add_delivery_time(block, d, release, direct)
        by_month = ["bonded", "month"]
        capacity_if_open(
            block,
            "bonded_volume",
            (stock.keyed(d.volume[d.stock["k"]]) * stock).sum(by=by_month)
            + (release.keyed(d.volume[d.release["k"]]) * release).sum(by=by_month),
            _monthly(d, used.keyed(d.volume_capacity)),
            used,
            doc="peak stock: sum_k v_k (I_bkt + sum_r x_rkt) <= V_b u_b",
        )
        add_cover_stock(block, d, stock, release)
        capacity_if_open(
            block,
            "bonded_release_capacity",
            release.sum(by=["bonded", "month"]),
            _monthly(d, used.keyed(d.release_capacity)),
            used,
            doc="sum x_rkt over lanes out of b <= C_b u_b",
        )
        lane_use = release.sum(by=["lane", "month"]) + direct.sum(by=["lane", "month"])
        capacity_if_open(
            block,
            "lane_capacity",
            lane_use,
            _lane_capacity(d, np.concatenate([d.release["lane"], d.direct["lane"]])),
            doc="units on lane l in month t <= U_l",
        )
        # Average stock (I_t-1 + A_t + I_t) / 2: a month-end stock is held half of its month
        # and half of the next; the arrivals' half is in the inbound cost.
        last = d.stock["t"] == len(d.MONTHS) - 1
        k_stock = d.stock["k"]
        stock_cost = np.where(
            last, d.holding_cost[k_stock] / 2 - d.salvage_value[k_stock], d.holding_cost[k_stock]
        )
        return nonempty(
            (
                *(stock.keyed(stock_cost) * stock).parts,
                *(release.keyed(d.release["cost"]) * release).parts,
                *(direct.keyed(d.direct["cost"]) * direct).parts,
                *(lost.keyed(d.lost_cost[d.demand_keys["k"]]) * lost).parts,
            )
        )


def _inbound_packs(d: RoutingData) -> np.ndarray:
    """Units per case of each inbound key (1: none; data built without pack sizes)."""
    if "pack" not in d.inbound.frame:
        return np.ones(len(d.inbound))
    return d.inbound["pack"].astype(float)


def _most_bought(d: RoutingData) -> np.ndarray:
    """Per SKU: the most units of it worth buying over the horizon, the largest scenario's
    demand plus the last month's cover stock, with room for whole units and cases
    (:func:`~cbecopt.whole_units.whole_units_bound`)."""
    most = d.demand_bound * (1 + d.cover)
    pack = _inbound_packs(d)
    largest = np.ones(len(d.SKUS))
    np.maximum.at(largest, d.inbound["k"].astype(np.int64), pack)
    return whole_units_bound(most, d.integer_quantities, largest, len(d.BONDED))


def _monthly(d: RoutingData, capacity: pd.Series) -> pd.Series:
    """The finite capacities of ``capacity`` in every month, keyed (its key, month)."""
    capacity = capacity[np.isfinite(capacity.to_numpy())]
    index = pd.MultiIndex.from_product(
        [capacity.index, d.MONTHS], names=[capacity.index.name, "month"]
    )
    return pd.Series(np.repeat(capacity.to_numpy(), len(d.MONTHS)), index=index)


def _lane_capacity(d: RoutingData, lanes: np.ndarray) -> pd.Series:
    """U_l in every month, keyed (lane, month), of the lanes among ``lanes`` with a capacity."""
    used = np.unique(lanes)
    return _monthly(d, pd.Series(d.lane_capacity[used], index=pd.Index(used, name="lane")))


def _pick(values: list, positions) -> list:
    """``[values[i] for i in positions]``, the same objects, picked by numpy."""
    return np.fromiter(values, object, len(values))[np.asarray(positions, np.int64)].tolist()


def _month(d: RoutingData, t) -> list:
    return _pick(d.MONTHS, t)


def _lane_keys(d: RoutingData, index) -> list[tuple]:
    """(origin, destination, mode, SKU, month) of each row of a lane-based index."""
    f = index.frame
    return list(
        zip(
            *(f[c].to_numpy(object).tolist() for c in ("origin", "destination", "mode")),
            _pick(d.SKUS, f["k"]),
            _month(d, f["t"]),
            strict=True,
        )
    )


def _stock_keys(d: RoutingData) -> list[tuple]:
    f = d.stock.frame
    return list(
        zip(
            f["bonded"].to_numpy(object).tolist(),
            f["sku"].to_numpy(object).tolist(),
            _month(d, f["t"]),
            strict=True,
        )
    )


def _demand_keys(d: RoutingData) -> list[tuple]:
    f = d.demand_keys.frame
    return list(
        zip(_pick(d.MARKETS, f["j"]), _pick(d.SKUS, f["k"]), _month(d, f["t"]), strict=True)
    )


def add_cover_stock(block: pyo.Block, d: RoutingData, stock: VarFamily, release: VarFamily) -> None:
    """Weeks of cover: a listed SKU's month-end stock at a warehouse covers ``cover_weeks`` of
    the month's releases from it (every month but the last, whose stock is only salvaged).

    .. math:: I_{bkt} \\ge c \\sum_{r \\in R_b} x_{rkt} \\qquad \\forall (b, k),\\ t < |T|,
        \\quad c = 7\\,\\text{cover\\_weeks} / 30.4
    """
    if d.cover <= 0 or len(d.MONTHS) < 2:
        return
    rows = stock.labels[d.stock["t"] < len(d.MONTHS) - 1]
    capacity_if_open(
        block,
        "cover_stock",
        release.sum(by=["bonded", "sku", "month"]) * d.cover - stock,
        pd.Series(0.0, index=rows),
        doc="c sum_r x_rkt - I_bkt <= 0",
    )


def stock_volume(d: RoutingData, stock: np.ndarray, release: np.ndarray) -> np.ndarray:
    """Warehouses x months: m³ of peak stock, the month-end stock plus the month's releases
    (= opening stock + arrivals, the most the month holds: arrivals land at its start)."""
    volume = np.zeros((len(d.BONDED), len(d.MONTHS)))
    np.add.at(volume, (d.stock["b"], d.stock["t"]), d.volume[d.stock["k"]] * stock)
    np.add.at(volume, (d.release["b"], d.release["t"]), d.volume[d.release["k"]] * release)
    return volume


def add_wait_share(block: pyo.Block, d: RoutingData, direct: VarFamily, demand: pd.Series) -> None:
    """Only the customers willing to wait take a parcel from abroad.

    .. math:: \\sum_{g \\in G_j^{mail}} y_{gkt} \\le w_k D_{jkt} \\qquad \\forall (j, k, t): w_k < 1
    """
    share = d.wait_share[d.demand_keys["k"]]
    impatient = share < 1
    if not impatient.any():
        return
    mail = np.isin(d.direct["channel"], DIRECT_MAIL)
    capacity_if_open(
        block,
        "wait_share",
        direct[mail].sum(by=["market", "sku", "month"]),
        (share * demand)[impatient],
        doc="direct mail <= w_k D_jkt",
    )


def add_delivery_time(
    block: pyo.Block, d: RoutingData, release: VarFamily, direct: VarFamily
) -> None:
    """The average delivery time of a market's served orders stays within its target.

    .. math:: \\sum_{r} \\ell_r x_{rkt} + \\sum_{g} \\ell_g y_{gkt}
        - T_j \\Big(\\sum_{r} x_{rkt} + \\sum_{g} y_{gkt}\\Big) \\le 0
        \\qquad \\forall (j, t): T_j < \\infty
    """
    target = pd.Series(d.max_days, index=pd.Index(d.MARKETS, name="market"))
    target = target[np.isfinite(d.max_days)]
    if not len(target):
        return
    by = ["market", "month"]
    days = (release.keyed(d.release["lead_time_days"]) * release).sum(by) + (
        direct.keyed(d.direct["lead_time_days"]) * direct
    ).sum(by)
    average_rate_cap(
        block,
        "delivery_time",
        days,
        release.sum(by) + direct.sum(by),
        target,
        doc="sum (lead - target) x <= 0",
    )


def extract_routing(problem: RoutingProblem, form: ExtensiveForm, values: np.ndarray):
    """Plan tables and KPIs; second-stage quantities are expectations over the scenarios."""
    d = problem.data
    p = form.probabilities
    blocks = [form.scenario_block(name) for name in form.names]
    whole = d.integer_quantities
    used, listed, inbound = (
        np.clip(rounded_whole(form.values_of(values, f), f, whole), 0.0, None)
        for f in form.first.families
    )

    def expected(name: str) -> np.ndarray:
        per = [
            np.clip(rounded_whole(form.values_of(values, c), c, whole), 0.0, None)
            for c in (b.component(name) for b in blocks)
        ]
        return p @ np.array(per).reshape(len(blocks), -1) / p.sum()

    stock, release, direct, lost = (expected(n) for n in ("stock", "release", "direct", "lost"))
    demand = p @ d.demand / p.sum()
    plan = {
        "inbound": _inbound_table(d, inbound),
        "bonded": _bonded_table(d, used, listed, stock, release),
        "stock": _positive(
            pd.DataFrame(
                {
                    "bonded_warehouse": d.stock["bonded"],
                    "sku": d.stock["sku"],
                    "month": _month(d, d.stock["t"]),
                    "stock": stock,
                }
            ),
            "stock",
        ),
        "channel_mix": _channel_mix(d, release, direct, lost),
        "tax": _tax_table(d, inbound, release, direct),
    }
    breakdown = _cost_breakdown(d, used, listed, inbound, stock, release, direct, lost)
    plan["cost_breakdown"] = breakdown
    served_units = release.sum() + direct.sum()
    days = (d.release["lead_time_days"] * release).sum() + (
        d.direct["lead_time_days"] * direct
    ).sum()
    revenue = float((d.price[d.demand_keys["k"]] * (demand - lost)).sum())
    total = float(breakdown["cost"].sum())
    kpis = {
        "plan_cost": total,
        "revenue": revenue,
        "profit": revenue - total + float((d.price[d.demand_keys["k"]] * lost).sum()),
        "tax_paid": float(plan["tax"]["tax"].sum()),
        "fill_rate": float((demand - lost).sum() / demand.sum()) if demand.sum() > 0 else None,
        "lost_sales": float(lost.sum()),
        "average_delivery_days": float(days / served_units) if served_units > 0 else None,
        "bonded_warehouses_used": [
            b for b, u in zip(d.BONDED, np.rint(used), strict=True) if u == 1
        ],
        "skus_listed": int(np.rint(listed).sum()),
        "channel_units": plan["channel_mix"].groupby("channel")["quantity"].sum().to_dict(),
        "tax_rules": d.tax_rules,
    }
    return plan, kpis


def _positive(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table[table[column] > 1e-9].reset_index(drop=True)


def _inbound_table(d: RoutingData, inbound: np.ndarray) -> pd.DataFrame:
    f = d.inbound.frame
    decided = _positive(
        pd.DataFrame(
            {
                "origin": f["origin"],
                "bonded_warehouse": f["destination"],
                "mode": f["mode"],
                "sku": [d.SKUS[k] for k in f["k"]],
                "ship_month": _month(d, f["t"]),
                "arrival_month": _month(d, f["arrive"]),
                "quantity": inbound,
                "freight_cost": f["freight"] * inbound,
                "status": inbound_status(d, RoutingLabels.of(d).inbound),
            }
        ),
        "quantity",
    )
    moving = in_transit_rows(d)
    return decided if moving.empty else pd.concat([moving, decided], ignore_index=True)


def _bonded_table(d: RoutingData, used, listed, stock, release) -> pd.DataFrame:
    by_month = stock_volume(d, stock, release)
    listed_count = np.bincount(d.listing["b"], weights=np.rint(listed), minlength=len(d.BONDED))
    return bonded_table(d, np.rint(used), listed_count, by_month.max(axis=1))


def bonded_table(d: RoutingData, used, skus_listed, peak_volume) -> pd.DataFrame:
    """One row per stocking warehouse (bonded, or domestic for general trade): used, fixed
    cost over the horizon, SKUs listed, peak stock volume (opening stock plus arrivals) and
    its share of the capacity."""
    is_used = np.asarray(used).astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(
            np.isfinite(d.volume_capacity), peak_volume / d.volume_capacity, np.nan
        )
    return pd.DataFrame(
        {
            "bonded_warehouse": d.BONDED,
            "used": is_used,
            "fixed_cost": d.fixed_cost * len(d.MONTHS) * is_used,
            "skus_listed": np.asarray(skus_listed).astype(int),
            "peak_volume_m3": peak_volume,
            "volume_capacity": np.where(np.isfinite(d.volume_capacity), d.volume_capacity, np.nan),
            "utilisation": utilisation,
        }
    )


def _channel_mix(d: RoutingData, release, direct, lost) -> pd.DataFrame:
    """Expected units per SKU, market, month, channel and origin (the bonded or domestic
    warehouse a release leaves, the node a parcel leaves; blank for lost sales), and each
    row's share of that SKU's demand in that market and month."""
    keys = d.demand_keys.frame
    parts = [
        pd.DataFrame(
            {
                "d": d.release["d"],
                "channel": d.release["channel"],
                "origin": d.release["origin"],
                "quantity": release,
            }
        ),
        pd.DataFrame(
            {
                "d": d.direct["d"],
                "channel": d.direct["channel"],
                "origin": d.direct["origin"],
                "quantity": direct,
            }
        ),
        pd.DataFrame(
            {"d": np.arange(len(keys)), "channel": "lost", "origin": "", "quantity": lost}
        ),
    ]
    flows = pd.concat(parts, ignore_index=True)
    at = flows["d"].to_numpy()
    flows["sku"] = [d.SKUS[k] for k in keys["k"].to_numpy()[at]]
    flows["market"] = [d.MARKETS[j] for j in keys["j"].to_numpy()[at]]
    flows["month"] = _month(d, keys["t"].to_numpy()[at])
    key = ["sku", "market", "month", "channel", "origin"]
    mix = flows.groupby(key, sort=False)["quantity"].sum().reset_index()
    demand = mix.groupby(["sku", "market", "month"])["quantity"].transform("sum")
    mix["share"] = mix["quantity"] / demand
    return _positive(mix, "quantity")


def _tax_table(d: RoutingData, inbound, release, direct) -> pd.DataFrame:
    """Expected units and tax per SKU, month, channel and regime, with the tax's parts
    (:data:`~cbecopt.channels.TAX_PARTS`): bonded releases and parcels taxed per order in the
    month delivered, general trade at import into the domestic warehouse in the month it
    arrives (its units are those imported)."""
    per_unit = d.channel_table.set_index(["sku", "channel"])
    imported = d.stock_channel[d.inbound["b"]] == "general_trade"
    cleared = d.release["channel"] == "bonded"
    month = d.demand_keys["t"]
    general = pd.DataFrame(
        {
            "sku": [d.SKUS[k] for k in d.inbound["k"][imported]],
            "month": _month(d, d.inbound["arrive"][imported]),
            "channel": "general_trade",
            "units": inbound[imported],
            "tax": (d.inbound["tax"] * inbound)[imported],
            **{part: (d.inbound[part] * inbound)[imported] for part in TAX_PARTS},
        }
    )
    per_order = pd.concat(
        [
            pd.DataFrame(
                {
                    "sku": [d.SKUS[k] for k in d.release["k"][cleared]],
                    "month": _month(d, month[d.release["d"][cleared]]),
                    "channel": "bonded",
                    "units": release[cleared],
                    "tax": (d.release["tax"] * release)[cleared],
                }
            ),
            pd.DataFrame(
                {
                    "sku": [d.SKUS[k] for k in d.direct["k"]],
                    "month": _month(d, month[d.direct["d"]]),
                    "channel": d.direct["channel"],
                    "units": direct,
                    "tax": d.direct["tax"] * direct,
                }
            ),
        ],
        ignore_index=True,
    )
    rates = per_unit.reindex(pd.MultiIndex.from_frame(per_order[["sku", "channel"]]))
    for part in TAX_PARTS:
        per_order[part] = rates[part].to_numpy(float) * per_order["units"].to_numpy()
    flows = pd.concat([general, per_order], ignore_index=True)
    flows["regime"] = (
        per_unit["regime"].reindex(pd.MultiIndex.from_frame(flows[["sku", "channel"]])).to_numpy()
    )
    return regroup_tax(flows[flows["units"] > 1e-9])


TAX_KEY = ("sku", "month", "channel", "regime")


def regroup_tax(rows: pd.DataFrame) -> pd.DataFrame:
    """Tax rows summed per :data:`TAX_KEY`, in the order rows first appear."""
    sums = ["units", "tax", *TAX_PARTS]
    return rows.groupby(list(TAX_KEY), sort=False)[sums].sum(min_count=1).reset_index()


def _cost_breakdown(d, used, listed, inbound, stock, release, direct, lost) -> pd.DataFrame:
    last = d.stock["t"] == len(d.MONTHS) - 1
    k_stock = d.stock["k"]
    parts = {
        "bonded_fixed": float(d.fixed_cost @ np.rint(used)) * len(d.MONTHS),
        "listing": float(d.listing["cost"] @ np.rint(listed)),
        "purchase": float(d.inbound["purchase"] @ inbound + d.direct["purchase"] @ direct),
        "inbound_freight": float(d.inbound["freight"] @ inbound),
        "last_mile_freight": float(d.release["freight"] @ release),
        "handling": float(d.release["handling"] @ release),
        "direct_freight": float(d.direct["freight"] @ direct),
        "holding": float(
            (d.holding_cost[k_stock] * np.where(last, 0.5, 1.0)) @ stock
            + d.inbound["holding"] @ inbound
        ),
        "tax": float(
            d.inbound["tax"] @ inbound + d.release["tax"] @ release + d.direct["tax"] @ direct
        ),
        "lost_sales": float(d.lost_cost[d.demand_keys["k"]] @ lost),
        "salvage": -float((d.salvage_value[k_stock] * np.where(last, stock, 0.0)).sum()),
    }
    return pd.DataFrame({"component": list(parts), "cost": list(parts.values())})
