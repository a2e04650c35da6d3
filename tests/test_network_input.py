"""The ``network`` model's instance reader: the data it reads against data written by hand,
the optimum against brute force, tax by channel against the rules' closed forms, and every
bad input named by file, row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.models.network import NetworkConfig, read_network, solve_network
from helpers import has, load_problems
from network_helpers import tiny
from network_io_helpers import ARCS, DEMAND, NODES, OFFERS, PRODUCTS, write_network_instance
from test_network_model import brute_force

TIGHT = cbecopt.SolveOptions(mip_rel_gap=1e-9)


def read(folder, config=None):
    return read_network(cbecopt.load_instance(folder), config)


def network_problems(folder, config=None) -> list[str]:
    """The problems the network model's check step reports (loading must pass)."""
    with pytest.raises(cbecopt.InputError) as caught:
        read(folder, config)
    return [str(p) for p in caught.value.problems]


def hand_written():
    """The tiny network of ``network_helpers`` as the instance of ``network_io_helpers``
    says it, written by hand: no tax (the products' rates are 0), so every lane's rate is 0."""
    return tiny(release=((0, 0, 1.0, 0.0),), parcel=((0, 0, 4.0, 0.0),))


# --- what is read ----------------------------------------------------------------------------


@pytest.mark.unit
def test_the_instance_reads_as_the_network_written_by_hand(tmp_path):
    read_data = read(write_network_instance(tmp_path / "tiny"))
    hand = hand_written()
    for name in (
        "skus",
        "months",
        "markets",
        "scenario_names",
        "suppliers",
        "offers",
        "segments",
        "overseas",
        "bonded",
        "first_mile",
        "inbound",
        "release",
        "parcel",
        "counterfeit_cap",
    ):
        assert getattr(read_data, name) == getattr(hand, name), name
    for name in (
        "probabilities",
        "demand",
        "supplier_fixed",
        "supplier_capacity",
        "min_order",
        "counterfeit_rate",
        "overseas_fixed",
        "overseas_capacity",
        "overseas_handling",
        "bonded_fixed",
        "bonded_handling",
        "retail_price",
        "lost_penalty",
        "holding",
        "counterfeit_penalty",
    ):
        np.testing.assert_allclose(getattr(read_data, name), getattr(hand, name), err_msg=name)
    assert read_data.supplier_type == ("brand_direct", "grey_market")
    assert read_data.warehouse_kind == ("bonded",)
    np.testing.assert_allclose(read_data.lane_days["release"], [3.0])
    np.testing.assert_allclose(read_data.lane_days["parcel"], [8.0])
    assert read_data.warnings == ()


@pytest.mark.component
def test_the_optimum_is_the_hand_written_networks_and_brute_force(tmp_path):
    """Through the API, the instance's optimum is that of the network written by hand
    (independent of the reader) and the least cost over every choice of the binaries."""
    result = cbecopt.solve(
        cbecopt.load_instance(write_network_instance(tmp_path / "tiny")), "network", TIGHT
    )
    assert result.status == cbecopt.Status.OPTIMAL
    _, direct = solve_network(hand_written(), options=TIGHT)
    assert result.objective == pytest.approx(direct.objective, rel=1e-9)
    assert result.objective == pytest.approx(brute_force(hand_written()), rel=1e-6)


@pytest.mark.component
def test_the_cost_parts_add_up_to_the_objective(tmp_path):
    result = cbecopt.solve(
        cbecopt.load_instance(write_network_instance(tmp_path / "tiny")), "network", TIGHT
    )
    parts = result.table("cost_breakdown")
    assert parts["cost"].sum() == pytest.approx(result.objective, rel=1e-9)
    assert result.kpis["plan_cost"] == pytest.approx(result.objective, rel=1e-9)
    bought = result.table("purchases")["quantity"].sum()
    shipped_from_suppliers = result.table("shipments").query("origin in ['brand', 'grey']")
    assert shipped_from_suppliers["quantity"].sum() == pytest.approx(bought)


