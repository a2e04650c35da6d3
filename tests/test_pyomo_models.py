"""Every model cbecopt builds is a Pyomo model a Pyomo user can use.

For each model on its bundled instance (routing on a small generated two-scenario plan:
routing_demo takes minutes through Pyomo's writers), the model cbecopt solves (a two-stage
model's extensive form) is written by Pyomo's own LP and MPS writers and read back by HiGHS,
solved through Pyomo's ``appsi_highs`` and contrib ``highs`` interfaces, and compiled by
Pyomo's standard-form compiler; each must reach the objective of ``cbecopt.solve`` (within
1e-6 relative) or the same matrix. A two-stage model's ``scenario_creator`` goes through
mpi-sppy's extensive form to the same recourse-problem value (contracts_demo, and the farmer
of Birge and Louveaux, whose published RP is -108,390). ``solve --write-model`` writes what
it solves, under the rules of every cbecopt output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import cbecopt
from cbecopt.generate import generate_routing
from cbecopt.highs import compile_model
from cbecopt.models import MODELS
from cbecopt.stochastic.twostage import (
    build_extensive_form,
    scenario_creator,
    solve_extensive_form,
)
from farmer_model import FarmerProblem

ROOT = Path(__file__).resolve().parents[1]
TIGHT = 1e-9  # every solver's MIP gap here, so optima agree to far better than 1e-6
CASES = ["warehouses", "contracts", "suppliers", "routing"]


def _instance(model: str) -> cbecopt.Instance:
    if model == "routing":
        return generate_routing(3, n_months=3, n_bonded=2, n_origins=2, n_markets=4, n_scenarios=2)
    folder = {"warehouses": "demo"}.get(model, f"{model}_demo")
    return cbecopt.load_instance(ROOT / "instances" / folder)


@pytest.fixture(scope="module", params=CASES)
def case(request) -> tuple[str, pyo.Block, float]:
    """(model key, the Pyomo model cbecopt solves, cbecopt.solve's objective)."""
    model = request.param
    instance = _instance(model)
    result = cbecopt.solve(instance, model, cbecopt.SolveOptions(mip_rel_gap=TIGHT))
    assert result.status == cbecopt.Status.OPTIMAL
    spec = MODELS[model]
    built = spec.build(instance, None)
    if spec.two_stage:
        built = build_extensive_form(built, built.scenarios())
    return model, built.model, result.objective


def _highs_reads(path: Path) -> float:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", TIGHT)
    assert highs.readModel(str(path)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value


@pytest.mark.integration
@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_pyomo_writes_the_model_and_highs_solves_the_file(case, suffix, tmp_path):
    model, pyomo_model, objective = case
    path = tmp_path / f"{model}{suffix}"
    pyomo_model.write(str(path))  # Pyomo's own writer, the format from the suffix
    assert _highs_reads(path) == pytest.approx(objective, rel=1e-6)


@pytest.mark.integration
def test_pyomo_solver_interfaces_solve_the_built_model(case):
    model, pyomo_model, objective = case
    appsi = pyo.SolverFactory("appsi_highs")
    appsi.config.mip_gap = TIGHT
    appsi.solve(pyomo_model)
    active = next(pyomo_model.component_data_objects(pyo.Objective, active=True))
    assert pyo.value(active) == pytest.approx(objective, rel=1e-6)
    from pyomo.contrib.solver.solvers.highs import Highs

    result = Highs().solve(pyomo_model, rel_gap=TIGHT)
    assert result.incumbent_objective == pytest.approx(objective, rel=1e-6)


@pytest.mark.integration
def test_the_standard_form_compiler_gives_the_matrix_cbecopt_compiles(case):
    _, pyomo_model, _ = case
    compiled = compile_model(pyomo_model)
    standard = LinearStandardFormCompiler().write(pyomo_model, mixed_form=True)
    assert standard.A.shape == (compiled.n_rows, compiled.n_cols)
    assert standard.A.nnz == np.count_nonzero(compiled.row_value)  # Pyomo drops zero entries


def _extensive_form_class():
    """mpi-sppy's ExtensiveForm, or a visible skip (a failure under CI=true, which installs it)."""
    try:
        from mpisppy.opt.ef import ExtensiveForm
    except ImportError as exc:
        reason = f"mpi-sppy is not installed ({exc}); pip install 'cbecopt[scale]'"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}: CI must have it")
        pytest.skip(reason)
    return ExtensiveForm


def _mpisppy_rp(problem) -> float:
    ExtensiveForm = _extensive_form_class()
    names = [name for name, _, _ in problem.scenarios()]
    ef = ExtensiveForm(
        {"solver": "appsi_highs", "solver_options": {"mip_rel_gap": TIGHT}},
        names,
        lambda name: scenario_creator(problem, name),
    )
    ef.solve_extensive_form()
    return ef.get_objective_value()


@pytest.mark.component
def test_mpisppy_extensive_form_of_contracts_demo_gives_cbecopt_rp():
    instance = _instance("contracts")
    problem = MODELS["contracts"].build(instance, None)
    rp = solve_extensive_form(
        build_extensive_form(problem, problem.scenarios()),
        cbecopt.SolveOptions(mip_rel_gap=TIGHT),
    )
    assert _mpisppy_rp(problem) == pytest.approx(rp.outcome.objective, rel=1e-6)


@pytest.mark.integration
def test_mpisppy_extensive_form_of_the_farmer_gives_the_published_rp(benchmarks):
    # Birge and Louveaux (1997), sec. 1.1: RP = -108,390 (the data's thirds move it by < 1e-5).
    farmer = FarmerProblem(benchmarks / "farmer")
    assert _mpisppy_rp(farmer) == pytest.approx(-108390, rel=1e-5)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cbecopt", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
        timeout=300,
    )


