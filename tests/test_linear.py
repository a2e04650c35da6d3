"""The array-backed components are ordinary Pyomo components, and their views say what Pyomo sees.

A tiny model written by hand: x (3 continuous, x_b <= 4 set through the family) and y (2
binaries), rows

    r0:  x_a + 2 x_b        = 6
    r1:  x_b - 5 y_0       <= 0
    r2:  x_c + x_a - 3 y_1 >= -1       (terms given out of column order)

and the objective 3 + 4 x_a + x_b + x_c + 2 y_0 + 4 y_1. By hand: r0 is met by x_a = 6
(cost 24) or by x_b = 3 (cost 3, within x_b <= 4), which r1 allows only with y_0 = 1 (cost
2); r2 holds with x_c = 0, y_1 = 0: objective 3 + 3 + 2 = 8 at x = (0, 3, 0), y = (1, 0).
"""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest

from cbecopt.highs import SolveOptions, compile_model, solve_compiled, write_model
from cbecopt.labelled import add_rows, add_var_family, linear_objective, terms
from cbecopt.linear import LinearFamily, LinearObjective

pytestmark = pytest.mark.component

BY_HAND = 8.0


def _model():
    m = pyo.ConcreteModel()
    x = add_var_family(m, "x", ["a", "b", "c"], upper=np.array([np.inf, 4.0, np.inf]))
    y = add_var_family(m, "y", [0, 1], domain=pyo.Binary)
    add_rows(
        m,
        "rows",
        ["r0", "r1", "r2"],
        [
            terms(x, [0, 0, 1, 2, 2], [0, 1, 1, 2, 0], [1.0, 2.0, 1.0, 1.0, 1.0]),
            terms(y, [1, 2], [0, 1], [-5.0, -3.0]),
        ],
        np.array([6.0, -np.inf, -1.0]),
        np.array([6.0, 0.0, np.inf]),
    )
    m.cost = linear_objective(
        [terms(x, 0, [0, 1, 2], [4.0, 1.0, 1.0]), terms(y, 0, [0, 1], [2.0, 4.0])], constant=3.0
    )
    return m, x, y


def test_the_matrix_view_is_the_rows_in_csr_form():
    m, x, y = _model()
    matrix = m.rows.matrix()
    assert list(matrix.indptr) == [0, 2, 4, 7]
    # columns count through x (0, 1, 2) then y (3, 4), sorted within each row
    assert list(matrix.columns) == [0, 1, 1, 3, 0, 2, 4]
    assert list(matrix.coefficients) == [1, 2, 1, -5, 1, 1, -3]
    assert list(matrix.lower) == [6, -np.inf, -1] and list(matrix.upper) == [6, 0, np.inf]
    assert matrix.families == (x.component, y.component) and matrix.active.all()
    assert list(m.rows.row_keys) == ["r0", "r1", "r2"]


def test_rows_are_pyomo_constraints_with_bodies_bounds_and_expressions():
    m, x, y = _model()
    assert isinstance(m.rows, pyo.Constraint) and len(m.rows) == 3
    r0, r1, r2 = (m.rows[r] for r in range(3))
    assert r0.equality and (r0.lb, r0.ub) == (6.0, 6.0)
    assert (r1.lb, r1.ub) == (None, 0.0) and not r1.equality
    assert (r2.lb, r2.ub) == (-1.0, None)
    for var, value in zip((*x.data, *y.data), (1.0, 2.0, 0.5, 1.0, 0.0), strict=True):
        var.set_value(value)
    assert pyo.value(r0.body) == pytest.approx(1 + 2 * 2)
    assert pyo.value(r1.body) == pytest.approx(2 - 5 * 1)
    assert pyo.value(r2.body) == pytest.approx(0.5 + 1 - 0)
    assert str(r1.expr) == "x[b] - 5.0*y[0]  <=  0.0"
    with pytest.raises(NotImplementedError, match="cannot be changed"):
        r0.set_value(x.data[0] == 1)


