"""Our linear-family components: Pyomo components backed by arrays, with public views.

A model of a million rows cannot afford Pyomo's ~10 µs per expression to build, nor a walk
over every expression to hand it to HiGHS; it still has to be a Pyomo model every Pyomo tool
can use. Three components do both:

- :class:`FamilyVar`, an indexed ``Var`` whose bounds and integrality are also kept as arrays
  (:meth:`FamilyVar.bounds_view`), set in bulk through :meth:`FamilyVar.set_bounds`;
- :class:`LinearFamily`, a family of rows ``lower <= A x <= upper`` stored in CSR form over
  the columns of some :class:`FamilyVar` families (:meth:`LinearFamily.matrix`, with the
  label of each row in :attr:`LinearFamily.row_keys`);
- :class:`LinearObjective`, a linear objective stored as arrays of terms
  (:meth:`LinearObjective.terms`).

The solver boundary (:func:`cbecopt.highs.compile_model`) reads these views and nothing
private. Pyomo's writers and solver interfaces (``model.write`` to LP and MPS, ``appsi_highs``,
the contrib ``highs``, ``LinearStandardFormCompiler``, mpi-sppy) see ordinary components: a row
of a :class:`LinearFamily` is a ``ConstraintData`` whose ``body`` (a ``LinearExpression``),
bounds and relational ``expr`` are made from the arrays when asked for; the objective's
expression likewise, once.

Why not Pyomo's ``MatrixConstraint`` (``pyomo.core.base.matrix_constraint``): it puts
``collections.abc.Mapping`` ahead of ``IndexedConstraint``, so its ``values()`` takes no
``sort`` argument and every writer fails on it with ``TypeError: Mapping.values() takes 1
positional argument but 2 were given``; its rows lack ``to_bounded_expression``, which the LP
writer and the standard-form compiler call; and its arrays are private attributes. Fixing a
subclass would mean overriding nearly all of it, so :class:`LinearFamily` is written on
``IndexedConstraint`` directly, the way Pyomo's own constraint kinds are.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.modeling import NOTSET
from pyomo.core.base.block import SortComponents
from pyomo.core.base.constraint import ConstraintData, IndexedConstraint
from pyomo.core.base.objective import ScalarObjective
from pyomo.core.base.var import IndexedVar, VarData
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.relational_expr import (
    EqualityExpression,
    InequalityExpression,
    RangedExpression,
)

from cbecopt.limits import checkpoint


@dataclass(frozen=True)
class ColumnBounds:
    """Bounds and integrality of a variable family's columns, in key order.

    ``lower``/``upper`` are the effective bounds (the tighter of the variable's own bound and
    its domain's; a fixed variable's value on both sides), ``-inf``/``inf`` for none.
    """

    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray


def _noting(setter):
    """A VarData property setter that also tells the family which entry changed."""

    def set_and_note(data: VarData, value) -> None:
        setter(data, value)
        data.parent_component().note_edit(data)

    return set_and_note


class FamilyVarData(VarData):
    """A variable of a :class:`FamilyVar`: an ordinary ``VarData`` that tells its family when
    its bounds, domain or fixed flag change through Pyomo, so the family's arrays never
    disagree with what Pyomo sees."""

    __slots__ = ()

    lower = property(VarData.lower.fget, _noting(VarData.lower.fset), doc=VarData.lower.__doc__)
    upper = property(VarData.upper.fget, _noting(VarData.upper.fset), doc=VarData.upper.__doc__)
    domain = property(VarData.domain.fget, _noting(VarData.domain.fset), doc=VarData.domain.__doc__)
    fixed = property(VarData.fixed.fget, _noting(VarData.fixed.fset), doc=VarData.fixed.__doc__)


class FamilyVar(IndexedVar):
    """An indexed Pyomo variable whose bounds and integrality are also arrays.

    Indexed by ``keys`` (hashable, distinct) in that order; ``domain`` is one Pyomo domain or
    a mapping from key to domain; ``upper`` optional own upper bounds, one per key (a
    non-finite entry: none). Its variables are made in one pass (:func:`_make_variables`),
    not one Pyomo construction per index. Bounds set in bulk later go through
    :meth:`set_bounds`, which sets both the arrays and each variable's own Pyomo bound; a
    bound, domain or fixed flag changed on one variable through Pyomo (``m.x[k].setub(3)``,
    ``fix``) is noted and read back from Pyomo by :meth:`bounds_view`. Either way the arrays
    and Pyomo's variables agree.
    """

    _ComponentDataClass = FamilyVarData

    def __init__(
        self,
        keys: Sequence[Hashable],
        *,
        domain=pyo.Reals,
        upper: np.ndarray | None = None,
        doc: str | None = None,
    ):
        checkpoint()  # a watched build stops between families once its budget has expired
        self.family_keys = tuple(keys)
        if upper is not None and len(upper) != len(self.family_keys):
            raise ValueError(f"{len(upper)} upper bounds for {len(self.family_keys)} variables")
        self.family_labels = None  # the pandas labels of the keys, set by labelled.add_var_family
        self._domain_of = domain
        self._own_upper = upper
        self._tracking = False
        self._edited: set = set()
        super().__init__(pyo.SetOf(self.family_keys), domain=domain, doc=doc, dense=True)

    def construct(self, data=None) -> None:
        if self.is_constructed():
            return
        self._domain_lower, self._domain_upper, self._integer = _domain_arrays(
            self._domain_of, self.family_keys
        )
        self._lower = self._domain_lower.copy()
        self._upper = self._domain_upper.copy()
        own = None
        if self._own_upper is not None:
            upper = np.asarray(self._own_upper, np.float64)
            finite = np.isfinite(upper)
            own = np.where(finite, upper, np.nan).tolist()  # nan: no own bound
            self._upper[finite] = np.fmin(upper[finite], self._domain_upper[finite])
        self._own_upper = None
        domains = self._domain_of
        if isinstance(domains, dict):
            domains = [domains[key] for key in self.family_keys]
        self.variables = _make_variables(self, domains, own)
        if len(self) != len(self.family_keys):
            raise ValueError(f"variable family {self.name}: its keys are not distinct")
        self._tracking = True

    variables: tuple[VarData, ...]
    """The Pyomo variables in key order (``variables[k]`` is the variable of key k); set when
    the family is constructed."""

    @cached_property
    def _position(self) -> dict[Hashable, int]:
        return {key: k for k, key in enumerate(self.family_keys)}

    @property
    def domain(self):
        return IndexedVar.domain.fget(self)

    @domain.setter
    def domain(self, domain) -> None:
        """Pyomo's family-wide domain setter, which sets each variable's domain directly."""
        IndexedVar.domain.fset(self, domain)
        self._edited.update(self.family_keys)

    def note_edit(self, data: VarData) -> None:
        """Record that one variable's bounds, domain or fixed flag changed through Pyomo."""
        if self._tracking:
            self._edited.add(data.index())

    def set_bounds(self, positions, lower=None, upper=None) -> None:
        """Set the own lower and/or upper bounds of the variables at ``positions`` (arrays;
        ``inf``/``-inf`` for none); the effective bound is the tighter of it and the domain's."""
        positions = np.asarray(positions, dtype=np.int64)
        variables = self.variables
        for side, values, setter in (
            ("lower", lower, VarData.lower.fset),
            ("upper", upper, VarData.upper.fset),
        ):
            if values is None:
                continue
            values = np.broadcast_to(np.asarray(values, dtype=np.float64), positions.shape)
            for k, value in zip(positions.tolist(), values.tolist(), strict=True):
                setter(variables[k], None if np.isinf(value) else value)
            if side == "lower":
                self._lower[positions] = np.fmax(values, self._domain_lower[positions])
            else:
                self._upper[positions] = np.fmin(values, self._domain_upper[positions])

    def bounds_view(self) -> ColumnBounds:
        """The columns' bounds and integrality as arrays, in key order (a copy)."""
        lower, upper, integer = self._lower.copy(), self._upper.copy(), self._integer.copy()
        for key in self._edited:
            k = self._position[key]
            lower[k], upper[k], integer[k] = pyomo_column(self[key])
        return ColumnBounds(lower, upper, integer)


