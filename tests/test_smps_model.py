"""SMPS files are the registry's ``smps`` model, solved by the one pipeline (``cbecopt.solve``)
and the command line's one path, like every model: ``solve FILE.cor --format smps`` or
``--model smps``; ``validate``, ``list`` and ``generate`` say what it reads.

The problem is ``test_smps``'s tiny random right-hand side, optimum 6.8 at x = 5 by hand.
"""

from __future__ import annotations

import json

import pytest

import cbecopt
from cbecopt.errors import OptionError
from cbecopt.readers.smps import SmpsProblem
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process
from test_smps import RHS_COR, RHS_STO, RHS_TIM, write_smps

OPTIMUM = 6.8
"""min x + 3 E[(d - x)+] over integer x, d = 2, 5, 8 with probability 0.3, 0.5, 0.2 (x = 5)."""


@pytest.fixture
def core_file(tmp_path):
    return write_smps(tmp_path / "smps", "tiny", RHS_COR, RHS_TIM, RHS_STO)


@pytest.mark.unit
def test_smps_is_a_registered_model_of_smps_files():
    spec = cbecopt.MODELS["smps"]
    assert spec.two_stage and not spec.reads_instances and spec.source is SmpsProblem
    assert list(cbecopt.MODELS)[:4] == ["warehouses", "contracts", "routing", "suppliers"]


@pytest.mark.component
def test_the_pipeline_solves_an_smps_problem_to_its_hand_optimum(core_file):
    result = cbecopt.solve(cbecopt.read_smps(core_file), "smps")
    assert result.status == cbecopt.Status.OPTIMAL and result.model == "smps"
    assert result.objective == pytest.approx(OPTIMUM, abs=1e-9)
    assert result.tables["first_stage"].to_dict("list") == {"variable": ["x"], "value": [5.0]}
    assert result.tables["scenarios"]["probability"].tolist() == [0.3, 0.5, 0.2]
    assert result.timings["load"] >= 0


@pytest.mark.unit
def test_an_instance_is_refused_by_the_smps_model_and_smps_files_by_the_others(core_file):
    with pytest.raises(OptionError, match="the smps model reads SMPS files .* not the instance"):
        cbecopt.solve(cbecopt.load_instance("instances/demo"), "smps")
    with pytest.raises(OptionError, match="the warehouses model reads an instance .* SMPS"):
        cbecopt.solve(cbecopt.read_smps(core_file), "warehouses")
    with pytest.raises(OptionError, match="takes a SmpsConfig"):
        cbecopt.solve(cbecopt.read_smps(core_file), "smps", config=cbecopt.WarehousesConfig())


@pytest.mark.integration
@pytest.mark.parametrize("chosen", [("--format", "smps"), ("--model", "smps")])
def test_the_command_line_solves_smps_files_through_the_pipeline(core_file, chosen, tmp_path):
    out = tmp_path / "out"
    run = run_cbecopt("solve", str(core_file), *chosen, "--json", "-o", str(out))
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert (data["status"], data["model"]) == ("optimal", "smps")
    assert data["objective"] == pytest.approx(OPTIMUM, abs=1e-9)
    assert (out / "first_stage.csv").read_text().splitlines() == ["variable,value", "x,5.0"]


@pytest.mark.integration
def test_the_methods_apply_to_smps_as_to_every_model(core_file):
    run = run_cbecopt("solve", str(core_file), "--model", "smps", "--method", "extensive_form")
    assert run.returncode == 0, run.stderr
    blocks = run_cbecopt("solve", str(core_file), "--model", "smps", "--method", "sku_blocks")
    assert blocks.returncode == 2 and "applies to routing / network, not smps" in blocks.stderr


@pytest.mark.integration
def test_validate_an_instance_folder_for_smps_says_it_reads_smps_files():
    run = run_cbecopt("validate", "demo", "--model", "smps")
    assert run.returncode == 2
    assert "the smps model reads SMPS files" in run.stderr and "demo" in run.stderr


@pytest.mark.integration
def test_validate_smps_files_with_the_smps_model(core_file):
    run = run_cbecopt("validate", str(core_file), "--model", "smps")
    assert run.returncode == 0, run.stderr
    assert "valid: tiny — 3 scenarios" in run.stdout
    other = run_cbecopt("validate", str(core_file), "--format", "smps", "--model", "routing")
    assert other.returncode == 2 and "not routing" in other.stderr


@pytest.mark.integration
def test_validate_without_a_model_does_not_check_an_instance_for_smps():
    run = run_cbecopt("validate", "demo", "--json")
    assert run.returncode == 0, run.stderr
    assert "smps" not in json.loads(run.stdout)["models"]


@pytest.mark.integration
def test_list_shows_smps_and_generate_says_it_reads_files(tmp_path):
    listed = run_cbecopt("list")
    assert "smps" in listed.stdout and "SMPS files" in listed.stdout
    generated = run_cbecopt("generate", "smps", "-o", str(tmp_path / "x"))
    assert generated.returncode == 2 and "cbecopt generates none" in generated.stderr
    assert not (tmp_path / "x").exists()
