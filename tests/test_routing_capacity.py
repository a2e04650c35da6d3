"""Routing capacities by hand and against a greedy fill of independent paths.

A bonded warehouse's ``nodes.capacity`` is the units it releases per month; a lane's
``arcs.capacity`` the units it carries per month (inbound lanes by ship month, last-mile and
direct lanes by delivery month). A capacity of 0 means 0, not unlimited. Without tax, the
unit costs are plain sums: purchase 100, bonded 100 + 5 air + 3 last mile = 108, a CBEC
parcel 100 + 20 = 120, a lost sale its price, 200.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbecopt
from cbecopt.models.routing.build import RoutingConfig
from routing_helpers import solve_routing as solve
from routing_helpers import write_routing_instance

pytestmark = pytest.mark.component
NO_TAX = {"sku": "A", "vat_rate": 0.0, "tariff_rate": 0.0, "postal_rate": 0.0}
AIR = ("FR", "BW", "air_bulk", 5, 5)
LAST_MILE = ("BW", "M1", "last_mile", 3, 2)
PARCEL = ("FR", "M1", "cbec_parcel", 20, 10)
BONDED, PARCEL_UNIT, LOST = 108.0, 120.0, 200.0


def channel_units(result: cbecopt.Result) -> dict[str, float]:
    return result.tables["channel_mix"].groupby("channel")["quantity"].sum().to_dict()


@pytest.mark.parametrize("parcel", [True, False])
def test_a_bonded_warehouse_releases_at_most_its_capacity_a_month(tmp_path, parcel):
    """Capacity 10 a month, demand 30: 10 go bonded, 20 by parcel (or lost without one)."""
    folder = write_routing_instance(
        tmp_path / "x",
        [NO_TAX],
        [{"market": "M1", "sku": "A", "quantity": 30}],
        bonded={"BW": {"fixed_cost": 0, "capacity": 10}},
        lanes=[AIR, LAST_MILE, *([PARCEL] if parcel else [])],
    )
    result = solve(folder)
    other = PARCEL_UNIT if parcel else LOST
    assert result.objective == pytest.approx(10 * BONDED + 20 * other)
    assert channel_units(result) == pytest.approx(
        {"bonded": 10, "cbec_direct" if parcel else "lost": 20}
    )


def test_the_release_capacity_is_shared_by_skus_and_renews_each_month(tmp_path):
    """B is off the 9610 positive list, so a parcel is no way for it: the 10 bonded units a
    month go to B (saving 200 - 108) rather than A (saving 120 - 108)."""
    folder = write_routing_instance(
        tmp_path / "skus",
        [NO_TAX, {**NO_TAX, "sku": "B", "cbec_allowed": 0}],
        [{"market": "M1", "sku": k, "quantity": 10} for k in ("A", "B")],
        bonded={"BW": {"fixed_cost": 0, "capacity": 10}},
        lanes=[AIR, LAST_MILE, PARCEL],
    )
    mix = solve(folder).tables["channel_mix"].groupby(["sku", "channel"])["quantity"].sum()
    assert mix.to_dict() == pytest.approx({("A", "cbec_direct"): 10, ("B", "bonded"): 10})
    folder = write_routing_instance(
        tmp_path / "months",
        [NO_TAX],
        [{"market": "M1", "sku": "A", "month": m, "quantity": 10} for m in (1, 2)],
        bonded={"BW": {"fixed_cost": 0, "capacity": 10}},
        lanes=[AIR, LAST_MILE, PARCEL],
    )
    result = solve(folder)
    assert result.objective == pytest.approx(20 * BONDED)
    # The plan per month and origin: each month's 10 units released from BW, all its demand.
    mix = result.tables["channel_mix"]
    assert mix[["sku", "market", "month", "channel", "origin"]].to_dict("records") == [
        {"sku": "A", "market": "M1", "month": m, "channel": "bonded", "origin": "BW"}
        for m in (1, 2)
    ]
    assert mix["quantity"].tolist() == pytest.approx([10, 10])
    assert mix["share"].tolist() == pytest.approx([1, 1])


def test_a_last_mile_lane_carries_at_most_its_capacity(tmp_path):
    folder = write_routing_instance(
        tmp_path / "x",
        [NO_TAX],
        [{"market": "M1", "sku": "A", "quantity": 30}],
        lanes=[AIR, (*LAST_MILE, None, 10), PARCEL],
    )
    assert solve(folder).objective == pytest.approx(10 * BONDED + 20 * PARCEL_UNIT)


@pytest.mark.parametrize(
    ("volume_capacity", "held", "expected"),
    [
        # ship 10 a month, hold month 1's to month 2: average stock 10 in each month
        (None, 10, 20 * BONDED + 10 + 10),
        (0.0, 0, 20 * PARCEL_UNIT),  # 0 m3 holds nothing, not even what arrives
        # 5 units of 0.01 m3 at the peak (opening + arrivals): 5 arrive in month 2, average 2.5
        (0.05, 0, 5 * BONDED + 2.5 + 15 * PARCEL_UNIT),
    ],
)
def test_an_inbound_lane_capacity_counts_by_ship_month(tmp_path, volume_capacity, held, expected):
    """Air carries 10 units a month; 20 are wanted in month 2. Holding costs 1 a unit-month of
    average stock, (opening + arrivals + closing) / 2, so month 1's shipment waits in stock
    (108 + 1 < a 120 parcel) as far as the volume of the peak stock, opening + arrivals,
    allows."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{**NO_TAX, "volume_m3": 0.01, "holding_cost": 1}],
        [{"market": "M1", "sku": "A", "month": m, "quantity": q} for m, q in ((1, 0), (2, 20))],
        bonded={"BW": {"fixed_cost": 0, "volume_capacity": volume_capacity}},
        lanes=[(*AIR, None, 10), LAST_MILE, PARCEL],
    )
    result = solve(folder)
    assert result.objective == pytest.approx(expected)
    stock = result.tables["stock"]
    assert stock["stock"].sum() == pytest.approx(held)
    inbound = result.tables["inbound"].groupby("ship_month")["quantity"].sum()
    assert (inbound <= 10 + 1e-9).all()


