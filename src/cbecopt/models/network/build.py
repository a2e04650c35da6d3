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
from cbecopt.models.network.data import NetworkData
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
    (``first_mile``/``inbound``), origin kind and index, destination index, cost and lead."""

    keys: tuple[tuple[str, str, int], ...]
    role: np.ndarray
    origin_kind: np.ndarray
    origin: np.ndarray
    destination: np.ndarray
    sku: np.ndarray
    month: np.ndarray
    cost: np.ndarray
    lead: np.ndarray


def shipment_keys(d: NetworkData) -> Shipments:
    """One shipment per lane, SKU the origin can ship (a supplier: its offers) and month whose
    arrival falls within the horizon."""
    offered = {(i, k) for i, k in d.offers}
    rows = []
    for n, (i, w, cost, lead) in enumerate(d.first_mile):
        rows += [("first_mile", "supplier", i, w, cost, lead, f"fm{n}")]
    for n, (kind, o, bb, cost, lead) in enumerate(d.inbound):
        handling = d.overseas_handling[o] if kind == "overseas" else 0.0
        rows += [("inbound", kind, o, bb, cost + handling, lead, f"in{n}")]
    out = []
    for role, kind, o, dest, cost, lead, lane in rows:
        for k in range(len(d.skus)):
            if kind == "supplier" and (o, k) not in offered:
                continue
            for t in range(d.months - int(lead)):
                # half a month of holding on arrival: the average stock of the month
                arrival = cost + d.holding[k] / 2.0
                out.append((role, kind, o, dest, k, t, arrival, int(lead), lane))
    cols = list(zip(*out, strict=True)) if out else [()] * 9
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
    )


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

    def build_first_stage(self, b: pyo.Block) -> NetworkFirstStage:
        d = self.data
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
        purchase = _var(b, "purchase", offer_labels, doc="q_o: units bought")
        seg_q = _var(b, "segment_quantity", segment_labels, doc="y_or: units at segment r")
        seg_used = _var(b, "segment_used", segment_labels, BINARY, "z_or: segment prices")
        open_ = _var(b, "open", overseas, BINARY, "y_w: overseas warehouse open")
        use_wh = _var(b, "use_warehouse", bonded, BINARY, "u_b: bonded warehouse used")
        shipment = add_var_family(
            b,
            "shipment",
            list(ships.keys),
            labels=pd.MultiIndex.from_tuples(list(ships.keys), names=["lane", "sku", "month"]),
            doc="f_lkt: units shipped on a first-stage lane in month t",
        )
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
        add_family(b, "purchase_link", purchase - shipped == 0.0, doc="q_o = sum f out of i")
        big = float(np.sum(d.supplier_capacity))
        into_w = np.flatnonzero(ships.role == "first_mile")
        use_only_if_open(
            b,
            "open_linking",
            _lin(overseas, terms(shipment, ships.destination[into_w], into_w, 1.0)),
            open_,
            pd.Series(big, index=overseas),
            doc="sum f into w <= M y_w",
        )
        into_b = np.flatnonzero(ships.role == "inbound")
        use_only_if_open(
            b,
            "listing_open",
            _lin(bonded, terms(shipment, ships.destination[into_b], into_b, 1.0)),
            use_wh,
            pd.Series(big, index=bonded),
            doc="sum f into b <= M u_b",
        )
        cost = (
            *fixed_cost_if_used(use_supplier, pd.Series(d.supplier_fixed, index=supplier_labels)),
            *fixed_cost_if_used(open_, pd.Series(d.overseas_fixed, index=overseas)),
            *fixed_cost_if_used(use_wh, pd.Series(d.bonded_fixed, index=bonded)),
            *(pd.Series(seg_price, index=segment_labels) * seg_q).parts,
            *(pd.Series(ships.cost, index=shipment.labels) * shipment).parts,
            *supply.cost,
        )
        families = (use_supplier, use_offer, purchase, seg_q, seg_used, open_, use_wh, shipment)
        families += supply.families
        by_name = {f.component.local_name: f for f in families}
        by_name["ships"] = ships
        return NetworkFirstStage(families, tuple(p for p in cost if len(p.coef)), by_name)

    def build_second_stage(
        self, s: pyo.Block, demand: np.ndarray, first: NetworkFirstStage
    ) -> tuple[Terms, ...]:
        """One scenario's recourse: stock, deliveries on release and parcel lanes, lost sales."""
        d = self.data
        ships: Shipments = first.by_name["ships"]
        shipment: VarFamily = first.by_name["shipment"]
        nW, nB, nJ, nK, nT = len(d.overseas), len(d.bonded), len(d.markets), len(d.skus), d.months
        months = range(nT)
        w_grid = _grid(["warehouse", "sku", "month"], d.overseas, d.skus, months)
        b_grid = _grid(["bonded", "sku", "month"], d.bonded, d.skus, months)
        j_grid = _grid(["market", "sku", "month"], d.markets, d.skus, months)
        lanes = [("release", b, j, c, tax) for b, j, c, tax in d.release]
        lanes += [("parcel", w, j, c, tax) for w, j, c, tax in d.parcel]
        keys = [(n, k, t) for n in range(len(lanes)) for k in range(nK) for t in range(nT)]
        lane_of = np.array([key[0] for key in keys], np.int64)
        sku = np.array([key[1] for key in keys], np.int64)
        month = np.array([key[2] for key in keys], np.int64)
        role = np.array([lanes[n][0] for n in lane_of], dtype=object)
        origin = np.array([lanes[n][1] for n in lane_of], np.int64)
        market = np.array([lanes[n][2] for n in lane_of], np.int64)
        delivery_labels = pd.MultiIndex.from_tuples(keys, names=["lane", "sku", "month"])
        ostock = add_var_family(s, "overseas_stock", list(w_grid), labels=w_grid, doc="I_wkt")
        bstock = add_var_family(s, "bonded_stock", list(b_grid), labels=b_grid, doc="I_bkt")
        delivery = add_var_family(
            s, "delivery", keys, labels=delivery_labels, doc="x_lkt: units delivered"
        )
        lost = add_var_family(s, "lost", list(j_grid), labels=j_grid, doc="z_jkt: demand lost")
        recourse = add_supply_recourse(s, d, first.by_name)
        arrive = ships.month + ships.lead
        fm = np.flatnonzero(ships.role == "first_mile")
        from_w = np.flatnonzero(ships.origin_kind == "overseas")
        parcel = np.flatnonzero(role == "parcel")
        sizes_w = (nW, nK, nT)
        stock_balance(
            s,
            "overseas_stock_balance",
            ostock,
            _lin(
                w_grid,
                terms(
                    shipment,
                    _flat(sizes_w, ships.destination[fm], ships.sku[fm], arrive[fm]),
                    fm,
                    1.0,
                ),
                *recourse.overseas_arrivals,
            ),
            _lin(
                w_grid,
                terms(
                    shipment,
                    _flat(sizes_w, ships.origin[from_w], ships.sku[from_w], ships.month[from_w]),
                    from_w,
                    1.0,
                ),
                terms(
                    delivery,
                    _flat(sizes_w, origin[parcel], sku[parcel], month[parcel]),
                    parcel,
                    1.0,
                ),
            ),
            period="month",
            doc="I_wkt = I_wk,t-1 + arrivals - departures",
        )
        sizes_b = (nB, nK, nT)
        inb = np.flatnonzero(ships.role == "inbound")
        rel = np.flatnonzero(role == "release")
        stock_balance(
            s,
            "warehouse_stock_balance",
            bstock,
            _lin(
                b_grid,
                terms(
                    shipment,
                    _flat(sizes_b, ships.destination[inb], ships.sku[inb], arrive[inb]),
                    inb,
                    1.0,
                ),
                *recourse.bonded_arrivals,
            ),
            _lin(
                b_grid, terms(delivery, _flat(sizes_b, origin[rel], sku[rel], month[rel]), rel, 1.0)
            ),
            period="month",
            doc="I_bkt = I_bk,t-1 + arrivals - releases",
        )
        wt = _grid(["warehouse", "month"], d.overseas, months)
        capacity_if_open(
            s,
            "warehouse_capacity",
            _lin(
                wt,
                terms(
                    shipment,
                    _flat((nW, nT), ships.origin[from_w], ships.month[from_w]),
                    from_w,
                    1.0,
                ),
                terms(delivery, _flat((nW, nT), origin[parcel], month[parcel]), parcel, 1.0),
            ),
            pd.Series(np.repeat(d.overseas_capacity, nT), index=wt),
            first.by_name["open"] if nW else None,
            doc="units shipped out of w in month t <= S_w y_w",
        )
        supplied = _lin(
            j_grid,
            terms(delivery, _flat((nJ, nK, nT), market, sku, month), np.arange(len(keys)), 1.0),
        )
        demand_satisfaction(
            s,
            "demand_served",
            supplied,
            pd.Series(np.ravel(demand), index=j_grid),
            lost=lost,
            doc="sum x + z = D",
        )
        lane_cost = np.array([lanes[n][3] for n in lane_of], float)
        tax = np.array([lanes[n][4] for n in lane_of], float) * d.retail_price[sku]
        handling = np.where(
            role == "release",
            d.bonded_handling[np.where(role == "release", origin, 0)] if nB else 0.0,
            d.overseas_handling[np.where(role == "parcel", origin, 0)] if nW else 0.0,
        )
        return tuple(
            p
            for p in (
                *(pd.Series(lane_cost + tax + handling, index=delivery_labels) * delivery).parts,
                *(pd.Series(_holding(d.holding, nW, nT), index=w_grid) * ostock).parts,
                *(pd.Series(_holding(d.holding, nB, nT), index=b_grid) * bstock).parts,
                *(pd.Series(_per_sku(d.lost_penalty, nJ, nT), index=j_grid) * lost).parts,
                *recourse.cost,
            )
            if len(p.coef)
        )


