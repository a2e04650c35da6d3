"""The ``network`` side of solving by SKU blocks: a bound from one relaxation per SKU, and the
price segments each SKU's relaxation chose, to fix in the whole model.

SKUs meet in the ``network`` model only through what they share: a supplier's qualification
and capacity, an overseas, bonded or duty-paid warehouse's opening and capacities, and a
market's delivery-time target. Everything else (offers and their price segments, contract
terms, the sourcing caps, listings, shipments, stock, deliveries and lost sales, in every
scenario) belongs to one SKU. So each SKU's *relaxation*
(:func:`cbecopt.sku_split.sku_relaxations`) is the
instance cut to that SKU with

- every shared fixed cost split: a supplier's among the SKUs it offers, a warehouse's among
  all SKUs, in proportion to each SKU's demand value (units x retail price over every
  scenario and month); the parts of a fixed cost add up to it;
- every capacity whole, and no delivery-time targets.

The whole model's optimum, cut to one SKU, is a plan of that SKU's relaxation at exactly its
part of the cost (its own costs and its shares of the fixed costs of what is open), so the
relaxations' optima, and their proven bounds, add up to a lower bound of the whole model's.
Unlike the LP relaxation, this bound keeps every price segment (an all-units discount is
non-convex: the LP pays the deepest discount on any quantity). Measured on ``network_demo``:
the sum of the 40 relaxations is 630.4 M against 620.9 M for HiGHS's root bound after cuts
(629.8 M with the shares by units instead of value).

The relaxations also say which price segment of each offer a SKU buys at; the whole model
with those segments fixed (:func:`segment_fixings`) is a much smaller search for HiGHS, and
its plan is a plan of the whole model (it only fixes what a plan may choose).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.models.network.data import NetworkData
from cbecopt.results import Status

TIMINGS = ("build", "handoff", "solve", "extract")
"""Worker time per step of a SKU's solve, summed over SKUs (they run side by side)."""
SEGMENT_FAMILY = "segment_used"
"""The binary family of the price segments (``build.py``)."""


@dataclass
class SkuBlock:
    """What a worker sends back from one SKU's relaxation: numbers only, no Pyomo objects."""

    sku: str
    status: Status
    termination: str
    objective: float | None
    bound: float | None
    purchases: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict = field(default_factory=lambda: dict.fromkeys(TIMINGS, 0.0))


def solve_sku_block(
    relaxation, options: SolveOptions, deadline: float | None, config=None
) -> SkuBlock:
    """Solve one SKU's relaxation (a :class:`~cbecopt.sku_split.SkuRelaxation`), in a worker
    process or here, by ``deadline`` (a :func:`time.monotonic` reading) with the ``network``
    model's extensive form."""
    from cbecopt.pipeline import solve

    options = options.in_worker(deadline)
    result = solve(relaxation.instance(), "network", options, config, method="extensive_form")
    timings = {key: float(result.timings.get(key, 0.0)) for key in TIMINGS}
    return SkuBlock(
        relaxation.sku,
        result.status,
        result.termination,
        result.objective,
        result.bound,
        result.table("purchases") if result.objective is not None else pd.DataFrame(),
        timings,
    )


def unfinished_block(sku: str, why: str) -> SkuBlock:
    """A SKU whose relaxation could not run: no bound, no plan."""
    return SkuBlock(sku, Status.NO_SOLUTION, why, None, None)


def segment_fixings(d: NetworkData, blocks: list[SkuBlock]) -> dict[str, dict]:
    """The price segment each SKU's relaxation bought each all-units offer at, as fixings of
    the whole model's ``segment_used`` (1 for that segment, 0 for the offer's others and for
    every segment of an offer it did not buy); SKUs without a plan and incremental offers stay
    free. A segment is recognised by the units bought (within its range) and the price paid."""
    planned = {b.sku: b.purchases for b in blocks if b.objective is not None}
    incremental = [kind == "incremental" for kind in (d.discount or ["all_units"] * len(d.offers))]
    bought: dict[tuple[str, str], tuple[float, float]] = {}
    for table in planned.values():
        for row in table.itertuples(index=False):
            bought[(row.supplier, row.sku)] = (float(row.quantity), float(row.unit_price))
    by_offer: dict[int, list[int]] = {}
    for r, (o, *_) in enumerate(d.segments):
        by_offer.setdefault(o, []).append(r)
    fixings = {}
    for o, segments in by_offer.items():
        i, k = d.offers[o]
        supplier, sku = d.suppliers[i], d.skus[k]
        if sku not in planned or incremental[o]:
            continue
        chosen = _segment_bought(d, segments, bought.get((supplier, sku)))
        for r in segments:
            fixings[(supplier, sku, r)] = 1.0 if r == chosen else 0.0
    return {SEGMENT_FAMILY: fixings}


def _segment_bought(d: NetworkData, segments: list[int], bought) -> int | None:
    """The segment whose range holds the units bought and whose price is nearest the price
    paid (``None``: nothing bought)."""
    if bought is None or bought[0] <= 0.0:
        return None
    units, price = bought
    tolerance = 1e-6 * max(1.0, units)
    fits = [
        r for r in segments if d.segments[r][1] - tolerance <= units <= d.segments[r][2] + tolerance
    ]
    return min(fits or segments, key=lambda r: abs(d.segments[r][3] - price))
