"""The generic two-stage layer every stochastic model uses.

A model states its first-stage decisions (made before the uncertainty resolves) and, per
scenario, its second-stage decisions (the recourse). The layer builds the extensive form
over any set of scenarios with any probabilities, so the same model gives the recourse
problem (RP), the expected-value problem (EV), wait-and-see solutions (WS) and sample
average approximations (SAA). ``scenario_creator`` builds one scenario as a standalone model
in the convention of mpi-sppy, so a model can be handed to that engine unchanged.

Layout (:func:`add_two_stage_block`): a model builds on its own block ``m.<key>`` (``key``
the problem's model key, or the name of a part of a composed model, :mod:`cbecopt.compose`):
the first stage on ``m.<key>``, scenario ``s``'s recourse on ``m.<key>.scenario[s]``
(:meth:`ExtensiveForm.scenario_block`), the CVaR variables and rows and the objective
``expected_cost`` on ``m.<key>``. So several models live in one ``ConcreteModel`` with no
name in common, and a name says which model it belongs to.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from cbecopt.errors import OptionError
from cbecopt.families import cvar
from cbecopt.highs import CompiledModel, SolveOptions, SolverOutcome, compile_model, solve_compiled
from cbecopt.labelled import Terms, VarFamily, linear_objective, terms_expression
from cbecopt.limits import Budget, OutOfTime, check
from cbecopt.results import Status


@dataclass(frozen=True)
class RiskOptions:
    """How much the objective weighs the bad tail of the cost distribution.

    The objective is ``(1 - weight) E[cost] + weight CVaR_alpha(cost)``: ``weight = 0`` is
    risk-neutral, ``weight = 1`` minimises the mean of the worst ``1 - alpha`` of outcomes.
    """

    weight: float = 0.0
    alpha: float = 0.95

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise OptionError(f"risk weight must be in [0, 1], got {self.weight}")
        if not 0.0 < self.alpha < 1.0:
            raise OptionError(f"CVaR alpha must be in (0, 1), got {self.alpha}")


@dataclass(frozen=True)
class FirstStage:
    """The first-stage decisions: the variable families and their cost."""

    families: tuple[VarFamily, ...]
    cost: tuple[Terms, ...]


class TwoStageProblem(Protocol):
    """What a two-stage model provides to the layer.

    ``scenario`` objects are whatever the model needs to build one scenario's recourse
    (typically its demand); the layer only passes them through. ``key`` is the model's key
    (``contracts``): the name of the block the model builds on; ``name`` names the model built
    (``contracts[demo]``).
    """

    key: str
    name: str

    def scenarios(self) -> list[tuple[str, float, Any]]:
        """(name, probability, data) of every scenario."""

    def expected_scenario(self) -> Any:
        """The data of the expected-value scenario (random parameters at their means)."""

    def build_first_stage(self, m: pyo.Block) -> FirstStage:
        """Add the first-stage variables and constraints to ``m``."""

    def build_second_stage(
        self, block: pyo.Block, scenario: Any, first: FirstStage
    ) -> tuple[Terms, ...]:
        """Add one scenario's recourse to ``block``; return its cost terms."""


class DemandScenarios:
    """The scenario methods of a model whose ``data`` holds ``scenario_names``,
    ``probabilities`` and a ``demand`` array with scenarios on its first axis, and can be
    rebuilt over other scenarios with ``data.with_scenarios(names, probabilities, demand)``.
    Mixed into frozen dataclasses with a ``data`` field."""

    def scenarios(self) -> list[tuple[str, float, np.ndarray]]:
        d = self.data
        return [
            (n, float(p), d.demand[s])
            for s, (n, p) in enumerate(zip(d.scenario_names, d.probabilities, strict=True))
        ]

    def expected_scenario(self) -> np.ndarray:
        """The probability-weighted demand, over the first (scenario) axis of ``demand``
        whatever the axes after it (items, or markets x SKUs x months)."""
        return np.tensordot(self.data.probabilities, self.data.demand, axes=1)

    def with_scenarios(self, scenarios: Sequence[tuple[str, float, np.ndarray]]):
        """The same model over other demand scenarios (for sampling)."""
        data = self.data.with_scenarios(
            [s[0] for s in scenarios], [s[1] for s in scenarios], [s[2] for s in scenarios]
        )
        return dataclasses.replace(self, data=data)


@dataclass(frozen=True)
class TwoStageBlock:
    """A two-stage model on its block: the first stage on ``block``, scenario ``s``'s recourse
    on ``block.scenario[s]``, the CVaR (if any) and the objective ``expected_cost`` on
    ``block``."""

    block: pyo.Block
    first: FirstStage
    names: tuple[str, ...]
    probabilities: np.ndarray
    second_cost: list[tuple[Terms, ...]]


