"""Instances: load, validate, expose as tables plus the network every model reads, and save.

An instance is a folder (``instance.toml`` + CSV tables) or one ``.xlsx`` workbook (the same
tables as sheets, plus a ``meta`` sheet); published benchmark files load through their own
readers, and generated instances and copies with changed tables (:meth:`Instance.with_tables`)
come from tables built in Python. All of them pass the same validation, which lists every
problem at once, and get their :class:`~cbecopt.network.Network` built once, right after.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import pandas as pd

from cbecopt.catalog import check_catalog, check_offers, node_kinds
from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.fields import parse_table
from cbecopt.months import (
    describe_month,
    label_months,
    month_number,
    number_months,
    shift_label,
    shifted_months,
)
from cbecopt.network import Network
from cbecopt.readers import RawInstance
from cbecopt.readers.benchmark import read_holmberg, read_orlib_cap
from cbecopt.readers.csvdir import read_csv_folder
from cbecopt.readers.workbook import read_workbook
from cbecopt.scenarios import check_scenarios
from cbecopt.schemas import MONTH_FIELDS, SCHEMAS
from cbecopt.settings import check_settings
from cbecopt.settings import default as setting_default
from cbecopt.writers import write_csv_folder, write_workbook

FORMATS = ("auto", "csv", "xlsx", "orlib-cap", "holmberg")
"""Input formats ``load_instance`` understands; ``auto`` picks csv for a folder, xlsx for a workbook."""


@dataclass(frozen=True)
class Instance:
    """A validated instance: metadata, typed tables and the network built from them.

    Only validation makes one (:func:`load_instance`, :func:`instance_from_tables`,
    :meth:`with_tables`); it is immutable: models and solvers read it and never write into it.

    Attributes
    ----------
    name : instance name (``[instance] name`` in ``instance.toml``).
    meta : the metadata, nested as in ``instance.toml`` (read-only mapping).
    tables : typed tables by name (numbers as float, blanks as NaN), as the user gave them.
    network : what every model reads (:class:`~cbecopt.network.Network`): nodes by kind,
        lanes by role, demand with a scenario axis, the catalog with defaults applied.
    path : where it was loaded from.
    load_seconds : time spent reading and validating.
    sources : how a person finds each table (``products.csv`` or ``plan.xlsx, sheet
        'products'``), for messages; see :meth:`source`.
    first_month : the calendar month (``2027-01``) of the horizon's month 1 when the instance
        writes its months as calendar months (:mod:`cbecopt.months`), else ``None``; the
        tables hold month numbers either way.
    """

    name: str
    meta: MappingProxyType
    tables: MappingProxyType
    network: Network = field(compare=False, repr=False)
    path: Path | None = None
    load_seconds: float = 0.0
    sources: MappingProxyType = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
    first_month: str | None = None

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx graph of the network (:class:`~cbecopt.network.Network` documents it)."""
        return self.network.graph

    def source(self, table: str) -> str:
        """Where a person finds ``table``: its file in a folder, its sheet in a workbook."""
        known = self.sources.get(table)
        if known is not None:
            return known
        if self.path is not None and Path(self.path).suffix.lower() == ".xlsx":
            return f"{Path(self.path).name}, sheet '{table}'"
        return f"{table}.csv"

    def row_number(self, table: str, index: int) -> int:
        """The row a person sees for the row labelled ``index`` of ``table`` (the header is row 1)."""
        return int(index) + 2

    def problem(
        self, table: str, message: str, index: int | None = None, column: str | None = None
    ) -> Problem:
        """A :class:`Problem` in ``table`` named as a person finds it: file or sheet, row, column.

        ``index`` is the row's label in ``self.tables[table]``, which network rows keep
        (``None``: the whole table).
        """
        row = None if index is None else self.row_number(table, index)
        return Problem(self.source(table), message, row, column)

    def setting(self, section: str, key: str, default: Any = None) -> Any:
        """A model setting from the instance metadata, e.g. ``setting('warehouses', 'single_source')``.

        Unset, it is ``default`` if given, else the default :mod:`cbecopt.settings` declares
        (a key it does not declare raises ``KeyError``).
        """
        value = self.meta.get(section, {}).get(key)
        if value is not None:
            return value
        return default if default is not None else setting_default(section, key)

    def with_tables(self, meta: Mapping | None = None, **tables: pd.DataFrame) -> Instance:
        """A copy with some tables (and optionally the metadata) replaced, validated again.

        The one way to change an instance (one platform's demand, sampled scenarios, ...): the
        copy passes the same validation as a loaded instance (:func:`instance_from_tables`)
        and gets its own network; the original is untouched. Problems name the tables as the
        original does (file or sheet).

        Raises
        ------
        InputError
            every problem of the copy, as :func:`load_instance` reports them.
        """
        merged = {**self.tables, **tables}
        return instance_from_tables(
            dict(self.meta) if meta is None else meta,
            merged,
            self.path,
            {name: self.source(name) for name in merged},
            self.first_month,
        )

    def window(self, start: str | int | None = None, horizon: int | None = None) -> Instance:
        """The instance cut to ``horizon`` months from ``start``: demand of those months only,
        every month column renumbered so ``start`` is month 1 (months before it become 0, -1,
        ...: a shipment that left before the window), validated again.

        ``start`` is a calendar month (``2027-03``) of a calendar instance or a month number;
        ``None`` keeps the first month, and ``horizon`` ``None`` runs to the demand's last.

        Raises
        ------
        OptionError
            a start or horizon outside the demand's months, or a calendar start for an
            instance that numbers its months.
        """
        months = self.tables["demand"]["month"].dropna() if "demand" in self.tables else None
        if months is None or months.empty:
            raise OptionError("needs a demand table with a month column", "start")
        first, last = int(months.min()), int(months.max())
        begin = month_number(start, self.first_month) if start is not None else first
        describe = functools.partial(describe_month, first_month=self.first_month)
        if not first <= begin <= last:
            raise OptionError(
                f"{describe(begin)} is outside the demand's months "
                f"({describe(first)} to {describe(last)})",
                "start",
            )
        end = last if horizon is None else begin + int(horizon) - 1
        if horizon is not None and (horizon < 1 or end > last):
            raise OptionError(
                f"{horizon} months from {describe(begin)} run to {describe(end)}, past the "
                f"demand's last month {describe(last)}"
                if horizon >= 1
                else f"must be 1 month or more, got {horizon}",
                "horizon",
            )
        tables = {
            name: shifted_months(t, MONTH_FIELDS.get(name, ()), begin - 1)
            for name, t in self.tables.items()
        }
        demand = tables["demand"]
        tables["demand"] = demand[demand["month"].between(1, end - begin + 1)]
        cut = instance_from_tables(
            dict(self.meta),
            tables,
            self.path,
            {name: self.source(name) for name in tables},
            None if self.first_month is None else shift_label(self.first_month, begin - 1),
        )
        return dataclasses.replace(cut, load_seconds=self.load_seconds)  # read once, cut here


