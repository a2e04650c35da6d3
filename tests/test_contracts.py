"""The contracts model against closed forms, hand-derived values and brute force.

Sample average approximations (SAA) of a one-SKU problem have an exact answer on the sample
(an order statistic, from the first-order conditions of the piecewise-linear sample
objective) and converge to the closed form of the true problem; the tolerances below are four
asymptotic standard deviations of the SAA solution, computed from the distribution (Shapiro,
Dentcheva and Ruszczyński 2009, sec. 5.1), not chosen to make the test pass.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbecopt
from cbecopt.models.contracts.build import ContractsConfig
from cbecopt.scenarios import generate_demand_scenarios
from cbecopt.seeds import stream_seed
from cbecopt.stochastic.twostage import RiskOptions
from contract_helpers import write_contracts_instance
from oracles.inventory import (
    expected_newsvendor_cost_normal,
    expected_qf_profit_normal,
    newsvendor_normal,
    options_newsvendor_normal,
    quantity_flexibility_normal,
)

N01 = NormalDist()


def one_sku(folder, products, contracts, mean=None, std=None, scenarios=None):
    """A one-SKU instance 'A' from supplier rows; demand as mean/std or as (name, p, quantity)."""
    if scenarios is None:
        demand = [{"sku": "A", "quantity": mean, "std": std}]
        table = None
    else:
        demand = [{"sku": "A", "scenario": n, "quantity": q} for n, _, q in scenarios]
        table = [(n, p) for n, p, _ in scenarios]
    return write_contracts_instance(
        folder, [{"sku": "A", **products}], [{"sku": "A", **c} for c in contracts], demand, table
    )


def sampled_demand(instance, n, seed):
    """The demand ``solve`` samples with ``SolveOptions(seed=seed)``: drawn with the seed of the
    ``scenarios`` stream of the seed tree rooted at ``seed``."""
    scenarios_seed = stream_seed(seed, "scenarios")
    rows, _ = generate_demand_scenarios(instance.tables["demand"], n, "normal", scenarios_seed)
    return rows["quantity"].to_numpy(float)


def solve(instance, seed: int = 0, **config):
    """Solve the contracts model; ``seed`` is the call's one seed (it drives the sampling)."""
    options = cbecopt.SolveOptions(seed=seed)
    result = cbecopt.solve(instance, "contracts", options, ContractsConfig(**config))
    assert result.status == cbecopt.Status.OPTIMAL
    return result


def committed(result, kind):
    table = result.tables["contracts"]
    return float(table.loc[table["type"] == kind, "quantity"].sum())


# --- Snyder and Shen, Example 4.3: h = 0.18, p = 0.70, D ~ N(50, 8) ------------------------

H, P, MU, SIGMA = 0.18, 0.70, 50.0, 8.0


@pytest.fixture(scope="module")
def newsvendor(tmp_path_factory):
    # Free firm units, leftovers cost h (salvage -h), shortages cost p: the textbook cost exactly.
    folder = one_sku(
        tmp_path_factory.mktemp("nv"),
        {"price": 0, "salvage_value": -H, "lost_sale_penalty": P},
        [{"supplier": "s1", "type": "firm", "unit_price": 0}],
        MU,
        SIGMA,
    )
    return cbecopt.load_instance(folder)


@pytest.mark.unit
def test_closed_form_newsvendor_is_snyder_shen_example_4_3():
    solution = newsvendor_normal(MU, SIGMA, H, P)
    assert solution.order == pytest.approx(56.603956, abs=1e-6)
    assert solution.expected_cost == pytest.approx(1.997605, abs=1e-6)


# The tolerances scale with 1/sqrt(n), so every n checks convergence at the same 4 standard
# deviations; the largest sample only repeats the path, slowly: it runs with `make test-slow`.
LARGE_SAMPLE = pytest.mark.slow


