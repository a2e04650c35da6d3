"""validate tells the truth, the same as solve: per model, every problem solve would raise
(file or sheet, the row a person sees, column), which models the instance can feed, and what
each model would not read."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import cbecopt
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.models.warehouses.build import WarehousesConfig
from helpers import ARCS, DEMAND, NODES, write_instance
from routing_helpers import write_routing_instance
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process
from test_suppliers import write

LANES = [
    ("FR", "BW", "air_bulk", 5, 5),
    ("BW", "M1", "last_mile", 3, 2),
    ("FR", "M1", "cbec_parcel", 20, 10),
]
ROOT = Path(__file__).resolve().parents[1]


def routing_folder(folder: Path, products=None, demand=None, lanes=LANES) -> Path:
    return write_routing_instance(
        folder,
        products or [{"sku": "A"}, {"sku": "B"}],
        demand or [{"market": "M1", "sku": k, "quantity": 5} for k in ("A", "B")],
        lanes=lanes,
    )


def workbook(folder: Path, drop: str | None = None) -> Path:
    """The instance in ``folder`` as ``plan.xlsx`` beside it, without the sheet ``drop``."""
    import openpyxl

    book = cbecopt.save_instance(cbecopt.load_instance(folder), folder.parent / "plan.xlsx")
    if drop is not None:
        sheets = openpyxl.load_workbook(book)
        del sheets[drop]
        sheets.save(book)
    return book


def rewrite(path: Path, **changes) -> None:
    """Rewrite one CSV table with column renames (``rename={...}``) or cell edits."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = table.rename(columns=changes.pop("rename", {}))
    for column, values in changes.items():
        table[column] = values
    table.to_csv(path, index=False)


def solve_problems(instance, model: str, config=None) -> list[cbecopt.Problem]:
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.solve(instance, model, config=config)
    return caught.value.problems


def broken_routing_workbook(tmp_path: Path, breakage: str) -> Path:
    folder = routing_folder(tmp_path / "x")
    if breakage == "renamed vat_rate":
        rewrite(folder / "products.csv", rename={"vat_rate": "vat"})
    elif breakage == "unknown origin":
        rewrite(folder / "products.csv", origin=["FR", "XX"])
    return workbook(folder, drop="products" if breakage == "no products sheet" else None)


EXPECTED = {
    "no products sheet": "plan.xlsx, sheet 'products': missing: the routing model needs this table",
    "renamed vat_rate": "plan.xlsx, sheet 'products', column 'vat_rate': the routing model needs "
    "this column",
    "unknown origin": "plan.xlsx, sheet 'products', row 3, column 'origin': origin 'XX' is not a "
    "node; it must be a supplier, overseas_warehouse, port node",
}


@pytest.mark.unit
@pytest.mark.parametrize("breakage", list(EXPECTED))
def test_validate_reports_what_solve_rejects_naming_the_sheet(tmp_path, breakage):
    instance = cbecopt.load_instance(broken_routing_workbook(tmp_path, breakage))
    report = cbecopt.validate(instance, "routing")
    check = report.checks["routing"]
    assert not check.ok and report.feeds == []
    assert [str(p) for p in check.problems] == [EXPECTED[breakage]]
    assert check.problems == solve_problems(instance, "routing")  # the very same check
    with pytest.raises(cbecopt.InputError) as caught:
        report.raise_for("routing")
    assert caught.value.problems == check.problems
    everything = cbecopt.validate(instance)
    assert "routing" not in everything.feeds
    if breakage == "no products sheet":
        assert everything.checks["routing"].reason == "missing table products"
    if breakage == "renamed vat_rate":
        assert (
            "plan.xlsx, sheet 'products': column 'vat' is not a cbecopt column; the routing "
            "model ignores it" in check.warnings
        )


