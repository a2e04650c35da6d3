"""The only module that talks to HiGHS.

It compiles a Pyomo model into HiGHS's arrays (columns, rows, objective), solves it, and
says honestly what happened: why HiGHS stopped is kept apart from what solution exists.
Array-backed families (:mod:`cbecopt.linear`) are copied in bulk through their public views;
ordinary Pyomo components go through Pyomo's public API and standard linear representation.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.opt import ProblemFormat
from pyomo.repn.standard_repn import generate_standard_repn

from cbecopt import outputs
from cbecopt.errors import OptionError
from cbecopt.limits import Budget, checkpoint, handlers_installed
from cbecopt.linear import (
    ColumnBounds,
    FamilyVar,
    LinearFamily,
    LinearObjective,
    pyomo_column,
)
from cbecopt.results import Status
from cbecopt.seeds import MAX_SEED, stream_seed

INF = highspy.kHighsInf
log = logging.getLogger(__name__)


OWNED_HIGHS_OPTIONS = {
    "mip_rel_gap": "--gap (SolveOptions.mip_rel_gap): it decides what 'optimal' means",
    "mip_abs_gap": "--gap (a relative gap): cbecopt calls a result optimal by the relative gap only",
    "time_limit": "--time-limit (SolveOptions.time_limit): it bounds the whole call",
    "threads": "--threads (SolveOptions.threads)",
    "random_seed": "--seed (SolveOptions.seed): the root of HiGHS's and every sampler's seed",
    "output_flag": "--verbose (SolveOptions.verbose)",
    "log_to_console": "--verbose (SolveOptions.verbose)",
}
"""Raw HiGHS options cbecopt sets itself, and the option to use instead."""


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
    seed : the root of every random stream of the call (:mod:`cbecopt.seeds`: the sampled
        scenarios, SAA's samples, HiGHS's ``random_seed``); the same instance, options and
        seed give the same result.
    verbose : show HiGHS's log.
    marginal_values : after a solve with a solution, fix every integer variable at its value,
        re-solve the LP and report the duals of its binding rows (the ``marginal_values``
        table of the models that offer it, :mod:`cbecopt.marginal`); within ``time_limit``.
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
    marginal_values: bool = False
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

    def in_worker(self, deadline: float | None) -> SolveOptions:
        """These options in a worker process of a call that must end by ``deadline`` (a
        :func:`time.monotonic` reading, system-wide): a budget of its own to that deadline,
        unless one already runs (the block is solved in the calling process)."""
        if self.budget is not None:
            return self
        left = None if deadline is None else deadline - time.monotonic()
        return dataclasses.replace(self, budget=Budget(left))

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
            "marginal_values": self.marginal_values,
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
    """A Pyomo model as HiGHS's arrays, plus the map back from Pyomo variables to columns.

    Rows are in CSR form (``row_start`` has one entry per row plus the total); bounds are
    ``±inf`` where there is none.
    """

    offsets: dict[int, int]
    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_start: np.ndarray
    row_index: np.ndarray
    row_value: np.ndarray
    integer_columns: np.ndarray
    objective_constant: float
    maximize: bool = False
    row_owners: tuple[RowOwner, ...] = ()

    @property
    def n_cols(self) -> int:
        return len(self.col_cost)

    def objective_of(self, values: np.ndarray) -> float:
        """The objective of a plan (one value per column), constant included."""
        return float(self.col_cost @ values) + self.objective_constant

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def nonzeros(self) -> int:
        return len(self.row_index)

    @property
    def n_integer(self) -> int:
        return len(self.integer_columns)

    def size(self) -> dict[str, int]:
        """The size ``Result.size`` reports: variables, integer variables, constraints and
        nonzeros."""
        return {
            "variables": self.n_cols,
            "integer_variables": self.n_integer,
            "constraints": self.n_rows,
            "nonzeros": self.nonzeros,
        }

    @property
    def lp(self) -> highspy.HighsLp:
        """The same model as a HighsLp object (copies of the arrays, integrality left out)."""
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = self.col_cost, self.col_lower, self.col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.offset_ = self.objective_constant
        if self.maximize:
            lp.sense_ = highspy.ObjSense.kMaximize
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = self.n_cols, self.n_rows
        lp.a_matrix_.start_ = self.row_start
        lp.a_matrix_.index_ = self.row_index
        lp.a_matrix_.value_ = self.row_value
        return lp

    def pass_to(
        self,
        highs: highspy.Highs,
        fixed_columns: tuple[np.ndarray, np.ndarray] | None = None,
        relax: bool = False,
    ) -> None:
        """Load the model into a Highs object, the arrays passed as they are.

        ``fixed_columns`` (columns, values) fixes those columns, integer ones rounded, and frees
        the rows that contain nothing but fixed columns: a plan being evaluated (a first stage
        found on other scenarios) is judged by what follows from it, not re-checked against
        constraints among its own decisions, whose data (a big-M from a sample) may differ.
        ``relax`` leaves integer columns continuous (the LP relaxation).
        """
        integrality = np.zeros(self.n_cols, np.int32)
        if not relax:
            integrality[self.integer_columns] = highspy.HighsVarType.kInteger.value
        sense = highspy.ObjSense.kMaximize if self.maximize else highspy.ObjSense.kMinimize
        highs.passModel(
            self.n_cols,
            self.n_rows,
            self.nonzeros,
            highspy.MatrixFormat.kRowwise.value,
            sense.value,
            self.objective_constant,
            self.col_cost,
            self.col_lower,
            self.col_upper,
            self.row_lower,
            self.row_upper,
            self.row_start[:-1],
            self.row_index,
            self.row_value,
            integrality,
        )
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
        start = self.row_start
        outside = ~np.isin(self.row_index, columns)
        row_of = np.repeat(np.arange(self.n_rows), np.diff(start))
        counts = np.bincount(row_of[outside], minlength=self.n_rows)
        nonempty = np.diff(start) > 0
        return np.flatnonzero((counts == 0) & nonempty).astype(np.int32)

    def column_offset(self, var: pyo.Var) -> int:
        """First column of an indexed variable (its keys follow in insertion order)."""
        return self.offsets[id(var)]


@dataclass(frozen=True)
class RowOwner:
    """The constraint component rows ``start ..`` of a compiled model come from, and which of
    its rows they are (positions among its rows; ``None``: all of them, in order)."""

    component: Any
    start: int
    positions: np.ndarray | None


@dataclass
class SolverOutcome:
    """What HiGHS did: status, numbers and the primal values (``None`` when no solution exists);
    with ``duals`` asked of an LP solved to optimality, each row's dual value (the derivative
    of the objective by the row's active bound, HiGHS's sign) and activity."""

    status: Status
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    values: np.ndarray | None
    handoff_seconds: float
    solve_seconds: float
    info: dict[str, Any]
    row_duals: np.ndarray | None = None
    row_activity: np.ndarray | None = None

    def values_of(self, compiled: CompiledModel, var: pyo.Var) -> np.ndarray:
        """Values of an indexed variable's entries, in its key order."""
        start = compiled.column_offset(var)
        return self.values[start : start + len(var)]


