"""What is already in motion in the ``routing`` model (``models/routing.md``, "What is already
in motion"): opening stock, inbound shipments in transit, frozen warehouses and listings,
planned shipments, each against costs computed by hand, and every bad row named by file, row
and column.

The instance: SKU ``A`` (bought at 100) from ``FR`` into one bonded warehouse ``BW``, by air
in the month shipped (20 per unit) or by sea a month later (5 per unit); market ``M1`` wants
10 units in month 1 and 10 in month 2, released from ``BW`` at 3 per unit plus the CBEC tax
0.7 x 13% x 200 = 18.20. No fixed, listing or holding cost, no salvage, no parcel lane: month
1 is flown (120 a unit), month 2 comes by sea (105 a unit), every unit is released (21.20).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cbecopt
from cbecopt.models.routing.data import RoutingConfig, RoutingData
from helpers import has
from routing_helpers import solve_routing, write_routing_instance

AIR, SEA, RELEASE = 120.0, 105.0, 3.0 + 0.7 * 0.13 * 200
TODAY = 10 * AIR + 10 * SEA + 20 * RELEASE
"""The plan's cost without anything in motion (2674)."""
LANES = [
    ("FR", "BW", "air_bulk", 20.0, 5),
    ("FR", "BW", "sea_bulk", 5.0, 35),
    ("BW", "M1", "last_mile", 3.0, 2),
]
PRODUCT = {"sku": "A", "holding_cost": 0.0, "salvage_value": 0.0, "listing_cost": 0.0}
DEMAND = [{"market": "M1", "sku": "A", "month": t, "quantity": 10} for t in (1, 2)]
AIR_LANE = {"origin": "FR", "destination": "BW", "mode": "air_bulk"}
SEA_LANE = {"origin": "FR", "destination": "BW", "mode": "sea_bulk"}


def folder_with(tmp_path, **tables):
    """The instance's folder with the tables of what is in motion given (rows as dicts)."""
    folder = write_routing_instance(tmp_path / "r", [PRODUCT], DEMAND, lanes=LANES)
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)
    return folder


def solved(tmp_path, **tables):
    return solve_routing(folder_with(tmp_path, **tables))


def read_problems(tmp_path, **tables) -> list[str]:
    """The problems the routing model's check step reports (loading must pass)."""
    instance = cbecopt.load_instance(folder_with(tmp_path, **tables))
    with pytest.raises(cbecopt.InputError) as caught:
        RoutingData.from_instance(instance, RoutingConfig())
    return [str(p) for p in caught.value.problems]


def inbound(result, status: str, mode: str | None = None) -> pd.DataFrame:
    table = result.tables["inbound"]
    rows = table[table["status"] == status]
    return rows if mode is None else rows[rows["mode"] == mode]


@pytest.mark.component
def test_without_the_tables_the_plan_costs_what_it_did(tmp_path):
    result = solved(tmp_path)
    assert result.objective == pytest.approx(TODAY)
    assert set(result.tables["inbound"]["status"]) == {"new"}


@pytest.mark.component
def test_opening_stock_is_bought_and_flown_that_much_less(tmp_path):
    result = solved(tmp_path, opening_stock=[{"warehouse": "BW", "sku": "A", "quantity": 4}])
    assert result.objective == pytest.approx(TODAY - 4 * AIR)
    assert inbound(result, "new", "air_bulk")["quantity"].sum() == pytest.approx(6)
    assert result.tables["bonded"]["used"].tolist() == [1]


@pytest.mark.component
def test_a_sea_shipment_in_transit_replaces_the_shipment_of_month_2(tmp_path):
    moving = {**SEA_LANE, "sku": "A", "ship_month": 1, "arrival_month": 2, "quantity": 10}
    result = solved(tmp_path, in_transit=[moving])
    assert result.objective == pytest.approx(TODAY - 10 * SEA)
    on_way = inbound(result, "in_transit")
    assert on_way[["arrival_month", "quantity", "freight_cost"]].values.tolist() == [[2, 10, 0]]
    assert inbound(result, "new")["quantity"].sum() == pytest.approx(10)


