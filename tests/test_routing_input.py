"""Bad routing input: named by file, row and column; the routing commands from the shell."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cbecopt
from helpers import has, load_problems
from routing_helpers import write_routing_instance
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process

LANES = [
    ("FR", "BW", "air_bulk", 5, 5),
    ("BW", "M1", "last_mile", 3, 2),
    ("FR", "M1", "cbec_parcel", 20, 10),
]


def routing_problems(folder) -> list[str]:
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.solve(cbecopt.load_instance(folder), "routing")
    return [str(p) for p in caught.value.problems]


@pytest.mark.unit
def test_unknown_sku_or_market_in_demand(tmp_path):
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A"}],
        [
            {"market": "M1", "sku": "A", "quantity": 1},
            {"market": "M1", "sku": "Z", "quantity": 1},
            {"market": "M9", "sku": "A", "quantity": 1},
        ],
        lanes=LANES,
    )
    found = load_problems(folder)
    assert has(found, "demand.csv, row 3, column 'sku'", "unknown SKU 'Z'")
    assert has(found, "demand.csv, row 4, column 'market'", "unknown node 'M9'")


@pytest.mark.unit
def test_negative_or_missing_tax_rates(tmp_path):
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "vat_rate": -0.1}, {"sku": "B", "vat_rate": None, "postal_rate": 1.5}],
        [{"market": "M1", "sku": "A", "quantity": 1}],
        lanes=LANES,
    )
    found = load_problems(folder)
    assert has(found, "products.csv, row 2, column 'vat_rate'", "below the minimum 0")
    assert has(found, "products.csv, row 3, column 'postal_rate'", "above the maximum")
    (folder / "products.csv").write_text(
        pd.read_csv(folder / "products.csv")
        .assign(vat_rate=[0.13, None], postal_rate=0.13)
        .to_csv(index=False)
    )
    assert has(
        routing_problems(folder),
        "products.csv, row 3, column 'vat_rate'",
        "routing model needs this value",
    )


@pytest.mark.component
def test_a_sku_no_channel_can_serve(tmp_path):
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "bonded_allowed": 0, "cbec_allowed": 0}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        lanes=LANES,
    )
    assert has(
        routing_problems(folder),
        "products.csv, row 2, column 'sku'",
        "SKU 'A' has demand but no lane reaches M1 by postal, general_trade",
    )
    # Under a strategy, unreachable demand is simply lost.
    from cbecopt.models.routing.build import RoutingConfig

    result = cbecopt.solve(
        cbecopt.load_instance(folder), "routing", config=RoutingConfig(channels=("bonded",))
    )
    assert result.kpis["lost_sales"] == pytest.approx(5)


@pytest.mark.unit
def test_lane_lead_times_modes_and_units(tmp_path):
    lanes = [
        ("FR", "BW", "air_bulk", 5, 0),
        ("BW", "M1", "last_mile", 3, None),
        ("FR", "M1", "courier", 20, 10),
        ("FR", "M1", "postal_parcel", 0, 15, 30.0),
    ]
    folder = write_routing_instance(
        tmp_path / "x", [{"sku": "A"}], [{"market": "M1", "sku": "A", "quantity": 5}], lanes=lanes
    )
    found = routing_problems(folder)
    assert has(
        found, "arcs.csv, row 2, column 'lead_time_days'", "inbound lane needs a lead time above 0"
    )
    assert has(
        found, "arcs.csv, row 3, column 'lead_time_days'", "last_mile lane needs a lead time"
    )
    assert has(found, "arcs.csv, row 4, column 'mode'", "mode 'courier'")
    lanes = [LANES[0], LANES[1], ("FR", "M1", "postal_parcel", 0, 15, 30.0)]
    folder = write_routing_instance(
        tmp_path / "y",
        [{"sku": "A", "volume_m3": None}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        bonded={"BW": {"fixed_cost": 0, "volume_capacity": 10}},
        lanes=lanes,
    )
    found = routing_problems(folder)
    assert has(found, "products.csv, row 2, column 'weight_kg'", "priced per kg but has no weight")
    assert has(
        found, "products.csv, row 2, column 'volume_m3'", "volume capacity but has no volume"
    )


@pytest.mark.unit
def test_origin_must_be_a_supply_node_and_rules_date_must_exist(tmp_path):
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "origin": "M1"}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        lanes=LANES,
    )
    assert has(
        routing_problems(folder), "products.csv, row 2, column 'origin'", "origin 'M1' is a market"
    )
    from cbecopt.models.routing.build import RoutingConfig

    folder = write_routing_instance(
        tmp_path / "y", [{"sku": "A"}], [{"market": "M1", "sku": "A", "quantity": 5}], lanes=LANES
    )
    with pytest.raises(cbecopt.OptionError, match="no tax rule set in force on 2010-01-01"):
        cbecopt.solve(
            cbecopt.load_instance(folder), "routing", config=RoutingConfig(tax_date="2010-01-01")
        )


@pytest.mark.integration
def test_generate_solve_and_compare_routing_from_the_shell(tmp_path):
    gen = tmp_path / "gen"
    run = run_cbecopt(
        "generate",
        "routing",
        "--skus",
        "4",
        "--markets",
        "5",
        "--months",
        "3",
        "--bonded",
        "2",
        "--seed",
        "3",
        "-o",
        str(gen),
    )
    assert run.returncode == 0, run.stderr
    run = run_cbecopt(
        "solve", str(gen), "--model", "routing", "--json", "--out", str(tmp_path / "plan")
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal"
    assert {"inbound", "stock", "channel_mix", "tax", "cost_breakdown", "bonded"} <= set(
        data["tables"]
    )
    breakdown = pd.read_csv(tmp_path / "plan" / "cost_breakdown.csv")
    assert breakdown["cost"].sum() == pytest.approx(data["objective"], rel=1e-9)
    out = tmp_path / "cmp"
    run = run_cbecopt("compare-routing", str(gen), "--json", "-o", str(out))
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)  # one object: overall status, timings and the rows
    assert data["status"] in ("optimal", "feasible") and data["timings"]["total"] > 0
    rows = data["strategies"]
    assert [r["strategy"] for r in rows] == [
        "bonded_only",
        "direct_mail_only",
        "postal_only",
        "hybrid",
    ]
    hybrid = rows[-1]["cost"]
    assert all(hybrid <= r["cost"] + 1e-6 for r in rows)
    assert (out / "comparison.png").read_bytes()[:4] == b"\x89PNG"
    run = run_cbecopt("solve", str(gen), "--model", "routing", "--channels", "teleport")
    assert run.returncode == 2 and "channels must be a non-empty subset" in run.stderr


def blank_line_before(path, line: int) -> None:
    """Insert an empty line before line ``line`` of a file (the header is line 1)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[: line - 1], "\n", *lines[line - 1 :]]), encoding="utf-8")


