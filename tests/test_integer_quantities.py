"""Whole units and pack sizes decided in the ``network`` and ``routing`` models, against
numbers computed here by hand: a brute force over the few integer plans of a one-SKU,
one-month network (each plan's cost in closed form from the data written below), the
cheapest whole number of cases against lost sales, and the continuous optimum in closed form
(the default, which must not change). Bad pack sizes are input errors naming their place."""

from __future__ import annotations

import itertools
import json
import math

import highspy
import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.cli.solving import model_config
from cbecopt.models.network import (
    NetworkConfig,
    NetworkData,
    NetworkProblem,
    read_network,
    with_platforms,
)
from cbecopt.models.network.build import solve_network
from cbecopt.models.network.results import extract_network
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.stochastic.twostage import build_extensive_form
from helpers import has, load_problems
from network_helpers import tiny
from network_io_helpers import PRODUCTS, write_network_instance
from routing_helpers import solve_routing, write_routing_instance

WHOLE = 1e-6
"""How close a quantity of the plan must be to a whole number."""

# One SKU, one month, one market, demand 10: brand at 10 + inbound 2, grey at 6 + inbound
# 2.5, release 1 per unit (no tax, handling, holding, fixed cost or counterfeit cost), lost
# sales 35 per unit, at least 34% of the units bought from the brand.
BRAND, GREY = 10.0 + 2.0 + 1.0, 6.0 + 2.5 + 1.0
"""Cost of a unit delivered from each supplier (price + inbound freight + release)."""
LOST = 35.0
SHARE = 0.34


def handbags(demand: float = 10.0, **changes) -> NetworkData:
    """The one-SKU network of the module comment; ``changes`` replace fields."""
    fields = dict(
        skus=("bag",),
        months=1,
        markets=("SH",),
        scenario_names=("one",),
        probabilities=np.array([1.0]),
        demand=np.array([[[[demand]]]]),
        suppliers=("brand", "grey"),
        supplier_fixed=np.zeros(2),
        supplier_capacity=np.array([100.0, 100.0]),
        offers=((0, 0), (1, 0)),
        min_order=np.zeros(2),
        counterfeit_rate=np.zeros(2),
        segments=((0, 0.0, 100.0, 10.0), (1, 0.0, 100.0, 6.0)),
        overseas=(),
        overseas_fixed=np.zeros(0),
        overseas_capacity=np.zeros(0),
        overseas_handling=np.zeros(0),
        bonded=("NB",),
        bonded_fixed=np.zeros(1),
        bonded_handling=np.zeros(1),
        first_mile=(),
        inbound=(("supplier", 0, 0, 2.0, 0), ("supplier", 1, 0, 2.5, 0)),
        release=((0, 0, 1.0, 0.0),),
        parcel=(),
        retail_price=np.array([30.0]),
        lost_penalty=np.array([LOST]),
        holding=np.zeros(1),
        counterfeit_penalty=np.zeros(1),
        supplier_type=("brand_direct", "grey_market"),
        min_brand_direct_share=SHARE,
    )
    fields.update(changes)
    return NetworkData(**fields)


def solved(d: NetworkData) -> tuple[float, dict[str, pd.DataFrame]]:
    form, outcome = solve_network(d, options=cbecopt.SolveOptions(mip_rel_gap=0))
    assert outcome.status.value == "optimal"
    tables, _ = extract_network(NetworkProblem(d), form, outcome.values)
    return outcome.objective, tables


def brand_share(tables: dict[str, pd.DataFrame]) -> float:
    bought = tables["purchases"].groupby("supplier")["quantity"].sum()
    return bought.get("brand", 0.0) / bought.sum()


def assert_whole(*columns: pd.Series, per_case: float = 1.0) -> None:
    """Every value of ``columns`` is a whole number of cases of ``per_case`` units."""
    for column in columns:
        cases = column.to_numpy(float) / per_case
        assert np.all(np.abs(cases - np.round(cases)) < WHOLE), cases


@pytest.mark.component
def test_the_continuous_plan_buys_a_fractional_quantity_at_the_closed_form_cost():
    """Without the option (and with blank pack sizes) the plan is today's: 3.4 from the brand
    (34% of 10), 6.6 from the grey supplier; rounding it (3, 7) breaks the share."""
    for d in (handbags(), handbags(pack_size=np.array([1.0]), lane_pack_size={})):
        objective, tables = solved(d)
        assert objective == pytest.approx(SHARE * 10 * BRAND + (1 - SHARE) * 10 * GREY)
        bought = tables["purchases"].set_index("supplier")["quantity"]
        assert bought["brand"] == pytest.approx(3.4)
        assert round(bought["brand"]) / round(bought).sum() < SHARE


