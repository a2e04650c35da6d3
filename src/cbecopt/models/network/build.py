"""The ``network`` model's two-stage build (formulation in ``models/network.md``).

First stage on ``m.network``: qualify suppliers, buy from offers with all-units discounts,
open overseas warehouses, use bonded warehouses, and ship by month on first-mile and
bulk-inbound lanes. Each scenario ``m.network.scenario[s]``: stock at every warehouse,
deliveries on release and 9610 parcel lanes, lost sales. Every row is a shared family of
:mod:`cbecopt.families` or an own family under the name the document gives it; rows that
follow lanes by position (arrivals a lead time later) are written with :func:`terms`. The
supply side (price segments, supplier policy, flexible contract terms and the recourse
shipments of what they buy) is added by :mod:`cbecopt.models.network.supply`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.families import (
    capacity_if_open,
    demand_satisfaction,
    fixed_cost_if_used,
    minimum_quantity_if_used,
    stock_balance,
    use_only_if_open,
)
from cbecopt.highs import SolveOptions, SolverOutcome, solve_compiled
from cbecopt.labelled import LinearTerms, Terms, VarFamily, add_family, add_var_family, terms
from cbecopt.models.network.bounds import useful_units, with_useful_bounds
from cbecopt.models.network.channels import (
    Outlets,
    add_cover_stock,
    add_delivery_time,
    add_platform_served,
    add_scenario_supplier_capacity,
    add_volume,
    add_wait_share,
    lane_per_kg,
    may_enter,
    outlet_keys,
    per_node_month,
    platform_rows,
    reachable_overseas,
    service_levels,
    sku_weight,
    warehouse_kinds,
)
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.in_motion import fix_in_motion, stocked_warehouses
from cbecopt.models.network.packs import add_whole_cases, unit_domain
from cbecopt.models.network.platforms import expected_platform_demand
from cbecopt.models.network.speed import add_service_levels
from cbecopt.models.network.supply import add_supply_first_stage, add_supply_recourse
from cbecopt.stochastic.twostage import (
    DemandScenarios,
    ExtensiveForm,
    FirstStage,
    RiskOptions,
    build_extensive_form,
)

BINARY = pyo.Binary


@dataclass(frozen=True)
class Shipments:
    """The first-stage shipment keys ``(lane, sku, month)`` and, per key, its lane's role
    (``first_mile``/``inbound``), origin kind and index, destination index, cost, lead and
    transport mode (blank where the data give none: :attr:`NetworkData.lane_modes`)."""

    keys: tuple[tuple[str, str, int], ...]
    role: np.ndarray
    origin_kind: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    sku: np.ndarray
    month: np.ndarray
    cost: np.ndarray
    lead: np.ndarray
    mode: np.ndarray


def shipment_keys(d: NetworkData) -> Shipments:
    """One shipment per lane, SKU the origin can ship (a supplier: its offers) and the
    destination may take (:func:`may_enter`: bonded or general-trade positive list) and month
    whose arrival falls within the horizon."""
    offered = {(i, k) for i, k in d.offers}
    enters = may_enter(d)
    reach = reachable_overseas(d)
    modes = d.lane_modes or {}
    rows = []
    for n, (i, w, cost, lead) in enumerate(d.first_mile):
        rows += [
            ("first_mile", "supplier", i, w, cost, lead, f"fm{n}", lane_per_kg(d, "first_mile", n))
        ]
    for n, (kind, o, bb, cost, lead) in enumerate(d.inbound):
        handling = d.overseas_handling[o] if kind == "overseas" else 0.0
        rows += [
            ("inbound", kind, o, bb, cost + handling, lead, f"in{n}", lane_per_kg(d, "inbound", n))
        ]
    lane_mode = [*modes.get("first_mile", ("",) * len(d.first_mile))]
    lane_mode += modes.get("inbound", ("",) * len(d.inbound))
    weight = sku_weight(d)
    out = []
    for (role, kind, o, dest, per_unit, lead, lane, per_kg), mode in zip(
        rows, lane_mode, strict=True
    ):
        for k in range(len(d.skus)):
            cost = per_unit + per_kg * weight[k]
            if kind == "supplier" and (o, k) not in offered:
                continue
            if kind == "overseas" and not reach[o, k]:
                continue
            if role == "inbound" and not enters[dest, k]:
                continue
            for t in range(d.months - int(lead)):
                # half a month of holding on arrival: the average stock of the month
                arrival = cost + d.holding[k] / 2.0
                out.append((role, kind, o, dest, k, t, arrival, int(lead), lane, mode))
    cols = list(zip(*out, strict=True)) if out else [()] * 10
    return Shipments(
        keys=tuple((r[8], d.skus[r[4]], r[5]) for r in out),
        role=np.array(cols[0], dtype=object),
        origin_kind=np.array(cols[1], dtype=object),
        origin=np.array(cols[2], dtype=np.int64),
        destination=np.array(cols[3], dtype=np.int64),
        sku=np.array(cols[4], dtype=np.int64),
        month=np.array(cols[5], dtype=np.int64),
        cost=np.array(cols[6], dtype=float),
        lead=np.array(cols[7], dtype=np.int64),
        mode=np.array(cols[9], dtype=object),
    )


def stocked_pairs(d: NetworkData, ships: Shipments) -> np.ndarray:
    """Stocking warehouses x SKUs: some bulk-inbound lane may bring the SKU in, or goods
    already in motion are there (the pairs that may be listed, stocked and released)."""
    stocked = stocked_warehouses(d)
    into = ships.role == "inbound"
    stocked[ships.destination[into], ships.sku[into]] = True
    return stocked


def _add_listing(
    b: pyo.Block,
    d: NetworkData,
    ships: Shipments,
    shipment: VarFamily,
    use_wh: VarFamily,
    stocked: np.ndarray,
    useful: np.ndarray,
) -> tuple[VarFamily, pd.Series]:
    """``listed`` per stocked (warehouse, SKU), as routing's: listed only at a warehouse in
    use (``listing_open``), shipped in only if listed (``listing_link``, bounded by what the
    suppliers offering the SKU can sell over the horizon). Returns the family and its cost,
    ``listing_cost`` at a bonded warehouse, none at a domestic one (as routing)."""
    where, sku = np.nonzero(stocked)
    labels = pd.MultiIndex.from_arrays(
        [[d.bonded[w] for w in where], [d.skus[k] for k in sku]], names=["bonded", "sku"]
    )
    listed = _var(b, "listed", labels, BINARY, "a_bk: SKU k listed (filed) at b")
    use_only_if_open(b, "listing_open", listed, use_wh, doc="a_bk <= u_b")
    pair = np.full(stocked.shape, -1, np.int64)
    pair[where, sku] = np.arange(len(where))
    into = np.flatnonzero(ships.role == "inbound")
    sellable = np.zeros(len(d.skus))
    for i, k in d.offers:
        sellable[k] += d.supplier_capacity[i]
    sellable = np.minimum(sellable, useful)
    use_only_if_open(
        b,
        "listing_link",
        _lin(labels, terms(shipment, pair[ships.destination[into], ships.sku[into]], into, 1.0)),
        listed,
        pd.Series(sellable[sku], index=labels),
        doc="sum f of k into b <= M_k a_bk",
    )
    per_sku = np.zeros(len(d.skus)) if d.listing_cost is None else np.asarray(d.listing_cost)
    bonded_kind = np.array([kind == "bonded" for kind in warehouse_kinds(d)], bool)
    cost = np.where(bonded_kind[where], per_sku[sku], 0.0) if len(where) else np.zeros(0)
    return listed, pd.Series(cost, index=labels)


def _grid(names: list[str], *values) -> pd.MultiIndex:
    """Every combination of ``values`` (labels per column), in product order: position
    ``(a, b, c)`` is row ``ravel_multi_index`` of it (:func:`_flat`)."""
    return pd.MultiIndex.from_product([list(v) for v in values], names=names)


def _flat(sizes: tuple[int, ...], *codes: np.ndarray) -> np.ndarray:
    """Row positions in a ``_grid`` of ``sizes`` for the coordinate arrays ``codes``."""
    return np.ravel_multi_index(tuple(np.asarray(c, np.int64) for c in codes), sizes)


def _lin(labels: pd.Index, *parts: Terms) -> LinearTerms:
    return LinearTerms(labels, tuple(p for p in parts if len(p.coef)))


@dataclass(frozen=True)
class NetworkFirstStage(FirstStage):
    """The first stage with its families by name, for the scenarios and the tests."""

    by_name: dict


@dataclass(frozen=True)
class NetworkProblem(DemandScenarios):
    """The ``network`` model as a two-stage problem (:mod:`cbecopt.stochastic.twostage`)."""

    data: NetworkData
    key: str = "network"
    name: str = "network"

    def scenarios(self) -> list[tuple[str, float, np.ndarray]]:
        """Each scenario's demand, per market x platform x SKU x month when the data give
        platforms (the model needs each platform's part), else per market x SKU x month."""
        d = self.data
        if d.platform_demand is None:
            return super().scenarios()
        return [
            (n, float(p), d.platform_demand[s])
            for s, (n, p) in enumerate(zip(d.scenario_names, d.probabilities, strict=True))
        ]

    def expected_scenario(self) -> np.ndarray:
        """The probability-weighted demand, per platform when the data give platforms."""
        d = self.data
        if d.platform_demand is None:
            return super().expected_scenario()
        return expected_platform_demand(d)

    def build_first_stage(self, b: pyo.Block) -> NetworkFirstStage:
        useful = useful_units(self.data)
        d = with_useful_bounds(self.data, useful)
        supplier_labels = pd.Index(list(d.suppliers), name="supplier")
        offer_labels = pd.MultiIndex.from_tuples(
            [(d.suppliers[i], d.skus[k]) for i, k in d.offers], names=["supplier", "sku"]
        )
        segment_labels = pd.MultiIndex.from_tuples(
            [(*offer_labels[o], r) for r, (o, *_) in enumerate(d.segments)],
            names=["supplier", "sku", "segment"],
        )
        overseas = pd.Index(list(d.overseas), name="warehouse")
        bonded = pd.Index(list(d.bonded), name="bonded")
        ships = shipment_keys(d)
        use_supplier = _var(b, "use_supplier", supplier_labels, BINARY, "w_i: supplier qualified")
        use_offer = _var(b, "use_offer", offer_labels, BINARY, "u_o: offer used")
        units = unit_domain(d)
        purchase = _var(b, "purchase", offer_labels, units, "q_o: units bought")
        seg_q = _var(b, "segment_quantity", segment_labels, units, "y_or: units at segment r")
        seg_used = _var(b, "segment_used", segment_labels, BINARY, "z_or: segment prices")
        open_ = _var(b, "open", overseas, BINARY, "y_w: overseas warehouse open")
        use_wh = _var(b, "use_warehouse", bonded, BINARY, "u_b: bonded warehouse used")
        shipment = add_var_family(
            b,
            "shipment",
            list(ships.keys),
            domain=units,
            labels=pd.MultiIndex.from_tuples(list(ships.keys), names=["lane", "sku", "month"]),
            doc="f_lkt: units shipped on a first-stage lane in month t",
        )
        add_whole_cases(b, d, ships, purchase, shipment)
        use_only_if_open(b, "offer_if_qualified", use_offer, use_supplier, doc="u_o <= w_i")
        seg_price = np.array([s[3] for s in d.segments], float)
        supply = add_supply_first_stage(b, d, use_supplier, use_offer, purchase, seg_q, seg_used)
        add_family(
            b,
            "segment_link",
            purchase - seg_q.sum(by=["supplier", "sku"]) == 0.0,
            doc="q_o = sum_r y_or",
        )
        positive = d.min_order > 0
        minimum_quantity_if_used(
            b,
            "min_order",
            purchase,
            use_offer,
            pd.Series(d.min_order[positive], index=offer_labels[positive]),
            doc="q_o >= m_o u_o",
        )
        capacity_if_open(
            b,
            "supplier_capacity",
            purchase.sum(by="supplier"),
            pd.Series(d.supplier_capacity, index=supplier_labels),
            use_supplier,
            doc="sum_k q_ik <= C_i w_i",
        )
        # purchase_link: what is bought of (i, k) is what leaves i on first-stage lanes.
        from_supplier = np.flatnonzero(ships.origin_kind == "supplier")
        offer_pos = {o: n for n, o in enumerate(d.offers)}
        rows = np.array(
            [offer_pos[(ships.origin[n], ships.sku[n])] for n in from_supplier], np.int64
        )
        shipped = _lin(offer_labels, terms(shipment, rows, from_supplier, 1.0))
        placed = (
            d.in_motion.placed_units(offer_labels)
            if d.in_motion is not None
            else pd.Series(0.0, index=offer_labels)
        )
        add_family(
            b, "purchase_link", shipped - purchase <= placed, doc="sum f out of i <= q_o + P_o"
        )
        into_w = np.flatnonzero(ships.role == "first_mile")
        pairs = pd.MultiIndex.from_product([overseas, d.skus], names=["warehouse", "sku"])
        received = np.unique(ships.destination[into_w] * len(d.skus) + ships.sku[into_w])
        use_only_if_open(
            b,
            "open_linking",
            _lin(
                pairs[received],
                terms(
                    shipment,
                    np.searchsorted(
                        received, ships.destination[into_w] * len(d.skus) + ships.sku[into_w]
                    ),
                    into_w,
                    1.0,
                ),
            ),
            open_,
            pd.Series(useful[received % max(len(d.skus), 1)], index=pairs[received]),
            doc="sum_t f of k into w <= U_k y_w",
        )
        stocked = stocked_pairs(d, ships)
        listed, listing_cost = _add_listing(b, d, ships, shipment, use_wh, stocked, useful)
        cost = (
            *fixed_cost_if_used(use_supplier, pd.Series(d.supplier_fixed, index=supplier_labels)),
            *fixed_cost_if_used(open_, pd.Series(d.overseas_fixed, index=overseas)),
            *fixed_cost_if_used(use_wh, pd.Series(d.bonded_fixed, index=bonded)),
            *fixed_cost_if_used(listed, listing_cost),
            *(pd.Series(seg_price, index=segment_labels) * seg_q).parts,
            *(pd.Series(ships.cost, index=shipment.labels) * shipment).parts,
            *supply.cost,
        )
        families = (
            use_supplier,
            use_offer,
            purchase,
            seg_q,
            seg_used,
            open_,
            use_wh,
            listed,
            shipment,
        )
        families += supply.families
        by_name = {f.component.local_name: f for f in families}
        fix_in_motion(d, by_name)
        by_name["ships"] = ships
        by_name["stocked"] = stocked
        by_name["outlets"] = outlet_keys(self.data, stocked)
        by_name["platform_rows"] = platform_rows(self.data, by_name["outlets"])
        return NetworkFirstStage(families, tuple(p for p in cost if len(p.coef)), by_name)

    def build_second_stage(
        self, s: pyo.Block, demand: np.ndarray, first: NetworkFirstStage
    ) -> tuple[Terms, ...]:
        """One scenario's recourse: stock at every warehouse, deliveries on release, parcel,
        supplier-parcel and postal lanes (:mod:`cbecopt.models.network.channels`), lost sales."""
        d = self.data
        by_platform = None
        if d.platform_demand is not None:  # :meth:`scenarios` hands out demand per platform
            by_platform = np.asarray(demand, float)
            if by_platform.ndim != 4:
                raise ValueError("a scenario of a network with platforms needs demand per platform")
            demand = by_platform.sum(axis=1)
        ships: Shipments = first.by_name["ships"]
        shipment: VarFamily = first.by_name["shipment"]
        stocked: np.ndarray = first.by_name["stocked"]
        outs: Outlets = first.by_name["outlets"]
        nW, nB, nJ, nK, nT = len(d.overseas), len(d.bonded), len(d.markets), len(d.skus), d.months
        months = range(nT)
        w_grid = _grid(["warehouse", "sku", "month"], d.overseas, d.skus, months)
        b_grid = _grid(["bonded", "sku", "month"], d.bonded, d.skus, months)
        j_grid = _grid(["market", "sku", "month"], d.markets, d.skus, months)
        ostock = add_var_family(s, "overseas_stock", list(w_grid), labels=w_grid, doc="I_wkt")
        bstock = add_var_family(s, "bonded_stock", list(b_grid), labels=b_grid, doc="I_bkt")
        delivery = add_var_family(
            s,
            "delivery",
            list(outs.keys),
            domain=unit_domain(d),
            labels=pd.MultiIndex.from_tuples(list(outs.keys), names=["lane", "sku", "month"]),
            doc="x_lkt: units delivered",
        )
        lost = add_var_family(s, "lost", list(j_grid), labels=j_grid, doc="z_jkt: demand lost")
        recourse = add_supply_recourse(s, d, first.by_name)
        sizes_w, sizes_b = (nW, nK, nT), (nB, nK, nT)
        w_out = _departures(ships, shipment, outs, delivery, "overseas", sizes_w)
        b_out = _departures(ships, shipment, outs, delivery, "bonded", sizes_b)
        stock_balance(
            s,
            "overseas_stock_balance",
            ostock,
            _lin(
                w_grid,
                _arrivals(ships, shipment, "first_mile", sizes_w),
                *recourse.overseas_arrivals,
            ),
            _lin(w_grid, *w_out),
            period="month",
            doc="I_wkt = I_wk,t-1 + arrivals + known arrivals - departures",
            known=_known(d, "overseas", w_grid),
        )
        stock_balance(
            s,
            "warehouse_stock_balance",
            bstock,
            _lin(
                b_grid,
                _arrivals(ships, shipment, "inbound", sizes_b),
                *recourse.bonded_arrivals,
            ),
            _lin(b_grid, *b_out),
            period="month",
            doc="I_bkt = I_bk,t-1 + arrivals + known arrivals - releases",
            known=_known(d, "bonded", b_grid),
        )
        wt = _grid(["warehouse", "month"], d.overseas, months)
        capacity_if_open(
            s,
            "warehouse_capacity",
            _lin(wt, *per_node_month(w_out, sizes_w, np.ones(nK))),
            pd.Series(np.repeat(d.overseas_capacity, nT), index=wt),
            first.by_name["open"] if nW else None,
            doc="units shipped out of w in month t <= S_w y_w",
        )
        served = _lin(
            j_grid,
            terms(
                delivery,
                _flat((nJ, nK, nT), outs.market, outs.sku, outs.month),
                np.arange(len(outs.keys)),
                outs.demand_used,
            ),
        )
        demand_served = pd.Series(np.ravel(demand), index=j_grid)
        demand_satisfaction(
            s, "demand_served", served, demand_served, lost=lost, doc="sum x + z = D"
        )
        add_wait_share(s, d, delivery, outs, demand_served)
        add_platform_served(s, d, delivery, first.by_name["platform_rows"], by_platform)
        add_delivery_time(s, d, delivery, outs)
        add_service_levels(s, d.speed, delivery, outs, demand_served, d.markets)
        add_volume(
            s,
            "overseas_volume",
            [*ostock.terms().parts, *w_out],
            wt,
            d.overseas_volume_capacity,
            d.volume,
            first.by_name["open"],
            nT,
        )
        add_volume(
            s,
            "bonded_volume",
            [*bstock.terms().parts, *b_out],
            _grid(["bonded", "month"], d.bonded, months),
            d.bonded_volume_capacity,
            d.volume,
            first.by_name["use_warehouse"],
            nT,
        )
        add_cover_stock(s, d, bstock, b_out, stocked)
        add_scenario_supplier_capacity(
            s,
            d,
            delivery,
            outs,
            first.by_name["purchase"],
            first.by_name["use_supplier"],
            recourse.bought,
        )
        return tuple(
            p
            for p in (
                *(pd.Series(outs.cost, index=delivery.labels) * delivery).parts,
                *(pd.Series(_holding(d, nW, nT), index=w_grid) * ostock).parts,
                *(pd.Series(_holding(d, nB, nT), index=b_grid) * bstock).parts,
                *(pd.Series(_per_sku(d.lost_penalty, nJ, nT), index=j_grid) * lost).parts,
                *recourse.cost,
            )
            if len(p.coef)
        )


def _known(d: NetworkData, kind: str, grid: pd.MultiIndex) -> pd.Series | None:
    """Arrivals known before the plan (opening stock, goods on their way) on a stock grid."""
    return None if d.in_motion is None else d.in_motion.known_arrivals(kind, grid)


def _arrivals(ships: Shipments, shipment: VarFamily, role: str, sizes: tuple) -> Terms:
    """Shipments of ``role`` arriving at their destination's stock, on its grid."""
    n = np.flatnonzero(ships.role == role)
    arrive = ships.month[n] + ships.lead[n]
    return terms(shipment, _flat(sizes, ships.destination[n], ships.sku[n], arrive), n, 1.0)


def _departures(
    ships: Shipments,
    shipment: VarFamily,
    outs: Outlets,
    delivery: VarFamily,
    kind: str,
    sizes: tuple,
) -> list[Terms]:
    """What leaves the stock of warehouses of ``kind`` (``overseas``: bulk shipments and
    parcels; ``bonded``: releases), on their grid, deliveries first."""
    parts = []
    out = outs.where(origin_kind=kind)
    if len(out):
        rows = _flat(sizes, outs.origin[out], outs.sku[out], outs.month[out])
        parts.append(terms(delivery, rows, out, 1.0))
    n = np.flatnonzero(ships.origin_kind == kind)
    if len(n):
        parts.append(
            terms(shipment, _flat(sizes, ships.origin[n], ships.sku[n], ships.month[n]), n, 1.0)
        )
    return parts


def service_kpis(problem: NetworkProblem, form: ExtensiveForm, values: np.ndarray) -> dict:
    """Fill rate and average delivery days of a solved network
    (:func:`~cbecopt.models.network.channels.service_levels`), for the extract step."""
    d = problem.data
    outs = form.first.by_name["outlets"]
    delivered = [
        form.values_of(values, form.scenario_block(name).component("delivery"))
        for name in form.names
    ]
    return service_levels(d, outs, np.array(delivered).reshape(len(form.names), -1))


def _per_sku(values: np.ndarray, nodes: int, months: int) -> np.ndarray:
    """A per-SKU value over a node x SKU x month grid, in its row order."""
    return np.tile(np.repeat(values, months), nodes)


def _holding(d: NetworkData, nodes: int, months: int) -> np.ndarray:
    """Holding per unit of month-end stock over a node x SKU x month grid: the month's
    average stock is (opening + arrivals + closing) / 2, so a month-end stock is paid half as
    the closing of its month and half as the opening of the next (only half in the last
    month, less its ``salvage`` value); arrivals pay their half with the shipment."""
    last = np.tile(np.arange(months) == months - 1, nodes * len(d.skus))
    salvage = np.zeros(len(d.skus)) if d.salvage is None else np.asarray(d.salvage, float)
    per_unit = _per_sku(d.holding, nodes, months) * np.where(last, 0.5, 1.0)
    return per_unit - np.where(last, _per_sku(salvage, nodes, months), 0.0)


def _var(b: pyo.Block, name: str, labels: pd.Index, domain=pyo.NonNegativeReals, doc=""):
    return add_var_family(b, name, list(labels), domain=domain, labels=labels, doc=doc)


def solve_network(
    data: NetworkData, risk: RiskOptions | None = None, options: SolveOptions | None = None
) -> tuple[ExtensiveForm, SolverOutcome]:
    """Build the extensive form over the data's scenarios and solve it with HiGHS."""
    problem = NetworkProblem(data)
    form = build_extensive_form(problem, problem.scenarios(), risk)
    return form, solve_compiled(form.compile(), options or SolveOptions())
