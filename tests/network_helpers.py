"""A tiny integrated network for the ``network`` model's tests: two suppliers of one SKU (one
with an all-units discount), one overseas warehouse, one bonded warehouse, one market, two
months, two demand scenarios."""

from __future__ import annotations

import dataclasses

import numpy as np

from cbecopt.models.network import NetworkData, with_platforms


def tiny(**changes) -> NetworkData:
    """The tiny network; ``changes`` replace fields."""
    fields = dict(
        skus=("k",),
        months=2,
        markets=("SH",),
        scenario_names=("low", "high"),
        probabilities=np.array([0.5, 0.5]),
        demand=np.array([[[[0.0, 40.0]]], [[[0.0, 90.0]]]]),
        suppliers=("brand", "grey"),
        supplier_fixed=np.array([300.0, 50.0]),
        supplier_capacity=np.array([200.0, 60.0]),
        offers=((0, 0), (1, 0)),
        min_order=np.array([20.0, 0.0]),
        counterfeit_rate=np.array([0.0, 0.3]),
        segments=((0, 0.0, 50.0, 10.0), (0, 50.0, 200.0, 8.0), (1, 0.0, 60.0, 6.0)),
        overseas=("LA",),
        overseas_fixed=np.array([120.0]),
        overseas_capacity=np.array([70.0]),
        overseas_handling=np.array([0.5]),
        bonded=("NB",),
        bonded_fixed=np.array([200.0]),
        bonded_handling=np.array([0.3]),
        first_mile=((0, 0, 1.0, 0), (1, 0, 1.2, 0)),
        inbound=(
            ("supplier", 0, 0, 2.0, 1),
            ("overseas", 0, 0, 1.5, 1),
            ("supplier", 1, 0, 2.5, 1),
        ),
        release=((0, 0, 1.0, 0.091),),
        parcel=((0, 0, 4.0, 0.091),),
        retail_price=np.array([30.0]),
        lost_penalty=np.array([35.0]),
        holding=np.array([0.2]),
        counterfeit_penalty=np.array([40.0]),
        counterfeit_cap=0.5,
    )
    fields.update(changes)
    return NetworkData(**fields)


def tiny_channels(**changes) -> NetworkData:
    """The tiny network with every channel: a duty-paid domestic warehouse DW (general trade)
    beside the bonded NB, 9610 parcels from the overseas warehouse and from the brand, postal
    parcels from the overseas warehouse and the grey supplier (personal articles allowed),
    tax per unit by channel, listing cost, lane days and volumes; ``changes`` replace fields."""
    fields = dict(
        bonded=("NB", "DW"),
        warehouse_kind=("bonded", "domestic"),
        bonded_fixed=np.array([200.0, 150.0]),
        bonded_handling=np.array([0.3, 0.2]),
        inbound=(
            ("supplier", 0, 0, 2.0, 1),
            ("overseas", 0, 0, 1.5, 1),
            ("supplier", 1, 0, 2.5, 1),
            ("supplier", 0, 1, 3.0, 1),
        ),
        release=((0, 0, 1.0, 0.091), (1, 0, 0.8, 0.0)),
        unit_tax={
            "bonded": np.array([2.73]),
            "general_trade": np.array([4.2]),
            "parcel": np.array([2.73]),
            "postal": np.array([1.0]),
        },
        supplier_parcel=((0, 0, 9.0, 12.0),),
        postal=(("overseas", 0, 0, 3.0, 20.0), ("supplier", 1, 0, 4.0, 25.0)),
        allow_personal_articles=True,
        lane_days={"release": np.array([3.0, 4.0]), "parcel": np.array([10.0])},
        volume=np.array([0.1]),
        listing_cost=np.array([40.0]),
    )
    fields.update(changes)
    return tiny(**fields)


def two_skus(**changes) -> NetworkData:
    """:func:`tiny` with a second SKU ``m`` (offered by ``brand`` and a cheaper distributor
    ``dist``), a second overseas warehouse ``HK`` and a spot term on the brand's offer of
    ``k``; ``changes`` replace fields."""
    fields = dict(
        skus=("k", "m"),
        demand=np.array(
            [[[[0.0, 40.0], [10.0, 20.0]]], [[[0.0, 90.0], [30.0, 40.0]]]],
        ),
        suppliers=("brand", "grey", "dist"),
        supplier_fixed=np.array([300.0, 50.0, 80.0]),
        supplier_capacity=np.array([200.0, 60.0, 100.0]),
        offers=((0, 0), (1, 0), (0, 1), (2, 1)),
        min_order=np.array([20.0, 0.0, 0.0, 10.0]),
        counterfeit_rate=np.array([0.0, 0.3, 0.0, 0.25]),
        segments=(
            (0, 0.0, 50.0, 10.0),
            (0, 50.0, 200.0, 8.0),
            (1, 0.0, 60.0, 6.0),
            (2, 0.0, 200.0, 14.0),
            (3, 0.0, 100.0, 11.0),
        ),
        overseas=("LA", "HK"),
        overseas_fixed=np.array([120.0, 60.0]),
        overseas_capacity=np.array([70.0, 40.0]),
        overseas_handling=np.array([0.5, 0.4]),
        first_mile=((0, 0, 1.0, 0), (1, 0, 1.2, 0), (2, 1, 0.8, 0), (0, 1, 1.5, 0)),
        parcel=((0, 0, 4.0, 0.091), (1, 0, 3.5, 0.091)),
        retail_price=np.array([30.0, 40.0]),
        lost_penalty=np.array([35.0, 45.0]),
        holding=np.array([0.2, 0.3]),
        counterfeit_penalty=np.array([40.0, 50.0]),
        terms=((0, "spot", 12.0, np.nan, np.nan, np.nan, np.nan, np.inf),),
    )
    fields.update(changes)
    return tiny(**fields)


