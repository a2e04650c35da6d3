"""Bad routing input: named by file, row and column; the routing commands from the shell."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cbecopt
from helpers import has, load_problems
from routing_helpers import write_routing_instance
from test_cli import cbecopt as run_cbecopt

pytestmark = pytest.mark.integration
LANES = [
    ("FR", "BW", "air_bulk", 5, 5),
    ("BW", "M1", "last_mile", 3, 2),
    ("FR", "M1", "cbec_parcel", 20, 10),
]


def routing_problems(folder) -> list[str]:
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.solve(cbecopt.load_instance(folder), "routing")
    return [str(p) for p in caught.value.problems]


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
    from cbecopt.formulations.routing import RoutingConfig

    result = cbecopt.solve(
        cbecopt.load_instance(folder), "routing", config=RoutingConfig(channels=("bonded",))
    )
    assert result.kpis["lost_sales"] == pytest.approx(5)


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
    from cbecopt.formulations.routing import RoutingConfig

    folder = write_routing_instance(
        tmp_path / "y", [{"sku": "A"}], [{"market": "M1", "sku": "A", "quantity": 5}], lanes=LANES
    )
    with pytest.raises(cbecopt.OptionError, match="no tax rule set in force on 2010-01-01"):
        cbecopt.solve(
            cbecopt.load_instance(folder), "routing", config=RoutingConfig(tax_date="2010-01-01")
        )


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
