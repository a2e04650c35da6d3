"""Progressive hedging (Rockafellar and Wets 1991) on mpi-sppy, for the two-stage models.

Each scenario is its own model (:func:`cbecopt.stochastic.twostage.scenario_creator`, in
mpi-sppy's convention) solved by HiGHS through ``appsi_highs``; mpi-sppy's
:class:`mpisppy.opt.ph.PH` keeps the weights W, the averages xbar and the proximal terms.
HiGHS takes no quadratic term with integers, so the proximal terms are linearized: exactly for
binary first-stage variables (``linearize_binary_proximal_terms``: x² = x) and by outer cuts
for the others (``linearize_proximal_terms``). Run without ``mpiexec`` it is one process, one
rank, every scenario in turn.

What the call reports is proved, not PH's own estimates:

- **incumbent**: first stages found along the way (after every iteration the scenarios' own,
  the most probable first, and xbar with integers rounded) are evaluated exactly
  on every scenario by fixing the first-stage columns in cbecopt's extensive form (as EEV
  does, :mod:`cbecopt.stochastic.report`); the best is kept, and the result's tables and KPIs
  are the extensive form's extraction of it.
- **bound**: the best Lagrangian bound, the expected value of the scenario subproblems solved
  with the current weights W and no proximal term (each subproblem's own MIP bound, so a
  subproblem stopped at a limit still gives a valid one); at iteration 0 (W = 0) it is the
  wait-and-see ("trivial") bound.

The status is ``optimal`` only when the gap between them is within ``mip_rel_gap``, else
``feasible`` (``no_solution`` when no plan could be evaluated). The call's budget bounds it:
checked before every subproblem solve (each given the time left as HiGHS's ``time_limit``),
every evaluation and every iteration; a stop request (Ctrl-C, SIGTERM) ends it with the
incumbent.

Rho, the penalty of the proximal term, is by default proportional to each first-stage
variable's cost coefficient over how far the scenarios' own values spread at iteration 0
(``rho_i = rho_factor * max(|c_i|, rho_floor) / max(spread_i, 1)``, after Watson and Woodruff
2011's cost-proportional rule): :class:`PHSettings`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import time
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType
from typing import Any

import numpy as np
import pyomo.environ as pyo

from cbecopt.errors import OptionError
from cbecopt.highs import relative_gap
from cbecopt.limits import OutOfTime, check
from cbecopt.methods import Task
from cbecopt.methods.extensive_form import (
    Clock,
    built_and_handed_off,
    solution_tables,
    stopped_before_solving,
)
from cbecopt.results import Result, Run, Status
from cbecopt.stochastic.twostage import (
    ExtensiveForm,
    RiskOptions,
    scenario_creator,
    solve_extensive_form,
)

APPLIES_TO = ("contracts", "routing", "network", "smps")
"""The two-stage models."""
SOLVER = "appsi_highs"
"""The subproblem solver's name in Pyomo (mpi-sppy 0.14 passes ``options`` as HiGHS options)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PHSettings:
    """How progressive hedging runs.

    Parameters
    ----------
    rho_factor : rho of a first-stage variable is ``rho_factor * max(|c|, rho_floor) /
        max(spread, 1)``, ``c`` its cost coefficient in the scenario objective, ``spread`` the
        probability-weighted mean distance of the scenarios' own values to their mean at
        iteration 0.
    rho_floor : the least ``|c|`` used (a variable without cost still gets a positive rho).
    max_iterations : PH iterations after iteration 0.
    convergence : PH stops when mpi-sppy's convergence metric (the mean distance of the
        scenarios' first stages to xbar) is below this.
    bound_every : a Lagrangian bound (one more solve of every scenario, W on, proximal term
        off) every this many iterations (0: only the wait-and-see bound of iteration 0).
    scenario_plans : after every iteration, how many distinct scenario first stages (most
        probable first) are evaluated on all scenarios as incumbents.
    evaluate_share : after iteration 0, the scenarios' plans are evaluated only while
        evaluations have taken at most this share of the time so far (xbar's always is).
    prox_tolerance : mpi-sppy's ``proximal_linearization_tolerance`` for continuous
        first-stage variables.
    """

    rho_factor: float = 0.1
    rho_floor: float = 1e-2
    max_iterations: int = 100
    convergence: float = 1e-4
    bound_every: int = 1
    scenario_plans: int = 5
    prox_tolerance: float = 1e-1
    evaluate_share: float = 0.5

    def __post_init__(self) -> None:
        if not self.rho_factor > 0 or not self.rho_floor > 0:
            raise OptionError("PH rho_factor and rho_floor must be positive")
        if self.max_iterations < 0 or self.bound_every < 0 or self.scenario_plans < 0:
            raise OptionError("PH iteration counts must not be negative")


