"""``--method ph``: progressive hedging on mpi-sppy, with an exactly evaluated incumbent and a
Lagrangian bound.

On the farmer of Birge and Louveaux (RP -108,390) and the smallest SIPLIB SSLP instance
(sslp_5_25_50, -121.60): the bound is at most the known optimum, which is at most the
incumbent; the status is ``optimal`` exactly when the gap is within ``mip_rel_gap``; a time
limit ends the call with its incumbent and bound. The command line solves the contracts demo
by PH, and what PH cannot do is refused.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

import cbecopt
from cbecopt.errors import OptionError
from cbecopt.methods import Task, progressive_hedging
from cbecopt.readers.smps import read_smps
from cbecopt.results import Run, Status
from cbecopt.stochastic.twostage import RiskOptions
from conftest import known_optima
from farmer_model import FarmerProblem
from test_cli import cbecopt_in_process as run_cbecopt
from test_interrupts import finish, start, wait_for_highs

ROOT = Path(__file__).resolve().parents[1]
FARMER_RP = -108390.0  # Birge and Louveaux (1997), sec. 1.1


def _ph(problem, name: str, settings=None, **options) -> cbecopt.Result:
    run = Run("two_stage", name, cbecopt.SolveOptions(**options).begin())
    return progressive_hedging.solve(Task(problem, None, None, ""), run, settings)


def _brackets(result, known: float, tolerance: float) -> None:
    """bound <= known optimum <= incumbent, and the status says what the gap proves."""
    assert result.objective is not None and result.bound is not None
    assert result.bound <= known + tolerance
    assert result.objective >= known - tolerance
    proved = result.gap <= result.options["mip_rel_gap"]
    assert result.status == (Status.OPTIMAL if proved else Status.FEASIBLE)


@pytest.mark.integration
def test_farmer_by_ph_brackets_the_published_optimum(benchmarks):
    farmer = FarmerProblem(benchmarks / "farmer")
    result = _ph(farmer, "farmer", time_limit=120, mip_rel_gap=1e-4)
    _brackets(result, FARMER_RP, 0.5)
    assert result.objective == pytest.approx(FARMER_RP, rel=1e-3)
    assert result.bound >= result.kpis["ph_trivial_bound"]  # W made the bound better
    assert result.kpis["expected_cost"] == pytest.approx(result.objective)


@pytest.mark.integration
def test_sslp_5_25_50_by_ph_brackets_the_known_optimum(benchmarks):
    known = dict(known_optima("sslp", "2S-SMIP"))["sslp_5_25_50"]
    problem = read_smps(benchmarks / "sslp" / "sslp_5_25_50.cor")
    result = _ph(problem, "sslp_5_25_50", time_limit=40)
    _brackets(result, known, 0.01)
    assert result.objective == pytest.approx(known, abs=0.01)  # found within the time
    assert result.size["scenarios"] == 50


@pytest.mark.integration
def test_a_time_limit_ends_ph_with_its_incumbent_and_bound(benchmarks):
    problem = read_smps(benchmarks / "sslp" / "sslp_5_25_50.cor")
    settings = progressive_hedging.PHSettings(max_iterations=10_000, convergence=0.0)
    result = _ph(problem, "sslp_5_25_50", settings, time_limit=8)
    assert result.status == Status.FEASIBLE
    assert result.bound is not None and result.objective is not None
    assert result.bound <= result.objective
    assert "time limit" in result.termination
    assert result.timings["total"] < 8 + 3


@pytest.mark.unit
def test_ph_refuses_what_it_cannot_do():
    with pytest.raises(OptionError, match="risk-neutral"):
        progressive_hedging._refuse_unsupported(
            Task(None, None, None, "", risk=RiskOptions(weight=0.5)),
            Run("contracts", "x", cbecopt.SolveOptions()),
        )
    with pytest.raises(OptionError, match="no reports"):
        progressive_hedging._refuse_unsupported(
            Task(None, None, None, "", reports=("stochastic",)),
            Run("contracts", "x", cbecopt.SolveOptions()),
        )
    with pytest.raises(OptionError, match="rho_factor"):
        progressive_hedging.PHSettings(rho_factor=0)


@pytest.mark.unit
def test_ph_applies_to_the_two_stage_models_only():
    instance = cbecopt.load_instance(ROOT / "instances" / "demo")
    with pytest.raises(OptionError, match="method 'ph' applies to"):
        cbecopt.solve(instance, "warehouses", method="ph")


@pytest.mark.integration
def test_cli_solves_contracts_demo_by_ph_as_json():
    run = run_cbecopt(
        "solve",
        "contracts_demo",
        "--model",
        "contracts",
        "--method",
        "ph",
        "--time-limit",
        "20",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] in ("feasible", "optimal")
    assert data["bound"] <= data["objective"] + 1e-6
    assert data["options"]["method"] == "ph"
    assert {"contracts", "skus", "scenarios"} <= set(data["tables"])
    assert data["timings"]["total"] < 20 + 5


@pytest.mark.integration
def test_sigterm_stops_ph_with_its_incumbent_and_bound(benchmarks):
    sigterm_keeps_incumbent_and_bound(
        "PH iteration ",
        "solve", benchmarks / "sslp" / "sslp_5_25_50.cor", "--format", "smps", "--method", "ph",
        "--json",
    )  # fmt: skip


def sigterm_keeps_incumbent_and_bound(started: str, *args) -> None:
    """The command line ``cbecopt *args``, sent SIGTERM once its stderr shows ``started``,
    ends within 5 s with its incumbent and bound."""
    solving = start(*args)
    wait_for_highs(solving, started=started)
    solving.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    returncode, result, stderr = finish(solving, timeout=60)
    assert time.monotonic() - signalled < 5
    assert returncode == 143, stderr
    assert result["status"] == "feasible"
    assert result["termination"].startswith("stopped by SIGTERM")
    assert result["bound"] <= result["objective"]


@pytest.mark.unit
def test_ph_refuses_a_problem_of_one_scenario():
    """Nothing to hedge, and one large model's handoff to HiGHS cannot be interrupted."""
    instance = cbecopt.load_instance(ROOT / "instances" / "routing_demo")
    with pytest.raises(OptionError, match="has one"):
        cbecopt.solve(instance, "routing", method="ph")


