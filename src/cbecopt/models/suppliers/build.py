"""Supplier selection with quantity discounts and counterfeit risk: a MILP.

Per SKU, how much to buy from which source (brand-direct, authorised distributor, agent, grey
market), trading price (all-units or incremental quantity discounts), fixed qualification
costs, capacities and minimum orders against authenticity (expected counterfeit units priced
at a penalty, caps on the average counterfeit rate, a minimum brand-direct share, optional
third-party inspection) and reliability (a late-delivery cap), with diversification limits.
The landed cost adds freight from the network graph where lanes exist and the CBEC tax where
the products carry tax rates. The formulation, with the same names, is in
``models/suppliers.md``; sets and parameters in :mod:`cbecopt.models.suppliers.data`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.families import (
    average_rate_cap,
    capacity_if_open,
    demand_satisfaction,
    fixed_cost_if_used,
    minimum_quantity_if_used,
    use_only_if_open,
)
from cbecopt.instance import Instance
from cbecopt.labelled import (
    LinearTerms,
    Terms,
    VarFamily,
    add_family,
    add_var_family,
    coded_labels,
    linear_objective,
    nonempty,
    stacked,
)
from cbecopt.models.suppliers.data import SuppliersConfig, SuppliersData

__all__ = [
    "SuppliersConfig",
    "SuppliersData",
    "SuppliersModel",
    "build_suppliers",
    "extract_suppliers",
]


@dataclass(frozen=True)
class SuppliersModel:
    """The built Pyomo model, its data and variable families; ``block`` is the model's own
    block on ``model`` (``model.suppliers``, or the part's name in a composed model)."""

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
    placed: VarFamily | None  # units already bought, fixed (None: no placed orders)
    cost: tuple[Terms, ...]  # landed cost without the counterfeit penalty
    counterfeit: tuple[Terms, ...]  # expected counterfeit units
    block: pyo.Block


@dataclass(frozen=True)
class SupplierLabels:
    """The label of every supplier, offer, price segment and shipment (key frames)."""

    suppliers: pd.Index  # supplier
    offers: pd.MultiIndex  # (supplier, sku)
    segments: pd.MultiIndex  # (supplier, sku, segment)
    shipments: pd.MultiIndex  # (supplier, sku, market)

    @classmethod
    def of(cls, d: SuppliersData) -> SupplierLabels:
        suppliers, skus = (d.SUPPLIERS, d.offer_supplier), (d.SKUS, d.offer_sku)
        at = d.segment_offer
        by = d.shipment_offer
        return cls(
            pd.Index(d.SUPPLIERS, name="supplier"),
            coded_labels(supplier=suppliers, sku=skus),
            coded_labels(
                supplier=(d.SUPPLIERS, d.offer_supplier[at]),
                sku=(d.SKUS, d.offer_sku[at]),
                segment=(np.arange(int(d.segment_index.max(initial=0)) + 1), d.segment_index),
            ),
            coded_labels(
                supplier=(d.SUPPLIERS, d.offer_supplier[by]),
                sku=(d.SKUS, d.offer_sku[by]),
                market=(d.MARKETS, d.shipment_market),
            ),
        )


ALL = pd.Index(["all"])
"""The label of a family's one row (a total)."""


def build_suppliers(
    instance: Instance,
    config: SuppliersConfig | None = None,
    data: SuppliersData | None = None,
    model: pyo.ConcreteModel | None = None,
    name: str = "suppliers",
) -> SuppliersModel:
    """Build the supplier selection MILP on the block ``model.<name>`` (``model.suppliers``):
    variables, then the families of ``models/suppliers.md`` by name, then the objective.

    ``data`` is the model's data when already prepared (the registry's check step); ``None``
    prepares it here. ``model`` is a model to add the block to (e.g. a composed model,
    :mod:`cbecopt.compose`); ``None`` makes a new one.
    """
    config = (config or SuppliersConfig()).resolved(instance)
    d = data if data is not None else SuppliersData.from_instance(instance, config)
    labels = SupplierLabels.of(d)
    m = model if model is not None else pyo.ConcreteModel(name=f"suppliers[{instance.name}]")
    b = pyo.Block()
    m.add_component(name, b)
    use_supplier = add_var_family(
        b,
        "use_supplier",
        d.SUPPLIERS,
        domain=pyo.Binary,
        labels=labels.suppliers,
        doc="w_s: supplier s is used",
    )
    use_offer = add_var_family(
        b,
        "use_offer",
        d.OFFERS,
        domain=pyo.Binary,
        labels=labels.offers,
        doc="u_o: offer o is used",
    )
    purchase = add_var_family(
        b,
        "purchase",
        d.OFFERS,
        upper=d.upper,
        labels=labels.offers,
        doc="q_o: units bought on offer o",
    )
    segment_quantity = add_var_family(
        b,
        "segment_quantity",
        d.SEGMENTS,
        upper=d.segment_to,
        labels=labels.segments,
        doc="y_or: units bought in price segment r",
    )
    segment_used = add_var_family(
        b,
        "segment_used",
        d.SEGMENTS,
        domain=pyo.Binary,
        labels=labels.segments,
        doc="z_or: segment r is the price (all-units) or reached (incremental)",
    )
    inspected = add_var_family(
        b,
        "inspected",
        [d.OFFERS[o] for o in d.inspectable],
        labels=labels.offers[d.inspectable],
        doc="i_o: units of offer o inspected",
    )
    shipment = (
        add_var_family(
            b,
            "shipment",
            d.SHIPMENTS,
            labels=labels.shipments,
            doc="x_oj: units of offer o shipped to market j",
        )
        if d.SHIPMENTS
        else None
    )
    fix_supplier_selection(d, use_supplier)
    placed = add_placed(b, d, labels)
    bought = purchase if placed is None else purchase + placed
    add_demand_met(b, d, config, purchase, shipment, placed)
    add_family(
        b,
        "purchase_segments",
        purchase - segment_quantity.sum(by=["supplier", "sku"]) == _zero(labels.offers),
        doc="q_o = sum_r y_or",
    )
    add_all_units_segments(b, d, use_offer, segment_quantity, segment_used)
    add_incremental_segments(b, d, use_offer, segment_quantity, segment_used)
    minimum_quantity_if_used(
        b, "min_order", purchase, use_offer, purchase.keyed(d.min_order)[d.min_order > 0]
    )
    use_only_if_open(b, "offer_supplier", use_offer, use_supplier, doc="u_o <= w_s")
    capacity = use_supplier.keyed(d.supplier_capacity)
    capacity_if_open(
        b,
        "supplier_capacity",
        purchase.sum(by="supplier"),
        capacity[np.isfinite(d.supplier_capacity)],
        use_supplier,
        doc="sum q_o <= C_s w_s",
    )
    if len(inspected):
        add_family(b, "inspection_limit", inspected <= purchase[inspected.labels], doc="i_o <= q_o")
    fakes = _counterfeit(d, purchase, inspected, np.ones(len(d.OFFERS)))
    if config.max_counterfeit_rate is not None:
        average_rate_cap(
            b,
            "counterfeit_cap",
            _with_placed(d, fakes, placed, d.counterfeit_rate).sum(by="sku"),
            bought.sum(by="sku"),
            config.max_counterfeit_rate,
            doc="average counterfeit rate <= cap",
        )
    if config.min_brand_direct_share is not None:
        average_rate_cap(
            b,
            "brand_direct_share",
            _with_placed(d, purchase.keyed(d.brand_direct) * purchase, placed, d.brand_direct).sum(
                by="sku"
            ),
            bought.sum(by="sku"),
            config.min_brand_direct_share,
            at_least=True,
            doc="brand-direct share >= beta",
        )
    if config.max_late_rate is not None:
        average_rate_cap(
            b,
            "late_cap",
            _with_placed(d, purchase.keyed(d.late_rate) * purchase, placed, d.late_rate).sum(
                by="sku"
            ),
            bought.sum(by="sku"),
            config.max_late_rate,
            doc="late rate <= cap",
        )
    if config.max_suppliers is not None:
        add_family(
            b,
            "max_suppliers",
            stacked(ALL, [use_supplier.terms().parts]) <= int(config.max_suppliers),
            doc="sum w_s <= N",
        )
    if config.max_supplier_share is not None:
        share = config.max_supplier_share
        add_family(
            b,
            "supplier_share",
            purchase - share * purchase.sum(by="sku") <= 0.0,
            doc="q_o <= sigma sum_k q",
        )
    cost = _cost_terms(d, use_supplier, purchase, segment_quantity, inspected, shipment)
    counterfeit = nonempty(fakes.parts)
    if config.counterfeit_limit is not None:
        add_family(
            b,
            "counterfeit_limit",
            stacked(ALL, [counterfeit]) <= config.counterfeit_limit,
            doc="expected counterfeit units <= epsilon",
        )
    if config.cost_limit is not None:
        add_family(
            b, "cost_limit", stacked(ALL, [cost]) <= config.cost_limit, doc="landed cost <= C"
        )
    if config.objective == "counterfeit":
        tie_break = [Terms(t.family, t.row, t.position, t.coef * config.cost_weight) for t in cost]
        b.total_cost = linear_objective([*counterfeit, *(tie_break if config.cost_weight else ())])
    else:
        penalty = _counterfeit(d, purchase, inspected, d.penalty[d.offer_sku])
        b.total_cost = linear_objective([*cost, *nonempty(penalty.parts)])
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
        placed,
        cost,
        counterfeit,
        b,
    )


