"""Variable families and constraint families written by label.

A :class:`VarFamily` is a Pyomo variable family (:class:`~cbecopt.linear.FamilyVar`) with the
label of each variable: a pandas Index, a MultiIndex named by its key columns for families
keyed by several (``flow`` by warehouse, market and mode). Rows are then written as their math
reads, in the manner of linopy and PyPSA::

    flow.sum(by="market") == demand                       # one row per market of demand
    outflow[limited] <= capacity[limited] * open_[limited]
    flow <= big * open_                                   # open_ broadcast over the lanes

and added to a block as one :class:`~cbecopt.linear.LinearFamily` with :func:`add_family`.
Everything is integer arrays underneath: a family by label compiles to the same sparse rows,
in the same order, as the position arithmetic (:func:`terms`, :func:`add_rows`) it replaces,
at the same speed.

Alignment rules (one per operation, no silent filling):

- ``sum(by=columns)`` groups a family's variables by some key columns; the groups come in the
  order of those columns' levels (the order their values were declared in).
- ``a + b`` and ``a - b`` with the same key columns: rows are the union of labels, ``a``'s
  first; when one side's key columns are a subset of the other's, it is broadcast over the
  other's labels (``open_`` keyed by warehouse over ``flow``'s lanes); anything else is an
  error.
- ``series * terms``: a coefficient per row by label, broadcast the same way; a row with no
  coefficient is an error.
- ``terms[labels]``: those rows in that order; a label with no term is a row that sums nothing
  (so ``0 == demand`` keeps a market no lane reaches visibly infeasible).
- ``terms == rhs`` (``<=``, ``>=``): with a scalar, one row per label; with a Series, one row
  per label of the Series, in its order (the data name the rows); a label of the terms the
  Series lacks is an error; with terms on the right, ``lhs - rhs`` against 0.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from cbecopt.linear import (
    ColumnBounds,
    FamilyVar,
    LinearFamily,
    LinearObjective,
    ObjectiveTerms,
    linear_expression,
)


class VarFamily:
    """A Pyomo variable family with the label of each variable, for rows written by label.

    Attributes
    ----------
    component : the :class:`~cbecopt.linear.FamilyVar` on the model.
    keys : the Pyomo index of each variable, in order.
    data : the Pyomo variables, ``data[k]`` that of ``keys[k]``.
    labels : a pandas Index (a MultiIndex named by the key columns) labelling each variable.
    """

    __pandas_priority__ = 5000  # series * family: pandas defers to __rmul__
    __array_ufunc__ = None  # array * family: numpy defers too

    def __init__(self, component: FamilyVar, labels: pd.Index | None = None):
        if labels is not None and len(labels) != len(component.family_keys):
            raise ValueError(f"{len(labels)} labels for {len(component.family_keys)} variables")
        self.component = component
        self._labels = labels

    @property
    def keys(self) -> tuple:
        return self.component.family_keys

    @property
    def data(self) -> tuple:
        return self.component.variables

    @cached_property
    def position(self) -> dict[Hashable, int]:
        """``position[key]`` is the position of ``key`` in the family."""
        return {key: k for k, key in enumerate(self.keys)}

    @property
    def labels(self) -> pd.Index:
        if self._labels is None:
            self._labels = pd.Index(list(self.keys), tupleize_cols=True)
        return self._labels

    @property
    def key_frame(self) -> pd.DataFrame:
        """The labels as a DataFrame, one column per key column, one row per variable."""
        return self.labels.to_frame(index=False)

    def __len__(self) -> int:
        return len(self.keys)

    def keyed(self, values) -> pd.Series:
        """``values``, one per variable in key order, as data keyed by the variables' labels."""
        return pd.Series(np.asarray(values, np.float64), index=self.labels)

    def set_bounds(self, positions, lower=None, upper=None) -> None:
        """Set own lower and/or upper bounds of the variables at ``positions`` (``inf``: none)."""
        self.component.set_bounds(positions, lower, upper)

    @property
    def bounds(self) -> ColumnBounds:
        """The variables' bounds and integrality as arrays, in key order."""
        return self.component.bounds_view()

    def terms(self) -> LinearTerms:
        """One row per variable, labelled as the variable."""
        n = len(self)
        everything = np.arange(n, dtype=np.int64)
        return LinearTerms(self.labels, (Terms(self, everything, everything, np.ones(n)),))

    def sum(self, by: str | Sequence[str]) -> LinearTerms:
        """The sum of the variables per value of the key column(s) ``by``."""
        return self.terms().sum(by)

    def shift(self, column: str, periods: int = 1) -> LinearTerms:
        """One row per variable, labelled as the variable, holding the variable ``periods``
        steps earlier along the key column ``column`` (same other keys); a row whose earlier
        variable does not exist sums nothing (the stock before the first month is 0)."""
        if not isinstance(self.labels, pd.MultiIndex):
            raise ValueError("shift needs labels with several key columns")
        level = _names(self.labels).index(column)
        codes = list(self.labels.codes)
        earlier = np.asarray(codes[level], np.int64) - periods
        has = (earlier >= 0) & (earlier < len(self.labels.levels[level]))
        codes[level] = np.where(has, earlier, 0)
        shifted = pd.MultiIndex(
            levels=self.labels.levels, codes=codes, names=self.labels.names, verify_integrity=False
        )
        position = np.where(has, self.labels.get_indexer(shifted), -1)
        rows = np.flatnonzero(position >= 0)
        part = Terms(self, rows, position[rows], np.ones(len(rows)))
        return LinearTerms(self.labels, (part,))

    def __getitem__(self, labels) -> LinearTerms:
        return self.terms()[labels]

    def __neg__(self) -> LinearTerms:
        return -self.terms()

    def __add__(self, other) -> LinearTerms:
        return self.terms() + other

    def __sub__(self, other) -> LinearTerms:
        return self.terms() - other

    def __mul__(self, coefficient) -> LinearTerms:
        return self.terms() * coefficient

    __rmul__ = __mul__

    def __eq__(self, rhs) -> LinearRows:  # type: ignore[override]
        return self.terms() == rhs

    def __le__(self, rhs) -> LinearRows:
        return self.terms() <= rhs

    def __ge__(self, rhs) -> LinearRows:
        return self.terms() >= rhs

    __hash__ = object.__hash__


