"""The operations tables of a ``network`` plan (``purchase_orders``, ``stock``,
``general_trade``, ``lost_sales``, the ``mode`` of ``shipments``) against sums and numbers
worked out by hand on the tiny instance of :mod:`network_io_helpers`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.models.network.platforms import with_copies
from network_helpers import tiny
from network_io_helpers import NODES, OFFERS, PRODUCTS, write_network_instance

TIGHT = cbecopt.SolveOptions(mip_rel_gap=1e-9)


def solve(folder) -> cbecopt.Result:
    return cbecopt.solve(cbecopt.load_instance(folder), "network", TIGHT)


@pytest.mark.component
def test_purchase_orders_add_up_to_the_purchases_and_name_what_is_never_shipped(tmp_path):
    """Only the brand's offer, at 1 a unit with a minimum order of 85, and one costly lane
    (50 a unit into the bonded zone): a lost sale costs 80, so the 40 units every scenario
    sells are worth shipping and the 50 more of the high scenario (half the time) are not;
    all 85 are paid, the 40 shipped are ordered in the month they leave the brand and the 45
    never shipped have a row with a blank month. Per supplier and SKU the orders add up to
    the purchases."""
    folder = write_network_instance(
        tmp_path / "x",
        arcs=[("brand", "NB", "sea_bulk", 50.0, 30), ("NB", "SH", "domestic_express", 1.0, 3)],
        products=[PRODUCTS[0] | {"lost_sale_penalty": 50}],
        offers=[OFFERS[0] | {"min_order": 85}],
        breaks=[("brand", "k", 0, 1.0)],
    )
    result = solve(folder)
    purchases, orders = result.table("purchases"), result.table("purchase_orders")
    assert purchases["quantity"].sum() == pytest.approx(85.0)
    by_offer = orders.groupby(["supplier", "sku"])["quantity"].sum()
    assert by_offer.to_dict() == pytest.approx(
        purchases.set_index(["supplier", "sku"])["quantity"].to_dict()
    )
    shipments = result.table("shipments")
    from_brand = shipments[shipments["origin"] == "brand"]
    shipped = from_brand.groupby("ship_month")["quantity"].sum()
    dated = orders.dropna(subset=["month"]).set_index("month")["quantity"]
    assert dated.to_dict() == pytest.approx(shipped.to_dict())
    unshipped = orders[orders["month"].isna()]
    assert len(unshipped) == 1
    assert from_brand["quantity"].sum() == pytest.approx(40.0)
    assert unshipped["quantity"].iloc[0] == pytest.approx(45.0)
    assert (orders["unit_price"] == 1.0).all()
    np.testing.assert_allclose(orders["cost"], orders["quantity"])


@pytest.mark.component
def test_expected_stock_follows_arrivals_and_departures_month_by_month(tmp_path):
    """At every warehouse, SKU and month the expected month-end stock is last month's plus
    what arrives (shipments by arrival month) less what leaves (bulk shipments out by ship
    month, deliveries by month), the two scenarios weighted by their probabilities; the
    stock's least and most over the scenarios hold the expectation between them."""
    result = solve(write_network_instance(tmp_path / "x"))
    stock, shipments = result.table("stock"), result.table("shipments")
    deliveries = result.table("deliveries")
    assert len(stock) and set(stock["kind"]) <= {"overseas", "bonded"}
    assert (stock["min"] <= stock["quantity"] + 1e-9).all()
    assert (stock["quantity"] <= stock["max"] + 1e-9).all()
    held = stock.set_index(["warehouse", "sku", "month"])["quantity"]
    sites = set(NODE["id"] for NODE in NODES if NODE["kind"].endswith("warehouse"))
    for site in sites:
        for month in (1, 2):
            arrive = shipments[
                (shipments["destination"] == site) & (shipments["arrival_month"] == month)
            ]["quantity"].sum()
            leave = shipments[(shipments["origin"] == site) & (shipments["ship_month"] == month)][
                "quantity"
            ].sum()
            leave += deliveries[(deliveries["origin"] == site) & (deliveries["month"] == month)][
                "quantity"
            ].sum()
            before = held.get((site, "k", month - 1), 0.0)
            after = held.get((site, "k", month), 0.0)
            assert after == pytest.approx(before + arrive - leave, abs=1e-6), (site, month)


@pytest.mark.component
def test_lost_sales_are_the_expected_demand_not_served_at_the_penalty(tmp_path):
    """A SKU whose lost sale costs 5 (price 5, no penalty) below any way to serve it (10 to
    buy): every unit is lost, 0.5 x 40 + 0.5 x 90 = 65 expected in month 2, at 5 each = 325,
    the plan's lost_sales KPI and cost part."""
    cheap = PRODUCTS[0] | {"price": 5, "lost_sale_penalty": 0}
    result = solve(write_network_instance(tmp_path / "x", products=[cheap]))
    lost = result.table("lost_sales")
    assert lost[["market", "sku", "month"]].values.tolist() == [["SH", "k", 2]]
    assert lost["quantity"].iloc[0] == pytest.approx(65.0)
    assert lost["cost"].iloc[0] == pytest.approx(325.0)
    assert result.kpis["lost_sales"] == pytest.approx(lost["quantity"].sum())
    parts = result.table("cost_breakdown").set_index("component")["cost"]
    assert parts["lost_sales"] == pytest.approx(lost["cost"].sum())


