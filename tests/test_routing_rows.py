"""The routing families written by label hold the rows of the position arithmetic they replaced.

The reference is written here from the model's data tables alone (positions of each variable's
demand key, bonded warehouse, SKU and months), as the model was written before the shared
families: each row as {(variable family, variable key): coefficient}, compared with what the
built model holds, whatever the order of its columns.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

import cbecopt
from cbecopt.models.routing.generate import generate_routing
from cbecopt.stochastic.twostage import build_extensive_form

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
def built():
    instance = generate_routing(5, n_months=3, n_bonded=2, n_markets=3, seed=1)
    problem = cbecopt.MODELS["routing"].build(instance, None)
    form = build_extensive_form(problem, problem.scenarios())
    return problem.data, form.block, form.scenario_block(form.names[0])


def rows_of(family) -> dict:
    """{row label: {(variable family, key): coefficient}} of a linear family."""
    view = family.matrix()
    columns = [(f.local_name, key) for f in view.families for key in f.family_keys]
    rows = {}
    for r, label in enumerate(family.row_keys):
        span = slice(view.indptr[r], view.indptr[r + 1])
        rows[label] = {
            columns[c]: v
            for c, v in zip(view.columns[span], view.coefficients[span], strict=True)
            if v != 0
        }
    return rows


def keys_of(d, frame, with_month: str = "t") -> list[tuple]:
    """(origin, destination, mode, SKU, month) of each row of a lane-based table."""
    return [
        (o, dest, mode, d.SKUS[k], d.MONTHS[t])
        for o, dest, mode, k, t in zip(
            frame["origin"],
            frame["destination"],
            frame["mode"],
            frame["k"],
            frame[with_month],
            strict=True,
        )
    ]


def test_demand_served_rows_are_release_plus_direct_plus_lost(built):
    d, _, block = built
    keys = d.demand_keys.frame
    label = [
        (d.MARKETS[j], d.SKUS[k], d.MONTHS[t])
        for j, k, t in zip(keys["j"], keys["k"], keys["t"], strict=True)
    ]
    reference = defaultdict(dict)
    for name, frame in (("release", d.release.frame), ("direct", d.direct.frame)):
        for key, row in zip(keys_of(d, frame), frame["d"], strict=True):
            reference[label[row]][(name, key)] = 1.0
    for key in label:
        reference[key][("lost", key)] = 1.0
    assert len(d.release) and len(d.direct)
    assert rows_of(block.demand_served) == dict(reference)
    bounds = block.demand_served.matrix()
    assert list(bounds.lower) == list(bounds.upper) == list(d.demand[0])


def test_bonded_stock_balance_rows_carry_stock_arrivals_and_releases(built):
    d, _, block = built
    stock = d.stock.frame
    label = [
        (b, s, d.MONTHS[t])
        for b, s, t in zip(stock["bonded"], stock["sku"], stock["t"], strict=True)
    ]
    reference = {key: {("stock", key): 1.0} for key in label}
    for key, t in zip(label, stock["t"], strict=True):
        if t > 0:
            reference[key][("stock", (key[0], key[1], d.MONTHS[t - 1]))] = -1.0
    inbound = d.inbound.frame
    for key, b, k, arrive in zip(
        keys_of(d, inbound), inbound["b"], inbound["k"], inbound["arrive"], strict=True
    ):
        reference[(d.BONDED[b], d.SKUS[k], d.MONTHS[arrive])][("inbound", key)] = -1.0
    release = d.release.frame
    for key, b, k, t in zip(
        keys_of(d, release), release["b"], release["k"], release["t"], strict=True
    ):
        reference[(d.BONDED[b], d.SKUS[k], d.MONTHS[t])][("release", key)] = 1.0
    assert len(d.inbound) and (stock["t"] > 0).any()
    assert rows_of(block.bonded_stock_balance) == reference


def test_listing_link_rows_bound_inbound_by_the_listing(built):
    d, model, _ = built
    listing = d.listing.frame
    label = list(zip(listing["bonded"], listing["sku"], strict=True))
    reference = {
        key: {("listed", key): -d.demand_bound[k]}
        for key, k in zip(label, listing["k"], strict=True)
    }
    inbound = d.inbound.frame
    for key, b, k in zip(keys_of(d, inbound), inbound["b"], inbound["k"], strict=True):
        reference[(d.BONDED[b], d.SKUS[k])][("inbound", key)] = 1.0
    assert rows_of(model.listing_link) == reference
