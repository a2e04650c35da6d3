"""What is already in motion in the ``network`` model (``models/network.md``, "What is already
in motion"): opening stock, shipments in transit, placed orders, frozen decisions and planned
shipments, each against costs computed by hand on a network small enough to plan in one's
head, and every bad row named by file, row and column.

The network: one supplier ``brand`` selling SKU ``k`` at 10, one bonded warehouse ``NB``, one
province ``SH`` wanting 30 units in month 1 and 50 in month 2 (a lost unit costs 50). ``NB``
is reached by air in the month shipped (5 per unit) or by sea in two months (2 per unit, so
no sea shipment arrives within the two months); release costs 1. No fixed costs, holding,
tax or handling: every unit sold costs 10 + 5 + 1 = 16, all 80 units are sold, 1280.
"""

from __future__ import annotations

import pytest

import cbecopt
from cbecopt.models.network import read_network
from cbecopt.rolling import plan_month
from helpers import has, load_problems
from network_io_helpers import write_network_instance

NODES = [
    {"id": "brand", "kind": "supplier"},
    {"id": "NB", "kind": "bonded_warehouse"},
    {"id": "SH", "kind": "market"},
]
ARCS = [
    ("brand", "NB", "sea_bulk", 2.0, 61),
    ("brand", "NB", "air_bulk", 5.0, 5),
    ("NB", "SH", "domestic_express", 1.0, 3),
]
PRODUCTS = [
    {"sku": "k", "category": "apparel", "price": 30, "lost_sale_penalty": 20, "holding_cost": 0,
     "vat_rate": 0.0, "consumption_tax_rate": 0.0, "tariff_rate": 0.0},
]  # fmt: skip
OFFERS = [{"supplier": "brand", "sku": "k", "counterfeit_rate": 0.0}]
BREAKS = [("brand", "k", 0, 10.0)]
DEMAND = [
    {"market": "SH", "sku": "k", "month": 1, "quantity": 30},
    {"market": "SH", "sku": "k", "month": 2, "quantity": 50},
]
PRICE, AIR, RELEASE = 10.0, 5.0, 1.0
TODAY = (30 + 50) * (PRICE + AIR + RELEASE)
"""The plan's cost without anything in motion: every unit bought, flown and released."""

AIR_LANE = {"origin": "brand", "destination": "NB", "mode": "air_bulk"}
SEA_LANE = {"origin": "brand", "destination": "NB", "mode": "sea_bulk"}


def instance_folder(tmp_path, nodes=NODES, arcs=ARCS, **tables):
    """The network's folder with the tables of what is in motion given."""
    return write_network_instance(
        tmp_path / "rolling",
        nodes,
        arcs,
        PRODUCTS,
        OFFERS,
        BREAKS,
        DEMAND,
        scenarios=[],
        settings="[network]\n",
        **tables,
    )


def solved(tmp_path, nodes=NODES, arcs=ARCS, **tables):
    folder = instance_folder(tmp_path, nodes, arcs, **tables)
    return cbecopt.solve(cbecopt.load_instance(folder), "network")


def read_problems(tmp_path, nodes=NODES, **tables) -> list[str]:
    """The problems the network model's check step reports (loading must pass)."""
    instance = cbecopt.load_instance(instance_folder(tmp_path, nodes, **tables))
    with pytest.raises(cbecopt.InputError) as caught:
        read_network(instance)
    return [str(p) for p in caught.value.problems]


def shipped(result, month: int, status: str = "new") -> float:
    """Units of ``k`` the plan's shipments table shows arriving in ``month`` with ``status``."""
    table = result.tables["shipments"]
    rows = table[(table["arrival_month"] == month) & (table["status"] == status)]
    return float(rows["quantity"].sum())


# --- the model -------------------------------------------------------------------------------


@pytest.mark.component
def test_without_the_tables_the_plan_costs_what_it_did(tmp_path):
    result = solved(tmp_path)
    assert read_network(cbecopt.load_instance(instance_folder(tmp_path))).in_motion is None
    assert result.objective == pytest.approx(TODAY)
    assert shipped(result, 1) + shipped(result, 2) == pytest.approx(80)


@pytest.mark.component
def test_opening_stock_is_bought_and_flown_that_much_less(tmp_path):
    result = solved(tmp_path, opening_stock=[{"warehouse": "NB", "sku": "k", "quantity": 20}])
    assert result.objective == pytest.approx(TODAY - 20 * (PRICE + AIR))
    assert result.tables["purchases"]["quantity"].sum() == pytest.approx(80 - 20)
    assert shipped(result, 1) + shipped(result, 2) == pytest.approx(80 - 20)
    assert result.kpis["warehouses_used"] == ["NB"]


