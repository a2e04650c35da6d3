"""The remedy comparison of the ``network`` model: each strategy a restriction of the one
model. Checked against orders (joint <= sequential by construction: the sequence's last step
is the joint model with decisions fixed; the others where they hold on these networks),
against brute force (the baseline's plan is the brute-force optimum, with no counterfeit
penalty, of the network written by hand with only the cheapest offers and no bonded
warehouse, and its cost that plan's under the true penalty), against each strategy's
restriction in its decisions, and for honest statuses and derived values."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cbecopt.models.network.kpis import KPI_COLUMNS
from cbecopt.models.network.remedies import (
    COLUMNS,
    StrategyResult,
    compare_strategies,
    difference,
    network_comparison,
    plot_remedies,
)
from cbecopt.models.network.sequential import supplier_view
from cbecopt.models.network.strategies import (
    REMEDIES,
    STRATEGIES,
    Solved,
    cheapest_offers,
    per_platform_copies,
    restriction,
)
from cbecopt.results import Status
from cbecopt.stochastic.twostage import RiskOptions
from network_helpers import tiny, tiny_supply, two_platforms, two_skus
from test_network_model import brute_force, brute_force_plan

TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def compared():
    """The comparison on the two-platform network, solved once for the module."""
    return compare_strategies(two_platforms())


def _objective(result: StrategyResult) -> float:
    assert result.status == Status.OPTIMAL, (result.name, result.note)
    return result.objective


# --- orders -----------------------------------------------------------------------------


@pytest.mark.component
@pytest.mark.parametrize("network", ["one platform", "two platforms"])
def test_joint_beats_sequential_beats_baseline_and_each_remedy_beats_the_baseline(
    network, compared
):
    results = compared.results if network == "two platforms" else compare_strategies(tiny()).results
    cost = {name: _objective(r) for name, r in results.items()}
    slack = TOLERANCE * max(abs(v) for v in cost.values())
    assert cost["joint"] <= cost["sequential"] + slack
    assert cost["sequential"] <= cost["baseline"] + slack
    for remedy in REMEDIES:
        assert cost[remedy] <= cost["baseline"] + slack, remedy
    assert cost["joint"] < cost["baseline"] - 1.0  # the remedies are worth something here


@pytest.mark.component
@pytest.mark.slow
def test_the_orders_hold_on_a_generated_network():
    """On a generated network (``cbecopt generate network --skus 6 --markets 4 --scenarios 2
    --seed 1``; every strategy proved optimal in one to three minutes) the orders hold as
    they do on the small hand-written ones, and the baseline, blind to counterfeits, buys
    some and serves some demand."""
    from cbecopt.models.network.generate import generate_network
    from cbecopt.models.network.read import read_network

    made = generate_network(6, seed=1, n_provinces=4, n_scenarios=2)
    data = read_network(made)
    results = compare_strategies(data).results
    cost = {name: _objective(r) for name, r in results.items()}
    slack = TOLERANCE * max(abs(v) for v in cost.values())
    assert cost["joint"] <= cost["sequential"] + slack
    assert cost["sequential"] <= cost["baseline"] + slack
    for remedy in REMEDIES:
        assert cost[remedy] <= cost["baseline"] + slack, remedy
    baseline = results["baseline"]
    assert baseline.kpis["expected_counterfeit"] > 0 and baseline.kpis["fill_rate"] > 0


DEMO = Path(__file__).resolve().parents[1] / "instances" / "network_demo"


@pytest.mark.component
@pytest.mark.slow
def test_the_orders_hold_on_the_demo_s_january():
    """On the bundled ``network_demo``'s January (``compare-remedies --start 2027-01
    --horizon 1``; 10-15 minutes on 2 cores) every one-solve strategy but ``joint`` is proved
    optimal: sequential and supplier management, shared warehouses and flexible contracts
    alone are proved no dearer than the baseline; ``joint`` (not proved) is no dearer than
    sequential, whose plan it starts from.

    Channel integration alone is left out of the order: without supplier management it
    decides blind to counterfeits, and its bonded bulk stock of the cheapest sources costs more
    once the fakes are priced. Measured here, both proved: 82,610,446 against the baseline's
    76,186,763 (models/network.md, "Strategies")."""
    from cbecopt.highs import SolveOptions
    from cbecopt.instance import load_instance
    from cbecopt.models.network.read import read_network

    january = load_instance(DEMO).window("2027-01", 1)
    results = compare_strategies(read_network(january), SolveOptions(time_limit=1200)).results
    cost = {name: _objective(r) for name, r in results.items() if name != "joint"}
    slack = TOLERANCE * max(abs(v) for v in cost.values())
    assert results["joint"].objective <= cost["sequential"] + slack
    assert cost["sequential"] <= cost["baseline"] + slack
    for remedy in set(REMEDIES) - {"channel_integration"}:
        assert cost[remedy] <= cost["baseline"] + slack, remedy
    assert cost["supplier_management"] < cost["baseline"] - 1.0  # fakes cost the baseline


@pytest.mark.component
def test_derived_values_are_the_differences_of_proved_optima(compared):
    cost = {name: r.objective for name, r in compared.results.items()}
    for remedy in REMEDIES:
        value = compared.remedy_values[remedy]
        assert value.value == pytest.approx(cost["baseline"] - cost[remedy])
    assert compared.value_of_integration.value == pytest.approx(cost["sequential"] - cost["joint"])
    table = compared.table.set_index("strategy")
    assert table.loc["joint", "value_of_integration"] == compared.value_of_integration.value
    assert pd.isna(table.loc["baseline", "saving"])
    assert list(compared.table["strategy"]) == list(STRATEGIES)
    assert list(compared.table.columns) == [*COLUMNS, "cost[tmall]", "cost[jd]"]


# --- each strategy keeps its restriction ----------------------------------------------------


def _decision(result: StrategyResult, name: str) -> pd.Series:
    return pd.Series(result.solved.decided((name,))[name]).round(6) + 0.0


def _releases(result: StrategyResult) -> float:
    """Units released from bonded warehouses, over every scenario: deliveries on release
    lanes (labelled ``rel<n>``, or in v1 numbered with the release lanes first)."""
    d, solved = result.solved.data, result.solved
    total = 0.0
    for s in d.scenario_names:
        block = solved.form.scenario_block(s)
        x = solved.form.values_of(solved.values, block.delivery)
        release = [
            str(lane).startswith("rel")
            or (isinstance(lane, (int, np.integer)) and lane < len(d.release))
            for lane, _, _ in block.delivery.family_labels
        ]
        total += float(x[np.array(release, bool)].sum())
    return total


@pytest.mark.component
def test_each_strategy_keeps_its_restriction(compared):
    d = two_platforms()
    cheapest = {(d.suppliers[d.offers[o][0]], d.skus[k]) for k, o in cheapest_offers(d).items()}
    assert cheapest == {("grey", "k"), ("dist", "m")}
    for name, result in compared.results.items():
        purchase = _decision(result, "purchase")
        others = purchase[[label not in cheapest for label in purchase.index]]
        sourcing = name in ("supplier_management", "sequential", "joint")
        channels = name in ("channel_integration", "sequential", "joint")
        shared = name in ("shared_warehouses", "sequential", "joint")
        if not sourcing:
            assert (others == 0).all(), name
            assert result.solved.data.counterfeit_cap == 1.0
        if not channels:
            assert (_decision(result, "use_warehouse") == 0).all(), name
            assert _releases(result) == pytest.approx(0.0, abs=1e-9), name
        overseas = result.solved.data.overseas
        expected = ("LA", "HK") if shared else ("LA@tmall", "LA@jd", "HK")
        assert overseas == expected, name
        flexible = name in ("flexible_contracts", "sequential", "joint")
        assert bool(result.solved.data.terms) == flexible, name
    assert _releases(compared.results["joint"]) > 0  # the bonded warehouse is worth it here
    joint = _decision(compared.results["joint"], "purchase")
    assert joint[("brand", "k")] > 0  # the free choice leaves the cheapest source


@pytest.mark.component
def test_each_sequential_step_fixes_what_it_decides(compared):
    steps = {name: solved for name, solved, _ in compared.results["sequential"].steps}
    assert list(steps) == ["suppliers", "contracts", "warehouses", "routing"]
    routing = steps["routing"]
    for family, step in (
        ("use_supplier", "suppliers"),
        ("use_offer", "suppliers"),
        ("open", "warehouses"),
    ):
        decided = steps[step].decided((family,))[family]
        assert routing.decided((family,))[family] == decided, family
    assert set(steps["warehouses"].decided(("use_warehouse",))["use_warehouse"].values()) == {0.0}
    assert steps["suppliers"].data.markets == ("all",)
    assert steps["contracts"].data.scenario_names == ("low", "high")


# --- brute force ----------------------------------------------------------------------------


def _cheapest_only_by_hand(d):
    """``tiny()``-shaped data with only the cheapest offer of each SKU (the grey market's
    offer of k: 6 against the brand's 10; the distributor's offer of m), no bonded
    warehouse, no counterfeit cap: the baseline written out."""
    keep = [o for o, (i, _) in enumerate(d.offers) if d.suppliers[i] in ("grey", "dist")]
    position = {o: n for n, o in enumerate(keep)}
    return dataclasses.replace(
        d,
        offers=tuple(d.offers[o] for o in keep),
        min_order=d.min_order[keep],
        counterfeit_rate=d.counterfeit_rate[keep],
        segments=tuple((position[o], *rest) for o, *rest in d.segments if o in position),
        bonded=(),
        bonded_fixed=np.zeros(0),
        bonded_handling=np.zeros(0),
        inbound=(),
        release=(),
        counterfeit_cap=1.0,
        terms=(),
        lane_days=None,
    )


def _myopic_by_brute_force(written) -> tuple[float, dict, float]:
    """The baseline worked out by hand on the network ``written`` out: brute force with no
    counterfeit penalty gives the myopic plan and its cost; under the true penalty the same
    plan costs that plus each offer's units x counterfeit rate x penalty (no flexible terms:
    the penalty falls on firm purchases only, so the recourse given the plan is unchanged).
    Returns the myopic cost, the units bought by (supplier, sku), and the true cost."""
    blind = dataclasses.replace(
        written, counterfeit_penalty=np.zeros_like(written.counterfeit_penalty)
    )
    cost, plan = brute_force_plan(blind)
    fakes = sum(
        units * written.counterfeit_rate[o] * written.counterfeit_penalty[written.offers[o][1]]
        for o, units in plan.items()
    )
    bought = {
        (written.suppliers[i], written.skus[k]): plan[o] for o, (i, k) in enumerate(written.offers)
    }
    return cost, bought, cost + fakes


@pytest.mark.component
@pytest.mark.parametrize("network", ["one platform", "two platforms"])
def test_the_baseline_decides_blind_to_counterfeits_and_then_pays_for_them(network):
    """The baseline's plan is the brute-force optimum of the cheapest-only network written out
    (no bonded warehouse, and on two platforms a copy of each warehouse per platform, ``HK``'s
    copy for jd without a parcel lane) with the counterfeit penalty 0; its reported cost is
    that plan's cost under the true penalty, which is more than the restriction's true
    optimum: not seeing the risk costs something."""
    if network == "one platform":
        d, written = tiny(), _cheapest_only_by_hand(tiny())
    else:
        d = two_platforms()
        written = two_platforms(_cheapest_only_by_hand(two_skus()), sharing=False)
        assert written.overseas == ("LA@tmall", "LA@jd", "HK@tmall", "HK@jd")
    baseline = compare_strategies(d).results["baseline"]
    blind_cost, bought, true_cost = _myopic_by_brute_force(written)
    steps = {name: solved for name, solved, _ in baseline.steps}
    assert steps["myopic"].outcome.objective == pytest.approx(blind_cost, rel=1e-6)
    assert steps["evaluated"].first_stage() == steps["myopic"].first_stage()
    purchase = _decision(baseline, "purchase")
    assert purchase.sum() > 1.0
    for offer, units in purchase.items():
        assert units == pytest.approx(bought.get(offer, 0.0), abs=1e-6), offer
    assert _objective(baseline) == pytest.approx(true_cost, rel=1e-6)
    assert baseline.kpis["total_cost"] == pytest.approx(true_cost, rel=1e-6)
    assert baseline.kpis["fill_rate"] > 0 and baseline.kpis["expected_counterfeit"] > 0
    assert true_cost > brute_force(written) + 1.0


@pytest.mark.component
def test_a_myopic_solve_stopped_by_a_limit_leaves_the_row_not_optimal(monkeypatch):
    """The baseline's myopic solve as a limit leaves it (``feasible``, its gap): the evaluated
    plan is some plan, not the baseline's, so the row is ``feasible`` with a null bound and
    gap, its note names the stopped solve, and every saving against it is null."""
    from cbecopt.models.network import strategies

    solve = strategies.solve_restriction

    def stopped_myopic(r, options, risk=None):
        solved = solve(r, options, risk)
        if not np.any(r.data.counterfeit_penalty):  # only a myopic solve prices no fakes
            solved.outcome.status = Status.FEASIBLE
            solved.outcome.gap = 0.05
            solved.outcome.termination = "time limit reached"
        return solved

    monkeypatch.setattr(strategies, "solve_restriction", stopped_myopic)
    out = compare_strategies(tiny())
    baseline = out.results["baseline"]
    assert baseline.status == Status.FEASIBLE
    assert baseline.objective is not None and baseline.kpis["fill_rate"] > 0
    assert baseline.gap is None and baseline.bound is None
    assert "myopic: feasible (time limit reached)" in baseline.note
    table = out.table.set_index("strategy")
    assert table.loc["baseline", "status"] == "feasible"
    assert pd.isna(table.loc["baseline", "gap"])
    assert table.loc["joint", "status"] == "optimal"  # prices authenticity: one solve
    for remedy in REMEDIES:
        assert out.remedy_values[remedy].value is None
        assert "baseline is feasible" in out.remedy_values[remedy].reason


# --- honest derived values ------------------------------------------------------------------


def _result(name: str, status: Status, objective: float | None) -> StrategyResult:
    return StrategyResult(name, status, objective, objective, 0.0, None, "", None)


@pytest.mark.unit
def test_a_derived_value_needs_two_proved_optima():
    proved = _result("baseline", Status.OPTIMAL, 100.0)
    assert difference(proved, _result("joint", Status.OPTIMAL, 60.0)).value == 40.0
    for status, objective in ((Status.FEASIBLE, 60.0), (Status.NO_SOLUTION, None)):
        derived = difference(proved, _result("joint", status, objective))
        assert derived.value is None
        assert f"joint is {status.value}" in derived.reason


@pytest.mark.component
def test_a_strategy_stopped_by_a_limit_is_feasible_and_its_derived_values_null(monkeypatch):
    """The joint solve's outcome as a limit leaves it (status ``feasible``, its gap): the
    value of integration and the joint's saving are null with the reason, the others stay."""
    from cbecopt.models.network import remedies

    solve = remedies.solve_restriction

    def stopped_joint(r, options, risk=None, start=None):
        solved = solve(r, options, risk, start)
        if not r.fixed:  # only the joint strategy fixes nothing
            solved.outcome.status = Status.FEASIBLE
            solved.outcome.gap = 0.05
            solved.outcome.termination = "time limit reached"
        return solved

    monkeypatch.setattr(remedies, "solve_restriction", stopped_joint)
    out = compare_strategies(tiny())
    table = out.table.set_index("strategy")
    assert table.loc["joint", "status"] == "feasible"
    assert table.loc["joint", "gap"] == 0.05
    assert table.loc["joint", "note"] == "time limit reached"
    assert pd.isna(table.loc["joint", "value_of_integration"])
    assert pd.isna(table.loc["joint", "saving"])
    assert out.value_of_integration.value is None
    assert "joint is feasible" in out.value_of_integration.reason
    assert all(out.remedy_values[r].value is not None for r in REMEDIES)