SETTINGS = PHSettings
"""The settings ``--method-option KEY=VALUE`` sets (:func:`cbecopt.methods.method_settings`)."""


@dataclass
class _Incumbent:
    """The best evaluated plan so far, and every plan evaluated (by its rounded key)."""

    objective: float = math.inf
    values: np.ndarray | None = None
    first_stage: np.ndarray | None = None
    source: str = ""
    evaluated: dict[bytes, float] = field(default_factory=dict)
    seconds: float = 0.0


class PlanEvaluator:
    """First stages, in mpi-sppy's order of the first-stage variables, evaluated exactly: the
    first-stage columns of the extensive form fixed at the plan (integers rounded), the
    recourse of every scenario solved by HiGHS; the best kept in ``best``, every plan
    remembered by its rounded key and solved once.

    A plan that breaks a constraint among the first-stage decisions alone (a quantity above
    its big-M once its binary is rounded to 0) is infeasible here: the solve with the first
    stage fixed frees such rows (an EEV plan is judged by what follows from it), so they are
    checked first, each within ``FIRST_STAGE_TOLERANCE`` of the size of its terms."""

    FIRST_STAGE_TOLERANCE = 1e-6

    def __init__(self, form: ExtensiveForm, options, best: _Incumbent):
        self.form = form
        self.options = options
        self.best = best
        self.to_form = _nonant_order(form)
        self.integer: np.ndarray | None = None  # which first-stage variables are integer
        self._first_stage_rows = _first_stage_rows(form)

    def breaks_first_stage_rows(self, in_form: np.ndarray) -> bool:
        """Whether the plan (in the extensive form's first-stage column order) breaks a row
        of first-stage columns only."""
        matrix, lower, upper = self._first_stage_rows
        if matrix.shape[0] == 0:
            return False
        activity = matrix @ in_form
        size = abs(matrix) @ np.abs(in_form)
        slack = self.FIRST_STAGE_TOLERANCE * (1.0 + size)
        return bool(np.any(activity < lower - slack) or np.any(activity > upper + slack))

    def evaluate(self, plan: np.ndarray, source: str) -> float | None:
        """Fix the first stage at ``plan`` in the extensive form, solve, keep it if best; its
        cost (``inf``: some scenario has no feasible recourse), ``None`` when the budget
        stopped it or had ended before."""
        plan = self.rounded(plan)
        key = plan.tobytes()
        if key in self.best.evaluated:
            return self.best.evaluated[key]
        if self.options.budget.expired():
            return None
        started = time.perf_counter()
        in_form = np.empty_like(plan)
        in_form[self.to_form] = plan
        if self.breaks_first_stage_rows(in_form):
            log.debug("plan from %s breaks a first-stage constraint", source)
            self.best.evaluated[key] = math.inf
            return math.inf
        solution = solve_extensive_form(self.form, self.options, fixed_first_stage=in_form)
        self.best.seconds += time.perf_counter() - started
        out = solution.outcome
        if out.values is None:
            if out.status == Status.NO_SOLUTION:
                return None  # stopped by the budget: may be evaluated again, if time is left
            self.best.evaluated[key] = math.inf  # infeasible recourse for some scenario
            return math.inf
        self.best.evaluated[key] = out.objective
        log.info("plan from %s costs %s", source, out.objective)
        if out.objective < self.best.objective:
            self.best.objective = out.objective
            self.best.values = out.values
            self.best.first_stage = in_form
            self.best.source = source
        return out.objective

    def rounded(self, plan: np.ndarray) -> np.ndarray:
        plan = np.asarray(plan, dtype=float).copy()
        if self.integer is not None:
            plan[self.integer] = np.round(plan[self.integer])
        plan[plan == 0] = 0.0  # no -0.0 in a key
        return plan


