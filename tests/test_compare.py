"""The comparisons, driven by the registry: ``cbecopt compare PATH --model M`` runs every
registered comparison, each ``compare-<name>`` alias prints the very same JSON, options that do
not apply are refused, rows never claim a proof they lack, and the sharing comparison's costs
are those brute-force enumeration finds. ``frontier`` and ``saa`` read their model from the
registry too."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import cbecopt
import cbecopt.batch
import cbecopt.compare
import cbecopt.models.network.strategies as network_strategies
import cbecopt.sharing
from brute_force import multi_source_optimum
from cbecopt.cli.comparing import CONFIG_PARAMETERS
from cbecopt.cli.run import app  # the Typer application with every command registered
from cbecopt.compare import overall_status
from cbecopt.instance import save_instance
from cbecopt.models import MODELS
from test_sharing import _write as write_shared
from test_smps import RHS_COR, RHS_STO, RHS_TIM, write_smps

COMPARISONS = [
    pytest.param(key, comparison, id=comparison.command)
    for key, spec in MODELS.items()
    for comparison in spec.comparisons
]
"""Every registered comparison, with its model's key."""

SMALL = {
    "n_warehouses": 4,
    "n_markets": 6,
    "platforms": 2,
    "capacity_ratio": 3.0,
    "n_skus": 3,
    "n_scenarios": 4,
    "n_months": 2,
    "n_bonded": 2,
    "n_origins": 2,
    "n_suppliers": 6,
    "seed": 7,
}
"""A small instance of every model from its registered generator (the options of ``cbecopt
generate``), so each comparison runs in seconds."""

FLAG_VALUES = {
    "--samples": ["--samples", "5"],
    "--distribution": ["--distribution", "normal"],
    "--risk-weight": ["--risk-weight", "0.5"],
    "--alpha": ["--alpha", "0.9"],
    "--single-source/--multi-source": ["--single-source"],
    "--min-open": ["--min-open", "1"],
    "--max-open": ["--max-open", "2"],
}
"""A valid command-line use of each option a comparison may declare."""


def invoke(*args: str) -> object:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def small_instance(key: str, folder: Path) -> str:
    instance, _ = MODELS[key].generate(SMALL)
    save_instance(instance, folder)
    return str(folder)


def without_timings(text: str) -> dict:
    data = json.loads(text)
    data.pop("timings")
    return data


@pytest.mark.unit
def test_every_comparison_is_a_command_and_every_option_has_a_use():
    """The aliases are exactly the registry's comparisons; every option a comparison declares
    is one the command line knows how to pass."""
    names = {command.name for command in app.registered_commands}
    aliases = {n for n in names if n and n.startswith("compare-")}
    registered = {c.command for spec in MODELS.values() for c in spec.comparisons}
    assert aliases == registered and "compare" in names
    for spec in MODELS.values():
        for comparison in spec.comparisons:
            assert set(comparison.options) <= set(CONFIG_PARAMETERS), comparison.name
            assert set(comparison.percent) <= set(comparison.shown), comparison.name


@pytest.mark.integration
@pytest.mark.parametrize(("key", "comparison"), COMPARISONS)
def test_the_generic_command_runs_each_comparison_and_its_alias_prints_the_same(
    key, comparison, tmp_path
):
    path = small_instance(key, tmp_path / "in")
    generic = invoke(
        "compare", path, "--model", key, "--comparison", comparison.name, "--json",
        "-o", str(tmp_path / "generic"),
    )  # fmt: skip
    assert generic.exit_code == 0, generic.stderr
    data = json.loads(generic.stdout)
    rows = data[comparison.rows_key]
    first = next(iter(comparison.shown))  # the policy's name: the table's first column
    assert [r[first] for r in rows] == list(comparison.policies)
    assert data["status"] == overall_status(pd.Series([r["status"] for r in rows]))
    assert all(r["status"] == "optimal" for r in rows), rows
    alias = invoke(comparison.command, path, "--json", "-o", str(tmp_path / "alias"))
    assert alias.exit_code == 0, alias.stderr
    assert without_timings(alias.stdout) == without_timings(generic.stdout)
    written = sorted(p.name for p in (tmp_path / "generic").iterdir() if p.suffix != ".json")
    assert written == (
        ["comparison.csv", "comparison.png"] if comparison.chart else ["comparison.csv"]
    )
    for name in written:
        if name.endswith(".csv"):
            assert (tmp_path / "alias" / name).read_text() == (
                tmp_path / "generic" / name
            ).read_text()
    table = invoke("compare", path, "--model", key, "--comparison", comparison.name)
    assert table.exit_code == 0 and comparison.caption.split(" {")[0] in table.stdout


