"""The suppliers model against published examples, brute force, and the Pareto front's ends."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import cbecopt
from cbecopt.bundled import resolve_path
from cbecopt.models.suppliers.build import SuppliersConfig
from helpers import has, load_problems
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process


def write(folder, offers, breaks, demand, nodes=None, rule="exact", products=None):
    """A one-market instance; ``offers`` rows are dicts, ``breaks`` (supplier, sku, from, price)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text(
        f'[instance]\nname = "s"\n[suppliers]\ndemand = "{rule}"\n'
    )
    suppliers = list(dict.fromkeys(o["supplier"] for o in offers))
    nodes = nodes or [{"id": s, "kind": "supplier"} for s in suppliers]
    pd.DataFrame([*nodes, {"id": "M", "kind": "market"}]).to_csv(folder / "nodes.csv", index=False)
    skus = list(dict.fromkeys(d[0] for d in demand))
    pd.DataFrame(products or [{"sku": k, "price": 100} for k in skus]).to_csv(
        folder / "products.csv", index=False
    )
    pd.DataFrame(offers).to_csv(folder / "offers.csv", index=False)
    pd.DataFrame(breaks, columns=["supplier", "sku", "from_quantity", "unit_price"]).to_csv(
        folder / "price_breaks.csv", index=False
    )
    pd.DataFrame([{"market": "M", "sku": k, "quantity": q} for k, q in demand]).to_csv(
        folder / "demand.csv", index=False
    )
    return folder


def bought(result) -> dict:
    return dict(
        zip(
            result.tables["purchases"]["supplier"],
            result.tables["purchases"]["quantity"],
            strict=True,
        )
    )


@pytest.mark.component
def test_ravindran_warsing_exercise_5_5(tmp_path):
    """Buy 2000; S1 fixed 100, cap 600, 10 then 7 from 300; S2 fixed 500, cap 800, 2; S3 fixed
    300, cap 1200, 6 then 4 from 500 (incremental): optimum 8200 buying (0, 800, 1200)."""
    folder = write(
        tmp_path / "x",
        [
            {"supplier": "S1", "sku": "X", "discount": "incremental", "capacity": 600},
            {"supplier": "S2", "sku": "X", "discount": "incremental", "capacity": 800},
            {"supplier": "S3", "sku": "X", "discount": "incremental", "capacity": 1200},
        ],
        [
            ("S1", "X", 0, 10),
            ("S1", "X", 300, 7),
            ("S2", "X", 0, 2),
            ("S3", "X", 0, 6),
            ("S3", "X", 500, 4),
        ],
        [("X", 2000)],
        nodes=[
            {"id": "S1", "kind": "supplier", "fixed_cost": 100},
            {"id": "S2", "kind": "supplier", "fixed_cost": 500},
            {"id": "S3", "kind": "supplier", "fixed_cost": 300},
        ],
    )
    result = cbecopt.solve(cbecopt.load_instance(folder), "suppliers")
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(8200)
    assert bought(result) == pytest.approx({"S2": 800, "S3": 1200})


LINDO_BREAKS = [
    ("A", "X", f, p) for f, p in zip((0, 1000, 2500, 7500, 15000), (9, 8, 7, 5, 3), strict=True)
] + [("B", "X", f, p) for f, p in zip((0, 1200, 3000, 7500, 14000), (8, 7, 6, 4, 2), strict=True)]


@pytest.mark.component
def test_lindo_qdisc_buys_more_than_needed_to_reach_the_break(tmp_path):
    """Need at least 6000: vendor A all-units, vendor B incremental (capacity 20000). Optimum
    37,500: 7,500 from A at 5, more than needed, because the all-units break pays."""
    offers = [
        {"supplier": "A", "sku": "X", "discount": "all_units"},
        {"supplier": "B", "sku": "X", "discount": "incremental", "capacity": 20000},
    ]
    at_least = cbecopt.solve(
        cbecopt.load_instance(
            write(tmp_path / "a", offers, LINDO_BREAKS, [("X", 6000)], rule="at_least")
        ),
        "suppliers",
    )
    assert at_least.objective == pytest.approx(37500)
    assert bought(at_least) == pytest.approx({"A": 7500})
    exact = cbecopt.solve(
        cbecopt.load_instance(write(tmp_path / "e", offers, LINDO_BREAKS, [("X", 6000)])),
        "suppliers",
    )
    assert exact.objective > 37500 + 1  # without over-buying the break is out of reach
    assert sum(bought(exact).values()) == pytest.approx(6000)


# --- Sourcing policies, one at a time, on a case solved by hand -----------------------------

