"""The ``network`` model's supply side: price segments, supplier policy and flexible terms.

First stage (:func:`add_supply_first_stage`): all-units or incremental price segments, third-party
inspection with the expected counterfeit cost, the policy caps of ``suppliers``
(``counterfeit_cap``, ``late_cap``, ``brand_direct_share``), and the first-stage quantities of
the flexible contract terms of ``contracts`` (quantity-flexibility commitments and options
reserved, ``quantity``), each with a minimum order either ``signed`` or not used. Each
scenario (:func:`add_supply_recourse`): units ``bought`` under the terms by month, which leave
their supplier on ``recourse_shipment`` (the first-stage lanes out of suppliers) and arrive a
lead time later in the same overseas and bonded stock balances (:class:`RecourseSupply` holds
those arrivals for the build to add), and the units of them ``inspected``. When a scenario
can buy (terms) or ship per order from a supplier (``supplier_parcel``, postal), the policy
caps hold per scenario over every unit bought in it (:func:`caps_per_scenario`). Every
family keeps the name it has in ``suppliers`` or ``contracts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import add

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.families import (
    average_rate_cap,
    capacity_if_open,
    minimum_quantity_if_used,
    use_only_if_open,
)
from cbecopt.labelled import (
    LinearTerms,
    Terms,
    VarFamily,
    add_family,
    add_var_family,
    family_of,
    terms,
)
from cbecopt.models.network.bounds import useful_units
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.packs import shipment_packs, unit_domain
from cbecopt.models.suppliers.build import (
    add_all_units_rows,
    add_incremental_rows,
    expected_counterfeit,
)
from cbecopt.whole_units import add_cases

COMMITTED = ("quantity_flexibility", "option")
"""Term types with a first-stage quantity (a firm order is the offer's price segments)."""
TERM_TYPES = (*COMMITTED, "spot")
TERM_KEY = ["supplier", "sku", "type"]
TERM_FIELDS = 8
"""Numbers every term gives (``NetworkData.terms``); a ninth, ``min_order``, is optional."""


@dataclass(frozen=True)
class OfferUnits:
    """Units bought from offers: the variables of ``family`` at ``positions`` (labels with a
    ``sku`` column), each bought from the offer ``offer`` (a position in ``d.offers``)."""

    family: VarFamily
    positions: np.ndarray
    offer: np.ndarray

    @classmethod
    def every(cls, family: VarFamily, offer: np.ndarray) -> OfferUnits:
        return cls(family, np.arange(len(family)), np.asarray(offer, np.int64))

    def per_sku(self, per_offer: np.ndarray) -> LinearTerms:
        """``sum per_offer[o] x`` over these units, per SKU."""
        labels = self.family.labels[self.positions]
        weights = pd.Series(np.asarray(per_offer, float)[self.offer], index=labels)
        return (weights * self.family[labels]).sum(by="sku")


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
        committed, premiums = add_term_commitments(b, d, use_supplier)
        families, cost = (*families, *committed), (*cost, *premiums)
    return SupplyFirstStage(families, tuple(p for p in cost if len(p.coef)))


def caps_per_scenario(d: NetworkData) -> bool:
    """Whether the sourcing caps are written per scenario: when a scenario can buy units of
    its own, under flexible terms or per order from a supplier (a 9610 parcel or, with
    ``allow_personal_articles``, a postal parcel straight from it); else once, in the first
    stage, over the firm purchases."""
    postal_from_supplier = d.allow_personal_articles and any(
        kind == "supplier" for kind, *_ in d.postal
    )
    return bool(d.terms) or bool(d.supplier_parcel) or postal_from_supplier


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
    """Third-party inspection of firm purchases, and, unless they hold per scenario
    (:func:`caps_per_scenario`), the sourcing caps (:func:`add_policy_caps`); returns the
    ``inspected`` family and the cost of inspection and of expected counterfeit units.

    .. math:: i_o \\le q_o, \\qquad
        \\pi_k (r_o q_o - (r_o - r'_o) i_o) + c^{insp}_o i_o \\text{ in the cost}
    """
    offers = purchase.labels
    cost_per_unit, inspectable, rate, inspected_rate = _inspection(d)
    inspected = add_var_family(
        b,
        "inspected",
        list(offers[inspectable]),
        domain=unit_domain(d),
        labels=offers[inspectable],
        doc="i_o: units of offer o inspected",
    )
    if len(inspectable):
        add_family(b, "inspection_limit", inspected <= purchase[inspected.labels], doc="i_o <= q_o")
    if not caps_per_scenario(d):
        add_policy_caps(
            b,
            d,
            [OfferUnits.every(purchase, np.arange(len(offers)))],
            [OfferUnits.every(inspected, inspectable)],
        )
    penalty = d.counterfeit_penalty[[k for _, k in d.offers]]
    fakes = expected_counterfeit(
        purchase, inspected, penalty * rate, penalty[inspectable] * inspected_rate
    )
    cost = (*fakes.parts, *(inspected.keyed(cost_per_unit[inspectable]) * inspected).parts)
    return inspected, cost


def add_policy_caps(
    block: pyo.Block,
    d: NetworkData,
    bought: list[OfferUnits],
    inspected: list[OfferUnits],
) -> None:
    """The sourcing caps of ``suppliers`` per SKU over the units ``bought`` (the firm
    purchases and, per scenario, the units bought under flexible terms ``b_ct`` and those
    shipped per order from a supplier ``x_lt``), less what inspection (``inspected``: of
    firm units ``i_o``, of units bought under terms ``i_c``) keeps out.

    .. math::
        \\sum_{o \\in O_k} (r_o q_o - (r_o - r'_o) i_o)
        + \\sum_{c \\in C_k} (r_c \\textstyle\\sum_t b_{ct} - (r_c - r'_c) i_c)
        + \\sum_{l, t} r_l x_{lt} \\le \\bar\\rho \\, U_k, \\qquad
        \\sum l_o \\cdot \\text{units} \\le \\bar\\lambda \\, U_k, \\qquad
        \\sum_{\\text{brand direct}} \\text{units} \\ge \\beta \\, U_k

    with :math:`U_k` every unit of SKU k bought (firm, under terms, per order), each at the
    rates of its offer.
    """
    _, _, rate, _ = _inspection(d)
    caught = rate - _clean_rate(d)

    def per_sku(units: list[OfferUnits], per_offer: np.ndarray) -> LinearTerms:
        return reduce(add, (u.per_sku(per_offer) for u in units if len(u.positions)))

    units = per_sku(bought, np.ones(len(d.offers)))
    if d.counterfeit_cap < 1.0:
        fakes = per_sku(bought, rate)
        if any(len(u.positions) for u in inspected):
            fakes = fakes - per_sku(inspected, caught)
        average_rate_cap(
            block,
            "counterfeit_cap",
            fakes,
            units,
            d.counterfeit_cap,
            doc="expected counterfeit units <= rho units bought, per SKU",
        )
    if d.max_late_rate < 1.0:
        average_rate_cap(
            block,
            "late_cap",
            per_sku(bought, _per_offer(d.late_rate, len(d.offers), 0.0)),
            units,
            d.max_late_rate,
            doc="late rate <= cap",
        )
    if d.min_brand_direct_share > 0.0:
        brand = np.array([_kind(d, i) == "brand_direct" for i, _ in d.offers], float)
        average_rate_cap(
            block,
            "brand_direct_share",
            per_sku(bought, brand),
            units,
            d.min_brand_direct_share,
            at_least=True,
            doc="brand-direct share >= beta",
        )


def add_term_commitments(
    b: pyo.Block, d: NetworkData, use_supplier: VarFamily
) -> tuple[tuple[VarFamily, ...], tuple[Terms, ...]]:
    """The first-stage quantity of each quantity-flexibility and option term, bounded by the
    term's capacity, only with its supplier qualified, and with a minimum order
    (:func:`add_term_min_order`) either signed or unused; returns ``quantity`` (and
    ``signed``) and the option premiums.

    .. math:: Q_c \\le K_c / a_c, \\qquad Q_c \\le M_c \\, w_i

    ``M_c = min(K_c / a_c, max(m_c, U_k / a_c))`` (``U_k``:
    :func:`~cbecopt.models.network.bounds.useful_units`; ``m_c``: the term's minimum order, 0
    without one): committing more than ``U_k / a_c`` only raises the least units called, and
    the bound never falls below a minimum the term's capacity allows. (The supplier's capacity
    as cut by ``with_useful_bounds`` is no bound here: it sums the firm offers' useful ends,
    which may lie below what a term can sell.)
    """
    t = _terms_table(d)
    committed = np.flatnonzero(np.isin(t.type, COMMITTED))
    labels = t.labels[committed]
    factor = _call_factor(t)[committed]
    quantity = add_var_family(
        b,
        "quantity",
        list(labels),
        domain=unit_domain(d),
        upper=t.capacity[committed] / factor,
        labels=labels,
        doc="Q_c: units committed (quantity flexibility) or reserved (option)",
    )
    big = _commitment_bound(d, t)[committed]
    minimum = t.min_order[committed]
    if len(committed):
        use_only_if_open(
            b,
            "term_if_qualified",
            quantity,
            use_supplier,
            pd.Series(big, index=labels),
            doc="Q_c <= M_c w_i",
        )
    option = t.type[committed] == "option"
    premium = pd.Series(t.premium[committed][option], index=labels[option])
    families = (quantity,)
    signable = minimum > 0
    if signable.any():
        families = (quantity, add_term_min_order(b, quantity, minimum, big))
    return families, (premium * quantity[labels[option]]).parts


def add_term_min_order(
    b: pyo.Block, quantity: VarFamily, minimum: np.ndarray, big: np.ndarray
) -> VarFamily:
    """A quantity-flexibility or option term with a minimum order is either not signed or
    committed (reserved) for at least that much: the rows ``min_order_lower`` and
    ``min_order_upper`` of ``contracts``; ``minimum`` and ``big`` per ``quantity``.

    .. math:: m_c \\sigma_c \\le Q_c \\le M_c \\sigma_c \\qquad \\forall c : m_c > 0

    ``M_c = min(K_c / a_c, max(m_c, U_k / a_c))``, ``U_k`` the SKU's useful units
    (:func:`~cbecopt.models.network.bounds.useful_units`), ``a_c = 1 + u_c`` for quantity
    flexibility and 1 for an option: with ``Q_c`` at ``max(m_c, U_k / a_c)`` the term still
    allows every useful unit (``a_c Q_c >= U_k``) and demands no more (``(1 - d_c) Q_c`` at
    most that of a larger ``Q_c``), so committing beyond it only adds cost and every optimum
    is kept (the reasoning of ``bounds``). Not the supplier's capacity as cut by
    ``with_useful_bounds``: that sums the firm offers' useful ends, which may lie below
    ``m_c``.
    """
    with_minimum = minimum > 0
    labels = quantity.labels[with_minimum]
    signed = add_var_family(
        b,
        "signed",
        list(labels),
        domain=pyo.Binary,
        labels=labels,
        doc="sigma_c: term c with a minimum order is signed",
    )
    big = big[with_minimum]
    minimum = minimum[with_minimum]
    minimum_quantity_if_used(
        b,
        "min_order_lower",
        quantity,
        signed,
        signed.keyed(minimum),
        doc="Q_c - m_c sigma_c >= 0",
    )
    use_only_if_open(
        b, "min_order_upper", quantity, signed, signed.keyed(big), doc="Q_c - M_c sigma_c <= 0"
    )
    return signed


NO_RECOURSE = RecourseSupply((), (), ())
"""A scenario's supply side without flexible terms: no purchases, arrivals or cost."""


def add_supply_recourse(s: pyo.Block, d: NetworkData, by_name: dict) -> RecourseSupply:
    """One scenario's purchases under the terms: ``bought`` by term and month within the
    bands the first stage set, shipped out of the supplier on ``recourse_shipment``, with the
    supplier's capacity shared with the firm purchases, and the units of them ``inspected``;
    and, when they hold per scenario (:func:`caps_per_scenario`), the sourcing caps over the
    firm purchases, those units and the units shipped per order from a supplier (read from
    the scenario's ``delivery``, which must be built first). ``by_name`` holds the first
    stage's families, its shipment keys (``ships``) and its delivery keys (``outlets``) by
    name.

    .. math::
        (1 - d_c) Q_c \\le \\sum_t b_{ct} \\le (1 + u_c) Q_c \\;(c \\in C^{qf}), \\quad
        \\sum_t b_{ct} \\le Q_c \\;(c \\in C^{opt}), \\quad
        \\sum_t b_{ct} \\le K_c \\;(c \\in C^{spot})

        \\sum_{c \\in C_{ik}} b_{ct} = \\sum_{l \\in L^{1}_i \\cup L^{in}_i} g_{lkt}, \\qquad
        \\sum_k q_{ik} + \\sum_{c \\in C_i, t} b_{ct} \\le C_i w_i
    """
    firm, firm_inspected = _firm_units(d, by_name)
    per_order = _per_order_units(s, d, by_name) if caps_per_scenario(d) else ()
    if not d.terms:
        if caps_per_scenario(d):
            add_policy_caps(s, d, [firm, *per_order], [firm_inspected])
        return NO_RECOURSE
    t, ships = _terms_table(d), by_name["ships"]
    months = range(d.months)
    keys = [(*label, m) for label in t.labels for m in months]
    bought = add_var_family(
        s,
        "bought",
        keys,
        domain=unit_domain(d),
        labels=pd.MultiIndex.from_tuples(keys, names=[*TERM_KEY, "month"]),
        doc="b_ct: units called, exercised or bought spot in month t",
    )
    called = bought.sum(by=TERM_KEY)
    add_flexibility_rows(s, t, by_name.get("quantity"), called)
    inspected, inspection_cost = add_term_inspection(s, d, t, called)
    add_policy_caps(
        s,
        d,
        [firm, OfferUnits.every(bought, np.repeat(t.offer, d.months)), *per_order],
        [firm_inspected, *inspected],
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
        domain=unit_domain(d),
        labels=shipment_labels,
        doc="g_lkt: units bought under a term shipped on a first-stage lane in month t",
    )
    add_cases(
        s,
        "recourse_packs",
        "recourse_pack_link",
        recourse,
        shipment_packs(d, list(shipment_labels.get_level_values("lane")), ships.sku[sent]),
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
    most = term_units_bound(d, t)
    into = np.flatnonzero(role == "first_mile")
    if len(into):
        opened = by_name["open"]
        reaching = np.zeros((len(d.overseas), len(d.skus)), bool)
        reaching[destination[into], ships.sku[sent][into]] = True
        use_only_if_open(
            s,
            "open_linking",
            LinearTerms(opened.labels, (terms(recourse, destination[into], into, 1.0),)),
            opened,
            pd.Series(reaching.astype(float) @ most, index=opened.labels),
            doc="sum g into w <= M_w y_w",
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
            pd.Series(most[np.nonzero(stocked)[1]], index=listed.labels),
            doc="sum g of k into b <= M_k a_bk",
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
        *inspection_cost,
        *(recourse.keyed(ships.cost[sent]) * recourse).parts,
    )
    return RecourseSupply(
        arrivals["first_mile"],
        arrivals["inbound"],
        tuple(p for p in cost if len(p.coef)),
        bought.sum(by="supplier"),
    )


def add_term_inspection(
    s: pyo.Block, d: NetworkData, t: _TermsTable, called: LinearTerms
) -> tuple[tuple[OfferUnits, ...], tuple[Terms, ...]]:
    """Third-party inspection, in a scenario, of the units bought under the terms of an
    inspectable offer, as of its firm purchases: ``inspected`` (keyed by term) within the
    units bought over the horizon, at the offer's inspection cost, each inspected unit's
    counterfeit rate cut to the offer's inspected rate; returns the inspected units (none
    when no term's offer can be inspected) and their cost.

    .. math:: i_c \\le \\sum_t b_{ct}, \\qquad
        (c^{insp}_o - \\pi_k (r_o - r'_o)) \\, i_c \\text{ in the scenario's cost}
    """
    cost_per_unit, _, rate, _ = _inspection(d)
    at = np.flatnonzero(np.isfinite(cost_per_unit[t.offer]))
    if not len(at):
        return (), ()
    labels = t.labels[at]
    inspected = add_var_family(
        s,
        "inspected",
        list(labels),
        domain=unit_domain(d),
        labels=labels,
        doc="i_c: units bought under term c inspected",
    )
    add_family(s, "inspection_limit", inspected <= called[labels], doc="i_c <= sum_t b_ct")
    offer = t.offer[at]
    caught = (rate - _clean_rate(d))[offer]
    per_unit = cost_per_unit[offer] - d.counterfeit_penalty[t.sku[at]] * caught
    return (OfferUnits.every(inspected, offer),), (inspected.keyed(per_unit) * inspected).parts


def _firm_units(d: NetworkData, by_name: dict) -> tuple[OfferUnits, OfferUnits]:
    """The first stage's firm purchases and inspected units, as units of their offers."""
    purchase, inspected = by_name["purchase"], by_name["inspected"]
    return (
        OfferUnits.every(purchase, np.arange(len(d.offers))),
        OfferUnits.every(inspected, purchase.labels.get_indexer(inspected.labels)),
    )


def _per_order_units(s: pyo.Block, d: NetworkData, by_name: dict) -> tuple[OfferUnits, ...]:
    """The scenario's units shipped per order straight from a supplier (its 9610 and postal
    parcels, the ``delivery`` keys whose origin is a supplier), as units of the offer of that
    supplier and SKU (none without such keys)."""
    outs = by_name["outlets"]
    direct = outs.where(origin_kind="supplier")
    if not len(direct):
        return ()
    offer = {key: o for o, key in enumerate(d.offers)}
    of = [offer[i, k] for i, k in zip(outs.origin[direct], outs.sku[direct], strict=True)]
    return (OfferUnits(family_of(s, "delivery"), direct, np.array(of, np.int64)),)


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
    min_order: np.ndarray


def _call_factor(t: _TermsTable) -> np.ndarray:
    """Per term: ``a_c``, the most units called per unit committed (``1 + u_c`` for quantity
    flexibility, 1 for an option or spot term)."""
    return np.where(t.type == "quantity_flexibility", 1.0 + t.flex_up, 1.0)


def _commitment_bound(d: NetworkData, t: _TermsTable) -> np.ndarray:
    """Per term: ``M_c = min(K_c / a_c, max(m_c, U_k / a_c))``, the most a quantity-flexibility
    or option term need commit (see :func:`add_term_commitments`); for a spot term
    ``min(K_c, U_k)``, the most worth buying spot."""
    factor = _call_factor(t)
    useful = useful_units(d)[t.sku]
    return np.minimum(t.capacity / factor, np.maximum(t.min_order, useful / factor))


def term_units_bound(d: NetworkData, t: _TermsTable) -> np.ndarray:
    """Per SKU: the most units all its terms together deliver in one scenario, the sum over its
    terms of ``a_c M_c`` (:func:`_commitment_bound`; a spot term's ``min(K_c, U_k)``). It
    bounds the scenario's recourse shipments of the SKU into any one warehouse, the big-M of
    the scenario's ``open_linking`` (summed over the SKUs that reach the warehouse) and
    ``listing_link`` rows, in place of the suppliers' whole capacity."""
    most = np.zeros(len(d.skus))
    np.add.at(most, t.sku, _call_factor(t) * _commitment_bound(d, t))
    return most


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
    fields = TERM_FIELDS - 2
    numbers = np.full((len(d.terms), fields + 1), np.nan)
    for n, term in enumerate(d.terms):
        if len(term) not in (TERM_FIELDS, TERM_FIELDS + 1):
            raise ValueError(
                f"terms: entry {n + 1} has {len(term)} values; give {TERM_FIELDS} "
                f"(offer, type, unit_price, premium, exercise_price, flex_up, flex_down, "
                f"capacity) and optionally min_order"
            )
        numbers[n, : len(term) - 2] = term[2:]
    unit_price, premium, exercise, up, down, capacity, min_order = numbers.T
    min_order = np.nan_to_num(min_order)
    if ((kind == "spot") & (min_order > 0)).any():
        raise ValueError(
            "terms: a minimum order applies to quantity_flexibility and option terms, not spot"
        )
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
        min_order,
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


def _clean_rate(d: NetworkData) -> np.ndarray:
    """Per offer: the counterfeit rate of its inspected units (its own rate where it cannot
    be inspected)."""
    rate = np.asarray(d.counterfeit_rate, float)
    clean = _per_offer(d.inspected_rate, len(d.offers), np.nan)
    return np.where(np.isnan(clean), rate, clean)


def _per_offer(values: np.ndarray | None, count: int, default: float) -> np.ndarray:
    return np.full(count, default) if values is None else np.asarray(values, float)


def _kind(d: NetworkData, supplier: int) -> str:
    return d.supplier_type[supplier] if d.supplier_type else "distributor"
