"""Customers who will not wait (``cbecopt.models.network.speed``): demand lost to slow
delivery and service levels, on a one-SKU network whose unit costs are worked out by hand.

The network: one supplier selling at 10 per unit (no fixed cost, no minimum order), an
overseas warehouse LA (handling 0.5, no fixed cost) and a bonded warehouse NB (handling 0.3,
no fixed cost), one market SH with demand 40 in month 2 only, every tax rate 0, holding 0.2
per unit-month (half a month, 0.1, on the units arriving in a month: ``models/network.md``).

* parcel: supplier -> LA by sea 1.0 (10 days: the same month) -> SH by 9610 parcel 1.0,
  8 days: 10 + 1.0 + 0.1 + 0.5 + 1.0 = 12.6 per unit;
* bonded: supplier -> NB by sea 2.0 (30 days: a month ahead, so shipped in month 1,
  arriving in month 2) -> SH released 1.0, 3 days: 10 + 2.0 + 0.1 + 0.3 + 1.0 = 13.4.

A lost sale costs the price plus its penalty, 30 + 5 = 35.
"""

from __future__ import annotations

import pytest

import cbecopt
from cbecopt.models.network import read_network
from helpers import has
from network_io_helpers import PRODUCTS, write_network_instance

TIGHT = cbecopt.SolveOptions(mip_rel_gap=1e-9)
DEMAND = 40.0
PARCEL, BONDED, LOST = 12.6, 13.4, 35.0

NODES = [
    {"id": "brand", "kind": "supplier", "supplier_type": "brand_direct", "fixed_cost": 0},
    {"id": "LA", "kind": "overseas_warehouse", "fixed_cost": 0, "handling_cost": 0.5},
    {"id": "NB", "kind": "bonded_warehouse", "fixed_cost": 0, "handling_cost": 0.3},
    {"id": "SH", "kind": "market"},
]
ARCS = [
    ("brand", "LA", "sea_bulk", 1.0, 10),
    ("brand", "NB", "sea_bulk", 2.0, 30),
    ("NB", "SH", "domestic_express", 1.0, 3),
    ("LA", "SH", "cbec_parcel", 1.0, 8),
]
PRODUCT = {**PRODUCTS[0], "counterfeit_penalty": 0, "listing_cost": 0}
DEMAND_ROWS = [
    {"market": "SH", "sku": "k", "month": 1, "quantity": 0},
    {"market": "SH", "sku": "k", "month": 2, "quantity": DEMAND},
]


def _solve(tmp_path, arcs=ARCS, **tables):
    folder = write_network_instance(
        tmp_path / "speed",
        nodes=NODES,
        arcs=arcs,
        products=[PRODUCT],
        offers=[{"supplier": "brand", "sku": "k", "counterfeit_rate": 0.0}],
        breaks=[("brand", "k", 0, 10.0)],
        demand=DEMAND_ROWS,
        scenarios=[],
        **tables,
    )
    result = cbecopt.solve(cbecopt.load_instance(folder), "network", TIGHT)
    assert result.status == "optimal"
    return result


def _units(result, channel: str) -> float:
    table = result.tables["deliveries"]
    return float(table.loc[table["channel"] == channel, "quantity"].sum())


@pytest.mark.component
def test_the_hand_costs_of_the_two_routes(tmp_path):
    """Without the tables the cheaper route, parcel at 12.6, serves all 40; with the parcel
    lane gone, bonded at 13.4 does: the unit costs the other tests build on."""
    assert _solve(tmp_path).objective == pytest.approx(DEMAND * PARCEL)
    only_bonded = [a for a in ARCS if a[0] != "LA"]
    assert _solve(tmp_path, arcs=only_bonded).objective == pytest.approx(DEMAND * BONDED)


@pytest.mark.component
def test_a_slow_lane_loses_its_share_of_customers_at_the_lost_sale_cost(tmp_path):
    """Only the parcel lane (8 days), 5% lost per day beyond 3: it keeps 75%. Serving a
    customer on it costs 0.75 x 12.6 + 0.25 x 35 = 18.2 < 35, so all 40 customers are
    offered it: 30 delivered, 10 walk away at 35 each; cost 30 x 12.6 + 10 x 35 = 728."""
    no_bonded = [a for a in ARCS if "NB" not in a[:2]]
    loss = [{"sku": "k", "market": "SH", "reference_days": 3, "loss_per_day": 0.05}]
    result = _solve(tmp_path, arcs=no_bonded, speed_loss=loss)
    assert result.objective == pytest.approx(30 * PARCEL + 10 * LOST)
    assert _units(result, "cbec_direct") == pytest.approx(30)
    assert result.kpis["lost_to_speed"] == pytest.approx(10)
    assert result.kpis["cost_parts"]["lost_to_speed"] == pytest.approx(10 * LOST)
    assert result.kpis["fill_rate"] == pytest.approx(0.75)


