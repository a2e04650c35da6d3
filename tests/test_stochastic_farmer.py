"""The farmer problem (Birge and Louveaux 1997, sec. 1.1): the whole stochastic report."""

from __future__ import annotations

import numpy as np
import pytest

import cbecopt
from cbecopt.stochastic.report import Measure, stochastic_report
from cbecopt.stochastic.twostage import (
    RiskOptions,
    build_extensive_form,
    scenario_creator,
    solve_extensive_form,
)
from farmer_model import FarmerProblem

pytestmark = pytest.mark.integration
# The published numbers use exact thirds; the data file's probabilities are 0.33333333,
# 0.33333334, 0.33333333, which moves the values by about 1e-5 relative at most.
TOL = {"rel": 1e-5, "abs": 0.05}


@pytest.fixture(scope="module")
def farmer(benchmarks):
    return FarmerProblem(benchmarks / "farmer")


def test_recourse_problem_matches_birge_louveaux(farmer):
    solution = solve_extensive_form(
        build_extensive_form(farmer, farmer.scenarios()), cbecopt.SolveOptions()
    )
    assert solution.outcome.status == cbecopt.Status.OPTIMAL
    assert solution.outcome.objective == pytest.approx(-108390, **TOL)
    assert list(solution.first_stage) == pytest.approx([170, 80, 250], abs=1e-6)


def test_stochastic_report_matches_birge_louveaux(farmer):
    report = stochastic_report(farmer, cbecopt.SolveOptions())
    values = report.to_dict()
    assert values["rp"] == pytest.approx(-108390, **TOL)
    assert values["ev"] == pytest.approx(-118600, **TOL)
    assert values["eev"] == pytest.approx(-107240, **TOL)
    assert values["ws"] == pytest.approx(-115405.56, **TOL)
    assert values["evpi"] == pytest.approx(7015.56, **TOL)
    assert values["vss"] == pytest.approx(1150, **TOL)
    assert all(status == "optimal" for status in report.statuses.values())
    for key, (low, high) in values["brackets"].items():  # LPs: proven, so the brackets are tight
        assert low == pytest.approx(high, abs=1e-6), key


def test_report_under_a_time_limit_gives_the_same_numbers(farmer):
    """With a limit the solves share it (none starves the rest); the values are unchanged."""
    from cbecopt.stochastic.solve import solve_two_stage

    result = solve_two_stage(farmer, cbecopt.SolveOptions(time_limit=120), reports=("stochastic",))
    values = result.reports["stochastic"]
    assert values["rp"] == pytest.approx(-108390, **TOL)
    assert values["ws"] == pytest.approx(-115405.56, **TOL)
    assert values["vss"] == pytest.approx(1150, **TOL)
    assert set(values["statuses"].values()) == {"optimal"}


def test_eev_at_an_unproven_ev_plan_is_not_called_optimal(farmer):
    """When EV stops with a plan that is not its optimum, EEV evaluated at that plan is a value
    of that plan only: reported feasible, bracketed from below by RP's bound and not above.

    The plan (100, 100, 300) acres is worse than EV's optimum (120, 80, 300 gives EEV
    -107,240); its expected cost is computed here by hand from the recourse prices."""
    import dataclasses

    from cbecopt.stochastic.report import _eev

    rp = solve_extensive_form(
        build_extensive_form(farmer, farmer.scenarios()), cbecopt.SolveOptions()
    )
    ev = solve_extensive_form(
        build_extensive_form(farmer, [("expected", 1.0, farmer.expected_scenario())]),
        cbecopt.SolveOptions(),
    )
    plan = np.array([100.0, 100.0, 300.0])
    columns = ev.form.first_stage_columns()
    values = ev.outcome.values.copy()
    values[columns] = plan
    unproven = dataclasses.replace(
        ev, outcome=dataclasses.replace(ev.outcome, status=cbecopt.Status.FEASIBLE, values=values)
    )
    measure = _eev(rp, unproven, cbecopt.SolveOptions().begin(), None, Measure.of(rp))
    assert measure.status == "feasible" and "not proved optimal" in measure.note
    assert measure.low == pytest.approx(-108390, **TOL) and measure.high is None
    assert measure.value == pytest.approx(_farmer_expected_cost(plan), **TOL)
    assert measure.value != pytest.approx(-107240, **TOL)


