"""The Typer application and what every command shares: consoles, exit codes, error output.

Exit codes: 0 a solution (or a valid instance) was returned; 2 bad input or options (an
output refused included: nothing written); 3 the model has no solution (infeasible, unbounded,
or none found within the limits); 4 the solver failed; 5 the output could not be written after
the computation (disk full, ...): the result went to a fresh folder under the system's
temporary directory instead, named in the message; 130 / 143 stopped by Ctrl-C (SIGINT) /
SIGTERM: what was found by then is printed and written like any result. Bad input never shows
a traceback: every problem is listed with file, row and column.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from typing import Annotated, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from cbecopt.bundled import resolve_path
from cbecopt.cli import EXIT_SIGNAL
from cbecopt.errors import CbecoptError, InputError, OptionError
from cbecopt.highs import SolveOptions, abandoned_runs, highs_option_value
from cbecopt.instance import Instance, load_instance
from cbecopt.limits import Budget, received_signal
from cbecopt.report import labelled
from cbecopt.results import Result, Status

EXIT_OK, EXIT_INPUT, EXIT_NO_SOLUTION, EXIT_SOLVER, EXIT_OUTPUT = 0, 2, 3, 4, 5

PARAMETER_FLAGS = {
    "capacity": "--capacity",
    "fmt": "--format",
    "samples": "--samples",
    "distribution": "--distribution",
    "seed": "--seed",
}
"""The flag of each API parameter an :class:`OptionError` may name, for its message."""

_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
"""The base class of the errors click reports about the command line itself (an unknown
option, a value of the wrong type), reached through typer's public ``BadParameter``."""