@pytest.mark.unit
def test_settings_and_options_reach_the_data(tmp_path):
    """``[network]`` sets the policies; an option given in the config wins over it."""
    settings = (
        "[network]\nmax_counterfeit_rate = 0.2\nmax_late_rate = 0.1\n"
        "min_brand_direct_share = 0.4\ncover_weeks = 2\ninspection = false\n"
    )
    offers = [{**OFFERS[0], "inspection_cost": 0.5, "inspected_counterfeit_rate": 0.0}, OFFERS[1]]
    folder = write_network_instance(tmp_path / "x", offers=offers, settings=settings)
    d = read(folder)
    assert (d.counterfeit_cap, d.max_late_rate, d.min_brand_direct_share, d.cover_weeks) == (
        0.2,
        0.1,
        0.4,
        2.0,
    )
    assert np.isnan(d.inspection_cost).all()
    again = read(folder, NetworkConfig(max_counterfeit_rate=0.3, inspection=True))
    assert again.counterfeit_cap == 0.3
    np.testing.assert_allclose(again.inspection_cost, [0.5, np.nan])


@pytest.mark.unit
def test_an_option_out_of_range_is_refused():
    with pytest.raises(cbecopt.OptionError, match="max_late_rate must be in"):
        NetworkConfig(max_late_rate=1.5)


@pytest.mark.unit
@pytest.mark.parametrize(("days", "months"), [(15, 0), (16, 1), (45, 1), (46, 2)])
def test_first_stage_leads_round_to_months(tmp_path, days, months):
    """round(days / 30.4): 15.2 days is the half-month boundary, 45.6 the next."""
    arcs = [(*a[:4], days) if a[:2] == ("brand", "NB") else a for a in ARCS]
    d = read(write_network_instance(tmp_path / "x", arcs=arcs))
    assert d.inbound[0] == ("supplier", 0, 0, 2.0, months)


@pytest.mark.unit
def test_segments_end_at_the_capacity_else_at_what_can_pay(tmp_path):
    """An unlimited offer ends at the most of the SKU's demand over a scenario, its minimum
    order and its last break (here the break at 150 above a demand of 90); a capacity cuts
    the breaks beyond it."""
    nodes = [{**n, "capacity": None} if n["id"] == "brand" else n for n in NODES]
    breaks = [("brand", "k", 0, 10.0), ("brand", "k", 150, 8.0), ("grey", "k", 0, 6.0)]
    d = read(write_network_instance(tmp_path / "x", nodes=nodes, breaks=breaks))
    assert d.segments == ((0, 0.0, 150.0, 10.0), (0, 150.0, 150.0, 8.0), (1, 0.0, 60.0, 6.0))
    offers = [{**OFFERS[0], "capacity": 100}, OFFERS[1]]
    d = read(write_network_instance(tmp_path / "y", nodes=nodes, offers=offers, breaks=breaks))
    assert d.segments == ((0, 0.0, 100.0, 10.0), (1, 0.0, 60.0, 6.0))
    np.testing.assert_allclose(d.supplier_capacity, [100.0, 60.0])  # unlimited: what it can sell


@pytest.mark.component
def test_platforms_split_markets_and_shared_warehouses_pool_them(tmp_path):
    """Demand by platform is each market's demand per platform; with the warehouse shared by
    both platforms the optimum is that of the pooled demand."""
    demand = [
        {**row, "platform": p, "quantity": row["quantity"] * share}
        for row in DEMAND
        for p, share in (("tmall", 0.25), ("jd", 0.75))
    ]
    nodes = [{**n, "shared_by": "tmall;jd"} if n["id"] == "LA" else n for n in NODES]
    folder = write_network_instance(tmp_path / "x", nodes=nodes, demand=demand)
    d = read(folder)
    assert d.markets == ("SH",) and d.platforms == ("tmall", "jd")
    assert d.platform_demand[:, 0, 0].sum() == pytest.approx(0.25 * d.demand.sum())
    assert d.shared_by == (("tmall", "jd"),)
    result = cbecopt.solve(cbecopt.load_instance(folder), "network", TIGHT)
    assert result.objective == pytest.approx(brute_force(hand_written()), rel=1e-6)