@pytest.mark.component
def test_the_joint_search_starts_from_the_sequential_plan(monkeypatch):
    """``joint`` is handed ``sequential``'s plan (a plan of the same model) as a start, so a
    limit cannot leave joint worse than sequential; the other strategies start from none."""
    from cbecopt.models.network import remedies

    solve = remedies.solve_restriction
    starts = []

    def spy(r, options, risk=None, start=None):
        starts.append((bool(r.fixed), start))
        return solve(r, options, risk, start)

    monkeypatch.setattr(remedies, "solve_restriction", spy)
    out = compare_strategies(tiny())
    sequential = out.results["sequential"].solved.values
    joint_starts = [start for fixed, start in starts if not fixed]
    assert len(joint_starts) == 1 and np.array_equal(joint_starts[0], sequential)
    assert all(start is None for fixed, start in starts if fixed)
    assert out.results["joint"].objective <= out.results["sequential"].objective + 1e-6


# --- KPIs -----------------------------------------------------------------------------------


@pytest.mark.component
def test_kpis_add_up_on_the_one_lane_baseline():
    """tiny()'s baseline ships by parcel only (one lane, tax 9.1% of 30 per unit): tax is
    2.73 per unit delivered, counterfeits 0.3 per grey unit bought, CVaR at alpha 0.5 of two
    equally likely scenarios the costlier one."""
    d = tiny()
    out = compare_strategies(d, risk=RiskOptions(alpha=0.5))
    baseline = out.results["baseline"]
    k = baseline.kpis
    demand = float(np.tensordot(d.probabilities, d.demand, axes=1).sum())
    delivered = k["fill_rate"] * demand
    assert k["tax"] == pytest.approx(0.091 * 30.0 * delivered, rel=1e-9)
    grey = _decision(baseline, "purchase")[("grey", "k")]
    assert k["expected_counterfeit"] == pytest.approx(0.3 * grey, rel=1e-9)
    costs = baseline.solved.form.scenario_costs(baseline.solved.values)
    assert k["cvar"] == pytest.approx(costs.max(), rel=1e-9)
    assert k["total_cost"] == pytest.approx(baseline.objective, rel=1e-9)
    assert k["average_delivery_days"] is None  # tiny() gives no lane days
    assert k["platform_costs"] is None


