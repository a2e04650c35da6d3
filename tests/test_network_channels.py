"""The ``network`` model's channels and service (second stage) against brute force: every
choice of its binaries (suppliers qualified, overseas warehouses opened, bonded and domestic
warehouses used, SKUs listed, one price segment or none per offer), each continuous remainder
an LP written here from the data with ``scipy.optimize.linprog``, never from cbecopt's
matrices or its channel helpers; the best of them is the optimum.

The oracle extends the one of ``test_network_model.py`` with what the second stage adds:
positive lists (a bonded warehouse takes only SKUs ``bonded_allowed``, a domestic one only
``general_trade_allowed``, a parcel carries only ``cbec_allowed``), tax per unit by channel,
listing, 9610 parcels and postal parcels straight from a supplier (bought per order at the
offer's first price), the wait share, the delivery-time target per market and month, peak
stock volume, weeks of cover and salvage."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from cbecopt.models.network import solve_network, with_platforms
from cbecopt.models.network.channels import outlet_keys, service_levels
from network_helpers import tiny_channels
from test_network_model import _LP, _add

INF = np.inf


def _allowed(d, name) -> np.ndarray:
    values = getattr(d, name)
    return np.ones(len(d.skus), bool) if values is None else np.asarray(values, bool)


def _kinds(d) -> tuple[str, ...]:
    return d.warehouse_kind or ("bonded",) * len(d.bonded)


def _enters(d, b: int, k: int) -> bool:
    """The SKU may enter stocking warehouse b (bonded: 1210 list; domestic: general trade)."""
    name = "bonded_allowed" if _kinds(d)[b] == "bonded" else "general_trade_allowed"
    return bool(_allowed(d, name)[k])


def _tax(d, channel: str, k: int, rate: float | None) -> float:
    if d.unit_tax is not None:
        return float(d.unit_tax[channel][k])
    return rate * d.retail_price[k]


def _first_price(d, o: int) -> float:
    """What a unit bought per order from offer o costs: its lowest segment's price plus the
    expected counterfeit cost."""
    lo, price = min((seg[1], seg[3]) for seg in d.segments if seg[0] == o)
    return price + d.counterfeit_penalty[d.offers[o][1]] * d.counterfeit_rate[o]


def _outlets(d) -> list[tuple]:
    """(role, origin kind, origin, market, SKU, cost per unit, days) of every delivery."""
    kinds, cbec = _kinds(d), _allowed(d, "cbec_allowed")
    days = d.lane_days or {}
    offer = {o: n for n, o in enumerate(d.offers)}
    out = []
    for n, (b, j, c, rate) in enumerate(d.release):
        channel = "bonded" if kinds[b] == "bonded" else "general_trade"
        for k in range(len(d.skus)):
            if _enters(d, b, k):
                cost = c + d.bonded_handling[b] + _tax(d, channel, k, rate)
                out.append(("release", "bonded", b, j, k, cost, days.get("release", [0] * 99)[n]))
    for n, (w, j, c, rate) in enumerate(d.parcel):
        for k in np.flatnonzero(cbec):
            cost = c + d.overseas_handling[w] + _tax(d, "parcel", k, rate)
            out.append(("parcel", "overseas", w, j, k, cost, days.get("parcel", [0] * 99)[n]))
    for i, j, c, ell in d.supplier_parcel:
        for k in np.flatnonzero(cbec):
            if (i, k) in offer:
                cost = c + _first_price(d, offer[i, k]) + _tax(d, "parcel", k, None)
                out.append(("supplier_parcel", "supplier", i, j, k, cost, ell))
    if d.allow_personal_articles:
        for kind, o, j, c, ell in d.postal:
            for k in range(len(d.skus)):
                if kind == "supplier" and (o, k) not in offer:
                    continue
                extra = (
                    d.overseas_handling[o] if kind == "overseas" else _first_price(d, offer[o, k])
                )
                cost = c + extra + _tax(d, "postal", k, None)
                out.append(("postal", kind, o, j, k, cost, ell))
    return out


def _platforms(d) -> int:
    return max(len(d.platforms), 1)


def _demand(d) -> np.ndarray:
    """Demand per scenario, market, platform, SKU and month (one platform without any)."""
    return d.demand[:, :, None] if d.platform_demand is None else d.platform_demand


def _served(d, outlet) -> list[int]:
    """The platforms an outlet serves: an overseas copy's ``shared_by`` (every platform when
    it names none), every platform for any other lane."""
    every = list(range(_platforms(d)))
    if outlet[1] != "overseas" or not d.shared_by or not d.shared_by[outlet[2]]:
        return every
    return [d.platforms.index(name) for name in d.shared_by[outlet[2]]]


def _lp_value(d, qualified, opened, used, listed, segment) -> float | None:
    """The least cost with these binaries (``listed``: the set of (b, k) listed;
    ``segment[o]``: the segment pricing offer o, or None), or None when infeasible."""
    lp = _LP()
    listing = np.zeros(len(d.skus)) if d.listing_cost is None else d.listing_cost
    fixed = (
        np.dot(d.supplier_fixed, qualified)
        + np.dot(d.overseas_fixed, opened)
        + np.dot(d.bonded_fixed, used)
        + sum(listing[k] for b, k in listed if _kinds(d)[b] == "bonded")
    )
    nK, nT, nB, nW = len(d.skus), d.months, len(d.bonded), len(d.overseas)
    volume = np.zeros(nK) if d.volume is None else d.volume
    salvage = np.zeros(nK) if d.salvage is None else d.salvage
    cover = 7.0 * d.cover_weeks / 30.4
    quantity = {}
    for o, (_, k) in enumerate(d.offers):
        if segment[o] is not None:
            _, lo, hi, price = d.segments[segment[o]]
            cost = price + d.counterfeit_penalty[k] * d.counterfeit_rate[o]
            quantity[o] = lp.var(cost, max(lo, d.min_order[o]), hi)
    ships = [("fm", "supplier", i, w, c, lead) for i, w, c, lead in d.first_mile]
    for kind, o, b, c, lead in d.inbound:
        ships.append(
            ("in", kind, o, b, c + (d.overseas_handling[o] if kind == "overseas" else 0), lead)
        )
    col = {}
    for n, (role, kind, o, dest, cost, lead) in enumerate(ships):
        for k in range(nK):
            if kind == "supplier" and (o, k) not in d.offers:
                continue
            if role == "in" and not _enters(d, dest, k):
                continue
            shut = (role == "fm" and not opened[dest]) or (role == "in" and (dest, k) not in listed)
            for t in range(nT - lead):
                col[n, k, t] = lp.var(cost + d.holding[k] / 2, 0.0, 0.0 if shut else None)
    for o, (i, k) in enumerate(d.offers):
        out = {
            col[key]: 1.0 for key in col if ships[key[0]][1:3] == ("supplier", i) and key[1] == k
        }
        if o in quantity:
            out[quantity[o]] = -1.0
        lp.eq.append((out, 0.0))
    bought = {
        i: {quantity[o]: 1.0 for o in quantity if d.offers[o][0] == i}
        for i in range(len(d.suppliers))
    }
    for i in bought:
        lp.le.append((dict(bought[i]), d.supplier_capacity[i] * qualified[i]))
    if d.counterfeit_cap < 1.0:
        for k in range(nK):
            rated = {
                quantity[o]: d.counterfeit_rate[o] - d.counterfeit_cap
                for o in quantity
                if d.offers[o][1] == k
            }
            lp.le.append((rated, 0.0))
    outlets = _outlets(d)
    for s in range(len(d.probabilities)):
        # deliveries per platform the lane serves (an overseas copy: its shared_by; any other
        # lane: every platform), each platform's demand met on its own
        split = {
            (n, t, p): lp.var(out[5], scenario=s)
            for n, out in enumerate(outlets)
            for t in range(nT)
            for p in _served(d, out)
        }
        x = {(n, t): [] for n in range(len(outlets)) for t in range(nT)}
        for (n, t, _), var in split.items():
            x[n, t].append(var)
        stock = {}
        for kind, count, is_open in (("overseas", nW, opened), ("bonded", nB, used)):
            capacity = (
                d.overseas_volume_capacity if kind == "overseas" else d.bonded_volume_capacity
            )
            for v in range(count):
                for k in range(nK):
                    for t in range(nT):
                        last = t == nT - 1
                        unit = d.holding[k] * (0.5 if last else 1.0) - (salvage[k] if last else 0.0)
                        stock[kind, v, k, t] = lp.var(unit, scenario=s)
                held = {t: {} for t in range(nT)}  # m3 of stock + departures per month
                for k in range(nK):
                    for t in range(nT):
                        row = {stock[kind, v, k, t]: 1.0}
                        _add(held[t], stock[kind, v, k, t], volume[k])
                        if t > 0:
                            _add(row, stock[kind, v, k, t - 1], -1.0)
                        for (n, kk, tt), j in col.items():
                            role, okind, o, dest, _, lead = ships[n]
                            if (
                                kk == k
                                and tt + lead == t
                                and dest == v
                                and (role == "fm") == (kind == "overseas")
                            ):
                                _add(row, j, -1.0)
                            if (
                                kind == "overseas"
                                and okind == "overseas"
                                and o == v
                                and (kk, tt) == (k, t)
                            ):
                                _add(row, j, 1.0)
                                _add(held[t], j, volume[k])
                        released = {}
                        for (n, tt), js in x.items():
                            if (
                                outlets[n][1] == kind
                                and outlets[n][2] == v
                                and (outlets[n][4], tt) == (k, t)
                            ):
                                for j in js:
                                    _add(row, j, 1.0)
                                    _add(held[t], j, volume[k])
                                    _add(released, j, cover)
                        lp.eq.append((row, 0.0))
                        if kind == "bonded" and cover > 0 and t < nT - 1 and (v, k) in listed:
                            released[stock[kind, v, k, t]] = -1.0
                            lp.le.append((released, 0.0))
                if capacity is not None and np.isfinite(capacity[v]):
                    for t in range(nT):
                        lp.le.append((held[t], capacity[v] * is_open[v]))
                if kind == "overseas":
                    for t in range(nT):
                        out = {
                            j: 1.0
                            for (n, _, tt), j in col.items()
                            if ships[n][1:3] == ("overseas", v) and tt == t
                        }
                        out |= {
                            j: 1.0
                            for (n, tt), js in x.items()
                            for j in js
                            if outlets[n][1:3] == ("overseas", v) and tt == t
                        }
                        lp.le.append((out, d.overseas_capacity[v] * is_open[v]))
        for i in range(len(d.suppliers)):
            direct = {
                j: 1.0 for (n, _), js in x.items() for j in js if outlets[n][1:3] == ("supplier", i)
            }
            if direct:
                lp.le.append((bought[i] | direct, d.supplier_capacity[i] * qualified[i]))
        for jj in range(len(d.markets)):
            target = INF if d.max_delivery_days is None else d.max_delivery_days[jj]
            for t in range(nT):
                late = {
                    j: outlets[n][6] - target
                    for (n, tt), js in x.items()
                    for j in js
                    if outlets[n][3] == jj and tt == t
                }
                if np.isfinite(target) and d.lane_days is not None:
                    lp.le.append((late, 0.0))
                for k, p in itertools.product(range(nK), range(_platforms(d))):
                    into = [n for n, out in enumerate(outlets) if out[3] == jj and out[4] == k]
                    row = {split[n, t, p]: 1.0 for n in into if (n, t, p) in split}
                    row[lp.var(d.lost_penalty[k], scenario=s)] = 1.0
                    wanted = float(_demand(d)[s, jj, p, k, t])
                    lp.eq.append((row, wanted))
                    share = 1.0 if d.wait_share is None else d.wait_share[k]
                    if share < 1:
                        mail = {
                            split[n, t, p]: 1.0
                            for n in into
                            if outlets[n][0] != "release" and (n, t, p) in split
                        }
                        lp.le.append((mail, share * wanted))
    return lp.solve(fixed, d.probabilities, 0.0, 0.95)


def brute_force(d) -> float:
    """The least cost over every choice of the binaries (listings only at a warehouse in use,
    of SKUs it may take)."""
    choices = [
        [None, *[r for r, seg in enumerate(d.segments) if seg[0] == o]]
        for o in range(len(d.offers))
    ]
    best = np.inf
    for qualified in itertools.product((0, 1), repeat=len(d.suppliers)):
        for opened in itertools.product((0, 1), repeat=len(d.overseas)):
            for used in itertools.product((0, 1), repeat=len(d.bonded)):
                pairs = [
                    (b, k)
                    for b in range(len(d.bonded))
                    for k in range(len(d.skus))
                    if used[b] and _enters(d, b, k)
                ]
                for chosen in itertools.product((0, 1), repeat=len(pairs)):
                    listed = {p for p, c in zip(pairs, chosen, strict=True) if c}
                    for segment in itertools.product(*choices):
                        if any(
                            r is not None and not qualified[d.offers[o][0]]
                            for o, r in enumerate(segment)
                        ):
                            continue
                        value = _lp_value(d, qualified, opened, used, listed, segment)
                        if value is not None:
                            best = min(best, value)
    return best


STOCKED = {"overseas_fixed": np.array([900.0]), "bonded_fixed": np.array([20.0, 60.0])}
"""No overseas warehouse pays: demand is served from bonded or domestic stock, or per order."""

CASES = {
    "every channel": {},
    "lane rates, no tax by channel": {
        "unit_tax": None,
        "supplier_parcel": (),
        "postal": (),
        "release": ((0, 0, 1.0, 0.091), (1, 0, 0.8, 0.2)),
    },
    "no personal articles": {"allow_personal_articles": False},
    "no 9610": {"cbec_allowed": np.array([False])},
    "few wait": {"wait_share": np.array([0.3])},
    "fast delivery": {"max_delivery_days": np.array([8.0])},
    "small overseas warehouse": {"overseas_volume_capacity": np.array([3.0])},
    "stocked": STOCKED,
    "stocked, not on the bonded list": {**STOCKED, "bonded_allowed": np.array([False])},
    "stocked, on neither list": {
        **STOCKED,
        "bonded_allowed": np.array([False]),
        "general_trade_allowed": np.array([False]),
    },
    "stocked, costly listing": {**STOCKED, "listing_cost": np.array([400.0])},
    "stocked, small warehouses": {**STOCKED, "bonded_volume_capacity": np.array([4.0, 3.0])},
    "stocked, two SKUs sharing the space": {
        **STOCKED,
        "skus": ("k", "m"),
        "demand": np.array([[[[0.0, 40.0], [10.0, 20.0]]], [[[0.0, 90.0], [30.0, 10.0]]]]),
        "offers": ((0, 0), (1, 0), (0, 1)),
        "min_order": np.array([20.0, 0.0, 0.0]),
        "counterfeit_rate": np.array([0.0, 0.3, 0.0]),
        "segments": (
            (0, 0.0, 50.0, 10.0),
            (0, 50.0, 200.0, 8.0),
            (1, 0.0, 60.0, 6.0),
            (2, 0.0, 200.0, 12.0),
        ),
        "retail_price": np.array([30.0, 50.0]),
        "lost_penalty": np.array([35.0, 60.0]),
        "holding": np.array([0.2, 0.3]),
        "counterfeit_penalty": np.array([40.0, 40.0]),
        "unit_tax": {
            "bonded": np.array([2.73, 4.55]),
            "general_trade": np.array([4.2, 7.0]),
            "parcel": np.array([2.73, 4.55]),
            "postal": np.array([1.0, 10.0]),
        },
        "volume": np.array([0.1, 0.2]),
        "listing_cost": np.array([40.0, 30.0]),
        "bonded_allowed": np.array([True, False]),
        "bonded_volume_capacity": np.array([8.0, 6.0]),
        "wait_share": np.array([1.0, 0.5]),
    },
    "stocked, weeks of cover and salvage": {
        **STOCKED,
        "months": 3,
        "demand": np.array([[[[5.0, 40.0, 60.0]]], [[[20.0, 90.0, 10.0]]]]),
        "cover_weeks": 2.0,
        "salvage": np.array([4.0]),
    },
}


@pytest.mark.component
@pytest.mark.parametrize("case", CASES)
def test_network_channels_optimum_is_the_brute_force_optimum(case):
    d = tiny_channels(**CASES[case])
    _, outcome = solve_network(d)
    assert outcome.objective == pytest.approx(brute_force(d), rel=1e-6, abs=1e-6)


PLATFORMS = ("tmall", "jd", "pdd")


def _split(demand: np.ndarray, shares) -> np.ndarray:
    """``demand[s, j, k, t]`` split between platforms in proportion to ``shares``."""
    return np.stack([demand * share for share in shares], axis=2)


@pytest.mark.unit
@pytest.mark.parametrize(
    "shared_by, sharing, copies",
    [
        ((), True, ["LA"]),
        ((), False, ["LA@tmall", "LA@jd", "LA@pdd"]),
        ((("tmall", "jd", "pdd"),), True, ["LA"]),
        ((("tmall", "jd"),), True, ["LA@tmall+jd", "LA@pdd"]),
        ((("tmall", "jd"),), False, ["LA@tmall", "LA@jd", "LA@pdd"]),
        ((("jd",),), True, ["LA@tmall", "LA@jd", "LA@pdd"]),
    ],
)
def test_sharing_groups_copy_each_overseas_warehouse_per_group(shared_by, sharing, copies):
    """One copy per sharing group, with the warehouse's numbers and its own parcel lanes
    (serving its group, its ``shared_by``); markets, supplier parcels and releases stay."""
    d = tiny_channels(shared_by=shared_by)
    split = with_platforms(d, PLATFORMS, _split(d.demand, (0.5, 0.3, 0.2)), sharing=sharing)
    assert list(split.overseas) == copies
    assert split.platforms == PLATFORMS
    assert list(split.overseas_fixed) == [120.0] * len(copies)
    assert [len(g) for g in split.shared_by] == [
        len(c.split("@")[-1].split("+")) if "@" in c else 3 for c in copies
    ]
    assert split.markets == d.markets
    assert split.platform_demand.sum(axis=2) == pytest.approx(split.demand)
    assert sorted(w for w, *_ in split.parcel) == list(range(len(copies)))
    assert split.supplier_parcel == d.supplier_parcel
    assert len(split.first_mile) == 2 * len(copies)
    assert list(split.lane_days["parcel"]) == [10.0] * len(copies)


PLATFORM_CASES = {
    "tmall and jd share LA": {},
    "few wait": {"wait_share": np.array([0.4])},
    "a copy each, few wait": {"wait_share": np.array([0.4]), "shared_by": (("jd",),)},
    "a copy each, fast delivery": {"shared_by": ((),), "max_delivery_days": np.array([6.0])},
}
"""Platform sets of the copies (shared_by) and service rows the ``platform_served`` rows
must get right against the oracle's deliveries per platform."""


