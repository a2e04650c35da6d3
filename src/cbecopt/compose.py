"""Several models in one Pyomo model: each on its own block, linked by families of rows.

Every model builds on a block of its own (``m.<name>``; a two-stage model's scenario ``s``
on ``m.<name>.scenario[s]``), so models never share a name and several of them, the same
model twice included, live in one ``ConcreteModel``. A ``link`` hook then adds the families
that tie them together, written by label over the parts' own variable families::

    def shared_hub(model, parts):
        east, west = parts["east"].family("flow"), parts["west"].family("flow")
        used = east.sum(by="warehouse") + west.sum(by="warehouse")
        add_family(model, "hub_capacity", used[hubs] <= hub_capacity)

    composed = compose(
        [Part("warehouses", east, name="east"), Part("warehouses", west, name="west")],
        link=shared_hub,
    )
    result = composed.solve(SolveOptions(mip_rel_gap=1e-6))
    result.status, result.objective, result.tables["east.open"]
    composed.extract()["west"].tables["flows"]

The objective is the sum of the parts' objectives (each part's expected cost, mean-CVaR
where its config asks for it) plus any cost terms the hook returns. The composed model is
compiled once and solved through the one solver boundary (:mod:`cbecopt.highs`); its result
is made where every result is (:class:`~cbecopt.results.Run`), with HiGHS's own status,
bound and gap, and each part's tables read by the part's own extraction.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from cbecopt.errors import OptionError
from cbecopt.highs import CompiledModel, SolveOptions, compile_model, solve_compiled
from cbecopt.labelled import Terms, VarFamily, family_of, summed_objective
from cbecopt.limits import OutOfTime, watched
from cbecopt.methods.extensive_form import solution_tables
from cbecopt.models import check_inputs, model_spec
from cbecopt.models.spec import ModelSpec
from cbecopt.problem import OneScenario
from cbecopt.results import Result, Run, Status
from cbecopt.stochastic.twostage import ExtensiveForm, RiskOptions, add_two_stage_block

OBJECTIVE = "total_cost"
"""The composed model's objective, ``model.total_cost``: no part may take this name."""


@dataclass(frozen=True)
class Part:
    """One model of a composed model.

    Attributes
    ----------
    model : a model key of the registry (:data:`cbecopt.MODELS`).
    source : what the model reads: an instance (:func:`cbecopt.load_instance`), or for
        ``smps`` the problem :func:`~cbecopt.readers.smps.read_smps` reads.
    config : the model's own options (``None``: defaults); a two-stage model's ``risk`` is
        its part of the objective.
    name : the part's block, ``model.<name>`` (default: the model key); distinct for the same
        model twice.
    """

    model: str
    source: Any
    config: Any = None
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.model


@dataclass(frozen=True)
class BuiltPart:
    """A part built on its block of the composed model.

    ``built`` is what the model's extraction reads (a deterministic model's built object, a
    two-stage model's problem), ``form`` the part's view of the composed model (its block,
    first stage and scenarios), ``risk`` a two-stage part's risk options (``None``:
    deterministic).
    """

    name: str
    spec: ModelSpec
    built: Any
    form: ExtensiveForm
    risk: RiskOptions | None

    @property
    def block(self) -> pyo.Block:
        """The part's block, ``model.<name>``."""
        return self.form.block

    def scenario_block(self, scenario: str) -> pyo.Block:
        """A two-stage part's block of scenario ``scenario``, ``model.<name>.scenario[s]``."""
        return self.form.scenario_block(scenario)

    @property
    def scenarios(self) -> tuple[str, ...]:
        """The part's scenario names (a deterministic part: ``("base",)``, with no block)."""
        return self.form.names

    def family(self, name: str, scenario: str | None = None) -> VarFamily:
        """The part's variable family ``name`` with its labels (``flow`` keyed by warehouse,
        market and mode), of the first stage, or of scenario ``scenario``'s recourse."""
        block = self.block if scenario is None else self.scenario_block(scenario)
        return family_of(block, name)

    @property
    def objective(self) -> pyo.Objective:
        """The part's own objective on its block (deactivated in the composed model)."""
        (objective,) = self.block.component_objects(pyo.Objective, descend_into=True)
        return objective


