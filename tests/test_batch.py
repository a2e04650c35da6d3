"""Batches of independent solves on Dask (``--workers N``, ``--scheduler ADDRESS``): the same
results as the serial run, a clear message without Dask, and options checked."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import cbecopt
from cbecopt.batch import ENABLE, Batch, running_on, solve_each
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
def test_the_remedy_comparison_on_a_local_cluster_gives_the_serial_rows(caplog):
    """Every strategy but joint is a task; joint runs here from sequential's plan."""
    import logging

    from cbecopt.models.network.generate import generate_network
    from cbecopt.models.network.read import read_network
    from cbecopt.models.network.remedies import compare_strategies

    instance = generate_network(
        n_skus=3, n_suppliers=4, n_provinces=2, months=2, n_scenarios=2, seed=5
    )
    d = read_network(instance)
    options = cbecopt.SolveOptions(threads=1, mip_rel_gap=1e-9)
    serial = compare_strategies(d, options, instance=instance).table
    with running_on(Batch(workers=2)), caplog.at_level(logging.INFO, logger="cbecopt.batch"):
        on_dask = compare_strategies(d, options, instance=instance).table
    assert "compare-remedies: 6 solves on" in caplog.text
    assert list(on_dask["strategy"]) == list(serial["strategy"])
    assert list(on_dask["status"]) == list(serial["status"]) == ["optimal"] * 7
    assert on_dask["objective"].tolist() == pytest.approx(serial["objective"].tolist(), rel=1e-7)
    assert list(on_dask["note"]) == list(serial["note"])


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


# The weights of a frontier and the replications of SAA (issue 13): a small two-stage instance,
# few weights and replications, n small.
FRONTIER = ["frontier", "contracts_demo", "--points", "3", "--json"]
SAA = ["saa", "contracts_demo", "--n", "5", "--replications", "2", "--evaluation-n", "20"]
SAA_SIZES = {"n": 5, "replications": 2, "evaluation_n": 20}


