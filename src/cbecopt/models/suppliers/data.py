"""The suppliers model's sets and parameters, read from an instance's network and checked.

Offers (supplier x SKU) carry a price schedule cut into segments: for all-units discounts a
segment is a quantity range with one price for every unit; for incremental discounts a
segment is one slice of the quantity, priced on its own. Segments are clipped to the offer's
capacity and, when that is unlimited, to the most that can pay (the SKU's demand, or the last
break when buying up to it is cheaper).

Freight is modelled when the network has lanes from suppliers to markets: an offer then ships
to a market only along a lane from its supplier (no lane, no shipment, as in every model).
Without any such lane (no arcs table, or none from a supplier to a market) demand is bought
per SKU wherever it is, as one market ``all``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbecopt.consumer_law import load_consumer_law, statutory_penalty
from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.instance import Instance
from cbecopt.models.demand_checks import demand_sku_problems, scenario_demand_problems
from cbecopt.models.purchases_in_motion import by_row, read_purchases_in_motion
from cbecopt.schemas import SUPPLIER_TYPES
from cbecopt.tax import cbec_retail_tax
from cbecopt.tax_rules import load_tax_rules

NO_FREIGHT_MARKET = "all"
"""The one market of an instance without supplier-to-market lanes: demand summed per SKU."""
SHOWN = 3
"""How many suppliers a message names before counting the rest."""

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
        ``counterfeit_penalty``, else the statutory penalty of its category and price, else 0:
        :func:`counterfeit_penalties`).
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
    MARKETS: list  # markets with demand, or [NO_FREIGHT_MARKET] when freight is not modelled
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
    placed: np.ndarray | None = None  # P_o: units already bought on offer o (None: no orders)
    committed_cost: float = 0.0  # what the placed orders cost (sunk)
    frozen_use: np.ndarray | None = None  # per supplier: nan free, 0 or 1 fixed (None: none)
    warnings: tuple[str, ...] = ()

    @property
    def qualified(self) -> np.ndarray:
        """Suppliers with units already ordered: used, their fixed cost sunk."""
        if self.placed is None:
            return np.zeros(len(self.SUPPLIERS), bool)
        units = np.bincount(self.offer_supplier, weights=self.placed, minlength=len(self.SUPPLIERS))
        return units > 0

    @property
    def placed_by_sku(self) -> np.ndarray:
        """P_k: units of each SKU already bought (0 without placed orders)."""
        if self.placed is None:
            return np.zeros(len(self.SKUS))
        return np.bincount(self.offer_sku, weights=self.placed, minlength=len(self.SKUS))

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
        network = instance.network
        problems = [
            *scenario_demand_problems(instance, "suppliers"),
            *demand_sku_problems(instance, "suppliers"),
        ]
        if problems:
            raise InputError(problems)
        types = network.nodes["supplier_type"]
        offers = network.offers
        if config.supplier_types is not None:
            offers = offers[
                types.reindex(offers["supplier"]).isin(config.supplier_types).to_numpy()
            ]
        offers = offers.reset_index(drop=True)
        skus = list(dict.fromkeys(network.demand_rows["sku"]))
        _check_every_sku_offered(instance, offers, skus, config)
        offers = offers[offers["sku"].isin(skus)].reset_index(drop=True)
        suppliers = list(dict.fromkeys(offers["supplier"]))
        markets, shipments, matrix = _markets(instance, offers, skus)

        def column(name: str) -> np.ndarray:
            return offers[name].to_numpy(float)

        capacity = column("capacity")
        rate = column("counterfeit_rate")
        inspection_cost = column("inspection_cost")
        if not config.inspection:
            inspection_cost = np.full(len(offers), np.nan)
        inspected = np.where(np.isnan(inspection_cost), rate, column("inspected_counterfeit_rate"))
        offer_sku = pd.Index(skus).get_indexer(offers["sku"]).astype(np.int64)
        segments = _segments(
            offers,
            network.price_breaks,
            capacity,
            column("min_order"),
            matrix.sum(axis=0)[offer_sku],
            config.demand,
        )
        products = network.products.set_index("sku").reindex(skus)
        penalty = counterfeit_penalties(products, config.counterfeit_penalty)
        supplier_of = offers["supplier"].to_numpy(object)
        sku_of = offers["sku"].to_numpy(object)
        segment_offer = segments["offer"].to_numpy(np.int64)
        shipment_offer = shipments["offer"].to_numpy(np.int64)
        motion = _in_motion(instance, offers, skus, suppliers, matrix, config, bool(len(shipments)))
        return cls(
            SKUS=skus,
            SUPPLIERS=suppliers,
            OFFERS=list(zip(supplier_of.tolist(), sku_of.tolist(), strict=True)),
            SEGMENTS=list(
                zip(
                    supplier_of[segment_offer].tolist(),
                    sku_of[segment_offer].tolist(),
                    segments["index"].to_numpy(np.int64).tolist(),
                    strict=True,
                )
            ),
            MARKETS=markets,
            SHIPMENTS=list(
                zip(
                    supplier_of[shipment_offer].tolist(),
                    sku_of[shipment_offer].tolist(),
                    np.asarray(markets, object)[shipments["market"].to_numpy(np.int64)].tolist(),
                    strict=True,
                )
            ),
            demand=matrix,
            supplier_type=np.array(
                [t if isinstance(t, str) else "unspecified" for t in types.reindex(suppliers)],
                object,
            ),
            fixed_cost=network.nodes["fixed_cost"].reindex(suppliers).to_numpy(float),
            supplier_capacity=network.nodes["capacity"].reindex(suppliers).to_numpy(float),
            offer_sku=offer_sku,
            offer_supplier=pd.Index(suppliers).get_indexer(offers["supplier"]).astype(np.int64),
            discount=offers["discount"].to_numpy(str),
            capacity=capacity,
            upper=segments.groupby("offer")["to"]
            .max()
            .reindex(range(len(offers)), fill_value=0.0)
            .to_numpy(float),
            min_order=column("min_order"),
            counterfeit_rate=rate,
            inspected_rate=inspected,
            inspection_cost=inspection_cost,
            late_rate=column("late_rate"),
            lead_time_days=column("lead_time_days"),
            segment_offer=segment_offer,
            segment_index=segments["index"].to_numpy(np.int64),
            segment_from=segments["from"].to_numpy(float),
            segment_to=segments["to"].to_numpy(float),
            unit_price=segments["price"].to_numpy(float),
            shipment_offer=shipment_offer,
            shipment_market=shipments["market"].to_numpy(np.int64),
            freight=shipments["freight"].to_numpy(float),
            tax=_tax_per_unit(products),
            penalty=penalty,
            **motion,
        )


def _in_motion(instance, offers, skus, suppliers, matrix, config, freight: bool) -> dict:
    """The fields of what is already in motion (``placed``, ``committed_cost``,
    ``frozen_use``, ``warnings``; none without those tables): units already bought per offer,
    and the frozen supplier selections, 0 or 1.

    Raises
    ------
    InputError
        every row the model cannot honour, by file, row and column: besides the checks of
        :func:`read_purchases_in_motion`, a frozen supplier without an offer in the model, a
        value not 0 or 1, a supplier frozen unused that has units ordered, and with freight
        modelled and demand bought ``exact``, more units of a SKU ordered than its demand.
    """
    tables = instance.network.in_motion
    if "placed_orders" not in tables and "frozen" not in tables:
        return {}
    pairs = zip(offers["supplier"], offers["sku"], strict=True)
    every = instance.network.offers
    why = f"supplier types {', '.join(config.supplier_types or ())}"
    found = read_purchases_in_motion(
        instance,
        "suppliers",
        {pair: o for o, pair in enumerate(pairs)},
        skus,
        ("supplier",),
        (set(zip(every["supplier"], every["sku"], strict=True)), why),
    )
    orders, problems, warnings = found.placed, found.problems, list(found.warnings)
    placed = np.zeros(len(offers))
    for order in orders:
        placed[order.offer] += order.quantity
    ordered_from = set(offers["supplier"].to_numpy(object)[placed > 0])
    if freight and config.demand == "exact":
        offer_sku = pd.Index(skus).get_indexer(offers["sku"])
        units = np.bincount(offer_sku, weights=placed, minlength=len(skus))
        demand = matrix.sum(axis=0)
        first: dict[int, object] = {}
        for order in orders:
            first.setdefault(int(offer_sku[order.offer]), order)
        problems += [
            instance.problem(
                "placed_orders",
                f"{units[k]:g} units of '{skus[k]}' are ordered, more than its demand "
                f"{demand[k]:g}, and demand is bought exact with freight to markets: the "
                'surplus has nowhere to go; set [suppliers] demand = "at_least"',
                order.index,
                "quantity",
            )
            for k, order in first.items()
            if units[k] > demand[k]
        ]
    frozen_use = np.full(len(suppliers), np.nan)
    for row in found.frozen:
        if row.node not in suppliers and row.node in set(every["supplier"]):
            where = f"{instance.source('frozen')} row {instance.row_number('frozen', row.index)}"
            warnings.append(
                f"{where}: supplier '{row.node}' is left out ({why}), so this row is ignored"
            )
        elif row.node not in suppliers:
            problems.append(
                instance.problem(
                    "frozen",
                    f"'{row.node}' is no supplier with an offer in the suppliers model (its "
                    f"suppliers: {_some(suppliers)})",
                    row.index,
                    "node",
                )
            )
        elif row.value not in (0.0, 1.0):
            problems.append(
                instance.problem(
                    "frozen",
                    f"a supplier decision is 0 or 1, not {row.value:g}",
                    row.index,
                    "value",
                )
            )
        elif row.value == 0.0 and row.node in ordered_from:
            problems.append(
                instance.problem(
                    "frozen",
                    f"supplier '{row.node}' is frozen unused, but placed_orders has units "
                    "ordered from it",
                    row.index,
                    "value",
                )
            )
        else:
            frozen_use[suppliers.index(row.node)] = row.value
    if problems:
        raise InputError(by_row(problems))
    committed = sum(order.quantity * order.unit_price for order in orders)
    return {
        "placed": placed,
        "committed_cost": float(committed),
        "frozen_use": frozen_use,
        "warnings": tuple(warnings),
    }


def _some(names: list) -> str:
    """The first :data:`SHOWN` of ``names`` and how many more."""
    shown = ", ".join(f"'{n}'" for n in names[:SHOWN]) or "none"
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def counterfeit_penalties(products: pd.DataFrame, override: float | None = None) -> np.ndarray:
    """The cost of one counterfeit unit of each product (aligned with ``products``).

    ``override`` (the config's ``counterfeit_penalty``) for every product when given; else the
    product's stated ``counterfeit_penalty``; else, for a product with a category and a price,
    the refund and statutory compensation of its category
    (:func:`cbecopt.consumer_law.statutory_penalty`: ten times the price, at least RMB 1,000,
    for food; three times, at least RMB 500, otherwise); else 0.
    """
    if override is not None:
        return np.full(len(products), float(override))
    stated = products["counterfeit_penalty"].to_numpy(float, copy=True)
    unstated = np.flatnonzero(np.isnan(stated))
    if not len(unstated):
        return stated
    law = load_consumer_law()
    categories, prices = products["category"].to_numpy(object), products["price"].to_numpy(float)
    for i in unstated:
        category, price = categories[i], prices[i]
        known = isinstance(category, str) and category.strip() and price > 0
        stated[i] = statutory_penalty(category, float(price), law) if known else 0.0
    return stated


def _check_every_sku_offered(instance: Instance, offers: pd.DataFrame, skus: list, config) -> None:
    demand = instance.network.demand_rows
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
    """Markets, shipments (offer, market position, freight) and the demand matrix (markets x
    SKUs); see the module docstring for when freight is modelled.

    A shipment exists for every offer, market with demand for its SKU and lane from its
    supplier to that market, at the cheapest of the lane's modes (``unit_cost`` +
    ``cost_per_kg`` x ``weight_kg``). A lane priced per kg for a SKU without a weight, and a
    market with demand for a SKU that no supplier offering it has a lane to, are an
    ``InputError``.
    """
    network = instance.network
    lanes = network.lanes_of("direct", origin_kind="supplier")
    if lanes.empty:
        matrix = network.demand_array({"sku": skus})
        return [NO_FREIGHT_MARKET], pd.DataFrame({"offer": [], "market": [], "freight": []}), matrix
    markets = list(dict.fromkeys(network.demand_rows["market"]))
    matrix = network.demand_array({"market": markets, "sku": skus})[0]
    products = network.products
    wanted = pd.DataFrame(np.argwhere(matrix > 0), columns=["market", "k"])
    options = (
        offers[["supplier", "sku"]]
        .assign(offer=np.arange(len(offers)), k=pd.Index(skus).get_indexer(offers["sku"]))
        .merge(wanted, on="k")
        .assign(destination=lambda f: np.asarray(markets, dtype=object)[f["market"]])
        .merge(lanes, left_on=["supplier", "destination"], right_on=["origin", "destination"])
    )
    weight = products.set_index("sku")["weight_kg"].reindex(options["sku"]).to_numpy(float)
    product_row = pd.Series(products.index, index=products["sku"])
    per_kg = options["cost_per_kg"].to_numpy(float) > 0
    problems = [
        instance.problem(
            "products",
            f"SKU '{sku}' ships on a lane priced per kg but has no weight",
            product_row[sku],
            "weight_kg",
        )
        for sku in dict.fromkeys(options.loc[per_kg & np.isnan(weight), "sku"])
    ]
    problems += _unreached(instance, offers, options, wanted, markets, skus)
    if problems:
        raise InputError(problems)
    options["freight"] = options["unit_cost"].to_numpy(float) + np.where(
        per_kg, options["cost_per_kg"].to_numpy(float) * np.nan_to_num(weight), 0.0
    )
    shipments = options.groupby(["offer", "market"], sort=True)["freight"].min().reset_index()
    return markets, shipments, matrix


def _unreached(instance, offers, options, wanted, markets, skus) -> list[Problem]:
    """A market's demand for a SKU that no supplier offering the SKU has a lane to: one
    problem at the first demand row of each such market and SKU."""
    reached = set(zip(options["market"], options["k"], strict=True))
    rows = instance.network.demand_rows
    problems = []
    for j, k in wanted.itertuples(index=False):
        if (j, k) in reached:
            continue
        sku, market = skus[k], markets[j]
        sellers = list(dict.fromkeys(offers.loc[offers["sku"] == sku, "supplier"]))
        named = ", ".join(f"'{s}'" for s in sellers[:SHOWN])
        more = f" and {len(sellers) - SHOWN} more" if len(sellers) > SHOWN else ""
        first = rows.index[(rows["market"] == market) & (rows["sku"] == sku)][0]
        problems.append(
            instance.problem(
                "demand",
                f"market '{market}' has demand for SKU '{sku}' but no supplier offering it "
                f"({named}{more}) has a lane to '{market}' in the arcs table: a missing lane "
                "means that supplier cannot serve that market",
                first,
                "market",
            )
        )
    return problems


def _segments(offers, breaks, capacity, min_order, sku_demand, rule) -> pd.DataFrame:
    """One row per (offer, break): quantity range [from, to] and unit price, clipped to capacity.

    An unlimited offer's last segment ends at the largest of the SKU's demand, the offer's
    minimum order and, when demand is bought "at least", the last break (buying up to a
    break can pay); more than that never lowers the cost. Rows come by offer, then break
    (breaks increase row by row within an offer, :mod:`cbecopt.catalog` checks it); a break
    at or beyond where the offer ends is dropped, and ``index`` counts an offer's breaks from 0.
    All in arrays: a 5000 x 200 instance has 100,000 segments.
    """
    offer = pd.MultiIndex.from_arrays([offers["supplier"], offers["sku"]]).get_indexer(
        pd.MultiIndex.from_arrays([breaks["supplier"], breaks["sku"]])
    )
    kept = np.flatnonzero(offer >= 0)
    kept = kept[np.argsort(offer[kept], kind="stable")]  # by offer, breaks in row order
    offer = offer[kept].astype(np.int64)
    starts = breaks["from_quantity"].to_numpy(float)[kept]
    prices = breaks["unit_price"].to_numpy(float)[kept]
    n = len(offer)
    first = np.ones(n, bool)
    first[1:] = offer[1:] != offer[:-1]
    final = np.ones(n, bool)
    final[:-1] = first[1:]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    index = np.arange(n) - group_start
    final_start = np.zeros(len(offers))
    final_start[offer[final]] = starts[final]
    reach = np.maximum(sku_demand, min_order)
    if rule == "at_least":
        reach = np.maximum(reach, final_start)
    last = np.where(np.isfinite(capacity), capacity, reach)[offer]
    ends = np.empty(n)
    ends[:-1] = starts[1:]
    ends[final] = np.maximum(last[final], starts[final])
    inside = starts <= last
    return pd.DataFrame(
        {
            "offer": offer[inside],
            "index": index[inside],
            "from": starts[inside],
            "to": np.maximum(starts, np.minimum(ends, last))[inside],
            "price": prices[inside],
        }
    )


def _tax_per_unit(products: pd.DataFrame) -> np.ndarray:
    """CBEC retail tax per unit where the products carry VAT (and consumption tax) rates, else 0.

    The tax is levied on the retail price whichever source the goods come from, so it adds to
    every source's landed cost alike; it is reported, not a reason to prefer a source.
    """
    out = np.zeros(len(products))
    if products["vat_rate"].isna().all():
        return out
    rules = load_tax_rules()
    for i, (value, vat, ct) in enumerate(
        zip(products["price"], products["vat_rate"], products["consumption_tax_rate"], strict=True)
    ):
        if pd.notna(vat) and value > 0:
            out[i] = float(cbec_retail_tax(float(value), float(vat), float(ct), rules).total)
    return out
