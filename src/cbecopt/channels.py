"""Which import channels each SKU may use, and the tax per unit on each: the routing model's
order-value preprocessing.

Four channels bring a product to a Chinese buyer:

``bonded`` (customs mode 1210)
    bulk shipment into a bonded warehouse, duty suspended; each retail order is cleared and
    taxed as CBEC retail when released, then delivered domestically;
``cbec_direct`` (9610)
    one parcel per order from abroad, taxed as CBEC retail;
``postal``
    a personal parcel taxed at the postal articles rate, with the RMB 50 exemption;
``general_trade``
    normal import in bulk into a duty-paid domestic warehouse (node kind
    ``domestic_warehouse``), with full tariff, VAT and consumption tax on the customs value,
    then domestic delivery per order. Open to a SKU only where registration allows it
    (``general_trade_allowed``).

A SKU's typical order holds ``units_per_order`` items of dutiable value ``declared_value``
each. The order-value rules of :mod:`cbecopt.tax` decide, per SKU, what an order may use:
above the CBEC single-transaction limit a multi-item order cannot use either CBEC channel; a
single item above it may, at full tax; a multi-item postal parcel above the postal value
ceiling is not allowed. The positive list (``bonded_allowed``, ``cbec_allowed``) closes the
CBEC channels for SKUs not on it; postal is not list-restricted. The tax of one order, divided
by its items, is the tax per unit the model charges. General trade is taxed per unit at import
on the customs value (:func:`general_trade_unit_tax`), which depends on the inbound lane. The CBEC annual
limit per buyer is not modelled (buyers are assumed within their annual quota).
"""

from __future__ import annotations

import pandas as pd

from cbecopt.tax import (
    Regime,
    TaxAmounts,
    cbec_order_tax,
    general_trade_tax,
    postal_allowed,
    postal_tax,
)
from cbecopt.tax_rules import TaxRules

CHANNELS = ("bonded", "cbec_direct", "postal", "general_trade")
"""The four ways into China, in the order the model and its tables use."""

DIRECT_MODES = {
    "cbec_parcel": "cbec_direct",
    "postal_parcel": "postal",
}
"""Lane modes from an origin straight to a market, and the channel each is. General trade is
no per-order lane: goods go in bulk into a ``domestic_warehouse`` (``PER_ORDER_GENERAL_TRADE``
names the mode refused)."""

PER_ORDER_GENERAL_TRADE = "general_trade"
"""The lane mode of the old per-order general-trade lanes, refused with a clear error."""

DIRECT_MAIL = ("cbec_direct", "postal")
"""Channels whose customers wait for a parcel from abroad (the wait share applies)."""

REGISTRATION_CATEGORIES = ("infant_formula", "cosmetics")
"""Product categories that need registration before general-trade import (infant formula
recipe registration with SAMR; cosmetics registration or filing with NMPA): a blank
``general_trade_allowed`` is 0 for them and 1 for every other category."""

INSURANCE_RATE = 0.003
"""Insurance counted in the customs value when not known: 3 per mille of the goods' price plus
freight (GACC Decree No. 213, the Measures for Determining the Customs Value of Imported and
Exported Goods, 2013)."""

TAX_PARTS = ("duty", "consumption_tax", "vat", "postal_tax")
"""The parts of a unit's tax: the tariff, consumption tax and VAT (under the CBEC regime, the
CBEC share of them), and the postal articles tax, a levy of its own; they add up to
``tax_per_unit``."""
CHANNEL_COLUMNS = ("sku", "channel", "allowed", "regime", "tax_per_unit", *TAX_PARTS, "reason")


