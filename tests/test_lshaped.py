"""``--method lshaped``: the L-shaped method on mpi-sppy, with every master's plan evaluated
exactly and the master's bound.

On the farmer of Birge and Louveaux (RP -108,390; its .dat files and the same problem written
here as SMPS) the method proves the extensive form's optimum; on the bundled contracts demo
(integer first stage, continuous recourse) its bound is at most the extensive form's optimum,
which is at most its incumbent, and they meet within the gap. Integer recourse is refused, a
time limit ends the call honestly, and the command line prints status, objective and bound.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cbecopt
from cbecopt.errors import OptionError
from cbecopt.methods import Task, extensive_form, lshaped
from cbecopt.readers.smps import read_smps
from cbecopt.results import Run, Status
from farmer_model import FarmerProblem
from test_cli import cbecopt_in_process as run_cbecopt
from test_progressive_hedging import _brackets, sigterm_keeps_incumbent_and_bound

ROOT = Path(__file__).resolve().parents[1]
FARMER_RP = -108390.0  # Birge and Louveaux (1997), sec. 1.1

FARMER_COR = """\
NAME          farmer
ROWS
 N  obj
 L  total
 G  wheat
 G  corn
 G  beets
COLUMNS
    x_W       obj       150       total     1
    x_W       wheat     2.5
    x_C       obj       230       total     1
    x_C       corn      3
    x_S       obj       260       total     1
    x_S       beets     20
    w_W       obj       -170      wheat     -1
    w_C       obj       -150      corn      -1
    w_S       obj       -36       beets     -1
    e_S       obj       -10       beets     -1
{integer_start}    y_W       obj       238       wheat     1
    y_C       obj       210       corn      1
{integer_end}RHS
    rhs       total     500       wheat     200
    rhs       corn      240
BOUNDS
 UP bnd       w_S       6000
ENDATA
"""
FARMER_TIM = """\
TIME          farmer
PERIODS
    x_W       total                    STAGE-1
    w_W       wheat                    STAGE-2
ENDATA
"""
FARMER_STO = (
    """\