@dataclass(frozen=True)
class Terms:
    """Coefficients of one variable family in a constraint family: ``coef`` at (``row``, ``var`` position)."""

    family: VarFamily
    row: np.ndarray
    position: np.ndarray
    coef: np.ndarray


def terms(family: VarFamily, row, position, coef) -> Terms:
    """Broadcast and type the triplet arrays of one variable family."""
    row, position, coef = np.broadcast_arrays(
        np.asarray(row, np.int64), np.asarray(position, np.int64), np.asarray(coef, np.float64)
    )
    return Terms(family, row.ravel(), position.ravel(), coef.ravel())


@dataclass(frozen=True, eq=False)
class LinearTerms:
    """Linear expressions keyed by label: row ``r`` (labelled ``labels[r]``) is the sum of
    ``coef * variable`` over the entries of ``parts`` whose row is ``r``."""

    labels: pd.Index
    parts: tuple[Terms, ...]

    __pandas_priority__ = 5000
    __array_ufunc__ = None

    def __len__(self) -> int:
        return len(self.labels)

    def _remapped(self, labels: pd.Index, rows: np.ndarray) -> LinearTerms:
        """These terms on other rows: ``rows[r]`` is where row r goes (-1: dropped)."""
        parts = []
        for p in self.parts:
            new = rows[p.row]
            keep = new >= 0
            parts.append(Terms(p.family, new[keep], p.position[keep], p.coef[keep]))
        return LinearTerms(labels, tuple(parts))

    def _scaled(self, factor: np.ndarray | float) -> LinearTerms:
        """Each term times ``factor`` (a scalar, or one number per row)."""
        parts = tuple(
            Terms(
                p.family,
                p.row,
                p.position,
                p.coef * (factor if np.isscalar(factor) else factor[p.row]),
            )
            for p in self.parts
        )
        return LinearTerms(self.labels, parts)

    def _broadcast(self, labels: pd.Index) -> LinearTerms:
        """These terms repeated over ``labels``, whose key columns include these ones: each
        row of ``labels`` gets the row with the same values in the shared columns."""
        order, counts, starts = _remembered(
            (labels, self.labels), ("broadcast",), lambda: _spread(labels, self.labels)
        )
        parts = []
        for p in self.parts:
            repeats = counts[p.row]
            first = np.repeat(
                starts[p.row] - np.concatenate([[0], np.cumsum(repeats)[:-1]]), repeats
            )
            rows = order[first + np.arange(int(repeats.sum()))]
            parts.append(
                Terms(p.family, rows, np.repeat(p.position, repeats), np.repeat(p.coef, repeats))
            )
        return LinearTerms(labels, tuple(parts))

    def sum(self, by: str | Sequence[str]) -> LinearTerms:
        """The sum of the rows per value of the key column(s) ``by`` (groups in the order of
        those columns' levels)."""
        by = [by] if isinstance(by, str) else list(by)
        rows, labels = _groups(self.labels, by)
        return self._remapped(labels, rows)

    def within(self, keyed: pd.Index) -> LinearTerms:
        """The rows whose values in ``keyed``'s key columns (some of these rows' columns) are
        a label of ``keyed``, in order."""
        return self[_positions_by_columns(self.labels, keyed) >= 0]

    def rename(self, columns: dict[str, str]) -> LinearTerms:
        """The same rows with key columns renamed (``{"arrival": "month"}``)."""
        return LinearTerms(
            self.labels.rename([columns.get(n, n) for n in _names(self.labels)]), self.parts
        )

    def __getitem__(self, labels) -> LinearTerms:
        """These rows, in the order of ``labels``; a label without terms sums nothing. A
        boolean array of one entry per row selects the rows where it is true, in order."""
        if labels is self.labels:
            return self
        if isinstance(labels, np.ndarray | pd.Series) and labels.dtype == bool:
            mask = np.asarray(labels)
            rows = np.full(len(self.labels), -1, np.int64)
            rows[mask] = np.arange(int(mask.sum()))
            return self._remapped(self.labels[mask], rows)
        labels = _as_index(labels, self.labels.names)
        if labels.has_duplicates:
            raise ValueError("a label is selected twice")
        rows = np.full(len(self.labels), -1, np.int64)
        position = _indexer(self.labels, labels)
        found = position >= 0
        rows[position[found]] = np.flatnonzero(found)
        return self._remapped(labels, rows)

    def __neg__(self) -> LinearTerms:
        return self._scaled(-1.0)

    def __add__(self, other) -> LinearTerms:
        other = _as_terms(other)
        left, right = self, other
        names, other_names = set(_names(self.labels)), set(_names(other.labels))
        if other_names < names:
            right = other._broadcast(self.labels)
        elif names < other_names:
            left = self._broadcast(other.labels)
        elif names != other_names:
            raise ValueError(
                f"cannot align terms keyed by {list(self.labels.names)} with terms keyed by "
                f"{list(other.labels.names)}"
            )
        if left.labels is right.labels:
            return LinearTerms(left.labels, left.parts + right.parts)
        labels, right_rows = _remembered(
            (left.labels, right.labels), ("union",), lambda: _union(left.labels, right.labels)
        )
        if labels is not left.labels:
            left = left._remapped(labels, np.arange(len(left.labels), dtype=np.int64))
        return LinearTerms(labels, left.parts + right._remapped(labels, right_rows).parts)

    def __sub__(self, other) -> LinearTerms:
        return self + (-_as_terms(other))

    def __mul__(self, coefficient) -> LinearTerms:
        if np.isscalar(coefficient):
            return self._scaled(float(coefficient))
        if not isinstance(coefficient, pd.Series):
            raise TypeError("multiply terms by a number or a pandas Series keyed by label")
        names, series_names = set(_names(self.labels)), set(_names(coefficient.index))
        expanded = self._broadcast(coefficient.index) if names < series_names else self
        position = _positions_by_columns(expanded.labels, coefficient.index)
        if (position < 0).any():
            label = expanded.labels[np.flatnonzero(position < 0)[0]]
            raise ValueError(f"no coefficient for {label!r}")
        return expanded._scaled(coefficient.to_numpy(np.float64)[position])

    __rmul__ = __mul__

    def __eq__(self, rhs) -> LinearRows:  # type: ignore[override]
        return self._rows(rhs, "==")

    def __le__(self, rhs) -> LinearRows:
        return self._rows(rhs, "<=")

    def __ge__(self, rhs) -> LinearRows:
        return self._rows(rhs, ">=")

    __hash__ = object.__hash__

    def _rows(self, rhs, sense: str) -> LinearRows:
        if isinstance(rhs, LinearTerms | VarFamily):
            return (self - rhs)._rows(0.0, sense)
        if isinstance(rhs, pd.Series) and rhs.index is self.labels:
            lhs, value = self, rhs.to_numpy(np.float64)
        elif isinstance(rhs, pd.Series):
            position = _indexer(rhs.index, self.labels)
            if (position < 0).any():
                label = self.labels[np.flatnonzero(position < 0)[0]]
                raise ValueError(f"no right-hand side for {label!r}")
            lhs = self._remapped(rhs.index, position)
            value = rhs.to_numpy(np.float64)
        elif np.isscalar(rhs):
            lhs, value = self, np.full(len(self.labels), float(rhs))
        else:
            raise TypeError("compare terms with a number, a pandas Series or other terms")
        lower = value if sense in ("==", ">=") else None
        upper = value if sense in ("==", "<=") else None
        return LinearRows(lhs.labels, lhs.parts, lower, upper)


