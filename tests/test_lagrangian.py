"""``--method lagrangian``: the warehouses model's facility location by Lagrangian
branch-and-bound. Checked against brute force (the knapsack against every subset), against
the compact MILP solved by HiGHS on random instances (several capacities, missing lanes, two
modes per lane), and against the published optima of the 37 small OR-Library instances
(``test_orlib.py``); a stopped search keeps its incumbent with a valid bound; a model the
method does not cover is solved by the MILP, saying why."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.cflp.bound import Fixing, relax
from cbecopt.cflp.branch import solve_cflp
from cbecopt.cflp.knapsack import cover, cover_lp
from cbecopt.cflp.problem import CFLP, from_warehouses
from cbecopt.instance import instance_from_tables
from cbecopt.models.warehouses.build import WarehousesData
from cbecopt.models.warehouses.generate import generate_warehouses
from test_cli import cbecopt_in_process

EXACT = cbecopt.SolveOptions(mip_rel_gap=1e-9, threads=1)


def _cheapest_cover_by_brute_force(cost, capacity, need, free) -> float:
    items = np.flatnonzero(free)
    best = math.inf
    for r in range(len(items) + 1):
        for chosen in itertools.combinations(items, r):
            chosen = list(chosen)
            if capacity[chosen].sum() >= need:
                best = min(best, cost[chosen].sum())
    return best


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("equal", marks=pytest.mark.unit),
        pytest.param("whole", marks=pytest.mark.unit),
        pytest.param("fractional", marks=pytest.mark.component),  # solved by HiGHS
    ],
)
@pytest.mark.parametrize("seed", range(6))
def test_the_knapsack_is_the_cheapest_cover(kind, seed):
    """Each way the knapsack is solved (sorting, dynamic programming, HiGHS) finds the
    cheapest cover that enumerating every subset finds, and its LP relaxation is no more."""
    rng = np.random.default_rng(seed)
    n = 9
    cost = rng.uniform(1, 100, n)
    capacity = {
        "equal": np.full(n, 40.0),
        "whole": rng.integers(5, 60, n).astype(float),
        "fractional": rng.uniform(5, 60, n),
    }[kind]
    free = rng.random(n) < 0.8
    need = 0.5 * capacity[free].sum()
    expected = _cheapest_cover_by_brute_force(cost, capacity, need, free)
    value, chosen = cover(cost, capacity, need, free)
    assert value == pytest.approx(expected, rel=1e-9)
    assert capacity[chosen].sum() >= need and not chosen[~free].any()
    assert cover_lp(cost, capacity, need, free) <= value + 1e-9
    assert cover(cost, capacity, capacity[free].sum() + 1, free) is None


def _random_instance(seed: int, n_warehouses: int = 7, n_markets: int = 12) -> cbecopt.Instance:
    """A generated warehouses instance with some lanes removed and a dearer second mode on
    others (so lanes are missing and a pair has two)."""
    made = generate_warehouses(n_warehouses, n_markets, seed=seed, capacity_ratio=1.4)
    tables = {name: table.copy() for name, table in made.tables.items()}
    arcs = tables["arcs"]
    rng = np.random.default_rng(seed)
    kept = arcs[rng.random(len(arcs)) > 0.15]
    second = kept.sample(frac=0.3, random_state=seed).assign(
        mode="air", unit_cost=lambda a: a["unit_cost"] * 0.9
    )
    tables["arcs"] = pd.concat([kept, second], ignore_index=True)
    return instance_from_tables({"instance": {"name": f"random-{seed}"}}, tables)


@pytest.mark.component
@pytest.mark.parametrize("seed", range(5))
def test_the_search_finds_the_milp_optimum(seed):
    instance = _random_instance(seed)
    milp = cbecopt.solve(instance, "warehouses", EXACT)
    if milp.status == cbecopt.Status.INFEASIBLE:
        pytest.skip("this draw has a market no open set can serve")
    lagrangian = cbecopt.solve(instance, "warehouses", EXACT, method="lagrangian")
    assert milp.status == lagrangian.status == cbecopt.Status.OPTIMAL
    assert lagrangian.objective == pytest.approx(milp.objective, rel=1e-6)
    assert lagrangian.bound <= lagrangian.objective
    markets = lagrangian.tables["markets"]
    assert np.allclose(markets["received"], markets["demand"])
    opened = lagrangian.tables["open"]
    assert (opened["throughput"] <= opened["capacity"].fillna(np.inf) + 1e-6).all()
    assert lagrangian.kpis["total_cost"] == pytest.approx(lagrangian.objective, rel=1e-9)


@pytest.mark.component
@pytest.mark.parametrize("seed", range(3))
def test_every_multiplier_gives_a_bound_below_the_optimum(seed):
    """The Lagrangian bound is a lower bound for any multipliers, and under a fixing on the
    optimum with that fixing: checked at random multipliers against the MILP's optimum."""
    instance = _random_instance(seed)
    milp = cbecopt.solve(instance, "warehouses", EXACT)
    if milp.status != cbecopt.Status.OPTIMAL:
        pytest.skip("this draw has no feasible plan")
    p = from_warehouses(WarehousesData.from_instance(instance))
    rng = np.random.default_rng(seed)
    finite = np.where(np.isfinite(p.cost), p.cost, np.nan)
    for _ in range(20):
        u = np.nanmin(finite, axis=0) * rng.uniform(0.5, 3.0, len(p.demand))
        assert relax(p, u, Fixing.none(len(p.fixed))).value <= milp.objective + 1e-6


