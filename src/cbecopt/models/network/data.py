"""The data of the ``network`` model: every node, offer, segment and lane by position, and
the demand of every scenario (markets x SKUs x months)."""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        shape = (len(self.scenario_names), len(self.markets), len(self.skus), self.months)
        if np.shape(self.demand) != shape:
            raise ValueError(f"demand has shape {np.shape(self.demand)}, expected {shape}")
        if not np.isclose(np.sum(self.probabilities), 1.0):
            raise ValueError("scenario probabilities must sum to 1")