def test_a_direct_lane_with_a_capacity_leaves_room_for_a_dearer_one(tmp_path):
    """The parcel lane (120) carries 10; the postal lane (130) takes the other 20 although it
    costs more and is slower: a lane with a capacity does not make another redundant."""
    postal = ("FR", "M1", "postal_parcel", 30, 15)
    folder = write_routing_instance(
        tmp_path / "x",
        [NO_TAX],
        [{"market": "M1", "sku": "A", "quantity": 30}],
        lanes=[(*PARCEL, None, 10), postal],
    )
    result = solve(folder)
    assert result.objective == pytest.approx(10 * PARCEL_UNIT + 20 * 130)
    assert channel_units(result) == pytest.approx({"cbec_direct": 10, "postal": 20})


# --- Greedy: one SKU, one market, one month, every path independent ----------------------------

capacities = st.one_of(st.none(), st.integers(0, 40).map(float))
costs = st.integers(1, 60).map(float)
paths = st.fixed_dictionaries(
    {
        "inbound": st.lists(st.tuples(costs, capacities), min_size=2, max_size=2),
        "release": st.lists(capacities, min_size=2, max_size=2),
        "last_mile": st.lists(st.tuples(costs, capacities), min_size=2, max_size=2),
        "direct": st.lists(st.tuples(costs, capacities), min_size=3, max_size=3),
        "demand": st.integers(1, 120).map(float),
    }
)


