"""Models rebuilt from the shared families (``cbecopt.families``) solve to the objectives they
had before, on the bundled instances and a few generated ones.

The numbers were measured on the code before the families (commit c1f8033, rows written by
position arithmetic), solved to a zero gap with one thread; every model compiles to the same
rows, so the optima agree to the last digits. The routing model is no longer here: its
formulation changed on purpose since (general trade through a domestic warehouse, holding on
the average stock, peak-stock volume: issue 11), and the hand-derived, brute-force, greedy and
independent-LP oracles of ``tests/test_routing*.py`` hold it.
"""

from __future__ import annotations

import pytest

import cbecopt
from cbecopt.models.contracts.build import ContractsConfig
from cbecopt.models.contracts.generate import generate_contracts
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.stochastic.twostage import RiskOptions

pytestmark = pytest.mark.component

OPTIONS = cbecopt.SolveOptions(mip_rel_gap=0, threads=1)


def with_supplier_capacity(instance, capacity: float):
    """Every other supplier node (in table order) capped at ``capacity`` units."""
    nodes = instance.tables["nodes"].copy()
    suppliers = nodes.index[nodes["kind"] == "supplier"][::2]
    nodes.loc[suppliers, "capacity"] = capacity
    return instance.with_tables(nodes=nodes)


POLICIES = SuppliersConfig(
    max_late_rate=0.2,
    max_suppliers=20,
    max_supplier_share=0.8,
    max_counterfeit_rate=0.05,
    min_brand_direct_share=0.1,
)
SUPPLIERS = [
    ("demo", lambda: cbecopt.load_instance("instances/suppliers_demo"), None, 53126763.636468306),
    (
        "demo-policies",
        lambda: cbecopt.load_instance("instances/suppliers_demo"),
        POLICIES,
        52866784.35646476,
    ),
    (
        "demo-counterfeit",
        lambda: cbecopt.load_instance("instances/suppliers_demo"),
        SuppliersConfig(objective="counterfeit"),
        127.520232,
    ),
    ("gen-0", lambda: generate_suppliers(30, 8, seed=0), None, 31140147.6378991),
    ("gen-1", lambda: generate_suppliers(30, 8, seed=1), None, 13391320.562556287),
    ("gen-2", lambda: generate_suppliers(30, 8, seed=2), None, 30836506.27178644),
    (
        "gen-0-capacity",
        lambda: with_supplier_capacity(generate_suppliers(30, 8, seed=0), 5000.0),
        None,
        31155812.1462511,
    ),
    (
        "gen-2-capacity",
        lambda: with_supplier_capacity(generate_suppliers(30, 8, seed=2), 5000.0),
        None,
        30843359.2957036,
    ),
]


@pytest.mark.parametrize(
    "make, config, before", [c[1:] for c in SUPPLIERS], ids=[c[0] for c in SUPPLIERS]
)
def test_suppliers_objective_is_the_one_before_the_families(make, config, before):
    result = cbecopt.solve(make(), "suppliers", OPTIONS, config)
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(before, rel=1e-9)


CONTRACTS = [
    ("demo", lambda: cbecopt.load_instance("instances/contracts_demo"), None, -6161090.589896667),
    (
        "demo-cvar",
        lambda: cbecopt.load_instance("instances/contracts_demo"),
        ContractsConfig(risk=RiskOptions(0.5, 0.9)),
        -4069450.164583333,
    ),
    ("gen-0", lambda: generate_contracts(5, 4, seed=0), None, -139848.03285059877),
    ("gen-1", lambda: generate_contracts(5, 4, seed=1), None, -254288.96998374406),
    ("gen-2", lambda: generate_contracts(5, 4, seed=2), None, -213266.2729458336),
]


@pytest.mark.parametrize(
    "make, config, before", [c[1:] for c in CONTRACTS], ids=[c[0] for c in CONTRACTS]
)
def test_contracts_objective_is_the_one_before_the_families(make, config, before):
    result = cbecopt.solve(make(), "contracts", OPTIONS, config)
    assert result.status == cbecopt.Status.OPTIMAL
    assert result.objective == pytest.approx(before, rel=1e-9)
