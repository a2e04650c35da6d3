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
    more = pd.DataFrame(
        {"warehouse": ["BZ"], "sku": ["A"], "month": ["2027-03"], "quantity": [0.0]}
    )
    before["stock"] = pd.concat([before["stock"], more], ignore_index=True)  # covers to March
    after = {name: table.copy() for name, table in before.items()}
    beyond = pd.DataFrame(
        [("inbound", "S1", "BZ", "A", "sea", "2027-04", "2027-06", 60.0)], columns=COLUMNS
    )
    after["shipments"] = pd.concat([after["shipments"], beyond], ignore_index=True)  # new month
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


# --- a year rolled month by month -----------------------------------------------------------


def roll(instance, horizon: int, carry: bool) -> tuple[list, pd.DataFrame]:
    """Plan each month of 2027 over ``horizon`` months (fewer at the year's end), from the
    previous month's plan (``carry``) or from nothing; the plans and the shipments each
    month's plan sends in its own first month (what operations executes)."""
    import cbecopt
    from cbecopt.months import shift_label
    from cbecopt.rolling import plan_month

    plans, executed, previous = [], [], None
    for m in range(12):
        start = shift_label("2027-01", m)
        result, _ = plan_month(
            instance,
            start,
            min(horizon, 12 - m),
            previous if carry else None,
            frozen_months=1 if carry else 0,
            options=cbecopt.SolveOptions(mip_rel_gap=1e-6),
        )
        plans.append(result)
        shipped = result.table("shipments")
        executed.append(
            shipped[(shipped["ship_month"] == start) & (shipped["status"] != "in_transit")]
        )
        previous = result.tables
    keys = ["origin", "destination", "sku", "mode", "ship_month"]
    done = pd.concat(executed).groupby(keys, as_index=False)["quantity"].sum()
    return plans, done


def air_after_january(shipments: pd.DataFrame) -> float:
    air = shipments["mode"].astype(str).str.startswith("air")
    return float(shipments.loc[air & (shipments["ship_month"] > "2027-01"), "quantity"].sum())


@pytest.mark.component
def test_a_year_rolled_month_by_month_stays_feasible_flies_nothing_on_the_water_and_costs_little_more():
    """A generated 12-month network (3 SKUs, one bonded zone, no minimum orders), planned each
    month three months ahead with one frozen month. The full-year plan flies stock only in
    January (nothing can arrive by sea before February); so must the rolled plans, whose
    stock on the water carries over, while plans that start from nothing each month fly
    every month. What operations executes of the rolled plans, evaluated in the full-year
    model (every shipment fixed), costs at most 1% more than the full-year optimum
    (measured 0.30%), and fits the year's offer and supplier capacities."""
    import numpy as np

    import cbecopt
    from cbecopt.models.network.generate import generate_network

    made = generate_network(
        n_skus=3, n_suppliers=4, n_overseas=2, n_bonded=1, n_provinces=2, months=12,
        n_scenarios=1, platforms=("Tmall Global",), n_breaks=1, year=2027,
    )  # fmt: skip
    instance = made.with_tables(offers=made.tables["offers"].assign(min_order=np.nan))
    exact = cbecopt.SolveOptions(mip_rel_gap=1e-6)
    year = cbecopt.solve(instance, "network", exact)
    assert year.status == cbecopt.Status.OPTIMAL
    assert air_after_january(year.table("shipments")) == 0.0

    plans, executed = roll(instance, 3, carry=True)
    assert all(p.status == cbecopt.Status.OPTIMAL for p in plans)
    assert air_after_january(executed) == pytest.approx(0.0, abs=1e-6)
    _, naive = roll(instance, 3, carry=False)
    assert air_after_january(naive) > 1000.0  # the artefact carrying over removes

    evaluated = cbecopt.solve(instance.with_tables(planned_shipments=executed), "network", exact)
    assert evaluated.status == cbecopt.Status.OPTIMAL, evaluated.diagnosis
    assert year.objective <= evaluated.objective <= year.objective * 1.01


