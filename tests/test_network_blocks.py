"""SKU blocks on the network model: the relaxations' bound is below the extensive form's
optimum, and the plan is a plan of the whole model at or above it (an independent solve of
the same instance decides the optimum)."""

import pytest

from cbecopt import SolveOptions, solve
from cbecopt.models.network.generate import generate_network
from cbecopt.sku_split import fixed_cost_shares


@pytest.fixture(scope="module")
def small():
    return generate_network(n_skus=4, n_suppliers=6, n_provinces=3, months=2, seed=7)


@pytest.mark.unit
def test_fixed_cost_shares_add_up_to_each_fixed_cost(small):
    shares = fixed_cost_shares(small)
    offers = small.tables["offers"]
    nodes = small.tables["nodes"].set_index("id")
    for node, row in shares.iterrows():
        assert (row >= 0).all()
        if nodes.loc[node, "kind"] != "supplier":
            assert row.sum() == pytest.approx(1.0)
        else:  # a supplier's cost is split among the SKUs it offers only
            sold = set(offers.loc[offers["supplier"] == node, "sku"])
            assert row.sum() == pytest.approx(1.0 if sold else 0.0)
            assert set(row[row > 0].index) <= sold


@pytest.mark.component
def test_blocks_bound_and_plan_bracket_the_optimum(small):
    exact = solve(small, "network", SolveOptions(mip_rel_gap=1e-9), method="extensive_form")
    assert exact.status.value == "optimal"
    blocks = solve(small, "network", SolveOptions(threads=1), method="sku_blocks")
    assert blocks.status.value in ("optimal", "feasible")
    assert blocks.bound <= exact.objective * (1 + 1e-7)
    assert blocks.objective >= exact.objective * (1 - 1e-7)
    assert blocks.gap == pytest.approx((blocks.objective - blocks.bound) / blocks.objective)
    assert len(blocks.tables["sku_blocks"]) == 4
