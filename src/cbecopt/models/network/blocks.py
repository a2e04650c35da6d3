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

import time
from dataclasses import dataclass, field

import pandas as pd

from cbecopt.errors import InputError
from cbecopt.highs import SolveOptions, solve_compiled
from cbecopt.limits import OutOfTime
from cbecopt.models.network.build import NetworkProblem
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.platforms import copied_from
from cbecopt.models.network.results import extract_network
from cbecopt.models.network.strategies import Restriction, Solved
from cbecopt.results import Status
from cbecopt.stochastic.twostage import build_extensive_form

TIMINGS = ("build", "handoff", "solve", "extract")
"""Worker time per step of a SKU's solve, summed over SKUs (they run side by side)."""
SEGMENT_FAMILY = "segment_used"
"""The binary family of the price segments (``build.py``)."""


FIXED_CHARGES = ("use_supplier", "use_offer", "open", "use_warehouse", "listed")
"""The families of decisions with a fixed cost: a SKU's plan says which of them it used."""


@dataclass
class SkuBlock:
    """What a worker sends back from one SKU's relaxation: numbers and labels only, no Pyomo
    objects. ``used`` holds the fixed-charge decisions (:data:`FIXED_CHARGES`) of its plan, by
    family and label."""

    sku: str
    status: Status
    termination: str
    objective: float | None
    bound: float | None
    purchases: pd.DataFrame = field(default_factory=pd.DataFrame)
    timings: dict = field(default_factory=lambda: dict.fromkeys(TIMINGS, 0.0))
    used: dict[str, dict] = field(default_factory=dict)


def solve_sku_block(
    relaxation, options: SolveOptions, deadline: float | None, config=None
) -> SkuBlock:
    """Solve one SKU's relaxation (a :class:`~cbecopt.sku_split.SkuRelaxation`), in a worker
    process or here, by ``deadline`` (a :func:`time.monotonic` reading): its extensive form
    handed to HiGHS as it is."""
    from cbecopt.models import check_inputs  # the registry lists this model: imported late

    options = options.in_worker(deadline)
    timings = dict.fromkeys(TIMINGS, 0.0)
    started = time.perf_counter()
    try:
        data = check_inputs(relaxation.instance(), "network", config)
    except InputError as refused:  # e.g. a SKU nobody offers: its cut has no offers table
        lines = str(refused).splitlines()
        why = "; ".join(line.strip(" -") for line in lines[1:]) or lines[0]
        return unfinished_block(relaxation.sku, f"its rows alone are no instance ({why})")
    problem = NetworkProblem(data)
    try:
        form = build_extensive_form(problem, problem.scenarios(), None, options.budget)
    except OutOfTime as stopped:
        return unfinished_block(relaxation.sku, f"{stopped} while building")
    timings["build"] = time.perf_counter() - started
    outcome = solve_compiled(form.compile(), options)
    timings["handoff"], timings["solve"] = outcome.handoff_seconds, outcome.solve_seconds
    started = time.perf_counter()
    purchases, used = pd.DataFrame(), {}
    if outcome.values is not None:
        plan, _ = extract_network(problem, form, outcome.values)  # the result's own tables
        purchases = plan["purchases"]
        used = Solved(Restriction(data), form, outcome).decided(FIXED_CHARGES)
        if "open" in used:  # copies by what they are: the relaxation names them its own way
            served = dict(zip(data.overseas, _groups(data), strict=True))
            used["open"] = {
                (copied_from(name), tuple(served[name])): v for name, v in used["open"].items()
            }
    timings["extract"] = time.perf_counter() - started
    return SkuBlock(
        relaxation.sku,
        outcome.status,
        outcome.termination,
        outcome.objective,
        outcome.bound,
        purchases,
        timings,
        used,
    )


CLOSABLE = ("use_supplier", "open", "use_warehouse")
"""The fixed-charge families the plan pass keeps closed where no SKU's relaxation used them:
the nodes. Offers and listings stay free: SKUs sharing a supplier's capacity may need another
of its offers, and SKUs whose relaxations chose different bonded zones meet at one of them
(on the demo, closing the listings no relaxation chose cost 1.2%: 639.6 M against 632.0 M)."""


def whole_model_labels(d: NetworkData, used: dict[str, dict]) -> dict[str, dict]:
    """A relaxation's ``used`` decisions labelled as the whole model (``d``) labels them. Its
    overseas copies come as (warehouse, platforms served): a SKU sold on fewer platforms has
    copies for fewer platforms (one for all of them is named as the warehouse), each within
    one copy of the whole model, which is the one it stands for."""
    if "open" not in used:
        return used
    whole = [(copied_from(n), set(g), n) for n, g in zip(d.overseas, _groups(d), strict=True)]
    opened: dict[str, float] = {}
    for (warehouse, served), value in used["open"].items():
        for base, group, name in whole:
            if base == warehouse and set(served) <= group:
                opened[name] = max(opened.get(name, 0.0), value)
    return {**used, "open": opened}


def _groups(d: NetworkData) -> list[tuple[str, ...]]:
    """The platforms each overseas warehouse (copy) serves; none without platforms."""
    return list(d.shared_by) if d.shared_by else [()] * len(d.overseas)


def unused_by_all(d: NetworkData, blocks: list[SkuBlock]) -> dict[str, dict]:
    """The decisions of :data:`CLOSABLE` that some SKU's relaxation had and none used, as
    fixings at 0 of the whole model ``d``: the plan pass leaves them closed (``{}`` when a SKU
    has no plan)."""
    most = _most_used(d, blocks)
    if most is None:
        return {}
    return {
        family: {label: 0.0 for label, value in by_label.items() if value <= 0.5}
        for family, by_label in most.items()
        if family in CLOSABLE
    }


def used_by_any(d: NetworkData, blocks: list[SkuBlock]) -> dict[str, dict] | None:
    """Every fixed-charge decision some SKU's plan used, by family and label of the whole
    model ``d`` (1.0): the decisions to round up for a first plan of the whole model. A SKU
    whose relaxation ended without a plan adds every supplier offering it (the rounded plan
    closes those it does not buy from); ``None`` when no SKU has a plan."""
    planned = [b for b in blocks if b.objective is not None]
    if not planned:
        return None
    used: dict[str, dict] = {}
    for family, by_label in _most_used(d, planned).items():
        used[family] = {label: 1.0 for label, value in by_label.items() if value > 0.5}
    unplanned = {b.sku for b in blocks if b.objective is None}
    for i, k in d.offers:
        if d.skus[k] in unplanned:
            used.setdefault("use_supplier", {})[d.suppliers[i]] = 1.0
    return used


def _most_used(d: NetworkData, blocks: list[SkuBlock]) -> dict[str, dict] | None:
    """Per fixed-charge decision of the whole model ``d`` that some SKU's relaxation had, the
    largest value any gave it; ``None`` when a SKU has no plan."""
    if any(b.objective is None for b in blocks):
        return None
    most: dict[str, dict] = {}
    for block in blocks:
        for family, by_label in whole_model_labels(d, block.used).items():
            chosen = most.setdefault(family, {})
            for label, value in by_label.items():
                chosen[label] = max(chosen.get(label, 0.0), value)
    return most


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