@dataclass(frozen=True)
class PartSolution:
    """One part's share of a solution: its tables and KPIs (from the model's own extraction)
    and ``objective``, the value of its own objective."""

    tables: dict[str, pd.DataFrame]
    kpis: dict[str, Any]
    objective: float


Link = Callable[[pyo.ConcreteModel, Mapping[str, BuiltPart]], Sequence[Terms] | None]
"""``link(model, parts)`` adds the linking families to ``model`` and returns any cost terms
to add to the objective (``None``: none)."""


@dataclass
class ComposedModel:
    """Several models on their blocks of one Pyomo model (:func:`compose`), ready to solve.

    Attributes
    ----------
    model : the Pyomo model: each part on ``model.<name>``, the links, ``model.total_cost``.
    parts : the built parts by name.
    options : the options given to :func:`compose`, their budget running since it started.
    build_seconds : the time :func:`compose` took.
    stopped : where the budget stopped the build (``None``: built whole).
    """

    model: pyo.ConcreteModel
    parts: dict[str, BuiltPart]
    options: SolveOptions
    build_seconds: float
    configs: dict[str, Any]
    stopped: str | None = None
    compiled: CompiledModel | None = None
    values: np.ndarray | None = None

    def solve(self, options: SolveOptions | None = None) -> Result:
        """Compile the composed model once, solve it with HiGHS and read every part.

        ``options`` default to those given to :func:`compose`, whose budget then covers the
        build too; other options start their own budget here. The result's tables are each
        part's tables named ``<part>.<table>``; its KPIs, per part, the part's KPIs and
        ``objective`` (the value of its own objective); status, bound and gap are HiGHS's.
        """
        options = (options or self.options).begin()
        same_budget = options.budget is self.options.budget
        run = Run("compose", "+".join(self.parts), options, self.configs)
        parts = {"build": self.build_seconds} if same_budget else {}
        if self.stopped is not None:
            return run.stopped(self.stopped, parts)
        start = time.perf_counter()
        try:
            with watched(options.budget):
                self.compile()
        except OutOfTime:
            parts["handoff"] = time.perf_counter() - start
            return run.stopped("during the handoff", parts)
        outcome = solve_compiled(self.compiled, options)
        parts["handoff"] = time.perf_counter() - start - outcome.solve_seconds
        parts["solve"] = outcome.solve_seconds
        start = time.perf_counter()
        self.values = outcome.values
        tables: dict[str, pd.DataFrame] = {}
        kpis: dict[str, Any] = {}
        diagnosis: list[str] = []
        if outcome.values is not None:
            for name, solved in self.extract().items():
                tables.update({f"{name}.{t}": table for t, table in solved.tables.items()})
                kpis[name] = {"objective": solved.objective, **solved.kpis}
        elif outcome.status == Status.INFEASIBLE:
            diagnosis = [
                "the composed model has no feasible solution: solve each part alone "
                "(cbecopt.solve) to see whether a part or the links make it infeasible"
            ]
        elif outcome.status == Status.UNBOUNDED:
            diagnosis = [p.spec.unbounded for p in self.parts.values()]
        elif outcome.status == Status.NO_SOLUTION:
            diagnosis = [options.budget.no_solution_advice()]
        parts["extract"] = time.perf_counter() - start
        return run.result(
            outcome.status,
            outcome.termination,
            parts=parts,
            objective=outcome.objective,
            bound=outcome.bound,
            gap=outcome.gap,
            tables=tables,
            kpis=kpis,
            diagnosis=diagnosis,
            size={"parts": len(self.parts), **self.compiled.size()},
            solver={"name": "highs", **outcome.info},
        )

    def compile(self) -> CompiledModel:
        """The composed model compiled once, shared by every part's view."""
        if self.compiled is None:
            with PauseGC():
                self.compiled = compile_model(self.model)
            for part in self.parts.values():
                part.form.compiled = self.compiled
        return self.compiled

    def extract(self, values: np.ndarray | None = None) -> dict[str, PartSolution]:
        """Each part's tables, KPIs and objective value in a solution (default: the last
        solve's); a :class:`ValueError` when there is none."""
        values = self.values if values is None else values
        if values is None:
            raise ValueError("no solution to extract: solve() found none, or was not called")
        compiled = self.compile()
        return {
            name: PartSolution(
                *solution_tables(part.form, values, part.built, part.spec.extract, part.risk),
                _objective_value(part.objective, compiled, values),
            )
            for name, part in self.parts.items()
        }


