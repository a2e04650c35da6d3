"""Building blocks shared by every formulation.

Large constraint families are built as Pyomo :class:`MatrixConstraint` components from
sparse (row, column, coefficient) triplets computed with numpy: the model is still a Pyomo
model (components, names, variables, writable to LP), but a family of a million rows costs
milliseconds instead of the ~10 µs per row of Pyomo's expression system. Small families can be
written as ordinary decorator-style Pyomo constraints; the solver module handles both.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.matrix_constraint import MatrixConstraint
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression


@dataclass(frozen=True)
class VarFamily:
    """A Pyomo variable family plus the position of each of its keys, for vectorised rows.

    ``data[k]`` is the Pyomo variable of ``keys[k]``; ``position[key]`` gives ``k``.
    """

    component: pyo.Var
    keys: tuple
    data: tuple

    @property
    def position(self) -> dict[Hashable, int]:
        return {key: k for k, key in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)


def add_var_family(
    m: pyo.ConcreteModel,
    name: str,
    keys: Sequence[Hashable],
    *,
    domain=pyo.NonNegativeReals,
    upper: np.ndarray | None = None,
    doc: str = "",
) -> VarFamily:
    """Add ``m.<name>`` indexed by ``keys`` (in that order), with optional per-key upper bounds."""
    keys = tuple(keys)
    index = pyo.Set(initialize=keys, ordered=True, dimen=None if not keys else _dimen(keys[0]))
    m.add_component(f"{name}_index", index)
    var = pyo.Var(index, domain=domain, doc=doc)
    m.add_component(name, var)
    data = tuple(var.values())
    if upper is not None:
        for k in np.flatnonzero(np.isfinite(upper)):
            data[k].setub(float(upper[k]))
    return VarFamily(var, keys, data)


def _dimen(key: Hashable) -> int:
    return len(key) if isinstance(key, tuple) else 1


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


def add_rows(
    m: pyo.ConcreteModel,
    name: str,
    row_keys: Sequence[Hashable],
    parts: Sequence[Terms],
    lower: np.ndarray | float | None,
    upper: np.ndarray | float | None,
    doc: str = "",
) -> MatrixConstraint:
    """Add the constraint family ``m.<name>``: ``lower[r] <= sum(coef * var) <= upper[r]`` for each row.

    ``row_keys[r]`` names row r in the math (a market, a warehouse); it is kept on the
    component as ``row_keys`` for reports and diagnoses. ``None`` bounds mean unbounded.
    """
    n_rows = len(row_keys)
    families: list[VarFamily] = []
    offsets: dict[int, int] = {}
    for part in parts:
        if id(part.family) not in offsets:
            offsets[id(part.family)] = sum(len(f) for f in families)
            families.append(part.family)
    row = np.concatenate([p.row for p in parts]) if parts else np.zeros(0, np.int64)
    col = (
        np.concatenate([p.position + offsets[id(p.family)] for p in parts])
        if parts
        else np.zeros(0, np.int64)
    )
    coef = np.concatenate([p.coef for p in parts]) if parts else np.zeros(0)
    order = np.lexsort((col, row))
    indptr = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    variables = [v for f in families for v in f.data]
    con = MatrixConstraint(
        coef[order], col[order], indptr, _bounds(lower, n_rows), _bounds(upper, n_rows), variables
    )
    con.doc = doc
    m.add_component(name, con)
    con.row_keys = tuple(row_keys)
    # Lets the solver map columns by family offsets instead of one lookup per variable.
    con.column_blocks = tuple((f.component, len(f)) for f in families)
    return con


def _bounds(value, n: int) -> list:
    if value is None:
        return [None] * n
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    return [None if v in (math.inf, -math.inf) else v for v in array.tolist()]


def linear_objective(
    parts: Sequence[Terms], constant: float = 0.0, sense=pyo.minimize
) -> pyo.Objective:
    """An objective ``constant + sum(coef * var)`` built without Pyomo's operator overloading."""
    coefs = np.concatenate([p.coef for p in parts]).tolist()
    variables = [v for p in parts for v in map(p.family.data.__getitem__, p.position.tolist())]
    monomials = list(map(MonomialTermExpression, zip(coefs, variables, strict=True)))
    expr = LinearExpression([constant, *monomials] if constant else monomials)
    objective = pyo.Objective(expr=expr, sense=sense)
    # The same terms as arrays, so the solver need not walk the expression; valid while the
    # objective still holds this very expression object (the solver checks identity).
    objective.column_terms = (
        expr,
        constant,
        [(p.family.component, p.position, p.coef) for p in parts],
    )
    return objective


def scenario_rows(names, probabilities, matrix: np.ndarray) -> list[tuple[str, float, np.ndarray]]:
    """Scenarios as the two-stage layer lists them, ``(name, probability, demand row)``, from
    names, probabilities and a scenarios x demand-keys matrix (e.g. what a sampler draws)."""
    return [
        (name, float(p), matrix[s])
        for s, (name, p) in enumerate(zip(names, probabilities, strict=True))
    ]