def read_raw(path: Path, fmt: str = "auto", capacity: float | None = None) -> RawInstance:
    """Read an instance's metadata and tables without validating them."""
    path = Path(path)
    if fmt not in FORMATS:
        raise OptionError(f"unknown format '{fmt}'; choose one of {', '.join(FORMATS)}", "fmt")
    if capacity is not None and fmt != "orlib-cap":
        raise OptionError(
            "applies to the OR-Library capa/capb/capc templates only (format orlib-cap), "
            f"not to {'a ' + fmt + ' file' if fmt != 'auto' else path.name}",
            "capacity",
        )
    if not path.exists():
        raise InputError(Problem(str(path), "does not exist"))
    if fmt == "orlib-cap":
        return read_orlib_cap(path, capacity)
    if fmt == "holmberg":
        return read_holmberg(path)
    if fmt == "csv" or (fmt == "auto" and path.is_dir()):
        if not path.is_dir():
            raise InputError(
                Problem(str(path), "is not a folder; a CSV instance is a folder with instance.toml")
            )
        return read_csv_folder(path)
    if fmt == "xlsx" or path.suffix.lower() == ".xlsx":
        return read_workbook(path)
    raise InputError(
        Problem(
            str(path),
            "is neither an instance folder nor an .xlsx workbook; "
            "for benchmark files give --format orlib-cap or --format holmberg",
        )
    )