def fix_supplier_selection(d: SuppliersData, use_supplier: VarFamily) -> None:
    """Hold by bounds what is already decided: a supplier with units ordered is used
    (:attr:`SuppliersData.qualified`), a frozen selection at its 0 or 1."""
    qualified = np.flatnonzero(d.qualified)
    if len(qualified):
        use_supplier.set_bounds(qualified, lower=np.ones(len(qualified)))
    if d.frozen_use is not None:
        frozen = np.flatnonzero(~np.isnan(d.frozen_use))
        if len(frozen):
            value = d.frozen_use[frozen]
            use_supplier.set_bounds(frozen, lower=value, upper=value)


def add_placed(b: pyo.Block, d: SuppliersData, labels: SupplierLabels) -> VarFamily | None:
    """``P_o``: the units already bought on each offer with placed orders, a variable held at
    its value by its bounds (no cost: the price is sunk); ``None`` without placed orders."""
    if d.placed is None or not (d.placed > 0).any():
        return None
    ordered = np.flatnonzero(d.placed > 0)
    units = d.placed[ordered]
    placed = add_var_family(
        b,
        "placed",
        [d.OFFERS[o] for o in ordered],
        upper=units,
        labels=labels.offers[ordered],
        doc="P_o: units already bought on offer o (fixed)",
    )
    placed.set_bounds(np.arange(len(ordered)), lower=units)
    return placed


