"""The routing model against hand-derived optima, brute force, the newsvendor and the literature."""

from __future__ import annotations

import itertools
import logging
import math
import re
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbecopt
from cbecopt.channels import DIRECT_MAIL, channel_terms
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.scenarios import generate_demand_scenarios
from cbecopt.seeds import stream_seed
from cbecopt.tax_rules import load_tax_rules
from routing_helpers import solve_routing as solve
from routing_helpers import write_routing_instance

N01 = NormalDist()
TAX = 0.7 * 0.13 * 200  # CBEC tax on a 200 CNY item with 13% VAT, no consumption tax: 18.2
AIR, LAST_MILE, PARCEL = (
    ("FR", "BW", "air_bulk", 5, 5),
    ("BW", "M1", "last_mile", 3, 2),
    ("FR", "M1", "cbec_parcel", 20, 10),
)


@pytest.mark.component
@pytest.mark.parametrize("quantity", [59, 61])
def test_bonded_pays_off_exactly_above_the_volume_threshold(tmp_path, quantity):
    """Bonded saves 12 per unit (5 + 3 against a 20 parcel; same CBEC tax) but costs 600 a month
    plus 120 to list the SKU: it pays from (600 + 120) / 12 = 60 units."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "listing_cost": 120}],
        [{"market": "M1", "sku": "A", "quantity": quantity}],
        bonded={"BW": {"fixed_cost": 600}},
        lanes=[AIR, LAST_MILE, PARCEL],
    )
    result = solve(folder)
    if quantity < 60:
        assert result.kpis["bonded_warehouses_used"] == []
        assert result.objective == pytest.approx(quantity * (100 + 20 + TAX))
    else:
        assert result.kpis["bonded_warehouses_used"] == ["BW"]
        assert result.objective == pytest.approx(600 + 120 + quantity * (100 + 5 + 3 + TAX))
    assert result.kpis["tax_paid"] == pytest.approx(quantity * TAX)


@pytest.mark.component
def test_sea_freight_is_booked_a_month_ahead(tmp_path):
    """Sea takes 35 days (arrives next month) at 1 a unit, air 5 days at 10: month 1 goes by air,
    month 2's units leave by sea in month 1; nothing is held at a month's end, and each unit is
    held half of its arrival month (holding 1 on the average stock: 0.5 a unit)."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "holding_cost": 1}],
        [{"market": "M1", "sku": "A", "month": m, "quantity": 10} for m in (1, 2)],
        lanes=[("FR", "BW", "sea_bulk", 1, 35), ("FR", "BW", "air_bulk", 10, 5), LAST_MILE, PARCEL],
    )
    result = solve(folder)
    inbound = result.tables["inbound"].set_index("mode")
    assert inbound.loc["air_bulk", ["ship_month", "arrival_month", "quantity"]].tolist() == [
        1,
        1,
        10,
    ]
    assert inbound.loc["sea_bulk", ["ship_month", "arrival_month", "quantity"]].tolist() == [
        1,
        2,
        10,
    ]
    assert result.objective == pytest.approx(
        10 * (100 + 10 + 3 + TAX) + 10 * (100 + 1 + 3 + TAX) + 20 * 0.5
    )
    assert result.tables["stock"].empty


@pytest.mark.component
def test_delivery_time_target_caps_the_slow_channel(tmp_path):
    """Parcels (10 days) are cheaper than bonded here; a 5-day average target lets at most
    (5 - 2) / (10 - 2) = 37.5% of orders go by parcel."""
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A"}],
        [{"market": "M1", "sku": "A", "quantity": 80}],
        markets={"M1": {"max_delivery_days": 5}},
        lanes=[("FR", "BW", "air_bulk", 30, 5), LAST_MILE, PARCEL],
    )
    result = solve(folder)
    mix = result.tables["channel_mix"].groupby("channel")["quantity"].sum()
    assert mix["cbec_direct"] == pytest.approx(0.375 * 80)
    assert mix["bonded"] == pytest.approx(0.625 * 80)
    assert result.kpis["average_delivery_days"] == pytest.approx(5)


