"""Two-stage models go to mpi-sppy unchanged, and ``solve --write-model`` writes what it solves.

A two-stage model's ``scenario_creator`` goes through mpi-sppy's extensive form to the same
recourse-problem value (contracts_demo, and the farmer of Birge and Louveaux, whose published
RP is -108,390). ``solve --write-model`` writes what it solves, under the rules of every
cbecopt output. (That every registered model is a Pyomo model Pyomo's writers, solver
interfaces and standard-form compiler take is a conformance test: tests/test_conformance.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import cbecopt
from cbecopt.models import MODELS
from cbecopt.stochastic.twostage import (
    build_extensive_form,
    scenario_creator,
    solve_extensive_form,
)
from farmer_model import FarmerProblem
from helpers import highs_optimum

ROOT = Path(__file__).resolve().parents[1]
TIGHT = 1e-9  # every solver's MIP gap here, so optima agree to far better than 1e-6


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
    instance = cbecopt.load_instance(ROOT / "instances" / "contracts_demo")
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
    assert highs_optimum(target, TIGHT) == pytest.approx(objective, rel=1e-6)
    again = _cli("solve", "demo", "--write-model", str(target.with_suffix(".lp")), "--json")
    assert again.returncode == 0, again.stderr
    assert highs_optimum(target.with_suffix(".lp"), TIGHT) == pytest.approx(
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