def solve(task: Task, run: Run, settings: PHSettings | None = None) -> Result:
    """Progressive hedging on ``task.problem`` within the call's budget; see the module."""
    settings = settings or task.settings or PHSettings()
    _refuse_unsupported(task, run)
    run.settings["ph"] = {
        "rho_factor": settings.rho_factor,
        "rho_floor": settings.rho_floor,
        "max_iterations": settings.max_iterations,
        "convergence": settings.convergence,
        "bound_every": settings.bound_every,
        "solver": SOLVER,
    }
    return solve_by_plans(
        task,
        run,
        "ph",
        lambda form, best: _PHRun(task.problem, form, settings, run.options, best),
        {"name": "highs", "interface": SOLVER, "engine": "mpi-sppy PH"},
    )


def solve_by_plans(task: Task, run: Run, method: str, make_run, solver: dict[str, str]) -> Result:
    """Build and hand off the extensive form (the plans are evaluated in it), run the method
    (``make_run(form, best)``: an object whose ``run()`` returns the termination and that
    then has ``seconds``, ``bound``, ``why_no_plan`` and ``kpis()``), and make the result of
    its best plan (:func:`incumbent_result`); the method's time is the part ``method``."""
    clock = Clock()
    try:
        form, _ = built_and_handed_off(task, RiskOptions(), run.options, clock)
    except OutOfTime:
        return stopped_before_solving(run, clock)
    best = _Incumbent()
    state = make_run(form, best)
    termination = state.run()
    clock.parts[method] = state.seconds
    return incumbent_result(
        run,
        task,
        form,
        clock,
        best,
        state.bound,
        termination,
        why_no_plan=state.why_no_plan,
        kpis=state.kpis(),
        solver=solver,
    )


def incumbent_result(
    run: Run,
    task: Task,
    form: ExtensiveForm,
    clock: Clock,
    best: _Incumbent,
    bound: float | None,
    termination: str,
    *,
    why_no_plan: str,
    kpis: dict[str, Any],
    solver: dict[str, str],
) -> Result:
    """The result of a method whose incumbent is its best evaluated plan (``ph``,
    ``lshaped``): that plan's tables and KPIs (the extensive form's extraction), the method's
    ``kpis`` added; ``optimal`` only when the gap to ``bound`` is within ``mip_rel_gap``,
    ``no_solution`` without a plan (the diagnosis ``why_no_plan``, or the budget's advice)."""
    clock.parts["evaluate"] = best.seconds
    clock.skip()
    tables: dict = {}
    model_kpis: dict[str, Any] = {}
    diagnosis: list[str] = []
    if best.values is not None:
        tables, model_kpis = solution_tables(
            form, best.values, task.problem, task.extract, RiskOptions()
        )
        gap = None if bound is None else relative_gap(best.objective, bound)
        proved = gap is not None and gap <= run.options.mip_rel_gap
        status = Status.OPTIMAL if proved else Status.FEASIBLE
        objective = best.objective
    else:
        status, objective, gap = Status.NO_SOLUTION, None, None
        diagnosis = [why_no_plan or run.options.budget.no_solution_advice()]
    clock.lap("extract")
    return run.result(
        status,
        termination,
        parts=clock.parts,
        objective=objective,
        bound=bound,
        gap=gap,
        tables=tables,
        kpis={**model_kpis, **kpis},
        diagnosis=diagnosis,
        size={"scenarios": len(form.names), **form.compile().size()},
        solver=solver,
    )


def within_gap(best: _Incumbent, bound: float | None, mip_rel_gap: float) -> bool:
    """Whether the incumbent is proved by ``bound`` within ``mip_rel_gap``."""
    if bound is None or best.values is None:
        return False
    gap = relative_gap(best.objective, bound)
    return gap is not None and gap <= mip_rel_gap


