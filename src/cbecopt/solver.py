"""The only module that talks to HiGHS.

It compiles a Pyomo model into HiGHS's arrays (columns, rows, objective), solves it, and
says honestly what happened: why HiGHS stopped is kept apart from what solution exists.
Matrix-backed constraint families (:mod:`cbecopt.formulations.common`) are copied in bulk;
ordinary Pyomo constraints go through Pyomo's standard linear representation.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import operator
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.standard_repn import generate_standard_repn

from cbecopt.errors import OptionError
from cbecopt.limits import Budget, handlers_installed
from cbecopt.results import Status

INF = highspy.kHighsInf
log = logging.getLogger(__name__)


OWNED_HIGHS_OPTIONS = {
    "mip_rel_gap": "--gap (SolveOptions.mip_rel_gap): it decides what 'optimal' means",
    "mip_abs_gap": "--gap (a relative gap): cbecopt calls a result optimal by the relative gap only",
    "time_limit": "--time-limit (SolveOptions.time_limit): it bounds the whole call",
    "threads": "--threads (SolveOptions.threads)",
    "random_seed": "--seed (SolveOptions.seed): one seed for HiGHS and every sampler",
    "output_flag": "--verbose (SolveOptions.verbose)",
    "log_to_console": "--verbose (SolveOptions.verbose)",
}
"""Raw HiGHS options cbecopt sets itself, and the option to use instead."""

MAX_SEED = 2**31 - 1
"""HiGHS's random_seed is a 32-bit integer."""


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: the same keywords for every model.

    Parameters
    ----------
    time_limit : seconds for the whole call (data preparation, build, handoff, every solve and
        report), ``None`` for no limit.
    mip_rel_gap : relative MIP gap at which HiGHS may stop and call the solution optimal.
    threads : HiGHS threads (``None``: HiGHS decides); at most the cores this process may use.
    seed : the one random seed: HiGHS's and every sampler's (scenarios, SAA); the same
        instance, options and seed give the same result.
    verbose : show HiGHS's log.
    highs_options : raw HiGHS options passed through unchanged (e.g. ``{"presolve": "off"}``);
        the options cbecopt sets itself (:data:`OWNED_HIGHS_OPTIONS`) are refused.
    budget : the running call's :class:`~cbecopt.limits.Budget`; set by :meth:`begin`, which
        every public entry point calls on its first line, so nested calls share one budget.
    """

    time_limit: float | None = None
    mip_rel_gap: float = 1e-6
    threads: int | None = None
    seed: int = 0
    verbose: bool = False
    highs_options: dict[str, Any] = field(default_factory=dict)
    budget: Budget | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.time_limit is not None and not 0 < self.time_limit < math.inf:
            raise OptionError(
                f"time limit must be a positive number of seconds, got {self.time_limit}"
            )
        if not 0 <= self.mip_rel_gap < 1:
            raise OptionError(f"MIP gap must be in [0, 1), got {self.mip_rel_gap}")
        if self.threads is not None:
            cores = available_cores()
            if not 1 <= self.threads <= cores:
                raise OptionError(
                    f"threads must be between 1 and {cores} (the cores this process may use), "
                    f"got {self.threads}"
                )
        if not 0 <= self.seed <= MAX_SEED:
            raise OptionError(f"seed must be a whole number in [0, {MAX_SEED}], got {self.seed}")
        check_highs_options(self.highs_options)

    def begin(self) -> SolveOptions:
        """These options with their time budget running: unchanged when a budget already runs
        (a call made inside another shares its budget), else a budget started now."""
        if self.budget is not None:
            return self
        return dataclasses.replace(self, budget=Budget(self.time_limit))

    @property
    def deadline(self) -> float | None:
        """When the call must end (:func:`time.monotonic`), ``None`` without a limit."""
        return None if self.budget is None else self.budget.deadline

    def until(self, deadline: float | None) -> SolveOptions:
        """These options for one step of the call that must end by ``deadline`` (a share of
        the budget): a child budget, stopped with the call's."""
        budget = self.begin().budget
        return dataclasses.replace(self, budget=budget.until(deadline))

    def as_dict(self) -> dict[str, Any]:
        return {
            "time_limit": self.time_limit,
            "mip_rel_gap": self.mip_rel_gap,
            "threads": self.threads,
            "seed": self.seed,
            "highs_options": dict(self.highs_options),
        }


