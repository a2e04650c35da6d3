"""The ``network`` model from the shell: ``solve`` (text, ``--json``, ``-o``, mean-CVaR),
``validate`` and bad input, each against the API or an independent oracle."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cbecopt
from network_helpers import tiny
from network_io_helpers import ARCS, OFFERS, write_network_instance
from test_cli import cbecopt as run_cbecopt
from test_network_model import brute_force

pytestmark = pytest.mark.integration

KPIS = {
    "expected_cost",
    "first_stage_cost",
    "plan_cost",
    "cost_parts",
    "fill_rate",
    "lost_sales",
    "units_by_channel",
    "suppliers_used",
    "overseas_open",
    "warehouses_used",
    "tax_paid",
    "tax_rules",
}
TABLES = {
    "scenarios",
    "purchases",
    "overseas",
    "warehouses",
    "shipments",
    "deliveries",
    "cost_breakdown",
}


def hand_written(**changes):
    """The instance's network written by hand (no tax: every lane's rate is 0)."""
    return tiny(release=((0, 0, 1.0, 0.0),), parcel=((0, 0, 4.0, 0.0),), **changes)


def test_solve_json_gives_the_brute_force_optimum_and_the_documented_keys(tmp_path):
    folder = write_network_instance(tmp_path / "tiny")
    run = run_cbecopt("solve", str(folder), "--model", "network", "--json")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert (out["status"], out["model"], out["instance"]) == ("optimal", "network", "tiny")
    assert out["objective"] == pytest.approx(brute_force(hand_written()), rel=1e-6)
    api = cbecopt.solve(cbecopt.load_instance(folder), "network")
    assert out["objective"] == pytest.approx(api.objective, rel=1e-9)
    assert set(out["kpis"]) >= KPIS
    assert set(out["tables"]) == TABLES
    assert sum(out["kpis"]["cost_parts"].values()) == pytest.approx(out["objective"], rel=1e-9)


def test_solve_prints_the_plan_and_writes_its_tables(tmp_path):
    folder = write_network_instance(tmp_path / "tiny")
    run = run_cbecopt("solve", str(folder), "--model", "network", "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    assert "network on tiny: optimal" in run.stdout
    assert "units by channel:" in run.stdout and "cost breakdown" in run.stdout
    written = {p.stem for p in (tmp_path / "out").glob("*.csv")}
    assert written >= TABLES
    parts = pd.read_csv(tmp_path / "out" / "cost_breakdown.csv")
    assert parts["cost"].sum() == pytest.approx(brute_force(hand_written()), rel=1e-6)


@pytest.mark.parametrize(("weight", "alpha"), [(1.0, 0.5), (0.4, 0.9)])
def test_mean_cvar_from_the_command_line_is_the_brute_force_optimum(tmp_path, weight, alpha):
    folder = write_network_instance(tmp_path / "tiny")
    run = run_cbecopt(
        "solve",
        str(folder),
        "--model",
        "network",
        "--risk-weight",
        str(weight),
        "--alpha",
        str(alpha),
        "--json",
    )
    assert run.returncode == 0, run.stderr
    optimum = brute_force(hand_written(), risk=(weight, alpha))
    assert json.loads(run.stdout)["objective"] == pytest.approx(optimum, rel=1e-6)


def test_validate_says_valid_and_names_what_it_does_not_read(tmp_path):
    folder = write_network_instance(tmp_path / "tiny")
    run = run_cbecopt("validate", str(folder), "--model", "network", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["feeds"] == ["network"]
    assert report["models"]["network"]["valid"] and report["models"]["network"]["warnings"] == []
    text = run_cbecopt("validate", str(folder), "--model", "network")
    assert text.returncode == 0 and "network: valid" in text.stdout


def test_bad_input_exits_2_naming_file_row_and_column(tmp_path):
    arcs = [*ARCS, ("NB", "LA", "sea_bulk", 1.0, 10)]
    offers = [{**OFFERS[0], "discount": "incremental"}, OFFERS[1]]
    folder = write_network_instance(tmp_path / "bad", arcs=arcs, offers=offers)
    for command in ("solve", "validate"):
        run = run_cbecopt(command, str(folder), "--model", "network")
        assert run.returncode == 2, (command, run.stdout, run.stderr)
        shown = run.stdout + run.stderr
        assert "arcs.csv, row 9, column 'destination'" in shown
        assert "offers.csv, row 2, column 'discount'" in shown
    report = json.loads(run_cbecopt("validate", str(folder), "--model", "network", "--json").stdout)
    problems = report["models"]["network"]["problems"]
    assert {(p["file"], p["row"], p["column"]) for p in problems} == {
        ("arcs.csv", 9, "destination"),
        ("offers.csv", 2, "discount"),
    }


def test_generate_says_the_network_generator_is_not_there_yet(tmp_path):
    run = run_cbecopt("generate", "network", "-o", str(tmp_path / "gen"))
    assert run.returncode == 2, run.stdout
    assert "not available yet" in run.stderr
    assert not (tmp_path / "gen").exists()