def _refuse_unsupported(task: Task, run: Run, method: str = "ph") -> None:
    """What a decomposition by scenario on mpi-sppy (``ph``, ``lshaped``) cannot do."""
    risk = task.risk or RiskOptions()
    if risk.weight > 0:
        raise OptionError(
            f"method {method} solves the risk-neutral problem only (a CVaR weight > 0 couples "
            "the scenarios): use --method extensive_form"
        )
    if task.reports:
        raise OptionError(
            f"method {method} makes no reports ({', '.join(task.reports)}): "
            "use --method extensive_form"
        )
    if run.options.marginal_values:
        raise OptionError(f"method {method} gives no marginal values: use --method extensive_form")
    if task.write_model is not None:
        raise OptionError(f"method {method} writes no model (it solves one per scenario)")
    if len(task.problem.scenarios()) < 2:  # and its one model's handoff cannot be interrupted
        raise OptionError(
            f"method {method} decomposes by scenario and this problem has one: "
            "use --method extensive_form (the same model, solved whole)"
        )


class PlanSearch:
    """What a method that searches first stages on mpi-sppy shares (:func:`solve_by_plans`):
    its plans evaluated into ``best`` (:class:`PlanEvaluator`), the best ``bound`` so far, its
    ``seconds`` (evaluations left out), ``why_no_plan``; ``run()`` runs ``_search()`` and
    turns a Ctrl-C into a stop of the budget with the incumbent (``what``: the method's name
    in words)."""

    what = "the search"

    def __init__(self, problem, form: ExtensiveForm, settings, options, best: _Incumbent):
        self.problem = problem
        self.form = form
        self.settings = settings
        self.options = options
        self.budget = options.budget
        self.best = best
        self.evaluator = PlanEvaluator(form, options, best)
        self.bound: float | None = None
        self.iterations = 0
        self.seconds = 0.0
        self.why_no_plan = ""

    def run(self) -> str:
        """Search until proved, converged, out of iterations or out of time; the termination."""
        started = time.perf_counter()
        try:
            return self._search()
        except KeyboardInterrupt:  # the API without the command line's signal handlers
            if self.budget.stop_reason is not None:
                raise  # a second one
            self.budget.request_stop("SIGINT")
            return f"{self.budget.why_stopped()} during {self.what}"
        finally:
            self.seconds = time.perf_counter() - started - self.best.seconds

    def _search(self) -> str:
        raise NotImplementedError

    def _improve_bound(self, bound) -> None:
        if _finite(bound) and (self.bound is None or float(bound) > self.bound):
            self.bound = float(bound)

    def _proved(self) -> bool:
        return within_gap(self.best, self.bound, self.options.mip_rel_gap)


