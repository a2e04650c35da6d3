"""Commands about instances: validate, list, convert, generate, scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from cbecopt.bundled import bundled_instances, resolve_path
from cbecopt.cli.app import (
    EXIT_INPUT,
    EXIT_OK,
    CapacityOpt,
    Format,
    FormatOpt,
    JsonOpt,
    PathArg,
    app,
    err,
    fail,
    load,
    out,
)
from cbecopt.cli.output import check_output, deliver, input_paths, out_path
from cbecopt.errors import CbecoptError, InputError, OptionError, Problem
from cbecopt.instance import Instance, load_instance, save_instance
from cbecopt.models import MODELS, model_spec
from cbecopt.readers.csvdir import META_FILE
from cbecopt.report import labelled
from cbecopt.validation import ModelCheck


@app.command()
def validate(
    path: PathArg,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", "-m", help="Run every check solve runs for this model (default: all)."
        ),
    ] = None,
    fmt: FormatOpt = Format.auto,
    capacity: CapacityOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check an instance: every problem (file, row, column), which models it can feed, and
    what each model would not read.

    With --model, exit 2 and every problem when the model cannot take the instance. Without,
    each model says valid or why not; exit 0 when at least one model can be fed.
    """
    from cbecopt.cli.solving import SMPS, model_and_format
    from cbecopt.report import print_warnings
    from cbecopt.validation import validate as validate_instance

    try:
        if fmt == Format.smps or model == SMPS:  # SMPS files are the smps model's
            model, fmt = model_and_format(path, model, fmt)
        if fmt == Format.smps:
            _validate_smps(path)
            return
        instance = load(path, fmt, capacity)
        report = validate_instance(instance, model)
    except CbecoptError as exc:
        fail(exc, as_json, instance=str(path))
    shown = report.feeds if model is None else [model]
    for key in shown:
        print_warnings(err, report.checks[key].warnings)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    elif model is None or report.checks[model].ok:
        out.print(f"{instance.name}: {_contents(instance)}")
        for check in report.checks.values():
            _print_check(check)
    if model is not None:
        check = report.checks[model]
        if check.error is not None:
            fail(check.error)
        raise typer.Exit(EXIT_OK)
    if not report.feeds:
        err.print(labelled("error:", "bold red", "the instance can feed no model"))
        raise typer.Exit(EXIT_INPUT)


def _validate_smps(path: str) -> None:
    """SMPS files are checked by reading them, all the ``smps`` model checks."""
    from cbecopt.readers.smps import read_smps

    problem = read_smps(resolve_path(path))
    out.print(Text.assemble(("valid", "green"), f": {problem.name} — {problem.size}"))


def _contents(instance: Instance) -> str:
    """Nodes by kind, arcs, and the rows of every other table."""
    kinds: dict[str, int] = {}
    for _, kind in instance.graph.nodes(data="kind"):
        kinds[kind] = kinds.get(kind, 0) + 1
    rows = [
        f"{len(t)} {name} rows"
        for name, t in instance.tables.items()
        if name not in ("nodes", "arcs")
    ]
    return ", ".join(
        [*(f"{n} {k}" for k, n in kinds.items()), f"{instance.graph.number_of_edges()} arcs", *rows]
    )


def _print_check(check: ModelCheck) -> None:
    if check.ok:
        out.print(Text.assemble(f"  {check.model}: ", ("valid", "green")))
        return
    out.print(Text.assemble(f"  {check.model}: ", ("cannot feed it", "red"), f": {check.reason}"))
    if not check.missing:
        for problem in check.problems:
            out.print(f"    - {problem}")


@app.command(name="list")
def list_() -> None:
    """List the models and the bundled instances."""
    table = Table(title="models", title_justify="left")
    table.add_column("key")
    table.add_column("what it solves")
    for spec in MODELS.values():
        table.add_row(spec.key, spec.summary)
    out.print(table)
    table = Table(title="bundled instances", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, folder in bundled_instances().items():
        try:
            description = load_instance(folder).meta["instance"].get("description", "")
        except CbecoptError:
            description = "(does not validate)"
        table.add_row(name, description)
    out.print(table)


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="Instance folder, workbook or benchmark file.")],
    target: Annotated[
        Path, typer.Argument(parser=out_path, help="Output: a folder, or a file ending in .xlsx.")
    ],
    fmt: FormatOpt = Format.auto,
    capacity: CapacityOpt = None,
) -> None:
    """Convert between a CSV folder and an .xlsx workbook (benchmark files convert too)."""
    try:
        instance = load(source, fmt, capacity)
        destination = check_output(target, *input_paths(source, fmt), names=(META_FILE,))
    except CbecoptError as exc:
        fail(exc)
    delivered = deliver(destination, lambda path: save_instance(instance, path))
    if delivered.exit_code:
        raise typer.Exit(delivered.exit_code)
    out.print(f"wrote {target}")