@pytest.mark.integration
@pytest.mark.parametrize(
    ("target", "lanes", "fastest"),
    [
        (1.5, LANES, "takes 2 days (BW -> M1, last_mile)"),
        (0, LANES, "takes 2 days (BW -> M1, last_mile)"),
        (
            5,
            [LANES[2], ("FR", "M1", "postal_parcel", 10, 15)],
            "takes 10 days (FR -> M1, cbec_parcel)",
        ),
    ],
)
def test_a_delivery_target_no_lane_meets_is_refused(tmp_path, target, lanes, fastest):
    """Every lane into M1 is slower than its target: the only plan keeping it sells nothing
    there. The error names the market's row (line 5: a blank line precedes it)."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A"}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        markets={"M1": {"max_delivery_days": target}},
        lanes=lanes,
    )
    blank_line_before(folder / "nodes.csv", 4)
    place = "nodes.csv, row 5, column 'max_delivery_days'"
    message = f"market 'M1' has a target of {target:g} days on average, but the fastest lane"
    assert has(routing_problems(folder), place, message, fastest)
    report = cbecopt.validate(cbecopt.load_instance(folder), "routing")
    assert has([str(p) for p in report.checks["routing"].problems], place, message, fastest)
    run = run_cbecopt("validate", str(folder), "--model", "routing")
    assert run.returncode == 2 and place in run.stderr and "Traceback" not in run.stderr


@pytest.mark.unit
def test_a_delivery_target_the_fastest_lane_meets_is_kept(tmp_path):
    """A 2-day target and a 2-day last-mile lane: every order can go bonded."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A"}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        markets={"M1": {"max_delivery_days": 2}},
        lanes=LANES,
    )
    assert cbecopt.validate(cbecopt.load_instance(folder), "routing").checks["routing"].ok