class _PHRun(PlanSearch):
    """One progressive hedging run: mpi-sppy's PH driven iteration by iteration."""

    what = "progressive hedging"

    def __init__(self, problem, form: ExtensiveForm, settings: PHSettings, options, best):
        super().__init__(problem, form, settings, options, best)
        self.trivial_bound: float | None = None
        self.convergence: float | None = None
        self.ph = None
        self.spread: np.ndarray | None = None
        self.started = time.perf_counter()

    def kpis(self) -> dict[str, Any]:
        return {
            "ph_iterations": self.iterations,
            "ph_convergence": self.convergence,
            "ph_trivial_bound": self.trivial_bound,
            "ph_plans_evaluated": len(self.best.evaluated),
            "ph_incumbent_from": self.best.source,
        }

    # --- the loop ------------------------------------------------------------------------
    def _search(self) -> str:
        PH = mpisppy_module("mpisppy.opt.ph", "ph").PH
        solver_options_layer = mpisppy_module("mpisppy.utils.sputils", "ph").solver_options_layer
        ph_options = {
            "solver_name": SOLVER,
            "PHIterLimit": self.settings.max_iterations,
            "defaultPHrho": 1.0,
            "convthresh": self.settings.convergence,
            "verbose": False,
            "display_progress": False,
            "display_timing": False,
            "solver_options_layers": [solver_options_layer("default", self._solver_options())],
            "linearize_binary_proximal_terms": True,
            "linearize_proximal_terms": True,
            "proximal_linearization_tolerance": self.settings.prox_tolerance,
        }
        return self._run(PH, ph_options)

    def _run(self, PH, ph_options: dict) -> str:
        def creator(name: str):
            check(self.budget)  # the scenario models are built within the budget too
            return scenario_creator(self.problem, name)

        try:
            with self._quiet():
                ph = PH(
                    ph_options,
                    list(self.form.names),
                    creator,
                    extensions=_BudgetGuard,
                    extension_kwargs={"budget": self.budget},
                    rho_setter=self._rho_setter,
                )
                self.ph = ph
                ph.PH_Prep(attach_prox=True)
        except OutOfTime:
            return f"{self.budget.why_stopped()} while the scenario models were built"
        if self.budget.expired():
            return f"{self.budget.why_stopped()} before progressive hedging started"
        first = next(iter(ph.local_scenarios.values()))
        self.evaluator.integer = np.array(
            [v.is_integer() or v.is_binary() for v in first._mpisppy_data.nonant_indices.values()]
        )
        try:
            with self._quiet():
                trivial = ph.Iter0()
        except RuntimeError as exc:  # a scenario without a solution at iteration 0
            if self.budget.expired():
                return f"{self.budget.why_stopped()} during iteration 0"
            self.why_no_plan = f"progressive hedging stopped at iteration 0: {exc}"
            return "a scenario subproblem failed at iteration 0"
        if self._all_solved(ph):
            self.trivial_bound = float(trivial)
            self._improve_bound(self.trivial_bound)
        self._evaluate_scenario_plans(ph)
        return self._iterate(ph)

    def _iterate(self, ph) -> str:
        settings = self.settings
        for k in range(1, settings.max_iterations + 1):
            if self._proved():
                return "gap within mip_rel_gap"
            if self.budget.expired():
                return f"{self.budget.why_stopped()} after {self.iterations} PH iterations"
            with self._quiet():
                ph._PHIter = k
                ph.Compute_Xbar(False)
                ph.Update_W(False)
                self.convergence = float(ph.convergence_diff())
            self._evaluate(self._xbar(ph), f"xbar (iteration {k - 1})")
            if self.convergence < settings.convergence:
                return f"PH converged (metric {self.convergence:.3g}) after {self.iterations} iterations"
            with self._quiet():
                if settings.bound_every and k % settings.bound_every == 0:
                    self._lagrangian_bound(ph)
                if self._proved() or self.budget.expired():
                    continue
                ph.solve_loop(
                    solver_options=ph._effective_solver_options(k),
                    gripe=False,
                    need_solution=False,
                    warmstart=True,
                )
            if not self._all_solved(ph):
                if self.budget.expired():
                    return f"{self.budget.why_stopped()} during PH iteration {k}"
                return f"a scenario subproblem had no solution at PH iteration {k}"
            self.iterations = k
            if self.best.seconds <= settings.evaluate_share * (time.perf_counter() - self.started):
                self._evaluate_scenario_plans(ph, k)
            log.info(
                "PH iteration %d: metric %.3g, incumbent %s, bound %s",
                k,
                self.convergence,
                self.best.objective,
                self.bound,
            )
        if self._proved():
            return "gap within mip_rel_gap"
        return f"PH iteration limit ({settings.max_iterations}) reached"

    def _lagrangian_bound(self, ph) -> None:
        """Solve every scenario with W and without the proximal term: E[subproblem bound]."""
        saved = {}
        for s in ph.local_scenarios.values():
            s._mpisppy_data.outer_bound = None
            saved[s.name] = [(v, v.value) for v in _ph_variables(s)]
        ph.solve_loop(
            solver_options=ph._effective_solver_options(ph._PHIter),
            dis_prox=True,
            gripe=False,
            need_solution=False,
            warmstart=True,
        )
        # PH goes on from its own iterate (its proximal cuts are made at the values it finds)
        for values in saved.values():
            for v, value in values:
                v.set_value(value, skip_validation=True)
        if not all(_finite(s._mpisppy_data.outer_bound) for s in ph.local_scenarios.values()):
            return  # a subproblem gave no bound (stopped before HiGHS had one)
        self._improve_bound(float(ph.Ebound(False)))

    # --- incumbents ----------------------------------------------------------------------
    def _evaluate_scenario_plans(self, ph, iteration: int = 0) -> None:
        """The most probable distinct first stages the scenarios chose at ``iteration``,
        evaluated on every scenario (a plan evaluated before is not solved again)."""
        weight: dict[bytes, float] = {}
        plans: dict[bytes, np.ndarray] = {}
        for s in ph.local_scenarios.values():
            plan = self._rounded(_nonant_values(s))
            key = plan.tobytes()
            weight[key] = weight.get(key, 0.0) + float(s._mpisppy_probability)
            plans[key] = plan
        order = sorted(weight, key=weight.get, reverse=True)[: self.settings.scenario_plans]
        for rank, key in enumerate(order, start=1):
            self._evaluate(plans[key], f"a scenario's own plan (iteration {iteration}, #{rank})")

    def _evaluate(self, plan: np.ndarray, source: str) -> None:
        self.evaluator.evaluate(plan, source)

    def _rounded(self, plan: np.ndarray) -> np.ndarray:
        return self.evaluator.rounded(plan)

    @staticmethod
    def _xbar(ph) -> np.ndarray:
        s = next(iter(ph.local_scenarios.values()))
        return np.array(
            [pyo.value(s._mpisppy_model.xbars[k]) for k in s._mpisppy_data.nonant_indices]
        )

    # --- bound, budget, rho --------------------------------------------------------------
    @staticmethod
    def _all_solved(ph) -> bool:
        return all(
            getattr(s._mpisppy_data, "solution_available", False)
            for s in ph.local_scenarios.values()
        )

    def _solver_options(self) -> dict[str, Any]:
        return highs_options(self.options)

    def _rho_setter(self, scenario) -> list[tuple[int, float]]:
        """``rho_factor * max(|c|, rho_floor) / max(spread, 1)`` for every first-stage
        variable, ``spread`` the probability-weighted mean distance of the scenarios' own
        values at iteration 0 to their mean (mpi-sppy calls this once, after iteration 0)."""
        from mpisppy.utils.sputils import nonant_cost_coeffs

        if self.spread is None:
            scenarios = list(self.ph.local_scenarios.values())
            p = np.array([float(s._mpisppy_probability) for s in scenarios])
            x = np.array([_nonant_values(s) for s in scenarios])
            mean = p @ x / p.sum()
            self.spread = p @ np.abs(x - mean) / p.sum()
        costs = nonant_cost_coeffs(scenario)
        out = []
        for i, (index, var) in enumerate(scenario._mpisppy_data.nonant_indices.items()):
            c = max(abs(float(costs.get(index, 0.0))), self.settings.rho_floor)
            out.append((id(var), self.settings.rho_factor * c / max(self.spread[i], 1.0)))
        return out

    @staticmethod
    def _quiet():
        return quiet()


