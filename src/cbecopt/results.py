"""Results: an honest status, the numbers, timings, and tidy tables.

``Status`` says what solution exists; ``termination`` (HiGHS's own words) says why the solver
stopped. A result is never "optimal" unless HiGHS proved it within the requested gap.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from cbecopt import outputs
from cbecopt.errors import OptionError
from cbecopt.workbook_style import style_workbook


class Status(StrEnum):
    """What the solve produced."""

    OPTIMAL = "optimal"
    """HiGHS proved optimality (within the relative MIP gap asked for)."""
    FEASIBLE = "feasible"
    """A limit stopped HiGHS; the incumbent is returned with its bound and gap."""
    INFEASIBLE = "infeasible"
    """No solution exists; see ``Result.diagnosis``."""
    UNBOUNDED = "unbounded"
    """The objective can improve without limit."""
    NO_SOLUTION = "no_solution"
    """A limit stopped HiGHS before any solution was found."""
    ERROR = "error"
    """HiGHS failed; ``termination`` says how."""

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


TIMING_KEYS = ("load", "build", "handoff", "solve", "extract", "total")


@dataclass
class Result:
    """The outcome of solving one instance with one model.

    Attributes
    ----------
    model, instance : which model on which instance.
    status : see :class:`Status`.
    termination : why the solver stopped, in HiGHS's words.
    objective, bound, gap : the incumbent's objective, the proven bound and the relative gap
        (``None`` where they do not exist).
    timings : seconds for load, build, handoff, solve, extract and total.
    tables : tidy DataFrames, by name (each model documents its tables).
    kpis : headline numbers (cost split, number open, ...).
    diagnosis : for infeasible or unbounded results, causes a person can act on.
    warnings : what the instance holds that the model does not read (documented columns it
        does not use, columns cbecopt does not know), so nothing is ignored silently.
    size : variables, integer variables, constraints and nonzeros of the model solved.
    options : the solve options used.
    solver : solver name, version and counters.
    reports : further analyses by name (e.g. ``stochastic``: RP, EV, EEV, WS, EVPI, VSS), each
        a JSON-ready dict written as a top-level key of ``result.json``.
    """

    model: str
    instance: str
    status: Status
    termination: str = ""
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    timings: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    kpis: dict[str, Any] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    size: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """A solution is returned (optimal or feasible)."""
        return self.status.has_solution

    def table(self, name: str) -> pd.DataFrame:
        """The result table ``name`` (each model documents its tables); a ``KeyError`` that
        lists the tables there are when it is missing (a result without a solution has none)."""
        try:
            return self.tables[name]
        except KeyError:
            there = ", ".join(sorted(self.tables)) or "none"
            raise KeyError(f"{self.model} result has no table {name!r} (tables: {there})") from None

    def to_dict(self) -> dict[str, Any]:
        """Everything but the tables, as plain JSON-ready values."""
        return {
            "status": self.status.value,
            "objective": _number(self.objective),
            "bound": _number(self.bound),
            "gap": _number(self.gap),
            "model": self.model,
            "instance": self.instance,
            "termination": self.termination,
            "timings": {k: round(v, 6) for k, v in self.timings.items()},
            "kpis": _plain(self.kpis),
            "diagnosis": list(self.diagnosis),
            "warnings": list(self.warnings),
            "size": dict(self.size),
            "options": _plain(self.options),
            "solver": _plain(self.solver),
            "tables": sorted(self.tables),
            **{name: _plain(report) for name, report in self.reports.items()},
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def to_dir(self, target: str | Path, figures: dict[str, Any] | None = None) -> Path:
        """Write ``result.json`` and one CSV per table into the folder ``target``, as one result,
        with ``figures`` (file name: a function writing it to a path, e.g. ``map.png``).

        Only cbecopt's files are touched: ``result.json`` lists what it wrote (its ``manifest``:
        file names with their SHA-256); an earlier cbecopt result there is replaced whole, any
        other file is left alone, and a same-named file cbecopt did not write is refused
        (:class:`cbecopt.outputs.OutputRefused`). See :mod:`cbecopt.outputs`.
        """
        files = {f"{name}.csv": outputs.csv_file(t) for name, t in self.tables.items()}
        files |= figures or {}
        return outputs.write_folder(target, files, outputs.RESULT_FILE, self.to_dict())

    def to_workbook(self, target: str | Path) -> Path:
        """Write one ``.xlsx`` workbook, atomically: a ``summary`` sheet (status, objective,
        bound, gap, timings, KPIs and options as key/value rows, and a chart of the cost split
        when there is a ``cost_breakdown`` table) and one sheet per table, each with a frozen
        bold header row, number formats and column widths (:mod:`cbecopt.workbook_style`).

        For planners who read results in Excel; a table longer than a sheet holds is refused
        (write a folder instead) rather than cut. An existing workbook is replaced only if
        cbecopt wrote it and it did not change since (see :mod:`cbecopt.outputs`).
        """
        too_long = [n for n, t in self.tables.items() if len(t) >= EXCEL_MAX_ROWS]
        if too_long:
            raise OptionError(
                f"table(s) {', '.join(too_long)} have more rows than an Excel sheet holds "
                f"({EXCEL_MAX_ROWS - 1:,}); write a folder instead (--out DIR)"
            )
        summary = pd.DataFrame(
            [{"key": k, "value": v} for k, v in _flat(self.to_dict()) if k != "tables"]
        )

        def save(path: Path) -> None:
            with pd.ExcelWriter(path, engine="openpyxl") as writer:
                summary.to_excel(writer, sheet_name="summary", index=False)
                for name, table in self.tables.items():
                    table.to_excel(writer, sheet_name=name[:31], index=False)
                style_workbook(writer.book, self.tables, summary)

        return outputs.write_workbook(target, save)


@dataclass
class Run:
    """What every result of one call shares, and the one place a :class:`Result` is made.

    Every path of the pipeline (a solve the budget did not reach, one without a solution, the
    extensive form, SKU blocks, the stochastic report) ends in :meth:`result`, so each result
    carries the same options, the same warnings and timings that add up to the same clock.

    Attributes
    ----------
    model, instance : which model (registry key) on which instance.
    options : the call's :class:`~cbecopt.highs.SolveOptions`, with its budget running.
    config : the model's config as a dict (``{}`` for defaults or a problem without one).
    load_seconds : time spent loading the instance before the call (0 when the budget counts it).
    warnings : what the instance holds that the model does not read.
    settings : further options the method used (e.g. ``risk``), written beside ``options``.
    parts : timings of the steps done so far (``prepare``, ...), which the method adds to.
    """

    model: str
    instance: str
    options: Any
    config: dict[str, Any] = field(default_factory=dict)
    load_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)

    def result(
        self,
        status: Status,
        termination: str = "",
        *,
        parts: dict[str, float] | None = None,
        objective: float | None = None,
        bound: float | None = None,
        gap: float | None = None,
        tables: dict[str, pd.DataFrame] | None = None,
        kpis: dict[str, Any] | None = None,
        diagnosis: list[str] | None = None,
        size: dict[str, int] | None = None,
        solver: dict[str, Any] | None = None,
        reports: dict[str, dict[str, Any]] | None = None,
    ) -> Result:
        """The result of this call; ``parts`` are the method's timings, after :attr:`parts`."""
        budget = self.options.budget
        return Result(
            model=self.model,
            instance=self.instance,
            status=status,
            termination=termination,
            objective=objective,
            bound=bound,
            gap=gap,
            timings=budget.timings({**self.parts, **(parts or {})}, self.load_seconds),
            tables=tables or {},
            kpis=kpis or {},
            diagnosis=diagnosis or [],
            warnings=list(self.warnings),
            size=size or {},
            options={**self.options.as_dict(), **self.settings, "model": self.config},
            solver=solver or {},
            reports=reports or {},
        )

    def stopped(self, where: str, parts: dict[str, float] | None = None) -> Result:
        """The result of a call the budget cut short ``where`` (e.g. "while building the
        model"): no solution, the reason, and what to do about it."""
        budget = self.options.budget
        return self.result(
            Status.NO_SOLUTION,
            f"{budget.why_stopped()} {where}",
            parts=parts,
            diagnosis=[budget.no_solution_advice()],
        )


