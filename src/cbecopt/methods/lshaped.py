"""The L-shaped method (Van Slyke and Wets 1969; multi-cut, Birge and Louveaux 1988) on
mpi-sppy, for the two-stage models whose recourse is continuous.

mpi-sppy's :class:`mpisppy.opt.lshaped.LShapedMethod` makes the master (the first stage and
one ``eta`` per scenario) and one subproblem per scenario (its recourse, the first stage held
at the master's plan by equality rows whose duals give the optimality cuts; the rows that
touch the first stage are made elastic, so a plan without feasible recourse gets a
feasibility cut instead). The master is solved by HiGHS through ``appsi_highs`` (a MIP when
the first stage has integers), the subproblems through Pyomo's ``highs`` (the only HiGHS
interface whose duals mpi-sppy's cut generator reads: an ``appsi_highs`` solver has no
``name`` and its dual sign convention is not registered). It runs as one process, one rank
(under ``mpiexec`` it refuses: the master, its cuts and the evaluations assume one).

Three departures from mpi-sppy's own ``lshaped_algorithm``:

- it has no time limit and solves the master unbounded in time, so this module drives its
  pieces iteration by iteration (``create_root``, ``LShapedCutGenerator.add_subproblem`` and
  ``generate_cut``): the budget is checked before each scenario model is built, each
  scenario's own LP, each master and each round of subproblems, and every HiGHS solve gets
  the time left as its ``time_limit``. A stop request (Ctrl-C, SIGTERM) ends the call with
  the incumbent; a solve under way runs to its own limit.
- its bound on each ``eta_s`` minimises the recourse over the first stage too, which is
  unbounded where more first stage buys cheaper recourse without limit (contracts). Instead
  each scenario's LP relaxation is solved alone, ``WS_s``, and the cut
  ``eta_s >= p_s (WS_s - c x)`` (its recourse costs at least its own optimum less the first
  stage's cost) bounds the first master.
- with integer first-stage variables the master's LP relaxation is iterated first until no
  cut is violated (:attr:`LShapedSettings.lp_phase`), then the MIP master goes on with those
  cuts: on contracts_demo 62 LP masters and 3 MIP masters instead of 63 MIP masters.

Two things adapt cbecopt's scenario models (:func:`cbecopt.stochastic.twostage.
scenario_creator`) to what mpi-sppy's L-shaped code expects, on its copies only: the
objective is moved to the top of the model (mpi-sppy deletes and replaces it there, and
would otherwise leave two active objectives), and the rows of linear families are remade as
ordinary constraints (mpi-sppy deletes the rows it moves between master and subproblems one
by one, which a :class:`~cbecopt.linear.LinearFamily` does not allow). That costs a Python
expression per row, and every solve goes through Pyomo's handoff: fine for small scenarios,
slow for large ones (network_demo's did not reach a first master in 60 s).

What the call reports is proved, as with ``ph``:

- **incumbent**: every master's plan (an LP master's with its integers rounded) is evaluated
  exactly on every scenario by fixing the first-stage columns in cbecopt's extensive form
  (:class:`~cbecopt.methods.progressive_hedging.PlanEvaluator`, which counts a plan that
  breaks a row of first-stage columns only as infeasible); the best is kept, and the
  result's tables and KPIs are the extensive form's extraction of it.
- **bound**: the master's objective, a relaxation of the problem by the cuts so far; when the
  master is a MIP stopped early, its proven MIP bound. The best over the iterations is kept.

The status is ``optimal`` only when the gap between them is within ``mip_rel_gap``, else
``feasible`` (``no_solution`` when no plan was evaluated). Integer recourse has no
L-shaped cuts: such a problem is refused, pointing to ``ph`` or the extensive form.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from cbecopt.errors import OptionError
from cbecopt.limits import OutOfTime, watched
from cbecopt.linear import LinearFamily
from cbecopt.methods import Task
from cbecopt.methods.progressive_hedging import (
    PlanSearch,
    _finite,
    _refuse_unsupported,
    highs_options,
    mpisppy_module,
    quiet,
    solve_by_plans,
)
from cbecopt.results import Result, Run
from cbecopt.stochastic.twostage import ExtensiveForm, scenario_creator

APPLIES_TO = ("contracts", "routing", "network", "smps")
"""The two-stage models (those with continuous recourse; the others are refused)."""
MASTER_SOLVER = "appsi_highs"
"""The master's solver name in Pyomo."""
SUBPROBLEM_SOLVER = "highs"
"""The subproblems' solver name in Pyomo (mpi-sppy's cut generator reads its duals)."""

