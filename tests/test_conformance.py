"""Every model of the registry (``cbecopt.MODELS``) keeps the promises every model makes.

- The same instance, options and seed give the same result: through the API the same status,
  objective and tables; through the command line the same ``--json`` objective and the same
  ``-o`` tables, byte for byte.
- A small time limit is kept (the README's promise: the limit plus max(2 s, 5%), counted from
  the call's first line) and the status says what is known: ``optimal`` only when proved,
  ``feasible`` with a solution not proved optimal, ``no_solution`` without one, and why.
- The timings add up to their total, which is at most the wall clock of the load and the
  call (the total counts both).
- Solving leaves the instance as it was, and its files byte for byte.
- The result tables and their columns are those ``models/<model>.md`` documents under
  "Result tables", in both directions.
- ``models/<model>.md`` and the built model name the same families, in both directions: every
  variable, constraint and objective of the model is named in the document, and every family
  the document defines (a ```name` —`` paragraph, the objective's heading) is built, once the
  options and capacities that switch the optional ones on are given (:data:`FAMILY_CONFIGS`).
- The model cbecopt solves (a two-stage model's extensive form) is a Pyomo model a Pyomo user
  can use: Pyomo's LP and MPS writers write it and HiGHS solves the file, Pyomo's
  ``appsi_highs`` and contrib ``highs`` interfaces solve it, all to ``cbecopt.solve``'s
  objective within 1e-6 relative, and Pyomo's standard-form compiler gives the matrix cbecopt
  compiles.

Each model runs on its bundled demo, or a small generated instance where the demo is slow to
solve (routing, suppliers; routing_demo takes minutes through Pyomo's writers); the time limit
on the generated instances of ``benchmarks.limits`` that no model finishes within it. The
``smps`` model reads SMPS files, not an instance: it runs on a tiny SMPS triple (that of
``test_smps``, its optimum by brute force there) and its time limit on the largest published
SSLP file; the family checks do not apply to it (the files' own rows, no family of ours).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from benchmarks.limits import instances as unfinishable_instances
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

import cbecopt
from cbecopt.highs import compile_model
from cbecopt.models.contracts.build import ContractsConfig
from cbecopt.models.network import NetworkConfig
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.models.warehouses.build import WarehousesConfig
from cbecopt.readers.smps import read_smps
from cbecopt.schemas import SCHEMAS
from cbecopt.stochastic.twostage import RiskOptions, build_extensive_form
from conftest import benchmarks_dir
from helpers import highs_optimum
from network_io_helpers import write_network_instance
from test_cli import cbecopt as run_cbecopt
from test_cli import cbecopt_in_process
from test_smps import INDEP_COR, INDEP_STO, INDEP_TIM, write_smps

ROOT = Path(__file__).resolve().parents[1]
MODELS = list(cbecopt.MODELS)
SEED = 3
TIME_LIMIT = 2.0
SLACK = max(2.0, 0.05 * TIME_LIMIT)  # README, "Time limits and Ctrl-C"
TIGHT = 1e-9  # every solver's MIP gap here, so optima agree to far better than 1e-6
OPTIONS = cbecopt.SolveOptions(seed=SEED, mip_rel_gap=TIGHT)

BUNDLED = {"warehouses": "demo", "contracts": "contracts_demo"}
GENERATED = {
    "routing": lambda: generate_routing(
        3, n_months=3, n_bonded=2, n_origins=2, n_markets=3, n_scenarios=2, seed=1
    ),
    "suppliers": lambda: generate_suppliers(4, 4, seed=1, offers_per_sku=3, n_breaks=2),
}
"""The instance of each model: bundled, or generated where the demo takes seconds to solve
(``network``: the tiny network of ``network_io_helpers``, until its generator lands)."""
SMPS_UNFINISHABLE = "sslp/sslp_15_45_15.cor"
"""The SMPS problem of the time limit: the largest published SSLP file (in ../shared/benchmarks)."""
NO_FAMILIES = {"smps": "SMPS files are a problem of their own: their rows, no family of ours"}
"""The models the family checks do not apply to, and why."""


def read(model: str, path: Path):
    """What ``cbecopt.solve`` takes for ``model``: the instance, or the SMPS problem of files."""
    return cbecopt.load_instance(path) if cbecopt.MODELS[model].reads_instances else read_smps(path)


def input_files(path: Path) -> dict[Path, bytes]:
    """The bytes of every file of an input: an instance folder's, or an SMPS triple's (the
    core file's folder holds its three files)."""
    folder = path if path.is_dir() else path.parent
    return {file: file.read_bytes() for file in sorted(folder.rglob("*")) if file.is_file()}


def skip_without_families(model: str) -> None:
    if model in NO_FAMILIES:
        pytest.skip(NO_FAMILIES[model])


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Each model's instance as a folder the API and the command line both read."""
    made = {model: ROOT / "instances" / name for model, name in BUNDLED.items()}
    for model, generate in GENERATED.items():
        made[model] = cbecopt.save_instance(generate(), tmp_path_factory.mktemp(model) / model)
    made["network"] = write_network_instance(tmp_path_factory.mktemp("network") / "network")
    made["smps"] = write_smps(
        tmp_path_factory.mktemp("smps"), "tiny", INDEP_COR, INDEP_TIM, INDEP_STO
    )
    missing = set(MODELS) - set(made)
    assert not missing, f"give the registry's new models an instance here: {sorted(missing)}"
    return made


@dataclass(frozen=True)
class Solved:
    """One solve through the API, with what was measured around it."""

    instance: cbecopt.Instance  # or, for smps, the SMPS problem
    tables_before: dict[str, pd.DataFrame]
    files_before: dict[Path, bytes]
    result: cbecopt.Result
    wall_seconds: float  # from before the load to after the call


@pytest.fixture(scope="module")
def solved(folders) -> dict[str, Solved]:
    """Each model solved once with the seed, the instance's tables and files copied before."""
    made = {}
    for model in MODELS:
        files = input_files(folders[model])
        started = time.perf_counter()
        instance = read(model, folders[model])
        tables = getattr(instance, "tables", {})
        before = {name: table.copy(deep=True) for name, table in tables.items()}
        result = cbecopt.solve(instance, model, OPTIONS)
        made[model] = Solved(instance, before, files, result, time.perf_counter() - started)
        assert result.status == cbecopt.Status.OPTIMAL, (model, result.diagnosis)
    return made


def documented_tables(model: str) -> dict[str, tuple[list[str], bool]]:
    """The tables of ``models/<model>.md``, section "Result tables": each one's columns, and
    whether it comes only with an option ("only with" filled in)."""
    text = (ROOT / "models" / f"{model}.md").read_text(encoding="utf-8")
    _, found, rest = text.partition("\n## Result tables\n")
    assert found, f"models/{model}.md has no section 'Result tables'"
    tables = {}
    for line in rest.split("\n## ", 1)[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"`\w+`", cells[0]):
            tables[cells[0].strip("`")] = (re.findall(r"`(\w+)`", cells[2]), bool(cells[3]))
    return tables


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_the_same_inputs_give_the_same_result_through_the_api(model, solved):
    first = solved[model]
    again = cbecopt.solve(first.instance, model, OPTIONS)
    assert (again.status, again.objective, again.bound) == (
        first.result.status,
        first.result.objective,
        first.result.bound,
    )
    assert list(again.tables) == list(first.result.tables)
    for name, table in first.result.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], table, check_exact=True, obj=name)


