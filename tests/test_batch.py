"""Batches of independent solves on Dask (``--workers N``, ``--scheduler ADDRESS``): the same
results as the serial run, a clear message without Dask, and options checked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import cbecopt
from cbecopt.batch import ENABLE, Batch, solve_each
from cbecopt.errors import OptionError
from cbecopt.instance import PortableInstance
from cbecopt.whatif import whatif
from test_cli import cbecopt_in_process

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
CHANGES = {"dearer": "nodes:*:fixed_cost=*1.5", "more demand": "demand:*:quantity=*1.2"}


@pytest.mark.integration
def test_a_local_cluster_gives_the_serial_results():
    instance = cbecopt.load_instance(INSTANCES / "demo")
    options = cbecopt.SolveOptions(seed=3)
    serial = whatif(instance, "warehouses", CHANGES, options)
    on_dask = whatif(instance, "warehouses", CHANGES, options, batch=Batch(workers=2))
    columns = ["scenario", "status", "objective", "bound", "change"]
    assert serial.table[columns].equals(on_dask.table[columns])
    assert (on_dask.table["status"] == "optimal").all()
    for name, result in on_dask.results.items():
        assert result.options["threads"] == 1, name  # one HiGHS thread per task
        assert result.tables["open"].equals(serial.results[name].tables["open"])


@pytest.mark.integration
def test_whatif_takes_workers_on_the_command_line():
    args = ["whatif", "demo", "--set", CHANGES["dearer"], "--json"]
    serial = cbecopt_in_process(*args)
    on_dask = cbecopt_in_process(*args, "--workers", "2")
    assert on_dask.returncode == serial.returncode == 0, on_dask.stderr
    assert on_dask.stdout.split('"timings"')[0] == serial.stdout.split('"timings"')[0]
    assert on_dask.stderr == ""  # no Dask log on the terminal


@pytest.mark.component
def test_without_dask_a_cluster_batch_runs_serially_and_says_how_to_get_dask(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    instance = cbecopt.load_instance(INSTANCES / "demo")
    jobs = {"base": (instance, None)}
    done = solve_each("whatif", jobs, "warehouses", cbecopt.SolveOptions(), Batch(workers=2))
    assert done["base"].status == cbecopt.Status.OPTIMAL
    assert done["base"].options["threads"] is None  # solved here, not as a one-thread task
    assert ENABLE in caplog.text and "cbecopt[scale]" in ENABLE


@pytest.mark.unit
@pytest.mark.parametrize(
    ("workers", "scheduler", "text"),
    [(0, None, "at least 1"), (2, "tcp://127.0.0.1:8786", "not both")],
)
def test_a_batch_refuses_nonsense(workers, scheduler, text):
    with pytest.raises(OptionError, match=text):
        Batch(workers, scheduler)


@pytest.mark.unit
def test_one_worker_is_the_serial_run():
    assert not Batch().on_cluster and not Batch(workers=1).on_cluster
    assert Batch(workers=2).on_cluster and Batch(scheduler="tcp://127.0.0.1:8786").on_cluster


@pytest.mark.unit
def test_an_instance_travels_as_plain_tables():
    import pickle

    instance = cbecopt.load_instance(INSTANCES / "network_demo")
    back = pickle.loads(pickle.dumps(PortableInstance.of(instance))).instance()
    assert back.name == instance.name and back.first_month == instance.first_month
    for name, table in instance.tables.items():
        assert back.tables[name].equals(table), name
    assert back.source("demand") == instance.source("demand")


@pytest.mark.integration
def test_a_comparison_on_a_local_cluster_gives_the_serial_rows():
    args = ["compare-suppliers", "suppliers_demo", "--json"]
    serial = cbecopt_in_process(*args)
    on_dask = cbecopt_in_process(*args, "--workers", "2")
    assert on_dask.returncode == serial.returncode == 0, on_dask.stderr
    rows = '"policies"'
    assert on_dask.stdout.split(rows)[1] == serial.stdout.split(rows)[1]


@pytest.mark.integration
def test_a_comparison_solved_in_sequence_refuses_workers():
    done = cbecopt_in_process("compare-remedies", "network_demo", "--workers", "2")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--workers" in done.stderr and "one after another" in done.stderr


@pytest.mark.integration
def test_the_coalitions_of_independent_on_a_local_cluster_give_the_serial_split():
    import json

    args = ["solve", "demo", "--independent", "--json"]
    serial = json.loads(cbecopt_in_process(*args).stdout)
    on_dask = json.loads(cbecopt_in_process(*args, "--workers", "2").stdout)
    assert on_dask["status"] == serial["status"] == "optimal"
    assert on_dask["kpis"] == serial["kpis"]  # costs, savings, Shapley, nucleolus, core


@pytest.mark.integration
def test_workers_without_independent_are_refused():
    done = cbecopt_in_process("solve", "demo", "--workers", "2")
    assert done.returncode == 2 and "--independent" in done.stderr


@pytest.mark.integration
def test_the_pareto_points_on_a_local_cluster_give_the_serial_front(tmp_path):
    from cbecopt.models.suppliers.generate import generate_suppliers

    small = cbecopt.save_instance(
        generate_suppliers(6, 4, seed=2, offers_per_sku=3), tmp_path / "small"
    )
    args = ["pareto", str(small), "--points", "5", "--json"]
    serial = cbecopt_in_process(*args, "-o", str(tmp_path / "a"))
    on_dask = cbecopt_in_process(*args, "-o", str(tmp_path / "b"), "--workers", "2")
    assert on_dask.returncode == serial.returncode == 0, on_dask.stderr
    front = '"points"'
    assert front in serial.stdout
    assert on_dask.stdout.split(front)[1] == serial.stdout.split(front)[1]


@pytest.mark.integration
def test_a_solve_that_fails_on_the_cluster_raises_as_it_would_serially():
    """A task's error is the batch's error, not a solve reported as stopped."""
    instance = cbecopt.load_instance(INSTANCES / "demo")
    jobs = {"base": (instance, None)}
    with pytest.raises(OptionError, match="no-such-model"):
        solve_each("whatif", jobs, "no-such-model", cbecopt.SolveOptions())
    with pytest.raises(OptionError, match="no-such-model"):
        solve_each("whatif", jobs, "no-such-model", cbecopt.SolveOptions(), Batch(workers=2))
