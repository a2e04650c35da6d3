r"""Import tax on a consumer product entering China, under each customs regime.

A CBEC seller can bring a product to a Chinese buyer in three ways, each taxed differently. The
rates and limits come from a dated rule set (:mod:`cbecopt.tax_rules`); the item's own rates
(VAT :math:`v`, ad valorem consumption tax :math:`c`, tariff :math:`t`) are inputs. :math:`V` is
the dutiable value in RMB: for CBEC retail and general trade the price actually paid, freight
and insurance included; for postal articles the value customs assesses.

General trade (goods declared normally; full tax)
    .. math:: T = V t, \quad CT = \frac{(V + T)\, c}{1 - c}, \quad VAT = (V + T + CT)\, v

CBEC retail import (bonded or direct-mail CBEC orders within the limits)
    Tariff at the rule set's ``cbec_tariff`` (0); consumption tax and VAT at ``cbec_discount``
    (70%) of the general-trade amounts:

    .. math:: CT = 0.7 \frac{V c}{1 - c}, \quad VAT = 0.7 \Big(V + \frac{V c}{1 - c}\Big) v,
              \quad \text{comprehensive rate} = 0.7 \frac{v + c}{1 - c}

Postal articles (personal parcels, "xingyoushui")
    One rate in place of tariff, VAT and consumption tax, by class (``postal_13``: books,
    food, IT products, medicines...; ``postal_20``: textiles, appliances, sports goods and
    anything not in the other two; ``postal_50``: tobacco, alcohol, jewellery, golf, high-end
    watches and cosmetics; the full lists are in ``tax_rules.toml``). Tax :math:`V r`, not
    collected when it is ``postal_exemption`` (RMB 50) or less. The class comes from the goods
    (:func:`postal_class`): a stated class or named goods, else the class of goods subject to
    consumption tax (``postal_consumption_taxed``, 50%) when the item bears consumption tax;
    without either, the class cannot be told from the rates (food is 13%, ordinary goods 20%)
    and must be stated.

Order-value rules
    These decide which regime an order may use. The routing model applies them as
    preprocessing (which regimes are open to an order, and at what tax), not as constraints:

    * CBEC, more than one item and a value above ``cbec_single_limit`` (RMB 5,000): not
      allowed; the order is taxed in full as general trade.
    * CBEC, a single (indivisible) item above ``cbec_single_limit``: allowed, but pays full
      tariff, consumption tax and VAT (the general-trade amounts); its value counts towards the
      buyer's annual total.
    * CBEC, an order that would take the buyer's annual CBEC total above
      ``cbec_annual_limit`` (RMB 26,000): taxed in full as general trade (the whole order, not
      just the excess). Values at a limit are within it.
    * Postal, a parcel above ``postal_value_limit`` (RMB 1,000): not allowed when it holds more
      than one item (customs returns it or clears it as goods); a single indivisible item above
      the ceiling is allowed as personal articles, subject to customs accepting it is for
      personal use. A parcel that is not allowed still shows its postal tax, as the regulation
      names no tax for it.

Rounding
    The functions compute in :mod:`decimal` (34 digits) from the decimal form of each
    input (``0.13`` is exactly 13%), so results are exact to the fen. Each tax (tariff,
    consumption tax, VAT, postal tax) is rounded half up to 2 decimals once, at the end of its
    computation; a total is the sum of its rounded taxes, as each tax is assessed and paid in
    fen. The postal exemption compares the rounded tax.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

from cbecopt.errors import OptionError
from cbecopt.tax_rules import TaxRules

FEN = Decimal("0.01")
_PRECISION = 34


class Regime(StrEnum):
    """How an order is actually taxed."""

    CBEC = "cbec"
    CBEC_FULL_TAX = "cbec_full_tax"
    POSTAL = "postal"
    GENERAL_TRADE = "general_trade"


@dataclass(frozen=True)
class TaxAmounts:
    """Tariff, consumption tax and VAT on one order, RMB rounded to the fen; ``total`` their sum."""

    tariff: float
    consumption_tax: float
    vat: float
    total: float


@dataclass(frozen=True)
class PostalTax:
    """Postal articles tax on one parcel: ``assessed`` at ``rate``, ``total`` after the exemption."""

    rate: float
    assessed: float
    exempt: bool
    total: float


@dataclass(frozen=True)
class PostalClass:
    """The postal articles class of an item: ``name`` (``None`` for a stated rate that is no
    class of the rule set), its ``rate``, ``basis`` (how it was chosen) and ``warning`` (a
    stated class that contradicts the item's consumption tax; empty when none)."""

    name: str | None
    rate: float
    basis: str
    warning: str = ""


@dataclass(frozen=True)
class CbecOrderTax:
    """The regime a CBEC order is actually taxed under, its tax, and why (empty when plain)."""

    regime: Regime
    tax: TaxAmounts
    reason: str


def general_trade_tax(
    value: float, vat: float, consumption_tax: float, tariff: float
) -> TaxAmounts:
    """Full tariff, consumption tax and VAT on dutiable value ``value`` (general trade)."""
    return _levied(
        _money("value", value),
        _rate("VAT rate", vat),
        _rate("consumption tax rate", consumption_tax),
        _tariff(tariff),
        share=Decimal(1),
    )


def cbec_retail_tax(
    value: float, vat: float, consumption_tax: float, rules: TaxRules
) -> TaxAmounts:
    """Tax on a CBEC retail order within the limits: the preferential tariff and shares of VAT/CT.

    The limits are not checked here; :func:`cbec_order_tax` applies them.
    """
    return _levied(
        _money("value", value),
        _rate("VAT rate", vat),
        _rate("consumption tax rate", consumption_tax),
        _decimal(rules.cbec_tariff),
        share=_decimal(rules.cbec_discount),
    )


def postal_tax(value: float, postal_rate: float, rules: TaxRules) -> PostalTax:
    """Postal articles tax on a parcel of value ``value``, with the small-amount exemption."""
    v, r = _money("value", value), _rate("postal rate", postal_rate)
    assessed = _fen(v * r)
    exempt = assessed <= _decimal(rules.postal_exemption)
    return PostalTax(
        rate=float(r),
        assessed=float(assessed),
        exempt=exempt,
        total=0.0 if exempt else float(assessed),
    )


def postal_class(
    rules: TaxRules,
    consumption_tax: float,
    category: str | None = None,
    rate: float | None = None,
) -> PostalClass | None:
    """The postal class of an item from what is stated of it, or from its consumption tax.

    A stated ``category`` (a class, or goods the rule set names) or ``rate`` is used as
    stated; goods with consumption tax and neither are in ``rules.postal_consumption_taxed``
    (high-end cosmetics, jewellery, high-end watches...). Without consumption tax and without
    either there is no telling (food is 13%, ordinary goods 20%): ``None``.

    A stated class below the consumption-taxed class for an item with consumption tax is kept
    (consumption tax is also levied on goods the 50% class does not list, such as cars or
    batteries) with a ``warning``; the 50% class without consumption tax is not contradictory
    (gold jewellery and beer pay no ad valorem consumption tax on import).

    Raises
    ------
    OptionError
        Both ``category`` and ``rate`` given, an unknown ``category``, or a rate or
        consumption tax outside [0, 1).
    """
    ct = _rate("consumption tax rate", consumption_tax)
    taxed = rules.postal_consumption_taxed
    if category is not None and rate is not None:
        raise OptionError(
            "give the postal rate or the postal category, not both (the category gives the rate)"
        )
    if category is not None:
        name = rules.postal_class(category)
        stated = PostalClass(
            name,
            rules.postal_rates[name],
            f"'{category}' is {name}" if name != category.strip() else f"class {name} as stated",
        )
    elif rate is not None:
        r = float(_rate("postal rate", rate))
        classes = [c for c, class_rate in rules.postal_rates.items() if class_rate == r]
        stated = PostalClass(classes[0] if classes else None, r, "rate as stated")
    elif ct > 0:
        return PostalClass(taxed, rules.postal_rates[taxed], "goods subject to consumption tax")
    else:
        return None
    if ct > 0 and stated.rate < rules.postal_rates[taxed]:
        warning = (
            f"{stated.name or 'the stated postal rate'} ({stated.rate:.0%}) for goods subject to "
            f"consumption tax ({float(ct):.0%}), which are in {taxed} "
            f"({rules.postal_rates[taxed]:.0%}) unless that class does not list them: kept as "
            "stated"
        )
        return dataclasses.replace(stated, warning=warning)
    return stated


def postal_allowed(value: float, items: int, rules: TaxRules) -> tuple[bool, str]:
    """Whether a parcel may clear as personal articles, and why not (or on what condition)."""
    v, n = _money("value", value), _items(items)
    limit = _decimal(rules.postal_value_limit)
    if v <= limit:
        return True, ""
    if n > 1:
        return False, (
            f"parcel of {n} items above the personal-articles ceiling {_rmb(limit)}: "
            "returned or cleared as goods"
        )
    return True, (
        f"single indivisible item above the personal-articles ceiling {_rmb(limit)}: "
        "clears as personal articles only if customs accepts it is for personal use"
    )


def cbec_order_tax(
    order_value: float,
    items: int,
    rules: TaxRules,
    vat: float,
    consumption_tax: float,
    tariff: float,
    annual_used: float = 0.0,
) -> CbecOrderTax:
    """The tax on an order sent through the CBEC channel, after the order-value rules.

    Parameters
    ----------
    order_value : float
        Dutiable value of the whole order, RMB.
    items : int
        Number of items in the order (1 for a single indivisible item).
    rules : TaxRules
        The rule set in force.
    vat, consumption_tax, tariff : float
        The goods' statutory rates (fractions).
    annual_used : float
        The buyer's CBEC purchases earlier in the same calendar year, RMB.

    Returns
    -------
    CbecOrderTax
        ``Regime.CBEC`` (preferential), ``Regime.CBEC_FULL_TAX`` (single item above the
        single-transaction limit) or ``Regime.GENERAL_TRADE`` (the order may not use CBEC), with
        the tax and the reason.
    """
    value, n = _money("value", order_value), _items(items)
    used = _money("annual CBEC purchases", annual_used)
    single, annual = _decimal(rules.cbec_single_limit), _decimal(rules.cbec_annual_limit)
    full = general_trade_tax(order_value, vat, consumption_tax, tariff)
    if value > single and n > 1:
        reason = (
            f"order of {n} items above the single-transaction limit {_rmb(single)}: "
            "not allowed through CBEC, taxed in full as general trade"
        )
        return CbecOrderTax(Regime.GENERAL_TRADE, full, reason)
    if used + value > annual:
        reason = (
            f"the buyer's annual CBEC total would reach {_rmb(used + value)}, above the annual "
            f"limit {_rmb(annual)}: taxed in full as general trade"
        )
        return CbecOrderTax(Regime.GENERAL_TRADE, full, reason)
    if value > single:
        reason = (
            f"single indivisible item above the single-transaction limit {_rmb(single)}: "
            "through CBEC, but full tariff, consumption tax and VAT"
        )
        return CbecOrderTax(Regime.CBEC_FULL_TAX, full, reason)
    return CbecOrderTax(Regime.CBEC, cbec_retail_tax(order_value, vat, consumption_tax, rules), "")


def landed_taxes(
    value: float,
    vat: float,
    consumption_tax: float,
    tariff: float,
    postal: PostalClass,
    rules: TaxRules,
    *,
    items: int = 1,
    annual_used: float = 0.0,
) -> dict[str, dict]:
    """The tax on one order under each regime, ready for a table or JSON.

    ``postal`` is the goods' postal class (:func:`postal_class`).

    Returns
    -------
    dict
        ``cbec``, ``postal`` and ``general_trade``, each a dict with ``allowed`` (may the order
        use the regime), ``reason`` (why not, or on what condition; empty when plain) and
        ``total``. ``cbec`` and ``general_trade`` add ``tariff``, ``consumption_tax`` and
        ``vat``; ``cbec`` adds ``applied``, the regime the order is actually taxed under
        through the CBEC channel (its amounts are that regime's). ``postal`` adds ``rate``,
        ``category`` (the class, or ``None`` for a stated rate that is no class of the rule
        set), ``basis`` (how the class was chosen), ``warning`` (a class contradicting the
        consumption tax; empty when none), ``assessed`` (the tax before the exemption) and
        ``exempt``.
    """
    order = cbec_order_tax(value, items, rules, vat, consumption_tax, tariff, annual_used)
    postal_amounts = postal_tax(value, postal.rate, rules)
    allowed, reason = postal_allowed(value, items, rules)
    return {
        Regime.CBEC.value: {
            "applied": order.regime.value,
            "allowed": order.regime != Regime.GENERAL_TRADE,
            "reason": order.reason,
            **asdict(order.tax),
        },
        Regime.POSTAL.value: {
            "allowed": allowed,
            "reason": reason,
            "category": postal.name,
            "basis": postal.basis,
            "warning": postal.warning,
            **asdict(postal_amounts),
        },
        Regime.GENERAL_TRADE.value: {
            "allowed": True,
            "reason": "",
            **asdict(general_trade_tax(value, vat, consumption_tax, tariff)),
        },
    }


def _levied(
    value: Decimal, vat: Decimal, consumption_tax: Decimal, tariff: Decimal, share: Decimal
) -> TaxAmounts:
    """Tariff, consumption tax and VAT in exact decimals, each rounded to the fen; the total
    their sum.

    ``CT = share (V + T) c / (1 - c)`` and ``VAT = share (V + T + CT) v``, the latter computed as
    ``share (V + T) v / (1 - c)`` (the same amount, as ``V + T + CT = (V + T) / (1 - c)`` before
    the share): products first and one division last, so an amount that is exactly a half fen
    stays exact and rounds up.
    """
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        tariff_amount = value * tariff
        base = share * (value + tariff_amount)
        free = 1 - consumption_tax
        parts = [_fen(x) for x in (tariff_amount, base * consumption_tax / free, base * vat / free)]
    return TaxAmounts(*(float(p) for p in parts), total=float(sum(parts)))


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _decimal(x: float) -> Decimal:
    """The decimal a number was written as (``0.13`` is exactly 0.13, not its binary neighbour)."""
    return Decimal(str(x))


def _number(name: str, x: float) -> Decimal:
    if isinstance(x, bool) or not isinstance(x, numbers.Real | Decimal) or not math.isfinite(x):
        raise OptionError(f"{name} must be a finite number, got {x!r}")
    return _decimal(x)


def _money(name: str, x: float) -> Decimal:
    amount = _number(name, x)
    if amount < 0:
        raise OptionError(f"{name} must be 0 or more, got {x}")
    return amount


def _rate(name: str, x: float) -> Decimal:
    rate = _number(name, x)
    if not 0 <= rate < 1:
        raise OptionError(f"{name} must be in [0, 1) (a fraction: 0.13 for 13%), got {x}")
    return rate


def _tariff(x: float) -> Decimal:
    """A tariff rate: 0 or more; above 1 is lawful (general rates, additional tariffs)."""
    return _money("tariff rate", x)


def _items(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise OptionError(f"items must be a whole number of at least 1, got {n!r}")
    return int(n)


def _rmb(amount: Decimal) -> str:
    return f"RMB {amount:,.0f}" if amount == amount.to_integral_value() else f"RMB {amount:,.2f}"