def _farmer_expected_cost(acres: np.ndarray) -> float:
    """Birge and Louveaux's farmer: planting cost 150/230/260 per acre; yields 2.5/3/20 (x1.2,
    x1, x0.8 in the three equally likely scenarios); needs 200 t wheat, 240 t corn (buy at
    238/210, sell surplus at 170/150); beets sell at 36 up to 6000 t, 10 beyond."""
    cost = float(acres @ [150.0, 230.0, 260.0])
    total = 0.0
    for factor in (1.2, 1.0, 0.8):
        wheat, corn, beets = acres * np.array([2.5, 3.0, 20.0]) * factor
        scenario = 0.0
        for grown, need, buy, sell in ((wheat, 200, 238, 170), (corn, 240, 210, 150)):
            scenario += buy * max(need - grown, 0) - sell * max(grown - need, 0)
        scenario -= 36 * min(beets, 6000) + 10 * max(beets - 6000, 0)
        total += scenario / 3
    return cost + total


def test_cvar_weight_one_minimises_the_worst_scenarios(farmer):
    """With all weight on CVaR at alpha 0.6 (the worst of three yields carries the tail), the
    plan's CVaR is no worse than the risk-neutral plan's, and its expected cost no better."""
    from cbecopt.analytics import var_cvar

    neutral = solve_extensive_form(
        build_extensive_form(farmer, farmer.scenarios()), cbecopt.SolveOptions()
    )
    averse_form = build_extensive_form(
        farmer, farmer.scenarios(), RiskOptions(weight=1.0, alpha=0.6)
    )
    averse = solve_extensive_form(averse_form, cbecopt.SolveOptions())
    p = averse_form.probabilities
    _, cvar_neutral = var_cvar(neutral.scenario_costs(), p, 0.6)
    _, cvar_averse = var_cvar(averse.scenario_costs(), p, 0.6)
    assert cvar_averse <= cvar_neutral + 1e-6
    assert float(p @ averse.scenario_costs()) >= float(p @ neutral.scenario_costs()) - 1e-6
    assert averse.outcome.objective == pytest.approx(cvar_averse, rel=1e-9)


def test_scenario_creator_builds_one_scenario(farmer):
    model = scenario_creator(farmer, "AverageScenario")
    assert model._mpisppy_probability == pytest.approx(0.33333334)
    from cbecopt.highs import compile_model, solve_compiled

    outcome = solve_compiled(compile_model(model), cbecopt.SolveOptions())
    # With average yields known in advance the farmer earns the EV profit 118,600.
    assert outcome.objective == pytest.approx(-118600, rel=1e-9)


def test_a_report_without_time_left_keeps_rp_and_marks_the_rest_unfinished(farmer):
    """RP comes first; when nothing is left for the report, its measures are 'unfinished'
    with a note, RP's own numbers stay as solved, and nothing claims 'optimal' unproved."""
    import time

    rp = solve_extensive_form(
        build_extensive_form(farmer, farmer.scenarios()), cbecopt.SolveOptions()
    )
    spent = cbecopt.SolveOptions(time_limit=1.0).begin()
    spent.budget.started = time.monotonic() - 5.0  # the limit is used up
    report = stochastic_report(farmer, spent, rp).to_dict()
    assert report["rp"] == pytest.approx(-108390, **TOL)
    assert report["statuses"]["rp"] == "optimal"
    for key in ("ev", "eev", "ws", "evpi", "vss"):
        assert report["statuses"][key] == "unfinished" and report[key] is None, key
        assert report["notes"][key], key