@pytest.mark.component
def test_platform_costs_add_up_to_the_total(compared):
    for name, result in compared.results.items():
        shares = result.kpis["platform_costs"]
        assert set(shares) == {"tmall", "jd"}
        assert sum(shares.values()) == pytest.approx(result.kpis["total_cost"], rel=1e-9), name
        days = result.kpis["average_delivery_days"]
        assert 2.0 - 1e-9 <= days <= 6.0 + 1e-9, name  # between the fastest and slowest lane


@pytest.mark.component
def test_the_comparison_is_deterministic(compared):
    again = compare_strategies(two_platforms())
    pd.testing.assert_frame_equal(again.table, compared.table)


# --- pieces ---------------------------------------------------------------------------------


@pytest.mark.unit
def test_the_cheapest_offer_is_the_lowest_first_segment_price_the_first_on_a_tie():
    d = tiny(segments=((0, 0.0, 50.0, 6.0), (0, 50.0, 200.0, 1.0), (1, 0.0, 60.0, 6.0)))
    assert cheapest_offers(d) == {0: 0}
    d = tiny(segments=((0, 50.0, 200.0, 1.0), (0, 0.0, 50.0, 7.0), (1, 0.0, 60.0, 6.0)))
    assert cheapest_offers(d) == {0: 1}


