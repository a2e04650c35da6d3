"""Composed models (:mod:`cbecopt.compose`): several models on their own blocks of one Pyomo
model, linked by families written over the parts' labelled variable families.

Without links a composed model is separable, so its optimum is the sum of the parts' optima
solved alone (each verified against published numbers elsewhere). A link is checked against
a brute force written from the data alone: every pair of open sets, the rest an LP solved by
scipy.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import cbecopt
from cbecopt.compose import Part, compose
from cbecopt.labelled import add_family
from cbecopt.models.routing.generate import generate_routing
from cbecopt.stochastic.twostage import RiskOptions, build_extensive_form
from helpers import META, write_instance

ROOT = Path(__file__).resolve().parents[1]
TIGHT = cbecopt.SolveOptions(mip_rel_gap=1e-9)
REL = 1e-6


def bundled(name: str) -> cbecopt.Instance:
    return cbecopt.load_instance(ROOT / "instances" / name)


@pytest.mark.component
def test_warehouses_and_contracts_composed_without_a_link_sum_their_optima():
    warehouses, contracts = bundled("demo"), bundled("contracts_demo")
    risky = cbecopt.ContractsConfig(risk=RiskOptions(0.5, 0.9))  # CVaR on the part's block
    alone = {
        "warehouses": cbecopt.solve(warehouses, "warehouses", TIGHT).objective,
        "contracts": cbecopt.solve(contracts, "contracts", TIGHT, config=risky).objective,
    }
    composed = compose([Part("warehouses", warehouses), Part("contracts", contracts, risky)])
    result = composed.solve(TIGHT)
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(sum(alone.values()), rel=REL)
    assert result.gap <= 1e-6 and result.bound <= result.objective + 1e-6 * abs(result.objective)
    for name, objective in alone.items():  # separable: each part at its own optimum
        assert result.kpis[name]["objective"] == pytest.approx(objective, rel=REL)
    assert composed.model.contracts.component("value_at_risk") is not None
    assert {"warehouses.open", "contracts.contracts", "contracts.scenarios"} <= set(result.tables)
    parts = composed.extract()
    assert parts["warehouses"].tables["open"].equals(result.tables["warehouses.open"])
    assert parts["contracts"].kpis["cost_cvar"] == result.kpis["contracts"]["cost_cvar"]


@pytest.mark.component
def test_contracts_and_routing_composed_without_a_link_sum_their_optima():
    contracts = bundled("contracts_demo")
    routing = generate_routing(5, n_months=3, n_bonded=2, n_markets=3, n_scenarios=3, seed=1)
    alone = cbecopt.solve(contracts, "contracts", TIGHT).objective + (
        cbecopt.solve(routing, "routing", TIGHT).objective
    )
    composed = compose([Part("contracts", contracts), Part("routing", routing)])
    result = composed.solve(TIGHT)
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(alone, rel=REL)
    part = composed.parts["routing"]
    assert len(part.scenarios) == 3
    for s in part.scenarios:  # each scenario on m.routing.scenario[s], families labelled
        assert part.scenario_block(s) is composed.model.routing.scenario[s]
        stock = part.family("stock", scenario=s)
        assert list(stock.labels.names) == ["bonded", "sku", "month"]
    assert list(part.family("use_bonded").labels.names) == ["bonded"]


@pytest.mark.component
def test_two_stage_models_build_on_their_block_with_cvar_and_objective_there():
    problem = cbecopt.MODELS["contracts"].build(bundled("contracts_demo"), None)
    assert problem.key == "contracts"
    form = build_extensive_form(problem, problem.scenarios(), RiskOptions(0.5, 0.9))
    m = form.model
    assert form.block is m.contracts and set(m.component_map()) == {"contracts"}
    for name in form.names:
        assert form.scenario_block(name) is m.contracts.scenario[name]
        assert m.contracts.scenario[name].component("bought") is not None
    assert m.contracts.component("value_at_risk") is not None
    assert m.contracts.component("expected_cost").active
    with pytest.raises(KeyError, match="no scenario block"):
        form.scenario_block("no such scenario")


# --- a link: one hub capacity shared by two warehouses models ---------------------------------
WAREHOUSES = ("w1", "w2", "w3")
MARKETS = ("m1", "m2", "m3")
HUB = np.array([50.0, 50.0, 60.0])  # units per period through w, both models together
TINY = {  # fixed cost, own capacity, demand, unit cost (warehouse x market)
    "east": (
        np.array([50.0, 40.0, 45.0]),
        np.array([60.0, 60.0, 60.0]),
        np.array([30.0, 25.0, 20.0]),
        np.array([[1.0, 4.0, 6.0], [3.0, 1.0, 4.0], [5.0, 3.0, 1.0]]),
    ),
    "west": (
        np.array([30.0, 55.0, 35.0]),
        np.array([50.0, 70.0, 50.0]),
        np.array([20.0, 30.0, 25.0]),
        np.array([[1.0, 2.0, 5.0], [2.0, 1.0, 3.0], [6.0, 2.0, 1.0]]),
    ),
}


def tiny_instance(folder: Path, name: str) -> cbecopt.Instance:
    fixed, capacity, demand, cost = TINY[name]
    nodes = "id,kind,capacity,fixed_cost\n" + "".join(
        f"{w},overseas_warehouse,{c:g},{f:g}\n"
        for w, c, f in zip(WAREHOUSES, capacity, fixed, strict=True)
    )
    nodes += "".join(f"{m},market,,\n" for m in MARKETS)
    arcs = "origin,destination,unit_cost\n" + "".join(
        f"{w},{m},{cost[i, j]:g}\n" for i, w in enumerate(WAREHOUSES) for j, m in enumerate(MARKETS)
    )
    demand_csv = "market,quantity\n" + "".join(
        f"{m},{d:g}\n" for m, d in zip(MARKETS, demand, strict=True)
    )
    return cbecopt.load_instance(write_instance(folder / name, nodes, arcs, demand_csv, META))


def shared_hub(model, parts):
    """Flows out of each warehouse of both models within the hub's capacity."""
    through = parts["east"].family("flow").sum(by="warehouse") + parts["west"].family("flow").sum(
        by="warehouse"
    )
    add_family(
        model,
        "hub_capacity",
        through <= pd.Series(HUB, index=pd.Index(WAREHOUSES, name="warehouse")),
    )