# --- Brute force: every choice of warehouses and listings, each order served the cheapest way ---


def brute_force(instance) -> float:
    """Cost of the best plan by enumeration (one month, air inbound, no capacities).

    For fixed warehouses and listings each (market, SKU) is independent: mail parcels serve up
    to the wait share at their cheapest, everything else goes to the cheapest of bonded (from a
    listed warehouse) or a lost sale.
    """
    tables = instance.tables
    products = instance.network.products.set_index("sku")
    arcs = tables["arcs"]
    terms = channel_terms(products.reset_index(), load_tax_rules())
    allowed = terms.set_index(["sku", "channel"])["allowed"]
    tax = terms.set_index(["sku", "channel"])["tax_per_unit"]
    nodes = tables["nodes"].set_index("id")
    bonded = list(nodes.index[nodes["kind"] == "bonded_warehouse"])
    skus = list(products.index)
    cost_of = {(a.origin, a.destination, a.mode): a.unit_cost for a in arcs.itertuples()}
    channel_of = {
        "cbec_parcel": "cbec_direct",
        "postal_parcel": "postal",
    }
    best = math.inf
    for used in itertools.product([0, 1], repeat=len(bonded)):
        options = [
            (b, k)
            for b, u in zip(bonded, used, strict=True)
            if u
            for k in skus
            if allowed[(k, "bonded")]
        ]
        for listed in itertools.product([0, 1], repeat=len(options)):
            chosen = [o for o, x in zip(options, listed, strict=True) if x]
            total = sum(nodes.at[b, "fixed_cost"] for b, u in zip(bonded, used, strict=True) if u)
            total += sum(products.at[k, "listing_cost"] for _, k in chosen)
            for d in tables["demand"].itertuples():
                k, j, q = d.sku, d.market, d.quantity
                p = products.loc[k]
                lost = p["price"] + p["lost_sale_penalty"]
                mail, other = [math.inf], [lost]
                for mode, channel in channel_of.items():
                    if (p["origin"], j, mode) in cost_of and allowed[(k, channel)]:
                        unit = (
                            p["purchase_cost"] + cost_of[(p["origin"], j, mode)] + tax[(k, channel)]
                        )
                        (mail if channel in DIRECT_MAIL else other).append(unit)
                for b, kk in chosen:
                    if kk == k and (b, j, "last_mile") in cost_of:
                        other.append(
                            p["purchase_cost"]
                            + cost_of[(p["origin"], b, "air_bulk")]
                            + cost_of[(b, j, "last_mile")]
                            + tax[(k, "bonded")]
                        )
                w, m, o = p["wait_share"], min(mail), min(other)
                total += q * (o if m >= o else w * m + (1 - w) * o)
            best = min(best, total)
    return best


costs = st.integers(1, 40).map(float)
tiny = st.fixed_dictionaries(
    {
        "fixed": st.lists(st.integers(0, 3000).map(float), min_size=2, max_size=2),
        "inbound": st.lists(costs, min_size=2, max_size=2),
        "last_mile": st.lists(costs, min_size=4, max_size=4),
        "parcel": st.lists(costs, min_size=2, max_size=2),
        "postal": st.lists(costs, min_size=2, max_size=2),
        "price": st.lists(st.integers(150, 400).map(float), min_size=2, max_size=2),
        "vat": st.lists(st.sampled_from([0.09, 0.13]), min_size=2, max_size=2),
        "ct": st.lists(st.sampled_from([0.0, 0.15]), min_size=2, max_size=2),
        "postal_rate": st.lists(st.sampled_from([0.13, 0.2, 0.5]), min_size=2, max_size=2),
        "listing": st.lists(st.integers(0, 800).map(float), min_size=2, max_size=2),
        "wait": st.lists(st.sampled_from([0.3, 0.7, 1.0]), min_size=2, max_size=2),
        "bonded_ok": st.lists(st.sampled_from([0, 1, 1]), min_size=2, max_size=2),
        "cbec_ok": st.lists(st.sampled_from([0, 1, 1]), min_size=2, max_size=2),
        "demand": st.lists(st.integers(0, 120).map(float), min_size=4, max_size=4),
    }
)