def check_highs_options(options: dict[str, Any]) -> None:
    """Refuse raw HiGHS options cbecopt owns, unknown options and values HiGHS rejects."""
    owned = [k for k in options if k in OWNED_HIGHS_OPTIONS]
    if owned:
        raise OptionError(
            "; ".join(
                f"HiGHS option {k} is set by cbecopt: use {OWNED_HIGHS_OPTIONS[k]}" for k in owned
            )
        )
    if not options:
        return
    highs = new_highs()
    for key, value in options.items():
        if highs.setOptionValue(key, value) != highspy.HighsStatus.kOk:
            raise OptionError(
                f"HiGHS rejected option {key}={value!r} (unknown option or bad value)"
            )


@dataclass
class CompiledModel:
    """A Pyomo model as HiGHS arrays, plus the map back from Pyomo variables to columns."""

    lp: highspy.HighsLp
    offsets: dict[int, int]
    n_cols: int
    n_rows: int
    integer_columns: np.ndarray
    nonzeros: int
    objective_constant: float

    @property
    def n_integer(self) -> int:
        return len(self.integer_columns)

    def pass_to(
        self,
        highs: highspy.Highs,
        fixed_columns: tuple[np.ndarray, np.ndarray] | None = None,
        relax: bool = False,
    ) -> None:
        """Load the model into a Highs object (integrality is set after the arrays).

        ``fixed_columns`` (columns, values) fixes those columns, integer ones rounded, and frees
        the rows that contain nothing but fixed columns: a plan being evaluated (a first stage
        found on other scenarios) is judged by what follows from it, not re-checked against
        constraints among its own decisions, whose data (a big-M from a sample) may differ.
        ``relax`` leaves integer columns continuous (the LP relaxation).
        """
        highs.passModel(self.lp)
        if self.n_integer and not relax:
            kinds = np.full(self.n_integer, highspy.HighsVarType.kInteger.value, dtype=np.uint8)
            highs.changeColsIntegrality(self.n_integer, self.integer_columns, kinds)
        if fixed_columns is not None:
            columns, values = (np.asarray(a) for a in fixed_columns)
            values = np.where(np.isin(columns, self.integer_columns), np.rint(values), values)
            highs.changeColsBounds(len(columns), columns.astype(np.int32), values, values)
            free = self._rows_only_in(columns)
            if len(free):
                infinite = np.full(len(free), INF)
                highs.changeRowsBounds(len(free), free, -infinite, infinite)

    def _rows_only_in(self, columns: np.ndarray) -> np.ndarray:
        """Rows whose every nonzero is in ``columns``."""
        a = self.lp.a_matrix_
        start, index = np.asarray(a.start_), np.asarray(a.index_)
        outside = ~np.isin(index, columns)
        row_of = np.repeat(np.arange(self.n_rows), np.diff(start))
        counts = np.bincount(row_of[outside], minlength=self.n_rows)
        nonempty = np.diff(start) > 0
        return np.flatnonzero((counts == 0) & nonempty).astype(np.int32)

    def column_offset(self, var: pyo.Var) -> int:
        """First column of an indexed variable (its keys follow in insertion order)."""
        return self.offsets[id(var)]


@dataclass
class SolverOutcome:
    """What HiGHS did: status, numbers and the primal values (``None`` when no solution exists)."""

    status: Status
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    values: np.ndarray | None
    handoff_seconds: float
    solve_seconds: float
    info: dict[str, Any]

    def values_of(self, compiled: CompiledModel, var: pyo.Var) -> np.ndarray:
        """Values of an indexed variable's entries, in its key order."""
        start = compiled.column_offset(var)
        return self.values[start : start + len(var)]


