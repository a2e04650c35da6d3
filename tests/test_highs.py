"""The solve layer never lies about status, and compiles both kinds of constraint family."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

import cbecopt
from cbecopt.highs import SolveOptions, compile_model, solve_compiled
from helpers import write_instance


def _raw_solve(model: pyo.ConcreteModel):
    compiled = compile_model(model)
    return compiled, solve_compiled(compiled, SolveOptions())


@pytest.mark.component
def test_ordinary_pyomo_constraints_compile_exactly():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], domain=pyo.NonNegativeReals)
    m.y = pyo.Var(domain=pyo.Binary)
    m.c1 = pyo.Constraint(expr=m.x[1] + 2 * m.x[2] >= 4 + m.y)
    m.c2 = pyo.Constraint(expr=pyo.inequality(1, m.x[1] - m.x[2], 3))
    m.obj = pyo.Objective(expr=3 * m.x[1] + 5 * m.x[2] + 10 * m.y + 7)
    compiled, outcome = _raw_solve(m)
    # By hand: y = 0; minimise 3a + 5b with a + 2b >= 4, 1 <= a - b <= 3 -> a = 2, b = 1, cost 11 + 7.
    assert outcome.status == cbecopt.Status.OPTIMAL
    assert outcome.objective == pytest.approx(18.0)
    assert list(outcome.values_of(compiled, m.x)) == pytest.approx([2.0, 1.0])


@pytest.mark.component
def test_maximisation_and_fixed_variables():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.z = pyo.Var(initialize=2.0)
    m.z.fix()
    m.c = pyo.Constraint(expr=m.x + m.z <= 5)
    m.obj = pyo.Objective(expr=2 * m.x + m.z, sense=pyo.maximize)
    _, outcome = _raw_solve(m)
    assert outcome.objective == pytest.approx(2 * 3 + 2)


@pytest.mark.component
def test_unbounded_is_told_from_infeasible():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(domain=pyo.Integers)
    m.c = pyo.Constraint(expr=m.x >= 1)
    m.obj = pyo.Objective(expr=-m.x)
    assert _raw_solve(m)[1].status == cbecopt.Status.UNBOUNDED
    m.c2 = pyo.Constraint(expr=m.x <= 0)
    assert _raw_solve(m)[1].status == cbecopt.Status.INFEASIBLE


@pytest.mark.integration
def test_time_limit_returns_the_incumbent_with_bound_and_gap(benchmarks):
    instance = cbecopt.load_instance(
        benchmarks / "orlib_cap" / "capb.txt", fmt="orlib-cap", capacity=5000
    )
    result = cbecopt.solve(instance, "warehouses", SolveOptions(time_limit=4, threads=1))
    assert result.status in (cbecopt.Status.FEASIBLE, cbecopt.Status.NO_SOLUTION), result.status
    if result.status == cbecopt.Status.FEASIBLE:
        assert result.bound <= result.objective and result.gap > 0
        assert result.tables["open"]["open"].sum() >= 1
    else:
        assert result.objective is None and result.diagnosis
    assert "time limit" in result.termination.lower()


@pytest.mark.component
def test_open_count_limits(tmp_path):
    instance = cbecopt.load_instance(write_instance(tmp_path / "x"))
    free = cbecopt.solve(instance)
    # By hand: w2 alone (capacity 80) serves 30 + 40 at 2*30 + 1*40 = 100, plus fixed 40: 140;
    # w1 alone costs 50 + 30 + 120 = 200; both cost 90 + 30 + 40 = 160.
    assert free.objective == pytest.approx(140.0) and free.kpis["open_warehouses"] == ["w2"]
    both = cbecopt.solve(instance, config=cbecopt.WarehousesConfig(min_open=2))
    assert both.status == cbecopt.Status.OPTIMAL and both.objective == pytest.approx(160.0)
    none = cbecopt.solve(instance, config=cbecopt.WarehousesConfig(max_open=0))
    assert none.status == cbecopt.Status.INFEASIBLE
    assert any("at most 0 warehouses" in cause for cause in none.diagnosis)


@pytest.mark.component
def test_market_without_lane_is_diagnosed(tmp_path):
    nodes = "id,kind,capacity,fixed_cost\nw1,overseas_warehouse,100,5\nm1,market,,\nm2,market,,\n"
    instance = cbecopt.load_instance(
        write_instance(tmp_path / "x", nodes=nodes, arcs="origin,destination,unit_cost\nw1,m1,1\n")
    )
    result = cbecopt.solve(instance)
    assert result.status == cbecopt.Status.INFEASIBLE
    assert any("'m2'" in cause and "no lane" in cause for cause in result.diagnosis)


@pytest.mark.integration
def test_same_seed_same_result(benchmarks):
    instance = cbecopt.load_instance(benchmarks / "orlib_cap" / "cap131.txt", fmt="orlib-cap")
    a = cbecopt.solve(instance, options=SolveOptions(seed=7))
    b = cbecopt.solve(instance, options=SolveOptions(seed=7))
    assert a.objective == b.objective
    assert np.array_equal(a.tables["open"]["open"], b.tables["open"]["open"])
    assert a.tables["flows"].equals(b.tables["flows"])


@pytest.mark.unit
def test_bad_options_are_refused():
    for kwargs in ({"time_limit": 0}, {"mip_rel_gap": 1.5}, {"threads": 0}, {"seed": -1}):
        with pytest.raises(cbecopt.OptionError):
            SolveOptions(**kwargs)


@pytest.mark.component
def test_thread_count_can_change_between_solves(tmp_path):
    instance = cbecopt.load_instance(write_instance(tmp_path / "x"))
    for threads in (None, 1, 2, 1, None):
        assert (
            cbecopt.solve(instance, options=SolveOptions(threads=threads)).status
            == cbecopt.Status.OPTIMAL
        )


@pytest.mark.component
def test_column_bounds_agree_with_pyomo_for_every_kind_of_variable():
    m = pyo.ConcreteModel()
    m.p = pyo.Param(mutable=True, initialize=2.5)
    domains = {
        1: pyo.Binary,
        2: pyo.Reals,
        3: pyo.NonNegativeIntegers,
        4: pyo.NonPositiveReals,
        5: pyo.Reals,
    }
    m.x = pyo.Var([1, 2, 3, 4, 5], domain=lambda _m, i: domains[i])
    m.x[2].setlb(-3)
    m.x[3].setub(m.p)  # an expression bound
    m.x[4].setlb(-7.5)
    m.x[5].fix(4.0)
    m.y = pyo.Var(bounds=(1, 9), domain=pyo.Integers)
    m.obj = pyo.Objective(expr=sum(m.x.values()) + m.y)
    compiled = compile_model(m)
    lp = compiled.lp
    expected = [(0, 1), (-3, np.inf), (0, 2.5), (-7.5, 0), (4, 4), (1, 9)]
    assert list(zip(lp.col_lower_, lp.col_upper_, strict=True)) == expected
    assert list(compiled.integer_columns) == [0, 2, 5]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("key", "use"),
    [
        ("mip_rel_gap", "--gap"),
        ("mip_abs_gap", "--gap"),
        ("time_limit", "--time-limit"),
        ("threads", "--threads"),
        ("random_seed", "--seed"),
    ],
)
def test_raw_highs_options_that_change_what_optimal_means_are_refused(key, use):
    """A raw mip_rel_gap would let HiGHS call a plan 'optimal' at a gap the result does not
    show; the options cbecopt sets itself are refused in favour of its own."""
    with pytest.raises(
        cbecopt.OptionError, match=f"HiGHS option {key} is set by cbecopt: use {use}"
    ):
        cbecopt.SolveOptions(highs_options={key: 0.1})


@pytest.mark.unit
def test_unknown_raw_highs_options_and_values_are_refused():
    with pytest.raises(cbecopt.OptionError, match="HiGHS rejected option nonsense=1"):
        cbecopt.SolveOptions(highs_options={"nonsense": 1})
    with pytest.raises(cbecopt.OptionError, match="presolve"):
        cbecopt.SolveOptions(highs_options={"presolve": "sometimes"})
    assert cbecopt.SolveOptions(highs_options={"presolve": "off"}).highs_options == {
        "presolve": "off"
    }


@pytest.mark.unit
def test_threads_and_seed_are_bounded():
    from cbecopt.highs import MAX_SEED, available_cores

    with pytest.raises(cbecopt.OptionError, match="threads must be between 1 and"):
        cbecopt.SolveOptions(threads=100_000)
    with pytest.raises(cbecopt.OptionError, match="threads"):
        cbecopt.SolveOptions(threads=0)
    assert cbecopt.SolveOptions(threads=available_cores()).threads == available_cores()
    for seed in (-1, MAX_SEED + 1):
        with pytest.raises(cbecopt.OptionError, match="seed must be a whole number"):
            cbecopt.SolveOptions(seed=seed)
    for limit in (0, -1, float("nan"), float("inf")):
        with pytest.raises(cbecopt.OptionError, match="time limit must be a positive"):
            cbecopt.SolveOptions(time_limit=limit)