@pytest.mark.component
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=tiny)
def test_brute_force_tiny_networks(tmp_path_factory, data):
    if not any(data["demand"]):
        data["demand"][0] = 10.0
    bonded = {f"B{i}": {"fixed_cost": data["fixed"][i]} for i in range(2)}
    markets = ("M1", "M2")
    lanes = [("FR", b, "air_bulk", data["inbound"][i], 5) for i, b in enumerate(bonded)]
    lanes += [
        (b, m, "last_mile", data["last_mile"][2 * i + n], 2)
        for i, b in enumerate(bonded)
        for n, m in enumerate(markets)
    ]
    for n, m in enumerate(markets):
        lanes += [
            ("FR", m, "cbec_parcel", data["parcel"][n], 10),
            ("FR", m, "postal_parcel", data["postal"][n], 20),
        ]
    products = [
        {
            "sku": f"K{i}",
            "price": data["price"][i],
            "purchase_cost": 0.5 * data["price"][i],
            "vat_rate": data["vat"][i],
            "consumption_tax_rate": data["ct"][i],
            "postal_rate": data["postal_rate"][i],
            "listing_cost": data["listing"][i],
            "wait_share": data["wait"][i],
            "bonded_allowed": data["bonded_ok"][i],
            "cbec_allowed": data["cbec_ok"][i],
            "lost_sale_penalty": 5.0,
        }
        for i in range(2)
    ]
    demand = [
        {"market": m, "sku": f"K{i}", "quantity": data["demand"][2 * i + n]}
        for i in range(2)
        for n, m in enumerate(markets)
        if data["demand"][2 * i + n] > 0
    ]
    folder = write_routing_instance(
        tmp_path_factory.mktemp("bf"), products, demand, bonded, {m: {} for m in markets}, lanes
    )
    instance = cbecopt.load_instance(folder)
    result = solve(folder)
    assert result.objective == pytest.approx(brute_force(instance), rel=1e-9, abs=1e-6)


# --- Two-stage: the newsvendor, and what variability does -------------------------------------


def newsvendor_instance(folder, mean, std, channels_lanes, **product):
    return write_routing_instance(
        folder,
        [{"sku": "A", **product}],
        [{"market": "M1", "sku": "A", "quantity": mean, "std": std}],
        lanes=channels_lanes,
    )


@pytest.mark.component
def test_bonded_only_two_stage_is_the_newsvendor(tmp_path):
    """Stock ordered before demand is seen, shortage lost at price + penalty, leftovers salvaged.

    Holding 2 a unit-month on the average stock: a unit is held half its month on arrival (1)
    and, left over, half again at the month's end (1). Underage: 200 + 10 - (105 inbound + 1 +
    3 + 18.2 release) = 82.8; overage: 105 + 1 + 1 - 40 salvage = 67; critical ratio
    82.8 / 149.8.
    """
    n, seed, mean, std = 999, 5, 100.0, 20.0
    folder = newsvendor_instance(
        tmp_path / "x",
        mean,
        std,
        [AIR, LAST_MILE, PARCEL],
        lost_sale_penalty=10,
        holding_cost=2,
        salvage_value=40,
    )
    instance = cbecopt.load_instance(folder)
    result = cbecopt.solve(
        instance,
        "routing",
        cbecopt.SolveOptions(seed=seed),
        RoutingConfig(channels=("bonded",), samples=n),
    )
    assert result.status == cbecopt.Status.OPTIMAL
    q = float(result.tables["inbound"]["quantity"].sum())
    ratio = 82.8 / 149.8
    drawn_with = stream_seed(seed, "scenarios")  # the seed tree's scenarios stream
    rows, _ = generate_demand_scenarios(instance.tables["demand"], n, "normal", drawn_with)
    sample = np.sort(rows["quantity"].to_numpy(float))
    assert q == pytest.approx(sample[math.ceil(ratio * n) - 1], abs=1e-6)
    q_star = mean + std * N01.inv_cdf(ratio)
    sd = math.sqrt(ratio * (1 - ratio) / n) / (N01.pdf(N01.inv_cdf(ratio)) / std)
    assert abs(q - q_star) <= 4 * sd