def compile_model(model: pyo.Block) -> CompiledModel:
    """Turn the model's active variables, constraints and objective into a HighsLp.

    Our array-backed components are read through their public views (a variable family's
    :meth:`~cbecopt.linear.FamilyVar.bounds_view`, a linear family's
    :meth:`~cbecopt.linear.LinearFamily.matrix`, a linear objective's
    :meth:`~cbecopt.linear.LinearObjective.terms`); ordinary Pyomo variables, constraints and
    objectives through Pyomo's public API and its standard linear representation.
    """
    checkpoint()  # a watched handoff (cbecopt.limits.watched) stops once its budget expired
    with PauseGC():
        columns = _Columns(model)
        components = list(model.component_objects(pyo.Constraint, active=True, descend_into=True))
        rows = [_rows(con, columns) for con in components]
        objective = _active_objective(model)
        cost = np.zeros(columns.n)
        constant = 0.0 if objective is None else _objective_into(objective, columns, cost)

        counts = [np.diff(r.indptr) for r in rows]
        row_start = np.zeros(sum(len(c) for c in counts) + 1, np.int64)
        if counts:
            np.cumsum(np.concatenate(counts), out=row_start[1:])
        starts = np.cumsum([0, *(len(c) for c in counts)])
        owners = tuple(
            RowOwner(con, int(start), r.positions)
            for con, start, r in zip(components, starts[:-1], rows, strict=True)
        )
    return CompiledModel(
        offsets=columns.offsets,
        col_cost=cost,
        col_lower=columns.lower,
        col_upper=columns.upper,
        row_lower=_joined([r.lower for r in rows], np.float64),
        row_upper=_joined([r.upper for r in rows], np.float64),
        row_start=row_start.astype(np.int32),
        row_index=_joined([r.columns for r in rows], np.int32),
        row_value=_joined([r.coefficients for r in rows], np.float64),
        integer_columns=np.flatnonzero(columns.integer).astype(np.int32),
        objective_constant=constant,
        maximize=objective is not None and objective.sense == pyo.maximize,
        row_owners=owners,
    )


