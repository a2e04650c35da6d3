"""Each shared family (``cbecopt.families``) on a small labelled example, its rows by hand.

Columns of a dense row run over the family's variable families in the order they first
appear in it (see ``helpers.dense_rows``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from cbecopt import families
from cbecopt.labelled import add_var_family
from helpers import dense_rows

pytestmark = pytest.mark.component

INF = np.inf


def keyed(pairs, names):
    return pd.MultiIndex.from_tuples(pairs, names=names)


def lanes_and_warehouses():
    """flow keyed (warehouse, market) over W1-m1, W1-m2, W2-m1; open keyed by warehouse."""
    m = pyo.ConcreteModel()
    pairs = [("W1", "m1"), ("W1", "m2"), ("W2", "m1")]
    flow = add_var_family(m, "flow", pairs, labels=keyed(pairs, ["warehouse", "market"]))
    open_ = add_var_family(
        m, "open", ["W1", "W2"], domain=pyo.Binary, labels=pd.Index(["W1", "W2"], name="warehouse")
    )
    return m, flow, open_


def test_demand_satisfaction_rows_follow_the_demand_with_lost_sales():
    m, flow, _ = lanes_and_warehouses()
    markets = pd.Index(["m2", "m1"], name="market")
    lost = add_var_family(m, "lost", list(markets), labels=markets)
    demand = pd.Series([4.0, 9.0], index=markets)
    families.demand_satisfaction(m, "served", flow.sum(by="market"), demand, lost=lost)
    # columns: flow (W1m1, W1m2, W2m1), lost (m2, m1)
    assert dense_rows(m.served) == (
        ["m2", "m1"],
        [[0, 1, 0, 1, 0], [1, 0, 1, 0, 1]],
        [4, 9],
        [4, 9],
    )
    families.demand_satisfaction(m, "covered", flow.sum(by="market"), demand, at_least=True)
    assert dense_rows(m.covered)[2:] == ([4, 9], [INF, INF])


def test_capacity_if_open_only_for_the_capacities_given():
    m, flow, open_ = lanes_and_warehouses()
    capacity = pd.Series([10.0], index=pd.Index(["W1"], name="warehouse"))
    families.capacity_if_open(m, "with_open", flow.sum(by="warehouse"), capacity, open_)
    # columns: flow, open (W1, W2)
    assert dense_rows(m.with_open) == (["W1"], [[1, 1, 0, -10, 0]], [-INF], [0])
    families.capacity_if_open(m, "without_open", flow.sum(by="warehouse"), capacity)
    assert dense_rows(m.without_open) == (["W1"], [[1, 1, 0]], [-INF], [10])


def test_use_only_if_open_broadcasts_the_open_decision_over_what_depends_on_it():
    m, flow, open_ = lanes_and_warehouses()
    families.use_only_if_open(m, "linked", flow, open_)
    assert dense_rows(m.linked) == (
        [("W1", "m1"), ("W1", "m2"), ("W2", "m1")],
        [[1, 0, 0, -1, 0], [0, 1, 0, -1, 0], [0, 0, 1, 0, -1]],
        [-INF] * 3,
        [0] * 3,
    )
    bound = pd.Series([7.0, 5.0], index=keyed([("W2", "m1"), ("W1", "m1")], flow.labels.names))
    families.use_only_if_open(m, "bounded", flow, open_, bound)
    assert dense_rows(m.bounded)[:2] == (
        [("W2", "m1"), ("W1", "m1")],
        [[0, 0, 1, 0, -7], [1, 0, 0, -5, 0]],
    )


def test_minimum_quantity_if_used_rows_are_those_with_a_minimum():
    m = pyo.ConcreteModel()
    offers = pd.Index(["o1", "o2", "o3"], name="offer")
    quantity = add_var_family(m, "quantity", list(offers), labels=offers)
    used = add_var_family(m, "used", list(offers), domain=pyo.Binary, labels=offers)
    minimum = pd.Series([5.0, 2.0], index=pd.Index(["o3", "o1"], name="offer"))
    families.minimum_quantity_if_used(m, "moq", quantity, used, minimum)
    # columns: quantity (o1, o2, o3), used (o1, o2, o3)
    assert dense_rows(m.moq) == (
        ["o3", "o1"],
        [[0, 0, 1, 0, 0, -5], [1, 0, 0, -2, 0, 0]],
        [0, 0],
        [INF, INF],
    )


def test_average_rate_cap_caps_the_groups_its_cap_names():
    m, flow, _ = lanes_and_warehouses()
    rate = flow.keyed([0.2, 0.9, 0.6])
    by = "market"
    cap = pd.Series([0.5], index=pd.Index(["m1"], name="market"))  # m2 has no cap
    families.average_rate_cap(m, "rate", (rate * flow).sum(by), flow.sum(by), cap)
    keys, dense, lower, upper = dense_rows(m.rate)
    assert keys == ["m1"] and upper == [0] and lower == [-INF]
    assert dense[0] == pytest.approx([0.2 - 0.5, 0, 0.6 - 0.5])
    families.average_rate_cap(m, "floor", (rate * flow).sum(by), flow.sum(by), 0.4, at_least=True)
    keys, dense, lower, _ = dense_rows(m.floor)
    assert keys == ["m1", "m2"] and lower == [0, 0]
    assert dense[0] == pytest.approx([0.2 - 0.4, 0, 0.6 - 0.4])
    assert dense[1] == pytest.approx([0, 0.9 - 0.4, 0])


def test_stock_balance_carries_stock_from_the_month_before():
    """Item a is stocked in m1, m2, m3; item b only from m2 (no stock of b before m2)."""
    m = pyo.ConcreteModel()
    names = ["item", "month"]
    cells = [("a", "m1"), ("a", "m2"), ("a", "m3"), ("b", "m2"), ("b", "m3")]
    levels = [["a", "b"], ["m1", "m2", "m3"]]
    stock_labels = pd.MultiIndex.from_tuples(cells, names=names).set_levels(levels)
    stock = add_var_family(m, "stock", cells, labels=stock_labels)
    arrivals = [("a", "m1"), ("b", "m2")]
    departures = [("a", "m2"), ("a", "m3"), ("b", "m3")]
    inflow = add_var_family(m, "inflow", arrivals, labels=keyed(arrivals, names))
    outflow = add_var_family(m, "outflow", departures, labels=keyed(departures, names))
    families.stock_balance(m, "balance", stock, inflow, outflow, period="month")
    # columns: stock (5), inflow (a m1, b m2), outflow (a m2, a m3, b m3)
    assert dense_rows(m.balance) == (
        cells,
        [
            [1, 0, 0, 0, 0, -1, 0, 0, 0, 0],
            [-1, 1, 0, 0, 0, 0, 0, 1, 0, 0],
            [0, -1, 1, 0, 0, 0, 0, 0, 1, 0],
            [0, 0, 0, 1, 0, 0, -1, 0, 0, 0],
            [0, 0, 0, -1, 1, 0, 0, 0, 0, 1],
        ],
        [0] * 5,
        [0] * 5,
    )


def test_fixed_cost_if_used_is_one_term_per_decision():
    _, _, open_ = lanes_and_warehouses()
    (part,) = families.fixed_cost_if_used(open_, open_.keyed([30.0, 45.0]))
    assert part.family is open_
    assert part.position.tolist() == [0, 1] and part.coef.tolist() == [30.0, 45.0]


def test_cvar_rows_and_objective_terms():
    """Two scenarios costing 2 x_p and 3 x_q, probabilities 0.25 and 0.75, alpha 0.5, weight 0.4:
    xi_s >= C_s - eta, objective 0.4 (eta + (0.25 xi_0 + 0.75 xi_1) / 0.5)."""
    m = pyo.ConcreteModel()
    items = pd.Index(["p", "q"], name="item")
    x = add_var_family(m, "x", list(items), labels=items)
    costs = [(x.keyed([2.0, 0.0]) * x).parts, (x.keyed([0.0, 3.0]) * x).parts]
    eta, tail = families.cvar(m, costs, np.array([0.25, 0.75]), 0.4, 0.5)
    # columns: x (p, q), cost_excess (0, 1), value_at_risk
    assert dense_rows(m.cvar_excess) == (
        [0, 1],
        [[-2, 0, 1, 0, 1], [0, -3, 0, 1, 1]],
        [0, 0],
        [INF, INF],
    )
    assert eta.family.component is m.value_at_risk and eta.coef.tolist() == [0.4]
    assert tail.family.component is m.cost_excess
    assert tail.coef == pytest.approx([0.4 * 0.25 / 0.5, 0.4 * 0.75 / 0.5])
