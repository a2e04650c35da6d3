"""Checks of the routing model's data that need the whole picture, each naming the file (or
sheet), the row as the user counts it and the column a planner must fix.

They run in the routing model's check step (:meth:`RoutingData.from_instance`), so
``cbecopt validate --model routing`` reports them as ``solve`` would. Each returns a list of
problems (empty: fine), so every problem is reported at once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cbecopt.channels import CHANNELS
from cbecopt.errors import Problem
from cbecopt.instance import Instance


def reach_problems(instance: Instance, products, keys, release, direct, skus, markets, allowed):
    """Every SKU with demand must be able to reach its markets by some channel."""

    def pairs(frame) -> np.ndarray:  # (market, SKU) as one integer, ordered by SKU then market
        return frame["k"].to_numpy(np.int64) * len(markets) + frame["j"].to_numpy(np.int64)

    reached = np.union1d(pairs(release), pairs(direct))
    lacking = np.setdiff1d(pairs(keys), reached)  # sorted: by SKU, then market
    missing = list(
        zip((lacking % len(markets)).tolist(), (lacking // len(markets)).tolist(), strict=True)
    )
    problems = []
    for k in sorted({k for _, k in missing}):
        where = [markets[j] for j, kk in missing if kk == k]
        open_channels = [c for c in CHANNELS if bool(allowed.iat[k, allowed.columns.get_loc(c)])]
        why = (
            "no channel is open to it (positive list, order-value rules or the strategy)"
            if not open_channels
            else f"no lane reaches {', '.join(map(str, where[:3]))}{' ...' if len(where) > 3 else ''} by "
            + ", ".join(open_channels)
        )
        problems.append(
            instance.problem(
                "products", f"SKU '{skus[k]}' has demand but {why}", products.index[k], "sku"
            )
        )
    return problems


def delivery_target_problems(
    instance: Instance, markets: list, max_days: np.ndarray, serving: list[pd.DataFrame]
) -> list[Problem]:
    """A market's delivery-time target some lane that can serve it meets.

    The target bounds the average delivery days of the market's served orders; when every
    lane that can serve the market (``serving``: the last-mile and direct lanes usable by its
    SKUs, with their ``j`` and ``lead_time_days``) is slower, the only plan that keeps it
    serves nothing there, which would pass for an optimal plan selling nothing.
    """
    timed = np.flatnonzero(np.isfinite(max_days))
    if not len(timed):
        return []
    columns = ["j", "origin", "mode", "lead_time_days"]
    quickest = []
    for frame in serving:
        lanes = frame.loc[np.isin(frame["j"].to_numpy(), timed), columns]
        quickest.append(lanes.loc[lanes.groupby("j")["lead_time_days"].idxmin()])
    fastest = pd.concat(quickest).sort_values(["j", "lead_time_days"], kind="stable")
    fastest = fastest.drop_duplicates("j")
    row = instance.network.nodes["row"]
    problems = []
    for j, origin, mode, days in fastest.itertuples(index=False):
        target = max_days[j]
        if days > target:
            problems.append(
                instance.problem(
                    "nodes",
                    f"market '{markets[j]}' has a target of {target:g} days on average, but the "
                    f"fastest lane that can serve it takes {days:g} days ({origin} -> "
                    f"{markets[j]}, {mode}): no order can meet the target, so the plan would "
                    "sell nothing there; raise the target or add a faster lane",
                    row[markets[j]],
                    "max_delivery_days",
                )
            )
    return problems


def salvage_problems(instance: Instance, products: pd.DataFrame, inbound: pd.DataFrame):
    """A salvage value below what stocking a unit costs: purchase, the cheapest inbound lane
    (freight and, into a domestic warehouse, the general-trade tax) and one month's holding (a
    unit that arrives in the last month and is salvaged).

    At or above it, buying only to salvage would not lose money, and the plan would be bounded
    only by the listing limit (the most a SKU sells), not by its costs. ``products`` are the
    products with demand, in SKU order, with their row labels; ``inbound`` the inbound options
    with their ``k``, ``purchase`` and ``freight`` per unit.
    """
    if inbound.empty:
        return []
    cheapest = inbound.loc[inbound.groupby("k")["cost"].idxmin()]
    problems = []
    for lane in cheapest.itertuples(index=False):
        product = products.iloc[lane.k]
        # ``cost`` holds half a month's holding on arrival; the other half is the month's end.
        stocking = lane.cost + product["holding_cost"] / 2
        salvage = product["salvage_value"]
        if salvage >= stocking:
            problems.append(
                instance.problem(
                    "products",
                    f"salvage_value ({salvage:g}) is at or above the cost of stocking a unit of "
                    f"'{product['sku']}' by {salvage - stocking:g} ({stocking:g} = purchase_cost "
                    f"{lane.purchase:g} + {lane.freight + lane.tax:g} freight and import tax on "
                    f"the cheapest inbound lane {lane.origin} -> {lane.destination} ({lane.mode}) "
                    "+ one month's "
                    f"holding_cost {product['holding_cost']:g}): buying to salvage would not lose "
                    f"money; keep salvage_value below {stocking:g}",
                    products.index[lane.k],
                    "salvage_value",
                )
            )
    return problems


def unit_problems(instance: Instance, products, capacity, listing, volume, lane_families):
    """A lane priced per kg needs the SKU's weight; a warehouse capacity in m3 needs its volume.

    ``products`` are the products with demand, in SKU order, with their row labels.
    """
    problems = []
    weight = products["weight_kg"].to_numpy(float)
    used_per_kg = set()
    for frame in lane_families:
        if len(frame):
            used_per_kg |= set(frame.loc[frame["cost_per_kg"] > 0, "k"])
    for k in sorted(used_per_kg):
        if math.isnan(weight[k]):
            sku = products["sku"].iat[k]
            problems.append(
                instance.problem(
                    "products",
                    f"SKU '{sku}' travels on lanes priced per kg but has no weight",
                    products.index[k],
                    "weight_kg",
                )
            )
    limited = np.flatnonzero(np.isfinite(capacity))
    for k in sorted(set(listing.loc[listing["b"].isin(limited), "k"])):
        if math.isnan(volume[k]):
            sku = products["sku"].iat[k]
            problems.append(
                instance.problem(
                    "products",
                    f"SKU '{sku}' can be stocked in a warehouse with a volume capacity but has no volume",
                    products.index[k],
                    "volume_m3",
                )
            )
    return problems