def _rows(con, columns: _Columns) -> _Rows:
    """One constraint component's rows; a watched handoff stops here once its budget expired."""
    checkpoint()
    return (
        _family_rows(con, columns) if isinstance(con, LinearFamily) else _pyomo_rows(con, columns)
    )


def write_model(model: pyo.Block, target: str | Path) -> Path:
    """Write ``model`` through Pyomo's own writer, in the format of the suffix (``.lp`` or
    ``.mps``), with Pyomo's names of the variables and constraints.

    The file is a cbecopt output (:func:`cbecopt.outputs.write_model_file`): written atomically,
    never over a file cbecopt did not write; a failing disk is an
    :class:`~cbecopt.outputs.OutputRefused` naming the file.
    """
    target = Path(target)
    fmt = {"lp": ProblemFormat.cpxlp, "mps": ProblemFormat.mps}[outputs.model_format(target)]
    try:
        return outputs.write_model_file(
            target,
            lambda path: model.write(
                str(path), format=fmt, io_options={"symbolic_solver_labels": True}
            ),
        )
    except OSError as exc:
        raise outputs.OutputRefused(
            f"could not write the model to {target}: {exc.strerror or exc}"
        ) from None


def _joined(arrays: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype)


@dataclass(frozen=True)
class _Rows:
    """Rows in CSR form over the model's global columns; ``±inf`` for no bound."""

    indptr: np.ndarray
    columns: np.ndarray
    coefficients: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    positions: np.ndarray | None = None  # which of the component's rows (None: all)


class _Columns:
    """The model's active variables as columns: each component's first column, the columns'
    bounds and integrality, and the column of any one variable."""

    def __init__(self, model: pyo.Block):
        self.offsets: dict[int, int] = {}
        self._components = []
        lower, upper, integer = [], [], []
        self.n = 0
        for comp in model.component_objects(pyo.Var, active=True, descend_into=True):
            self.offsets[id(comp)] = self.n
            self._components.append(comp)
            view = (
                comp.bounds_view()
                if isinstance(comp, FamilyVar)
                else _pyomo_bounds(list(comp.values()))
            )
            lower.append(view.lower)
            upper.append(view.upper)
            integer.append(view.integer)
            self.n += len(view.lower)
        self.lower = _joined(lower, np.float64)
        self.upper = _joined(upper, np.float64)
        self.integer = _joined(integer, bool)
        self._lookup: dict[int, int] | None = None

    def of_families(self, families) -> np.ndarray:
        """Global column of each local column of a view whose columns count through
        ``families`` in order."""
        if not families:
            return np.zeros(0, np.int64)
        return np.concatenate(
            [np.arange(len(f), dtype=np.int64) + self.offsets[id(f)] for f in families]
        )

    def of(self, var) -> int:
        """The column of one Pyomo variable."""
        if self._lookup is None:
            self._lookup = {
                id(v): self.offsets[id(comp)] + k
                for comp in self._components
                for k, v in enumerate(comp.values())
            }
        return self._lookup[id(var)]


def _pyomo_bounds(data: list) -> ColumnBounds:
    columns = [pyomo_column(v) for v in data]
    return ColumnBounds(
        np.array([c[0] for c in columns], np.float64),
        np.array([c[1] for c in columns], np.float64),
        np.array([c[2] for c in columns], bool),
    )


def _family_rows(con: LinearFamily, columns: _Columns) -> _Rows:
    """A linear family's rows through its matrix view, columns mapped to the model's."""
    matrix = con.matrix()
    mapped = columns.of_families(matrix.families)[matrix.columns]
    if matrix.active.all():
        return _Rows(matrix.indptr, mapped, matrix.coefficients, matrix.lower, matrix.upper)
    keep = np.flatnonzero(matrix.active)
    counts = np.diff(matrix.indptr)
    entries = np.repeat(matrix.active, counts)
    indptr = np.zeros(len(keep) + 1, np.int64)
    np.cumsum(counts[keep], out=indptr[1:])
    return _Rows(
        indptr,
        mapped[entries],
        matrix.coefficients[entries],
        matrix.lower[keep],
        matrix.upper[keep],
        keep,
    )


