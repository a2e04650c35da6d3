"""Whole units and pack sizes in the ``network`` model (``models/network.md``, "Whole units
and packs"; the shared pieces in :mod:`cbecopt.whole_units`).

With ``integer_quantities`` the unit quantities (firm purchases and their segments, term
commitments and calls, the units inspected, first-stage and recourse shipments, deliveries)
take whole values (:func:`unit_domain`); stock follows from the balances (whole when its
flows are) and lost sales stay continuous (demand may be a fractional expected demand).

A pack size ``p > 1`` makes a quantity ``x = p n`` with ``n`` a whole number of cases:
shipments on first-stage lanes (the lane's ``arcs.pack_size``, else the SKU's
``products.pack_size``) through the family ``packs`` and the rows ``pack_link``, recourse
shipments alike (``recourse_packs``, ``recourse_pack_link``), and firm purchases (the SKU's
``pack_size``: suppliers sell whole cases) through ``purchase_packs`` and
``purchase_pack_link``. Deliveries to a market go per order and have no pack size.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from cbecopt.labelled import VarFamily
from cbecopt.models.network.data import NetworkData
from cbecopt.whole_units import add_cases, pack_sizes
from cbecopt.whole_units import unit_domain as _domain

LANE_PREFIX = {"fm": "first_mile", "in": "inbound"}
"""The role of a first-stage lane by the prefix of its label (``fm<n>``, ``in<n>``, the
``n``-th lane of that role, as ``build.shipment_keys`` names them)."""


def unit_domain(d: NetworkData):
    """The domain of a quantity of units: whole with ``integer_quantities``."""
    return _domain(d.integer_quantities)


def shipment_packs(d: NetworkData, lanes, skus: np.ndarray) -> np.ndarray:
    """Units per case of each shipment on first-stage lane ``lanes[n]`` (its label) of SKU
    position ``skus[n]``: the lane's pack size where it gives one, else the SKU's."""
    per_sku = pack_sizes(d.pack_size, len(d.skus))[np.asarray(skus, np.int64)]
    by_role = d.lane_pack_size or {}
    per_lane = np.array([_lane_pack(by_role, lane) for lane in lanes], float)
    return np.where(np.isnan(per_lane), per_sku, per_lane) if len(per_lane) else per_sku


def _lane_pack(by_role: dict, lane: str) -> float:
    """The pack size lane ``lane`` (its label) gives, nan for none."""
    values = by_role.get(LANE_PREFIX[lane[:2]])
    return float(values[int(lane[2:])]) if values is not None and len(values) else np.nan


def largest_pack(pack_size: np.ndarray | None, lane_pack_size: dict | None, count: int):
    """Per SKU (``count`` of them): its largest pack size, its own (``pack_size``) or that of
    any first-stage lane (``lane_pack_size``, lanes carrying every SKU); 1: none."""
    largest = pack_sizes(pack_size, count).copy()
    for per_lane in (lane_pack_size or {}).values():
        values = np.asarray(per_lane, float)
        if np.isfinite(values).any():
            largest = np.maximum(largest, np.nanmax(values))
    return largest


def receiving_warehouses(d: NetworkData) -> int:
    """How many warehouses (overseas, bonded and domestic) may receive a SKU."""
    return len(d.overseas) + len(d.bonded)


def add_whole_cases(
    b: pyo.Block, d: NetworkData, ships, purchase: VarFamily, shipment: VarFamily
) -> None:
    """Firm purchases in whole cases of their SKU (``purchase_packs``) and first-stage
    shipments in whole cases of their lane or SKU (``packs``), where the pack size exceeds 1.
    ``ships``: the shipment keys (``build.Shipments``)."""
    offer_sku = np.array([k for _, k in d.offers], np.int64)
    per_offer = pack_sizes(d.pack_size, len(d.skus))[offer_sku]
    add_cases(b, "purchase_packs", "purchase_pack_link", purchase, per_offer)
    lanes = [lane for lane, _, _ in ships.keys]
    add_cases(b, "packs", "pack_link", shipment, shipment_packs(d, lanes, ships.sku))
