"""The model registry and the one public ``solve`` entry point.

Each model registers a build function (instance, config -> built Pyomo model), an extraction
function (solution -> tidy tables and KPIs) and a diagnosis (why it can be infeasible).
``solve`` runs the same pipeline for all: build, hand off, solve, extract, with timings.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pyomo.common.gc_manager import PauseGC

from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.formulations.contracts import (
    ContractsConfig,
    ContractsData,
    ContractsProblem,
    extract_contracts,
)
from cbecopt.formulations.routing import RoutingConfig, RoutingData, RoutingProblem, extract_routing
from cbecopt.formulations.suppliers import SuppliersConfig, build_suppliers, extract_suppliers
from cbecopt.formulations.warehouses import WarehousesConfig, build_warehouses, extract_warehouses
from cbecopt.instance import Instance
from cbecopt.results import Result, Status
from cbecopt.solver import SolveOptions, compile_model, solve_compiled


@dataclass(frozen=True)
class ModelSpec:
    """How to build, read and diagnose one model.

    A deterministic model's ``build`` returns the built Pyomo model with its data; a two-stage
    model's (``two_stage``) returns a :class:`~cbecopt.stochastic.twostage.TwoStageProblem`
    that :func:`~cbecopt.stochastic.solve.solve_two_stage` turns into an extensive form.
    ``tables`` are the instance tables the model needs.
    """

    key: str
    summary: str
    config_type: type
    build: Callable[[Instance, Any], Any]
    extract: Callable[..., tuple[dict, dict]]
    diagnose: Callable[[Any], list[str]]
    tables: tuple[str, ...] = ("nodes", "demand")
    two_stage: bool = False


def _diagnose_warehouses(built) -> list[str]:
    from cbecopt.diagnose import diagnose_warehouses

    return diagnose_warehouses(built.data, built.config)


def _build_contracts(instance: Instance, config: ContractsConfig | None) -> ContractsProblem:
    config = config or ContractsConfig()
    return ContractsProblem(ContractsData.from_instance(instance, config), instance.name)


def _diagnose_contracts(problem: ContractsProblem) -> list[str]:
    return [
        "lost sales absorb any shortfall, so only contract bounds can conflict: check that no "
        "capacity or supplier capacity is below a minimum order that the data forces"
    ]


def _diagnose_suppliers(built) -> list[str]:
    from cbecopt.diagnose import diagnose_suppliers

    return diagnose_suppliers(built.data, built.config)


def _build_routing(instance: Instance, config: RoutingConfig | None) -> RoutingProblem:
    config = config or RoutingConfig()
    return RoutingProblem(RoutingData.from_instance(instance, config), instance.name)


def _diagnose_routing(problem: RoutingProblem) -> list[str]:
    return [
        "lost sales absorb any shortfall, so the plan is infeasible only through its own data: "
        "check bonded volume capacities against stock that must be held, and lane capacities"
    ]


MODELS: dict[str, ModelSpec] = {
    "warehouses": ModelSpec(
        "warehouses",
        "shared overseas warehouse location (capacitated facility location, multi- or single-source)",
        WarehousesConfig,
        build_warehouses,
        extract_warehouses,
        _diagnose_warehouses,
        tables=("nodes", "arcs", "demand"),
    ),
    "contracts": ModelSpec(
        "contracts",
        "flexible contract quantities: firm, quantity-flexibility, options and spot "
        "(two-stage stochastic over demand scenarios)",
        ContractsConfig,
        _build_contracts,
        extract_contracts,
        _diagnose_contracts,
        tables=("nodes", "demand", "products", "contracts"),
        two_stage=True,
    ),
    "routing": ModelSpec(
        "routing",
        "bonded (1210) vs direct-mail (9610, postal) vs general-trade routing under CBEC tax rules, "
        "month by month (deterministic, or two-stage over demand scenarios)",
        RoutingConfig,
        _build_routing,
        extract_routing,
        _diagnose_routing,
        tables=("nodes", "arcs", "demand", "products"),
        two_stage=True,
    ),
    "suppliers": ModelSpec(
        "suppliers",
        "supplier selection with all-units or incremental quantity discounts, fixed costs, "
        "capacities and counterfeit risk (penalty, caps, brand-direct share, inspection)",
        SuppliersConfig,
        build_suppliers,
        extract_suppliers,
        _diagnose_suppliers,
        tables=("nodes", "demand", "products", "offers", "price_breaks"),
    ),
}
"""Models by key; the keys ``warehouses``, ``contracts``, ``routing``, ``suppliers`` are stable."""


def solve(
    instance: Instance,
    model: str = "warehouses",
    options: SolveOptions | None = None,
    config: Any = None,
    reports: Sequence[str] = (),
) -> Result:
    """Build the model for ``instance``, solve it with HiGHS, and return a :class:`Result`.

    Parameters
    ----------
    instance : from :func:`cbecopt.load_instance`.
    model : a key of :data:`MODELS`.
    options : solver options (time limit, gap, threads, seed, raw HiGHS options).
    config : the model's own options (e.g. :class:`WarehousesConfig`); ``None`` for defaults.
    reports : further analyses of a two-stage model, e.g. ``("stochastic",)`` for RP, EV,
        EEV, WS, EVPI and VSS (:func:`cbecopt.stochastic.solve.solve_two_stage`).

    The result's status is ``optimal`` only when HiGHS proved it; on a time limit the incumbent
    comes back as ``feasible`` with its bound and gap; an infeasible model comes back with a
    diagnosis.
    """
    options = (options or SolveOptions()).begin()
    if model not in MODELS:
        raise OptionError(f"unknown model '{model}'; available: {', '.join(MODELS)}")
    spec = MODELS[model]
    if config is not None and not isinstance(config, spec.config_type):
        raise OptionError(
            f"model '{model}' takes a {spec.config_type.__name__}, not {type(config).__name__}"
        )
    missing = [t for t in spec.tables if t not in instance.tables]
    if missing:
        raise InputError(
            [
                Problem(instance.source(t), f"missing: the {model} model needs this table")
                for t in missing
            ]
        )
    if spec.two_stage:
        from cbecopt.stochastic.solve import solve_two_stage

        t0 = time.perf_counter()
        problem = spec.build(instance, config)
        prepare = time.perf_counter() - t0
        blocks = getattr(config, "sku_blocks", None)
        if blocks is not None:
            from cbecopt.formulations.routing_blocks import solve_by_sku_blocks

            if reports:
                raise OptionError("reports are not available when solving by SKU blocks")
            return solve_by_sku_blocks(
                problem,
                options,
                blocks,
                config.risk,
                instance.name,
                instance.load_seconds,
                _config_dict(config),
                prepare_seconds=prepare,
            )
        return solve_two_stage(
            problem,
            options,
            getattr(config, "risk", None),
            reports=reports,
            extract=partial(spec.extract, problem),
            diagnose=partial(spec.diagnose, problem),
            model=model,
            instance=instance.name,
            load_seconds=instance.load_seconds,
            config=_config_dict(config),
            prepare_seconds=prepare,
        )
    if reports:
        raise OptionError(f"reports ({', '.join(reports)}) apply to two-stage models, not {model}")
    start = time.perf_counter()
    with (
        PauseGC()
    ):  # building a large model creates millions of objects; GC passes over them cost 2-3x
        built = spec.build(instance, config)
        t_built = time.perf_counter()
        compiled = compile_model(built.model)
        t_compiled = time.perf_counter()
    outcome = solve_compiled(compiled, options)
    t_solved = time.perf_counter()

    tables: dict = {}
    kpis: dict = {}
    diagnosis: list[str] = []
    if outcome.values is not None:
        tables, kpis = spec.extract(
            built, lambda family: outcome.values_of(compiled, family.component)
        )
    elif outcome.status == Status.INFEASIBLE:
        diagnosis = spec.diagnose(built)
    elif outcome.status == Status.UNBOUNDED:
        diagnosis = [
            "the objective can decrease without limit: check for negative costs on lanes without capacity"
        ]
    elif outcome.status == Status.NO_SOLUTION:
        diagnosis = [options.budget.no_solution_advice()]
    timings = options.budget.timings(
        {
            "build": t_built - start,
            "handoff": (t_compiled - t_built) + outcome.handoff_seconds,
            "solve": outcome.solve_seconds,
            "extract": time.perf_counter() - t_solved,
        },
        instance.load_seconds,
    )
    return Result(
        model=model,
        instance=instance.name,
        status=outcome.status,
        termination=outcome.termination,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=outcome.gap,
        timings=timings,
        tables=tables,
        kpis=kpis,
        diagnosis=diagnosis,
        size={
            "variables": compiled.n_cols,
            "integer_variables": compiled.n_integer,
            "constraints": compiled.n_rows,
            "nonzeros": compiled.nonzeros,
        },
        options={**options.as_dict(), "model": _config_dict(built.config)},
        solver={"name": "highs", **outcome.info},
    )


def _config_dict(config: Any) -> dict:
    return dataclasses.asdict(config) if config is not None else {}