@pytest.mark.unit
def test_tax_by_channel_follows_the_dated_rules(tmp_path):
    """CBEC (bonded and 9610) within the limits: 70% of VAT on the retail value; general
    trade: tariff on the customs value and VAT on value plus tariff, the customs value
    (purchase cost + the cheapest inbound freight into a domestic warehouse) x 1.003, or the
    stated customs_value."""
    products = [
        {**PRODUCTS[0], "sku": "k", "price": 100, "vat_rate": 0.13, "tariff_rate": 0.1,
         "purchase_cost": 40},
        {**PRODUCTS[0], "sku": "m", "price": 200, "vat_rate": 0.13, "tariff_rate": 0.05,
         "customs_value": 90},
    ]  # fmt: skip
    nodes = [*NODES, {"id": "SZ", "kind": "domestic_warehouse", "fixed_cost": 10}]
    arcs = [*ARCS, ("brand", "SZ", "sea_bulk", 3.0, 30), ("LA", "SZ", "sea_bulk", 2.0, 30)]
    arcs.append(("SZ", "SH", "domestic_express", 1.0, 2))
    offers = [*OFFERS, {"supplier": "brand", "sku": "m"}]
    breaks = [("brand", "k", 0, 10.0), ("grey", "k", 0, 6.0), ("brand", "m", 0, 50.0)]
    demand = [*DEMAND, {**DEMAND[1], "sku": "m"}, {**DEMAND[3], "sku": "m"}]
    demand += [{**DEMAND[0], "sku": "m"}, {**DEMAND[2], "sku": "m"}]
    folder = write_network_instance(
        tmp_path / "x",
        nodes=nodes,
        arcs=arcs,
        products=products,
        offers=offers,
        breaks=breaks,
        demand=demand,
    )
    d = read(folder)
    np.testing.assert_allclose(d.unit_tax["bonded"], [100 * 0.13 * 0.7, 200 * 0.13 * 0.7])
    np.testing.assert_allclose(d.unit_tax["parcel"], d.unit_tax["bonded"])
    value = (40 + 2.0) * 1.003  # the cheaper lane into SZ is LA's at 2.0

    def duty(v: float, tariff: float) -> float:  # each part rounded to the fen
        return round(v * tariff, 2) + round(v * (1 + tariff) * 0.13, 2)

    expected = [duty(value, 0.1), duty(90, 0.05)]
    np.testing.assert_allclose(d.unit_tax["general_trade"], expected)
    assert "postal" not in d.unit_tax
    assert d.warehouse_kind == ("bonded", "domestic") and d.bonded == ("NB", "SZ")
    assert d.tax_rules.startswith("2026-01-01")
    older = read(folder, NetworkConfig(tax_date="2020-01-01"))
    assert older.tax_rules.startswith("2019-04-09")
    assert "general_trade" not in read(write_network_instance(tmp_path / "no_domestic")).unit_tax
    unreached = write_network_instance(
        tmp_path / "unreached", nodes=nodes, products=products[:1], demand=DEMAND
    )  # a domestic warehouse no lane reaches: the customs value without freight
    np.testing.assert_allclose(read(unreached).unit_tax["general_trade"], [duty(40 * 1.003, 0.1)])


