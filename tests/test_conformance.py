"""Every model of the registry (``cbecopt.MODELS``) keeps the promises every model makes.

- The same instance, options and seed give the same result: through the API the same status,
  objective and tables; through the command line the same ``--json`` objective and the same
  ``-o`` tables, byte for byte.
- A small time limit is kept (the README's promise: the limit plus max(2 s, 5%), counted from
  the call's first line) and the status says what is known: ``optimal`` only when proved,
  ``feasible`` with a solution not proved optimal, ``no_solution`` without one, and why.
- The timings add up to their total, which is at most the wall clock of the load and the
  call (the total counts both).
- Solving leaves the instance as it was.
- The result tables and their columns are those ``models/<model>.md`` documents under
  "Result tables", in both directions.

Each model runs on its bundled demo, or a small generated instance where the demo is slow to
solve (routing, suppliers); the time limit on the generated instances of ``benchmarks.limits``
that no model finishes within it.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from benchmarks.limits import instances as unfinishable_instances

import cbecopt
from cbecopt.generate import generate_routing, generate_suppliers
from test_cli import cbecopt as run_cbecopt

ROOT = Path(__file__).resolve().parents[1]
MODELS = list(cbecopt.MODELS)
SEED = 3
TIME_LIMIT = 2.0
SLACK = max(2.0, 0.05 * TIME_LIMIT)  # README, "Time limits and Ctrl-C"

BUNDLED = {"warehouses": "demo", "contracts": "contracts_demo"}
GENERATED = {
    "routing": lambda: generate_routing(
        3, n_months=3, n_bonded=2, n_origins=2, n_markets=3, seed=1
    ),
    "suppliers": lambda: generate_suppliers(4, 4, seed=1, offers_per_sku=3, n_breaks=2),
}
"""The instance of each model: bundled, or generated where the demo takes seconds to solve."""


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Each model's instance as a folder the API and the command line both read."""
    made = {model: ROOT / "instances" / name for model, name in BUNDLED.items()}
    for model, generate in GENERATED.items():
        made[model] = cbecopt.save_instance(generate(), tmp_path_factory.mktemp(model) / model)
    missing = set(MODELS) - set(made)
    assert not missing, f"give the registry's new models an instance here: {sorted(missing)}"
    return made


@dataclass(frozen=True)
class Solved:
    """One solve through the API, with what was measured around it."""

    instance: cbecopt.Instance
    tables_before: dict[str, pd.DataFrame]
    result: cbecopt.Result
    wall_seconds: float  # from before the load to after the call


@pytest.fixture(scope="module")
def solved(folders) -> dict[str, Solved]:
    """Each model solved once with the seed, the instance's tables copied before."""
    made = {}
    for model in MODELS:
        started = time.perf_counter()
        instance = cbecopt.load_instance(folders[model])
        before = {name: table.copy(deep=True) for name, table in instance.tables.items()}
        result = cbecopt.solve(instance, model, cbecopt.SolveOptions(seed=SEED))
        made[model] = Solved(instance, before, result, time.perf_counter() - started)
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
    again = cbecopt.solve(first.instance, model, cbecopt.SolveOptions(seed=SEED))
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
    outputs = {}
    for run in ("first", "again"):
        out = tmp_path / run
        command = run_cbecopt(
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
    """The instances of ``benchmarks.limits``, one per model, none finished within the limit."""
    return unfinishable_instances(tmp_path_factory.mktemp("unfinishable"))


@pytest.mark.component
@pytest.mark.timing
@pytest.mark.parametrize("model", MODELS)
def test_a_small_time_limit_is_kept_and_the_status_says_what_is_known(model, unfinishable):
    instance = cbecopt.load_instance(unfinishable[model])
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
def test_solving_leaves_the_instance_as_it_was(model, solved):
    instance, before = solved[model].instance, solved[model].tables_before
    assert list(instance.tables) == list(before)
    for name, table in before.items():
        pd.testing.assert_frame_equal(instance.tables[name], table, check_exact=True, obj=name)


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
