"""The ``network`` model's supply side: price segments, supplier policy and flexible terms.

First stage (:func:`add_supply_first_stage`): all-units or incremental price segments, third-party
inspection with the expected counterfeit cost, the policy caps of ``suppliers``
(``counterfeit_cap``, ``late_cap``, ``brand_direct_share``), and the first-stage quantities of
the flexible contract terms of ``contracts`` (quantity-flexibility commitments and options
reserved, ``quantity``). Each scenario (:func:`add_supply_recourse`): units ``bought`` under
the terms by month, which leave their supplier on ``recourse_shipment`` (the first-stage
lanes out of suppliers) and arrive a lead time later in the same overseas and bonded stock
balances (:class:`RecourseSupply` holds those arrivals for the build to add). Every family
keeps the name it has in ``suppliers`` or ``contracts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.families import (
    average_rate_cap,
    capacity_if_open,
    minimum_quantity_if_used,
    use_only_if_open,
)
from cbecopt.labelled import LinearTerms, Terms, VarFamily, add_family, add_var_family, terms
from cbecopt.models.network.data import NetworkData
from cbecopt.models.suppliers.build import (
    add_all_units_rows,
    add_incremental_rows,
    expected_counterfeit,
)

COMMITTED = ("quantity_flexibility", "option")
"""Term types with a first-stage quantity (a firm order is the offer's price segments)."""
TERM_TYPES = (*COMMITTED, "spot")
TERM_KEY = ["supplier", "sku", "type"]


@dataclass(frozen=True)
class SupplyFirstStage:
    """What the supply side adds to the first stage: its variable families and cost."""

    families: tuple[VarFamily, ...]
    cost: tuple[Terms, ...]


@dataclass(frozen=True)
class RecourseSupply:
    """What the supply side adds to a scenario: its cost, and the arrivals of its recourse
    shipments as terms whose rows are positions in the overseas and bonded stock grids
    (warehouse x SKU x month, in that product order) for the stock balances."""

    overseas_arrivals: tuple[Terms, ...]
    bonded_arrivals: tuple[Terms, ...]
    cost: tuple[Terms, ...]
    bought: LinearTerms | None = None
    """Units bought under terms per supplier over the horizon, for the scenario's
    ``supplier_capacity`` (None without terms)."""


def add_supply_first_stage(
    b: pyo.Block,
    d: NetworkData,
    use_supplier: VarFamily,
    use_offer: VarFamily,
    purchase: VarFamily,
    segment_quantity: VarFamily,
    segment_used: VarFamily,
) -> SupplyFirstStage:
    """Add the price segments, the supplier policy and the terms' first-stage quantities;
    return their families and cost (counterfeit, inspection, option premiums)."""
    add_price_segments(b, d, use_offer, segment_quantity, segment_used)
    inspected, policy_cost = add_supplier_policy(b, d, purchase)
    families = (inspected,)
    cost = policy_cost
    if d.terms:
        quantity, premiums = add_term_commitments(b, d, use_supplier)
        families, cost = (*families, quantity), (*cost, *premiums)
    return SupplyFirstStage(families, tuple(p for p in cost if len(p.coef)))


def add_price_segments(
    b: pyo.Block,
    d: NetworkData,
    use_offer: VarFamily,
    segment_quantity: VarFamily,
    segment_used: VarFamily,
) -> None:
    """All-units or incremental discounts per offer, with the rows of ``suppliers``
    (:func:`~cbecopt.models.suppliers.build.add_all_units_rows`, ``add_incremental_rows``)."""
    labels = segment_quantity.labels
    offer = np.array([s[0] for s in d.segments], np.int64)
    low = np.array([s[1] for s in d.segments], float)
    high = np.array([s[2] for s in d.segments], float)
    kind = np.array(d.discount or ["all_units"] * len(d.offers), dtype=object)
    incremental = kind[offer] == "incremental" if len(offer) else np.zeros(0, bool)
    if (~incremental).any():
        all_units = ~incremental
        add_all_units_rows(
            b,
            use_offer,
            segment_quantity,
            segment_used,
            pd.Series(low[all_units], index=labels[all_units]),
            pd.Series(high[all_units], index=labels[all_units]),
        )
    if incremental.any():
        at = np.flatnonzero(incremental)
        follows = offer[at][1:] == offer[at][:-1]
        if np.any(follows & ((np.diff(at) != 1) | (low[at][1:] != high[at][:-1]))):
            raise ValueError("segments: an incremental offer's slices must follow each other")
        add_incremental_rows(
            b,
            use_offer,
            segment_quantity,
            segment_used,
            pd.Series(high[at] - low[at], index=labels[at]),
        )


def add_supplier_policy(
    b: pyo.Block, d: NetworkData, purchase: VarFamily
) -> tuple[VarFamily, tuple[Terms, ...]]:
    """Third-party inspection of firm purchases, and without terms the sourcing caps
    (:func:`add_policy_caps`); returns the ``inspected`` family and the cost of inspection and
    of expected counterfeit units.

    .. math:: i_o \\le q_o, \\qquad
        \\pi_k (r_o q_o - (r_o - r'_o) i_o) + c^{insp}_o i_o \\text{ in the cost}
    """
    offers = purchase.labels
    cost_per_unit, inspectable, rate, inspected_rate = _inspection(d)
    inspected = add_var_family(
        b,
        "inspected",
        list(offers[inspectable]),
        labels=offers[inspectable],
        doc="i_o: units of offer o inspected",
    )
    if len(inspectable):
        add_family(b, "inspection_limit", inspected <= purchase[inspected.labels], doc="i_o <= q_o")
    if not d.terms:
        add_policy_caps(b, d, purchase, inspected)
    penalty = d.counterfeit_penalty[[k for _, k in d.offers]]
    fakes = expected_counterfeit(
        purchase, inspected, penalty * rate, penalty[inspectable] * inspected_rate
    )
    cost = (*fakes.parts, *(inspected.keyed(cost_per_unit[inspectable]) * inspected).parts)
    return inspected, cost


def add_policy_caps(
    block: pyo.Block,
    d: NetworkData,
    purchase: VarFamily,
    inspected: VarFamily,
    bought: VarFamily | None = None,
    bought_offer: np.ndarray | None = None,
) -> None:
    """The sourcing caps of ``suppliers`` per SKU over the units bought: the firm purchases
    and, with flexible terms, a scenario's units ``bought`` (offer ``bought_offer`` of each,
    not inspected), so the caps hold in every scenario.

    .. math::
        \\sum_{o \\in O_k} (r_o q_o - (r_o - r'_o) i_o) + \\sum_{c \\in C_k, t} r_c b_{ct}
        \\le \\bar\\rho \\, U_k, \\qquad
        \\sum_o l_o q_o + \\sum_{c, t} l_c b_{ct} \\le \\bar\\lambda \\, U_k, \\qquad
        \\sum_{o \\in O^{brand}_k} q_o + \\sum_{c \\in C^{brand}_k, t} b_{ct} \\ge \\beta \\, U_k

    with :math:`U_k = \\sum_{o \\in O_k} q_o + \\sum_{c \\in C_k, t} b_{ct}`.
    """
    _, inspectable, rate, inspected_rate = _inspection(d)

    def per_sku(firm: LinearTerms, per_offer: np.ndarray) -> LinearTerms:
        if bought is None:
            return firm.sum(by="sku")
        return firm.sum(by="sku") + (bought.keyed(per_offer[bought_offer]) * bought).sum(by="sku")

    units = per_sku(purchase.terms(), np.ones(len(d.offers)))
    if d.counterfeit_cap < 1.0:
        average_rate_cap(
            block,
            "counterfeit_cap",
            per_sku(expected_counterfeit(purchase, inspected, rate, inspected_rate), rate),
            units,
            d.counterfeit_cap,
            doc="expected counterfeit units <= rho units bought, per SKU",
        )
    if d.max_late_rate < 1.0:
        late = _per_offer(d.late_rate, len(d.offers), 0.0)
        average_rate_cap(
            block,
            "late_cap",
            per_sku(purchase.keyed(late) * purchase, late),
            units,
            d.max_late_rate,
            doc="late rate <= cap",
        )
    if d.min_brand_direct_share > 0.0:
        brand = np.array([_kind(d, i) == "brand_direct" for i, _ in d.offers], float)
        average_rate_cap(
            block,
            "brand_direct_share",
            per_sku(purchase.keyed(brand) * purchase, brand),
            units,
            d.min_brand_direct_share,
            at_least=True,
            doc="brand-direct share >= beta",
        )


def add_term_commitments(
    b: pyo.Block, d: NetworkData, use_supplier: VarFamily
) -> tuple[VarFamily, tuple[Terms, ...]]:
    """The first-stage quantity of each quantity-flexibility and option term, bounded by the
    term's capacity, only with its supplier qualified; returns ``quantity`` and the option
    premiums.

    .. math:: Q_c \\le K_c / a_c, \\qquad Q_c \\le (\\min(K_c, C_i) / a_c) \\, w_i
    """
    t = _terms_table(d)
    committed = np.flatnonzero(np.isin(t.type, COMMITTED))
    labels = t.labels[committed]
    factor = np.where(t.type[committed] == "quantity_flexibility", 1.0 + t.flex_up[committed], 1.0)
    quantity = add_var_family(
        b,
        "quantity",
        list(labels),
        upper=t.capacity[committed] / factor,
        labels=labels,
        doc="Q_c: units committed (quantity flexibility) or reserved (option)",
    )
    if len(committed):
        supplier_capacity = d.supplier_capacity[t.supplier[committed]]
        use_only_if_open(
            b,
            "term_if_qualified",
            quantity,
            use_supplier,
            pd.Series(np.minimum(t.capacity[committed], supplier_capacity) / factor, index=labels),
            doc="Q_c <= M_c w_i",
        )
    option = t.type[committed] == "option"
    premium = pd.Series(t.premium[committed][option], index=labels[option])
    return quantity, (premium * quantity[labels[option]]).parts


NO_RECOURSE = RecourseSupply((), (), ())
"""A scenario's supply side without flexible terms: no purchases, arrivals or cost."""


def add_supply_recourse(s: pyo.Block, d: NetworkData, by_name: dict) -> RecourseSupply:
    """One scenario's purchases under the terms: ``bought`` by term and month within the
    bands the first stage set, shipped out of the supplier on ``recourse_shipment``, with the
    supplier's capacity shared with the firm purchases (nothing without terms). ``by_name``
    holds the first stage's families and its shipment keys (``ships``) by name.

    .. math::
        (1 - d_c) Q_c \\le \\sum_t b_{ct} \\le (1 + u_c) Q_c \\;(c \\in C^{qf}), \\quad
        \\sum_t b_{ct} \\le Q_c \\;(c \\in C^{opt}), \\quad
        \\sum_t b_{ct} \\le K_c \\;(c \\in C^{spot})

        \\sum_{c \\in C_{ik}} b_{ct} = \\sum_{l \\in L^{1}_i \\cup L^{in}_i} g_{lkt}, \\qquad
        \\sum_k q_{ik} + \\sum_{c \\in C_i, t} b_{ct} \\le C_i w_i
    """
    if not d.terms:
        return NO_RECOURSE
    t, ships = _terms_table(d), by_name["ships"]
    months = range(d.months)
    keys = [(*label, m) for label in t.labels for m in months]
    bought = add_var_family(
        s,
        "bought",
        keys,
        labels=pd.MultiIndex.from_tuples(keys, names=[*TERM_KEY, "month"]),
        doc="b_ct: units called, exercised or bought spot in month t",
    )
    add_flexibility_rows(s, t, by_name.get("quantity"), bought.sum(by=TERM_KEY))
    add_policy_caps(
        s, d, by_name["purchase"], by_name["inspected"], bought, np.repeat(t.offer, d.months)
    )
    with_terms = {d.offers[o] for o in t.offer}
    out = np.array(
        [
            kind == "supplier" and (o, k) in with_terms
            for kind, o, k in zip(ships.origin_kind, ships.origin, ships.sku, strict=True)
        ],
        bool,
    )
    sent = np.flatnonzero(out)
    shipment_labels = by_name["shipment"].labels[sent]
    recourse = add_var_family(
        s,
        "recourse_shipment",
        list(shipment_labels),
        labels=shipment_labels,
        doc="g_lkt: units bought under a term shipped on a first-stage lane in month t",
    )
    bought_by = bought.sum(by=["supplier", "sku", "month"])
    rows = bought_by.labels
    at = rows.get_indexer(
        pd.MultiIndex.from_arrays(
            [
                [d.suppliers[i] for i in ships.origin[sent]],
                [d.skus[k] for k in ships.sku[sent]],
                ships.month[sent],
            ]
        )
    )
    shipped = LinearTerms(rows, (terms(recourse, at, np.arange(len(sent)), 1.0),))
    add_family(s, "purchase_link", bought_by - shipped == 0.0, doc="sum_c b_ct = sum g out of i")
    role, destination = ships.role[sent], ships.destination[sent]
    big = float(np.sum(d.supplier_capacity))
    into = np.flatnonzero(role == "first_mile")
    if len(into):
        opened = by_name["open"]
        use_only_if_open(
            s,
            "open_linking",
            LinearTerms(opened.labels, (terms(recourse, destination[into], into, 1.0),)),
            opened,
            pd.Series(big, index=opened.labels),
            doc="sum g into w <= M y_w",
        )
    into = np.flatnonzero(role == "inbound")
    if len(into):
        listed, stocked = by_name["listed"], by_name["stocked"]
        pair = np.full(stocked.shape, -1, np.int64)
        pair[np.nonzero(stocked)] = np.arange(int(stocked.sum()))
        use_only_if_open(
            s,
            "listing_link",
            LinearTerms(
                listed.labels,
                (terms(recourse, pair[destination[into], ships.sku[sent][into]], into, 1.0),),
            ),
            listed,
            pd.Series(big, index=listed.labels),
            doc="sum g of k into b <= M a_bk",
        )
    arrive = ships.month[sent] + ships.lead[sent]
    sku = ships.sku[sent]
    nK, nT = len(d.skus), d.months
    arrivals = {}
    for kind, count in (("first_mile", len(d.overseas)), ("inbound", len(d.bonded))):
        into = np.flatnonzero(role == kind)
        row = np.ravel_multi_index((destination[into], sku[into], arrive[into]), (count, nK, nT))
        arrivals[kind] = tuple(p for p in (terms(recourse, row, into, 1.0),) if len(p.coef))
    price = np.where(t.type == "option", t.exercise_price, t.unit_price)
    fakes = d.counterfeit_penalty[t.sku] * np.asarray(d.counterfeit_rate, float)[t.offer]
    per_unit = pd.Series(price + fakes, index=t.labels)
    cost = (
        *(per_unit * bought).parts,
        *(recourse.keyed(ships.cost[sent]) * recourse).parts,
    )
    return RecourseSupply(
        arrivals["first_mile"],
        arrivals["inbound"],
        tuple(p for p in cost if len(p.coef)),
        bought.sum(by="supplier"),
    )


def add_flexibility_rows(
    s: pyo.Block, t: _TermsTable, quantity: VarFamily | None, called: LinearTerms
) -> None:
    """Units bought over the horizon stay within what the first stage allows (the families of
    ``contracts``: ``flex_lower``, ``flex_upper``, ``option_limit``) and within a spot term's
    capacity (``spot_capacity``)."""
    qf = t.type == "quantity_flexibility"
    if qf.any():
        minimum_quantity_if_used(
            s,
            "flex_lower",
            called,
            quantity,
            pd.Series(1.0 - t.flex_down[qf], index=t.labels[qf]),
            doc="sum_t b_ct >= (1 - d_c) Q_c",
        )
        use_only_if_open(
            s,
            "flex_upper",
            called,
            quantity,
            pd.Series(1.0 + t.flex_up[qf], index=t.labels[qf]),
            doc="sum_t b_ct <= (1 + u_c) Q_c",
        )
    option = t.type == "option"
    if option.any():
        use_only_if_open(
            s,
            "option_limit",
            called,
            quantity,
            pd.Series(1.0, index=t.labels[option]),
            doc="sum_t b_ct <= Q_c",
        )
    spot = (t.type == "spot") & np.isfinite(t.capacity)
    if spot.any():
        capacity_if_open(
            s,
            "spot_capacity",
            called,
            pd.Series(t.capacity[spot], index=t.labels[spot]),
            doc="sum_t b_ct <= K_c",
        )


@dataclass(frozen=True)
class _TermsTable:
    """The terms as arrays, labelled (supplier, sku, type)."""

    labels: pd.MultiIndex
    offer: np.ndarray
    supplier: np.ndarray
    sku: np.ndarray
    type: np.ndarray
    unit_price: np.ndarray
    premium: np.ndarray
    exercise_price: np.ndarray
    flex_up: np.ndarray
    flex_down: np.ndarray
    capacity: np.ndarray


def _terms_table(d: NetworkData) -> _TermsTable:
    offer = np.array([c[0] for c in d.terms], np.int64)
    kind = np.array([c[1] for c in d.terms], dtype=object)
    unknown = sorted(set(kind) - set(TERM_TYPES))
    if unknown:
        raise ValueError(f"terms: unknown type(s) {unknown}; choose from {list(TERM_TYPES)}")
    supplier = np.array([d.offers[o][0] for o in offer], np.int64)
    sku = np.array([d.offers[o][1] for o in offer], np.int64)
    labels = pd.MultiIndex.from_arrays(
        [[d.suppliers[i] for i in supplier], [d.skus[k] for k in sku], list(kind)],
        names=TERM_KEY,
    )
    if labels.has_duplicates:
        raise ValueError("terms: one term per offer and type")
    numbers = np.array([c[2:] for c in d.terms], float).reshape(len(d.terms), 6)
    unit_price, premium, exercise, up, down, capacity = numbers.T
    return _TermsTable(
        labels,
        offer,
        supplier,
        sku,
        kind,
        unit_price,
        premium,
        exercise,
        np.nan_to_num(up),
        np.nan_to_num(down),
        np.where(np.isnan(capacity), np.inf, capacity),
    )


def _inspection(d: NetworkData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inspection cost per offer (nan: none), the offers that can be inspected, the counterfeit
    rate per offer and the rate of inspected units per inspectable offer."""
    count = len(d.offers)
    cost_per_unit = _per_offer(d.inspection_cost, count, np.nan)
    inspectable = np.flatnonzero(np.isfinite(cost_per_unit))
    rate = np.asarray(d.counterfeit_rate, float)
    inspected_rate = _per_offer(d.inspected_rate, count, np.nan)
    inspected_rate = np.where(np.isnan(inspected_rate), rate, inspected_rate)[inspectable]
    return cost_per_unit, inspectable, rate, inspected_rate


def _per_offer(values: np.ndarray | None, count: int, default: float) -> np.ndarray:
    return np.full(count, default) if values is None else np.asarray(values, float)


def _kind(d: NetworkData, supplier: int) -> str:
    return d.supplier_type[supplier] if d.supplier_type else "distributor"
