"""The ``network`` model's channels into China and its service rows, as in ``routing``.

Each unit reaches a market on a second-stage *outlet*: a release lane from a stocking
warehouse (``bonded``: 1210, CBEC tax on release; ``domestic``: general trade, duty-paid
stock), a 9610 parcel lane from an overseas warehouse, a 9610 parcel straight from a supplier
(``supplier_parcel``: bought per order at the offer's first price) or, where personal
articles are allowed, a postal parcel from an overseas warehouse or a supplier. This module
lists the outlets with their cost, tax and days (:func:`outlet_keys`), says which SKUs may
enter which warehouse (:func:`may_enter`), adds the service and stock rows of the scenarios
(``wait_share``, ``delivery_time``, ``bonded_volume``, ``overseas_volume``, ``cover_stock``,
``drop_ship_capacity``) and computes the service KPIs (:func:`service_levels`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.families import average_rate_cap, capacity_if_open
from cbecopt.labelled import LinearTerms, Terms, VarFamily, terms
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.in_motion import stocked_overseas
from cbecopt.models.network.platforms import (
    copy_platforms,
    members,
    platform_mask,
    served_sets,
)
from cbecopt.models.network.speed import outlet_terms

PER_ORDER = ("parcel", "supplier_parcel", "postal")
"""Outlet roles shipping one order at a time from abroad: the customers wait for these
(``wait_share``), as routing's direct mail."""

DAYS_PER_WEEK = 7.0
DAYS_PER_MONTH = 30.4
"""Weeks of cover become months of cover as in ``routing``: ``7 cover_weeks / 30.4``."""


def warehouse_kinds(d: NetworkData) -> tuple[str, ...]:
    """Per entry of ``bonded``: ``bonded`` or ``domestic`` (empty ``warehouse_kind``: all bonded)."""
    kinds = d.warehouse_kind or ("bonded",) * len(d.bonded)
    if len(kinds) != len(d.bonded) or set(kinds) - {"bonded", "domestic"}:
        raise ValueError("warehouse_kind: one of 'bonded' or 'domestic' per bonded warehouse")
    return tuple(kinds)


def sku_allowed(d: NetworkData, name: str) -> np.ndarray:
    """The positive list ``name`` (``bonded_allowed``, ``cbec_allowed``,
    ``general_trade_allowed``) per SKU; None allows every SKU."""
    values = getattr(d, name)
    return np.ones(len(d.skus), bool) if values is None else np.asarray(values, bool)


def may_enter(d: NetworkData) -> np.ndarray:
    """Stocking warehouses x SKUs: a bonded warehouse takes only SKUs ``bonded_allowed``, a
    domestic (duty-paid) one only SKUs ``general_trade_allowed``."""
    lists = {"bonded": "bonded_allowed", "domestic": "general_trade_allowed"}
    return np.array([sku_allowed(d, lists[kind]) for kind in warehouse_kinds(d)], bool).reshape(
        len(d.bonded), len(d.skus)
    )


def reachable_overseas(d: NetworkData) -> np.ndarray:
    """Overseas warehouses x SKUs: a first-mile lane reaches the warehouse from a supplier
    offering the SKU, or goods already in motion are there (origin-aware stock: only these
    pairs can ever hold stock, so only they get bulk-out and parcel keys)."""
    reach = np.zeros((len(d.overseas), len(d.skus)), bool)
    offered = np.zeros((len(d.suppliers), len(d.skus)), bool)
    for i, k in d.offers:
        offered[i, k] = True
    for i, w, *_ in d.first_mile:
        reach[w] |= offered[i]
    return reach | stocked_overseas(d)


def months_of_cover(d: NetworkData) -> float:
    """``cover_weeks`` in months, as routing counts them."""
    return DAYS_PER_WEEK * d.cover_weeks / DAYS_PER_MONTH