def load_instance(path: str | Path, fmt: str = "auto", capacity: float | None = None) -> Instance:
    """Load and validate an instance, reporting every problem at once.

    Parameters
    ----------
    path : an instance folder, an ``.xlsx`` workbook, or a benchmark file (with ``fmt``).
    fmt : one of :data:`FORMATS`.
    capacity : the capacity of every warehouse, for the OR-Library capa/capb/capc templates.

    Raises
    ------
    InputError
        listing each problem with its file (or sheet), row and column.
    """
    start = time.perf_counter()
    raw = read_raw(Path(path), fmt, capacity)
    instance = instance_from_raw(raw)
    return dataclasses.replace(instance, load_seconds=time.perf_counter() - start)


def instance_from_raw(raw: RawInstance, first_month: str | None = None) -> Instance:
    """Type and validate the tables of ``raw``, check cross-references, and build the graph.

    Every problem is reported at once: what the reader found, the settings, each table's
    columns and cells, and each check across tables whose tables could be read and have
    the right shape (a missing column in one table does not hide the others' problems).
    Calendar months (``2027-01``) become month numbers counted from ``first_month`` (or from
    the demand's first month), which the instance keeps.
    """
    meta, problems = (
        check_settings(raw.meta, raw.meta_source, raw.meta_rows)
        if raw.meta is not None
        else ({}, [])
    )
    numbered, first_month, found = number_months(raw.tables, MONTH_FIELDS, raw.source, first_month)
    problems = [*raw.problems, *problems, *found]
    tables: dict[str, pd.DataFrame] = {}
    broken = set(raw.unreadable)
    for name, schema in SCHEMAS.items():
        if name in raw.unreadable:
            continue
        if name not in numbered:
            if schema.required:
                problems.append(
                    Problem(_expected_source(raw, name), "missing: the instance needs this table")
                )
            continue
        table, found = parse_table(numbered[name], schema, raw.source(name))
        problems.extend(found)
        if table is None:
            broken.add(name)
        else:
            tables[name] = table
    for name, table in raw.tables.items():
        if name not in SCHEMAS:
            tables[name] = table.copy()
    problems.extend(_cross_table_problems(tables, broken, raw.source))
    if problems:
        raise InputError(problems)
    name = str(meta["instance"]["name"])
    sources = {table: raw.source(table) for table in tables}
    return Instance(
        name,
        MappingProxyType(meta),
        MappingProxyType(tables),
        Network.from_tables(tables),
        raw.path,
        sources=MappingProxyType(sources),
        first_month=first_month,
    )


