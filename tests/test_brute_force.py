"""The warehouses model agrees with brute force on tiny random instances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbecopt
from brute_force import multi_source_optimum, single_source_optimum
from cbecopt.instance import Instance, instance_from_tables


def tiny_instance(fixed, capacity, demand, unit_cost) -> Instance:
    m, n = unit_cost.shape
    w = [f"w{i}" for i in range(m)]
    j = [f"j{k}" for k in range(n)]
    nodes = pd.DataFrame(
        {
            "id": w + j,
            "kind": ["overseas_warehouse"] * m + ["market"] * n,
            "capacity": list(capacity) + [np.nan] * n,
            "fixed_cost": list(fixed) + [np.nan] * n,
        }
    )
    arcs = pd.DataFrame(
        {"origin": np.repeat(w, n), "destination": np.tile(j, m), "unit_cost": unit_cost.ravel()}
    )
    demand_table = pd.DataFrame({"market": j, "quantity": demand})
    tables = {"nodes": nodes, "arcs": arcs, "demand": demand_table}
    return instance_from_tables({"instance": {"name": "tiny"}}, tables)


@st.composite
def instances(draw, max_warehouses=4, max_markets=5):
    m = draw(st.integers(1, max_warehouses))
    n = draw(st.integers(1, max_markets))

    def ints(lo, hi, size):
        return np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), float)

    demand = ints(1, 20, n)
    capacity = ints(5, 60, m)
    fixed = ints(0, 100, m)
    unit_cost = ints(1, 30, m * n).reshape(m, n)
    return fixed, capacity, demand, unit_cost


def _check(data, single_source: bool) -> None:
    fixed, capacity, demand, unit_cost = data
    expected = (single_source_optimum if single_source else multi_source_optimum)(
        fixed, capacity, demand, unit_cost
    )
    result = cbecopt.solve(
        tiny_instance(*data),
        "warehouses",
        cbecopt.SolveOptions(mip_rel_gap=0.0),
        cbecopt.WarehousesConfig(single_source=single_source),
    )
    if np.isinf(expected):
        assert result.status == cbecopt.Status.INFEASIBLE
        assert result.diagnosis, "an infeasible result must say why"
    else:
        assert result.status == cbecopt.Status.OPTIMAL
        assert result.objective == pytest.approx(expected, rel=1e-7, abs=1e-6)


@pytest.mark.component
@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances())
def test_multi_source_matches_enumeration_of_open_sets(data):
    _check(data, single_source=False)


@pytest.mark.component
@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(instances(max_warehouses=3, max_markets=5))
def test_single_source_matches_enumeration_of_assignments(data):
    _check(data, single_source=True)


@pytest.mark.component
def test_brute_force_reference_is_not_trivial():
    """Capacity that binds makes single-sourcing strictly dearer: the references must see that."""
    fixed = np.array([0.0, 0.0])
    capacity = np.array([10.0, 20.0])
    demand = np.array([6.0, 6.0, 6.0])
    cost = np.array([[1.0, 1.0, 1.0], [5.0, 5.0, 5.0]])
    assert multi_source_optimum(fixed, capacity, demand, cost) == pytest.approx(10 * 1 + 8 * 5)
    assert single_source_optimum(fixed, capacity, demand, cost) == pytest.approx(6 * 1 + 12 * 5)
    assert single_source_optimum(fixed, np.array([10.0, 10.0]), demand, cost) == np.inf