@pytest.mark.component
@pytest.mark.parametrize("case", PLATFORM_CASES)
def test_a_group_sharing_a_warehouse_is_the_brute_force_optimum(case):
    """tmall and jd share LA (one fixed cost, one capacity), pdd opens its own copy (or each
    platform its own); the oracle delivers per platform, each platform's demand on its own."""
    changes = {"shared_by": (("tmall", "jd"),), **PLATFORM_CASES[case]}
    d = tiny_channels(
        **changes,
        bonded=("NB",),
        warehouse_kind=("bonded",),
        bonded_fixed=np.array([200.0]),
        bonded_handling=np.array([0.3]),
        inbound=(("supplier", 0, 0, 2.0, 1), ("overseas", 0, 0, 1.5, 1)),
        release=((0, 0, 1.0, 0.091),),
        lane_days={"release": np.array([3.0]), "parcel": np.array([10.0])},
        overseas_fixed=np.array([10.0]),
    )
    split = with_platforms(d, PLATFORMS, _split(d.demand, (0.5, 0.3, 0.2)))
    _, outcome = solve_network(split)
    assert outcome.objective == pytest.approx(brute_force(split), rel=1e-6, abs=1e-6)


@pytest.mark.component
def test_shared_by_every_platform_pools_and_by_one_copies():
    """Shared by all platforms is ``sharing=True`` (the split optimum is the single-platform
    optimum, every channel remapped); shared by one platform is ``sharing=False``."""
    d = tiny_channels(wait_share=np.array([0.9]), max_delivery_days=np.array([18.0]))
    demand = _split(d.demand, (0.5, 0.3, 0.2))
    pooled = with_platforms(replace(d, shared_by=(PLATFORMS,)), PLATFORMS, demand)
    assert _objective(pooled) == pytest.approx(_objective(d), rel=1e-9)
    alone = with_platforms(replace(d, shared_by=(("jd",),)), PLATFORMS, demand)
    copies = with_platforms(d, PLATFORMS, demand, sharing=False)
    assert _objective(alone) == pytest.approx(_objective(copies), rel=1e-9)
    assert _objective(copies) > _objective(d)


