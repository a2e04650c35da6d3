"""The data of the ``network`` model: every node, offer, segment and lane by position, and
the demand of every scenario (markets x SKUs x months)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from cbecopt.models.network.in_motion import InMotion
from cbecopt.models.network.speed import Speed


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
    # --- v2 contract: every field below has a default that reproduces v1 ---------------
    # Suppliers and offers (as in the ``suppliers`` model).
    supplier_type: tuple[str, ...] = ()
    """Per supplier: ``brand_direct``, ``distributor``, ``agent`` or ``grey_market``
    (empty: every supplier is a distributor)."""
    late_rate: np.ndarray | None = None
    """Per offer: share of units delivered late (None: 0)."""
    inspection_cost: np.ndarray | None = None
    """Per offer: cost per unit inspected by a third party (nan or None: no inspection)."""
    inspected_rate: np.ndarray | None = None
    """Per offer: counterfeit rate of inspected units (None: the offer's rate)."""
    max_late_rate: float = 1.0
    """Cap on each SKU's average late rate over its purchases (1: no cap)."""
    min_brand_direct_share: float = 0.0
    """Least share of each SKU's purchases from brand-direct suppliers (0: none)."""
    terms: tuple[tuple, ...] = ()
    """Flexible contract terms beside an offer's firm price segments, as in ``contracts``:
    ``(offer, type, unit_price, premium, exercise_price, flex_up, flex_down, capacity)``, and
    optionally a ninth number ``min_order``, with type ``quantity_flexibility`` (commit Q at
    ``unit_price``, call within ``[(1-flex_down) Q, (1+flex_up) Q]`` per scenario),
    ``option`` (reserve at ``premium``, exercise at ``exercise_price``) or ``spot`` (buy at
    ``unit_price`` after demand is known); ``capacity`` bounds the units over the horizon
    (inf: none); ``min_order`` is the least Q of a quantity-flexibility or option term that
    is signed at all (0, nan or left out: none; a spot term has none); unused numbers are
    nan."""
    # Warehouses and channels (as in ``routing``).
    warehouse_kind: tuple[str, ...] = ()
    """Per entry of ``bonded``: ``bonded`` (1210 stock in a bonded zone, CBEC tax on release)
    or ``domestic`` (duty-paid stock for general trade, duty on import); empty: all bonded."""
    bonded_volume_capacity: np.ndarray | None = None
    """Per bonded/domestic warehouse: m3 of peak stock (None: no limit)."""
    overseas_volume_capacity: np.ndarray | None = None
    """Per overseas warehouse: m3 of peak stock (None: no limit)."""
    volume: np.ndarray | None = None
    """Per SKU: m3 per unit (None: 0)."""
    listing_cost: np.ndarray | None = None
    """Per SKU: cost of listing (record filing) it at one bonded warehouse (None: 0)."""
    bonded_allowed: np.ndarray | None = None
    """Per SKU: on the positive list for bonded 1210 (None: all)."""
    cbec_allowed: np.ndarray | None = None
    """Per SKU: on the positive list for 9610 direct mail (None: all)."""
    general_trade_allowed: np.ndarray | None = None
    """Per SKU: may be imported by general trade (registration done; None: all)."""
    unit_tax: dict | None = None
    """Tax per unit by channel, ``{"bonded"|"parcel"|"general_trade"|"postal": array per
    SKU}`` computed from :mod:`cbecopt.channels` under the dated rules (None: the lanes'
    rates on ``retail_price``, as in v1)."""
    unit_tax_parts: dict | None = None
    """``unit_tax`` in its parts, ``{channel: array SKUs x 4}`` of duty, consumption tax, VAT
    and postal tax per unit (:data:`cbecopt.channels.TAX_PARTS`, adding up to ``unit_tax``),
    for the plan's ``tax`` table (None: the parts are not known, only the totals)."""
    supplier_parcel: tuple[tuple[int, int, float, float], ...] = ()
    """9610 parcels straight from a supplier: ``(supplier, market, cost/unit, days)``."""
    postal: tuple[tuple[str, int, int, float, float], ...] = ()
    """Personal-articles postal parcels ``(origin kind "overseas"|"supplier", origin, market,
    cost/unit, days)``, used only when ``allow_personal_articles``."""
    allow_personal_articles: bool = False
    """Whether postal parcels may carry goods (off: commercial mail is general trade)."""
    lane_days: dict | None = None
    """Delivery days per second-stage lane, ``{"release"|"parcel": array per lane}``
    (None: not known; no delivery-time rows and no average-days KPI)."""
    wait_share: np.ndarray | None = None
    """Per SKU: share of demand willing to wait for a parcel from abroad (None: 1)."""
    max_delivery_days: np.ndarray | None = None
    """Per market: target average delivery days (inf or None: none)."""
    cover_weeks: float = 0.0
    """Bonded stock at each month's end covers this many weeks of expected demand served
    from it (0: none)."""
    salvage: np.ndarray | None = None
    """Per SKU: value of a unit left at the horizon's end (None: 0)."""
    shared_by: tuple[tuple[str, ...], ...] = ()
    """Per overseas warehouse: the platforms that share it (empty: decided by
    :func:`with_platforms`' ``sharing`` switch)."""
    platforms: tuple[str, ...] = ()
    """Platform names when demand is given per platform (:func:`with_platforms`)."""
    platform_demand: np.ndarray | None = None
    """``platform_demand[s, j, p, k, t]``: each platform's part of ``demand`` (None: no
    platforms). A parcel or postal lane out of an overseas warehouse serves only the platforms
    of the warehouse's ``shared_by``; every other lane serves every platform."""
    discount: tuple[str, ...] = ()
    """Per offer: ``all_units`` (one segment prices every unit) or ``incremental`` (each
    segment prices the units within it; an offer's segments listed in order, consecutively),
    as in ``suppliers`` (empty: all units)."""
    weight: np.ndarray | None = None
    """Per SKU: kg per unit, for lanes priced per kg (None: 0)."""
    per_kg: dict | None = None
    """Cost per kg on each lane, ``{"first_mile"|"inbound"|"release"|"parcel"|
    "supplier_parcel"|"postal": array per lane}``, added to the lane's cost per unit times the
    SKU's ``weight`` (None: the lanes' costs per unit only, as in v1)."""
    lane_modes: dict | None = None
    """The transport mode of each first-stage lane, ``{"first_mile"|"inbound": tuple of
    modes per lane}`` (``sea_bulk``, ``air_bulk``, ``truck``, ... as ``arcs.mode`` says), shown
    in the plan's ``shipments`` (None: not known, shown blank)."""
    integer_quantities: bool = False
    """Whether purchases, term quantities, shipments and deliveries take whole values (off:
    any non-negative quantity; stock and lost sales stay continuous either way)."""
    pack_size: np.ndarray | None = None
    """Per SKU: units per case (``products.pack_size``; None or 1: no multiple). Firm
    purchases and shipments on first-stage lanes are whole cases."""
    lane_pack_size: dict | None = None
    """Per first-stage lane, the units per case it ships of every SKU, overriding the SKU's
    ``pack_size`` (``arcs.pack_size``), ``{"first_mile"|"inbound": array per lane}`` (nan or
    None: the SKU's)."""
    warnings: tuple[str, ...] = ()
    """What the instance reader found questionable but usable (a SKU no offer covers, a
    market no lane reaches): shown by ``solve`` and ``validate``."""
    tax_rules: str = ""
    """The dated tax rule set the instance reader applied (effective date and file)."""
    in_motion: InMotion | None = None
    """Stock on hand, shipments on their way, orders placed and decisions taken before the
    horizon starts (:mod:`~cbecopt.models.network.in_motion`; None: nothing, every run starts
    empty and free)."""
    speed: Speed | None = None
    """Demand lost to slow delivery and service levels per market
    (:mod:`~cbecopt.models.network.speed`; None: every customer waits, no service level)."""

    def with_scenarios(self, names, probabilities, demand) -> NetworkData:
        """The same network over other demand scenarios, each markets x SKUs x months or, with
        platforms, markets x platforms x SKUs x months (as :meth:`NetworkProblem.scenarios`
        hands them out)."""
        demand = np.asarray(demand, float)
        by_platform = None
        if self.platform_demand is not None:
            by_platform = demand.reshape(len(names), *np.shape(self.platform_demand)[1:])
            demand = by_platform.sum(axis=2)
        return dataclasses.replace(
            self,
            scenario_names=tuple(names),
            probabilities=np.asarray(probabilities, float),
            demand=demand.reshape(len(names), *np.shape(self.demand)[1:]),
            platform_demand=by_platform,
        )

    def __post_init__(self) -> None:
        shape = (len(self.scenario_names), len(self.markets), len(self.skus), self.months)
        if np.shape(self.demand) != shape:
            raise ValueError(f"demand has shape {np.shape(self.demand)}, expected {shape}")
        if self.platform_demand is not None:
            by_platform = (shape[0], shape[1], len(self.platforms), *shape[2:])
            if np.shape(self.platform_demand) != by_platform:
                raise ValueError(
                    f"platform_demand has shape {np.shape(self.platform_demand)}, "
                    f"expected {by_platform}"
                )
            if not np.allclose(np.sum(self.platform_demand, axis=2), self.demand):
                raise ValueError("platform_demand does not add up to demand over the platforms")
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
        lanes = {
            "first_mile": self.first_mile,
            "inbound": self.inbound,
            "release": self.release,
            "parcel": self.parcel,
            "supplier_parcel": self.supplier_parcel,
            "postal": self.postal,
        }
        per_lane_fields = (
            ("per_kg", self.per_kg),
            ("lane_days", self.lane_days),
            ("lane_modes", self.lane_modes),
            ("lane_pack_size", self.lane_pack_size),
        )
        for field, per_lane in per_lane_fields:
            for role, values in (per_lane or {}).items():
                if np.size(values) != len(lanes[role]):
                    raise ValueError(
                        f"{field}[{role!r}] has {np.size(values)} entries for "
                        f"{len(lanes[role])} lanes"
                    )
        if any(kind not in ("supplier", "overseas") for kind, *_ in self.inbound):
            raise ValueError("inbound: the origin kind is 'supplier' or 'overseas'")


def _within(field: str, pairs: list[tuple[int, int]]) -> None:
    """Every (position, count) of ``field`` names an existing node, offer or market."""
    for n, (position, count) in enumerate(pairs):
        if not 0 <= position < count:
            raise ValueError(f"{field}: entry {n + 1} refers to position {position} of {count}")
