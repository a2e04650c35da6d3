"""The ``cbecopt`` command: a thin layer over the public API (see :mod:`cbecopt.cli.app`)."""

from cbecopt.cli import instances, solving, tax  # noqa: F401  (they register their commands)
from cbecopt.cli.app import app


def main() -> None:
    """Entry point of the ``cbecopt`` command."""
    app()