REFUSED = [
    pytest.param(key, comparison, flag, id=f"{comparison.name} {flag}")
    for key, comparison in ((p.values[0], p.values[1]) for p in COMPARISONS)
    for flag in CONFIG_PARAMETERS
    if flag not in comparison.options
]


@pytest.mark.integration
@pytest.mark.parametrize(("key", "comparison", "flag"), REFUSED)
def test_an_option_that_does_not_apply_exits_2_naming_it(
    key, comparison, flag, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    result = invoke(
        "compare", "demo", "--model", key, "--comparison", comparison.name, *FLAG_VALUES[flag]
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    takers = [k for k, s in MODELS.items() if any(flag in c.options for c in s.comparisons)]
    assert f"{flag} applies to compare --model {' / '.join(takers)}, not the" in lines[0]
    assert result.stdout == "" and list(tmp_path.iterdir()) == []
    if comparison.out is None:  # the alias has no such option at all
        alias = invoke(comparison.command, "demo", *FLAG_VALUES[flag])
        assert alias.exit_code == 2 and "No such option" in alias.stderr


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["--model", "smps"], "the smps model has no comparison; models with one: "),
        (["--model", "nonsense"], "unknown model 'nonsense'"),
        (["--model", "warehouses", "--comparison", "nope"], "has no comparison 'nope'"),
    ],
    ids=["no comparison", "unknown model", "unknown comparison"],
)
def test_a_model_or_comparison_the_registry_lacks_exits_2(args, text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("compare", "demo", *args)
    assert result.exit_code == 2 and text in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.component
@pytest.mark.parametrize(("key", "comparison"), COMPARISONS)
def test_a_policy_stopped_at_a_limit_is_never_reported_optimal(
    key, comparison, tmp_path, monkeypatch
):
    """The second policy's solve stops at a limit (incumbent, bound at half of it): its row,
    and the overall status, say ``feasible``, its gap is not 0, and a difference involving it
    (what flexibility or sharing saves) is not reported as proved. The network's strategies
    solve at the solver boundary, and its baseline solves twice (blind, then evaluated), so
    there the second policy's solve is the third."""
    calls = []
    stop_at = 3 if key == "network" else 2
    solve = cbecopt.batch.solve

    def stopped(result, limited):
        bound = result.objective / 2
        return dataclasses.replace(
            result, status=cbecopt.Status.FEASIBLE, bound=bound, gap=0.5, termination=limited
        )

    def second_stopped(*args, **kwargs):
        result = solve(*args, **kwargs)
        calls.append(result)
        if len(calls) != stop_at or not result.ok:
            return result
        return stopped(result, "limit")

    solve_warm = network_strategies.solve_warm

    def network_second_stopped(*args, **kwargs):
        outcome = solve_warm(*args, **kwargs)
        calls.append(outcome)
        if len(calls) != stop_at or outcome.objective is None:
            return outcome
        return stopped(outcome, "time limit reached")

    monkeypatch.setattr(cbecopt.batch, "solve", second_stopped)
    monkeypatch.setattr(cbecopt.sharing, "solve", second_stopped)
    monkeypatch.setattr(network_strategies, "solve_warm", network_second_stopped)
    instance = cbecopt.load_instance(small_instance(key, tmp_path / "in"))
    table = comparison.run(instance, cbecopt.SolveOptions(), MODELS[key].config_type())
    assert len(calls) >= stop_at
    stopped_row = table.iloc[1]
    assert stopped_row["status"] == "feasible" and overall_status(table["status"]) == "feasible"
    assert stopped_row["gap"] > 0
    if "value_of_flexibility" in table:  # against the first row, proved: only this row's
        assert pd.isna(stopped_row["value_of_flexibility"])
    if "saving_pct" in table:  # against the independent row, the one stopped: every row's
        assert table["saving"].isna().all() and table["saving_pct"].isna().all()
    elif "saving" in table:  # against the baseline, proved: only this row's
        assert pd.isna(stopped_row["saving"])


@pytest.mark.integration
@pytest.mark.parametrize(("key", "comparison"), COMPARISONS)
def test_a_tiny_time_limit_claims_no_proof_it_lacks(key, comparison, tmp_path):
    """With 0.5 s for the whole call, whatever each policy's solve reached is reported as it
    is: an optimal row within the gap asked for, a row without a solution without numbers,
    and the exit code of the overall status."""
    path = small_instance(key, tmp_path / "in")
    result = invoke(
        "compare", path, "--model", key, "--comparison", comparison.name,
        "--time-limit", "0.5", "--json", "-o", str(tmp_path / "out"),
    )  # fmt: skip
    data = json.loads(result.stdout)
    rows = data[comparison.rows_key]
    assert data["status"] == overall_status(pd.Series([r["status"] for r in rows]))
    assert result.exit_code == (0 if data["status"] in ("optimal", "feasible") else 3)
    for row in rows:
        if row["status"] == "optimal":
            assert row["gap"] is not None and row["gap"] <= 1e-6, row
        if row["status"] not in ("optimal", "feasible"):
            numbers = [v for k, v in row.items() if k not in ("status", "gap") and v is not None]
            assert all(isinstance(v, str) for v in numbers), row


@pytest.mark.component
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sharing_saves_what_brute_force_enumeration_says(seed, tmp_path):
    """Shared: the best open set for the pooled demand; independent: each platform's best
    open set for its own demand, added up; both by enumerating every open set with an exact
    transportation LP (tests/brute_force.py), not by the package's model."""
    rng = np.random.default_rng(seed)
    m, n = 3, 4
    own = rng.integers(1, 9, size=(3, n)).astype(float)
    fixed = rng.integers(10, 60, size=m).astype(float)
    capacity = rng.integers(int(own.sum() // 2), int(own.sum()) + 1, size=m).astype(float)
    unit_cost = rng.integers(1, 20, size=(m, n)).astype(float)
    folder = write_shared(tmp_path / "x", fixed, capacity, own, unit_cost)
    comparison = MODELS["warehouses"].comparisons[0]
    table = comparison.run(cbecopt.load_instance(folder)).set_index("policy")
    shared = multi_source_optimum(fixed, capacity, own.sum(axis=0), unit_cost)
    alone = sum(multi_source_optimum(fixed, capacity, own[p], unit_cost) for p in range(3))
    assert table.at["shared", "cost"] == pytest.approx(shared, rel=1e-9)
    assert table.at["independent", "cost"] == pytest.approx(alone, rel=1e-9)
    assert table.at["shared", "saving"] == pytest.approx(alone - shared, rel=1e-9, abs=1e-9)
    assert (table["status"] == "optimal").all()


@pytest.mark.integration
def test_saa_reads_an_smps_triple_as_the_smps_model(tmp_path):
    core = str(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, RHS_STO))
    args = ["--n", "3", "--replications", "2", "--evaluation-n", "5", "--json"]
    by_model = invoke("saa", core, "--model", "smps", *args)
    assert by_model.exit_code == 0, by_model.stderr
    by_format = invoke("saa", core, "--format", "smps", *args)
    assert without_timings(by_model.stdout) == without_timings(by_format.stdout)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["frontier", "demo", "--model", "warehouses"], "'warehouses' is not a two-stage model"),
        (["saa", "contracts_demo", "--model", "smps"], "the smps model reads SMPS files"),
    ],
    ids=["frontier of a deterministic model", "saa --model smps on an instance"],
)
def test_frontier_and_saa_refuse_a_model_that_cannot_take_them(args, text):
    result = invoke(*args)
    assert result.exit_code == 2 and text in result.stderr


@pytest.mark.unit
def test_the_readme_lists_every_comparison_as_registered():
    """The README's table of comparisons is the registry's, row for row."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    for key, spec in MODELS.items():
        for c in spec.comparisons:
            options = ", ".join(f"`{o}`" for o in c.options) or "none"
            folder = f"`{c.out}`" if c.out else "nothing"
            row = f"| {key} | `{c.command}` | {', '.join(c.policies)} | {options} | `{c.rows_key}` | {folder} |"
            assert row in readme, row
