"""Two-stage stochastic programs in SMPS format (``.cor`` + ``.tim`` + ``.sto``), on the two-stage layer.

SMPS states a stochastic program as a deterministic *core* (an MPS file), a *time* file that
cuts the core's columns and rows into periods, and a *stoch* file that lists how random values
replace core values in each scenario. :func:`read_smps` reads the three files into an
:class:`SmpsProblem`, a :class:`~cbecopt.stochastic.twostage.TwoStageProblem`, so the published
SIPLIB instances (SSLP) run through the same extensive form, report and sampling as our own
models.

What is supported, and how it is read:

* ``.cor``: free-format MPS, sections ``NAME``, ``ROWS`` (N/E/L/G; the first N row is the
  objective, other N rows are ignored), ``COLUMNS`` (``'MARKER' 'INTORG'``/``'INTEND'``
  integer blocks), ``RHS`` (one set; an entry on the objective row is minus the objective
  constant), ``RANGES``, ``BOUNDS`` (UP LO FX FR MI PL BV LI UI; one set), ``OBJSENSE MIN``,
  ``ENDATA``. Two entries per line in COLUMNS/RHS/RANGES. Columns without bounds lie in
  [0, +inf), integer ones too (general integers), as in HiGHS's free-MPS reader; an integer
  column bounded to [0, 1] is binary. As in HiGHS, ``UP`` with a negative value on a column
  whose lower bound is 0 makes the lower bound -inf; values of magnitude 1e20 or more are
  infinite.
* ``.tim``: implicit form, exactly two periods (``col row period`` lines); a file with more
  periods is refused, naming how many. Stage 1 is the columns before the stage-2 start column
  and the constraint rows before the stage-2 start row, in ``.cor`` order; first-stage rows
  may hold first-stage columns only.
* ``.sto``: either ``SCENARIOS`` sections, or any number of ``INDEP`` and ``BLOCKS``
  sections (not both kinds):

  - ``SCENARIOS [DISCRETE]``: ``SC name ROOT probability [period]`` (every parent is ``ROOT``),
    then the scenario's ``column row value [row value]`` lines.
  - ``INDEP DISCRETE``: one line per value of a random element, in the standard layout
    ``column row value period probability`` (the period may be left out:
    ``column row value probability``). A right-hand side has the RHS set name in the column
    field (``RHS row value period probability``).
  - ``BLOCKS DISCRETE``: each realisation of a block is a line ``BL block period
    probability`` followed by ``column row value [row value]`` lines. The first realisation
    of a block lists every element of the block; later ones list only the values that
    differ (the others keep the first realisation's value).

  The random elements of ``INDEP`` and ``BLOCKS`` sections are independent: the scenarios
  are the Cartesian product of the elements' and blocks' realisations, with the product of
  their probabilities (at most :data:`MAX_SCENARIOS`). A section header may end in the
  modifier ``REPLACE`` (the default: the value replaces the core's), ``ADD`` (it is added to
  the core's value) or ``MULTIPLY`` (it multiplies it); only ``DISCRETE`` distributions are
  read. Random are right-hand sides, objective coefficients and matrix coefficients of stage
  2, and the cost of a first-stage column (it enters the scenario's cost, so the extensive
  form prices it at its mean); the period named must be the second one.

Probabilities: those of each distribution (the scenarios', each ``INDEP`` element's, each
block's) must sum to 1 within :data:`PROBABILITY_TOLERANCE` (1e-3) and are used as written:
the SIPLIB files round them to 6 decimals and their known optima are computed with the
rounded values. A sum further than 1e-9 from 1 is used with a warning on the ``cbecopt``
logger giving the sum; ``read_smps(..., normalize_probabilities=True)`` (the command line's
``--normalize-probabilities``) rescales each distribution to sum to 1 instead. Every problem
in a file raises :class:`~cbecopt.errors.InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.labelled import Terms, VarFamily, add_rows, add_var_family, terms
from cbecopt.readers.smps_core import (
    INFINITE_BOUND,
    Core,
    Stages,
    fail,
    read_core,
    read_time,
    row_bounds,
)
from cbecopt.readers.smps_stoch import (
    EXACT_TOLERANCE,
    MAX_SCENARIOS,
    PROBABILITY_TOLERANCE,
    SmpsScenario,
    read_stoch,
)
from cbecopt.stochastic.twostage import FirstStage, RiskOptions

__all__ = [
    "EXACT_TOLERANCE",
    "INFINITE_BOUND",
    "MAX_SCENARIOS",
    "PROBABILITY_TOLERANCE",
    "SmpsConfig",
    "SmpsProblem",
    "SmpsScenario",
    "SmpsSize",
    "extract_smps",
    "read_smps",
]

_CORE_SUFFIXES = (".cor", ".core", ".mps")
_TIME_SUFFIXES = (".tim", ".time")
_STOCH_SUFFIXES = (".sto", ".stoch")


@dataclass(frozen=True)
class SmpsConfig:
    """The options of the ``smps`` model: the mean-CVaR weight and level of the objective
    (risk-neutral by default). What the files say is read by :func:`read_smps` (with its
    ``normalize_probabilities``), not set here."""

    risk: RiskOptions = field(default_factory=RiskOptions)


@dataclass(frozen=True)
class SmpsSize:
    """How big the problem is: per stage, and the extensive form over all scenarios."""

    first_stage_columns: int
    first_stage_rows: int
    second_stage_columns: int
    second_stage_rows: int
    integer_columns: int
    scenarios: int

    @property
    def extensive_columns(self) -> int:
        return self.first_stage_columns + self.scenarios * self.second_stage_columns

    @property
    def extensive_rows(self) -> int:
        return self.first_stage_rows + self.scenarios * self.second_stage_rows

    def __str__(self) -> str:
        return (
            f"{self.scenarios} scenarios; stage 1: {self.first_stage_columns} columns, "
            f"{self.first_stage_rows} rows; stage 2: {self.second_stage_columns} columns, "
            f"{self.second_stage_rows} rows per scenario; {self.integer_columns} integer "
            f"columns in the core; extensive form: {self.extensive_columns} columns, "
            f"{self.extensive_rows} rows"
        )


@dataclass(frozen=True)
class _Columns:
    """One stage's columns as Pyomo wants them: a domain (one, or one per key) and own bounds."""

    names: tuple[str, ...]
    domain: object
    upper: np.ndarray
    lower_at: np.ndarray
    lower: np.ndarray

    @classmethod
    def of(cls, names: list[str], integer: np.ndarray, lower: np.ndarray, upper: np.ndarray):
        """Binary for integer [0, 1]; non-negative domains where the lower bound is >= 0.

        Bounds the domain already implies are not set on each variable (a million setlb
        calls would dominate the build).
        """
        binary = integer & (lower == 0) & (upper == 1)
        nonneg = lower >= 0
        domains = np.where(
            binary,
            0,
            np.where(integer, np.where(nonneg, 1, 2), np.where(nonneg, 3, 4)),
        )
        table = (pyo.Binary, pyo.NonNegativeIntegers, pyo.Integers, pyo.NonNegativeReals, pyo.Reals)
        kinds = np.unique(domains)
        domain: object = table[kinds[0]] if len(kinds) == 1 else None
        if domain is None:
            domain = {n: table[d] for n, d in zip(names, domains.tolist(), strict=True)}
        own_upper = np.where(binary, math.inf, upper)
        lower_at = np.flatnonzero(~binary & np.isfinite(lower) & (lower != 0))
        return cls(tuple(names), domain, own_upper, lower_at, lower[lower_at])

    def add(self, block: pyo.Block, name: str, doc: str) -> VarFamily:
        family = add_var_family(
            block, name, self.names, domain=self.domain, upper=self.upper, doc=doc
        )
        family.set_bounds(self.lower_at, lower=self.lower)
        return family