class _OneLineErrors(TyperGroup):
    """The commands, with errors in the command line itself (``--format bogus``, ``--threads
    x``, ``-o ""``) reported like every other error: one line ``error: ...`` naming the
    option, and exit code 2, instead of a usage text and a box."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except _USAGE_ERROR as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help, printed already by rich
                if exc.format_message():
                    exc.show()
                sys.exit(exc.exit_code)
            context = getattr(exc, "ctx", None)
            hint = f" (see '{context.command_path} --help')" if context is not None else ""
            err.print(labelled("error:", "bold red", exc.format_message() + hint))
            sys.exit(exc.exit_code)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


app = typer.Typer(
    cls=_OneLineErrors,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Optimization models for cross-border e-commerce supply chains (Pyomo + HiGHS).",
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version
        from platform import python_version

        from cbecopt import __version__

        print(
            f"cbecopt {__version__} (Pyomo {version('pyomo')}, highspy {version('highspy')}, "
            f"Python {python_version()})"
        )
        raise typer.Exit()


@app.callback()
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Show the versions of cbecopt, Pyomo, highspy and Python, and exit.",
        ),
    ] = False,
) -> None:
    """Optimization models for cross-border e-commerce supply chains (Pyomo + HiGHS)."""


# Not a terminal (a pipe, a log, CI): tables get 160 columns rather than rich's default 80.
# No markup and no emoji codes: user data (a node id "[bold]", a path "[instance]", a what-if
# change "products:apple:price=*1.1") prints as it is, in tables, titles and messages alike;
# colour is given explicitly (rich Text with a style).
out = Console(
    markup=False,
    emoji=False,
    highlight=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else 160,
)
err = Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)


class Format(StrEnum):
    auto = "auto"
    csv = "csv"
    xlsx = "xlsx"
    orlib_cap = "orlib-cap"
    holmberg = "holmberg"
    smps = "smps"


PathArg = Annotated[
    str, typer.Argument(help="Instance folder, .xlsx workbook, benchmark file, or a bundled name.")
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Input format.")]
CapacityOpt = Annotated[
    float | None, typer.Option(help="Warehouse capacity for OR-Library capa/capb/capc.")
]
TimeLimitOpt = Annotated[
    float | None,
    typer.Option(
        help="Seconds for the whole command: loading, data preparation and every solve, "
        "report or policy in it."
    ),
]
GapOpt = Annotated[float, typer.Option(help="Relative MIP gap to stop at.")]
ThreadsOpt = Annotated[int | None, typer.Option(help="HiGHS threads.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        help="Run the command's solves side by side on a local Dask cluster of this many "
        "worker processes (HiGHS on one thread each; needs cbecopt\\[scale], the Dask extra)."
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        help="Run the command's solves on the Dask cluster of this scheduler "
        "(tcp://host:8786, e.g. started by dask-jobqueue on Slurm)."
    ),
]
SeedOpt = Annotated[
    int, typer.Option(help="Random seed for HiGHS and for sampling (same seed, same result).")
]
HighsOpt = Annotated[
    list[str], typer.Option("--highs-option", help="Raw HiGHS option KEY=VALUE (repeatable).")
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show the HiGHS log.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]


def fail(
    exc: CbecoptError,
    as_json: bool = False,
    flags: Mapping[str, str] | None = None,
    **context,
) -> NoReturn:
    """Report an input or option error and exit with code 2.

    The error text is shown literally (``[instance]`` stays ``[instance]``, never rich
    markup). An :class:`OptionError` about an API parameter names its flag instead
    (:data:`PARAMETER_FLAGS`, and ``flags`` for the command's own). With ``as_json`` the one
    JSON object of the command goes to stdout too (status ``error``, the error text, the
    problems and ``context``), so scripts always get JSON. A folder made for the command's
    output, still empty, is removed: nothing is written for a rejected input.
    """
    from cbecopt.cli.output import discard_unused

    named = {**PARAMETER_FLAGS, **(flags or {})}
    if isinstance(exc, OptionError) and exc.option in named:
        exc = exc.naming(named)
    discard_unused()
    if as_json:
        print(error_json(exc, **context))
    err.print(labelled("error:", "bold red", str(exc)))
    raise typer.Exit(EXIT_INPUT)


def flagged(checks: Mapping[str, Callable[[], object]]) -> None:
    """Run each check of one option's value; an :class:`OptionError` names its flag.

    The rules stay where they are declared (``SolveOptions``, the SAA sizes, ...): each value
    is checked on its own, so the error can say which flag is at fault.
    """
    for flag, check in checks.items():
        try:
            check()
        except OptionError as exc:
            raise OptionError(exc.message, flag) from None


@contextlib.contextmanager
def stdout_to_stderr(active: bool) -> Iterator[None]:
    """Send everything written to stdout (solver logs included) to stderr while ``active``.

    A HiGHS run given up on (:func:`cbecopt.highs.abandoned_runs`) may still write its log to
    the process's stdout afterwards; then the descriptor stays on stderr and Python's own
    output (the JSON result) goes to the saved stdout, so the log cannot corrupt it.
    """
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
        if abandoned_runs():
            sys.stdout = os.fdopen(saved, "w", encoding=sys.stdout.encoding)
        else:
            os.dup2(saved, 1)
            os.close(saved)


class _Progress(logging.Handler):
    """The package's progress records (which policy, scenario, point or coalition is being
    solved, ``i/n``; each HiGHS run's seconds, incumbent, bound and gap, see
    :meth:`cbecopt.highs._WatchedRun.progress`) as one line: the current step, then what the
    solver of that step reports, after the call's elapsed time."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.started = time.monotonic()
        self.step = ""
        self.solver = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:  # warnings have their own handler (cli.run)
            return
        if record.name.startswith("cbecopt.highs"):
            self.solver = record.getMessage()
        else:
            self.step, self.solver = record.getMessage(), ""
        self.show(self.line())

    def line(self) -> str:
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        return f"[{minutes}:{seconds:02d}] " + " · ".join(p for p in (self.step, self.solver) if p)

    def show(self, line: str) -> None:
        raise NotImplementedError