@pytest.mark.unit
def test_method_options_become_the_methods_settings_each_of_its_type():
    from cbecopt.methods import extensive_form, method_settings

    settings = method_settings(
        "ph", progressive_hedging, {"rho_factor": 2, "max_iterations": 3.0, "convergence": 0.01}
    )
    assert settings == progressive_hedging.PHSettings(
        rho_factor=2.0, max_iterations=3, convergence=0.01
    )
    assert isinstance(settings.rho_factor, float) and isinstance(settings.max_iterations, int)
    assert method_settings("ph", progressive_hedging, {}) is None
    with pytest.raises(OptionError, match="no option rho; its options: rho_factor, rho_floor"):
        method_settings("ph", progressive_hedging, {"rho": 1.0})
    with pytest.raises(OptionError, match="max_iterations of method 'ph' takes a int"):
        method_settings("ph", progressive_hedging, {"max_iterations": 2.5})
    with pytest.raises(OptionError, match="rho_factor of method 'ph' takes a float"):
        method_settings("ph", progressive_hedging, {"rho_factor": "high"})
    with pytest.raises(OptionError, match="must be positive"):
        method_settings("ph", progressive_hedging, {"rho_factor": -1.0})
    with pytest.raises(OptionError, match="method 'extensive_form' takes no method options"):
        method_settings("extensive_form", extensive_form, {"rho_factor": 1.0})


@pytest.mark.integration
def test_cli_method_options_set_ph_and_a_wrong_one_is_refused_by_name():
    run = run_cbecopt(
        "solve", "contracts_demo", "--model", "contracts", "--method", "ph",
        "--method-option", "rho_factor=0.5", "--method-option", "max_iterations=1",
        "--time-limit", "20", "--json",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["options"]["ph"]["rho_factor"] == 0.5
    assert data["options"]["ph"]["max_iterations"] == 1
    assert data["options"]["method_options"] == {"rho_factor": 0.5, "max_iterations": 1}
    wrong = run_cbecopt(
        "solve", "contracts_demo", "--model", "contracts", "--method", "ph",
        "--method-option", "rho=0.5",
    )  # fmt: skip
    assert wrong.returncode != 0
    assert "--method-option" in wrong.stderr and "its options: rho_factor" in wrong.stderr
    assert "Traceback" not in wrong.stderr
