"""Customers who will not wait (``models/network.md``, "Customers who will not wait"):
demand lost to slow delivery and service levels per market.

Two optional tables; without them the model is exactly the one without this module.

* ``speed_loss``: per SKU and market, the share of demand lost per day of delivery beyond a
  reference. A lane of $\\ell$ days to market $j$ keeps $1 - s_{jkl}$ of the customers it is
  offered to, $s_{jkl} = \\min(1, \\lambda_{jk} \\max(0, \\ell - R_{jk}))$. Serving $x$ units
  on it uses $x / (1 - s)$ of the demand (the customers who walked away were lost, each at
  the lost-sale cost), so the rows that share out demand (``demand_served``,
  ``wait_share``, ``platform_served``) count a delivery at $1/(1 - s)$ and its unit cost
  rises by the lost-sale cost times $s / (1 - s)$. A lane that keeps nobody ($s = 1$)
  serves no one and is left out.
* ``service_levels``: per market, at least a share of the demand of every month served
  within a number of days (blank days: at any speed, a fill rate).

Why linear in the delivery: a lane's days are data, so its kept share is a constant; the
demand a slow lane uses and the customers it loses are proportional to what it delivers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.errors import InputError
from cbecopt.families import demand_satisfaction
from cbecopt.fields import TableSchema
from cbecopt.instance import Instance
from cbecopt.labelled import LinearTerms, VarFamily, terms
from cbecopt.schemas import SERVICE_LEVELS, SPEED_LOSS


@dataclass(frozen=True)
class Speed:
    """What :func:`read_speed` read: per market x SKU the reference days (inf: no loss) and
    the share lost per day beyond them; per market the service share (0: none) and its days
    (inf: at any speed)."""

    reference_days: np.ndarray
    loss_per_day: np.ndarray
    service_share: np.ndarray
    service_days: np.ndarray

    def lost_share(self, market: np.ndarray, sku: np.ndarray, days: np.ndarray) -> np.ndarray:
        """The share of the customers a lane of ``days`` to ``market`` loses for ``sku``
        (0 where the days are not known)."""
        late = np.nan_to_num(np.asarray(days, float) - self.reference_days[market, sku], nan=0.0)
        late = np.where(np.isfinite(late), np.maximum(late, 0.0), 0.0)
        return np.minimum(1.0, self.loss_per_day[market, sku] * late)


def read_speed(instance: Instance, markets, skus) -> tuple[Speed | None, list[str]]:
    """The ``speed_loss`` and ``service_levels`` tables of ``instance`` for the model's
    ``markets`` and ``skus`` (None when it gives neither) and the warnings (rows of SKUs
    without demand, left out).

    Raises
    ------
    InputError
        an unknown market or SKU, or two rows for the same SKU and market.
    """
    tables = {t.name: instance.network.features.get(t.name) for t in (SPEED_LOSS, SERVICE_LEVELS)}
    if all(t is None or t.empty for t in tables.values()):
        return None, []
    j_of = {m: n for n, m in enumerate(markets)}
    k_of = {s: n for n, s in enumerate(skus)}
    products = instance.network.products
    known = set(products["sku"]) if products is not None else set(skus)
    problems, warnings = [], []
    shape = (len(markets), len(skus))
    reference, loss = np.full(shape, math.inf), np.zeros(shape)
    share, days = np.zeros(len(markets)), np.full(len(markets), math.inf)

    def market_of(table: str, index, value) -> slice | int | None:
        if _blank(value):
            return slice(None)
        if value not in j_of:
            problems.append(
                instance.problem(table, f"unknown market '{value}' (no demand)", index, "market")
            )
            return None
        return j_of[value]

    rows = _ordered(tables[SPEED_LOSS.name], SPEED_LOSS, ("sku", "market"))
    seen: dict[tuple, int] = {}
    for index, row in rows.iterrows():
        key = (
            None if _blank(row["sku"]) else row["sku"],
            None if _blank(row["market"]) else row["market"],
        )
        if key in seen:
            where = instance.row_number(SPEED_LOSS.name, seen[key])
            problems.append(
                instance.problem(
                    SPEED_LOSS.name, f"the same SKU and market as row {where}", index, "sku"
                )
            )
            continue
        seen[key] = index
        j = market_of(SPEED_LOSS.name, index, row["market"])
        k: slice | int | None = slice(None)
        if key[0] is not None:
            if key[0] not in known:
                problems.append(
                    instance.problem(
                        SPEED_LOSS.name, f"unknown SKU '{key[0]}' (not in products)", index, "sku"
                    )
                )
                continue
            if key[0] not in k_of:
                row_no = instance.row_number(SPEED_LOSS.name, index)
                warnings.append(
                    f"speed_loss row {row_no}: SKU '{key[0]}' has no demand in the horizon; "
                    "the network model leaves it out, so this row is ignored"
                )
                continue
            k = k_of[key[0]]
        if j is None:
            continue
        reference[j, k] = float(row["reference_days"])
        loss[j, k] = float(row["loss_per_day"])
    levels = _ordered(tables[SERVICE_LEVELS.name], SERVICE_LEVELS, ("market",))
    for index, row in levels.iterrows():
        j = market_of(SERVICE_LEVELS.name, index, row["market"])
        if j is not None:
            share[j], days[j] = float(row["min_share"]), float(row["within_days"])
    if problems:
        raise InputError(problems)
    return Speed(reference, loss, share, days), warnings


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _ordered(table: pd.DataFrame | None, schema: TableSchema, keys: tuple[str, ...]):
    """The table's rows, defaults applied, general ones first (the more keys given, the
    later), so a specific row overrides a general one when applied in order."""
    if table is None or table.empty:
        return pd.DataFrame(columns=[f.name for f in schema.fields])
    given = sum((~table[k].map(_blank)).astype(int) * (2**n) for n, k in enumerate(keys[::-1]))
    return table.iloc[np.argsort(given.to_numpy(), kind="stable")]


def outlet_terms(speed: Speed | None, market, sku, days, lost_penalty):
    """Per delivery key: the share of customers kept, the demand one delivered unit uses
    (``1 / kept``) and the cost of the customers lost (lost-sale cost x ``lost / kept``);
    without ``speed`` every key keeps everyone at no cost."""
    n = len(market)
    if speed is None:
        return np.ones(n), np.ones(n), np.zeros(n)
    lost = speed.lost_share(np.asarray(market, int), np.asarray(sku, int), days)
    kept = 1.0 - lost
    used = np.divide(1.0, kept, out=np.full(n, math.inf), where=kept > 0)
    penalty = np.asarray(lost_penalty, float)[np.asarray(sku, int)]
    cost = np.divide(penalty * lost, kept, out=np.full(n, math.inf), where=kept > 0)
    return kept, used, cost


def add_service_levels(
    s: pyo.Block, speed: Speed | None, delivery: VarFamily, outs, demand: pd.Series, markets
) -> None:
    """A market's deliveries within its days in a month are at least its share of the
    month's demand (``service_level``, per market and month in each scenario); ``demand``
    per market x SKU x month as ``demand_served`` holds it. A lane whose days are not
    known counts only towards a share at any speed.

    .. math:: \\sum_{k} \\sum_{l \\to j:\\ \\ell_l \\le D_j} x_{lkt} \\ge
        \\sigma_j \\sum_k D_{jkt} \\qquad \\forall j: \\sigma_j > 0,\\ t
    """
    if speed is None or not (speed.service_share > 0).any():
        return
    j_of = {m: n for n, m in enumerate(markets)}
    month_demand = demand.groupby(level=["market", "month"], sort=False).sum()
    position = np.array([j_of[m] for m in month_demand.index.get_level_values("market")])
    wanted = speed.service_share[position] * month_demand.to_numpy(float)
    rows = month_demand.index[wanted > 0]
    limit = speed.service_days[outs.market]
    fast = np.flatnonzero(
        (speed.service_share[outs.market] > 0)
        & (np.isinf(limit) | (np.nan_to_num(outs.days, nan=math.inf) <= limit))
    )
    at = rows.get_indexer(
        pd.MultiIndex.from_arrays(
            [np.asarray(markets, object)[outs.market[fast]], outs.month[fast]]
        )
    )
    fast, at = fast[at >= 0], at[at >= 0]
    demand_satisfaction(
        s,
        "service_level",
        LinearTerms(rows, (terms(delivery, at, fast, 1.0),)),
        pd.Series(wanted[wanted > 0], index=rows),
        at_least=True,
        doc="deliveries within D_j days >= sigma_j sum_k D_jkt",
    )