EXCEL_MAX_ROWS = 1_048_576
"""Rows in one Excel sheet, the header row included."""


@dataclass(frozen=True)
class SavedResult:
    """A result read back from the folder :meth:`Result.to_dir` wrote.

    Attributes
    ----------
    data : the contents of ``result.json`` (status, objective, ..., the keys of
        :meth:`Result.to_dict`), without the manifest.
    tables : each CSV table of the result, by name.
    """

    data: dict[str, Any]
    tables: dict[str, pd.DataFrame]


def read_result(folder: str | Path) -> SavedResult:
    """Read the cbecopt result in ``folder``, completing first a write that a killed run left.

    Raises
    ------
    InputError : the folder holds no cbecopt result, or one of its files changed since
        cbecopt wrote it.
    """
    with outputs.completed(folder) as (data, files):
        tables = {Path(n).stem: _read_table(p) for n, p in files.items() if n.endswith(".csv")}
    return SavedResult(data, tables)


def _read_table(path: Path) -> pd.DataFrame:
    """A table as ``to_dir`` wrote it; one without columns is written as an empty line."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _flat(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested JSON-ready values as (dotted key, cell) pairs; lists joined by '; '."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flat(v, f"{prefix}{k}.")]
    key = prefix.rstrip(".")
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [(key, "; ".join(str(v) for v in value))]
        return [pair for i, v in enumerate(value) for pair in _flat(v, f"{prefix}{i}.")]
    return [(key, value)]


def _number(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        return _number(value)
    return value