@pytest.mark.unit
def test_per_platform_copies_split_only_the_warehouses_serving_several_platforms():
    d = two_platforms()
    copies = per_platform_copies(d)
    assert copies.overseas == ("LA@tmall", "LA@jd", "HK")
    assert list(copies.overseas_fixed) == [120.0, 120.0, 60.0]
    # each parcel lane is repeated for each copy of its warehouse, with its days, and each
    # copy serves its platform
    assert [(w, j) for w, j, *_ in copies.parcel] == [(0, 0), (1, 0), (2, 0)]
    assert list(copies.lane_days["parcel"]) == [6.0, 6.0, 5.0]
    assert copies.shared_by == (("tmall",), ("jd",), ("tmall",))
    assert sorted(w for _, w, *_ in copies.first_mile) == [0, 0, 1, 1, 2, 2]
    overseas_inbound = [o for kind, o, *_ in copies.inbound if kind == "overseas"]
    assert overseas_inbound == [0, 1]


@pytest.mark.unit
def test_without_platforms_there_is_nothing_to_copy():
    d = tiny()
    assert per_platform_copies(d) is d


@pytest.mark.unit
def test_the_supplier_view_faces_the_total_expected_demand_of_each_sku():
    d = two_platforms()
    view = supplier_view(d)
    assert view.demand.shape == (1, 1, 2, 1)
    expected = np.tensordot(d.probabilities, d.demand, axes=1).sum(axis=(0, 2))
    assert np.allclose(view.demand[0, :, :, 0].ravel(), expected)
    assert view.overseas == ("anywhere",) and view.bonded == () and view.terms == ()
    assert sorted(i for i, *_ in view.first_mile) == [0, 1, 2]
    assert view.offers == d.offers and view.counterfeit_cap == d.counterfeit_cap