@pytest.mark.component
@pytest.mark.parametrize("demand", [10.0, 10.5])
def test_whole_units_keep_the_brand_share_and_equal_the_brute_force(demand):
    """Every purchase, shipment and delivery is whole, the share holds on the whole plan, and
    the cost is the least over every whole (brand, grey) plan delivering at most the demand
    (deliveries are whole, so 10.5 leaves half a unit lost)."""
    objective, tables = solved(handbags(demand, integer_quantities=True))
    assert_whole(
        tables["purchases"]["quantity"],
        tables["shipments"]["quantity"],
        tables["deliveries"]["quantity"],
    )
    assert brand_share(tables) >= SHARE - 1e-9
    best = min(
        BRAND * b + GREY * g + LOST * (demand - b - g)
        for b, g in itertools.product(range(11), repeat=2)
        if b + g <= demand and b >= SHARE * (b + g)
    )
    assert objective == pytest.approx(best, abs=1e-6)


def _cases_cost(cases: int, lost: float, purchase_pack: float = 1.0) -> float:
    """The grey supplier alone, demand 30, shipping ``cases`` cases of 12: purchases in whole
    purchase packs covering the shipments at 6, freight 2.5 per unit shipped, release 1 per
    unit delivered, ``lost`` per unit short (units shipped past demand stay in stock, free)."""
    shipped = 12 * cases
    bought = purchase_pack * math.ceil(shipped / purchase_pack)
    return 6.0 * bought + 2.5 * shipped + min(shipped, 30) + lost * max(0, 30 - shipped)


@pytest.mark.component
@pytest.mark.parametrize(
    "lost, purchase_pack, cases",
    [(35.0, 1.0, 3), (15.0, 1.0, 2), (35.0, 5.0, 3)],
    ids=["cover-demand", "lose-sales", "purchase-packs-of-5"],
)
def test_pack_size_ships_whole_cases_at_the_cheapest_number_of_cases(lost, purchase_pack, cases):
    """A lane with pack size 12 and demand 30: 36 units (3 cases) when a lost sale costs 35,
    24 units and 6 lost when it costs 15; with the product's pack size 5, purchases are
    multiples of 5 (40 bought for 36 shipped)."""
    d = handbags(
        30.0,
        suppliers=("grey",),
        supplier_fixed=np.zeros(1),
        supplier_capacity=np.array([100.0]),
        offers=((0, 0),),
        min_order=np.zeros(1),
        counterfeit_rate=np.zeros(1),
        segments=((0, 0.0, 100.0, 6.0),),
        inbound=(("supplier", 0, 0, 2.5, 0),),
        supplier_type=("grey_market",),
        min_brand_direct_share=0.0,
        lost_penalty=np.array([lost]),
        pack_size=np.array([purchase_pack]),
        lane_pack_size={"inbound": np.array([12.0])},
    )
    objective, tables = solved(d)
    costs = [_cases_cost(n, lost, purchase_pack) for n in range(5)]
    assert int(np.argmin(costs)) == cases
    assert objective == pytest.approx(min(costs))
    assert_whole(tables["shipments"]["quantity"], per_case=12)
    assert tables["shipments"]["quantity"].sum() == pytest.approx(12 * cases)
    assert_whole(tables["purchases"]["quantity"], per_case=purchase_pack)


@pytest.mark.component
@pytest.mark.parametrize("suffix", [".lp", ".mps"])
def test_the_whole_unit_model_is_a_pyomo_model_its_writers_write(suffix, tmp_path):
    """Pyomo's LP and MPS writers write the integer model with its cases, and HiGHS solves
    the file to the brute-force optimum."""
    d = handbags(
        30.0, integer_quantities=True, lane_pack_size={"inbound": np.array([12.0, np.nan])}
    )
    problem = NetworkProblem(d)
    form = build_extensive_form(problem, problem.scenarios())
    path = tmp_path / f"network{suffix}"
    form.block.model().write(str(path))
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.readModel(str(path))
    highs.run()
    # brand units come in cases of 12 on their lane, grey units one by one
    best = min(
        BRAND * 12 * n + GREY * g + LOST * (30 - 12 * n - g)
        for n, g in itertools.product(range(3), range(31))
        if 12 * n + g <= 30 and 12 * n >= SHARE * (12 * n + g)
    )
    assert highs.getInfo().objective_function_value == pytest.approx(best)


# --- reading pack sizes and the option from an instance -------------------------------------


def _with_arcs_packs(folder, packs: list) -> None:
    arcs = pd.read_csv(folder / "arcs.csv")
    arcs["pack_size"] = packs
    arcs.to_csv(folder / "arcs.csv", index=False)