@dataclass(frozen=True)
class Outlets:
    """The second-stage delivery keys ``(lane, sku, month)`` and, per key: the lane's role
    (``release``, ``parcel``, ``supplier_parcel``, ``postal``), its origin kind (``bonded``
    for either stocking warehouse, ``overseas``, ``supplier``) and index, market, SKU, month,
    cost per unit (freight + handling + tax, + purchase from a supplier), tax per unit,
    delivery days (nan: not known), tax channel (``bonded``, ``general_trade``, ``parcel``,
    ``postal``), the platforms it serves (a bit mask of platform positions, 0 for every
    platform: :func:`~cbecopt.models.network.platforms.platform_mask`), the demand one
    delivered unit uses (1, more where customers walk away from a slow lane) and the cost of
    those customers (in ``cost``; :mod:`cbecopt.models.network.speed`)."""

    keys: tuple[tuple[str, str, int], ...]
    role: np.ndarray
    origin_kind: np.ndarray
    origin: np.ndarray
    market: np.ndarray
    sku: np.ndarray
    month: np.ndarray
    cost: np.ndarray
    tax: np.ndarray
    days: np.ndarray
    channel: np.ndarray
    platforms: np.ndarray
    demand_used: np.ndarray
    speed_cost: np.ndarray

    def where(self, *, role=None, origin_kind=None) -> np.ndarray:
        """Positions of the keys of these roles and/or origin kind."""
        keep = np.ones(len(self.keys), bool)
        if role is not None:
            keep &= np.isin(self.role, role)
        if origin_kind is not None:
            keep &= self.origin_kind == origin_kind
        return np.flatnonzero(keep)


@dataclass(frozen=True)
class _Lane:
    label: str
    role: str
    origin_kind: str
    origin: int
    market: int
    freight: float
    channel: str
    rate: float  # v1's tax rate on retail value (nan: none given)
    days: float
    skus: np.ndarray  # bool per SKU: may use the lane
    per_kg: float = 0.0  # cost per kg, times the SKU's weight
    platforms: int = 0  # bit mask of the platforms served (0: every one)


def _lanes(d: NetworkData, stocked: np.ndarray) -> list[_Lane]:
    """Every second-stage lane with the SKUs it may carry: release lanes (the SKUs stocked at
    their warehouse), parcel lanes (``cbec_allowed``), parcels from a supplier (its offers on
    the positive list) and postal parcels (only with ``allow_personal_articles``; from a
    supplier, its offers)."""
    kinds = warehouse_kinds(d)
    days = d.lane_days or {}
    cbec = sku_allowed(d, "cbec_allowed")
    reach = reachable_overseas(d)
    offered = np.zeros((len(d.suppliers), len(d.skus)), bool)
    for i, k in d.offers:
        offered[i, k] = True
    served = [platform_mask(g, len(d.platforms)) for g in copy_platforms(d)]
    lanes = []
    for n, (b, j, cost, rate) in enumerate(d.release):
        channel = "bonded" if kinds[b] == "bonded" else "general_trade"
        lane_days = _days(days, "release", n)
        lanes.append(
            _Lane(
                f"rel{n}",
                "release",
                "bonded",
                b,
                j,
                cost,
                channel,
                rate,
                lane_days,
                stocked[b],
                lane_per_kg(d, "release", n),
            )
        )
    for n, (w, j, cost, rate) in enumerate(d.parcel):
        lanes.append(
            _Lane(
                f"par{n}",
                "parcel",
                "overseas",
                w,
                j,
                cost,
                "parcel",
                rate,
                _days(days, "parcel", n),
                cbec & reach[w],
                lane_per_kg(d, "parcel", n),
                served[w],
            )
        )
    for n, (i, j, cost, lane_days) in enumerate(d.supplier_parcel):
        skus = offered[i] & cbec
        lanes.append(
            _Lane(
                f"sp{n}",
                "supplier_parcel",
                "supplier",
                i,
                j,
                cost,
                "parcel",
                np.nan,
                lane_days,
                skus,
                lane_per_kg(d, "supplier_parcel", n),
            )
        )
    if d.allow_personal_articles:
        for n, (kind, o, j, cost, lane_days) in enumerate(d.postal):
            skus = offered[o] if kind == "supplier" else reach[o]
            lanes.append(
                _Lane(
                    f"post{n}",
                    "postal",
                    kind,
                    o,
                    j,
                    cost,
                    "postal",
                    np.nan,
                    lane_days,
                    skus,
                    lane_per_kg(d, "postal", n),
                    served[o] if kind == "overseas" else 0,
                )
            )
    return lanes


def sku_weight(d: NetworkData) -> np.ndarray:
    """Kg per unit of each SKU (0 where not given), for lanes priced per kg."""
    return np.zeros(len(d.skus)) if d.weight is None else np.asarray(d.weight, float)