@pytest.mark.component
def test_a_planned_shipment_happens_as_given(tmp_path):
    """12 units flown in month 1: 2 carry to month 2, whose sea shipment is 8."""
    planned = {**AIR_LANE, "sku": "A", "ship_month": 1, "quantity": 12}
    folder = folder_with(tmp_path, planned_shipments=[planned])
    written = tmp_path / "model.lp"
    result = cbecopt.solve(cbecopt.load_instance(folder), "routing", write_model=written)
    bounds = written.read_text().split("bounds", 1)[1].splitlines()
    assert has(bounds, "12.0 <= routing_inbound(FR_BW_air_bulk_A_1) <= 12.0"), bounds
    assert result.objective == pytest.approx(12 * AIR + 8 * SEA + 20 * RELEASE)
    assert inbound(result, "planned")["quantity"].tolist() == [12]
    assert inbound(result, "new", "sea_bulk")["quantity"].sum() == pytest.approx(8)


@pytest.mark.component
def test_a_planned_shipment_into_a_warehouse_frozen_unused_is_diagnosed(tmp_path):
    planned = {**AIR_LANE, "sku": "A", "ship_month": 1, "quantity": 5}
    folder = folder_with(
        tmp_path,
        planned_shipments=[planned],
        frozen=[{"decision": "warehouse", "node": "BW", "value": 0}],
    )
    result = cbecopt.solve(cbecopt.load_instance(folder), "routing")
    assert result.status == cbecopt.Status.INFEASIBLE
    assert has(result.diagnosis, "relaxing planned_shipments row 2 alone"), result.diagnosis
    assert has(result.diagnosis, "relaxing frozen row 2 alone", "warehouse BW used = 0")


@pytest.mark.component
def test_a_listing_frozen_off_loses_every_unit(tmp_path):
    """Nothing reaches M1 but through BW: 20 units lost at their price, 200 each."""
    result = solved(
        tmp_path, frozen=[{"decision": "listing", "node": "BW", "sku": "A", "value": 0}]
    )
    assert result.objective == pytest.approx(20 * 200)
    assert result.tables["inbound"].empty


@pytest.mark.unit
def test_rows_of_a_sku_without_demand_are_ignored_with_a_warning(tmp_path):
    folder = folder_with(tmp_path, opening_stock=[{"warehouse": "BW", "sku": "B", "quantity": 4}])
    products = pd.read_csv(folder / "products.csv")
    pd.concat([products, products.assign(sku="B")]).to_csv(folder / "products.csv", index=False)
    data = RoutingData.from_instance(cbecopt.load_instance(folder), RoutingConfig())
    assert data.in_motion.arrivals == ()
    assert has(list(data.warnings), "opening_stock row 2", "'B' has no demand", "ignored")


@pytest.mark.unit
def test_a_warehouse_frozen_unused_where_stock_lies_is_refused(tmp_path):
    found = read_problems(
        tmp_path,
        opening_stock=[{"warehouse": "BW", "sku": "A", "quantity": 4}],
        frozen=[{"decision": "warehouse", "node": "BW", "value": 0}],
    )
    assert has(
        found,
        "frozen.csv, row 2, column 'value'",
        "warehouse BW used = 0, but opening_stock row 2 holds 4 units",
    ), found


