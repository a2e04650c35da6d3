"""Whole units and whole cases in a model, decided by the solver rather than by rounding a
plan afterwards (rounding 129.2 handbags breaks the brand-direct share the plan was built to
meet). Used by the ``network`` and ``routing`` models (their ``integer_quantities`` option
and the ``pack_size`` columns of ``products`` and ``arcs``).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from cbecopt.families import whole_cases
from cbecopt.labelled import VarFamily, add_var_family


def unit_domain(integer: bool):
    """The domain of a quantity of units: whole numbers when ``integer``, else any
    non-negative number."""
    return pyo.NonNegativeIntegers if integer else pyo.NonNegativeReals


def pack_sizes(per_sku: np.ndarray | None, count: int) -> np.ndarray:
    """Units per case of each of ``count`` SKUs, blank (nan) or none given as 1 (no case)."""
    if per_sku is None:
        return np.ones(count)
    return np.nan_to_num(np.asarray(per_sku, float), nan=1.0)


def whole_units_bound(
    units: np.ndarray, integer: bool, largest: np.ndarray, warehouses: int
) -> np.ndarray:
    """``units`` (per SKU, the most a plan needs over the horizon when quantities are
    continuous) with room for whole units and cases: ``ceil(units) + largest x (warehouses +
    1)``; ``units`` unchanged when quantities are continuous and no SKU comes in cases.

    Why it keeps an optimum: a warehouse needs its cumulative arrivals to reach a requirement
    (what it sends on, plus stock held) that never exceeds ``units``; were its arrivals at
    least a whole case of at most ``largest`` units beyond the largest requirement, the last
    case to arrive could be left out (every month from its arrival on keeps at least the
    requirement, and it only cost), so an optimal plan receives less than one case beyond it
    at each of the ``warehouses``, and a purchase in whole cases less than one more case
    beyond what it ships.
    """
    if not integer and not np.any(np.asarray(largest) > 1):
        return units
    return np.ceil(np.asarray(units, float)) + np.asarray(largest, float) * (warehouses + 1)


def add_cases(
    b: pyo.Block, name: str, link: str, quantity: VarFamily, size: np.ndarray
) -> VarFamily | None:
    """Whole cases ``name`` (whole numbers) of the quantities of ``quantity`` whose ``size``
    (units per case, one per variable) exceeds 1, and the rows ``link`` (shared family
    :func:`~cbecopt.families.whole_cases`) making each such quantity that many cases; None
    when no quantity comes in cases."""
    cased = np.flatnonzero(np.asarray(size, float) > 1)
    if not len(cased):
        return None
    labels = quantity.labels[cased]
    cases = add_var_family(
        b, name, list(labels), domain=pyo.NonNegativeIntegers, labels=labels, doc="n: cases"
    )
    whole_cases(b, link, quantity, cases, cases.keyed(np.asarray(size, float)[cased]), "x = p n")
    return cases


def rounded_whole(values: np.ndarray, family, integer: bool) -> np.ndarray:
    """``values`` of the variable ``family`` (a :class:`VarFamily` or its component), its
    whole-number columns rounded when the plan is in whole units (``integer``: HiGHS returns
    35.9999999 for 36), so the plan's tables show whole units; else unchanged."""
    if not integer:
        return values
    whole = getattr(family, "component", family).bounds_view().integer
    return np.where(whole, np.rint(values), values)