def _pyomo_rows(con, columns: _Columns) -> _Rows:
    """Rows of an ordinary Pyomo constraint, through Pyomo's standard linear representation."""
    indptr, index, value, lower, upper, kept = [0], [], [], [], [], []
    for position, data in enumerate(con.values()):
        if not data.active:
            continue
        kept.append(position)
        repn = generate_standard_repn(data.body, compute_values=True, quadratic=False)
        if not repn.is_linear():
            raise ValueError(
                f"constraint {data.name} is not linear; HiGHS models here must be linear"
            )
        for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            index.append(columns.of(v))
            value.append(c)
        indptr.append(len(index))
        lb, ub = data.lb, data.ub
        lower.append(-INF if lb is None else lb - repn.constant)
        upper.append(INF if ub is None else ub - repn.constant)
    return _Rows(
        np.asarray(indptr, np.int64),
        np.asarray(index, np.int64),
        np.asarray(value, np.float64),
        np.asarray(lower, np.float64),
        np.asarray(upper, np.float64),
        None if len(kept) == len(con) else np.asarray(kept, np.int64),
    )


def _active_objective(model: pyo.Block):
    objectives = list(model.component_data_objects(pyo.Objective, active=True, descend_into=True))
    if len(objectives) > 1:
        raise ValueError(
            f"the model has {len(objectives)} active objectives; deactivate all but one"
        )
    return objectives[0] if objectives else None


def _objective_into(objective, columns: _Columns, cost: np.ndarray) -> float:
    """Add the objective's coefficients into ``cost``; return its constant."""
    if isinstance(objective, LinearObjective):
        terms = objective.terms()
        np.add.at(cost, columns.of_families(terms.families)[terms.columns], terms.coefficients)
        return terms.constant
    repn = generate_standard_repn(objective.expr, compute_values=True, quadratic=False)
    if not repn.is_linear():
        raise ValueError(f"objective {objective.name} is not linear")
    at = np.asarray([columns.of(v) for v in repn.linear_vars], dtype=np.int64)
    np.add.at(cost, at, np.asarray(repn.linear_coefs, dtype=np.float64))
    return float(repn.constant)


_banner_shown = False
_scheduler_threads: int | None | str = "not started"


def use_threads(highs: highspy.Highs, threads: int | None) -> None:
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
    duals: bool = False,
    start: np.ndarray | None = None,
) -> SolverOutcome:
    """Hand the arrays to HiGHS, solve within the budget, and classify the outcome.

    The solve ends by ``deadline`` (a :func:`time.monotonic` reading, e.g. a share of the
    budget) or the budget's own deadline, whichever comes first, or when the budget is asked
    to stop (Ctrl-C, SIGTERM): HiGHS then returns its incumbent, classified ``feasible`` with
    its bound and gap (``no_solution`` without one). ``fixed_columns`` (columns, values) holds
    those columns at the values given (integer columns rounded), e.g. first-stage decisions
    evaluated on other scenarios. ``relax`` solves the LP relaxation (a lower bound).
    ``duals`` (an LP: ``relax`` or every integer column fixed) reads each row's dual value and
    activity into the outcome when HiGHS proves the LP optimal. ``start`` (a value per column)
    is a plan a MIP starts from: HiGHS's first incumbent when feasible, ignored otherwise.
    """
    options = options.begin()
    budget = options.budget
    deadline = _earliest(deadline, budget.deadline)
    began = time.perf_counter()
    if _stopped(budget, deadline):
        return _not_started(budget, 0.0)
    highs = new_highs()
    highs.setOptionValue("output_flag", bool(options.verbose))
    highs.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    highs.setOptionValue("random_seed", stream_seed(options.seed, "highs"))
    use_threads(highs, options.threads)
    for key, value in options.highs_options.items():
        highs.setOptionValue(key, value)  # checked when the options were made
    compiled.pass_to(highs, fixed_columns, relax)
    if start is not None:
        plan = highspy.HighsSolution()
        plan.col_value = np.asarray(start, float)
        plan.value_valid = True
        highs.setSolution(plan)
    handoff = time.perf_counter() - began
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
    if duals and outcome.status == Status.OPTIMAL:
        solution = highs.getSolution()
        if solution.dual_valid:
            outcome.row_duals = np.asarray(solution.row_dual, dtype=np.float64)
            outcome.row_activity = np.asarray(solution.row_value, dtype=np.float64)
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
PROGRESS_SECONDS = 1.0
"""How often a running HiGHS solve logs its progress (from the first second on)."""
ABANDON_SECONDS = 0.5
"""After a stop request or the deadline, how long HiGHS gets to return before the command line
gives up on it (HiGHS cannot be interrupted inside some phases, e.g. the root LP of a MIP)."""

_abandoned: list[tuple[threading.Thread, highspy.Highs]] = []
"""Runs given up on; kept referenced so their Highs objects live as long as their threads
(the command line then leaves with ``os._exit``, see :mod:`cbecopt.cli.run`)."""


