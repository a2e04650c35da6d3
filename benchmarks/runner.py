"""Run benchmark cases, each in a fresh process, and write one tidy row per run.

A fresh process per case gives an honest peak memory (``ru_maxrss``) and keeps one case's
garbage out of the next one's timings.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from pathlib import Path

import pandas as pd

from benchmarks.registry import Case

COLUMNS = [
    "case",
    "model",
    "status",
    "objective",
    "known_optimum",
    "rel_error",
    "bound",
    "gap",
    "load_s",
    "build_s",
    "handoff_s",
    "solve_s",
    "extract_s",
    "total_s",
    "build_handoff_s",
    "reference_s",
    "overhead_ratio",
    "variables",
    "constraints",
    "nonzeros",
    "peak_mb",
]


def _load(case: Case):
    import cbecopt
    from cbecopt.generate import generate_warehouses

    if case.source.startswith("generate:"):
        _, size, seed = case.source.split(":")
        w, m = (int(v) for v in size.split("x"))
        start = time.perf_counter()
        instance = generate_warehouses(w, m, seed=int(seed))
        return instance, time.perf_counter() - start
    instance = cbecopt.load_instance(case.source, fmt=case.fmt, capacity=case.capacity)
    return instance, instance.load_seconds


def run_case(case: Case, threads: int | None, build_only: bool) -> dict:
    """Load, build, hand off and (unless ``build_only``) solve one case; return its row."""
    from pyomo.common.gc_manager import PauseGC

    import cbecopt
    from cbecopt.formulations.warehouses import WarehousesConfig
    from cbecopt.models import MODELS
    from cbecopt.solver import compile_model, new_highs

    instance, load_s = _load(case)
    config = WarehousesConfig(single_source=case.single_source)
    row = {
        "case": case.name,
        "model": case.model,
        "known_optimum": case.known_optimum,
        "load_s": load_s,
    }
    if build_only:
        with PauseGC():  # as cbecopt.solve does
            start = time.perf_counter()
            built = MODELS[case.model].build(instance, config)
            t1 = time.perf_counter()
            compiled = compile_model(built.model)
            compiled.pass_to(new_highs())
            t2 = time.perf_counter()
        row.update(
            status="built",
            build_s=t1 - start,
            handoff_s=t2 - t1,
            variables=compiled.n_cols,
            constraints=compiled.n_rows,
            nonzeros=compiled.nonzeros,
        )
    else:
        options = cbecopt.SolveOptions(
            time_limit=case.time_limit, threads=threads, mip_rel_gap=1e-9
        )
        result = cbecopt.solve(instance, case.model, options, config)
        t = result.timings
        row.update(
            status=result.status.value,
            objective=result.objective,
            bound=result.bound,
            gap=result.gap,
            build_s=t["build"],
            handoff_s=t["handoff"],
            solve_s=t["solve"],
            extract_s=t["extract"],
            total_s=load_s + t["total"] - t["load"],
            **result.size,
        )
        if case.known_optimum is not None and result.objective is not None:
            row["rel_error"] = abs(result.objective - case.known_optimum) / max(
                abs(case.known_optimum), 1e-9
            )
    row["build_handoff_s"] = row["build_s"] + row["handoff_s"]
    if case.reference:
        from benchmarks.reference import build_reference

        row["reference_s"] = build_reference(instance)[1]
        row["overhead_ratio"] = row["build_handoff_s"] / row["reference_s"]
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def _child(case: Case, threads: int | None, build_only: bool, queue) -> None:
    try:
        queue.put(run_case(case, threads, build_only))
    except Exception as exc:  # a failing case becomes a row, not a crashed run
        queue.put({"case": case.name, "model": case.model, "status": f"error: {exc}"})


def run_cases(
    cases: list[Case], threads: int | None = None, build_only: bool = False, progress=None
) -> pd.DataFrame:
    """Run each case in its own process; return the rows in ``COLUMNS`` order."""
    context = mp.get_context("spawn")
    rows = []
    for case in cases:
        queue = context.Queue()
        process = context.Process(target=_child, args=(case, threads, build_only, queue))
        process.start()
        rows.append(queue.get())
        process.join()
        if progress is not None:
            progress(rows[-1])
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def write_rows(table: pd.DataFrame, folder: Path, suite: str) -> Path:
    """Write the rows as CSV (atomically) under ``folder``; return the path."""
    from cbecopt.atomic import atomic_file

    path = folder / f"{suite}-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    with atomic_file(path) as staging:
        table.to_csv(staging, index=False)
    return path
