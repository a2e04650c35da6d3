"""Running the command line: signals, the last word on exit codes, and leaving cleanly.

Inside :func:`run` the first SIGINT or SIGTERM asks every running solve to stop and return
what it found; the command then prints and writes that result like any other and exits with
130 (SIGINT) or 143 (SIGTERM). A second signal leaves at once: the message says so and
nothing more is written (files already written stay complete, each is written atomically).
"""

from __future__ import annotations

import os
import signal
import sys

from cbecopt.cli import EXIT_SIGNAL, instances, solving, tax  # noqa: F401  (they register commands)
from cbecopt.cli.app import app, err
from cbecopt.limits import Aborted, stop_on_signals
from cbecopt.solver import abandoned_runs


def run() -> None:
    """Run the Typer application under the stop-on-signal handlers and exit with its code."""
    code: int | str | None = 0
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
    sys.stdout.flush()
    sys.stderr.flush()
    if abandoned_runs():  # a solver thread that would not stop: do not wait for it
        os._exit(code if isinstance(code, int) else 1)
    sys.exit(code)
