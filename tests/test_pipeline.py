"""The one pipeline: one place a result is made, one budget that stops the build, one seed
tree, methods chosen by ``method=``, and a command line that loops over the registry."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import cbecopt
from cbecopt.errors import OptionError
from cbecopt.highs import compile_model
from cbecopt.labelled import add_var_family
from cbecopt.limits import Budget, OutOfTime, watched
from cbecopt.methods import Task, extensive_form
from cbecopt.models import MODELS, check_inputs
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.warehouses.build import build_warehouses
from cbecopt.problem import OneScenario
from cbecopt.results import Run
from cbecopt.seeds import STREAMS, stream_seeds
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process

SRC = Path(cbecopt.__file__).parent
DEMO = Path(__file__).resolve().parents[1] / "instances" / "demo"


@pytest.mark.unit
def test_a_result_is_constructed_in_one_place():
    """Every path (not started, no solution, extensive form, SKU blocks, reports) ends in
    ``Run.result``: ``Result(`` appears once in the package, there."""
    made = [
        f"{path.relative_to(SRC)}:{n}"
        for path in sorted(SRC.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<![\w.])Result\(", line)
    ]
    assert len(made) == 1 and made[0].startswith("results.py:"), made


@pytest.mark.component
def test_a_watched_build_stops_between_families_once_the_budget_expired():
    import pyomo.environ as pyo

    budget = Budget(None)
    m = pyo.ConcreteModel()
    with watched(budget):
        add_var_family(m, "first", [0, 1])  # time left: built
        budget.request_stop("a test")
        with pytest.raises(OutOfTime, match="stopped by a test"):
            add_var_family(m, "second", [0, 1])
        with pytest.raises(OutOfTime):
            compile_model(m)  # the handoff too
    add_var_family(m, "outside", [0])  # a build nobody watches is never stopped


@pytest.mark.component
def test_a_build_the_budget_cuts_short_is_no_solution_saying_where():
    instance = cbecopt.load_instance(DEMO)
    options = cbecopt.SolveOptions(time_limit=60).begin()
    data = check_inputs(instance, "warehouses")

    def build_until_stopped():  # the budget runs out as the build starts
        options.budget.request_stop("a test")
        return build_warehouses(instance, None, data)

    task = Task(OneScenario("demo", build_until_stopped), None, None, "")
    result = extensive_form.solve(task, Run("warehouses", "demo", options))
    assert result.status == cbecopt.Status.NO_SOLUTION and result.objective is None
    assert result.termination == "stopped by a test while building the model"
    assert result.diagnosis and "build" in result.timings


@pytest.mark.unit
def test_every_stream_is_a_child_of_the_root_seed_sequence():
    """The seed tree of cbecopt.seeds: stream i is SeedSequence(root).spawn(...)[i], in 31 bits."""
    for i, stream in enumerate(STREAMS):
        child = np.random.SeedSequence(11).spawn(len(STREAMS))[i]
        assert stream_seeds(11, stream, 4) == [int(s) % 2**31 for s in child.generate_state(4)]
    assert len({stream_seeds(11, s)[0] for s in STREAMS}) == len(STREAMS)


@pytest.mark.component
def test_a_deterministic_model_is_the_one_scenario_case():
    instance = cbecopt.load_instance(DEMO)
    problem = MODELS["warehouses"].problem(instance, None, check_inputs(instance, "warehouses"))
    assert problem.scenarios() == [("base", 1.0, None)]
    form, built = problem.extensive_form()
    assert form.model is built.model  # the model's own build: rows and objective unchanged


@pytest.fixture(scope="module")
def routing_instance():
    return generate_routing(4, n_months=2, n_bonded=2, n_origins=1, n_markets=2, seed=1)


@pytest.mark.component
def test_sku_blocks_are_a_method_and_the_block_size_chooses_it(routing_instance):
    options = cbecopt.SolveOptions(threads=1)
    config = RoutingConfig(sku_blocks=2)
    chosen = cbecopt.solve(routing_instance, "routing", options, config)
    named = cbecopt.solve(routing_instance, "routing", options, config, method="sku_blocks")
    assert chosen.solver["method"] == named.solver["method"] == "SKU blocks"
    assert (chosen.objective, chosen.bound) == (named.objective, named.bound)


@pytest.mark.unit
@pytest.mark.parametrize(
    ("model", "config", "method", "says"),
    [
        ("warehouses", None, "sku_blocks", "applies to routing / network, not warehouses"),
        ("routing", None, "lagrangian", "method 'lagrangian' applies to warehouses"),
        ("routing", None, "benders", "unknown method 'benders'"),
        ("routing", RoutingConfig(sku_blocks=2), "extensive_form", "asks for method sku_blocks"),
        ("routing", None, "sku_blocks", "needs a block size"),
    ],
)
def test_a_method_that_does_not_fit_is_refused(routing_instance, model, config, method, says):
    instance = routing_instance if model == "routing" else cbecopt.load_instance(DEMO)
    with pytest.raises(OptionError, match=says):
        cbecopt.solve(instance, model, config=config, method=method)


@pytest.mark.integration
def test_generate_loops_over_the_registry(tmp_path):
    helped = run_cbecopt("generate", "--help")
    assert all(key in helped.stdout for key in MODELS)
    unknown = run_cbecopt("generate", "nomodel", "-o", str(tmp_path / "x"))
    assert unknown.returncode == 2
    assert "unknown model 'nomodel'" in unknown.stderr and ", ".join(MODELS) in unknown.stderr


@pytest.mark.integration
def test_the_method_is_refused_where_no_one_model_is_solved():
    """``--method`` chooses how one model is solved; with --independent (many solves) it would
    be ignored, so it is refused, exit 2, naming why."""
    run = run_cbecopt("solve", "demo", "--independent", "--method", "extensive_form")
    assert run.returncode == 2
    assert "--method applies to one model solved from an instance" in run.stderr


@pytest.mark.unit
def test_result_table_names_the_tables_there_are():
    """``Result.table`` gives a table the result has, and for one it lacks a KeyError naming
    the model and the tables it does have (the summaries read result tables this way)."""
    from cbecopt.results import Result, Status

    result = Result(model="routing", instance="x", status=Status.OPTIMAL, tables={"tax": "t"})
    assert result.table("tax") == "t"
    with pytest.raises(KeyError, match=r"routing result has no table 'stock' \(tables: tax\)"):
        result.table("stock")
    empty = Result(model="contracts", instance="x", status=Status.NO_SOLUTION)
    with pytest.raises(KeyError, match=r"tables: none"):
        empty.table("contracts")
