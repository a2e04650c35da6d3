"""Options that do not apply to the model asked are errors, and every command that solves
checks its model's inputs first: exit 2 with the problems, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from cbecopt.cli.run import app  # the Typer application with every command registered
from helpers import DEMAND, write_instance
from routing_helpers import write_routing_instance

pytestmark = pytest.mark.integration


def run(*args: str):
    """The command in this process (the option checks happen before anything is solved)."""
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "warehouses", "--channels", "bonded"), "--channels applies to routing, not warehouses"),
        (("--model", "routing", "--multi-source"), "--multi-source applies to warehouses, not routing"),
        (("--model", "warehouses", "--samples", "5"), "--samples applies to contracts / routing, not warehouses"),
        (("--model", "contracts", "--sku-blocks", "4"), "--sku-blocks applies to routing, not contracts"),
        (("--model", "routing", "--independent"), "--independent applies to warehouses, not routing"),
        (("--model", "warehouses", "--report", "stochastic"), "--report applies to contracts / routing / smps"),
        (("--model", "suppliers", "--risk-weight", "0"), "--risk-weight applies to contracts / routing / smps"),
        (("--model", "suppliers", "--alpha", "0.9"), "--alpha applies to contracts / routing / smps / network"),
        (("--model", "contracts", "--demand", "exact"), "--demand applies to suppliers, not contracts"),
        (("--model", "routing", "--types", "firm"), "--types applies to contracts, not routing"),
        (("--model", "warehouses", "--distribution", "lognormal"), "--distribution applies to contracts / routing"),
        (("--format", "smps", "--channels", "bonded"), "--channels applies to routing, not smps"),
        (("--format", "smps", "--model", "contracts"), "--model does not apply to SMPS files"),
    ],
)  # fmt: skip
def test_an_option_for_another_model_is_an_error(args, message):
    result = run("solve", "demo", *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr


def test_options_of_several_models_are_all_named():
    result = run("solve", "demo", "--channels", "bonded", "--types", "firm", "--demand", "exact")
    assert result.exit_code == 2
    for option, models in (
        ("--channels", "routing"),
        ("--types", "contracts"),
        ("--demand", "suppliers"),
    ):
        assert f"{option} applies to {models}, not warehouses" in result.stderr  # fmt: skip


def test_frontier_and_saa_refuse_sampling_options_for_an_smps_file():
    result = run("frontier", "x.cor", "--format", "smps", "--samples", "5")
    assert (
        result.exit_code == 2
        and "--samples applies to contracts / routing, not smps" in result.stderr
    )
    result = run("saa", "x.cor", "--format", "smps", "--distribution", "normal")
    assert result.exit_code == 2
    assert "--distribution applies to contracts / routing, not smps" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("compare-suppliers", "demo"),  # before: KeyError 'products'
        ("pareto", "demo"),
        ("compare-contracts", "demo"),
        ("frontier", "demo", "-o", "unused"),
        ("saa", "demo"),
    ],
)
def test_commands_that_solve_check_their_model_first(command):
    result = run(*command)
    assert result.exit_code == 2, result.stdout
    assert "products.csv: missing: the" in result.stderr


def test_compare_routing_checks_every_channel_before_solving_any_strategy(tmp_path, monkeypatch):
    """A SKU no channel reaches is an input error of the hybrid plan; before, the three
    restricted strategies were solved first."""
    import cbecopt.batch

    def no_solve(*args, **kwargs):
        raise AssertionError("a strategy was solved before the inputs were checked")

    monkeypatch.setattr(cbecopt.batch, "solve", no_solve)
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "bonded_allowed": 0, "cbec_allowed": 0}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        lanes=[("FR", "BW", "air_bulk", 5, 5), ("BW", "M1", "last_mile", 3, 2)],
    )
    result = run("compare-routing", str(folder), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "products.csv, row 2, column 'sku': SKU 'A' has demand but" in result.stderr
    assert not (tmp_path / "out").exists()


def test_solve_independent_needs_platforms_and_some_demand(tmp_path):
    demand = "market,platform,quantity\nm1,a,0\nm2,b,0\n"
    result = run("solve", str(write_instance(tmp_path / "zero", demand=demand)), "--independent")
    assert result.exit_code == 2  # before: ZeroDivisionError
    assert "demand.csv, column 'quantity': every quantity is 0" in result.stderr
    result = run("solve", str(write_instance(tmp_path / "none", demand=DEMAND)), "--independent")
    assert result.exit_code == 2 and "needs a 'platform' column" in result.stderr
    nodes = pd.DataFrame({"id": ["m1", "m2"], "kind": "market"})
    folder = write_instance(
        tmp_path / "nowhere", arcs="origin,destination,unit_cost\n", demand=demand
    )
    nodes.to_csv(folder / "nodes.csv", index=False)
    result = run("solve", str(folder), "--independent")
    assert result.exit_code == 2
    assert (
        "the warehouses model needs at least one node of kind overseas_warehouse" in result.stderr
    )
