"""Commands that solve: solve, frontier, saa, pareto (the comparisons: :mod:`cbecopt.cli.comparing`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from cbecopt import checks, outputs
from cbecopt.batch import Batch, PortableProblem, running_on
from cbecopt.bundled import resolve_path
from cbecopt.cli.app import (
    CHART_RESERVE,
    OUTPUT_RESERVE,
    CapacityOpt,
    Format,
    FormatOpt,
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
    err,
    exit_code,
    fail,
    flagged,
    key_values,
    load,
    out,
    print_frame,
    records,
    solve_options,
    solving,
)
from cbecopt.cli.output import check_output, deliver, input_paths, out_path, write_tables
from cbecopt.compare import overall_status
from cbecopt.errors import CbecoptError, OptionError
from cbecopt.methods import METHODS
from cbecopt.models import MODELS, check_inputs, model_spec
from cbecopt.stochastic.twostage import RiskOptions

TWO_STAGE_HELP = "two-stage: "
RiskWeightOpt = Annotated[
    float | None,
    typer.Option(
        help=TWO_STAGE_HELP + "weight of CVaR in the objective (default 0 = risk-neutral)."
    ),
]
AlphaOpt = Annotated[float, typer.Option(help=TWO_STAGE_HELP + "CVaR level alpha.")]
OptionalAlphaOpt = Annotated[
    float | None, typer.Option(help=TWO_STAGE_HELP + "CVaR level alpha (default 0.95).")
]
SamplesOpt = Annotated[
    int | None,
    typer.Option(
        help="contracts, routing: sample this many demand scenarios from quantity and std (SAA)."
    ),
]
DistributionOpt = Annotated[
    str | None,
    typer.Option(
        help="contracts, routing: distribution for --samples, normal (default) or lognormal."
    ),
]
TypesOpt = Annotated[
    str | None,
    typer.Option(help="contracts: allowed contract types, comma-separated (default: all)."),
]
ChannelsOpt = Annotated[
    str | None,
    typer.Option(
        help="routing: allowed channels, comma-separated: bonded, cbec_direct, postal, general_trade."
    ),
]
SingleSourceOpt = Annotated[
    bool | None,
    typer.Option(
        "--single-source/--multi-source", help="warehouses: serve each market from one warehouse."
    ),
]
MinOpenOpt = Annotated[int | None, typer.Option(help="warehouses: open at least this many.")]
MaxOpenOpt = Annotated[int | None, typer.Option(help="warehouses: open at most this many.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help=f"Model key: {', '.join(MODELS)}.")]
TWO_STAGE_DEFAULT = next(k for k, s in MODELS.items() if s.two_stage and s.reads_instances)
"""The model ``frontier`` and ``saa`` solve without ``--model``: the registry's first two-stage
model that reads instances."""
TwoStageModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Two-stage model key: "
        + ", ".join(k for k, s in MODELS.items() if s.two_stage)
        + f" (default {TWO_STAGE_DEFAULT}; smps: FILE.cor, as --format smps).",
    ),
]
IntegerQuantitiesOpt = Annotated[
    bool | None,
    typer.Option(
        "--integer-quantities",
        help="network, routing: buy, ship and deliver whole units, and in whole cases "
        "where a pack_size is given (default: [network]/[routing] integer_quantities, "
        "else off).",
    ),
]
StartOpt = Annotated[
    str | None,
    typer.Option(
        "--start",
        help="First month of the horizon: a calendar month (2027-01) of an instance that writes "
        "its months so, or a month number (default: the demand's first month).",
    ),
]
HorizonOpt = Annotated[
    int | None,
    typer.Option(
        "--horizon", help="Months in the horizon from --start (default: to the demand's last)."
    ),
]
NormalizeOpt = Annotated[
    bool,
    typer.Option(
        "--normalize-probabilities",
        help="smps: rescale each distribution's probabilities to sum to 1 (without it they are "
        "used as written, and must sum to 1 within 1e-3).",
    ),
]

SAMPLING_FLAGS = {"n": "--samples"}
"""In the commands that sample demand, the sampler's ``n`` is ``--samples``."""

