"""The statutory counterfeit penalty against the statutes' closed forms.

Food Safety Law art. 148 para. 2: refund + max(10 x price, RMB 1,000) for food (infant
formula, supplements); Consumer Rights Protection Law art. 55 para. 1: refund + max(3 x price,
RMB 500) for anything else. The oracle below is the statute's sentence in exact fractions,
written without cbecopt's code.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cbecopt.consumer_law import load_consumer_law, statutory_penalty
from cbecopt.errors import InputError, OptionError
from cbecopt.models.suppliers.data import SuppliersConfig, SuppliersData, counterfeit_penalties
from cbecopt.models.suppliers.generate import generate_suppliers

FOOD = {"infant_formula", "health_supplements", "food"}


def by_statute(category: str | None, price: str) -> Fraction:
    """Refund plus the extra compensation, as the articles word it."""
    paid = Fraction(price)
    if category in FOOD:
        return paid + max(10 * paid, Fraction(1000))  # Food Safety Law art. 148
    return paid + max(3 * paid, Fraction(500))  # Consumer Rights Protection Law art. 55


@pytest.mark.unit
@pytest.mark.parametrize(
    ("category", "price", "expected"),
    [
        ("infant_formula", 327.0, 3597.0),  # 327 + 10 x 327
        ("infant_formula", 50.0, 1050.0),  # 50 + 1,000: the minimum
        ("health_supplements", 100.0, 1100.0),  # 10 x 100 = 1,000: both forms agree
        ("cosmetics", 462.0, 1848.0),  # 462 + 3 x 462
        ("handbags", 100.0, 600.0),  # 100 + 500: the minimum
        (None, 200.0, 800.0),  # no category: art. 55, 3 x 200 = 600 > 500
    ],
)
def test_worked_examples(category, price, expected):
    assert statutory_penalty(category, price) == expected


@pytest.mark.unit
@given(
    st.sampled_from(["infant_formula", "health_supplements", "food", "cosmetics", "handbags"]),
    st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False),
)
def test_every_price_and_category_follows_the_statute(category, price):
    assert statutory_penalty(category, float(price)) == float(by_statute(category, str(price)))


@pytest.mark.unit
def test_categories_ignore_case_and_blanks_and_prices_must_be_amounts():
    assert statutory_penalty(" Infant_Formula ", 50.0) == 1050.0
    with pytest.raises(OptionError, match="price must be"):
        statutory_penalty("food", -1.0)
    with pytest.raises(OptionError, match="price must be"):
        statutory_penalty("food", float("nan"))


@pytest.mark.unit
def test_the_bundled_set_cites_both_articles():
    law = load_consumer_law()
    assert law.effective == dt.date(2015, 10, 1)
    cited = " ".join(law.source)
    assert "Food Safety Law" in cited and "art. 148" in cited
    assert "Consumer Rights" in cited and "art. 55" in cited
    assert load_consumer_law(date="2016-01-01") == law
    with pytest.raises(OptionError, match="no consumer-law rule set in force on 2015-09-30"):
        load_consumer_law(date="2015-09-30")


BROKEN = """
[rules."2015-10-01"]
default = "nowhere"

[rules."2015-10-01".penalties.a]
law = "x"
multiple = -3
minimum = 500
categories = ["food"]

[rules."2015-10-01".penalties.b]
law = "y"
multiple = 10
minimum = 1000
categories = ["Food"]
"""


@pytest.mark.unit
def test_a_broken_file_is_named_by_table_and_key(tmp_path):
    path = tmp_path / "law.toml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_consumer_law(path)
    message = str(caught.value)
    where = f'{path}: [rules."2015-10-01"]'
    assert f"{where} source: missing" in message
    assert f"{where} penalties.a.multiple: must be 0 or more, got -3" in message
    assert f"{where} penalties.b.categories: 'Food' is also in a" in message
    assert f"{where} default: 'nowhere' is not one of the penalties" in message


# --- the suppliers model ------------------------------------------------------------------


def _small(penalty: list | None):
    instance = generate_suppliers(4, 4, seed=1, offers_per_sku=3, n_breaks=2)
    products = instance.tables["products"].assign(counterfeit_penalty=penalty)
    return instance.with_tables(products=products)


@pytest.mark.unit
def test_suppliers_charge_the_statutory_penalty_where_none_is_stated():
    instance = _small([None, 7.0, None, None])
    products = instance.network.products
    found = counterfeit_penalties(products)
    expected = [
        float(by_statute(c, repr(p))) if i != 1 else 7.0
        for i, (c, p) in enumerate(zip(products["category"], products["price"], strict=True))
    ]
    assert found.tolist() == expected
    data = SuppliersData.from_instance(instance, SuppliersConfig().resolved(instance))
    by_sku = dict(zip(products["sku"], expected, strict=True))
    assert data.penalty.tolist() == [by_sku[k] for k in data.SKUS]
    assert np.all(counterfeit_penalties(products, 5.0) == 5.0)  # the option overrides all


@pytest.mark.unit
def test_no_category_or_no_price_means_no_statutory_penalty():
    products = _small(None).network.products.assign(category=[None, " ", "food", "food"])
    products = products.assign(price=[100.0, 100.0, 0.0, 20.0])
    assert counterfeit_penalties(products).tolist() == [0.0, 0.0, 0.0, 1020.0]