STOCH         farmer
SCENARIOS     DISCRETE
"""
    + "".join(
        f" SC {name:<9} 'ROOT'    0.333333333333 STAGE-2\n"
        f"    x_W       wheat     {2.5 * factor}\n"
        f"    x_C       corn      {3 * factor}\n"
        f"    x_S       beets     {20 * factor}\n"
        for name, factor in (("above", 1.2), ("average", 1.0), ("below", 0.8))
    )
    + "ENDATA\n"
)


def write_farmer_smps(folder: Path, integer_purchases: bool = False) -> Path:
    """The farmer as SMPS files in ``folder`` (wheat and corn sold without quota, sugar beets
    at 36 up to 6000 and 10 beyond; yields 20% above and below average); with
    ``integer_purchases`` the tons bought are integer (integer recourse). The ``.cor`` path."""
    marker = "    MARKER    'MARKER'  'INTORG'\n", "    MARKER    'MARKER'  'INTEND'\n"
    start, end = marker if integer_purchases else ("", "")
    (folder / "farmer.cor").write_text(FARMER_COR.format(integer_start=start, integer_end=end))
    (folder / "farmer.tim").write_text(FARMER_TIM)
    (folder / "farmer.sto").write_text(FARMER_STO)
    return folder / "farmer.cor"


def _lshaped(problem, name: str, settings=None, **options) -> cbecopt.Result:
    run = Run("two_stage", name, cbecopt.SolveOptions(**options).begin())
    return lshaped.solve(Task(problem, None, None, ""), run, settings)


def _extensive_form(problem, name: str) -> cbecopt.Result:
    run = Run("two_stage", name, cbecopt.SolveOptions(mip_rel_gap=1e-9).begin())
    return extensive_form.solve(Task(problem, None, None, ""), run)


@pytest.mark.component
def test_farmer_smps_by_lshaped_proves_the_extensive_form_optimum(tmp_path):
    problem = read_smps(write_farmer_smps(tmp_path))
    whole = _extensive_form(problem, "farmer")
    assert whole.objective == pytest.approx(FARMER_RP, abs=0.01)
    result = _lshaped(problem, "farmer", time_limit=60, mip_rel_gap=1e-6)
    assert result.status == Status.OPTIMAL
    _brackets(result, whole.objective, 0.01)
    assert result.objective == pytest.approx(whole.objective, rel=1e-6)
    assert result.bound == pytest.approx(whole.objective, rel=1e-6)
    assert result.kpis["expected_cost"] == pytest.approx(result.objective)
    assert 1 <= result.kpis["lshaped_iterations"] <= 20


@pytest.mark.integration
def test_farmer_by_lshaped_proves_the_published_optimum(benchmarks):
    farmer = FarmerProblem(benchmarks / "farmer")
    result = _lshaped(farmer, "farmer", time_limit=60, mip_rel_gap=1e-6)
    assert result.status == Status.OPTIMAL
    _brackets(result, FARMER_RP, 0.01)
    assert result.objective == pytest.approx(FARMER_RP, rel=1e-6)


@pytest.mark.component
def test_contracts_demo_by_lshaped_meets_the_extensive_form_optimum():
    """Integer first stage (a MIP master), continuous recourse."""
    instance = cbecopt.load_instance(ROOT / "instances" / "contracts_demo")
    options = cbecopt.SolveOptions(time_limit=120, mip_rel_gap=1e-6)
    whole = cbecopt.solve(instance, "contracts", options=options)
    assert whole.status == Status.OPTIMAL
    result = cbecopt.solve(instance, "contracts", method="lshaped", options=options)
    _brackets(result, whole.objective, 1e-6 * abs(whole.objective))
    assert result.status == Status.OPTIMAL
    assert result.objective == pytest.approx(whole.objective, rel=1e-6)
    assert result.options["method"] == "lshaped"
    assert {"contracts", "skus", "scenarios"} <= set(result.tables)
    assert result.kpis["lshaped_cuts"] > 0
    assert 0 < result.kpis["lshaped_lp_iterations"] < result.kpis["lshaped_iterations"]


@pytest.mark.component
def test_a_plan_breaking_a_first_stage_row_is_infeasible_not_cheap(tmp_path):
    """The solve with the first stage fixed frees rows of first-stage columns only; a plan
    that breaks one (600 acres of 500, rounded from an LP master or xbar) costs ``inf``."""
    from cbecopt.methods.progressive_hedging import PlanEvaluator, _Incumbent
    from cbecopt.stochastic.twostage import build_extensive_form

    problem = read_smps(write_farmer_smps(tmp_path))
    form = build_extensive_form(problem, problem.scenarios())
    best = _Incumbent()
    evaluator = PlanEvaluator(form, cbecopt.SolveOptions().begin(), best)
    in_mpisppy_order = evaluator.to_form  # plan[to_form]: from the .cor's order (W, C, S)
    too_much = np.array([200.0, 200.0, 200.0])
    assert evaluator.evaluate(too_much[in_mpisppy_order], "too much land") == float("inf")
    assert best.values is None
    best_acres = np.array([170.0, 80.0, 250.0])
    optimum = evaluator.evaluate(best_acres[in_mpisppy_order], "the optimum")
    assert optimum == pytest.approx(FARMER_RP, abs=0.01)
    assert best.objective == optimum


@pytest.mark.component
def test_lshaped_refuses_integer_recourse(tmp_path):
    problem = read_smps(write_farmer_smps(tmp_path, integer_purchases=True))
    with pytest.raises(OptionError, match="integer second-stage.*--method ph.*extensive_form"):
        _lshaped(problem, "farmer_integer")


@pytest.mark.component
def test_a_time_limit_ends_lshaped_honestly():
    """The contracts demo takes the L-shaped method about 60 masters: 2 seconds end it early,
    with a plan and a bound, or without a plan, never with a bound above the optimum."""
    instance = cbecopt.load_instance(ROOT / "instances" / "contracts_demo")
    result = cbecopt.solve(
        instance,
        "contracts",
        method="lshaped",
        options=cbecopt.SolveOptions(time_limit=2, mip_rel_gap=1e-9),
    )
    assert result.timings["total"] < 2 + 3
    assert "time limit" in result.termination
    if result.status == Status.NO_SOLUTION:
        assert result.objective is None
    else:
        assert result.status == Status.FEASIBLE
        assert result.bound is not None
        assert result.bound <= result.objective
        assert result.bound <= -6161090.58 + 1.0  # the extensive form's optimum


@pytest.mark.unit
def test_lshaped_refuses_what_it_cannot_do():
    with pytest.raises(OptionError, match="method lshaped gives no marginal values"):
        lshaped._refuse_unsupported(
            Task(None, None, None, ""),
            Run("contracts", "x", cbecopt.SolveOptions(marginal_values=True)),
            "lshaped",
        )
    with pytest.raises(OptionError, match="max_iterations"):
        lshaped.LShapedSettings(max_iterations=0)
    instance = cbecopt.load_instance(ROOT / "instances" / "demo")
    with pytest.raises(OptionError, match="method 'lshaped' applies to"):
        cbecopt.solve(instance, "warehouses", method="lshaped")


@pytest.mark.integration
def test_cli_solves_farmer_smps_by_lshaped_as_json(tmp_path):
    cor = write_farmer_smps(tmp_path)
    run = run_cbecopt(
        "solve", str(cor), "--format", "smps", "--method", "lshaped", "--gap", "1e-6",
        "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal"
    assert data["objective"] == pytest.approx(FARMER_RP, abs=0.01)
    assert data["bound"] == pytest.approx(FARMER_RP, abs=0.01)
    assert data["options"]["method"] == "lshaped"


@pytest.mark.integration
def test_sigterm_stops_lshaped_with_its_incumbent_and_bound():
    sigterm_keeps_incumbent_and_bound(
        "L-shaped iteration 3:",
        "solve", "contracts_demo", "--model", "contracts", "--method", "lshaped", "--gap", "1e-9",
        "--json", "--verbose",
    )  # fmt: skip


@pytest.mark.component
def test_the_lp_phase_relaxes_integers_within_their_bounds():
    """A binary relaxed for the LP master stays in [0, 1], a general integer in its bounds."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.used = pyo.Var(domain=pyo.Binary)
    m.lots = pyo.Var(domain=pyo.NonNegativeIntegers, bounds=(None, 7))
    m.flow = pyo.Var(bounds=(-1, None))
    relaxed = lshaped._relax_integers([m.used, m.lots, m.flow])
    assert [(v.is_continuous(), v.lb, v.ub) for v in (m.used, m.lots, m.flow)] == [
        (True, 0, 1),
        (True, 0, 7),
        (True, -1, None),
    ]
    lshaped._restore(relaxed)
    assert m.used.is_binary() and m.lots.is_integer() and (m.lots.lb, m.lots.ub) == (0, 7)


@pytest.mark.unit
def test_lshaped_takes_its_settings_as_method_options():
    from cbecopt.methods import lshaped, method_settings

    settings = method_settings("lshaped", lshaped, {"max_iterations": 7, "lp_phase": False})
    assert settings == lshaped.LShapedSettings(max_iterations=7, lp_phase=False)
    with pytest.raises(OptionError, match="max_iterations must be at least 1"):
        method_settings("lshaped", lshaped, {"max_iterations": 0})