@dataclass
class ExtensiveForm:
    """The deterministic equivalent over a set of scenarios, ready to compile and solve.

    ``key`` names the model's block ``model.<key>`` (``None``: a model built at the top level
    of ``model``); a two-stage model's scenario blocks are ``model.<key>.scenario[s]``
    (:meth:`scenario_block`). In a composed model (:mod:`cbecopt.compose`) each part has its
    form, all on the one ``model`` and sharing its one compiled model.
    """

    model: pyo.ConcreteModel
    first: FirstStage
    names: tuple[str, ...]
    probabilities: np.ndarray
    second_cost: list[tuple[Terms, ...]]
    build_seconds: float
    compiled: CompiledModel | None = None
    risk: RiskOptions = field(default_factory=lambda: RiskOptions())
    key: str | None = None

    @property
    def block(self) -> pyo.Block:
        """The model's own block, ``model.<key>``."""
        return self.model if self.key is None else self.model.component(self.key)

    def scenario_block(self, name: str) -> pyo.Block:
        """The block of scenario ``name``'s recourse, ``model.<key>.scenario[name]``; a
        deterministic model (no recourse) has none: a ``KeyError``."""
        scenarios = self.block.component("scenario")
        if scenarios is None or name not in scenarios:
            raise KeyError(f"{self.key or 'the model'} has no scenario block {name!r}")
        return scenarios[name]

    def compile(self) -> CompiledModel:
        if self.compiled is None:
            with PauseGC():
                self.compiled = compile_model(self.model)
        return self.compiled

    def first_stage_columns(self) -> np.ndarray:
        """Columns of every first-stage variable, in family order."""
        compiled = self.compile()
        return np.concatenate(
            [compiled.column_offset(f.component) + np.arange(len(f)) for f in self.first.families]
        )

    def scenario_costs(self, values: np.ndarray) -> np.ndarray:
        """Total cost (first stage + recourse) of each scenario under a solution."""
        compiled = self.compile()
        first = _terms_value(self.first.cost, compiled, values)
        return np.array([first + _terms_value(cost, compiled, values) for cost in self.second_cost])

    def values_of(self, values: np.ndarray, var: pyo.Var | VarFamily) -> np.ndarray:
        """The entries of one variable (or family) in a solution vector, in key order."""
        var = getattr(var, "component", var)
        start = self.compile().column_offset(var)
        return values[start : start + len(var)]

    def first_stage_cost(self, values: np.ndarray) -> float:
        return _terms_value(self.first.cost, self.compile(), values)


def _terms_value(parts: Sequence[Terms], compiled: CompiledModel, values: np.ndarray) -> float:
    total = 0.0
    for part in parts:
        columns = compiled.column_offset(part.family.component) + part.position
        total += float(np.dot(part.coef, values[columns]))
    return total


def build_extensive_form(
    problem: TwoStageProblem,
    scenarios: Sequence[tuple[str, float, Any]],
    risk: RiskOptions | None = None,
    budget: Budget | None = None,
) -> ExtensiveForm:
    """Build the extensive form over ``scenarios`` ((name, probability, data) triples): a
    model whose one block ``m.<problem.key>`` holds the two-stage model
    (:func:`add_two_stage_block`).

    With a ``budget``, the build stops with :class:`~cbecopt.limits.OutOfTime` as soon as it
    has expired (checked before each scenario), so a large build cannot outlast the limit.
    """
    risk = risk or RiskOptions()
    start = time.perf_counter()
    with PauseGC():
        m = pyo.ConcreteModel(name=f"extensive_form[{problem.name}]")
        built = add_two_stage_block(m, problem, scenarios, risk, budget)
    return ExtensiveForm(
        m,
        built.first,
        built.names,
        built.probabilities,
        built.second_cost,
        time.perf_counter() - start,
        risk=risk,
        key=problem.key,
    )


def add_two_stage_block(
    parent: pyo.Block,
    problem: TwoStageProblem,
    scenarios: Sequence[tuple[str, float, Any]],
    risk: RiskOptions | None = None,
    budget: Budget | None = None,
    name: str | None = None,
) -> TwoStageBlock:
    """Add ``problem`` over ``scenarios`` to ``parent`` on its own block ``parent.<name>``
    (default ``problem.key``): first stage on the block, each scenario's recourse on
    ``block.scenario[s]``, and the objective ``block.expected_cost``, the expected cost of
    first stage plus recourse.

    With ``risk.weight`` λ > 0 the objective is the mean-CVaR blend
    (1 - λ) E[cost] + λ CVaR_α(cost), with CVaR written as Rockafellar and Uryasev's
    linear program on the block: η + 1/(1 - α) Σ_s p_s u_s, u_s ≥ cost_s - η, u_s ≥ 0.
    With a ``budget``, the build stops with :class:`~cbecopt.limits.OutOfTime` once it has
    expired (checked before each scenario).
    """
    risk = risk or RiskOptions()
    risk_weight, alpha = risk.weight, risk.alpha
    names = tuple(s[0] for s in scenarios)
    probabilities = np.array([s[1] for s in scenarios], dtype=float)
    b = pyo.Block()
    parent.add_component(name or problem.key, b)
    first = problem.build_first_stage(b)
    b.SCENARIOS = pyo.Set(initialize=names, ordered=True)
    b.scenario = pyo.Block(b.SCENARIOS)
    second_cost = []
    for scenario, _, data in scenarios:
        check(budget)
        second_cost.append(tuple(problem.build_second_stage(b.scenario[scenario], data, first)))
    expected = 1.0 - risk_weight
    parts = [_scaled(p, expected) for p in first.cost]
    for probability, cost in zip(probabilities, second_cost, strict=True):
        parts.extend(_scaled(p, expected * probability) for p in cost)
    if risk_weight > 0:
        costs = [(*first.cost, *cost) for cost in second_cost]
        parts.extend(cvar(b, costs, probabilities, risk_weight, alpha))
    b.expected_cost = linear_objective([p for p in parts if len(p.coef)])
    return TwoStageBlock(b, first, names, probabilities, second_cost)


