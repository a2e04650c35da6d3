"""What one solved plan of the ``network`` model amounts to: expected cost, CVaR, tax,
expected counterfeit units, fill rate, average delivery days and each platform's cost.

Read from the solution vector by family name and label, so the same function reads every
strategy of the remedy comparison (:mod:`cbecopt.models.network.strategies`). Delivery lanes
are read from the ``delivery`` labels: an integer lane (v1: release lanes, then parcel lanes)
or a labelled lane (``rel<n>``, ``par<n>``, ``sp<n>``, ``post<n>``: position ``n`` in
``release``, ``parcel``, ``supplier_parcel``, ``postal``). A KPI whose inputs a plan does not
have (no ``lane_days``, a lane it cannot read) is ``None``, never a guess.
"""

from __future__ import annotations

import re

import numpy as np

from cbecopt.analytics import var_cvar
from cbecopt.labelled import family_of
from cbecopt.models.network.data import NetworkData
from cbecopt.stochastic.twostage import ExtensiveForm

LANE_PREFIX = {"rel": "release", "par": "parcel", "sp": "supplier_parcel", "post": "postal"}
"""Prefix of a labelled delivery lane -> the NetworkData field it is a position of."""


def plan_kpis(d: NetworkData, form: ExtensiveForm, values: np.ndarray, alpha: float) -> dict:
    """Every KPI of the plan ``values`` of ``form`` (built from ``d``); CVaR at ``alpha`` of
    the scenario costs (first stage + recourse), whatever the objective weighed."""
    p = np.asarray(d.probabilities, float)
    costs = form.scenario_costs(values)
    lost = np.stack([_scenario_values(form, s, "lost", values) for s in d.scenario_names])
    demand = np.asarray(d.demand, float).reshape(len(p), -1)
    expected_lost = p @ lost
    expected_demand = p @ demand
    total_demand = float(expected_demand.sum())
    lanes = _delivery_lanes(d, form, values)
    return {
        "total_cost": float(p @ costs),
        "cvar": var_cvar(costs, p, alpha)[1],
        "tax": None if lanes is None else float(p @ (lanes["units"] @ lanes["tax"])),
        "expected_counterfeit": expected_counterfeit(d, form, values),
        "fill_rate": 1.0 - float(expected_lost.sum()) / total_demand if total_demand else None,
        "average_delivery_days": _average_days(p, lanes),
        "platform_costs": platform_costs(d, form, values, float(p @ costs), expected_lost),
    }


def expected_counterfeit(d: NetworkData, form: ExtensiveForm, values: np.ndarray) -> float:
    """Expected counterfeit units of the firm purchases, ``sum_o r_o q_o - (r_o - r'_o) i_o``
    (``i_o``, the family ``inspected``, only in a model with inspection)."""
    purchase = form.values_of(values, family_of(form.block, "purchase"))
    units = float(np.dot(d.counterfeit_rate, purchase))
    if form.block.component("inspected") is not None and d.inspected_rate is not None:
        inspected = form.values_of(values, family_of(form.block, "inspected"))
        removed = np.nan_to_num(d.counterfeit_rate - np.asarray(d.inspected_rate, float))
        units -= float(np.dot(removed, inspected))
    return units


def market_platforms(d: NetworkData) -> np.ndarray | None:
    """Per market, the position of its platform in ``d.platforms`` (markets named
    ``market|platform``, :func:`~cbecopt.models.network.platforms.with_platforms`); ``None``
    without platforms."""
    if not d.platforms:
        return None
    position = {p: n for n, p in enumerate(d.platforms)}
    return np.array([position[m.rsplit("|", 1)[1]] for m in d.markets], np.int64)


def outlet_platforms(d: NetworkData) -> list[set[int]]:
    """Per overseas warehouse, the platforms its parcel (and postal) lanes serve."""
    platform = market_platforms(d)
    served: list[set[int]] = [set() for _ in d.overseas]
    if platform is None:
        return served
    for w, j, *_ in d.parcel:
        served[w].add(int(platform[j]))
    for kind, o, j, *_ in d.postal:
        if kind == "overseas":
            served[o].add(int(platform[j]))
    return served