@pytest.mark.unit
def test_pack_sizes_and_the_option_are_read_from_the_instance(tmp_path):
    folder = write_network_instance(
        tmp_path / "n",
        products=[{**PRODUCTS[0], "pack_size": 6}],
        settings="[network]\ninteger_quantities = true\n",
    )
    # first mile brand->LA, grey->LA; inbound brand->NB, LA->NB, grey->NB; release; parcel
    _with_arcs_packs(folder, [12, None, None, 24, None, None, None])
    d = read_network(cbecopt.load_instance(folder))
    assert d.integer_quantities
    assert d.pack_size.tolist() == [6.0]
    assert np.array_equal(d.lane_pack_size["first_mile"], [12.0, np.nan], equal_nan=True)
    assert np.array_equal(d.lane_pack_size["inbound"], [np.nan, 24.0, np.nan], equal_nan=True)
    assert not read_network(
        cbecopt.load_instance(folder), NetworkConfig(integer_quantities=False)
    ).integer_quantities


@pytest.mark.unit
@pytest.mark.parametrize(
    "value, says",
    [(0, "below the minimum 1"), (2.5, "not a whole number"), ("case", "not a number")],
)
def test_a_bad_product_pack_size_is_named_by_file_row_and_column(value, says, tmp_path):
    folder = write_network_instance(tmp_path / "n", products=[{**PRODUCTS[0], "pack_size": value}])
    assert has(load_problems(folder), "products.csv", "row 2", "pack_size", says)


@pytest.mark.unit
def test_a_bad_lane_pack_size_is_named_by_file_row_and_column(tmp_path):
    folder = write_network_instance(tmp_path / "n")
    _with_arcs_packs(folder, [None, -12, None, None, None, None, None])
    assert has(load_problems(folder), "arcs.csv", "row 3", "pack_size", "below the minimum 1")


@pytest.mark.unit
def test_a_pack_size_on_a_lane_into_a_market_is_refused(tmp_path):
    """Deliveries to a market go per order: a pack size on the release lane (arcs row 7) is
    an input error, not silently ignored."""
    folder = write_network_instance(tmp_path / "n")
    _with_arcs_packs(folder, [None, None, None, None, None, 12, None])
    with pytest.raises(cbecopt.InputError) as caught:
        read_network(cbecopt.load_instance(folder))
    assert has([str(p) for p in caught.value.problems], "arcs.csv", "row 7", "pack_size")


@pytest.mark.unit
def test_the_command_line_option_sets_the_config_of_network_and_routing_only():
    assert model_config("network", integer_quantities=True).integer_quantities is True
    assert model_config("routing", integer_quantities=True).integer_quantities is True
    assert model_config("network").integer_quantities is None
    with pytest.raises(cbecopt.OptionError, match="--integer-quantities"):
        model_config("warehouses", integer_quantities=True)


# --- routing --------------------------------------------------------------------------------

ROUTED = 100.0 + 5.0 + 3.0 + 0.7 * 0.13 * 200.0
"""Cost of a unit routed through the bonded warehouse: purchase 100, inbound 5, last mile 3,
CBEC tax 70% x 13% VAT on the price 200 (no tariff within the limits)."""
ROUTING_LOST = 200.0
"""A lost sale costs the price (no penalty given)."""


def _routing(folder, quantity: float, product_pack=None, lane_pack=None):
    lanes = [("FR", "BW", "sea_bulk", 5.0, 10), ("BW", "M1", "domestic_express", 3.0, 2)]
    product = {"sku": "bag", "holding_cost": 0.0}
    if product_pack is not None:
        product["pack_size"] = product_pack
    folder = write_routing_instance(
        folder, [product], [{"market": "M1", "sku": "bag", "quantity": quantity}], lanes=lanes
    )
    if lane_pack is not None:
        _with_arcs_packs(folder, [lane_pack, None])
    return folder


@pytest.mark.component
def test_routing_whole_units_lose_the_fractional_half_unit(tmp_path):
    continuous = solve_routing(_routing(tmp_path / "c", 10.5))
    assert continuous.objective == pytest.approx(10.5 * ROUTED)
    whole = solve_routing(_routing(tmp_path / "w", 10.5), integer_quantities=True)
    assert whole.objective == pytest.approx(10 * ROUTED + 0.5 * ROUTING_LOST)
    assert_whole(whole.tables["inbound"]["quantity"])


