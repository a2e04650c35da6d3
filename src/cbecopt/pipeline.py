"""The one pipeline: every solve of every model goes through :func:`solve`.

budget (started on the call's first line) -> check the inputs (the model's own check step,
demand sampled from the ``scenarios`` stream of the seed tree) -> the model's problem
(:mod:`cbecopt.problem`) -> a method (:mod:`cbecopt.methods`: extensive form, SKU blocks)
builds, hands off, solves and extracts within the budget -> one :class:`~cbecopt.results.Result`,
made in one place (:meth:`cbecopt.results.Run.result`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.methods import DEFAULT_METHOD, Task, method_module, method_settings
from cbecopt.models import MODELS, check_inputs, model_spec
from cbecopt.months import label_months
from cbecopt.results import Result, Run


def solve(
    instance: Instance,
    model: str = "warehouses",
    options: SolveOptions | None = None,
    config: Any = None,
    reports: Sequence[str] = (),
    write_model: str | Path | None = None,
    method: str | None = None,
    method_options: Mapping[str, Any] | None = None,
) -> Result:
    """Build the model for ``instance``, solve it with HiGHS, and return a :class:`Result`.

    Parameters
    ----------
    instance : from :func:`cbecopt.load_instance`.
    model : a key of :data:`~cbecopt.models.MODELS`.
    options : solver options (time limit, gap, threads, seed, raw HiGHS options).
    config : the model's own options (e.g. :class:`WarehousesConfig`); ``None`` for defaults.
    reports : further analyses of a two-stage model, e.g. ``("stochastic",)`` for RP, EV,
        EEV, WS, EVPI and VSS.
    write_model : an ``.lp`` or ``.mps`` file to write the model to, through Pyomo's writer,
        before it is solved (a two-stage model's extensive form; :func:`cbecopt.highs.write_model`).
    method : how to solve, a key of :data:`cbecopt.methods.METHODS`: ``extensive_form`` (the
        default) or ``sku_blocks`` (routing, block size from ``RoutingConfig.sku_blocks``;
        a config with ``sku_blocks`` set chooses it when ``method`` is not given).
    method_options : the method's own settings by name (e.g. ``{"rho_factor": 0.5}`` for
        ``ph``; :func:`cbecopt.methods.method_settings` says which a method takes).

    The time limit counts from this call's first line and covers everything: checks, build,
    handoff, solve, extraction and reports. The inputs are checked first
    (:func:`~cbecopt.models.check_inputs`: an ``InputError`` lists every problem);
    ``result.warnings`` names what the instance holds that the model does not read, and what
    the model's checks found questionable but usable. The
    result's status is ``optimal`` only when HiGHS proved it; on a time limit the incumbent
    comes back as ``feasible`` with its bound and gap, or ``no_solution`` saying where the
    budget ran out (a build too is stopped between families); an infeasible model comes back
    with a diagnosis.
    """
    options = (options or SolveOptions()).begin()
    run = Run(model, instance.name, options, _config_dict(config), instance.load_seconds)
    if options.budget.expired():  # a step of a loop the budget no longer reaches
        return run.stopped("before this solve started")
    start = time.perf_counter()
    spec = model_spec(model, config)
    if options.marginal_values and spec.marginal_values is None:
        offered = [key for key, s in MODELS.items() if s.marginal_values is not None]
        raise OptionError(
            f"marginal values are reported by the {' and '.join(offered)} models, not {model}"
        )
    chosen_method = _method(method, config, spec.method)
    chosen = method_module(chosen_method, model)
    run.settings["method"] = chosen_method
    settings = method_settings(chosen_method, chosen, method_options)
    if method_options:
        run.settings["method_options"] = dict(method_options)
    data = check_inputs(instance, model, config, options.seed)
    run.warnings = spec.warnings(instance, data)
    run.config = _config_dict(_resolved(config or spec.config_type(), instance))
    task = Task(
        spec.problem(instance, config, data),
        spec.extract,
        spec.diagnose,
        spec.unbounded,
        config,
        getattr(config, "risk", None),
        tuple(reports),
        None if write_model is None else Path(write_model),
        spec.marginal_values,
        instance,
        settings,
    )
    run.parts["prepare"] = time.perf_counter() - start
    if options.budget.expired():
        return run.stopped("while the data was prepared")
    return in_calendar(chosen.solve(task, run), getattr(instance, "first_month", None))


def in_calendar(result: Result, first_month: str | None) -> Result:
    """``result`` with the months of its tables as calendar months when the instance writes
    its months so (``first_month``; unchanged otherwise)."""
    if first_month is not None:
        result.tables = {name: label_months(t, first_month) for name, t in result.tables.items()}
    return result


def _method(method: str | None, config: Any, default: str = DEFAULT_METHOD) -> str:
    """The method asked for: ``method``, else SKU blocks when the config sets a block size
    (``--sku-blocks``), else the model's own (``default``); a block size with another method
    is refused."""
    blocks = getattr(config, "sku_blocks", None)
    if method is None:
        return "sku_blocks" if blocks is not None else default
    if blocks is not None and method != "sku_blocks":
        raise OptionError(
            f"a SKU block size (sku_blocks={blocks}) asks for method sku_blocks, not {method}"
        )
    return method


def _resolved(config: Any, instance: Instance) -> Any:
    """The config with what it leaves open filled from the instance's settings, where the
    model reads settings (``WarehousesConfig.resolved``), for the result's options."""
    resolve = getattr(config, "resolved", None)
    return config if resolve is None else resolve(instance)


def _config_dict(config: Any) -> dict:
    return dataclasses.asdict(config) if config is not None else {}