@dataclass(frozen=True)
class LinearRows:
    """Rows ``lower <= terms <= upper`` keyed by label (``None``: no bound on that side), not
    yet on a model: :func:`add_family` adds them."""

    labels: pd.Index
    parts: tuple[Terms, ...]
    lower: np.ndarray | None
    upper: np.ndarray | None


def stacked(labels: pd.Index, rows: Sequence[Sequence[Terms]]) -> LinearTerms:
    """Terms keyed by ``labels`` whose row ``r`` is everything in ``rows[r]`` added up into
    one number (the terms' own rows ignored): e.g. the total cost of each scenario, or
    ``stacked(pd.Index(["all"]), [cost])`` for a cost as one row."""
    if len(rows) != len(labels):
        raise ValueError(f"{len(rows)} rows of terms for {len(labels)} labels")
    parts = tuple(
        Terms(p.family, np.full(len(p.coef), r, np.int64), p.position, p.coef)
        for r, row in enumerate(rows)
        for p in row
    )
    return LinearTerms(labels, parts)


def nonempty(parts: Sequence[Terms]) -> tuple[Terms, ...]:
    """The parts with at least one term (a family of no variables contributes none)."""
    return tuple(p for p in parts if len(p.coef))


def _spread(labels: pd.Index, source: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How rows keyed by ``source`` repeat over ``labels`` (whose key columns include
    ``source``'s): the rows of ``labels`` ordered by their source row (stably), how many each
    source row has, and where each source row's run starts in that order."""
    of = _positions_by_columns(labels, source)
    missing = of < 0
    if missing.any():
        raise ValueError(
            f"no terms for {labels[np.flatnonzero(missing)[0]]!r} to broadcast over "
            f"{list(labels.names)}"
        )
    counts = np.bincount(of, minlength=len(source))
    return np.argsort(of, kind="stable"), counts, np.concatenate([[0], np.cumsum(counts)[:-1]])


def _union(left: pd.Index, right: pd.Index) -> tuple[pd.Index, np.ndarray]:
    """The labels of ``left`` then those of ``right`` it lacks (``left`` itself when it has
    them all, in its order), and the row of each ``right`` label among them."""
    if left.equals(right):
        return left, np.arange(len(right), dtype=np.int64)
    labels = left.append(right[~right.isin(left)])
    return labels, labels.get_indexer(right)


def _as_terms(value) -> LinearTerms:
    if isinstance(value, VarFamily):
        return value.terms()
    if isinstance(value, LinearTerms):
        return value
    raise TypeError(
        f"cannot add {type(value).__name__} to linear terms: constants go on the right-hand side"
    )


def _names(index: pd.Index) -> list:
    return list(index.names)


def _as_index(labels, names) -> pd.Index:
    """A selection of labels as an Index named like the labels it selects from."""
    if not isinstance(labels, pd.Index):
        labels = pd.Index(list(labels), tupleize_cols=True)
    if labels.nlevels != len(names) or list(labels.names) == list(names):
        return labels
    return labels.set_names(names)


_REMEMBERED: OrderedDict[tuple, tuple[tuple[pd.Index, ...], object]] = OrderedDict()
_REMEMBER_MOST, _REMEMBER_LARGEST = 64, 100_000


def _remembered(indexes: tuple[pd.Index, ...], detail: tuple, compute):
    """``compute()``, remembered for the last few small Index objects it is computed from (by
    identity: an Index is immutable), since a two-stage model aligns and groups the same
    labels in every scenario. What it returns may be shared: do not write to it."""
    key = (*map(id, indexes), *detail)
    entry = _REMEMBERED.get(key)
    if entry is not None and all(a is b for a, b in zip(entry[0], indexes, strict=True)):
        _REMEMBERED.move_to_end(key)
        return entry[1]
    value = compute()
    if max(map(len, indexes)) <= _REMEMBER_LARGEST:  # keep no large index alive
        _REMEMBERED[key] = (indexes, value)
        if len(_REMEMBERED) > _REMEMBER_MOST:
            _REMEMBERED.popitem(last=False)
    return value


def _indexer(keyed: pd.Index, labels: pd.Index) -> np.ndarray:
    """``keyed.get_indexer(labels)``, remembered (see :func:`_remembered`)."""
    return _remembered((keyed, labels), ("indexer",), lambda: keyed.get_indexer(labels))


def _groups(labels: pd.Index, by: list[str]) -> tuple[np.ndarray, pd.Index]:
    """The group of each label by the columns ``by`` (in their levels' order) and the groups'
    labels (remembered, see :func:`_remembered`)."""
    return _remembered((labels,), ("groups", *by), lambda: _grouped(labels, by))


def _grouped(labels: pd.Index, by: list[str]) -> tuple[np.ndarray, pd.Index]:
    missing = [name for name in by if name not in _names(labels)]
    if missing:
        raise ValueError(f"no key column {missing} among {_names(labels)}")
    if not isinstance(labels, pd.MultiIndex):
        rows, uniques = pd.factorize(labels)
        return rows.astype(np.int64), pd.Index(uniques, name=labels.name)
    levels = [labels.names.index(name) for name in by]
    codes = [np.asarray(labels.codes[k], np.int64) for k in levels]
    sizes = [len(labels.levels[k]) for k in levels]
    combined = np.zeros(len(labels), np.int64)
    for code, size in zip(codes, sizes, strict=True):
        combined = combined * size + code
    groups, rows = _unique_codes(combined, int(np.prod(sizes)))
    group_codes = []
    for size in reversed(sizes):
        group_codes.append(groups % size)
        groups = groups // size
    group_codes.reverse()
    if len(by) == 1:
        return rows, pd.Index(labels.levels[levels[0]][group_codes[0]], name=by[0])
    index = pd.MultiIndex(
        levels=[labels.levels[k] for k in levels],
        codes=group_codes,
        names=by,
        verify_integrity=False,
    )
    return rows, index


def _unique_codes(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``codes`` (integers in ``[0, size)``) in increasing order, and
    the index of each code among them: ``np.unique(codes, return_inverse=True)``, by counting
    instead of sorting when ``size`` is not much larger than the codes."""
    if size > 4 * len(codes) + 1_000_000:
        return np.unique(codes, return_inverse=True)
    present = np.bincount(codes, minlength=size) > 0
    group_of = np.cumsum(present) - 1
    return np.flatnonzero(present), group_of[codes]


def _positions_by_columns(labels: pd.Index, keyed: pd.Index) -> np.ndarray:
    """For each label, the position in ``keyed`` of the label with the same values in
    ``keyed``'s key columns (a subset of ``labels``' columns); -1 where there is none."""
    if keyed is labels:
        return np.arange(len(labels), dtype=np.int64)
    names, label_names = _names(keyed), _names(labels)
    if label_names == names:
        return _indexer(keyed, labels)
    if not set(names) <= set(label_names):
        raise ValueError(f"cannot align labels keyed by {label_names} with {names}")
    if len(names) == 1:
        level = label_names.index(names[0])
        of_level = _indexer(keyed, labels.levels[level])
        return of_level[np.asarray(labels.codes[level], np.int64)]
    return _remembered((keyed, labels), ("by columns",), lambda: _by_columns(labels, keyed))


def _by_columns(labels: pd.MultiIndex, keyed: pd.MultiIndex) -> np.ndarray:
    """:func:`_positions_by_columns` for ``keyed`` with several key columns, fewer than
    ``labels``."""
    names = _names(keyed)
    shared = labels.droplevel([n for n in _names(labels) if n not in names])
    return keyed.get_indexer(shared.reorder_levels(names))


def coded_labels(**columns: tuple[Sequence, np.ndarray]) -> pd.MultiIndex:
    """Labels from key columns given as ``name=(values, codes)``: the column's values in the
    model's order (which sums by it follow) and, per label, the position of its value there."""
    return pd.MultiIndex(
        levels=[values for values, _ in columns.values()],
        codes=[np.asarray(codes, np.int64) for _, codes in columns.values()],
        names=list(columns),
        verify_integrity=False,
    )


def add_var_family(
    m: pyo.Block,
    name: str,
    keys: Sequence[Hashable],
    *,
    domain=pyo.NonNegativeReals,
    upper: np.ndarray | None = None,
    labels: pd.Index | None = None,
    doc: str = "",
) -> VarFamily:
    """Add ``m.<name>``, a variable family indexed by ``keys`` (in that order), with optional
    per-key upper bounds (``inf``: none) and ``labels`` (default: the keys, unnamed)."""
    component = FamilyVar(keys, domain=domain, upper=upper, doc=doc)
    m.add_component(name, component)
    family = VarFamily(component, labels)
    component.family_labels = labels
    return family


def family_of(block: pyo.Block, name: str) -> VarFamily:
    """The variable family ``block.<name>`` with the labels it was added with
    (:func:`add_var_family`), e.g. to write rows that link it to another model's families."""
    component = block.component(name)
    if not isinstance(component, FamilyVar):
        where = block.name or "the model"
        raise KeyError(f"{where} has no variable family {name!r}")
    return VarFamily(component, component.family_labels)


def add_family(block: pyo.Block, name: str, rows: LinearRows, doc: str = "") -> LinearFamily:
    """Add rows written by label as one linear family ``block.<name>``, with their labels as
    its ``row_keys``."""
    return _add_linear_family(
        block, name, len(rows.labels), rows.parts, rows.lower, rows.upper, rows.labels, doc
    )


def add_rows(
    m: pyo.Block,
    name: str,
    row_keys: Sequence[Hashable],
    parts: Sequence[Terms],
    lower: np.ndarray | float | None,
    upper: np.ndarray | float | None,
    doc: str = "",
) -> LinearFamily:
    """Add the constraint family ``m.<name>``: ``lower[r] <= sum(coef * var) <= upper[r]`` for
    each row, from position triplets; ``row_keys[r]`` names row r. ``None`` bounds mean
    unbounded."""
    return _add_linear_family(m, name, len(row_keys), parts, lower, upper, row_keys, doc)


def _add_linear_family(block, name, n_rows, parts, lower, upper, row_keys, doc) -> LinearFamily:
    families, offsets = _families_of(parts)
    empty = np.zeros(0, np.int64)
    row = np.concatenate([p.row for p in parts]) if parts else empty
    column = np.concatenate([p.position + offsets[id(p.family)] for p in parts]) if parts else empty
    coef = np.concatenate([p.coef for p in parts]) if parts else np.zeros(0)
    family = LinearFamily.from_triplets(
        n_rows, row, column, coef, lower, upper, [f.component for f in families], row_keys, doc
    )
    block.add_component(name, family)
    return family


def _families_of(parts: Sequence[Terms]) -> tuple[list[VarFamily], dict[int, int]]:
    """The variable families of ``parts`` in order of first appearance, and the first local
    column of each (by ``id``)."""
    families: list[VarFamily] = []
    offsets: dict[int, int] = {}
    start = 0
    for part in parts:
        if id(part.family) not in offsets:
            offsets[id(part.family)] = start
            start += len(part.family)
            families.append(part.family)
    return families, offsets


def linear_objective(
    parts: Sequence[Terms], constant: float = 0.0, sense=pyo.minimize
) -> LinearObjective:
    """An objective ``constant + sum(coef * var)`` over the terms' positions (rows ignored)."""
    return LinearObjective(_objective_terms(parts, constant), sense=sense)


def summed_objective(
    objectives: Sequence[LinearObjective], parts: Sequence[Terms] = ()
) -> LinearObjective:
    """One objective, the sum of linear objectives (each minimised) and of further ``parts``:
    the objective of several models in one Pyomo model (:mod:`cbecopt.compose`)."""
    views = [o.terms() for o in objectives]
    if any(o.sense != pyo.minimize for o in objectives):
        raise ValueError("only minimised objectives can be summed")
    views.append(_objective_terms(nonempty(parts), 0.0))
    families: list[FamilyVar] = []
    columns, start = [], 0
    for view in views:
        columns.append(view.columns + start)
        families.extend(view.families)
        start += sum(len(f.family_keys) for f in view.families)
    return LinearObjective(
        ObjectiveTerms(
            np.concatenate(columns),
            np.concatenate([v.coefficients for v in views]),
            float(sum(v.constant for v in views)),
            tuple(families),
        )
    )


def terms_expression(parts: Sequence[Terms], constant: float = 0.0) -> LinearExpression:
    """``constant + sum(coef * var)`` over the terms' positions (rows ignored) as one Pyomo
    expression, e.g. for a named ``pyo.Expression``."""
    view = _objective_terms(parts, constant)
    variables = tuple(v for family in view.families for v in family.variables)
    return linear_expression(variables, view.columns, view.coefficients, view.constant)


def _objective_terms(parts: Sequence[Terms], constant: float) -> ObjectiveTerms:
    families, offsets = _families_of(parts)
    empty = np.zeros(0, np.int64)
    columns = (
        np.concatenate([p.position + offsets[id(p.family)] for p in parts]) if parts else empty
    )
    coefficients = np.concatenate([p.coef for p in parts]) if parts else np.zeros(0)
    return ObjectiveTerms(
        columns, coefficients, float(constant), tuple(f.component for f in families)
    )