class SmpsProblem:
    """A two-stage stochastic program read from SMPS, as a :class:`TwoStageProblem`.

    The extensive form is ``min c x + sum_s p_s q_s y_s`` subject to the stage-1 rows
    ``A x`` (within their bounds) and, per scenario, ``T_s x + W_s y_s`` within the
    scenario's row bounds; columns keep their MPS bounds and integrality. Variables are the
    families ``first_stage`` (keyed by column name) and, per scenario block, ``second_stage``.

    Attributes
    ----------
    name : the file stem (``sslp_5_25_50``).
    first_stage_names, second_stage_names : column names per stage, in family order.
    first_stage_rows, second_stage_rows : constraint row names per stage.
    periods : the two period names of the ``.tim`` file.
    load_seconds : the seconds :func:`read_smps` took to read the files (as
        :attr:`cbecopt.Instance.load_seconds`: part of the result's timings).
    """

    key = "smps"
    """The model key, the name of the block the problem builds on."""

    def __init__(
        self,
        name: str,
        core: Core,
        stages: Stages,
        scenarios: list[tuple[str, float, SmpsScenario]],
        load_seconds: float = 0.0,
    ):
        self.name = name
        self.load_seconds = load_seconds
        self.periods = stages.periods
        self._core = core
        self._scenarios = scenarios
        c2, r2 = stages.first_column, stages.first_row
        self._c2, self._r2 = c2, r2
        self.first_stage_names = tuple(core.col_names[:c2])
        self.second_stage_names = tuple(core.col_names[c2:])
        self.first_stage_rows = tuple(core.row_names[:r2])
        self.second_stage_rows = tuple(core.row_names[r2:])
        first_row = core.a_row < r2
        wrong = np.flatnonzero(first_row & (core.a_col >= c2))
        if len(wrong):
            k = wrong[0]
            message = (
                f"stage-1 row '{core.row_names[core.a_row[k]]}' has an entry in stage-2 column "
                f"'{core.col_names[core.a_col[k]]}': not a two-stage problem"
            )
            fail(core.file, message, int(core.a_line[k]), "row")
        self._a1 = (core.a_row[first_row], core.a_col[first_row], core.a_val[first_row])
        self._a2 = (core.a_row[~first_row] - r2, core.a_col[~first_row], core.a_val[~first_row])
        self._a2_position = {
            (int(r), int(c)): k for k, (r, c) in enumerate(zip(*self._a2[:2], strict=True))
        }
        self._columns1 = _Columns.of(
            core.col_names[:c2], core.integer[:c2], core.lower[:c2], core.upper[:c2]
        )
        self._columns2 = _Columns.of(
            core.col_names[c2:], core.integer[c2:], core.lower[c2:], core.upper[c2:]
        )

    @property
    def size(self) -> SmpsSize:
        return SmpsSize(
            len(self.first_stage_names),
            len(self.first_stage_rows),
            len(self.second_stage_names),
            len(self.second_stage_rows),
            int(self._core.integer.sum()),
            len(self._scenarios),
        )

    def scenarios(self) -> list[tuple[str, float, SmpsScenario]]:
        """(name, probability, data) of every scenario: the probabilities as in the file (products
        of them for INDEP and BLOCKS), or rescaled with ``normalize_probabilities``."""
        return list(self._scenarios)

    def with_scenarios(self, scenarios: list[tuple[str, float, SmpsScenario]]) -> SmpsProblem:
        """The same core over other scenarios (e.g. a sample of the file's, for SAA)."""
        other = copy.copy(self)
        other._scenarios = list(scenarios)
        return other

    def expected_scenario(self) -> SmpsScenario:
        """Every random value at its probability-weighted mean (weights divided by their sum).

        A scenario that does not change a value contributes the core value.
        """
        total = sum(p for _, p, _ in self._scenarios)
        sums: dict[tuple, float] = {}
        for _, p, data in self._scenarios:
            for key, value in data.values().items():
                sums[key] = sums.get(key, 0.0) + p * (value - self._core.value(key))
        mean = {key: self._core.value(key) + s / total for key, s in sums.items()}
        return SmpsScenario.from_values(mean)

    def build_first_stage(self, m: pyo.Block) -> FirstStage:
        """The stage-1 columns ``first_stage`` and rows ``first_stage_rows``; cost ``c x``."""
        core, c2 = self._core, self._c2
        x = self._columns1.add(m, "first_stage", "x: the stage-1 columns of the .cor file")
        row, col, val = (a[self._a1[2] != 0] for a in self._a1)
        if self.first_stage_rows:
            lower, upper = row_bounds(
                core.row_type[: self._r2], core.rhs[: self._r2], core.ranges[: self._r2]
            )
            add_rows(
                m,
                "first_stage_rows",
                self.first_stage_rows,
                [terms(x, row, col, val)],
                lower,
                upper,
            )
        costly = np.flatnonzero(core.cost[:c2])
        cost = [terms(x, 0, costly, core.cost[:c2][costly])]
        if core.objective_constant:
            one = add_var_family(
                m, "objective_constant", ["one"], domain=pyo.Reals, upper=np.ones(1)
            )
            one.set_bounds([0], lower=1.0)
            cost.append(terms(one, 0, [0], core.objective_constant))
        return FirstStage((x,), tuple(cost))

    def build_second_stage(
        self, block: pyo.Block, scenario: SmpsScenario, first: FirstStage
    ) -> tuple[Terms, ...]:
        """One scenario's ``second_stage`` columns and ``second_stage_rows`` ``T x + W y``.

        Returns the scenario's cost ``q y``, plus ``(c_s - c) x`` when the scenario changes the
        cost of a stage-1 column.
        """
        core, c2, r2 = self._core, self._c2, self._r2
        x = first.families[0]
        y = self._columns2.add(block, "second_stage", "y: the stage-2 columns of the .cor file")
        row, col, val = self._a2
        if len(scenario.coef):
            val = val.copy()
            new_row, new_col, new_val = [], [], []
            for r, c, v in zip(
                (scenario.coef_rows - r2).tolist(),
                scenario.coef_columns.tolist(),
                scenario.coef.tolist(),
                strict=True,
            ):
                k = self._a2_position.get((r, c))
                if k is None:
                    new_row.append(r)
                    new_col.append(c)
                    new_val.append(v)
                else:
                    val[k] = v
            row = np.concatenate([row, np.array(new_row, np.int64)])
            col = np.concatenate([col, np.array(new_col, np.int64)])
            val = np.concatenate([val, np.array(new_val, float)])
        rhs = core.rhs[r2:]
        if len(scenario.rhs):
            rhs = rhs.copy()
            rhs[scenario.rhs_rows - r2] = scenario.rhs
        if self.second_stage_rows:
            lower, upper = row_bounds(core.row_type[r2:], rhs, core.ranges[r2:])
            in_first, in_second = (col < c2) & (val != 0), (col >= c2) & (val != 0)
            parts = [
                terms(x, row[in_first], col[in_first], val[in_first]),
                terms(y, row[in_second], col[in_second] - c2, val[in_second]),
            ]
            add_rows(block, "second_stage_rows", self.second_stage_rows, parts, lower, upper)
        cost = core.cost.copy()
        cost[scenario.cost_columns] = scenario.cost
        q = cost[c2:]
        costly = np.flatnonzero(q)
        out = [terms(y, 0, costly, q[costly])]
        delta = cost[:c2] - core.cost[:c2]
        changed = np.flatnonzero(delta)
        if len(changed):
            out.append(terms(x, 0, changed, delta[changed]))
        return tuple(out)