def _same_rows(serial: list[dict], on_dask: list[dict]) -> None:
    """Rows equal to the serial run's: the same keys and statuses, numbers to 1e-9 relative."""
    assert len(on_dask) == len(serial) and serial
    for mine, theirs in zip(on_dask, serial, strict=True):
        assert mine.keys() == theirs.keys()
        for key, value in theirs.items():
            if isinstance(value, float):
                assert mine[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
            else:
                assert mine[key] == value, key


@pytest.mark.integration
def test_the_frontier_on_a_local_cluster_gives_the_serial_points(tmp_path):
    import json

    serial = cbecopt_in_process(*FRONTIER, "-o", str(tmp_path / "a"))
    on_dask = cbecopt_in_process(*FRONTIER, "-o", str(tmp_path / "b"), "--workers", "2")
    assert on_dask.returncode == serial.returncode == 0, on_dask.stderr
    assert on_dask.stderr == ""  # no Dask log on the terminal
    points = json.loads(serial.stdout)["points"]
    assert [p["status"] for p in points] == ["optimal"] * 3
    _same_rows(points, json.loads(on_dask.stdout)["points"])


@pytest.mark.integration
def test_the_saa_replications_on_a_local_cluster_give_the_serial_estimates():
    import json

    serial = json.loads(cbecopt_in_process(*SAA, "--json").stdout)
    done = cbecopt_in_process(*SAA, "--json", "--workers", "2")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    on_dask = json.loads(done.stdout)
    assert serial["summary"]["all_optimal"] and serial["summary"]["evaluation_n"] == 20
    _same_rows(serial["replications"], on_dask["replications"])
    _same_rows([serial["summary"]], [on_dask["summary"]])  # seeds, gap, bounds, evaluation


def _contracts_demo():
    from cbecopt.models import MODELS

    instance = cbecopt.load_instance(INSTANCES / "contracts_demo")
    spec = MODELS["contracts"]
    config = spec.config_type()
    return instance, config, spec.build(instance, config, 0)


@pytest.mark.component
def test_without_dask_the_frontier_and_saa_run_serially_and_say_how_to_get_dask(
    monkeypatch, caplog
):
    from cbecopt.batch import PortableProblem, running_on
    from cbecopt.stochastic.frontier import efficient_frontier
    from cbecopt.stochastic.saa import mrp_gap, saa_sampler

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    instance, config, problem = _contracts_demo()
    travels = PortableProblem.of(problem, instance, "contracts", config)
    options = cbecopt.SolveOptions()
    sampler = saa_sampler(problem, instance, "contracts", config)
    serial = efficient_frontier(problem, [0.0, 1.0], 0.95, options)
    with running_on(Batch(workers=2)):
        frontier = efficient_frontier(problem, [0.0, 1.0], 0.95, options, travels)
        saa = mrp_gap(
            problem.with_scenarios, sampler, 5, 2, options=options, evaluation_n=0, travels=travels
        )
    assert ENABLE in caplog.text
    assert frontier.equals(serial) and (frontier["status"] == "optimal").all()
    assert saa.summary["all_optimal"] and list(saa.replications["replication"]) == [1, 2]


@pytest.mark.component
def test_a_stop_on_the_cluster_leaves_the_unfinished_steps_without_a_solution(monkeypatch):
    """A step the stop cancelled comes back None from the cluster: its frontier point and
    its replication keep their rows, ``no_solution``, and the estimates that need them are
    left out."""
    import cbecopt.batch as batch_layer
    from cbecopt.stochastic.frontier import efficient_frontier
    from cbecopt.stochastic.saa import mrp_gap

    cancelled = []

    def stopped_before_any_finished(command, task, items, arguments, options, batch):
        cancelled.extend(items)
        return dict.fromkeys(items)

    monkeypatch.setattr(batch_layer, "run_tasks", stopped_before_any_finished)
    token = batch_layer._current.set(Batch(workers=2))  # a cluster, as running_on sets it
    try:
        _, _, problem = _contracts_demo()
        frontier = efficient_frontier(problem, [0.0, 0.5, 1.0])
        saa = mrp_gap(problem.with_scenarios, _resampled(problem), 5, 2, evaluation_n=10)
    finally:
        batch_layer._current.reset(token)
    assert list(frontier["status"]) == ["no_solution"] * 3
    assert list(frontier["weight"]) == [0.0, 0.5, 1.0] and frontier["objective"].isna().all()
    assert list(saa.replications["status"]) == ["no_solution"] * 2
    assert saa.summary["status"] == "unfinished" and "upper_bound_estimate" not in saa.summary
    assert len(cancelled) == 3 + 3  # three weights; two replications and the evaluation


def _resampled(problem):
    from cbecopt.stochastic.saa import resampler

    return resampler(problem.scenarios())


@pytest.mark.unit
def test_a_two_stage_problem_travels_as_its_recipe_with_its_sampler():
    """The replications' tasks rebuild the problem and its sampler from plain tables: the
    same samples from the same seeds as here (routing draws fresh demand from means and std,
    a sampler that does not pickle)."""
    import pickle

    import numpy as np

    from cbecopt.batch import PortableProblem
    from cbecopt.models import MODELS
    from cbecopt.stochastic.saa import SamplingOn, saa_sampler

    instance = cbecopt.load_instance(INSTANCES / "routing_demo")
    config = MODELS["routing"].config_type()
    problem = MODELS["routing"].build(instance, config, 0)
    travels = PortableProblem.of(problem, instance, "routing", config, 0)
    rebuild, sampler = pickle.loads(pickle.dumps(SamplingOn(travels))).here()
    here = saa_sampler(problem, instance, "routing", config)(3, 7)
    there = sampler(3, 7)
    assert [s[:2] for s in there] == [s[:2] for s in here]
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(here, there, strict=True))
    assert rebuild(there).scenarios()[0][0] == here[0][0]
    assert PortableProblem.of(problem).here() is problem  # read from files: as it is


