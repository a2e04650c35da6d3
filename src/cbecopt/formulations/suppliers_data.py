"""The suppliers model's sets and parameters, read from an instance and checked.

Offers (supplier x SKU) carry a price schedule cut into segments: for all-units discounts a
segment is a quantity range with one price for every unit; for incremental discounts a
segment is one slice of the quantity, priced on its own. Segments are clipped to the offer's
capacity and, when that is unlimited, to the most that can pay (the SKU's demand, or the last
break when buying up to it is cheaper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbecopt.errors import InputError, OptionError
from cbecopt.formulations.common import demand_sku_problems, scenario_demand_problems
from cbecopt.instance import Instance
from cbecopt.tables import DISCOUNT_KINDS, SUPPLIER_TYPES

DEMAND_RULES = ("exact", "at_least")
OBJECTIVES = ("cost", "counterfeit")


@dataclass(frozen=True)
class SuppliersConfig:
    """Options of the suppliers model; ``None`` takes the instance's ``[suppliers]`` setting.

    Parameters
    ----------
    demand : ``exact`` (buy exactly the demand) or ``at_least`` (over-buying allowed, e.g. to
        reach an all-units price break).
    counterfeit_penalty : cost of one counterfeit unit, for every SKU (default: each product's
        ``counterfeit_penalty``, else 0).
    max_counterfeit_rate : cap on each SKU's average counterfeit rate (after inspection).
    min_brand_direct_share : least share of each SKU bought from brand-direct sources.
    max_late_rate : cap on each SKU's average late-delivery rate.
    max_suppliers : most suppliers used in all.
    max_supplier_share : most of one SKU's purchases from one offer (diversification).
    inspection : allow third-party inspection where an offer prices it.
    supplier_types : only offers from suppliers of these types (e.g. ``("brand_direct",)``).
    objective : ``cost`` (total landed cost with the counterfeit penalty) or ``counterfeit``
        (expected counterfeit units).
    counterfeit_limit, cost_limit : caps on total expected counterfeit units and on cost
        (without the penalty), for the epsilon-constraint Pareto front.
    cost_weight : with ``objective="counterfeit"``, add this times the landed cost (a tie-break
        that makes the optimum efficient; the cost objective's tie-break is
        ``counterfeit_penalty``).
    """

    demand: str | None = None
    counterfeit_penalty: float | None = None
    max_counterfeit_rate: float | None = None
    min_brand_direct_share: float | None = None
    max_late_rate: float | None = None
    max_suppliers: int | None = None
    max_supplier_share: float | None = None
    inspection: bool = True
    supplier_types: tuple[str, ...] | None = None
    objective: str = "cost"
    counterfeit_limit: float | None = None
    cost_limit: float | None = None
    cost_weight: float = 0.0

    def resolved(self, instance: Instance) -> SuppliersConfig:
        """Fill options left as ``None`` from ``[suppliers]`` in ``instance.toml`` and check them."""
        values = {}
        for name in (
            "demand",
            "counterfeit_penalty",
            "max_counterfeit_rate",
            "min_brand_direct_share",
            "max_late_rate",
            "max_suppliers",
            "max_supplier_share",
        ):
            own = getattr(self, name)
            values[name] = own if own is not None else instance.setting("suppliers", name)
        values["demand"] = values["demand"] or "exact"
        config = SuppliersConfig(**{**self.__dict__, **values})
        config.check()
        return config

    def check(self) -> None:
        if self.demand is not None and self.demand not in DEMAND_RULES:
            raise OptionError(f"demand must be {' or '.join(DEMAND_RULES)}, got '{self.demand}'")
        if self.objective not in OBJECTIVES:
            raise OptionError(
                f"objective must be {' or '.join(OBJECTIVES)}, got '{self.objective}'"
            )
        for name in (
            "max_counterfeit_rate",
            "min_brand_direct_share",
            "max_late_rate",
            "max_supplier_share",
        ):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise OptionError(f"{name} must be in [0, 1], got {value}")
        for name in ("counterfeit_penalty", "counterfeit_limit", "cost_limit", "cost_weight"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise OptionError(f"{name} must be >= 0, got {value}")
        if self.max_suppliers is not None and (
            self.max_suppliers < 0 or not float(self.max_suppliers).is_integer()
        ):
            raise OptionError(
                f"max_suppliers must be a whole number >= 0, got {self.max_suppliers}"
            )
        unknown = [t for t in self.supplier_types or () if t not in SUPPLIER_TYPES]
        if unknown:
            raise OptionError(
                f"unknown supplier type(s) {', '.join(unknown)}; choose from {', '.join(SUPPLIER_TYPES)}"
            )


@dataclass(frozen=True)
class SuppliersData:
    """Sets and parameters as arrays aligned with the sets' order."""

    SKUS: list
    SUPPLIERS: list
    OFFERS: list  # (supplier, sku)
    SEGMENTS: list  # (supplier, sku, break number)
    MARKETS: list  # markets with demand, or ["all"] when freight is not modelled
    SHIPMENTS: list  # (supplier, sku, market) when freight is modelled, else []
    demand: np.ndarray  # D_jk: markets x SKUs
    supplier_type: np.ndarray
    fixed_cost: np.ndarray  # F_s
    supplier_capacity: np.ndarray  # C_s (inf: unlimited)
    offer_sku: np.ndarray
    offer_supplier: np.ndarray
    discount: np.ndarray  # all_units / incremental
    capacity: np.ndarray  # K_o (inf: unlimited)
    upper: np.ndarray  # U_o: most the offer can usefully supply
    min_order: np.ndarray  # MOQ_o
    counterfeit_rate: np.ndarray  # r_o
    inspected_rate: np.ndarray  # r'_o (= r_o where no inspection)
    inspection_cost: np.ndarray  # c^insp_o (nan: no inspection)
    late_rate: np.ndarray  # lambda_o
    lead_time_days: np.ndarray
    segment_offer: np.ndarray
    segment_index: np.ndarray  # 0, 1, ... within the offer
    segment_from: np.ndarray  # a_or
    segment_to: np.ndarray  # b_or
    unit_price: np.ndarray  # p_or
    shipment_offer: np.ndarray
    shipment_market: np.ndarray
    freight: np.ndarray  # per unit shipped
    tax: np.ndarray  # per unit of SKU k
    penalty: np.ndarray  # pi_k

    @property
    def inspectable(self) -> np.ndarray:
        return np.flatnonzero(~np.isnan(self.inspection_cost))

    @property
    def brand_direct(self) -> np.ndarray:
        return self.supplier_type[self.offer_supplier] == "brand_direct"

    @classmethod
    def from_instance(cls, instance: Instance, config: SuppliersConfig) -> SuppliersData:
        """The model's sets and parameters from ``instance`` (with its ``products``, ``offers``
        and ``price_breaks`` tables); what the model cannot use is an ``InputError``."""
        tables = instance.tables
        demand = tables["demand"]
        problems = [
            *scenario_demand_problems(instance, "suppliers"),
            *demand_sku_problems(instance, "suppliers"),
        ]
        if problems:
            raise InputError(problems)
        nodes = tables["nodes"].set_index("id")
        offers = tables["offers"]
        types = (
            nodes["supplier_type"]
            if "supplier_type" in nodes
            else pd.Series(None, nodes.index, dtype=object)
        )
        if config.supplier_types is not None:
            offers = offers[
                types.reindex(offers["supplier"]).isin(config.supplier_types).to_numpy()
            ]
        offers = offers.reset_index(drop=True)
        skus = list(dict.fromkeys(demand["sku"]))
        _check_every_sku_offered(instance, offers, skus, config)
        offers = offers[offers["sku"].isin(skus)].reset_index(drop=True)
        k_of = {k: i for i, k in enumerate(skus)}
        suppliers = list(dict.fromkeys(offers["supplier"]))
        s_of = {s: i for i, s in enumerate(suppliers)}
        markets, shipments, matrix = _markets(instance, offers, skus)

        def column(name, default):
            return (
                offers[name].fillna(default).to_numpy(float)
                if name in offers
                else np.full(len(offers), default)
            )

        capacity = column("capacity", np.inf)
        rate = column("counterfeit_rate", 0.0)
        inspection_cost = column("inspection_cost", np.nan)
        if not config.inspection:
            inspection_cost[:] = np.nan
        inspected = np.where(
            np.isnan(inspection_cost), rate, column("inspected_counterfeit_rate", 0.0)
        )
        offer_sku = np.array([k_of[k] for k in offers["sku"]], np.int64)
        sku_demand = matrix.sum(axis=0)
        breaks = tables["price_breaks"]
        segments = _segments(
            offers, breaks, capacity, column("min_order", 0.0), sku_demand[offer_sku], config.demand
        )
        products = tables["products"].set_index("sku").reindex(skus)
        penalty = (
            np.full(len(skus), config.counterfeit_penalty)
            if config.counterfeit_penalty is not None
            else (
                products["counterfeit_penalty"].fillna(0.0).to_numpy(float)
                if "counterfeit_penalty" in products
                else np.zeros(len(skus))
            )
        )
        node_capacity = (
            nodes["capacity"].reindex(suppliers).to_numpy(float)
            if "capacity" in nodes
            else np.full(len(suppliers), np.nan)
        )
        fixed = (
            nodes["fixed_cost"].reindex(suppliers).fillna(0.0).to_numpy(float)
            if "fixed_cost" in nodes
            else np.zeros(len(suppliers))
        )
        discount = (
            offers["discount"].fillna(DISCOUNT_KINDS[0]).to_numpy(str)
            if "discount" in offers
            else np.full(len(offers), DISCOUNT_KINDS[0])
        )
        return cls(
            SKUS=skus,
            SUPPLIERS=suppliers,
            OFFERS=list(zip(offers["supplier"], offers["sku"], strict=True)),
            SEGMENTS=[
                (offers.at[o, "supplier"], offers.at[o, "sku"], int(r))
                for o, r in zip(segments["offer"], segments["index"], strict=True)
            ],
            MARKETS=markets,
            SHIPMENTS=[
                (offers.at[o, "supplier"], offers.at[o, "sku"], markets[j])
                for o, j in shipments[["offer", "market"]].itertuples(index=False)
            ],
            demand=matrix,
            supplier_type=np.array(
                [t if isinstance(t, str) else "unspecified" for t in types.reindex(suppliers)],
                object,
            ),
            fixed_cost=fixed,
            supplier_capacity=np.where(np.isnan(node_capacity), np.inf, node_capacity),
            offer_sku=offer_sku,
            offer_supplier=np.array([s_of[s] for s in offers["supplier"]], np.int64),
            discount=discount,
            capacity=capacity,
            upper=segments.groupby("offer")["to"]
            .max()
            .reindex(range(len(offers)), fill_value=0.0)
            .to_numpy(float),
            min_order=column("min_order", 0.0),
            counterfeit_rate=rate,
            inspected_rate=inspected,
            inspection_cost=inspection_cost,
            late_rate=column("late_rate", 0.0),
            lead_time_days=column("lead_time_days", np.nan),
            segment_offer=segments["offer"].to_numpy(np.int64),
            segment_index=segments["index"].to_numpy(np.int64),
            segment_from=segments["from"].to_numpy(float),
            segment_to=segments["to"].to_numpy(float),
            unit_price=segments["price"].to_numpy(float),
            shipment_offer=shipments["offer"].to_numpy(np.int64),
            shipment_market=shipments["market"].to_numpy(np.int64),
            freight=shipments["freight"].to_numpy(float),
            tax=_tax_per_unit(products),
            penalty=penalty,
        )