@pytest.mark.component
def test_a_sea_shipment_in_transit_replaces_the_air_freight_of_month_2(tmp_path):
    on_the_water = {**SEA_LANE, "sku": "k", "ship_month": 0, "arrival_month": 2, "quantity": 50}
    result = solved(tmp_path, in_transit=[on_the_water])
    # its price and freight are sunk: month 2 costs only the release of its 50 units, and
    # the 30 units month 1 needs must arrive in month 1
    assert result.objective == pytest.approx(TODAY - 50 * (PRICE + AIR))
    assert shipped(result, 2) == pytest.approx(0.0)
    assert shipped(result, 2, "in_transit") == pytest.approx(50)
    table = result.tables["shipments"]
    assert table.loc[table["status"] == "in_transit", "cost"].tolist() == [0.0]


@pytest.mark.component
def test_placed_orders_save_their_price_and_are_reported_as_committed(tmp_path):
    placed = {"supplier": "brand", "sku": "k", "quantity": 25, "unit_price": 9.0}
    result = solved(tmp_path, placed_orders=[placed])
    assert result.objective == pytest.approx(TODAY - 25 * PRICE)
    assert result.tables["purchases"]["quantity"].sum() == pytest.approx(80 - 25)
    assert result.kpis["committed_cost"] == pytest.approx(25 * 9.0)
    # the 25 units ordered leave first: purchasing orders only what leaves beyond them
    orders = result.tables["purchase_orders"].groupby("month")["quantity"].sum()
    first, second = shipped(result, 1), shipped(result, 2)  # air: ship month = arrival month
    expected = {1: max(first - 25, 0.0), 2: second - max(25 - first, 0.0)}
    assert orders.sum() == pytest.approx(80 - 25)
    for month, units in expected.items():
        assert orders.get(month, 0.0) == pytest.approx(units)


@pytest.mark.component
def test_a_planned_shipment_happens_as_given_and_the_lp_file_holds_it(tmp_path):
    # 70 units flown in month 2 where 50 are wanted: 20 bought and flown for nothing
    planned = {**AIR_LANE, "sku": "k", "ship_month": 2, "quantity": 70}
    folder = instance_folder(tmp_path, planned_shipments=[planned])
    written = tmp_path / "model.lp"
    result = cbecopt.solve(cbecopt.load_instance(folder), "network", write_model=written)
    assert result.objective == pytest.approx(TODAY + 20 * (PRICE + AIR))
    assert shipped(result, 2, "planned") == pytest.approx(70)
    bounds = written.read_text().split("bounds", 1)[1]
    # the air lane is the arcs' second inbound lane (in1); ship month 2 is the key's month 1
    assert has(bounds.splitlines(), "shipment(in1_k_1)", "70.0 <=", "<= 70.0")


@pytest.mark.component
def test_a_planned_shipment_from_a_supplier_frozen_unqualified_is_diagnosed(tmp_path):
    result = solved(
        tmp_path,
        frozen=[{"decision": "supplier", "node": "brand", "value": 0}],
        planned_shipments=[{**AIR_LANE, "sku": "k", "ship_month": 1, "quantity": 10}],
    )
    assert result.status == cbecopt.Status.INFEASIBLE
    assert has(result.diagnosis, "relaxing frozen row 2 alone", "supplier brand qualified = 0")
    assert has(result.diagnosis, "relaxing planned_shipments row 2 alone", "in month 1 = 10")


@pytest.mark.component
@pytest.mark.parametrize(
    "frozen",
    [
        {"decision": "warehouse", "node": "NB", "value": 0},
        {"decision": "listing", "node": "NB", "sku": "k", "value": 0},
        {"decision": "supplier", "node": "brand", "value": 0},
    ],
)
def test_a_decision_frozen_shut_leaves_every_unit_lost(tmp_path, frozen):
    # the one route runs through NB, bought from brand, listed at NB: shut, all 80 units lost
    result = solved(tmp_path, frozen=[frozen])
    assert result.objective == pytest.approx(80 * (30 + 20))


@pytest.mark.component
def test_a_warehouse_frozen_open_pays_its_fixed_cost(tmp_path):
    nodes = [*NODES, {"id": "LA", "kind": "overseas_warehouse", "fixed_cost": 100}]
    assert solved(tmp_path / "free", nodes).objective == pytest.approx(TODAY)
    result = solved(tmp_path, nodes, frozen=[{"decision": "overseas", "node": "LA", "value": 1}])
    assert result.objective == pytest.approx(TODAY + 2 * 100)  # 100 a month, for two months
    assert result.kpis["overseas_open"] == ["LA"]


