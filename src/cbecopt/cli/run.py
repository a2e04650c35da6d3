"""Running the command line: signals, the last word on exit codes, and leaving cleanly.

Inside :func:`run` the first SIGINT or SIGTERM asks every running solve to stop and return
what it found; the command then prints and writes that result like any other and exits with
130 (SIGINT) or 143 (SIGTERM). A second signal leaves at once: the message says so and
nothing more is written (files already written stay complete, each is written atomically).
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from cbecopt.cli import (  # noqa: F401  (they register commands)
    EXIT_SIGNAL,
    comparing,
    instances,
    planning,
    solving,
    tax,
    whatif,
)
from cbecopt.cli.app import app, err
from cbecopt.cli.output import discard_unused
from cbecopt.limits import Aborted, stop_on_signals
from cbecopt.report import labelled


class _Warnings(logging.Handler):
    """The package's warnings (e.g. probabilities that do not sum to 1) as ``warning:`` lines
    on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        err.print(labelled("warning:", "yellow", record.getMessage()))


def run() -> None:
    """Run the Typer application under the stop-on-signal handlers and exit with its code."""
    code: int | str | None = 0
    logging.getLogger("cbecopt").addHandler(_Warnings())
    with stop_on_signals():
        try:
            app()
        except SystemExit as done:
            code = done.code
        except Aborted as aborted:
            err.print(f"aborted by a second {aborted.reason}; nothing more was written")
            code = EXIT_SIGNAL[signal.Signals[aborted.reason]]
        except KeyboardInterrupt:  # a Ctrl-C that reached Python outside the handlers
            err.print("aborted; nothing more was written")
            code = EXIT_SIGNAL[signal.SIGINT]
    discard_unused()  # os._exit below skips atexit
    if isinstance(code, str):  # SystemExit with a message: print it like Python would
        err.print(code)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    # Leave without tearing the interpreter down: every file is written and closed by now,
    # and freeing a large model's millions of objects (or waiting for a solver thread that
    # would not stop, see highs.abandoned_runs) only delays the exit.
    os._exit(0 if code is None else code)