@pytest.mark.component
def test_more_variability_means_less_bonded_stock_and_more_direct_mail(tmp_path):
    """Bonded is 22 a unit cheaper than a parcel, but a unit left over loses 66: with a critical
    ratio of 22 / 88 = 0.25 the stock sits below mean demand, lower the more demand varies, and
    parcels fill the rest (Lee et al.; the postponement literature)."""
    stock, mail = [], []
    for cv in (0.1, 0.3, 0.5):
        folder = newsvendor_instance(
            tmp_path / f"cv{cv}",
            100.0,
            100.0 * cv,
            [AIR, LAST_MILE, ("FR", "M1", "cbec_parcel", 30, 10)],
            holding_cost=1,
            salvage_value=40,
        )
        result = cbecopt.solve(
            cbecopt.load_instance(folder),
            "routing",
            cbecopt.SolveOptions(seed=1),
            RoutingConfig(samples=400),
        )
        assert result.status == cbecopt.Status.OPTIMAL
        stock.append(result.tables["inbound"]["quantity"].sum() / 100.0)
        units = result.kpis["channel_units"]
        mail.append(units.get("cbec_direct", 0.0) / sum(units.values()))
    assert stock[0] > stock[1] > stock[2]
    assert mail[0] < mail[1] < mail[2]


@pytest.mark.component
def test_two_stage_report_and_strategies(tmp_path):
    folder = newsvendor_instance(
        tmp_path / "x", 100.0, 30.0, [AIR, LAST_MILE, PARCEL], salvage_value=40
    )
    instance = cbecopt.load_instance(folder)
    result = cbecopt.solve(
        instance,
        "routing",
        cbecopt.SolveOptions(seed=2),
        RoutingConfig(samples=20),
        reports=("stochastic",),
    )
    report = result.reports["stochastic"]
    assert report["evpi"] >= -1e-6 and report["vss"] >= -1e-6
    assert report["rp"] == pytest.approx(result.objective)
    from cbecopt.models.routing.policies import compare_routing

    table = compare_routing(instance).set_index("strategy")
    assert (table["status"] == "optimal").all()
    assert table.loc["hybrid", "cost"] <= table["cost"].min() + 1e-6
    assert table.loc["postal_only", "fill_rate"] == 0.0  # no postal lane: every unit is lost


# --- Solving by SKU blocks ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from cbecopt.models.routing.generate import generate_routing

    folder = tmp_path_factory.mktemp("blocks") / "gen"
    cbecopt.save_instance(generate_routing(12, n_months=3, n_bonded=3, n_markets=6, seed=4), folder)
    return cbecopt.load_instance(folder)


@pytest.mark.component
def test_sku_blocks_bracket_the_optimum_and_give_a_consistent_plan(generated):
    whole = cbecopt.solve(generated, "routing", cbecopt.SolveOptions(mip_rel_gap=0))
    assert whole.status == cbecopt.Status.OPTIMAL
    for size in (4, 12):
        blocks = cbecopt.solve(
            generated, "routing", cbecopt.SolveOptions(threads=1), RoutingConfig(sku_blocks=size)
        )
        assert blocks.status == cbecopt.Status.FEASIBLE  # proven within a gap, never "optimal"
        assert blocks.bound <= whole.objective + 1e-6 <= blocks.objective + 2e-6
        assert blocks.gap == pytest.approx((blocks.objective - blocks.bound) / blocks.objective)
        assert blocks.tables["cost_breakdown"]["cost"].sum() == pytest.approx(blocks.objective)
        served = blocks.tables["channel_mix"]["quantity"].sum()
        assert served == pytest.approx(generated.tables["demand"]["quantity"].sum())