POLICY_OFFERS = [  # one SKU, demand 100, flat prices, no capacity limits
    {"supplier": "B", "sku": "X", "counterfeit_rate": 0.001, "late_rate": 0.02},
    {"supplier": "D", "sku": "X", "counterfeit_rate": 0.02, "late_rate": 0.10},
    {"supplier": "G", "sku": "X", "counterfeit_rate": 0.20, "late_rate": 0.30},
]
POLICY_NODES = [
    {"id": "B", "kind": "supplier", "supplier_type": "brand_direct"},
    {"id": "D", "kind": "supplier", "supplier_type": "distributor"},
    {"id": "G", "kind": "supplier", "supplier_type": "grey_market"},
]
POLICY_BREAKS = [("B", "X", 0, 12), ("D", "X", 0, 10), ("G", "X", 0, 6)]


@pytest.mark.component
@pytest.mark.parametrize(
    ("policy", "expected_cost", "expected_purchases"),
    [
        ({}, 600, {"G": 100}),  # cheapest source only
        # at least 30% from the brand: 30 x 12 + 70 x 6
        ({"min_brand_direct_share": 0.3}, 780, {"B": 30, "G": 70}),
        # average rate <= 5%: a unit moved from G to D costs 4 and cuts 0.18 (22.2 per point),
        # to B costs 6 for 0.199 (30.2), so G + D with 0.2 g + 0.02 d = 5, g + d = 100
        ({"max_counterfeit_rate": 0.05}, 10 * 250 / 3 + 6 * 50 / 3, {"D": 250 / 3, "G": 50 / 3}),
        # average lateness <= 10%: D alone (1000) beats G + B (28.57 x 6 + 71.43 x 12 = 1028.57)
        ({"max_late_rate": 0.10}, 1000, {"D": 100}),
        ({"max_supplier_share": 0.5}, 800, {"D": 50, "G": 50}),  # the two cheapest, half each
        # one supplier in all and 30% from the brand: the brand alone
        ({"max_suppliers": 1, "min_brand_direct_share": 0.3}, 1200, {"B": 100}),
    ],
)
def test_each_sourcing_policy_on_a_case_solved_by_hand(
    tmp_path, policy, expected_cost, expected_purchases
):
    folder = write(tmp_path / "p", POLICY_OFFERS, POLICY_BREAKS, [("X", 100)], nodes=POLICY_NODES)
    config = SuppliersConfig(counterfeit_penalty=0.0, **policy)
    result = cbecopt.solve(cbecopt.load_instance(folder), "suppliers", None, config)
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(expected_cost, rel=1e-7)
    got = {k: v for k, v in bought(result).items() if v > 1e-7}
    assert got == pytest.approx(expected_purchases, rel=1e-6)


# --- Brute force: every choice of segment per offer, each an LP solved by scipy -------------


def brute_force(data) -> float:
    """Enumerate for every offer 'unused' or the segment it ends in; solve the LP left."""
    offers, demand, rule = data["offers"], data["demand"], data["rule"]
    big = 10 * demand + 1000
    states = []
    for o in offers:
        starts, prices = o["starts"], o["prices"]
        cap = o["capacity"] if o["capacity"] is not None else big
        choices = [None]
        for r, (a, p) in enumerate(zip(starts, prices, strict=True)):
            b = starts[r + 1] if r + 1 < len(starts) else big
            low, high = max(a, o["moq"]), min(b, cap)
            if low > high + 1e-12:
                continue
            if o["discount"] == "all_units":
                choices.append((low, high, p, 0.0))
            else:  # incremental: cost = cumulative price up to a, then p per unit
                base = sum(pp * (starts[i + 1] - starts[i]) for i, pp in enumerate(prices[:r]))
                choices.append((low, high, p, base - p * a))
        states.append(choices)
    best = math.inf
    n = len(offers)
    for combo in itertools.product(*states):
        # variables: q_0..q_{n-1}, i_0..i_{n-1}
        c = np.zeros(2 * n)
        bounds, constant = [], 0.0
        for o, (offer, state) in enumerate(zip(offers, combo, strict=True)):
            if state is None:
                bounds.append((0, 0))
                continue
            low, high, price, intercept = state
            constant += intercept + offer["fixed"]
            c[o] = price + data["penalty"] * offer["rate"]
            bounds.append((low, high))
        for o, (offer, state) in enumerate(zip(offers, combo, strict=True)):
            inspectable = state is not None and offer["inspection"] is not None
            c[n + o] = (
                offer["inspection"] - data["penalty"] * (offer["rate"] - offer["inspected"])
                if inspectable
                else 0
            )
            bounds.append((0, None) if inspectable else (0, 0))
        a_ub, b_ub = [], []
        row = np.concatenate([np.eye(n), -np.eye(n)], axis=1)  # i_o <= q_o
        a_ub += list(-row)
        b_ub += [0.0] * n
        if data["cap"] is not None:
            a_ub.append(
                np.concatenate(
                    [
                        [o["rate"] - data["cap"] for o in offers],
                        [-(o["rate"] - o["inspected"]) for o in offers],
                    ]
                )
            )
            b_ub.append(0.0)
        ones = np.concatenate([np.ones(n), np.zeros(n)])
        if rule == "exact":
            res = linprog(
                c, A_ub=a_ub, b_ub=b_ub, A_eq=[ones], b_eq=[demand], bounds=bounds, method="highs"
            )
        else:
            res = linprog(
                c, A_ub=[*a_ub, -ones], b_ub=[*b_ub, -demand], bounds=bounds, method="highs"
            )
        if res.status == 0:
            best = min(best, res.fun + constant)
    return best


