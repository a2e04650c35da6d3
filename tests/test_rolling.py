"""Rolling plans: what a previous plan hands to the next month's run, and what changed.

The previous plan here is written by hand (the tables a ``network`` plan has), so each carried
row can be checked against the rule it follows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cbecopt.errors import InputError
from cbecopt.rolling import carry_over, plan_changes, read_plan

COLUMNS = [
    "role",
    "origin",
    "destination",
    "sku",
    "mode",
    "ship_month",
    "arrival_month",
    "quantity",
]


def previous_plan() -> dict[str, pd.DataFrame]:
    """A plan from 2027-01: sea shipments to bonded BZ, one air shipment, stock in BZ."""
    shipments = pd.DataFrame(
        [
            ("inbound", "S1", "BZ", "A", "sea", "2027-01", "2027-03", 100.0),  # on the water
            ("inbound", "S1", "BZ", "A", "air", "2027-01", "2027-01", 20.0),  # arrived
            ("inbound", "S1", "BZ", "A", "sea", "2027-02", "2027-04", 80.0),  # frozen month
            ("inbound", "S1", "BZ", "B", "sea", "2027-03", "2027-05", 50.0),  # free again
            ("first_mile", "S2", "OW", "B", "truck", "2027-01", "2027-02", 30.0),  # on the way
            ("inbound", "S2", "DW", "B", "sea", "2027-01", "2027-02", 1e-9),  # noise
        ],
        columns=COLUMNS,
    )
    stock = pd.DataFrame(
        {
            "warehouse": ["BZ", "BZ", "OW"],
            "sku": ["A", "A", "B"],
            "month": ["2027-01", "2027-02", "2027-01"],
            "quantity": [15.0, 5.0, 7.0],
        }
    )
    return {
        "shipments": shipments,
        "stock": stock,
        "warehouses": pd.DataFrame(
            {
                "warehouse": ["BZ", "DW", "BZ2"],
                "kind": ["bonded", "domestic", "bonded"],
                "used": [1, 1, 0],
            }
        ),
        "overseas": pd.DataFrame({"warehouse": ["OW", "OW2"], "open": [1, 0]}),
        "purchases": pd.DataFrame(
            {"supplier": ["S1", "S2", "S3"], "sku": ["A", "B", "B"], "quantity": [250.0, 30.0, 0.0]}
        ),
    }


@pytest.mark.unit
def test_shipments_on_the_water_when_the_month_starts_are_in_transit():
    carried = carry_over(previous_plan(), "2027-02", frozen_months=1)
    moving = carried.tables["in_transit"]
    assert list(
        zip(moving["sku"], moving["mode"], moving["arrival_month"], moving["quantity"], strict=True)
    ) == [
        ("A", "sea", "2027-03", 100.0),
        ("B", "truck", "2027-02", 30.0),
    ]


@pytest.mark.unit
def test_the_frozen_months_shipments_are_planned_and_later_ones_free():
    carried = carry_over(previous_plan(), "2027-02", frozen_months=1)
    planned = carried.tables["planned_shipments"]
    assert list(zip(planned["sku"], planned["ship_month"], planned["quantity"], strict=True)) == [
        ("A", "2027-02", 80.0)
    ]
    two = carry_over(previous_plan(), "2027-02", frozen_months=2).tables["planned_shipments"]
    assert list(two["ship_month"]) == ["2027-02", "2027-03"]
    assert carry_over(previous_plan(), "2027-02").tables["planned_shipments"].empty


@pytest.mark.unit
def test_opening_stock_is_the_stock_at_the_end_of_the_month_before():
    stock = carry_over(previous_plan(), "2027-02").tables["opening_stock"]
    assert list(zip(stock["warehouse"], stock["sku"], stock["quantity"], strict=True)) == [
        ("BZ", "A", 15.0),
        ("OW", "B", 7.0),
    ]
    assert carry_over(previous_plan(), "2027-01").tables["opening_stock"].empty


@pytest.mark.unit
def test_decisions_taken_are_frozen():
    frozen = carry_over(previous_plan(), "2027-02").tables["frozen"]
    rows = set(
        zip(
            frozen["decision"],
            frozen["node"],
            frozen["sku"].fillna(""),
            frozen["value"],
            strict=True,
        )
    )
    assert rows == {
        ("warehouse", "BZ", "", 1.0),
        ("warehouse", "DW", "", 1.0),
        ("overseas", "OW", "", 1.0),
        ("listing", "BZ", "A", 1.0),
        ("listing", "BZ", "B", 1.0),
        ("supplier", "S1", "", 1.0),
        ("supplier", "S2", "", 1.0),
    }


@pytest.mark.unit
def test_a_plan_that_ends_too_early_or_numbers_its_months_is_refused():
    with pytest.raises(InputError, match="ends in 2027-02, before 2027-03"):
        carry_over(previous_plan(), "2027-04")
    numbered = previous_plan()
    numbered["shipments"] = numbered["shipments"].assign(ship_month=1, arrival_month=3)
    with pytest.raises(InputError, match="rolling plans need calendar months"):
        carry_over(numbered, "2027-02")


@pytest.mark.unit
def test_changes_list_what_moved_from_the_new_first_month(tmp_path):
    before = previous_plan()
    after = {name: table.copy() for name, table in before.items()}
    after["shipments"].loc[3, "quantity"] = 20.0  # B in 2027-03: 50 -> 20
    after["shipments"].loc[0, "quantity"] = 0.0  # a January shipment: before the start
    after["overseas"].loc[0, "open"] = 0
    changes = plan_changes(before, after, "2027-02")
    assert list(
        zip(changes["table"], changes["item"], changes["month"], changes["change"], strict=True)
    ) == [
        ("shipments", "S1/BZ/B/sea", "2027-03", -30.0),
        ("overseas", "OW", None, -1.0),
    ]
    assert plan_changes(before, before, "2027-02").empty


@pytest.mark.unit
def test_read_plan_names_what_is_missing(tmp_path):
    plan = previous_plan()
    folder = tmp_path / "plan"
    folder.mkdir()
    for name, table in plan.items():
        if name != "stock":
            table.to_csv(folder / f"{name}.csv", index=False)
    with pytest.raises(InputError, match="has no stock table"):
        read_plan(folder)
    with pytest.raises(InputError, match="is not a plan"):
        read_plan(tmp_path / "nothing.xlsx")
