"""One SKU stocked in a bonded and a duty-paid domestic warehouse, written out by hand (test
oracle, not part of cbecopt).

An independent statement of the routing model's stocked channels, from the rules rather than
from cbecopt's code: the general-trade tax on the customs value, the CBEC tax on release,
holding on the average stock of a month, the volume capacity on its peak stock, weeks of
cover, the handling fee per order. Every month's quantities are the columns of a small LP
written here row by row and solved with :func:`scipy.optimize.linprog`; which warehouses are
used is enumerated (brute force over the two binaries).

Rules, as the routing model documents them (``models/routing.md``):

- General trade (customs valuation, GACC Decree No. 213): customs value CV = (purchase price
  + freight) x 1.003 when insurance is not known; tariff T = CV t; consumption tax
  C = (CV + T) c / (1 - c); VAT = (CV + T + C) v. Paid at import, per unit imported.
- CBEC retail (MOF/GACC/SAT 2016 No. 18): tariff 0; VAT and consumption tax at 70%, so a unit
  of value V released from bonded stock pays 0.7 (v + c) / (1 - c) V.
- A month's goods arrive at its start and leave evenly through it: the average stock is
  (opening + arrivals + closing) / 2 and the peak is opening + arrivals.
- Stock on hand before month 1 (``Store.opening``, the ``opening_stock`` table) arrives in
  month 1 at no cost (its half month of holding on arrival is a constant, left out); the
  warehouse holding it is used.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

INSURANCE = 0.003


def general_trade_tax(customs_value: float, vat: float, consumption_tax: float, tariff: float):
    """Tariff + consumption tax + VAT on one unit of customs value ``customs_value``, unrounded."""
    duty = customs_value * tariff
    excise = (customs_value + duty) * consumption_tax / (1 - consumption_tax)
    return duty + excise + (customs_value + duty + excise) * vat


def cbec_tax(value: float, vat: float, consumption_tax: float) -> float:
    """CBEC retail tax on one unit of value ``value`` within the limits, unrounded."""
    return 0.7 * (vat + consumption_tax) / (1 - consumption_tax) * value


@dataclass(frozen=True)
class Store:
    """A stocking warehouse: its inbound lane (cost per unit, months on the way), last mile
    (cost per unit), handling fee per order, fixed cost per month, volume (m³, inf: none),
    units on hand before month 1."""

    inbound_cost: float
    lead_months: int
    last_mile: float
    handling: float = 0.0
    fixed: float = 0.0
    volume: float = np.inf
    opening: float = 0.0


@dataclass(frozen=True)
class Sku:
    """One SKU: prices, taxes and its demand per month."""

    demand: tuple[float, ...]
    price: float = 200.0
    purchase: float = 100.0
    vat: float = 0.13
    consumption_tax: float = 0.0
    tariff: float = 0.1
    holding: float = 0.0
    salvage: float = 0.0
    lost_penalty: float = 0.0
    volume: float = 0.01
    units_per_order: int = 1
    general_trade_allowed: bool = True
    customs_value: float | None = None


@dataclass(frozen=True)
class Plan:
    """The cheapest plan: its cost and units per month by warehouse."""

    cost: float
    used: tuple[int, int]
    shipped: dict = field(default_factory=dict)
    released: dict = field(default_factory=dict)
    lost: tuple[float, ...] = ()


def cheapest_plan(sku: Sku, bonded: Store, domestic: Store, cover_weeks: float = 0.0) -> Plan:
    """The cheapest way to serve ``sku`` from ``bonded`` (CBEC tax on release) and ``domestic``
    (general-trade tax at import) or lose the sale, over ``len(sku.demand)`` months."""
    months = len(sku.demand)
    customs = sku.customs_value
    if customs is None:
        customs = (sku.purchase + domestic.inbound_cost) * (1 + INSURANCE)
    unit_cost = {
        "bonded": (
            sku.purchase + bonded.inbound_cost,
            bonded.last_mile
            + bonded.handling / sku.units_per_order
            + cbec_tax(sku.price, sku.vat, sku.consumption_tax),
        ),
        "domestic": (
            sku.purchase
            + domestic.inbound_cost
            + general_trade_tax(customs, sku.vat, sku.consumption_tax, sku.tariff),
            domestic.last_mile + domestic.handling / sku.units_per_order,
        ),
    }
    stores = {"bonded": bonded, "domestic": domestic}
    best = None
    for used in itertools.product((0, 1), repeat=2):
        open_ = {
            "bonded": bool(used[0]),
            "domestic": bool(used[1]) and sku.general_trade_allowed,
        }
        if any(s.opening > 0 and not open_[w] for w, s in stores.items()):
            continue  # goods on hand keep their warehouse used
        plan = _solve(sku, stores, unit_cost, open_, months, cover_weeks)
        if plan is None:
            continue
        cost = plan[0] + months * (bonded.fixed * used[0] + domestic.fixed * used[1])
        if best is None or cost < best.cost - 1e-9:
            best = Plan(cost, used, *plan[1:])
    return best


def _solve(sku, stores, unit_cost, open_, months, cover_weeks):
    """The LP for fixed warehouses: per warehouse w and month t, shipped q, released x, stock
    I; lost z per month. Returns (cost, shipped, released, lost) or None if infeasible."""
    names = list(stores)
    columns = []  # (kind, w, t)
    for w in names:
        for kind in ("q", "x", "I"):
            columns += [(kind, w, t) for t in range(months)]
    columns += [("z", None, t) for t in range(months)]
    at = {c: i for i, c in enumerate(columns)}
    n = len(columns)
    cost = np.zeros(n)
    bounds = [(0, None)] * n
    eq_rows, eq_rhs, le_rows, le_rhs = [], [], [], []
    cover = cover_weeks * 7 / 30.4
    for w in names:
        s = stores[w]
        buy, release_cost = unit_cost[w]
        for t in range(months):
            arrive = t + s.lead_months
            q, x, stock = at["q", w, t], at["x", w, t], at["I", w, t]
            if arrive >= months or not open_[w]:
                bounds[q] = (0, 0)
            if not open_[w]:
                bounds[x] = bounds[stock] = (0, 0)
            cost[q] += buy
            cost[x] += release_cost
            # holding: h (I_t-1 + A_t + I_t) / 2 summed over months
            cost[q] += sku.holding / 2 if arrive < months else 0.0
            cost[stock] += sku.holding / 2 + (sku.holding / 2 if t < months - 1 else 0.0)
            if t == months - 1:
                cost[stock] -= sku.salvage
            # balance: I_t - I_t-1 - A_t + x_t = 0
            row = np.zeros(n)
            row[stock], row[x] = 1, 1
            if t > 0:
                row[at["I", w, t - 1]] = -1
            if t - s.lead_months >= 0:
                row[at["q", w, t - s.lead_months]] -= 1
            eq_rows.append(row)
            eq_rhs.append(s.opening if t == 0 else 0.0)
            # peak: v (I_t-1 + A_t) <= V
            if np.isfinite(s.volume):
                row = np.zeros(n)
                if t > 0:
                    row[at["I", w, t - 1]] = sku.volume
                if t - s.lead_months >= 0:
                    row[at["q", w, t - s.lead_months]] += sku.volume
                le_rows.append(row)
                le_rhs.append(s.volume - (sku.volume * s.opening if t == 0 else 0.0))
            # cover: c x_t - I_t <= 0, every month but the last
            if cover > 0 and t < months - 1:
                row = np.zeros(n)
                row[x], row[stock] = cover, -1
                le_rows.append(row)
                le_rhs.append(0.0)
    for t in range(months):
        z = at["z", None, t]
        cost[z] = sku.price + sku.lost_penalty
        row = np.zeros(n)
        row[z] = 1
        for w in names:
            row[at["x", w, t]] = 1
        eq_rows.append(row)
        eq_rhs.append(sku.demand[t])
    result = linprog(
        cost,
        A_ub=np.array(le_rows) if le_rows else None,
        b_ub=np.array(le_rhs) if le_rhs else None,
        A_eq=np.array(eq_rows),
        b_eq=np.array(eq_rhs),
        bounds=bounds,
        method="highs",
    )
    if result.status != 0:
        return None
    v = result.x
    shipped = {w: tuple(v[at["q", w, t]] for t in range(months)) for w in names}
    released = {w: tuple(v[at["x", w, t]] for t in range(months)) for w in names}
    lost = tuple(v[at["z", None, t]] for t in range(months))
    return float(result.fun), shipped, released, lost