SMPS = "smps"
"""The model that reads SMPS files (``--format smps``), a two-stage problem of the files."""

CONFIG_OPTIONS: dict[str, str] = {
    "--single-source/--multi-source": "single_source",
    "--min-open": "min_open",
    "--max-open": "max_open",
    "--types": "types",
    "--channels": "channels",
    "--sku-blocks": "sku_blocks",
    "--integer-quantities": "integer_quantities",
    "--demand": "demand",
    "--samples": "samples",
    "--distribution": "distribution",
    "--risk-weight": "risk",
    "--alpha": "risk",
}
"""Command-line options that set a field of a model's config: they apply to the models whose
config has that field."""


def applies_to(option: str) -> list[str]:
    """The models a model option applies to."""
    if option == "--independent":
        return ["warehouses"]  # what sharing saves: the warehouses model only
    if option == "--report":
        return [k for k, s in MODELS.items() if s.two_stage]
    name = CONFIG_OPTIONS[option]
    return [
        k for k, s in MODELS.items() if name in {f.name for f in dataclasses.fields(s.config_type)}
    ]


def refuse_foreign_options(model: str, given: dict[str, object]) -> None:
    """An option given for a model it does not apply to is an :class:`OptionError` naming the
    option and the models it applies to. ``given`` maps each option to its value, ``None``
    when it was left at its default (so ``0`` and ``--multi-source`` count as given)."""
    wrong = [
        f"{option} applies to {' / '.join(applies_to(option))}, not {model}"
        for option, value in given.items()
        if value is not None and model not in applies_to(option)
    ]
    if wrong:
        raise OptionError("; ".join(wrong))


def risk_options(weight: float | None, alpha: float | None) -> RiskOptions:
    """Mean-CVaR options from the command line; an option not given keeps its default."""
    return RiskOptions(**_given(weight=weight, alpha=alpha))


def _given(**values) -> dict:
    """The keyword arguments given (not ``None``), so a config keeps its own defaults."""
    return {key: value for key, value in values.items() if value is not None}


def model_config(
    model: str,
    *,
    risk_weight: float | None = None,
    alpha: float | None = None,
    samples: int | None = None,
    distribution: str | None = None,
    single_source: bool | None = None,
    min_open: int | None = None,
    max_open: int | None = None,
    types: str | None = None,
    channels: str | None = None,
    demand_rule: str | None = None,
    sku_blocks: int | None = None,
    integer_quantities: bool | None = None,
):
    """The model's config object from the command-line options; options given for another
    model are an :class:`OptionError`. Each option sets the config field of its name
    (:data:`CONFIG_OPTIONS`); a field left out keeps the config's default."""
    model_spec(model)  # an unknown model before options that do not apply to it
    refuse_foreign_options(
        model,
        {
            "--single-source/--multi-source": single_source,
            "--min-open": min_open,
            "--max-open": max_open,
            "--types": types,
            "--channels": channels,
            "--sku-blocks": sku_blocks,
            "--integer-quantities": integer_quantities,
            "--demand": demand_rule,
            "--samples": samples,
            "--distribution": distribution,
            "--risk-weight": risk_weight,
            "--alpha": alpha,
        },
    )
    config_type = MODELS[model].config_type
    fields = {f.name for f in dataclasses.fields(config_type)}
    values = _given(
        single_source=single_source,
        min_open=min_open,
        max_open=max_open,
        types=_names(types) if types else None,
        channels=_names(channels) if channels else None,
        sku_blocks=sku_blocks,
        integer_quantities=integer_quantities,
        demand=demand_rule,
        samples=samples,
        distribution=distribution,
        risk=risk_options(risk_weight, alpha) if "risk" in fields else None,
    )
    return config_type(**values)


