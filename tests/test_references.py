"""The numpy-to-highspy references of the build benchmark are the models cbecopt builds.

``benchmarks.reference.REFERENCES`` builds, for each model that has one, the same model
straight from numpy arrays into highspy, the floor the build benchmark measures cbecopt's
build + handoff against. On small generated instances and the bundled demos, each reference
has the rows, columns and nonzeros of the model cbecopt hands to HiGHS and HiGHS finds the same
optimum in it as ``cbecopt.solve``.
"""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest
from benchmarks.reference import REFERENCES, counts
from benchmarks.registry import WITHOUT_REFERENCE, suite

import cbecopt
from cbecopt.highs import compile_model, new_highs
from cbecopt.models import MODELS
from cbecopt.models.contracts.generate import generate_contracts
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.models.warehouses.generate import generate_warehouses
from cbecopt.stochastic.twostage import build_extensive_form

pytestmark = pytest.mark.component

ROOT = Path(__file__).resolve().parents[1]
TIGHT = 1e-9


def _every_suppliers_family() -> cbecopt.Instance:
    """suppliers_demo with every family the model has switched on: supplier capacities, a
    lane from each supplier to the market (freight, so shipments), and every policy cap."""
    demo = cbecopt.load_instance(ROOT / "instances" / "suppliers_demo")
    nodes = demo.tables["nodes"]
    suppliers = nodes.loc[nodes["kind"] == "supplier", "id"]
    market = nodes.loc[nodes["kind"] == "market", "id"].iloc[0]
    capacity = nodes["capacity"].where(nodes["kind"] != "supplier", 1e5)
    arcs = pd.DataFrame(
        {"origin": suppliers, "destination": market, "unit_cost": np.arange(len(suppliers)) % 3}
    )
    meta = {name: dict(section) for name, section in demo.meta.items()}
    meta["suppliers"].update(max_late_rate=0.1, max_suppliers=20, max_supplier_share=0.9)
    return demo.with_tables(meta=meta, nodes=nodes.assign(capacity=capacity), arcs=arcs)


def _routing_with_capacities() -> cbecopt.Instance:
    """A two-scenario routing plan whose bonded warehouses and lanes all have a capacity that
    binds (every blank ``capacity`` of its nodes and arcs set to 40 units a month)."""
    plan = generate_routing(4, n_months=3, n_bonded=2, n_origins=2, n_markets=4, n_scenarios=2)
    capped = {}
    for name in ("nodes", "arcs"):
        table = plan.tables[name]
        capacity = table.get("capacity", pd.Series(np.nan, index=table.index))
        capped[name] = table.assign(capacity=capacity.fillna(40.0))
    return plan.with_tables(**capped)


INSTANCES = {
    "warehouses": [lambda: generate_warehouses(8, 40, seed=5), "demo"],
    "contracts": [lambda: generate_contracts(6, 20, seed=5), "contracts_demo"],
    "routing": [
        lambda: generate_routing(4, n_months=3, n_bonded=2, n_markets=4, n_scenarios=3, seed=5),
        _routing_with_capacities,
    ],
    "suppliers": [
        lambda: generate_suppliers(12, 6, seed=5),
        "suppliers_demo",
        _every_suppliers_family,
    ],
}


def _instance(source) -> cbecopt.Instance:
    if isinstance(source, str):
        return cbecopt.load_instance(ROOT / "instances" / source)
    return source()


def _held(instance: cbecopt.Instance, model: str) -> highspy.Highs:
    """The model cbecopt hands to HiGHS for ``model`` on ``instance``, in a fresh HiGHS."""
    spec = MODELS[model]
    built = spec.build(instance)
    if spec.two_stage:
        built = build_extensive_form(built, built.scenarios())
    highs = new_highs()
    compile_model(built.model).pass_to(highs)
    return highs


@pytest.mark.parametrize(
    ("model", "source"),
    [(model, source) for model, sources in INSTANCES.items() for source in sources],
)
def test_the_reference_is_the_model_cbecopt_builds(model, source):
    assert set(REFERENCES) <= set(INSTANCES), "give each new reference its instances here"
    instance = _instance(source)
    reference, _ = REFERENCES[model](instance)
    assert counts(reference) == counts(_held(instance, model))
    reference.setOptionValue("mip_rel_gap", TIGHT)
    reference.run()
    assert reference.getModelStatus() == highspy.HighsModelStatus.kOptimal
    result = cbecopt.solve(instance, model, cbecopt.SolveOptions(mip_rel_gap=TIGHT))
    assert result.status == cbecopt.Status.OPTIMAL
    optimum = reference.getInfo().objective_function_value
    assert optimum == pytest.approx(result.objective, rel=1e-6)


@pytest.mark.parametrize(
    "model",
    [k for k, spec in MODELS.items() if spec.reads_instances and k not in WITHOUT_REFERENCE],
)
def test_the_build_suite_has_each_registered_model_with_its_reference(model):
    cases = [case for case in suite("build", 60.0) if case.model == model]
    assert cases and all(case.reference for case in cases)
    assert model in REFERENCES


@pytest.mark.parametrize("model", WITHOUT_REFERENCE)
def test_a_model_left_out_of_the_build_suite_has_no_reference_yet(model):
    """A model leaves the build suite only while it has no numpy-to-highspy reference: once
    one lands, this fails until the model joins the suite."""
    assert model not in REFERENCES