@pytest.mark.integration
@pytest.mark.parametrize("model", MODELS)
def test_the_same_command_writes_the_same_tables_byte_for_byte(model, folders, tmp_path):
    """The first run in this process, the second as a program: two interpreters (their own
    hash seeds, so an order taken from a set differs) and the state this process carries from
    earlier tests must still give the same bytes."""
    outputs = {}
    for run, command_line in (("first", cbecopt_in_process), ("again", run_cbecopt)):
        out = tmp_path / run
        command = command_line(
            "solve",
            str(folders[model]),
            "--model",
            model,
            "--seed",
            str(SEED),
            "--json",
            "-o",
            str(out),
        )
        assert command.returncode == 0, command.stderr
        tables = {p.name: p.read_bytes() for p in sorted(out.glob("*.csv"))}
        outputs[run] = (json.loads(command.stdout)["objective"], tables)
    assert outputs["first"][1], "no table written"
    assert outputs["again"] == outputs["first"]


@pytest.fixture(scope="module")
def unfinishable(tmp_path_factory) -> dict[str, Path]:
    """The instances of ``benchmarks.limits``, one per model, none finished within the limit,
    and the SMPS problem of :data:`SMPS_UNFINISHABLE`."""
    made = unfinishable_instances(tmp_path_factory.mktemp("unfinishable"))
    return {**made, "smps": benchmarks_dir() / SMPS_UNFINISHABLE}