@pytest.mark.component
def test_stock_at_an_overseas_warehouse_no_first_mile_reaches_is_sold_by_parcel(tmp_path):
    nodes = [*NODES, {"id": "LA", "kind": "overseas_warehouse"}]
    arcs = [*ARCS, ("LA", "SH", "cbec_parcel", 4.0, 8)]
    assert solved(tmp_path / "free", nodes, arcs).objective == pytest.approx(TODAY)
    result = solved(
        tmp_path, nodes, arcs, opening_stock=[{"warehouse": "LA", "sku": "k", "quantity": 20}]
    )
    # 20 units leave LA by parcel at 4 instead of being bought, flown and released at 16
    assert result.objective == pytest.approx(TODAY - 20 * (PRICE + AIR + RELEASE - 4.0))
    assert result.kpis["overseas_open"] == ["LA"]


@pytest.mark.component
def test_a_commitment_above_its_terms_capacity_is_diagnosed(tmp_path):
    term = {"supplier": "brand", "sku": "k", "type": "quantity_flexibility", "unit_price": 9,
            "flex_up": 0.2, "flex_down": 0.2, "capacity": 100}  # fmt: skip
    frozen = {"decision": "commitment", "node": "brand", "sku": "k", "value": 200}
    result = solved(tmp_path, contracts=[term], frozen=[frozen])
    assert result.status == cbecopt.Status.INFEASIBLE
    assert has(result.diagnosis, "relaxing frozen row 2 alone", "commitment brand k", "= 200")


@pytest.mark.unit
def test_the_remedy_comparison_refuses_what_is_in_motion(tmp_path):
    from cbecopt.models.network.remedies import compare_remedies

    folder = instance_folder(
        tmp_path, opening_stock=[{"warehouse": "NB", "sku": "k", "quantity": 5}]
    )
    with pytest.raises(cbecopt.InputError) as caught:
        compare_remedies(cbecopt.load_instance(folder))
    assert has([str(p) for p in caught.value.problems], "opening_stock.csv", "from scratch")


@pytest.mark.component
def test_next_months_plan_carries_the_sea_shipment_on_the_water(tmp_path):
    # months 2027-01..03 wanting 30, 50, 40: the first plan flies months 1 and 2 and sends
    # month 3's units by sea in month 1 (2 + 10 + 1 = 13 a unit against 16 by air). Holding
    # 0.2 a unit-month (0.1 paid on arrival) makes shipping early cost more.
    holding = 0.2
    products = [{**PRODUCTS[0], "holding_cost": holding}]
    demand = [{**row, "month": f"2027-0{row['month']}"} for row in DEMAND]
    demand.append({"market": "SH", "sku": "k", "month": "2027-03", "quantity": 40})
    folder = write_network_instance(
        tmp_path / "calendar", NODES, ARCS, products, OFFERS, BREAKS, demand, scenarios=[],
        settings="[network]\n",
    )  # fmt: skip
    instance = cbecopt.load_instance(folder)
    first, _ = plan_month(instance, "2027-01", 3)
    arrival = holding / 2
    sea = 40 * (PRICE + 2.0 + RELEASE + arrival)
    assert first.objective == pytest.approx(TODAY + 80 * arrival + sea)
    second, carried = plan_month(instance, "2027-02", 2, dict(first.tables), frozen_months=1)
    # month 2's air shipment is kept as planned; month 3's units are on the water, sunk
    assert len(carried.tables["in_transit"]) == 1
    assert second.objective == pytest.approx(50 * (PRICE + AIR + RELEASE + arrival) + 40 * RELEASE)
    statuses = second.tables["shipments"].groupby("status")["quantity"].sum()
    assert statuses.to_dict() == pytest.approx({"in_transit": 40.0, "planned": 50.0})


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.unit
def test_a_warehouse_frozen_unused_where_stock_lies_is_refused(tmp_path):
    found = read_problems(
        tmp_path,
        opening_stock=[{"warehouse": "NB", "sku": "k", "quantity": 500}],
        frozen=[{"decision": "warehouse", "node": "NB", "value": 0}],
    )
    assert has(
        found,
        "frozen.csv, row 2, column 'value'",
        "warehouse NB used = 0, but opening_stock row 2 holds 500 units",
    )