def brute_force_with_hub() -> float:
    """Every pair of open sets; for each the joint transportation LP (scipy) of both models
    with their own capacities and the shared hub capacity."""
    (fa, sa, da, ca), (fb, sb, db, cb) = TINY["east"], TINY["west"]
    n = len(WAREHOUSES) * len(MARKETS)  # x_east (w, j) then x_west (w, j), row-major
    best = np.inf
    for ya, yb in itertools.product(itertools.product((0, 1), repeat=3), repeat=2):
        ya, yb = np.array(ya), np.array(yb)
        a_eq, b_eq, a_ub, b_ub = [], [], [], []
        for offset, demand in ((0, da), (n, db)):
            for j in range(3):
                row = np.zeros(2 * n)
                row[[offset + 3 * w + j for w in range(3)]] = 1.0
                a_eq.append(row)
                b_eq.append(demand[j])
        for w in range(3):
            for offset, capacity, y in ((0, sa, ya), (n, sb, yb)):
                row = np.zeros(2 * n)
                row[offset + 3 * w : offset + 3 * w + 3] = 1.0
                a_ub.append(row)
                b_ub.append(capacity[w] * y[w])
            row = np.zeros(2 * n)
            row[3 * w : 3 * w + 3] = row[n + 3 * w : n + 3 * w + 3] = 1.0
            a_ub.append(row)
            b_ub.append(HUB[w])
        lp = linprog(np.concatenate([ca.ravel(), cb.ravel()]), a_ub, b_ub, a_eq, b_eq)
        if lp.status == 0:
            best = min(best, fa @ ya + fb @ yb + lp.fun)
    return float(best)


@pytest.mark.component
def test_a_hub_capacity_shared_by_two_warehouses_models_matches_brute_force(tmp_path):
    east, west = tiny_instance(tmp_path, "east"), tiny_instance(tmp_path, "west")
    parts = [Part("warehouses", east, name="east"), Part("warehouses", west, name="west")]
    result = compose(parts, link=shared_hub).solve(TIGHT)
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(brute_force_with_hub(), rel=1e-9)
    unlinked = compose(parts).solve(TIGHT).objective
    assert result.objective > unlinked + 1.0  # the hub binds: the link changes the optimum
    through = sum(
        result.tables[f"{p}.open"].set_index("warehouse")["throughput"] for p in ("east", "west")
    )
    assert (through.to_numpy() <= HUB + 1e-6).all()


@pytest.mark.component
def test_the_same_model_twice_lives_on_two_blocks_and_pyomo_solves_it_alike(tmp_path):
    east = tiny_instance(tmp_path, "east")
    single = cbecopt.WarehousesConfig(single_source=True)
    alone = (
        cbecopt.solve(east, "warehouses", TIGHT).objective
        + cbecopt.solve(east, "warehouses", TIGHT, config=single).objective
    )
    composed = compose(
        [Part("warehouses", east, name="multi"), Part("warehouses", east, single, name="single")]
    )
    result = composed.solve(TIGHT)
    assert result.objective == pytest.approx(alone, rel=REL)
    m = composed.model
    assert m.multi.flow is not m.single.flow and m.single.component("assign") is not None
    assert {"multi.open", "single.open"} <= set(result.tables)
    m.write(str(tmp_path / "composed.lp"), io_options={"symbolic_solver_labels": True})
    written = (tmp_path / "composed.lp").read_text()
    assert "multi_flow(" in written and "single_flow(" in written
    appsi = pyo.SolverFactory("appsi_highs")
    appsi.config.mip_gap = 1e-9
    appsi.solve(m)
    assert pyo.value(m.total_cost) == pytest.approx(result.objective, rel=REL)


@pytest.mark.component
def test_a_budget_spent_while_composing_gives_no_solution_saying_where(tmp_path):
    options = cbecopt.SolveOptions(time_limit=1.0).begin()
    options.budget.started = time.monotonic() - 5.0  # the limit is used up
    composed = compose([Part("warehouses", tiny_instance(tmp_path, "east"))], options=options)
    result = composed.solve()
    assert result.status == cbecopt.Status.NO_SOLUTION
    assert "while building the model" in result.termination
    with pytest.raises(ValueError, match="no solution"):
        composed.extract()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("east", "east"), "two parts are named 'east'"),
        ((None, None), "two parts are named 'warehouses'"),
        (("total_cost",), "must be a Python identifier"),
        (("east-1",), "must be a Python identifier"),
    ],
)
def test_part_names_are_distinct_identifiers(names, message):
    with pytest.raises(cbecopt.OptionError, match=message):
        compose([Part("warehouses", None, name=n) for n in names])