@pytest.mark.unit
def test_parcels_from_suppliers_postal_lanes_contracts_and_per_kg_costs_are_read(tmp_path):
    arcs = [
        *ARCS,
        ("brand", "SH", "cbec_parcel", 6.0, 12),
        ("LA", "SH", "postal_parcel", 3.0, 20),
    ]
    arcs[0] = ("brand", "LA", "sea_bulk", 1.0, 10)
    products = [{**PRODUCTS[0], "price": 300, "postal_rate": 0.2, "weight_kg": 2.0}]
    contracts = [
        {"supplier": "brand", "sku": "k", "type": "option", "premium": 1, "exercise_price": 9},
        {"supplier": "grey", "sku": "k", "type": "spot", "unit_price": 12, "capacity": 30},
    ]
    folder = write_network_instance(
        tmp_path / "x",
        arcs=arcs,
        products=products,
        contracts=contracts,
        settings="[network]\nallow_personal_articles = true\nmax_counterfeit_rate = 0.5\n",
    )
    arcs_file = folder / "arcs.csv"
    pd.read_csv(arcs_file).assign(cost_per_kg=0.5).to_csv(arcs_file, index=False)
    d = read(folder)
    assert d.supplier_parcel == ((0, 0, 6.0, 12.0),)
    assert d.postal == (("overseas", 0, 0, 3.0, 20.0),)
    assert d.allow_personal_articles
    np.testing.assert_allclose(d.unit_tax["postal"], [300 * 0.2])  # above the RMB 50 exemption
    np.testing.assert_allclose(d.weight, [2.0])
    np.testing.assert_allclose(d.per_kg["first_mile"], [0.5, 0.5])
    assert [t[:2] for t in d.terms] == [(0, "option"), (1, "spot")]
    assert d.terms[1][-1] == 30.0 and d.terms[0][3:5] == (1.0, 9.0)


@pytest.mark.unit
def test_what_lost_sales_cover_is_a_warning(tmp_path):
    """A SKU without an offer and a market no lane reaches: the demand is lost, and the
    model says so (validate and solve show it)."""
    products = [*PRODUCTS, {**PRODUCTS[0], "sku": "x"}]
    nodes = [*NODES, {"id": "BJ", "kind": "market"}]
    demand = [*DEMAND, {**DEMAND[1], "sku": "x"}, {**DEMAND[1], "market": "BJ"}]
    folder = write_network_instance(tmp_path / "x", nodes=nodes, products=products, demand=demand)
    instance = cbecopt.load_instance(folder)
    warnings = cbecopt.validate(instance, "network").checks["network"].warnings
    assert "SKU 'x' has demand but no offer: its demand is lost" in warnings
    assert "market 'BJ' has demand but no lane reaches it: its demand is lost" in warnings


@pytest.mark.unit
def test_a_column_the_model_does_not_read_is_named(tmp_path):
    folder = write_network_instance(tmp_path / "x")
    text = (folder / "arcs.csv").read_text().splitlines()
    (folder / "arcs.csv").write_text(
        "\n".join([text[0] + ",capacity", *(line + ",100" for line in text[1:])]) + "\n"
    )
    report = cbecopt.validate(cbecopt.load_instance(folder), "network")
    assert "arcs.capacity is not used by the network model" in report.checks["network"].warnings


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.unit
def test_what_the_load_refuses(tmp_path):
    """Unknown nodes in arcs and demand, an offer's SKU missing from products, price breaks
    not starting at 0, probabilities not summing to 1, demand for an unknown scenario."""
    arcs = [*ARCS, ("brand", "XX", "sea_bulk", 1.0, 10)]
    demand = [*DEMAND, {**DEMAND[1], "market": "YY"}, {**DEMAND[1], "scenario": "mid"}]
    offers = [*OFFERS, {"supplier": "grey", "sku": "zz"}]
    breaks = [("brand", "k", 5, 10.0), ("grey", "k", 0, 6.0)]
    folder = write_network_instance(
        tmp_path / "x",
        arcs=arcs,
        demand=demand,
        offers=offers,
        breaks=breaks,
        scenarios=[("low", 0.5), ("high", 0.6)],
    )
    found = load_problems(folder)
    assert has(found, "arcs.csv, row 9, column 'destination'", "unknown node 'XX'")
    assert has(found, "demand.csv, row 6, column 'market'", "unknown node 'YY'")
    assert has(found, "offers.csv, row 4, column 'sku'", "unknown SKU 'zz'")
    assert has(found, "price_breaks.csv", "starts at 5, not 0", "from_quantity")
    assert has(found, "scenarios.csv", "probabilities sum to 1.1")
    assert has(found, "demand.csv, row 7, column 'scenario'", "mid")


