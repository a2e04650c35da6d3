"""Strategy comparisons: the same instance solved under different policies, side by side.

Each model's comparisons (``models/<key>/policies.py``, registered as
``ModelSpec.comparisons``; the command line's ``cbecopt compare`` loops over them) return one
tidy row per policy, so the value of a remedy is a difference between two rows of
numbers that were all solved the same way. Each first runs the model's check step
(:func:`cbecopt.models.check_inputs`, with every channel open for routing), so bad input is an
``InputError`` listing every problem before anything is solved. The policies share the call's
time budget, each an equal share of what is left (time a policy does not use passes on); a
policy the budget does not reach is reported with status ``no_solution``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models import check_inputs
from cbecopt.results import Result

log = logging.getLogger(__name__)


def solve_policies(
    instance: Instance,
    model: str,
    configs: Mapping[str, Any],
    checked: Any,
    options: SolveOptions | None = None,
) -> list[tuple[str, Result]]:
    """Check ``instance`` once for ``model`` with the config ``checked`` (the one every policy
    narrows), then solve it under each config of ``configs``: each policy's name and result."""
    from cbecopt.batch import solve_each

    options = (options or SolveOptions()).begin()
    check_inputs(instance, model, checked, options.seed)
    jobs = {name: (instance, config) for name, config in configs.items()}
    return list(solve_each(f"compare-{model}", jobs, model, options).items())


def announced(command: str, items: Mapping, options: SolveOptions) -> Iterator[tuple]:
    """Each (name, value, options) of ``items``, logging which step of how many it is; the
    options carry the step's equal share of what is left of the budget."""
    for i, (name, value) in enumerate(items.items(), start=1):
        log.info("%s: %s (%d/%d)", command, name, i, len(items))
        yield name, value, options.until(options.budget.share(len(items) - i + 1))


def overall_status(statuses: pd.Series) -> str:
    """One status for a table of solves: ``optimal`` when every one was proved, ``feasible``
    when every one has a solution, else the first status without one."""
    values = list(statuses)
    if all(v == "optimal" for v in values):
        return "optimal"
    lacking = [v for v in values if v not in ("optimal", "feasible")]
    return lacking[0] if lacking else "feasible"