def _per_sku(values: np.ndarray, nodes: int, months: int) -> np.ndarray:
    """A per-SKU value over a node x SKU x month grid, in its row order."""
    return np.tile(np.repeat(values, months), nodes)


def _holding(holding: np.ndarray, nodes: int, months: int) -> np.ndarray:
    """Holding per unit of month-end stock over a node x SKU x month grid: the month's
    average stock is (opening + arrivals + closing) / 2, so a month-end stock is paid half as
    the closing of its month and half as the opening of the next (only half in the last
    month); arrivals pay their half with the shipment."""
    last = np.tile(np.arange(months) == months - 1, nodes * len(holding))
    return _per_sku(holding, nodes, months) * np.where(last, 0.5, 1.0)


def _var(b: pyo.Block, name: str, labels: pd.Index, domain=pyo.NonNegativeReals, doc=""):
    return add_var_family(b, name, list(labels), domain=domain, labels=labels, doc=doc)


def solve_network(
    data: NetworkData, risk: RiskOptions | None = None, options: SolveOptions | None = None
) -> tuple[ExtensiveForm, SolverOutcome]:
    """Build the extensive form over the data's scenarios and solve it with HiGHS."""
    problem = NetworkProblem(data)
    form = build_extensive_form(problem, problem.scenarios(), risk)
    return form, solve_compiled(form.compile(), options or SolveOptions())