STOCK = {"warehouse": "BW", "sku": "A", "quantity": 4}
TRANSIT = {**SEA_LANE, "sku": "A", "ship_month": 1, "arrival_month": 2, "quantity": 5}
PLANNED = {**AIR_LANE, "sku": "A", "ship_month": 1, "quantity": 5}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("table", "row", "column", "message"),
    [
        ("opening_stock", {**STOCK, "sku": "zz"}, "sku", "unknown SKU 'zz'"),
        ("opening_stock", {**STOCK, "warehouse": "M1"}, "warehouse", "no bonded or domestic"),
        ("in_transit", {**TRANSIT, "ship_month": 3}, "arrival_month", "before it leaves"),
        ("in_transit", {**TRANSIT, "ship_month": 0, "arrival_month": 0}, "arrival_month",
         "opening_stock"),
        ("in_transit", {**TRANSIT, "arrival_month": 3}, "arrival_month", "after the horizon"),
        ("in_transit", {**TRANSIT, "mode": "truck"}, "mode", "no inbound arc"),
        ("placed_orders", {"supplier": "FR", "sku": "A", "quantity": 5, "unit_price": 1},
         "supplier", "routing has no purchase decision"),
        ("planned_shipments", {**PLANNED, "ship_month": 3}, "ship_month", "after the horizon"),
        ("planned_shipments", {**SEA_LANE, "sku": "A", "ship_month": 2, "quantity": 5},
         "ship_month", "arrives after the horizon"),
        ("planned_shipments", {**PLANNED, "destination": "M1"}, "mode", "no inbound arc"),
        ("frozen", {"decision": "warehouse", "node": "BW", "value": 2}, "value", "0 or 1"),
        ("frozen", {"decision": "supplier", "node": "FR", "value": 1}, "decision",
         "routing has no supplier decisions"),
        ("frozen", {"decision": "warehouse", "node": "FR", "value": 1}, "node",
         "no bonded or domestic"),
        ("frozen", {"decision": "listing", "node": "BW", "value": 1}, "sku", "no SKU"),
    ],
)  # fmt: skip
def test_each_bad_row_is_named_by_file_row_and_column(tmp_path, table, row, column, message):
    found = read_problems(tmp_path, **{table: [row]})
    assert has(found, f"{table}.csv, row 2, column '{column}'", message), found


