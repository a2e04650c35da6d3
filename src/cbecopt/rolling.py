"""The planner's month: carry last month's plan into this month's run, and say what changed.

A rolling plan is re-solved every month over a window of the next months
(:meth:`cbecopt.instance.Instance.window`). What the previous plan set in motion is not free
any more, and enters the new run as the ``network`` model's in-motion tables
(``models/network.md``):

- ``in_transit``: its shipments that left before the new first month and arrive in it or later;
- ``opening_stock``: its expected stock at the end of the month before the new first month;
- ``planned_shipments``: its shipments leaving in the frozen months (the first
  ``frozen_months`` of the new window), kept as they were;
- ``frozen``: the decisions it took: warehouses used, overseas warehouses open, SKUs listed at a
  bonded warehouse (those it shipped there), suppliers qualified (those it bought from).

A table the instance itself holds (the stock counted in the warehouse, say) wins over the one
carried from the plan. :func:`plan_changes` compares the new plan with the previous one.

A ``routing`` plan carries the same way (``models/routing.md``, "What is already in motion"):
its ``inbound`` shipments, month-end ``stock`` and ``bonded`` warehouses used are read as a
network plan's shipments, stock and warehouses (:func:`as_network_plan`); it has no overseas
warehouses or purchases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.months import is_label, month_index, shift_label
from cbecopt.results import Result

PLAN_TABLES = ("shipments", "stock", "warehouses", "overseas", "purchases")
"""The tables of a previous ``network`` plan that :func:`carry_over` reads."""

ROUTING_PLAN_TABLES = ("inbound", "stock", "bonded")
"""The tables of a previous ``routing`` plan that :func:`carry_over` reads."""
ROUTING_NAMES = {"shipments": "inbound", "warehouses": "bonded"}
"""A routing plan's name of each network plan table it has."""

IN_MOTION = ("in_transit", "opening_stock", "planned_shipments", "frozen")
"""The in-motion tables a rolling run gets from the previous plan."""

SMALLEST = 1e-6
"""Quantities below this are not carried (solver noise, not goods)."""

ORDERED = "ordered_to_date"
"""A rolling plan's table of the units ordered from each offer (``supplier``, ``sku``,
``quantity``) in the months before its first: offer and supplier capacities and minimum
orders count over the whole horizon, so each window gets what is left of them."""
ORDERED_COLUMNS = ["supplier", "sku", "quantity"]


@dataclass(frozen=True)
class Carried:
    """What the previous plan hands to the next run: in-motion tables (months as calendar
    months), a note per table on where it came from, and the units ordered from each offer
    before the run's first month (:data:`ORDERED`)."""

    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    ordered: pd.DataFrame


