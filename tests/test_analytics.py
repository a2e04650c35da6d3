"""The closed-form oracles of inventory and contract theory (``oracles.inventory``) and the risk
measures of cbecopt reproduce published numbers."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from cbecopt.analytics import var_cvar
from cbecopt.errors import OptionError
from oracles.inventory import (
    NewsvendorSolution,
    OptionsSolution,
    QFSolution,
    expected_newsvendor_cost_normal,
    expected_options_profit_normal,
    expected_qf_profit_normal,
    newsvendor_normal,
    normal_cdf,
    normal_loss,
    normal_pdf,
    normal_ppf,
    options_newsvendor_normal,
    quantity_flexibility_normal,
)

pytestmark = pytest.mark.unit

# Worked examples (parameters and published answers).
SNYDER_SHEN_4_3 = {"mean": 50.0, "std": 8.0, "overage": 0.18, "underage": 0.70}
OPTIONS_EXAMPLE = {
    "mean": 1000.0,
    "std": 300.0,
    "price": 100.0,
    "wholesale": 50.0,
    "premium": 10.0,
    "exercise": 45.0,
    "salvage": 20.0,
}
QF_EXAMPLE = {
    "mean": 4000.0,
    "std": 1600.0,
    "price": 55.0,
    "wholesale": 36.0,
    "salvage": 25.0,
    "up": 0.30,
    "down": 0.0,
}


# --- normal distribution -------------------------------------------------------------------


def test_normal_functions_agree_with_statistics_normaldist():
    dist = NormalDist(3.0, 2.0)
    for x in (-5.0, 0.0, 1.3, 3.0, 7.9):
        assert normal_pdf(x, 3.0, 2.0) == pytest.approx(dist.pdf(x), rel=1e-14)
        assert normal_cdf(x, 3.0, 2.0) == pytest.approx(dist.cdf(x), rel=1e-14)
    for p in (1e-10, 0.025, 0.5, 0.8, 1 - 1e-10):
        assert normal_ppf(p, 3.0, 2.0) == pytest.approx(dist.inv_cdf(p), rel=1e-14)


def test_normal_ppf_inverts_normal_cdf_to_1e12_relative():
    for p in (1e-12, 1e-6, 0.01, 0.2, 0.5, 0.79, 0.975, 0.999999):
        assert normal_cdf(normal_ppf(p)) == pytest.approx(p, rel=1e-12)
    assert normal_ppf(0.975) == pytest.approx(1.959963984540054, rel=1e-12)
    assert normal_ppf(0.5) == 0.0


def test_normal_cdf_keeps_upper_tail_accuracy():
    # 1 - Phi(10) = 7.6198530241605e-24; a naive 1 - cdf would give 0.
    assert normal_cdf(-10.0) == pytest.approx(7.619853024160527e-24, rel=1e-12)


def test_normal_loss_matches_its_definition_and_published_values():
    # Tabulated standard normal loss values: L(0) = 1/sqrt(2 pi), L(1) = 0.0833155.
    assert normal_loss(0.0) == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-15)
    assert normal_loss(1.0) == pytest.approx(0.0833155, abs=5e-8)
    for z in (-3.0, -0.7, 0.0, 0.4, 2.5):
        assert normal_loss(-z) == pytest.approx(normal_loss(z) + z, rel=1e-12, abs=1e-15)
        expected = normal_pdf(z) - z * (1 - normal_cdf(z))
        assert normal_loss(z) == pytest.approx(expected, rel=1e-12)
    assert normal_loss(40.0) >= 0.0
    assert normal_loss(-40.0) == pytest.approx(40.0, rel=1e-15)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, math.nan])
def test_normal_ppf_rejects_probabilities_outside_the_open_unit_interval(p):
    with pytest.raises(ValueError, match="p must"):
        normal_ppf(p)


@pytest.mark.parametrize("std", [0.0, -1.0, math.inf])
def test_normal_functions_reject_a_nonpositive_std(std):
    for function in (normal_pdf, normal_cdf):
        with pytest.raises(ValueError, match="std"):
            function(0.0, 0.0, std)
    with pytest.raises(ValueError, match="std"):
        normal_ppf(0.5, 0.0, std)


# --- newsvendor -----------------------------------------------------------------------------


def test_snyder_shen_example_4_3_newsvendor():
    solution = newsvendor_normal(**SNYDER_SHEN_4_3)
    assert isinstance(solution, NewsvendorSolution)
    assert solution.critical_ratio == pytest.approx(0.70 / 0.88, rel=1e-15)
    assert solution.order == pytest.approx(56.603956, abs=1e-5)
    assert solution.expected_cost == pytest.approx(1.997605, abs=1e-5)


def test_snyder_shen_example_4_3_cost_at_the_optimum_equals_the_loss_function_form():
    solution = newsvendor_normal(**SNYDER_SHEN_4_3)
    cost = expected_newsvendor_cost_normal(solution.order, **SNYDER_SHEN_4_3)
    assert cost == pytest.approx(solution.expected_cost, rel=1e-12)


def test_newsvendor_cost_at_the_closed_form_order_is_below_order_plus_or_minus_one():
    solution = newsvendor_normal(**SNYDER_SHEN_4_3)
    best = expected_newsvendor_cost_normal(solution.order, **SNYDER_SHEN_4_3)
    for step in (-1.0, 1.0, -0.01, 0.01):
        other = expected_newsvendor_cost_normal(solution.order + step, **SNYDER_SHEN_4_3)
        assert best < other


def test_newsvendor_cost_matches_monte_carlo():
    rng = np.random.default_rng(20240501)
    demand = rng.normal(50.0, 8.0, 2_000_000)
    h, p = 0.18, 0.70
    for q in (40.0, 56.6, 70.0):
        simulated = float(np.mean(h * np.maximum(q - demand, 0) + p * np.maximum(demand - q, 0)))
        exact = expected_newsvendor_cost_normal(q, 50.0, 8.0, h, p)
        assert exact == pytest.approx(simulated, rel=5e-3)


@pytest.mark.parametrize(
    "changes",
    [{"std": 0.0}, {"std": -8.0}, {"overage": 0.0}, {"underage": -0.7}, {"mean": math.nan}],
)
def test_newsvendor_rejects_parameters_that_make_no_sense(changes):
    with pytest.raises(ValueError):
        newsvendor_normal(**{**SNYDER_SHEN_4_3, **changes})
    with pytest.raises(ValueError):
        expected_newsvendor_cost_normal(50.0, **{**SNYDER_SHEN_4_3, **changes})


# --- options --------------------------------------------------------------------------------


def test_options_example_p100_w50_o10_e45_v20_demand_n1000_300():
    solution = options_newsvendor_normal(**OPTIONS_EXAMPLE)
    assert isinstance(solution, OptionsSolution)
    assert solution.firm == pytest.approx(747.514, abs=0.01)
    assert solution.options == pytest.approx(525.024, abs=0.01)
    assert solution.expected_profit == pytest.approx(43_543.33, abs=0.01)
    assert solution.expected_profit_firm_only == pytest.approx(40_899.31, abs=0.01)


def test_options_example_fractiles_and_firm_only_order():
    solution = options_newsvendor_normal(**OPTIONS_EXAMPLE)
    assert normal_cdf(solution.firm, 1000, 300) == pytest.approx(0.2, rel=1e-12)
    total = solution.firm + solution.options
    assert normal_cdf(total, 1000, 300) == pytest.approx(45 / 55, rel=1e-12)
    assert normal_cdf(solution.firm_only_order, 1000, 300) == pytest.approx(50 / 80, rel=1e-12)


def _simulated_options_profit(demand, q, m, p, w, o, e, v):
    exercised = np.minimum(m, np.maximum(demand - q, 0.0))
    sold = np.minimum(demand, q + exercised)
    leftover = np.maximum(q - demand, 0.0)
    return float(np.mean(p * sold - w * q - o * m - e * exercised + v * leftover))


def test_options_example_expected_profits_match_monte_carlo():
    solution = options_newsvendor_normal(**OPTIONS_EXAMPLE)
    rng = np.random.default_rng(7)
    demand = rng.normal(1000.0, 300.0, 2_000_000)
    prices = (100.0, 50.0, 10.0, 45.0, 20.0)
    simulated = _simulated_options_profit(demand, solution.firm, solution.options, *prices)
    assert solution.expected_profit == pytest.approx(simulated, rel=2e-3)
    firm_only = _simulated_options_profit(demand, solution.firm_only_order, 0.0, *prices)
    assert solution.expected_profit_firm_only == pytest.approx(firm_only, rel=2e-3)


def test_options_expected_profit_is_at_least_the_firm_only_one():
    for changes in ({}, {"premium": 8.0}, {"exercise": 42.0}, {"std": 100.0}, {"salvage": 0.0}):
        solution = options_newsvendor_normal(**{**OPTIONS_EXAMPLE, **changes})
        assert solution.options > 0
        assert solution.expected_profit >= solution.expected_profit_firm_only


def test_options_profit_at_the_closed_form_beats_nearby_orders():
    solution = options_newsvendor_normal(**OPTIONS_EXAMPLE)
    q, m = solution.firm, solution.options
    assert expected_options_profit_normal(q, m, **OPTIONS_EXAMPLE) == pytest.approx(
        solution.expected_profit, rel=1e-15
    )
    for dq, dm in ((-1, 0), (1, 0), (0, -1), (0, 1), (1, -1), (-1, 1)):
        other = expected_options_profit_normal(q + dq, m + dm, **OPTIONS_EXAMPLE)
        assert solution.expected_profit > other
    # With no options the profit of the firm-only order is the firm-only optimum.
    firm_only = expected_options_profit_normal(solution.firm_only_order, 0.0, **OPTIONS_EXAMPLE)
    assert firm_only == pytest.approx(solution.expected_profit_firm_only, rel=1e-12)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"std": 0.0}, "std"),
        ({"premium": 0.0}, "premium"),
        ({"premium": 4.0}, "options dominate firm orders"),  # o + e = 49 <= w = 50
        ({"exercise": 95.0}, "never worth exercising"),  # o + e = 105 >= p
        ({"premium": 30.0}, "dominated by firm orders"),  # F(q*) = 1 > F(q* + m*)
        ({"exercise": 15.0, "premium": 40.0}, "exercise price"),  # e <= v
        ({"wholesale": 15.0}, "salvage < wholesale < price"),
        ({"wholesale": 120.0}, "salvage < wholesale < price"),
    ],
)
def test_options_rejects_prices_that_make_the_problem_degenerate(changes, message):
    with pytest.raises(ValueError, match=message):
        options_newsvendor_normal(**{**OPTIONS_EXAMPLE, **changes})


# --- quantity flexibility -------------------------------------------------------------------


def test_quantity_flexibility_example_p55_w36_v25_up30_demand_n4000_1600():
    solution = quantity_flexibility_normal(**QF_EXAMPLE)
    assert isinstance(solution, QFSolution)
    assert solution.commitment == pytest.approx(4011.15, abs=0.01)


def test_quantity_flexibility_example_satisfies_the_first_order_condition():
    r = quantity_flexibility_normal(**QF_EXAMPLE).commitment
    # down = 0: (w - v) F(r) = (1 + up)(p - w)(1 - F((1 + up) r)).
    left = (36 - 25) * normal_cdf(r, 4000, 1600)
    right = 1.3 * (55 - 36) * (1 - normal_cdf(1.3 * r, 4000, 1600))
    assert left == pytest.approx(right, rel=1e-12)


def _simulated_qf_profit(demand, r, p, w, v, up, down):
    bought = np.minimum(np.maximum(demand, (1 - down) * r), (1 + up) * r)
    sold = np.minimum(demand, bought)
    return float(np.mean(p * sold - w * bought + v * np.maximum(bought - demand, 0.0)))


def test_quantity_flexibility_expected_profit_matches_monte_carlo():
    rng = np.random.default_rng(11)
    demand = rng.normal(4000.0, 1600.0, 2_000_000)
    for changes in ({}, {"down": 0.2}, {"up": 0.0, "down": 0.1}):
        params = {**QF_EXAMPLE, **changes}
        solution = quantity_flexibility_normal(**params)
        simulated = _simulated_qf_profit(
            demand,
            solution.commitment,
            params["price"],
            params["wholesale"],
            params["salvage"],
            params["up"],
            params["down"],
        )
        assert solution.expected_profit == pytest.approx(simulated, rel=3e-3)


def test_quantity_flexibility_profit_at_the_optimum_beats_commitment_plus_or_minus_ten():
    solution = quantity_flexibility_normal(**QF_EXAMPLE)
    r = solution.commitment
    assert solution.expected_profit == pytest.approx(
        expected_qf_profit_normal(r, **QF_EXAMPLE), rel=1e-15
    )
    for delta in (-10.0, 10.0, -0.1, 0.1):
        assert solution.expected_profit > expected_qf_profit_normal(r + delta, **QF_EXAMPLE)


def test_quantity_flexibility_without_flexibility_is_the_newsvendor():
    params = {**QF_EXAMPLE, "up": 0.0, "down": 0.0}
    solution = quantity_flexibility_normal(**params)
    # Plain newsvendor: overage w - v = 11, underage p - w = 19.
    newsvendor = newsvendor_normal(4000.0, 1600.0, 11.0, 19.0)
    assert solution.commitment == pytest.approx(newsvendor.order, rel=1e-12)
    # Expected profit = (p - w) mean - expected newsvendor cost.
    assert solution.expected_profit == pytest.approx(19 * 4000 - newsvendor.expected_cost)


def test_quantity_flexibility_commits_nothing_when_even_the_first_unit_does_not_pay():
    solution = quantity_flexibility_normal(10.0, 10.0, 26.0, 25.0, 0.0, 0.0, 0.0)
    # Pi'(0) = (p - w)(1 - F(0)) - (w - v) F(0) = 1 * 0.84 - 25 * 0.16 < 0.
    assert solution.commitment == 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"std": 0.0}, "std"),
        ({"down": 1.0}, "down must be < 1"),
        ({"down": -0.1}, "down"),
        ({"up": -0.1}, "up"),
        ({"wholesale": 60.0}, "salvage < wholesale < price"),
        ({"salvage": 36.0}, "salvage < wholesale < price"),
    ],
)
def test_quantity_flexibility_rejects_parameters_that_make_no_sense(changes, message):
    with pytest.raises(ValueError, match=message):
        quantity_flexibility_normal(**{**QF_EXAMPLE, **changes})


# --- VaR and CVaR ---------------------------------------------------------------------------


def test_var_cvar_four_equally_likely_losses_alpha_0_6():
    var, cvar = var_cvar([10, 20, 30, 40], [0.25] * 4, 0.6)
    assert var == 30
    assert cvar == pytest.approx(36.25, rel=1e-15)


def test_var_cvar_alpha_on_a_cumulative_probability_boundary():
    var, cvar = var_cvar([10, 20, 30, 40], [0.25] * 4, 0.5)
    assert var == 20
    assert cvar == pytest.approx(20 + (0.25 * 10 + 0.25 * 20) / 0.5, rel=1e-15)
    assert cvar == pytest.approx(35.0, rel=1e-15)  # the mean of the upper half


def test_var_cvar_boundary_survives_rounding_of_the_cumulative_sum():
    # 0.1 + 0.2 = 0.30000000000000004 and sums of tenths stray around exact boundaries.
    losses = list(range(10))
    var, cvar = var_cvar(losses, [0.1] * 10, 0.7)
    assert var == 6
    assert cvar == pytest.approx(8.0, rel=1e-12)  # mean of {7, 8, 9}


def test_var_cvar_handles_unsorted_input_ties_and_zero_probability_outcomes():
    var, cvar = var_cvar([40, 10, 30, 20, 30, 99, -5], [0.25, 0.25, 0.1, 0.25, 0.15, 0, 0], 0.6)
    assert (var, cvar) == pytest.approx((30, 36.25), rel=1e-12)
    # A zero-probability loss above everything else never reaches VaR or CVaR.
    assert var_cvar([1, 2, 1000], [0.5, 0.5, 0.0], 0.99) == pytest.approx((2, 2))


def test_var_cvar_rescales_probabilities_within_the_tolerance():
    var, cvar = var_cvar([10, 20, 30, 40], [0.25, 0.25, 0.25, 0.25 + 4e-7], 0.6)
    assert var == 30
    assert cvar == pytest.approx(36.25, rel=1e-6)


def test_var_cvar_limit_cases():
    losses, probs = [10, 20, 30, 40], [0.25] * 4
    # alpha -> 0: VaR is the smallest loss and CVaR the mean.
    var, cvar = var_cvar(losses, probs, 1e-12)
    assert var == 10
    assert cvar == pytest.approx(25.0, rel=1e-9)
    # alpha -> 1: both are the largest loss.
    var, cvar = var_cvar(losses, probs, 1 - 1e-12)
    assert var == 40
    assert cvar == pytest.approx(40.0, rel=1e-12)
    # One outcome: no risk.
    assert var_cvar([7.5], [1.0], 0.95) == (7.5, 7.5)
    # All losses equal.
    assert var_cvar([3, 3, 3], [0.2, 0.3, 0.5], 0.9) == pytest.approx((3, 3))


def test_var_cvar_matches_the_rockafellar_uryasev_minimum_and_the_tail_mean():
    rng = np.random.default_rng(5)
    losses = rng.normal(size=50)
    probs = rng.random(50)
    probs /= probs.sum()
    for alpha in (0.05, 0.5, 0.9, 0.99):
        var, cvar = var_cvar(losses, probs, alpha)
        # CVaR = min over z of z + E[(L - z)^+]/(1 - alpha); the minimum is at an outcome.
        candidates = [z + np.dot(probs, np.maximum(losses - z, 0)) / (1 - alpha) for z in losses]
        assert cvar == pytest.approx(min(candidates), rel=1e-12, abs=1e-12)
        assert cvar >= var
        assert cvar >= float(np.dot(probs, losses)) - 1e-12
        # P(L < VaR) < alpha <= P(L <= VaR).
        assert probs[losses < var].sum() < alpha <= probs[losses <= var].sum() + 1e-12


@pytest.mark.parametrize(
    ("losses", "probabilities", "alpha", "message"),
    [
        ([10, 20], [0.5, 0.5], 0.0, "alpha"),
        ([10, 20], [0.5, 0.5], 1.0, "alpha"),
        ([10, 20], [0.5, 0.5], 1.2, "alpha"),
        ([10, 20], [0.5, 0.6], 0.5, "sum to 1"),
        ([10, 20], [0.5, 0.5 - 2e-6], 0.5, "sum to 1"),
        ([10, 20], [1.5, -0.5], 0.5, ">= 0"),
        ([10, 20, 30], [0.5, 0.5], 0.5, "same length"),
        ([], [], 0.5, "empty"),
        ([10, math.inf], [0.5, 0.5], 0.5, "finite"),
        ([10, 20], [0.5, math.nan], 0.5, "finite"),
    ],
)
def test_var_cvar_rejects_inputs_that_make_no_sense(losses, probabilities, alpha, message):
    with pytest.raises(OptionError, match=message):
        var_cvar(losses, probabilities, alpha)
