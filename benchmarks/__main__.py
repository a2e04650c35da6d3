"""``python -m benchmarks``: run a suite, print the table, write the rows.

A suite with contracts-scaling cases also prints how build, handoff and solve time grow
with the number of scenarios; a case with a target (build + handoff seconds, its ratio to the
numpy-to-highspy reference, peak memory) prints whether it met it. ``--suite build
--build-only`` is the build benchmark: every registered model's largest generated case with
load, prepare (the model's data and checks), build and handoff seconds, the reference measured
in the same run, the ratio of build + handoff to it and the peak memory.
"""

from __future__ import annotations

import argparse
import numbers
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from benchmarks.registry import SUITES, Case, suite
from benchmarks.runner import COLUMNS, run_cases, write_rows
from cbecopt.highs import highs_option_value

HIDDEN = {
    "model",
    "bound",
    "total_s",
    "variables",
    "integer_variables",
    "constraints",
    "nonzeros",
    "highs_options",
    "workers",
}
SHOWN = [c for c in COLUMNS if c not in HIDDEN]


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return (
            f"{value:.3g}"
            if abs(value) < 1e-2 and value != 0
            else f"{value:,.3f}".rstrip("0").rstrip(".")
        )
    return str(value)


GROWTH = ("variables", "build_s", "handoff_s", "solve_s")
"""What the growth table pivots against the number of scenarios."""


def growth(table: pd.DataFrame, cases: list[Case]) -> Table | None:
    """The contracts-scaling rows pivoted: one row per SKU count and measure, one column per
    scenario count, so the growth with scenarios reads across a line. None without such cases.
    """
    sizes = {
        c.name: tuple(int(v) for v in c.source.split(":")[1].split("x"))
        for c in cases
        if "contracts-scaling" in c.tags
    }
    rows = table[table["case"].isin(sizes)]
    if rows.empty:
        return None
    rows = rows.assign(
        skus=rows["case"].map(lambda n: sizes[n][0]), n=rows["case"].map(lambda n: sizes[n][1])
    )
    counts = sorted(rows["n"].unique())
    shown = Table(title="growth with scenarios (contracts-scaling)", title_justify="left")
    shown.add_column("skus", justify="right")
    shown.add_column("measure")
    for count in counts:
        shown.add_column(f"{count} scenarios", justify="right")
    for skus, group in rows.groupby("skus"):
        by_count = group.set_index("n")
        for measure in GROWTH:
            if measure in by_count and by_count[measure].notna().any():
                values = by_count[measure].reindex(counts)
                shown.add_row(str(skus), measure, *(_fmt(v) for v in values))
    return shown


def parallel_note(workers: int) -> str:
    """What the printed table says of a run of cases side by side (empty for a serial run):
    its times were measured under parallel load and are not serial times."""
    if workers <= 1:
        return ""
    return (
        f"parallel run, {workers} workers (cases side by side, HiGHS on one thread each): "
        "times measured under parallel load, not comparable with serial times"
    )


def _met(value: float, limit: float) -> str:
    return "met" if value < limit else "MISSED"


