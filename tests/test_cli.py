"""The command line as a user meets it: output, exit codes, files written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import DEMAND, write_instance


def cbecopt(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "cbecopt", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def cbecopt_in_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The command line run in this process, for a test that is not about the process itself
    (seconds faster than starting Python and importing the package again).

    As ``python -m cbecopt`` does: the package's warnings print as ``warning:`` lines on
    stderr, and an exception the command does not handle prints its traceback on stderr and
    exits 1, so a check for "Traceback" still sees it.
    """
    import logging
    import traceback
    from contextlib import chdir, nullcontext

    from typer.testing import CliRunner

    from cbecopt.cli.run import _Warnings, app

    warnings = _Warnings()
    logger = logging.getLogger("cbecopt")
    logger.addHandler(warnings)
    try:
        with chdir(cwd) if cwd is not None else nullcontext():
            result = CliRunner().invoke(app, list(args), env={"COLUMNS": "120"})
    finally:
        logger.removeHandler(warnings)
    code, stderr = result.exit_code, result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        error = result.exception
        stderr += "Traceback (most recent call last):\n" + "".join(
            traceback.format_exception(type(error), error, error.__traceback__)
        )
        code = 1
    return subprocess.CompletedProcess(["cbecopt", *args], code, result.stdout, stderr)