offer = st.fixed_dictionaries(
    {
        "discount": st.sampled_from(["all_units", "incremental"]),
        "steps": st.lists(st.integers(1, 40), min_size=0, max_size=2),
        "first_price": st.integers(9, 20),  # above the deepest cut (4 + 4): prices stay >= 1
        "cuts": st.lists(st.integers(0, 4), min_size=2, max_size=2),
        "capacity": st.one_of(st.none(), st.integers(10, 120)),
        "moq": st.sampled_from([0, 0, 5, 15]),
        "fixed": st.sampled_from([0, 0, 30, 120]),
        "rate": st.sampled_from([0.0, 0.01, 0.05, 0.2]),
        "inspection": st.one_of(st.none(), st.sampled_from([0.2, 1.0])),
    }
)
tiny = st.fixed_dictionaries(
    {
        "offers": st.lists(offer, min_size=1, max_size=3),
        "demand": st.integers(1, 80),
        "rule": st.sampled_from(["exact", "at_least"]),
        "cap": st.one_of(st.none(), st.sampled_from([0.03, 0.1])),
        "penalty": st.sampled_from([0.0, 10.0]),
    }
)


@pytest.mark.component
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=tiny)
def test_brute_force_both_discounts_fixed_costs_and_the_authenticity_cap(tmp_path_factory, data):
    offers, breaks = [], []
    for i, o in enumerate(data["offers"]):
        o["starts"] = list(np.cumsum([0, *o["steps"]]).astype(float))
        o["prices"] = [
            float(o["first_price"] - sum(o["cuts"][:r])) for r in range(len(o["starts"]))
        ]
        o["inspected"] = o["rate"] / 5 if o["inspection"] is not None else o["rate"]
        if o["capacity"] is not None and o["moq"] > o["capacity"]:
            o["moq"] = 0
        offers.append(
            {
                "supplier": f"S{i}",
                "sku": "X",
                "discount": o["discount"],
                "capacity": o["capacity"],
                "min_order": o["moq"] or None,
                "counterfeit_rate": o["rate"],
                "inspection_cost": o["inspection"],
                "inspected_counterfeit_rate": o["inspected"]
                if o["inspection"] is not None
                else None,
            }
        )
        breaks += [(f"S{i}", "X", a, p) for a, p in zip(o["starts"], o["prices"], strict=True)]
    nodes = [
        {"id": f"S{i}", "kind": "supplier", "fixed_cost": o["fixed"]}
        for i, o in enumerate(data["offers"])
    ]
    folder = write(
        tmp_path_factory.mktemp("bf"), offers, breaks, [("X", data["demand"])], nodes, data["rule"]
    )
    config = SuppliersConfig(counterfeit_penalty=data["penalty"], max_counterfeit_rate=data["cap"])
    result = cbecopt.solve(
        cbecopt.load_instance(folder), "suppliers", cbecopt.SolveOptions(mip_rel_gap=0), config
    )
    expected = brute_force(data)
    if math.isinf(expected):
        assert result.status == cbecopt.Status.INFEASIBLE
        assert result.diagnosis
    else:
        assert result.status == cbecopt.Status.OPTIMAL
        assert result.objective == pytest.approx(expected, rel=1e-7, abs=1e-5)


# --- Pareto front --------------------------------------------------------------------------


