"""Ctrl-C, SIGTERM and --time-limit on the command line, as a user meets them.

Marked ``timing``: ``make test`` runs these alone, one at a time, after the other tests, so
that the wall clock measures cbecopt and not the other tests running beside it.

A first SIGINT or SIGTERM stops HiGHS and the command prints and writes what was found (exit
130 / 143); a second leaves at once. ``--time-limit`` bounds the whole command, loading
included, for every command and method: the wall clock stays within the limit plus
max(2 s, 5%), and the result's timings add up to its total.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks.limits import COMMANDS, instances

import cbecopt

pytestmark = pytest.mark.timing

HIGHS_STARTED = "cbecopt: HiGHS: solving"
"""The line --verbose prints as HiGHS starts: the solve is under way."""


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> dict[str, Path]:
    """Generated instances that take longer than the limits used here (those the ``limits``
    benchmark measures)."""
    return instances(tmp_path_factory.mktemp("hard"))


def start(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cbecopt", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_highs(
    process: subprocess.Popen, timeout: float = 120, started: str = HIGHS_STARTED
) -> list[str]:
    """Read stderr until HiGHS has started (--verbose announces each run on stderr, or the
    line ``started``); a process that has not got there within ``timeout`` seconds is killed."""
    import threading

    guard = threading.Timer(timeout, process.kill)
    guard.start()
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if started in line:
                return seen
    finally:
        guard.cancel()
    raise AssertionError("HiGHS never started:\n" + "".join(seen))


def finish(process: subprocess.Popen, timeout: float) -> tuple[int, dict, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, json.loads(stdout) if stdout.strip() else {}, stderr


@pytest.mark.integration
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_solve_returns_the_incumbent_printed_and_written(
    hard, tmp_path, signum, code
):
    out = tmp_path / "plan"
    solving = start("solve", hard["warehouses"], "--json", "--verbose", "-o", out)
    wait_for_highs(solving)
    time.sleep(2.0)
    sent = time.monotonic()
    solving.send_signal(signum)
    returncode, result, stderr = finish(solving, timeout=60)
    assert returncode == code and "Traceback" not in stderr
    assert time.monotonic() - sent < 10
    name = signal.Signals(signum).name
    assert result["status"] in ("feasible", "no_solution")
    assert result["termination"].startswith(f"stopped by {name}")
    if result["status"] == "feasible":  # the incumbent with its bound and gap
        assert result["objective"] == pytest.approx(result["kpis"]["total_cost"], rel=1e-9)
        if "did not stop" not in result["termination"]:  # HiGHS stopped when asked
            assert result["bound"] is not None and result["gap"] > 0
        elif result["bound"] is not None:  # given up on inside an LP: the last bound it gave
            assert result["bound"] < result["objective"]
    written = json.loads((out / "result.json").read_text())
    assert written["status"] == result["status"] and written["objective"] == result["objective"]


@pytest.mark.integration
def test_a_signal_inside_the_root_lp_still_returns_at_once(benchmarks, tmp_path):
    """HiGHS cannot be interrupted inside the root LP of capa (about 40 s): the command
    gives up on it and returns the last incumbent HiGHS reported, within seconds."""
    solving = start(
        "solve",
        benchmarks / "orlib_cap" / "capa.txt",
        "--format",
        "orlib-cap",
        "--capacity",
        "8000",
        "--time-limit",
        "100",
        "--json",
        "--verbose",
    )
    wait_for_highs(solving)
    time.sleep(3.0)
    sent = time.monotonic()
    solving.send_signal(signal.SIGINT)
    returncode, result, stderr = finish(solving, timeout=120)
    assert returncode == 130 and "Traceback" not in stderr
    assert time.monotonic() - sent < 10
    assert result["status"] in ("feasible", "no_solution")
    assert result["termination"].startswith("stopped by SIGINT")


@pytest.mark.integration
@pytest.mark.parametrize("delay", [0.4, 0.8, 1.5, 2.5])
def test_ctrl_c_in_the_first_moments_ends_cleanly(hard, tmp_path, delay):
    """From the moment cbecopt's own code runs (Python's start-up takes the first ~0.1 s, in
    which no program can catch Ctrl-C), through the imports, loading and solving."""
    out = tmp_path / "plan"
    solving = start("solve", hard["warehouses"], "--json", "-o", out)
    time.sleep(delay)
    solving.send_signal(signal.SIGINT)
    returncode, result, stderr = finish(solving, timeout=60)
    assert returncode == 130, stderr
    assert "Traceback" not in stderr
    if out.exists() and any(out.iterdir()):  # a result was made: it is whole and honest
        written = json.loads((out / "result.json").read_text())
        assert written["status"] in ("feasible", "no_solution")
        assert written["status"] == result["status"]


@pytest.mark.integration
def test_a_second_ctrl_c_leaves_at_once(hard):
    solving = start("solve", hard["warehouses"], "--json", "--verbose")
    wait_for_highs(solving)
    solving.send_signal(signal.SIGINT)
    time.sleep(0.2)
    solving.send_signal(signal.SIGINT)
    returncode, _, stderr = finish(solving, timeout=30)
    assert returncode == 130 and "Traceback" not in stderr
    assert "aborted" in stderr


LIMIT = 6.0


@pytest.mark.integration
@pytest.mark.parametrize("case", list(COMMANDS))
def test_the_time_limit_bounds_the_whole_command(hard, tmp_path, case):
    """Every command and method, on an instance it cannot finish (see benchmarks.limits)."""
    args = [a.format(**hard, out=tmp_path) for a in COMMANDS[case]]
    started = time.monotonic()
    returncode, result, stderr = finish(
        start(*args, "--time-limit", str(LIMIT), "--json"), timeout=120
    )
    wall = time.monotonic() - started
    assert "Traceback" not in stderr and returncode in (0, 3), stderr
    assert wall <= LIMIT + max(2.0, 0.05 * LIMIT), f"{case}: {wall:.2f} s for a {LIMIT} s limit"
    timings = result["timings"]
    parts = sum(v for k, v in timings.items() if k != "total")
    assert parts == pytest.approx(timings["total"], abs=1e-5)  # the parts add up...
    assert timings["total"] <= wall  # ...to the command's own wall clock
    assert result["status"] != "optimal" or returncode == 0


@pytest.mark.component
def test_timings_add_up_to_the_wall_clock_of_an_api_call():
    instance = cbecopt.load_instance("instances/demo")
    solve = cbecopt.solve  # imported on first use: not part of the call
    started = time.monotonic()
    result = solve(instance, "warehouses")
    call = time.monotonic() - started
    parts = sum(v for k, v in result.timings.items() if k != "total")
    assert parts == pytest.approx(result.timings["total"], abs=1e-6)
    # the total is the load plus this call, measured from its first line
    assert result.timings["total"] - result.timings["load"] == pytest.approx(call, abs=0.05)


@pytest.mark.component
def test_without_a_signal_handler_ctrl_c_in_the_api_returns_the_incumbent(hard):
    """In Python (a notebook) Ctrl-C raises KeyboardInterrupt in the waiting thread: the solve
    asks HiGHS to stop and returns what it has, marked as stopped, instead of losing it."""
    import _thread
    import threading

    instance = cbecopt.load_instance(hard["warehouses"])
    timer = threading.Timer(8.0, _thread.interrupt_main)
    timer.start()
    try:
        result = cbecopt.solve(instance, "warehouses")
    finally:
        timer.cancel()
    assert result.status in (cbecopt.Status.FEASIBLE, cbecopt.Status.NO_SOLUTION)
    assert result.termination.startswith("stopped by SIGINT")
    if result.ok:
        assert result.gap is not None and result.gap > 0


@pytest.mark.component
def test_ctrl_c_in_the_api_stops_the_lagrangian_search_with_its_incumbent(hard):
    """As above, in the Lagrangian branch-and-bound (about 15 s to prove this instance)."""
    import _thread
    import threading

    instance = cbecopt.load_instance(hard["warehouses"])
    timer = threading.Timer(5.0, _thread.interrupt_main)
    timer.start()
    try:
        result = cbecopt.solve(instance, "warehouses", method="lagrangian")
    finally:
        timer.cancel()
    assert result.status == cbecopt.Status.FEASIBLE, result.termination
    assert result.termination == "stopped by SIGINT"
    if result.bound is not None:  # none when stopped inside the root
        assert result.bound < result.objective and result.gap > 0


@pytest.mark.integration
@pytest.mark.parametrize(
    "model, how", [("routing", ("--sku-blocks", "50")), ("network", ("--method", "sku_blocks"))]
)
def test_sku_block_workers_stop_with_the_command(hard, model, how):
    """A SIGTERM to the command reaches its worker processes: none is left running."""
    solving = start("solve", hard[model], "--model", model, *how, "--json", "--verbose")
    wait_for_highs(solving, started="cbecopt: SKU blocks, bound pass: solving")  # by the parent
    time.sleep(3.0)  # the workers start and solve
    solving.send_signal(signal.SIGTERM)
    returncode, result, stderr = finish(solving, timeout=60)
    assert returncode == 143 and "Traceback" not in stderr
    assert result["status"] in ("feasible", "no_solution")
    children = [p for p in os.listdir("/proc") if p.isdigit() and _parent(p) == solving.pid]
    assert not children


def _parent(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