@pytest.mark.unit
def test_lanes_without_a_role_a_channel_or_a_lead_time(tmp_path):
    arcs = [
        *ARCS,
        ("NB", "LA", "sea_bulk", 1.0, 10),  # row 9: bonded -> overseas: no role
        ("LA", "SH", "air_express", 5.0, 5),  # row 10: no channel
        ("grey", "SH", "cbec_parcel", 5.0, None),  # row 11: no lead time
    ]
    found = network_problems(write_network_instance(tmp_path / "x", arcs=arcs))
    assert has(found, "arcs.csv, row 9, column 'destination'", "has no role in the network model")
    assert has(found, "arcs.csv, row 10, column 'mode'", "'air_express'", "cbec_parcel")
    assert has(found, "arcs.csv, row 11, column 'lead_time_days'", "needs the lead time")
    assert len(found) == 3


@pytest.mark.unit
def test_incremental_offers_and_offers_without_breaks_are_refused(tmp_path):
    offers = [{**OFFERS[0], "discount": "incremental"}, OFFERS[1]]
    found = network_problems(write_network_instance(tmp_path / "x", offers=offers))
    assert found == [
        "offers.csv, row 2, column 'discount': the network model prices offers by all-units "
        "discounts; this offer ('brand' / 'k') is incremental"
    ]
    breaks = [("brand", "k", 0, 10.0)]
    found = load_problems(write_network_instance(tmp_path / "y", breaks=breaks))
    assert has(found, "offers.csv, row 3", "has no price_breaks rows")


@pytest.mark.unit
def test_demand_rows_without_a_month_or_platform_once_others_have_one(tmp_path):
    demand = [{**row, "platform": "tmall"} for row in DEMAND]
    demand[1] = {**demand[1], "platform": None}
    demand[2] = {**demand[2], "month": None}
    found = network_problems(write_network_instance(tmp_path / "x", demand=demand))
    assert has(found, "demand.csv, row 3, column 'platform'", "platform of every demand row")
    assert has(found, "demand.csv, row 4, column 'month'", "month of every demand row")


@pytest.mark.unit
def test_shared_by_names_platforms_with_demand_on_overseas_warehouses(tmp_path):
    nodes = [{**n, "shared_by": "tmall;pdd"} if n["id"] == "LA" else n for n in NODES]
    nodes[3] = {**nodes[3], "shared_by": "tmall"}
    demand = [{**row, "platform": "tmall"} for row in DEMAND]
    found = network_problems(write_network_instance(tmp_path / "x", nodes=nodes, demand=demand))
    assert has(found, "nodes.csv, row 4, column 'shared_by'", "'pdd'", "own no demand")
    assert has(found, "nodes.csv, row 5, column 'shared_by'", "overseas warehouses")


@pytest.mark.unit
def test_missing_tax_rates_weights_and_volumes(tmp_path):
    products = [{**PRODUCTS[0], "vat_rate": None, "tariff_rate": None}]
    nodes = [{**n, "volume_capacity": 10} if n["id"] == "NB" else n for n in NODES]
    folder = write_network_instance(tmp_path / "x", products=products, nodes=nodes)
    found = network_problems(folder)
    assert has(found, "products.csv, row 2, column 'vat_rate'", "needs this value")
    assert has(found, "products.csv, row 2, column 'tariff_rate'", "needs this value")
    assert has(found, "products.csv, row 2, column 'volume_m3'", "volume capacity")


