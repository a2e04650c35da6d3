"""What-if scenarios: the instance with some parameters changed, solved side by side with the base.

A change is written ``TABLE:KEY:FIELD=VALUE`` (``nodes:BZ-HZ:volume_capacity=1000``,
``products:SKU07:price=*1.1``): VALUE sets the cell (a number, text, or nothing for a blank),
``*F`` multiplies it, ``+D`` / ``-D`` adds to it. KEY names rows by the table's key columns
as the schema declares them (``unique`` or ``unique_together``), parts joined by ``/`` in
that order (``supplier/sku`` for offers); a part ``*`` matches any value, and parts left off
at the end match any value as long as the rows matched do not differ in them (else the key
is ambiguous: ``Beijing`` when Beijing's demand is split by platform). A KEY of ``*`` is
every row. Changes come from the command line (``--set``, several joined by
``;`` in one scenario) or from the instance's ``whatif`` table (columns ``scenario, table,
key, field, value``; the rows of one scenario name form it).

Changes are applied to a copy of the instance's tables (the input files are never touched),
and the copy passes the normal validation (:meth:`cbecopt.instance.Instance.with_tables`) and
the model's checks before anything is solved, so a change that breaks the data is reported
with the usual file, row and column, naming the scenario. Then the base and each scenario are
solved with the same model, options and seed, within the one budget of the call (each an
equal share of what is left, :func:`cbecopt.compare.announced`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cbecopt.batch import Batch, solve_each
from cbecopt.compare import overall_status
from cbecopt.errors import CbecoptError, InputError, OptionError, Problem
from cbecopt.fields import NUMERIC, TableSchema
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models import check_inputs
from cbecopt.results import Result
from cbecopt.schemas import SCHEMAS, WHATIF_TABLE

WHATIF_COLUMNS = ("scenario", "table", "key", "field", "value")
BASE = "base"
"""The name of the unchanged instance's row; no scenario may take it."""
EVERY_ROW = "*"
CHANGES = "changes"
"""The parameter of :func:`whatif` an :class:`OptionError` about a change names (``--set``)."""

_CHANGE = re.compile(r"^(?P<table>[^:]*):(?P<key>.*?):(?P<field>[A-Za-z_]\w*)=(?P<value>.*)$")

KPI_COLUMNS = {
    "tax_paid": "tax",
    "tax": "tax",
    "fill_rate": "fill_rate",
    "lost_sales": "lost_sales",
    "expected_lost_sales": "lost_sales",
    "open_count": "open_count",
    "fixed_cost": "fixed_cost",
    "transport_cost": "transport_cost",
}
"""The models' headline KPIs a what-if row shows, as the column each goes to (``network``
says ``tax_paid``, ``suppliers`` ``tax``: one column ``tax``)."""
UNIT_KPIS = ("units_by_channel", "channel_units")
"""KPIs holding units per channel (``network``, ``routing``): one column ``units[<channel>]``
each (but ``lost``, which is ``lost_sales``)."""
COLUMNS = ("scenario", "status", "objective", "bound", "gap", "change", "change_pct")
"""The first columns of the table; the KPI columns and ``changes`` follow."""


@dataclass(frozen=True)
class Change:
    """One parameter change: rows ``key`` of ``table``, column ``field``, ``operation``
    (``set``, ``multiply`` or ``add``) with ``value`` (a number, text, or ``None`` for a blank).

    ``text`` is the change as written. A change read from the ``whatif`` table knows its
    ``source`` (file or sheet) and ``row`` (header = row 1), so its errors point there; one
    from the command line names its text.
    """

    table: str
    key: str
    field: str
    operation: str
    value: float | str | None
    text: str
    source: str | None = None
    row: int | None = None

    def error(self, message: str, column: str = "value") -> CbecoptError:
        """An error about this change, named where the user wrote it."""
        if self.source is None:
            return OptionError(f"'{self.text}': {message}", CHANGES)
        return InputError(Problem(self.source, message, self.row, column))