@pytest.mark.component
def test_pareto_front_runs_between_the_single_objective_optima(tmp_path):
    from cbecopt.models.suppliers.generate import generate_suppliers
    from cbecopt.pareto import TIE_BREAK, pareto_front

    cbecopt.save_instance(generate_suppliers(6, 6, seed=3, offers_per_sku=4), tmp_path / "g")
    instance = cbecopt.load_instance(tmp_path / "g")
    front = pareto_front(instance, points=5)
    t = front.table
    cheapest, safest = front.cheapest.kpis, front.safest.kpis
    cost_range = safest["landed_cost"] - cheapest["landed_cost"]
    fakes_range = cheapest["expected_counterfeit_units"] - safest["expected_counterfeit_units"]
    assert cost_range > 0 and fakes_range > 0
    # End points: the two single-objective optima, up to the tie-break (1e-4 of a range) and round-off.
    assert t["landed_cost"].iloc[0] == pytest.approx(
        cheapest["landed_cost"], abs=TIE_BREAK * cost_range + 1e-6
    )
    assert t["expected_counterfeit"].iloc[-1] == pytest.approx(
        safest["expected_counterfeit_units"], abs=TIE_BREAK * fakes_range + 1e-9
    )
    assert (np.diff(t["landed_cost"]) > 0).all() and (np.diff(t["expected_counterfeit"]) < 0).all()
    assert (t["status"] == "optimal").all() and t["knee"].sum() <= 1


# --- Bad input and the command line ---------------------------------------------------------


@pytest.mark.unit
def test_bad_price_breaks_rates_and_capacities(tmp_path):
    offers = [
        {"supplier": "A", "sku": "X", "counterfeit_rate": 1.5},
        {"supplier": "B", "sku": "X", "capacity": 10, "min_order": 20},
        {"supplier": "C", "sku": "X", "inspection_cost": 1.0},
        {"supplier": "D", "sku": "X"},
    ]
    breaks = [
        ("A", "X", 100, 5),  # gap: starts at 100
        ("B", "X", 0, 5),
        ("B", "X", 50, 4),
        ("B", "X", 20, 3),  # not increasing
        ("C", "X", 0, 5),
        ("Z", "X", 0, 1),  # no such offer
    ]
    found = load_problems(write(tmp_path / "x", offers, breaks, [("X", 10)]))
    assert has(found, "offers.csv, row 2, column 'counterfeit_rate'", "above the maximum 1")
    assert has(found, "offers.csv, row 3, column 'capacity'", "below min_order")
    assert has(found, "offers.csv, row 4, column 'inspected_counterfeit_rate'", "needs both")
    assert has(found, "offers.csv, row 5, column 'sku'", "has no price_breaks rows")
    assert has(found, "price_breaks.csv, row 2, column 'from_quantity'", "starts at 100, not 0")
    assert has(
        found, "price_breaks.csv, row 5, column 'from_quantity'", "not above the previous break"
    )
    assert has(found, "price_breaks.csv, row 7, column 'supplier'", "no offer from 'Z'")
    (tmp_path / "x" / "price_breaks.csv").write_text(
        "supplier,sku,from_quantity,unit_price\nA,X,0,5\nA,X,0,4\n"
    )
    assert has(load_problems(tmp_path / "x"), "price_breaks.csv, row 3", "duplicate row")


@pytest.mark.unit
def test_offers_from_unknown_or_non_supplier_nodes_and_unknown_skus(tmp_path):
    offers = [
        {"supplier": "A", "sku": "X"},
        {"supplier": "ghost", "sku": "X"},
        {"supplier": "M", "sku": "X"},  # the market node
        {"supplier": "A", "sku": "Q"},
    ]
    breaks = [("A", "X", 0, 5), ("ghost", "X", 0, 5), ("M", "X", 0, 5), ("A", "Q", 0, 5)]
    folder = write(
        tmp_path / "x", offers, breaks, [("X", 10)], nodes=[{"id": "A", "kind": "supplier"}]
    )
    found = load_problems(folder)
    assert has(found, "offers.csv, row 3, column 'supplier'", "unknown supplier 'ghost'")
    assert has(found, "offers.csv, row 4, column 'supplier'", "of kind 'market', not 'supplier'")
    assert has(found, "offers.csv, row 5, column 'sku'", "unknown SKU 'Q'")


@pytest.mark.unit
def test_a_sku_with_no_offer(tmp_path):
    folder = write(
        tmp_path / "x",
        [{"supplier": "A", "sku": "X"}],
        [("A", "X", 0, 5)],
        [("X", 10), ("Y", 4)],
    )
    instance = cbecopt.load_instance(folder)
    with pytest.raises(
        cbecopt.InputError, match=r"demand.csv, row 3, column 'sku': no offer for SKU 'Y'"
    ):
        cbecopt.solve(instance, "suppliers")


