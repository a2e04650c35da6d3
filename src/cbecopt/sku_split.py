"""Cut an instance into one relaxation per SKU: the instance-level half of solving the
``network`` model by SKU blocks (:mod:`cbecopt.models.network.blocks` says why the
relaxations bound the whole model; models read no raw tables, so the cut lives here, beside
:meth:`cbecopt.instance.Instance.window`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbecopt.instance import Instance, PortableInstance, plain_mapping


def demand_value(instance: Instance) -> pd.Series:
    """Per SKU: units demanded x retail price, over every scenario, month and market (the
    weights of the fixed-cost shares; any weights would keep the bound valid)."""
    demand = instance.tables["demand"]
    price = instance.tables["products"].set_index("sku")["price"]
    value = demand.groupby("sku")["quantity"].sum() * price.reindex(demand["sku"].unique()).fillna(
        0.0
    )
    skus = list(instance.tables["products"]["sku"])
    return value.reindex(skus).fillna(0.0).clip(lower=0.0)


def fixed_cost_shares(instance: Instance) -> pd.DataFrame:
    """Share of each node's fixed cost (rows: node ids) paid by each SKU (columns): a
    supplier's among the SKUs it offers or contracts, any other node's among all SKUs, in
    proportion to :func:`demand_value` (equally where those SKUs have none). Each row adds
    up to 1 (0 for a supplier that offers nothing)."""
    nodes = instance.tables["nodes"]
    value = demand_value(instance)
    skus = list(value.index)
    offered = [instance.tables["offers"][["supplier", "sku"]]]
    if "contracts" in instance.tables:
        offered.append(instance.tables["contracts"][["supplier", "sku"]])
    offers = pd.concat(offered).drop_duplicates()
    users = pd.DataFrame(True, index=nodes["id"].to_numpy(), columns=skus)
    suppliers = nodes.loc[nodes["kind"] == "supplier", "id"]
    users.loc[suppliers.to_numpy()] = False
    for supplier, sku in offers.itertuples(index=False):
        if supplier in users.index and sku in users.columns:
            users.loc[supplier, sku] = True
    use = users.to_numpy(float)
    weights = use * value.to_numpy()
    weights = np.where(weights.sum(axis=1, keepdims=True) > 0, weights, use)
    total = weights.sum(axis=1, keepdims=True)
    shares = np.divide(weights, total, out=np.zeros_like(weights), where=total > 0)
    return pd.DataFrame(shares, index=users.index, columns=users.columns)


@dataclass(frozen=True)
class SkuRelaxation(PortableInstance):
    """One SKU's relaxation as plain tables (sent to a worker process, which validates them
    into an :class:`Instance`)."""

    sku: str


def sku_relaxations(instance: Instance) -> list[SkuRelaxation]:
    """One relaxation per SKU (module docstring): the instance's rows of that SKU (rows with
    no SKU, e.g. a frozen warehouse decision, kept), each shared fixed cost at the SKU's share
    (:func:`fixed_cost_shares`), no market's delivery-time target, and each overseas
    warehouse's ``shared_by`` cut to the platforms that sell the SKU."""
    tables = instance.tables
    shares = fixed_cost_shares(instance)
    demand = tables["demand"]
    relaxations = []
    for sku in shares.columns:
        nodes = tables["nodes"].copy()
        nodes["fixed_cost"] = nodes["fixed_cost"] * shares[sku].reindex(nodes["id"]).to_numpy()
        if "max_delivery_days" in nodes:
            nodes["max_delivery_days"] = np.nan
        if "shared_by" in nodes and "platform" in demand:
            platforms = set(demand.loc[demand["sku"] == sku, "platform"])
            nodes["shared_by"] = nodes["shared_by"].map(
                lambda group, sold=platforms: _sold_on(group, sold)
            )
        cut = {
            name: table[table["sku"].isna() | (table["sku"] == sku)]
            for name, table in tables.items()
            if "sku" in table.columns
        }
        kept = {name: t for name, t in {**tables, **cut, "nodes": nodes}.items() if len(t)}
        relaxations.append(
            SkuRelaxation(
                meta=plain_mapping(instance.meta),
                tables=kept,
                path=instance.path,
                sources={name: instance.source(name) for name in kept},
                first_month=instance.first_month,
                sku=str(sku),
            )
        )
    return relaxations


def _sold_on(group, platforms: set) -> object:
    """A ``shared_by`` cell cut to ``platforms`` (blank when none is left)."""
    if not isinstance(group, str):
        return group
    kept = [p.strip() for p in group.split(";") if p.strip() in platforms]
    return "; ".join(kept) if kept else np.nan
