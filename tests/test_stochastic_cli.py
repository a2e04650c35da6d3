"""Two-stage models from the command line and the SAA gap estimate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.models.contracts.build import ContractsConfig, demand_sampler
from cbecopt.stochastic.saa import mrp_gap
from contract_helpers import write_contracts_instance
from oracles.inventory import expected_newsvendor_cost_normal
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process

H, P = 0.18, 0.70


def newsvendor(folder):
    return write_contracts_instance(
        folder,
        [{"sku": "A", "price": 0, "salvage_value": -H, "lost_sale_penalty": P}],
        [{"supplier": "s1", "sku": "A", "type": "firm", "unit_price": 0}],
        [{"sku": "A", "quantity": 50, "std": 8}],
    )


@pytest.mark.integration
def test_solve_contracts_with_the_stochastic_report_as_json():
    run = run_cbecopt(
        "solve", "contracts_demo", "--model", "contracts", "--report", "stochastic", "--json"
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal"
    assert set(data["stochastic"]) >= {"rp", "ev", "eev", "ws", "evpi", "vss"}
    assert data["stochastic"]["rp"] == pytest.approx(data["objective"])
    assert data["stochastic"]["evpi"] >= -1e-6 and data["stochastic"]["vss"] >= -1e-6
    assert {"contracts", "skus", "scenarios", "stochastic"} <= set(data["tables"])
    assert data["size"]["scenarios"] == 5


@pytest.mark.integration
def test_solve_an_smps_file(benchmarks):
    run = run_cbecopt(
        "solve", str(benchmarks / "sslp" / "sslp_5_25_50.cor"), "--format", "smps", "--json"
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal" and data["model"] == "smps"
    assert abs(data["objective"] - (-121.60)) <= 0.01
    assert data["kpis"]["first_stage_nonzero"] == ["x_1", "x_3"]


@pytest.mark.integration
def test_frontier_writes_a_table_and_a_plot(tmp_path):
    out = tmp_path / "frontier"
    run = run_cbecopt(
        "frontier", "contracts_demo", "--points", "3", "--alpha", "0.8", "-o", str(out)
    )
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out / "frontier.csv")
    assert list(table["weight"]) == [0.0, 0.5, 1.0]
    assert (table["status"] == "optimal").all()
    assert np.all(np.diff(table["expected_cost"]) >= -1e-6)  # more weight on the tail...
    assert np.all(np.diff(table["cost_cvar"]) <= 1e-6)  # ...never a worse tail
    assert (out / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.integration
def test_compare_contracts_json_has_one_row_per_policy():
    run = run_cbecopt("compare-contracts", "contracts_demo", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)  # one object: overall status, timings and the rows
    assert data["status"] == "optimal" and set(data) >= {"objective", "bound", "gap", "timings"}
    rows = data["policies"]
    assert [r["policy"] for r in rows] == [
        "safety_stock",
        "quantity_flexibility",
        "options",
        "spot",
        "combined",
    ]


@pytest.mark.integration
def test_scenarios_command_writes_an_instance_with_sampled_demand(tmp_path):
    source = newsvendor(tmp_path / "nv")
    target = tmp_path / "nv20"
    run = run_cbecopt(
        "scenarios",
        str(source),
        "--dist",
        "lognormal",
        "--n",
        "20",
        "--seed",
        "4",
        "-o",
        str(target),
    )
    assert run.returncode == 0, run.stderr
    instance = cbecopt.load_instance(target)
    assert len(instance.tables["scenarios"]) == 20
    assert instance.tables["scenarios"]["probability"].sum() == pytest.approx(1.0)
    assert instance.meta["scenarios"] == {"distribution": "lognormal", "n": 20, "seed": 4}
    result = cbecopt.solve(instance, "contracts")
    assert result.status == cbecopt.Status.OPTIMAL and result.size["scenarios"] == 20
    again = tmp_path / "again"
    run_cbecopt(
        "scenarios",
        str(source),
        "--dist",
        "lognormal",
        "--n",
        "20",
        "--seed",
        "4",
        "-o",
        str(again),
    )
    assert (again / "demand.csv").read_bytes() == (target / "demand.csv").read_bytes()


@pytest.mark.integration
def test_scenarios_command_rejects_bad_input(tmp_path):
    source = newsvendor(tmp_path / "nv")
    (source / "demand.csv").write_text("market,sku,quantity\nm1,A,50\n")
    run = run_cbecopt("scenarios", str(source), "--n", "5", "-o", str(tmp_path / "o"))
    assert run.returncode == 2 and "column 'std'" in run.stderr and "Traceback" not in run.stderr
    run = run_cbecopt(
        "scenarios", str(source), "--dist", "empirical", "--n", "5", "-o", str(tmp_path / "o")
    )
    assert run.returncode == 2 and "demand_history" in run.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.component
def test_mmw_gap_interval_covers_the_true_gap_of_the_candidate(tmp_path):
    """Newsvendor with N(50, 8): the candidate's true optimality gap has a closed form."""
    instance = cbecopt.load_instance(newsvendor(tmp_path / "nv"))
    config = ContractsConfig(samples=50)
    problem = cbecopt.MODELS["contracts"].build(instance, config)
    sampler = demand_sampler(instance, config, problem.data.SKUS)
    result = mrp_gap(
        problem.with_scenarios, sampler, 50, 15, seed=5, confidence=0.95, evaluation_n=4000
    )
    q = float(result.candidate[0])
    true_cost = expected_newsvendor_cost_normal(q, 50, 8, H, P)
    true_gap = true_cost - 1.997605
    s = result.summary
    assert s["all_optimal"] and s["replications"] == 15 and len(result.replications) == 15
    assert 0 <= true_gap <= s["gap_ci_upper"]
    assert s["lower_bound_ci_low"] <= 1.997605
    assert s["upper_bound_estimate"] == pytest.approx(true_cost, rel=0.05)
    assert (result.replications["gap"] >= -1e-9).all()