def _names(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def two_stage_problem(
    path: str,
    fmt: Format,
    model: str,
    config,
    normalize_probabilities: bool = False,
    seed: int = 0,
):
    """(problem, instance or None) of a two-stage model: from SMPS files, or built from an
    instance (demand sampled with ``seed`` when the config asks for samples)."""
    source = read_source(path, fmt, None, normalize_probabilities)
    if fmt == Format.smps:
        return source, None
    return _two_stage_spec(model).build(source, config, seed), source


def model_and_format(path: str, model: str | None, fmt: Format) -> tuple[str, Format]:
    """The model and input format of a command: ``--format smps`` is the ``smps`` model (no
    other ``--model`` reads SMPS files), and ``--model smps`` reads an SMPS core file given
    with ``--format auto``; otherwise the model given, by default ``warehouses``."""
    from cbecopt.readers.smps import is_core_file

    if fmt == Format.smps and model not in (None, SMPS):
        raise OptionError(
            f"--model does not apply to SMPS files except as --model {SMPS} (the model that "
            f"reads them), not {model}"
        )
    if fmt == Format.smps or (model == SMPS and fmt == Format.auto and is_core_file(path)):
        return SMPS, Format.smps
    return model or "warehouses", fmt


def two_stage_model(path: str, model: str | None, fmt: Format) -> tuple[str, Format]:
    """The two-stage model and input format of ``frontier`` and ``saa`` (:func:`model_and_format`;
    without ``--model``, :data:`TWO_STAGE_DEFAULT`, or ``smps`` for ``--format smps``); a model
    of the registry that is not two-stage is an :class:`OptionError`."""
    if model is None and fmt != Format.smps:
        model = TWO_STAGE_DEFAULT
    model, fmt = model_and_format(path, model, fmt)
    _two_stage_spec(model)
    return model, fmt


def read_source(path: str, fmt: Format, capacity: float | None, normalize_probabilities: bool):
    """What the pipeline solves from ``path``: the SMPS problem of an SMPS core file (with
    ``--normalize-probabilities``), else the instance (with ``--capacity``)."""
    if fmt == Format.smps:
        from cbecopt.readers.smps import read_smps

        return read_smps(resolve_path(path), normalize_probabilities=normalize_probabilities)
    _smps_only(normalize_probabilities)
    return load(path, fmt, capacity)


def windowed(source, start: str | None, horizon: int | None):
    """``source`` cut to ``--horizon`` months from ``--start`` (:meth:`Instance.window`); as
    read when neither is given."""
    if start is None and horizon is None:
        return source
    from cbecopt.instance import Instance

    if not isinstance(source, Instance):
        raise OptionError("--start and --horizon apply to instances with a demand table", "start")
    return source.window(start, horizon)


def _two_stage_spec(model: str):
    spec = MODELS.get(model)
    if spec is None or not spec.two_stage:
        raise OptionError(
            f"'{model}' is not a two-stage model; two-stage models: "
            + ", ".join(k for k, s in MODELS.items() if s.two_stage)
            + " (or an SMPS file with --format smps)"
        )
    return spec


def _two_stage_config(model: str, fmt: Format, **options):
    """The config of a two-stage model (``smps`` for an SMPS file) from the command-line
    options; options that do not apply are an :class:`OptionError`."""
    if fmt == Format.smps:
        return model_config(SMPS, **options)
    _two_stage_spec(model)
    return model_config(model, **options)


def _smps_only(normalize_probabilities: bool) -> None:
    """Refuse ``--normalize-probabilities`` for inputs it would be silently ignored on."""
    if normalize_probabilities:
        raise OptionError("--normalize-probabilities applies to SMPS files (--format smps) only")


@app.command()
def solve(
    path: PathArg,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help=f"Model key: {', '.join(MODELS)} (default warehouses)."),
    ] = None,
    fmt: FormatOpt = Format.auto,
    capacity: CapacityOpt = None,
    single_source: SingleSourceOpt = None,
    min_open: MinOpenOpt = None,
    max_open: MaxOpenOpt = None,
    independent: Annotated[
        bool,
        typer.Option(
            "--independent",
            help="warehouses: also solve each platform (and, up to 6 platforms, each coalition) "
            "alone; report what sharing saves and split the shared cost by use, Shapley value "
            "and nucleolus, checked against the core.",
        ),
    ] = False,
    types: TypesOpt = None,
    channels: ChannelsOpt = None,
    demand_rule: Annotated[
        str | None, typer.Option("--demand", help="suppliers: buy demand 'exact' or 'at_least'.")
    ] = None,
    sku_blocks: Annotated[
        int | None,
        typer.Option(
            help="routing: solve by blocks of this many SKUs, with a proven gap (large instances)."
        ),
    ] = None,
    integer_quantities: IntegerQuantitiesOpt = None,
    method: Annotated[
        str | None,
        typer.Option(
            help=f"Solution method: {', '.join(METHODS)} (default extensive_form; "
            "--sku-blocks N chooses sku_blocks)."
        ),
    ] = None,
    method_option: Annotated[
        list[str],
        typer.Option(
            "--method-option",
            help="A setting of the method KEY=VALUE (repeatable), e.g. ph: rho_factor=0.5, "
            "max_iterations=50.",
        ),
    ] = [],  # noqa: B006
    samples: SamplesOpt = None,
    distribution: DistributionOpt = None,
    risk_weight: RiskWeightOpt = None,
    alpha: OptionalAlphaOpt = None,
    report: Annotated[
        list[str],
        typer.Option(
            "--report", help="two-stage: add an analysis (stochastic: RP, EV, EEV, WS, EVPI, VSS)."
        ),
    ] = [],  # noqa: B006
    marginal_values: Annotated[
        bool,
        typer.Option(
            "--marginal-values",
            help="network, routing: fix the plan's integer decisions, re-solve the LP and "
            "report what one more unit of each binding capacity saves (table "
            "marginal_values; within --time-limit).",
        ),
    ] = False,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = 1e-6,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    highs_option: HighsOpt = [],  # noqa: B006
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            parser=out_path,
            help="Write result.json and CSV tables into this folder, or one workbook if it ends in .xlsx.",
        ),
    ] = None,
    write_model: Annotated[
        Path | None,
        typer.Option(
            "--write-model",
            parser=out_path,
            help="Write the model about to be solved (a two-stage model's extensive form) to "
            "this .lp or .mps file through Pyomo's writer, then solve it.",
        ),
    ] = None,
    start: StartOpt = None,
    horizon: HorizonOpt = None,
    normalize_probabilities: NormalizeOpt = False,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Solve an instance with one model and print (and optionally write) the result."""
    from cbecopt.pipeline import solve as solve_model
    from cbecopt.sharing import compare_sharing

    try:
        reserve = CHART_RESERVE if _draws_map(model, out_dir) else OUTPUT_RESERVE
        options = solve_options(time_limit, gap, threads, seed, verbose, highs_option, reserve)
        options = dataclasses.replace(options, marginal_values=marginal_values)
        model, fmt = model_and_format(path, model, fmt)
        config = model_config(
            model,
            risk_weight=risk_weight,
            alpha=alpha,
            samples=samples,
            distribution=distribution,
            single_source=single_source,
            min_open=min_open,
            max_open=max_open,
            types=types,
            channels=channels,
            demand_rule=demand_rule,
            sku_blocks=sku_blocks,
            integer_quantities=integer_quantities,
        )
        refuse_foreign_options(
            model, {"--independent": independent or None, "--report": report or None}
        )
        if marginal_values and independent:
            raise OptionError(
                "--marginal-values reports the duals of one model; --independent solves many"
            )
        method_options = key_values(method_option, "--method-option")
        if method_options and method is None:
            raise OptionError(
                "takes the settings of the method given by --method", "--method-option"
            )
        if method is not None and independent:
            raise OptionError(
                "--method applies to one model solved from an instance, not to --independent "
                "(it solves many)"
            )
        batch = Batch(workers, scheduler)
        by_blocks = method == "sku_blocks" or sku_blocks is not None
        if batch.on_cluster and not (independent or by_blocks):
            flag = "--workers" if workers is not None else "--scheduler"
            raise OptionError(
                f"{flag} runs the coalitions of --independent or the SKU blocks of --method "
                "sku_blocks side by side; a solve of one model uses --threads",
                flag,
            )
        destination = check_output(out_dir, *input_paths(path, fmt), names=(outputs.RESULT_FILE,))
        if write_model is not None:
            _check_model_file(write_model, input_paths(path, fmt), independent, sku_blocks)
        source = windowed(read_source(path, fmt, capacity, normalize_probabilities), start, horizon)
        if independent:
            from cbecopt.sharing import check_sharing

            check_sharing(source, config)
        with solving(as_json, verbose), running_on(batch):
            if independent:
                result = compare_sharing(source, options, config)
            else:
                result = solve_model(
                    source, model, options, config, report, write_model, method, method_options
                )
    except CbecoptError as exc:
        fail(exc, as_json, SAMPLING_FLAGS, model=model, instance=str(path))
    try:
        delivered = deliver(
            destination,
            lambda p: (
                result.to_workbook(p)
                if outputs.is_workbook(p)
                else result.to_dir(p, _plan_map(source, result))
            ),
        )
    except CbecoptError as exc:
        fail(exc, as_json, model=model, instance=str(path))
    from cbecopt.report import print_summary, print_warnings

    print_warnings(err, result.warnings)
    if as_json:
        print(result.to_json())
    else:
        print_summary(out, result, delivered.path)
    raise typer.Exit(delivered.exit_code or exit_code(result))


def _draws_map(model: str | None, out_dir: Path | None) -> bool:
    """Whether the command may draw a plan's ``map.png``: a ``network`` or ``routing`` plan
    written to a folder (the limit then keeps time to draw it, and the drawing library starts
    loading now)."""
    from cbecopt.plan_map import FLOWS

    return model in FLOWS and out_dir is not None and not outputs.is_workbook(out_dir)


def _plan_map(source, result) -> dict:
    """``map.png`` and the interactive ``map.html`` beside a ``network`` or ``routing`` plan
    whose nodes all have a latitude and longitude (:mod:`cbecopt.plan_map`); nothing
    otherwise, with a warning naming the nodes without a place when only some have one."""
    from cbecopt.instance import Instance
    from cbecopt.plan_map import (
        FLOWS,
        draw_plan_map,
        has_coordinates,
        plan_flows,
        write_plan_map_html,
    )

    if result.model not in FLOWS or not isinstance(source, Instance) or not result.tables:
        return {}
    nodes = source.tables.get("nodes")
    if nodes is None or not {"lat", "lon"} <= set(nodes.columns):
        return {}
    if not has_coordinates(nodes):
        unplaced = nodes.loc[nodes[["lat", "lon"]].isna().any(axis=1), "id"].astype(str)
        if len(unplaced) < len(nodes):
            result.warnings.append(
                f"no map.png: {len(unplaced)} node(s) have no lat/lon in "
                f"{source.source('nodes')} ({', '.join(unplaced[:5])}"
                f"{', ...' if len(unplaced) > 5 else ''}); give every node its place for a map"
            )
        return {}
    flows = plan_flows(result.model, result.tables)
    title = f"{result.model} plan on {result.instance}: {result.status.value}"
    return {
        "map.png": lambda path: draw_plan_map(nodes, flows, title, path),
        "map.html": lambda path: write_plan_map_html(nodes, flows, title, path),
    }


def _check_model_file(
    target: Path, inputs: tuple[Path, ...], independent: bool, sku_blocks: int | None
) -> None:
    """Refuse ``--write-model`` where it cannot be written, or where no one model is solved."""
    for flag, given in (("--independent", independent), ("--sku-blocks", sku_blocks is not None)):
        if given:
            raise OptionError(f"--write-model writes the one model solved; {flag} solves many")
    outputs.prepare_model_file(target, inputs)


@app.command()
def frontier(
    path: PathArg,
    model: TwoStageModelOpt = None,
    fmt: FormatOpt = Format.auto,
    alpha: AlphaOpt = 0.95,
    points: Annotated[int, typer.Option(help="Number of weights from 0 to 1.")] = 6,
    samples: SamplesOpt = None,
    distribution: DistributionOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = 1e-6,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    highs_option: HighsOpt = [],  # noqa: B006
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out", "-o", parser=out_path, help="Write frontier.csv and frontier.png here."
        ),
    ] = Path("results/frontier"),
    normalize_probabilities: NormalizeOpt = False,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Trace the mean-CVaR efficient frontier of a two-stage model (table and PNG plot).

    With --workers or --scheduler the weights' solves run side by side on Dask.
    """
    import numpy as np

    from cbecopt.stochastic.frontier import MAX_POINTS, efficient_frontier, plot_frontier

    try:
        checks.count("--points", points, 2, MAX_POINTS)
        options = solve_options(
            time_limit, gap, threads, seed, verbose, highs_option, CHART_RESERVE
        )
        model, fmt = two_stage_model(path, model, fmt)
        config = _two_stage_config(
            model, fmt, alpha=alpha, samples=samples, distribution=distribution
        )
        problem, instance = two_stage_problem(
            path, fmt, model, config, normalize_probabilities, seed
        )
        destination = check_output(
            out_dir, *input_paths(path, fmt), names=("frontier.csv", "frontier.png")
        )
        batch = Batch(workers, scheduler)
        travels = PortableProblem.of(problem, instance, model, config, seed)
        with solving(as_json, verbose), running_on(batch):
            table = efficient_frontier(
                problem, np.linspace(0.0, 1.0, points).round(6), alpha, options, travels
            )
    except CbecoptError as exc:
        fail(exc, as_json, SAMPLING_FLAGS, instance=str(path))
    delivered = deliver(
        destination,
        lambda folder: write_tables(
            folder,
            {"frontier": table},
            {"frontier.png": lambda png: plot_frontier(table, png, problem.name)},
        ),
    )
    status = overall_status(table["status"])
    if as_json:
        print(batch_json(status, options, points=records(table)))
    else:
        print_frame(table, f"mean-CVaR frontier of {problem.name} (alpha {alpha:g})")
        if delivered.path is not None:
            out.print(f"wrote {delivered.path}/frontier.csv and {delivered.path}/frontier.png")
    raise typer.Exit(delivered.exit_code or exit_code(status))