@pytest.mark.component
@pytest.mark.parametrize("n", [250, 1000, pytest.param(4000, marks=LARGE_SAMPLE)])
def test_saa_newsvendor_is_the_sample_quantile_and_converges_to_snyder_shen(newsvendor, n):
    result = solve(newsvendor, samples=n, seed=7)
    q = committed(result, "firm")
    ratio = P / (P + H)
    # Exact on the sample: the ceil(ratio * n)-th smallest demand (ratio * n is not an integer).
    sample = np.sort(sampled_demand(newsvendor, n, 7))
    assert q == pytest.approx(sample[math.ceil(ratio * n) - 1], abs=1e-6)
    # The sample objective at q is the model's objective.
    assert result.objective == pytest.approx(
        float(np.mean(H * np.maximum(q - sample, 0) + P * np.maximum(sample - q, 0))), rel=1e-9
    )
    # Converges: within 4 standard deviations of the sample quantile's asymptotic law.
    q_star = MU + SIGMA * N01.inv_cdf(ratio)
    density = N01.pdf((q_star - MU) / SIGMA) / SIGMA
    sd = math.sqrt(ratio * (1 - ratio) / n) / density
    assert abs(q - 56.603956) <= 4 * sd
    # Its true expected cost is within the quadratic bound that distance allows.
    excess = expected_newsvendor_cost_normal(q, MU, SIGMA, H, P) - 1.997605
    assert -1e-6 <= excess <= 0.5 * (H + P) * density * (4 * sd) ** 2 + 1e-6


# --- Call options: p = 100, w = 50, o = 10, e = 45, v = 20, D ~ N(1000, 300) --------------


@pytest.mark.unit
def test_closed_form_options_newsvendor():
    solution = options_newsvendor_normal(1000, 300, 100, 50, 10, 45, 20)
    assert solution.firm == pytest.approx(747.514, abs=1e-3)
    assert solution.options == pytest.approx(525.024, abs=1e-3)
    assert solution.expected_profit == pytest.approx(43543.33, abs=0.01)
    assert solution.expected_profit_firm_only == pytest.approx(40899.31, abs=0.01)


@pytest.mark.component
@pytest.mark.parametrize("n", [999, pytest.param(3999, marks=LARGE_SAMPLE)])
def test_saa_options_matches_the_sample_fractiles_and_the_closed_form(tmp_path, n):
    """n is one less than a multiple of 1000 so that neither fractile times n is an integer
    (the sample answer is then one order statistic); the bound is 4 standard deviations at
    that n, valid for either sample size."""
    seed = 3
    folder = one_sku(
        tmp_path / "x",
        {"price": 100, "salvage_value": 20},
        [
            {"supplier": "s1", "type": "firm", "unit_price": 50},
            {"supplier": "s2", "type": "option", "premium": 10, "exercise_price": 45},
        ],
        1000,
        300,
    )
    instance = cbecopt.load_instance(folder)
    result = solve(instance, samples=n, seed=seed)
    firm, options = committed(result, "firm"), committed(result, "option")
    sample = np.sort(sampled_demand(instance, n, seed))
    low, high = (10 + 45 - 50) / (45 - 20), (100 - 45 - 10) / (100 - 45)
    assert firm == pytest.approx(sample[math.ceil(low * n) - 1], abs=1e-6)
    assert firm + options == pytest.approx(sample[math.ceil(high * n) - 1], abs=1e-6)
    for fractile, value, exact in ((low, firm, 747.514), (high, firm + options, 747.514 + 525.024)):
        density = N01.pdf(N01.inv_cdf(fractile)) / 300
        assert abs(value - exact) <= 4 * math.sqrt(fractile * (1 - fractile) / n) / density
    # Options are worth having: the firm-only plan on the same sample earns less.
    firm_only = solve(instance, samples=n, seed=seed, types=("firm",))
    assert -firm_only.objective < -result.objective


# --- Quantity flexibility: p = 55, w = 36, v = 25, up = 0.3, down = 0, D ~ N(4000, 1600) ---


@pytest.mark.unit
def test_closed_form_quantity_flexibility_is_4011_15():
    assert quantity_flexibility_normal(4000, 1600, 55, 36, 25, 0.3, 0.0).commitment == (
        pytest.approx(4011.15, abs=0.005)
    )