def _scaled(part: Terms, factor: float) -> Terms:
    return Terms(part.family, part.row, part.position, part.coef * factor)


@dataclass
class StageSolution:
    """An extensive-form solve: the outcome and what it says per scenario (``form`` is ``None``
    when the budget ran out before the model was built)."""

    form: ExtensiveForm | None
    outcome: SolverOutcome
    handoff_seconds: float

    @property
    def first_stage(self) -> np.ndarray | None:
        if self.outcome.values is None:
            return None
        return self.outcome.values[self.form.first_stage_columns()]

    def scenario_costs(self) -> np.ndarray | None:
        if self.outcome.values is None:
            return None
        return self.form.scenario_costs(self.outcome.values)


def solve_extensive_form(
    form: ExtensiveForm,
    options: SolveOptions,
    fixed_first_stage: np.ndarray | None = None,
    deadline: float | None = None,
    relax: bool = False,
) -> StageSolution:
    """Solve ``form``; with ``fixed_first_stage``, the first-stage decisions are held at those values.

    ``relax`` solves the LP relaxation instead (a lower bound).
    """
    start = time.perf_counter()
    compiled = form.compile()
    fixed = None
    if fixed_first_stage is not None:
        fixed = (form.first_stage_columns(), np.asarray(fixed_first_stage, dtype=float))
    outcome = solve_compiled(compiled, options, deadline, fixed_columns=fixed, relax=relax)
    return StageSolution(form, outcome, time.perf_counter() - start - outcome.solve_seconds)


def solve_scenarios(
    problem: TwoStageProblem,
    scenarios: Sequence[tuple[str, float, Any]],
    options: SolveOptions,
    risk: RiskOptions | None = None,
    deadline: float | None = None,
) -> StageSolution:
    """Build and solve the extensive form over ``scenarios`` within the budget; a build the
    budget cuts short comes back as a solution without values (``no_solution``, no form)."""
    options = options.begin()
    start = time.perf_counter()
    try:
        form = build_extensive_form(problem, scenarios, risk, budget=options.budget)
    except OutOfTime as stopped:
        outcome = SolverOutcome(
            Status.NO_SOLUTION,
            f"{stopped} while building the model",
            None,
            None,
            None,
            None,
            0.0,
            0.0,
            {},
        )
        return StageSolution(None, outcome, time.perf_counter() - start)
    return solve_extensive_form(form, options, None, deadline)


def scenario_creator(problem: TwoStageProblem, name: str) -> pyo.ConcreteModel:
    """One scenario as a standalone model, in mpi-sppy's ``scenario_creator`` convention.

    The layout of the extensive form with one scenario: the first stage on ``m.<key>``, this
    scenario's recourse on ``m.<key>.scenario[name]``; the objective ``m.<key>.total_cost``,
    first-stage cost + recourse cost, and ``_mpisppy_probability``; when mpi-sppy is
    installed the ROOT node is attached with the first-stage variables as non-anticipative.
    """
    lookup = {s[0]: s for s in problem.scenarios()}
    _, probability, data = lookup[name]
    m = pyo.ConcreteModel(name=name)
    b = pyo.Block()
    m.add_component(problem.key, b)
    first = problem.build_first_stage(b)
    b.SCENARIOS = pyo.Set(initialize=[name], ordered=True)
    b.scenario = pyo.Block(b.SCENARIOS)
    cost = problem.build_second_stage(b.scenario[name], data, first)
    b.total_cost = linear_objective([*first.cost, *cost])
    b.first_stage_cost = pyo.Expression(expr=terms_expression(first.cost))
    m._mpisppy_probability = probability
    try:
        from mpisppy import scenario_tree
    except ImportError:  # pip install 'cbecopt[scale]'
        return m
    nonants = [f.component for f in first.families]
    m._mpisppy_node_list = [
        scenario_tree.ScenarioNode("ROOT", 1.0, 1, b.first_stage_cost, nonants, m)
    ]
    return m
