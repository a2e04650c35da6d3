"""Nonsense option values of the generators and samplers: refused up front, naming the option."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cbecopt.checks import MAX_ROWS
from cbecopt.errors import OptionError
from cbecopt.models.contracts.generate import generate_contracts
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.models.warehouses.generate import generate_warehouses
from cbecopt.scenarios import generate_demand_scenarios
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process


@pytest.mark.unit
@pytest.mark.parametrize(
    ("call", "option", "text"),
    [
        (lambda: generate_warehouses(3, 4, capacity_ratio=math.nan), "capacity_ratio", "nan"),
        (lambda: generate_warehouses(3, 4, capacity_ratio=math.inf), "capacity_ratio", "inf"),
        (lambda: generate_warehouses(3, 4, seed=-1), "seed", "at least 0"),
        (lambda: generate_warehouses(-3, 4), "n_warehouses", "at least 1"),
        (lambda: generate_warehouses(3, 0), "n_markets", "got 0"),
        (lambda: generate_warehouses(3, 4, platforms=2.5), "platforms", "whole number"),
        (lambda: generate_contracts(2, -1), "n_scenarios", "at least 0"),
        (lambda: generate_routing(2, n_months=13), "n_months", "from 1 to 12"),
        (lambda: generate_routing(2, n_markets=0), "n_markets", "from 1 to 31"),
        (lambda: generate_suppliers(2, 1), "n_suppliers", "at least 2"),
    ],
)
def test_nonsense_numbers_name_the_parameter(call, option, text):
    with pytest.raises(OptionError) as caught:
        call()
    assert caught.value.option == option and text in caught.value.message


@pytest.mark.unit
@pytest.mark.parametrize(
    ("call", "option"),
    [
        (lambda: generate_warehouses(10**5, 10**5), "n_warehouses"),
        (lambda: generate_contracts(10**9, 50), "n_skus"),
        (lambda: generate_routing(10**9), "n_skus"),
        (lambda: generate_suppliers(10**9, 25), "n_skus"),
        (lambda: generate_suppliers(10, 10**9), "n_suppliers"),
    ],
)
def test_a_billion_of_anything_is_refused_with_the_limit_before_any_work(call, option):
    with pytest.raises(OptionError, match=f"above the limit of {MAX_ROWS:,}") as caught:
        call()
    assert caught.value.option == option


@pytest.mark.unit
def test_scenario_sampling_options():
    demand = pd.DataFrame({"market": ["m1"], "quantity": [10.0], "std": [2.0]})
    for n, seed, option in ((0, 1, "n"), (5, -1, "seed"), (10**9, 0, "n")):
        with pytest.raises(OptionError) as caught:
            generate_demand_scenarios(demand, n, "normal", seed)
        assert caught.value.option == option


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["generate", "warehouses", "--capacity-ratio", "nan"], "--capacity-ratio"),
        (["generate", "warehouses", "--seed", "-1"], "--seed"),
        (["generate", "routing", "--markets", "0"], "--markets"),
        (["generate", "contracts", "--skus", "1000000000"], "--skus"),
        (["scenarios", "demo", "--n", "0"], "--n"),
        (["scenarios", "demo", "--seed", "-2"], "--seed"),
    ],
)
def test_the_command_line_names_the_flag_and_exits_2(tmp_path, args, flag):
    run = run_cbecopt(*args, "-o", str(tmp_path / "out"))
    assert run.returncode == 2, run.stderr
    assert f"error: {flag}: " in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