@pytest.mark.integration
def test_plan_rolls_a_routing_plan_on_by_a_month(tmp_path):
    """January's plan (January and February) flies January's units and ships February's by
    sea in January; February's plan (February and March) gets that sea shipment as in
    transit, so it only ships March's units by sea: 10 x 105 + 20 releases x 21.20."""
    from test_cli import cbecopt_in_process

    demand = [
        {"market": "M1", "sku": "A", "month": f"2027-0{t}", "quantity": 10} for t in (1, 2, 3)
    ]
    folder = str(write_routing_instance(tmp_path / "r", [PRODUCT], demand, lanes=LANES))
    jan, feb = tmp_path / "jan", tmp_path / "feb"
    first = cbecopt_in_process(
        "plan", folder, "-m", "routing", "--start", "2027-01", "--horizon", "2", "-o", str(jan)
    )
    assert first.returncode == 0, first.stderr
    second = cbecopt_in_process(
        "plan", folder, "-m", "routing", "--start", "2027-02", "--horizon", "2",
        "--previous", str(jan), "--frozen-months", "1", "-o", str(feb),
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "carried: in_transit: 1 shipments" in second.stderr
    result = json.loads((feb / "result.json").read_text(encoding="utf-8"))
    assert result["objective"] == pytest.approx(10 * SEA + 20 * RELEASE)
    shipped = pd.read_csv(feb / "inbound.csv")
    assert shipped[
        ["mode", "ship_month", "arrival_month", "quantity", "status"]
    ].values.tolist() == [
        ["sea_bulk", "2027-01", "2027-02", 10, "in_transit"],
        ["sea_bulk", "2027-02", "2027-03", 10, "new"],
    ]
    changes = pd.read_csv(feb / "changes.csv")
    assert changes[["table", "month", "previous", "new"]].values.tolist() == [
        ["inbound", "2027-02", 0, 10]
    ]


@pytest.mark.unit
def test_a_planned_shipment_of_part_of_a_case_is_refused(tmp_path):
    folder = folder_with(tmp_path, planned_shipments=[PLANNED])  # 5 units
    products = pd.read_csv(folder / "products.csv").assign(pack_size=4)
    products.to_csv(folder / "products.csv", index=False)
    with pytest.raises(cbecopt.InputError) as caught:
        RoutingData.from_instance(cbecopt.load_instance(folder), RoutingConfig())
    found = [str(p) for p in caught.value.problems]
    assert has(found, "planned_shipments.csv, row 2, column 'quantity'", "whole cases of 4"), found


@pytest.mark.unit
def test_solving_by_sku_blocks_refuses_what_is_in_motion(tmp_path):
    folder = folder_with(tmp_path, opening_stock=[STOCK])
    with pytest.raises(cbecopt.OptionError, match="leave out --sku-blocks"):
        RoutingData.from_instance(cbecopt.load_instance(folder), RoutingConfig(sku_blocks=1))


@pytest.mark.unit
def test_the_channel_comparison_refuses_what_is_in_motion(tmp_path):
    from cbecopt.models.routing.policies import compare_routing

    instance = cbecopt.load_instance(folder_with(tmp_path, opening_stock=[STOCK]))
    with pytest.raises(cbecopt.InputError) as caught:
        compare_routing(instance)
    assert has([str(p) for p in caught.value.problems], "opening_stock.csv", "from scratch")


@pytest.mark.unit
def test_a_routing_plan_carries_its_shipments_stock_and_decisions():
    """January's routing plan: 4 units left in BW at the end of January, a sea shipment on
    the water into February, one leaving in February (the frozen month) and one in March."""
    from cbecopt.rolling import carry_over

    lane = {"origin": "FR", "bonded_warehouse": "BW", "mode": "sea_bulk", "sku": "A"}
    previous = {
        "inbound": pd.DataFrame(
            [
                {**lane, "ship_month": "2027-01", "arrival_month": "2027-02", "quantity": 10},
                {**lane, "ship_month": "2027-02", "arrival_month": "2027-03", "quantity": 7},
                {**lane, "ship_month": "2027-03", "arrival_month": "2027-04", "quantity": 5},
            ]
        ),
        "stock": pd.DataFrame(
            {
                "bonded_warehouse": ["BW", "BW"],
                "sku": "A",
                "month": ["2027-01", "2027-02"],
                "stock": [4.0, 1.0],
            }
        ),  # fmt: skip
        "bonded": pd.DataFrame({"bonded_warehouse": ["BW", "DW"], "used": [1, 0]}),
    }
    carried = carry_over(previous, "2027-02", frozen_months=1).tables
    assert carried["in_transit"][["destination", "ship_month", "quantity"]].values.tolist() == [
        ["BW", "2027-01", 10]
    ]
    assert carried["opening_stock"].values.tolist() == [["BW", "A", 4.0]]
    assert carried["planned_shipments"][["ship_month", "quantity"]].values.tolist() == [
        ["2027-02", 7]
    ]
    frozen = carried["frozen"][["decision", "node", "sku"]].fillna("").values.tolist()
    assert frozen == [["warehouse", "BW", ""], ["listing", "BW", "A"]]


@pytest.mark.unit
def test_goods_keep_their_warehouse_used_and_a_bonded_sku_listed(tmp_path):
    """Listing at a domestic warehouse costs nothing and gates nothing: goods there force the
    warehouse used only."""
    lanes = [*LANES, ("FR", "DW", "sea_bulk", 2.0, 35), ("DW", "M1", "last_mile", 2.0, 2)]
    bonded = {"BW": {"fixed_cost": 0.0}, "DW": {"kind": "domestic_warehouse"}}
    folder = write_routing_instance(tmp_path / "r", [PRODUCT], DEMAND, bonded=bonded, lanes=lanes)
    moving = [
        {**SEA_LANE, "sku": "A", "ship_month": 1, "arrival_month": 2, "quantity": 5},
        {**SEA_LANE, "destination": "DW", "sku": "A", "ship_month": 1, "arrival_month": 2,
         "quantity": 5},
    ]  # fmt: skip
    pd.DataFrame(moving).to_csv(folder / "in_transit.csv", index=False)
    data = RoutingData.from_instance(cbecopt.load_instance(folder), RoutingConfig())
    fixed = {(f.family, f.label, f.value, f.source) for f in data.in_motion.fixings}
    assert fixed == {
        ("use_bonded", "BW", 1.0, "in_transit row 2"),
        ("listed", ("BW", "A"), 1.0, "in_transit row 2"),
        ("use_bonded", "DW", 1.0, "in_transit row 3"),
    }
    assert sorted(data.in_motion.arrivals) == [(0, 0, 1, 5.0), (1, 0, 1, 5.0)]