def mpisppy_module(name: str, method: str) -> ModuleType:
    """mpi-sppy's module ``name`` (its import prints a timer line: kept off the output); an
    :class:`OptionError` naming ``method`` when mpi-sppy is not installed."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return import_module(name)
    except ImportError as exc:  # pip install 'cbecopt[scale]'
        raise OptionError(
            f"method {method} needs mpi-sppy ({exc}): pip install 'cbecopt[scale]'"
        ) from exc


def highs_options(options) -> dict[str, Any]:
    """HiGHS's options for a subproblem solved through Pyomo: the call's ``mip_rel_gap``,
    ``highs_options`` and ``threads``."""
    opts: dict[str, Any] = {"mip_rel_gap": float(options.mip_rel_gap)}
    opts.update(options.highs_options)
    if options.threads is not None:
        opts["threads"] = int(options.threads)
    return opts


@contextlib.contextmanager
def quiet():
    """mpi-sppy prints its progress and Pyomo logs every subproblem solve: keep them off
    the standard output and the log (in the debug log)."""
    text = io.StringIO()
    chatty = [logging.getLogger(name) for name in _CHATTY_LOGGERS]
    for logger in chatty:
        logger.addFilter(_to_debug)
    try:
        with contextlib.redirect_stdout(text):
            yield
    finally:
        for logger in chatty:
            logger.removeFilter(_to_debug)
        if text.getvalue().strip():
            log.debug("mpi-sppy: %s", text.getvalue().strip())


_CHATTY_LOGGERS = (
    "pyomo.core",
    "pyomo.contrib.appsi.solvers.highs",
    "pyomo.contrib.solver",
    "mpisppy",
)
"""Loggers that report every subproblem solve (HiGHS's log through appsi at INFO; a solve
stopped by the time limit is "loaded with an 'aborted' status" at WARNING)."""


def _to_debug(record: logging.LogRecord) -> bool:
    """A logging filter: what the chatty loggers say during PH below ERROR goes to this
    module's debug log instead."""
    if record.levelno >= logging.ERROR:
        return True
    log.debug("%s: %s", record.name, record.getMessage())
    return False


