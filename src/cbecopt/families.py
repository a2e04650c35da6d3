"""The shared constraint families, written once by label (math in ``models/families.md``).

Each function adds ONE linear family to the model's block under the name the model gives it
(so each model's document keeps its own names), from labelled variable families or terms
(:mod:`cbecopt.labelled`) and data as pandas Series keyed by label. The rows a Series names
are the rows of the family, in its order; a family keyed by fewer key columns (``open_``
keyed by warehouse against flows keyed by lane) is broadcast over the rows, as in
:mod:`cbecopt.labelled`. Objective pieces (:func:`fixed_cost_if_used`) come back as terms for
the model's objective; :func:`cvar` adds its variables and rows and returns its objective
terms.

Every symbol table below reads: symbol in ``models/families.md`` | argument | what it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.labelled import (
    LinearTerms,
    Terms,
    VarFamily,
    add_family,
    add_var_family,
    stacked,
)

__all__ = [
    "average_rate_cap",
    "capacity_if_open",
    "cvar",
    "demand_satisfaction",
    "fixed_cost_if_used",
    "minimum_quantity_if_used",
    "stock_balance",
    "use_only_if_open",
    "whole_cases",
]

Linear = LinearTerms | VarFamily


def demand_satisfaction(
    block: pyo.Block,
    name: str,
    supplied: Linear,
    demand: pd.Series,
    *,
    lost: VarFamily | None = None,
    at_least: bool = False,
    doc: str = "",
) -> None:
    """Every demand is met: what is supplied (plus what is lost, when the model may lose
    sales) equals the demand, or at least covers it.

    .. math:: \\sum_{l \\in L_j} x_l \\, (+\\, z_j) \\;(=, \\ge)\\; D_j \\qquad \\forall j

    ======  ===========  ==========================================
    symbol  argument     input
    ======  ===========  ==========================================
    x_l     ``supplied`` terms keyed by the demand's key (a sum by it)
    z_j     ``lost``     decision: demand not met (optional)
    D_j     ``demand``   Series keyed by demand key; names the rows
    ======  ===========  ==========================================
    """
    served = supplied if lost is None else supplied + lost
    add_family(block, name, served >= demand if at_least else served == demand, doc=doc)


def capacity_if_open(
    block: pyo.Block,
    name: str,
    usage: Linear,
    capacity: pd.Series,
    open_: VarFamily | None = None,
    doc: str = "",
) -> None:
    """What uses a resource stays within its capacity, and (with ``open_``) only while the
    resource is open.

    .. math:: \\sum_{l \\in L_w} a_l x_l \\le S_w \\, y_w \\quad (\\le S_w \\text{ without } y)
        \\qquad \\forall w: S_w < \\infty

    ======  ============  ==================================================
    symbol  argument      input
    ======  ============  ==================================================
    a_l x_l ``usage``     terms keyed like the rows (a sum by the resource)
    S_w     ``capacity``  Series of finite capacities; names the rows
    y_w     ``open_``     decision: the resource is open (optional)
    ======  ============  ==================================================
    """
    used = usage[capacity.index]
    limit = capacity if open_ is None else capacity * _on(open_, capacity.index)
    add_family(block, name, used <= limit, doc=doc)


def use_only_if_open(
    block: pyo.Block,
    name: str,
    use: Linear,
    open_: VarFamily,
    bound: pd.Series | None = None,
    doc: str = "",
) -> None:
    """Something is used only if what it depends on is open (used, listed, signed), and then
    at most its bound.

    .. math:: x_l \\le M_l \\, y_{w(l)} \\qquad \\forall l

    ======  =========  =================================================
    symbol  argument   input
    ======  =========  =================================================
    x_l     ``use``    terms or a variable family
    y_w     ``open_``  decision, keyed like ``use`` or by fewer columns
    M_l     ``bound``  Series; names the rows (default: every ``use`` row, M = 1)
    ======  =========  =================================================
    """
    if bound is None:
        add_family(block, name, use <= _on(open_, use.labels), doc=doc)
        return
    add_family(block, name, use[bound.index] <= bound * _on(open_, bound.index), doc=doc)


def minimum_quantity_if_used(
    block: pyo.Block,
    name: str,
    quantity: Linear,
    used: VarFamily,
    minimum: pd.Series,
    doc: str = "",
) -> None:
    """A thing used is used for at least its minimum quantity.

    .. math:: q_o \\ge m_o \\, u_o \\qquad \\forall o: m_o > 0

    ======  ============  =============================================
    symbol  argument      input
    ======  ============  =============================================
    q_o     ``quantity``  terms or a variable family
    u_o     ``used``      decision: o is used
    m_o     ``minimum``   Series of positive minimums; names the rows
    ======  ============  =============================================
    """
    add_family(block, name, quantity[minimum.index] >= minimum * _on(used, minimum.index), doc=doc)


def whole_cases(
    block: pyo.Block,
    name: str,
    quantity: Linear,
    cases: VarFamily,
    units_per_case: pd.Series,
    doc: str = "",
) -> None:
    """A quantity comes in whole cases (packs, pallets): it is the units per case times a
    whole number of cases, decided in the model rather than rounded afterwards.

    .. math:: x_l = p_l \\, n_l, \\quad n_l \\in \\mathbb{Z}_{\\ge 0} \\qquad \\forall l : p_l > 1

    ======  ==================  ======================================================
    symbol  argument            input
    ======  ==================  ======================================================
    x_l     ``quantity``        terms or a variable family
    n_l     ``cases``           decision (whole numbers), keyed like the rows
    p_l     ``units_per_case``  Series of case sizes above 1; names the rows
    ======  ==================  ======================================================
    """
    rows = units_per_case.index
    add_family(block, name, quantity[rows] - units_per_case * cases[rows] == 0.0, doc=doc)


def average_rate_cap(
    block: pyo.Block,
    name: str,
    rated: Linear,
    units: Linear,
    cap: float | pd.Series,
    *,
    at_least: bool = False,
    doc: str = "",
) -> None:
    """The average rate of each group (counterfeit units per unit bought, delivery days per unit
    served, brand-direct share) stays within a cap (or above a floor), written linearly.

    .. math:: \\sum_{o \\in O_g} r_o q_o - \\bar\\rho_g \\sum_{o \\in O_g} q_o \\;(\\le, \\ge)\\; 0
        \\qquad \\forall g

    =========  =========  =========================================================
    symbol     argument   input
    =========  =========  =========================================================
    r_o q_o    ``rated``  terms summed by group: the rated amount (fakes, days)
    q_o        ``units``  terms summed by group: the amount averaged; names the rows
    rho_g      ``cap``    a number, or a Series keyed by some of the group's columns
                          (groups it does not name are not capped)
    =========  =========  =========================================================
    """
    units = _terms(units)
    if isinstance(cap, pd.Series):
        units = units.within(cap.index)
    excess = _terms(rated)[units.labels] - cap * units
    add_family(block, name, excess >= 0.0 if at_least else excess <= 0.0, doc=doc)


def stock_balance(
    block: pyo.Block,
    name: str,
    stock: VarFamily,
    arrivals: Linear,
    departures: Linear,
    period: str | None = None,
    doc: str = "",
    known: pd.Series | None = None,
) -> None:
    """Stock carries over: this period's stock is last period's plus arrivals less departures
    (no period: one period that starts empty), plus arrivals known before the plan is made
    (stock on hand at the start, goods already on their way).

    .. math:: I_{it} = I_{i,t-1} + A_{it} + \\bar A_{it} - R_{it} \\qquad \\forall (i, t),
        \\; I_{i,-1} = 0

    ======  ==============  ===============================================
    symbol  argument        input
    ======  ==============  ===============================================
    I_it    ``stock``       decision, keyed by item and period; names the rows
    A_it    ``arrivals``    terms keyed like ``stock``
    R_it    ``departures``  terms keyed like ``stock``
    t       ``period``      the key column of the period (None: one period)
    Ā_it    ``known``       Series keyed like ``stock`` (None: 0); opening stock is the
                            first period's
    ======  ==============  ===============================================
    """
    change = stock.terms() if period is None else stock.terms() - stock.shift(period)
    balance = change - _terms(arrivals) + _terms(departures)
    rhs = pd.Series(0.0, index=stock.labels) if known is None else known
    add_family(block, name, balance == rhs, doc=doc)


def fixed_cost_if_used(used: VarFamily, fixed_cost: pd.Series) -> tuple[Terms, ...]:
    """The objective terms of fixed costs paid for what is used (opened, listed).

    .. math:: \\sum_w f_w \\, y_w

    ======  ==============  ==========================
    symbol  argument        input
    ======  ==============  ==========================
    y_w     ``used``        decision (binary)
    f_w     ``fixed_cost``  Series keyed like ``used``
    ======  ==============  ==========================
    """
    return (fixed_cost * used).parts


def cvar(
    block: pyo.Block,
    scenario_cost: Sequence[Sequence[Terms]],
    probabilities: np.ndarray,
    weight: float,
    alpha: float,
) -> tuple[Terms, ...]:
    """Conditional value at risk of the scenario costs (Rockafellar and Uryasev): adds the
    value at risk ``value_at_risk``, the excess of each scenario's cost over it
    ``cost_excess`` and the family ``cvar_excess``; returns the objective terms
    ``weight * CVaR``.

    .. math:: \\mathrm{CVaR}_\\alpha = \\eta + \\frac{1}{1-\\alpha}\\sum_s p_s \\xi_s, \\qquad
        \\xi_s \\ge C_s - \\eta, \\; \\xi_s \\ge 0 \\qquad \\forall s

    ======  =================  ======================================
    symbol  argument           input
    ======  =================  ======================================
    C_s     ``scenario_cost``  terms of each scenario's total cost
    p_s     ``probabilities``  scenario probabilities
    alpha   ``alpha``          the level (the worst 1 - alpha of cost)
    lambda  ``weight``         weight of CVaR in the objective
    eta     value_at_risk      decision (free)
    xi_s    cost_excess        decision (>= 0)
    ======  =================  ======================================
    """
    n = len(scenario_cost)
    scenarios = pd.RangeIndex(n, name="scenario")
    at_risk = add_var_family(block, "value_at_risk", [0], domain=pyo.Reals, doc="η: value at risk")
    excess = add_var_family(
        block, "cost_excess", list(range(n)), labels=scenarios, doc="ξ_s: cost above η"
    )
    cost = stacked(scenarios, scenario_cost)
    eta = stacked(scenarios, [at_risk.terms().parts] * n)
    add_family(block, "cvar_excess", -cost + excess + eta >= 0.0, doc="ξ_s - C_s + η >= 0")
    tail = pd.Series(weight * np.asarray(probabilities) / (1.0 - alpha), index=scenarios)
    return (*(weight * at_risk).parts, *(tail * excess).parts)


def _terms(value: Linear) -> LinearTerms:
    return value.terms() if isinstance(value, VarFamily) else value


def _on(family: VarFamily, rows: pd.Index) -> Linear:
    """``family`` on ``rows``: those of its variables when keyed like the rows, else all of
    it (broadcast over the rows by the operation that uses it)."""
    if list(family.labels.names) == list(rows.names):
        return family[rows]
    return family
