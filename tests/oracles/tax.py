"""The CBEC comprehensive tax rate, a closed form of the rules (test oracle, not part of cbecopt).

Under CBEC retail the tariff is ``cbec_tariff`` (0) and consumption tax and VAT are
``cbec_discount`` (70%) of the general-trade amounts, so the tax on an order of value ``V`` is,
before rounding to the fen, ``V`` times the comprehensive rate

.. math:: t + s (1 + t) \\frac{v + c}{1 - c}

(``s`` the discount, ``t`` the CBEC tariff, ``v`` VAT, ``c`` consumption tax): 9.1% for
ordinary goods at 13% VAT, 23.06% for cosmetics at 13% VAT and 15% consumption tax, as the
customs guidance publishes them.
"""

from __future__ import annotations

from cbecopt.tax_rules import TaxRules


def cbec_comprehensive_rate(vat: float, consumption_tax: float, rules: TaxRules) -> float:
    """Tax on a CBEC retail order within the limits as a share of its value, unrounded."""
    tariff, share = rules.cbec_tariff, rules.cbec_discount
    return tariff + share * (1 + tariff) * (vat + consumption_tax) / (1 - consumption_tax)