@pytest.mark.unit
def test_postal_parcels_need_the_postal_rate_only_when_allowed(tmp_path):
    arcs = [*ARCS, ("LA", "SH", "postal_parcel", 3.0, 20)]
    allowed = "[network]\nallow_personal_articles = true\n"
    found = network_problems(write_network_instance(tmp_path / "x", arcs=arcs, settings=allowed))
    assert has(found, "products.csv, row 2, column 'postal_rate'", "postal parcels")
    assert read(write_network_instance(tmp_path / "y", arcs=arcs)).postal  # read, not used


@pytest.mark.unit
def test_contract_terms_need_their_offer_and_are_not_firm(tmp_path):
    contracts = [
        {"supplier": "brand", "sku": "k", "type": "firm", "unit_price": 9},
        {"supplier": "brand", "sku": "k", "type": "spot", "unit_price": 12},
        {"supplier": "other", "sku": "k", "type": "option", "premium": 1, "exercise_price": 9},
    ]
    nodes = [*NODES, {"id": "other", "kind": "supplier"}]
    found = network_problems(
        write_network_instance(tmp_path / "x", nodes=nodes, contracts=contracts)
    )
    assert has(found, "contracts.csv, row 2, column 'type'", "firm buying is priced by offers")
    assert has(found, "contracts.csv, row 4, column 'supplier'", "needs an offer of 'other'")
    assert len(found) == 2


OPTION_TERM = {"supplier": "grey", "sku": "k", "type": "option", "premium": 1, "exercise_price": 9}
QF_TERM = {"supplier": "brand", "sku": "k", "type": "quantity_flexibility", "unit_price": 9,
           "flex_up": 0.5, "flex_down": 0.3}  # fmt: skip


@pytest.mark.unit
def test_a_terms_minimum_order_is_read_only_where_given(tmp_path):
    """contracts.min_order (the column the contracts model reads) becomes the term's ninth
    number where above 0; a term without one keeps eight, as without the column."""
    contracts = [{**QF_TERM, "min_order": 30}, {**OPTION_TERM, "min_order": 0}]
    d = read(write_network_instance(tmp_path / "x", contracts=contracts))
    assert d.terms[0][1:] == ("quantity_flexibility", 9.0, 0.0, 0.0, 0.5, 0.3, np.inf, 30.0)
    assert len(d.terms[1]) == 8
    plain = read(write_network_instance(tmp_path / "y", contracts=[QF_TERM, OPTION_TERM]))
    assert plain.terms == (d.terms[0][:8], d.terms[1])


@pytest.mark.unit
@pytest.mark.parametrize(
    "row, message",
    [
        ({**QF_TERM, "min_order": -5}, "-5 is below the minimum 0"),
        ({**QF_TERM, "min_order": "lots"}, "'lots' is not a number"),
        (
            {"supplier": "brand", "sku": "k", "type": "spot", "unit_price": 12, "min_order": 5},
            "min_order applies only to firm / quantity_flexibility / option contracts, not spot",
        ),
        ({**OPTION_TERM, "capacity": 40, "min_order": 50}, "min_order (50) exceeds capacity (40)"),
    ],
)
def test_a_bad_minimum_order_on_a_term_is_named_by_file_row_and_column(tmp_path, row, message):
    """Row 3 of contracts.csv (the header is row 1) holds the bad minimum."""
    spot = {"supplier": "grey", "sku": "k", "type": "spot", "unit_price": 12}
    folder = write_network_instance(tmp_path / "x", contracts=[spot, row])
    found = load_problems(folder)
    assert has(found, "contracts.csv, row 3, column 'min_order'", message), found
    assert len(found) == 1


@pytest.mark.unit
def test_a_workbook_is_named_by_sheet(tmp_path):
    offers = [{**OFFERS[0], "discount": "incremental"}, OFFERS[1]]
    folder = write_network_instance(tmp_path / "x", offers=offers)
    book = cbecopt.save_instance(cbecopt.load_instance(folder), tmp_path / "plan.xlsx")
    found = network_problems(book)
    assert has(found, "plan.xlsx, sheet 'offers', row 2, column 'discount'", "incremental")


