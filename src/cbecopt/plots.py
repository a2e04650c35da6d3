"""Charts as PNG files: a figure on the non-interactive backend, written atomically."""

from __future__ import annotations

from pathlib import Path

from cbecopt.atomic import atomic_file


def figure(columns: int = 1, size: tuple[float, float] = (6.4, 4.4)):
    """A matplotlib figure and its axes, drawn off-screen (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(1, columns, figsize=size, dpi=120)


def save_png(fig, target: str | Path) -> Path:
    """Write ``fig`` to ``target`` as a PNG (temporary file, then rename) and close it."""
    import matplotlib.pyplot as plt

    target = Path(target)
    fig.tight_layout()
    with atomic_file(target) as staging:
        fig.savefig(staging, format="png")
    plt.close(fig)
    return target