def two_markets(folder, arcs):
    """Suppliers S1 (A at 10) and S2 (A at 12), 10 units of A wanted in each of M1 and M2;
    ``arcs`` the supplier-to-market lanes as CSV text (None: no arcs table)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "instance.toml": '[instance]\nname = "lanes"\n',
        "nodes.csv": "id,kind\nS1,supplier\nS2,supplier\nM1,market\nM2,market\n",
        "products.csv": "sku,price\nA,100\n",
        "offers.csv": "supplier,sku\nS1,A\nS2,A\n",
        "price_breaks.csv": "supplier,sku,from_quantity,unit_price\nS1,A,0,10\nS2,A,0,12\n",
        "demand.csv": "market,sku,quantity\nM1,A,10\nM2,A,10\n",
        "arcs.csv": arcs,
    }
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text)
    return cbecopt.load_instance(folder)


@pytest.mark.component
def test_a_supplier_without_a_lane_cannot_serve_that_market(tmp_path):
    """S1 has no lane to M2, so M2 buys from S2: M1 from S1 at 10 + 1 freight (S2 would cost
    12 + 5), M2 from S2 at 12 + 1: 10 x 11 + 10 x 13 = 240 (not 210, which S1 shipping to M2
    at no freight would cost)."""
    arcs = "origin,destination,unit_cost\nS1,M1,1\nS2,M1,5\nS2,M2,1\n"
    result = cbecopt.solve(two_markets(tmp_path / "x", arcs), "suppliers")
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(240)
    shipped = result.tables["shipments"]
    assert sorted(
        shipped[["supplier", "market", "quantity"]].itertuples(index=False, name=None)
    ) == [
        ("S1", "M1", 10),
        ("S2", "M2", 10),
    ]


@pytest.mark.unit
def test_a_market_no_offering_supplier_reaches_is_an_input_error(tmp_path):
    arcs = "origin,destination,unit_cost\nS1,M1,1\nS2,M1,5\n"
    instance = two_markets(tmp_path / "x", arcs)
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.solve(instance, "suppliers")
    assert [str(p) for p in caught.value.problems] == [
        "demand.csv, row 3, column 'market': market 'M2' has demand for SKU 'A' but no "
        "supplier offering it ('S1', 'S2') has a lane to 'M2' in the arcs table: a missing "
        "lane means that supplier cannot serve that market"
    ]


@pytest.mark.component
def test_without_supplier_lanes_demand_is_bought_per_sku(tmp_path):
    """No arcs table: freight is not modelled and the 20 units come from S1 at 10."""
    result = cbecopt.solve(two_markets(tmp_path / "x", None), "suppliers")
    assert result.objective == pytest.approx(200)
    assert "shipments" not in result.tables


@pytest.mark.integration
def test_suppliers_from_the_shell(tmp_path):
    run = run_cbecopt("solve", "suppliers_demo", "--model", "suppliers", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["status"] == "optimal"
    assert {"purchases", "skus", "suppliers"} <= set(data["tables"])
    assert data["kpis"]["landed_cost"] + data["kpis"]["counterfeit_penalty"] == pytest.approx(
        data["objective"]
    )
    run = run_cbecopt("compare-suppliers", "suppliers_demo", "--json")
    rows = {r["policy"]: r for r in json.loads(run.stdout)["policies"]}
    assert set(rows) == {"cheapest", "brand_direct_only", "optimized"}
    assert rows["cheapest"]["landed_cost"] <= rows["optimized"]["landed_cost"] + 1e-6
    assert (
        rows["brand_direct_only"]["expected_counterfeit"]
        <= rows["optimized"]["expected_counterfeit"] + 1e-6
    )
    assert rows["optimized"]["cost_with_risk"] <= rows["cheapest"]["cost_with_risk"] + 1e-6


@pytest.mark.integration
def test_a_blank_demand_sku_in_the_demo_is_an_input_error(tmp_path):
    """suppliers_demo with the SKU of its second demand row (line 3) left blank: the check
    step names the row, for solve and validate alike (exit 2, no traceback)."""
    folder = Path(shutil.copytree(resolve_path("suppliers_demo"), tmp_path / "demo"))
    demand = pd.read_csv(folder / "demand.csv", dtype=str, keep_default_na=False)
    demand.loc[1, "sku"] = ""
    demand.to_csv(folder / "demand.csv", index=False)
    place = "demand.csv, row 3, column 'sku': the suppliers model needs the SKU of every demand row"
    for command in ("solve", "validate"):
        run = run_cbecopt(command, str(folder), "--model", "suppliers")
        assert run.returncode == 2, run.stderr
        assert place in run.stderr and "Traceback" not in run.stderr