@pytest.mark.component
@pytest.mark.parametrize("n", [1000, pytest.param(4000, marks=LARGE_SAMPLE)])
def test_saa_quantity_flexibility_converges_to_tsay(tmp_path, n):
    """The bound is 4 asymptotic standard deviations at n, valid for either sample size."""
    seed, p, w, v, up = 11, 55.0, 36.0, 25.0, 0.3
    folder = one_sku(
        tmp_path / "x",
        {"price": p, "salvage_value": v},
        [{"supplier": "s1", "type": "quantity_flexibility", "unit_price": w, "flex_up": up}],
        4000,
        1600,
    )
    result = solve(cbecopt.load_instance(folder), samples=n, seed=seed)
    r = committed(result, "quantity_flexibility")
    r_star = 4011.15
    # Asymptotic sd of an SAA root of the first-order condition: sqrt(Var g) / (sqrt(n) |Pi''|).
    # (Clipping normal draws at 0 does not move F above 0, so r* is unchanged.)
    f = lambda x: N01.pdf((x - 4000) / 1600) / 1600  # noqa: E731
    big_f = lambda x: N01.cdf((x - 4000) / 1600)  # noqa: E731
    var_g = ((1 + up) * (p - w)) ** 2 * (1 - big_f((1 + up) * r_star)) + (w - v) ** 2 * big_f(
        r_star
    )
    curvature = (1 + up) ** 2 * (p - w) * f((1 + up) * r_star) + (w - v) * f(r_star)
    sd = math.sqrt(var_g / n) / curvature
    assert abs(r - r_star) <= 4 * sd
    best = expected_qf_profit_normal(r_star, 4000, 1600, p, w, v, up, 0.0)
    assert (
        expected_qf_profit_normal(r, 4000, 1600, p, w, v, up, 0.0)
        >= best - 0.5 * curvature * (4 * sd) ** 2
    )


# --- Hand-derived stochastic report and CVaR ---------------------------------------------


@pytest.mark.component
def test_stochastic_report_by_hand(tmp_path):
    """Newsvendor (h 0.18, p 0.70) on demands 40 / 50 / 70 with probabilities 0.3 / 0.5 / 0.2.

    RP orders 50 (the 0.795-fractile): 0.3 * 0.18 * 10 + 0.2 * 0.70 * 20 = 3.34. EV plans on the
    mean 51 at cost 0; EEV = 0.3 * 0.18 * 11 + 0.5 * 0.18 * 1 + 0.2 * 0.70 * 19 = 3.344. WS = 0.
    """
    folder = one_sku(
        tmp_path / "x",
        {"price": 0, "salvage_value": -H, "lost_sale_penalty": P},
        [{"supplier": "s1", "type": "firm", "unit_price": 0}],
        scenarios=[("low", 0.3, 40), ("mid", 0.5, 50), ("high", 0.2, 70)],
    )
    result = cbecopt.solve(cbecopt.load_instance(folder), "contracts", reports=("stochastic",))
    report = result.reports["stochastic"]
    expected = {"rp": 3.34, "ev": 0.0, "eev": 3.344, "ws": 0.0, "evpi": 3.34, "vss": 0.004}
    for key, value in expected.items():
        assert report[key] == pytest.approx(value, abs=1e-9), key
    assert committed(result, "firm") == pytest.approx(50)
    assert set(result.tables["stochastic"]["measure"]) == {"RP", "EV", "EEV", "WS", "EVPI", "VSS"}
    assert '"stochastic"' in result.to_json()


@pytest.mark.component
def test_var_and_cvar_of_losses_10_20_30_40(tmp_path):
    """No contract at all: every unit is lost at penalty 1, so scenario costs are the demands."""
    folder = one_sku(
        tmp_path / "x",
        {"price": 0, "lost_sale_penalty": 1},
        [{"supplier": "s1", "type": "firm", "unit_price": 5}],
        scenarios=[(f"s{q}", 0.25, q) for q in (10, 20, 30, 40)],
    )
    instance = cbecopt.load_instance(folder)
    neutral = cbecopt.solve(instance, "contracts", config=ContractsConfig(risk=RiskOptions(0, 0.6)))
    assert neutral.kpis["cost_var"] == pytest.approx(30)
    assert neutral.kpis["cost_cvar"] == pytest.approx(36.25)
    averse = cbecopt.solve(instance, "contracts", config=ContractsConfig(risk=RiskOptions(1, 0.6)))
    assert averse.objective == pytest.approx(36.25)