def compose(
    parts: Sequence[Part],
    link: Link | None = None,
    seed: int | None = None,
    options: SolveOptions | None = None,
) -> ComposedModel:
    """Build ``parts`` into one Pyomo model, each on its own block, and link them.

    Each part's inputs are checked as :func:`cbecopt.solve` checks them (an ``InputError``
    names file, row and column); ``seed`` (default ``options.seed``) drives any sampling of
    demand scenarios. A two-stage part is built over all its scenarios (its extensive form
    on its block). ``link(model, parts)`` then adds the linking families and may return cost
    terms for the objective. With ``options``, their time budget starts here and covers the
    build and :meth:`ComposedModel.solve`: a build the budget stops comes back as a model
    whose solve is ``no_solution`` saying where.
    """
    options = (options or SolveOptions()).begin()
    seed = options.seed if seed is None else seed
    _check_names(parts)
    start = time.perf_counter()
    m = pyo.ConcreteModel(name=f"composed[{'+'.join(p.label for p in parts)}]")
    built: dict[str, BuiltPart] = {}
    configs = {p.label: _config_dict(p.config) for p in parts}
    try:
        with watched(options.budget), PauseGC():
            for part in parts:
                built[part.label] = _build_part(m, part, seed, options)
            extra = link(m, built) if link is not None else None
            for part in built.values():
                part.objective.deactivate()
            m.add_component(
                OBJECTIVE, summed_objective([p.objective for p in built.values()], extra or ())
            )
    except OutOfTime:
        where = "while building the model" if len(built) < len(parts) else "while linking"
        return ComposedModel(m, built, options, time.perf_counter() - start, configs, stopped=where)
    return ComposedModel(m, built, options, time.perf_counter() - start, configs)


def _build_part(m: pyo.ConcreteModel, part: Part, seed: int, options: SolveOptions) -> BuiltPart:
    """``part`` checked and built on ``m.<part.label>``."""
    spec = model_spec(part.model, part.config)
    if getattr(part.config, "sku_blocks", None) is not None:
        raise OptionError(
            f"part '{part.label}': a composed model is solved whole; SKU blocks "
            "(sku_blocks) apply to a routing model solved alone"
        )
    data = check_inputs(part.source, part.model, part.config, seed)
    problem = spec.problem(part.source, part.config, data)
    if isinstance(problem, OneScenario):
        return BuiltPart(
            part.label,
            spec,
            problem.build(model=m, name=part.label),
            OneScenario.form_of(m, part.label),
            None,
        )
    risk = getattr(part.config, "risk", None) or RiskOptions()
    scenarios = problem.scenarios()
    block = add_two_stage_block(m, problem, scenarios, risk, options.budget, part.label)
    form = ExtensiveForm(
        m,
        block.first,
        block.names,
        block.probabilities,
        block.second_cost,
        0.0,
        risk=risk,
        key=part.label,
    )
    return BuiltPart(part.label, spec, problem, form, risk)


def _check_names(parts: Sequence[Part]) -> None:
    """Each part's block name is a distinct identifier that is not the objective's."""
    if not parts:
        raise OptionError("compose needs at least one part")
    seen: set[str] = set()
    for part in parts:
        name = part.label
        if not name.isidentifier() or name.startswith("_") or name == OBJECTIVE:
            raise OptionError(
                f"part name '{name}' must be a Python identifier, not starting with '_', "
                f"and not '{OBJECTIVE}'"
            )
        if name in seen:
            raise OptionError(
                f"two parts are named '{name}': give each part of the same model its own name"
            )
        seen.add(name)


def _objective_value(objective, compiled: CompiledModel, values: np.ndarray) -> float:
    """The value of a linear objective at ``values`` (the composed model's columns)."""
    terms = objective.terms()
    columns = np.concatenate(
        [compiled.column_offset(f) + np.arange(len(f.family_keys)) for f in terms.families]
        or [np.zeros(0, np.int64)]
    )
    return terms.constant + float(np.dot(terms.coefficients, values[columns[terms.columns]]))


def _config_dict(config: Any) -> dict:
    return dataclasses.asdict(config) if config is not None else {}
