"""Nonsense options on every command: exit code 2, one line ``error: ...`` naming the option,
no traceback, nothing written (no output folder, no default results folder)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cbecopt.cli.run import app  # the Typer application with every command registered
from cbecopt.highs import available_cores
from test_cli import cbecopt as run_cbecopt

pytestmark = pytest.mark.integration

SOLVING = {
    "solve": ["solve", "demo"],
    "compare-contracts": ["compare-contracts", "contracts_demo"],
    "frontier": ["frontier", "contracts_demo"],
    "saa": ["saa", "contracts_demo"],
    "compare-routing": ["compare-routing", "routing_demo"],
    "pareto": ["pareto", "suppliers_demo"],
    "compare-suppliers": ["compare-suppliers", "suppliers_demo"],
}
"""Every command that solves, on an instance it can take."""

SOLVER_NONSENSE = [
    (["--time-limit", "-1"], "--time-limit"),
    (["--time-limit", "nan"], "--time-limit"),
    (["--gap", "1"], "--gap"),
    (["--threads", "0"], "--threads"),
    (["--threads", str(available_cores() + 1)], "--threads"),
    (["--seed", "-1"], "--seed"),
    (["--seed", str(2**40)], "--seed"),
    (["--highs-option", "mip_rel_gap=0.1"], "use --gap"),
    (["--highs-option", "nonsense=1"], "--highs-option"),
    (["--highs-option", "no-value"], "--highs-option"),
    (["--out", ""], "--out"),
]
"""Options every solving command takes, with values no solve can use (and the text that
names the option in the error)."""

SAMPLING = {
    "solve": ["solve", "routing_demo", "--model", "routing"],
    "compare-contracts": ["compare-contracts", "contracts_demo"],
    "frontier": ["frontier", "routing_demo", "--model", "routing"],
    "compare-routing": ["compare-routing", "routing_demo"],
}
"""Every command that samples demand (--samples), on an instance with means and std."""

CASES = [
    *(
        pytest.param([*args, *option], text, id=f"{command} {' '.join(option)}")
        for command, args in SOLVING.items()
        for option, text in SOLVER_NONSENSE
    ),
    *(
        pytest.param(
            [*args, "--samples", samples], "--samples", id=f"{command} --samples {samples}"
        )
        for command, args in SAMPLING.items()
        for samples in ("0", "1e8", "100000000")
    ),
    # routing_demo has 14,519 demand rows: x 1,000 samples is beyond what fits, said up front
    pytest.param(
        [*SAMPLING["solve"], "--samples", "1000"],
        "--samples: the sampled demand table would have 14,519 x 1,000",
        id="solve --samples 1000 on 14,519 demand rows",
    ),
    *(
        pytest.param(
            [command, instance, "--points", points], "--points", id=f"{command} --points {points}"
        )
        for command, instance in (("frontier", "contracts_demo"), ("pareto", "suppliers_demo"))
        for points in ("1", str(10**12))
    ),
    pytest.param(["saa", "contracts_demo", "--n", "0"], "--n", id="saa --n 0"),
    pytest.param(
        ["saa", "contracts_demo", "--replications", "1"],
        "--replications",
        id="saa --replications 1",
    ),
    pytest.param(
        ["saa", "contracts_demo", "--evaluation-n", "-1"],
        "--evaluation-n",
        id="saa --evaluation-n -1",
    ),
    *(
        pytest.param([*args, "--format", "bogus"], "--format", id=f"{args[0]} --format bogus")
        for args in (
            ["solve", "demo"],
            ["validate", "demo"],
            ["convert", "demo", "x.xlsx"],
            ["frontier", "contracts_demo"],
            ["saa", "contracts_demo"],
        )
    ),
    *(
        pytest.param([*args, "--capacity", "5"], "--capacity", id=f"{args[0]} --capacity")
        for args in (["solve", "demo"], ["validate", "demo"], ["convert", "demo", "x.xlsx"])
    ),
    pytest.param(["convert", "demo", ""], "'target'", id="convert to ''"),
    pytest.param(["generate", "warehouses", "-o", ""], "--output", id="generate -o ''"),
    pytest.param(
        ["generate", "warehouses", "-o", "g", "--seed", "-1"], "--seed", id="generate --seed -1"
    ),
    pytest.param(["scenarios", "routing_demo", "-o", ""], "--output", id="scenarios -o ''"),
    pytest.param(["scenarios", "routing_demo", "-o", "s", "--n", "0"], "--n", id="scenarios --n 0"),
    pytest.param(
        ["scenarios", "routing_demo", "-o", "s", "--n", "1000"], "--n", id="scenarios --n 1000"
    ),
    pytest.param(["tax", "--value", "425", "--date", "2019-13-01"], "2019-13-01", id="tax --date"),
    pytest.param(["solve", "demo", "--threads", "two"], "--threads", id="solve --threads two"),
    pytest.param(["solve", "demo", "--bogus"], "--bogus", id="solve --bogus"),
]


@pytest.mark.parametrize(("args", "text"), CASES)
def test_nonsense_options_exit_2_with_one_line_naming_the_option(args, text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert text in lines[0]
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [], "nothing is written"


@pytest.mark.parametrize(
    "args",
    [
        ["solve", "demo", "--format", "bogus"],
        ["solve", "demo", "--time-limit", "nan", "-o", "out"],
        ["frontier", "contracts_demo", "--points", str(10**12)],
    ],
    ids=" ".join,
)
def test_the_installed_command_says_it_in_one_line_too(args, tmp_path):
    run = run_cbecopt(*args, cwd=tmp_path)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert len(run.stderr.splitlines()) == 1 and run.stderr.startswith("error: ")
    assert list(tmp_path.iterdir()) == []
