"""The routing generator's positive lists follow the category, as the published List does.

Cosmetics, infant formula and health supplements are listed goods of the List of
Cross-border E-commerce Retail Imports (2019 edition, MOF and 12 departments Announcement
2019 No. 96) for both bonded (1210) and direct mail (9610); a generated SKU of those
categories off either list would contradict the List, whatever the seed.
"""

from __future__ import annotations

import pytest

from cbecopt.models.routing.generate import generate_routing

LISTED = {"cosmetics", "infant_formula", "health_supplements"}
"""Categories the 2019 List names for both channels (its chapters 33, 19 and 21 entries)."""


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1, 2026])
def test_listed_categories_are_on_both_positive_lists(seed):
    products = generate_routing(300, n_months=1, n_bonded=1, n_markets=1, seed=seed).tables[
        "products"
    ]
    listed = products[products["category"].isin(LISTED)]
    assert len(listed) > 150
    assert (listed["bonded_allowed"] == 1).all() and (listed["cbec_allowed"] == 1).all()
    # the exceptions stay exceptions: a few electronics, never most of them
    electronics = products[products["category"] == "electronics"]
    assert len(electronics) > 0 and electronics["bonded_allowed"].mean() > 0.8
