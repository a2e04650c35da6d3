"""Bad contract, scenario and distribution input: every problem named by file, row and column."""

from __future__ import annotations

import pytest

import cbecopt
from cbecopt.models.contracts.build import ContractsConfig
from contract_helpers import write_contracts_instance
from helpers import has, load_problems

pytestmark = pytest.mark.unit

PRODUCTS = [{"sku": "A", "price": 10, "salvage_value": 2}]
FIRM = {"supplier": "s1", "sku": "A", "type": "firm", "unit_price": 4}
DEMAND = [{"sku": "A", "quantity": 10}]


def test_contract_prices_that_make_no_sense(tmp_path):
    contracts = [
        {**FIRM, "unit_price": 1},  # below salvage 2: buy to salvage
        {"supplier": "s2", "sku": "A", "type": "option", "premium": 0.5, "exercise_price": 1},
        {
            "supplier": "s3",
            "sku": "A",
            "type": "quantity_flexibility",
            "unit_price": 5,
            "flex_up": 1.5,
        },
        {"supplier": "s4", "sku": "A", "type": "option", "premium": 1},  # no exercise price
        {
            "supplier": "s5",
            "sku": "A",
            "type": "firm",
            "unit_price": 5,
            "capacity": 10,
            "min_order": 20,
        },
        {"supplier": "s6", "sku": "A", "type": "spot", "unit_price": 5, "flex_down": 0.2},
    ]
    found = load_problems(write_contracts_instance(tmp_path / "x", PRODUCTS, contracts, DEMAND))
    assert has(found, "contracts.csv, row 2, column 'unit_price'", "below the salvage value")
    assert has(
        found, "contracts.csv, row 3, column 'exercise_price'", "premium + exercise_price (1.5)"
    )
    assert has(found, "contracts.csv, row 4, column 'flex_up'", "above the maximum 1")
    assert has(found, "contracts.csv, row 5, column 'exercise_price'", "needs exercise_price")
    assert has(found, "contracts.csv, row 6, column 'min_order'", "exceeds capacity")
    assert has(
        found, "contracts.csv, row 7, column 'flex_down'", "applies only to quantity_flexibility"
    )


def test_unknown_supplier_sku_and_type(tmp_path):
    folder = write_contracts_instance(
        tmp_path / "x",
        PRODUCTS,
        [FIRM, {**FIRM, "sku": "Z"}, {**FIRM, "type": "barter"}],
        [*DEMAND, {"sku": "Q", "quantity": 3}],
    )
    (folder / "nodes.csv").write_text("id,kind\ns1,supplier\nm1,market\n")
    text = (folder / "contracts.csv").read_text().replace("s1,Z", "ghost,Z")
    (folder / "contracts.csv").write_text(text)
    found = load_problems(folder)
    assert has(found, "contracts.csv, row 3, column 'supplier'", "unknown supplier 'ghost'")
    assert has(found, "contracts.csv, row 3, column 'sku'", "unknown SKU 'Z'")
    assert has(found, "contracts.csv, row 4, column 'type'", "'barter' is not one of")
    assert has(found, "demand.csv, row 3, column 'sku'", "unknown SKU 'Q'")


def test_scenario_probabilities_must_sum_to_one_and_be_defined(tmp_path):
    folder = write_contracts_instance(
        tmp_path / "x",
        PRODUCTS,
        [FIRM],
        [
            {"sku": "A", "scenario": "hi", "quantity": 5},
            {"sku": "A", "scenario": "lo", "quantity": 1},
        ],
        scenarios=[("hi", 0.5), ("mid", 0.4)],
    )
    found = load_problems(folder)
    assert has(found, "scenarios.csv, column 'probability'", "sum to 0.9")
    assert has(found, "demand.csv, row 3, column 'scenario'", "'lo' is not defined")
    (folder / "scenarios.csv").write_text("scenario,probability\nhi,1.2\nlo,-0.2\n")
    found = load_problems(folder)
    assert has(found, "scenarios.csv, row 2, column 'probability'", "above the maximum 1")
    assert has(found, "scenarios.csv, row 3, column 'probability'", "below the minimum 0")


def test_sampling_needs_a_standard_deviation_per_row(tmp_path):
    folder = write_contracts_instance(
        tmp_path / "x", PRODUCTS, [FIRM], [{"sku": "A", "quantity": 10, "std": None}]
    )
    instance = cbecopt.load_instance(folder)
    with pytest.raises(cbecopt.InputError, match=r"demand.csv, row 2, column 'std'"):
        cbecopt.solve(instance, "contracts", config=ContractsConfig(samples=10))


def test_the_model_names_the_tables_it_needs(tmp_path):
    folder = write_contracts_instance(tmp_path / "x", PRODUCTS, [FIRM], DEMAND)
    (folder / "contracts.csv").unlink()
    instance = cbecopt.load_instance(folder)
    with pytest.raises(
        cbecopt.InputError, match=r"contracts.csv: missing: the contracts model needs"
    ):
        cbecopt.solve(instance, "contracts")
    with pytest.raises(cbecopt.InputError, match=r"arcs.csv: missing: the warehouses model needs"):
        cbecopt.solve(instance, "warehouses")


def test_options_that_make_no_sense():
    with pytest.raises(cbecopt.OptionError, match="unknown contract type"):
        ContractsConfig(types=("firm", "barter"))
    with pytest.raises(cbecopt.OptionError, match="samples must be at least 1"):
        ContractsConfig(samples=0)
    from cbecopt.stochastic.twostage import RiskOptions

    with pytest.raises(cbecopt.OptionError, match="alpha"):
        RiskOptions(0.5, 1.0)
