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
:mod:`cbecopt.formulations.routing_data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.channels import DIRECT_MAIL
from cbecopt.formulations.common import Terms, VarFamily, add_rows, add_var_family, terms
from cbecopt.formulations.routing_data import RoutingConfig, RoutingData
from cbecopt.stochastic.twostage import DemandScenarios, ExtensiveForm, FirstStage

__all__ = ["RoutingConfig", "RoutingData", "RoutingProblem", "extract_routing"]


@dataclass(frozen=True)
class RoutingProblem(DemandScenarios):
    """The routing model in the two-stage layer's terms."""

    data: RoutingData
    instance_name: str = "routing"

    @property
    def name(self) -> str:
        return f"routing[{self.instance_name}]"

    def build_first_stage(self, m: pyo.Block) -> FirstStage:
        """Warehouses used, SKUs listed, bulk inbound shipments."""
        d = self.data
        n_t = len(d.MONTHS)
        used = add_var_family(
            m, "use_bonded", d.BONDED, domain=pyo.Binary, doc="u_b: bonded warehouse b is used"
        )
        listed = add_var_family(
            m,
            "listed",
            d.listing.keys(("bonded", "sku")),
            domain=pyo.Binary,
            doc="a_bk: SKU k is listed at b",
        )
        inbound = add_var_family(
            m,
            "inbound",
            _lane_keys(d, d.inbound),
            doc="q_lkt: units of k shipped in bulk on lane l in month t",
        )
        add_listing_open(m, d, used, listed)
        add_listing_link(m, d, listed, inbound)
        add_inbound_lane_capacity(m, d, inbound)
        cost = (
            terms(used, 0, np.arange(len(used)), d.fixed_cost * n_t),
            terms(listed, 0, np.arange(len(listed)), d.listing_cost[d.listing["k"]]),
            terms(inbound, 0, np.arange(len(inbound)), d.inbound["cost"]),
        )
        return FirstStage((used, listed, inbound), tuple(c for c in cost if len(c.coef)))

    def build_second_stage(self, block: pyo.Block, demand: np.ndarray, first: FirstStage):
        """One demand scenario: releases from bonded stock, parcels and general trade, lost sales."""
        d = self.data
        used, _, inbound = first.families
        stock = add_var_family(
            block, "stock", _stock_keys(d), doc="I_bkt: units of k in b at the end of t"
        )
        release = add_var_family(
            block,
            "release",
            _lane_keys(d, d.release),
            doc="x_rkt: units of k released from bonded stock on lane r",
        )
        direct = add_var_family(
            block,
            "direct",
            _lane_keys(d, d.direct),
            doc="y_gkt: units of k sent straight to the market on lane g",
        )
        lost = add_var_family(
            block, "lost", _demand_keys(d), doc="z_jkt: demand of k in j, t not served"
        )
        add_bonded_stock_balance(block, d, inbound, stock, release)
        add_demand_served(block, d, release, direct, lost, demand)
        add_wait_share(block, d, direct, demand)
        add_delivery_time(block, d, release, direct)
        add_bonded_volume(block, d, used, stock)
        add_bonded_release_capacity(block, d, used, release)
        add_lane_capacity(block, d, release, direct)
        last = d.stock["t"] == len(d.MONTHS) - 1
        stock_cost = d.holding_cost[d.stock["k"]] - np.where(
            last, d.salvage_value[d.stock["k"]], 0.0
        )
        return tuple(
            c
            for c in (
                terms(stock, 0, np.arange(len(stock)), stock_cost),
                terms(release, 0, np.arange(len(release)), d.release["cost"]),
                terms(direct, 0, np.arange(len(direct)), d.direct["cost"]),
                terms(lost, 0, np.arange(len(lost)), d.lost_cost[d.demand_keys["k"]]),
            )
            if len(c.coef)
        )


def _month(d: RoutingData, t: np.ndarray) -> list:
    return [d.MONTHS[i] for i in t]


def _lane_keys(d: RoutingData, index) -> list[tuple]:
    """(origin, destination, mode, SKU, month) of each row of a lane-based index."""
    f = index.frame
    skus = (d.SKUS[k] for k in f["k"])
    return list(zip(f["origin"], f["destination"], f["mode"], skus, _month(d, f["t"]), strict=True))


def _stock_keys(d: RoutingData) -> list[tuple]:
    f = d.stock.frame
    return list(zip(f["bonded"], f["sku"], _month(d, f["t"]), strict=True))


def _demand_keys(d: RoutingData) -> list[tuple]:
    f = d.demand_keys.frame
    return list(
        zip(
            (d.MARKETS[j] for j in f["j"]),
            (d.SKUS[k] for k in f["k"]),
            _month(d, f["t"]),
            strict=True,
        )
    )


def add_listing_open(m: pyo.Block, d: RoutingData, used: VarFamily, listed: VarFamily) -> None:
    """A SKU is listed only at a warehouse in use.

    .. math:: a_{bk} \\le u_b \\qquad \\forall (b, k) \\in A
    """
    n = len(listed)
    add_rows(
        m,
        "listing_open",
        listed.keys,
        [
            terms(listed, np.arange(n), np.arange(n), 1.0),
            terms(used, np.arange(n), d.listing["b"], -1.0),
        ],
        None,
        0.0,
        doc="a_bk <= u_b",
    )


def add_listing_link(m: pyo.Block, d: RoutingData, listed: VarFamily, inbound: VarFamily) -> None:
    """Goods go into a warehouse only for a SKU listed there.

    .. math:: \\sum_{l \\in L^{in}_b} \\sum_t q_{lkt} \\le M_k\\, a_{bk} \\qquad \\forall (b, k) \\in A

    ``M_k`` is the most the SKU sells over the horizon in any scenario.
    """
    n = len(listed)
    row = _positions(d.listing.frame, d.inbound.frame, ["b", "k"])
    add_rows(
        m,
        "listing_link",
        listed.keys,
        [
            terms(inbound, row, np.arange(len(inbound)), 1.0),
            terms(listed, np.arange(n), np.arange(n), -d.demand_bound[d.listing["k"]]),
        ],
        None,
        0.0,
        doc="sum q <= M_k a_bk",
    )


def _positions(index: pd.DataFrame, rows: pd.DataFrame, on: list[str]) -> np.ndarray:
    """For each row of ``rows``, the position in ``index`` with the same ``on`` values."""
    lookup = pd.Series(np.arange(len(index)), index=pd.MultiIndex.from_frame(index[on]))
    return lookup.reindex(pd.MultiIndex.from_frame(rows[on])).to_numpy(np.int64)


def add_bonded_stock_balance(
    block: pyo.Block, d: RoutingData, inbound: VarFamily, stock: VarFamily, release: VarFamily
) -> None:
    """Stock carries over: last month's stock plus arrivals minus releases.

    .. math:: I_{bkt} = I_{bk,t-1} + \\sum_{l \\in L^{in}_b} q_{lk,t-\\tau_l} - \\sum_{r \\in R_b} x_{rkt}
        \\qquad \\forall (b, k, t), \\; I_{bk0} = 0
    """
    s = d.stock.frame
    n = len(s)
    previous = np.flatnonzero(s["t"].to_numpy() > 0)
    arrivals = d.inbound.frame.rename(columns={"t": "ship", "arrive": "t"})
    add_rows(
        block,
        "bonded_stock_balance",
        stock.keys,
        [
            terms(stock, np.arange(n), np.arange(n), 1.0),
            terms(
                stock, previous, previous - 1, -1.0
            ),  # stock rows are (b, k) blocks in month order
            terms(inbound, _positions(s, arrivals, ["b", "k", "t"]), np.arange(len(inbound)), -1.0),
            terms(
                release,
                _positions(s, d.release.frame, ["b", "k", "t"]),
                np.arange(len(release)),
                1.0,
            ),
        ],
        0.0,
        0.0,
        doc="I_bkt - I_bk,t-1 - arrivals + releases = 0",
    )


def add_demand_served(
    block: pyo.Block,
    d: RoutingData,
    release: VarFamily,
    direct: VarFamily,
    lost: VarFamily,
    demand: np.ndarray,
) -> None:
    """Every unit of demand is served by some channel or lost.

    .. math:: \\sum_{r \\in R_j} x_{rkt} + \\sum_{g \\in G_j} y_{gkt} + z_{jkt} = D_{jkt} \\qquad \\forall (j, k, t)
    """
    n = len(lost)
    add_rows(
        block,
        "demand_served",
        lost.keys,
        [
            terms(release, d.release["d"], np.arange(len(release)), 1.0),
            terms(direct, d.direct["d"], np.arange(len(direct)), 1.0),
            terms(lost, np.arange(n), np.arange(n), 1.0),
        ],
        demand,
        demand,
        doc="released + direct + lost = D_jkt",
    )


def add_wait_share(block: pyo.Block, d: RoutingData, direct: VarFamily, demand: np.ndarray) -> None:
    """Only the customers willing to wait take a parcel from abroad.

    .. math:: \\sum_{g \\in G_j^{mail}} y_{gkt} \\le w_k D_{jkt} \\qquad \\forall (j, k, t): w_k < 1
    """
    keys = d.demand_keys.frame
    rows = np.flatnonzero(d.wait_share[keys["k"]] < 1)
    if not len(rows):
        return
    row_of = np.full(len(keys), -1, np.int64)
    row_of[rows] = np.arange(len(rows))
    mail = np.flatnonzero(np.isin(d.direct["channel"], DIRECT_MAIL) & (row_of[d.direct["d"]] >= 0))
    all_keys = _demand_keys(d)
    add_rows(
        block,
        "wait_share",
        [all_keys[i] for i in rows],
        [terms(direct, row_of[d.direct["d"][mail]], mail, 1.0)],
        None,
        d.wait_share[keys["k"].to_numpy()[rows]] * demand[rows],
        doc="direct mail <= w_k D_jkt",
    )


def add_delivery_time(
    block: pyo.Block, d: RoutingData, release: VarFamily, direct: VarFamily
) -> None:
    """The average delivery time of a market's served orders stays within its target.

    .. math:: \\sum_{r} (\\ell_r - T_j)\\, x_{rkt} + \\sum_{g} (\\ell_g - T_j)\\, y_{gkt} \\le 0
        \\qquad \\forall (j, t): T_j < \\infty
    """
    keys = d.demand_keys.frame
    limited = np.flatnonzero(np.isfinite(d.max_days))
    if not len(limited):
        return
    n_t = len(d.MONTHS)
    row_of = np.full(len(d.MARKETS), -1, np.int64)
    row_of[limited] = np.arange(len(limited))
    parts = []
    for family, frame in ((release, d.release.frame), (direct, d.direct.frame)):
        j = keys["j"].to_numpy()[frame["d"]]
        inside = np.flatnonzero(row_of[j] >= 0)
        row = row_of[j[inside]] * n_t + keys["t"].to_numpy()[frame["d"]][inside]
        coef = frame["lead_time_days"].to_numpy(float)[inside] - d.max_days[j[inside]]
        parts.append(terms(family, row, inside, coef))
    add_rows(
        block,
        "delivery_time",
        [(d.MARKETS[j], d.MONTHS[t]) for j in limited for t in range(n_t)],
        parts,
        None,
        0.0,
        doc="sum (lead - target) x <= 0",
    )


def add_bonded_volume(block: pyo.Block, d: RoutingData, used: VarFamily, stock: VarFamily) -> None:
    """Stock in a warehouse fits its volume, and only a warehouse in use holds stock.

    .. math:: \\sum_k v_k I_{bkt} \\le V_b\\, u_b \\qquad \\forall b: V_b < \\infty, \\; t
    """
    s = d.stock.frame
    _bonded_month_capacity(
        block,
        "bonded_volume",
        d,
        d.volume_capacity,
        terms(stock, 0, np.arange(len(stock)), d.volume[s["k"].to_numpy()]),
        s,
        used,
        doc="sum_k v_k I_bkt <= V_b u_b",
    )


def add_bonded_release_capacity(
    block: pyo.Block, d: RoutingData, used: VarFamily, release: VarFamily
) -> None:
    """A warehouse releases at most its capacity in units each month, and only if in use.

    .. math:: \\sum_{r \\in R_b} \\sum_k x_{rkt} \\le C_b\\, u_b \\qquad \\forall b: C_b < \\infty, \\; t

    ======  ================  ===================================
    symbol  component         input
    ======  ================  ===================================
    C_b     release_capacity  nodes.capacity (units released per month)
    x_rkt   release           decision (second stage)
    u_b     use_bonded        decision (first stage)
    ======  ================  ===================================
    """
    _bonded_month_capacity(
        block,
        "bonded_release_capacity",
        d,
        d.release_capacity,
        terms(release, 0, np.arange(len(release)), 1.0),
        d.release.frame,
        used,
        doc="sum x_rkt over lanes out of b <= C_b u_b",
    )


def _bonded_month_capacity(
    block, name, d: RoutingData, capacity, usage: Terms, frame: pd.DataFrame, used, doc
) -> None:
    """Rows (b, t) for each warehouse b with a finite ``capacity``: the ``usage`` terms of the
    family rows in ``frame`` (with columns b and t) at b in month t <= capacity_b u_b."""
    limited = np.flatnonzero(np.isfinite(capacity))
    if not len(limited):
        return
    n_t = len(d.MONTHS)
    row_of = np.full(len(d.BONDED), -1, np.int64)
    row_of[limited] = np.arange(len(limited))
    b = frame["b"].to_numpy(np.int64)
    inside = np.flatnonzero(row_of[b] >= 0)
    rows = row_of[b[inside]] * n_t + frame["t"].to_numpy(np.int64)[inside]
    all_rows = np.arange(len(limited) * n_t)
    add_rows(
        block,
        name,
        [(d.BONDED[i], d.MONTHS[t]) for i in limited for t in range(n_t)],
        [
            terms(usage.family, rows, usage.position[inside], usage.coef[inside]),
            terms(used, all_rows, np.repeat(limited, n_t), -np.repeat(capacity[limited], n_t)),
        ],
        None,
        0.0,
        doc=doc,
    )


def add_inbound_lane_capacity(m: pyo.Block, d: RoutingData, inbound: VarFamily) -> None:
    """An inbound lane carries at most its capacity in units each month, counted by ship month.

    .. math:: \\sum_k q_{lkt} \\le U_l \\qquad \\forall l \\in L^{in}: U_l < \\infty, \\; t

    ======  =============  =================================
    symbol  component      input
    ======  =============  =================================
    U_l     lane_capacity  arcs.capacity (units per month)
    q_lkt   inbound        decision (first stage)
    ======  =============  =================================
    """
    _lane_month_capacity(m, "inbound_lane_capacity", d, [(inbound, d.inbound.frame)])


def add_lane_capacity(
    block: pyo.Block, d: RoutingData, release: VarFamily, direct: VarFamily
) -> None:
    """A last-mile or direct lane carries at most its capacity in units each delivery month.

    .. math:: \\sum_k x_{rkt} \\le U_r \\quad \\forall r: U_r < \\infty, \\; t \\qquad
        \\sum_k y_{gkt} \\le U_g \\quad \\forall g: U_g < \\infty, \\; t

    ======  =============  =================================
    symbol  component      input
    ======  =============  =================================
    U_l     lane_capacity  arcs.capacity (units per month)
    x_rkt   release        decision (second stage)
    y_gkt   direct         decision (second stage)
    ======  =============  =================================
    """
    _lane_month_capacity(
        block, "lane_capacity", d, [(release, d.release.frame), (direct, d.direct.frame)]
    )


def _lane_month_capacity(block, name, d: RoutingData, parts) -> None:
    """Rows (lane, month) for each lane with a finite capacity that a family in ``parts``
    ((family, frame with columns lane and t)) uses: the units on it that month <= U_l."""
    lanes = [f["lane"].to_numpy(np.int64) for _, f in parts]
    used = np.unique(np.concatenate(lanes))
    limited = used[np.isfinite(d.lane_capacity[used])]
    if not len(limited):
        return
    n_t = len(d.MONTHS)
    row_of = np.full(len(d.lanes), -1, np.int64)
    row_of[limited] = np.arange(len(limited))
    rows = []
    for (family, frame), lane in zip(parts, lanes, strict=True):
        inside = np.flatnonzero(row_of[lane] >= 0)
        row = row_of[lane[inside]] * n_t + frame["t"].to_numpy(np.int64)[inside]
        rows.append(terms(family, row, inside, 1.0))
    keys = d.lanes.keys(("origin", "destination", "mode"))
    add_rows(
        block,
        name,
        [(*keys[lane], d.MONTHS[t]) for lane in limited for t in range(n_t)],
        rows,
        None,
        np.repeat(d.lane_capacity[limited], n_t),
        doc="units on lane l in month t <= U_l",
    )


def extract_routing(problem: RoutingProblem, form: ExtensiveForm, values: np.ndarray):
    """Plan tables and KPIs; second-stage quantities are expectations over the scenarios."""
    d = problem.data
    p = form.probabilities
    blocks = [form.model.scenario[name] for name in form.names]
    used, listed, inbound = (
        np.clip(form.values_of(values, f), 0.0, None) for f in form.first.families
    )

    def expected(name: str) -> np.ndarray:
        per = [np.clip(form.values_of(values, b.component(name)), 0.0, None) for b in blocks]
        return p @ np.array(per).reshape(len(blocks), -1) / p.sum()

    stock, release, direct, lost = (expected(n) for n in ("stock", "release", "direct", "lost"))
    demand = p @ d.demand / p.sum()
    tables = {
        "inbound": _inbound_table(d, inbound),
        "bonded": _bonded_table(d, used, listed, stock),
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
        "tax": _tax_table(d, release, direct),
    }
    breakdown = _cost_breakdown(d, used, listed, inbound, stock, release, direct, lost)
    tables["cost_breakdown"] = breakdown
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
        "tax_paid": float(tables["tax"]["tax"].sum()),
        "fill_rate": float((demand - lost).sum() / demand.sum()) if demand.sum() > 0 else None,
        "lost_sales": float(lost.sum()),
        "average_delivery_days": float(days / served_units) if served_units > 0 else None,
        "bonded_warehouses_used": [
            b for b, u in zip(d.BONDED, np.rint(used), strict=True) if u == 1
        ],
        "skus_listed": int(np.rint(listed).sum()),
        "channel_units": tables["channel_mix"].groupby("channel")["quantity"].sum().to_dict(),
        "tax_rules": d.tax_rules,
    }
    return tables, kpis


def _positive(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table[table[column] > 1e-9].reset_index(drop=True)


def _inbound_table(d: RoutingData, inbound: np.ndarray) -> pd.DataFrame:
    f = d.inbound.frame
    return _positive(
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
            }
        ),
        "quantity",
    )


def _bonded_table(d: RoutingData, used, listed, stock) -> pd.DataFrame:
    s = d.stock.frame
    by_month = np.zeros((len(d.BONDED), len(d.MONTHS)))
    np.add.at(by_month, (s["b"].to_numpy(), s["t"].to_numpy()), d.volume[s["k"]] * stock)
    listed_count = np.bincount(d.listing["b"], weights=np.rint(listed), minlength=len(d.BONDED))
    return bonded_table(d, np.rint(used), listed_count, by_month.max(axis=1))


def bonded_table(d: RoutingData, used, skus_listed, peak_volume) -> pd.DataFrame:
    """One row per bonded warehouse: used, fixed cost over the horizon, SKUs listed, peak
    month-end volume and its share of the capacity."""
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
    keys = d.demand_keys.frame
    parts = [
        pd.DataFrame({"d": d.release["d"], "channel": "bonded", "quantity": release}),
        pd.DataFrame({"d": d.direct["d"], "channel": d.direct["channel"], "quantity": direct}),
        pd.DataFrame({"d": np.arange(len(keys)), "channel": "lost", "quantity": lost}),
    ]
    flows = pd.concat(parts, ignore_index=True)
    flows["sku"] = [d.SKUS[k] for k in keys["k"].to_numpy()[flows["d"]]]
    flows["market"] = [d.MARKETS[j] for j in keys["j"].to_numpy()[flows["d"]]]
    mix = flows.groupby(["sku", "market", "channel"], sort=False)["quantity"].sum().reset_index()
    mix["share"] = mix["quantity"] / mix.groupby(["sku", "market"])["quantity"].transform("sum")
    return _positive(mix, "quantity")


def _tax_table(d: RoutingData, release, direct) -> pd.DataFrame:
    regime = d.channel_table.set_index(["sku", "channel"])["regime"]
    rows = [
        pd.DataFrame(
            {
                "channel": "bonded",
                "sku": [d.SKUS[k] for k in d.release["k"]],
                "units": release,
                "tax": d.release["tax"] * release,
            }
        ),
        pd.DataFrame(
            {
                "channel": d.direct["channel"],
                "sku": [d.SKUS[k] for k in d.direct["k"]],
                "units": direct,
                "tax": d.direct["tax"] * direct,
            }
        ),
    ]
    flows = pd.concat(rows, ignore_index=True)
    flows["regime"] = regime.reindex(pd.MultiIndex.from_frame(flows[["sku", "channel"]])).to_numpy()
    table = flows.groupby(["channel", "regime"], sort=False)[["units", "tax"]].sum().reset_index()
    return table[table["units"] > 1e-9].reset_index(drop=True)


def _cost_breakdown(d, used, listed, inbound, stock, release, direct, lost) -> pd.DataFrame:
    last = d.stock["t"] == len(d.MONTHS) - 1
    k_stock = d.stock["k"]
    parts = {
        "bonded_fixed": float(d.fixed_cost @ np.rint(used)) * len(d.MONTHS),
        "listing": float(d.listing_cost[d.listing["k"]] @ np.rint(listed)),
        "purchase": float(d.inbound["purchase"] @ inbound + d.direct["purchase"] @ direct),
        "inbound_freight": float(d.inbound["freight"] @ inbound),
        "last_mile_freight": float(d.release["freight"] @ release),
        "direct_freight": float(d.direct["freight"] @ direct),
        "holding": float(d.holding_cost[k_stock] @ stock),
        "tax": float(d.release["tax"] @ release + d.direct["tax"] @ direct),
        "lost_sales": float(d.lost_cost[d.demand_keys["k"]] @ lost),
        "salvage": -float((d.salvage_value[k_stock] * np.where(last, stock, 0.0)).sum()),
    }
    return pd.DataFrame({"component": list(parts), "cost": list(parts.values())})
