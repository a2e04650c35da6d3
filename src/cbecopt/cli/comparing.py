"""The comparison commands, from the registry: ``cbecopt compare PATH --model M`` runs a model's
comparison (:class:`~cbecopt.models.spec.Comparison`), and each comparison also gets its alias
``compare-<name>`` (``compare-contracts``, ``compare-routing``, ...) taking only the options
that apply to it. A model that registers a comparison gets both commands with no code here.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer

from cbecopt.batch import Batch, running_on
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
    SAMPLING_FLAGS,
    DistributionOpt,
    HorizonOpt,
    MaxOpenOpt,
    MinOpenOpt,
    OptionalAlphaOpt,
    RiskWeightOpt,
    SamplesOpt,
    SingleSourceOpt,
    StartOpt,
    model_config,
    windowed,
)
from cbecopt.compare import overall_status
from cbecopt.errors import CbecoptError, OptionError
from cbecopt.models import MODELS, model_spec
from cbecopt.models.spec import Comparison

COMPARED = {key: spec.comparisons for key, spec in MODELS.items() if spec.comparisons}
"""The registered comparisons, by model key (models without one left out)."""

CONFIG_PARAMETERS: dict[str, tuple[str, Any]] = {
    "--samples": ("samples", SamplesOpt),
    "--distribution": ("distribution", DistributionOpt),
    "--risk-weight": ("risk_weight", RiskWeightOpt),
    "--alpha": ("alpha", OptionalAlphaOpt),
    "--single-source/--multi-source": ("single_source", SingleSourceOpt),
    "--min-open": ("min_open", MinOpenOpt),
    "--max-open": ("max_open", MaxOpenOpt),
}
"""Each option a comparison may declare (``Comparison.options``): its parameter name (that of
:func:`~cbecopt.cli.solving.model_config`) and its Typer annotation; every default is
``None``, so an option not given keeps the config's default."""


def _comparison(model: str, name: str | None) -> Comparison:
    """The comparison ``name`` of ``model`` (its first when ``name`` is ``None``); a model
    without comparisons, or a name it does not register, is an :class:`OptionError`."""
    spec = model_spec(model)
    if not spec.comparisons:
        raise OptionError(
            f"the {model} model has no comparison; models with one: {', '.join(COMPARED)}",
            "--model",
        )
    if name is None:
        return spec.comparisons[0]
    for comparison in spec.comparisons:
        if comparison.name == name:
            return comparison
    known = ", ".join(c.name for c in spec.comparisons)
    raise OptionError(
        f"the {model} model has no comparison '{name}'; its comparisons: {known}", "--comparison"
    )


def _refuse_inapplicable(model: str, comparison: Comparison, given: dict[str, Any]) -> None:
    """An option given (not ``None``) that the comparison does not declare is an
    :class:`OptionError` naming the option and the models whose comparisons take it."""
    wrong = []
    for flag, value in given.items():
        if value is None or flag in comparison.options:
            continue
        takers = [k for k, cs in COMPARED.items() if any(flag in c.options for c in cs)]
        wrong.append(
            f"{flag} applies to compare --model {' / '.join(takers)}, not the "
            f"{comparison.name} comparison of {model}"
        )
    if wrong:
        raise OptionError("; ".join(wrong))