def _first_stage_rows(form: ExtensiveForm):
    """The rows of the extensive form with first-stage columns only: (matrix over the
    first-stage columns in their order, lower, upper)."""
    from scipy import sparse

    compiled = form.compile()
    columns = form.first_stage_columns()
    matrix = sparse.csr_matrix(
        (compiled.row_value, compiled.row_index, compiled.row_start),
        shape=(compiled.n_rows, compiled.n_cols),
    )
    inside = np.zeros(compiled.n_cols, bool)
    inside[columns] = True
    touches_outside = (abs(matrix) @ (~inside).astype(float)) > 0
    nonempty = np.diff(compiled.row_start) > 0
    rows = np.flatnonzero(nonempty & ~touches_outside)
    return matrix[rows][:, columns], compiled.row_lower[rows], compiled.row_upper[rows]


def _nonant_order(form: ExtensiveForm) -> np.ndarray:
    """For each of mpi-sppy's first-stage variables, its place among the extensive form's
    first-stage columns (:meth:`ExtensiveForm.first_stage_columns`, each family in key order):
    mpi-sppy lists an indexed variable's entries by *sorted* key."""
    order, start = [], 0
    for family in form.first.families:
        keys = list(family.component.keys())
        order.extend(start + j for j in sorted(range(len(keys)), key=keys.__getitem__))
        start += len(keys)
    return np.array(order, dtype=int)


def _ph_variables(scenario) -> list:
    """The first-stage variables and, with linearized proximal terms, their squares' bounds."""
    out = list(scenario._mpisppy_data.nonant_indices.values())
    squares = getattr(scenario._mpisppy_model, "xsqvar", None)
    if squares is not None:
        out.extend(squares.values())
    return out


def _nonant_values(scenario) -> np.ndarray:
    return np.array(
        [
            0.0 if v.value is None else float(v.value)
            for v in scenario._mpisppy_data.nonant_indices.values()
        ]
    )


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _budget_guard_class():
    from mpisppy.extensions.extension import Extension

    class BudgetGuard(Extension):
        """Before every subproblem solve: HiGHS's time limit is the call's time left."""

        def __init__(self, ph, budget=None):
            super().__init__(ph)
            self.budget = budget

        def pre_solve(self, subproblem):
            left = self.budget.remaining() if self.budget is not None else None
            if left is None:
                subproblem._solver_plugin.options.pop("time_limit", None)
            else:
                subproblem._solver_plugin.options["time_limit"] = max(left, 1e-3)
            return None

    return BudgetGuard


class _LazyGuard:
    """mpi-sppy's extension class, made on first use (mpi-sppy is an optional dependency)."""

    def __call__(self, ph, **kwargs):
        return _budget_guard_class()(ph, **kwargs)


_BudgetGuard = _LazyGuard()
