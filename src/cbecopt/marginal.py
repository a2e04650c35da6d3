"""Marginal values: what one more unit of a row's right-hand side is worth to a plan.

A MIP has no duals; its plan does. After the solve, every integer variable (warehouses open,
suppliers qualified, SKUs listed, price segments) is held at its plan value and the linear
program that remains, the plan's flows, stock and purchases, is solved again through the one
solver boundary (:func:`cbecopt.highs.solve_compiled` with ``duals``). Each row's dual value
then says how the plan's cost moves per unit of that row's bound, the plan's decisions held:
where one more m³ of warehouse volume, one more unit of supplier capacity or of a lane is
worth most, and what one more unit of demand costs.

**Sign.** ``value`` is the cost saved by one more unit of the row's right-hand side,
``-d cost / d rhs`` (a maximised objective: its gain, ``d objective / d rhs``): at least 0 for
a binding capacity of a cost minimisation, at most 0 for a demand row (serving one more unit
costs). A capacity written ``usage <= S y`` with ``y`` held at 1 has right-hand side ``S``: its
value is per unit of capacity. A row of a scenario is weighted in the objective by the
scenario's probability, and so is its value: summed over the scenarios, the values of a
capacity's rows are what one more unit of it is worth in every scenario (where a first-stage
decision fills several scenarios' rows alike, how that sum is split among them is the
solver's choice).

Only binding rows are listed (``|value| > 1e-6``), most valuable first, and only rows of the
plan as it stands: a row that holds an integer decision the plan fixes at 0 (the capacity of a
warehouse kept closed, a supplier not qualified, a price segment not reached) only keeps that
site's flows at zero, together with other such rows, and what one more unit of it is worth
depends on which of them the solver credits, so it is left out. Where the LP is degenerate
otherwise (several rows bind the same flow), HiGHS reports one of the valid values. The table names each
row as the model names it: its family, the scenario of a scenario's row (blank in the first
stage) and its labels (``warehouse``, ``sku``, ``month``, ...: one column per label name any
listed family uses, blank where a family has no such label), then ``value`` and ``slack``
(the distance from the row's activity to its nearest finite bound; 0 for a binding row).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cbecopt.highs import RowOwner, SolveOptions, solve_compiled
from cbecopt.linear import LinearFamily
from cbecopt.stochastic.twostage import ExtensiveForm

BINDING = 1e-6
"""Rows whose value exceeds this in size are listed (solver noise below)."""
TABLE = "marginal_values"
"""The result table's name."""


def marginal_values(
    form: ExtensiveForm,
    values: np.ndarray,
    options: SolveOptions,
    show: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> tuple[pd.DataFrame | None, str]:
    """The marginal values of the plan ``values`` of ``form`` (see the module docstring), or
    ``None`` and why not (the re-solve stopped by the budget, or not proved optimal).
    ``show(table)`` turns the labels into what the model's plan tables show (e.g. months from
    1), ``None``: as they are."""
    compiled = form.compile()
    integer = compiled.integer_columns
    outcome = solve_compiled(
        compiled, options, fixed_columns=(integer, values[integer]), relax=True, duals=True
    )
    if outcome.row_duals is None:
        return None, (
            "marginal values not computed: the linear program with the plan's integer "
            f"decisions fixed was not solved to optimality ({outcome.termination})"
        )
    sign = 1.0 if compiled.maximize else -1.0
    value = sign * outcome.row_duals
    slack = _slack(compiled.row_lower, compiled.row_upper, outcome.row_activity)
    binding = np.flatnonzero((np.abs(value) > BINDING) & ~_held_shut(compiled, values))
    starts = np.array([o.start for o in compiled.row_owners], np.int64)
    owner = np.searchsorted(starts, binding, side="right") - 1
    frames = []
    for n in np.unique(owner):
        rows = binding[owner == n]
        labels = _labels(compiled.row_owners[n], rows)
        component = compiled.row_owners[n].component
        frames.append(
            pd.concat(
                [
                    pd.DataFrame(
                        {"family": component.local_name, "scenario": _scenario(component)},
                        index=range(len(rows)),
                    ),
                    labels,
                    pd.DataFrame({"value": value[rows], "slack": slack[rows]}),
                ],
                axis=1,
            )
        )
    table = _tidy(frames)
    return (table if show is None else show(table)), ""


def _held_shut(compiled, values: np.ndarray) -> np.ndarray:
    """Per row: it holds an integer column whose plan value rounds to 0."""
    shut = np.zeros(compiled.n_cols, bool)
    integer = compiled.integer_columns
    shut[integer] = np.rint(values[integer]) == 0
    row_of = np.repeat(np.arange(compiled.n_rows), np.diff(compiled.row_start))
    hits = shut[compiled.row_index] & (compiled.row_value != 0)
    return np.bincount(row_of[hits], minlength=compiled.n_rows) > 0


def _slack(lower: np.ndarray, upper: np.ndarray, activity: np.ndarray) -> np.ndarray:
    """Distance from each row's activity to its nearest finite bound (0 at or past it)."""
    to_upper = np.where(np.isfinite(upper), upper - activity, np.inf)
    to_lower = np.where(np.isfinite(lower), activity - lower, np.inf)
    return np.clip(np.minimum(to_upper, to_lower), 0.0, None)


def _labels(owner: RowOwner, rows: np.ndarray) -> pd.DataFrame:
    """The labels of compiled ``rows`` of one component, one column per label name: a linear
    family's ``row_keys`` (``row`` for an unnamed key), an ordinary constraint's index."""
    local = rows - owner.start
    positions = local if owner.positions is None else owner.positions[local]
    component = owner.component
    if isinstance(component, LinearFamily):
        keys = component.row_keys[positions]
        if isinstance(keys, pd.MultiIndex):
            names = [name or f"label{n}" for n, name in enumerate(keys.names)]
            return keys.to_frame(index=False, name=names)
        return pd.DataFrame({keys.name or "row": np.asarray(keys, object)})
    indices = list(component.keys())
    return pd.DataFrame({"row": [indices[p] for p in positions]})


def _scenario(component) -> object:
    """The scenario of a row in a scenario's block (``<model>.scenario[s]``), else None."""
    block = component.parent_block()
    while block is not None:
        if block.parent_component().local_name == "scenario" and block.index() is not None:
            return block.index()
        block = block.parent_block()
    return None


def _tidy(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One table, label columns in order of first use between ``scenario`` and ``value``,
    whole-number labels as integers, the most valuable rows first."""
    if not frames:
        return pd.DataFrame(columns=["family", "scenario", "value", "slack"])
    table = pd.concat(frames, ignore_index=True, sort=False)
    labels = [c for c in table.columns if c not in ("family", "scenario", "value", "slack")]
    table = table[["family", "scenario", *labels, "value", "slack"]]
    for column in labels:
        known = table[column].dropna()
        if pd.api.types.is_numeric_dtype(known) and len(known) and (known % 1 == 0).all():
            table[column] = table[column].astype("Int64")
    return table.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)
