"""The purchase-side models (``suppliers``, ``contracts``) honour what is already bought
(``placed_orders``) and decided (``frozen``): tiny instances solved by hand, every bad row
named by file, row (header = row 1) and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.errors import InputError
from cbecopt.models.contracts.build import ContractsConfig, ContractsData
from cbecopt.models.suppliers.build import SuppliersConfig
from test_contracts import one_sku
from test_suppliers import bought, write

# --- suppliers: demand 100 of X; A sells at 5 (fixed cost 50), B at 7 (fixed cost 10) -------
# Without anything in motion A is cheaper: 50 + 100 x 5 = 550 against 10 + 100 x 7 = 710.

CHEAP, DEAR, FIXED_A, FIXED_B, DEMAND = 5.0, 7.0, 50.0, 10.0, 100.0


def two_sources(folder, rule="exact", arcs=False, rates=(0.0, 0.0)):
    folder = write(
        folder,
        [
            {"supplier": "A", "sku": "X", "discount": "all_units", "counterfeit_rate": rates[0]},
            {"supplier": "B", "sku": "X", "discount": "all_units", "counterfeit_rate": rates[1]},
        ],
        [("A", "X", 0, CHEAP), ("B", "X", 0, DEAR)],
        [("X", DEMAND)],
        nodes=[
            {"id": "A", "kind": "supplier", "fixed_cost": FIXED_A},
            {"id": "B", "kind": "supplier", "fixed_cost": FIXED_B},
        ],
        rule=rule,
    )
    if arcs:
        lanes = [
            {"origin": s, "destination": "M", "mode": "air", "unit_cost": 0} for s in ("A", "B")
        ]
        pd.DataFrame(lanes).to_csv(folder / "arcs.csv", index=False)
    return folder


def with_tables(folder, placed=(), frozen=()):
    """Write ``placed_orders`` (supplier, sku, quantity, unit_price) and ``frozen`` (decision,
    node, sku, value) rows into ``folder`` and load it."""
    if placed:
        pd.DataFrame(placed, columns=["supplier", "sku", "quantity", "unit_price"]).to_csv(
            folder / "placed_orders.csv", index=False
        )
    if frozen:
        pd.DataFrame(frozen, columns=["decision", "node", "sku", "value"]).to_csv(
            folder / "frozen.csv", index=False
        )
    return cbecopt.load_instance(folder)


def solve_suppliers(instance, **config):
    result = cbecopt.solve(instance, "suppliers", config=SuppliersConfig(**config))
    assert result.status == cbecopt.Status.OPTIMAL
    return result


@pytest.mark.component
def test_no_tables_keeps_todays_plan(tmp_path):
    result = solve_suppliers(with_tables(two_sources(tmp_path / "x")))
    assert result.objective == pytest.approx(FIXED_A + DEMAND * CHEAP)  # 550
    assert bought(result) == {"A": pytest.approx(DEMAND)}
    assert result.kpis["committed_cost"] == 0


@pytest.mark.component
def test_placed_units_count_toward_demand_their_cost_and_fixed_cost_sunk(tmp_path):
    """30 already bought from A (at 4): 70 more from A at 5, A's fixed cost not charged again:
    550 - 30 x 5 - 50 = 350; what was paid is reported, 30 x 4 = 120."""
    instance = with_tables(two_sources(tmp_path / "x"), placed=[("A", "X", 30, 4.0)])
    result = solve_suppliers(instance)
    assert bought(result) == {"A": pytest.approx(70)}
    assert result.objective == pytest.approx(FIXED_A + DEMAND * CHEAP - 30 * CHEAP - FIXED_A)
    assert result.kpis["committed_cost"] == pytest.approx(120)
    assert result.kpis["units_placed"] == pytest.approx(30)
    suppliers = result.tables["suppliers"].set_index("supplier")
    assert suppliers.loc["A", "fixed_cost"] == 0 and suppliers.loc["A", "used"] == 1


@pytest.mark.component
def test_placed_from_the_dear_supplier_qualifies_it_but_the_rest_goes_cheapest(tmp_path):
    """30 already from B: B is qualified (fixed cost sunk, used), the other 70 cost
    50 + 70 x 5 = 400 from A against 70 x 7 = 490 from B."""
    result = solve_suppliers(with_tables(two_sources(tmp_path / "x"), [("B", "X", 30, 0)]))
    assert bought(result) == {"A": pytest.approx(70)}
    assert result.objective == pytest.approx(FIXED_A + 70 * CHEAP)
    assert result.tables["suppliers"].set_index("supplier").loc["B", "used"] == 1


@pytest.mark.component
@pytest.mark.parametrize("rule", ["exact", "at_least"])
def test_placed_at_least_demand_buys_nothing_more(tmp_path, rule):
    instance = with_tables(two_sources(tmp_path / "x", rule), placed=[("A", "X", 120, 5.0)])
    result = solve_suppliers(instance)
    assert bought(result) == {}
    assert result.objective == pytest.approx(0)
    assert result.kpis["committed_cost"] == pytest.approx(600)


@pytest.mark.component
def test_placed_units_ship_with_freight_modelled(tmp_path):
    """With lanes to the market the placed units ship too: 70 more from A, as without lanes."""
    instance = with_tables(two_sources(tmp_path / "x", arcs=True), placed=[("A", "X", 30, 0)])
    result = solve_suppliers(instance)
    assert bought(result) == {"A": pytest.approx(70)}
    assert result.tables["shipments"]["quantity"].sum() == pytest.approx(DEMAND)
    assert result.objective == pytest.approx(70 * CHEAP)


@pytest.mark.component
def test_frozen_supplier_zero_forces_the_other(tmp_path):
    instance = with_tables(two_sources(tmp_path / "x"), frozen=[("supplier", "A", None, 0)])
    result = solve_suppliers(instance)
    assert bought(result) == {"B": pytest.approx(DEMAND)}
    assert result.objective == pytest.approx(FIXED_B + DEMAND * DEAR)  # 710


@pytest.mark.component
def test_frozen_supplier_one_pays_its_fixed_cost_even_unused(tmp_path):
    instance = with_tables(two_sources(tmp_path / "x"), frozen=[("supplier", "B", None, 1)])
    result = solve_suppliers(instance)
    assert bought(result) == {"A": pytest.approx(DEMAND)}
    assert result.objective == pytest.approx(FIXED_B + FIXED_A + DEMAND * CHEAP)  # 560


@pytest.mark.component
def test_placed_units_count_in_the_counterfeit_average(tmp_path):
    """A fakes 10 %, B none, cap 5 % of the SKU. Alone: at most 50 from A, 250 + 350 + 60 =
    660. With 30 placed from A, 0.1 (30 + a) <= 0.05 x 100 gives a <= 20: 20 x 5 + 50 x 7 +
    10 (B's fixed cost; A's is sunk) = 460 (counting only new units would allow a = 35)."""
    folder = two_sources(tmp_path / "x", rates=(0.1, 0.0))
    alone = solve_suppliers(with_tables(folder), max_counterfeit_rate=0.05)
    assert alone.objective == pytest.approx(FIXED_A + FIXED_B + 50 * CHEAP + 50 * DEAR)
    placed = solve_suppliers(with_tables(folder, [("A", "X", 30, 0)]), max_counterfeit_rate=0.05)
    assert bought(placed) == {"A": pytest.approx(20), "B": pytest.approx(50)}
    assert placed.objective == pytest.approx(FIXED_B + 20 * CHEAP + 50 * DEAR)


@pytest.mark.component
def test_frozen_unused_supplier_short_of_demand_is_diagnosed(tmp_path):
    """A frozen unused; 30 already placed from B, whose offer can supply 50 more (capacity is
    what remains): 70 still to buy, 50 to buy from. The diagnosis names the frozen supplier and
    the SKU short against the demand left after the placed units."""
    folder = two_sources(tmp_path / "x")
    offers = pd.read_csv(folder / "offers.csv")
    offers["capacity"] = [None, 50]
    offers.to_csv(folder / "offers.csv", index=False)
    instance = with_tables(folder, [("B", "X", 30, 0)], [("supplier", "A", None, 0)])
    result = cbecopt.solve(instance, "suppliers")
    assert result.status == cbecopt.Status.INFEASIBLE
    assert "frozen rows fix supplier(s) 'A' unused" in result.diagnosis[0]
    assert any("can supply 50 units" in c and "short of demand 70" in c for c in result.diagnosis)


@pytest.mark.component
def test_placed_order_of_a_sku_without_demand_is_ignored_with_a_warning(tmp_path):
    folder = two_sources(tmp_path / "x")
    pd.DataFrame([{"sku": "X", "price": 100}, {"sku": "Y", "price": 1}]).to_csv(
        folder / "products.csv", index=False
    )
    result = solve_suppliers(with_tables(folder, [("A", "Y", 5, 1)]))
    assert result.objective == pytest.approx(FIXED_A + DEMAND * CHEAP)  # as without the row
    assert any("placed_orders.csv row 2" in w and "'Y' has no demand" in w for w in result.warnings)


@pytest.mark.component
def test_rows_of_suppliers_a_policy_leaves_out_are_ignored_with_a_warning(tmp_path):
    """Brand-direct only (A): B's placed units and B frozen are outside the plan; A buys all
    100 at 5 with its fixed cost, 550."""
    folder = two_sources(tmp_path / "x")
    nodes = pd.read_csv(folder / "nodes.csv")
    nodes["supplier_type"] = ["brand_direct", "agent", None]
    nodes.to_csv(folder / "nodes.csv", index=False)
    instance = with_tables(folder, [("B", "X", 30, 0)], [("supplier", "B", None, 1)])
    result = solve_suppliers(instance, supplier_types=("brand_direct",))
    assert bought(result) == {"A": pytest.approx(DEMAND)}
    assert result.objective == pytest.approx(FIXED_A + DEMAND * CHEAP)
    ignored = [w for w in result.warnings if "left out (supplier types brand_direct)" in w]
    assert [w.split(":")[0] for w in ignored] == ["placed_orders.csv row 2", "frozen.csv row 2"]


def problems_of(error: InputError) -> set[tuple[str, int | None, str | None]]:
    return {(p.file, p.row, p.column) for p in error.problems}


@pytest.mark.unit
def test_suppliers_bad_rows_are_named(tmp_path):
    folder = two_sources(tmp_path / "x")
    pd.DataFrame([{"sku": "X", "price": 100}, {"sku": "Y", "price": 1}]).to_csv(
        folder / "products.csv", index=False
    )
    instance = with_tables(
        folder,
        placed=[
            ("A", "X", 30, 1),  # row 2: fine
            ("Q", "X", 5, 1),  # row 3: no such supplier
            ("B", "Z", 5, 1),  # row 4: no such product
            ("M", "X", 5, 1),  # row 5: a market, not a supplier
        ],
        frozen=[
            ("supplier", "A", None, 0),  # row 2: frozen unused with units ordered
            ("listing", "A", "X", 1),  # row 3: not a decision of this model
            ("supplier", "Q", None, 1),  # row 4: no such supplier in the model
            ("supplier", "B", None, 2),  # row 5: not 0 or 1
        ],
    )
    with pytest.raises(InputError) as raised:
        cbecopt.solve(instance, "suppliers")
    assert problems_of(raised.value) == {
        ("placed_orders.csv", 3, "supplier"),
        ("placed_orders.csv", 4, "sku"),
        ("placed_orders.csv", 5, "supplier"),
        ("frozen.csv", 2, "value"),
        ("frozen.csv", 3, "decision"),
        ("frozen.csv", 4, "node"),
        ("frozen.csv", 5, "value"),
    }


@pytest.mark.unit
def test_suppliers_placed_pair_without_offer_and_exact_surplus_with_freight(tmp_path):
    """With lanes to the market and exact demand, more units ordered than the demand have
    nowhere to go (row 2); A offers no Y (row 3)."""
    folder = write(
        tmp_path / "x",
        [
            {"supplier": "A", "sku": "X", "discount": "all_units"},
            {"supplier": "B", "sku": "X", "discount": "all_units"},
            {"supplier": "B", "sku": "Y", "discount": "all_units"},
        ],
        [("A", "X", 0, CHEAP), ("B", "X", 0, DEAR), ("B", "Y", 0, 1)],
        [("X", DEMAND), ("Y", 10)],
    )
    lanes = [{"origin": s, "destination": "M", "mode": "air", "unit_cost": 0} for s in "AB"]
    pd.DataFrame(lanes).to_csv(folder / "arcs.csv", index=False)
    instance = with_tables(folder, placed=[("A", "X", 150, 1), ("A", "Y", 5, 1)])
    with pytest.raises(InputError) as raised:
        cbecopt.solve(instance, "suppliers")
    assert problems_of(raised.value) == {
        ("placed_orders.csv", 2, "quantity"),
        ("placed_orders.csv", 3, "sku"),
    }


# --- contracts: one SKU A, price 10, salvage 1, lost sale 2; demand 30 or 70 (1/2 each) -----

P, V, PI = 10.0, 1.0, 2.0
SCENARIOS = [("lo", 0.5, 30.0), ("hi", 0.5, 70.0)]


def expected_cost(firm: float, firm_price: float, options: float, premium: float, exercise: float):
    """The expected cost (minus profit) of ``firm`` units at ``firm_price`` and ``options``
    reserved at ``premium``, exercised at ``exercise`` only for demand the firm units do not
    meet (``exercise`` > salvage), over :data:`SCENARIOS`."""
    total = firm * firm_price + options * premium
    for _, probability, demand in SCENARIOS:
        exercised = min(max(demand - firm, 0.0), options)
        sold = min(demand, firm + exercised)
        left = firm + exercised - sold
        total += probability * (exercise * exercised - P * sold + PI * (demand - sold) - V * left)
    return total


def contracts_instance(folder, contracts, placed=(), frozen=()):
    folder = one_sku(
        folder,
        {"price": P, "salvage_value": V, "lost_sale_penalty": PI},
        contracts,
        scenarios=SCENARIOS,
    )
    return with_tables(folder, placed, frozen)


OPTION = {"supplier": "s1", "type": "option", "premium": 1, "exercise_price": 5}
FIRM = {"supplier": "s2", "type": "firm", "unit_price": 4}


@pytest.mark.component
@pytest.mark.parametrize("committed", [0.0, 20.0, 50.0])
def test_frozen_commitment_gives_the_closed_form_cost_of_that_quantity(tmp_path, committed):
    """Options only: the free optimum reserves 70 (-180); a frozen commitment holds Q."""
    free = cbecopt.solve(contracts_instance(tmp_path / "free", [OPTION]), "contracts")
    assert free.objective == pytest.approx(expected_cost(0, 0, 70, 1, 5))  # -180
    instance = contracts_instance(
        tmp_path / "x", [OPTION], frozen=[("commitment", "s1", "A", committed)]
    )
    result = cbecopt.solve(instance, "contracts")
    assert result.tables["contracts"]["quantity"].iloc[0] == pytest.approx(committed)
    assert result.objective == pytest.approx(expected_cost(0, 0, committed, 1, 5))


QF = {"supplier": "s3", "type": "quantity_flexibility", "unit_price": 4, "flex_up": 0.5}
QF_DOWN = 0.2


def expected_qf_cost(committed: float) -> float:
    """Quantity flexibility at 4 with band [0.8 Q, 1.5 Q]: with 4 above the salvage 1 and below
    the price plus penalty 12, each scenario buys its demand clipped to the band."""
    total = 0.0
    for _, probability, demand in SCENARIOS:
        units = min(max(demand, (1 - QF_DOWN) * committed), 1.5 * committed)
        sold = min(demand, units)
        cost = 4 * units - P * sold + PI * (demand - sold) - V * (units - sold)
        total += probability * cost
    return total


@pytest.mark.component
@pytest.mark.parametrize("committed", [10.0, 40.0, 80.0])
def test_frozen_quantity_flexibility_commitment_gives_the_cost_of_its_band(tmp_path, committed):
    """Q = 40: buy 32 of 30 (2 salvaged) or 60 of 70 (10 lost): 0.5 (128 - 300 - 2) +
    0.5 (240 - 600 + 20) = -257."""
    term = {**QF, "flex_down": QF_DOWN}
    instance = contracts_instance(
        tmp_path / "x", [term], frozen=[("commitment", "s3", "A", committed)]
    )
    result = cbecopt.solve(instance, "contracts")
    assert result.tables["contracts"]["quantity"].iloc[0] == pytest.approx(committed)
    assert result.objective == pytest.approx(expected_qf_cost(committed))
    if committed == 40:
        assert result.objective == pytest.approx(-257)


@pytest.mark.component
@pytest.mark.parametrize(("placed", "firm"), [(0, 70), (20, 50), (80, 0)])
def test_placed_firm_units_reduce_what_is_bought_at_sunk_cost(tmp_path, placed, firm):
    """Firm at 4: the critical ratio (10 - 4 + 2) / (10 - 1 + 2) = 8/11 > 1/2 orders up to
    70; placed units (cost sunk) count as firm units already there."""
    rows = [("s2", "A", placed, 3.0)] if placed else ()
    result = cbecopt.solve(contracts_instance(tmp_path / "x", [FIRM], rows), "contracts")
    assert result.tables["contracts"]["quantity"].iloc[0] == pytest.approx(firm)
    # the expected cost of firm + placed units, less what the placed ones cost (sunk)
    sunk = placed * FIRM["unit_price"]
    assert result.objective == pytest.approx(expected_cost(firm + placed, 4, 0, 0, 0) - sunk)
    assert result.kpis["committed_cost"] == pytest.approx(3.0 * placed)


@pytest.mark.unit
def test_contracts_bad_rows_are_named(tmp_path):
    small = {**OPTION, "supplier": "s4", "min_order": 10}
    instance = contracts_instance(
        tmp_path / "x",
        [{**OPTION, "capacity": 30}, small, FIRM, QF],
        placed=[
            ("s2", "A", 10, 1),  # row 2: fine
            ("s9", "A", 10, 1),  # row 3: no such supplier
            ("s2", "B", 10, 1),  # row 4: no such product
        ],
        frozen=[
            ("commitment", "s1", "A", 40),  # row 2: above the capacity 30
            ("commitment", "s4", "A", 5),  # row 3: below the minimum order 10
            ("commitment", "s2", None, 5),  # row 4: no SKU
            ("commitment", "s2", "A", 5),  # row 5: s2 has no flexible term
            ("supplier", "s1", None, 1),  # row 6: not a decision of this model
            ("commitment", "s3", "A", 300),  # row 7: fine (no capacity)
        ],
    )
    with pytest.raises(InputError) as raised:
        cbecopt.solve(instance, "contracts")
    assert problems_of(raised.value) == {
        ("placed_orders.csv", 3, "supplier"),
        ("placed_orders.csv", 4, "sku"),
        ("frozen.csv", 2, "value"),
        ("frozen.csv", 3, "value"),
        ("frozen.csv", 4, "sku"),
        ("frozen.csv", 5, "sku"),
        ("frozen.csv", 6, "decision"),
    }


@pytest.mark.unit
def test_contracts_placed_pair_without_contract_and_commitment_outside_the_types(tmp_path):
    instance = contracts_instance(
        tmp_path / "x",
        [OPTION, FIRM],
        placed=[("s1", "A", 10, 1)],  # s1 offers A (as an option): firm units all the same
        frozen=[("commitment", "s1", "A", 10)],
    )
    data = ContractsData.from_instance(instance, ContractsConfig(types=("firm",)))
    assert data.placed.tolist() == [10.0]
    assert any("frozen.csv row 2" in w and "ignored" in w for w in data.warnings)
    assert np.isnan(data.frozen_quantity).all()
    nodes = pd.read_csv(tmp_path / "x" / "nodes.csv")
    pd.concat([nodes, pd.DataFrame([{"id": "s9", "kind": "supplier"}])]).to_csv(
        tmp_path / "x" / "nodes.csv", index=False
    )
    lonely = with_tables(tmp_path / "x", placed=[("s9", "A", 10, 1)])
    with pytest.raises(InputError) as raised:
        ContractsData.from_instance(lonely, ContractsConfig())
    assert problems_of(raised.value) == {("placed_orders.csv", 2, "sku")}