def channel_terms(products: pd.DataFrame, rules: TaxRules) -> pd.DataFrame:
    """One row per SKU and channel: may the SKU use it, under which tax regime, at what tax per unit.

    ``products`` is the validated products table with the routing columns filled in
    (:func:`routing_products`). The tax per unit is also given in its :data:`TAX_PARTS`
    (general trade: nan, its tax depends on the freight: :func:`general_trade_unit_taxes`).
    """
    rows = []
    for p in products.itertuples(index=False):
        items = int(p.units_per_order)
        order = float(p.declared_value) * items
        rates = (float(p.vat_rate), float(p.consumption_tax_rate), float(p.tariff_rate))
        cbec = cbec_order_tax(order, items, rules, *rates)
        cbec_open = cbec.regime != Regime.GENERAL_TRADE
        for channel, listed, label in (
            ("bonded", p.bonded_allowed, "bonded (1210)"),
            ("cbec_direct", p.cbec_allowed, "direct-mail CBEC (9610)"),
        ):
            reason = cbec.reason
            if not listed:
                reason = f"not on the positive list for {label}"
            rows.append(
                (
                    p.sku,
                    channel,
                    bool(listed) and cbec_open,
                    cbec.regime.value,
                    float(cbec.tax.total) / items,
                    *_per_unit(cbec.tax, items),
                    reason,
                )
            )
        postal_ok, postal_reason = postal_allowed(order, items, rules)
        postal = postal_tax(order, float(p.postal_rate), rules)
        rows.append(
            (
                p.sku,
                "postal",
                postal_ok,
                Regime.POSTAL.value,
                float(postal.total) / items,
                0.0,
                0.0,
                0.0,
                float(postal.total) / items,
                postal_reason,
            )
        )
        general = general_trade_allowed(p.general_trade_allowed, p.category)
        rows.append(
            (
                p.sku,
                "general_trade",
                general,
                Regime.GENERAL_TRADE.value,
                float("nan"),  # per inbound lane: general_trade_unit_taxes
                *[float("nan")] * len(TAX_PARTS),
                "" if general else "needs registration before general-trade import",
            )
        )
    return pd.DataFrame(rows, columns=list(CHANNEL_COLUMNS))


def general_trade_allowed(value, category) -> bool:
    """``general_trade_allowed`` of a product, a blank read by category
    (:data:`REGISTRATION_CATEGORIES`)."""
    if value is not None and not pd.isna(value):
        return bool(value)
    name = str(category or "").strip().lower().replace(" ", "_")
    return name not in REGISTRATION_CATEGORIES


def _per_unit(tax: TaxAmounts, items: int) -> tuple[float, float, float, float]:
    """An order's tax in :data:`TAX_PARTS`, per unit."""
    return tax.tariff / items, tax.consumption_tax / items, tax.vat / items, 0.0


def general_trade_unit_tax(products: pd.DataFrame, k, freight) -> list[float]:
    """Tax per unit imported by general trade (:func:`general_trade_unit_taxes`), in total."""
    return [float(a.total) for a in _general_trade_amounts(products, k, freight)]


def general_trade_unit_taxes(products: pd.DataFrame, k, freight) -> list[tuple[float, ...]]:
    """Tariff, consumption tax and VAT per unit imported by general trade, in
    :data:`TAX_PARTS`, for the SKUs at positions ``k`` of ``products`` brought in at
    ``freight`` per unit: on the customs value, ``customs_value`` where given, else
    (purchase cost + freight) x (1 + :data:`INSURANCE_RATE`)."""
    return [_per_unit(a, 1) for a in _general_trade_amounts(products, k, freight)]


def _general_trade_amounts(products: pd.DataFrame, k, freight) -> list[TaxAmounts]:
    p = products.iloc[list(k)]
    given = p["customs_value"].to_numpy(float)
    value = (p["purchase_cost"].to_numpy(float) + list(freight)) * (1 + INSURANCE_RATE)
    value = [v if pd.isna(g) else g for g, v in zip(given, value, strict=True)]
    return [
        general_trade_tax(float(v), *rates)
        for v, rates in zip(
            value,
            p[["vat_rate", "consumption_tax_rate", "tariff_rate"]].itertuples(index=False),
            strict=True,
        )
    ]
