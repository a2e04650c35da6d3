"""What one solved plan of the ``network`` model amounts to: expected cost, CVaR, tax,
expected counterfeit units, fill rate, average delivery days and each platform's cost.

Read from the solution vector by family name and label, so the same function reads every
strategy of the remedy comparison (:mod:`cbecopt.models.network.strategies`). The delivery
lanes with their tax and days are the model's own
(:func:`~cbecopt.models.network.channels.outlet_keys`), and so are the fill rate and the
average days (:func:`~cbecopt.models.network.channels.service_levels`). A KPI whose inputs a
plan does not have (no ``lane_days``) is ``None``, never a guess.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cbecopt.analytics import var_cvar
from cbecopt.labelled import family_of
from cbecopt.models.network.channels import Outlets, service_levels
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.platforms import (
    copy_platforms,
    every_platform,
    expected_platform_demand,
    members,
)
from cbecopt.stochastic.twostage import ExtensiveForm


def plan_kpis(d: NetworkData, form: ExtensiveForm, values: np.ndarray, alpha: float) -> dict:
    """Every KPI of the plan ``values`` of ``form`` (built from ``d``); CVaR at ``alpha`` of
    the scenario costs (first stage + recourse), whatever the objective weighed."""
    p = np.asarray(d.probabilities, float)
    costs = form.scenario_costs(values)
    outs = form.first.by_name["outlets"]
    delivered = np.stack([_scenario_values(form, s, "delivery", values) for s in d.scenario_names])
    service = service_levels(d, outs, delivered)
    return {
        "total_cost": float(p @ costs),
        "cvar": var_cvar(costs, p, alpha)[1],
        "tax": float(p @ (delivered @ outs.tax)),
        "expected_counterfeit": expected_counterfeit(d, form, values),
        "fill_rate": service["fill_rate"],
        "average_delivery_days": service["average_delivery_days"],
        "platform_costs": platform_costs(d, form, values, float(p @ costs), p @ delivered),
    }


def expected_counterfeit(d: NetworkData, form: ExtensiveForm, values: np.ndarray) -> float:
    """Expected counterfeit units: ``sum_o r_o q_o - (r_o - r'_o) i_o`` over firm purchases
    (``i_o``, the family ``inspected``, on the inspectable offers), plus, weighted by each
    scenario's probability, ``r_o`` times the units bought under the offer's flexible terms
    (the scenario's ``bought``) less ``(r_o - r'_o)`` times those inspected (its
    ``inspected``), and ``r_o`` times the units shipped per order straight from the offer's
    supplier (its ``delivery`` on the outlets whose origin is a supplier)."""
    purchase = family_of(form.block, "purchase")
    rate = np.asarray(d.counterfeit_rate, float)
    clean = rate if d.inspected_rate is None else np.asarray(d.inspected_rate, float)
    caught = rate - np.where(np.isnan(clean), rate, clean)
    units = float(np.dot(rate, form.values_of(values, purchase)))
    if form.block.component("inspected") is not None:
        inspected = family_of(form.block, "inspected")
        offer = purchase.labels.get_indexer(inspected.labels)
        units -= float(np.dot(caught[offer], form.values_of(values, inspected)))
    outs = form.first.by_name["outlets"]
    direct = outs.where(origin_kind="supplier")
    offer_of = {key: o for o, key in enumerate(d.offers)}
    direct_rate = rate[
        [offer_of[i, k] for i, k in zip(outs.origin[direct], outs.sku[direct], strict=True)]
    ]
    for name, p in zip(d.scenario_names, d.probabilities, strict=True):
        block = form.scenario_block(name)
        if len(direct):
            delivered = form.values_of(values, family_of(block, "delivery"))[direct]
            units += float(p) * float(np.dot(direct_rate, delivered))
        for family, weight in (("bought", rate), ("inspected", -caught)):
            if block.component(family) is None:
                continue
            bought = family_of(block, family)
            pairs = [label[:2] for label in bought.labels]
            offer = purchase.labels.get_indexer(pd.MultiIndex.from_tuples(pairs))
            units += float(p) * float(np.dot(weight[offer], form.values_of(values, bought)))
    return units


def outlet_platforms(d: NetworkData) -> list[set[int]]:
    """Per overseas warehouse (copy), the platforms its parcel (and postal) lanes serve:
    its ``shared_by`` when it has such lanes, else none."""
    if not d.platforms:
        return [set() for _ in d.overseas]
    groups = copy_platforms(d)
    lanes = {w for w, *_ in d.parcel} | {o for kind, o, *_ in d.postal if kind == "overseas"}
    return [set(groups[w]) if w in lanes else set() for w in range(len(d.overseas))]


def platform_served(outs: Outlets, delivered: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Units served to each platform per market x platform x SKU x month, from ``delivered``
    per outlet key against the expected ``demand`` per market x platform x SKU x month: a
    lane's units go to the platforms it serves (its copy's group, narrowest groups first),
    split in proportion to what each still lacks (by demand when none lacks any)."""
    nJ, nP, nK, nT = demand.shape
    served = np.zeros_like(demand)
    every = every_platform(nP)
    masks = sorted({int(m) or every for m in outs.platforms}, key=lambda m: (bin(m).count("1"), m))
    for mask in masks:
        keys = np.flatnonzero((outs.platforms == mask) | ((outs.platforms == 0) & (mask == every)))
        units = np.zeros((nJ, nK, nT))
        np.add.at(units, (outs.market[keys], outs.sku[keys], outs.month[keys]), delivered[keys])
        group = members(mask, nP)
        lacking = np.clip(demand[:, group] - served[:, group], 0.0, None)
        weight = np.where(lacking.sum(axis=1, keepdims=True) > 0, lacking, demand[:, group])
        total = weight.sum(axis=1, keepdims=True)
        share = np.divide(
            weight, total, out=np.full(weight.shape, 1.0 / len(group)), where=total > 0
        )
        served[:, group] += units[:, None] * share
    return served


def platform_costs(
    d: NetworkData, form: ExtensiveForm, values: np.ndarray, total: float, delivered: np.ndarray
) -> dict[str, float] | None:
    """Each platform's share of the expected cost (``None`` without platforms).

    The rule: a platform pays directly its own lost sales (at the lost-sales penalty: its
    expected demand less the units :func:`platform_served` gives it) and the fixed cost of
    the open overseas warehouses whose parcels serve it alone (its copies); everything else
    (purchases, shared warehouses, freight, tax, holding) is shared in proportion to the
    expected units served to it (by demand when nothing is served). The shares add up to
    ``total``. ``delivered``: the expected units per outlet key.
    """
    if d.platform_demand is None:
        return None
    nP = len(d.platforms)
    demand = expected_platform_demand(d)
    served = platform_served(form.first.by_name["outlets"], delivered, demand)
    lost = np.clip(demand - served, 0.0, None)
    direct = np.einsum("jpkt,k->p", lost, np.asarray(d.lost_penalty, float))
    opened = form.values_of(values, family_of(form.block, "open")) if len(d.overseas) else []
    for w, (plats, is_open) in enumerate(zip(outlet_platforms(d), opened, strict=True)):
        if len(plats) == 1 and round(is_open):
            direct[next(iter(plats))] += float(d.overseas_fixed[w])
    units = served.sum(axis=(0, 2, 3))
    share = units if units.sum() > 1e-9 else demand.sum(axis=(0, 2, 3))
    share = share / share.sum() if share.sum() > 0 else np.full(nP, 1.0 / nP)
    rest = total - direct.sum()
    return {name: float(direct[p] + share[p] * rest) for p, name in enumerate(d.platforms)}


def _scenario_values(form: ExtensiveForm, scenario: str, name: str, values) -> np.ndarray:
    return form.values_of(values, family_of(form.scenario_block(scenario), name))


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
