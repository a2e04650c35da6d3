"""Infeasibility diagnoses name the binding group, on instances worked out by hand.

A group of markets (SKUs) that only a few warehouses (suppliers) can serve may be short
although every market (SKU) alone and the total are fine: the diagnosis finds it as the
minimum cut of a maximum flow and names its members, its demand, what binds it and by how
much it is short. Where a single market, the total, the open-count limits or single sourcing
are the clearer cause, their own messages stay, alone.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

import cbecopt
from cbecopt.models.suppliers.build import SuppliersConfig
from contract_helpers import write_contracts_instance
from helpers import write_instance
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process
from test_suppliers import write as write_suppliers

NODES = "id,kind,capacity,fixed_cost\n"
ARCS = "origin,destination,unit_cost,capacity\n"


def warehouses(folder, warehouse_capacity: dict, lanes: list, demand: dict):
    """``lanes`` are (warehouse, market, lane capacity or None)."""
    nodes = NODES + "".join(
        f"{w},overseas_warehouse,{c},0\n" for w, c in warehouse_capacity.items()
    )
    nodes += "".join(f"{m},market,,\n" for m in demand)
    arcs = ARCS + "".join(f"{w},{m},1,{'' if u is None else u}\n" for w, m, u in lanes)
    rows = "market,quantity\n" + "".join(f"{m},{q}\n" for m, q in demand.items())
    return write_instance(folder, nodes=nodes, arcs=arcs, demand=rows)


CLUSTER = {
    "warehouse_capacity": {"W1": 50, "W2": 50, "W3": 1000, "W4": 40},
    "lanes": [
        ("W1", "A", None),
        ("W1", "B", None),
        ("W2", "A", None),
        ("W2", "B", None),
        ("W3", "B", 5),
        ("W3", "C", None),
        ("W4", "D", None),
        ("W4", "E", None),
    ],
    "demand": {"A": 60, "B": 60, "C": 10, "D": 30, "E": 30},
}
"""A and B (120) reach only W1 and W2 (50 each) and 5 units on the lane from W3: 105, short
by 15; D and E (60) reach only W4 (40): short by 20. Alone, A can get 100, B 105, C 1000,
D and E 40 each, all enough; the total capacity 1140 exceeds the total demand 190."""
CLUSTER_CAUSES = [
    "markets 'A', 'B' need 120 units together but can receive at most 105 (warehouses 'W1', "
    "'W2' hold 100 and lanes from 'W3' carry 5): short by 15 units; raise these capacities or "
    "add lanes to these markets from other warehouses",
    "markets 'D', 'E' need 60 units together but can receive at most 40 (warehouses 'W4' hold "
    "40): short by 20 units; raise these capacities or add lanes to these markets from other "
    "warehouses",
]


@pytest.mark.component
def test_a_cluster_of_markets_short_of_its_warehouses_is_named(tmp_path):
    instance = cbecopt.load_instance(warehouses(tmp_path / "x", **CLUSTER))
    demand = instance.tables["demand"]
    for market in CLUSTER["demand"]:  # every market alone can be served
        alone = instance.with_tables(demand=demand[demand["market"] == market])
        assert cbecopt.solve(alone).status == cbecopt.Status.OPTIMAL
    result = cbecopt.solve(instance)
    assert result.status == cbecopt.Status.INFEASIBLE
    assert sorted(result.diagnosis) == CLUSTER_CAUSES


@pytest.mark.integration
def test_the_command_line_prints_the_binding_group_and_exits_3(tmp_path):
    folder = warehouses(tmp_path / "x", **CLUSTER)
    run = run_cbecopt("solve", str(folder), "--json")
    assert run.returncode == 3, run.stderr
    assert sorted(json.loads(run.stdout)["diagnosis"]) == CLUSTER_CAUSES
    run = run_cbecopt("solve", str(folder))
    assert run.returncode == 3
    printed = " ".join((run.stdout + run.stderr).split())
    assert "markets 'A', 'B' need 120 units together" in printed
    assert "short by 15 units" in printed and "short by 20 units" in printed


@pytest.mark.component
@pytest.mark.parametrize(
    ("case", "config", "cause"),
    [
        (  # A (150) reaches only W1 (100): short alone by 50, which is the whole shortfall
            {
                "warehouse_capacity": {"W1": 100, "W2": 100},
                "lanes": [("W1", "A", None), ("W2", "B", None)],
                "demand": {"A": 150, "B": 10},
            },
            {},
            "market 'A' needs 150 units but its lanes and warehouses can deliver at most 100: "
            "raise lane or warehouse capacity",
        ),
        (  # 120 units, 100 of capacity, every lane open
            {
                "warehouse_capacity": {"W1": 50, "W2": 50},
                "lanes": [
                    ("W1", "A", None),
                    ("W1", "B", None),
                    ("W2", "A", None),
                    ("W2", "B", None),
                ],
                "demand": {"A": 60, "B": 60},
            },
            {},
            "total warehouse capacity 100 is short of total demand 120 by 20 units",
        ),
        (  # one warehouse may open and holds 100 of the 120
            {
                "warehouse_capacity": {"W1": 100, "W2": 100},
                "lanes": [
                    ("W1", "A", None),
                    ("W1", "B", None),
                    ("W2", "A", None),
                    ("W2", "B", None),
                ],
                "demand": {"A": 60, "B": 60},
            },
            {"max_open": 1},
            "at most 1 warehouses may open, and the 1 largest hold 100, short of total demand "
            "120: raise max_open",
        ),
        (
            {
                "warehouse_capacity": {"W1": 100, "W2": 100},
                "lanes": [("W1", "A", None), ("W2", "A", None)],
                "demand": {"A": 60},
            },
            {"min_open": 3},
            "min_open is 3 but there are only 2 candidate warehouses",
        ),
        (  # 60 units from one warehouse, each holds 50 (together 100: the flow is no cause)
            {
                "warehouse_capacity": {"W1": 50, "W2": 50},
                "lanes": [("W1", "A", None), ("W2", "A", None)],
                "demand": {"A": 60},
            },
            {"single_source": True},
            "market 'A' needs 60 units from a single warehouse, but the most any one can "
            "deliver is 50: allow multi-sourcing or raise capacity",
        ),
    ],
    ids=["single_market", "total", "max_open", "min_open", "single_source"],
)
def test_the_clearer_cause_stays_alone(tmp_path, case, config, cause):
    instance = cbecopt.load_instance(warehouses(tmp_path / "x", **case))
    result = cbecopt.solve(instance, config=cbecopt.WarehousesConfig(**config))
    assert result.status == cbecopt.Status.INFEASIBLE
    assert result.diagnosis == [cause]


# --- Suppliers -------------------------------------------------------------------------------


def suppliers(folder, supplier_capacity: dict, offers: list, demand: dict):
    """``offers`` are (supplier, SKU, offer capacity or None), every unit at price 10."""
    rows = [{"supplier": s, "sku": k, "capacity": c} for s, k, c in offers]
    breaks = [(s, k, 0, 10) for s, k, _ in offers]
    nodes = [{"id": s, "kind": "supplier", "capacity": c} for s, c in supplier_capacity.items()]
    return write_suppliers(folder, rows, breaks, list(demand.items()), nodes)


SHARED_SUPPLIERS = {
    "supplier_capacity": {"S1": 50, "S2": 50, "S3": 1000},
    "offers": [
        ("S1", "A", None),
        ("S1", "B", None),
        ("S2", "A", None),
        ("S2", "B", None),
        ("S3", "B", 5),
        ("S3", "C", None),
    ],
    "demand": {"A": 60, "B": 60, "C": 10},
}
"""A and B (120) are offered by S1 and S2 (capacity 50 each over all their SKUs) and by S3 for
at most 5 units of B: 105, short by 15. Alone A can get 100, B 105, C 1000."""
SHARED_CAUSE = (
    "SKUs 'A', 'B' need 120 units together but their offers can supply at most 105 (suppliers "
    "'S1', 'S2' have capacity 100 over all their SKUs and the offers of 'S3' for 'B' can supply "
    "5): short by 15 units; raise these capacities or add offers from other suppliers"
)


@pytest.mark.component
@pytest.mark.parametrize("rule", ["exact", "at_least"])
def test_skus_short_of_the_suppliers_they_share_are_named(tmp_path, rule):
    instance = cbecopt.load_instance(suppliers(tmp_path / "x", **SHARED_SUPPLIERS))
    demand = instance.tables["demand"]
    for sku in SHARED_SUPPLIERS["demand"]:
        alone = instance.with_tables(demand=demand[demand["sku"] == sku])
        assert cbecopt.solve(alone, "suppliers").status == cbecopt.Status.OPTIMAL
    result = cbecopt.solve(instance, "suppliers", config=SuppliersConfig(demand=rule))
    assert result.status == cbecopt.Status.INFEASIBLE
    assert result.diagnosis == [SHARED_CAUSE]


@pytest.mark.integration
def test_the_command_line_names_the_skus_and_suppliers_and_exits_3(tmp_path):
    folder = suppliers(tmp_path / "x", **SHARED_SUPPLIERS)
    run = run_cbecopt("solve", str(folder), "--model", "suppliers", "--json")
    assert run.returncode == 3, run.stderr
    assert json.loads(run.stdout)["diagnosis"] == [SHARED_CAUSE]


@pytest.mark.component
def test_one_sku_short_of_its_suppliers_capacities(tmp_path):
    """X needs 100 from S1 (30) and S2 (40), whose offers have no limit of their own: 70."""
    folder = suppliers(
        tmp_path / "x", {"S1": 30, "S2": 40}, [("S1", "X", None), ("S2", "X", None)], {"X": 100}
    )
    result = cbecopt.solve(cbecopt.load_instance(folder), "suppliers")
    assert result.status == cbecopt.Status.INFEASIBLE
    assert result.diagnosis == [
        "SKU 'X': its offers can supply 70 units in all (within their suppliers' capacities), "
        "short of demand 100"
    ]


# --- Unbounded ----------------------------------------------------------------------------------


@pytest.mark.unit
def test_each_model_says_what_can_make_it_unbounded():
    texts = {key: spec.unbounded for key, spec in cbecopt.MODELS.items()}
    assert len(set(texts.values())) == len(texts)
    for key, text in texts.items():
        assert key in text or "contract" in text
    assert "salvage_value" in texts["routing"] and "salvage_value" in texts["contracts"]


@pytest.mark.component
def test_an_unbounded_contract_is_diagnosed_by_its_model(tmp_path):
    """A firm contract at 4 without capacity for a SKU salvaged at 5 buys without end;
    load_instance refuses it, so the network the model reads is altered after loading."""
    folder = write_contracts_instance(
        tmp_path / "x",
        [{"sku": "A", "price": 10, "salvage_value": 5}],
        [{"supplier": "s1", "sku": "A", "type": "firm", "unit_price": 6}],
        [{"sku": "A", "quantity": 10}],
    )
    instance = cbecopt.load_instance(folder)
    network = instance.network
    contracts = network.contracts.assign(unit_price=4.0)
    altered = dataclasses.replace(
        instance, network=dataclasses.replace(network, contracts=contracts)
    )
    result = cbecopt.solve(altered, "contracts")
    assert result.status == cbecopt.Status.UNBOUNDED
    assert result.diagnosis == [cbecopt.MODELS["contracts"].unbounded]