@pytest.mark.integration
def test_sku_blocks_do_not_depend_on_the_number_of_workers(generated, caplog):
    """Nor does their progress: each pass says how many of its blocks it has solved (with 2,
    worker processes solve them, whatever the calling process's main module is)."""
    runs = []
    for n in (1, 2):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="cbecopt"):
            runs.append(
                cbecopt.solve(
                    generated,
                    "routing",
                    cbecopt.SolveOptions(threads=n),
                    RoutingConfig(sku_blocks=3),
                )
            )
        blocks = -(-generated.tables["demand"]["sku"].nunique() // 3)
        said = [r.getMessage() for r in caplog.records if r.name.endswith("sku_blocks")]
        for name in ("bound", "plan"):
            last = [m for m in said if m.startswith(f"SKU blocks, {name} pass: ")][-1]
            assert re.search(rf"\b{blocks}/{blocks}\b", last), said
    one, two = runs
    assert one.objective == two.objective and one.bound == two.bound
    pd.testing.assert_frame_equal(one.tables["inbound"], two.tables["inbound"])


@pytest.mark.unit
def test_sku_blocks_without_time_to_solve_say_which_block_and_why(generated):
    from cbecopt.methods import Task, sku_blocks
    from cbecopt.results import Run

    config = RoutingConfig(sku_blocks=4)
    problem = cbecopt.MODELS["routing"].build(generated, config)  # prepared outside the budget
    options = cbecopt.SolveOptions(time_limit=1e-3, threads=1).begin()
    task = Task(problem, None, None, "", config)
    result = sku_blocks.solve(task, Run("routing", "generated", options, {"sku_blocks": 4}))
    assert result.status == cbecopt.Status.NO_SOLUTION and result.objective is None
    assert result.diagnosis and result.diagnosis[0].startswith("a SKU block (")
    assert "no_solution" in result.diagnosis[0]
    assert result.options["model"]["sku_blocks"] == 4
    # wall-clock phases that add up to the total; the workers' own seconds are kept apart
    assert {"load", "bound_pass", "total"} <= set(result.timings)
    parts = sum(v for k, v in result.timings.items() if k != "total")
    assert parts == pytest.approx(result.timings["total"])
    assert set(result.solver["worker_seconds"]) == {"build", "handoff", "solve", "extract"}


@pytest.mark.component
def test_an_overseas_warehouse_ships_only_skus_a_first_mile_brings_it(tmp_path):
    """OW is reached by a first mile (2 a unit) from FR only: A (from FR) goes FR -> OW -> M1
    by parcel at 100 + 2 + 5 = 107, not straight from FR at 120; B (from US) cannot use OW's
    cheaper parcel and goes from US at 125. No tax (rates 0)."""
    no_tax = {"vat_rate": 0.0, "tariff_rate": 0.0, "postal_rate": 0.0}
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", **no_tax}, {"sku": "B", "origin": "US", **no_tax}],
        [{"market": "M1", "sku": k, "quantity": 10} for k in ("A", "B")],
        bonded={"US": {"kind": "supplier"}, "OW": {"kind": "overseas_warehouse"}},
        lanes=[
            ("FR", "OW", "sea_bulk", 2, 30),
            ("OW", "M1", "cbec_parcel", 5, 6),
            ("FR", "M1", "cbec_parcel", 20, 10),
            ("US", "M1", "cbec_parcel", 25, 9),
        ],
    )
    result = solve(folder)
    assert result.objective == pytest.approx(10 * 107 + 10 * 125)
    assert result.tables["cost_breakdown"].set_index("component").at[
        "direct_freight", "cost"
    ] == pytest.approx(10 * (2 + 5) + 10 * 25)