def _with_placed(
    d: SuppliersData, terms: LinearTerms, placed: VarFamily | None, rate: np.ndarray
) -> LinearTerms:
    """``terms`` (per offer) plus each placed unit at its offer's ``rate`` (per offer)."""
    if placed is None:
        return terms
    ordered = np.asarray(rate, float)[d.placed > 0]
    return terms + placed.keyed(ordered) * placed


def _zero(index: pd.Index) -> pd.Series:
    return pd.Series(0.0, index=index)


def _counterfeit(
    d: SuppliersData, purchase: VarFamily, inspected: VarFamily, weight: np.ndarray
) -> LinearTerms:
    """Expected counterfeit units per offer, each times ``weight[o]``
    (:func:`expected_counterfeit`)."""
    return expected_counterfeit(
        purchase, inspected, weight * d.counterfeit_rate, (weight * d.inspected_rate)[d.inspectable]
    )


def expected_counterfeit(
    purchase: VarFamily, inspected: VarFamily, rate: np.ndarray, inspected_rate: np.ndarray
) -> LinearTerms:
    """Expected counterfeit units per offer, r_o q_o - (r_o - r'_o) i_o: ``rate`` per offer,
    ``inspected_rate`` per inspected offer (both may be weighted, e.g. by a penalty); the
    ``network`` model prices its purchases through this function."""
    caught = inspected.keyed(rate[_positions(purchase, inspected)] - inspected_rate)
    return purchase.keyed(rate) * purchase - caught * inspected


