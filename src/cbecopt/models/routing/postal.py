"""The postal articles rate of each SKU the routing model plans, from its class.

A product states its class by ``postal_category`` (a class of the rule set, or goods the rule
set names) or by ``postal_rate``; one that states neither is in the class of goods subject to
consumption tax when it bears consumption tax (:func:`cbecopt.tax.postal_class`), and
otherwise cannot be planned (food is 13%, ordinary goods 20%: the rates do not tell). A stated
class below the consumption-taxed class for a consumption-taxed product is kept, with a
warning naming the row.
"""

from __future__ import annotations

import pandas as pd

from cbecopt.errors import OptionError, Problem
from cbecopt.instance import Instance
from cbecopt.tax import postal_class
from cbecopt.tax_rules import TaxRules


def postal_rates(
    instance: Instance, products: pd.DataFrame, rules: TaxRules
) -> tuple[pd.Series, list[Problem], list[str]]:
    """Each product's postal rate (aligned with ``products``), the problems that leave a
    product without one, and the warnings of classes that contradict the consumption tax."""
    network = instance.network
    has_category = network.has_column("products", "postal_category")
    named = "postal_category" if has_category else "postal_rate"
    rates, problems, warnings = {}, [], []
    for idx, row in products.iterrows():
        category = _stated(row.get("postal_category")) if has_category else None
        rate = _stated(row.get("postal_rate"))
        try:
            if category is not None and rate is not None:
                problem = _disagreement(rules, category, float(rate))
                if problem:
                    problems.append(instance.problem("products", problem, idx, "postal_category"))
                    continue
                rate = None
            found = postal_class(rules, float(row["consumption_tax_rate"]), category, rate)
        except OptionError as exc:
            problems.append(instance.problem("products", str(exc), idx, named))
            continue
        if found is None:
            problems.append(
                instance.problem(
                    "products",
                    f"the routing model needs the postal class of SKU '{row['sku']}' "
                    "(postal_category, or postal_rate): goods without consumption tax may be "
                    "in any class",
                    idx,
                    named,
                )
            )
            continue
        rates[idx] = found.rate
        if found.warning:
            message = f"SKU '{row['sku']}': {found.warning}"
            warnings.append(str(instance.problem("products", message, idx, named)))
    return pd.Series(rates, dtype=float).reindex(products.index), problems, warnings


def _stated(value):
    """A cell's value, or ``None`` when blank."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _disagreement(rules: TaxRules, category: str, rate: float) -> str | None:
    """Why a row's postal_category and postal_rate disagree, or ``None`` when they agree."""
    name = rules.postal_class(category)
    if rules.postal_rates[name] == rate:
        return None
    return (
        f"postal_category '{category}' is {name} ({rules.postal_rates[name]:.0%}) but "
        f"postal_rate is {rate:g}: give one of them"
    )