def _make_variables(family: FamilyVar, domain, upper: list | None) -> tuple[VarData, ...]:
    """Construct ``family``: make its variables, one per key in key order, and return them.

    ``domain`` is one Pyomo domain or a list of one per key; ``upper`` a list of own upper
    bounds (``nan``: none) or ``None`` for none at all.

    This is the one place cbecopt writes Pyomo's private slots, and on purpose: Pyomo's own
    construction of a dense indexed ``Var`` makes a template variable and copies it per index
    through several calls, and bounds set afterwards go through a validating property per
    variable, about 5 µs a variable; a two-stage extensive form has millions. Here each
    variable gets, in one pass, exactly the state ``VarData.__init__`` and Pyomo's dense
    construction give it (owner, index, no value, no own lower bound, the own upper bound,
    the domain, not fixed, not stale), and the family's ``_data`` map and constructed flag are
    set as ``IndexedVar.construct`` sets them. What Pyomo sees afterwards is an ordinary
    constructed ``IndexedVar`` (``tests/test_pyomo_models.py`` writes and solves such models
    through Pyomo's own tools). Written against Pyomo 6.x's ``VarData`` slots
    (``_component``, ``_index``, ``_value``, ``_lb``, ``_ub``, ``_domain``, ``_fixed``,
    ``_stale``); a Pyomo that changes them breaks this function and the tests say so.
    """
    family._constructed = True
    family.index_set().construct()
    keys = family.family_keys
    domains = repeat(domain) if not isinstance(domain, list) else domain
    uppers = repeat(None) if upper is None else (None if u != u else u for u in upper)
    owner = weakref.ref(family)
    kind = family._ComponentDataClass
    make = kind.__new__
    made = []
    append = made.append
    for key, domain_of, upper_of in zip(keys, domains, uppers, strict=False):  # repeat()s
        var = make(kind)
        var._component = owner
        var._index = key
        var._value = None
        var._lb = None
        var._ub = upper_of
        var._domain = domain_of
        var._fixed = False
        var._stale = 0
        append(var)
    family._data.update(zip(keys, made, strict=True))
    return tuple(made)