@pytest.mark.unit
def test_an_unknown_remedy_is_refused():
    with pytest.raises(ValueError, match="unknown remedies"):
        restriction(tiny(), {"cheaper_rent"})


@pytest.mark.unit
def test_the_comparison_declaration():
    comparison = network_comparison()
    assert comparison.name == "remedies" and comparison.command == "compare-remedies"
    assert comparison.policies == STRATEGIES
    assert comparison.rows_key == "strategies"
    assert set(comparison.shown) <= set(COLUMNS)
    assert set(comparison.percent) <= set(comparison.shown)
    assert set(KPI_COLUMNS) <= set(COLUMNS)


@pytest.mark.unit
def test_the_chart_is_a_png(tmp_path):
    table = pd.DataFrame(
        {
            "strategy": list(STRATEGIES),
            "total_cost": [10.0, 8.0, 9.0, 9.5, 10.0, 7.0, 6.0],
            "value_of_integration": [None] * 6 + [1.0],
        }
    )
    target = plot_remedies(table, tmp_path / "comparison.png")
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.unit
def test_solved_without_values_carries_nothing():
    from cbecopt.highs import SolverOutcome

    outcome = SolverOutcome(Status.NO_SOLUTION, "", None, None, None, None, 0.0, 0.0, {})
    assert Solved(restriction(tiny(), set()), None, outcome).decided(("open",)) == {}