GENERATOR_FLAGS = {
    "n_warehouses": "--warehouses",
    "n_markets": "--markets",
    "platforms": "--platforms",
    "capacity_ratio": "--capacity-ratio",
    "n_skus": "--skus",
    "n_scenarios": "--scenarios",
    "n_months": "--months",
    "n_bonded": "--bonded",
    "n_origins": "--origins",
    "n_suppliers": "--suppliers",
    "seed": "--seed",
    "year": "--year",
}
"""The flag of ``generate`` for each generator parameter, to name it in errors."""


@app.command()
def generate(
    model: Annotated[
        str, typer.Argument(help=f"Model to generate an instance for: {', '.join(MODELS)}.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", parser=out_path, help="Folder (or .xlsx) to write.")
    ],
    warehouses: Annotated[
        int, typer.Option(help="warehouses, network: candidate overseas warehouses.")
    ] = 8,
    markets: Annotated[int, typer.Option(help="warehouses: markets; network: provinces.")] = 31,
    platforms: Annotated[
        int | None,
        typer.Option(
            help="warehouses (default 1), network (default 3): platforms sharing the warehouses."
        ),
    ] = None,
    capacity_ratio: Annotated[
        float, typer.Option(help="warehouses: total capacity / total demand.")
    ] = 3.0,
    skus: Annotated[int, typer.Option(help="contracts, routing, network: products.")] = 20,
    scenarios: Annotated[
        int | None,
        typer.Option(
            help="contracts (default 50), routing (default 0), network (default 10): demand "
            "scenarios; 0 = means and std only."
        ),
    ] = None,
    months: Annotated[int, typer.Option(help="routing, network: months in the horizon.")] = 12,
    bonded: Annotated[
        int, typer.Option(help="routing, network: candidate bonded warehouses (1-6).")
    ] = 4,
    origins: Annotated[int, typer.Option(help="routing: origin countries (1-5).")] = 3,
    suppliers: Annotated[
        int,
        typer.Option(
            help="suppliers, network: sources (brand-direct, distributors, agents, grey market)."
        ),
    ] = 25,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same instance).")] = 0,
    year: Annotated[
        int | None,
        typer.Option(
            help="network: write the months as calendar months of this year (2027-01, ...), "
            "for rolling plans (default: numbered 1, 2, ...)."
        ),
    ] = None,
) -> None:
    """Generate a synthetic instance, reproducibly from a seed."""
    options = {
        "n_warehouses": warehouses,
        "n_markets": markets,
        "platforms": platforms,
        "capacity_ratio": capacity_ratio,
        "n_skus": skus,
        "n_scenarios": scenarios,
        "n_months": months,
        "n_bonded": bonded,
        "n_origins": origins,
        "n_suppliers": suppliers,
        "seed": seed,
        "year": year,
    }
    try:
        if year is not None and model != "network":
            raise OptionError(f"--year applies to network, not {model}")
        destination = check_output(output, names=(META_FILE,))
        instance, what = model_spec(model).generate(options)
    except OptionError as exc:
        fail(exc.naming(GENERATOR_FLAGS))
    except CbecoptError as exc:
        fail(exc)
    delivered = deliver(destination, lambda path: save_instance(instance, path))
    if delivered.exit_code:
        raise typer.Exit(delivered.exit_code)
    out.print(f"wrote {output} ({what}, seed {seed})")


@app.command(name="scenarios")
def scenarios_(
    path: PathArg,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", parser=out_path, help="Folder (or .xlsx) for the new instance."
        ),
    ],
    dist: Annotated[str, typer.Option("--dist", help="normal, lognormal or empirical.")] = "normal",
    n: Annotated[int, typer.Option("--n", help="Number of equally likely scenarios.")] = 100,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same scenarios).")] = 0,
) -> None:
    """Write a copy of an instance whose demand is N sampled scenarios (plus scenarios.csv).

    normal and lognormal draw each demand row from its quantity (mean) and std; empirical
    draws whole periods of the table demand_history (the demand keys, period, quantity).
    """
    from cbecopt.scenarios import sample_scenarios

    try:
        instance = load(path)
        destination = check_output(output, *input_paths(path), names=(META_FILE,))
        sampled = sample_scenarios(instance, n, dist, seed)
    except OptionError as exc:
        fail(exc.naming({"n": "--n", "seed": "--seed", "distribution": "--dist"}))
    except CbecoptError as exc:
        fail(exc)
    delivered = deliver(destination, lambda target: save_instance(sampled, target))
    if delivered.exit_code:
        raise typer.Exit(delivered.exit_code)
    out.print(f"wrote {output} ({n} {dist} scenarios, seed {seed})")


__all__ = ["InputError", "Problem"]