DEADLINE_SLACK = 1.0
"""Seconds: a subproblem that fails with no more than this left is taken as stopped by the
time limit."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LShapedSettings:
    """How the L-shaped method runs.

    Parameters
    ----------
    max_iterations : master solves at most.
    lp_phase : with integer first-stage variables, solve the master's LP relaxation until no
        cut is violated before the MIP master (its cuts and bound are valid for the MIP and
        cost an LP each; each LP plan is evaluated with its integers rounded).
    cut_tolerance : a scenario's cut is added when its recourse exceeds its ``eta`` by more
        than this (mpi-sppy's ``tol``; the relative gap usually ends the run first).
    """

    max_iterations: int = 200
    lp_phase: bool = True
    cut_tolerance: float = 1e-6

    def __post_init__(self) -> None:
        if self.max_iterations < 1:
            raise OptionError("L-shaped max_iterations must be at least 1")
        if not self.cut_tolerance >= 0:
            raise OptionError("L-shaped cut_tolerance must not be negative")


SETTINGS = LShapedSettings
"""The settings ``--method-option KEY=VALUE`` sets (:func:`cbecopt.methods.method_settings`)."""


def solve(task: Task, run: Run, settings: LShapedSettings | None = None) -> Result:
    """The L-shaped method on ``task.problem`` within the call's budget; see the module."""
    settings = settings or task.settings or LShapedSettings()
    _refuse_unsupported(task, run, "lshaped")
    problem = task.problem
    mpisppy_module("mpisppy.opt.lshaped", "lshaped")  # its import prints: kept off the output
    try:
        with watched(run.options.budget):
            first_scenario = scenario_creator(problem, problem.scenarios()[0][0])
    except OutOfTime:
        return run.stopped("while building the model")
    _refuse_integer_recourse(first_scenario)
    run.settings["lshaped"] = {
        "max_iterations": settings.max_iterations,
        "cut_tolerance": settings.cut_tolerance,
        "lp_phase": settings.lp_phase,
        "master_solver": MASTER_SOLVER,
        "subproblem_solver": SUBPROBLEM_SOLVER,
    }
    return solve_by_plans(
        task,
        run,
        "lshaped",
        lambda form, best: _LShapedRun(problem, form, settings, run.options, best),
        {
            "name": "highs",
            "interface": f"{MASTER_SOLVER} (master), {SUBPROBLEM_SOLVER} (subproblems)",
            "engine": "mpi-sppy L-shaped",
        },
    )


def _refuse_integer_recourse(scenario: pyo.ConcreteModel) -> None:
    """An :class:`OptionError` when a second-stage variable of ``scenario`` (a scenario model
    in mpi-sppy's convention; every scenario of a model has the same variables) is integer."""
    first = {id(v) for v in scenario._mpisppy_node_list[0].nonant_vardata_list}
    integer = [
        v.name
        for v in scenario.component_data_objects(pyo.Var, descend_into=True)
        if id(v) not in first and (v.is_integer() or v.is_binary())
    ]
    if integer:
        shown = ", ".join(integer[:3]) + (
            f" and {len(integer) - 3} more" if len(integer) > 3 else ""
        )
        raise OptionError(
            f"method lshaped needs continuous recourse and this problem has integer "
            f"second-stage variables ({shown}): use --method ph, or --method extensive_form "
            "(the whole model solved by HiGHS)"
        )


def lshaped_scenario(problem, name: str) -> pyo.ConcreteModel:
    """Scenario ``name``'s model as mpi-sppy's L-shaped code expects it: cbecopt's
    :func:`~cbecopt.stochastic.twostage.scenario_creator` model with its objective at the top
    of the model and the rows of its linear families remade as ordinary constraints."""
    m = scenario_creator(problem, name)
    block = m.component(problem.key)
    objective = block.total_cost
    block.del_component(objective)
    m.add_component("total_cost", objective)
    for family in list(m.component_objects(pyo.Constraint, descend_into=True)):
        if not isinstance(family, LinearFamily):
            continue
        owner, local = family.parent_block(), family.local_name
        rows = [family.row_expression(r) for r in range(len(family))]
        owner.del_component(family)
        owner.add_component(
            local,
            pyo.Constraint(range(len(rows)), rule=lambda _, r, rows=rows: rows[r], doc=family.doc),
        )
    return m


class _LShapedRun(PlanSearch):
    """One L-shaped run: mpi-sppy's pieces driven iteration by iteration."""

    what = "the L-shaped method"

    def __init__(self, problem, form: ExtensiveForm, settings: LShapedSettings, options, best):
        super().__init__(problem, form, settings, options, best)
        self.cuts = 0
        self.lp_iterations = 0

    def kpis(self) -> dict[str, Any]:
        return {
            "lshaped_iterations": self.iterations,
            "lshaped_cuts": self.cuts,
            "lshaped_lp_iterations": self.lp_iterations,
            "lshaped_plans_evaluated": len(self.best.evaluated),
            "lshaped_incumbent_from": self.best.source,
        }

    def _search(self) -> str:
        lshaped = mpisppy_module("mpisppy.opt.lshaped", "lshaped")
        cuts = mpisppy_module("mpisppy.utils.lshaped_cuts", "lshaped")
        with quiet():
            return self._run(lshaped, cuts)

    def _run(self, lshaped, cuts) -> str:
        def creator(name: str) -> pyo.ConcreteModel:
            with watched(self.budget):  # the scenario models are built within the budget too
                return lshaped_scenario(self.problem, name)

        sp_options = highs_options(self.options)
        ls_options = {
            "root_solver": MASTER_SOLVER,
            "sp_solver": SUBPROBLEM_SOLVER,
            "sp_solver_options": sp_options,
            "valid_eta_lb": {name: -math.inf for name in self.form.names},  # cut below instead
            "max_iter": self.settings.max_iterations,
            "tol": self.settings.cut_tolerance,
            "verbose": False,
        }
        try:
            ls = lshaped.LShapedMethod(ls_options, list(self.form.names), creator)
            if ls.n_proc > 1:  # the master, its cuts and the evaluations assume one rank
                raise OptionError("method lshaped runs in one process, not under mpiexec")
            ls.create_root()
        except OutOfTime:
            return f"{self.budget.why_stopped()} while the scenario models were built"
        master = ls.root
        lshaped._init_vars(ls.root_vars)
        self.evaluator.integer = np.array([v.is_integer() or v.is_binary() for v in ls.root_vars])
        master.bender = cuts.LShapedCutGenerator()
        master.bender.set_input(
            root_vars=ls.root_vars, tol=self.settings.cut_tolerance, comm=ls.mpicomm
        )
        master.bender.set_ls(ls)

        floors = self._wait_and_see(ls)
        if floors is None:
            if self._out_of_time():
                return f"{self.budget.why_stopped()} while the scenarios were solved alone"
            return "a scenario alone gave no lower bound"
        _add_wait_and_see_cuts(master, ls, floors)
        for name in ls.local_scenario_names:
            master.bender.add_subproblem(
                subproblem_fn=ls.create_subproblem,
                subproblem_fn_kwargs={"scenario_name": name},
                root_eta=master.eta[name],
                subproblem_solver=SUBPROBLEM_SOLVER,
                subproblem_solver_options=sp_options,
            )
        return self._iterate(master)

    def _wait_and_see(self, ls) -> dict[str, float] | None:
        """Each scenario's own optimum over first stage and recourse, of its LP relaxation (a
        floor as valid as the MIP's, for an LP's time): the floors of the wait-and-see cuts
        (``None`` when one has none). Each is given the time left: the first master needs
        them all."""
        solver = pyo.SolverFactory(MASTER_SOLVER)
        floors = {}
        for name in ls.local_scenario_names:
            if self.budget.expired():
                return None
            solver.options.update(highs_options(self.options))
            left = self.budget.remaining()
            if left is not None:
                solver.options["time_limit"] = max(left, 1e-3)
            scenario = ls.local_scenarios[name]
            relaxed = _relax_integers(scenario.component_data_objects(pyo.Var, descend_into=True))
            try:
                results = solver.solve(scenario, tee=False, load_solutions=False)
            finally:
                _restore(relaxed)
            floor = results.problem[0].lower_bound
            if not _finite(floor):
                self.why_no_plan = (
                    f"scenario {name} alone has no finite lower bound "
                    f"({results.solver.termination_condition})"
                )
                return None
            floors[name] = float(floor)
        return floors

    def _iterate(self, master) -> str:
        solver = pyo.SolverFactory(MASTER_SOLVER)
        relaxed = _relax_integers(master.bender.root_vars) if self.settings.lp_phase else []
        for k in range(1, self.settings.max_iterations + 1):
            if self._proved():
                return "gap within mip_rel_gap"
            if self.budget.expired():
                return f"{self.budget.why_stopped()} after {self.iterations} L-shaped iterations"
            plan = self._solve_master(solver, master)
            if plan is None:
                if self._out_of_time():
                    return f"{self.budget.why_stopped()} during master {k}"
                self.why_no_plan = self.why_no_plan or f"master {k} gave no plan"
                return f"master {k} had no solution"
            self.iterations = k
            self.evaluator.evaluate(plan, f"master {k}")
            if self._proved():
                return "gap within mip_rel_gap"
            if self.budget.expired():
                return f"{self.budget.why_stopped()} after {k} L-shaped iterations"
            left = self.budget.remaining()
            for sp_solver in master.bender.subproblem_solvers:
                sp_solver.options.update(highs_options(self.options))
                if left is not None:
                    sp_solver.options["time_limit"] = max(left, 1e-3)
            try:
                added = master.bender.generate_cut()
            except Exception as exc:  # a subproblem stopped by the limit, or failing
                if self._out_of_time():
                    return f"{self.budget.why_stopped()} during the subproblems of iteration {k}"
                raise RuntimeError(
                    f"an L-shaped subproblem failed at iteration {k}: {exc}"
                ) from exc
            self.cuts += len(added)
            log.info(
                "L-shaped iteration %d: %d cuts, incumbent %s, bound %s",
                k,
                len(added),
                self.best.objective,
                self.bound,
            )
            if not added and relaxed:  # the LP master converged: its integers back, and on
                _restore(relaxed)
                relaxed = []
                self.lp_iterations = k
                continue
            if not added:
                return f"no violated cut after {k} iterations (converged)"
        if self._proved():
            return "gap within mip_rel_gap"
        return f"L-shaped iteration limit ({self.settings.max_iterations}) reached"

    def _solve_master(self, solver, master) -> np.ndarray | None:
        """Solve the master within the time left; its plan (``None``: none), its bound kept."""
        solver.options.update(highs_options(self.options))
        left = self.budget.remaining()
        if left is not None:
            solver.options["time_limit"] = max(left, 1e-3)
        try:
            results = solver.solve(master, tee=False)
        except RuntimeError as exc:  # stopped before a feasible plan: nothing to load
            log.debug("L-shaped master: %s", exc)
            return None
        condition = results.solver.termination_condition
        if condition in (pyo.TerminationCondition.infeasible, pyo.TerminationCondition.unbounded):
            self.why_no_plan = f"the L-shaped master is {condition}"
            return None
        bound = results.problem[0].lower_bound
        self._improve_bound(bound)
        values = [v.value for v in master.bender.root_vars]
        if any(v is None for v in values):
            return None
        return np.array(values, dtype=float)

    def _out_of_time(self) -> bool:
        """The budget has expired, or so nearly that a solve given the time left has stopped
        at HiGHS's own limit (its clock starts before the run: it stops a little early)."""
        left = self.budget.remaining()
        return left is not None and left <= DEADLINE_SLACK


def _add_wait_and_see_cuts(master, ls, floors: dict[str, float]) -> None:
    """``eta_s >= p_s (WS_s - c x)`` for every scenario ``s``: its recourse costs at least its
    own optimum ``WS_s`` (first stage included) less the first stage's cost ``c x``.

    mpi-sppy bounds each ``eta_s`` below by the scenario's recourse minimised over the first
    stage too; where more first stage buys cheaper recourse without limit (contracts: capacity
    bought for nothing sells without end) that problem is unbounded and mpi-sppy's bound is
    none. These cuts keep the first master bounded by the wait-and-see bound, E[WS]."""
    etas = list(master.eta.values())
    first_stage_cost = master.obj.expr - sum(etas)
    probability = {name: float(ls.local_scenarios[name]._mpisppy_probability) for name in floors}
    master.wait_and_see = pyo.Constraint(
        list(floors),
        rule=lambda m, s: m.eta[s] >= probability[s] * (floors[s] - first_stage_cost),
    )


def _relax_integers(variables) -> list[tuple[Any, Any, Any, Any]]:
    """Make the integer ``variables`` continuous within the bounds they had (their domain's
    included: a binary stays in [0, 1]); (variable, domain, lower, upper bound) of each, for
    :func:`_restore`."""
    relaxed = []
    for var in variables:
        if var.is_integer() or var.is_binary():
            relaxed.append((var, var.domain, var.lb, var.ub))
            var.domain = pyo.Reals
            var.setlb(relaxed[-1][2])
            var.setub(relaxed[-1][3])
    return relaxed


def _restore(relaxed: list[tuple[Any, Any, Any, Any]]) -> None:
    """Give the variables :func:`_relax_integers` relaxed their domains back (their own
    bounds stay at the bounds they had, the same numbers)."""
    for var, domain, lower, upper in relaxed:
        var.domain = domain
        var.setlb(lower)
        var.setub(upper)