@pytest.mark.integration
def test_the_benchmark_cases_side_by_side_give_the_serial_rows_and_say_they_ran_in_parallel():
    from benchmarks.__main__ import parallel_note
    from benchmarks.registry import Case
    from benchmarks.runner import run_cases

    cases = [Case(f"gen-4x12-{seed}", "warehouses", f"generate:4x12:{seed}") for seed in (3, 4, 5)]
    serial = run_cases(cases)
    side_by_side = run_cases(cases, workers=2)
    assert list(side_by_side["case"]) == [c.name for c in cases]  # the cases' order
    assert list(side_by_side["status"]) == list(serial["status"]) == ["optimal"] * 3
    assert side_by_side["objective"].tolist() == pytest.approx(serial["objective"].tolist())
    assert (side_by_side["workers"] == 2).all() and (serial["workers"] == 1).all()
    assert "2 workers" in parallel_note(2) and "not comparable" in parallel_note(2)
    assert parallel_note(1) == ""


@pytest.mark.unit
def test_tasks_beyond_the_free_workers_split_what_is_left_over_the_rounds_to_come():
    """A task starts when a worker is free for it, with what is left split over the rounds
    the tasks not yet started need: the batch ends within the call's limit."""
    from cbecopt.batch import _seconds_for
    from cbecopt.limits import Budget

    budget = Budget(100.0)
    assert _seconds_for(budget, 2, 2) == pytest.approx(100.0, abs=0.5)  # all fit: what is left
    assert _seconds_for(budget, 4, 2) == pytest.approx(50.0, abs=0.5)  # two rounds
    assert _seconds_for(budget, 3, 2) == pytest.approx(50.0, abs=0.5)
    assert _seconds_for(budget, 3, 0) == pytest.approx(100.0 / 3, abs=0.5)  # workers starting
    assert _seconds_for(Budget(None), 5, 2) is None
    budget.request_stop("SIGINT")
    assert _seconds_for(budget, 1, 2) == 0.0


@pytest.mark.integration
def test_without_dask_frontier_and_saa_with_workers_say_how_to_get_dask(monkeypatch, tmp_path):
    import json

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    frontier = cbecopt_in_process(*FRONTIER, "-o", str(tmp_path / "f"), "--workers", "2")
    saa = cbecopt_in_process(*SAA, "--json", "--workers", "2")
    for done in (frontier, saa):
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert ENABLE in done.stderr and "one after another" in done.stderr
    assert [p["status"] for p in json.loads(frontier.stdout)["points"]] == ["optimal"] * 3
    assert json.loads(saa.stdout)["summary"]["all_optimal"]


@pytest.mark.integration
def test_sku_blocks_on_a_local_cluster_give_the_bound_and_plan_of_the_process_pool(caplog):
    """Each SKU's relaxation is a Dask task; the bound and the plan are the same."""
    import logging

    from cbecopt.models.network.generate import generate_network

    instance = generate_network(
        n_skus=3, n_suppliers=4, n_provinces=2, months=2, n_scenarios=2, seed=5
    )
    options = cbecopt.SolveOptions(threads=1, mip_rel_gap=1e-9)
    local = cbecopt.solve(instance, "network", options, method="sku_blocks")
    with running_on(Batch(workers=2)), caplog.at_level(logging.INFO, logger="cbecopt.batch"):
        on_dask = cbecopt.solve(instance, "network", options, method="sku_blocks")
    assert "SKU blocks, bound pass: 3 solves on" in caplog.text
    assert on_dask.status == local.status
    assert on_dask.bound == pytest.approx(local.bound, rel=1e-9)
    assert on_dask.objective == pytest.approx(local.objective, rel=1e-9)
    assert on_dask.tables["sku_blocks"]["bound"].tolist() == pytest.approx(
        local.tables["sku_blocks"]["bound"].tolist(), rel=1e-9
    )


@pytest.mark.integration
def test_solve_takes_workers_for_sku_blocks_and_refuses_them_for_one_model():
    refused = cbecopt_in_process(
        "solve", "contracts_demo", "--model", "contracts", "--workers", "2"
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "--method sku_blocks" in refused.stderr
