"""Plain-language causes of infeasibility, checked on the data (not the solver's internals).

Each check returns sentences a planner can act on ("market X has no lane from any
warehouse"); they run when HiGHS reports a model infeasible.
"""

from __future__ import annotations

import numpy as np

from cbecopt.formulations.warehouses import WarehousesConfig, WarehousesData


def diagnose_warehouses(
    data: WarehousesData, config: WarehousesConfig, currency_units: str = "units"
) -> list[str]:
    """Why a warehouses instance can be infeasible: reachability, capacity, open-count and sourcing limits."""
    causes: list[str] = []
    n_w = len(data.WAREHOUSES)
    reach_cap = np.zeros(len(data.MARKETS))
    # What a market can receive: per warehouse the lane capacity (summed over modes), capped by the warehouse.
    per_pair: dict[tuple[int, int], float] = {}
    for w, j, u in zip(data.lane_warehouse, data.lane_market, data.lane_capacity, strict=True):
        per_pair[(w, j)] = per_pair.get((w, j), 0.0) + u
    best_single = np.zeros(len(data.MARKETS))
    for (w, j), u in per_pair.items():
        usable = min(u, data.capacity[w])
        reach_cap[j] += usable
        best_single[j] = max(best_single[j], usable)
    for j, market in enumerate(data.MARKETS):
        if not any(jj == j for (_, jj) in per_pair):
            causes.append(
                f"market '{market}' has demand {data.demand[j]:g} but no lane from any overseas warehouse: "
                "add an arc to it in arcs.csv or remove its demand"
            )
        elif reach_cap[j] < data.demand[j] - 1e-9:
            causes.append(
                f"market '{market}' needs {data.demand[j]:g} {currency_units} but its lanes and warehouses "
                f"can deliver at most {reach_cap[j]:g}: raise lane or warehouse capacity"
            )
        elif config.single_source and best_single[j] < data.demand[j] - 1e-9:
            causes.append(
                f"market '{market}' needs {data.demand[j]:g} {currency_units} from a single warehouse, "
                f"but the most any one can deliver is {best_single[j]:g}: allow multi-sourcing or raise capacity"
            )
    total_demand = float(data.demand.sum())
    capacity = np.where(np.isfinite(data.capacity), data.capacity, np.inf)
    total_capacity = float(capacity.sum())
    if total_capacity < total_demand - 1e-9:
        causes.append(
            f"total warehouse capacity {total_capacity:g} is short of total demand {total_demand:g} "
            f"by {total_demand - total_capacity:g} {currency_units}"
        )
    if config.max_open is not None and config.max_open < n_w:
        best = float(np.sort(capacity)[::-1][: config.max_open].sum())
        if best < total_demand - 1e-9:
            causes.append(
                f"at most {config.max_open} warehouses may open, and the {config.max_open} largest "
                f"hold {best:g}, short of total demand {total_demand:g}: raise max_open"
            )
    if config.min_open is not None and config.min_open > n_w:
        causes.append(
            f"min_open is {config.min_open} but there are only {n_w} candidate warehouses"
        )
    if not causes:
        causes.append(
            "HiGHS proved the model infeasible, but no single simple cause was found "
            "(checked: lanes to every market, capacities per market and in total, open-count limits"
            + (", single-sourcing" if config.single_source else "")
            + "); the combination of capacities and single assignments is too tight"
        )
    return causes


def diagnose_suppliers(data, config) -> list[str]:
    """Why a supplier selection can be infeasible: capacity short of demand, policies no source meets."""
    causes: list[str] = []
    demand = data.demand.sum(axis=0)
    cap = np.minimum(data.capacity, data.upper)
    reach = np.bincount(
        data.offer_sku, weights=np.where(np.isfinite(cap), cap, np.inf), minlength=len(data.SKUS)
    )
    for k, sku in enumerate(data.SKUS):
        offers = np.flatnonzero(data.offer_sku == k)
        if reach[k] < demand[k] - 1e-9:
            causes.append(
                f"SKU '{sku}': its offers can supply {reach[k]:g} units in all, short of demand {demand[k]:g}"
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
    if config.max_suppliers is not None:
        causes.append(
            f"at most {config.max_suppliers} supplier(s) may be used: check it covers every SKU's demand"
        )
    return causes or [
        "the policies together (caps, shares, minimum orders, capacities) leave no feasible purchase plan"
    ]