@pytest.mark.component
@pytest.mark.timing
@pytest.mark.parametrize("model", MODELS)
def test_a_small_time_limit_is_kept_and_the_status_says_what_is_known(model, unfinishable):
    if model not in unfinishable:
        pytest.skip(f"no generated instance {model} cannot finish: benchmarks.limits has none")
    if not unfinishable[model].exists():
        pytest.skip(f"published benchmarks not found: {unfinishable[model]}")
    instance = read(model, unfinishable[model])
    options = cbecopt.SolveOptions(time_limit=TIME_LIMIT)
    started = time.perf_counter()
    result = cbecopt.solve(instance, model, options)
    wall = time.perf_counter() - started
    assert wall <= TIME_LIMIT + SLACK, (wall, result.timings)
    asked = options.mip_rel_gap
    if result.status == cbecopt.Status.OPTIMAL:
        assert result.gap is not None and result.gap <= asked
    elif result.status == cbecopt.Status.FEASIBLE:
        assert result.objective is not None and "time limit" in result.termination
        assert result.gap is None or result.gap > asked  # not proved: else it is optimal
        assert result.bound is None or result.bound <= result.objective + 1e-6 * abs(
            result.objective
        )
    else:
        assert result.status == cbecopt.Status.NO_SOLUTION, result.status
        assert result.objective is None and "time limit" in result.termination
        assert result.diagnosis, "no_solution without saying why"


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_the_timings_add_up_to_a_total_within_the_wall_clock(model, solved):
    timings = solved[model].result.timings
    parts = sum(seconds for name, seconds in timings.items() if name != "total")
    assert parts == pytest.approx(timings["total"], abs=1e-6)
    assert all(seconds >= 0 for seconds in timings.values()), timings
    assert timings["total"] <= solved[model].wall_seconds


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_solving_leaves_the_instance_as_it_was(model, solved, folders):
    instance, before = solved[model].instance, solved[model].tables_before
    assert list(getattr(instance, "tables", {})) == list(before)
    for name, table in before.items():
        pd.testing.assert_frame_equal(instance.tables[name], table, check_exact=True, obj=name)
    assert input_files(folders[model]) == solved[model].files_before


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_the_result_tables_are_the_documented_ones(model, solved):
    documented = documented_tables(model)
    tables = solved[model].result.tables
    undocumented = sorted(set(tables) - set(documented))
    assert not undocumented, f"tables missing from models/{model}.md: {undocumented}"
    for name, table in tables.items():
        assert list(table.columns) == documented[name][0], f"{name}: columns differ"
    always = {name for name, (_, optional) in documented.items() if not optional}
    assert always <= set(tables), f"documented but not returned: {sorted(always - set(tables))}"


# --- the formulation documents --------------------------------------------------------------

FAMILY_CONFIGS = {
    "warehouses": [
        WarehousesConfig(),
        WarehousesConfig(single_source=True, min_open=1, max_open=2),
    ],
    "contracts": [ContractsConfig(), ContractsConfig(risk=RiskOptions(0.5, 0.9))],
    "routing": [None, RoutingConfig(cover_weeks=1.0)],
    "smps": [],
    "network": [NetworkConfig(), NetworkConfig(risk=RiskOptions(0.5, 0.9))],
    "suppliers": [
        SuppliersConfig(),
        SuppliersConfig(
            max_late_rate=0.2, max_suppliers=20, max_supplier_share=0.8, counterfeit_limit=1e9
        ),
        SuppliersConfig(objective="counterfeit", cost_limit=1e12),
    ],
}
"""Each model's configurations that, between them, switch every optional family on (risk,
single sourcing, bounds, caps, the other objective)."""
CAPACITY = 1e6
"""Given to every blank capacity, so that each capacity family is built (and binds nothing)."""


def formulation(model: str) -> str:
    return (ROOT / "models" / f"{model}.md").read_text(encoding="utf-8")


def documented_names(model: str) -> set[str]:
    """Every `backticked` identifier of ``models/<model>.md``."""
    return set(re.findall(r"`([A-Za-z_]\w*)`", formulation(model)))


def documented_families(model: str) -> set[str]:
    """The families ``models/<model>.md`` defines: each ```name` —`` paragraph (a note in
    parentheses may stand before the dash) and the objective of its heading."""
    text = formulation(model)
    families = re.findall(r"`(\w+)`(?: \([^)\n]*\))? —", text)
    return {*families, *re.findall(r"^## Objective: `(\w+)`", text, re.M)}