@pytest.mark.unit
def test_orders_before_the_month_add_up_along_the_chain_of_plans():
    from cbecopt.rolling import ordered_to_date

    plan = previous_plan()
    plan["purchase_orders"] = pd.DataFrame(
        {
            "supplier": ["S1", "S1", "S2", "S2"],
            "sku": ["A", "A", "B", "B"],
            "month": ["2027-01", "2027-02", "2027-01", None],  # None: bought, never shipped
            "quantity": [120.0, 80.0, 30.0, 5.0],
        }
    )
    plan["ordered_to_date"] = pd.DataFrame({"supplier": ["S1"], "sku": ["A"], "quantity": [40.0]})
    ordered = ordered_to_date(plan, "2027-02")
    assert ordered.to_dict("records") == [
        {"supplier": "S1", "sku": "A", "quantity": 160.0},
        {"supplier": "S2", "sku": "B", "quantity": 30.0},
    ]


@pytest.mark.unit
def test_what_is_left_of_capacities_and_minimum_orders_goes_to_the_window(tmp_path):
    import numpy as np

    from cbecopt.models.network.generate import generate_network
    from cbecopt.rolling import what_is_left

    made = generate_network(
        n_skus=2, n_suppliers=4, n_provinces=1, months=2, n_scenarios=1, year=2027
    )
    offers = made.tables["offers"].copy()
    offers.loc[offers.index[0], ["capacity", "min_order"]] = [500.0, 100.0]
    offers.loc[offers.index[1], ["capacity", "min_order"]] = [np.nan, np.nan]
    instance = made.with_tables(offers=offers)
    first, second = offers.iloc[0], offers.iloc[1]
    ordered = pd.DataFrame(
        {
            "supplier": [first["supplier"], second["supplier"]],
            "sku": [first["sku"], second["sku"]],
            "quantity": [150.0, 70.0],
        }
    )
    left = what_is_left(instance, ordered)
    row = left.tables["offers"].iloc[0]
    assert (row["capacity"], row["min_order"]) == (350.0, 0.0)
    assert np.isnan(left.tables["offers"].iloc[1]["capacity"])  # unlimited stays unlimited
    nodes = instance.tables["nodes"].set_index("id")["capacity"]
    after = left.tables["nodes"].set_index("id")["capacity"]
    bought = ordered.groupby("supplier")["quantity"].sum()
    for supplier, units in bought.items():
        assert after[supplier] == pytest.approx(max(nodes[supplier] - units, 0.0))


# --- the command ----------------------------------------------------------------------------


@pytest.mark.integration
def test_plan_continues_last_month_s_workbook_and_never_writes_over_it(tmp_path):
    import hashlib

    import cbecopt
    from cbecopt.models.network.generate import generate_network
    from test_cli import cbecopt_in_process

    made = generate_network(
        n_skus=2, n_suppliers=4, n_overseas=1, n_bonded=1, n_provinces=1, months=4,
        n_scenarios=1, platforms=("Tmall Global",), n_breaks=1, year=2027,
    )  # fmt: skip
    cbecopt.save_instance(made, tmp_path / "net")
    folder = str(tmp_path / "net")
    jan, feb = tmp_path / "jan.xlsx", tmp_path / "feb.xlsx"
    first = cbecopt_in_process(
        "plan", folder, "--start", "2027-01", "--horizon", "3", "-o", str(jan)
    )
    assert first.returncode == 0, first.stderr
    before = hashlib.sha256(jan.read_bytes()).hexdigest()
    second = cbecopt_in_process(
        "plan", folder, "--start", "2027-02", "--horizon", "3", "--previous", str(jan),
        "--frozen-months", "1", "-o", str(feb),
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    assert "carried: in_transit:" in second.stderr and "carried: ordered_to_date:" in second.stderr
    sheets = pd.read_excel(feb, sheet_name=None)
    assert {"changes", "ordered_to_date", "shipments", "summary"} <= set(sheets)
    assert set(sheets["shipments"]["ship_month"]) <= {"2027-02", "2027-03", "2027-04", "2027-01"}
    assert hashlib.sha256(jan.read_bytes()).hexdigest() == before  # the input stays as it was
    over = cbecopt_in_process(
        "plan", folder, "--start", "2027-02", "--previous", str(jan), "-o", str(jan)
    )
    assert over.returncode == 2 and "Traceback" not in over.stderr
    assert hashlib.sha256(jan.read_bytes()).hexdigest() == before
    other = cbecopt_in_process(
        "plan", folder, "--start", "2027-02", "-m", "warehouses", "-o", str(tmp_path / "r")
    )
    assert other.returncode == 2 and "plan continues network, routing plans" in other.stderr