@pytest.mark.component
@pytest.mark.parametrize(
    ("loss_per_day", "channel"),
    # parcel per customer: (1 - s) 12.6 + 35 s against bonded 13.4: parcel while
    # s < 0.8 / 22.4 = 0.0357; 8 days against a reference of 3: s = 5 x loss_per_day.
    [(0.005, "cbec_direct"), (0.0071, "cbec_direct"), (0.0072, "bonded"), (0.01, "bonded")],
)
def test_customers_who_will_not_wait_move_the_plan_to_bonded_stock(tmp_path, loss_per_day, channel):
    loss = [{"sku": "", "market": "", "reference_days": 3, "loss_per_day": loss_per_day}]
    result = _solve(tmp_path, speed_loss=loss)
    s = 5 * loss_per_day
    parcel = (1 - s) * PARCEL + s * LOST
    assert result.objective == pytest.approx(DEMAND * min(parcel, BONDED))
    assert _units(result, channel) > 0
    assert _units(result, channel) == pytest.approx(
        DEMAND * (1 - s) if channel == "cbec_direct" else DEMAND
    )


@pytest.mark.component
def test_a_specific_row_overrides_the_general_one(tmp_path):
    """Every SKU loses 20% a day (parcel would keep nobody: the lane is left out), but SKU k
    in SH loses nothing: the parcel lane serves all 40 at 12.6."""
    loss = [
        {"sku": "k", "market": "SH", "reference_days": 0, "loss_per_day": 0.0},
        {"sku": "", "market": "", "reference_days": 3, "loss_per_day": 0.2},
    ]
    assert _solve(tmp_path, speed_loss=loss).objective == pytest.approx(DEMAND * PARCEL)
    general = [{"sku": "", "market": "", "reference_days": 3, "loss_per_day": 0.2}]
    result = _solve(tmp_path, speed_loss=general)
    assert result.objective == pytest.approx(DEMAND * BONDED)
    assert _units(result, "cbec_direct") == 0


@pytest.mark.component
@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # all 40 within 5 days: bonded only
        ({"market": "SH", "min_share": 1.0, "within_days": 5}, DEMAND * BONDED),
        # half within 5 days: 20 bonded, 20 parcel
        ({"market": "", "min_share": 0.5, "within_days": 5}, 20 * BONDED + 20 * PARCEL),
        # a fill rate (any speed) of 100%: parcel, as without it
        ({"market": "SH", "min_share": 1.0, "within_days": None}, DEMAND * PARCEL),
    ],
)
def test_a_service_level_holds_in_every_month(tmp_path, row, expected):
    assert _solve(tmp_path, service_levels=[row]).objective == pytest.approx(expected)


@pytest.mark.component
def test_a_fill_rate_forces_serving_where_losing_is_cheaper(tmp_path):
    """A lost sale costs 35; make the parcel lane cost 40 (freight 28.4 more): unserved
    without a service level (40 x 35 = 1,400); with a 50% fill rate 20 are served at
    12.6 + 28.4 = 41 and 20 lost: 20 x 41 + 20 x 35 = 1,520."""
    dear = [("brand", "LA", "sea_bulk", 1.0, 10), ("LA", "SH", "cbec_parcel", 29.4, 8)]
    assert _solve(tmp_path, arcs=dear).objective == pytest.approx(DEMAND * LOST)
    level = [{"market": "SH", "min_share": 0.5, "within_days": None}]
    result = _solve(tmp_path, arcs=dear, service_levels=level)
    assert result.objective == pytest.approx(20 * 41 + 20 * LOST)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("table", "rows", "message"),
    [
        (
            "speed_loss",
            [{"sku": "k", "market": "XX", "reference_days": 3, "loss_per_day": 0.1}],
            "unknown market 'XX'",
        ),
        (
            "speed_loss",
            [{"sku": "zz", "market": "SH", "reference_days": 3, "loss_per_day": 0.1}],
            "unknown SKU 'zz'",
        ),
        (
            "speed_loss",
            [
                {"sku": "k", "market": "SH", "reference_days": 3, "loss_per_day": 0.1},
                {"sku": "k", "market": "SH", "reference_days": 4, "loss_per_day": 0.2},
            ],
            "the same SKU and market as row 2",
        ),
        (
            "speed_loss",
            [{"sku": "k", "market": "SH", "reference_days": 3, "loss_per_day": 1.5}],
            "loss_per_day",
        ),
        ("service_levels", [{"market": "SH", "min_share": -0.1}], "min_share"),
    ],
)
def test_bad_rows_are_refused_with_file_row_and_column(tmp_path, table, rows, message):
    folder = write_network_instance(
        tmp_path / "bad",
        nodes=NODES,
        arcs=ARCS,
        products=[PRODUCT],
        offers=[{"supplier": "brand", "sku": "k"}],
        breaks=[("brand", "k", 0, 10.0)],
        demand=DEMAND_ROWS,
        scenarios=[],
        **{table: rows},
    )
    assert has(_problems(folder), f"{table}.csv", message)


def _problems(folder) -> list[str]:
    """What loading the instance and reading its network data report (it must fail)."""
    with pytest.raises(cbecopt.InputError) as caught:
        read_network(cbecopt.load_instance(folder))
    return [str(p) for p in caught.value.problems]