@dataclasses.dataclass(frozen=True)
class _Config:
    """A stand-in for the network model's config: only its risk options are read."""

    risk: RiskOptions = dataclasses.field(default_factory=RiskOptions)


@pytest.mark.component
def test_the_runner_reads_the_data_through_the_registry_and_weighs_the_risk(monkeypatch):
    """``compare_remedies(instance, options, config)``, the signature every comparison's
    runner has, reads the model's data through its registry entry (a stand-in here, whose
    check step returns the two-platform network) and solves under the config's risk: each
    objective is then (1 - weight) E[cost] + weight CVaR_alpha(cost)."""
    from cbecopt import load_instance
    from cbecopt.highs import SolveOptions
    from cbecopt.models import MODELS, contracts
    from cbecopt.models.network.remedies import compare_remedies

    fake = dataclasses.replace(
        contracts.SPEC,
        key="network",
        config_type=_Config,
        check=lambda instance, config, seed: two_platforms(),
        tables=(),
    )
    monkeypatch.setitem(MODELS, "network", fake)
    instance = load_instance(Path(__file__).parents[1] / "instances" / "contracts_demo")
    risk = RiskOptions(weight=0.5, alpha=0.8)
    table = compare_remedies(instance, SolveOptions(), _Config(risk)).set_index("strategy")
    assert list(table.index) == list(STRATEGIES)
    assert (table["status"] == "optimal").all()
    blend = 0.5 * table["total_cost"] + 0.5 * table["cvar"]
    assert np.allclose(table["objective"], blend, rtol=1e-9)
    assert (table["cvar"] >= table["total_cost"] - 1e-9).all()