@pytest.mark.unit
def test_the_diagnosis_names_the_terms_that_can_force_units_in(tmp_path):
    contracts = [
        {"supplier": "brand", "sku": "k", "type": "quantity_flexibility", "unit_price": 9,
         "flex_down": 0.2},
    ]  # fmt: skip
    nodes = [{**n, "volume_capacity": 10} if n["id"] == "NB" else n for n in NODES]
    products = [{**PRODUCTS[0], "volume_m3": 0.1}]
    folder = write_network_instance(
        tmp_path / "x",
        nodes=nodes,
        products=products,
        contracts=contracts,
        settings="[network]\ncover_weeks = 1\n",
    )
    problem = cbecopt.MODELS["network"].build(cbecopt.load_instance(folder))
    reasons = cbecopt.MODELS["network"].diagnose(problem)
    assert any("1 quantity-flexibility term(s)" in r for r in reasons)
    assert any("cover_weeks 1" in r and "volume_capacity" in r for r in reasons)
    plain = cbecopt.MODELS["network"].build(
        cbecopt.load_instance(write_network_instance(tmp_path / "y"))
    )
    assert len(cbecopt.MODELS["network"].diagnose(plain)) == 2


@pytest.mark.component
def test_the_tax_table_splits_each_units_tax_into_its_parts_by_hand(tmp_path):
    """A RMB 425 item with VAT 13% and consumption tax 15%: under the CBEC regime the
    consumption tax is 425 / 0.85 x 0.15 x 0.7 = 52.50 and the VAT (425 + 75) x 0.13 x 0.7 =
    45.50 per unit, 98.00 in all, no duty, whether released from the bonded warehouse or sent
    as a 9610 parcel; the table's totals are the deliveries' tax."""
    product = PRODUCTS[0] | {
        "price": 425,
        "lost_sale_penalty": 500,
        "vat_rate": 0.13,
        "consumption_tax_rate": 0.15,
        "tariff_rate": 0.05,
    }
    folder = write_network_instance(tmp_path / "taxed", products=[product])
    result = cbecopt.solve(cbecopt.load_instance(folder), "network", TIGHT)
    tax = result.table("tax")
    assert set(tax["channel"]) <= {"bonded", "cbec_direct"} and tax["units"].sum() > 0
    per_unit = tax[["duty", "consumption_tax", "vat", "postal_tax", "tax"]].div(
        tax["units"], axis=0
    )
    assert np.allclose(per_unit.to_numpy(), [[0.0, 52.5, 45.5, 0.0, 98.0]] * len(tax))
    assert tax["tax"].sum() == pytest.approx(result.table("deliveries")["tax"].sum(), rel=1e-9)
    assert tax["units"].sum() == pytest.approx(result.table("deliveries")["quantity"].sum())


@pytest.mark.component
def test_inspection_is_its_fees_and_counterfeit_what_is_left_after_it(tmp_path):
    """The grey offer inspected at 0.5 a unit, its counterfeit rate 0.3 cut to 0: inspecting
    a unit (0.5) beats its expected counterfeit cost (40 x 0.3 = 12), so every grey unit is
    inspected. ``inspection`` is then 0.5 x the grey units (the fees, never net of anything),
    ``counterfeit`` what is left after inspection (0), and the parts add up to the objective."""
    offers = [OFFERS[0], {**OFFERS[1], "inspection_cost": 0.5, "inspected_counterfeit_rate": 0.0}]
    folder = write_network_instance(tmp_path / "x", offers=offers)
    result = cbecopt.solve(cbecopt.load_instance(folder), "network", TIGHT)
    parts = result.table("cost_breakdown").set_index("component")["cost"]
    grey = result.table("purchases").set_index("supplier")["quantity"]["grey"]
    assert grey > 0
    assert parts["inspection"] == pytest.approx(0.5 * grey, rel=1e-9)
    assert parts.get("counterfeit", 0.0) == pytest.approx(0.0, abs=1e-6)
    assert parts.sum() == pytest.approx(result.objective, rel=1e-9)