def lane_per_kg(d: NetworkData, role: str, n: int) -> float:
    """Cost per kg on lane ``n`` of ``role`` (0 without ``per_kg``): a unit of SKU k pays the
    lane's cost per unit plus this times its weight."""
    per_kg = d.per_kg or {}
    return float(per_kg[role][n]) if role in per_kg else 0.0


def _days(days: dict, role: str, n: int) -> float:
    return float(days[role][n]) if role in days else np.nan


def unit_tax(d: NetworkData, channel: str, rate: float) -> np.ndarray:
    """Tax per unit of each SKU delivered through ``channel``: ``unit_tax[channel]`` when the
    data give taxes by channel, else v1's lane ``rate`` x ``retail_price``."""
    if d.unit_tax is not None:
        if channel not in d.unit_tax:
            raise ValueError(f"unit_tax: no tax per unit for the {channel} channel")
        return np.asarray(d.unit_tax[channel], float)
    if np.isnan(rate):
        raise ValueError(f"unit_tax: the {channel} channel of a supplier or postal lane needs it")
    return rate * np.asarray(d.retail_price, float)


def first_price(d: NetworkData) -> np.ndarray:
    """Per offer: the price of its first segment (lowest ``from``) plus the expected
    counterfeit cost of a unit, what a unit bought per order costs."""
    price = np.full(len(d.offers), np.nan)
    start = np.full(len(d.offers), np.inf)
    for o, lo, _, p in d.segments:
        if lo < start[o]:
            start[o], price[o] = lo, p
    k = np.array([k for _, k in d.offers], np.int64)
    return price + d.counterfeit_penalty[k] * d.counterfeit_rate


def wait_shares(d: NetworkData) -> np.ndarray:
    """Per SKU, the share of demand willing to wait for an order from abroad (1 without
    ``wait_share``)."""
    return np.ones(len(d.skus)) if d.wait_share is None else np.asarray(d.wait_share, float)


def largest_demand(d: NetworkData) -> dict[int, np.ndarray]:
    """Per platform mask a lane serves, the largest scenario's demand of those platforms per
    market x SKU x month (mask 0: every platform's)."""
    out = {0: np.asarray(d.demand, float).max(axis=0)}
    if d.platform_demand is not None:
        by_platform = np.asarray(d.platform_demand, float)
        for mask in {platform_mask(g, len(d.platforms)) for g in copy_platforms(d)} - {0}:
            out[mask] = by_platform[:, :, members(mask, len(d.platforms))].sum(axis=2).max(axis=0)
    return out


def outlet_keys(d: NetworkData, stocked: np.ndarray) -> Outlets:
    """Every (lane, SKU, month) a unit may be delivered on, with its cost, tax and days;
    ``stocked[b, k]``: SKU k can be stocked at warehouse b (a release lane carries only those).
    A key whose market has no demand of the platforms it serves in any scenario (or, for an
    order shipped from abroad, no customer willing to wait: ``wait_share`` 0) is left out:
    no unit could use it."""
    offer = {o: n for n, o in enumerate(d.offers)}
    price = first_price(d)
    weight = sku_weight(d)
    demand = largest_demand(d)
    waits = wait_shares(d)
    rows = []
    for lane in _lanes(d, stocked):
        tax = unit_tax(d, lane.channel, lane.rate)
        handling = {
            "bonded": d.bonded_handling,
            "overseas": d.overseas_handling,
            "supplier": np.zeros(len(d.suppliers)),
        }[lane.origin_kind][lane.origin]
        for k in np.flatnonzero(lane.skus):
            bought = price[offer[lane.origin, k]] if lane.origin_kind == "supplier" else 0.0
            unit = lane.freight + lane.per_kg * weight[k] + handling + tax[k] + bought
            if lane.role in PER_ORDER and waits[k] <= 0:
                continue
            for t in np.flatnonzero(demand[lane.platforms][lane.market, k] > 0):
                rows.append((lane, k, int(t), unit, tax[k]))
    market = np.array([r[0].market for r in rows], np.int64)
    sku = np.array([r[1] for r in rows], np.int64)
    days = np.array([r[0].days for r in rows], float)
    kept, used, speed_cost = outlet_terms(d.speed, market, sku, days, d.lost_penalty)
    keep = kept > 0  # a lane slow enough to lose every customer serves no one
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    return Outlets(
        keys=tuple((lane.label, d.skus[k], t) for lane, k, t, _, _ in rows),
        role=np.array([r[0].role for r in rows], dtype=object),
        origin_kind=np.array([r[0].origin_kind for r in rows], dtype=object),
        origin=np.array([r[0].origin for r in rows], np.int64),
        market=market[keep],
        sku=sku[keep],
        month=np.array([r[2] for r in rows], np.int64),
        cost=np.array([r[3] for r in rows], float) + speed_cost[keep],
        tax=np.array([r[4] for r in rows], float),
        days=days[keep],
        channel=np.array([r[0].channel for r in rows], dtype=object),
        platforms=np.array([r[0].platforms for r in rows], np.int64),
        demand_used=used[keep],
        speed_cost=speed_cost[keep],
    )


