"""Solution methods: how a built problem is turned into a result, chosen by ``method=``.

Each method is a module with ``solve(task, run) -> Result`` and ``APPLIES_TO`` (the model
keys it can solve, ``None``: every one): ``extensive_form`` (one model over all scenarios,
solved by HiGHS), ``warm_start`` (the same, HiGHS started from a plan rounded from the LP
relaxation), ``sku_blocks`` (routing and network by blocks of SKUs with a proven gap),
``lagrangian`` (the warehouses model's facility location by Lagrangian branch-and-bound),
``ph`` (the two-stage models by progressive hedging on mpi-sppy) and ``lshaped`` (the
two-stage models with continuous recourse by the multi-cut L-shaped method on mpi-sppy, a
master plan evaluated exactly every iteration and the master's bound: the farmer proved at
-108,390 in 5 iterations, 0.35 s; contracts_demo proved at -6,161,090.59 in 65 iterations,
62 of them LP masters, 3.7 s, where the extensive form takes 0.2 s; a generated contracts
instance of 50 scenarios in 49 iterations, 48.5 s, against 0.9 s). Further decompositions plug in here, outside the
model code. The pipeline (:func:`cbecopt.pipeline.solve`) prepares the :class:`Task` and the
:class:`~cbecopt.results.Run`; a method builds, hands off, solves and extracts within the
call's budget and ends in ``run.result(...)``, the one place a result is made.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from cbecopt.errors import OptionError

METHODS: dict[str, str] = {
    "extensive_form": "cbecopt.methods.extensive_form",
    "lagrangian": "cbecopt.methods.lagrangian",
    "lshaped": "cbecopt.methods.lshaped",
    "ph": "cbecopt.methods.progressive_hedging",
    "sku_blocks": "cbecopt.methods.sku_blocks",
    "warm_start": "cbecopt.methods.warm_start",
}
"""Method keys and their modules (imported on first use)."""
DEFAULT_METHOD = "extensive_form"


@dataclass(frozen=True)
class Task:
    """What a method solves: the problem and how the model reads and explains its solution.

    Attributes
    ----------
    problem : a :class:`~cbecopt.stochastic.twostage.TwoStageProblem`, or a deterministic
        model's :class:`~cbecopt.problem.OneScenario`.
    extract : ``extract(built, view) -> (tables, KPIs)``, ``built`` being the deterministic
        model's built object or the two-stage problem, ``view`` a
        :class:`~cbecopt.problem.SolutionView` (``None``: no model tables).
    diagnose : ``diagnose(built) -> reasons``, asked only when the problem is infeasible.
    unbounded : what can make the cost fall without limit (the unbounded diagnosis).
    config : the model's config object (``None``: defaults, or a problem without one).
    risk : mean-CVaR options of a two-stage problem (``None``: risk-neutral).
    reports : further analyses asked for (:data:`cbecopt.methods.extensive_form.REPORTS`).
    write_model : an ``.lp``/``.mps`` file to write the model to before it is solved.
    marginal_labels : how the model shows the labels of its rows in the ``marginal_values``
        table (:attr:`cbecopt.models.spec.ModelSpec.marginal_values`), ``None``: as they are.
    instance : the instance the problem was read from, for a method that splits it (the
        network's SKU blocks); ``None`` for a problem made without one.
    settings : the method's own settings (an instance of its module's ``SETTINGS`` type, from
        :func:`method_settings`); ``None``: its defaults.
    """

    problem: Any
    extract: Callable[[Any, Any], tuple[dict, dict]] | None
    diagnose: Callable[[Any], list[str]] | None
    unbounded: str
    config: Any = None
    risk: Any = None
    reports: tuple[str, ...] = ()
    write_model: Path | None = None
    marginal_labels: Callable[[Any], Any] | None = None
    instance: Any = None
    settings: Any = None


def method_module(name: str, model: str) -> ModuleType:
    """The module of method ``name``; an unknown method, or one that does not apply to
    ``model``, is an :class:`OptionError`."""
    if name not in METHODS:
        raise OptionError(f"unknown method '{name}'; available: {', '.join(METHODS)}")
    module = import_module(METHODS[name])
    if module.APPLIES_TO is not None and model not in module.APPLIES_TO:
        raise OptionError(
            f"method '{name}' applies to {' / '.join(module.APPLIES_TO)}, not {model}"
        )
    return module


def method_settings(name: str, module: ModuleType, given: Mapping[str, Any] | None) -> Any:
    """The settings of method ``name`` (its module's ``SETTINGS`` dataclass) with the values
    ``given`` (``--method-option KEY=VALUE``), each converted to its field's type; ``None``
    when none are given. A method without settings, an unknown key or a value of the wrong
    kind is an :class:`OptionError` naming the keys the method takes."""
    if not given:
        return None
    flag = "--method-option"
    kind = getattr(module, "SETTINGS", None)
    if kind is None:
        raise OptionError(f"method '{name}' takes no method options", flag)
    fields = {f.name: f for f in dataclasses.fields(kind)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise OptionError(
            f"method '{name}' has no option {', '.join(unknown)}; its options: {', '.join(fields)}",
            flag,
        )
    values = {}
    for key, value in given.items():
        wanted = type(fields[key].default)
        try:
            values[key] = _converted(value, wanted)
        except (TypeError, ValueError):
            raise OptionError(
                f"{key} of method '{name}' takes a {wanted.__name__}, got {value!r}", flag
            ) from None
    return kind(**values)


def _converted(value: Any, wanted: type) -> Any:
    """``value`` as a ``wanted`` (int, float, bool or str); a lossy conversion is an error."""
    if wanted is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(value)
    if wanted is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    if wanted in (int, float) and isinstance(value, bool | str):
        raise ValueError(value)
    return wanted(value)
