"""The planner's month: ``cbecopt plan`` solves a window of months, continuing last month's plan
(:mod:`cbecopt.rolling`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cbecopt import outputs
from cbecopt.cli.app import (
    CHART_RESERVE,
    GapOpt,
    HighsOpt,
    JsonOpt,
    PathArg,
    SeedOpt,
    ThreadsOpt,
    TimeLimitOpt,
    VerboseOpt,
    app,
    err,
    exit_code,
    fail,
    load,
    out,
    print_frame,
    solve_options,
    solving,
)
from cbecopt.cli.output import check_output, deliver, input_paths, out_path
from cbecopt.cli.solving import HorizonOpt, model_config
from cbecopt.errors import CbecoptError

PLANNED_MODELS = ("network", "routing")
"""The models whose plans carry what is in motion into the next month's run."""

CHANGES_SHOWN = 12
"""Rows of the ``changes`` table printed; the workbook has them all."""


@app.command()
def plan(
    path: PathArg,
    start: Annotated[
        str,
        typer.Option(
            "--start",
            help="First month of this plan: a calendar month (2027-02) of the demand table.",
        ),
    ],
    target: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            parser=out_path,
            help="Where the plan goes: a workbook (NEXT_PLAN.xlsx) or a folder of CSV tables.",
        ),
    ],
    horizon: HorizonOpt = None,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="Last month's plan (the workbook or folder cbecopt wrote): its shipments on the "
            "water, stock, and decisions carry into this run, and a changes sheet compares.",
        ),
    ] = None,
    frozen_months: Annotated[
        int,
        typer.Option(
            "--frozen-months",
            help="Keep the previous plan's shipments of this many first months unchanged.",
        ),
    ] = 0,
    model: Annotated[
        str, typer.Option("--model", "-m", help=f"Model key: {', '.join(PLANNED_MODELS)}.")
    ] = "network",
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = 1e-6,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    highs_option: HighsOpt = [],  # noqa: B006
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Plan a window of months from --start, continuing last month's plan (--previous): what
    is on the water, in stock and decided carries over; the plan and a changes sheet go to -o."""
    from cbecopt.errors import OptionError
    from cbecopt.rolling import plan_month, read_plan

    try:
        options = solve_options(
            time_limit, gap, threads, seed, verbose, highs_option, CHART_RESERVE
        )
        if model not in PLANNED_MODELS:
            raise OptionError(
                f"plan continues {', '.join(PLANNED_MODELS)} plans, not {model}; solve other "
                "models a window at a time with solve --start --horizon",
                "model",
            )
        config = model_config(model)
        inputs = input_paths(path) + ((previous,) if previous is not None else ())
        destination = check_output(target, *inputs, names=(outputs.RESULT_FILE,))
        instance = load(path)
        last = read_plan(previous) if previous is not None else None
        with solving(as_json, verbose):
            result, carried = plan_month(
                instance, start, horizon, last, frozen_months, options, config, model
            )
    except CbecoptError as exc:
        fail(exc, as_json, model=model, instance=str(path))
    try:
        delivered = deliver(
            destination,
            lambda p: result.to_workbook(p) if outputs.is_workbook(p) else result.to_dir(p),
        )
    except CbecoptError as exc:
        fail(exc, as_json, model=model, instance=str(path))
    from cbecopt.report import print_summary, print_warnings

    print_warnings(err, result.warnings)
    if as_json:
        print(result.to_json())
    else:
        for note in carried.notes if carried is not None else ():
            err.print(f"carried: {note}")
        print_summary(out, result, delivered.path)
        changes = result.tables.get("changes")
        if changes is not None and len(changes):
            print_frame(
                changes.head(CHANGES_SHOWN),
                f"changes against the previous plan (largest {min(len(changes), CHANGES_SHOWN)} "
                f"of {len(changes)}; all in the changes sheet)",
            )
    raise typer.Exit(delivered.exit_code or exit_code(result))