def per_node_month(parts: list[Terms], sizes: tuple[int, int, int], weight: np.ndarray):
    """Terms on a node x SKU x month grid summed per node and month, each SKU's weighted by
    ``weight[k]`` (units: ones; m3: volume per unit)."""
    out = []
    for p in parts:
        node, k, t = np.unravel_index(p.row, sizes)
        out.append(terms(p.family, node * sizes[2] + t, p.position, p.coef * weight[k]))
    return out


def add_volume(
    s: pyo.Block,
    name: str,
    held: list[Terms],
    labels: pd.MultiIndex,
    capacity: np.ndarray | None,
    volume: np.ndarray | None,
    open_: VarFamily,
    months: int,
) -> None:
    """The month's peak stock in m3 (month-end stock plus the month's departures, = opening
    stock plus arrivals) fits the warehouse, which must be open or in use, as routing's
    ``bonded_volume``; ``held`` are the stock and departure terms on the node x SKU x month
    grid, ``labels`` the node x month rows.

    .. math:: \\sum_k v_k (I_{nkt} + \\text{departures}_{nkt}) \\le V_n y_n \\qquad \\forall n: V_n < \\infty,\\ t
    """
    if capacity is None or volume is None:
        return
    capacity = np.asarray(capacity, float)
    finite = np.repeat(np.isfinite(capacity), months)
    if not finite.any():
        return
    sizes = (len(capacity), len(volume), months)
    usage = LinearTerms(labels, tuple(per_node_month(held, sizes, np.asarray(volume, float))))
    limit = pd.Series(np.repeat(capacity, months)[finite], index=labels[finite])
    capacity_if_open(s, name, usage, limit, open_, doc="sum_k v_k (I + out) <= V y")


def add_wait_share(
    s: pyo.Block, d: NetworkData, delivery: VarFamily, outs: Outlets, demand: pd.Series
) -> None:
    """Only the customers willing to wait get an order from abroad (9610 parcels from an
    overseas warehouse or a supplier, postal parcels), as routing's ``wait_share``.

    .. math:: \\sum_{l \\in \\text{per order}} x_{lkt} \\le w_k D_{jkt} \\qquad \\forall (j, k, t): w_k < 1
    """
    if d.wait_share is None:
        return
    share = np.repeat(np.tile(np.asarray(d.wait_share, float), len(d.markets)), d.months)
    impatient = share < 1
    if not impatient.any():
        return
    mail = outs.where(role=PER_ORDER)
    sizes = (len(d.markets), len(d.skus), d.months)
    rows = np.ravel_multi_index((outs.market[mail], outs.sku[mail], outs.month[mail]), sizes)
    usage = LinearTerms(demand.index, (terms(delivery, rows, mail, outs.demand_used[mail]),))
    capacity_if_open(
        s, "wait_share", usage, (share * demand)[impatient], doc="per-order from abroad <= w_k D"
    )


@dataclass(frozen=True)
class PlatformRows:
    """The ``platform_served`` rows of every scenario (:func:`platform_rows`): per row its
    market, SKU, month and platform set (a bit mask), and the (row, outlet key) pairs with
    the demand a unit of the key uses (:attr:`Outlets.demand_used`)."""

    labels: pd.MultiIndex
    market: np.ndarray
    sku: np.ndarray
    month: np.ndarray
    platforms: np.ndarray
    rows: np.ndarray
    keys: np.ndarray
    demand_used: np.ndarray


