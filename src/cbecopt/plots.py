"""Charts as PNG files: a figure on the non-interactive backend, written atomically."""

from __future__ import annotations

import threading
from pathlib import Path

from cbecopt.outputs import atomic_file


def preload() -> None:
    """Start importing matplotlib in the background (it takes a second or two).

    A command that will draw a chart calls this first: the import then runs while the
    instance loads and HiGHS solves (HiGHS releases the interpreter while it works), instead
    of after the computation, where it would push the command past its time limit.
    """
    threading.Thread(target=_import_pyplot, name="preload-matplotlib", daemon=True).start()


def _import_pyplot() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401


def figure(columns: int = 1, size: tuple[float, float] = (6.4, 4.4)):
    """A matplotlib figure and its axes, drawn off-screen (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, columns, figsize=size, dpi=120)


def save_png(fig, target: str | Path) -> Path:
    """Write ``fig`` to ``target`` as a PNG and close it.

    Written as every output is (:func:`cbecopt.outputs.atomic_file`): to a temporary beside
    ``target`` with the user's umask, synced, then renamed; a failure leaves no temporary.
    Inside a command's output folder the PNG is one of the result's files, under its manifest.
    """
    import matplotlib.pyplot as plt

    fig.tight_layout()
    try:
        return atomic_file(target, lambda path: fig.savefig(path, format="png"))
    finally:
        plt.close(fig)