@pytest.mark.integration
def test_saa_command_json(tmp_path):
    run = run_cbecopt(
        "saa",
        str(newsvendor(tmp_path / "nv")),
        "--n",
        "30",
        "--replications",
        "4",
        "--evaluation-n",
        "200",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal" and len(data["replications"]) == 4
    for key in ("gap_estimate", "gap_ci_upper", "lower_bound_estimate", "upper_bound_estimate"):
        assert key in data["summary"]


@pytest.mark.integration
def test_the_one_seed_drives_sampling_alike_in_the_api_and_the_command_line(tmp_path):
    """``SolveOptions.seed`` is the root of the demand samples' seed: the API with seed 1 plans
    on the sample numpy draws with the ``scenarios`` stream of the seed tree rooted at 1 (a
    ``SeedSequence(1)`` child, not seed 0's), and the command line with --seed 1 finds the
    same plan."""
    from cbecopt.scenarios import generate_demand_scenarios
    from cbecopt.seeds import stream_seed

    folder = newsvendor(tmp_path / "nv")
    instance = cbecopt.load_instance(folder)
    config = ContractsConfig(samples=100)
    results = {
        s: cbecopt.solve(instance, "contracts", cbecopt.SolveOptions(seed=s), config)
        for s in (0, 1)
    }
    for seed, result in results.items():
        drawn_with = stream_seed(seed, "scenarios")
        rows, _ = generate_demand_scenarios(instance.tables["demand"], 100, "normal", drawn_with)
        mean_demand = float(rows["quantity"].mean())
        table = result.tables["scenarios"]
        assert float((table["probability"] * table["demand"]).sum()) == pytest.approx(mean_demand)
    assert results[0].objective != pytest.approx(results[1].objective)
    run = run_cbecopt(
        "solve", str(folder), "--model", "contracts", "--samples", "100", "--seed", "1", "--json"
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["objective"] == pytest.approx(results[1].objective, rel=1e-12)