@pytest.mark.component
def test_a_stopped_search_keeps_its_incumbent_and_a_valid_bound():
    instance = _random_instance(1, n_warehouses=12, n_markets=30)
    milp = cbecopt.solve(instance, "warehouses", EXACT)
    p = from_warehouses(WarehousesData.from_instance(instance))
    stopped = solve_cflp(p, stop=lambda: True)
    assert not stopped.proved and stopped.termination == "stopped"
    assert stopped.bound <= milp.objective + 1e-6 <= stopped.objective + 1e-6


@pytest.mark.component
def test_no_cover_at_all_is_left_to_the_milp_for_its_diagnosis():
    p = CFLP(np.ones(2), np.array([1.0, 1.0]), np.array([5.0]), np.ones((2, 1)))
    assert solve_cflp(p).infeasible
    instance = _random_instance(0)
    tables = {name: table.copy() for name, table in instance.tables.items()}
    nodes = tables["nodes"]
    nodes.loc[nodes["kind"] == "overseas_warehouse", "capacity"] = 1.0
    short = instance_from_tables({"instance": {"name": "short"}}, tables)
    result = cbecopt.solve(short, "warehouses", EXACT, method="lagrangian")
    assert result.status == cbecopt.Status.INFEASIBLE and result.diagnosis
    assert any("compact MILP" in w for w in result.warnings)


@pytest.mark.component
@pytest.mark.parametrize(
    "config", [cbecopt.WarehousesConfig(single_source=True), cbecopt.WarehousesConfig(max_open=6)]
)
def test_a_model_the_method_does_not_cover_is_solved_by_the_milp(config):
    instance = _random_instance(2)
    milp = cbecopt.solve(instance, "warehouses", EXACT, config)
    result = cbecopt.solve(instance, "warehouses", EXACT, config, method="lagrangian")
    assert result.status == milp.status
    assert result.objective == pytest.approx(milp.objective, rel=1e-9)
    assert any("solved by the compact MILP" in w for w in result.warnings)


@pytest.mark.integration
def test_the_command_line_reports_the_proved_optimum(benchmarks, tmp_path):
    path = benchmarks / "orlib_cap" / "cap41.txt"
    out = str(tmp_path / "out")
    args = ["solve", str(path), "--format", "orlib-cap", "--method", "lagrangian", "--json"]
    done = cbecopt_in_process(*args, "--out", out)
    shown = json.loads(done.stdout)
    assert done.returncode == 0 and shown["status"] == "optimal", done.stderr
    assert shown["solver"]["name"] == "lagrangian" and shown["gap"] <= 1e-6
    assert shown["objective"] == pytest.approx(1040444.375, rel=1e-9)  # capopt's cap41


@pytest.mark.component
def test_ctrl_c_inside_the_root_leaves_no_bound():
    """Interrupted before the root's ascent ends, the search has proved nothing: the result
    keeps its incumbent without a bound (it once reported the incumbent as its own bound)."""
    instance = _random_instance(1, n_warehouses=12, n_markets=30)
    p = from_warehouses(WarehousesData.from_instance(instance))
    calls = []

    def interrupt():
        calls.append(1)
        if len(calls) == 3:  # inside the root's ascent
            raise KeyboardInterrupt
        return False

    stopped = solve_cflp(p, stop=interrupt)
    assert stopped.termination == "interrupted" and not stopped.proved
    assert stopped.bound == -math.inf and stopped.objective is not None