@pytest.mark.unit
def test_validate_without_a_model_says_which_models_and_why_not():
    demo = cbecopt.validate(cbecopt.load_instance(ROOT / "instances" / "demo"))
    assert demo.feeds == ["warehouses"]
    assert demo.checks["routing"].reason == "missing table products"
    assert demo.checks["suppliers"].reason == "missing tables products, offers, price_breaks"
    routing = cbecopt.validate(cbecopt.load_instance(ROOT / "instances" / "routing_demo"))
    assert routing.feeds == ["routing"]
    assert [str(p) for p in routing.checks["warehouses"].problems] == [
        "nodes.csv, column 'kind': the warehouses model needs at least one node of kind "
        "overseas_warehouse"
    ]
    assert routing.to_dict()["models"]["contracts"]["missing_tables"] == ["contracts"]


@pytest.mark.unit
def test_a_config_is_checked_as_solve_checks_it(tmp_path):
    folder = routing_folder(
        tmp_path / "x", demand=[{"market": "M1", "sku": "A", "quantity": 5, "scenario": "s1"}]
    )
    (folder / "scenarios.csv").write_text("scenario,probability\ns1,1\n")
    instance = cbecopt.load_instance(folder)
    report = cbecopt.validate(instance, "routing", RoutingConfig(samples=3))
    assert isinstance(report.checks["routing"].error, cbecopt.OptionError)
    with pytest.raises(cbecopt.OptionError, match="already has scenarios"):
        report.raise_for("routing")
    with pytest.raises(cbecopt.OptionError, match="already has scenarios"):
        cbecopt.solve(instance, "routing", config=RoutingConfig(samples=3))
    assert cbecopt.validate(instance, "routing").feeds == ["routing"]
    with pytest.raises(cbecopt.OptionError, match="takes a RoutingConfig"):
        cbecopt.validate(instance, "routing", WarehousesConfig())
    with pytest.raises(cbecopt.OptionError, match="needs the model"):
        cbecopt.validate(instance, config=RoutingConfig())


@pytest.mark.unit
def test_model_messages_count_rows_as_the_user_sees_them(tmp_path):
    """Rows of the sheet or file the user opens: a demand row without a month (before: a
    traceback), a lane without a lead time, and a product row after one without demand (not
    its place among the products with demand)."""
    folder = routing_folder(
        tmp_path / "x",
        products=[{"sku": "Z"}, {"sku": "A"}],
        demand=[
            {"market": "M1", "sku": "A", "quantity": 5, "month": 1},
            {"market": "M1", "sku": "A", "quantity": 1},
        ],
        lanes=[LANES[0], (*LANES[1][:4], None), LANES[2]],
    )
    book = workbook(folder)
    found = [str(p) for p in solve_problems(cbecopt.load_instance(book), "routing")]
    assert found == [
        "plan.xlsx, sheet 'demand', row 3, column 'month': the routing model needs the month of "
        "every demand row"
    ]
    rewrite(folder / "demand.csv", month=["1", "2"])
    found = [str(p) for p in solve_problems(cbecopt.load_instance(workbook(folder)), "routing")]
    assert found == [
        "plan.xlsx, sheet 'arcs', row 3, column 'lead_time_days': a last_mile lane needs a lead "
        "time above 0 days"
    ]
    per_kg = ("FR", "M1", "postal_parcel", 0, 15, 30.0)
    folder = routing_folder(
        tmp_path / "y",
        products=[{"sku": "Z"}, {"sku": "A"}],
        demand=[{"market": "M1", "sku": "A", "quantity": 5}],
        lanes=[*LANES, per_kg],
    )
    found = [str(p) for p in solve_problems(cbecopt.load_instance(folder), "routing")]
    assert found == [
        "products.csv, row 3, column 'weight_kg': SKU 'A' travels on lanes priced per kg but "
        "has no weight"
    ]


def scenario_demand(folder: Path, model: str) -> Path:
    """``folder`` with a warehouses or suppliers instance whose second demand row has a scenario."""
    if model == "warehouses":
        write_instance(folder)
    else:
        write(folder, [{"supplier": "s1", "sku": "A"}], [("s1", "A", 0, 10)], [("A", 10), ("B", 5)])
        rewrite(folder / "products.csv", sku=["A", "B"])
        (folder / "offers.csv").write_text("supplier,sku\ns1,A\ns1,B\n")
        (folder / "price_breaks.csv").write_text(
            "supplier,sku,from_quantity,unit_price\ns1,A,0,10\ns1,B,0,10\n"
        )
    rewrite(folder / "demand.csv", scenario=["", "s1"])
    (folder / "scenarios.csv").write_text("scenario,probability\ns1,1\n")
    return folder