def platform_costs(
    d: NetworkData,
    form: ExtensiveForm,
    values: np.ndarray,
    total: float,
    expected_lost: np.ndarray,
) -> dict[str, float] | None:
    """Each platform's share of the expected cost (``None`` without platforms).

    The rule: a platform pays directly its own lost sales (at the lost-sales penalty) and the
    fixed cost of the open overseas warehouses whose parcels serve it alone (its copies);
    everything else (purchases, shared warehouses, freight, tax, holding) is shared in
    proportion to the expected units served to its markets (by demand when nothing is
    served). The shares add up to ``total``.
    """
    platform = market_platforms(d)
    if platform is None:
        return None
    nP, nK, nT = len(d.platforms), len(d.skus), d.months
    lost = expected_lost.reshape(len(d.markets), nK, nT)
    demand = np.tensordot(d.probabilities, d.demand, axes=1)
    direct = np.zeros(nP)
    served = np.zeros(nP)
    weight = np.zeros(nP)
    for j, p in enumerate(platform):
        direct[p] += float(np.sum(lost[j] * d.lost_penalty[:, None]))
        served[p] += float(np.sum(demand[j] - lost[j]))
        weight[p] += float(np.sum(demand[j]))
    opened = form.values_of(values, family_of(form.block, "open")) if len(d.overseas) else []
    for w, (plats, is_open) in enumerate(zip(outlet_platforms(d), opened, strict=True)):
        if len(plats) == 1 and round(is_open):
            direct[next(iter(plats))] += float(d.overseas_fixed[w])
    share = served if served.sum() > 1e-9 else weight
    share = share / share.sum() if share.sum() > 0 else np.full(nP, 1.0 / nP)
    rest = total - direct.sum()
    return {name: float(direct[p] + share[p] * rest) for p, name in enumerate(d.platforms)}


def _scenario_values(form: ExtensiveForm, scenario: str, name: str, values) -> np.ndarray:
    return form.values_of(values, family_of(form.scenario_block(scenario), name))


def _delivery_lanes(d: NetworkData, form: ExtensiveForm, values: np.ndarray) -> dict | None:
    """Per delivery key: tax per unit and days, with the units of each scenario (scenarios x
    keys); ``None`` when a lane label is not one this module can read."""
    first = form.scenario_block(d.scenario_names[0])
    labels = family_of(first, "delivery").labels
    facts = [_lane_facts(d, lane, sku) for lane, sku, _ in labels]
    if any(f is None for f in facts):
        return None
    units = np.stack(
        [_scenario_values(form, s, "delivery", values) for s in d.scenario_names]
    ).clip(0.0)
    return {
        "units": units,
        "tax": np.array([f[0] for f in facts], float),
        "days": np.array([f[1] for f in facts], float),
    }


def _lane_facts(d: NetworkData, lane, sku) -> tuple[float, float] | None:
    """Tax per unit and delivery days (nan: not known) of one SKU on one delivery lane."""
    k = sku if isinstance(sku, (int, np.integer)) else d.skus.index(sku)
    if isinstance(lane, (int, np.integer)):
        role, n = ("release", lane) if lane < len(d.release) else ("parcel", lane - len(d.release))
    else:
        match = re.fullmatch(r"(rel|par|sp|post)(\d+)", str(lane))
        if match is None:
            return None
        role, n = LANE_PREFIX[match[1]], int(match[2])
    days = d.lane_days or {}
    if role == "release":
        b, _, _, rate = d.release[n]
        kinds = d.warehouse_kind or ("bonded",) * len(d.bonded)
        channel = "bonded" if kinds[b] == "bonded" else "general_trade"
        day = days["release"][n] if "release" in days else np.nan
        return _unit_tax(d, channel, rate, k), day
    if role == "parcel":
        day = days["parcel"][n] if "parcel" in days else np.nan
        return _unit_tax(d, "parcel", d.parcel[n][3], k), day
    if role == "supplier_parcel":
        return _unit_tax(d, "parcel", np.nan, k), d.supplier_parcel[n][3]
    return _unit_tax(d, "postal", np.nan, k), d.postal[n][4]


def _unit_tax(d: NetworkData, channel: str, rate: float, k: int) -> float:
    """Tax per unit by channel when the data give it, else the lane's rate on retail value."""
    if d.unit_tax is not None and channel in d.unit_tax:
        return float(d.unit_tax[channel][k])
    return float(rate * d.retail_price[k])


def _average_days(p: np.ndarray, lanes: dict | None) -> float | None:
    """Average delivery days over the expected units delivered; ``None`` when nothing is
    delivered or a lane used has no days."""
    if lanes is None:
        return None
    units = p @ lanes["units"]
    used = units > 1e-9
    if not used.any() or np.isnan(lanes["days"][used]).any():
        return None
    return float(lanes["days"][used] @ units[used] / units[used].sum())


def kpi_row(kpis: dict | None, platforms: tuple[str, ...]) -> dict:
    """The KPIs as table columns, one ``cost[<platform>]`` per platform."""
    kpis = kpis or {}
    row = {k: kpis.get(k) for k in KPI_COLUMNS}
    shares = kpis.get("platform_costs") or {}
    row.update({f"cost[{p}]": shares.get(p) for p in platforms})
    return row


KPI_COLUMNS = (
    "total_cost",
    "tax",
    "expected_counterfeit",
    "average_delivery_days",
    "fill_rate",
    "cvar",
)
"""The KPI columns of a strategy's row, in order (then one cost column per platform)."""