def pyomo_column(var: VarData) -> tuple[float, float, bool]:
    """Lower and upper bound (``±inf`` for none; the value of a fixed variable on both sides)
    and integrality of one variable, through Pyomo's public API."""
    if var.fixed:
        if var.value is None:
            raise ValueError(f"variable {var.name} is fixed but has no value")
        return float(var.value), float(var.value), var.is_integer()
    lb, ub = var.bounds
    return (-np.inf if lb is None else lb), (np.inf if ub is None else ub), var.is_integer()


def _domain_arrays(domain, keys: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower bounds, upper bounds and integrality implied by a domain (or a key -> domain map)."""
    if not isinstance(domain, dict):
        lower, upper, integer = _interval(domain)
        n = len(keys)
        return np.full(n, lower), np.full(n, upper), np.full(n, integer)
    domains = {id(d): d for d in domain.values()}
    order = {key: k for k, key in enumerate(domains)}
    which = np.fromiter((order[id(domain[key])] for key in keys), np.int64, len(keys))
    table = np.array([_interval(d) for d in domains.values()], dtype=np.float64).reshape(-1, 3)
    return table[which, 0], table[which, 1], table[which, 2].astype(bool)


def _interval(domain) -> tuple[float, float, bool]:
    """(lower, upper, is integer) of a plain Pyomo domain (reals or integers within bounds)."""
    lower, upper, step = domain.get_interval()
    if step not in (0, 1):
        raise ValueError(f"variable families take real or integer domains, not {domain}")
    return (
        -np.inf if lower is None else float(lower),
        np.inf if upper is None else float(upper),
        step == 1,
    )


@dataclass(frozen=True)
class RowMatrix:
    """The rows of a :class:`LinearFamily` as arrays, the view a solver reads.

    Row ``r`` is ``lower[r] <= sum(coefficients[k] * column(columns[k]))
    <= upper[r]`` over ``k in range(indptr[r], indptr[r + 1])`` (``-inf``/``inf``: no bound).
    Columns count through ``families`` in order: column ``c`` is entry ``c - s`` of the first
    family whose columns start at ``s <= c`` (the families' lengths added up). ``active[r]``
    is False for a row deactivated through Pyomo.
    """

    indptr: np.ndarray
    columns: np.ndarray
    coefficients: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    families: tuple[FamilyVar, ...]
    active: np.ndarray

    @property
    def n_rows(self) -> int:
        return len(self.lower)


class LinearRowData(ConstraintData):
    """One row of a :class:`LinearFamily`: its body, bounds and expression are made from the
    family's arrays when asked for. Rows are fixed: replace one by deactivating it and adding
    an ordinary constraint."""

    __slots__ = ()

    def to_bounded_expression(self, evaluate_bounds: bool = False):
        return self.parent_component().row_expression(self.index())

    @property
    def expr(self):
        lower, body, upper = self.to_bounded_expression()
        if lower is not None and lower == upper:
            return EqualityExpression((body, upper))
        if lower is None and upper is None:
            return None
        if lower is None:
            return InequalityExpression((body, upper), False)
        if upper is None:
            return InequalityExpression((lower, body), False)
        return RangedExpression((lower, body, upper), (False, False))

    def set_value(self, expr) -> None:
        raise NotImplementedError(
            f"{self.name} is a row of a linear family and cannot be changed; deactivate it "
            "and add an ordinary constraint instead"
        )

    def activate(self) -> None:
        super().activate()
        self.parent_component().note_activity(self)

    def deactivate(self) -> None:
        super().deactivate()
        self.parent_component().note_activity(self)


class LinearFamily(IndexedConstraint):
    """A family of linear rows ``lower <= A x <= upper`` in CSR form, as one Pyomo constraint.

    Indexed by row position ``0 .. n - 1``; :attr:`row_keys` names each row in the math (a
    market, a warehouse). Build one with :meth:`from_triplets`.

    Attributes
    ----------
    row_keys : pandas.Index
        The label of each row, in row order (a MultiIndex named by the key columns for rows
        built by label, see :mod:`cbecopt.labelled`).
    """

    _ComponentDataClass = LinearRowData

    def __init__(
        self,
        indptr: np.ndarray,
        columns: np.ndarray,
        coefficients: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
        families: Sequence[FamilyVar],
        row_keys: Sequence[Hashable] | pd.Index | None = None,
        doc: str | None = None,
    ):
        checkpoint()  # a watched build stops between families once its budget has expired
        n_rows = len(indptr) - 1
        if not len(lower) == len(upper) == n_rows or len(columns) != len(coefficients):
            raise ValueError("a linear family's arrays disagree in length")
        if row_keys is not None and len(row_keys) != n_rows:
            raise ValueError(f"{len(row_keys)} row keys for {n_rows} rows")
        n_cols = sum(len(f.family_keys) for f in families)
        if len(columns) and not 0 <= int(columns.min()) <= int(columns.max()) < n_cols:
            raise ValueError("a linear family refers to a column outside its variable families")
        self._indptr = np.asarray(indptr, dtype=np.int64)
        self._columns = np.asarray(columns, dtype=np.int64)
        self._coefficients = np.asarray(coefficients, dtype=np.float64)
        self._lower = np.asarray(lower, dtype=np.float64)
        self._upper = np.asarray(upper, dtype=np.float64)
        self._families = tuple(families)
        self._row_keys = row_keys
        self._inactive: set[int] = set()
        self._rows_made = False
        super().__init__(pyo.RangeSet(0, n_rows - 1), doc=doc)

    @classmethod
    def from_triplets(
        cls,
        n_rows: int,
        row: np.ndarray,
        column: np.ndarray,
        coefficient: np.ndarray,
        lower,
        upper,
        families: Sequence[FamilyVar],
        row_keys: Sequence[Hashable] | pd.Index | None = None,
        doc: str | None = None,
    ) -> LinearFamily:
        """The family from (row, column, coefficient) triplets, columns sorted within each row
        and the coefficients of a repeated (row, column) added up (HiGHS refuses repeats).

        ``lower``/``upper`` are arrays or scalars, ``None`` for unbounded.
        """
        order = np.lexsort((column, row))
        row, column, coefficient = row[order], column[order], coefficient[order]
        first = np.ones(len(row), bool)
        first[1:] = (row[1:] != row[:-1]) | (column[1:] != column[:-1])
        if not first.all():
            starts = np.flatnonzero(first)
            row, column = row[starts], column[starts]
            coefficient = np.add.reduceat(coefficient, starts)
        indptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
        return cls(
            indptr,
            column,
            coefficient,
            _bound_array(lower, n_rows, -np.inf),
            _bound_array(upper, n_rows, np.inf),
            families,
            row_keys,
            doc,
        )

    # The rows' data objects are made the first time something asks for them (a writer, a
    # solver interface, ``m.family[r]``): the arrays are the rows, and a solve through
    # :func:`cbecopt.highs.compile_model` never needs the objects. Filling ``_data`` is this
    # component's own construction, as in any Pyomo component.
    def _rows(self) -> dict:
        if not self._rows_made:
            self._rows_made = True
            owner = self._data
            for r in range(len(self._lower)):
                row = LinearRowData(component=self)
                row._index = r
                owner[r] = row
        return self._data

    def __len__(self) -> int:
        return len(self._lower)

    def __contains__(self, index) -> bool:
        return isinstance(index, int | np.integer) and 0 <= index < len(self._lower)

    def __getitem__(self, index) -> LinearRowData:
        self._rows()
        return super().__getitem__(index)

    def values(self, sort=SortComponents.UNSORTED, ordered=NOTSET):
        self._rows()
        return super().values(sort, ordered)

    def items(self, sort=SortComponents.UNSORTED, ordered=NOTSET):
        self._rows()
        return super().items(sort, ordered)

    @property
    def row_keys(self) -> pd.Index:
        if not isinstance(self._row_keys, pd.Index):
            keys = range(len(self._lower)) if self._row_keys is None else list(self._row_keys)
            self._row_keys = pd.Index(keys, tupleize_cols=True)
        return self._row_keys

    def matrix(self) -> RowMatrix:
        """The rows as arrays (see :class:`RowMatrix`); the arrays are the family's own, do
        not write to them."""
        active = np.ones(len(self._lower), bool)
        if self._inactive:
            active[list(self._inactive)] = False
        return RowMatrix(
            self._indptr,
            self._columns,
            self._coefficients,
            self._lower,
            self._upper,
            self._families,
            active,
        )

    def note_activity(self, row: LinearRowData) -> None:
        """Record a row activated or deactivated through Pyomo."""
        if row.active:
            self._inactive.discard(row.index())
        else:
            self._inactive.add(row.index())

    @cached_property
    def _variables(self) -> tuple[VarData, ...]:
        return tuple(v for family in self._families for v in family.variables)

    def row_expression(self, r: int) -> tuple[float | None, LinearExpression, float | None]:
        """``(lower, body, upper)`` of row ``r``: Pyomo's ``to_bounded_expression`` form."""
        start, end = self._indptr[r], self._indptr[r + 1]
        body = linear_expression(
            self._variables, self._columns[start:end], self._coefficients[start:end]
        )
        return _finite(self._lower[r]), body, _finite(self._upper[r])


def linear_expression(
    variables: Sequence[VarData], columns: np.ndarray, coefficients: np.ndarray, constant=0.0
) -> LinearExpression:
    """``constant + sum(coefficients[k] * variables[columns[k]])`` as one LinearExpression,
    built without Pyomo's operator overloading."""
    terms = list(
        map(
            MonomialTermExpression,
            zip(coefficients.tolist(), map(variables.__getitem__, columns.tolist()), strict=True),
        )
    )
    return LinearExpression([float(constant), *terms] if constant else terms)


def _finite(bound: float) -> float | None:
    return None if np.isinf(bound) else float(bound)


def _bound_array(value, n: int, none: float) -> np.ndarray:
    if value is None:
        return np.full(n, none)
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


@dataclass(frozen=True)
class ObjectiveTerms:
    """A linear objective as arrays: ``constant + sum(coefficients[k] * column(columns[k]))``,
    columns counted through ``families`` as in :class:`RowMatrix`; a column may repeat (its
    coefficients add up)."""

    columns: np.ndarray
    coefficients: np.ndarray
    constant: float
    families: tuple[FamilyVar, ...]


class LinearObjective(ScalarObjective):
    """A linear objective kept as arrays of terms (:meth:`terms`).

    Its Pyomo expression is made from the arrays the first time something asks for it (a
    writer, a solver interface, ``pyo.value``). Setting another expression
    (``m.total_cost.expr = ...``) turns it into an ordinary ``ScalarObjective``, so the arrays
    never describe an expression the objective no longer has.
    """

    def __init__(self, terms: ObjectiveTerms, sense=pyo.minimize, doc: str | None = None):
        super().__init__(doc=doc)
        self.set_sense(sense)
        self._terms = terms
        self._expression_made = False

    def construct(self, data=None) -> None:
        if self.is_constructed():
            return
        super().construct(data)
        # Registers the objective with the constant alone; ``args`` makes the expression.
        ScalarObjective.set_value(self, float(self._terms.constant))

    def terms(self) -> ObjectiveTerms:
        """The objective's terms as arrays (the family's own: do not write to them)."""
        return self._terms

    @property
    def args(self):
        if not self._expression_made:
            self._expression_made = True
            variables = tuple(v for family in self._terms.families for v in family.variables)
            expr = linear_expression(
                variables, self._terms.columns, self._terms.coefficients, self._terms.constant
            )
            ScalarObjective.set_value(self, expr)
        return super().args

    def set_value(self, expr) -> None:
        """Set another expression: from now on an ordinary objective."""
        self.__class__ = ScalarObjective
        return ScalarObjective.set_value(self, expr)