@pytest.mark.integration
def test_solve_json_is_one_object_with_the_stable_keys(tmp_path):
    run = cbecopt("solve", str(write_instance(tmp_path / "x")), "--model", "warehouses", "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    for key in ("status", "objective", "bound", "gap", "model", "instance", "timings"):
        assert key in data
    assert data["status"] == "optimal"
    assert set(data["timings"]) >= {"load", "build", "handoff", "solve", "extract", "total"}


@pytest.mark.integration
def test_solve_writes_tables_atomically(tmp_path):
    out = tmp_path / "out"
    run = cbecopt("solve", str(write_instance(tmp_path / "x")), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert {p.name for p in out.iterdir()} == {
        "result.json",
        "open.csv",
        "flows.csv",
        "markets.csv",
    }
    saved = json.loads((out / "result.json").read_text())
    assert saved["status"] == "optimal"
    assert set(saved["manifest"]["files"]) == {"open.csv", "flows.csv", "markets.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "x"], "temporaries left behind"


@pytest.mark.integration
def test_solve_writes_one_workbook_when_out_ends_in_xlsx(tmp_path):
    import pandas as pd

    folder = str(write_instance(tmp_path / "x"))
    run = cbecopt("solve", folder, "--out", str(tmp_path / "plan.xlsx"), "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    sheets = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    assert list(sheets) == ["summary", "open", "flows", "markets"]
    summary = dict(zip(sheets["summary"]["key"], sheets["summary"]["value"], strict=True))
    assert summary["status"] == "optimal"
    assert float(summary["objective"]) == pytest.approx(data["objective"], rel=1e-12)
    assert "timings.solve" in summary and "options.mip_rel_gap" in summary
    assert cbecopt("solve", folder, "--out", str(tmp_path / "csv")).returncode == 0
    flows = pd.read_csv(tmp_path / "csv" / "flows.csv")
    pd.testing.assert_frame_equal(sheets["flows"], flows, check_dtype=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv", "plan.xlsx", "x"]


@pytest.mark.integration
def test_bad_input_exits_2_without_traceback_and_writes_nothing(tmp_path):
    folder = write_instance(tmp_path / "x", demand=DEMAND + "nowhere,5\n")
    out = tmp_path / "out"
    run = cbecopt("solve", str(folder), "--out", str(out))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert "demand.csv, row 4, column 'market'" in run.stderr
    assert not out.exists()


@pytest.mark.integration
def test_infeasible_exits_3_with_a_diagnosis(tmp_path):
    folder = write_instance(tmp_path / "x", demand=DEMAND.replace("m2,40", "m2,400"))
    run = cbecopt("solve", str(folder), "--json")
    assert run.returncode == 3
    data = json.loads(run.stdout)
    assert data["status"] == "infeasible" and data["objective"] is None
    assert any("short of total demand" in cause for cause in data["diagnosis"])


@pytest.mark.integration
def test_validate_list_generate_convert(tmp_path):
    cbecopt = cbecopt_in_process  # the commands' work, not the process, is checked here
    assert cbecopt("validate", str(write_instance(tmp_path / "x"))).returncode == 0
    listing = cbecopt("list")
    assert listing.returncode == 0 and "warehouses" in listing.stdout and "demo" in listing.stdout
    gen = tmp_path / "gen"
    assert (
        cbecopt(
            "generate",
            "warehouses",
            "--warehouses",
            "4",
            "--markets",
            "9",
            "--seed",
            "2",
            "-o",
            str(gen),
        ).returncode
        == 0
    )
    assert cbecopt("convert", str(gen), str(tmp_path / "gen.xlsx")).returncode == 0
    run = cbecopt("solve", str(tmp_path / "gen.xlsx"), "--json")
    assert json.loads(run.stdout)["status"] == "optimal"


@pytest.mark.integration
def test_unknown_model_and_bad_option_are_clear(tmp_path):
    folder = str(write_instance(tmp_path / "x"))
    run = cbecopt("solve", folder, "--model", "nope")
    assert run.returncode == 2 and "unknown model 'nope'" in run.stderr
    run = cbecopt("solve", folder, "--time-limit", "-1")
    assert run.returncode == 2 and "time limit must be a positive number" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.integration
def test_independent_reports_sharing(tmp_path):
    demand = "market,platform,quantity\nm1,a,10\nm1,b,20\nm2,a,25\nm2,b,15\n"
    run = cbecopt(
        "solve", str(write_instance(tmp_path / "x", demand=demand)), "--independent", "--json"
    )
    data = json.loads(run.stdout)
    assert data["status"] == "optimal"
    assert "platform_costs" in data["tables"]
    assert data["kpis"]["independent_cost"] >= data["kpis"]["shared_cost"]


@pytest.mark.unit
def test_long_runs_show_their_step_live_on_a_terminal_and_as_steady_lines_in_a_pipe(
    monkeypatch, capsys
):
    """The package logs each step of a multi-solve run and each HiGHS run's progress; the CLI
    shows both as one live line on a terminal, as plain lines on stderr at a steady rate in a
    pipe (none in a short run), and with --verbose only the steps (HiGHS's own log says the
    rest)."""
    import importlib
    import io
    import logging

    from rich.console import Console

    app = importlib.import_module("cbecopt.cli.app")  # the module, not the Typer object
    step = ("cbecopt.compare", "compare-routing: hybrid (4/4)")
    solver = ("cbecopt.highs", "HiGHS 12 s: incumbent 110.00, bound 100.00, gap 9.09%, 7 nodes")

    def run(terminal: bool, verbose: bool) -> tuple[str, str]:
        screen = io.StringIO()
        monkeypatch.setattr(app, "err", Console(file=screen, force_terminal=terminal, width=200))
        with app.solving(False, verbose):
            for name, message in (step, solver):
                logging.getLogger(name).info(message, extra={"highs_progress": name == solver[0]})
        assert logging.getLogger("cbecopt").handlers == []  # the handler is removed
        return screen.getvalue(), capsys.readouterr().err

    live, _ = run(terminal=True, verbose=False)
    assert f"{step[1]} · {solver[1]}" in live
    assert run(terminal=False, verbose=False) == ("", "")  # within the first seconds: nothing
    monkeypatch.setattr(app, "PIPE_PROGRESS_SECONDS", 0.0)
    screen, lines = run(terminal=False, verbose=False)
    assert screen == "" and lines.splitlines() == [
        f"cbecopt: [0:00] {step[1]}",
        f"cbecopt: [0:00] {step[1]} · {solver[1]}",
    ]
    screen, lines = run(terminal=True, verbose=True)
    assert step[1] not in screen and lines == f"cbecopt: {step[1]}\n"


@pytest.mark.component
def test_a_running_highs_solve_reports_incumbent_bound_and_gap(monkeypatch, caplog):
    """Every PROGRESS_SECONDS a MIP under way logs its incumbent, bound and gap (a hard
    multi-knapsack stopped by a time limit: it runs long enough to be watched)."""
    import logging
    import re

    import numpy as np
    import pyomo.environ as pyo

    from cbecopt import highs

    rng = np.random.default_rng(7)
    items, rows = 120, 6
    weight = rng.integers(20, 100, size=(rows, items))
    value = weight.sum(axis=0) + rng.integers(0, 30, size=items)
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(items), domain=pyo.Binary)
    m.cap = pyo.Constraint(
        range(rows),
        rule=lambda m, r: (
            sum(int(weight[r, i]) * m.x[i] for i in range(items)) <= int(weight[r].sum() // 2)
        ),
    )
    m.obj = pyo.Objective(expr=sum(int(value[i]) * m.x[i] for i in range(items)), sense=-1)
    monkeypatch.setattr(highs, "PROGRESS_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="cbecopt.highs"):
        outcome = highs.solve_compiled(
            highs.compile_model(m), highs.SolveOptions(time_limit=1.0, threads=1)
        )
    reports = [r.getMessage() for r in caplog.records if getattr(r, "highs_progress", False)]
    assert reports and all(r.startswith("HiGHS ") for r in reports)
    last = next(r for r in reversed(reports) if "bound" in r and "incumbent" in r)
    found = re.search(r"incumbent ([-\d,.]+), bound ([-\d,.]+), gap [\d.]+%, [\d,]+ nodes$", last)
    assert found, last
    incumbent, bound = (float(n.replace(",", "")) for n in found.groups())
    # A maximisation: no incumbent shown beats the final one; no bound shown is below it.
    assert incumbent <= outcome.objective + 1e-6 <= bound + 2e-6


@pytest.mark.integration
def test_version_names_the_package_and_the_solver_stack():
    from importlib.metadata import version

    run = cbecopt("--version")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"cbecopt {version('cbecopt')} (")  # the one in pyproject.toml
    assert f"highspy {version('highspy')}" in run.stdout