def read_plan(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a plan cbecopt wrote: a workbook (one sheet per table) or a folder (one
    ``NAME.csv`` per table).

    Raises
    ------
    InputError
        the plan does not exist, is not a plan, or lacks a table :func:`carry_over` needs.
    """
    path = Path(path)
    if path.is_dir():
        tables = {p.stem: pd.read_csv(p) for p in sorted(path.glob("*.csv"))}
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        tables = pd.read_excel(path, sheet_name=None)
    else:
        raise InputError(
            Problem(
                str(path), "is not a plan: give the .xlsx workbook or the folder a plan went to"
            )
        )
    needed = ROUTING_PLAN_TABLES if is_routing_plan(tables) else PLAN_TABLES
    missing = [name for name in needed if name not in tables]
    if missing:
        raise InputError(
            Problem(
                str(path),
                f"has no {', '.join(missing)} table: it is not a network or routing plan, or was "
                "written "
                "by an older cbecopt; solve the month again with `cbecopt plan` or `solve -o`",
            )
        )
    return tables


def is_routing_plan(tables: dict[str, pd.DataFrame]) -> bool:
    """Whether ``tables`` are a ``routing`` plan's (an ``inbound`` table, no ``shipments``)."""
    return "inbound" in tables and "shipments" not in tables


def as_network_plan(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A plan's tables under a network plan's names and columns: a routing plan's ``inbound``
    as ``shipments``, ``stock`` (``bonded_warehouse``, ``stock``) as ``stock`` (``warehouse``,
    ``quantity``), ``bonded`` as ``warehouses`` (every one of kind ``bonded``: routing lists
    SKUs at domestic warehouses too, at no cost), no overseas warehouses or purchases. A
    network plan's tables are returned as they are."""
    if not is_routing_plan(tables):
        return tables
    bonded = tables["bonded"].rename(columns={"bonded_warehouse": "warehouse"})
    return {
        **tables,
        "shipments": tables["inbound"].rename(columns={"bonded_warehouse": "destination"}),
        "stock": tables["stock"].rename(
            columns={"bonded_warehouse": "warehouse", "stock": "quantity"}
        ),
        "warehouses": bonded.assign(kind="bonded"),
        "overseas": pd.DataFrame(columns=["warehouse", "open"]),
        "purchases": pd.DataFrame(columns=["supplier", "quantity"]),
    }


def carry_over(
    previous: dict[str, pd.DataFrame], start: str, frozen_months: int = 0, source: str = "plan"
) -> Carried:
    """The in-motion tables of a run from calendar month ``start`` on, from a previous plan.

    Parameters
    ----------
    previous : the previous plan's tables (:func:`read_plan`, a network or routing plan),
        months as calendar months.
    start : the new window's first month (``2027-02``).
    frozen_months : the first months of the new window whose shipments stay as planned.
    source : how to name the previous plan in problems.

    Raises
    ------
    InputError
        the previous plan has no calendar months, or ends before the month before ``start``.
    """
    previous = as_network_plan(previous)
    shipments = previous["shipments"]
    _calendar_months(shipments, ("ship_month", "arrival_month"), source)
    first = month_index(start)
    ship = shipments["ship_month"].map(month_index)
    arrive = shipments["arrival_month"].map(month_index)
    moving = shipments[(ship < first) & (arrive >= first)]
    frozen = shipments[(ship >= first) & (ship < first + frozen_months)]
    stock, stock_note = _opening_stock(previous["stock"], start, source)
    tables = {
        "in_transit": moving[
            ["origin", "destination", "sku", "mode", "ship_month", "arrival_month", "quantity"]
        ],
        "opening_stock": stock,
        "planned_shipments": frozen[
            ["origin", "destination", "sku", "mode", "ship_month", "quantity"]
        ],
        "frozen": _decisions(previous),
    }
    tables = {
        name: table[table["quantity"] > SMALLEST] if "quantity" in table else table
        for name, table in tables.items()
    }
    notes = (
        f"in_transit: {len(tables['in_transit'])} shipments of the previous plan on their way "
        f"in {start}",
        stock_note,
        f"planned_shipments: {len(tables['planned_shipments'])} shipments of the frozen "
        f"month(s) {_months(start, frozen_months)} kept as planned",
        f"frozen: {len(tables['frozen'])} decisions kept (warehouses used, overseas warehouses "
        "open, SKUs listed, suppliers qualified)",
    )
    ordered = ordered_to_date(previous, start)
    return Carried({k: v.reset_index(drop=True) for k, v in tables.items()}, notes, ordered)


def ordered_to_date(previous: dict[str, pd.DataFrame], start: str) -> pd.DataFrame:
    """Units ordered from each offer before ``start``: what the previous plan carried as
    ordered before its own first month, plus its purchase orders of the months before
    ``start`` (units bought and never shipped, with no month, are not ordered yet)."""
    orders = previous.get("purchase_orders", pd.DataFrame(columns=[*ORDERED_COLUMNS, "month"]))
    months = orders["month"].map(lambda m: month_index(m) if is_label(str(m)) else None)
    placed = orders[months.notna() & (months < month_index(start))]
    earlier = previous.get(ORDERED, pd.DataFrame(columns=ORDERED_COLUMNS))
    both = pd.concat([earlier[ORDERED_COLUMNS], placed[ORDERED_COLUMNS]], ignore_index=True)
    summed = both.groupby(["supplier", "sku"], as_index=False)["quantity"].sum()
    return summed[summed["quantity"] > SMALLEST].reset_index(drop=True)


def what_is_left(window: Instance, ordered: pd.DataFrame) -> Instance:
    """``window`` with each offer's capacity and minimum order, and each supplier's capacity,
    less what was ordered before it (never below 0; a blank capacity stays unlimited)."""
    if ordered.empty:
        return window
    offers = window.tables["offers"].copy()
    by_offer = offers.merge(ordered, on=["supplier", "sku"], how="left")["quantity"].fillna(0.0)
    by_offer.index = offers.index
    for column in ("capacity", "min_order"):
        if column in offers:
            offers[column] = _less(offers[column], by_offer)
    nodes = window.tables["nodes"].copy()
    bought = nodes["id"].map(ordered.groupby("supplier")["quantity"].sum()).fillna(0.0)
    if "capacity" in nodes:
        nodes["capacity"] = _less(nodes["capacity"], bought)
    return window.with_tables(offers=offers, nodes=nodes)


def _less(amounts: pd.Series, used: pd.Series) -> pd.Series:
    """``amounts`` less ``used``, 0 where nothing is left; blank (unlimited, or no minimum)
    and infinite amounts stay as they are."""
    numbers = pd.to_numeric(amounts)
    left = (numbers - used).clip(lower=0.0)
    return left.where(left > SMALLEST, 0.0).where(numbers.notna())


def _months(start: str, count: int) -> str:
    if count <= 0:
        return "(none)"
    return start if count == 1 else f"{start} to {shift_label(start, count - 1)}"


def _calendar_months(table: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    """Refuse a plan whose months are not calendar months: it cannot say which are past."""
    for column in columns:
        values = table[column].dropna()
        if not values.map(lambda v: is_label(str(v))).all():
            raise InputError(
                Problem(
                    source,
                    f"months in numbers ({values.iloc[0]!r}); rolling plans need calendar months: "
                    "write the demand's months as 2027-01 and solve the previous month again",
                    column=column,
                )
            )


def _opening_stock(stock: pd.DataFrame, start: str, source: str) -> tuple[pd.DataFrame, str]:
    """Expected stock at the end of the month before ``start``, per warehouse and SKU."""
    before = shift_label(start, -1)
    columns = ["warehouse", "sku", "quantity"]
    if stock.empty:
        return pd.DataFrame(columns=columns), "opening_stock: the previous plan holds no stock"
    _calendar_months(stock, ("month",), source)
    months = stock["month"].map(month_index)
    if month_index(before) > months.max():
        raise InputError(
            Problem(
                source,
                f"ends in {stock['month'].max()}, before {before}: its stock at the end of "
                f"{before} is not known; continue from the plan of a later month",
            )
        )
    rows = stock[stock["month"] == before]
    note = (
        f"opening_stock: the previous plan's expected stock at the end of {before}"
        if len(rows)
        else f"opening_stock: none (the previous plan starts in {start} or later)"
    )
    return rows[columns], note


def _decisions(previous: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The previous plan's decisions taken, as ``frozen`` rows (decision, node, sku, value)."""
    warehouses = previous["warehouses"]
    overseas = previous["overseas"]
    purchases = previous["purchases"]
    shipments = previous["shipments"]
    bonded = set(warehouses.loc[warehouses["kind"] == "bonded", "warehouse"])
    listed = shipments[shipments["destination"].isin(bonded) & (shipments["quantity"] > SMALLEST)]
    rows = [
        *(("warehouse", w, None) for w in warehouses.loc[warehouses["used"] > 0.5, "warehouse"]),
        *(("overseas", w, None) for w in overseas.loc[overseas["open"] > 0.5, "warehouse"]),
        *(
            ("listing", b, k)
            for b, k in sorted(set(zip(listed["destination"], listed["sku"], strict=True)))
        ),
        *(
            ("supplier", s, None)
            for s in dict.fromkeys(purchases.loc[purchases["quantity"] > SMALLEST, "supplier"])
        ),
    ]
    frame = pd.DataFrame(rows, columns=["decision", "node", "sku"])
    return frame.assign(value=1.0)


CHANGE_KEYS = {
    "shipments": ["origin", "destination", "sku", "mode", "ship_month"],
    "purchase_orders": ["supplier", "sku", "month"],
    "stock": ["warehouse", "sku", "month"],
    "warehouses": ["warehouse"],
    "overseas": ["warehouse"],
}
"""Per plan table compared by :func:`plan_changes`: its key, and (below) what it measures."""

CHANGE_VALUES = {
    "shipments": "quantity",
    "purchase_orders": "quantity",
    "stock": "quantity",
    "warehouses": "used",
    "overseas": "open",
}


def plan_changes(
    previous: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame], start: str
) -> pd.DataFrame:
    """What moved between two plans in the months both cover, from ``start`` to the previous
    plan's last month (its ``stock`` table's; months after it are new, not changes): per table
    and key, the previous and the new value and the change (rows that did not change are left
    out), the largest changes first within each table.

    Columns: ``table``, ``item`` (the key, ``/``-joined), ``month`` (blank for tables without
    one), ``field``, ``previous``, ``new``, ``change``. Routing plans are compared as network
    plans (:func:`as_network_plan`), their tables named as routing names them.
    """
    names = ROUTING_NAMES if is_routing_plan(current) else {}
    previous, current = as_network_plan(previous), as_network_plan(current)
    stock = previous.get("stock")
    months = [m for m in (stock["month"] if stock is not None else ()) if is_label(str(m))]
    last = max(months, key=month_index) if months else None
    frames = []
    for table, keys in CHANGE_KEYS.items():
        if table not in previous or table not in current:
            continue
        value = CHANGE_VALUES[table]
        month = next((k for k in keys if k.endswith("month")), None)
        keys = [k for k in keys if k in previous[table] and k in current[table]]
        before = _within(previous[table], month, start, last).groupby(keys, dropna=False)[value]
        after = _within(current[table], month, start, last).groupby(keys, dropna=False)[value]
        before, after = before.sum(), after.sum()
        both = pd.concat([before.rename("previous"), after.rename("new")], axis=1).fillna(0.0)
        both["change"] = both["new"] - both["previous"]
        moved = both[both["change"].abs() > SMALLEST].reset_index()
        if moved.empty:
            continue
        item_keys = [k for k in keys if k != month]
        frames.append(
            pd.DataFrame(
                {
                    "table": names.get(table, table),
                    "item": moved[item_keys].astype(str).agg("/".join, axis=1),
                    "month": moved[month] if month else None,
                    "field": value,
                    "previous": moved["previous"],
                    "new": moved["new"],
                    "change": moved["change"],
                }
            ).sort_values("change", key=abs, ascending=False, kind="stable")
        )
    columns = ["table", "item", "month", "field", "previous", "new", "change"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _within(table: pd.DataFrame, month: str | None, start: str, last: str | None) -> pd.DataFrame:
    """The rows of ``table`` in the calendar months ``start`` to ``last`` (``None``: no end;
    all rows of a table without months)."""
    if month is None or month not in table:
        return table
    end = month_index(last) if last is not None else None

    def inside(m) -> bool:
        return (
            is_label(str(m))
            and month_index(m) >= month_index(start)
            and (end is None or month_index(m) <= end)
        )

    return table[table[month].map(inside).to_numpy(bool)]  # an array: empty keeps columns


def plan_month(
    instance: Instance,
    start: str,
    horizon: int | None = None,
    previous: dict[str, pd.DataFrame] | None = None,
    frozen_months: int = 0,
    options: SolveOptions | None = None,
    config: Any = None,
    model: str = "network",
) -> tuple[Result, Carried | None]:
    """Solve the window of ``horizon`` months from ``start``, continuing ``previous``.

    The previous plan's in-motion part (:func:`carry_over`) enters the run, except the tables
    the instance itself holds; the result gets a ``changes`` table (:func:`plan_changes`).
    ``options``' time limit covers the whole call.

    Raises
    ------
    OptionError
        a previous plan for an instance that numbers its months (rolling needs calendar
        months), or a negative ``frozen_months``.
    InputError
        the carried tables do not fit the instance (a lane or SKU it no longer has).
    """
    from cbecopt.pipeline import solve

    options = (options or SolveOptions()).begin()
    window = instance.window(start, horizon)
    carried = None
    if previous is not None:
        if instance.first_month is None:
            raise OptionError(
                "rolling from a previous plan needs calendar months: write the demand's "
                "months as 2027-01",
                "previous",
            )
        if frozen_months < 0:
            raise OptionError(f"must be 0 or more months, got {frozen_months}", "frozen_months")
        carried = carry_over(previous, window.first_month, frozen_months)
        own = {name for name in IN_MOTION if name in instance.tables}
        window = window.with_tables(
            **{name: t for name, t in carried.tables.items() if name not in own}
        )
        window = what_is_left(window, carried.ordered)
        carried = Carried(
            carried.tables,
            tuple(
                f"{name}: the instance's own table (not carried)" if name in own else note
                for name, note in zip(IN_MOTION, carried.notes, strict=True)
            )
            + (
                f"{ORDERED}: {carried.ordered['quantity'].sum():,.0f} units ordered before "
                f"{window.first_month}, taken off the offers' and suppliers' capacities",
            ),
            carried.ordered,
        )
    result = solve(window, model, options, config)
    if result.tables and model == "network":
        ordered = carried.ordered if carried is not None else pd.DataFrame(columns=ORDERED_COLUMNS)
        result.tables[ORDERED] = ordered
    if previous is not None and result.tables:
        result.tables["changes"] = plan_changes(previous, result.tables, window.first_month)
    return result, carried