def platform_rows(d: NetworkData, outs: Outlets) -> PlatformRows | None:
    """Which outlet keys each ``platform_served`` row holds (None: no rows): per market and
    SKU, one row per month for every set Q of platforms that
    :func:`~cbecopt.models.network.platforms.served_sets` names for the platform sets of the
    copies delivering there, holding the keys whose platforms lie within Q."""
    own = np.flatnonzero(outs.platforms != 0)
    if d.platform_demand is None or not len(own):
        return None
    nP, nK = len(d.platforms), len(d.skus)
    pair = outs.market[own] * nK + outs.sku[own]
    masks = outs.platforms[own]
    present = pd.DataFrame({"pair": pair, "mask": masks}).drop_duplicates()
    needed: dict[frozenset, list[int]] = {}
    triples = []  # (pair, mask within Q, Q)
    for p, group in present.groupby("pair", sort=True):
        found = frozenset(group["mask"])
        if found not in needed:
            needed[found] = served_sets(set(found), nP)
        triples += [(p, m, q) for q in needed[found] for m in found if m & ~q == 0]
    if not triples:
        return None
    keys = pd.DataFrame({"pair": pair, "mask": masks, "t": outs.month[own], "key": own})
    held = keys.merge(pd.DataFrame(triples, columns=["pair", "mask", "q"]), on=["pair", "mask"])
    held = held.sort_values(["pair", "q", "t", "key"], kind="stable")
    code = (held["pair"].to_numpy() * (1 << nP) + held["q"].to_numpy()) * d.months + held[
        "t"
    ].to_numpy()
    unique, rows = np.unique(code, return_inverse=True)
    month = unique % d.months
    q = (unique // d.months) % (1 << nP)
    pairs = unique // d.months // (1 << nP)
    market, sku = pairs // nK, pairs % nK
    names = ["+".join(d.platforms[p] for p in members(m, nP)) for m in q]
    labels = pd.MultiIndex.from_arrays(
        [np.asarray(d.markets, object)[market], names, np.asarray(d.skus, object)[sku], month],
        names=["market", "platforms", "sku", "month"],
    )
    keys = held["key"].to_numpy()
    return PlatformRows(labels, market, sku, month, q, rows, keys, outs.demand_used[keys])


def add_platform_served(
    s: pyo.Block,
    d: NetworkData,
    delivery: VarFamily,
    rows: PlatformRows | None,
    by_platform: np.ndarray | None,
) -> None:
    """The parcels of overseas copies that serve only some platforms fit those platforms'
    demand: for every set Q of platforms :func:`platform_rows` names (per market and SKU),
    the units of the copies whose platforms lie within Q are at most Q's demand times the
    share willing to wait (these units are all per order from abroad). With
    ``demand_served`` and ``wait_share`` per market, these rows are exactly what makes a
    split of every delivery among the platforms exist (Hall's condition), so each market is
    served once rather than once per platform. ``by_platform``: this scenario's demand per
    market x platform x SKU x month.

    .. math:: \\sum_{l: P_l \\subseteq Q} x_{lkt} \\le w_k \\sum_{p \\in Q} D_{jpkt}
        \\qquad \\forall (j, k, t), Q
    """
    if rows is None or by_platform is None:
        return
    wait = wait_shares(d)
    inside = (rows.platforms[:, None] >> np.arange(len(d.platforms))) & 1
    demand = by_platform[rows.market, :, rows.sku, rows.month]
    limit = wait[rows.sku] * (inside * demand).sum(axis=1)
    usage = LinearTerms(rows.labels, (terms(delivery, rows.rows, rows.keys, rows.demand_used),))
    capacity_if_open(
        s,
        "platform_served",
        usage,
        pd.Series(limit, index=rows.labels),
        doc="sum of parcels of copies within Q <= w_k D_Q",
    )


def add_delivery_time(s: pyo.Block, d: NetworkData, delivery: VarFamily, outs: Outlets) -> None:
    """A market's average delivery days of the units served in a month stays within its
    target, as routing's ``delivery_time`` (per market and month, in each scenario).

    .. math:: \\sum_{l \\to j} (\\ell_l - T_j) x_{lkt} \\le 0 \\qquad \\forall j: T_j < \\infty,\\ t
    """
    if d.max_delivery_days is None or d.lane_days is None:
        return
    target = np.asarray(d.max_delivery_days, float)
    targeted = np.isfinite(target)
    if not targeted.any():
        return
    into = np.flatnonzero(targeted[outs.market])
    if np.isnan(outs.days[into]).any():
        raise ValueError("lane_days: a lane into a market with max_delivery_days has no days")
    labels = pd.MultiIndex.from_product(
        [list(d.markets), range(d.months)], names=["market", "month"]
    )
    rows = outs.market[into] * d.months + outs.month[into]
    days = LinearTerms(labels, (terms(delivery, rows, into, outs.days[into]),))
    units = LinearTerms(labels, (terms(delivery, rows, into, 1.0),))
    cap = pd.Series(np.repeat(target, d.months), index=labels)[np.repeat(targeted, d.months)]
    average_rate_cap(s, "delivery_time", days, units, cap, doc="sum (days - T_j) x <= 0")


def add_cover_stock(
    s: pyo.Block,
    d: NetworkData,
    stock: VarFamily,
    releases: list[Terms],
    stocked: np.ndarray,
) -> None:
    """Weeks of cover at the stocking warehouses, as routing's ``cover_stock``: a stocked
    SKU's month-end stock covers ``c`` months of the month's releases, every month but the
    last (``releases``: what leaves the stock, on the warehouse x SKU x month grid).

    .. math:: c \\sum_{r \\in R_b} x_{rkt} - I_{bkt} \\le 0 \\qquad \\forall (b, k)
        \\text{ stocked},\\ t < |T|, \\quad c = 7\\,\\text{cover\\_weeks} / 30.4
    """
    cover = months_of_cover(d)
    if cover <= 0 or d.months < 2 or not releases:
        return
    rows = np.repeat(stocked.ravel(), d.months) & np.tile(
        np.arange(d.months) < d.months - 1, stocked.size
    )
    scaled = tuple(terms(p.family, p.row, p.position, p.coef * cover) for p in releases)
    usage = LinearTerms(stock.labels, scaled) - stock
    capacity_if_open(
        s, "cover_stock", usage, pd.Series(0.0, index=stock.labels[rows]), doc="c x - I <= 0"
    )


def add_scenario_supplier_capacity(
    s: pyo.Block,
    d: NetworkData,
    delivery: VarFamily,
    outs: Outlets,
    purchase: VarFamily,
    use_supplier: VarFamily,
    bought: LinearTerms | None,
) -> None:
    """A supplier's capacity over the horizon holds, in each scenario, its firm purchases,
    the units it sells under flexible terms (``bought``) and the units it ships per order
    (9610 or postal), and only if qualified; written for the suppliers with terms or
    per-order lanes (the first stage's ``supplier_capacity`` covers the others).

    .. math:: \\sum_k q_{ik} + \\sum_{c \\in C_i, t} b_{ct}
        + \\sum_{l \\text{ from } i} x_{lkt} \\le C_i w_i
    """
    direct = outs.where(origin_kind="supplier")
    suppliers = pd.Index(list(d.suppliers), name="supplier")
    usage = purchase.sum(by="supplier")
    rows = set(outs.origin[direct].tolist())
    if len(direct):
        usage = usage + LinearTerms(suppliers, (terms(delivery, outs.origin[direct], direct, 1.0),))
    if bought is not None:
        usage = usage + bought
        rows |= {d.suppliers.index(i) for i in bought.labels}
    if not rows:
        return
    rows = np.array(sorted(rows), np.int64)
    capacity_if_open(
        s,
        "supplier_capacity",
        usage,
        pd.Series(np.asarray(d.supplier_capacity, float)[rows], index=suppliers[rows]),
        use_supplier,
        doc="sum_k q_ik + sum_ct b_ct + per-order units from i <= C_i w_i",
    )


def service_levels(d: NetworkData, outs: Outlets, delivered: np.ndarray) -> dict:
    """Fill rate (units delivered / demand) and average delivery days over the units
    delivered, of the expected plan: ``delivered`` (scenarios x outlet keys) weighted by the
    scenario probabilities (delivered + lost = demand, so 1 - fill rate is the lost share). Days are
    None when some lane used has no days (``lane_days`` not given) or nothing is delivered."""
    p = np.asarray(d.probabilities, float)
    units = p @ np.clip(np.asarray(delivered, float).reshape(len(p), -1), 0.0, None)
    demand = float(p @ np.asarray(d.demand, float).reshape(len(p), -1).sum(axis=1))
    served = float(units.sum())
    used = units > 1e-9
    known = served > 0 and not np.isnan(outs.days[used]).any()
    return {
        "fill_rate": served / demand if demand > 0 else None,
        "average_delivery_days": float(outs.days[used] @ units[used]) / served if known else None,
    }