@pytest.mark.component
def test_general_trade_imports_pay_the_duty_worked_out_by_hand(tmp_path):
    """One way in: the brand's units fly (air_bulk, 30 days: 1 month) into the duty-paid SZ
    and are sold from there. Customs value (purchase cost 40 + the inbound freight 2.0) x
    1.003 = 42.126; tariff 10%: duty 4.21 a unit; import VAT 13% on value plus duty: 6.02 a
    unit; no consumption tax. The units imported are those shipped, in their arrival month."""
    product = PRODUCTS[0] | {"vat_rate": 0.13, "tariff_rate": 0.1, "purchase_cost": 40}
    nodes = [NODES[0], {"id": "SZ", "kind": "domestic_warehouse", "fixed_cost": 10}, NODES[-1]]
    arcs = [("brand", "SZ", "air_bulk", 2.0, 30), ("SZ", "SH", "domestic_express", 1.0, 2)]
    folder = write_network_instance(
        tmp_path / "x",
        nodes=nodes,
        arcs=arcs,
        products=[product],
        offers=[OFFERS[0]],
        breaks=[("brand", "k", 0, 10.0)],
    )
    result = solve(folder)
    shipments, imports = result.table("shipments"), result.table("general_trade")
    assert set(shipments["mode"]) == {"air_bulk"}
    assert imports[["warehouse", "sku", "month"]].values.tolist() == [["SZ", "k", 2]]
    units = imports["units"].iloc[0]
    assert units == pytest.approx(shipments["quantity"].sum()) and units > 0
    value = (40 + 2.0) * 1.003
    duty = round(value * 0.1, 2)
    vat = round((value + value * 0.1) * 0.13, 2)
    assert (duty, vat) == (4.21, 6.02)
    assert imports["duty"].iloc[0] == pytest.approx(units * duty)
    assert imports["vat"].iloc[0] == pytest.approx(units * vat)
    assert imports["consumption_tax"].iloc[0] == pytest.approx(0.0)


@pytest.mark.component
def test_each_first_stage_shipment_carries_its_lanes_mode(tmp_path):
    """The modes of arcs reach the shipments: the brand's lane into the bonded zone by air,
    every other first-stage lane by sea."""
    from network_io_helpers import ARCS

    arcs = [("brand", "NB", "air_bulk", 2.0, 30) if a[:2] == ("brand", "NB") else a for a in ARCS]
    result = solve(write_network_instance(tmp_path / "x", arcs=arcs))
    shipments = result.table("shipments")
    assert len(shipments)
    by_lane = shipments.set_index(["origin", "destination"])["mode"]
    for (origin, destination), mode in by_lane.items():
        assert mode == ("air_bulk" if (origin, destination) == ("brand", "NB") else "sea_bulk")


@pytest.mark.unit
def test_a_copy_of_an_overseas_warehouse_keeps_the_modes_of_its_lanes():
    """Copying LA once per platform copies its first-mile and bulk-out lanes with their modes;
    a lane out of a supplier into the bonded zone stays one lane with its mode."""
    modes = {"first_mile": ("sea_bulk", "air_bulk"), "inbound": ("truck", "sea_bulk", "rail")}
    copies = with_copies(tiny(lane_modes=modes), [(0, ("a",)), (0, ("b",))], ["LA@a", "LA@b"])
    assert copies.lane_modes == {
        "first_mile": ("sea_bulk", "sea_bulk", "air_bulk", "air_bulk"),
        "inbound": ("truck", "sea_bulk", "sea_bulk", "rail"),
    }
    with pytest.raises(ValueError, match="lane_modes"):
        tiny(lane_modes={"first_mile": ("sea_bulk",)})


@pytest.mark.unit
def test_empty_operations_tables_keep_their_columns():
    """A plan that buys and holds nothing still has the operations tables, with their
    columns (the workbook and CSV outputs write them with headers)."""
    from cbecopt.models.network.build import shipment_keys
    from cbecopt.models.network.operations import (
        general_trade,
        lost_sales,
        purchase_orders,
        stock,
    )

    d = tiny()
    ships = shipment_keys(d)
    none = np.zeros(len(ships.keys))
    orders = purchase_orders(d, ships, none, np.zeros(2), np.zeros(2))
    assert list(orders.columns) == ["supplier", "sku", "month", "quantity", "unit_price", "cost"]
    assert orders.empty
    held = stock(d, np.zeros((2, 2)), np.zeros((2, 2)), np.array([0.5, 0.5]))
    assert list(held.columns) == ["warehouse", "kind", "sku", "month", "quantity", "min", "max"]
    imports = general_trade(d, ships, none)
    assert list(imports.columns) == [
        "warehouse",
        "sku",
        "month",
        "units",
        "duty",
        "vat",
        "consumption_tax",
    ]
    assert isinstance(lost_sales(d, np.zeros(2)), pd.DataFrame)
