"""Whole units and pack sizes in the ``network`` model (``models/network.md``, "Whole units
and packs"), decided in the model rather than by rounding a plan afterwards (rounding 129.2
handbags breaks the brand-direct share the plan was built to meet).

With ``integer_quantities`` the unit quantities (firm purchases and their segments, term
commitments and calls, the units inspected, first-stage and recourse shipments, deliveries)
take the domain of :func:`unit_domain`; stock follows from the balances (whole when its
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

from cbecopt.families import whole_cases
from cbecopt.labelled import VarFamily, add_var_family
from cbecopt.models.network.data import NetworkData

LANE_PREFIX = {"fm": "first_mile", "in": "inbound"}
"""The role of a first-stage lane by the prefix of its label (``fm<n>``, ``in<n>``, the
``n``-th lane of that role, as ``build.shipment_keys`` names them)."""


def unit_domain(d: NetworkData):
    """The domain of a quantity of units: whole with ``integer_quantities``, else any
    non-negative number."""
    return pyo.NonNegativeIntegers if d.integer_quantities else pyo.NonNegativeReals


def sku_packs(d: NetworkData) -> np.ndarray:
    """Per SKU: units per case (1: none)."""
    return _per_sku(d.pack_size, len(d.skus))


def _per_sku(pack_size: np.ndarray | None, count: int) -> np.ndarray:
    if pack_size is None:
        return np.ones(count)
    return np.nan_to_num(np.asarray(pack_size, float), nan=1.0)


def shipment_packs(d: NetworkData, lanes, skus: np.ndarray) -> np.ndarray:
    """Units per case of each shipment on first-stage lane ``lanes[n]`` (its label) of SKU
    position ``skus[n]``: the lane's pack size where it gives one, else the SKU's."""
    per_sku = sku_packs(d)[np.asarray(skus, np.int64)]
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
    largest = _per_sku(pack_size, count).copy()
    for per_lane in (lane_pack_size or {}).values():
        values = np.asarray(per_lane, float)
        if np.isfinite(values).any():
            largest = np.maximum(largest, np.nanmax(values))
    return largest


def whole_units_bound(
    units: np.ndarray, integer: bool, largest: np.ndarray, shipments: int
) -> np.ndarray:
    """``units`` (a bound per SKU on what a plan needs) with room for whole cases: each of the
    ``shipments`` first-stage shipments (lane x month) and the purchase may round what it
    needs up to the next whole case of at most ``largest`` units (1 unit with
    ``integer_quantities`` alone); ``units`` unchanged when quantities are continuous and no
    SKU has packs."""
    if not integer and not np.any(largest > 1):
        return units
    return np.ceil(np.asarray(units, float)) + largest * (shipments + 1)


def first_stage_shipments(d: NetworkData) -> int:
    """How many first-stage shipments a SKU can have at most: its lanes x months."""
    return (len(d.first_mile) + len(d.inbound)) * d.months


def add_packs(
    b: pyo.Block, name: str, link: str, quantity: VarFamily, size: np.ndarray
) -> VarFamily | None:
    """Whole cases ``name`` (whole numbers) of the quantities of ``quantity`` whose ``size``
    (units per case, one per variable) exceeds 1, and the rows ``link`` (shared family
    :func:`~cbecopt.families.whole_cases`) making each such quantity that many cases; None
    when no quantity comes in cases."""
    cased = np.flatnonzero(np.asarray(size, float) > 1)
    if not len(cased):
        return None
    labels = quantity.labels[cased]
    cases = add_var_family(
        b, name, list(labels), domain=pyo.NonNegativeIntegers, labels=labels, doc="n: cases"
    )
    per_case = cases.keyed(np.asarray(size, float)[cased])
    whole_cases(b, link, quantity, cases, per_case, doc="x = p n")
    return cases


def add_whole_cases(
    b: pyo.Block, d: NetworkData, ships, purchase: VarFamily, shipment: VarFamily
) -> None:
    """Firm purchases in whole cases of their SKU (``purchase_packs``) and first-stage
    shipments in whole cases of their lane or SKU (``packs``), where the pack size exceeds 1.
    ``ships``: the shipment keys (``build.Shipments``)."""
    offer_sku = np.array([k for _, k in d.offers], np.int64)
    add_packs(b, "purchase_packs", "purchase_pack_link", purchase, sku_packs(d)[offer_sku])
    lanes = [lane for lane, _, _ in ships.keys]
    add_packs(b, "packs", "pack_link", shipment, shipment_packs(d, lanes, ships.sku))
