"""Why a supplier selection can be infeasible, in sentences a planner can act on."""

from __future__ import annotations

import networkx as nx
import numpy as np

from cbecopt.diagnose import (
    SINK,
    SOURCE,
    TOLERANCE,
    ShortGroup,
    capacity_edge,
    listed,
    quoted,
    short_groups,
)
from cbecopt.models.suppliers.data import SuppliersConfig, SuppliersData


def diagnose_suppliers(data: SuppliersData, config: SuppliersConfig) -> list[str]:
    """Why a supplier selection can be infeasible: capacity short of demand (per SKU, per group
    of SKUs sharing suppliers), policies no source meets. Units already placed are demand
    met; a supplier frozen unused supplies nothing."""
    causes: list[str] = []
    demand = np.maximum(data.demand.sum(axis=0) - data.placed_by_sku, 0.0)
    unused = _frozen_unused(data)
    cap = np.where(unused[data.offer_supplier], 0.0, _offer_capacity(data))
    reach = np.bincount(
        data.offer_sku,
        weights=np.minimum(cap, data.supplier_capacity[data.offer_supplier]),
        minlength=len(data.SKUS),
    )
    for k, sku in enumerate(data.SKUS):
        offers = np.flatnonzero(data.offer_sku == k)
        if reach[k] < demand[k] - 1e-9:
            causes.append(
                f"SKU '{sku}': its offers can supply {reach[k]:g} units in all (within their "
                f"suppliers' capacities), short of demand {demand[k]:g}"
            )
        if config.demand == "exact":
            too_big = offers[data.min_order[offers] > demand[k]]
            if len(too_big) == len(offers) and len(offers):
                causes.append(
                    f"SKU '{sku}': every offer's minimum order is above the demand {demand[k]:g}"
                )
        if config.max_counterfeit_rate is not None:
            best = (
                np.min(np.minimum(data.counterfeit_rate, data.inspected_rate)[offers])
                if len(offers)
                else 1.0
            )
            if best > config.max_counterfeit_rate:
                causes.append(
                    f"SKU '{sku}': no offer's counterfeit rate ({best:g} at best, after inspection) is within "
                    f"the cap {config.max_counterfeit_rate:g}"
                )
        if config.min_brand_direct_share and not data.brand_direct[offers].any():
            causes.append(
                f"SKU '{sku}': no brand-direct offer, but a brand-direct share of "
                f"{config.min_brand_direct_share:g} is required"
            )
        if (
            config.max_supplier_share is not None
            and len(offers) * config.max_supplier_share < 1 - 1e-9
        ):
            causes.append(
                f"SKU '{sku}': {len(offers)} offer(s) at most {config.max_supplier_share:g} each "
                "cannot cover the whole demand"
            )
    alone_short = np.maximum(demand - reach, 0.0)
    if unused.any() and (alone_short > 1e-9).any():
        causes.insert(
            0,
            f"frozen rows fix supplier(s) {quoted(np.asarray(data.SUPPLIERS, object)[unused])} "
            "unused: their offers supply nothing below",
        )
    for group in short_groups(_supplier_network(data, cap, demand)):
        explained = alone_short[group.members("sku")].sum()
        if group.shortfall > explained + TOLERANCE * (1 + group.need):
            causes.append(_sku_group_cause(data, group))
    if config.max_suppliers is not None:
        causes.append(
            f"at most {config.max_suppliers} supplier(s) may be used: check it covers every SKU's demand"
        )
    return causes or [
        "the policies together (caps, shares, minimum orders, capacities) leave no feasible purchase plan"
    ]


def _frozen_unused(data: SuppliersData) -> np.ndarray:
    """Whether each supplier is frozen unused (``frozen`` decision ``supplier``, value 0)."""
    if data.frozen_use is None:
        return np.zeros(len(data.SUPPLIERS), bool)
    return data.frozen_use == 0


def _offer_capacity(data: SuppliersData) -> np.ndarray:
    """The most each offer can supply (inf: unlimited), as the model bounds its purchase."""
    return np.minimum(data.capacity, data.upper)


def _supplier_network(data: SuppliersData, cap: np.ndarray, demand: np.ndarray) -> nx.DiGraph:
    """source -> supplier (its capacity over all SKUs) -> offer (its capacity) -> SKU -> sink
    (demand)."""
    network = nx.DiGraph()
    for s, capacity in enumerate(data.supplier_capacity):
        network.add_edge(SOURCE, ("supplier", s), **capacity_edge(capacity))
    for o, (s, k) in enumerate(zip(data.offer_supplier, data.offer_sku, strict=True)):
        network.add_edge(("supplier", s), ("offer", o), **capacity_edge(cap[o]))
        network.add_edge(("offer", o), ("sku", k))
    for k, need in enumerate(demand):
        network.add_edge(("sku", k), SINK, capacity=float(need))
    return network


def _sku_group_cause(data: SuppliersData, group: ShortGroup) -> str:
    held = group.binding_from("source")
    offers = group.binding_from("supplier")
    parts = []
    if held:
        parts.append(
            f"suppliers {quoted(data.SUPPLIERS[s] for _, (_, s), _ in held)} have capacity "
            f"{sum(c for *_, c in held):g} over all their SKUs"
        )
    if offers:
        named = (f"'{s}' for '{k}'" for s, k in (data.OFFERS[o] for _, (_, o), _ in offers))
        parts.append(f"the offers of {listed(named)} can supply {sum(c for *_, c in offers):g}")
    return (
        f"SKUs {quoted(data.SKUS[k] for k in group.members('sku'))} need {group.need:g} units "
        f"together but their offers can supply at most {group.capacity:g} "
        f"({' and '.join(parts)}): short by {group.shortfall:g} units; raise these capacities "
        "or add offers from other suppliers"
    )