def _beside(core: Path, suffixes: tuple[str, ...], what: str) -> Path:
    for suffix in suffixes:
        for candidate in (core.with_suffix(suffix), core.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    expected = core.with_suffix(suffixes[0]).name
    message = f"not found: the SMPS {what} file must sit beside {core.name} with the same stem"
    fail(expected, message)


def read_smps(path: str | Path, *, normalize_probabilities: bool = False) -> SmpsProblem:
    """Read a two-stage SMPS problem from its core file and the ``.tim``/``.sto`` beside it.

    Parameters
    ----------
    path : the ``.cor`` (or ``.core``/``.mps``) file; the time and stoch files have the same
        stem and the suffix ``.tim`` (``.time``) and ``.sto`` (``.stoch``).
    normalize_probabilities : rescale each distribution's probabilities (the scenarios', each
        ``INDEP`` element's, each block's) to sum to 1. Without it they are used as written:
        a sum further than :data:`PROBABILITY_TOLERANCE` from 1 is an error, one further than
        :data:`EXACT_TOLERANCE` a warning on the ``cbecopt`` logger.

    Raises
    ------
    InputError : a missing file, or any problem in one, named by file, line and field.
    """
    started = time.perf_counter()
    path = Path(path)
    if not is_core_file(path):
        fail(path.name, "expected the SMPS core file (.cor, .core or .mps)")
    if not path.is_file():
        fail(path.name, "not found: the SMPS core file")
    time_path = _beside(path, _TIME_SUFFIXES, "time (.tim)")
    stoch_path = _beside(path, _STOCH_SUFFIXES, "stoch (.sto)")
    core = read_core(path)
    stages = read_time(time_path, core)
    scenarios = read_stoch(stoch_path, core, stages, normalize_probabilities)
    return SmpsProblem(path.stem, core, stages, scenarios, time.perf_counter() - started)


def is_core_file(path: str | Path) -> bool:
    """Whether ``path`` names an SMPS core file by its suffix (``.cor``, ``.core``, ``.mps``)."""
    return Path(path).suffix.lower() in _CORE_SUFFIXES


def extract_smps(problem: SmpsProblem, view) -> tuple[dict, dict]:
    """The first-stage decisions of a solved SMPS problem: the table ``first_stage``
    (``variable``, named as in the ``.cor`` file, and ``value``) and the KPI
    ``first_stage_nonzero``, the variables not at zero."""
    x = view.values_of(view.form.first.families[0])
    names = list(problem.first_stage_names)
    table = pd.DataFrame({"variable": names, "value": x[: len(names)]})
    nonzero = table.loc[np.abs(table["value"]) > 1e-9, "variable"].tolist()
    return {"first_stage": table}, {"first_stage_nonzero": nonzero}