def _positions(family: VarFamily, subset: VarFamily) -> np.ndarray:
    """The position in ``family`` of each variable of ``subset`` (keyed by some of its labels)."""
    return family.labels.get_indexer(subset.labels)


def _cost_terms(
    d: SuppliersData, use_supplier, purchase, segment_quantity, inspected, shipment
) -> tuple[Terms, ...]:
    """Landed cost: fixed + price + tax + inspection + freight (no counterfeit penalty); the
    fixed cost of a supplier with units already ordered is sunk, not charged again."""
    parts = [
        *fixed_cost_if_used(use_supplier, use_supplier.keyed(d.fixed_cost * ~d.qualified)),
        *(segment_quantity.keyed(d.unit_price) * segment_quantity).parts,
        *(purchase.keyed(d.tax[d.offer_sku]) * purchase).parts,
        *(inspected.keyed(d.inspection_cost[d.inspectable]) * inspected).parts,
    ]
    if shipment is not None:
        parts.extend((shipment.keyed(d.freight) * shipment).parts)
    return nonempty(parts)


def add_demand_met(
    b: pyo.Block,
    d: SuppliersData,
    config: SuppliersConfig,
    purchase: VarFamily,
    shipment: VarFamily | None,
    placed: VarFamily | None = None,
) -> None:
    """Every SKU's demand is bought, exactly or at least (per market when freight is modelled,
    with what an offer ships split from what it supplies); units already bought (``placed``,
    :math:`P_o`) count: exact demand buys :math:`\\max(D_k, P_k)` in all, so nothing more once
    the placed units cover it, and they ship like the units bought now.

    .. math::
        \\sum_{o \\in O_k} (q_o + P_o) \\;(=, \\ge)\\; D_k
        \\quad\\text{or}\\quad \\sum_{o \\in O_k} x_{oj} \\;(=, \\ge)\\; D_{jk},
        \\;\\; \\sum_j x_{oj} = q_o + P_o
    """
    at_least = config.demand != "exact"
    bought = purchase if placed is None else purchase + placed
    if shipment is None:
        demand = np.maximum(d.demand[0], 0.0 if at_least else d.placed_by_sku)
        demand_satisfaction(
            b,
            "demand_met",
            bought.sum(by="sku"),
            pd.Series(demand, index=pd.Index(d.SKUS, name="sku")),
            at_least=at_least,
            doc="bought = D",
        )
        return
    # rows (market, SKU) with demand, SKU by SKU
    by_sku = d.demand.T
    sku, market = np.nonzero(by_sku > 0)
    wanted = coded_labels(market=(d.MARKETS, market), sku=(d.SKUS, sku))
    demand_satisfaction(
        b,
        "demand_met",
        shipment.sum(by=["market", "sku"]),
        pd.Series(by_sku[sku, market], index=wanted),
        at_least=at_least,
        doc="shipped = D_jk",
    )
    add_family(
        b,
        "shipment_split",
        shipment.sum(by=["supplier", "sku"]) - bought == _zero(purchase.labels),
        doc="sum_j x_oj = q_o (+ P_o)",
    )


def add_all_units_segments(
    b: pyo.Block, d: SuppliersData, use_offer, segment_quantity, segment_used
) -> None:
    """All-units discount on the offers whose discount is ``all_units``
    (:func:`add_all_units_rows`)."""
    all_units = d.discount[d.segment_offer] == "all_units"
    if not all_units.any():
        return
    segments = segment_quantity.labels[all_units]
    add_all_units_rows(
        b,
        use_offer,
        segment_quantity,
        segment_used,
        pd.Series(d.segment_from[all_units], index=segments),
        pd.Series(d.segment_to[all_units], index=segments),
    )


