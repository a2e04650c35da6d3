"""The data of the ``network`` model: every node, offer, segment and lane by position, and
the demand of every scenario (markets x SKUs x months)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class NetworkData:
    """One importer's network over ``months`` months.

    Suppliers ``i`` (fixed qualification cost, capacity in units over the horizon); offers
    ``(supplier, sku)`` with a minimum order and a counterfeit rate; all-units price segments
    ``(offer, from, to, price)``; overseas warehouses (fixed cost, capacity in units shipped
    out per month, handling per unit shipped out); bonded warehouses (fixed cost of use, handling per unit
    released). Lanes: ``first_mile`` (supplier, overseas, cost/unit, lead months);
    ``inbound`` (origin kind ``"supplier"`` or ``"overseas"``, origin, bonded, cost, lead);
    ``release`` (bonded, market, cost, tax rate on retail value); ``parcel`` (overseas,
    market, cost, tax rate). ``demand[s, j, k, t]`` with scenario probabilities.
    """

    skus: tuple[str, ...]
    months: int
    markets: tuple[str, ...]
    scenario_names: tuple[str, ...]
    probabilities: np.ndarray
    demand: np.ndarray
    suppliers: tuple[str, ...]
    supplier_fixed: np.ndarray
    supplier_capacity: np.ndarray
    offers: tuple[tuple[int, int], ...]
    min_order: np.ndarray
    counterfeit_rate: np.ndarray
    segments: tuple[tuple[int, float, float, float], ...]
    overseas: tuple[str, ...]
    overseas_fixed: np.ndarray
    overseas_capacity: np.ndarray
    overseas_handling: np.ndarray
    bonded: tuple[str, ...]
    bonded_fixed: np.ndarray
    bonded_handling: np.ndarray
    first_mile: tuple[tuple[int, int, float, int], ...]
    inbound: tuple[tuple[str, int, int, float, int], ...]
    release: tuple[tuple[int, int, float, float], ...]
    parcel: tuple[tuple[int, int, float, float], ...]
    retail_price: np.ndarray
    lost_penalty: np.ndarray
    holding: np.ndarray
    counterfeit_penalty: np.ndarray
    counterfeit_cap: float = 1.0

    def with_scenarios(self, names, probabilities, demand) -> NetworkData:
        """The same network over other demand scenarios (each markets x SKUs x months)."""
        return dataclasses.replace(
            self,
            scenario_names=tuple(names),
            probabilities=np.asarray(probabilities, float),
            demand=np.asarray(demand, float).reshape(len(names), *np.shape(self.demand)[1:]),
        )

    def __post_init__(self) -> None:
        shape = (len(self.scenario_names), len(self.markets), len(self.skus), self.months)
        if np.shape(self.demand) != shape:
            raise ValueError(f"demand has shape {np.shape(self.demand)}, expected {shape}")
        if not np.isclose(np.sum(self.probabilities), 1.0) or np.any(self.probabilities < 0):
            raise ValueError("scenario probabilities must be non-negative and sum to 1")
        nI, nK, nW, nB = len(self.suppliers), len(self.skus), len(self.overseas), len(self.bonded)
        nJ = len(self.markets)
        _within("offers", [(i, nI) for i, _ in self.offers] + [(k, nK) for _, k in self.offers])
        _within("segments", [(o, len(self.offers)) for o, *_ in self.segments])
        _within("first_mile", [(i, nI) for i, *_ in self.first_mile])
        _within("first_mile", [(w, nW) for _, w, *_ in self.first_mile])
        _within("inbound", [(o, nI if kind == "supplier" else nW) for kind, o, *_ in self.inbound])
        _within("inbound", [(b, nB) for _, _, b, *_ in self.inbound])
        _within(
            "release", [(b, nB) for b, *_ in self.release] + [(j, nJ) for _, j, *_ in self.release]
        )
        _within(
            "parcel", [(w, nW) for w, *_ in self.parcel] + [(j, nJ) for _, j, *_ in self.parcel]
        )
        if any(kind not in ("supplier", "overseas") for kind, *_ in self.inbound):
            raise ValueError("inbound: the origin kind is 'supplier' or 'overseas'")


def _within(field: str, pairs: list[tuple[int, int]]) -> None:
    """Every (position, count) of ``field`` names an existing node, offer or market."""
    for n, (position, count) in enumerate(pairs):
        if not 0 <= position < count:
            raise ValueError(f"{field}: entry {n + 1} refers to position {position} of {count}")
