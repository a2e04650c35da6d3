"""Supplier selection with quantity discounts and counterfeit risk: a MILP.

Per SKU, how much to buy from which source (brand-direct, authorised distributor, agent, grey
market), trading price (all-units or incremental quantity discounts), fixed qualification
costs, capacities and minimum orders against authenticity (expected counterfeit units priced
at a penalty, caps on the average counterfeit rate, a minimum brand-direct share, optional
third-party inspection) and reliability (a late-delivery cap), with diversification limits.
The landed cost adds freight from the network graph where lanes exist and the CBEC tax where
the products carry tax rates. The formulation, with the same names, is in
``models/suppliers.md``; sets and parameters in :mod:`cbecopt.formulations.suppliers_data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.formulations.common import (
    Terms,
    VarFamily,
    add_rows,
    add_var_family,
    linear_objective,
    terms,
)
from cbecopt.formulations.suppliers_data import SuppliersConfig, SuppliersData
from cbecopt.instance import Instance

__all__ = [
    "SuppliersConfig",
    "SuppliersData",
    "SuppliersModel",
    "build_suppliers",
    "extract_suppliers",
]


@dataclass(frozen=True)
class SuppliersModel:
    """The built Pyomo model, its data and variable families."""

    model: pyo.ConcreteModel
    data: SuppliersData
    config: SuppliersConfig
    use_supplier: VarFamily
    use_offer: VarFamily
    purchase: VarFamily
    segment_quantity: VarFamily
    segment_used: VarFamily
    inspected: VarFamily
    shipment: VarFamily | None
    cost: tuple[Terms, ...]  # landed cost without the counterfeit penalty
    counterfeit: tuple[Terms, ...]  # expected counterfeit units


def build_suppliers(
    instance: Instance, config: SuppliersConfig | None = None, data: SuppliersData | None = None
) -> SuppliersModel:
    """Build the supplier selection MILP: variables, constraint families, objective.

    ``data`` is the model's data when already prepared (the registry's check step); ``None``
    prepares it here.
    """
    config = (config or SuppliersConfig()).resolved(instance)
    d = data if data is not None else SuppliersData.from_instance(instance, config)
    m = pyo.ConcreteModel(name=f"suppliers[{instance.name}]")
    use_supplier = add_var_family(
        m, "use_supplier", d.SUPPLIERS, domain=pyo.Binary, doc="w_s: supplier s is used"
    )
    use_offer = add_var_family(
        m, "use_offer", d.OFFERS, domain=pyo.Binary, doc="u_o: offer o is used"
    )
    purchase = add_var_family(
        m, "purchase", d.OFFERS, upper=d.upper, doc="q_o: units bought on offer o"
    )
    segment_quantity = add_var_family(
        m,
        "segment_quantity",
        d.SEGMENTS,
        upper=d.segment_to,
        doc="y_or: units bought in price segment r",
    )
    segment_used = add_var_family(
        m,
        "segment_used",
        d.SEGMENTS,
        domain=pyo.Binary,
        doc="z_or: segment r is the price (all-units) or reached (incremental)",
    )
    inspected = add_var_family(
        m, "inspected", [d.OFFERS[o] for o in d.inspectable], doc="i_o: units of offer o inspected"
    )
    shipment = (
        add_var_family(m, "shipment", d.SHIPMENTS, doc="x_oj: units of offer o shipped to market j")
        if d.SHIPMENTS
        else None
    )
    add_demand_met(m, d, config, purchase, shipment)
    add_purchase_segments(m, d, purchase, segment_quantity)
    add_all_units_segments(m, d, use_offer, segment_quantity, segment_used)
    add_incremental_segments(m, d, use_offer, segment_quantity, segment_used)
    add_min_order(m, d, use_offer, purchase)
    add_offer_supplier(m, d, use_offer, use_supplier)
    add_supplier_capacity(m, d, use_supplier, purchase)
    add_inspection_limit(m, d, purchase, inspected)
    counterfeit = _counterfeit_terms(d, purchase, inspected, np.ones(len(d.OFFERS)))
    if config.max_counterfeit_rate is not None:
        add_counterfeit_cap(m, d, purchase, inspected, config.max_counterfeit_rate)
    if config.min_brand_direct_share is not None:
        add_brand_direct_share(m, d, purchase, config.min_brand_direct_share)
    if config.max_late_rate is not None:
        add_late_cap(m, d, purchase, config.max_late_rate)
    if config.max_suppliers is not None:
        add_max_suppliers(m, use_supplier, int(config.max_suppliers))
    if config.max_supplier_share is not None:
        add_supplier_share(m, d, purchase, config.max_supplier_share)
    cost = _cost_terms(d, use_supplier, purchase, segment_quantity, inspected, shipment)
    if config.counterfeit_limit is not None:
        add_rows(
            m,
            "counterfeit_limit",
            ["all"],
            [_as_row(t) for t in counterfeit],
            None,
            config.counterfeit_limit,
            doc="expected counterfeit units <= epsilon",
        )
    if config.cost_limit is not None:
        add_rows(
            m,
            "cost_limit",
            ["all"],
            [_as_row(t) for t in cost],
            None,
            config.cost_limit,
            doc="landed cost <= C",
        )
    if config.objective == "counterfeit":
        tie_break = [Terms(t.family, t.row, t.position, t.coef * config.cost_weight) for t in cost]
        m.total_cost = linear_objective(
            [*counterfeit, *(t for t in tie_break if config.cost_weight)]
        )
    else:
        penalty = _counterfeit_terms(d, purchase, inspected, d.penalty[d.offer_sku])
        m.total_cost = linear_objective([*cost, *(t for t in penalty if len(t.coef))])
    return SuppliersModel(
        m,
        d,
        config,
        use_supplier,
        use_offer,
        purchase,
        segment_quantity,
        segment_used,
        inspected,
        shipment,
        cost,
        counterfeit,
    )


def _as_row(t: Terms) -> Terms:
    return Terms(t.family, np.zeros(len(t.coef), np.int64), t.position, t.coef)


def _counterfeit_terms(
    d: SuppliersData, purchase: VarFamily, inspected: VarFamily, weight: np.ndarray
):
    """Expected counterfeit units per offer, r_o q_o - (r_o - r'_o) i_o, each times ``weight[o]``."""
    insp = d.inspectable
    return (
        terms(purchase, 0, np.arange(len(d.OFFERS)), weight * d.counterfeit_rate),
        terms(
            inspected,
            0,
            np.arange(len(insp)),
            -(weight * (d.counterfeit_rate - d.inspected_rate))[insp],
        ),
    )


def _cost_terms(
    d, use_supplier, purchase, segment_quantity, inspected, shipment
) -> tuple[Terms, ...]:
    """Landed cost: fixed + price + tax + inspection + freight (no counterfeit penalty)."""
    parts = [
        terms(use_supplier, 0, np.arange(len(d.SUPPLIERS)), d.fixed_cost),
        terms(segment_quantity, 0, np.arange(len(d.SEGMENTS)), d.unit_price),
        terms(purchase, 0, np.arange(len(d.OFFERS)), d.tax[d.offer_sku]),
        terms(inspected, 0, np.arange(len(d.inspectable)), d.inspection_cost[d.inspectable]),
    ]
    if shipment is not None:
        parts.append(terms(shipment, 0, np.arange(len(d.SHIPMENTS)), d.freight))
    return tuple(p for p in parts if len(p.coef))


def add_demand_met(
    m, d: SuppliersData, config: SuppliersConfig, purchase: VarFamily, shipment: VarFamily | None
) -> None:
    """Every SKU's demand is bought, exactly or at least (per market when freight is modelled).

    .. math::
        \\sum_{o \\in O_k} q_o \\;(=, \\ge)\\; D_k
        \\quad\\text{or}\\quad \\sum_{o \\in O_k} x_{oj} \\;(=, \\ge)\\; D_{jk}
    """
    exact = config.demand == "exact"
    if shipment is None:
        rows, family = d.offer_sku, purchase
        keys, need = d.SKUS, d.demand[0]
    else:
        pairs = d.offer_sku[d.shipment_offer] * len(d.MARKETS) + d.shipment_market
        wanted = np.flatnonzero(d.demand.T.ravel() > 0)
        row_of = np.full(len(d.SKUS) * len(d.MARKETS), -1, np.int64)
        row_of[wanted] = np.arange(len(wanted))
        rows, family = row_of[pairs], shipment
        keys = [(d.MARKETS[p % len(d.MARKETS)], d.SKUS[p // len(d.MARKETS)]) for p in wanted]
        need = d.demand.T.ravel()[wanted]
        add_rows(
            m,
            "shipment_split",
            d.OFFERS,
            [
                terms(shipment, d.shipment_offer, np.arange(len(d.SHIPMENTS)), 1.0),
                terms(purchase, np.arange(len(d.OFFERS)), np.arange(len(d.OFFERS)), -1.0),
            ],
            0.0,
            0.0,
            doc="sum_j x_oj = q_o",
        )
    add_rows(
        m,
        "demand_met",
        keys,
        [terms(family, rows, np.arange(len(family)), 1.0)],
        need,
        need if exact else None,
        doc="bought = D (exact) or >= D (at least)",
    )


def add_purchase_segments(
    m, d: SuppliersData, purchase: VarFamily, segment_quantity: VarFamily
) -> None:
    """What an offer supplies is the sum of its segments.

    .. math:: q_o = \\sum_r y_{or}
    """
    n_o = len(d.OFFERS)
    add_rows(
        m,
        "purchase_segments",
        d.OFFERS,
        [
            terms(purchase, np.arange(n_o), np.arange(n_o), 1.0),
            terms(segment_quantity, d.segment_offer, np.arange(len(d.SEGMENTS)), -1.0),
        ],
        0.0,
        0.0,
        doc="q_o = sum_r y_or",
    )


def add_all_units_segments(m, d: SuppliersData, use_offer, segment_quantity, segment_used) -> None:
    """All-units discount: one segment prices every unit, and its quantity lies in its range.

    .. math::
        a_{or} z_{or} \\le y_{or} \\le b_{or} z_{or}, \\qquad \\sum_r z_{or} \\le u_o
        \\qquad \\forall o \\in O^{all}
    """
    seg = np.flatnonzero(d.discount[d.segment_offer] == "all_units")
    if not len(seg):
        return
    offers = np.unique(d.segment_offer[seg])
    n = len(seg)
    keys = [d.SEGMENTS[g] for g in seg]
    for name, bound, lower in (
        ("segment_lower", d.segment_from, True),
        ("segment_upper", d.segment_to, False),
    ):
        add_rows(
            m,
            name,
            keys,
            [
                terms(segment_quantity, np.arange(n), seg, 1.0),
                terms(segment_used, np.arange(n), seg, -bound[seg]),
            ],
            0.0 if lower else None,
            None if lower else 0.0,
            doc=f"y_or {'>=' if lower else '<='} {'a' if lower else 'b'}_or z_or",
        )
    row_of = np.full(len(d.OFFERS), -1, np.int64)
    row_of[offers] = np.arange(len(offers))
    add_rows(
        m,
        "one_price",
        [d.OFFERS[o] for o in offers],
        [
            terms(segment_used, row_of[d.segment_offer[seg]], seg, 1.0),
            terms(use_offer, np.arange(len(offers)), offers, -1.0),
        ],
        None,
        0.0,
        doc="sum_r z_or <= u_o",
    )


def add_incremental_segments(
    m, d: SuppliersData, use_offer, segment_quantity, segment_used
) -> None:
    """Incremental discount: each slice is bought at its own price, and only after the one below is full.

    .. math::
        y_{or} \\le (b_{or} - a_{or}) z_{or}, \\quad y_{o,r-1} \\ge (b_{o,r-1} - a_{o,r-1}) z_{or},
        \\quad z_{o0} \\le u_o \\qquad \\forall o \\in O^{inc}
    """
    seg = np.flatnonzero(d.discount[d.segment_offer] == "incremental")
    if not len(seg):
        return
    width = d.segment_to - d.segment_from
    n = len(seg)
    add_rows(
        m,
        "slice_upper",
        [d.SEGMENTS[g] for g in seg],
        [
            terms(segment_quantity, np.arange(n), seg, 1.0),
            terms(segment_used, np.arange(n), seg, -width[seg]),
        ],
        None,
        0.0,
        doc="y_or <= (b - a)_or z_or",
    )
    later = seg[d.segment_index[seg] > 0]
    add_rows(
        m,
        "slice_order",
        [d.SEGMENTS[g] for g in later],
        [
            terms(segment_quantity, np.arange(len(later)), later - 1, 1.0),
            terms(segment_used, np.arange(len(later)), later, -width[later - 1]),
        ],
        0.0,
        None,
        doc="y_o,r-1 >= (b - a)_o,r-1 z_or",
    )
    first = seg[d.segment_index[seg] == 0]
    add_rows(
        m,
        "slice_start",
        [d.OFFERS[o] for o in d.segment_offer[first]],
        [
            terms(segment_used, np.arange(len(first)), first, 1.0),
            terms(use_offer, np.arange(len(first)), d.segment_offer[first], -1.0),
        ],
        None,
        0.0,
        doc="z_o0 <= u_o",
    )


def add_min_order(m, d: SuppliersData, use_offer, purchase) -> None:
    """An offer used is used for at least its minimum order.

    .. math:: q_o \\ge MOQ_o\\, u_o \\qquad \\forall o: MOQ_o > 0
    """
    offers = np.flatnonzero(d.min_order > 0)
    if not len(offers):
        return
    n = len(offers)
    add_rows(
        m,
        "min_order",
        [d.OFFERS[o] for o in offers],
        [
            terms(purchase, np.arange(n), offers, 1.0),
            terms(use_offer, np.arange(n), offers, -d.min_order[offers]),
        ],
        0.0,
        None,
        doc="q_o >= MOQ_o u_o",
    )


def add_offer_supplier(m, d: SuppliersData, use_offer, use_supplier) -> None:
    """An offer is used only from a supplier that is used (qualified, contracted).

    .. math:: u_o \\le w_{s(o)}
    """
    n = len(d.OFFERS)
    add_rows(
        m,
        "offer_supplier",
        d.OFFERS,
        [
            terms(use_offer, np.arange(n), np.arange(n), 1.0),
            terms(use_supplier, np.arange(n), d.offer_supplier, -1.0),
        ],
        None,
        0.0,
        doc="u_o <= w_s",
    )


def add_supplier_capacity(m, d: SuppliersData, use_supplier, purchase) -> None:
    """A supplier with a capacity supplies at most that, over all its SKUs.

    .. math:: \\sum_{o \\in O_s} q_o \\le C_s\\, w_s \\qquad \\forall s: C_s < \\infty
    """
    limited = np.flatnonzero(np.isfinite(d.supplier_capacity))
    if not len(limited):
        return
    row_of = np.full(len(d.SUPPLIERS), -1, np.int64)
    row_of[limited] = np.arange(len(limited))
    inside = np.flatnonzero(row_of[d.offer_supplier] >= 0)
    add_rows(
        m,
        "supplier_capacity",
        [d.SUPPLIERS[s] for s in limited],
        [
            terms(purchase, row_of[d.offer_supplier[inside]], inside, 1.0),
            terms(use_supplier, np.arange(len(limited)), limited, -d.supplier_capacity[limited]),
        ],
        None,
        0.0,
        doc="sum q_o <= C_s w_s",
    )


def add_inspection_limit(m, d: SuppliersData, purchase, inspected) -> None:
    """Only units bought can be inspected.

    .. math:: i_o \\le q_o \\qquad \\forall o \\in O^{insp}
    """
    insp = d.inspectable
    if not len(insp):
        return
    n = len(insp)
    add_rows(
        m,
        "inspection_limit",
        [d.OFFERS[o] for o in insp],
        [
            terms(inspected, np.arange(n), np.arange(n), 1.0),
            terms(purchase, np.arange(n), insp, -1.0),
        ],
        None,
        0.0,
        doc="i_o <= q_o",
    )


def _per_sku_rows(d: SuppliersData, coef: np.ndarray, purchase, extra=()):
    return [terms(purchase, d.offer_sku, np.arange(len(d.OFFERS)), coef), *extra]


def add_counterfeit_cap(m, d: SuppliersData, purchase, inspected, cap: float) -> None:
    """Each SKU's average counterfeit rate, after inspection, stays within the cap.

    .. math:: \\sum_{o \\in O_k} (r_o - \\bar\\rho) q_o - (r_o - r'_o) i_o \\le 0 \\qquad \\forall k
    """
    insp = d.inspectable
    add_rows(
        m,
        "counterfeit_cap",
        d.SKUS,
        _per_sku_rows(
            d,
            d.counterfeit_rate - cap,
            purchase,
            [
                terms(
                    inspected,
                    d.offer_sku[insp],
                    np.arange(len(insp)),
                    -(d.counterfeit_rate - d.inspected_rate)[insp],
                )
            ],
        ),
        None,
        0.0,
        doc="average counterfeit rate <= cap",
    )


def add_brand_direct_share(m, d: SuppliersData, purchase, share: float) -> None:
    """At least a share of each SKU comes straight from the brand.

    .. math:: \\sum_{o \\in O_k} (\\mathbb{1}[o \\in O^{bd}] - \\beta) q_o \\ge 0 \\qquad \\forall k
    """
    add_rows(
        m,
        "brand_direct_share",
        d.SKUS,
        _per_sku_rows(d, d.brand_direct.astype(float) - share, purchase),
        0.0,
        None,
        doc="brand-direct share >= beta",
    )


def add_late_cap(m, d: SuppliersData, purchase, cap: float) -> None:
    """Each SKU's average late-delivery rate stays within the cap.

    .. math:: \\sum_{o \\in O_k} (\\lambda_o - \\bar\\lambda) q_o \\le 0 \\qquad \\forall k
    """
    add_rows(
        m,
        "late_cap",
        d.SKUS,
        _per_sku_rows(d, d.late_rate - cap, purchase),
        None,
        0.0,
        doc="late rate <= cap",
    )


def add_max_suppliers(m, use_supplier, most: int) -> None:
    """At most this many suppliers in all.

    .. math:: \\sum_s w_s \\le N
    """
    add_rows(
        m,
        "max_suppliers",
        ["all"],
        [terms(use_supplier, 0, np.arange(len(use_supplier)), 1.0)],
        None,
        most,
        doc="sum w_s <= N",
    )


def add_supplier_share(m, d: SuppliersData, purchase, share: float) -> None:
    """No offer supplies more than a share of its SKU (diversification).

    .. math:: q_o \\le \\sigma \\sum_{o' \\in O_{k(o)}} q_{o'} \\qquad \\forall o
    """
    n = len(d.OFFERS)
    offers = pd.DataFrame({"o": np.arange(n), "k": d.offer_sku})
    pairs = offers.merge(offers, on="k")  # every offer with every offer of the same SKU
    rows, cols = pairs["o_x"].to_numpy(), pairs["o_y"].to_numpy()
    add_rows(
        m,
        "supplier_share",
        d.OFFERS,
        [terms(purchase, rows, cols, np.where(rows == cols, 1.0 - share, -share))],
        None,
        0.0,
        doc="q_o <= sigma sum_k q",
    )


def extract_suppliers(built: SuppliersModel, values_of) -> tuple[dict[str, pd.DataFrame], dict]:
    """Tidy tables and KPIs from a solution."""
    d = built.data
    q = np.clip(values_of(built.purchase), 0.0, None)
    q[q < 1e-9] = 0.0
    y = np.clip(values_of(built.segment_quantity), 0.0, None)
    used_supplier = np.rint(values_of(built.use_supplier)).astype(int)
    inspected = np.zeros(len(d.OFFERS))
    inspected[d.inspectable] = np.clip(values_of(built.inspected), 0.0, None)
    price_cost = np.bincount(d.segment_offer, weights=d.unit_price * y, minlength=len(d.OFFERS))
    counterfeit = d.counterfeit_rate * q - (d.counterfeit_rate - d.inspected_rate) * inspected
    inspection_cost = np.nan_to_num(d.inspection_cost) * inspected
    freight = np.zeros(len(d.OFFERS))
    if built.shipment is not None:
        x = np.clip(values_of(built.shipment), 0.0, None)
        np.add.at(freight, d.shipment_offer, d.freight * x)
    tax = d.tax[d.offer_sku] * q
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_price = np.where(q > 0, price_cost / q, np.nan)
    purchases = pd.DataFrame(
        {
            "supplier": [o[0] for o in d.OFFERS],
            "sku": [o[1] for o in d.OFFERS],
            "supplier_type": d.supplier_type[d.offer_supplier],
            "discount": d.discount,
            "quantity": q,
            "unit_price": unit_price,
            "purchase_cost": price_cost,
            "freight": freight,
            "tax": tax,
            "inspected": inspected,
            "inspection_cost": inspection_cost,
            "counterfeit_rate": d.counterfeit_rate,
            "expected_counterfeit": counterfeit,
            "late_rate": d.late_rate,
        }
    )
    purchases = purchases[purchases["quantity"] > 0].reset_index(drop=True)
    by_sku = purchases.groupby("sku", sort=False)
    bought = by_sku["quantity"].sum()
    landed = by_sku[["purchase_cost", "freight", "tax", "inspection_cost"]].sum().sum(axis=1)
    skus = pd.DataFrame({"sku": d.SKUS, "demand": d.demand.sum(axis=0)})
    skus["bought"] = skus["sku"].map(bought).fillna(0.0)
    skus["landed_cost"] = skus["sku"].map(landed).fillna(0.0)
    skus["unit_landed_cost"] = skus["landed_cost"] / skus["bought"].where(skus["bought"] > 0)
    skus["expected_counterfeit"] = skus["sku"].map(by_sku["expected_counterfeit"].sum()).fillna(0.0)
    skus["counterfeit_rate"] = skus["expected_counterfeit"] / skus["bought"].where(
        skus["bought"] > 0
    )
    brand = purchases[purchases["supplier_type"] == "brand_direct"].groupby("sku")["quantity"].sum()
    skus["brand_direct_share"] = skus["sku"].map(brand).fillna(0.0) / skus["bought"].where(
        skus["bought"] > 0
    )
    skus["sources"] = skus["sku"].map(by_sku["supplier"].agg(lambda s: ";".join(s))).fillna("")
    units = np.bincount(d.offer_supplier, weights=q, minlength=len(d.SUPPLIERS))
    suppliers = pd.DataFrame(
        {
            "supplier": d.SUPPLIERS,
            "supplier_type": d.supplier_type,
            "used": used_supplier,
            "fixed_cost": d.fixed_cost * used_supplier,
            "units": units,
            "capacity": np.where(np.isfinite(d.supplier_capacity), d.supplier_capacity, np.nan),
        }
    )
    fixed = float(suppliers["fixed_cost"].sum())
    penalty = float((d.penalty[d.offer_sku] * counterfeit).sum())
    landed_total = fixed + float(
        price_cost.sum() + freight.sum() + tax.sum() + inspection_cost.sum()
    )
    kpis = {
        "landed_cost": landed_total,
        "total_cost": landed_total + penalty,
        "fixed_cost": fixed,
        "purchase_cost": float(price_cost.sum()),
        "freight": float(freight.sum()),
        "tax": float(tax.sum()),
        "inspection_cost": float(inspection_cost.sum()),
        "counterfeit_penalty": penalty,
        "expected_counterfeit_units": float(counterfeit.sum()),
        "average_counterfeit_rate": float(counterfeit.sum() / q.sum()) if q.sum() > 0 else None,
        "brand_direct_share": float(q[d.brand_direct].sum() / q.sum()) if q.sum() > 0 else None,
        "suppliers_used": [s for s, u in zip(d.SUPPLIERS, used_supplier, strict=True) if u],
        "units_bought": float(q.sum()),
        "demand": built.config.demand,
    }
    tables = {"purchases": purchases, "skus": skus, "suppliers": suppliers}
    if built.shipment is not None:
        x = np.clip(values_of(built.shipment), 0.0, None)
        shipped = np.flatnonzero(x > 1e-9)
        tables["shipments"] = pd.DataFrame(
            {
                "supplier": [d.SHIPMENTS[i][0] for i in shipped],
                "sku": [d.SHIPMENTS[i][1] for i in shipped],
                "market": [d.SHIPMENTS[i][2] for i in shipped],
                "quantity": x[shipped],
                "freight": d.freight[shipped] * x[shipped],
            }
        )
    return tables, kpis