def add_all_units_rows(
    b: pyo.Block,
    use_offer: VarFamily,
    segment_quantity: VarFamily,
    segment_used: VarFamily,
    lower: pd.Series,
    upper: pd.Series,
) -> None:
    """All-units discount: one segment prices every unit, and its quantity lies in its range.
    ``lower`` and ``upper`` (keyed by supplier, sku, segment) name the segments priced so;
    the ``network`` model adds the same rows through this function.

    .. math::
        a_{or} z_{or} \\le y_{or} \\le b_{or} z_{or}, \\qquad \\sum_r z_{or} \\le u_o
        \\qquad \\forall o \\in O^{all}
    """
    minimum_quantity_if_used(
        b, "segment_lower", segment_quantity, segment_used, lower, doc="y_or >= a_or z_or"
    )
    use_only_if_open(
        b, "segment_upper", segment_quantity, segment_used, upper, doc="y_or <= b_or z_or"
    )
    use_only_if_open(
        b,
        "one_price",
        segment_used[lower.index].sum(by=["supplier", "sku"]),
        use_offer,
        doc="sum_r z_or <= u_o",
    )


def add_incremental_segments(
    b: pyo.Block, d: SuppliersData, use_offer, segment_quantity, segment_used
) -> None:
    """Incremental discount on the offers whose discount is ``incremental``
    (:func:`add_incremental_rows`)."""
    incremental = d.discount[d.segment_offer] == "incremental"
    if not incremental.any():
        return
    width = pd.Series(d.segment_to - d.segment_from, index=segment_quantity.labels)
    add_incremental_rows(b, use_offer, segment_quantity, segment_used, width[incremental])


def add_incremental_rows(
    b: pyo.Block,
    use_offer: VarFamily,
    segment_quantity: VarFamily,
    segment_used: VarFamily,
    width: pd.Series,
) -> None:
    """Incremental discount: each slice is bought at its own price, and only after the one below is full.
    ``width`` (keyed by supplier, sku, segment; an offer's slices in order, consecutively, one
    step apart on the key column ``segment``) names the slices priced so; the ``network``
    model adds the same rows through this function.

    .. math::
        y_{or} \\le (b_{or} - a_{or}) z_{or}, \\quad y_{o,r-1} \\ge (b_{o,r-1} - a_{o,r-1}) z_{or},
        \\quad z_{o0} \\le u_o \\qquad \\forall o \\in O^{inc}
    """
    use_only_if_open(
        b, "slice_upper", segment_quantity, segment_used, width, doc="y_or <= (b - a)_or z_or"
    )
    by_offer = width.groupby(level=["supplier", "sku"], sort=False)
    later = by_offer.cumcount().to_numpy() > 0
    below = by_offer.shift(1)[later]
    add_family(
        b,
        "slice_order",
        segment_quantity.shift("segment")[below.index] >= below * segment_used[below.index],
        doc="y_o,r-1 >= (b - a)_o,r-1 z_or",
    )
    first = width.index[~later]
    use_only_if_open(b, "slice_start", segment_used[first], use_offer, doc="z_o0 <= u_o")


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
    sources = skus["sku"].map(by_sku["supplier"].agg(lambda s: ";".join(s)))
    skus["sources"] = sources.astype(object).fillna("")  # nothing bought: float NaN
    units = np.bincount(d.offer_supplier, weights=q, minlength=len(d.SUPPLIERS))
    suppliers = pd.DataFrame(
        {
            "supplier": d.SUPPLIERS,
            "supplier_type": d.supplier_type,
            "used": used_supplier,
            "fixed_cost": d.fixed_cost * used_supplier * ~d.qualified,
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
        "units_placed": float(d.placed_by_sku.sum()),
        "committed_cost": d.committed_cost,
        "demand": built.config.demand,
    }
    plan = {"purchases": purchases, "skus": skus, "suppliers": suppliers}
    if built.shipment is not None:
        x = np.clip(values_of(built.shipment), 0.0, None)
        shipped = np.flatnonzero(x > 1e-9)
        plan["shipments"] = pd.DataFrame(
            {
                "supplier": [d.SHIPMENTS[i][0] for i in shipped],
                "sku": [d.SHIPMENTS[i][1] for i in shipped],
                "market": [d.SHIPMENTS[i][2] for i in shipped],
                "quantity": x[shipped],
                "freight": d.freight[shipped] * x[shipped],
            }
        )
    return plan, kpis