def run_comparison(
    model: str,
    name: str | None,
    path: str,
    config_options: dict[str, Any],
    time_limit: float | None,
    gap: float,
    threads: int | None,
    seed: int,
    highs_option: list[str],
    out_dir: Path | None,
    as_json: bool,
    verbose: bool,
    start: str | None = None,
    horizon: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> None:
    """Run one registered comparison on ``path`` (cut to ``horizon`` months from ``start``
    when given) and print, write and exit like every command.

    ``config_options`` maps each config flag (:data:`CONFIG_PARAMETERS`) to its value
    (``None``: not given). Writes ``comparison.csv`` (and ``comparison.png`` for a comparison
    with a chart) into ``out_dir``, or the comparison's default folder; ``--json`` prints one
    object with the rows under the comparison's key. The exit code is that of the overall
    status of the rows (:func:`cbecopt.compare.overall_status`).
    """
    try:
        comparison = _comparison(model, name)
        reserve = CHART_RESERVE if comparison.chart else OUTPUT_RESERVE
        options = solve_options(time_limit, gap, threads, seed, verbose, highs_option, reserve)
        _refuse_inapplicable(model, comparison, config_options)
        batch = Batch(workers, scheduler)
        values = {CONFIG_PARAMETERS[flag][0]: v for flag, v in config_options.items()}
        config = model_config(model, **values)
        instance = windowed(load(path), start, horizon)
        files = ("comparison.csv", "comparison.png") if comparison.chart else ("comparison.csv",)
        target = out_dir or (Path(comparison.out) if comparison.out else None)
        destination = check_output(target, *input_paths(path), names=files)
        with solving(as_json, verbose), running_on(batch):
            table = comparison.run(instance, options, config)
    except CbecoptError as exc:
        fail(exc, as_json, SAMPLING_FLAGS, instance=str(path))
    title = comparison.caption.format(instance=instance.name, config=config)
    charts = {}
    if comparison.chart is not None:
        charts["comparison.png"] = lambda png: comparison.chart(table, png, title)
    delivered = deliver(
        destination, lambda folder: write_tables(folder, {"comparison": table}, charts)
    )
    status = overall_status(table["status"])
    if as_json:
        named = next(iter(comparison.shown))
        rows = [{"name": row[named], **row} for row in records(table)]
        derived = comparison.summary(table) if comparison.summary is not None else {}
        print(
            batch_json(
                status, options, instance.load_seconds, **{comparison.rows_key: rows}, **derived
            )
        )
    else:
        shown = table[list(comparison.shown)].rename(columns=dict(comparison.shown))
        print_frame(shown, title, tuple(comparison.shown[c] for c in comparison.percent))
        if comparison.note:
            out.print(comparison.note.format(instance=instance.name, config=config))
        if delivered.path is not None:
            out.print(f"wrote {' and '.join(f'{delivered.path}/{f}' for f in files)}")
    raise typer.Exit(delivered.exit_code or exit_code(status))


def _command(
    name: str, help_text: str, flags: tuple[str, ...], leading: list[inspect.Parameter], run
):
    """Register a Typer command named ``name`` whose parameters are ``leading``, the config
    options ``flags`` and the options every comparison takes; ``run(**values)`` runs it."""
    parameters = [
        *leading,
        *(_keyword(*CONFIG_PARAMETERS[flag]) for flag in flags),
        _keyword("start", StartOpt),
        _keyword("horizon", HorizonOpt),
        _keyword("time_limit", TimeLimitOpt),  # the whole call: every policy shares it
        _keyword("gap", GapOpt, 1e-6),
        _keyword("threads", ThreadsOpt),
        _keyword("seed", SeedOpt, 0),
        _keyword("highs_option", HighsOpt, []),
        _keyword("workers", WorkersOpt),
        _keyword("scheduler", SchedulerOpt),
        _keyword("as_json", JsonOpt, False),
        _keyword("verbose", VerboseOpt, False),
    ]

    def command(**values: Any) -> None:
        run(**values)

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = help_text
    command.__name__ = name.replace("-", "_")
    app.command(name=name)(command)


def _given(flags: tuple[str, ...], values: dict[str, Any]) -> dict[str, Any]:
    """The config options of ``flags`` taken out of a command's ``values``."""
    return {flag: values.pop(CONFIG_PARAMETERS[flag][0]) for flag in flags}


def _keyword(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    """One option of a generated command: parameter ``name`` with its Typer annotation."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default
    )


def _out_option(help_text: str, default: Path | None) -> inspect.Parameter:
    """``--out``/``-o``: the folder the comparison's files go to."""
    annotation = Annotated[
        Path | None, typer.Option("--out", "-o", parser=out_path, help=help_text)
    ]
    return _keyword("out_dir", annotation, default)


def _path_parameter() -> inspect.Parameter:
    """The instance argument every comparison command takes first."""
    return inspect.Parameter("path", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PathArg)


def _register() -> None:
    """The generic ``compare`` command and one alias per registered comparison."""
    every_flag = tuple(
        flag
        for flag in CONFIG_PARAMETERS
        if any(flag in c.options for cs in COMPARED.values() for c in cs)
    )
    names = ", ".join(c.name for cs in COMPARED.values() for c in cs)

    def generic(model: str, comparison: str | None, out_dir: Path | None, **values: Any) -> None:
        given = _given(every_flag, values)
        run_comparison(model, comparison, config_options=given, out_dir=out_dir, **values)

    _command(
        "compare",
        "Solve an instance under each policy of a model's comparison (from the registry) and "
        "show the rows side by side: "
        + "; ".join(
            f"{key}: {c.name} ({', '.join(c.policies)})" for key, cs in COMPARED.items() for c in cs
        )
        + ".",
        every_flag,
        [
            _path_parameter(),
            _keyword(
                "model",
                Annotated[
                    str,
                    typer.Option(
                        "--model",
                        "-m",
                        help=f"Model key, one with a comparison: {', '.join(COMPARED)}.",
                    ),
                ],
                inspect.Parameter.empty,
            ),
            _keyword(
                "comparison",
                Annotated[
                    str | None,
                    typer.Option(
                        help=f"Which of the model's comparisons (default its first): {names}."
                    ),
                ],
            ),
            _out_option(
                "Write comparison.csv (and comparison.png for a comparison with a chart) here; "
                "without it only a comparison with a folder of its own writes: "
                + ", ".join(f"{c.name} to {c.out}" for cs in COMPARED.values() for c in cs if c.out)
                + ".",
                None,
            ),
        ],
        generic,
    )
    for key, comparisons in COMPARED.items():
        for comparison in comparisons:
            _alias(key, comparison)


def _alias(model: str, comparison: Comparison) -> None:
    """Register ``compare-<name>``: ``compare --model <model> --comparison <name>`` with only
    the options that apply to it."""

    def alias(out_dir: Path | None, **values: Any) -> None:
        given = _given(comparison.options, values)
        run_comparison(model, comparison.name, config_options=given, out_dir=out_dir, **values)

    files = "comparison.csv and comparison.png" if comparison.chart else "comparison.csv"
    default = Path(comparison.out) if comparison.out else None
    _command(
        comparison.command,
        comparison.help,
        comparison.options,
        [_path_parameter(), _out_option(f"Write {files} here.", default)],
        alias,
    )


_register()