def compile_model(model: pyo.ConcreteModel) -> CompiledModel:
    """Turn the model's active variables, constraints and objective into a HighsLp."""
    with PauseGC():
        var_components = list(model.component_objects(pyo.Var, active=True, descend_into=True))
        offsets: dict[int, int] = {}
        lower, upper, integer = [], [], []
        start = 0
        for comp in var_components:
            offsets[id(comp)] = start
            data = list(comp.values())
            lb, ub, is_int = _column_bounds(data)
            lower.append(lb)
            upper.append(ub)
            integer.append(is_int)
            start += len(data)
        column_of = _ColumnLookup(var_components, offsets)
        n_cols = start
        col_lower = np.concatenate(lower) if lower else np.zeros(0)
        col_upper = np.concatenate(upper) if upper else np.zeros(0)
        integrality = np.concatenate(integer) if integer else np.zeros(0, bool)

        row_starts, row_index, row_value, row_lower, row_upper = [], [], [], [], []
        nnz = 0
        for con in model.component_objects(pyo.Constraint, active=True, descend_into=True):
            block = (
                _matrix_rows(con, offsets)
                if hasattr(con, "column_blocks")
                else _expression_rows(con, column_of)
            )
            starts, index, value, lo, up = block
            row_starts.append(starts + nnz)
            nnz += len(index)
            row_index.append(index)
            row_value.append(value)
            row_lower.append(lo)
            row_upper.append(up)
        objective = _active_objective(model)
        cost = np.zeros(n_cols)
        constant = 0.0
        if objective is not None:
            constant = _objective_into(objective, column_of, offsets, cost)

        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.col_cost_ = cost
        lp.col_lower_ = col_lower
        lp.col_upper_ = col_upper
        lp.offset_ = constant
        if objective is not None and objective.sense == pyo.maximize:
            lp.sense_ = highspy.ObjSense.kMaximize
        n_rows = int(sum(len(x) for x in row_lower))
        lp.num_row_ = n_rows
        lp.row_lower_ = np.concatenate(row_lower) if row_lower else np.zeros(0)
        lp.row_upper_ = np.concatenate(row_upper) if row_upper else np.zeros(0)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_ = n_cols
        lp.a_matrix_.num_row_ = n_rows
        lp.a_matrix_.start_ = np.append(
            np.concatenate(row_starts) if row_starts else np.zeros(0, np.int64), nnz
        ).astype(np.int32)
        lp.a_matrix_.index_ = (np.concatenate(row_index) if row_index else np.zeros(0)).astype(
            np.int32
        )
        lp.a_matrix_.value_ = np.concatenate(row_value) if row_value else np.zeros(0)
        integer_columns = np.flatnonzero(integrality).astype(np.int32)
    return CompiledModel(lp, offsets, n_cols, n_rows, integer_columns, nnz, constant)


_PLAIN_BOUND = (float, int, type(None))
_lb, _ub, _domain = (operator.attrgetter(name) for name in ("_lb", "_ub", "_domain"))


