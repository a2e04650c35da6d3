"""Run benchmark cases, each in a fresh process, and write one tidy row per run.

A fresh process per case gives an honest peak memory (``ru_maxrss``) and keeps one case's
garbage out of the next one's timings; ``--workers N`` runs N such processes side by side
(each row's ``workers`` says how many ran at once: times measured under that load are not
serial times). Two-stage cases (SMPS problems and the contracts
model) are built as the extensive form over all their scenarios.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import pandas as pd

from benchmarks.registry import Case

COLUMNS = [
    "case",
    "model",
    "scenarios",
    "status",
    "objective",
    "known_optimum",
    "rel_error",
    "agrees",
    "bound",
    "gap",
    "load_s",
    "prepare_s",
    "build_s",
    "handoff_s",
    "solve_s",
    "extract_s",
    "total_s",
    "build_handoff_s",
    "reference_s",
    "overhead_ratio",
    "incumbent_ratio",
    "reference_counts",
    "variables",
    "integer_variables",
    "constraints",
    "nonzeros",
    "peak_mb",
    "highs_options",
    "workers",
]


TWO_STAGE = ("smps", "contracts", "routing", "network")
"""Models solved as an extensive form (``smps`` is an SMPS problem read from its files)."""


def _load(case: Case):
    """The instance (an :class:`SmpsProblem` for ``fmt="smps"``) and the seconds to get it."""
    import cbecopt
    from cbecopt.models.contracts.generate import generate_contracts
    from cbecopt.models.network.generate import generate_network
    from cbecopt.models.routing.generate import generate_routing
    from cbecopt.models.suppliers.generate import generate_suppliers
    from cbecopt.models.warehouses.generate import generate_warehouses
    from cbecopt.readers.smps import read_smps

    start = time.perf_counter()
    if case.source.startswith("generate-network:"):
        _, size, seed = case.source.split(":")
        skus, provinces, scenarios, *more = (int(v) for v in size.split("x"))
        sizes = dict(zip(("n_suppliers", "n_bonded"), more, strict=False))
        made = generate_network(
            skus, seed=int(seed), n_provinces=provinces, n_scenarios=scenarios, **sizes
        )
        return made, time.perf_counter() - start
    if case.source.startswith("generate-routing:"):
        _, skus, seed = case.source.split(":")
        return generate_routing(int(skus), seed=int(seed)), time.perf_counter() - start
    if case.source.startswith(("generate:", "generate-contracts:", "generate-suppliers:")):
        kind, size, seed = case.source.split(":")
        a, b = (int(v) for v in size.split("x"))
        generate = {
            "generate": generate_warehouses,
            "generate-contracts": generate_contracts,
            "generate-suppliers": generate_suppliers,
        }[kind]
        return generate(a, b, seed=int(seed)), time.perf_counter() - start
    if case.fmt == "smps":
        return read_smps(case.source), time.perf_counter() - start
    instance = cbecopt.load_instance(case.source, fmt=case.fmt, capacity=case.capacity)
    if case.start is not None or case.horizon is not None:
        instance = instance.window(case.start, case.horizon)
    return instance, time.perf_counter() - start


def _build_only(case: Case, instance) -> dict:
    """Prepare the model's data, build and hand off to HiGHS without solving; time the three
    separately. ``held``: the rows, columns and nonzeros of the model HiGHS holds (it drops
    explicit zeros).

    Preparing is the model's check step (:func:`cbecopt.models.check_inputs`: reading the
    network into the model's arrays and checking them), as ``cbecopt.solve`` times it; build
    is everything from those arrays to the Pyomo model (a two-stage case's extensive form over
    all its scenarios, as ``cbecopt.solve`` builds it).
    """
    from pyomo.common.gc_manager import PauseGC

    from cbecopt.highs import compile_model, new_highs
    from cbecopt.models import MODELS, check_inputs
    from cbecopt.stochastic.twostage import build_extensive_form

    spec = MODELS[case.model]
    config = None if case.model in TWO_STAGE else _config(case)  # the whole extensive form
    with PauseGC():  # as cbecopt.solve does
        start = time.perf_counter()
        data = check_inputs(instance, case.model, config)
        t0 = time.perf_counter()
        if case.model in TWO_STAGE:
            problem = spec.assemble(instance, config, data)
            form = build_extensive_form(problem, problem.scenarios())
            t1 = time.perf_counter()
            compiled = form.compile()
            scenarios = len(form.names)
        else:
            built = spec.assemble(instance, config, data)
            t1 = time.perf_counter()
            compiled = compile_model(built.model)
            scenarios = None
        highs = new_highs()
        compiled.pass_to(highs)
        t2 = time.perf_counter()
    from benchmarks.reference import counts

    return dict(
        held=counts(highs),
        status="built",
        prepare_s=t0 - start,
        build_s=t1 - t0,
        handoff_s=t2 - t1,
        scenarios=scenarios,
        variables=compiled.n_cols,
        integer_variables=compiled.n_integer,
        constraints=compiled.n_rows,
        nonzeros=compiled.nonzeros,
    )


def _config(case: Case):
    """The model options a case asks for (``None``: the model's defaults)."""
    if case.model == "warehouses":
        from cbecopt.models.warehouses.build import WarehousesConfig

        return WarehousesConfig(single_source=case.single_source)
    if case.model == "routing" and case.sku_blocks:
        from cbecopt.models.routing.build import RoutingConfig

        return RoutingConfig(sku_blocks=case.sku_blocks)
    return None


def _solve(case: Case, instance, load_s: float, threads: int | None, highs_options: dict) -> dict:
    """Solve through the public entry points; return the result's part of the row.

    The result's ``prepare`` time (the model's data and checks) is its own column, apart from
    build; solving by SKU blocks times its phases instead (their wall time is in ``solve_s``).
    """
    import cbecopt

    options = cbecopt.SolveOptions(
        time_limit=case.time_limit,
        threads=threads,
        mip_rel_gap=case.mip_gap,
        highs_options=highs_options,
    )
    start = time.perf_counter()
    result = cbecopt.solve(instance, case.model, options, _config(case), method=case.method)
    t = result.timings
    call = time.perf_counter() - start
    row = dict(
        status=result.status.value,
        objective=result.objective,
        bound=result.bound,
        gap=result.gap,
        prepare_s=t.get("prepare", 0.0),
        build_s=t.get("build", 0.0),
        handoff_s=t.get("handoff", 0.0),
        solve_s=t.get("solve", 0.0) + t.get("bound_pass", 0.0) + t.get("plan_pass", 0.0),
        extract_s=t.get("extract", 0.0),
        total_s=load_s + call,
        **result.size,
    )
    known = case.known_optimum
    if known is not None and result.objective is not None:
        error = abs(result.objective - known)
        row["rel_error"] = error / max(abs(known), 1e-9)
        if case.tolerance is not None:
            row["agrees"] = "yes" if error <= case.tolerance else "no"
    return row


def run_case(
    case: Case, threads: int | None, build_only: bool, highs_options: dict | None = None
) -> dict:
    """Load, build, hand off and (unless ``build_only``) solve one case; return its row.

    ``highs_options`` are raw HiGHS options for the solve, recorded in the row.
    """
    highs_options = highs_options or {}
    instance, load_s = _load(case)
    row = {
        "case": case.name,
        "model": case.model,
        "known_optimum": case.known_optimum,
        "load_s": load_s,
        "highs_options": ";".join(f"{k}={v}" for k, v in highs_options.items()),
    }
    held = None
    if build_only:
        row.update(_build_only(case, instance))
        held = row.pop("held")
    else:
        row.update(_solve(case, instance, load_s, threads, highs_options))
    row["build_handoff_s"] = row["build_s"] + row["handoff_s"]
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ours alone
    if case.reference:
        row.update(_reference(case, instance, row, held))
    return row


def _reference(case: Case, instance, row: dict, held: tuple[int, int, int] | None) -> dict:
    """The reference build's seconds, our build + handoff as a ratio to them, and whether the
    two models have the same rows, columns and nonzeros (``same``, else what differs), as HiGHS
    holds them (``held``; else as cbecopt compiled ours, explicit zeros counted); nothing but
    a note for a model without a reference."""
    from benchmarks.reference import REFERENCES, counts

    reference = REFERENCES.get(case.model)
    if reference is None:
        return {"reference_counts": "no reference"}
    highs, seconds = reference(instance)
    names = ("constraints", "variables", "nonzeros")
    ours = held or tuple(row.get(k) for k in names)
    differ = [
        f"{name} {a} vs {b}"
        for name, a, b in zip(names, ours, counts(highs), strict=True)
        if a != b
    ]
    return {
        "reference_s": seconds,
        "overhead_ratio": row["build_handoff_s"] / seconds,
        "reference_counts": "; ".join(differ) or "same",
    }


def _child(case: Case, threads: int | None, build_only: bool, highs_options, queue) -> None:
    try:
        queue.put(run_case(case, threads, build_only, highs_options))
    except Exception as exc:  # a failing case becomes a row, not a crashed run
        queue.put({"case": case.name, "model": case.model, "status": f"error: {exc}"})


def allowed_seconds(case: Case) -> float | None:
    """How long a case's process may run before it is stopped (``None``: no limit).

    HiGHS does not check its time limit everywhere (on a large MIP its setup can run far past
    it), and one case must not hold up a suite: twice the limit, plus five minutes for loading,
    building and extracting.
    """
    return None if case.time_limit is None else 2 * case.time_limit + 300


@dataclass
class _Running:
    """A case's process, the queue its row comes back on, and when it started."""

    case: Case
    process: Any
    queue: Any
    start: float


def _row_of(run: _Running, timeout: float) -> dict | None:
    """The case's row, a row saying why there is none (it died, or overran and was stopped),
    or ``None`` while it runs (waiting up to ``timeout`` seconds for it)."""
    case = run.case
    try:
        return run.queue.get(timeout=timeout)
    except Empty:
        pass
    if not run.process.is_alive():
        try:  # the row may have been sent just before the process ended
            return run.queue.get(timeout=1.0)
        except Empty:
            status = f"error: process ended with code {run.process.exitcode} and no row"
            return {"case": case.name, "model": case.model, "status": status}
    allowed = allowed_seconds(case)
    if allowed is not None and time.monotonic() - run.start > allowed:
        run.process.kill()
        return {"case": case.name, "model": case.model, "status": f"stopped at {allowed:.0f} s"}
    return None


def run_cases(
    cases: list[Case],
    threads: int | None = None,
    build_only: bool = False,
    progress=None,
    highs_options: dict | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run each case in its own process, ``workers`` of them at a time; return the rows in
    ``COLUMNS`` order, in the cases' order.

    With ``workers`` > 1 the cases run side by side, HiGHS on one thread each unless
    ``threads`` says otherwise; their times are measured under that load (the ``workers``
    column says so) and are not comparable with a serial run's. ``progress(row)`` is called
    as each case ends. The cases run in processes of their own, not as Dask tasks
    (:mod:`cbecopt.batch`): a long-lived Dask worker would report the peak memory of every
    case it ran before, and could not be stopped when a case overruns.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if workers > 1 and threads is None:
        threads = 1
    context = mp.get_context("spawn")
    waiting = list(enumerate(cases))
    running: dict[int, _Running] = {}
    rows: dict[int, dict] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                index, case = waiting.pop(0)
                queue = context.Queue()
                process = context.Process(
                    target=_child, args=(case, threads, build_only, highs_options, queue)
                )
                process.start()
                running[index] = _Running(case, process, queue, time.monotonic())
            for index, run in list(running.items()):
                row = _row_of(run, 1.0 / len(running))
                if row is None:
                    continue
                run.process.join()
                del running[index]
                rows[index] = row
                if progress is not None:
                    progress(row)
    finally:  # Ctrl-C or an error here: no case process outlives the run
        for run in running.values():
            run.process.kill()
            run.process.join()
    table = pd.DataFrame([rows[i] for i in range(len(cases))]).reindex(columns=COLUMNS)
    table["workers"] = workers
    return with_incumbent_ratios(table, cases)


def with_incumbent_ratios(table: pd.DataFrame, cases: list[Case]) -> pd.DataFrame:
    """``incumbent_ratio`` of each case with a ``versus``: its objective over that case's, both
    measured in this run (blank when either found no plan or the other was not run)."""
    objective = dict(zip(table["case"], table["objective"], strict=True))
    ratios = []
    for case in cases:
        mine, theirs = objective.get(case.name), objective.get(case.versus)
        known = case.versus is not None and pd.notna(mine) and pd.notna(theirs) and theirs
        ratios.append(mine / theirs if known else None)
    return table.assign(incumbent_ratio=ratios)


def write_rows(table: pd.DataFrame, folder: Path, suite: str) -> Path:
    """Write the rows as CSV (atomically) under ``folder``; return the path."""
    from cbecopt.outputs import atomic_file

    path = folder / f"{suite}-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    return atomic_file(path, lambda staging: table.to_csv(staging, index=False))
