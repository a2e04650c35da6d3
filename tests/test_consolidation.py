"""A first plan's unneeded fixed charges closed, and its shared warehouses consolidated: the
plans returned are plans of the model (checked by an independent solve with their first
stage fixed) and never cost more than the plan they started from."""

import numpy as np
import pyomo.environ as pyo
import pytest

from cbecopt import SolveOptions, solve
from cbecopt.highs import compile_model
from cbecopt.methods.warm_start import solve_rounded, unneeded_closed
from cbecopt.models.network.build import NetworkProblem
from cbecopt.models.network.channels import warehouse_kinds
from cbecopt.models.network.consolidation import consolidate
from cbecopt.models.network.generate import generate_network
from cbecopt.models.network.read import read_network
from cbecopt.models.network.strategies import (
    Restriction,
    Solved,
    fixed_columns,
    solve_restriction,
)
from cbecopt.stochastic.twostage import build_extensive_form


def two_sites(demand_split: tuple[float, float]):
    """One customer of 5 units, two sites (fixed costs 10 and 20, capacity 5 each, shipping
    at 1 and 2 a unit) and a plan with both open, shipping ``demand_split``."""
    m = pyo.ConcreteModel()
    m.open = pyo.Var([0, 1], domain=pyo.Binary)
    m.ship = pyo.Var([0, 1], domain=pyo.NonNegativeReals)
    m.demand = pyo.Constraint(expr=m.ship[0] + m.ship[1] == 5)
    m.capacity = pyo.Constraint([0, 1], rule=lambda m, i: m.ship[i] <= 5 * m.open[i])
    m.cost = pyo.Objective(expr=10 * m.open[0] + 20 * m.open[1] + m.ship[0] + 2 * m.ship[1])
    compiled = compile_model(m)
    values = np.zeros(compiled.n_cols)
    for var, value in (
        (m.open[0], 1),
        (m.open[1], 1),
        *zip(m.ship.values(), demand_split, strict=True),
    ):
        values[compiled.column_offset(var.parent_component()) + var.index()] = value
    columns = np.array([compiled.column_offset(m.open) + i for i in (0, 1)])
    return compiled, values, columns


@pytest.mark.component
def test_a_site_the_plan_does_not_ship_from_is_closed_and_the_plan_still_holds():
    compiled, values, columns = two_sites((5.0, 0.0))
    closed = unneeded_closed(compiled, values, columns)
    assert closed[columns].tolist() == [1.0, 0.0]
    assert compiled.objective_of(closed) == pytest.approx(compiled.objective_of(values) - 20)
    activity = np.add.reduceat(
        compiled.row_value * closed[compiled.row_index], compiled.row_start[:-1]
    )
    assert np.all(activity >= compiled.row_lower - 1e-9)
    assert np.all(activity <= compiled.row_upper + 1e-9)


@pytest.mark.component
def test_sites_a_plan_ships_from_stay_open():
    compiled, values, columns = two_sites((2.5, 2.5))
    assert unneeded_closed(compiled, values, columns)[columns].tolist() == [1.0, 1.0]


@pytest.mark.component
def test_a_rounded_plan_closes_what_it_does_not_need_but_not_what_a_restriction_fixes():
    compiled, _, columns = two_sites((5.0, 0.0))
    used = np.zeros(compiled.n_cols)
    used[columns] = 1.0
    options = SolveOptions(threads=1)
    free = solve_rounded(compiled, options, None, None, used)
    assert free.values[columns].tolist() == [1.0, 0.0]
    assert free.objective == pytest.approx(10 + 5)
    held = solve_rounded(compiled, options, None, (columns[1:], np.array([1.0])), used)
    assert held.values[columns].tolist() == [1.0, 1.0]
    assert held.objective == pytest.approx(10 + 20 + 5)


@pytest.fixture(scope="module")
def network():
    """A generated network with three bonded zones, a duty-paid warehouse and no price
    breaks (so each plan priced is nearly an LP)."""
    instance = generate_network(
        n_skus=5,
        n_suppliers=6,
        n_provinces=3,
        months=2,
        n_scenarios=2,
        seed=11,
        n_bonded=3,
        n_breaks=1,
    )
    return instance, read_network(instance)


@pytest.mark.component
def test_consolidating_an_everything_open_plan_closes_warehouses_and_is_a_plan_of_the_model(
    network,
):
    instance, d = network
    problem = NetworkProblem(d)
    form = build_extensive_form(problem, problem.scenarios())
    compiled = form.compile()
    everything = {
        "use_supplier": dict.fromkeys(d.suppliers, 1.0),
        "use_warehouse": dict.fromkeys(d.bonded, 1.0),
        "open": dict.fromkeys(d.overseas, 1.0),
    }
    used = np.zeros(compiled.n_cols)
    columns, values = fixed_columns(form, everything)
    used[columns] = values
    options = SolveOptions(threads=1, mip_rel_gap=1e-9).begin()
    rounded = solve_rounded(compiled, options, None, None, used)
    bonded = {b for b, kind in zip(d.bonded, warehouse_kinds(d), strict=True) if kind == "bonded"}
    better = consolidate(form, options, None, None, bonded)(used, rounded)
    assert better.objective < rounded.objective
    plan = Solved(Restriction(d), form, better).first_stage()
    assert sum(plan["use_warehouse"].values()) + sum(plan["open"].values()) < len(d.bonded) + len(
        d.overseas
    )

    # An independent solve: the plan's first stage fixed, the rest re-optimised.
    fixed = solve_restriction(Restriction(d, plan), SolveOptions(threads=1, mip_rel_gap=1e-9))
    assert fixed.outcome.status.value == "optimal"
    assert fixed.outcome.objective == pytest.approx(better.objective, rel=1e-6)
    exact = solve(instance, "network", SolveOptions(threads=1, mip_rel_gap=1e-9))
    assert exact.status.value == "optimal"
    assert exact.objective <= better.objective * (1 + 1e-7)