@pytest.mark.integration
def test_write_model_writes_what_solve_solves(tmp_path):
    target = tmp_path / "models" / "contracts.mps"
    run = _cli("solve", "contracts_demo", "-m", "contracts", "--write-model", str(target), "--json")
    assert run.returncode == 0, run.stderr
    objective = json.loads(run.stdout)["objective"]
    assert target.read_text().startswith("* cbecopt sha256:")
    assert _highs_reads(target) == pytest.approx(objective, rel=1e-6)
    again = _cli("solve", "demo", "--write-model", str(target.with_suffix(".lp")), "--json")
    assert again.returncode == 0, again.stderr
    assert _highs_reads(target.with_suffix(".lp")) == pytest.approx(
        json.loads(again.stdout)["objective"], rel=1e-6
    )
    assert sorted(p.name for p in target.parent.iterdir()) == ["contracts.lp", "contracts.mps"]


@pytest.mark.integration
def test_write_model_replaces_only_its_own_file(tmp_path):
    target = tmp_path / "m.lp"
    assert _cli("solve", "demo", "--write-model", str(target)).returncode == 0
    assert _cli("solve", "demo", "--write-model", str(target)).returncode == 0  # its own
    target.write_text(target.read_text() + "\\ my note\n")  # now the user's
    run = _cli("solve", "demo", "--write-model", str(target))
    assert run.returncode == 2 and "not a model file written by cbecopt" in run.stderr
    assert target.read_text().endswith("\\ my note\n")
    mine = tmp_path / "mine.mps"
    mine.write_text("NAME mine\n")
    assert _cli("solve", "demo", "--write-model", str(mine)).returncode == 2
    assert mine.read_text() == "NAME mine\n"


@pytest.mark.integration
def test_write_model_refuses_other_suffixes_the_input_and_many_models(tmp_path):
    run = _cli("solve", "demo", "--write-model", str(tmp_path / "m.txt"))
    assert run.returncode == 2 and "must end in .lp or .mps" in run.stderr
    folder = tmp_path / "demo"
    run = _cli("convert", "demo", str(folder))
    assert run.returncode == 0, run.stderr
    inside = folder / "m.lp"
    run = _cli("solve", str(folder), "--write-model", str(inside))
    assert run.returncode == 2 and "lies inside the input folder" in run.stderr
    assert not inside.exists()
    run = _cli("solve", "demo", "--independent", "--write-model", str(tmp_path / "m.lp"))
    assert run.returncode == 2 and "--independent solves many" in run.stderr
    assert not (tmp_path / "m.lp").exists()