@pytest.mark.component
def test_risk_aversion_trades_expected_cost_for_tail_cost(tmp_path):
    folder = one_sku(
        tmp_path / "x",
        {"price": 10, "salvage_value": 1},
        [
            {"supplier": "s1", "type": "firm", "unit_price": 4},
            {"supplier": "s2", "type": "spot", "unit_price": 9.5},
        ],
        scenarios=[("a", 0.5, 10), ("b", 0.3, 60), ("c", 0.2, 120)],
    )
    instance = cbecopt.load_instance(folder)
    costs = {}
    for weight in (0.0, 0.5, 1.0):
        r = cbecopt.solve(
            instance, "contracts", config=ContractsConfig(risk=RiskOptions(weight, 0.8))
        )
        costs[weight] = (r.kpis["expected_cost"], r.kpis["cost_cvar"])
    assert costs[0.0][0] <= costs[0.5][0] + 1e-9 <= costs[1.0][0] + 2e-9
    assert costs[0.0][1] >= costs[0.5][1] - 1e-9 >= costs[1.0][1] - 2e-9


# --- Brute force on tiny instances --------------------------------------------------------


def recourse_cost(q, m, demand, price, penalty, salvage, exercise, spot_price, spot_cap):
    """Cost of one scenario given firm units q and options m, serving cheapest source first."""
    short = max(demand - q, 0.0)
    value = price + penalty  # what serving one more unit is worth
    take = {}
    cost = 0.0
    for source, unit, cap in sorted(
        [("option", exercise, m), ("spot", spot_price, spot_cap)], key=lambda s: s[1]
    ):
        take[source] = min(cap, short) if unit < value else 0.0
        cost += unit * take[source]
        short -= take[source]
    if exercise < salvage:  # exercising the rest only to salvage it pays
        cost -= (salvage - exercise) * (m - take["option"])
    sold = demand - short
    return cost - price * sold + penalty * short - salvage * max(q - demand, 0.0)


def brute_force(data) -> float:
    d, p = np.array(data["demand"]), np.array(data["probability"])
    firm_cap, opt_cap, moq = data["firm_cap"], data["option_cap"], data["moq"]
    q_lines = {0.0, firm_cap, moq, *d, *(d - data["spot_cap"])}
    m_lines = {0.0, opt_cap}
    sum_lines = {*d, *(d - data["spot_cap"])}
    candidates = {(q, m) for q in q_lines for m in m_lines}
    candidates |= {(q, s - q) for q in q_lines for s in sum_lines}
    candidates |= {(s - m, m) for m in m_lines for s in sum_lines}
    best = math.inf
    for q, m in candidates:
        if not (0 <= q <= firm_cap + 1e-9 and 0 <= m <= opt_cap + 1e-9):
            continue
        if 1e-9 < q < moq - 1e-9:
            continue
        cost = data["w"] * q + data["o"] * m
        cost += sum(
            pi
            * recourse_cost(
                q,
                m,
                di,
                data["price"],
                data["penalty"],
                data["salvage"],
                data["e"],
                data["spot"],
                data["spot_cap"],
            )
            for di, pi in zip(d, p, strict=True)
        )
        best = min(best, cost)
    return best


tiny = st.fixed_dictionaries(
    {
        "demand": st.lists(st.integers(0, 60).map(float), min_size=1, max_size=4),
        "price": st.integers(10, 30).map(float),
        "penalty": st.integers(0, 5).map(float),
        "salvage": st.integers(0, 4).map(float),
        "w": st.integers(5, 12).map(float),
        "o": st.integers(1, 5).map(float),
        "e": st.integers(2, 12).map(float),
        "spot": st.integers(8, 35).map(float),
        "firm_cap": st.integers(0, 70).map(float),
        "option_cap": st.integers(0, 40).map(float),
        "spot_cap": st.integers(0, 30).map(float),
        "moq": st.integers(0, 40).map(float),
        "weights": st.lists(st.integers(1, 5), min_size=4, max_size=4),
    }
)