@dataclass(frozen=True)
class WhatIf:
    """The base and every scenario solved: one row each in ``table`` (base first), the
    :class:`~cbecopt.results.Result` of each by name in ``results``, and each scenario's
    changes in ``changes``."""

    table: pd.DataFrame
    results: dict[str, Result]
    changes: dict[str, tuple[Change, ...]]

    @property
    def status(self) -> str:
        """The worst status of the solves (:func:`cbecopt.compare.overall_status`)."""
        return overall_status(self.table["status"])


def parse_changes(
    text: str, source: str | None = None, row: int | None = None
) -> tuple[Change, ...]:
    """The changes of ``text``: one or several ``TABLE:KEY:FIELD=VALUE`` joined by ``;``."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise _unparsed(text, source, row).error("no change given")
    return tuple(_parse_one(part, source, row) for part in parts)


def _parse_one(text: str, source: str | None, row: int | None) -> Change:
    found = _CHANGE.match(text)
    if found is None or not found["table"].strip() or not found["key"].strip():
        raise _unparsed(text, source, row).error(
            "not TABLE:KEY:FIELD=VALUE (e.g. nodes:BZ-HZ:capacity=1000, products:SKU07:price=*1.1)"
        )
    value = found["value"].strip()
    operation, operand = "set", value
    if value[:1] == "*":
        operation, operand = "multiply", value[1:]
    elif value.startswith(("+", "-")):
        operation = "add"
    change = Change(
        found["table"].strip(),
        found["key"].strip(),
        found["field"],
        operation,
        None,
        text,
        source,
        row,
    )
    if operation == "set":
        return dataclasses.replace(change, value=operand or None)
    try:
        number = float(operand)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise change.error(f"'{operand}' is not a number")
    return dataclasses.replace(change, value=number)


def _unparsed(text: str, source: str | None, row: int | None) -> Change:
    """A change not understood, to name in its error."""
    return Change("", "", "", "set", None, text, source, row)


def scenarios_of(
    instance: Instance, changes: Mapping[str, str | Sequence[str]] | Sequence[str] | None = None
) -> dict[str, tuple[Change, ...]]:
    """The scenarios to solve, by name: those of the instance's ``whatif`` table, then
    ``changes`` (a text, or texts, each its own scenario named by the text; or a mapping
    name -> text or texts).

    Raises
    ------
    InputError
        a ``whatif`` table with a missing column or a malformed change (file, row, column).
    OptionError
        a malformed change given in ``changes``, a scenario named twice or ``base``, or no
        scenario at all.
    """
    named = table_scenarios(instance)
    changes = [changes] if isinstance(changes, str) else changes
    given = changes.items() if isinstance(changes, Mapping) else [(c, c) for c in changes or ()]
    for name, texts in given:
        if name in named or name == BASE:
            raise OptionError(
                f"scenario '{name}' is "
                + ("the name of the unchanged instance" if name == BASE else "named twice"),
                CHANGES,
            )
        texts = [texts] if isinstance(texts, str) else list(texts)
        named[name] = tuple(c for text in texts for c in parse_changes(text))
    if not named:
        raise OptionError(
            f"no scenario: give changes (--set TABLE:KEY:FIELD=VALUE) or a {WHATIF_TABLE} table",
            CHANGES,
        )
    return named


def table_scenarios(instance: Instance) -> dict[str, tuple[Change, ...]]:
    """The scenarios of the instance's ``whatif`` table (none without one), every problem in
    it reported at once with its row (header = row 1) and column."""
    table = instance.tables.get(WHATIF_TABLE)
    if table is None:
        return {}
    source = instance.source(WHATIF_TABLE)
    missing = [c for c in WHATIF_COLUMNS if c not in table.columns]
    if missing:
        raise InputError([Problem(source, "required column is missing", column=c) for c in missing])
    problems: list[Problem] = []
    scenarios: dict[str, list[Change]] = {}
    for index, cells in table.iterrows():
        row = instance.row_number(WHATIF_TABLE, index)
        text = {c: "" if _blank(cells[c]) else str(cells[c]).strip() for c in WHATIF_COLUMNS}
        if not text["scenario"]:
            problems.append(Problem(source, "a scenario name is needed", row, "scenario"))
            continue
        if text["scenario"] == BASE:
            problems.append(
                Problem(source, f"'{BASE}' names the unchanged instance", row, "scenario")
            )
            continue
        written = f"{text['table']}:{text['key']}:{text['field']}={text['value']}"
        try:
            scenarios.setdefault(text["scenario"], []).extend(parse_changes(written, source, row))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return {name: tuple(changes) for name, changes in scenarios.items()}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def apply_changes(instance: Instance, name: str, changes: Sequence[Change]) -> Instance:
    """A copy of ``instance`` with ``changes`` applied in order, validated like a loaded one.

    Raises
    ------
    InputError, OptionError
        a change that names no table, row or column of the instance, does arithmetic on text
        or on a blank without a default (named where it was written), or leaves data that
        fails validation (every problem, each naming the scenario).
    """
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for change in changes:
        try:
            schema = _schema(instance, change)
            if change.table not in tables:
                tables[change.table] = instance.tables[change.table].copy()
            _apply(tables[change.table], schema, change, instance)
        except InputError as exc:  # a row of the whatif table: go on to list every one
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    try:
        return instance.with_tables(**tables)
    except InputError as exc:
        raise InputError(
            [
                Problem(p.file, f"{p.message} (what-if '{name}')", p.row, p.column)
                for p in exc.problems
            ]
        ) from None


def _schema(instance: Instance, change: Change) -> TableSchema:
    schema = SCHEMAS.get(change.table)
    if schema is None:
        raise change.error(f"unknown table '{change.table}'; tables: {', '.join(SCHEMAS)}", "table")
    if change.table not in instance.tables:
        there = ", ".join(t for t in SCHEMAS if t in instance.tables)
        raise change.error(f"the instance has no {change.table} table; it has {there}", "table")
    if schema.field(change.field) is None:
        columns = ", ".join(f.name for f in schema.fields)
        raise change.error(
            f"'{change.field}' is not a column of {change.table}; its columns: {columns}", "field"
        )
    return schema


def key_columns(schema: TableSchema) -> tuple[str, ...]:
    """The columns that name a row of ``schema``'s table: its ``unique_together`` columns,
    else its one ``unique`` column (none: rows are named only by ``*``)."""
    if schema.unique_together:
        return schema.unique_together
    return tuple(f.name for f in schema.fields if f.unique)


def matching_rows(table: pd.DataFrame, schema: TableSchema, change: Change) -> pd.Index:
    """The labels of the rows of ``table`` that ``change.key`` names (see the module's doc)."""
    if change.key == EVERY_ROW:
        return table.index
    columns = key_columns(schema)
    shape = "/".join(columns) or "(none)"
    parts = change.key.split("/")
    if len(parts) > len(columns):
        raise change.error(
            f"key '{change.key}' has {len(parts)} parts; the key of {schema.name} is {shape}",
            "key",
        )
    mask = pd.Series(True, index=table.index)
    for column, part in zip(columns, parts, strict=False):
        if part.strip() != EVERY_ROW:
            mask &= _cells_equal(table, schema, column, part.strip(), change)
    rows = table.index[mask.to_numpy()]
    if len(rows) == 0:
        raise change.error(f"no row of {schema.name} has the key '{change.key}' ({shape})", "key")
    omitted = [c for c in columns[len(parts) :] if c in table.columns]
    if omitted and len(table.loc[rows, omitted].drop_duplicates()) > 1:
        raise change.error(
            f"key '{change.key}' is ambiguous: {len(rows)} rows of {schema.name} match ({shape}); "
            f"give more parts, or {EVERY_ROW} for any value",
            "key",
        )
    return rows


def _cells_equal(
    table: pd.DataFrame, schema: TableSchema, column: str, part: str, change: Change
) -> pd.Series:
    """Which rows hold ``part`` in ``column`` (a blank part: a blank cell; a column the table
    lacks is blank)."""
    if column not in table.columns:
        return pd.Series(part == "", index=table.index)
    cells = table[column]
    if part == "":
        return cells.isna() | (cells.astype(str).str.strip() == "")
    if schema.field(column).kind in NUMERIC:
        try:
            return cells == float(part)
        except ValueError:
            raise change.error(
                f"'{part}' is not a number ({schema.name}.{column})", "key"
            ) from None
    return cells.astype(str) == part


def _apply(table: pd.DataFrame, schema: TableSchema, change: Change, instance: Instance) -> None:
    """Apply ``change`` to ``table`` in place (a copy of the instance's table)."""
    field = schema.field(change.field)
    rows = matching_rows(table, schema, change)
    numeric = field.kind in NUMERIC
    if change.field not in table.columns:
        table[change.field] = math.nan if numeric else None
    if change.operation == "set":
        if numeric and change.value is not None:
            try:
                value: Any = float(change.value)
            except ValueError:
                raise change.error(
                    f"'{change.value}' is not a number ({change.table}.{change.field} is numeric)"
                ) from None
        else:
            value = math.nan if numeric and change.value is None else change.value
        table.loc[rows, change.field] = value
        return
    if not numeric:
        raise change.error(
            f"{change.table}.{change.field} is text: it can only be set, not changed by "
            f"{'a factor' if change.operation == 'multiply' else 'an amount'}"
        )
    current = table.loc[rows, change.field].astype(float)
    blank = current.isna()
    default = field.default
    if blank.any() and isinstance(default, float):
        current = current.fillna(default)  # unlimited (inf) stays unlimited
    elif blank.any():
        first = instance.row_number(change.table, current.index[blank][0])
        raise change.error(
            f"{change.table}.{change.field} is blank in row {first} of "
            f"{instance.source(change.table)} and has no default to change"
        )
    changed = current * change.value if change.operation == "multiply" else current + change.value
    table.loc[rows, change.field] = changed.replace(math.inf, math.nan)  # unlimited: blank


def whatif(
    instance: Instance,
    model: str = "warehouses",
    changes: Mapping[str, str | Sequence[str]] | Sequence[str] | None = None,
    options: SolveOptions | None = None,
    config: Any = None,
    batch: Batch | None = None,
) -> WhatIf:
    """Solve ``instance`` and each what-if scenario of it with ``model``, side by side.

    Parameters
    ----------
    instance : from :func:`cbecopt.load_instance`; its ``whatif`` table, if any, gives named
        scenarios.
    model : a key of :data:`~cbecopt.models.MODELS`.
    changes : further scenarios: change texts (each a scenario named by its text) or a
        mapping name -> text or texts (see the module's doc for the syntax).
    options : solver options; the base and the scenarios share its one budget, each an
        equal share of what is left, with the same seed.
    config : the model's config, the same for every solve.
    batch : where the solves run (:class:`~cbecopt.batch.Batch`: one after another by
        default, or side by side on a Dask cluster, each with what is left of the budget).

    Every scenario is applied and checked (validation and the model's checks) before anything
    is solved. Returns one row per solve, base first: status, objective, bound, gap, the
    change of the objective against the base (``change``, and ``change_pct`` of the base's
    objective; empty when either has none: when either solve was stopped at a limit it
    compares the plans found, not proven optima), the model's headline KPIs, and the changes.

    Raises
    ------
    InputError, OptionError
        a malformed change, or a scenario whose data fails validation or the model's checks
        (each problem naming the scenario).
    """
    options = (options or SolveOptions()).begin()
    scenarios = scenarios_of(instance, changes)
    instances = {BASE: instance}
    problems: list[Problem] = []
    for name, scenario in scenarios.items():
        try:
            instances[name] = apply_changes(instance, name, scenario)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    for name, changed in instances.items():
        _check(changed, model, config, options.seed, name)
    jobs = {name: (changed, config) for name, changed in instances.items()}
    results = solve_each("whatif", jobs, model, options, batch)
    return WhatIf(_table(results, scenarios), results, scenarios)


def _check(instance: Instance, model: str, config: Any, seed: int, name: str) -> None:
    """The model's checks on one scenario's instance; its problems name the scenario."""
    try:
        check_inputs(instance, model, config, seed)
    except InputError as exc:
        if name == BASE:
            raise
        raise InputError(
            [
                Problem(p.file, f"{p.message} (what-if '{name}')", p.row, p.column)
                for p in exc.problems
            ]
        ) from None


def _table(
    results: Mapping[str, Result], scenarios: Mapping[str, Sequence[Change]]
) -> pd.DataFrame:
    base = results[BASE].objective
    rows = []
    for name, result in results.items():
        change = None if base is None or result.objective is None else result.objective - base
        rows.append(
            {
                "scenario": name,
                "status": result.status.value,
                "objective": result.objective,
                "bound": result.bound,
                "gap": result.gap,
                "change": change,
                "change_pct": None if change is None or base == 0 else change / abs(base),
                **kpi_values(result.kpis),
                "changes": "; ".join(c.text for c in scenarios.get(name, ())),
            }
        )
    table = pd.DataFrame(rows)
    kpis = [c for c in table.columns if c not in (*COLUMNS, "changes")]
    return table[[*COLUMNS, *kpis, "changes"]]


def kpi_values(kpis: Mapping[str, Any]) -> dict[str, float | None]:
    """The headline KPIs of one result as columns (:data:`KPI_COLUMNS`, :data:`UNIT_KPIS`)."""
    values: dict[str, float | None] = {}
    for key, column in KPI_COLUMNS.items():
        if key in kpis and column not in values:
            values[column] = kpis[key]
    for key in UNIT_KPIS:
        for channel, units in (kpis.get(key) or {}).items():
            if channel != "lost":
                values[f"units[{channel}]"] = units
    return values


def plot_whatif(table: pd.DataFrame, target, title: str = ""):
    """Bar chart of the objective of each row, the base in its own colour and as a dashed
    line, each scenario's bar labelled with its change against the base in %; a row without
    an objective is labelled with its status. Written as a PNG atomically."""
    import numpy as np

    from cbecopt.plots import figure, save_png

    fig, ax = figure(1, (max(6.4, 1.1 * len(table) + 2), 4.4))
    x = np.arange(len(table))
    objective = pd.to_numeric(table["objective"], errors="coerce")
    colours = ["#7f7f7f" if name == BASE else "#1f5f8b" for name in table["scenario"]]
    ax.bar(x, objective.fillna(0.0), color=colours)
    change = pd.to_numeric(table["change_pct"], errors="coerce")
    for i, (value, status, pct) in enumerate(zip(objective, table["status"], change, strict=True)):
        if math.isnan(value):
            ax.annotate(status, (i, 0), ha="center", va="bottom", fontsize=8, color="#b22222")
        elif i > 0 and not math.isnan(pct):
            ax.annotate(f"{pct:+.1%}", (i, value), ha="center", va="bottom", fontsize=8)
    if not math.isnan(objective.iloc[0]):
        ax.axhline(objective.iloc[0], color="#7f7f7f", linestyle="--", linewidth=1)
    ax.set_xticks(x, [_short(s) for s in table["scenario"]], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("objective")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title or "what if", fontsize=10)
    return save_png(fig, target)


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"