@pytest.mark.component
@pytest.mark.parametrize("where", ["product", "lane"])
def test_routing_ships_whole_cases_of_the_pack_size(where, tmp_path):
    """Demand 30 in cases of 12: 24 units and 6 lost (24 x 126.2 + 6 x 200 = 4228.8) beat 36
    units with 6 left over (30 x 126.2 + 6 x 105 = 4416)."""
    packs = {"product_pack": 12} if where == "product" else {"lane_pack": 12}
    result = solve_routing(_routing(tmp_path / "p", 30.0, **packs))
    costs = [
        min(12 * n, 30) * ROUTED
        + max(0, 12 * n - 30) * (100.0 + 5.0)
        + max(0, 30 - 12 * n) * ROUTING_LOST
        for n in range(4)
    ]
    assert result.objective == pytest.approx(min(costs))
    assert_whole(result.tables["inbound"]["quantity"], per_case=12)
    assert result.tables["inbound"]["quantity"].sum() == pytest.approx(24)


@pytest.mark.unit
def test_routing_refuses_whole_units_by_sku_blocks_and_packs_into_a_market(tmp_path):
    folder = _routing(tmp_path / "r", 10.0)
    instance = cbecopt.load_instance(folder)
    check = cbecopt.MODELS["routing"].check
    with pytest.raises(cbecopt.OptionError, match="SKU blocks"):
        check(instance, RoutingConfig(sku_blocks=1, integer_quantities=True))
    _with_arcs_packs(folder, [None, 6])
    with pytest.raises(cbecopt.InputError) as caught:
        check(cbecopt.load_instance(folder), RoutingConfig())
    assert has([str(p) for p in caught.value.problems], "arcs.csv", "row 3", "pack_size")


@pytest.mark.integration
def test_the_command_line_flag_solves_in_whole_units(tmp_path):
    from test_cli import cbecopt_in_process as run_cbecopt

    folder = _routing(tmp_path / "r", 10.5)
    plain = run_cbecopt("solve", str(folder), "--model", "routing", "--json")
    whole = run_cbecopt(
        "solve", str(folder), "--model", "routing", "--integer-quantities", "--json"
    )
    assert plain.returncode == 0 and whole.returncode == 0, whole.stderr
    assert json.loads(plain.stdout)["objective"] == pytest.approx(10.5 * ROUTED)
    assert json.loads(whole.stdout)["objective"] == pytest.approx(10 * ROUTED + 0.5 * ROUTING_LOST)


@pytest.mark.component
def test_an_offer_without_a_capacity_may_sell_a_whole_case_past_the_demand(tmp_path):
    """The end of an offer without a capacity (the most that can pay: the largest demand)
    leaves room for a whole case: demand 30 in cases of 12 buys and ships 36 (cost 36 x 6 +
    36 x 2.5 + 30 x 1 = 336), not 24 with 6 lost (24 x 9.5 + 6 x 35 = 438)."""
    folder = write_network_instance(
        tmp_path / "n",
        nodes=[
            {"id": "grey", "kind": "supplier", "supplier_type": "grey_market"},
            {"id": "NB", "kind": "bonded_warehouse"},
            {"id": "SH", "kind": "market"},
        ],
        arcs=[("grey", "NB", "sea_bulk", 2.5, 10), ("NB", "SH", "domestic_express", 1.0, 3)],
        products=[{**PRODUCTS[0], "holding_cost": 0.0}],
        offers=[{"supplier": "grey", "sku": "k", "counterfeit_rate": 0.0}],
        breaks=[("grey", "k", 0, 6.0)],
        demand=[{"market": "SH", "sku": "k", "quantity": 30}],
        scenarios=[],
        settings="",
    )
    _with_arcs_packs(folder, [12, None])
    result = cbecopt.solve(
        cbecopt.load_instance(folder), "network", cbecopt.SolveOptions(mip_rel_gap=0)
    )
    assert result.objective == pytest.approx(336.0)
    assert result.tables["shipments"]["quantity"].sum() == pytest.approx(36.0)


@pytest.mark.unit
def test_each_copy_of_a_warehouse_keeps_its_lanes_pack_sizes():
    """Per-platform copies of an overseas warehouse repeat its lanes, and each repeated lane
    keeps the pack size of the lane it copies (first mile brand->LA: 12, bulk LA->NB: 24)."""
    d = tiny(
        lane_pack_size={
            "first_mile": np.array([12.0, np.nan]),
            "inbound": np.array([np.nan, 24.0, np.nan]),
        },
        shared_by=(("jd",),),
    )
    two = with_platforms(d, ("tmall", "jd"), np.stack([d.demand * 0.6, d.demand * 0.4], axis=2))
    assert len(two.overseas) == 2
    packs = two.lane_pack_size
    assert [p for p in packs["first_mile"]] == pytest.approx(
        [12.0, 12.0, np.nan, np.nan], nan_ok=True
    )
    assert [p for p in packs["inbound"]] == pytest.approx([np.nan, 24.0, 24.0, np.nan], nan_ok=True)
    assert [i for i, *_ in two.first_mile] == [0, 0, 1, 1]
    assert [kind for kind, *_ in two.inbound] == ["supplier", "overseas", "overseas", "supplier"]