def _objective(d) -> float:
    return solve_network(d)[1].objective


@pytest.mark.unit
def test_service_levels_average_days_over_expected_units_delivered():
    """Low scenario: 10 units on the release lane (3 days); high: 30 by supplier parcel (12
    days). Expected: 5 + 15 units of 0.5 x 40 + 0.5 x 90 = 65 wanted, so fill rate 20 / 65 and
    (5 x 3 + 15 x 12) / 20 = 9.75 days; without lane days, the days are not known."""
    d = tiny_channels()
    outs = outlet_keys(d, np.ones((2, 1), bool))
    delivered = np.zeros((2, len(outs.keys)))
    delivered[0, outs.keys.index(("rel0", "k", 1))] = 10.0
    delivered[1, outs.keys.index(("sp0", "k", 1))] = 30.0
    assert service_levels(d, outs, delivered) == pytest.approx(
        {"fill_rate": 20.0 / 65.0, "average_delivery_days": 9.75}
    )
    unknown = replace(d, lane_days=None)
    assert (
        service_levels(unknown, outlet_keys(unknown, np.ones((2, 1), bool)), delivered)[
            "average_delivery_days"
        ]
        is None
    )


@pytest.mark.unit
@pytest.mark.parametrize(
    "change, message",
    [
        ({"unit_tax": {"bonded": np.array([1.0])}}, "general_trade channel"),
        ({"unit_tax": None}, "parcel channel of a supplier"),
    ],
)
def test_a_channel_without_its_tax_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        outlet_keys(tiny_channels(**change), np.ones((2, 1), bool))


@pytest.mark.unit
def test_tax_per_unit_follows_the_channel():
    """Bonded release 2.73, domestic release 4.2 (general trade), 9610 parcel 2.73 from the
    overseas warehouse and from the brand, postal 1.0; supplier lanes add the offer's first
    price (brand 10; grey 6 + 40 x 0.3 expected counterfeit cost)."""
    outs = outlet_keys(tiny_channels(), np.ones((2, 1), bool))
    first = {key[0]: n for n, key in reversed(list(enumerate(outs.keys)))}
    tax = {lane: outs.tax[n] for lane, n in first.items()}
    assert tax == {"rel0": 2.73, "rel1": 4.2, "par0": 2.73, "sp0": 2.73, "post0": 1.0, "post1": 1.0}
    cost = {lane: outs.cost[n] for lane, n in first.items()}
    assert cost["sp0"] == pytest.approx(9.0 + 10.0 + 2.73)
    assert cost["post1"] == pytest.approx(4.0 + 6.0 + 12.0 + 1.0)
    assert cost["rel1"] == pytest.approx(0.8 + 0.2 + 4.2)