class _LiveLine(_Progress):
    """On a terminal: the progress line as the text of a status spinner, updated in place."""

    def __init__(self, status) -> None:
        super().__init__()
        self.status = status

    def show(self, line: str) -> None:
        self.status.update(Text(line))


class _SteadyLines(_Progress):
    """In pipes and logs: the progress line as a plain ``cbecopt:`` line on stderr at most once
    every :data:`PIPE_PROGRESS_SECONDS`, none before then, so that a short command writes
    nothing and a long one a steady record of how it goes."""

    def __init__(self) -> None:
        super().__init__()
        self.next_line = self.started + PIPE_PROGRESS_SECONDS

    def show(self, line: str) -> None:
        now = time.monotonic()
        if now >= self.next_line:
            sys.stderr.write(f"cbecopt: {line}\n")
            sys.stderr.flush()
            self.next_line = now + PIPE_PROGRESS_SECONDS


PIPE_PROGRESS_SECONDS = 10.0
"""Least seconds between two progress lines in pipes and logs (and before the first)."""


@contextlib.contextmanager
def solving(as_json: bool, verbose: bool) -> Iterator[None]:
    """Around a long computation: stdout to stderr under ``--json`` and the step in progress
    (the package's INFO log records: which policy, scenario, point or coalition out of how
    many, each HiGHS run's incumbent, bound and gap): with ``--verbose`` as ``cbecopt:`` lines
    on stderr beside HiGHS's own log, on a terminal as a live line (a spinner) on stderr, and
    in pipes and logs as steady lines (:class:`_SteadyLines`)."""
    with stdout_to_stderr(as_json):
        logger = logging.getLogger("cbecopt")
        level = logger.level
        with contextlib.ExitStack() as stack:
            if verbose:
                handler: logging.Handler = _LineHandler()
            elif err.is_terminal:
                handler = _LiveLine(stack.enter_context(err.status("solving")))
            else:
                handler = _SteadyLines()
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            try:
                yield
            finally:
                logger.removeHandler(handler)
                logger.setLevel(level)