def greedy(data) -> float:
    """Fill the cheapest path first. With one SKU, market and month and no fixed costs, each
    bonded warehouse is one path (its inbound, releases and last mile in series: the least of
    their capacities), each direct lane another and the duty-paid warehouse of general trade
    (the third of ``direct``) one more, so filling by cost is optimal."""
    options = []
    for (c_in, u_in), u_rel, (c_lm, u_lm) in zip(
        data["inbound"], data["release"], data["last_mile"], strict=True
    ):
        limits = [u for u in (u_in, u_rel, u_lm) if u is not None]
        options.append((100 + c_in + c_lm, min(limits, default=float("inf"))))
    options += [(100 + c, float("inf") if u is None else u) for c, u in data["direct"]]
    options.append((LOST, float("inf")))
    left, total = data["demand"], 0.0
    for unit, limit in sorted(options):
        take = min(left, limit)
        total += take * unit
        left -= take
    return total


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=paths)
def test_capacities_against_a_greedy_fill(tmp_path_factory, data):
    bonded = {f"B{i}": {"fixed_cost": 0, "capacity": data["release"][i]} for i in range(2)}
    lanes = [
        ("FR", b, "air_bulk", data["inbound"][i][0], 5, None, data["inbound"][i][1])
        for i, b in enumerate(bonded)
    ]
    lanes += [
        (b, "M1", "last_mile", data["last_mile"][i][0], 2, None, data["last_mile"][i][1])
        for i, b in enumerate(bonded)
    ]
    lanes += [
        ("FR", "M1", mode, cost, days, None, limit)
        for mode, days, (cost, limit) in zip(
            ("cbec_parcel", "postal_parcel"), (10, 20), data["direct"][:2], strict=True
        )
    ]
    # General trade: bulk into a duty-paid warehouse (no tax here), a path like a bonded one.
    cost, limit = data["direct"][2]
    bonded["DW"] = {"kind": "domestic_warehouse"}
    lanes += [("FR", "DW", "sea_bulk", cost, 12, None, limit), ("DW", "M1", "last_mile", 0, 2)]
    folder = write_routing_instance(
        tmp_path_factory.mktemp("greedy"),
        [NO_TAX],
        [{"market": "M1", "sku": "A", "quantity": data["demand"]}],
        bonded=bonded,
        lanes=lanes,
    )
    assert solve(folder).objective == pytest.approx(greedy(data), rel=1e-9, abs=1e-6)


# --- Solving by SKU blocks: each block gets a share of every capacity -------------------------


@pytest.fixture(scope="module")
def shared_capacities(tmp_path_factory):
    """Four SKUs of different margins through one bonded warehouse whose releases, inbound lane
    and parcel lane are all short of demand."""
    products = [{**NO_TAX, "sku": f"K{i}", "price": 150 + 40 * i} for i in range(4)]
    demand = [{"market": "M1", "sku": f"K{i}", "quantity": 20 + 5 * i} for i in range(4)]
    folder = write_routing_instance(
        tmp_path_factory.mktemp("blocks") / "x",
        products,
        demand,
        bonded={"BW": {"fixed_cost": 50, "capacity": 40}},
        lanes=[(*AIR, None, 45), LAST_MILE, (*PARCEL, None, 30)],
    )
    return cbecopt.load_instance(folder)


@pytest.mark.parametrize("size", [1, 2])
def test_sku_blocks_respect_every_capacity_and_bracket_the_optimum(shared_capacities, size):
    whole = cbecopt.solve(shared_capacities, "routing", cbecopt.SolveOptions(mip_rel_gap=0))
    assert whole.status == cbecopt.Status.OPTIMAL
    blocks = cbecopt.solve(
        shared_capacities,
        "routing",
        cbecopt.SolveOptions(threads=1),
        RoutingConfig(sku_blocks=size),
    )
    assert blocks.status == cbecopt.Status.FEASIBLE
    assert blocks.bound <= whole.objective + 1e-6 <= blocks.objective + 2e-6
    units = channel_units(blocks)
    assert units["bonded"] <= 40 + 1e-6 and units["cbec_direct"] <= 30 + 1e-6
    assert blocks.tables["inbound"]["quantity"].sum() <= 45 + 1e-6
    assert blocks.tables["cost_breakdown"]["cost"].sum() == pytest.approx(blocks.objective)