def test_a_model_of_our_components_solves_by_hand_here_and_in_pyomo_highs_and_files(tmp_path):
    m, x, _ = _model()
    outcome = solve_compiled(compile_model(m), SolveOptions())
    assert outcome.objective == pytest.approx(BY_HAND)
    pyo.SolverFactory("appsi_highs").solve(m)
    assert pyo.value(m.cost) == pytest.approx(BY_HAND)
    assert [v.value for v in x.data] == pytest.approx([0, 3, 0])
    for suffix in (".lp", ".mps"):
        write_model(m, tmp_path / f"m{suffix}")
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.readModel(str(tmp_path / f"m{suffix}"))
        highs.run()
        assert highs.getInfo().objective_function_value == pytest.approx(BY_HAND)


def test_bounds_changed_through_pyomo_reach_the_arrays():
    m, x, y = _model()
    assert list(x.component.bounds_view().upper) == [np.inf, 4.0, np.inf]
    x.data[0].setub(2.5)  # a user's edit on one variable
    y.data[1].fix(1)
    m.x["c"].domain = pyo.NonNegativeIntegers
    view = x.component.bounds_view()
    assert list(view.upper) == [2.5, 4.0, np.inf] and list(view.integer) == [False, False, True]
    assert list(y.component.bounds_view().lower) == [0.0, 1.0]
    # By hand: y_1 fixed to 1 costs 4 and makes r2 ask x_c + x_a >= 2, met most cheaply by
    # the (now integer) x_c = 2; x_b = 3 as before: objective 8 + 4 + 2.
    assert solve_compiled(compile_model(m), SolveOptions()).objective == pytest.approx(14.0)
    m.y.domain = pyo.Reals  # the family-wide setter too
    view = y.component.bounds_view()
    assert list(view.integer) == [False, False] and list(view.lower) == [-np.inf, 1.0]


def test_family_bounds_agree_with_pyomo_for_every_variable():
    m, x, y = _model()
    x.set_bounds([0, 2], lower=[1.0, -np.inf], upper=[np.inf, 7.0])
    for family in (x, y):
        view = family.bounds
        pyomo = [v.bounds for v in family.data]
        lower = [-np.inf if lb is None else lb for lb, _ in pyomo]
        upper = [np.inf if ub is None else ub for _, ub in pyomo]
        assert list(view.lower) == lower and list(view.upper) == upper
        assert list(view.integer) == [v.is_integer() for v in family.data]


def test_a_deactivated_row_is_left_out_and_a_new_objective_is_read_from_pyomo():
    m, x, y = _model()
    m.rows[1].deactivate()
    assert list(m.rows.matrix().active) == [True, False, True]
    # Without r1, y_0 = 0: objective 8 - 2.
    assert solve_compiled(compile_model(m), SolveOptions()).objective == pytest.approx(6.0)
    m.cost.expr = x.data[0] + 100
    assert not isinstance(m.cost, LinearObjective)
    # x_a alone: r0 takes x_b = 3, x_a = 0, objective 100.
    assert solve_compiled(compile_model(m), SolveOptions()).objective == pytest.approx(100.0)


def test_the_objective_view_and_its_expression_agree():
    m, x, y = _model()
    terms_view = m.cost.terms()
    assert terms_view.constant == 3.0 and list(terms_view.coefficients) == [4, 1, 1, 2, 4]
    assert terms_view.families == (x.component, y.component)
    for var, value in zip((*x.data, *y.data), (1.0, 2.0, 3.0, 1.0, 1.0), strict=True):
        var.set_value(value)
    assert pyo.value(m.cost) == pytest.approx(3 + 4 + 2 + 3 + 2 + 4)


def test_rows_are_made_only_when_asked_for():
    m = pyo.ConcreteModel()
    x = add_var_family(m, "x", range(1000))
    family = add_rows(
        m, "big", range(1000), [terms(x, np.arange(1000), np.arange(1000), 1.0)], 0, 1
    )
    assert isinstance(family, LinearFamily)
    assert len(family) == 1000 and 999 in family and 1000 not in family
    assert compile_model(m).n_rows == 1000
    assert sum(1 for _ in family.values()) == 1000