class _LineHandler(logging.Handler):
    """The package's progress records as ``cbecopt: ...`` lines on stderr (``--verbose``);
    HiGHS's progress records are left out, its own log says more."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "highs_progress", False):
            return
        if record.levelno < logging.WARNING:  # warnings have their own handler (cli.run)
            sys.stderr.write(f"cbecopt: {record.getMessage()}\n")
            sys.stderr.flush()


def load(path: str, fmt: Format = Format.auto, capacity: float | None = None) -> Instance:
    """Load an instance given by path or bundled name."""
    return load_instance(resolve_path(path), fmt.value, capacity)


OUTPUT_RESERVE = 0.3
"""Seconds of ``--time-limit`` kept for printing and writing the result."""
CHART_RESERVE = 2.0
"""Seconds kept by commands that draw a chart (loading matplotlib alone takes 1-2 s)."""


def solve_options(
    time_limit: float | None,
    gap: float,
    threads: int | None,
    seed: int,
    verbose: bool,
    highs_option: list[str],
    reserve: float = OUTPUT_RESERVE,
) -> SolveOptions:
    """The solver options every solving command takes, with the command's time budget
    started when the command started (so the limit covers start-up and loading) and
    ``reserve`` seconds of it kept for writing the outputs (a command that draws a chart
    asks for :data:`CHART_RESERVE` and starts loading the drawing library now). A value
    ``SolveOptions`` refuses is an :class:`OptionError` naming its flag."""
    highs_options = key_values(highs_option, "--highs-option")
    flagged(
        {
            "--time-limit": lambda: SolveOptions(time_limit=time_limit),
            "--gap": lambda: SolveOptions(mip_rel_gap=gap),
            "--threads": lambda: SolveOptions(threads=threads),
            "--seed": lambda: SolveOptions(seed=seed),
            "--highs-option": lambda: SolveOptions(highs_options=highs_options),
        }
    )
    if reserve >= CHART_RESERVE:
        from cbecopt.plots import preload

        preload()
    return SolveOptions(
        time_limit=time_limit,
        mip_rel_gap=gap,
        threads=threads,
        seed=seed,
        verbose=verbose,
        highs_options=highs_options,
        budget=Budget(time_limit, started=command_started(), includes_load=True, reserve=reserve),
    )


def command_started() -> float:
    """When this command began (see :data:`cbecopt.cli.started`), or now when run otherwise
    (e.g. Typer's test runner)."""
    import cbecopt.cli

    return cbecopt.cli.started if cbecopt.cli.started is not None else time.monotonic()


def key_values(pairs: list[str], flag: str) -> dict:
    """``KEY=VALUE`` pairs of a repeatable ``flag`` as a dict, each value read as a bool,
    number or text (:func:`~cbecopt.highs.highs_option_value`)."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OptionError(f"'{pair}' is not KEY=VALUE", flag)
        options[key.strip()] = highs_option_value(value.strip())
    return options


def exit_code(result: Result | str) -> int:
    """The exit code of a command that produced ``result`` (a Result or an overall status);
    a command a signal stopped exits 128 + the signal's number whatever it returned."""
    stopped = received_signal()
    if stopped is not None:
        return EXIT_SIGNAL[signal.Signals[stopped]]
    status = Status(result if isinstance(result, str) else result.status)
    if status.has_solution:
        return EXIT_OK
    return EXIT_SOLVER if status == Status.ERROR else EXIT_NO_SOLUTION


def batch_json(status: str, options: SolveOptions, load_seconds: float = 0.0, **payload) -> str:
    """The one JSON object of a command that solves many times (comparisons, fronts, SAA):
    the overall status, no single objective, the call's timings (loading, then the solves as
    ``other``), and its rows."""
    timings = options.budget.timings({}, load_seconds) if options.budget else {}
    return json.dumps(
        {
            "status": status,
            "objective": None,
            "bound": None,
            "gap": None,
            "timings": {k: round(v, 6) for k, v in timings.items()},
            **payload,
        },
        ensure_ascii=False,
        default=str,
    )


def records(table: pd.DataFrame) -> list[dict]:
    """A table's rows as JSON-ready dicts (NaN as null)."""
    return json.loads(table.to_json(orient="records"))


def error_json(exc: CbecoptError, **context) -> str:
    """The one JSON object ``--json`` prints when the input or options are bad.

    For an :class:`~cbecopt.errors.InputError`, ``problems`` holds the first problems (file,
    row, column, message) as the message shows them, ``problem_count`` how many there are in
    all and ``more`` the rest counted by kind.
    """
    details = {}
    if isinstance(exc, InputError):
        details = {
            "problem_count": len(exc.problems),
            "problems": [dataclasses.asdict(p) for p in exc.shown],
            "more": [
                {"count": count, "kind": p.kind, "file": p.file, "column": p.column}
                for count, p in exc.hidden_counts
            ],
        }
    return json.dumps(
        {
            "status": "error",
            "objective": None,
            "bound": None,
            "gap": None,
            **context,
            "error": str(exc),
            **details,
        },
        ensure_ascii=False,
    )


def print_frame(table: pd.DataFrame, title: str, percent: tuple[str, ...] = ()) -> None:
    """A DataFrame as a terminal table: text left, numbers right with thousands separators."""
    shown = Table(title=title, title_justify="left")
    for column in table.columns:
        numeric = pd.api.types.is_numeric_dtype(table[column])
        shown.add_column(str(column), justify="right" if numeric else "left")
    for row in table.itertuples(index=False):
        shown.add_row(*(_cell(v, c in percent) for v, c in zip(row, table.columns, strict=True)))
    out.print(shown)


def _cell(value, percent: bool) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, float):
        return f"{value:.2%}" if percent else f"{value:,.2f}"
    return str(value)