@pytest.mark.component
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=tiny)
def test_brute_force_firm_options_spot_with_minimum_order(tmp_path_factory, data):
    if data["moq"] > data["firm_cap"]:
        data["moq"] = data["firm_cap"]
    if data["o"] + data["e"] < data["salvage"]:
        data["e"] = data["salvage"]
    weights = np.array(data["weights"][: len(data["demand"])], float)
    data["probability"] = list(weights / weights.sum())
    folder = one_sku(
        tmp_path_factory.mktemp("bf"),
        {
            "price": data["price"],
            "salvage_value": data["salvage"],
            "lost_sale_penalty": data["penalty"],
        },
        [
            {
                "supplier": "s1",
                "type": "firm",
                "unit_price": data["w"],
                "capacity": data["firm_cap"],
                "min_order": data["moq"] or None,
            },
            {
                "supplier": "s2",
                "type": "option",
                "premium": data["o"],
                "exercise_price": data["e"],
                "capacity": data["option_cap"],
            },
            {
                "supplier": "s3",
                "type": "spot",
                "unit_price": data["spot"],
                "capacity": data["spot_cap"],
            },
        ],
        scenarios=[
            (f"s{k}", pk, dk)
            for k, (pk, dk) in enumerate(zip(data["probability"], data["demand"], strict=True))
        ],
    )
    instance = cbecopt.load_instance(folder)
    result = cbecopt.solve(instance, "contracts", cbecopt.SolveOptions(mip_rel_gap=0))
    assert result.status == cbecopt.Status.OPTIMAL
    # HiGHS meets rows to its feasibility tolerance (1e-7 on coefficients up to ~35): 1e-5 absolute.
    assert result.objective == pytest.approx(brute_force(data), abs=1e-5, rel=1e-9)


# --- Policies and capacities --------------------------------------------------------------


@pytest.mark.component
def test_more_flexibility_never_costs_more_on_the_bundled_instance():
    from cbecopt.models.contracts.policies import compare_contracts

    table = compare_contracts(cbecopt.load_instance("instances/contracts_demo")).set_index("policy")
    assert (table["status"] == "optimal").all()
    cost = table["expected_cost"]
    for policy in ("quantity_flexibility", "options", "spot"):
        assert cost["combined"] <= cost[policy] + 1e-6 <= cost["safety_stock"] + 2e-6
        assert table.loc[policy, "value_of_flexibility"] >= -1e-6
    assert table.loc["combined", "fill_rate"] >= table.loc["safety_stock", "fill_rate"]


@pytest.mark.component
def test_supplier_capacity_limits_what_it_promises(tmp_path):
    folder = write_contracts_instance(
        tmp_path / "x",
        [{"sku": "A", "price": 10}, {"sku": "B", "price": 10}],
        [
            {"supplier": "s1", "sku": "A", "type": "firm", "unit_price": 1},
            {
                "supplier": "s1",
                "sku": "B",
                "type": "quantity_flexibility",
                "unit_price": 1,
                "flex_up": 0.5,
            },
        ],
        [{"sku": "A", "quantity": 100}, {"sku": "B", "quantity": 100}],
        supplier_capacity={"s1": 120},
    )
    result = solve(cbecopt.load_instance(folder))
    table = result.tables["contracts"].set_index("sku")
    # Firm A takes one unit of capacity per unit; a QF commitment r ties up 1.5 r.
    assert table.loc["A", "quantity"] + 1.5 * table.loc["B", "quantity"] == pytest.approx(120)
    # Either way a unit of capacity serves one unit of demand: 200 - 120 are lost.
    assert result.kpis["expected_lost_sales"] == pytest.approx(80)