EVERY_ROW = dict(
    wait_share=np.array([0.5]),
    max_delivery_days=np.array([8.0]),
    bonded_volume_capacity=np.array([5.0, 4.0]),
    overseas_volume_capacity=np.array([3.0]),
    cover_weeks=1.0,
    salvage=np.array([1.0]),
)
"""Changes of :func:`tiny_channels` that build every optional family."""


def tiny_supply(**changes) -> NetworkData:
    """The tiny network with every supply-side feature: the brand's offer priced by
    incremental slices, inspection of the grey offer, the late cap, a brand-direct share, and
    quantity-flexibility, option and spot terms; ``changes`` replace fields."""
    nan = float("nan")
    fields = dict(
        discount=("incremental", "all_units"),
        segments=((0, 0.0, 50.0, 10.0), (0, 50.0, 200.0, 8.0), (1, 0.0, 60.0, 6.0)),
        inspection_cost=np.array([nan, 1.0]),
        inspected_rate=np.array([nan, 0.02]),
        late_rate=np.array([0.05, 0.4]),
        max_late_rate=0.3,
        supplier_type=("brand_direct", "grey_market"),
        min_brand_direct_share=0.3,
        terms=(
            (0, "quantity_flexibility", 9.0, nan, nan, 0.5, 0.3, float("inf")),
            (1, "option", nan, 0.5, 6.5, nan, nan, 40.0),
            (0, "spot", 13.0, nan, nan, nan, nan, 50.0),
        ),
    )
    fields.update(changes)
    return tiny(**fields)


PLATFORMS = ("tmall", "jd")
TMALL_SHARE = np.array([0.6, 0.3])
"""tmall's share of the demand for k and m (jd has the rest)."""


def two_platforms(d: NetworkData | None = None, sharing: bool = True) -> NetworkData:
    """``d`` (default :func:`two_skus`) sold on tmall and jd: ``LA`` serves both (shared, or a
    copy per platform without ``sharing``), ``HK`` (or its copy) parcels to tmall only, and
    every delivery lane has its days."""
    d = d or two_skus()
    share = TMALL_SHARE[None, None, :, None]
    by_platform = np.stack([d.demand * share, d.demand * (1 - share)], axis=2)
    d = with_platforms(d, PLATFORMS, by_platform, sharing=sharing)
    hk = {w for w, name in enumerate(d.overseas) if name.startswith("HK")}
    jd_only = {w for w in hk if d.shared_by[w] == ("jd",)}
    parcel = tuple(lane for lane in d.parcel if lane[0] not in jd_only)
    shared_by = tuple(("tmall",) if w in hk else g for w, g in enumerate(d.shared_by))
    days = {
        "release": np.full(len(d.release), 2.0),
        "parcel": np.array([5.0 if w in hk else 6.0 for w, *_ in parcel]),
    }
    return dataclasses.replace(d, parcel=parcel, lane_days=days, shared_by=shared_by)


def platform_markets(d: NetworkData) -> NetworkData:
    """``d``, whose demand is per platform, written as one market per (market, platform)
    pair with every lane into a market repeated for each platform it serves (an overseas
    copy's parcel and postal lanes: the platforms of its ``shared_by``; any other lane: every
    platform): the platforms modelled without the model's ``platform_served`` rows, for the
    oracles. Delivery-day targets become targets per (market, platform), stricter than the
    model's per market: an oracle given such targets needs one platform."""
    if d.platform_demand is None:
        return d
    nP = len(d.platforms)
    every = list(range(nP))
    groups = [[d.platforms.index(p) for p in g] or every for g in d.shared_by] or [every] * len(
        d.overseas
    )
    served = {
        "release": [every for _ in d.release],
        "parcel": [groups[w] for w, *_ in d.parcel],
        "supplier_parcel": [every for _ in d.supplier_parcel],
        "postal": [groups[o] if kind == "overseas" else every for kind, o, *_ in d.postal],
    }

    def per_lane(values: dict | None) -> dict | None:
        if values is None:
            return None
        return {
            role: np.repeat(np.asarray(v, float), [len(g) for g in served[role]])
            if role in served
            else v
            for role, v in values.items()
        }

    def pair(j: int, p: int) -> int:
        return j * nP + p

    nS, nJ, _, nK, nT = d.platform_demand.shape
    return dataclasses.replace(
        d,
        markets=tuple(f"{m}|{p}" for m in d.markets for p in d.platforms),
        demand=d.platform_demand.reshape(nS, nJ * nP, nK, nT),
        release=tuple(
            (b, pair(j, p), c, r)
            for (b, j, c, r), g in zip(d.release, served["release"], strict=True)
            for p in g
        ),
        parcel=tuple(
            (w, pair(j, p), c, r)
            for (w, j, c, r), g in zip(d.parcel, served["parcel"], strict=True)
            for p in g
        ),
        supplier_parcel=tuple(
            (i, pair(j, p), c, t)
            for (i, j, c, t), g in zip(d.supplier_parcel, served["supplier_parcel"], strict=True)
            for p in g
        ),
        postal=tuple(
            (kind, o, pair(j, p), c, t)
            for (kind, o, j, c, t), g in zip(d.postal, served["postal"], strict=True)
            for p in g
        ),
        lane_days=per_lane(d.lane_days),
        per_kg=per_lane(d.per_kg),
        max_delivery_days=None
        if d.max_delivery_days is None
        else np.repeat(np.asarray(d.max_delivery_days, float), nP),
        platforms=(),
        platform_demand=None,
        shared_by=(),
    )