def component_names(block: pyo.Block) -> set[str]:
    """The names of every variable, constraint and objective in ``block``, its blocks included."""
    kinds = (pyo.Var, pyo.Constraint, pyo.Objective)
    return {c.local_name for c in block.component_objects(kinds, descend_into=True)}


def solved_model(model: str, instance: cbecopt.Instance, config=None) -> pyo.Block:
    """The Pyomo model ``cbecopt.solve`` solves: the built model, or a two-stage model's
    extensive form over its scenarios (with the configuration's risk)."""
    spec = cbecopt.MODELS[model]
    built = spec.build(instance, config)
    if spec.two_stage:
        built = build_extensive_form(built, built.scenarios(), getattr(config, "risk", None))
    return built.model


def with_every_capacity(instance: cbecopt.Instance) -> cbecopt.Instance:
    """``instance`` with every blank ``capacity`` of its tables set to :data:`CAPACITY` (the
    column added where a table's schema has one and the table leaves it out)."""
    filled = {
        name: table.assign(capacity=table.get("capacity", pd.Series(index=table.index))).fillna(
            {"capacity": CAPACITY}
        )
        for name, table in instance.tables.items()
        if name in SCHEMAS and SCHEMAS[name].field("capacity") is not None
    }
    return instance.with_tables(**filled)


@pytest.mark.unit
@pytest.mark.parametrize("model", MODELS)
def test_every_model_has_a_formulation_document_defining_its_families(model):
    assert (ROOT / "models" / f"{model}.md").is_file(), f"models/{model}.md is missing"
    skip_without_families(model)
    assert documented_families(model), f"models/{model}.md defines no family"


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_the_document_and_the_model_name_the_same_families(model, folders):
    assert set(MODELS) <= set(FAMILY_CONFIGS), "give the registry's new models their configs"
    skip_without_families(model)
    instance = with_every_capacity(cbecopt.load_instance(folders[model]))
    built = set()
    for config in FAMILY_CONFIGS[model]:
        built |= component_names(solved_model(model, instance, config))
    undocumented = built - documented_names(model)
    assert not undocumented, f"in the code, not in models/{model}.md: {sorted(undocumented)}"
    unbuilt = documented_families(model) - built
    assert not unbuilt, f"in models/{model}.md, never built: {sorted(unbuilt)}"


# --- a Pyomo model a Pyomo user can use -----------------------------------------------------


@pytest.fixture(scope="module")
def pyomo_models(solved) -> dict[str, pyo.Block]:
    """The Pyomo model each ``solved`` result came from, built again from its instance."""
    return {model: solved_model(model, solved[model].instance) for model in MODELS}


@pytest.mark.component
@pytest.mark.parametrize("suffix", [".lp", ".mps"])
@pytest.mark.parametrize("model", MODELS)
def test_pyomo_writes_the_model_and_highs_solves_the_file(
    model, suffix, solved, pyomo_models, tmp_path
):
    path = tmp_path / f"{model}{suffix}"
    pyomo_models[model].write(str(path))  # Pyomo's own writer, the format from the suffix
    assert highs_optimum(path, TIGHT) == pytest.approx(solved[model].result.objective, rel=1e-6)


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_pyomo_solver_interfaces_solve_the_model_to_the_same_objective(model, solved, pyomo_models):
    objective, pyomo_model = solved[model].result.objective, pyomo_models[model]
    appsi = pyo.SolverFactory("appsi_highs")
    appsi.config.mip_gap = TIGHT
    appsi.solve(pyomo_model)
    active = next(pyomo_model.component_data_objects(pyo.Objective, active=True))
    assert pyo.value(active) == pytest.approx(objective, rel=1e-6)
    result = Highs().solve(pyomo_model, rel_gap=TIGHT)
    assert result.incumbent_objective == pytest.approx(objective, rel=1e-6)


@pytest.mark.component
@pytest.mark.parametrize("model", MODELS)
def test_the_standard_form_compiler_gives_the_matrix_cbecopt_compiles(model, pyomo_models):
    compiled = compile_model(pyomo_models[model])
    standard = LinearStandardFormCompiler().write(pyomo_models[model], mixed_form=True)
    assert standard.A.shape == (compiled.n_rows, compiled.n_cols)
    assert standard.A.nnz == np.count_nonzero(compiled.row_value)  # Pyomo drops zero entries
