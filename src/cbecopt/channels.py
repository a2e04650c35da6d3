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
    normal import with full tariff, VAT and consumption tax.

A SKU's typical order holds ``units_per_order`` items of dutiable value ``declared_value``
each. The order-value rules of :mod:`cbecopt.tax` decide, per SKU, what an order may use:
above the CBEC single-transaction limit a multi-item order cannot use either CBEC channel; a
single item above it may, at full tax; a multi-item postal parcel above the postal value
ceiling is not allowed. The positive list (``bonded_allowed``, ``cbec_allowed``) closes the
CBEC channels for SKUs not on it; postal and general trade are not list-restricted. The tax of
one order, divided by its items, is the tax per unit the model charges. The CBEC annual
limit per buyer is not modelled (buyers are assumed within their annual quota).
"""

from __future__ import annotations

import pandas as pd

from cbecopt.tax import Regime, cbec_order_tax, general_trade_tax, postal_allowed, postal_tax
from cbecopt.tax_rules import TaxRules

CHANNELS = ("bonded", "cbec_direct", "postal", "general_trade")
"""The four ways into China, in the order the model and its tables use."""

DIRECT_MODES = {
    "cbec_parcel": "cbec_direct",
    "postal_parcel": "postal",
    "general_trade": "general_trade",
}
"""Lane modes from an origin straight to a market, and the channel each is."""

DIRECT_MAIL = ("cbec_direct", "postal")
"""Channels whose customers wait for a parcel from abroad (the wait share applies)."""

CHANNEL_COLUMNS = ("sku", "channel", "allowed", "regime", "tax_per_unit", "reason")


def channel_terms(products: pd.DataFrame, rules: TaxRules) -> pd.DataFrame:
    """One row per SKU and channel: may the SKU use it, under which tax regime, at what tax per unit.

    ``products`` is the validated products table with the routing columns filled in
    (:func:`routing_products`).
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
                postal_reason,
            )
        )
        full = general_trade_tax(float(p.declared_value), *rates)
        rows.append(
            (p.sku, "general_trade", True, Regime.GENERAL_TRADE.value, float(full.total), "")
        )
    return pd.DataFrame(rows, columns=list(CHANNEL_COLUMNS))
