"""``cbecopt whatif``: the instance and what-if scenarios of it solved side by side
(:mod:`cbecopt.whatif`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cbecopt.batch import Batch
from cbecopt.cli.app import (
    CHART_RESERVE,
    OUTPUT_RESERVE,
    GapOpt,
    HighsOpt,
    JsonOpt,
    PathArg,
    SchedulerOpt,
    SeedOpt,
    ThreadsOpt,
    TimeLimitOpt,
    VerboseOpt,
    WorkersOpt,
    app,
    batch_json,
    exit_code,
    fail,
    load,
    out,
    print_frame,
    records,
    solve_options,
    solving,
)
from cbecopt.cli.output import check_output, deliver, input_paths, out_path, write_tables
from cbecopt.cli.solving import (
    IntegerQuantitiesOpt,
    OptionalAlphaOpt,
    RiskWeightOpt,
    model_config,
)
from cbecopt.errors import CbecoptError, OptionError
from cbecopt.models import MODELS
from cbecopt.whatif import BASE, CHANGES, COLUMNS, WhatIf, plot_whatif, whatif

FILES = ("whatif.csv", "whatif.png")
SHOWN = {"scenario": "scenario", "status": "status", "objective": "objective", "gap": "gap"}
"""The first columns of the terminal table; the change, the KPIs and the changes follow."""


@app.command(name="whatif")
def whatif_command(
    path: PathArg,
    model: Annotated[
        str,
        typer.Option("--model", "-m", help=f"Model key: {', '.join(MODELS)} (default warehouses)."),
    ] = "warehouses",
    changes: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="A scenario of changes such as nodes:BZ-HZ:volume_capacity=1000 (table, row "
            "key, column = value; repeatable; several in one scenario joined by ';'): a value "
            "sets, *F multiplies, +D/-D adds; the row key is the table's key columns joined by "
            "'/' (nodes: id, products: sku, offers: supplier/sku, ...), or * for every row.",
        ),
    ] = [],  # noqa: B006
    names: Annotated[
        list[str],
        typer.Option(
            "--name", help="Name of each --set scenario, in order (default: the --set text)."
        ),
    ] = [],  # noqa: B006
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            parser=out_path,
            help="Write whatif.csv and whatif.png (objective per scenario against the base) here.",
        ),
    ] = None,
    risk_weight: RiskWeightOpt = None,
    alpha: OptionalAlphaOpt = None,
    integer_quantities: IntegerQuantitiesOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = 1e-6,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    highs_option: HighsOpt = [],  # noqa: B006
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Solve an instance and what-if scenarios of it (--set, or the instance's whatif table)
    with the same model, options and seed, and show them side by side against the base."""
    try:
        reserve = CHART_RESERVE if out_dir is not None else OUTPUT_RESERVE
        options = solve_options(time_limit, gap, threads, seed, verbose, highs_option, reserve)
        config = model_config(
            model, risk_weight=risk_weight, alpha=alpha, integer_quantities=integer_quantities
        )
        scenarios = _named(changes, names)
        batch = Batch(workers, scheduler)
        destination = check_output(out_dir, *input_paths(path), names=FILES)
        instance = load(path)
        with solving(as_json, verbose):
            solved = whatif(instance, model, scenarios, options, config, batch)
    except CbecoptError as exc:
        fail(exc, as_json, {CHANGES: "--set"}, instance=str(path))
    title = f"what if: {model} on {instance.name}"
    delivered = deliver(
        destination,
        lambda folder: write_tables(
            folder,
            {"whatif": solved.table},
            {"whatif.png": lambda png: plot_whatif(solved.table, png, title)},
        ),
    )
    if as_json:
        print(batch_json(solved.status, options, instance.load_seconds, **_json_rows(solved)))
    else:
        table = solved.table
        kpis = [c for c in table.columns if c not in (*COLUMNS, "changes")]
        # a scenario named by its --set text says its changes already
        said = (table["scenario"] == table["changes"]) | (table["scenario"] == BASE)
        changes = [] if said.all() else ["changes"]
        shown = table[[*SHOWN, "change", "change_pct", *kpis, *changes]].rename(
            columns={"change_pct": "change %"}
        )
        print_frame(shown, title, ("gap", "change %", "fill_rate"))
        if delivered.path is not None:
            out.print(f"wrote {' and '.join(f'{delivered.path}/{f}' for f in FILES)}")
    raise typer.Exit(delivered.exit_code or exit_code(solved.status))


def _named(changes: list[str], names: list[str]) -> dict[str, str] | list[str]:
    """The ``--set`` scenarios, named by ``--name`` when given (one name per ``--set``)."""
    if not names:
        return changes
    if len(names) != len(changes):
        raise OptionError(
            f"{len(names)} name{'s' if len(names) != 1 else ''} for {len(changes)} --set; "
            "give one --name per --set, in order",
            "--name",
        )
    if len(set(names)) != len(names):
        raise OptionError("a scenario is named twice", "--name")
    return dict(zip(names, changes, strict=True))


def _json_rows(solved: WhatIf) -> dict:
    """The ``base`` row and the ``scenarios`` rows of the ``--json`` object; each scenario's
    ``changes`` as the list of its change texts."""
    rows = records(solved.table)
    base = {
        k: v for k, v in rows[0].items() if k not in ("scenario", "change", "change_pct", "changes")
    }
    scenarios = [
        {
            "name": row["scenario"],
            **{k: v for k, v in row.items() if k not in ("scenario", "changes")},
            "changes": [c.text for c in solved.changes[row["scenario"]]],
        }
        for row in rows[1:]
    ]
    return {"base": base, "scenarios": scenarios}