@pytest.mark.component
def test_a_remedy_that_changes_nothing_reuses_the_plan_it_would_repeat():
    """On one platform with no flexible terms, sharing and flexible contracts change nothing:
    their rows are the baseline's plan, said so, and their saving is exactly 0."""
    out = compare_strategies(tiny())
    table = out.table.set_index("strategy")
    for remedy, why in (
        ("shared_warehouses", "no overseas warehouse serves several platforms"),
        ("flexible_contracts", "no flexible terms"),
    ):
        assert table.loc[remedy, "note"] == f"the same plan as baseline: {why}"
        assert out.remedy_values[remedy].value == 0.0
    assert out.results["flexible_contracts"].solved is out.results["baseline"].solved


@pytest.mark.component
def test_a_sequential_step_without_a_plan_ends_the_sequence(monkeypatch):
    """The warehouses step stopped before any plan: routing is never solved, the strategy has
    that step's status, no cost, and the value of integration is null."""
    from cbecopt.highs import SolverOutcome
    from cbecopt.models.network import sequential

    solve = sequential.solve_restriction

    def no_plan_for_warehouses(r, options, risk=None):
        if "use_warehouse" in r.fixed and r.data.markets != ("all",):
            outcome = SolverOutcome(
                Status.NO_SOLUTION, "time limit reached", None, None, None, None, 0.0, 0.0, {}
            )
            return Solved(r, None, outcome)
        return solve(r, options, risk)

    monkeypatch.setattr(sequential, "solve_restriction", no_plan_for_warehouses)
    out = compare_strategies(tiny())
    result = out.results["sequential"]
    assert [name for name, *_ in result.steps] == ["suppliers", "contracts", "warehouses"]
    assert result.status == Status.NO_SOLUTION and result.objective is None
    assert "warehouses: no_solution (time limit reached)" in result.note
    assert out.value_of_integration.value is None
    assert "sequential is no_solution" in out.value_of_integration.reason


@pytest.mark.component
def test_expected_counterfeits_count_inspection_and_units_bought_under_terms():
    """On :func:`tiny_supply` with a free grey supplier, a cheap counterfeit and no late or
    brand-direct rule, the joint plan buys grey units firm and inspects them, and exercises
    the grey option in the high scenario: its expected counterfeit units are
    r_o q_o - (r_o - r'_o) i_o over firm purchases plus the expected r_o b_c - (r_o - r'_o) i_c
    over the units bought under each offer's terms and those of them inspected."""
    d = tiny_supply(
        supplier_fixed=np.array([900.0, 0.0]),
        min_brand_direct_share=0.0,
        max_late_rate=1.0,
        counterfeit_penalty=np.array([20.0]),
    )
    joint = compare_strategies(d).results["joint"]
    solved = joint.solved
    purchase = pd.Series(solved.decided(("purchase",))["purchase"])
    inspected = pd.Series(solved.decided(("inspected",))["inspected"])
    assert inspected[("grey", "k")] > 1.0  # the plan inspects
    rate = {("brand", "k"): 0.0, ("grey", "k"): 0.3}
    clean = {("grey", "k"): 0.02}
    expected = sum(rate[o] * q for o, q in purchase.items())
    expected -= sum((rate[o] - clean[o]) * i for o, i in inspected.items())
    options_bought = 0.0
    for name, p in zip(d.scenario_names, d.probabilities, strict=True):
        block = solved.form.scenario_block(name)
        bought = solved.form.values_of(solved.values, block.bought)
        labels = block.bought.family_labels
        expected += p * sum(rate[label[:2]] * b for label, b in zip(labels, bought, strict=True))
        options_bought += float(bought.sum())
        checked = solved.form.values_of(solved.values, block.inspected)
        labels = block.inspected.family_labels
        expected -= p * sum(
            (rate[label[:2]] - clean[label[:2]]) * i
            for label, i in zip(labels, checked, strict=True)
        )
    assert options_bought > 1.0  # and buys under a term
    assert joint.kpis["expected_counterfeit"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