def _column_bounds(data: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower and upper bounds (HiGHS infinities for None) and integrality of variables.

    Reads the variables' own bounds and domains in bulk, with each domain's bounds and
    integrality looked up once; variables that are fixed, have expression bounds (mutable
    parameters) or an unusual domain take Pyomo's general path one by one.
    """
    n = len(data)
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, bool)
    try:
        lbs, ubs, domains = list(map(_lb, data)), list(map(_ub, data)), list(map(_domain, data))
    except AttributeError:  # a Pyomo without these slots: the general path
        return _column_bounds_general(data)
    infos = {id(d): _domain_info(d) for d in {id(d): d for d in domains}.values()}
    general = np.fromiter((v.fixed for v in data), bool, n)
    if any(info is _UNKNOWN_DOMAIN for info in infos.values()):
        general |= np.fromiter((infos[id(d)] is _UNKNOWN_DOMAIN for d in domains), bool, n)
    general |= np.fromiter((type(b) not in _PLAIN_BOUND for b in lbs), bool, n)
    general |= np.fromiter((type(b) not in _PLAIN_BOUND for b in ubs), bool, n)
    own_lb = np.array(
        [np.nan if b is None or g else b for b, g in zip(lbs, general, strict=True)], float
    )
    own_ub = np.array(
        [np.nan if b is None or g else b for b, g in zip(ubs, general, strict=True)], float
    )
    if len(infos) == 1:
        d_lb, d_ub, d_int = next(iter(infos.values()))
        dom_lb = np.full(n, np.nan if d_lb is None else d_lb)
        dom_ub = np.full(n, np.nan if d_ub is None else d_ub)
        is_int = np.full(n, bool(d_int))
    else:
        rows = [
            infos[id(d)] if infos[id(d)] is not _UNKNOWN_DOMAIN else (None, None, False)
            for d in domains
        ]
        dom_lb = np.array([np.nan if r[0] is None else r[0] for r in rows], float)
        dom_ub = np.array([np.nan if r[1] is None else r[1] for r in rows], float)
        is_int = np.array([r[2] for r in rows], bool)
    lower = np.fmax(own_lb, dom_lb)  # fmax/fmin ignore NaN (= no bound on that side)
    upper = np.fmin(own_ub, dom_ub)
    lower[np.isnan(lower)] = -INF
    upper[np.isnan(upper)] = INF
    for k in np.flatnonzero(general):
        lower[k], upper[k], is_int[k] = _one_column(data[k])
    return lower, upper, is_int


def _one_column(v) -> tuple[float, float, bool]:
    lb, ub = (v.value, v.value) if v.fixed else v.bounds
    return (-INF if lb is None else lb), (INF if ub is None else ub), v.is_integer()


def _column_bounds_general(data: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    columns = [_one_column(v) for v in data]
    return (
        np.array([c[0] for c in columns], float),
        np.array([c[1] for c in columns], float),
        np.array([c[2] for c in columns], bool),
    )


_UNKNOWN_DOMAIN = ("unknown",)


def _domain_info(domain) -> tuple:
    """(lower, upper, is integer) of a Pyomo domain set, or a marker when it is not a plain one."""
    try:
        lb, ub, step = domain.get_interval()
    except AttributeError:
        return _UNKNOWN_DOMAIN
    if step not in (0, 1):
        return _UNKNOWN_DOMAIN
    return lb, ub, step == 1


class _ColumnLookup:
    """Column of a Pyomo variable: its component's first column plus its position in the index.

    Used only for ordinary constraints and objectives, so large matrix-backed families never
    pay for a map over every variable.
    """

    def __init__(self, components: list, offsets: dict[int, int]):
        self._offsets = offsets
        self._sparse: dict[int, dict[int, int]] = {}
        for comp in components:
            if comp.is_indexed() and (
                len(comp) != len(comp.index_set()) or not comp.index_set().isordered()
            ):
                start = offsets[id(comp)]
                self._sparse[id(comp)] = {id(v): start + k for k, v in enumerate(comp.values())}

    def column(self, var) -> int:
        comp = var.parent_component()
        sparse = self._sparse.get(id(comp))
        if sparse is not None:
            return sparse[id(var)]
        if not comp.is_indexed():
            return self._offsets[id(comp)]
        return self._offsets[id(comp)] + comp.index_set().ord(var.index()) - 1


def _matrix_rows(con, offsets: dict[int, int]):
    """Rows of a matrix-backed family, columns mapped through the families' global offsets."""
    local_to_global = (
        np.concatenate(
            [np.arange(n, dtype=np.int64) + offsets[id(var)] for var, n in con.column_blocks]
        )
        if con.column_blocks
        else np.zeros(0, np.int64)
    )
    indptr = np.asarray(con._A_indptr, dtype=np.int64)
    index = local_to_global[np.asarray(con._A_indices, dtype=np.int64)]
    value = np.asarray(con._A_data, dtype=np.float64)
    lower = np.array([-INF if v is None else v for v in con._lower], dtype=np.float64)
    upper = np.array([INF if v is None else v for v in con._upper], dtype=np.float64)
    return indptr[:-1], index, value, lower, upper


def _expression_rows(con, column_of: _ColumnLookup):
    """Rows of an ordinary Pyomo constraint family, through Pyomo's standard linear repn."""
    starts, index, value, lower, upper = [], [], [], [], []
    for data in con.values():
        if not data.active:
            continue
        repn = generate_standard_repn(data.body, compute_values=True, quadratic=False)
        if not repn.is_linear():
            raise ValueError(
                f"constraint {data.name} is not linear; HiGHS models here must be linear"
            )
        starts.append(len(index))
        for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            if v.fixed:
                repn.constant += c * v.value
                continue
            index.append(column_of.column(v))
            value.append(c)
        lo, up = data.lower, data.upper
        lower.append(-INF if lo is None else pyo.value(lo) - repn.constant)
        upper.append(INF if up is None else pyo.value(up) - repn.constant)
    return (
        np.asarray(starts, np.int64),
        np.asarray(index, np.int64),
        np.asarray(value, np.float64),
        np.asarray(lower, np.float64),
        np.asarray(upper, np.float64),
    )


def _active_objective(model: pyo.ConcreteModel):
    objectives = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if len(objectives) > 1:
        raise ValueError(
            f"the model has {len(objectives)} active objectives; deactivate all but one"
        )
    return objectives[0] if objectives else None


def _objective_into(
    objective, column_of: _ColumnLookup, offsets: dict[int, int], cost: np.ndarray
) -> float:
    """Add the objective's coefficients into ``cost``; return its constant.

    Objectives built by :func:`cbecopt.formulations.common.linear_objective` carry their terms
    as arrays; a flat :class:`LinearExpression` is read term by term; anything else goes
    through Pyomo's standard linear representation.
    """
    terms = getattr(objective.parent_component(), "column_terms", None)
    if terms is not None and terms[0] is objective.expr:
        for component, position, coef in terms[2]:
            np.add.at(cost, offsets[id(component)] + position, coef)
        return float(terms[1])
    expr = objective.expr
    if type(expr) is LinearExpression:
        coefs, columns, constant = [], [], 0.0
        for arg in expr.args:
            if type(arg) is MonomialTermExpression:
                coef, var = arg.args
                if var.fixed:
                    constant += pyo.value(coef) * var.value
                else:
                    coefs.append(pyo.value(coef))
                    columns.append(column_of.column(var))
            elif getattr(arg, "is_variable_type", lambda: False)():
                if arg.fixed:
                    constant += arg.value
                else:
                    coefs.append(1.0)
                    columns.append(column_of.column(arg))
            else:
                constant += pyo.value(arg)
    else:
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if not repn.is_linear():
            raise ValueError(f"objective {objective.name} is not linear")
        coefs = list(repn.linear_coefs)
        columns = [column_of.column(v) for v in repn.linear_vars]
        constant = float(repn.constant)
    np.add.at(cost, np.asarray(columns, dtype=np.int64), np.asarray(coefs, dtype=np.float64))
    return float(constant)


_banner_shown = False
_scheduler_threads: int | None | str = "not started"


def _use_threads(highs: highspy.Highs, threads: int | None) -> None:
    """Ask for ``threads`` (None: HiGHS's default).

    HiGHS starts one thread scheduler per process on its first run and refuses a later run
    that asks for another thread count; so when the count changes, the scheduler is reset.
    """
    global _scheduler_threads
    if _scheduler_threads != "not started" and _scheduler_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
    if threads is not None:
        highs.setOptionValue("threads", int(threads))
    _scheduler_threads = threads


def highs_option_value(text: str) -> int | float | bool | str:
    """A raw HiGHS option value typed from text (``KEY=VALUE`` on a command line)."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def new_highs() -> highspy.Highs:
    """A quiet Highs object.

    HiGHS prints a copyright banner on stdout when the first Highs object of a process is
    created, whatever ``output_flag`` says; that would corrupt ``--json`` output, so the first
    construction runs with the process's stdout pointed at the null device.
    """
    global _banner_shown
    if _banner_shown:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    highs.setOptionValue("output_flag", False)
    return highs


# Why HiGHS stopped -> what we can say about the solution.
_LIMITS = {
    "kTimeLimit",
    "kIterationLimit",
    "kSolutionLimit",
    "kInterrupt",
    "kObjectiveBound",
    "kObjectiveTarget",
    "kMemoryLimit",
}


def solve_compiled(
    compiled: CompiledModel,
    options: SolveOptions,
    deadline: float | None = None,
    fixed_columns: tuple[np.ndarray, np.ndarray] | None = None,
    relax: bool = False,
) -> SolverOutcome:
    """Hand the arrays to HiGHS, solve within the budget, and classify the outcome.

    The solve ends by ``deadline`` (a :func:`time.monotonic` reading, e.g. a share of the
    budget) or the budget's own deadline, whichever comes first, or when the budget is asked
    to stop (Ctrl-C, SIGTERM): HiGHS then returns its incumbent, classified ``feasible`` with
    its bound and gap (``no_solution`` without one). ``fixed_columns`` (columns, values) holds
    those columns at the values given (integer columns rounded), e.g. first-stage decisions
    evaluated on other scenarios. ``relax`` solves the LP relaxation (a lower bound).
    """
    options = options.begin()
    budget = options.budget
    deadline = _earliest(deadline, budget.deadline)
    start = time.perf_counter()
    if _stopped(budget, deadline):
        return _not_started(budget, 0.0)
    highs = new_highs()
    highs.setOptionValue("output_flag", bool(options.verbose))
    highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    highs.setOptionValue("random_seed", int(options.seed))
    _use_threads(highs, options.threads)
    for key, value in options.highs_options.items():
        highs.setOptionValue(key, value)  # checked when the options were made
    compiled.pass_to(highs, fixed_columns, relax)
    handoff = time.perf_counter() - start
    if _stopped(budget, deadline):
        return _not_started(budget, handoff)
    if deadline is not None:
        highs.setOptionValue("time_limit", max(deadline - time.monotonic(), 1e-3))
    log.info(
        "HiGHS: solving %d columns (%d integer), %d rows%s",
        compiled.n_cols,
        0 if relax else compiled.n_integer,
        compiled.n_rows,
        "" if deadline is None else f", {max(deadline - time.monotonic(), 0.0):.1f} s left",
    )
    t0 = time.perf_counter()
    run = _WatchedRun(highs, budget, deadline)
    run.wait()
    solve_seconds = time.perf_counter() - t0
    if run.abandoned:
        return run.outcome_so_far(compiled, handoff, solve_seconds, relax)
    outcome = _outcome(highs, compiled, handoff, solve_seconds, fixed_columns, relax)
    if outcome.info.get("model_status") == "kInterrupt":
        outcome.termination = budget.why_stopped() if budget.stop_reason else "time limit reached"
    return outcome


def _earliest(*deadlines: float | None) -> float | None:
    known = [d for d in deadlines if d is not None]
    return min(known) if known else None


def _stopped(budget: Budget, deadline: float | None) -> bool:
    return budget.expired() or (deadline is not None and time.monotonic() >= deadline)


def _not_started(budget: Budget, handoff: float) -> SolverOutcome:
    why = budget.why_stopped() if budget.stop_reason else "time limit reached"
    return SolverOutcome(
        Status.NO_SOLUTION,
        f"{why} before the solver started",
        None,
        None,
        None,
        None,
        handoff,
        0.0,
        {},
    )


POLL_SECONDS = 0.05
"""How often the waiting thread looks at the budget while HiGHS runs."""
ABANDON_SECONDS = 0.5
"""After a stop request or the deadline, how long HiGHS gets to return before the command line
gives up on it (HiGHS cannot be interrupted inside some phases, e.g. the root LP of a MIP)."""

_abandoned: list[tuple[threading.Thread, highspy.Highs]] = []
"""Runs given up on; kept referenced so their Highs objects live as long as their threads
(the command line then leaves with ``os._exit``, see :mod:`cbecopt.cli.run`)."""


class _WatchedRun:
    """HiGHS running in a worker thread, watched from the calling thread.

    HiGHS's interrupt callbacks stop it once the budget is asked to stop or the deadline has
    passed; its improving-solution callback keeps the latest incumbent and bound, so that the
    command line can return them even when HiGHS does not reach an interrupt point in time
    (then the run is abandoned, see :data:`ABANDON_SECONDS`). A ``KeyboardInterrupt`` reaching
    the wait (the API without the command line's signal handlers) asks the budget to stop; a
    second one propagates.
    """

    def __init__(self, highs: highspy.Highs, budget: Budget, deadline: float | None):
        self.highs = highs
        self.budget = budget
        self.deadline = deadline
        self.abandoned = False
        self.incumbent: np.ndarray | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self._stop = False
        self._done = threading.Event()
        for event in (highs.cbMipInterrupt, highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
            event.subscribe(self._interrupt)
        highs.cbMipImprovingSolution.subscribe(self._improved)

    def _interrupt(self, event) -> None:
        if self._stop or _stopped(self.budget, self.deadline):
            event.interrupt()
        if event.callback_type == highspy.cb.HighsCallbackType.kCallbackMipInterrupt:
            self._track_bound(event)

    def _improved(self, event) -> None:
        out = event.data_out
        self.incumbent = np.array(out.mip_solution, dtype=np.float64)
        self.objective = float(out.objective_function_value)
        self._track_bound(event)

    def _track_bound(self, event) -> None:
        bound = getattr(event.data_out, "mip_dual_bound", None)
        if bound is not None and np.isfinite(bound):
            self.bound = float(bound)

    def _run(self) -> None:
        try:
            self.highs.run()
        finally:
            self._done.set()

    def wait(self) -> None:
        thread = threading.Thread(target=self._run, name="highs", daemon=True)
        thread.start()
        give_up_at = None
        while True:
            try:
                if self._done.wait(POLL_SECONDS):
                    break
            except KeyboardInterrupt:
                if self.budget.stop_reason is not None:
                    _abandoned.append((thread, self.highs))
                    raise
                self.budget.request_stop("SIGINT")
            except BaseException:
                _abandoned.append((thread, self.highs))
                raise
            if give_up_at is None and _stopped(self.budget, self.deadline):
                self._stop = True
                give_up_at = time.monotonic() + ABANDON_SECONDS
            if give_up_at is not None and time.monotonic() >= give_up_at and handlers_installed():
                self.abandoned = True
                _abandoned.append((thread, self.highs))
                return
        thread.join()

    def outcome_so_far(
        self, compiled: CompiledModel, handoff: float, solve_seconds: float, relax: bool
    ) -> SolverOutcome:
        """The incumbent HiGHS last reported, for a run that did not stop in time."""
        why = self.budget.why_stopped() if self.budget.stop_reason else "time limit reached"
        termination = f"{why}; HiGHS did not stop within {ABANDON_SECONDS:g} s, its last incumbent is returned"
        info = {"model_status": "abandoned", "highs_version": self.highs.version()}
        if self.incumbent is None or relax or len(self.incumbent) != compiled.n_cols:
            return SolverOutcome(
                Status.NO_SOLUTION,
                termination,
                None,
                self.bound,
                None,
                None,
                handoff,
                solve_seconds,
                info,
            )
        gap = None if self.bound is None else _relative_gap(self.objective, self.bound)
        return SolverOutcome(
            Status.FEASIBLE,
            termination,
            self.objective,
            self.bound,
            gap,
            self.incumbent,
            handoff,
            solve_seconds,
            info,
        )


def _outcome(
    highs: highspy.Highs,
    compiled: CompiledModel,
    handoff: float,
    solve_seconds: float,
    fixed_columns: tuple[np.ndarray, np.ndarray] | None = None,
    relax: bool = False,
) -> SolverOutcome:
    model_status = highs.getModelStatus()
    name = model_status.name
    info = highs.getInfo()
    termination = highs.modelStatusToString(model_status)
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    is_mip = compiled.n_integer > 0 and not relax
    details = {
        "mip_nodes": int(info.mip_node_count) if is_mip else 0,
        "simplex_iterations": int(info.simplex_iteration_count),
        "highs_version": highs.version(),
        "model_status": name,
    }

    if name == "kUnboundedOrInfeasible":
        name = "kUnbounded" if _is_feasible(compiled, fixed_columns, relax) else "kInfeasible"
    if name in ("kOptimal", "kModelEmpty"):
        status = Status.OPTIMAL
    elif name == "kInfeasible":
        status = Status.INFEASIBLE
    elif name == "kUnbounded":
        status = Status.UNBOUNDED
    elif name in _LIMITS:
        status = Status.FEASIBLE if has_primal else Status.NO_SOLUTION
    else:
        status = Status.ERROR
    values = None
    objective = bound = gap = None
    if status in (Status.OPTIMAL, Status.FEASIBLE) and (has_primal or name == "kModelEmpty"):
        values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
        objective = float(info.objective_function_value)
        if is_mip:
            bound = float(info.mip_dual_bound)
            gap = _relative_gap(objective, bound)
        elif status == Status.OPTIMAL:
            bound, gap = objective, 0.0
    elif status == Status.OPTIMAL:
        status = Status.ERROR
    return SolverOutcome(
        status, termination, objective, bound, gap, values, handoff, solve_seconds, details
    )


def _relative_gap(objective: float, bound: float) -> float | None:
    """|objective - bound| / max(|objective|, tiny): HiGHS's own definition of the MIP gap."""
    if not np.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff == 0:
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _is_feasible(
    compiled: CompiledModel,
    fixed_columns: tuple[np.ndarray, np.ndarray] | None = None,
    relax: bool = False,
) -> bool:
    """Tell infeasible from unbounded: solve with a zero objective and presolve off."""
    highs = new_highs()
    highs.setOptionValue("presolve", "off")
    compiled.pass_to(highs, fixed_columns, relax)
    highs.changeColsCost(
        compiled.n_cols, np.arange(compiled.n_cols, dtype=np.int32), np.zeros(compiled.n_cols)
    )
    highs.run()
    return highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