def _check_every_sku_offered(instance: Instance, offers: pd.DataFrame, skus: list, config) -> None:
    demand = instance.tables["demand"]
    offered = set(offers["sku"])
    problems = [
        instance.problem(
            "demand",
            f"no offer for SKU '{sku}'"
            + (
                f" from a supplier of type {', '.join(config.supplier_types)}"
                if config.supplier_types
                else ""
            ),
            demand.index[demand["sku"] == sku][0],
            "sku",
        )
        for sku in skus
        if sku not in offered
    ]
    if problems:
        raise InputError(problems)


def _markets(instance: Instance, offers: pd.DataFrame, skus: list):
    """Markets, shipments (offer, market, freight) and the demand matrix (markets x SKUs).

    Freight is modelled when some lane leads from a supplier to a market; then every offer can
    ship to every market with demand for its SKU, on the lane's cost where there is one and
    at no freight cost where there is none. Without such lanes demand is summed per SKU.
    """
    demand = instance.tables["demand"]
    k_of = {k: i for i, k in enumerate(skus)}
    graph = instance.graph
    lanes = {
        (u, v): [(lane["unit_cost"], lane.get("cost_per_kg") or 0.0) for lane in modes.values()]
        for u, v, modes in graph.edges(data="lanes")
        if graph.nodes[u]["kind"] == "supplier" and graph.nodes[v]["kind"] == "market"
    }
    if not lanes:
        matrix = np.zeros((1, len(skus)))
        np.add.at(
            matrix[0],
            demand["sku"].map(k_of).to_numpy(np.int64),
            demand["quantity"].to_numpy(float),
        )
        return ["all"], pd.DataFrame({"offer": [], "market": [], "freight": []}), matrix
    products = instance.tables["products"]
    weights = products.set_index("sku")
    product_index = dict(zip(products["sku"], products.index, strict=True))
    markets = list(dict.fromkeys(demand["market"]))
    j_of = {j: i for i, j in enumerate(markets)}
    matrix = np.zeros((len(markets), len(skus)))
    np.add.at(
        matrix,
        (demand["market"].map(j_of).to_numpy(np.int64), demand["sku"].map(k_of).to_numpy(np.int64)),
        demand["quantity"].to_numpy(float),
    )
    rows = []
    for o, (supplier, sku) in enumerate(zip(offers["supplier"], offers["sku"], strict=True)):
        k = k_of[sku]
        weight = weights["weight_kg"].get(sku) if "weight_kg" in weights else None
        for j, market in enumerate(markets):
            if matrix[j, k] <= 0:
                continue
            options = lanes.get((supplier, market), [(0.0, 0.0)])
            if any(kg for _, kg in options) and (weight is None or math.isnan(weight)):
                raise InputError(
                    instance.problem(
                        "products",
                        f"SKU '{sku}' ships on a lane priced per kg but has no weight",
                        product_index[sku],
                        "weight_kg",
                    )
                )
            rows.append((o, j, min(unit + (kg * weight if kg else 0.0) for unit, kg in options)))
    return markets, pd.DataFrame(rows, columns=["offer", "market", "freight"]), matrix