def abandoned_runs() -> int:
    """How many HiGHS runs were given up on and may still be running (and writing their log
    to this process's stdout, with ``--verbose``)."""
    return len(_abandoned)


class _WatchedRun:
    """HiGHS running in a worker thread, watched from the calling thread.

    HiGHS's interrupt callbacks stop it once the budget is asked to stop or the deadline has
    passed; its improving-solution callback keeps the latest incumbent and bound, so that the
    command line can return them even when HiGHS does not reach an interrupt point in time
    (then the run is abandoned, see :data:`ABANDON_SECONDS`). A ``KeyboardInterrupt`` reaching
    the wait (the API without the command line's signal handlers) asks the budget to stop; a
    second one propagates. Every :data:`PROGRESS_SECONDS` the waiting thread logs where the
    run is (:meth:`progress`, an INFO record of ``cbecopt.highs`` marked ``highs_progress``):
    the command line shows it live on a terminal and as steady lines in pipes and logs.
    """

    def __init__(self, highs: highspy.Highs, budget: Budget, deadline: float | None):
        self.highs = highs
        self.budget = budget
        self.deadline = deadline
        self.abandoned = False
        self.incumbent: np.ndarray | None = None
        self.objective: float | None = None
        self.bound: float | None = None
        self.nodes: int | None = None
        self.iterations = ""
        self._stop = False
        self._done = threading.Event()
        self._started = time.monotonic()
        for event in (highs.cbMipInterrupt, highs.cbSimplexInterrupt, highs.cbIpmInterrupt):
            event.subscribe(self._interrupt)
        highs.cbMipImprovingSolution.subscribe(self._improved)

    def _interrupt(self, event) -> None:
        if self._stop or _stopped(self.budget, self.deadline):
            event.interrupt()
        kind = event.callback_type
        if kind == highspy.cb.HighsCallbackType.kCallbackMipInterrupt:
            self._track_bound(event)
            self.nodes = int(event.data_out.mip_node_count)
        elif kind == highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt:
            self.iterations = f"{event.data_out.simplex_iteration_count:,} simplex iterations"
        elif kind == highspy.cb.HighsCallbackType.kCallbackIpmInterrupt:
            self.iterations = f"{event.data_out.ipm_iteration_count:,} interior-point iterations"

    def _improved(self, event) -> None:
        out = event.data_out
        self.incumbent = np.array(out.mip_solution, dtype=np.float64)
        self.objective = float(out.objective_function_value)
        self._track_bound(event)

    def _track_bound(self, event) -> None:
        bound = getattr(event.data_out, "mip_dual_bound", None)
        if bound is not None and np.isfinite(bound):
            self.bound = float(bound)

    def progress(self) -> str:
        """Where the run is: seconds, incumbent, bound, gap and nodes of a MIP once HiGHS has
        reported them (it reports nothing while it solves the root LP relaxation)."""
        seconds = f"HiGHS {time.monotonic() - self._started:.0f} s"
        if self.nodes is None:  # an LP (whose solvers report iterations) or a MIP's root LP
            return f"{seconds}: solving an LP, {self.iterations or 'no progress reported yet'}"
        bound = "no bound yet" if self.bound is None else f"bound {self.bound:,.2f}"
        if self.objective is None:
            return f"{seconds}: no incumbent yet, {bound}, {self.nodes:,} nodes"
        gap = "" if self.bound is None else f", gap {relative_gap(self.objective, self.bound):.2%}"
        return f"{seconds}: incumbent {self.objective:,.2f}, {bound}{gap}, {self.nodes:,} nodes"

    def _report(self) -> None:
        log.info("%s", self.progress(), extra={"highs_progress": True})

    def _run(self) -> None:
        try:
            self.highs.run()
        finally:
            self._done.set()

    def wait(self) -> None:
        thread = threading.Thread(target=self._run, name="highs", daemon=True)
        thread.start()
        give_up_at = None
        report_at = time.monotonic() + PROGRESS_SECONDS
        while True:
            try:
                if self._done.wait(POLL_SECONDS):
                    break
                if time.monotonic() >= report_at:
                    self._report()
                    report_at += PROGRESS_SECONDS
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
        gap = None if self.bound is None else relative_gap(self.objective, self.bound)
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
            gap = relative_gap(objective, bound)
        elif status == Status.OPTIMAL:
            bound, gap = objective, 0.0
    elif status == Status.OPTIMAL:
        status = Status.ERROR
    return SolverOutcome(
        status, termination, objective, bound, gap, values, handoff, solve_seconds, details
    )


def relative_gap(objective: float, bound: float) -> float | None:
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