@pytest.mark.unit
@pytest.mark.parametrize("model", ["warehouses", "suppliers"])
def test_models_that_plan_one_demand_refuse_demand_by_scenario(tmp_path, model):
    """Before: warehouses planned for no demand at all, suppliers for the scenarios added up."""
    instance = cbecopt.load_instance(scenario_demand(tmp_path / "x", model))
    assert [str(p) for p in cbecopt.validate(instance, model).checks[model].problems] == [
        f"demand.csv, row 3, column 'scenario': the {model} model plans for one demand; "
        "demand by scenario is for the contracts and routing models"
    ]


def _with_column(csv: str, column: str, values: dict[str, str]) -> str:
    """``csv`` with one more column, filled for the rows whose first field is a key of
    ``values`` and blank elsewhere (every line keeps as many fields as the header)."""
    header, *rows = csv.splitlines()
    lines = [f"{header},{column}"]
    lines += [f"{row},{values.get(row.split(',')[0], '')}" for row in rows]
    return "\n".join(lines) + "\n"


@pytest.mark.integration
def test_columns_a_model_does_not_read_are_warned_by_validate_and_solve(tmp_path):
    nodes = _with_column(NODES, "notes", {"w1": "near the port"})
    arcs = _with_column(
        _with_column(ARCS, "lead_time_days", {"w1": "4"}), "cost_per_kg", {"w1": "0.5"}
    )
    folder = write_instance(tmp_path / "x", nodes=nodes, arcs=arcs)
    (folder / "products.csv").write_text("sku,price\nA,10\n")
    expected = [
        "nodes.csv: column 'notes' is not a cbecopt column; the warehouses model ignores it",
        "arcs.cost_per_kg is not used by the warehouses model",
        "arcs.lead_time_days is not used by the warehouses model",
        "products (products.csv) is not used by the warehouses model",
    ]
    instance = cbecopt.load_instance(folder)
    assert sorted(cbecopt.validate(instance, "warehouses").checks["warehouses"].warnings) == sorted(
        expected
    )
    result = cbecopt.solve(instance, "warehouses")
    assert sorted(result.warnings) == sorted(expected)
    assert sorted(result.to_dict()["warnings"]) == sorted(expected)
    run = run_cbecopt("solve", str(folder), "--json")
    assert run.returncode == 0, run.stderr
    assert sorted(json.loads(run.stdout)["warnings"]) == sorted(expected)
    assert "warning: arcs.cost_per_kg is not used by the warehouses model" in run.stderr


@pytest.mark.integration
def test_validate_from_the_shell(tmp_path):
    book = broken_routing_workbook(tmp_path, "no products sheet")
    run = run_cbecopt("validate", str(book), "--model", "routing")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert EXPECTED["no products sheet"] in run.stderr
    run = run_cbecopt("validate", "demo")
    assert run.returncode == 0, run.stderr
    assert "warehouses: valid" in run.stdout
    assert "routing: cannot feed it: missing table products" in run.stdout
    assert "warning: arcs.lead_time_days is not used by the warehouses model" in run.stderr
    run = run_cbecopt("validate", "routing_demo", "--model", "routing", "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["feeds"] == ["routing"]
    demand = DEMAND.replace("market,quantity", "market,quantity,scenario").replace("40", "40,s1")
    folder = write_instance(tmp_path / "none", demand=demand.replace("m1,30", "m1,30,"))
    (folder / "scenarios.csv").write_text("scenario,probability\ns1,1\n")
    run = run_cbecopt("validate", str(folder))
    assert run.returncode == 2, run.stdout
    assert "warehouses: cannot feed it: 1 problem in the input" in run.stdout
    assert "the instance can feed no model" in run.stderr