STOCK = {"warehouse": "NB", "sku": "k", "quantity": 5}
TRANSIT = {**SEA_LANE, "sku": "k", "ship_month": 0, "arrival_month": 1, "quantity": 5}
PLACED = {"supplier": "brand", "sku": "k", "quantity": 5, "unit_price": 1}
PLANNED = {**AIR_LANE, "sku": "k", "ship_month": 1, "quantity": 5}
WITH_GREY = [*NODES, {"id": "grey", "kind": "supplier"}]
WITH_DW = [*NODES, {"id": "DW", "kind": "domestic_warehouse"}]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("table", "row", "column", "message", "nodes"),
    [
        ("opening_stock", {**STOCK, "sku": "zz"}, "sku", "unknown SKU 'zz'", NODES),
        ("opening_stock", {**STOCK, "warehouse": "SH"}, "warehouse", "not overseas", NODES),
        ("opening_stock", {**STOCK, "warehouse": "XX"}, "warehouse", "unknown node", NODES),
        ("in_transit", {**TRANSIT, "ship_month": 2}, "arrival_month", "before it leaves", NODES),
        ("in_transit", {**TRANSIT, "arrival_month": 0}, "arrival_month", "opening_stock", NODES),
        ("in_transit", {**TRANSIT, "arrival_month": 3}, "arrival_month", "after the horizon", NODES),
        ("in_transit", {**TRANSIT, "mode": "truck"}, "mode", "no first-mile or bulk", NODES),
        ("placed_orders", {**PLACED, "supplier": "grey"}, "sku", "has no offer of 'k'", WITH_GREY),
        ("placed_orders", {**PLACED, "supplier": "NB"}, "supplier", "not supplier", NODES),
        ("planned_shipments", {**PLANNED, "ship_month": 3}, "ship_month", "outside", NODES),
        ("planned_shipments", {**PLANNED, "ship_month": 0}, "ship_month", "outside", NODES),
        ("planned_shipments", {**PLANNED, "destination": "SH"}, "mode", "no first-mile", NODES),
        ("frozen", {"decision": "warehouse", "node": "NB", "value": 2}, "value", "0 or 1", NODES),
        ("frozen", {"decision": "overseas", "node": "NB", "value": 1}, "node", "no overseas", NODES),
        ("frozen", {"decision": "listing", "node": "NB", "value": 1}, "sku", "no SKU", NODES),
        ("frozen", {"decision": "listing", "node": "DW", "sku": "k", "value": 1}, "sku",
         "cannot be listed", WITH_DW),
        ("frozen", {"decision": "commitment", "node": "brand", "sku": "k", "value": 5}, "sku",
         "it has 0", NODES),
    ],
)  # fmt: skip
def test_each_bad_row_is_named_by_file_row_and_column(tmp_path, table, row, column, message, nodes):
    found = read_problems(tmp_path, nodes, **{table: [row]})
    assert has(found, f"{table}.csv, row 2, column '{column}'", message), found


@pytest.mark.unit
def test_stock_of_a_sku_without_demand_is_ignored_with_a_warning(tmp_path):
    products = [*PRODUCTS, {**PRODUCTS[0], "sku": "old"}]
    folder = write_network_instance(
        tmp_path / "old", NODES, ARCS, products, OFFERS, BREAKS, DEMAND, scenarios=[],
        settings="[network]\n", opening_stock=[{"warehouse": "NB", "sku": "old", "quantity": 9}],
    )  # fmt: skip
    data = read_network(cbecopt.load_instance(folder))
    assert data.in_motion.arrivals == () and data.in_motion.fixings == ()
    assert has(list(data.warnings), "opening_stock row 2", "'old' has no demand", "ignored")


@pytest.mark.unit
def test_stock_at_a_warehouse_split_into_platform_copies_names_the_copy(tmp_path):
    nodes = [*NODES, {"id": "LA", "kind": "overseas_warehouse", "shared_by": "p1"}]
    arcs = [*ARCS, ("LA", "SH", "cbec_parcel", 4.0, 8)]
    demand = [{**row, "platform": p} for row in DEMAND for p in ("p1", "p2")]
    stock = [{"warehouse": "LA@p2", "sku": "k", "quantity": 7}]

    def folder(name, rows):
        return write_network_instance(
            tmp_path / name, nodes, arcs, PRODUCTS, OFFERS, BREAKS, demand, scenarios=[],
            settings="[network]\n", opening_stock=rows,
        )  # fmt: skip

    data = read_network(cbecopt.load_instance(folder("copy", stock)))
    assert data.overseas == ("LA@p1", "LA@p2")
    assert data.in_motion.arrivals == (("overseas", 1, 0, 0, 7.0),)
    with pytest.raises(cbecopt.InputError) as caught:
        read_network(cbecopt.load_instance(folder("base", [{**stock[0], "warehouse": "LA"}])))
    found = [str(p) for p in caught.value.problems]
    assert has(found, "opening_stock.csv, row 2, column 'warehouse'", "LA@p1, LA@p2")


@pytest.mark.unit
def test_a_negative_quantity_is_refused_while_loading(tmp_path):
    found = load_problems(instance_folder(tmp_path, opening_stock=[{**STOCK, "quantity": -5}]))
    assert has(found, "opening_stock.csv, row 2, column 'quantity'"), found
