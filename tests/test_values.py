"""Values the solver cannot use, months that are not periods, and checks across tables."""

from __future__ import annotations

import pandas as pd
import pytest

import cbecopt
from cbecopt.fields import parse_table
from cbecopt.schemas import DEMAND
from helpers import ARCS, NODES, has, load_problems, write_instance
from helpers import DEMAND as DEMAND_CSV


@pytest.mark.unit
def test_an_unlimited_placeholder_capacity_asks_for_a_blank_cell(tmp_path):
    nodes = NODES.replace("w1,overseas_warehouse,100,50", "w1,overseas_warehouse,1e16,50")
    found = load_problems(write_instance(tmp_path / "x", nodes=nodes))
    assert found == [
        "nodes.csv, row 2, column 'capacity': 1e+16 is too large for the solver "
        "(magnitude at most 1e+15): for no limit, leave the cell blank"
    ]


@pytest.mark.unit
def test_a_huge_cost_asks_for_larger_units(tmp_path):
    arcs = ARCS.replace("w1,m1,1", "w1,m1,2e15")
    found = load_problems(write_instance(tmp_path / "x", arcs=arcs))
    assert has(found, "arcs.csv, row 2, column 'unit_cost'", "too large", "larger units")


@pytest.mark.unit
def test_quantities_below_the_solvers_tolerance_ask_to_rescale(tmp_path):
    # demand and capacity scaled by 1e-9: HiGHS would call it optimal at cost 0
    nodes = NODES.replace(",100,", ",1e-7,").replace(",80,", ",8e-8,")
    demand = DEMAND_CSV.replace("m1,30", "m1,3e-8").replace("m2,40", "m2,4e-8")
    found = load_problems(write_instance(tmp_path / "x", nodes=nodes, demand=demand))
    assert len(found) == 4
    assert has(found, "demand.csv, row 2, column 'quantity'", "below 1e-06", "rescale the units")
    assert has(found, "nodes.csv, row 3, column 'capacity'", "below 1e-06")


@pytest.mark.component
def test_zero_quantities_stay_allowed(tmp_path):
    demand = DEMAND_CSV.replace("m1,30", "m1,0")
    instance = cbecopt.load_instance(write_instance(tmp_path / "x", demand=demand))
    # only m2's 40 is left: w2 alone, 40 + 40 x 1 = 80 (w1 alone: 50 + 120)
    assert cbecopt.solve(instance).objective == pytest.approx(80.0)


def demand_months(months: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"market": [f"m{k}" for k in range(len(months))], "quantity": "1", "month": months}
    )


@pytest.mark.unit
def test_calendar_labels_are_one_problem_for_the_column():
    labels = [f"2027-{m:02d}" for m in range(1, 13)] * 100
    table, found = parse_table(demand_months(labels), DEMAND, "demand.csv")
    assert [str(p) for p in found] == [
        "demand.csv, column 'month': month holds calendar labels such as '2027-01'; "
        "write calendar months as YYYY-MM (2027-01) or number the months of the horizon 1, 2, ..."
    ]


@pytest.mark.unit
@pytest.mark.parametrize("label", ["2027/1", "01/2027", "Jan 2027", "March", "2027年1月"])
def test_other_calendar_spellings_are_labels_too(label):
    _, found = parse_table(demand_months(["1", label]), DEMAND, "demand.csv")
    assert [p.message for p in found] == [
        f"month holds calendar labels such as '{label}'; write calendar months as YYYY-MM "
        "(2027-01) or number the months of the horizon 1, 2, ..."
    ]


@pytest.mark.unit
def test_a_month_beyond_a_gap_names_its_rows():
    months = [str(m) for m in range(1, 13)] + ["15", "7", "15"]
    _, found = parse_table(demand_months(months), DEMAND, "demand.csv")
    assert [(p.row, p.message) for p in found] == [
        (
            row,
            "month 15 leaves months 13 to 14 without any row: the months used must run "
            "without gaps from the first (1); is it a typo?",
        )
        for row in (14, 16)
    ]


@pytest.mark.unit
def test_months_may_start_anywhere_but_run_without_gaps():
    _, found = parse_table(demand_months(["3", "4", "5", "4"]), DEMAND, "demand.csv")
    assert found == []
    _, found = parse_table(demand_months(["1", "3"]), DEMAND, "demand.csv")
    assert [p.message.split(":")[0] for p in found] == ["month 3 leaves month 2 without any row"]


@pytest.mark.unit
def test_a_missing_column_does_not_hide_other_tables_problems(tmp_path):
    # a demand.csv without 'quantity' used to silence every cross-table check
    demand = DEMAND_CSV.replace("quantity", "qty")
    folder = write_instance(tmp_path / "x", arcs=ARCS + "w1,m9,4\n", demand=demand)
    assert load_problems(folder) == [
        "demand.csv, column 'quantity': required column is missing",
        "arcs.csv, row 6, column 'destination': unknown node 'm9' (not in nodes)",
    ]


@pytest.mark.unit
def test_a_broken_table_is_not_read_as_an_absent_one(tmp_path):
    # products.csv without 'sku' must not also report "contracts need a products table"
    folder = write_instance(tmp_path / "x")
    (folder / "products.csv").write_text("name,price\nA,10\n", encoding="utf-8")
    (folder / "contracts.csv").write_text(
        "supplier,sku,type,unit_price\nw1,A,firm,5\n", encoding="utf-8"
    )
    found = load_problems(folder)
    assert found == ["products.csv, column 'sku': required column is missing"]