@pytest.mark.unit
def test_a_salvage_value_that_pays_for_stocking_is_refused(tmp_path):
    """Stocking a unit of A costs purchase 100 + air 5 + 2 per kg x 1.5 kg + one month's
    holding 2 = 110; salvaged at 120 it would make 10. B, row 2, has no weight for the lane
    priced per kg; a blank line puts A on line 4. At 110 A is still refused (buying to salvage
    would not lose money); at 109.99 it is fine."""
    air = ("FR", "BW", "air_bulk", 5, 5, 2.0)
    products = [
        {"sku": "B"},
        {"sku": "A", "weight_kg": 1.5, "holding_cost": 2, "salvage_value": 120},
    ]
    demand = [{"market": "M1", "sku": k, "quantity": 5} for k in ("A", "B")]
    folder = write_routing_instance(tmp_path / "x", products, demand, lanes=[air, *LANES[1:]])
    blank_line_before(folder / "products.csv", 3)
    found = routing_problems(folder)
    assert has(found, "products.csv, row 2, column 'weight_kg'", "SKU 'B'")
    assert has(
        found,
        "products.csv, row 4, column 'salvage_value'",
        "salvage_value (120) is at or above the cost of stocking a unit of 'A' by 10 (110 = "
        "purchase_cost 100 + 8 freight and import tax on the cheapest inbound lane FR -> BW "
        "(air_bulk) + one month's holding_cost 2)",
    )
    for salvage, refused in ((110, True), (109.99, False)):
        products = [{"sku": "A", "weight_kg": 1.5, "holding_cost": 2, "salvage_value": salvage}]
        folder = write_routing_instance(
            tmp_path / f"s{salvage}", products, demand[:1], lanes=[air, *LANES[1:]]
        )
        check = cbecopt.validate(cbecopt.load_instance(folder), "routing").checks["routing"]
        assert check.ok is not refused
        if refused:
            assert has([str(p) for p in check.problems], "by 0 (110 = ")


@pytest.mark.integration
def test_sku_blocks_options_are_refused_before_any_solve():
    from cbecopt.models.routing.build import RoutingConfig
    from cbecopt.stochastic.twostage import RiskOptions

    with pytest.raises(cbecopt.OptionError, match="block size must be at least 1, got 0"):
        RoutingConfig(sku_blocks=0)
    with pytest.raises(cbecopt.OptionError, match="risk-neutral only"):
        RoutingConfig(sku_blocks=2, risk=RiskOptions(weight=0.5))
    run = run_cbecopt("solve", "routing_demo", "--model", "routing", "--sku-blocks", "0")
    assert run.returncode == 2 and "block size must be at least 1" in run.stderr


@pytest.mark.unit
def test_a_per_order_general_trade_lane_is_refused_naming_its_row(tmp_path):
    """General trade is bulk import into a domestic warehouse; the old per-order lane from
    abroad to a market (row 5 of arcs.csv) is an error that says what to write instead."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A"}],
        [{"market": "M1", "sku": "A", "quantity": 5}],
        lanes=[*LANES[:3], ("FR", "M1", "general_trade", 12, 15)],
    )
    assert has(
        routing_problems(folder),
        "arcs.csv, row 5, column 'mode'",
        "a per-order general_trade lane from abroad to a market is no longer a channel",
        "domestic_warehouse",
    )