def target_lines(case: Case, row: dict) -> list[str]:
    """One line per target ``case`` sets and ``row`` measured: the value, the target, met or
    MISSED."""
    lines = []
    seconds, ratio, peak = (row.get(k) for k in ("build_handoff_s", "overhead_ratio", "peak_mb"))
    if case.target_s is not None and pd.notna(seconds):
        lines.append(
            f"target {case.name}: build + handoff {seconds:.1f} s "
            f"(under {case.target_s:g} s: {_met(seconds, case.target_s)})"
        )
    if case.target_ratio is not None and pd.notna(ratio):
        lines.append(
            f"target {case.name}: build + handoff {seconds:.2f} s = {ratio:.2f}x the reference "
            f"{row['reference_s']:.2f} s (under {case.target_ratio:g}x: "
            f"{_met(ratio, case.target_ratio)})"
        )
    if case.target_mb is not None and pd.notna(peak):
        lines.append(
            f"target {case.name}: peak memory {peak:,.0f} MB "
            f"(under {case.target_mb:,.0f} MB: {_met(peak, case.target_mb)})"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a suite of cases")
    run.add_argument("--suite", choices=SUITES, default="default")
    run.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per case, for cases with a limit"
    )
    run.add_argument("--threads", type=int, default=None)
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="run this many cases side by side, each in its own process with HiGHS on one "
        "thread; the times are then measured under parallel load, not serial times",
    )
    run.add_argument(
        "--build-only", action="store_true", help="measure build and handoff only, no solve"
    )
    run.add_argument(
        "--highs-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="raw HiGHS option for every solve (repeatable), recorded in the rows",
    )
    run.add_argument("--only", default=None, help="run only cases whose name contains this text")
    run.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    limits = sub.add_parser(
        "limits", help="how closely every command keeps --time-limit; Ctrl-C response"
    )
    limits.add_argument("--time-limit", type=float, default=6.0)
    limits.add_argument("--repeats", type=int, default=3)
    limits.add_argument(
        "--benchmarks", type=Path, default=None, help="the published benchmark folder (capa)"
    )
    limits.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    if args.command == "limits":
        _limits(args)
        return

    highs_options = {}
    for pair in args.highs_option:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            parser.error(f"--highs-option '{pair}' is not KEY=VALUE")
        highs_options[key.strip()] = highs_option_value(value.strip())
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    if args.workers > 1 and args.threads is not None:
        parser.error("--workers runs each case with HiGHS on one thread; leave out --threads")
    cases = suite(args.suite, args.time_limit)
    if args.only:
        cases = [c for c in cases if args.only in c.name]
    console = Console(width=max(Console().width, 160))
    side_by_side = parallel_note(args.workers)
    console.print(
        f"{len(cases)} cases, suite {args.suite}{' (build only)' if args.build_only else ''}"
        + "".join(f", HiGHS {k}={v}" for k, v in highs_options.items())
        + (f", {side_by_side}" if side_by_side else "")
    )
    table = run_cases(
        cases,
        args.threads,
        args.build_only,
        highs_options=highs_options,
        progress=lambda row: console.print(
            f"  {row['case']}: {row.get('status')}", highlight=False
        ),
        workers=args.workers,
    )
    path = write_rows(table, args.out, args.suite)
    title = f"suite {args.suite}" + (f": {side_by_side}" if side_by_side else "")
    shown = Table(title=title, title_justify="left")
    columns = [c for c in SHOWN if c in table and table[c].notna().any()]
    for column in columns:
        shown.add_column(
            column,
            justify="left" if column in ("case", "status") else "right",
            no_wrap=column == "case",
        )
    for row in table.itertuples(index=False):
        shown.add_row(*(_fmt(getattr(row, c)) for c in columns))
    console.print(shown)
    numeric = table.select_dtypes("number")
    console.print(
        f"totals: {len(table)} cases, "
        + ", ".join(
            f"{c} {numeric[c].sum():.2f}"
            for c in ("load_s", "prepare_s", "build_s", "handoff_s", "solve_s")
            if c in numeric
        )
    )
    if side_by_side:
        console.print(side_by_side[0].upper() + side_by_side[1:], highlight=False)
    grown = growth(table, cases)
    if grown is not None:
        console.print(grown)
    for case, row in zip(cases, table.itertuples(index=False), strict=True):
        for line in target_lines(case, row._asdict()):
            console.print(line, highlight=False)
    console.print(f"rows written to {path}")


def _limits(args) -> None:
    from benchmarks.limits import measure

    console = Console(width=max(Console().width, 160))
    table = measure(args.time_limit, args.repeats, args.benchmarks)
    path = write_rows(table, args.out, "limits")
    shown = Table(
        title=f"--time-limit {args.time_limit:g} s: wall clock per command", title_justify="left"
    )
    for column in table.columns:
        shown.add_column(column, justify="left" if column in ("case", "status") else "right")
    for row in table.itertuples(index=False):
        shown.add_row(*(_fmt(v) for v in row))
    console.print(shown)
    console.print(f"rows written to {path}")


if __name__ == "__main__":
    main()