@app.command()
def saa(
    path: PathArg,
    model: TwoStageModelOpt = None,
    fmt: FormatOpt = Format.auto,
    n: Annotated[
        int, typer.Option("--n", help="Scenarios per sample average approximation.")
    ] = 100,
    replications: Annotated[
        int, typer.Option(help="Independent replications for the gap estimate.")
    ] = 10,
    evaluation_n: Annotated[
        int, typer.Option(help="Independent scenarios to estimate the candidate's cost (0: skip).")
    ] = 1000,
    confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    distribution: DistributionOpt = None,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = 1e-6,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    highs_option: HighsOpt = [],  # noqa: B006
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", parser=out_path, help="Write replications.csv and saa.json here."
        ),
    ] = None,
    normalize_probabilities: NormalizeOpt = False,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Sample average approximation with a statistical optimality gap (Mak, Morton and Wood 1999).

    Demand given as means and std is sampled from the distribution; scenarios given in the
    instance (or an SMPS file) are resampled by their probabilities. With --workers or
    --scheduler the replications (and the evaluation sample) run side by side on Dask once
    the candidate is solved, with the same seeds and results.
    """
    import json

    from cbecopt.stochastic.saa import check_saa_sizes, mrp_gap, saa_sampler

    try:
        flagged(
            {
                "--n": lambda: check_saa_sizes(n, 2, 0),
                "--replications": lambda: check_saa_sizes(1, replications, 0),
                "--evaluation-n": lambda: check_saa_sizes(1, 2, evaluation_n),
            }
        )
        options = solve_options(time_limit, gap, threads, seed, verbose, highs_option)
        model, fmt = two_stage_model(path, model, fmt)
        config = _two_stage_config(model, fmt, distribution=distribution)
        problem, instance = two_stage_problem(
            path, fmt, model, config, normalize_probabilities, seed
        )
        sampler = saa_sampler(problem, instance, model, config)
        destination = check_output(
            out_dir, *input_paths(path, fmt), names=("replications.csv", "saa.json")
        )
        batch = Batch(workers, scheduler)
        travels = PortableProblem.of(problem, instance, model, config, seed)
        with solving(as_json, verbose), running_on(batch):
            result = mrp_gap(
                problem.with_scenarios,
                sampler,
                n,
                replications,
                seed,
                options,
                confidence,
                evaluation_n,
                travels,
            )
    except CbecoptError as exc:
        fail(exc, as_json, instance=str(path))
    summary = json.dumps(result.to_dict(), indent=2) + "\n"
    delivered = deliver(
        destination,
        lambda folder: write_tables(
            folder,
            {"replications": result.replications},
            {"saa.json": lambda file: file.write_text(summary, encoding="utf-8")},
        ),
    )
    status = str(result.summary["status"])
    if as_json:
        print(
            batch_json(
                status, options, summary=result.to_dict(), replications=records(result.replications)
            )
        )
    else:
        print_frame(result.replications, f"SAA replications of {problem.name} (n = {n})")
        for key, value in result.summary.items():
            out.print(f"{key}: {value:,.4f}" if isinstance(value, float) else f"{key}: {value}")
    raise typer.Exit(
        delivered.exit_code or exit_code(status if status != "unfinished" else "no_solution")
    )


@app.command()
def pareto(
    path: PathArg,
    model: ModelOpt = "suppliers",
    points: Annotated[
        int, typer.Option(help="Efficient points to trace, end points included.")
    ] = 8,
    time_limit: TimeLimitOpt = None,
    gap: GapOpt = 1e-6,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    highs_option: HighsOpt = [],  # noqa: B006
    out_dir: Annotated[
        Path,
        typer.Option("--out", "-o", parser=out_path, help="Write pareto.csv and pareto.png here."),
    ] = Path("results/pareto"),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Trace the cost vs expected-counterfeit trade-off by the epsilon-constraint method and mark the knee."""
    from cbecopt.pareto import MAX_POINTS, pareto_front, plot_front

    try:
        checks.count("--points", points, 2, MAX_POINTS)
        if model != "suppliers":
            raise OptionError(f"the Pareto front is traced for the suppliers model, not '{model}'")
        options = solve_options(
            time_limit, gap, threads, seed, verbose, highs_option, CHART_RESERVE
        )
        instance = load(path)
        check_inputs(instance, model)
        destination = check_output(out_dir, *input_paths(path), names=("pareto.csv", "pareto.png"))
        batch = Batch(workers, scheduler)
        with solving(as_json, verbose), running_on(batch):
            front = pareto_front(instance, points, options)
    except CbecoptError as exc:
        fail(exc, as_json, instance=str(path))
    title = f"cost vs counterfeit risk, {instance.name}"
    delivered = deliver(
        destination,
        lambda folder: write_tables(
            folder,
            {"pareto": front.table},
            {"pareto.png": lambda png: plot_front(front, png, title)},
        ),
    )
    if as_json:
        print(batch_json(front.status, options, instance.load_seconds, points=records(front.table)))
    else:
        print_frame(
            front.table.drop(columns=["gap"]), f"efficient points of {instance.name} (knee marked)"
        )
        if delivered.path is not None:
            out.print(f"wrote {delivered.path}/pareto.csv and {delivered.path}/pareto.png")
    raise typer.Exit(delivered.exit_code or exit_code(front.status))
