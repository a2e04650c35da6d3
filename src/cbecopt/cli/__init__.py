"""The ``cbecopt`` command: a thin layer over the public API (see :mod:`cbecopt.cli.app`).

:func:`main` sets up Ctrl-C and SIGTERM handling before anything heavy is imported, so a
signal at any moment ends the command with a message and an exit code, never a traceback.
"""

import signal
import sys
import time

EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit codes of a command stopped by a signal: 128 + the signal's number."""

started: float | None = None
"""When the command began (:func:`time.monotonic`): its time budget counts from here, so
start-up and loading are inside ``--time-limit``."""


def _leave_while_starting(signum, frame) -> None:
    print("stopped while starting; nothing was written", file=sys.stderr)
    raise SystemExit(EXIT_SIGNAL[signal.Signals(signum)])


def main() -> None:
    """Entry point of the ``cbecopt`` command."""
    global started
    started = time.monotonic()
    for s in EXIT_SIGNAL:
        signal.signal(s, _leave_while_starting)
    from cbecopt.cli.run import run

    run()