def _segments(offers, breaks, capacity, min_order, sku_demand, rule) -> pd.DataFrame:
    """One row per (offer, break): quantity range [from, to] and unit price, clipped to capacity.

    An unlimited offer's last segment ends at the largest of the SKU's demand, the offer's
    minimum order and, when demand is bought "at least", the last break (buying up to a
    break can pay); more than that never lowers the cost.
    """
    key = {k: o for o, k in enumerate(zip(offers["supplier"], offers["sku"], strict=True))}
    frame = breaks.assign(
        offer=[key.get(k) for k in zip(breaks["supplier"], breaks["sku"], strict=True)]
    )
    frame = frame.dropna(subset=["offer"]).astype({"offer": np.int64})
    rows = []
    for o, group in frame.groupby("offer", sort=True):
        starts = group["from_quantity"].to_numpy(float)
        prices = group["unit_price"].to_numpy(float)
        if np.isfinite(capacity[o]):
            last = capacity[o]
        else:
            last = max(sku_demand[o], min_order[o], starts[-1] if rule == "at_least" else 0.0)
        ends = np.append(starts[1:], max(last, starts[-1]))
        for r, (a, b, p) in enumerate(zip(starts, np.minimum(ends, last), prices, strict=True)):
            if a <= last:
                rows.append((o, r, a, max(a, b), p))
    return pd.DataFrame(rows, columns=["offer", "index", "from", "to", "price"])


def _tax_per_unit(products: pd.DataFrame) -> np.ndarray:
    """CBEC retail tax per unit where the products carry VAT (and consumption tax) rates, else 0.

    The tax is levied on the retail price whichever source the goods come from, so it adds to
    every source's landed cost alike; it is reported, not a reason to prefer a source.
    """
    if "vat_rate" not in products or products["vat_rate"].isna().all():
        return np.zeros(len(products))
    from cbecopt.tax import cbec_retail_tax
    from cbecopt.tax_rules import load_tax_rules

    rules = load_tax_rules()
    out = np.zeros(len(products))
    for i, (value, vat, ct) in enumerate(
        zip(
            products["price"].fillna(0.0) if "price" in products else np.zeros(len(products)),
            products["vat_rate"],
            products["consumption_tax_rate"].fillna(0.0)
            if "consumption_tax_rate" in products
            else np.zeros(len(products)),
            strict=True,
        )
    ):
        if pd.notna(vat) and value > 0:
            out[i] = float(cbec_retail_tax(float(value), float(vat), float(ct), rules).total)
    return out
