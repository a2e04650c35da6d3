"""The ``cbecopt`` command: a thin layer over the public API.

Exit codes: 0 a solution (or a valid instance) was returned; 2 bad input or options; 3 the
model has no solution (infeasible, unbounded, or none found within the limits); 4 the solver
failed. Bad input never shows a traceback: every problem is listed with file, row and column.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cbecopt.bundled import bundled_instances, resolve_path
from cbecopt.errors import CbecoptError, OptionError
from cbecopt.instance import load_instance, save_instance
from cbecopt.models import MODELS
from cbecopt.results import Result, Status
from cbecopt.solver import SolveOptions

EXIT_OK, EXIT_INPUT, EXIT_NO_SOLUTION, EXIT_SOLVER = 0, 2, 3, 4

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Optimization models for cross-border e-commerce supply chains (Pyomo + HiGHS).",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    auto = "auto"
    csv = "csv"
    xlsx = "xlsx"
    orlib_cap = "orlib-cap"
    holmberg = "holmberg"


PathArg = Annotated[
    str, typer.Argument(help="Instance folder, .xlsx workbook, benchmark file, or a bundled name.")
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Input format.")]
CapacityOpt = Annotated[
    float | None, typer.Option(help="Warehouse capacity for OR-Library capa/capb/capc.")
]


def _fail(exc: CbecoptError) -> None:
    err.print(f"[bold red]error:[/] {exc}", markup=True)
    raise typer.Exit(EXIT_INPUT)


@contextlib.contextmanager
def _stdout_to_stderr(active: bool) -> Iterator[None]:
    """Send everything written to stdout (solver logs included) to stderr while ``active``."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _load(path: str, fmt: Format, capacity: float | None):
    return load_instance(resolve_path(path), fmt.value, capacity)


@app.command()
def validate(path: PathArg, fmt: FormatOpt = Format.auto, capacity: CapacityOpt = None) -> None:
    """Check an instance and list every problem found (file, row, column)."""
    try:
        instance = _load(path, fmt, capacity)
    except CbecoptError as exc:
        _fail(exc)
    g = instance.graph
    kinds: dict[str, int] = {}
    for _, kind in g.nodes(data="kind"):
        kinds[kind] = kinds.get(kind, 0) + 1
    out.print(
        f"[green]valid[/]: {instance.name} — "
        + ", ".join(f"{n} {k}" for k, n in kinds.items())
        + f", {g.number_of_edges()} arcs, {len(instance.tables['demand'])} demand rows",
        markup=True,
    )


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


def _highs_options(pairs: list[str]) -> dict:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"'{pair}' is not KEY=VALUE", param_hint="--highs-option")
        options[key.strip()] = _typed(value.strip())
    return options


def _typed(value: str):
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)


@app.command()
def solve(
    path: PathArg,
    model: Annotated[
        str, typer.Option("--model", "-m", help=f"Model key: {', '.join(MODELS)}.")
    ] = "warehouses",
    fmt: FormatOpt = Format.auto,
    capacity: CapacityOpt = None,
    single_source: Annotated[
        bool | None,
        typer.Option(
            "--single-source/--multi-source",
            help="warehouses: serve each market from one warehouse.",
        ),
    ] = None,
    min_open: Annotated[
        int | None, typer.Option(help="warehouses: open at least this many.")
    ] = None,
    max_open: Annotated[
        int | None, typer.Option(help="warehouses: open at most this many.")
    ] = None,
    independent: Annotated[
        bool,
        typer.Option(
            "--independent",
            help="warehouses: also solve each platform alone and report what sharing saves.",
        ),
    ] = False,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for the whole solve.")] = None,
    gap: Annotated[float, typer.Option(help="Relative MIP gap to stop at.")] = 1e-6,
    threads: Annotated[int | None, typer.Option(help="HiGHS threads.")] = None,
    seed: Annotated[int, typer.Option(help="HiGHS random seed.")] = 0,
    highs_option: Annotated[
        list[str], typer.Option("--highs-option", help="Raw HiGHS option KEY=VALUE (repeatable).")
    ] = [],  # noqa: B006
    out_dir: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write result.json and CSV tables here.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the summary.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the HiGHS log.")] = False,
) -> None:
    """Solve an instance with one model and print (and optionally write) the result."""
    from cbecopt.formulations.warehouses import WarehousesConfig
    from cbecopt.models import solve as solve_model
    from cbecopt.sharing import compare_sharing

    try:
        options = SolveOptions(
            time_limit=time_limit,
            mip_rel_gap=gap,
            threads=threads,
            seed=seed,
            verbose=verbose,
            highs_options=_highs_options(highs_option),
        )
        instance = _load(path, fmt, capacity)
        if model not in MODELS:
            raise OptionError(f"unknown model '{model}'; available: {', '.join(MODELS)}")
        config = (
            WarehousesConfig(single_source, min_open, max_open) if model == "warehouses" else None
        )
        with _stdout_to_stderr(as_json):
            if independent:
                result = compare_sharing(instance, options, config)
            else:
                result = solve_model(instance, model, options, config)
    except CbecoptError as exc:
        if as_json:
            print(
                json.dumps(
                    {
                        "status": "error",
                        "objective": None,
                        "bound": None,
                        "gap": None,
                        "model": model,
                        "instance": str(path),
                        "error": str(exc),
                    }
                )
            )
        _fail(exc)
    if out_dir is not None:
        result.to_dir(out_dir)
    if as_json:
        print(result.to_json())
    else:
        from cbecopt.report import print_summary

        print_summary(out, result, out_dir)
    raise typer.Exit(_exit_code(result))


def _exit_code(result: Result) -> int:
    if result.ok:
        return EXIT_OK
    return EXIT_SOLVER if result.status == Status.ERROR else EXIT_NO_SOLUTION


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="Instance folder, workbook or benchmark file.")],
    target: Annotated[Path, typer.Argument(help="Output: a folder, or a file ending in .xlsx.")],
    fmt: FormatOpt = Format.auto,
    capacity: CapacityOpt = None,
) -> None:
    """Convert between a CSV folder and an .xlsx workbook (benchmark files convert too)."""
    try:
        instance = _load(source, fmt, capacity)
        if Path(target).resolve() == Path(resolve_path(source)).resolve():
            raise CbecoptError("the target is the input itself; inputs are never overwritten")
        save_instance(instance, target)
    except CbecoptError as exc:
        _fail(exc)
    out.print(f"wrote {target}")


@app.command()
def generate(
    model: Annotated[str, typer.Argument(help="Model to generate an instance for: warehouses.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder (or .xlsx) to write.")],
    warehouses: Annotated[int, typer.Option(help="Candidate overseas warehouses.")] = 8,
    markets: Annotated[int, typer.Option(help="Markets.")] = 31,
    platforms: Annotated[int, typer.Option(help="Platforms sharing the warehouses.")] = 1,
    capacity_ratio: Annotated[float, typer.Option(help="Total capacity / total demand.")] = 3.0,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same instance).")] = 0,
) -> None:
    """Generate a synthetic instance, reproducibly from a seed."""
    from cbecopt.generate import generate_warehouses

    try:
        if model != "warehouses":
            raise CbecoptError(f"no generator for model '{model}' yet; available: warehouses")
        instance = generate_warehouses(
            warehouses, markets, seed=seed, platforms=platforms, capacity_ratio=capacity_ratio
        )
        save_instance(instance, output)
    except CbecoptError as exc:
        _fail(exc)
    out.print(f"wrote {output} ({warehouses} warehouses x {markets} markets, seed {seed})")


def main() -> None:
    """Entry point of the ``cbecopt`` command."""
    app()