def instance_from_tables(
    meta: Mapping,
    tables: Mapping[str, pd.DataFrame],
    path: Path | None = None,
    sources: Mapping[str, str] | None = None,
    first_month: str | None = None,
) -> Instance:
    """Validate tables built in Python (typed, or text as read) and make the instance.

    The way generators and :meth:`Instance.with_tables` make instances: the same validation
    as :func:`load_instance`. ``path`` is where the instance came from (``None``: made in
    memory); ``sources`` how messages name each table (default ``<table>.csv``). A table
    keeps its row labels when they are unique whole numbers from 0 (a subset of a loaded
    table still names the rows a person sees); otherwise its rows are numbered afresh.
    """
    name = str(meta.get("instance", {}).get("name", "instance"))
    sources = dict(sources or {})
    for table in tables:
        sources.setdefault(table, f"{table}.csv")
    where = Path(path) if path is not None else Path(name)
    labelled = {table: _labelled(frame) for table, frame in tables.items()}
    raw = RawInstance(where, dict(meta), labelled, sources=sources)
    return dataclasses.replace(instance_from_raw(raw, first_month), path=path)


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with row labels that name rows (``label + 2``): its own when they are
    unique whole numbers from 0, else 0, 1, ..."""
    index = table.index
    if index.is_unique and pd.api.types.is_integer_dtype(index) and (index >= 0).all():
        return table
    return table.reset_index(drop=True)


def _expected_source(raw: RawInstance, table: str) -> str:
    if raw.path.is_dir():
        return f"{table}.csv"
    return f"{raw.path.name}, sheet '{table}'"


def _cross_table_problems(
    tables: dict[str, pd.DataFrame], broken: set[str], source: Callable[[str], str]
) -> list[Problem]:
    """Run each check across tables whose tables are all there to read.

    A check is skipped when a table it needs is absent or broken, or a table it may read is
    broken (a broken products table must not read as "no products table").
    """
    problems: list[Problem] = []
    for needs, reads, check in CROSS_TABLE_CHECKS:
        if all(t in tables for t in needs) and not (set(needs) | set(reads)) & broken:
            problems.extend(check(tables, source))
    return problems


def _check_arcs(tables: dict[str, pd.DataFrame], source: Callable[[str], str]) -> list[Problem]:
    """Arcs join two different nodes that exist."""
    problems: list[Problem] = []
    kinds, arcs = node_kinds(tables), tables["arcs"]
    for column in ("origin", "destination"):
        unknown = ~arcs[column].isin(kinds.keys()) & arcs[column].notna()
        for idx in arcs.index[unknown]:
            problems.append(
                Problem(
                    source("arcs"),
                    f"unknown node '{arcs.at[idx, column]}' (not in nodes)",
                    idx + 2,
                    column,
                )
            )
    for idx in arcs.index[arcs["origin"] == arcs["destination"]]:
        problems.append(
            Problem(source("arcs"), "an arc must join two different nodes", idx + 2, "destination")
        )
    return problems


def _check_markets(tables: dict[str, pd.DataFrame], source: Callable[[str], str]) -> list[Problem]:
    """Demand rows name existing nodes of kind market."""
    problems: list[Problem] = []
    kinds = node_kinds(tables)
    for idx, market in tables["demand"]["market"].items():
        if market is None:
            continue
        if market not in kinds:
            message = f"unknown node '{market}' (not in nodes)"
        elif kinds[market] != "market":
            message = f"node '{market}' is of kind '{kinds[market]}', not 'market'"
        else:
            continue
        problems.append(Problem(source("demand"), message, idx + 2, "market"))
    return problems


CROSS_TABLE_CHECKS = (
    (("nodes", "arcs"), (), _check_arcs),
    (("nodes", "demand"), (), _check_markets),
    ((), ("scenarios",), check_scenarios),
    (("nodes", "demand"), ("products", "contracts"), check_catalog),
    (("nodes",), ("products", "offers", "price_breaks"), check_offers),
)
"""(tables needed, tables read if present, check) for each check across tables."""


def save_instance(instance: Instance, target: str | Path) -> Path:
    """Write ``instance`` as a CSV folder, or as a workbook when ``target`` ends in ``.xlsx``.

    The write is atomic: the target appears complete or not at all. A calendar instance's
    months are written as calendar months again.
    """
    target = Path(target)
    if instance.first_month is not None:
        labelled = {
            name: label_months(table, instance.first_month) if name in MONTH_FIELDS else table
            for name, table in instance.tables.items()
        }
        instance = dataclasses.replace(instance, tables=MappingProxyType(labelled))
    if target.suffix.lower() == ".xlsx":
        write_workbook(instance, target)
    else:
        write_csv_folder(instance, target)
    return target


@dataclass(frozen=True)
class PortableInstance:
    """An instance as plain tables, to send to another process or machine."""

    meta: dict
    tables: dict
    path: Path | None
    sources: dict
    first_month: str | None

    @classmethod
    def of(cls, instance: Instance) -> PortableInstance:
        return cls(
            plain_mapping(instance.meta),
            dict(instance.tables),
            instance.path,
            {name: instance.source(name) for name in instance.tables},
            instance.first_month,
        )

    def instance(self) -> Instance:
        return instance_from_tables(
            self.meta, self.tables, self.path, self.sources, self.first_month
        )


def plain_mapping(mapping: Mapping) -> dict:
    """A nested read-only mapping as nested dicts."""
    return {k: plain_mapping(v) if isinstance(v, Mapping) else v for k, v in mapping.items()}
