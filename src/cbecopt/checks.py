"""Checks of the numbers a caller passes to a generator or a sampler.

Each raises :class:`~cbecopt.errors.OptionError` naming the parameter, so the command line can
name its own flag for it (``--markets``) and exit with code 2 instead of a traceback or a run
that cannot finish: counts are whole numbers in a range, seeds are whole numbers >= 0, ratios
are finite and positive, and no generator writes a table longer than :data:`MAX_ROWS`.
"""

from __future__ import annotations

import math
import numbers

from cbecopt.errors import OptionError

MAX_ROWS = 5_000_000
"""The most rows a generator or sampler writes into one table: the largest benchmark case has
1.5 million; beyond a few million rows no model here builds in reasonable time or memory."""


def count(name: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as a whole number in ``[low, high]``."""
    span = f"from {low:,} to {high:,}" if high is not None else f"at least {low:,}"
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value > high)
    ):
        raise OptionError(f"must be a whole number {span}, got {value!r}", name)
    return int(value)


def seed(value: object, name: str = "seed") -> int:
    """A random seed: a whole number >= 0 (what numpy's generators accept)."""
    return count(name, value, 0)


def positive(name: str, value: object) -> float:
    """A finite number > 0 (``nan`` and ``inf`` are not)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise OptionError(f"must be a finite number > 0, got {value!r}", name)
    return float(value)


def rows(what: str, factors: dict[str, int], blame: str | None = None) -> None:
    """Refuse a table of ``prod(factors)`` rows above :data:`MAX_ROWS` before building it.

    ``factors`` maps each parameter to its count; the error names ``blame``, else the
    parameter with the largest count.
    """
    total = math.prod(factors.values())
    if total > MAX_ROWS:
        shown = " x ".join(f"{f:,}" for f in factors.values())
        raise OptionError(
            f"{what} would have {shown} = {total:,} rows, above the limit of {MAX_ROWS:,}; "
            "ask for fewer",
            blame or max(factors, key=factors.__getitem__),
        )
