"""Bounds a plan never needs to exceed, which make the big-M rows of the ``network`` model
tight (``models/network.md``, "Bounds").

A warehouse never needs to receive more of a SKU over the horizon than the largest scenario's
total demand for it plus the stock the weeks of cover hold (:func:`useful_units`); no price
segment needs to be bought beyond that or beyond its own start, and no supplier beyond what
its SKUs can use. Capping the data there keeps every optimum (buying past a segment's start
beyond what can be used only adds cost) while the LP relaxation prices fixed costs and price
breaks far closer to their true cost than a bound of the suppliers' whole capacity does.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cbecopt.models.network.channels import months_of_cover
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.packs import largest_pack, receiving_warehouses
from cbecopt.whole_units import whole_units_bound


def useful_units(d: NetworkData) -> np.ndarray:
    """Per SKU: the most units of it a plan can use over the horizon, the largest scenario's
    total demand x (1 + the months of cover), plus the units planned shipments must move
    whether they are used or not, with room for whole units and cases
    (:func:`~cbecopt.whole_units.whole_units_bound`)."""
    if not len(d.skus):
        return np.zeros(0)
    per_scenario = np.asarray(d.demand, float).sum(axis=(1, 3))
    planned = 0.0 if d.in_motion is None else d.in_motion.planned_units(d.skus)
    most = per_scenario.max(axis=0) * (1.0 + months_of_cover(d)) + planned
    largest = largest_pack(d.pack_size, d.lane_pack_size, len(d.skus))
    return whole_units_bound(most, d.integer_quantities, largest, receiving_warehouses(d))


def with_useful_bounds(d: NetworkData, useful: np.ndarray) -> NetworkData:
    """``d`` with each all-units price segment ending at most where the SKU's useful units are
    (but not before the segment starts), each incremental slice cut at them, and each
    supplier's capacity at most what its SKUs can use; ``useful``: :func:`useful_units`."""
    sku_of = np.array([k for _, k in d.offers], np.int64)
    incremental = [kind == "incremental" for kind in d.discount] or [False] * len(d.offers)

    def capped(o: int, lo: float, hi: float) -> tuple[float, float]:
        most = useful[sku_of[o]]
        if incremental[o]:  # slices stay consecutive: those past the useful units shrink to it
            return min(lo, most), min(hi, most)
        return lo, max(lo, min(hi, most))  # an all-units price still reachable at its start

    segments = tuple((o, *capped(o, lo, hi), price) for o, lo, hi, price in d.segments)
    most = np.zeros(len(d.offers))
    for o, _, hi, _ in segments:
        most[o] = max(most[o], hi)
    per_supplier = np.zeros(len(d.suppliers))
    np.add.at(per_supplier, [i for i, _ in d.offers], most)
    capacity = np.minimum(np.asarray(d.supplier_capacity, float), per_supplier)
    return dataclasses.replace(d, segments=segments, supplier_capacity=capacity)
